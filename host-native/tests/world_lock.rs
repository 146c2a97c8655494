//! The lock across real processes: this test binary re-runs itself as the
//! contenders, so each holder is a separate process as in production.

use clawdbot::world::lock::{self, LockError, LockOptions};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_TARGET: &str = "CLAWDBOT_WORLD_LOCK_CHILD_TARGET";
const CHILD_LOG: &str = "CLAWDBOT_WORLD_LOCK_CHILD_LOG";
const CHILD_HOLD_MS: &str = "CLAWDBOT_WORLD_LOCK_CHILD_HOLD_MS";

fn fast() -> LockOptions {
    LockOptions {
        min_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(40),
        ..LockOptions::store().with_max_wait(Duration::from_secs(20))
    }
}

fn log_line(log: &Path, line: &str) {
    let mut file = OpenOptions::new().create(true).append(true).open(log).unwrap();
    file.write_all(line.as_bytes()).unwrap();
}

/// An empty store: `version` 1 and no profiles.
const EMPTY_STORE: &[u8] = b"{\"version\":1,\"profiles\":{}}\n";

/// Does nothing in a normal run; as a spawned child it takes the lock a few
/// times, logging entry and exit, or holds it once for a while.
#[test]
fn child_contender() {
    let Ok(target) = std::env::var(CHILD_TARGET) else { return };
    let target = Path::new(&target);
    let log = std::env::var(CHILD_LOG).ok();
    let hold = std::env::var(CHILD_HOLD_MS).ok().and_then(|ms| ms.parse::<u64>().ok());
    let pid = std::process::id();
    if let Some(ms) = hold {
        let guard = lock::acquire(target, &fast()).unwrap();
        println!("HOLDING");
        std::thread::sleep(Duration::from_millis(ms));
        guard.release().unwrap();
        return;
    }
    let log = Path::new(log.as_deref().unwrap());
    for _ in 0..4 {
        let guard = lock::acquire(target, &fast()).unwrap();
        log_line(log, &format!("in {pid}\n"));
        std::thread::sleep(Duration::from_millis(5));
        log_line(log, &format!("out {pid}\n"));
        guard.release().unwrap();
    }
}

fn spawn_child(target: &Path, log: Option<&Path>, hold_ms: Option<u64>) -> std::process::Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["child_contender", "--exact", "--nocapture", "--test-threads=1"]).env(CHILD_TARGET, target);
    if let Some(log) = log {
        command.env(CHILD_LOG, log);
    }
    if let Some(ms) = hold_ms {
        command.env(CHILD_HOLD_MS, ms.to_string());
    }
    command.stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().unwrap()
}

#[test]
fn processes_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("auth-profiles.json");
    fs::write(&target, EMPTY_STORE).unwrap();
    let log = dir.path().join("log");
    let children: Vec<_> = (0..3).map(|_| spawn_child(&target, Some(&log), None)).collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let text = fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3 * 4 * 2, "{text}");
    for pair in lines.chunks(2) {
        let (Some(entry), Some(exit)) = (pair[0].strip_prefix("in "), pair[1].strip_prefix("out ")) else {
            panic!("interleaved holders:\n{text}");
        };
        assert_eq!(entry, exit, "interleaved holders:\n{text}");
    }
    assert!(!lock::lock_path_for(&target).unwrap().exists());
}

#[test]
fn a_lock_held_by_another_process_makes_us_busy() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("auth-profiles.json");
    fs::write(&target, EMPTY_STORE).unwrap();
    let lock_path = lock::lock_path_for(&target).unwrap();
    let mut holder = spawn_child(&target, None, Some(1500));
    let appeared = Instant::now();
    while !lock_path.exists() {
        assert!(appeared.elapsed() < Duration::from_secs(120), "child never took the lock");
        std::thread::sleep(Duration::from_millis(10));
    }
    let result = lock::acquire(&target, &fast().with_max_wait(Duration::from_millis(500)));
    assert!(matches!(result, Err(LockError::Busy { .. })), "{result:?}");
    // Once the holder lets go, we get it.
    let guard = lock::acquire(&target, &fast()).unwrap();
    assert!(holder.wait().unwrap().success());
    guard.release().unwrap();
}

