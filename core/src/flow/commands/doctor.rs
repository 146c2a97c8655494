//! `clawdbot doctor`: the auth parts of spec §3.4, exiting 1 when a human
//! must act (the reference always exits 0).
//!
//! Per agent, in this order: the load whose sync and migration are saved
//! (safe: they run even non-interactively), the OAuth profile-id repair of
//! the config (A69, A70), the cooldowns whose cause is gone, the modes of
//! every credential file and folder, then the refresh of what is due
//! ([`due_for_doctor`]). Each repair is offered ([`Effect::Confirm`],
//! default yes) unless `--yes`/`--fix` says yes or `--non-interactive` (or
//! no terminal) says no. What is found is the core's [`findings`]; `--json`
//! prints it as one document instead of the notes.

use super::agents::FindAgents;
use super::config_edit::{ConfigEdit, ConfigEdited};
use super::drive::{Driven, Lines, Machine, Turn, advance, flow_of_driven};
use super::edit::EditStore;
use super::look::{keep_shared_fresh, saved_notices};
use super::refs::ResolveRefs;
use super::settle::{Settle, Settled};
use super::{
    Answer, CooldownCommand, CooldownTarget, Document, Done, Effect, Event, Exit, FileMeta, RefreshCommand, Reply,
    Step, consent, due_for_doctor,
};
use crate::diag::Severity;
use crate::doctor::{DoctorPreview, change_notes, preview};
use crate::escape::escape_control;
use crate::findings::{DoctorDocument, Finding, Level, check, findings_with, plain_keys};
use crate::load::{Loaded, Shared};
use crate::paths::{self, Env};
use crate::permissions::{
    PathKind, PrivatePath, agents_to_check, others_can_write, parent, private_paths, symlink_text,
};
use crate::providers::LEGACY_PROFILE;
use crate::report::{self, ReportOptions, StatusReport};
use crate::store::AuthStore;
use crate::time::Millis;
use crate::usage::backoff_cause_changed;
use std::collections::VecDeque;
use std::sync::Arc;

/// What `doctor` was asked, flags as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DoctorRequest {
    /// `--yes`.
    pub yes: bool,
    /// `--repair` / `--fix`.
    pub repair: bool,
    /// `--non-interactive`.
    pub non_interactive: bool,
    /// `--json`.
    pub json: bool,
    /// `--agent` (`None`: the default agent).
    pub agent: Option<String>,
    /// `--all-agents`.
    pub all_agents: bool,
    /// Whether standard input is a terminal (the host knows).
    pub terminal: bool,
}

impl DoctorRequest {
    /// The reference's `confirmRepair` never asks: `--non-interactive`, or
    /// no terminal to ask on (`--json` asks nothing either) and no `--yes`.
    /// `--non-interactive` beside `--yes`/`--fix` is no contradiction:
    /// unattended scripts run `doctor --fix --non-interactive --yes`, which
    /// asks nothing and makes the repairs `--fix` names.
    fn never_asks(&self) -> bool {
        let someone_to_ask = self.terminal && !self.json;
        self.non_interactive || !(someone_to_ask || self.assume_yes())
    }

    /// Every repair is answered yes.
    fn assume_yes(&self) -> bool {
        self.yes || self.repair
    }

    /// Whether the command may read Claude Code's Keychain item: only when
    /// someone is there to answer the prompt macOS may show.
    pub fn reads_keychain(&self) -> bool {
        !self.never_asks() && self.terminal
    }
}

/// What one agent's check has found and done so far.
struct Check {
    /// The agent as asked for (`None`: the default agent).
    agent: Option<String>,
    loaded: Box<Loaded>,
    report: Box<StatusReport>,
    plan: DoctorPreview,
    found: Vec<Finding>,
    /// The plain-text keys at rest ([`plain_keys`]), made once.
    plain: Vec<(String, String)>,
    changes: Vec<String>,
    needs_human: bool,
}

/// What the permission check found and did.
#[derive(Default)]
struct Permissions {
    lines: Vec<String>,
    findings: Vec<Finding>,
    changes: Vec<String>,
}

enum State {
    Find(Box<FindAgents>),
    NextAgent,
    Load {
        agent: Option<String>,
        settle: Box<Settle>,
    },
    Refs {
        agent: Option<String>,
        settled: Box<Settled>,
        refs: Box<ResolveRefs>,
    },
    Repair(Box<Check>),
    RepairEdit {
        check: Box<Check>,
        edit: Box<ConfigEdit>,
        text: String,
    },
    Stale(Box<Check>),
    Copies {
        check: Box<Check>,
        edit: Option<Box<EditStore<'static>>>,
    },
    Cooldown {
        check: Box<Check>,
        ids: VecDeque<String>,
        flow: Option<(String, Box<CooldownCommand>)>,
    },
    Folders(Box<Check>),
    Stat {
        check: Box<Check>,
        paths: Vec<PrivatePath>,
    },
    Mode(Modes),
    Refresh(Box<Check>),
    Refreshing {
        check: Box<Check>,
        due: Box<RefreshCommand>,
    },
    /// Lines to say, a batch a step (a large store's notes are tens of
    /// thousands of lines: queued all at once, each as its own effect,
    /// they took more memory than the notes themselves), then the next
    /// state.
    Say {
        lines: std::vec::IntoIter<String>,
        then: Box<State>,
    },
}

/// How many lines [`State::Say`] queues a step.
const SAY_BATCH: usize = 4096;

struct Doctor {
    env: Env,
    request: DoctorRequest,
    /// Resolve SecretRefs through the host (files read, resolvers run when
    /// the flag is true); `None`: only what the load decided (the envelope).
    check_refs: Option<bool>,
    agents: VecDeque<String>,
    first: bool,
    /// Each agent's `--json` document; shared with the [`Document`] the
    /// run ends with, which the host writes out and the envelope never
    /// renders.
    documents: Arc<Vec<DoctorDocument>>,
    /// Each agent's preview after its repairs, beside its document.
    previews: Vec<DoctorPreview>,
    /// Set by [`DoctorCommand::keeping_loads`]: each agent's load and report
    /// as checked last are kept in `loads` rather than dropped.
    keep_loads: bool,
    loads: Vec<(Loaded, StatusReport)>,
    /// Set by [`DoctorCommand::over_load`]: the first agent's load, made
    /// already, used instead of loading its files again.
    given: Option<Box<Loaded>>,
    worst: Exit,
    /// `--all-agents`: what the agents' loads read alike, read once and
    /// handed from one agent's load to the next; dropped when a repair
    /// writes a file it was read from.
    shared: Option<Arc<Shared>>,
    /// `--all-agents`: the config as read to find the agents, for the
    /// first agent's load.
    config_read: Option<(String, crate::world::FileRead)>,
}

/// The refusal of `--all-agents` beside `--agent`, for every command that
/// takes both.
pub(crate) const ALL_OR_ONE: &str = "Choose either --all-agents or --agent, not both.";

/// `doctor` as a flow.
pub struct DoctorCommand {
    inner: Driven<Doctor>,
}

