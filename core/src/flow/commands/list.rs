//! `clawdbot models auth list`: the load `models status` makes, what the
//! sync took in saved as status saves it (a "synced ..." notice is said
//! only when it is true), and nothing else written.

use super::drive::{Driven, Lines, Machine, Turn, advance, flow_of_driven};
use super::look::saved_notices;
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
    json: bool,
    listing: Option<Listing>,
}

impl ListCommand {
    /// The list of `agent`'s credentials (`None`: the default agent), only
    /// `provider`'s when given; one JSON document with `json`.
    pub fn new(env: &Env, agent: Option<&str>, provider: Option<&str>, json: bool, now: Millis) -> ListCommand {
        let list = List { provider: provider.map(str::to_string), json, listing: None };
        let settle = Settle::new(env, agent, now).reading_keychain(true);
        ListCommand { inner: Driven::start(list, Box::new(settle), env, now) }
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

impl Machine for List {
    type State = Box<Settle>;

    fn step(
        &mut self,
        mut settle: Box<Settle>,
        input: Option<Answer>,
        now: Millis,
        _: &mut Lines,
    ) -> Turn<Box<Settle>> {
        match advance(&mut *settle, input, now) {
            Step::Effect(e) => Turn::Ask(settle, e),
            Step::Ready(settled) => Turn::End(self.listed(settled)),
        }
    }
}

flow_of_driven!(ListCommand);
