//! One look at the disk: the load, fed the files it asks for.
//!
//! [`crate::load::load`] reads through a [`World`]. Here that world is the
//! files the host has handed in so far; every path the load wanted and did
//! not get is collected, asked for in one [`Effect::Read`], and the load is
//! run again. A load's paths depend on what it read (the config names the
//! agent, a missing store sends it to the legacy files), so a look takes a
//! few rounds, each asking only for what is new. Each look reads each file
//! at most once; a new look (after taking a lock) reads them again.

use super::agents::KnownAgent;
use super::drive::Part;
use super::{Answer, Effect, Event, Step};
use crate::load::{Loaded, Shared, load_sharing};
use crate::paths::Env;
use crate::time::Millis;
use crate::world::{FileRead, KeychainItem, World};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A load in progress.
#[derive(Debug)]
pub(crate) struct Look {
    env: Env,
    agent: Option<String>,
    files: BTreeMap<String, FileRead>,
    /// The Keychain items answered so far (`None`: no such item).
    items: BTreeMap<KeychainItem, Option<FileRead>>,
    /// Whether this command may read Keychain items at all: each read can
    /// show a macOS prompt, so a command nobody answers never asks.
    keychain: bool,
    /// The item of the last [`Effect::ReadKeychain`], which the next
    /// [`Answer::Keychain`] answers.
    asked: Option<KeychainItem>,
    /// Whether a command that stores a credential may make the agent.
    create: bool,
    /// Whether the agent is known, once the config is read; `None` until then.
    check: Option<Box<KnownAgent>>,
    /// What an earlier look of the same run read for every agent (the
    /// config, the `.env` files, other CLIs' logins): not read again.
    shared: Option<Arc<Shared>>,
    /// Whether the agent is known already (`--all-agents` found it).
    known: bool,
    /// The config as a command parsed it already, by its path
    /// ([`Look::parsed_config`]).
    parsed: Option<(String, Arc<crate::config::ConfigRead>)>,
}

/// A finished look: the load, the Keychain items as read (a write-back
/// merges into them) and the store's bytes as read (a later read that
/// finds the same bytes need not be parsed again).
#[derive(Debug)]
pub(crate) struct Looked {
    pub loaded: Loaded,
    pub keychain: BTreeMap<KeychainItem, FileRead>,
    pub store_bytes: Option<Vec<u8>>,
    /// What this look read for every agent, for the next agent's look.
    pub shared: Arc<Shared>,
}

impl Look {
    /// A look that reads no Keychain item; see [`Look::reading_keychain`].
    pub(crate) fn new(env: &Env, agent: Option<&str>) -> Look {
        Look {
            env: env.clone(),
            agent: agent.map(str::to_string),
            files: BTreeMap::new(),
            items: BTreeMap::new(),
            keychain: false,
            asked: None,
            create: false,
            check: None,
            shared: None,
            known: false,
            parsed: None,
        }
    }

    /// The same look, over what an earlier look of the same run read for
    /// every agent ([`Looked::shared`], made with the same environment and
    /// the same Keychain rule): only the agent's own files are read.
    pub(crate) fn sharing(mut self, shared: Option<Arc<Shared>>) -> Look {
        self.shared = shared;
        self
    }

    /// The same look, with files the command read already (the config, as
    /// `--all-agents` read it to find the agents): they are not asked for
    /// again.
    pub(crate) fn answered(mut self, files: impl IntoIterator<Item = (String, FileRead)>) -> Look {
        self.files.extend(files);
        self
    }

    /// The same look, with the config as the command parsed it from the
    /// bytes it hands in with [`Look::answered`] (`--all-agents`, to find
    /// the agents): the load takes it instead of parsing them again.
    pub(crate) fn parsed_config(mut self, parsed: Option<(String, Arc<crate::config::ConfigRead>)>) -> Look {
        self.parsed = parsed;
        self
    }

    /// The same look, for an agent known to exist (`--all-agents` found
    /// it among the config's or the folders): it is not looked up again.
    pub(crate) fn known_agent(mut self, known: bool) -> Look {
        self.known = known;
        self
    }

    /// The same look, for a command that may make the agent it was given
    /// (`--create-agent`); others refuse an unknown one.
    pub(crate) fn creating_agent(mut self, create: bool) -> Look {
        self.create = create;
        self
    }

    /// The same look, asking for the login sources' Keychain items when
    /// `may` (the command's decision, see [`super::keychain_tests`]).
    pub(crate) fn reading_keychain(mut self, may: bool) -> Look {
        self.keychain = may;
        self
    }
}

