//! The `models status` report: one model, rendered as the reference's text
//! layout or as its `--json` document (spec §3.2), so every host prints the
//! same thing.

mod prometheus;
mod text;

pub use prometheus::render_prometheus;
/// A home with one of everything a report shows, for the tests of what is
/// made from a report (the view).
#[cfg(test)]
pub(crate) use text::tests::busy_home;
pub use text::{TextStyle, profile_status_line, render_text, status_words};

mod verdict;

pub use verdict::{CheckSection, Verdict};

use crate::config::Config;
use crate::env_auth::{EnvProbe, FoundKey, config_key, env_key_from};
use crate::health::{self, HealthRules, HealthSummary};
use crate::load::Loaded;
use crate::remaining::format_remaining_short;
use crate::store::{Credential, Profile};
use crate::usage::{Unusable, UnusableKind, unusable_profiles};
use serde::Serialize;

/// What `--check` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum CheckCode {
    /// Every provider in use has a usable credential.
    Ok = 0,
    /// Expired, missing or unreadable: a human must act.
    Action = 1,
    /// Something expires within the warning window.
    Expiring = 2,
}

impl CheckCode {
    /// The process exit code `--check` gives.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The worse of two (`--all-agents`): a human must act before
    /// anything expires soon, which comes before ok.
    pub fn worst(self, other: CheckCode) -> CheckCode {
        let rank = |c: CheckCode| match c {
            CheckCode::Ok => 0,
            CheckCode::Expiring => 1,
            CheckCode::Action => 2,
        };
        if rank(other) > rank(self) { other } else { self }
    }
}

/// What `models status` reports, in the reference's `--json` shape (camelCase
/// keys).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// The config file read (`clawdbot.json`), as a full path.
    pub config_path: String,
    /// The agent folder whose store was read.
    pub agent_dir: String,
    /// The default model as configured (`agents.defaults.model.primary`),
    /// before alias resolution; the built-in default when unset.
    pub default_model: String,
    /// The default model after alias resolution, as a `provider/model` ref.
    pub resolved_default: String,
    /// The configured fallback models, in order.
    pub fallbacks: Vec<String>,
    /// The configured image model (`agents.defaults.imageModel`); `None` when
    /// unset.
    pub image_model: Option<String>,
    /// The configured image fallback models, in order.
    pub image_fallbacks: Vec<String>,
    /// Alias -> model ref, for every allowed model that has an alias.
    pub aliases: indexmap::IndexMap<String, String>,
    /// The allowed models' refs (the config's `models` keys), in config order.
    pub allowed: Vec<String>,
    /// Credentials per provider, back-offs and OAuth health.
    pub auth: AuthSection,
    /// Files Clawdbot owns that exist and could not be used (the store,
    /// `clawdbot.json`), as messages show them. Not in `--json` (the
    /// reference's schema); Prometheus reports them so that an alert can
    /// tell an unreadable store from an expired login.
    #[serde(skip)]
    pub unreadable_files: Vec<String>,
}

/// `models status --all-agents --json`: the worst check of every agent,
/// then one entry per agent, in the order the agents were reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AllAgentsReport {
    /// The worst agent's check code.
    pub check: i32,
    /// Each agent's entry.
    pub agents: Vec<AgentReport>,
}

/// One agent's entry in [`AllAgentsReport`]: its id and check code, then
/// the keys of its [`StatusReport`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentReport {
    /// The agent, normalised.
    pub agent_id: String,
    /// Its `--check` code.
    pub check: i32,
    /// Its report, whose keys follow.
    #[serde(flatten)]
    pub report: StatusReport,
}

