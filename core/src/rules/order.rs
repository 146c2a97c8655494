//! Which profiles a provider's requests try, in what order (A34–A39, §2.7),
//! and the rules of `models auth order get | set | clear` (A65, §3.1).
//!
//! The order is a pure function of the config, the store and `now`; it is
//! recomputed on every request, so a cooldown that ends simply lets its
//! profile back in.

use crate::config::Config;
use crate::provider::{ProfilesOf, ProviderId};
use crate::store::{AuthStore, Credential, CredentialType, OrderedMap, Profile, UsageStats};
use crate::time::Millis;
use foldhash::fast::FixedState;
use std::collections::HashSet;
use thiserror::Error;

/// Whether a config profile's `mode` accepts a stored credential type
/// (A20, §2.4): equal types, plus config `oauth` accepting a stored
/// `token` (the Claude CLI entry was `oauth` in config while its credential
/// could be a plain token, §6 row 6).
pub fn is_mode_compatible(config_mode: CredentialType, stored_type: CredentialType) -> bool {
    config_mode == stored_type || (config_mode == CredentialType::OAuth && stored_type == CredentialType::Token)
}

/// The profile ids to try for `provider`, best first (§2.7).
///
/// 1. The base list is the store's order override, else the config's
///    `auth.order`, else the config's profiles for the provider, else the
///    store's profiles for it in file order (A35). Keys and providers are
///    compared normalised (A34).
/// 2. Ids that cannot work are dropped (A39, a \[fix\] taken from the later
///    reference, see `eligible_profile`), then duplicates.
/// 3. With an explicit order, that order is kept and profiles backing off
///    move to the end, soonest free first (A36). Without one, profiles are
///    round-robined: oauth, token, api_key, each least recently used first,
///    then the ones backing off (A37).
/// 4. `preferred` goes first when it is in the list, even if backing off.
///
/// `lastGood` is never consulted (A38): it pinned one account and defeated
/// the round-robin (§6 row 7).
pub fn resolve_order(
    config: &Config,
    store: &AuthStore,
    provider: &str,
    preferred: Option<&str>,
    now: Millis,
) -> Vec<String> {
    let key = ProviderId::parse(provider);
    let explicit = order_for(&store.order, &key).or_else(|| order_for(&config.auth.order, &key));
    // The ids stay borrowed from the list or the store, and each profile
    // and its usage are looked up once, until the answer is copied out:
    // a report and the panel's order editor run this for every provider,
    // on stores of 60 000 profiles.
    let base: Vec<&str> = match explicit {
        Some(ids) => ids.iter().map(String::as_str).collect(),
        None => default_base_order(config, store, &key),
    };
    let mut seen: HashSet<&str, FixedState> = HashSet::with_capacity_and_hasher(base.len(), FixedState::default());
    let eligible: Vec<Candidate> = base
        .into_iter()
        .filter_map(|id| {
            let profile = store.profile(id)?;
            let wanted = !seen.contains(id) && eligible_profile(config, id, profile, &key, now) && seen.insert(id);
            wanted.then(|| Candidate { id, profile, usage: store.usage_stats.get(id) })
        })
        .collect();
    // An explicit list keeps its order (backoffs last); an empty one has
    // nothing to order either way.
    let ordered = match explicit {
        Some(_) => cooldowns_last(eligible, now),
        None => round_robin(eligible, now),
    };
    preferred_first(ordered, preferred)
}

/// A profile that made the order, as the ordering steps read it.
struct Candidate<'a> {
    id: &'a str,
    profile: &'a Profile,
    usage: Option<&'a UsageStats>,
}

/// The first order list whose key normalises to `key` (file order decides
/// between aliases such as `z.ai` and `zai`).
pub fn order_for<'a>(orders: &'a OrderedMap<Vec<String>>, key: &ProviderId) -> Option<&'a Vec<String>> {
    orders.iter().find(|(k, _)| key.names(k)).map(|(_, ids)| ids)
}

/// The base list when no order is set: the config's profiles for the
/// provider if it names any this store holds (its own or inherited), else
/// the store's. `clawdbot.json` is shared by every agent: an entry a paste
/// for one agent recorded must not take a provider away from another
/// agent that does not hold that profile (issue 22).
fn default_base_order<'a>(config: &'a Config, store: &'a AuthStore, key: &ProviderId) -> Vec<&'a str> {
    let configured: Vec<&str> = config
        .auth
        .profiles
        .iter()
        .filter(|(id, p)| p.provider.as_deref().is_some_and(|p| key.names(p)) && store.profiles.contains_key(*id))
        .map(|(id, _)| id.as_str())
        .collect();
    if !configured.is_empty() {
        return configured;
    }
    store.profiles_for(key).map(|(id, _)| id.as_str()).collect()
}

