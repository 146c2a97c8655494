//! Claude Code's credentials: `<configDir>/.credentials.json`, or the same
//! JSON as the secret of the macOS Keychain item (A11).
//!
//! With a refresh token the login is stored as `oauth` (refreshable, and
//! refreshed in cooperation with Claude Code); without one, as a `token`.

use super::{EndedLogin, ExternalLogin, oauth, token};
use crate::diag::{Diagnostic, ReadError, Severity, kind_of, parse_json};
use crate::secret::Secret;
use crate::store::Credential;
use crate::time::{Expiry, ExpiryKind};
use serde_json::Value;

/// The store profile Claude Code's login is synced into.
pub const PROFILE_ID: &str = "anthropic:claude-cli";
/// The provider of Claude Code's login.
pub const PROVIDER: &str = "anthropic";

/// What a Claude Code credentials document holds.
#[derive(Debug)]
pub enum ClaudeRead {
    /// A login, ready to sync.
    Login(ExternalLogin),
    /// A well-formed file that holds no login (logged out, never logged in).
    NoLogin(Diagnostic),
    /// The stub Claude Code leaves when its login was refused at refresh:
    /// the sign-in ended and only a person can sign in again.
    Ended(EndedLogin, Diagnostic),
    /// Not usable: the diagnostic names the file and field.
    Broken(Diagnostic),
}

/// Whether `oauth` is the stub Claude Code (2.1.3xx) writes when its
/// refresh was refused for good: both tokens emptied, `expiresAt: 0`, the
/// other fields kept, and `loginEnded` saying why when it knows.
fn is_ended_stub(oauth: &serde_json::Map<String, Value>) -> bool {
    let blank = |key: &str| match oauth.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(_) => false,
    };
    let zero = oauth.get("expiresAt").and_then(Value::as_f64) == Some(0.0);
    blank("accessToken") && blank("refreshToken") && (zero || oauth.contains_key("loginEnded"))
}

/// `loginEnded` as Claude Code wrote it, control characters removed and
/// cut to 40 characters; `None` when absent, empty or not text.
fn ended_reason(oauth: &serde_json::Map<String, Value>) -> Option<String> {
    let raw = oauth.get("loginEnded").and_then(Value::as_str)?;
    let shown: String = raw.trim().chars().filter(|c| !c.is_control()).take(40).collect();
    (!shown.is_empty()).then_some(shown)
}

/// Why the sign-in ended, in words, from `loginEnded`.
fn ended_because(reason: Option<&str>) -> String {
    match reason {
        Some("time_limit") => "it reached its time limit (loginEnded: time_limit)".into(),
        Some(other) => format!("loginEnded: {other}"),
        None => "its refresh token was refused".into(),
    }
}

