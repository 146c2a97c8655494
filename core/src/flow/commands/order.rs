//! `clawdbot models auth order get|set|clear`: the per-agent order
//! override, read with one load or changed with one locked edit.

use super::drive::{Driven, Lines, Machine, Turn, advance, flow_of_driven};
use super::edit::EditStore;
use super::look::Look;
use super::{Answer, Done, Event, Exit, Step, internal_end};
use crate::error::TxnFailure;
use crate::load::{Loaded, StoreState};
use crate::order::{self, OrderError};
use crate::paths::Env;
use crate::provider::ProviderId;
use crate::time::Millis;
use std::cell::RefCell;
use std::rc::Rc;

/// Which order command, with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRequest {
    /// Show the override; with `resolved`, also the order in effect now.
    Get {
        /// The provider (`z.ai` is `zai`).
        provider: ProviderId,
        /// Print one JSON document instead of text.
        json: bool,
        /// Also show the order profiles are tried in now.
        resolved: bool,
    },
    /// Replace the override with these profile ids, first tried first.
    Set {
        /// The provider.
        provider: ProviderId,
        /// Profile ids that must exist, in order.
        profile_ids: Vec<String>,
    },
    /// Move one profile `by` places (-1 up, 1 down) in the list the
    /// panel's order editor shows (the override, else the order in effect),
    /// and store the result as the override: `set` with that list, the list
    /// taken from the store read under the lock (the panel's up and down).
    Move {
        /// The provider.
        provider: ProviderId,
        /// The profile to move.
        profile_id: String,
        /// Places to move it: negative is towards the front.
        by: isize,
    },
    /// Remove the override.
    Clear {
        /// The provider.
        provider: ProviderId,
    },
}

/// What `set` made of the ids, shared with the edit that runs inside the
/// store flow.
type SetResult = Rc<RefCell<Option<Result<Vec<String>, OrderError>>>>;

enum State {
    Look(Box<Look>),
    Edit(Box<EditStore<'static>>),
}

/// An order command as a flow.
pub struct OrderCommand {
    inner: Driven<Order>,
}

/// What an order command keeps besides its look or its edit.
struct Order {
    request: OrderRequest,
    now: Millis,
    set: SetResult,
    /// Set by [`OrderCommand::keeping_load`]: the load the edit left.
    keep: bool,
    kept: Option<Loaded>,
}

impl OrderCommand {
    /// The command for `agent` (`None`: the default agent).
    pub fn new(request: OrderRequest, agent: Option<&str>, env: &Env, now: Millis) -> OrderCommand {
        let set: SetResult = Rc::new(RefCell::new(None));
        let state = match &request {
            OrderRequest::Get { .. } => State::Look(Box::new(Look::new(env, agent))),
            OrderRequest::Set { provider, profile_ids } => {
                let (provider, ids, out) = (provider.clone(), profile_ids.clone(), Rc::clone(&set));
                let edit = move |store: &mut crate::store::AuthStore, loaded: &Loaded| {
                    let dir = loaded.env.shorten(&loaded.locations.agent_dir);
                    *out.borrow_mut() = Some(order::set_order(store, &provider, &ids, &dir));
                };
                State::Edit(Box::new(EditStore::new(env, agent, now, Box::new(edit))))
            }
            OrderRequest::Move { provider, profile_id, by } => {
                let (provider, id, by, out) = (provider.clone(), profile_id.clone(), *by, Rc::clone(&set));
                let edit = move |store: &mut crate::store::AuthStore, loaded: &Loaded| {
                    let dir = loaded.env.shorten(&loaded.locations.agent_dir);
                    let current = crate::view::editable_order(loaded, &provider);
                    *out.borrow_mut() = Some(match crate::view::moved(&current, &id, by) {
                        Some(ids) => order::set_order(store, &provider, &ids, &dir),
                        None => Err(OrderError::CannotMove { profile_id: id.clone(), by }),
                    });
                };
                State::Edit(Box::new(EditStore::new(env, agent, now, Box::new(edit))))
            }
            OrderRequest::Clear { provider } => {
                let provider = provider.clone();
                let edit = move |store: &mut crate::store::AuthStore, _: &Loaded| {
                    order::clear_order(store, &provider);
                };
                State::Edit(Box::new(EditStore::new(env, agent, now, Box::new(edit))))
            }
        };
        let order = Order { request, now, set, keep: false, kept: None };
        OrderCommand { inner: Driven::start(order, state, env, now) }
    }

