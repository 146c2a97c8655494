//! `clawdbot doctor`: the auth parts of spec §3.4, finishing in well under
//! a second when no network call is needed, and exiting 1 when a human
//! must act (the reference always exits 0).

use super::{CmdResult, exit, output};
use crate::host::{NativeWorld, current_env, now};
use crate::interpreter::Interpreter;
use crate::persist::load_and_persist;
use clap::Args;
use clawdbot_auth_core::doctor::{Issue, change_notes, preview};
use clawdbot_auth_core::escape::escape_control;
use clawdbot_auth_core::flow::{RefreshCommand, due_for_doctor};
use clawdbot_auth_core::load::Loaded;
use clawdbot_auth_core::paths::Env;
use clawdbot_auth_core::permissions::{PathKind, agents_to_check, others_can_write, private_paths, symlink_text};
use clawdbot_auth_core::report::{self, ReportOptions};
use std::io::{BufRead, IsTerminal, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Answer yes to every repair.
    #[arg(long)]
    pub yes: bool,
    /// Apply repairs without asking (same as --yes for auth).
    #[arg(long, visible_alias = "fix")]
    pub repair: bool,
    /// Never prompt and never write anything but safe migrations
    /// (contradicts --yes and --repair: a usage error).
    #[arg(long, conflicts_with_all = ["yes", "repair"])]
    pub non_interactive: bool,
    /// The agent to check (default: every agent; the shared files always).
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
}

struct Prompter {
    non_interactive: bool,
    assume_yes: bool,
}

impl Prompter {
    /// The reference's `confirmRepair`: false when non-interactive, true
    /// under --yes/--repair, else ask on the terminal.
    fn confirm(&self, question: &str) -> bool {
        if self.non_interactive {
            return false;
        }
        if self.assume_yes {
            return true;
        }
        eprint!("{} [Y/n] ", escape_control(question));
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line).is_err() {
            return false;
        }
        !matches!(line.trim().to_lowercase().as_str(), "n" | "no")
    }
}

/// A titled block of the report; every line goes through the escaping writer.
fn note(title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    output::line(title);
    for l in lines {
        output::line(l);
    }
    println!();
}

/// Offers to refresh the OAuth logins that are due (the core's
/// [`due_for_doctor`]: expired, or inside the refresh window), then returns
/// the issues as the store is afterwards.
fn refresh_issues(p: &Prompter, world: &NativeWorld, loaded: &Loaded, issues: Vec<Issue>) -> Vec<Issue> {
    let due = due_for_doctor(loaded, &issues);
    if due.is_empty() || !p.confirm("Refresh expiring OAuth tokens now?") {
        return issues;
    }
    let mut flow = RefreshCommand::doctor(loaded.clone(), due);
    Interpreter::new(world).run(&mut flow);
    let Some(after) = flow.into_loaded() else { return issues };
    let report = report::build(&after, &ReportOptions::default());
    preview(&after, &report).issues
}

