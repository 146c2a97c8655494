//! `models auth login`'s rules, pure: which login a provider offers, the
//! requests of each grant, how each answer reads, when to poll next, the
//! PKCE values and the pasted redirect (issue 25).
//!
//! The flow (`flow/commands/login.rs`) sends what these build and feeds
//! back what came; randomness and the clock are its inputs. Whatever
//! server text reaches a message is bounded and scrubbed of secrets
//! ([`copied`]); no token, code or verifier is ever part of an error.

use crate::escape::escape_control;
use crate::http::{HttpRequest, HttpResponse, RequestBody, body_text, form};
use crate::providers::{self, DeviceGrant, LoginSpec, OAuthLogin, PkceGrant, ProviderSpec, RefreshProvider};
use crate::refresh::Endpoints;
use crate::refresh::error::copied;
use crate::secret::Secret;
use crate::sources::jwt;
use crate::store::{Credential, OAuth, Profile};
use crate::time::{Expiry, Millis, SECOND};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use std::fmt;

/// The shortest wait between two polls, whatever a server says.
pub const MIN_POLL_MS: Millis = SECOND;
/// The wait between polls when a server names none (RFC 8628 §3.5).
pub const DEFAULT_POLL_MS: Millis = 5 * SECOND;
/// What RFC 8628's `slow_down` adds to the wait.
pub const SLOW_DOWN_MS: Millis = 5 * SECOND;
/// A device code's life when the server does not say (GitHub's 15 min).
pub const DEFAULT_DEVICE_LIFETIME_MS: Millis = 900 * SECOND;
/// How many random bytes a PKCE verifier (and a state) is made of: 64
/// bytes, 86 base64url characters (RFC 7636 allows 43 to 128).
pub const PKCE_RANDOM_BYTES: usize = 64;

/// Which part of a login a failure happened in, as messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginStep {
    /// Asking for a device code.
    DeviceCode,
    /// Polling until the code is entered.
    Poll,
    /// Exchanging the authorization code for tokens.
    Exchange,
    /// Exchanging the GitHub token for a Copilot token.
    CopilotToken,
    /// Reading the browser's redirect.
    Redirect,
}

impl fmt::Display for LoginStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LoginStep::DeviceCode => "asking for a device code",
            LoginStep::Poll => "waiting for the code to be entered",
            LoginStep::Exchange => "exchanging the authorization code",
            LoginStep::CopilotToken => "getting a Copilot token",
            LoginStep::Redirect => "reading the redirect",
        })
    }
}

/// Why a login did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// `--provider` names no provider we know.
    #[error("--provider {0}: unknown provider")]
    UnknownProvider(String),
    /// The provider has no login here (paste a token or a key instead).
    #[error("--provider {0}: no login is offered for this provider")]
    NoLogin(String),
    /// `--device-code` for a provider without device codes.
    #[error("--device-code: {0} has no device-code login")]
    NoDeviceCode(String),
    /// `--enterprise-domain` for another provider, or not a host name.
    #[error("--enterprise-domain {0}: not a GitHub Enterprise host name (such as example.ghe.com)")]
    EnterpriseDomain(String),
    /// A variable moving a server names an origin that is not used.
    #[error("the origin {0} names is not used: only https://, or http:// on a loopback host")]
    Origin(String),
    /// The browser login needs a terminal or a pasted redirect.
    #[error("the browser login needs a terminal, or the redirect URL on standard input")]
    NoTerminal,
    /// The provider's own CLI did not log in.
    #[error("{program} did not log in: {how}")]
    Delegated {
        /// The program run.
        program: String,
        /// How it ended.
        how: String,
    },
    /// OpenAI answered the device-code request with 404.
    #[error("{0}: device codes are not enabled for this account (HTTP 404)")]
    DeviceCodesDisabled(LoginStep),
    /// The server refused.
    #[error("{step}: the server refused: HTTP {status}{}", said(code, description))]
    Rejected {
        /// Where.
        step: LoginStep,
        /// The HTTP status.
        status: u16,
        /// The error code it gave, scrubbed.
        code: Option<String>,
        /// Its explanation, scrubbed.
        description: Option<String>,
    },
    /// The answer is not the JSON expected (an HTML page, garbage).
    #[error("{step}: unexpected answer: HTTP {status}, \"{excerpt}\"")]
    Unexpected {
        /// Where.
        step: LoginStep,
        /// The HTTP status.
        status: u16,
        /// The start of the body, scrubbed.
        excerpt: String,
    },
    /// A success without a field the login needs.
    #[error("{step}: the answer has no usable {field}")]
    MissingField {
        /// Where.
        step: LoginStep,
        /// The field.
        field: &'static str,
    },
    /// No answer: the host's HTTP client failed (its words, scrubbed).
    #[error("{step}: {message}")]
    Transport {
        /// Where.
        step: LoginStep,
        /// What happened.
        message: String,
    },
    /// The code was not entered before it expired.
    #[error("{0}: the code expired before it was entered")]
    Expired(LoginStep),
    /// The server kept asking to slow down until the code expired.
    #[error("{0}: the server kept asking to poll more slowly until the code expired")]
    SlowDown(LoginStep),
    /// The user (or an admin policy) denied the login.
    #[error("{0}: the login was denied")]
    Denied(LoginStep),
    /// The tokens say nothing about when they expire.
    #[error("{0}: the access token has no expiry (no expires_in, and no exp claim)")]
    NoExpiry(LoginStep),
    /// The redirect's `state` is not this login's.
    #[error("{0}: its state does not match this login's (a stale or forged redirect)")]
    StateMismatch(LoginStep),
    /// The redirect carries no authorization code.
    #[error("{0}: it has no authorization code")]
    NoCode(LoginStep),
    /// The host gave no random bytes for the PKCE values.
    #[error("the host gave no random bytes for the login's PKCE values")]
    NoRandom,
    /// The redirect carries the server's error.
    #[error("{step}: the server refused the login ({code})")]
    Redirected {
        /// Where.
        step: LoginStep,
        /// Its `error`, scrubbed.
        code: String,
    },
}

