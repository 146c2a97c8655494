//! OpenAI's API. An API key only (spec §2.6): a ChatGPT login is the
//! separate provider `openai-codex`.

use super::probe::Probe;
use super::{NoKeyHint, ProviderSpec};

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "openai";

/// The variable its key is read from, and handed out in (`models auth token
/// --format env`): what its clients read.
pub const KEY_VAR: &str = "OPENAI_API_KEY";

/// Its API server (`CLAWDBOT_API_URL_OPENAI` replaces it).
pub const API_ORIGIN: &str = "https://api.openai.com";

/// `models status --probe`: its model list, read-only and free.
pub const PROBES: &[Probe] = &[Probe::get(API_ORIGIN, "/v1/models")];

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec {
    // Someone with a Codex login asking for `openai` usually wants the
    // Codex provider; the reference's words.
    no_key_hint: Some(NoKeyHint {
        when_logged_in_to: super::openai_codex::ID,
        message: "No API key found for provider \"openai\". You are authenticated with OpenAI Codex OAuth. Use \
                  openai-codex/gpt-5.2 (ChatGPT OAuth) or set OPENAI_API_KEY for openai/gpt-5.2.",
    }),
    ..ProviderSpec::api_key(ID, &[KEY_VAR], PROBES)
};
