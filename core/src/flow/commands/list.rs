//! `clawdbot models auth list`: one look, no write (a list changes
//! nothing, so what the sync would take is shown but saved only by the
//! commands that save).

use super::drive::{Driven, Lines, Machine, Turn, advance, flow_of_driven};
use super::look::{Look, notices};
use super::refs::ResolveRefs;
use super::{Answer, Done, Event, Exit, Step};
use crate::listing::{self, Listing};
use crate::load::Loaded;
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
        let look = State::Look(Box::new(Look::new(env, agent).reading_keychain(true)));
        ListCommand { inner: Driven::new(list, look, now) }
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
    fn listed(&mut self, loaded: Loaded) -> Done {
        let mut events = notices(&loaded);
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
    Look(Box<Look>),
    Refs { loaded: Box<Loaded>, refs: Box<ResolveRefs> },
}

impl Machine for List {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, _: &mut Lines) -> Turn<State> {
        match state {
            State::Look(mut look) => match advance(&mut *look, input, now) {
                Step::Effect(e) => Turn::Ask(State::Look(look), e),
                Step::Ready(looked) => {
                    let mut loaded = looked.loaded;
                    match ResolveRefs::needed(&mut loaded, self.allow_exec, self.provider.as_deref()) {
                        None => Turn::End(self.listed(loaded)),
                        Some(refs) => Turn::Go(State::Refs { loaded: Box::new(loaded), refs: Box::new(refs) }),
                    }
                }
            },
            State::Refs { mut loaded, mut refs } => match advance(&mut *refs, input, now) {
                Step::Effect(e) => Turn::Ask(State::Refs { loaded, refs }, e),
                Step::Ready(states) => {
                    loaded.refs = states;
                    Turn::End(self.listed(*loaded))
                }
            },
        }
    }
}

flow_of_driven!(ListCommand);
