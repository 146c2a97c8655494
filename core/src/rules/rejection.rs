//! A login its provider refused to renew, for good (issue 12 item 2).
//!
//! When a token endpoint answers a refresh with a permanent error
//! (`invalid_grant`, `refresh_token_reused`, a 401/403), retrying is
//! pointless and the access token will soon be dead too: only a person can
//! log in again. The refusal is written to the profile's `usageStats` entry
//! as `refreshRejected: {at, code, fingerprint}`, where the fingerprint is
//! a short SHA-256 prefix of the refused refresh token, never the token.
//!
//! Because the record names the token it refused, it stops applying the
//! moment the credential changes: a successful refresh, a Claude Code or
//! Codex login synced with another refresh token, a pasted token (which has
//! no refresh token) or removing the profile all end it without anyone
//! having to remember to clear it.
//!
//! A probe's refusal (`models status --probe`, issue 26) is kept the same
//! way, as `probeRejected: {at, status, code, fingerprint}`: the class the
//! probe found (`auth`, `billing`), the provider's error code, and the
//! fingerprint of the secret the probe sent (the key, the token, a login's
//! access token; Copilot's GitHub token). It applies while the profile
//! still holds that secret, and a later probe that succeeds removes it.

use crate::providers::probe::{KeyOf, Probe};
use crate::secret::Secret;
use crate::secret_refs::{RefCheck, RefStates};
use crate::store::{AuthStore, Credential, Profile};
use crate::time::Millis;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `usageStats` field that holds the record.
pub const FIELD: &str = "refreshRejected";

/// What `models status --json` says for a rejected login.
pub const REASON_CODE: &str = "refresh_rejected";

/// One refused refresh, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRejection {
    /// When the endpoint refused, in ms since the epoch (written as an
    /// integer, like every time in the store).
    #[serde(serialize_with = "crate::time::ser_ms")]
    pub at: f64,
    /// The OAuth error code (`invalid_grant`), or `http_401` / `http_403`
    /// when the endpoint gave none.
    pub code: String,
    /// [`fingerprint`] of the refused refresh token.
    pub fingerprint: String,
}

