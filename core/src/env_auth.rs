//! Keys from the environment and the config (spec §2.6, A29-A33).

use crate::config::Config;
use crate::paths::Env;
use crate::provider::normalize;
use crate::secret::Secret;

/// Which variables hold a provider's key, in priority order (ref table plus
/// the later providers of §5 item 20). `ANTHROPIC_OAUTH_TOKEN` comes first.
pub fn env_vars_for(provider: &str) -> &'static [&'static str] {
    match normalize(provider).as_str() {
        "anthropic" => &["ANTHROPIC_OAUTH_TOKEN", "ANTHROPIC_API_KEY"],
        "github-copilot" => &["COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"],
        "openai" => &["OPENAI_API_KEY"],
        "google" => &["GEMINI_API_KEY"],
        "groq" => &["GROQ_API_KEY"],
        "cerebras" => &["CEREBRAS_API_KEY"],
        "xai" => &["XAI_API_KEY"],
        "openrouter" => &["OPENROUTER_API_KEY"],
        "minimax" => &["MINIMAX_API_KEY"],
        "zai" => &["ZAI_API_KEY", "Z_AI_API_KEY"],
        "mistral" => &["MISTRAL_API_KEY"],
        "opencode-zen" => &["OPENCODE_ZEN_API_KEY"],
        "opencode" => &["OPENCODE_API_KEY", "OPENCODE_ZEN_API_KEY"],
        "chutes" => &["CHUTES_OAUTH_TOKEN", "CHUTES_API_KEY"],
        "qwen-portal" => &["QWEN_OAUTH_TOKEN", "QWEN_PORTAL_API_KEY"],
        "deepgram" => &["DEEPGRAM_API_KEY"],
        "vercel-ai-gateway" => &["AI_GATEWAY_API_KEY"],
        "moonshot" => &["MOONSHOT_API_KEY"],
        "kimi-code" => &["KIMICODE_API_KEY"],
        "synthetic" => &["SYNTHETIC_API_KEY"],
        "venice" => &["VENICE_API_KEY"],
        _ => &[],
    }
}

/// Providers `models status` probes for env keys even when nothing else
/// mentions them.
pub const ENV_PROBE_PROVIDERS: &[&str] = &[
    "anthropic",
    "github-copilot",
    "google-vertex",
    "openai",
    "google",
    "groq",
    "cerebras",
    "xai",
    "openrouter",
    "zai",
    "mistral",
    "synthetic",
];

/// A key found outside the store.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundKey {
    pub value: Secret,
    /// `env: VAR`, `shell env: VAR`, `gcloud adc` or `models.json`.
    pub source: String,
}

impl FoundKey {
    /// Whether it is an OAuth token rather than an API key (`resolveModelAuthMode`).
    pub fn is_oauth(&self) -> bool {
        self.source.contains("OAUTH_TOKEN") || self.source.to_lowercase().contains("oauth")
    }
}

/// The env key of a provider: the first variable set (trimmed, non-empty).
/// `shell_applied` lists variables the shell-env fallback imported.
pub fn env_key(provider: &str, env: &Env, shell_applied: &[String], gcloud_adc: bool) -> Option<FoundKey> {
    if normalize(provider) == "google-vertex" {
        return gcloud_adc.then(|| FoundKey { value: Secret::new("<authenticated>"), source: "gcloud adc".into() });
    }
    env_vars_for(provider).iter().find_map(|var| {
        let value = env.get(var)?;
        let origin = if shell_applied.iter().any(|a| a == var) { "shell env" } else { "env" };
        Some(FoundKey { value: Secret::new(value), source: format!("{origin}: {var}") })
    })
}

/// `models.providers.<provider>.apiKey` of the config (normalised lookup).
pub fn config_key(provider: &str, config: &Config) -> Option<Secret> {
    let want = normalize(provider);
    config.provider_keys.iter().find(|(k, _)| normalize(k) == want).map(|(_, v)| Secret::new(v.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_token_wins_and_blank_is_absent() {
        let env = Env::new("/h").with_var("ANTHROPIC_API_KEY", "sk-a").with_var("ANTHROPIC_OAUTH_TOKEN", " ");
        let k = env_key("anthropic", &env, &[], false).unwrap();
        assert_eq!(k.source, "env: ANTHROPIC_API_KEY");
        let env = env.with_var("ANTHROPIC_OAUTH_TOKEN", "sk-ant-oat01-FAKE");
        let k = env_key("Anthropic", &env, &["ANTHROPIC_OAUTH_TOKEN".into()], false).unwrap();
        assert_eq!(k.source, "shell env: ANTHROPIC_OAUTH_TOKEN");
        assert!(k.is_oauth());
        assert!(env_key("openai-codex", &env, &[], false).is_none());
        assert_eq!(env_key("google-vertex", &env, &[], true).unwrap().source, "gcloud adc");
    }
}
