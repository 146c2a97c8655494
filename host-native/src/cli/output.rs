//! Where text goes: reports to stdout, notices and diagnostics to stderr,
//! colours only on a terminal and never with `NO_COLOR`.

use clawdbot_auth_core::escape::escape_control;
use clawdbot_auth_core::load::Loaded;
use clawdbot_auth_core::paths::Env;
use std::io::IsTerminal;

pub fn color_stdout(env: &Env) -> bool {
    !env.is_set("NO_COLOR") && env.get("TERM") != Some("dumb") && std::io::stdout().is_terminal()
}

/// One line of a report on stdout, escaped: every line a command prints
/// about files or flags goes through here (or [`err_line`]), so no text
/// from a file or the command line reaches the terminal raw.
pub fn line(text: &str) {
    println!("{}", escape_control(text));
}

/// One line on stderr, escaped like [`line`].
pub fn err_line(text: &str) {
    eprintln!("{}", escape_control(text));
}

/// Notices of what the load changed, and its diagnostics, on stderr.
pub fn notices(loaded: &Loaded, save_error: Option<&str>) {
    // A change is called done only when it was written.
    for change in clawdbot_auth_core::doctor::change_notes(loaded, save_error) {
        err_line(&change);
    }
    diagnostics(loaded);
    if let Some(e) = save_error {
        eprintln!("warning: {}", escape_control(e));
    }
}

/// A load's diagnostics, one line each, on stderr.
pub fn diagnostics(loaded: &Loaded) {
    for line in loaded.diagnostics.iter().flat_map(|d| d.lines()) {
        err_line(&line);
    }
}
