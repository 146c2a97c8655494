//! Turning a stored OAuth login into the refresh request its provider expects.
//!
//! `plan` decides nothing about *whether* to refresh (see
//! [`super::needs_refresh`]): a host that got a 401 with a locally fresh
//! token (A81) plans a refresh all the same. It only checks that the profile
//! holds what the request needs, so that a login that can never refresh
//! fails here, with a message saying what is missing, instead of as an
//! opaque 400 from the server.

use super::endpoints::Endpoints;
use crate::escape::escape_control;
use crate::http::HttpRequest;
use crate::providers::{RefreshInput, RefreshProvider, Requests};
use crate::secret::Secret;
use crate::store::{Credential, Profile};
use crate::time::Millis;

/// One refresh exchange in progress: the request to send now and, for
/// Anthropic, the single form-encoded retry still allowed.
///
/// [`super::apply`] advances it; a host keeps it until it gets an outcome
/// other than `Retry`.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    profile_id: String,
    provider: RefreshProvider,
    request: HttpRequest,
    /// The same refresh, form-encoded: sent once if the JSON body is refused
    /// with a 400 that is not an OAuth error (formats §2.2).
    pub(super) form_fallback: Option<HttpRequest>,
}

impl Plan {
    /// The request to perform now.
    pub fn request(&self) -> &HttpRequest {
        &self.request
    }

    /// The provider whose token endpoint this exchange talks to.
    pub fn provider(&self) -> RefreshProvider {
        self.provider
    }

    /// Whether a format retry is still possible for this exchange.
    #[cfg(test)]
    pub fn can_retry_as_form(&self) -> bool {
        self.form_fallback.is_some()
    }

    /// Moves on to the form-encoded retry, which becomes the request; `None`
    /// when it was already used or the provider has none.
    pub(super) fn take_form_retry(&mut self) -> Option<&HttpRequest> {
        self.request = self.form_fallback.take()?;
        Some(&self.request)
    }
}

/// Why no refresh request can be made for a profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The profile holds an API key or a static token, which cannot be
    /// refreshed.
    #[error("profile {profile_id} holds a {kind} credential; only oauth credentials can be refreshed")]
    NotOAuth {
        /// The profile's id, escaped.
        profile_id: String,
        /// Its credential `type` (`api_key`, `token`).
        kind: &'static str,
    },
    /// No refresh flow is registered for the profile's provider.
    #[error("profile {profile_id}: no refresh flow is known for provider \"{provider}\"")]
    UnknownProvider {
        /// The profile's id, escaped.
        profile_id: String,
        /// The provider as the profile names it, escaped.
        provider: String,
    },
    /// The login stores no (or only a blank) `refresh` token.
    #[error("profile {profile_id} has no refresh token")]
    MissingRefreshToken {
        /// The profile's id, escaped.
        profile_id: String,
    },
    /// The reference's exact words (spec §4), which users search for; the
    /// provider's file holds them.
    #[error("{message}")]
    MissingProjectId {
        /// The profile's id, escaped.
        profile_id: String,
        /// The provider's message for a login without `projectId`.
        message: &'static str,
    },
    /// A provider whose client the operator registers has no client id in the
    /// profile or the environment.
    #[error("profile {profile_id}: {provider} needs an OAuth client id")]
    MissingClientId {
        /// The profile's id, escaped.
        profile_id: String,
        /// The provider id.
        provider: &'static str,
        /// The variable that would supply the client id.
        var: &'static str,
    },
    /// A Copilot login's `enterpriseUrl` is not a host name.
    #[error("profile {profile_id}: enterpriseUrl \"{url}\" does not name a GitHub host")]
    InvalidEnterpriseUrl {
        /// The profile's id, escaped.
        profile_id: String,
        /// The stored value, escaped.
        url: String,
    },
}

impl PlanError {
    /// The profile the error is about, escaped for display.
    pub fn profile_id(&self) -> &str {
        match self {
            PlanError::NotOAuth { profile_id, .. }
            | PlanError::UnknownProvider { profile_id, .. }
            | PlanError::MissingRefreshToken { profile_id }
            | PlanError::MissingProjectId { profile_id, .. }
            | PlanError::MissingClientId { profile_id, .. }
            | PlanError::InvalidEnterpriseUrl { profile_id, .. } => profile_id,
        }
    }
}

