//! Pasted tokens: the Anthropic setup-token check, profile-name slugs, and
//! cleaning what a terminal paste does to a token.
//!
//! Two user reports shaped [`clean_pasted_token`] (A82): a setup-token
//! wrapped by the terminal was stored cut at the line break and failed with
//! 401 forever (§6 row 10), and an OAuth redirect's `code#state` pasted as a
//! token was stored and put the whole provider into cooldown (§6 row 11).

use crate::provider::normalize;
use thiserror::Error;

/// Every Anthropic setup-token starts with this (§2.14).
pub const SETUP_TOKEN_PREFIX: &str = "sk-ant-oat01-";
/// A real setup-token is longer; anything shorter was cut off (§2.14).
pub const SETUP_TOKEN_MIN_LENGTH: usize = 80;

/// The reference's setup-token check (A67): trimmed, non-empty, the right
/// prefix, at least 80 characters. The error texts are the prompt's own.
pub fn validate_setup_token(raw: &str) -> Result<(), &'static str> {
    let token = raw.trim();
    if token.is_empty() {
        return Err("Required");
    }
    if !token.starts_with(SETUP_TOKEN_PREFIX) {
        return Err("Expected token starting with sk-ant-oat01-");
    }
    // JavaScript counts UTF-16 units; tokens are ASCII, where it is the same.
    if token.encode_utf16().count() < SETUP_TOKEN_MIN_LENGTH {
        return Err("Token looks too short; paste the full setup-token");
    }
    Ok(())
}

/// Claude Code's refresh tokens start with this; one pasted here is the
/// wrong half of a login, not a setup-token.
pub const REFRESH_TOKEN_PREFIX: &str = "sk-ant-ort01-";

/// Anthropic API keys start with one of these (sent as `x-api-key`).
pub const API_KEY_PREFIXES: [&str; 2] = ["sk-ant-api03-", "sk-ant-admin01-"];

/// Why a value is not the setup-token `claude setup-token` prints. The
/// messages say which thing it looks like, never what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SetupTokenError {
    /// Nothing but whitespace was given.
    #[error("no token was given (the prompt's answer or standard input was empty)")]
    Empty,
    /// Whitespace inside the value: a paste wrapped over lines.
    #[error("the token has whitespace inside it (a wrapped paste?)")]
    WhitespaceInside,
    /// An Anthropic API key was given instead.
    #[error("that is an Anthropic API key (sk-ant-api03-/sk-ant-admin01-), not a setup-token")]
    ApiKey,
    /// A Claude OAuth refresh token was given instead.
    #[error("that is a refresh token (sk-ant-ort01-), not a setup-token")]
    RefreshToken,
    /// It does not start with `sk-ant-oat01-`.
    #[error("Expected token starting with sk-ant-oat01-")]
    WrongPrefix,
    /// Shorter than any real setup-token.
    #[error("Token looks too short; paste the full setup-token")]
    TooShort,
}

/// The setup-token check of `models auth setup-token` (issue 12 item 1):
/// [`validate_setup_token`]'s rules, plus the mistakes an operator makes
/// with today's `claude setup-token` output (a wrapped paste, an API key,
/// the refresh token of a login), each named. Returns the trimmed token.
pub fn check_setup_token(raw: &str) -> Result<&str, SetupTokenError> {
    let token = raw.trim();
    if token.is_empty() {
        return Err(SetupTokenError::Empty);
    }
    if token.chars().any(char::is_whitespace) {
        return Err(SetupTokenError::WhitespaceInside);
    }
    if API_KEY_PREFIXES.iter().any(|p| token.starts_with(p)) {
        return Err(SetupTokenError::ApiKey);
    }
    if token.starts_with(REFRESH_TOKEN_PREFIX) {
        return Err(SetupTokenError::RefreshToken);
    }
    match validate_setup_token(token) {
        Ok(()) => Ok(token),
        Err(_) if !token.starts_with(SETUP_TOKEN_PREFIX) => Err(SetupTokenError::WrongPrefix),
        Err(_) => Err(SetupTokenError::TooShort),
    }
}

