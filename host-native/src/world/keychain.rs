//! Login sources' items in the macOS Keychain, through `/usr/bin/security`:
//! the core names each item (service and account); this module reads and
//! writes exactly that item.
//!
//! Why the `security` tool and not Security.framework: Claude Code (the
//! default registry's source with an item) creates its item with
//! `security` and no `-T`, so `security` is the only app the item trusts;
//! any other binary triggers an "allow access" prompt (and its "Always
//! Allow" is lost each time the tool rewrites the item).
//! credential-formats §1.1, §1.2 and §5.1 list the pitfalls handled here:
//! always pass the account (several items share the service), decode the
//! hex form macOS 26 prints, and never put the secret on argv where `ps`
//! shows it.

use super::process::{Finished, RunFailure, run};
use clawdbot_auth_core::{Secret, encode_hex};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

/// Where macOS keeps the tool.
pub const DEFAULT_SECURITY_BIN: &str = "/usr/bin/security";

/// How long a `security` call, read or write, may take before it is killed
/// (spec A15). A locked keychain or an ACL prompt nobody can answer (over
/// SSH, under launchd) would otherwise hang us.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// errSecItemNotFound, as `security` reports it in its exit code.
pub const EXIT_NOT_FOUND: i32 = 44;

/// errSecInteractionNotAllowed: the keychain is locked (typical over SSH).
pub const EXIT_LOCKED: i32 = 36;

/// `security -i` reads lines of at most 4096 bytes; Claude Code keeps a
/// 64-byte margin.
pub const MAX_INTERACTIVE_LINE: usize = 4096 - 64;

/// The login name of the current user from the user database (what node's
/// `os.userInfo().username` returns).
pub fn passwd_user_name() -> Option<String> {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let mut buf_len = 1024usize;
    while buf_len <= 1 << 20 {
        let mut buf = vec![0 as libc::c_char; buf_len];
        // SAFETY: an all-zero passwd is valid (integers and null pointers).
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is to a live local of the right type and
        // `buf_len` is `buf`'s exact length; getpwuid_r writes only there.
        let rc = unsafe { libc::getpwuid_r(uid, &mut entry, buf.as_mut_ptr(), buf_len, &mut result) };
        if rc == libc::ERANGE {
            buf_len *= 4;
            continue;
        }
        if rc != 0 || result.is_null() || entry.pw_name.is_null() {
            return None;
        }
        // SAFETY: on success pw_name points to a NUL-terminated string inside
        // `buf`, which is still alive here; we copy it out before `buf` drops.
        let name = unsafe { std::ffi::CStr::from_ptr(entry.pw_name) }.to_string_lossy().into_owned();
        return (!name.is_empty()).then_some(name);
    }
    None
}

/// The `security` tool to run: the first executable `security` in the
/// absolute entries of `env_path` (so tests can put a fake one first),
/// else [`DEFAULT_SECURITY_BIN`]. Relative entries are skipped: a `.` in
/// PATH must not let a folder's contents receive the user's credentials.
pub fn security_binary(env_path: Option<&str>) -> PathBuf {
    env_path
        .into_iter()
        .flat_map(|path| path.split(':'))
        .filter(|dir| dir.starts_with('/'))
        .map(|dir| Path::new(dir).join("security"))
        .find(|candidate| is_executable_file(candidate))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SECURITY_BIN))
}

fn is_executable_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// What a Keychain read found.
#[derive(Debug, Clone, PartialEq)]
pub enum KeychainRead {
    /// The item's password (Claude Code's: its credentials JSON), hex form
    /// already decoded.
    Found(Secret),
    /// No item for that service and account (exit 44).
    NotFound,
    /// The keychain is locked (exit 36); `security unlock-keychain` helps.
    Locked,
    /// `security` could not be run or failed; `reason` holds no secret.
    Failed { reason: String },
    /// `security` did not finish in time and was killed.
    TimedOut,
}