/// The refresh request for `profile`.
///
/// `now` is part of the signature so hosts always pass the clock the same
/// way; no provider's request depends on it today.
pub fn plan(profile_id: &str, profile: &Profile, _now: Millis, endpoints: &Endpoints) -> Result<Plan, PlanError> {
    let shown_id = shown(profile_id);
    let cred = match &profile.credential {
        Credential::OAuth(cred) => cred,
        other => return Err(PlanError::NotOAuth { profile_id: shown_id, kind: other.kind().as_str() }),
    };
    let Some(provider) = RefreshProvider::from_id(&cred.provider) else {
        return Err(PlanError::UnknownProvider { profile_id: shown_id, provider: shown(&cred.provider) });
    };
    let refresh = match cred.refresh.as_ref().map(|r| r.expose().trim()) {
        Some(r) if !r.is_empty() => r,
        _ => return Err(PlanError::MissingRefreshToken { profile_id: shown_id }),
    };
    let client_id = endpoints.client_id(provider);
    let client_secret = endpoints.client_secret(provider).map(Secret::expose);
    let input = RefreshInput {
        profile_id: &shown_id,
        profile,
        cred,
        refresh_token: refresh,
        url_override: endpoints.token_url_override(provider),
        auth_origin: endpoints.auth_origin(provider),
        api_origin: endpoints.api_origin(provider),
        client_id,
        client_secret,
    };
    let Requests { request, form_fallback } = (provider.flow().request)(&input)?;
    Ok(Plan { profile_id: profile_id.to_string(), provider, request, form_fallback })
}

fn shown(text: &str) -> String {
    escape_control(text).into_owned()
}

