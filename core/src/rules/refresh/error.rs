//! Why a refresh failed, kept precise enough to act on.
//!
//! The reference reduces every failure to "Failed to refresh OAuth token for
//! `<provider>`" (spec §2.5, A26). An operator then cannot tell a dead login
//! (log in again) from a rate limit (wait) from a proxy page (fix the
//! network). A [`RefreshError`] keeps the HTTP status, the OAuth error code
//! and its description, and sorts the failure into permanent or transient;
//! whatever text it copies from a response is bounded, escaped and stripped
//! of anything that looks like a credential.

use crate::escape::escape_control;
use crate::providers::RefreshProvider;
use crate::time::{Millis, SECOND};
use std::fmt;

/// How much of a server's text an error keeps.
pub const MAX_COPIED_CHARS: usize = 200;

/// Why a refresh failed, with what the server said, ready to print (its
/// `Display`) and to classify (permanent or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshError {
    /// The provider whose endpoint was called, named in the message.
    pub provider: RefreshProvider,
    /// Whether a retry could help.
    pub kind: ErrorKind,
    /// The HTTP status, when the server answered.
    pub status: Option<u16>,
    /// The OAuth (or provider) error code, such as `invalid_grant`.
    pub oauth_error: Option<String>,
    /// The server's own explanation.
    pub description: Option<String>,
    /// What exactly went wrong.
    pub cause: Cause,
}

/// Whether trying again can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The login is dead (revoked, expired, rotated away): a human must log
    /// in again. Retrying would only hammer the server, or, with rotating
    /// tokens, risk revoking the whole token family.
    Permanent,
    /// Worth another try, after `retry_after_ms` when the server said so.
    Transient {
        /// From the server's `Retry-After`, ms; `None` when it said nothing.
        retry_after_ms: Option<Millis>,
    },
}

/// What exactly went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The server refused; `status`, `oauth_error` and `description` say how.
    Rejected,
    /// The answer was not the JSON object expected (an HTML page from a
    /// proxy or captive portal, bytes that are not text, nothing at all).
    /// `excerpt` is the start of it, bounded and scrubbed; empty when the
    /// body was.
    UnexpectedBody {
        /// The start of the body, bounded and scrubbed of secrets.
        excerpt: String,
    },
    /// A success answer without a field the provider's login needs.
    MissingField {
        /// The JSON field missing (`access_token`).
        field: &'static str,
    },
    /// No answer: the host's HTTP client failed.
    Transport {
        /// Which way the call failed.
        failure: TransportFailure,
        /// The host's own description, bounded and scrubbed.
        message: String,
    },
}

pub use crate::http::TransportFailure;

/// A failure of the host's HTTP client, as a [`RefreshError`]. Always
/// transient: nothing was learnt about the login. `message` is bounded and
/// escaped like server text.
pub fn transport_error(provider: RefreshProvider, failure: TransportFailure, message: &str) -> RefreshError {
    RefreshError {
        provider,
        kind: ErrorKind::Transient { retry_after_ms: None },
        status: None,
        oauth_error: None,
        description: None,
        cause: Cause::Transport { failure, message: copied(message, &[]) },
    }
}

impl RefreshError {
    /// The login is dead: a human must log in again, and no retry may be made.
    pub fn is_permanent(&self) -> bool {
        self.kind == ErrorKind::Permanent
    }

    /// How long the server asked to wait before retrying; `None` when permanent
    /// or it did not say.
    pub fn retry_after_ms(&self) -> Option<Millis> {
        match self.kind {
            ErrorKind::Transient { retry_after_ms } => retry_after_ms,
            ErrorKind::Permanent => None,
        }
    }
}

