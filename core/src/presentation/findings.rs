//! What `clawdbot doctor --json` reports: one finding per problem, each
//! under a stable check id (listed in docs/doctor.md) so that monitoring
//! can match on the id instead of on a sentence.
//!
//! The findings the load and the report show are made here; the host adds
//! the ones only it can see (file modes) with the same type.

use crate::diag::Severity;
use crate::doctor::DoctorPreview;
use crate::escape::escape_control;
use crate::health::{HealthStatus, Standing};
use crate::load::{Loaded, StoreState};
use crate::remedy::for_profile_id;
use crate::report::StatusReport;
use crate::sync::ChangeKind;
use crate::usage::{FailureReason, UnusableKind, backoff_cause_changed};
use serde::Serialize;

/// The stable check ids.
pub mod check {
    /// `auth-profiles.json` exists and cannot be used (left untouched).
    pub const STORE_UNREADABLE: &str = "auth/store-unreadable";
    /// `clawdbot.json` exists and cannot be used (left untouched).
    pub const CONFIG_UNREADABLE: &str = "auth/config-unreadable";
    /// Another credential file (Claude Code's, Codex's, a legacy one)
    /// cannot be used.
    pub const FILE_UNREADABLE: &str = "auth/file-unreadable";
    /// An OAuth login or token is past its expiry and will not renew itself.
    pub const PROFILE_EXPIRED: &str = "auth/profile-expired";
    /// A login or token expires within the warning window.
    pub const PROFILE_EXPIRING: &str = "auth/profile-expiring";
    /// An OAuth login or token has no usable expiry.
    pub const EXPIRY_UNKNOWN: &str = "auth/expiry-unknown";
    /// A profile holds no key or token at all.
    pub const MISSING_SECRET: &str = "auth/missing-secret";
    /// A probe (`models status --probe`) found the credential refused by
    /// its provider (`auth`) or out of credit (`billing`); it stays so until
    /// the credential changes or a later probe succeeds.
    pub const PROFILE_REJECTED: &str = "auth/profile-rejected";
    /// The provider rejected the login (an `auth` failure) and it backs off.
    pub const LOGIN_REJECTED: &str = "auth/login-rejected";
    /// A profile is in a cooldown or disabled (billing, rate limits).
    pub const COOLDOWN: &str = "auth/cooldown";
    /// A cooldown or disable whose cause is gone: `--fix` ends it.
    pub const COOLDOWN_STALE: &str = "auth/cooldown-stale";
    /// A credential file or folder others can read.
    pub const PERMISSIONS: &str = "auth/permissions";
    /// A provider in use fails because `auth.profiles` in clawdbot.json
    /// names only profiles that cannot be used, leaving usable ones out.
    pub const CONFIG_RESTRICTS: &str = "auth/config-restricts";
    /// An agent's store holds a copy of a profile it inherits from the
    /// main agent (an older sync made it): `--fix` drops the copy.
    pub const INHERITED_COPY: &str = "auth/inherited-copy";
    /// A legacy `auth.json` or `credentials/oauth.json` was migrated.
    pub const LEGACY_FILE: &str = "auth/legacy-file";
    /// A provider the config's models use has no credentials.
    pub const MISSING_PROVIDER: &str = "auth/missing-provider";
    /// The config names an Anthropic OAuth profile id the store does not use.
    pub const PROFILE_ID_MISMATCH: &str = "auth/profile-id-mismatch";
    /// What the sync or migration took could not be saved.
    pub const NOT_SAVED: &str = "auth/not-saved";
    /// A SecretRef does not resolve (the profile fails closed).
    pub const REF_FAILING: &str = "auth/ref-failing";
    /// A SecretRef's file others can read, or hard-linked, a symlink; or
    /// its resolver others can change.
    pub const REF_UNSAFE: &str = "auth/ref-unsafe";
    /// An exec SecretRef that was not run (`--allow-exec` runs it).
    pub const REF_NOT_CHECKED: &str = "auth/ref-not-checked";
    /// A profile with a SecretRef still holds a plain value (residue).
    pub const REF_RESIDUE: &str = "auth/ref-residue";
    /// Plain-text keys at rest (the store, `.env`, the config), each with
    /// the command that moves it into a ref.
    pub const PLAIN_KEY: &str = "auth/plain-key";
    /// Another CLI holds a login the sync leaves out, because `models auth
    /// remove` took its profile out.
    pub const SYNC_DISABLED: &str = "auth/sync-disabled";

