//! What a process waiting for a lock tells its user.
//!
//! A lock folder left behind by a killed process makes every writer wait
//! until it goes stale (30 s for the store). Waiting that long in silence
//! looks like a hang, so after about a second the host says who waits for
//! what, since when the lock is held, and when it will be taken over. The
//! host measures; this module only words it, so every host says the same.
//!
//! A holder tells waiters too: beside its refresh lock Claude Code keeps
//! an owner record (`.oauth_refresh.lock.owner`) saying which process holds
//! it, so that a waiter can take over a lock whose holder is gone without
//! waiting for it to go stale. A host that holds that lock writes the same
//! record ([`owner_record`]) and removes it on release only while it is
//! still its own ([`is_own_record`]).

use crate::time::Millis;
use serde_json::{Map, Value, json};

/// Who holds a lock, as a Linux host knows itself: the facts of Claude
/// Code 2.1.332's owner record.
#[derive(Debug, Clone, PartialEq)]
pub struct LockOwner<'a> {
    /// The holder's process id.
    pub pid: u32,
    /// `/etc/machine-id`, trimmed (empty when there is none).
    pub machine_id: &'a str,
    /// Where `/proc/self/ns/pid` points (`pid:[4026531836]`), empty when
    /// unknown: pids are only comparable within one namespace.
    pub pid_namespace: &'a str,
    /// The host name (`gethostname`).
    pub host_name: &'a str,
    /// The lock folder's birth time, in milliseconds with their fraction
    /// (`stat`'s `birthtimeMs`).
    pub lock_birth_ms: f64,
    /// The second (legacy) lock folder's, when it is held too.
    pub legacy_lock_birth_ms: Option<f64>,
}

/// The owner record as Claude Code writes and reads it: `{pid, pidDomain,
/// pidSpace, lockBirthtimeMs, legacyLockBirthtimeMs?}`, where `pidDomain`
/// is `linux:<machine-id>:<pid namespace>` and `pidSpace` the host name,
/// then `#<pid namespace>` when it is known. It leaves out the optional
/// `procStart`: a waiter that finds it unlike its own reading of the
/// process would take the holder for dead, so only the pid is given,
/// whose liveness it checks with a signal 0.
pub fn owner_record(owner: &LockOwner) -> String {
    let ns = owner.pid_namespace;
    let space = if ns.is_empty() { owner.host_name.to_string() } else { format!("{}#{ns}", owner.host_name) };
    let mut record = Map::new();
    record.insert("pid".into(), owner.pid.into());
    record.insert("pidDomain".into(), format!("linux:{}:{ns}", owner.machine_id).into());
    record.insert("pidSpace".into(), space.into());
    record.insert("lockBirthtimeMs".into(), json!(owner.lock_birth_ms));
    if let Some(legacy) = owner.legacy_lock_birth_ms {
        record.insert("legacyLockBirthtimeMs".into(), json!(legacy));
    }
    Value::Object(record).to_string()
}

/// Whether `text` is the record of process `pid` for the lock folder born
/// at `lock_birth_ms`: only then may its holder remove it. (Birth times
/// are compared to a microsecond: a number read back from JSON may differ
/// in its last bit, two lock folders' births by far more.)
pub fn is_own_record(text: &str, pid: u32, lock_birth_ms: f64) -> bool {
    let Ok(record) = serde_json::from_str::<Value>(text) else { return false };
    let born = record["lockBirthtimeMs"].as_f64();
    record["pid"].as_u64() == Some(u64::from(pid)) && born.is_some_and(|at| (at - lock_birth_ms).abs() < 0.001)
}

/// What the host knows about a lock it is waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockWait<'a> {
    /// Which lock, as a user knows it: "the store lock".
    pub what: &'a str,
    /// The lock folder, as the host displays paths.
    pub lock_path: &'a str,
    /// When the folder was made (its birth time, else its mtime), if known.
    pub held_since: Option<Millis>,
    /// The folder's mtime: a live holder refreshes it.
    pub refreshed_at: Option<Millis>,
    /// A lock not refreshed for this long is taken over.
    pub stale_after_ms: i64,
    /// The waiter gives up after this long in total.
    pub gives_up_after_ms: i64,
}

/// One line for standard error, e.g. "waiting for the store lock held
/// since 2026-01-01 12:01:07 UTC (…/auth-profiles.json.lock, last
/// refreshed 2026-01-01 12:01:22 UTC); a lock nobody refreshes is taken
/// over after 30 s; giving up after 45 s".
pub fn waiting_notice(wait: &LockWait) -> String {
    let since = match wait.held_since {
        Some(at) => format!(" held since {}", clock_time(at)),
        None => String::new(),
    };
    let refreshed = match wait.refreshed_at {
        Some(at) if Some(at) != wait.held_since => format!(", last refreshed {}", clock_time(at)),
        _ => String::new(),
    };
    format!(
        "waiting for {}{since} ({}{refreshed}); a lock nobody refreshes is taken over after {}; giving up after {}",
        wait.what,
        crate::escape::escape_control(wait.lock_path),
        seconds(wait.stale_after_ms),
        seconds(wait.gives_up_after_ms),
    )
}

/// The same for a lock file another tool holds with `flock(2)` (Codex
/// CLI's `auth.lock`), which is never stale: the kernel releases it when
/// its holder exits.
pub fn waiting_notice_file(what: &str, lock_path: &str, gives_up_after_ms: i64) -> String {
    format!(
        "waiting for {what} ({}); it is released when its holder finishes or exits; giving up after {}",
        crate::escape::escape_control(lock_path),
        seconds(gives_up_after_ms),
    )
}

