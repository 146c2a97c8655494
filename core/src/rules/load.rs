//! Loading an agent's credentials: the store, what other CLIs have, legacy
//! files, and what to write back (spec §2.1, A08-A15).
//!
//! The load decides; the host applies. It returns the store as the rules
//! should see it plus the effects (the new store text, files to remove
//! after that write succeeded). A store that cannot be read is reported and
//! never rewritten: sync still runs in memory so that Claude Code's login
//! shows, but nothing is written over the broken file.

use crate::config::{ConfigRead, parse_config};
use crate::diag::{Diagnostic, Severity};
use crate::dotenv::{self, Applied};
use crate::io::IoKind;
use crate::logins::{Elsewhere, LinkedRead, LoginSource, Placed, SourceRead};
use crate::paths::{self, Env, Locations};
use crate::sources::{EndedLogin, ExternalLogin, legacy};
use crate::store::{AuthStore, Inherited, parse_store, write_store};
use crate::sync::{ChangeKind, SyncChange, sync_external};
use crate::time::Millis;
use crate::world::{FileRead, KeychainItem, World};
use std::sync::Arc;

/// What became of `auth-profiles.json` in this load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreState {
    /// auth-profiles.json was read.
    Found,
    /// There is none (yet).
    Missing,
    /// It exists and cannot be used; it must not be overwritten.
    Unreadable,
}

/// Everything one load of an agent read, and what it would write: the input of
/// every report and command.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The load's clock, ms since the epoch; every rule judges against it.
    pub now: Millis,
    /// The environment the host handed in.
    pub env: Env,
    /// Where every file was looked for.
    pub locations: Locations,
    /// The config as read, with its diagnostics (shared by every agent a
    /// run loads: `--all-agents` parses it once).
    pub config: Arc<ConfigRead>,
    /// The store as the rules see it (after sync and migration).
    pub store: AuthStore,
    /// Whether the store was found, absent or unusable.
    pub store_state: StoreState,
    /// What the external-login sync and legacy migration changed in `store`.
    pub changes: Vec<SyncChange>,
    /// The logins other CLIs found ended for good (Claude Code's dead-login
    /// stub), whose profiles the operator has not removed: never synced,
    /// and reported as sign-ins that ended.
    pub ended: Vec<EndedLogin>,
    /// New text for the store file, when something changed and it may be written.
    pub write: Option<String>,
    /// Files to delete once `write` has been persisted.
    pub remove_after_write: Vec<String>,
    /// Every problem found in the files read, in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// Google ADC credentials and project/location are all present.
    pub gcloud_adc: bool,
    /// The variables `./.env` and `<stateDir>/.env` added to [`Loaded::env`].
    pub dotenv: Applied,
    /// The variables the shell-env fallback imported into [`Loaded::env`]
    /// (A32), so that a key found there is labelled `shell env: VAR` (A31).
    pub shell_applied: Vec<String>,
    /// The login sources holding a login the sync left out, because
    /// `models auth remove` took its profile out (`syncDisabled`).
    pub held_out: Vec<&'static crate::logins::LoginSource>,
    /// What each profile's SecretRef resolved to: the load decides what
    /// needs no host (env refs), a flow the rest (`flow/parts/refs.rs`); a
    /// ref without an entry was not checked.
    pub refs: crate::secret_refs::RefStates,
    /// Logins other tools keep where this host cannot read them (Codex's
    /// keyring): what status and doctor say instead of "missing".
    pub elsewhere: Vec<Elsewhere>,
    /// Which env-probed providers [`Loaded::env`] holds keys for, as the
    /// run found them once for all its agents (the report probes again
    /// when `env` is no longer the one probed).
    pub env_probe: Option<Arc<crate::env_auth::EnvProbe>>,
}

impl Loaded {
    /// The one verdict on the stored profile `id` by `rules`
    /// (`health::assess` over this load's records: its refusals,
    /// backoffs, SecretRefs and the sign-ins other CLIs found ended);
    /// `None` when the store has no such profile.
    pub fn assess(&self, id: &str, rules: crate::health::HealthRules) -> Option<crate::health::ProfileHealth> {
        let profile = self.store.profile(id)?;
        let (config, refs) = (&self.config.config, &self.refs);
        Some(crate::health::assess(config, refs, &self.store, &self.ended, id, profile, self.now, rules))
    }

    /// A file's path as messages show it.
    pub fn show(&self, path: &str) -> String {
        self.env.shorten(path)
    }

    /// Whether a file Clawdbot owns could not be used: `--check` says 1.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }
}

/// Loads the agent's credentials from the host's world.
pub fn load(world: &dyn World, env: &Env, now: Millis, agent: Option<&str>) -> Loaded {
    load_sharing(world, env, now, agent, None, None).0
}

/// What every agent of one run reads alike: the `.env` files and the
/// environment they make, the config, the logins other CLIs hold, Google's
/// ADC, and (once an agent inherited from it) the default agent's store
/// as the others inherit it. `--all-agents` reads and parses them once and
/// hands them to each agent's load ([`load_sharing`]) instead of reading
/// them again per agent.
#[derive(Debug)]
pub struct Shared {
    /// The environment with what the `.env` files add.
    env: Env,
    dotenv: Applied,
    dotenv_diagnostics: Vec<Diagnostic>,
    config: Arc<ConfigRead>,
    /// Where the default agent's files are.
    default: Locations,
    logins: Vec<ExternalLogin>,
    elsewhere: Vec<Elsewhere>,
    login_diagnostics: Vec<Diagnostic>,
    ended: Vec<EndedLogin>,
    gcloud_adc: bool,
    /// The env-probed providers `env` holds keys for.
    env_probe: Arc<crate::env_auth::EnvProbe>,
    /// Whether one of these reads was beyond reach ([`Reachable`]).
    skipped: bool,
    /// Every file these were read from (a write to one makes them stale).
    paths: Vec<String>,
    /// The default agent's store as another agent inherits it, once read.
    owner: Option<OwnerStore>,
}

/// The default agent's store as read for inheriting: the logins synced in,
/// or why nothing can be inherited from it.
#[derive(Debug)]
struct OwnerStore {
    path: String,
    /// The default agent's id.
    from: String,
    store: Result<AuthStore, String>,
    skipped: bool,
}

impl Shared {
    /// Whether writing `path` makes these stale: it is one of the files
    /// read.
    pub(crate) fn read_from(&self, path: &str) -> bool {
        self.paths.iter().any(|p| p == path)
    }

