//! The auth-related subset of `clawdbot.json` (JSON5).
//!
//! Only what the auth rules read is modelled: `auth.*`, the models in use
//! (`agents.defaults.model/imageModel/models`), `agents.list`,
//! `models.providers` and `env.shellEnv`. The config never holds secrets
//! except a custom provider's `apiKey`.

use crate::store::{CredentialType, OrderedMap};

/// The reference's built-in default model, used when none is configured.
pub const DEFAULT_MODEL: &str = crate::providers::DEFAULT_MODEL;
/// The provider of [`DEFAULT_MODEL`], assumed for a model ref without
/// `provider/`.
pub const DEFAULT_PROVIDER: &str = crate::providers::DEFAULT.id;

/// The parts of `clawdbot.json` the auth rules read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    /// `auth.*`: profile metadata, orders and cooldown settings.
    pub auth: AuthConfig,
    /// The models in use (`agents.defaults.*`).
    pub models: ModelsConfig,
    /// `agents.list`, in file order.
    pub agents: Vec<AgentEntry>,
    /// `models.providers.<id>.apiKey`, trimmed, by provider key as written.
    pub provider_keys: OrderedMap<String>,
    /// `models.providers` keys, in file order.
    pub custom_providers: Vec<String>,
    /// `env.shellEnv.enabled`: import missing keys from the login shell.
    pub shell_env_enabled: bool,
    /// `secrets`: the providers SecretRefs name.
    pub secrets: crate::secrets::SecretsConfig,
    /// `agents.list` by normalised id, made on first use
    /// (`paths::locate` and the agent lookups).
    pub(crate) agent_index: AgentIndex,
}

/// Where each agent of `agents.list` is, by normalised id (the first entry
/// that normalises to it), with the length of the list it indexes: a
/// config that lists 1 000 agents normalised every id again for each
/// agent's lookups, a million times in one `--all-agents` run. Made once,
/// on first use, by `paths`, which normalises ids; a list that grew since
/// (a config built up in code) is scanned instead. It is derived data:
/// two configs are equal or not by what they hold, never by their index.
#[derive(Debug, Clone, Default)]
pub struct AgentIndex(pub(crate) std::sync::OnceLock<(usize, std::collections::HashMap<String, usize>)>);

impl PartialEq for AgentIndex {
    fn eq(&self, _: &AgentIndex) -> bool {
        true
    }
}

/// The config's `auth` object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuthConfig {
    /// `auth.profiles`: metadata only, never secrets.
    pub profiles: OrderedMap<ProfileConfig>,
    /// `auth.order`: provider key -> profile ids.
    pub order: OrderedMap<Vec<String>>,
    /// `auth.cooldowns`, the back-off settings.
    pub cooldowns: Cooldowns,
    /// The login sources whose logins are read-only here
    /// (`auth.loginSources.<name>.readOnly: true`): synced and reported,
    /// never refreshed or written back, because their own tool renews them
    /// ([`Config::login_read_only`]). Registry names, each once.
    pub read_only_logins: Vec<&'static str>,
}

/// One `auth.profiles.<id>` entry: metadata the config keeps about a profile.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProfileConfig {
    /// `provider`; `None` when absent or not a string.
    pub provider: Option<String>,
    /// `mode`: the credential kind it expects; `None` when absent or unknown.
    pub mode: Option<CredentialType>,
    /// `email`, used in display labels.
    pub email: Option<String>,
}

/// `auth.cooldowns`. `None` means "use the default"; values that are not
/// finite numbers above zero are read as `None`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cooldowns {
    /// `billingBackoffHours`: the first billing disable's length.
    pub billing_backoff_hours: Option<f64>,
    /// `billingBackoffHoursByProvider`: the same, per provider key.
    pub billing_backoff_hours_by_provider: OrderedMap<f64>,
    /// `billingMaxHours`: the cap on a billing disable's length.
    pub billing_max_hours: Option<f64>,
    /// `failureWindowHours`: failures older than this no longer count.
    pub failure_window_hours: Option<f64>,
}

/// `agents.defaults`: the models configured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelsConfig {
    /// `agents.defaults.model` (a string, or `primary` of an object).
    pub primary: Option<String>,
    /// `agents.defaults.model.fallbacks`, in order.
    pub fallbacks: Vec<String>,
    /// `agents.defaults.imageModel` (a string, or `primary` of an object).
    pub image_primary: Option<String>,
    /// `agents.defaults.imageModel.fallbacks`, in order.
    pub image_fallbacks: Vec<String>,
    /// `agents.defaults.models`: model key -> alias, in file order.
    pub allowed: OrderedMap<Option<String>>,
}