/// A profile name as it goes into an id (A67, §2.14): lower-cased, every
/// run of characters outside `[a-z0-9._-]` and every run of dashes made one
/// dash, dashes trimmed from both ends; `default` when nothing is left.
pub fn profile_name_slug(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.trim().to_lowercase().chars() {
        let keep = c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_');
        if keep {
            slug.push(c);
        } else if !slug.ends_with('-') {
            // Covers both rules: a run of other characters and a run of
            // dashes each become a single dash.
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-');
    if slug.is_empty() { "default".to_string() } else { slug.to_string() }
}

/// The id a named token profile gets: `<normalised provider>:<slug>`.
pub fn profile_id_for(provider: &str, name: &str) -> String {
    format!("{}:{}", normalize(provider), profile_name_slug(name))
}

/// Why a pasted token was refused. The messages never quote the token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PastedTokenError {
    /// Nothing but whitespace (and invisible characters) was pasted.
    #[error("Required: a token, and the prompt's answer or standard input was empty")]
    Empty,
    /// The paste holds `#`: an OAuth redirect's `code#state`, not a token.
    #[error("the pasted value contains '#', so it looks like an OAuth redirect's code#state, not a token")]
    LooksLikeCodeAndState,
}

/// Cleans a pasted token (A82, a [fix]): removes every whitespace character
/// inside it, not only at the ends, since a terminal wraps long tokens and a
/// paste then carries the line breaks; refuses a value holding `#`, which no
/// token contains but an OAuth `code#state` does. Invisible format
/// characters a browser copy can add (zero-width space and joiners, the
/// byte-order mark) go the same way as whitespace.
pub fn clean_pasted_token(raw: &str) -> Result<String, PastedTokenError> {
    let token: String = raw.chars().filter(|c| !is_paste_noise(*c)).collect();
    if token.is_empty() {
        return Err(PastedTokenError::Empty);
    }
    if token.contains('#') {
        return Err(PastedTokenError::LooksLikeCodeAndState);
    }
    Ok(token)
}

/// Why a pasted API key was refused. The messages never quote the key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ApiKeyError {
    /// Nothing but whitespace was pasted.
    #[error("Required: an API key, and the prompt's answer or standard input was empty")]
    Empty,
    /// Whitespace or control characters inside the key.
    #[error("the pasted key has whitespace or control characters inside it")]
    InnerSpace,
}

/// Cleans a pasted API key (`models auth paste-api-key`): the line break a
/// paste or `echo` adds at either end goes, but a key is one unbroken
/// word, so whitespace or control characters inside mean two values or a
/// mangled paste, refused rather than guessed at (unlike a wrapped token,
/// an API key is short enough never to be wrapped by a terminal).
pub fn clean_pasted_api_key(raw: &str) -> Result<String, ApiKeyError> {
    let key = raw.trim_matches(|c: char| is_paste_noise(c) || c.is_control());
    if key.is_empty() {
        return Err(ApiKeyError::Empty);
    }
    if key.chars().any(|c| is_paste_noise(c) || c.is_control()) {
        return Err(ApiKeyError::InnerSpace);
    }
    Ok(key.to_string())
}

