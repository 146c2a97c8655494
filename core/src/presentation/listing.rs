//! `models auth list`: every credential of an agent as one flat list, the
//! view both the CLI and the admin panel show (so they cannot disagree).
//!
//! One entry per stored profile, synced ones included, and one per
//! provider key found in the environment. Each says where it comes from,
//! whether it can be used now and why not, and what to do about it; its
//! secret appears only masked, and only in the text form.

use crate::env_auth::{env_key, env_probe_providers};
use crate::escape::escape_control;
use crate::health::{HealthRules, ProfileHealth, Source, Standing, assess};
use crate::load::Loaded;
use crate::provider::normalize;
use crate::secret_refs::RefStates;
use crate::store::{Credential, Profile, UsageStats};
use crate::time::Instant;
use crate::time::Millis;
use serde::Serialize;

/// One listed credential: the JSON entry of `models auth list --json`.
/// Times are ISO 8601 (UTC); absent fields are omitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The profile id (`env:VAR` for an environment key).
    pub id: String,
    /// The provider, as stored.
    pub provider: String,
    /// `api_key`, `token` or `oauth`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where it comes from.
    #[serde(serialize_with = "Source::ser_list_word")]
    pub source: Source,
    /// The agent it is inherited from, when it is not this agent's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited_from: Option<String>,
    /// The account, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// When the credential expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// `ok`, `expiring`, `expired`, `unknown`, `static`, `cooldown`,
    /// `disabled`, `missing-secret`: the profile's [`Standing`], the one
    /// verdict every command gives it.
    pub status: &'static str,
    /// Why, as a stable code (see docs/cli.md).
    pub reason_code: String,
    /// A cooldown runs until then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown_until: Option<String>,
    /// The failure that started the cooldown (the most counted reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown_reason: Option<String>,
    /// A disable runs until then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_until: Option<String>,
    /// Why it is disabled (`billing`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// What to do, when something is to be done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_hint: Option<String>,
    /// The secret, masked, for the text form only.
    #[serde(skip)]
    pub masked: String,
    /// Its SecretRef and what became of it (the value masked, never whole).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<crate::health::RefReport>,
}

/// The whole `models auth list --json` document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    /// The agent listed.
    pub agent_id: String,
    /// Its folder, as shown (`~/...`).
    pub agent_dir: String,
    /// Its store, as shown.
    pub store_path: String,
    /// Every credential, stored ones in file order, then the environment's.
    pub profiles: Vec<Entry>,
}

/// An instant of the usage statistics (ms) in ISO 8601; `None` past the
/// year 9999 ([`Instant::iso`]).
fn iso(ms: f64) -> Option<String> {
    Instant::from_ms(ms).iso()
}

/// Lists `loaded`'s credentials, only `provider`'s when given (in any
/// spelling).
pub fn list(loaded: &Loaded, provider: Option<&str>) -> Listing {
    let want = provider.map(normalize);
    let wanted = |p: &str| want.as_deref().is_none_or(|w| normalize(p) == w);
    let mut profiles: Vec<Entry> = loaded
        .store
        .profiles
        .iter()
        .filter(|(_, p)| wanted(p.credential.provider()))
        .map(|(id, p)| entry(loaded, id, p))
        .collect();
    for p in env_probe_providers() {
        if !wanted(p) {
            continue;
        }
        if let Some(found) = env_key(p, &loaded.env, &[], loaded.gcloud_adc) {
            let var = found.source.rsplit(": ").next().unwrap_or(&found.source).to_string();
            let oauth = found.is_oauth();
            profiles.push(Entry {
                id: format!("{}{var}", crate::removal::ENV_ID_PREFIX),
                provider: p.to_string(),
                kind: if oauth { "token" } else { "api_key" },
                source: Source::Env,
                inherited_from: None,
                email: None,
                expires_at: None,
                status: Standing::Static.word(),
                reason_code: Standing::Static.word().into(),
                cooldown_until: None,
                cooldown_reason: None,
                disabled_until: None,
                disabled_reason: None,
                recovery_hint: None,
                masked: found.value.masked(),
                secret_ref: None,
            });
        }
    }
    Listing {
        agent_id: loaded.locations.agent_id.clone(),
        agent_dir: loaded.env.shorten(&loaded.locations.agent_dir),
        store_path: loaded.env.shorten(&loaded.locations.store()),
        profiles,
    }
}

