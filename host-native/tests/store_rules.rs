//! What the store's own fields demand of every command, end to end: a
//! newer `version` is read but never written, and numbers beyond what a
//! double holds are read as the Node gateway reads them.

mod safety_common;

use safety_common::*;

/// A Claude Code login, so that a plain `models status` wants to write
/// (the sync adopts it).
fn claude_login(home: &Home) {
    home.write(
        CLAUDE,
        br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-FAKE","refreshToken":"sk-ant-ort01-FAKE","expiresAt":1767312000000}}"#,
    );
}

const NEWER: &str = r#"{"version":2,"profiles":{"openai:k":{"type":"api_key","provider":"openai","key":"sk-FAKEFAKEFAKEFAKE"}},"v2Only":{"x":1}}"#;

#[test]
fn a_newer_store_version_is_read_with_a_warning_and_never_written() {
    let home = Home::new();
    home.write(STORE, NEWER.as_bytes());
    claude_login(&home);

    let status = home.run(&["models", "status"], b"");
    assert_eq!(status.code, Some(0), "{}", status.all());
    assert!(status.err().contains("version") && status.err().contains("newer"), "{}", status.err());
    assert!(status.out().contains("openai:k"), "still read: {}", status.out());
    assert_eq!(home.read(STORE).unwrap(), NEWER.as_bytes(), "the sync did not rewrite it");

    let paste =
        home.run(&["models", "auth", "paste-token", "--provider", "anthropic"], b"sk-ant-FAKE-pasted-0123456789\n");
    assert_eq!(paste.code, Some(3), "{}", paste.all());
    assert!(paste.err().contains("version 2, newer than the version 1"), "{}", paste.err());
    assert_eq!(home.read(STORE).unwrap(), NEWER.as_bytes(), "paste-token did not rewrite it");

    let order = home.run(&["models", "auth", "order", "set", "--provider", "openai", "openai:k"], b"");
    assert_eq!(order.code, Some(3), "{}", order.all());
    assert_eq!(home.read(STORE).unwrap(), NEWER.as_bytes(), "order set did not rewrite it");
}

const HUGE: &str = r#"{
  "version": 1,
  "profiles": {
    "anthropic:forever": {
      "type": "token",
      "provider": "anthropic",
      "token": "sk-ant-FAKE-forever-0123456789",
      "expires": 1e400
    },
    "anthropic:far": {
      "type": "token",
      "provider": "anthropic",
      "token": "sk-ant-FAKE-far-0123456789",
      "expires": 1e300
    },
    "openai:k": {
      "type": "api_key",
      "provider": "openai",
      "key": "sk-FAKEFAKEFAKEFAKE"
    }
  }
}
"#;

/// `1e400` is Infinity, as the Node gateway reads it: the store stays
/// readable, the profile is named in a warning, and a write elsewhere
/// keeps the literal. `1e300` shows as "never (beyond year 9999)"
/// everywhere instead of a 300-digit duration.
#[test]
fn expiries_beyond_a_double_or_the_year_9999_are_read_and_shown_sanely() {
    let home = Home::new();
    home.write(STORE, HUGE.as_bytes());

    let text = home.run(&["models", "status"], b"");
    assert_eq!(text.code, Some(0), "{}", text.all());
    assert!(text.err().contains("profiles.anthropic:forever.expires"), "{}", text.err());
    assert!(text.err().contains("read as Infinity"), "{}", text.err());
    assert!(text.out().contains("openai:k"), "the other profiles are kept: {}", text.out());
    assert!(text.out().contains("anthropic:far ok expires never (beyond year 9999)"), "{}", text.out());

    let prom = home.run(&["models", "status", "--check", "--format", "prometheus"], b"");
    assert_eq!(prom.code, Some(0), "{}", prom.all());
    assert!(
        !prom.out().contains("profile=\"anthropic:far\",provider=\"anthropic\",type=\"token\"} 1"),
        "{}",
        prom.out()
    );
    assert!(prom.out().lines().all(|l| l.len() < 300), "no 300-digit value: {}", prom.out());
    assert!(!prom.out().contains("clawdbot_auth_profile_expiry_timestamp_seconds{"), "{}", prom.out());

    let json = home.run(&["models", "status", "--json"], b"");
    assert_eq!(json.code, Some(0));
    assert!(json.out().lines().all(|l| l.len() < 300), "{}", json.out());

    for args in [&["doctor", "--non-interactive"][..], &["models", "auth", "order", "get", "--provider", "anthropic"]] {
        let run = home.run(args, b"");
        assert!(!run.panicked() && run.all().lines().all(|l| l.len() < 300), "{args:?}: {}", run.all());
    }
    assert_eq!(home.read(STORE).unwrap(), HUGE.as_bytes(), "reading changed nothing");

    let paste = home.run(
        &["models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:p"],
        b"sk-FAKE-pasted-0123456789\n",
    );
    assert_eq!(paste.code, Some(0), "{}", paste.all());
    let after = String::from_utf8(home.read(STORE).unwrap()).unwrap();
    assert!(after.contains("\"expires\": 1e400"), "the literal is kept: {after}");
    // A double is written as JavaScript's JSON.stringify writes it.
    assert!(
        after.contains("\"expires\": 1e+300") && after.contains("openai:p") && after.contains("openai:k"),
        "{after}"
    );
}
