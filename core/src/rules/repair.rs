//! Config edits around profile ids: the legacy `<provider>:default` OAuth
//! repair and its doctor hint (A69–A71, §2.12), and recording a new
//! profile's metadata (A66, §2.11).
//!
//! The edits work on the config as a raw JSON value, not on the typed
//! [`Config`]: the host writes the value back, and every key these rules do
//! not know (models, agents, channels, ...) must come out as it went in.

use crate::config::Config;
use crate::provider::{ProfilesOf, ProviderId};
use crate::store::{AuthStore, Credential, CredentialType};
use serde_json::{Map, Value};
use thiserror::Error;

/// The part of a profile id after the first `:`, or `""` without one.
pub fn profile_suffix(profile_id: &str) -> &str {
    profile_id.split_once(':').map_or("", |(_, suffix)| suffix)
}

/// The config's entry for the legacy id, read from either form of the
/// config, with `mode` as text so both forms compare alike.
#[derive(Debug, Clone, Copy, Default)]
struct LegacyEntry<'a> {
    provider: Option<&'a str>,
    mode: Option<&'a str>,
    email: Option<&'a str>,
}

impl<'a> LegacyEntry<'a> {
    fn from_config(config: &'a Config, legacy_id: &str) -> Option<Self> {
        let entry = config.auth.profiles.get(legacy_id)?;
        Some(LegacyEntry {
            provider: entry.provider.as_deref(),
            mode: entry.mode.map(CredentialType::as_str),
            email: entry.email.as_deref(),
        })
    }

    fn from_json(config_json: &'a Value, legacy_id: &str) -> Option<Self> {
        let entry = config_json.get("auth")?.get("profiles")?.get(legacy_id)?.as_object()?;
        let text = |key: &str| entry.get(key).and_then(Value::as_str);
        Some(LegacyEntry { provider: text("provider"), mode: text("mode"), email: text("email") })
    }

    fn is_for(&self, key: &ProviderId) -> bool {
        self.provider.is_some_and(|p| key.names(p))
    }
}

/// Which stored OAuth profile a legacy `<provider>:default` config entry
/// most likely meant (A69, §2.12 steps 1–8), or `None` when it cannot tell.
///
/// Older onboarding wrote OAuth logins as `<provider>:default` in config
/// while the store moved to `<provider>:<email>`; this finds the new id by
/// the configured email, then `lastGood`, then a single candidate, then a
/// single email-like candidate.
pub fn suggest_oauth_profile_id_for_legacy_default(
    config: &Config,
    store: &AuthStore,
    provider: &str,
    legacy_id: &str,
) -> Option<String> {
    suggest(LegacyEntry::from_config(config, legacy_id), store, provider, legacy_id)
}

fn suggest(legacy: Option<LegacyEntry<'_>>, store: &AuthStore, provider: &str, legacy_id: &str) -> Option<String> {
    let key = ProviderId::parse(provider);
    if profile_suffix(legacy_id) != "default" {
        return None;
    }
    if legacy.is_some_and(|entry| entry.is_for(&key) && entry.mode != Some("oauth")) {
        return None;
    }
    let candidates = oauth_profile_ids(store, &key);
    if candidates.is_empty() {
        return None;
    }
    if let Some(email) = legacy.and_then(|entry| entry.email).map(str::trim).filter(|e| !e.is_empty())
        && let Some(found) = candidates.iter().find(|id| matches_email(store, id, &key, email))
    {
        return Some(found.clone());
    }
    let last_good = store.last_good.get(key.as_str()).or_else(|| store.last_good.get(provider));
    if let Some(good) = last_good.filter(|good| candidates.contains(good)) {
        return Some(good.clone());
    }
    let others: Vec<&String> = candidates.iter().filter(|id| *id != legacy_id).collect();
    if let [only] = others.as_slice() {
        return Some((*only).clone());
    }
    let email_like: Vec<&&String> = others.iter().filter(|id| looks_like_email(profile_suffix(id))).collect();
    match email_like.as_slice() {
        [only] => Some((**only).clone()),
        _ => None,
    }
}

