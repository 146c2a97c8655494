//! The hidden prompts on a real pseudo-terminal (issue 23 item 17): a
//! Ctrl-C, a hangup or a `kill` at `paste-token`'s, `paste-api-key`'s or
//! `setup-token`'s prompt leaves the terminal's echo on, under dash, which
//! (like a script or `ssh host cmd`) does not put the terminal back itself.
//!
//! The pty is opened here with libc (no `script` or Python needed), the
//! command runs as `dash -c '<clawdbot> ...; :'` in a session of its own
//! on it, and once both are gone the terminal's modes are read from the
//! master side, where they outlive them.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The pinned clock of every run.
const NOW: i64 = 1_767_225_600_000;

/// How a test ends the prompt.
#[derive(Debug, Clone, Copy)]
enum End {
    /// Ctrl-C typed on the terminal (SIGINT from the line discipline).
    CtrlC,
    /// `kill -TERM` (or `-HUP`) to the whole session's process group.
    Signal(libc::c_int),
}

/// A fresh pty pair: (master, slave).
fn open_pty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two fds; the name, termios and size may be null.
    let rc =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both fds were just opened and are owned here alone.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// Whether the terminal behind `master` echoes.
fn echoes(master: &OwnedFd) -> bool {
    // SAFETY: a zeroed termios is valid for tcgetattr to fill.
    let mut modes: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: a valid fd and a writable termios.
    let rc = unsafe { libc::tcgetattr(master.as_raw_fd(), &mut modes) };
    assert_eq!(rc, 0, "tcgetattr: {}", std::io::Error::last_os_error());
    modes.c_lflag & libc::ECHO != 0
}

/// A command running under dash on a new pty, in a session of its own.
struct OnPty {
    master: OwnedFd,
    child: std::process::Child,
    rx: mpsc::Receiver<Vec<u8>>,
    screen: Vec<u8>,
}

