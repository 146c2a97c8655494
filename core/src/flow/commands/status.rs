//! `clawdbot models status` (and bare `clawdbot models`): read, sync,
//! report. Never refreshes, and touches the network only when `--probe`
//! asks (the reference's text mode did both unasked): then one cheap
//! request per credential, sent as one batch ([`Probing`]), whose refusals
//! are kept in the store.
//!
//! Per agent: the load whose sync is saved ([`Settle`]), its notices, the
//! shell-env fallback when it is needed, then the report and what
//! `--check` makes of it ([`assess`], which the envelope uses too). The
//! flow picks the format, writes the report and decides the exit code;
//! `--all-agents` first finds the agents (the config, then the folders
//! under `<state>/agents/` that hold an `agent/` folder).

use super::agents::FindAgents;
use super::drive::{Driven, Lines, Machine, Part, Turn, advance, flow_of_driven};
use super::look::saved_notices;
use super::probe::Probing;
use super::refs::ResolveRefs;
use super::settle::{Settle, Settled};
use super::shell::ShellFallback;
use super::{Answer, Done, Effect, Event, Exit, Step, internal_end};
use crate::duration::DurationFlag;
use crate::escape::{escape_control, terminal_safe_json};
use crate::load::Loaded;
use crate::paths::Env;
use crate::report::{self, CheckCode, ReportOptions, StatusReport, TextStyle};
use crate::time::Millis;
use std::collections::VecDeque;

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFormat {
    /// The reference's text layout.
    Text,
    /// One JSON document (the reference's schema).
    Json,
    /// Only the resolved default model.
    Plain,
    /// Prometheus text exposition (node_exporter's textfile collector).
    Prometheus,
}

/// What `models status` was asked, flags as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRequest {
    /// `--json`.
    pub json: bool,
    /// `--plain`.
    pub plain: bool,
    /// `--format` (it excludes `--json` and `--plain`).
    pub format: Option<StatusFormat>,
    /// `--check`: the exit code says what the report found.
    pub check: bool,
    /// `--strict`: judge as the reference does.
    pub strict: bool,
    /// `--agent` (`None`: the default agent).
    pub agent: Option<String>,
    /// `--all-agents`.
    pub all_agents: bool,
    /// `--warn-within`, as typed.
    pub warn_within: String,
    /// Standard output is a terminal (colours are the flow's call).
    pub terminal: bool,
    /// `--probe` and its options (`None`: no probe, nothing sent).
    pub probe: Option<ProbeRequest>,
}

/// `--probe`'s options, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeRequest {
    /// `--probe-provider`, each repeatable or comma-separated.
    pub providers: Vec<String>,
    /// `--probe-profile`, each repeatable or comma-separated.
    pub profiles: Vec<String>,
    /// `--probe-timeout` (a bare number is milliseconds).
    pub timeout: String,
    /// `--probe-concurrency`.
    pub concurrency: usize,
}

impl Default for ProbeRequest {
    fn default() -> Self {
        ProbeRequest {
            providers: Vec::new(),
            profiles: Vec::new(),
            timeout: crate::probe::DEFAULT_TIMEOUT.into(),
            concurrency: crate::probe::DEFAULT_CONCURRENCY,
        }
    }
}

impl ProbeRequest {
    /// The options as the rules take them, or why the command line is wrong.
    fn checked(&self) -> Result<crate::probe::ProbeOptions, String> {
        let flag = DurationFlag::ProbeTimeout;
        let timeout_ms = match flag.parse(&self.timeout) {
            Ok(ms) if ms > 0 => ms.unsigned_abs(),
            Ok(_) => return Err(format!("{}: must be more than 0", flag.flag())),
            Err(e) => return Err(format!("{}: {e}", flag.flag())),
        };
        let max = crate::probe::MAX_CONCURRENCY;
        if !(1..=max).contains(&self.concurrency) {
            return Err(format!("--probe-concurrency: must be 1 to {max}"));
        }
        let split = |items: &[String]| -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for item in items.iter().flat_map(|i| i.split(',')).map(str::trim).filter(|i| !i.is_empty()) {
                if !out.iter().any(|o| o == item) {
                    out.push(item.to_string());
                }
            }
            out
        };
        let providers = split(&self.providers).iter().map(|p| crate::provider::normalize(p)).collect();
        Ok(crate::probe::ProbeOptions {
            providers,
            profiles: split(&self.profiles),
            timeout_ms,
            concurrency: self.concurrency,
        })
    }
}

