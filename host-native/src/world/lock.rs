//! A cross-process lock that node's `proper-lockfile` honours, so this CLI,
//! a running Node gateway and Claude Code serialise against each other.
//!
//! The protocol (spec clawdbot-auth §2.3, credential-formats §2.5): the lock
//! for file `F` is the *folder* `<realpath(F)>.lock`, made with `mkdir`
//! (atomic on every local filesystem). Its holder refreshes the folder's
//! mtime every `stale / 2`; a lock whose mtime is older than `stale` belongs
//! to a crashed holder and may be taken over. Release is `rmdir`.
//!
//! Takeover race: proper-lockfile removes a stale lock and re-creates it
//! without re-checking, so two processes that both saw it stale can both
//! end up "holding" it. Here the lock is re-inspected right before removal
//! (same folder, still stale) and only a successful `mkdir` makes a holder,
//! which leaves a window of a few system calls instead of a whole
//! round trip; a holder that loses its lock anyway notices (the folder
//! vanished or changed under it) through [`LockGuard::is_compromised`].
//!
//! A tool may lock with several folders at once (Claude Code takes
//! `<dir>/.oauth_refresh.lock`, then `<dir>.lock`): [`acquire_set`] takes
//! them in order, all or none, and when a later one is busy lets go of the
//! ones it took and tries the set again after a backoff, as Claude Code
//! does, so a waiter never sits on one lock while it waits for another.
//! Such a set may carry an owner record beside it ([`LockSet`]), written
//! once every folder is held and removed on release while it is ours.

use clawdbot_auth_core::flow::LockTimings;
use std::fmt;
use std::fs::{self, DirBuilder, File, FileTimes};
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

/// How long to wait for a lock and when to call one stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockOptions {
    /// A lock whose mtime is older than this was left by a crashed holder.
    pub stale: Duration,
    /// How often the holder refreshes the lock's mtime (`stale / 2`).
    pub update: Duration,
    /// Give up with [`LockError::Busy`] after waiting this long in total.
    pub max_wait: Duration,
    /// First retry delay; each next one doubles, randomised ×1..2.
    pub min_backoff: Duration,
    /// Retry delays never exceed this.
    pub max_backoff: Duration,
    /// Which lock this is, as the user knows it ("the store lock").
    pub what: &'static str,
    /// After waiting this long, say on stderr who waits for what
    /// (`None`: wait silently).
    pub report_wait_after: Option<Duration>,
}

/// How long a waiter stays silent: long enough that an ordinary wait for
/// a live holder (milliseconds) says nothing, short enough that a lock
/// left behind never looks like a hang.
pub const REPORT_WAIT_AFTER: Duration = Duration::from_secs(1);

impl LockOptions {
    /// Our own store, `auth-profiles.json`, with the core's timings
    /// (`clawdbot_auth_core::defaults::STORE_LOCK`: the reference's
    /// `AUTH_STORE_LOCK_OPTIONS`, waited for at most 45 s).
    pub fn store() -> Self {
        LockOptions::of(LockTimings::STORE, "the store lock")
    }

    /// A login source's lock (Claude Code's refresh or write lock in the
    /// default registry), named `what` in the wait notice; the core's
    /// request gives its timings, proper-lockfile's defaults until then.
    pub fn shared(what: &'static str) -> Self {
        LockOptions::of(LockTimings::of(clawdbot_auth_core::defaults::PROPER_LOCKFILE_LOCK), what)
    }

    /// The waits of `t`; `what` names the lock in the wait notice.
    fn of(t: LockTimings, what: &'static str) -> Self {
        let unset = Duration::ZERO;
        LockOptions {
            stale: unset,
            update: unset,
            max_wait: unset,
            min_backoff: unset,
            max_backoff: unset,
            what,
            report_wait_after: Some(REPORT_WAIT_AFTER),
        }
        .timed(t)
    }

    /// The same lock waited for with the core's timings `t` (a flow may
    /// hand in other timings than the defaults, e.g. a shorter wait).
    pub fn timed(self, t: LockTimings) -> Self {
        LockOptions {
            stale: Duration::from_millis(t.stale_ms),
            update: Duration::from_millis(t.update_ms),
            max_wait: Duration::from_millis(t.max_wait_ms),
            min_backoff: Duration::from_millis(t.min_backoff_ms),
            max_backoff: Duration::from_millis(t.max_backoff_ms),
            ..self
        }
    }