pub fn run(args: &DoctorArgs) -> CmdResult {
    let interactive_tty = std::io::stdin().is_terminal();
    let p = Prompter {
        non_interactive: args.non_interactive || (!interactive_tty && !args.yes && !args.repair),
        assume_yes: args.yes || args.repair,
    };
    let env = current_env();
    let now = now(&env);
    let world = NativeWorld::new(&env, !p.non_interactive && interactive_tty);
    // Sync and legacy migration are safe: they run even non-interactively.
    let agent = args.agent.as_deref();
    let (loaded, save_error) = load_and_persist(&world, &env, now, agent);
    output::notices(&loaded, save_error.as_deref());
    let report = report::build(&loaded, &ReportOptions::default());
    let plan = preview(&loaded, &report);
    // A change that could not be saved is no change: the store still holds
    // the old credentials, and a human must see to the write.
    let mut needs_human = save_error.is_some();
    let changes = change_notes(&loaded, save_error.as_deref());
    note("Auth changes", &changes.iter().map(|c| format!("- {c}")).collect::<Vec<_>>());
    if let Some(e) = &save_error {
        note("Not saved", &[format!("- {e}")]);
    }

    // Profile-id repair (A69, A70): config only.
    if let Some(raw) = &loaded.config.raw
        && let Some(fix) =
            clawdbot_auth_core::repair::repair_oauth_profile_id_mismatch(raw, &loaded.store, "anthropic", None)
    {
        note("Auth profiles", &[format!("- {}", escape_control(&fix.change_text))]);
        if p.confirm("Update Anthropic OAuth profile id in config now?") {
            if let Some(bak) = crate::persist::write_config(&loaded.locations.config, &fix.new_config)? {
                output::line(&format!("Saved the JSON5 original (with its comments) as {}", env.shorten(&bak)));
            }
            output::line(&format!("Updated {}", env.shorten(&loaded.locations.config)));
        } else {
            needs_human = true;
        }
    }

    note("Auth profile cooldowns", &plan.cooldowns);

    let (perm_lines, perm_human) = permissions(&p, &env, &loaded, agent);
    needs_human |= perm_human;
    note("Permissions", &perm_lines);

    if !plan.problems.is_empty() {
        needs_human = true;
        note("Unreadable files (left untouched)", &plan.problems.iter().map(|l| format!("- {l}")).collect::<Vec<_>>());
    }
    note("Warnings about files read", &plan.warnings.iter().map(|l| format!("- {l}")).collect::<Vec<_>>());
    let issues = refresh_issues(&p, &world, &loaded, plan.issues);
    if !issues.is_empty() {
        needs_human |= issues.iter().any(|i| i.needs_human);
        note("Model auth", &issues.iter().map(|i| i.line()).collect::<Vec<_>>());
    }
    if !report.auth.missing_providers_in_use.is_empty() {
        needs_human = true;
        let lines: Vec<String> = report
            .auth
            .missing_providers_in_use
            .iter()
            .map(|prov| {
                let hint = clawdbot_auth_core::remedy::for_missing_provider(prov);
                format!("- {prov}: no credentials for a provider in use — {hint}")
            })
            .collect();
        note("Missing auth", &lines);
    }
    if needs_human {
        output::line("Doctor: action needed (see above).");
        Ok(exit::ACTION)
    } else {
        output::line("Doctor: model auth is healthy.");
        Ok(exit::OK)
    }
}

/// Checks (and with consent repairs) the mode of every credential file and
/// folder the core lists for the agents in question; reports a store that
/// is a symlink into a folder others can write. Returns the report lines
/// and whether a human must still act.
fn permissions(p: &Prompter, env: &Env, loaded: &Loaded, agent: Option<&str>) -> (Vec<String>, bool) {
    let found = agent_folders(&loaded.locations.state_dir);
    let agents = agents_to_check(&loaded.config.config, agent, &found);
    let mut lines = Vec::new();
    let mut needs_human = false;
    for private in private_paths(env, &loaded.config.config, &agents) {
        let path = Path::new(&private.path);
        // Follows symlinks: the target is what holds the secret.
        let Ok(meta) = std::fs::metadata(path) else { continue };
        if meta.is_dir() != (private.kind == PathKind::Folder) {
            continue;
        }
        let mode = meta.permissions().mode() & 0o7777;
        if private.exposed(mode) {
            let problem = private.exposure_text(mode);
            if p.confirm(&format!("Make {} private?", env.shorten(&private.path))) {
                let repaired = std::fs::Permissions::from_mode(private.repaired_mode(mode));
                match std::fs::set_permissions(path, repaired) {
                    Ok(()) => lines.push(format!("- {}", private.repaired_text(mode))),
                    Err(e) => {
                        needs_human = true;
                        lines.push(format!("- {problem} (could not fix: {e})"));
                    }
                }
            } else {
                needs_human = true;
                lines.push(format!("- {problem} — run `clawdbot doctor --fix` or chmod it"));
            }
        }
        if private.store
            && let Some((dir, dir_mode)) = symlinked_into_writable(path)
        {
            needs_human = true;
            lines.push(format!("- {}", symlink_text(&private.path, &dir.to_string_lossy(), dir_mode)));
        }
    }
    (lines, needs_human)
}

/// For a symlinked store: the folder its target lives in, when others can
/// write that folder (and so replace the target).
fn symlinked_into_writable(path: &Path) -> Option<(std::path::PathBuf, u32)> {
    let link = std::fs::symlink_metadata(path).ok()?;
    if !link.file_type().is_symlink() {
        return None;
    }
    let target = std::fs::canonicalize(path).ok()?;
    let dir = target.parent()?.to_path_buf();
    let mode = std::fs::metadata(&dir).ok()?.permissions().mode() & 0o7777;
    others_can_write(mode).then_some((dir, mode))
}

/// The agent folders under `<state>/agents/`, by name.
fn agent_folders(state_dir: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(Path::new(state_dir).join("agents")) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort();
    names
}
