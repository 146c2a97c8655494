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
use super::look::{keep_shared_fresh, saved_notices};
use super::probe::Probing;
use super::refs::ResolveRefs;
use super::settle::{Settle, Settled};
use super::shell::ShellFallback;
use super::{Answer, Document, Done, Effect, Event, Exit, Step, internal_end};
use crate::duration::DurationFlag;
use crate::escape::escape_control;
use crate::load::{Loaded, Shared};
use crate::paths::Env;
use crate::report::{self, AgentReport, AllAgentsReport, CheckCode, ReportOptions, StatusReport, TextStyle};
use crate::time::Millis;
use std::collections::VecDeque;
use std::sync::Arc;

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
    /// What the load read for every agent.
    shared: Option<Arc<Shared>>,
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
    /// What its load read for every agent, for the next agent's.
    shared: Option<Arc<Shared>>,
}

impl Assess {
    /// One agent's assessment, over `settle`, its load.
    fn new(
        env: &Env,
        agent: Option<&str>,
        settle: Settle,
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
            state: AssessState::Load(Box::new(settle)),
            input: None,
            queue: VecDeque::new(),
            assessed: None,
            shared: None,
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
        let assessed = Assessed { loaded, assessment, shared: self.shared.take() };
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
                        self.shared = settle.shared();
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
    entries: Vec<AgentReport>,
    /// `--all-agents`: what the agents' loads read alike (the config, the
    /// `.env` files, other CLIs' logins, the default agent's store), read
    /// once and handed from one agent's load to the next.
    shared: Option<Arc<Shared>>,
    /// `--all-agents`: the config as read to find the agents, for the
    /// first agent's load.
    config_read: Option<(String, crate::world::FileRead)>,
    /// The same, as parsed to find the agents.
    config_parsed: Option<(String, Arc<crate::config::ConfigRead>)>,
    /// The last agent's load and report (shared with the document that
    /// prints it), and `--all-agents --json`'s document. The process ends
    /// after the command: a host may leave them unfreed (for a large store
    /// freeing every allocation one by one is a sixth of the run).
    kept: Option<(Loaded, Arc<StatusReport>)>,
    kept_all: Option<Arc<AllAgentsReport>>,
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
            shared: None,
            config_read: None,
            config_parsed: None,
            kept: None,
            kept_all: None,
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
        let Assessed { loaded, assessment, shared } = assessed;
        if self.request.all_agents {
            self.shared = shared;
        }
        self.worst = self.worst.worst(assessment.check);
        let style = style(&loaded.env, self.request.terminal);
        let report = match (self.request.all_agents, self.format) {
            // Written into the output as it is produced, not made first.
            (false, StatusFormat::Json) => {
                let report = Arc::new(assessment.report);
                out.push_back(Effect::Emit(Event::Document(Document::status(Arc::clone(&report)))));
                report
            }
            (false, format) => {
                out.push_back(Effect::Emit(Event::Report(assessment.render(&loaded, format, style))));
                Arc::new(assessment.report)
            }
            (true, StatusFormat::Json) => {
                let check = assessment.check.code();
                self.entries.push(AgentReport { agent_id: agent.to_string(), check, report: assessment.report });
                return;
            }
            (true, _) => {
                out.push_back(Effect::Emit(Event::Output(format!("== Agent: {agent} =="))));
                let text = assessment.render(&loaded, StatusFormat::Text, style);
                out.push_back(Effect::Emit(Event::Report(text)));
                out.push_back(Effect::Emit(Event::Output(String::new())));
                Arc::new(assessment.report)
            }
        };
        self.kept = Some((loaded, report));
    }

    fn finish(&mut self) -> Done {
        let mut events = Vec::new();
        if self.request.all_agents && self.format == StatusFormat::Json {
            let agents = std::mem::take(&mut self.entries);
            let all = Arc::new(AllAgentsReport { check: self.worst.code(), agents });
            events.push(Event::Document(Document::all_agents(Arc::clone(&all))));
            self.kept_all = Some(all);
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
                Step::Ready(agents) => {
                    self.config_read = find.config_read();
                    self.config_parsed = find.parsed_config();
                    Turn::Go(State::Agent { agents: agents.into(), first: true, current: None })
                }
            },
            State::Agent { agents, first, current: Some((agent, mut assess)) } => {
                match advance(&mut *assess, input, now) {
                    Step::Effect(e) => {
                        keep_shared_fresh(&mut self.shared, &e);
                        Turn::Ask(State::Agent { agents, first, current: Some((agent, assess)) }, e)
                    }
                    Step::Ready(assessed) => {
                        self.reported(&agent, assessed, out);
                        Turn::Go(State::Agent { agents, first: false, current: None })
                    }
                }
            }
            State::Agent { mut agents, first, current: None } => {
                let Some(agent) = agents.pop_front() else { return Turn::End(self.finish()) };
                let asked = (!first).then_some(agent.as_str());
                // `--all-agents`: over what the agents read alike, each
                // agent one the run found.
                let settle = Settle::new(&self.env, asked, now)
                    .reading_keychain(true)
                    .sharing(self.shared.clone(), self.request.all_agents)
                    .answered(self.config_read.take())
                    .parsed_config(self.config_parsed.take());
                let (options, probe) = (self.options.clone(), self.probe.clone());
                let assess = Assess::new(&self.env, asked, settle, options, probe, self.allow_exec, now);
                Turn::Go(State::Agent { agents, first, current: Some((agent, Box::new(assess))) })
            }
        }
    }
}

