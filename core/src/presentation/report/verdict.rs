//! What `models status --check` answers: can the gateway serve the models
//! it is configured for? (issue 12 item 4)
//!
//! The reference counted every stored profile: an expired spare profile
//! that no model would use made `--check` fail although every request
//! succeeded, and an alert that cries wolf gets switched off. Here each
//! provider in use (default model, fallbacks, image models, the configured
//! models) is judged by the credentials a request would try, in the order
//! it would try them, env and `models.json` keys included:
//!
//! - `ok` when one of them is usable and ok (or a key that does not expire);
//! - `expiring` when the best usable one expires within the window;
//! - `failing` when none is usable.
//!
//! Problems of profiles that did not decide a verdict are warnings, shown
//! in the text and in `--json`, never an exit code. A file Clawdbot owns
//! that cannot be read is still exit 1: nothing can be judged behind it.
//! `--strict` keeps the reference's rule ([`strict_code`]).

use super::{CheckCode, ReportOptions};
use crate::env_auth::{config_key, env_key_from};
use crate::health::{HealthStatus, HealthSummary, ProfileHealth, Standing};
use crate::load::Loaded;
use crate::order::resolve_order;
use crate::store::CredentialType;
use crate::usage::Backoff;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One provider's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// A credential a request would try is usable and not expiring soon.
    Ok,
    /// The best usable credential expires within the warning window.
    Expiring,
    /// No credential a request would try is usable.
    Failing,
}

/// One provider in use and how `--check` judged it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderVerdict {
    /// Provider id, as the configured models name it.
    pub provider: String,
    /// Its verdict.
    pub status: Verdict,
    /// The credential that decided it: a profile id, or where a key came
    /// from (`env: ANTHROPIC_API_KEY`, `models.json`). None when failing.
    pub via: Option<String>,
}

/// `auth.check` of `--json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckSection {
    /// `in-use` (the default) or `strict` (the reference's rule).
    pub rule: &'static str,
    /// The exit code `--check` gives (serialised as its number).
    #[serde(serialize_with = "ser_code")]
    pub code: CheckCode,
    /// Every provider the configured models use, judged.
    pub in_use: Vec<ProviderVerdict>,
    /// Problems that did not decide the code, for people to look at.
    pub warnings: Vec<String>,
    /// What `--probe` found that decided the code: credentials their
    /// provider refused (`auth`, `billing`), and with `--strict` the ones
    /// the probe could not prove. Absent without `--probe`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<String>,
    /// Providers failing only because `auth.profiles` names profiles that
    /// cannot be used (doctor reports each, `--check` warns).
    #[serde(skip)]
    pub restricted: Vec<Restricted>,
}

/// A provider in use that `auth.profiles` in the shared config restricts
/// to profiles that cannot be used, while others of its profiles could be.
#[derive(Debug, Clone, PartialEq)]
pub struct Restricted {
    /// The provider, normalised.
    pub provider: String,
    /// The entries that restrict it (profile ids this store holds).
    pub named: Vec<String>,
    /// Its usable profiles the entries leave out.
    pub left_out: Vec<String>,
}

impl std::fmt::Display for Restricted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is failing because auth.profiles in clawdbot.json names only {} for it; {} would work but is left \
             out (add it to auth.profiles, or remove the entries)",
            self.provider,
            self.named.join(", "),
            self.left_out.join(", ")
        )
    }
}

fn ser_code<S: serde::Serializer>(code: &CheckCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i32(code.code())
}

/// What a profile gives a request, by the one verdict: nothing when it
/// needs a person ([`crate::health::Standing::usable`]), else its health.
/// A profile backing off is counted by its health (it is tried last, and
/// works again when its backoff ends); the warnings say when a provider has
/// nothing else.
fn usable(p: &ProfileHealth) -> Option<Verdict> {
    if !p.standing.usable() {
        return None;
    }
    match p.status {
        HealthStatus::Ok | HealthStatus::Static => Some(Verdict::Ok),
        HealthStatus::Expiring => Some(Verdict::Expiring),
        // A ref that failed, or was not allowed to run, fails closed.
        HealthStatus::Expired | HealthStatus::Missing | HealthStatus::Failing | HealthStatus::Unchecked => None,
    }
}

