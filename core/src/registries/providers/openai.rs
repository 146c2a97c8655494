//! OpenAI's API. An API key only (spec §2.6): a ChatGPT login is the
//! separate provider `openai-codex`.

use super::{NoKeyHint, ProviderSpec};

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "openai";

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec {
    env_vars: &["OPENAI_API_KEY"],
    env_probe: true,
    // Someone with a Codex login asking for `openai` usually wants the
    // Codex provider; the reference's words.
    no_key_hint: Some(NoKeyHint {
        when_logged_in_to: super::openai_codex::ID,
        message: "No API key found for provider \"openai\". You are authenticated with OpenAI Codex OAuth. Use \
                  openai-codex/gpt-5.2 (ChatGPT OAuth) or set OPENAI_API_KEY for openai/gpt-5.2.",
    }),
    ..ProviderSpec::new(ID)
};
