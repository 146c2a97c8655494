//! Refreshing one OAuth profile without logging anyone out.
//!
//! Refresh tokens rotate: each one works once. So a refresh must happen in
//! exactly one process, its result must be on disk before anyone uses it,
//! and the other holders of the same login (Claude Code, Codex CLI) must get
//! the new tokens too. The steps:
//!
//! 1. Take the store lock (the proper-lockfile folder a Node gateway also
//!    honours), then load again: the store as it is now, and the logins
//!    Claude Code and Codex have now. If that makes the profile fresh,
//!    another process (or the other CLI) already refreshed: adopt, no HTTP.
//! 2. For `anthropic:claude-cli`, also take Claude Code's own lock
//!    (`<configDir>.lock`) and look once more, so a running Claude Code and
//!    this process never spend the same refresh token.
//! 3. Send the core's request, apply the answer (one form-encoded retry at
//!    most), write our store first, then write back to Claude Code (file
//!    and/or Keychain) or Codex (`auth.json`), keeping all their fields.
//! 4. A dead login (permanent failure) leaves every credential byte as it
//!    was and records an `auth` failure in `usageStats`; a passing failure
//!    (timeout, 429, 5xx, garbage) writes nothing.

use crate::host::{self, NativeWorld};
use crate::http::{self, HttpOptions};
use crate::persist;
use crate::world::fsio;
use crate::world::keychain;
use crate::world::lock::{self, LockError, LockOptions};
use clawdbot_auth_core::load::{Loaded, StoreState, load};
use clawdbot_auth_core::paths::Env;
use clawdbot_auth_core::refresh::{
    self, DEFAULT_REFRESH_WINDOW_MS, Endpoints, Outcome, PlanError, RefreshError, needs_refresh, user_hint,
};
use clawdbot_auth_core::secret::Secret;
use clawdbot_auth_core::sources::{claude, codex};
use clawdbot_auth_core::store::{Credential, OAuth, Profile, write_store};
use clawdbot_auth_core::time::Millis;
use clawdbot_auth_core::usage::{CooldownPolicy, FailureReason, mark_failure};
use clawdbot_auth_core::world::{FileRead, World};
use clawdbot_auth_core::writeback::{self, Layout, NewTokens};
use std::path::Path;
use std::time::Duration;

/// Overrides the refresh window (how long before expiry a login counts as
/// due), in milliseconds. Default: 5 minutes, like Claude Code.
pub const WINDOW_ENV: &str = "CLAWDBOT_REFRESH_WINDOW_MS";

/// How long `security` may take to save the Keychain item.
const KEYCHAIN_WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The refresh window in effect.
pub fn refresh_window(env: &Env) -> Millis {
    env.get(WINDOW_ENV)
        .and_then(|v| v.parse::<Millis>().ok())
        .filter(|ms| *ms >= 0)
        .unwrap_or(DEFAULT_REFRESH_WINDOW_MS)
}

/// Whether `profile` is an OAuth login due for a refresh at `now`.
pub fn is_due(profile: &Profile, now: Millis, window: Millis) -> bool {
    matches!(&profile.credential, Credential::OAuth(o) if needs_refresh(o, now, window))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshResult {
    /// This process refreshed the login.
    Refreshed,
    /// Nothing to do: the login is fresh (another process refreshed it, or
    /// it never needed it).
    AlreadyFresh,
    /// Claude Code or Codex had refreshed it; their tokens were taken.
    Adopted,
}

impl RefreshResult {
    pub fn describe(self) -> &'static str {
        match self {
            RefreshResult::Refreshed => "refreshed",
            RefreshResult::AlreadyFresh => "already fresh",
            RefreshResult::Adopted => "adopted the login Claude Code or Codex had refreshed",
        }
    }
}

#[derive(Debug)]
pub struct RefreshReport {
    pub result: RefreshResult,
    /// Things that went wrong without failing the refresh (a write-back to
    /// another CLI, an ignored override). Never hold a secret.
    pub warnings: Vec<String>,
}

/// Why a profile was not refreshed. No variant holds a token.
#[derive(Debug, thiserror::Error)]
pub enum RefreshFailure {
    #[error("no profile \"{}\" in the credential store", clawdbot_auth_core::escape::escape_control(.0))]
    UnknownProfile(String),
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The token endpoint said no, or could not be reached.
    #[error("{error}")]
    Rejected { profile_id: String, error: Box<RefreshError> },
    #[error(
        "Claude Code is holding its credentials lock ({0}); it is probably refreshing the same login. Try again in a few seconds"
    )]
    ClaudeCodeBusy(#[source] LockError),
    /// Our own store could not be locked, read or written.
    #[error("{0}")]
    Store(String),
}