impl LoginError {
    /// The command line itself is wrong.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            LoginError::UnknownProvider(_)
                | LoginError::NoLogin(_)
                | LoginError::NoDeviceCode(_)
                | LoginError::EnterpriseDomain(_)
        )
    }

    /// A person must act (enable device codes, enter the code in time,
    /// log in again, fix a variable); otherwise the server or the network
    /// did not answer as it should, and a later try may work.
    pub fn needs_person(&self) -> bool {
        match self {
            LoginError::Transport { .. }
            | LoginError::Unexpected { .. }
            | LoginError::MissingField { .. }
            | LoginError::NoRandom
            | LoginError::NoExpiry(_) => false,
            LoginError::Rejected { status, .. } => *status < 500,
            _ => true,
        }
    }
}

/// A failed request of a login, from the refresh rules' view of it (the
/// host's transport failure, or a token endpoint's refusal).
pub fn from_refresh(step: LoginStep, error: &crate::refresh::RefreshError) -> LoginError {
    use crate::refresh::{Cause, TransportFailure};
    match &error.cause {
        Cause::Transport { failure, message } => {
            let what = match failure {
                TransportFailure::Timeout => "timed out",
                TransportFailure::Connect => "could not connect",
                TransportFailure::Tls => "TLS failed",
                TransportFailure::Redirect => "was redirected (not followed)",
                TransportFailure::TooLarge => "answered with too large a body",
                TransportFailure::Other => "failed",
            };
            let message = if message.is_empty() { what.to_string() } else { format!("{what}: {message}") };
            LoginError::Transport { step, message }
        }
        Cause::UnexpectedBody { excerpt } => {
            LoginError::Unexpected { step, status: error.status.unwrap_or(0), excerpt: excerpt.clone() }
        }
        Cause::MissingField { field } => LoginError::MissingField { step, field },
        Cause::Rejected => LoginError::Rejected {
            step,
            status: error.status.unwrap_or(0),
            code: error.oauth_error.clone(),
            description: error.description.clone(),
        },
    }
}

fn said(code: &Option<String>, description: &Option<String>) -> String {
    match (code, description) {
        (Some(c), Some(d)) => format!(", {c}: {d}"),
        (Some(c), None) => format!(", {c}"),
        (None, Some(d)) => format!(", {d}"),
        (None, None) => String::new(),
    }
}

/// The login methods, as `--device-code` (or its absence) picks one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A device code: works without a browser on this host.
    Device,
    /// The browser login with PKCE, through the loopback redirect or a
    /// pasted one.
    Pkce,
}

/// Where a login talks to, with the environment's overrides applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Servers {
    /// The authorization server's origin.
    pub origin: String,
    /// The API server's origin, when the login has one.
    pub api_origin: Option<String>,
    /// A token URL override (`CLAWDBOT_TOKEN_URL_<PROVIDER>`).
    pub token_url: Option<String>,
}

/// What `models auth login` will do for a provider.
#[derive(Debug)]
pub enum Plan {
    /// Our own login.
    OAuth {
        /// The provider, refreshable.
        provider: RefreshProvider,
        /// Its login data.
        login: &'static OAuthLogin,
        /// The method chosen.
        method: Method,
        /// Where to.
        servers: Servers,
        /// `enterpriseUrl` to store (GitHub Enterprise).
        enterprise: Option<String>,
    },
    /// Run the provider's own CLI, then sync.
    Delegated {
        /// The provider.
        provider: &'static ProviderSpec,
        /// The program.
        program: &'static str,
        /// Its arguments.
        args: &'static [&'static str],
    },
}

