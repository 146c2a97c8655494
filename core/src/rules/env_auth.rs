//! Keys from the environment and the config (spec §2.6, A29-A33).

use crate::config::Config;
use crate::dotenv::Applied;
use crate::paths::Env;
use crate::provider::ProviderId;
use crate::secret::Secret;

/// Which variables hold a provider's key, in priority order (ref table plus
/// the later providers of §5 item 20; each provider's file lists its own).
/// `ANTHROPIC_OAUTH_TOKEN` comes first.
#[cfg(test)]
pub fn env_vars_for(provider: &str) -> &'static [&'static str] {
    crate::providers::find(provider).map_or(&[], |p| p.env_vars)
}

/// Whether `name` is a variable some provider's key is read from.
pub fn is_key_var(name: &str) -> bool {
    crate::providers::PROVIDERS.iter().any(|p| p.env_vars.contains(&name))
}

/// What to do about a key a `.env` file holds that can be no key.
pub const FLAWED_KEY_HINT: &str =
    "Write the key on one line, exactly as the provider issued it, and save the file as UTF-8.";

/// Applies a `.env` file read from `path` (`shown` as messages show it) to
/// `env` (see [`crate::dotenv::apply`]), by the one rule for a key found
/// there (issue 23 item 9): a key variable whose value is not UTF-8 or holds
/// control characters is no key, for every command (`models status`,
/// `--check`, `token`, `doctor`). It is left out, as if the line were not
/// there, and a warning names the file and the line (never the value).
/// Other variables are applied as the gateway reads them.
pub fn apply_dotenv(
    env: &mut Env,
    file: &crate::dotenv::DotenvFile,
    path: &str,
    shown: &str,
    applied: &mut Applied,
) -> Vec<crate::diag::Diagnostic> {
    let unusable = |name: &str| is_key_var(name) && file.flaw_of(name).is_some();
    crate::dotenv::apply(env, file, shown, applied, unusable);
    if file.vars.iter().any(|(name, _)| is_key_var(name)) && !applied.holding_keys.iter().any(|p| p == path) {
        applied.holding_keys.push(path.to_string());
    }
    file.flawed
        .iter()
        .filter(|f| is_key_var(&f.name))
        .map(|f| {
            let message = format!("line {}: the value of {} {}; not used as a key", f.line, f.name, f.flaw.words());
            crate::diag::Diagnostic::new(crate::diag::Severity::Warning, shown, message).with_hint(FLAWED_KEY_HINT)
        })
        .collect()
}

/// Providers `models status` probes for env keys even when nothing else
/// mentions them, in the order it lists them.
pub fn env_probe_providers() -> impl Iterator<Item = &'static str> {
    crate::providers::env_probed()
}

/// A key found outside the store.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundKey {
    /// The key, or for an OAuth variable the token.
    pub value: Secret,
    /// `env: VAR`, `shell env: VAR`, `gcloud adc` or `models.json`.
    pub source: String,
}

impl FoundKey {
    /// Whether it is an OAuth token rather than an API key (`resolveModelAuthMode`).
    /// Only the variable's part of the source counts: the `.env` file named
    /// after it (`env: OPENAI_API_KEY (~/oauth/.env)`) says nothing of the key.
    pub fn is_oauth(&self) -> bool {
        let named = self.source.split(" (").next().unwrap_or_default();
        named.contains("OAUTH_TOKEN") || named.to_lowercase().contains("oauth")
    }
}

/// The env key of a provider: the first variable set (trimmed, non-empty).
/// `shell_applied` lists variables the shell-env fallback imported.
pub fn env_key(provider: &str, env: &Env, shell_applied: &[String], gcloud_adc: bool) -> Option<FoundKey> {
    env_key_from(provider, env, shell_applied, &Applied::default(), gcloud_adc)
}

