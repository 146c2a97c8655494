//! OpenCode Zen. An API key only (spec §2.6).
//!
//! No probe ("no cheap check"), for the reasons `opencode` has none.

use super::ProviderSpec;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "opencode-zen";

/// The variable its key is read from, and handed out in (`models auth token
/// --format env`): what its clients read.
pub const KEY_VAR: &str = "OPENCODE_ZEN_API_KEY";

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec::keyed(ID, &[KEY_VAR], &[]);
