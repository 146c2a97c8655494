//! Running a helper tool (`security`, a login shell) with a deadline.
//!
//! Pipes are drained by threads so a chatty tool cannot deadlock us, output
//! is capped, and a tool that outlives its deadline is killed: a Keychain
//! prompt nobody answers, or a shell profile that hangs, must not hang
//! `clawdbot` with it.

use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// How long to wait for output pipes after the tool exited (a grandchild
/// could hold them open).
pub const PIPE_GRACE: Duration = Duration::from_secs(1);
/// Most output we keep from a tool: a credentials JSON is a few KiB, an
/// environment a few tens.
pub const MAX_OUTPUT: u64 = 1024 * 1024;

/// A finished run of the tool.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

pub enum RunFailure {
    Spawn(io::Error),
    Io(io::Error),
    TimedOut,
}

/// Runs `bin args`, feeding `input` on stdin (or none), and kills it if it
/// has not exited after `timeout`. Pipes are drained by threads so a chatty
/// tool cannot deadlock us; after a kill those threads are left to finish
/// when the pipes close.
pub fn run(bin: &Path, args: &[&str], input: Option<Vec<u8>>, timeout: Duration) -> Result<Finished, RunFailure> {
    let started = Instant::now();
    let mut child = spawn(bin, args, input.is_some())?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        // The line is far smaller than a pipe buffer, but a writer thread
        // keeps even a tool that never reads from blocking us.
        thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                kill(&mut child);
                return Err(RunFailure::TimedOut);
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(err) => {
                kill(&mut child);
                return Err(RunFailure::Io(err));
            }
        }
    };
    let collect = |rx: Receiver<Vec<u8>>| rx.recv_timeout(PIPE_GRACE).unwrap_or_default();
    Ok(Finished { status, stdout: collect(stdout), stderr: collect(stderr) })
}

fn spawn(bin: &Path, args: &[&str], with_stdin: bool) -> Result<Child, RunFailure> {
    let mut attempts = 0;
    loop {
        let stdin = if with_stdin { Stdio::piped() } else { Stdio::null() };
        // Its own process group, so that a timeout kills what it started
        // too (a login shell's profile may start helpers that outlive it).
        let mut command = Command::new(bin);
        command.args(args).stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
        match command.spawn() {
            Ok(child) => return Ok(child),
            // ETXTBSY: the binary was just written and another thread's fork
            // still holds it open for writing; it clears in a moment.
            Err(err) if err.kind() == io::ErrorKind::ExecutableFileBusy && attempts < 10 => {
                attempts += 1;
                thread::sleep(Duration::from_millis(20));
            }
            Err(err) => return Err(RunFailure::Spawn(err)),
        }
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    if let Some(pipe) = pipe {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.take(MAX_OUTPUT).read_to_end(&mut bytes);
            let _ = tx.send(bytes);
        });
    }
    rx
}

/// Kills the tool's whole process group (it leads one: see [`spawn`]),
/// then reaps the tool. Grandchildren are reaped by init.
fn kill(child: &mut Child) {
    if let Ok(pgid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) takes no pointers. The group id is our unreaped
        // child's pid, so it cannot have been reused for another group.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}
