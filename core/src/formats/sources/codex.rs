//! Codex CLI's `$CODEX_HOME/auth.json` (A13).
//!
//! The expiry is the access token's own JWT `exp`; only when that cannot be
//! read is it guessed (`last_refresh` + 1 h, then the file time + 1 h, then
//! `now` + 1 h), and the guess is reported.

use super::{ExternalLogin, jwt, oauth};
use crate::diag::{Diagnostic, Severity, kind_of, parse_json};
use crate::secret::Secret;
use crate::store::Credential;
use crate::time::{Expiry, HOUR, Millis};
use serde_json::Value;

/// The store profile Codex CLI's login is synced into.
pub const PROFILE_ID: &str = "openai-codex:codex-cli";
/// The provider of Codex CLI's login.
pub const PROVIDER: &str = "openai-codex";

/// What a Codex CLI `auth.json` holds.
#[derive(Debug)]
pub enum CodexRead {
    /// A login, with the problems found in the parts that were ignored.
    Login(ExternalLogin, Vec<Diagnostic>),
    /// A well-formed file with no ChatGPT login (no `tokens`).
    NoLogin(Diagnostic),
    /// Not usable: the diagnostic names the file and field.
    Broken(Diagnostic),
}

/// Reads auth.json. `mtime_ms` is the file's modification time if known.
pub fn read(bytes: &[u8], origin: &str, mtime_ms: Option<f64>, now: Millis) -> CodexRead {
    let root = match parse_json(bytes) {
        Ok(v) => v,
        Err(e) => return CodexRead::Broken(e.in_file(origin, Severity::Warning)),
    };
    let broken =
        |field: &str, message: String| CodexRead::Broken(Diagnostic::new(Severity::Warning, origin, message).at(field));
    let tokens = match root.get("tokens") {
        Some(Value::Object(t)) => t,
        None | Some(Value::Null) => {
            return CodexRead::NoLogin(
                Diagnostic::new(Severity::Info, origin, "holds no ChatGPT login (no tokens)").at("tokens"),
            );
        }
        Some(other) => return broken("tokens", format!("is {}, expected an object", kind_of(other))),
    };
    let string_field = |name: &str| match tokens.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) | None | Some(Value::Null) => Err("is missing".to_string()),
        Some(other) => Err(format!("is {}, expected a string", kind_of(other))),
    };
    let access = match string_field("access_token") {
        Ok(a) => a,
        Err(m) => return broken("tokens.access_token", m),
    };
    let refresh = match string_field("refresh_token") {
        Ok(r) => r,
        Err(m) => return broken("tokens.refresh_token", m),
    };
    let mut diagnostics = Vec::new();
    let claims = jwt::claims(&access);
    let expires = match claims.as_ref().and_then(jwt::expiry_ms) {
        Some(ms) => ms,
        None => {
            let guess = last_refresh_ms(&root).or(mtime_ms).unwrap_or(now as f64) + HOUR as f64;
            diagnostics.push(
                Diagnostic::new(
                    Severity::Info,
                    origin,
                    "has no readable expiry (exp) in the access token; assuming one hour after the last refresh",
                )
                .at("tokens.access_token"),
            );
            guess
        }
    };
    let account_id = match tokens.get("account_id") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => claims.as_ref().and_then(jwt::chatgpt_account_id),
    };
    let mut credential = oauth(PROVIDER, Secret::new(access), Secret::new(refresh), Expiry::from_ms(expires));
    if let Credential::OAuth(o) = &mut credential {
        o.account_id = account_id;
    }
    CodexRead::Login(ExternalLogin { profile_id: PROFILE_ID, credential, origin: origin.to_string() }, diagnostics)
}

fn last_refresh_ms(root: &Value) -> Option<f64> {
    let raw = root.get("last_refresh")?.as_str()?;
    let t = chrono::DateTime::parse_from_rfc3339(raw).ok()?;
    Some(t.timestamp_millis() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "~/.codex/auth.json";
    const NOW: Millis = 1767225600000;

    #[test]
    fn expiry_comes_from_the_jwt() {
        let text = br#"{"tokens":{"access_token":"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJleHAiOjE3NjgwODk2MDAsImh0dHBzOi8vYXBpLm9wZW5haS5jb20vYXV0aCI6eyJjaGF0Z3B0X2FjY291bnRfaWQiOiJhY2N0LUZBS0UifX0.FAKESIG","refresh_token":"rt_FAKE"}}"#;
        let CodexRead::Login(l, d) = read(text, FILE, Some(1.0), NOW) else { panic!() };
        assert!(d.is_empty());
        let Credential::OAuth(o) = l.credential else { panic!() };
        assert_eq!(o.expires.unwrap().ms(), 1768089600000.0);
        assert_eq!(o.account_id.as_deref(), Some("acct-FAKE"));
    }

    #[test]
    fn falls_back_to_last_refresh_then_mtime_then_now() {
        let with_last =
            br#"{"tokens":{"access_token":"not.a!!.jwt","refresh_token":"rt"},"last_refresh":"2026-01-01T00:00:00Z"}"#;
        let CodexRead::Login(l, d) = read(with_last, FILE, Some(5.0), NOW) else { panic!() };
        assert_eq!(l.credential.expires().unwrap().ms(), (NOW + HOUR) as f64);
        assert_eq!(d.len(), 1);
        let bare = br#"{"tokens":{"access_token":"x","refresh_token":"rt"}}"#;
        let CodexRead::Login(l, _) = read(bare, FILE, Some(1000.0), NOW) else { panic!() };
        assert_eq!(l.credential.expires().unwrap().ms(), 1000.0 + HOUR as f64);
        let CodexRead::Login(l, _) = read(bare, FILE, None, NOW) else { panic!() };
        assert_eq!(l.credential.expires().unwrap().ms(), (NOW + HOUR) as f64);
    }

    #[test]
    fn missing_tokens_is_no_login_and_missing_refresh_is_broken() {
        assert!(matches!(read(br#"{"OPENAI_API_KEY":null}"#, FILE, None, NOW), CodexRead::NoLogin(_)));
        match read(br#"{"tokens":{"access_token":"a"}}"#, FILE, None, NOW) {
            CodexRead::Broken(d) => assert_eq!(d.field.as_deref(), Some("tokens.refresh_token")),
            other => panic!("{other:?}"),
        }
    }
}
