//! Temp files of the store: a writer holding the store lock removes every
//! one it finds, however young (only a dead writer can have left it), so
//! after a crash the next write leaves just `auth-profiles.json`.

mod safety_common;

use safety_common::*;
use serde_json::json;

fn key(k: &str) -> serde_json::Value {
    json!({"type": "api_key", "provider": "anthropic", "key": k})
}

#[test]
fn a_locked_write_removes_a_dead_writers_fresh_temp_files() {
    let home = Home::new();
    home.write_json(STORE, &json!({"version": 1, "profiles": {"anthropic:a": key("sk-ant-api03-FAKE-a"), "anthropic:b": key("sk-ant-api03-FAKE-b")}}));
    // What a writer killed between its temp write and its rename leaves:
    // young files, which the old 60-second rule would have kept.
    for n in 0..3 {
        home.write(&format!(".clawdbot/agents/main/agent/.auth-profiles.json.tmp-4242-{n}"), b"{\"version\":1,\"prof");
    }
    let run =
        home.run(&["models", "auth", "order", "set", "--provider", "anthropic", "anthropic:b", "anthropic:a"], b"");
    assert_eq!(run.code, Some(0), "{}", run.err());
    assert_eq!(home.store()["order"]["anthropic"], json!(["anthropic:b", "anthropic:a"]));
    let left: Vec<String> = std::fs::read_dir(home.agent_dir())
        .expect("agent dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["auth-profiles.json"], "the folder after the write");
}

#[test]
fn another_files_temps_are_not_the_store_writers_to_remove() {
    let home = Home::new();
    home.write_json(STORE, &json!({"version": 1, "profiles": {"anthropic:a": key("sk-ant-api03-FAKE-a")}}));
    let foreign = ".clawdbot/agents/main/agent/.notes.json.tmp-4242-0";
    home.write(foreign, b"someone else's");
    let run = home.run(&["models", "auth", "order", "set", "--provider", "anthropic", "anthropic:a"], b"");
    assert_eq!(run.code, Some(0), "{}", run.err());
    assert_eq!(home.read(foreign).as_deref(), Some(&b"someone else's"[..]));
}