/// `2026-01-01 12:01:07 UTC`: the date too, since a lock left behind may
/// be days old.
fn clock_time(at: Millis) -> String {
    match chrono::DateTime::from_timestamp_millis(at) {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        None => "an unknown time".to_string(),
    }
}

/// Whole seconds when whole (`30 s`), else one decimal (`2.5 s`).
fn seconds(ms: i64) -> String {
    if ms % 1000 == 0 { format!("{} s", ms / 1000) } else { format!("{:.1} s", ms as f64 / 1000.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Millis = 1_767_269_267_000; // 2026-01-01T12:07:47Z

    fn wait(held_since: Option<Millis>, refreshed_at: Option<Millis>) -> String {
        waiting_notice(&LockWait {
            what: "the store lock",
            lock_path: "/h/.clawdbot/agents/main/agent/auth-profiles.json.lock",
            held_since,
            refreshed_at,
            stale_after_ms: 30_000,
            gives_up_after_ms: 45_000,
        })
    }

    #[test]
    fn names_the_lock_its_age_and_the_takeover() {
        assert_eq!(
            wait(Some(AT), Some(AT)),
            "waiting for the store lock held since 2026-01-01 12:07:47 UTC \
             (/h/.clawdbot/agents/main/agent/auth-profiles.json.lock); \
             a lock nobody refreshes is taken over after 30 s; giving up after 45 s"
        );
        assert!(wait(Some(AT), Some(AT + 15_000)).contains("last refreshed 2026-01-01 12:08:02 UTC"));
        assert!(wait(None, None).starts_with("waiting for the store lock ("));
    }

    #[test]
    fn a_refresh_without_a_birth_time_is_still_shown() {
        assert_eq!(
            wait(None, Some(AT)),
            "waiting for the store lock (/h/.clawdbot/agents/main/agent/auth-profiles.json.lock, \
             last refreshed 2026-01-01 12:07:47 UTC); \
             a lock nobody refreshes is taken over after 30 s; giving up after 45 s"
        );
        assert!(wait(Some(i64::MAX), None).contains("held since an unknown time ("));
    }

    #[test]
    fn a_lock_file_is_not_said_to_go_stale() {
        assert_eq!(
            waiting_notice_file("Codex CLI's lock", "/h/.codex/auth.lock", 10_000),
            "waiting for Codex CLI's lock (/h/.codex/auth.lock); it is released when its holder finishes or exits; \
             giving up after 10 s"
        );
        assert!(!waiting_notice_file("x", "/h/\u{1b}[2J", 1).contains('\u{1b}'));
    }

    #[test]
    fn seconds_are_whole_or_one_decimal() {
        assert_eq!(seconds(30_000), "30 s");
        assert_eq!(seconds(0), "0 s");
        assert_eq!(seconds(1_500), "1.5 s");
        assert_eq!(seconds(1_001), "1.0 s");
        assert_eq!(seconds(250), "0.2 s");
    }

    /// The record as Claude Code 2.1.332 parses it (its schema: `pid`
    /// int, `procStart?`, `pidDomain`, `pidSpace`, `lockBirthtimeMs`,
    /// `legacyLockBirthtimeMs?`), its domain and space as it computes them.
    #[test]
    fn the_owner_record_is_claude_codes() {
        let owner = LockOwner {
            pid: 4242,
            machine_id: "0123456789abcdef0123456789abcdef",
            pid_namespace: "pid:[4026531836]",
            host_name: "gw1",
            lock_birth_ms: 1_796_658_538_822.123_5,
            legacy_lock_birth_ms: Some(1_796_658_538_823.5),
        };
        let record: Value = serde_json::from_str(&owner_record(&owner)).expect("json");
        assert_eq!(
            record,
            json!({"pid": 4242, "pidDomain": "linux:0123456789abcdef0123456789abcdef:pid:[4026531836]",
                   "pidSpace": "gw1#pid:[4026531836]", "lockBirthtimeMs": 1_796_658_538_822.123_5,
                   "legacyLockBirthtimeMs": 1_796_658_538_823.5})
        );
        assert!(record.get("procStart").is_none(), "never a start time it could misread");
        let alone = LockOwner { pid_namespace: "", legacy_lock_birth_ms: None, ..owner.clone() };
        let record: Value = serde_json::from_str(&owner_record(&alone)).expect("json");
        assert_eq!(
            (record["pidSpace"].as_str(), record["pidDomain"].as_str()),
            (Some("gw1"), Some("linux:0123456789abcdef0123456789abcdef:"))
        );
        assert!(record.get("legacyLockBirthtimeMs").is_none());
        let text = owner_record(&owner);
        assert!(is_own_record(&text, 4242, owner.lock_birth_ms));
        assert!(!is_own_record(&text, 4243, owner.lock_birth_ms), "another process's");
        assert!(!is_own_record(&text, 4242, owner.lock_birth_ms + 1.0), "another lock's");
        assert!(!is_own_record("{not json", 4242, owner.lock_birth_ms));
    }

    #[test]
    fn a_hostile_path_cannot_reach_the_terminal_raw() {
        let text = waiting_notice(&LockWait {
            what: "the store lock",
            lock_path: "/h/\u{1b}]0;x\u{7}.lock",
            held_since: None,
            refreshed_at: None,
            stale_after_ms: 2_500,
            gives_up_after_ms: 1_000,
        });
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("after 2.5 s"), "{text}");
    }
}
