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
