//! `clawdbot models auth remove PROFILE_ID` (alias `logout`), and `models
//! auth sync --enable`, which lets the sync bring a removed login back.
//!
//! remove: one look to find the profile and say what would go, a question
//! unless `--yes` (nothing is written with `--dry-run`), then one locked
//! edit of the store and, when the config names the profile, one locked
//! edit of the config. The rules are [`crate::removal`].

use super::config_edit::{ConfigEdit, ConfigEdited};
use super::edit::EditStore;
use super::look::{Look, unreadable_reason};
use super::settle::Settle;
use super::{Done, Effect, Exit, Flow, Input, Line, Step, internal_end};
use crate::escape::escape_control;
use crate::load::{Loaded, StoreState};
use crate::paths::Env;
use crate::removal::{Removed, remove_from_config, remove_profile, synced_from};
use crate::store::AuthStore;
use crate::time::Millis;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// What `models auth remove` was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveRequest {
    /// The profile to remove, exactly as stored.
    pub profile_id: String,
    /// The agent (`None`: the default agent).
    pub agent: Option<String>,
    /// Do not ask.
    pub yes: bool,
    /// Say what would go and write nothing.
    pub dry_run: bool,
}

type Shared = Rc<RefCell<Option<Removed>>>;

enum State {
    Look(Look),
    Confirm { config: bool },
    Edit { edit: Box<EditStore<'static>>, config: bool },
    Config { edit: ConfigEdit, loaded: Box<Loaded> },
    Done(Done),
}

/// `models auth remove` as a flow.
pub struct RemoveCommand {
    request: RemoveRequest,
    env: Env,
    now: Millis,
    state: State,
    input: Option<Input>,
    queue: VecDeque<Effect>,
    removed: Shared,
}

impl RemoveCommand {
    /// The command as asked, at `now`.
    pub fn new(request: RemoveRequest, env: &Env, now: Millis) -> RemoveCommand {
        let look = Look::new(env, request.agent.as_deref());
        RemoveCommand {
            request,
            env: env.clone(),
            now,
            state: State::Look(look),
            input: None,
            queue: VecDeque::new(),
            removed: Rc::default(),
        }
    }

    fn id(&self) -> String {
        escape_control(&self.request.profile_id).into_owned()
    }

    fn print(&mut self, line: Line) {
        self.queue.push_back(Effect::Print(line));
    }

    /// The look: is it there, what would go, and ask.
    fn looked(&mut self, loaded: Loaded) -> State {
        let id = self.id();
        if loaded.store_state == StoreState::Unreadable {
            let why = format!("refusing to modify an unreadable store: {}", unreadable_reason(&loaded));
            return State::Done(refused(Exit::Action, &why, Vec::new()));
        }
        let mut preview = loaded.store.clone();
        let removed = remove_profile(&mut preview, &self.request.profile_id);
        if !removed.profile {
            let hint = "`clawdbot models auth list` shows the profiles there are".to_string();
            return State::Done(refused(Exit::Action, &format!("no profile {id} in this agent's store"), vec![hint]));
        }
        let mut config_preview = loaded.config.raw.clone().unwrap_or_default();
        let config = remove_from_config(&mut config_preview, &self.request.profile_id);
        let verb = match (self.request.dry_run, self.request.yes) {
            (true, _) => "Would remove",
            (false, true) => "Removing",
            (false, false) => "About to remove",
        };
        let store_shown = loaded.env.shorten(&loaded.locations.store());
        let config_shown = loaded.env.shorten(&loaded.locations.config);
        let mut lines = vec![format!("{verb} {id} from {}", escape_control(&store_shown))];
        lines.extend(references(&removed).into_iter().map(|r| format!("  and {r}")));
        if config {
            lines.push(format!("  and its entry in {}", escape_control(&config_shown)));
        }
        for line in lines {
            self.print(Line::out(line));
        }
        if self.request.dry_run {
            return State::Done(Done {
                exit: Exit::Ok,
                lines: vec![Line::out("Nothing was changed (--dry-run).")],
                hints: Vec::new(),
            });
        }
        match self.request.yes {
            true => self.edit(config),
            false => State::Confirm { config },
        }
    }

    fn edit(&mut self, config: bool) -> State {
        let (id, out) = (self.request.profile_id.clone(), Rc::clone(&self.removed));
        let edit = move |store: &mut AuthStore, _: &Loaded| {
            *out.borrow_mut() = Some(remove_profile(store, &id));
        };
        let flow = EditStore::new(&self.env, self.request.agent.as_deref(), self.now, Box::new(edit));
        State::Edit { edit: Box::new(flow), config }
    }

