//! OpenCode, which also accepts an OpenCode Zen key. An API key only (spec §2.6).

use super::ProviderSpec;

pub const ID: &str = "opencode";

pub const SPEC: ProviderSpec =
    ProviderSpec { env_vars: &["OPENCODE_API_KEY", "OPENCODE_ZEN_API_KEY"], ..ProviderSpec::new(ID) };