    /// Every id, in the order docs/doctor.md lists them.
    pub const ALL: &[&str] = &[
        STORE_UNREADABLE,
        CONFIG_UNREADABLE,
        FILE_UNREADABLE,
        PROFILE_EXPIRED,
        PROFILE_EXPIRING,
        EXPIRY_UNKNOWN,
        MISSING_SECRET,
        PROFILE_REJECTED,
        LOGIN_REJECTED,
        COOLDOWN,
        COOLDOWN_STALE,
        PERMISSIONS,
        LEGACY_FILE,
        MISSING_PROVIDER,
        PROFILE_ID_MISMATCH,
        NOT_SAVED,
        REF_FAILING,
        REF_UNSAFE,
        REF_NOT_CHECKED,
        REF_RESIDUE,
        PLAIN_KEY,
        SYNC_DISABLED,
        INHERITED_COPY,
        CONFIG_RESTRICTS,
    ];
}

/// How bad a finding is. `error`: a person must act (doctor exits 1);
/// `warning`: worth a look; `info`: nothing to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A person must act.
    Error,
    /// Worth a look.
    Warning,
    /// Nothing to do.
    Info,
}

/// One problem doctor found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// A stable id from [`check`].
    pub check_id: &'static str,
    /// How bad it is.
    pub severity: Level,
    /// For people; terminal-safe.
    pub message: String,
    /// The file concerned, as shown (`~/...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The profile or provider concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// What to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix_hint: Option<String>,
}

impl Finding {
    /// A finding with nothing but its id, level and message.
    pub fn new(check_id: &'static str, severity: Level, message: impl Into<String>) -> Finding {
        Finding { check_id, severity, message: message.into(), path: None, target: None, fix_hint: None }
    }

    /// The same, about `path`.
    pub fn at(mut self, path: impl Into<String>) -> Finding {
        self.path = Some(path.into());
        self
    }

    /// The same, about `target`.
    pub fn about(mut self, target: impl Into<String>) -> Finding {
        self.target = Some(target.into());
        self
    }

    /// The same, with what to do.
    pub fn fix(mut self, hint: impl Into<String>) -> Finding {
        self.fix_hint = Some(hint.into());
        self
    }
}

/// `doctor --json`: one document per agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DoctorDocument {
    /// No finding needs a person.
    pub ok: bool,
    /// The agent checked.
    pub agent_id: String,
    /// What was found.
    pub findings: Vec<Finding>,
    /// What doctor changed (sync, migration, repairs), for people.
    pub changes: Vec<String>,
}

impl DoctorDocument {
    /// The document for `findings`: ok unless one of them is an error.
    pub fn new(agent_id: &str, findings: Vec<Finding>, changes: Vec<String>) -> DoctorDocument {
        let ok = !findings.iter().any(|f| f.severity == Level::Error);
        DoctorDocument { ok, agent_id: agent_id.to_string(), findings, changes }
    }
}

/// The hint to end a backoff by hand.
pub fn cooldown_clear_hint(profile_id: &str) -> String {
    format!("clawdbot models auth cooldown clear {}", escape_control(profile_id))
}

/// [`findings_with`] the load's own [`plain_keys`].
#[cfg(test)]
pub(crate) fn findings(loaded: &Loaded, report: &StatusReport, preview: &DoctorPreview) -> Vec<Finding> {
    findings_with(loaded, report, preview, &plain_keys(loaded))
}

