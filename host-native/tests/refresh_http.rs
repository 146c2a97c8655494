//! `clawdbot models auth refresh` and `token` against a scripted token
//! server on 127.0.0.1: what is sent, what is stored, and how each kind of
//! failure ends (exit code, message, nothing written).

mod refresh_common;

use refresh_common::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn refresh(home: &Home, server: &Server, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["models", "auth", "refresh", "--profile", "anthropic:work"];
    args.extend_from_slice(extra);
    run(&mut home.clawdbot(server), &args)
}

fn profile(home: &Home) -> Value {
    home.store()["profiles"]["anthropic:work"].clone()
}

#[test]
fn success_sends_the_refresh_token_and_stores_the_new_login() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = Home::new().with_expired_profile();
    let out = refresh(&home, &server, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("anthropic:work: refreshed"), "{}", stdout(&out));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains("FAKE"), "no token in output: {all}");

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/token"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_str(&sent.body).expect("json body");
    assert_eq!(body["grant_type"], "refresh_token");
    assert_eq!(body["refresh_token"], OLD_REFRESH);

    let p = profile(&home);
    assert_eq!(p["access"], NEW_ACCESS);
    assert_eq!(p["refresh"], NEW_REFRESH, "rotated refresh token stored");
    assert_eq!(p["expires"], STORED_EXPIRES);
    assert_eq!(p["email"], "user@example.invalid", "other fields kept");

    // The token command now hands out the new key without another POST.
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "token", "--provider", "anthropic"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), NEW_ACCESS);
    assert_eq!(server.posts(), 1);
}

#[test]
fn rotation_chains_each_refresh_on_the_last_refresh_token() {
    let server = Server::start(vec![
        Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH)),
        Reply::tokens("sk-ant-oat01-THIRD-FAKE", Some("sk-ant-ort01-THIRD-FAKE")),
    ]);
    let home = Home::new().with_expired_profile();
    assert_eq!(code(&refresh(&home, &server, &[])), 0);
    let out = refresh(&home, &server, &["--force"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let second: Value = serde_json::from_str(&requests[1].body).expect("json");
    assert_eq!(second["refresh_token"], NEW_REFRESH, "the spent token is never replayed");
    assert_eq!(profile(&home)["refresh"], "sk-ant-ort01-THIRD-FAKE");

    // Fresh and not forced: no request at all.
    let out = refresh(&home, &server, &[]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("already fresh"), "{}", stdout(&out));
    assert_eq!(server.posts(), 2);
}

#[test]
fn a_response_without_refresh_token_keeps_the_old_one() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, None)]);
    let home = Home::new().with_expired_profile();
    let out = refresh(&home, &server, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let p = profile(&home);
    assert_eq!(p["access"], NEW_ACCESS);
    assert_eq!(p["refresh"], OLD_REFRESH);
}

#[test]
fn invalid_grant_is_permanent_and_leaves_the_credential_untouched() {
    let server = Server::start(vec![Reply::json(
        400,
        json!({"error": "invalid_grant", "error_description": "Refresh token not found or invalid"}),
    )]);
    let home = Home::new().with_expired_profile();
    let before = profile(&home);
    let out = refresh(&home, &server, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("HTTP 400") && err.contains("invalid_grant"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(!err.contains("FAKE"), "{err}");
    assert_eq!(server.posts(), 1, "an OAuth error is never retried");
    let store = home.store();
    assert_eq!(store["profiles"]["anthropic:work"], before, "credential bytes unchanged");
    assert_eq!(store["usageStats"]["anthropic:work"]["failureCounts"]["auth"], 1, "{store}");

    // The token command fails the same way, exit 1.
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "token", "--provider", "anthropic"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

#[test]
fn rate_limited_with_retry_after_is_transient_and_writes_nothing() {
    let server = Server::start(vec![Reply::raw(
        429,
        &[("Retry-After", "30"), ("Content-Type", "application/json")],
        br#"{"error":{"type":"rate_limit_error","message":"Rate limited. Please try again later."}}"#,
    )]);
    let home = Home::new().with_expired_profile();
    let before = home.store_text();
    let out = refresh(&home, &server, &[]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("429") && err.contains("retry after 30 s"), "{err}");
    assert!(err.contains("try again in 30 s"), "{err}");
    assert_eq!(home.store_text(), before);
}

#[test]
fn server_errors_garbage_and_html_are_transient() {
    let cases: Vec<(Reply, &str)> = vec![
        (Reply::raw(500, &[], b"internal error"), "HTTP 500"),
        (Reply::raw(200, &[], b"\x00\xffnot json"), "unexpected body"),
        (Reply::raw(200, &[("Content-Type", "text/html")], b"<html><body>Captive portal</body></html>"), "<html>"),
        (Reply::raw(502, &[("Content-Type", "text/html")], b"<html>Bad gateway</html>"), "HTTP 502"),
        (Reply::json(200, json!({"token_type": "Bearer"})), "access_token"),
        (Reply::raw(200, &[], &vec![b' '; 2 * 1024 * 1024]), "larger than"),
    ];
    for (reply, expect) in cases {
        let server = Server::start(vec![reply]);
        let home = Home::new().with_expired_profile();
        let before = home.store_text();
        let out = refresh(&home, &server, &[]);
        assert_eq!(code(&out), 3, "{expect}: {}", stderr(&out));
        assert!(stderr(&out).contains(expect), "{expect}: {}", stderr(&out));
        assert_eq!(home.store_text(), before, "{expect}");
        assert_eq!(server.posts(), 1, "{expect}");
    }
}

#[test]
fn a_bare_400_is_retried_once_form_encoded() {
    let server = Server::start(vec![
        Reply::raw(400, &[], b"Invalid request format"),
        Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH)),
    ]);
    let home = Home::new().with_expired_profile();
    let out = refresh(&home, &server, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].header("content-type"), Some("application/x-www-form-urlencoded"));
    assert!(requests[1].body.starts_with("grant_type=refresh_token&refresh_token="), "{}", requests[1].body);
    assert_eq!(profile(&home)["access"], NEW_ACCESS);
}

