//! The cheapest request that proves a credential works, as data
//! (`models status --probe`, issue 26).
//!
//! Each provider with one declares it in its own file, in its
//! [`super::ProviderSpec::probes`]. The cheapest first: a read-only `GET`
//! that needs the key and costs nothing (a model list, a key's own record,
//! a usage or quota page, a token exchange whose answer is not kept), or a
//! `POST` that generates nothing (Code Assist's start-up call). Where the
//! provider has neither, the smallest completion: one word in, at most
//! one token out (`max_tokens: 1`) of the cheapest model it documents,
//! which spends that token of the operator's quota. A provider with no
//! request of either kind that a key alone can make (a model id that is
//! not stable, a project and region to name) declares none and is
//! reported "not probed (no cheap check)".
//!
//! A model id in a completion ages faster than an endpoint: a model the
//! provider retired answers 400 or 404, which classifies as `format` (a
//! warning, never a refusal), while a revoked key is still refused with
//! 401 before the model is looked at.
//!
//! The registry says what is sent; the probe rules (`rules/probe.rs`)
//! decide what is probed and what an answer means.

use crate::http::{HttpRequest, RequestBody};
use crate::secret::Secret;
use crate::store::{CredentialType, OAuth};

/// Every kind of credential.
pub const ANY: &[CredentialType] = &[CredentialType::ApiKey, CredentialType::Token, CredentialType::OAuth];

/// The kinds that are sent as a bearer: a login's access token, a token.
pub const BEARERS: &[CredentialType] = &[CredentialType::Token, CredentialType::OAuth];

/// How a probe presents the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyIn {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `Authorization: <scheme> <key>` (Deepgram's `Token`).
    Scheme(&'static str),
    /// The key alone as this header's value (`x-api-key`).
    Header(&'static str),
}

/// Which secret of a credential a probe sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOf {
    /// The key, the token, or a login's access token.
    Secret,
    /// A login's refresh token (GitHub Copilot's GitHub token, which the
    /// Copilot token is exchanged for); a key or token as it is.
    Refresh,
}

