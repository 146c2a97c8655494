//! Claude Code 2.1.3xx's Keychain overflow against a fake `security` that
//! keeps items by service: a login sealed in `<service>-overflow-a` is
//! read, refreshed, resealed into `-overflow-b` (written first) and the
//! main item pointed at it, all through `security -i` on stdin.

mod refresh_common;

use refresh_common::*;
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const PROFILE: &str = "anthropic:claude-cli";
const MAIN: &str = "Claude Code-credentials";
/// 32 bytes of 0x09, base64.
const KEY: &str = "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=";
/// Made apart with Node's `crypto` (IV of 0x03): `{"claudeAiOauth": {OLD
/// tokens, expiresAt NOW - 60 s, scopes, subscriptionType max,
/// rateLimitTier}, "enterpriseGateway": {url, "name": "Zoë's gateway"}}`.
const SEALED: &str = "AwMDAwMDAwMDAwMDqraIHjTJD8may+AUmUy60IOE4zDnn/BYjne5chOIjoLEf1G5Zy+8AyaipHKysbsQxmf+1JuEcI4gLb1oaRpY0gTfZuwOQL7wv0PeW2rE2Q5/4wqLTayQqy0WTWUl8QKgN8AikahhI9qIbXiP1cs7AT7JYp1clP1QgRuYw03ZHzB4Hm6tyJLpyoAgEQ6zKpzdF1TdI8dZGXP7mXWDz4W2yEMAmtwETB3o127iCUYNSEViHLTSoxQ7RYRaqLOKPaiJRWdih0JoCuDH57NFRezswNdpKOUePZBFWpUDccoRFLkuF8wHdpi00oMixclGus9YUdizpeud2d1noz9ZT0uQPr6LlLJCahSqztmU/P9Qok8KGCayOsKsJ4Dk9eLkIBhPVAwqzwWIAyssLyZpenR9+K2jSyrwVyOOJoMbIb2XgmjGER8IxjXA";

