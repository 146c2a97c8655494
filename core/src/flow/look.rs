//! One look at the disk: the load, fed the files it asks for.
//!
//! [`crate::load::load`] reads through a [`World`]. Here that world is the
//! files the host has handed in so far; every path the load wanted and did
//! not get is collected, asked for in one [`Effect::Read`], and the load is
//! run again. A load's paths depend on what it read (the config names the
//! agent, a missing store sends it to the legacy files), so a look takes a
//! few rounds, each asking only for what is new. Each look reads each file
//! at most once; a new look (after taking a lock) reads them again.

use super::{Effect, Event, Input, Step};
use crate::load::{Loaded, load};
use crate::paths::Env;
use crate::time::Millis;
use crate::world::{FileRead, World};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// A load in progress.
#[derive(Debug)]
pub(crate) struct Look {
    env: Env,
    agent: Option<String>,
    files: BTreeMap<String, FileRead>,
    keychain: Option<Option<FileRead>>,
}

/// A finished look: the load, Claude Code's Keychain item as read (a
/// write-back merges into it) and the store's bytes as read (a later read
/// that finds the same bytes need not be parsed again).
#[derive(Debug)]
pub(crate) struct Looked {
    pub loaded: Loaded,
    pub keychain: Option<FileRead>,
    pub store_bytes: Option<Vec<u8>>,
}

impl Look {
    pub(crate) fn new(env: &Env, agent: Option<&str>) -> Look {
        Look { env: env.clone(), agent: agent.map(str::to_string), files: BTreeMap::new(), keychain: None }
    }

    pub(crate) fn poll(&mut self, now: Millis) -> Step<Looked> {
        let world = Fed { files: &self.files, keychain: self.keychain.as_ref(), missing: RefCell::default() };
        let loaded = load(&world, &self.env, now, self.agent.as_deref());
        let Missing { keychain, paths } = world.missing.into_inner();
        if keychain {
            // Asked once; an answer that never comes reads as "none".
            self.keychain = Some(None);
            return Step::Effect(Effect::ReadKeychain);
        }
        if !paths.is_empty() {
            // A path the host was asked for and did not answer reads as
            // absent, so a careless host cannot make a look ask forever.
            for path in &paths {
                self.files.insert(path.clone(), FileRead::Absent);
            }
            return Step::Effect(Effect::Read(paths.into_iter().collect()));
        }
        let store_bytes = match self.files.remove(&loaded.locations.store()) {
            Some(FileRead::Present { bytes, .. }) => Some(bytes),
            _ => None,
        };
        Step::Ready(Looked { loaded, keychain: self.keychain.take().flatten(), store_bytes })
    }

    /// Takes the answer to this look's last effect; anything else is not
    /// for a look and is ignored.
    pub(crate) fn handle(&mut self, input: Input) {
        match input {
            Input::Files(files) => self.files.extend(files),
            Input::Keychain(item) => self.keychain = Some(item),
            _ => {}
        }
    }
}

#[derive(Default)]
struct Missing {
    keychain: bool,
    paths: BTreeSet<String>,
}

/// The files handed in so far; what is not there is noted and reads as
/// absent for this round.
struct Fed<'a> {
    files: &'a BTreeMap<String, FileRead>,
    keychain: Option<&'a Option<FileRead>>,
    missing: RefCell<Missing>,
}

impl World for Fed<'_> {
    fn read(&self, path: &str) -> FileRead {
        match self.files.get(path) {
            Some(read) => read.clone(),
            None => {
                self.missing.borrow_mut().paths.insert(path.to_string());
                FileRead::Absent
            }
        }
    }

    fn claude_keychain(&self) -> Option<FileRead> {
        match self.keychain {
            Some(item) => item.clone(),
            None => {
                self.missing.borrow_mut().keychain = true;
                None
            }
        }
    }
}

/// What a load changed and what it found wrong.
pub(crate) fn notices(loaded: &Loaded) -> Vec<Event> {
    let mut events: Vec<Event> = loaded.changes.iter().map(|c| Event::Notice(c.to_string())).collect();
    events.extend(diagnostics(loaded));
    events
}

/// The notices of a load whose changes a command tried to save: each
/// change says whether it was saved ([`crate::doctor::change_notes`]),
/// then the diagnostics, then why the save failed.
pub(crate) fn saved_notices(loaded: &Loaded, save_error: Option<&str>) -> Vec<Event> {
    let mut events: Vec<Event> =
        crate::doctor::change_notes(loaded, save_error).into_iter().map(Event::Notice).collect();
    events.extend(diagnostics(loaded));
    events.extend(save_error.map(Event::warning));
    events
}

/// A load's diagnostics, each with its remedies.
fn diagnostics(loaded: &Loaded) -> impl Iterator<Item = Event> + '_ {
    loaded.diagnostics.iter().cloned().map(Event::Diagnostic)
}

/// Why a store that cannot be read is not written: its diagnostics.
pub(crate) fn unreadable_reason(loaded: &Loaded) -> String {
    loaded.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}
