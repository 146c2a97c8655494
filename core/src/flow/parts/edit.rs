//! A read-modify-write of the store: find the store (the config names the
//! agent's folder), lock it, look, edit what is on disk now, write only if
//! something changed, unlock.
//!
//! The edit always sees a read made under the lock, just before the
//! write, so a concurrent writer that took the lock loses nothing, and
//! one that skipped it loses nothing it finished before our lock.

use super::agents::KnownAgent;
use super::drive::{Part, Pending};
use super::look::{Look, unreadable_reason};
use super::save::Save;
use super::{Answer, Done, Effect, Exit, LockAnswer, LockKind, LockRequest, LockTimings, Step};
use crate::config::{Config, parse_config};
use crate::error::TxnFailure;
use crate::load::{Loaded, StoreState};
use crate::paths::{self, Env};
use crate::store::{AuthStore, write_store};
use crate::time::Millis;
use crate::world::FileRead;

/// The edit: gets the store as it is under the lock (and the load it came
/// from) and changes it in place; leaving it unchanged writes nothing.
pub(crate) type EditFn<'a> = Box<dyn FnOnce(&mut AuthStore, &Loaded) + 'a>;

enum State {
    Locate,
    Check { check: KnownAgent, store_path: String },
    Lock { store_path: String },
    Look(Look),
    Save { loaded: Box<Loaded>, save: Save },
    Unlock { loaded: Option<Box<Loaded>>, error: Option<TxnFailure> },
    Done,
}

impl TxnFailure {
    /// The command's end: an unreadable store needs a person, anything
    /// else may work next time.
    pub(crate) fn refusal(&self) -> Done {
        let exit = match self {
            TxnFailure::Unreadable(_) => Exit::Action,
            TxnFailure::Busy(_) | TxnFailure::Newer(_) | TxnFailure::Io(_) | TxnFailure::Internal(_) => Exit::Error,
        };
        Done::refusing(exit, &self.clone().into())
    }
}

/// A store transaction: locate, lock, re-read, edit, write, unlock. A
/// [`Part`] of the commands that change the store; it ends with the load
/// it edited or a [`TxnFailure`].
pub(crate) struct EditStore<'a> {
    env: Env,
    /// Whether its look reads the Keychain ([`Look::reading_keychain`]).
    keychain: bool,
    agent: Option<String>,
    /// Whether it may make the agent it was given (`--create-agent`).
    create: bool,
    now: Millis,
    edit: Option<EditFn<'a>>,
    state: State,
    /// What it owes the host before it moves on.
    pending: Pending,
    store_path: String,
    outcome: Option<Result<Loaded, TxnFailure>>,
}

impl<'a> EditStore<'a> {
    /// An edit of `agent`'s store (`None`: the default agent).
    pub(crate) fn new(env: &Env, agent: Option<&str>, now: Millis, edit: EditFn<'a>) -> EditStore<'a> {
        EditStore {
            env: env.clone(),
            keychain: false,
            agent: agent.map(str::to_string),
            create: false,
            now,
            edit: Some(edit),
            state: State::Locate,
            pending: Pending::default(),
            store_path: String::new(),
            outcome: None,
        }
    }

    /// The same edit, its look reading the Keychain when `may` (the
    /// command's decision).
    pub(crate) fn reading_keychain(mut self, may: bool) -> EditStore<'a> {
        self.set_reading_keychain(may);
        self
    }

