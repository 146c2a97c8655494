//! OpenCode, which also accepts an OpenCode Zen key. An API key only (spec §2.6).
//!
//! No probe ("no cheap check"): Zen's model list answers without a key,
//! its free models answer only OpenCode's own client, and every other
//! request is billed per request, whatever its size.

use super::ProviderSpec;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "opencode";

/// The variable its key is read from, and handed out in (`models auth token
/// --format env`): what its clients read.
pub const KEY_VAR: &str = "OPENCODE_API_KEY";

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec::keyed(ID, &[KEY_VAR, "OPENCODE_ZEN_API_KEY"], &[]);