    /// Whether writing `path` makes the default agent's store as inherited
    /// stale.
    pub(crate) fn owner_at(&self, path: &str) -> bool {
        self.owner.as_ref().is_some_and(|o| o.path == path)
    }

    /// The same, without the default agent's store (it is read again).
    pub(crate) fn without_owner(&self) -> Shared {
        Shared { owner: None, ..self.clone_parts() }
    }

    fn clone_parts(&self) -> Shared {
        Shared {
            env: self.env.clone(),
            dotenv: self.dotenv.clone(),
            dotenv_diagnostics: self.dotenv_diagnostics.clone(),
            config: Arc::clone(&self.config),
            default: self.default.clone(),
            logins: self.logins.clone(),
            elsewhere: self.elsewhere.clone(),
            login_diagnostics: self.login_diagnostics.clone(),
            ended: self.ended.clone(),
            gcloud_adc: self.gcloud_adc,
            env_probe: Arc::clone(&self.env_probe),
            skipped: self.skipped,
            paths: self.paths.clone(),
            owner: None,
        }
    }
}

/// [`load`], with what an earlier load of the same run read for every
/// agent (`shared`, which must come from a load of the same environment
/// that read the Keychain alike); returns the load and what it shares, to
/// hand to the next agent's load.
pub(crate) fn load_sharing(
    world: &dyn World,
    env: &Env,
    now: Millis,
    agent: Option<&str>,
    shared: Option<&Arc<Shared>>,
    parsed: Option<&(String, Arc<ConfigRead>)>,
) -> (Loaded, Arc<Shared>) {
    let reachable = Reachable { world, env, skipped: std::cell::Cell::new(false) };
    let shared = match shared {
        Some(shared) => Arc::clone(shared),
        None => {
            let noted = Noted { world: &reachable, paths: Default::default() };
            let mut shared = read_shared(&noted, env, now, parsed);
            shared.skipped = reachable.skipped.replace(false);
            shared.paths = noted.paths.into_inner();
            Arc::new(shared)
        }
    };
    let (mut loaded, owner) = load_agent(&reachable, &shared, now, agent);
    let skipped = reachable.skipped.get() || shared.skipped || owner.as_ref().is_some_and(|o| o.skipped);
    let shared = match owner {
        Some(owner) => Arc::new(Shared { owner: Some(owner), ..shared.clone_parts() }),
        None => shared,
    };
    // Said once, instead of once per file under it.
    if skipped {
        for folder in [paths::unusable_state_dir(env), paths::unreachable_home(env)].into_iter().flatten() {
            let severity = if folder.state { Severity::Error } else { Severity::Warning };
            let hint = folder.fix();
            let diagnostic = Diagnostic::new(severity, folder.path.as_str(), folder.problem()).with_hint(hint);
            loaded.diagnostics.insert(0, diagnostic);
            if folder.state && loaded.store_state == StoreState::Missing {
                loaded.store_state = StoreState::Unreadable;
                loaded.write = None;
                loaded.remove_after_write.clear();
            }
        }
    }
    (loaded, shared)
}

/// The host's world, where nothing under a folder the host found not to be
/// one ([`Env::not_folders`]: HOME or the state folder naming a file) is
/// read: no file can be there, so each is absent, and the folder is said
/// once by [`load`] (issue 23 item 12).
struct Reachable<'a> {
    world: &'a dyn World,
    env: &'a Env,
    skipped: std::cell::Cell<bool>,
}

impl World for Reachable<'_> {
    fn read(&self, path: &str) -> FileRead {
        if self.env.beyond_reach(path).is_some() {
            self.skipped.set(true);
            return FileRead::Absent;
        }
        self.world.read(path)
    }

    fn keychain(&self, item: &crate::world::KeychainItem) -> Option<FileRead> {
        self.world.keychain(item)
    }

    fn knows(&self, path: &str) -> bool {
        self.env.beyond_reach(path).is_some() || self.world.knows(path)
    }
}

/// A world that notes which files were read.
struct Noted<'a> {
    world: &'a dyn World,
    paths: std::cell::RefCell<Vec<String>>,
}

impl World for Noted<'_> {
    fn read(&self, path: &str) -> FileRead {
        self.paths.borrow_mut().push(path.to_string());
        self.world.read(path)
    }

    fn keychain(&self, item: &crate::world::KeychainItem) -> Option<FileRead> {
        self.world.keychain(item)
    }

    fn knows(&self, path: &str) -> bool {
        self.world.knows(path)
    }
}

/// What every agent reads alike (see [`Shared`]).
/// `parsed`: the config at a path as the command parsed it already, from
/// the bytes the world hands in for that path (`--all-agents`).
fn read_shared(world: &dyn World, env: &Env, now: Millis, parsed: Option<&(String, Arc<ConfigRead>)>) -> Shared {
    let mut dotenv_diagnostics = Vec::new();
    let (env, dotenv) = with_dotenv(world, env, &mut dotenv_diagnostics);
    let config_path = paths::config_path(&env);
    let show = |p: &str| env.shorten(p);
    let parsed = parsed.filter(|(path, _)| *path == config_path).map(|(_, config)| config);
    let config = match (world.read(&config_path), parsed) {
        (FileRead::Present { .. }, Some(parsed)) => Arc::clone(parsed),
        (read, _) => Arc::new(parse_read_config(read, &show(&config_path))),
    };
    let mut login_diagnostics = Vec::new();
    let Found { logins, elsewhere, ended } = external_logins(world, &env, now, &mut login_diagnostics);
    let gcloud_adc = gcloud_adc(world, &env);
    let default = paths::locate(&env, &config.config, None);
    let env_probe = Arc::new(crate::env_auth::EnvProbe::of(&env, gcloud_adc));
    Shared {
        env,
        dotenv,
        dotenv_diagnostics,
        config,
        default,
        logins,
        elsewhere,
        login_diagnostics,
        ended,
        gcloud_adc,
        env_probe,
        skipped: false,
        paths: Vec::new(),
        owner: None,
    }
}

/// The config as `read` from its file (`shown` as messages show it).
fn parse_read_config(read: FileRead, shown: &str) -> ConfigRead {
    match read {
        FileRead::Absent => ConfigRead::default(),
        FileRead::Present { bytes, .. } => parse_config(&bytes, shown),
        FileRead::Unreadable(reason) => ConfigRead {
            diagnostics: vec![Diagnostic::new(Severity::Error, shown, format!("cannot be read: {reason}"))],
            unreadable: true,
            ..ConfigRead::default()
        },
    }
}

