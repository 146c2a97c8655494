//! `auth-profiles.json`, the per-agent credential store (version 1).
//!
//! The model is typed where rules need types and lossless everywhere else:
//! every profile keeps the fields this version does not know, a known field
//! of the wrong type is kept as it was (and reported), and a profile whose
//! `type` is not one we understand is shelved and written back untouched
//! instead of being dropped as the reference does.

mod beyond;
mod parse;
mod txn;
mod write;

pub use parse::parse_store;
pub use txn::TxnFailure;
pub use write::{WriteRefused, store_to_json, write_store};

use crate::secret::Secret;
use crate::time::{Expiry, ExpiryKind};
use serde_json::{Map, Value};

/// The profile store's file name inside an agent folder.
pub const STORE_FILENAME: &str = "auth-profiles.json";
/// The pre-store single-profile file's name (also Codex CLI's `auth.json`),
/// read only for migration.
pub const LEGACY_STORE_FILENAME: &str = "auth.json";
/// The `version` this crate reads and writes.
pub const STORE_VERSION: i64 = 1;

/// The largest credential file a host reads; anything bigger is refused
/// unread (every such file is a small JSON document, and a huge one is a
/// mistake or an attack). The same number bounds every write: a writer that
/// produced a bigger file would lock every later reader out of it, and of
/// every good credential it holds.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Ordered map used throughout the store: file order is kept.
pub type OrderedMap<V> = indexmap::IndexMap<String, V, foldhash::fast::FixedState>;

/// One agent's `auth-profiles.json`, every part of it kept so that a rewrite
/// loses nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuthStore {
    /// The `version` the file declared when it is newer than
    /// `STORE_VERSION`: such a store may hold fields whose meaning we do
    /// not know, so it is read (best effort) but never rewritten as
    /// version 1 ([`AuthStore::writable`]). Any other version reads as 1.
    pub newer_version: Option<serde_json::Number>,
    /// The profiles by id (`profiles`), in file order.
    pub profiles: OrderedMap<Profile>,
    /// Per-agent order override: provider key -> profile ids.
    pub order: OrderedMap<Vec<String>>,
    /// Last profile that completed a run, per provider. Never used to order.
    pub last_good: OrderedMap<String>,
    /// Round-robin and cooldown state per profile id (`usageStats`).
    pub usage_stats: OrderedMap<UsageStats>,
    /// Profiles with a `type` this version does not understand, kept as read.
    pub shelved: Map<String, Value>,
    /// Top-level keys this version does not know, kept as read.
    pub extra: Map<String, Value>,
    /// What this agent sees through from the agent it inherits from.
    pub inherited: Option<Inherited>,
}

/// The profiles an agent sees through from its owner (the main agent),
/// by id, as the owner holds them. They are in [`AuthStore::profiles`]
/// too, where the rules see them, but they are the owner's: the writer
/// never puts them in this agent's file, so no secret is copied. A
/// profile an edit changed is this agent's own from then on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inherited {
    /// The owner's agent id.
    pub from: String,
    /// Its profiles this agent does not hold itself.
    pub profiles: OrderedMap<Profile>,
    /// The profiles this agent holds with the very credential the owner
    /// holds under the same id: copies an older sync made, which doctor
    /// offers to drop (the agent then inherits them).
    pub copies: Vec<String>,
}

impl AuthStore {
    /// The agent `id` is seen through from, when it is not this store's
    /// own (inherited and unchanged).
    pub fn inherited_from(&self, id: &str) -> Option<&str> {
        let inherited = self.inherited.as_ref()?;
        let theirs = inherited.profiles.get(id)?;
        (self.profiles.get(id) == Some(theirs)).then_some(inherited.from.as_str())
    }
}

/// One entry of `profiles`: its credential and whatever else it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The credential, by its `type`.
    pub credential: Credential,
    /// Unknown fields, and known fields whose value had the wrong type.
    pub extra: Map<String, Value>,
}

impl Profile {
    /// A profile holding only `credential`, with no extra fields.
    pub fn new(credential: Credential) -> Self {
        Profile { credential, extra: Map::new() }
    }
}

