//! Merging logins that Claude Code and Codex CLI already have into the store
//! (A12, A14, A16).
//!
//! The one rule: a stored credential is replaced only by one that lives
//! longer. The reference also replaced any stored credential that had
//! expired, which, once Clawdbot had rotated a refresh token itself, put an
//! older, already spent refresh token back (`refresh_token_reused`, spec §6
//! #16). Here an expired stored login is replaced only by a newer one, and a
//! refreshable `oauth` login is never downgraded to a static `token`.

use crate::sources::ExternalLogin;
use crate::store::{AuthStore, Credential, CredentialType, Profile};
use std::fmt;

/// One profile the sync or a migration changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncChange {
    pub profile_id: String,
    pub kind: ChangeKind,
    /// Where the credential came from, for people.
    pub origin: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeKind {
    /// Synced from another CLI's login.
    Synced,
    /// Migrated from the legacy per-agent auth.json.
    MigratedLegacy,
    /// Imported from credentials/oauth.json.
    ImportedOAuthJson,
}

impl fmt::Display for SyncChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ChangeKind::Synced => {
                let (provider, cli) = match self.profile_id.as_str() {
                    crate::sources::codex::PROFILE_ID => ("openai-codex", "codex cli"),
                    _ => ("anthropic", "claude cli"),
                };
                write!(f, "synced {provider} credentials from {cli}")
            }
            ChangeKind::MigratedLegacy => write!(f, "migrated {} from {}", self.profile_id, self.origin),
            ChangeKind::ImportedOAuthJson => write!(f, "imported {} from {}", self.profile_id, self.origin),
        }
    }
}

/// Why a found login was or was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Take,
    /// The store already holds exactly this.
    Same,
    /// The stored credential lives at least as long.
    KeepNewer,
    /// The stored login is refreshable; the found one is not.
    KeepRefreshable,
}

/// Decides whether `found` replaces what the store holds under its id.
pub fn decide(existing: Option<&Profile>, found: &ExternalLogin) -> Decision {
    let Some(existing) = existing else { return Decision::Take };
    let stored = &existing.credential;
    let incoming = &found.credential;
    let target_provider = incoming.provider();
    if stored.provider() != target_provider || stored.kind() == CredentialType::ApiKey {
        // The id is reserved for this login; anything else there is not it.
        return if stored == incoming { Decision::Same } else { Decision::Take };
    }
    if stored.kind() == CredentialType::OAuth && incoming.kind() == CredentialType::Token {
        return Decision::KeepRefreshable;
    }
    if merged(existing, found).credential == *stored {
        return Decision::Same;
    }
    let life = |c: &Credential| c.expires().filter(|e| e.is_meaningful()).map_or(0.0, |e| e.ms());
    if life(incoming) > life(stored) { Decision::Take } else { Decision::KeepNewer }
}

/// The found credential, keeping what the store knew that the CLI does not
/// say (an e-mail, unknown fields).
fn merged(existing: &Profile, found: &ExternalLogin) -> Profile {
    let mut credential = found.credential.clone();
    let old_email = existing.credential.email().map(str::to_string);
    match &mut credential {
        Credential::OAuth(o) => {
            if o.email.is_none() {
                o.email = old_email;
            }
            if let (None, Credential::OAuth(old)) = (&o.account_id, &existing.credential) {
                o.account_id = old.account_id.clone();
            }
        }
        Credential::Token(t) if t.email.is_none() => t.email = old_email,
        _ => {}
    }
    Profile { credential, extra: existing.extra.clone() }
}

/// The store's top-level key listing the synced profiles an operator
/// removed (`models auth remove`), which the sync must not bring back. A
/// top-level key, so older versions of this tool, which keep the keys they
/// do not know, keep it too.
pub const SYNC_DISABLED_KEY: &str = "syncDisabled";

/// Whether the operator removed this synced profile and has not re-added it.
pub fn sync_disabled(store: &AuthStore, profile_id: &str) -> bool {
    store
        .extra
        .get(SYNC_DISABLED_KEY)
        .and_then(serde_json::Value::as_array)
        .is_some_and(|ids| ids.iter().any(|v| v.as_str() == Some(profile_id)))
}

/// Keeps the sync from bringing `profile_id` back. Returns whether the
/// store changed. A stray non-list value under the key is replaced.
pub fn disable_sync(store: &mut AuthStore, profile_id: &str) -> bool {
    if sync_disabled(store, profile_id) {
        return false;
    }
    let entry = store.extra.entry(SYNC_DISABLED_KEY).or_insert_with(|| serde_json::Value::Array(Vec::new()));
    if !entry.is_array() {
        *entry = serde_json::Value::Array(Vec::new());
    }
    if let Some(ids) = entry.as_array_mut() {
        ids.push(serde_json::Value::String(profile_id.to_string()));
    }
    true
}

/// Lets the sync bring `profile_id` in again (`models auth sync --enable`,
/// or a paste under that id). Returns whether the store changed; the key
/// goes once its list is empty.
pub fn enable_sync(store: &mut AuthStore, profile_id: &str) -> bool {
    let Some(ids) = store.extra.get_mut(SYNC_DISABLED_KEY).and_then(serde_json::Value::as_array_mut) else {
        return false;
    };
    let before = ids.len();
    ids.retain(|v| v.as_str() != Some(profile_id));
    let changed = ids.len() != before;
    if ids.is_empty() {
        store.extra.shift_remove(SYNC_DISABLED_KEY);
    }
    changed
}

