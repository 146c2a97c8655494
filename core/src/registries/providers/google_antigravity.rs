//! Google Antigravity: Cloud Code logins of the Antigravity IDE's client.

use super::{FIVE_MINUTES, OAuthKey, ProviderSpec, RefreshInput, RefreshSpec, RequestError, Requests, shapes};

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "google-antigravity";

/// Antigravity's installed-app client (spec §4).
pub const CLIENT_ID: &str = "1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com";
/// Antigravity's installed-app secret: `CLIENT_SECRET` (base64 in source) in
/// badlogic/pi-mono `packages/ai/src/utils/oauth/google-antigravity.ts`.
pub const CLIENT_SECRET: &str = "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";

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec {
    oauth_key: OAuthKey::TokenAndProject,
    refresh: Some(RefreshSpec::oauth2(super::google_gemini_cli::TOKEN_URL, FIVE_MINUTES, request)),
    // Cloud Code Assist's start-up call, as Gemini CLI's logins.
    probes: super::google_gemini_cli::PROBES,
    ..ProviderSpec::new(ID)
};

fn request(input: &RefreshInput<'_>) -> Result<Requests, RequestError> {
    super::google_gemini_cli::require_project(input, "Antigravity credentials missing projectId")?;
    Ok(shapes::installed_app_form(input, super::google_gemini_cli::TOKEN_URL, CLIENT_ID, CLIENT_SECRET))
}
