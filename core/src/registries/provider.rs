//! Provider ids as the rules compare them.
//!
//! One rule everywhere (A34): two provider ids name the same provider when
//! their normal forms are equal. A store and a config that both say
//! `OpenRouter` once gave a false "Missing auth" because the report
//! compared them exactly while `models auth token` normalised. An id read
//! from a request or a flag becomes a [`ProviderId`] once, where it is
//! read; ids still held as text (a stored profile's `provider`) compare
//! through [`same`] or [`normalized`]. The folding itself, aliases included,
//! is the registry's (`providers`).

use crate::providers::{self, ProviderSpec};
use crate::store::{AuthStore, Profile};
use std::borrow::Cow;
use std::fmt;

/// A provider id in its normal form (`" Z.AI "` is `zai`), made once when
/// it is parsed so that no later comparison forgets to normalise.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ProviderId(String);

impl ProviderId {
    /// The normal form of `raw`: trimmed, lower-cased, an alias folded into
    /// its provider's id.
    pub fn parse(raw: &str) -> Self {
        ProviderId(normalize(raw))
    }

    /// The id as profiles and configs spell it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a stored `provider` text names this provider.
    pub fn names(&self, stored: &str) -> bool {
        // Nearly every stored id is already normal: equal to this one, it
        // names it, because a normal form normalises to itself (the
        // registry's `a_normal_form_is_its_own_normal_form`).
        stored == self.0 || normalized(stored) == self.0
    }

    /// Its registry entry, when the core has data for it.
    pub fn spec(&self) -> Option<&'static ProviderSpec> {
        providers::find(&self.0)
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ProviderId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for ProviderId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for ProviderId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ProviderId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl From<&str> for ProviderId {
    fn from(raw: &str) -> Self {
        ProviderId::parse(raw)
    }
}

impl From<String> for ProviderId {
    fn from(raw: String) -> Self {
        ProviderId::parse(&raw)
    }
}

/// As the normal id, the way the reference writes it into documents.
impl serde::Serialize for ProviderId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl From<ProviderId> for String {
    fn from(id: ProviderId) -> String {
        id.0
    }
}

/// The reference's `normalizeProviderId` as an owned string.
pub fn normalize(provider: &str) -> String {
    normalized(provider).into_owned()
}

/// [`normalize`] without an allocation for an id that is already normal
/// (nearly every id in a store: reports call this once per profile).
pub fn normalized(provider: &str) -> Cow<'_, str> {
    providers::normalized(provider)
}

/// Whether two provider ids name the same provider.
pub fn same(a: &str, b: &str) -> bool {
    normalized(a) == normalized(b)
}

/// Whether `provider` names a provider at all: one the registry has data
/// for, or one a stored profile has. A `--provider` naming neither is a
/// typo (`antrhopic`), which every command that acts on a provider's
/// stored profiles (`refresh`, `cooldown clear`) refuses the same way.
pub fn is_known(provider: &ProviderId, store: &AuthStore) -> bool {
    provider.spec().is_some() || store.profiles.values().any(|p| provider.names(p.credential.provider()))
}

/// A store's profiles of one provider. The store is a file format below the
/// registry, so the lookup that needs the registry's aliases lives here.
pub trait ProfilesOf {
    /// Profiles whose provider normalises to `provider`, in file order.
    fn profiles_for<'a>(&'a self, provider: &str) -> impl Iterator<Item = (&'a String, &'a Profile)> + use<'a, Self>;
}

impl ProfilesOf for AuthStore {
    fn profiles_for<'a>(&'a self, provider: &str) -> impl Iterator<Item = (&'a String, &'a Profile)> + use<'a> {
        let want = ProviderId::parse(provider);
        self.profiles.iter().filter(move |(_, p)| want.names(p.credential.provider()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_space_and_zai_aliases() {
        assert_eq!(normalize(" Anthropic "), "anthropic");
        assert_eq!(normalize("Z.AI"), "zai");
        assert_eq!(normalize("z-ai"), "zai");
        assert_eq!(providers::env_suffix("openai-codex"), "OPENAI_CODEX");
        assert!(matches!(normalized("openrouter"), Cow::Borrowed("openrouter")));
        assert!(same("OpenRouter", " openrouter") && same("Z.AI", "zai") && !same("openai", "openai-codex"));
    }

    #[test]
    fn an_id_is_normal_once_parsed() {
        let id = ProviderId::parse(" Z.AI ");
        assert_eq!(id, "zai");
        assert_eq!(id.to_string(), "zai");
        assert!(id.names("z-ai") && id.names("ZAI") && !id.names("openai"));
        assert_eq!(id.spec().map(|s| s.id), Some("zai"));
        assert_eq!(ProviderId::parse("custom").spec().map(|s| s.id), None);
        assert_eq!(String::from(ProviderId::parse("OpenRouter")), "openrouter");
        assert_eq!(ProviderId::from("Z-AI"), ProviderId::from(" zai".to_string()));
        assert_eq!(serde_json::to_string(&ProviderId::parse("Z.AI")).ok().as_deref(), Some("\"zai\""));
    }
}
