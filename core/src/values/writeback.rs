//! Writing refreshed tokens back into the files other CLIs own.
//!
//! Claude Code and Codex CLI share their logins with Clawdbot. Refresh
//! tokens rotate, so once Clawdbot has refreshed, the old refresh token in
//! their files is spent: unless the new tokens go back, the other CLI is
//! logged out on its next refresh. These functions edit the other CLI's
//! document as text in, text out, changing only the token fields and
//! keeping every other key (`mcpOAuth`, `subscriptionType`, fields of newer
//! versions) exactly as found. The host reads, locks and writes.

use crate::secret::Secret;
use crate::time::{Instant, Millis};
use serde_json::{Map, Value};

/// Why a document could not be updated. Never carries a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WritebackError {
    /// The document is not JSON.
    #[error("{origin} is not valid JSON, so it was not updated")]
    NotJson {
        /// How messages name the document (a path or the Keychain item).
        origin: String,
    },
    /// A field that must be an object is something else.
    #[error("{origin}: {field} is not an object, so it was not updated")]
    NotAnObject {
        /// How messages name the document.
        origin: String,
        /// The JSON path that is not an object.
        field: &'static str,
    },
    /// A part the document needs (Claude Code's overflow item) is missing
    /// or does not open.
    #[error("{origin} {why}, so it was not updated")]
    Unreadable {
        /// How messages name the part.
        origin: String,
        /// What is wrong with it, in the core's words (no secret).
        why: String,
    },
}

/// The token values a refresh produced.
#[derive(Clone)]
pub struct NewTokens<'a> {
    /// The new access token.
    pub access: &'a Secret,
    /// The new refresh token; `None` keeps the stored one.
    pub refresh: Option<&'a Secret>,
    /// Milliseconds since the epoch; written as an integer.
    pub expires_ms: Option<Millis>,
    /// When the sign-in ends for good, ms since the epoch, when known;
    /// `None` keeps what the document says.
    pub refresh_expires_ms: Option<Millis>,
    /// Codex only: an id token the server returned with the refresh.
    pub id_token: Option<&'a Secret>,
}

impl std::fmt::Debug for NewTokens<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewTokens")
            .field("expires_ms", &self.expires_ms)
            .field("refresh_expires_ms", &self.refresh_expires_ms)
            .finish_non_exhaustive()
    }
}

/// How the Claude Code document is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One line of printable ASCII, as the Keychain item must be: macOS 26
    /// reads back anything with a newline as hex (formats §1.2), and Claude
    /// Code 2.1.3xx escapes every other character to `\uXXXX` before its
    /// hex write ([`keychain_text`]).
    Compact,
    /// Indented, as Claude Code writes its file.
    Pretty,
}

/// Claude Code's credentials (`.credentials.json` text or the Keychain
/// secret) with `claudeAiOauth.accessToken`, `refreshToken` and `expiresAt`
/// replaced (and `refreshTokenExpiresAt` when known). Every other key and
/// field is kept in its place; a missing `claudeAiOauth` is created.
/// `refresh: None` keeps the stored refresh token (the server did not
/// rotate it). A `loginEnded` mark of Claude Code's dead-login stub goes:
/// the document holds a live login again, and Claude Code must not read
/// it as one that ended.
pub fn merge_claude_credentials(
    text: &str,
    origin: &str,
    tokens: &NewTokens<'_>,
    layout: Layout,
) -> Result<String, WritebackError> {
    let mut root = parse_object(text, origin)?;
    let block = object_field(&mut root, "claudeAiOauth", origin)?;
    block.insert("accessToken".into(), Value::String(tokens.access.expose().to_string()));
    if let Some(refresh) = tokens.refresh {
        block.insert("refreshToken".into(), Value::String(refresh.expose().to_string()));
    }
    if let Some(ms) = tokens.expires_ms {
        block.insert("expiresAt".into(), Value::from(ms));
    }
    if let Some(ms) = tokens.refresh_expires_ms {
        block.insert("refreshTokenExpiresAt".into(), Value::from(ms));
    }
    block.shift_remove("loginEnded");
    Ok(render(&Value::Object(root), layout))
}

/// The object under `field`, created when missing. Anything else there is an
/// error: overwriting it would lose what the other tool stored.
fn object_field<'a>(
    root: &'a mut Map<String, Value>,
    field: &'static str,
    origin: &str,
) -> Result<&'a mut Map<String, Value>, WritebackError> {
    match root.entry(field).or_insert_with(|| Value::Object(Map::new())) {
        Value::Object(block) => Ok(block),
        _ => Err(WritebackError::NotAnObject { origin: origin.to_string(), field }),
    }
}