/// The login `--provider`, `--device-code` and `--enterprise-domain` ask
/// for, with `env`'s overrides ([`Endpoints`]); a provider with only a
/// device login uses it without the flag.
pub fn plan(
    provider: &str,
    device_code: bool,
    enterprise_domain: Option<&str>,
    endpoints: &Endpoints,
) -> Result<Plan, LoginError> {
    let shown = || escape_control(provider.trim()).into_owned();
    let spec = providers::find(provider).ok_or_else(|| LoginError::UnknownProvider(shown()))?;
    let login = match &spec.login {
        None => return Err(LoginError::NoLogin(spec.id.to_string())),
        Some(LoginSpec::Delegated { program, args }) => {
            if device_code {
                return Err(LoginError::NoDeviceCode(spec.id.to_string()));
            }
            if enterprise_domain.is_some() {
                return Err(LoginError::EnterpriseDomain(escape_control(enterprise_domain.unwrap_or("")).into()));
            }
            return Ok(Plan::Delegated { provider: spec, program, args });
        }
        Some(LoginSpec::OAuth(login)) => *login,
    };
    let Some(refreshable) = spec.refreshable() else { return Err(LoginError::NoLogin(spec.id.to_string())) };
    let method = match (device_code, login.device.is_some(), login.pkce.is_some()) {
        (true, false, _) => return Err(LoginError::NoDeviceCode(spec.id.to_string())),
        (true, true, _) | (false, true, false) => Method::Device,
        (false, _, true) => Method::Pkce,
        (false, false, false) => return Err(LoginError::NoLogin(spec.id.to_string())),
    };
    for var in [refreshable.auth_url_env_var(), refreshable.api_url_env_var()] {
        if endpoints.ignored().contains(&var) {
            return Err(LoginError::Origin(var));
        }
    }
    let (mut origin, mut api_origin) = (login.origin.to_string(), login.api.as_ref().map(|a| a.origin.to_string()));
    let mut enterprise = None;
    if let Some(domain) = enterprise_domain {
        let servers = login
            .enterprise
            .and_then(|of| of(domain))
            .ok_or_else(|| LoginError::EnterpriseDomain(escape_control(domain).into()))?;
        (origin, api_origin) = (servers.origin, Some(servers.api_origin));
        enterprise = Some(servers.host);
    }
    if let Some(moved) = endpoints.auth_origin(refreshable) {
        origin = moved.to_string();
    }
    if let (Some(api), Some(moved)) = (api_origin.as_mut(), endpoints.api_origin(refreshable)) {
        *api = moved.to_string();
    }
    let token_url = endpoints.token_url_override(refreshable).map(str::to_string);
    let servers = Servers { origin, api_origin, token_url };
    Ok(Plan::OAuth { provider: refreshable, login, method, servers, enterprise })
}

impl Servers {
    /// `path` under the authorization server.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// The token endpoint: the override, else `path` under the origin.
    pub fn token(&self, path: &str) -> String {
        self.token_url.clone().unwrap_or_else(|| self.at(path))
    }
}

/// A device code the user is to enter, and how to poll for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCode {
    /// What the user types (meant to be shown).
    pub user_code: String,
    /// Where they type it (meant to be shown).
    pub verify_url: String,
    /// The server's handle on the code (OpenAI's `device_auth_id`,
    /// GitHub's `device_code`); never shown.
    pub handle: Secret,
    /// Wait this long between polls.
    pub interval_ms: Millis,
    /// Give up at this time.
    pub deadline: Millis,
}

/// The request for a device code.
pub fn device_code_request(login: &OAuthLogin, servers: &Servers) -> Option<HttpRequest> {
    Some(match login.device.as_ref()? {
        DeviceGrant::OpenAi { usercode_path, .. } => {
            let body = serde_json::json!({ "client_id": login.client_id }).to_string();
            HttpRequest::post(servers.at(usercode_path), RequestBody::Json(body))
        }
        DeviceGrant::Rfc8628 { code_path, scope, .. } => {
            let body = form::encode([("client_id", login.client_id), ("scope", scope)]);
            HttpRequest::post(servers.at(code_path), RequestBody::Form(body))
        }
    })
}

/// The answer to [`device_code_request`], received at `now`.
pub fn read_device_code(
    login: &OAuthLogin,
    servers: &Servers,
    response: &HttpResponse,
    now: Millis,
) -> Result<DeviceCode, LoginError> {
    let step = LoginStep::DeviceCode;
    let Some(grant) = login.device.as_ref() else { return Err(LoginError::MissingField { step, field: "device" }) };
    if matches!(grant, DeviceGrant::OpenAi { .. }) && response.status == 404 {
        return Err(LoginError::DeviceCodesDisabled(step));
    }
    let body = success_object(step, response)?;
    let text = |field: &'static str| body_text(&body, field).map(str::to_string);
    let need = |field: &'static str| text(field).ok_or(LoginError::MissingField { step, field });
    let interval_ms = seconds_field(&body, "interval").map_or(DEFAULT_POLL_MS, |s| s.max(MIN_POLL_MS));
    match grant {
        DeviceGrant::OpenAi { verify_path, lifetime_ms, .. } => Ok(DeviceCode {
            user_code: shown_code(text("user_code").or_else(|| text("usercode")), step)?,
            verify_url: servers.at(verify_path),
            handle: Secret::new(need("device_auth_id")?),
            interval_ms,
            deadline: now.saturating_add(*lifetime_ms),
        }),
        DeviceGrant::Rfc8628 { .. } => {
            let lifetime = seconds_field(&body, "expires_in").unwrap_or(DEFAULT_DEVICE_LIFETIME_MS);
            let verify_url = need("verification_uri")?;
            if !verify_url.starts_with("https://") && !verify_url.starts_with("http://") {
                return Err(LoginError::MissingField { step, field: "verification_uri" });
            }
            Ok(DeviceCode {
                user_code: shown_code(text("user_code"), step)?,
                verify_url: escape_control(&verify_url).into_owned(),
                handle: Secret::new(need("device_code")?),
                interval_ms,
                deadline: now.saturating_add(lifetime.min(DEFAULT_DEVICE_LIFETIME_MS * 2)),
            })
        }
    }
}