/// Judges a load whose profiles `oauth` classified.
pub fn judge(
    loaded: &Loaded,
    oauth: &HealthSummary,
    missing_in_use: &[String],
    options: &ReportOptions,
) -> CheckSection {
    let cfg = &loaded.config.config;
    let by_id: HashMap<&str, &ProfileHealth> = oauth.profiles.iter().map(|p| (p.profile_id.as_str(), p)).collect();
    let mut in_use = Vec::new();
    let mut deciding: Vec<&str> = Vec::new();
    let mut warnings = Vec::new();
    // The profiles requests would try, for `--probe`: a refusal of one of
    // them is a credential in use.
    let mut ordered: HashSet<String> = HashSet::new();
    for provider in cfg.providers_configured() {
        let mut best: Option<(Verdict, String)> = None;
        // The usable profiles requests would try, and whether one of them
        // is free of any backoff.
        let (mut backing_off, mut any_free) = (Vec::new(), false);
        let mut closed = false;
        let order = resolve_order(cfg, &loaded.store, &provider, None, loaded.now);
        if options.probes.is_some() {
            ordered.extend(order.iter().cloned());
        }
        for id in order {
            let judged = by_id.get(id.as_str()).copied();
            // A ref that fails before anything usable fails the provider:
            // nothing after it, not even the environment, stands in.
            if best.is_none() && judged.is_some_and(|p| matches!(p.standing, Standing::Failing | Standing::NotChecked))
            {
                closed = true;
                deciding.push(judged.map_or("", |p| p.profile_id.as_str()));
                break;
            }
            let Some((p, verdict)) = judged.and_then(|p| Some((p, usable(p)?))) else {
                continue;
            };
            match &p.backoff {
                Some(b) if p.standing.backing_off() => backing_off.push((p, b)),
                _ => any_free = true,
            }
            if best.as_ref().is_none_or(|(b, _)| *b == Verdict::Expiring && verdict == Verdict::Ok) {
                best = Some((verdict, id));
            }
        }
        if !any_free && !backing_off.is_empty() {
            warnings.push(all_backing_off(&provider, &backing_off));
        }
        if !closed && best.as_ref().is_none_or(|(b, _)| *b != Verdict::Ok) {
            // A key a probe of this run found refused stands in for nothing.
            let refused = |label: &str| {
                options.probes.as_ref().is_some_and(|run| {
                    run.refusals().any(|r| r.profile_id.is_none() && r.provider == provider && r.label == label)
                })
            };
            let key = env_key_from(&provider, &loaded.env, &options.shell_applied, &loaded.dotenv, loaded.gcloud_adc)
                .map(|k| k.source)
                .filter(|source| !refused(source))
                .or_else(|| config_key(&provider, cfg).map(|_| "models.json".to_string()).filter(|l| !refused(l)));
            if let Some(source) = key {
                best = Some((Verdict::Ok, source));
            }
        }
        if let Some((_, id)) = &best
            && let Some(p) = by_id.get(id.as_str())
        {
            deciding.push(&p.profile_id);
        }
        let (status, via) = best.map_or((Verdict::Failing, None), |(v, via)| (v, Some(via)));
        in_use.push(ProviderVerdict { provider, status, via });
    }

    let failing: Vec<&str> =
        in_use.iter().filter(|v| v.status == Verdict::Failing).map(|v| v.provider.as_str()).collect();
    for p in oauth.profiles.iter().filter(|p| p.kind != CredentialType::ApiKey) {
        let cause_of_failure = failing.contains(&crate::provider::normalize(&p.provider).as_str());
        if deciding.contains(&p.profile_id.as_str()) || cause_of_failure || usable(p) == Some(Verdict::Ok) {
            continue;
        }
        let in_use_provider = in_use.iter().any(|v| v.provider == crate::provider::normalize(&p.provider));
        let why = if in_use_provider { "requests use another credential" } else { "no model in use needs it" };
        warnings.push(format!("{} is {}; {why}", p.profile_id, p.standing.word()));
    }
    // A provider failing because `auth.profiles` in the shared config names
    // only profiles that cannot be used, while another of its profiles
    // could: say which entry takes it away.
    let mut restricted = Vec::new();
    for provider in &failing {
        let named: Vec<&str> = cfg
            .auth
            .profiles
            .iter()
            .filter(|(id, e)| {
                loaded.store.profiles.contains_key(*id)
                    && e.provider.as_deref().is_some_and(|p| crate::provider::normalize(p) == *provider)
            })
            .map(|(id, _)| id.as_str())
            .collect();
        let left_out: Vec<&str> = oauth
            .profiles
            .iter()
            .filter(|p| p.provider == *provider && usable(p).is_some() && !named.contains(&p.profile_id.as_str()))
            .map(|p| p.profile_id.as_str())
            .collect();
        if !named.is_empty() && !left_out.is_empty() {
            let to_owned = |ids: Vec<&str>| ids.into_iter().map(str::to_string).collect();
            let r = Restricted { provider: provider.to_string(), named: to_owned(named), left_out: to_owned(left_out) };
            warnings.push(r.to_string());
            restricted.push(r);
        }
    }
    // A tool's own variable set while its provider fails: the operator
    // probably expects the gateway to read it.
    for source in crate::logins::LOGIN_SOURCES {
        if let Some((var, advice)) = source.headless
            && failing.contains(&source.provider)
            && loaded.env.get(var).is_some()
        {
            warnings.push(advice.to_string());
        }
    }

    let mut code = if options.strict {
        strict_code(loaded, oauth, missing_in_use)
    } else if loaded.has_errors() || !failing.is_empty() {
        CheckCode::Action
    } else if in_use.iter().any(|v| v.status == Verdict::Expiring) {
        CheckCode::Expiring
    } else {
        CheckCode::Ok
    };
    // `--probe` (issue 26): a credential in use that its provider refused
    // needs a person. In use: a profile that requests of a provider in use
    // would try, or an env or `models.json` key such a provider falls back
    // to. A refused spare (left out of the order, or of a provider no
    // model uses, probed because it was named) is a warning, as is a
    // credential the probe could not prove; `--strict` counts both, as it
    // counts every stored profile.
    let mut probes = Vec::new();
    if let Some(run) = &options.probes {
        let in_use_provider = |p: &str| in_use.iter().any(|v| v.provider == p);
        for r in run.refusals() {
            let used = match &r.profile_id {
                Some(id) => ordered.contains(id),
                None => in_use_provider(&r.provider),
            };
            let line = format!("{} ({}): refused by the provider: {}", r.label, r.provider, r.words());
            if used || options.strict {
                probes.push(line);
                code = code.worst(CheckCode::Action);
            } else {
                warnings.push(format!("{line}; no request uses it"));
            }
        }
        for r in run.inconclusive() {
            let line = format!("{} ({}): the probe proved nothing: {}", r.label, r.provider, r.words());
            if options.strict {
                probes.push(line);
                code = code.worst(CheckCode::Action);
            } else {
                warnings.push(line);
            }
        }
    }
    CheckSection { rule: if options.strict { "strict" } else { "in-use" }, code, in_use, warnings, probes, restricted }
}

