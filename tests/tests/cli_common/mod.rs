//! Shared helpers of the CLI tests: finding (and building) the `clawdbot`
//! binary, a throw-away HOME per test, and running the binary with a cleared
//! environment and a watchdog.

#![allow(dead_code)] // each test crate uses a different subset

#[path = "../../support/child.rs"]
mod child;
#[allow(unused_imports)] // each test crate uses a different subset
pub use child::{control_problems, mode};
use child::{reader, wait_with_limit};

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The clock every test pins (2026-01-01T00:00:00Z), unless a vector says otherwise.
pub const NOW_MS: i64 = 1_767_225_600_000;

/// How long one run may take before the watchdog kills it. Loose on purpose:
/// the CI machines are small and busy.
pub const RUN_LIMIT: Duration = Duration::from_secs(120);

/// Where the store lives, relative to HOME.
pub const STORE: &str = ".clawdbot/agents/main/agent/auth-profiles.json";

/// The `clawdbot` binary of this build, built once per test process.
///
/// The binary belongs to another package, which cargo does not build for
/// this package's tests, so it is built here with the same profile and
/// target folder (a no-op when it is up to date). Building every time
/// rather than only when missing keeps the tests from running a stale binary.
pub fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        // target/<profile>/deps/<test>-<hash>
        let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile> folder").to_path_buf();
        let bin = profile_dir.join("clawdbot");
        if let Some(cargo) = std::env::var_os("CARGO") {
            let profile = profile_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let mut cmd = Command::new(cargo);
            cmd.args(["build", "--quiet", "-p", "clawdbot", "--bin", "clawdbot"]);
            match profile.as_str() {
                "debug" => {}
                "release" => {
                    cmd.arg("--release");
                }
                other => {
                    cmd.args(["--profile", other]);
                }
            }
            if let Some(target_dir) = profile_dir.parent() {
                cmd.arg("--target-dir").arg(target_dir);
            }
            cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
            let out = cmd.output().expect("running cargo build -p clawdbot");
            assert!(out.status.success(), "cargo build -p clawdbot failed:\n{}", String::from_utf8_lossy(&out.stderr));
        }
        assert!(bin.is_file(), "clawdbot binary not found at {}", bin.display());
        bin
    })
}

/// A fresh, empty HOME, removed when dropped.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home { dir: tempfile::Builder::new().prefix("clawdbot-cli-").tempdir().expect("temp HOME") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `bytes` at `rel`, creating the folders on the way, private
    /// (0700 folders, a 0600 file) as the tools that own them make them, so
    /// that doctor's permission notes do not mention every file.
    pub fn write(&self, rel: &str, bytes: &[u8]) {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(parent).expect("create folders in HOME");
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .expect("create a HOME file");
        file.write_all(bytes).expect("write a HOME file");
    }

    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        std::fs::read(self.join(rel)).ok()
    }
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    /// The exit code; `None` if killed by a signal (the watchdog included).
    pub code: Option<i32>,
    pub timed_out: bool,
    pub elapsed: Duration,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Run {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// `clawdbot <args>` for messages.
    pub fn what(&self) -> String {
        format!("clawdbot {}", self.args.join(" "))
    }

    /// stdout as exactly one JSON document (whitespace around it allowed).
    pub fn json(&self) -> Result<serde_json::Value, String> {
        let text =
            std::str::from_utf8(&self.stdout).map_err(|e| format!("{}: stdout is not UTF-8: {e}", self.what()))?;
        let mut docs = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
        let first = match docs.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(format!("{}: stdout is not JSON ({e}):\n{text}", self.what())),
            None => return Err(format!("{}: stdout is empty", self.what())),
        };
        if docs.next().is_some() {
            return Err(format!("{}: stdout holds more than one JSON document:\n{text}", self.what()));
        }
        Ok(first)
    }
}

/// A run of the binary: cleared environment plus HOME, PATH, the pinned
/// clock, the Keychain off (so no test ever reaches a real Keychain), then
/// `env` (which may override any of those).
pub struct Cli<'a> {
    home: &'a Path,
    env: BTreeMap<String, String>,
    stdin: Vec<u8>,
}

impl<'a> Cli<'a> {
    pub fn new(home: &'a Path) -> Cli<'a> {
        let mut env = BTreeMap::new();
        env.insert("HOME".to_string(), home.to_string_lossy().into_owned());
        env.insert("PATH".to_string(), std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_string()));
        env.insert("CLAWDBOT_NOW_MS".to_string(), NOW_MS.to_string());
        env.insert("CLAWDBOT_KEYCHAIN".to_string(), "off".to_string());
        Cli { home, env, stdin: Vec::new() }
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.to_string(), value.to_string());
        self
    }

    pub fn stdin(mut self, bytes: &[u8]) -> Self {
        self.stdin = bytes.to_vec();
        self
    }

    /// Runs `clawdbot <args>` and waits at most [`RUN_LIMIT`], then kills it.
    pub fn run(&self, args: &[&str]) -> Run {
        let start = Instant::now();
        let mut child = Command::new(binary())
            .args(args)
            .env_clear()
            .envs(&self.env)
            .current_dir(self.home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn clawdbot");
        let stdin = child.stdin.take().expect("child stdin");
        let input = self.stdin.clone();
        let writer = std::thread::spawn(move || {
            let mut stdin = stdin;
            // A command that does not read stdin closes the pipe: ignore EPIPE.
            let _ = stdin.write_all(&input);
        });
        let stdout = reader(child.stdout.take().expect("child stdout"));
        let stderr = reader(child.stderr.take().expect("child stderr"));
        let (status, timed_out) = wait_with_limit(&mut child, RUN_LIMIT);
        let _ = writer.join();
        Run {
            args: args.iter().map(|a| a.to_string()).collect(),
            code: status.and_then(|s| s.code()),
            timed_out,
            elapsed: start.elapsed(),
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        }
    }
}