impl DoctorCommand {
    /// The command as asked, at `now`.
    pub fn new(request: DoctorRequest, env: &Env, now: Millis) -> DoctorCommand {
        let state = match request.all_agents {
            true => State::Find(Box::new(FindAgents::new(env))),
            false => State::NextAgent,
        };
        let agents = match request.all_agents {
            true => VecDeque::new(),
            false => VecDeque::from([request.agent.clone().unwrap_or_default()]),
        };
        let first = request.all_agents || request.agent.is_none();
        let both = request.all_agents && request.agent.is_some();
        let doctor = Doctor {
            env: env.clone(),
            request,
            check_refs: None,
            agents,
            first,
            documents: Arc::default(),
            previews: Vec::new(),
            keep_loads: false,
            loads: Vec::new(),
            given: None,
            worst: Exit::Ok,
            shared: None,
            config_read: None,
        };
        let inner = match both {
            true => Driven::ended(doctor, Done::refused(Exit::Usage, ALL_OR_ONE), now),
            false => Driven::start(doctor, state, env, now),
        };
        DoctorCommand { inner }
    }

    /// Resolve SecretRefs through the host: read their files, and with
    /// `allow_exec` (`--allow-exec`) run their resolvers, so their findings
    /// say whether each ref works.
    pub fn check_refs(mut self, allow_exec: bool) -> DoctorCommand {
        self.inner.machine.check_refs = Some(allow_exec);
        self
    }

    /// Each agent checked so far: what doctor found in its load after its
    /// repairs, and its `--json` document (the panel shows both).
    pub fn checked(&self) -> impl Iterator<Item = (&DoctorPreview, &DoctorDocument)> {
        self.inner.machine.previews.iter().zip(self.inner.machine.documents.iter())
    }

    /// Keep each agent's load and report as last checked (after the
    /// refreshes, if one ran), with the default report options, for
    /// [`DoctorCommand::take_loads`]: the panel's view of files doctor left
    /// as they were is made from them instead of loading them again.
    pub fn keeping_loads(mut self) -> DoctorCommand {
        self.inner.machine.keep_loads = true;
        self
    }

    /// The same doctor, its (first) agent's load taken to be `loaded`
    /// rather than read and loaded again: for a caller that holds the load
    /// its own command just left, which reading the files it wrote would
    /// give again (it saved everything it changed and has nothing left to
    /// save: [`Loaded::write`] is `None`). The panel's order move over a
    /// 60 000-profile store spends its time in that second load.
    pub fn over_load(mut self, loaded: Loaded) -> DoctorCommand {
        self.inner.machine.given = Some(Box::new(loaded));
        self
    }

    /// The loads and reports kept ([`DoctorCommand::keeping_loads`]), one
    /// per agent checked.
    pub fn take_loads(&mut self) -> Vec<(Loaded, StatusReport)> {
        std::mem::take(&mut self.inner.machine.loads)
    }
}

/// How a question went.
enum Consent {
    Yes,
    No,
    Ask(Effect),
}

impl Doctor {
    fn json(&self) -> bool {
        self.request.json
    }

    /// A note: its title, its lines, a blank line; nothing with `--json`
    /// or without lines. Every line is escaped.
    fn note<L: Into<String>>(&self, out: &mut Lines, title: &str, lines: impl IntoIterator<Item = L>) {
        let mut said = Vec::new();
        self.note_into(&mut said, title, lines);
        out.extend(said.into_iter().map(|l| Effect::Emit(Event::Output(l))));
    }

    /// [`Doctor::note`]'s lines, kept to be said later ([`State::Say`]).
    fn note_into<L: Into<String>>(&self, said: &mut Vec<String>, title: &str, lines: impl IntoIterator<Item = L>) {
        let mut lines = lines.into_iter().peekable();
        if self.json() || lines.peek().is_none() {
            return;
        }
        said.reserve(lines.size_hint().0 + 2);
        said.push(title.to_string());
        said.extend(lines.map(Into::into));
        said.push(String::new());
    }

    /// A line about a repair: on stdout, or on stderr beside `--json`'s document.
    fn say(&self, out: &mut Lines, line: &str) {
        out.push_back(Effect::Emit(self.voice(Event::Output(line.to_string()))));
    }

    /// `--json` keeps stdout for its document: a repair's own answer
    /// becomes a notice on stderr.
    fn voice(&self, event: Event) -> Event {
        match (self.json(), event) {
            (true, Event::Output(text) | Event::Report(text)) => Event::Notice(text),
            (_, event) => event,
        }
    }

    /// An effect of a repair's own command, with its events in doctor's voice.
    fn forward(&self, effect: Effect) -> Effect {
        match effect {
            Effect::Emit(event) => Effect::Emit(self.voice(event)),
            other => other,
        }
    }

    /// The end of a repair's own command, said in doctor's voice.
    fn ended(&self, done: Done, out: &mut Lines) {
        out.extend(done.events.into_iter().map(|e| Effect::Emit(self.voice(e))));
    }

    /// The reference's `confirmRepair`.
    fn confirm(&self, question: &str, input: Option<Answer>) -> Consent {
        if self.request.assume_yes() {
            return Consent::Yes;
        }
        if self.request.never_asks() {
            return Consent::No;
        }
        let ask = || {
            Consent::Ask(Effect::Confirm {
                question: escape_control(question).into_owned(),
                default_yes: true,
                reply: Reply::new(),
            })
        };
        match input {
            Some(Answer::Confirmed(Some(line))) => match consent(&line, true) {
                Some(true) => Consent::Yes,
                Some(false) => Consent::No,
                None => ask(),
            },
            Some(Answer::Confirmed(None)) => Consent::No,
            _ => ask(),
        }
    }

    /// The next agent's check, or the end.
    fn next_agent(&mut self, now: Millis, out: &mut Lines) -> Turn<State> {
        let Some(agent) = self.agents.pop_front() else { return Turn::End(self.finish()) };
        if self.request.all_agents && !self.json() {
            out.push_back(Effect::Emit(Event::Output(format!("== Agent: {agent} =="))));
        }
        // The default agent as a bare run checks it (`CLAWDBOT_AGENT_DIR`).
        let agent = (!std::mem::replace(&mut self.first, false)).then_some(agent);
        if let Some(loaded) = self.given.take() {
            return self.settled(agent, Settled { loaded: *loaded, save_error: None }, out);
        }
        let all = self.request.all_agents;
        let settle = Settle::new(&self.env, agent.as_deref(), now)
            .reading_keychain(self.request.reads_keychain())
            .sharing(self.shared.clone().filter(|_| all), all)
            .answered(self.config_read.take());
        Turn::Go(State::Load { agent, settle: Box::new(settle) })
    }

    /// The agent's load is settled: its SecretRefs resolved through the
    /// host when asked, then checked.
    fn settled(&mut self, agent: Option<String>, mut settled: Settled, out: &mut Lines) -> Turn<State> {
        let refs = self.check_refs.and_then(|allow| ResolveRefs::needed(&mut settled.loaded, allow, None));
        match refs {
            Some(refs) => Turn::Go(State::Refs { agent, settled: Box::new(settled), refs: Box::new(refs) }),
            None => Turn::Go(State::Repair(self.loaded(agent, settled, out))),
        }
    }

    /// The load is saved: what it found, and the notes of what it did.
    fn loaded(&self, agent: Option<String>, settled: Settled, out: &mut Lines) -> Box<Check> {
        let Settled { loaded, save_error } = settled;
        out.extend(saved_notices(&loaded, save_error.as_deref()).into_iter().map(Effect::Emit));
        let report = report::build(&loaded, &ReportOptions::default());
        let plan = preview(&loaded, &report);
        let plain = plain_keys(&loaded);
        let mut found = findings_with(&loaded, &report, &plan, &plain);
        let notes = change_notes(&loaded, save_error.as_deref());
        self.note(out, "Auth changes", notes.iter().map(|c| format!("- {c}")));
        if let Some(e) = &save_error {
            found.push(Finding::new(check::NOT_SAVED, Level::Warning, escape_control(e).into_owned()));
            self.note(out, "Not saved", [format!("- {e}")]);
        }
        Box::new(Check {
            agent,
            // A change that could not be saved is no change: the store
            // still holds the old credentials, and a human must see to it.
            changes: if save_error.is_some() { Vec::new() } else { plan.changes.clone() },
            needs_human: save_error.is_some(),
            loaded: Box::new(loaded),
            report: Box::new(report),
            plan,
            found,
            plain,
        })
    }

