//! `clawdbot models auth list`: the load `models status` makes, what the
//! sync took in saved as status saves it (a "synced ..." notice is said
//! only when it is true), and nothing else written.

use super::drive::{Driven, Lines, Machine, Turn, advance, flow_of_driven};
use super::look::saved_notices;
use super::refs::ResolveRefs;
use super::settle::{Settle, Settled};
use super::{Answer, Done, Event, Exit, Step};
use crate::listing::{self, Listing};
use crate::load::StoreState;
use crate::paths::Env;
use crate::time::Millis;

/// `models auth list` as a flow.
pub struct ListCommand {
    inner: Driven<List>,
}

/// What the list keeps besides its one look.
struct List {
    provider: Option<String>,
    allow_exec: bool,
    json: bool,
    listing: Option<Listing>,
}

impl ListCommand {
    /// The list of `agent`'s credentials (`None`: the default agent), only
    /// `provider`'s when given; one JSON document with `json`.
    pub fn new(env: &Env, agent: Option<&str>, provider: Option<&str>, json: bool, now: Millis) -> ListCommand {
        let list = List { provider: provider.map(str::to_string), allow_exec: false, json, listing: None };
        let settle = State::Settle(Box::new(Settle::new(env, agent, now).reading_keychain(true)));
        ListCommand { inner: Driven::start(list, settle, env, now) }
    }

    /// `--allow-exec`: exec SecretRefs are resolved by running their
    /// resolvers (else they are listed "not checked").
    pub fn allow_exec(mut self, allow: bool) -> ListCommand {
        self.inner.machine.allow_exec = allow;
        self
    }

    /// The listing, once done: the view a panel draws.
    pub fn listing(&self) -> Option<&Listing> {
        self.inner.machine.listing.as_ref()
    }
}

impl List {
    fn listed(&mut self, settled: Settled) -> Done {
        let Settled { loaded, save_error } = settled;
        let mut events = saved_notices(&loaded, save_error.as_deref());
        let listing = listing::list(&loaded, self.provider.as_deref());
        let exit = match loaded.store_state {
            StoreState::Unreadable => {
                events.push(Event::error(format!(
                    "{} cannot be read; only what other CLIs and the environment hold is listed",
                    listing.store_path
                )));
                Exit::Action
            }
            _ => Exit::Ok,
        };
        if self.json {
            events.push(Event::Report(crate::escape::terminal_safe_json(&listing)));
        } else {
            events.extend(listing::render_text(&listing).into_iter().map(Event::Report));
        }
        self.listing = Some(listing);
        Done::with(exit, events)
    }
}

enum State {
    Settle(Box<Settle>),
    Refs { settled: Box<Settled>, refs: Box<ResolveRefs> },
}

impl Machine for List {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, _: &mut Lines) -> Turn<State> {
        match state {
            State::Settle(mut settle) => match advance(&mut *settle, input, now) {
                Step::Effect(e) => Turn::Ask(State::Settle(settle), e),
                Step::Ready(mut settled) => {
                    match ResolveRefs::needed(&mut settled.loaded, self.allow_exec, self.provider.as_deref()) {
                        None => Turn::End(self.listed(settled)),
                        Some(refs) => Turn::Go(State::Refs { settled: Box::new(settled), refs: Box::new(refs) }),
                    }
                }
            },
            State::Refs { mut settled, mut refs } => match advance(&mut *refs, input, now) {
                Step::Effect(e) => Turn::Ask(State::Refs { settled, refs }, e),
                Step::Ready(states) => {
                    settled.loaded.refs = states;
                    Turn::End(self.listed(*settled))
                }
            },
        }
    }
}

flow_of_driven!(ListCommand);
