//! The rules for a credential an operator types or pastes
//! (`models auth paste-token`, `models auth add`).
//!
//! A careless paste used to brick an agent: twelve megabytes of NUL bytes
//! were stored as a "token", the store grew past the readers' size cap,
//! and from then on every command refused the store and every good key in
//! it. So everything about a paste is checked here, before anything is
//! written: where it goes ([`PasteTarget::new`]: provider, profile id,
//! expiry) and what it is ([`PasteTarget::accept`]: text, no control
//! characters, a sane length, a token rather than an API key). The host
//! only reads standard input and prints. No message ever quotes the secret.

use crate::escape::needs_escape;
use crate::provider::ProviderId;
use crate::setup_token::{self, clean_pasted_token};
use crate::store::{Credential, Token};
use crate::time::{Expiry, Millis};
use thiserror::Error;

/// The longest secret accepted, in bytes after cleaning. Real tokens are a
/// few hundred bytes (a JWT access token a few KiB); 16 KiB leaves room for
/// any of them and none for a file pasted by mistake.
pub const MAX_SECRET_BYTES: usize = 16 * 1024;

/// The most a host reads from standard input for one secret. Whitespace
/// (a wrapped paste) is removed before `MAX_SECRET_BYTES` applies, so the
/// raw input may be longer, but not without bound: one byte past this is
/// enough to refuse.
pub const MAX_PASTE_INPUT_BYTES: usize = 256 * 1024;

/// JavaScript's latest representable date, in milliseconds since the epoch
/// (ECMA-262 §21.4.1.22, year 275760). The gateway reads `expires` as a
/// JavaScript number; an expiry past this is an invalid date there.
pub const MAX_JS_DATE_MS: Millis = 8_640_000_000_000_000;

/// Whether the sync writes `id` (a [`crate::logins::LoginSource`]'s
/// profile): a token pasted there is overwritten by the next sync of that
/// tool's login, so nobody may paste into it.
pub fn is_reserved_profile_id(id: &str) -> bool {
    crate::logins::by_profile_id(id).is_some()
}

/// Prefixes of Anthropic Console keys: they go in an `x-api-key` header,
/// and stored as a token they would be sent as a bearer token and fail
/// with 401 on every request (credential-formats §1.5).
const API_KEY_PREFIXES: [&str; 2] = ["sk-ant-api03-", "sk-ant-admin01-"];

/// Why a paste was refused. Each message names the one thing that is
/// wrong; none quotes the secret (ids and providers are escaped).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PasteError {
    /// `--provider` was empty or blank.
    #[error("--provider must not be empty")]
    EmptyProvider,
    /// `--provider` holds control characters (the escaped id is given).
    #[error("--provider contains control characters ({0})")]
    ProviderControl(String),
    /// `--profile-id` was empty or blank.
    #[error("--profile-id must not be empty")]
    EmptyProfileId,
    /// `--profile-id` is `provider:` with no name (the id, and the provider for
    /// the example).
    #[error("--profile-id {0:?} has no name after the ':'")]
    EmptyProfileName(String, String),
    /// `--profile-id` holds control characters (the escaped id is given).
    #[error("--profile-id contains control characters ({0}); ids are printed on terminals")]
    ProfileIdControl(String),
    /// `--profile-id` is a login source's profile id, which the sync overwrites
    /// (the id, and the provider for the example).
    #[error(
        "--profile-id {0} is where the sync keeps that tool's own login, and the next sync would \
         overwrite a pasted token"
    )]
    ReservedProfileId(String, String),
    /// `--profile-id` names another provider than `--provider`.
    #[error("--profile-id {id} belongs to provider {id_provider}, not {provider}")]
    ProviderMismatch {
        /// The `--profile-id` given.
        id: String,
        /// The provider its `provider:` prefix names, as typed.
        id_provider: String,
        /// The normalised `--provider`.
        provider: String,
    },
    /// `--expires-in` is not a duration.
    #[error("--expires-in: {0}")]
    Duration(#[from] crate::duration::DurationError),
    /// `--expires-in` is zero.
    #[error("--expires-in must be longer than 0 (a token that expires now is expired on arrival)")]
    ExpiresNow,
    /// `--expires-in` reaches past JavaScript's last date (year 275760).
    #[error("--expires-in reaches past the latest date the gateway can represent (year 275760)")]
    ExpiresBeyondJs,
    /// The pasted text is not one token (empty, or an OAuth `code#state`).
    #[error(transparent)]
    Cleaning(#[from] setup_token::PastedTokenError),
    /// The pasted bytes are not UTF-8.
    #[error("the pasted value is not UTF-8 text")]
    NotText,
    /// The pasted value holds control characters.
    #[error("the pasted value contains control characters (such as NUL or ESC); no token does, so nothing was stored")]
    SecretControl,
    /// The cleaned value is longer than [`MAX_SECRET_BYTES`] (its length is
    /// given).
    #[error("the pasted value is {0} bytes long; a token is at most {MAX_SECRET_BYTES} bytes, so nothing was stored")]
    TooLong(usize),
    /// The credential was refused (fails over as 401).
    #[error("the pasted input is longer than {MAX_PASTE_INPUT_BYTES} bytes; no token is, so nothing was stored")]
    InputTooLong,
    /// An Anthropic API key was pasted as a token.
    #[error(
        "the pasted value is an Anthropic API key (sk-ant-api03-/sk-ant-admin01-), which is sent as \
         x-api-key, not as a token"
    )]
    ApiKeyAsToken,
}