/// One `agents.list[]` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentEntry {
    /// `id`, the agent's name and folder.
    pub id: String,
    /// `default`: the agent used when none is named.
    pub default: bool,
    /// `agentDir`: where its agent folder is, when not the usual place.
    pub agent_dir: Option<String>,
    /// `inheritAuth` (default true): whether it sees the default agent's
    /// profiles under its own. `false` opts it out: it then has only what
    /// its own store holds.
    pub inherit_auth: bool,
}

use crate::diag::{Diagnostic, ReadError, Severity, kind_of, text_of};
use serde_json::Value;

/// Nesting deeper than this is refused before the JSON5 parser recurses.
const MAX_DEPTH: usize = 128;

/// The config as read: the modelled subset, the raw document (so a repair
/// can write it back with every other key intact), and what was wrong.
#[derive(Debug, Clone, Default)]
pub struct ConfigRead {
    /// The modelled subset.
    pub config: Config,
    /// The whole document as parsed, for repairs; `None` when absent or
    /// unreadable.
    pub raw: Option<Value>,
    /// What was wrong with the file, field by field.
    pub diagnostics: Vec<Diagnostic>,
    /// The file exists but could not be used at all.
    pub unreadable: bool,
}

/// Parses `clawdbot.json` (JSON5). A file that cannot be parsed gives the
/// defaults and an error diagnostic with the line and column.
pub fn parse_config(bytes: &[u8], origin: &str) -> ConfigRead {
    let fail = |e: ReadError| ConfigRead {
        diagnostics: vec![e.in_file(origin, Severity::Error)],
        unreadable: true,
        ..ConfigRead::default()
    };
    let text = match text_of(bytes) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    if nesting_depth(text) > MAX_DEPTH {
        return fail(ReadError::Other(format!("nested more than {MAX_DEPTH} levels deep")));
    }
    let raw: Value = match json5_value(text) {
        Ok(v) => v,
        Err(e) => {
            let (line, column) = e.position().map_or((0, 0), |p| (p.line + 1, p.column + 1));
            let reason = e.to_string();
            let reason = reason.split(" at line ").next().unwrap_or(&reason).to_string();
            return fail(ReadError::Syntax { line, column, reason: format!("JSON5: {reason}") });
        }
    };
    let mut reader = ConfigReader { origin, diagnostics: Vec::new() };
    let config = reader.config(&raw);
    ConfigRead { config, raw: Some(raw), diagnostics: reader.diagnostics, unreadable: false }
}

/// The file's JSON5 value. Most configs are plain JSON, which serde_json
/// reads in a tenth of the time json5 takes (a config listing 1 000 agents
/// cost `--all-agents` more than all their stores' checks): the same
/// value, since JSON5 is a superset of JSON and both crates hand numbers to
/// `Value` the same way, parse floats exactly, and keep the last of
/// duplicate keys, except for one literal: `-0`, which json5 reads as the
/// integer 0 and serde_json as the float -0.0. A document holding a
/// negative zero is read again by json5, so every answer is json5's.
fn json5_value(text: &str) -> Result<Value, json5::Error> {
    match serde_json::from_str::<Value>(text) {
        Ok(value) if !has_negative_zero(&value) => Ok(value),
        _ => json5::from_str(text),
    }
}

/// Whether any number in `value` is the float -0.0.
fn has_negative_zero(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.is_f64() && n.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative()),
        Value::Array(items) => items.iter().any(has_negative_zero),
        Value::Object(map) => map.values().any(has_negative_zero),
        _ => false,
    }
}

