//! One verdict everywhere (issue 23 items 6, 7 and 8): `models auth list`,
//! `models status` (its `--json`, its text and `--check`), `doctor`,
//! `models auth token` and the panel's view give each profile the same
//! status, read through what each command prints.

use super::script::{Host, NOW, env, first_error, hints, hints_in, said, store_path, text};
use super::*;
use crate::diag::Severity;
use crate::flow::Event;
use crate::secret::Secret;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const HOUR: Millis = 3_600_000;
const REFRESH: &str = "sk-ant-ort01-FAKE-dead-refresh";

/// A login Anthropic refused at refresh a minute ago, as the refresh flow
/// leaves it: the refusal for its refresh token and, when `cooling`, the
/// `auth` cooldown the failure started. Its access token is good for 3 h.
fn refused(cooling: bool) -> (Value, Value) {
    let login = json!({"type": "oauth", "provider": "anthropic", "access": "sk-ant-oat01-FAKE-dead",
                       "refresh": REFRESH, "expires": NOW + 3 * HOUR});
    let mut stats = json!({"refreshRejected": {"at": NOW - 60_000, "code": "invalid_grant",
                           "fingerprint": crate::rejection::fingerprint(&Secret::new(REFRESH))}});
    if cooling {
        stats["errorCount"] = json!(1);
        stats["failureCounts"] = json!({"auth": 1});
        stats["lastFailureAt"] = json!(NOW - 60_000);
        stats["cooldownUntil"] = json!(NOW + 60_000);
    }
    (login, stats)
}

/// One profile of each standing that once read differently from command
/// to command.
fn every_standing() -> Value {
    let (cooling, cooling_stats) = refused(true);
    let (cleared, cleared_stats) = refused(false);
    json!({"version": 1, "profiles": {
        "anthropic:claude-cli": cooling,
        "anthropic:cleared": cleared,
        "zai:old": {"type": "token", "provider": "zai", "token": "FAKE-zai-token", "expires": NOW - HOUR},
        "openai:off": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-off-0123456789"},
        "groq:cool": {"type": "api_key", "provider": "groq", "key": "gsk-FAKE-cool-0123456789"},
        "groq:empty": {"type": "api_key", "provider": "groq", "key": " "}},
      "usageStats": {
        "anthropic:claude-cli": cooling_stats,
        "anthropic:cleared": cleared_stats,
        "zai:old": {"errorCount": 1, "cooldownUntil": NOW + 60_000},
        "openai:off": {"disabledUntil": NOW + 5 * HOUR, "disabledReason": "billing", "failureCounts": {"billing": 1}},
        "groq:cool": {"errorCount": 2, "cooldownUntil": NOW + 4 * 60_000, "failureCounts": {"rate_limit": 2}}}})
}

/// What every command must call each profile: (status, reason code).
const WANT: [(&str, &str, &str); 6] = [
    ("anthropic:claude-cli", "expired", "refresh_rejected"),
    ("anthropic:cleared", "expired", "refresh_rejected"),
    ("zai:old", "expired", "expired"),
    ("openai:off", "disabled", "disabled-billing"),
    ("groq:cool", "cooldown", "cooldown"),
    ("groq:empty", "missing-secret", "missing-secret"),
];

fn want() -> BTreeMap<String, (String, String)> {
    WANT.iter().map(|(id, s, r)| (id.to_string(), (s.to_string(), r.to_string()))).collect()
}

fn stdout_json(host: &mut Host, flow: &mut dyn Flow) -> (Done, Value) {
    let (done, printed) = host.run(flow);
    let mut lines = printed;
    lines.extend(done.lines());
    let out = text(&lines, Stream::Stdout);
    (done, serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}")))
}

fn status_request(json: bool) -> StatusRequest {
    StatusRequest { check: true, ..StatusRequest::bare(json, false, None, false) }
}

fn token(profile: Option<&str>, provider: &str) -> TokenCommand {
    let request =
        TokenRequest { provider: provider.into(), profile: profile.map(String::from), agent: None, force: false };
    TokenCommand::new(request, &env(), NOW)
}

