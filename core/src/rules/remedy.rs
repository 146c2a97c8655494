//! What to run when a credential needs a person: one place for the hints
//! that status, doctor and refresh errors print.
//!
//! Every hint names a command that exists: one of this binary's
//! (`clawdbot models auth ...`), the tool that owns a synced login
//! (`claude`, `codex`), or, said plainly, the gateway's own onboarding.
//! Earlier hints sent operators to `clawdbot configure` and `clawdbot
//! onboard`, which this binary does not have. Ids and providers come from
//! files, so they are escaped here.

use crate::error::Error;
use crate::error::TxnFailure;
use crate::escape::escape_control;
use crate::paste::PasteError;
use crate::refresh::RefreshFailure;
use crate::refresh::error::seconds;
use crate::refresh::{Cause, ErrorKind, PlanError, RefreshError, TransportFailure};
use crate::setup_token::{ApiKeyError, PastedTokenError, SetupTokenError};

/// How a profile can be renewed, as far as the hint is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// An OAuth login with a refresh token: a refresh may still work.
    Refresh,
    /// Anything else: a new login or a new token is needed.
    Relogin,
}

/// The hint for profile `id` of `provider` that is expired, expiring,
/// missing its secret, or whose refresh was rejected.
pub fn for_profile(id: &str, provider: &str, renewal: Renewal) -> String {
    let id_text = escape_control(id);
    let provider_text = escape_control(provider);
    // A synced login is renewed in the tool that owns it.
    if let Some(source) = crate::logins::by_profile_id(id) {
        return source.relogin_hint.to_string();
    }
    match id {
        _ if renewal == Renewal::Refresh => format!(
            "Run `clawdbot models auth refresh --profile {id_text}`; if the login was revoked, log in again \
             through the gateway's onboarding, or paste a token with \
             `clawdbot models auth paste-token --provider {provider_text} --profile-id {id_text}`."
        ),
        _ if let Some(hint) = crate::providers::find(provider).and_then(|p| p.relogin_hint) => hint.to_string(),
        _ => format!(
            "Paste a new token: `clawdbot models auth paste-token --provider {provider_text} --profile-id {id_text}`."
        ),
    }
}

/// The hint for a provider the configured models use but nothing holds a
/// credential for; when another tool keeps its login where this host cannot
/// read it (`elsewhere`, Codex's keyring), where it is and what to change.
pub fn for_missing_provider(provider: &str, elsewhere: &[crate::logins::Elsewhere]) -> String {
    if let Some(e) = elsewhere.iter().find(|e| e.provider == provider) {
        return format!("{}. {}", e.message, e.hint);
    }
    let provider_text = escape_control(provider);
    // Exactly the id: the report names providers as the files spell them.
    match crate::providers::find(provider).filter(|p| p.id == provider).and_then(|p| p.missing_hint) {
        Some(hint) => hint.to_string(),
        None => {
            format!("Set its API key env var, or run `clawdbot models auth paste-token --provider {provider_text}`.")
        }
    }
}

/// What a rejected refresh token tells: a login shared with the tool that
/// rotates it on its own refresh (Claude Code's) says so.
pub fn why_refresh_was_rejected(id: &str) -> &'static str {
    match crate::logins::by_profile_id(id).and_then(|s| s.rejected_why) {
        Some(why) => why,
        None => "The refresh token was rejected (revoked, or already used by another holder of this login). ",
    }
}

/// The hint for a profile that needs re-authentication, when only its id
/// is known (its provider is the id's part before `:`).
pub fn for_profile_id(profile_id: &str) -> String {
    let provider = profile_id.split_once(':').map_or(profile_id, |(p, _)| p);
    for_profile(profile_id, provider, Renewal::Relogin)
}

