//! `clawdbot models auth login` and `login-github-copilot` against a fake
//! authorization server on 127.0.0.1 (issue 25): device codes, the browser
//! login through its loopback redirect and through a pasted one, what is
//! stored, and that a refused login stores nothing and says no secret.

mod refresh_common;

use base64::Engine;
use refresh_common::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

const ACCOUNT: &str = "acct-FAKE-1";
/// The access token's JWT expiry: a day after the pinned clock.
const EXP_S: i64 = NOW / 1000 + 86_400;

fn jwt(claims: &Value) -> String {
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("eyJhbGciOiJub25lIn0.{payload}.FAKESIG")
}

fn codex_access() -> String {
    jwt(&json!({"exp": EXP_S, "https://api.openai.com/auth": {"chatgpt_account_id": ACCOUNT}}))
}

/// `clawdbot` on `home` with both providers' servers moved to `server`.
fn clawdbot(home: &Home, server: &Server) -> Command {
    let origin = format!("http://127.0.0.1:{}", server.port);
    let mut cmd = home.clawdbot(server);
    cmd.env_remove("CLAWDBOT_TOKEN_URL_OPENAI_CODEX")
        .env("CLAWDBOT_AUTH_URL_OPENAI_CODEX", &origin)
        .env("CLAWDBOT_AUTH_URL_GITHUB_COPILOT", &origin)
        .env("CLAWDBOT_API_URL_GITHUB_COPILOT", &origin);
    cmd
}

fn no_secret_in(out: &std::process::Output, secrets: &[&str]) {
    let all = format!("{}{}", stdout(out), stderr(out));
    for secret in secrets {
        assert!(!all.contains(secret), "{secret} in the output: {all}");
    }
}