impl PasteError {
    /// Whether the command line itself is wrong (a malformed or
    /// contradictory flag: a usage error) rather than the id being taken
    /// or the pasted value unfit (a refusal).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            PasteError::EmptyProvider
                | PasteError::ProviderControl(_)
                | PasteError::EmptyProfileId
                | PasteError::EmptyProfileName(..)
                | PasteError::ProfileIdControl(_)
                | PasteError::ProviderMismatch { .. }
                | PasteError::Duration(_)
                | PasteError::ExpiresNow
                | PasteError::ExpiresBeyondJs
        )
    }
}

/// The name a pasted token's profile gets when no `--profile-id` is given:
/// `<provider>:manual`.
pub const PASTED_TOKEN_NAME: &str = "manual";

/// Where a paste goes, checked before the operator is asked for the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasteTarget {
    /// The normalised provider.
    pub provider: String,
    /// Where it is stored: `--profile-id`, or `<provider>:manual`.
    pub profile_id: String,
    /// The absolute expiry, when `--expires-in` was given.
    pub expires_ms: Option<Millis>,
}

/// A secret that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedPaste {
    /// The credential to store, of the kind the command pastes.
    pub credential: Credential,
    /// Characters kept, for the "read N characters" line (never the value).
    pub chars: usize,
    /// Whitespace and invisible characters removed from the paste.
    pub removed: usize,
}

impl PasteTarget {
    /// Checks `--provider`, `--profile-id` (default `<provider>:manual`) and
    /// `--expires-in` (a duration, default unit days) against `now`.
    pub fn new(
        provider: &str,
        profile_id: Option<&str>,
        expires_in: Option<&str>,
        now: Millis,
    ) -> Result<PasteTarget, PasteError> {
        if provider.chars().any(needs_escape) {
            return Err(PasteError::ProviderControl(crate::escape::escape_control(provider).into_owned()));
        }
        let provider = ProviderId::parse(provider);
        if provider.is_empty() {
            return Err(PasteError::EmptyProvider);
        }
        let profile_id = match profile_id {
            None => format!("{provider}:{PASTED_TOKEN_NAME}"),
            Some(id) => check_profile_id(id, &provider)?,
        };
        let expires_ms = expires_in.map(|raw| expiry_from(raw, now)).transpose()?;
        Ok(PasteTarget { provider: provider.into(), profile_id, expires_ms })
    }

