//! Chutes: OAuth logins whose client the operator registers (its id is in
//! the profile or the host's environment).
//!
//! No probe (`models status --probe` says "no cheap check"): Chutes serves
//! models that come and go, so no model id would stay valid for the
//! smallest completion, and its model list does not need a key.

use super::{ClientEnv, ClientVars, FIVE_MINUTES, ProviderSpec, RefreshInput, RefreshSpec, RequestError, Requests};
use crate::http::{HttpRequest, RequestBody, form};
use serde_json::Value;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "chutes";

/// Chutes' token endpoint (spec §4); `CLAWDBOT_TOKEN_URL_CHUTES` overrides it.
pub const TOKEN_URL: &str = "https://api.chutes.ai/idp/token";
/// Chutes' client id when the profile does not store its own `clientId`.
pub const CLIENT_ID_VAR: &str = "CHUTES_CLIENT_ID";
/// Chutes' optional client secret.
pub const CLIENT_SECRET_VAR: &str = "CHUTES_CLIENT_SECRET";

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec {
    env_vars: &["CHUTES_OAUTH_TOKEN", "CHUTES_API_KEY"],
    refresh: Some(RefreshSpec {
        client_vars: Some(ClientEnv { id_var: CLIENT_ID_VAR, secret_var: CLIENT_SECRET_VAR }),
        ..RefreshSpec::oauth2(TOKEN_URL, FIVE_MINUTES, request)
    }),
    client_vars: ClientVars::split("CHUTES_OAUTH_TOKEN", "CHUTES_API_KEY"),
    ..ProviderSpec::new(ID)
};

/// The profile's own `clientId` wins over the host's.
fn request(input: &RefreshInput<'_>) -> Result<Requests, RequestError> {
    let stored = input.profile.extra.get("clientId").and_then(Value::as_str).map(str::trim).filter(|c| !c.is_empty());
    let Some(client_id) = stored.or(input.client_id) else {
        return Err(RequestError::MissingClientId {
            profile_id: input.profile_id.to_string(),
            provider: ID,
            var: CLIENT_ID_VAR,
        });
    };
    let mut fields =
        vec![("grant_type", "refresh_token"), ("refresh_token", input.refresh_token), ("client_id", client_id)];
    if let Some(secret) = input.client_secret {
        fields.push(("client_secret", secret));
    }
    Ok(Requests {
        request: HttpRequest::post(input.url(TOKEN_URL), RequestBody::Form(form::encode(fields))),
        form_fallback: None,
    })
}
