//! Which key a client should use for a provider now (spec §2.4, §2.6).
//!
//! Decides only; a refresh needed on the way is reported as
//! [`ResolveError::NeedsRefresh`] for the host to perform.

use crate::env_auth::{config_key, env_key_from};
use crate::load::Loaded;
use crate::order::{is_mode_compatible, resolve_order};
use crate::provider::{ProfilesOf, normalize};
use crate::providers::OAuthKey;
use crate::secret::Secret;
use crate::secret_refs::RefCheck;
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
#[non_exhaustive]
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
    /// `--format env` for a key no client of its provider reads from a
    /// variable, or of a provider the core does not know: there is no
    /// variable to name.
    #[error(
        "no client of {provider} is known to read its {kind} keys from a variable; --format env has no name to give"
    )]
    NoClientVariable {
        /// The provider, normalised (escaped when shown).
        provider: String,
        /// The kind of key (`oauth`, `token`, `api_key`).
        kind: &'static str,
    },
    /// The profile's SecretRef did not resolve, or was not allowed to run
    /// (`failure: None`); nothing stands in for it (fail closed).
    #[error("the SecretRef of profile \"{profile}\" {}", match failure {
        Some(f) => format!("did not resolve: {f}"),
        None => "was not checked: it runs a resolver, which needs --allow-exec".to_string(),
    })]
    RefFailing {
        /// The profile id.
        profile: String,
        /// Why it did not resolve; `None`: it was not run.
        failure: Option<crate::secret_refs::RefFailure>,
    },
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
    /// Its SecretRef did not resolve or was not run (why; `None`: not
    /// run): no other credential stands in.
    Closed(Option<crate::secret_refs::RefFailure>),
}

