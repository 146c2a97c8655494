//! Before a paste asks for its secret: what the profile id holds now.
//!
//! `setup-token` and `paste-api-key --provider anthropic` share
//! `anthropic:default`, and a 1-year setup-token (shown once by `claude
//! setup-token`) was lost to a pasted key without a word (issue 23 item
//! 3). So every paste verb looks first: a credential of another type at
//! the id ([`PasteTarget::replaces_other`]) is replaced only when the
//! operator says yes (a [`Effect::Confirm`], default no) or passed
//! `--force`; without a terminal to ask, the paste is refused before the
//! secret is read, naming both ways on. The store edit applies the same
//! rule again under the lock ([`PasteTarget::place`]), so a credential
//! that appeared meanwhile is not replaced unasked either.

use super::drive::{Part, advance};
use super::look::{Look, unreadable_reason};
use super::{Answer, Done, Effect, Exit, Reply, Step, consent};
use crate::error::TxnFailure;
use crate::load::StoreState;
use crate::paste::PasteTarget;
use crate::paths::Env;
use crate::time::Millis;

/// Whether the paste may go on, and whether it may replace a credential
/// of another type; or how the command ends.
pub(crate) type Claimed = Result<bool, Done>;

enum State {
    Look(Box<Look>),
    Ask { held: String },
    Over(Claimed),
}

/// The look and the question before a paste: a [`Part`] of every paste
/// verb.
pub(crate) struct Claim {
    target: PasteTarget,
    force: bool,
    state: State,
    input: Option<Answer>,
    asked: bool,
}

impl Claim {
    /// A look at `agent`'s store for `target`; `force`: `--force` was given.
    pub(crate) fn new(env: &Env, agent: Option<&str>, target: &PasteTarget, force: bool) -> Claim {
        Claim {
            target: target.clone(),
            force,
            state: State::Look(Box::new(Look::new(env, agent))),
            input: None,
            asked: false,
        }
    }

    /// The same claim, for a paste that may make the agent it was given
    /// (`--create-agent`); otherwise its look refuses an unknown one.
    pub(crate) fn creating_agent(mut self, create: bool) -> Claim {
        if let State::Look(look) = self.state {
            self.state = State::Look(Box::new(look.creating_agent(create)));
        }
        self
    }

    fn question(&self, held: &str) -> Effect {
        let (id, kind) = (&self.target.profile_id, self.target.kind.as_str());
        let question = format!("{id} holds {held}. Replace it with the {kind}?");
        let question = crate::escape::escape_control(&question).into_owned();
        Effect::Confirm { question, default_yes: false, reply: Reply::new() }
    }
}

impl Part for Claim {
    type Out = Claimed;

    fn feed(&mut self, now: Millis, input: Answer) {
        match &mut self.state {
            State::Look(look) => look.feed(now, input),
            _ => self.input = Some(input),
        }
    }

    fn next(&mut self, now: Millis) -> Step<Claimed> {
        loop {
            let state = std::mem::replace(&mut self.state, State::Over(Ok(false)));
            self.state = match state {
                State::Look(mut look) => match advance(&mut *look, None, now) {
                    Step::Effect(e) => {
                        self.state = State::Look(look);
                        return Step::Effect(e);
                    }
                    Step::Ready(looked) if looked.loaded.store_state == StoreState::Unreadable => {
                        let failure = TxnFailure::Unreadable(unreadable_reason(&looked.loaded));
                        State::Over(Err(failure.refusal()))
                    }
                    Step::Ready(looked) => match self.target.replaces_other(&looked.loaded.store, now) {
                        None => State::Over(Ok(false)),
                        Some(_) if self.force => State::Over(Ok(true)),
                        Some(held) => State::Ask { held },
                    },
                },
                State::Ask { held } => match (self.asked, self.input.take()) {
                    (true, Some(Answer::Confirmed(Some(line)))) if consent(&line, false).is_some() => {
                        match consent(&line, false) {
                            Some(true) => State::Over(Ok(true)),
                            _ => {
                                State::Over(Err(Done::refusing(Exit::Action, &self.target.would_replace(held).into())))
                            }
                        }
                    }
                    // Nobody at a terminal to answer: refused, with both ways on.
                    (true, Some(Answer::Confirmed(None))) => {
                        State::Over(Err(Done::refusing(Exit::Action, &self.target.would_replace(held).into())))
                    }
                    // Not asked yet, or an answer that is neither yes nor no.
                    _ => {
                        let effect = self.question(&held);
                        self.asked = true;
                        self.state = State::Ask { held };
                        return Step::Effect(effect);
                    }
                },
                State::Over(claimed) => {
                    self.state = State::Over(claimed.clone());
                    return Step::Ready(claimed);
                }
            };
        }
    }
}
