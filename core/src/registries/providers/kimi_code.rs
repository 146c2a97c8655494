//! Kimi Code. An API key only (spec §2.6).

use super::ProviderSpec;
use super::probe::Probe;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "kimi-code";

/// The variable its key is read from, and handed out in (`models auth token
/// --format env`): what its clients read.
pub const KEY_VAR: &str = "KIMICODE_API_KEY";

/// Its API server (`CLAWDBOT_API_URL_KIMI_CODE` replaces it).
pub const API_ORIGIN: &str = "https://api.kimi.com";

/// `models status --probe`: Kimi Code's API has no read that needs the key,
/// so the smallest completion of `kimi-for-coding`, the model its
/// subscription keys are for (one request of the plan's allowance).
pub const PROBES: &[Probe] = &[Probe::completion(API_ORIGIN, "/coding/v1/chat/completions", "kimi-for-coding")];

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec::keyed(ID, &[KEY_VAR], PROBES);
