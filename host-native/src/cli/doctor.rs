//! `clawdbot doctor`: the auth parts of spec §3.4, finishing in well under
//! a second when no network call is needed, and exiting 1 when a human
//! must act (the reference always exits 0).
//!
//! What is found is the core's ([`findings`]); `--json` prints it as one
//! document instead of the notes.

use super::{CmdResult, exit, output};
use crate::host::{NativeWorld, current_env, now};
use crate::interpreter::Interpreter;
use crate::persist::load_and_persist;
use clap::Args;
use clawdbot_auth_core::doctor::{Issue, change_notes, preview};
use clawdbot_auth_core::escape::{escape_control, terminal_safe_json};
use clawdbot_auth_core::findings::{DoctorDocument, Finding, Level, check, findings};
use clawdbot_auth_core::flow::{CooldownCommand, CooldownTarget, RefreshCommand, due_for_doctor};
use clawdbot_auth_core::load::Loaded;
use clawdbot_auth_core::paths::Env;
use clawdbot_auth_core::permissions::{PathKind, agents_to_check, others_can_write, private_paths, symlink_text};
use clawdbot_auth_core::report::{self, ReportOptions};
use clawdbot_auth_core::usage::backoff_cause_changed;
use std::io::{BufRead, IsTerminal, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Answer yes to every repair.
    #[arg(long)]
    pub yes: bool,
    /// Apply repairs without asking (same as --yes for auth); --fix is the
    /// same flag.
    #[arg(long, visible_alias = "fix")]
    pub repair: bool,
    /// Never prompt and never write anything but safe migrations
    /// (contradicts --yes and --repair: a usage error).
    #[arg(long, conflicts_with_all = ["yes", "repair"])]
    pub non_interactive: bool,
    /// Accepted so scripts written for the reference keep working; no
    /// effect here (every auth check always runs in full).
    #[arg(long)]
    pub force: bool,
    /// Accepted so scripts written for the reference keep working; no
    /// effect here (there is no deeper auth check).
    #[arg(long)]
    pub deep: bool,
    /// Print one JSON document ({ok, agentId, findings, changes}) instead
    /// of the notes; never prompts (repairs only with --fix or --yes).
    #[arg(long)]
    pub json: bool,
    /// The agent whose credentials to check (default: the configured default agent).
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
    /// Check every agent under the state dir; the exit code is the worst.
    #[arg(long, conflicts_with = "agent")]
    pub all_agents: bool,
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

/// Where a run's words go: the notes on stdout, or nowhere but the JSON
/// document (the notes' repairs then report on stderr).
struct Out {
    json: bool,
}

impl Out {
    fn note(&self, title: &str, lines: &[String]) {
        if self.json || lines.is_empty() {
            return;
        }
        // Every line goes through the escaping writer.
        output::line(title);
        for l in lines {
            output::line(l);
        }
        output::line("");
    }

    fn say(&self, line: &str) {
        match self.json {
            true => output::err_line(line),
            false => output::line(line),
        }
    }

    fn interpreter<'w>(&self, world: &'w NativeWorld) -> Interpreter<'w> {
        let interpreter = Interpreter::new(world);
        if self.json { interpreter.stdout_to_stderr() } else { interpreter }
    }
}

/// Offers to refresh the OAuth logins that are due (the core's
/// [`due_for_doctor`]: expired, or inside the refresh window), then returns
/// the load and the issues as the store is afterwards.
fn refresh_issues(
    p: &Prompter,
    out: &Out,
    world: &NativeWorld,
    loaded: Loaded,
    issues: Vec<Issue>,
) -> (Loaded, Vec<Issue>) {
    let due = due_for_doctor(&loaded, &issues);
    if due.is_empty() || !p.confirm("Refresh expiring OAuth tokens now?") {
        return (loaded, issues);
    }
    let mut flow = RefreshCommand::doctor(loaded.clone(), due);
    out.interpreter(world).run(&mut flow);
    let Some(after) = flow.into_loaded() else { return (loaded, issues) };
    let report = report::build(&after, &ReportOptions::default());
    let issues = preview(&after, &report).issues;
    (after, issues)
}

/// Offers to end the cooldowns and disables whose cause is gone (the
/// core's [`backoff_cause_changed`]); returns the profiles whose backoff
/// was ended.
fn clear_stale_backoffs(p: &Prompter, out: &Out, world: &NativeWorld, env: &Env, loaded: &Loaded) -> Vec<String> {
    let stale: Vec<String> = loaded
        .store
        .usage_stats
        .keys()
        .filter(|id| backoff_cause_changed(&loaded.store, id, loaded.now))
        .cloned()
        .collect();
    if stale.is_empty() {
        return Vec::new();
    }
    let lines: Vec<String> = stale
        .iter()
        .map(|id| {
            format!("- {}: backs off after a rejected login, but the login was renewed since", escape_control(id))
        })
        .collect();
    out.note("Stale cooldowns", &lines);
    if !p.confirm("End these cooldowns now?") {
        return Vec::new();
    }
    let mut ended = Vec::new();
    for id in stale {
        let agent = Some(loaded.locations.agent_id.as_str());
        let mut flow = CooldownCommand::clear(env, agent, CooldownTarget::Profile(id.clone()), now(env));
        if out.interpreter(world).run(&mut flow).exit.code() == exit::OK {
            ended.push(id);
        }
    }
    ended
}