/// The findings a load and its report show: unreadable files, expiries,
/// backoffs, migrations, missing providers, SecretRefs and `plain`, the
/// load's [`plain_keys`] (doctor lists them too, so it makes them once).
pub fn findings_with(
    loaded: &Loaded,
    report: &StatusReport,
    preview: &DoctorPreview,
    plain: &[(String, String)],
) -> Vec<Finding> {
    let mut out = Vec::new();
    let store = loaded.show(&loaded.locations.store());
    let config = loaded.show(&loaded.locations.config);
    for d in loaded.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
        let id = if d.file == store && loaded.store_state == StoreState::Unreadable {
            check::STORE_UNREADABLE
        } else if d.file == config {
            check::CONFIG_UNREADABLE
        } else {
            check::FILE_UNREADABLE
        };
        let message = escape_control(&d.to_string()).into_owned();
        out.push(
            Finding::new(id, Level::Error, message).at(d.file.clone()).fix("fix the file; doctor leaves it as it is"),
        );
    }
    for source in &loaded.held_out {
        let message = crate::sync::held_out_words(source);
        out.push(
            Finding::new(check::SYNC_DISABLED, Level::Warning, message)
                .about(source.profile_id)
                .fix(source.enable_hint()),
        );
    }
    for r in &report.auth.check.restricted {
        let text = escape_control(&r.to_string()).into_owned();
        out.push(Finding::new(check::CONFIG_RESTRICTS, Level::Error, text).at(config.clone()).fix(format!(
            "add {} to auth.profiles in clawdbot.json, or remove the entries for {}",
            r.left_out.join(", "),
            r.provider
        )));
    }
    for issue in &preview.issues {
        let rejected = issue.standing == Standing::Rejected;
        let (id, what) = match issue.status {
            _ if issue.standing == Standing::MissingSecret => (check::MISSING_SECRET, "holds no key or token"),
            _ if rejected => (check::PROFILE_REJECTED, issue.words.as_str()),
            HealthStatus::Expired => (check::PROFILE_EXPIRED, "expired"),
            HealthStatus::Missing => (check::EXPIRY_UNKNOWN, "has no usable expiry"),
            _ => (check::PROFILE_EXPIRING, "expires soon"),
        };
        let level = if issue.needs_human { Level::Error } else { Level::Info };
        let shown = escape_control(&issue.profile_id);
        let message = if rejected { format!("{shown}: {what}") } else { format!("{shown} {what}") };
        out.push(Finding::new(id, level, message).about(issue.profile_id.clone()).fix(issue.hint.clone()));
    }
    // A profile that needs a person was reported above with its remedy.
    let needs_person = crate::doctor::needs_person(report);
    for u in report.auth.unusable_profiles.iter().filter(|u| !needs_person.contains(u.profile_id.as_str())) {
        let shown = escape_control(&u.profile_id);
        let stats = loaded.store.usage_stats.get(&u.profile_id);
        let auth = FailureReason::Auth.as_str();
        let rejected = stats.is_some_and(|s| {
            s.failure_counts.get(auth).is_some_and(|n| *n > 0.0) || s.disabled_reason.as_deref() == Some(auth)
        });
        let finding = if backoff_cause_changed(&loaded.store, &u.profile_id, loaded.now) {
            Finding::new(
                check::COOLDOWN_STALE,
                Level::Warning,
                format!("{shown} backs off after a rejected login, but its login was renewed since"),
            )
            .fix(format!("clawdbot doctor --fix, or {}", cooldown_clear_hint(&u.profile_id)))
        } else if rejected {
            Finding::new(check::LOGIN_REJECTED, Level::Warning, format!("the provider rejected the login of {shown}"))
                .fix(for_profile_id(&u.profile_id))
        } else {
            let what = match u.kind {
                UnusableKind::Cooldown => "in a cooldown".to_string(),
                UnusableKind::Disabled => {
                    format!("disabled ({})", escape_control(u.reason.as_deref().unwrap_or("unknown")))
                }
            };
            let fix = match u.reason.as_deref() {
                Some("billing") => "Top up credits (provider billing), then ",
                _ => "Wait for it to end, or once the cause is gone: ",
            };
            Finding::new(check::COOLDOWN, Level::Warning, format!("{shown} is {what}"))
                .fix(format!("{fix}{}", cooldown_clear_hint(&u.profile_id)))
        };
        out.push(finding.about(u.profile_id.clone()));
    }
    for change in &loaded.changes {
        if matches!(change.kind, ChangeKind::MigratedLegacy | ChangeKind::ImportedOAuthJson) {
            let message = escape_control(&change.to_string()).into_owned();
            out.push(Finding::new(check::LEGACY_FILE, Level::Info, message).at(change.origin.clone()));
        }
    }
    out.extend(ref_findings(loaded, plain));
    for provider in &report.auth.missing_providers_in_use {
        let shown = escape_control(provider).into_owned();
        out.push(
            Finding::new(
                check::MISSING_PROVIDER,
                Level::Error,
                format!("{shown}: no credentials for a provider in use"),
            )
            .about(provider.clone())
            .fix(crate::remedy::for_missing_provider(provider, &loaded.elsewhere)),
        );
    }
    out
}

