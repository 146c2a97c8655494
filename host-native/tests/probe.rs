//! `clawdbot models status --probe` (issue 26) against fake provider
//! servers on 127.0.0.1: each kind of answer and how it is classified, a
//! server that never answers cut at the timeout, a redirect not followed,
//! a 20 MB body not read, at most `--probe-concurrency` requests at once,
//! the refusal remembered until `paste-api-key` replaces the key, and no
//! secret in any output. No assertion is on time; a run that hangs fails
//! after two minutes.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const NOW: i64 = 1_767_225_600_000;
const KEY: &str = "sk-ant-api03-FAKE-CANARY-0123456789abcdef";
const NEW_KEY: &str = "sk-ant-api03-FAKE-FRESH-0123456789abcdef";

/// How the fake server answers every request.
#[derive(Clone)]
enum Answer {
    /// A JSON answer with this status.
    Json(u16, Value),
    /// These bytes as the whole answer (no HTTP at all), then close.
    Garbage(&'static [u8]),
    /// 200 after this long.
    Slow(Duration),
    /// Read the request and never answer.
    Never,
    /// 200 with a body of this many bytes.
    Big(usize),
    /// A redirect to this URL.
    Redirect(String),
}

#[derive(Default)]
struct Seen {
    requests: Vec<(String, Vec<(String, String)>)>,
    /// Each request's method and body (read by its Content-Length).
    bodies: Vec<(String, String)>,
    in_flight: usize,
    most_in_flight: usize,
}

struct Fake {
    port: u16,
    seen: Arc<Mutex<Seen>>,
}

impl Fake {
    fn start(answer: Answer) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = Arc::clone(&seen);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (seen, answer) = (Arc::clone(&shared), answer.clone());
                thread::spawn(move || serve(stream, &seen, &answer));
            }
        });
        Fake { port, seen }
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> Vec<(String, Vec<(String, String)>)> {
        self.seen.lock().unwrap().requests.clone()
    }

    fn bodies(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap().bodies.clone()
    }

    fn most_in_flight(&self) -> usize {
        self.seen.lock().unwrap().most_in_flight
    }
}

fn serve(mut stream: TcpStream, seen: &Mutex<Seen>, answer: &Answer) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let method = line.split_whitespace().next().unwrap_or_default().to_string();
    let path = line.split_whitespace().nth(1).unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim_end().is_empty() {
            break;
        }
        if let Some((n, v)) = h.trim_end().split_once(':') {
            headers.push((n.trim().to_lowercase(), v.trim().to_string()));
        }
    }
    let length = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0u8; length];
    if std::io::Read::read_exact(&mut reader, &mut body).is_err() {
        return;
    }
    {
        let mut s = seen.lock().unwrap();
        s.bodies.push((method, String::from_utf8_lossy(&body).into_owned()));
        s.requests.push((path, headers));
        s.in_flight += 1;
        s.most_in_flight = s.most_in_flight.max(s.in_flight);
    }
    let respond = |stream: &mut TcpStream, status: u16, extra: &str, body: &[u8]| {
        let head =
            format!("HTTP/1.1 {status} Fake\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n", body.len());
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
    };
    match answer {
        Answer::Json(status, body) => {
            respond(&mut stream, *status, "Content-Type: application/json\r\n", body.to_string().as_bytes());
        }
        Answer::Garbage(bytes) => {
            let _ = stream.write_all(bytes);
        }
        Answer::Slow(after) => {
            thread::sleep(*after);
            respond(&mut stream, 200, "Content-Type: application/json\r\n", b"{\"data\":[]}");
        }
        // Until the client gives up and closes the connection.
        Answer::Never => {
            let mut byte = [0u8; 1];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(90)));
            while matches!(std::io::Read::read(&mut reader, &mut byte), Ok(n) if n > 0) {}
        }
        Answer::Big(len) => {
            let body = vec![b' '; *len];
            respond(&mut stream, 200, "Content-Type: application/json\r\n", &body);
        }
        Answer::Redirect(to) => respond(&mut stream, 302, &format!("Location: {to}\r\n"), b""),
    }
    let _ = stream.flush();
    seen.lock().unwrap().in_flight -= 1;
}