#[test]
fn list_status_and_the_panel_give_each_profile_one_status_and_reason() {
    let mut host = Host::with_store(&every_standing());
    let (_, listed) = stdout_json(&mut host, &mut ListCommand::new(&env(), None, None, true, NOW));
    let list: BTreeMap<String, (String, String)> = listed["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().into(),
                (e["status"].as_str().unwrap().into(), e["reasonCode"].as_str().unwrap().into()),
            )
        })
        .collect();
    assert_eq!(list, want(), "models auth list --json");
    let hint = |id: &str| {
        listed["profiles"].as_array().unwrap().iter().find(|e| e["id"] == id).unwrap()["recoveryHint"].clone()
    };
    let relogin = hint("anthropic:claude-cli");
    assert!(!relogin.as_str().unwrap().contains("cooldown"), "a refused login is no cooldown to wait for: {relogin}");
    assert_eq!(hint("anthropic:cleared"), json!(crate::remedy::for_profile_id("anthropic:cleared")));

    let (done, report) = stdout_json(&mut host, &mut StatusCommand::new(status_request(true), &env(), NOW));
    let state: BTreeMap<String, (String, String)> = report["auth"]["oauth"]["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["profileId"].as_str().unwrap().into(),
                (p["state"].as_str().unwrap_or("-").into(), p["reasonCode"].as_str().unwrap_or("-").into()),
            )
        })
        .collect();
    assert_eq!(state, want(), "models status --json: state and reasonCode");
    assert_eq!(done.exit, Exit::Action, "--check: both anthropic logins are dead");

    let (_, printed) = host.run(&mut StatusCommand::new(status_request(false), &env(), NOW));
    let shown = text(&printed, Stream::Stdout);
    for line in ["- anthropic:claude-cli expired: login rejected at refresh", "- zai:old expired 1h"] {
        assert!(shown.contains(line), "{line} in\n{shown}");
    }

    let mut world = crate::world::MapWorld::default();
    for (path, content) in &host.files {
        world.files.insert(path.clone(), crate::world::FileRead::text(content.clone()));
    }
    let loaded = crate::load::load(&world, &env(), NOW, None);
    let report = crate::report::build(&loaded, &Default::default());
    let doctor = crate::doctor::preview(&loaded, &report);
    let view = crate::view::build(&loaded, &report, &doctor, None, |_| true, crate::view::Limits::default()).to_value();
    let panel: BTreeMap<String, (String, String)> = view["profiles"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["profile"]["id"].as_str().unwrap().into(),
                (r["badge"]["word"].as_str().unwrap().into(), r["reasonCode"].as_str().unwrap().into()),
            )
        })
        .collect();
    assert_eq!(panel, want(), "the panel's profile table");
}

#[test]
fn doctor_reports_a_refused_login_with_its_remedy_and_not_as_a_cooldown() {
    let mut host = Host::with_store(&every_standing());
    let request = DoctorRequest { json: true, non_interactive: true, ..DoctorRequest::default() };
    let (done, printed) = host.run(&mut DoctorCommand::new(request, &env(), NOW));
    let mut lines = printed;
    lines.extend(done.lines());
    let out = text(&lines, Stream::Stdout);
    let said = text(&lines, Stream::Stderr);
    assert!(!said.contains("anthropic:claude-cli: cooldown"), "{said}");
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Findings about a profile (the store-wide ones name none).
    for f in doc["findings"].as_array().unwrap().iter().filter(|f| f.get("target").is_some()) {
        let target = f["target"].as_str().unwrap_or("-").to_string();
        found.entry(target).or_default().push(f["checkId"].as_str().unwrap().to_string());
    }
    let want: BTreeMap<String, Vec<String>> = [
        ("anthropic:claude-cli", "auth/profile-expired"),
        ("anthropic:cleared", "auth/profile-expired"),
        ("zai:old", "auth/profile-expired"),
        ("groq:empty", "auth/missing-secret"),
        ("groq:cool", "auth/cooldown"),
        ("openai:off", "auth/cooldown"),
    ]
    .into_iter()
    .map(|(id, check)| (id.to_string(), vec![check.to_string()]))
    .collect();
    assert_eq!(found, want, "no cooldown, stale or not, for what needs a person: {doc}");
    assert_eq!(done.exit, Exit::Action);
}

