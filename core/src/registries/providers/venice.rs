//! Venice. An API key only (spec §2.6).

use super::ProviderSpec;
use super::probe::Probe;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "venice";

/// The variable its key is read from, and handed out in (`models auth token
/// --format env`): what its clients read.
pub const KEY_VAR: &str = "VENICE_API_KEY";

/// Its API server (`CLAWDBOT_API_URL_VENICE` replaces it).
pub const API_ORIGIN: &str = "https://api.venice.ai";

/// `models status --probe`: the key's own balances and rate limits, read-only and free; an inference-only key may read it.
pub const PROBES: &[Probe] = &[Probe::get(API_ORIGIN, "/api/v1/api_keys/rate_limits")];

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec::keyed(ID, &[KEY_VAR], PROBES);