impl fmt::Display for RefreshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} token refresh ", self.provider)?;
        match &self.cause {
            Cause::Transport { failure, message } => {
                write!(f, "{}", failure.describe())?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
            }
            other => {
                f.write_str("failed")?;
                if let Some(status) = self.status {
                    write!(f, ": HTTP {status}")?;
                }
                match (&self.oauth_error, &self.description) {
                    (Some(code), Some(text)) => write!(f, ", {code}: {text}")?,
                    (Some(code), None) => write!(f, ", {code}")?,
                    (None, Some(text)) => write!(f, ", {text}")?,
                    (None, None) => {}
                }
                match other {
                    Cause::UnexpectedBody { excerpt } if excerpt.is_empty() => f.write_str(", empty body")?,
                    Cause::UnexpectedBody { excerpt } => write!(f, ", unexpected body: \"{excerpt}\"")?,
                    Cause::MissingField { field } => write!(f, ", the response has no usable {field}")?,
                    _ => {}
                }
            }
        }
        match self.kind {
            ErrorKind::Permanent => f.write_str(" (the login must be renewed)"),
            ErrorKind::Transient { retry_after_ms: Some(ms) } => write!(f, " (retry after {})", seconds(ms)),
            ErrorKind::Transient { retry_after_ms: None } => Ok(()),
        }
    }
}

impl std::error::Error for RefreshError {}

/// `ms` as whole seconds, rounded up (`30 s`), as messages and hints say it.
pub(crate) fn seconds(ms: Millis) -> String {
    let s = ms.saturating_add(SECOND - 1) / SECOND;
    format!("{s} s")
}

/// Server text made fit for a message: known secrets and token-like values
/// removed, control characters escaped, at most [`MAX_COPIED_CHARS`].
pub(crate) fn copied(text: &str, secrets: &[&str]) -> String {
    let mut text = text.trim().to_string();
    for secret in secrets.iter().map(|s| s.trim()).filter(|s| s.len() >= 4) {
        text = text.replace(secret, "<redacted>");
    }
    let text = redact_bare_tokens(&redact_token_values(&text));
    let escaped = escape_control(&text);
    match escaped.char_indices().nth(MAX_COPIED_CHARS) {
        Some((cut, _)) => format!("{}…", &escaped[..cut]),
        None => escaped.into_owned(),
    }
}

/// Replaces the value after any key naming a token or secret
/// (`"access_token": "…"`, `refresh_token=…`, `client_secret=…`), in JSON
/// and form text alike, so a body echoed into a message never carries one.
fn redact_token_values(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied_to = 0;
    let mut search = 0;
    while let Some(found) = ["token", "secret", "password"].iter().filter_map(|k| lower[search..].find(k)).min() {
        let key_at = search + found;
        // Skip the rest of the key name, then an optional closing quote,
        // then the separator.
        let mut i = key_at;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'-') {
            i += 1;
        }
        let key_end = i;
        if i < bytes.len() && matches!(bytes[i], b'"' | b'\'') {
            i += 1;
        }
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if i < bytes.len() && matches!(bytes[i], b'=' | b':') {
            i += 1;
            while i < bytes.len() && bytes[i] == b' ' {
                i += 1;
            }
            let quoted = i < bytes.len() && matches!(bytes[i], b'"' | b'\'');
            if quoted {
                i += 1;
            }
            let value_start = i;
            while i < bytes.len() && !matches!(bytes[i], b'&' | b'"' | b'\'' | b',' | b';' | b'}' | b'<' | b' ' | b'\n')
            {
                i += 1;
            }
            if i > value_start {
                out.push_str(&text[copied_to..value_start]);
                out.push_str("<redacted>");
                copied_to = i;
            }
        }
        search = key_end.max(key_at + 1);
    }
    out.push_str(&text[copied_to..]);
    out
}

