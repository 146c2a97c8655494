//! Refreshing one OAuth login without logging anyone out.
//!
//! Refresh tokens rotate: each one works once. So a refresh must happen in
//! exactly one process, its result must be on disk before anyone uses it,
//! and the other holders of the same login (Claude Code, Codex CLI) must get
//! the new tokens too. The steps, each an effect the host carries out:
//!
//! 1. Without a lock: a login that is fresh, with nothing to save, is left
//!    alone (no lock, no request).
//! 2. Take the store lock (the proper-lockfile folder a Node gateway also
//!    honours) and look again: the store as it is now, and the logins
//!    Claude Code and Codex have now. What the sync took is saved. If that
//!    makes the profile fresh, another process (or the other CLI) already
//!    refreshed: adopt, no request.
//! 3. For a login source with a lock (`anthropic:claude-cli`: Claude Code's
//!    `<dir>/.oauth_refresh.lock` then `<realpath(dir)>.lock`), also take
//!    it with the source's timings and look once more, so a running Claude
//!    Code and this process never spend the same refresh token. The host
//!    keeps touching every lock held while the request is out.
//! 4. Send the core's request and apply the answer (one form-encoded retry
//!    at most).
//! 5. Persist first: read the store once more and put back only the renewed
//!    profile, so a writer that skips the lock (the reference's
//!    `paste-token`) loses nothing it wrote during the exchange. Then write
//!    back to Claude Code (file and/or Keychain) or Codex (`auth.json`),
//!    keeping all their fields, under the source's write lock when it has
//!    one (Claude Code's `.storage-write.lock`): its file is read inside
//!    that lock, so a write of Claude Code's is never lost to ours.
//! 6. A dead login (permanent failure) leaves every credential byte as it
//!    was and records an `auth` failure in `usageStats` (again on a fresh
//!    read); a passing failure (timeout, 429, 5xx, garbage) writes nothing.

use super::drive::{Part, Pending};
use super::look::{Look, unreadable_reason};
use super::save::Save;
use super::{
    Answer, Effect, Event, HttpTimeouts, KeychainItem, LockAnswer, LockFolder, LockKind, LockRequest, LockTimings,
    Reply, Step,
};
use super::{WriteBack, WriteBackPlace, refresh_window};
use crate::error::TxnFailure;
use crate::load::{Loaded, StoreState};
use crate::logins::{KeychainWrite, LoginSource, SourceLock};
use crate::paths::Env;
use crate::refresh::{self, Endpoints, Outcome, Plan, RefreshError, RefreshFailure, TransportFailure};
use crate::rejection;
use crate::secret::Secret;
use crate::store::{AuthStore, Credential, OAuth, Profile, parse_store, write_store};
use crate::time::Millis;
use crate::usage::{CooldownPolicy, FailureReason, mark_failure};
use crate::world::FileRead;
use crate::writeback::{self, Layout, NewTokens};
use std::collections::{BTreeMap, VecDeque};

/// How a refresh that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshResult {
    /// This process refreshed the login.
    Refreshed,
    /// Nothing to do: the login is fresh (another process refreshed it, or
    /// it never needed it).
    AlreadyFresh,
    /// Claude Code or Codex had refreshed it; their tokens were taken.
    Adopted,
    /// Due, but read-only here and still valid: its own tool renews it
    /// (`auth.loginSources.<name>.readOnly`); nothing was sent or written.
    LeftToOwner,
}

impl RefreshResult {
    /// The words `models auth refresh` prints after the profile id.
    pub fn describe(self) -> &'static str {
        match self {
            RefreshResult::Refreshed => "refreshed",
            RefreshResult::AlreadyFresh => "already fresh",
            RefreshResult::Adopted => "adopted the login Claude Code or Codex had refreshed",
            RefreshResult::LeftToOwner => "read-only here: left for its own tool to renew",
        }
    }
}

/// A refresh that did not fail.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshReport {
    /// What happened.
    pub result: RefreshResult,
    /// Things that went wrong without failing the refresh (a write-back to
    /// another CLI, an ignored override). Never hold a secret.
    pub warnings: Vec<String>,
}

impl RefreshFailure {
    /// What to do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        crate::remedy::for_refresh_failure(self).into_iter().next()
    }
}

/// How one refresh ended, and the store as this flow last saw it (what it
/// read under the lock, with what it wrote applied), so that a command can
/// go on without loading again.
#[derive(Debug)]
pub(crate) struct Ended {
    pub result: Result<RefreshReport, RefreshFailure>,
    pub latest: Option<Loaded>,
}

