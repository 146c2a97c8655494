//! The rules for a credential an operator types or pastes
//! (`models auth paste-token`, `paste-api-key`, `setup-token`, `add`).
//!
//! A careless paste used to brick an agent: twelve megabytes of NUL bytes
//! were stored as a "token", the store grew past the readers' size cap,
//! and from then on every command refused the store and every good key in
//! it. So everything about a paste is checked here, before anything is
//! written: where it goes ([`PasteTarget::new`], [`PasteTarget::api_key`],
//! [`PasteTarget::setup_token`]: provider, profile id, expiry, each verb's
//! default id, one id check for all of them), what it is
//! ([`PasteTarget::accept`]: text, no control characters, a sane length, a
//! token rather than an API key), and what storing it may replace
//! ([`PasteTarget::place`]: never a credential of another type unasked).
//! The host only reads standard input and prints. No message ever quotes
//! the secret.

use crate::escape::{escape_control, needs_escape};
use crate::provider::ProviderId;
use crate::setup_token::{self, clean_pasted_token};
use crate::store::{ApiKey, AuthStore, Credential, CredentialType, Profile, Token};
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
    /// `--profile-id` is not `<provider>:<name>`: no `:`, or nothing before
    /// it (the id, and the provider for the example).
    #[error("--profile-id {0} is not of the form <provider>:<name>")]
    NoProviderPart(String, String),
    /// `--profile-id` has whitespace inside it (the id, and the provider for
    /// the example).
    #[error("--profile-id {0:?} has whitespace inside it")]
    ProfileIdSpace(String, String),
    /// `--profile-id` is a login source's profile id, which the sync overwrites
    /// (the id, and the provider for the example).
    #[error(
        "--profile-id {0} is where the sync keeps that tool's own login, and the next sync would \
         overwrite a pasted credential"
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
    /// A pasted API key is longer than [`MAX_API_KEY_INPUT_BYTES`].
    #[error("the input is larger than {} KiB; no API key is", MAX_API_KEY_INPUT_BYTES / 1024)]
    KeyInputTooLong,
    /// A pasted API key was refused (empty, or more than one word).
    #[error(transparent)]
    Key(#[from] setup_token::ApiKeyError),
    /// The id holds a credential of another type, which the paste would
    /// replace; nobody said it may.
    #[error("{id} holds {held}; storing this {pasted} there would replace it, so nothing was stored")]
    WouldReplace {
        /// The profile id.
        id: String,
        /// What it holds, in words (`a token (expires in 200d)`).
        held: String,
        /// The type pasted (`api_key`).
        pasted: &'static str,
        /// The provider, for the example id.
        provider: String,
    },
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
                | PasteError::NoProviderPart(..)
                | PasteError::ProfileIdSpace(..)
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

/// The name a pasted API key's profile gets when no `--profile-id` is
/// given: `<provider>:default`, as onboarding stores keys (A75).
pub const PASTED_KEY_NAME: &str = "default";
/// The name a login's profile takes when `--profile-id` is not given.
pub const LOGIN_NAME: &str = "default";

/// How long a setup-token lives unless `--expires-in` says otherwise (what
/// `claude setup-token` issues).
pub const SETUP_TOKEN_EXPIRES_IN: &str = "365d";

/// The most a pasted API key may take, line end included. The longest
/// provider keys are a few hundred bytes; more is a paste of something
/// else. The host reads one byte past [`MAX_PASTE_INPUT_BYTES`], so a
/// longer input is refused here, never cut short and stored.
pub const MAX_API_KEY_INPUT_BYTES: usize = 64 * 1024;

/// Where a paste goes, checked before the operator is asked for the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasteTarget {
    /// The normalised provider.
    pub provider: String,
    /// Where it is stored: `--profile-id`, or the verb's default.
    pub profile_id: String,
    /// The absolute expiry, when `--expires-in` was given.
    pub expires_ms: Option<Millis>,
    /// What is stored: a `token` or an `api_key`.
    pub kind: CredentialType,
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

/// What a paste did to its profile id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    /// Nothing was stored there.
    Added,
    /// A credential of this type was replaced.
    Replaced(CredentialType),
    /// A profile of a type this version does not know was replaced.
    ReplacedUnknown,
}