/// A user code fit to show: short, printable.
fn shown_code(code: Option<String>, step: LoginStep) -> Result<String, LoginError> {
    code.filter(|c| c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_graphic()))
        .ok_or(LoginError::MissingField { step, field: "user_code" })
}

/// A poll for `code`.
pub fn poll_request(login: &OAuthLogin, servers: &Servers, code: &DeviceCode) -> Option<HttpRequest> {
    Some(match login.device.as_ref()? {
        DeviceGrant::OpenAi { poll_path, .. } => {
            let body = serde_json::json!({ "device_auth_id": code.handle.expose(), "user_code": code.user_code });
            HttpRequest::post(servers.at(poll_path), RequestBody::Json(body.to_string()))
        }
        DeviceGrant::Rfc8628 { token_path, .. } => {
            let body = form::encode([
                ("client_id", login.client_id),
                ("device_code", code.handle.expose()),
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ]);
            // The device poll is the authorization server's, never the
            // overridden token URL (for Copilot that is the token exchange).
            HttpRequest::post(servers.at(token_path), RequestBody::Form(body))
        }
    })
}

/// What a poll's answer says.
#[derive(Debug, Clone, PartialEq)]
pub enum Polled {
    /// Not entered yet: poll again after the interval.
    Pending,
    /// Poll again, more slowly (RFC 8628 `slow_down`).
    SlowDown,
    /// OpenAI: the authorization code and the PKCE verifier to exchange.
    Code {
        /// The authorization code.
        code: Secret,
        /// The verifier the server made.
        verifier: Secret,
    },
    /// GitHub: the access token itself.
    Token(Secret),
}

/// Reads a poll's answer.
pub fn read_poll(login: &OAuthLogin, response: &HttpResponse) -> Result<Polled, LoginError> {
    let step = LoginStep::Poll;
    match login.device.as_ref() {
        Some(DeviceGrant::OpenAi { .. }) => {
            if matches!(response.status, 403 | 404) {
                return Ok(Polled::Pending);
            }
            let body = success_object(step, response)?;
            let need = |field: &'static str| {
                body_text(&body, field).map(Secret::new).ok_or(LoginError::MissingField { step, field })
            };
            Ok(Polled::Code { code: need("authorization_code")?, verifier: need("code_verifier")? })
        }
        Some(DeviceGrant::Rfc8628 { .. }) => {
            let body = object(step, response)?;
            if let Some(token) = body_text(&body, "access_token").filter(|_| success(response)) {
                return Ok(Polled::Token(Secret::new(token)));
            }
            match body.get("error").and_then(Value::as_str) {
                Some("authorization_pending") => Ok(Polled::Pending),
                Some("slow_down") => Ok(Polled::SlowDown),
                Some("expired_token") => Err(LoginError::Expired(step)),
                Some("access_denied") => Err(LoginError::Denied(step)),
                _ if success(response) && !body.contains_key("error") => {
                    Err(LoginError::MissingField { step, field: "access_token" })
                }
                _ => Err(rejected(step, response, &body)),
            }
        }
        None => Err(LoginError::MissingField { step, field: "device" }),
    }
}

/// When to poll next after a poll that said `polled` at `now`, and the
/// new interval; an error once the next poll would come after the deadline.
pub fn next_poll(code: &mut DeviceCode, polled: &Polled, now: Millis) -> Result<Millis, LoginError> {
    if *polled == Polled::SlowDown {
        code.interval_ms = code.interval_ms.saturating_add(SLOW_DOWN_MS);
    }
    let at = now.saturating_add(code.interval_ms);
    if at > code.deadline {
        let step = LoginStep::Poll;
        return Err(if *polled == Polled::SlowDown { LoginError::SlowDown(step) } else { LoginError::Expired(step) });
    }
    Ok(at)
}

/// The form-encoded exchange of an authorization code.
pub fn exchange_request(
    login: &OAuthLogin,
    servers: &Servers,
    token_path: &str,
    redirect_uri: &str,
    code: &Secret,
    verifier: &Secret,
) -> HttpRequest {
    let body = form::encode([
        ("grant_type", "authorization_code"),
        ("code", code.expose()),
        ("redirect_uri", redirect_uri),
        ("client_id", login.client_id),
        ("code_verifier", verifier.expose()),
    ]);
    HttpRequest::post(servers.token(token_path), RequestBody::Form(body))
}