/// A refresh token's fingerprint: `sha256:` and the first 16 hex digits of
/// its SHA-256. Enough to tell two tokens apart, useless to an attacker.
pub fn fingerprint(refresh: &Secret) -> String {
    let digest = Sha256::digest(refresh.expose().trim().as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The rejection that still applies to a profile: recorded, and for the
/// refresh token it holds now. `None` for any other credential.
pub fn rejection_of(store: &AuthStore, profile_id: &str) -> Option<RefreshRejection> {
    let Some(Credential::OAuth(oauth)) = store.credential(profile_id) else { return None };
    let refresh = oauth.refresh.as_ref().filter(|r| !r.is_blank())?;
    let record = store.usage_stats.get(profile_id)?.extra.get(FIELD)?;
    let rejection: RefreshRejection = serde_json::from_value(record.clone()).ok()?;
    (rejection.fingerprint == fingerprint(refresh) && rejection.at.is_finite()).then_some(rejection)
}

/// Records that the endpoint refused `refused`, the refresh token that was
/// sent, for good. Nothing is recorded when the profile holds another
/// refresh token by now (someone logged in again meanwhile: the refusal is
/// not about that one) or none. Returns whether the store changed.
pub fn record_rejection(store: &mut AuthStore, profile_id: &str, refused: &Secret, code: &str, now: Millis) -> bool {
    let Some(Credential::OAuth(oauth)) = store.credential(profile_id) else { return false };
    let Some(refresh) = oauth.refresh.as_ref().filter(|r| !r.is_blank()) else { return false };
    let print = fingerprint(refresh);
    if print != fingerprint(refused) {
        return false;
    }
    let record = RefreshRejection { at: now as f64, code: code.to_string(), fingerprint: print };
    let value = serde_json::to_value(&record).unwrap_or_default();
    let stats = store.usage_stats.entry(profile_id.to_string()).or_default();
    if stats.extra.get(FIELD) == Some(&value) {
        return false;
    }
    stats.extra.insert(FIELD.to_string(), value);
    true
}

/// Removes a record that no longer applies (the credential changed), so
/// that the file does not keep a stale one. Returns whether it removed one.
pub fn forget_stale(store: &mut AuthStore, profile_id: &str) -> bool {
    if rejection_of(store, profile_id).is_some() {
        return false;
    }
    forget(store, profile_id)
}

/// Removes the record whatever it says: a refresh just succeeded, so the
/// login is alive (a provider may keep the same refresh token).
pub fn forget(store: &mut AuthStore, profile_id: &str) -> bool {
    store.usage_stats.get_mut(profile_id).is_some_and(|stats| stats.extra.shift_remove(FIELD).is_some())
}

/// The code a refusal is recorded under: the OAuth error code, else the
/// HTTP status (`http_401`).
pub fn code_of(oauth_error: Option<&str>, status: Option<u16>) -> String {
    match (oauth_error, status) {
        (Some(code), _) => code.to_string(),
        (None, Some(status)) => format!("http_{status}"),
        (None, None) => "refused".to_string(),
    }
}

/// The `usageStats` field that holds a probe's refusal.
pub const PROBE_FIELD: &str = "probeRejected";

/// The reason code of a credential whose probe was refused.
pub const PROBE_REASON_CODE: &str = "probe_rejected";

/// One refused probe, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeRejection {
    /// When the probe was answered, ms since the epoch (an integer).
    #[serde(serialize_with = "crate::time::ser_ms")]
    pub at: f64,
    /// The class of the answer: `auth` or `billing`.
    pub status: String,
    /// The provider's error code (`invalid_api_key`), or `http_401`.
    pub code: String,
    /// [`fingerprint`] of the secret the probe sent.
    pub fingerprint: String,
}

/// The secret a probe of profile `id` sends: its SecretRef's value when it
/// has a ref (none when the ref did not resolve), else what its provider's
/// probe reads (Copilot's GitHub token is a login's refresh token; any
/// other login's is its access token), else the key or token.
pub fn probed_secret<'a>(refs: &'a RefStates, id: &str, profile: &'a Profile) -> Option<&'a Secret> {
    let held = |s: &'a Option<Secret>| s.as_ref().filter(|s| !s.is_blank());
    match crate::secret_refs::check_of(refs, id, profile) {
        Some(RefCheck::Ok(value)) => return (!value.is_blank()).then_some(value),
        Some(_) => return None,
        None => {}
    }
    let c = &profile.credential;
    let probe = crate::providers::find(c.provider()).and_then(|spec| Probe::for_kind(spec.probes, c.kind()));
    match (c, probe.map(|p| p.key_of)) {
        (Credential::OAuth(o), Some(KeyOf::Refresh)) => held(&o.refresh),
        (Credential::OAuth(o), _) => held(&o.access),
        (other, _) => other.secret(),
    }
}

/// The probe refusal that still applies to profile `id`: recorded, and
/// for `probed`, the secret a probe of it would send now ([`probed_secret`]).
pub fn probe_rejection_of(store: &AuthStore, id: &str, probed: Option<&Secret>) -> Option<ProbeRejection> {
    let probed = probed?;
    let record = store.usage_stats.get(id)?.extra.get(PROBE_FIELD)?;
    let rejection: ProbeRejection = serde_json::from_value(record.clone()).ok()?;
    (rejection.fingerprint == fingerprint(probed) && rejection.at.is_finite()).then_some(rejection)
}

/// Records that a probe of profile `id` that sent the secret whose
/// fingerprint is `sent` was refused (`status`: `auth` or `billing`).
/// Nothing is recorded when the profile holds another secret by now (it
/// changed meanwhile: the refusal is not about it) or is gone. Returns
/// whether the store changed.
pub fn record_probe_rejection(
    store: &mut AuthStore,
    refs: &RefStates,
    id: &str,
    sent: &str,
    status: &str,
    code: &str,
    now: Millis,
) -> bool {
    let Some(profile) = store.profiles.get(id) else { return false };
    if probed_secret(refs, id, profile).map(fingerprint).as_deref() != Some(sent) {
        return false;
    }
    let record =
        ProbeRejection { at: now as f64, status: status.to_string(), code: code.to_string(), fingerprint: sent.into() };
    let value = serde_json::to_value(&record).unwrap_or_default();
    let stats = store.usage_stats.entry(id.to_string()).or_default();
    if stats.extra.get(PROBE_FIELD) == Some(&value) {
        return false;
    }
    stats.extra.insert(PROBE_FIELD.to_string(), value);
    true
}

/// Removes a probe refusal of profile `id`: a probe of it just succeeded.
/// Returns whether it removed one.
pub fn forget_probe_rejection(store: &mut AuthStore, id: &str) -> bool {
    store.usage_stats.get_mut(id).is_some_and(|stats| stats.extra.shift_remove(PROBE_FIELD).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{OAuth, Profile, Token};

    const NOW: Millis = 1_767_225_600_000;

    fn store(refresh: Option<&str>) -> AuthStore {
        let mut store = AuthStore::default();
        let oauth = OAuth { provider: "anthropic".into(), refresh: refresh.map(Secret::new), ..OAuth::default() };
        store.profiles.insert("anthropic:a".into(), Profile::new(Credential::OAuth(oauth)));
        store
    }

    #[test]
    fn a_recorded_rejection_applies_to_the_refused_token_only() {
        let mut s = store(Some("r-FAKE-1"));
        let sent = Secret::new("r-FAKE-1");
        assert!(
            !record_rejection(&mut s, "anthropic:a", &Secret::new("r-FAKE-0"), "invalid_grant", NOW),
            "another token"
        );
        assert!(record_rejection(&mut s, "anthropic:a", &sent, "invalid_grant", NOW));
        assert!(
            !record_rejection(&mut s, "anthropic:a", &sent, "invalid_grant", NOW),
            "the same record twice is no change"
        );
        let r = rejection_of(&s, "anthropic:a").expect("applies");
        assert_eq!((r.at, r.code.as_str()), (NOW as f64, "invalid_grant"));
        let json = serde_json::to_string(&s.usage_stats["anthropic:a"].extra).unwrap();
        assert!(!json.contains("r-FAKE-1"), "never the token: {json}");

        // A new refresh token (refresh, sync, login) ends it, and the stale record can go.
        if let Some(Profile { credential: Credential::OAuth(o), .. }) = s.profiles.get_mut("anthropic:a") {
            o.refresh = Some(Secret::new("r-FAKE-2"));
        }
        assert_eq!(rejection_of(&s, "anthropic:a"), None);
        assert!(forget_stale(&mut s, "anthropic:a"));
        assert!(!s.usage_stats["anthropic:a"].extra.contains_key(FIELD));
    }

    #[test]
    fn a_pasted_token_or_a_removed_profile_has_no_rejection() {
        let mut s = store(Some("r-FAKE-1"));
        record_rejection(&mut s, "anthropic:a", &Secret::new("r-FAKE-1"), "invalid_grant", NOW);
        let token = Token { provider: "anthropic".into(), token: Some(Secret::new("t")), ..Token::default() };
        s.profiles.insert("anthropic:a".into(), Profile::new(Credential::Token(token)));
        assert_eq!(rejection_of(&s, "anthropic:a"), None);
        s.profiles.clear();
        assert_eq!(rejection_of(&s, "anthropic:a"), None);
        assert!(
            !record_rejection(&mut store(None), "anthropic:a", &Secret::new("r"), "invalid_grant", NOW),
            "nothing to refuse"
        );
        assert_eq!(code_of(Some("invalid_grant"), Some(400)), "invalid_grant");
        assert_eq!(code_of(None, Some(401)), "http_401");
    }

    #[test]
    fn the_fingerprint_is_the_first_16_hex_digits_of_sha256() {
        // printf %s r-FAKE-1 | sha256sum
        assert_eq!(fingerprint(&Secret::new("r-FAKE-1")), "sha256:e647c083c5021b81");
    }

    #[test]
    fn the_record_is_stored_as_integers_and_read_back_only_when_whole() {
        let mut s = store(Some("r-FAKE-1"));
        assert!(record_rejection(&mut s, "anthropic:a", &Secret::new("r-FAKE-1"), "http_403", NOW));
        assert_eq!(
            s.usage_stats["anthropic:a"].extra[FIELD],
            serde_json::json!({"at": NOW, "code": "http_403", "fingerprint": fingerprint(&Secret::new("r-FAKE-1"))})
        );
        // A newer refusal of the same token replaces the record.
        assert!(record_rejection(&mut s, "anthropic:a", &Secret::new("r-FAKE-1"), "http_403", NOW + 1));
        assert_eq!(rejection_of(&s, "anthropic:a").map(|r| r.at), Some((NOW + 1) as f64));
        // Forgetting it removes it once.
        assert!(forget(&mut s, "anthropic:a"));
        assert!(!forget(&mut s, "anthropic:a"));
        assert!(!forget(&mut s, "anthropic:missing"));
        // A record that applies is not stale.
        record_rejection(&mut s, "anthropic:a", &Secret::new("r-FAKE-1"), "invalid_grant", NOW);
        assert!(!forget_stale(&mut s, "anthropic:a"));
        assert!(s.usage_stats["anthropic:a"].extra.contains_key(FIELD));
        // A record that is not one is ignored.
        s.usage_stats["anthropic:a"].extra.insert(FIELD.into(), serde_json::json!("nonsense"));
        assert_eq!(rejection_of(&s, "anthropic:a"), None);
        // A blank refresh token has nothing a rejection could be about.
        let mut blank = store(Some("  "));
        assert!(!record_rejection(&mut blank, "anthropic:a", &Secret::new("  "), "invalid_grant", NOW));
        assert!(blank.usage_stats.is_empty());
        assert_eq!(code_of(None, None), "refused");
    }

    #[test]
    fn the_fingerprint_is_short_stable_and_ignores_surrounding_space() {
        let f = fingerprint(&Secret::new("r-FAKE-1"));
        assert_eq!(f.len(), "sha256:".len() + 16);
        assert_eq!(f, fingerprint(&Secret::new(" r-FAKE-1\n")));
        assert_ne!(f, fingerprint(&Secret::new("r-FAKE-2")));
    }

    #[test]
    fn a_probe_refusal_applies_to_the_secret_the_probe_sent_until_it_changes() {
        let refs = RefStates::new();
        let key = |k: &str| {
            let key =
                crate::store::ApiKey { provider: "openai".into(), key: Some(Secret::new(k)), ..Default::default() };
            Profile::new(Credential::ApiKey(key))
        };
        let mut s = AuthStore::default();
        s.profiles.insert("openai:k".into(), key("sk-FAKE-1"));
        let sent = fingerprint(&Secret::new("sk-FAKE-1"));
        assert!(!record_probe_rejection(&mut s, &refs, "openai:k", "sha256:other", "auth", "x", NOW), "another key");
        assert!(!record_probe_rejection(&mut s, &refs, "openai:gone", &sent, "auth", "x", NOW));
        assert!(record_probe_rejection(&mut s, &refs, "openai:k", &sent, "auth", "invalid_api_key", NOW));
        let json = serde_json::to_string(&s.usage_stats["openai:k"].extra).unwrap();
        assert!(!json.contains("sk-FAKE-1"), "never the key: {json}");
        let now_probed = |s: &AuthStore| probed_secret(&refs, "openai:k", &s.profiles["openai:k"]).cloned();
        let r = probe_rejection_of(&s, "openai:k", now_probed(&s).as_ref()).expect("applies");
        assert_eq!((r.status.as_str(), r.code.as_str(), r.at), ("auth", "invalid_api_key", NOW as f64));
        // A new key ends it; a success removes it.
        s.profiles.insert("openai:k".into(), key("sk-FAKE-2"));
        assert_eq!(probe_rejection_of(&s, "openai:k", now_probed(&s).as_ref()), None);
        assert!(forget_probe_rejection(&mut s, "openai:k"));
        assert!(!forget_probe_rejection(&mut s, "openai:k"));
    }

    #[test]
    fn the_secret_a_probe_sends_is_the_refs_value_a_logins_access_token_or_copilots_github_token() {
        let login = |provider: &str| {
            Profile::new(Credential::OAuth(OAuth {
                provider: provider.into(),
                access: Some(Secret::new("acc")),
                refresh: Some(Secret::new("ref")),
                ..OAuth::default()
            }))
        };
        let refs = RefStates::new();
        let shown = |p: &Profile| probed_secret(&refs, "x:y", p).map(|s| s.expose().to_string());
        assert_eq!(shown(&login("anthropic")).as_deref(), Some("acc"));
        assert_eq!(shown(&login("github-copilot")).as_deref(), Some("ref"));
        let mut with_ref = Profile::new(Credential::ApiKey(crate::store::ApiKey {
            provider: "openai".into(),
            key: Some(Secret::new("plain")),
            ..Default::default()
        }));
        with_ref.extra.insert("keyRef".into(), serde_json::json!({"source": "env", "provider": "default", "id": "K"}));
        let mut resolved = RefStates::new();
        resolved.insert("x:y".into(), RefCheck::Ok(Secret::new("from-ref")));
        assert_eq!(probed_secret(&resolved, "x:y", &with_ref).map(Secret::expose), Some("from-ref"));
        assert_eq!(probed_secret(&RefStates::new(), "x:y", &with_ref), None, "a ref not resolved sends nothing");
    }
}
