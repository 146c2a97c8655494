//! Readers for every file besides the store, as functions of bytes.
//!
//! Each reader returns what it found plus diagnostics that name the field;
//! none of them can fail the whole load. A broken Claude Code file does not
//! hide a healthy store, and the reverse.

pub mod claude;
pub mod claude_overflow;
pub mod codex;
pub mod jwt;
pub mod legacy;

use crate::secret::Secret;
use crate::store::{Credential, OAuth, Profile, Token};
use crate::time::Expiry;

/// A login found in another CLI's files, ready to merge into the store.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalLogin {
    /// `anthropic:claude-cli` or `openai-codex:codex-cli`.
    pub profile_id: &'static str,
    /// The login as the store would hold it.
    pub credential: Credential,
    /// Where it came from, for messages ("Claude Code keychain", a path).
    pub origin: String,
}

impl ExternalLogin {
    /// The login as a store profile, with no extra fields.
    pub fn profile(&self) -> Profile {
        Profile::new(self.credential.clone())
    }
}

pub(crate) fn oauth(provider: &str, access: Secret, refresh: Secret, expires: Expiry) -> Credential {
    Credential::OAuth(OAuth {
        provider: provider.to_string(),
        access: Some(access),
        refresh: Some(refresh),
        expires: Some(expires),
        ..OAuth::default()
    })
}

pub(crate) fn token(provider: &str, token: Secret, expires: Expiry) -> Credential {
    Credential::Token(Token { provider: provider.to_string(), token: Some(token), expires: Some(expires), email: None })
}