/// Deepest bracket nesting outside strings and comments.
fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == c {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for d in chars.by_ref() {
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
            }
            '{' | '[' => {
                depth += 1;
                max = max.max(depth);
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

struct ConfigReader<'a> {
    origin: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl ConfigReader<'_> {
    fn warn(&mut self, field: &str, found: &Value, expected: &str) {
        self.diagnostics.push(
            Diagnostic::new(
                Severity::Warning,
                self.origin,
                format!("is {}, expected {expected}; ignored", kind_of(found)),
            )
            .at(field),
        );
    }

    /// The object at `path`, or `None` (warning when present with another type).
    fn object<'v>(&mut self, root: &'v Value, path: &str) -> Option<&'v serde_json::Map<String, Value>> {
        let mut cur = root;
        for key in path.split('.') {
            cur = cur.get(key)?;
        }
        match cur {
            Value::Object(m) => Some(m),
            Value::Null => None,
            other => {
                self.warn(path, other, "an object");
                None
            }
        }
    }

    fn config(&mut self, root: &Value) -> Config {
        let mut cfg = Config::default();
        if !root.is_object() {
            self.warn("the top level", root, "an object");
            return cfg;
        }
        if let Some(profiles) = self.object(root, "auth.profiles") {
            for (id, entry) in profiles {
                let Value::Object(e) = entry else {
                    self.warn(&format!("auth.profiles.{id}"), entry, "an object");
                    continue;
                };
                let text = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
                let mode = text("mode").and_then(|m| CredentialType::parse(&m));
                if let (Some(raw), None) = (e.get("mode"), mode) {
                    self.warn(&format!("auth.profiles.{id}.mode"), raw, "\"api_key\", \"token\" or \"oauth\"");
                }
                cfg.auth
                    .profiles
                    .insert(id.clone(), ProfileConfig { provider: text("provider"), mode, email: text("email") });
            }
        }
        if let Some(order) = self.object(root, "auth.order") {
            for (provider, list) in order {
                match list {
                    Value::Array(items) => {
                        let ids: Vec<String> = items
                            .iter()
                            .filter_map(Value::as_str)
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect();
                        if !ids.is_empty() {
                            cfg.auth.order.insert(provider.clone(), ids);
                        }
                    }
                    other => self.warn(&format!("auth.order.{provider}"), other, "a list of profile ids"),
                }
            }
        }
        if let Some(c) = self.object(root, "auth.cooldowns") {
            let positive = |v: Option<&Value>| v.and_then(Value::as_f64).filter(|x| x.is_finite() && *x > 0.0);
            cfg.auth.cooldowns.billing_backoff_hours = positive(c.get("billingBackoffHours"));
            cfg.auth.cooldowns.billing_max_hours = positive(c.get("billingMaxHours"));
            cfg.auth.cooldowns.failure_window_hours = positive(c.get("failureWindowHours"));
            if let Some(Value::Object(by)) = c.get("billingBackoffHoursByProvider") {
                for (p, h) in by {
                    if let Some(h) = positive(Some(h)) {
                        cfg.auth.cooldowns.billing_backoff_hours_by_provider.insert(p.clone(), h);
                    }
                }
            }
        }
        if let Some(sources) = self.object(root, "auth.loginSources") {
            for (name, entry) in sources {
                self.login_source(&mut cfg.auth, name, entry);
            }
        }
        cfg.models = self.models(root);
        if let Some(list) = root.get("agents").and_then(|a| a.get("list")) {
            match list {
                Value::Array(items) => {
                    for item in items {
                        let Some(id) = item.get("id").and_then(Value::as_str) else { continue };
                        cfg.agents.push(AgentEntry {
                            id: id.to_string(),
                            default: item.get("default").and_then(Value::as_bool).unwrap_or(false),
                            agent_dir: item.get("agentDir").and_then(Value::as_str).map(str::to_string),
                            inherit_auth: item.get("inheritAuth").and_then(Value::as_bool).unwrap_or(true),
                        });
                    }
                }
                Value::Null => {}
                other => self.warn("agents.list", other, "a list"),
            }
        }
        if let Some(providers) = self.object(root, "models.providers") {
            for (id, p) in providers {
                cfg.custom_providers.push(id.clone());
                if let Some(key) = p.get("apiKey").and_then(Value::as_str).map(str::trim).filter(|k| !k.is_empty()) {
                    cfg.provider_keys.insert(id.clone(), key.to_string());
                }
            }
        }
        if let Some(shell) = self.object(root, "env.shellEnv") {
            cfg.shell_env_enabled = shell.get("enabled").and_then(Value::as_bool).unwrap_or(false);
        }
        if let Some(secrets) = self.object(root, "secrets") {
            let (secrets, warnings) = crate::secrets::read_secrets(secrets);
            cfg.secrets = secrets;
            for (field, message) in warnings {
                self.diagnostics.push(Diagnostic::new(Severity::Warning, self.origin, message).at(field));
            }
        }
        cfg
    }

    /// One `auth.loginSources.<name>` entry: a source the registry knows
    /// (by name or alias), and what the operator chose for it.
    fn login_source(&mut self, auth: &mut AuthConfig, name: &str, entry: &Value) {
        let field = format!("auth.loginSources.{name}");
        let Some(source) = crate::logins::by_name(name.trim()) else {
            let known: Vec<&str> = crate::logins::names().collect();
            let message = format!("names no login source this clawdbot knows ({}); ignored", known.join(", "));
            self.diagnostics.push(Diagnostic::new(Severity::Warning, self.origin, message).at(field));
            return;
        };
        let Value::Object(e) = entry else {
            if !entry.is_null() {
                self.warn(&field, entry, "an object");
            }
            return;
        };
        match e.get("readOnly") {
            Some(Value::Bool(true)) if !auth.read_only_logins.contains(&source.name) => {
                auth.read_only_logins.push(source.name);
            }
            None | Some(Value::Null | Value::Bool(_)) => {}
            Some(other) => self.warn(&format!("{field}.readOnly"), other, "true or false"),
        }
    }

    fn models(&mut self, root: &Value) -> ModelsConfig {
        let mut m = ModelsConfig::default();
        let Some(defaults) = self.object(root, "agents.defaults") else { return m };
        let defaults = defaults.clone();
        (m.primary, m.fallbacks) = self.model_ref(&defaults, "model");
        (m.image_primary, m.image_fallbacks) = self.model_ref(&defaults, "imageModel");
        match defaults.get("models") {
            Some(Value::Object(models)) => {
                for (key, entry) in models {
                    let alias = entry.get("alias").and_then(Value::as_str).map(str::to_string);
                    m.allowed.insert(key.clone(), alias);
                }
            }
            Some(Value::Null) | None => {}
            Some(other) => self.warn("agents.defaults.models", other, "an object"),
        }
        m
    }

    /// `model: "p/m"` or `model: {primary, fallbacks}`.
    fn model_ref(&mut self, defaults: &serde_json::Map<String, Value>, key: &str) -> (Option<String>, Vec<String>) {
        let field = format!("agents.defaults.{key}");
        match defaults.get(key) {
            None | Some(Value::Null) => (None, Vec::new()),
            Some(Value::String(s)) => (Some(s.trim().to_string()).filter(|s| !s.is_empty()), Vec::new()),
            Some(Value::Object(o)) => {
                let primary = match o.get("primary") {
                    Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
                    None | Some(Value::Null) => None,
                    Some(other) => {
                        self.warn(&format!("{field}.primary"), other, "a model id like \"anthropic/claude-opus-4-5\"");
                        None
                    }
                };
                let fallbacks = match o.get("fallbacks") {
                    Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                    None | Some(Value::Null) => Vec::new(),
                    Some(other) => {
                        self.warn(&format!("{field}.fallbacks"), other, "a list of model ids");
                        Vec::new()
                    }
                };
                (primary, fallbacks)
            }
            Some(other) => {
                self.warn(&field, other, "a model id or {primary, fallbacks}");
                (None, Vec::new())
            }
        }
    }
}