/// A temporary HOME holding one Anthropic API key, `anthropic:default`
/// (Anthropic is the default model's provider: in use).
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let home = Home { dir: tempfile::tempdir().expect("tempdir") };
        home.keys(&[("anthropic:default", KEY)]);
        home
    }

    fn store_path(&self) -> PathBuf {
        self.dir.path().join(".clawdbot/agents/main/agent/auth-profiles.json")
    }

    fn keys(&self, keys: &[(&str, &str)]) {
        let profiles: serde_json::Map<String, Value> = keys
            .iter()
            .map(|(id, key)| (id.to_string(), json!({"type": "api_key", "provider": "anthropic", "key": key})))
            .collect();
        let path = self.store_path();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, json!({"version": 1, "profiles": profiles}).to_string()).unwrap();
    }

    fn store(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.store_path()).unwrap()).unwrap()
    }

    /// `clawdbot` with nothing of the caller's environment but PATH, the
    /// clock pinned, and Anthropic's API at `fake`.
    fn clawdbot(&self, fake: &Fake) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_clawdbot"));
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CLAWDBOT_NOW_MS", NOW.to_string())
            .env("CLAWDBOT_KEYCHAIN", "off")
            .env("CLAWDBOT_API_URL_ANTHROPIC", fake.origin())
            .env("NO_COLOR", "1");
        cmd
    }
}