impl StatusRequest {
    /// A bare `clawdbot models [--json | --plain]`.
    pub fn bare(json: bool, plain: bool, agent: Option<String>, terminal: bool) -> StatusRequest {
        StatusRequest {
            json,
            plain,
            format: None,
            check: false,
            strict: false,
            agent,
            all_agents: false,
            warn_within: crate::defaults::WARN_WITHIN.into(),
            terminal,
            probe: None,
        }
    }
}

/// A report and what `--check` makes of it.
#[derive(Debug)]
pub struct Assessment {
    /// The `models status` model.
    pub report: StatusReport,
    /// `--check`'s answer.
    pub check: CheckCode,
}

/// The report of `loaded` and its check code: every host's status, the
/// CLI's and the envelope's, is this.
pub fn assess(loaded: &Loaded, options: &ReportOptions) -> Assessment {
    let report = report::build(loaded, options);
    let check = report::check_code(&report, loaded);
    Assessment { report, check }
}

impl Assessment {
    /// The report as `format` prints it, without the final line end.
    pub fn render(&self, loaded: &Loaded, format: StatusFormat, style: TextStyle) -> String {
        let mut text = match format {
            StatusFormat::Json => {
                let mut out = Vec::with_capacity(1 << 16);
                // Writing into memory fails only if serde does; the
                // document is then as far as it got.
                let _ = self.report.write_json(&mut out);
                String::from_utf8(out).unwrap_or_default()
            }
            StatusFormat::Plain => escape_control(&self.report.resolved_default).into_owned(),
            StatusFormat::Prometheus => {
                report::render_prometheus(&self.report, self.check, &loaded.locations.agent_id, loaded.now)
            }
            StatusFormat::Text => report::render_text(&self.report, &loaded.env, style),
        };
        if text.ends_with('\n') {
            text.pop();
        }
        text
    }
}

/// The check code as an exit status.
fn exit_of(check: CheckCode) -> Exit {
    match check {
        CheckCode::Ok => Exit::Ok,
        CheckCode::Action => Exit::Action,
        CheckCode::Expiring => Exit::Expiring,
    }
}

/// Colours only on a terminal that wants them (`NO_COLOR` unset, `TERM`
/// not `dumb`).
pub(crate) fn style(env: &Env, terminal: bool) -> TextStyle {
    TextStyle { color: terminal && !env.is_set("NO_COLOR") && env.get("TERM") != Some("dumb") }
}

/// One agent's look, sync saved, shell fallback applied, report made.
struct Assess {
    env: Env,
    agent: Option<String>,
    options: ReportOptions,
    /// `--probe`: probe the load before the report is made.
    probe: Option<crate::probe::ProbeOptions>,
    allow_exec: bool,
    now: Millis,
    state: AssessState,
    input: Option<Answer>,
    /// Notices to show before anything else.
    queue: VecDeque<Effect>,
    /// The result, once its notices are shown.
    assessed: Option<Assessed>,
}

enum AssessState {
    Load(Box<Settle>),
    Shell { loaded: Box<Loaded>, shell: ShellFallback },
    Refs { loaded: Box<Loaded>, refs: Box<ResolveRefs> },
    Probe(Box<Probing>),
    Over,
}

/// What [`Assess`] ends with; its notices are printed already.
struct Assessed {
    loaded: Loaded,
    assessment: Assessment,
}

impl Assess {
    fn new(
        env: &Env,
        agent: Option<&str>,
        options: ReportOptions,
        probe: Option<crate::probe::ProbeOptions>,
        allow_exec: bool,
        now: Millis,
    ) -> Assess {
        Assess {
            env: env.clone(),
            agent: agent.map(str::to_string),
            options,
            probe,
            allow_exec,
            now,
            state: AssessState::Load(Box::new(Settle::new(env, agent, now).reading_keychain(true))),
            input: None,
            queue: VecDeque::new(),
            assessed: None,
        }
    }

    /// The refs are resolved (through the host when a file or resolver is
    /// involved), then the report is made.
    fn refs(&mut self, mut loaded: Loaded) -> Option<Step<Assessed>> {
        match ResolveRefs::needed(&mut loaded, self.allow_exec, None) {
            None => self.resolved(loaded),
            Some(refs) => {
                self.state = AssessState::Refs { loaded: Box::new(loaded), refs: Box::new(refs) };
                None
            }
        }
    }

