//! `clawdbot models auth order get|set|clear`: the per-agent order override.

use super::{CmdResult, exit, output, refuse};
use crate::host::{NativeWorld, current_env, now};
use crate::persist::update_store;
use clap::{Args, Subcommand};
use clawdbot_auth_core::load::load;
use clawdbot_auth_core::order;
use clawdbot_auth_core::provider::normalize;

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
    #[arg(long)]
    pub provider: String,
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
}

#[derive(Args, Debug)]
pub struct OrderGet {
    #[command(flatten)]
    pub target: OrderTarget,
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

pub fn run(cmd: OrderCommand) -> CmdResult {
    let env = current_env();
    let now = now(&env);
    // Order commands never prompt for the Keychain (as the reference).
    let world = NativeWorld::new(&env, false);
    match cmd {
        OrderCommand::Get(args) => {
            let loaded = load(&world, &env, now, args.target.agent.as_deref());
            output::diagnostics(&loaded);
            if loaded.store_state == clawdbot_auth_core::load::StoreState::Unreadable {
                return Err(refuse(format!(
                    "{} cannot be read, so its order is unknown; fix the file (see above)",
                    env.shorten(&loaded.locations.store())
                )));
            }
            let provider = normalize(&args.target.provider);
            let over = order::get_order(&loaded.store, &provider).cloned();
            let resolved =
                args.resolved.then(|| order::resolve_order(&loaded.config.config, &loaded.store, &provider, None, now));
            if args.json {
                let mut doc = serde_json::json!({
                    "agentId": loaded.locations.agent_id,
                    "agentDir": loaded.locations.agent_dir,
                    "provider": provider,
                    "authStorePath": env.shorten(&loaded.locations.store()),
                    "order": over,
                });
                if let Some(r) = resolved {
                    doc["resolved"] = serde_json::json!(r);
                }
                output::json(&doc)?;
            } else {
                output::line(&format!("Agent: {}", loaded.locations.agent_id));
                output::line(&format!("Provider: {}", provider));
                output::line(&format!("Auth file: {}", env.shorten(&loaded.locations.store())));
                match over {
                    Some(ids) => output::line(&format!("Order override: {}", ids.join(", "))),
                    None => output::line("Order override: (none)"),
                }
                if let Some(r) = resolved {
                    let shown = if r.is_empty() { "(none)".to_string() } else { r.join(", ") };
                    output::line(&format!("Resolved order: {}", shown));
                }
            }
            Ok(exit::OK)
        }
        OrderCommand::Set(args) => {
            let provider = normalize(&args.target.provider);
            let set = update_store(&world, &env, now, args.target.agent.as_deref(), |store, loaded| {
                let dir = env.shorten(&loaded.locations.agent_dir);
                Ok(order::set_order(store, &provider, &args.profile_ids, &dir))
            })?;
            let ids = set.map_err(|e| refuse(e.to_string()))?;
            let loaded = load(&world, &env, now, args.target.agent.as_deref());
            output::line(&format!("Agent: {}", loaded.locations.agent_id));
            output::line(&format!("Provider: {}", provider));
            output::line(&format!("Order override: {}", ids.join(", ")));
            Ok(exit::OK)
        }
        OrderCommand::Clear(args) => {
            let provider = normalize(&args.provider);
            update_store(&world, &env, now, args.agent.as_deref(), |store, _| {
                order::clear_order(store, &provider);
                Ok(())
            })?;
            let loaded = load(&world, &env, now, args.agent.as_deref());
            output::line(&format!("Agent: {}", loaded.locations.agent_id));
            output::line(&format!("Provider: {}", provider));
            output::line("Cleared per-agent order override.");
            Ok(exit::OK)
        }
    }
}
