//! Invariants of the core, over generated inputs (issue 2's list).

use clawdbot_auth_core::rules::{
    ApiKey, AuthStore, CheckCode, Credential, Expiry, ExternalLogin, HealthStatus, OAuth, Profile, ReportOptions,
    Token, UsageStats, Verdict, build_report, check_code, load, parse_store, profile_health, sync_external,
    write_store,
};
use clawdbot_auth_core::{Env, FileRead, MapWorld, Secret};
use proptest::prelude::*;
use serde_json::json;

const NOW: i64 = 1_767_225_600_000;
const STORE: &str = "/h/.clawdbot/agents/main/agent/auth-profiles.json";

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z]{1,8}", "[a-zA-Z0-9@.:_\\-]{0,24}", any::<String>(), Just("\u{1b}[31mred\n".to_string()),]
}

fn provider() -> impl Strategy<Value = String> {
    prop_oneof![Just("anthropic"), Just("openai-codex"), Just("openai"), Just("Z.AI"), Just("google-antigravity")]
        .prop_map(str::to_string)
}

fn expiry() -> impl Strategy<Value = Option<Expiry>> {
    prop_oneof![
        Just(None),
        (-5_000_000_000i64..5_000_000_000).prop_map(|d| Some(Expiry::from_millis(NOW + d))),
        (0.0f64..1e13).prop_map(|f| Some(Expiry::from_ms(f))),
        Just(Some(Expiry::from_millis(0))),
        Just(Some(Expiry::from_millis(-9_000_000_000_000_000))),
    ]
}

fn credential() -> impl Strategy<Value = Credential> {
    let secret = || proptest::option::of(text().prop_map(Secret::new));
    prop_oneof![
        (provider(), secret(), proptest::option::of(text()))
            .prop_map(|(provider, key, email)| Credential::ApiKey(ApiKey { provider, key, email })),
        (provider(), secret(), expiry(), proptest::option::of(text()))
            .prop_map(|(provider, token, expires, email)| Credential::Token(Token { provider, token, expires, email })),
        (provider(), secret(), secret(), expiry(), proptest::option::of(text()), proptest::option::of(text()))
            .prop_map(|(provider, access, refresh, expires, email, project_id)| {
                Credential::OAuth(OAuth { provider, access, refresh, expires, email, project_id, ..OAuth::default() })
            }),
    ]
}

/// Profile ids, the ids reserved for the synced logins among them: a store
/// that never holds `anthropic:claude-cli` never tests the sync's rules.
fn profile_id() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z\\-]{1,6}:[a-zA-Z0-9@.]{1,10}",
        1 => Just("anthropic:claude-cli".to_string()),
        1 => Just("openai-codex:codex-cli".to_string()),
    ]
}

fn store() -> impl Strategy<Value = AuthStore> {
    let profile = (credential(), proptest::option::of(text())).prop_map(|(c, note)| {
        let mut p = Profile::new(c);
        if let Some(n) = note {
            p.extra.insert("futureField".into(), json!({ "note": n, "n": [1, 2.5] }));
        }
        p
    });
    let stats =
        (proptest::option::of(0.0f64..2e12), proptest::option::of(0.0f64..2e12), proptest::option::of(0.0f64..9.0))
            .prop_map(|(last_used, cooldown_until, error_count)| UsageStats {
                last_used,
                cooldown_until,
                error_count,
                ..UsageStats::default()
            });
    (
        proptest::collection::vec((profile_id(), profile), 0..20),
        proptest::collection::vec(stats, 0..5),
        proptest::collection::vec(("[a-z]{1,6}", proptest::collection::vec("[a-z:]{1,8}", 1..3)), 0..3),
    )
        .prop_map(|(profiles, stats, order)| {
            let mut s = AuthStore::default();
            let ids: Vec<String> = profiles.iter().map(|(id, _)| id.clone()).collect();
            s.profiles.extend(profiles);
            for (id, st) in ids.iter().zip(stats) {
                s.usage_stats.insert(id.clone(), st);
            }
            s.order.extend(order);
            s
        })
}

fn oauth_login(access: &str, exp: i64) -> ExternalLogin {
    ExternalLogin {
        profile_id: "anthropic:claude-cli",
        credential: Credential::OAuth(OAuth {
            provider: "anthropic".into(),
            access: Some(Secret::new(access)),
            refresh: Some(Secret::new(format!("r-{access}"))),
            expires: Some(Expiry::from_millis(exp)),
            ..OAuth::default()
        }),
        origin: "test".into(),
    }
}

