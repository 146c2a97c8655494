//! Deepgram. An API key only (spec §2.6).

use super::ProviderSpec;
use super::probe::{KeyIn, Probe};

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "deepgram";

/// The variable its key is read from, and handed out in (`models auth token
/// --format env`): what its clients read.
pub const KEY_VAR: &str = "DEEPGRAM_API_KEY";

/// Its API server (`CLAWDBOT_API_URL_DEEPGRAM` replaces it).
pub const API_ORIGIN: &str = "https://api.deepgram.com";

/// `models status --probe`: the projects the key can see; Deepgram wants `Authorization: Token <key>`, read-only and free.
pub const PROBES: &[Probe] = &[Probe { key_in: KeyIn::Scheme("Token"), ..Probe::get(API_ORIGIN, "/v1/projects") }];

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec::keyed(ID, &[KEY_VAR], PROBES);
