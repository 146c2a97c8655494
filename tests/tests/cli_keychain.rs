//! The Keychain path with a fake `security` first on PATH, and the store
//! lock: a stale lock folder is taken over, and what is written is private.

mod cli_common;

use cli_common::{Cli, Home, NOW_MS, STORE, mode};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

const ACCESS: &str = "sk-ant-oat01-FAKE-keychain-access-0123456789";
const REFRESH: &str = "sk-ant-ort01-FAKE-keychain-refresh-0123456789";
const EXPIRES: i64 = NOW_MS + 10 * 86_400_000;

/// A `security` that answers `find-generic-password` with the hex form
/// macOS 26 prints for a pretty-printed credentials JSON, and says "not
/// found" (44) to anything else.
fn fake_security(bin_dir: &Path) {
    let creds = json!({"claudeAiOauth": {
        "accessToken": ACCESS, "refreshToken": REFRESH, "expiresAt": EXPIRES,
        "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"
    }});
    let pretty = serde_json::to_string_pretty(&creds).expect("JSON");
    let hex: String = pretty.bytes().map(|b| format!("{b:02x}")).collect();
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = find-generic-password ]; then\n  printf '%s\\n' '{hex}'\n  exit 0\nfi\nexit 44\n"
    );
    let path = bin_dir.join("security");
    std::fs::write(&path, script).expect("write fake security");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod fake security");
}

fn claude_cli_profile(report: &Value) -> Option<Value> {
    report["auth"]["oauth"]["profiles"].as_array()?.iter().find(|p| p["profileId"] == "anthropic:claude-cli").cloned()
}

fn status_with_keychain(setting: &str) -> (Home, cli_common::Run) {
    let home = Home::new();
    let bin = home.join("fakebin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    fake_security(&bin);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()));
    let run =
        Cli::new(home.path()).env("PATH", &path).env("CLAWDBOT_KEYCHAIN", setting).run(&["models", "status", "--json"]);
    (home, run)
}

#[test]
fn keychain_login_shows_without_a_credentials_file() {
    let (home, run) = status_with_keychain("security");
    assert!(!home.join(".claude/.credentials.json").exists());
    assert_eq!(run.code, Some(0), "{}: {}", run.what(), run.stderr_text());
    let report = run.json().unwrap_or_else(|e| panic!("{e}"));
    let profile = claude_cli_profile(&report).unwrap_or_else(|| {
        panic!("anthropic:claude-cli missing:\n{}\nstderr: {}", run.stdout_text(), run.stderr_text())
    });
    assert_eq!(profile["type"], "oauth", "{profile}");
    assert_eq!(profile["status"], "ok", "{profile}");
    assert_eq!(profile["source"], "claude-cli", "{profile}");
    assert_eq!(profile["expiresAt"].as_f64(), Some(EXPIRES as f64), "{profile}");
    for secret in [ACCESS, REFRESH] {
        assert!(!run.stdout_text().contains(secret) && !run.stderr_text().contains(secret), "printed {secret}");
    }
}

#[test]
fn keychain_off_ignores_security() {
    let (_home, run) = status_with_keychain("off");
    assert_eq!(run.code, Some(0), "{}: {}", run.what(), run.stderr_text());
    let report = run.json().unwrap_or_else(|e| panic!("{e}"));
    assert!(claude_cli_profile(&report).is_none(), "CLAWDBOT_KEYCHAIN=off still read the keychain:\n{report}");
}

const PASTED: &str = "sk-FAKE-pasted-token-value-1234567890";

fn paste(home: &Home) -> cli_common::Run {
    Cli::new(home.path()).stdin(format!("{PASTED}\n").as_bytes()).run(&[
        "models",
        "auth",
        "paste-token",
        "--provider",
        "anthropic",
    ])
}

fn assert_pasted(home: &Home, run: &cli_common::Run) {
    assert_eq!(run.code, Some(0), "{}: {}{}", run.what(), run.stdout_text(), run.stderr_text());
    assert!(!run.stdout_text().contains(PASTED) && !run.stderr_text().contains(PASTED), "paste-token echoed the token");
    let store: Value = serde_json::from_slice(&home.read(STORE).expect("store written")).expect("store is JSON");
    let profile = &store["profiles"]["anthropic:manual"];
    assert_eq!(profile["type"], "token", "{store}");
    assert_eq!(profile["provider"], "anthropic", "{store}");
    assert_eq!(profile["token"], PASTED, "{store}");
    assert_eq!(mode(&home.join(STORE)), 0o600, "store mode");
}

/// A lock folder whose mtime is 60 s old (stale after 30 s) is taken over.
///
/// A fresh lock would make the command wait up to 45 s before giving up,
/// too long for a test; a configurable wait would let the busy path be
/// tested too.
#[test]
fn stale_lock_is_taken_over_and_released() {
    let home = Home::new();
    let store = home.join(STORE);
    let agent_dir = store.parent().expect("agent folder").to_path_buf();
    std::fs::create_dir_all(&agent_dir).expect("agent folder");
    let real_dir = std::fs::canonicalize(&agent_dir).expect("realpath");
    let lock = real_dir.join("auth-profiles.json.lock");
    std::fs::create_dir(&lock).expect("lock folder");
    let old = SystemTime::now() - Duration::from_secs(60);
    std::fs::File::open(&lock).and_then(|f| f.set_modified(old)).expect("age the lock");

    let run = paste(&home);
    assert_pasted(&home, &run);
    assert!(!lock.exists(), "the lock folder is still there after the write");
}

/// In an empty HOME every folder the write creates is private.
#[test]
fn paste_into_empty_home_is_private() {
    let home = Home::new();
    let run = paste(&home);
    assert_pasted(&home, &run);
    let agent_dir = home.join(STORE).parent().expect("agent folder").to_path_buf();
    assert_eq!(mode(&agent_dir), 0o700, "agent folder mode");
    assert_eq!(mode(&home.join(".clawdbot")), 0o700, "~/.clawdbot mode");
    assert!(!agent_dir.join("auth-profiles.json.lock").exists(), "lock left behind");
}