/// The store's OAuth profiles for a normalised provider, in file order.
fn oauth_profile_ids(store: &AuthStore, key: &str) -> Vec<String> {
    store
        .profiles_for(key)
        .filter(|(_, p)| p.credential.kind() == CredentialType::OAuth)
        .map(|(id, _)| id.clone())
        .collect()
}

fn matches_email(store: &AuthStore, profile_id: &str, key: &str, email: &str) -> bool {
    let stored = store.credential(profile_id).and_then(Credential::email).map(str::trim);
    stored == Some(email) || profile_id == format!("{key}:{email}")
}

fn looks_like_email(text: &str) -> bool {
    text.contains('@') && text.contains('.')
}

/// A config rewrite that moves a legacy OAuth profile id to its real one.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileIdRepair {
    /// The legacy profile id the config uses.
    pub from: String,
    /// The id the store holds the login under.
    pub to: String,
    /// The whole config, with only `auth.profiles` and `auth.order` changed.
    pub new_config: Value,
    /// `Auth: migrate <from> → <to> (OAuth profile id)`, for doctor's list.
    pub change_text: String,
}

/// The reference's `repairOAuthProfileIdMismatch` (A70, §2.12): renames the
/// config's legacy OAuth entry to the suggested store id, taking the stored
/// email along, and rewrites that id in the provider's `auth.order`
/// (deduplicated, blanks and non-strings dropped). The store is not touched.
///
/// `legacy_id` defaults to `<normalised provider>:default`. `None` when the
/// config has no OAuth entry for the provider under that id, or no distinct
/// suggestion exists. The renamed entry keeps the legacy entry's place in
/// `auth.profiles` (the reference appends it), so a diff shows a rename.
pub fn repair_oauth_profile_id_mismatch(
    config_json: &Value,
    store: &AuthStore,
    provider: &str,
    legacy_id: Option<&str>,
) -> Option<ProfileIdRepair> {
    let key = ProviderId::parse(provider);
    let from = legacy_id.map_or_else(|| format!("{key}:default"), str::to_string);
    let legacy = LegacyEntry::from_json(config_json, &from)?;
    if legacy.mode != Some("oauth") || !legacy.is_for(&key) {
        return None;
    }
    let to = suggest(Some(legacy), store, provider, &from).filter(|to| *to != from)?;
    let to_email = match store.credential(&to) {
        Some(Credential::OAuth(o)) => o.email.as_deref().map(str::trim).filter(|e| !e.is_empty()),
        _ => None,
    };
    let mut new_config = config_json.clone();
    let auth = new_config.get_mut("auth")?.as_object_mut()?;
    let profiles = auth.get_mut("profiles")?.as_object_mut()?;
    let mut entry = profiles.get(&from)?.clone();
    if let (Some(email), Some(fields)) = (to_email, entry.as_object_mut()) {
        fields.insert("email".into(), Value::from(email));
    }
    rename_entry(profiles, &from, &to, entry);
    if let Some(order) = auth.get_mut("order").and_then(Value::as_object_mut) {
        replace_in_order(order, &key, &from, &to);
    }
    let change_text = format!("Auth: migrate {from} → {to} (OAuth profile id)");
    Some(ProfileIdRepair { from, to, new_config, change_text })
}

/// Puts `entry` under `to` and removes `from`: in `from`'s place when `to`
/// is new, in `to`'s own place when it already exists.
fn rename_entry(profiles: &mut Map<String, Value>, from: &str, to: &str, entry: Value) {
    if profiles.contains_key(to) {
        profiles.insert(to.to_string(), entry);
        profiles.shift_remove(from);
        return;
    }
    let old = std::mem::take(profiles);
    let mut entry = Some(entry);
    for (id, value) in old {
        if id == from {
            profiles.insert(to.to_string(), entry.take().unwrap_or(value));
        } else {
            profiles.insert(id, value);
        }
    }
}