/// The `auth` part of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthSection {
    /// The profile store's path.
    pub store_path: String,
    /// Whether the login shell's variables are consulted, and which it
    /// supplied.
    pub shell_env_fallback: ShellEnvFallback,
    /// `provider (n)` for each provider with OAuth or token credentials, `n`
    /// counting them.
    pub providers_with_o_auth: Vec<String>,
    /// Providers the configured models use that have no credentials.
    pub missing_providers_in_use: Vec<String>,
    /// Logins other tools keep where this host cannot read them (Codex's
    /// keyring): a provider missing above says where its login is.
    pub logins_elsewhere: Vec<crate::logins::Elsewhere>,
    /// Each provider with any credential, in the core's provider collation.
    pub providers: Vec<ProviderAuth>,
    /// Profiles cooling down or disabled now (`usageStats`).
    pub unusable_profiles: Vec<Unusable>,
    /// Per-profile and per-provider OAuth and token health.
    pub oauth: HealthSummary,
    /// What `--check` judged, provider by provider, and the problems that
    /// did not count.
    pub check: CheckSection,
    /// Every problem the load found, for machines (the text output has them
    /// on stderr), as `{severity, path, message, hints}`.
    #[serde(serialize_with = "crate::diag::ser_status_json")]
    pub diagnostics: Vec<crate::diag::Diagnostic>,
    /// What `--probe` found (the successor's `auth.probes`); absent
    /// without `--probe`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probes: Option<crate::probe::ProbeRun>,
}

/// The shell-env fallback: reading keys from the login shell when the process
/// lacks them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShellEnvFallback {
    /// The fallback is switched on (config or environment).
    pub enabled: bool,
    /// Variables it imported this run; empty when it did not run.
    pub applied_keys: Vec<String>,
}

/// One provider's credentials, as the auth overview lists them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderAuth {
    /// Provider id, normalised.
    pub provider: String,
    /// Which source wins, in priority order profiles > env > `models.json`.
    pub effective: Effective,
    /// The provider's store profiles, counted by kind, with labels.
    pub profiles: ProfileCounts,
    /// Its key from the environment, masked; `None` when no variable holds one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<KeyShown>,
    /// Its key from the config's `models.providers`, masked; `None` when
    /// absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models_json: Option<KeyShown>,
}

/// The credential source that would be used, and what it shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effective {
    /// `profiles`, `env`, `models.json` or `missing`.
    pub kind: &'static str,
    /// The store path, the masked key, or `missing`.
    pub detail: String,
}

/// A provider's store profiles, counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileCounts {
    /// All its profiles.
    pub count: usize,
    /// Those holding an OAuth login.
    pub oauth: usize,
    /// Those holding a static token.
    pub token: usize,
    /// Those holding an API key.
    pub api_key: usize,
    /// One label per profile (`id=masked-key`, `id=OAuth`, plus any `[cooldown
    /// 5m]`), as the overview prints them.
    pub labels: Vec<String>,
}

/// A key shown masked, with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyShown {
    /// The key masked ([`crate::secret::mask`]), or `OAuth (env)`.
    pub value: String,
    /// Where it was found (a variable name, or `models.json: <path>`).
    pub source: String,
}

/// Options a host chooses.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// How long before expiry a credential counts as expiring, ms.
    pub warn_after_ms: i64,
    /// Variables the shell-env fallback imported, when it ran.
    pub shell_applied: Vec<String>,
    /// `--strict`: the reference's `--check` (every stored profile counts,
    /// and an access token's expiry counts even when it would be refreshed).
    pub strict: bool,
    /// What `--probe` found, when it ran: the report shows it and `--check`
    /// counts it.
    pub probes: Option<crate::probe::ProbeRun>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            warn_after_ms: health::DEFAULT_WARN_AFTER_MS,
            shell_applied: Vec::new(),
            strict: false,
            probes: None,
        }
    }
}

impl ReportOptions {
    /// The health rules these options judge by.
    pub fn rules(&self) -> HealthRules {
        HealthRules { warn_after_ms: self.warn_after_ms, strict: self.strict }
    }
}

impl StatusReport {
    /// Writes the `--json` document (and a newline) without building it in
    /// memory first: for a large store the text is several times the file.
    /// Characters a terminal would act on are escaped even where serde
    /// leaves them raw ([`crate::escape::TerminalSafeFormatter`]). Give it
    /// a buffered writer.
    pub fn write_json<W: std::io::Write>(&self, out: W) -> std::io::Result<()> {
        crate::escape::write_terminal_safe_json(out, self)
    }

