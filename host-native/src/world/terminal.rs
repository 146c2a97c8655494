//! A hidden prompt: the terminal's echo is off while a secret is typed,
//! and back on however the read ends (issue 23 item 17).
//!
//! rpassword turned the echo back on only when its read returned, so a
//! Ctrl-C at the prompt killed the process with the echo still off: a
//! parent that does not restore the terminal (dash, a script, `ssh host
//! cmd`) left the operator typing blind. Here the terminal's settings are
//! put back by a guard (a line, end of input, an error, a panic) and by a
//! signal handler (Ctrl-C, Ctrl-\, a hangup, `kill`), which then lets the
//! signal do what it would have done. Ctrl-Z shows the echo while the
//! command is stopped and hides it again when it goes on. Only SIGKILL
//! cannot be caught; nothing can restore the terminal after it.

use std::cell::UnsafeCell;
use std::io::{BufRead, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// Signals that end the process: restore, then let them end it.
const ENDING: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];
/// Ctrl-Z: restore, stop, hide again when continued. (SIGTTIN and SIGTTOU
/// reach only a background reader, which never hid anything: its
/// tcsetattr would have stopped it first.)
const STOPPING: [libc::c_int; 1] = [libc::SIGTSTP];

/// The terminal's settings before the prompt and while it is hidden, for
/// the signal handler: written before [`ARMED`] is set, read only while it is.
struct Modes(UnsafeCell<Option<(libc::termios, libc::termios)>>);
// SAFETY: written only by the one thread that arms the prompt, before it
// sets ARMED (Release); read by the handler only after it sees ARMED
// (Acquire). Prompts never overlap: the interpreter asks one at a time.
unsafe impl Sync for Modes {}

static MODES: Modes = Modes(UnsafeCell::new(None));
static ARMED: AtomicBool = AtomicBool::new(false);
static FD: AtomicI32 = AtomicI32::new(-1);

/// Shows `prompt` on stderr and reads one line from the terminal on
/// standard input with the echo off, at most `cap` bytes; the line end is
/// removed. Not UTF-8: `InvalidData`.
pub fn read_hidden(prompt: &str, cap: u64) -> std::io::Result<String> {
    let stdin = std::io::stdin();
    let fd = stdin.as_raw_fd();
    let mut stderr = std::io::stderr();
    let _ = stderr.write_all(prompt.as_bytes());
    let _ = stderr.flush();
    let mut line = Vec::new();
    {
        let _hidden = Hidden::new(fd)?;
        let mut lock = stdin.lock();
        (&mut lock).take(cap).read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\n") && line.len() as u64 == cap {
            // The rest of an over-long line is read and dropped here, with
            // the echo still off: left in the terminal, the shell would
            // read it as a command line, secret and all.
            let mut rest = Vec::new();
            while lock.read_until(b'\n', &mut rest)? > 0 && !rest.ends_with(b"\n") {
                rest.clear();
            }
        }
    }
    if line.ends_with(b"\n") {
        line.pop();
        if line.ends_with(b"\r") {
            line.pop();
        }
    }
    String::from_utf8(line).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// The echo off, and the handlers that put it back, until dropped.
struct Hidden {
    fd: libc::c_int,
    before: libc::termios,
    /// The actions the handlers replaced, to put back.
    replaced: Vec<(libc::c_int, libc::sigaction)>,
}

impl Hidden {
    fn new(fd: libc::c_int) -> std::io::Result<Hidden> {
        // SAFETY: a zeroed termios is a valid value for tcgetattr to fill.
        let mut before: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `before` is a valid, writable termios.
        if unsafe { libc::tcgetattr(fd, &mut before) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut hidden = before;
        // The line still ends with the newline echoed, as a password prompt does.
        hidden.c_lflag &= !libc::ECHO;
        hidden.c_lflag |= libc::ECHONL;
        // SAFETY: see `Modes`: no handler reads MODES until ARMED is set.
        unsafe { *MODES.0.get() = Some((before, hidden)) };
        FD.store(fd, Ordering::Relaxed);
        ARMED.store(true, Ordering::Release);
        let mut guard = Hidden { fd, before, replaced: Vec::new() };
        for signal in ENDING.into_iter().chain(STOPPING) {
            if let Some(old) = install(signal) {
                guard.replaced.push((signal, old));
            }
        }
        // SAFETY: `hidden` is a valid termios.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &hidden) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(guard)
    }
}

impl Drop for Hidden {
    fn drop(&mut self) {
        // SAFETY: `before` is the termios tcgetattr gave.
        unsafe { libc::tcsetattr(self.fd, libc::TCSANOW, &self.before) };
        ARMED.store(false, Ordering::Release);
        for (signal, old) in self.replaced.drain(..) {
            // SAFETY: `old` is the action sigaction reported for `signal`.
            unsafe { libc::sigaction(signal, &old, std::ptr::null_mut()) };
        }
    }
}

/// Puts [`on_signal`] on `signal`, unless the process ignores it (`nohup`
/// keeps a hangup ignored); the action it replaced.
fn install(signal: libc::c_int) -> Option<libc::sigaction> {
    // SAFETY: zeroed sigactions are valid; sigaction reads `action` and
    // writes `old`, both valid for the call.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(signal, std::ptr::null(), &mut old) != 0 || old.sa_sigaction == libc::SIG_IGN {
            return None;
        }
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
            return None;
        }
        Some(old)
    }
}

/// The handler: only async-signal-safe calls (tcsetattr, write, sigaction,
/// sigprocmask, raise).
extern "C" fn on_signal(signal: libc::c_int) {
    if !ARMED.load(Ordering::Acquire) {
        return;
    }
    let fd = FD.load(Ordering::Relaxed);
    // SAFETY: ARMED was seen set, so MODES holds the modes (see `Modes`).
    let Some((before, hidden)) = (unsafe { *MODES.0.get() }) else { return };
    // SAFETY: every call below is async-signal-safe and given valid values.
    unsafe {
        libc::tcsetattr(fd, libc::TCSANOW, &before);
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut default.sa_mask);
        let mut mine: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, &default, &mut mine);
        if !STOPPING.contains(&signal) {
            // The shell's next prompt on a line of its own, then the
            // signal's own end of the process.
            libc::write(libc::STDERR_FILENO, b"\n".as_ptr().cast(), 1);
            libc::raise(signal);
            return;
        }
        // Stop here (the signal is blocked while its handler runs: unblock
        // it), and once continued, hide the echo again and take the
        // signal back.
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::raise(signal);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::sigaction(signal, &mine, std::ptr::null_mut());
        libc::tcsetattr(fd, libc::TCSANOW, &hidden);
    }
}
