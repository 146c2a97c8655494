//! `models auth token` for scripts and helpers: `--json`, `--format env`
//! and `--min-valid`, against the scripted token server.

mod refresh_common;

use refresh_common::*;
use serde_json::{Value, json};

const MINUTE: i64 = 60_000;

/// An anthropic OAuth login that expires `in_ms` from now.
fn home_expiring_in(in_ms: i64) -> Home {
    let home = Home::new();
    let store = json!({"version": 1, "profiles": {"anthropic:work": {
        "type": "oauth", "provider": "anthropic", "access": OLD_ACCESS, "refresh": OLD_REFRESH,
        "expires": NOW + in_ms}}});
    home.write(&home.store_path(), &store.to_string());
    home
}

fn token(home: &Home, server: &Server, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["models", "auth", "token", "--provider", "anthropic"];
    args.extend_from_slice(extra);
    run(&mut home.clawdbot(server), &args)
}

#[test]
fn a_key_expiring_within_the_default_ten_minutes_is_refreshed_first() {
    let home = home_expiring_in(8 * MINUTE);
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let out = token(&home, &server, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), NEW_ACCESS, "the key handed out outlives a 5-minute cache");
    assert_eq!(server.posts(), 1);
    assert_eq!(home.store()["profiles"]["anthropic:work"]["refresh"], NEW_REFRESH);
}

#[test]
fn min_valid_sets_how_long_the_key_must_last() {
    let home = home_expiring_in(8 * MINUTE);
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let out = token(&home, &server, &["--min-valid", "6m"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), OLD_ACCESS, "8 minutes left is enough for 6");
    assert_eq!(server.posts(), 0);

    let home = home_expiring_in(45 * MINUTE);
    let out = token(&home, &server, &["--min-valid", "1h"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), NEW_ACCESS);
    assert_eq!(server.posts(), 1, "45 minutes left is not enough for an hour");

    let out = token(&home, &server, &["--min-valid", "soon"]);
    assert_eq!(code(&out), 64, "{}", stderr(&out));
}

#[test]
fn json_names_the_token_its_type_profile_and_expiry() {
    let home = home_expiring_in(2 * 3_600_000);
    let server = Server::start(Vec::new());
    let out = token(&home, &server, &["--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1, "one line");
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        doc,
        json!({"token": OLD_ACCESS, "type": "oauth", "provider": "anthropic", "profileId": "anthropic:work",
               "expiresAt": "2026-01-01T02:00:00Z"})
    );
    assert!(!stderr(&out).contains(OLD_ACCESS), "the key goes to stdout only");
    assert_eq!(token(&home, &server, &["--json", "--format", "env"]).status.code(), Some(64));
}

#[test]
fn env_format_uses_the_variable_the_client_reads_shell_quoted() {
    let home = home_expiring_in(2 * 3_600_000);
    let server = Server::start(Vec::new());
    let out = token(&home, &server, &["--format", "env"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), format!("ANTHROPIC_AUTH_TOKEN='{OLD_ACCESS}'"));

    let keyed = Home::new();
    let store = json!({"version": 1, "profiles": {"anthropic:key": {
        "type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-FAKE'quote"}}});
    keyed.write(&keyed.store_path(), &store.to_string());
    let out = token(&keyed, &server, &["--format", "env"]);
    assert_eq!(stdout(&out).trim(), r"ANTHROPIC_API_KEY='sk-ant-api03-FAKE'\''quote'");
    let check = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg("eval \"$1\"; printf %s \"$ANTHROPIC_API_KEY\"")
        .arg("sh")
        .arg(stdout(&out).trim())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&check.stdout), "sk-ant-api03-FAKE'quote", "a shell reads the key back");
}