/// Replaces words that look like credentials wherever they stand (an HTML
/// error page quoting a token has no `token=` before it): `sk-…` keys,
/// `eyJ…` JWTs, and any run of 24 or more token characters mixing letters
/// and digits with at least 12 distinct characters (random-looking). Prose,
/// URLs (split at `/` and `:`), error codes and padding survive.
fn redact_bare_tokens(text: &str) -> String {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '+' | '=');
    let looks_secret = |w: &str| {
        (w.starts_with("sk-") && w.len() >= 12)
            || (w.starts_with("eyJ") && w.len() >= 16)
            || (w.len() >= 24
                && w.bytes().any(|b| b.is_ascii_digit())
                && w.bytes().any(|b| b.is_ascii_alphabetic())
                && w.bytes().collect::<std::collections::BTreeSet<u8>>().len() >= 12)
    };
    let mut out = String::with_capacity(text.len());
    let mut word_start: Option<usize> = None;
    let flush = |out: &mut String, word: &str| {
        if looks_secret(word) { out.push_str("<redacted>") } else { out.push_str(word) }
    };
    for (i, c) in text.char_indices() {
        if is_token_char(c) {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = word_start.take() {
            flush(&mut out, &text[start..i]);
        }
        out.push(c);
    }
    if let Some(start) = word_start {
        flush(&mut out, &text[start..]);
    }
    out
}