    /// The same edit, making the agent it was given when there is none
    /// yet (else an unknown agent is refused before anything is locked).
    pub(crate) fn creating_agent(mut self, create: bool) -> EditStore<'a> {
        self.create = create;
        self
    }

    /// [`EditStore::reading_keychain`], in place.
    pub(crate) fn set_reading_keychain(&mut self, may: bool) {
        self.keychain = may;
    }

    fn ask(&mut self, effect: Effect, state: State) -> Option<Effect> {
        self.state = state;
        self.pending.asked = Some(effect.clone());
        Some(effect)
    }

    fn step(&mut self, state: State, input: Option<Answer>) -> Option<Effect> {
        match state {
            State::Locate => match input {
                None => {
                    let path = paths::config_path(&self.env);
                    self.ask(Effect::read(vec![path]), State::Locate)
                }
                Some(Answer::Files(files)) => {
                    let config = match files.into_iter().next() {
                        Some((path, FileRead::Present { bytes, .. })) => {
                            parse_config(&bytes, &self.env.shorten(&path)).config
                        }
                        _ => Config::default(),
                    };
                    let store_path = paths::locate(&self.env, &config, self.agent.as_deref()).store();
                    let check = KnownAgent::new(&self.env, &config, self.agent.as_deref(), self.create);
                    self.state = State::Check { check, store_path };
                    None
                }
                Some(_) => {
                    let error = TxnFailure::Internal("no answer to a read");
                    self.state = State::Unlock { loaded: None, error: Some(error) };
                    None
                }
            },
            State::Check { mut check, store_path } => {
                if let Some(input) = input {
                    check.feed(self.now, input);
                }
                match check.next(self.now) {
                    Step::Effect(effect) => self.ask(effect, State::Check { check, store_path }),
                    Step::Ready(Ok(())) => {
                        self.state = State::Lock { store_path };
                        None
                    }
                    // Refused before the lock, which would make the folder.
                    Step::Ready(Err(refused)) => self.ask(Effect::Done(*refused), State::Done),
                }
            }
            State::Lock { store_path } => match input {
                None => {
                    let timings = LockTimings::store(&self.env);
                    let lock = LockRequest { path: store_path.clone(), kind: LockKind::Store, timings };
                    self.ask(Effect::lock(lock), State::Lock { store_path })
                }
                Some(Answer::Lock(LockAnswer::Taken)) => {
                    self.store_path = store_path;
                    // The agent was found known (or may be made) before the lock.
                    let look = Look::new(&self.env, self.agent.as_deref()).reading_keychain(self.keychain);
                    self.state = State::Look(look.creating_agent(true));
                    None
                }
                Some(Answer::Lock(LockAnswer::Busy(busy))) => {
                    self.finish(None, Some(TxnFailure::Busy(busy)));
                    None
                }
                Some(Answer::Lock(LockAnswer::Failed(failure))) => {
                    self.finish(None, Some(TxnFailure::Io(failure)));
                    None
                }
                Some(_) => {
                    self.finish(None, Some(TxnFailure::Internal("no answer to the store lock")));
                    None
                }
            },
            State::Look(mut look) => {
                if let Some(input) = input {
                    look.feed(self.now, input);
                }
                match look.next(self.now) {
                    Step::Effect(effect) => {
                        self.state = State::Look(look);
                        Some(effect)
                    }
                    Step::Ready(looked) => {
                        self.edited(looked.loaded);
                        None
                    }
                }
            }
            State::Save { loaded, mut save } => {
                if let Some(input) = input {
                    save.feed(self.now, input);
                }
                match save.next(self.now) {
                    Step::Effect(effect) => {
                        self.state = State::Save { loaded, save };
                        Some(effect)
                    }
                    Step::Ready(Ok(())) => {
                        self.state = State::Unlock { loaded: Some(loaded), error: None };
                        None
                    }
                    Step::Ready(Err(why)) => {
                        self.state = State::Unlock { loaded: None, error: Some(TxnFailure::Io(why)) };
                        None
                    }
                }
            }
            State::Unlock { loaded, error } => {
                if !self.store_path.is_empty() {
                    self.pending.queue.push_back(Effect::Unlock { path: std::mem::take(&mut self.store_path) });
                }
                self.finish(loaded, error);
                None
            }
            State::Done => {
                self.state = State::Done;
                None
            }
        }
    }

    /// The look under the lock: refuse an unreadable store, else edit.
    fn edited(&mut self, mut loaded: Loaded) {
        if loaded.store_state == StoreState::Unreadable {
            let why = TxnFailure::Unreadable(unreadable_reason(&loaded));
            self.state = State::Unlock { loaded: None, error: Some(why) };
            return;
        }
        let mut store = loaded.store.clone();
        if let Some(edit) = self.edit.take() {
            edit(&mut store, &loaded);
        }
        let changed = store != loaded.store;
        loaded.store = store;
        if !changed && loaded.write.is_none() {
            self.state = State::Unlock { loaded: Some(Box::new(loaded)), error: None };
            return;
        }
        match write_store(&loaded.store) {
            Ok(text) => {
                let save = Save::new(&self.store_path, text, &loaded.remove_after_write);
                self.state = State::Save { loaded: Box::new(loaded), save };
            }
            Err(refused) => self.state = State::Unlock { loaded: None, error: Some(TxnFailure::Newer(refused)) },
        }
    }

    fn finish(&mut self, loaded: Option<Box<Loaded>>, error: Option<TxnFailure>) {
        self.outcome = Some(match (loaded, error) {
            (_, Some(e)) => Err(e),
            (Some(l), None) => Ok(*l),
            (None, None) => Err(TxnFailure::Internal("the edit ended without a load")),
        });
        self.state = State::Done;
    }
}

