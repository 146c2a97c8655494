//! Provider ids as the rules compare them.
//!
//! One rule everywhere (A34): two provider ids name the same provider when
//! their [`normalize`]d forms are equal. A store and a config that both say
//! `OpenRouter` once gave a false "Missing auth" because the report
//! compared them exactly while `models auth token` normalised; every
//! comparison now goes through [`same`] or [`normalized`].

use std::borrow::Cow;

/// The reference's `normalizeProviderId`: trimmed, lower-cased, and a
/// registered alias folded into its provider's id (`z.ai` → `zai`, A34;
/// the aliases live in `providers`).
pub fn normalize(provider: &str) -> String {
    normalized(provider).into_owned()
}

/// [`normalize`] without an allocation for an id that is already normal
/// (nearly every id in a store: reports call this once per profile).
pub fn normalized(provider: &str) -> Cow<'_, str> {
    let trimmed = provider.trim();
    let p: Cow<'_, str> = if trimmed.chars().any(char::is_uppercase) {
        Cow::Owned(trimmed.to_lowercase())
    } else {
        Cow::Borrowed(trimmed)
    };
    match crate::providers::alias_of(&p) {
        Some(id) => Cow::Borrowed(id),
        None => p,
    }
}

/// Whether two provider ids name the same provider.
pub fn same(a: &str, b: &str) -> bool {
    normalized(a) == normalized(b)
}

/// `CLAWDBOT_TOKEN_URL_<PROVIDER>`-style suffix: upper-cased, `-` and `.` as `_`.
pub fn env_suffix(provider: &str) -> String {
    normalize(provider).chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_space_and_zai_aliases() {
        assert_eq!(normalize(" Anthropic "), "anthropic");
        assert_eq!(normalize("Z.AI"), "zai");
        assert_eq!(normalize("z-ai"), "zai");
        assert_eq!(env_suffix("openai-codex"), "OPENAI_CODEX");
        assert!(matches!(normalized("openrouter"), Cow::Borrowed("openrouter")));
        assert!(same("OpenRouter", " openrouter") && same("Z.AI", "zai") && !same("openai", "openai-codex"));
    }
}
