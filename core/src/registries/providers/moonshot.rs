//! Moonshot (Kimi API). An API key only (spec §2.6).

use super::ProviderSpec;
use super::probe::Probe;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "moonshot";

/// The variable its key is read from, and handed out in (`models auth token
/// --format env`): what its clients read.
pub const KEY_VAR: &str = "MOONSHOT_API_KEY";

/// Its API server (`CLAWDBOT_API_URL_MOONSHOT` replaces it).
pub const API_ORIGIN: &str = "https://api.moonshot.ai";

/// `models status --probe`: its model list, read-only and free.
pub const PROBES: &[Probe] = &[Probe::get(API_ORIGIN, "/v1/models")];

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec::keyed(ID, &[KEY_VAR], PROBES);