/// Whether `profile_id`, stored as `profile` (an id the store does not
/// hold never is), may appear in the order for the (normalised) provider
/// `key` at `now` (A39, §5 item 7). It may not when:
/// - its credential is for another provider;
/// - its config entry names another provider, or a `mode` the stored type
///   does not satisfy ([`is_mode_compatible`]);
/// - its key or token is empty, or its token has a passed `expires`;
/// - it is oauth with neither an access nor a refresh token.
///
/// A config entry without a provider or mode does not constrain (the
/// reference's schema makes both required, so it never meets one).
fn eligible_profile(config: &Config, profile_id: &str, profile: &Profile, key: &ProviderId, now: Millis) -> bool {
    let credential = &profile.credential;
    if !key.names(credential.provider()) {
        return false;
    }
    if let Some(entry) = config.auth.profiles.get(profile_id) {
        if entry.provider.as_deref().is_some_and(|p| !key.names(p)) {
            return false;
        }
        if entry.mode.is_some_and(|mode| !is_mode_compatible(mode, credential.kind())) {
            return false;
        }
    }
    let has_ref = crate::secret_ref::profile_ref(profile).is_some();
    has_usable_secret(credential, has_ref, now)
}

/// A profile with a SecretRef holds a credential whatever its plain value
/// says: the ref beats it, and a ref that fails keeps its place in the
/// order so that it fails closed there.
fn has_usable_secret(credential: &Credential, has_ref: bool, now: Millis) -> bool {
    let present = |s: &Option<crate::secret::Secret>| has_ref || s.as_ref().is_some_and(|s| !s.is_blank());
    match credential {
        Credential::ApiKey(k) => present(&k.key),
        Credential::Token(t) => {
            let expired = t.expiry().passed(now);
            present(&t.token) && !expired
        }
        Credential::OAuth(o) => present(&o.access) || present(&o.refresh),
    }
}

/// When a profile with these usage stats becomes usable again, if it is
/// backing off.
fn backing_off_until(usage: Option<&UsageStats>, now: Millis) -> Option<f64> {
    usage?.unusable_until().filter(|until| (now as f64) < *until)
}

/// Splits into (available in input order, backing off sorted by the end of
/// their backoff).
fn split_backing_off(candidates: Vec<Candidate<'_>>, now: Millis) -> (Vec<Candidate<'_>>, Vec<&str>) {
    let mut available = Vec::with_capacity(candidates.len());
    let mut waiting: Vec<(f64, &str)> = Vec::new();
    for candidate in candidates {
        match backing_off_until(candidate.usage, now) {
            Some(until) => waiting.push((until, candidate.id)),
            None => available.push(candidate),
        }
    }
    // Stable: equal ends keep their base order.
    waiting.sort_by(|a, b| a.0.total_cmp(&b.0));
    (available, waiting.into_iter().map(|(_, id)| id).collect())
}

/// The explicit-order branch (A36): order kept, backing-off ids last.
fn cooldowns_last(candidates: Vec<Candidate>, now: Millis) -> Vec<String> {
    let (available, waiting) = split_backing_off(candidates, now);
    available.iter().map(|c| c.id).chain(waiting).map(str::to_string).collect()
}

/// The round-robin branch (A37): by type score, then least recently used,
/// stable, backing-off ids last.
fn round_robin(candidates: Vec<Candidate>, now: Millis) -> Vec<String> {
    let (available, waiting) = split_backing_off(candidates, now);
    // Each key once per id, not twice per comparison: on a 60 000-profile
    // store the comparisons' lookups cost the panel ~80 ms.
    let mut keyed: Vec<((u8, f64), &str)> = available.iter().map(|c| (round_robin_key(c), c.id)).collect();
    keyed.sort_by(|((score_a, used_a), _), ((score_b, used_b), _)| score_a.cmp(score_b).then(used_a.total_cmp(used_b)));
    keyed.into_iter().map(|(_, id)| id).chain(waiting).map(str::to_string).collect()
}

/// `(type score, lastUsed)`: oauth 0, token 1, api_key 2; a missing or NaN
/// `lastUsed` counts as 0, as `?? 0` does for the former.
fn round_robin_key(candidate: &Candidate) -> (u8, f64) {
    let score = match candidate.profile.credential.kind() {
        CredentialType::OAuth => 0,
        CredentialType::Token => 1,
        CredentialType::ApiKey => 2,
    };
    let last_used = candidate.usage.and_then(|s| s.last_used).filter(|v| !v.is_nan());
    // `+ 0.0` folds -0 into 0 so the total order does not split them.
    (score, last_used.unwrap_or(0.0) + 0.0)
}

fn preferred_first(mut ids: Vec<String>, preferred: Option<&str>) -> Vec<String> {
    if let Some(pos) = preferred.and_then(|p| ids.iter().position(|id| id == p)) {
        let id = ids.remove(pos);
        ids.insert(0, id);
    }
    ids
}

