//! The `clawdbot` command line: parse, gather inputs, call the core, apply
//! its effects, print. Exit statuses are the core's [`Exit`].

mod auth;
mod doctor;
mod man;
mod manage;
mod order;
mod panel;
mod refresh;
mod status;

use clap::{Args, CommandFactory, Parser, Subcommand};
use clawdbot_auth_core::flow::Exit;
use std::process::ExitCode;

/// Says why a command could not go on, and ends it with `exit`.
pub fn failed(exit: Exit, why: impl std::fmt::Display) -> Exit {
    eprintln!("error: {}", clawdbot_auth_core::escape_control(&why.to_string()));
    exit
}

/// Writes a command's main output to standard output, flushed: a failed
/// write (a closed pipe, `> /dev/full`) is exit 3, said on stderr.
pub fn print_all(bytes: &[u8], what: &str) -> Exit {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Exit::Ok,
        Err(err) => failed(Exit::Error, format!("could not write {what} to standard output: {err}")),
    }
}

/// `--help`'s description, its exit codes from the core's table.
fn long_about() -> String {
    let codes: Vec<String> = Exit::ALL.iter().map(|e| format!("{} {}", e.code(), e.summary())).collect();
    format!(
        "Model credentials on a Clawdbot gateway host.\n\n\
         Each command reads one agent's auth-profiles.json: the configured default agent, or \
         the one named with --agent. It syncs in the logins Claude Code and Codex CLI already \
         have, and tells what is ok, expiring or expired. `doctor` checks the file permissions \
         of every agent unless given --agent.\n\n\
         Exit codes: {}.",
        codes.join("; ")
    )
}

#[derive(Parser, Debug)]
#[command(
    name = "clawdbot",
    version,
    about = "Model credentials on a Clawdbot gateway host: status, checks, repair.",
    long_about = long_about()
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
    /// Serve the admin panel on this host's loopback interface (see --help).
    #[command(long_about = panel::LONG_ABOUT)]
    Panel(panel::PanelArgs),
}

/// `--agent`, declared once: `models` and `doctor` flatten it, and being
/// global it is taken before or after every subcommand under them.
#[derive(Args, Debug, Default, Clone)]
pub struct AgentArg {
    /// The agent whose credentials to work on (default: the configured
    /// default agent; accepted at every level, the innermost wins).
    #[arg(long, value_name = "ID", global = true)]
    pub agent: Option<String>,
}

/// `--ref` and its `--allow-exec`, declared once for the paste verbs.
#[derive(Args, Debug, Default, Clone)]
pub struct RefArg {
    /// Store a SecretRef instead of a plain value: JSON
    /// (`{"source":"exec","provider":"pass","id":"openai/key"}`) or
    /// `env:VAR`, `file:ALIAS` (a singleValue file), `file:ALIAS:/pointer`,
    /// `exec:ALIAS:ID`. It must resolve first (exec only with --allow-exec).
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// Run an exec ref's resolver to check it before storing it.
    #[arg(long)]
    pub allow_exec: bool,
}

/// `--create-agent`, declared once for the commands that store a
/// credential (the others never make an agent).
#[derive(Args, Debug, Default, Clone)]
pub struct CreateAgentArg {
    /// Make the agent `--agent` names when the config does not list it and
    /// it has no folder yet. Without it such an agent is refused (exit 1,
    /// naming the known agents): a typo must not become an agent.
    #[arg(long)]
    pub create_agent: bool,
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
    #[command(flatten)]
    pub agent: AgentArg,
}

#[derive(Subcommand, Debug)]
pub enum ModelsCommand {
    /// Which credentials are ok, expiring, expired or missing.
    #[command(after_long_help = status::probes_help())]
    Status(status::StatusArgs),
    /// Add, paste, order and print credentials.
    Auth(auth::AuthArgs),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { Exit::Usage } else { Exit::Ok }.code());
        }
    };
    ExitCode::from(run(cli).code())
}

fn run(cli: Cli) -> Exit {
    match cli.command {
        Command::Models(m) if m.command.is_some() && (m.status_json || m.status_plain || m.json) => {
            failed(Exit::Usage, "--json, --status-json and --status-plain are for `clawdbot models` alone")
        }
        Command::Models(m) => {
            let agent = m.agent.agent;
            match m.command {
                Some(ModelsCommand::Status(args)) => status::run(&args, agent),
                Some(ModelsCommand::Auth(args)) => auth::run(args, agent),
                None => status::run(&status::StatusArgs::bare(m.status_json || m.json, m.status_plain), agent),
            }
        }
        Command::Doctor(args) => doctor::run(&args),
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics on a failed write
            // (a closed pipe, a full disk), naming the build machine's paths.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "clawdbot", &mut script);
            print_all(&script, "the completion script")
        }
        Command::Man(args) => man::run(&args),
        Command::Panel(args) => panel::run(&args),
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

    /// Issue 23 item 13: a bare number is days for `--expires-in`, minutes
    /// for `--min-valid` and hours for `--warn-within` (as scripts for the
    /// reference expect), so every duration option's help says which, in
    /// the core's words; `setup-token --expires-in` and `--warn-within`
    /// said nothing.
    #[test]
    fn every_duration_option_says_the_unit_of_a_bare_number() {
        use clawdbot_auth_core::DurationFlag;
        fn walk(cmd: &clap::Command, path: &str, seen: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let names = arg.get_value_names().unwrap_or_default();
                if !names.iter().any(|n| n.as_str() == "DURATION") {
                    continue;
                }
                let long = format!("--{}", arg.get_long().unwrap_or_default());
                let flag = DurationFlag::ALL.into_iter().find(|f| f.flag() == long);
                let flag = flag.unwrap_or_else(|| panic!("{path} {long} is no DurationFlag"));
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                assert!(help.contains(&flag.help()), "{path} {long}: {help}");
                seen.push(format!("{path} {long}"));
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), seen);
            }
        }
        let mut seen = Vec::new();
        walk(&Cli::command(), "clawdbot", &mut seen);
        assert_eq!(
            seen,
            [
                "clawdbot models status --warn-within",
                "clawdbot models status --probe-timeout",
                "clawdbot models auth paste-token --expires-in",
                "clawdbot models auth setup-token --expires-in",
                "clawdbot models auth token --min-valid",
            ]
        );
    }
}
