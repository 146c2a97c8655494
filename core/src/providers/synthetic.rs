//! Synthetic. An API key only (spec §2.6).

use super::ProviderSpec;

pub const ID: &str = "synthetic";

pub const SPEC: ProviderSpec =
    ProviderSpec { env_vars: &["SYNTHETIC_API_KEY"], env_probe: true, ..ProviderSpec::new(ID) };