impl OnPty {
    /// `clawdbot args` on a new pty, HOME `home`; `None` when dash is not
    /// installed.
    fn start(home: &std::path::Path, args: &str) -> Option<OnPty> {
        let dash = ["/usr/bin/dash", "/bin/dash"].into_iter().find(|p| std::path::Path::new(p).exists());
        let Some(dash) = dash else {
            eprintln!("skipped: dash is not installed");
            return None;
        };
        let (master, slave) = open_pty();
        // `; :` keeps dash the parent (a lone command may be exec'd in its place).
        let line = format!("{} {args}; :", env!("CARGO_BIN_EXE_clawdbot"));
        let mut cmd = Command::new(dash);
        cmd.args(["-c", &line])
            .env_clear()
            .env("HOME", home)
            // No `claude` on PATH: setup-token asks for the token at once.
            .env("PATH", "/usr/bin:/bin")
            .env("CLAWDBOT_NOW_MS", NOW.to_string())
            .env("CLAWDBOT_KEYCHAIN", "off")
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .current_dir(home)
            .stdin(Stdio::from(slave.try_clone().expect("dup")))
            .stdout(Stdio::from(slave.try_clone().expect("dup")))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec: a new
        // session whose controlling terminal is the pty on stdin.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("dash runs");
        drop(cmd); // the parent's copies of the slave
        let mut reader = std::fs::File::from(master.try_clone().expect("dup"));
        let (tx, rx) = mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            // EIO once every slave fd is closed: the end of the screen.
            while let Ok(n) = reader.read(&mut chunk) {
                if n == 0 || tx.send(chunk[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Some(OnPty { master, child, rx, screen: Vec::new() })
    }

    fn shown(&self) -> String {
        String::from_utf8_lossy(&self.screen).into_owned()
    }

    /// Waits until the screen shows `text` `times` times in all.
    fn wait_for(&mut self, text: &str, times: usize) {
        while self.shown().matches(text).count() < times {
            match self.rx.recv_timeout(Duration::from_secs(120)) {
                Ok(bytes) => self.screen.extend(bytes),
                Err(_) => panic!("{text:?} never appeared: {}", self.shown()),
            }
        }
    }

    /// Waits for the hidden prompt and for the echo to go off: the prompt
    /// and the mode change are one call apart.
    fn wait_for_hidden_prompt(&mut self) {
        self.wait_for("(input is hidden)", 1);
        for _ in 0..1200 {
            if !echoes(&self.master) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(!echoes(&self.master), "the prompt hides what is typed");
    }

    fn type_in(&self, text: &[u8]) {
        std::fs::File::from(self.master.try_clone().expect("dup")).write_all(text).expect("type");
    }

    /// Waits for the end; what the screen showed and whether the terminal
    /// echoes now.
    fn finish(mut self, after: &str) -> (String, bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while self.child.try_wait().expect("wait").is_none() {
            assert!(std::time::Instant::now() < deadline, "the command outlived {after}");
            std::thread::sleep(Duration::from_millis(50));
        }
        // dash may go first (a hangup ends it at once): wait for the whole
        // process group, clawdbot's handler included, to be gone.
        // SAFETY: signal 0 only asks whether the group still has a member.
        while unsafe { libc::kill(-(self.child.id() as i32), 0) } == 0 {
            assert!(std::time::Instant::now() < deadline, "clawdbot outlived {after}");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.screen.extend(self.rx.try_iter().flatten());
        (self.shown(), echoes(&self.master))
    }
}

/// Runs `clawdbot args` under dash on a new pty, ends it with `end` once
/// the hidden prompt is up, and says what the screen showed and whether
/// the terminal echoes afterwards; `None` when dash is not installed.
fn interrupted(args: &str, end: End) -> Option<(String, bool)> {
    let home = tempfile::tempdir().expect("home");
    let mut pty = OnPty::start(home.path(), args)?;
    pty.wait_for_hidden_prompt();
    match end {
        End::CtrlC => pty.type_in(b"\x03"),
        // SAFETY: a plain kill of the session's process group (dash's pid).
        End::Signal(signal) => assert_eq!(unsafe { libc::kill(-(pty.child.id() as i32), signal) }, 0),
    }
    Some(pty.finish(&format!("{end:?}")))
}

const PROMPTS: [&str; 3] = [
    "models auth paste-token --provider openai",
    "models auth paste-api-key --provider openai",
    "models auth setup-token",
];

#[test]
fn ctrl_c_at_a_hidden_prompt_leaves_the_echo_on() {
    for args in PROMPTS {
        let Some((screen, echo)) = interrupted(args, End::CtrlC) else { return };
        assert!(echo, "{args}: the echo stayed off after Ctrl-C:\n{screen}");
    }
}

#[test]
fn a_hangup_or_a_kill_at_a_hidden_prompt_leaves_the_echo_on() {
    for (args, signal) in [(PROMPTS[0], libc::SIGTERM), (PROMPTS[1], libc::SIGHUP), (PROMPTS[2], libc::SIGTERM)] {
        let Some((screen, echo)) = interrupted(args, End::Signal(signal)) else { return };
        assert!(echo, "{args}: the echo stayed off after signal {signal}:\n{screen}");
    }
}

/// Issue 23 item 19: docs/cli.md says `--agent` is taken by every
/// subcommand, `add` included. `models auth add --agent ops` on a terminal
/// asks its questions and stores the token in that agent's store, and the
/// terminal echoes again afterwards.
#[test]
fn add_with_agent_stores_into_that_agents_store() {
    let home = tempfile::tempdir().expect("home");
    // An agent that exists (its folder), as `--agent` requires.
    std::fs::create_dir_all(home.path().join(".clawdbot/agents/ops/agent")).expect("ops's folder");
    let Some(mut pty) = OnPty::start(home.path(), "models auth add --agent ops") else { return };
    for (n, (question, answer)) in
        [("Provider [", "openai\n"), ("Profile id [", "\n"), ("Does this token expire?", "n\n")].into_iter().enumerate()
    {
        pty.wait_for(question, 1);
        pty.wait_for("]: ", n + 1);
        pty.type_in(answer.as_bytes());
    }
    pty.wait_for_hidden_prompt();
    pty.type_in(b"sk-FAKE-typed-for-ops-0123456789\n");
    let (screen, echo) = pty.finish("the token");
    assert!(echo, "{screen}");
    assert!(!screen.contains("typed-for-ops"), "the token was echoed:\n{screen}");
    let ops = home.path().join(".clawdbot/agents/ops/agent/auth-profiles.json");
    let store: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ops).unwrap_or_else(|e| panic!("{e}:\n{screen}"))).unwrap();
    assert_eq!(store["profiles"]["openai:manual"]["token"], "sk-FAKE-typed-for-ops-0123456789");
    assert!(!home.path().join(".clawdbot/agents/main").exists(), "the default agent was left alone");
}