/// Reads the credentials document. `origin` names it in messages.
pub fn read(bytes: &[u8], origin: &str) -> ClaudeRead {
    let root = match parse_json(bytes) {
        Ok(v) => v,
        Err(e) => return ClaudeRead::Broken(e.in_file(origin, Severity::Warning)),
    };
    let broken = |field: &str, message: String| {
        ClaudeRead::Broken(Diagnostic::new(Severity::Warning, origin, message).at(field))
    };
    let Value::Object(root) = root else {
        return ClaudeRead::Broken(
            ReadError::Shape { field: "the top level".into(), found: kind_of(&root), expected: "an object" }
                .in_file(origin, Severity::Warning),
        );
    };
    let oauth_block = match root.get("claudeAiOauth") {
        Some(Value::Object(o)) => o,
        None | Some(Value::Null) => {
            return ClaudeRead::NoLogin(
                Diagnostic::new(Severity::Info, origin, "holds no Claude login (no claudeAiOauth)").at("claudeAiOauth"),
            );
        }
        Some(other) => return broken("claudeAiOauth", format!("is {}, expected an object", kind_of(other))),
    };
    if is_ended_stub(oauth_block) {
        let reason = ended_reason(oauth_block);
        let message =
            format!("sign-in ended: Claude Code's login was refused at refresh, {}", ended_because(reason.as_deref()));
        let ended = EndedLogin { profile_id: PROFILE_ID, provider: PROVIDER, reason, origin: origin.to_string() };
        return ClaudeRead::Ended(ended, Diagnostic::new(Severity::Warning, origin, message).at("claudeAiOauth"));
    }
    let access = match oauth_block.get("accessToken") {
        Some(Value::String(s)) if !s.trim().is_empty() => Secret::new(s.clone()),
        Some(Value::String(_)) => {
            return ClaudeRead::NoLogin(
                Diagnostic::new(Severity::Info, origin, "is empty: Claude Code is logged out")
                    .at("claudeAiOauth.accessToken"),
            );
        }
        Some(other) => {
            return broken("claudeAiOauth.accessToken", format!("is {}, expected a string", kind_of(other)));
        }
        None => return broken("claudeAiOauth.accessToken", "is missing, so there is no usable login".into()),
    };
    let expires = match oauth_block.get("expiresAt") {
        Some(v @ Value::Number(_)) => match Expiry::from_json(v) {
            Some(e) if ExpiryKind::of_expiring(Some(&e)) != ExpiryKind::Unknown => e,
            _ => {
                return broken(
                    "claudeAiOauth.expiresAt",
                    "is not a time after 1970; treating the login as unusable".into(),
                );
            }
        },
        Some(other) => {
            return broken(
                "claudeAiOauth.expiresAt",
                format!("is {}, expected milliseconds since the epoch", kind_of(other)),
            );
        }
        None => return broken("claudeAiOauth.expiresAt", "is missing".into()),
    };
    let refresh = match oauth_block.get("refreshToken") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(Secret::new(s.clone())),
        _ => None,
    };
    let credential = match refresh {
        Some(refresh) => {
            let mut login = oauth(PROVIDER, access, refresh, expires);
            if let Credential::OAuth(o) = &mut login {
                // The date the sign-in ends for good (2.1.3xx); anything
                // but a time after 1970 is left out, as an older Claude
                // Code wrote nothing.
                o.refresh_expires = oauth_block
                    .get("refreshTokenExpiresAt")
                    .and_then(Expiry::from_json)
                    .filter(|e| ExpiryKind::of_expiring(Some(e)) != ExpiryKind::Unknown);
            }
            login
        }
        None => token(PROVIDER, access, expires),
    };
    ClaudeRead::Login(ExternalLogin { profile_id: PROFILE_ID, credential, origin: origin.to_string() })
}

/// Turns `security find-generic-password -w` output into the JSON text.
///
/// macOS 26 prints a password as lowercase hex when it holds any byte
/// outside printable ASCII (a pretty-printed JSON's newline is enough), so a
/// value made only of hex digits that decodes to `{...` is decoded.
pub fn decode_keychain_output(stdout: &str) -> String {
    let trimmed = stdout.trim();
    let looks_hex = trimmed.len() >= 2
        && trimmed.len().is_multiple_of(2)
        && trimmed.starts_with("7b")
        && trimmed.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if looks_hex {
        let bytes: Option<Vec<u8>> =
            (0..trimmed.len()).step_by(2).map(|i| u8::from_str_radix(&trimmed[i..i + 2], 16).ok()).collect();
        if let Some(text) = bytes.and_then(|b| String::from_utf8(b).ok()) {
            return text;
        }
    }
    trimmed.to_string()
}

