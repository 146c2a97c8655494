//! Where token requests go, and the client settings a host takes from its
//! environment.
//!
//! Token URLs are overridable so that end-to-end tests can point the CLI at
//! a local server, and so that an operator can follow a provider that moves
//! its endpoint (Anthropic's is moving to `platform.claude.com`) without a
//! release. The core reads no environment: the host passes the variables it
//! has and [`Endpoints::from_env`] picks what it understands.

use crate::providers::RefreshProvider;
use crate::secret::Secret;
use std::collections::BTreeMap;

/// The token URLs and OAuth clients a host's environment overrides, per
/// refreshable provider, and the override variables it ignored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Endpoints {
    token_urls: BTreeMap<RefreshProvider, String>,
    clients: BTreeMap<RefreshProvider, Client>,
    ignored: Vec<String>,
}

/// An OAuth client the host names for a provider whose client the operator
/// registers (the provider's [`crate::providers::RefreshSpec::client_vars`]).
#[derive(Debug, Clone, PartialEq, Default)]
struct Client {
    id: Option<String>,
    secret: Option<Secret>,
}

impl Endpoints {
    /// The built-in endpoints, no overrides.
    pub fn defaults() -> Self {
        Endpoints::default()
    }

    /// Reads `CLAWDBOT_TOKEN_URL_<PROVIDER>` and the client variables of the
    /// providers that have them (`CHUTES_CLIENT_ID`, `CHUTES_CLIENT_SECRET`)
    /// from the host's variables; other names are skipped. Blank values
    /// count as unset. A token URL that is not `http://` or `https://` is
    /// not used and its variable is listed in [`Endpoints::ignored`], so the
    /// host can warn instead of silently sending a refresh token somewhere
    /// unexpected.
    pub fn from_env<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let names: Vec<(String, RefreshProvider)> =
            RefreshProvider::all().map(|p| (p.token_url_env_var(), p)).collect();
        let mut endpoints = Endpoints::default();
        for (name, value) in vars {
            let (name, value) = (name.as_ref(), value.as_ref().trim());
            if value.is_empty() {
                continue;
            }
            if let Some((provider, vars)) = RefreshProvider::all()
                .find_map(|p| p.flow().client_vars.filter(|v| v.id_var == name || v.secret_var == name).map(|v| (p, v)))
            {
                let client = endpoints.clients.entry(provider).or_default();
                if vars.id_var == name {
                    client.id = Some(value.to_string());
                } else {
                    client.secret = Some(Secret::new(value));
                }
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
    #[cfg(test)]
    pub fn with_token_url(mut self, provider: RefreshProvider, url: impl Into<String>) -> Self {
        self.token_urls.insert(provider, url.into());
        self
    }

    /// The URL overriding `provider`'s token endpoint, if any.
    pub fn token_url_override(&self, provider: RefreshProvider) -> Option<&str> {
        self.token_urls.get(&provider).map(String::as_str)
    }

    /// The host's OAuth client id for `provider`.
    pub fn client_id(&self, provider: RefreshProvider) -> Option<&str> {
        self.clients.get(&provider)?.id.as_deref()
    }

    /// The host's OAuth client secret for `provider`.
    pub fn client_secret(&self, provider: RefreshProvider) -> Option<&Secret> {
        self.clients.get(&provider)?.secret.as_ref()
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
        let p = |id: &str| RefreshProvider::from_id(id).expect("built in");
        assert_eq!(e.token_url_override(p("anthropic")), Some("http://127.0.0.1:9/token"));
        assert_eq!(e.token_url_override(p("openai-codex")), None);
        assert_eq!(e.token_url_override(p("qwen-portal")), None);
        assert_eq!(e.ignored(), ["CLAWDBOT_TOKEN_URL_QWEN_PORTAL"]);
        assert_eq!(e.client_id(p("chutes")), Some("cid"));
        assert_eq!(e.client_secret(p("chutes")).map(Secret::expose), Some("csecret-FAKE"));
        assert_eq!(e.client_id(p("anthropic")), None);
        assert!(!format!("{e:?}").contains("csecret-FAKE"));
    }

    #[test]
    fn accepts_owned_pairs() {
        let vars = vec![("CLAWDBOT_TOKEN_URL_GITHUB_COPILOT".to_string(), "https://gh.invalid/t".to_string())];
        let e = Endpoints::from_env(vars);
        let copilot = RefreshProvider::from_id("github-copilot").expect("built in");
        assert_eq!(e.token_url_override(copilot), Some("https://gh.invalid/t"));
    }
}