/// In the first `auth.order` list whose key normalises to `key`: `from`
/// becomes `to`, then blanks, non-strings and repeats go.
fn replace_in_order(order: &mut Map<String, Value>, key: &ProviderId, from: &str, to: &str) {
    let Some(list) = order.iter_mut().find(|(k, _)| key.names(k)).and_then(|(_, v)| v.as_array_mut()) else {
        return;
    };
    let mut rewritten: Vec<Value> = Vec::with_capacity(list.len());
    for id in list.iter().filter_map(Value::as_str) {
        let id = if id == from { to } else { id };
        if !id.trim().is_empty() && !rewritten.iter().any(|seen| seen == id) {
            rewritten.push(Value::from(id));
        }
    }
    *list = rewritten;
}

/// The block doctor prints for a GitHub issue when an Anthropic legacy id
/// should be repaired (A71, §2.12), lines joined by `\n`; `None` for other
/// providers or when there is nothing to suggest. `legacy_id` defaults to
/// the provider's `legacy_profile_id` (`anthropic:default`); a provider
/// without one has no hint.
pub fn format_auth_doctor_hint(
    config: &Config,
    store: &AuthStore,
    provider: &str,
    legacy_id: Option<&str>,
) -> Option<String> {
    let key = ProviderId::parse(provider);
    // Only a provider whose old configs had a single profile id has one.
    let default_id = key.spec()?.legacy_profile_id?;
    let legacy_id = legacy_id.unwrap_or(default_id);
    let legacy = LegacyEntry::from_config(config, legacy_id);
    let suggested = suggest(legacy, store, &key, legacy_id).filter(|s| s != legacy_id)?;
    let entry = legacy.unwrap_or_default();
    let config_detail = if entry.provider.is_some_and(|p| !p.is_empty()) || entry.mode.is_some() {
        format!(" (provider={}, mode={})", entry.provider.unwrap_or("?"), entry.mode.unwrap_or("?"))
    } else {
        String::new()
    };
    let oauth_ids = oauth_profile_ids(store, &key);
    let oauth_list = if oauth_ids.is_empty() { "(none)".to_string() } else { oauth_ids.join(", ") };
    let lines = [
        "Doctor hint (for GitHub issue):".to_string(),
        format!("- provider: {key}"),
        format!("- config: {legacy_id}{config_detail}"),
        format!("- auth store oauth profiles: {oauth_list}"),
        format!("- suggested profile: {suggested}"),
        "Fix: run \"clawdbot doctor --yes\"".to_string(),
    ];
    Some(lines.join("\n"))
}

/// A config value that had to be an object and was something else.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("config: {path} is {found}, expected an object")]
pub struct ConfigShapeError {
    /// The JSON path that is not an object (`auth.profiles`).
    pub path: String,
    /// What it is, as [`crate::diag::kind_of`] names it.
    pub found: &'static str,
}

/// The reference's `applyAuthProfileConfig` (A66, §2.11), with
/// `preferProfileFirst` on as every caller leaves it: records
/// `auth.profiles[profile_id] = {provider, mode, email?}`, replacing any
/// entry, and moves the id to the front of `auth.order[provider]` only when
/// that list already exists under exactly that key. An order is never
/// created, so onboarding does not freeze the round-robin.
///
/// A missing (`null`) config, `auth` or `auth.profiles` is created; one of
/// another type is an error rather than being overwritten.
pub fn apply_auth_profile_config(
    config_json: &mut Value,
    profile_id: &str,
    provider: &str,
    mode: CredentialType,
    email: Option<&str>,
) -> Result<(), ConfigShapeError> {
    let root = object_at(config_json, "(root)")?;
    let auth = object_at(root.entry("auth").or_insert(Value::Null), "auth")?;
    let profiles = object_at(auth.entry("profiles").or_insert(Value::Null), "auth.profiles")?;
    let mut entry = Map::new();
    entry.insert("provider".into(), Value::from(provider));
    entry.insert("mode".into(), Value::from(mode.as_str()));
    if let Some(email) = email.filter(|e| !e.is_empty()) {
        entry.insert("email".into(), Value::from(email));
    }
    profiles.insert(profile_id.to_string(), Value::Object(entry));
    if let Some(list) = auth.get_mut("order").and_then(Value::as_object_mut).and_then(|o| o.get_mut(provider)) {
        *list = Value::Array(with_profile_first(list, profile_id));
    }
    Ok(())
}