#[derive(Default)]
struct Missing {
    items: BTreeSet<KeychainItem>,
    paths: BTreeSet<String>,
}

impl Part for Look {
    type Out = Looked;

    /// Takes the answer to this look's last effect; anything else is not
    /// for a look and is ignored.
    fn feed(&mut self, now: Millis, input: Answer) {
        if let Some(check) = &mut self.check {
            return check.feed(now, input);
        }
        match input {
            Answer::Files(files) => self.files.extend(files),
            Answer::Keychain(read) => {
                if let Some(item) = self.asked.take() {
                    self.items.insert(item, read);
                }
            }
            _ => {}
        }
    }

    fn next(&mut self, now: Millis) -> Step<Looked> {
        let items = (self.keychain && self.env.keychain_in_use()).then_some(&self.items);
        let world = Fed { files: &self.files, items, missing: RefCell::default() };
        let (agent, shared) = (self.agent.as_deref(), self.shared.as_ref());
        let (loaded, shared) = load_sharing(&world, &self.env, now, agent, shared, self.parsed.as_ref());
        let Missing { items, paths } = world.missing.into_inner();
        if let Some(item) = items.into_iter().next() {
            // Asked once; an answer that never comes reads as "none".
            self.items.insert(item.clone(), None);
            self.asked = Some(item.clone());
            return Step::Effect(Effect::read_keychain(item));
        }
        if !paths.is_empty() {
            // A path the host was asked for and did not answer reads as
            // absent, so a careless host cannot make a look ask forever.
            for path in &paths {
                self.files.insert(path.clone(), FileRead::Absent);
            }
            return Step::Effect(Effect::read(paths.into_iter().collect()));
        }
        let agent = self.agent.as_deref().filter(|_| !self.known);
        let check = self
            .check
            .get_or_insert_with(|| Box::new(KnownAgent::new(&self.env, &loaded.config.config, agent, self.create)));
        match check.next(now) {
            Step::Effect(effect) => return Step::Effect(effect),
            // A part ends the whole command by asking for its end.
            Step::Ready(Err(refused)) => return Step::Effect(Effect::Done(*refused)),
            Step::Ready(Ok(())) => {}
        }
        let store_bytes = match self.files.remove(&loaded.locations.store()) {
            Some(FileRead::Present { bytes, .. }) => Some(bytes),
            _ => None,
        };
        let keychain =
            std::mem::take(&mut self.items).into_iter().filter_map(|(item, read)| Some((item, read?))).collect();
        Step::Ready(Looked { loaded, keychain, store_bytes, shared })
    }
}

/// The files handed in so far; what is not there is noted and reads as
/// absent for this round. `items`: the Keychain items answered so far,
/// `None` when the command reads none.
struct Fed<'a> {
    files: &'a BTreeMap<String, FileRead>,
    items: Option<&'a BTreeMap<KeychainItem, Option<FileRead>>>,
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

    fn knows(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    fn keychain(&self, item: &KeychainItem) -> Option<FileRead> {
        match self.items?.get(item) {
            Some(read) => read.clone(),
            None => {
                self.missing.borrow_mut().items.insert(item.clone());
                None
            }
        }
    }
}

/// Keeps what a run shares across its agents' looks true to the disk: a
/// write or removal of a file it was read from (`effect`, on its way to
/// the host) drops it, so the next look reads again; a write of the
/// default agent's store drops only that store as inherited.
pub(crate) fn keep_shared_fresh(shared: &mut Option<Arc<Shared>>, effect: &Effect) {
    let path = match effect {
        Effect::WriteAtomic { path, .. } | Effect::Remove { path, .. } => path,
        Effect::WriteBack { write, .. } => match &write.place {
            super::WriteBackPlace::File { path } => path,
            // A Keychain item a look read from.
            super::WriteBackPlace::Keychain(_) | super::WriteBackPlace::SealedKeychain(_) => {
                *shared = None;
                return;
            }
        },
        _ => return,
    };
    match shared.as_deref() {
        Some(s) if s.read_from(path) => *shared = None,
        Some(s) if s.owner_at(path) => *shared = Some(Arc::new(s.without_owner())),
        _ => {}
    }
}

/// The notices of a load whose changes a command tried to save (a
/// [`super::settle::Settle`]'s): each change says whether it was saved
/// ([`crate::doctor::change_notes`]), then the diagnostics, then why the
/// save failed. The one way a load's changes are announced, so no command
/// says "synced" of a change it did not save (issue 23 item 14).
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
