//! `clawdbot panel`'s look at a home: one load through the host's reads,
//! kept with the files it read, so that the panel's view is made by the
//! envelope's own function over what this host found (issue 28).
//!
//! It reads what `models status` reads (the Keychain items too, where the
//! host has one) and resolves the SecretRefs a host can check without
//! running anything (files; exec resolvers only with the config's leave),
//! and it writes nothing: a sync or a migration the load would save is
//! shown by the view's doctor panel as what doctor would write. The page
//! writes only through a verb, each a command of its own.

use super::drive::{Driven, Lines, Machine, Turn, advance, flow_of_driven};
use super::look::Look;
use super::refs::ResolveRefs;
use super::{Answer, Done, Exit, Step};
use crate::load::Loaded;
use crate::paths::Env;
use crate::time::Millis;
use crate::world::{FileRead, KeychainItem, MapWorld};
use std::collections::BTreeMap;

/// A look and the files it read, for the panel's view.
pub struct PanelLook {
    inner: Driven<Watch>,
}

/// What the look saw: the load and the files (and Keychain items) it read.
pub struct Seen {
    /// The files and Keychain items as the host answered them.
    pub world: MapWorld,
    /// The load over them, SecretRefs resolved.
    pub loaded: Loaded,
}

enum State {
    Look(Box<Look>),
    Refs(Box<Loaded>, Box<ResolveRefs>),
}

struct Watch {
    files: BTreeMap<String, FileRead>,
    keychain: BTreeMap<KeychainItem, FileRead>,
    seen: Option<Seen>,
}

impl PanelLook {
    /// A look at `agent`'s files (`None`: the default agent), at `now`.
    /// An unknown agent is refused as every command refuses it.
    pub fn new(env: &Env, agent: Option<&str>, now: Millis) -> PanelLook {
        let look = Look::new(env, agent).reading_keychain(true);
        let watch = Watch { files: BTreeMap::new(), keychain: BTreeMap::new(), seen: None };
        PanelLook { inner: Driven::start(watch, State::Look(Box::new(look)), env, now) }
    }

    /// What the look saw, once it ended well.
    pub fn seen(&self) -> Option<&Seen> {
        self.inner.machine.seen.as_ref()
    }
}

impl Watch {
    fn finish(&mut self, loaded: Loaded) -> Turn<State> {
        let world = MapWorld { files: std::mem::take(&mut self.files), keychain: std::mem::take(&mut self.keychain) };
        self.seen = Some(Seen { world, loaded });
        Turn::End(Done::quiet(Exit::Ok))
    }
}

impl Machine for Watch {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, _: &mut Lines) -> Turn<State> {
        // Every file the look is handed is kept as it came.
        if let Some(Answer::Files(files)) = &input {
            self.files.extend(files.iter().cloned());
        }
        match state {
            State::Look(mut look) => match advance(&mut *look, input, now) {
                Step::Effect(e) => Turn::Ask(State::Look(look), e),
                Step::Ready(looked) => {
                    self.keychain = looked.keychain;
                    let mut loaded = looked.loaded;
                    match ResolveRefs::needed(&mut loaded, false, None) {
                        None => self.finish(loaded),
                        Some(refs) => Turn::Go(State::Refs(Box::new(loaded), Box::new(refs))),
                    }
                }
            },
            State::Refs(mut loaded, mut refs) => match advance(&mut *refs, input, now) {
                Step::Effect(e) => Turn::Ask(State::Refs(loaded, refs), e),
                Step::Ready(states) => {
                    loaded.refs = states;
                    self.finish(*loaded)
                }
            },
        }
    }
}

flow_of_driven!(PanelLook);
