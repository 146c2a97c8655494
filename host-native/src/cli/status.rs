//! `clawdbot models status`: reads, syncs, reports. Never refreshes, never
//! touches the network (the reference's text mode did both).

use crate::host::{NativeWorld, current_env, now};
use crate::interpreter::Interpreter;
use clap::Args;
use clawdbot_auth_core::flow::{Exit, StatusCommand, StatusFormat, StatusRequest};
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
    /// unreadable), 2 if the best one it has is expiring, else 0.
    #[arg(long)]
    pub check: bool,
    /// Judge as the reference does: every stored profile counts, and an
    /// access token's expiry counts even when it would be refreshed.
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
            ..StatusArgs::default()
        }
    }
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
    };
    let mut flow = StatusCommand::new(request, &env, now(&env)).allow_exec(args.allow_exec);
    let world = NativeWorld::new(&env);
    let exit = Interpreter::new(&world).run(&mut flow).exit;
    std::mem::forget(flow);
    exit
}
