//! The payload of a JWT, read without verifying it: Codex access tokens
//! carry their expiry (`exp`) and the ChatGPT account id.

use crate::time::{Expiry, ExpiryKind};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// Tokens longer than this are not JWTs we read (a 10 MB "token" is hostile).
const MAX_JWT_LEN: usize = 64 * 1024;

/// Decodes the claims of `header.payload.signature`. All three parts must be
/// present; the payload must be base64url (padding tolerated) of a JSON object.
pub fn claims(token: &str) -> Option<Map<String, Value>> {
    if token.len() > MAX_JWT_LEN {
        return None;
    }
    let mut parts = token.split('.');
    let (_, payload, sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || payload.is_empty() || sig.is_empty() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// `exp` in milliseconds, when it is a number of seconds.
pub fn expiry_ms(claims: &Map<String, Value>) -> Option<f64> {
    let exp = claims.get("exp")?.as_f64()?;
    ExpiryKind::of_expiring(Some(&Expiry::from_ms(exp * 1000.0))).at().map(|at| at.ms())
}

/// `https://api.openai.com/auth`.`chatgpt_account_id`.
pub fn chatgpt_account_id(claims: &Map<String, Value>) -> Option<String> {
    claims.get("https://api.openai.com/auth")?.get("chatgpt_account_id")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exp_and_account_from_a_codex_token() {
        let t = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJleHAiOjE3NjgwODk2MDAsImh0dHBzOi8vYXBpLm9wZW5haS5jb20vYXV0aCI6eyJjaGF0Z3B0X2FjY291bnRfaWQiOiJhY2N0LUZBS0UifX0.FAKESIG";
        let c = claims(t).unwrap();
        assert_eq!(expiry_ms(&c), Some(1768089600000.0));
        assert_eq!(chatgpt_account_id(&c).as_deref(), Some("acct-FAKE"));
    }

    #[test]
    fn rejects_what_is_not_a_jwt() {
        assert!(claims("not.a!!.jwt").is_none());
        assert!(claims("a.b").is_none());
        assert!(claims("a..c").is_none());
        assert!(claims("").is_none());
        let c = claims("eyJhbGciOiJub25lIn0.eyJleHAiOiJuZXZlciJ9.sig").unwrap();
        assert_eq!(expiry_ms(&c), None);
    }

    /// `header.payload.signature` around a payload of `json`, with the
    /// signature padded so that the whole token is `len` bytes long.
    fn token_of(json: &str, len: usize) -> String {
        let head = format!("eyJhbGciOiJub25lIn0.{}.", URL_SAFE_NO_PAD.encode(json));
        assert!(len > head.len());
        format!("{head}{}", "S".repeat(len - head.len()))
    }

    #[test]
    fn the_length_limit_is_64_kib_inclusive() {
        let at_limit = token_of(r#"{"exp":1}"#, 64 * 1024);
        assert_eq!(at_limit.len(), 65536);
        assert!(claims(&at_limit).is_some(), "a token of exactly 64 KiB is read");
        assert!(claims(&token_of(r#"{"exp":1}"#, 64 * 1024 + 1)).is_none());
        // Well over a kilobyte, well under the limit.
        assert!(claims(&token_of(r#"{"exp":1}"#, 2000)).is_some());
    }

    #[test]
    fn a_good_payload_still_needs_exactly_three_parts_and_a_signature() {
        let payload = URL_SAFE_NO_PAD.encode(r#"{"exp":1}"#);
        assert!(claims(&format!("h.{payload}.sig")).is_some());
        assert!(claims(&format!("h.{payload}.sig.extra")).is_none(), "four parts");
        assert!(claims(&format!("h.{payload}.")).is_none(), "empty signature");
        assert!(claims(&format!("h.{payload}")).is_none(), "no signature");
        // Padding is tolerated; a payload that is not an object is not.
        assert!(claims(&format!("h.{payload}==.sig")).is_some());
        assert!(claims(&format!("h.{}.sig", URL_SAFE_NO_PAD.encode("[1]"))).is_none());
    }

    #[test]
    fn an_expiry_must_be_positive_and_finite() {
        let exp = |json: &str| expiry_ms(claims(&token_of(json, 100)).as_ref().unwrap());
        assert_eq!(exp(r#"{"exp":0}"#), None);
        assert_eq!(exp(r#"{"exp":-1}"#), None);
        assert_eq!(exp(r#"{"exp":1e308}"#), None, "overflows to infinity in ms");
        assert_eq!(exp(r#"{"exp":0.001}"#), Some(1.0));
        assert_eq!(exp(r#"{"exp":2}"#), Some(2000.0));
    }
}
