//! MiniMax. An API key only (spec §2.6).

use super::ProviderSpec;
use super::probe::Probe;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "minimax";

/// The variable its key is read from, and handed out in (`models auth token
/// --format env`): what its clients read.
pub const KEY_VAR: &str = "MINIMAX_API_KEY";

/// Its API server (`CLAWDBOT_API_URL_MINIMAX` replaces it).
pub const API_ORIGIN: &str = "https://api.minimax.io";

/// `models status --probe`: MiniMax has no read that needs the key, so the
/// smallest completion of MiniMax-M2 on its OpenAI-compatible API (the
/// global host; `CLAWDBOT_API_URL_MINIMAX=https://api.minimaxi.com` for a
/// key of the China platform).
pub const PROBES: &[Probe] = &[Probe::completion(API_ORIGIN, "/v1/chat/completions", "MiniMax-M2")];

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec::keyed(ID, &[KEY_VAR], PROBES);