    /// The report as JSON with its `--json` keys; `Null` only if serialising
    /// fails.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Builds the report for a load.
pub fn build(loaded: &Loaded, options: &ReportOptions) -> StatusReport {
    let cfg = &loaded.config.config;
    let env = &loaded.env;
    let store = &loaded.store;
    let now = loaded.now;
    let store_path = loaded.locations.store();

    let mut providers: Vec<String> = Vec::new();
    // Every provider by its normalised id (A34), wherever it was named.
    let mut add = |p: &str| {
        let p = crate::provider::normalized(p);
        if !p.is_empty() && !providers.iter().any(|x| *x == p) {
            providers.push(p.into_owned());
        }
    };
    // Each profile under its normalised provider, once, in store order: the
    // per-provider counts below read their group instead of scanning (and
    // normalising) every profile once per provider.
    // Sized for the providers a store holds (a handful; never more than
    // its profiles), so that no agent's report grows the table.
    let mut by_provider: std::collections::HashMap<String, Vec<(&String, &Profile)>> =
        std::collections::HashMap::with_capacity(store.profiles.len().min(16));
    for (id, p) in &store.profiles {
        let key = crate::provider::normalized(p.credential.provider());
        match by_provider.get_mut(key.as_ref()) {
            Some(group) => group.push((id, p)),
            None => {
                by_provider.insert(key.into_owned(), vec![(id, p)]);
            }
        }
        add(p.credential.provider());
    }
    // The default model resolved, and the providers in use, once for
    // every use below.
    let resolved_default = cfg.resolved_default();
    let in_use = cfg.providers_in_use_with(&resolved_default);
    let configured = cfg.configured_besides(in_use.clone());
    for p in cfg.mentioned_besides(in_use.clone()) {
        add(&p);
    }
    // A sign-in another CLI found ended shows under its provider.
    for e in &loaded.ended {
        add(e.provider);
    }
    // The run's probe when it was made of this very environment (every
    // agent's, unless the shell fallback added keys), else probed here.
    let mut probed = None;
    let probe = match loaded.env_probe.as_deref().filter(|probe| probe.made_of(env, loaded.gcloud_adc)) {
        Some(probe) => probe,
        None => probed.insert(EnvProbe::of(env, loaded.gcloud_adc)),
    };
    for p in probe.found_in(env, loaded.gcloud_adc).unwrap_or_default() {
        add(p);
    }
    health::sort_collated(&mut providers, |p| [p]);

    // Every provider with profiles shows the store's path (shortened once).
    let store_shown = env.shorten(&store_path);
    let unusable = unusable_profiles(store, now);
    let unusable_by_id: std::collections::HashMap<&str, &Unusable> =
        unusable.iter().map(|u| (u.profile_id.as_str(), u)).collect();
    let mut provider_auth = Vec::new();
    let mut with_oauth = Vec::new();
    for provider in &providers {
        let env_found = probe
            .holds_key(provider)
            .then(|| env_key_from(provider, env, &options.shell_applied, &loaded.dotenv, loaded.gcloud_adc))
            .flatten();
        let cfg_found = config_key(provider, cfg);
        let group = by_provider.get(provider.as_str()).map_or(&[][..], Vec::as_slice);
        let counts = profile_counts(cfg, &loaded.refs, group, &unusable_by_id);
        let n_oauth = counts.oauth + counts.token + usize::from(env_found.as_ref().is_some_and(FoundKey::is_oauth));
        if n_oauth > 0 {
            with_oauth.push(format!("{provider} ({n_oauth})"));
        }
        if counts.count == 0 && env_found.is_none() && cfg_found.is_none() {
            continue;
        }
        let env_shown = env_found.as_ref().map(|k| KeyShown {
            value: if k.is_oauth() { "OAuth (env)".to_string() } else { k.value.masked() },
            source: k.source.clone(),
        });
        let cfg_shown = cfg_found.as_ref().map(|k| KeyShown {
            value: k.masked(),
            source: format!("models.json: {}", env.shorten(&loaded.locations.config)),
        });
        let effective = if counts.count > 0 {
            Effective { kind: "profiles", detail: store_shown.clone() }
        } else if let Some(e) = &env_shown {
            Effective { kind: "env", detail: e.value.clone() }
        } else if let Some(c) = &cfg_shown {
            Effective { kind: "models.json", detail: c.value.clone() }
        } else {
            Effective { kind: "missing", detail: "missing".into() }
        };
        provider_auth.push(ProviderAuth {
            provider: provider.clone(),
            effective,
            profiles: counts,
            env: env_shown,
            models_json: cfg_shown,
        });
    }
    // A provider whose login another CLI found ended is no "missing" one:
    // its profile is reported expired, with what to run.
    let missing_in_use: Vec<String> = in_use
        .into_iter()
        .filter(|p| !provider_auth.iter().any(|a| &a.provider == p))
        .filter(|p| !loaded.ended.iter().any(|e| crate::provider::normalize(e.provider) == *p))
        .collect();

    let raw_default = cfg.models.primary.clone().unwrap_or_else(|| resolved_default.clone());
    let oauth = health::summarize_with(cfg, &loaded.refs, store, &loaded.ended, &providers, now, options.rules());
    let check = verdict::judge(loaded, &oauth, configured, &missing_in_use, options);
    StatusReport {
        config_path: loaded.locations.config.clone(),
        agent_dir: loaded.locations.agent_dir.clone(),
        default_model: raw_default,
        resolved_default,
        fallbacks: cfg.models.fallbacks.clone(),
        image_model: cfg.models.image_primary.clone(),
        image_fallbacks: cfg.models.image_fallbacks.clone(),
        aliases: cfg.models.allowed.iter().filter_map(|(k, a)| a.clone().map(|a| (a, k.clone()))).collect(),
        allowed: cfg.models.allowed.keys().cloned().collect(),
        unreadable_files: unreadable_files(loaded),
        auth: AuthSection {
            store_path,
            shell_env_fallback: ShellEnvFallback {
                enabled: crate::env_auth::shell_env_enabled(env, cfg),
                applied_keys: options.shell_applied.clone(),
            },
            providers_with_o_auth: with_oauth,
            missing_providers_in_use: missing_in_use,
            logins_elsewhere: loaded.elsewhere.clone(),
            providers: provider_auth,
            unusable_profiles: unusable,
            oauth,
            check,
            diagnostics: loaded.diagnostics.clone(),
            probes: options.probes.clone(),
        },
    }
}

/// Each file behind an error diagnostic, once, in the order reported.
fn unreadable_files(loaded: &Loaded) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for d in loaded.diagnostics.iter().filter(|d| d.severity == crate::diag::Severity::Error) {
        if !files.contains(&d.file) {
            files.push(d.file.clone());
        }
    }
    files
}

