//! `clawdbot models auth list`: one look, no write (a list changes
//! nothing, so what the sync would take is shown but saved only by the
//! commands that save).

use super::drive::{Driven, Lines, Machine, Turn, advance, flow_of_driven};
use super::look::{Look, notices};
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
    json: bool,
    listing: Option<Listing>,
}

impl ListCommand {
    /// The list of `agent`'s credentials (`None`: the default agent), only
    /// `provider`'s when given; one JSON document with `json`.
    pub fn new(env: &Env, agent: Option<&str>, provider: Option<&str>, json: bool, now: Millis) -> ListCommand {
        let list = List { provider: provider.map(str::to_string), json, listing: None };
        ListCommand { inner: Driven::new(list, Box::new(Look::new(env, agent).reading_keychain(true)), now) }
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

impl Machine for List {
    type State = Box<Look>;

    fn step(&mut self, mut look: Box<Look>, input: Option<Answer>, now: Millis, _: &mut Lines) -> Turn<Box<Look>> {
        match advance(&mut *look, input, now) {
            Step::Effect(e) => Turn::Ask(look, e),
            Step::Ready(looked) => Turn::End(self.listed(looked.loaded)),
        }
    }
}

flow_of_driven!(ListCommand);
