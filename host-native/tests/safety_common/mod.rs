//! Shared by the `safety_*` tests: a throw-away HOME, the real `clawdbot`
//! run with a cleared environment and a watchdog, a seeded xorshift for
//! reproducible "random" kill moments, a control-character check, and a
//! token endpoint that misbehaves on purpose (std::net only).

#![allow(dead_code)] // each safety test uses a different subset

#[path = "../../../tests/support/cases.rs"]
pub mod cases;
#[path = "../../../tests/support/child.rs"]
mod child;
use child::reader;
#[allow(unused_imports)] // each test crate uses a different subset
pub use child::{control_problems, mode, wait_with_limit};

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// The pinned clock (2026-01-01T00:00:00Z).
pub const NOW: i64 = 1_767_225_600_000;

/// Where the store lives, relative to HOME.
pub const STORE: &str = ".clawdbot/agents/main/agent/auth-profiles.json";
pub const CLAUDE: &str = ".claude/.credentials.json";
pub const CODEX: &str = ".codex/auth.json";
pub const CONFIG: &str = ".clawdbot/clawdbot.json";

/// A hang guard for one run, not a speed target: the watchdog kills a run
/// after this long (how long runs take is printed; speed is for the bench).
pub const RUN_LIMIT: Duration = Duration::from_secs(120);

/// `CLAWDBOT_SAFETY_LONG=1` turns on the long variants.
pub fn long_run() -> bool {
    std::env::var("CLAWDBOT_SAFETY_LONG").is_ok_and(|v| v == "1")
}

/// Marsaglia's xorshift64: the same seed gives the same kill moments, so a
/// failure can be replayed.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// A temporary HOME, removed when dropped.
pub struct Home {
    dir: tempfile::TempDir,
}

impl Default for Home {
    fn default() -> Self {
        Home::new()
    }
}

impl Home {
    pub fn new() -> Home {
        Home { dir: tempfile::Builder::new().prefix("clawdbot-safety-").tempdir().expect("temp HOME") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn store_path(&self) -> PathBuf {
        self.join(STORE)
    }

    pub fn agent_dir(&self) -> PathBuf {
        self.store_path().parent().expect("agent dir").to_path_buf()
    }

    pub fn lock_dir(&self) -> PathBuf {
        self.agent_dir().join("auth-profiles.json.lock")
    }

    /// Writes `bytes` at `rel` privately (0700 folders, 0600 file), as the
    /// tools owning these files do, replacing what is there.
    pub fn write(&self, rel: &str, bytes: &[u8]) {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(parent).expect("create folders");
        }
        let _ = std::fs::remove_file(&path);
        let mut file =
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).expect("create file");
        file.write_all(bytes).expect("write file");
    }

    pub fn write_json(&self, rel: &str, value: &Value) {
        self.write(rel, serde_json::to_string_pretty(value).expect("json").as_bytes());
    }

    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        std::fs::read(self.join(rel)).ok()
    }

    /// The store as JSON; panics with the text when it does not parse.
    pub fn store(&self) -> Value {
        let bytes = std::fs::read(self.store_path()).expect("read the store");
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!("the store is not JSON ({e}): {} bytes: {:?}", bytes.len(), String::from_utf8_lossy(&bytes))
        })
    }

    /// The `.auth-profiles.json.tmp-*` files beside the store.
    pub fn store_temps(&self) -> Vec<PathBuf> {
        temps_in(&self.agent_dir(), "auth-profiles.json")
    }

    /// `clawdbot` with nothing of the caller's environment but PATH, the
    /// clock pinned and the Keychain off.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_clawdbot"));
        cmd.env_clear()
            .env("HOME", self.path())
            .env("PATH", std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_string()))
            .env("CLAWDBOT_NOW_MS", NOW.to_string())
            .env("CLAWDBOT_KEYCHAIN", "off")
            .env("CLAWDBOT_HTTP_TIMEOUT_MS", "3000")
            .env("NO_COLOR", "1")
            .current_dir(self.path());
        cmd
    }

    /// Runs `clawdbot <args>` with `stdin`, under the watchdog.
    pub fn run(&self, args: &[&str], stdin: &[u8]) -> Run {
        run_cmd(&mut self.cmd(), args, stdin, RUN_LIMIT)
    }
}