/// One agent's load over what the run shares; the default agent's store as
/// inherited, when this load read it (it was not shared yet).
fn load_agent(world: &dyn World, shared: &Shared, now: Millis, agent: Option<&str>) -> (Loaded, Option<OwnerStore>) {
    let env = &shared.env;
    let config = &shared.config;
    let show = |p: &str| env.shorten(p);
    // Every agent of the run is where the default agent's locations say,
    // but for its own folder.
    let locations = paths::locate_from(&shared.default, &config.config, agent);
    let store_path = locations.store();
    // A world fed by rounds (a flow's look) that has no answer for the
    // store yet: everything else this agent reads depends on it, so this
    // round only asks for it, and the load is made once it is known.
    if !world.knows(&store_path) {
        let _ = world.read(&store_path);
        return (unfinished(shared, locations, now), None);
    }
    let mut diagnostics = shared.dotenv_diagnostics.clone();
    diagnostics.extend(config.diagnostics.iter().cloned());
    let mut changes = Vec::new();
    let mut remove_after_write = Vec::new();

    let (mut store, store_state) = match world.read(&store_path) {
        FileRead::Present { bytes, .. } => match parse_store(&bytes, &show(&store_path)) {
            Ok((store, diags)) => {
                diagnostics.extend(diags);
                (store, StoreState::Found)
            }
            Err(e) => {
                let mut d = e.in_file(&show(&store_path), Severity::Error).with_hint(STORE_HINT);
                d.message.push_str("; the file was left as it is");
                diagnostics.push(d);
                (AuthStore::default(), StoreState::Unreadable)
            }
        },
        FileRead::Unreadable(reason) => {
            diagnostics.push(
                Diagnostic::new(Severity::Error, show(&store_path), format!("cannot be read: {reason}"))
                    .with_hint(STORE_HINT),
            );
            (AuthStore::default(), StoreState::Unreadable)
        }
        FileRead::Absent => (AuthStore::default(), StoreState::Missing),
    };

    if store_state == StoreState::Missing {
        migrate_legacy(world, &locations, env, &mut store, &mut changes, &mut remove_after_write, &mut diagnostics);
    }

    let owner = paths::inherits_from(&config.config, &locations, &shared.default).then_some(&shared.default);
    let mut ended = shared.ended.clone();
    diagnostics.extend(shared.login_diagnostics.iter().cloned());
    let found = &shared.logins;
    // The default agent owns the logins; any other keeps updating only the
    // copies an earlier sync left in its own store, and adds none.
    let owns = locations.agent_id == paths::agent_id(&config.config, None);
    // A login the sync leaves out because `models auth remove` took its
    // profile out: a new login in that tool never appears, so status,
    // list and doctor say why (issue 23 item 11).
    let held_out = if owns { crate::sync::held_out(&store, found) } else { Vec::new() };
    for source in &held_out {
        let note = Diagnostic::new(Severity::Info, show(&store_path), crate::sync::held_out_words(source));
        diagnostics.push(note.with_hint(source.enable_hint()));
    }
    let synced = match owns {
        true => sync_external(&mut store, found),
        false => {
            let copies: Vec<ExternalLogin> =
                found.iter().filter(|l| store.profiles.contains_key(l.profile_id)).cloned().collect();
            sync_external(&mut store, &copies)
        }
    };
    // A sign-in that ended is this agent's news when the login is: it owns
    // it, inherits it, or holds a copy; and the operator has not removed it.
    ended.retain(|e| {
        (owns || owner.is_some() || store.profiles.contains_key(e.profile_id))
            && !crate::sync::sync_disabled(&store, e.profile_id)
    });
    // A login synced in with another refresh token is a new login: a
    // refusal recorded for the old token goes with it.
    for change in &synced {
        crate::rejection::forget_stale(&mut store, &change.profile_id);
    }
    changes.extend(synced);

    let write = match (store_state != StoreState::Unreadable && !changes.is_empty()).then(|| write_store(&store)) {
        Some(Ok(text)) => Some(text),
        Some(Err(refused)) => {
            diagnostics.push(Diagnostic::new(Severity::Warning, show(&store_path), format!("not saved: {refused}")));
            None
        }
        None => None,
    };
    if write.is_none() {
        remove_after_write.clear();
    }
    let mut read_owner = None;
    if let Some(owner) = owner {
        let path = owner.store();
        let theirs = match shared.owner.as_ref().filter(|o| o.path == path) {
            Some(theirs) => theirs,
            None => read_owner.insert(owner_store(world, env, owner, found)),
        };
        inherit(env, theirs, &mut store, &mut diagnostics);
    }
    let mut loaded = Loaded {
        now,
        env: env.clone(),
        locations,
        config: Arc::clone(config),
        store,
        store_state,
        changes,
        ended,
        write,
        remove_after_write,
        diagnostics,
        gcloud_adc: shared.gcloud_adc,
        dotenv: shared.dotenv.clone(),
        shell_applied: Vec::new(),
        held_out,
        refs: Default::default(),
        elsewhere: shared.elsewhere.clone(),
        env_probe: Some(Arc::clone(&shared.env_probe)),
    };
    // What needs no host is decided here, so every host reports it alike:
    // env refs, malformed refs, exec refs not run. A file or exec ref
    // stays unchecked until a flow resolves it (`flow/parts/refs.rs`).
    let secrets = &loaded.config.config.secrets;
    loaded.refs = crate::secret_refs::plan(&loaded.store, secrets, &loaded.env, false).decided;
    (loaded, read_owner)
}

/// A load that is not done: the round of a look that asked for the store
/// and will load again once it has it (nothing reads this one).
fn unfinished(shared: &Shared, locations: Locations, now: Millis) -> Loaded {
    Loaded {
        now,
        env: shared.env.clone(),
        locations,
        config: Arc::clone(&shared.config),
        store: AuthStore::default(),
        store_state: StoreState::Missing,
        changes: Vec::new(),
        ended: Vec::new(),
        write: None,
        remove_after_write: Vec::new(),
        diagnostics: Vec::new(),
        gcloud_adc: shared.gcloud_adc,
        dotenv: shared.dotenv.clone(),
        shell_applied: Vec::new(),
        held_out: Vec::new(),
        refs: Default::default(),
        elsewhere: Vec::new(),
        env_probe: None,
    }
}

