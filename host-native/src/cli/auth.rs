//! `clawdbot models auth ...`: add and paste credentials, run Claude Code's
//! setup-token, manage the order, print the key to use now.
//!
//! Tokens are read from standard input (a prompt on a terminal), never from
//! argv, where `ps` would show them.

use super::order::{self, OrderCommand};
use crate::host::{NativeWorld, current_env, now};
use crate::interpreter::Interpreter;
use clap::{Args, Subcommand};
use clawdbot_auth_core::flow::{
    self, AddCommand, AddRequest, Exit, LoginCommand, LoginRequest, PasteTokenCommand, PasteTokenRequest, SetupCommand,
    SetupRequest, TokenCommand, TokenRequest,
};
use clawdbot_auth_core::{DurationFlag, KeyForm};
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
    /// Log in to a provider: a device code (no browser needed here), the
    /// browser with a loopback redirect or a pasted one, or Claude Code's
    /// own login for Anthropic.
    #[command(long_about = login_about())]
    Login(LoginArgs),
    /// Log in to GitHub Copilot with a device code (`login --provider github-copilot`).
    #[command(long_about = copilot_about())]
    LoginGithubCopilot(CopilotLoginArgs),
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
pub struct LoginArgs {
    /// The provider to log in to (openai-codex, github-copilot, anthropic; any spelling).
    #[arg(long)]
    pub provider: String,
    /// Log in with a code entered on any device: nothing here needs a browser.
    #[arg(long)]
    pub device_code: bool,
    #[arg(long, help = format!("Profile id (default: <provider>:{})", flow::DEFAULT_PROFILE_NAME))]
    pub profile_id: Option<String>,
    #[command(flatten)]
    pub options: LoginOptions,
}

#[derive(Args, Debug)]
pub struct CopilotLoginArgs {
    #[arg(long, help = format!("Profile id (default: {}:{})", flow::COPILOT_PROVIDER, flow::DEFAULT_PROFILE_NAME))]
    pub profile_id: Option<String>,
    /// Accepted for old scripts; nothing is asked.
    #[arg(long, hide = true)]
    pub yes: bool,
    #[command(flatten)]
    pub options: LoginOptions,
}

/// What `login` and its Copilot alias both take, declared once.
#[derive(Args, Debug)]
pub struct LoginOptions {
    /// GitHub Enterprise with data residency: the host (e.g. example.ghe.com).
    #[arg(long, value_name = "HOST")]
    pub enterprise_domain: Option<String>,
    #[command(flatten)]
    pub create: super::CreateAgentArg,
    /// Replace an API key or token stored under the id without asking.
    #[arg(long)]
    pub force: bool,
    #[arg(long, help = format!(
        "Also make the provider's model the default (agents.defaults.model; {})",
        flow::login_models_help()
    ))]
    pub set_default: bool,
}

impl LoginOptions {
    /// The request for `provider` with these options.
    fn request(
        &self,
        provider: String,
        device_code: bool,
        profile_id: Option<String>,
        agent: Option<String>,
    ) -> LoginRequest {
        LoginRequest {
            provider,
            device_code,
            profile_id,
            enterprise_domain: self.enterprise_domain.clone(),
            create_agent: self.create.create_agent,
            force: self.force,
            set_default: self.set_default,
            agent,
            ..LoginRequest::default()
        }
    }
}

/// `login --help`: the methods, the servers each talks to, whose client.
fn login_about() -> String {
    format!(
        "Log in to a provider and store the login as an OAuth profile (under the store lock; a login \
         already stored under the same id is replaced, and the output says so; an API key or token there \
         is replaced only when you say yes, asked before anything is sent, or with --force).\n\n\
         Device codes work without a terminal or a browser here: the URL and code are printed on stderr, \
         and the command polls until the code is entered, it expires, or Ctrl-C (nothing is stored). The \
         browser login listens for the redirect on 127.0.0.1; over SSH, without a display, or when the port \
         is taken it asks for the redirect URL to be pasted (also from standard input).\n\n\
         Endpoints:\n{}\n\n\
         CLAWDBOT_AUTH_URL_<PROVIDER> and CLAWDBOT_API_URL_<PROVIDER> replace the authorization and API \
         servers' origins (https://, or http:// on a loopback host); CLAWDBOT_TOKEN_URL_<PROVIDER> still \
         wins for token requests. The client ids are other tools' public ones; the provider's terms apply.",
        flow::endpoints_help()
    )
}

