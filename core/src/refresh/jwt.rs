//! Reading claims out of a JWT access token, without verifying it.
//!
//! Codex puts the ChatGPT workspace id in its access token, and the only
//! way to learn it is to look inside. The token came straight from its
//! issuer over TLS, so the signature is not checked: this reads a claim,
//! it does not establish trust. Bad input of any shape gives `None`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// Payloads larger than this are not decoded: real ones are a few KiB, and
/// the token comes from the network.
const MAX_PAYLOAD_CHARS: usize = 64 * 1024;

/// The payload object of a `header.payload.signature` token.
///
/// Like Codex's `parse_jwt_expiration`, all three parts must be non-empty.
/// The payload is base64url; trailing `=` padding is tolerated because some
/// issuers add it.
pub(crate) fn payload(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.trim().split('.');
    let (header, body, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || header.is_empty() || body.is_empty() || signature.is_empty() {
        return None;
    }
    if body.len() > MAX_PAYLOAD_CHARS {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(body.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// The ChatGPT account (workspace) id Codex bills against: the claim
/// `https://api.openai.com/auth` → `chatgpt_account_id`.
pub(crate) fn codex_account_id(access_token: &str) -> Option<String> {
    let claims = payload(access_token)?;
    let id = claims.get("https://api.openai.com/auth")?.get("chatgpt_account_id")?.as_str()?.trim();
    (!id.is_empty()).then(|| id.to_string())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An unsigned test token with the given payload.
    pub(crate) fn fake_jwt(payload: &Value) -> String {
        let body = URL_SAFE_NO_PAD.encode(payload.to_string());
        format!("eyJhbGciOiJub25lIn0.{body}.FAKESIG")
    }

    #[test]
    fn reads_the_codex_account_claim() {
        let token = fake_jwt(&serde_json::json!({
            "exp": 1767225600,
            "https://api.openai.com/auth": {"chatgpt_account_id": "acct-FAKE-123"}
        }));
        assert_eq!(codex_account_id(&token).as_deref(), Some("acct-FAKE-123"));
        assert_eq!(payload(&token).and_then(|p| p.get("exp").cloned()), Some(serde_json::json!(1767225600)));
    }

    #[test]
    fn tolerates_padding() {
        let body = base64::engine::general_purpose::URL_SAFE.encode("{\"a\":1}");
        assert!(body.ends_with('='));
        assert!(payload(&format!("h.{body}.s")).is_some());
    }

    #[test]
    fn anything_else_is_none() {
        for bad in ["", "a.b", "a..c", ".b.c", "a.b.", "a.b.c.d", "a.!!!.c", "a.bm90IGpzb24.c", "a.WzFd.c"] {
            assert!(payload(bad).is_none(), "{bad}");
        }
        let no_claim = fake_jwt(&serde_json::json!({"https://api.openai.com/auth": {"chatgpt_account_id": 5}}));
        assert!(codex_account_id(&no_claim).is_none());
        let blank = fake_jwt(&serde_json::json!({"https://api.openai.com/auth": {"chatgpt_account_id": " "}}));
        assert!(codex_account_id(&blank).is_none());
    }
}
