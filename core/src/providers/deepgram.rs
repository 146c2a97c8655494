//! Deepgram. An API key only (spec §2.6).

use super::ProviderSpec;

pub const ID: &str = "deepgram";

pub const SPEC: ProviderSpec = ProviderSpec { env_vars: &["DEEPGRAM_API_KEY"], ..ProviderSpec::new(ID) };
