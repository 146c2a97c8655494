//! The `models status` report: one model, rendered as the reference's text
//! layout or as its `--json` document (spec §3.2), so every host prints the
//! same thing.

mod prometheus;
mod text;

pub use prometheus::render_prometheus;
pub use text::{TextStyle, render_text};

use crate::config::Config;
use crate::env_auth::{ENV_PROBE_PROVIDERS, FoundKey, config_key, env_key};
use crate::health::{self, HealthStatus, HealthSummary, collate};
use crate::load::Loaded;
use crate::remaining::format_remaining_short;
use crate::store::{AuthStore, Credential, CredentialType};
use crate::usage::{Unusable, UnusableKind, unusable_profiles};
use serde::Serialize;

/// What `--check` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum CheckCode {
    Ok = 0,
    /// Expired, missing or unreadable: a human must act.
    Action = 1,
    /// Something expires within the warning window.
    Expiring = 2,
}

impl CheckCode {
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

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub config_path: String,
    pub agent_dir: String,
    pub default_model: String,
    pub resolved_default: String,
    pub fallbacks: Vec<String>,
    pub image_model: Option<String>,
    pub image_fallbacks: Vec<String>,
    pub aliases: indexmap::IndexMap<String, String>,
    pub allowed: Vec<String>,
    pub auth: AuthSection,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthSection {
    pub store_path: String,
    pub shell_env_fallback: ShellEnvFallback,
    pub providers_with_o_auth: Vec<String>,
    pub missing_providers_in_use: Vec<String>,
    pub providers: Vec<ProviderAuth>,
    pub unusable_profiles: Vec<Unusable>,
    pub oauth: HealthSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShellEnvFallback {
    pub enabled: bool,
    pub applied_keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderAuth {
    pub provider: String,
    pub effective: Effective,
    pub profiles: ProfileCounts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<KeyShown>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models_json: Option<KeyShown>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effective {
    pub kind: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileCounts {
    pub count: usize,
    pub oauth: usize,
    pub token: usize,
    pub api_key: usize,
    pub labels: Vec<String>,
}

/// A key shown masked, with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyShown {
    pub value: String,
    pub source: String,
}

/// Options a host chooses.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub warn_after_ms: i64,
    /// Variables the shell-env fallback imported, when it ran.
    pub shell_applied: Vec<String>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions { warn_after_ms: health::DEFAULT_WARN_AFTER_MS, shell_applied: Vec::new() }
    }
}

impl StatusReport {
    /// Writes the `--json` document (and a newline) without building it in
    /// memory first: for a large store the text is several times the file.
    /// Characters a terminal would act on are escaped even where serde
    /// leaves them raw ([`crate::escape::TerminalSafeJson`]).
    pub fn write_json<W: std::io::Write>(&self, out: W) -> std::io::Result<()> {
        let mut out = crate::escape::TerminalSafeJson::new(out);
        serde_json::to_writer_pretty(&mut out, self).map_err(std::io::Error::other)?;
        std::io::Write::write_all(&mut out, b"\n")
    }

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
    let mut add = |p: &str| {
        if !p.is_empty() && !providers.iter().any(|x| x == p) {
            providers.push(p.to_string());
        }
    };
    for p in store.profiles.values() {
        add(p.credential.provider());
    }
    for p in cfg.providers_mentioned() {
        add(&p);
    }
    for p in ENV_PROBE_PROVIDERS {
        if env_key(p, env, &options.shell_applied, loaded.gcloud_adc).is_some() {
            add(p);
        }
    }
    providers.sort_by(|a, b| collate(a, b));

    let unusable = unusable_profiles(store, now);
    let unusable_by_id: std::collections::HashMap<&str, &Unusable> =
        unusable.iter().map(|u| (u.profile_id.as_str(), u)).collect();
    let mut provider_auth = Vec::new();
    let mut with_oauth = Vec::new();
    for provider in &providers {
        let env_found = env_key(provider, env, &options.shell_applied, loaded.gcloud_adc);
        let cfg_found = config_key(provider, cfg);
        let counts = profile_counts(cfg, store, provider, &unusable_by_id);
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
            Effective { kind: "profiles", detail: env.shorten(&store_path) }
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
    let missing_in_use: Vec<String> =
        cfg.providers_in_use().into_iter().filter(|p| !provider_auth.iter().any(|a| &a.provider == p)).collect();

    let raw_default = cfg.models.primary.clone().unwrap_or_else(|| cfg.resolved_default());
    StatusReport {
        config_path: loaded.locations.config.clone(),
        agent_dir: loaded.locations.agent_dir.clone(),
        default_model: raw_default,
        resolved_default: cfg.resolved_default(),
        fallbacks: cfg.models.fallbacks.clone(),
        image_model: cfg.models.image_primary.clone(),
        image_fallbacks: cfg.models.image_fallbacks.clone(),
        aliases: cfg.models.allowed.iter().filter_map(|(k, a)| a.clone().map(|a| (a, k.clone()))).collect(),
        allowed: cfg.models.allowed.keys().cloned().collect(),
        auth: AuthSection {
            store_path,
            shell_env_fallback: ShellEnvFallback {
                enabled: crate::env_auth::shell_env_enabled(env, cfg),
                applied_keys: options.shell_applied.clone(),
            },
            providers_with_o_auth: with_oauth,
            missing_providers_in_use: missing_in_use,
            providers: provider_auth,
            unusable_profiles: unusable,
            oauth: health::summarize(cfg, store, &providers, now, options.warn_after_ms),
        },
    }
}

fn profile_counts(
    cfg: &Config,
    store: &AuthStore,
    provider: &str,
    unusable: &std::collections::HashMap<&str, &Unusable>,
) -> ProfileCounts {
    let mut counts = ProfileCounts { count: 0, oauth: 0, token: 0, api_key: 0, labels: Vec::new() };
    for (id, profile) in store.profiles.iter().filter(|(_, p)| p.credential.provider() == provider) {
        counts.count += 1;
        let mut label = match &profile.credential {
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

/// The `--check` code for a report and the load behind it.
pub fn check_code(report: &StatusReport, loaded: &Loaded) -> CheckCode {
    let timed: Vec<HealthStatus> =
        report.auth.oauth.profiles.iter().filter(|p| p.kind != CredentialType::ApiKey).map(|p| p.status).collect();
    if loaded.has_errors() || !report.auth.missing_providers_in_use.is_empty() || timed.iter().any(|s| s.is_bad()) {
        CheckCode::Action
    } else if timed.contains(&HealthStatus::Expiring) {
        CheckCode::Expiring
    } else {
        CheckCode::Ok
    }
}
