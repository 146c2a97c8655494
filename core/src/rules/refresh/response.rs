//! Reading the token endpoint's answer: a renewed profile, one retry, or a
//! classified failure.
//!
//! The new profile is the old one with the new values laid over it
//! (`{...old, ...new, type: "oauth"}`, spec §2.5), so `email`, `projectId`,
//! `enterpriseUrl` and fields this version does not know survive a refresh.
//! A refresh token the server did not send back is kept: Anthropic and
//! Google sometimes omit it when it did not rotate, and dropping it would
//! end the login.

use super::error::{Cause, ErrorKind, RefreshError, copied, parse_retry_after};
use super::plan::Plan;
use crate::http::body_text as text;
use crate::http::{HttpRequest, HttpResponse};
use crate::providers::shapes::stored_scopes;
use crate::providers::{RefreshProvider, SuccessShape};
use crate::secret::Secret;
use crate::store::{Credential, OAuth, Profile};
use crate::time::{Expiry, Millis, SECOND};
use serde_json::{Map, Value};

/// What to do after a response.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The renewed profile. Persist it before using its access token: the
    /// old refresh token may already be spent.
    Refreshed(Profile),
    /// Send this request next and pass its response to [`apply`] with the
    /// same plan. Happens at most once per plan (Anthropic's form retry).
    Retry(HttpRequest),
    /// The refresh failed; the error says whether a retry can help.
    Failed(RefreshError),
}

/// Error codes that mean the refresh token is dead: retrying cannot help,
/// and with rotating tokens can get the whole token family revoked.
const DEAD_LOGIN_CODES: [&str; 4] =
    ["invalid_grant", "refresh_token_reused", "refresh_token_expired", "refresh_token_invalidated"];

/// Feeds the response to `plan`'s current request into the exchange.
///
/// `old` is the profile the plan was made from (as re-read under the lock);
/// `now` is when the response arrived.
pub fn apply(plan: &mut Plan, old: &Profile, response: &HttpResponse, now: Millis) -> Outcome {
    let provider = plan.provider();
    let parsed: Option<Value> = serde_json::from_slice(&response.body).ok();

    if (200..300).contains(&response.status) {
        let Some(Value::Object(body)) = parsed else {
            return Outcome::Failed(failure(provider, response, None, old, now));
        };
        // Some servers answer an OAuth error with 200; no token means no success.
        let has_token = ["access_token", "token"].iter().any(|k| body.contains_key(*k));
        if !has_token && body.contains_key("error") {
            return Outcome::Failed(failure(provider, response, Some(&body), old, now));
        }
        return match renewed(provider, &body, old, now) {
            Ok(profile) => Outcome::Refreshed(profile),
            Err(field) => Outcome::Failed(RefreshError {
                provider,
                kind: ErrorKind::Transient { retry_after_ms: None },
                status: Some(response.status),
                oauth_error: None,
                description: None,
                cause: Cause::MissingField { field },
            }),
        };
    }

    // Anthropic has refused well-formed JSON bodies with a bare 400 ("Invalid
    // request format") and accepted the same fields form-encoded; an OAuth
    // error object is a real answer about the token and is not retried.
    if response.status == 400
        && !is_oauth_error_object(parsed.as_ref())
        && let Some(retry) = plan.take_form_retry()
    {
        return Outcome::Retry(retry.clone());
    }

    let body = match &parsed {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    };
    Outcome::Failed(failure(provider, response, body, old, now))
}

/// `{"error": "<code>", ...}`: the OAuth error response of RFC 6749 §5.2.
fn is_oauth_error_object(parsed: Option<&Value>) -> bool {
    matches!(parsed.and_then(|v| v.get("error")), Some(Value::String(_)))
}

