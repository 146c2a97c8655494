//! The `clawdbot` command line: parse, gather inputs, call the core, apply
//! its effects, print. `anyhow` lives here and nowhere deeper.

mod auth;
mod doctor;
mod man;
mod manage;
mod order;
mod refresh;
mod status;

use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;

/// Exit codes, documented in docs/cli.md. `--check` owns 0/1/2; a failure
/// to run uses 3, so monitoring can tell "expired" from "could not run".
pub mod exit {
    pub const OK: u8 = 0;
    /// `--check`: expired, missing or unreadable. Doctor: a human must act.
    /// Other commands: the request was refused (unknown profile, bad token).
    pub const ACTION: u8 = 1;
    /// `--check`: something expires within the warning window.
    pub const EXPIRING: u8 = 2;
    /// The command could not run (I/O error, store locked, network).
    pub const ERROR: u8 = 3;
    /// The command line itself is wrong.
    pub const USAGE: u8 = 64;
}

/// An error that carries its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure { code: exit::ERROR, error: e.into() }
    }
}

pub fn refuse(message: impl Into<String>) -> Failure {
    Failure { code: exit::ACTION, error: anyhow::anyhow!(message.into()) }
}

pub fn usage(message: impl Into<String>) -> Failure {
    Failure { code: exit::USAGE, error: anyhow::anyhow!(message.into()) }
}

pub type CmdResult = Result<u8, Failure>;

#[derive(Parser, Debug)]
#[command(
    name = "clawdbot",
    version,
    about = "Model credentials on a Clawdbot gateway host: status, checks, repair.",
    long_about = "Model credentials on a Clawdbot gateway host.\n\n\
        Each command reads one agent's auth-profiles.json: the configured default agent, or \
        the one named with --agent. It syncs in the logins Claude Code and Codex CLI already \
        have, and tells what is ok, expiring or expired. `doctor` checks the file permissions \
        of every agent unless given --agent.\n\n\
        Exit codes: 0 ok; 1 action needed (expired, missing, unreadable, refused); \
        2 expiring (with --check); 3 could not run; 64 usage error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Model auth status and profile management.
    Models(ModelsArgs),
    /// Find and repair credential problems (sync, migration, permissions).
    Doctor(doctor::DoctorArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell to write completions for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff), or write them all with --out-dir.
    Man(man::ManArgs),
}

#[derive(Args, Debug)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: Option<ModelsCommand>,
    /// With no subcommand: print the status as JSON.
    #[arg(long)]
    pub status_json: bool,
    /// With no subcommand: print only the resolved default model.
    #[arg(long)]
    pub status_plain: bool,
    /// With no subcommand: print the status as JSON (as `models status --json`).
    #[arg(long)]
    pub json: bool,
    /// The agent to work on, for every subcommand (also accepted after it).
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ModelsCommand {
    /// Which credentials are ok, expiring, expired or missing.
    Status(status::StatusArgs),
    /// Add, paste, order and print credentials.
    Auth(auth::AuthArgs),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { exit::OK });
        }
    };
    let result = match cli.command {
        Command::Models(m) if m.command.is_some() && (m.status_json || m.status_plain || m.json) => {
            Err(usage("--json, --status-json and --status-plain are for `clawdbot models` alone"))
        }
        Command::Models(m) => match m.command {
            Some(ModelsCommand::Status(mut args)) => {
                args.agent = args.agent.or(m.agent);
                status::run(&args)
            }
            Some(ModelsCommand::Auth(mut args)) => {
                args.agent = args.agent.or(m.agent);
                auth::run(args)
            }
            None => {
                let mut args = status::StatusArgs::bare(m.status_json || m.json, m.status_plain);
                args.agent = m.agent;
                status::run(&args)
            }
        },
        Command::Doctor(args) => doctor::run(&args),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "clawdbot", &mut std::io::stdout());
            Ok(exit::OK)
        }
        Command::Man(args) => man::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            let text = format!("{:#}", f.error);
            eprintln!("error: {}", clawdbot_auth_core::escape_control(&text));
            ExitCode::from(f.code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// `--help` explains every flag of every subcommand: a flag added
    /// without a doc comment shows up bare, as `models auth sync --agent`
    /// once did.
    #[test]
    fn every_flag_of_every_subcommand_has_help() {
        fn walk(cmd: &clap::Command, path: &str, bare: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    bare.push(format!("{path} --{}", arg.get_long().unwrap_or(id)));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), bare);
            }
        }
        let mut bare = Vec::new();
        walk(&Cli::command(), "clawdbot", &mut bare);
        assert!(bare.is_empty(), "flags without help: {bare:#?}");
    }
}