#[test]
fn a_codex_device_login_stores_the_jwt_s_expiry_and_account_and_refreshes() {
    let server = Server::start(vec![
        Reply::json(200, json!({"device_auth_id": "da-FAKE-ID", "user_code": "ABCD-EFGH", "interval": "1"})),
        Reply::raw(403, &[], b""),
        Reply::json(
            200,
            json!({"authorization_code": "ac-FAKE-CODE", "code_challenge": "x", "code_verifier": "cv-FAKE-VER"}),
        ),
        Reply::json(
            200,
            json!({"access_token": codex_access(), "refresh_token": "rt-FAKE-ONE", "id_token": jwt(&json!({"email": "op@example.invalid"}))}),
        ),
        // The refresh afterwards.
        Reply::json(200, json!({"access_token": codex_access(), "refresh_token": "rt-FAKE-TWO", "expires_in": 3600})),
    ]);
    let home = Home::new();
    let out =
        run(&mut clawdbot(&home, &server), &["models", "auth", "login", "--provider", "openai-codex", "--device-code"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("Auth profile: openai-codex:default (openai-codex/oauth), added\n"),
        "{}",
        stdout(&out)
    );
    let said = stderr(&out);
    assert!(
        said.contains(&format!("Open http://127.0.0.1:{}/codex/device and enter the code: ABCD-EFGH", server.port)),
        "{said}"
    );
    no_secret_in(&out, &["da-FAKE-ID", "ac-FAKE-CODE", "cv-FAKE-VER", "rt-FAKE-ONE", "FAKESIG"]);
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/api/accounts/deviceauth/usercode",
            "/api/accounts/deviceauth/token",
            "/api/accounts/deviceauth/token",
            "/oauth/token"
        ]
    );
    let exchange = &server.requests()[3].body;
    assert!(
        exchange.contains("grant_type=authorization_code&code=ac-FAKE-CODE&redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
        "{exchange}"
    );
    assert!(exchange.ends_with("code_verifier=cv-FAKE-VER"), "{exchange}");
    let p = &home.store()["profiles"]["openai-codex:default"];
    assert_eq!((p["type"].as_str(), p["refresh"].as_str()), (Some("oauth"), Some("rt-FAKE-ONE")));
    assert_eq!(p["expires"], EXP_S * 1000);
    assert_eq!(p["accountId"], ACCOUNT);
    assert_eq!(p["email"], "op@example.invalid");

    let out = run(
        &mut clawdbot(&home, &server),
        &["models", "auth", "refresh", "--profile", "openai-codex:default", "--force"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(server.requests()[4].path, "/oauth/token", "the moved origin moves the refresh too");
    assert_eq!(home.store()["profiles"]["openai-codex:default"]["refresh"], "rt-FAKE-TWO");
    let listed = run(&mut clawdbot(&home, &server), &["models", "auth", "list"]);
    assert!(stdout(&listed).contains("openai-codex:default"), "{}", stdout(&listed));
}

#[test]
fn login_github_copilot_stores_the_github_login_and_token_hands_out_the_copilot_token() {
    let expires_at = NOW / 1000 + 1800;
    let server = Server::start(vec![
        Reply::json(
            200,
            json!({"device_code": "dc-FAKE", "user_code": "WDJB-MJHT", "verification_uri": "https://github.com/login/device", "expires_in": 900, "interval": 1}),
        ),
        Reply::json(200, json!({"error": "authorization_pending"})),
        Reply::json(200, json!({"access_token": "gho_FAKE_GITHUB", "token_type": "bearer", "scope": "read:user"})),
        Reply::json(200, json!({"token": "tid=FAKE-COPILOT-1", "expires_at": expires_at})),
        // The exchange `token` makes once that one expired.
        Reply::json(200, json!({"token": "tid=FAKE-COPILOT-2", "expires_at": expires_at + 7200})),
    ]);
    let home = Home::new();
    let out = run(&mut clawdbot(&home, &server), &["models", "auth", "login-github-copilot"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Open https://github.com/login/device and enter the code: WDJB-MJHT"),
        "{}",
        stderr(&out)
    );
    no_secret_in(&out, &["dc-FAKE", "gho_FAKE_GITHUB", "FAKE-COPILOT"]);
    let requests = server.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/login/device/code", "/login/oauth/access_token", "/login/oauth/access_token", "/copilot_internal/v2/token"]
    );
    assert_eq!(requests[3].header("authorization"), Some("Bearer gho_FAKE_GITHUB"));
    let p = &home.store()["profiles"]["github-copilot:default"];
    assert_eq!((p["refresh"].as_str(), p["access"].as_str()), (Some("gho_FAKE_GITHUB"), Some("tid=FAKE-COPILOT-1")));

    let out = run(&mut clawdbot(&home, &server), &["models", "auth", "token", "--provider", "github-copilot"]);
    assert_eq!((code(&out), stdout(&out).trim()), (0, "tid=FAKE-COPILOT-1"), "{}", stderr(&out));
    // An hour later that token is spent: `token` exchanges the GitHub token again.
    let later = (NOW + 3_600_000).to_string();
    let out = run(
        clawdbot(&home, &server).env("CLAWDBOT_NOW_MS", &later),
        &["models", "auth", "token", "--provider", "github-copilot"],
    );
    assert_eq!((code(&out), stdout(&out).trim()), (0, "tid=FAKE-COPILOT-2"), "{}", stderr(&out));
    assert_eq!(server.requests()[4].path, "/copilot_internal/v2/token");
}

#[test]
fn a_pending_then_denied_code_stores_nothing_and_exits_1() {
    let server = Server::start(vec![
        Reply::json(
            200,
            json!({"device_code": "dc-FAKE", "user_code": "WDJB-MJHT", "verification_uri": "https://github.com/login/device", "interval": 1}),
        ),
        Reply::json(200, json!({"error": "authorization_pending"})),
        Reply::json(
            200,
            json!({"error": "access_denied", "error_description": "The user has denied your application access."}),
        ),
    ]);
    let home = Home::new();
    let out = run(&mut clawdbot(&home, &server), &["models", "auth", "login", "--provider", "github-copilot"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error: waiting for the code to be entered: the login was denied"),
        "{}",
        stderr(&out)
    );
    assert!(!home.store_path().exists(), "nothing stored");
}

#[test]
fn garbage_html_an_oversized_body_or_a_redirect_end_with_the_step_named_and_nothing_stored() {
    let big = vec![b'x'; 2 * 1024 * 1024];
    for (reply, exit, says) in [
        (
            Reply::raw(200, &[("Content-Type", "text/html")], b"<html>captive portal</html>"),
            3,
            "asking for a device code: unexpected answer: HTTP 200",
        ),
        (Reply::raw(200, &[], b"\x00\xff garbage"), 3, "asking for a device code: unexpected answer"),
        (Reply::raw(200, &[], &big), 3, "asking for a device code: answered with too large a body"),
        (Reply::raw(302, &[("Location", "https://evil.example/")], b""), 3, "asking for a device code: was redirected"),
        (Reply::raw(404, &[], b"Not Found"), 1, "device codes are not enabled for this account"),
    ] {
        let server = Server::start(vec![reply]);
        let home = Home::new();
        let out = run(
            &mut clawdbot(&home, &server),
            &["models", "auth", "login", "--provider", "openai-codex", "--device-code"],
        );
        assert_eq!(code(&out), exit, "{says}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{says}: {}", stderr(&out));
        assert!(!home.store_path().exists(), "{says}: nothing stored");
    }
}

#[test]
fn a_browser_login_takes_the_redirect_pasted_on_standard_input() {
    let server =
        Server::start(vec![Reply::json(200, json!({"access_token": codex_access(), "refresh_token": "rt-FAKE-PKCE"}))]);
    let home = Home::new();
    let mut child = clawdbot(&home, &server)
        .args(["models", "auth", "login", "--provider", "openai-codex"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(b"ac-FAKE-PASTED\n").expect("paste");
    let out = child.wait_with_output().expect("run");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "http://127.0.0.1:{}/oauth/authorize?response_type=code&client_id=app_EMoamEEZ73f0CkXaXp7hrann",
            server.port
        )),
        "{}",
        stderr(&out)
    );
    let body = &server.requests()[0].body;
    assert!(
        body.contains("code=ac-FAKE-PASTED&redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback"),
        "{body}"
    );
    assert_eq!(home.store()["profiles"]["openai-codex:default"]["refresh"], "rt-FAKE-PKCE");
    no_secret_in(&out, &["ac-FAKE-PASTED", "rt-FAKE-PKCE"]);
}

#[test]
fn a_browser_login_completes_through_the_loopback_redirect() {
    let server =
        Server::start(vec![Reply::json(200, json!({"access_token": codex_access(), "refresh_token": "rt-FAKE-CB"}))]);
    let home = Home::new();
    let mut child = clawdbot(&home, &server)
        .env("DISPLAY", ":0")
        .args(["models", "auth", "login", "--provider", "openai-codex"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stderr_lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let url = loop {
        let line = stderr_lines.next().expect("the authorize URL").expect("text");
        if line.contains("/oauth/authorize?") {
            break line;
        }
    };
    let state = url.split("state=").nth(1).expect("state").split('&').next().expect("state").to_string();
    // Wait for the listener, then play the browser: a favicon first, then the redirect.
    let mut waited = 0;
    let stream = loop {
        match std::net::TcpStream::connect(("127.0.0.1", 1455)) {
            Ok(s) => break s,
            Err(_) if waited < 240 => {
                std::thread::sleep(std::time::Duration::from_millis(500));
                waited += 1;
            }
            Err(e) => panic!("no listener: {e}"),
        }
    };
    let get = |mut s: std::net::TcpStream, target: &str| {
        write!(s, "GET {target} HTTP/1.1\r\nHost: localhost:1455\r\n\r\n").expect("request");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("answer");
        answer
    };
    assert!(get(stream, "/favicon.ico").starts_with("HTTP/1.1 404"));
    let stream = std::net::TcpStream::connect(("127.0.0.1", 1455)).expect("still listening");
    let answer = get(stream, &format!("/auth/callback?code=ac-FAKE-CB&state={state}"));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let rest: Vec<String> = stderr_lines.map_while(Result::ok).collect();
    let out = child.wait_with_output().expect("run");
    assert_eq!(code(&out), 0, "{rest:?}");
    assert!(server.requests()[0].body.contains("code=ac-FAKE-CB"));
    assert_eq!(home.store()["profiles"]["openai-codex:default"]["refresh"], "rt-FAKE-CB");
}

#[test]
fn an_origin_that_is_neither_https_nor_loopback_is_refused_before_anything_is_sent() {
    let server = Server::start(vec![]);
    let home = Home::new();
    let out = run(
        clawdbot(&home, &server).env("CLAWDBOT_AUTH_URL_OPENAI_CODEX", "http://auth.example"),
        &["models", "auth", "login", "--provider", "openai-codex", "--device-code"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("the origin CLAWDBOT_AUTH_URL_OPENAI_CODEX names is not used"), "{}", stderr(&out));
    assert!(server.requests().is_empty());
}