    /// The config's Anthropic OAuth profile id, repaired when it names a
    /// profile the store does not have.
    fn repair(&self, mut check: Box<Check>, input: Option<Answer>, out: &mut Lines) -> Turn<State> {
        let fix = check.loaded.config.raw.as_ref().and_then(|raw| {
            crate::repair::repair_oauth_profile_id_mismatch(raw, &check.loaded.store, LEGACY_PROFILE.id, None)
        });
        let Some(fix) = fix else { return Turn::Go(State::Stale(check)) };
        let text = escape_control(&fix.change_text).into_owned();
        if input.is_none() {
            self.note(out, "Auth profiles", [format!("- {text}")]);
        }
        match self.confirm("Update Anthropic OAuth profile id in config now?", input) {
            Consent::Ask(effect) => Turn::Ask(State::Repair(check), effect),
            Consent::Yes => {
                // Under the store lock, against the config as it is then.
                let store = check.loaded.store.clone();
                let edit = move |doc: &mut serde_json::Value| match crate::repair::repair_oauth_profile_id_mismatch(
                    doc,
                    &store,
                    LEGACY_PROFILE.id,
                    None,
                ) {
                    Some(fix) => {
                        *doc = fix.new_config;
                        Ok(true)
                    }
                    None => Ok(false),
                };
                let at = &check.loaded.locations;
                let edit = ConfigEdit::new(&self.env, &at.store(), &at.config, Box::new(edit));
                Turn::Go(State::RepairEdit { check, edit: Box::new(edit), text })
            }
            Consent::No => {
                check.needs_human = true;
                let config = self.env.shorten(&check.loaded.locations.config);
                let finding = Finding::new(check::PROFILE_ID_MISMATCH, Level::Error, text)
                    .at(config)
                    .fix("clawdbot doctor --fix");
                check.found.push(finding);
                Turn::Go(State::Stale(check))
            }
        }
    }

    fn repaired(&self, mut check: Box<Check>, edited: ConfigEdited, text: String, out: &mut Lines) -> Turn<State> {
        match edited {
            ConfigEdited::Written { backup } => {
                if let Some(bak) = backup {
                    self.say(out, &format!("Saved the JSON5 original (with its comments) as {bak}"));
                }
                self.say(out, &format!("Updated {}", self.env.shorten(&check.loaded.locations.config)));
                check.changes.push(text);
            }
            ConfigEdited::Unchanged => {}
            ConfigEdited::Failed(why) => return Turn::End(Done::refused(Exit::Error, why)),
        }
        Turn::Go(State::Stale(check))
    }

    /// The cooldowns whose cause is gone (the core's
    /// [`backoff_cause_changed`]), ended with consent.
    fn stale(&self, check: Box<Check>, input: Option<Answer>, out: &mut Lines) -> Turn<State> {
        let loaded = &check.loaded;
        let stale: VecDeque<String> = loaded
            .store
            .usage_stats
            .keys()
            .filter(|id| backoff_cause_changed(&loaded.store, id, loaded.now))
            .cloned()
            .collect();
        if input.is_none() {
            self.note(out, "Auth profile cooldowns", &check.plan.cooldowns);
        }
        if stale.is_empty() {
            return Turn::Go(State::Copies { check, edit: None });
        }
        if input.is_none() {
            let lines: Vec<String> = stale
                .iter()
                .map(|id| {
                    format!(
                        "- {}: backs off after a rejected login, but the login was renewed since",
                        escape_control(id)
                    )
                })
                .collect();
            self.note(out, "Stale cooldowns", lines);
        }
        match self.confirm("End these cooldowns now?", input) {
            Consent::Ask(effect) => Turn::Ask(State::Stale(check), effect),
            Consent::Yes => Turn::Go(State::Cooldown { check, ids: stale, flow: None }),
            Consent::No => Turn::Go(State::Copies { check, edit: None }),
        }
    }

    /// The copies an older sync left in this agent's store of profiles it
    /// now inherits, identical to the owner's: dropped with consent, so
    /// one refresh token lives in one store (issue 22).
    fn copies(
        &self,
        mut check: Box<Check>,
        edit: Option<Box<EditStore<'static>>>,
        input: Option<Answer>,
        now: Millis,
        out: &mut Lines,
    ) -> Turn<State> {
        if let Some(mut edit) = edit {
            return match advance(&mut *edit, input, now) {
                Step::Effect(e) => Turn::Ask(State::Copies { check, edit: Some(edit) }, e),
                Step::Ready(Ok(_)) => {
                    let ids = check.loaded.store.inherited.as_ref().map(|i| i.copies.join(", ")).unwrap_or_default();
                    check.changes.push(format!("dropped the copies of {} (inherited instead)", escape_control(&ids)));
                    Turn::Go(State::Folders(check))
                }
                Step::Ready(Err(failure)) => Turn::End(failure.refusal()),
            };
        }
        let Some(inherited) = check.loaded.store.inherited.clone().filter(|i| !i.copies.is_empty()) else {
            return Turn::Go(State::Folders(check));
        };
        let from = escape_control(&inherited.from).into_owned();
        if input.is_none() {
            let lines: Vec<String> = inherited
                .copies
                .iter()
                .map(|id| format!("- {}: a copy of {from}'s, which this agent inherits", escape_control(id)))
                .collect();
            self.note(out, "Copies of inherited profiles", lines);
        }
        match self.confirm(&format!("Drop these copies (this agent then uses {from}'s)?"), input) {
            Consent::Ask(effect) => Turn::Ask(State::Copies { check, edit: None }, effect),
            Consent::Yes => {
                // Under the lock, each id still a copy of the owner's.
                let drop_copies = |store: &mut AuthStore, _: &Loaded| {
                    let copies = store.inherited.as_ref().map(|i| i.copies.clone()).unwrap_or_default();
                    for id in copies {
                        store.profiles.shift_remove(&id);
                    }
                };
                let agent = Some(check.loaded.locations.agent_id.as_str());
                let edit = EditStore::new(&self.env, agent, now, Box::new(drop_copies))
                    .reading_keychain(self.request.reads_keychain());
                Turn::Go(State::Copies { check, edit: Some(Box::new(edit)) })
            }
            Consent::No => {
                for id in &inherited.copies {
                    let what = format!("{} is a copy of {from}'s, which this agent inherits", escape_control(id));
                    let finding = Finding::new(check::INHERITED_COPY, Level::Warning, what)
                        .at(self.env.shorten(&check.loaded.locations.store()))
                        .fix("clawdbot doctor --fix");
                    check.found.push(finding);
                }
                Turn::Go(State::Folders(check))
            }
        }
    }