    /// Every ref resolved: probe first when asked (the probe sends what the
    /// refs resolved to), else make the report.
    fn resolved(&mut self, loaded: Loaded) -> Option<Step<Assessed>> {
        match self.probe.take() {
            None => Some(self.ready(loaded)),
            Some(options) => {
                let (shell, rules) = (self.options.shell_applied.clone(), self.options.rules());
                let agent = self.agent.as_deref();
                let probing = Probing::new(&self.env, agent, loaded, options, shell, rules, self.now);
                self.state = AssessState::Probe(Box::new(probing));
                None
            }
        }
    }

    /// The report is made: its notices first, then the result.
    fn ready(&mut self, loaded: Loaded) -> Step<Assessed> {
        let assessment = assess(&loaded, &self.options);
        let assessed = Assessed { loaded, assessment };
        match self.queue.pop_front() {
            Some(effect) => {
                self.assessed = Some(assessed);
                Step::Effect(effect)
            }
            None => Step::Ready(assessed),
        }
    }
}

impl Part for Assess {
    type Out = Assessed;

    fn feed(&mut self, now: Millis, input: Answer) {
        self.now = now;
        match &mut self.state {
            AssessState::Load(settle) => settle.feed(now, input),
            AssessState::Refs { refs, .. } => refs.feed(now, input),
            AssessState::Probe(probing) => probing.feed(now, input),
            _ => self.input = Some(input),
        }
    }

    /// The next effect (notices are [`Effect::Emit`]s, shown before the
    /// result), or the result.
    fn next(&mut self, _now: Millis) -> Step<Assessed> {
        if let Some(effect) = self.queue.pop_front() {
            return Step::Effect(effect);
        }
        if let Some(assessed) = self.assessed.take() {
            return Step::Ready(assessed);
        }
        loop {
            match std::mem::replace(&mut self.state, AssessState::Over) {
                AssessState::Load(mut settle) => match settle.next(self.now) {
                    Step::Effect(e) => {
                        self.state = AssessState::Load(settle);
                        return Step::Effect(e);
                    }
                    Step::Ready(Settled { loaded, save_error }) => {
                        let notices = saved_notices(&loaded, save_error.as_deref());
                        self.queue.extend(notices.into_iter().map(Effect::Emit));
                        match ShellFallback::needed(&loaded, self.now) {
                            Some(shell) => self.state = AssessState::Shell { loaded: Box::new(loaded), shell },
                            None => {
                                if let Some(step) = self.refs(loaded) {
                                    return step;
                                }
                            }
                        }
                    }
                },
                AssessState::Shell { mut loaded, shell } => match self.input.take() {
                    Some(Answer::ShellEnv(answer)) => {
                        let (imported, warning) = shell.apply(&mut loaded, answer);
                        self.queue.extend(warning.map(Effect::Emit));
                        self.options.shell_applied = imported;
                        if let Some(step) = self.refs(*loaded) {
                            return step;
                        }
                    }
                    _ => {
                        let effect = shell.effect();
                        self.state = AssessState::Shell { loaded, shell };
                        return Step::Effect(effect);
                    }
                },
                AssessState::Refs { mut loaded, mut refs } => match refs.next(self.now) {
                    Step::Effect(e) => {
                        self.state = AssessState::Refs { loaded, refs };
                        return Step::Effect(e);
                    }
                    Step::Ready(states) => {
                        loaded.refs = states;
                        if let Some(step) = self.resolved(*loaded) {
                            return step;
                        }
                    }
                },
                AssessState::Probe(mut probing) => match probing.next(self.now) {
                    Step::Effect(e) => {
                        self.state = AssessState::Probe(probing);
                        return Step::Effect(e);
                    }
                    Step::Ready((loaded, run)) => {
                        self.options.probes = Some(run);
                        return self.ready(loaded);
                    }
                },
                AssessState::Over => return Step::Effect(Effect::Done(internal_end())),
            }
        }
    }
}

enum State {
    /// `--all-agents`: which agents there are.
    Find(Box<FindAgents>),
    /// Each agent in turn; the first is the default, read as a bare run
    /// reads it (`CLAWDBOT_AGENT_DIR` applies).
    Agent { agents: VecDeque<String>, first: bool, current: Option<(String, Box<Assess>)> },
}