enum State {
    LockStore,
    Look {
        look: Look,
        under_source: bool,
    },
    SaveSync {
        loaded: Box<Loaded>,
        under_source: bool,
        save: Save,
    },
    LockSource,
    Send {
        plan: Box<Plan>,
        profile: Box<Profile>,
        sent: u32,
    },
    ReadBeforeSave {
        renewed: Box<Profile>,
        body: Vec<u8>,
    },
    Save {
        store: Box<AuthStore>,
        renewed: Box<Profile>,
        body: Vec<u8>,
    },
    WriteBacks {
        jobs: VecDeque<Job>,
    },
    /// `refused`: the refresh token that was sent, which the refusal is about.
    ReadBeforeRecord {
        error: Box<RefreshError>,
        refused: Option<Secret>,
    },
    /// `store`: what was written, for the commands that go on after.
    Record {
        error: Box<RefreshError>,
        store: Box<AuthStore>,
    },
    Finish(Result<RefreshReport, RefreshFailure>),
    Over,
}

/// One write-back still to do.
enum Job {
    /// Take the source's write lock before its file is read.
    Lock { request: LockRequest, login: &'static LoginSource, asked: bool },
    /// Let go of it once everything is written.
    Unlock { path: String },
    /// Read this login source's file and merge into it.
    File { path: String, login: &'static LoginSource, asked: bool },
    /// Merge into the source's Keychain item as the last look read it
    /// (`linked`: the second item it points at, as read).
    Keychain { item: KeychainItem, text: String, linked: Option<String>, login: &'static LoginSource },
    /// Keychain items to write in order, the next one only once the one
    /// before was written (a resealed overflow before the item naming it).
    KeychainWrites { writes: VecDeque<(WriteBackPlace, Secret)>, what: String, remedy: &'static str, asked: bool },
    /// The answer to a write-back; on failure, warn with this prefix.
    Written { what: String, remedy: &'static str },
}

/// The renewed login's tokens, for the write-backs.
struct Renewed {
    oauth: OAuth,
    id_token: Option<Secret>,
}

/// The refresh protocol for one profile, as a state machine.
pub(crate) struct RefreshLogin {
    id: String,
    force: bool,
    window: Millis,
    /// No request may run past this instant (`models auth token`'s budget).
    deadline: Option<Millis>,
    env: Env,
    /// The agent as the command was asked for it (`None`: the default,
    /// which is also where `CLAWDBOT_AGENT_DIR` applies).
    agent: Option<String>,
    store_path: String,
    /// The access token before the lock, to tell whether someone else
    /// refreshed meanwhile.
    seen_access: Option<Secret>,
    now: Millis,
    state: State,
    /// What it owes the host before it moves on.
    pending: Pending,
    /// Lock paths held, innermost last.
    held: Vec<String>,
    warnings: Vec<String>,
    latest: Option<Loaded>,
    /// The Keychain items as the last look read them.
    keychain: BTreeMap<KeychainItem, FileRead>,
    /// Whether its looks read the Keychain (the command's decision).
    reads_keychain: bool,
    /// The store's bytes as this flow last read or wrote them under the
    /// lock: the read before a save that finds them unchanged reuses the
    /// parsed store instead of parsing a large file again.
    on_disk: Option<Vec<u8>>,
    renewed: Option<Renewed>,
}

/// What a transition asks for.
enum Next {
    /// Emit this effect and wait for its answer in the state.
    Ask(Effect, State),
    /// Carry on in this state now.
    Go(State),
}

fn ended(result: Result<RefreshReport, RefreshFailure>) -> Next {
    Next::Go(State::Finish(result))
}

fn failed(failure: RefreshFailure) -> Next {
    ended(Err(failure))
}

impl RefreshLogin {
    /// A refresh of `id` as `probe` (the command's one load, for `agent`)
    /// shows it. With `force`, refresh even when not due, unless the access
    /// token changed since `probe`: someone else refreshed already (A81).
    pub(crate) fn new(probe: &Loaded, agent: Option<&str>, id: &str, force: bool) -> RefreshLogin {
        RefreshLogin::within(probe, agent, id, force, refresh_window(&probe.env), None)
    }

    /// [`RefreshLogin::new`] with the window in which a login counts as
    /// due, and an instant no token request may run past.
    pub(crate) fn within(
        probe: &Loaded,
        agent: Option<&str>,
        id: &str,
        force: bool,
        window: Millis,
        deadline: Option<Millis>,
    ) -> RefreshLogin {
        // A login refused at refresh is never fresh, whatever its access
        // token says (the one verdict calls it expired): the look under the
        // lock says why, or finds a new login.
        let refused = rejection::rejection_of(&probe.store, id).is_some();
        let (due, serves) = match probe.store.profile(id).map(|p| &p.credential) {
            Some(Credential::OAuth(o)) => {
                (refused || refresh::needs_refresh(o, probe.now, window), serves(o, probe.now))
            }
            _ => (true, false),
        };
        // Fast path, no lock: fresh and nothing to write.
        let fresh = !force && probe.write.is_none() && !due;
        // Nor for a read-only login that still serves: nothing would be done
        // under the lock either (the load synced what its tool has).
        let left = !force && probe.write.is_none() && serves && read_only_source(probe, id).is_some();
        // A login this agent inherits is its owner's: refreshed once,
        // under the owner's lock, into the owner's store.
        let owner = match probe.store.inherited_from(id) {
            Some(_) => crate::paths::owner(&probe.env, &probe.config.config, &probe.locations),
            None => None,
        };
        let (agent, store_path) = match owner {
            Some(owner) => (Some(owner.agent_id.clone()), owner.store()),
            None => (agent.map(str::to_string), probe.locations.store()),
        };
        RefreshLogin {
            id: id.to_string(),
            force,
            window,
            deadline,
            env: probe.env.clone(),
            agent,
            store_path,
            seen_access: access_of(&probe.store, id),
            now: probe.now,
            state: match (fresh, left) {
                (true, _) => State::Finish(Ok(report(RefreshResult::AlreadyFresh))),
                (false, true) => State::Finish(Ok(report(RefreshResult::LeftToOwner))),
                (false, false) => State::LockStore,
            },
            pending: Pending::default(),
            held: Vec::new(),
            warnings: Vec::new(),
            latest: None,
            keychain: BTreeMap::new(),
            reads_keychain: false,
            on_disk: None,
            renewed: None,
        }
    }

    /// The same refresh, its looks reading the Keychain when `may`: a
    /// renewed login then also goes back into the item it was read from.
    pub(crate) fn reading_keychain(mut self, may: bool) -> RefreshLogin {
        self.reads_keychain = may;
        self
    }

    fn look(&self, under_source: bool) -> State {
        let look = Look::new(&self.env, self.agent.as_deref()).reading_keychain(self.reads_keychain);
        State::Look { look, under_source }
    }

    /// A look under the lock is done: save what its sync took, then decide.
    fn looked(&mut self, loaded: Loaded, under_source: bool) -> Next {
        if loaded.store_state == StoreState::Unreadable {
            return failed(RefreshFailure::Unreadable(unreadable_reason(&loaded)));
        }
        // Before any request: a refresh whose result cannot be saved (a
        // store of a newer version) would spend the refresh token for nothing.
        if let Err(refused) = loaded.store.writable() {
            return failed(RefreshFailure::Store(TxnFailure::Newer(refused)));
        }
        if let Some(text) = &loaded.write {
            let save = Save::new(&self.store_path, text.clone(), &loaded.remove_after_write);
            return Next::Go(State::SaveSync { loaded: Box::new(loaded), under_source, save });
        }
        self.decide(loaded, under_source)
    }

    /// Whether the login, as it is under the lock, still needs this
    /// process to refresh it.
    fn decide(&mut self, loaded: Loaded, under_source: bool) -> Next {
        let Some(profile) = loaded.store.profile(&self.id).cloned() else {
            return failed(RefreshFailure::UnknownProfile(self.id.clone()));
        };
        let due = match &profile.credential {
            Credential::OAuth(o) => {
                let changed = access_of(&loaded.store, &self.id) != self.seen_access;
                refresh::should_refresh(o, self.now, self.window, self.force, changed)
            }
            // plan() names the kind; no request is made.
            _ => {
                return match refresh::plan(&self.id, &profile, self.now, &Endpoints::defaults()) {
                    Err(e) => failed(RefreshFailure::Plan(e)),
                    Ok(_) => failed(RefreshFailure::UnknownProfile(self.id.clone())),
                };
            }
        };
        // A refresh token the provider refused for good is never sent again:
        // each try would only fail the same way (and `models auth token`
        // would retry it on every call). A new login ends the refusal.
        let refusal = rejection::rejection_of(&loaded.store, &self.id);
        let synced = loaded.changes.iter().any(|c| c.profile_id == self.id);
        self.latest = Some(loaded);
        if let Some(refused) = refusal.and_then(|r| already_refused(&profile, &r, self.now)) {
            return failed(self.rejected(refused));
        }
        if !due {
            return ended(Ok(report(if synced { RefreshResult::Adopted } else { RefreshResult::AlreadyFresh })));
        }
        // A login the operator made read-only is its own tool's to renew:
        // never refreshed nor written back here. Its access token serves
        // until it expires; then only running the tool helps.
        if let Some(source) = self.latest.as_ref().and_then(|l| read_only_source(l, &self.id)) {
            let serves = matches!(&profile.credential, Credential::OAuth(o) if serves(o, self.now));
            if serves && !self.force {
                return ended(Ok(report(RefreshResult::LeftToOwner)));
            }
            return failed(RefreshFailure::ReadOnly {
                profile_id: self.id.clone(),
                login: source.name,
                owner: source.owner,
            });
        }
        // Another tool shares this login under its lock: serialise with it,
        // then look again (it may have refreshed while we waited).
        let shares_lock = crate::logins::by_profile_id(&self.id).is_some_and(|s| s.lock.is_some());
        if shares_lock && !under_source {
            return Next::Go(State::LockSource);
        }
        self.exchange(profile)
    }

    /// Plans the request; the first send follows.
    fn exchange(&mut self, profile: Profile) -> Next {
        let endpoints = Endpoints::from_env(self.env.vars.iter());
        for name in endpoints.ignored() {
            self.warnings.push(format!("{name} is not an http(s) URL and was ignored"));
        }
        match refresh::plan(&self.id, &profile, self.now, &endpoints) {
            Ok(plan) => Next::Go(State::Send { plan: Box::new(plan), profile: Box::new(profile), sent: 0 }),
            Err(e) => failed(RefreshFailure::Plan(e)),
        }
    }

    fn rejected(&self, error: RefreshError) -> RefreshFailure {
        RefreshFailure::Rejected { profile_id: self.id.clone(), error: Box::new(error) }
    }

    fn warn(&mut self, text: String) {
        self.pending.queue.push_back(Effect::Emit(Event::warning(text)));
    }

    fn advance(&mut self, state: State, input: Option<Answer>) -> Next {
        match state {
            State::LockStore => match input {
                None => {
                    let timings = LockTimings::store(&self.env);
                    let lock = LockRequest { path: self.store_path.clone(), kind: LockKind::Store, timings };
                    Next::Ask(Effect::lock(lock), State::LockStore)
                }
                Some(Answer::Lock(LockAnswer::Taken)) => {
                    self.held.push(self.store_path.clone());
                    Next::Go(self.look(false))
                }
                Some(Answer::Lock(answer @ (LockAnswer::Busy(_) | LockAnswer::Failed(_)))) => {
                    failed(RefreshFailure::Store(match answer {
                        LockAnswer::Busy(busy) => TxnFailure::Busy(busy),
                        LockAnswer::Failed(failure) => TxnFailure::Io(failure),
                        _ => TxnFailure::Internal("the store lock was neither taken nor refused"),
                    }))
                }
                Some(_) => failed(RefreshFailure::Store(TxnFailure::Internal("no answer to the store lock"))),
            },
            State::LockSource => {
                let source = crate::logins::by_profile_id(&self.id);
                let owner = source.map_or("", |s| s.owner);
                let Some(lock) = source.and_then(|s| source_lock(s, &self.env)) else {
                    return failed(RefreshFailure::UnknownProfile(self.id.clone()));
                };
                match input {
                    None => Next::Ask(Effect::lock(lock), State::LockSource),
                    Some(Answer::Lock(LockAnswer::Taken)) => {
                        self.held.push(lock.path);
                        Next::Go(self.look(true))
                    }
                    // No folder: nobody to serialise with, and nothing new
                    // to look at.
                    Some(Answer::Lock(LockAnswer::NoTarget)) => {
                        match self.latest.as_ref().and_then(|l| l.store.profile(&self.id)).cloned() {
                            Some(profile) => self.exchange(profile),
                            None => failed(RefreshFailure::UnknownProfile(self.id.clone())),
                        }
                    }
                    Some(Answer::Lock(LockAnswer::Busy(busy))) => failed(RefreshFailure::SourceBusy { owner, busy }),
                    Some(Answer::Lock(LockAnswer::Failed(failure))) => {
                        failed(RefreshFailure::SourceLockFailed { owner, failure })
                    }
                    Some(_) => {
                        failed(RefreshFailure::Store(TxnFailure::Internal("no answer to a login source's lock")))
                    }
                }
            }
            State::Send { mut plan, profile, sent } => match input {
                None => {
                    let mut timeouts = HttpTimeouts::from_env(&self.env);
                    // Within the caller's budget: what is left of it, and
                    // nothing at all once it is spent.
                    let left = self.deadline.map(|d| u64::try_from(d.saturating_sub(self.now)).unwrap_or(0));
                    if let Some(left) = left {
                        timeouts.total_ms = timeouts.total_ms.min(left);
                        timeouts.connect_ms = timeouts.connect_ms.min(left);
                    }
                    if left == Some(0) {
                        let message = "the time allowed for the token request ran out";
                        failed(self.rejected(refresh::transport_error(
                            plan.provider(),
                            TransportFailure::Timeout,
                            message,
                        )))
                    } else {
                        let effect = Effect::Send {
                            request: plan.request().clone(),
                            provider: plan.provider(),
                            timeouts,
                            reply: Reply::new(),
                        };
                        Next::Ask(effect, State::Send { plan, profile, sent: sent + 1 })
                    }
                }
                Some(Answer::Response(Err(error))) => failed(self.rejected(error)),
                Some(Answer::Response(Ok(response))) => {
                    match refresh::apply(&mut plan, &profile, &response, self.now) {
                        Outcome::Refreshed(renewed) => {
                            Next::Go(State::ReadBeforeSave { renewed: Box::new(renewed), body: response.body })
                        }
                        // At most one retry: the plan holds one form-encoded
                        // fallback, and this bound holds whatever a plan says.
                        Outcome::Retry(_) if sent < 2 => Next::Go(State::Send { plan, profile, sent }),
                        Outcome::Retry(_) => {
                            let error = refresh::transport_error(
                                plan.provider(),
                                TransportFailure::Other,
                                "the token endpoint refused the request format twice",
                            );
                            failed(self.rejected(error))
                        }
                        Outcome::Failed(error) if error.is_permanent() => {
                            let refused = match &profile.credential {
                                Credential::OAuth(o) => o.refresh.clone(),
                                _ => None,
                            };
                            Next::Go(State::ReadBeforeRecord { error: Box::new(error), refused })
                        }
                        Outcome::Failed(error) => failed(self.rejected(error)),
                    }
                }
                Some(_) => failed(self.rejected(refresh::transport_error(
                    plan.provider(),
                    TransportFailure::Other,
                    "no answer",
                ))),
            },
            State::ReadBeforeSave { renewed, body } => match input {
                None => Next::Ask(Effect::read(vec![self.store_path.clone()]), State::ReadBeforeSave { renewed, body }),
                Some(input) => {
                    // The store as it is now, so a writer that skipped the
                    // lock keeps what it wrote; if it cannot be read any
                    // more, the store as we read it under the lock (the
                    // spent refresh token must not be lost).
                    let mut store = match self.fresh_store(input) {
                        Some(store) => store,
                        None => self.latest.as_ref().map(|l| l.store.clone()).unwrap_or_default(),
                    };
                    store.profiles.insert(self.id.clone(), (*renewed).clone());
                    // It was renewed: whatever refusal was recorded is over.
                    rejection::forget(&mut store, &self.id);
                    Next::Go(State::Save { store: Box::new(store), renewed, body })
                }
            },
            State::Save { store, renewed, body } => match input {
                None => {
                    let text = match write_store(&store) {
                        Ok(text) => Secret::new(text),
                        Err(refused) => {
                            return failed(RefreshFailure::NotSaved(TxnFailure::Newer(refused)));
                        }
                    };
                    Next::Ask(
                        Effect::WriteAtomic { path: self.store_path.clone(), text, reply: Reply::new() },
                        State::Save { store, renewed, body },
                    )
                }
                Some(Answer::Written(Ok(()))) => {
                    if let Some(latest) = &mut self.latest {
                        latest.store = *store;
                    }
                    let Credential::OAuth(oauth) = renewed.credential else {
                        return ended(Ok(report(RefreshResult::Refreshed)));
                    };
                    let jobs = self.write_back_jobs();
                    self.renewed = Some(Renewed { oauth, id_token: writeback::response_id_token(&body) });
                    Next::Go(State::WriteBacks { jobs })
                }
                Some(Answer::Written(Err(e))) => failed(RefreshFailure::NotSaved(TxnFailure::Io(e))),
                Some(_) => failed(RefreshFailure::NotSaved(TxnFailure::Internal("no answer to the write"))),
            },
            State::WriteBacks { jobs } => self.write_back(jobs, input),
            State::ReadBeforeRecord { error, refused } => match input {
                None => {
                    Next::Ask(Effect::read(vec![self.store_path.clone()]), State::ReadBeforeRecord { error, refused })
                }
                Some(input) => {
                    // A store that became unreadable meanwhile is not
                    // written over just to count a failure.
                    let store = match &input {
                        Answer::Files(files) if files.iter().any(|(_, r)| matches!(r, FileRead::Absent)) => {
                            self.latest.as_ref().map(|l| l.store.clone())
                        }
                        _ => self.fresh_store(input),
                    };
                    let Some(mut store) = store else { return failed(self.rejected(*error)) };
                    let cooldowns = self.latest.as_ref().map(|l| l.config.config.auth.cooldowns.clone());
                    let policy = CooldownPolicy::from_config(&cooldowns.unwrap_or_default(), error.provider.id());
                    let marked = mark_failure(&mut store, &self.id, FailureReason::Auth, &policy, self.now);
                    // The login is dead: say so on the profile, for the
                    // token it refused, so that status, --check and doctor
                    // show it until the credential changes.
                    let code = rejection::code_of(error.oauth_error.as_deref(), error.status);
                    let recorded = refused
                        .as_ref()
                        .is_some_and(|sent| rejection::record_rejection(&mut store, &self.id, sent, &code, self.now));
                    if !(marked || recorded) {
                        return failed(self.rejected(*error));
                    }
                    let Ok(text) = write_store(&store) else { return failed(self.rejected(*error)) };
                    Next::Ask(
                        Effect::WriteAtomic {
                            path: self.store_path.clone(),
                            text: Secret::new(text),
                            reply: Reply::new(),
                        },
                        State::Record { error, store: Box::new(store) },
                    )
                }
            },
            State::Record { error, store } => {
                match input {
                    Some(Answer::Written(Err(e))) => {
                        let shown = self.env.shorten(&self.store_path);
                        self.warn(format!("could not record the failure in {shown}: {e}"));
                    }
                    // What comes next (doctor's second look) sees the
                    // refusal it just recorded.
                    Some(Answer::Written(Ok(()))) => {
                        if let Some(latest) = &mut self.latest {
                            latest.store = *store;
                        }
                    }
                    _ => {}
                }
                failed(self.rejected(*error))
            }
            state @ (State::Look { .. } | State::SaveSync { .. } | State::Finish(_) | State::Over) => Next::Go(state),
        }
    }

    /// The store file as just read, when it is there and readable.
    fn fresh_store(&self, input: Answer) -> Option<AuthStore> {
        let Answer::Files(files) = input else { return None };
        let (_, FileRead::Present { bytes, .. }) = files.into_iter().find(|(p, _)| *p == self.store_path)? else {
            return None;
        };
        if self.on_disk.as_ref() == Some(&bytes)
            && let Some(latest) = &self.latest
        {
            // Nobody wrote since our look: the store we parsed then.
            return Some(latest.store.clone());
        }
        parse_store(&bytes, &self.env.shorten(&self.store_path)).ok().map(|(store, _)| store)
    }

    /// Which other CLI shares this login, and so gets the new tokens.
    fn write_back_jobs(&self) -> VecDeque<Job> {
        let mut jobs = VecDeque::new();
        let (Some(_), Some(login)) = (&self.latest, crate::logins::by_profile_id(&self.id)) else { return jobs };
        if let Some(lock) = &login.write_lock {
            jobs.push_back(Job::Lock { request: lock_request(login, lock, &self.env), login, asked: false });
        }
        jobs.push_back(Job::File { path: login.file(&self.env), login, asked: false });
        if let Some(keychain) = &login.keychain {
            let item = keychain.item(&self.env);
            if let Some(FileRead::Present { bytes, .. }) = self.keychain.get(&item) {
                let text = (keychain.decode)(&String::from_utf8_lossy(bytes));
                let linked =
                    keychain.linked.and_then(|linked| (linked.item)(&text, &item)).and_then(|other| {
                        match self.keychain.get(&other) {
                            Some(FileRead::Present { bytes, .. }) => Some(String::from_utf8_lossy(bytes).into_owned()),
                            _ => None,
                        }
                    });
                jobs.push_back(Job::Keychain { item, text, linked, login });
            }
        }
        if let Some(Job::Lock { request, .. }) = jobs.front() {
            jobs.push_back(Job::Unlock { path: request.path.clone() });
        }
        jobs
    }

    /// Works through the write-backs; each failure is a warning, never a
    /// failed refresh (our store already has the new login).
    fn write_back(&mut self, mut jobs: VecDeque<Job>, mut input: Option<Answer>) -> Next {
        while let Some(job) = jobs.pop_front() {
            match job {
                Job::Lock { request, login, asked: false } => {
                    let effect = Effect::lock(request.clone());
                    jobs.push_front(Job::Lock { request, login, asked: true });
                    return Next::Ask(effect, State::WriteBacks { jobs });
                }
                Job::Lock { request, login, asked: true } => match input.take() {
                    Some(Answer::Lock(LockAnswer::Taken)) => self.held.push(request.path),
                    // Its folder is gone: nobody to serialise with.
                    Some(Answer::Lock(LockAnswer::NoTarget)) => jobs.retain(|j| !matches!(j, Job::Unlock { .. })),
                    // Not taken: nothing of the tool's is written without it.
                    answer => {
                        let why = match answer {
                            Some(Answer::Lock(LockAnswer::Busy(busy))) => {
                                format!("{} stayed busy ({busy})", lock_name(&request))
                            }
                            Some(Answer::Lock(LockAnswer::Failed(failure))) => {
                                format!("{}: {failure}", lock_name(&request))
                            }
                            _ => format!("{} was not taken", lock_name(&request)),
                        };
                        self.warnings.push(format!(
                            "could not update {}'s credentials: {why}; {}",
                            login.owner, login.write_back.remedy
                        ));
                        jobs.clear();
                    }
                },
                Job::Unlock { path } => {
                    self.held.retain(|held| *held != path);
                    self.pending.queue.push_back(Effect::Unlock { path });
                }
                Job::File { path, login, asked: false } => {
                    let effect = Effect::read(vec![path.clone()]);
                    jobs.push_front(Job::File { path, login, asked: true });
                    return Next::Ask(effect, State::WriteBacks { jobs });
                }
                Job::File { path, login, asked: true } => {
                    let Some(Answer::Files(files)) = input.take() else { continue };
                    let Some((_, FileRead::Present { bytes, .. })) = files.into_iter().find(|(p, _)| *p == path) else {
                        continue;
                    };
                    let shown = self.env.shorten(&path);
                    let remedy = login.write_back.remedy;
                    let what = format!("could not update {}'s {shown}", login.owner);
                    match self.merge(login, &String::from_utf8_lossy(&bytes), &shown, Layout::Pretty) {
                        Ok(text) => {
                            let effect = Effect::write_back(WriteBack { place: WriteBackPlace::File { path }, text });
                            jobs.push_front(Job::Written { what, remedy });
                            return Next::Ask(effect, State::WriteBacks { jobs });
                        }
                        Err(e) => self.warnings.push(format!("{what}: {e}; {remedy}")),
                    }
                }
                Job::Keychain { item, text, linked, login } => {
                    let what = format!("could not update {}'s Keychain item", login.owner);
                    let remedy = login.write_back.remedy;
                    match self.keychain_writes(login, &item, &text, linked.as_deref()) {
                        Ok(writes) => jobs.push_front(Job::KeychainWrites { writes, what, remedy, asked: false }),
                        Err(e) => self.warnings.push(format!("{what}: {e}; {remedy}")),
                    }
                }
                Job::KeychainWrites { mut writes, what, remedy, asked } => {
                    if asked && let Some(Answer::Written(Err(e))) = input.take() {
                        // The items after this one name it: they stay as
                        // they were.
                        self.warnings.push(format!("{what}: {e}; {remedy}"));
                        continue;
                    }
                    if let Some((place, text)) = writes.pop_front() {
                        let effect = Effect::write_back(WriteBack { place, text });
                        jobs.push_front(Job::KeychainWrites { writes, what, remedy, asked: true });
                        return Next::Ask(effect, State::WriteBacks { jobs });
                    }
                }
                Job::Written { what, remedy } => {
                    if let Some(Answer::Written(Err(e))) = input.take() {
                        self.warnings.push(format!("{what}: {e}; {remedy}"));
                    }
                }
            }
        }
        ended(Ok(report(RefreshResult::Refreshed)))
    }

    /// The other CLI's text with the new tokens in, every other field kept.
    fn merge(&self, login: &LoginSource, text: &str, origin: &str, layout: Layout) -> Result<Secret, String> {
        let tokens = self.new_tokens()?;
        (login.write_back.merge)(text, origin, &tokens, layout, self.now).map(Secret::new).map_err(|e| e.to_string())
    }

    /// The renewed tokens, as a write-back merges them.
    fn new_tokens(&self) -> Result<NewTokens<'_>, String> {
        let Some(renewed) = &self.renewed else { return Err("nothing to write back".into()) };
        let Some(access) = renewed.oauth.access.as_ref() else { return Err("no access token".into()) };
        Ok(NewTokens {
            access,
            refresh: renewed.oauth.refresh.as_ref(),
            expires_ms: renewed.oauth.expiry().at().map(|at| at.ms() as Millis),
            refresh_expires_ms: renewed.oauth.sign_in_ends().map(|at| at.ms() as Millis),
            id_token: renewed.id_token.as_ref(),
        })
    }

    /// The Keychain items to write for the renewed login: its item
    /// `item` (decoded secret `text`) merged, and the second item it
    /// points at (`linked`) when the source's rules say so.
    fn keychain_writes(
        &self,
        login: &LoginSource,
        item: &KeychainItem,
        text: &str,
        linked: Option<&str>,
    ) -> Result<VecDeque<(WriteBackPlace, Secret)>, String> {
        let origin = login.keychain.as_ref().map_or(login.owner, |k| k.origin);
        let Some(rules) = login.keychain.as_ref().and_then(|k| k.linked) else {
            let text = self.merge(login, text, origin, Layout::Compact)?;
            return Ok(VecDeque::from([(WriteBackPlace::Keychain(item.clone()), text)]));
        };
        let tokens = self.new_tokens()?;
        let merge = |doc: &str| (login.write_back.merge)(doc, origin, &tokens, Layout::Compact, self.now);
        let writes = (rules.write_back)(text, linked, item, origin, &merge).map_err(|e| e.to_string())?;
        let place = |w: &KeychainWrite| match w.sealed {
            true => WriteBackPlace::SealedKeychain(w.item.clone()),
            false => WriteBackPlace::Keychain(w.item.clone()),
        };
        Ok(writes.into_iter().map(|w| (place(&w), Secret::new(w.text))).collect())
    }
}

impl Part for RefreshLogin {
    type Out = Ended;

    fn feed(&mut self, now: Millis, input: Answer) {
        self.now = now;
        match &mut self.state {
            State::Look { look, .. } => look.feed(now, input),
            State::SaveSync { save, .. } => save.feed(now, input),
            _ => self.pending.input = Some(input),
        }
    }

    fn next(&mut self, _now: Millis) -> Step<Ended> {
        loop {
            if let Some(effect) = self.pending.owed() {
                return Step::Effect(effect);
            }
            let next = match std::mem::replace(&mut self.state, State::Over) {
                State::Look { mut look, under_source } => match look.next(self.now) {
                    Step::Effect(effect) => {
                        self.state = State::Look { look, under_source };
                        return Step::Effect(effect);
                    }
                    Step::Ready(looked) => {
                        self.keychain = looked.keychain;
                        self.on_disk = looked.store_bytes;
                        self.looked(looked.loaded, under_source)
                    }
                },
                State::SaveSync { loaded, under_source, mut save } => match save.next(self.now) {
                    Step::Effect(effect) => {
                        self.state = State::SaveSync { loaded, under_source, save };
                        return Step::Effect(effect);
                    }
                    Step::Ready(Ok(())) => {
                        self.on_disk = loaded.write.clone().map(String::into_bytes);
                        self.decide(*loaded, under_source)
                    }
                    Step::Ready(Err(why)) => failed(RefreshFailure::Store(TxnFailure::Io(why))),
                },
                State::Finish(mut result) => {
                    // Every lock still held is released, the last taken
                    // first, before the end is told.
                    self.pending.queue.extend(self.held.drain(..).rev().map(|path| Effect::Unlock { path }));
                    if let Some(unlock) = self.pending.queue.pop_front() {
                        self.state = State::Finish(result);
                        return Step::Effect(unlock);
                    }
                    if let Ok(report) = &mut result {
                        report.warnings.splice(0..0, std::mem::take(&mut self.warnings));
                    }
                    return Step::Ready(Ended { result, latest: self.latest.take() });
                }
                State::Over => {
                    return Step::Ready(Ended {
                        result: Err(RefreshFailure::Store(TxnFailure::Internal("polled after the refresh ended"))),
                        latest: None,
                    });
                }
                state => {
                    let input = self.pending.input.take();
                    self.advance(state, input)
                }
            };
            match next {
                Next::Ask(effect, state) => {
                    self.state = state;
                    self.pending.asked = Some(effect.clone());
                    return Step::Effect(effect);
                }
                Next::Go(state) => self.state = state,
            }
        }
    }
}

/// The request for `source`'s refresh lock ([`crate::logins::SourceLock`])
/// in `env`.
fn source_lock(source: &'static LoginSource, env: &Env) -> Option<LockRequest> {
    source.lock.as_ref().map(|lock| lock_request(source, lock, env))
}

/// The request for one of `source`'s locks in `env`: its folders in order
/// (named by the first one's target) with its owner file, or its lock
/// file; its name for the wait notice and its timings.
fn lock_request(source: &LoginSource, lock: &SourceLock, env: &Env) -> LockRequest {
    let timings = LockTimings::of(lock.timings);
    if let Some(path) = source.lock_file(lock, env) {
        return LockRequest { path, kind: LockKind::File { name: lock.name }, timings };
    }
    let folders: Vec<LockFolder> =
        source.lock_targets(lock, env).into_iter().map(|(target, realpath)| LockFolder { target, realpath }).collect();
    let path = folders.first().map(|f| f.target.clone()).unwrap_or_else(|| source.dir(env));
    let kind = LockKind::Shared { name: lock.name, folders, owner: source.owner_file(lock, env) };
    LockRequest { path, kind, timings }
}

/// How the wait notice names a lock.
fn lock_name(request: &LockRequest) -> &'static str {
    match request.kind {
        LockKind::Shared { name, .. } | LockKind::File { name } => name,
        LockKind::Store => "the store lock",
    }
}

/// Whether a login's access token still works at `now` (a known expiry
/// not yet passed).
fn serves(o: &OAuth, now: Millis) -> bool {
    o.expiry().at().is_some_and(|at| !at.is_past(now))
}

/// The login source of `id` when the operator made it read-only here.
fn read_only_source(loaded: &Loaded, id: &str) -> Option<&'static LoginSource> {
    crate::logins::by_profile_id(id).filter(|_| loaded.config.config.login_read_only(id))
}

/// The failure of a login refused before, as the refusal recorded it;
/// `None` for a provider with no refresh flow, which the plan refuses.
fn already_refused(profile: &Profile, refusal: &rejection::RefreshRejection, now: Millis) -> Option<RefreshError> {
    let provider = refresh::RefreshProvider::from_id(profile.credential.provider())?;
    let ago = crate::remaining::format_remaining_short(Some(now as f64 - refusal.at));
    Some(RefreshError {
        provider,
        kind: refresh::ErrorKind::Permanent,
        status: None,
        oauth_error: Some(refusal.code.clone()),
        description: Some(format!("refused {ago} ago; not sent again until the login changes")),
        cause: refresh::Cause::Rejected,
    })
}

fn report(result: RefreshResult) -> RefreshReport {
    RefreshReport { result, warnings: Vec::new() }
}

/// The profile's access token, to compare before and after the lock.
fn access_of(store: &AuthStore, profile_id: &str) -> Option<Secret> {
    match &store.profile(profile_id)?.credential {
        Credential::OAuth(o) => o.access.clone(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refusal is reported under the refused login's own provider; a
    /// provider without a refresh flow has none to report (its plan refuses),
    /// rather than being filed under another provider.
    #[test]
    fn a_refusal_is_its_own_providers() {
        let refusal = rejection::RefreshRejection { at: 0.0, code: "invalid_grant".into(), fingerprint: String::new() };
        let of = |provider: &str| {
            let profile = Profile::new(Credential::OAuth(OAuth { provider: provider.into(), ..OAuth::default() }));
            already_refused(&profile, &refusal, 60_000).map(|e| e.provider.id())
        };
        assert_eq!(of("openai-codex"), Some("openai-codex"));
        assert_eq!(of(" Anthropic "), Some("anthropic"));
        assert_eq!(of("custom"), None);
    }
}