/// Whether the config file is plain JSON. Clawdbot writes the config back as
/// JSON, so a JSON5 file (comments, unquoted keys, trailing commas) would
/// lose its formatting: the host saves the original before the first rewrite.
pub fn is_plain_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

/// The name for a backup of `file_name` that overwrites nothing: the
/// operator may keep their own `clawdbot.json.bak`, and an earlier
/// backup of ours is theirs too by now. `<name>.bak` when free, else the
/// first free `<name>.bak.N` (N from 1), given the names in the folder.
pub fn backup_name(file_name: &str, existing: &[&str]) -> String {
    let taken = |name: &str| existing.contains(&name);
    let plain = format!("{file_name}.bak");
    if !taken(&plain) {
        return plain;
    }
    // `existing` is finite, so one of its length + 1 candidates is free.
    (1..=existing.len() + 1)
        .map(|n| format!("{plain}.{n}"))
        .find(|name| !taken(name))
        .unwrap_or_else(|| format!("{plain}.{}", existing.len() + 1))
}

/// Splits `provider/model`; a bare model takes the default provider.
pub fn parse_model_ref(raw: &str) -> Option<(String, String)> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.split_once('/') {
        Some((p, m)) if !p.trim().is_empty() && !m.trim().is_empty() => {
            Some((crate::provider::normalize(p), m.trim().to_string()))
        }
        Some(_) => None,
        None => Some((DEFAULT_PROVIDER.to_string(), raw.to_string())),
    }
}

impl Config {
    /// Whether the login synced into `profile_id` is read-only here: a
    /// login source the operator set `readOnly` for. Such a login is synced
    /// and reported, and never refreshed or written back by Clawdbot.
    pub fn login_read_only(&self, profile_id: &str) -> bool {
        crate::logins::by_profile_id(profile_id).is_some_and(|s| self.auth.read_only_logins.contains(&s.name))
    }

