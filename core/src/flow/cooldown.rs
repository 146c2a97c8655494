//! `clawdbot models auth cooldown clear PROFILE_ID | --provider P | --all`:
//! ends cooldowns and billing disables once their cause is gone, in one
//! locked edit, and says what it ended.

use super::edit::EditStore;
use super::{Done, Effect, Exit, Flow, Input, Line, internal_end};
use crate::escape::escape_control;
use crate::listing::iso8601;
use crate::load::Loaded;
use crate::paths::Env;
use crate::provider::normalize;
use crate::store::AuthStore;
use crate::time::Millis;
use crate::usage::{EndedBackoff, end_backoff};
use std::cell::RefCell;
use std::rc::Rc;

/// Whose backoffs to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CooldownTarget {
    /// One profile, which must exist.
    Profile(String),
    /// Every profile of a provider (any spelling).
    Provider(String),
    /// Every profile of the agent.
    All,
}

/// What the edit found: `None` when the one profile asked for is not there.
type Cleared = Rc<RefCell<Option<Vec<(String, EndedBackoff)>>>>;

/// `models auth cooldown clear` as a flow.
pub struct CooldownCommand {
    target: CooldownTarget,
    edit: Option<Box<EditStore<'static>>>,
    cleared: Cleared,
    done: Option<Done>,
}

impl CooldownCommand {
    /// The command for `agent` (`None`: the default agent), at `now`.
    pub fn clear(env: &Env, agent: Option<&str>, target: CooldownTarget, now: Millis) -> CooldownCommand {
        let cleared: Cleared = Rc::default();
        let (out, wanted) = (Rc::clone(&cleared), target.clone());
        let edit = move |store: &mut AuthStore, loaded: &Loaded| {
            let ids: Vec<String> = match &wanted {
                CooldownTarget::Profile(id) if !store.profiles.contains_key(id) => return,
                CooldownTarget::Profile(id) => vec![id.clone()],
                CooldownTarget::Provider(p) => store.profiles_for(p).map(|(id, _)| id.clone()).collect(),
                CooldownTarget::All => store.profiles.keys().cloned().collect(),
            };
            let ended = ids.into_iter().filter_map(|id| end_backoff(store, &id, loaded.now).map(|e| (id, e))).collect();
            *out.borrow_mut() = Some(ended);
        };
        let edit = Some(Box::new(EditStore::new(env, agent, now, Box::new(edit))));
        CooldownCommand { target, edit, cleared, done: None }
    }

    /// The same command, its edit's look reading the Keychain when `may`
    /// (doctor's, with someone to answer the prompt).
    pub(crate) fn reading_keychain(mut self, may: bool) -> CooldownCommand {
        self.edit = self.edit.take().map(|edit| Box::new(edit.reading_keychain(may)));
        self
    }

    fn finish(&self, outcome: Option<Result<Loaded, String>>) -> Done {
        let error = |exit, message: &str| Done {
            exit,
            lines: vec![Line::err(format!("error: {}", escape_control(message)))],
            hints: Vec::new(),
        };
        match outcome {
            Some(Ok(_)) => {}
            Some(Err(why)) => return error(Exit::Error, &why),
            None => return internal_end(),
        }
        let Some(cleared) = self.cleared.borrow_mut().take() else {
            let CooldownTarget::Profile(id) = &self.target else { return internal_end() };
            let mut done = error(Exit::Action, &format!("no profile {id} in this agent's store"));
            done.hints.push("`clawdbot models auth list` shows the profiles there are".into());
            return done;
        };
        let mut lines: Vec<Line> = cleared.iter().map(|(id, e)| Line::out(describe(id, e))).collect();
        if lines.is_empty() {
            let whom = match &self.target {
                CooldownTarget::Profile(id) => escape_control(id).into_owned(),
                CooldownTarget::Provider(p) => format!("the {} profiles", escape_control(&normalize(p))),
                CooldownTarget::All => "any profile".into(),
            };
            lines.push(Line::out(format!("Nothing to clear for {whom}: no cooldown, disable or failure count.")));
        }
        Done { exit: Exit::Ok, lines, hints: Vec::new() }
    }
}

/// `Cleared <id>: billing disable (until ...), cooldown (until ...); failure counts reset.`
fn describe(id: &str, e: &EndedBackoff) -> String {
    let mut parts = Vec::new();
    if let Some(until) = e.disabled_until {
        let reason = escape_control(e.disabled_reason.as_deref().unwrap_or("unknown")).into_owned();
        parts.push(format!("{reason} disable (until {})", iso8601(until)));
    }
    if let Some(until) = e.cooldown_until {
        parts.push(format!("cooldown (until {})", iso8601(until)));
    }
    let mut text = format!("Cleared {}: ", escape_control(id));
    text.push_str(&match (parts.is_empty(), e.counts_reset) {
        (false, true) => format!("{}; failure counts reset.", parts.join(", ")),
        (false, false) => format!("{}.", parts.join(", ")),
        (true, _) => "failure counts reset.".into(),
    });
    text
}

impl Flow for CooldownCommand {
    fn poll(&mut self) -> Effect {
        if let Some(done) = &self.done {
            return Effect::Done(done.clone());
        }
        let Some(edit) = self.edit.as_mut() else { return Effect::Done(internal_end()) };
        match edit.poll() {
            Effect::Done(_) => {
                let outcome = self.edit.take().and_then(|edit| edit.outcome());
                let done = self.finish(outcome);
                self.done = Some(done.clone());
                Effect::Done(done)
            }
            effect => effect,
        }
    }

    fn handle(&mut self, now: Millis, input: Input) {
        if let Some(edit) = self.edit.as_mut() {
            edit.handle(now, input);
        }
    }
}
