//! MiniMax. An API key only (spec §2.6).

use super::ProviderSpec;

pub const ID: &str = "minimax";

pub const SPEC: ProviderSpec = ProviderSpec { env_vars: &["MINIMAX_API_KEY"], ..ProviderSpec::new(ID) };
