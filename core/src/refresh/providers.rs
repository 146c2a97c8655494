//! The providers whose OAuth logins Clawdbot can refresh, and their constants.
//!
//! Each constant is a public value of the official client it imitates
//! (installed-app OAuth clients embed their ids and "secrets" in source);
//! the spec section that fixes each is named beside it so that a change
//! upstream can be traced.

use crate::time::{MINUTE, Millis};
use std::fmt;

/// A provider with a known refresh flow (spec §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefreshProvider {
    Anthropic,
    OpenAiCodex,
    GithubCopilot,
    GoogleGeminiCli,
    GoogleAntigravity,
    QwenPortal,
    Chutes,
}

/// Claude Code's public OAuth client, which pi-ai shares (spec §4, formats §2.1).
pub const ANTHROPIC_CLIENT_ID: &str = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";
/// pi-ai's URL. Newer clients use `https://platform.claude.com/v1/oauth/token`;
/// the old host still answers and is what the reference sends.
pub const ANTHROPIC_TOKEN_URL: &str = "https://console.anthropic.com/v1/oauth/token";

/// Codex CLI's public client (spec §4, formats §3.4).
pub const CODEX_CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";
pub const CODEX_TOKEN_URL: &str = "https://auth.openai.com/oauth/token";

/// The editor identity GitHub's Copilot token exchange expects (spec §4).
pub const COPILOT_HEADERS: [(&str, &str); 4] = [
    ("User-Agent", "GitHubCopilotChat/0.35.0"),
    ("Editor-Version", "vscode/1.107.0"),
    ("Editor-Plugin-Version", "copilot-chat/0.35.0"),
    ("Copilot-Integration-Id", "vscode-chat"),
];

pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// Gemini CLI's installed-app client (spec §4).
pub const GEMINI_CLI_CLIENT_ID: &str = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com";
/// Gemini CLI's installed-app secret: `OAUTH_CLIENT_SECRET` in
/// google-gemini/gemini-cli `packages/core/src/code_assist/oauth2.ts`. Google
/// documents installed-app secrets as not secret.
pub const GEMINI_CLI_CLIENT_SECRET: &str = "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";
/// Antigravity's installed-app client (spec §4).
pub const ANTIGRAVITY_CLIENT_ID: &str = "1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com";
/// Antigravity's installed-app secret: `CLIENT_SECRET` (base64 in source) in
/// badlogic/pi-mono `packages/ai/src/utils/oauth/google-antigravity.ts`.
pub const ANTIGRAVITY_CLIENT_SECRET: &str = "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";

/// Qwen Code's public client (spec §4, `src/providers/qwen-portal-oauth.ts`).
pub const QWEN_CLIENT_ID: &str = "f0304373b74a44d2b584a3fb70ca9e56";
pub const QWEN_TOKEN_URL: &str = "https://chat.qwen.ai/api/v1/oauth2/token";

pub const CHUTES_TOKEN_URL: &str = "https://api.chutes.ai/idp/token";

/// How much earlier than the server's expiry a provider's `expires` is set,
/// so that the stored value is "time to refresh" rather than "dead at".
const FIVE_MINUTES: Millis = 5 * MINUTE;

impl RefreshProvider {
    pub const ALL: [RefreshProvider; 7] = [
        RefreshProvider::Anthropic,
        RefreshProvider::OpenAiCodex,
        RefreshProvider::GithubCopilot,
        RefreshProvider::GoogleGeminiCli,
        RefreshProvider::GoogleAntigravity,
        RefreshProvider::QwenPortal,
        RefreshProvider::Chutes,
    ];

    /// The provider for a stored `provider` string, compared normalised.
    pub fn from_id(provider: &str) -> Option<Self> {
        let id = crate::provider::normalize(provider);
        RefreshProvider::ALL.into_iter().find(|p| p.id() == id)
    }

    /// The provider id as profiles store it.
    pub fn id(self) -> &'static str {
        match self {
            RefreshProvider::Anthropic => "anthropic",
            RefreshProvider::OpenAiCodex => "openai-codex",
            RefreshProvider::GithubCopilot => "github-copilot",
            RefreshProvider::GoogleGeminiCli => "google-gemini-cli",
            RefreshProvider::GoogleAntigravity => "google-antigravity",
            RefreshProvider::QwenPortal => "qwen-portal",
            RefreshProvider::Chutes => "chutes",
        }
    }

    /// Subtracted from the server's expiry when storing `expires` (spec §4):
    /// five minutes, except Codex and Qwen which store the real expiry.
    pub fn expiry_margin_ms(self) -> Millis {
        match self {
            RefreshProvider::OpenAiCodex | RefreshProvider::QwenPortal => 0,
            _ => FIVE_MINUTES,
        }
    }

    /// The token URL when nothing overrides it. Copilot's depends on the
    /// login's GitHub host, so it has none here.
    pub fn default_token_url(self) -> Option<&'static str> {
        match self {
            RefreshProvider::Anthropic => Some(ANTHROPIC_TOKEN_URL),
            RefreshProvider::OpenAiCodex => Some(CODEX_TOKEN_URL),
            RefreshProvider::GithubCopilot => None,
            RefreshProvider::GoogleGeminiCli | RefreshProvider::GoogleAntigravity => Some(GOOGLE_TOKEN_URL),
            RefreshProvider::QwenPortal => Some(QWEN_TOKEN_URL),
            RefreshProvider::Chutes => Some(CHUTES_TOKEN_URL),
        }
    }

    /// The environment variable that overrides the token URL, for tests and
    /// for proxies: `CLAWDBOT_TOKEN_URL_<PROVIDER>`.
    pub fn token_url_env_var(self) -> String {
        format!("CLAWDBOT_TOKEN_URL_{}", crate::provider::env_suffix(self.id()))
    }
}

impl fmt::Display for RefreshProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_normalise() {
        for p in RefreshProvider::ALL {
            assert_eq!(RefreshProvider::from_id(p.id()), Some(p));
        }
        assert_eq!(RefreshProvider::from_id(" Anthropic "), Some(RefreshProvider::Anthropic));
        assert_eq!(RefreshProvider::from_id("openai"), None);
        assert_eq!(RefreshProvider::from_id("minimax-portal"), None);
    }

    #[test]
    fn margins_follow_the_spec() {
        assert_eq!(RefreshProvider::OpenAiCodex.expiry_margin_ms(), 0);
        assert_eq!(RefreshProvider::QwenPortal.expiry_margin_ms(), 0);
        for p in [
            RefreshProvider::Anthropic,
            RefreshProvider::GithubCopilot,
            RefreshProvider::GoogleGeminiCli,
            RefreshProvider::GoogleAntigravity,
            RefreshProvider::Chutes,
        ] {
            assert_eq!(p.expiry_margin_ms(), 300_000, "{p}");
        }
    }

    #[test]
    fn env_var_names() {
        assert_eq!(RefreshProvider::OpenAiCodex.token_url_env_var(), "CLAWDBOT_TOKEN_URL_OPENAI_CODEX");
        assert_eq!(RefreshProvider::GoogleGeminiCli.token_url_env_var(), "CLAWDBOT_TOKEN_URL_GOOGLE_GEMINI_CLI");
    }
}
