//! `clawdbot models auth ...`: add and paste credentials, run Claude Code's
//! setup-token, manage the order, print the key to use now.
//!
//! Tokens are read from standard input (a prompt on a terminal), never from
//! argv, where `ps` would show them.

use super::order::{self, OrderCommand};
use super::{CmdResult, exit, refuse, usage};
use crate::host::{NativeWorld, current_env, now};
use crate::interpreter::Interpreter;
use crate::persist::update_store;
use anyhow::Context;
use clap::{Args, Subcommand};
use clawdbot_auth_core::duration::{DurationUnit, parse_duration};
use clawdbot_auth_core::flow::{TokenCommand, TokenRequest};
use clawdbot_auth_core::handout::KeyForm;
use clawdbot_auth_core::load::{Loaded, load};
use clawdbot_auth_core::provider::normalize;
use clawdbot_auth_core::secret::Secret;
use clawdbot_auth_core::setup_token::clean_pasted_token;
use clawdbot_auth_core::store::{Credential, CredentialType, Profile, Token};
use clawdbot_auth_core::time::Expiry;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Args, Debug)]
pub struct AuthArgs {
    #[command(subcommand)]
    pub command: AuthCommand,
    /// The agent whose credentials to work on (also accepted after the subcommand).
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum AuthCommand {
    /// Interactively add a credential (asks for provider, id and expiry).
    Add,
    /// Store a token read from standard input as a `token` profile.
    PasteToken(PasteArgs),
    /// Run `claude setup-token` and require the synced anthropic:claude-cli profile.
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
pub struct PasteArgs {
    #[arg(long)]
    pub provider: String,
    /// Profile id (default: <provider>:manual).
    #[arg(long)]
    pub profile_id: Option<String>,
    /// When the token expires, from now (e.g. 365d, 12h; a bare number is days).
    #[arg(long, value_name = "DURATION")]
    pub expires_in: Option<String>,
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
}

#[derive(Args, Debug)]
pub struct SetupArgs {
    #[arg(long, default_value = "anthropic")]
    pub provider: String,
    /// Do not ask before running `claude setup-token`.
    #[arg(long)]
    pub yes: bool,
    /// The agent whose store takes the synced login.
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    #[arg(long)]
    pub provider: String,
    /// Use exactly this profile (no fallback to other profiles or the env).
    #[arg(long)]
    pub profile: Option<String>,
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
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
    /// Refresh first when the key would expire sooner than this (e.g. 10m,
    /// 1h; a bare number is minutes). Default 10m, so a key outlives Claude
    /// Code's 5-minute helper cache.
    #[arg(long, value_name = "DURATION")]
    pub min_valid: Option<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFormat {
    Raw,
    Json,
    Env,
}

pub fn run(args: AuthArgs) -> CmdResult {
    let agent = args.agent.as_deref();
    match args.command {
        AuthCommand::Add => add(agent),
        AuthCommand::PasteToken(mut a) => {
            a.agent = a.agent.or(inherited(agent));
            paste_token(&a, None)
        }
        AuthCommand::SetupToken(mut a) => {
            a.agent = a.agent.or(inherited(agent));
            setup_token(&a)
        }
        AuthCommand::Order(mut cmd) => {
            let target = match &mut cmd {
                OrderCommand::Get(g) => &mut g.target,
                OrderCommand::Set(s) => &mut s.target,
                OrderCommand::Clear(t) => t,
            };
            target.agent = target.agent.take().or(inherited(agent));
            order::run(cmd)
        }
        AuthCommand::Token(mut a) => {
            a.agent = a.agent.or(inherited(agent));
            token(&a)
        }
        AuthCommand::Refresh(mut a) => {
            a.agent = a.agent.or(inherited(agent));
            super::refresh::run(&a)
        }
        AuthCommand::List(a) => super::manage::list(&a, agent),
        AuthCommand::Remove(a) => super::manage::remove(&a, agent),
        AuthCommand::Cooldown(cmd) => super::manage::cooldown(&cmd, agent),
        AuthCommand::PasteApiKey(a) => super::manage::paste_api_key(&a, agent),
        AuthCommand::Sync(a) => super::manage::sync(&a, agent),
    }
}

/// The agent given at the group level (`models auth --agent ID ...`),
/// for a subcommand that was not given its own.
fn inherited(agent: Option<&str>) -> Option<String> {
    agent.map(str::to_string)
}

/// Reads one secret: a prompt on a terminal, else all of standard input.
fn read_secret(prompt: &str) -> Result<String, super::Failure> {
    let stdin = std::io::stdin();
    let mut text = String::new();
    if stdin.is_terminal() {
        eprint!("{prompt}: ");
        let _ = std::io::stderr().flush();
        stdin.lock().read_line(&mut text).context("reading the token")?;
    } else {
        std::io::Read::read_to_string(&mut stdin.lock(), &mut text).context("reading the token from stdin")?;
    }
    Ok(text)
}

fn ask(prompt: &str, default: &str) -> Result<String, super::Failure> {
    eprint!("{prompt} [{default}]: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading an answer")?;
    let line = line.trim();
    Ok(if line.is_empty() { default.to_string() } else { line.to_string() })
}

fn add(agent: Option<&str>) -> CmdResult {
    if !std::io::stdin().is_terminal() {
        return Err(usage("`models auth add` is interactive; use `models auth paste-token` from scripts."));
    }
    let provider = normalize(&ask("Provider", "anthropic")?);
    let profile_id = ask("Profile id", &format!("{provider}:manual"))?;
    let expires = match ask("Does this token expire? (y/N)", "n")?.to_lowercase().as_str() {
        "y" | "yes" => Some(ask("Expires in", "365d")?),
        _ => None,
    };
    let agent = inherited(agent);
    paste_token(&PasteArgs { provider, profile_id: Some(profile_id), expires_in: expires, agent }, None)
}

fn paste_token(args: &PasteArgs, given: Option<String>) -> CmdResult {
    let provider = normalize(&args.provider);
    if provider.is_empty() {
        return Err(usage("--provider must not be empty"));
    }
    let profile_id = args.profile_id.clone().unwrap_or_else(|| format!("{provider}:manual"));
    let expires_ms = match &args.expires_in {
        Some(raw) => Some(parse_duration(raw, DurationUnit::D).map_err(|e| usage(format!("--expires-in: {e}")))?),
        None => None,
    };
    let raw = match given {
        Some(t) => t,
        None => read_secret(&format!("Paste token for {provider}"))?,
    };
    let token = clean_pasted_token(&raw).map_err(|e| refuse(e.to_string()))?;
    let env = current_env();
    let now = now(&env);
    let world = NativeWorld::new(&env, false);
    let credential = Credential::Token(Token {
        provider: provider.clone(),
        token: Some(Secret::new(token)),
        expires: expires_ms.map(|ms| Expiry::from_millis(now.saturating_add(ms))),
        email: None,
    });
    update_store(&world, &env, now, args.agent.as_deref(), |store, _| {
        store.profiles.insert(profile_id.clone(), Profile::new(credential));
        // A paste under a removed synced login's id re-adds it.
        clawdbot_auth_core::sync::enable_sync(store, &profile_id);
        Ok(())
    })?;
    record_config_mode(&world, &env, now, args.agent.as_deref(), &profile_id, &provider, CredentialType::Token)?;
    println!("Auth profile: {profile_id} ({provider}/token)");
    Ok(exit::OK)
}

/// Records the profile's mode in clawdbot.json under the store lock, against
/// the config as it is inside the lock: two `paste-token` runs at once would
/// otherwise each write the config they read before, and the slower one
/// drops the other's entry.
fn record_config_mode(
    world: &NativeWorld,
    env: &clawdbot_auth_core::paths::Env,
    now: i64,
    agent: Option<&str>,
    id: &str,
    provider: &str,
    mode: CredentialType,
) -> Result<(), super::Failure> {
    let store_path = load(world, env, now, agent).locations.store();
    crate::persist::locked(&store_path, || {
        let loaded = load(world, env, now, agent);
        Ok(write_config_mode(&loaded, id, provider, mode))
    })?
}

/// Records the profile's mode in clawdbot.json (§2.11), keeping every other key.
fn write_config_mode(loaded: &Loaded, id: &str, provider: &str, mode: CredentialType) -> Result<(), super::Failure> {
    if loaded.config.unreadable {
        return Err(refuse(format!(
            "{} cannot be read, so the profile's mode was not recorded there; fix the file and run this again",
            loaded.locations.config
        )));
    }
    let mut raw = loaded.config.raw.clone().unwrap_or_else(|| serde_json::json!({}));
    let before = raw.clone();
    clawdbot_auth_core::repair::apply_auth_profile_config(&mut raw, id, provider, mode, None)
        .map_err(|e| refuse(e.to_string()))?;
    if raw != before {
        if let Some(bak) = crate::persist::write_config(&loaded.locations.config, &raw)? {
            eprintln!("note: the JSON5 original (with its comments) was saved as {}", loaded.env.shorten(&bak));
        }
        println!("Updated {}", loaded.env.shorten(&loaded.locations.config));
    }
    Ok(())
}

fn setup_token(args: &SetupArgs) -> CmdResult {
    if normalize(&args.provider) != "anthropic" {
        return Err(refuse("Only --provider anthropic is supported for setup-token (uses `claude setup-token`)."));
    }
    if !std::io::stdin().is_terminal() {
        return Err(refuse("setup-token requires an interactive TTY."));
    }
    if !args.yes && !matches!(ask("Run `claude setup-token` now? (Y/n)", "y")?.to_lowercase().as_str(), "y" | "yes") {
        return Ok(exit::OK);
    }
    let status = std::process::Command::new("claude").arg("setup-token").status().context("running `claude`")?;
    if !status.success() {
        return Err(refuse(format!("claude setup-token failed (exit {})", status.code().unwrap_or(-1))));
    }
    let env = current_env();
    let now = now(&env);
    let world = NativeWorld::new(&env, true);
    let agent = args.agent.as_deref();
    // Logging in again re-adds a Claude Code login `models auth remove`
    // kept out of the sync; the core's sync flow lifts that and syncs.
    let mut enable = clawdbot_auth_core::flow::SyncCommand::enable(&env, agent, "claude-cli", now).map_err(usage)?;
    crate::interpreter::Interpreter::new(&world).stdout_to_stderr().run(&mut enable);
    let (loaded, save_error) = crate::persist::load_and_persist(&world, &env, now, agent);
    super::output::notices(&loaded, save_error.as_deref());
    if !loaded.store.profiles.contains_key("anthropic:claude-cli") {
        return Err(refuse(
            "No Claude CLI credentials found after setup-token. Expected auth profile anthropic:claude-cli.",
        ));
    }
    // `oauth` accepts a stored token too, so the mode never filters the
    // refreshable login out (the reference's #855).
    record_config_mode(&world, &env, now, agent, "anthropic:claude-cli", "anthropic", CredentialType::OAuth)?;
    println!("Auth profile: anthropic:claude-cli (anthropic/oauth)");
    Ok(exit::OK)
}

/// `models auth token`: the core's [`TokenCommand`], carried out.
fn token(args: &TokenArgs) -> CmdResult {
    let env = current_env();
    let request = TokenRequest {
        provider: args.provider.clone(),
        profile: args.profile.clone(),
        agent: args.agent.clone(),
        force: args.force,
    };
    let form = match (args.json, args.format) {
        (true, _) | (_, Some(KeyFormat::Json)) => KeyForm::Json,
        (_, Some(KeyFormat::Env)) => KeyForm::Env,
        _ => KeyForm::Raw,
    };
    let mut flow = TokenCommand::new(request, &env, now(&env)).form(form);
    if let Some(raw) = &args.min_valid {
        flow = flow.min_valid(parse_duration(raw, DurationUnit::M).map_err(|e| usage(format!("--min-valid: {e}")))?);
    }
    let world = NativeWorld::new(&env, true);
    Ok(Interpreter::new(&world).run(&mut flow).exit.code())
}
