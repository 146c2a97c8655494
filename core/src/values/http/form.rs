//! `application/x-www-form-urlencoded`, as browsers' `URLSearchParams` write it.
//!
//! Refresh tokens are opaque and may carry `+`, `/`, `=` or `&`; sent raw in
//! a form body they would be cut or altered, and the server would answer
//! `invalid_grant` for a token that is fine. Encoding exactly like
//! `URLSearchParams` keeps our requests byte-identical to the reference's.

use std::fmt::Write;

/// Bytes `URLSearchParams` leaves as they are; everything else but space
/// becomes `%XX`.
fn is_kept(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_')
}

/// One name or value, percent-encoded over its UTF-8 bytes.
pub(crate) fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if is_kept(b) {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('+');
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `name=value&name=value`, in the order given.
pub(crate) fn encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&encode_component(name));
        out.push('=');
        out.push_str(&encode_component(value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_unreserved_and_escapes_the_rest() {
        assert_eq!(encode_component("abcXYZ019*-._"), "abcXYZ019*-._");
        assert_eq!(encode_component("a b"), "a+b");
        assert_eq!(encode_component("a+b/c=d&e"), "a%2Bb%2Fc%3Dd%26e");
        assert_eq!(encode_component("~!'()"), "%7E%21%27%28%29");
        assert_eq!(encode_component("é"), "%C3%A9");
        assert_eq!(encode_component("\n"), "%0A");
    }

    #[test]
    fn joins_pairs_in_order() {
        assert_eq!(
            encode([("grant_type", "refresh_token"), ("refresh_token", "r t+1")]),
            "grant_type=refresh_token&refresh_token=r+t%2B1"
        );
        assert_eq!(encode([]), "");
    }
}