/// What an operator should do about a failed refresh of `profile_id`.
///
/// Dead logins name the command that renews them where the spec gives one
/// (§3.4's doctor hints); passing failures say when to try again.
pub fn for_refresh(error: &RefreshError, profile_id: &str) -> String {
    if let ErrorKind::Transient { retry_after_ms } = error.kind {
        if let Some(ms) = retry_after_ms {
            return format!("The provider asked to wait: try again in {}.", seconds(ms));
        }
        return match &error.cause {
            Cause::Transport { failure: TransportFailure::Tls, .. } => {
                "Check the gateway host's clock and any TLS-intercepting proxy, then try again.".to_string()
            }
            Cause::Transport { failure: TransportFailure::Redirect, .. } => format!(
                "The token endpoint redirected: check {} and any proxy on the gateway host.",
                error.provider.token_url_env_var()
            ),
            Cause::Transport { .. } => "Check the gateway host's network connection, then try again.".to_string(),
            Cause::UnexpectedBody { .. } | Cause::MissingField { .. } => {
                "The token endpoint answered unexpectedly (a proxy may be in the way); try again later.".to_string()
            }
            Cause::Rejected => "Try again later.".to_string(),
        };
    }
    let why = match error.oauth_error.as_deref() {
        Some("refresh_token_reused") => "The refresh token was already used by another holder of this login. ",
        Some("invalid_grant") => why_refresh_was_rejected(profile_id),
        _ => "",
    };
    let action = for_profile(profile_id, error.provider.id(), Renewal::Relogin);
    format!("{why}{action}")
}

/// What to do about `error`, one hint a line, most useful first; empty
/// when there is nothing to say. The error's message says what went wrong
/// and never this.
pub fn for_error(error: &Error) -> Vec<String> {
    let one = |hint: String| vec![hint];
    match error {
        Error::RefreshFailed(e) => for_refresh_failure(e),
        Error::Plan(e) => one(for_plan(e)),
        Error::Paste(e) => for_paste(e),
        Error::PastedToken(e) => for_pasted_token(e),
        Error::SetupToken(e) => for_setup_token(e),
        Error::ApiKey(ApiKeyError::InnerSpace) => one("Paste the key alone, on one line.".into()),
        Error::Store(TxnFailure::Busy(busy)) => one(for_stuck_lock(&busy.lock_path)),
        Error::Agent(crate::paths::AgentError::Unknown { known, .. }) => one(format!(
            "Name one of them (`--agent {}`), or list the new agent in `agents.list` of clawdbot.json; \
             a command that stores a credential creates it with `--create-agent`.",
            known.first().map_or("main", String::as_str)
        )),
        _ => Vec::new(),
    }
}

/// What to do about a lock held past the wait: it is usually a live
/// process's, but one whose holder died is stuck until it goes stale.
pub fn for_stuck_lock(lock_path: &str) -> String {
    format!(
        "If no clawdbot command, gateway or Claude Code is running, the lock is stuck: remove it with \
         `rmdir '{lock_path}'` (a lock nobody refreshes is also taken over once it is stale)"
    )
}

/// What to do about a profile that was not refreshed.
pub fn for_refresh_failure(failure: &RefreshFailure) -> Vec<String> {
    match failure {
        RefreshFailure::Rejected { profile_id, error } => vec![for_refresh(error, profile_id)],
        RefreshFailure::Plan(e) => vec![for_plan(e)],
        RefreshFailure::SourceBusy { .. } => vec!["Try again in a few seconds.".into()],
        RefreshFailure::Store(txn) | RefreshFailure::NotSaved(txn) => for_error(&Error::Store(txn.clone())),
        _ => Vec::new(),
    }
}

/// What to do about a profile no refresh can be planned for: supply what
/// is missing, or log in again.
fn for_plan(error: &PlanError) -> String {
    match error {
        PlanError::MissingClientId { var, .. } => format!("Store it as clientId in the profile or set {var}."),
        other => for_profile_id(other.profile_id()),
    }
}

fn for_paste(error: &PasteError) -> Vec<String> {
    let one = |hint: String| vec![hint];
    match error {
        PasteError::ProviderControl(_) => one("Type the provider id itself.".into()),
        PasteError::EmptyProfileName(_, provider) => one(format!("Use e.g. {provider}:manual.")),
        PasteError::ReservedProfileId(_, provider) => vec![
            format!("Pick another id (e.g. {provider}:manual)."),
            "To let the sync bring that login back after `models auth remove`, run \
             `clawdbot models auth sync --enable claude-cli` (or `codex-cli`)."
                .into(),
        ],
        PasteError::ProviderMismatch { provider, .. } => one(format!("Use {provider}:<name>.")),
        PasteError::ExpiresBeyondJs => one("Leave it out for a token that does not expire.".into()),
        PasteError::ApiKeyAsToken => {
            one("Store it with `clawdbot models auth paste-api-key --provider anthropic`.".into())
        }
        PasteError::Cleaning(e) => for_pasted_token(e),
        _ => Vec::new(),
    }
}