    /// The same options with another total wait bound.
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }
}

/// Why a lock could not be taken or kept.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the credential store is locked by another process (lock folder {}; waited {:.1} s). \
         If no clawdbot command, gateway or Claude Code is running, the lock is stuck: \
         remove it with `rmdir '{}'` (a lock nobody refreshes is also taken over once it is stale)",
        lock_path.display(),
        waited.as_secs_f64(),
        lock_path.display()
    )]
    Busy { lock_path: PathBuf, waited: Duration },
    #[error("{}: cannot lock it: {source} (the file must exist before it is locked)", path.display())]
    TargetMissing {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: cannot {action}: {source}", lock_path.display())]
    Io {
        lock_path: PathBuf,
        action: &'static str,
        #[source]
        source: io::Error,
    },
    #[error(
        "{}: the lock was removed or taken over by another process while we held it; \
         what we wrote may have raced with it",
        lock_path.display()
    )]
    Compromised { lock_path: PathBuf },
}

/// `<realpath(target)>.lock`, as proper-lockfile names it with `realpath`
/// on. The target (a file, or Claude Code's config folder) must exist.
pub fn lock_path_for(target: &Path) -> Result<PathBuf, LockError> {
    let real =
        fs::canonicalize(target).map_err(|source| LockError::TargetMissing { path: target.to_path_buf(), source })?;
    let mut name = real.into_os_string();
    name.push(".lock");
    Ok(PathBuf::from(name))
}

/// The lock folder proper-lockfile makes for `target`: `<realpath(target)>.lock`
/// with `realpath` on (the target must exist), else `<target>.lock` as
/// written (its `realpath: false`).
pub fn lock_folder(target: &Path, realpath: bool) -> Result<PathBuf, LockError> {
    if realpath {
        return lock_path_for(target);
    }
    let mut name = target.as_os_str().to_os_string();
    name.push(".lock");
    Ok(PathBuf::from(name))
}

/// Locks `target` (which must exist), waiting up to `options.max_wait`.
pub fn acquire(target: &Path, options: &LockOptions) -> Result<LockGuard, LockError> {
    acquire_lock_dir(lock_path_for(target)?, options)
}

/// Takes the lock folder `lock_path` itself, waiting up to
/// `options.max_wait` with exponential, randomised backoff.
pub fn acquire_lock_dir(lock_path: PathBuf, options: &LockOptions) -> Result<LockGuard, LockError> {
    let mut set = acquire_set(vec![lock_path], None, options)?;
    let guard = set.guards.pop();
    guard.ok_or_else(|| LockError::Io {
        lock_path: PathBuf::new(),
        action: "take the lock",
        source: io::Error::other("no lock folder was taken"),
    })
}

/// Takes every folder of `lock_paths`, in order, all or none, waiting up
/// to `options.max_wait` in total: one round tries each folder once (a
/// stale one is taken over), and when one is held by someone else the
/// folders this round took are let go, the last first, before the next
/// round after a backoff. With `owner`, the owner record is written there
/// once all are held (Linux; see [`LockSet`]).
pub fn acquire_set(
    lock_paths: Vec<PathBuf>,
    owner: Option<PathBuf>,
    options: &LockOptions,
) -> Result<LockSet, LockError> {
    let start = Instant::now();
    let mut attempt: u32 = 0;
    let mut report_at = options.report_wait_after;
    loop {
        let mut guards: Vec<LockGuard> = Vec::with_capacity(lock_paths.len());
        let mut busy = None;
        for lock_path in &lock_paths {
            // On an error the guards taken so far drop, which releases them.
            match try_take(lock_path, options.stale)? {
                Some(identity) => guards.push(LockGuard::start(lock_path.clone(), identity, options.update)),
                None => {
                    busy = Some(lock_path);
                    break;
                }
            }
        }
        let Some(busy) = busy else { return Ok(LockSet::holding(guards, owner)) };
        while let Some(guard) = guards.pop() {
            let _ = guard.release();
        }
        let waited = start.elapsed();
        if report_at.is_some_and(|at| waited >= at) {
            report_at = None;
            eprintln!("note: {}", waiting_notice(busy, options));
        }
        let Some(left) = options.max_wait.checked_sub(waited).filter(|left| !left.is_zero()) else {
            return Err(LockError::Busy { lock_path: busy.clone(), waited });
        };
        // Wake up for the report even in the middle of a long backoff.
        let until_report = report_at.map_or(left, |at| at.saturating_sub(waited));
        thread::sleep(backoff(attempt, options).min(left).min(until_report));
        attempt = attempt.saturating_add(1);
    }
}