#[test]
fn agent_is_taken_at_the_group_level() {
    let home = Home::new();
    let ops = home.path().join(".clawdbot/agents/ops/agent/auth-profiles.json");
    let store = json!({"version": 1, "profiles": {"anthropic:ops": {
        "type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-FAKE-ops"}}});
    home.write(&ops, &store.to_string());
    let server = Server::start(Vec::new());
    for args in [
        &["models", "auth", "--agent", "ops", "token", "--provider", "anthropic"][..],
        &["models", "--agent", "ops", "auth", "token", "--provider", "anthropic"][..],
    ] {
        let out = run(&mut home.clawdbot(&server), args);
        assert_eq!(stdout(&out).trim(), "sk-ant-api03-FAKE-ops", "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_key_from_the_environment_keeps_its_kind_in_every_form() {
    let home = Home::new();
    let server = Server::start(Vec::new());
    let run_with = |var: &str, args: &[&str]| {
        let mut all = vec!["models", "auth", "token", "--provider", "anthropic"];
        all.extend_from_slice(args);
        home.clawdbot(&server).env(var, "sk-ant-FAKE-env").args(&all).output().unwrap()
    };
    let key = run_with("ANTHROPIC_API_KEY", &["--format", "env"]);
    assert_eq!(stdout(&key).trim(), "ANTHROPIC_API_KEY='sk-ant-FAKE-env'", "{}", stderr(&key));
    let bearer = run_with("ANTHROPIC_OAUTH_TOKEN", &["--format", "env"]);
    assert_eq!(stdout(&bearer).trim(), "ANTHROPIC_AUTH_TOKEN='sk-ant-FAKE-env'");
    let doc: Value = serde_json::from_str(&stdout(&run_with("ANTHROPIC_API_KEY", &["--json"]))).unwrap();
    assert_eq!(doc, json!({"token": "sk-ant-FAKE-env", "type": "api_key", "provider": "anthropic"}));
}

/// Issue 23 item 5: `eval "$(clawdbot models auth token --format env)"`
/// must never run anything. A provider whose id starts with a digit once
/// gave `42AI_API_KEY='...'`, which a shell runs as a command (and prints
/// the key in its error); `OPENAI_CODEX_API_KEY` was read by nobody.
#[test]
fn env_format_names_only_a_variable_a_client_reads_and_refuses_otherwise() {
    let home = Home::new();
    let store = json!({"version": 1, "profiles": {
        "42ai:default": {"type": "api_key", "provider": "42ai", "key": "sk-FAKE-42ai-0123456789"},
        "openai-codex:work": {"type": "oauth", "provider": "openai-codex", "access": "FAKE-codex-access",
                              "refresh": "FAKE-codex-refresh", "expires": NOW + 60 * MINUTE},
        "openai:default": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-openai-0123456789"}}});
    home.write(&home.store_path(), &store.to_string());
    let server = Server::start(Vec::new());
    let env_form = |provider: &str| {
        run(&mut home.clawdbot(&server), &["models", "auth", "token", "--provider", provider, "--format", "env"])
    };
    for provider in ["42ai", "openai-codex"] {
        let out = env_form(provider);
        assert_eq!(code(&out), 1, "{provider}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{provider}: nothing to eval");
        let said = stderr(&out);
        assert!(said.contains("--format env has no name to give") && said.contains("hint: "), "{said}");
        assert!(!said.contains("FAKE"), "{said}");
        // The key itself is still there for whoever names the variable.
        let raw = run(&mut home.clawdbot(&server), &["models", "auth", "token", "--provider", provider]);
        assert_eq!(code(&raw), 0, "{provider}: {}", stderr(&raw));
    }
    let out = env_form("openai");
    assert_eq!(stdout(&out).trim(), "OPENAI_API_KEY='sk-FAKE-openai-0123456789'");
    // What `eval` would run is one assignment, and it sets the variable.
    let sh = std::process::Command::new("sh")
        .args(["-c", &format!("{}\nprintf %s \"$OPENAI_API_KEY\"", stdout(&out).trim())])
        .output()
        .unwrap();
    assert_eq!(
        (sh.status.code(), stdout(&sh).as_str(), stderr(&sh).as_str()),
        (Some(0), "sk-FAKE-openai-0123456789", "")
    );
}