    /// Each stale cooldown ended by its own command, in turn.
    fn cooldown(
        &self,
        mut check: Box<Check>,
        mut ids: VecDeque<String>,
        flow: Option<(String, Box<CooldownCommand>)>,
        input: Option<Answer>,
        now: Millis,
        out: &mut Lines,
    ) -> Turn<State> {
        let Some((id, mut flow)) = flow else {
            let Some(id) = ids.pop_front() else { return Turn::Go(State::Copies { check, edit: None }) };
            let agent = Some(check.loaded.locations.agent_id.as_str());
            let flow = CooldownCommand::clear(&self.env, agent, CooldownTarget::Profile(id.clone()), now)
                .reading_keychain(self.request.reads_keychain());
            return Turn::Go(State::Cooldown { check, ids, flow: Some((id, Box::new(flow))) });
        };
        match advance(&mut *flow, input, now) {
            Step::Effect(e) => Turn::Ask(State::Cooldown { check, ids, flow: Some((id, flow)) }, self.forward(e)),
            Step::Ready(done) => {
                if done.exit == Exit::Ok {
                    check.changes.push(format!("ended the cooldown of {} (its cause is gone)", escape_control(&id)));
                    check.found.retain(|f| !(f.check_id == check::COOLDOWN_STALE && f.target.as_deref() == Some(&id)));
                }
                self.ended(done, out);
                Turn::Go(State::Cooldown { check, ids, flow: None })
            }
        }
    }

    fn agents_dir(&self, check: &Check) -> String {
        paths::join(&check.loaded.locations.state_dir, "agents")
    }

    /// The mode of each path that must be private, repaired with consent;
    /// a store that is a symlink into a folder others can write.
    fn mode(&self, mode: Modes, input: Option<Answer>, out: &mut Lines) -> Turn<State> {
        let Modes { check, mut items, mut perms, pending } = mode;
        let Some((private, meta)) = items.pop_front() else { return self.permissions_done(check, perms, out) };
        let shown = self.env.shorten(&private.path);
        let bits = meta.mode;
        let held = held_back(&private, &meta, &check.loaded);
        if let Some(reason) = held.as_ref().filter(|_| private.exposed(bits)) {
            let text = format!("{}: {reason}; left as it is (mode {:o})", private.path, bits & 0o7777);
            perms.lines.push(format!("- {text}"));
            perms.findings.push(Finding::new(check::PERMISSIONS, Level::Error, text).at(shown.clone()));
        }
        if held.is_none() && private.exposed(bits) {
            let problem = private.exposure_text(bits);
            // Asked again (with the same words) until the answer is yes or no.
            let question = format!("Make {shown} private?");
            let answer = match pending {
                Pending::Chmod => None,
                Pending::Asked => Some(self.confirm(&question, input.clone())),
                Pending::None => Some(self.confirm(&question, None)),
            };
            let chmod =
                Effect::SetMode { path: private.path.clone(), mode: private.repaired_mode(bits), reply: Reply::new() };
            // The path waits at the front for the answer.
            let wait = |items: &mut VecDeque<_>, pending| {
                items.push_front((private.clone(), meta.clone()));
                pending
            };
            match answer {
                Some(Consent::Ask(effect)) => {
                    let pending = wait(&mut items, Pending::Asked);
                    return Turn::Ask(State::Mode(Modes { check, items, perms, pending }), effect);
                }
                Some(Consent::Yes) => {
                    let pending = wait(&mut items, Pending::Chmod);
                    return Turn::Ask(State::Mode(Modes { check, items, perms, pending }), chmod);
                }
                Some(Consent::No) => {
                    perms.lines.push(format!("- {problem} — run `clawdbot doctor --fix` or chmod it"));
                    let finding = Finding::new(check::PERMISSIONS, Level::Error, problem)
                        .at(shown.clone())
                        .fix("clawdbot doctor --fix");
                    perms.findings.push(finding);
                }
                None => match input {
                    Some(Answer::Written(Ok(()))) => {
                        let text = private.repaired_text(bits);
                        perms.lines.push(format!("- {text}"));
                        perms.changes.push(escape_control(&text).into_owned());
                    }
                    Some(Answer::Written(Err(e))) => {
                        let text = format!("{problem} (could not fix: {e})");
                        perms.lines.push(format!("- {text}"));
                        perms.findings.push(Finding::new(check::PERMISSIONS, Level::Error, text).at(shown.clone()));
                    }
                    _ => {
                        let pending = wait(&mut items, Pending::Chmod);
                        return Turn::Ask(State::Mode(Modes { check, items, perms, pending }), chmod);
                    }
                },
            }
        }
        if private.store
            && let Some((dir, dir_mode)) = meta.link_folder.as_ref().filter(|(_, m)| others_can_write(*m))
        {
            let text = symlink_text(&private.path, dir, *dir_mode);
            perms.lines.push(format!("- {text}"));
            perms.findings.push(Finding::new(check::PERMISSIONS, Level::Error, text).at(shown));
        }
        Turn::Go(State::Mode(Modes { check, items, perms, pending: Pending::None }))
    }

    /// The permissions are checked: their note, the unreadable files and
    /// the warnings; then the refreshes.
    fn permissions_done(&self, mut check: Box<Check>, perms: Permissions, out: &mut Lines) -> Turn<State> {
        check.needs_human |= !perms.findings.is_empty();
        self.note(out, "Permissions", &perms.lines);
        check.found.extend(perms.findings);
        check.changes.extend(perms.changes);
        if !check.plan.problems.is_empty() {
            check.needs_human = true;
            let lines: Vec<String> = check.plan.problems.iter().map(|l| format!("- {l}")).collect();
            self.note(out, "Unreadable files (left untouched)", lines);
        }
        let warnings: Vec<String> = check.plan.warnings.iter().map(|l| format!("- {l}")).collect();
        self.note(out, "Warnings about files read", warnings);
        let held_out: Vec<String> = check
            .loaded
            .held_out
            .iter()
            .map(|source| format!("- {} — {}", crate::sync::held_out_words(source), source.enable_hint()))
            .collect();
        self.note(out, "Logins left out of the sync", held_out);
        Turn::Go(State::Refresh(check))
    }

    /// Offers to refresh the OAuth logins that are due.
    fn refresh(&mut self, check: Box<Check>, input: Option<Answer>) -> Turn<State> {
        let due = due_for_doctor(&check.loaded, &check.plan.issues);
        if due.is_empty() {
            return self.checked(check, None);
        }
        match self.confirm("Refresh expiring OAuth tokens now?", input) {
            Consent::Ask(effect) => Turn::Ask(State::Refresh(check), effect),
            Consent::Yes => {
                let keychain = self.request.reads_keychain();
                let due = Box::new(RefreshCommand::doctor((*check.loaded).clone(), due, keychain));
                Turn::Go(State::Refreshing { check, due })
            }
            Consent::No => self.checked(check, None),
        }
    }

    fn refreshing(
        &mut self,
        mut check: Box<Check>,
        mut due: Box<RefreshCommand>,
        input: Option<Answer>,
        now: Millis,
        out: &mut Lines,
    ) -> Turn<State> {
        match advance(&mut *due, input, now) {
            Step::Effect(e) => Turn::Ask(State::Refreshing { check, due }, self.forward(e)),
            Step::Ready(done) => {
                self.ended(done, out);
                let (after, refreshed) = due.into_outcome();
                check.changes.extend(refreshed);
                self.checked(check, after)
            }
        }
    }