/// The core's wording of a wait, with what the lock folder tells: when it
/// was made (birth time where the filesystem keeps one) and last refreshed.
fn waiting_notice(lock_path: &Path, options: &LockOptions) -> String {
    let meta = fs::metadata(lock_path).ok();
    let ms = |t: io::Result<SystemTime>| {
        t.ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_millis()).ok())
    };
    let refreshed_at = meta.as_ref().and_then(|m| ms(m.modified()));
    let held_since = meta.as_ref().and_then(|m| ms(m.created())).or(refreshed_at);
    let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    clawdbot_auth_core::waiting_notice(&clawdbot_auth_core::LockWait {
        what: options.what,
        lock_path: &lock_path.to_string_lossy(),
        held_since,
        refreshed_at,
        stale_after_ms: millis(options.stale),
        gives_up_after_ms: millis(options.max_wait),
    })
}

/// An exclusive `flock(2)` on another tool's lock file (Codex CLI's
/// `auth.lock`), held until dropped: closing the file releases it, and so
/// does the kernel when this process dies, so it is never stale.
#[derive(Debug)]
pub struct FileLockGuard {
    _file: File,
}

/// Takes an exclusive `flock` on `path` (made with mode 0600 when missing;
/// its folder must exist), retrying with the same backoff as a lock
/// folder until `options.max_wait`. std's `File::try_lock` is `flock`
/// on Unix, the call Codex makes.
pub fn acquire_file_lock(path: &Path, options: &LockOptions) -> Result<FileLockGuard, LockError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io_err = |action, source| LockError::Io { lock_path: path.to_path_buf(), action, source };
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_err("open the lock file", e))?;
    let start = Instant::now();
    let mut attempt: u32 = 0;
    let mut report_at = options.report_wait_after;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(FileLockGuard { _file: file }),
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(e)) => return Err(io_err("lock the lock file", e)),
        }
        let waited = start.elapsed();
        if report_at.is_some_and(|at| waited >= at) {
            report_at = None;
            let gives_up = i64::try_from(options.max_wait.as_millis()).unwrap_or(i64::MAX);
            let notice = clawdbot_auth_core::waiting_notice_file(options.what, &path.to_string_lossy(), gives_up);
            eprintln!("note: {notice}");
        }
        let Some(left) = options.max_wait.checked_sub(waited).filter(|left| !left.is_zero()) else {
            return Err(LockError::Busy { lock_path: path.to_path_buf(), waited });
        };
        let until_report = report_at.map_or(left, |at| at.saturating_sub(waited));
        thread::sleep(backoff(attempt, options).min(left).min(until_report));
        attempt = attempt.saturating_add(1);
    }
}

/// Which folder we made, so a replaced one is told apart from ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DirIdentity {
    dev: u64,
    ino: u64,
    /// The mtime the filesystem reported after our last touch (compared
    /// exactly, so the filesystem's time precision does not matter).
    mtime: Option<SystemTime>,
}

impl DirIdentity {
    fn of(meta: &fs::Metadata) -> Self {
        DirIdentity { dev: meta.dev(), ino: meta.ino(), mtime: meta.modified().ok() }
    }

    fn same_dir(&self, meta: &fs::Metadata) -> bool {
        meta.is_dir() && meta.dev() == self.dev && meta.ino() == self.ino
    }
}

