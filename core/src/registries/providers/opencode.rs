//! OpenCode, which also accepts an OpenCode Zen key. An API key only (spec §2.6).

use super::ProviderSpec;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "opencode";

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec =
    ProviderSpec { env_vars: &["OPENCODE_API_KEY", "OPENCODE_ZEN_API_KEY"], ..ProviderSpec::new(ID) };
