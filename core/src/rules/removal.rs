//! Removing a credential and every reference to it (`models auth remove`).
//!
//! A profile id is referenced from four places besides `profiles`: the
//! store's `order`, `lastGood` and `usageStats`, and the config's
//! `auth.profiles` (with its `auth.order`). Leaving any of them behind
//! makes the next reader report a profile that is not there, so the
//! removal takes them all, and an order list that would be left empty goes
//! too (an empty override would mean "no profile", not "no override").
//!
//! A profile synced from Claude Code or Codex CLI would come straight back
//! on the next load; the removal therefore also records that the sync must
//! leave it out ([`crate::sync::disable_sync`]). The other CLI's own login
//! is never touched.
//!
//! The two files are written one after the other, config first (issue 23
//! item 2): a crash between the writes leaves the id a stored profile that
//! no config entry or config order names, which is usable as any stored
//! profile and which `remove` finishes when run again. The other order
//! left the id named only by the config, whose order then hid every other
//! key of the provider. An id only the config names (left by that order,
//! or by hand) is removed from the config alone.

use crate::health::Source;
use crate::store::AuthStore;
use serde_json::Value;
use thiserror::Error;

/// Why `models auth remove` removed nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RemovalError {
    /// Neither the store nor the config names the id.
    #[error("no profile {0} in this agent's store")]
    NotFound(String),
    /// The id is how `models auth list` shows a key from the environment,
    /// which no file of ours holds.
    #[error("{id} is not stored: it is the environment variable {var}{}", from_file(.file))]
    FromEnvironment {
        /// The id as given (`env:GEMINI_API_KEY`).
        id: String,
        /// The variable.
        var: String,
        /// The `.env` file that set it, as shown, when one did.
        file: Option<String>,
    },
    /// The config cannot be read, so whether it names the id is unknown;
    /// the removal edits the config first, so nothing is removed.
    #[error("{config} cannot be read ({why}), so whether it names {id} is unknown; nothing was removed")]
    ConfigUnreadable {
        /// The id to remove.
        id: String,
        /// The config, as shown.
        config: String,
        /// Why it cannot be read.
        why: String,
    },
    /// The config could not be edited; the store was left as it was.
    #[error("{config} could not be updated: {why}; nothing was removed")]
    ConfigNotWritten {
        /// The config, as shown.
        config: String,
        /// Why.
        why: String,
    },
}

fn from_file(file: &Option<String>) -> String {
    file.as_deref().map(|f| format!(", set in {f}")).unwrap_or_default()
}

/// The variable an id of an environment key names (`env:GEMINI_API_KEY`),
/// as `models auth list` shows such keys.
pub fn env_var_of(profile_id: &str) -> Option<&str> {
    profile_id.strip_prefix(ENV_ID_PREFIX).filter(|var| !var.is_empty())
}

/// How `models auth list` names a key found in the environment:
/// `env:<VARIABLE>`.
pub const ENV_ID_PREFIX: &str = "env:";

/// What a removal took out of the store, for the command's report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Removed {
    /// The profile itself was stored.
    pub profile: bool,
    /// Providers whose order override lost the id.
    pub orders: Vec<String>,
    /// Of those, the ones whose override was deleted as it became empty.
    pub emptied_orders: Vec<String>,
    /// Providers whose `lastGood` named it.
    pub last_good: Vec<String>,
    /// Its `usageStats` entry existed.
    pub usage_stats: bool,
    /// The sync now leaves it out (a Claude Code or Codex profile).
    pub sync_disabled: bool,
}

impl Removed {
    /// Whether the store held anything of this id.
    pub fn anything(&self) -> bool {
        self.profile || !self.orders.is_empty() || !self.last_good.is_empty() || self.usage_stats
    }
}

/// Which other CLI a profile id is synced from, if any.
pub fn synced_from(profile_id: &str) -> Option<&'static str> {
    match Source::of(profile_id) {
        Source::Synced(source) => Some(source.owner),
        Source::Store | Source::Env => None,
    }
}

