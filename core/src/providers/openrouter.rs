//! OpenRouter. An API key only (spec §2.6).

use super::ProviderSpec;

pub const ID: &str = "openrouter";

pub const SPEC: ProviderSpec =
    ProviderSpec { env_vars: &["OPENROUTER_API_KEY"], env_probe: true, ..ProviderSpec::new(ID) };
