//! Moonshot (Kimi API). An API key only (spec §2.6).

use super::ProviderSpec;

pub const ID: &str = "moonshot";

pub const SPEC: ProviderSpec = ProviderSpec { env_vars: &["MOONSHOT_API_KEY"], ..ProviderSpec::new(ID) };