/// The default agent's store as another agent inherits it: read, with the
/// logins synced in (in memory: the owner's own commands save them), or
/// why it cannot be inherited.
fn owner_store(world: &dyn World, env: &Env, owner: &Locations, found: &[ExternalLogin]) -> OwnerStore {
    let path = owner.store();
    let shown = env.shorten(&path);
    let probe = Reachable { world, env, skipped: std::cell::Cell::new(false) };
    let store = match probe.read(&path) {
        FileRead::Present { bytes, .. } => match parse_store(&bytes, &shown) {
            // Its own findings are its agent's to report.
            Ok((mut theirs, _)) => {
                sync_external(&mut theirs, found);
                Ok(theirs)
            }
            Err(e) => Err(e.to_string()),
        },
        FileRead::Unreadable(reason) => Err(format!("cannot be read: {reason}")),
        FileRead::Absent => {
            let mut theirs = AuthStore::default();
            sync_external(&mut theirs, found);
            Ok(theirs)
        }
    };
    OwnerStore { path, from: owner.agent_id.clone(), store, skipped: probe.skipped.get() }
}

/// Adds the owner's profiles (with the logins synced in, in memory: the
/// owner's own commands save them) under `store`'s own, each id this
/// agent does not hold itself, nor removed from its sync. Nothing of them
/// is ever written to this agent's file ([`AuthStore::inherited`]).
fn inherit(env: &Env, owner: &OwnerStore, store: &mut AuthStore, diagnostics: &mut Vec<Diagnostic>) {
    let theirs = match &owner.store {
        Ok(theirs) => theirs,
        Err(why) => {
            let shown = env.shorten(&owner.path);
            diagnostics.push(Diagnostic::new(
                Severity::Warning,
                shown,
                format!("{why}; this agent inherits nothing from it"),
            ));
            return;
        }
    };
    let mut inherited = Inherited { from: owner.from.clone(), ..Inherited::default() };
    for (id, profile) in &theirs.profiles {
        if store.profiles.get(id).is_some_and(|own| own.credential == profile.credential) {
            inherited.copies.push(id.clone());
            continue;
        }
        if !store.profiles.contains_key(id) && !crate::sync::sync_disabled(store, id) {
            store.profiles.insert(id.clone(), profile.clone());
            inherited.profiles.insert(id.clone(), profile.clone());
        }
    }
    store.inherited = Some(inherited);
}

/// `env` with what `./.env` and then `<stateDir>/.env` add, as the gateway
/// loads them at start (never overriding a variable already set). The
/// state folder is the one the first file may have moved.
fn with_dotenv(world: &dyn World, env: &Env, diagnostics: &mut Vec<Diagnostic>) -> (Env, Applied) {
    let mut env = env.clone();
    let mut applied = Applied::default();
    let in_cwd = env.cwd.as_deref().map(|cwd| paths::join(cwd, ".env"));
    if let Some(path) = &in_cwd {
        read_dotenv(world, path, &mut env, &mut applied, diagnostics);
    }
    let in_state_dir = paths::join(&paths::state_dir(&env), ".env");
    if in_cwd.as_ref() != Some(&in_state_dir) {
        read_dotenv(world, &in_state_dir, &mut env, &mut applied, diagnostics);
    }
    (env, applied)
}

fn read_dotenv(world: &dyn World, path: &str, env: &mut Env, applied: &mut Applied, diagnostics: &mut Vec<Diagnostic>) {
    let shown = env.shorten(path);
    match world.read(path) {
        FileRead::Present { bytes, .. } => {
            let file = dotenv::parse(&bytes, &shown);
            diagnostics.extend(file.diagnostics.iter().cloned());
            diagnostics.extend(crate::env_auth::apply_dotenv(env, &file, path, &shown, applied));
        }
        FileRead::Unreadable(reason) => diagnostics.push(unreadable(env, path, &reason)),
        FileRead::Absent => {}
    }
}

/// The legacy per-agent auth.json and credentials/oauth.json, consulted
/// only when there is no store at all (A10).
fn migrate_legacy(
    world: &dyn World,
    locations: &Locations,
    env: &Env,
    store: &mut AuthStore,
    changes: &mut Vec<SyncChange>,
    remove_after_write: &mut Vec<String>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let legacy_path = locations.legacy_store();
    if let FileRead::Present { bytes, .. } = world.read(&legacy_path) {
        match legacy::read_legacy_store(&bytes, &env.shorten(&legacy_path)) {
            Ok(Some(profiles)) => {
                for (id, profile) in profiles {
                    changes.push(SyncChange {
                        profile_id: id.clone(),
                        kind: ChangeKind::MigratedLegacy,
                        origin: env.shorten(&legacy_path),
                    });
                    store.profiles.insert(id, profile);
                }
                remove_after_write.push(legacy_path);
            }
            Ok(None) => {}
            Err(mut d) => {
                d.message.push_str("; not migrated, left as it is");
                diagnostics.push(d);
            }
        }
    }
    let oauth_path = &locations.oauth_json;
    if let FileRead::Present { bytes, .. } = world.read(oauth_path) {
        let (entries, diags) = legacy::read_oauth_json(&bytes, &env.shorten(oauth_path));
        diagnostics.extend(diags);
        for (id, profile) in entries {
            if store.profiles.contains_key(&id) {
                continue;
            }
            changes.push(SyncChange {
                profile_id: id.clone(),
                kind: ChangeKind::ImportedOAuthJson,
                origin: env.shorten(oauth_path),
            });
            store.profiles.insert(id, profile);
        }
    }
}

/// What to do about a store that cannot be read.
const STORE_HINT: &str = "Fix the file (or move it away to start over); Clawdbot never writes over it.";

/// What the other tools' logins are.
#[derive(Debug, Default)]
pub struct Found {
    /// The logins read, ready to sync.
    pub logins: Vec<ExternalLogin>,
    /// The logins kept where this host cannot read them.
    pub elsewhere: Vec<Elsewhere>,
    /// The sign-ins a source found ended for good.
    pub ended: Vec<EndedLogin>,
}