/// `login-github-copilot --help`.
fn copilot_about() -> String {
    let copilot =
        flow::endpoints_help().lines().filter(|l| l.starts_with(flow::COPILOT_PROVIDER)).collect::<Vec<_>>().join("\n");
    format!(
        "Log in to GitHub Copilot with a device code, as `models auth login --provider github-copilot`. \
         The GitHub token is stored as the login's refresh token; `models auth token --provider \
         github-copilot` hands out the short-lived Copilot token exchanged for it.\n\nEndpoints:\n{copilot}"
    )
}

#[derive(Args, Debug)]
pub struct PasteArgs {
    /// The provider the token is for (e.g. anthropic, openai; any spelling).
    #[arg(long)]
    pub provider: String,
    #[arg(long, help = format!("Profile id (default: <provider>:{})", clawdbot_auth_core::PASTED_TOKEN_NAME))]
    pub profile_id: Option<String>,
    #[arg(long, value_name = "DURATION", help = format!(
        "When the token expires, from now, e.g. 365d or 12h ({})",
        DurationFlag::ExpiresIn.help()
    ))]
    pub expires_in: Option<String>,
    #[command(flatten)]
    pub stored_ref: super::RefArg,
    #[command(flatten)]
    pub create: super::CreateAgentArg,
    /// Replace an API key or login stored under the id without asking.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct SetupArgs {
    /// The provider (only anthropic has a setup-token).
    #[arg(long, default_value = flow::SETUP_TOKEN_PROVIDER)]
    pub provider: String,
    #[arg(long, help = format!("Profile id (default: {})", flow::DEFAULT_PROFILE_ID))]
    pub profile_id: Option<String>,
    #[arg(long, value_name = "DURATION", help = format!(
        "When the token expires, from now (default {}, what `claude setup-token` issues; {})",
        flow::DEFAULT_EXPIRES_IN,
        DurationFlag::ExpiresIn.help()
    ))]
    pub expires_in: Option<String>,
    /// Accepted for old scripts; nothing is asked before running `claude setup-token`.
    #[arg(long, hide = true)]
    pub yes: bool,
    #[command(flatten)]
    pub create: super::CreateAgentArg,
    /// Replace an API key or login stored under the id without asking.
    #[arg(long)]
    pub force: bool,
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
    /// variable the provider's clients read; refused where they read none).
    #[arg(long, value_enum)]
    pub format: Option<KeyFormat>,
    #[arg(long, value_name = "DURATION", help = format!(
        "Refresh first when the key would expire sooner than this, e.g. 10m or 1h ({}). \
         Default {}, so a key outlives Claude Code's 5-minute helper cache",
        DurationFlag::MinValid.help(),
        clawdbot_auth_core::format_remaining_short(Some(flow::TOKEN_MIN_VALID_MS as f64))
    ))]
    pub min_valid: Option<String>,
    /// Run the resolvers of exec SecretRefs (`secrets.providers.<alias>`
    /// with `source: "exec"`); without it they are "not checked".
    #[arg(long)]
    pub allow_exec: bool,
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
        AuthCommand::Login(a) => {
            login(a.options.request(a.provider.clone(), a.device_code, a.profile_id.clone(), agent))
        }
        // The reference's alias: a Copilot device-code login.
        AuthCommand::LoginGithubCopilot(a) => {
            login(a.options.request(flow::COPILOT_PROVIDER.to_string(), true, a.profile_id.clone(), agent))
        }
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

/// `models auth login`: the core's [`LoginCommand`], carried out.
fn login(request: LoginRequest) -> Exit {
    let env = current_env();
    let display = cfg!(target_os = "macos") || env.get("DISPLAY").is_some() || env.get("WAYLAND_DISPLAY").is_some();
    let request = LoginRequest { terminal: std::io::stdin().is_terminal(), display, ..request };
    let mut flow = LoginCommand::new(request, &env, now(&env));
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
        force: args.force,
    };
    let mut flow = PasteTokenCommand::new(request, &env, now(&env));
    if let Some(reference) = &args.stored_ref.reference {
        flow = flow.reference(reference, args.stored_ref.allow_exec);
    }
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
        force: args.force,
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
    let mut flow = TokenCommand::new(request, &env, now(&env)).form(form).allow_exec(args.allow_exec);
    if let Some(raw) = &args.min_valid {
        flow = flow.min_valid_flag(raw);
    }
    let world = NativeWorld::new(&env);
    Interpreter::new(&world).run(&mut flow).exit
}