/// One acquisition attempt: `Some` when we now hold the lock, `None` when
/// someone else holds a fresh one.
fn try_take(lock_path: &Path, stale: Duration) -> Result<Option<DirIdentity>, LockError> {
    let io_err = |action, source| LockError::Io { lock_path: lock_path.to_path_buf(), action, source };
    // Two rounds: the second runs after a stale lock was removed, or after
    // the holder released between our mkdir and our stat.
    for _ in 0..2 {
        match make_lock_dir(lock_path) {
            Ok(()) => {
                let meta = fs::metadata(lock_path).map_err(|e| io_err("inspect the lock we made", e))?;
                return Ok(Some(DirIdentity::of(&meta)));
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
            Err(err) => return Err(io_err("create lock folder", err)),
        }
        let seen = match fs::metadata(lock_path) {
            Ok(meta) => meta,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(io_err("inspect lock folder", err)),
        };
        if !is_stale(&seen, stale) {
            return Ok(None);
        }
        // Re-check right before removing: if another process already took
        // the stale lock over, the folder is now fresh or a different one,
        // and removing it would let two holders in.
        match fs::metadata(lock_path) {
            Ok(again) if again.dev() == seen.dev() && again.ino() == seen.ino() && is_stale(&again, stale) => {}
            Ok(_) => return Ok(None),
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(io_err("inspect lock folder", err)),
        }
        match fs::remove_dir(lock_path) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(io_err("remove stale lock folder", err)),
        }
    }
    Ok(None)
}

fn make_lock_dir(lock_path: &Path) -> io::Result<()> {
    DirBuilder::new().mode(0o700).create(lock_path)
}

/// proper-lockfile's test: `mtime < now - stale`. A future mtime (clock
/// skew) is never stale.
fn is_stale(meta: &fs::Metadata, stale: Duration) -> bool {
    let Ok(mtime) = meta.modified() else { return false };
    SystemTime::now().duration_since(mtime).is_ok_and(|age| age > stale)
}

/// The delay before retry number `attempt` (0-based): `min × 2^attempt`,
/// randomised ×1..2, capped at `max` — the `retry` package's formula that
/// proper-lockfile uses, so waiters spread out instead of colliding.
fn backoff(attempt: u32, options: &LockOptions) -> Duration {
    let base = options.min_backoff.as_secs_f64() * 2f64.powi(attempt.min(62) as i32);
    let delay = base * (1.0 + jitter());
    Duration::try_from_secs_f64(delay).unwrap_or(options.max_backoff).min(options.max_backoff)
}

/// A number in [0, 1) that differs between calls and processes. std's
/// `RandomState` is seeded from the OS once per thread and advanced on every
/// `new()`, which is all the unpredictability a retry jitter needs.
fn jitter() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// What the guard and its touch thread share.
struct Held {
    lock_path: PathBuf,
    /// Our folder's identity; the mutex also serialises touches with checks.
    identity: Mutex<DirIdentity>,
    compromised: AtomicBool,
}

impl Held {
    /// Whether the lock was found lost (taken over or removed): once lost,
    /// it is never ours again.
    fn is_compromised(&self) -> bool {
        self.compromised.load(Ordering::SeqCst)
    }

    /// Whether the folder at the lock path is still the one we made, as we
    /// last left it. Records a loss for good.
    fn still_ours(&self) -> bool {
        if self.is_compromised() {
            return false;
        }
        let identity = self.identity.lock().unwrap_or_else(PoisonError::into_inner);
        let ours = fs::metadata(&self.lock_path)
            .is_ok_and(|meta| identity.same_dir(&meta) && meta.modified().ok() == identity.mtime);
        if !ours {
            self.compromised.store(true, Ordering::SeqCst);
        }
        ours
    }

    /// Refreshes the lock's mtime so nobody takes it for stale, unless it
    /// is no longer ours.
    fn touch(&self) {
        let mut identity = self.identity.lock().unwrap_or_else(PoisonError::into_inner);
        let ours = fs::metadata(&self.lock_path)
            .is_ok_and(|meta| identity.same_dir(&meta) && meta.modified().ok() == identity.mtime);
        if !ours {
            self.compromised.store(true, Ordering::SeqCst);
            return;
        }
        let now = SystemTime::now();
        let touched = File::open(&self.lock_path)
            .and_then(|dir| dir.set_times(FileTimes::new().set_modified(now).set_accessed(now)));
        // A failed touch is retried next tick; the lock only goes stale if
        // it keeps failing for `stale`.
        if touched.is_ok()
            && let Ok(meta) = fs::metadata(&self.lock_path)
            && identity.same_dir(&meta)
        {
            identity.mtime = meta.modified().ok();
        }
    }
}

