//! The auth-related subset of `clawdbot.json` (JSON5).
//!
//! Only what the auth rules read is modelled: `auth.*`, the models in use
//! (`agents.defaults.model/imageModel/models`), `agents.list`,
//! `models.providers` and `env.shellEnv`. The config never holds secrets
//! except a custom provider's `apiKey`.

use crate::store::{CredentialType, OrderedMap};

/// The reference's built-in default model, used when none is configured.
pub const DEFAULT_MODEL: &str = "anthropic/claude-opus-4-5";
pub const DEFAULT_PROVIDER: &str = "anthropic";

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub auth: AuthConfig,
    pub models: ModelsConfig,
    pub agents: Vec<AgentEntry>,
    /// `models.providers.<id>.apiKey`, trimmed, by provider key as written.
    pub provider_keys: OrderedMap<String>,
    /// `models.providers` keys, in file order.
    pub custom_providers: Vec<String>,
    pub shell_env_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuthConfig {
    /// `auth.profiles`: metadata only, never secrets.
    pub profiles: OrderedMap<ProfileConfig>,
    /// `auth.order`: provider key -> profile ids.
    pub order: OrderedMap<Vec<String>>,
    pub cooldowns: Cooldowns,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProfileConfig {
    pub provider: Option<String>,
    pub mode: Option<CredentialType>,
    pub email: Option<String>,
}

/// `auth.cooldowns`. `None` means "use the default"; values that are not
/// finite numbers above zero are read as `None`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cooldowns {
    pub billing_backoff_hours: Option<f64>,
    pub billing_backoff_hours_by_provider: OrderedMap<f64>,
    pub billing_max_hours: Option<f64>,
    pub failure_window_hours: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelsConfig {
    /// `agents.defaults.model` (a string, or `primary` of an object).
    pub primary: Option<String>,
    pub fallbacks: Vec<String>,
    pub image_primary: Option<String>,
    pub image_fallbacks: Vec<String>,
    /// `agents.defaults.models`: model key -> alias, in file order.
    pub allowed: OrderedMap<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentEntry {
    pub id: String,
    pub default: bool,
    pub agent_dir: Option<String>,
}