struct Status {
    env: Env,
    /// `--allow-exec`: exec refs' resolvers may run.
    allow_exec: bool,
    request: StatusRequest,
    format: StatusFormat,
    options: ReportOptions,
    /// `--probe`'s options, checked.
    probe: Option<crate::probe::ProbeOptions>,
    worst: CheckCode,
    /// `--all-agents --json`: one entry per agent.
    entries: Vec<serde_json::Value>,
    /// The last agent's load and report. The process ends after the
    /// command: a host may leave them unfreed (for a large store freeing
    /// every allocation one by one is a sixth of the run).
    kept: Option<Assessed>,
}

/// `models status` as a flow.
pub struct StatusCommand {
    inner: Driven<Status>,
}

impl StatusCommand {
    /// The command as asked, at `now`. A wrong command line ends it
    /// before anything is read.
    pub fn new(request: StatusRequest, env: &Env, now: Millis) -> StatusCommand {
        let format = match (request.format, request.json, request.plain) {
            (Some(f), _, _) => f,
            (None, true, _) => StatusFormat::Json,
            (None, _, true) => StatusFormat::Plain,
            _ => StatusFormat::Text,
        };
        let mut status = Status {
            env: env.clone(),
            allow_exec: false,
            format,
            options: ReportOptions { strict: request.strict, ..ReportOptions::default() },
            probe: None,
            worst: CheckCode::Ok,
            entries: Vec::new(),
            kept: None,
            request,
        };
        let inner = match status.start() {
            Ok(state) => Driven::start(status, state, env, now),
            Err(refusal) => Driven::ended(status, refusal, now),
        };
        StatusCommand { inner }
    }
}

impl StatusCommand {
    /// `--allow-exec`: SecretRefs of the exec source are resolved by
    /// running their resolvers (else they are reported "not checked").
    pub fn allow_exec(mut self, allow: bool) -> StatusCommand {
        self.inner.machine.allow_exec = allow;
        self
    }
}

impl Status {
    fn start(&mut self) -> Result<State, Done> {
        // Which output: one of --json, --plain and --format, decided here
        // and nowhere else (the command line only parses them).
        if self.request.json && self.request.plain {
            return Err(Done::refused(Exit::Usage, "Choose either --json or --plain, not both."));
        }
        if self.request.format.is_some() && (self.request.json || self.request.plain) {
            return Err(Done::refused(Exit::Usage, "Choose one of --format, --json and --plain."));
        }
        if self.request.all_agents && self.request.agent.is_some() {
            return Err(Done::refused(Exit::Usage, super::doctor::ALL_OR_ONE));
        }
        let flag = DurationFlag::WarnWithin;
        match flag.parse(&self.request.warn_within) {
            Ok(ms) => self.options.warn_after_ms = ms,
            Err(e) => return Err(Done::refused(Exit::Usage, format!("{}: {e}", flag.flag()))),
        }
        if let Some(probe) = &self.request.probe {
            if self.format == StatusFormat::Plain {
                return Err(Done::refused(Exit::Usage, "--probe prints text, JSON or Prometheus; not --plain"));
            }
            self.probe = Some(probe.checked().map_err(|why| Done::refused(Exit::Usage, why))?);
        }
        if !self.request.all_agents {
            let agent = self.request.agent.clone().unwrap_or_default();
            let first = self.request.agent.is_none();
            return Ok(State::Agent { agents: VecDeque::from([agent]), first, current: None });
        }
        if matches!(self.format, StatusFormat::Plain | StatusFormat::Prometheus) {
            return Err(Done::refused(
                Exit::Usage,
                "--all-agents prints text or JSON; run --plain and --format prometheus per agent",
            ));
        }
        Ok(State::Find(Box::new(FindAgents::new(&self.env))))
    }

    /// One agent's report is made: print it (or keep its JSON entry).
    fn reported(&mut self, agent: &str, assessed: Assessed, out: &mut Lines) {
        let Assessed { loaded, assessment } = &assessed;
        self.worst = self.worst.worst(assessment.check);
        let style = style(&loaded.env, self.request.terminal);
        match (self.request.all_agents, self.format) {
            (false, format) => out.push_back(Effect::Emit(Event::Report(assessment.render(loaded, format, style)))),
            (true, StatusFormat::Json) => {
                let mut entry = serde_json::json!({"agentId": agent, "check": assessment.check.code()});
                if let (Some(e), serde_json::Value::Object(r)) = (entry.as_object_mut(), assessment.report.to_value()) {
                    e.extend(r);
                }
                self.entries.push(entry);
            }
            (true, _) => {
                out.push_back(Effect::Emit(Event::Output(format!("== Agent: {agent} =="))));
                let text = assessment.render(loaded, StatusFormat::Text, style);
                out.push_back(Effect::Emit(Event::Report(text)));
                out.push_back(Effect::Emit(Event::Output(String::new())));
            }
        }
        self.kept = Some(assessed);
    }