/// The warning for a provider in use whose every usable profile is cooling
/// down or disabled (issue 23 item 7): requests still try them, last, and
/// each may fail the same way until its backoff ends.
fn all_backing_off(provider: &str, profiles: &[(&ProfileHealth, &Backoff)]) -> String {
    const SHOWN: usize = 3;
    let mut named: Vec<String> =
        profiles.iter().take(SHOWN).map(|(p, b)| format!("{} {}", p.profile_id, b.label())).collect();
    if profiles.len() > SHOWN {
        named.push(format!("{} more", profiles.len() - SHOWN));
    }
    format!(
        "{provider}: every profile its requests would use is cooling down or disabled ({}); requests may fail \
         until one is free: see `clawdbot models auth list --provider {provider}`",
        named.join(", ")
    )
}

/// The reference's rule: any stored OAuth or token profile expired or
/// without an expiry, a provider in use without any credential, or an
/// unreadable file is 1; any expiring one is 2.
pub fn strict_code(loaded: &Loaded, oauth: &HealthSummary, missing_in_use: &[String]) -> CheckCode {
    let timed: Vec<HealthStatus> =
        oauth.profiles.iter().filter(|p| p.kind != CredentialType::ApiKey).map(|p| p.status).collect();
    if loaded.has_errors() || !missing_in_use.is_empty() || timed.iter().any(|s| s.is_bad()) {
        CheckCode::Action
    } else if timed.contains(&HealthStatus::Expiring) {
        CheckCode::Expiring
    } else {
        CheckCode::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Env;
    use crate::world::{FileRead, MapWorld};

    const NOW: i64 = 1_767_225_600_000;
    const HOUR: i64 = 3_600_000;
    const STORE: &str = "/h/.clawdbot/agents/main/agent/auth-profiles.json";

    fn report(files: &[(&str, String)], env: Env, strict: bool) -> super::super::StatusReport {
        let mut w = MapWorld::default();
        for (path, text) in files {
            w.files.insert(path.to_string(), FileRead::text(text.clone()));
        }
        let loaded = crate::load::load(&w, &env, NOW, None);
        super::super::build(&loaded, &ReportOptions { strict, ..ReportOptions::default() })
    }

    fn store(profiles: &str) -> (&'static str, String) {
        (STORE, format!(r#"{{"version":1,"profiles":{{{profiles}}}}}"#))
    }

    fn token(id: &str, provider: &str, expires: i64) -> String {
        format!(r#""{id}":{{"type":"token","provider":"{provider}","token":"t-FAKE","expires":{expires}}}"#)
    }

    #[test]
    fn an_expired_spare_profile_nothing_uses_is_a_warning_not_an_exit_code() {
        let files = [store(&format!(
            "{},{}",
            token("anthropic:main", "anthropic", NOW + 30 * 24 * HOUR),
            token("openai:spare", "openai", NOW - HOUR)
        ))];
        let r = report(&files, Env::new("/h"), false);
        assert_eq!(r.auth.check.code, CheckCode::Ok);
        assert_eq!(
            r.auth.check.in_use,
            [ProviderVerdict { provider: "anthropic".into(), status: Verdict::Ok, via: Some("anthropic:main".into()) }]
        );
        assert_eq!(r.auth.check.warnings, ["openai:spare is expired; no model in use needs it"]);
        // The reference's rule counts it.
        assert_eq!(report(&files, Env::new("/h"), true).auth.check.code, CheckCode::Action);
    }

    #[test]
    fn a_provider_is_as_good_as_the_best_credential_a_request_would_try() {
        let expired_and_ok = [store(&format!(
            "{},{}",
            token("anthropic:a", "anthropic", NOW - HOUR),
            token("anthropic:b", "anthropic", NOW + 30 * 24 * HOUR)
        ))];
        let r = report(&expired_and_ok, Env::new("/h"), false);
        assert_eq!((r.auth.check.code, r.auth.check.in_use[0].via.as_deref()), (CheckCode::Ok, Some("anthropic:b")));
        assert_eq!(r.auth.check.warnings, ["anthropic:a is expired; requests use another credential"]);

        let expiring = [store(&token("anthropic:a", "anthropic", NOW + 3 * HOUR))];
        assert_eq!(report(&expiring, Env::new("/h"), false).auth.check.code, CheckCode::Expiring);
        let with_key = Env::new("/h").with_var("ANTHROPIC_API_KEY", "sk-ant-api03-FAKE");
        let r = report(&expiring, with_key, false);
        assert_eq!(
            (r.auth.check.code, r.auth.check.in_use[0].via.as_deref()),
            (CheckCode::Ok, Some("env: ANTHROPIC_API_KEY"))
        );

        let expired = [store(&token("anthropic:a", "anthropic", NOW - HOUR))];
        let r = report(&expired, Env::new("/h"), false);
        assert_eq!((r.auth.check.code, r.auth.check.in_use[0].status), (CheckCode::Action, Verdict::Failing));
        assert!(r.auth.check.warnings.is_empty(), "the cause of a failure is no mere warning");
    }

    #[test]
    fn configured_models_count_as_in_use() {
        let config =
            ("/h/.clawdbot/clawdbot.json", r#"{"agents":{"defaults":{"models":{"openai/gpt-5.2":{}}}}}"#.to_string());
        let files = [config, store(&token("anthropic:a", "anthropic", NOW + 30 * 24 * HOUR))];
        let r = report(&files, Env::new("/h"), false);
        let providers: Vec<(&str, Verdict)> =
            r.auth.check.in_use.iter().map(|v| (v.provider.as_str(), v.status)).collect();
        assert_eq!(providers, [("anthropic", Verdict::Ok), ("openai", Verdict::Failing)]);
        assert_eq!(r.auth.check.code, CheckCode::Action);
    }

    #[test]
    fn a_key_in_the_state_dirs_dotenv_is_an_env_credential_named_with_its_file() {
        let files = [("/h/.clawdbot/.env", "ANTHROPIC_API_KEY=sk-ant-api03-FAKE-dotenv\nnot a line\n".to_string())];
        let r = report(&files, Env::new("/h"), false);
        assert_eq!(r.auth.check.code, CheckCode::Ok);
        let source = r.auth.providers.iter().find(|p| p.provider == "anthropic").and_then(|p| p.env.clone());
        assert_eq!(source.map(|s| s.source).as_deref(), Some("env: ANTHROPIC_API_KEY (~/.clawdbot/.env)"));
        let diag = serde_json::to_value(&r.auth).unwrap()["diagnostics"].clone();
        assert_eq!(diag[0]["severity"], "warning");
        assert_eq!(diag[0]["path"], "~/.clawdbot/.env");
        assert_eq!(diag[0]["message"], "line 2 is not NAME=value; ignored");
        assert_eq!(diag[0]["hints"], serde_json::json!([crate::dotenv::BAD_LINE_HINT]));
        // A variable already set wins over the file.
        let set = Env::new("/h").with_var("ANTHROPIC_API_KEY", "sk-ant-api03-FAKE-process");
        let source = report(&files, set, false).auth.providers[0].env.clone().map(|s| s.source);
        assert_eq!(source.as_deref(), Some("env: ANTHROPIC_API_KEY"));
    }

    #[test]
    fn a_dotenv_key_that_is_not_utf8_or_holds_control_characters_is_no_key_anywhere() {
        // Issue 23 item 9: `--check` counted a key holding an escape as ok
        // while `token` refused it, and handed out an invalid-UTF-8 one with
        // U+FFFD in it. One rule: such a key is no key, with a warning
        // naming the file and the line.
        let dotenv =
            b"# keys\nANTHROPIC_API_KEY=\"sk-ant-api03-FAKE\x1b[2J\"\nOPENAI_API_KEY=sk-FAKE-\xff\xfe-key\n".to_vec();
        let config = r#"{"agents":{"defaults":{"model":{"primary":"anthropic/claude-opus-4-5","fallbacks":["openai/gpt-5.2"]}}}}"#;
        let mut w = MapWorld::default();
        w.files.insert("/h/.clawdbot/.env".into(), FileRead::Present { bytes: dotenv, mtime_ms: None });
        w.files.insert("/h/.clawdbot/clawdbot.json".into(), FileRead::text(config));
        let loaded = crate::load::load(&w, &Env::new("/h"), NOW, None);
        let r = super::super::build(&loaded, &ReportOptions::default());
        let failing: Vec<(&str, Verdict)> =
            r.auth.check.in_use.iter().map(|v| (v.provider.as_str(), v.status)).collect();
        assert_eq!(failing, [("anthropic", Verdict::Failing), ("openai", Verdict::Failing)]);
        assert_eq!(r.auth.check.code, CheckCode::Action);
        let said: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            [
                "~/.clawdbot/.env: line 2: the value of ANTHROPIC_API_KEY holds control characters; not used as a key",
                "~/.clawdbot/.env: line 3: the value of OPENAI_API_KEY is not valid UTF-8; not used as a key",
            ]
        );
        assert!(loaded.diagnostics.iter().all(|d| d.hints == [crate::env_auth::FLAWED_KEY_HINT]));
        for provider in ["anthropic", "openai"] {
            assert_eq!(
                crate::resolve::resolve_key(&loaded, provider, None),
                Err(crate::resolve::ResolveError::NoKey(provider.into())),
                "token hands out nothing either"
            );
        }
        assert_eq!(loaded.dotenv.holding_keys, ["/h/.clawdbot/.env"]);
    }

    #[test]
    fn cwd_dotenv_comes_first_and_may_move_the_state_dir() {
        let mut env = Env::new("/h");
        env.cwd = Some("/work".into());
        let files = [
            ("/work/.env", "CLAWDBOT_STATE_DIR=/srv/state\n".to_string()),
            ("/srv/state/.env", "OPENAI_API_KEY=sk-FAKE-openai\nANTHROPIC_API_KEY=sk-ant-api03-FAKE\n".to_string()),
        ];
        let r = report(&files, env, false);
        assert_eq!(r.auth.store_path, "/srv/state/agents/main/agent/auth-profiles.json");
        let sources: Vec<String> = r.auth.providers.iter().filter_map(|p| p.env.clone()).map(|e| e.source).collect();
        assert_eq!(sources, ["env: ANTHROPIC_API_KEY (/srv/state/.env)", "env: OPENAI_API_KEY (/srv/state/.env)"]);
    }

    #[test]
    fn claude_codes_own_variable_is_named_when_anthropic_has_nothing() {
        let env = Env::new("/h").with_var("CLAUDE_CODE_OAUTH_TOKEN", "sk-ant-oat01-FAKE");
        let r = report(&[], env, false);
        assert_eq!(r.auth.check.code, CheckCode::Action);
        assert!(
            r.auth.check.warnings[0].starts_with("CLAUDE_CODE_OAUTH_TOKEN is set, but the gateway does not read it")
        );
        assert!(!r.auth.check.warnings[0].contains("FAKE"));
    }

    #[test]
    fn an_unreadable_store_fails_the_check_and_shows_in_the_json_with_its_position_and_hint() {
        let r = report(&[(STORE, "{\"version\": 1,\n \"profiles\": {".to_string())], Env::new("/h"), false);
        assert_eq!(r.auth.check.code, CheckCode::Action);
        let d = &r.auth.diagnostics[0];
        assert_eq!(d.severity, crate::diag::Severity::Error);
        assert!(d.message.contains("line 2"), "{}", d.message);
        assert!(d.hints.iter().any(|h| h.contains("never writes over it")));
    }

    // Each test below pins a rule that a mutant once changed unnoticed
    // (issue 15).

    fn order(provider: &str, ids: &[&str]) -> (&'static str, String) {
        let ids: Vec<String> = ids.iter().map(|i| format!("\"{i}\"")).collect();
        ("/h/.clawdbot/clawdbot.json", format!(r#"{{"auth":{{"order":{{"{provider}":[{}]}}}}}}"#, ids.join(",")))
    }

    #[test]
    fn a_later_ok_credential_beats_an_earlier_expiring_one_and_not_the_reverse() {
        let profiles = store(&format!(
            "{},{},{}",
            token("anthropic:soon", "anthropic", NOW + 3 * HOUR),
            token("anthropic:good", "anthropic", NOW + 30 * 24 * HOUR),
            token("anthropic:good2", "anthropic", NOW + 40 * 24 * HOUR)
        ));
        let files = [profiles.clone(), order("anthropic", &["anthropic:soon", "anthropic:good", "anthropic:good2"])];
        let r = report(&files, Env::new("/h"), false);
        assert_eq!(
            r.auth.check.in_use,
            [ProviderVerdict { provider: "anthropic".into(), status: Verdict::Ok, via: Some("anthropic:good".into()) }]
        );
        assert_eq!(r.auth.check.code, CheckCode::Ok);
        assert_eq!(r.auth.check.warnings, ["anthropic:soon is expiring; requests use another credential"]);
        let files = [profiles, order("anthropic", &["anthropic:good", "anthropic:soon"])];
        let r = report(&files, Env::new("/h"), false);
        assert_eq!(r.auth.check.in_use[0].via.as_deref(), Some("anthropic:good"), "the first ok one stays");
    }

    #[test]
    fn an_env_or_config_key_stands_in_only_when_no_profile_is_ok() {
        let ok = [store(&token("anthropic:a", "anthropic", NOW + 30 * 24 * HOUR))];
        let with_key = Env::new("/h").with_var("ANTHROPIC_API_KEY", "sk-ant-api03-FAKE");
        let r = report(&ok, with_key, false);
        assert_eq!(r.auth.check.in_use[0].via.as_deref(), Some("anthropic:a"));
        let expiring = store(&token("anthropic:a", "anthropic", NOW + 3 * HOUR));
        let config = (
            "/h/.clawdbot/clawdbot.json",
            r#"{"models":{"providers":{"anthropic":{"apiKey":"sk-ant-FAKE-config"}}}}"#.to_string(),
        );
        let r = report(&[expiring, config], Env::new("/h"), false);
        assert_eq!(
            r.auth.check.in_use[0],
            ProviderVerdict { provider: "anthropic".into(), status: Verdict::Ok, via: Some("models.json".into()) }
        );
        assert_eq!(r.auth.check.code, CheckCode::Ok);
        assert_eq!(r.auth.check.warnings, ["anthropic:a is expiring; requests use another credential"]);
    }

    #[test]
    fn claude_code_s_variable_is_not_mentioned_when_anthropic_works() {
        let ok = [store(&token("anthropic:a", "anthropic", NOW + 30 * 24 * HOUR))];
        let env = Env::new("/h").with_var("CLAUDE_CODE_OAUTH_TOKEN", "sk-ant-oat01-FAKE");
        let r = report(&ok, env, false);
        assert_eq!(r.auth.check.warnings, Vec::<String>::new());
        let failing_other =
            [("/h/.clawdbot/clawdbot.json", r#"{"agents":{"defaults":{"model":"openai/gpt-5.2"}}}"#.to_string())];
        let env = Env::new("/h").with_var("CLAUDE_CODE_OAUTH_TOKEN", "sk-ant-oat01-FAKE");
        let r = report(&failing_other, env, false);
        assert_eq!(r.auth.check.code, CheckCode::Action);
        assert_eq!(r.auth.check.warnings, Vec::<String>::new(), "only anthropic failing names it");
    }

    #[test]
    fn the_strict_rule_counts_timed_profiles_missing_providers_and_files() {
        let key = r#""anthropic:k":{"type":"api_key","provider":"anthropic","key":"sk-ant-api03-FAKE"}"#;
        let ok = [store(&format!("{key},{}", token("anthropic:a", "anthropic", NOW + 30 * 24 * HOUR)))];
        assert_eq!(report(&ok, Env::new("/h"), true).auth.check.code, CheckCode::Ok);
        let expiring = [store(&format!("{key},{}", token("anthropic:a", "anthropic", NOW + 3 * HOUR)))];
        assert_eq!(report(&expiring, Env::new("/h"), true).auth.check.code, CheckCode::Expiring);
        let expired = [store(&format!("{key},{}", token("anthropic:a", "anthropic", NOW - HOUR)))];
        assert_eq!(report(&expired, Env::new("/h"), true).auth.check.code, CheckCode::Action);
        assert_eq!(report(&expired, Env::new("/h"), false).auth.check.code, CheckCode::Ok, "the key serves");
        let keys_only = [store(key)];
        assert_eq!(report(&keys_only, Env::new("/h"), true).auth.check.code, CheckCode::Ok);
        let missing = [
            store(key),
            (
                "/h/.clawdbot/clawdbot.json",
                r#"{"agents":{"defaults":{"model":{"fallbacks":["openai/gpt-5.2"]}}}}"#.to_string(),
            ),
        ];
        let r = report(&missing, Env::new("/h"), true);
        assert_eq!((r.auth.check.code, r.auth.check.rule), (CheckCode::Action, "strict"));
        let broken = [(STORE, "{ broken".to_string())];
        let env = Env::new("/h").with_var("ANTHROPIC_API_KEY", "sk-ant-api03-FAKE");
        assert_eq!(report(&broken, env.clone(), true).auth.check.code, CheckCode::Action);
        assert_eq!(
            report(&broken, env, false).auth.check.code,
            CheckCode::Action,
            "an unreadable store is 1 either way"
        );
    }

    const CLAUDE: &str = "/h/.claude/.credentials.json";

    /// Claude Code's dead-login stub is a sign-in that ended: `--check`
    /// says a human must act, whether or not the store holds a login yet,
    /// and the provider is never "missing".
    #[test]
    fn claude_codes_dead_login_stub_fails_the_check_stored_login_or_not() {
        let stub = (
            CLAUDE,
            r#"{"claudeAiOauth":{"accessToken":"","refreshToken":"","expiresAt":0,"loginEnded":"time_limit"}}"#
                .to_string(),
        );
        let live = store(&format!(
            r#""anthropic:claude-cli":{{"type":"oauth","provider":"anthropic","access":"a-FAKE","refresh":"r-FAKE","expires":{}}}"#,
            NOW + 3 * HOUR
        ));
        for files in [vec![stub.clone()], vec![stub.clone(), live]] {
            let r = report(&files, Env::new("/h"), false);
            assert_eq!(r.auth.check.code, CheckCode::Action, "{files:?}");
            assert!(r.auth.missing_providers_in_use.is_empty(), "{:?}", r.auth.missing_providers_in_use);
            let p = &r.auth.oauth.profiles[0];
            assert_eq!(
                (p.profile_id.as_str(), p.status, p.health_reason),
                ("anthropic:claude-cli", HealthStatus::Expired, Some(crate::health::SIGN_IN_ENDED))
            );
            assert_eq!(r.auth.check.in_use[0].status, Verdict::Failing);
            let text = super::super::render_text(&r, &Env::new("/h"), Default::default());
            assert!(
                text.contains("- anthropic:claude-cli expired: sign-in ended (loginEnded: time_limit): Sign in again: run `claude auth login` on the gateway host"),
                "{text}"
            );
            assert!(!text.contains("Missing auth"), "{text}");
        }
        // With another credential serving anthropic, only a warning.
        let env = Env::new("/h").with_var("ANTHROPIC_API_KEY", "sk-ant-api03-FAKE");
        let r = report(&[stub], env, false);
        assert_eq!(r.auth.check.code, CheckCode::Ok);
        assert_eq!(r.auth.check.warnings, ["anthropic:claude-cli is expired; requests use another credential"]);
    }

    /// A Claude Code sign-in that ends for good in 2 days is `expiring`
    /// (`--check` 2) although the access token renews itself; the report
    /// says when, as a number in `--json` beside `expiresAt`.
    #[test]
    fn a_claude_sign_in_ending_in_two_days_is_expiring() {
        let end = NOW + 48 * HOUR;
        let login = format!(
            r#"{{"claudeAiOauth":{{"accessToken":"a-FAKE","refreshToken":"r-FAKE","expiresAt":{},"refreshTokenExpiresAt":{end}}}}}"#,
            NOW + 8 * HOUR
        );
        let r = report(&[(CLAUDE, login)], Env::new("/h"), false);
        assert_eq!(r.auth.check.code, CheckCode::Expiring);
        let json = r.to_value();
        let p = &json["auth"]["oauth"]["profiles"][0];
        assert_eq!(p["status"], "expiring");
        assert_eq!(p["reasonCode"], "sign_in_ending");
        assert_eq!(p["refreshable"], true);
        assert_eq!(p["refreshExpiresAt"], serde_json::json!(end));
        assert_eq!(p["expiresAt"], serde_json::json!(NOW + 8 * HOUR));
        let text = super::super::render_text(&r, &Env::new("/h"), Default::default());
        assert!(text.contains("- anthropic:claude-cli expiring: sign-in ends in 2d: Sign in again"), "{text}");
    }

    #[test]
    fn the_section_as_json_carries_the_code_as_a_number() {
        let r = report(&[], Env::new("/h"), false);
        let v = serde_json::to_value(&r.auth.check).unwrap();
        assert_eq!(v["code"], 1);
        assert_eq!(v["rule"], "in-use");
        assert_eq!(v["inUse"], serde_json::json!([{ "provider": "anthropic", "status": "failing", "via": null }]));
    }
}
