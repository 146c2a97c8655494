//! `clawdbot models auth remove PROFILE_ID` (alias `logout`), and `models
//! auth sync --enable`, which lets the sync bring a removed login back.
//!
//! remove: one look to find the profile and say what would go, a question
//! unless `--yes` (nothing is written with `--dry-run`), then, when the
//! config names the profile, one locked edit of the config, and then one
//! locked edit of the store. Config first, so that a crash or a failure
//! between the two leaves a usable state that `remove` finishes when run
//! again ([`crate::removal`] says why). An id only the config names is
//! removed from the config; a config that cannot be read removes nothing.

use super::config_edit::{ConfigEdit, ConfigEdited, backup_note};
use super::drive::{Driven, Lines, Machine, Turn, advance, emit, flow_of_driven};
use super::edit::EditStore;
use super::look::{Look, unreadable_reason};
use super::settle::Settle;
use super::{Answer, Done, Effect, Event, Exit, Reply, Step, consent};
use crate::error::TxnFailure;
use crate::load::{Loaded, StoreState};
use crate::paths::Env;
use crate::removal::{RemovalError, Removed, env_var_of, remove_from_config, remove_profile, synced_from};
use crate::store::AuthStore;
use crate::time::Millis;
use std::cell::RefCell;
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

/// What the look found to take: in the config, in the store, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    config: bool,
    store: bool,
}

enum State {
    Look(Look),
    Confirm(Plan),
    Config { edit: ConfigEdit, plan: Plan },
    Edit(Box<EditStore<'static>>),
    Done(Done),
}

struct Remove {
    request: RemoveRequest,
    env: Env,
    now: Millis,
    removed: Shared,
    store_path: String,
    config_path: String,
}

/// `models auth remove` as a flow.
pub struct RemoveCommand {
    inner: Driven<Remove>,
}

impl RemoveCommand {
    /// The command as asked, at `now`.
    pub fn new(request: RemoveRequest, env: &Env, now: Millis) -> RemoveCommand {
        let look = Look::new(env, request.agent.as_deref());
        let remove = Remove {
            request,
            env: env.clone(),
            now,
            removed: Rc::default(),
            store_path: String::new(),
            config_path: String::new(),
        };
        RemoveCommand { inner: Driven::start(remove, State::Look(look), env, now) }
    }
}

/// A removal refused: it needs a person.
fn refused(error: RemovalError) -> State {
    State::Done(Done::refusing(Exit::Action, &error.into()))
}

impl Remove {
    fn id(&self) -> &str {
        &self.request.profile_id
    }

    /// The look: is it there, what would go, and ask.
    fn looked(&mut self, loaded: Loaded, out: &mut Lines) -> State {
        let id = self.id().to_string();
        if loaded.store_state == StoreState::Unreadable {
            let why = format!("refusing to modify an unreadable store: {}", unreadable_reason(&loaded));
            return State::Done(Done::refused(Exit::Action, why));
        }
        let config_shown = loaded.env.shorten(&loaded.locations.config);
        if loaded.config.unreadable {
            let why = loaded.config.diagnostics.iter().map(|d| d.message.clone()).collect::<Vec<_>>().join("; ");
            return refused(RemovalError::ConfigUnreadable { id, config: config_shown, why });
        }
        let mut preview = loaded.store.clone();
        let removed = remove_profile(&mut preview, &id);
        let mut config_preview = loaded.config.raw.clone().unwrap_or_default();
        let plan = Plan {
            config: remove_from_config(&mut config_preview, &id),
            store: removed.anything() || removed.sync_disabled,
        };
        if !plan.config && !removed.anything() {
            return refused(match env_var_of(&id) {
                Some(var) if loaded.env.get(var).is_some() => RemovalError::FromEnvironment {
                    id: id.clone(),
                    var: var.to_string(),
                    file: loaded.dotenv.origin(var).map(str::to_string),
                },
                _ => RemovalError::NotFound(id),
            });
        }
        self.store_path = loaded.locations.store();
        self.config_path = loaded.locations.config.clone();
        let verb = match (self.request.dry_run, self.request.yes) {
            (true, _) => "Would remove",
            (false, true) => "Removing",
            (false, false) => "About to remove",
        };
        let store_shown = loaded.env.shorten(&self.store_path);
        let mut lines = match removed.anything() {
            true => vec![format!("{verb} {id} from {store_shown}")],
            false => vec![format!("{verb} {id} from {config_shown} (the store no longer holds it)")],
        };
        lines.extend(references(&removed).into_iter().map(|r| format!("  and {r}")));
        if plan.config && removed.anything() {
            lines.push(format!("  and its entry in {config_shown}"));
        }
        for line in lines {
            emit(out, Event::Output(line));
        }
        if self.request.dry_run {
            return State::Done(Done::with(Exit::Ok, vec![Event::Output("Nothing was changed (--dry-run).".into())]));
        }
        match self.request.yes {
            true => self.start(plan),
            false => State::Confirm(plan),
        }
    }