/// The exchange's answer, received at `now`, as the login to store: the
/// expiry from `expires_in` or the access token's `exp`, the ChatGPT
/// account id and the email from the tokens' claims.
pub fn read_exchange(provider: RefreshProvider, response: &HttpResponse, now: Millis) -> Result<OAuth, LoginError> {
    let step = LoginStep::Exchange;
    let body = success_object(step, response)?;
    let need = |field: &'static str| body_text(&body, field).ok_or(LoginError::MissingField { step, field });
    let (access, refresh) = (need("access_token")?, need("refresh_token")?);
    let access_claims = jwt::claims(access);
    let id_claims = body_text(&body, "id_token").and_then(jwt::claims);
    let expires = crate::refresh::response::token_expiry(&body, access, now).ok_or(LoginError::NoExpiry(step))?;
    let claims = [access_claims.as_ref(), id_claims.as_ref()];
    let account_id = claims.iter().flatten().find_map(|c| jwt::chatgpt_account_id(c)).filter(|a| !a.trim().is_empty());
    let email = id_claims.as_ref().and_then(|c| c.get("email")).and_then(Value::as_str).map(str::to_string);
    Ok(OAuth {
        provider: provider.id().to_string(),
        access: Some(Secret::new(access)),
        refresh: Some(Secret::new(refresh)),
        expires: Some(Expiry::from_millis(expires)),
        email,
        account_id,
        ..OAuth::default()
    })
}

/// A GitHub login as the reference stores it, before its first Copilot
/// token: the GitHub token as the refresh token, nothing to hand out yet.
pub fn github_login(provider: RefreshProvider, token: &Secret, enterprise: Option<&str>) -> Profile {
    Profile::new(Credential::OAuth(OAuth {
        provider: provider.id().to_string(),
        refresh: Some(token.clone()),
        enterprise_url: enterprise.map(str::to_string),
        ..OAuth::default()
    }))
}

/// A PKCE pair and a state, made of the host's random bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkce {
    /// The verifier (secret until the exchange).
    pub verifier: Secret,
    /// Its S256 challenge.
    pub challenge: String,
    /// The state the redirect must bring back.
    pub state: Secret,
}

impl Pkce {
    /// From `random` (at least `2 * PKCE_RANDOM_BYTES` bytes: the
    /// verifier's, then the state's); `None` when too few came.
    pub fn from_random(random: &[u8]) -> Option<Pkce> {
        if random.len() < 2 * PKCE_RANDOM_BYTES {
            return None;
        }
        let (v, s) = random.split_at(PKCE_RANDOM_BYTES);
        let verifier = URL_SAFE_NO_PAD.encode(v);
        let challenge = s256(&verifier);
        let state = URL_SAFE_NO_PAD.encode(&s[..PKCE_RANDOM_BYTES / 2]);
        Some(Pkce { verifier: Secret::new(verifier), challenge, state: Secret::new(state) })
    }
}

/// RFC 7636's S256 challenge of `verifier`: base64url(SHA-256), unpadded.
pub fn s256(verifier: &str) -> String {
    use sha2::Digest;
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// The URL the browser opens.
pub fn authorize_url(login: &OAuthLogin, grant: &PkceGrant, servers: &Servers, pkce: &Pkce) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", login.client_id),
        ("redirect_uri", grant.redirect_uri),
        ("scope", grant.scope),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    pairs.extend(grant.extra.iter().copied());
    pairs.push(("state", pkce.state.expose()));
    format!("{}?{}", servers.at(grant.authorize_path), form::encode(pairs))
}

/// The authorization code of a redirect, pasted or received: a full URL,
/// its query, `code#state`, or a bare code. A present state must be
/// `state`; a redirect that brings none is accepted only when pasted
/// (`pasted`), where the operator copied it from their own browser.
pub fn read_redirect(text: &str, state: &Secret, pasted: bool) -> Result<Secret, LoginError> {
    let step = LoginStep::Redirect;
    let text = text.trim();
    let query = match text.split_once('?') {
        Some((_, q)) => q,
        None => text,
    };
    let query = query.split_once('#').filter(|_| query.contains('=')).map_or(query, |(q, _)| q);
    let (code, given_state, error) = if query.contains('=') {
        let mut fields = (None, None, None);
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode_component(value);
            match key {
                "code" => fields.0 = value,
                "state" => fields.1 = value,
                "error" => fields.2 = value,
                _ => {}
            }
        }
        fields
    } else {
        match query.split_once('#') {
            Some((code, s)) => (Some(code.to_string()), Some(s.to_string()), None),
            None => (Some(query.to_string()), None, None),
        }
    };
    if let Some(error) = error {
        return Err(LoginError::Redirected { step, code: copied(&error, &[]) });
    }
    match given_state {
        Some(given) if given != state.expose() => return Err(LoginError::StateMismatch(step)),
        None if !pasted => return Err(LoginError::StateMismatch(step)),
        _ => {}
    }
    let code = code.map(|c| c.trim().to_string()).filter(|c| !c.is_empty() && !c.chars().any(char::is_whitespace));
    code.map(Secret::new).ok_or(LoginError::NoCode(step))
}

