//! `clawdbot doctor`: the auth parts of spec §3.4, finishing in well under
//! a second when no network call is needed, and exiting 1 when a human
//! must act (the reference always exits 0).

use super::{CmdResult, exit, output};
use crate::host::{NativeWorld, current_env, now};
use crate::persist::load_and_persist;
use crate::refresh::refresh_profile;
use crate::world::fsio;
use clap::Args;
use clawdbot_auth_core::doctor::{Issue, preview};
use clawdbot_auth_core::escape::escape_control;
use clawdbot_auth_core::health::HealthStatus;
use clawdbot_auth_core::load::load;
use clawdbot_auth_core::paths::Env;
use clawdbot_auth_core::report::{self, ReportOptions};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Answer yes to every repair.
    #[arg(long)]
    pub yes: bool,
    /// Apply repairs without asking (same as --yes for auth).
    #[arg(long)]
    pub repair: bool,
    /// Never prompt and never write anything but safe migrations.
    #[arg(long)]
    pub non_interactive: bool,
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

/// Offers to refresh the OAuth logins that are expired or expiring (A74:
/// expiring ones too, forced, since they are not yet due by the refresh
/// window), then returns the issues as they are afterwards.
fn refresh_issues(p: &Prompter, world: &NativeWorld, env: &Env, now: i64, issues: Vec<Issue>) -> Vec<Issue> {
    let due: Vec<&Issue> = issues
        .iter()
        .filter(|i| i.refreshable && matches!(i.status, HealthStatus::Expired | HealthStatus::Expiring))
        .collect();
    if due.is_empty() || !p.confirm("Refresh expiring OAuth tokens now?") {
        return issues;
    }
    let mut errors = Vec::new();
    for issue in due {
        let id = escape_control(&issue.profile_id);
        match refresh_profile(world, env, now, None, &issue.profile_id, true) {
            Ok(report) => {
                output::line(&format!("Refreshed {id}: {}", report.result.describe()));
                errors.extend(report.warnings.iter().map(|w| format!("- {id}: {}", escape_control(w))));
            }
            Err(failure) => {
                let mut line = format!("- {id}: {}", escape_control(&failure.to_string()));
                if let Some(hint) = failure.hint() {
                    line.push_str(&format!(" — {}", escape_control(&hint)));
                }
                errors.push(line);
            }
        }
    }
    note("OAuth refresh errors", &errors);
    let after = load(world, env, now, None);
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
    let (loaded, save_error) = load_and_persist(&world, &env, now, None);
    output::notices(&loaded, save_error.as_deref());
    let report = report::build(&loaded, &ReportOptions::default());
    let plan = preview(&loaded, &report);
    let mut needs_human = false;

    note("Auth changes", &plan.changes.iter().map(|c| format!("- {}", escape_control(c))).collect::<Vec<_>>());

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

    // Permissions: credentials must not be readable by others.
    let mut perm_lines = Vec::new();
    let files = [loaded.locations.store(), loaded.locations.agent_dir.clone(), loaded.locations.claude_credentials()];
    for f in files {
        if let Some(problem) = fsio::check_private(Path::new(&f)) {
            if p.confirm(&format!("Make {} private?", env.shorten(&f))) {
                match fsio::make_private(Path::new(&f)) {
                    Ok(()) => perm_lines.push(format!("- fixed: {problem}")),
                    Err(e) => {
                        needs_human = true;
                        perm_lines.push(format!("- {problem} (could not fix: {e})"));
                    }
                }
            } else {
                needs_human = true;
                perm_lines.push(format!("- {problem} — run `clawdbot doctor --repair` or chmod it"));
            }
        }
    }
    note("Permissions", &perm_lines.iter().map(|l| escape_control(l).into_owned()).collect::<Vec<_>>());

    if !plan.problems.is_empty() {
        needs_human = true;
        note("Unreadable files (left untouched)", &plan.problems.iter().map(|l| format!("- {l}")).collect::<Vec<_>>());
    }
    let issues = refresh_issues(&p, &world, &env, now, plan.issues);
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
            .map(|prov| format!("- {}: no credentials for a provider in use", escape_control(prov)))
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