/// Why `models auth order set` refused; the texts are the reference's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OrderError {
    /// `--provider` was not given or blank.
    #[error("Missing --provider.")]
    MissingProvider,
    /// No profile ids were given.
    #[error("Missing profile ids. Provide one or more profile ids.")]
    MissingProfileIds,
    /// A given id is not in the agent's store.
    #[error("Auth profile \"{profile_id}\" not found in {agent_dir}.")]
    ProfileNotFound {
        /// The id, as given.
        profile_id: String,
        /// The agent folder whose store was searched.
        agent_dir: String,
    },
    /// A given profile belongs to another provider.
    #[error("Auth profile \"{profile_id}\" is for {profile_provider}, not {provider}.")]
    WrongProvider {
        /// The id, as given.
        profile_id: String,
        /// The provider its store entry names.
        profile_provider: String,
        /// The `--provider` given, normalised.
        provider: String,
    },
    /// A move (the panel's up or down) would leave the list, or the
    /// profile is not in it.
    #[error("Auth profile \"{profile_id}\" cannot move {by} in this order.")]
    CannotMove {
        /// The id, as given.
        profile_id: String,
        /// The places it was to move.
        by: isize,
    },
}

/// `models auth order set` (A65, §3.1): every id, trimmed, must be a
/// profile of this agent's store (`agent_dir` only names it in the error)
/// for the normalised provider. Writes the trimmed, deduplicated list under
/// the normalised provider key and returns it; on error the store is
/// untouched.
///
/// Unlike the reference, keys that are other spellings of the same provider
/// (`Anthropic`, `z.ai`) are removed: the order lookup takes the first key
/// that matches, so a stale alias earlier in the file would otherwise win
/// over the list just set.
pub fn set_order<S: AsRef<str>>(
    store: &mut AuthStore,
    provider: &ProviderId,
    profile_ids: &[S],
    agent_dir: &str,
) -> Result<Vec<String>, OrderError> {
    if provider.is_empty() {
        return Err(OrderError::MissingProvider);
    }
    // The first of each id, in order. A set, not a scan of the list so far:
    // the panel sets a list of every profile of a provider (12 000 at
    // 60 000 profiles), which scanning made 70 million comparisons.
    let mut ids: Vec<String> = Vec::with_capacity(profile_ids.len());
    let mut seen = std::collections::HashSet::with_capacity(profile_ids.len());
    for raw in profile_ids {
        let id = raw.as_ref().trim();
        if !id.is_empty() && seen.insert(id) {
            ids.push(id.to_string());
        }
    }
    if ids.is_empty() {
        return Err(OrderError::MissingProfileIds);
    }
    for id in &ids {
        check_profile(store, id, provider, agent_dir)?;
    }
    store.order.retain(|k, _| k == provider.as_str() || !provider.names(k));
    store.order.insert(provider.to_string(), ids.clone());
    Ok(ids)
}

fn check_profile(store: &AuthStore, profile_id: &str, key: &ProviderId, agent_dir: &str) -> Result<(), OrderError> {
    let credential = store.credential(profile_id).ok_or_else(|| OrderError::ProfileNotFound {
        profile_id: profile_id.to_string(),
        agent_dir: agent_dir.to_string(),
    })?;
    if !key.names(credential.provider()) {
        return Err(OrderError::WrongProvider {
            profile_id: profile_id.to_string(),
            profile_provider: credential.provider().to_string(),
            provider: key.to_string(),
        });
    }
    Ok(())
}

/// `models auth order clear`: removes the provider's override (and, as in
/// [`set_order`], any alias key of it). Whether anything was removed; the
/// command prints its message either way. An `order` left empty is not
/// written at all.
pub fn clear_order(store: &mut AuthStore, provider: &ProviderId) -> bool {
    let before = store.order.len();
    store.order.retain(|k, _| !provider.names(k));
    store.order.len() != before
}