/// [`env_key`], naming the `.env` file a variable came from:
/// `env: ANTHROPIC_API_KEY (~/.clawdbot/.env)`.
pub fn env_key_from(
    provider: &str,
    env: &Env,
    shell_applied: &[String],
    dotenv: &Applied,
    gcloud_adc: bool,
) -> Option<FoundKey> {
    // The registry is looked up once (every agent probes every provider).
    let spec = crate::providers::find(provider);
    if spec.is_some_and(|p| p.gcloud_adc) {
        return gcloud_adc.then(|| FoundKey { value: Secret::new("<authenticated>"), source: "gcloud adc".into() });
    }
    spec.map_or(&[][..], |p| p.env_vars).iter().find_map(|var| {
        let value = env.get(var)?;
        let source = match dotenv.origin(var) {
            _ if shell_applied.iter().any(|a| a == var) => format!("shell env: {var}"),
            Some(file) => format!("env: {var} ({file})"),
            None => format!("env: {var}"),
        };
        Some(FoundKey { value: Secret::new(value), source })
    })
}

/// Whether [`env_key_from`] finds a key for `provider`: the same test,
/// without making the key and the words of its source (the report asks
/// it of every provider it probes, for every agent).
pub fn has_env_key(provider: &str, env: &Env, gcloud_adc: bool) -> bool {
    match crate::providers::find(provider) {
        Some(p) if p.gcloud_adc => gcloud_adc,
        Some(p) => p.env_vars.iter().any(|var| env.get(var).is_some()),
        None => false,
    }
}

/// The env-probed providers ([`env_probe_providers`]) an environment holds
/// a key for ([`has_env_key`] of each, in listing order): the same for
/// every agent of a run, so a load made over what the run shares carries
/// the one made for it. Tied to the variables it was made from: an
/// environment changed since (the shell fallback's keys) is probed again.
#[derive(Debug, Clone)]
pub struct EnvProbe {
    vars: std::sync::Arc<std::collections::BTreeMap<String, String>>,
    gcloud_adc: bool,
    found: Vec<&'static str>,
    /// Every registered provider that [`has_env_key`], env-probed or not:
    /// the report asks [`env_key_from`] only of these (each agent's report
    /// asks of every provider it lists).
    keyed: Vec<&'static str>,
}

impl EnvProbe {
    /// Probes `env` (Google's ADC present or not: `gcloud_adc`).
    pub fn of(env: &Env, gcloud_adc: bool) -> EnvProbe {
        let keyed: Vec<&'static str> =
            crate::providers::PROVIDERS.iter().map(|p| p.id).filter(|p| has_env_key(p, env, gcloud_adc)).collect();
        // The env-probed ones among them, in listing order.
        let found = env_probe_providers().filter(|p| keyed.contains(p)).collect();
        EnvProbe { vars: std::sync::Arc::clone(&env.vars), gcloud_adc, found, keyed }
    }

    /// Whether this probe was made of `env`'s very variables and the same
    /// ADC answer; when not, it must be made again.
    pub fn made_of(&self, env: &Env, gcloud_adc: bool) -> bool {
        std::sync::Arc::ptr_eq(&self.vars, &env.vars) && self.gcloud_adc == gcloud_adc
    }

    /// The providers found, if this probe was made of `env`
    /// ([`EnvProbe::made_of`]); `None` when it must be made again.
    pub fn found_in(&self, env: &Env, gcloud_adc: bool) -> Option<&[&'static str]> {
        self.made_of(env, gcloud_adc).then_some(&self.found[..])
    }

    /// Whether [`env_key_from`] can find a key for `provider` (a normalised
    /// id) in the environment this probe was made of.
    pub fn holds_key(&self, provider: &str) -> bool {
        self.keyed.contains(&provider)
    }
}

/// `models.providers.<provider>.apiKey` of the config (normalised lookup).
pub fn config_key(provider: &str, config: &Config) -> Option<Secret> {
    // Most configs name no key: nothing to normalise `provider` for.
    if config.provider_keys.is_empty() {
        return None;
    }
    let want = ProviderId::parse(provider);
    config.provider_keys.iter().find(|(k, _)| want.names(k)).map(|(_, v)| Secret::new(v.clone()))
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

/// Switches the shell-env fallback on (1/true/yes/on).
pub const LOAD_SHELL_ENV: &str = "CLAWDBOT_LOAD_SHELL_ENV";

/// Whether the shell-env fallback is switched on: `CLAWDBOT_LOAD_SHELL_ENV`
/// (1/true/yes/on) or the config's `env.shellEnv.enabled` (A32).
pub fn shell_env_enabled(env: &Env, config: &Config) -> bool {
    config.shell_env_enabled
        || env
            .get(LOAD_SHELL_ENV)
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
            std::sync::Arc::make_mut(&mut env.vars).insert(name.to_string(), value.to_string());
            applied.push(name.to_string());
        }
    }
    applied.sort_by_key(|n| SHELL_ENV_EXPECTED_KEYS.iter().position(|k| k == n));
    applied
}

