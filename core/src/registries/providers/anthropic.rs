//! Anthropic: Claude Code's OAuth login (refreshed as Claude Code does),
//! setup tokens and API keys.

use super::probe::{BEARERS, KeyIn, Probe};
use super::{ClientVars, FIVE_MINUTES, LoginSpec, ProviderSpec, RefreshInput, RefreshSpec, RequestError, Requests};
use crate::http::{HttpRequest, RequestBody, form};
use serde_json::Value;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "anthropic";
/// Its model the reference uses when none is configured, and the one a
/// login makes the default (`--set-default`).
pub const MODEL: &str = "anthropic/claude-opus-4-5";

/// Claude Code's public OAuth client, which pi-ai shares (spec §4, formats §2.1).
pub const CLIENT_ID: &str = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";
/// pi-ai's URL. Newer clients use `https://platform.claude.com/v1/oauth/token`;
/// the old host still answers and is what the reference sends.
pub const TOKEN_URL: &str = "https://console.anthropic.com/v1/oauth/token";

/// Its API server (`CLAWDBOT_API_URL_ANTHROPIC` replaces it).
pub const API_ORIGIN: &str = "https://api.anthropic.com";

/// The API version every request names.
const VERSION: (&str, &str) = ("anthropic-version", "2023-06-01");

/// `models status --probe`: the model list, read-only and free. An API key
/// goes in `x-api-key`; a login's access token or a setup-token is a
/// bearer, with the beta flag that lets an OAuth token reach the API.
pub const PROBES: &[Probe] = &[
    Probe {
        kinds: &[crate::store::CredentialType::ApiKey],
        key_in: KeyIn::Header("x-api-key"),
        headers: &[VERSION],
        ..Probe::get(API_ORIGIN, "/v1/models")
    },
    Probe {
        kinds: BEARERS,
        headers: &[VERSION, ("anthropic-beta", "oauth-2025-04-20")],
        ..Probe::get(API_ORIGIN, "/v1/models")
    },
];

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec {
    env_vars: &["ANTHROPIC_OAUTH_TOKEN", "ANTHROPIC_API_KEY"],
    env_probe: true,
    // Anthropic's SDKs send `ANTHROPIC_AUTH_TOKEN` as a bearer token and
    // `ANTHROPIC_API_KEY` as `x-api-key`.
    client_vars: ClientVars::split("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY"),
    missing_hint: Some(
        "Run `clawdbot models auth setup-token` or `clawdbot models auth paste-token --provider anthropic`.",
    ),
    legacy_profile_id: Some("anthropic:default"),
    setup_token: Some("anthropic:default"),
    refresh: Some(RefreshSpec::oauth2(TOKEN_URL, FIVE_MINUTES, request)),
    // Anthropic's sanctioned login for third-party tools is Claude Code's
    // own (its successor dropped its PKCE flow): run it, then sync.
    login: Some(LoginSpec::Delegated { program: "claude", args: &["auth", "login"] }),
    probes: PROBES,
    login_model: Some(MODEL),
    ..ProviderSpec::new(ID)
};

/// JSON first, as Claude Code sends it, with the same fields form-encoded
/// as the one retry: Anthropic has refused well-formed JSON bodies with a
/// bare 400 and accepted the form (formats §2.2).
fn request(input: &RefreshInput<'_>) -> Result<Requests, RequestError> {
    let scope = requested_scope(input.profile);
    let mut fields =
        vec![("grant_type", "refresh_token"), ("refresh_token", input.refresh_token), ("client_id", CLIENT_ID)];
    if let Some(scope) = scope.as_deref() {
        fields.push(("scope", scope));
    }
    let json: serde_json::Map<String, Value> =
        fields.iter().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect();
    let url = input.url(TOKEN_URL);
    let request = HttpRequest::post(url.clone(), RequestBody::Json(Value::Object(json).to_string()));
    let fallback = HttpRequest::post(url, RequestBody::Form(form::encode(fields)));
    Ok(Requests { request, form_fallback: Some(fallback) })
}

/// Anthropic's `scope` parameter: the login's own scopes, never more, so the
/// answer cannot be `invalid_scope` (formats §2.2). Omitted when the profile
/// stores none.
fn requested_scope(profile: &crate::store::Profile) -> Option<String> {
    let scopes: Vec<String> = super::shapes::stored_scopes(profile)?.into_iter().filter(|s| !s.is_empty()).collect();
    (!scopes.is_empty()).then(|| scopes.join(" "))
}
