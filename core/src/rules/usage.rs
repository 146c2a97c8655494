//! What a run does to a profile's `usageStats`: success, failure, the
//! backoff maths and the failure classification (A40–A47, §2.8).
//!
//! Every `mark_*` here is a pure edit of an [`AuthStore`] the host loaded
//! under its lock; the host writes the store back when the edit says it
//! changed something. Hosts decide *when* to mark (the runner rules of A47);
//! this module decides *what* marking means.

use crate::config::Cooldowns;
use crate::provider::ProviderId;
use crate::store::{AuthStore, UsageStats};
use crate::time::{HOUR, MINUTE, Millis};
use serde::Serialize;

/// First cooldown step and the ceiling of the cooldown ladder (A42).
pub const COOLDOWN_BASE_MS: i64 = MINUTE;
/// The ceiling of the cooldown ladder: no cooldown lasts longer than an hour
/// (A42).
pub const COOLDOWN_MAX_MS: i64 = HOUR;
/// The billing backoff never starts below one minute (A43).
pub const BILLING_MIN_BASE_MS: i64 = MINUTE;
/// `auth.cooldowns.billingBackoffHours` when unset: the first billing disable's
/// length (A43).
pub const DEFAULT_BILLING_BACKOFF_HOURS: f64 = 5.0;
/// `auth.cooldowns.billingMaxHours` when unset: the longest billing disable
/// (A43).
pub const DEFAULT_BILLING_MAX_HOURS: f64 = 24.0;
/// `auth.cooldowns.failureWindowHours` when unset: failures older than this
/// start a new count.
pub const DEFAULT_FAILURE_WINDOW_HOURS: f64 = 24.0;

/// Cooldown after the `error_count`-th failure in a window (A42):
/// `min(1 h, 1 min × 5^min(max(1, n) − 1, 3))`, i.e. 1, 5, 25, 60, 60… min.
pub fn cooldown_ms(error_count: u32) -> i64 {
    let exponent = error_count.max(1).saturating_sub(1).min(3);
    (COOLDOWN_BASE_MS * 5_i64.pow(exponent)).min(COOLDOWN_MAX_MS)
}

/// How long the `k`-th billing failure in a window disables a profile (A43):
/// `min(max, base × 2^min(max(1, k) − 1, 10))` with `base` at least one
/// minute and `max` at least `base`. Saturates instead of overflowing for
/// absurd configured hours.
pub fn billing_disable_ms(k: u32, base_ms: i64, max_ms: i64) -> i64 {
    let base = base_ms.max(BILLING_MIN_BASE_MS);
    let max = max_ms.max(base);
    let exponent = k.max(1).saturating_sub(1).min(10);
    base.saturating_mul(1_i64 << exponent).min(max)
}

/// The three configured lengths `mark_failure` needs, resolved for one
/// provider (§2.8 "Configuration").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CooldownPolicy {
    /// The first billing disable's length, ms (already at least
    /// `BILLING_MIN_BASE_MS`).
    pub billing_backoff_ms: i64,
    /// The longest billing disable, ms.
    pub billing_max_ms: i64,
    /// How long after the last failure the counts reset, ms.
    pub failure_window_ms: i64,
}

impl Default for CooldownPolicy {
    /// 5 h billing base, 24 h billing cap, 24 h failure window.
    fn default() -> Self {
        CooldownPolicy::from_config(&Cooldowns::default(), "")
    }
}

impl CooldownPolicy {
    /// Reads `auth.cooldowns` for `provider`. The per-provider billing hours
    /// are found by normalised key (so `{Anthropic: 1}` applies to
    /// `anthropic`, A43), and as in the reference a present override shadows
    /// `billingBackoffHours` even when it is unusable. Only finite values
    /// above zero count; anything else takes the default.
    pub fn from_config(cooldowns: &Cooldowns, provider: &str) -> Self {
        let key = ProviderId::parse(provider);
        let by_provider =
            cooldowns.billing_backoff_hours_by_provider.iter().find(|(k, _)| key.names(k)).map(|(_, h)| *h);
        let billing_hours = by_provider.or(cooldowns.billing_backoff_hours);
        CooldownPolicy {
            billing_backoff_ms: hours_to_ms(billing_hours, DEFAULT_BILLING_BACKOFF_HOURS),
            billing_max_ms: hours_to_ms(cooldowns.billing_max_hours, DEFAULT_BILLING_MAX_HOURS),
            failure_window_ms: hours_to_ms(cooldowns.failure_window_hours, DEFAULT_FAILURE_WINDOW_HOURS),
        }
    }
}

/// `hours × 1 h` in whole milliseconds when `hours` is usable, else the
/// default. The float-to-int cast saturates, so huge hours cap at `i64::MAX`.
fn hours_to_ms(hours: Option<f64>, default_hours: f64) -> i64 {
    let hours = hours.filter(|h| h.is_finite() && *h > 0.0).unwrap_or(default_hours);
    (hours * HOUR as f64).round() as i64
}

/// Why a run failed, as stored in `failureCounts` and `disabledReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// The credential was refused (fails over as 401).
    Auth,
    /// The request was malformed for the provider (fails over as 400).
    Format,
    /// Too many requests (fails over as 429); the usual cooldown reason.
    RateLimit,
    /// Out of credit or quota (fails over as 402): disables the profile instead
    /// of cooling it down.
    Billing,
    /// The call timed out (fails over as 408).
    Timeout,
    /// Nothing matched; fails over without a status.
    Unknown,
}

impl FailureReason {
    /// The value stored in `failureCounts` keys and `disabledReason`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::Auth => "auth",
            FailureReason::Format => "format",
            FailureReason::RateLimit => "rate_limit",
            FailureReason::Billing => "billing",
            FailureReason::Timeout => "timeout",
            FailureReason::Unknown => "unknown",
        }
    }

    /// The reason a stored value names; `None` for one this version does not
    /// know.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auth" => Some(FailureReason::Auth),
            "format" => Some(FailureReason::Format),
            "rate_limit" => Some(FailureReason::RateLimit),
            "billing" => Some(FailureReason::Billing),
            "timeout" => Some(FailureReason::Timeout),
            "unknown" => Some(FailureReason::Unknown),
            _ => None,
        }
    }

    /// The HTTP status a `FailoverError` carries when no profile is left
    /// and model fallbacks take over (A47); `unknown` has none.
    pub fn failover_status(self) -> Option<u16> {
        match self {
            FailureReason::Billing => Some(402),
            FailureReason::RateLimit => Some(429),
            FailureReason::Auth => Some(401),
            FailureReason::Timeout => Some(408),
            FailureReason::Format => Some(400),
            FailureReason::Unknown => None,
        }
    }
}

/// The reference's `classifyFailoverReason` (A46): case-insensitive, and
/// the first class that matches wins, in the order rate_limit, format,
/// billing, timeout, auth. `None` when nothing matches.
///
/// Kept from the reference on purpose: a bare `429` anywhere (say, in a
/// request id) reads as a rate limit (§2.8 quirk).
pub fn classify_failure(message: &str) -> Option<FailureReason> {
    let text = message.to_lowercase();
    CLASSES.iter().find(|(_, matches)| matches(&text)).map(|(reason, _)| *reason)
}