fn entry(loaded: &Loaded, id: &str, profile: &Profile) -> Entry {
    let rules = HealthRules::default();
    let health =
        assess(&loaded.config.config, &loaded.refs, &loaded.store, &loaded.ended, id, profile, loaded.now, rules);
    entry_of(&health, profile, &loaded.refs, loaded.store.usage_stats.get(id), loaded.now)
}

/// The list's entry for a profile the one verdict ([`assess`]) judged
/// (status, reason and hint), with the backoffs its `stats` hold at `now`
/// and its SecretRef's state in `refs`.
pub fn entry_of(
    health: &ProfileHealth,
    profile: &Profile,
    refs: &RefStates,
    stats: Option<&UsageStats>,
    now: Millis,
) -> Entry {
    let id = health.profile_id.as_str();
    let running = |v: Option<f64>| v.filter(|u| u.is_finite() && *u > now as f64);
    let cooldown = stats.and_then(|s| running(s.cooldown_until));
    let disabled = stats.and_then(|s| running(s.disabled_until));
    let disabled_reason = disabled.and(stats.and_then(|s| s.disabled_reason.clone()));
    let cooldown_reason = cooldown.and(stats.and_then(crate::usage::most_counted_failure));
    // A ref beats a plain value: its resolved value is the secret, and one
    // that did not resolve leaves none (fail closed).
    let ref_check = crate::secret_refs::check_of(refs, id, profile);
    let secret = match ref_check {
        Some(crate::secret_refs::RefCheck::Ok(s)) => Some(s),
        Some(_) => None,
        None => profile.credential.secret(),
    };
    let clear = format!("or run `clawdbot models auth cooldown clear {}` once the cause is gone", escape_control(id));
    let hint = match health.standing {
        Standing::Failing | Standing::NotChecked => ref_check.and_then(crate::remedy::for_ref),
        Standing::MissingSecret | Standing::Unknown => Some(renew_hint(profile, id)),
        Standing::Disabled => {
            let first = match disabled_reason.as_deref() {
                Some("billing") => "Top up credits (provider billing)",
                _ => "Wait for the disable to end",
            };
            Some(format!("{first}, {clear}."))
        }
        Standing::Cooldown => Some(format!("Wait for the cooldown to end, {clear}.")),
        Standing::Ok | Standing::Static => None,
        // A sign-in that ends soon is renewed by signing in again.
        Standing::Expiring if health.health_reason.is_some() => Some(crate::remedy::for_health(health)),
        Standing::Expiring => expiring_hint(profile, id),
        // A login its provider refused, a sign-in that ended, a read-only
        // login past its expiry: a refresh here would not help.
        Standing::Rejected => Some(crate::remedy::for_health(health)),
        Standing::Expired if health.health_reason.is_some() => Some(crate::remedy::for_health(health)),
        Standing::Expired => expired_hint(profile, id),
    };
    Entry {
        id: id.to_string(),
        provider: profile.credential.provider().to_string(),
        kind: profile.credential.kind().as_str(),
        source: Source::of(id),
        inherited_from: health.inherited_from.clone(),
        email: profile.credential.email().map(str::to_string),
        expires_at: health.expires_at.and_then(Instant::iso),
        status: health.standing.word(),
        reason_code: health.reason_code.to_string(),
        cooldown_until: cooldown.and_then(iso),
        cooldown_reason,
        disabled_until: disabled.and_then(iso),
        disabled_reason,
        recovery_hint: hint,
        masked: secret.map_or_else(|| "missing".into(), |s| s.masked()),
        secret_ref: health.secret_ref.clone(),
    }
}

fn refreshable(profile: &Profile) -> bool {
    matches!(&profile.credential, Credential::OAuth(o) if o.refresh.as_ref().is_some_and(|r| !r.is_blank()))
}