/// One run of the shell-env fallback: the command the login shell runs,
/// and how its output is read.
///
/// A login shell's profile may print anything (a banner, a `fortune`, a
/// motd) before or after the command. The environment is therefore framed
/// by two markers unique to the run, and only what lies between them is
/// read; output without the markers imports nothing and says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellEnvProbe {
    marker: String,
}

/// What reading a login shell's output found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellEnvRead {
    /// These expected keys were imported, in table order.
    Imported(Vec<String>),
    /// The environment came back, with none of the expected keys set.
    NoneSet,
    /// The output held no framed environment (the shell did not run the
    /// command, or its `env` has no `-0`).
    NoEnvironment,
}

impl ShellEnvRead {
    /// The names imported (none unless [`ShellEnvRead::Imported`]).
    pub fn imported(self) -> Vec<String> {
        match self {
            ShellEnvRead::Imported(names) => names,
            _ => Vec::new(),
        }
    }

    /// What to warn about, when nothing was imported.
    pub fn warning(&self, shell: &str) -> Option<String> {
        let shell = crate::escape::escape_control(shell);
        match self {
            ShellEnvRead::Imported(_) => None,
            ShellEnvRead::NoneSet => Some(format!(
                "shell env fallback: the login shell ({shell}) sets none of {}; nothing imported",
                SHELL_ENV_EXPECTED_KEYS.join(", ")
            )),
            ShellEnvRead::NoEnvironment => Some(format!(
                "shell env fallback: {shell} -l -c printed no environment (does its `env` know -0?); nothing imported"
            )),
        }
    }
}

impl ShellEnvProbe {
    /// `nonce` makes the markers unique to the run (the host passes
    /// something like its pid and the time), so no banner can forge them.
    pub fn new(nonce: u64) -> Self {
        ShellEnvProbe { marker: format!("CLAWDBOT-SHELL-ENV-{nonce:016x}") }
    }

    /// The `-c` argument: the environment, NUL-separated, between the
    /// markers. Only `printf` and `env -0`, which every POSIX-ish shell
    /// (fish included) runs the same way; the marker needs no quoting.
    pub fn command(&self) -> String {
        let m = &self.marker;
        format!("printf '\\000{m}-BEGIN\\000'; env -0; printf '\\000{m}-END\\000'")
    }

