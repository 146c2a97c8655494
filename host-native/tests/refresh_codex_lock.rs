//! Codex CLI 0.171 takes an exclusive `flock` on `$CODEX_HOME/auth.lock`
//! before it commits a refresh of its own (it re-reads `auth.json` there
//! and keeps what it finds if the login changed). A refresh of the login
//! shared with Codex holds that lock too, for its whole exchange: while
//! another process holds it, nothing is sent and `auth.json` is not
//! written.

mod refresh_common;

use refresh_common::*;
use serde_json::{Value, json};
use std::fs::File;
use std::time::{Duration, Instant};

fn codex_home() -> (Home, std::path::PathBuf) {
    let home = Home::new();
    let auth = json!({
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": null,
        "tokens": {"access_token": "at-OLD-FAKE", "refresh_token": "rt-OLD-FAKE", "account_id": "acc-1"},
        "last_refresh": "2025-01-01T00:00:00Z"
    });
    let path = home.path().join(".codex/auth.json");
    home.write(&path, &serde_json::to_string_pretty(&auth).expect("json"));
    (home, path)
}

fn server() -> Server {
    Server::start(vec![Reply::json(
        200,
        json!({"access_token": "at-NEW-FAKE", "refresh_token": "rt-NEW-FAKE", "expires_in": 864000}),
    )])
}

#[test]
fn a_codex_refresh_waits_for_codex_s_auth_lock_and_holds_it_over_the_exchange() {
    let server = server();
    let (home, auth) = codex_home();
    // Another holder of Codex's lock: a `flock`, as Codex takes it.
    let lock_path = home.path().join(".codex/auth.lock");
    let held = File::create(&lock_path).expect("lock file");
    held.lock().expect("flock");
    let child = home
        .clawdbot(&server)
        .args(["models", "auth", "refresh", "--profile", "openai-codex:codex-cli"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn clawdbot");
    std::thread::sleep(Duration::from_millis(1_500));
    assert_eq!(server.posts(), 0, "nothing sent while Codex holds its lock");
    assert!(std::fs::read_to_string(&auth).expect("read").contains("at-OLD-FAKE"));
    held.unlock().expect("unlock");
    let started = Instant::now();
    let out = child.wait_with_output().expect("clawdbot ends");
    assert!(started.elapsed() < Duration::from_secs(120), "hang guard");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("waiting for Codex CLI's lock ("), "{}", stderr(&out));
    assert!(stderr(&out).contains("auth.lock); it is released when its holder finishes or exits"), "{}", stderr(&out));
    assert_eq!(server.posts(), 1);
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&auth).expect("read")).expect("json");
    assert_eq!(after["tokens"]["refresh_token"], "rt-NEW-FAKE");
    // Released: another holder takes it at once.
    let again = File::open(&lock_path).expect("lock file");
    again.try_lock().expect("our flock was released");
}

#[test]
fn codex_s_lock_file_is_made_when_missing_and_a_missing_codex_home_skips_it() {
    let server = server();
    let (home, _) = codex_home();
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "refresh", "--profile", "openai-codex:codex-cli"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(home.path().join(".codex/auth.lock").is_file(), "made as Codex makes it");

    // A login pasted under Codex's id, with no Codex folder: no lock to take.
    let home = Home::new();
    let store = json!({"version": 1, "profiles": {"openai-codex:codex-cli": {
        "type": "oauth", "provider": "openai-codex", "access": "at-OLD-FAKE", "refresh": "rt-OLD-FAKE", "expires": NOW - 60_000
    }}});
    home.write(&home.store_path(), &store.to_string());
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "refresh", "--profile", "openai-codex:codex-cli"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!home.path().join(".codex").exists(), "no Codex folder made");
}