/// Holds a lock until dropped or [`released`](LockGuard::release).
pub struct LockGuard {
    held: Arc<Held>,
    stop: Option<Sender<()>>,
    toucher: Option<JoinHandle<()>>,
}

impl fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").field("lock_path", &self.held.lock_path).finish_non_exhaustive()
    }
}

impl LockGuard {
    fn start(lock_path: PathBuf, identity: DirIdentity, update: Duration) -> Self {
        let held = Arc::new(Held { lock_path, identity: Mutex::new(identity), compromised: AtomicBool::new(false) });
        let (stop, stopped) = mpsc::channel::<()>();
        let shared = Arc::clone(&held);
        let update = update.max(Duration::from_millis(10));
        let toucher = thread::Builder::new()
            .name("clawdbot-lock-touch".to_string())
            .spawn(move || {
                // Ends when the guard drops its sender (or sends).
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(update) {
                    shared.touch();
                    if shared.is_compromised() {
                        break;
                    }
                }
            })
            .ok();
        // Without the thread the lock still works; it just goes stale after
        // `stale`, which is what a crashed holder's lock does too.
        LockGuard { held, stop: Some(stop), toucher }
    }

    /// The lock folder, for messages.
    pub fn lock_path(&self) -> &Path {
        &self.held.lock_path
    }

    /// True when another process removed or replaced the lock while we held
    /// it. Check before committing a write that must not race.
    pub fn is_compromised(&self) -> bool {
        !self.held.still_ours()
    }

    /// Releases the lock, saying whether it was still ours to release.
    pub fn release(mut self) -> Result<(), LockError> {
        self.release_inner()
    }

    fn release_inner(&mut self) -> Result<(), LockError> {
        let Some(stop) = self.stop.take() else { return Ok(()) };
        drop(stop);
        if let Some(toucher) = self.toucher.take() {
            let _ = toucher.join();
        }
        let lock_path = self.held.lock_path.clone();
        if !self.held.still_ours() {
            // Never remove a lock another process now holds.
            return Err(LockError::Compromised { lock_path });
        }
        match fs::remove_dir(&lock_path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Err(LockError::Compromised { lock_path }),
            Err(source) => Err(LockError::Io { lock_path, action: "remove lock folder", source }),
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.release_inner();
    }
}

/// Locks held together (a [`acquire_set`] of one or more folders), with
/// the owner record written beside them, if any. Released (owner record
/// first, then the folders, the last taken first) when dropped or
/// [`released`](LockSet::release).
#[derive(Debug)]
pub struct LockSet {
    guards: Vec<LockGuard>,
    owner: Option<OwnerRecord>,
}

/// The owner record we wrote: where, and what makes it ours.
#[derive(Debug)]
struct OwnerRecord {
    path: PathBuf,
    pid: u32,
    lock_birth_ms: f64,
}

impl From<LockGuard> for LockSet {
    fn from(guard: LockGuard) -> LockSet {
        LockSet { guards: vec![guard], owner: None }
    }
}

impl LockSet {
    fn holding(guards: Vec<LockGuard>, owner: Option<PathBuf>) -> LockSet {
        let owner = owner.and_then(|path| write_owner_record(path, &guards));
        LockSet { guards, owner }
    }

    /// The lock folders held, in the order they were taken.
    pub fn lock_paths(&self) -> Vec<&Path> {
        self.guards.iter().map(LockGuard::lock_path).collect()
    }

    /// Where the owner record was written, if one was.
    pub fn owner_record(&self) -> Option<&Path> {
        self.owner.as_ref().map(|o| o.path.as_path())
    }

    /// Releases every lock, saying whether each was still ours.
    pub fn release(mut self) -> Result<(), LockError> {
        self.release_inner()
    }

