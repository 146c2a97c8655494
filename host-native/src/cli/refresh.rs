//! `clawdbot models auth refresh`: refresh OAuth logins now, for operators
//! and timers (a systemd timer can run `--all` hourly so that no request
//! ever waits on a refresh).
//!
//! Exit: 0 every selected login is fresh; 1 a login is dead and a human
//! must log in again; 3 a refresh could not complete now (network, 429,
//! 5xx, lock): try again later.

use super::{CmdResult, exit, usage};
use crate::host::{NativeWorld, current_env, now};
use crate::refresh::{RefreshFailure, refresh_profile};
use clap::{ArgGroup, Args};
use clawdbot_auth_core::escape::escape_control;
use clawdbot_auth_core::load::load;
use clawdbot_auth_core::provider::normalize;
use clawdbot_auth_core::refresh::RefreshProvider;
use clawdbot_auth_core::store::Credential;

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
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
}

pub fn run(args: &RefreshArgs) -> CmdResult {
    let env = current_env();
    let now = now(&env);
    let world = NativeWorld::new(&env, true);
    let agent = args.agent.as_deref();
    let loaded = load(&world, &env, now, agent);
    let ids: Vec<String> = match (&args.profile, &args.provider) {
        (Some(id), _) => vec![id.clone()],
        (None, provider) => {
            let want = provider.as_deref().map(normalize);
            loaded
                .store
                .profiles
                .iter()
                .filter(|(_, p)| match &p.credential {
                    Credential::OAuth(o) => {
                        RefreshProvider::from_id(&o.provider).is_some()
                            && want.as_deref().is_none_or(|w| normalize(&o.provider) == w)
                    }
                    _ => false,
                })
                .map(|(id, _)| id.clone())
                .collect()
        }
    };
    if ids.is_empty() {
        let what =
            args.provider.as_deref().map_or_else(|| "any provider".to_string(), |p| format!("\"{}\"", normalize(p)));
        return Err(usage(format!("no refreshable OAuth profile for {}", escape_control(&what))));
    }
    let (mut permanent, mut transient) = (false, false);
    for id in &ids {
        let shown = escape_control(id);
        match refresh_profile(&world, &env, now, agent, id, args.force) {
            Ok(report) => {
                for w in &report.warnings {
                    eprintln!("warning: {}", escape_control(w));
                }
                println!("{shown}: {}", report.result.describe());
            }
            Err(failure) => {
                report_failure(id, &failure);
                if failure.is_permanent() {
                    permanent = true;
                } else {
                    transient = true;
                }
            }
        }
    }
    Ok(match (permanent, transient) {
        (true, _) => exit::ACTION,
        (false, true) => exit::ERROR,
        _ => exit::OK,
    })
}

/// `error: <id>: <what happened>` and, when there is one, what to do.
pub fn report_failure(profile_id: &str, failure: &RefreshFailure) {
    eprintln!("error: {}: {}", escape_control(profile_id), escape_control(&failure.to_string()));
    if let Some(hint) = failure.hint() {
        eprintln!("hint: {}", escape_control(&hint));
    }
}
