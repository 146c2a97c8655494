//! Google AI Studio (Gemini API keys). An API key only (spec §2.6).

use super::ProviderSpec;

pub const ID: &str = "google";

pub const SPEC: ProviderSpec = ProviderSpec { env_vars: &["GEMINI_API_KEY"], env_probe: true, ..ProviderSpec::new(ID) };
