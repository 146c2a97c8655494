//! Cerebras. An API key only (spec §2.6).

use super::ProviderSpec;

pub const ID: &str = "cerebras";

pub const SPEC: ProviderSpec =
    ProviderSpec { env_vars: &["CEREBRAS_API_KEY"], env_probe: true, ..ProviderSpec::new(ID) };