flow_of_driven!(StatusCommand);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escape::terminal_safe_json;
    use crate::flow::script::{Host, NOW, env, store_path, text};
    use crate::flow::{Line, Stream};
    use crate::world::FileRead;
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

    /// Records each piece the document is handed to its output in.
    #[derive(Default)]
    struct Pieces(Vec<usize>, Vec<u8>);

    impl std::io::Write for Pieces {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.push(buf.len());
            self.1.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn many_profiles(n: usize) -> String {
        let profiles: serde_json::Map<String, Value> = (0..n)
            .map(|i| {
                let p = json!({"type": "api_key", "provider": "openai", "key": format!("sk-FAKE-{i:08}-FAKEFAKE")});
                (format!("openai:user{i}\u{202e}"), p)
            })
            .collect();
        json!({"version": 1, "profiles": profiles}).to_string()
    }

    /// Issue 27 item 1: `--json` is not made as one text and handed over;
    /// the flow hands the host a document that writes itself into the
    /// output in pieces, with the bytes the finished text had.
    #[test]
    fn json_is_a_document_written_into_the_output_in_pieces_with_the_texts_bytes() {
        let mut host = Host::default();
        host.files.insert(store_path("main"), many_profiles(3000));
        let (_, printed) = run(StatusRequest { json: true, ..request() }, &mut host);
        let documents: Vec<&Document> = host
            .emitted
            .iter()
            .filter_map(|e| match e {
                Event::Document(d) => Some(d),
                _ => None,
            })
            .collect();
        assert_eq!(documents.len(), 1, "{:?}", host.emitted);
        assert!(!host.emitted.iter().any(|e| matches!(e, Event::Report(_))), "no finished text besides");
        let mut pieces = Pieces::default();
        documents[0].write_to(&mut pieces).unwrap();
        assert!(pieces.0.len() > 3, "written in pieces: {:?}", pieces.0);
        assert!(pieces.0.iter().all(|&n| n <= 1 << 16), "{:?}", pieces.0);
        // The bytes of the text a terminal host prints, which are those
        // of the report as one terminal-safe document.
        let text = String::from_utf8(pieces.1).unwrap();
        assert_eq!(text, stdout(&printed));
        let loaded = crate::load::load(&host_world(&host), &env(), NOW, None);
        let report = report::build(&loaded, &ReportOptions::default());
        assert_eq!(text, terminal_safe_json(&report));
        assert!(text.contains("\\u202e") && !text.contains('\u{202e}'), "terminal-safe");
    }

    /// `--all-agents --json` has the bytes it had when each entry was the
    /// report's JSON value with `agentId` and `check` put first.
    #[test]
    fn all_agents_json_has_the_bytes_of_the_entries_made_as_values() {
        let mut host = Host { folders: vec!["ops"], ..Host::default() };
        host.files.insert(store_path("ops"), oauth_store(NOW - HOUR, false));
        host.files.insert(store_path("main"), many_profiles(20));
        let (done, _) = run(StatusRequest { all_agents: true, json: true, ..request() }, &mut host);
        let [Event::Document(document)] = &done.events[..] else { panic!("one document: {:?}", done.events) };
        let mut entries = Vec::new();
        for (agent, asked) in [("main", None), ("ops", Some("ops"))] {
            let loaded = crate::load::load(&host_world(&host), &env(), NOW, asked);
            let assessment = assess(&loaded, &ReportOptions::default());
            let mut entry = json!({"agentId": agent, "check": assessment.check.code()});
            if let (Some(e), Value::Object(r)) = (entry.as_object_mut(), assessment.report.to_value()) {
                e.extend(r);
            }
            entries.push(entry);
        }
        assert_eq!(document.text(), terminal_safe_json(&json!({"check": 1, "agents": entries})));
    }

    /// Issue 27 item 3: `--all-agents` reads the config, the `.env` files
    /// and every other CLI's login (file and Keychain item) once per run,
    /// not once per agent; each agent's own store once; the default
    /// agent's store (which the others inherit) once for all of them.
    #[test]
    fn all_agents_reads_what_every_agent_shares_once_per_run() {
        const CLAUDE: &str = "/h/.claude/.credentials.json";
        let login = json!({"claudeAiOauth": {"accessToken": "a-FAKE", "refreshToken": "r-FAKE", "expiresAt": NOW + 30 * 24 * HOUR}});
        let listed = json!({"agents": {"list": [{"id": "main", "default": true}, {"id": "ops"}, {"id": "lab"}]}});
        let mut host = Host { folders: vec!["zeta", "ops"], ..Host::default() };
        host.files.insert(crate::flow::script::CONFIG.into(), listed.to_string());
        host.files.insert(CLAUDE.into(), login.to_string());
        host.files.insert(store_path("main"), oauth_store(NOW + 48 * HOUR, true));
        host.files.insert(store_path("ops"), oauth_store(NOW - HOUR, false));
        host.files.insert(store_path("zeta"), oauth_store(NOW + 48 * HOUR, true));
        let keychain_on = env();
        // The first run syncs Claude Code's login into the default agent's
        // store, and looks again under the store's lock; then the runs
        // that only read.
        let _ = host.run(&mut StatusCommand::new(StatusRequest { all_agents: true, ..request() }, &keychain_on, NOW));
        for json in [false, true] {
            host.asked.clear();
            host.keychain.clear();
            let request = StatusRequest { all_agents: true, json, ..request() };
            let (done, printed) = host.run(&mut StatusCommand::new(request, &keychain_on, NOW));
            assert_eq!(done.exit, Exit::Ok, "{printed:?}");
            let reads = |path: &str| host.asked.iter().filter(|a| **a == format!("read {path}")).count();
            // The config once (listing the agents; the loads share that
            // read), each login source once, each agent's store once, the
            // default agent's once more: as the store the others inherit,
            // read once for all of them.
            assert_eq!(reads(crate::flow::script::CONFIG), 1, "{:?}", host.asked);
            assert_eq!(reads(CLAUDE), 1, "{:?}", host.asked);
            assert_eq!(reads("/h/.codex/auth.json"), 1, "{:?}", host.asked);
            assert_eq!(reads("/h/.clawdbot/.env"), 1, "{:?}", host.asked);
            for agent in ["ops", "lab", "zeta"] {
                assert_eq!(reads(&store_path(agent)), 1, "{agent}: {:?}", host.asked);
            }
            assert_eq!(reads(&store_path("main")), 2, "{:?}", host.asked);
            let mut items = host.keychain.clone();
            items.dedup();
            assert_eq!(items.len(), host.keychain.len(), "a Keychain item asked twice: {:?}", host.keychain);
            assert!(!host.keychain.is_empty(), "the Keychain is read here");
            // Every agent still inherits the login synced into the default
            // agent, and says so.
            let out = stdout(&printed);
            let text = match json {
                true => done.events.iter().map(|e| e.lines()[0].text.clone()).collect::<String>(),
                false => out,
            };
            assert!(text.matches("anthropic:claude-cli").count() >= 4, "{text}");
        }
    }

    /// What a run shares across its agents' loads stays true to the disk:
    /// a write to a file it was read from drops it, a write to the default
    /// agent's store drops only that store as inherited.
    #[test]
    fn what_agents_share_is_dropped_when_a_file_it_was_read_from_is_written() {
        use crate::world::MapWorld;
        let mut world = MapWorld::default();
        world.files.insert(store_path("main"), FileRead::text(oauth_store(NOW + HOUR, true)));
        world.files.insert(crate::flow::script::CONFIG.into(), FileRead::text("{}"));
        let (_, shared) = crate::load::load_sharing(&world, &env(), NOW, Some("ops"), None, None);
        assert!(shared.owner_at(&store_path("main")), "ops inherited from main's store");
        let write = |path: &str| Effect::WriteAtomic {
            path: path.into(),
            text: crate::secret::Secret::new("{}"),
            reply: crate::flow::Reply::new(),
        };
        let mut kept = Some(Arc::clone(&shared));
        keep_shared_fresh(&mut kept, &write(&store_path("ops")));
        assert!(kept.as_ref().is_some_and(|s| Arc::ptr_eq(s, &shared)), "an agent's own store is its own");
        keep_shared_fresh(&mut kept, &write(&store_path("main")));
        let without = kept.clone().expect("kept without the owner's store");
        assert!(!without.owner_at(&store_path("main")) && without.read_from(crate::flow::script::CONFIG));
        keep_shared_fresh(&mut kept, &write(crate::flow::script::CONFIG));
        assert!(kept.is_none(), "the config was written: read it again");
    }

    /// The scripted host's files as a world, for building the expected report.
    fn host_world(host: &Host) -> crate::world::MapWorld {
        let mut world = crate::world::MapWorld::default();
        for (path, text) in &host.files {
            world.files.insert(path.clone(), FileRead::text(text));
        }
        world
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
