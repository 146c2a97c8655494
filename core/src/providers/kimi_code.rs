//! Kimi Code. An API key only (spec §2.6).

use super::ProviderSpec;

pub const ID: &str = "kimi-code";

pub const SPEC: ProviderSpec = ProviderSpec { env_vars: &["KIMICODE_API_KEY"], ..ProviderSpec::new(ID) };