/// Reads a generic password with `security find-generic-password -a
/// <account> -w -s <service>`, killing the tool after `timeout`.
pub fn read_generic_password(security_bin: &Path, service: &str, account: &str, timeout: Duration) -> KeychainRead {
    let args = ["find-generic-password", "-a", account, "-w", "-s", service];
    let finished = match run(security_bin, &args, None, timeout) {
        Ok(finished) => finished,
        Err(RunFailure::TimedOut) => return KeychainRead::TimedOut,
        Err(RunFailure::Spawn(err)) => {
            return KeychainRead::Failed { reason: format!("cannot run {}: {err}", security_bin.display()) };
        }
        Err(RunFailure::Io(err)) => return KeychainRead::Failed { reason: format!("talking to `security`: {err}") },
    };
    match finished.status.code() {
        Some(0) => {
            let text = String::from_utf8_lossy(&finished.stdout);
            KeychainRead::Found(Secret::new(decode_password_output(text.trim())))
        }
        Some(EXIT_NOT_FOUND) => KeychainRead::NotFound,
        Some(EXIT_LOCKED) => KeychainRead::Locked,
        _ => KeychainRead::Failed { reason: failure_reason(finished.status, &finished.stderr, &[]) },
    }
}

/// Undoes the hex form macOS 26 prints for a password holding any
/// non-printable byte (a pretty-printed JSON's newlines): an even-length,
/// all-lowercase-hex output that decodes to UTF-8 starting with `{` is
/// decoded; anything else is returned unchanged.
pub fn decode_password_output(trimmed: &str) -> String {
    let is_hex = !trimmed.is_empty()
        && trimmed.len().is_multiple_of(2)
        && trimmed.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !is_hex {
        return trimmed.to_string();
    }
    let decoded: Option<Vec<u8>> = trimmed
        .as_bytes()
        .chunks(2)
        .map(|pair| std::str::from_utf8(pair).ok().and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect();
    match decoded {
        Some(bytes) if bytes.first() == Some(&b'{') => String::from_utf8(bytes).unwrap_or_else(|_| trimmed.to_string()),
        _ => trimmed.to_string(),
    }
}

/// Why a Keychain write failed. No variant holds the secret.
#[derive(Debug, thiserror::Error)]
pub enum KeychainWriteError {
    #[error(
        "the credentials are too large to pass to `security -i` on stdin ({len} bytes, limit {MAX_INTERACTIVE_LINE}); \
         refusing to put them on the command line, where other processes could read them"
    )]
    TooLong { len: usize },
    #[error("cannot run {}: {source}", bin.display())]
    Spawn {
        bin: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("talking to `security`: {0}")]
    Io(#[source] io::Error),
    #[error("`security` did not finish within {0:?} and was killed (a Keychain prompt nobody can answer?)")]
    TimedOut(Duration),
    #[error("the keychain is locked; run `security unlock-keychain` and try again")]
    Locked,
    #[error("`security` could not save the item: {reason}")]
    Failed { reason: String },
}

impl KeychainWriteError {
    /// The failure as the core's kind: the core words it.
    pub fn kind(&self) -> clawdbot_auth_core::IoKind {
        use clawdbot_auth_core::IoKind;
        match self {
            KeychainWriteError::TooLong { len } => {
                IoKind::TooLarge { bytes: u64::try_from(*len).ok(), limit: u64::try_from(MAX_INTERACTIVE_LINE).ok() }
            }
            KeychainWriteError::Spawn { source, .. } | KeychainWriteError::Io(source) => super::fsio::io_kind(source),
            KeychainWriteError::TimedOut(_) => IoKind::TimedOut,
            KeychainWriteError::Locked => IoKind::KeychainLocked,
            KeychainWriteError::Failed { .. } => IoKind::Other { code: None },
        }
    }
}

/// Adds or updates (`-U`) a generic password, the way Claude Code does:
/// `security -i` reads one command line from stdin whose `-X` argument is
/// the hex of the compact JSON, so the secret never appears in argv.
/// Pass compact JSON: `security` stores the bytes as given, and macOS 26
/// reads back anything with a newline in hex form.
pub fn write_generic_password(
    security_bin: &Path,
    service: &str,
    account: &str,
    json_compact: &Secret,
    timeout: Duration,
) -> Result<(), KeychainWriteError> {
    let hex = encode_hex(json_compact.expose().as_bytes());
    let line = format!("add-generic-password -U -a {} -s {} -X {hex}\n", quote(account), quote(service));
    if line.len() > MAX_INTERACTIVE_LINE {
        return Err(KeychainWriteError::TooLong { len: line.len() });
    }
    let ran = run(security_bin, &["-i"], Some(line.into_bytes()), timeout);
    written(ran, security_bin, timeout, &[hex.as_str(), json_compact.expose()])
}

