//! `clawdbot models auth list | remove | cooldown clear | paste-api-key |
//! sync`: clap, and the core's flows carried out. Every rule (what is
//! listed, what a removal takes, what a key may look like) is the core's.

use crate::host::{NativeWorld, current_env, now};
use crate::interpreter::Interpreter;
use clap::{Args, Subcommand};
use clawdbot_auth_core::flow::{
    CooldownCommand, CooldownTarget, Exit, Flow, ListCommand, PasteKeyCommand, PasteKeyRequest, RemoveCommand,
    RemoveRequest, SyncCommand,
};

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only this provider's credentials (any spelling: `z.ai` is `zai`).
    #[arg(long)]
    pub provider: Option<String>,
    /// Print one JSON document: {agentId, agentDir, storePath, profiles}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RemoveArgs {
    /// The profile to remove, as `models auth list` shows it.
    pub profile_id: String,
    /// Do not ask (needed when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Say what would be removed and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Subcommand, Debug)]
pub enum CooldownCommandArgs {
    /// End cooldowns and billing disables and reset their failure counts.
    Clear(CooldownClearArgs),
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["profile_id", "provider", "all"])))]
pub struct CooldownClearArgs {
    /// The profile whose cooldown or disable to end.
    pub profile_id: Option<String>,
    /// Every profile of this provider.
    #[arg(long)]
    pub provider: Option<String>,
    /// Every profile of the agent.
    #[arg(long)]
    pub all: bool,
}

#[derive(Args, Debug)]
pub struct PasteKeyArgs {
    /// The provider the key is for (e.g. openai, openrouter; any spelling).
    #[arg(long)]
    pub provider: String,
    /// Profile id (default: <provider>:default).
    #[arg(long)]
    pub profile_id: Option<String>,
    #[command(flatten)]
    pub create: super::CreateAgentArg,
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    /// Let the sync bring this login in again after `models auth remove`.
    #[arg(long, value_name = "SOURCE", value_parser = clap::builder::PossibleValuesParser::new(clawdbot_auth_core::login_source_names()))]
    pub enable: String,
}

fn run_flow(flow: &mut dyn Flow) -> Exit {
    let env = current_env();
    let world = NativeWorld::new(&env);
    Interpreter::new(&world).run(flow).exit
}

/// `models auth list`. It reads Claude Code's Keychain item as `models
/// status` does, so a login kept only there is listed too.
pub fn list(args: &ListArgs, agent: Option<String>) -> Exit {
    let env = current_env();
    let mut flow = ListCommand::new(&env, agent.as_deref(), args.provider.as_deref(), args.json, now(&env));
    run_flow(&mut flow)
}

/// `models auth remove` (alias `logout`).
pub fn remove(args: &RemoveArgs, agent: Option<String>) -> Exit {
    let env = current_env();
    let request = RemoveRequest { profile_id: args.profile_id.clone(), agent, yes: args.yes, dry_run: args.dry_run };
    let mut flow = RemoveCommand::new(request, &env, now(&env));
    run_flow(&mut flow)
}

/// `models auth cooldown clear`.
pub fn cooldown(cmd: &CooldownCommandArgs, agent: Option<String>) -> Exit {
    let CooldownCommandArgs::Clear(args) = cmd;
    let target = match (&args.profile_id, &args.provider, args.all) {
        (Some(id), _, _) => CooldownTarget::Profile(id.clone()),
        (None, Some(p), _) => CooldownTarget::Provider(p.as_str().into()),
        _ => CooldownTarget::All,
    };
    let env = current_env();
    let mut flow = CooldownCommand::clear(&env, agent.as_deref(), target, now(&env));
    run_flow(&mut flow)
}

/// `models auth paste-api-key`: the flow asks for the key (a prompt without
/// echo, or standard input; never argv, where `ps` would show it).
pub fn paste_api_key(args: &PasteKeyArgs, agent: Option<String>) -> Exit {
    let env = current_env();
    let request = PasteKeyRequest {
        provider: args.provider.as_str().into(),
        profile_id: args.profile_id.clone(),
        agent,
        create_agent: args.create.create_agent,
    };
    let mut flow = PasteKeyCommand::new(request, &env, now(&env));
    run_flow(&mut flow)
}

/// `models auth sync --enable SOURCE`.
pub fn sync(args: &SyncArgs, agent: Option<String>) -> Exit {
    let env = current_env();
    match SyncCommand::enable(&env, agent.as_deref(), &args.enable, now(&env)) {
        Ok(mut flow) => run_flow(&mut flow),
        Err(why) => super::failed(Exit::Usage, why),
    }
}
