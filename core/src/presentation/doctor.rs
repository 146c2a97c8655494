//! What `clawdbot doctor` finds and would change, as data (spec §3.4,
//! A69-A74). The host asks, applies and prints; the panel shows the same
//! preview.

use crate::health::{HealthStatus, ProfileHealth, Standing};
use crate::load::Loaded;
use crate::remaining::format_remaining_short;
use crate::report::StatusReport;
use crate::store::CredentialType;
use crate::usage::UnusableKind;
use serde::Serialize;

/// What `clawdbot doctor` would report and do for this load, without doing it.
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

/// One OAuth or token profile doctor reports on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    /// The store's profile id.
    pub profile_id: String,
    /// Its health at the load's `now`.
    pub status: HealthStatus,
    /// Ms until it expires (negative once past); `None` for an unknown expiry.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "crate::time::ser_opt_ms")]
    pub remaining_ms: Option<f64>,
    /// An oauth profile with a refresh token: `doctor` can refresh it, and
    /// so will the gateway on use.
    pub refreshable: bool,
    /// Whether only a person can fix it. A refreshable login that is merely
    /// expiring is not: an 8-hour Anthropic token is always inside the 24 h
    /// window, and would otherwise keep doctor failing forever.
    pub needs_human: bool,
    /// The remedy to print: a re-login command when a person must act, else a
    /// note that it refreshes itself.
    pub hint: String,
    /// What every command calls it (the one verdict; `state` in JSON).
    #[serde(rename = "state")]
    pub standing: Standing,
    /// Why, when the status alone does not say it: the reason code of
    /// `models auth list` ([`crate::rejection::REASON_CODE`] for a login
    /// refused at refresh, `expiry-unknown`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// The status in words: `expired 2h ago`, `expiring (3h)`,
    /// `expired: login rejected at refresh (invalid_grant) 3h ago`.
    #[serde(skip)]
    pub words: String,
}

impl Issue {
    /// `- <id>: <status in words> — <hint>`, the "Model auth" note line.
    pub fn line(&self) -> String {
        let line = format!("- {}: {} — {}", self.profile_id, self.words, self.hint);
        crate::escape::escape_owned(line)
    }
}