/// Applies every found login to the store; returns what changed. A login
/// whose profile the operator removed stays out ([`sync_disabled`]).
pub fn sync_external(store: &mut AuthStore, found: &[ExternalLogin]) -> Vec<SyncChange> {
    let mut changes = Vec::new();
    for login in found {
        if sync_disabled(store, login.profile_id) {
            continue;
        }
        let existing = store.profiles.get(login.profile_id);
        if decide(existing, login) != Decision::Take {
            continue;
        }
        let profile = match existing {
            Some(e) if e.credential.provider() == login.credential.provider() => merged(e, login),
            _ => login.profile(),
        };
        store.profiles.insert(login.profile_id.to_string(), profile);
        changes.push(SyncChange {
            profile_id: login.profile_id.to_string(),
            kind: ChangeKind::Synced,
            origin: login.origin.clone(),
        });
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::sources::{oauth, token};
    use crate::time::Expiry;

    fn login(cred: Credential) -> ExternalLogin {
        ExternalLogin { profile_id: "anthropic:claude-cli", credential: cred, origin: "test".into() }
    }

    fn o(access: &str, refresh: &str, exp: i64) -> Credential {
        oauth("anthropic", Secret::new(access), Secret::new(refresh), Expiry::from_millis(exp))
    }

    fn store_with(c: Credential) -> AuthStore {
        let mut s = AuthStore::default();
        s.profiles.insert("anthropic:claude-cli".into(), Profile::new(c));
        s
    }

    #[test]
    fn takes_into_an_empty_store_once() {
        let mut s = AuthStore::default();
        let found = [login(o("a", "r", 10))];
        assert_eq!(sync_external(&mut s, &found).len(), 1);
        assert!(sync_external(&mut s, &found).is_empty(), "idempotent");
    }

    #[test]
    fn newer_replaces_older_never_the_reverse() {
        let mut s = store_with(o("old", "r-old", 10));
        assert_eq!(sync_external(&mut s, &[login(o("new", "r-new", 20))]).len(), 1);
        assert!(sync_external(&mut s, &[login(o("old", "r-old", 10))]).is_empty());
        let Credential::OAuth(c) = &s.profiles["anthropic:claude-cli"].credential else { panic!() };
        assert_eq!(c.access.as_ref().map(Secret::expose), Some("new"));
    }

    #[test]
    fn an_expired_rotated_login_is_not_replaced_by_an_older_spent_one() {
        // We refreshed at t=20 (rotating the refresh token); Claude Code's
        // file still holds the chain from t=10. Both expired by now.
        let mut s = store_with(o("ours", "r-rotated", 20));
        assert!(sync_external(&mut s, &[login(o("theirs", "r-spent", 10))]).is_empty());
    }

    #[test]
    fn oauth_is_not_downgraded_to_token_but_token_upgrades() {
        let mut s = store_with(o("a", "r", 10));
        let tok = token("anthropic", Secret::new("t"), Expiry::from_millis(99));
        assert!(sync_external(&mut s, &[login(tok.clone())]).is_empty());
        let mut s = store_with(tok);
        assert_eq!(sync_external(&mut s, &[login(o("a", "r", 100))]).len(), 1);
    }

    #[test]
    fn a_removed_synced_profile_stays_out_until_enabled_again() {
        let mut s = AuthStore::default();
        assert!(disable_sync(&mut s, "anthropic:claude-cli"));
        assert!(!disable_sync(&mut s, "anthropic:claude-cli"), "recorded once");
        let found = [login(o("a", "r", 10))];
        assert!(sync_external(&mut s, &found).is_empty());
        assert!(s.profiles.is_empty());
        assert!(enable_sync(&mut s, "anthropic:claude-cli"));
        assert!(!s.extra.contains_key(SYNC_DISABLED_KEY), "an empty list is not kept");
        assert_eq!(sync_external(&mut s, &found).len(), 1);
    }

    #[test]
    fn a_stray_sync_disabled_value_is_replaced_not_trusted() {
        let mut s = AuthStore::default();
        s.extra.insert(SYNC_DISABLED_KEY.into(), serde_json::json!("anthropic:claude-cli"));
        assert!(!sync_disabled(&s, "anthropic:claude-cli"));
        assert!(!enable_sync(&mut s, "anthropic:claude-cli"));
        assert!(disable_sync(&mut s, "anthropic:claude-cli"));
        assert_eq!(s.extra[SYNC_DISABLED_KEY], serde_json::json!(["anthropic:claude-cli"]));
    }

    #[test]
    fn keeps_email_and_unknown_fields_of_the_stored_profile() {
        let mut p = Profile::new(o("a", "r", 10));
        if let Credential::OAuth(c) = &mut p.credential {
            c.email = Some("me@example.com".into());
        }
        p.extra.insert("note".into(), serde_json::json!("kept"));
        let mut s = AuthStore::default();
        s.profiles.insert("anthropic:claude-cli".into(), p);
        sync_external(&mut s, &[login(o("b", "r2", 20))]);
        let p = &s.profiles["anthropic:claude-cli"];
        assert_eq!(p.credential.email(), Some("me@example.com"));
        assert_eq!(p.extra["note"], "kept");
    }
}