/// A fake `security` keeping each item's secret in `items/<service>`:
/// `find-generic-password -a A -w -s S` prints it (exit 44 when there is
/// none); `-i` decodes the `-X` hex of its one stdin line into the item;
/// `add-generic-password -U -a A -s S -w TEXT` stores TEXT. Each write
/// notes its service in `order`, every call its argv in `argv`.
fn fake_security(dir: &Path) {
    let script = r#"#!/bin/sh
here=$(dirname "$0")
printf '%s\n' "$*" >> "$here/argv"
if [ "$1" = "-i" ]; then
  line=$(cat)
  svc=$(printf '%s\n' "$line" | sed -n 's/^add-generic-password -U -a "[^"]*" -s "\([^"]*\)" -X [0-9a-f]*$/\1/p')
  [ -n "$svc" ] || exit 1
  printf '%s\n' "$svc" >> "$here/order"
  printf '%s\n' "$line" | sed -n 's/.* -X \([0-9a-f]*\)$/\1/p' | xxd -r -p > "$here/items/$svc"
  exit 0
fi
if [ "$1" = add-generic-password ] && [ "$7" = "-w" ]; then
  printf '%s\n' "$6" >> "$here/order"
  printf '%s' "$8" > "$here/items/$6"
  exit 0
fi
[ "$1" = find-generic-password ] || exit 1
[ -f "$here/items/$6" ] || exit 44
cat "$here/items/$6"
"#;
    std::fs::create_dir_all(dir.join("items")).expect("mkdir");
    std::fs::write(dir.join("security"), script).expect("script");
    std::fs::set_permissions(dir.join("security"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

struct Keychain {
    dir: PathBuf,
}

impl Keychain {
    fn new(home: &Home) -> Keychain {
        let dir = home.path().join("fakebin");
        fake_security(&dir);
        Keychain { dir }
    }

    fn put(&self, service: &str, secret: &str) {
        std::fs::write(self.dir.join("items").join(service), secret).expect("item");
    }

    fn get(&self, service: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join("items").join(service)).ok()
    }

    fn recorded(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }

    fn run(&self, home: &Home, server: &Server, args: &[&str]) -> std::process::Output {
        let path = format!("{}:{}", self.dir.display(), std::env::var("PATH").unwrap_or_default());
        run(home.clawdbot(server).env("CLAWDBOT_KEYCHAIN", "security").env("PATH", path).env("USER", "tester"), args)
    }
}

fn sealed_login() -> (Home, Keychain) {
    let home = Home::new();
    let keychain = Keychain::new(&home);
    let main = json!({"mcpOAuth": {}, "organizationUuid": "", "slackTag": "Zo\u{eb}",
        "keychainOverflow": {"slot": "a", "key": KEY, "login": "1d8fc6ceb1f94c63", "organizationUuid": "", "member": "4f53cda18c2baa0c"}});
    keychain.put(MAIN, &main.to_string());
    keychain.put(&format!("{MAIN}-overflow-a"), SEALED);
    (home, keychain)
}

#[test]
fn a_login_sealed_in_the_overflow_is_refreshed_and_resealed_through_security() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let (home, keychain) = sealed_login();
    let out = keychain.run(&home, &server, &["models", "auth", "refresh", "--profile", PROFILE]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(server.posts(), 1);
    assert!(server.requests()[0].body.contains(OLD_REFRESH), "the sealed refresh token was sent");
    assert_eq!(keychain.recorded("order"), format!("{MAIN}-overflow-b\n{MAIN}\n"), "the overflow first");
    let main = keychain.get(MAIN).expect("main item");
    let new_key: Value = serde_json::from_str::<Value>(&main).expect("JSON")["keychainOverflow"]["key"].clone();
    let new_key = new_key.as_str().expect("a key").to_string();
    // Only the sealed overflow goes on argv (as Claude Code writes it):
    // never a token, never a key.
    let argv = keychain.recorded("argv");
    assert!(
        argv.lines()
            .any(|a| a.starts_with("add-generic-password -U -a tester -s Claude Code-credentials-overflow-b -w ")),
        "{argv}"
    );
    for secret in ["FAKE", KEY, new_key.as_str()] {
        assert!(!argv.contains(secret), "a secret on argv: {argv}");
    }
    assert!(main.bytes().all(|b| (0x20..=0x7e).contains(&b)), "printable ASCII: {main}");
    let main: Value = serde_json::from_str(&main).expect("JSON");
    assert_eq!(main["slackTag"], "Zo\u{eb}", "escaped, the same text");
    assert_eq!(main["keychainOverflow"]["slot"], "b");
    assert_ne!(main["keychainOverflow"]["key"], KEY);
    assert!(main.get("claudeAiOauth").is_none());
    assert_eq!(keychain.get(&format!("{MAIN}-overflow-a")).as_deref(), Some(SEALED), "the old slot left");
    assert!(!stdout(&out).contains("FAKE") && !stderr(&out).contains("FAKE"));

    // A fresh store syncs the login back from the two items as written:
    // the new overflow opens with the new key and holds the new tokens.
    std::fs::remove_file(home.store_path()).expect("remove the store");
    let out = keychain.run(&home, &server, &["models", "status", "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let profiles = report["auth"]["oauth"]["profiles"].as_array().expect("profiles");
    let synced = profiles.iter().find(|p| p["profileId"] == PROFILE).expect("synced from the Keychain");
    assert_eq!(synced["expiresAt"], json!(STORED_EXPIRES), "{synced}");
    assert_eq!(home.store()["profiles"][PROFILE]["access"], NEW_ACCESS);
}

#[test]
fn a_missing_overflow_is_named_and_nothing_is_refreshed_or_written() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let (home, keychain) = sealed_login();
    std::fs::remove_file(keychain.dir.join("items").join(format!("{MAIN}-overflow-a"))).expect("remove");
    let out = keychain.run(&home, &server, &["models", "auth", "refresh", "--profile", PROFILE]);
    assert_ne!(code(&out), 0, "{}", stderr(&out));
    let out = keychain.run(&home, &server, &["models", "status"]);
    assert!(
        stderr(&out).contains("holds its login in Claude Code keychain item's overflow (Claude Code-credentials-overflow-a), which is missing"),
        "{}",
        stderr(&out)
    );
    assert_eq!(server.posts(), 0);
    assert_eq!(keychain.recorded("order"), "", "nothing written");
}
