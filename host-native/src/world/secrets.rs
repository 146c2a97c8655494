//! SecretRef effects: a secrets file read without following a symlink,
//! a path looked at with `lstat`, and a resolver run with exactly the
//! environment, input, time and output limit the core named. The host
//! reports facts (kind, mode, links, owner); the core decides.

use super::fsio;
use clawdbot_auth_core::flow::{Owner, PathFacts, PathKind, ResolverRun, SecretFileRead};
use clawdbot_auth_core::{ExitStatus, IoKind, Secret};
use std::fs::{File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// What `meta` says, in the core's words.
fn facts(meta: &Metadata) -> PathFacts {
    let t = meta.file_type();
    let kind = if t.is_symlink() {
        PathKind::Symlink
    } else if t.is_dir() {
        PathKind::Folder
    } else if t.is_file() {
        PathKind::File
    } else {
        // A pipe, socket or device.
        PathKind::Other
    };
    // SAFETY: geteuid(2) takes nothing and cannot fail.
    let me = unsafe { libc::geteuid() };
    let owner = match meta.uid() {
        uid if uid == me => Owner::Me,
        0 => Owner::Root,
        _ => Owner::Other,
    };
    PathFacts { kind, mode: meta.mode() & 0o7777, links: meta.nlink(), owner }
}

/// `lstat`: `None` when nothing is there (or it cannot be looked at).
pub fn inspect(path: &str) -> Option<PathFacts> {
    std::fs::symlink_metadata(path).ok().map(|m| facts(&m))
}

/// Opens `path` without following a symlink and without blocking (a pipe
/// must not hang us), reports what was opened, and reads it only when it
/// is a regular file, at most `max_bytes`.
pub fn read_secret_file(path: &str, max_bytes: u64) -> SecretFileRead {
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path);
    let file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return SecretFileRead::Absent,
        // O_NOFOLLOW on a symlink: ELOOP. Say what it is.
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => match inspect(path) {
            Some(facts) => return SecretFileRead::Found { facts, text: None },
            None => return SecretFileRead::Unreadable(fsio::io_kind(&e)),
        },
        Err(e) => return SecretFileRead::Unreadable(fsio::io_kind(&e)),
    };
    let meta = match file.metadata() {
        Ok(m) => m,
        Err(e) => return SecretFileRead::Unreadable(fsio::io_kind(&e)),
    };
    let facts = facts(&meta);
    if facts.kind != PathKind::File {
        return SecretFileRead::Found { facts, text: None };
    }
    SecretFileRead::Found { facts, text: Some(read_bounded(file, max_bytes)) }
}

fn read_bounded(file: File, max_bytes: u64) -> Result<Secret, IoKind> {
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| fsio::io_kind(&e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(IoKind::TooLarge { bytes: None, limit: Some(max_bytes) });
    }
    String::from_utf8(bytes).map(Secret::new).map_err(|_| IoKind::Other { code: None })
}

/// Runs a resolver: no shell, exactly `env`, `stdin` on its input, its
/// standard error discarded (it may echo a secret); killed with its
/// process group after `timeout_ms`, or as soon as it prints more than
/// `max_output_bytes`.
pub fn run_resolver(
    command: &str,
    args: &[String],
    env: &[(String, String)],
    stdin: &str,
    timeout_ms: u64,
    max_output_bytes: u64,
) -> ResolverRun {
    let started = Instant::now();
    let timeout = Duration::from_millis(timeout_ms);
    let mut cmd = Command::new(command);
    cmd.args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return ResolverRun::Failed(fsio::io_kind(&e)),
    };
    if let Some(mut input) = child.stdin.take() {
        let request = stdin.as_bytes().to_vec();
        thread::spawn(move || {
            let _ = input.write_all(&request);
        });
    }
    let overflow = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    if let Some(mut out) = child.stdout.take() {
        let overflow = Arc::clone(&overflow);
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let mut chunk = [0u8; 8192];
            loop {
                match out.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        bytes.extend_from_slice(&chunk[..n]);
                        if bytes.len() as u64 > max_output_bytes {
                            overflow.store(true, Ordering::SeqCst);
                            bytes.clear();
                            break;
                        }
                    }
                }
            }
            let _ = tx.send(bytes);
        });
    }
    let kill = |child: &mut std::process::Child| {
        if let Ok(pgid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: kill(2) takes no pointers; the group is our unreaped child's.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    };
    let status = loop {
        if overflow.load(Ordering::SeqCst) {
            kill(&mut child);
            return ResolverRun::TooMuchOutput;
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                kill(&mut child);
                return ResolverRun::TimedOut;
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                kill(&mut child);
                return ResolverRun::Failed(fsio::io_kind(&e));
            }
        }
    };
    let left = timeout.saturating_sub(started.elapsed()).max(Duration::from_millis(200));
    let bytes = match rx.recv_timeout(left) {
        Ok(bytes) => bytes,
        // A child it left behind holds the pipe open past the time.
        Err(_) => return ResolverRun::TimedOut,
    };
    if overflow.load(Ordering::SeqCst) {
        return ResolverRun::TooMuchOutput;
    }
    let status = ExitStatus { code: status.code(), signal: status.signal() };
    match String::from_utf8(bytes) {
        Ok(text) => ResolverRun::Ended { status, stdout: Secret::new(text) },
        Err(_) => ResolverRun::Ended { status, stdout: Secret::new(String::new()) },
    }
}
