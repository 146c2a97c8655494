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
    /// `CLAWDBOT_AUTH_URL_<PROVIDER>`: a login's authorization server.
    auth_origins: BTreeMap<RefreshProvider, String>,
    /// `CLAWDBOT_API_URL_<PROVIDER>`: a provider's API server (a login's,
    /// a probe's), by provider id: every provider has one.
    api_origins: BTreeMap<&'static str, String>,
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
    ///
    /// `CLAWDBOT_AUTH_URL_<PROVIDER>` and `CLAWDBOT_API_URL_<PROVIDER>`
    /// replace the origin of a login's authorization and API servers
    /// (`models auth login`, and the refresh endpoints under them; the API
    /// server of any provider for `models status --probe`); only an
    /// `https://` origin, or an `http://` one on a loopback host, is used,
    /// else the variable is listed in [`Endpoints::ignored`]. A token URL
    /// override still wins for token requests.
    pub fn from_env<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let names: Vec<(String, RefreshProvider)> =
            RefreshProvider::all().map(|p| (p.token_url_env_var(), p)).collect();
        let auth_vars: Vec<(String, RefreshProvider)> =
            RefreshProvider::all().map(|p| (p.auth_url_env_var(), p)).collect();
        let api_vars: Vec<(String, &'static str)> =
            crate::providers::PROVIDERS.iter().map(|p| (crate::providers::api_url_env_var(p.id), p.id)).collect();
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
            } else if let Some((_, provider)) = auth_vars.iter().find(|(a, _)| a == name) {
                match origin(value) {
                    Some(origin) => {
                        endpoints.auth_origins.insert(*provider, origin);
                    }
                    None => endpoints.ignored.push(name.to_string()),
                }
            } else if let Some((_, provider)) = api_vars.iter().find(|(a, _)| a == name) {
                match origin(value) {
                    Some(origin) => {
                        endpoints.api_origins.insert(provider, origin);
                    }
                    None => endpoints.ignored.push(name.to_string()),
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

    /// The origin replacing `provider`'s authorization server, if any.
    pub fn auth_origin(&self, provider: RefreshProvider) -> Option<&str> {
        self.auth_origins.get(&provider).map(String::as_str)
    }

    /// The origin replacing `provider`'s API server, if any.
    pub fn api_origin(&self, provider: RefreshProvider) -> Option<&str> {
        self.api_origin_of(provider.id())
    }

    /// The origin replacing the API server of the provider `id` (any
    /// provider's, as the registry spells it), if any.
    pub fn api_origin_of(&self, id: &str) -> Option<&str> {
        self.api_origins.get(id).map(String::as_str)
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

/// `value` as an origin a login may talk to: `https://host[:port]`, or
/// `http://` on a loopback host (a test's fake server, a local proxy);
/// a trailing slash is dropped. `None` for anything else.
pub(crate) fn origin(value: &str) -> Option<String> {
    let value = value.trim().trim_end_matches('/');
    let lower = value.to_ascii_lowercase();
    let (secure, rest) = match (lower.strip_prefix("https://"), lower.strip_prefix("http://")) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        (None, None) => return None,
    };
    let host_ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if rest.is_empty() || !rest.chars().all(host_ok) {
        return None;
    }
    let host = match rest.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => rest.split(':').next().unwrap_or(""),
    };
    let loopback = host == "localhost" || host == "::1" || host.starts_with("127.");
    (secure || loopback).then(|| value.to_string())
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
    fn a_login_origin_is_https_or_on_a_loopback_host() {
        let e = Endpoints::from_env([
            ("CLAWDBOT_AUTH_URL_OPENAI_CODEX", "http://127.0.0.1:8123/"),
            ("CLAWDBOT_API_URL_GITHUB_COPILOT", "https://ghe.example"),
            ("CLAWDBOT_AUTH_URL_GITHUB_COPILOT", "http://github.evil.example"),
            ("CLAWDBOT_AUTH_URL_ANTHROPIC", "https://a.example/with/path"),
        ]);
        let p = |id: &str| RefreshProvider::from_id(id).expect("built in");
        assert_eq!(e.auth_origin(p("openai-codex")), Some("http://127.0.0.1:8123"));
        assert_eq!(e.api_origin(p("github-copilot")), Some("https://ghe.example"));
        assert_eq!(e.auth_origin(p("github-copilot")), None);
        assert_eq!(e.auth_origin(p("anthropic")), None);
        assert_eq!(e.ignored(), ["CLAWDBOT_AUTH_URL_GITHUB_COPILOT", "CLAWDBOT_AUTH_URL_ANTHROPIC"]);
        // Every provider's API server moves, refreshable or not (a probe's).
        let e = Endpoints::from_env([
            ("CLAWDBOT_API_URL_OPENROUTER", "http://127.0.0.1:9/"),
            ("CLAWDBOT_API_URL_OPENAI", "http://203.0.113.9"),
        ]);
        assert_eq!(e.api_origin_of("openrouter"), Some("http://127.0.0.1:9"));
        assert_eq!(e.api_origin_of("openai"), None, "plain http off the loopback");
        assert_eq!(e.ignored(), ["CLAWDBOT_API_URL_OPENAI"]);
        for ok in ["http://localhost:1", "http://[::1]:9", "https://x.ghe.com"] {
            assert!(origin(ok).is_some(), "{ok}");
        }
        for bad in ["ftp://x", "http://10.0.0.1", "https://", "https://a b", "https://a?x=1"] {
            assert!(origin(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn accepts_owned_pairs() {
        let vars = vec![("CLAWDBOT_TOKEN_URL_GITHUB_COPILOT".to_string(), "https://gh.invalid/t".to_string())];
        let e = Endpoints::from_env(vars);
        let copilot = RefreshProvider::from_id("github-copilot").expect("built in");
        assert_eq!(e.token_url_override(copilot), Some("https://gh.invalid/t"));
    }
}