/// The failure a non-success answer (or a success that is one) describes.
fn failure(
    provider: RefreshProvider,
    response: &HttpResponse,
    body: Option<&Map<String, Value>>,
    old: &Profile,
    now: Millis,
) -> RefreshError {
    let secrets = known_secrets(old);
    let status = response.status;
    let oauth_error = body.and_then(error_code).map(|c| copied(&c, &secrets));
    let mut description = body.and_then(error_description).map(|d| copied(&d, &secrets)).filter(|d| !d.is_empty());
    let dead_on_400 = provider.flow().dead_on_400.filter(|_| status == 400);
    if let Some(wording) = dead_on_400
        && description.is_none()
    {
        description = Some(wording.to_string());
    }
    let dead_code = oauth_error.as_deref().is_some_and(|c| DEAD_LOGIN_CODES.contains(&c));
    // A 403 with a JSON answer is the token endpoint refusing the token; a
    // 403 page (HTML from a proxy or a bot wall) says nothing about it.
    let refused = status == 401 || (status == 403 && body.is_some());
    let permanent = dead_code || refused || dead_on_400.is_some();
    let kind = if permanent {
        ErrorKind::Permanent
    } else {
        ErrorKind::Transient { retry_after_ms: response.header("Retry-After").and_then(|v| parse_retry_after(v, now)) }
    };
    let cause = match body {
        Some(_) => Cause::Rejected,
        None => Cause::UnexpectedBody { excerpt: copied(&String::from_utf8_lossy(&response.body), &secrets) },
    };
    RefreshError { provider, kind, status: Some(status), oauth_error, description, cause }
}

/// Codex's order (formats §3.4): `error.code`, else `error` when it is a
/// string, else a top-level `code`; then `error.type` (Anthropic's rate
/// limit shape) as a last resort.
fn error_code(body: &Map<String, Value>) -> Option<String> {
    let error = body.get("error");
    let candidates = [
        error.and_then(|e| e.get("code")),
        error.filter(|e| e.is_string()),
        body.get("code"),
        error.and_then(|e| e.get("type")),
    ];
    candidates.into_iter().flatten().find_map(scalar_text)
}

fn error_description(body: &Map<String, Value>) -> Option<String> {
    let candidates = [
        body.get("error_description"),
        body.get("error").and_then(|e| e.get("message")),
        body.get("message"),
        body.get("detail"),
    ];
    candidates.into_iter().flatten().find_map(scalar_text)
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The old login's tokens, to be cut out of any text an error copies.
fn known_secrets(old: &Profile) -> Vec<&str> {
    match &old.credential {
        Credential::OAuth(c) => [&c.access, &c.refresh].into_iter().flatten().map(Secret::expose).collect(),
        Credential::Token(t) => t.token.iter().map(Secret::expose).collect(),
        Credential::ApiKey(k) => k.key.iter().map(Secret::expose).collect(),
    }
}

/// The old profile with the response's values laid over it, or the name of
/// the field the response lacks.
fn renewed(
    provider: RefreshProvider,
    body: &Map<String, Value>,
    old: &Profile,
    now: Millis,
) -> Result<Profile, &'static str> {
    let mut cred = match &old.credential {
        Credential::OAuth(c) => c.clone(),
        other => OAuth {
            provider: other.provider().to_string(),
            email: other.email().map(str::to_string),
            ..OAuth::default()
        },
    };
    let mut extra = old.extra.clone();
    let flow = provider.flow();
    let margin = flow.expiry_margin_ms;

    match flow.success {
        SuccessShape::CopilotToken => {
            let token = text(body, "token").ok_or("token")?;
            let expires_at = positive(body, "expires_at").ok_or("expires_at")?;
            let real_expiry = ms_from_seconds(expires_at);
            cred.access = Some(Secret::new(token));
            cred.expires = Some(Expiry::from_millis(stored_expiry(real_expiry, margin, now)));
        }
        SuccessShape::OAuth2 => {
            let access = text(body, "access_token").ok_or("access_token")?;
            let refresh = text(body, "refresh_token");
            if flow.refresh_token_required && refresh.is_none() {
                return Err("refresh_token");
            }
            let real_expiry = token_expiry(body, access, now).ok_or("expires_in")?;
            cred.access = Some(Secret::new(access));
            if let Some(refresh) = refresh {
                cred.refresh = Some(Secret::new(refresh));
            }
            cred.expires = Some(Expiry::from_millis(stored_expiry(real_expiry, margin, now)));
            // When the sign-in ends for good, when the server says (some
            // answer with it at login only; a refresh never extends it
            // otherwise, so the stored date stays).
            if let Some(secs) = positive(body, "refresh_token_expires_in") {
                cred.refresh_expires = Some(Expiry::from_millis(now.saturating_add(ms_from_seconds(secs))));
            }
        }
    }
    if let Some(take_extras) = flow.on_renewed {
        take_extras(body, &mut cred, &mut extra);
    }

    // A login that records its scopes keeps them current: the server may
    // have narrowed or widened them on refresh.
    if stored_scopes(old).is_some()
        && let Some(scope) = text(body, "scope")
    {
        let scopes = scope.split_whitespace().map(|s| Value::String(s.to_string())).collect();
        extra.insert("scopes".into(), Value::Array(scopes));
    }
    Ok(Profile { credential: Credential::OAuth(cred), extra })
}