/// Hex of bytes, lower case, as `security -X` takes a secret.
pub fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "~/.claude/.credentials.json";

    #[test]
    fn refresh_token_makes_oauth_else_token() {
        let with = br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-FAKE","refreshToken":"sk-ant-ort01-FAKE","expiresAt":1769817600000},"mcpOAuth":{}}"#;
        let ClaudeRead::Login(l) = read(with, FILE) else { panic!() };
        assert!(matches!(l.credential, Credential::OAuth(_)));
        let without = br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-FAKE","expiresAt":1769817600000}}"#;
        let ClaudeRead::Login(l) = read(without, FILE) else { panic!() };
        assert!(matches!(l.credential, Credential::Token(_)));
    }

    #[test]
    fn broken_files_name_the_field() {
        let cases: [(&[u8], &str); 4] = [
            (br#"{"claudeAiOauth":{"accessToken":"x","expiresAt":"1767225600000"}}"#, "claudeAiOauth.expiresAt"),
            (br#"{"claudeAiOauth":{"refreshToken":"x","expiresAt":1}}"#, "claudeAiOauth.accessToken"),
            (br#"{"claudeAiOauth":{"accessToken":"x","expiresAt":0}}"#, "claudeAiOauth.expiresAt"),
            (br#"{"claudeAiOauth":[]}"#, "claudeAiOauth"),
        ];
        for (bytes, field) in cases {
            match read(bytes, FILE) {
                ClaudeRead::Broken(d) => assert_eq!(d.field.as_deref(), Some(field)),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(read(br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-FA"#, FILE), ClaudeRead::Broken(_)));
    }

    /// The stub Claude Code writes when its refresh is refused for good
    /// is a sign-in that ended, with its reason; never a login, never "no
    /// login".
    #[test]
    fn the_dead_login_stub_is_a_sign_in_that_ended() {
        let stub = br#"{"claudeAiOauth": {"accessToken": "", "refreshToken": "", "expiresAt": 0, "scopes": ["user:inference"]}}"#;
        let ClaudeRead::Ended(e, d) = read(stub, FILE) else { panic!("{:?}", read(stub, FILE)) };
        assert_eq!(
            (e.profile_id, e.provider, e.reason.as_deref(), e.origin.as_str()),
            (PROFILE_ID, PROVIDER, None, FILE)
        );
        assert_eq!(d.field.as_deref(), Some("claudeAiOauth"));
        assert_eq!(
            d.message,
            "sign-in ended: Claude Code's login was refused at refresh, its refresh token was refused"
        );
        let timed_out = br#"{"claudeAiOauth": {"accessToken": "", "refreshToken": "", "expiresAt": 0, "loginEnded": "time_limit", "subscriptionType": "max"}, "mcpOAuth": {}}"#;
        let ClaudeRead::Ended(e, d) = read(timed_out, FILE) else { panic!() };
        assert!(d.message.ends_with("it reached its time limit (loginEnded: time_limit)"), "{}", d.message);
        assert_eq!(e.reason.as_deref(), Some("time_limit"));
        let odd =
            br#"{"claudeAiOauth": {"accessToken": "", "refreshToken": "", "expiresAt": 0, "loginEnded": "on_hold\n"}}"#;
        let ClaudeRead::Ended(e, d) = read(odd, FILE) else { panic!() };
        assert!(d.message.ends_with("loginEnded: on_hold"), "{}", d.message);
        assert_eq!(e.reason.as_deref(), Some("on_hold"));
        // A live access token is not a stub, whatever else the block says.
        let live = br#"{"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE", "refreshToken": "", "expiresAt": 1769817600000}}"#;
        assert!(matches!(read(live, FILE), ClaudeRead::Login(_)));
    }

    /// Claude Code 2.1.3xx's `refreshTokenExpiresAt` (when the sign-in
    /// ends for good) goes into the login; anything but a number is left out.
    #[test]
    fn the_date_the_sign_in_ends_is_read_with_the_login() {
        let with = br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-FAKE","refreshToken":"sk-ant-ort01-FAKE","expiresAt":1769817600000,"refreshTokenExpiresAt":1772236800000}}"#;
        let ClaudeRead::Login(l) = read(with, FILE) else { panic!() };
        let Credential::OAuth(o) = &l.credential else { panic!() };
        assert_eq!(o.sign_in_ends().map(|at| at.ms()), Some(1772236800000.0));
        for odd in [r#""1772236800000""#, "null", "0"] {
            let text = format!(
                r#"{{"claudeAiOauth":{{"accessToken":"a","refreshToken":"r","expiresAt":1769817600000,"refreshTokenExpiresAt":{odd}}}}}"#
            );
            let ClaudeRead::Login(l) = read(text.as_bytes(), FILE) else { panic!("{odd}") };
            let Credential::OAuth(o) = &l.credential else { panic!() };
            assert_eq!(o.refresh_expires, None, "{odd}");
        }
    }

    #[test]
    fn no_oauth_block_or_an_empty_token_is_no_login() {
        assert!(matches!(read(br#"{"claudeAiOauth":null}"#, FILE), ClaudeRead::NoLogin(_)));
        assert!(matches!(read(br#"{"mcpOAuth":{}}"#, FILE), ClaudeRead::NoLogin(_)));
        let no_stub = br#"{"claudeAiOauth": {"accessToken": "", "expiresAt": 1769817600000}}"#;
        assert!(matches!(read(no_stub, FILE), ClaudeRead::NoLogin(_)));
    }

    #[test]
    fn keychain_hex_is_decoded() {
        let json = "{\n  \"claudeAiOauth\": {}\n}";
        assert_eq!(decode_keychain_output(&format!("{}\n", encode_hex(json.as_bytes()))), json);
        assert_eq!(decode_keychain_output("{\"a\":1}\n"), "{\"a\":1}");
        assert_eq!(decode_keychain_output("7bzz"), "7bzz");
    }
}