/// For tests in sibling modules: an oauth profile of `provider`.
#[cfg(test)]
pub(crate) fn oauth_profile(provider: &str, refresh: &str) -> Profile {
    use crate::store::OAuth;
    Profile::new(Credential::OAuth(OAuth {
        provider: provider.to_string(),
        access: Some(Secret::new("at-FAKE-OLD-ACCESS")),
        refresh: Some(Secret::new(refresh)),
        expires: Some(crate::time::Expiry::from_millis(1_000)),
        ..OAuth::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::form;
    use crate::http::{Method, RequestBody};
    use crate::providers::anthropic::TOKEN_URL as ANTHROPIC_TOKEN_URL;
    use crate::providers::google_antigravity::{
        CLIENT_ID as ANTIGRAVITY_CLIENT_ID, CLIENT_SECRET as ANTIGRAVITY_CLIENT_SECRET,
    };
    use crate::providers::google_gemini_cli::{
        CLIENT_ID as GEMINI_CLI_CLIENT_ID, CLIENT_SECRET as GEMINI_CLI_CLIENT_SECRET,
    };
    use crate::store::{ApiKey, OAuth, Token};
    use serde_json::{Value, json};

    const RT: &str = "rt-FAKE+/=&x y";
    const RT_FORM: &str = "rt-FAKE%2B%2F%3D%26x+y";

    fn with_oauth(mut p: Profile, f: impl FnOnce(&mut OAuth)) -> Profile {
        if let Credential::OAuth(c) = &mut p.credential {
            f(c);
        }
        p
    }

    fn plan_for(p: &Profile) -> Plan {
        plan("p:1", p, 0, &Endpoints::defaults()).expect("plans")
    }

    fn body(req: &HttpRequest) -> &str {
        req.body.as_ref().map(RequestBody::as_str).expect("has a body")
    }

    #[test]
    fn anthropic_json_without_scope_then_form_fallback() {
        let p = plan_for(&oauth_profile("anthropic", RT));
        let req = p.request();
        assert_eq!((req.method, req.url.as_str()), (Method::Post, ANTHROPIC_TOKEN_URL));
        assert_eq!(req.header("Content-Type"), Some("application/json"));
        assert!(matches!(req.body, Some(RequestBody::Json(_))));
        let sent: Value = serde_json::from_str(body(req)).expect("json");
        assert_eq!(
            sent,
            json!({"grant_type": "refresh_token", "refresh_token": RT, "client_id": "9d1c250a-e61b-44d9-88ed-5944d1962f5e"})
        );
        assert!(body(req).starts_with("{\"grant_type\":\"refresh_token\",\"refresh_token\""));
        let fallback = p.form_fallback.as_ref().expect("fallback");
        assert_eq!(fallback.header("content-type"), Some("application/x-www-form-urlencoded"));
        assert_eq!(
            body(fallback),
            format!("grant_type=refresh_token&refresh_token={RT_FORM}&client_id=9d1c250a-e61b-44d9-88ed-5944d1962f5e")
        );
        assert!(req.header("authorization").is_none());
    }

    #[test]
    fn anthropic_sends_the_profiles_own_scopes() {
        let mut profile = oauth_profile("anthropic", "rt-FAKE");
        profile.extra.insert("scopes".into(), json!(["user:inference", "user:profile"]));
        let p = plan_for(&profile);
        let sent: Value = serde_json::from_str(body(p.request())).expect("json");
        assert_eq!(sent["scope"], "user:inference user:profile");
        assert!(body(p.form_fallback.as_ref().expect("fallback")).ends_with("&scope=user%3Ainference+user%3Aprofile"));

        // Not an array of strings: no scope rather than a guess.
        profile.extra.insert("scopes".into(), json!("user:inference"));
        let sent: Value = serde_json::from_str(body(plan_for(&profile).request())).expect("json");
        assert!(sent.get("scope").is_none());
    }

    #[test]
    fn anthropic_url_is_configurable() {
        let e = Endpoints::defaults()
            .with_token_url(crate::providers::refreshable("anthropic"), "https://platform.claude.com/v1/oauth/token");
        let p = plan("a", &oauth_profile("anthropic", "rt-FAKE"), 0, &e).expect("plans");
        assert_eq!(p.request().url, "https://platform.claude.com/v1/oauth/token");
        assert_eq!(
            p.form_fallback.as_ref().map(|r| r.url.as_str()),
            Some("https://platform.claude.com/v1/oauth/token")
        );
    }

    #[test]
    fn codex_form() {
        let p = plan_for(&oauth_profile("openai-codex", RT));
        let req = p.request();
        assert_eq!((req.method, req.url.as_str()), (Method::Post, "https://auth.openai.com/oauth/token"));
        assert_eq!(req.header("content-type"), Some("application/x-www-form-urlencoded"));
        assert_eq!(
            body(req),
            format!("grant_type=refresh_token&refresh_token={RT_FORM}&client_id=app_EMoamEEZ73f0CkXaXp7hrann")
        );
        assert!(!p.can_retry_as_form());
    }

    #[test]
    fn copilot_get_with_editor_headers() {
        let p = plan_for(&oauth_profile("github-copilot", "gho_FAKE"));
        let req = p.request();
        assert_eq!((req.method, req.url.as_str()), (Method::Get, "https://api.github.com/copilot_internal/v2/token"));
        assert!(req.body.is_none());
        assert_eq!(req.header("Authorization"), Some("Bearer gho_FAKE"));
        assert_eq!(req.header("Accept"), Some("application/json"));
        assert_eq!(req.header("User-Agent"), Some("GitHubCopilotChat/0.35.0"));
        assert_eq!(req.header("Editor-Version"), Some("vscode/1.107.0"));
        assert_eq!(req.header("Editor-Plugin-Version"), Some("copilot-chat/0.35.0"));
        assert_eq!(req.header("Copilot-Integration-Id"), Some("vscode-chat"));
        assert!(req.header("Content-Type").is_none());
    }

    #[test]
    fn copilot_enterprise_host() {
        for (given, host) in [
            ("https://GHE.example.com/", "ghe.example.com"),
            ("ghe.example.com", "ghe.example.com"),
            ("https://user@ghe.example.com:8443/path?q", "ghe.example.com"),
        ] {
            let profile =
                with_oauth(oauth_profile("github-copilot", "gho_FAKE"), |c| c.enterprise_url = Some(given.into()));
            assert_eq!(plan_for(&profile).request().url, format!("https://api.{host}/copilot_internal/v2/token"));
        }
        for bad in ["https://", "exa mple.com", "https://evil.com\u{1b}[0m/", "..com"] {
            let profile =
                with_oauth(oauth_profile("github-copilot", "gho_FAKE"), |c| c.enterprise_url = Some(bad.into()));
            let err = plan("c", &profile, 0, &Endpoints::defaults()).expect_err(bad);
            assert!(matches!(err, PlanError::InvalidEnterpriseUrl { .. }), "{bad}");
            assert!(!err.to_string().contains('\u{1b}'));
        }
    }

    #[test]
    fn google_forms_carry_each_clients_secret() {
        for (provider, id, secret) in [
            ("google-gemini-cli", GEMINI_CLI_CLIENT_ID, GEMINI_CLI_CLIENT_SECRET),
            ("google-antigravity", ANTIGRAVITY_CLIENT_ID, ANTIGRAVITY_CLIENT_SECRET),
        ] {
            let profile = with_oauth(oauth_profile(provider, RT), |c| c.project_id = Some("proj-1".into()));
            let p = plan_for(&profile);
            let req = p.request();
            assert_eq!((req.method, req.url.as_str()), (Method::Post, "https://oauth2.googleapis.com/token"));
            assert_eq!(
                body(req),
                format!(
                    "client_id={}&client_secret={secret}&refresh_token={RT_FORM}&grant_type=refresh_token",
                    form::encode_component(id)
                )
            );
        }
    }

    #[test]
    fn google_needs_a_project_id_with_the_references_words() {
        let gem = with_oauth(oauth_profile("google-gemini-cli", "rt-FAKE"), |c| c.project_id = Some("  ".into()));
        let err = plan("g", &gem, 0, &Endpoints::defaults()).expect_err("no project");
        assert_eq!(err.to_string(), "Google Cloud credentials missing projectId");
        let anti = oauth_profile("google-antigravity", "rt-FAKE");
        let err = plan("a", &anti, 0, &Endpoints::defaults()).expect_err("no project");
        assert_eq!(err.to_string(), "Antigravity credentials missing projectId");
        assert_eq!(err.profile_id(), "a");
    }

    #[test]
    fn qwen_form() {
        let req = plan_for(&oauth_profile("qwen-portal", "rt-FAKE")).request().clone();
        assert_eq!((req.method, req.url.as_str()), (Method::Post, "https://chat.qwen.ai/api/v1/oauth2/token"));
        assert_eq!(
            body(&req),
            "grant_type=refresh_token&refresh_token=rt-FAKE&client_id=f0304373b74a44d2b584a3fb70ca9e56"
        );
    }

    #[test]
    fn chutes_client_id_from_profile_then_host() {
        let mut profile = oauth_profile("chutes", "rt-FAKE");
        let err = plan("c", &profile, 0, &Endpoints::defaults()).expect_err("no client id");
        assert_eq!(err.to_string(), "profile c: chutes needs an OAuth client id");
        assert_eq!(
            crate::remedy::for_error(&err.into()),
            ["Store it as clientId in the profile or set CHUTES_CLIENT_ID."]
        );

        let from_env = Endpoints::from_env([("CHUTES_CLIENT_ID", "env-cid"), ("CHUTES_CLIENT_SECRET", "cs-FAKE")]);
        let req = plan("c", &profile, 0, &from_env).expect("plans").request().clone();
        assert_eq!(req.url, "https://api.chutes.ai/idp/token");
        assert_eq!(
            body(&req),
            "grant_type=refresh_token&refresh_token=rt-FAKE&client_id=env-cid&client_secret=cs-FAKE"
        );

        profile.extra.insert("clientId".into(), json!("cid 1"));
        let req = plan("c", &profile, 0, &Endpoints::defaults()).expect("plans").request().clone();
        assert_eq!(body(&req), "grant_type=refresh_token&refresh_token=rt-FAKE&client_id=cid+1");
    }

    #[test]
    fn typed_refusals() {
        let e = Endpoints::defaults();
        let key = Profile::new(Credential::ApiKey(ApiKey { provider: "anthropic".into(), ..ApiKey::default() }));
        assert!(matches!(plan("k", &key, 0, &e), Err(PlanError::NotOAuth { kind: "api_key", .. })));
        let token = Profile::new(Credential::Token(Token { provider: "anthropic".into(), ..Token::default() }));
        assert!(matches!(plan("t", &token, 0, &e), Err(PlanError::NotOAuth { kind: "token", .. })));
        let err = plan("x\u{1b}", &oauth_profile("minimax-portal", "rt-FAKE"), 0, &e).expect_err("unknown");
        assert!(matches!(err, PlanError::UnknownProvider { .. }));
        assert!(err.to_string().contains("x\\u{1b}"), "{err}");
        for blank in [None, Some("  ")] {
            let p = with_oauth(oauth_profile("anthropic", "x"), |c| c.refresh = blank.map(Secret::new));
            assert!(matches!(plan("a", &p, 0, &e), Err(PlanError::MissingRefreshToken { .. })));
        }
    }

    #[test]
    fn a_plan_knows_its_provider() {
        let p = plan("anthropic:work", &oauth_profile("anthropic", "rt-FAKE"), 0, &Endpoints::defaults()).unwrap();
        assert_eq!(p.provider(), crate::providers::refreshable("anthropic"));
        assert!(p.can_retry_as_form());
        let p = plan("q:1", &oauth_profile("qwen-portal", "rt-FAKE"), 0, &Endpoints::defaults()).unwrap();
        assert_eq!(p.provider(), crate::providers::refreshable("qwen-portal"));
    }

    #[test]
    fn the_form_retry_is_taken_once() {
        let mut p = plan_for(&oauth_profile("anthropic", RT));
        let form = p.take_form_retry().cloned().expect("a retry");
        assert!(matches!(form.body, Some(RequestBody::Form(_))));
        assert_eq!(p.request(), &form, "the retry is the request now");
        assert!(!p.can_retry_as_form());
        assert!(p.take_form_retry().is_none());
        assert_eq!(p.request(), &form);
    }

    #[test]
    fn a_long_enterprise_url_is_shown_bounded() {
        let long = format!("https://{}/", "a b".repeat(100));
        let profile =
            with_oauth(oauth_profile("github-copilot", "gho_FAKE"), |c| c.enterprise_url = Some(long.clone()));
        let err = plan("c:1", &profile, 0, &Endpoints::defaults()).expect_err("not a host");
        let shown: String = long.chars().take(120).collect();
        assert_eq!(err, PlanError::InvalidEnterpriseUrl { profile_id: "c:1".into(), url: format!("{shown}…") });
        assert_eq!(err.to_string(), format!("profile c:1: enterpriseUrl \"{shown}…\" does not name a GitHub host"));
        // Exactly 120 characters are shown whole.
        let exact = format!("x y{}", "z".repeat(117));
        let profile =
            with_oauth(oauth_profile("github-copilot", "gho_FAKE"), |c| c.enterprise_url = Some(exact.clone()));
        let err = plan("c:1", &profile, 0, &Endpoints::defaults()).expect_err("not a host");
        assert_eq!(err, PlanError::InvalidEnterpriseUrl { profile_id: "c:1".into(), url: exact });
    }

    #[test]
    fn each_refusal_names_its_profile() {
        let e = Endpoints::defaults();
        let key = Profile::new(Credential::ApiKey(ApiKey { provider: "anthropic".into(), ..ApiKey::default() }));
        let cases = [
            plan("k:1", &key, 0, &e).unwrap_err(),
            plan("u:1", &oauth_profile("minimax-portal", "rt-FAKE"), 0, &e).unwrap_err(),
            plan("r:1", &with_oauth(oauth_profile("anthropic", "x"), |c| c.refresh = None), 0, &e).unwrap_err(),
            plan("g:1", &oauth_profile("google-gemini-cli", "rt-FAKE"), 0, &e).unwrap_err(),
            plan("c:1", &oauth_profile("chutes", "rt-FAKE"), 0, &e).unwrap_err(),
        ];
        let ids: Vec<&str> = cases.iter().map(PlanError::profile_id).collect();
        assert_eq!(ids, ["k:1", "u:1", "r:1", "g:1", "c:1"]);
        let words: Vec<String> = cases.iter().map(ToString::to_string).collect();
        assert_eq!(
            words,
            [
                "profile k:1 holds a api_key credential; only oauth credentials can be refreshed",
                "profile u:1: no refresh flow is known for provider \"minimax-portal\"",
                "profile r:1 has no refresh token",
                "Google Cloud credentials missing projectId",
                "profile c:1: chutes needs an OAuth client id",
            ]
        );
    }

    #[test]
    fn debug_of_a_plan_shows_no_token() {
        for provider in ["anthropic", "openai-codex", "github-copilot", "qwen-portal"] {
            let p = plan_for(&oauth_profile(provider, "rt-FAKE-SECRET"));
            let dbg = format!("{p:?}");
            assert!(!dbg.contains("FAKE"), "{provider}: {dbg}");
        }
    }
}
