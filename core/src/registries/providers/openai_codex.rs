//! OpenAI Codex: ChatGPT OAuth logins, as Codex CLI holds them.

use super::probe::Probe;
use super::{
    ClientVars, DeviceGrant, LoginSpec, OAuthLogin, PkceGrant, ProviderSpec, RefreshInput, RefreshSpec, RequestError,
    Requests, shapes,
};
use crate::store::OAuth;
use crate::time::MINUTE;
use serde_json::{Map, Value};

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "openai-codex";

/// Codex CLI's public client (spec §4, formats §3.4).
pub const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";
/// OpenAI's authorization server (`CLAWDBOT_AUTH_URL_OPENAI_CODEX` moves it).
pub const ORIGIN: &str = "https://auth.openai.com";
/// The token endpoint's path under [`ORIGIN`].
pub const TOKEN_PATH: &str = "/oauth/token";
/// OpenAI's token endpoint, as Codex CLI calls it (spec §4).
pub const TOKEN_URL: &str = "https://auth.openai.com/oauth/token";

/// Codex CLI's logins (issue 25; Codex CLI's source): device codes and the
/// browser login on port 1455.
pub const LOGIN: OAuthLogin = OAuthLogin {
    origin: ORIGIN,
    api: None,
    enterprise: None,
    client_id: CLIENT_ID,
    client_of: "Codex CLI",
    device: Some(DeviceGrant::OpenAi {
        usercode_path: "/api/accounts/deviceauth/usercode",
        poll_path: "/api/accounts/deviceauth/token",
        verify_path: "/codex/device",
        token_path: TOKEN_PATH,
        redirect_path: "/deviceauth/callback",
        lifetime_ms: 15 * MINUTE,
    }),
    pkce: Some(PkceGrant {
        authorize_path: "/oauth/authorize",
        token_path: TOKEN_PATH,
        port: 1455,
        callback_path: "/auth/callback",
        redirect_uri: "http://localhost:1455/auth/callback",
        scope: "openid profile email offline_access",
        extra: &[("id_token_add_organizations", "true"), ("codex_cli_simplified_flow", "true")],
    }),
};

/// The ChatGPT backend Codex CLI talks to (`CLAWDBOT_API_URL_OPENAI_CODEX`
/// replaces it).
pub const API_ORIGIN: &str = "https://chatgpt.com";

/// `models status --probe`: the usage page Codex CLI reads for its limits,
/// read-only and free, with the workspace the login bills against.
pub const PROBES: &[Probe] = &[Probe {
    kinds: &[crate::store::CredentialType::OAuth],
    account_header: Some("ChatGPT-Account-Id"),
    ..Probe::get(API_ORIGIN, "/backend-api/wham/usage")
}];

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec {
    // A ChatGPT login's access token is no API key: no client reads it
    // from a variable. An API key Codex CLI holds is read from
    // `OPENAI_API_KEY` (credential-formats §3.1).
    client_vars: ClientVars { oauth: None, token: None, api_key: Some("OPENAI_API_KEY") },
    refresh: Some(RefreshSpec {
        // Codex rotates on every refresh; an answer without a new refresh
        // token would leave the login holding a spent one.
        refresh_token_required: true,
        on_renewed: Some(take_account_id),
        // Codex stores the real expiry (spec §4): no margin.
        ..RefreshSpec::oauth2(TOKEN_URL, 0, request)
    }),
    login: Some(LoginSpec::OAuth(&LOGIN)),
    probes: PROBES,
    // The model the reference names for a ChatGPT login (spec §2.6).
    login_model: Some("openai-codex/gpt-5.2"),
    ..ProviderSpec::new(ID)
};

fn request(input: &RefreshInput<'_>) -> Result<Requests, RequestError> {
    // A moved authorization server moves its token endpoint too.
    let moved = input.auth_origin.map(|origin| format!("{origin}{TOKEN_PATH}"));
    Ok(shapes::public_client_form(input, moved.as_deref().unwrap_or(TOKEN_URL), CLIENT_ID))
}

/// The ChatGPT workspace Codex bills against, from the new access token's
/// claims; when it cannot be read the stored one stays (the reference fails
/// the whole refresh instead, though the new tokens are good).
fn take_account_id(_body: &Map<String, Value>, cred: &mut OAuth, _extra: &mut Map<String, Value>) {
    let Some(access) = cred.access.as_ref() else { return };
    let Some(claims) = crate::sources::jwt::claims(access.expose()) else { return };
    if let Some(id) =
        crate::sources::jwt::chatgpt_account_id(&claims).map(|id| id.trim().to_string()).filter(|id| !id.is_empty())
    {
        cred.account_id = Some(id);
    }
}
