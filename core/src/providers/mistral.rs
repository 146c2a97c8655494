//! Mistral. An API key only (spec §2.6).

use super::ProviderSpec;

pub const ID: &str = "mistral";

pub const SPEC: ProviderSpec =
    ProviderSpec { env_vars: &["MISTRAL_API_KEY"], env_probe: true, ..ProviderSpec::new(ID) };