fn is_paste_noise(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setup_token_check_names_what_the_value_looks_like() {
        let good = format!("sk-ant-oat01-{}", "A".repeat(80));
        assert_eq!(check_setup_token(&format!("  {good}\n")), Ok(good.as_str()));
        let wrapped = format!("{}\n{}", &good[..40], &good[40..]);
        let cases = [
            ("", SetupTokenError::Empty),
            (wrapped.as_str(), SetupTokenError::WhitespaceInside),
            ("sk-ant-api03-FAKEFAKEFAKE", SetupTokenError::ApiKey),
            ("sk-ant-admin01-FAKE", SetupTokenError::ApiKey),
            ("sk-ant-ort01-FAKE-refresh", SetupTokenError::RefreshToken),
            ("sk-ant-oat01-short", SetupTokenError::TooShort),
            ("hello", SetupTokenError::WrongPrefix),
        ];
        for (raw, want) in cases {
            assert_eq!(check_setup_token(raw), Err(want.clone()), "{raw:?}");
            assert!(!want.to_string().contains("FAKE"));
        }
    }

    fn token_of_len(n: usize) -> String {
        let mut t = SETUP_TOKEN_PREFIX.to_string();
        t.push_str(&"x".repeat(n - SETUP_TOKEN_PREFIX.len()));
        t
    }

    #[test]
    fn setup_token_rules_and_messages() {
        assert_eq!(validate_setup_token(&token_of_len(80)), Ok(()));
        assert_eq!(validate_setup_token(&format!("  {}\n", token_of_len(80))), Ok(()));
        assert_eq!(validate_setup_token(&token_of_len(79)), Err("Token looks too short; paste the full setup-token"));
        assert_eq!(
            validate_setup_token("sk-ant-oat01-short"),
            Err("Token looks too short; paste the full setup-token")
        );
        let api_key = format!("sk-ant-api03-{}", "x".repeat(80));
        assert_eq!(validate_setup_token(&api_key), Err("Expected token starting with sk-ant-oat01-"));
        assert_eq!(validate_setup_token(""), Err("Required"));
        assert_eq!(validate_setup_token(" \n "), Err("Required"));
    }

    #[test]
    fn slugs_follow_the_reference() {
        assert_eq!(profile_name_slug("Work"), "work");
        assert_eq!(profile_name_slug("  My Work Account!! "), "my-work-account");
        assert_eq!(profile_name_slug("someone@example.com"), "someone-example.com");
        assert_eq!(profile_name_slug("a--b---c"), "a-b-c");
        assert_eq!(profile_name_slug("--x_y.z--"), "x_y.z");
        assert_eq!(profile_name_slug("Ünïcode"), "n-code");
        assert_eq!(profile_name_slug(""), "default");
        assert_eq!(profile_name_slug("!!!"), "default");
        assert_eq!(profile_name_slug("---"), "default");
    }

    #[test]
    fn ids_use_the_normalised_provider() {
        assert_eq!(profile_id_for(" Anthropic ", "Work"), "anthropic:work");
        assert_eq!(profile_id_for("Z.AI", ""), "zai:default");
    }

    #[test]
    fn paste_cleaning_strips_inner_whitespace() {
        let wrapped = "  sk-ant-oat01-AAAA\nBBBB\r\nCC CC\tDD\u{200b}EE \n";
        assert_eq!(clean_pasted_token(wrapped).as_deref(), Ok("sk-ant-oat01-AAAABBBBCCCCDDEE"));
        assert_eq!(clean_pasted_token("plain-token").as_deref(), Ok("plain-token"));
    }

    #[test]
    fn api_keys_lose_their_line_ends_but_not_their_insides() {
        assert_eq!(clean_pasted_api_key("  sk-FAKE-key\r\n").as_deref(), Ok("sk-FAKE-key"));
        assert_eq!(clean_pasted_api_key(" \n"), Err(ApiKeyError::Empty));
        for bad in ["sk-FAKE key", "sk-FAKE\nkey", "sk-\u{1b}[31mFAKE", "sk-FAKE\u{200b}key"] {
            let err = clean_pasted_api_key(bad).unwrap_err();
            assert_eq!(err, ApiKeyError::InnerSpace, "{bad:?}");
            assert!(!err.to_string().contains("FAKE"), "the message must not quote the key");
        }
    }

    #[test]
    fn paste_cleaning_refuses_empty_and_code_state() {
        assert_eq!(clean_pasted_token(""), Err(PastedTokenError::Empty));
        assert_eq!(clean_pasted_token(" \n\t "), Err(PastedTokenError::Empty));
        let err = clean_pasted_token("abc123#state456").unwrap_err();
        assert_eq!(err, PastedTokenError::LooksLikeCodeAndState);
        let message = err.to_string();
        assert!(message.contains("code#state"), "{message}");
        assert!(!message.contains("abc123"), "the message must not quote the value");
    }
}
