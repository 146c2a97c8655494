//! `clawdbot models auth cooldown clear PROFILE_ID | --provider P | --all`:
//! ends cooldowns and billing disables once their cause is gone, in one
//! locked edit, and says what it ended.

use super::drive::{Driven, Lines, Machine, Turn, advance, flow_of_driven};
use super::edit::EditStore;
use super::refresh::unknown_provider;
use super::{Answer, Done, Event, Exit, Step, internal_end};
use crate::error::TxnFailure;
use crate::load::Loaded;
use crate::paths::Env;
use crate::provider::{ProfilesOf, ProviderId, is_known};
use crate::store::AuthStore;
use crate::time::{Instant, Millis};
use crate::usage::{EndedBackoff, end_backoff};
use std::cell::RefCell;
use std::rc::Rc;

/// Whose backoffs to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CooldownTarget {
    /// One profile, which must exist.
    Profile(String),
    /// Every profile of a provider.
    Provider(ProviderId),
    /// Every profile of the agent.
    All,
}

/// What the edit found: `None` when the one profile asked for is not
/// there, or the provider asked for is unknown.
type Cleared = Rc<RefCell<Option<Vec<(String, EndedBackoff)>>>>;

/// `models auth cooldown clear` as a flow.
pub struct CooldownCommand {
    inner: Driven<Cooldown>,
}

/// What the command keeps besides its one store edit.
struct Cooldown {
    target: CooldownTarget,
    cleared: Cleared,
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
                // A typo (`antrhopic`) is refused as `refresh` refuses it.
                CooldownTarget::Provider(p) if !is_known(p, store) => return,
                CooldownTarget::Provider(p) => store.profiles_for(p).map(|(id, _)| id.clone()).collect(),
                CooldownTarget::All => store.profiles.keys().cloned().collect(),
            };
            let ended = ids.into_iter().filter_map(|id| end_backoff(store, &id, loaded.now).map(|e| (id, e))).collect();
            *out.borrow_mut() = Some(ended);
        };
        let edit = Box::new(EditStore::new(env, agent, now, Box::new(edit)));
        CooldownCommand { inner: Driven::start(Cooldown { target, cleared }, edit, env, now) }
    }
}

impl CooldownCommand {
    /// The same command, its edit's look reading the Keychain when `may`
    /// (doctor's, with someone to answer the prompt).
    pub(crate) fn reading_keychain(mut self, may: bool) -> CooldownCommand {
        if let Some(edit) = self.inner.state_mut() {
            edit.set_reading_keychain(may);
        }
        self
    }
}

impl Cooldown {
    fn finish(&self, outcome: Result<Loaded, TxnFailure>) -> Done {
        if let Err(failure) = outcome {
            return failure.refusal();
        }
        let Some(cleared) = self.cleared.borrow_mut().take() else {
            return match &self.target {
                CooldownTarget::Profile(id) => {
                    Done::refused(Exit::Action, format!("no profile {id} in this agent's store"))
                        .hint("`clawdbot models auth list` shows the profiles there are")
                }
                CooldownTarget::Provider(p) => unknown_provider(p),
                CooldownTarget::All => internal_end(),
            };
        };
        let mut events: Vec<Event> = cleared.iter().map(|(id, e)| Event::Output(describe(id, e))).collect();
        if events.is_empty() {
            let whom = match &self.target {
                CooldownTarget::Profile(id) => id.clone(),
                CooldownTarget::Provider(p) => format!("the {p} profiles"),
                CooldownTarget::All => "any profile".into(),
            };
            events.push(Event::Output(format!("Nothing to clear for {whom}: no cooldown, disable or failure count.")));
        }
        Done::with(Exit::Ok, events)
    }
}

/// `Cleared <id>: billing disable (until ...), cooldown (until ...); failure counts reset.`
fn describe(id: &str, e: &EndedBackoff) -> String {
    let mut parts = Vec::new();
    if let Some(until) = e.disabled_until {
        let reason = e.disabled_reason.as_deref().unwrap_or("unknown");
        parts.push(format!("{reason} disable (until {})", Instant::from_ms(until).shown()));
    }
    if let Some(until) = e.cooldown_until {
        parts.push(format!("cooldown (until {})", Instant::from_ms(until).shown()));
    }
    let mut text = format!("Cleared {id}: ");
    text.push_str(&match (parts.is_empty(), e.counts_reset) {
        (false, true) => format!("{}; failure counts reset.", parts.join(", ")),
        (false, false) => format!("{}.", parts.join(", ")),
        (true, _) => "failure counts reset.".into(),
    });
    text
}

impl Machine for Cooldown {
    type State = Box<EditStore<'static>>;

    fn step(&mut self, mut edit: Self::State, input: Option<Answer>, now: Millis, _: &mut Lines) -> Turn<Self::State> {
        match advance(&mut *edit, input, now) {
            Step::Effect(e) => Turn::Ask(edit, e),
            Step::Ready(outcome) => Turn::End(self.finish(outcome)),
        }
    }
}

flow_of_driven!(CooldownCommand);