/// A lock folder left behind (nobody refreshes it): a writer says, on
/// stderr, what it waits for, since when, and when the lock is taken over,
/// instead of waiting in silence.
#[test]
fn a_writer_waiting_for_a_left_behind_lock_says_so() {
    let home = tempfile::tempdir().unwrap();
    let agent = home.path().join(".clawdbot/agents/main/agent");
    fs::create_dir_all(&agent).unwrap();
    let store = agent.join("auth-profiles.json");
    fs::write(&store, EMPTY_STORE).unwrap();
    fs::create_dir(lock::lock_path_for(&store).unwrap()).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_clawdbot"))
        .args(["models", "auth", "paste-token", "--provider", "openai"])
        .env_clear()
        .env("HOME", home.path())
        .env("CLAWDBOT_KEYCHAIN", "off")
        .env("NO_COLOR", "1")
        // Long enough to pass the one-second mark, short of the takeover.
        .env(clawdbot_auth_core::flow::LOCK_WAIT_ENV, "2500")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"sk-FAKE-pasted-0123456789\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    let notice = err.lines().find(|l| l.contains("waiting for the store lock")).unwrap_or_else(|| panic!("{err}"));
    assert!(notice.contains(" held since 20"), "{notice}");
    assert!(notice.contains("auth-profiles.json.lock"), "{notice}");
    assert!(notice.contains("a lock nobody refreshes is taken over after 30 s"), "{notice}");
    assert!(notice.contains("giving up after 2.5 s"), "{notice}");
    assert_eq!(err.matches("waiting for").count(), 1, "said once: {err}");
    assert_eq!(fs::read(&store).unwrap(), EMPTY_STORE, "nothing written without the lock");
}

/// A short-backoff set of options with Claude Code's stale age.
fn claude_like(max_wait: Duration) -> LockOptions {
    LockOptions {
        stale: Duration::from_secs(60),
        update: Duration::from_secs(5),
        max_wait,
        min_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(40),
        what: "Claude Code's lock",
        report_wait_after: None,
    }
}

/// proper-lockfile's `realpath: false`: the folder is named from the
/// path as written, through no symlink; with `realpath` on it is the
/// resolved path's.
#[test]
fn realpath_off_names_the_lock_folder_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    fs::create_dir(&real).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let target = link.join(".oauth_refresh");
    assert_eq!(lock::lock_folder(&target, false).unwrap(), link.join(".oauth_refresh.lock"));
    let resolved = fs::canonicalize(dir.path()).unwrap().join("real.lock");
    assert_eq!(lock::lock_folder(&link, true).unwrap(), resolved);
    assert!(matches!(lock::lock_folder(&dir.path().join("absent"), true), Err(LockError::TargetMissing { .. })));
}

/// Claude Code's way with its two refresh locks: while the second is
/// busy, the set does not sit on the first (another process can take it
/// between rounds); once both are free it holds both, the first taken
/// first, and lets go of both.
#[test]
fn a_set_whose_later_folder_is_busy_lets_go_of_the_earlier_ones_between_rounds() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join(".oauth_refresh.lock"), dir.path().join("legacy.lock"));
    fs::create_dir(&second).unwrap(); // an older Claude Code holds the legacy lock
    let paths = vec![first.clone(), second.clone()];
    let waiter = std::thread::spawn(move || lock::acquire_set(paths, None, &claude_like(Duration::from_secs(120))));
    std::thread::sleep(Duration::from_millis(200)); // it is in its rounds by now
    // While it waits, the first folder is free often enough for another
    // process to take it; a waiter that held it would make this Busy.
    let other = lock::acquire_lock_dir(first.clone(), &claude_like(Duration::from_secs(60)));
    let other = other.unwrap_or_else(|e| panic!("the set sat on its first lock while waiting: {e}"));
    other.release().unwrap();
    fs::remove_dir(&second).unwrap();
    let set = waiter.join().unwrap().unwrap();
    assert_eq!(set.lock_paths(), [first.as_path(), second.as_path()]);
    assert!(first.is_dir() && second.is_dir());
    set.release().unwrap();
    assert!(!first.exists() && !second.exists());
}

