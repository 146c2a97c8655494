//! Google AI Studio (Gemini API keys). An API key only (spec §2.6).

use super::ProviderSpec;
use super::probe::{KeyIn, Probe};

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "google";

/// The variable its key is read from, and handed out in (`models auth token
/// --format env`): what its clients read.
pub const KEY_VAR: &str = "GEMINI_API_KEY";

/// Its API server (`CLAWDBOT_API_URL_GOOGLE` replaces it).
pub const API_ORIGIN: &str = "https://generativelanguage.googleapis.com";

/// `models status --probe`: its model list, the key in a header (never in the URL, where logs keep it), read-only and free.
pub const PROBES: &[Probe] =
    &[Probe { key_in: KeyIn::Header("x-goog-api-key"), ..Probe::get(API_ORIGIN, "/v1beta/models") }];

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec::api_key(ID, &[KEY_VAR], PROBES);