/// The three kinds of credential a profile can hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Credential {
    /// `"type": "api_key"`.
    ApiKey(ApiKey),
    /// `"type": "token"`.
    Token(Token),
    /// `"type": "oauth"`.
    OAuth(OAuth),
}

/// A credential's `type`, without its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CredentialType {
    /// A static key (`api_key`).
    ApiKey,
    /// A static bearer token (`token`).
    Token,
    /// A refreshable login (`oauth`).
    OAuth,
}

impl CredentialType {
    /// The `type` value as the store spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialType::ApiKey => "api_key",
            CredentialType::Token => "token",
            CredentialType::OAuth => "oauth",
        }
    }

    /// The kind a `type` value names; `None` for one this version does not know
    /// (such a profile is shelved).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "api_key" => Some(CredentialType::ApiKey),
            "token" => Some(CredentialType::Token),
            "oauth" => Some(CredentialType::OAuth),
            _ => None,
        }
    }
}

/// A static key. Always usable, never expires.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiKey {
    /// Provider id as the file spells it (not normalised); compare with
    /// [`crate::provider::same`].
    pub provider: String,
    /// The key (`key`); `None` when absent or not a string.
    pub key: Option<Secret>,
    /// The account it belongs to (`email`), shown in labels only.
    pub email: Option<String>,
}

/// A static bearer token (a setup-token, a PAT). Never refreshed; unusable
/// once a meaningful `expires` has passed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Token {
    /// Provider id as the file spells it (not normalised); compare with
    /// [`crate::provider::same`].
    pub provider: String,
    /// The bearer token (`token`); `None` when absent or not a string.
    pub token: Option<Secret>,
    /// When it stops working (`expires`, ms since the epoch); `None` or a
    /// meaningless value: it never does ([`Token::expiry`]).
    pub expires: Option<Expiry>,
    /// The account it belongs to (`email`), shown in labels only.
    pub email: Option<String>,
}

/// A refreshable OAuth login.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OAuth {
    /// Provider id as the file spells it (not normalised); compare with
    /// [`crate::provider::same`].
    pub provider: String,
    /// The access token (`access`) sent to the model API.
    pub access: Option<Secret>,
    /// The refresh token (`refresh`) that renews `access`; `None`: the login
    /// cannot be refreshed.
    pub refresh: Option<Secret>,
    /// When `access` expires (`expires`, ms since the epoch, already minus the
    /// provider's margin); `None`: unknown ([`OAuth::expiry`]).
    pub expires: Option<Expiry>,
    /// When the sign-in ends for good (`refreshExpires`, ms since the
    /// epoch): the refresh token stops working then, whatever refreshing
    /// does. Claude Code's `refreshTokenExpiresAt`; `None`: not known
    /// ([`OAuth::sign_in_ends`]).
    pub refresh_expires: Option<Expiry>,
    /// The account it belongs to (`email`), shown in labels only.
    pub email: Option<String>,
    /// GitHub Copilot on an enterprise host.
    pub enterprise_url: Option<String>,
    /// google-gemini-cli and google-antigravity.
    pub project_id: Option<String>,
    /// openai-codex workspace billing.
    pub account_id: Option<String>,
}

impl Credential {
    /// Which of the three kinds this is.
    pub fn kind(&self) -> CredentialType {
        match self {
            Credential::ApiKey(_) => CredentialType::ApiKey,
            Credential::Token(_) => CredentialType::Token,
            Credential::OAuth(_) => CredentialType::OAuth,
        }
    }

    /// Provider id as the file spells it (not normalised).
    pub fn provider(&self) -> &str {
        match self {
            Credential::ApiKey(c) => &c.provider,
            Credential::Token(c) => &c.provider,
            Credential::OAuth(c) => &c.provider,
        }
    }

    /// The account it belongs to, when the file says.
    pub fn email(&self) -> Option<&str> {
        match self {
            Credential::ApiKey(c) => c.email.as_deref(),
            Credential::Token(c) => c.email.as_deref(),
            Credential::OAuth(c) => c.email.as_deref(),
        }
    }

