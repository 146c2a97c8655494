//! Provider ids as the rules compare them.

/// The reference's `normalizeProviderId`: trimmed, lower-cased, and the
/// z.ai spellings folded into `zai` (A34).
pub fn normalize(provider: &str) -> String {
    let p = provider.trim().to_lowercase();
    match p.as_str() {
        "z.ai" | "z-ai" => "zai".to_string(),
        _ => p,
    }
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
    }
}
