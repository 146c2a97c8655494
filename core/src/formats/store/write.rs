//! The store as text: the reference's `JSON.stringify(store, null, 2)` plus
//! a trailing newline, with known keys first and everything else after.

use super::*;
use crate::time::ms_value;

/// Why a store must not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteRefused {
    /// The file declares a version this crate does not know: writing it as
    /// version 1 would silently drop whatever the newer version means.
    #[error(
        "auth-profiles.json is version {found}, newer than the version {STORE_VERSION} this clawdbot writes; \
         it was not changed (upgrade clawdbot to modify it)"
    )]
    NewerVersion {
        /// The `version` the file declared, as written.
        found: String,
    },
}

/// The store's text, or why it must not be written. Every write of the
/// store goes through here, so the version rule holds for every command.
pub fn write_store(store: &AuthStore) -> Result<String, WriteRefused> {
    store.writable()?;
    let tree = store_to_json(store);
    let beyond: std::collections::HashMap<&str, &str> = store
        .profiles
        .iter()
        .filter_map(|(id, p)| Some((id.as_str(), p.credential.expires()?.beyond_literal()?)))
        .collect();
    let text = if beyond.is_empty() {
        serde_json::to_string_pretty(&tree)
    } else {
        serde_json::to_string_pretty(&WithLiterals { root: &tree, beyond: &beyond })
    };
    let mut text = text.unwrap_or_else(|_| "{}".to_string());
    text.push('\n');
    Ok(text)
}

/// The tree, with each `profiles.<id>.expires` beyond a double written as
/// the literal it was read as (the tree can only hold `null` there).
struct WithLiterals<'a> {
    root: &'a Value,
    beyond: &'a std::collections::HashMap<&'a str, &'a str>,
}

impl serde::Serialize for WithLiterals<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Value::Object(root) = self.root else { return self.root.serialize(s) };
        let mut map = s.serialize_map(Some(root.len()))?;
        for (key, value) in root {
            match (key.as_str(), value) {
                ("profiles", Value::Object(profiles)) => {
                    map.serialize_entry(key, &Profiles { profiles, beyond: self.beyond })?
                }
                _ => map.serialize_entry(key, value)?,
            }
        }
        map.end()
    }
}

struct Profiles<'a> {
    profiles: &'a Map<String, Value>,
    beyond: &'a std::collections::HashMap<&'a str, &'a str>,
}

impl serde::Serialize for Profiles<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap};
        let mut map = s.serialize_map(Some(self.profiles.len()))?;
        for (id, profile) in self.profiles {
            match (self.beyond.get(id.as_str()), profile) {
                (Some(literal), Value::Object(fields)) => {
                    let raw =
                        serde_json::value::RawValue::from_string((*literal).to_string()).map_err(S::Error::custom)?;
                    map.serialize_entry(id, &Fields { fields, raw: &raw })?
                }
                _ => map.serialize_entry(id, profile)?,
            }
        }
        map.end()
    }
}

struct Fields<'a> {
    fields: &'a Map<String, Value>,
    raw: &'a serde_json::value::RawValue,
}

