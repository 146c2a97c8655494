//! Rewriting clawdbot.json never loses what the operator wrote.

use std::io::Write;
use std::process::{Command, Stdio};

fn paste(home: &std::path::Path, profile: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clawdbot"))
        .args(["models", "auth", "paste-token", "--provider", "anthropic", "--profile-id", profile])
        .env_clear()
        .env("HOME", home)
        .env("CLAWDBOT_KEYCHAIN", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"sk-FAKE-pasted-token-0123456789\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_json5_config_is_saved_before_its_first_rewrite() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".clawdbot");
    std::fs::create_dir_all(&dir).unwrap();
    let original = "// the gateway's config\n{ agents: { defaults: { model: 'anthropic/claude-opus-4-5' } }, }\n";
    std::fs::write(dir.join("clawdbot.json"), original).unwrap();

    paste(home.path(), "anthropic:one");
    assert_eq!(std::fs::read_to_string(dir.join("clawdbot.json.bak")).unwrap(), original);
    let now: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("clawdbot.json")).unwrap()).unwrap();
    assert_eq!(now["agents"]["defaults"]["model"], "anthropic/claude-opus-4-5", "other keys kept");
    assert_eq!(now["auth"]["profiles"]["anthropic:one"]["mode"], "token");

    // The file is plain JSON now: a second rewrite keeps the first backup.
    paste(home.path(), "anthropic:two");
    assert_eq!(std::fs::read_to_string(dir.join("clawdbot.json.bak")).unwrap(), original);
}

#[test]
fn a_plain_json_config_gets_no_backup() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".clawdbot");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("clawdbot.json"), "{\"agents\": {}}\n").unwrap();
    paste(home.path(), "anthropic:one");
    assert!(!dir.join("clawdbot.json.bak").exists());
}

/// The operator's own `clawdbot.json.bak` (and an earlier backup of ours)
/// survive: each new backup takes the next free name.
#[test]
fn a_backup_never_overwrites_an_existing_one() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".clawdbot");
    std::fs::create_dir_all(&dir).unwrap();
    let theirs = "{ \"the operator's\": \"own backup\" }\n";
    std::fs::write(dir.join("clawdbot.json.bak"), theirs).unwrap();
    let first = "// first\n{ agents: {}, }\n";
    std::fs::write(dir.join("clawdbot.json"), first).unwrap();
    paste(home.path(), "anthropic:one");
    assert_eq!(std::fs::read_to_string(dir.join("clawdbot.json.bak")).unwrap(), theirs);
    assert_eq!(std::fs::read_to_string(dir.join("clawdbot.json.bak.1")).unwrap(), first);

    let second = "// second\n{ agents: {}, }\n";
    std::fs::write(dir.join("clawdbot.json"), second).unwrap();
    paste(home.path(), "anthropic:two");
    assert_eq!(std::fs::read_to_string(dir.join("clawdbot.json.bak")).unwrap(), theirs);
    assert_eq!(std::fs::read_to_string(dir.join("clawdbot.json.bak.1")).unwrap(), first);
    assert_eq!(std::fs::read_to_string(dir.join("clawdbot.json.bak.2")).unwrap(), second);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.join("clawdbot.json.bak.2")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "a backup of the config is as private as the config");
}