/// Takes `profile_id` and every reference to it out of the store.
pub fn remove_profile(store: &mut AuthStore, profile_id: &str) -> Removed {
    let mut removed = Removed { profile: store.profiles.shift_remove(profile_id).is_some(), ..Removed::default() };
    for (provider, ids) in store.order.iter_mut() {
        let before = ids.len();
        ids.retain(|id| id != profile_id);
        if ids.len() != before {
            removed.orders.push(provider.clone());
            if ids.is_empty() {
                removed.emptied_orders.push(provider.clone());
            }
        }
    }
    // Only the lists this removal emptied: an empty list someone stored
    // is theirs to keep.
    store.order.retain(|provider, _| !removed.emptied_orders.contains(provider));
    removed.last_good = store.last_good.iter().filter(|(_, id)| *id == profile_id).map(|(p, _)| p.clone()).collect();
    store.last_good.retain(|_, id| id != profile_id);
    removed.usage_stats = store.usage_stats.shift_remove(profile_id).is_some();
    if synced_from(profile_id).is_some() {
        removed.sync_disabled = crate::sync::disable_sync(store, profile_id);
    }
    removed
}

/// Takes `profile_id` out of a config document: its `auth.profiles` entry
/// and its place in every `auth.order` list (a list left empty goes).
/// Returns whether the document changed; a config of an unexpected shape
/// is left as it is.
pub fn remove_from_config(config: &mut Value, profile_id: &str) -> bool {
    let Some(auth) = config.get_mut("auth").and_then(Value::as_object_mut) else { return false };
    let mut changed = false;
    if let Some(profiles) = auth.get_mut("profiles").and_then(Value::as_object_mut) {
        changed |= profiles.shift_remove(profile_id).is_some();
    }
    if let Some(order) = auth.get_mut("order").and_then(Value::as_object_mut) {
        let mut emptied = Vec::new();
        for (provider, list) in order.iter_mut() {
            let Some(ids) = list.as_array_mut() else { continue };
            let before = ids.len();
            ids.retain(|v| v.as_str() != Some(profile_id));
            if ids.len() != before {
                changed = true;
                if ids.is_empty() {
                    emptied.push(provider.clone());
                }
            }
        }
        for provider in emptied {
            order.shift_remove(&provider);
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ApiKey, Credential, Profile, UsageStats};
    use serde_json::json;

    fn store() -> AuthStore {
        let mut s = AuthStore::default();
        for id in ["anthropic:a", "anthropic:b", "anthropic:claude-cli"] {
            let key = Credential::ApiKey(ApiKey { provider: "anthropic".into(), ..ApiKey::default() });
            s.profiles.insert(id.into(), Profile::new(key));
        }
        s.order.insert("anthropic".into(), vec!["anthropic:b".into(), "anthropic:a".into()]);
        s.order.insert("zai".into(), vec!["anthropic:a".into()]);
        s.last_good.insert("anthropic".into(), "anthropic:a".into());
        s.usage_stats.insert("anthropic:a".into(), UsageStats { error_count: Some(2.0), ..UsageStats::default() });
        s
    }

    #[test]
    fn every_reference_goes_and_an_emptied_order_is_deleted() {
        let mut s = store();
        let r = remove_profile(&mut s, "anthropic:a");
        assert!(r.profile && r.usage_stats && !r.sync_disabled);
        assert_eq!(r.orders, ["anthropic", "zai"]);
        assert_eq!(r.emptied_orders, ["zai"]);
        assert_eq!(r.last_good, ["anthropic"]);
        assert_eq!(s.order.get("anthropic"), Some(&vec!["anthropic:b".to_string()]));
        assert!(!s.order.contains_key("zai"));
        assert!(s.last_good.is_empty() && s.usage_stats.is_empty());
        assert!(!s.profiles.contains_key("anthropic:a"));
    }

    #[test]
    fn a_synced_profile_is_kept_out_of_the_next_sync() {
        let mut s = store();
        let r = remove_profile(&mut s, "anthropic:claude-cli");
        assert!(r.profile && r.sync_disabled);
        assert!(crate::sync::sync_disabled(&s, "anthropic:claude-cli"));
    }

    #[test]
    fn anything_is_any_one_reference() {
        assert!(!Removed::default().anything());
        assert!(Removed { profile: true, ..Removed::default() }.anything());
        assert!(Removed { orders: vec!["a".into()], ..Removed::default() }.anything());
        assert!(Removed { last_good: vec!["a".into()], ..Removed::default() }.anything());
        assert!(Removed { usage_stats: true, ..Removed::default() }.anything());
        assert!(!Removed { sync_disabled: true, ..Removed::default() }.anything(), "not something the store held");
    }

    #[test]
    fn synced_from_names_the_other_cli() {
        assert_eq!(synced_from("anthropic:claude-cli"), Some("Claude Code"));
        assert_eq!(synced_from("openai-codex:codex-cli"), Some("Codex CLI"));
        assert_eq!(synced_from("anthropic:a"), None);
    }

    #[test]
    fn an_empty_order_someone_stored_is_kept() {
        let mut s = store();
        s.order.insert("mine".into(), Vec::new());
        let r = remove_profile(&mut s, "anthropic:b");
        assert_eq!(
            (r.orders.as_slice(), r.emptied_orders.as_slice()),
            (["anthropic".to_string()].as_slice(), [].as_slice())
        );
        assert_eq!(s.order.get("mine"), Some(&Vec::new()));
        assert_eq!(s.order.get("anthropic"), Some(&vec!["anthropic:a".to_string()]));
        assert!(r.profile && !r.usage_stats && r.last_good.is_empty());
    }

    #[test]
    fn an_unknown_id_changes_nothing() {
        let mut s = store();
        let before = s.clone();
        assert!(!remove_profile(&mut s, "nope").anything());
        assert_eq!(s, before);
    }

    #[test]
    fn the_config_loses_the_entry_and_its_order_places() {
        let mut c = json!({"auth": {"profiles": {"anthropic:a": {"provider": "anthropic", "mode": "api_key"}, "x:y": {}},
                           "order": {"anthropic": ["anthropic:a"], "x": ["x:y", "anthropic:a"], "odd": 3}}});
        assert!(remove_from_config(&mut c, "anthropic:a"));
        assert_eq!(c, json!({"auth": {"profiles": {"x:y": {}}, "order": {"x": ["x:y"], "odd": 3}}}));
        assert!(!remove_from_config(&mut c, "anthropic:a"), "nothing left to take");
        assert!(!remove_from_config(&mut json!([1]), "anthropic:a"));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        const IDS: &[&str] = &["a:1", "a:2", "b:1", "anthropic:claude-cli", "openai-codex:codex-cli"];

        fn any_id() -> impl Strategy<Value = String> {
            prop::sample::select(IDS).prop_map(str::to_string)
        }

        fn any_store() -> impl Strategy<Value = AuthStore> {
            (
                prop::collection::vec(any_id(), 0..5),
                prop::collection::vec(("[ab]", prop::collection::vec(any_id(), 0..4)), 0..3),
                prop::collection::vec(("[ab]", any_id()), 0..3),
                prop::collection::vec(any_id(), 0..4),
            )
                .prop_map(|(profiles, orders, last_good, stats)| {
                    let mut s = AuthStore::default();
                    for id in profiles {
                        let key = Credential::ApiKey(ApiKey { provider: "a".into(), ..ApiKey::default() });
                        s.profiles.insert(id, Profile::new(key));
                    }
                    s.order.extend(orders);
                    s.last_good.extend(last_good);
                    for id in stats {
                        s.usage_stats.insert(id, UsageStats { error_count: Some(1.0), ..UsageStats::default() });
                    }
                    s
                })
        }

        proptest! {
            #[test]
            fn nothing_names_a_removed_profile_and_nothing_else_goes(store in any_store(), id in any_id()) {
                let mut after = store.clone();
                let removed = remove_profile(&mut after, &id);
                prop_assert_eq!(removed.profile, store.profiles.contains_key(&id));
                prop_assert!(!after.profiles.contains_key(&id));
                prop_assert!(after.order.values().all(|ids| !ids.contains(&id)));
                for (provider, ids) in &store.order {
                    let emptied = !ids.is_empty() && ids.iter().all(|i| *i == id);
                    prop_assert_eq!(after.order.contains_key(provider), !emptied, "{}", provider);
                }
                prop_assert!(after.last_good.values().all(|v| *v != id));
                prop_assert!(!after.usage_stats.contains_key(&id));
                for (other, profile) in store.profiles.iter().filter(|(o, _)| **o != id) {
                    prop_assert_eq!(after.profiles.get(other), Some(profile));
                }
                prop_assert_eq!(removed.sync_disabled, synced_from(&id).is_some() && !crate::sync::sync_disabled(&store, &id));
            }
        }
    }
}
