//! `clawdbot man`: one manual page per command, straight from the clap
//! definitions (so the flags can never drift from the binary), plus the
//! sections clap knows nothing about: EXIT STATUS, ENVIRONMENT and FILES,
//! written from the core's tables (so they cannot drift from what the core
//! does either), and SEE ALSO. Every page a page names is generated with it.

use super::failed;
use clap::Args;
use clawdbot_auth_core::flow::Exit;
use clawdbot_auth_core::manual;
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

pub fn run(args: &ManArgs) -> Exit {
    let root = <super::Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    let name = page_name(&root, &args.command);
    let pages = pages(root);
    let written = match &args.out_dir {
        Some(dir) => write_all(dir, &pages),
        None => {
            let want = std::iter::once("clawdbot").chain(args.command.iter().map(String::as_str)).collect::<Vec<_>>();
            let Some(page) = pages.iter().find(|p| Some(&p.name) == name.as_ref()) else {
                let names = pages.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ");
                return failed(Exit::Usage, format!("no manual page for `{}`; there are: {names}", want.join(" ")));
            };
            return super::print_all(page.text.as_bytes(), "the manual page");
        }
    };
    match written {
        Ok(()) => Exit::Ok,
        Err(err) => failed(Exit::Error, err),
    }
}

/// The page of the command `words` name, as the parser reads them: an
/// alias (`models auth logout`) names its command's page.
fn page_name(root: &clap::Command, words: &[String]) -> Option<String> {
    let mut cmd = root;
    let mut name = root.get_name().to_string();
    for word in words {
        cmd = cmd.find_subcommand(word)?;
        name = format!("{name}-{}", cmd.get_name());
    }
    Some(name)
}

/// `--out-dir`: every page into `dir`, each path printed once written; a
/// failure names the folder or page it failed on.
fn write_all(dir: &std::path::Path, pages: &[Page]) -> Result<(), String> {
    let named = |path: &std::path::Path, err: std::io::Error| format!("{}: {err}", path.display());
    std::fs::create_dir_all(dir).map_err(|e| named(dir, e))?;
    for page in pages {
        let path = dir.join(&page.file);
        std::fs::write(&path, &page.text).map_err(|e| named(&path, e))?;
        let line = format!("{}\n", clawdbot_auth_core::escape_control(&path.to_string_lossy()));
        std::io::Write::write_all(&mut std::io::stdout(), line.as_bytes())
            .map_err(|e| format!("could not write to standard output: {e}"))?;
    }
    Ok(())
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

/// The EXIT STATUS rows: each code and what it means.
pub fn exit_status() -> Vec<(String, String)> {
    Exit::ALL.iter().map(|e| (e.code().to_string(), e.meaning())).collect()
}

/// The ENVIRONMENT rows: the core's variables, then the providers' keys.
pub fn environment() -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> =
        manual::environment().into_iter().map(|v| (v.names.join(", "), v.meaning)).collect();
    rows.push((manual::provider_variables().join(", "), "provider keys taken from the environment.".into()));
    rows
}

/// The FILES rows.
pub fn files() -> Vec<(String, String)> {
    manual::files().into_iter().map(|f| (f.path, f.meaning)).collect()
}

fn extra_sections(parent: Option<&str>) -> Roff {
    let mut roff = Roff::new();
    let mut table = |title: &str, rows: Vec<(String, String)>, term: fn(&str) -> roff::Inline| {
        roff.control("SH", [title]);
        for (key, text) in rows {
            roff.control("TP", []);
            roff.text([term(&key)]);
            roff.text([roman(text)]);
        }
    };
    table("EXIT STATUS", exit_status(), |k| bold(k));
    table("ENVIRONMENT", environment(), |k| bold(k));
    table("FILES", files(), |k| italic(k));
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