impl Placed {
    /// How the paste's answer says it: `added`, `replaced the token stored
    /// before`.
    pub fn words(self) -> String {
        match self {
            Placed::Added => "added".into(),
            Placed::Replaced(kind) => format!("replaced the {} stored before", noun(kind)),
            Placed::ReplacedUnknown => "replaced the profile of an unknown type stored before".into(),
        }
    }
}

impl PasteTarget {
    /// `models auth paste-token` and `add`: checks `--provider`,
    /// `--profile-id` (default `<provider>:manual`) and `--expires-in` (a
    /// duration, default unit days) against `now`.
    pub fn new(
        provider: &str,
        profile_id: Option<&str>,
        expires_in: Option<&str>,
        now: Millis,
    ) -> Result<PasteTarget, PasteError> {
        let provider = checked_provider(provider)?;
        let profile_id = checked_or_default(profile_id, &provider, PASTED_TOKEN_NAME)?;
        let expires_ms = expires_in.map(|raw| expiry_from(raw, now)).transpose()?;
        Ok(PasteTarget { provider: provider.into(), profile_id, expires_ms, kind: CredentialType::Token })
    }

    /// `models auth paste-api-key`: `--provider` and `--profile-id`
    /// (default `<provider>:default`), checked as a token's.
    pub fn api_key(provider: &str, profile_id: Option<&str>) -> Result<PasteTarget, PasteError> {
        let provider = checked_provider(provider)?;
        let profile_id = checked_or_default(profile_id, &provider, PASTED_KEY_NAME)?;
        Ok(PasteTarget { provider: provider.into(), profile_id, expires_ms: None, kind: CredentialType::ApiKey })
    }

    /// `models auth login`: an OAuth login of `provider` under
    /// `--profile-id` (default `<provider>:default`), checked as a paste's.
    pub fn login(provider: &str, profile_id: Option<&str>) -> Result<PasteTarget, PasteError> {
        let provider = checked_provider(provider)?;
        let profile_id = checked_or_default(profile_id, &provider, LOGIN_NAME)?;
        Ok(PasteTarget { provider: provider.into(), profile_id, expires_ms: None, kind: CredentialType::OAuth })
    }

    /// `models auth setup-token`: a token of the provider the registry
    /// gives setup-tokens to, under `--profile-id` (default the registry's
    /// id, `anthropic:default`), expiring after `--expires-in` (default
    /// [`SETUP_TOKEN_EXPIRES_IN`]).
    pub fn setup_token(
        profile_id: Option<&str>,
        expires_in: Option<&str>,
        now: Millis,
    ) -> Result<PasteTarget, PasteError> {
        let spec = crate::providers::SETUP_TOKEN;
        let id = profile_id.or(spec.setup_token);
        PasteTarget::new(spec.id, id, Some(expires_in.unwrap_or(SETUP_TOKEN_EXPIRES_IN)), now)
    }

