//! `models status --probe` inside the status of one agent (issue 26): the
//! targets are planned from the load ([`crate::probe::plan`]), sent to the
//! host as one batch ([`Effect::SendAll`]: its concurrency and timeout are
//! the core's, the parallelism the host's), classified, and the refusals
//! kept in the store through the store transaction ([`EditStore`]: locked,
//! re-read, written only if something changed). The load it hands back
//! holds the same records, so the report made from it already says them.

use super::drive::{Part, advance};
use super::edit::EditStore;
use super::{Answer, Effect, Event, HttpTimeouts, Reply, Step};
use crate::health::HealthRules;
use crate::load::{Loaded, StoreState};
use crate::paths::Env;
use crate::probe::{self, ProbeOptions, ProbeRun, Target};
use crate::time::Millis;
use std::collections::VecDeque;

enum State {
    /// Plan, then send.
    Start,
    /// The batch is with the host; `asked` is asked again until answered.
    Sent {
        targets: Vec<Target>,
        started: Millis,
        asked: Effect,
    },
    /// The results are being kept in the store.
    Keep {
        run: ProbeRun,
        edit: Box<EditStore<'static>>,
    },
    Over,
}

/// One agent's probe: the load in, the load (with the records) and the run
/// out.
pub(crate) struct Probing {
    env: Env,
    agent: Option<String>,
    options: ProbeOptions,
    shell_applied: Vec<String>,
    rules: HealthRules,
    loaded: Option<Loaded>,
    state: State,
    input: Option<Answer>,
    queue: VecDeque<Effect>,
    ready: Option<(Loaded, ProbeRun)>,
    now: Millis,
}

impl Probing {
    /// A probe of `loaded` (`agent`'s, `None`: the default agent's) as
    /// `options` ask, judging profiles by `rules`.
    pub(crate) fn new(
        env: &Env,
        agent: Option<&str>,
        loaded: Loaded,
        options: ProbeOptions,
        shell_applied: Vec<String>,
        rules: HealthRules,
        now: Millis,
    ) -> Probing {
        Probing {
            env: env.clone(),
            agent: agent.map(str::to_string),
            options,
            shell_applied,
            rules,
            loaded: Some(loaded),
            state: State::Start,
            input: None,
            queue: VecDeque::new(),
            ready: None,
            now,
        }
    }

    fn warn(&mut self, text: String) {
        self.queue.push_back(Effect::Emit(Event::warning(text)));
    }

    /// The run is complete: keep its records in the store when there are
    /// any (and the store can be written), else it is over.
    fn finish(&mut self, run: ProbeRun) {
        let keep = self.loaded.as_ref().filter(|l| run.has_records() && l.store_state != StoreState::Unreadable);
        let Some(loaded) = keep else { return self.over(run) };
        let (kept, refs) = (run.clone(), loaded.refs.clone());
        let edit = move |store: &mut crate::store::AuthStore, _: &Loaded| {
            kept.remember(store, &refs);
        };
        let edit = EditStore::new(&self.env, self.agent.as_deref(), self.now, Box::new(edit));
        self.state = State::Keep { run, edit: Box::new(edit) };
    }

    /// The run and the load with its records, which hold in memory even
    /// when the store could not take them.
    fn over(&mut self, run: ProbeRun) {
        self.state = State::Over;
        if let Some(mut loaded) = self.loaded.take() {
            let refs = loaded.refs.clone();
            run.remember(&mut loaded.store, &refs);
            self.ready = Some((loaded, run));
        }
    }

    /// Plans the targets and asks for the batch (or, with nothing to send,
    /// is over at once).
    fn start(&mut self) -> Option<Effect> {
        let loaded = self.loaded.as_ref()?;
        let plan = probe::plan(loaded, &self.options, &self.shell_applied, self.rules);
        for name in &plan.ignored {
            self.warn(format!("{name} was ignored: an API origin is https://, or http:// on a loopback host"));
        }
        for name in &plan.unmatched {
            self.warn(format!("--probe: nothing to probe for {}", crate::escape::escape_control(name)));
        }
        let requests = probe::requests(&plan.targets);
        if requests.is_empty() {
            let run = probe::results(plan.targets, Vec::new(), self.options.clone(), self.now, self.now);
            self.finish(run);
            return None;
        }
        let total_ms = self.options.timeout_ms;
        let timeouts = HttpTimeouts { connect_ms: HttpTimeouts::DEFAULT_CONNECT_MS.min(total_ms), total_ms };
        let asked = Effect::SendAll {
            requests,
            concurrency: self.options.concurrency,
            timeouts,
            max_body_bytes: probe::MAX_BODY_BYTES,
            reply: Reply::new(),
        };
        self.state = State::Sent { targets: plan.targets, started: self.now, asked: asked.clone() };
        Some(asked)
    }
}

impl Part for Probing {
    type Out = (Loaded, ProbeRun);

    fn feed(&mut self, now: Millis, input: Answer) {
        self.now = now;
        match &mut self.state {
            State::Keep { edit, .. } => edit.feed(now, input),
            _ => self.input = Some(input),
        }
    }

    fn next(&mut self, _now: Millis) -> Step<Self::Out> {
        loop {
            if let Some(effect) = self.queue.pop_front() {
                return Step::Effect(effect);
            }
            if let Some(out) = self.ready.take() {
                return Step::Ready(out);
            }
            match std::mem::replace(&mut self.state, State::Over) {
                State::Start => {
                    if let Some(asked) = self.start() {
                        // Its warnings first.
                        self.queue.push_back(asked);
                    }
                }
                State::Sent { targets, started, asked } => {
                    let exchanges = match self.input.take() {
                        Some(Answer::Exchanges(exchanges)) => exchanges,
                        // Any other answer is none: every request failed.
                        Some(_) => Vec::new(),
                        None => {
                            self.state = State::Sent { targets, started, asked: asked.clone() };
                            return Step::Effect(asked);
                        }
                    };
                    let run = probe::results(targets, exchanges, self.options.clone(), started, self.now);
                    self.finish(run);
                }
                State::Keep { run, mut edit } => match advance(&mut *edit, None, self.now) {
                    Step::Effect(effect) => {
                        self.state = State::Keep { run, edit };
                        return Step::Effect(effect);
                    }
                    Step::Ready(outcome) => {
                        if let Err(failure) = outcome {
                            let why = crate::Error::from(failure).to_string();
                            self.warn(format!("the probe's results were not kept in the store: {why}"));
                        }
                        self.over(run);
                    }
                },
                State::Over => return Step::Effect(Effect::Done(super::internal_end())),
            }
        }
    }
}
