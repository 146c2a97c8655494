//! `clawdbot models auth ...`: add and paste credentials, run Claude Code's
//! setup-token, manage the order, print the key to use now.
//!
//! Tokens are read from standard input (a prompt on a terminal), never from
//! argv, where `ps` would show them.

use super::order::{self, OrderCommand};
use crate::host::{NativeWorld, current_env, now};
use crate::interpreter::Interpreter;
use clap::{Args, Subcommand};
use clawdbot_auth_core::KeyForm;
use clawdbot_auth_core::flow::{
    self, AddCommand, AddRequest, Exit, PasteTokenCommand, PasteTokenRequest, SetupCommand, SetupRequest, TokenCommand,
    TokenRequest,
};
use std::io::IsTerminal;

#[derive(Args, Debug)]
pub struct AuthArgs {
    #[command(subcommand)]
    pub command: AuthCommand,
}

#[derive(Subcommand, Debug)]
pub enum AuthCommand {
    /// Interactively add a credential (asks for provider, id and expiry).
    Add(AddArgs),
    /// Store a token read from standard input as a `token` profile.
    PasteToken(PasteArgs),
    /// Store a 1-year Anthropic token: runs `claude setup-token` on a
    /// terminal and asks for the token it printed (stdin without a terminal).
    SetupToken(SetupArgs),
    /// The per-agent profile order.
    #[command(subcommand)]
    Order(OrderCommand),
    /// Print the key a client should use now (for scripts and apiKeyHelper),
    /// refreshing an OAuth login that is expired or about to expire.
    Token(TokenArgs),
    /// Refresh OAuth logins now (for operators and timers).
    Refresh(super::refresh::RefreshArgs),
    /// List every credential of the agent: source, status and why, cooldowns, hints.
    List(super::manage::ListArgs),
    /// Remove a profile and every reference to it (order, lastGood, usage stats, config).
    #[command(visible_alias = "logout")]
    Remove(super::manage::RemoveArgs),
    /// Cooldowns and billing disables.
    #[command(subcommand)]
    Cooldown(super::manage::CooldownCommandArgs),
    /// Store an API key read from a hidden prompt or standard input as an `api_key` profile.
    PasteApiKey(super::manage::PasteKeyArgs),
    /// Let the sync bring a removed Claude Code or Codex login back.
    Sync(super::manage::SyncArgs),
}

#[derive(Args, Debug)]
pub struct AddArgs {
    #[command(flatten)]
    pub create: super::CreateAgentArg,
}

#[derive(Args, Debug)]
pub struct PasteArgs {
    /// The provider the token is for (e.g. anthropic, openai; any spelling).
    #[arg(long)]
    pub provider: String,
    #[arg(long, help = format!("Profile id (default: <provider>:{})", clawdbot_auth_core::PASTED_TOKEN_NAME))]
    pub profile_id: Option<String>,
    /// When the token expires, from now (e.g. 365d, 12h; a bare number is days).
    #[arg(long, value_name = "DURATION")]
    pub expires_in: Option<String>,
    #[command(flatten)]
    pub create: super::CreateAgentArg,
}

#[derive(Args, Debug)]
pub struct SetupArgs {
    /// The provider (only anthropic has a setup-token).
    #[arg(long, default_value = flow::SETUP_TOKEN_PROVIDER)]
    pub provider: String,
    #[arg(long, help = format!("Profile id (default: {})", flow::DEFAULT_PROFILE_ID))]
    pub profile_id: Option<String>,
    #[arg(long, value_name = "DURATION", help = format!(
        "When the token expires, from now (default {}, what `claude setup-token` issues)",
        flow::DEFAULT_EXPIRES_IN
    ))]
    pub expires_in: Option<String>,
    /// Accepted for old scripts; nothing is asked before running `claude setup-token`.
    #[arg(long, hide = true)]
    pub yes: bool,
    #[command(flatten)]
    pub create: super::CreateAgentArg,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// The provider whose key to print (any spelling: `z.ai` is `zai`).
    #[arg(long)]
    pub provider: String,
    /// Use exactly this profile (no fallback to other profiles or the env).
    #[arg(long)]
    pub profile: Option<String>,
    /// Refresh the OAuth login first even if it looks fresh: the client got
    /// a 401 with the current token. One refresh, skipped if another
    /// process already replaced the token.
    #[arg(long)]
    pub force: bool,
    /// Print {token, type, provider, profileId, expiresAt} as one JSON line.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// raw (the key alone), json, or env (`VAR='key'`, shell-quoted, with the
    /// variable the provider's clients read).
    #[arg(long, value_enum)]
    pub format: Option<KeyFormat>,
    #[arg(long, value_name = "DURATION", help = format!(
        "Refresh first when the key would expire sooner than this (e.g. 10m, 1h; a bare number is minutes). \
         Default {}, so a key outlives Claude Code's 5-minute helper cache",
        clawdbot_auth_core::format_remaining_short(Some(flow::TOKEN_MIN_VALID_MS as f64))
    ))]
    pub min_valid: Option<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFormat {
    Raw,
    Json,
    Env,
}