/// Makes `model` the default agent model, `agents.defaults.model`: its
/// `primary` when it is an object (the fallbacks kept), the whole value
/// when it is a string or absent. Another type is an error rather than
/// being overwritten. Whether anything changed.
pub fn set_default_model(config_json: &mut Value, model: &str) -> Result<bool, ConfigShapeError> {
    let root = object_at(config_json, "(root)")?;
    let agents = object_at(root.entry("agents").or_insert(Value::Null), "agents")?;
    let defaults = object_at(agents.entry("defaults").or_insert(Value::Null), "agents.defaults")?;
    let mut target = defaults.entry("model").or_insert(Value::Null);
    let mut path = "agents.defaults.model";
    if let Value::Object(o) = target {
        (target, path) = (o.entry("primary").or_insert(Value::Null), "agents.defaults.model.primary");
    }
    if !(target.is_string() || target.is_null()) {
        return Err(ConfigShapeError { path: path.into(), found: json_kind(target) });
    }
    if target.as_str() == Some(model) {
        return Ok(false);
    }
    *target = Value::from(model);
    Ok(true)
}

/// `[id, ...existing without id]`; a list that is not an array (the
/// reference's `null` case) becomes `[id]`.
fn with_profile_first(list: &Value, profile_id: &str) -> Vec<Value> {
    let mut out = vec![Value::from(profile_id)];
    if let Some(items) = list.as_array() {
        out.extend(items.iter().filter(|v| v.as_str() != Some(profile_id)).cloned());
    }
    out
}

