//! A load whose safe changes are saved: what the sync took from Claude Code
//! or Codex, and migrated legacy files, written under the store lock
//! against a second look (another process may have written meanwhile).
//!
//! Nothing is locked when the load wants no write, so a command on an
//! up-to-date store reads each file once and takes no lock.

use super::drive::{Part, Pending};
use super::look::Look;
use super::save::Save;
use super::{Answer, Effect, LockAnswer, LockKind, LockRequest, LockTimings, Step};
use crate::load::{Loaded, Shared};
use crate::paths::Env;
use crate::time::Millis;
use std::sync::Arc;

/// The load to go on with; `save_error` says why its changes could not be
/// saved (the command goes on with them in memory).
#[derive(Debug)]
pub(crate) struct Settled {
    pub loaded: Loaded,
    pub save_error: Option<String>,
}

enum State {
    First(Look),
    Lock(Box<Loaded>),
    Second { first: Box<Loaded>, look: Look },
    Save { first: Box<Loaded>, fresh: Box<Loaded>, save: Save },
    Unlock(Box<Settled>),
    Ready(Box<Settled>),
    Over,
}

pub(crate) struct Settle {
    env: Env,
    /// Whether its looks read the Keychain ([`Look::reading_keychain`]).
    keychain: bool,
    /// Whether its looks may make the agent ([`Look::creating_agent`]).
    create_agent: bool,
    agent: Option<String>,
    now: Millis,
    state: State,
    /// What it owes the host before it moves on.
    pending: Pending,
    /// What its last look read for every agent ([`Look::sharing`]).
    shared: Option<Arc<Shared>>,
}

impl Settle {
    pub(crate) fn new(env: &Env, agent: Option<&str>, now: Millis) -> Settle {
        Settle {
            env: env.clone(),
            keychain: false,
            create_agent: false,
            agent: agent.map(str::to_string),
            now,
            state: State::First(Look::new(env, agent)),
            pending: Pending::default(),
            shared: None,
        }
    }

    /// The same load, its first look over what an earlier load of the same
    /// run read for every agent, and for an agent known to exist
    /// ([`Look::sharing`], [`Look::known_agent`]). A look under the lock
    /// reads everything again.
    pub(crate) fn sharing(mut self, shared: Option<Arc<Shared>>, known: bool) -> Settle {
        if let State::First(look) = self.state {
            self.state = State::First(look.sharing(shared).known_agent(known));
        }
        self
    }

    /// The same load, its first look with files the command read already
    /// ([`Look::answered`]).
    pub(crate) fn answered(mut self, files: impl IntoIterator<Item = (String, crate::world::FileRead)>) -> Settle {
        if let State::First(look) = self.state {
            self.state = State::First(look.answered(files));
        }
        self
    }

    /// The same load, its first look with the config as the command parsed
    /// it ([`Look::parsed_config`]).
    pub(crate) fn parsed_config(mut self, parsed: Option<(String, Arc<crate::config::ConfigRead>)>) -> Settle {
        if let State::First(look) = self.state {
            self.state = State::First(look.parsed_config(parsed));
        }
        self
    }

    /// What the last look read for every agent, for the next agent's load.
    pub(crate) fn shared(&self) -> Option<Arc<Shared>> {
        self.shared.clone()
    }

    /// The same load, for a command that may make the agent it was given.
    pub(crate) fn creating_agent(mut self, create: bool) -> Settle {
        self.create_agent = create;
        if let State::First(look) = self.state {
            self.state = State::First(look.creating_agent(create));
        }
        self
    }

    /// The same load, reading the Keychain when `may`.
    pub(crate) fn reading_keychain(mut self, may: bool) -> Settle {
        self.keychain = may;
        if let State::First(look) = self.state {
            self.state = State::First(look.reading_keychain(may));
        }
        self
    }
}

fn unsaved(first: Loaded, reason: &str) -> Settled {
    Settled { loaded: first, save_error: Some(format!("could not save synced credentials: {reason}")) }
}

impl Part for Settle {
    type Out = Settled;

    fn feed(&mut self, now: Millis, input: Answer) {
        self.now = now;
        match &mut self.state {
            State::First(look) | State::Second { look, .. } => look.feed(now, input),
            State::Save { save, .. } => save.feed(now, input),
            _ => self.pending.input = Some(input),
        }
    }

    fn next(&mut self, _now: Millis) -> Step<Settled> {
        loop {
            if let Some(effect) = self.pending.owed() {
                return Step::Effect(effect);
            }
            let input = self.pending.input.take();
            let (effect, state) = match std::mem::replace(&mut self.state, State::Over) {
                State::First(mut look) => match look.next(self.now) {
                    Step::Effect(e) => {
                        self.state = State::First(look);
                        return Step::Effect(e);
                    }
                    Step::Ready(looked) if looked.loaded.write.is_none() => {
                        self.shared = Some(looked.shared);
                        return Step::Ready(Settled { loaded: looked.loaded, save_error: None });
                    }
                    Step::Ready(looked) => {
                        self.shared = Some(looked.shared);
                        (None, State::Lock(Box::new(looked.loaded)))
                    }
                },
                State::Lock(first) => match input {
                    None => {
                        let path = first.locations.store();
                        let timings = LockTimings::store(&self.env);
                        (Some(Effect::lock(LockRequest { path, kind: LockKind::Store, timings })), State::Lock(first))
                    }
                    Some(Answer::Lock(LockAnswer::Taken)) => {
                        let look = Look::new(&self.env, self.agent.as_deref())
                            .reading_keychain(self.keychain)
                            .creating_agent(self.create_agent);
                        (None, State::Second { first, look })
                    }
                    Some(Answer::Lock(answer)) => {
                        let why = answer.store_refusal().unwrap_or_else(|| "the store could not be locked".into());
                        return Step::Ready(unsaved(*first, &why));
                    }
                    Some(_) => return Step::Ready(unsaved(*first, "the store could not be locked")),
                },
                State::Second { first, mut look } => match look.next(self.now) {
                    Step::Effect(e) => {
                        self.state = State::Second { first, look };
                        return Step::Effect(e);
                    }
                    Step::Ready(looked) => {
                        self.shared = Some(looked.shared);
                        let fresh = Box::new(looked.loaded);
                        match &fresh.write {
                            Some(text) => {
                                let save = Save::new(&fresh.locations.store(), text.clone(), &fresh.remove_after_write);
                                (None, State::Save { first, fresh, save })
                            }
                            None => (None, State::Unlock(Box::new(Settled { loaded: *fresh, save_error: None }))),
                        }
                    }
                },
                State::Save { first, fresh, mut save } => match save.next(self.now) {
                    Step::Effect(e) => {
                        self.state = State::Save { first, fresh, save };
                        return Step::Effect(e);
                    }
                    Step::Ready(Ok(())) => {
                        (None, State::Unlock(Box::new(Settled { loaded: *fresh, save_error: None })))
                    }
                    Step::Ready(Err(why)) => (None, State::Unlock(Box::new(unsaved(*first, &why.to_string())))),
                },
                State::Unlock(settled) => {
                    self.pending.queue.push_back(Effect::Unlock { path: settled.loaded.locations.store() });
                    (None, State::Ready(settled))
                }
                State::Ready(settled) => return Step::Ready(*settled),
                State::Over => return Step::Effect(Effect::Done(super::internal_end())),
            };
            self.state = state;
            if let Some(effect) = effect {
                self.pending.asked = Some(effect.clone());
                return Step::Effect(effect);
            }
        }
    }
}
