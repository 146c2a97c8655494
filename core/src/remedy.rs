//! What to run when a credential needs a person: one place for the hints
//! that status, doctor and refresh errors print.
//!
//! Every hint names a command that exists: one of this binary's
//! (`clawdbot models auth ...`), the tool that owns a synced login
//! (`claude`, `codex`), or, said plainly, the gateway's own onboarding.
//! Earlier hints sent operators to `clawdbot configure` and `clawdbot
//! onboard`, which this binary does not have. Ids and providers come from
//! files, so they are escaped here.

use crate::escape::escape_control;

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

/// The hint for a profile that needs re-authentication, when only its id
/// is known (its provider is the id's part before `:`).
pub fn hint_for(profile_id: &str) -> String {
    let provider = profile_id.split_once(':').map_or(profile_id, |(p, _)| p);
    for_profile(profile_id, provider, Renewal::Relogin)
}

/// The hint for a provider the configured models use but nothing holds a
/// credential for.
pub fn for_missing_provider(provider: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_follow_the_provider_before_the_colon() {
        assert_eq!(hint_for("openai-codex:codex-cli"), "Run `codex login` on the gateway host.");
        assert_eq!(
            hint_for("anthropic:claude-cli"),
            "Log in again in Claude Code on the gateway host (run `claude`, then `/login`), or run `claude \
             setup-token` and then `clawdbot models auth setup-token` for a 1-year token."
        );
        assert_eq!(hint_for("anthropic:work"), for_profile("anthropic:work", "anthropic", Renewal::Relogin));
        assert_eq!(hint_for("openai"), for_profile("openai", "openai", Renewal::Relogin));
    }

    #[test]
    fn every_hint_names_an_existing_command() {
        let hints = [
            for_profile("anthropic:claude-cli", "anthropic", Renewal::Refresh),
            for_profile("openai-codex:codex-cli", "openai-codex", Renewal::Relogin),
            for_profile("anthropic:work", "anthropic", Renewal::Refresh),
            for_profile("openai:manual", "openai", Renewal::Relogin),
            for_missing_provider("anthropic"),
            for_missing_provider("openrouter"),
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
            for_missing_provider("anthropic"),
            "Run `clawdbot models auth setup-token` or `clawdbot models auth paste-token --provider anthropic`."
        );
        assert_eq!(
            for_missing_provider("groq\u{1b}"),
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
    fn ids_from_files_are_escaped() {
        assert!(!for_profile("x\u{1b}[2J", "p\u{7}", Renewal::Relogin).chars().any(crate::escape::needs_escape));
    }
}
