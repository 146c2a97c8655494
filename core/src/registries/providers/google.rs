//! Google AI Studio (Gemini API keys). An API key only (spec §2.6).

use super::ProviderSpec;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "google";

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec { env_vars: &["GEMINI_API_KEY"], env_probe: true, ..ProviderSpec::new(ID) };