    /// Resolves an alias (`agents.defaults.models.<key>.alias`) to its key.
    pub fn resolve_alias<'a>(&'a self, raw: &'a str) -> &'a str {
        let wanted = raw.trim();
        self.models
            .allowed
            .iter()
            .find(|(_, alias)| alias.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(wanted)))
            .map_or(raw, |(key, _)| key.as_str())
    }

    /// The resolved default model as `provider/model`.
    pub fn resolved_default(&self) -> String {
        let raw = self.models.primary.as_deref().unwrap_or(DEFAULT_MODEL);
        match parse_model_ref(self.resolve_alias(raw)) {
            // Joined by hand, not `format!`: every agent's report asks.
            Some((mut p, m)) => {
                p.reserve(1 + m.len());
                p.push('/');
                p.push_str(&m);
                p
            }
            None => DEFAULT_MODEL.to_string(),
        }
    }

    /// Providers of the models in use: default, fallbacks, image model and
    /// image fallbacks (not the allow-list), de-duplicated in that order.
    pub fn providers_in_use(&self) -> Vec<String> {
        self.providers_in_use_with(&self.resolved_default())
    }

    /// [`Config::providers_in_use`], the default model resolved already
    /// (`default`, [`Config::resolved_default`]).
    pub fn providers_in_use_with(&self, default: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let refs = std::iter::once(default)
            .chain(self.models.fallbacks.iter().map(String::as_str))
            .chain(self.models.image_primary.iter().map(String::as_str))
            .chain(self.models.image_fallbacks.iter().map(String::as_str));
        for r in refs {
            if let Some((p, _)) = parse_model_ref(self.resolve_alias(r))
                && !out.contains(&p)
            {
                out.push(p);
            }
        }
        out
    }

    /// Providers a request may go to: the models in use, then those of the
    /// allow-list (`agents.defaults.models`), normalised and de-duplicated.
    /// What `models status --check` judges.
    pub fn providers_configured(&self) -> Vec<String> {
        self.configured_besides(self.providers_in_use())
    }

    /// [`Config::providers_configured`] from the providers in use as
    /// [`Config::providers_in_use`] made them (`out`).
    pub fn configured_besides(&self, mut out: Vec<String>) -> Vec<String> {
        for p in self.models.allowed.keys().filter_map(|k| parse_model_ref(k).map(|(p, _)| p)) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// Every provider the config mentions: the models in use, the allow-list
    /// and custom providers.
    pub fn providers_mentioned(&self) -> Vec<String> {
        self.mentioned_besides(self.providers_in_use())
    }

    /// [`Config::providers_mentioned`] from the providers in use as
    /// [`Config::providers_in_use`] made them (`out`), for a caller that
    /// has them already.
    pub fn mentioned_besides(&self, mut out: Vec<String>) -> Vec<String> {
        let extra = self
            .models
            .allowed
            .keys()
            .filter_map(|k| parse_model_ref(k).map(|(p, _)| p))
            .chain(self.custom_providers.iter().cloned());
        for p in extra {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backups_never_take_a_name_in_use() {
        assert_eq!(backup_name("clawdbot.json", &["clawdbot.json"]), "clawdbot.json.bak");
        assert_eq!(backup_name("clawdbot.json", &["clawdbot.json", "clawdbot.json.bak"]), "clawdbot.json.bak.1");
        let many = ["clawdbot.json.bak", "clawdbot.json.bak.1", "clawdbot.json.bak.2"];
        assert_eq!(backup_name("clawdbot.json", &many), "clawdbot.json.bak.3");
        assert_eq!(backup_name("clawdbot.json", &["clawdbot.json.bak", "clawdbot.json.bak.2"]), "clawdbot.json.bak.1");
    }

    use super::*;

    #[test]
    fn reads_the_auth_subset_of_a_json5_config() {
        let text = br#"// comment
        {
          auth: {
            profiles: { 'anthropic:me@example.com': { provider: 'anthropic', mode: 'oauth', email: 'me@example.com' } },
            order: { anthropic: ['anthropic:me@example.com', ' '] },
            cooldowns: { billingBackoffHours: 2, billingMaxHours: -1, billingBackoffHoursByProvider: { Anthropic: 1 } },
          },
          agents: { defaults: { model: { primary: 'Opus', fallbacks: ['openai/gpt-5.2'] },
                                models: { 'anthropic/claude-opus-4-5': { alias: 'Opus' } } },
                    list: [{ id: 'main', default: true }] },
          models: { providers: { custom: { apiKey: ' sk-FAKE ' } } },
          env: { shellEnv: { enabled: true } },
        }"#;
        let r = parse_config(text, "clawdbot.json");
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        let c = r.config;
        assert_eq!(c.auth.profiles["anthropic:me@example.com"].mode, Some(CredentialType::OAuth));
        assert_eq!(c.auth.order["anthropic"], vec!["anthropic:me@example.com"]);
        assert_eq!(c.auth.cooldowns.billing_backoff_hours, Some(2.0));
        assert_eq!(c.auth.cooldowns.billing_max_hours, None);
        assert_eq!(c.resolved_default(), "anthropic/claude-opus-4-5");
        assert_eq!(c.providers_in_use(), vec!["anthropic", "openai"]);
        assert_eq!(c.provider_keys["custom"], "sk-FAKE");
        assert!(c.shell_env_enabled);
        assert_eq!(c.agents[0].id, "main");
    }

    /// A login source is made read-only by name or alias; anything else
    /// there is a warning naming the field, and changes nothing.
    #[test]
    fn login_sources_are_made_read_only_by_name_or_alias() {
        let r = parse_config(
            br#"{ auth: { loginSources: { 'claude-code': { readOnly: true }, 'codex-cli': { readOnly: false } } } }"#,
            "clawdbot.json",
        );
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        assert_eq!(r.config.auth.read_only_logins, ["claude-cli"]);
        assert!(r.config.login_read_only("anthropic:claude-cli"));
        assert!(!r.config.login_read_only("openai-codex:codex-cli"));
        assert!(!r.config.login_read_only("anthropic:default"), "a store profile has no owner to renew it");
        let r = parse_config(
            br#"{ auth: { loginSources: { gemini: { readOnly: true }, 'claude-cli': { readOnly: 'yes' }, 'codex-cli': 1 } } }"#,
            "clawdbot.json",
        );
        assert!(r.config.auth.read_only_logins.is_empty());
        let said: Vec<(String, String)> =
            r.diagnostics.iter().map(|d| (d.field.clone().unwrap_or_default(), d.message.clone())).collect();
        assert_eq!(
            said,
            [
                (
                    "auth.loginSources.gemini".to_string(),
                    "names no login source this clawdbot knows (claude-cli, codex-cli, tinyllm-cli); ignored"
                        .to_string()
                ),
                (
                    "auth.loginSources.claude-cli.readOnly".to_string(),
                    "is a string, expected true or false; ignored".to_string()
                ),
                ("auth.loginSources.codex-cli".to_string(), "is a number, expected an object; ignored".to_string()),
            ]
        );
    }

    /// The plain-JSON shortcut gives exactly json5's value, numbers and
    /// duplicate keys included; without the negative-zero check the `-0`
    /// document would read as -0.0.
    #[test]
    fn a_plain_json_config_reads_as_json5_reads_it() {
        let docs = [
            r#"{"agents": {"list": [{"id": "main", "default": true}, {"id": "ops"}]}}"#,
            r#"{"a": -0, "b": 0, "c": -0.0, "d": 1e2, "e": 0.1, "f": 18446744073709551616, "g": -9223372036854775809}"#,
            r#"{"n": [1.7976931348623157e308, 5e-324, 123456789012345678901234567890, -1, 2.5e-3]}"#,
            r#"{"k": 1, "k": 2, "s": "caf\u00e9 \ud83d\ude00 \"q\" \n", "t": "\u2028"}"#,
            r#"[[[[{"deep": [null, true, false, {}]}]]]]"#,
        ];
        for doc in docs {
            let expected: Value = json5::from_str(doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
            assert_eq!(json5_value(doc).ok(), Some(expected.clone()), "{doc}");
            assert_eq!(json5_value(doc).ok().map(|v| v.to_string()), Some(expected.to_string()), "{doc}");
        }
    }

    #[test]
    fn json5_is_not_plain_json() {
        assert!(is_plain_json(br#"{"auth": {}}"#));
        assert!(!is_plain_json(b"// note\n{auth: {}}"));
        assert!(!is_plain_json(b"{\"a\": 1,}"));
    }

    #[test]
    fn broken_configs_are_reported_with_position() {
        let r = parse_config(b"{ agents: { defaults: { model: 'anthropic/claude-opus-4-5' \n", "clawdbot.json");
        assert!(r.unreadable);
        assert!(r.diagnostics[0].message.contains("line"), "{}", r.diagnostics[0]);
        let r = parse_config(b"{ agents: { defaults: { model: 42 } } }", "clawdbot.json");
        assert!(!r.unreadable);
        assert_eq!(r.diagnostics[0].field.as_deref(), Some("agents.defaults.model"));
        assert_eq!(r.config.resolved_default(), DEFAULT_MODEL);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_config(deep.as_bytes(), "c").unreadable);
    }

    // Each test below pins a rule that a mutant once changed unnoticed
    // (issue 15).

    #[test]
    fn nesting_counts_brackets_outside_strings_and_comments() {
        assert_eq!(nesting_depth(""), 0);
        assert_eq!(nesting_depth("[{}]"), 2);
        // Siblings do not add up: a closing bracket ends a level.
        assert_eq!(nesting_depth("[][]{}"), 1);
        assert_eq!(nesting_depth("[1/2,[3]]"), 2, "a lone slash is division, not a comment");
        assert_eq!(nesting_depth(r#""[[[""#), 0);
        assert_eq!(nesting_depth("'[[['"), 0);
        assert_eq!(nesting_depth(r#""ab[[""#), 0);
        assert_eq!(nesting_depth(r#""ab"[["#), 2);
        assert_eq!(nesting_depth(r#""a\"[[""#), 0, "an escaped quote does not end the string");
        assert_eq!(nesting_depth(r#"'a"[' ["#), 1, "a string ends only at its own quote");
        assert_eq!(nesting_depth("// [[\n["), 1);
        assert_eq!(nesting_depth("/* [[ */["), 1);
        assert_eq!(nesting_depth("/* a/[ */"), 0, "a slash inside a block comment does not end it");
        assert_eq!(nesting_depth("/**[*/"), 0, "a star inside a block comment does not end it");
    }

    #[test]
    fn nesting_of_exactly_the_limit_is_read() {
        let at = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let r = parse_config(at.as_bytes(), "c");
        assert!(!r.unreadable, "{:?}", r.diagnostics);
        let over = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let r = parse_config(over.as_bytes(), "c");
        assert!(r.unreadable);
        assert_eq!(r.diagnostics.len(), 1);
        assert!(r.diagnostics[0].message.contains("nested more than 128 levels deep"), "{}", r.diagnostics[0]);
        assert!(r.raw.is_none());
    }

    #[test]
    fn a_syntax_error_names_its_line_and_column_from_one() {
        let r = parse_config(b"{\n  a: 1,\n  b: ]\n}", "clawdbot.json");
        assert!(r.unreadable);
        assert_eq!(r.diagnostics.len(), 1);
        let d = &r.diagnostics[0];
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.file, "clawdbot.json");
        assert!(d.message.contains("line 3, column 6"), "{d}");
    }

    #[test]
    fn a_file_that_is_not_text_is_unreadable() {
        let r = parse_config(&[0xff, 0xfe, b'{'], "clawdbot.json");
        assert!(r.unreadable);
        assert_eq!(r.diagnostics.len(), 1);
        assert_eq!(r.diagnostics[0].severity, Severity::Error);
    }

    #[test]
    fn a_top_level_that_is_not_an_object_is_warned_about() {
        let r = parse_config(b"[1]", "clawdbot.json");
        assert!(!r.unreadable);
        assert_eq!(r.config, Config::default());
        assert_eq!(r.diagnostics.len(), 1);
        assert_eq!(r.diagnostics[0].field.as_deref(), Some("the top level"));
        assert_eq!(r.diagnostics[0].severity, Severity::Warning);
        assert_eq!(r.diagnostics[0].message, "is an array, expected an object; ignored");
    }

    #[test]
    fn wrong_types_are_warned_about_field_by_field() {
        let r = parse_config(
            br#"{ auth: { profiles: { 'a:b': 1, 'c:d': { mode: 'bogus' }, 'e:f': { mode: 'token' } }, order: { x: 'a:b' } },
                  agents: { defaults: { models: 3, imageModel: { primary: 4, fallbacks: 'no' } }, list: 'no' },
                  models: { providers: 'no' } }"#,
            "c",
        );
        let fields: Vec<_> = r.diagnostics.iter().map(|d| d.field.clone().unwrap_or_default()).collect();
        assert_eq!(
            fields,
            vec![
                "auth.profiles.a:b",
                "auth.profiles.c:d.mode",
                "auth.order.x",
                "agents.defaults.imageModel.primary",
                "agents.defaults.imageModel.fallbacks",
                "agents.defaults.models",
                "agents.list",
                "models.providers",
            ]
        );
        assert!(r.diagnostics.iter().all(|d| d.severity == Severity::Warning));
        assert_eq!(r.config.auth.profiles.len(), 2);
        assert_eq!(r.config.auth.profiles["c:d"].mode, None);
        assert_eq!(r.config.auth.profiles["e:f"].mode, Some(CredentialType::Token));
        assert!(r.config.auth.order.is_empty());
    }

    #[test]
    fn a_null_section_is_no_section_and_no_warning() {
        let r = parse_config(br#"{ "auth": { "profiles": null }, "agents": { "list": null } }"#, "c");
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        assert!(r.config.auth.profiles.is_empty());
    }

    #[test]
    fn an_order_of_blank_ids_is_no_order() {
        let r = parse_config(br#"{ "auth": { "order": { "a": [" ", ""], "b": [" b:1 ", 3] } } }"#, "c");
        assert_eq!(r.config.auth.order.len(), 1);
        assert_eq!(r.config.auth.order["b"], vec!["b:1"]);
    }

    #[test]
    fn cooldowns_must_be_finite_and_above_zero() {
        let r = parse_config(
            br#"{ "auth": { "cooldowns": { "billingBackoffHours": 0, "billingMaxHours": 0.5, "failureWindowHours": -2,
                 "billingBackoffHoursByProvider": { "a": 0, "b": 3, "c": "4" } } } }"#,
            "c",
        );
        let c = &r.config.auth.cooldowns;
        assert_eq!(c.billing_backoff_hours, None, "zero is not a backoff");
        assert_eq!(c.billing_max_hours, Some(0.5));
        assert_eq!(c.failure_window_hours, None);
        assert_eq!(c.billing_backoff_hours_by_provider.len(), 1);
        assert_eq!(c.billing_backoff_hours_by_provider["b"], 3.0);
    }

    #[test]
    fn agents_providers_and_shell_env_are_read() {
        let r = parse_config(
            br#"{ "agents": { "list": [{ "id": "a" }, { "nope": 1 }, { "id": "b", "default": true, "agentDir": "~/b" }] },
                 "models": { "providers": { "x": { "apiKey": "  " }, "y": {} } },
                 "env": { "shellEnv": { "enabled": false } } }"#,
            "c",
        );
        let c = r.config;
        assert_eq!(
            c.agents,
            vec![
                AgentEntry { id: "a".into(), default: false, agent_dir: None, inherit_auth: true },
                AgentEntry { id: "b".into(), default: true, agent_dir: Some("~/b".into()), inherit_auth: true },
            ]
        );
        assert_eq!(c.custom_providers, vec!["x", "y"]);
        assert!(c.provider_keys.is_empty(), "a blank apiKey is no key");
        assert!(!c.shell_env_enabled);
        assert!(r.raw.is_some());
    }

    #[test]
    fn model_refs_as_strings_and_objects() {
        let r = parse_config(
            br#"{ "agents": { "defaults": { "model": "  ", "imageModel": { "primary": " ", "fallbacks": ["p/i", 3] },
                 "models": { "p/a": { "alias": "A" }, "p/b": {} } } } }"#,
            "c",
        );
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        let m = &r.config.models;
        assert_eq!(m.primary, None, "a blank model is no model");
        assert_eq!(m.fallbacks, Vec::<String>::new());
        assert_eq!(m.image_primary, None, "a blank primary is no primary");
        assert_eq!(m.image_fallbacks, vec!["p/i"]);
        assert_eq!(m.allowed.len(), 2);
        assert_eq!(m.allowed["p/a"].as_deref(), Some("A"));
        assert_eq!(m.allowed["p/b"], None);

        let r = parse_config(
            br#"{ "agents": { "defaults": { "model": { "primary": " p/m ", "fallbacks": ["q/n"] } } } }"#,
            "c",
        );
        assert_eq!(r.config.models.primary.as_deref(), Some("p/m"));
        assert_eq!(r.config.models.fallbacks, vec!["q/n"]);
        let r = parse_config(br#"{ "agents": { "defaults": { "model": " p/m " } } }"#, "c");
        assert_eq!(r.config.models.primary.as_deref(), Some("p/m"));
    }

    #[test]
    fn model_refs_need_both_halves() {
        assert_eq!(parse_model_ref(" OpenAI/gpt "), Some(("openai".to_string(), "gpt".to_string())));
        assert_eq!(parse_model_ref("opus"), Some((DEFAULT_PROVIDER.to_string(), "opus".to_string())));
        assert_eq!(parse_model_ref("/m"), None);
        assert_eq!(parse_model_ref(" /m"), None);
        assert_eq!(parse_model_ref("p/"), None);
        assert_eq!(parse_model_ref("p/ "), None);
        assert_eq!(parse_model_ref("  "), None);
    }

    #[test]
    fn a_backup_takes_the_first_free_number() {
        assert_eq!(backup_name("c", &["c.bak", "c.bak.1"]), "c.bak.2");
        assert_eq!(backup_name("c", &[]), "c.bak");
    }

    fn config(text: &str) -> Config {
        let r = parse_config(text.as_bytes(), "c");
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        r.config
    }

    #[test]
    fn aliases_resolve_case_blind_and_unknown_ones_stay() {
        let c = config(
            r#"{ "agents": { "defaults": { "model": "fast", "models": { "openai/gpt": { "alias": "Fast" } } } } }"#,
        );
        assert_eq!(c.resolve_alias(" FAST "), "openai/gpt");
        assert_eq!(c.resolve_alias("slow"), "slow");
        assert_eq!(c.resolved_default(), "openai/gpt");
        assert_eq!(Config::default().resolved_default(), DEFAULT_MODEL);
        assert_eq!(config(r#"{ "agents": { "defaults": { "model": "x/" } } }"#).resolved_default(), DEFAULT_MODEL);
    }

    #[test]
    fn providers_in_use_configured_and_mentioned() {
        let c = config(
            r#"{ "agents": { "defaults": {
                   "model": { "primary": "a/1", "fallbacks": ["b/1", "a/2", "/bad"] },
                   "imageModel": { "primary": "c/1", "fallbacks": ["b/2", "d/1"] },
                   "models": { "a/3": {}, "e/1": {}, "E/2": {}, "f": {} } } },
                 "models": { "providers": { "g": {}, "a": {}, "h": {} } } }"#,
        );
        assert_eq!(c.providers_in_use(), vec!["a", "b", "c", "d"]);
        assert_eq!(c.providers_configured(), vec!["a", "b", "c", "d", "e", "anthropic"]);
        assert_eq!(c.providers_mentioned(), vec!["a", "b", "c", "d", "e", "anthropic", "g", "h"]);
    }
}