    /// The stored `expires`, as written; `None` for an API key or when absent.
    pub fn expires(&self) -> Option<&Expiry> {
        match self {
            Credential::ApiKey(_) => None,
            Credential::Token(c) => c.expires.as_ref(),
            Credential::OAuth(c) => c.expires.as_ref(),
        }
    }

    /// The secret a client would be handed (an OAuth login's access token,
    /// else its refresh token); `None` when it holds none, or only blanks.
    pub fn secret(&self) -> Option<&Secret> {
        fn held(s: &Option<Secret>) -> Option<&Secret> {
            s.as_ref().filter(|s| !s.is_blank())
        }
        match self {
            Credential::ApiKey(k) => held(&k.key),
            Credential::Token(t) => held(&t.token),
            Credential::OAuth(o) => held(&o.access).or(held(&o.refresh)),
        }
    }

    /// What makes it this credential and no other: the key, the token, or
    /// a login's refresh token (its access token renews; a new refresh
    /// token is a new login), trimmed. `None` when it holds none.
    pub fn identity(&self) -> Option<&str> {
        let s = match self {
            Credential::ApiKey(k) => k.key.as_ref(),
            Credential::Token(t) => t.token.as_ref(),
            Credential::OAuth(o) => o.refresh.as_ref().filter(|r| !r.is_blank()).or(o.access.as_ref()),
        };
        s.map(|s| s.expose().trim()).filter(|s| !s.is_empty())
    }

    /// What its expiry tells the rules: an API key never expires, a token
    /// without a meaningful `expires` never does either, a login without
    /// one expires at an unknown time.
    pub fn expiry(&self) -> ExpiryKind {
        match self {
            Credential::ApiKey(_) => ExpiryKind::Never,
            Credential::Token(t) => t.expiry(),
            Credential::OAuth(o) => o.expiry(),
        }
    }
}

impl Token {
    /// [`Credential::expiry`] of a static token.
    pub fn expiry(&self) -> ExpiryKind {
        ExpiryKind::of_static(self.expires.as_ref())
    }
}

impl OAuth {
    /// [`Credential::expiry`] of a login.
    pub fn expiry(&self) -> ExpiryKind {
        ExpiryKind::of_expiring(self.expires.as_ref())
    }

    /// When the sign-in ends for good, when the file says so with a
    /// meaningful time (`0` or a negative number says nothing).
    pub fn sign_in_ends(&self) -> Option<crate::time::Instant> {
        ExpiryKind::of_expiring(self.refresh_expires.as_ref()).at()
    }
}

/// Round-robin and cooldown state of one profile (`usageStats[id]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UsageStats {
    /// When it was last picked for a run (`lastUsed`, ms since the epoch).
    pub last_used: Option<f64>,
    /// Skipped for rotation until then (`cooldownUntil`, ms since the epoch).
    pub cooldown_until: Option<f64>,
    /// Not used at all until then (`disabledUntil`, ms since the epoch), e.g.
    /// after a billing failure.
    pub disabled_until: Option<f64>,
    /// Why it is disabled (`disabledReason`, e.g. `billing`).
    pub disabled_reason: Option<String>,
    /// Failures in the current window (`errorCount`); drives the cooldown's
    /// length.
    pub error_count: Option<f64>,
    /// Failures per reason in the current window (`failureCounts`: reason ->
    /// count).
    pub failure_counts: OrderedMap<f64>,
    /// When it last failed (`lastFailureAt`, ms since the epoch); an old one
    /// starts a new window.
    pub last_failure_at: Option<f64>,
    /// Unknown fields, and known ones whose value had the wrong type.
    pub extra: Map<String, Value>,
}

impl UsageStats {
    /// The reference's `resolveProfileUnusableUntil`: the later of the two
    /// backoffs, counting only finite values above zero.
    pub fn unusable_until(&self) -> Option<f64> {
        [self.cooldown_until, self.disabled_until]
            .into_iter()
            .flatten()
            .filter(|v| v.is_finite() && *v > 0.0)
            .reduce(f64::max)
    }

