//! Z.AI (GLM). An API key only (spec §2.6); its id has several spellings.

use super::ProviderSpec;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "zai";

/// The variable its key is read from, and handed out in (`models auth token
/// --format env`): what its clients read.
pub const KEY_VAR: &str = "ZAI_API_KEY";

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec {
    // The reference's `normalizeProviderId` folds these into `zai` (A34).
    aliases: &["z.ai", "z-ai"],
    ..ProviderSpec::api_key(ID, &[KEY_VAR, "Z_AI_API_KEY"], &[])
};