/// What renews `profile` when it needs a person: doctor's words for it.
fn renew_hint(profile: &Profile, id: &str) -> String {
    let (provider, kind) = (profile.credential.provider(), profile.credential.kind());
    crate::remedy::for_credential(id, provider, kind, crate::remedy::Renewal::Relogin)
}

fn expiring_hint(profile: &Profile, id: &str) -> Option<String> {
    (!refreshable(profile)).then(|| renew_hint(profile, id))
}

fn expired_hint(profile: &Profile, id: &str) -> Option<String> {
    Some(match refreshable(profile) {
        true => format!(
            "Run `clawdbot models auth refresh --profile {}`; if that fails: {}",
            escape_control(id),
            renew_hint(profile, id)
        ),
        false => renew_hint(profile, id),
    })
}

/// The text form: one block per credential, escaped for a terminal.
pub fn render_text(listing: &Listing) -> Vec<String> {
    let mut lines = vec![
        format!("Agent: {}", escape_control(&listing.agent_id)),
        format!("Auth file: {}", escape_control(&listing.store_path)),
    ];
    if listing.profiles.is_empty() {
        lines.push("No credentials.".into());
    }
    for e in &listing.profiles {
        let from = e.inherited_from.as_deref().map(|o| format!(", inherited from {}", escape_control(o)));
        let mut head = format!(
            "- {} ({}/{}, {}{}): {}",
            escape_control(&e.id),
            escape_control(&e.provider),
            e.kind,
            e.source.label(),
            from.unwrap_or_default(),
            e.status
        );
        if e.reason_code != e.status {
            head.push_str(&format!(" [{}]", escape_control(&e.reason_code)));
        }
        lines.push(head);
        lines.push(format!("    secret: {}", escape_control(&e.masked)));
        if let Some(r) = &e.secret_ref {
            let why = r.reason.as_deref().map(|w| format!(": {w}")).unwrap_or_default();
            lines.push(format!("    ref: {} ({}{why})", r.reference, r.state));
        }
        if let Some(email) = &e.email {
            lines.push(format!("    email: {}", escape_control(email)));
        }
        if let Some(t) = &e.expires_at {
            lines.push(format!("    expires: {t}"));
        }
        if let Some(t) = &e.cooldown_until {
            let why = e.cooldown_reason.as_deref().map(|r| format!(" ({})", escape_control(r))).unwrap_or_default();
            lines.push(format!("    cooldown until: {t}{why}"));
        }
        if let Some(t) = &e.disabled_until {
            let why = e.disabled_reason.as_deref().map(|r| format!(" ({})", escape_control(r))).unwrap_or_default();
            lines.push(format!("    disabled until: {t}{why}"));
        }
        if let Some(h) = &e.recovery_hint {
            lines.push(format!("    hint: {h}"));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Env;
    use crate::world::{FileRead, MapWorld};

    /// Sources are equal when they read the same in a listing.
    #[test]
    fn sources_are_equal_by_their_word() {
        let [claude, codex] = [0, 1].map(|i| Source::Synced(crate::logins::LOGIN_SOURCES[i]));
        assert_eq!(claude, Source::Synced(crate::logins::LOGIN_SOURCES[0]));
        assert_ne!(claude, codex);
        assert_ne!(Source::Store, Source::Env);
        assert_ne!(Source::Store, claude);
    }

    const NOW: i64 = 1_767_225_600_000;

    fn loaded(store: &str, env: Env) -> Loaded {
        let mut w = MapWorld::default();
        w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text(store));
        crate::load::load(&w, &env, NOW, None)
    }

    #[test]
    fn entries_carry_status_reason_backoff_and_hint_without_secrets() {
        let store = format!(
            r#"{{"version":1,"profiles":{{
              "anthropic:k":{{"type":"api_key","provider":"anthropic","key":"sk-FAKE-0123456789-SECRETMIDDLE-abcdefgh"}},
              "openai-codex:codex-cli":{{"type":"oauth","provider":"openai-codex","access":"FAKE-a","refresh":"FAKE-r","expires":{exp},"email":"me@example.com"}}}},
              "usageStats":{{"anthropic:k":{{"disabledUntil":{until},"disabledReason":"billing","failureCounts":{{"billing":1}}}}}}}}"#,
            exp = NOW - 1,
            until = NOW + 3_600_000
        );
        let l = list(&loaded(&store, Env::new("/h").with_var("OPENAI_API_KEY", "sk-FAKE-env-key-0123456789")), None);
        assert_eq!(l.agent_id, "main");
        assert_eq!(l.store_path, "~/.clawdbot/agents/main/agent/auth-profiles.json");
        let k = &l.profiles[0];
        assert_eq!((k.status, k.reason_code.as_str(), k.source), ("disabled", "disabled-billing", Source::Store));
        assert_eq!(k.disabled_until.as_deref(), Some("2026-01-01T01:00:00Z"));
        assert!(k.recovery_hint.as_deref().unwrap().contains("cooldown clear anthropic:k"));
        let c = &l.profiles[1];
        // A login with a refresh token renews itself: ok (issue 12), its
        // access token's expiry still shown.
        assert_eq!(
            (c.status, c.source, c.email.as_deref()),
            ("ok", Source::of("openai-codex:codex-cli"), Some("me@example.com"))
        );
        assert_eq!(c.expires_at.as_deref(), Some("2025-12-31T23:59:59.999Z"));
        let e = &l.profiles[2];
        assert_eq!((e.id.as_str(), e.source), ("env:OPENAI_API_KEY", Source::Env));
        let json = serde_json::to_string(&l).unwrap();
        assert!(!json.contains("SECRETMIDDLE") && !json.contains("FAKE-env"), "{json}");
        assert!(!json.contains("cooldownUntil"), "absent fields are omitted");
        let text = render_text(&l).join("\n");
        assert!(!text.contains("SECRETMIDDLE"), "{text}");
        assert!(text.contains("disabled until: 2026-01-01T01:00:00Z (billing)"), "{text}");
    }

    #[test]
    fn the_provider_filter_takes_any_spelling() {
        let store = r#"{"version":1,"profiles":{"zai:k":{"type":"api_key","provider":"zai","key":"FAKE-k"},
                       "anthropic:k":{"type":"api_key","provider":"anthropic","key":"FAKE-k"}}}"#;
        let l = list(&loaded(store, Env::new("/h")), Some("Z.AI"));
        assert_eq!(l.profiles.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["zai:k"]);
    }

    /// One profile of each status, reason and hint the list can give.
    fn every_case() -> Listing {
        let store = format!(
            r#"{{"version":1,"profiles":{{
              "anthropic:nokey":{{"type":"api_key","provider":"anthropic","key":"  "}},
              "openai:off":{{"type":"api_key","provider":"openai","key":"sk-FAKE-off-0123456789abcdef"}},
              "openai:cool":{{"type":"api_key","provider":"openai","key":"FAKE-cool"}},
              "openai:bill":{{"type":"api_key","provider":"openai","key":"FAKE-bill"}},
              "zai:soon":{{"type":"token","provider":"zai","token":"FAKE-soon-token","expires":{soon},"email":"z@example.com"}},
              "zai:gone":{{"type":"token","provider":"zai","token":"FAKE-gone-token","expires":{gone}}},
              "minimax-portal:old":{{"type":"oauth","provider":"minimax-portal","access":"FAKE-access-minimax","refresh":"FAKE-r","expires":{gone}}},
              "minimax-portal:norefresh":{{"type":"oauth","provider":"minimax-portal","access":"FAKE-access-2","refresh":" ","expires":{soon}}},
              "minimax-portal:noexp":{{"type":"oauth","provider":"minimax-portal","refresh":"FAKE-refresh-only"}},
              "groq:fine":{{"type":"token","provider":"groq","token":"FAKE-groq-token","expires":{later}}},
              "groq:static":{{"type":"token","provider":"groq","token":"FAKE-groq-static"}},
              "anthropic:claude-cli":{{"type":"token","provider":"anthropic","token":"FAKE-claude"}},
              "openai-codex:codex-cli":{{"type":"api_key","provider":"openai-codex","key":"FAKE-codex"}}}},
              "usageStats":{{
                "openai:off":{{"disabledUntil":{hour},"cooldownUntil":{hour},"failureCounts":{{"auth":0}}}},
                "openai:bill":{{"disabledUntil":{hour},"disabledReason":"billing"}},
                "openai:cool":{{"cooldownUntil":{minute},"disabledUntil":{now},"disabledReason":"billing",
                               "failureCounts":{{"auth":1,"rate_limit":2,"format":2,"timeout":0}}}},
                "groq:fine":{{"cooldownUntil":{now},"failureCounts":{{"auth":3}}}}}}}}"#,
            soon = NOW + 3_600_000,
            gone = NOW - 1,
            later = NOW + 2 * 86_400_000,
            hour = NOW + 3_600_000,
            minute = NOW + 60_000,
            now = NOW,
        );
        let env = Env::new("/h")
            .with_var("ANTHROPIC_OAUTH_TOKEN", "sk-ant-oat01-FAKE-env-0123456789")
            .with_var("GROQ_API_KEY", "gsk-FAKE-env-0123456789");
        list(&loaded(&store, env), None)
    }

    #[test]
    fn the_text_form_shows_each_status_reason_and_hint() {
        let text = render_text(&every_case());
        let want = [
            "Agent: main",
            "Auth file: ~/.clawdbot/agents/main/agent/auth-profiles.json",
            "- anthropic:nokey (anthropic/api_key, store): missing-secret",
            "    secret: missing",
            "    hint: Paste a new key: `clawdbot models auth paste-api-key --provider anthropic --profile-id anthropic:nokey`.",
            "- openai:off (openai/api_key, store): disabled [disabled-unknown]",
            "    secret: sk-FAKE-...89abcdef",
            "    cooldown until: 2026-01-01T01:00:00Z",
            "    disabled until: 2026-01-01T01:00:00Z",
            "    hint: Wait for the disable to end, or run `clawdbot models auth cooldown clear openai:off` once the cause is gone.",
            "- openai:cool (openai/api_key, store): cooldown",
            "    secret: FA...ol",
            "    cooldown until: 2026-01-01T00:01:00Z (rate_limit)",
            "    hint: Wait for the cooldown to end, or run `clawdbot models auth cooldown clear openai:cool` once the cause is gone.",
            "- openai:bill (openai/api_key, store): disabled [disabled-billing]",
            "    secret: FA...ll",
            "    disabled until: 2026-01-01T01:00:00Z (billing)",
            "    hint: Top up credits (provider billing), or run `clawdbot models auth cooldown clear openai:bill` once the cause is gone.",
            "- zai:soon (zai/token, store): expiring",
            "    secret: FA...en",
            "    email: z@example.com",
            "    expires: 2026-01-01T01:00:00Z",
            "    hint: Paste a new token with its lifetime: `clawdbot models auth paste-token --provider zai --profile-id zai:soon \
             --expires-in <lifetime>` (e.g. 90d), so its expiry is warned about again.",
            "- zai:gone (zai/token, store): expired",
            "    secret: FA...en",
            "    expires: 2025-12-31T23:59:59.999Z",
            "    hint: Paste a new token with its lifetime: `clawdbot models auth paste-token --provider zai --profile-id zai:gone \
             --expires-in <lifetime>` (e.g. 90d), so its expiry is warned about again.",
            "- minimax-portal:old (minimax-portal/oauth, store): expired",
            "    secret: FAKE-acc...-minimax",
            "    expires: 2025-12-31T23:59:59.999Z",
            "    hint: Run `clawdbot models auth refresh --profile minimax-portal:old`; if that fails: Paste a new token: \
             `clawdbot models auth paste-token --provider minimax-portal --profile-id minimax-portal:old`.",
            "- minimax-portal:norefresh (minimax-portal/oauth, store): expiring",
            "    secret: FA...-2",
            "    expires: 2026-01-01T01:00:00Z",
            "    hint: Paste a new token: `clawdbot models auth paste-token --provider minimax-portal --profile-id minimax-portal:norefresh`.",
            "- minimax-portal:noexp (minimax-portal/oauth, store): unknown [expiry-unknown]",
            "    secret: FAKE-ref...esh-only",
            "    hint: Paste a new token: `clawdbot models auth paste-token --provider minimax-portal --profile-id minimax-portal:noexp`.",
            "- groq:fine (groq/token, store): ok",
            "    secret: FA...en",
            "    expires: 2026-01-03T00:00:00Z",
            "- groq:static (groq/token, store): static",
            "    secret: FA...ic",
        ];
        assert_eq!(text[..want.len()], want);
        let rest: Vec<&str> = text[want.len()..].iter().filter(|l| l.starts_with("- ")).map(String::as_str).collect();
        assert_eq!(
            rest,
            [
                "- anthropic:claude-cli (anthropic/token, Claude Code): static",
                "- openai-codex:codex-cli (openai-codex/api_key, Codex CLI): static",
                "- env:ANTHROPIC_OAUTH_TOKEN (anthropic/token, env): static",
                "- env:GROQ_API_KEY (groq/api_key, env): static",
            ]
        );
        assert_eq!(text.last().map(String::as_str), Some("    secret: gsk-FAKE...23456789"));
    }

    #[test]
    fn the_json_form_has_each_field_only_when_it_applies() {
        let l = every_case();
        let json = serde_json::to_value(&l).unwrap();
        let by_id = |id: &str| json["profiles"].as_array().unwrap().iter().find(|e| e["id"] == id).unwrap().clone();
        assert_eq!(
            by_id("openai:cool"),
            serde_json::json!({"id": "openai:cool", "provider": "openai", "type": "api_key", "source": "store",
                "status": "cooldown", "reasonCode": "cooldown", "cooldownUntil": "2026-01-01T00:01:00Z",
                "cooldownReason": "rate_limit",
                "recoveryHint": "Wait for the cooldown to end, or run `clawdbot models auth cooldown clear openai:cool` once the cause is gone."})
        );
        assert_eq!(by_id("openai:bill")["disabledReason"], "billing", "the reason of a running disable");
        assert_eq!(
            by_id("groq:fine"),
            serde_json::json!({"id": "groq:fine", "provider": "groq", "type": "token", "source": "store",
                "expiresAt": "2026-01-03T00:00:00Z", "status": "ok", "reasonCode": "ok"}),
            "a backoff ending exactly now is over"
        );
        assert_eq!(by_id("anthropic:claude-cli")["source"], "claude-code");
        assert_eq!(by_id("openai-codex:codex-cli")["source"], "codex-cli");
        assert_eq!(by_id("env:GROQ_API_KEY")["source"], "env");
        assert_eq!(l.agent_dir, "~/.clawdbot/agents/main/agent");
        assert_eq!(by_id("openai:off").get("cooldownReason"), None, "a count of zero is no reason");
    }

    #[test]
    fn an_expiry_of_1e16_has_no_made_up_date_in_the_list_and_keeps_its_number_in_status() {
        // chrono cannot hold 1e16 ms; the list once said 1970-01-01.
        let store = r#"{"version":1,"profiles":{
              "zai:far":{"type":"token","provider":"zai","token":"FAKE-far-token","expires":1e16}},
              "usageStats":{"zai:far":{"cooldownUntil":1e16}}}"#;
        let l = loaded(store, Env::new("/h"));
        let listed = list(&l, None);
        let json = serde_json::to_value(&listed).unwrap();
        let entry = &json["profiles"][0];
        assert_eq!((&entry["id"], &entry["status"]), (&serde_json::json!("zai:far"), &serde_json::json!("cooldown")));
        assert_eq!(entry.get("expiresAt"), None, "{entry}");
        assert_eq!(entry.get("cooldownUntil"), None, "{entry}");
        let text = render_text(&listed).join("\n");
        assert!(!text.contains("1970") && !text.contains("expires:"), "{text}");
        // `models status --json` gives the same instant as the number it is.
        let profile = l.store.profile("zai:far").unwrap();
        let health = crate::health::profile_health(&l.config.config, &l.refs, "zai:far", profile, NOW, 86_400_000);
        assert_eq!(serde_json::to_value(&health).unwrap()["expiresAt"], serde_json::json!(1e16));
    }

    #[test]
    fn entry_of_the_one_verdict_is_the_listed_entry() {
        let store = r#"{"version":1,"profiles":{"zai:k":{"type":"api_key","provider":"zai","key":"FAKE-k"}}}"#;
        let l = loaded(store, Env::new("/h"));
        let profile = l.store.profile("zai:k").unwrap();
        let health = l.assess("zai:k", HealthRules::default()).unwrap();
        assert_eq!(entry_of(&health, profile, &l.refs, None, NOW), list(&l, None).profiles[0]);
    }

    #[test]
    fn the_filter_applies_to_environment_keys_too() {
        let env = Env::new("/h").with_var("GROQ_API_KEY", "gsk-FAKE-env").with_var("OPENAI_API_KEY", "sk-FAKE-env");
        let l = list(&loaded(r#"{"version":1,"profiles":{}}"#, env), Some("groq"));
        assert_eq!(l.profiles.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["env:GROQ_API_KEY"]);
    }

    #[test]
    fn an_empty_list_says_so_and_file_text_is_escaped() {
        let empty = list(&loaded(r#"{"version":1,"profiles":{}}"#, Env::new("/h")), None);
        assert_eq!(render_text(&empty)[2..], ["No credentials."]);
        let store = format!(
            r#"{{"version":1,"profiles":{{"openai:e\u001b":{{"type":"api_key","provider":"open\u001bai","key":"FAKE-key","email":"m\u001b@x"}}}},
               "usageStats":{{"openai:e\u001b":{{"disabledUntil":{u},"cooldownUntil":{u},"disabledReason":"bi\u001bll","failureCounts":{{"r\u001b":1}}}}}}}}"#,
            u = NOW + 60_000
        );
        let text = render_text(&list(&loaded(&store, Env::new("/h")), None)).join("\n");
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(
            text.contains("- openai:e\\u{1b} (open\\u{1b}ai/api_key, store): disabled [disabled-bi\\u{1b}ll]"),
            "{text}"
        );
        assert!(text.contains("    email: m\\u{1b}@x"), "{text}");
        assert!(text.contains("    cooldown until: 2026-01-01T00:01:00Z (r\\u{1b})"), "{text}");
        assert!(text.contains("    disabled until: 2026-01-01T00:01:00Z (bi\\u{1b}ll)"), "{text}");
        assert!(text.contains("cooldown clear openai:e\\u{1b}` once"), "{text}");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn no_listed_form_holds_a_whole_secret(
                key in "[A-Za-z0-9_-]{17,64}",
                until in proptest::option::of(0i64..4_000_000_000_000),
                reason in proptest::option::of("[a-z_]{1,12}"),
                expires in proptest::option::of(-1e15f64..1e16),
            ) {
                let mut stats = serde_json::json!({});
                if let Some(u) = until { stats["cooldownUntil"] = u.into(); stats["disabledUntil"] = u.into(); }
                if let Some(r) = &reason { stats["disabledReason"] = r.clone().into(); stats["failureCounts"] = serde_json::json!({r.clone(): 1}); }
                let mut login = serde_json::json!({"type": "oauth", "provider": "p", "access": key, "refresh": key});
                if let Some(e) = expires { login["expires"] = e.into(); }
                let store = serde_json::json!({"version": 1, "profiles": {
                    "p:k": {"type": "api_key", "provider": "p", "key": key}, "p:o": login},
                    "usageStats": {"p:k": stats.clone(), "p:o": stats}});
                let l = list(&loaded(&store.to_string(), Env::new("/h")), None);
                let shown = format!("{}{}", serde_json::to_string(&l).unwrap(), render_text(&l).join("\n"));
                prop_assert!(!shown.contains(&key));
            }
        }
    }
}