    /// Cleans and checks the pasted bytes and builds the token credential.
    pub fn accept(&self, raw: &[u8]) -> Result<AcceptedPaste, PasteError> {
        if raw.len() > MAX_PASTE_INPUT_BYTES {
            return Err(PasteError::InputTooLong);
        }
        let text = std::str::from_utf8(raw).map_err(|_| PasteError::NotText)?;
        let token = clean_pasted_token(text)?;
        if token.chars().any(char::is_control) {
            return Err(PasteError::SecretControl);
        }
        if token.len() > MAX_SECRET_BYTES {
            return Err(PasteError::TooLong(token.len()));
        }
        if API_KEY_PREFIXES.iter().any(|p| token.starts_with(p)) {
            return Err(PasteError::ApiKeyAsToken);
        }
        let chars = token.chars().count();
        let removed = text.chars().count() - chars;
        let credential = Credential::Token(Token {
            provider: self.provider.clone(),
            token: Some(crate::secret::Secret::new(token)),
            expires: self.expires_ms.map(Expiry::from_millis),
            email: None,
        });
        Ok(AcceptedPaste { credential, chars, removed })
    }
}

/// The id as given (trimmed), or why it cannot hold a pasted token.
fn check_profile_id(raw: &str, provider: &ProviderId) -> Result<String, PasteError> {
    let id = raw.trim();
    if id.is_empty() {
        return Err(PasteError::EmptyProfileId);
    }
    if id.chars().any(needs_escape) {
        return Err(PasteError::ProfileIdControl(crate::escape::escape_control(id).into_owned()));
    }
    if is_reserved_profile_id(id) {
        return Err(PasteError::ReservedProfileId(id.to_string(), provider.to_string()));
    }
    if let Some((id_provider, name)) = id.split_once(':') {
        if !provider.names(id_provider) {
            return Err(PasteError::ProviderMismatch {
                id: id.to_string(),
                id_provider: id_provider.to_string(),
                provider: provider.to_string(),
            });
        }
        if name.trim().is_empty() {
            return Err(PasteError::EmptyProfileName(id.to_string(), provider.to_string()));
        }
    }
    Ok(id.to_string())
}