/// The logins of every [`crate::logins::LOGIN_SOURCES`] entry, in registry
/// order: a source's Keychain item first when it has one, else its file,
/// unless the tool's own settings keep the login elsewhere
/// ([`crate::logins::Placement`]). A stub in a source's Keychain item is
/// what the tool itself reads, so its file (an older copy) is then not
/// consulted.
pub fn external_logins(world: &dyn World, env: &Env, now: Millis, diagnostics: &mut Vec<Diagnostic>) -> Found {
    let mut found = Found::default();
    for source in crate::logins::LOGIN_SOURCES {
        // A login, or the sign-in the source found ended, or nothing.
        let take = |read: SourceRead, diagnostics: &mut Vec<Diagnostic>| match read {
            SourceRead::Login(l, diags) => {
                diagnostics.extend(diags);
                (Some(l), None)
            }
            SourceRead::Broken(d) | SourceRead::NoLogin(d) => {
                diagnostics.push(d.with_hint(source.ignored_hint));
                (None, None)
            }
            SourceRead::Ended(e, d) => {
                diagnostics.push(d);
                (None, Some(e))
            }
        };
        let (mut login, mut signed_out) = (None, None);
        if let Some(keychain) = &source.keychain {
            let item = keychain.item(env);
            match world.keychain(&item) {
                Some(FileRead::Present { bytes, .. }) => {
                    let text = (keychain.decode)(&String::from_utf8_lossy(&bytes));
                    let read = |text: &str, diagnostics: &mut Vec<Diagnostic>| {
                        take((source.read)(text.as_bytes(), keychain.origin, None, now), diagnostics)
                    };
                    match follow_linked(world, keychain, &item, text) {
                        LinkedRead::Whole(text) => (login, signed_out) = read(&text, diagnostics),
                        LinkedRead::Partial(text, lost) => {
                            diagnostics.push(lost);
                            (login, signed_out) = read(&text, diagnostics);
                        }
                        LinkedRead::Unusable(d) => diagnostics.push(d.with_hint(source.ignored_hint)),
                    }
                }
                Some(FileRead::Unreadable(reason)) => diagnostics.push(
                    Diagnostic::new(Severity::Warning, keychain.origin, format!("cannot be read: {reason}")).with_hint(
                        "Allow access when macOS asks, or unlock the login keychain, and run the command again.",
                    ),
                ),
                Some(FileRead::Absent) | None => {}
            }
        }
        let (placed, settings) = placement(world, env, source, diagnostics);
        let (read_file, mut elsewhere) = match placed {
            Placed::File(problem) => {
                diagnostics.extend(problem);
                (true, None)
            }
            Placed::FileElse(e) => (true, Some(e)),
            Placed::Elsewhere(e) => (false, Some(e)),
        };
        if login.is_none() && signed_out.is_none() && read_file {
            let path = source.file(env);
            match world.read(&path) {
                FileRead::Present { bytes, mtime_ms } => {
                    // The tool falls back on its file: that is its login.
                    elsewhere = None;
                    (login, signed_out) = take((source.read)(&bytes, &env.shorten(&path), mtime_ms, now), diagnostics);
                }
                FileRead::Unreadable(reason) => diagnostics.push(unreadable(env, &path, &reason)),
                FileRead::Absent => {}
            }
        }
        if let Some(e) = elsewhere.filter(|_| login.is_none() && signed_out.is_none()) {
            diagnostics.push(elsewhere_note(&settings, &e));
            found.elsewhere.push(e);
        }
        found.logins.extend(login);
        found.ended.extend(signed_out);
    }
    found
}

/// Where `source`'s own settings keep its login, and the settings file as
/// messages name it; its credentials file when it has no such settings.
fn placement(
    world: &dyn World,
    env: &Env,
    source: &LoginSource,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Placed, String) {
    let Some(placement) = source.placement else { return (Placed::File(None), String::new()) };
    let dir = source.dir(env);
    let path = paths::join(&dir, placement.file);
    let shown = env.shorten(&path);
    let placed = match world.read(&path) {
        FileRead::Present { bytes, .. } => (placement.read)(&bytes, &shown, &dir, &env.shorten(&dir)),
        FileRead::Unreadable(reason) => {
            diagnostics.push(unreadable(env, &path, &reason));
            Placed::File(None)
        }
        FileRead::Absent => Placed::File(None),
    };
    (placed, shown)
}

/// The note that a tool keeps its login where this host cannot read it,
/// on its settings file (`settings`) and setting.
fn elsewhere_note(settings: &str, e: &Elsewhere) -> Diagnostic {
    Diagnostic::new(Severity::Info, settings, e.message.clone()).at(e.setting).with_hint(e.hint.clone())
}

/// The document of a Keychain item `item` whose decoded secret is `text`:
/// with the second item it points at joined in, when the source has one
/// ([`crate::logins::Linked`], Claude Code's overflow). That item is read
/// through `world` like the first, so a look asks the host for it next.
fn follow_linked(
    world: &dyn World,
    keychain: &crate::logins::Keychain,
    item: &KeychainItem,
    text: String,
) -> LinkedRead {
    let Some(linked) = keychain.linked else { return LinkedRead::Whole(text) };
    let Some(other) = (linked.item)(&text, item) else { return LinkedRead::Whole(text) };
    let read = world.keychain(&other).unwrap_or(FileRead::Absent);
    (linked.join)(&text, &read, keychain.origin, &other)
}

/// Another tool's file that exists but cannot be read: worth a warning, not
/// an error, since Clawdbot's own files may still be fine.
fn unreadable(env: &Env, path: &str, reason: &IoKind) -> Diagnostic {
    Diagnostic::new(Severity::Warning, env.shorten(path), format!("cannot be read: {reason}"))
}

/// pi-ai's ADC probe for google-vertex: a credentials file plus a project
/// and a location. The file is looked for only when the variables are set.
/// The Google Cloud project gcloud's ADC is for, in the order read.
pub const GCLOUD_PROJECT_ENV: [&str; 2] = ["GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT"];
/// The Google Cloud location; without it ADC is not used.
pub const GCLOUD_LOCATION_ENV: &str = "GOOGLE_CLOUD_LOCATION";
/// The ADC file, when not gcloud's default.
pub const GCLOUD_CREDENTIALS_ENV: &str = "GOOGLE_APPLICATION_CREDENTIALS";