/// `models auth order get`: the override stored under exactly the
/// normalised provider key, as the reference reads it.
pub fn get_order<'a>(store: &'a AuthStore, provider: &ProviderId) -> Option<&'a Vec<String>> {
    store.order.get(provider.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProfileConfig;
    use crate::secret::Secret;
    use crate::store::{ApiKey, OAuth, Profile, Token, UsageStats};
    use crate::time::{Expiry, HOUR};

    const NOW: Millis = 1_767_225_600_000;

    fn api(provider: &str) -> Credential {
        Credential::ApiKey(ApiKey { provider: provider.into(), key: Some(Secret::new("sk-FAKE")), email: None })
    }

    fn oauth(provider: &str) -> Credential {
        Credential::OAuth(OAuth {
            provider: provider.into(),
            access: Some(Secret::new("FAKE")),
            refresh: Some(Secret::new("FAKE")),
            expires: Some(Expiry::from_millis(NOW + HOUR)),
            ..OAuth::default()
        })
    }

    fn token(provider: &str, expires: Option<Millis>) -> Credential {
        Credential::Token(Token {
            provider: provider.into(),
            token: Some(Secret::new("sk-ant-oat01-FAKE")),
            expires: expires.map(Expiry::from_millis),
            email: None,
        })
    }

    fn store(profiles: Vec<(&str, Credential)>) -> AuthStore {
        let mut s = AuthStore::default();
        for (id, c) in profiles {
            s.profiles.insert(id.into(), Profile::new(c));
        }
        s
    }

    fn used(s: &mut AuthStore, id: &str, last_used: f64) {
        s.usage_stats.entry(id.into()).or_default().last_used = Some(last_used);
    }

    fn cooling(s: &mut AuthStore, id: &str, until: Millis) {
        s.usage_stats.entry(id.into()).or_default().cooldown_until = Some(until as f64);
    }

    fn disabled(s: &mut AuthStore, id: &str, until: Millis) {
        let stats = s.usage_stats.entry(id.into()).or_default();
        stats.disabled_until = Some(until as f64);
        stats.disabled_reason = Some("billing".into());
    }

    fn cfg_profile(provider: &str, mode: CredentialType) -> ProfileConfig {
        ProfileConfig { provider: Some(provider.into()), mode: Some(mode), email: None }
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn order(cfg: &Config, s: &AuthStore, provider: &str) -> Vec<String> {
        resolve_order(cfg, s, provider, None, NOW)
    }

    #[test]
    fn store_profiles_in_file_order_without_config() {
        let s = store(vec![
            ("anthropic:b", api("anthropic")),
            ("openai:x", api("openai")),
            ("anthropic:a", api("anthropic")),
        ]);
        assert_eq!(order(&Config::default(), &s, "anthropic"), ids(&["anthropic:b", "anthropic:a"]));
        assert!(order(&Config::default(), &s, "google").is_empty());
    }

    #[test]
    fn store_order_beats_config_order() {
        let mut s = store(vec![("anthropic:a", api("anthropic")), ("anthropic:b", api("anthropic"))]);
        s.order.insert("anthropic".into(), ids(&["anthropic:b", "anthropic:a"]));
        let mut cfg = Config::default();
        cfg.auth.order.insert("anthropic".into(), ids(&["anthropic:a", "anthropic:b"]));
        assert_eq!(order(&cfg, &s, "anthropic"), ids(&["anthropic:b", "anthropic:a"]));
        s.order.clear();
        assert_eq!(order(&cfg, &s, "anthropic"), ids(&["anthropic:a", "anthropic:b"]));
    }

    #[test]
    fn config_profiles_form_the_base_when_no_order() {
        let s = store(vec![
            ("anthropic:a", api("anthropic")),
            ("anthropic:b", api("anthropic")),
            ("anthropic:c", api("anthropic")),
        ]);
        let mut cfg = Config::default();
        cfg.auth.profiles.insert("anthropic:c".into(), cfg_profile("anthropic", CredentialType::ApiKey));
        cfg.auth.profiles.insert("anthropic:a".into(), cfg_profile("Anthropic", CredentialType::ApiKey));
        cfg.auth.profiles.insert("openai:x".into(), cfg_profile("openai", CredentialType::ApiKey));
        // Round-robin over the config's ids only; equal scores keep config order.
        assert_eq!(order(&cfg, &s, "anthropic"), ids(&["anthropic:c", "anthropic:a"]));
    }

    /// `clawdbot.json` is shared by every agent: an entry for a profile
    /// this agent's store does not hold (a paste for another agent
    /// recorded it) does not take the provider's own profiles away.
    #[test]
    fn config_profiles_another_agent_holds_do_not_restrict_this_one() {
        let s = store(vec![("anthropic:claude-cli", oauth("anthropic")), ("anthropic:b", api("anthropic"))]);
        let mut cfg = Config::default();
        cfg.auth.profiles.insert("anthropic:default".into(), cfg_profile("anthropic", CredentialType::Token));
        assert_eq!(order(&cfg, &s, "anthropic"), ids(&["anthropic:claude-cli", "anthropic:b"]));
        cfg.auth.profiles.insert("anthropic:b".into(), cfg_profile("anthropic", CredentialType::ApiKey));
        assert_eq!(order(&cfg, &s, "anthropic"), ids(&["anthropic:b"]), "one it holds restricts it");
    }

    #[test]
    fn round_robin_oauth_then_token_then_api_key() {
        let s = store(vec![("p:key", api("p")), ("p:token", token("p", None)), ("p:oauth", oauth("p"))]);
        assert_eq!(order(&Config::default(), &s, "p"), ids(&["p:oauth", "p:token", "p:key"]));
    }

    #[test]
    fn round_robin_by_last_used_within_a_type() {
        // The reference test: [a(oauth,200), b(api,100), c(api,300)] gives a, b, c.
        let mut s = store(vec![("a", oauth("anthropic")), ("b", api("anthropic")), ("c", api("anthropic"))]);
        used(&mut s, "a", 200.0);
        used(&mut s, "b", 100.0);
        used(&mut s, "c", 300.0);
        assert_eq!(order(&Config::default(), &s, "anthropic"), ids(&["a", "b", "c"]));
        used(&mut s, "b", 400.0);
        assert_eq!(order(&Config::default(), &s, "anthropic"), ids(&["a", "c", "b"]));
        // Never used counts as 0: first.
        s.usage_stats.shift_remove("b");
        assert_eq!(order(&Config::default(), &s, "anthropic"), ids(&["a", "b", "c"]));
    }

    #[test]
    fn a_last_use_of_minus_zero_ties_with_zero_and_keeps_file_order() {
        let mut s = store(vec![("a", api("anthropic")), ("b", api("anthropic"))]);
        used(&mut s, "a", 0.0);
        used(&mut s, "b", -0.0);
        assert_eq!(order(&Config::default(), &s, "anthropic"), ids(&["a", "b"]), "-0 is no earlier than 0");
        used(&mut s, "b", -1.0);
        assert_eq!(order(&Config::default(), &s, "anthropic"), ids(&["b", "a"]));
    }

    #[test]
    fn cooldown_goes_last_in_the_round_robin() {
        let mut s = store(vec![("a", oauth("anthropic")), ("b", api("anthropic")), ("c", api("anthropic"))]);
        cooling(&mut s, "a", NOW + 60_000);
        disabled(&mut s, "b", NOW + 30_000);
        assert_eq!(order(&Config::default(), &s, "anthropic"), ids(&["c", "b", "a"]));
        // A backoff that has ended does not count.
        cooling(&mut s, "a", NOW);
        assert_eq!(order(&Config::default(), &s, "anthropic"), ids(&["a", "c", "b"]));
    }

    #[test]
    fn cooldown_goes_last_with_a_store_order() {
        let mut s = store(vec![("a", api("anthropic")), ("b", api("anthropic")), ("c", api("anthropic"))]);
        s.order.insert("anthropic".into(), ids(&["a", "b", "c"]));
        cooling(&mut s, "a", NOW + 5 * HOUR);
        disabled(&mut s, "b", NOW + HOUR);
        assert_eq!(order(&Config::default(), &s, "anthropic"), ids(&["c", "b", "a"]));
    }

    #[test]
    fn cooldown_goes_last_with_a_config_order() {
        let mut s = store(vec![("a", oauth("anthropic")), ("b", api("anthropic"))]);
        let mut cfg = Config::default();
        cfg.auth.order.insert("anthropic".into(), ids(&["b", "a"]));
        cooling(&mut s, "b", NOW + 1);
        assert_eq!(order(&cfg, &s, "anthropic"), ids(&["a", "b"]));
    }

    #[test]
    fn explicit_order_is_not_resorted_by_type_or_use() {
        let mut s = store(vec![("a", oauth("anthropic")), ("b", api("anthropic"))]);
        s.order.insert("anthropic".into(), ids(&["b", "a"]));
        used(&mut s, "b", 999.0);
        assert_eq!(order(&Config::default(), &s, "anthropic"), ids(&["b", "a"]));
    }

    #[test]
    fn preferred_goes_first_even_in_cooldown() {
        let mut s = store(vec![("a", api("anthropic")), ("b", api("anthropic")), ("c", api("anthropic"))]);
        cooling(&mut s, "c", NOW + 1);
        let cfg = Config::default();
        assert_eq!(resolve_order(&cfg, &s, "anthropic", Some("c"), NOW), ids(&["c", "a", "b"]));
        assert_eq!(resolve_order(&cfg, &s, "anthropic", Some("b"), NOW), ids(&["b", "a", "c"]));
        assert_eq!(resolve_order(&cfg, &s, "anthropic", Some("nope"), NOW), ids(&["a", "b", "c"]));
        s.order.insert("anthropic".into(), ids(&["b", "c", "a"]));
        assert_eq!(resolve_order(&cfg, &s, "anthropic", Some("c"), NOW), ids(&["c", "b", "a"]));
    }

    #[test]
    fn last_good_is_never_used() {
        let mut s = store(vec![("a", api("anthropic")), ("b", api("anthropic"))]);
        s.last_good.insert("anthropic".into(), "b".into());
        assert_eq!(order(&Config::default(), &s, "anthropic"), ids(&["a", "b"]));
    }

    #[test]
    fn zai_aliases_and_casing_are_normalised() {
        let mut s = store(vec![("zai:a", api("z.ai")), ("zai:b", api("Z-AI")), ("zai:c", api("zai"))]);
        assert_eq!(order(&Config::default(), &s, "Z.AI"), ids(&["zai:a", "zai:b", "zai:c"]));
        s.order.insert("z-ai".into(), ids(&["zai:c", "zai:a"]));
        assert_eq!(order(&Config::default(), &s, "zai"), ids(&["zai:c", "zai:a"]));

        let s = store(vec![("anthropic:a", api("anthropic")), ("anthropic:b", api("anthropic"))]);
        let mut cfg = Config::default();
        cfg.auth.order.insert("Anthropic".into(), ids(&["anthropic:b", "anthropic:a"]));
        assert_eq!(order(&cfg, &s, " ANTHROPIC "), ids(&["anthropic:b", "anthropic:a"]));

        let s = store(vec![("zai:x", api("zai")), ("zai:y", api("zai"))]);
        let mut cfg = Config::default();
        cfg.auth.profiles.insert("zai:x".into(), cfg_profile("z.ai", CredentialType::ApiKey));
        assert_eq!(order(&cfg, &s, "z-ai"), ids(&["zai:x"]), "config profiles by normalised provider");
    }

    #[test]
    fn drops_missing_and_foreign_ids_and_duplicates() {
        let mut s = store(vec![("anthropic:a", api("anthropic")), ("openai:x", api("openai"))]);
        s.order.insert("anthropic".into(), ids(&["ghost", "anthropic:a", "openai:x", "anthropic:a"]));
        assert_eq!(order(&Config::default(), &s, "anthropic"), ids(&["anthropic:a"]));
    }

    #[test]
    fn drops_config_provider_and_mode_mismatches() {
        let s = store(vec![
            ("p:key", api("p")),
            ("p:tok", token("p", None)),
            ("p:oauth", oauth("p")),
            ("p:elsewhere", api("p")),
        ]);
        let mut cfg = Config::default();
        cfg.auth.order.insert("p".into(), ids(&["p:key", "p:tok", "p:oauth", "p:elsewhere"]));
        cfg.auth.profiles.insert("p:key".into(), cfg_profile("p", CredentialType::OAuth));
        cfg.auth.profiles.insert("p:tok".into(), cfg_profile("p", CredentialType::OAuth)); // oauth accepts token
        cfg.auth.profiles.insert("p:oauth".into(), cfg_profile("p", CredentialType::Token)); // token refuses oauth
        cfg.auth.profiles.insert("p:elsewhere".into(), cfg_profile("q", CredentialType::ApiKey));
        assert_eq!(order(&cfg, &s, "p"), ids(&["p:tok"]));
        // Without provider or mode a config entry does not constrain.
        cfg.auth.profiles.insert("p:oauth".into(), ProfileConfig::default());
        assert_eq!(order(&cfg, &s, "p"), ids(&["p:tok", "p:oauth"]));
    }

    #[test]
    fn drops_empty_secrets_expired_tokens_and_hollow_oauth() {
        let blank_key = Credential::ApiKey(ApiKey { provider: "p".into(), key: Some(Secret::new("  ")), email: None });
        let no_key = Credential::ApiKey(ApiKey { provider: "p".into(), key: None, email: None });
        let blank_token =
            Credential::Token(Token { provider: "p".into(), token: Some(Secret::new("")), ..Token::default() });
        let refresh_only =
            Credential::OAuth(OAuth { provider: "p".into(), refresh: Some(Secret::new("rt")), ..OAuth::default() });
        let access_only =
            Credential::OAuth(OAuth { provider: "p".into(), access: Some(Secret::new("at")), ..OAuth::default() });
        let hollow =
            Credential::OAuth(OAuth { provider: "p".into(), access: Some(Secret::new(" ")), ..OAuth::default() });
        let s = store(vec![
            ("blank_key", blank_key),
            ("no_key", no_key),
            ("blank_token", blank_token),
            ("expired", token("p", Some(NOW))),
            ("expires_later", token("p", Some(NOW + 1))),
            ("zero_expiry", token("p", Some(0))),
            ("refresh_only", refresh_only),
            ("access_only", access_only),
            ("hollow", hollow),
            ("oauth_expired", oauth("p")),
        ]);
        let got = resolve_order(&Config::default(), &s, "p", None, NOW + 2 * HOUR);
        // oauth first (expired oauth can refresh), then tokens; expires_later has passed by then.
        assert_eq!(got, ids(&["refresh_only", "access_only", "oauth_expired", "zero_expiry"]));
        let got = resolve_order(&Config::default(), &s, "p", None, NOW);
        assert_eq!(got, ids(&["refresh_only", "access_only", "oauth_expired", "expires_later", "zero_expiry"]));
    }

    #[test]
    fn an_empty_explicit_order_yields_nothing() {
        let s = store(vec![("a", api("anthropic"))]);
        let mut cfg = Config::default();
        cfg.auth.order.insert("anthropic".into(), vec![]);
        assert!(order(&cfg, &s, "anthropic").is_empty());
    }

    #[test]
    fn mode_compatibility_table() {
        use CredentialType::*;
        for (mode, stored, ok) in [
            (ApiKey, ApiKey, true),
            (ApiKey, Token, false),
            (ApiKey, OAuth, false),
            (Token, Token, true),
            (Token, OAuth, false),
            (Token, ApiKey, false),
            (OAuth, OAuth, true),
            (OAuth, Token, true),
            (OAuth, ApiKey, false),
        ] {
            assert_eq!(is_mode_compatible(mode, stored), ok, "{mode:?} vs {stored:?}");
        }
    }

    #[test]
    fn set_order_validates_trims_and_dedupes() {
        let mut s = store(vec![
            ("anthropic:a", api("anthropic")),
            ("anthropic:b", api("Anthropic")),
            ("openai:x", api("openai")),
        ]);
        let dir = "/home/u/.clawdbot/agents/main/agent";
        assert_eq!(set_order(&mut s, &" ".into(), &["anthropic:a"], dir), Err(OrderError::MissingProvider));
        let none: [&str; 0] = [];
        let err = set_order(&mut s, &"anthropic".into(), &none, dir).unwrap_err();
        assert_eq!(err.to_string(), "Missing profile ids. Provide one or more profile ids.");
        assert_eq!(set_order(&mut s, &"anthropic".into(), &[" ", ""], dir), Err(OrderError::MissingProfileIds));
        let err = set_order(&mut s, &"anthropic".into(), &["anthropic:a", "ghost"], dir).unwrap_err();
        assert_eq!(err.to_string(), "Auth profile \"ghost\" not found in /home/u/.clawdbot/agents/main/agent.");
        let err = set_order(&mut s, &"Anthropic".into(), &["openai:x"], dir).unwrap_err();
        assert_eq!(err.to_string(), "Auth profile \"openai:x\" is for openai, not anthropic.");
        assert!(s.order.is_empty(), "a refused set leaves the store alone");

        let written =
            set_order(&mut s, &"ANTHROPIC".into(), &[" anthropic:b ", "anthropic:a", "anthropic:b"], dir).unwrap();
        assert_eq!(written, ids(&["anthropic:b", "anthropic:a"]));
        assert_eq!(s.order.get("anthropic"), Some(&written));
        assert_eq!(get_order(&s, &"Anthropic".into()), Some(&written));
    }

    #[test]
    fn set_order_replaces_alias_keys_so_it_takes_effect() {
        let mut s = store(vec![("zai:a", api("zai")), ("zai:b", api("zai")), ("o:x", api("o"))]);
        s.order.insert("Z.AI".into(), ids(&["zai:a"]));
        s.order.insert("o".into(), ids(&["o:x"]));
        set_order(&mut s, &"z.ai".into(), &["zai:b", "zai:a"], "dir").unwrap();
        assert_eq!(s.order.keys().collect::<Vec<_>>(), ["o", "zai"]);
        assert_eq!(order(&Config::default(), &s, "zai"), ids(&["zai:b", "zai:a"]));
    }

    #[test]
    fn clear_and_get_order() {
        let mut s = store(vec![("anthropic:a", api("anthropic"))]);
        assert_eq!(get_order(&s, &"anthropic".into()), None);
        assert!(!clear_order(&mut s, &"anthropic".into()));
        s.order.insert("anthropic".into(), ids(&["anthropic:a"]));
        s.order.insert("Anthropic".into(), ids(&["anthropic:a"]));
        // get reads the exact normalised key only.
        s.order.insert("Openai".into(), ids(&["x"]));
        assert_eq!(get_order(&s, &"openai".into()), None);
        assert!(clear_order(&mut s, &" Anthropic".into()));
        assert_eq!(s.order.keys().collect::<Vec<_>>(), ["Openai"]);
        assert!(clear_order(&mut s, &"openai".into()));
        assert!(s.order.is_empty());
    }

    #[test]
    fn the_stats_of_unrelated_profiles_do_not_matter() {
        let mut s = store(vec![("a", api("anthropic"))]);
        s.usage_stats.insert("ghost".into(), UsageStats { cooldown_until: Some(f64::MAX), ..UsageStats::default() });
        assert_eq!(order(&Config::default(), &s, "anthropic"), ids(&["a"]));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::config::ProfileConfig;
    use crate::secret::Secret;
    use crate::store::{ApiKey, OAuth, Profile, Token, UsageStats};
    use crate::time::Expiry;
    use proptest::prelude::*;
    use std::collections::HashSet;

    const NOW: Millis = 1_000_000;

    fn is_order_eligible(config: &Config, store: &AuthStore, id: &str, key: &ProviderId, now: Millis) -> bool {
        store.profile(id).is_some_and(|profile| eligible_profile(config, id, profile, key, now))
    }

    const PROVIDERS: [&str; 3] = ["anthropic", "Anthropic", "openai"];

    /// A profile: provider index, type, whether its secret is present, an
    /// expiry offset from now, lastUsed, and a backoff end offset.
    type ProfileSpec = (usize, u8, bool, Option<i64>, Option<f64>, Option<i64>);

    fn credential(provider: &str, kind: u8, present: bool, expires: Option<i64>) -> Credential {
        let secret = Some(Secret::new(if present { "FAKE" } else { "" }));
        let expires = expires.map(|off| Expiry::from_millis(NOW + off));
        match kind % 3 {
            0 => Credential::ApiKey(ApiKey { provider: provider.into(), key: secret, email: None }),
            1 => Credential::Token(Token { provider: provider.into(), token: secret, expires, email: None }),
            _ => Credential::OAuth(OAuth { provider: provider.into(), access: secret, expires, ..OAuth::default() }),
        }
    }

    fn build(specs: &[ProfileSpec]) -> AuthStore {
        let mut store = AuthStore::default();
        for (i, (p, kind, present, expires, last_used, backoff)) in specs.iter().enumerate() {
            let id = format!("id{i}");
            let cred = credential(PROVIDERS[p % PROVIDERS.len()], *kind, *present, *expires);
            store.profiles.insert(id.clone(), Profile::new(cred));
            let stats = UsageStats {
                last_used: *last_used,
                cooldown_until: backoff.map(|off| (NOW + off) as f64),
                ..UsageStats::default()
            };
            store.usage_stats.insert(id, stats);
        }
        store
    }

    fn spec() -> impl Strategy<Value = ProfileSpec> {
        (
            0usize..3,
            0u8..3,
            prop::bool::weighted(0.85),
            prop::option::of(-5i64..5),
            prop::option::of(prop_oneof![any::<f64>(), 0.0..1000.0]),
            prop::option::of(-5i64..5),
        )
    }

    proptest! {
        #[test]
        fn order_is_a_permutation_of_the_eligible_ids(
            specs in prop::collection::vec(spec(), 0..10),
            explicit in prop::option::of(prop::collection::vec(0usize..12, 0..14)),
            config_modes in prop::collection::vec(prop::option::of(0u8..3), 0..10),
            preferred in prop::option::of(0usize..12),
        ) {
            let mut store = build(&specs);
            if let Some(explicit) = &explicit {
                store.order.insert("anthropic".into(), explicit.iter().map(|i| format!("id{i}")).collect());
            }
            let mut config = Config::default();
            for (i, mode) in config_modes.iter().enumerate() {
                if let Some(m) = mode {
                    let mode = [CredentialType::ApiKey, CredentialType::Token, CredentialType::OAuth][*m as usize];
                    let entry = ProfileConfig { provider: Some("anthropic".into()), mode: Some(mode), email: None };
                    config.auth.profiles.insert(format!("id{i}"), entry);
                }
            }
            let preferred = preferred.map(|i| format!("id{i}"));
            let got = resolve_order(&config, &store, "anthropic", preferred.as_deref(), NOW);

            let unique: HashSet<&String> = got.iter().collect();
            prop_assert_eq!(unique.len(), got.len(), "no duplicates: {:?}", got);
            for id in &got {
                prop_assert!(store.profiles.contains_key(id), "{} is not a stored id", id);
                prop_assert!(is_order_eligible(&config, &store, id, &"anthropic".into(), NOW), "{} is not eligible", id);
            }
            // Every eligible id of the base list is present.
            let base: Vec<String> = match &explicit {
                Some(list) => list.iter().map(|i| format!("id{i}")).collect(),
                None => default_base_order(&config, &store, &"anthropic".into()).into_iter().map(str::to_string).collect(),
            };
            for id in base.iter().filter(|id| is_order_eligible(&config, &store, id, &"anthropic".into(), NOW)) {
                prop_assert!(unique.contains(id), "{} is eligible but missing from {:?}", id, got);
            }
            if let Some(p) = &preferred && unique.contains(p) {
                prop_assert_eq!(&got[0], p);
            }
            // Backing-off ids come after every available one (preferred aside).
            let rest = if preferred.as_ref().is_some_and(|p| got.first() == Some(p)) { &got[1..] } else { &got[..] };
            let waiting: Vec<bool> = rest.iter().map(|id| backing_off_until(store.usage_stats.get(id), NOW).is_some()).collect();
            prop_assert!(waiting.windows(2).all(|w| w[0] <= w[1]), "cooldown not last: {:?}", got);
        }
    }
}
