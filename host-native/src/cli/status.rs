//! `clawdbot models status`: reads, syncs, reports. Never refreshes, and
//! touches the network only with `--probe` (the reference's text mode did
//! both unasked).

use crate::host::{NativeWorld, current_env, now};
use crate::interpreter::Interpreter;
use clap::Args;
use clawdbot_auth_core::flow::{Exit, ProbeRequest, StatusCommand, StatusFormat, StatusRequest};
use std::io::IsTerminal;

#[derive(Args, Debug, Default)]
pub struct StatusArgs {
    /// Print the status as one JSON document (the reference's schema).
    #[arg(long)]
    pub json: bool,
    /// Output format: text, json, plain, or prometheus (text exposition for
    /// node_exporter's textfile collector).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Print only the resolved default model.
    #[arg(long)]
    pub plain: bool,
    /// Exit 1 if a provider in use has no usable credential (or a file is
    /// unreadable), or with --probe if a credential in use was refused
    /// (auth, billing: one its requests would try, or the env key it falls
    /// back to; a refused spare is a warning); 2 if the best one it has is
    /// expiring, else 0.
    #[arg(long)]
    pub check: bool,
    /// Judge as the reference does: every stored profile counts, and an
    /// access token's expiry counts even when it would be refreshed; with
    /// --probe, a probe that proved nothing (rate_limit, timeout, format,
    /// unknown) counts too.
    #[arg(long)]
    pub strict: bool,
    /// Every agent under the state dir: one section (text) or one entry
    /// (JSON) each; --check exits with the worst of them.
    #[arg(long)]
    pub all_agents: bool,
    #[arg(long, value_name = "DURATION", default_value = clawdbot_auth_core::defaults::WARN_WITHIN, help = format!(
        "How soon an expiry counts as \"expiring\", e.g. 24h, 90m or 2d ({})",
        clawdbot_auth_core::DurationFlag::WarnWithin.help()
    ))]
    pub warn_within: String,
    /// Run the resolvers of exec SecretRefs (`secrets.providers.<alias>`
    /// with `source: "exec"`); without it they are "not checked".
    #[arg(long)]
    pub allow_exec: bool,
    /// Send each usable credential (profile, env or models.json key) of the
    /// providers in use the cheapest request that proves it works, and
    /// report how it came out (ok, auth, billing, rate_limit, timeout,
    /// format, unknown). Never refreshes a login. A refusal is remembered
    /// until the credential changes or a later probe succeeds.
    #[arg(long)]
    pub probe: bool,
    /// Probe this provider's credentials instead of the providers in use
    /// (repeatable, or comma-separated).
    #[arg(long, value_name = "PROVIDER", requires = "probe")]
    pub probe_provider: Vec<String>,
    /// Probe this profile (repeatable, or comma-separated).
    #[arg(long, value_name = "ID", requires = "probe")]
    pub probe_profile: Vec<String>,
    #[arg(long, value_name = "DURATION", requires = "probe", default_value = clawdbot_auth_core::flow::PROBE_TIMEOUT,
        help = format!(
            "How long each probe may take, whole ({})",
            clawdbot_auth_core::DurationFlag::ProbeTimeout.help()
        ))]
    pub probe_timeout: String,
    /// How many probes run at once (1 to 16).
    #[arg(long, value_name = "N", requires = "probe", default_value_t = clawdbot_auth_core::flow::PROBE_CONCURRENCY)]
    pub probe_concurrency: usize,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Plain,
    Prometheus,
}

impl StatusArgs {
    pub fn bare(json: bool, plain: bool) -> Self {
        StatusArgs {
            json,
            plain,
            warn_within: clawdbot_auth_core::defaults::WARN_WITHIN.into(),
            probe_timeout: clawdbot_auth_core::flow::PROBE_TIMEOUT.into(),
            probe_concurrency: clawdbot_auth_core::flow::PROBE_CONCURRENCY,
            ..StatusArgs::default()
        }
    }
}

/// `--help`'s table of what `--probe` sends, from the core's registry.
pub fn probes_help() -> String {
    let rows: Vec<String> = clawdbot_auth_core::manual::probes()
        .into_iter()
        .map(
            |r| if r.provider.is_empty() { format!("  {}", r.sends) } else { format!("  {}: {}", r.provider, r.sends) },
        )
        .collect();
    format!(
        "What --probe sends (one request per credential, nothing refreshed: a free read where the provider has \
         one, else the smallest completion, which spends one output token; an expired login is reported \
         expired, not probed; CLAWDBOT_API_URL_<PROVIDER> replaces the origin, https:// or http:// on a \
         loopback host):\n{}",
        rows.join("\n")
    )
}

/// The core's [`StatusCommand`], carried out. Its load and report are
/// left unfreed: the process ends here, and freeing a large store's every
/// allocation one by one would only delay the exit (measured: ~15% of a
/// 100 000-profile run).
pub fn run(args: &StatusArgs, agent: Option<String>) -> Exit {
    let env = current_env();
    let request = StatusRequest {
        json: args.json,
        plain: args.plain,
        format: args.format.map(|f| match f {
            Format::Text => StatusFormat::Text,
            Format::Json => StatusFormat::Json,
            Format::Plain => StatusFormat::Plain,
            Format::Prometheus => StatusFormat::Prometheus,
        }),
        check: args.check,
        strict: args.strict,
        agent,
        all_agents: args.all_agents,
        warn_within: args.warn_within.clone(),
        terminal: std::io::stdout().is_terminal(),
        probe: args.probe.then(|| ProbeRequest {
            providers: args.probe_provider.clone(),
            profiles: args.probe_profile.clone(),
            timeout: args.probe_timeout.clone(),
            concurrency: args.probe_concurrency,
        }),
    };
    let mut flow = StatusCommand::new(request, &env, now(&env)).allow_exec(args.allow_exec);
    let world = NativeWorld::new(&env);
    let exit = Interpreter::new(&world).run(&mut flow).exit;
    std::mem::forget(flow);
    exit
}