    /// Keep the load a `set`, `move` or `clear` ended with (the store as
    /// written) for [`OrderCommand::take_load`]: the panel's view after a
    /// move is made from it instead of loading the written store again.
    pub fn keeping_load(mut self) -> OrderCommand {
        self.inner.machine.keep = true;
        self
    }

    /// The load kept ([`OrderCommand::keeping_load`]), once the command
    /// has ended with exit 0.
    pub fn take_load(&mut self) -> Option<Loaded> {
        self.inner.machine.kept.take()
    }
}

impl Order {
    fn provider(&self) -> &ProviderId {
        match &self.request {
            OrderRequest::Get { provider, .. }
            | OrderRequest::Set { provider, .. }
            | OrderRequest::Move { provider, .. }
            | OrderRequest::Clear { provider } => provider,
        }
    }

    /// `order get`: the override as stored, and the order in effect.
    fn show(&self, loaded: &Loaded, json: bool, resolved: bool) -> Done {
        // The problems alone: `order` is no repair, its remedies are doctor's.
        let mut events: Vec<Event> =
            loaded.diagnostics.iter().map(|d| Event::Message { severity: d.severity, text: d.to_string() }).collect();
        let store_shown = loaded.env.shorten(&loaded.locations.store());
        if loaded.store_state == StoreState::Unreadable {
            events.push(Event::error(format!(
                "{store_shown} cannot be read, so its order is unknown; fix the file (see above)"
            )));
            return Done::with(Exit::Action, events);
        }
        let provider = self.provider();
        let over = order::get_order(&loaded.store, provider).cloned();
        let effective =
            resolved.then(|| order::resolve_order(&loaded.config.config, &loaded.store, provider, None, self.now));
        if json {
            let mut doc = serde_json::json!({
                "agentId": loaded.locations.agent_id,
                "agentDir": loaded.locations.agent_dir,
                "provider": provider,
                "authStorePath": store_shown,
                "order": over,
            });
            if let Some(r) = effective {
                doc["resolved"] = serde_json::json!(r);
            }
            events.push(Event::Report(crate::escape::terminal_safe_json(&doc)));
        } else {
            events.push(Event::Output(format!("Agent: {}", loaded.locations.agent_id)));
            events.push(Event::Output(format!("Provider: {provider}")));
            events.push(Event::Output(format!("Auth file: {store_shown}")));
            events.push(Event::Output(match over {
                Some(ids) => format!("Order override: {}", ids.join(", ")),
                None => "Order override: (none)".to_string(),
            }));
            if let Some(r) = effective {
                let shown = if r.is_empty() { "(none)".to_string() } else { r.join(", ") };
                events.push(Event::Output(format!("Resolved order: {shown}")));
            }
        }
        Done::with(Exit::Ok, events)
    }

    /// `set` or `clear` is done: say what the store holds now.
    fn edited(&mut self, outcome: Result<Loaded, TxnFailure>) -> Done {
        let loaded = match outcome {
            Ok(loaded) => loaded,
            Err(failure) => return failure.refusal(),
        };
        let mut events = vec![
            Event::Output(format!("Agent: {}", loaded.locations.agent_id)),
            Event::Output(format!("Provider: {}", self.provider())),
        ];
        match &self.request {
            OrderRequest::Set { .. } | OrderRequest::Move { .. } => match self.set.borrow_mut().take() {
                Some(Ok(ids)) => events.push(Event::Output(format!("Order override: {}", ids.join(", ")))),
                Some(Err(e)) => return Done::refused(Exit::Action, e.to_string()),
                None => return internal_end(),
            },
            _ => events.push(Event::Output("Cleared per-agent order override.".into())),
        }
        if self.keep {
            self.kept = Some(loaded);
        }
        Done::with(Exit::Ok, events)
    }
}

impl Machine for Order {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, _: &mut Lines) -> Turn<State> {
        self.now = now;
        match state {
            State::Look(mut look) => match advance(&mut *look, input, now) {
                Step::Effect(e) => Turn::Ask(State::Look(look), e),
                Step::Ready(looked) => Turn::End(match &self.request {
                    OrderRequest::Get { json, resolved, .. } => self.show(&looked.loaded, *json, *resolved),
                    _ => internal_end(),
                }),
            },
            State::Edit(mut edit) => match advance(&mut *edit, input, now) {
                Step::Effect(e) => Turn::Ask(State::Edit(edit), e),
                Step::Ready(outcome) => Turn::End(self.edited(outcome)),
            },
        }
    }
}

flow_of_driven!(OrderCommand);
