//! Kimi Code. An API key only (spec §2.6).

use super::ProviderSpec;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "kimi-code";

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec { env_vars: &["KIMICODE_API_KEY"], ..ProviderSpec::new(ID) };