    fn answered(&mut self, config: bool, answer: Option<bool>) -> State {
        match answer {
            Some(true) => self.edit(config),
            Some(false) => State::Done(refused(Exit::Action, "nothing was removed", Vec::new())),
            None => State::Done(refused(
                Exit::Usage,
                "not on a terminal, so nobody can confirm the removal",
                vec!["pass --yes to remove without asking, or --dry-run to see what would go".into()],
            )),
        }
    }

    /// The store is edited: on to the config, or done.
    fn stored(&mut self, outcome: Option<Result<Loaded, String>>, config: bool) -> State {
        let loaded = match outcome {
            Some(Ok(loaded)) => loaded,
            Some(Err(why)) => return State::Done(refused(Exit::Error, &why, Vec::new())),
            None => return State::Done(internal_end()),
        };
        let id = self.id();
        let removed = self.removed.borrow().as_ref().is_some_and(|r| r.profile);
        self.print(Line::out(match removed {
            true => format!("Removed {id}."),
            false => format!("{id} was already gone from the store."),
        }));
        if !config {
            return State::Done(self.finish());
        }
        let profile_id = self.request.profile_id.clone();
        let edit = ConfigEdit::new(
            &self.env,
            &loaded.locations.store(),
            &loaded.locations.config,
            Box::new(move |doc| Ok(remove_from_config(doc, &profile_id))),
        );
        State::Config { edit, loaded: Box::new(loaded) }
    }

    fn configured(&mut self, loaded: &Loaded, edited: ConfigEdited) -> State {
        let shown = escape_control(&loaded.env.shorten(&loaded.locations.config)).into_owned();
        match edited {
            ConfigEdited::Written { backup } => {
                if let Some(bak) = backup {
                    self.print(Line::err(format!(
                        "note: the JSON5 original (with its comments) was saved as {}",
                        escape_control(&bak)
                    )));
                }
                self.print(Line::out(format!("Updated {shown}")));
            }
            ConfigEdited::Unchanged => {}
            ConfigEdited::Failed(why) => {
                let message = format!("the profile is removed, but {shown} still names it: {why}");
                return State::Done(refused(Exit::Error, &message, Vec::new()));
            }
        }
        State::Done(self.finish())
    }

    /// The closing words: for a synced login, that the other CLI's own
    /// login is untouched and the sync leaves it out from now on.
    fn finish(&self) -> Done {
        let mut lines = Vec::new();
        if let Some(cli) = synced_from(&self.request.profile_id) {
            let source = crate::health::ProfileSource::of(&self.request.profile_id).as_str();
            lines.push(Line::out(format!(
                "{cli}'s own login is untouched; the sync leaves {} out until you run \
                 `clawdbot models auth sync --enable {source}` (or paste a credential under that id).",
                self.id()
            )));
        }
        Done { exit: Exit::Ok, lines, hints: Vec::new() }
    }
}

/// The references a removal takes besides the profile, for people.
fn references(r: &Removed) -> Vec<String> {
    let mut out = Vec::new();
    for p in &r.orders {
        let emptied = r.emptied_orders.contains(p);
        let what =
            if emptied { "the order override (left empty, so deleted)" } else { "its place in the order override" };
        out.push(format!("{what} of {}", escape_control(p)));
    }
    for p in &r.last_good {
        out.push(format!("lastGood of {}", escape_control(p)));
    }
    if r.usage_stats {
        out.push("its usage stats (cooldowns, counts)".into());
    }
    out
}

fn refused(exit: Exit, message: &str, hints: Vec<String>) -> Done {
    Done { exit, lines: vec![Line::err(format!("error: {}", escape_control(message)))], hints }
}

impl Flow for RemoveCommand {
    fn poll(&mut self) -> Effect {
        loop {
            if let Some(effect) = self.queue.pop_front() {
                return effect;
            }
            let state = std::mem::replace(&mut self.state, State::Done(internal_end()));
            self.state = match state {
                State::Look(mut look) => match look.poll(self.now) {
                    Step::Effect(e) => {
                        self.state = State::Look(look);
                        return e;
                    }
                    Step::Ready(looked) => self.looked(looked.loaded),
                },
                State::Confirm { config } => match self.input.take() {
                    Some(Input::Answer(answer)) => self.answered(config, answer),
                    _ => {
                        let question = format!("Remove {}?", self.id());
                        self.state = State::Confirm { config };
                        return Effect::Confirm { question, default_yes: false };
                    }
                },
                State::Edit { mut edit, config } => match edit.poll() {
                    Effect::Done(_) => self.stored(edit.outcome(), config),
                    e => {
                        self.state = State::Edit { edit, config };
                        return e;
                    }
                },
                State::Config { mut edit, loaded } => match edit.poll() {
                    Step::Effect(e) => {
                        self.state = State::Config { edit, loaded };
                        return e;
                    }
                    Step::Ready(edited) => self.configured(&loaded, edited),
                },
                State::Done(done) => {
                    self.state = State::Done(done.clone());
                    return Effect::Done(done);
                }
            };
        }
    }