/// A test on the lower-cased message.
type Matcher = fn(&str) -> bool;

/// The classes in precedence order (A46).
const CLASSES: [(FailureReason, Matcher); 5] = [
    (FailureReason::RateLimit, is_rate_limit),
    (FailureReason::Format, is_format),
    (FailureReason::Billing, is_billing),
    (FailureReason::Timeout, is_timeout),
    (FailureReason::Auth, is_auth),
];

fn contains_any(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| text.contains(n))
}

/// `/rate[_ ]limit|too many requests|429/` and the quota phrases.
fn is_rate_limit(text: &str) -> bool {
    contains_any(
        text,
        &[
            "rate_limit",
            "rate limit",
            "too many requests",
            "429",
            "exceeded your current quota",
            "resource has been exhausted",
            "quota exceeded",
            "resource_exhausted",
        ],
    )
}

fn is_format(text: &str) -> bool {
    contains_any(
        text,
        &[
            "invalid_request_error",
            "string should match pattern",
            "tool_use.id",
            "tool_use_id",
            "messages.1.content.1.tool_use.id",
            "invalid request format",
        ],
    )
}

/// Whether lower-cased `text` speaks of billing (the phrases of the billing
/// class): a probe's answer is read with the same words as a run's failure.
pub(crate) fn mentions_billing(text: &str) -> bool {
    is_billing(text)
}

/// Whether lower-cased `text` speaks of a refused credential (the phrases
/// of the auth class).
pub(crate) fn mentions_auth(text: &str) -> bool {
    is_auth(text)
}

/// `/\b402\b/`, the billing phrases, or `billing` next to a word about paying.
fn is_billing(text: &str) -> bool {
    contains_word(text, "402")
        || contains_any(text, &["payment required", "insufficient credits", "credit balance", "plans & billing"])
        || (text.contains("billing") && contains_any(text, &["upgrade", "credits", "payment", "plan"]))
}

fn is_timeout(text: &str) -> bool {
    contains_any(text, &["timeout", "timed out", "deadline exceeded", "context deadline exceeded"])
}

/// `/invalid[_ ]?api[_ ]?key/`, the auth phrases, `/\b401\b/`, `/\b403\b/`.
fn is_auth(text: &str) -> bool {
    is_invalid_api_key(text)
        || contains_any(
            text,
            &[
                "incorrect api key",
                "invalid token",
                "authentication",
                "unauthorized",
                "forbidden",
                "access denied",
                "expired",
                "token has expired",
            ],
        )
        || contains_word(text, "401")
        || contains_word(text, "403")
}

/// `invalid[_ ]?api[_ ]?key`: each gap is nothing, `_` or a space.
fn is_invalid_api_key(text: &str) -> bool {
    const GAPS: [&str; 3] = ["", "_", " "];
    GAPS.iter().any(|a| GAPS.iter().any(|b| text.contains(&format!("invalid{a}api{b}key"))))
}

/// `\b<word>\b` for a word of word characters: some occurrence has no
/// regex word character (`[A-Za-z0-9_]`) right before or right after it.
fn contains_word(text: &str, word: &str) -> bool {
    let is_word_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = text.as_bytes();
    text.match_indices(word).any(|(start, found)| {
        let end = start + found.len();
        let clear_before = start == 0 || !is_word_byte(bytes[start - 1]);
        let clear_after = end == bytes.len() || !is_word_byte(bytes[end]);
        clear_before && clear_after
    })
}

/// A count as stored, made a whole non-negative number: hand-edited files
/// can hold anything, and the ladder needs a step number.
fn stored_count(value: Option<f64>) -> u32 {
    match value {
        // `as` truncates toward zero and saturates: a fraction counts its
        // whole part, anything below 1 (NaN included) is 0, a huge count
        // is the top. Infinity is garbage, not a count: 0.
        Some(v) if v.is_finite() => v as u32,
        _ => 0,
    }
}

/// Removes stray copies of known keys that were read with the wrong type,
/// so a field this edit clears does not come back from `extra` on write.
fn forget_extra(stats: &mut UsageStats, keys: &[&str]) {
    for key in keys {
        stats.extra.shift_remove(*key);
    }
}

/// Applies `edit` to the profile's stats and reports whether anything
/// changed. Does nothing for an id with no stored profile (§2.8).
fn edit_stats(store: &mut AuthStore, profile_id: &str, edit: impl FnOnce(&mut UsageStats)) -> bool {
    if !store.profiles.contains_key(profile_id) {
        return false;
    }
    let before = store.usage_stats.get(profile_id).cloned();
    let mut stats = before.clone().unwrap_or_default();
    edit(&mut stats);
    if before.as_ref() == Some(&stats) {
        return false;
    }
    store.usage_stats.insert(profile_id.to_string(), stats);
    true
}

/// A successful run (A40): `lastUsed = now`, `errorCount = 0`, and every
/// backoff and per-reason count cleared. `lastFailureAt` stays, so the
/// failure window still measures from the last failure.
pub fn mark_used(store: &mut AuthStore, profile_id: &str, now: Millis) -> bool {
    edit_stats(store, profile_id, |stats| {
        stats.last_used = Some(now as f64);
        stats.error_count = Some(0.0);
        stats.cooldown_until = None;
        stats.disabled_until = None;
        stats.disabled_reason = None;
        stats.failure_counts.clear();
        forget_extra(
            stats,
            &["lastUsed", "errorCount", "cooldownUntil", "disabledUntil", "disabledReason", "failureCounts"],
        );
    })
}

/// A failed run (A41–A43).
///
/// A failure more than the window after the previous one starts a fresh
/// count. `errorCount` counts every reason together, so a billing failure
/// also lengthens the next rate-limit cooldown, as in the reference. A
/// billing failure disables the profile (`disabledUntil`, long backoff by
/// billing count) and leaves `cooldownUntil` alone; any other reason sets
/// `cooldownUntil` (short backoff by `errorCount`) and leaves the disable.
pub fn mark_failure(
    store: &mut AuthStore,
    profile_id: &str,
    reason: FailureReason,
    policy: &CooldownPolicy,
    now: Millis,
) -> bool {
    edit_stats(store, profile_id, |stats| {
        if window_expired(stats.last_failure_at, policy.failure_window_ms, now) {
            stats.error_count = Some(0.0);
            stats.failure_counts.clear();
        }
        let error_count = stored_count(stats.error_count).saturating_add(1);
        let reason_count = stored_count(stats.failure_counts.get(reason.as_str()).copied()).saturating_add(1);
        stats.error_count = Some(f64::from(error_count));
        stats.failure_counts.insert(reason.as_str().to_string(), f64::from(reason_count));
        stats.last_failure_at = Some(now as f64);
        if reason == FailureReason::Billing {
            let backoff = billing_disable_ms(reason_count, policy.billing_backoff_ms, policy.billing_max_ms);
            stats.disabled_until = Some(now.saturating_add(backoff) as f64);
            stats.disabled_reason = Some(reason.as_str().to_string());
        } else {
            stats.cooldown_until = Some(now.saturating_add(cooldown_ms(error_count)) as f64);
        }
    })
}

/// The window reset of §2.8: the last failure is a positive instant more
/// than `window_ms` ago.
fn window_expired(last_failure_at: Option<f64>, window_ms: i64, now: Millis) -> bool {
    match last_failure_at {
        Some(at) if at > 0.0 => now as f64 - at > window_ms as f64,
        _ => false,
    }
}