pub fn run(args: AuthArgs, agent: Option<String>) -> Exit {
    match args.command {
        AuthCommand::Add(a) => add(&a, agent),
        AuthCommand::PasteToken(a) => paste_token(&a, agent),
        AuthCommand::SetupToken(a) => setup_token(&a, agent),
        AuthCommand::Order(cmd) => order::run(cmd, agent),
        AuthCommand::Token(a) => token(&a, agent),
        AuthCommand::Refresh(a) => super::refresh::run(&a, agent),
        AuthCommand::List(a) => super::manage::list(&a, agent),
        AuthCommand::Remove(a) => super::manage::remove(&a, agent),
        AuthCommand::Cooldown(cmd) => super::manage::cooldown(&cmd, agent),
        AuthCommand::PasteApiKey(a) => super::manage::paste_api_key(&a, agent),
        AuthCommand::Sync(a) => super::manage::sync(&a, agent),
    }
}

/// `models auth add`: the core's [`AddCommand`], carried out.
fn add(args: &AddArgs, agent: Option<String>) -> Exit {
    let env = current_env();
    let request =
        AddRequest { agent, create_agent: args.create.create_agent, terminal: std::io::stdin().is_terminal() };
    let mut flow = AddCommand::new(request, &env, now(&env));
    let world = NativeWorld::new(&env);
    Interpreter::new(&world).run(&mut flow).exit
}

/// `models auth paste-token`: the core's [`PasteTokenCommand`], carried out.
fn paste_token(args: &PasteArgs, agent: Option<String>) -> Exit {
    let env = current_env();
    let request = PasteTokenRequest {
        provider: args.provider.clone(),
        profile_id: args.profile_id.clone(),
        expires_in: args.expires_in.clone(),
        agent,
        create_agent: args.create.create_agent,
    };
    let mut flow = PasteTokenCommand::new(request, &env, now(&env));
    let world = NativeWorld::new(&env);
    Interpreter::new(&world).run(&mut flow).exit
}

/// `models auth setup-token`: the core's [`SetupCommand`], carried out.
fn setup_token(args: &SetupArgs, agent: Option<String>) -> Exit {
    let env = current_env();
    let terminal = std::io::stdin().is_terminal();
    let world = NativeWorld::new(&env);
    let request = SetupRequest {
        profile_id: args.profile_id.clone(),
        expires_in: args.expires_in.clone(),
        agent,
        create_agent: args.create.create_agent,
        terminal,
    };
    let mut flow = SetupCommand::new(&args.provider, request, std::io::stdout().is_terminal(), &env, now(&env));
    Interpreter::new(&world).run(&mut flow).exit
}

/// `models auth token`: the core's [`TokenCommand`], carried out.
fn token(args: &TokenArgs, agent: Option<String>) -> Exit {
    let env = current_env();
    let request =
        TokenRequest { provider: args.provider.clone(), profile: args.profile.clone(), agent, force: args.force };
    let form = match (args.json, args.format) {
        (true, _) | (_, Some(KeyFormat::Json)) => KeyForm::Json,
        (_, Some(KeyFormat::Env)) => KeyForm::Env,
        _ => KeyForm::Raw,
    };
    let mut flow = TokenCommand::new(request, &env, now(&env)).form(form);
    if let Some(raw) = &args.min_valid {
        flow = flow.min_valid_flag(raw);
    }
    let world = NativeWorld::new(&env);
    Interpreter::new(&world).run(&mut flow).exit
}