/// Every key kept in plain text (the store, `.env`, the config): where it
/// is, and the command that moves it into a ref.
pub fn plain_keys(loaded: &Loaded) -> Vec<(String, String)> {
    use crate::store::Credential;
    let store = loaded.show(&loaded.locations.store());
    let mut plain = Vec::new();
    for (id, profile) in &loaded.store.profiles {
        let plain_value = match &profile.credential {
            Credential::ApiKey(k) => k.key.as_ref().is_some_and(|k| !k.is_blank()),
            Credential::Token(t) => t.token.as_ref().is_some_and(|t| !t.is_blank()),
            Credential::OAuth(_) => false,
        };
        if !plain_value
            || crate::secret_ref::profile_ref(profile).is_some()
            || crate::logins::by_profile_id(id).is_some()
        {
            continue;
        }
        let shown = escape_control(id);
        let provider = escape_control(profile.credential.provider());
        let command = if profile.credential.kind() == crate::store::CredentialType::Token {
            "paste-token"
        } else {
            "paste-api-key"
        };
        let fix = format!("clawdbot models auth {command} --provider {provider} --profile-id {shown} --ref <ref>");
        plain.push((format!("{shown} in {store}"), fix));
    }
    for (var, file) in &loaded.dotenv.origins {
        let provider = crate::providers::PROVIDERS.iter().find(|p| p.env_vars.contains(&var.as_str()));
        if let Some(p) = provider {
            let fix = format!(
                "clawdbot models auth paste-api-key --provider {} --ref <ref>, then delete {var} from {file}",
                p.id
            );
            plain.push((format!("{var} in {file}"), fix));
        }
    }
    let config = loaded.show(&loaded.locations.config);
    for provider in loaded.config.config.provider_keys.keys() {
        let shown = escape_control(provider).into_owned();
        let fix = format!(
            "clawdbot models auth paste-api-key --provider {shown} --ref <ref>, then delete models.providers.{shown}.apiKey"
        );
        plain.push((format!("models.providers.{shown}.apiKey in {config}"), fix));
    }
    plain
}

