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