    fn finish(&mut self) -> Done {
        let mut events = Vec::new();
        if self.request.all_agents && self.format == StatusFormat::Json {
            let doc = serde_json::json!({"check": self.worst.code(), "agents": std::mem::take(&mut self.entries)});
            events.push(Event::Report(terminal_safe_json(&doc)));
        }
        let exit = if self.request.check { exit_of(self.worst) } else { Exit::Ok };
        Done::with(exit, events)
    }
}

impl Machine for Status {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, out: &mut Lines) -> Turn<State> {
        match state {
            State::Find(mut find) => match advance(&mut *find, input, now) {
                Step::Effect(e) => Turn::Ask(State::Find(find), e),
                Step::Ready(agents) => Turn::Go(State::Agent { agents: agents.into(), first: true, current: None }),
            },
            State::Agent { agents, first, current: Some((agent, mut assess)) } => {
                match advance(&mut *assess, input, now) {
                    Step::Effect(e) => Turn::Ask(State::Agent { agents, first, current: Some((agent, assess)) }, e),
                    Step::Ready(assessed) => {
                        self.reported(&agent, assessed, out);
                        Turn::Go(State::Agent { agents, first: false, current: None })
                    }
                }
            }
            State::Agent { mut agents, first, current: None } => {
                let Some(agent) = agents.pop_front() else { return Turn::End(self.finish()) };
                let asked = (!first).then_some(agent.as_str());
                let assess =
                    Assess::new(&self.env, asked, self.options.clone(), self.probe.clone(), self.allow_exec, now);
                Turn::Go(State::Agent { agents, first, current: Some((agent, Box::new(assess))) })
            }
        }
    }
}

