//! `clawdbot models auth refresh`: refresh OAuth logins now, for operators
//! and timers (a systemd timer can run `--all` hourly so that no request
//! ever waits on a refresh).
//!
//! Exit: 0 every selected login is fresh, or there was nothing to
//! refresh; 1 a login is dead and a human must log in again, or the
//! profile or provider is unknown; 3 a refresh could not complete now
//! (network, 429, 5xx, lock): try again later. The rules are the core's
//! [`RefreshCommand`]; this file is clap and the interpreter.

use super::CmdResult;
use crate::host::{NativeWorld, current_env, now};
use crate::interpreter::Interpreter;
use clap::{ArgGroup, Args};
use clawdbot_auth_core::flow::{RefreshCommand, Selection};

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("which").required(true).args(["profile", "provider", "all"])))]
pub struct RefreshArgs {
    /// Refresh this profile.
    #[arg(long, value_name = "ID")]
    pub profile: Option<String>,
    /// Refresh every OAuth profile of this provider.
    #[arg(long, value_name = "PROVIDER")]
    pub provider: Option<String>,
    /// Refresh every OAuth profile that has a refresh flow.
    #[arg(long)]
    pub all: bool,
    /// Refresh even when the token is not due yet (e.g. after a 401).
    #[arg(long)]
    pub force: bool,
    /// The agent whose store to use (default: the configured default agent).
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
}

pub fn run(args: &RefreshArgs) -> CmdResult {
    let env = current_env();
    let selection = match (&args.profile, &args.provider) {
        (Some(id), _) => Selection::Profile(id.clone()),
        (None, Some(provider)) => Selection::Provider(provider.clone()),
        (None, None) => Selection::All,
    };
    let world = NativeWorld::new(&env);
    let mut flow = RefreshCommand::new(selection, args.force, args.agent.as_deref(), &env, now(&env));
    Ok(Interpreter::new(&world).run(&mut flow).exit.code())
}
