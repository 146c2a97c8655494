//! `clawdbot models status`: reads, syncs, reports. Never refreshes, never
//! touches the network (the reference's text mode did both).

use super::{CmdResult, exit, output, usage};
use crate::host::{NativeWorld, current_env, now};
use crate::persist::load_and_persist;
use clap::Args;
use clawdbot_auth_core::duration::{DurationUnit, parse_duration};
use clawdbot_auth_core::load::Loaded;
use clawdbot_auth_core::report::{self, CheckCode, ReportOptions, StatusReport, TextStyle};

#[derive(Args, Debug, Default)]
pub struct StatusArgs {
    /// Print the status as one JSON document (the reference's schema).
    #[arg(long)]
    pub json: bool,
    /// Output format: text, json, plain, or prometheus (text exposition for
    /// node_exporter's textfile collector).
    #[arg(long, value_enum, conflicts_with_all = ["json", "plain"])]
    pub format: Option<Format>,
    /// Print only the resolved default model.
    #[arg(long)]
    pub plain: bool,
    /// Exit 1 if a provider in use has no usable credential (or a file is
    /// unreadable), 2 if the best one it has is expiring, else 0.
    #[arg(long)]
    pub check: bool,
    /// Judge as the reference does: every stored profile counts, and an
    /// access token's expiry counts even when it would be refreshed.
    #[arg(long)]
    pub strict: bool,
    /// The agent whose store to read (default: the configured default agent).
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
    /// Every agent under the state dir: one section (text) or one entry
    /// (JSON) each; --check exits with the worst of them.
    #[arg(long, conflicts_with = "agent")]
    pub all_agents: bool,
    /// How soon an expiry counts as "expiring" (e.g. 24h, 90m, 2d).
    #[arg(long, value_name = "DURATION", default_value = clawdbot_auth_core::defaults::WARN_WITHIN)]
    pub warn_within: String,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Plain,
    Prometheus,
}

impl StatusArgs {
    pub fn bare(json: bool, plain: bool) -> Self {
        StatusArgs {
            json,
            plain,
            warn_within: clawdbot_auth_core::defaults::WARN_WITHIN.into(),
            ..StatusArgs::default()
        }
    }
}

pub fn run(args: &StatusArgs) -> CmdResult {
    if args.json && args.plain {
        return Err(usage("Choose either --json or --plain, not both."));
    }
    let warn_after_ms =
        parse_duration(&args.warn_within, DurationUnit::H).map_err(|e| usage(format!("--warn-within: {e}")))?;
    let rule = Rule { warn_after_ms, strict: args.strict };
    let format = match (args.format, args.json, args.plain) {
        (Some(f), _, _) => f,
        (None, true, _) => Format::Json,
        (None, _, true) => Format::Plain,
        _ => Format::Text,
    };
    let check = if args.all_agents { all_agents(format, rule)? } else { one(args.agent.as_deref(), format, rule)? };
    if !args.check {
        return Ok(exit::OK);
    }
    Ok(match check {
        CheckCode::Ok => exit::OK,
        CheckCode::Action => exit::ACTION,
        CheckCode::Expiring => exit::EXPIRING,
    })
}

/// One agent's load and report, and what `--check` makes of them.
/// How the report judges: the warn window, and whether `--strict` keeps
/// the reference's rule.
#[derive(Debug, Clone, Copy)]
struct Rule {
    warn_after_ms: i64,
    strict: bool,
}

fn report_of(agent: Option<&str>, rule: Rule) -> (Loaded, StatusReport, CheckCode) {
    let env = current_env();
    let now = now(&env);
    let world = NativeWorld::new(&env, true);
    let (mut loaded, save_error) = load_and_persist(&world, &env, now, agent);
    output::notices(&loaded, save_error.as_deref());
    let shell_applied = crate::host::apply_shell_env(&mut loaded);
    let options = ReportOptions { warn_after_ms: rule.warn_after_ms, shell_applied, strict: rule.strict };
    let report = report::build(&loaded, &options);
    let check = report::check_code(&report, &loaded);
    (loaded, report, check)
}

fn one(agent: Option<&str>, format: Format, rule: Rule) -> Result<CheckCode, super::Failure> {
    let (loaded, report, check) = report_of(agent, rule);
    let env = &loaded.env;
    match format {
        Format::Json => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            report.write_json(&mut out).and_then(|()| std::io::Write::flush(&mut out))?;
        }
        Format::Plain => output::line(&report.resolved_default),
        Format::Prometheus => {
            print!("{}", report::render_prometheus(&report, check, &loaded.locations.agent_id, loaded.now));
        }
        Format::Text => {
            let style = TextStyle { color: output::color_stdout(env) };
            print!("{}", report::render_text(&report, env, style));
        }
    }
    // The process ends here: freeing a large store's every allocation one by
    // one would only delay the exit (measured: ~15% of a 100 000-profile run).
    std::mem::forget(report);
    std::mem::forget(loaded);
    Ok(check)
}

/// `--all-agents`: every agent the core's `paths::all_agents` names.
fn all_agents(format: Format, rule: Rule) -> Result<CheckCode, super::Failure> {
    if matches!(format, Format::Plain | Format::Prometheus) {
        return Err(usage("--all-agents prints text or JSON; run --plain and --format prometheus per agent"));
    }
    let env = current_env();
    let mut worst = CheckCode::Ok;
    let mut entries = Vec::new();
    for (i, agent) in super::doctor::every_agent(&env).into_iter().enumerate() {
        // The default agent as a bare run reads it (`CLAWDBOT_AGENT_DIR`).
        let (loaded, report, check) = report_of((i > 0).then_some(agent.as_str()), rule);
        worst = worst.worst(check);
        match format {
            Format::Json => {
                let mut entry = serde_json::json!({"agentId": agent, "check": check.code()});
                if let (Some(e), serde_json::Value::Object(r)) = (entry.as_object_mut(), report.to_value()) {
                    e.extend(r);
                }
                entries.push(entry);
            }
            _ => {
                println!("== Agent: {} ==", clawdbot_auth_core::escape::escape_control(&agent));
                let style = TextStyle { color: output::color_stdout(&loaded.env) };
                print!("{}", report::render_text(&report, &loaded.env, style));
                println!();
            }
        }
    }
    if format == Format::Json {
        let doc = serde_json::json!({"check": worst.code(), "agents": entries});
        println!("{}", clawdbot_auth_core::escape::terminal_safe_json(&doc));
    }
    Ok(worst)
}