impl RefreshFailure {
    /// A human must act (log in again, fix the profile); retrying will not help.
    pub fn is_permanent(&self) -> bool {
        match self {
            RefreshFailure::UnknownProfile(_) | RefreshFailure::Plan(_) => true,
            RefreshFailure::Rejected { error, .. } => error.is_permanent(),
            RefreshFailure::ClaudeCodeBusy(_) | RefreshFailure::Store(_) => false,
        }
    }

    /// What to do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            RefreshFailure::Rejected { profile_id, error } => Some(user_hint(error, profile_id)),
            RefreshFailure::Plan(e) => Some(clawdbot_auth_core::doctor::hint_for(e.profile_id()).to_string()),
            _ => None,
        }
    }
}

/// Refreshes `profile_id` if it is due (or always with `force`, unless the
/// access token changed since this process last looked: someone else
/// refreshed already, A81).
pub fn refresh_profile(
    world: &NativeWorld,
    env: &Env,
    now: Millis,
    agent: Option<&str>,
    profile_id: &str,
    force: bool,
) -> Result<RefreshReport, RefreshFailure> {
    let window = refresh_window(env);
    let probe = load(world, env, now, agent);
    let seen_access = access_of(&probe, profile_id);
    // Fast path, no lock: fresh and nothing to write.
    if !force
        && probe.write.is_none()
        && let Some(profile) = probe.store.profile(profile_id)
        && matches!(profile.credential, Credential::OAuth(_))
        && !is_due(profile, now, window)
    {
        return Ok(RefreshReport { result: RefreshResult::AlreadyFresh, warnings: Vec::new() });
    }
    let request = Request { world, env, now, agent, profile_id, force, window, seen_access };
    let store_path = probe.locations.store();
    match persist::locked(&store_path, || Ok(request.run_locked())) {
        Ok(result) => result,
        Err(e) => Err(RefreshFailure::Store(format!("{e:#}"))),
    }
}

struct Request<'a> {
    world: &'a NativeWorld,
    env: &'a Env,
    now: Millis,
    agent: Option<&'a str>,
    profile_id: &'a str,
    force: bool,
    window: Millis,
    /// The access token before the lock, to tell whether someone else
    /// refreshed meanwhile.
    seen_access: Option<Secret>,
}

/// What a look at the disk under the lock decided.
enum Look {
    Done(RefreshResult),
    Due(Box<(Loaded, Profile)>),
}