fn for_pasted_token(error: &PastedTokenError) -> Vec<String> {
    match error {
        PastedTokenError::LooksLikeCodeAndState => vec!["Paste the token itself.".into()],
        _ => Vec::new(),
    }
}

/// What `claude setup-token` prints, which the setup-token hints ask for.
const PASTE_THE_SETUP_TOKEN: &str = "Paste the sk-ant-oat01-… token `claude setup-token` printed.";

fn for_setup_token(error: &SetupTokenError) -> Vec<String> {
    let hint = match error {
        SetupTokenError::Empty | SetupTokenError::RefreshToken => PASTE_THE_SETUP_TOKEN,
        SetupTokenError::WhitespaceInside => "Paste it as one line.",
        SetupTokenError::ApiKey => {
            "Store keys with `clawdbot models auth paste-api-key --provider anthropic` or ANTHROPIC_API_KEY."
        }
        _ => return Vec::new(),
    };
    vec![hint.to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_follow_the_provider_before_the_colon() {
        assert_eq!(for_profile_id("openai-codex:codex-cli"), "Run `codex login` on the gateway host.");
        assert_eq!(
            for_profile_id("anthropic:claude-cli"),
            "Log in again in Claude Code on the gateway host (run `claude`, then `/login`), or run `claude \
             setup-token` and then `clawdbot models auth setup-token` for a 1-year token."
        );
        assert_eq!(for_profile_id("anthropic:work"), for_profile("anthropic:work", "anthropic", Renewal::Relogin));
        assert_eq!(for_profile_id("openai"), for_profile("openai", "openai", Renewal::Relogin));
    }

    #[test]
    fn every_hint_names_an_existing_command() {
        let hints = [
            for_profile("anthropic:claude-cli", "anthropic", Renewal::Refresh),
            for_profile("openai-codex:codex-cli", "openai-codex", Renewal::Relogin),
            for_profile("anthropic:work", "anthropic", Renewal::Refresh),
            for_profile("openai:manual", "openai", Renewal::Relogin),
            for_missing_provider("anthropic", &[]),
            for_missing_provider("openrouter", &[]),
        ];
        for hint in &hints {
            assert!(!hint.contains("clawdbot configure") && !hint.contains("clawdbot onboard"), "{hint}");
        }
        assert!(hints[2].contains("models auth refresh --profile anthropic:work"), "{}", hints[2]);
        assert!(hints[3].contains("paste-token --provider openai --profile-id openai:manual"), "{}", hints[3]);
    }

    #[test]
    fn only_the_claude_code_login_is_shared_with_claude_code() {
        assert!(why_refresh_was_rejected("anthropic:claude-cli").contains("Claude Code"));
        assert!(!why_refresh_was_rejected("anthropic:work").contains("Claude Code"));
    }

    #[test]
    fn each_hint_word_for_word() {
        let claude = "Log in again in Claude Code on the gateway host (run `claude`, then `/login`), or run \
                      `claude setup-token` and then `clawdbot models auth setup-token` for a 1-year token.";
        for renewal in [Renewal::Refresh, Renewal::Relogin] {
            assert_eq!(for_profile("anthropic:claude-cli", "anthropic", renewal), claude);
            assert_eq!(
                for_profile("openai-codex:codex-cli", "openai-codex", renewal),
                "Run `codex login` on the gateway host."
            );
        }
        assert_eq!(
            for_profile("qwen-portal:q", "qwen-portal", Renewal::Refresh),
            "Run `clawdbot models auth refresh --profile qwen-portal:q`; if the login was revoked, log in again \
             through the gateway's onboarding, or paste a token with \
             `clawdbot models auth paste-token --provider qwen-portal --profile-id qwen-portal:q`."
        );
        assert_eq!(
            for_profile("qwen-portal:q", "qwen-portal", Renewal::Relogin),
            "Paste a new token: `clawdbot models auth paste-token --provider qwen-portal --profile-id qwen-portal:q`."
        );
        assert_eq!(
            for_missing_provider("anthropic", &[]),
            "Run `clawdbot models auth setup-token` or `clawdbot models auth paste-token --provider anthropic`."
        );
        assert_eq!(
            for_missing_provider("groq\u{1b}", &[]),
            "Set its API key env var, or run `clawdbot models auth paste-token --provider groq\\u{1b}`."
        );
        assert_eq!(
            why_refresh_was_rejected("anthropic:claude-cli"),
            "The refresh token was rejected; Claude Code shares this login and may have rotated it. "
        );
        assert_eq!(
            why_refresh_was_rejected("openai-codex:codex-cli"),
            "The refresh token was rejected (revoked, or already used by another holder of this login). "
        );
    }

    #[test]
    fn the_remedies_that_left_the_messages_are_hints_word_for_word() {
        let hints = |e: Error| for_error(&e);
        assert_eq!(
            hints(
                PasteError::ProviderMismatch { id: "a:1".into(), id_provider: "a".into(), provider: "b".into() }.into()
            ),
            ["Use b:<name>."]
        );
        assert_eq!(
            hints(PasteError::EmptyProfileName("openai:".into(), "openai".into()).into()),
            ["Use e.g. openai:manual."]
        );
        assert_eq!(hints(PasteError::ProviderControl("x".into()).into()), ["Type the provider id itself."]);
        assert_eq!(
            hints(PasteError::ReservedProfileId("anthropic:claude-cli".into(), "anthropic".into()).into()),
            [
                "Pick another id (e.g. anthropic:manual).",
                "To let the sync bring that login back after `models auth remove`, run \
                 `clawdbot models auth sync --enable claude-cli` (or `codex-cli`)."
            ]
        );
        assert_eq!(hints(PasteError::ExpiresBeyondJs.into()), ["Leave it out for a token that does not expire."]);
        assert_eq!(
            hints(PasteError::ApiKeyAsToken.into()),
            ["Store it with `clawdbot models auth paste-api-key --provider anthropic`."]
        );
        assert_eq!(hints(PastedTokenError::LooksLikeCodeAndState.into()), ["Paste the token itself."]);
        assert_eq!(
            hints(PasteError::Cleaning(PastedTokenError::LooksLikeCodeAndState).into()),
            ["Paste the token itself."]
        );
        assert_eq!(hints(ApiKeyError::InnerSpace.into()), ["Paste the key alone, on one line."]);
        assert_eq!(hints(SetupTokenError::Empty.into()), [PASTE_THE_SETUP_TOKEN]);
        assert_eq!(hints(SetupTokenError::RefreshToken.into()), [PASTE_THE_SETUP_TOKEN]);
        assert_eq!(hints(SetupTokenError::WhitespaceInside.into()), ["Paste it as one line."]);
        assert_eq!(
            hints(SetupTokenError::ApiKey.into()),
            ["Store keys with `clawdbot models auth paste-api-key --provider anthropic` or ANTHROPIC_API_KEY."]
        );
        assert_eq!(
            hints(
                RefreshFailure::SourceBusy {
                    owner: "Claude Code",
                    busy: crate::io::LockBusy { lock_path: "/h/.claude.lock".into(), waited_ms: 10_000 }
                }
                .into()
            ),
            ["Try again in a few seconds."]
        );
        assert_eq!(
            hints(
                TxnFailure::Busy(crate::io::LockBusy { lock_path: "/h/.claude.lock".into(), waited_ms: 10_000 }).into()
            ),
            ["If no clawdbot command, gateway or Claude Code is running, the lock is stuck: remove it with \
              `rmdir '/h/.claude.lock'` (a lock nobody refreshes is also taken over once it is stale)"]
        );
        let no_refresh = crate::refresh::PlanError::MissingRefreshToken { profile_id: "openai:x".into() };
        assert_eq!(hints(no_refresh.into()), [for_profile_id("openai:x")]);
        // A cause with nothing to do about it has no hint.
        assert!(hints(PasteError::EmptyProvider.into()).is_empty());
    }

    #[test]
    fn ids_from_files_are_escaped() {
        assert!(!for_profile("x\u{1b}[2J", "p\u{7}", Renewal::Relogin).chars().any(crate::escape::needs_escape));
    }
}
