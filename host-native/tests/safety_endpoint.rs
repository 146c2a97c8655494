//! A token endpoint that misbehaves: every failure leaves the stored
//! credential byte for byte and ends within `CLAWDBOT_HTTP_TIMEOUT_MS` plus
//! a margin. Decisions recorded in docs/security.md: a JSON body is read
//! as JSON whatever its Content-Type; an HTTP/1.0 answer delimited by the
//! connection closing is a valid answer.

mod safety_common;

use safety_common::*;
use serde_json::{Value, json};
use std::time::Duration;

const TIMEOUT_MS: u64 = 2000;
/// Generous: process start, lock, and a busy CI machine.
const OLD_ACCESS: &str = "sk-ant-oat01-ENDPOINT-OLD-0000";
const OLD_REFRESH: &str = "sk-ant-ort01-ENDPOINT-OLD-0000";

fn tokens_body() -> Vec<u8> {
    json!({"access_token": "sk-ant-oat01-ENDPOINT-NEW", "refresh_token": "sk-ant-ort01-ENDPOINT-NEW",
        "expires_in": 28800, "token_type": "Bearer"})
    .to_string()
    .into_bytes()
}

fn credential(store: &Value) -> Value {
    let p = &store["profiles"]["anthropic:work"];
    json!([p["type"], p["access"], p["refresh"], p["expires"], p["email"]])
}

/// Runs a refresh of an expired login against `url`; returns the run and
/// whether the credential is unchanged.
fn refresh_against(url: &str) -> (Run, bool, Value) {
    let home = Home::new();
    home.write_json(
        STORE,
        &json!({"version": 1, "profiles": {"anthropic:work": oauth(OLD_ACCESS, OLD_REFRESH, NOW - 60_000)}}),
    );
    let before = credential(&home.store());
    let mut cmd = home.cmd();
    cmd.env("CLAWDBOT_TOKEN_URL_ANTHROPIC", url).env("CLAWDBOT_HTTP_TIMEOUT_MS", TIMEOUT_MS.to_string());
    let run = run_cmd(&mut cmd, &["models", "auth", "refresh", "--profile", "anthropic:work"], b"", RUN_LIMIT);
    let after = home.store();
    let unchanged = credential(&after) == before;
    assert!(home.store_temps().is_empty() && !home.lock_dir().exists(), "{}: left a temp or lock", run.what());
    (run, unchanged, after)
}

fn assert_refused(name: &str, url: &str, want_code: i32) -> Run {
    let (run, unchanged, after) = refresh_against(url);
    assert!(!run.timed_out && !run.panicked(), "{name}: {}", run.err());
    assert_eq!(run.code, Some(want_code), "{name}: {}", run.err());
    assert!(unchanged, "{name}: the credential changed: {}", after["profiles"]["anthropic:work"]);
    assert!(control_problems("stderr", &run.stderr).is_empty(), "{name}: {}", run.err());
    println!("safety_endpoint {name}: exit {:?} in {:.2} s: {}", run.code, run.elapsed.as_secs_f64(), run.err().trim());
    run
}

#[test]
fn slow_drip_times_out() {
    let server = Endpoint::start(Behaviour::Drip { body: tokens_body(), every: Duration::from_millis(200) });
    assert_refused("slow drip", &server.url(), 3);
}

#[test]
fn a_huge_body_is_refused_and_not_read_to_the_end() {
    for chunked in [false, true] {
        let server = Endpoint::start(Behaviour::Huge { len: 50 << 20, chunked });
        assert_refused(if chunked { "huge chunked body" } else { "huge body" }, &server.url(), 3);
        // The client hung up long before 50 MB (the server stops on EPIPE).
        std::thread::sleep(Duration::from_millis(200));
        assert!(server.bytes_sent() < 40 << 20, "the client read {} bytes", server.bytes_sent());
    }
}

#[test]
fn ok_status_with_an_error_body_is_a_failure() {
    let server = Endpoint::start(Behaviour::Fixed {
        status: 200,
        content_type: "application/json".into(),
        body: br#"{"error":"invalid_grant"}"#.to_vec(),
    });
    let run = assert_refused("200 with invalid_grant", &server.url(), 1);
    assert!(run.err().contains("invalid_grant"), "{}", run.err());
}

#[test]
fn garbage_and_empty_bodies_are_transient_failures() {
    for (name, status, body) in [
        ("200 with HTML", 200, b"<html>maintenance</html>".to_vec()),
        ("200 empty", 200, Vec::new()),
        ("200 truncated JSON", 200, br#"{"access_token":"sk-ant-oat01-x","expires_in":"#.to_vec()),
        ("200 JSON null", 200, b"null".to_vec()),
    ] {
        let server = Endpoint::start(Behaviour::Fixed { status, content_type: "application/json".into(), body });
        assert_refused(name, &server.url(), 3);
    }
}

#[test]
fn tls_refused_and_connection_refused() {
    // A plain-HTTP server answering a TLS handshake: it fails.
    let plain =
        Endpoint::start(Behaviour::Fixed { status: 200, content_type: "application/json".into(), body: tokens_body() });
    assert_refused("TLS to a plain server", &format!("https://127.0.0.1:{}/token", plain.port), 3);
    assert_refused("connection refused", &format!("http://127.0.0.1:{}/token", closed_port()), 3);
}

/// Decisions, not failures: these answers are valid and are used.
#[test]
fn json_under_another_content_type_and_http10_are_accepted() {
    for (name, server) in [
        (
            "text/plain JSON",
            Endpoint::start(Behaviour::Fixed { status: 200, content_type: "text/plain".into(), body: tokens_body() }),
        ),
        ("HTTP/1.0 without length", Endpoint::start(Behaviour::Http10 { body: tokens_body() })),
    ] {
        let (run, unchanged, after) = refresh_against(&server.url());
        assert_eq!(run.code, Some(0), "{name}: {}", run.err());
        assert!(!unchanged, "{name}");
        assert_eq!(after["profiles"]["anthropic:work"]["access"], "sk-ant-oat01-ENDPOINT-NEW", "{name}");
        assert_eq!(after["profiles"]["anthropic:work"]["email"], "user@example.invalid", "{name}");
    }
}
