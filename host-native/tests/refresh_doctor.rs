//! `doctor` refreshes expired and expiring OAuth logins when allowed (A74),
//! and reports what it could not refresh; Codex's auth.json gets the new
//! tokens back with its other fields kept.

mod refresh_common;

use refresh_common::*;
use serde_json::{Value, json};

fn with_expiry(home: &Home, expires: i64) {
    let mut store = home.store();
    store["profiles"]["anthropic:work"]["expires"] = json!(expires);
    home.write(&home.store_path(), &store.to_string());
}

#[test]
fn doctor_refreshes_an_expiring_login_with_yes() {
    // Two days: afterwards the access token is not inside the 24 h window
    // any more, so doctor has nothing left to list. (The login renews
    // itself, so it never needed a human; doctor refreshes it early, A74.)
    let server = Server::start(vec![Reply::json(
        200,
        json!({"access_token": NEW_ACCESS, "refresh_token": NEW_REFRESH, "expires_in": 172_800}),
    )]);
    let home = Home::new().with_expired_profile();
    with_expiry(&home, NOW + 2 * 3_600_000); // expiring (within 24 h), not yet due
    let out = run(&mut home.clawdbot(&server), &["doctor", "--yes"]);
    assert_eq!(server.posts(), 1, "{}{}", stdout(&out), stderr(&out));
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("Refreshed anthropic:work"), "{}", stdout(&out));
    assert_eq!(home.store()["profiles"]["anthropic:work"]["access"], NEW_ACCESS);
}

#[test]
fn doctor_non_interactive_does_not_refresh_and_reports_failures() {
    let server = Server::start(vec![Reply::json(400, json!({"error": "invalid_grant"}))]);
    let home = Home::new().with_expired_profile();
    let out = run(&mut home.clawdbot(&server), &["doctor", "--non-interactive"]);
    assert_eq!(server.posts(), 0);
    // A login with a refresh token renews itself on use: listed, needing no
    // one. (The exit is 1 all the same: the test home's files are not private.)
    assert!(stdout(&out).contains("access token expired 1m ago — refreshes itself when due"), "{}", stdout(&out));

    let out = run(&mut home.clawdbot(&server), &["doctor", "--yes"]);
    assert_eq!(server.posts(), 1);
    assert_eq!(code(&out), 1, "refused for good: only a new login helps");
    let text = stdout(&out);
    assert!(text.contains("OAuth refresh errors") && text.contains("invalid_grant"), "{text}");
    assert!(text.contains("Model auth"), "issues recomputed and still shown: {text}");
}

#[test]
fn codex_write_back_keeps_fields_and_sets_last_refresh() {
    let server = Server::start(vec![Reply::json(
        200,
        json!({"access_token": "at-NEW-FAKE", "refresh_token": "rt-NEW-FAKE", "id_token": "id.NEW.FAKE", "expires_in": 864000}),
    )]);
    let home = Home::new();
    let auth = json!({
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": null,
        "tokens": {"id_token": "id.OLD.FAKE", "access_token": "at-OLD-FAKE", "refresh_token": "rt-OLD-FAKE", "account_id": "acc-1"},
        "last_refresh": "2025-01-01T00:00:00Z",
        "future": {"kept": true}
    });
    let path = home.path().join(".codex/auth.json");
    home.write(&path, &serde_json::to_string_pretty(&auth).expect("json"));
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "refresh", "--provider", "openai-codex"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(server.posts(), 1);
    let sent = &server.requests()[0];
    assert!(sent.body.contains("refresh_token=rt-OLD-FAKE"), "{}", sent.body);

    let after: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    let mut want = auth.clone();
    want["tokens"]["access_token"] = json!("at-NEW-FAKE");
    want["tokens"]["refresh_token"] = json!("rt-NEW-FAKE");
    want["tokens"]["id_token"] = json!("id.NEW.FAKE");
    want["last_refresh"] = json!("2026-01-01T00:00:00Z");
    assert_eq!(after, want);
    let store = home.store();
    assert_eq!(store["profiles"]["openai-codex:codex-cli"]["refresh"], "rt-NEW-FAKE");
}