impl Part for EditStore<'_> {
    type Out = Result<Loaded, TxnFailure>;

    fn feed(&mut self, now: Millis, input: Answer) {
        self.now = now;
        self.pending.input = Some(input);
    }

    fn next(&mut self, _now: Millis) -> Step<Self::Out> {
        loop {
            if let Some(effect) = self.pending.owed() {
                return Step::Effect(effect);
            }
            if let State::Done = self.state {
                let over = || Err(TxnFailure::Internal("a store edit was polled after it ended"));
                return Step::Ready(self.outcome.take().unwrap_or_else(over));
            }
            let input = self.pending.input.take();
            let state = std::mem::replace(&mut self.state, State::Done);
            if let Some(effect) = self.step(state, input) {
                return Step::Effect(effect);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::script::{Host, NOW, env, store_path};
    use serde_json::json;

    fn remember(store: &mut AuthStore, _: &Loaded) {
        store.last_good.insert("anthropic".into(), "anthropic:k".into());
    }

    #[test]
    fn an_edit_is_written_under_the_lock_and_ends_with_the_load() {
        let key = json!({"type": "api_key", "provider": "anthropic", "key": "sk-FAKE"});
        let mut host = Host::with_store(&json!({"version": 1, "profiles": {"anthropic:k": key}}));
        let mut flow = EditStore::new(&env(), None, NOW, Box::new(remember));
        let outcome = host.run_part(&mut flow).0;
        assert_eq!(host.store()["lastGood"]["anthropic"], "anthropic:k");
        let path = store_path("main");
        let at = |what: String| host.position(&what);
        assert!(at(format!("lock {path}")) < at(format!("write {path}")), "{:?}", host.asked);
        assert!(at(format!("write {path}")) < at(format!("unlock {path}")), "{:?}", host.asked);
        let loaded = outcome.expect("the edited load");
        assert_eq!(loaded.store.last_good.get("anthropic").map(String::as_str), Some("anthropic:k"));
    }

    #[test]
    fn the_store_edited_is_the_one_the_config_points_the_agent_at() {
        let mut host = Host::default();
        let config = json!({"agents": {"list": [{"id": "main", "agentDir": "/srv/main"}]}});
        host.files.insert(crate::flow::script::CONFIG.into(), config.to_string());
        let mut flow = EditStore::new(&env(), None, NOW, Box::new(remember));
        assert!(host.run_part(&mut flow).0.is_ok());
        let written: serde_json::Value =
            serde_json::from_str(&host.files["/srv/main/auth-profiles.json"]).expect("JSON");
        assert_eq!(written["lastGood"]["anthropic"], "anthropic:k");
        assert!(!host.files.contains_key(&store_path("main")), "not the usual place");
    }

    #[test]
    fn an_unreadable_store_is_left_as_it_is_and_needs_a_person() {
        let mut host = Host::default();
        host.files.insert(store_path("main"), "{ not json".into());
        let mut flow = EditStore::new(&env(), None, NOW, Box::new(remember));
        let failure = host.run_part(&mut flow).0.expect_err("why");
        assert_eq!(host.files[&store_path("main")], "{ not json");
        assert!(host.asked.contains(&format!("unlock {}", store_path("main"))), "{:?}", host.asked);
        assert!(matches!(failure, TxnFailure::Unreadable(_)), "{failure:?}");
        let done = failure.refusal();
        assert_eq!(done.exit, Exit::Action);
        assert!(done.lines()[0].text.starts_with("error: refusing to modify an unreadable store: "), "{done:?}");
    }

    #[test]
    fn a_store_that_cannot_be_written_now_is_worth_another_try() {
        let full = crate::io::IoFailure::new(crate::io::IoKind::NoSpace, "/h/a.json").at(crate::io::IoStep::Replace);
        let done = TxnFailure::Io(full).refusal();
        assert_eq!(done.exit, Exit::Error);
        assert_eq!(done.lines()[0].text, "error: /h/a.json: cannot replace file: No space left on device");
    }
}