/// `%XX` and `+` decoded; `None` when the result is not UTF-8.
fn decode_component(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// A field of seconds (a number, or a string of digits as OpenAI sends
/// `interval`) as milliseconds; `None` when absent, negative or absurd.
fn seconds_field(body: &Map<String, Value>, field: &str) -> Option<Millis> {
    let seconds = match body.get(field)? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (seconds.is_finite() && (0.0..=86_400.0 * 366.0).contains(&seconds)).then_some((seconds * SECOND as f64) as Millis)
}

fn success(response: &HttpResponse) -> bool {
    (200..300).contains(&response.status)
}

/// The body as a JSON object, whatever the status; else unexpected.
fn object(step: LoginStep, response: &HttpResponse) -> Result<Map<String, Value>, LoginError> {
    match serde_json::from_slice(&response.body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(LoginError::Unexpected {
            step,
            status: response.status,
            excerpt: copied(&String::from_utf8_lossy(&response.body), &[]),
        }),
    }
}

/// A 2xx answer's JSON object; a refusal or an unexpected answer else.
fn success_object(step: LoginStep, response: &HttpResponse) -> Result<Map<String, Value>, LoginError> {
    let body = object(step, response)?;
    // Some servers answer an OAuth error with 200: no token means no success.
    let refused = body.contains_key("error") && !body.contains_key("access_token");
    if success(response) && !refused {
        return Ok(body);
    }
    Err(rejected(step, response, &body))
}

fn rejected(step: LoginStep, response: &HttpResponse, body: &Map<String, Value>) -> LoginError {
    let scalar = |v: &Value| match v {
        Value::String(s) if !s.trim().is_empty() => Some(copied(s, &[])),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let error = body.get("error");
    let code = [error.and_then(|e| e.get("code")), error.filter(|e| e.is_string()), body.get("code")]
        .into_iter()
        .flatten()
        .find_map(scalar);
    let description = [body.get("error_description"), error.and_then(|e| e.get("message")), body.get("message")]
        .into_iter()
        .flatten()
        .find_map(scalar);
    LoginError::Rejected { step, status: response.status, code, description }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: Millis = 1_767_225_600_000;

    fn codex() -> (RefreshProvider, &'static OAuthLogin, Servers) {
        match plan("openai-codex", true, None, &Endpoints::defaults()) {
            Ok(Plan::OAuth { provider, login, servers, method: Method::Device, .. }) => (provider, login, servers),
            other => panic!("{other:?}"),
        }
    }

    fn copilot() -> (&'static OAuthLogin, Servers) {
        match plan("github-copilot", false, None, &Endpoints::defaults()) {
            Ok(Plan::OAuth { login, servers, method: Method::Device, .. }) => (login, servers),
            other => panic!("{other:?}"),
        }
    }

    fn answer(status: u16, body: impl ToString) -> HttpResponse {
        HttpResponse::new(status, vec![], body.to_string())
    }

    fn fake_jwt(claims: &Value) -> String {
        format!("eyJhbGciOiJub25lIn0.{}.sig", URL_SAFE_NO_PAD.encode(claims.to_string()))
    }

    #[test]
    fn each_provider_gets_its_method_and_the_overrides_move_its_servers() {
        assert!(matches!(
            plan("openai-codex", false, None, &Endpoints::defaults()),
            Ok(Plan::OAuth { method: Method::Pkce, .. })
        ));
        assert!(matches!(
            plan("anthropic", false, None, &Endpoints::defaults()),
            Ok(Plan::Delegated { program: "claude", .. })
        ));
        assert_eq!(
            plan("openai", false, None, &Endpoints::defaults()).err(),
            Some(LoginError::NoLogin("openai".into()))
        );
        assert!(
            matches!(plan("nope\u{1b}", false, None, &Endpoints::defaults()), Err(LoginError::UnknownProvider(p)) if p == "nope\\u{1b}")
        );
        assert!(matches!(
            plan("openai-codex", false, Some("x.ghe.com"), &Endpoints::defaults()),
            Err(LoginError::EnterpriseDomain(_))
        ));
        let env = Endpoints::from_env([
            ("CLAWDBOT_AUTH_URL_GITHUB_COPILOT", "http://127.0.0.1:7/"),
            ("CLAWDBOT_API_URL_GITHUB_COPILOT", "http://127.0.0.1:8"),
        ]);
        let Ok(Plan::OAuth { servers, .. }) = plan("github-copilot", false, None, &env) else { panic!() };
        assert_eq!(servers.origin, "http://127.0.0.1:7");
        assert_eq!(servers.api_origin.as_deref(), Some("http://127.0.0.1:8"));
        let Ok(Plan::OAuth { servers, enterprise, .. }) =
            plan("github-copilot", true, Some("Acme.GHE.com"), &Endpoints::defaults())
        else {
            panic!()
        };
        assert_eq!(
            (servers.origin.as_str(), servers.api_origin.as_deref()),
            ("https://acme.ghe.com", Some("https://api.acme.ghe.com"))
        );
        assert_eq!(enterprise.as_deref(), Some("acme.ghe.com"));
        let bad = Endpoints::from_env([("CLAWDBOT_AUTH_URL_OPENAI_CODEX", "http://auth.example")]);
        assert_eq!(
            plan("openai-codex", true, None, &bad).err(),
            Some(LoginError::Origin("CLAWDBOT_AUTH_URL_OPENAI_CODEX".into()))
        );
    }

    #[test]
    fn an_openai_device_code_reads_its_string_interval_and_a_404_says_device_codes_are_off() {
        let (_, login, servers) = codex();
        let request = device_code_request(login, &servers).expect("device");
        assert_eq!(request.url, "https://auth.openai.com/api/accounts/deviceauth/usercode");
        assert_eq!(
            request.body.as_ref().map(RequestBody::as_str),
            Some(r#"{"client_id":"app_EMoamEEZ73f0CkXaXp7hrann"}"#)
        );
        let got = read_device_code(
            login,
            &servers,
            &answer(200, json!({"device_auth_id": "da-FAKE", "usercode": "ABCD-1234", "interval": "7"})),
            NOW,
        )
        .expect("code");
        assert_eq!(
            (got.user_code.as_str(), got.verify_url.as_str()),
            ("ABCD-1234", "https://auth.openai.com/codex/device")
        );
        assert_eq!((got.interval_ms, got.deadline), (7 * SECOND, NOW + 15 * 60 * SECOND));
        assert_eq!(
            read_device_code(login, &servers, &answer(404, "<html>nope</html>"), NOW),
            Err(LoginError::DeviceCodesDisabled(LoginStep::DeviceCode))
        );
        let html = read_device_code(login, &servers, &answer(200, "<html>proxy</html>"), NOW).expect_err("html");
        assert_eq!(html.to_string(), "asking for a device code: unexpected answer: HTTP 200, \"<html>proxy</html>\"");
        let no_id = read_device_code(login, &servers, &answer(200, json!({"user_code": "A"})), NOW).expect_err("no id");
        assert_eq!(no_id, LoginError::MissingField { step: LoginStep::DeviceCode, field: "device_auth_id" });
        let evil = read_device_code(
            login,
            &servers,
            &answer(200, json!({"device_auth_id": "d", "user_code": "\u{1b}[2J"})),
            NOW,
        );
        assert!(evil.is_err());
    }

    #[test]
    fn openai_polls_are_pending_on_403_and_404_and_end_with_a_code_to_exchange() {
        let (provider, login, servers) = codex();
        assert_eq!(read_poll(login, &answer(403, "")), Ok(Polled::Pending));
        assert_eq!(read_poll(login, &answer(404, "{}")), Ok(Polled::Pending));
        let refused = read_poll(login, &answer(400, json!({"error": {"code": "device_denied", "message": "no"}})))
            .expect_err("refused");
        assert_eq!(
            refused.to_string(),
            "waiting for the code to be entered: the server refused: HTTP 400, device_denied: no"
        );
        let done = read_poll(
            login,
            &answer(200, json!({"authorization_code": "ac-FAKE", "code_challenge": "c", "code_verifier": "cv-FAKE"})),
        )
        .expect("code");
        let Polled::Code { code, verifier } = done else { panic!() };
        let request = exchange_request(
            login,
            &servers,
            "/oauth/token",
            "https://auth.openai.com/deviceauth/callback",
            &code,
            &verifier,
        );
        assert_eq!(request.url, "https://auth.openai.com/oauth/token");
        assert_eq!(
            request.body.as_ref().map(RequestBody::as_str),
            Some(
                "grant_type=authorization_code&code=ac-FAKE&redirect_uri=https%3A%2F%2Fauth.openai.com%2Fdeviceauth%2Fcallback&client_id=app_EMoamEEZ73f0CkXaXp7hrann&code_verifier=cv-FAKE"
            )
        );
        let access = fake_jwt(
            &json!({"exp": 1_767_300_000, "https://api.openai.com/auth": {"chatgpt_account_id": "acct-FAKE"}}),
        );
        let id = fake_jwt(&json!({"email": "op@example.com"}));
        let login = read_exchange(
            provider,
            &answer(200, json!({"access_token": access, "refresh_token": "rt-FAKE", "id_token": id})),
            NOW,
        )
        .expect("login");
        assert_eq!(login.expires, Some(Expiry::from_ms(1_767_300_000_000.0)));
        assert_eq!((login.account_id.as_deref(), login.email.as_deref()), (Some("acct-FAKE"), Some("op@example.com")));
        let with_in = read_exchange(
            provider,
            &answer(200, json!({"access_token": "opaque", "refresh_token": "rt", "expires_in": 3600})),
            NOW,
        )
        .expect("login");
        assert_eq!(with_in.expires, Some(Expiry::from_ms((NOW + 3_600_000) as f64)));
        let no_exp = read_exchange(
            provider,
            &answer(200, json!({"access_token": fake_jwt(&json!({})), "refresh_token": "rt"})),
            NOW,
        );
        assert_eq!(no_exp, Err(LoginError::NoExpiry(LoginStep::Exchange)));
        let leaked = read_exchange(provider, &answer(500, "oops access_token=at-SECRET-VALUE"), NOW).expect_err("500");
        assert!(!leaked.to_string().contains("at-SECRET-VALUE"), "{leaked}");
    }

    #[test]
    fn github_polls_follow_rfc_8628_and_slow_down_adds_five_seconds_until_the_deadline() {
        let (login, servers) = copilot();
        let request = device_code_request(login, &servers).expect("device");
        assert_eq!(request.url, "https://github.com/login/device/code");
        assert_eq!(
            request.body.as_ref().map(RequestBody::as_str),
            Some("client_id=Iv1.b507a08c87ecfe98&scope=read%3Auser")
        );
        let body = json!({"device_code": "dc-FAKE", "user_code": "WDJB-MJHT", "verification_uri": "https://github.com/login/device", "expires_in": 900, "interval": 5});
        let mut code = read_device_code(login, &servers, &answer(200, body), NOW).expect("code");
        let poll = poll_request(login, &servers, &code).expect("poll");
        assert_eq!(poll.url, "https://github.com/login/oauth/access_token");
        let moved = Servers { token_url: Some("http://127.0.0.1:9/copilot".into()), ..servers.clone() };
        assert_eq!(poll_request(login, &moved, &code).expect("poll").url, poll.url, "not the Copilot token URL");
        assert!(poll.body.as_ref().map(RequestBody::as_str).is_some_and(|b| b.contains("device_code=dc-FAKE")));
        assert_eq!(read_poll(login, &answer(200, json!({"error": "authorization_pending"}))), Ok(Polled::Pending));
        assert_eq!(read_poll(login, &answer(200, json!({"error": "slow_down"}))), Ok(Polled::SlowDown));
        assert_eq!(
            read_poll(login, &answer(200, json!({"error": "access_denied"}))),
            Err(LoginError::Denied(LoginStep::Poll))
        );
        assert_eq!(
            read_poll(login, &answer(200, json!({"error": "expired_token"}))),
            Err(LoginError::Expired(LoginStep::Poll))
        );
        assert_eq!(
            read_poll(login, &answer(200, json!({"access_token": "gho_FAKE"}))),
            Ok(Polled::Token(Secret::new("gho_FAKE")))
        );
        assert_eq!(next_poll(&mut code, &Polled::Pending, NOW), Ok(NOW + 5 * SECOND));
        assert_eq!(next_poll(&mut code, &Polled::SlowDown, NOW), Ok(NOW + 10 * SECOND));
        let mut now = NOW;
        let storm = loop {
            match next_poll(&mut code, &Polled::SlowDown, now) {
                Ok(at) => now = at,
                Err(e) => break e,
            }
        };
        assert_eq!(storm, LoginError::SlowDown(LoginStep::Poll));
        assert!(now <= code.deadline);
    }

    #[test]
    fn pkce_values_come_from_the_host_s_bytes_and_a_redirect_is_read_in_every_pasted_form() {
        let pkce = Pkce::from_random(&[7u8; 128]).expect("enough");
        assert_eq!(pkce.verifier.expose().len(), 86);
        assert_eq!(pkce.challenge, s256(pkce.verifier.expose()));
        // RFC 7636 appendix B's example pair.
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(Pkce::from_random(&[0u8; 10]).is_none());
        let (_, login, servers) = codex();
        let grant = login.pkce.as_ref().expect("pkce");
        let url = authorize_url(login, grant, &servers, &pkce);
        assert!(url.starts_with("https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_EMoamEEZ73f0CkXaXp7hrann&redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback&scope=openid+profile+email+offline_access&code_challenge="), "{url}");
        assert!(url.contains(
            "code_challenge_method=S256&id_token_add_organizations=true&codex_cli_simplified_flow=true&state="
        ));
        let state = pkce.state.clone();
        let s = state.expose();
        for pasted in [
            format!("http://localhost:1455/auth/callback?code=ac-FAKE&state={s}"),
            format!("code=ac-FAKE&state={s}"),
            format!("ac-FAKE#{s}"),
            "ac-FAKE".to_string(),
            format!("  http://localhost:1455/auth/callback?state={s}&code=ac%2DFAKE  \n"),
        ] {
            assert_eq!(read_redirect(&pasted, &state, true), Ok(Secret::new("ac-FAKE")), "{pasted}");
        }
        assert_eq!(
            read_redirect("code=ac&state=other", &state, true),
            Err(LoginError::StateMismatch(LoginStep::Redirect))
        );
        assert_eq!(read_redirect("ac-FAKE#other", &state, true), Err(LoginError::StateMismatch(LoginStep::Redirect)));
        assert_eq!(read_redirect("code=ac", &state, false), Err(LoginError::StateMismatch(LoginStep::Redirect)));
        assert_eq!(read_redirect(&format!("state={s}"), &state, true), Err(LoginError::NoCode(LoginStep::Redirect)));
        assert_eq!(read_redirect("", &state, true), Err(LoginError::NoCode(LoginStep::Redirect)));
        assert!(matches!(
            read_redirect("error=access_denied&state=x", &state, true),
            Err(LoginError::Redirected { .. })
        ));
    }
}
