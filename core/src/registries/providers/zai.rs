//! Z.AI (GLM). An API key only (spec §2.6); its id has several spellings.

use super::ProviderSpec;
use super::probe::Probe;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "zai";

/// The variable its key is read from, and handed out in (`models auth token
/// --format env`): what its clients read.
pub const KEY_VAR: &str = "ZAI_API_KEY";

/// Its API server (`CLAWDBOT_API_URL_ZAI` replaces it).
pub const API_ORIGIN: &str = "https://api.z.ai";

/// `models status --probe`: Z.AI has no read that needs the key, so the
/// smallest completion of GLM-4.5-Flash, its free model.
pub const PROBES: &[Probe] = &[Probe::completion(API_ORIGIN, "/api/paas/v4/chat/completions", "glm-4.5-flash")];

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec {
    // The reference's `normalizeProviderId` folds these into `zai` (A34).
    aliases: &["z.ai", "z-ai"],
    ..ProviderSpec::api_key(ID, &[KEY_VAR, "Z_AI_API_KEY"], PROBES)
};