    /// The writes, config first.
    fn start(&mut self, plan: Plan) -> State {
        if !plan.config {
            return self.edit();
        }
        let profile_id = self.request.profile_id.clone();
        let edit = ConfigEdit::new(
            &self.env,
            &self.store_path,
            &self.config_path,
            Box::new(move |doc| Ok(remove_from_config(doc, &profile_id))),
        );
        State::Config { edit, plan }
    }

    fn edit(&mut self) -> State {
        let (id, out) = (self.request.profile_id.clone(), Rc::clone(&self.removed));
        let edit = move |store: &mut AuthStore, _: &Loaded| {
            *out.borrow_mut() = Some(remove_profile(store, &id));
        };
        let flow = EditStore::new(&self.env, self.request.agent.as_deref(), self.now, Box::new(edit));
        State::Edit(Box::new(flow))
    }

    fn answered(&mut self, plan: Plan, answer: Option<bool>) -> State {
        match answer {
            Some(true) => self.start(plan),
            Some(false) => State::Done(Done::refused(Exit::Action, "nothing was removed")),
            None => State::Done(
                Done::refused(Exit::Usage, "not on a terminal, so nobody can confirm the removal")
                    .hint("pass --yes to remove without asking, or --dry-run to see what would go"),
            ),
        }
    }

    /// The config is edited: on to the store, or done.
    fn configured(&mut self, plan: Plan, edited: ConfigEdited, out: &mut Lines) -> State {
        let shown = self.env.shorten(&self.config_path);
        match edited {
            ConfigEdited::Written { backup } => {
                if let Some(bak) = backup {
                    emit(out, backup_note(&bak));
                }
                emit(out, Event::Output(format!("Updated {shown}")));
            }
            ConfigEdited::Unchanged => {}
            ConfigEdited::Failed(why) => {
                let error = RemovalError::ConfigNotWritten { config: shown, why };
                return State::Done(Done::refusing(Exit::Error, &error.into()));
            }
        }
        match plan.store {
            true => self.edit(),
            false => {
                emit(out, Event::Output(format!("Removed {}.", self.id())));
                State::Done(self.finish())
            }
        }
    }

    /// The store is edited: done.
    fn stored(&mut self, outcome: Result<Loaded, TxnFailure>, out: &mut Lines) -> State {
        if let Err(failure) = outcome {
            return State::Done(failure.refusal());
        }
        let id = self.id();
        let removed = self.removed.borrow().as_ref().is_some_and(Removed::anything);
        emit(
            out,
            Event::Output(match removed {
                true => format!("Removed {id}."),
                false => format!("{id} was already gone from the store."),
            }),
        );
        State::Done(self.finish())
    }

    /// The closing words: for a synced login, that the other CLI's own
    /// login is untouched and the sync leaves it out from now on.
    fn finish(&self) -> Done {
        let mut events = Vec::new();
        if let Some(cli) = synced_from(&self.request.profile_id) {
            let source = crate::health::Source::of(&self.request.profile_id).status_word();
            events.push(Event::Output(format!(
                "{cli}'s own login is untouched; the sync leaves {} out until you run \
                 `clawdbot models auth sync --enable {source}`.",
                self.id()
            )));
        }
        Done::with(Exit::Ok, events)
    }
}

/// The references a removal takes besides the profile, for people.
fn references(r: &Removed) -> Vec<String> {
    let mut out = Vec::new();
    for p in &r.orders {
        let emptied = r.emptied_orders.contains(p);
        let what =
            if emptied { "the order override (left empty, so deleted)" } else { "its place in the order override" };
        out.push(format!("{what} of {p}"));
    }
    for p in &r.last_good {
        out.push(format!("lastGood of {p}"));
    }
    if r.usage_stats {
        out.push("its usage stats (cooldowns, counts)".into());
    }
    out
}

impl Machine for Remove {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, out: &mut Lines) -> Turn<State> {
        self.now = now;
        let next = match state {
            State::Look(mut look) => match advance(&mut look, input, now) {
                Step::Effect(e) => return Turn::Ask(State::Look(look), e),
                Step::Ready(looked) => self.looked(looked.loaded, out),
            },
            State::Confirm(plan) => match input {
                Some(Answer::Confirmed(None)) => self.answered(plan, None),
                Some(Answer::Confirmed(Some(line))) if consent(&line, false).is_some() => {
                    self.answered(plan, consent(&line, false))
                }
                _ => {
                    let question = format!("Remove {}?", self.id());
                    let confirm = Effect::Confirm { question, default_yes: false, reply: Reply::new() };
                    return Turn::Ask(State::Confirm(plan), confirm);
                }
            },
            State::Config { mut edit, plan } => match advance(&mut edit, input, now) {
                Step::Effect(e) => return Turn::Ask(State::Config { edit, plan }, e),
                Step::Ready(edited) => self.configured(plan, edited, out),
            },
            State::Edit(mut edit) => match advance(&mut *edit, input, now) {
                Step::Effect(e) => return Turn::Ask(State::Edit(edit), e),
                Step::Ready(outcome) => self.stored(outcome, out),
            },
            State::Done(done) => return Turn::End(done),
        };
        Turn::Go(next)
    }
}

