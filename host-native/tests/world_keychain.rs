//! The Keychain adapter against a fake `security` script, so it runs on
//! Linux: the script records its argv and stdin and answers as told.

use clawdbot::world::keychain::{self, KeychainRead, KeychainWriteError};
use clawdbot_auth_core::Secret;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

const JSON: &str = r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-x","refreshToken":"sk-ant-ort01-y"}}"#;

/// A fake `security` in its own folder whose body runs after recording
/// argv (one per line) to `argv` and stdin to `stdin` beside it.
struct FakeSecurity {
    dir: tempfile::TempDir,
}

impl FakeSecurity {
    fn new(body: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = format!(
            "#!/bin/sh\nhere=$(dirname \"$0\")\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$here/argv\"\n\
             cat > \"$here/stdin\"\n{body}\n"
        );
        let path = dir.path().join("security");
        fs::write(&path, script).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        FakeSecurity { dir }
    }

    fn bin(&self) -> PathBuf {
        self.dir.path().join("security")
    }

    fn recorded(&self, name: &str) -> String {
        fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn read(fake: &FakeSecurity) -> KeychainRead {
    keychain::read_generic_password(&fake.bin(), "Claude Code-credentials", "alice", Duration::from_secs(5))
}

#[test]
fn read_passes_account_and_service_and_decodes_the_hex_form() {
    let fake = FakeSecurity::new(&format!("echo {}", hex(JSON)));
    assert_eq!(read(&fake), KeychainRead::Found(Secret::new(JSON)));
    assert_eq!(fake.recorded("argv"), "find-generic-password\n-a\nalice\n-w\n-s\nClaude Code-credentials\n");
    assert_eq!(fake.recorded("stdin"), "", "stdin is null");
}

#[test]
fn read_returns_plain_json_trimmed() {
    let fake = FakeSecurity::new(&format!("printf '  %s\\n\\n' '{JSON}'"));
    assert_eq!(read(&fake), KeychainRead::Found(Secret::new(JSON)));
}

#[test]
fn read_maps_exit_codes() {
    let not_found = FakeSecurity::new(
        "echo 'security: SecKeychainSearchCopyNext: The specified item could not be found.' >&2; exit 44",
    );
    assert_eq!(read(&not_found), KeychainRead::NotFound);
    assert_eq!(read(&FakeSecurity::new("exit 36")), KeychainRead::Locked);
    let failed = read(&FakeSecurity::new("echo 'something broke' >&2; exit 1"));
    assert_eq!(failed, KeychainRead::Failed { reason: "exit code 1: something broke".to_string() });
    let missing = keychain::read_generic_password(Path::new("/nonexistent/security"), "s", "a", Duration::from_secs(1));
    assert!(matches!(missing, KeychainRead::Failed { reason } if reason.contains("cannot run")));
}

#[test]
fn a_hanging_security_is_killed_after_the_timeout() {
    // Not `exec`: the sleeping grandchild keeps the output pipes open,
    // which must not keep us waiting either.
    let fake = FakeSecurity::new("sleep 30");
    let result = keychain::read_generic_password(&fake.bin(), "s", "a", Duration::from_millis(300));
    assert_eq!(result, KeychainRead::TimedOut);
}

#[test]
fn write_sends_the_secret_only_on_stdin() {
    let fake = FakeSecurity::new("exit 0");
    let secret = Secret::new(JSON);
    keychain::write_generic_password(
        &fake.bin(),
        "Claude Code-credentials",
        "al\"ice",
        &secret,
        Duration::from_secs(5),
    )
    .unwrap();
    let argv = fake.recorded("argv");
    assert_eq!(argv, "-i\n");
    assert!(!argv.contains(&hex(JSON)) && !argv.contains("sk-ant"));
    assert_eq!(
        fake.recorded("stdin"),
        format!("add-generic-password -U -a \"al\\\"ice\" -s \"Claude Code-credentials\" -X {}\n", hex(JSON))
    );
}

#[test]
fn write_failures_are_typed_and_never_echo_the_secret() {
    // A tool that echoes its whole input to stderr, then fails.
    let fake = FakeSecurity::new("cat \"$here/stdin\" >&2; exit 1");
    let secret = Secret::new(JSON);
    let err =
        keychain::write_generic_password(&fake.bin(), "svc", "acct", &secret, Duration::from_secs(5)).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, KeychainWriteError::Failed { .. }), "{message}");
    assert!(!message.contains(&hex(JSON)[..32]) && !message.contains("sk-ant"), "{message}");
    assert!(!format!("{err:?}").contains(&hex(JSON)[..32]));

    let locked = FakeSecurity::new("exit 36");
    let err = keychain::write_generic_password(&locked.bin(), "svc", "acct", &secret, Duration::from_secs(5));
    assert!(matches!(err, Err(KeychainWriteError::Locked)));
}

#[test]
fn an_oversized_secret_is_refused_not_put_on_argv() {
    let fake = FakeSecurity::new("exit 0");
    let big = Secret::new(format!("{{\"k\":\"{}\"}}", "x".repeat(3000)));
    let err = keychain::write_generic_password(&fake.bin(), "svc", "acct", &big, Duration::from_secs(5)).unwrap_err();
    assert!(matches!(err, KeychainWriteError::TooLong { len } if len > keychain::MAX_INTERACTIVE_LINE));
    assert!(!fake.dir.path().join("argv").exists(), "security never ran");
}

#[test]
fn security_binary_is_found_on_path() {
    let fake = FakeSecurity::new("exit 0");
    let dir = fake.dir.path().display().to_string();
    assert_eq!(keychain::security_binary(Some(&format!("/nonexistent:{dir}:/usr/bin"))), fake.bin());
    assert_eq!(keychain::security_binary(Some("/nonexistent")), PathBuf::from(keychain::DEFAULT_SECURITY_BIN));
    assert_eq!(keychain::security_binary(None), PathBuf::from(keychain::DEFAULT_SECURITY_BIN));
    // A relative entry is never trusted.
    assert_eq!(keychain::security_binary(Some(".:")), PathBuf::from(keychain::DEFAULT_SECURITY_BIN));
}