/// `Retry-After` as milliseconds from `now`: delay-seconds or an HTTP-date
/// (RFC 9110 §10.2.3, including the two obsolete date forms). A date in the
/// past means "now" (0); anything unreadable is `None`.
pub(crate) fn parse_retry_after(value: &str, now: Millis) -> Option<Millis> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = value.parse().unwrap_or(i64::MAX);
        return Some(secs.saturating_mul(SECOND));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value)
        .map(|d| d.timestamp_millis())
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(value, "%A, %d-%b-%y %H:%M:%S GMT")
                .map(|d| d.and_utc().timestamp_millis())
        })
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(value, "%a %b %e %H:%M:%S %Y").map(|d| d.and_utc().timestamp_millis())
        })
        .ok()?;
    Some(at.saturating_sub(now).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(provider: RefreshProvider, kind: ErrorKind, code: Option<&str>) -> RefreshError {
        RefreshError {
            provider,
            kind,
            status: Some(400),
            oauth_error: code.map(str::to_string),
            description: Some("Refresh token not found or invalid".into()),
            cause: Cause::Rejected,
        }
    }

    #[test]
    fn display_keeps_status_code_and_description() {
        let e = rejected(crate::providers::refreshable("anthropic"), ErrorKind::Permanent, Some("invalid_grant"));
        assert_eq!(
            e.to_string(),
            "anthropic token refresh failed: HTTP 400, invalid_grant: Refresh token not found or invalid (the login must be renewed)"
        );
        let t = RefreshError {
            status: Some(429),
            kind: ErrorKind::Transient { retry_after_ms: Some(1500) },
            ..rejected(crate::providers::refreshable("openai-codex"), ErrorKind::Permanent, None)
        };
        assert_eq!(
            t.to_string(),
            "openai-codex token refresh failed: HTTP 429, Refresh token not found or invalid (retry after 2 s)"
        );
    }

    #[test]
    fn transport_errors_are_transient_and_bounded() {
        let long = format!("connection reset\u{1b}[2J{}", "x".repeat(1000));
        let e = transport_error(crate::providers::refreshable("qwen-portal"), TransportFailure::Connect, &long);
        assert_eq!(e.kind, ErrorKind::Transient { retry_after_ms: None });
        let text = e.to_string();
        assert!(text.starts_with("qwen-portal token refresh could not connect: connection reset\\u{1b}[2J"), "{text}");
        assert!(text.chars().count() < 300);
        let timeout = transport_error(crate::providers::refreshable("anthropic"), TransportFailure::Timeout, "");
        assert_eq!(timeout.to_string(), "anthropic token refresh timed out");
        assert!(crate::remedy::for_refresh(&timeout, "anthropic:x").contains("network"));
        let redirect = transport_error(crate::providers::refreshable("anthropic"), TransportFailure::Redirect, "302");
        assert!(crate::remedy::for_refresh(&redirect, "anthropic:x").contains("CLAWDBOT_TOKEN_URL_ANTHROPIC"));
    }

    #[test]
    fn hints_name_the_command_that_renews_the_login() {
        let dead = rejected(crate::providers::refreshable("anthropic"), ErrorKind::Permanent, Some("invalid_grant"));
        let claude = crate::remedy::for_refresh(&dead, "anthropic:claude-cli");
        assert!(
            claude.contains("run `claude`, then `/login`") && claude.contains("models auth setup-token"),
            "{claude}"
        );
        let work = crate::remedy::for_refresh(&dead, "anthropic:work");
        assert!(work.contains("models auth paste-token --provider anthropic --profile-id anthropic:work"), "{work}");
        assert!(!work.contains("Claude Code"), "only anthropic:claude-cli is shared with Claude Code: {work}");
        let reused =
            rejected(crate::providers::refreshable("openai-codex"), ErrorKind::Permanent, Some("refresh_token_reused"));
        let hint = crate::remedy::for_refresh(&reused, "openai-codex:codex-cli");
        assert!(hint.contains("already used") && hint.contains("`codex login`"), "{hint}");
        let wait = RefreshError {
            kind: ErrorKind::Transient { retry_after_ms: Some(30_000) },
            ..rejected(crate::providers::refreshable("anthropic"), ErrorKind::Permanent, None)
        };
        assert_eq!(crate::remedy::for_refresh(&wait, "anthropic:x"), "The provider asked to wait: try again in 30 s.");
        let later = RefreshError { kind: ErrorKind::Transient { retry_after_ms: None }, ..wait };
        assert_eq!(crate::remedy::for_refresh(&later, "anthropic:x"), "Try again later.");
    }

    #[test]
    fn copied_text_is_scrubbed_escaped_and_bounded() {
        assert_eq!(copied("  plain  ", &[]), "plain");
        assert_eq!(copied("saw rt-FAKE-1 twice: rt-FAKE-1", &["rt-FAKE-1"]), "saw <redacted> twice: <redacted>");
        let json = r#"{"access_token": "at-FAKE", "refresh_token":"rt-FAKE","expires_in":3600}"#;
        let out = copied(json, &[]);
        assert!(!out.contains("FAKE"), "{out}");
        assert!(out.contains("\"expires_in\":3600"), "{out}");
        let form = "access_token=at-FAKE&token_type=bearer&client_secret=cs-FAKE&scope=x";
        let out = copied(form, &[]);
        assert_eq!(out, "access_token=<redacted>&token_type=<redacted>&client_secret=<redacted>&scope=x");
        assert_eq!(copied("the token is invalid", &[]), "the token is invalid");
        assert_eq!(copied("a\nb", &[]), "a\\u{a}b");
        let long = copied(&"é".repeat(500), &[]);
        assert_eq!(long.chars().count(), MAX_COPIED_CHARS + 1);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = 784_111_777_000 - 60_000; // one minute before Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("120", now), Some(120_000));
        assert_eq!(parse_retry_after(" 0 ", now), Some(0));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(60_000));
        assert_eq!(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), Some(60_000));
        assert_eq!(parse_retry_after("Sun Nov  6 08:49:37 1994", now), Some(60_000));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + 120_000), Some(0));
        assert_eq!(parse_retry_after("99999999999999999999999", now), Some(i64::MAX));
        for bad in ["", "-5", "1.5", "soon", "Sun, 99 Nov 1994 08:49:37 GMT"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }

    fn with_cause(cause: Cause, code: Option<&str>, description: Option<&str>) -> RefreshError {
        RefreshError {
            provider: crate::providers::refreshable("anthropic"),
            kind: ErrorKind::Transient { retry_after_ms: None },
            status: Some(502),
            oauth_error: code.map(str::to_string),
            description: description.map(str::to_string),
            cause,
        }
    }

    #[test]
    fn display_names_each_cause() {
        let empty = with_cause(Cause::UnexpectedBody { excerpt: String::new() }, None, None);
        assert_eq!(empty.to_string(), "anthropic token refresh failed: HTTP 502, empty body");
        let page = with_cause(Cause::UnexpectedBody { excerpt: "<html>".into() }, None, None);
        assert_eq!(page.to_string(), "anthropic token refresh failed: HTTP 502, unexpected body: \"<html>\"");
        let missing = RefreshError {
            status: Some(200),
            ..with_cause(Cause::MissingField { field: "access_token" }, Some("odd"), None)
        };
        assert_eq!(
            missing.to_string(),
            "anthropic token refresh failed: HTTP 200, odd, the response has no usable access_token"
        );
        let bare = RefreshError { status: None, ..with_cause(Cause::Rejected, None, None) };
        assert_eq!(bare.to_string(), "anthropic token refresh failed");
        let tls = transport_error(crate::providers::refreshable("anthropic"), TransportFailure::Tls, "bad cert");
        assert_eq!(tls.to_string(), "anthropic token refresh TLS failed: bad cert");
        let other = transport_error(crate::providers::refreshable("anthropic"), TransportFailure::Other, "");
        assert_eq!(other.to_string(), "anthropic token refresh failed");
        let redirect = transport_error(crate::providers::refreshable("anthropic"), TransportFailure::Redirect, "");
        assert_eq!(redirect.to_string(), "anthropic token refresh was redirected");
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let wait = |ms| {
            crate::remedy::for_refresh(
                &RefreshError {
                    kind: ErrorKind::Transient { retry_after_ms: Some(ms) },
                    ..with_cause(Cause::Rejected, None, None)
                },
                "anthropic:x",
            )
        };
        assert_eq!(wait(0), "The provider asked to wait: try again in 0 s.");
        assert_eq!(wait(1), "The provider asked to wait: try again in 1 s.");
        assert_eq!(wait(1000), "The provider asked to wait: try again in 1 s.");
        assert_eq!(wait(1001), "The provider asked to wait: try again in 2 s.");
        assert_eq!(wait(i64::MAX), format!("The provider asked to wait: try again in {} s.", i64::MAX / 1000));
        let e = RefreshError {
            kind: ErrorKind::Transient { retry_after_ms: Some(7) },
            ..with_cause(Cause::Rejected, None, None)
        };
        assert_eq!(e.retry_after_ms(), Some(7));
        assert!(!e.is_permanent());
        let dead = RefreshError { kind: ErrorKind::Permanent, ..e };
        assert_eq!(dead.retry_after_ms(), None);
        assert!(dead.is_permanent());
    }

    #[test]
    fn transient_hints_say_what_to_check() {
        let hint = |e: &RefreshError| crate::remedy::for_refresh(e, "anthropic:x");
        assert_eq!(
            hint(&transport_error(crate::providers::refreshable("anthropic"), TransportFailure::Tls, "")),
            "Check the gateway host's clock and any TLS-intercepting proxy, then try again."
        );
        assert_eq!(
            hint(&transport_error(crate::providers::refreshable("anthropic"), TransportFailure::Redirect, "")),
            "The token endpoint redirected: check CLAWDBOT_TOKEN_URL_ANTHROPIC and any proxy on the gateway host."
        );
        for failure in [TransportFailure::Timeout, TransportFailure::Connect, TransportFailure::Other] {
            assert_eq!(
                hint(&transport_error(crate::providers::refreshable("anthropic"), failure, "")),
                "Check the gateway host's network connection, then try again."
            );
        }
        let odd = "The token endpoint answered unexpectedly (a proxy may be in the way); try again later.";
        assert_eq!(hint(&with_cause(Cause::UnexpectedBody { excerpt: String::new() }, None, None)), odd);
        assert_eq!(hint(&with_cause(Cause::MissingField { field: "access_token" }, None, None)), odd);
    }

    #[test]
    fn a_dead_login_hint_is_the_reason_then_the_renewal() {
        let dead =
            |code: Option<&str>| rejected(crate::providers::refreshable("openai-codex"), ErrorKind::Permanent, code);
        let action = crate::remedy::for_profile("openai-codex:work", "openai-codex", crate::remedy::Renewal::Relogin);
        assert!(!action.is_empty());
        assert_eq!(crate::remedy::for_refresh(&dead(None), "openai-codex:work"), action);
        assert_eq!(crate::remedy::for_refresh(&dead(Some("server_error")), "openai-codex:work"), action);
        assert_eq!(
            crate::remedy::for_refresh(&dead(Some("refresh_token_reused")), "openai-codex:work"),
            format!("The refresh token was already used by another holder of this login. {action}")
        );
        assert_eq!(
            crate::remedy::for_refresh(&dead(Some("invalid_grant")), "openai-codex:work"),
            format!("{}{action}", crate::remedy::why_refresh_was_rejected("openai-codex:work"))
        );
    }

    #[test]
    fn token_values_are_redacted_up_to_their_end_and_only_when_present() {
        assert_eq!(copied("token=", &[]), "token=");
        assert_eq!(copied("token=&scope=x", &[]), "token=&scope=x", "an empty value stays empty");
        assert_eq!(copied("token", &[]), "token");
        assert_eq!(copied("bad token", &[]), "bad token");
        assert_eq!(copied("refresh_token\"", &[]), "refresh_token\"");
        assert_eq!(copied("token = ", &[]), "token =");
        assert_eq!(copied("token: '", &[]), "token: '");
        assert_eq!(copied("token=abc", &[]), "token=<redacted>");
        assert_eq!(copied("Token :  'abc' ok", &[]), "Token :  '<redacted>' ok");
        assert_eq!(copied("password=hunter2;x=1", &[]), "password=<redacted>;x=1");
        assert_eq!(copied("a secret:v1,b", &[]), "a secret:<redacted>,b");
        assert_eq!(copied("tokentoken=v", &[]), "tokentoken=<redacted>");
        assert_eq!(copied("x_token-name = v\nnext", &[]), "x_token-name = <redacted>\\u{a}next");
        assert_eq!(
            copied("short secret", &["abc", "ab"]),
            "short secret",
            "secrets under 4 characters are not replaced"
        );
    }

    #[test]
    fn bare_token_thresholds() {
        let redacted = |w: &str| copied(w, &[]) == "<redacted>";
        assert!(!redacted("sk-FAKE1234"), "11 characters");
        assert!(redacted("sk-FAKE12345"), "12 characters");
        assert!(!redacted("eyJhbGciOiJub25"), "15 characters");
        assert!(redacted("eyJhbGciOiJub25l"), "16 characters");
        // 24 token characters mixing letters and digits, 12 distinct.
        assert!(redacted("abcdefghijk1abcdefghijk1"));
        assert!(!redacted("abcdefghijk1abcdefghijk"), "23 characters");
        assert!(!redacted("abcdefghij1aabcdefghij1a"), "11 distinct");
        assert!(!redacted("abcdefghijklmnopqrstuvwx"), "no digit");
        assert!(!redacted("0123456789-_.~+=0123456789"), "no letter");
    }

    #[test]
    fn bare_tokens_in_a_copied_body_are_redacted() {
        let body = "<pre>sk-ant-oat01-FAKESERVEDCY-0123456789 eyJhbGciOiJub25lIn0.e30.x</pre> \
                    Q7mZ2xkP9wR4vT8nB3cY6hJ1 see https://console.anthropic.com/settings invalid_grant xxxxxxxxxxxxxxxxxxxxxxxxxxxxx2";
        let text = copied(body, &[]);
        assert!(!text.contains("FAKESERVEDCY") && !text.contains("eyJhbGci") && !text.contains("Q7mZ2x"), "{text}");
        assert!(text.contains("https://console.anthropic.com/settings"), "{text}");
        assert!(text.contains("invalid_grant") && text.contains("xxxxxxxxxxxxxxxxxxxxxxxxxxxxx2"), "{text}");
    }
}
