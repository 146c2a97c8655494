//! `clawdbot models auth list`: one look, no write (a list changes
//! nothing, so what the sync would take is shown but saved only by the
//! commands that save).

use super::look::{Look, notices};
use super::{Done, Effect, Exit, Flow, Input, Line, Step, internal_end};
use crate::escape::escape_control;
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
            look: Some(Look::new(env, agent).reading_keychain(true)),
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
        let mut lines = notices(&loaded);
        let listing = listing::list(&loaded, self.provider.as_deref());
        let exit = match loaded.store_state {
            StoreState::Unreadable => {
                lines.push(Line::err(format!(
                    "error: {} cannot be read; only what other CLIs and the environment hold is listed",
                    escape_control(&listing.store_path)
                )));
                Exit::Action
            }
            _ => Exit::Ok,
        };
        if self.json {
            lines.push(Line::out(crate::escape::terminal_safe_json(&listing)));
        } else {
            lines.extend(listing::render_text(&listing).into_iter().map(Line::out));
        }
        self.listing = Some(listing);
        let done = Done { exit, lines, hints: Vec::new() };
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
