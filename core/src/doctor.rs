//! What `clawdbot doctor` finds and would change, as data (spec §3.4,
//! A69-A74). The host asks, applies and prints; the panel shows the same
//! preview.

use crate::health::{HealthStatus, ProfileHealth};
use crate::load::Loaded;
use crate::remaining::format_remaining_short;
use crate::report::StatusReport;
use crate::store::{AuthStore, Credential, CredentialType};
use crate::usage::UnusableKind;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DoctorPreview {
    /// Safe changes the load makes anyway (sync, migration).
    pub changes: Vec<String>,
    /// The "Auth profile cooldowns" note.
    pub cooldowns: Vec<String>,
    /// OAuth and token profiles that are expired, expiring or missing.
    pub issues: Vec<Issue>,
    /// Problems with files (unreadable store or config).
    pub problems: Vec<String>,
    /// Warnings about the files read: other tools' credential files that
    /// cannot be read or used, fields ignored. They reach stdout too, so
    /// doctor's report lists every unreadable file it read.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    pub profile_id: String,
    pub status: HealthStatus,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "crate::time::ser_opt_ms")]
    pub remaining_ms: Option<f64>,
    /// An oauth profile with a refresh token: `doctor` can refresh it, and
    /// so will the gateway on use.
    pub refreshable: bool,
    /// Whether only a person can fix it. A refreshable login that is merely
    /// expiring is not: an 8-hour Anthropic token is always inside the 24 h
    /// window, and would otherwise keep doctor failing forever.
    pub needs_human: bool,
    pub hint: String,
}

impl Issue {
    /// `- <id>: <status> (<rem>) — <hint>`, the "Model auth" note line.
    pub fn line(&self) -> String {
        let rem = self.remaining_ms.map(|r| format!(" ({})", format_remaining_short(Some(r)))).unwrap_or_default();
        let line = format!("- {}: {}{rem} — {}", self.profile_id, self.status.word(), self.hint);
        crate::escape::escape_control(&line).into_owned()
    }
}

/// What the load changed, as an operator should read it. A change is only
/// called done when it was written: with the store unreadable, or the write
/// failed (`save_error`: a read-only HOME, a full disk), the line says it
/// was not saved, since the store still holds the old credentials.
pub fn change_notes(loaded: &Loaded, save_error: Option<&str>) -> Vec<String> {
    let why = match (save_error, &loaded.write) {
        (Some(_), _) => Some("the store could not be written"),
        (None, Some(_)) => None,
        (None, None) if loaded.store_state == crate::load::StoreState::Unreadable => {
            Some("the store cannot be read, so it was left as it is")
        }
        (None, None) => Some("the store was left as it is"),
    };
    loaded
        .changes
        .iter()
        .map(|c| match why {
            None => c.to_string(),
            Some(why) => format!("not saved ({why}; used for this run only): {c}"),
        })
        .collect()
}