    /// Imports the expected keys found between the markers into `env`.
    pub fn read(&self, env: &mut Env, output: &[u8]) -> ShellEnvRead {
        let begin = format!("\0{}-BEGIN\0", self.marker);
        let end = format!("\0{}-END\0", self.marker);
        let Some(start) = find(output, begin.as_bytes()).map(|i| i + begin.len()) else {
            return ShellEnvRead::NoEnvironment;
        };
        let Some(len) = find(&output[start..], end.as_bytes()) else {
            return ShellEnvRead::NoEnvironment;
        };
        match apply_shell_env(env, &output[start..start + len]) {
            names if names.is_empty() => ShellEnvRead::NoneSet,
            names => ShellEnvRead::Imported(names),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
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

    #[test]
    fn only_the_framed_environment_is_read() {
        let probe = ShellEnvProbe::new(0xabc);
        assert_eq!(
            probe.command(),
            "printf '\\000CLAWDBOT-SHELL-ENV-0000000000000abc-BEGIN\\000'; env -0; \
             printf '\\000CLAWDBOT-SHELL-ENV-0000000000000abc-END\\000'"
        );
        let framed = |body: &[u8]| {
            let mut out = b"Welcome!\nOPENAI_API_KEY=sk-banner\0".to_vec();
            out.extend_from_slice(b"\0CLAWDBOT-SHELL-ENV-0000000000000abc-BEGIN\0");
            out.extend_from_slice(body);
            out.extend_from_slice(b"\0CLAWDBOT-SHELL-ENV-0000000000000abc-END\0bye\n");
            out
        };
        let mut env = Env::new("/h");
        let read = probe.read(&mut env, &framed(b"HOME=/x\0ANTHROPIC_API_KEY=sk-FAKE\0"));
        assert_eq!(read, ShellEnvRead::Imported(vec!["ANTHROPIC_API_KEY".into()]));
        assert!(env.get("OPENAI_API_KEY").is_none(), "nothing from outside the frame");
        assert_eq!(probe.read(&mut Env::new("/h"), &framed(b"HOME=/x\0")), ShellEnvRead::NoneSet);
        assert_eq!(probe.read(&mut Env::new("/h"), b"OPENAI_API_KEY=k\0"), ShellEnvRead::NoEnvironment);
        let other = ShellEnvProbe::new(1);
        assert_eq!(other.read(&mut Env::new("/h"), &framed(b"OPENAI_API_KEY=k\0")), ShellEnvRead::NoEnvironment);
        assert!(ShellEnvRead::NoneSet.warning("/bin/zsh").unwrap().contains("sets none of OPENAI_API_KEY"));
    }

    // Each test below pins a rule that a mutant once changed unnoticed
    // (issue 15).

    #[test]
    fn every_provider_s_variables_in_priority_order() {
        let table: &[(&str, &[&str])] = &[
            ("anthropic", &["ANTHROPIC_OAUTH_TOKEN", "ANTHROPIC_API_KEY"]),
            ("github-copilot", &["COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"]),
            ("openai", &["OPENAI_API_KEY"]),
            ("google", &["GEMINI_API_KEY"]),
            ("groq", &["GROQ_API_KEY"]),
            ("cerebras", &["CEREBRAS_API_KEY"]),
            ("xai", &["XAI_API_KEY"]),
            ("openrouter", &["OPENROUTER_API_KEY"]),
            ("minimax", &["MINIMAX_API_KEY"]),
            ("zai", &["ZAI_API_KEY", "Z_AI_API_KEY"]),
            ("mistral", &["MISTRAL_API_KEY"]),
            ("opencode-zen", &["OPENCODE_ZEN_API_KEY"]),
            ("opencode", &["OPENCODE_API_KEY", "OPENCODE_ZEN_API_KEY"]),
            ("chutes", &["CHUTES_OAUTH_TOKEN", "CHUTES_API_KEY"]),
            ("qwen-portal", &["QWEN_OAUTH_TOKEN", "QWEN_PORTAL_API_KEY"]),
            ("deepgram", &["DEEPGRAM_API_KEY"]),
            ("vercel-ai-gateway", &["AI_GATEWAY_API_KEY"]),
            ("moonshot", &["MOONSHOT_API_KEY"]),
            ("kimi-code", &["KIMICODE_API_KEY"]),
            ("synthetic", &["SYNTHETIC_API_KEY"]),
            ("venice", &["VENICE_API_KEY"]),
            ("openai-codex", &[]),
            ("google-vertex", &[]),
        ];
        for (provider, vars) in table {
            assert_eq!(env_vars_for(provider), *vars, "{provider}");
        }
        assert_eq!(env_vars_for(" OpenAI "), ["OPENAI_API_KEY"], "looked up by the normalised id");
    }

    /// The report's cheap probe answers as the full lookup does.
    #[test]
    fn has_env_key_is_whether_env_key_from_finds_one() {
        let env = Env::new("/h").with_var("GH_TOKEN", "gh-FAKE").with_var("OPENAI_API_KEY", " ");
        for gcloud in [false, true] {
            for p in crate::providers::PROVIDERS.iter().map(|p| p.id).chain([" GitHub-Copilot ", "nobody"]) {
                let found = env_key_from(p, &env, &[], &Applied::default(), gcloud).is_some();
                assert_eq!(has_env_key(p, &env, gcloud), found, "{p} {gcloud}");
            }
        }
        assert!(has_env_key("github-copilot", &env, false) && !has_env_key("openai", &env, false));
        // The probe the report asks first holds the same answer for every
        // registered provider (the report's ids are normalised).
        let env = env.with_var("ANTHROPIC_OAUTH_TOKEN", "sk-ant-oat-FAKE");
        for gcloud in [false, true] {
            let probe = EnvProbe::of(&env, gcloud);
            for p in crate::providers::PROVIDERS.iter().map(|p| p.id) {
                let found = env_key_from(p, &env, &[], &Applied::default(), gcloud).is_some();
                assert_eq!(probe.holds_key(p), found, "{p} {gcloud}");
            }
            assert!(!probe.holds_key("nobody"));
        }
    }

    #[test]
    fn the_first_variable_set_wins_and_says_where_it_came_from() {
        let env = Env::new("/h").with_var("GH_TOKEN", "gh-FAKE").with_var("GITHUB_TOKEN", "gt-FAKE");
        let k = env_key("github-copilot", &env, &[], false).unwrap();
        assert_eq!(k, FoundKey { value: Secret::new("gh-FAKE"), source: "env: GH_TOKEN".into() });
        assert!(!k.is_oauth());
        let k = env_key("github-copilot", &env, &["GITHUB_TOKEN".into()], false).unwrap();
        assert_eq!(k.source, "env: GH_TOKEN", "another variable's shell import does not relabel this one");
        let mut dotenv = Applied::default();
        dotenv.origins.insert("GH_TOKEN".into(), "~/.clawdbot/.env".into());
        let k = env_key_from("github-copilot", &env, &[], &dotenv, false).unwrap();
        assert_eq!(k.source, "env: GH_TOKEN (~/.clawdbot/.env)");
        let k = env_key_from("github-copilot", &env, &["GH_TOKEN".into()], &dotenv, false).unwrap();
        assert_eq!(k.source, "shell env: GH_TOKEN", "the shell import is named first");
        assert_eq!(env_key("google-vertex", &env, &[], false), None, "no ADC, no key");
        assert_eq!(
            env_key("Google-Vertex", &env, &[], true),
            Some(FoundKey { value: Secret::new("<authenticated>"), source: "gcloud adc".into() })
        );
        assert_eq!(env_key("openai", &env, &[], true), None, "ADC is only Vertex's");
    }

    #[test]
    fn an_oauth_source_is_one_that_names_oauth() {
        let key = |source: &str| FoundKey { value: Secret::new("FAKE"), source: source.into() };
        assert!(key("env: CHUTES_OAUTH_TOKEN").is_oauth());
        assert!(key("OAuth (env)").is_oauth());
        assert!(!key("env: CHUTES_API_KEY").is_oauth());
        assert!(!key("gcloud adc").is_oauth());
    }

    #[test]
    fn a_key_from_a_dotenv_file_in_an_oauth_folder_is_still_a_key() {
        // Regression (issue 15): the source names the `.env` file, and a
        // folder called `oauth` made an API key count as an OAuth token.
        let env = Env::new("/h").with_var("OPENAI_API_KEY", "sk-FAKE-0123456789");
        let mut dotenv = Applied::default();
        dotenv.origins.insert("OPENAI_API_KEY".into(), "~/oauth/.env".into());
        let k = env_key_from("openai", &env, &[], &dotenv, false).unwrap();
        assert_eq!(k.source, "env: OPENAI_API_KEY (~/oauth/.env)");
        assert!(!k.is_oauth());
        let env = Env::new("/h").with_var("ANTHROPIC_OAUTH_TOKEN", "sk-ant-oat01-FAKE");
        dotenv.origins.insert("ANTHROPIC_OAUTH_TOKEN".into(), "~/keys/.env".into());
        assert!(env_key_from("anthropic", &env, &[], &dotenv, false).unwrap().is_oauth());
    }

    #[test]
    fn the_config_key_is_found_by_normalised_provider() {
        let mut cfg = Config::default();
        cfg.provider_keys.insert("Custom".into(), "sk-FAKE-custom".into());
        cfg.provider_keys.insert("other".into(), "sk-FAKE-other".into());
        assert_eq!(config_key(" custom ", &cfg), Some(Secret::new("sk-FAKE-custom")));
        assert_eq!(config_key("other", &cfg), Some(Secret::new("sk-FAKE-other")));
        assert_eq!(config_key("missing", &cfg), None);
    }

    #[test]
    fn the_shell_runs_only_when_enabled_and_no_expected_key_is_set() {
        let on = Config { shell_env_enabled: true, ..Config::default() };
        let off = Config::default();
        let empty = Env::new("/h");
        assert!(shell_env_enabled(&empty, &on));
        assert!(!shell_env_enabled(&empty, &off));
        for yes in ["1", "true", "YES", "on"] {
            assert!(shell_env_enabled(&empty.clone().with_var("CLAWDBOT_LOAD_SHELL_ENV", yes), &off), "{yes}");
        }
        for no in ["0", "off", "", "2"] {
            assert!(!shell_env_enabled(&empty.clone().with_var("CLAWDBOT_LOAD_SHELL_ENV", no), &off), "{no}");
        }
        assert!(shell_env_needed(&empty, &on));
        assert!(!shell_env_needed(&empty, &off));
        for key in SHELL_ENV_EXPECTED_KEYS {
            assert!(!shell_env_needed(&empty.clone().with_var(key, "FAKE"), &on), "{key}");
        }
        assert!(shell_env_needed(&empty.clone().with_var("GROQ_API_KEY", "FAKE"), &on), "not an expected key");
    }

    #[test]
    fn imports_keep_a_set_variable_and_sort_by_the_table() {
        let mut env = Env::new("/h").with_var("OPENAI_API_KEY", "sk-FAKE-set");
        let out = b"MINIMAX_API_KEY=m\0OPENAI_API_KEY=sk-FAKE-shell\0NOEQUALS\0ANTHROPIC_API_KEY=a\0\xff=x\0";
        assert_eq!(apply_shell_env(&mut env, out), ["ANTHROPIC_API_KEY", "MINIMAX_API_KEY"]);
        assert_eq!(env.get("OPENAI_API_KEY"), Some("sk-FAKE-set"));
        assert_eq!(env.get("MINIMAX_API_KEY"), Some("m"));
        assert_eq!(apply_shell_env(&mut Env::new("/h"), b"ZAI_API_KEY=\0"), Vec::<String>::new());
    }

    #[test]
    fn the_frame_is_read_exactly_and_each_outcome_warns_in_its_words() {
        let probe = ShellEnvProbe::new(7);
        let begin = b"\0CLAWDBOT-SHELL-ENV-0000000000000007-BEGIN\0";
        let end = b"\0CLAWDBOT-SHELL-ENV-0000000000000007-END\0";
        let mut out = begin.to_vec();
        out.extend_from_slice(b"OPENAI_API_KEY=sk-FAKE\0ZAI_API_KEY=z");
        out.extend_from_slice(end);
        out.extend_from_slice(b"GEMINI_API_KEY=after\0");
        let mut env = Env::new("/h");
        let read = probe.read(&mut env, &out);
        assert_eq!(read.clone().imported(), ["OPENAI_API_KEY", "ZAI_API_KEY"]);
        assert_eq!(env.get("ZAI_API_KEY"), Some("z"), "the value ends where the frame does");
        assert_eq!(env.get("GEMINI_API_KEY"), None);
        assert_eq!(read.warning("sh"), None);
        let mut only_begin = begin.to_vec();
        only_begin.extend_from_slice(b"OPENAI_API_KEY=k\0");
        assert_eq!(probe.read(&mut Env::new("/h"), &only_begin), ShellEnvRead::NoEnvironment);
        assert_eq!(ShellEnvRead::NoneSet.imported(), Vec::<String>::new());
        assert_eq!(
            ShellEnvRead::NoneSet.warning("/bin/zsh").unwrap(),
            "shell env fallback: the login shell (/bin/zsh) sets none of OPENAI_API_KEY, ANTHROPIC_API_KEY, \
             ANTHROPIC_OAUTH_TOKEN, GEMINI_API_KEY, ZAI_API_KEY, OPENROUTER_API_KEY, MINIMAX_API_KEY; nothing imported"
        );
        assert_eq!(
            ShellEnvRead::NoEnvironment.warning("fish\x1b[2J").unwrap(),
            "shell env fallback: fish\\u{1b}[2J -l -c printed no environment (does its `env` know -0?); nothing imported"
        );
        assert_eq!(find(b"abcabc", b"ca"), Some(2));
        assert_eq!(find(b"abc", b"x"), None);
    }
}