impl Request<'_> {
    /// Everything that happens under the store lock.
    fn run_locked(&self) -> Result<RefreshReport, RefreshFailure> {
        let (loaded, profile) = match self.look()? {
            Look::Done(result) => return Ok(RefreshReport { result, warnings: Vec::new() }),
            Look::Due(due) => *due,
        };
        if self.profile_id != claude::PROFILE_ID {
            return self.exchange(&loaded, profile);
        }
        // Claude Code shares this login: serialise with it, then look again
        // (it may have refreshed while we waited).
        let claude_dir = Path::new(&loaded.locations.claude_dir);
        let _claude_lock = match claude_dir.is_dir() {
            true => {
                Some(lock::acquire(claude_dir, &LockOptions::claude_code()).map_err(RefreshFailure::ClaudeCodeBusy)?)
            }
            false => None,
        };
        match self.look()? {
            Look::Done(result) => Ok(RefreshReport { result, warnings: Vec::new() }),
            Look::Due(due) => {
                let (loaded, profile) = *due;
                self.exchange(&loaded, profile)
            }
        }
    }

    /// Loads the store and the other CLIs' logins as they are now, saves
    /// what the sync took, and decides whether a refresh is still due.
    fn look(&self) -> Result<Look, RefreshFailure> {
        let loaded = load(self.world, self.env, self.now, self.agent);
        if loaded.store_state == StoreState::Unreadable {
            let why = loaded.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            return Err(RefreshFailure::Store(format!("refusing to refresh into an unreadable store: {why}")));
        }
        // Before any request: a refresh whose result cannot be saved would
        // spend the refresh token for nothing.
        if let Err(refused) = loaded.store.writable() {
            return Err(RefreshFailure::Store(refused.to_string()));
        }
        persist::apply(&loaded).map_err(|e| RefreshFailure::Store(format!("{e:#}")))?;
        let Some(profile) = loaded.store.profile(self.profile_id).cloned() else {
            return Err(RefreshFailure::UnknownProfile(self.profile_id.to_string()));
        };
        if !matches!(profile.credential, Credential::OAuth(_)) {
            // plan() names the kind; no request is made.
            return Err(refresh::plan(self.profile_id, &profile, self.now, &Endpoints::defaults())
                .err()
                .map_or_else(|| RefreshFailure::UnknownProfile(self.profile_id.to_string()), RefreshFailure::Plan));
        }
        let changed = access_of(&loaded, self.profile_id) != self.seen_access;
        let go = matches!(&profile.credential, Credential::OAuth(o)
            if refresh::should_refresh(o, self.now, self.window, self.force, changed));
        if !go {
            let synced = loaded.changes.iter().any(|c| c.profile_id == self.profile_id);
            return Ok(Look::Done(if synced { RefreshResult::Adopted } else { RefreshResult::AlreadyFresh }));
        }
        Ok(Look::Due(Box::new((loaded, profile))))
    }

    /// The HTTP exchange and what follows it.
    fn exchange(&self, loaded: &Loaded, profile: Profile) -> Result<RefreshReport, RefreshFailure> {
        let mut warnings = Vec::new();
        let endpoints = Endpoints::from_env(self.env.vars.iter());
        for name in endpoints.ignored() {
            warnings.push(format!("{name} is not an http(s) URL and was ignored"));
        }
        let mut plan = refresh::plan(self.profile_id, &profile, self.now, &endpoints)?;
        let options = HttpOptions::from_env(self.env);
        let mut sent = 0;
        let (renewed, body) = loop {
            sent += 1;
            let response = match http::send(plan.request(), plan.provider(), &options) {
                Ok(r) => r,
                Err(error) => return Err(self.rejected(error)),
            };
            match refresh::apply(&mut plan, &profile, &response, host::now(self.env)) {
                Outcome::Refreshed(p) => break (p, response.body),
                Outcome::Retry(_) if sent < 2 => continue,
                Outcome::Retry(_) => {
                    let error = refresh::transport_error(
                        plan.provider(),
                        refresh::TransportFailure::Other,
                        "the token endpoint refused the request format twice",
                    );
                    return Err(self.rejected(error));
                }
                Outcome::Failed(error) => return Err(self.failed(loaded, error)),
            }
        };

        // Persist before anything uses the new tokens: the old refresh
        // token may already be spent.
        let mut store = loaded.store.clone();
        store.profiles.insert(self.profile_id.to_string(), renewed.clone());
        let store_path = loaded.locations.store();
        let text = write_store(&store).map_err(|e| RefreshFailure::Store(e.to_string()))?;
        fsio::write_atomic(Path::new(&store_path), text.as_bytes())
            .map_err(|e| RefreshFailure::Store(format!("the login was refreshed but could not be saved: {e}")))?;

        let Credential::OAuth(new) = &renewed.credential else {
            return Ok(RefreshReport { result: RefreshResult::Refreshed, warnings });
        };
        match self.profile_id {
            claude::PROFILE_ID => warnings.extend(self.write_back_claude(loaded, new)),
            codex::PROFILE_ID => warnings.extend(self.write_back_codex(loaded, new, &body)),
            _ => {}
        }
        Ok(RefreshReport { result: RefreshResult::Refreshed, warnings })
    }

    fn rejected(&self, error: RefreshError) -> RefreshFailure {
        RefreshFailure::Rejected { profile_id: self.profile_id.to_string(), error: Box::new(error) }
    }

    /// A failed exchange. A permanent one is recorded in `usageStats`
    /// (credential bytes untouched) so the gateway stops trying the login.
    fn failed(&self, loaded: &Loaded, error: RefreshError) -> RefreshFailure {
        if error.is_permanent() {
            let mut store = loaded.store.clone();
            let policy = CooldownPolicy::from_config(&loaded.config.config.auth.cooldowns, error.provider.id());
            if mark_failure(&mut store, self.profile_id, FailureReason::Auth, &policy, host::now(self.env)) {
                let store_path = loaded.locations.store();
                let written = write_store(&store).map_err(|e| e.to_string());
                if let Err(e) = written
                    .and_then(|t| fsio::write_atomic(Path::new(&store_path), t.as_bytes()).map_err(|e| e.to_string()))
                {
                    eprintln!("warning: could not record the failure in {}: {e}", loaded.show(&store_path));
                }
            }
        }
        self.rejected(error)
    }

    /// Claude Code's file (when it exists) and Keychain item (when this
    /// host reads it and it holds a login) get the new tokens. We hold
    /// Claude Code's lock, so what we read here is what we replace.
    fn write_back_claude(&self, loaded: &Loaded, new: &OAuth) -> Vec<String> {
        let mut warnings = Vec::new();
        let Some(access) = new.access.as_ref() else { return warnings };
        let tokens = NewTokens {
            access,
            refresh: new.refresh.as_ref(),
            // Our stored expiry (the server's less the provider margin):
            // Claude Code then refreshes a few minutes early, and the next
            // sync sees the same login instead of a "newer" one.
            expires_ms: new.expires.as_ref().map(|e| e.ms()).filter(|ms| ms.is_finite()).map(|ms| ms as Millis),
            id_token: None,
        };
        let path = loaded.locations.claude_credentials();
        if let fsio::FileRead::Present { bytes, .. } = fsio::read_file(Path::new(&path)) {
            let shown = loaded.show(&path);
            let result =
                writeback::merge_claude_credentials(&String::from_utf8_lossy(&bytes), &shown, &tokens, Layout::Pretty)
                    .map_err(|e| e.to_string())
                    .and_then(|text| fsio::write_atomic(Path::new(&path), text.as_bytes()).map_err(|e| e.to_string()));
            if let Err(e) = result {
                warnings.push(format!("could not update Claude Code's {shown}: {e}; Claude Code will need `/login`"));
            }
        }
        if let Some(FileRead::Present { bytes, .. }) = self.world.claude_keychain() {
            let text = claude::decode_keychain_output(&String::from_utf8_lossy(&bytes));
            let result =
                writeback::merge_claude_credentials(&text, "Claude Code keychain item", &tokens, Layout::Compact)
                    .map_err(|e| e.to_string())
                    .and_then(|json| {
                        let bin = keychain::security_binary(self.env.get("PATH"));
                        let service = keychain::claude_service_name(self.env);
                        let account = keychain::claude_account(self.env);
                        keychain::write_generic_password(
                            &bin,
                            &service,
                            &account,
                            &Secret::new(json),
                            KEYCHAIN_WRITE_TIMEOUT,
                        )
                        .map_err(|e| e.to_string())
                    });
            if let Err(e) = result {
                warnings
                    .push(format!("could not update Claude Code's Keychain item: {e}; Claude Code will need `/login`"));
            }
        }
        warnings
    }

    /// Codex's auth.json, re-read now (Codex takes no lock), gets the new
    /// tokens and `last_refresh`; every other field stays.
    fn write_back_codex(&self, loaded: &Loaded, new: &OAuth, body: &[u8]) -> Vec<String> {
        let Some(access) = new.access.as_ref() else { return Vec::new() };
        let path = loaded.locations.codex_auth();
        let fsio::FileRead::Present { bytes, .. } = fsio::read_file(Path::new(&path)) else { return Vec::new() };
        let shown = loaded.show(&path);
        let id_token = writeback::response_id_token(body);
        let tokens = NewTokens { access, refresh: new.refresh.as_ref(), expires_ms: None, id_token: id_token.as_ref() };
        let result =
            writeback::merge_codex_auth(&String::from_utf8_lossy(&bytes), &shown, &tokens, host::now(self.env))
                .map_err(|e| e.to_string())
                .and_then(|text| fsio::write_atomic(Path::new(&path), text.as_bytes()).map_err(|e| e.to_string()));
        match result {
            Ok(()) => Vec::new(),
            Err(e) => vec![format!("could not update Codex's {shown}: {e}; Codex will need `codex login`")],
        }
    }
}

/// The profile's access token, to compare before and after the lock.
fn access_of(loaded: &Loaded, profile_id: &str) -> Option<Secret> {
    match &loaded.store.profile(profile_id)?.credential {
        Credential::OAuth(o) => o.access.clone(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_from_env() {
        assert_eq!(refresh_window(&Env::new("/h")), DEFAULT_REFRESH_WINDOW_MS);
        assert_eq!(refresh_window(&Env::new("/h").with_var(WINDOW_ENV, "0")), 0);
        assert_eq!(refresh_window(&Env::new("/h").with_var(WINDOW_ENV, "-5")), DEFAULT_REFRESH_WINDOW_MS);
    }

    #[test]
    fn failures_hold_no_secret_in_debug() {
        let f = RefreshFailure::UnknownProfile("x\u{1b}".into());
        assert!(f.is_permanent());
        assert!(!f.to_string().contains('\u{1b}'));
    }
}