    fn release_inner(&mut self) -> Result<(), LockError> {
        if let Some(owner) = self.owner.take() {
            // Only while it is still ours: a waiter that took the lock
            // over may have written its own.
            let ours = fs::read_to_string(&owner.path)
                .is_ok_and(|text| clawdbot_auth_core::is_own_record(&text, owner.pid, owner.lock_birth_ms));
            if ours {
                let _ = fs::remove_file(&owner.path);
            }
        }
        let mut result = Ok(());
        while let Some(guard) = self.guards.pop() {
            let released = guard.release();
            if result.is_ok() {
                result = released;
            }
        }
        result
    }
}

impl Drop for LockSet {
    fn drop(&mut self) {
        let _ = self.release_inner();
    }
}

/// Writes the owner record of `guards` (the first folder's birth time, and
/// the second's as the legacy lock's) at `path`, on Linux, where the
/// record's facts are known; `None` when it was not written (no birth
/// time, another system, a failed write), which only means a waiter
/// waits for the lock to go stale instead of proving us gone.
fn write_owner_record(path: PathBuf, guards: &[LockGuard]) -> Option<OwnerRecord> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let birth_ms = |guard: &LockGuard| {
        let born = fs::symlink_metadata(guard.lock_path()).ok()?.created().ok()?;
        let since = born.duration_since(SystemTime::UNIX_EPOCH).ok()?;
        let ms = since.as_secs() as f64 * 1000.0 + f64::from(since.subsec_nanos()) / 1_000_000.0;
        (ms > 0.0).then_some(ms)
    };
    let lock_birth_ms = birth_ms(guards.first()?)?;
    let machine_id = fs::read_to_string("/etc/machine-id").unwrap_or_default();
    let pid_namespace =
        fs::read_link("/proc/self/ns/pid").map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    // The UTS name `os.hostname()` (gethostname) gives.
    let host_name = fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let pid = std::process::id();
    let record = clawdbot_auth_core::owner_record(&clawdbot_auth_core::LockOwner {
        pid,
        machine_id: machine_id.trim(),
        pid_namespace: &pid_namespace,
        host_name: host_name.trim(),
        lock_birth_ms,
        legacy_lock_birth_ms: guards.get(1).and_then(birth_ms),
    });
    crate::world::fsio::write_atomic(&path, record.as_bytes()).ok()?;
    Some(OwnerRecord { path, pid, lock_birth_ms })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::fsio::ensure_file_exists;
    use std::sync::atomic::AtomicUsize;

    /// An empty store, for tests that need a lock target.
    const EMPTY_STORE: &[u8] = b"{\"version\":1,\"profiles\":{}}\n";

    fn quick(stale: Duration, max_wait: Duration) -> LockOptions {
        LockOptions {
            stale,
            update: stale / 2,
            max_wait,
            min_backoff: Duration::from_millis(2),
            max_backoff: Duration::from_millis(20),
            what: "the test lock",
            report_wait_after: None,
        }
    }

    fn set_mtime(path: &Path, time: SystemTime) {
        File::open(path).unwrap().set_times(FileTimes::new().set_modified(time).set_accessed(time)).unwrap();
    }

    fn age(path: &Path) -> Duration {
        SystemTime::now().duration_since(fs::metadata(path).unwrap().modified().unwrap()).unwrap_or_default()
    }

