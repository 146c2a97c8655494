//! The poll/handle loop every command shares, written once.
//!
//! A command is a [`Machine`]: from its current state and the answer to
//! the effect it asked last, one [`Turn`] says what happens next. The
//! [`Driven`] wrapper is the [`Flow`] the host runs: it keeps the state,
//! hands each answer to the next step, shows queued events first, and
//! repeats the end once the command is over. A part a command is built
//! from (a look, a saved load, a store or config edit, a whole sub-command)
//! is a [`Part`], advanced with [`advance`].

use super::{Answer, Done, Effect, Flow, Input, Step, internal_end};
use crate::time::Millis;
use std::collections::VecDeque;

/// What one step of a command gives.
pub(crate) enum Turn<S> {
    /// Hand this effect to the host and stay in the state: the answer (or,
    /// for an effect that has none, the next poll) comes to it.
    Ask(S, Effect),
    /// Go on in this state at once.
    Go(S),
    /// The command is over.
    End(Done),
}

/// A command's steps.
pub(crate) trait Machine {
    /// Where the command is.
    type State;
    /// One step from `state`, given the answer to the effect it asked, if
    /// any, which arrived at `now`. Events to show before the next effect
    /// go to `out`.
    fn step(&mut self, state: Self::State, input: Option<Answer>, now: Millis, out: &mut Lines) -> Turn<Self::State>;
}

/// Effects queued by a step, written before anything else.
pub(crate) type Lines = VecDeque<Effect>;

/// Queues one event for the host to show before the next effect.
pub(crate) fn emit(out: &mut Lines, event: super::Event) {
    out.push_back(Effect::Emit(event));
}

/// A [`Machine`] run as a [`Flow`].
pub(crate) struct Driven<M: Machine> {
    /// The command, for what it keeps besides its state.
    pub(crate) machine: M,
    state: Option<M::State>,
    input: Option<Answer>,
    now: Millis,
    queue: Lines,
    done: Option<Done>,
}

impl<M: Machine> Driven<M> {
    /// `machine` starting in `state`, at `now`.
    pub(crate) fn new(machine: M, state: M::State, now: Millis) -> Driven<M> {
        Driven { machine, state: Some(state), input: None, now, queue: VecDeque::new(), done: None }
    }

    /// `machine` starting in `state`, at `now`, unless the environment puts
    /// everything Clawdbot keeps out of reach (the state folder, or the
    /// HOME it is in, is not a folder: [`crate::paths::unusable_state_dir`]):
    /// then it ends before its first step with that one error, nothing
    /// read, written or asked (issue 23 item 12). Every command starts so.
    pub(crate) fn start(machine: M, state: M::State, env: &crate::paths::Env, now: Millis) -> Driven<M> {
        match crate::paths::unusable_state_dir(env) {
            Some(folder) => Driven::ended(machine, Done::refusing(super::Exit::Action, &folder.into()), now),
            None => Driven::new(machine, state, now),
        }
    }

    /// Ends the command before its first step (a refused command line).
    pub(crate) fn end(&mut self, done: Done) {
        self.state = None;
        self.done = Some(done);
    }

    /// The state it is in, before it ends (a command's options reach its
    /// parts through it).
    pub(crate) fn state_mut(&mut self) -> Option<&mut M::State> {
        self.state.as_mut()
    }

    /// `machine` that ended before its first step (a refused command line).
    pub(crate) fn ended(machine: M, done: Done, now: Millis) -> Driven<M> {
        Driven { machine, state: None, input: None, now, queue: VecDeque::new(), done: Some(done) }
    }
}

impl<M: Machine> Flow for Driven<M> {
    fn poll(&mut self) -> Effect {
        loop {
            if let Some(effect) = self.queue.pop_front() {
                return effect;
            }
            if let Some(done) = &self.done {
                return Effect::Done(done.clone());
            }
            let Some(state) = self.state.take() else { return Effect::Done(internal_end()) };
            let input = self.input.take();
            match self.machine.step(state, input, self.now, &mut self.queue) {
                Turn::Ask(state, effect) => {
                    self.state = Some(state);
                    self.queue.push_back(effect);
                }
                Turn::Go(state) => self.state = Some(state),
                Turn::End(done) => self.done = Some(done),
            }
        }
    }

    fn handle(&mut self, now: Millis, input: Input) {
        self.now = now;
        self.input = Some(input.0);
    }
}

/// What a hand-stepped part owes its host before it moves on: the effects
/// it queued (an unlock, a warning) first, then the effect it asked, again,
/// until its answer comes.
#[derive(Default)]
pub(crate) struct Pending {
    /// Effects to hand out before anything else.
    pub(crate) queue: VecDeque<Effect>,
    /// The effect awaiting its answer.
    pub(crate) asked: Option<Effect>,
    /// The answer, once it came.
    pub(crate) input: Option<Answer>,
}

impl Pending {
    /// The effect still owed, if any; once the asked one is answered it is
    /// forgotten, and the part goes on with `input`.
    pub(crate) fn owed(&mut self) -> Option<Effect> {
        if let Some(effect) = self.queue.pop_front() {
            return Some(effect);
        }
        if self.input.is_none()
            && let Some(asked) = &self.asked
        {
            return Some(asked.clone());
        }
        self.asked = None;
        None
    }
}

/// A piece of a command with effects of its own and a result.
pub(crate) trait Part {
    /// What it ends with.
    type Out;
    /// The answer to its last effect.
    fn feed(&mut self, now: Millis, input: Answer);
    /// Its next effect, or its result.
    fn next(&mut self, now: Millis) -> Step<Self::Out>;
}

/// Hands `part` the answer it waits for, if any, and polls it.
pub(crate) fn advance<P: Part + ?Sized>(part: &mut P, input: Option<Answer>, now: Millis) -> Step<P::Out> {
    if let Some(input) = input {
        part.feed(now, input);
    }
    part.next(now)
}

/// A whole command inside another: its events are the outer command's
/// effects, its end is its result.
impl<F: Flow> Part for F {
    type Out = Done;
    fn feed(&mut self, now: Millis, input: Answer) {
        self.handle(now, Input(input));
    }
    fn next(&mut self, _now: Millis) -> Step<Done> {
        match self.poll() {
            Effect::Done(done) => Step::Ready(done),
            effect => Step::Effect(effect),
        }
    }
}

/// The [`Flow`] of a public command type that holds its [`Driven`]
/// machine in a field `inner` (the machine itself stays private).
macro_rules! flow_of_driven {
    ($command:ty) => {
        impl $crate::flow::Flow for $command {
            fn poll(&mut self) -> $crate::flow::Effect {
                self.inner.poll()
            }

            fn handle(&mut self, now: $crate::time::Millis, input: $crate::flow::Input) {
                self.inner.handle(now, input);
            }
        }
    };
}
pub(crate) use flow_of_driven;