/// Codex CLI's `auth.json` with `tokens.access_token`, `refresh_token`,
/// `id_token` (when given) and `last_refresh` replaced, the way Codex's own
/// refresh does (formats §3.4): only the fields present change, the rest is
/// kept. Pretty-printed like Codex writes it.
pub fn merge_codex_auth(
    text: &str,
    origin: &str,
    tokens: &NewTokens<'_>,
    now: Millis,
) -> Result<String, WritebackError> {
    let mut root = parse_object(text, origin)?;
    let tokens_obj = object_field(&mut root, "tokens", origin)?;
    tokens_obj.insert("access_token".into(), Value::String(tokens.access.expose().to_string()));
    if let Some(refresh) = tokens.refresh {
        tokens_obj.insert("refresh_token".into(), Value::String(refresh.expose().to_string()));
    }
    if let Some(id) = tokens.id_token {
        tokens_obj.insert("id_token".into(), Value::String(id.expose().to_string()));
    }
    // A host clock past the year 9999 names no date Codex could read: the
    // old value stays rather than a made-up one.
    if let Some(at) = Instant::from_millis(now).iso() {
        root.insert("last_refresh".into(), Value::String(at));
    }
    Ok(render(&Value::Object(root), Layout::Pretty))
}

/// The `id_token` of a token response body, if it has one. Codex keeps it
/// in auth.json for the account's e-mail and plan; the store does not.
pub fn response_id_token(body: &[u8]) -> Option<Secret> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let id = value.get("id_token")?.as_str()?.trim();
    (!id.is_empty()).then(|| Secret::new(id))
}

fn parse_object(text: &str, origin: &str) -> Result<Map<String, Value>, WritebackError> {
    match serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(WritebackError::NotAnObject { origin: origin.to_string(), field: "the top level" }),
        Err(_) => Err(WritebackError::NotJson { origin: origin.to_string() }),
    }
}

fn render(value: &Value, layout: Layout) -> String {
    match layout {
        Layout::Compact => keychain_text(value),
        Layout::Pretty => {
            let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
            text.push('\n');
            text
        }
    }
}