/// The temp files `write_atomic` names `.<name>.tmp-<pid>-<n>` in `dir`.
pub fn temps_in(dir: &Path, name: &str) -> Vec<PathBuf> {
    let prefix = format!(".{name}.tmp-");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Sets a path's mtime `ago` in the past (a file or a folder).
pub fn backdate(path: &Path, ago: Duration) {
    let when = SystemTime::now() - ago;
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    file.set_modified(when).unwrap_or_else(|e| panic!("backdate {}: {e}", path.display()));
}

/// What one run did.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    pub code: Option<i32>,
    pub timed_out: bool,
    /// The child's peak resident set (getrusage through wait4), in KiB.
    pub max_rss_kb: u64,
    pub elapsed: Duration,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Run {
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    pub fn what(&self) -> String {
        format!("clawdbot {}", self.args.join(" "))
    }

    /// Everything the run printed.
    pub fn all(&self) -> String {
        format!("{}{}", self.out(), self.err())
    }

    pub fn panicked(&self) -> bool {
        self.code == Some(101) || self.err().contains("panicked")
    }
}

/// Runs `cmd <args>` with piped stdio, killing it after `limit`.
pub fn run_cmd(cmd: &mut Command, args: &[&str], stdin: &[u8], limit: Duration) -> Run {
    let start = Instant::now();
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn clawdbot");
    let mut pipe = child.stdin.take().expect("stdin");
    let input = stdin.to_vec();
    let writer = thread::spawn(move || {
        // A command that does not read stdin closes it: ignore EPIPE.
        let _ = pipe.write_all(&input);
    });
    let stdout = reader(child.stdout.take().expect("stdout"));
    let stderr = reader(child.stderr.take().expect("stderr"));
    let (code, timed_out, max_rss_kb) = wait_measured(&mut child, limit);
    let _ = writer.join();
    Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        code,
        timed_out,
        max_rss_kb,
        elapsed: start.elapsed(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Reaps the child with `wait4` (polling), killing it once `limit` has
/// passed; returns its exit code, whether it was killed, and its peak RSS.
/// The child is reaped here, so `Child::wait` must not be called after.
fn wait_measured(child: &mut Child, limit: Duration) -> (Option<i32>, bool, u64) {
    let pid = child.id() as libc::pid_t;
    let deadline = Instant::now() + limit;
    let mut timed_out = false;
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: an all-zero rusage is a valid value to be overwritten.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let flags = if timed_out { 0 } else { libc::WNOHANG };
        // SAFETY: pid is our own unreaped child; the pointers are valid.
        let got = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if got == pid {
            let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
            return (code, timed_out, usage.ru_maxrss.max(0) as u64);
        }
        if got < 0 {
            return (None, timed_out, 0);
        }
        if Instant::now() >= deadline {
            timed_out = true;
            let _ = child.kill();
        } else {
            thread::sleep(Duration::from_millis(2));
        }
    }
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

// ---------------------------------------------------------------------------
// A token endpoint that misbehaves on purpose.
// ---------------------------------------------------------------------------

/// How the endpoint answers every request.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// 200 with fresh tokens numbered by the request count:
    /// `sk-ant-oat01-ROT-<n>` / `sk-ant-ort01-ROT-<n>`, `expires_in`
    /// 28800 + n, so consecutive answers differ.
    Rotating,
    /// A complete answer with this status, content type and body.
    Fixed { status: u16, content_type: String, body: Vec<u8> },
    /// Valid headers (with a Content-Length), then the body one byte per `every`.
    Drip { body: Vec<u8>, every: Duration },
    /// 200 with a Content-Length of `len` and zeros written until the
    /// client stops reading.
    Huge { len: u64, chunked: bool },
    /// `HTTP/1.0 200`, no Content-Length, the body, then close.
    Http10 { body: Vec<u8> },
    /// 400 invalid_grant whose description repeats the refresh token the
    /// client sent (a server that leaks what it was given).
    EchoRefresh,
}

struct Shared {
    behaviour: Behaviour,
    requests: u64,
    /// The tokens of the last `Rotating` answer sent in full.
    last_sent: Option<(String, String, i64)>,
    /// Every `Rotating` answer since the last [`Endpoint::take_sent`].
    sent: Vec<(String, String, i64)>,
    bodies: Vec<String>,
    bytes_sent: u64,
}

pub struct Endpoint {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    pub served: Arc<AtomicU64>,
}

impl Endpoint {
    pub fn start(behaviour: Behaviour) -> Endpoint {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("addr").port();
        let shared = Arc::new(Mutex::new(Shared {
            behaviour,
            requests: 0,
            last_sent: None,
            sent: Vec::new(),
            bodies: Vec::new(),
            bytes_sent: 0,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicU64::new(0));
        let (s, st, sv) = (Arc::clone(&shared), Arc::clone(&stop), Arc::clone(&served));
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let (s, sv) = (Arc::clone(&s), Arc::clone(&sv));
                thread::spawn(move || {
                    serve(stream, &s);
                    sv.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        Endpoint { port, shared, stop, served }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    pub fn requests(&self) -> u64 {
        self.shared.lock().unwrap().requests
    }

    /// The tokens of the last `Rotating` answer (recorded before sending).
    pub fn last_sent(&self) -> Option<(String, String, i64)> {
        self.shared.lock().unwrap().last_sent.clone()
    }

    /// Every `Rotating` answer since the last call, oldest first. More than
    /// one when a killed client's request was answered late, after the
    /// next client's.
    pub fn take_sent(&self) -> Vec<(String, String, i64)> {
        std::mem::take(&mut self.shared.lock().unwrap().sent)
    }

    pub fn bodies(&self) -> Vec<String> {
        self.shared.lock().unwrap().bodies.clone()
    }

    pub fn bytes_sent(&self) -> u64 {
        self.shared.lock().unwrap().bytes_sent
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, shared: &Mutex<Shared>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let Some(body) = read_request(&stream) else { return };
    let (behaviour, n) = {
        let mut s = shared.lock().unwrap();
        s.requests += 1;
        s.bodies.push(body.clone());
        (s.behaviour.clone(), s.requests)
    };
    let mut stream = stream;
    let sent = match behaviour {
        Behaviour::Rotating => {
            let access = format!("sk-ant-oat01-ROT-{n}");
            let refresh = format!("sk-ant-ort01-ROT-{n}");
            let expires_in = 28_800 + n as i64;
            let doc = json!({"access_token": access, "refresh_token": refresh,
                "expires_in": expires_in, "token_type": "Bearer"});
            // Recorded before sending: a client can only store what it got,
            // and the test reads this after the client is gone.
            let mut s = shared.lock().unwrap();
            s.last_sent = Some((access.clone(), refresh.clone(), expires_in));
            s.sent.push((access, refresh, expires_in));
            drop(s);
            respond(&mut stream, "HTTP/1.1 200 OK", "application/json", doc.to_string().as_bytes());
            0
        }
        Behaviour::Fixed { status, content_type, body } => {
            respond(&mut stream, &format!("HTTP/1.1 {status} Scripted"), &content_type, &body);
            body.len() as u64
        }
        Behaviour::EchoRefresh => {
            let given = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v["refresh_token"].as_str().map(str::to_string))
                .or_else(|| body.split('&').find_map(|kv| kv.strip_prefix("refresh_token=").map(str::to_string)))
                .unwrap_or_default();
            let doc = json!({"error": "invalid_grant",
                "error_description": format!("refresh token {given} is revoked; token={given}"),
                "refresh_token": given});
            respond(&mut stream, "HTTP/1.1 400 Bad Request", "application/json", doc.to_string().as_bytes());
            0
        }
        Behaviour::Drip { body, every } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let mut sent = 0;
            if stream.write_all(head.as_bytes()).is_ok() {
                for byte in body {
                    thread::sleep(every);
                    if stream.write_all(&[byte]).and_then(|()| stream.flush()).is_err() {
                        break;
                    }
                    sent += 1;
                }
            }
            sent
        }
        Behaviour::Huge { len, chunked } => {
            let head = if chunked {
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    .to_string()
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
                )
            };
            let mut sent = 0u64;
            if stream.write_all(head.as_bytes()).is_ok() {
                let block = vec![b' '; 64 * 1024];
                while sent < len {
                    let n = (len - sent).min(block.len() as u64) as usize;
                    let ok = if chunked {
                        stream
                            .write_all(format!("{n:x}\r\n").as_bytes())
                            .and_then(|()| stream.write_all(&block[..n]))
                            .and_then(|()| stream.write_all(b"\r\n"))
                    } else {
                        stream.write_all(&block[..n])
                    };
                    if ok.is_err() {
                        break;
                    }
                    sent += n as u64;
                }
            }
            sent
        }
        Behaviour::Http10 { body } => {
            let head = "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
            let _ = stream.flush();
            let _ = stream.shutdown(Shutdown::Write);
            body.len() as u64
        }
    };
    shared.lock().unwrap().bytes_sent += sent;
    let _ = stream.flush();
}

fn respond(stream: &mut TcpStream, status_line: &str, content_type: &str, body: &[u8]) -> bool {
    let head = format!(
        "{status_line}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body)).and_then(|()| stream.flush()).is_ok()
}

/// Reads one request and returns its body.
fn read_request(stream: &TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    if line.is_empty() {
        return None;
    }
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':')
            && n.trim().eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; len.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some(String::from_utf8_lossy(&body).into_owned())
}

/// A port nothing listens on (bound, then closed).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

/// An anthropic OAuth profile.
pub fn oauth(access: &str, refresh: &str, expires: i64) -> Value {
    json!({"type": "oauth", "provider": "anthropic", "access": access, "refresh": refresh,
        "expires": expires, "email": "user@example.invalid"})
}