flow_of_driven!(StatusCommand);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::script::{Host, NOW, env, store_path, text};
    use crate::flow::{Line, Stream};
    use serde_json::{Value, json};

    const HOUR: Millis = 3_600_000;

    fn request() -> StatusRequest {
        StatusRequest::bare(false, false, None, false)
    }

    fn oauth_store(expires: Millis, refresh: bool) -> String {
        let mut p = json!({"type": "oauth", "provider": "anthropic", "access": "a-FAKE", "expires": expires});
        if refresh {
            p["refresh"] = json!("r-FAKE");
        }
        json!({"version": 1, "profiles": {"anthropic:a": p}}).to_string()
    }

    fn stdout(lines: &[Line]) -> String {
        text(lines, Stream::Stdout)
    }

    fn run(request: StatusRequest, host: &mut Host) -> (Done, Vec<Line>) {
        host.run(&mut StatusCommand::new(request, &env(), NOW))
    }

    #[test]
    fn a_wrong_command_line_is_a_usage_error_before_anything_is_read() {
        let bad = [
            StatusRequest { json: true, plain: true, ..request() },
            StatusRequest { warn_within: "soon".into(), ..request() },
            StatusRequest { all_agents: true, format: Some(StatusFormat::Prometheus), ..request() },
            StatusRequest { all_agents: true, plain: true, ..request() },
            StatusRequest { format: Some(StatusFormat::Prometheus), json: true, ..request() },
            StatusRequest { format: Some(StatusFormat::Text), plain: true, ..request() },
            StatusRequest { all_agents: true, agent: Some("ops".into()), ..request() },
        ];
        for req in bad {
            let mut host = Host::default();
            let (done, _) = run(req.clone(), &mut host);
            assert_eq!(done.exit, Exit::Usage, "{req:?}");
            assert!(done.lines()[0].text.starts_with("error: "), "{:?}", done.lines());
            assert!(host.asked.is_empty(), "{req:?} read {:?}", host.asked);
        }
    }

    #[test]
    fn check_decides_the_exit_and_without_it_status_exits_0() {
        // Expired, and nothing renews it: a human must act.
        let mut host = Host::default();
        host.files.insert(store_path("main"), oauth_store(NOW - HOUR, false));
        let (done, printed) = run(StatusRequest { check: true, ..request() }, &mut host);
        assert_eq!(done.exit, Exit::Action);
        assert!(stdout(&printed).contains("anthropic:a"), "{printed:?}");
        let (done, _) = run(request(), &mut host);
        assert_eq!(done.exit, Exit::Ok);
        // Inside the warning window and renewing itself: ok; inside a wider
        // window without a refresh token: expiring.
        host.files.insert(store_path("main"), oauth_store(NOW + HOUR, false));
        let (done, _) = run(StatusRequest { check: true, warn_within: "2h".into(), ..request() }, &mut host);
        assert_eq!(done.exit, Exit::Expiring);
        let (done, _) = run(StatusRequest { check: true, warn_within: "30m".into(), ..request() }, &mut host);
        assert_eq!(done.exit, Exit::Ok);
    }

    #[test]
    fn each_format_prints_one_block_and_status_reads_each_file_once() {
        let mut host = Host::default();
        host.files.insert(store_path("main"), oauth_store(NOW + 48 * HOUR, true));
        let (_, printed) = run(StatusRequest { json: true, ..request() }, &mut host);
        let out = stdout(&printed);
        let doc: Value = serde_json::from_str(&out).expect("one JSON document on stdout");
        assert!(doc["auth"].is_object(), "{doc}");
        let mut reads = host.asked.clone();
        reads.sort();
        reads.dedup();
        assert_eq!(reads.len(), host.asked.len(), "a file read twice: {:?}", host.asked);
        let (_, printed) = run(StatusRequest { plain: true, ..request() }, &mut host);
        assert_eq!(stdout(&printed).lines().count(), 1);
        let (_, printed) = run(StatusRequest { format: Some(StatusFormat::Prometheus), ..request() }, &mut host);
        assert!(stdout(&printed).contains("clawdbot_auth_check{agent=\"main\"} 0"), "{printed:?}");
        assert!(!stdout(&printed).ends_with('\n'), "the host adds the line end");
    }

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        let mut host = Host::default();
        host.files.insert(store_path("main"), oauth_store(NOW - HOUR, false));
        let (_, plain) = run(request(), &mut host);
        assert!(!stdout(&plain).contains('\u{1b}'));
        let (_, coloured) = run(StatusRequest { terminal: true, ..request() }, &mut host);
        assert!(stdout(&coloured).contains('\u{1b}'), "{coloured:?}");
        let env = Env::new("/h").with_var("NO_COLOR", "1");
        let (_, no_color) = host.run(&mut StatusCommand::new(StatusRequest { terminal: true, ..request() }, &env, NOW));
        assert!(!stdout(&no_color).contains('\u{1b}'));
    }

    #[test]
    fn all_agents_covers_the_config_and_the_agent_folders_and_exits_with_the_worst() {
        let mut host = Host { folders: vec!["zeta", "ops"], ..Host::default() };
        host.files.insert(store_path("ops"), oauth_store(NOW - HOUR, false));
        host.files.insert(store_path("main"), oauth_store(NOW + 48 * HOUR, true));
        let req = StatusRequest { all_agents: true, json: true, check: true, ..request() };
        let (done, _) = run(req, &mut host);
        assert_eq!(done.exit, Exit::Action, "ops is expired");
        let doc: Value = serde_json::from_str(&done.lines()[0].text).expect("one document");
        let ids: Vec<&str> =
            doc["agents"].as_array().into_iter().flatten().filter_map(|a| a["agentId"].as_str()).collect();
        assert_eq!(ids, ["main", "ops", "zeta"], "the default first, then the folders in order");
        assert_eq!(doc["check"], 1);
        assert_eq!(doc["agents"][0]["check"], 0);
        let (_, printed) = run(StatusRequest { all_agents: true, ..request() }, &mut host);
        assert!(stdout(&printed).starts_with("== Agent: main =="), "{printed:?}");
    }

    #[test]
    fn the_shell_fallback_runs_only_when_enabled_and_its_failure_is_a_warning() {
        let mut host = Host::default();
        host.files.insert(store_path("main"), oauth_store(NOW + 48 * HOUR, true));
        let (_, _) = run(request(), &mut host);
        assert!(!host.asked.iter().any(|a| a.starts_with("shell")));
        let env = Env::new("/h").with_var("CLAWDBOT_LOAD_SHELL_ENV", "1").with_var("SHELL", "/bin/zsh");
        let (done, printed) = host.run(&mut StatusCommand::new(request(), &env, NOW));
        assert_eq!(done.exit, Exit::Ok);
        assert!(host.asked.contains(&"shell /bin/zsh".to_string()), "{:?}", host.asked);
        assert!(
            printed
                .iter()
                .any(|l| l.stream == Stream::Stderr && l.text == "warning: shell env fallback: could not run /bin/zsh"),
            "{printed:?}"
        );
    }
}
