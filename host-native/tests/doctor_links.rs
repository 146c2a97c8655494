//! `doctor --fix` changes modes only on what it checked (issue 23 item 1):
//! a chmod follows symlinks, so a credential path linked to a pipe, to a
//! file in another folder, or to a file the load could not parse must keep
//! its target's mode, and the output must say it was left as it is.

mod refresh_common;

use refresh_common::{Home, Server, code, stderr, stdout};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn fix(home: &Home) -> std::process::Output {
    let server = Server::start(Vec::new());
    home.clawdbot(&server).args(["doctor", "--fix", "--non-interactive"]).output().expect("clawdbot runs")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `~/elsewhere`, a folder doctor does not check.
fn elsewhere(home: &Home) -> std::path::PathBuf {
    let dir = home.path().join("elsewhere");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn codex_auth(home: &Home) -> std::path::PathBuf {
    let dir = home.path().join(".codex");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("auth.json")
}

#[test]
fn a_codex_login_linked_to_a_pipe_keeps_the_pipe_mode() {
    let home = Home::new();
    let fifo = elsewhere(&home).join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    chmod(&fifo, 0o644);
    std::os::unix::fs::symlink(&fifo, codex_auth(&home)).unwrap();
    let out = fix(&home);
    assert_eq!(mode(&fifo), 0o644, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("auth.json: is a symlink into "), "{text}");
    assert!(text.contains("left as it is (mode 644)"), "{text}");
    assert_eq!(code(&out), 1, "an exposed path left as it is needs a person");
}

#[test]
fn a_codex_login_linked_to_a_file_in_another_folder_keeps_its_mode() {
    let home = Home::new();
    let target = elsewhere(&home).join("notes.txt");
    home.write(&target, "not a login at all\n");
    chmod(&target, 0o644);
    std::os::unix::fs::symlink(&target, codex_auth(&home)).unwrap();
    let out = fix(&home);
    assert_eq!(mode(&target), 0o644, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let into = format!("is a symlink into {}; left as it is (mode 644)", elsewhere(&home).display());
    assert!(text.contains(&into), "{text}");
}

#[test]
fn a_store_linked_to_a_file_that_is_not_json_keeps_its_mode() {
    let home = Home::new();
    let target = home.store_path().with_file_name("broken.json");
    home.write(&target, "this is { not json");
    chmod(&target, 0o644);
    std::os::unix::fs::symlink(&target, home.store_path()).unwrap();
    let out = fix(&home);
    assert_eq!(mode(&target), 0o644, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("auth-profiles.json: could not be read; left as it is (mode 644)"), "{text}");
    assert!(text.contains("Unreadable files (left untouched)"), "{text}");
}

#[test]
fn a_plain_store_others_can_read_is_still_made_private() {
    let home = Home::new();
    home.write(&home.store_path(), r#"{"version":1,"profiles":{}}"#);
    chmod(&home.store_path(), 0o644);
    let out = fix(&home);
    assert_eq!(mode(&home.store_path()), 0o600, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("file made private (mode 644 -> 600)"), "{}", stdout(&out));
}

#[test]
fn a_codex_login_that_is_not_json_keeps_its_mode_and_one_that_parsed_is_fixed() {
    let home = Home::new();
    let auth = codex_auth(&home);
    home.write(&auth, "{ not json");
    chmod(&auth, 0o644);
    let out = fix(&home);
    assert_eq!(mode(&auth), 0o644, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("auth.json: could not be read; left as it is (mode 644)"), "{}", stdout(&out));
    // Parsed, with a key and no ChatGPT login: a secret doctor read, so made private.
    home.write(&auth, r#"{"OPENAI_API_KEY":"sk-FAKE"}"#);
    chmod(&auth, 0o644);
    let out = fix(&home);
    assert_eq!(mode(&auth), 0o600, "{}{}", stdout(&out), stderr(&out));
}