    /// One agent is checked: its last notes, its document and exit.
    /// `after`: the load after the refreshes, when one ran and looked
    /// again; without it the load is the one checked, whose report,
    /// preview and findings are not made a second time.
    fn checked(&mut self, mut check: Box<Check>, after: Option<Loaded>) -> Turn<State> {
        // Its notes are said a batch at a time, after what is queued.
        let mut said = Vec::new();
        // The expiry issues and findings as the store is after the refreshes.
        let refreshed = after.map(|after| {
            let report = report::build(&after, &ReportOptions::default());
            let plan = preview(&after, &report);
            (after, report, plan)
        });
        let (after, report_after, after_plan) = match &refreshed {
            Some((after, report, plan)) => (after, report, plan),
            None => (&*check.loaded, &*check.report, &check.plan),
        };
        let issues = &after_plan.issues;
        if !issues.is_empty() {
            check.needs_human |= issues.iter().any(|i| i.needs_human);
            self.note_into(&mut said, "Model auth", issues.iter().map(|i| i.line()));
        }
        // `--check` and doctor judge a restricting config entry alike.
        let restricted = &report_after.auth.check.restricted;
        if !restricted.is_empty() {
            check.needs_human = true;
            let lines: Vec<String> =
                restricted.iter().map(|r| format!("- {}", escape_control(&r.to_string()))).collect();
            self.note_into(&mut said, "Config", lines);
        }
        // The expiry findings go last, made again from the load after the
        // refreshes; without one they are the ones found, whose inputs are
        // the same.
        let expiry_ids = [check::PROFILE_EXPIRED, check::PROFILE_EXPIRING, check::EXPIRY_UNKNOWN];
        let (mut found, found_expiry): (Vec<Finding>, Vec<Finding>) =
            std::mem::take(&mut check.found).into_iter().partition(|f| !expiry_ids.contains(&f.check_id));
        match refreshed.is_some() {
            true => found.extend(
                findings_with(after, report_after, after_plan, &check.plain)
                    .into_iter()
                    .filter(|f| expiry_ids.contains(&f.check_id)),
            ),
            false => found.extend(found_expiry),
        }
        check.found = found;
        let missing = &check.report.auth.missing_providers_in_use;
        if !missing.is_empty() {
            check.needs_human = true;
            let lines: Vec<String> = missing
                .iter()
                .map(|prov| {
                    let hint = crate::remedy::for_missing_provider(prov, &check.report.auth.logins_elsewhere);
                    format!("- {prov}: no credentials for a provider in use — {hint}")
                })
                .collect();
            self.note_into(&mut said, "Missing auth", lines);
        }
        // SecretRefs and plain-text keys at rest: one line each, with its fix.
        let secret_ids =
            [check::REF_FAILING, check::REF_UNSAFE, check::REF_NOT_CHECKED, check::REF_RESIDUE, check::PLAIN_KEY];
        let secrets: Vec<&Finding> = check.found.iter().filter(|f| secret_ids.contains(&f.check_id)).collect();
        check.needs_human |= secrets.iter().any(|f| f.severity == Level::Error);
        let mut lines: Vec<String> = secrets
            .iter()
            .filter(|f| f.check_id != check::PLAIN_KEY)
            .map(|f| match &f.fix_hint {
                Some(fix) => format!("- {} — {fix}", f.message),
                None => format!("- {}", f.message),
            })
            .collect();
        // The plain keys one a line, each with the command that moves it.
        if !check.plain.is_empty() {
            lines.push("- plain-text keys at rest; each moves into a ref with:".into());
            lines.extend(check.plain.iter().map(|(what, fix)| format!("  - {what}: {fix}")));
        }
        self.note_into(&mut said, "Secrets", lines);
        if !self.json() {
            let summary = match check.needs_human {
                true => "Doctor: action needed (see above).",
                false => "Doctor: model auth is healthy.",
            };
            said.push(summary.into());
            if self.request.all_agents {
                said.push(String::new());
            }
        }
        let agent_id = after.locations.agent_id.clone();
        let (after_plan, last) = match refreshed {
            Some((after, report, plan)) => (Some(plan), Some((after, report))),
            None => (None, None),
        };
        let Check { found, changes, needs_human, plan, loaded, report, .. } = *check;
        if self.keep_loads {
            self.loads.push(last.unwrap_or((*loaded, *report)));
        }
        let mut document = DoctorDocument::new(&agent_id, found, changes);
        // The exit rule is the text mode's; the document agrees with it.
        document.ok = !needs_human;
        if needs_human {
            self.worst = Exit::Action;
        }
        Arc::make_mut(&mut self.documents).push(document);
        self.previews.push(after_plan.unwrap_or(plan));
        Turn::Go(State::Say { lines: said.into_iter(), then: Box::new(State::NextAgent) })
    }

    fn finish(&mut self) -> Done {
        let mut events = Vec::new();
        if self.json() {
            events.push(Event::Document(Document::doctor(Arc::clone(&self.documents), self.request.all_agents)));
        }
        Done::with(self.worst, events)
    }
}

/// Why doctor must not change the mode of `private`, if it must not: a
/// chmod follows symlinks, so a path that is not what doctor checks (a
/// device, a pipe, a file outside its folder, a file the load could not
/// read) would have its mode changed on something doctor never looked at.
fn held_back(private: &PrivatePath, meta: &FileMeta, loaded: &Loaded) -> Option<String> {
    if let Some((dir, _)) = meta.link_folder.as_ref()
        && parent(&private.path).as_deref() != Some(dir.as_str())
    {
        return Some(format!("is a symlink into {dir}"));
    }
    if private.kind == PathKind::File && !meta.regular {
        return Some("is not a regular file".to_string());
    }
    // A warning or error about a whole file (no field) says it was not read
    // as what it should be; one about a field means the file parsed. The
    // store's "not saved" is about the write, not the read.
    // A `.env` file is read line by line: a line it ignored is no file it
    // could not read, and it is listed only once read.
    if loaded.dotenv.holding_keys.contains(&private.path) {
        return None;
    }
    let shown = loaded.show(&private.path);
    let unread = loaded.diagnostics.iter().any(|d| {
        (d.file == private.path || d.file == shown)
            && d.field.is_none()
            && d.severity != Severity::Info
            && !d.message.starts_with("not saved")
    });
    (private.kind == PathKind::File && unread).then(|| "could not be read".to_string())
}

/// Where the permission check is.
struct Modes {
    check: Box<Check>,
    items: VecDeque<(PrivatePath, FileMeta)>,
    perms: Permissions,
    pending: Pending,
}

/// What the first item waits for.
enum Pending {
    None,
    Asked,
    Chmod,
}

impl Machine for Doctor {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, out: &mut Lines) -> Turn<State> {
        let turn = self.step_in(state, input, now, out);
        // A repair that writes a file the agents' loads share makes the
        // next agent's load read it again.
        if let Turn::Ask(_, effect) = &turn {
            keep_shared_fresh(&mut self.shared, effect);
        }
        for effect in out.iter() {
            keep_shared_fresh(&mut self.shared, effect);
        }
        turn
    }
}