#[test]
fn token_hands_out_no_key_of_a_login_refused_at_refresh_cooling_or_not() {
    for id in ["anthropic:claude-cli", "anthropic:cleared"] {
        let mut host = Host::with_store(&every_standing());
        let (done, printed) = host.run(&mut token(Some(id), "anthropic"));
        let mut lines = printed;
        lines.extend(done.lines());
        assert_eq!(done.exit, Exit::Action, "{id}: {lines:?}");
        assert!(!lines.iter().any(|l| l.text.contains("FAKE-dead")), "{lines:?}");
        let error = first_error(&done);
        assert!(error.starts_with(&format!("{id}: ")) && error.contains("invalid_grant"), "{lines:?}");
        assert!(hints(&done).iter().any(|h| h.contains(&crate::remedy::for_profile_id(id))), "{lines:?}");
        assert!(host.posts.is_empty(), "a refused refresh token is not sent again");
    }
    let mut host = Host::with_store(&every_standing());
    let (done, _) = host.run(&mut token(None, "anthropic"));
    assert_eq!(done.exit, Exit::Action, "no profile of anthropic is usable");
}

/// A store whose only OpenAI key is disabled for billing and whose
/// Anthropic token is cooling down after a failure.
fn backing_off() -> Value {
    json!({"version": 1, "profiles": {
        "openai:default": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-old-0123456789"},
        "anthropic:work": {"type": "token", "provider": "anthropic", "token": "sk-ant-oat01-FAKE-old-token",
                           "expires": NOW + 300 * 24 * HOUR}},
      "usageStats": {
        "openai:default": {"errorCount": 1, "disabledUntil": NOW + 5 * HOUR, "disabledReason": "billing",
                           "failureCounts": {"billing": 1}, "lastFailureAt": NOW - 60_000, "lastUsed": NOW - HOUR},
        "anthropic:work": {"errorCount": 3, "cooldownUntil": NOW + 25 * 60_000, "failureCounts": {"auth": 3},
                           "lastFailureAt": NOW - 60_000}}})
}

/// `paste-api-key --provider openai`, the secret the host is given.
fn paste_openai_key() -> PasteKeyCommand {
    let request = PasteKeyRequest {
        provider: crate::provider::ProviderId::parse("openai"),
        profile_id: None,
        agent: None,
        create_agent: false,
        force: false,
    };
    PasteKeyCommand::new(request, &env(), NOW)
}

#[test]
fn a_new_credential_does_not_inherit_the_old_ones_cooldown_or_disable() {
    let mut host = Host::with_store(&backing_off());
    host.secret = Some(Ok(Secret::new("sk-FAKE-new-0123456789")));
    let (done, _) = host.run(&mut paste_openai_key());
    assert_eq!(done.exit, Exit::Ok);
    host.secret = Some(Ok(Secret::new("sk-ant-oat01-FAKE-new-token-0123456789")));
    let request = PasteTokenRequest {
        provider: "anthropic".into(),
        profile_id: Some("anthropic:work".into()),
        expires_in: None,
        agent: None,
        create_agent: false,
        force: false,
    };
    let (done, printed) = host.run(&mut PasteTokenCommand::new(request, &env(), NOW));
    assert_eq!(done.exit, Exit::Ok, "{printed:?} {:?}", done.lines());
    let stats = &host.store()["usageStats"];
    for id in ["openai:default", "anthropic:work"] {
        let s = &stats[id];
        assert!(s.get("disabledUntil").is_none() && s.get("cooldownUntil").is_none(), "{id}: {s}");
        assert_eq!(s["errorCount"], 0, "{id}: the ladders start again: {s}");
        assert!(s.get("failureCounts").is_none(), "{id}: {s}");
    }
    assert_eq!(stats["openai:default"]["lastUsed"], NOW - HOUR, "what round robin reads stays");
    let (_, listed) = stdout_json(&mut host, &mut ListCommand::new(&env(), None, None, true, NOW));
    let statuses: Vec<&str> =
        listed["profiles"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["static", "static"]);
}