/// What doctor says of SecretRefs and of keys kept in plain text.
fn ref_findings(loaded: &Loaded, plain: &[(String, String)]) -> Vec<Finding> {
    use crate::secret_refs::{RefCheck, RefFailure};
    use crate::store::Credential;
    let mut out = Vec::new();
    let store = loaded.show(&loaded.locations.store());
    for (id, profile) in &loaded.store.profiles {
        // Only a profile with a SecretRef has anything to say here.
        let Some(ref_check) = crate::secret_refs::check_of(&loaded.refs, id, profile) else { continue };
        let shown = escape_control(id).into_owned();
        let provider = escape_control(profile.credential.provider()).into_owned();
        let plain_value = match &profile.credential {
            Credential::ApiKey(k) => k.key.as_ref().is_some_and(|k| !k.is_blank()),
            Credential::Token(t) => t.token.as_ref().is_some_and(|t| !t.is_blank()),
            Credential::OAuth(_) => false,
        };
        let command = match profile.credential {
            Credential::Token(_) => "paste-token",
            _ => "paste-api-key",
        };
        let move_it = format!("clawdbot models auth {command} --provider {provider} --profile-id {shown} --ref <ref>");
        match ref_check {
            RefCheck::Failing(why) => {
                let unsafe_source = matches!(why, RefFailure::Unsafe { .. });
                let id_ = if unsafe_source { check::REF_UNSAFE } else { check::REF_FAILING };
                let message = escape_control(&format!("{shown}: its SecretRef does not resolve: {why}")).into_owned();
                let fix = crate::remedy::for_ref(&RefCheck::Failing(why.clone())).unwrap_or_default();
                out.push(Finding::new(id_, Level::Error, message).about(id.clone()).fix(fix));
            }
            RefCheck::NotChecked => {
                let fix = crate::remedy::for_ref(&RefCheck::NotChecked).unwrap_or_default();
                out.push(
                    Finding::new(
                        check::REF_NOT_CHECKED,
                        Level::Info,
                        format!("{shown}: its exec SecretRef was not run"),
                    )
                    .about(id.clone())
                    .fix(fix),
                );
            }
            RefCheck::Ok(_) => {}
        }
        if plain_value {
            out.push(
                Finding::new(
                    check::REF_RESIDUE,
                    Level::Warning,
                    format!(
                        "{shown} holds a plain-text value beside its SecretRef (the ref wins; the value is residue)"
                    ),
                )
                .about(id.clone())
                .at(store.clone())
                .fix(format!("{move_it} (stores the ref alone)")),
            );
        }
    }
    // One finding for them all: worth knowing, nothing broken.
    if !plain.is_empty() {
        let n = plain.len();
        let keys = if n == 1 { "key" } else { "keys" };
        let what = plain.iter().map(|(what, _)| what.as_str()).collect::<Vec<_>>().join(", ");
        let fixes = plain.iter().map(|(_, fix)| fix.as_str()).collect::<Vec<_>>().join("; ");
        let message = format!("{n} plain-text {keys} at rest: {what}");
        out.push(Finding::new(check::PLAIN_KEY, Level::Info, message).fix(fixes));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Env;
    use crate::world::{FileRead, MapWorld};

    const NOW: i64 = 1_767_225_600_000;

    const STORE: &str = "/h/.clawdbot/agents/main/agent/auth-profiles.json";

    fn found(store: &str) -> Vec<Finding> {
        found_in(&[(STORE, store)])
    }

    /// The findings over these files (path, text) and no others.
    fn found_in(files: &[(&str, &str)]) -> Vec<Finding> {
        let mut w = MapWorld::default();
        for (path, text) in files {
            w.files.insert(path.to_string(), FileRead::text(*text));
        }
        let loaded = crate::load::load(&w, &Env::new("/h"), NOW, None);
        let report = crate::report::build(&loaded, &Default::default());
        let preview = crate::doctor::preview(&loaded, &report);
        findings(&loaded, &report, &preview)
    }

    fn ids(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.check_id).collect()
    }

    #[test]
    fn an_unreadable_store_is_an_error_at_its_path() {
        let f = found("{\"version\": 1,");
        assert_eq!(ids(&f)[0], check::STORE_UNREADABLE, "{f:?}");
        assert_eq!(f[0].path.as_deref(), Some("~/.clawdbot/agents/main/agent/auth-profiles.json"));
        assert_eq!(f[0].severity, Level::Error);
    }

    #[test]
    fn an_unreadable_config_beside_an_unreadable_store_is_told_apart() {
        let f = found_in(&[(STORE, "{"), ("/h/.clawdbot/clawdbot.json", "{ auth: ")]);
        let at = |id| f.iter().find(|f| f.check_id == id).and_then(|f| f.path.as_deref());
        assert_eq!(at(check::STORE_UNREADABLE), Some("~/.clawdbot/agents/main/agent/auth-profiles.json"), "{f:?}");
        assert_eq!(at(check::CONFIG_UNREADABLE), Some("~/.clawdbot/clawdbot.json"), "{f:?}");
    }

    #[test]
    fn backoffs_are_told_apart_by_their_cause() {
        let store = format!(
            r#"{{"version":1,"profiles":{{
              "a:billing":{{"type":"api_key","provider":"a","key":"FAKE"}},
              "a:rejected":{{"type":"oauth","provider":"a","access":"FAKE","refresh":"FAKE","expires":{old}}},
              "a:renewed":{{"type":"oauth","provider":"a","access":"FAKE","refresh":"FAKE","expires":{new}}}}},
              "usageStats":{{
              "a:billing":{{"disabledUntil":{until},"disabledReason":"billing"}},
              "a:rejected":{{"cooldownUntil":{until},"failureCounts":{{"auth":1}},"lastFailureAt":{failed}}},
              "a:renewed":{{"cooldownUntil":{until},"failureCounts":{{"auth":1}},"lastFailureAt":{failed}}}}}}}"#,
            old = NOW + 60 * 60_000,
            new = NOW + 8 * 3_600_000,
            until = NOW + 60_000,
            failed = NOW + 2 * 3_600_000,
        );
        let f = found(&store);
        let backoffs = [check::COOLDOWN, check::LOGIN_REJECTED, check::COOLDOWN_STALE];
        let of = |id: &str| {
            f.iter().find(|f| f.target.as_deref() == Some(id) && backoffs.contains(&f.check_id)).map(|f| f.check_id)
        };
        assert_eq!(of("a:billing"), Some(check::COOLDOWN));
        assert_eq!(of("a:rejected"), Some(check::LOGIN_REJECTED), "its login expires before the failure time");
        assert_eq!(of("a:renewed"), Some(check::COOLDOWN_STALE));
        let backoff_levels = f.iter().filter(|f| backoffs.contains(&f.check_id)).map(|f| f.severity);
        assert!(backoff_levels.into_iter().all(|l| l == Level::Warning), "backoffs do not fail doctor: {f:?}");
    }

    #[test]
    fn each_finding_has_its_id_level_words_and_fix() {
        let store = format!(
            r#"{{"version":1,"profiles":{{
              "z:gone":{{"type":"token","provider":"z","token":"FAKE","expires":{gone}}},
              "z:soon":{{"type":"token","provider":"z","token":"FAKE","expires":{soon}}},
              "z:unknown":{{"type":"oauth","provider":"z","access":"FAKE"}},
              "z:bill":{{"type":"api_key","provider":"z","key":"FAKE"}},
              "z:off":{{"type":"api_key","provider":"z","key":"FAKE"}},
              "z:cool":{{"type":"api_key","provider":"z","key":"FAKE"}},
              "z:auth0":{{"type":"api_key","provider":"z","key":"FAKE"}},
              "z:authd":{{"type":"api_key","provider":"z","key":"FAKE"}},
              "anthropic:r":{{"type":"oauth","provider":"anthropic","access":"FAKE","refresh":"FAKE","expires":{gone}}}}},
              "usageStats":{{
              "z:bill":{{"disabledUntil":{until},"disabledReason":"billing"}},
              "z:off":{{"disabledUntil":{until}}},
              "z:cool":{{"cooldownUntil":{until},"failureCounts":{{"rate_limit":2}}}},
              "z:auth0":{{"cooldownUntil":{until},"failureCounts":{{"auth":0}}}},
              "z:authd":{{"disabledUntil":{until},"disabledReason":"auth"}}}}}}"#,
            gone = NOW - 1,
            soon = NOW + 3_600_000,
            until = NOW + 60_000,
        );
        let mut w = MapWorld::default();
        w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text(&store));
        w.files.insert("/h/.clawdbot/clawdbot.json".into(), FileRead::text("{nope"));
        let loaded = crate::load::load(&w, &Env::new("/h"), NOW, None);
        let report = crate::report::build(&loaded, &Default::default());
        let preview = crate::doctor::preview(&loaded, &report);
        let all = findings(&loaded, &report, &preview);
        // The plain keys are one finding, listing each with its command.
        let plain: Vec<&Finding> = all.iter().filter(|f| f.check_id == check::PLAIN_KEY).collect();
        assert_eq!(plain.len(), 1);
        assert!(plain[0].message.starts_with("7 plain-text keys at rest: z:gone in ~/.clawdbot/"), "{plain:?}");
        assert!(
            plain[0]
                .fix_hint
                .as_deref()
                .is_some_and(|f| f.contains("paste-token --provider z --profile-id z:gone --ref <ref>"))
        );
        let got: Vec<String> =
            all.iter().filter(|f| f.check_id != check::PLAIN_KEY).map(|f| serde_json::to_string(f).unwrap()).collect();
        let want = [
            r#"{"checkId":"auth/config-unreadable","severity":"error","message":"~/.clawdbot/clawdbot.json: not valid JSON at line 1, column 1: JSON5: EOF parsing identifier","path":"~/.clawdbot/clawdbot.json","fixHint":"fix the file; doctor leaves it as it is"}"#,
            r#"{"checkId":"auth/profile-expired","severity":"info","message":"anthropic:r expired","target":"anthropic:r","fixHint":"refreshes itself when due; nothing to do."}"#,
            r#"{"checkId":"auth/profile-expired","severity":"error","message":"z:gone expired","target":"z:gone","fixHint":"Paste a new token with its lifetime: `clawdbot models auth paste-token --provider z --profile-id z:gone --expires-in <lifetime>` (e.g. 90d), so its expiry is warned about again."}"#,
            r#"{"checkId":"auth/profile-expiring","severity":"error","message":"z:soon expires soon","target":"z:soon","fixHint":"Paste a new token with its lifetime: `clawdbot models auth paste-token --provider z --profile-id z:soon --expires-in <lifetime>` (e.g. 90d), so its expiry is warned about again."}"#,
            r#"{"checkId":"auth/expiry-unknown","severity":"error","message":"z:unknown has no usable expiry","target":"z:unknown","fixHint":"Paste a new token: `clawdbot models auth paste-token --provider z --profile-id z:unknown`."}"#,
            r#"{"checkId":"auth/cooldown","severity":"warning","message":"z:bill is disabled (billing)","target":"z:bill","fixHint":"Top up credits (provider billing), then clawdbot models auth cooldown clear z:bill"}"#,
            r#"{"checkId":"auth/cooldown","severity":"warning","message":"z:off is disabled (unknown)","target":"z:off","fixHint":"Wait for it to end, or once the cause is gone: clawdbot models auth cooldown clear z:off"}"#,
            r#"{"checkId":"auth/cooldown","severity":"warning","message":"z:cool is in a cooldown","target":"z:cool","fixHint":"Wait for it to end, or once the cause is gone: clawdbot models auth cooldown clear z:cool"}"#,
            // A count of zero auth failures is no rejection.
            r#"{"checkId":"auth/cooldown","severity":"warning","message":"z:auth0 is in a cooldown","target":"z:auth0","fixHint":"Wait for it to end, or once the cause is gone: clawdbot models auth cooldown clear z:auth0"}"#,
            // A disable for auth is one.
            r#"{"checkId":"auth/login-rejected","severity":"warning","message":"the provider rejected the login of z:authd","target":"z:authd","fixHint":"Paste a new token: `clawdbot models auth paste-token --provider z --profile-id z:authd`."}"#,
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn a_provider_in_use_without_credentials_is_an_error() {
        let f = found(r#"{"version":1,"profiles":{}}"#);
        let missing: Vec<String> = f
            .iter()
            .filter(|f| f.check_id == check::MISSING_PROVIDER)
            .map(|f| serde_json::to_string(f).unwrap())
            .collect();
        assert_eq!(
            missing,
            [
                r#"{"checkId":"auth/missing-provider","severity":"error","message":"anthropic: no credentials for a provider in use","target":"anthropic","fixHint":"Run `clawdbot models auth setup-token` or `clawdbot models auth paste-token --provider anthropic`."}"#
            ]
        );
        // The remedy is the one the text report gives (remedy::for_missing_provider).
        let missing = f.iter().find(|f| f.check_id == check::MISSING_PROVIDER).map(|f| f.fix_hint.clone());
        assert_eq!(missing, Some(Some(crate::remedy::for_missing_provider("anthropic", &[]))));
    }

    #[test]
    fn a_document_is_ok_unless_a_finding_is_an_error() {
        let warn = Finding::new(check::COOLDOWN, Level::Warning, "w");
        let info = Finding::new(check::LEGACY_FILE, Level::Info, "i").at("p").about("t").fix("f");
        assert_eq!(
            (info.path.as_deref(), info.target.as_deref(), info.fix_hint.as_deref()),
            (Some("p"), Some("t"), Some("f"))
        );
        let doc = DoctorDocument::new("main", vec![warn.clone(), info], vec!["c".into()]);
        assert!(doc.ok);
        assert_eq!(doc.agent_id, "main");
        let bad = DoctorDocument::new("main", vec![warn, Finding::new(check::NOT_SAVED, Level::Error, "e")], vec![]);
        assert!(!bad.ok);
        assert!(DoctorDocument::new("main", vec![], vec![]).ok);
        assert_eq!(cooldown_clear_hint("a\u{1b}"), "clawdbot models auth cooldown clear a\\u{1b}");
    }

    #[test]
    fn every_id_is_listed_once() {
        let mut all = check::ALL.to_vec();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), check::ALL.len());
        assert!(check::ALL.iter().all(|id| id.starts_with("auth/")));
        // Every id the module declares is in ALL: read from its source, so
        // a new constant cannot be left out.
        let source = include_str!("findings.rs");
        let declared: Vec<&str> = source
            .lines()
            .filter_map(|l| l.trim().strip_prefix("pub const ")?.split_once(": &str = \"")?.1.strip_suffix("\";"))
            .collect();
        assert!(declared.len() >= 20, "{declared:?}");
        for id in declared {
            assert!(check::ALL.contains(&id), "{id} is missing from check::ALL");
        }
    }
}