flow_of_driven!(RemoveCommand);

/// `models auth sync --enable SOURCE`: lets the sync bring a removed
/// login back, and syncs it now.
pub struct SyncCommand {
    inner: Driven<SyncEnable>,
}

struct SyncEnable {
    profile_id: &'static str,
    env: Env,
    agent: Option<String>,
}

enum SyncState {
    Edit(Box<EditStore<'static>>),
    Settle(Box<Settle>),
}

impl SyncCommand {
    /// Enables the sync of `source` (`claude-cli` or `codex-cli`); `Err`
    /// names the sources there are.
    pub fn enable(env: &Env, agent: Option<&str>, source: &str, now: Millis) -> Result<SyncCommand, String> {
        let Some(profile_id) = crate::logins::by_name(source).map(|s| s.profile_id) else {
            let names: Vec<&str> = crate::logins::names().collect();
            return Err(format!("the sources are {}", names.join(" and ")));
        };
        let edit = move |store: &mut AuthStore, _: &Loaded| {
            crate::sync::enable_sync(store, profile_id);
        };
        let state = SyncState::Edit(Box::new(EditStore::new(env, agent, now, Box::new(edit)).reading_keychain(true)));
        let sync = SyncEnable { profile_id, env: env.clone(), agent: agent.map(str::to_string) };
        Ok(SyncCommand { inner: Driven::start(sync, state, env, now) })
    }
}

impl Machine for SyncEnable {
    type State = SyncState;

    fn step(&mut self, state: SyncState, input: Option<Answer>, now: Millis, _out: &mut Lines) -> Turn<SyncState> {
        match state {
            SyncState::Edit(mut edit) => match advance(&mut *edit, input, now) {
                Step::Effect(e) => Turn::Ask(SyncState::Edit(edit), e),
                Step::Ready(Ok(_)) => {
                    let settle = Settle::new(&self.env, self.agent.as_deref(), now).reading_keychain(true);
                    Turn::Go(SyncState::Settle(Box::new(settle)))
                }
                Step::Ready(Err(failure)) => Turn::End(failure.refusal()),
            },
            SyncState::Settle(mut settle) => match advance(&mut *settle, input, now) {
                Step::Effect(e) => Turn::Ask(SyncState::Settle(settle), e),
                Step::Ready(settled) => {
                    let id = self.profile_id;
                    let mut events = vec![Event::Output(format!("The sync may bring {id} in again."))];
                    let provider = crate::logins::by_profile_id(id).map(|s| s.provider);
                    let elsewhere = settled.loaded.elsewhere.iter().find(|e| Some(e.provider) == provider);
                    events.push(Event::Output(match (settled.loaded.store.profiles.contains_key(id), elsewhere) {
                        (true, _) => format!("{id} is in the store."),
                        // Where the tool keeps it instead, and how to share it.
                        (false, Some(e)) => format!("No login to sync for {id}: {}.", e.message),
                        (false, None) => format!("No login to sync for {id} right now; it comes in once there is one."),
                    }));
                    if let Some(e) = elsewhere.filter(|_| !settled.loaded.store.profiles.contains_key(id)) {
                        events.push(Event::Hint(e.hint.clone()));
                    }
                    events.extend(settled.save_error.map(Event::warning));
                    Turn::End(Done::with(Exit::Ok, events))
                }
            },
        }
    }
}

flow_of_driven!(SyncCommand);
