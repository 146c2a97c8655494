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

/// The keys the shell-env fallback may import (the model keys of the
/// reference's `SHELL_ENV_EXPECTED_KEYS`); nothing else from a login shell
/// reaches the process.
pub const SHELL_ENV_EXPECTED_KEYS: &[&str] = &[
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_OAUTH_TOKEN",
    "GEMINI_API_KEY",
    "ZAI_API_KEY",
    "OPENROUTER_API_KEY",
    "MINIMAX_API_KEY",
];

/// Whether the shell-env fallback is switched on: `CLAWDBOT_LOAD_SHELL_ENV`
/// (1/true/yes/on) or the config's `env.shellEnv.enabled` (A32).
pub fn shell_env_enabled(env: &Env, config: &Config) -> bool {
    config.shell_env_enabled
        || env
            .get("CLAWDBOT_LOAD_SHELL_ENV")
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
}

/// Whether to run the login shell now: enabled, and none of the expected
/// keys is already set (the reference's rule: a service started with its
/// keys does not need a shell).
pub fn shell_env_needed(env: &Env, config: &Config) -> bool {
    shell_env_enabled(env, config) && SHELL_ENV_EXPECTED_KEYS.iter().all(|k| env.get(k).is_none())
}

/// Imports the expected keys from `env -0` output (NUL-separated
/// `NAME=value`) into `env`; returns the names applied, in table order.
pub fn apply_shell_env(env: &mut Env, output: &[u8]) -> Vec<String> {
    let mut applied = Vec::new();
    for entry in output.split(|b| *b == 0) {
        let Ok(entry) = std::str::from_utf8(entry) else { continue };
        let Some((name, value)) = entry.split_once('=') else { continue };
        if SHELL_ENV_EXPECTED_KEYS.contains(&name) && env.get(name).is_none() && !value.trim().is_empty() {
            env.vars.insert(name.to_string(), value.to_string());
            applied.push(name.to_string());
        }
    }
    applied.sort_by_key(|n| SHELL_ENV_EXPECTED_KEYS.iter().position(|k| k == n));
    applied
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

    #[test]
    fn shell_env_imports_only_expected_unset_keys() {
        let mut cfg = Config::default();
        let mut env = Env::new("/h");
        assert!(!shell_env_needed(&env, &cfg));
        cfg.shell_env_enabled = true;
        assert!(shell_env_needed(&env, &cfg));
        let out = b"PATH=/evil\0OPENAI_API_KEY=sk-FAKE\0ANTHROPIC_API_KEY= \0GEMINI_API_KEY=g=1\0garbage\0";
        let applied = apply_shell_env(&mut env, out);
        assert_eq!(applied, ["OPENAI_API_KEY", "GEMINI_API_KEY"]);
        assert_eq!(env.get("GEMINI_API_KEY"), Some("g=1"));
        assert!(env.get("PATH").is_none(), "only model keys are imported");
        assert!(!shell_env_needed(&env, &cfg), "a key is set now");
        let env = Env::new("/h").with_var("CLAWDBOT_LOAD_SHELL_ENV", "Yes");
        assert!(shell_env_enabled(&env, &Config::default()));
    }
}
