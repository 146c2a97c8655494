//! OpenCode Zen. An API key only (spec §2.6).

use super::ProviderSpec;

pub const ID: &str = "opencode-zen";

pub const SPEC: ProviderSpec = ProviderSpec { env_vars: &["OPENCODE_ZEN_API_KEY"], ..ProviderSpec::new(ID) };