impl DoctorPreview {
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Whether a human must act (doctor's exit code 1).
    pub fn needs_human(&self) -> bool {
        self.issues.iter().any(|i| i.needs_human) || !self.problems.is_empty()
    }
}

/// What an expiring login that can refresh itself is shown with.
pub const REFRESHES_ITSELF: &str = "refreshes itself when due; nothing to do.";

/// The hint for a profile that needs re-authentication, when only its id
/// is known (its provider is the id's part before `:`).
pub fn hint_for(profile_id: &str) -> String {
    let provider = profile_id.split_once(':').map_or(profile_id, |(p, _)| p);
    crate::remedy::for_profile(profile_id, provider, crate::remedy::Renewal::Relogin)
}

pub fn issue_of(p: &ProfileHealth, store: &AuthStore) -> Option<Issue> {
    if p.kind == CredentialType::ApiKey
        || !matches!(p.status, HealthStatus::Expired | HealthStatus::Expiring | HealthStatus::Missing)
    {
        return None;
    }
    let credential = store.credential(&p.profile_id);
    let refreshable = matches!(
        credential,
        Some(Credential::OAuth(o)) if o.refresh.as_ref().is_some_and(|r| !r.is_blank())
    );
    let needs_human = !(refreshable && p.status == HealthStatus::Expiring);
    let provider = credential.map_or(p.provider.as_str(), Credential::provider);
    let renewal = if refreshable { crate::remedy::Renewal::Refresh } else { crate::remedy::Renewal::Relogin };
    Some(Issue {
        profile_id: p.profile_id.clone(),
        status: p.status,
        remaining_ms: p.remaining_ms,
        refreshable,
        needs_human,
        // No remedy next to a login that needs none (doctor would print
        // "Run `claude setup-token`" and then "healthy").
        hint: if needs_human {
            crate::remedy::for_profile(&p.profile_id, provider, renewal)
        } else {
            REFRESHES_ITSELF.to_string()
        },
    })
}

pub fn preview(loaded: &Loaded, report: &StatusReport) -> DoctorPreview {
    let cooldowns = report
        .auth
        .unusable_profiles
        .iter()
        .map(|u| {
            let rem = format_remaining_short(Some(u.remaining_ms));
            let id = &u.profile_id;
            let line = match u.kind {
                UnusableKind::Cooldown => format!("- {id}: cooldown ({rem}) — Wait for cooldown or switch provider."),
                UnusableKind::Disabled => format!(
                    "- {id}: disabled:{} ({rem}) — Top up credits (provider billing) or switch provider.",
                    u.reason.as_deref().unwrap_or("unknown")
                ),
            };
            // The id and `disabledReason` come from the store: escaped.
            crate::escape::escape_control(&line).into_owned()
        })
        .collect();
    DoctorPreview {
        changes: change_notes(loaded, None),
        cooldowns,
        issues: report.auth.oauth.profiles.iter().filter_map(|p| issue_of(p, &loaded.store)).collect(),
        problems: loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .map(|d| crate::escape::escape_control(&d.to_string()).into_owned())
            .collect(),
        warnings: loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == crate::diag::Severity::Warning)
            .map(|d| crate::escape::escape_control(&d.to_string()).into_owned())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Env;
    use crate::world::{FileRead, MapWorld};

    const NOW: i64 = 1_767_225_600_000;

    fn plan_for(profiles: &str) -> DoctorPreview {
        let mut w = MapWorld::default();
        let store = format!(r#"{{"version":1,"profiles":{profiles}}}"#);
        w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text(store));
        let loaded = crate::load::load(&w, &Env::new("/h"), NOW, None);
        preview(&loaded, &crate::report::build(&loaded, &Default::default()))
    }

    fn load_with_claude_login(store: Option<&str>) -> Loaded {
        let mut w = MapWorld::default();
        if let Some(store) = store {
            w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text(store));
        }
        let login = r#"{"claudeAiOauth":{"accessToken":"a","refreshToken":"r","expiresAt":1767312000000}}"#;
        w.files.insert("/h/.claude/.credentials.json".into(), FileRead::text(login));
        crate::load::load(&w, &Env::new("/h"), NOW, None)
    }

    #[test]
    fn a_change_is_called_done_only_when_it_is_written() {
        let fine = load_with_claude_login(None);
        let done = change_notes(&fine, None);
        assert_eq!(done, ["synced anthropic credentials from claude cli"]);
        let failed = change_notes(&fine, Some("disk full"));
        assert!(failed[0].starts_with("not saved (the store could not be written;"), "{failed:?}");
        let unreadable = change_notes(&load_with_claude_login(Some("{ broken")), None);
        assert!(unreadable[0].starts_with("not saved (the store cannot be read"), "{unreadable:?}");
    }

    #[test]
    fn an_expiring_refreshable_login_needs_no_human() {
        let eight_hours = NOW + 8 * 3_600_000;
        let p = plan_for(&format!(
            r#"{{"anthropic:a":{{"type":"oauth","provider":"anthropic","access":"x","refresh":"r","expires":{eight_hours}}}}}"#
        ));
        assert_eq!(p.issues.len(), 1);
        assert!(p.issues[0].refreshable && !p.issues[0].needs_human);
        assert_eq!(p.issues[0].hint, REFRESHES_ITSELF, "no remedy for a login that needs none");
        assert!(!p.needs_human());
    }

    #[test]
    fn expired_or_unrefreshable_logins_need_a_human() {
        let p = plan_for(&format!(
            r#"{{"anthropic:a":{{"type":"oauth","provider":"anthropic","access":"x","refresh":"r","expires":{}}},
                "anthropic:t":{{"type":"token","provider":"anthropic","token":"t","expires":{}}}}}"#,
            NOW - 1,
            NOW + 3_600_000
        ));
        assert!(p.issues.iter().all(|i| i.needs_human), "{:?}", p.issues);
        assert!(p.needs_human());
        assert!(p.issues[0].line().contains("Run `clawdbot models auth refresh --profile anthropic:a`"));
        assert!(p.issues[1].line().contains("paste-token --provider anthropic --profile-id anthropic:t"));
    }
}