fn profile_counts(
    cfg: &Config,
    refs: &crate::secret_refs::RefStates,
    profiles: &[(&String, &Profile)],
    unusable: &std::collections::HashMap<&str, &Unusable>,
) -> ProfileCounts {
    let mut counts = ProfileCounts { count: 0, oauth: 0, token: 0, api_key: 0, labels: Vec::new() };
    for &(id, profile) in profiles {
        counts.count += 1;
        // A ref beats the plain value: it is what the label shows.
        let secret_ref = health::RefReport::of(refs, id, profile).map(|r| match &r.masked {
            Some(masked) => format!("ref {} {masked}", r.reference),
            None => format!("ref {} {}", r.reference, r.state),
        });
        let mut label = match &profile.credential {
            Credential::ApiKey(_) if secret_ref.is_some() => {
                counts.api_key += 1;
                format!("{id}={}", secret_ref.clone().unwrap_or_default())
            }
            Credential::Token(_) if secret_ref.is_some() => {
                counts.token += 1;
                format!("{id}=token:{}", secret_ref.clone().unwrap_or_default())
            }
            Credential::ApiKey(k) => {
                counts.api_key += 1;
                format!("{id}={}", k.key.as_ref().map_or_else(|| "missing".into(), |s| s.masked()))
            }
            Credential::Token(t) => {
                counts.token += 1;
                format!("{id}=token:{}", t.token.as_ref().map_or_else(|| "missing".into(), |s| s.masked()))
            }
            Credential::OAuth(_) => {
                counts.oauth += 1;
                match health::display_label(cfg, id, Some(profile)).strip_prefix(id.as_str()) {
                    Some(email) if !email.is_empty() => format!("{id}=OAuth{email}"),
                    _ => format!("{id}=OAuth"),
                }
            }
        };
        if let Some(u) = unusable.get(id.as_str()) {
            let rem = format_remaining_short(Some(u.remaining_ms));
            match u.kind {
                UnusableKind::Cooldown => label.push_str(&format!(" [cooldown {rem}]")),
                UnusableKind::Disabled => {
                    let reason = u.reason.as_deref().unwrap_or("unknown");
                    label.push_str(&format!(" [disabled:{reason} {rem}]"));
                }
            }
        }
        counts.labels.push(label);
    }
    counts
}