    #[test]
    fn lock_path_is_realpath_plus_lock_and_needs_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("auth-profiles.json");
        assert!(matches!(lock_path_for(&file), Err(LockError::TargetMissing { .. })));
        assert!(ensure_file_exists(&file, EMPTY_STORE).unwrap());
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let expected = fs::canonicalize(dir.path()).unwrap().join("auth-profiles.json.lock");
        assert_eq!(lock_path_for(&link).unwrap(), expected);
    }

    #[test]
    fn a_folder_is_locked_beside_itself_like_claude_codes_config_dir() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join(".claude");
        fs::create_dir(&config).unwrap();
        let guard = acquire(&config, &LockOptions::shared("Claude Code's lock").with_max_wait(Duration::ZERO)).unwrap();
        assert_eq!(guard.lock_path(), fs::canonicalize(dir.path()).unwrap().join(".claude.lock"));
        guard.release().unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn acquire_and_release_make_and_remove_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("store.json");
        ensure_file_exists(&file, EMPTY_STORE).unwrap();
        let guard = acquire(&file, &quick(Duration::from_secs(30), Duration::ZERO)).unwrap();
        assert!(guard.lock_path().is_dir());
        assert!(!guard.is_compromised());
        let lock = guard.lock_path().to_path_buf();
        guard.release().unwrap();
        assert!(!lock.exists());
        // Drop releases too.
        {
            let _guard = acquire(&file, &quick(Duration::from_secs(30), Duration::ZERO)).unwrap();
            assert!(lock.exists());
        }
        assert!(!lock.exists());
    }

    #[test]
    fn contending_threads_never_hold_together() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("store.json.lock");
        let holders = Arc::new(AtomicUsize::new(0));
        let rounds = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (lock, holders, rounds) = (lock.clone(), holders.clone(), rounds.clone());
                thread::spawn(move || {
                    for _ in 0..5 {
                        let guard =
                            acquire_lock_dir(lock.clone(), &quick(Duration::from_secs(30), Duration::from_secs(20)))
                                .unwrap();
                        assert_eq!(holders.fetch_add(1, Ordering::SeqCst), 0, "two holders at once");
                        thread::sleep(Duration::from_millis(3));
                        holders.fetch_sub(1, Ordering::SeqCst);
                        rounds.fetch_add(1, Ordering::SeqCst);
                        guard.release().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // Every thread has ended, so this is the last handle on the counter.
        assert_eq!(Arc::into_inner(rounds).map(AtomicUsize::into_inner), Some(20));
        assert!(!lock.exists());
    }

    #[test]
    fn a_stale_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("store.json.lock");
        fs::create_dir(&lock).unwrap();
        set_mtime(&lock, SystemTime::now() - Duration::from_secs(60));
        let started = Instant::now();
        let guard = acquire_lock_dir(lock.clone(), &LockOptions::store().with_max_wait(Duration::ZERO)).unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(age(&lock) < Duration::from_secs(10), "the new lock is fresh");
        guard.release().unwrap();
    }

    #[test]
    fn a_fresh_lock_held_elsewhere_gives_busy_after_max_wait() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("store.json.lock");
        fs::create_dir(&lock).unwrap();
        let options = LockOptions { max_wait: Duration::from_millis(600), ..LockOptions::store() };
        let started = Instant::now();
        let err = acquire_lock_dir(lock.clone(), &options).unwrap_err();
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(550) && elapsed < Duration::from_secs(5), "{elapsed:?}");
        let LockError::Busy { lock_path, waited } = &err else { panic!("{err:?}") };
        assert_eq!(lock_path, &lock);
        assert!(*waited >= Duration::from_millis(550));
        let message = err.to_string();
        assert!(message.contains("locked by another process"), "{message}");
        assert!(message.contains(&lock.display().to_string()) && message.contains("rmdir"), "{message}");
        assert!(lock.is_dir(), "someone else's lock is left alone");
    }

    #[test]
    fn the_holder_keeps_the_mtime_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("store.json.lock");
        let options =
            LockOptions { update: Duration::from_millis(50), ..quick(Duration::from_secs(30), Duration::ZERO) };
        let guard = acquire_lock_dir(lock.clone(), &options).unwrap();
        let first = fs::metadata(&lock).unwrap().modified().unwrap();
        thread::sleep(Duration::from_millis(300));
        let later = fs::metadata(&lock).unwrap().modified().unwrap();
        assert!(later > first, "mtime refreshed: {first:?} -> {later:?}");
        assert!(!guard.is_compromised());
        guard.release().unwrap();
    }

    #[test]
    fn a_lock_replaced_under_the_holder_is_reported_and_not_removed() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("store.json.lock");
        let guard = acquire_lock_dir(lock.clone(), &quick(Duration::from_secs(30), Duration::ZERO)).unwrap();
        fs::remove_dir(&lock).unwrap();
        fs::create_dir(&lock).unwrap();
        set_mtime(&lock, SystemTime::now() - Duration::from_secs(5));
        assert!(guard.is_compromised());
        assert!(matches!(guard.release(), Err(LockError::Compromised { .. })));
        assert!(lock.is_dir(), "the other holder's lock stays");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let options = LockOptions::store();
        for attempt in 0..20 {
            let delay = backoff(attempt, &options);
            let base = Duration::from_millis(100).saturating_mul(1u32 << attempt.min(16));
            assert!(delay >= base.min(options.max_backoff), "attempt {attempt}: {delay:?}");
            assert!(delay <= (base * 2).min(options.max_backoff), "attempt {attempt}: {delay:?}");
        }
        let a: Vec<f64> = (0..8).map(|_| jitter()).collect();
        assert!(a.iter().all(|j| (0.0..1.0).contains(j)));
        assert!(a.windows(2).any(|w| w[0] != w[1]), "jitter varies");
    }
}