/// `now + duration`, refused when it is not in the future or past the
/// latest JavaScript date.
fn expiry_from(raw: &str, now: Millis) -> Result<Millis, PasteError> {
    let ms = crate::duration::DurationFlag::ExpiresIn.parse(raw)?;
    if ms <= 0 {
        return Err(PasteError::ExpiresNow);
    }
    match now.checked_add(ms) {
        Some(at) if at <= MAX_JS_DATE_MS => Ok(at),
        _ => Err(PasteError::ExpiresBeyondJs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_767_225_600_000;

    fn target(provider: &str, id: Option<&str>) -> Result<PasteTarget, PasteError> {
        PasteTarget::new(provider, id, None, NOW)
    }

    #[test]
    fn the_default_id_and_normalised_provider() {
        let t = target(" OpenAI ", None).unwrap();
        assert_eq!((t.provider.as_str(), t.profile_id.as_str()), ("openai", "openai:manual"));
        assert_eq!(target("openai", Some(" OpenAI:work ")).unwrap().profile_id, "OpenAI:work");
        assert_eq!(target("openai", Some("work")).unwrap().profile_id, "work");
    }

    #[test]
    fn ids_that_cannot_hold_a_paste_are_refused() {
        assert_eq!(target("", None), Err(PasteError::EmptyProvider));
        assert_eq!(target("openai", Some(" ")), Err(PasteError::EmptyProfileId));
        assert!(matches!(target("openai", Some("openai:")), Err(PasteError::EmptyProfileName(..))));
        assert!(matches!(target("openai", Some("anthropic:claude-cli")), Err(PasteError::ReservedProfileId(..))));
        assert!(matches!(target("anthropic", Some("anthropic:claude-cli")), Err(PasteError::ReservedProfileId(..))));
        assert!(matches!(target("openai", Some("anthropic:x")), Err(PasteError::ProviderMismatch { .. })));
        let err = target("openai", Some("x\u{1b}]0;T\u{7}")).unwrap_err();
        assert!(!err.to_string().contains('\u{1b}'), "{err}");
        assert!(matches!(target("open\u{1b}ai", None), Err(PasteError::ProviderControl(_))));
        assert!(target("openai", Some("anthropic:x")).unwrap_err().is_usage());
        assert!(!target("openai", Some("anthropic:claude-cli")).unwrap_err().is_usage(), "a reserved id is refused");
    }

    #[test]
    fn expiry_must_be_in_the_future_and_a_javascript_date() {
        let exp = |raw: &str| PasteTarget::new("openai", None, Some(raw), NOW).map(|t| t.expires_ms);
        assert_eq!(exp("1d"), Ok(Some(NOW + crate::time::DAY)));
        assert_eq!(exp("0"), Err(PasteError::ExpiresNow));
        assert_eq!(exp("0d"), Err(PasteError::ExpiresNow));
        assert_eq!(exp("99000000d"), Ok(Some(NOW + 99_000_000 * crate::time::DAY)));
        assert_eq!(exp("100000000d"), Err(PasteError::ExpiresBeyondJs), "8.64e15 ms from now is past it");
        assert_eq!(exp("200000000d"), Err(PasteError::ExpiresBeyondJs));
        assert!(matches!(exp("soon"), Err(PasteError::Duration(_))));
    }

    #[test]
    fn secrets_are_cleaned_then_checked() {
        let t = target("openai", None).unwrap();
        let ok = t.accept(b"  sk-abc\ndef \n").unwrap();
        assert_eq!((ok.chars, ok.removed), (9, 5));
        assert!(
            matches!(&ok.credential, Credential::Token(tok) if tok.token.as_ref().unwrap().expose() == "sk-abcdef")
        );
        assert_eq!(t.accept(b"abc\0def"), Err(PasteError::SecretControl));
        assert_eq!(t.accept(b"abc\x1b[2Jdef"), Err(PasteError::SecretControl));
        assert_eq!(t.accept(&[0u8; 100]), Err(PasteError::SecretControl));
        assert_eq!(t.accept(b"\xff\xfe"), Err(PasteError::NotText));
        assert_eq!(t.accept(b"\n"), Err(PasteError::Cleaning(setup_token::PastedTokenError::Empty)));
        assert_eq!(t.accept(&vec![b'a'; MAX_SECRET_BYTES]).map(|a| a.chars), Ok(MAX_SECRET_BYTES));
        assert_eq!(t.accept(&vec![b'a'; MAX_SECRET_BYTES + 1]), Err(PasteError::TooLong(MAX_SECRET_BYTES + 1)));
        let huge = vec![b'a'; MAX_PASTE_INPUT_BYTES + 1];
        assert_eq!(t.accept(&huge), Err(PasteError::InputTooLong));
        // Exactly the input limit is read and cleaned: a wrapped paste of a
        // secret at the limit, its whitespace removed.
        let mut wrapped = vec![b' '; MAX_PASTE_INPUT_BYTES];
        wrapped[..MAX_SECRET_BYTES].fill(b'a');
        assert_eq!(t.accept(&wrapped).map(|a| a.chars), Ok(MAX_SECRET_BYTES));
        // The limits' numbers (docs/cli.md): 16 KiB of secret, 256 KiB of input.
        assert_eq!((MAX_SECRET_BYTES, MAX_PASTE_INPUT_BYTES), (16_384, 262_144));
        assert_eq!(t.accept(b"sk-ant-api03-FAKE"), Err(PasteError::ApiKeyAsToken));
    }

    #[test]
    fn no_message_quotes_the_secret() {
        let t = target("openai", None).unwrap();
        for raw in [&b"SECRETVALUE\0"[..], b"sk-ant-api03-SECRETVALUE", b"SECRETVALUE#state"] {
            let message = t.accept(raw).unwrap_err().to_string();
            assert!(!message.contains("SECRETVALUE"), "{message}");
        }
    }
}