fn gcloud_adc(world: &dyn World, env: &Env) -> bool {
    let project = GCLOUD_PROJECT_ENV.iter().find_map(|name| env.get(name));
    if project.is_none() || env.get(GCLOUD_LOCATION_ENV).is_none() {
        return false;
    }
    let file = match env.get(GCLOUD_CREDENTIALS_ENV) {
        Some(p) => env.resolve(p),
        None => paths::join(&env.home, ".config/gcloud/application_default_credentials.json"),
    };
    matches!(world.read(&file), FileRead::Present { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Credential;
    use crate::world::MapWorld;

    const NOW: Millis = 1767225600000;
    const STORE: &str = "/h/.clawdbot/agents/main/agent/auth-profiles.json";

    fn world(files: &[(&str, &str)]) -> MapWorld {
        let mut w = MapWorld::default();
        for (p, t) in files {
            w.files.insert(p.to_string(), FileRead::text(*t));
        }
        w
    }

    #[test]
    fn an_unreadable_store_is_reported_and_never_written() {
        let w = world(&[
            (STORE, "{\"version\": 1, \"profiles\": {"),
            (
                "/h/.claude/.credentials.json",
                r#"{"claudeAiOauth":{"accessToken":"a","refreshToken":"r","expiresAt":1769817600000}}"#,
            ),
        ]);
        let l = load(&w, &Env::new("/h"), NOW, None);
        assert_eq!(l.store_state, StoreState::Unreadable);
        assert!(l.write.is_none());
        assert!(l.has_errors());
        assert!(l.store.profiles.contains_key("anthropic:claude-cli"), "Claude Code still shows");
        assert!(l.diagnostics[0].to_string().contains("auth-profiles.json"));
    }

    #[test]
    fn legacy_is_migrated_then_removed_and_oauth_json_kept() {
        let w = world(&[
            ("/h/.clawdbot/agents/main/agent/auth.json", r#"{"anthropic":{"type":"api_key","key":"k"}}"#),
            (
                "/h/.clawdbot/credentials/oauth.json",
                r#"{"anthropic":{"access":"x"},"openai-codex":{"access":"a","refresh":"r","expires":1}}"#,
            ),
        ]);
        let l = load(&w, &Env::new("/h"), NOW, None);
        assert!(l.write.is_some());
        assert_eq!(l.remove_after_write, vec!["/h/.clawdbot/agents/main/agent/auth.json".to_string()]);
        assert!(l.store.profiles.contains_key("openai-codex:default"));
        assert_eq!(l.store.profiles["anthropic:default"].credential.kind(), crate::store::CredentialType::ApiKey);
    }

    #[test]
    fn a_healthy_store_ignores_legacy_files_and_is_not_rewritten() {
        let w = world(&[
            (STORE, r#"{"version":1,"profiles":{}}"#),
            ("/h/.clawdbot/agents/main/agent/auth.json", r#"{"anthropic":{"type":"api_key","key":"k"}}"#),
        ]);
        let l = load(&w, &Env::new("/h"), NOW, None);
        assert!(l.write.is_none());
        assert!(l.store.profiles.is_empty());
    }

    #[test]
    fn a_login_synced_with_another_refresh_token_drops_the_old_refusal() {
        let mut store = crate::store::parse_store(
            br#"{"version":1,"profiles":{"anthropic:claude-cli":{"type":"oauth","provider":"anthropic","access":"a","refresh":"r-OLD","expires":1767229200000}}}"#,
            "s",
        )
        .unwrap()
        .0;
        let old = crate::secret::Secret::new("r-OLD");
        assert!(crate::rejection::record_rejection(&mut store, "anthropic:claude-cli", &old, "invalid_grant", NOW));
        let w = world(&[
            (STORE, &crate::store::write_store(&store).unwrap()),
            (
                "/h/.claude/.credentials.json",
                r#"{"claudeAiOauth":{"accessToken":"a2","refreshToken":"r-NEW","expiresAt":1769817600000}}"#,
            ),
        ]);
        let l = load(&w, &Env::new("/h"), NOW, None);
        assert!(l.write.as_deref().is_some_and(|t| !t.contains("refreshRejected")), "{:?}", l.write);
        assert_eq!(crate::rejection::rejection_of(&l.store, "anthropic:claude-cli"), None);
    }

    /// Claude Code's item for a user with no name: the fallback account.
    fn claude_item() -> crate::world::KeychainItem {
        crate::logins::claude_code::SOURCE.keychain_item(&Env::new("/h")).expect("Claude Code has an item")
    }

    #[test]
    fn keychain_wins_over_the_file() {
        let mut w = world(&[(
            "/h/.claude/.credentials.json",
            r#"{"claudeAiOauth":{"accessToken":"file","expiresAt":1769817600000}}"#,
        )]);
        let json = r#"{"claudeAiOauth":{"accessToken":"kc","refreshToken":"r","expiresAt":1769817600000}}"#;
        w.keychain.insert(claude_item(), FileRead::text(crate::sources::claude::encode_hex(json.as_bytes())));
        let l = load(&w, &Env::new("/h"), NOW, None);
        assert_eq!(l.store.profiles["anthropic:claude-cli"].credential.kind(), crate::store::CredentialType::OAuth);
    }

    // Each test below pins a rule that a mutant once changed unnoticed
    // (issue 15).

    #[test]
    fn an_unreadable_config_is_an_error_and_the_defaults_are_used() {
        let mut w = world(&[]);
        w.files.insert("/h/.clawdbot/clawdbot.json".into(), FileRead::Unreadable(IoKind::PermissionDenied));
        let l = load(&w, &Env::new("/h"), NOW, None);
        assert!(l.config.unreadable);
        assert_eq!(
            l.diagnostics,
            [Diagnostic::new(Severity::Error, "~/.clawdbot/clawdbot.json", "cannot be read: permission denied")]
        );
        assert!(l.has_errors());
        assert_eq!(l.show("/h/.clawdbot/x"), "~/.clawdbot/x");
        assert_eq!(l.show("/elsewhere"), "/elsewhere");
    }

    #[test]
    fn a_config_s_warnings_are_the_load_s_and_not_errors() {
        let w = world(&[("/h/.clawdbot/clawdbot.json", r#"{"agents":{"defaults":{"model":42}}}"#)]);
        let l = load(&w, &Env::new("/h"), NOW, None);
        assert!(!l.config.unreadable);
        assert_eq!(l.diagnostics.len(), 1);
        assert_eq!(l.diagnostics[0].field.as_deref(), Some("agents.defaults.model"));
        assert!(!l.has_errors(), "a warning is not an error");
        let fine = load(&world(&[]), &Env::new("/h"), NOW, None);
        assert!(!fine.has_errors());
        assert_eq!(fine.store_state, StoreState::Missing);
        assert!(fine.write.is_none(), "nothing changed, nothing to write");
    }

    #[test]
    fn an_unreadable_store_or_other_tool_s_file_is_reported_by_its_path() {
        let mut w = world(&[]);
        w.files.insert(STORE.into(), FileRead::Unreadable(IoKind::PermissionDenied));
        w.files.insert("/h/.claude/.credentials.json".into(), FileRead::Unreadable(IoKind::Other { code: Some(5) }));
        w.files.insert("/h/.codex/auth.json".into(), FileRead::Unreadable(IoKind::NotRegular));
        w.keychain.insert(claude_item(), FileRead::Unreadable(IoKind::KeychainLocked));
        let l = load(&w, &Env::new("/h"), NOW, None);
        assert_eq!(l.store_state, StoreState::Unreadable);
        let shown: Vec<(Severity, &str, &str)> =
            l.diagnostics.iter().map(|d| (d.severity, d.file.as_str(), d.message.as_str())).collect();
        assert_eq!(
            shown,
            [
                (
                    Severity::Error,
                    "~/.clawdbot/agents/main/agent/auth-profiles.json",
                    "cannot be read: permission denied"
                ),
                (Severity::Warning, "Claude Code keychain item", "cannot be read: the login keychain is locked"),
                (Severity::Warning, "~/.claude/.credentials.json", "cannot be read: Input/output error (os error 5)"),
                (
                    Severity::Warning,
                    "~/.codex/auth.json",
                    "cannot be read: is not a regular file (device, pipe or socket)",
                ),
            ]
        );
        assert_eq!(l.diagnostics[0].hints, [STORE_HINT]);
    }

    /// Issue 23 item 12: with HOME naming a file, every file under it was
    /// "cannot be read: a parent of the path is not a folder", listed one
    /// by one (doctor called them unreadable). Nothing under it is read:
    /// one warning names HOME and the path.
    #[test]
    fn nothing_under_a_home_that_is_not_a_folder_is_read_and_it_is_said_once() {
        let mut w = world(&[]);
        let not_a_folder = FileRead::Unreadable(IoKind::NotAFolder);
        for file in ["/h/.claude/.credentials.json", "/h/.codex/auth.json", "/h/.clawdbot/.env"] {
            w.files.insert(file.into(), not_a_folder.clone());
        }
        let env = Env {
            not_folders: ["/h".to_string()].into(),
            ..Env::new("/h").with_var(crate::paths::STATE_DIR_ENV, "/srv/state")
        };
        let l = load(&w, &env, NOW, None);
        let said: Vec<String> = l.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(said, ["/h: not a folder (HOME names it); nothing under it is read"]);
        assert_eq!(l.diagnostics[0].severity, Severity::Warning);
        assert_eq!(l.diagnostics[0].hints, ["Point HOME at your home folder."]);
        assert_eq!(l.store_state, StoreState::Missing, "the store is elsewhere");
        // A load on its own (no command to stop it) with the state folder
        // out of reach: one error, and the store is never written.
        let env = Env { not_folders: ["/h".to_string()].into(), ..Env::new("/h").with_var("CLAUDE_CONFIG_DIR", "/c") };
        let login = r#"{"claudeAiOauth":{"accessToken":"a","refreshToken":"r","expiresAt":1769817600000}}"#;
        let l = load(&world(&[("/c/.credentials.json", login)]), &env, NOW, None);
        assert!(l.store.profiles.contains_key("anthropic:claude-cli"), "a login elsewhere still shows");
        assert_eq!(l.diagnostics.len(), 1, "{:?}", l.diagnostics);
        assert_eq!(l.diagnostics[0].severity, Severity::Error);
        assert_eq!((l.store_state, l.write.is_none()), (StoreState::Unreadable, true));
    }

    #[test]
    fn a_broken_store_says_it_was_left_as_it_is() {
        let w = world(&[(STORE, "{ broken")]);
        let l = load(&w, &Env::new("/h"), NOW, None);
        assert_eq!(l.store_state, StoreState::Unreadable);
        assert!(l.diagnostics[0].message.ends_with("; the file was left as it is"), "{}", l.diagnostics[0]);
        assert_eq!(l.diagnostics[0].hints, [STORE_HINT]);
    }

    /// Issue 27 item 3: `--all-agents` parses the config once. The first
    /// load takes the config as the command parsed it to find the agents
    /// (for the path it was read from), still noting the file as read;
    /// a parse made for another path is not taken.
    #[test]
    fn a_load_takes_the_config_as_parsed_for_its_path_instead_of_parsing_it_again() {
        const CONFIG: &str = "/h/.clawdbot/clawdbot.json";
        let w = world(&[(CONFIG, "{}")]);
        let parsed = Arc::new(parse_config(br#"{"agents":{"defaults":{"model":"openai/gpt-x"}}}"#, "~/x"));
        let (loaded, shared) =
            load_sharing(&w, &Env::new("/h"), NOW, None, None, Some(&(CONFIG.into(), Arc::clone(&parsed))));
        assert!(Arc::ptr_eq(&loaded.config, &parsed), "taken, not parsed again");
        assert_eq!(loaded.config.config.models.primary.as_deref(), Some("openai/gpt-x"));
        assert!(shared.read_from(CONFIG), "still a file the run read");
        let (elsewhere, _) = load_sharing(&w, &Env::new("/h"), NOW, None, None, Some(&("/other.json".into(), parsed)));
        assert_eq!(elsewhere.config.config.models.primary, None, "parsed from what was read");
    }

    #[test]
    fn both_dotenv_files_are_read_once_each() {
        let w = world(&[("/w/.env", "OPENAI_API_KEY=sk-FAKE-cwd\n"), ("/h/.clawdbot/.env", "GROQ_API_KEY=gsk-FAKE\n")]);
        let mut env = Env::new("/h");
        env.cwd = Some("/w".into());
        let l = load(&w, &env, NOW, None);
        assert_eq!(l.env.get("OPENAI_API_KEY"), Some("sk-FAKE-cwd"));
        assert_eq!(l.env.get("GROQ_API_KEY"), Some("gsk-FAKE"));
        assert_eq!(l.dotenv.origin("GROQ_API_KEY"), Some("~/.clawdbot/.env"));
        let w = world(&[("/h/.clawdbot/.env", "not a line\n")]);
        let mut env = Env::new("/h");
        env.cwd = Some("/h/.clawdbot".into());
        let l = load(&w, &env, NOW, None);
        assert_eq!(l.diagnostics.len(), 1, "the same file is not read twice: {:?}", l.diagnostics);
    }

    #[test]
    fn google_adc_needs_a_project_a_location_and_the_file() {
        let adc = "/h/.config/gcloud/application_default_credentials.json";
        let w = world(&[(adc, "{}"), ("/keys/sa.json", "{}")]);
        let env = Env::new("/h");
        let with = |vars: &[(&str, &str)]| {
            let e = vars.iter().fold(env.clone(), |e, (k, v)| e.with_var(k, v));
            load(&w, &e, NOW, None).gcloud_adc
        };
        assert!(with(&[("GOOGLE_CLOUD_PROJECT", "p"), ("GOOGLE_CLOUD_LOCATION", "l")]));
        assert!(with(&[("GCLOUD_PROJECT", "p"), ("GOOGLE_CLOUD_LOCATION", "l")]));
        assert!(!with(&[("GOOGLE_CLOUD_LOCATION", "l")]), "no project");
        assert!(!with(&[("GOOGLE_CLOUD_PROJECT", "p")]), "no location");
        assert!(with(&[
            ("GOOGLE_CLOUD_PROJECT", "p"),
            ("GOOGLE_CLOUD_LOCATION", "l"),
            ("GOOGLE_APPLICATION_CREDENTIALS", "/keys/sa.json")
        ]));
        assert!(!with(&[
            ("GOOGLE_CLOUD_PROJECT", "p"),
            ("GOOGLE_CLOUD_LOCATION", "l"),
            ("GOOGLE_APPLICATION_CREDENTIALS", "/keys/none.json")
        ]));
        assert!(
            !load(
                &world(&[]),
                &env.clone().with_var("GOOGLE_CLOUD_PROJECT", "p").with_var("GOOGLE_CLOUD_LOCATION", "l"),
                NOW,
                None
            )
            .gcloud_adc
        );
    }

    #[test]
    fn external_logins_are_found_and_synced_in() {
        let w = world(&[
            (
                "/h/.claude/.credentials.json",
                r#"{"claudeAiOauth":{"accessToken":"a","refreshToken":"r","expiresAt":1769817600000}}"#,
            ),
            (
                "/h/.codex/auth.json",
                r#"{"tokens":{"access_token":"acc-FAKE","refresh_token":"r-FAKE"},"last_refresh":"2026-01-01T00:00:00Z"}"#,
            ),
        ]);
        let l = load(&w, &Env::new("/h"), NOW, None);
        let mut ids: Vec<&String> = l.store.profiles.keys().collect();
        ids.sort();
        assert_eq!(ids, ["anthropic:claude-cli", "openai-codex:codex-cli"]);
        assert_eq!(l.changes.len(), 2);
        assert!(l.write.is_some());
        let mut d = Vec::new();
        assert_eq!(external_logins(&w, &l.env, NOW, &mut d).logins.len(), 2);
    }

    /// Claude Code's dead-login stub is a sign-in that ended, said with
    /// what to run, and it never replaces the login the store holds.
    #[test]
    fn a_dead_login_stub_says_the_sign_in_ended_and_leaves_the_store_alone() {
        let stored = r#"{"version":1,"profiles":{"anthropic:claude-cli":{"type":"oauth","provider":"anthropic","access":"a-FAKE","refresh":"r-FAKE","expires":1769817600000}}}"#;
        let stub = r#"{"claudeAiOauth":{"accessToken":"","refreshToken":"","expiresAt":0,"loginEnded":"time_limit"}}"#;
        let w = world(&[(STORE, stored), ("/h/.claude/.credentials.json", stub)]);
        let l = load(&w, &Env::new("/h"), NOW, None);
        assert!(l.changes.is_empty(), "{:?}", l.changes);
        assert!(l.write.is_none());
        let Some(Credential::OAuth(kept)) = l.store.credential("anthropic:claude-cli") else { panic!() };
        assert_eq!(kept.access.as_ref().map(|a| a.expose()), Some("a-FAKE"));
        let ended: Vec<&Diagnostic> =
            l.diagnostics.iter().filter(|d| d.file == "~/.claude/.credentials.json").collect();
        assert_eq!(ended.len(), 1, "{:?}", l.diagnostics);
        assert_eq!(ended[0].severity, Severity::Warning);
        assert!(ended[0].message.starts_with("sign-in ended: "), "{}", ended[0].message);
        assert!(ended[0].message.contains("time limit"), "{}", ended[0].message);
        assert_eq!(ended[0].hints.len(), 1);
        assert!(ended[0].hints[0].contains("`claude auth login` on the gateway host"), "{:?}", ended[0].hints);
        assert!(ended[0].hints[0].contains("setup-token"), "{:?}", ended[0].hints);
        assert_eq!(l.ended.len(), 1);
        assert_eq!((l.ended[0].profile_id, l.ended[0].reason.as_deref()), ("anthropic:claude-cli", Some("time_limit")));
    }

    /// A sign-in that ended is news to the agents whose login it is: the
    /// default one, one that inherits, one holding a copy; not to one that
    /// opted out, nor after the operator removed the synced profile.
    #[test]
    fn a_sign_in_that_ended_concerns_the_agents_whose_login_it_is() {
        let stub = r#"{"claudeAiOauth":{"accessToken":"","refreshToken":"","expiresAt":0}}"#;
        let config =
            r#"{"agents":{"list":[{"id":"main","default":true},{"id":"work"},{"id":"alone","inheritAuth":false}]}}"#;
        let removed = r#"{"version":1,"profiles":{},"syncDisabled":["anthropic:claude-cli"]}"#;
        let cases: [(Option<&str>, Option<&str>, usize); 4] =
            [(None, None, 1), (Some("work"), None, 1), (Some("alone"), None, 0), (None, Some(removed), 0)];
        for (agent, store, want) in cases {
            let mut files = vec![("/h/.claude/.credentials.json", stub), ("/h/.clawdbot/clawdbot.json", config)];
            if let Some(store) = store {
                files.push((STORE, store));
            }
            let l = load(&world(&files), &Env::new("/h"), NOW, agent);
            assert_eq!(l.ended.len(), want, "{agent:?} {store:?}");
        }
    }
}