/// The generator reaches the reserved ids, and with a credential the
/// "never shortens life" half of the sync property can judge.
#[test]
fn the_store_generator_reaches_the_reserved_ids() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let judged = (0..400)
        .filter(|_| {
            let s = store().new_tree(&mut runner).expect("a store").current();
            s.profiles.get("anthropic:claude-cli").is_some_and(|p| {
                p.credential.provider() == "anthropic"
                    && matches!(p.credential, Credential::OAuth(_) | Credential::Token(_))
            })
        })
        .count();
    assert!(judged >= 10, "only {judged} of 400 generated stores let the sync property judge a stored login");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parse_write_parse_is_the_identity(s in store()) {
        let text = write_store(&s).unwrap();
        let (again, _) = parse_store(text.as_bytes(), "f").expect("our own output parses");
        prop_assert_eq!(&again, &s);
        prop_assert_eq!(write_store(&again).unwrap(), text);
    }

    #[test]
    fn sync_is_idempotent_and_never_shortens_life(s in store(), exp in -5_000_000_000i64..5_000_000_000, access in "[a-z]{1,6}") {
        let mut s = s;
        let before = s.profiles.get("anthropic:claude-cli").cloned();
        let found = [oauth_login(&access, NOW + exp)];
        sync_external(&mut s, &found);
        prop_assert!(sync_external(&mut s, &found).is_empty(), "a second sync changed something");
        if let Some(before) = before
            && before.credential.provider() == "anthropic"
            && matches!(before.credential, Credential::OAuth(_) | Credential::Token(_))
        {
            // Written out here, not through `ExpiryKind`, so that the property does not trust the rule it checks.
            let life = |c: &Credential| c.expires().map(|e| e.ms()).filter(|ms| ms.is_finite() && *ms > 0.0).unwrap_or(0.0);
            let after = &s.profiles["anthropic:claude-cli"].credential;
            prop_assert!(life(after) >= life(&before.credential));
        }
    }

    #[test]
    fn status_only_worsens_as_time_passes(c in credential(), t1 in -1i64..5_000_000_000, dt in 0i64..5_000_000_000) {
        let p = Profile::new(c);
        let rank = |s: HealthStatus| match s {
            HealthStatus::Ok => 0,
            HealthStatus::Expiring => 1,
            HealthStatus::Expired => 2,
            HealthStatus::Missing | HealthStatus::Static | HealthStatus::Failing | HealthStatus::Unchecked => 3,
        };
        let cfg = Default::default();
        let a = profile_health(&cfg, &Default::default(), "x", &p, NOW + t1, 86_400_000).status;
        let b = profile_health(&cfg, &Default::default(), "x", &p, NOW + t1 + dt, 86_400_000).status;
        if matches!(a, HealthStatus::Missing | HealthStatus::Static) {
            prop_assert_eq!(a, b);
        } else {
            prop_assert!(rank(b) >= rank(a), "{:?} then {:?}", a, b);
        }
    }

    #[test]
    fn strict_check_code_is_the_worst_status_that_counts(s in store()) {
        let mut world = MapWorld::default();
        world.files.insert(STORE.into(), FileRead::text(write_store(&s).unwrap()));
        let loaded = load(&world, &Env::new("/h"), NOW, None);
        let r = build_report(&loaded, &ReportOptions { strict: true, ..ReportOptions::default() });
        let code = check_code(&r, &loaded);
        let timed: Vec<HealthStatus> = r.auth.oauth.profiles.iter()
            .filter(|p| p.kind != clawdbot_auth_core::rules::CredentialType::ApiKey)
            .map(|p| p.status).collect();
        let want = if !r.auth.missing_providers_in_use.is_empty() || timed.iter().any(|s| s.is_bad()) {
            CheckCode::Action
        } else if timed.contains(&HealthStatus::Expiring) {
            CheckCode::Expiring
        } else {
            CheckCode::Ok
        };
        prop_assert_eq!(code, want);
    }

    /// The in-use rule forgives problems nothing would meet: it alarms where
    /// the reference's rule would not only for a provider a request could
    /// not try at all (with a config that names no extra models).
    #[test]
    fn the_in_use_check_is_never_worse_than_the_strict_one(s in store()) {
        let mut world = MapWorld::default();
        world.files.insert(STORE.into(), FileRead::text(write_store(&s).unwrap()));
        let loaded = load(&world, &Env::new("/h"), NOW, None);
        let rank = |c: CheckCode| match c {
            CheckCode::Ok => 0,
            CheckCode::Expiring => 1,
            CheckCode::Action => 2,
        };
        let check = build_report(&loaded, &ReportOptions::default()).auth.check;
        let strict = build_report(&loaded, &ReportOptions { strict: true, ..ReportOptions::default() }).auth.check.code;
        // The one thing it counts that the reference does not: a provider
        // whose stored profiles a request could not even try (a key-less
        // api_key profile, a spent token).
        let untriable = check.in_use.iter().any(|v| {
            v.status == Verdict::Failing
                && clawdbot_auth_core::rules::resolve_order(&loaded.config.config, &loaded.store, &v.provider, None, NOW)
                    .is_empty()
        });
        prop_assert!(rank(check.code) <= rank(strict) || untriable, "{:?} > {:?}", check.code, strict);
    }

    #[test]
    fn no_reader_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_store(&bytes, "f");
        let _ = clawdbot_auth_core::rules::parse_config(&bytes, "c");
        let _ = clawdbot_auth_core::rules::claude::read(&bytes, "c");
        let _ = clawdbot_auth_core::rules::codex::read(&bytes, "x", None, NOW);
        let _ = clawdbot_auth_core::rules::legacy::read_legacy_store(&bytes, "l");
        let _ = clawdbot_auth_core::rules::legacy::read_oauth_json(&bytes, "o");
        let _ = clawdbot_auth_core::envelope::handle(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn no_reader_panics_on_json_shaped_input(s in "[\\[\\]{}\":,0-9a-zA-Z. \\-]{0,300}") {
        let wrapped = format!("{{\"profiles\":{{\"a:b\":{s}}},\"claudeAiOauth\":{s},\"tokens\":{s}}}");
        for b in [s.as_bytes(), wrapped.as_bytes()] {
            let _ = parse_store(b, "f");
            let _ = clawdbot_auth_core::rules::parse_config(b, "c");
            let _ = clawdbot_auth_core::rules::claude::read(b, "c");
            let _ = clawdbot_auth_core::rules::codex::read(b, "x", None, NOW);
        }
    }
}
