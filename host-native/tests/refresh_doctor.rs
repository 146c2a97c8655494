//! `doctor` refreshes the OAuth logins that are due when allowed (expired,
//! or inside the refresh window; issue 14 item 6), leaves the others alone,
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
fn doctor_refreshes_a_login_inside_the_refresh_window_with_yes() {
    // Two days: afterwards the access token is not inside the 24 h window
    // any more, so doctor has nothing left to list. (The login renews
    // itself, so it never needed a human.)
    let server = Server::start(vec![Reply::json(
        200,
        json!({"access_token": NEW_ACCESS, "refresh_token": NEW_REFRESH, "expires_in": 172_800}),
    )]);
    let home = Home::new().with_expired_profile();
    with_expiry(&home, NOW + 2 * 60_000); // due: inside the 5-minute refresh window
    let out = run(&mut home.clawdbot(&server), &["doctor", "--yes"]);
    assert_eq!(server.posts(), 1, "{}{}", stdout(&out), stderr(&out));
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("Refreshed anthropic:work"), "{}", stdout(&out));
    assert_eq!(home.store()["profiles"]["anthropic:work"]["access"], NEW_ACCESS);
}

/// Issue 23 item 14: `doctor --json --fix` refreshed the login and wrote
/// the store, and its `changes` said nothing of it.
#[test]
fn doctor_json_fix_lists_the_refreshes_it_made_in_changes() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = Home::new().with_expired_profile();
    let out = run(&mut home.clawdbot(&server), &["doctor", "--json", "--fix"]);
    assert_eq!(server.posts(), 1, "{}{}", stdout(&out), stderr(&out));
    assert_eq!(home.store()["profiles"]["anthropic:work"]["access"], NEW_ACCESS);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    let changes = doc["changes"].as_array().expect("changes");
    assert!(changes.contains(&json!("anthropic:work: refreshed")), "{doc}");
    assert!(!stdout(&out).contains(NEW_ACCESS) && !stderr(&out).contains(NEW_ACCESS), "no secret shown");
}

#[test]
fn doctor_leaves_a_login_that_is_not_due_alone_and_prints_no_remedy() {
    // An 8 h login: "expiring" by doctor's 24 h window, but refreshing it
    // now would rotate its refresh token on every run for nothing.
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = Home::new().with_expired_profile();
    with_expiry(&home, NOW + 8 * 3_600_000);
    let out = run(&mut home.clawdbot(&server), &["doctor", "--yes"]);
    let text = stdout(&out);
    assert_eq!(server.posts(), 0, "{text}{}", stderr(&out));
    assert_eq!(code(&out), 0, "{text}{}", stderr(&out));
    assert!(text.contains("healthy"), "{text}");
    assert!(!text.contains("Re-auth") && !text.contains("setup-token"), "no remedy next to healthy: {text}");
    assert_eq!(home.store()["profiles"]["anthropic:work"]["access"], OLD_ACCESS);
}

#[test]
fn doctor_fix_beside_non_interactive_repairs_without_asking() {
    // Issue 23 item 20: unattended scripts run `doctor --fix
    // --non-interactive --yes`; each spelling is accepted and refreshes.
    for flags in [
        &["--yes", "--non-interactive"][..],
        &["--repair", "--non-interactive"],
        &["--fix", "--non-interactive", "--yes"],
    ] {
        let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
        let home = Home::new().with_expired_profile();
        let out = run(&mut home.clawdbot(&server), &[&["doctor"][..], flags].concat());
        assert_ne!(code(&out), 64, "{flags:?}: {}", stderr(&out));
        assert_eq!(server.posts(), 1, "{flags:?}: {}{}", stdout(&out), stderr(&out));
        assert_eq!(home.store()["profiles"]["anthropic:work"]["access"], NEW_ACCESS, "{flags:?}");
    }
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
