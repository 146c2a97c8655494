//! Claude Code 2.1.3xx's sign-ins through the binary, as an operator meets
//! them (issue 21 items 3, 4 and 7): the dead-login stub, a sign-in that
//! ends in two days, and a login made read-only, against a fake token
//! endpoint on a temporary HOME.

mod refresh_common;

use refresh_common::*;
use serde_json::{Value, json};

const DAY: i64 = 86_400_000;

fn write_claude(home: &Home, creds: &Value) {
    home.write(&home.claude_credentials(), &serde_json::to_string_pretty(creds).expect("json"));
}

fn claude_login(access: &str, refresh: &str, expires_at: i64, sign_in_ends: Option<i64>) -> Value {
    let mut creds = json!({
        "claudeAiOauth": {"accessToken": access, "refreshToken": refresh, "expiresAt": expires_at,
                          "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"},
        "mcpOAuth": {}, "trustedDeviceToken": "tdt-FAKE"
    });
    if let Some(end) = sign_in_ends {
        creds["claudeAiOauth"]["refreshTokenExpiresAt"] = json!(end);
    }
    creds
}

fn claude_text(home: &Home) -> String {
    std::fs::read_to_string(home.claude_credentials()).expect("read")
}

/// The stub, with nothing stored: `--check` 1 and a doctor line that says
/// to sign in again; never "Missing auth"; nothing written anywhere.
#[test]
fn a_dead_login_stub_fails_the_check_and_doctor_says_to_sign_in_again() {
    let server = Server::start(vec![]);
    let home = Home::new();
    write_claude(
        &home,
        &json!({"claudeAiOauth": {"accessToken": "", "refreshToken": "", "expiresAt": 0, "loginEnded": "time_limit",
                                  "subscriptionType": "max"}, "mcpOAuth": {}}),
    );
    let before = claude_text(&home);
    let out = run(&mut home.clawdbot(&server), &["models", "status", "--check"]);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("anthropic:claude-cli expired: sign-in ended (loginEnded: time_limit)"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("Missing auth"), "{}", stdout(&out));
    let out = run(&mut home.clawdbot(&server), &["models", "status", "--json"]);
    let report: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(report["auth"]["oauth"]["profiles"][0]["reasonCode"], "sign_in_ended");
    assert_eq!(report["auth"]["missingProvidersInUse"], json!([]));
    let out = run(&mut home.clawdbot(&server), &["doctor", "--non-interactive"]);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let line = stdout(&out).lines().find(|l| l.starts_with("- anthropic:claude-cli: ")).map(str::to_string);
    let line = line.unwrap_or_else(|| panic!("{}", stdout(&out)));
    assert!(line.contains("sign-in ended") && line.contains("Sign in again: run `claude auth login`"), "{line}");
    assert_eq!(claude_text(&home), before, "Claude Code's stub is left as it is");
    assert!(!home.store_path().exists(), "nothing synced from a stub");
    assert_eq!(server.posts(), 0);
}

/// A sign-in ending in 2 days gives `--check` 2 while the access token
/// renews itself; a refresh keeps the date, in our store and in Claude
/// Code's file.
#[test]
fn a_sign_in_ending_in_two_days_gives_check_2_through_a_refresh() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = Home::new();
    write_claude(&home, &claude_login(OLD_ACCESS, OLD_REFRESH, NOW - 60_000, Some(NOW + 2 * DAY)));
    let out = run(&mut home.clawdbot(&server), &["models", "status", "--check"]);
    assert_eq!(code(&out), 2, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("anthropic:claude-cli expiring: sign-in ends in 2d"), "{}", stdout(&out));
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "refresh", "--profile", "anthropic:claude-cli"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(server.posts(), 1);
    assert_eq!(home.store()["profiles"]["anthropic:claude-cli"]["refreshExpires"], json!(NOW + 2 * DAY));
    let claude: Value = serde_json::from_str(&claude_text(&home)).expect("json");
    assert_eq!(claude["claudeAiOauth"]["accessToken"], NEW_ACCESS);
    assert_eq!(claude["claudeAiOauth"]["refreshTokenExpiresAt"], json!(NOW + 2 * DAY));
    let out = run(&mut home.clawdbot(&server), &["models", "status", "--check", "--json"]);
    assert_eq!(code(&out), 2);
    let report: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(report["auth"]["oauth"]["profiles"][0]["refreshExpiresAt"], json!(NOW + 2 * DAY));
}

/// Read-only: synced and reported, never refreshed nor written back; an
/// expired login says to run `claude`, and what Claude Code renews is
/// taken at the next command.
#[test]
fn a_read_only_claude_login_is_left_to_claude_code() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = Home::new();
    home.write(
        &home.path().join(".clawdbot/clawdbot.json"),
        r#"{ auth: { loginSources: { "claude-cli": { readOnly: true } } } }"#,
    );
    write_claude(&home, &claude_login(OLD_ACCESS, OLD_REFRESH, NOW - 60_000, None));
    let before = claude_text(&home);
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "token", "--provider", "anthropic"]);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).is_empty(), "no key handed out: {}", stdout(&out));
    assert!(
        stderr(&out).contains("read-only here") && stderr(&out).contains("Run `claude` on the gateway host"),
        "{}",
        stderr(&out)
    );
    let out = run(&mut home.clawdbot(&server), &["models", "status", "--check"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let out = run(&mut home.clawdbot(&server), &["doctor", "--yes"]);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("Run `claude` on the gateway host"), "{}", stdout(&out));
    assert_eq!(server.posts(), 0, "nothing sent");
    assert_eq!(claude_text(&home), before, "nothing written back");
    assert!(!home.path().join(".claude.lock").exists());

    // Claude Code renews its login itself; the next command takes it.
    write_claude(&home, &claude_login(NEW_ACCESS, NEW_REFRESH, NOW + 8 * 3_600_000, None));
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "token", "--provider", "anthropic"]);
    assert_eq!((code(&out), stdout(&out).trim()), (0, NEW_ACCESS), "{}", stderr(&out));
    let out = run(&mut home.clawdbot(&server), &["models", "status", "--check"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("ok, renewed by Claude Code (read-only here"), "{}", stdout(&out));
    assert_eq!(server.posts(), 0);
}
