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

/// A login another CLI itself found ended for good: its refresh was refused
/// and it left a stub where the login was (Claude Code's `loginEnded`).
/// Never synced; status and doctor show it as a sign-in that ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedLogin {
    /// The store profile its login is synced into (`anthropic:claude-cli`).
    pub profile_id: &'static str,
    /// That profile's provider.
    pub provider: &'static str,
    /// Why, as the tool wrote it (`time_limit`), control characters
    /// removed; `None` when it did not say.
    pub reason: Option<String>,
    /// Where the stub was read, for messages (a path or the Keychain item).
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