/// Checks one agent: the exit code and what `--json` prints for it.
fn check_agent(args: &DoctorArgs, p: &Prompter, agent: Option<&str>) -> Result<(u8, DoctorDocument), super::Failure> {
    let out = Out { json: args.json };
    let env = current_env();
    let now = now(&env);
    let world = NativeWorld::new(&env, !p.non_interactive && std::io::stdin().is_terminal());
    // Sync and legacy migration are safe: they run even non-interactively.
    let (loaded, save_error) = load_and_persist(&world, &env, now, agent);
    output::notices(&loaded, save_error.as_deref());
    let report = report::build(&loaded, &ReportOptions::default());
    let plan = preview(&loaded, &report);
    let mut found = findings(&loaded, &report, &plan);
    // A change that could not be saved is no change: the store still holds
    // the old credentials, and a human must see to the write.
    let mut needs_human = save_error.is_some();
    let mut changes = if save_error.is_some() { Vec::new() } else { plan.changes.clone() };
    let notes = change_notes(&loaded, save_error.as_deref());
    out.note("Auth changes", &notes.iter().map(|c| format!("- {c}")).collect::<Vec<_>>());
    if let Some(e) = &save_error {
        found.push(Finding::new(check::NOT_SAVED, Level::Warning, escape_control(e).into_owned()));
        out.note("Not saved", &[format!("- {e}")]);
    }

    // Profile-id repair (A69, A70): config only.
    if let Some(raw) = &loaded.config.raw
        && let Some(fix) =
            clawdbot_auth_core::repair::repair_oauth_profile_id_mismatch(raw, &loaded.store, "anthropic", None)
    {
        let text = escape_control(&fix.change_text).into_owned();
        out.note("Auth profiles", &[format!("- {text}")]);
        if p.confirm("Update Anthropic OAuth profile id in config now?") {
            if let Some(bak) = crate::persist::write_config(&loaded.locations.config, &fix.new_config)? {
                out.say(&format!("Saved the JSON5 original (with its comments) as {}", env.shorten(&bak)));
            }
            out.say(&format!("Updated {}", env.shorten(&loaded.locations.config)));
            changes.push(text);
        } else {
            needs_human = true;
            let finding = Finding::new(check::PROFILE_ID_MISMATCH, Level::Error, text)
                .at(env.shorten(&loaded.locations.config))
                .fix("clawdbot doctor --fix");
            found.push(finding);
        }
    }

    out.note("Auth profile cooldowns", &plan.cooldowns);
    for id in clear_stale_backoffs(p, &out, &world, &env, &loaded) {
        changes.push(format!("ended the cooldown of {} (its cause is gone)", escape_control(&id)));
        found.retain(|f| !(f.check_id == check::COOLDOWN_STALE && f.target.as_deref() == Some(id.as_str())));
    }

    let perms = permissions(p, &env, &loaded, agent);
    needs_human |= !perms.findings.is_empty();
    out.note("Permissions", &perms.lines);
    found.extend(perms.findings);
    changes.extend(perms.changes);

    if !plan.problems.is_empty() {
        needs_human = true;
        out.note(
            "Unreadable files (left untouched)",
            &plan.problems.iter().map(|l| format!("- {l}")).collect::<Vec<_>>(),
        );
    }
    out.note("Warnings about files read", &plan.warnings.iter().map(|l| format!("- {l}")).collect::<Vec<_>>());
    let (after, issues) = refresh_issues(p, &out, &world, loaded, plan.issues);
    if !issues.is_empty() {
        needs_human |= issues.iter().any(|i| i.needs_human);
        out.note("Model auth", &issues.iter().map(|i| i.line()).collect::<Vec<_>>());
    }
    // The expiry findings as the store is after the refreshes.
    let report_after = report::build(&after, &ReportOptions::default());
    let expiry_ids = [check::PROFILE_EXPIRED, check::PROFILE_EXPIRING, check::EXPIRY_UNKNOWN];
    found.retain(|f| !expiry_ids.contains(&f.check_id));
    let after_plan = clawdbot_auth_core::doctor::DoctorPreview { issues, ..preview(&after, &report_after) };
    found.extend(findings(&after, &report_after, &after_plan).into_iter().filter(|f| expiry_ids.contains(&f.check_id)));

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
        out.note("Missing auth", &lines);
    }
    if !args.json {
        match needs_human {
            true => output::line("Doctor: action needed (see above)."),
            false => output::line("Doctor: model auth is healthy."),
        }
    }
    let mut document = DoctorDocument::new(&after.locations.agent_id, found, changes);
    // The exit rule is the text mode's; the document agrees with it.
    document.ok = !needs_human;
    Ok((if needs_human { exit::ACTION } else { exit::OK }, document))
}