    fn handle(&mut self, now: Millis, input: Input) {
        self.now = now;
        match &mut self.state {
            State::Look(look) => look.handle(input),
            State::Edit { edit, .. } => edit.handle(now, input),
            State::Config { edit, .. } => edit.handle(input),
            _ => self.input = Some(input),
        }
    }
}

/// `models auth sync --enable SOURCE`: lets the sync bring a removed
/// login back, and syncs it now.
pub struct SyncCommand {
    profile_id: &'static str,
    env: Env,
    agent: Option<String>,
    now: Millis,
    state: SyncState,
}

enum SyncState {
    Edit(Box<EditStore<'static>>),
    Settle(Box<Settle>),
    Done(Done),
}

impl SyncCommand {
    /// Enables the sync of `source` (`claude-cli` or `codex-cli`); `Err`
    /// names the sources there are.
    pub fn enable(env: &Env, agent: Option<&str>, source: &str, now: Millis) -> Result<SyncCommand, String> {
        let profile_id = match source {
            "claude-cli" | "claude-code" => crate::sources::claude::PROFILE_ID,
            "codex-cli" | "codex" => crate::sources::codex::PROFILE_ID,
            _ => return Err("the sources are claude-cli and codex-cli".into()),
        };
        let edit = move |store: &mut AuthStore, _: &Loaded| {
            crate::sync::enable_sync(store, profile_id);
        };
        let state = SyncState::Edit(Box::new(EditStore::new(env, agent, now, Box::new(edit))));
        Ok(SyncCommand { profile_id, env: env.clone(), agent: agent.map(str::to_string), now, state })
    }
}

impl Flow for SyncCommand {
    fn poll(&mut self) -> Effect {
        loop {
            let state = std::mem::replace(&mut self.state, SyncState::Done(internal_end()));
            self.state = match state {
                SyncState::Edit(mut edit) => match edit.poll() {
                    Effect::Done(_) => match edit.outcome() {
                        Some(Ok(_)) => {
                            SyncState::Settle(Box::new(Settle::new(&self.env, self.agent.as_deref(), self.now)))
                        }
                        Some(Err(why)) => SyncState::Done(refused(Exit::Error, &why, Vec::new())),
                        None => SyncState::Done(internal_end()),
                    },
                    e => {
                        self.state = SyncState::Edit(edit);
                        return e;
                    }
                },
                SyncState::Settle(mut settle) => match settle.poll() {
                    Step::Effect(e) => {
                        self.state = SyncState::Settle(settle);
                        return e;
                    }
                    Step::Ready(settled) => {
                        let id = self.profile_id;
                        let mut lines = vec![Line::out(format!("The sync may bring {id} in again."))];
                        lines.push(Line::out(match settled.loaded.store.profiles.contains_key(id) {
                            true => format!("{id} is in the store."),
                            false => format!("No login to sync for {id} right now; it comes in once there is one."),
                        }));
                        if let Some(e) = settled.save_error {
                            lines.push(Line::err(format!("warning: {}", escape_control(&e))));
                        }
                        SyncState::Done(Done { exit: Exit::Ok, lines, hints: Vec::new() })
                    }
                },
                SyncState::Done(done) => {
                    self.state = SyncState::Done(done.clone());
                    return Effect::Done(done);
                }
            };
        }
    }

    fn handle(&mut self, now: Millis, input: Input) {
        self.now = now;
        match &mut self.state {
            SyncState::Edit(edit) => edit.handle(now, input),
            SyncState::Settle(settle) => settle.handle(now, input),
            SyncState::Done(_) => {}
        }
    }
}