    /// Cleans and checks the pasted bytes and builds the credential of the
    /// target's kind.
    pub fn accept(&self, raw: &[u8]) -> Result<AcceptedPaste, PasteError> {
        if self.kind == CredentialType::ApiKey {
            return self.accept_key(raw);
        }
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

    /// An API key: at most [`MAX_API_KEY_INPUT_BYTES`], UTF-8, one word once
    /// its line ends are gone ([`setup_token::clean_pasted_api_key`]).
    fn accept_key(&self, raw: &[u8]) -> Result<AcceptedPaste, PasteError> {
        if raw.len() > MAX_API_KEY_INPUT_BYTES {
            return Err(PasteError::KeyInputTooLong);
        }
        let text = std::str::from_utf8(raw).map_err(|_| PasteError::NotText)?;
        let key = setup_token::clean_pasted_api_key(text)?;
        let chars = key.chars().count();
        let removed = text.chars().count() - chars;
        let credential = Credential::ApiKey(ApiKey {
            provider: self.provider.clone(),
            key: Some(crate::secret::Secret::new(key)),
            email: None,
        });
        Ok(AcceptedPaste { credential, chars, removed })
    }

    /// What the id holds that storing this paste would replace without
    /// being the same type: `Some(words)` for a credential of another type
    /// (or a profile of a type this version does not know), which only an
    /// operator's yes or `--force` may replace.
    pub fn replaces_other(&self, store: &AuthStore, now: Millis) -> Option<String> {
        let id = self.profile_id.as_str();
        match store.profiles.get(id) {
            Some(p) if p.credential.kind() == self.kind => None,
            Some(p) => Some(held_words(&p.credential, now)),
            None => store.shelved.get(id).map(|raw| {
                let kind = raw.get("type").and_then(serde_json::Value::as_str).unwrap_or("?");
                format!("a profile of type {:?}, which this version does not know", escape_control(kind))
            }),
        }
    }

    /// Stores `credential` under the id, in `store` as read under the lock:
    /// the one write of every paste verb. A credential of another type there
    /// is replaced only when `replace_other` (the operator said yes, or
    /// `--force`); otherwise nothing changes and the refusal says what it
    /// holds.
    pub fn place(
        &self,
        store: &mut AuthStore,
        credential: Credential,
        replace_other: bool,
        now: Millis,
    ) -> Result<Placed, PasteError> {
        self.place_profile(store, Profile::new(credential), replace_other, now)
    }

    /// [`PasteTarget::place`] of a whole profile (a credential with a
    /// SecretRef beside it, `--ref`).
    pub fn place_profile(
        &self,
        store: &mut AuthStore,
        profile: Profile,
        replace_other: bool,
        now: Millis,
    ) -> Result<Placed, PasteError> {
        if let Some(held) = self.replaces_other(store, now)
            && !replace_other
        {
            return Err(self.would_replace(held));
        }
        let id = self.profile_id.clone();
        let unknown = store.shelved.shift_remove(&id).is_some();
        let before = store.profiles.insert(id, profile);
        Ok(match before {
            Some(p) => Placed::Replaced(p.credential.kind()),
            None if unknown => Placed::ReplacedUnknown,
            None => Placed::Added,
        })
    }

    /// The refusal to replace what the id holds (`held`, in words).
    pub fn would_replace(&self, held: String) -> PasteError {
        PasteError::WouldReplace {
            id: escape_control(&self.profile_id).into_owned(),
            held,
            pasted: noun(self.kind),
            provider: self.provider.clone(),
        }
    }
}

/// A credential type as the paste verbs name it: its type name, and a
/// login for `oauth` ("replaced the oauth login stored before").
fn noun(kind: CredentialType) -> &'static str {
    match kind {
        CredentialType::OAuth => "oauth login",
        other => other.as_str(),
    }
}

/// A stored credential in words, for the question before replacing it:
/// `a token (expires in 200d)`, `an api_key`, `an oauth login`.
fn held_words(credential: &Credential, now: Millis) -> String {
    let kind = credential.kind();
    let what = match kind {
        CredentialType::ApiKey => "an api_key".to_string(),
        CredentialType::Token => "a token".to_string(),
        CredentialType::OAuth => "an oauth login".to_string(),
    };
    match credential.expiry() {
        crate::time::ExpiryKind::At(at) if kind != CredentialType::ApiKey => {
            let remaining = at.remaining(now);
            let when = crate::remaining::format_remaining_short(Some(remaining.abs()));
            match remaining > 0.0 {
                true => format!("{what} (expires in {when})"),
                false => format!("{what} (expired {when} ago)"),
            }
        }
        _ => what,
    }
}