/// The agents `--all-agents` covers: the core's rule over the folders
/// found under `<state>/agents/`.
pub(super) fn every_agent(env: &Env) -> Vec<String> {
    let world = NativeWorld::new(env, false);
    let config_path = clawdbot_auth_core::paths::config_path(env);
    let config = match clawdbot_auth_core::world::World::read(&world, &config_path) {
        clawdbot_auth_core::world::FileRead::Present { bytes, .. } => {
            clawdbot_auth_core::config::parse_config(&bytes, &env.shorten(&config_path)).config
        }
        _ => Default::default(),
    };
    let agents_dir = Path::new(&clawdbot_auth_core::paths::state_dir(env)).join("agents");
    let found: Vec<String> = std::fs::read_dir(&agents_dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().join("agent").is_dir())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut found = found;
    found.sort();
    clawdbot_auth_core::paths::all_agents(&config, &found)
}

pub fn run(args: &DoctorArgs) -> CmdResult {
    let interactive_tty = std::io::stdin().is_terminal() && !args.json;
    let p = Prompter {
        non_interactive: args.non_interactive || (!interactive_tty && !args.yes && !args.repair),
        assume_yes: args.yes || args.repair,
    };
    if !args.all_agents {
        let (code, document) = check_agent(args, &p, args.agent.as_deref())?;
        if args.json {
            println!("{}", terminal_safe_json(&document));
        }
        return Ok(code);
    }
    let mut worst = exit::OK;
    let mut documents = Vec::new();
    for (i, agent) in every_agent(&current_env()).into_iter().enumerate() {
        if !args.json {
            println!("== Agent: {} ==", escape_control(&agent));
        }
        // The default agent as a bare run checks it (`CLAWDBOT_AGENT_DIR`).
        let (code, document) = check_agent(args, &p, (i > 0).then_some(agent.as_str()))?;
        worst = worst.max(code);
        documents.push(document);
        if !args.json {
            println!();
        }
    }
    if args.json {
        let ok = documents.iter().all(|d| d.ok);
        println!("{}", terminal_safe_json(&serde_json::json!({"ok": ok, "agents": documents})));
    }
    Ok(worst)
}

/// Checks (and with consent repairs) the mode of every credential file and
/// folder the core lists for the agents in question; reports a store that
/// is a symlink into a folder others can write. Returns the report lines
/// and whether a human must still act.
fn permissions(p: &Prompter, env: &Env, loaded: &Loaded, agent: Option<&str>) -> Permissions {
    let found = agent_folders(&loaded.locations.state_dir);
    let agents = agents_to_check(&loaded.config.config, agent, &found);
    let mut out = Permissions::default();
    for private in private_paths(env, &loaded.config.config, &agents) {
        let path = Path::new(&private.path);
        let shown = env.shorten(&private.path);
        // Follows symlinks: the target is what holds the secret.
        let Ok(meta) = std::fs::metadata(path) else { continue };
        if meta.is_dir() != (private.kind == PathKind::Folder) {
            continue;
        }
        let mode = meta.permissions().mode() & 0o7777;
        if private.exposed(mode) {
            let problem = private.exposure_text(mode);
            if p.confirm(&format!("Make {shown} private?")) {
                let repaired = std::fs::Permissions::from_mode(private.repaired_mode(mode));
                match std::fs::set_permissions(path, repaired) {
                    Ok(()) => {
                        let text = private.repaired_text(mode);
                        out.lines.push(format!("- {text}"));
                        out.changes.push(escape_control(&text).into_owned());
                    }
                    Err(e) => {
                        let text = format!("{problem} (could not fix: {e})");
                        out.lines.push(format!("- {text}"));
                        out.findings.push(Finding::new(check::PERMISSIONS, Level::Error, text).at(shown.clone()));
                    }
                }
            } else {
                out.lines.push(format!("- {problem} — run `clawdbot doctor --fix` or chmod it"));
                out.findings.push(
                    Finding::new(check::PERMISSIONS, Level::Error, problem)
                        .at(shown.clone())
                        .fix("clawdbot doctor --fix"),
                );
            }
        }
        if private.store
            && let Some((dir, dir_mode)) = symlinked_into_writable(path)
        {
            let text = symlink_text(&private.path, &dir.to_string_lossy(), dir_mode);
            out.lines.push(format!("- {text}"));
            out.findings.push(Finding::new(check::PERMISSIONS, Level::Error, text).at(shown.clone()));
        }
    }
    out
}

/// What the permission check found and did: its report lines, the
/// findings of `--json` (each one a human's to act on), and the repairs.
#[derive(Default)]
struct Permissions {
    lines: Vec<String>,
    findings: Vec<Finding>,
    changes: Vec<String>,
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
