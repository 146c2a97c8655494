//! Shared by the `refresh_*` tests: a scripted token server on 127.0.0.1
//! (std::net only) and a temporary HOME to run the real `clawdbot` in.
//!
//! Each connection gets the next scripted reply (the last one repeats), and
//! every request is recorded, so tests can count POSTs and inspect bodies.

#![allow(dead_code)]

use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// The pinned clock of every test run.
pub const NOW: i64 = 1_767_225_600_000;
pub const OLD_ACCESS: &str = "sk-ant-oat01-OLD-FAKE";
pub const OLD_REFRESH: &str = "sk-ant-ort01-OLD-FAKE";
pub const NEW_ACCESS: &str = "sk-ant-oat01-NEW-FAKE";
pub const NEW_REFRESH: &str = "sk-ant-ort01-NEW-FAKE";
/// Eight hours, as Anthropic answers.
pub const EXPIRES_IN_S: i64 = 28_800;
/// What the store holds after a refresh at NOW: the real expiry less the
/// five-minute margin.
pub const STORED_EXPIRES: i64 = NOW + EXPIRES_IN_S * 1000 - 5 * 60 * 1000;

#[derive(Clone)]
pub enum Reply {
    /// A complete response, after `delay`.
    Respond { status: u16, headers: Vec<(String, String)>, body: Vec<u8>, delay: Duration },
    /// Read the request, then never answer (until the client gives up).
    Never,
    /// Send the headers, then the body one byte per `every`.
    Drip { body: Vec<u8>, every: Duration },
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply::raw(status, &[("Content-Type", "application/json")], body.to_string().as_bytes())
    }

    pub fn raw(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        Reply::Respond {
            status,
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: body.to_vec(),
            delay: Duration::ZERO,
        }
    }

    pub fn delayed(self, by: Duration) -> Reply {
        match self {
            Reply::Respond { status, headers, body, .. } => Reply::Respond { status, headers, body, delay: by },
            other => other,
        }
    }

    /// Anthropic's success answer, with or without a new refresh token.
    pub fn tokens(access: &str, refresh: Option<&str>) -> Reply {
        let mut body = json!({"access_token": access, "expires_in": EXPIRES_IN_S, "token_type": "Bearer"});
        if let Some(r) = refresh {
            body["refresh_token"] = json!(r);
        }
        Reply::json(200, body)
    }
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

struct State {
    script: VecDeque<Reply>,
    last: Reply,
    requests: Vec<Recorded>,
}

/// A clone is another handle to the same server.
#[derive(Clone)]
pub struct Server {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Server {
    /// Serves `replies` in order; the last repeats.
    pub fn start(replies: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("addr").port();
        let last = replies.last().cloned().unwrap_or_else(|| Reply::raw(500, &[], b"no script"));
        let state = Arc::new(Mutex::new(State { script: replies.into(), last, requests: Vec::new() }));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &state));
            }
        });
        Server { port, state }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn posts(&self) -> usize {
        self.requests().iter().filter(|r| r.method == "POST").count()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let Some(request) = read_request(&stream) else { return };
    let reply = {
        let mut s = state.lock().unwrap();
        s.requests.push(request);
        let next = s.script.pop_front();
        next.unwrap_or_else(|| s.last.clone())
    };
    let mut stream = stream;
    match reply {
        Reply::Respond { status, headers, body, delay } => {
            thread::sleep(delay);
            let _ = stream.write_all(&head(status, &headers, body.len()));
            let _ = stream.write_all(&body);
        }
        Reply::Never => thread::sleep(Duration::from_secs(60)),
        Reply::Drip { body, every } => {
            let headers = [("Content-Type".to_string(), "application/json".to_string())];
            if stream.write_all(&head(200, &headers, body.len())).is_err() {
                return;
            }
            for byte in body {
                thread::sleep(every);
                if stream.write_all(&[byte]).and_then(|()| stream.flush()).is_err() {
                    return;
                }
            }
        }
    }
    let _ = stream.flush();
}

fn head(status: u16, headers: &[(String, String)], len: usize) -> Vec<u8> {
    let mut text = format!("HTTP/1.1 {status} Scripted\r\nContent-Length: {len}\r\nConnection: close\r\n");
    for (n, v) in headers {
        text.push_str(&format!("{n}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}

fn read_request(stream: &TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded { method, path, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

/// A temporary HOME with the files a test puts there.
pub struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home { dir: tempfile::tempdir().expect("tempdir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn store_path(&self) -> PathBuf {
        self.path().join(".clawdbot/agents/main/agent/auth-profiles.json")
    }

    pub fn claude_dir(&self) -> PathBuf {
        self.path().join(".claude")
    }

    pub fn claude_credentials(&self) -> PathBuf {
        self.claude_dir().join(".credentials.json")
    }

    pub fn write(&self, path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    /// A store with one expired anthropic OAuth profile, `anthropic:work`.
    pub fn with_expired_profile(self) -> Home {
        let store = json!({"version": 1, "profiles": {"anthropic:work": {
            "type": "oauth", "provider": "anthropic", "access": OLD_ACCESS, "refresh": OLD_REFRESH,
            "expires": NOW - 60_000, "email": "user@example.invalid"
        }}});
        self.write(&self.store_path(), &serde_json::to_string_pretty(&store).expect("json"));
        self
    }

    pub fn store_text(&self) -> String {
        std::fs::read_to_string(self.store_path()).expect("store")
    }

    pub fn store(&self) -> Value {
        serde_json::from_str(&self.store_text()).expect("store json")
    }

    /// `clawdbot` with nothing of the caller's environment but PATH, the
    /// clock pinned and the Anthropic token URL pointed at `server`.
    pub fn clawdbot(&self, server: &Server) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_clawdbot"));
        cmd.env_clear()
            .env("HOME", self.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CLAWDBOT_NOW_MS", NOW.to_string())
            .env("CLAWDBOT_KEYCHAIN", "off")
            .env("CLAWDBOT_HTTP_TIMEOUT_MS", "5000")
            .env("CLAWDBOT_LOCK_WAIT_MS", "30000")
            .env("CLAWDBOT_TOKEN_URL_ANTHROPIC", server.url())
            .env("CLAWDBOT_TOKEN_URL_OPENAI_CODEX", server.url())
            .env("NO_COLOR", "1");
        cmd
    }
}

pub fn run(cmd: &mut Command, args: &[&str]) -> Output {
    cmd.args(args).output().expect("run clawdbot")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}