/// `status` of a profile in words (see [`Issue::words`]).
fn words_of(status: HealthStatus, p: &ProfileHealth) -> String {
    if let Some(words) = p.sign_in_words() {
        return format!("{}: {}", status.word(), crate::escape::escape_control(&words));
    }
    if let Some(words) = p.rejection.as_ref().and_then(crate::health::Rejection::probe_words) {
        return words;
    }
    if let Some(r) = &p.rejection {
        let ago = format_remaining_short(Some(r.ago_ms));
        return format!("expired: login rejected at refresh ({}) {ago} ago", crate::escape::escape_control(&r.code));
    }
    match p.remaining_ms {
        Some(r) if status == HealthStatus::Expired && r <= 0.0 => {
            format!("expired {} ago", format_remaining_short(Some(-r)))
        }
        Some(r) => format!("{} ({})", status.word(), format_remaining_short(Some(r))),
        None => status.word().to_string(),
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
    /// The preview as JSON for `--json` and the panel; `Null` only if
    /// serialising fails.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Whether a human must act (doctor's exit code 1).
    pub fn needs_human(&self) -> bool {
        self.issues.iter().any(|i| i.needs_human) || !self.problems.is_empty()
    }
}

/// What a login that renews itself is shown with: it needs no remedy.
pub const REFRESHES_ITSELF: &str = "refreshes itself when due; nothing to do.";

/// The issue a profile makes, if any.
///
/// A login that renews itself is healthy (issue 12) and needs no human, but
/// when its access token is expired or inside the warning window doctor
/// still lists it, so that it can offer to refresh it now (A74). Anything
/// else that is expired, expiring or of unknown expiry needs a human.
pub fn issue_of(p: &ProfileHealth, warn_after_ms: i64) -> Option<Issue> {
    // A profile without a secret needs a person, whatever its kind (the
    // one verdict, [`Standing`]); otherwise API keys are never an issue.
    let empty = p.standing == Standing::MissingSecret;
    // A key its provider refused when probed needs a person, as a login does.
    if p.kind == CredentialType::ApiKey && !empty && p.rejection.is_none() {
        return None;
    }
    // A sign-in that ended or ends soon, or a read-only login whose access
    // token expired: only a person can act, whatever renews the token.
    let person = p.sign_in_words().is_some() || p.health_reason == Some(crate::health::READ_ONLY_EXPIRED);
    let (status, words) = if empty {
        (p.status, "missing-secret: it holds no key or token".to_string())
    } else if person {
        (p.status, words_of(p.status, p))
    } else if p.refreshable {
        let due = match p.remaining_ms {
            Some(r) if r <= 0.0 => HealthStatus::Expired,
            Some(r) if r <= warn_after_ms as f64 => HealthStatus::Expiring,
            _ => return None,
        };
        (due, format!("access token {}", words_of(due, p)))
    } else if matches!(p.status, HealthStatus::Expired | HealthStatus::Expiring | HealthStatus::Missing) {
        (p.status, words_of(p.status, p))
    } else {
        return None;
    };
    let needs_human = empty || person || !p.refreshable;
    Some(Issue {
        profile_id: p.profile_id.clone(),
        status,
        remaining_ms: p.remaining_ms,
        refreshable: p.refreshable,
        needs_human,
        // No remedy next to a login that needs none.
        hint: if needs_human { crate::remedy::for_health(p) } else { REFRESHES_ITSELF.to_string() },
        standing: p.standing,
        reason_code: (p.reason_code != p.standing.word()).then(|| p.reason_code.to_string()),
        words,
    })
}

/// The profiles the one verdict says need a person (expired, refused at
/// refresh, of unknown expiry, without a secret): doctor reports them with
/// their remedy, never as a backoff to wait for.
pub fn needs_person(report: &StatusReport) -> std::collections::HashSet<&str> {
    report.auth.oauth.profiles.iter().filter(|p| !p.standing.usable()).map(|p| p.profile_id.as_str()).collect()
}

/// Doctor's preview of `loaded`, whose report is `report`.
pub fn preview(loaded: &Loaded, report: &StatusReport) -> DoctorPreview {
    // A profile that needs a person is reported with its remedy among the
    // issues, not as a cooldown to wait for (the one verdict: a login
    // refused at refresh is expired, not cooling down).
    let needs_person = needs_person(report);
    let cooldowns = report
        .auth
        .unusable_profiles
        .iter()
        .filter(|u| !needs_person.contains(u.profile_id.as_str()))
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
            crate::escape::escape_owned(line)
        })
        .collect();
    DoctorPreview {
        changes: change_notes(loaded, None),
        cooldowns,
        issues: report
            .auth
            .oauth
            .profiles
            .iter()
            .filter_map(|p| issue_of(p, report.auth.oauth.warn_after_ms))
            .collect(),
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
    fn a_login_that_renews_itself_needs_no_human_but_is_offered_a_refresh_when_due() {
        let p = plan_for(&format!(
            r#"{{"anthropic:a":{{"type":"oauth","provider":"anthropic","access":"x","refresh":"r","expires":{}}},
                "anthropic:b":{{"type":"oauth","provider":"anthropic","access":"x","refresh":"r","expires":{}}},
                "anthropic:c":{{"type":"oauth","provider":"anthropic","access":"x","refresh":"r","expires":{}}}}}"#,
            NOW + 8 * 3_600_000,
            NOW - 60_000,
            NOW + 48 * 3_600_000
        ));
        let listed: Vec<(&str, HealthStatus, bool, bool)> =
            p.issues.iter().map(|i| (i.profile_id.as_str(), i.status, i.refreshable, i.needs_human)).collect();
        assert_eq!(
            listed,
            [("anthropic:a", HealthStatus::Expiring, true, false), ("anthropic:b", HealthStatus::Expired, true, false)],
            "an access token that is due is listed for doctor's refresh, one that is not is not listed"
        );
        assert_eq!(
            p.issues[1].line(),
            "- anthropic:b: access token expired 1m ago — refreshes itself when due; nothing to do."
        );
        assert!(!p.needs_human());
    }

    #[test]
    fn a_login_refused_at_refresh_needs_a_human_and_says_why_and_when() {
        let mut w = MapWorld::default();
        let expires = NOW + 3 * 3_600_000;
        let store = format!(
            r#"{{"version":1,"profiles":{{"anthropic:claude-cli":{{"type":"oauth","provider":"anthropic","access":"x","refresh":"r-FAKE","expires":{expires}}}}}}}"#
        );
        let mut parsed = crate::store::parse_store(store.as_bytes(), "s").unwrap().0;
        let sent = crate::secret::Secret::new("r-FAKE");
        crate::rejection::record_rejection(
            &mut parsed,
            "anthropic:claude-cli",
            &sent,
            "invalid_grant",
            NOW - 3 * 3_600_000,
        );
        let text = crate::store::write_store(&parsed).unwrap();
        w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text(text));
        let loaded = crate::load::load(&w, &Env::new("/h"), NOW, None);
        let p = preview(&loaded, &crate::report::build(&loaded, &Default::default()));
        assert_eq!(p.issues.len(), 1);
        let issue = &p.issues[0];
        assert!(issue.needs_human && !issue.refreshable);
        assert_eq!(issue.reason_code.as_deref(), Some("refresh_rejected"));
        assert_eq!(
            issue.line(),
            "- anthropic:claude-cli: expired: login rejected at refresh (invalid_grant) 3h ago — Log in again in \
             Claude Code on the gateway host (run `claude`, then `/login`), or run `claude setup-token` and then \
             `clawdbot models auth setup-token` for a 1-year token."
        );
        assert!(p.needs_human());
    }

    #[test]
    fn an_expired_credential_reads_how_long_ago() {
        let p = plan_for(&format!(
            r#"{{"openai-codex:codex-cli":{{"type":"oauth","provider":"openai-codex","access":"x","expires":{}}}}}"#,
            NOW - 2 * 3_600_000
        ));
        assert_eq!(
            p.issues[0].line(),
            "- openai-codex:codex-cli: expired 2h ago — Run `codex login` on the gateway host."
        );
    }

    #[test]
    fn what_cannot_renew_itself_needs_a_human_when_expired_expiring_or_unknown() {
        let p = plan_for(&format!(
            r#"{{"anthropic:a":{{"type":"oauth","provider":"anthropic","access":"x","expires":{}}},
                "anthropic:t":{{"type":"token","provider":"anthropic","token":"t","expires":{}}},
                "anthropic:u":{{"type":"oauth","provider":"anthropic","access":"x"}}}}"#,
            NOW - 1,
            NOW + 3_600_000
        ));
        let listed: Vec<(&str, HealthStatus)> = p.issues.iter().map(|i| (i.profile_id.as_str(), i.status)).collect();
        assert_eq!(
            listed,
            [
                ("anthropic:a", HealthStatus::Expired),
                ("anthropic:t", HealthStatus::Expiring),
                ("anthropic:u", HealthStatus::Missing)
            ]
        );
        assert!(p.issues.iter().all(|i| i.needs_human && !i.refreshable), "{:?}", p.issues);
        assert!(p.needs_human());
        assert!(p.issues[0].line().contains("paste-token --provider anthropic --profile-id anthropic:a"));
        // A setup-token is renewed by `setup-token`, which stores the new
        // one's expiry (issue 23 item 10).
        assert!(
            p.issues[1]
                .line()
                .contains("Run `clawdbot models auth setup-token --profile-id anthropic:t` for a new 1-year token"),
            "{}",
            p.issues[1].line()
        );
    }

    #[test]
    fn a_refreshable_login_is_due_at_zero_and_at_the_window_s_edge() {
        let warn = crate::health::DEFAULT_WARN_AFTER_MS;
        let p = plan_for(&format!(
            r#"{{"anthropic:at-zero":{{"type":"oauth","provider":"anthropic","access":"x","refresh":"r","expires":{}}},
                "anthropic:at-edge":{{"type":"oauth","provider":"anthropic","access":"x","refresh":"r","expires":{}}},
                "anthropic:past-edge":{{"type":"oauth","provider":"anthropic","access":"x","refresh":"r","expires":{}}},
                "anthropic:key":{{"type":"api_key","provider":"anthropic","key":"sk-FAKE"}}}}"#,
            NOW,
            NOW + warn,
            NOW + warn + 1
        ));
        let listed: Vec<(&str, HealthStatus)> = p.issues.iter().map(|i| (i.profile_id.as_str(), i.status)).collect();
        assert_eq!(
            listed,
            [("anthropic:at-edge", HealthStatus::Expiring), ("anthropic:at-zero", HealthStatus::Expired)]
        );
        assert_eq!(
            p.issues[0].line(),
            "- anthropic:at-edge: access token expiring (24h) — refreshes itself when due; nothing to do."
        );
        assert_eq!(
            p.issues[1].line(),
            "- anthropic:at-zero: access token expired 0m ago — refreshes itself when due; nothing to do."
        );
    }

    #[test]
    fn each_status_reads_in_its_own_words() {
        let p = plan_for(&format!(
            r#"{{"anthropic:t":{{"type":"token","provider":"anthropic","token":"t","expires":{}}},
                "anthropic:u":{{"type":"oauth","provider":"anthropic","access":"x"}}}}"#,
            NOW + 3_600_000
        ));
        let words: Vec<&str> = p.issues.iter().map(|i| i.words.as_str()).collect();
        assert_eq!(words, ["expiring (1h)", "unknown"]);
    }

    #[test]
    fn the_preview_as_json_names_its_fields_in_camel_case() {
        let p = plan_for(&format!(
            r#"{{"openai-codex:codex-cli":{{"type":"oauth","provider":"openai-codex","access":"x","expires":{}}}}}"#,
            NOW - 2 * 3_600_000
        ));
        let v = p.to_value();
        assert_eq!(v["issues"][0]["profileId"], "openai-codex:codex-cli");
        assert_eq!(v["issues"][0]["status"], "expired");
        assert_eq!(v["issues"][0]["needsHuman"], true);
        assert_eq!(v["issues"][0]["remainingMs"], -7_200_000);
        assert!(v["issues"][0].get("words").is_none());
        assert_eq!(v["changes"], serde_json::json!([]));
        assert_eq!(v["problems"], serde_json::json!([]));
    }

    #[test]
    fn a_change_not_written_for_another_reason_says_so() {
        let mut loaded = load_with_claude_login(None);
        loaded.write = None;
        assert_eq!(
            change_notes(&loaded, None),
            [
                "not saved (the store was left as it is; used for this run only): synced anthropic credentials from claude cli"
            ]
        );
    }

    #[test]
    fn file_problems_need_a_human_and_warnings_do_not() {
        let mut w = MapWorld::default();
        w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text("{ broken"));
        w.files.insert("/h/.codex/auth.json".into(), FileRead::text("{ broken"));
        let loaded = crate::load::load(&w, &Env::new("/h"), NOW, None);
        let p = preview(&loaded, &crate::report::build(&loaded, &Default::default()));
        assert!(p.issues.is_empty(), "{:?}", p.issues);
        assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
        assert!(p.problems[0].starts_with("~/.clawdbot/agents/main/agent/auth-profiles.json: "), "{:?}", p.problems);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert!(p.warnings[0].starts_with("~/.codex/auth.json: "), "{:?}", p.warnings);
        assert!(p.needs_human());
        let fine = plan_for("{}");
        assert!(!fine.needs_human());
    }
}
