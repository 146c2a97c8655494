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
    let sh = shell(
        home.path(),
        r#"export OPENAI_API_KEY=sk-FAKE-shell-0123456789 CLAWDBOT_STATE_DIR=/evil; exec /bin/sh -c "$3""#,
    );
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
    let out = status(home.path(), &sh, &[("CLAWDBOT_SHELL_ENV_TIMEOUT_MS", "300")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not finish"));
    assert_eq!(json(&out)["auth"]["shellEnvFallback"]["appliedKeys"], serde_json::json!([]));
}

/// A profile that prints a banner (no newline, right before the first
/// variable) still yields its environment: only what lies between the
/// run's markers is read, and a banner's own text is not.
#[test]
fn a_banner_from_the_login_profile_does_not_spoil_the_import() {
    let home = tempfile::tempdir().unwrap();
    let sh = shell(
        home.path(),
        r#"printf 'Welcome to the gateway host!'; env -i OPENAI_API_KEY=sk-FAKE-shell-0123456789 /bin/sh -c "$3"; echo 'Have a nice day'"#,
    );
    let out = status(home.path(), &sh, &[]);
    let doc = json(&out);
    assert_eq!(
        doc["auth"]["shellEnvFallback"]["appliedKeys"],
        serde_json::json!(["OPENAI_API_KEY"]),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Nothing imported is said, in both ways it can happen.
#[test]
fn an_import_of_nothing_is_warned_about() {
    let home = tempfile::tempdir().unwrap();
    let silent = shell(home.path(), "echo 'Welcome!'");
    let out = status(home.path(), &silent, &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("printed no environment"), "{out:?}");
    assert_eq!(json(&out)["auth"]["shellEnvFallback"]["appliedKeys"], serde_json::json!([]));

    let keyless = shell(home.path(), r#"exec /bin/sh -c "$3""#);
    let out = status(home.path(), &keyless, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sets none of OPENAI_API_KEY, ANTHROPIC_API_KEY"), "{err}");
}

/// On timeout the login shell's whole process group is killed: a helper
/// its profile started in the background does not live on as an orphan.
#[test]
fn a_timed_out_shell_leaves_no_orphan() {
    let home = tempfile::tempdir().unwrap();
    let pid_file = home.path().join("helper.pid");
    let sh = shell(home.path(), &format!("sleep 300 & echo $! > '{}'\nwait", pid_file.display()));
    let out = status(home.path(), &sh, &[("CLAWDBOT_SHELL_ENV_TIMEOUT_MS", "500")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not finish"), "{out:?}");
    let pid: u32 = std::fs::read_to_string(&pid_file).expect("the helper started").trim().parse().unwrap();
    let alive = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
    };
    // Hang guard only: a killed process is gone within milliseconds.
    let started = Instant::now();
    while alive(pid) && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let orphaned = alive(pid);
    if orphaned {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
    assert!(!orphaned, "the background helper {pid} outlived the timed-out shell");
}