/// `value` as Claude Code (2.1.3xx) writes a Keychain item: compact JSON
/// with every character outside printable ASCII (`0x20..=0x7e`) written
/// as `\uXXXX` (UTF-16 units, so a character beyond the BMP is a
/// surrogate pair). Such characters only occur inside strings, where the
/// escape means the same character, so the document reads back the same
/// while `security` never sees a byte that makes macOS print hex.
pub fn keychain_text(value: &Value) -> String {
    let compact = value.to_string();
    let mut out = String::with_capacity(compact.len());
    for c in compact.chars() {
        if (' '..='~').contains(&c) {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CLAUDE: &str = r#"{
  "claudeAiOauth": {
    "accessToken": "sk-ant-oat01-FAKE-OLD",
    "refreshToken": "sk-ant-ort01-OLD",
    "expiresAt": 1,
    "scopes": ["user:inference"],
    "subscriptionType": "max",
    "futureField": {"x": 1}
  },
  "mcpOAuth": {"srv|0123": {"serverName": "srv", "accessToken": "", "expiresAt": 0}},
  "unknownTop": [1, 2]
}"#;

    fn tokens<'a>(access: &'a Secret, refresh: Option<&'a Secret>) -> NewTokens<'a> {
        NewTokens { access, refresh, expires_ms: Some(1_767_225_600_000), refresh_expires_ms: None, id_token: None }
    }

    #[test]
    fn claude_keeps_every_other_key_and_field() {
        let (a, r) = (Secret::new("sk-ant-oat01-FAKE-NEW"), Secret::new("sk-ant-ort01-FAKE-NEW"));
        let out = merge_claude_credentials(CLAUDE, "f", &tokens(&a, Some(&r)), Layout::Compact).expect("merges");
        assert!(!out.contains('\n'), "compact for the Keychain");
        let v: Value = serde_json::from_str(&out).expect("json");
        let mut want: Value = serde_json::from_str(CLAUDE).expect("json");
        want["claudeAiOauth"]["accessToken"] = json!("sk-ant-oat01-FAKE-NEW");
        want["claudeAiOauth"]["refreshToken"] = json!("sk-ant-ort01-FAKE-NEW");
        want["claudeAiOauth"]["expiresAt"] = json!(1_767_225_600_000_i64);
        assert_eq!(v, want);
        let keys: Vec<&String> = v["claudeAiOauth"].as_object().expect("obj").keys().collect();
        assert_eq!(keys[0], "accessToken", "field order kept");
    }

    /// Writing a renewed login into Claude Code's dead-login stub makes it
    /// a live login again: no `loginEnded` left to say otherwise, the other
    /// fields kept; the sign-in's end is written when known, else kept.
    #[test]
    fn a_renewed_login_over_a_stub_drops_login_ended_and_keeps_the_rest() {
        let stub = r#"{"claudeAiOauth":{"accessToken":"","refreshToken":"","expiresAt":0,"loginEnded":"time_limit","refreshTokenExpiresAt":1769817600000,"subscriptionType":"max"},"mcpOAuth":{}}"#;
        let (a, r) = (Secret::new("sk-ant-oat01-FAKE-NEW"), Secret::new("sk-ant-ort01-FAKE-NEW"));
        let out = merge_claude_credentials(stub, "f", &tokens(&a, Some(&r)), Layout::Compact).expect("merges");
        let v: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(
            v,
            json!({"claudeAiOauth":{"accessToken":"sk-ant-oat01-FAKE-NEW","refreshToken":"sk-ant-ort01-FAKE-NEW","expiresAt":1_767_225_600_000_i64,
                   "refreshTokenExpiresAt":1769817600000_i64,"subscriptionType":"max"},"mcpOAuth":{}})
        );
        let known = NewTokens { refresh_expires_ms: Some(1_772_000_000_000), ..tokens(&a, Some(&r)) };
        let out = merge_claude_credentials(stub, "f", &known, Layout::Compact).expect("merges");
        let v: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(v["claudeAiOauth"]["refreshTokenExpiresAt"], 1_772_000_000_000_i64);
    }

    /// Claude Code 2.1.3xx escapes everything outside printable ASCII
    /// before it writes its item, and so do we: the same characters, read
    /// back by any JSON reader.
    #[test]
    fn the_keychain_form_is_printable_ascii() {
        let value = json!({"name": "Jos\u{e9} \u{1f600}", "tab": "a\tb", "del": "\u{7f}"});
        let text = keychain_text(&value);
        assert_eq!(text, r#"{"name":"Jos\u00e9 \ud83d\ude00","tab":"a\tb","del":"\u007f"}"#);
        assert!(text.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
        let a = Secret::new("sk-ant-oat01-FAKE-NEW");
        let doc = r#"{"claudeAiOauth":{"accessToken":"x"},"owner":"Zo\u00eb"}"#;
        let out = merge_claude_credentials(doc, "f", &tokens(&a, None), Layout::Compact).unwrap();
        assert!(out.contains(r#""owner":"Zo\u00eb""#), "{out}");
    }

    #[test]
    fn claude_without_new_refresh_keeps_the_old_one() {
        let a = Secret::new("sk-ant-oat01-FAKE-NEW");
        let out = merge_claude_credentials(CLAUDE, "f", &tokens(&a, None), Layout::Pretty).expect("merges");
        assert!(out.ends_with("}\n"));
        let v: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(v["claudeAiOauth"]["refreshToken"], "sk-ant-ort01-OLD");
    }

    #[test]
    fn claude_errors_name_the_file_and_hold_no_token() {
        let a = Secret::new("sk-ant-oat01-FAKE-NEW");
        let err = merge_claude_credentials("{nope", "~/.claude/.credentials.json", &tokens(&a, None), Layout::Pretty)
            .expect_err("bad json");
        assert!(err.to_string().contains("~/.claude/.credentials.json"));
        let err = merge_claude_credentials(r#"{"claudeAiOauth": 3}"#, "f", &tokens(&a, None), Layout::Pretty)
            .expect_err("not an object");
        assert!(!err.to_string().contains("NEW"));
        let out = merge_claude_credentials("{}", "f", &tokens(&a, None), Layout::Compact).expect("creates the block");
        assert!(out.contains("sk-ant-oat01-FAKE-NEW"));
        assert!(!format!("{:?}", tokens(&a, None)).contains("NEW"));
    }

    #[test]
    fn codex_updates_tokens_and_last_refresh_only() {
        let text = r#"{"auth_mode":"chatgpt","OPENAI_API_KEY":null,"tokens":{"id_token":"id-OLD","access_token":"at-OLD","refresh_token":"rt-OLD","account_id":"acc"},"last_refresh":"2020-01-01T00:00:00Z","extra":true}"#;
        let (a, r, id) = (Secret::new("at-NEW"), Secret::new("rt-NEW"), Secret::new("id-NEW"));
        let t = NewTokens {
            access: &a,
            refresh: Some(&r),
            expires_ms: None,
            refresh_expires_ms: None,
            id_token: Some(&id),
        };
        let out = merge_codex_auth(text, "auth.json", &t, 1_767_225_600_000).expect("merges");
        let v: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(
            v,
            json!({"auth_mode":"chatgpt","OPENAI_API_KEY":null,"tokens":{"id_token":"id-NEW","access_token":"at-NEW","refresh_token":"rt-NEW","account_id":"acc"},"last_refresh":"2026-01-01T00:00:00Z","extra":true})
        );
        let t = NewTokens { access: &a, refresh: None, expires_ms: None, refresh_expires_ms: None, id_token: None };
        let v: Value = serde_json::from_str(&merge_codex_auth(text, "a", &t, 0).expect("merges")).expect("json");
        assert_eq!(v["tokens"]["refresh_token"], "rt-OLD");
        assert_eq!(v["tokens"]["id_token"], "id-OLD");
    }

    #[test]
    fn debug_of_new_tokens_shows_only_the_expiry() {
        let a = Secret::new("sk-ant-oat01-FAKE-NEW");
        assert_eq!(
            format!("{:?}", tokens(&a, None)),
            "NewTokens { expires_ms: Some(1767225600000), refresh_expires_ms: None, .. }"
        );
    }

    #[test]
    fn errors_say_which_file_and_field() {
        let a = Secret::new("at-FAKE");
        let t = tokens(&a, None);
        assert_eq!(
            merge_claude_credentials("{nope", "c.json", &t, Layout::Pretty).unwrap_err().to_string(),
            "c.json is not valid JSON, so it was not updated"
        );
        assert_eq!(
            merge_claude_credentials("[1]", "c.json", &t, Layout::Pretty).unwrap_err().to_string(),
            "c.json: the top level is not an object, so it was not updated"
        );
        assert_eq!(
            merge_codex_auth(r#"{"tokens":"x"}"#, "auth.json", &t, 0).unwrap_err(),
            WritebackError::NotAnObject { origin: "auth.json".into(), field: "tokens" }
        );
        // A byte-order mark in front is no reason to refuse.
        let out = merge_claude_credentials("\u{feff}{}", "c.json", &t, Layout::Compact).unwrap();
        assert_eq!(out, r#"{"claudeAiOauth":{"accessToken":"at-FAKE","expiresAt":1767225600000}}"#);
        let pretty = merge_claude_credentials("{}", "c.json", &t, Layout::Pretty).unwrap();
        assert_eq!(
            pretty,
            "{\n  \"claudeAiOauth\": {\n    \"accessToken\": \"at-FAKE\",\n    \"expiresAt\": 1767225600000\n  }\n}\n"
        );
        let no_expiry = NewTokens { expires_ms: None, ..t };
        let out = merge_claude_credentials(r#"{"claudeAiOauth":{"expiresAt":5}}"#, "c", &no_expiry, Layout::Compact);
        assert_eq!(out.unwrap(), r#"{"claudeAiOauth":{"expiresAt":5,"accessToken":"at-FAKE"}}"#);
    }

    #[test]
    fn an_id_token_is_trimmed_and_must_be_text() {
        assert_eq!(
            response_id_token(br#"{"id_token":"  x.y.z "}"#).map(|s| s.expose().to_string()),
            Some("x.y.z".into())
        );
        assert!(response_id_token(br#"{"id_token":"   "}"#).is_none());
        assert!(response_id_token(br#"{"id_token":5}"#).is_none());
        assert!(response_id_token(br#"{"access_token":"a"}"#).is_none());
    }

    #[test]
    fn id_token_from_a_response() {
        assert_eq!(response_id_token(br#"{"id_token":"x.y.z"}"#).map(|s| s.expose().to_string()), Some("x.y.z".into()));
        assert!(response_id_token(br#"{"id_token":""}"#).is_none());
        assert!(response_id_token(b"<html>").is_none());
    }
}
