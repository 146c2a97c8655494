//! Which key a client should use for a provider now (spec §2.4, §2.6).
//!
//! Decides only; a refresh needed on the way is reported as
//! [`ResolveError::NeedsRefresh`] for the host to perform.

use crate::env_auth::{config_key, env_key_from};
use crate::load::Loaded;
use crate::order::{is_mode_compatible, resolve_order};
use crate::provider::normalize;
use crate::providers::OAuthKey;
use crate::secret::Secret;
use crate::store::{Credential, OAuth};
use crate::time::ExpiryKind;

/// The key a model client is handed for a provider, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedKey {
    /// The key itself; for an OAuth login, what the provider's
    /// [`crate::providers::OAuthKey`] makes of the access token.
    pub key: Secret,
    /// `profile:<id>`, `env: VAR`, `models.json`.
    pub source: String,
    /// The profile it came from; `None` for an env or `models.json` key.
    pub profile_id: Option<String>,
}

/// Why no key can be handed out; the texts are the reference's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResolveError {
    /// The profile asked for is absent, blank, or does not fit its
    /// `auth.profiles` entry (the profile id).
    #[error("No credentials found for profile \"{0}\".")]
    NoCredentialsForProfile(String),
    /// The profile is an OAuth login whose access token has expired or has no
    /// known expiry: refresh it first (the profile id).
    #[error("The OAuth token of {0} has expired and must be refreshed first.")]
    NeedsRefresh(String),
    /// No key, but a login of a sibling provider the operator probably
    /// meant: the provider's [`crate::providers::NoKeyHint`] says which.
    #[error("{0}")]
    OtherLogin(&'static str),
    /// No profile, variable or `models.json` entry holds a key for the provider
    /// (the provider id).
    #[error("No API key found for provider \"{0}\".")]
    NoKey(String),
}

/// What one profile yields at `now`.
#[derive(Debug, Clone, PartialEq)]
pub enum ProfileKey {
    /// A key to hand out now.
    Usable(Secret),
    /// An oauth login whose access token has expired.
    Expired,
    /// Absent, blank, expired (a static token), or at odds with its
    /// `auth.profiles` entry.
    Unusable,
}

/// `resolveApiKeyForProfile`, without the refresh.
pub fn profile_key(loaded: &Loaded, profile_id: &str) -> ProfileKey {
    let Some(profile) = loaded.store.profile(profile_id) else { return ProfileKey::Unusable };
    let cred = &profile.credential;
    if let Some(cfg) = loaded.config.config.auth.profiles.get(profile_id) {
        if cfg.provider.as_deref().is_some_and(|p| normalize(p) != normalize(cred.provider())) {
            return ProfileKey::Unusable;
        }
        if cfg.mode.is_some_and(|m| !is_mode_compatible(m, cred.kind())) {
            return ProfileKey::Unusable;
        }
    }
    let now = loaded.now as f64;
    match cred {
        Credential::ApiKey(k) => {
            k.key.clone().filter(|k| !k.is_blank()).map_or(ProfileKey::Unusable, ProfileKey::Usable)
        }
        Credential::Token(t) => {
            let Some(token) = t.token.as_ref().map(|s| s.expose().trim()).filter(|s| !s.is_empty()) else {
                return ProfileKey::Unusable;
            };
            if t.expiry().passed(now) {
                return ProfileKey::Unusable;
            }
            ProfileKey::Usable(Secret::new(token))
        }
        // An unknown expiry is not trusted: the login is handed out only
        // after a refresh has told us when it ends.
        Credential::OAuth(o) => match o.expiry() {
            ExpiryKind::At(e) if now < e => oauth_api_key(o).map_or(ProfileKey::Unusable, ProfileKey::Usable),
            ExpiryKind::At(_) | ExpiryKind::Unknown | ExpiryKind::Never => ProfileKey::Expired,
        },
    }
}

/// The key handed to the model client: the access token, or for the Google
/// Cloud Code providers `{"token", "projectId"}` as JSON (A22).
pub fn oauth_api_key(o: &OAuth) -> Option<Secret> {
    let access = o.access.as_ref().filter(|a| !a.is_blank())?;
    let shape = crate::providers::find(&o.provider).map_or(OAuthKey::AccessToken, |p| p.oauth_key);
    match shape {
        OAuthKey::TokenAndProject => {
            let doc = serde_json::json!({ "token": access.expose(), "projectId": o.project_id });
            Some(Secret::new(doc.to_string()))
        }
        OAuthKey::AccessToken => Some(access.clone()),
    }
}

/// `resolveApiKeyForProvider`: an explicit profile, else the order, else
/// the environment, else the config's key.
pub fn resolve_key(loaded: &Loaded, provider: &str, profile: Option<&str>) -> Result<ResolvedKey, ResolveError> {
    let from_profile =
        |id: &str, key: Secret| ResolvedKey { key, source: format!("profile:{id}"), profile_id: Some(id.to_string()) };
    if let Some(id) = profile {
        return match profile_key(loaded, id) {
            ProfileKey::Usable(key) => Ok(from_profile(id, key)),
            ProfileKey::Expired => Err(ResolveError::NeedsRefresh(id.to_string())),
            ProfileKey::Unusable => Err(ResolveError::NoCredentialsForProfile(id.to_string())),
        };
    }
    let mut expired = None;
    for id in resolve_order(&loaded.config.config, &loaded.store, provider, None, loaded.now) {
        match profile_key(loaded, &id) {
            ProfileKey::Usable(key) => return Ok(from_profile(&id, key)),
            ProfileKey::Expired if expired.is_none() => expired = Some(id),
            _ => {}
        }
    }
    if let Some(found) = env_key_from(provider, &loaded.env, &loaded.shell_applied, &loaded.dotenv, loaded.gcloud_adc) {
        return Ok(ResolvedKey { key: found.value, source: found.source, profile_id: None });
    }
    if let Some(key) = config_key(provider, &loaded.config.config) {
        return Ok(ResolvedKey { key, source: "models.json".into(), profile_id: None });
    }
    if let Some(id) = expired {
        return Err(ResolveError::NeedsRefresh(id));
    }
    let p = normalize(provider);
    if let Some(hint) = crate::providers::find(&p).and_then(|spec| spec.no_key_hint)
        && loaded.store.profiles_for(hint.when_logged_in_to).next().is_some()
    {
        return Err(ResolveError::OtherLogin(hint.message));
    }
    Err(ResolveError::NoKey(p))
}
