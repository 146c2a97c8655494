//! `clawdbot models auth list`: one look, no write (a list changes
//! nothing, so what the sync would take is shown but saved only by the
//! commands that save).

use super::look::{Look, notices};
use super::{Done, Effect, Event, Exit, Flow, Input, Step, internal_end};
use crate::listing::{self, Listing};
use crate::load::StoreState;
use crate::paths::Env;
use crate::time::Millis;

/// `models auth list` as a flow.
pub struct ListCommand {
    provider: Option<String>,
    json: bool,
    now: Millis,
    look: Option<Look>,
    done: Option<Done>,
    listing: Option<Listing>,
}

impl ListCommand {
    /// The list of `agent`'s credentials (`None`: the default agent), only
    /// `provider`'s when given; one JSON document with `json`.
    pub fn new(env: &Env, agent: Option<&str>, provider: Option<&str>, json: bool, now: Millis) -> ListCommand {
        ListCommand {
            provider: provider.map(str::to_string),
            json,
            now,
            look: Some(Look::new(env, agent)),
            done: None,
            listing: None,
        }
    }

    /// The listing, once done: the view a panel draws.
    pub fn listing(&self) -> Option<&Listing> {
        self.listing.as_ref()
    }
}

impl Flow for ListCommand {
    fn poll(&mut self) -> Effect {
        if let Some(done) = &self.done {
            return Effect::Done(done.clone());
        }
        let Some(look) = self.look.as_mut() else { return Effect::Done(internal_end()) };
        let looked = match look.poll(self.now) {
            Step::Effect(effect) => return effect,
            Step::Ready(looked) => looked,
        };
        self.look = None;
        let loaded = looked.loaded;
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
        let done = Done::with(exit, events);
        self.done = Some(done.clone());
        Effect::Done(done)
    }

    fn handle(&mut self, now: Millis, input: Input) {
        self.now = now;
        if let Some(look) = self.look.as_mut() {
            look.handle(input);
        }
    }
}