/// Runs it, failing the test if it has not ended after two minutes (a
/// hang guard, not a measure).
fn run(mut cmd: Command, args: &[&str], stdin: Option<&str>) -> Output {
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(Stdio::piped());
    let mut child = cmd.spawn().expect("run clawdbot");
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("clawdbot {args:?} hung");
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn probe_json(home: &Home, fake: &Fake, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["models", "status", "--json", "--check", "--probe", "--probe-timeout", "1s"];
    args.extend_from_slice(extra);
    let o = run(home.clawdbot(fake), &args, None);
    let doc = serde_json::from_str(&out(&o)).unwrap_or_else(|e| panic!("{e}: {} {}", out(&o), err(&o)));
    (code(&o), doc)
}

#[test]
fn each_answer_is_classified_and_only_a_refusal_fails_check() {
    let cases: Vec<(Answer, &str, Option<&str>, i32)> = vec![
        (Answer::Json(200, json!({"data": []})), "ok", None, 0),
        (
            Answer::Json(401, json!({"type": "error", "error": {"type": "authentication_error"}})),
            "auth",
            Some("authentication_error"),
            1,
        ),
        (Answer::Json(403, json!({"message": "forbidden"})), "auth", Some("http_403"), 1),
        (Answer::Json(402, json!({})), "billing", Some("http_402"), 1),
        (Answer::Json(429, json!({"error": {"type": "rate_limit_error"}})), "rate_limit", Some("rate_limit_error"), 0),
        (Answer::Json(529, json!({"error": {"type": "overloaded_error"}})), "rate_limit", Some("overloaded_error"), 0),
        (
            Answer::Json(400, json!({"error": {"type": "invalid_request_error"}})),
            "format",
            Some("invalid_request_error"),
            0,
        ),
        (Answer::Json(404, json!({})), "format", Some("http_404"), 0),
        (Answer::Slow(Duration::from_secs(30)), "timeout", None, 0),
        (Answer::Garbage(b"\x00\xff\x13 not http at all\r\n\r\n"), "unknown", Some("transport"), 0),
        (Answer::Big(20 * 1024 * 1024), "unknown", Some("too_large"), 0),
    ];
    for (answer, status, reason, exit) in cases {
        let fake = Fake::start(answer);
        let home = Home::new();
        let (got, doc) = probe_json(&home, &fake, &[]);
        let result = &doc["auth"]["probes"]["results"][0];
        assert_eq!(result["status"], status, "{doc}");
        assert_eq!(result["reasonCode"].as_str(), reason, "{status}: {result}");
        assert_eq!(got, exit, "{status}");
        assert_eq!(fake.requests().len(), 1, "{status}: one request");
        let remembered = home.store()["usageStats"]["anthropic:default"].get("probeRejected").cloned();
        assert_eq!(remembered.is_some(), exit == 1, "{status}: only a refusal is kept: {remembered:?}");
    }
}

#[test]
fn a_redirect_is_not_followed_and_the_key_goes_nowhere_else() {
    let elsewhere = Fake::start(Answer::Json(200, json!({})));
    let fake = Fake::start(Answer::Redirect(format!("{}/steal", elsewhere.origin())));
    let (exit, doc) = probe_json(&Home::new(), &fake, &[]);
    assert_eq!(exit, 0);
    let result = &doc["auth"]["probes"]["results"][0];
    assert_eq!((&result["status"], &result["reasonCode"]), (&json!("unknown"), &json!("redirect")));
    assert!(elsewhere.requests().is_empty(), "followed: {:?}", elsewhere.requests().len());
}

#[test]
fn the_request_carries_the_key_where_anthropic_wants_it() {
    let fake = Fake::start(Answer::Json(200, json!({"data": []})));
    probe_json(&Home::new(), &fake, &[]);
    let (path, headers) = fake.requests().into_iter().next().expect("one request");
    assert_eq!(path, "/v1/models");
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(header("x-api-key").as_deref(), Some(KEY));
    assert_eq!(header("anthropic-version").as_deref(), Some("2023-06-01"));
    assert_eq!(header("authorization"), None);
}

#[test]
fn a_provider_without_a_free_read_gets_one_completion_of_one_token() {
    let fake = Fake::start(Answer::Json(200, json!({"choices": [{"message": {"content": "h"}}]})));
    let home = Home::new();
    let zai = "zai-FAKE-CANARY-ZAI-0123456789";
    let store = json!({"version": 1, "profiles": {"zai:default": {"type": "api_key", "provider": "zai", "key": zai}}});
    std::fs::write(home.store_path(), store.to_string()).unwrap();
    let mut cmd = home.clawdbot(&fake);
    cmd.env("CLAWDBOT_API_URL_ZAI", fake.origin());
    let o = run(cmd, &["models", "status", "--json", "--probe", "--probe-provider", "zai"], None);
    let doc: Value = serde_json::from_str(&out(&o)).unwrap_or_else(|e| panic!("{e}: {}", err(&o)));
    assert_eq!(doc["auth"]["probes"]["results"][0]["status"], "ok", "{doc}");
    let (path, headers) = fake.requests().into_iter().next().expect("one request");
    assert_eq!(path, "/api/paas/v4/chat/completions");
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(header("authorization"), Some(format!("Bearer {zai}")));
    let (method, body) = fake.bodies().into_iter().next().expect("one body");
    let body: Value = serde_json::from_str(&body).expect("a JSON body");
    assert_eq!((method.as_str(), &body["model"], &body["max_tokens"]), ("POST", &json!("glm-4.5-flash"), &json!(1)));
    assert!(!out(&o).contains("CANARY") && !err(&o).contains("CANARY"));
}

#[test]
fn a_hung_server_costs_one_timeout_per_slot_and_never_more_than_the_concurrency_at_once() {
    let fake = Fake::start(Answer::Never);
    let home = Home::new();
    let keys: Vec<(String, String)> =
        (0..5).map(|i| (format!("anthropic:k{i}"), format!("sk-ant-FAKE-{i}-0123456789"))).collect();
    home.keys(&keys.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect::<Vec<_>>());
    let (exit, doc) = probe_json(&home, &fake, &["--probe-concurrency", "2"]);
    assert_eq!(exit, 0, "timeouts are warnings: {doc}");
    let statuses: Vec<&str> =
        doc["auth"]["probes"]["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["timeout"; 5]);
    assert_eq!(fake.requests().len(), 5);
    assert!(fake.most_in_flight() <= 2, "{} at once", fake.most_in_flight());
    let warnings = doc["auth"]["check"]["warnings"].to_string();
    assert!(warnings.contains("the probe proved nothing: timeout"), "{warnings}");
}

/// The "done when", as an operator would go through it.
#[test]
fn a_revoked_key_fails_check_says_rejected_in_status_and_doctor_until_paste_api_key_replaces_it() {
    let revoked = Fake::start(Answer::Json(
        401,
        json!({"type": "error", "error": {"type": "authentication_error", "message": format!("invalid x-api-key {KEY}")}}),
    ));
    let home = Home::new();
    let o = run(home.clawdbot(&revoked), &["models", "status", "--check", "--probe"], None);
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("- anthropic anthropic:default auth (authentication_error)"), "{}", out(&o));

    // No probe now: status and doctor still say it.
    let status = run(home.clawdbot(&revoked), &["models", "status", "--check"], None);
    assert_eq!(code(&status), 1);
    assert!(
        out(&status).contains(
            "anthropic:default rejected by the provider at 2026-01-01T00:00:00Z (auth: authentication_error)"
        ),
        "{}",
        out(&status)
    );
    let doctor = run(home.clawdbot(&revoked), &["doctor", "--non-interactive"], None);
    assert_eq!(code(&doctor), 1, "{}", out(&doctor));
    assert!(out(&doctor).contains("- anthropic:default: rejected by the provider at"), "{}", out(&doctor));
    let list = run(home.clawdbot(&revoked), &["models", "auth", "list", "--json"], None);
    assert!(
        out(&list).contains("\"status\": \"rejected\"") || out(&list).contains("\"status\":\"rejected\""),
        "{}",
        out(&list)
    );
    assert_eq!(revoked.requests().len(), 1, "only --probe sends");

    // A new key replaces it: the record no longer applies.
    let paste = run(
        home.clawdbot(&revoked),
        &["models", "auth", "paste-api-key", "--provider", "anthropic", "--force"],
        Some(NEW_KEY),
    );
    assert_eq!(code(&paste), 0, "{}", err(&paste));
    let status = run(home.clawdbot(&revoked), &["models", "status", "--check"], None);
    assert_eq!(code(&status), 0, "{}", out(&status));
    assert!(!out(&status).contains("rejected"), "{}", out(&status));
}

#[test]
fn no_secret_appears_in_any_output() {
    // The server echoes the key, as some providers do in their errors.
    let echo = json!({"error": {"type": "authentication_error", "code": KEY, "message": format!("bad key {KEY}")}});
    let fake = Fake::start(Answer::Json(401, echo));
    let home = Home::new();
    let mut all = String::new();
    for args in [
        &["models", "status", "--probe"][..],
        &["models", "status", "--probe", "--json"],
        &["models", "status", "--probe", "--format", "prometheus"],
        &["models", "status", "--check", "--probe", "--strict"],
        &["models", "status"],
        &["models", "auth", "list"],
        &["models", "auth", "list", "--json"],
        &["doctor", "--non-interactive"],
        &["doctor", "--json"],
    ] {
        let o = run(home.clawdbot(&fake), args, None);
        all.push_str(&out(&o));
        all.push_str(&err(&o));
    }
    assert!(all.contains("clawdbot_auth_probe_status"), "the outputs ran: {all}");
    assert!(!all.contains("CANARY"), "a secret in the output: {all}");
    let stored = std::fs::read_to_string(home.store_path()).unwrap();
    assert_eq!(stored.matches("CANARY").count(), 1, "the key once, as the profile's: {stored}");
}

#[test]
fn help_lists_what_each_providers_probe_sends() {
    let o = run(Command::new(env!("CARGO_BIN_EXE_clawdbot")), &["models", "status", "--help"], None);
    let help = out(&o);
    for line in [
        "openai: GET https://api.openai.com/v1/models, the key as a bearer",
        "openrouter: GET https://openrouter.ai/api/v1/key, the key as a bearer",
        "google: GET https://generativelanguage.googleapis.com/v1beta/models, the key in x-goog-api-key",
        "openai-codex: login: GET https://chatgpt.com/backend-api/wham/usage",
        "github-copilot: GET https://api.github.com/copilot_internal/v2/token",
        "zai: POST https://api.z.ai/api/paas/v4/chat/completions, a completion of glm-4.5-flash with max_tokens 1 \
         (spends one output token), the key as a bearer",
        "venice: GET https://api.venice.ai/api/v1/api_keys/rate_limits, the key as a bearer",
        "not probed (no cheap check): ",
    ] {
        assert!(help.contains(line), "{line} not in {help}");
    }
}