/// `--provider`, normalised, or why it cannot be one.
fn checked_provider(provider: &str) -> Result<ProviderId, PasteError> {
    if provider.chars().any(needs_escape) {
        return Err(PasteError::ProviderControl(escape_control(provider).into_owned()));
    }
    let provider = ProviderId::parse(provider);
    if provider.is_empty() {
        return Err(PasteError::EmptyProvider);
    }
    Ok(provider)
}

/// `--profile-id` checked, or `<provider>:<default_name>`.
fn checked_or_default(raw: Option<&str>, provider: &ProviderId, default_name: &str) -> Result<String, PasteError> {
    match raw {
        None => Ok(format!("{provider}:{default_name}")),
        Some(id) => check_profile_id(id, provider),
    }
}

/// The id as given (trimmed), or why it cannot hold a pasted credential:
/// the one id check of every paste verb. An id is `<provider>:<name>`, its
/// provider part naming `--provider` (in any spelling), its name not
/// empty, with no whitespace or control character anywhere, and not an id
/// a login source's sync writes ([`is_reserved_profile_id`]).
fn check_profile_id(raw: &str, provider: &ProviderId) -> Result<String, PasteError> {
    let id = raw.trim();
    if id.is_empty() {
        return Err(PasteError::EmptyProfileId);
    }
    if id.chars().any(needs_escape) {
        return Err(PasteError::ProfileIdControl(escape_control(id).into_owned()));
    }
    if is_reserved_profile_id(id) {
        return Err(PasteError::ReservedProfileId(id.to_string(), provider.to_string()));
    }
    if id.chars().any(char::is_whitespace) {
        return Err(PasteError::ProfileIdSpace(id.to_string(), provider.to_string()));
    }
    let Some((id_provider, name)) = id.split_once(':').filter(|(p, _)| !p.is_empty()) else {
        return Err(PasteError::NoProviderPart(id.to_string(), provider.to_string()));
    };
    if !provider.names(id_provider) {
        return Err(PasteError::ProviderMismatch {
            id: id.to_string(),
            id_provider: id_provider.to_string(),
            provider: provider.to_string(),
        });
    }
    if name.is_empty() {
        return Err(PasteError::EmptyProfileName(id.to_string(), provider.to_string()));
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
        assert_eq!(target("z.ai", Some("zai:me@example.com")).unwrap().profile_id, "zai:me@example.com");
    }

    #[test]
    fn each_verb_has_its_default_id_and_one_id_check() {
        let key = PasteTarget::api_key(" OpenAI ", None).unwrap();
        assert_eq!((key.profile_id.as_str(), key.kind), ("openai:default", CredentialType::ApiKey));
        let setup = PasteTarget::setup_token(None, None, NOW).unwrap();
        assert_eq!((setup.provider.as_str(), setup.profile_id.as_str()), ("anthropic", "anthropic:default"));
        assert_eq!(setup.expires_ms, Some(NOW + 365 * crate::time::DAY));
        // Every id paste-token refuses, paste-api-key and setup-token refuse
        // the same way (issue 23 item 4).
        let ids = [
            ("anthropic:x", "openai"),
            (":x", "openai"),
            ("openai", "openai"),
            ("x", "openai"),
            ("openai: x", "openai"),
            ("openai:a b", "openai"),
            ("openai:", "openai"),
            ("openai:\u{1b}[2J", "openai"),
            ("openai-codex:codex-cli", "openai"),
            ("openai-codex:codex-cli", "openai-codex"),
            ("anthropic:claude-cli", "anthropic"),
            ("openai:x", "anthropic"),
            (" ", "anthropic"),
        ];
        for (id, provider) in ids {
            let token = target(provider, Some(id)).unwrap_err();
            assert_eq!(PasteTarget::api_key(provider, Some(id)), Err(token.clone()), "{id}");
            if provider == "anthropic" {
                assert_eq!(PasteTarget::setup_token(Some(id), None, NOW), Err(token), "{id}");
            }
        }
        assert!(matches!(target("openai", Some("openai")), Err(PasteError::NoProviderPart(..))));
        assert!(matches!(target("openai", Some(":x")), Err(PasteError::NoProviderPart(..))));
        assert!(matches!(target("openai", Some("openai: x")), Err(PasteError::ProfileIdSpace(..))));
        assert!(target("openai", Some("openai: x")).unwrap_err().is_usage());
    }

    #[test]
    fn a_credential_of_another_type_is_replaced_only_when_allowed_and_every_replacement_is_said() {
        let token = PasteTarget::setup_token(None, None, NOW).unwrap();
        let key = PasteTarget::api_key("anthropic", None).unwrap();
        let mut store = AuthStore::default();
        let pasted = |t: &PasteTarget, raw: &str| t.accept(raw.as_bytes()).unwrap().credential;
        let setup = format!("sk-ant-oat01-{}", "A".repeat(80));
        assert_eq!(token.place(&mut store, pasted(&token, &setup), false, NOW), Ok(Placed::Added));
        // The key would replace the 1-year token: refused, the store as it was.
        let before = store.clone();
        let refused = key.place(&mut store, pasted(&key, "sk-ant-api03-FAKE"), false, NOW).unwrap_err();
        assert_eq!(store, before);
        assert_eq!(
            refused.to_string(),
            "anthropic:default holds a token (expires in 365d); storing this api_key there would replace it, \
             so nothing was stored"
        );
        assert!(!refused.is_usage());
        assert_eq!(key.replaces_other(&store, NOW).as_deref(), Some("a token (expires in 365d)"));
        // Allowed, it replaces, and says what.
        let placed = key.place(&mut store, pasted(&key, "sk-ant-api03-FAKE"), true, NOW);
        assert_eq!(placed, Ok(Placed::Replaced(CredentialType::Token)));
        assert_eq!(placed.unwrap().words(), "replaced the token stored before");
        // The same type replaces without asking, and says so too.
        assert_eq!(key.replaces_other(&store, NOW), None);
        let again = key.place(&mut store, pasted(&key, "sk-ant-api03-FAKE2"), false, NOW);
        assert_eq!(again, Ok(Placed::Replaced(CredentialType::ApiKey)));
        // A profile of a type this version does not know counts as another type.
        store.shelved.insert("anthropic:odd".into(), serde_json::json!({"type": "future"}));
        let odd = PasteTarget::api_key("anthropic", Some("anthropic:odd")).unwrap();
        assert!(odd.replaces_other(&store, NOW).is_some_and(|w| w.contains("\"future\"")));
        assert_eq!(odd.place(&mut store, pasted(&odd, "k"), true, NOW), Ok(Placed::ReplacedUnknown));
        assert!(!store.shelved.contains_key("anthropic:odd"));
    }

    #[test]
    fn an_api_key_is_one_word_of_text_within_its_limit() {
        let key = PasteTarget::api_key("openai", None).unwrap();
        let ok = key.accept(b" sk-FAKE-key\r\n").unwrap();
        assert_eq!((ok.chars, ok.removed), (11, 3));
        assert!(matches!(&ok.credential, Credential::ApiKey(k) if k.key.as_ref().unwrap().expose() == "sk-FAKE-key"));
        assert_eq!(key.accept(b"\xff"), Err(PasteError::NotText));
        assert_eq!(key.accept(b"a b"), Err(PasteError::Key(setup_token::ApiKeyError::InnerSpace)));
        assert_eq!(key.accept(b"\n"), Err(PasteError::Key(setup_token::ApiKeyError::Empty)));
        assert_eq!(key.accept(&vec![b'k'; MAX_API_KEY_INPUT_BYTES + 1]), Err(PasteError::KeyInputTooLong));
        assert!(key.accept(&vec![b'k'; MAX_API_KEY_INPUT_BYTES]).is_ok());
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
