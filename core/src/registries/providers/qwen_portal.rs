//! Qwen Portal: Qwen Code's OAuth logins.

use super::probe::Probe;
use super::{ClientVars, ProviderSpec, RefreshInput, RefreshSpec, RequestError, Requests, shapes};
use crate::store::OAuth;
use serde_json::{Map, Value};

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "qwen-portal";

/// Qwen Code's public client (spec §4, `src/providers/qwen-portal-oauth.ts`).
pub const CLIENT_ID: &str = "f0304373b74a44d2b584a3fb70ca9e56";
/// Qwen Portal's token endpoint, as Qwen Code calls it (spec §4).
pub const TOKEN_URL: &str = "https://chat.qwen.ai/api/v1/oauth2/token";

/// Its API server (spec: the login's base, `https://portal.qwen.ai/v1`;
/// `CLAWDBOT_API_URL_QWEN_PORTAL` replaces it).
pub const API_ORIGIN: &str = "https://portal.qwen.ai";

/// `models status --probe`: the portal has no read that needs the token,
/// so the smallest completion of `coder-model`, the model Qwen Code's
/// logins are for (one request of the login's daily allowance).
pub const PROBES: &[Probe] = &[Probe::completion(API_ORIGIN, "/v1/chat/completions", "coder-model")];

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec {
    env_vars: &["QWEN_OAUTH_TOKEN", "QWEN_PORTAL_API_KEY"],
    refresh: Some(RefreshSpec {
        // Qwen answers a dead refresh token with a bare 400; its wording
        // (spec §4) is used when the body says nothing.
        dead_on_400: Some("refresh token expired or invalid"),
        on_renewed: Some(take_resource_url),
        // Qwen stores the real expiry (spec §4): no margin.
        ..RefreshSpec::oauth2(TOKEN_URL, 0, request)
    }),
    client_vars: ClientVars::split("QWEN_OAUTH_TOKEN", "QWEN_PORTAL_API_KEY"),
    probes: PROBES,
    ..ProviderSpec::new(ID)
};

fn request(input: &RefreshInput<'_>) -> Result<Requests, RequestError> {
    Ok(shapes::public_client_form(input, TOKEN_URL, CLIENT_ID))
}

/// The API base the login is served from, which Qwen may move on refresh.
fn take_resource_url(body: &Map<String, Value>, _cred: &mut OAuth, extra: &mut Map<String, Value>) {
    if let Some(url) = crate::http::body_text(body, "resource_url") {
        extra.insert("resourceUrl".into(), Value::String(url.to_string()));
    }
}