    /// Whether nothing at all is recorded, so the entry can be dropped.
    pub fn is_empty(&self) -> bool {
        *self == UsageStats::default()
    }
}

impl AuthStore {
    /// Whether [`write_store`] would write this store; hosts ask before
    /// doing anything that only makes sense if the result can be saved
    /// (a refresh spends the old refresh token).
    pub fn writable(&self) -> Result<(), WriteRefused> {
        match &self.newer_version {
            Some(v) => Err(WriteRefused::NewerVersion { found: v.to_string() }),
            None => Ok(()),
        }
    }

    /// The profile stored under `id`, if any.
    pub fn profile(&self, id: &str) -> Option<&Profile> {
        self.profiles.get(id)
    }

    /// The credential of the profile stored under `id`, if any.
    pub fn credential(&self, id: &str) -> Option<&Credential> {
        self.profiles.get(id).map(|p| &p.credential)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(cooldown: Option<f64>, disabled: Option<f64>) -> UsageStats {
        UsageStats { cooldown_until: cooldown, disabled_until: disabled, ..UsageStats::default() }
    }

    #[test]
    fn the_file_size_limit_is_64_mib() {
        // The hosts read and write no credential file above this; docs
        // and error messages say 64 MiB.
        assert_eq!(MAX_FILE_BYTES, 67_108_864);
    }

    #[test]
    fn unusable_until_is_the_later_finite_positive_backoff() {
        assert_eq!(stats(Some(5.0), Some(9.0)).unusable_until(), Some(9.0));
        assert_eq!(stats(Some(9.0), Some(5.0)).unusable_until(), Some(9.0));
        assert_eq!(stats(None, Some(5.0)).unusable_until(), Some(5.0));
        assert_eq!(stats(Some(0.0), None).unusable_until(), None, "zero is no backoff");
        assert_eq!(stats(Some(-1.0), Some(0.0)).unusable_until(), None);
        assert_eq!(stats(Some(f64::INFINITY), Some(3.0)).unusable_until(), Some(3.0), "infinity is ignored");
        assert_eq!(stats(Some(f64::NAN), None).unusable_until(), None);
        assert_eq!(stats(None, None).unusable_until(), None);
    }

    #[test]
    fn usage_stats_are_empty_only_when_every_field_is_unset() {
        assert!(UsageStats::default().is_empty());
        assert!(!stats(Some(1.0), None).is_empty());
        let mut extra = UsageStats::default();
        extra.extra.insert("x".into(), Value::Null);
        assert!(!extra.is_empty());
    }

    #[test]
    fn profile_and_credential_look_up_by_id() {
        let mut store = AuthStore::default();
        let key = Credential::ApiKey(ApiKey { provider: "openai".into(), ..ApiKey::default() });
        store.profiles.insert("openai:k".into(), Profile::new(key.clone()));
        assert_eq!(store.profile("openai:k").map(|p| &p.credential), Some(&key));
        assert_eq!(store.credential("openai:k"), Some(&key));
        assert!(store.profile("openai:other").is_none() && store.credential("openai:other").is_none());
    }

    #[test]
    fn credential_accessors_and_type_names() {
        let token = Credential::Token(Token {
            provider: "anthropic".into(),
            expires: Some(Expiry::from_millis(7)),
            email: Some("me@example.com".into()),
            ..Token::default()
        });
        assert_eq!(token.kind(), CredentialType::Token);
        assert_eq!(token.provider(), "anthropic");
        assert_eq!(token.email(), Some("me@example.com"));
        assert_eq!(token.expires().map(Expiry::ms), Some(7.0));
        let key = Credential::ApiKey(ApiKey { provider: "openai".into(), ..ApiKey::default() });
        assert!(key.expires().is_none() && key.email().is_none());
        for t in [CredentialType::ApiKey, CredentialType::Token, CredentialType::OAuth] {
            assert_eq!(CredentialType::parse(t.as_str()), Some(t));
        }
        assert_eq!(CredentialType::OAuth.as_str(), "oauth");
        assert_eq!(CredentialType::parse("API_KEY"), None);
    }
}
