//! Z.AI (GLM). An API key only (spec §2.6); its id has several spellings.

use super::ProviderSpec;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "zai";

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec {
    // The reference's `normalizeProviderId` folds these into `zai` (A34).
    aliases: &["z.ai", "z-ai"],
    env_vars: &["ZAI_API_KEY", "Z_AI_API_KEY"],
    env_probe: true,
    ..ProviderSpec::new(ID)
};
