//! Request shapes several providers share, so that a provider file names
//! its shape and its constants instead of building requests by hand.

use super::{RefreshInput, Requests};
use crate::http::{HttpRequest, RequestBody, form};

/// RFC 6749 §6's refresh, form-encoded, with a public client id:
/// `grant_type`, `refresh_token`, `client_id` in that order (Codex, Qwen).
pub fn public_client_form(input: &RefreshInput<'_>, token_url: &str, client_id: &str) -> Requests {
    let body = form::encode([
        ("grant_type", "refresh_token"),
        ("refresh_token", input.refresh_token),
        ("client_id", client_id),
    ]);
    Requests { request: HttpRequest::post(input.url(token_url), RequestBody::Form(body)), form_fallback: None }
}

/// Google's installed-app refresh: the client's id and its (public) secret
/// come first, as Google's own libraries send them.
pub fn installed_app_form(input: &RefreshInput<'_>, token_url: &str, client_id: &str, secret: &str) -> Requests {
    let body = form::encode([
        ("client_id", client_id),
        ("client_secret", secret),
        ("refresh_token", input.refresh_token),
        ("grant_type", "refresh_token"),
    ]);
    Requests { request: HttpRequest::post(input.url(token_url), RequestBody::Form(body)), form_fallback: None }
}

/// The scopes a profile carries itself (`extra.scopes`, an array of strings,
/// as synced from Claude Code). `None` when absent or not that shape.
pub(crate) fn stored_scopes(profile: &crate::store::Profile) -> Option<Vec<String>> {
    let items = profile.extra.get("scopes")?.as_array()?;
    items.iter().map(|s| s.as_str().map(|s| s.trim().to_string())).collect::<Option<Vec<_>>>()
}
