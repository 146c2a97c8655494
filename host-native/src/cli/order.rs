//! `clawdbot models auth order get|set|clear`: the per-agent order override.
//! The rules are the core's `flow::OrderCommand`; this file is clap.

use crate::host::{NativeWorld, current_env, now};
use crate::interpreter::Interpreter;
use clap::{Args, Subcommand};
use clawdbot_auth_core::flow::{Exit, OrderRequest};

#[derive(Subcommand, Debug)]
pub enum OrderCommand {
    /// Show the order override (and, with --resolved, the order in effect).
    Get(OrderGet),
    /// Set the order override: profile ids, first tried first.
    Set(OrderSet),
    /// Remove the order override.
    Clear(OrderTarget),
}

#[derive(Args, Debug)]
pub struct OrderTarget {
    /// The provider whose order to work on (any spelling: `z.ai` is `zai`).
    #[arg(long)]
    pub provider: String,
}

#[derive(Args, Debug)]
pub struct OrderGet {
    #[command(flatten)]
    pub target: OrderTarget,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also show the order profiles are tried in now (cooldowns, round robin).
    #[arg(long)]
    pub resolved: bool,
}

#[derive(Args, Debug)]
pub struct OrderSet {
    #[command(flatten)]
    pub target: OrderTarget,
    /// Profile ids in the order to try them.
    pub profile_ids: Vec<String>,
}

/// The core's order flow, carried out. Order commands never prompt for
/// the Keychain (as the reference).
pub fn run(cmd: OrderCommand, agent: Option<String>) -> Exit {
    let env = current_env();
    let request = match cmd {
        OrderCommand::Get(args) => {
            OrderRequest::Get { provider: args.target.provider.into(), json: args.json, resolved: args.resolved }
        }
        OrderCommand::Set(args) => {
            OrderRequest::Set { provider: args.target.provider.into(), profile_ids: args.profile_ids }
        }
        OrderCommand::Clear(args) => OrderRequest::Clear { provider: args.provider.into() },
    };
    let world = NativeWorld::new(&env);
    let mut flow = clawdbot_auth_core::flow::OrderCommand::new(request, agent.as_deref(), &env, now(&env));
    Interpreter::new(&world).run(&mut flow).exit
}