/// The `expires` to store: the real expiry less the provider's margin.
///
/// The reference subtracts the full margin whatever the lifetime; a token
/// that lives less than twice the margin would then be stored as already
/// expired and refreshed on every use. Here the margin is at most half the
/// remaining lifetime.
fn stored_expiry(real_expiry: Millis, margin: Millis, now: Millis) -> Millis {
    let lifetime = real_expiry.saturating_sub(now).max(0);
    real_expiry.saturating_sub(margin.min(lifetime / 2))
}

/// When a new access token expires: `expires_in` seconds after `now`,
/// else the token's own JWT `exp` (Codex's rule, formats §3.3: its token
/// endpoint may leave `expires_in` out). `None` when neither says.
pub(crate) fn token_expiry(body: &Map<String, Value>, access: &str, now: Millis) -> Option<Millis> {
    match positive(body, "expires_in") {
        Some(seconds) => Some(now.saturating_add(ms_from_seconds(seconds))),
        None => {
            crate::sources::jwt::claims(access).as_ref().and_then(crate::sources::jwt::expiry_ms).map(|ms| ms as Millis)
        }
    }
}

fn ms_from_seconds(seconds: f64) -> Millis {
    // `as` saturates at the i64 range, which is what an absurd value deserves.
    (seconds * SECOND as f64).round() as Millis
}