/// `resolveApiKeyForProfile`, without the refresh. A profile the one
/// verdict says needs a person ([`crate::health::Standing::usable`]) is
/// never handed out: a login refused at refresh is expired whatever its
/// access token says, and goes through the refresh path, which says why
/// it cannot be renewed.
pub fn profile_key(loaded: &Loaded, profile_id: &str) -> ProfileKey {
    let Some(profile) = loaded.store.profile(profile_id) else { return ProfileKey::Unusable };
    let Some(verdict) = loaded.assess(profile_id, crate::health::HealthRules::default()) else {
        return ProfileKey::Unusable;
    };
    let cred = &profile.credential;
    if let Some(cfg) = loaded.config.config.auth.profiles.get(profile_id) {
        if cfg.provider.as_deref().is_some_and(|p| normalize(p) != normalize(cred.provider())) {
            return ProfileKey::Unusable;
        }
        if cfg.mode.is_some_and(|m| !is_mode_compatible(m, cred.kind())) {
            return ProfileKey::Unusable;
        }
    }
    // A ref beats a plain value, and a failing one fails closed.
    let from_ref = match crate::secret_refs::check_of(&loaded.refs, profile_id, profile) {
        Some(RefCheck::Ok(value)) => Some(value),
        Some(RefCheck::Failing(why)) => return ProfileKey::Closed(Some(why.clone())),
        Some(RefCheck::NotChecked) => return ProfileKey::Closed(None),
        None => None,
    };
    match cred {
        // An unknown expiry is not trusted: the login is handed out only
        // after a refresh has told us when it ends.
        Credential::OAuth(o) => match o.expiry() {
            ExpiryKind::At(e) if !e.is_past(loaded.now) && verdict.standing.usable() => {
                oauth_api_key(o).map_or(ProfileKey::Unusable, ProfileKey::Usable)
            }
            ExpiryKind::At(_) | ExpiryKind::Unknown | ExpiryKind::Never => ProfileKey::Expired,
        },
        // Blank, or a token past its expiry.
        _ if !verdict.standing.usable() => ProfileKey::Unusable,
        Credential::ApiKey(k) => from_ref.or(k.key.as_ref()).cloned().map_or(ProfileKey::Unusable, ProfileKey::Usable),
        Credential::Token(t) => from_ref
            .or(t.token.as_ref())
            .map_or(ProfileKey::Unusable, |s| ProfileKey::Usable(Secret::new(s.expose().trim()))),
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
            ProfileKey::Closed(failure) => Err(ResolveError::RefFailing { profile: id.to_string(), failure }),
        };
    }
    let mut expired = None;
    for id in resolve_order(&loaded.config.config, &loaded.store, provider, None, loaded.now) {
        match profile_key(loaded, &id) {
            ProfileKey::Usable(key) => return Ok(from_profile(&id, key)),
            // Fail closed: neither a later profile nor the environment
            // stands in for a ref that did not resolve.
            ProfileKey::Closed(failure) => return Err(ResolveError::RefFailing { profile: id, failure }),
            ProfileKey::Expired if expired.is_none() => expired = Some(id),
            _ => {}
        }
    }
    // A login that renews itself is refreshed before an environment key
    // stands in for it (A28: the reference refreshes each profile of the
    // order in turn, and reads the environment only after all of them).
    if let Some(id) = expired
        .as_ref()
        .filter(|id| loaded.store.profile(id).is_some_and(|p| crate::health::renews_itself(&p.credential)))
    {
        return Err(ResolveError::NeedsRefresh(id.clone()));
    }
    if let Some(found) = stand_in_key(loaded, provider) {
        return Ok(found);
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

/// The key that stands in when no profile gives one: the environment's,
/// then the config's (`models.json`). Also what a command hands out when
/// the refresh of a login failed, as the reference goes on to the
/// environment when a profile's refresh throws.
pub fn stand_in_key(loaded: &Loaded, provider: &str) -> Option<ResolvedKey> {
    if let Some(found) = env_key_from(provider, &loaded.env, &loaded.shell_applied, &loaded.dotenv, loaded.gcloud_adc) {
        return Some(ResolvedKey { key: found.value, source: found.source, profile_id: None });
    }
    config_key(provider, &loaded.config.config).map(|key| ResolvedKey {
        key,
        source: "models.json".into(),
        profile_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Env;
    use crate::world::{FileRead, MapWorld};

    const NOW: i64 = 1_767_225_600_000;
    const HOUR: i64 = 3_600_000;

    fn loaded_with(profiles: &str, config: Option<&str>, env: Env) -> Loaded {
        let mut w = MapWorld::default();
        let store = format!(r#"{{"version":1,"profiles":{profiles}}}"#);
        w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text(store));
        if let Some(config) = config {
            w.files.insert("/h/.clawdbot/clawdbot.json".into(), FileRead::text(config));
        }
        let l = crate::load::load(&w, &env, NOW, None);
        assert!(!l.has_errors(), "{:?}", l.diagnostics);
        l
    }

    fn loaded(profiles: &str) -> Loaded {
        loaded_with(profiles, None, Env::new("/h"))
    }

    fn usable(key: &str) -> ProfileKey {
        ProfileKey::Usable(Secret::new(key))
    }

    #[test]
    fn an_api_key_or_token_is_usable_unless_blank_or_expired() {
        let l = loaded(&format!(
            r#"{{"a:key":{{"type":"api_key","provider":"a","key":"sk-FAKE"}},
                "a:blank-key":{{"type":"api_key","provider":"a","key":"  "}},
                "a:token":{{"type":"token","provider":"a","token":" tok-FAKE ","expires":{}}},
                "a:blank-token":{{"type":"token","provider":"a","token":" "}},
                "a:token-at-expiry":{{"type":"token","provider":"a","token":"tok-FAKE","expires":{NOW}}},
                "a:token-no-expiry":{{"type":"token","provider":"a","token":"tok-FAKE","expires":0}}}}"#,
            NOW + 1
        ));
        assert_eq!(profile_key(&l, "a:key"), usable("sk-FAKE"));
        assert_eq!(profile_key(&l, "a:blank-key"), ProfileKey::Unusable);
        assert_eq!(profile_key(&l, "a:token"), usable("tok-FAKE"), "trimmed, usable until its expiry");
        assert_eq!(profile_key(&l, "a:blank-token"), ProfileKey::Unusable);
        assert_eq!(profile_key(&l, "a:token-at-expiry"), ProfileKey::Unusable, "expired at its very millisecond");
        assert_eq!(profile_key(&l, "a:token-no-expiry"), usable("tok-FAKE"), "an expiry of 0 is none");
        assert_eq!(profile_key(&l, "a:nope"), ProfileKey::Unusable);
    }

    #[test]
    fn an_oauth_login_is_usable_strictly_before_its_expiry() {
        let l = loaded(&format!(
            r#"{{"a:live":{{"type":"oauth","provider":"a","access":"acc-FAKE","refresh":"r","expires":{}}},
                "a:at-expiry":{{"type":"oauth","provider":"a","access":"acc-FAKE","refresh":"r","expires":{NOW}}},
                "a:no-expiry":{{"type":"oauth","provider":"a","access":"acc-FAKE","refresh":"r","expires":0}},
                "a:no-access":{{"type":"oauth","provider":"a","access":" ","refresh":"r","expires":{}}}}}"#,
            NOW + 1,
            NOW + HOUR
        ));
        assert_eq!(profile_key(&l, "a:live"), usable("acc-FAKE"));
        assert_eq!(profile_key(&l, "a:at-expiry"), ProfileKey::Expired);
        assert_eq!(profile_key(&l, "a:no-expiry"), ProfileKey::Expired, "without a known expiry it must be refreshed");
        assert_eq!(profile_key(&l, "a:no-access"), ProfileKey::Unusable);
    }

    #[test]
    fn the_config_s_provider_and_mode_must_match_the_credential() {
        let profiles = r#"{"a:key":{"type":"api_key","provider":"a","key":"sk-FAKE"},
                           "a:tok":{"type":"token","provider":"a","token":"tok-FAKE"}}"#;
        let config = r#"{"auth":{"profiles":{
            "a:key":{"provider":"A","mode":"api_key"},
            "a:tok":{"provider":"b","mode":"token"}}}}"#;
        let l = loaded_with(profiles, Some(config), Env::new("/h"));
        assert_eq!(profile_key(&l, "a:key"), usable("sk-FAKE"), "same provider once normalised, same mode");
        assert_eq!(profile_key(&l, "a:tok"), ProfileKey::Unusable, "another provider");
        let config = r#"{"auth":{"profiles":{"a:key":{"mode":"oauth"},"a:tok":{"mode":"oauth"}}}}"#;
        let l = loaded_with(profiles, Some(config), Env::new("/h"));
        assert_eq!(profile_key(&l, "a:key"), ProfileKey::Unusable, "an api key is no oauth login");
        assert_eq!(profile_key(&l, "a:tok"), usable("tok-FAKE"), "a token may stand for an oauth login");
    }

    #[test]
    fn google_cloud_code_logins_hand_out_token_and_project() {
        let l = loaded(&format!(
            r#"{{"google-gemini-cli:me":{{"type":"oauth","provider":"google-gemini-cli","access":"acc-FAKE","refresh":"r","expires":{e},"projectId":"p-1"}},
                "google-antigravity:me":{{"type":"oauth","provider":"google-antigravity","access":"acc-FAKE","refresh":"r","expires":{e}}}}}"#,
            e = NOW + HOUR
        ));
        assert_eq!(profile_key(&l, "google-gemini-cli:me"), usable(r#"{"token":"acc-FAKE","projectId":"p-1"}"#));
        assert_eq!(profile_key(&l, "google-antigravity:me"), usable(r#"{"token":"acc-FAKE","projectId":null}"#));
    }

    #[test]
    fn an_explicit_profile_says_exactly_what_is_wrong_with_it() {
        let l = loaded(&format!(
            r#"{{"a:live":{{"type":"oauth","provider":"a","access":"acc-FAKE","refresh":"r","expires":{}}},
                "a:old":{{"type":"oauth","provider":"a","access":"acc-FAKE","refresh":"r","expires":{}}}}}"#,
            NOW + HOUR,
            NOW - HOUR
        ));
        assert_eq!(
            resolve_key(&l, "a", Some("a:live")),
            Ok(ResolvedKey {
                key: Secret::new("acc-FAKE"),
                source: "profile:a:live".into(),
                profile_id: Some("a:live".into())
            })
        );
        assert_eq!(resolve_key(&l, "a", Some("a:old")), Err(ResolveError::NeedsRefresh("a:old".into())));
        assert_eq!(resolve_key(&l, "a", Some("a:none")), Err(ResolveError::NoCredentialsForProfile("a:none".into())));
    }

    #[test]
    fn the_order_s_first_usable_profile_wins_over_an_earlier_expired_one() {
        let profiles = format!(
            r#"{{"a:old1":{{"type":"oauth","provider":"a","access":"acc-FAKE-1","refresh":"r","expires":{old}}},
                "a:old2":{{"type":"oauth","provider":"a","access":"acc-FAKE-2","refresh":"r","expires":{old}}},
                "a:key":{{"type":"api_key","provider":"a","key":"sk-FAKE"}}}}"#,
            old = NOW - HOUR
        );
        let config = r#"{"auth":{"order":{"a":["a:old1","a:old2","a:key"]}}}"#;
        let l = loaded_with(&profiles, Some(config), Env::new("/h"));
        let k = resolve_key(&l, "a", None).unwrap();
        assert_eq!((k.source.as_str(), k.profile_id.as_deref()), ("profile:a:key", Some("a:key")));

        let config = r#"{"auth":{"order":{"a":["a:old1","a:old2"]}}}"#;
        let l = loaded_with(&profiles, Some(config), Env::new("/h"));
        assert_eq!(
            resolve_key(&l, "a", None),
            Err(ResolveError::NeedsRefresh("a:old1".into())),
            "the first expired login is the one to refresh"
        );
    }

    #[test]
    fn the_environment_then_the_config_stand_in_before_an_expired_login() {
        let profiles = format!(
            r#"{{"openai:old":{{"type":"oauth","provider":"openai","access":"acc-FAKE","refresh":"r","expires":{}}}}}"#,
            NOW - HOUR
        );
        let config = r#"{"models":{"providers":{"openai":{"apiKey":"sk-FAKE-config"}}}}"#;
        let env = Env::new("/h").with_var("OPENAI_API_KEY", "sk-FAKE-env");
        let l = loaded_with(&profiles, Some(config), env);
        assert_eq!(
            resolve_key(&l, "openai", None),
            Ok(ResolvedKey { key: Secret::new("sk-FAKE-env"), source: "env: OPENAI_API_KEY".into(), profile_id: None })
        );
        let l = loaded_with(&profiles, Some(config), Env::new("/h"));
        assert_eq!(
            resolve_key(&l, "openai", None),
            Ok(ResolvedKey { key: Secret::new("sk-FAKE-config"), source: "models.json".into(), profile_id: None })
        );
        let l = loaded_with(&profiles, None, Env::new("/h"));
        assert_eq!(resolve_key(&l, "openai", None), Err(ResolveError::NeedsRefresh("openai:old".into())));
    }

    #[test]
    fn no_key_names_the_normalised_provider_and_points_codex_users_to_codex() {
        let codex = format!(
            r#"{{"openai-codex:codex-cli":{{"type":"oauth","provider":"openai-codex","access":"acc-FAKE","refresh":"r","expires":{}}}}}"#,
            NOW + HOUR
        );
        let l = loaded(&codex);
        let codex_hint = resolve_key(&l, "OpenAI", None).expect_err("no openai key").to_string();
        assert!(codex_hint.contains("You are authenticated with OpenAI Codex OAuth"), "{codex_hint}");
        assert_eq!(resolve_key(&l, "groq", None), Err(ResolveError::NoKey("groq".into())));
        let l = loaded("{}");
        assert_eq!(resolve_key(&l, "OpenAI", None), Err(ResolveError::NoKey("openai".into())));
        assert_eq!(ResolveError::NoKey("openai".into()).to_string(), "No API key found for provider \"openai\".");
    }
}