/// The reference's `markAuthProfileCooldown`: a failure of unknown cause.
pub fn mark_cooldown(store: &mut AuthStore, profile_id: &str, policy: &CooldownPolicy, now: Millis) -> bool {
    mark_failure(store, profile_id, FailureReason::Unknown, policy, now)
}

/// Records the profile that last completed a run (A45). Only when the
/// stored provider is exactly `provider`, unnormalised, as in the
/// reference. Never read for ordering (A38).
pub fn mark_good(store: &mut AuthStore, provider: &str, profile_id: &str) -> bool {
    let Some(credential) = store.credential(profile_id) else {
        return false;
    };
    if credential.provider() != provider || store.last_good.get(provider).is_some_and(|id| id == profile_id) {
        return false;
    }
    store.last_good.insert(provider.to_string(), profile_id.to_string());
    true
}

/// Ends a cooldown by hand (A44): `errorCount = 0`, no `cooldownUntil`. A
/// billing disable is deliberately kept; it has its own expiry.
pub fn clear_cooldown(store: &mut AuthStore, profile_id: &str) -> bool {
    if !store.usage_stats.contains_key(profile_id) {
        return false;
    }
    edit_stats(store, profile_id, |stats| {
        stats.error_count = Some(0.0);
        stats.cooldown_until = None;
        forget_extra(stats, &["errorCount", "cooldownUntil"]);
    })
}

/// What [`end_backoff`] ended, for the command to say.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EndedBackoff {
    /// A cooldown was running until then.
    pub cooldown_until: Option<f64>,
    /// A disable was running until then, for this reason.
    pub disabled_until: Option<f64>,
    /// `disabledReason` as stored (billing, ...).
    pub disabled_reason: Option<String>,
    /// The failure counts reset (`errorCount`, `failureCounts`).
    pub counts_reset: bool,
}

/// Ends a profile's cooldown and billing disable by hand (`models auth
/// cooldown clear`), once their cause is gone: unlike [`clear_cooldown`]
/// the disable goes too, and every failure count is reset so the next
/// failure starts the ladders from their first step. `lastUsed` and
/// `lastFailureAt` stay (round robin and the failure window read them).
/// `None` when nothing changed.
pub fn end_backoff(store: &mut AuthStore, profile_id: &str, now: Millis) -> Option<EndedBackoff> {
    let stats = store.usage_stats.get(profile_id)?;
    let running = |v: Option<f64>| v.filter(|u| u.is_finite() && *u > now as f64);
    let ended = EndedBackoff {
        cooldown_until: running(stats.cooldown_until),
        disabled_until: running(stats.disabled_until),
        disabled_reason: running(stats.disabled_until).and(stats.disabled_reason.clone()),
        counts_reset: stored_count(stats.error_count) > 0 || !stats.failure_counts.is_empty(),
    };
    let changed = edit_stats(store, profile_id, |stats| {
        if stats.error_count.is_some() {
            stats.error_count = Some(0.0);
        }
        stats.cooldown_until = None;
        stats.disabled_until = None;
        stats.disabled_reason = None;
        stats.failure_counts.clear();
        forget_extra(stats, &["errorCount", "cooldownUntil", "disabledUntil", "disabledReason", "failureCounts"]);
    });
    changed.then_some(ended)
}

/// Whether a running backoff's cause looks gone: it followed an `auth`
/// failure (the login was rejected) and the credential stored now expires
/// after that failure, so it was renewed or replaced since the rejection
/// (a rejected login that was not expired yet looks the same; clearing is
/// harmless then, the next rejection backs off again). Billing and rate
/// limits cannot be judged from here, and neither can a key without an
/// expiry, nor a login whose refusal at refresh still applies to it.
/// `doctor` offers [`end_backoff`] for these.
pub fn backoff_cause_changed(store: &AuthStore, profile_id: &str, now: Millis) -> bool {
    let (Some(stats), Some(profile)) = (store.usage_stats.get(profile_id), store.profile(profile_id)) else {
        return false;
    };
    // A login whose refresh token was refused, and still is the one
    // stored, was not renewed, whatever its access token's expiry says.
    if crate::rejection::rejection_of(store, profile_id).is_some() {
        return false;
    }
    let now_ms = now as f64;
    if !stats.unusable_until().is_some_and(|u| u > now_ms) {
        return false;
    }
    let auth = FailureReason::Auth.as_str();
    let after_auth =
        stats.failure_counts.get(auth).is_some_and(|n| *n > 0.0) || stats.disabled_reason.as_deref() == Some(auth);
    let (Some(failed_at), Some(expires)) = (stats.last_failure_at, profile.credential.expiry().at().map(|at| at.ms()))
    else {
        return false;
    };
    after_auth && expires > failed_at && expires > now_ms
}

/// A credential stored under an id in place of another one is a new
/// credential (issue 23 item 7): the cooldown, disable and failure counts
/// recorded there were the old one's, so they end, as [`end_backoff`]
/// ends them when `doctor` finds a backoff's cause gone (a rejected login
/// since renewed, [`backoff_cause_changed`]), and a refusal recorded for the
/// old login goes with them. "Another one" is another key, token, refresh
/// token ([`crate::store::Credential::identity`]) or SecretRef: a login renewed by a
/// refresh or a sync keeps its backoff. `before` is the store as it was
/// read under the lock, `after` the same store once a command stored its
/// credential. Returns the ids whose backoff ended, with what ended.
pub fn end_backoffs_of_replaced(before: &AuthStore, after: &mut AuthStore, now: Millis) -> Vec<(String, EndedBackoff)> {
    // What a profile's secret is: its value, or the SecretRef that names it.
    let what = |store: &AuthStore, id: &str| {
        let p = store.profile(id)?;
        let reference = crate::secret_ref::profile_ref(p).and_then(Result::ok).map(|r| r.to_string());
        let value = p.credential.identity().map(str::to_string);
        (value.is_some() || reference.is_some()).then_some((value, reference))
    };
    let replaced: Vec<String> = after
        .usage_stats
        .keys()
        .filter(|id| {
            let new = what(after, id);
            new.is_some() && new != what(before, id)
        })
        .cloned()
        .collect();
    let mut ended = Vec::new();
    for id in replaced {
        crate::rejection::forget_stale(after, &id);
        if let Some(what) = end_backoff(after, &id, now) {
            ended.push((id, what));
        }
    }
    ended
}