#[test]
fn the_same_credential_stored_again_keeps_its_backoff() {
    let mut host = Host::with_store(&backing_off());
    host.secret = Some(Ok(Secret::new("sk-FAKE-old-0123456789")));
    let (done, _) = host.run(&mut paste_openai_key());
    assert_eq!(done.exit, Exit::Ok);
    assert_eq!(host.store()["usageStats"]["openai:default"]["disabledReason"], "billing");
}

#[test]
fn check_warns_when_every_profile_of_a_provider_in_use_is_backing_off() {
    let config =
        r#"{"agents":{"defaults":{"model":{"primary":"anthropic/claude-opus-4-5","fallbacks":["openai/gpt-5.2"]}}}}"#;
    let mut host = Host::with_store(&backing_off());
    host.files.insert(super::script::CONFIG.into(), config.into());
    let (done, report) = stdout_json(&mut host, &mut StatusCommand::new(status_request(true), &env(), NOW));
    assert_eq!(done.exit, Exit::Ok, "a backoff ends by itself: a warning, not an exit code");
    let warnings: Vec<&str> =
        report["auth"]["check"]["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with(
            "anthropic: every profile its requests would use is cooling down or disabled (anthropic:work cooldown 25m)"
        ),
        "{warnings:?}"
    );
    assert!(warnings[1].starts_with("openai: every profile its requests would use is cooling down or disabled (openai:default disabled:billing 5h)"), "{warnings:?}");

    // One free profile is enough.
    let mut store = backing_off();
    store["profiles"]["openai:spare"] =
        json!({"type": "api_key", "provider": "openai", "key": "sk-FAKE-spare-0123456789"});
    host.files.insert(store_path("main"), store.to_string());
    let (_, report) = stdout_json(&mut host, &mut StatusCommand::new(status_request(true), &env(), NOW));
    let warnings = report["auth"]["check"]["warnings"].to_string();
    assert!(!warnings.contains("openai:"), "{warnings}");
}

#[test]
fn token_says_when_the_key_it_hands_out_expires_within_min_valid_or_backs_off() {
    let store = json!({"version": 1, "profiles": {
        "anthropic:short": {"type": "token", "provider": "anthropic", "token": "sk-ant-oat01-FAKE-short-token",
                            "expires": NOW + 5 * 60_000},
        "openai:off": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-off-0123456789"}},
      "usageStats": {"openai:off": {"disabledUntil": NOW + 5 * HOUR, "disabledReason": "billing"}}});
    // The exit, the warnings and hints, and whether a key was handed out.
    let run = |flow: &mut TokenCommand| {
        let mut host = Host::with_store(&store);
        let (done, _) = host.run(flow);
        let events: Vec<Event> = host.emitted.iter().chain(&done.events).cloned().collect();
        let warnings: Vec<String> = said(&events, Severity::Warning).into_iter().map(String::from).collect();
        let hints: Vec<String> = hints_in(&events).into_iter().map(String::from).collect();
        (done.exit, warnings, hints, events.iter().any(|e| matches!(e, Event::Key { .. })))
    };
    let (exit, warnings, hints, handed) = run(&mut token(None, "anthropic"));
    assert_eq!((exit, handed), (Exit::Ok, true), "the key still works for 5 minutes: {warnings:?}");
    assert_eq!(warnings, ["anthropic:short: the key expires in 5m, sooner than --min-valid (10m)"]);
    assert!(!hints.is_empty(), "a token that cannot renew itself says what renews it");
    let (_, warnings, _, _) = run(&mut token(None, "anthropic").min_valid(60_000));
    assert!(warnings.is_empty(), "{warnings:?}");

    let (exit, warnings, _, handed) = run(&mut token(None, "openai"));
    assert_eq!((exit, handed), (Exit::Ok, true));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("openai:off is backing off (disabled:billing 5h)"), "{warnings:?}");
}
