//! The shell-env fallback (A32) through the binary, with fake login shells.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn shell(dir: &Path, body: &str) -> std::path::PathBuf {
    let path = dir.join("fakeshell");
    std::fs::write(&path, format!("#!/bin/sh\ntouch \"{}/ran\"\n{body}\n", dir.display())).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn status(home: &Path, shell: &Path, extra: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clawdbot"));
    cmd.args(["models", "status", "--json"])
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .env("SHELL", shell)
        .env("CLAWDBOT_NOW_MS", "1767225600000")
        .env("CLAWDBOT_LOAD_SHELL_ENV", "1");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

#[test]
fn imports_only_the_expected_keys_from_the_login_shell() {
    let home = tempfile::tempdir().unwrap();
    let sh = shell(home.path(), r"printf 'OPENAI_API_KEY=sk-FAKE-shell-0123456789\0CLAWDBOT_STATE_DIR=/evil\0'");
    let doc = json(&status(home.path(), &sh, &[]));
    assert_eq!(doc["auth"]["shellEnvFallback"]["appliedKeys"], serde_json::json!(["OPENAI_API_KEY"]));
    let openai = doc["auth"]["providers"].as_array().unwrap().iter().find(|p| p["provider"] == "openai").unwrap();
    assert_eq!(openai["env"]["source"], "shell env: OPENAI_API_KEY");
    assert!(doc["configPath"].as_str().unwrap().starts_with(home.path().to_str().unwrap()), "paths are not imported");
}

#[test]
fn a_set_key_means_no_shell_is_run() {
    let home = tempfile::tempdir().unwrap();
    let sh = shell(home.path(), "");
    let out = status(home.path(), &sh, &[("ANTHROPIC_API_KEY", "sk-FAKE-already-set-000")]);
    assert!(out.status.success());
    assert!(!home.path().join("ran").exists(), "the shell ran although a key was set");
    assert_eq!(json(&out)["auth"]["shellEnvFallback"]["enabled"], true);
}

#[test]
fn a_hanging_shell_is_cut_off_with_a_warning() {
    let home = tempfile::tempdir().unwrap();
    let sh = shell(home.path(), "sleep 30");
    let started = Instant::now();
    let out = status(home.path(), &sh, &[("CLAWDBOT_SHELL_ENV_TIMEOUT_MS", "300")]);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not finish"));
    assert_eq!(json(&out)["auth"]["shellEnvFallback"]["appliedKeys"], serde_json::json!([]));
}