impl serde::Serialize for Fields<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.fields.len()))?;
        for (key, value) in self.fields {
            if key == "expires" {
                map.serialize_entry(key, self.raw)?;
            } else {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

/// The whole store as the JSON object written to `auth-profiles.json`: known
/// parts in the reference's shape, unknown keys and shelved profiles kept as
/// read.
pub fn store_to_json(store: &AuthStore) -> Value {
    let mut root = Map::new();
    root.insert("version".into(), Value::from(STORE_VERSION));
    // Sized up front, here and in each profile: growing a map rehashes
    // it, a seventh of writing a 60 000-profile store.
    let mut profiles = Map::with_capacity(store.profiles.len() + store.shelved.len());
    for (id, profile) in store.profiles.iter().filter(|(id, _)| store.inherited_from(id).is_none()) {
        profiles.insert(id.clone(), profile_to_json(profile));
    }
    for (id, raw) in &store.shelved {
        profiles.entry(id.clone()).or_insert_with(|| raw.clone());
    }
    root.insert("profiles".into(), Value::Object(profiles));
    if !store.order.is_empty() {
        let order = store.order.iter().map(|(k, ids)| (k.clone(), Value::from(ids.clone()))).collect();
        root.insert("order".into(), Value::Object(order));
    }
    if !store.last_good.is_empty() {
        let good = store.last_good.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect();
        root.insert("lastGood".into(), Value::Object(good));
    }
    if !store.usage_stats.is_empty() {
        let stats = store.usage_stats.iter().map(|(k, v)| (k.clone(), usage_to_json(v))).collect();
        root.insert("usageStats".into(), Value::Object(stats));
    }
    for (k, v) in &store.extra {
        root.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Value::Object(root)
}

/// One profile as its `profiles.<id>` object: `type`, the credential's fields,
/// then its unknown fields as read.
pub fn profile_to_json(profile: &Profile) -> Value {
    // `type`, `provider` and at most ten credential fields.
    let mut out = Map::with_capacity(12 + profile.extra.len());
    let c = &profile.credential;
    out.insert("type".into(), Value::from(c.kind().as_str()));
    out.insert("provider".into(), Value::from(c.provider()));
    let secret = |out: &mut Map<String, Value>, name: &str, s: &Option<Secret>| {
        if let Some(s) = s {
            out.insert(name.into(), Value::from(s.expose()));
        }
    };
    let text = |out: &mut Map<String, Value>, name: &str, s: &Option<String>| {
        if let Some(s) = s {
            out.insert(name.into(), Value::from(s.clone()));
        }
    };
    match c {
        Credential::ApiKey(k) => {
            secret(&mut out, "key", &k.key);
            text(&mut out, "email", &k.email);
        }
        Credential::Token(t) => {
            secret(&mut out, "token", &t.token);
            if let Some(e) = &t.expires {
                out.insert("expires".into(), e.to_json());
            }
            text(&mut out, "email", &t.email);
        }
        Credential::OAuth(o) => {
            secret(&mut out, "access", &o.access);
            secret(&mut out, "refresh", &o.refresh);
            if let Some(e) = &o.expires {
                out.insert("expires".into(), e.to_json());
            }
            if let Some(e) = &o.refresh_expires {
                out.insert("refreshExpires".into(), e.to_json());
            }
            text(&mut out, "email", &o.email);
            text(&mut out, "enterpriseUrl", &o.enterprise_url);
            text(&mut out, "projectId", &o.project_id);
            text(&mut out, "accountId", &o.account_id);
        }
    }
    for (k, v) in &profile.extra {
        out.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Value::Object(out)
}

/// One `usageStats.<id>` object: the fields that are set, then the unknown ones
/// as read.
pub fn usage_to_json(u: &UsageStats) -> Value {
    let mut out = Map::with_capacity(7 + u.extra.len());
    let num = |out: &mut Map<String, Value>, name: &str, v: Option<f64>| {
        if let Some(v) = v {
            out.insert(name.into(), ms_value(v));
        }
    };
    num(&mut out, "lastUsed", u.last_used);
    num(&mut out, "errorCount", u.error_count);
    num(&mut out, "cooldownUntil", u.cooldown_until);
    num(&mut out, "disabledUntil", u.disabled_until);
    if let Some(r) = &u.disabled_reason {
        out.insert("disabledReason".into(), Value::from(r.clone()));
    }
    if !u.failure_counts.is_empty() {
        let counts = u.failure_counts.iter().map(|(k, v)| (k.clone(), ms_value(*v))).collect();
        out.insert("failureCounts".into(), Value::Object(counts));
    }
    num(&mut out, "lastFailureAt", u.last_failure_at);
    for (k, v) in &u.extra {
        out.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Value::Object(out)
}
