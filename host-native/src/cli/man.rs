//! `clawdbot man`: one manual page per command, straight from the clap
//! definitions (so the flags can never drift from the binary), plus the
//! sections clap knows nothing about: EXIT STATUS, ENVIRONMENT, FILES and
//! SEE ALSO. Every page a page names is generated with it.

use super::{CmdResult, exit, usage};
use clap::Args;
use roff::{Roff, bold, italic, roman};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ManArgs {
    /// The command whose page to print, e.g. `models auth` (default: clawdbot).
    pub command: Vec<String>,
    /// Write every page (clawdbot.1, clawdbot-models.1, ...) into this folder
    /// instead of printing one.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub out_dir: Option<PathBuf>,
}

/// The exit codes, as docs/cli.md lists them.
const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "ok."),
    (
        "1",
        "action needed: with --check, a provider the configured models use has no usable credential (expired, \
         refused at refresh, without an expiry, or none), or auth-profiles.json or clawdbot.json cannot be read (with \
         --strict: any stored OAuth login or token expired or without an expiry); doctor: a human must act; \
         other commands: the request was refused (unknown profile, malformed token).",
    ),
    (
        "2",
        "with --check: the best credential of a provider in use expires within the warning window \
         (--warn-within, default 24h) and cannot renew itself (with --strict: any stored one does).",
    ),
    (
        "3",
        "the command could not run: an I/O error, the store locked by another process, a network error, \
         or a store that declares a newer version and so is never written.",
    ),
    ("64", "the command line is wrong."),
];

/// The variables an operator sets, as docs/environment.md lists them.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("HOME", "where everything lives by default."),
    ("CLAWDBOT_STATE_DIR", "the state folder (default ~/.clawdbot; legacy CLAWDIS_STATE_DIR)."),
    ("CLAWDBOT_CONFIG_PATH", "the config file (default <state>/clawdbot.json)."),
    ("CLAWDBOT_AGENT_DIR", "the default agent's folder (then PI_CODING_AGENT_DIR; default <state>/agents/main/agent)."),
    ("CLAWDBOT_OAUTH_DIR", "folder of the legacy oauth.json (default <state>/credentials)."),
    ("CLAUDE_CONFIG_DIR", "Claude Code's folder (default ~/.claude)."),
    ("CODEX_HOME", "Codex CLI's folder (default ~/.codex)."),
    ("CLAWDBOT_KEYCHAIN", "off: never read the macOS Keychain."),
    ("CLAWDBOT_LOAD_SHELL_ENV", "1, true, yes or on: import model keys from a login shell when none is set."),
    ("CLAWDBOT_SHELL_ENV_TIMEOUT_MS", "deadline of that login shell (default 15000)."),
    ("CLAWDBOT_REFRESH_WINDOW_MS", "how long before expiry an OAuth login is refreshed on use (default 5 min)."),
    ("CLAWDBOT_HTTP_TIMEOUT_MS", "total timeout of a token request (default 15 s)."),
    ("CLAWDBOT_LOCK_WAIT_MS", "longest wait for the store lock (default 45 s)."),
    (
        "ANTHROPIC_OAUTH_TOKEN, ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY, ...",
        "provider keys taken from the environment.",
    ),
    ("NO_COLOR, TERM=dumb", "no colours (colours are used only on a terminal anyway)."),
];

/// The files read and written, relative to the defaults above.
const FILES: &[(&str, &str)] = &[
    ("~/.clawdbot/clawdbot.json", "the gateway's config (JSON5); rewritten as JSON after a backup when it was JSON5."),
    ("./.env, ~/.clawdbot/.env", "variables read as the gateway reads them, never overriding one already set."),
    ("~/.clawdbot/agents/<id>/agent/auth-profiles.json", "an agent's credential store (0600)."),
    ("~/.clawdbot/agents/<id>/agent/auth-profiles.json.lock", "the store's lock folder, shared with the Node gateway."),
    ("~/.clawdbot/agents/<id>/agent/auth.json", "the legacy store, migrated once."),
    ("~/.clawdbot/credentials/oauth.json", "legacy OAuth logins, migrated once."),
    ("~/.claude/.credentials.json", "Claude Code's login, synced in (and written back after a refresh)."),
    ("~/.codex/auth.json", "Codex CLI's login, synced in (and written back after a refresh)."),
];

pub fn run(args: &ManArgs) -> CmdResult {
    let root = <super::Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    let pages = pages(root);
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            for page in &pages {
                let path = dir.join(&page.file);
                std::fs::write(&path, &page.text)?;
                println!("{}", clawdbot_auth_core::escape_control(&path.to_string_lossy()));
            }
        }
        None => {
            let want = std::iter::once("clawdbot").chain(args.command.iter().map(String::as_str)).collect::<Vec<_>>();
            let name = want.join("-");
            let Some(page) = pages.iter().find(|p| p.name == name) else {
                return Err(usage(format!(
                    "no manual page for `{}`; there are: {}",
                    clawdbot_auth_core::escape_control(&want.join(" ")),
                    pages.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
                )));
            };
            std::io::Write::write_all(&mut std::io::stdout(), page.text.as_bytes())?;
        }
    }
    Ok(exit::OK)
}

/// One rendered page.
pub struct Page {
    /// `clawdbot-models-auth`.
    pub name: String,
    /// `clawdbot-models-auth.1`.
    pub file: String,
    pub text: String,
}

/// Every page: the command and each (visible) subcommand, recursively.
pub fn pages(mut root: clap::Command) -> Vec<Page> {
    root.build();
    let mut out = Vec::new();
    collect(&root, None, &mut out);
    out
}

fn collect(cmd: &clap::Command, parent: Option<&str>, out: &mut Vec<Page>) {
    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name()).to_string();
    // Subcommands carry no version: every page names the binary's.
    let man =
        clap_mangen::Man::new(cmd.clone()).source(format!("clawdbot {}", env!("CARGO_PKG_VERSION"))).manual("Clawdbot");
    let mut text = Vec::new();
    // Rendering into memory cannot fail.
    let _ = man.render(&mut text);
    let mut text = String::from_utf8_lossy(&text).into_owned();
    // render() typesets apostrophes as clap_mangen's part does, behind a
    // preamble that part has already written once.
    let preamble = Roff::new().render();
    let extra = extra_sections(parent).render();
    text.push_str(extra.strip_prefix(preamble.as_str()).unwrap_or(&extra));
    out.push(Page { file: format!("{name}.1"), name: name.clone(), text });
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, Some(&name), out);
    }
}

fn extra_sections(parent: Option<&str>) -> Roff {
    let mut roff = Roff::new();
    let mut table = |title: &str, rows: &[(&str, &str)], term: fn(&str) -> roff::Inline| {
        roff.control("SH", [title]);
        for (key, text) in rows {
            roff.control("TP", []);
            roff.text([term(key)]);
            roff.text([roman(*text)]);
        }
    };
    table("EXIT STATUS", EXIT_STATUS, |k| bold(k));
    table("ENVIRONMENT", ENVIRONMENT, |k| bold(k));
    table("FILES", FILES, |k| italic(k));
    roff.control("SH", ["SEE ALSO"]);
    let mut see = Vec::new();
    if let Some(parent) = parent {
        see.push(bold(parent));
        see.push(roman("(1), "));
    }
    see.push(roman("docs/cli.md, docs/authentication.md and docs/auth-monitoring.md in the source."));
    roff.text(see);
    roff
}