#[test]
fn a_server_that_never_answers_times_out_within_bounds() {
    for reply in [Reply::Never, Reply::Drip { body: vec![b' '; 64], every: Duration::from_millis(300) }] {
        let server = Server::start(vec![reply]);
        let home = Home::new().with_expired_profile();
        let before = home.store_text();
        let started = Instant::now();
        let out = run(
            home.clawdbot(&server).env("CLAWDBOT_HTTP_TIMEOUT_MS", "1500"),
            &["models", "auth", "refresh", "--profile", "anthropic:work"],
        );
        let took = started.elapsed();
        assert_eq!(code(&out), 3, "{}", stderr(&out));
        assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
        assert!(took < Duration::from_secs(10), "bounded by the timeout, took {took:?}");
        assert_eq!(home.store_text(), before);
    }
}

#[test]
fn redirects_are_refused_not_followed() {
    let server = Server::start(vec![Reply::raw(302, &[("Location", "http://127.0.0.1:9/steal")], b"")]);
    let home = Home::new().with_expired_profile();
    let out = refresh(&home, &server, &[]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("redirected"), "{err}");
    assert!(err.contains("CLAWDBOT_TOKEN_URL_ANTHROPIC"), "{err}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn status_never_calls_the_token_endpoint() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = Home::new().with_expired_profile();
    for args in [&["models", "status"][..], &["models", "status", "--json"], &["models", "status", "--check"]] {
        let out = run(&mut home.clawdbot(&server), args);
        assert_ne!(code(&out), 3, "{args:?}: {}", stderr(&out));
    }
    assert_eq!(server.requests().len(), 0);
    assert_eq!(profile(&home)["access"], OLD_ACCESS);
}

#[test]
fn unknown_profile_and_non_oauth_are_refused() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, None)]);
    let home = Home::new().with_expired_profile();
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "refresh", "--profile", "anthropic:nope"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "refresh"]);
    assert_eq!(code(&out), 64, "one of --profile/--provider/--all is required");
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn nothing_to_refresh_is_no_error_and_an_unknown_provider_is_refused() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, None)]);
    let home = Home::new();
    let store = json!({"version": 1, "profiles": {"anthropic:k": {"type": "api_key", "provider": "anthropic", "key": "k-FAKE"}}});
    home.write(&home.store_path(), &store.to_string());
    for args in [&["--all"][..], &["--provider", "anthropic"]] {
        let mut all = vec!["models", "auth", "refresh"];
        all.extend_from_slice(args);
        let out = run(&mut home.clawdbot(&server), &all);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("nothing to refresh"), "{args:?}: {}", stderr(&out));
    }
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "refresh", "--provider", "nope"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("unknown provider \"nope\""), "{}", stderr(&out));
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "refresh", "--profile", "nope:x"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    // 64 stays for a command line that contradicts itself.
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "refresh", "--profile", "anthropic:k", "--all"]);
    assert_eq!(code(&out), 64, "{}", stderr(&out));
    assert_eq!(server.posts(), 0);
}

#[test]
fn a_write_that_skips_the_lock_during_a_slow_refresh_is_kept() {
    // The reference's paste-token writes the store in place without the
    // lock. It does so while our request waits on a slow token server.
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH)).delayed(Duration::from_secs(2))]);
    let home = Home::new().with_expired_profile();
    let child = home
        .clawdbot(&server)
        .args(["models", "auth", "token", "--provider", "anthropic"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn clawdbot");
    let started = Instant::now();
    while server.posts() == 0 {
        assert!(started.elapsed() < Duration::from_secs(120), "no request came");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut store = home.store();
    store["profiles"]["anthropic:r"] =
        json!({"type": "token", "provider": "anthropic", "token": "sk-ant-oat01-R-FAKE"});
    std::fs::write(home.store_path(), store.to_string()).expect("in-place write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), NEW_ACCESS);
    let after = home.store();
    assert_eq!(after["profiles"]["anthropic:work"]["refresh"], NEW_REFRESH, "{after}");
    assert_eq!(after["profiles"]["anthropic:r"]["token"], "sk-ant-oat01-R-FAKE", "the other write survives: {after}");
}
