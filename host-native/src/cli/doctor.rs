//! `clawdbot doctor`: clap, and the core's [`DoctorCommand`] carried out.
//! What doctor checks, asks, repairs, prints and exits with is decided in
//! `core/src/flow/commands/doctor.rs`.

use crate::host::{NativeWorld, current_env, now};
use crate::interpreter::Interpreter;
use clap::Args;
use clawdbot_auth_core::flow::{DoctorCommand, DoctorRequest, Exit};
use std::io::IsTerminal;

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Answer yes to every repair.
    #[arg(long)]
    pub yes: bool,
    /// Apply repairs without asking (same as --yes for auth); --fix is the
    /// same flag.
    #[arg(long, visible_alias = "fix")]
    pub repair: bool,
    /// Never prompt; without --yes or --fix, never write anything but safe
    /// migrations (with them, make their repairs without asking).
    #[arg(long)]
    pub non_interactive: bool,
    /// Accepted so scripts written for the reference keep working; no
    /// effect here (every auth check always runs in full).
    #[arg(long)]
    pub force: bool,
    /// Accepted so scripts written for the reference keep working; no
    /// effect here (there is no deeper auth check).
    #[arg(long)]
    pub deep: bool,
    /// Print one JSON document ({ok, agentId, findings, changes}) instead
    /// of the notes; never prompts (repairs only with --fix or --yes).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub agent: super::AgentArg,
    /// Check every agent under the state dir; the exit code is the worst.
    #[arg(long)]
    pub all_agents: bool,
    /// Run the resolvers of exec SecretRefs to check them; without it they
    /// are "not checked" (file and env refs are always checked).
    #[arg(long)]
    pub allow_exec: bool,
}

pub fn run(args: &DoctorArgs) -> Exit {
    let env = current_env();
    let request = DoctorRequest {
        yes: args.yes,
        repair: args.repair,
        non_interactive: args.non_interactive,
        json: args.json,
        agent: args.agent.agent.clone(),
        all_agents: args.all_agents,
        terminal: std::io::stdin().is_terminal(),
    };
    let world = NativeWorld::new(&env);
    let mut flow = DoctorCommand::new(request, &env, now(&env)).check_refs(args.allow_exec);
    Interpreter::new(&world).run(&mut flow).exit
}
