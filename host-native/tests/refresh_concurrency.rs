//! Eight `clawdbot models auth token` processes started at once on one
//! expired login: the store lock and the re-read inside it mean exactly one
//! refresh request, and every process prints the same new token.

mod refresh_common;

use refresh_common::*;
use std::process::Stdio;
use std::time::Duration;

#[test]
fn eight_processes_make_one_post_and_agree_on_the_token() {
    // A slow answer keeps the first refresher inside the lock while the
    // others queue on it.
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH)).delayed(Duration::from_millis(300))]);
    let home = Home::new().with_expired_profile();
    let children: Vec<_> = (0..8)
        .map(|_| {
            home.clawdbot(&server)
                .args(["models", "auth", "token", "--provider", "anthropic"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn clawdbot")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(stdout(&out).trim(), NEW_ACCESS, "{}", stderr(&out));
    }
    assert_eq!(server.posts(), 1, "exactly one refresh for eight processes");
    let profile = &home.store()["profiles"]["anthropic:work"];
    assert_eq!(profile["refresh"], NEW_REFRESH);
}

#[test]
fn force_after_a_401_refreshes_a_fresh_token_once() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = Home::new().with_expired_profile();
    // Make it fresh first (one POST), then force (a second POST).
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "token", "--provider", "anthropic"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(server.posts(), 1);
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "token", "--provider", "anthropic"]);
    assert_eq!(stdout(&out).trim(), NEW_ACCESS);
    assert_eq!(server.posts(), 1, "fresh: no refresh");
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "token", "--provider", "anthropic", "--force"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(server.posts(), 2, "--force refreshes once");
    let body: serde_json::Value = serde_json::from_str(&server.requests()[1].body).expect("json");
    assert_eq!(body["refresh_token"], NEW_REFRESH);
}