impl Doctor {
    fn step_in(&mut self, state: State, input: Option<Answer>, now: Millis, out: &mut Lines) -> Turn<State> {
        match state {
            State::Find(mut find) => match advance(&mut *find, input, now) {
                Step::Effect(e) => Turn::Ask(State::Find(find), e),
                Step::Ready(agents) => {
                    self.agents = agents.into();
                    self.config_read = find.config_read();
                    Turn::Go(State::NextAgent)
                }
            },
            State::NextAgent => self.next_agent(now, out),
            State::Say { mut lines, then } => {
                out.extend(lines.by_ref().take(SAY_BATCH).map(|l| Effect::Emit(Event::Output(l))));
                match lines.len() {
                    0 => Turn::Go(*then),
                    _ => Turn::Go(State::Say { lines, then }),
                }
            }
            State::Load { agent, mut settle } => match advance(&mut *settle, input, now) {
                Step::Effect(e) => Turn::Ask(State::Load { agent, settle }, e),
                Step::Ready(settled) => {
                    if self.request.all_agents {
                        self.shared = settle.shared();
                    }
                    self.settled(agent, settled, out)
                }
            },
            State::Refs { agent, mut settled, mut refs } => match advance(&mut *refs, input, now) {
                Step::Effect(e) => Turn::Ask(State::Refs { agent, settled, refs }, e),
                Step::Ready(states) => {
                    settled.loaded.refs = states;
                    Turn::Go(State::Repair(self.loaded(agent, *settled, out)))
                }
            },
            State::Repair(check) => self.repair(check, input, out),
            State::RepairEdit { check, mut edit, text } => match advance(&mut *edit, input, now) {
                Step::Effect(e) => Turn::Ask(State::RepairEdit { check, edit, text }, e),
                Step::Ready(edited) => self.repaired(check, edited, text, out),
            },
            State::Stale(check) => self.stale(check, input, out),
            State::Copies { check, edit } => self.copies(check, edit, input, now, out),
            State::Cooldown { check, ids, flow } => self.cooldown(check, ids, flow, input, now, out),
            State::Folders(check) => match input {
                Some(Answer::Entries(entries)) => {
                    let mut found: Vec<String> = entries.into_iter().filter(|e| e.folder).map(|e| e.name).collect();
                    found.sort();
                    let config = &check.loaded.config.config;
                    let agents = agents_to_check(config, check.agent.as_deref(), &found);
                    let paths = private_paths(&self.env, config, &agents, &check.loaded.dotenv.holding_keys);
                    Turn::Go(State::Stat { check, paths })
                }
                _ => {
                    let path = self.agents_dir(&check);
                    Turn::Ask(State::Folders(check), Effect::ListFolder { path, reply: Reply::new() })
                }
            },
            State::Stat { check, paths } => match input {
                Some(Answer::Stats(stats)) => {
                    let items = paths
                        .into_iter()
                        .filter_map(|private| {
                            let (_, meta) = stats.iter().find(|(p, _)| *p == private.path)?;
                            // A path that is not there, or not what it should be, is not judged.
                            let meta = meta.clone().filter(|m| m.folder == (private.kind == PathKind::Folder))?;
                            Some((private, meta))
                        })
                        .collect();
                    Turn::Go(State::Mode(Modes { check, items, perms: Permissions::default(), pending: Pending::None }))
                }
                _ => {
                    let effect = Effect::stat(paths.iter().map(|p| p.path.clone()).collect());
                    Turn::Ask(State::Stat { check, paths }, effect)
                }
            },
            State::Mode(modes) => self.mode(modes, input, out),
            State::Refresh(check) => self.refresh(check, input),
            State::Refreshing { check, due } => self.refreshing(check, due, input, now, out),
        }
    }
}

