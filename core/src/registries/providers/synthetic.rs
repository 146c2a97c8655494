//! Synthetic. An API key only (spec §2.6).

use super::ProviderSpec;
use super::probe::Probe;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "synthetic";

/// The variable its key is read from, and handed out in (`models auth token
/// --format env`): what its clients read.
pub const KEY_VAR: &str = "SYNTHETIC_API_KEY";

/// Its API server (`CLAWDBOT_API_URL_SYNTHETIC` replaces it).
pub const API_ORIGIN: &str = "https://api.synthetic.new";

/// `models status --probe`: the subscription's quotas, read-only; Synthetic
/// does not count the call against them.
pub const PROBES: &[Probe] = &[Probe::get(API_ORIGIN, "/v2/quotas")];

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec::api_key(ID, &[KEY_VAR], PROBES);