/// What a probe asks of its endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// `GET` the path: a read that costs nothing.
    Read,
    /// `POST` this JSON body to the path: a call that generates nothing.
    Post(&'static str),
    /// The smallest OpenAI-style chat completion of this model: one user
    /// word, `max_tokens: 1`. It spends one output token.
    Completion(&'static str),
}

/// One provider's probe for some kinds of credential.
#[derive(Debug)]
pub struct Probe {
    /// The kinds of credential it proves.
    pub kinds: &'static [CredentialType],
    /// The API server's origin (`CLAWDBOT_API_URL_<PROVIDER>` replaces it).
    pub origin: &'static str,
    /// The path under the origin.
    pub path: &'static str,
    /// What is sent there.
    pub ask: Ask,
    /// How the key is presented.
    pub key_in: KeyIn,
    /// Which secret is sent.
    pub key_of: KeyOf,
    /// Further headers the endpoint wants (an API version, an identity).
    pub headers: &'static [(&'static str, &'static str)],
    /// A header that carries the login's account id, when it has one
    /// (`ChatGPT-Account-Id`).
    pub account_header: Option<&'static str>,
    /// The API origin a login names for itself (a GitHub Enterprise host),
    /// used unless an override replaces it.
    pub login_origin: Option<fn(&OAuth) -> Option<String>>,
}

impl Probe {
    /// `GET origin path` with the key as a bearer, for every kind of
    /// credential; a provider's file overrides the fields that differ.
    pub const fn get(origin: &'static str, path: &'static str) -> Probe {
        Probe {
            kinds: ANY,
            origin,
            path,
            ask: Ask::Read,
            key_in: KeyIn::Bearer,
            key_of: KeyOf::Secret,
            headers: &[],
            account_header: None,
            login_origin: None,
        }
    }

    /// `POST origin path` with `body`, the key as a bearer.
    pub const fn post(origin: &'static str, path: &'static str, body: &'static str) -> Probe {
        Probe { ask: Ask::Post(body), ..Probe::get(origin, path) }
    }

    /// The smallest chat completion of `model` at `origin path`, the key
    /// as a bearer.
    pub const fn completion(origin: &'static str, path: &'static str, model: &'static str) -> Probe {
        Probe { ask: Ask::Completion(model), ..Probe::get(origin, path) }
    }

    /// The probe of `probes` for a credential of `kind`, if any.
    pub fn for_kind(probes: &'static [Probe], kind: CredentialType) -> Option<&'static Probe> {
        probes.iter().find(|p| p.kinds.contains(&kind))
    }

    /// The origin to send to: the operator's override, else the one the
    /// login names, else the provider's.
    pub fn origin_for(&self, override_origin: Option<&str>, login: Option<&OAuth>) -> String {
        if let Some(origin) = override_origin {
            return origin.to_string();
        }
        match (self.login_origin, login) {
            (Some(of), Some(login)) => of(login).unwrap_or_else(|| self.origin.to_string()),
            _ => self.origin.to_string(),
        }
    }

    /// The request, complete: `<origin><path>` with the key where the
    /// provider wants it. It holds the key: sent, never printed.
    pub fn request(&self, key: &Secret, origin: &str, login: Option<&OAuth>) -> HttpRequest {
        let key = key.expose().trim();
        let url = format!("{origin}{}", self.path);
        let mut request = match self.ask {
            Ask::Read => HttpRequest::get(url),
            Ask::Post(body) => HttpRequest::post(url, RequestBody::Json(body.to_string())),
            Ask::Completion(model) => HttpRequest::post(url, RequestBody::Json(completion_body(model))),
        };
        request = match self.key_in {
            KeyIn::Bearer => request.with_header("Authorization", format!("Bearer {key}")),
            KeyIn::Scheme(scheme) => request.with_header("Authorization", format!("{scheme} {key}")),
            KeyIn::Header(name) => request.with_header(name, key),
        };
        for (name, value) in self.headers {
            request = request.with_header(name, *value);
        }
        let account = login.and_then(|l| l.account_id.as_deref()).map(str::trim).filter(|a| !a.is_empty());
        if let (Some(header), Some(account)) = (self.account_header, account) {
            request = request.with_header(header, account);
        }
        request
    }

    /// What it sends, in words, for `--help` and the docs:
    /// `GET https://api.openai.com/v1/models, key as a bearer`.
    pub fn describe(&self) -> String {
        let key = match (self.key_of, self.key_in) {
            (KeyOf::Refresh, _) => "the GitHub token as a bearer".to_string(),
            (KeyOf::Secret, KeyIn::Bearer) if self.kinds == [CredentialType::OAuth] => {
                "the access token as a bearer".to_string()
            }
            (KeyOf::Secret, KeyIn::Bearer) => "the key as a bearer".to_string(),
            (KeyOf::Secret, KeyIn::Scheme(s)) => format!("Authorization: {s} <key>"),
            (KeyOf::Secret, KeyIn::Header(h)) => format!("the key in {h}"),
        };
        let at = format!("{}{}", self.origin, self.path);
        let mut parts = vec![match self.ask {
            Ask::Read => format!("GET {at}"),
            Ask::Post(_) => format!("POST {at} (generates nothing)"),
            Ask::Completion(model) => {
                format!("POST {at}, a completion of {model} with max_tokens 1 (spends one output token)")
            }
        }];
        parts.push(key);
        parts.extend(
            self.headers
                .iter()
                .filter(|(name, _)| !name.eq_ignore_ascii_case("user-agent"))
                .map(|(name, value)| format!("{name}: {value}")),
        );
        if let Some(header) = self.account_header {
            parts.push(format!("{header}: <the login's account>"));
        }
        parts.join(", ")
    }
}

/// The body of the smallest completion: one word in, one token out.
fn completion_body(model: &str) -> String {
    serde_json::json!({
        "model": model,
        "max_tokens": 1,
        "messages": [{"role": "user", "content": "hi"}],
    })
    .to_string()
}

/// The words for the kinds a probe is for: `API key`, `login or token`.
pub fn kinds_words(kinds: &[CredentialType]) -> &'static str {
    let has = |k| kinds.contains(&k);
    match (has(CredentialType::ApiKey), has(CredentialType::Token), has(CredentialType::OAuth)) {
        (true, true, true) => "any key",
        (true, false, false) => "API key",
        (false, true, true) => "login or token",
        (false, false, true) => "login",
        (false, true, false) => "token",
        _ => "key",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::PROVIDERS;

    #[test]
    fn a_probe_sends_the_key_where_its_provider_wants_it_and_says_so() {
        let key = Secret::new(" sk-FAKE-1 ");
        let bearer = Probe::get("https://api.example", "/v1/models");
        let r = bearer.request(&key, "http://127.0.0.1:9", None);
        assert_eq!(r.url, "http://127.0.0.1:9/v1/models");
        assert_eq!(r.header("authorization"), Some("Bearer sk-FAKE-1"));
        assert_eq!(bearer.describe(), "GET https://api.example/v1/models, the key as a bearer");
        let header = Probe { key_in: KeyIn::Header("x-api-key"), headers: &[("v", "1")], ..bearer };
        let r = header.request(&key, "https://a", None);
        assert_eq!(
            (r.header("x-api-key"), r.header("authorization"), r.header("v")),
            (Some("sk-FAKE-1"), None, Some("1"))
        );
        let login = OAuth { account_id: Some("acct-1".into()), ..OAuth::default() };
        let account = Probe { account_header: Some("ChatGPT-Account-Id"), ..Probe::get("https://c", "/u") };
        assert_eq!(account.request(&key, "https://c", Some(&login)).header("chatgpt-account-id"), Some("acct-1"));
        assert!(!format!("{:?}", account.request(&key, "https://c", Some(&login))).contains("FAKE"));
    }

    #[test]
    fn a_completion_asks_for_one_token_and_a_post_sends_its_body_neither_holding_the_key() {
        let key = Secret::new("zai-FAKE-CANARY-1");
        let r = Probe::completion("https://z", "/v4/chat/completions", "glm-tiny").request(&key, "https://z", None);
        assert_eq!((r.method, r.url.as_str()), (crate::http::Method::Post, "https://z/v4/chat/completions"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        let body: serde_json::Value =
            serde_json::from_str(r.body.as_ref().map_or("", RequestBody::as_str)).expect("a JSON body");
        assert_eq!(
            body,
            serde_json::json!({"model": "glm-tiny", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]})
        );
        assert_eq!(r.header("authorization"), Some("Bearer zai-FAKE-CANARY-1"));
        let post = Probe::post("https://c", "/v1:load", r#"{"m":1}"#);
        let r = post.request(&key, "https://c", None);
        assert_eq!(r.body.as_ref().map(RequestBody::as_str), Some(r#"{"m":1}"#));
        assert_eq!(post.describe(), "POST https://c/v1:load (generates nothing), the key as a bearer");
        let said = Probe::completion("https://z", "/c", "m").describe();
        assert!(said.contains("a completion of m with max_tokens 1 (spends one output token)"), "{said}");
    }

    #[test]
    fn every_probe_is_at_an_https_origin_each_kind_has_at_most_one_and_only_a_completion_spends() {
        let mut completions = 0;
        for spec in PROVIDERS {
            for kind in ANY {
                let n = spec.probes.iter().filter(|p| p.kinds.contains(kind)).count();
                assert!(n <= 1, "{}: {n} probes for {kind:?}", spec.id);
            }
            for p in spec.probes {
                assert!(p.origin.starts_with("https://") && !p.origin.ends_with('/'), "{}", spec.id);
                assert!(p.path.starts_with('/'), "{}", spec.id);
                match p.ask {
                    Ask::Read => {}
                    Ask::Post(body) => {
                        assert!(serde_json::from_str::<serde_json::Value>(body).is_ok(), "{}", spec.id)
                    }
                    Ask::Completion(model) => {
                        completions += 1;
                        assert!(!model.is_empty() && p.path.ends_with("/chat/completions"), "{}", spec.id);
                    }
                }
            }
        }
        assert!(completions > 0, "the registry names the providers a completion proves");
    }
}
