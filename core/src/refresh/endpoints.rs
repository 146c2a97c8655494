//! Where token requests go, and the client settings a host takes from its
//! environment.
//!
//! Token URLs are overridable so that end-to-end tests can point the CLI at
//! a local server, and so that an operator can follow a provider that moves
//! its endpoint (Anthropic's is moving to `platform.claude.com`) without a
//! release. The core reads no environment: the host passes the variables it
//! has and [`Endpoints::from_env`] picks what it understands.

use super::providers::RefreshProvider;
use crate::secret::Secret;
use std::collections::BTreeMap;

/// Chutes' client id when the profile does not store its own `clientId`.
pub const CHUTES_CLIENT_ID_VAR: &str = "CHUTES_CLIENT_ID";
/// Chutes' optional client secret.
pub const CHUTES_CLIENT_SECRET_VAR: &str = "CHUTES_CLIENT_SECRET";

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Endpoints {
    token_urls: BTreeMap<RefreshProvider, String>,
    chutes_client_id: Option<String>,
    chutes_client_secret: Option<Secret>,
    ignored: Vec<String>,
}

impl Endpoints {
    /// The built-in endpoints, no overrides.
    pub fn defaults() -> Self {
        Endpoints::default()
    }

    /// Reads `CLAWDBOT_TOKEN_URL_<PROVIDER>`, `CHUTES_CLIENT_ID` and
    /// `CHUTES_CLIENT_SECRET` from the host's variables; other names are
    /// skipped. Blank values count as unset. A token URL that is not
    /// `http://` or `https://` is not used and its variable is listed in
    /// [`Endpoints::ignored`], so the host can warn instead of silently
    /// sending a refresh token somewhere unexpected.
    pub fn from_env<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let names: Vec<(String, RefreshProvider)> =
            RefreshProvider::ALL.into_iter().map(|p| (p.token_url_env_var(), p)).collect();
        let mut endpoints = Endpoints::default();
        for (name, value) in vars {
            let (name, value) = (name.as_ref(), value.as_ref().trim());
            if value.is_empty() {
                continue;
            }
            if name == CHUTES_CLIENT_ID_VAR {
                endpoints.chutes_client_id = Some(value.to_string());
            } else if name == CHUTES_CLIENT_SECRET_VAR {
                endpoints.chutes_client_secret = Some(Secret::new(value));
            } else if let Some((_, provider)) = names.iter().find(|(n, _)| n == name) {
                if is_http_url(value) {
                    endpoints.token_urls.insert(*provider, value.to_string());
                } else {
                    endpoints.ignored.push(name.to_string());
                }
            }
        }
        endpoints
    }

    /// Sends `provider`'s token requests to `url` instead.
    pub fn with_token_url(mut self, provider: RefreshProvider, url: impl Into<String>) -> Self {
        self.token_urls.insert(provider, url.into());
        self
    }

    pub fn with_chutes_client(mut self, client_id: impl Into<String>, client_secret: Option<Secret>) -> Self {
        self.chutes_client_id = Some(client_id.into());
        self.chutes_client_secret = client_secret;
        self
    }

    /// The URL overriding `provider`'s token endpoint, if any.
    pub fn token_url_override(&self, provider: RefreshProvider) -> Option<&str> {
        self.token_urls.get(&provider).map(String::as_str)
    }

    pub fn chutes_client_id(&self) -> Option<&str> {
        self.chutes_client_id.as_deref()
    }

    pub fn chutes_client_secret(&self) -> Option<&Secret> {
        self.chutes_client_secret.as_ref()
    }

    /// Variables that were set but could not be used.
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }
}

fn is_http_url(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.chars().any(char::is_whitespace))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_overrides_from_the_environment() {
        let e = Endpoints::from_env([
            ("CLAWDBOT_TOKEN_URL_ANTHROPIC", "http://127.0.0.1:9/token"),
            ("CLAWDBOT_TOKEN_URL_OPENAI_CODEX", "  "),
            ("CLAWDBOT_TOKEN_URL_QWEN_PORTAL", "file:///etc/passwd"),
            ("CHUTES_CLIENT_ID", "cid"),
            ("CHUTES_CLIENT_SECRET", "csecret-FAKE"),
            ("HOME", "/root"),
        ]);
        assert_eq!(e.token_url_override(RefreshProvider::Anthropic), Some("http://127.0.0.1:9/token"));
        assert_eq!(e.token_url_override(RefreshProvider::OpenAiCodex), None);
        assert_eq!(e.token_url_override(RefreshProvider::QwenPortal), None);
        assert_eq!(e.ignored(), ["CLAWDBOT_TOKEN_URL_QWEN_PORTAL"]);
        assert_eq!(e.chutes_client_id(), Some("cid"));
        assert_eq!(e.chutes_client_secret().map(Secret::expose), Some("csecret-FAKE"));
        assert!(!format!("{e:?}").contains("csecret-FAKE"));
    }

    #[test]
    fn accepts_owned_pairs() {
        let vars = vec![("CLAWDBOT_TOKEN_URL_GITHUB_COPILOT".to_string(), "https://gh.invalid/t".to_string())];
        let e = Endpoints::from_env(vars);
        assert_eq!(e.token_url_override(RefreshProvider::GithubCopilot), Some("https://gh.invalid/t"));
    }
}