fn positive(body: &Map<String, Value>, field: &str) -> Option<f64> {
    body.get(field)?.as_f64().filter(|n| n.is_finite() && *n > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::RequestBody;
    use crate::refresh::endpoints::Endpoints;
    use crate::refresh::plan::{oauth_profile, plan};
    use crate::time::MINUTE;
    use proptest::prelude::*;
    use serde_json::json;

    const NOW: Millis = 1_767_225_600_000;

    /// An unsigned test token with the given claims.
    fn fake_jwt(claims: &Value) -> String {
        use base64::Engine;
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("eyJhbGciOiJub25lIn0.{body}.FAKESIG")
    }
    const OLD_RT: &str = "rt-FAKE-OLD-REFRESH";

    fn oauth(p: &Profile) -> &OAuth {
        match &p.credential {
            Credential::OAuth(c) => c,
            other => panic!("not oauth: {other:?}"),
        }
    }

    fn setup(provider: &str) -> (Plan, Profile) {
        let mut profile = oauth_profile(provider, OLD_RT);
        if let Credential::OAuth(c) = &mut profile.credential {
            c.email = Some("me@example.com".into());
            c.project_id = Some("proj-1".into());
            c.account_id = Some("acct-old".into());
            c.enterprise_url = None;
        }
        profile.extra.insert("clientId".into(), json!("cid"));
        profile.extra.insert("futureField".into(), json!({"kept": true}));
        let plan = plan("p:1", &profile, NOW, &Endpoints::defaults()).expect("plans");
        (plan, profile)
    }

    fn reply(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(status, vec![], body)
    }

    fn run(provider: &str, status: u16, body: &str) -> Outcome {
        let (mut plan, old) = setup(provider);
        apply(&mut plan, &old, &reply(status, body), NOW)
    }

    fn refreshed(outcome: Outcome) -> Profile {
        match outcome {
            Outcome::Refreshed(p) => p,
            other => panic!("expected Refreshed, got {other:?}"),
        }
    }

    fn failed(outcome: Outcome) -> RefreshError {
        match outcome {
            Outcome::Failed(e) => e,
            other => panic!("expected Failed, got {other:?}"),
        }
    }

    fn expires(p: &Profile) -> f64 {
        oauth(p).expires.as_ref().map(Expiry::ms).unwrap_or(f64::NAN)
    }

    /// When the sign-in ends is kept through a refresh (refreshing does not
    /// extend it), and taken from `refresh_token_expires_in` when the
    /// server says.
    #[test]
    fn the_end_of_the_sign_in_is_kept_or_taken_from_the_answer() {
        let (mut plan, mut old) = setup("anthropic");
        if let Credential::OAuth(c) = &mut old.credential {
            c.refresh_expires = Some(Expiry::from_millis(NOW + 2 * 86_400_000));
        }
        let body = r#"{"access_token":"at-FAKE-NEW","refresh_token":"rt-FAKE-NEW","expires_in":28800}"#;
        let p = refreshed(apply(&mut plan, &old, &reply(200, body), NOW));
        assert_eq!(oauth(&p).sign_in_ends().map(|at| at.ms()), Some((NOW + 2 * 86_400_000) as f64));
        let body = r#"{"access_token":"at-FAKE-NEW","expires_in":28800,"refresh_token_expires_in":2592000}"#;
        let p = refreshed(run("anthropic", 200, body));
        assert_eq!(oauth(&p).sign_in_ends().map(|at| at.ms()), Some((NOW + 2_592_000_000) as f64));
    }

    #[test]
    fn anthropic_success_with_rotation_keeps_other_fields() {
        let body =
            r#"{"access_token":"at-FAKE-NEW","refresh_token":"rt-FAKE-NEW","expires_in":28800,"token_type":"Bearer"}"#;
        let p = refreshed(run("anthropic", 200, body));
        let c = oauth(&p);
        assert_eq!(c.access.as_ref().map(Secret::expose), Some("at-FAKE-NEW"));
        assert_eq!(c.refresh.as_ref().map(Secret::expose), Some("rt-FAKE-NEW"));
        assert_eq!(expires(&p), (NOW + 28_800_000 - 5 * MINUTE) as f64);
        assert_eq!(c.email.as_deref(), Some("me@example.com"));
        assert_eq!(c.provider, "anthropic");
        assert_eq!(p.extra["futureField"], json!({"kept": true}));
        assert!(!p.extra.contains_key("scopes"), "scopes are not invented");
    }

    #[test]
    fn missing_refresh_token_keeps_the_old_one() {
        for (provider, body) in [
            ("anthropic", r#"{"access_token":"at-FAKE-NEW","expires_in":3600}"#),
            ("google-gemini-cli", r#"{"access_token":"at-FAKE-NEW","expires_in":3599}"#),
            ("google-antigravity", r#"{"access_token":"at-FAKE-NEW","expires_in":3599,"refresh_token":""}"#),
            ("qwen-portal", r#"{"access_token":"at-FAKE-NEW","expires_in":3600}"#),
            ("chutes", r#"{"access_token":"at-FAKE-NEW","expires_in":3600}"#),
        ] {
            let p = refreshed(run(provider, 200, body));
            assert_eq!(oauth(&p).refresh.as_ref().map(Secret::expose), Some(OLD_RT), "{provider}");
            assert_eq!(oauth(&p).access.as_ref().map(Secret::expose), Some("at-FAKE-NEW"), "{provider}");
            assert_eq!(oauth(&p).project_id.as_deref(), Some("proj-1"), "{provider}");
        }
    }

    #[test]
    fn margins_per_provider() {
        let body = r#"{"access_token":"at-FAKE","refresh_token":"rt-FAKE","expires_in":3600}"#;
        for provider in ["anthropic", "google-gemini-cli", "google-antigravity", "chutes"] {
            assert_eq!(expires(&refreshed(run(provider, 200, body))), (NOW + 3_600_000 - 300_000) as f64, "{provider}");
        }
        for provider in ["openai-codex", "qwen-portal"] {
            assert_eq!(expires(&refreshed(run(provider, 200, body))), (NOW + 3_600_000) as f64, "{provider}");
        }
        // A lifetime shorter than twice the margin keeps half of it.
        let short = r#"{"access_token":"at-FAKE","expires_in":120}"#;
        assert_eq!(expires(&refreshed(run("anthropic", 200, short))), (NOW + 60_000) as f64);
    }

    #[test]
    fn anthropic_updates_scopes_the_profile_already_records() {
        let (mut plan, mut old) = setup("anthropic");
        old.extra.insert("scopes".into(), json!(["user:inference"]));
        let body = r#"{"access_token":"at-FAKE","expires_in":3600,"scope":"user:inference  user:profile"}"#;
        let p = refreshed(apply(&mut plan, &old, &reply(200, body), NOW));
        assert_eq!(p.extra["scopes"], json!(["user:inference", "user:profile"]));
    }

    #[test]
    fn codex_takes_the_account_from_the_jwt() {
        let access = fake_jwt(&json!({"https://api.openai.com/auth": {"chatgpt_account_id": "acct-new"}}));
        let body = json!({"access_token": access, "refresh_token": "rt-FAKE-NEW", "expires_in": 864000}).to_string();
        let p = refreshed(run("openai-codex", 200, &body));
        assert_eq!(oauth(&p).account_id.as_deref(), Some("acct-new"));
        assert_eq!(oauth(&p).refresh.as_ref().map(Secret::expose), Some("rt-FAKE-NEW"));
        assert_eq!(expires(&p), (NOW + 864_000_000) as f64);

        let opaque = r#"{"access_token":"at-FAKE-opaque","refresh_token":"rt-FAKE-NEW","expires_in":864000}"#;
        assert_eq!(oauth(&refreshed(run("openai-codex", 200, opaque))).account_id.as_deref(), Some("acct-old"));
        let blank = fake_jwt(&json!({"https://api.openai.com/auth": {"chatgpt_account_id": " "}}));
        let body = json!({"access_token": blank, "refresh_token": "rt-FAKE-NEW", "expires_in": 1}).to_string();
        assert_eq!(oauth(&refreshed(run("openai-codex", 200, &body))).account_id.as_deref(), Some("acct-old"));
    }

    #[test]
    fn without_expires_in_the_access_token_s_jwt_exp_is_the_expiry() {
        let access = fake_jwt(&json!({"exp": 1_768_000_000}));
        let body = json!({"access_token": access, "refresh_token": "rt-FAKE-NEW"}).to_string();
        assert_eq!(expires(&refreshed(run("openai-codex", 200, &body))), 1_768_000_000_000.0);
        let no_exp = json!({"access_token": fake_jwt(&json!({})), "refresh_token": "rt-FAKE-NEW"}).to_string();
        assert_eq!(failed(run("openai-codex", 200, &no_exp)).cause, Cause::MissingField { field: "expires_in" });
    }

    #[test]
    fn codex_needs_all_three_fields() {
        for (body, field) in [
            (r#"{"refresh_token":"rt-FAKE","expires_in":1}"#, "access_token"),
            (r#"{"access_token":"at-FAKE","expires_in":1}"#, "refresh_token"),
            (r#"{"access_token":"at-FAKE","refresh_token":"rt-FAKE","expires_in":"3600"}"#, "expires_in"),
            (r#"{"access_token":"at-FAKE","refresh_token":"rt-FAKE"}"#, "expires_in"),
        ] {
            let e = failed(run("openai-codex", 200, body));
            assert_eq!(e.cause, Cause::MissingField { field }, "{body}");
            assert!(!e.is_permanent());
            assert!(!e.to_string().contains("FAKE"), "{e}");
        }
        let e = failed(run("anthropic", 200, r#"{"access_token":"at-FAKE-X"}"#));
        assert_eq!(e.to_string(), "anthropic token refresh failed: HTTP 200, the response has no usable expires_in");
    }

    #[test]
    fn copilot_expiry_is_expires_at_seconds_less_five_minutes() {
        let expires_at = NOW / 1000 + 1800;
        let body = json!({"token": "tid=FAKE;exp=1", "expires_at": expires_at, "refresh_in": 1500}).to_string();
        let p = refreshed(run("github-copilot", 200, &body));
        assert_eq!(expires(&p), (expires_at * 1000 - 300_000) as f64);
        assert_eq!(oauth(&p).access.as_ref().map(Secret::expose), Some("tid=FAKE;exp=1"));
        assert_eq!(oauth(&p).refresh.as_ref().map(Secret::expose), Some(OLD_RT));
        assert_eq!(
            failed(run("github-copilot", 200, r#"{"token":"t"}"#)).cause,
            Cause::MissingField { field: "expires_at" }
        );
    }

    #[test]
    fn qwen_records_the_resource_url() {
        let body = r#"{"access_token":"at-FAKE","expires_in":3600,"resource_url":"portal.qwen.ai"}"#;
        assert_eq!(refreshed(run("qwen-portal", 200, body)).extra["resourceUrl"], "portal.qwen.ai");
    }

    #[test]
    fn anthropic_bare_400_retries_form_encoded_once() {
        let (mut plan, old) = setup("anthropic");
        let bare = reply(
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"Invalid request format"}}"#,
        );
        let retry = match apply(&mut plan, &old, &bare, NOW) {
            Outcome::Retry(req) => req,
            other => panic!("expected a retry, got {other:?}"),
        };
        assert!(matches!(retry.body, Some(RequestBody::Form(_))));
        assert_eq!(plan.request(), &retry);
        assert!(!plan.can_retry_as_form());
        let e = failed(apply(&mut plan, &old, &bare, NOW));
        assert_eq!(e.status, Some(400));
        assert_eq!(e.description.as_deref(), Some("Invalid request format"));

        // After the retry, a success is read as usual.
        let (mut plan, old) = setup("anthropic");
        assert!(matches!(apply(&mut plan, &old, &reply(400, "Bad Request"), NOW), Outcome::Retry(_)));
        let ok = reply(200, r#"{"access_token":"at-FAKE","expires_in":3600}"#);
        assert!(matches!(apply(&mut plan, &old, &ok, NOW), Outcome::Refreshed(_)));
    }

    #[test]
    fn oauth_error_400_is_not_retried_and_invalid_grant_is_permanent() {
        let (mut plan, old) = setup("anthropic");
        let body = r#"{"error": "invalid_grant", "error_description": "Refresh token not found or invalid"}"#;
        let e = failed(apply(&mut plan, &old, &reply(400, body), NOW));
        assert!(e.is_permanent());
        assert!(plan.can_retry_as_form(), "an OAuth error does not spend the retry");
        let text = e.to_string();
        assert!(
            text.contains("HTTP 400") && text.contains("invalid_grant") && text.contains("Refresh token not found"),
            "{text}"
        );
        assert!(user_hint_for(&e).contains("claude setup-token"));
    }

    fn user_hint_for(e: &RefreshError) -> String {
        crate::remedy::for_refresh(e, "anthropic:claude-cli")
    }

    #[test]
    fn codex_refresh_token_reused_is_permanent() {
        let body = r#"{"error": {"message": "Your refresh token has already been used to generate a new access token. Please try signing in again.",
                   "type": "invalid_request_error", "param": null, "code": "refresh_token_reused"}}"#;
        let e = failed(run("openai-codex", 400, body));
        assert!(e.is_permanent());
        assert_eq!(e.oauth_error.as_deref(), Some("refresh_token_reused"));
        assert!(e.description.as_deref().is_some_and(|d| d.starts_with("Your refresh token has already been used")));
        for code in ["refresh_token_expired", "refresh_token_invalidated"] {
            let e = failed(run("openai-codex", 400, &json!({"code": code}).to_string()));
            assert!(e.is_permanent(), "{code}");
        }
        let e = failed(run("openai-codex", 400, r#"{"error":"refresh_token_expired"}"#));
        assert_eq!((e.is_permanent(), e.oauth_error.as_deref()), (true, Some("refresh_token_expired")));
    }

    #[test]
    fn status_classification() {
        assert!(failed(run("openai-codex", 401, "")).is_permanent());
        assert!(failed(run("github-copilot", 401, r#"{"message":"Bad credentials"}"#)).is_permanent());
        let qwen = failed(run("qwen-portal", 400, "{}"));
        assert!(qwen.is_permanent());
        assert_eq!(qwen.description.as_deref(), Some("refresh token expired or invalid"));
        assert!(failed(run("anthropic", 403, r#"{"error":{"type":"permission_error"}}"#)).is_permanent());
        assert!(!failed(run("anthropic", 403, "<html>blocked</html>")).is_permanent(), "a proxy's page");
        for status in [500, 502, 503, 404, 302, 0, 999] {
            let e = failed(run("openai-codex", status, "{}"));
            assert_eq!(e.kind, ErrorKind::Transient { retry_after_ms: None }, "{status}");
            assert_eq!(e.status, Some(status));
        }
        let e = failed(run("google-gemini-cli", 400, r#"{"error":"invalid_client"}"#));
        assert!(!e.is_permanent());
    }

    #[test]
    fn rate_limits_carry_retry_after() {
        let (mut plan, old) = setup("anthropic");
        let body = r#"{"error": {"type": "rate_limit_error", "message": "Rate limited. Please try again later."}}"#;
        let secs = HttpResponse::new(429, vec![("retry-after".into(), "42".into())], body);
        let e = failed(apply(&mut plan, &old, &secs, NOW));
        assert_eq!(e.kind, ErrorKind::Transient { retry_after_ms: Some(42_000) });
        assert_eq!(e.oauth_error.as_deref(), Some("rate_limit_error"));
        assert!(e.to_string().contains("HTTP 429"));

        let at = chrono::DateTime::from_timestamp_millis(NOW + 90_000).expect("date").to_rfc2822();
        let date = HttpResponse::new(429, vec![("Retry-After".into(), at)], "Too Many Requests");
        let e = failed(apply(&mut plan, &old, &date, NOW));
        assert_eq!(e.retry_after_ms(), Some(90_000));
        assert!(crate::remedy::for_refresh(&e, "p").contains("90 s"));
        assert!(failed(run("chutes", 429, "")).retry_after_ms().is_none());
    }

    #[test]
    fn unreadable_bodies_are_transient_and_bounded() {
        let html = format!("<html><body>{}</body></html>", "Gateway Timeout ".repeat(100));
        let e = failed(run("openai-codex", 200, &html));
        assert!(!e.is_permanent());
        match &e.cause {
            Cause::UnexpectedBody { excerpt } => assert!(excerpt.starts_with("<html><body>Gateway")),
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().chars().count() < 300, "{e}");

        let garbage = [0xff_u8, 0xfe, 0x00, 0x1b, b'[', b'2', b'J', 0xc3];
        let (mut plan, old) = setup("qwen-portal");
        let e = failed(apply(&mut plan, &old, &HttpResponse::new(200, vec![], garbage.to_vec()), NOW));
        assert!(!e.to_string().contains('\u{1b}') && !e.to_string().contains('\0'), "{e}");

        let e = failed(run("anthropic", 502, ""));
        assert_eq!(e.to_string(), "anthropic token refresh failed: HTTP 502, empty body");
        assert!(matches!(failed(run("anthropic", 200, "[1,2]")).cause, Cause::UnexpectedBody { .. }));
    }

    #[test]
    fn huge_descriptions_are_truncated() {
        let body = json!({"error": "server_error", "error_description": "x".repeat(100_000)}).to_string();
        let e = failed(run("chutes", 500, &body));
        assert!(e.to_string().chars().count() < 400);
        assert!(e.description.as_deref().is_some_and(|d| d.ends_with('…')));
    }

    #[test]
    fn errors_never_show_tokens() {
        let echo = format!(r#"{{"error":"invalid_request","error_description":"bad token {OLD_RT}"}}"#);
        let form = "access_token=at-FAKE-NEW&refresh_token=rt-FAKE-NEW";
        let json_200_with_error = r#"{"error":"invalid_grant","refresh_token":"rt-FAKE-X"}"#;
        for (provider, status, body) in [
            ("anthropic", 400, echo.as_str()),
            ("openai-codex", 500, echo.as_str()),
            ("openai-codex", 200, form),
            ("github-copilot", 503, form),
            ("chutes", 200, json_200_with_error),
        ] {
            let (mut plan, old) = setup(provider);
            let mut outcome = apply(&mut plan, &old, &reply(status, body), NOW);
            if let Outcome::Retry(req) = &outcome {
                assert!(!format!("{req:?}").contains("FAKE"));
                outcome = apply(&mut plan, &old, &reply(status, body), NOW);
            }
            let e = failed(outcome);
            let shown = format!("{e} {e:?} {}", crate::remedy::for_refresh(&e, "p:1"));
            assert!(!shown.contains("FAKE"), "{provider} {status}: {shown}");
        }
        let e = failed(run("chutes", 200, json_200_with_error));
        assert!(e.is_permanent(), "a 200 carrying invalid_grant is a rejection");
    }

    #[test]
    fn a_non_oauth_old_profile_becomes_oauth() {
        let (mut plan, _) = setup("anthropic");
        let old = Profile::new(Credential::Token(crate::store::Token {
            provider: "anthropic".into(),
            email: Some("me@example.com".into()),
            ..Default::default()
        }));
        let p = refreshed(apply(
            &mut plan,
            &old,
            &reply(200, r#"{"access_token":"a","refresh_token":"r","expires_in":1}"#),
            NOW,
        ));
        assert_eq!(oauth(&p).email.as_deref(), Some("me@example.com"));
    }

    proptest! {
        #[test]
        fn apply_never_panics(
            provider in prop::sample::select(RefreshProvider::all().collect::<Vec<_>>()),
            status in any::<u16>(),
            body in prop::collection::vec(any::<u8>(), 0..512),
            retry_after in prop::option::of(".{0,40}"),
            now in any::<i64>(),
        ) {
            let (mut plan, old) = setup(provider.id());
            let headers = retry_after.map(|v| vec![("Retry-After".to_string(), v)]).unwrap_or_default();
            let response = HttpResponse::new(status, headers, body);
            let first = apply(&mut plan, &old, &response, now);
            let second = apply(&mut plan, &old, &response, now);
            prop_assert!(!matches!(second, Outcome::Retry(_)) || !matches!(first, Outcome::Retry(_)));
            if let Outcome::Failed(e) = first {
                prop_assert!(!e.to_string().contains(OLD_RT));
            }
        }

        #[test]
        fn apply_never_panics_on_json_shaped_bodies(
            status in prop::sample::select(vec![200u16, 400, 401, 429, 500]),
            access in prop::option::of(prop_oneof![Just(json!("at-FAKE")), Just(json!(5)), Just(json!(null))]),
            expires in prop::option::of(prop_oneof![any::<f64>().prop_map(|f| json!(f)), any::<i64>().prop_map(|i| json!(i)), Just(json!("1"))]),
            error in prop::option::of(prop_oneof![Just(json!("invalid_grant")), Just(json!({"code": 1})), Just(json!([]))]),
        ) {
            for provider in RefreshProvider::all() {
                let mut body = Map::new();
                if let Some(a) = &access { body.insert("access_token".into(), a.clone()); body.insert("token".into(), a.clone()); }
                if let Some(e) = &expires { body.insert("expires_in".into(), e.clone()); body.insert("expires_at".into(), e.clone()); }
                if let Some(e) = &error { body.insert("error".into(), e.clone()); }
                let (mut plan, old) = setup(provider.id());
                let _ = apply(&mut plan, &old, &reply(status, &Value::Object(body).to_string()), NOW);
            }
        }
    }
}