/// The object at `value`, made an empty one if it was `null`.
fn object_at<'v>(value: &'v mut Value, path: &str) -> Result<&'v mut Map<String, Value>, ConfigShapeError> {
    if value.is_null() {
        *value = Value::Object(Map::new());
    }
    let found = json_kind(value);
    value.as_object_mut().ok_or_else(|| ConfigShapeError { path: path.to_string(), found })
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProfileConfig;
    use crate::secret::Secret;
    use crate::store::{ApiKey, OAuth, Profile};
    use serde_json::json;

    #[test]
    fn the_default_model_is_set_where_the_config_keeps_it() {
        let set = |mut doc: Value| set_default_model(&mut doc, "openai-codex/gpt-5.2").map(|changed| (changed, doc));
        // Absent: made, as the string form.
        assert_eq!(set(json!({})).unwrap(), (true, json!({"agents": {"defaults": {"model": "openai-codex/gpt-5.2"}}})));
        // The string form is replaced; the object form keeps its fallbacks.
        let string = json!({"agents": {"defaults": {"model": "anthropic/claude-opus-4-5"}}, "x": 1});
        assert_eq!(set(string).unwrap().1, json!({"agents": {"defaults": {"model": "openai-codex/gpt-5.2"}}, "x": 1}));
        let object = json!({"agents": {"defaults": {"model": {"primary": "a/b", "fallbacks": ["c/d"]}}}});
        assert_eq!(
            set(object).unwrap().1,
            json!({"agents": {"defaults": {"model": {"primary": "openai-codex/gpt-5.2", "fallbacks": ["c/d"]}}}})
        );
        // Already the default: nothing to write.
        let same = json!({"agents": {"defaults": {"model": {"primary": "openai-codex/gpt-5.2"}}}});
        assert_eq!(set(same.clone()).unwrap(), (false, same));
        // A shape the tool does not know is an error naming where.
        let wrong = set(json!({"agents": {"defaults": {"model": {"primary": 3}}}})).unwrap_err();
        assert_eq!(wrong.path, "agents.defaults.model.primary");
        assert_eq!(set(json!({"agents": []})).unwrap_err().path, "agents");
    }

    fn oauth(provider: &str, email: Option<&str>) -> Credential {
        Credential::OAuth(OAuth {
            provider: provider.into(),
            access: Some(Secret::new("FAKE")),
            refresh: Some(Secret::new("FAKE")),
            email: email.map(String::from),
            ..OAuth::default()
        })
    }

    fn store(profiles: Vec<(&str, Credential)>) -> AuthStore {
        let mut s = AuthStore::default();
        for (id, c) in profiles {
            s.profiles.insert(id.into(), Profile::new(c));
        }
        s
    }

    fn config_with(id: &str, provider: &str, mode: CredentialType, email: Option<&str>) -> Config {
        let mut cfg = Config::default();
        let entry = ProfileConfig { provider: Some(provider.into()), mode: Some(mode), email: email.map(String::from) };
        cfg.auth.profiles.insert(id.into(), entry);
        cfg
    }

    fn suggest_for(cfg: &Config, s: &AuthStore) -> Option<String> {
        suggest_oauth_profile_id_for_legacy_default(cfg, s, "anthropic", "anthropic:default")
    }

    #[test]
    fn suffix_is_after_the_first_colon() {
        assert_eq!(profile_suffix("anthropic:default"), "default");
        assert_eq!(profile_suffix("a:b:c"), "b:c");
        assert_eq!(profile_suffix("nocolon"), "");
    }

    #[test]
    fn step1_only_default_suffixes() {
        let s = store(vec![("anthropic:me@example.com", oauth("anthropic", None))]);
        let cfg = Config::default();
        assert_eq!(suggest_oauth_profile_id_for_legacy_default(&cfg, &s, "anthropic", "anthropic:work"), None);
        assert_eq!(suggest_for(&cfg, &s).as_deref(), Some("anthropic:me@example.com"));
    }

    #[test]
    fn step2_a_non_oauth_legacy_entry_is_left_alone() {
        let s = store(vec![("anthropic:me@example.com", oauth("anthropic", None))]);
        let cfg = config_with("anthropic:default", "anthropic", CredentialType::ApiKey, None);
        assert_eq!(suggest_for(&cfg, &s), None);
        // An entry for another provider does not block.
        let cfg = config_with("anthropic:default", "openai", CredentialType::ApiKey, None);
        assert_eq!(suggest_for(&cfg, &s).as_deref(), Some("anthropic:me@example.com"));
    }

    #[test]
    fn step3_needs_oauth_candidates() {
        let key = Credential::ApiKey(ApiKey { provider: "anthropic".into(), key: Some(Secret::new("k")), email: None });
        let s = store(vec![("anthropic:me@example.com", key), ("openai:x", oauth("openai", None))]);
        assert_eq!(suggest_for(&Config::default(), &s), None);
    }

    #[test]
    fn step4_configured_email_by_stored_email_or_id() {
        let s = store(vec![
            ("anthropic:a", oauth("anthropic", Some(" a@x.io "))),
            ("anthropic:b", oauth("anthropic", Some("b@x.io"))),
            ("anthropic:c@x.io", oauth("anthropic", None)),
        ]);
        let cfg = config_with("anthropic:default", "anthropic", CredentialType::OAuth, Some(" b@x.io"));
        assert_eq!(suggest_for(&cfg, &s).as_deref(), Some("anthropic:b"));
        let cfg = config_with("anthropic:default", "anthropic", CredentialType::OAuth, Some("a@x.io"));
        assert_eq!(suggest_for(&cfg, &s).as_deref(), Some("anthropic:a"));
        let cfg = config_with("anthropic:default", "anthropic", CredentialType::OAuth, Some("c@x.io"));
        assert_eq!(suggest_for(&cfg, &s).as_deref(), Some("anthropic:c@x.io"));
        // An email that matches nothing falls through to the later steps (the one email-like id).
        let cfg = config_with("anthropic:default", "anthropic", CredentialType::OAuth, Some("z@x.io"));
        assert_eq!(suggest_for(&cfg, &s).as_deref(), Some("anthropic:c@x.io"));
    }

    #[test]
    fn step5_last_good_by_key_then_raw_provider() {
        let mut s = store(vec![
            ("anthropic:one@x.io", oauth("anthropic", None)),
            ("anthropic:two@x.io", oauth("anthropic", None)),
        ]);
        s.last_good.insert("Anthropic".into(), "anthropic:two@x.io".into());
        let cfg = Config::default();
        assert_eq!(
            suggest_oauth_profile_id_for_legacy_default(&cfg, &s, "Anthropic", "anthropic:default").as_deref(),
            Some("anthropic:two@x.io")
        );
        s.last_good.insert("anthropic".into(), "anthropic:one@x.io".into());
        assert_eq!(
            suggest_oauth_profile_id_for_legacy_default(&cfg, &s, "Anthropic", "anthropic:default").as_deref(),
            Some("anthropic:one@x.io")
        );
        // A lastGood that is not an oauth candidate is ignored.
        s.last_good.insert("anthropic".into(), "anthropic:gone".into());
        s.last_good.shift_remove("Anthropic");
        assert_eq!(suggest_for(&cfg, &s), None);
    }

    #[test]
    fn step6_the_single_other_candidate() {
        let s =
            store(vec![("anthropic:default", oauth("anthropic", None)), ("anthropic:work", oauth("anthropic", None))]);
        assert_eq!(suggest_for(&Config::default(), &s).as_deref(), Some("anthropic:work"));
        let s = store(vec![("anthropic:default", oauth("anthropic", None))]);
        assert_eq!(suggest_for(&Config::default(), &s), None);
    }

    #[test]
    fn step7_the_single_email_like_candidate() {
        let s = store(vec![
            ("anthropic:work", oauth("anthropic", None)),
            ("anthropic:me@example.com", oauth("anthropic", None)),
            ("anthropic:at@nodot", oauth("anthropic", None)),
        ]);
        assert_eq!(suggest_for(&Config::default(), &s).as_deref(), Some("anthropic:me@example.com"));
        let s = store(vec![
            ("anthropic:one@x.io", oauth("anthropic", None)),
            ("anthropic:two@x.io", oauth("anthropic", None)),
        ]);
        assert_eq!(suggest_for(&Config::default(), &s), None, "step 8: ambiguous");
    }

    fn legacy_config() -> Value {
        json!({
            "agents": { "defaults": { "model": "anthropic/claude-opus-4-5" } },
            "auth": {
                "profiles": {
                    "anthropic:work": { "provider": "anthropic", "mode": "api_key" },
                    "anthropic:default": { "provider": "anthropic", "mode": "oauth", "custom": true },
                    "openai:default": { "provider": "openai", "mode": "api_key" }
                },
                "order": {
                    "openai": ["openai:default"],
                    "Anthropic": ["anthropic:default", "anthropic:me@example.com", " ", 7, "anthropic:work"]
                },
                "cooldowns": { "billingBackoffHours": 3 }
            },
            "other": [1, 2]
        })
    }

    #[test]
    fn repair_renames_in_place_and_rewrites_the_order() {
        let s = store(vec![("anthropic:me@example.com", oauth("anthropic", Some("me@example.com ")))]);
        let cfg = legacy_config();
        let repair = repair_oauth_profile_id_mismatch(&cfg, &s, "anthropic", None).unwrap();
        assert_eq!(repair.from, "anthropic:default");
        assert_eq!(repair.to, "anthropic:me@example.com");
        assert_eq!(repair.change_text, "Auth: migrate anthropic:default → anthropic:me@example.com (OAuth profile id)");
        let expected = json!({
            "agents": { "defaults": { "model": "anthropic/claude-opus-4-5" } },
            "auth": {
                "profiles": {
                    "anthropic:work": { "provider": "anthropic", "mode": "api_key" },
                    "anthropic:me@example.com": { "provider": "anthropic", "mode": "oauth", "custom": true, "email": "me@example.com" },
                    "openai:default": { "provider": "openai", "mode": "api_key" }
                },
                "order": {
                    "openai": ["openai:default"],
                    "Anthropic": ["anthropic:me@example.com", "anthropic:work"]
                },
                "cooldowns": { "billingBackoffHours": 3 }
            },
            "other": [1, 2]
        });
        assert_eq!(repair.new_config, expected);
        let keys: Vec<&String> = repair.new_config["auth"]["profiles"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["anthropic:work", "anthropic:me@example.com", "openai:default"]);
        assert_eq!(cfg, legacy_config(), "the input is not modified");
    }

    #[test]
    fn repair_onto_an_existing_entry_replaces_it() {
        let s = store(vec![("anthropic:me@example.com", oauth("anthropic", None))]);
        let mut cfg = legacy_config();
        cfg["auth"]["profiles"]["anthropic:me@example.com"] = json!({"provider": "anthropic", "mode": "token"});
        let repair = repair_oauth_profile_id_mismatch(&cfg, &s, "anthropic", Some("anthropic:default")).unwrap();
        let profiles = repair.new_config["auth"]["profiles"].as_object().unwrap();
        assert_eq!(
            profiles.keys().collect::<Vec<_>>(),
            ["anthropic:work", "openai:default", "anthropic:me@example.com"]
        );
        assert_eq!(
            profiles["anthropic:me@example.com"],
            json!({ "provider": "anthropic", "mode": "oauth", "custom": true })
        );
    }

    #[test]
    fn repair_needs_an_oauth_legacy_entry_for_the_provider_and_a_suggestion() {
        let s = store(vec![("anthropic:me@example.com", oauth("anthropic", None))]);
        let mut cfg = legacy_config();
        assert!(repair_oauth_profile_id_mismatch(&cfg, &s, "openai", None).is_none(), "no suggestion for openai");
        assert!(repair_oauth_profile_id_mismatch(&json!({}), &s, "anthropic", None).is_none());
        assert!(repair_oauth_profile_id_mismatch(&Value::Null, &s, "anthropic", None).is_none());
        cfg["auth"]["profiles"]["anthropic:default"]["mode"] = json!("token");
        assert!(repair_oauth_profile_id_mismatch(&cfg, &s, "anthropic", None).is_none());
        let mut cfg = legacy_config();
        cfg["auth"]["profiles"]["anthropic:default"]["provider"] = json!("openai");
        assert!(repair_oauth_profile_id_mismatch(&cfg, &s, "anthropic", None).is_none());
        let empty = AuthStore::default();
        assert!(repair_oauth_profile_id_mismatch(&legacy_config(), &empty, "anthropic", None).is_none());
    }

    #[test]
    fn repair_without_an_order_leaves_order_absent() {
        let s = store(vec![("anthropic:me@example.com", oauth("anthropic", None))]);
        let cfg = json!({"auth": {"profiles": {"anthropic:default": {"provider": "Anthropic", "mode": "oauth"}}}});
        let repair = repair_oauth_profile_id_mismatch(&cfg, &s, "anthropic", None).unwrap();
        assert_eq!(
            repair.new_config,
            json!({"auth": {"profiles": {"anthropic:me@example.com": {"provider": "Anthropic", "mode": "oauth"}}}})
        );
    }

    #[test]
    fn doctor_hint_lines() {
        let s = store(vec![
            ("anthropic:default", oauth("anthropic", None)),
            ("anthropic:me@example.com", oauth("anthropic", None)),
        ]);
        let cfg = config_with("anthropic:default", "anthropic", CredentialType::OAuth, None);
        let hint = format_auth_doctor_hint(&cfg, &s, "Anthropic", None).unwrap();
        assert_eq!(
            hint,
            "Doctor hint (for GitHub issue):\n\
             - provider: anthropic\n\
             - config: anthropic:default (provider=anthropic, mode=oauth)\n\
             - auth store oauth profiles: anthropic:default, anthropic:me@example.com\n\
             - suggested profile: anthropic:me@example.com\n\
             Fix: run \"clawdbot doctor --yes\""
        );
        let hint = format_auth_doctor_hint(&Config::default(), &s, "anthropic", None).unwrap();
        assert!(hint.contains("\n- config: anthropic:default\n"), "{hint}");
        let mut cfg = Config::default();
        cfg.auth.profiles.insert(
            "anthropic:default".into(),
            ProfileConfig { mode: Some(CredentialType::OAuth), ..ProfileConfig::default() },
        );
        let hint = format_auth_doctor_hint(&cfg, &s, "anthropic", None).unwrap();
        assert!(hint.contains("- config: anthropic:default (provider=?, mode=oauth)"), "{hint}");
        // A blank provider and no mode is nothing to show.
        let blank = ProfileConfig { provider: Some(String::new()), ..ProfileConfig::default() };
        cfg.auth.profiles.insert("anthropic:default".into(), blank);
        let hint = format_auth_doctor_hint(&cfg, &s, "anthropic", None).unwrap();
        assert!(hint.contains("\n- config: anthropic:default\n"), "{hint}");
    }

    #[test]
    fn doctor_hint_only_for_anthropic_with_a_suggestion() {
        let s = store(vec![("openai:me@example.com", oauth("openai", None))]);
        assert_eq!(format_auth_doctor_hint(&Config::default(), &s, "openai", Some("openai:default")), None);
        assert_eq!(format_auth_doctor_hint(&Config::default(), &AuthStore::default(), "anthropic", None), None);
    }

    #[test]
    fn onboarding_moves_the_profile_to_the_front_of_an_existing_order() {
        // The reference test (onboard-auth.test.ts).
        let mut cfg = json!({"auth": {"order": {"anthropic": ["anthropic:default"]}}});
        apply_auth_profile_config(&mut cfg, "anthropic:claude-cli", "anthropic", CredentialType::OAuth, None).unwrap();
        assert_eq!(cfg["auth"]["order"]["anthropic"], json!(["anthropic:claude-cli", "anthropic:default"]));
        assert_eq!(cfg["auth"]["profiles"]["anthropic:claude-cli"], json!({"provider": "anthropic", "mode": "oauth"}));
        // Applying again moves, never duplicates.
        cfg["auth"]["order"]["anthropic"] = json!(["anthropic:default", "anthropic:claude-cli"]);
        apply_auth_profile_config(&mut cfg, "anthropic:claude-cli", "anthropic", CredentialType::OAuth, None).unwrap();
        assert_eq!(cfg["auth"]["order"]["anthropic"], json!(["anthropic:claude-cli", "anthropic:default"]));
    }

    #[test]
    fn onboarding_never_creates_an_order_and_replaces_the_entry() {
        let mut cfg = json!({
            "gateway": {"port": 1},
            "auth": {
                "profiles": {"anthropic:manual": {"provider": "anthropic", "mode": "oauth", "email": "old@x.io"}, "b": {}},
                "order": {"Anthropic": ["x"], "openai": null}
            }
        });
        apply_auth_profile_config(&mut cfg, "anthropic:manual", "anthropic", CredentialType::Token, Some("")).unwrap();
        assert_eq!(
            cfg,
            json!({
                "gateway": {"port": 1},
                "auth": {
                    "profiles": {"anthropic:manual": {"provider": "anthropic", "mode": "token"}, "b": {}},
                    "order": {"Anthropic": ["x"], "openai": null}
                }
            })
        );
        apply_auth_profile_config(&mut cfg, "openai:me", "openai", CredentialType::ApiKey, Some("me@x.io")).unwrap();
        assert_eq!(cfg["auth"]["order"]["openai"], json!(["openai:me"]), "an existing null list is filled");
        assert_eq!(cfg["auth"]["profiles"]["openai:me"]["email"], json!("me@x.io"));
        let mut empty = Value::Null;
        apply_auth_profile_config(&mut empty, "p:x", "p", CredentialType::ApiKey, None).unwrap();
        assert_eq!(empty, json!({"auth": {"profiles": {"p:x": {"provider": "p", "mode": "api_key"}}}}));
    }

    #[test]
    fn onboarding_refuses_to_overwrite_a_malformed_config() {
        let mut cfg = json!({"auth": "oops"});
        let err = apply_auth_profile_config(&mut cfg, "p:x", "p", CredentialType::ApiKey, None).unwrap_err();
        assert_eq!(err.to_string(), "config: auth is a string, expected an object");
        assert_eq!(cfg, json!({"auth": "oops"}));
        let mut cfg = json!({"auth": {"profiles": []}});
        let err = apply_auth_profile_config(&mut cfg, "p:x", "p", CredentialType::ApiKey, None).unwrap_err();
        assert_eq!(err.to_string(), "config: auth.profiles is an array, expected an object");
        let mut cfg = json!([1]);
        assert!(apply_auth_profile_config(&mut cfg, "p:x", "p", CredentialType::ApiKey, None).is_err());
    }
}