/// A cooldown or disable in force (`usageStats`), as every command shows
/// it: the one reading of "is this profile backing off now".
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backoff {
    /// A cooldown, or a disable (which wins when both run).
    pub kind: UnusableKind,
    /// When it ends, ms since the epoch.
    #[serde(serialize_with = "crate::time::ser_ms")]
    pub until: f64,
    /// `until` minus `now`, ms; always positive.
    #[serde(serialize_with = "crate::time::ser_ms")]
    pub remaining_ms: f64,
    /// Why: a disable's `disabledReason`, or for a cooldown the failure
    /// counted most.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Backoff {
    /// The cooldown or disable `stats` hold at `now`, if one runs.
    pub fn of(stats: &UsageStats, now: Millis) -> Option<Backoff> {
        let now_ms = now as f64;
        let running = |v: Option<f64>| v.filter(|u| u.is_finite() && *u > now_ms);
        let (kind, until, reason) = match (running(stats.disabled_until), running(stats.cooldown_until)) {
            (Some(until), _) => (UnusableKind::Disabled, until, stats.disabled_reason.clone()),
            (None, Some(until)) => (UnusableKind::Cooldown, until, most_counted_failure(stats)),
            (None, None) => return None,
        };
        Some(Backoff { kind, until, remaining_ms: until - now_ms, reason })
    }

    /// `cooldown 4m` or `disabled:billing 5h`, as `models status` labels
    /// a profile (unescaped: the reason comes from the file).
    pub fn label(&self) -> String {
        let rem = crate::remaining::format_remaining_short(Some(self.remaining_ms));
        match self.kind {
            UnusableKind::Cooldown => format!("cooldown {rem}"),
            UnusableKind::Disabled => format!("disabled:{} {rem}", self.reason.as_deref().unwrap_or("unknown")),
        }
    }
}

/// The failure reason counted most often (the first of equals); `None`
/// when nothing was counted.
pub fn most_counted_failure(stats: &UsageStats) -> Option<String> {
    let mut best: Option<(&String, f64)> = None;
    for (reason, n) in &stats.failure_counts {
        if *n > 0.0 && best.is_none_or(|(_, m)| *n > m) {
            best = Some((reason, *n));
        }
    }
    best.map(|(r, _)| r.clone())
}

/// Whether a profile is unusable, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnusableKind {
    /// `cooldownUntil` is in the future: skipped for rotation for a while.
    Cooldown,
    /// `disabledUntil` is in the future (a billing problem): needs a human.
    Disabled,
}

/// One entry of `models status`'s `unusableProfiles` (§3.2). Serialises to
/// the report's shape, optional keys omitted when absent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unusable {
    /// The `usageStats` key.
    pub profile_id: String,
    /// The profile's provider as the store spells it; `None` when no profile
    /// has this id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Whether it is cooling down or disabled; disabled wins when both run.
    pub kind: UnusableKind,
    /// `disabledReason`, only for a disabled profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it is usable again, ms since the epoch.
    #[serde(serialize_with = "crate::time::ser_ms")]
    pub until: f64,
    /// `until` minus `now`, ms; always positive.
    #[serde(serialize_with = "crate::time::ser_ms")]
    pub remaining_ms: f64,
}

