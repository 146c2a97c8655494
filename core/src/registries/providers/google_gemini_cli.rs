//! Google Gemini CLI: Cloud Code Assist logins of Gemini CLI's installed app.

use super::probe::Probe;
use super::{FIVE_MINUTES, OAuthKey, ProviderSpec, RefreshInput, RefreshSpec, RequestError, Requests, shapes};
use crate::store::CredentialType;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "google-gemini-cli";

/// Google's OAuth 2.0 token endpoint, shared with Antigravity (spec §4).
pub const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// Gemini CLI's installed-app client (spec §4).
pub const CLIENT_ID: &str = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com";
/// Gemini CLI's installed-app secret: `OAUTH_CLIENT_SECRET` in
/// google-gemini/gemini-cli `packages/core/src/code_assist/oauth2.ts`. Google
/// documents installed-app secrets as not secret.
pub const CLIENT_SECRET: &str = "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";

/// Cloud Code Assist's server (`CLAWDBOT_API_URL_GOOGLE_GEMINI_CLI`
/// replaces it), where Gemini CLI discovers a login's project (spec §4).
pub const CODE_ASSIST_ORIGIN: &str = "https://cloudcode-pa.googleapis.com";

/// `models status --probe`: `loadCodeAssist`, the call Gemini CLI makes
/// at start-up to learn the login's tier and project; it generates
/// nothing. Antigravity's logins are probed the same way.
pub const PROBES: &[Probe] = &[Probe {
    kinds: &[CredentialType::OAuth],
    ..Probe::post(
        CODE_ASSIST_ORIGIN,
        "/v1internal:loadCodeAssist",
        r#"{"metadata":{"ideType":"IDE_UNSPECIFIED","platform":"PLATFORM_UNSPECIFIED","pluginType":"GEMINI"}}"#,
    )
}];

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec {
    oauth_key: OAuthKey::TokenAndProject,
    refresh: Some(RefreshSpec::oauth2(TOKEN_URL, FIVE_MINUTES, request)),
    probes: PROBES,
    ..ProviderSpec::new(ID)
};

fn request(input: &RefreshInput<'_>) -> Result<Requests, RequestError> {
    // The reference's exact words (spec §4), which users search for.
    require_project(input, "Google Cloud credentials missing projectId")?;
    Ok(shapes::installed_app_form(input, TOKEN_URL, CLIENT_ID, CLIENT_SECRET))
}

/// A Cloud Code login is useless without its project: refuse before asking.
pub(crate) fn require_project(input: &RefreshInput<'_>, message: &'static str) -> Result<(), RequestError> {
    if input.cred.project_id.as_deref().is_none_or(|p| p.trim().is_empty()) {
        return Err(RequestError::MissingProjectId { profile_id: input.profile_id.to_string(), message });
    }
    Ok(())
}