/// A set held by someone else for the whole wait is Busy, naming the
/// folder that was held, and leaves nothing of ours behind.
#[test]
fn a_set_busy_for_the_whole_wait_names_the_held_folder_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("a.lock"), dir.path().join("b.lock"));
    fs::create_dir(&second).unwrap();
    let result = lock::acquire_set(vec![first.clone(), second.clone()], None, &claude_like(Duration::from_millis(300)));
    let Err(LockError::Busy { lock_path, .. }) = result else { panic!("{result:?}") };
    assert_eq!(lock_path, second);
    assert!(!first.exists(), "ours let go");
    assert!(second.is_dir(), "theirs left alone");
}

/// A lock folder 30 s old is a live Claude Code's (it touches every 5 s
/// and calls a lock stale after 60 s): never taken over with its timings,
/// where proper-lockfile's default 10 s would have.
#[test]
fn a_thirty_second_old_lock_is_not_stale_with_claude_codes_timings() {
    let dir = tempfile::tempdir().unwrap();
    let held = dir.path().join(".oauth_refresh.lock");
    fs::create_dir(&held).unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(30);
    fs::File::open(&held).unwrap().set_times(fs::FileTimes::new().set_modified(old)).unwrap();
    let result = lock::acquire_set(vec![held.clone()], None, &claude_like(Duration::from_millis(200)));
    assert!(matches!(result, Err(LockError::Busy { .. })), "{result:?}");
    assert!(held.is_dir());
    // Past 60 s it is a dead holder's, and taken over.
    let older = std::time::SystemTime::now() - Duration::from_secs(61);
    fs::File::open(&held).unwrap().set_times(fs::FileTimes::new().set_modified(older)).unwrap();
    lock::acquire_set(vec![held.clone()], None, &claude_like(Duration::ZERO)).unwrap().release().unwrap();
}

/// The owner record Claude Code reads beside its refresh lock: written
/// once both folders are held (this process, both birth times), removed
/// on release, but never when another holder's record replaced it.
#[cfg(target_os = "linux")]
#[test]
fn the_owner_record_says_who_holds_the_set_and_goes_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join(".oauth_refresh.lock"), dir.path().join("legacy.lock"));
    let owner = dir.path().join(".oauth_refresh.lock.owner");
    let options = claude_like(Duration::ZERO);
    let set = lock::acquire_set(vec![first.clone(), second.clone()], Some(owner.clone()), &options).unwrap();
    let born = |p: &Path| {
        let since = fs::metadata(p).unwrap().created().unwrap().duration_since(std::time::UNIX_EPOCH).unwrap();
        since.as_secs() as f64 * 1000.0 + f64::from(since.subsec_nanos()) / 1e6
    };
    if fs::metadata(&first).unwrap().created().is_err() {
        // No birth times on this filesystem: no record, as Claude Code.
        assert!(!owner.exists());
        return;
    }
    assert_eq!(set.owner_record(), Some(owner.as_path()));
    let record: serde_json::Value = serde_json::from_str(&fs::read_to_string(&owner).unwrap()).unwrap();
    assert_eq!(record["pid"], std::process::id());
    let ns = fs::read_link("/proc/self/ns/pid").map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    assert!(record["pidDomain"].as_str().unwrap().starts_with("linux:"), "{record}");
    assert!(record["pidDomain"].as_str().unwrap().ends_with(&format!(":{ns}")), "{record}");
    assert!(record["pidSpace"].as_str().unwrap().ends_with(&format!("#{ns}")), "{record}");
    assert!((record["lockBirthtimeMs"].as_f64().unwrap() - born(&first)).abs() < 0.001, "{record}");
    assert!((record["legacyLockBirthtimeMs"].as_f64().unwrap() - born(&second)).abs() < 0.001, "{record}");
    set.release().unwrap();
    assert!(!owner.exists() && !first.exists() && !second.exists());

    // A record that is no longer ours stays.
    let set = lock::acquire_set(vec![first.clone()], Some(owner.clone()), &options).unwrap();
    let theirs = r#"{"pid":1,"pidDomain":"linux::","pidSpace":"x","lockBirthtimeMs":1}"#;
    fs::write(&owner, theirs).unwrap();
    drop(set);
    assert_eq!(fs::read_to_string(&owner).unwrap(), theirs);
}
