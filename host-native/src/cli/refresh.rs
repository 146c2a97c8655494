//! `clawdbot models auth refresh`: refresh OAuth logins now, for operators
//! and timers (a systemd timer can run `--all` hourly so that no request
//! ever waits on a refresh).
//!
//! Exit: 0 every selected login is fresh, or there was nothing to
//! refresh; 1 a login is dead and a human must log in again, or the
//! profile or provider is unknown; 3 a refresh could not complete now
//! (network, 429, 5xx, lock): try again later. The rules are the core's
//! [`RefreshCommand`]; this file is clap and the interpreter.

use crate::host::{NativeWorld, current_env, now};
use crate::interpreter::Interpreter;
use clap::{ArgGroup, Args};
use clawdbot_auth_core::flow::{Exit, RefreshCommand, Selection};

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
}

pub fn run(args: &RefreshArgs, agent: Option<String>) -> Exit {
    let env = current_env();
    let selection = match (&args.profile, &args.provider) {
        (Some(id), _) => Selection::Profile(id.clone()),
        (None, Some(provider)) => Selection::Provider(provider.as_str().into()),
        (None, None) => Selection::All,
    };
    let world = NativeWorld::new(&env);
    let mut flow = RefreshCommand::new(selection, args.force, agent.as_deref(), &env, now(&env));
    Interpreter::new(&world).run(&mut flow).exit
}
