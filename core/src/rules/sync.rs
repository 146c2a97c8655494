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
    /// The store profile changed.
    pub profile_id: String,
    /// What kind of change it was.
    pub kind: ChangeKind,
    /// Where the credential came from, for people.
    pub origin: String,
}

/// How a profile came to change.
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
            ChangeKind::Synced => match crate::logins::by_profile_id(&self.profile_id) {
                Some(s) => write!(f, "synced {} credentials from {}", s.provider, s.sync_label),
                None => write!(f, "synced {} from {}", self.profile_id, self.origin),
            },
            ChangeKind::MigratedLegacy => write!(f, "migrated {} from {}", self.profile_id, self.origin),
            ChangeKind::ImportedOAuthJson => write!(f, "imported {} from {}", self.profile_id, self.origin),
        }
    }
}

/// Why a found login was or was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The found login replaces the stored one.
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
    if !holds_this_login(stored, incoming) {
        // The id is reserved for this login; anything else there is not it.
        return if stored == incoming { Decision::Same } else { Decision::Take };
    }
    if stored.kind() == CredentialType::OAuth && incoming.kind() == CredentialType::Token {
        return Decision::KeepRefreshable;
    }
    if merged(existing, found).credential == *stored {
        return Decision::Same;
    }
    // The very login the store holds, with something the CLI knows better
    // about it (when its sign-in ends): the store learns it.
    if same_tokens(stored, incoming) {
        return Decision::Take;
    }
    let life = |c: &Credential| c.expiry().at().map_or(0.0, |at| at.ms());
    if life(incoming) > life(stored) { Decision::Take } else { Decision::KeepNewer }
}

/// Whether what the store holds under a login's reserved id is that login
/// (an older state of it), rather than something else put there: another
/// provider's credential, or an API key.
fn holds_this_login(stored: &Credential, incoming: &Credential) -> bool {
    stored.provider() == incoming.provider() && stored.kind() != CredentialType::ApiKey
}