/// Adds or updates a generic password whose secret is sealed (ciphertext
/// whose key is kept in another item, Claude Code's overflow item): with
/// `-w` on argv, as Claude Code writes it, since it is often longer than a
/// `security -i` line and shows nothing without the key. The core says
/// which secrets are sealed (`WriteBackPlace::SealedKeychain`); every other
/// secret goes through [`write_generic_password`], on stdin.
pub fn write_sealed_password(
    security_bin: &Path,
    service: &str,
    account: &str,
    sealed: &Secret,
    timeout: Duration,
) -> Result<(), KeychainWriteError> {
    let args = ["add-generic-password", "-U", "-a", account, "-s", service, "-w", sealed.expose()];
    written(run(security_bin, &args, None, timeout), security_bin, timeout, &[sealed.expose()])
}

/// How a `security` write ended, with `secrets` kept out of the reason a
/// failure gives.
fn written(
    ran: Result<Finished, RunFailure>,
    security_bin: &Path,
    timeout: Duration,
    secrets: &[&str],
) -> Result<(), KeychainWriteError> {
    let finished = match ran {
        Ok(finished) => finished,
        Err(RunFailure::TimedOut) => return Err(KeychainWriteError::TimedOut(timeout)),
        Err(RunFailure::Spawn(source)) => {
            return Err(KeychainWriteError::Spawn { bin: security_bin.to_path_buf(), source });
        }
        Err(RunFailure::Io(err)) => return Err(KeychainWriteError::Io(err)),
    };
    match finished.status.code() {
        Some(0) => Ok(()),
        Some(EXIT_LOCKED) => Err(KeychainWriteError::Locked),
        _ => Err(KeychainWriteError::Failed { reason: failure_reason(finished.status, &finished.stderr, secrets) }),
    }
}

/// Quotes a word for `security -i`'s line parser: double quotes, with `"`
/// and `\` escaped by a backslash.
fn quote(word: &str) -> String {
    let mut quoted = String::with_capacity(word.len() + 2);
    quoted.push('"');
    for c in word.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// A one-line reason from the exit status and stderr, with anything that
/// looks like the secret cut out (`security -i` may echo a bad command).
fn failure_reason(status: ExitStatus, stderr: &[u8], secrets: &[&str]) -> String {
    let status = match status.code() {
        Some(code) => format!("exit code {code}"),
        None => "killed by a signal".to_string(),
    };
    let text = String::from_utf8_lossy(stderr);
    let mut line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").to_string();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        line = line.replace(secret, "<redacted>");
    }
    // Long hex runs are secrets in another encoding (or a part of one).
    let line: Vec<&str> = line
        .split(' ')
        .map(|word| if word.len() >= 32 && word.bytes().all(|b| b.is_ascii_hexdigit()) { "<redacted>" } else { word })
        .collect();
    let mut line = line.join(" ");
    if line.chars().count() > 200 {
        line = line.chars().take(200).collect::<String>() + "...";
    }
    if line.is_empty() { status } else { format!("{status}: {line}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_database_name_is_a_name_when_there_is_one() {
        assert!(passwd_user_name().is_none_or(|name| !name.is_empty()));
    }

    #[test]
    fn hex_output_is_decoded_only_when_it_is_hex_json() {
        let json = r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-x"}}"#;
        assert_eq!(decode_password_output(&encode_hex(json.as_bytes())), json);
        assert_eq!(decode_password_output(json), json);
        assert_eq!(decode_password_output("7b0"), "7b0"); // odd length
        assert_eq!(decode_password_output("7B22"), "7B22"); // uppercase
        assert_eq!(decode_password_output("6162"), "6162"); // "ab": not JSON
        assert_eq!(decode_password_output("7bff"), "7bff"); // not UTF-8
        assert_eq!(decode_password_output(""), "");
        assert_eq!(decode_password_output("7b0a7d"), "{\n}");
    }

    #[test]
    fn quoting_escapes_quotes_and_backslashes() {
        assert_eq!(quote(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(quote("Claude Code-credentials"), "\"Claude Code-credentials\"");
    }

    #[test]
    fn failure_reasons_never_carry_the_secret() {
        let status = std::process::Command::new("sh").args(["-c", "exit 3"]).status().unwrap();
        let hex = encode_hex(b"{\"accessToken\":\"sk-ant-oat01-abcdef\"}");
        let stderr = format!("security: bad command: add-generic-password -X {hex} and {}", &hex[..40]);
        let reason = failure_reason(status, stderr.as_bytes(), &[&hex]);
        assert!(!reason.contains(&hex[..32]), "{reason}");
        assert!(reason.starts_with("exit code 3: security: bad command"), "{reason}");
    }
}