/// The `--check` code for a report and the load behind it (decided when
/// the report was built, see `verdict`).
pub fn check_code(report: &StatusReport, _loaded: &Loaded) -> CheckCode {
    report.auth.check.code
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Env;
    use crate::world::{FileRead, MapWorld};
    use std::sync::Arc;

    #[test]
    fn codes_and_the_worst_of_two() {
        assert_eq!([CheckCode::Ok.code(), CheckCode::Action.code(), CheckCode::Expiring.code()], [0, 1, 2]);
        use CheckCode::*;
        for (a, b, worst) in [
            (Ok, Ok, Ok),
            (Ok, Expiring, Expiring),
            (Expiring, Ok, Expiring),
            (Expiring, Action, Action),
            (Action, Expiring, Action),
            (Action, Ok, Action),
            (Expiring, Expiring, Expiring),
        ] {
            assert_eq!(a.worst(b), worst, "{a:?} {b:?}");
        }
    }

    #[test]
    fn the_json_document_names_every_section_in_camel_case() {
        let (loaded, options) = text::tests::busy_home();
        let r = build(&loaded, &options);
        let v = r.to_value();
        assert_eq!(v["configPath"], "/h/.clawdbot/clawdbot.json");
        assert_eq!(v["defaultModel"], "Opus");
        assert_eq!(v["resolvedDefault"], "anthropic/claude-opus-4-5");
        assert_eq!(v["aliases"], serde_json::json!({"Opus": "anthropic/claude-opus-4-5"}));
        assert!(v.get("unreadableFiles").is_none(), "not in the reference's schema");
        let auth = &v["auth"];
        assert_eq!(auth["providersWithOAuth"], serde_json::json!(["anthropic (8)", "openai-codex (1)"]));
        assert_eq!(auth["shellEnvFallback"], serde_json::json!({"enabled": true, "appliedKeys": ["XAI_API_KEY"]}));
        assert_eq!(auth["missingProvidersInUse"], serde_json::json!(["groq"]));
        let providers: Vec<&str> =
            auth["providers"].as_array().unwrap().iter().map(|p| p["provider"].as_str().unwrap()).collect();
        assert_eq!(providers, ["anthropic", "custom", "google", "openai", "openai-codex", "xai"]);
        let openai = &auth["providers"][3];
        assert_eq!(openai["profiles"]["count"], 3);
        assert_eq!(openai["profiles"]["apiKey"], 3);
        assert_eq!(openai["effective"]["kind"], "profiles");
        assert!(openai.get("env").is_none() && openai.get("modelsJson").is_none());
        assert_eq!(auth["providers"][1]["modelsJson"]["source"], "models.json: ~/.clawdbot/clawdbot.json");
        assert_eq!(auth["providers"][5]["env"]["source"], "shell env: XAI_API_KEY");
        assert_eq!(auth["check"]["code"], 1);
        assert_eq!(auth["check"]["rule"], "in-use");
        assert_eq!(auth["diagnostics"][0]["severity"], "info");
        assert_eq!(auth["diagnostics"][0]["path"], "~/.codex/auth.json");
        assert_eq!(
            auth["diagnostics"][0]["message"],
            "tokens.access_token: has no readable expiry (exp) in the access token; assuming one hour after the last refresh"
        );
        assert_eq!(auth["diagnostics"][0]["hint"], serde_json::Value::Null);
        assert_eq!(auth["oauth"]["warnAfterMs"], 86_400_000);

        let mut written = Vec::new();
        r.write_json(&mut written).unwrap();
        let read: serde_json::Value = serde_json::from_slice(&written).unwrap();
        assert_eq!(read, v, "the streamed document is the same one");
        assert_eq!(check_code(&r, &loaded), CheckCode::Action);
    }

    #[test]
    fn the_warning_window_and_strictness_reach_the_health_rules() {
        let (loaded, options) = text::tests::busy_home();
        let wide = ReportOptions { warn_after_ms: 4 * 86_400_000, ..options.clone() };
        let r = build(&loaded, &wide);
        assert_eq!(r.auth.oauth.warn_after_ms, 4 * 86_400_000);
        let tok = r.auth.oauth.profiles.iter().find(|p| p.profile_id == "anthropic:tok").unwrap();
        assert_eq!(tok.status, crate::health::HealthStatus::Expiring, "3 days is inside a 4-day window");
        let strict = build(&loaded, &ReportOptions { strict: true, ..options });
        assert_eq!(strict.auth.check.rule, "strict");
    }

    #[test]
    fn unreadable_files_are_the_error_diagnostics_files_once_each() {
        let mut w = MapWorld::default();
        w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text("{ broken"));
        w.files.insert("/h/.codex/auth.json".into(), FileRead::text("{ broken"));
        let mut loaded = crate::load::load(&w, &Env::new("/h"), 1_767_225_600_000, None);
        let again = loaded.diagnostics.iter().find(|d| d.severity == crate::diag::Severity::Error).unwrap().clone();
        loaded.diagnostics.push(again);
        let r = build(&loaded, &Default::default());
        assert_eq!(r.unreadable_files, ["~/.clawdbot/agents/main/agent/auth-profiles.json"]);
        let fine = crate::load::load(&MapWorld::default(), &Env::new("/h"), 1_767_225_600_000, None);
        assert_eq!(build(&fine, &Default::default()).unreadable_files, Vec::<String>::new());
    }

    /// Issue 27 item 3: which env-probed providers hold a key is found once
    /// per run, not once per agent: every agent's load carries the same
    /// probe; the report takes it while the load's variables are the ones
    /// probed, and probes again once they changed (the shell fallback's).
    #[test]
    fn env_keys_are_probed_once_per_run_and_again_when_the_variables_change() {
        let (provider, var) = crate::providers::PROVIDERS
            .iter()
            .find_map(|p| p.env_probe.then(|| p.env_vars.first().map(|v| (p.id, *v))).flatten())
            .unwrap();
        let w = MapWorld::default();
        let env = Env::new("/h");
        let (main, shared) = crate::load::load_sharing(&w, &env, 1_767_225_600_000, None, None, None);
        let (ops, _) = crate::load::load_sharing(&w, &env, 1_767_225_600_000, Some("ops"), Some(&shared), None);
        let (a, b) = (main.env_probe.clone().unwrap(), ops.env_probe.clone().unwrap());
        assert!(Arc::ptr_eq(&a, &b), "one probe for the run");
        assert_eq!(a.found_in(&ops.env, ops.gcloud_adc), Some(&[][..]));
        let shown =
            |loaded: &Loaded| build(loaded, &Default::default()).auth.providers.iter().any(|p| p.provider == provider);
        assert!(!shown(&ops));
        // The shell fallback imports a key: a new map of variables.
        let mut with_key = ops;
        with_key.env = with_key.env.clone().with_var(var, "FAKE-KEY-0123456789");
        assert_eq!(a.found_in(&with_key.env, with_key.gcloud_adc), None, "made of other variables");
        assert!(shown(&with_key), "{provider} found by probing again");
    }

    #[test]
    fn a_provider_named_twice_is_listed_once_by_its_normalised_id() {
        let mut w = MapWorld::default();
        let store = r#"{"version":1,"profiles":{
            "Z-AI:a":{"type":"api_key","provider":"Z-AI","key":"sk-FAKE-a-0123456789"},
            "zai:b":{"type":"api_key","provider":"zai","key":"sk-FAKE-b-0123456789"}}}"#;
        w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text(store));
        let config = r#"{"agents":{"defaults":{"model":"zai/glm"}},"models":{"providers":{"ZAI":{}}}}"#;
        w.files.insert("/h/.clawdbot/clawdbot.json".into(), FileRead::text(config));
        let loaded = crate::load::load(&w, &Env::new("/h"), 1_767_225_600_000, None);
        let r = build(&loaded, &Default::default());
        let providers: Vec<(&str, usize)> =
            r.auth.providers.iter().map(|p| (p.provider.as_str(), p.profiles.count)).collect();
        assert_eq!(providers, [("zai", 2)]);
        assert_eq!(r.auth.missing_providers_in_use, Vec::<String>::new());
    }
}
