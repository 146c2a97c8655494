//! Venice. An API key only (spec §2.6).

use super::ProviderSpec;

pub const ID: &str = "venice";

pub const SPEC: ProviderSpec = ProviderSpec { env_vars: &["VENICE_API_KEY"], ..ProviderSpec::new(ID) };