flow_of_driven!(DoctorCommand);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Stream;
    use crate::flow::script::{Host, NOW, STATE, env, store_path, text};
    use serde_json::{Value, json};

    const HOUR: Millis = 3_600_000;

    fn doctor(request: DoctorRequest) -> DoctorCommand {
        DoctorCommand::new(request, &env(), NOW)
    }

    /// A key for the provider of the default model: nothing to do.
    fn key_store() -> Value {
        json!({"version": 1, "profiles": {"anthropic:k": {"type": "api_key", "provider": "anthropic", "key": "sk-FAKE"}}})
    }

    fn expired_store() -> Value {
        json!({"version": 1, "profiles": {"anthropic:a": {
            "type": "oauth", "provider": "anthropic", "access": "a-FAKE", "expires": NOW - HOUR}}})
    }

    fn document(done: &Done) -> Value {
        serde_json::from_str(&done.lines()[0].text).expect("one JSON document")
    }

    #[test]
    fn every_agent_and_one_agent_together_is_a_usage_error_before_anything_is_read() {
        let mut host = Host::with_store(&key_store());
        let request = DoctorRequest { all_agents: true, agent: Some("ops".into()), ..DoctorRequest::default() };
        let (done, _) = host.run(&mut doctor(request));
        assert_eq!(done.exit, Exit::Usage);
        assert_eq!(done.lines()[0].text, "error: Choose either --all-agents or --agent, not both.");
        assert!(host.asked.is_empty(), "{:?}", host.asked);
    }

    #[test]
    fn a_healthy_store_exits_0_and_writes_nothing() {
        let mut host = Host::with_store(&key_store());
        let (done, printed) = host.run(&mut doctor(DoctorRequest::default()));
        assert_eq!(done.exit, Exit::Ok, "{printed:?}");
        // The one note: the key is kept in plain text, and how to move it.
        let said = text(&printed, Stream::Stdout);
        assert!(
            said.starts_with("Secrets\n- plain-text keys at rest; each moves into a ref with:\n  - anthropic:k in "),
            "{said}"
        );
        assert!(said.ends_with("--ref <ref>\n\nDoctor: model auth is healthy."), "{said}");
        assert!(!host.asked.iter().any(|a| a.starts_with("write") || a.starts_with("chmod") || a.starts_with("lock")));
        let (done, printed) = host.run(&mut doctor(DoctorRequest { json: true, ..DoctorRequest::default() }));
        assert_eq!(text(&printed, Stream::Stdout), "", "stdout holds only the document");
        assert_eq!(document(&done)["ok"], true);
        assert_eq!(document(&done)["agentId"], "main");
    }

    /// `--json` ends with one [`Document`], written by the host, never a
    /// finished text: the panel runs doctor on every pick and move and
    /// never prints it. Its bytes are the document's, as one text, and
    /// `--all-agents`' are `{"ok", "agents"}` over every agent's.
    #[test]
    fn json_is_a_document_with_the_bytes_of_the_documents_as_text() {
        let mut host = Host::with_store(&expired_store());
        for all_agents in [false, true] {
            let mut command = doctor(DoctorRequest { json: true, all_agents, ..DoctorRequest::default() });
            let (done, _) = host.run(&mut command);
            let [Event::Document(written)] = &done.events[..] else { panic!("one document: {:?}", done.events) };
            let documents: Vec<DoctorDocument> = command.checked().map(|(_, d)| d.clone()).collect();
            assert_eq!(documents.len(), 1);
            let expected = match all_agents {
                false => crate::escape::terminal_safe_json(&documents[0]),
                true => crate::escape::terminal_safe_json(&json!({"ok": false, "agents": documents})),
            };
            assert_eq!(written.text(), expected);
            assert_eq!(done.lines()[0].text, expected);
        }
    }

    #[test]
    fn a_dead_login_needs_a_human_in_text_and_in_json_alike() {
        let mut host = Host::with_store(&expired_store());
        let (done, printed) = host.run(&mut doctor(DoctorRequest::default()));
        assert_eq!(done.exit, Exit::Action);
        let out = text(&printed, Stream::Stdout);
        assert!(out.contains("Model auth\n- anthropic:a: expired 1h ago"), "{out}");
        assert!(out.ends_with("Doctor: action needed (see above)."), "{out}");
        let (done, _) = host.run(&mut doctor(DoctorRequest { json: true, ..DoctorRequest::default() }));
        assert_eq!(done.exit, Exit::Action);
        let doc = document(&done);
        assert_eq!(doc["ok"], false);
        assert!(
            doc["findings"].as_array().is_some_and(|f| f.iter().any(|f| f["checkId"] == check::PROFILE_EXPIRED)),
            "{doc}"
        );
    }

    #[test]
    fn a_cooldown_whose_login_was_renewed_since_is_ended_with_consent_and_no_longer_found() {
        // Rejected an hour ago, renewed since (it expires in two days): the
        // cooldown still runs for another hour, but its cause is gone.
        let mut store = json!({"version": 1, "profiles": {"anthropic:a": {
            "type": "oauth", "provider": "anthropic", "access": "a-FAKE", "refresh": "r-FAKE",
            "expires": NOW + 48 * HOUR}}});
        store["usageStats"] = json!({"anthropic:a": {
            "cooldownUntil": NOW + HOUR, "failureCounts": {"auth": 1}, "lastFailureAt": NOW - HOUR, "errorCount": 1}});
        let mut host = Host::with_store(&store);
        let stale = |doc: &Value| {
            doc["findings"].as_array().is_some_and(|f| f.iter().any(|f| f["checkId"] == check::COOLDOWN_STALE))
        };
        let (done, _) = host.run(&mut doctor(DoctorRequest { json: true, ..DoctorRequest::default() }));
        assert!(stale(&document(&done)), "found without consent: {}", document(&done));
        assert!(!host.files[&store_path("main")].contains("\"cooldownUntil\": null"), "and left alone");

        let (done, printed) =
            host.run(&mut doctor(DoctorRequest { yes: true, json: true, ..DoctorRequest::default() }));
        let doc = document(&done);
        assert!(!stale(&doc), "ended, so no longer found: {doc}");
        let changes = doc["changes"].to_string();
        assert!(changes.contains("ended the cooldown of anthropic:a (its cause is gone)"), "{doc} {printed:?}");
        let stats: Value = serde_json::from_str(&host.files[&store_path("main")]).expect("the store is JSON");
        let stats = &stats["usageStats"]["anthropic:a"];
        assert!(stats.get("cooldownUntil").is_none_or(Value::is_null), "{stats}");
    }

    #[test]
    fn an_exposed_store_is_reported_without_consent_and_made_private_with_it() {
        let mut host = Host::with_store(&key_store());
        host.modes.insert(store_path("main"), 0o644);
        let (done, printed) = host.run(&mut doctor(DoctorRequest::default()));
        assert_eq!(done.exit, Exit::Action);
        assert!(text(&printed, Stream::Stdout).contains("— run `clawdbot doctor --fix` or chmod it"), "{printed:?}");
        assert!(!host.asked.iter().any(|a| a.starts_with("chmod") || a.starts_with("confirm")), "{:?}", host.asked);
        let (done, printed) = host.run(&mut doctor(DoctorRequest { yes: true, ..DoctorRequest::default() }));
        assert_eq!(done.exit, Exit::Ok, "{printed:?}");
        assert!(host.asked.contains(&format!("chmod 600 {}", store_path("main"))), "{:?}", host.asked);
        assert_eq!(host.modes[&store_path("main")], 0o600);
        // A chmod that fails stays a human's to fix.
        host.modes.insert(store_path("main"), 0o640);
        host.stuck.insert(store_path("main"));
        let (done, _) = host.run(&mut doctor(DoctorRequest { repair: true, json: true, ..DoctorRequest::default() }));
        assert_eq!(done.exit, Exit::Action);
        let doc = document(&done);
        let fixes = doc["findings"].as_array().unwrap().iter().filter_map(|f| f["message"].as_str());
        assert!(fixes.clone().any(|m| m.contains("could not fix")), "{doc}");
    }

    #[test]
    fn a_dotenv_holding_keys_that_others_can_read_is_reported_and_made_private() {
        // Issue 23 item 15: `~/.clawdbot/.env` at 0644 with the daemon's
        // keys went unreported. A line doctor's load ignored is no reason
        // to leave the file as it is.
        let dotenv = format!("{STATE}/.env");
        let mut host = Host::with_store(&key_store());
        host.files.insert(dotenv.clone(), "not a line\nOPENAI_API_KEY=sk-FAKE-dotenv-0123456789\n".into());
        host.modes.insert(dotenv.clone(), 0o644);
        let (done, printed) = host.run(&mut doctor(DoctorRequest::default()));
        assert_eq!(done.exit, Exit::Action);
        let out = text(&printed, Stream::Stdout);
        assert!(
            out.contains(&format!("- {dotenv}: file is readable by other users (mode 644, expected 600)")),
            "{out}"
        );
        let (done, printed) = host.run(&mut doctor(DoctorRequest { repair: true, ..DoctorRequest::default() }));
        assert_eq!(done.exit, Exit::Ok, "{printed:?}");
        assert_eq!(host.modes[&dotenv], 0o600);
        // Without keys it is no credential file: its mode is the owner's.
        let mut host = Host::with_store(&key_store());
        host.files.insert(dotenv.clone(), "LOG_LEVEL=debug\n".into());
        host.modes.insert(dotenv.clone(), 0o644);
        let (done, _) = host.run(&mut doctor(DoctorRequest { repair: true, ..DoctorRequest::default() }));
        assert_eq!((done.exit, host.modes[&dotenv]), (Exit::Ok, 0o644));
        assert!(!host.asked.iter().any(|a| a.starts_with("chmod")), "{:?}", host.asked);
    }

    #[test]
    fn fix_beside_non_interactive_repairs_without_asking() {
        for request in [
            DoctorRequest { repair: true, non_interactive: true, terminal: true, ..DoctorRequest::default() },
            DoctorRequest { yes: true, repair: true, non_interactive: true, ..DoctorRequest::default() },
        ] {
            let mut host = Host::with_store(&key_store());
            host.modes.insert(store_path("main"), 0o644);
            assert!(!request.reads_keychain(), "nobody to answer a Keychain prompt: {request:?}");
            let (done, printed) = host.run(&mut doctor(request.clone()));
            assert_eq!(done.exit, Exit::Ok, "{request:?} {printed:?}");
            assert!(!host.asked.iter().any(|a| a.starts_with("confirm")), "{:?}", host.asked);
            assert_eq!(host.modes[&store_path("main")], 0o600, "{request:?}");
        }
    }

    #[test]
    fn on_a_terminal_each_repair_is_asked_with_yes_as_the_default() {
        let mut host = Host::with_store(&key_store());
        host.modes.insert(store_path("main"), 0o644);
        host.answer = Some(false);
        let (done, _) = host.run(&mut doctor(DoctorRequest { terminal: true, ..DoctorRequest::default() }));
        assert_eq!(done.exit, Exit::Action, "declined");
        let question = "confirm Make ~/.clawdbot/agents/main/agent/auth-profiles.json private?".to_string();
        assert!(host.asked.contains(&question), "{:?}", host.asked);
        assert!(!host.asked.iter().any(|a| a.starts_with("chmod")));
        host.answer = Some(true);
        let (done, _) = host.run(&mut doctor(DoctorRequest { terminal: true, ..DoctorRequest::default() }));
        assert_eq!(done.exit, Exit::Ok);
        // --json never asks, even on a terminal.
        host.modes.insert(store_path("main"), 0o644);
        host.asked.clear();
        let request = DoctorRequest { terminal: true, json: true, ..DoctorRequest::default() };
        assert!(!request.reads_keychain(), "nobody to answer a Keychain prompt");
        host.run(&mut doctor(request));
        assert!(!host.asked.iter().any(|a| a.starts_with("confirm")), "{:?}", host.asked);
        assert!(DoctorRequest { terminal: true, ..DoctorRequest::default() }.reads_keychain());
    }

    #[test]
    fn a_store_linked_into_a_folder_others_can_write_needs_a_human() {
        let mut host = Host::with_store(&key_store());
        host.links.insert(store_path("main"), ("/tmp/shared".into(), 0o777));
        let (done, printed) = host.run(&mut doctor(DoctorRequest::default()));
        assert_eq!(done.exit, Exit::Action);
        assert!(text(&printed, Stream::Stdout).contains("is a symlink into /tmp/shared"), "{printed:?}");
    }

    #[test]
    fn a_path_linked_out_of_its_folder_or_unparsed_is_left_as_it_is() {
        let mut host = Host::with_store(&key_store());
        host.modes.insert(store_path("main"), 0o644);
        host.links.insert(store_path("main"), ("/elsewhere".into(), 0o755));
        let (done, printed) = host.run(&mut doctor(DoctorRequest { yes: true, ..DoctorRequest::default() }));
        assert_eq!(done.exit, Exit::Action, "{printed:?}");
        assert!(!host.asked.iter().any(|a| a.starts_with("chmod")), "{:?}", host.asked);
        let out = text(&printed, Stream::Stdout);
        assert!(out.contains("auth-profiles.json: is a symlink into /elsewhere; left as it is (mode 644)"), "{out}");
        // Linked within its own folder, it is the file doctor checked.
        let folder = store_path("main").rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
        host.links.insert(store_path("main"), (folder, 0o700));
        host.run(&mut doctor(DoctorRequest { yes: true, ..DoctorRequest::default() }));
        assert_eq!(host.modes[&store_path("main")], 0o600);

        let mut host = Host::with_store(&key_store());
        host.files.insert(store_path("main"), "{ not json".into());
        host.modes.insert(store_path("main"), 0o644);
        let (_, printed) = host.run(&mut doctor(DoctorRequest { yes: true, ..DoctorRequest::default() }));
        assert!(!host.asked.iter().any(|a| a.starts_with("chmod")), "{:?}", host.asked);
        let out = text(&printed, Stream::Stdout);
        assert!(out.contains("auth-profiles.json: could not be read; left as it is (mode 644)"), "{out}");
    }

    #[test]
    fn all_agents_checks_each_and_exits_with_the_worst() {
        let mut host = Host { folders: vec!["ops"], ..Host::with_store(&key_store()) };
        host.files.insert(store_path("ops"), expired_store().to_string());
        let request = DoctorRequest { all_agents: true, json: true, ..DoctorRequest::default() };
        let (done, _) = host.run(&mut doctor(request));
        assert_eq!(done.exit, Exit::Action);
        let doc = document(&done);
        assert_eq!(doc["ok"], false);
        assert_eq!(doc["agents"][0]["agentId"], "main");
        assert_eq!(doc["agents"][0]["ok"], true);
        assert_eq!(doc["agents"][1]["agentId"], "ops");
        assert_eq!(doc["agents"][1]["ok"], false);
        let (_, printed) = host.run(&mut doctor(DoctorRequest { all_agents: true, ..DoctorRequest::default() }));
        let out = text(&printed, Stream::Stdout);
        assert!(out.starts_with("== Agent: main =="), "{out}");
        assert!(out.contains("== Agent: ops =="), "{out}");
        assert!(host.asked.contains(&format!("list {STATE}/agents")), "{:?}", host.asked);
    }

    #[test]
    fn the_profile_id_repair_is_a_finding_until_consented_then_a_locked_config_write() {
        let login = json!({"type": "oauth", "provider": "anthropic", "access": "a-FAKE", "refresh": "r-FAKE",
                           "expires": NOW + 48 * HOUR});
        let mut host = Host::with_store(&json!({"version": 1, "profiles": {"anthropic:me@example.com": login}}));
        // JSON5: a comment the write would lose, so the original is saved first.
        let config = "// mine\n{\"auth\": {\"profiles\": {\"anthropic:default\": {\"provider\": \"anthropic\", \"mode\": \"oauth\"}}}}";
        host.files.insert(crate::flow::script::CONFIG.into(), config.into());
        let (done, _) = host.run(&mut doctor(DoctorRequest { json: true, ..DoctorRequest::default() }));
        assert_eq!(done.exit, Exit::Action);
        let doc = document(&done);
        let finding =
            doc["findings"].as_array().and_then(|f| f.iter().find(|f| f["checkId"] == check::PROFILE_ID_MISMATCH));
        assert!(finding.is_some_and(|f| f["fixHint"] == "clawdbot doctor --fix"), "{doc}");
        assert_eq!(host.files[crate::flow::script::CONFIG], config, "nothing written without consent");
        let (done, printed) = host.run(&mut doctor(DoctorRequest { yes: true, ..DoctorRequest::default() }));
        assert_eq!(done.exit, Exit::Ok, "{printed:?}");
        let out = text(&printed, Stream::Stdout);
        assert!(out.contains("Saved the JSON5 original (with its comments) as ~/.clawdbot/clawdbot.json.bak"), "{out}");
        assert!(out.contains("Updated ~/.clawdbot/clawdbot.json"), "{out}");
        let written: Value = serde_json::from_str(&host.files[crate::flow::script::CONFIG]).expect("JSON now");
        assert!(written["auth"]["profiles"].get("anthropic:me@example.com").is_some(), "{written}");
        let lock = host.position(&format!("lock {}", store_path("main")));
        assert!(
            lock < host.position(&format!("write {}", crate::flow::script::CONFIG)),
            "written under the store lock"
        );
    }

    /// Issue 27 item 3: `--all-agents` reads the config once for all the
    /// agents, unless a repair wrote it: then the next agent's load reads
    /// it again, and judges it as written.
    #[test]
    fn all_agents_reads_the_config_once_unless_a_repair_wrote_it() {
        let login = json!({"type": "oauth", "provider": "anthropic", "access": "a-FAKE", "refresh": "r-FAKE",
                           "expires": NOW + 48 * HOUR});
        let store = json!({"version": 1, "profiles": {"anthropic:me@example.com": login}});
        let mut host = Host { folders: vec!["ops", "lab"], ..Host::with_store(&store) };
        host.files.insert(store_path("ops"), key_store().to_string());
        host.files.insert(store_path("lab"), key_store().to_string());
        let config = json!({"auth": {"profiles": {"anthropic:default": {"provider": "anthropic", "mode": "oauth"}}}});
        host.files.insert(crate::flow::script::CONFIG.into(), config.to_string());
        let reads =
            |host: &Host| host.asked.iter().filter(|a| **a == format!("read {}", crate::flow::script::CONFIG)).count();
        // Nothing repaired: read once, for the agents' list and every load.
        let request = DoctorRequest { all_agents: true, non_interactive: true, ..DoctorRequest::default() };
        let (done, _) = host.run(&mut doctor(request));
        assert_eq!(done.exit, Exit::Action, "the mismatch is left as a finding");
        assert_eq!(reads(&host), 1, "{:?}", host.asked);
        // The main agent's repair writes it (under the lock, where it is
        // read again); the next agent reads it once more, as written.
        host.asked.clear();
        let (done, printed) =
            host.run(&mut doctor(DoctorRequest { all_agents: true, yes: true, ..DoctorRequest::default() }));
        let write = host.position(&format!("write {}", crate::flow::script::CONFIG));
        // The agents in order: main, lab, ops.
        let lab = host.position(&format!("read {}", store_path("lab")));
        let ops = host.position(&format!("read {}", store_path("ops")));
        assert!(write < lab && lab < ops, "{:?}", host.asked);
        let config_read = format!("read {}", crate::flow::script::CONFIG);
        assert!(host.asked[write..ops].contains(&config_read), "lab reads it again: {:?}", host.asked);
        assert_eq!(done.exit, Exit::Ok, "{printed:?}");
        assert!(!host.asked[ops..].contains(&config_read), "then shared again: {:?}", host.asked);
    }
}