/// Every `usageStats` entry still backing off at `now`, soonest free first.
///
/// Disabled wins over cooldown when both are running, since it is the
/// one that needs a human (a billing problem).
pub fn unusable_profiles(store: &AuthStore, now: Millis) -> Vec<Unusable> {
    let now_ms = now as f64;
    let mut list: Vec<Unusable> = store
        .usage_stats
        .iter()
        .filter_map(|(id, stats)| {
            let until = stats.unusable_until().filter(|u| now_ms < *u)?;
            let disabled = stats.disabled_until.is_some_and(|d| now_ms < d);
            Some(Unusable {
                profile_id: id.clone(),
                provider: store.credential(id).map(|c| c.provider().to_string()),
                kind: if disabled { UnusableKind::Disabled } else { UnusableKind::Cooldown },
                reason: if disabled { stats.disabled_reason.clone() } else { None },
                until,
                remaining_ms: until - now_ms,
            })
        })
        .collect();
    list.sort_by(|a, b| a.remaining_ms.total_cmp(&b.remaining_ms));
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ApiKey, Credential, OAuth, Profile};

    const NOW: Millis = 1_767_225_600_000;

    fn store_with(ids: &[(&str, &str)]) -> AuthStore {
        let mut store = AuthStore::default();
        for (id, provider) in ids {
            let cred = Credential::ApiKey(ApiKey { provider: provider.to_string(), ..ApiKey::default() });
            store.profiles.insert(id.to_string(), Profile::new(cred));
        }
        store
    }

    fn stats<'a>(store: &'a AuthStore, id: &str) -> &'a UsageStats {
        &store.usage_stats[id]
    }

    #[test]
    fn ending_a_backoff_ends_the_disable_too_and_resets_the_counts() {
        let mut store = store_with(&[("a", "anthropic")]);
        let policy = CooldownPolicy::default();
        mark_failure(&mut store, "a", FailureReason::Billing, &policy, NOW);
        mark_failure(&mut store, "a", FailureReason::RateLimit, &policy, NOW);
        let ended = end_backoff(&mut store, "a", NOW).expect("something ran");
        assert!(ended.cooldown_until.is_some() && ended.disabled_until.is_some() && ended.counts_reset);
        assert_eq!(ended.disabled_reason.as_deref(), Some("billing"));
        let s = stats(&store, "a");
        assert_eq!((s.cooldown_until, s.disabled_until, s.error_count), (None, None, Some(0.0)));
        assert!(s.failure_counts.is_empty() && s.last_failure_at.is_some());
        assert!(unusable_profiles(&store, NOW).is_empty());
        assert_eq!(end_backoff(&mut store, "a", NOW), None, "a second clear changes nothing");
        assert_eq!(end_backoff(&mut store, "missing", NOW), None);
    }

    #[test]
    fn a_credential_stored_in_place_of_another_starts_without_its_backoff() {
        let parse = |profiles: &str| {
            let doc = format!(
                r#"{{"version":1,"profiles":{{{profiles}}},
                   "usageStats":{{"a":{{"errorCount":1,"disabledUntil":{u},"disabledReason":"billing","lastUsed":5}}}}}}"#,
                u = NOW + HOUR
            );
            crate::store::parse_store(doc.as_bytes(), "s").expect("store").0
        };
        let key = |k: &str| format!(r#""a":{{"type":"api_key","provider":"openai","key":"{k}"}}"#);
        let by_ref = r#""a":{"type":"api_key","provider":"openai","keyRef":{"source":"env","id":"OPENAI_KEY"}}"#;
        let before = parse(&key("sk-FAKE-old"));
        for (after, ends) in [(key("sk-FAKE-new"), true), (key(" sk-FAKE-old "), false), (by_ref.to_string(), true)] {
            let mut store = parse(&after);
            let ended = end_backoffs_of_replaced(&before, &mut store, NOW);
            assert_eq!(ended.len(), usize::from(ends), "{after}");
            let s = &store.usage_stats["a"];
            assert_eq!(s.disabled_until.is_none(), ends, "{after}");
            assert_eq!(s.last_used, Some(5.0), "round robin keeps what it reads");
        }
    }

    #[test]
    fn a_backoff_after_an_auth_failure_is_stale_once_the_login_was_renewed() {
        let mut store = AuthStore::default();
        let login = |expires: i64| {
            Credential::OAuth(OAuth {
                provider: "anthropic".into(),
                expires: Some(crate::time::Expiry::from_millis(expires)),
                ..OAuth::default()
            })
        };
        store.profiles.insert("a".into(), Profile::new(login(NOW - 1000)));
        mark_failure(&mut store, "a", FailureReason::Auth, &CooldownPolicy::default(), NOW);
        assert!(!backoff_cause_changed(&store, "a", NOW), "the login that failed is still the one stored");
        store.profiles.insert("a".into(), Profile::new(login(NOW + 8 * HOUR)));
        assert!(backoff_cause_changed(&store, "a", NOW));
        let mut rate = store.clone();
        rate.usage_stats.shift_remove("a");
        mark_failure(&mut rate, "a", FailureReason::RateLimit, &CooldownPolicy::default(), NOW);
        assert!(!backoff_cause_changed(&rate, "a", NOW), "a rate limit cannot be judged");
    }

    #[test]
    fn ending_a_backoff_says_what_was_running() {
        let mut store = store_with(&[("a", "anthropic")]);
        let now = NOW as f64;
        let put = |store: &mut AuthStore, s: UsageStats| {
            store.usage_stats.insert("a".into(), s);
        };
        // A cooldown ending exactly now is over; the stale fields still go.
        put(
            &mut store,
            UsageStats {
                cooldown_until: Some(now),
                disabled_until: Some(now),
                disabled_reason: Some("billing".into()),
                error_count: Some(0.0),
                ..UsageStats::default()
            },
        );
        let ended = end_backoff(&mut store, "a", NOW).expect("stale fields removed");
        assert_eq!(ended, EndedBackoff::default());
        assert!(!(ended.cooldown_until.is_some() || ended.disabled_until.is_some()));
        assert_eq!(stats(&store, "a").disabled_reason, None);

        put(&mut store, UsageStats { cooldown_until: Some(now + 1.0), ..UsageStats::default() });
        let ended = end_backoff(&mut store, "a", NOW).unwrap();
        assert_eq!(ended, EndedBackoff { cooldown_until: Some(now + 1.0), ..EndedBackoff::default() });
        assert!((ended.cooldown_until.is_some() || ended.disabled_until.is_some()));
        assert_eq!(stats(&store, "a").error_count, None, "an absent count stays absent");

        put(
            &mut store,
            UsageStats {
                disabled_until: Some(now + 2.0),
                disabled_reason: Some("billing".into()),
                error_count: Some(2.0),
                ..UsageStats::default()
            },
        );
        let ended = end_backoff(&mut store, "a", NOW).unwrap();
        assert_eq!(
            ended,
            EndedBackoff {
                disabled_until: Some(now + 2.0),
                disabled_reason: Some("billing".into()),
                counts_reset: true,
                ..EndedBackoff::default()
            }
        );
        assert!((ended.cooldown_until.is_some() || ended.disabled_until.is_some()));

        put(&mut store, UsageStats { cooldown_until: Some(f64::INFINITY), ..UsageStats::default() });
        store.usage_stats["a"].failure_counts.insert("auth".into(), 0.0);
        store.usage_stats["a"].extra.insert("disabledUntil".into(), serde_json::Value::String("x".into()));
        let ended = end_backoff(&mut store, "a", NOW).unwrap();
        assert_eq!(ended.cooldown_until, None, "infinity is no instant");
        assert!(ended.counts_reset, "a listed reason is a count to reset");
        assert!(stats(&store, "a").extra.is_empty(), "stray copies go too");
    }

    #[test]
    fn a_renewed_login_clears_only_a_running_auth_backoff() {
        let login = |expires: i64| {
            Profile::new(Credential::OAuth(OAuth {
                provider: "anthropic".into(),
                expires: Some(crate::time::Expiry::from_millis(expires)),
                ..OAuth::default()
            }))
        };
        let now = NOW as f64;
        let judge = |stats: UsageStats, expires: i64| {
            let mut store = AuthStore::default();
            store.profiles.insert("a".into(), login(expires));
            store.usage_stats.insert("a".into(), stats);
            backoff_cause_changed(&store, "a", NOW)
        };
        let auth_counted = |until: f64, failed_at: Option<f64>| {
            let mut s = UsageStats { cooldown_until: Some(until), last_failure_at: failed_at, ..UsageStats::default() };
            s.failure_counts.insert("auth".into(), 1.0);
            s
        };
        let renewed = NOW + HOUR;
        assert!(judge(auth_counted(now + 1.0, Some(now - 1.0)), renewed));
        assert!(!judge(auth_counted(now, Some(now - 1.0)), renewed), "the backoff is over");
        assert!(!judge(auth_counted(now + 1.0, None), renewed), "no failure time to compare");
        assert!(!judge(auth_counted(now + 1.0, Some(now - 10.0)), NOW - 5), "renewed, but expired again");
        assert!(!judge(auth_counted(now + 1.0, Some(now - 10.0)), NOW), "expires exactly now");
        assert!(!judge(auth_counted(now + 1.0, Some(renewed as f64)), renewed), "not after the failure");
        assert!(!judge(auth_counted(now + 1.0, Some(now - 1.0)), 0), "an expiry of 0 means nothing");
        let mut zero = auth_counted(now + 1.0, Some(now - 1.0));
        zero.failure_counts.insert("auth".into(), 0.0);
        assert!(!judge(zero, renewed), "a zero count is no auth failure");
        let disabled = UsageStats {
            disabled_until: Some(now + 1.0),
            disabled_reason: Some("auth".into()),
            last_failure_at: Some(now - 1.0),
            ..UsageStats::default()
        };
        assert!(judge(disabled.clone(), renewed), "a disable for auth");
        let billing = UsageStats { disabled_reason: Some("billing".into()), ..disabled };
        assert!(!judge(billing, renewed));
        let mut store = AuthStore::default();
        store.usage_stats.insert("a".into(), auth_counted(now + 1.0, Some(now - 1.0)));
        assert!(!backoff_cause_changed(&store, "a", NOW), "no profile stored");
    }

    #[test]
    fn cooldown_ladder() {
        let expected = [60_000, 300_000, 1_500_000, 3_600_000, 3_600_000];
        for (n, ms) in (1..=5).zip(expected) {
            assert_eq!(cooldown_ms(n), ms, "n = {n}");
        }
        assert_eq!(cooldown_ms(0), 60_000);
        assert_eq!(cooldown_ms(u32::MAX), 3_600_000);
    }

    #[test]
    fn billing_ladder_with_defaults() {
        let p = CooldownPolicy::default();
        assert_eq!(
            p,
            CooldownPolicy { billing_backoff_ms: 5 * HOUR, billing_max_ms: 24 * HOUR, failure_window_ms: 24 * HOUR }
        );
        let ladder: Vec<i64> = (1..=5).map(|k| billing_disable_ms(k, p.billing_backoff_ms, p.billing_max_ms)).collect();
        assert_eq!(ladder, [5 * HOUR, 10 * HOUR, 20 * HOUR, 24 * HOUR, 24 * HOUR]);
        assert_eq!(billing_disable_ms(0, p.billing_backoff_ms, p.billing_max_ms), 5 * HOUR);
    }

    #[test]
    fn billing_floors_and_caps() {
        assert_eq!(billing_disable_ms(1, 1, 2), 60_000); // base at least one minute
        assert_eq!(billing_disable_ms(3, 60_000, 1), 60_000); // max at least base
        assert_eq!(billing_disable_ms(50, 60_000, i64::MAX), 60_000 << 10); // exponent capped at 10
        assert_eq!(billing_disable_ms(11, i64::MAX, i64::MAX), i64::MAX); // saturates
    }

    #[test]
    fn per_provider_override_is_found_by_normalised_key() {
        let mut cooldowns = Cooldowns { billing_max_hours: Some(2.0), ..Cooldowns::default() };
        cooldowns.billing_backoff_hours_by_provider.insert("Anthropic".into(), 1.0);
        let p = CooldownPolicy::from_config(&cooldowns, "anthropic");
        assert_eq!(p.billing_backoff_ms, HOUR);
        assert_eq!(p.billing_max_ms, 2 * HOUR);
        assert_eq!(billing_disable_ms(1, p.billing_backoff_ms, p.billing_max_ms), HOUR);
        assert_eq!(billing_disable_ms(2, p.billing_backoff_ms, p.billing_max_ms), 2 * HOUR);
        assert_eq!(billing_disable_ms(3, p.billing_backoff_ms, p.billing_max_ms), 2 * HOUR);
        // Another provider gets the defaults.
        assert_eq!(CooldownPolicy::from_config(&cooldowns, "openai").billing_backoff_ms, 5 * HOUR);
    }

    #[test]
    fn only_finite_positive_hours_count() {
        let mut cooldowns = Cooldowns {
            billing_backoff_hours: Some(3.0),
            billing_max_hours: Some(f64::NAN),
            failure_window_hours: Some(-1.0),
            ..Cooldowns::default()
        };
        let p = CooldownPolicy::from_config(&cooldowns, "anthropic");
        assert_eq!((p.billing_backoff_ms, p.billing_max_ms, p.failure_window_ms), (3 * HOUR, 24 * HOUR, 24 * HOUR));
        // A present but unusable override shadows the global value (reference behaviour).
        cooldowns.billing_backoff_hours_by_provider.insert("z.ai".into(), 0.0);
        assert_eq!(CooldownPolicy::from_config(&cooldowns, "ZAI").billing_backoff_ms, 5 * HOUR);
        cooldowns.billing_backoff_hours = Some(f64::INFINITY);
        assert_eq!(CooldownPolicy::from_config(&cooldowns, "x").billing_backoff_ms, 5 * HOUR);
        cooldowns.billing_backoff_hours = Some(0.5);
        assert_eq!(CooldownPolicy::from_config(&cooldowns, "x").billing_backoff_ms, 30 * MINUTE);
    }

    #[test]
    fn reasons_round_trip_and_map_to_statuses() {
        use FailureReason::*;
        for r in [Auth, Format, RateLimit, Billing, Timeout, Unknown] {
            assert_eq!(FailureReason::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), serde_json::Value::from(r.as_str()));
        }
        assert_eq!(FailureReason::parse("Billing"), None);
        let statuses: Vec<_> = [Billing, RateLimit, Auth, Timeout, Format, Unknown].map(|r| r.failover_status()).into();
        assert_eq!(statuses, [Some(402), Some(429), Some(401), Some(408), Some(400), None]);
    }

    #[test]
    fn classification_patterns() {
        use FailureReason::*;
        let cases: &[(&str, Option<FailureReason>)] = &[
            ("Rate limit reached", Some(RateLimit)),
            ("rate_limit_error", Some(RateLimit)),
            ("HTTP 429 Too Many Requests", Some(RateLimit)),
            ("You exceeded your current quota", Some(RateLimit)),
            ("RESOURCE_EXHAUSTED", Some(RateLimit)),
            ("Resource has been exhausted (e.g. check quota).", Some(RateLimit)),
            ("Quota exceeded for metric", Some(RateLimit)),
            ("invalid_request_error: bad", Some(Format)),
            ("String should match pattern '^abc$'", Some(Format)),
            ("messages.1.content.1.tool_use.id: missing", Some(Format)),
            ("unexpected tool_use_id found", Some(Format)),
            ("Invalid request format", Some(Format)),
            ("HTTP 402", Some(Billing)),
            ("402 Payment Required", Some(Billing)),
            ("Your credit balance is too low", Some(Billing)),
            ("insufficient credits", Some(Billing)),
            ("Go to Plans & Billing", Some(Billing)),
            ("billing: please upgrade", Some(Billing)),
            ("billing issue with your plan", Some(Billing)),
            ("billing", None),
            ("request timed out", Some(Timeout)),
            ("Timeout after 30s", Some(Timeout)),
            ("context deadline exceeded", Some(Timeout)),
            ("invalid x-api-key", None),
            ("Invalid API key", Some(Auth)),
            ("invalid_api_key", Some(Auth)),
            ("invalidapikey", Some(Auth)),
            ("Incorrect API key provided", Some(Auth)),
            ("Invalid token", Some(Auth)),
            ("authentication_error", Some(Auth)),
            ("401 Unauthorized", Some(Auth)),
            ("Forbidden", Some(Auth)),
            ("access denied", Some(Auth)),
            ("OAuth token has expired", Some(Auth)),
            ("status 401", Some(Auth)),
            ("status 403", Some(Auth)),
            ("something odd", None),
            ("", None),
        ];
        for (message, expected) in cases {
            assert_eq!(classify_failure(message), *expected, "{message:?}");
        }
    }

    #[test]
    fn word_boundaries_are_regex_word_boundaries() {
        assert_eq!(classify_failure("error 4021"), None);
        assert_eq!(classify_failure("error a402"), None);
        assert_eq!(classify_failure("error _402"), None);
        assert_eq!(classify_failure("error-402."), Some(FailureReason::Billing));
        assert_eq!(classify_failure("(402)"), Some(FailureReason::Billing));
        assert_eq!(classify_failure("x4011 x4031"), None);
        assert_eq!(classify_failure("code=401,"), Some(FailureReason::Auth));
        assert_eq!(classify_failure("é401é"), Some(FailureReason::Auth)); // non-ASCII is not a word char
        assert_eq!(classify_failure("4024 then 402"), Some(FailureReason::Billing)); // a later occurrence counts
    }

    #[test]
    fn precedence_is_rate_limit_format_billing_timeout_auth() {
        use FailureReason::*;
        assert_eq!(classify_failure("429 invalid_request_error"), Some(RateLimit));
        assert_eq!(classify_failure("invalid_request_error: 402"), Some(Format));
        assert_eq!(classify_failure("402 timeout"), Some(Billing));
        assert_eq!(classify_failure("timeout: unauthorized"), Some(Timeout));
        // The kept quirk: any 429 in the text is a rate limit.
        assert_eq!(classify_failure("unauthorized (request id req_1429)"), Some(RateLimit));
    }

    #[test]
    fn used_resets_everything_but_last_failure() {
        let mut store = store_with(&[("a", "anthropic")]);
        let p = CooldownPolicy::default();
        mark_failure(&mut store, "a", FailureReason::Billing, &p, NOW);
        mark_failure(&mut store, "a", FailureReason::RateLimit, &p, NOW + 1);
        store.usage_stats["a"].extra.insert("custom".into(), 1.into());
        store.usage_stats["a"].extra.insert("cooldownUntil".into(), "garbage".into());
        assert!(mark_used(&mut store, "a", NOW + 2));
        let s = stats(&store, "a");
        assert_eq!(s.last_used, Some((NOW + 2) as f64));
        assert_eq!(s.error_count, Some(0.0));
        assert_eq!((s.cooldown_until, s.disabled_until, &s.disabled_reason), (None, None, &None));
        assert!(s.failure_counts.is_empty());
        assert_eq!(s.last_failure_at, Some((NOW + 1) as f64));
        assert_eq!(s.extra.get("custom"), Some(&1.into()), "unknown fields survive");
        assert!(!s.extra.contains_key("cooldownUntil"), "a cleared field does not come back from extra");
        assert!(!mark_used(&mut store, "a", NOW + 2), "same instant again changes nothing");
    }

    #[test]
    fn failures_step_the_cooldown_ladder() {
        let mut store = store_with(&[("a", "anthropic")]);
        let p = CooldownPolicy::default();
        for (i, expected) in [60_000, 300_000, 1_500_000, 3_600_000, 3_600_000].into_iter().enumerate() {
            let now = NOW + i as i64;
            assert!(mark_failure(&mut store, "a", FailureReason::RateLimit, &p, now));
            let s = stats(&store, "a");
            assert_eq!(s.cooldown_until, Some((now + expected) as f64));
            assert_eq!(s.error_count, Some((i + 1) as f64));
            assert_eq!(s.failure_counts["rate_limit"], (i + 1) as f64);
            assert_eq!(s.last_failure_at, Some(now as f64));
            assert_eq!(s.disabled_until, None);
        }
    }

    #[test]
    fn billing_disables_and_leaves_cooldown_alone() {
        let mut store = store_with(&[("a", "anthropic")]);
        let p = CooldownPolicy::default();
        mark_failure(&mut store, "a", FailureReason::Timeout, &p, NOW);
        let cooldown = stats(&store, "a").cooldown_until;
        assert!(mark_failure(&mut store, "a", FailureReason::Billing, &p, NOW + 10));
        let s = stats(&store, "a");
        assert_eq!(s.disabled_until, Some((NOW + 10 + 5 * HOUR) as f64));
        assert_eq!(s.disabled_reason.as_deref(), Some("billing"));
        assert_eq!(s.cooldown_until, cooldown);
        mark_failure(&mut store, "a", FailureReason::Billing, &p, NOW + 20);
        assert_eq!(stats(&store, "a").disabled_until, Some((NOW + 20 + 10 * HOUR) as f64));
    }

    #[test]
    fn error_count_mixes_reasons() {
        let mut store = store_with(&[("a", "anthropic")]);
        let p = CooldownPolicy::default();
        mark_failure(&mut store, "a", FailureReason::Billing, &p, NOW);
        mark_failure(&mut store, "a", FailureReason::Billing, &p, NOW);
        mark_failure(&mut store, "a", FailureReason::RateLimit, &p, NOW);
        let s = stats(&store, "a");
        assert_eq!(s.error_count, Some(3.0));
        assert_eq!(s.cooldown_until, Some((NOW + 1_500_000) as f64), "third failure: 25 min");
        assert_eq!(s.failure_counts["billing"], 2.0);
        assert_eq!(s.failure_counts["rate_limit"], 1.0);
    }

    #[test]
    fn failure_window_resets_counts() {
        let mut store = store_with(&[("a", "anthropic")]);
        let p = CooldownPolicy::default();
        mark_failure(&mut store, "a", FailureReason::RateLimit, &p, NOW);
        mark_failure(&mut store, "a", FailureReason::Auth, &p, NOW);
        // Exactly at the window's edge the count continues...
        mark_failure(&mut store, "a", FailureReason::RateLimit, &p, NOW + 24 * HOUR);
        assert_eq!(stats(&store, "a").error_count, Some(3.0));
        // ...one millisecond past it, it restarts.
        let later = NOW + 48 * HOUR + 1;
        mark_failure(&mut store, "a", FailureReason::RateLimit, &p, later);
        let s = stats(&store, "a");
        assert_eq!(s.error_count, Some(1.0));
        assert_eq!(s.failure_counts.len(), 1);
        assert_eq!(s.failure_counts["rate_limit"], 1.0);
        assert_eq!(s.cooldown_until, Some((later + 60_000) as f64));
    }

    #[test]
    fn garbage_counts_are_treated_as_zero() {
        let mut store = store_with(&[("a", "anthropic")]);
        store.usage_stats.insert(
            "a".into(),
            UsageStats { error_count: Some(f64::NAN), last_failure_at: Some(-3.0), ..UsageStats::default() },
        );
        store.usage_stats["a"].failure_counts.insert("auth".into(), -7.0);
        mark_failure(&mut store, "a", FailureReason::Auth, &CooldownPolicy::default(), NOW);
        let s = stats(&store, "a");
        assert_eq!(s.error_count, Some(1.0));
        assert_eq!(s.failure_counts["auth"], 1.0);
    }

    #[test]
    fn an_infinite_stored_count_is_garbage_too() {
        let mut store = store_with(&[("a", "anthropic")]);
        store.usage_stats.insert("a".into(), UsageStats { error_count: Some(f64::INFINITY), ..UsageStats::default() });
        mark_failure(&mut store, "a", FailureReason::RateLimit, &CooldownPolicy::default(), NOW);
        let s = stats(&store, "a");
        assert_eq!(s.error_count, Some(1.0), "the ladder restarts, it is not pinned at its top");
        assert_eq!(s.cooldown_until, Some((NOW + 60_000) as f64));
        // A fraction counts its whole part.
        store.usage_stats.insert("a".into(), UsageStats { error_count: Some(2.9), ..UsageStats::default() });
        mark_failure(&mut store, "a", FailureReason::RateLimit, &CooldownPolicy::default(), NOW);
        assert_eq!(stats(&store, "a").error_count, Some(3.0));
    }

    #[test]
    fn a_last_failure_at_zero_or_below_never_resets_the_counts() {
        // Only a positive instant measures a window: 0 or a negative time
        // is no failure time at all, so the counts carry on.
        for at in [0.0, -5.0] {
            let mut store = store_with(&[("a", "anthropic")]);
            store.usage_stats.insert(
                "a".into(),
                UsageStats { error_count: Some(3.0), last_failure_at: Some(at), ..UsageStats::default() },
            );
            store.usage_stats["a"].failure_counts.insert("rate_limit".into(), 3.0);
            mark_failure(&mut store, "a", FailureReason::RateLimit, &CooldownPolicy::default(), NOW);
            let s = stats(&store, "a");
            assert_eq!(s.error_count, Some(4.0), "at {at}");
            assert_eq!(s.failure_counts["rate_limit"], 4.0, "at {at}");
        }
    }

    #[test]
    fn a_disable_ending_exactly_now_is_over_while_the_cooldown_runs() {
        let mut store = store_with(&[("a", "anthropic")]);
        let now = NOW as f64;
        store.usage_stats.insert(
            "a".into(),
            UsageStats {
                cooldown_until: Some(now + 5.0),
                disabled_until: Some(now),
                disabled_reason: Some("billing".into()),
                ..UsageStats::default()
            },
        );
        let list = unusable_profiles(&store, NOW);
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].kind, list[0].reason.as_deref()), (UnusableKind::Cooldown, None));
        assert_eq!((list[0].until, list[0].remaining_ms), (now + 5.0, 5.0));
        // A backoff ending exactly now is not listed at all.
        store.usage_stats["a"].cooldown_until = Some(now);
        assert!(unusable_profiles(&store, NOW).is_empty());
    }

    #[test]
    fn cooldown_helper_is_an_unknown_failure() {
        let mut store = store_with(&[("a", "anthropic")]);
        assert!(mark_cooldown(&mut store, "a", &CooldownPolicy::default(), NOW));
        assert_eq!(stats(&store, "a").failure_counts["unknown"], 1.0);
    }

    #[test]
    fn missing_profiles_are_left_alone() {
        let mut store = store_with(&[("a", "anthropic")]);
        let p = CooldownPolicy::default();
        assert!(!mark_used(&mut store, "ghost", NOW));
        assert!(!mark_failure(&mut store, "ghost", FailureReason::Auth, &p, NOW));
        assert!(!mark_good(&mut store, "anthropic", "ghost"));
        assert!(!clear_cooldown(&mut store, "ghost"));
        assert!(store.usage_stats.is_empty() && store.last_good.is_empty());
    }

    #[test]
    fn good_needs_the_exact_provider() {
        let mut store = store_with(&[("a", "anthropic"), ("z", "Z.AI")]);
        assert!(!mark_good(&mut store, "Anthropic", "a"));
        assert!(!mark_good(&mut store, "zai", "z"));
        assert!(mark_good(&mut store, "anthropic", "a"));
        assert!(!mark_good(&mut store, "anthropic", "a"), "already recorded");
        assert!(mark_good(&mut store, "Z.AI", "z"));
        assert_eq!(store.last_good["anthropic"], "a");
        assert_eq!(store.last_good["Z.AI"], "z");
    }

    #[test]
    fn clear_cooldown_keeps_the_billing_disable() {
        let mut store = store_with(&[("a", "anthropic")]);
        let p = CooldownPolicy::default();
        assert!(!clear_cooldown(&mut store, "a"), "no stats yet: nothing to clear");
        mark_failure(&mut store, "a", FailureReason::RateLimit, &p, NOW);
        mark_failure(&mut store, "a", FailureReason::Billing, &p, NOW);
        assert!(clear_cooldown(&mut store, "a"));
        let s = stats(&store, "a");
        assert_eq!((s.error_count, s.cooldown_until), (Some(0.0), None));
        assert!(s.disabled_until.is_some());
        assert_eq!(s.failure_counts.len(), 2, "per-reason counts stay");
        assert!(!clear_cooldown(&mut store, "a"));
    }

    #[test]
    fn unusable_list_kinds_reasons_and_order() {
        let mut store = store_with(&[("a", "anthropic"), ("b", "openai-codex"), ("c", "anthropic")]);
        let oauth = Credential::OAuth(OAuth { provider: "google".into(), ..OAuth::default() });
        store.profiles.insert("d".into(), Profile::new(oauth));
        let now = NOW as f64;
        let set = |cooldown: Option<f64>, disabled: Option<f64>, reason: Option<&str>| UsageStats {
            cooldown_until: cooldown,
            disabled_until: disabled,
            disabled_reason: reason.map(String::from),
            ..UsageStats::default()
        };
        store.usage_stats.insert("a".into(), set(Some(now + 240_000.0), None, None));
        store.usage_stats.insert("b".into(), set(Some(now + 10.0), Some(now + 3_600_000.0), Some("billing")));
        store.usage_stats.insert("c".into(), set(Some(now), Some(now - 1.0), Some("billing"))); // over
        store.usage_stats.insert("d".into(), set(Some(now + 5_000.0), Some(now - 1.0), Some("billing")));
        store.usage_stats.insert("orphan".into(), set(Some(now + 1.0), None, None));
        let list = unusable_profiles(&store, NOW);
        let ids: Vec<&str> = list.iter().map(|u| u.profile_id.as_str()).collect();
        assert_eq!(ids, ["orphan", "d", "a", "b"]);
        assert_eq!(list[0].provider, None);
        assert_eq!((list[1].kind, list[1].reason.as_deref()), (UnusableKind::Cooldown, None));
        assert_eq!(list[2].remaining_ms, 240_000.0);
        let b = &list[3];
        assert_eq!(
            (b.kind, b.reason.as_deref(), b.until),
            (UnusableKind::Disabled, Some("billing"), now + 3_600_000.0)
        );
        // Milliseconds print as JavaScript prints them: no `.0`.
        let json = serde_json::to_value(&list[2]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"profileId": "a", "provider": "anthropic", "kind": "cooldown",
                               "until": NOW + 240_000, "remainingMs": 240_000})
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::store::{ApiKey, Credential, Profile};
    use proptest::prelude::*;

    fn any_reason() -> impl Strategy<Value = FailureReason> {
        prop::sample::select(vec![
            FailureReason::Auth,
            FailureReason::Format,
            FailureReason::RateLimit,
            FailureReason::Billing,
            FailureReason::Timeout,
            FailureReason::Unknown,
        ])
    }

    fn any_stats() -> impl Strategy<Value = UsageStats> {
        let n = || prop::option::of(any::<f64>());
        (n(), n(), n(), n(), n(), prop::option::of(any::<f64>())).prop_map(|(a, b, c, d, e, f)| {
            let mut stats = UsageStats {
                last_used: a,
                cooldown_until: b,
                disabled_until: c,
                error_count: d,
                last_failure_at: e,
                ..UsageStats::default()
            };
            if let Some(count) = f {
                stats.failure_counts.insert("billing".into(), count);
            }
            stats
        })
    }

    proptest! {
        #[test]
        fn cooldown_is_monotone_and_capped(n in any::<u32>()) {
            let here = cooldown_ms(n);
            prop_assert!(here <= cooldown_ms(n.saturating_add(1)));
            prop_assert!((COOLDOWN_BASE_MS..=COOLDOWN_MAX_MS).contains(&here));
        }

        #[test]
        fn billing_is_monotone_and_capped(k in any::<u32>(), base in any::<i64>(), max in any::<i64>()) {
            let here = billing_disable_ms(k, base, max);
            prop_assert!(here <= billing_disable_ms(k.saturating_add(1), base, max));
            let floor = base.max(BILLING_MIN_BASE_MS);
            prop_assert!(here >= floor.min(max.max(floor)));
            prop_assert!(here <= max.max(floor));
        }

        #[test]
        fn marks_never_panic(
            start in any_stats(),
            ops in prop::collection::vec((0u8..5, any_reason(), any::<i64>()), 0..24),
            policy in (any::<i64>(), any::<i64>(), any::<i64>()),
        ) {
            let mut store = AuthStore::default();
            let cred = Credential::ApiKey(ApiKey { provider: "anthropic".into(), ..ApiKey::default() });
            store.profiles.insert("a".into(), Profile::new(cred));
            store.usage_stats.insert("a".into(), start);
            let policy = CooldownPolicy { billing_backoff_ms: policy.0, billing_max_ms: policy.1, failure_window_ms: policy.2 };
            for (op, reason, now) in ops {
                match op {
                    0 => { mark_used(&mut store, "a", now); }
                    1 => { mark_failure(&mut store, "a", reason, &policy, now); }
                    2 => { mark_good(&mut store, "anthropic", "a"); }
                    3 => { clear_cooldown(&mut store, "a"); }
                    _ => { mark_failure(&mut store, "missing", reason, &policy, now); }
                }
                let _ = unusable_profiles(&store, now);
            }
            prop_assert!(!store.usage_stats.contains_key("missing"));
        }
    }
}
