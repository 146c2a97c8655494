//! `clawdbot panel` through plain HTTP requests: the real binary on a
//! temporary HOME, on a free port, and a bare TCP client, so that every
//! header is the test's own (issue 28 items 2, 4, 5).
//!
//! The rules themselves are unit-tested in the core (`panel::gate`, with
//! the token's expiry on an injected clock); here the server must carry
//! them out: the wrong `Host` refused for every path, the token good once,
//! writes refused without the cookie, from another origin or as a form,
//! the headers on every answer, and each verb leaving the store the CLI
//! leaves.

mod refresh_common;

use refresh_common::{Home, NOW, Reply, Server};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Longer than any request takes on a loaded machine: a hang guard.
const GUARD: Duration = Duration::from_secs(120);

/// A secret's middle, which no mask shows.
const CANARY: &str = "sk-FAKE-panel-0123456789-CANARYMIDDLE-abcdefgh";

struct Panel {
    child: Child,
    port: u16,
    token: String,
    stdout: String,
    stderr: Arc<Mutex<String>>,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

impl Panel {
    fn start(home: &Home, server: &Server) -> Panel {
        let mut cmd = home.clawdbot(server);
        cmd.args(["panel", "--port", "0", "--no-open"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("clawdbot panel runs");
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut err = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut stdout = String::new();
        while !stdout.contains("Ctrl-C") {
            let line =
                rx.recv_timeout(GUARD).unwrap_or_else(|_| panic!("no banner: {stdout} {}", stderr.lock().unwrap()));
            stdout.push_str(&line);
            stdout.push('\n');
        }
        let link = stdout.split_whitespace().find(|w| w.contains("#token=")).expect("a link").to_string();
        let port = link["http://127.0.0.1:".len()..].split('/').next().unwrap().parse().expect("a port");
        let token = link.rsplit_once("#token=").unwrap().1.to_string();
        Panel { child, port, token, stdout, stderr }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One request with exactly these headers (and a Content-Length).
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_read_timeout(Some(GUARD)).unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("an answer");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no head: {text}"));
        let mut lines = head.lines();
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        Answer { status, headers, body: body.to_string() }
    }

    fn get(&self, path: &str, extra: &[(&str, &str)]) -> Answer {
        let host = self.host();
        let mut headers = vec![("Host", host.as_str())];
        headers.extend_from_slice(extra);
        self.send("GET", path, &headers, "")
    }

    /// A write as the page sends it, plus `extra`.
    fn post(&self, path: &str, cookie: Option<&str>, body: &str) -> Answer {
        let (host, origin) = (self.host(), self.origin());
        let mut headers =
            vec![("Host", host.as_str()), ("Origin", origin.as_str()), ("Content-Type", "application/json")];
        if let Some(cookie) = cookie {
            headers.push(("Cookie", cookie));
        }
        self.send("POST", path, &headers, body)
    }

    /// Signs in with the token: the cookie pair to send back.
    fn sign_in(&self) -> String {
        let answer = self.post("/api/session", None, &json!({ "token": self.token }).to_string());
        assert_eq!(answer.status, 200, "{}", answer.body);
        let set = answer.header("Set-Cookie").expect("a cookie").to_string();
        set.split(';').next().unwrap().to_string()
    }

    fn verb(&self, cookie: &str, verb: Value) -> Value {
        let answer = self.post("/api/verb", Some(cookie), &verb.to_string());
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Panel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two openai keys in an order, the first cooling down; a config.
fn small_home() -> Home {
    let home = Home::new();
    let store = json!({"version": 1,
        "profiles": {
            "openai:work": {"type": "api_key", "provider": "openai", "key": CANARY},
            "openai:spare": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-spare-0123456789-abcdefgh"}},
        "order": {"openai": ["openai:work", "openai:spare"]},
        "usageStats": {"openai:work": {"cooldownUntil": NOW + 600_000, "errorCount": 2,
                                       "failureCounts": {"rate_limit": 2}, "lastFailureAt": NOW - 1000}}});
    home.write(&home.store_path(), &serde_json::to_string_pretty(&store).unwrap());
    let config = json!({"agents": {"defaults": {"model": {"primary": "openai/gpt-5"}}}});
    home.write(&home.path().join(".clawdbot/clawdbot.json"), &config.to_string());
    home
}

/// A copy of `home`'s files, for the CLI to run the same command on.
fn copy_of(home: &Home) -> Home {
    let copy = Home::new();
    for rel in [".clawdbot/agents/main/agent/auth-profiles.json", ".clawdbot/clawdbot.json"] {
        if let Ok(text) = std::fs::read_to_string(home.path().join(rel)) {
            copy.write(&copy.path().join(rel), &text);
        }
    }
    copy
}

fn config_text(home: &Home) -> Option<String> {
    std::fs::read_to_string(home.path().join(".clawdbot/clawdbot.json")).ok()
}

#[test]
fn every_request_to_another_name_is_refused_static_files_included() {
    let (home, server) = (small_home(), Server::start(Vec::new()));
    let panel = Panel::start(&home, &server);
    let cookie = panel.sign_in();
    for path in ["/", "/index.html", "/panel.js", "/panel.css", "/favicon.svg", "/api/view", "/nope"] {
        for host in
            [format!("evil.example:{}", panel.port), format!("127.0.0.1.nip.io:{}", panel.port), "127.0.0.1".into()]
        {
            let answer = panel.send("GET", path, &[("Host", &host), ("Cookie", &cookie)], "");
            assert_eq!(answer.status, 403, "{path} for {host}: {}", answer.body);
            assert!(!answer.body.contains("<html") && !answer.body.contains("view"), "{path}: {}", answer.body);
        }
    }
    assert_eq!(panel.send("GET", "/", &[], "").status, 403, "no Host at all");
    for host in [format!("localhost:{}", panel.port), format!("[::1]:{}", panel.port), panel.host()] {
        let answer = panel.send("GET", "/", &[("Host", &host)], "");
        assert_eq!(answer.status, 200, "{host}");
        assert!(answer.body.contains(r#"<meta name="clawdbot-mode" content="live">"#), "the page is the live one");
    }
}

#[test]
fn a_client_that_sends_slowly_stalls_only_itself() {
    let (home, server) = (small_home(), Server::start(Vec::new()));
    let panel = Panel::start(&home, &server);
    let cookie = panel.sign_in();
    // A write whose body never comes: its headers promise 60 000 bytes (more than the server buffers before it hands a request over).
    let mut slow = TcpStream::connect(("127.0.0.1", panel.port)).expect("connect");
    let head = format!(
        "POST /api/verb HTTP/1.1\r\nHost: {}\r\nOrigin: {}\r\nContent-Type: application/json\r\nCookie: {cookie}\r\n\
         Content-Length: 60000\r\n\r\n{{\"verb\"",
        panel.host(),
        panel.origin()
    );
    slow.write_all(head.as_bytes()).unwrap();
    // Everyone else is still answered, the page and a command alike.
    assert_eq!(panel.get("/", &[]).status, 200);
    let answer = panel.get("/api/view", &[("Cookie", &cookie)]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    drop(slow);
}

#[test]
fn every_answer_says_no_store_no_referrer_its_csp_and_no_cors() {
    let (home, server) = (small_home(), Server::start(Vec::new()));
    let panel = Panel::start(&home, &server);
    let index = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../host-wasm/www/index.html")).unwrap();
    let meta = index.split("http-equiv=\"Content-Security-Policy\"").nth(1).unwrap();
    let page_csp = meta.split("content=\"").nth(1).unwrap().split('"').next().unwrap();
    let page_csp = page_csp.split_whitespace().collect::<Vec<_>>().join(" ");
    let evil = ("Origin", "http://evil.example");
    let wrong_host = format!("evil.example:{}", panel.port);
    let answers = [
        panel.get("/", &[evil]),
        panel.get("/panel.js", &[evil]),
        panel.get("/api/view", &[evil]),
        panel.send("GET", "/", &[("Host", &wrong_host)], ""),
        panel.send("OPTIONS", "/api/verb", &[("Host", &panel.host()), evil], ""),
    ];
    for answer in answers {
        assert_eq!(answer.header("Cache-Control"), Some("no-store"));
        assert_eq!(answer.header("Referrer-Policy"), Some("no-referrer"));
        assert_eq!(
            answer.header("Content-Security-Policy"),
            Some(format!("{page_csp}; frame-ancestors 'none'").as_str())
        );
        let cors: Vec<&String> = answer
            .headers
            .iter()
            .map(|(n, _)| n)
            .filter(|n| n.to_ascii_lowercase().starts_with("access-control"))
            .collect();
        assert!(cors.is_empty(), "{cors:?}");
    }
}

#[test]
fn the_token_signs_one_browser_in_once_and_is_never_logged() {
    let (home, server) = (small_home(), Server::start(Vec::new()));
    let panel = Panel::start(&home, &server);
    assert!(panel.stdout.contains(&format!("ssh -N -L {0}:127.0.0.1:{0} ", panel.port)), "{}", panel.stdout);
    assert_eq!(panel.token.len(), 64, "32 bytes, in hex");
    assert_eq!(panel.get("/api/view", &[]).status, 403, "not signed in");
    let wrong = panel.post("/api/session", None, r#"{"token":"0000"}"#);
    assert_eq!(wrong.status, 403);
    let cookie = {
        let answer = panel.post("/api/session", None, &json!({ "token": panel.token }).to_string());
        assert_eq!(answer.status, 200, "{}", answer.body);
        let set = answer.header("Set-Cookie").expect("a cookie").to_string();
        assert!(set.ends_with("; Path=/; HttpOnly; SameSite=Strict"), "{set}");
        set.split(';').next().unwrap().to_string()
    };
    let again = panel.post("/api/session", None, &json!({ "token": panel.token }).to_string());
    assert_eq!(again.status, 403, "single use: {}", again.body);
    assert!(again.header("Set-Cookie").is_none());
    let view = panel.get("/api/view?rows=200", &[("Cookie", &cookie)]);
    assert_eq!(view.status, 200, "{}", view.body);
    let doc = view.json();
    assert_eq!(doc["view"]["profiles"]["total"], 2, "{doc}");
    assert!(!view.body.contains("CANARYMIDDLE"), "no secret crosses the loopback");
    // Neither the token nor the session is in a log or in argv.
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", panel.child.id())).unwrap_or_default();
    let session = cookie.split_once('=').unwrap().1;
    for secret in [panel.token.as_str(), session] {
        assert!(!panel.stderr().contains(secret), "{}", panel.stderr());
        assert!(!String::from_utf8_lossy(&cmdline).contains(secret));
    }
}

#[test]
fn a_write_needs_the_cookie_json_and_the_panels_own_origin() {
    let (home, server) = (small_home(), Server::start(Vec::new()));
    let panel = Panel::start(&home, &server);
    let cookie = panel.sign_in();
    let before = home.store_text();
    let body = json!({"verb": "cooldownClear", "profileId": "openai:work"}).to_string();
    let (host, origin) = (panel.host(), panel.origin());
    let refused = [
        (
            403,
            "no cookie",
            vec![("Host", host.as_str()), ("Origin", origin.as_str()), ("Content-Type", "application/json")],
        ),
        (
            403,
            "cross-origin",
            vec![
                ("Host", &host),
                ("Origin", "http://evil.example"),
                ("Content-Type", "application/json"),
                ("Cookie", &cookie),
            ],
        ),
        (403, "no Origin", vec![("Host", &host), ("Content-Type", "application/json"), ("Cookie", &cookie)]),
        (
            415,
            "form-encoded",
            vec![
                ("Host", &host),
                ("Origin", &origin),
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &cookie),
            ],
        ),
        (
            415,
            "text/plain",
            vec![("Host", &host), ("Origin", &origin), ("Content-Type", "text/plain"), ("Cookie", &cookie)],
        ),
    ];
    for (status, what, headers) in refused {
        let answer = panel.send("POST", "/api/verb", &headers, &body);
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
        assert_eq!(home.store_text(), before, "{what}: nothing written");
    }
    let form = panel.send(
        "POST",
        "/api/verb",
        &[
            ("Host", &host),
            ("Origin", &origin),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &cookie),
        ],
        "verb=cooldownClear&profileId=openai%3Awork",
    );
    assert_eq!(form.status, 415);
    assert_eq!(home.store_text(), before);
    let answer = panel.verb(&cookie, json!({"verb": "cooldownClear", "profileId": "openai:work"}));
    assert_eq!(answer["ok"], true, "{answer}");
    assert_ne!(home.store_text(), before, "the write with everything right is made");
}

/// Each verb through the panel, and the same command through the CLI on a
/// copy of the home: the same store and config after each.
#[test]
fn each_verb_leaves_the_files_the_cli_leaves() {
    let (home, server) = (small_home(), Server::start(Vec::new()));
    let panel = Panel::start(&home, &server);
    let cookie = panel.sign_in();
    let same = |cli_args: &[&str], stdin: &str, verb: Value| {
        let copy = copy_of(&home);
        let mut cmd = copy.clawdbot(&server);
        let mut child =
            cmd.args(cli_args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let cli = child.wait_with_output().unwrap();
        assert_eq!(cli.status.code(), Some(0), "{cli_args:?}: {}", String::from_utf8_lossy(&cli.stderr));
        let answer = panel.verb(&cookie, verb.clone());
        assert_eq!(answer["ok"], true, "{verb}: {answer}");
        assert_eq!(home.store_text(), copy.store_text(), "{verb}");
        assert_eq!(config_text(&home), config_text(&copy), "{verb}");
        answer
    };
    same(
        &["models", "auth", "order", "set", "--provider", "openai", "openai:spare", "openai:work"],
        "",
        json!({"verb": "orderMove", "provider": "openai", "profileId": "openai:spare", "by": -1}),
    );
    same(
        &["models", "auth", "cooldown", "clear", "openai:work"],
        "",
        json!({"verb": "cooldownClear", "profileId": "openai:work"}),
    );
    let pasted = "sk-ant-api03-FAKE-pasted-0123456789-PASTEDMIDDLE-abcd";
    let answer = same(
        &["models", "auth", "paste-api-key", "--provider", "anthropic"],
        pasted,
        json!({"verb": "pasteKey", "provider": "anthropic", "secret": pasted}),
    );
    assert!(!answer.to_string().contains("PASTEDMIDDLE") && !panel.stderr().contains("PASTEDMIDDLE"));
    let token = format!("sk-ant-oat01-FAKE-TOKENMIDDLE-{}", "a".repeat(80));
    let answer = same(
        &["models", "auth", "paste-token", "--provider", "anthropic", "--expires-in", "30d"],
        &token,
        json!({"verb": "pasteToken", "provider": "anthropic", "expiresIn": "30d", "secret": token}),
    );
    assert!(!answer.to_string().contains("TOKENMIDDLE") && !panel.stderr().contains("TOKENMIDDLE"));
    same(
        &["models", "auth", "order", "clear", "--provider", "openai"],
        "",
        json!({"verb": "orderClear", "provider": "openai"}),
    );
    // remove asks first: the question comes back, nothing is removed.
    let asked = panel.verb(&cookie, json!({"verb": "remove", "profileId": "openai:spare"}));
    assert_eq!(asked["confirm"], "Remove openai:spare?", "{asked}");
    assert!(home.store_text().contains("openai:spare"), "not removed before the answer");
    same(
        &["models", "auth", "remove", "openai:spare", "--yes"],
        "",
        json!({"verb": "remove", "profileId": "openai:spare", "confirm": "Remove openai:spare?"}),
    );
    // A paste without the secret says what it needs and writes nothing.
    let before = home.store_text();
    let needs = panel.verb(&cookie, json!({"verb": "pasteKey", "provider": "groq"}));
    assert_eq!(needs["secret"], "Paste the API key for groq", "{needs}");
    assert_eq!(home.store_text(), before);
    assert!(panel.stderr().contains("panel: ran `clawdbot models auth cooldown clear openai:work`: exit 0"));
}

/// `refresh` is `models auth refresh --profile`: the same request to the
/// token server, the same store after.
#[test]
fn a_refresh_from_the_page_is_the_clis_refresh() {
    let home = Home::new().with_expired_profile();
    let server = Server::start(vec![Reply::tokens(refresh_common::NEW_ACCESS, Some(refresh_common::NEW_REFRESH))]);
    let panel = Panel::start(&home, &server);
    let cookie = panel.sign_in();
    let answer = panel.verb(&cookie, json!({"verb": "refresh", "profileId": "anthropic:work"}));
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(home.store()["profiles"]["anthropic:work"]["access"], refresh_common::NEW_ACCESS);
    assert_eq!(home.store()["profiles"]["anthropic:work"]["expires"], refresh_common::STORED_EXPIRES);
    assert!(!answer.to_string().contains(refresh_common::NEW_ACCESS), "{answer}");
}

#[test]
fn an_unknown_agent_is_refused_before_anything_listens() {
    let (home, server) = (small_home(), Server::start(Vec::new()));
    let out = home.clawdbot(&server).args(["panel", "--port", "0", "--no-open", "--agent", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
    assert!(out.stdout.is_empty(), "no link printed");
}

/// `--help` says how to reach the panel from a laptop and what the token is.
#[test]
fn help_explains_the_ssh_line_and_the_token() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clawdbot")).args(["panel", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for words in
        ["ssh -N -L PORT:127.0.0.1:PORT", "32 random bytes", "one sign-in within 10 minutes", "#fragment", "--no-open"]
    {
        assert!(help.contains(words), "{words}: {help}");
    }
}