/// Whether two credentials hold the same secrets and expiry.
fn same_tokens(a: &Credential, b: &Credential) -> bool {
    match (a, b) {
        (Credential::OAuth(a), Credential::OAuth(b)) => {
            a.access == b.access && a.refresh == b.refresh && a.expires == b.expires
        }
        (Credential::Token(a), Credential::Token(b)) => a.token == b.token && a.expires == b.expires,
        _ => false,
    }
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
            // When the sign-in ends, for the refresh token it was learnt
            // with (a CLI that does not write it has not changed it).
            if let (None, Credential::OAuth(old)) = (&o.refresh_expires, &existing.credential)
                && old.refresh == o.refresh
            {
                o.refresh_expires = old.refresh_expires.clone();
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

/// Why a login another CLI holds is not in the store: `models auth
/// remove` took its profile out, and the sync leaves it out until `models
/// auth sync --enable` ([`crate::logins::LoginSource::enable_hint`]).
pub fn held_out_words(source: &crate::logins::LoginSource) -> String {
    format!("{} has a login, which is not synced: `models auth remove {}` took it out", source.owner, source.profile_id)
}

/// The login sources among `found` whose login the sync leaves out of
/// `store` because the operator removed its profile.
pub fn held_out(store: &AuthStore, found: &[ExternalLogin]) -> Vec<&'static crate::logins::LoginSource> {
    found
        .iter()
        .filter(|login| sync_disabled(store, login.profile_id))
        .filter_map(|login| crate::logins::by_profile_id(login.profile_id))
        .collect()
}

/// Applies every found login to the store; returns what changed. A login
/// whose profile the operator removed stays out (`sync_disabled`).
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
            // Nothing of a foreign credential is carried over.
            Some(e) if holds_this_login(&e.credential, &login.credential) => merged(e, login),
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

    fn access_of(s: &AuthStore) -> Option<String> {
        match &s.profiles["anthropic:claude-cli"].credential {
            Credential::OAuth(c) => c.access.as_ref().map(|a| a.expose().to_string()),
            Credential::Token(t) => t.token.as_ref().map(|a| a.expose().to_string()),
            Credential::ApiKey(_) => None,
        }
    }

    #[test]
    fn a_foreign_credential_under_the_reserved_id_is_replaced_whatever_its_life() {
        // Another provider's login, or an API key, stored under
        // anthropic:claude-cli is not Claude Code's login: the sync takes the id.
        let mut foreign = oauth("openai", Secret::new("x"), Secret::new("y"), Expiry::from_millis(i64::MAX / 2));
        if let Credential::OAuth(c) = &mut foreign {
            c.email = Some("other@example.com".into());
        }
        let key = Credential::ApiKey(crate::store::ApiKey {
            provider: "anthropic".into(),
            key: Some(Secret::new("sk-ant-api03-k")),
            email: Some("key@example.com".into()),
        });
        for stored in [foreign, key] {
            let mut s = store_with(stored.clone());
            assert_eq!(decide(s.profiles.get("anthropic:claude-cli"), &login(o("cc", "r", 10))), Decision::Take);
            assert_eq!(sync_external(&mut s, &[login(o("cc", "r", 10))]).len(), 1, "{stored:?}");
            assert_eq!(access_of(&s).as_deref(), Some("cc"));
            assert!(
                s.profiles["anthropic:claude-cli"].credential.email().is_none(),
                "nothing merged from a foreign login"
            );
        }
    }

    #[test]
    fn equal_lifetimes_keep_the_stored_login() {
        let s = store_with(o("ours", "r-ours", 10));
        assert_eq!(
            decide(s.profiles.get("anthropic:claude-cli"), &login(o("theirs", "r-theirs", 10))),
            Decision::KeepNewer
        );
        assert_eq!(decide(s.profiles.get("anthropic:claude-cli"), &login(o("ours", "r-ours", 10))), Decision::Same);
        assert_eq!(decide(None, &login(o("a", "r", 10))), Decision::Take);
        assert_eq!(
            decide(
                s.profiles.get("anthropic:claude-cli"),
                &login(token("anthropic", Secret::new("t"), Expiry::from_millis(99)))
            ),
            Decision::KeepRefreshable
        );
    }

    /// Claude Code's `refreshTokenExpiresAt` is learnt even when the
    /// tokens are the ones the store holds, and a CLI that does not write
    /// it does not make the store forget it for the same refresh token.
    #[test]
    fn when_the_sign_in_ends_is_learnt_for_the_same_login_and_kept_for_its_refresh_token() {
        let with_end = |c: Credential, end: Option<i64>| match c {
            Credential::OAuth(mut o) => {
                o.refresh_expires = end.map(Expiry::from_millis);
                Credential::OAuth(o)
            }
            other => other,
        };
        let mut s = store_with(o("a", "r", 10));
        let known = login(with_end(o("a", "r", 10), Some(99)));
        assert_eq!(decide(s.profiles.get("anthropic:claude-cli"), &known), Decision::Take);
        assert_eq!(sync_external(&mut s, std::slice::from_ref(&known)).len(), 1);
        let Credential::OAuth(c) = &s.profiles["anthropic:claude-cli"].credential else { panic!("oauth") };
        assert_eq!(c.sign_in_ends().map(|at| at.ms()), Some(99.0));
        assert!(sync_external(&mut s, &[known]).is_empty(), "then it is the same");
        // Silent about it, same refresh token: kept.
        assert_eq!(decide(s.profiles.get("anthropic:claude-cli"), &login(o("a", "r", 10))), Decision::Same);
        // A newer access token of the same refresh token: still kept.
        sync_external(&mut s, &[login(o("a2", "r", 20))]);
        let Credential::OAuth(c) = &s.profiles["anthropic:claude-cli"].credential else { panic!("oauth") };
        assert_eq!(c.sign_in_ends().map(|at| at.ms()), Some(99.0));
        // Another refresh token, no word of the end: not carried over.
        sync_external(&mut s, &[login(o("b", "r-new", 30))]);
        let Credential::OAuth(c) = &s.profiles["anthropic:claude-cli"].credential else { panic!("oauth") };
        assert_eq!(c.sign_in_ends(), None);
    }

    #[test]
    fn a_token_takes_the_stored_email_when_the_cli_gives_none() {
        let mut stored = token("anthropic", Secret::new("t-old"), Expiry::from_millis(10));
        if let Credential::Token(t) = &mut stored {
            t.email = Some("me@example.com".into());
        }
        let mut s = store_with(stored);
        let found = login(token("anthropic", Secret::new("t-new"), Expiry::from_millis(20)));
        assert_eq!(sync_external(&mut s, &[found]).len(), 1);
        assert_eq!(access_of(&s).as_deref(), Some("t-new"));
        assert_eq!(s.profiles["anthropic:claude-cli"].credential.email(), Some("me@example.com"));
        // The CLI's own e-mail wins over the stored one.
        let mut newer = token("anthropic", Secret::new("t-newer"), Expiry::from_millis(30));
        if let Credential::Token(t) = &mut newer {
            t.email = Some("new@example.com".into());
        }
        sync_external(&mut s, &[login(newer)]);
        assert_eq!(s.profiles["anthropic:claude-cli"].credential.email(), Some("new@example.com"));
    }

    #[test]
    fn an_oauth_login_keeps_the_stored_account_id_when_the_cli_gives_none() {
        let mut stored = o("a", "r", 10);
        if let Credential::OAuth(c) = &mut stored {
            c.account_id = Some("acct-1".into());
        }
        let mut s = store_with(stored);
        sync_external(&mut s, &[login(o("b", "r2", 20))]);
        let Credential::OAuth(c) = &s.profiles["anthropic:claude-cli"].credential else { panic!("oauth") };
        assert_eq!(c.account_id.as_deref(), Some("acct-1"));
    }

    #[test]
    fn each_change_says_what_happened_in_the_references_words() {
        let change = |id: &str, kind, origin: &str| {
            SyncChange { profile_id: id.into(), kind, origin: origin.into() }.to_string()
        };
        assert_eq!(
            change("anthropic:claude-cli", ChangeKind::Synced, "x"),
            "synced anthropic credentials from claude cli"
        );
        assert_eq!(
            change("openai-codex:codex-cli", ChangeKind::Synced, "x"),
            "synced openai-codex credentials from codex cli"
        );
        assert_eq!(
            change("anthropic:default", ChangeKind::MigratedLegacy, "auth.json"),
            "migrated anthropic:default from auth.json"
        );
        assert_eq!(
            change("anthropic:a", ChangeKind::ImportedOAuthJson, "oauth.json"),
            "imported anthropic:a from oauth.json"
        );
    }
}
