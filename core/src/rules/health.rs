//! Is each credential ok, expiring, expired, or missing its expiry?
//! (spec §2.10, A49, A50)
//!
//! Two departures from the reference (issue 12, docs/reference.md):
//! - a login that renews itself (OAuth with a refresh token, of a provider
//!   with a known refresh flow) is `ok` whatever its access token's expiry:
//!   an 8-hour Claude Code token is otherwise "expiring" all day long, and
//!   an alert that always fires is ignored. The warn window applies to what
//!   cannot renew itself. [`HealthRules::strict`] keeps the reference's rule.
//! - a login whose refresh the provider refused for good
//!   ([`crate::rejection`]) is `expired`, with a reason, whatever its
//!   access token says.
//!
//! And the end of a sign-in (issue 21): a login another CLI found ended
//! (Claude Code's dead-login stub) is `expired` even when nothing is stored
//! yet, as is one whose sign-in end date has passed; within
//! [`crate::defaults::SIGN_IN_WARN_MS`] of that date it is `expiring`
//! although its access token renews itself. A login the operator made
//! read-only here is renewed by its own tool, not by us: `ok` until its
//! access token expires, then `expired` with what to run.

use crate::config::Config;
use crate::refresh::RefreshProvider;
use crate::rejection::{self, ProbeRejection, RefreshRejection};
use crate::secret_refs::{RefCheck, RefStates};
use crate::sources::EndedLogin;
use crate::store::{AuthStore, Credential, CredentialType, Profile};
use crate::time::{ExpiryKind, Instant, Millis, ser_opt_ms};
use crate::usage::{Backoff, UnusableKind};
use serde::Serialize;
use std::borrow::Cow;
use std::cmp::Ordering;

/// The reference's `DEFAULT_OAUTH_WARN_MS`: 24 h ([`crate::defaults::WARN_AFTER_MS`]).
pub const DEFAULT_WARN_AFTER_MS: i64 = crate::defaults::WARN_AFTER_MS;

/// `reasonCode` of a sign-in that ended: the other CLI found it ended
/// (its dead-login stub), or the date it ends for good has passed.
pub const SIGN_IN_ENDED: &str = "sign_in_ended";
/// `reasonCode` of a sign-in that ends for good within
/// [`crate::defaults::SIGN_IN_WARN_MS`] (or the warn window when longer).
pub const SIGN_IN_ENDING: &str = "sign_in_ending";
/// `reasonCode` of a read-only login (its own tool renews it) whose access
/// token has expired.
pub const READ_ONLY_EXPIRED: &str = "read_only_expired";

/// A credential's health as `models status` classifies it (serialised lower
/// case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Usable and not expiring within the warning window, or renews itself.
    Ok,
    /// Expires within the warning window and cannot renew itself.
    Expiring,
    /// Past its expiry (and cannot renew itself), or refused by its provider at
    /// refresh.
    Expired,
    /// An oauth (or expiring token) profile without a usable expiry.
    Missing,
    /// An api key, or a token that never expires.
    Static,
    /// Its SecretRef did not resolve (fail closed: nothing stands in).
    Failing,
    /// Its SecretRef is an exec ref that was not allowed to run.
    #[serde(rename = "not-checked")]
    Unchecked,
}

impl HealthStatus {
    /// The word `models status` prints ("missing" reads as "unknown").
    pub fn word(self) -> &'static str {
        match self {
            HealthStatus::Ok => "ok",
            HealthStatus::Expiring => "expiring",
            HealthStatus::Expired => "expired",
            HealthStatus::Missing => "unknown",
            HealthStatus::Static => "static",
            HealthStatus::Failing => "failing",
            HealthStatus::Unchecked => "not checked",
        }
    }

    /// Whether `--check` counts it as needing a human.
    pub fn is_bad(self) -> bool {
        matches!(self, HealthStatus::Expired | HealthStatus::Missing | HealthStatus::Failing)
    }
}

/// What a profile is, in one word, for every command that shows or uses
/// it (issue 23 item 6): `models auth list`'s `status`, `models status`'s
/// `state` and its status line, what `--check` counts, what `doctor`
/// reports and `models auth token` hands out, and the panel's badge. It is
/// the profile's [`HealthStatus`] unless something overrules it, in this
/// order: no secret at all, then an expiry (or a refusal at refresh) or an
/// unknown expiry, which need a person whatever else holds, then a
/// disable, then a cooldown, which end by themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standing {
    /// Usable, and renews itself or expires after the warning window.
    Ok,
    /// Usable, but expires within the warning window and cannot renew itself.
    Expiring,
    /// Past its expiry and cannot renew itself, or refused by its provider
    /// at refresh: only a person can renew it.
    Expired,
    /// Its provider refused it when probed (`auth`, `billing`;
    /// `models status --probe`): only a person can act, until the
    /// credential changes or a later probe succeeds.
    Rejected,
    /// A login or token without a usable expiry.
    Unknown,
    /// An API key, or a token that never expires.
    Static,
    /// Backing off after failures (`cooldownUntil`); usable again after.
    Cooldown,
    /// Disabled (`disabledUntil`, a billing problem); usable again after.
    Disabled,
    /// It holds no key or token at all.
    MissingSecret,
    /// Its SecretRef did not resolve (fail closed: nothing stands in).
    Failing,
    /// Its SecretRef is an exec ref that was not allowed to run.
    NotChecked,
}

impl Standing {
    /// Its word, the `status` of `models auth list`.
    pub fn word(self) -> &'static str {
        match self {
            Standing::Ok => "ok",
            Standing::Expiring => "expiring",
            Standing::Expired => "expired",
            Standing::Rejected => "rejected",
            Standing::Unknown => "unknown",
            Standing::Static => "static",
            Standing::Cooldown => "cooldown",
            Standing::Disabled => "disabled",
            Standing::MissingSecret => "missing-secret",
            Standing::Failing => "failing",
            Standing::NotChecked => "not checked",
        }
    }

    /// Whether requests can use it, now or once its backoff ends: what
    /// `--check` counts and `models auth token` hands out. A profile that
    /// is expired, of unknown expiry, without a secret or whose SecretRef
    /// fails (or may not run) needs a person.
    pub fn usable(self) -> bool {
        !matches!(
            self,
            Standing::Expired
                | Standing::Rejected
                | Standing::Unknown
                | Standing::MissingSecret
                | Standing::Failing
                | Standing::NotChecked
        )
    }

    /// Whether it is backing off (a cooldown or a disable).
    pub fn backing_off(self) -> bool {
        matches!(self, Standing::Cooldown | Standing::Disabled)
    }
}

/// Serialised as its [`Standing::word`], the word `models auth list` prints.
impl Serialize for Standing {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.word())
    }
}

/// The one verdict's table, first part: a profile's standing and reason
/// code (the `reasonCode` of `models auth list`, docs/cli.md) from its
/// health, the reason its health gave (a refusal at refresh), and whether
/// it holds a secret.
fn standing_of(
    status: HealthStatus,
    health_reason: Option<&'static str>,
    has_secret: bool,
) -> (Standing, Cow<'static, str>) {
    // A ref beats a plain value: its state comes first.
    match status {
        HealthStatus::Failing => return (Standing::Failing, Cow::Borrowed("ref-failing")),
        HealthStatus::Unchecked => return (Standing::NotChecked, Cow::Borrowed("ref-not-checked")),
        _ if !has_secret => return (Standing::MissingSecret, Cow::Borrowed("missing-secret")),
        _ => {}
    }
    match status {
        HealthStatus::Expired if health_reason == Some(rejection::PROBE_REASON_CODE) => {
            (Standing::Rejected, Cow::Borrowed(rejection::PROBE_REASON_CODE))
        }
        HealthStatus::Expired => (Standing::Expired, Cow::Borrowed(health_reason.unwrap_or("expired"))),
        HealthStatus::Missing => (Standing::Unknown, Cow::Borrowed("expiry-unknown")),
        HealthStatus::Ok => (Standing::Ok, Cow::Borrowed(health_reason.unwrap_or("ok"))),
        HealthStatus::Expiring => (Standing::Expiring, Cow::Borrowed(health_reason.unwrap_or("expiring"))),
        HealthStatus::Static => (Standing::Static, Cow::Borrowed("static")),
        HealthStatus::Failing => (Standing::Failing, Cow::Borrowed("ref-failing")),
        HealthStatus::Unchecked => (Standing::NotChecked, Cow::Borrowed("ref-not-checked")),
    }
}

/// Its second part: a backoff in force overrules a standing that is
/// usable, never one that needs a person (an expired token stays expired
/// in a cooldown, and a login refused at refresh is not "cooling down").
fn overlay(standing: Standing, reason: Cow<'static, str>, backoff: &Backoff) -> (Standing, Cow<'static, str>) {
    if !standing.usable() {
        return (standing, reason);
    }
    match backoff.kind {
        UnusableKind::Disabled => {
            let why = backoff.reason.as_deref().unwrap_or("unknown");
            (Standing::Disabled, Cow::Owned(format!("disabled-{why}")))
        }
        UnusableKind::Cooldown => (Standing::Cooldown, Cow::Borrowed("cooldown")),
    }
}

/// Where a credential comes from: the store, another CLI's login synced
/// into it, or the environment.
///
/// One enum for every document; each names a source in its own word, and
/// those words are the reference's and the scripts' (`claude-cli` in
/// `models status --json`, `claude-code` in `models auth list --json`), so
/// a document picks its word by method and nothing serialises a `Source`
/// without choosing.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// An entry of the profile store itself.
    Store,
    /// A login another CLI holds, synced into the store under that source's
    /// profile id.
    Synced(&'static crate::logins::LoginSource),
    /// A provider variable in the environment.
    Env,
}

impl Source {
    /// Where the profile with this id comes from: a login source's profile id
    /// means that source.
    pub fn of(profile_id: &str) -> Self {
        crate::logins::by_profile_id(profile_id).map_or(Source::Store, Source::Synced)
    }

    /// The word of `models status --json` and of `models auth sync
    /// --enable`: `store`, or the source's name (`claude-cli`).
    pub fn status_word(self) -> &'static str {
        match self {
            Source::Store => "store",
            Source::Synced(source) => source.name,
            Source::Env => "env",
        }
    }

    /// The word of `models auth list --json`: `store`, `env`, or the
    /// source's list word (`claude-code`).
    pub fn list_word(self) -> &'static str {
        match self {
            Source::Store => "store",
            Source::Synced(source) => source.list_word,
            Source::Env => "env",
        }
    }

    /// The word `models auth list` shows: the CLI that owns a synced login
    /// (`Claude Code`).
    pub fn label(self) -> &'static str {
        match self {
            Source::Store => "store",
            Source::Synced(source) => source.owner,
            Source::Env => "env",
        }
    }

    /// Serialises [`Source::status_word`].
    pub fn ser_status_word<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.status_word())
    }

    /// Serialises [`Source::list_word`].
    pub fn ser_list_word<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.list_word())
    }
}

impl PartialEq for Source {
    fn eq(&self, other: &Self) -> bool {
        self.status_word() == other.status_word()
    }
}
impl Eq for Source {}

/// One profile's health in the report (`auth.oauth.profiles[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileHealth {
    /// The store's profile id.
    pub profile_id: String,
    /// Provider id, normalised.
    pub provider: String,
    /// Its credential kind (`type`: `oauth`, `token`, `api_key`).
    #[serde(rename = "type", serialize_with = "ser_type")]
    pub kind: CredentialType,
    /// How it is classified at the report's `now`.
    pub status: HealthStatus,
    /// Its expiry (ms since the epoch in JSON); `None` for an API key or
    /// an unknown expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Instant>,
    /// `expires_at` minus `now`, ms (negative once past); `None` when
    /// `expires_at` is.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_opt_ms")]
    pub remaining_ms: Option<f64>,
    /// The store, or the CLI whose login it mirrors.
    #[serde(serialize_with = "Source::ser_status_word")]
    pub source: Source,
    /// The display label: `<id> (<email>)`, or the id alone.
    pub label: String,
    /// It renews itself on use: OAuth with a refresh token, of a provider
    /// Clawdbot can refresh, not refused by it.
    pub refreshable: bool,
    /// What every command calls it ([`Standing`]; `state` in JSON, the
    /// `status` of `models auth list`).
    #[serde(rename = "state")]
    pub standing: Standing,
    /// Why it has its standing, as `models auth list` says it (a stable
    /// code: `ok`, `cooldown`, `disabled-billing`, and for a login refused
    /// at refresh [`rejection::REASON_CODE`], ...).
    pub reason_code: Cow<'static, str>,
    /// Why it has its health when its expiry alone does not say it:
    /// [`rejection::REASON_CODE`] for a login refused at refresh,
    /// [`SIGN_IN_ENDED`], [`SIGN_IN_ENDING`], [`READ_ONLY_EXPIRED`]. The
    /// [`ProfileHealth::reason_code`] of its standing when it decides it.
    #[serde(skip)]
    pub health_reason: Option<&'static str>,
    /// The refusal behind a `refresh_rejected` reason: when, and the
    /// provider's error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection: Option<Rejection>,
    /// The cooldown or disable in force, whatever its standing (the
    /// report's `unusableProfiles` has it in JSON).
    #[serde(skip)]
    pub backoff: Option<Backoff>,
    /// Its SecretRef and what became of it; `None` without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<RefReport>,
    /// The agent it is inherited from, when it is not this agent's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited_from: Option<String>,
    /// When the sign-in ends for good (ms since the epoch in JSON, as
    /// `expiresAt`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at: Option<Instant>,
    /// `refresh_expires_at` minus `now`, ms (negative once past), for the
    /// text ("sign-in ends in 2d").
    #[serde(skip)]
    pub refresh_remaining_ms: Option<f64>,
    /// The login is read-only here (`auth.loginSources.<name>.readOnly`):
    /// its own tool renews it, Clawdbot never does.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// The other CLI found the sign-in ended (its dead-login stub): where,
    /// and why when it said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_ended: Option<SignInEnded>,
}

/// A sign-in another CLI found ended, as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInEnded {
    /// Where the stub was read (a path, or the Keychain item).
    pub origin: String,
    /// Why, as the tool wrote it (`time_limit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ProfileHealth {
    /// Why it has its status, in words, when the sign-in decided it:
    /// `sign-in ended (loginEnded: time_limit)`, `sign-in ended 2d ago`,
    /// `sign-in ends in 2d`.
    pub fn sign_in_words(&self) -> Option<String> {
        let short = |ms: f64| crate::remaining::format_remaining_short(Some(ms));
        match self.health_reason {
            Some(SIGN_IN_ENDED) => Some(match (&self.sign_in_ended, self.refresh_remaining_ms) {
                (Some(SignInEnded { reason: Some(r), .. }), _) => format!("sign-in ended (loginEnded: {r})"),
                (Some(_), _) => "sign-in ended (its refresh was refused)".to_string(),
                (None, Some(left)) => format!("sign-in ended {} ago", short(-left)),
                (None, None) => "sign-in ended".to_string(),
            }),
            Some(SIGN_IN_ENDING) => self.refresh_remaining_ms.map(|left| format!("sign-in ends in {}", short(left))),
            _ => None,
        }
    }
}

/// A profile's SecretRef as reports show it: where it points and its
/// state, the value masked, never whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefReport {
    /// `source:alias:id` (`exec:pass:openai/key`), or `malformed`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// `ok`, `failing` or `not checked`.
    pub state: &'static str,
    /// Why it fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The resolved value, masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked: Option<String>,
}

impl RefReport {
    /// The report of `profile`'s ref; `None` without one.
    pub fn of(refs: &RefStates, id: &str, profile: &Profile) -> Option<RefReport> {
        let check = crate::secret_refs::check_of(refs, id, profile)?;
        let reference = match crate::secret_ref::profile_ref(profile)? {
            Ok(r) => crate::escape::escape_control(&r.to_string()).into_owned(),
            Err(_) => "malformed".to_string(),
        };
        let (reason, masked) = match check {
            RefCheck::Ok(secret) => (None, Some(secret.masked())),
            RefCheck::Failing(why) => (Some(crate::escape::escape_control(&why.to_string()).into_owned()), None),
            RefCheck::NotChecked => (Some("exec refs run only with --allow-exec".to_string()), None),
        };
        Some(RefReport { reference, state: check.word(), reason, masked })
    }
}

/// A refusal as the report shows it (no fingerprint: it is of no use to a
/// reader): a refresh the token endpoint refused for good, or a probe the
/// provider answered with `auth` or `billing`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    /// The provider's error code (`invalid_grant`, `invalid_api_key`).
    pub code: String,
    /// When the refusal happened, ms since the epoch.
    #[serde(serialize_with = "crate::time::ser_ms")]
    pub at: f64,
    /// What was refused: `refresh` or `probe`.
    pub by: &'static str,
    /// A probe's class: `auth` or `billing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// How long ago, at the report's `now` (for "3h ago").
    #[serde(skip)]
    pub ago_ms: f64,
}

impl Rejection {
    fn at(r: RefreshRejection, now: Millis) -> Self {
        Rejection { ago_ms: now as f64 - r.at, code: r.code, at: r.at, by: "refresh", status: None }
    }

    fn of_probe(r: ProbeRejection, now: Millis) -> Self {
        Rejection { ago_ms: now as f64 - r.at, code: r.code, at: r.at, by: "probe", status: Some(r.status) }
    }

    /// Whether a probe found it refused (else a refresh was).
    pub fn by_probe(&self) -> bool {
        self.by == "probe"
    }

    /// A probe's refusal in words: `rejected by the provider at
    /// 2026-01-01T00:00:00Z (auth: invalid_api_key)`; `None` for a refresh's.
    pub fn probe_words(&self) -> Option<String> {
        let status = self.status.as_deref().filter(|_| self.by_probe())?;
        let at = Instant::from_ms(self.at).shown();
        Some(format!("rejected by the provider at {at} ({status}: {})", crate::escape::escape_control(&self.code)))
    }
}

/// What the classification depends on besides the credential and `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthRules {
    /// How soon an expiry that cannot renew itself counts as "expiring".
    pub warn_after_ms: i64,
    /// The reference's rule: an access token's expiry counts even when the
    /// login would refresh it (`models status --strict`).
    pub strict: bool,
}

impl Default for HealthRules {
    fn default() -> Self {
        HealthRules { warn_after_ms: DEFAULT_WARN_AFTER_MS, strict: false }
    }
}

fn ser_type<S: serde::Serializer>(t: &CredentialType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.as_str())
}

/// One provider's health rolled up over its profiles
/// (`auth.oauth.providers[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderHealth {
    /// Provider id, normalised.
    pub provider: String,
    /// `expired` if any expiring profile is bad, else `expiring` if any is,
    /// else `ok`; `static` with only API keys, `missing` with no profiles.
    pub status: HealthStatus,
    /// The earliest finite expiry among its expiring profiles (ms since
    /// the epoch in JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Instant>,
    /// `expires_at` minus `now`, ms.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_opt_ms")]
    pub remaining_ms: Option<f64>,
    /// This provider's entries of [`HealthSummary::profiles`] (sorted by
    /// provider, so they are contiguous). The JSON repeats them in full;
    /// memory holds them once.
    #[serde(skip)]
    pub profiles: std::ops::Range<usize>,
}

/// The report's OAuth and token health (`auth.oauth`).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthSummary {
    /// The warning window used, ms.
    pub warn_after_ms: i64,
    /// Every profile's health, grouped by provider in the core's collation.
    pub profiles: Vec<ProfileHealth>,
    /// One rolled-up health per provider asked about, in the order given.
    pub providers: Vec<ProviderHealth>,
}

impl HealthSummary {
    /// The profiles of one provider of [`HealthSummary::providers`].
    pub fn profiles_of(&self, provider: &ProviderHealth) -> &[ProfileHealth] {
        self.profiles.get(provider.profiles.clone()).unwrap_or_default()
    }
}

/// The reference's shape: each provider carries its profiles in full.
impl Serialize for HealthSummary {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Provider<'a> {
            #[serde(flatten)]
            health: &'a ProviderHealth,
            profiles: &'a [ProfileHealth],
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Summary<'a> {
            warn_after_ms: i64,
            profiles: &'a [ProfileHealth],
            providers: Vec<Provider<'a>>,
        }
        Summary {
            warn_after_ms: self.warn_after_ms,
            profiles: &self.profiles,
            providers: self.providers.iter().map(|p| Provider { health: p, profiles: self.profiles_of(p) }).collect(),
        }
        .serialize(s)
    }
}

/// The reference's display label: `<id> (<email>)`, the config's e-mail
/// winning over the stored one (A52).
pub fn display_label(config: &Config, profile_id: &str, profile: Option<&Profile>) -> String {
    let email = config
        .auth
        .profiles
        .get(profile_id)
        .and_then(|p| p.email.as_deref())
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .or_else(|| profile.and_then(|p| p.credential.email()).map(str::trim).filter(|e| !e.is_empty()));
    match email {
        Some(e) => format!("{profile_id} ({e})"),
        None => profile_id.to_string(),
    }
}

/// Classifies one profile at `now` by the default rules, from the profile
/// (and its SecretRef) alone: no refusal, no backoff. A command judging a
/// stored profile asks `assess`, which reads the store's records too.
pub fn profile_health(
    config: &Config,
    refs: &RefStates,
    id: &str,
    profile: &Profile,
    now: Millis,
    warn_after_ms: i64,
) -> ProfileHealth {
    judge(config, refs, id, profile, None, None, now, HealthRules { warn_after_ms, strict: false })
}

/// Whether a credential renews itself on use: OAuth with a refresh token,
/// of a provider with a known refresh flow.
pub fn renews_itself(credential: &Credential) -> bool {
    matches!(credential, Credential::OAuth(o)
        if o.refresh.as_ref().is_some_and(|r| !r.is_blank()) && RefreshProvider::from_id(&o.provider).is_some())
}

/// Classifies one profile at `now`; `rejected` is the refusal that still
/// applies to it ([`rejection::rejection_of`]), `ended` the other CLI's word
/// that its sign-in ended ([`crate::load::Loaded::ended`]).
// Each argument is one thing the verdict weighs, from a different place.
#[allow(clippy::too_many_arguments)]
pub fn judge(
    config: &Config,
    refs: &RefStates,
    id: &str,
    profile: &Profile,
    rejected: Option<RefreshRejection>,
    ended: Option<&EndedLogin>,
    now: Millis,
    rules: HealthRules,
) -> ProfileHealth {
    let c = &profile.credential;
    let read_only = config.login_read_only(id);
    let sign_in_ends = match c {
        Credential::OAuth(o) => o.sign_in_ends(),
        _ => None,
    };
    let sign_in_over = ended.is_some() || sign_in_ends.is_some_and(|at| at.is_past(now));
    let renews = rejected.is_none() && !sign_in_over && renews_itself(c);
    let refreshable = renews && !read_only;
    let warn_after_ms = rules.warn_after_ms;
    let (mut status, expires_at, remaining_ms) = match c.expiry() {
        ExpiryKind::Never => (HealthStatus::Static, None, None),
        ExpiryKind::Unknown => (HealthStatus::Missing, None, None),
        ExpiryKind::At(e) => {
            let remaining = e.remaining(now);
            let status = if e.is_past(now) {
                HealthStatus::Expired
            } else if remaining <= warn_after_ms as f64 {
                HealthStatus::Expiring
            } else {
                HealthStatus::Ok
            };
            (status, Some(e), Some(remaining))
        }
    };
    // Why it has its status when its expiry alone does not say it.
    let mut health_reason = None;
    if refreshable && !rules.strict {
        status = HealthStatus::Ok;
    }
    // Its own tool renews a read-only login: ok until its access token
    // has expired, and then only running the tool helps.
    if renews && read_only && !rules.strict && status == HealthStatus::Expiring {
        status = HealthStatus::Ok;
    }
    if renews && read_only && status == HealthStatus::Expired {
        health_reason = Some(READ_ONLY_EXPIRED);
    }
    if let Some(end) = sign_in_ends.filter(|_| !sign_in_over) {
        let window = crate::defaults::SIGN_IN_WARN_MS.max(warn_after_ms) as f64;
        if end.remaining(now) <= window && matches!(status, HealthStatus::Ok | HealthStatus::Expiring) {
            status = HealthStatus::Expiring;
            health_reason = Some(SIGN_IN_ENDING);
        }
    }
    if sign_in_over {
        status = HealthStatus::Expired;
        health_reason = Some(SIGN_IN_ENDED);
    }
    if rejected.is_some() {
        status = HealthStatus::Expired;
        health_reason = Some(rejection::REASON_CODE);
    }
    // A ref beats a plain value: one that fails makes the profile fail,
    // one not checked cannot be called ok.
    let secret_ref = RefReport::of(refs, id, profile);
    let ref_check = crate::secret_refs::check_of(refs, id, profile);
    match &ref_check {
        Some(RefCheck::Failing(_)) => status = HealthStatus::Failing,
        Some(RefCheck::NotChecked) => status = HealthStatus::Unchecked,
        Some(RefCheck::Ok(_)) | None => {}
    }
    // Its secret is the ref's value when it has one, else the plain one.
    let has_secret = match ref_check {
        Some(RefCheck::Ok(value)) => !value.is_blank(),
        Some(_) => false,
        None => c.secret().is_some(),
    };
    let (standing, reason_code) = standing_of(status, health_reason, has_secret);
    ProfileHealth {
        profile_id: id.to_string(),
        provider: crate::provider::normalize(c.provider()),
        kind: c.kind(),
        status,
        expires_at,
        remaining_ms,
        source: Source::of(id),
        label: display_label(config, id, Some(profile)),
        refreshable,
        standing,
        reason_code,
        health_reason,
        rejection: rejected.map(|r| Rejection::at(r, now)),
        backoff: None,
        secret_ref,
        inherited_from: None,
        refresh_expires_at: sign_in_ends,
        refresh_remaining_ms: sign_in_ends.map(|at| at.remaining(now)),
        read_only,
        sign_in_ended: ended.map(|e| SignInEnded { origin: e.origin.clone(), reason: e.reason.clone() }),
    }
}

/// The health of a sign-in another CLI found ended while the store holds
/// nothing under its profile: `expired`, never "missing".
fn ended_health(config: &Config, ended: &EndedLogin) -> ProfileHealth {
    ProfileHealth {
        profile_id: ended.profile_id.to_string(),
        provider: crate::provider::normalize(ended.provider),
        kind: CredentialType::OAuth,
        status: HealthStatus::Expired,
        expires_at: None,
        remaining_ms: None,
        source: Source::of(ended.profile_id),
        label: display_label(config, ended.profile_id, None),
        refreshable: false,
        standing: Standing::Expired,
        reason_code: Cow::Borrowed(SIGN_IN_ENDED),
        health_reason: Some(SIGN_IN_ENDED),
        rejection: None,
        backoff: None,
        secret_ref: None,
        refresh_expires_at: None,
        refresh_remaining_ms: None,
        read_only: config.login_read_only(ended.profile_id),
        sign_in_ended: Some(SignInEnded { origin: ended.origin.clone(), reason: ended.reason.clone() }),
        inherited_from: None,
    }
}

/// The one verdict on a stored profile at `now` (issue 23 item 6): its
/// health ([`judge`], with the refusal the store recorded for it) and its
/// [`Standing`], with the cooldown or disable its `usageStats` hold. Every
/// command that shows, counts or hands out a profile asks this.
// Each argument is one record the verdict weighs, from a different place.
#[allow(clippy::too_many_arguments)]
pub fn assess(
    config: &Config,
    refs: &RefStates,
    store: &AuthStore,
    ended: &[EndedLogin],
    id: &str,
    profile: &Profile,
    now: Millis,
    rules: HealthRules,
) -> ProfileHealth {
    // Another CLI's word that the sign-in ended is about its login, never a key.
    let ended = ended.iter().find(|e| e.profile_id == id && profile.credential.kind() != CredentialType::ApiKey);
    let mut health = judge(config, refs, id, profile, rejection::rejection_of(store, id), ended, now, rules);
    health.inherited_from = store.inherited_from(id).map(str::to_string);
    // A probe the provider refused (issue 26): only a person can act, as
    // long as the profile holds the secret that was refused. Whatever
    // already needs a person keeps its own reason.
    let probed = rejection::probed_secret(refs, id, profile);
    if let Some(refused) = rejection::probe_rejection_of(store, id, probed).filter(|_| health.standing.usable()) {
        health.status = HealthStatus::Expired;
        health.refreshable = false;
        health.health_reason = Some(rejection::PROBE_REASON_CODE);
        (health.standing, health.reason_code) = standing_of(health.status, health.health_reason, true);
        health.rejection = Some(Rejection::of_probe(refused, now));
    }
    if let Some(backoff) = store.usage_stats.get(id).and_then(|s| Backoff::of(s, now)) {
        let reason = std::mem::take(&mut health.reason_code);
        (health.standing, health.reason_code) = overlay(health.standing, reason, &backoff);
        health.backoff = Some(backoff);
    }
    health
}

/// Health of every profile and of each listed provider (§2.10), by the
/// default rules.
pub fn summarize(
    config: &Config,
    refs: &RefStates,
    store: &AuthStore,
    providers: &[String],
    now: Millis,
    warn_after_ms: i64,
) -> HealthSummary {
    summarize_with(config, refs, store, &[], providers, now, HealthRules { warn_after_ms, strict: false })
}

/// [`summarize`] by the given rules, with the sign-ins other CLIs found
/// ended (`ended`): such a profile is `expired`, stored or not.
pub fn summarize_with(
    config: &Config,
    refs: &RefStates,
    store: &AuthStore,
    ended: &[EndedLogin],
    providers: &[String],
    now: Millis,
    rules: HealthRules,
) -> HealthSummary {
    let warn_after_ms = rules.warn_after_ms;
    // One comparison rule for providers (A34): `OpenRouter` in the store is
    // the `openrouter` the config's models use.
    let wanted: std::collections::HashSet<String> = providers.iter().map(|p| crate::provider::normalize(p)).collect();
    let mut profiles: Vec<ProfileHealth> = store
        .profiles
        .iter()
        .filter(|(_, p)| wanted.contains(crate::provider::normalized(p.credential.provider()).as_ref()))
        .map(|(id, p)| assess(config, refs, store, ended, id, p, now, rules))
        .chain(
            ended
                .iter()
                .filter(|e| !store.profiles.contains_key(e.profile_id))
                .filter(|e| wanted.contains(crate::provider::normalized(e.provider).as_ref()))
                .map(|e| ended_health(config, e)),
        )
        .collect();
    sort_collated(&mut profiles, |p| [&p.provider, &p.profile_id]);
    let mut names: Vec<&String> = providers.iter().collect();
    sort_collated(&mut names, |name| [name]);
    names.dedup();
    let mut ranges: std::collections::HashMap<&str, std::ops::Range<usize>> = std::collections::HashMap::new();
    for (i, p) in profiles.iter().enumerate() {
        ranges.entry(p.provider.as_str()).and_modify(|r| r.end = i + 1).or_insert(i..i + 1);
    }
    let providers = names
        .into_iter()
        .map(|name| {
            let range = ranges.get(name.as_str()).cloned().unwrap_or(0..0);
            roll_up(name, &profiles[range.clone()], range, now)
        })
        .collect();
    HealthSummary { warn_after_ms, profiles, providers }
}

fn roll_up(provider: &str, profiles: &[ProfileHealth], range: std::ops::Range<usize>, now: Millis) -> ProviderHealth {
    let expiring_kinds: Vec<&ProfileHealth> = profiles.iter().filter(|p| p.kind != CredentialType::ApiKey).collect();
    let (status, expires_at) = if profiles.is_empty() {
        (HealthStatus::Missing, None)
    } else if expiring_kinds.is_empty() {
        (HealthStatus::Static, None)
    } else {
        let min = expiring_kinds
            .iter()
            .filter_map(|p| p.expires_at)
            .filter(|e| e.ms().is_finite())
            .reduce(|a, b| if b < a { b } else { a });
        let status = if expiring_kinds.iter().any(|p| p.status.is_bad()) {
            HealthStatus::Expired
        } else if expiring_kinds.iter().any(|p| p.status == HealthStatus::Expiring) {
            HealthStatus::Expiring
        } else {
            HealthStatus::Ok
        };
        (status, min)
    };
    ProviderHealth {
        provider: provider.to_string(),
        status,
        expires_at,
        remaining_ms: expires_at.map(|e| e.remaining(now)),
        profiles: range,
    }
}

/// Punctuation in [`collation_key`]'s order.
const PUNCT: &[u8] = b"_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";
/// What [`PUNCT_RANK`] holds for an ASCII character that is no punctuation.
const NOT_PUNCT: u8 = u8::MAX;
/// Each ASCII character's place in [`PUNCT`] (looked up, not searched for:
/// every character of every id sorted goes through here).
const PUNCT_RANK: [u8; 128] = {
    let mut rank = [NOT_PUNCT; 128];
    let mut i = 0;
    while i < PUNCT.len() {
        rank[PUNCT[i] as usize] = i as u8;
        i += 1;
    }
    rank
};

/// Two ids in [`collation_key`]'s order. Two ASCII ids (nearly all) are
/// compared in place, by the same table, without making either key.
pub fn collate(a: &str, b: &str) -> Ordering {
    if !(a.is_ascii() && b.is_ascii()) {
        return collation_key(a).cmp(&collation_key(b));
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let weight = |c: u8| ASCII_WEIGHT[usize::from(c & 0x7f)];
    let weights = a.iter().zip(b).map(|(&x, &y)| weight(x).cmp(&weight(y))).find(|o| o.is_ne());
    let case = || {
        let upper = |c: &u8| c.is_ascii_uppercase();
        a.iter().map(upper).cmp(b.iter().map(upper))
    };
    weights.unwrap_or_else(|| a.len().cmp(&b.len()).then_with(case))
}

/// Sorts `items` by the ids `ids` gives each (the first, then the next on
/// a tie), each in [`collation_key`]'s order; stable. A few items (every
/// agent's providers and profiles) are compared in place ([`collate`]);
/// more get their keys made once each.
pub fn sort_collated<T, const N: usize>(items: &mut [T], ids: impl Fn(&T) -> [&str; N]) {
    if items.len() <= FEW {
        let pairwise = |x: &T, y: &T| {
            let (x, y) = (ids(x), ids(y));
            x.iter().zip(&y).map(|(a, b)| collate(a, b)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
        };
        items.sort_by(pairwise);
    } else {
        items.sort_by_cached_key(|item| ids(item).map(collation_key));
    }
}

/// Up to how many items [`sort_collated`] compares in place: a sort of n
/// compares about n log n pairs, so for a handful that is cheaper than n
/// keys made and freed.
const FEW: usize = 16;

/// The sort key of an approximation of JavaScript's `localeCompare` (ICU
/// root collation) for ids: punctuation before digits before letters,
/// letters compared case-insensitively first, lower case before upper case
/// on a tie. Primary weights, then case bits; computed once per item
/// (`sort_by_cached_key`), so sorting n ids costs n keys, not two per
/// comparison.
pub fn collation_key(s: &str) -> CollationKey {
    // One byte string: each weight in three big-endian bytes (every weight
    // is below 2^24), three zero bytes (below every weight, so an id that is
    // a prefix of another sorts first, as with the weights alone), then a
    // case byte each. Ordered as (weights, case bits) would be, with one
    // allocation instead of two, and compared as bytes (every agent's
    // report sorts its ids).
    if s.is_ascii() {
        // Nearly every id is ASCII: its key bytes come from a table, filled
        // into a buffer of the final size.
        let bytes = s.as_bytes();
        let mut key = vec![0; 4 * bytes.len() + 3];
        let (weights, rest) = key.split_at_mut(3 * bytes.len());
        for (to, &b) in weights.chunks_exact_mut(3).zip(bytes) {
            to.copy_from_slice(&ASCII_KEY[usize::from(b & 0x7f)]);
        }
        for (to, &b) in rest.iter_mut().skip(3).zip(bytes) {
            *to = u8::from(b.is_ascii_uppercase());
        }
        return CollationKey(key);
    }
    let mut key = Vec::with_capacity(4 * s.len() + 3);
    s.chars().for_each(|c| key.extend_from_slice(&weight_bytes(weight(c))));
    key.extend_from_slice(&[0; 3]);
    key.extend(s.chars().map(|c| u8::from(c.is_uppercase())));
    CollationKey(key)
}

/// The sort key [`collation_key`] makes: compare two, not their parts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CollationKey(Vec<u8>);

impl CollationKey {
    /// The primary weights alone (what the tests pin).
    #[cfg(test)]
    fn weights(&self) -> Vec<u32> {
        let n = (self.0.len() - 3) / 4;
        self.0[..3 * n].chunks(3).map(|w| u32::from_be_bytes([0, w[0], w[1], w[2]])).collect()
    }
}

/// A character's primary weight in [`collation_key`].
fn weight(c: char) -> u32 {
    if c.is_whitespace() {
        c as u32
    } else if let Some(&i) = PUNCT_RANK.get(c as usize).filter(|&&i| i != NOT_PUNCT) {
        0x1_0000 + i as u32
    } else if c.is_ascii_digit() {
        0x2_0000 + c as u32
    } else if c.is_ascii_alphabetic() {
        0x3_0000 + c.to_ascii_lowercase() as u32
    } else if c.is_alphabetic() {
        0x3_0000 + c.to_lowercase().next().unwrap_or(c) as u32
    } else {
        0x40_0000 + c as u32
    }
}

/// A weight as the three big-endian bytes of its key (every weight is
/// below 2^24).
const fn weight_bytes(w: u32) -> [u8; 3] {
    let [_, a, b, c] = w.to_be_bytes();
    [a, b, c]
}

/// [`ASCII_WEIGHT`] as key bytes ([`weight_bytes`]).
const ASCII_KEY: [[u8; 3]; 128] = {
    let mut table = [[0; 3]; 128];
    let mut i = 0;
    while i < 128 {
        table[i] = weight_bytes(ASCII_WEIGHT[i]);
        i += 1;
    }
    table
};

/// [`weight`] of each ASCII character, computed when the crate is compiled
/// by the same rules (a test holds the two together).
const ASCII_WEIGHT: [u32; 128] = {
    let mut table = [0; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        table[i] = if matches!(b, b'\t'..=b'\r' | b' ') {
            b as u32
        } else if PUNCT_RANK[i] != NOT_PUNCT {
            0x1_0000 + PUNCT_RANK[i] as u32
        } else if b.is_ascii_digit() {
            0x2_0000 + b as u32
        } else if b.is_ascii_alphabetic() {
            0x3_0000 + b.to_ascii_lowercase() as u32
        } else {
            0x40_0000 + b as u32
        };
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProfileConfig;
    use crate::secret::Secret;
    use crate::store::{ApiKey, OAuth, Token};
    use crate::time::{DAY, Expiry, HOUR};

    const NOW: Millis = 1767225600000;

    /// An OAuth login that cannot renew itself (no refresh token): the
    /// expiry rules apply to it as they do to a token.
    fn oauth(exp: Option<i64>) -> Profile {
        Profile::new(Credential::OAuth(OAuth {
            provider: "anthropic".into(),
            access: Some(Secret::new("a")),
            expires: exp.map(Expiry::from_millis),
            ..OAuth::default()
        }))
    }

    /// A login that renews itself: a refresh token, for `provider`.
    fn renewing(provider: &str, exp: Option<i64>) -> Profile {
        Profile::new(Credential::OAuth(OAuth {
            provider: provider.into(),
            access: Some(Secret::new("a")),
            refresh: Some(Secret::new("r-FAKE")),
            expires: exp.map(Expiry::from_millis),
            ..OAuth::default()
        }))
    }

    fn rules(strict: bool) -> HealthRules {
        HealthRules { warn_after_ms: DEFAULT_WARN_AFTER_MS, strict }
    }

    #[test]
    fn a_login_that_renews_itself_is_ok_whatever_its_access_token_says() {
        for exp in [Some(NOW + 3 * HOUR), Some(NOW - 2 * HOUR), None] {
            let h = judge(
                &Config::default(),
                &RefStates::new(),
                "anthropic:a",
                &renewing("anthropic", exp),
                None,
                None,
                NOW,
                rules(false),
            );
            assert_eq!((h.status, h.refreshable), (HealthStatus::Ok, true), "expires {exp:?}");
            assert_eq!(h.expires_at, exp.map(Instant::from_millis), "the expiry is still reported");
            let json = serde_json::to_value(&h).unwrap();
            assert_eq!(json["refreshable"], true);
            assert_eq!((&json["state"], &json["reasonCode"]), (&serde_json::json!("ok"), &serde_json::json!("ok")));
        }
    }

    #[test]
    fn strict_keeps_the_references_rule_for_renewing_logins() {
        let soon = renewing("anthropic", Some(NOW + 3 * HOUR));
        let h = judge(&Config::default(), &RefStates::new(), "anthropic:a", &soon, None, None, NOW, rules(true));
        assert_eq!((h.status, h.refreshable), (HealthStatus::Expiring, true));
        let old = renewing("anthropic", Some(NOW - HOUR));
        assert_eq!(
            judge(&Config::default(), &RefStates::new(), "a", &old, None, None, NOW, rules(true)).status,
            HealthStatus::Expired
        );
    }

    #[test]
    fn a_refresh_token_without_a_known_flow_does_not_renew_anything() {
        let h = judge(
            &Config::default(),
            &RefStates::new(),
            "acme:a",
            &renewing("acme", Some(NOW + 3 * HOUR)),
            None,
            None,
            NOW,
            rules(false),
        );
        assert_eq!((h.status, h.refreshable), (HealthStatus::Expiring, false));
    }

    #[test]
    fn a_login_refused_at_refresh_is_expired_with_its_reason_even_when_its_token_is_fresh() {
        let mut store = AuthStore::default();
        store.profiles.insert("anthropic:a".into(), renewing("anthropic", Some(NOW + 3 * HOUR)));
        let sent = Secret::new("r-FAKE");
        crate::rejection::record_rejection(&mut store, "anthropic:a", &sent, "invalid_grant", NOW - 3 * HOUR);
        for strict in [false, true] {
            let s = summarize_with(
                &Config::default(),
                &RefStates::new(),
                &store,
                &[],
                &["anthropic".into()],
                NOW,
                rules(strict),
            );
            let h = &s.profiles[0];
            assert_eq!(
                (h.status, h.refreshable, h.reason_code.as_ref()),
                (HealthStatus::Expired, false, "refresh_rejected")
            );
            let json = serde_json::to_value(h).unwrap();
            assert_eq!(json["reasonCode"], "refresh_rejected");
            assert_eq!(json["rejection"]["code"], "invalid_grant");
            assert_eq!(s.providers[0].status, HealthStatus::Expired);
        }
    }

    fn ending(exp: Option<i64>, end: i64) -> Profile {
        let mut p = renewing("anthropic", exp);
        if let Credential::OAuth(o) = &mut p.credential {
            o.refresh_expires = Some(Expiry::from_millis(end));
        }
        p
    }

    /// Claude Code's dead-login stub: the login is `expired` with its
    /// reason whatever the stored access token says, and shows even when
    /// the store holds nothing yet (never "missing").
    #[test]
    fn a_sign_in_another_cli_found_ended_is_expired_stored_or_not() {
        let ended = [EndedLogin {
            profile_id: "anthropic:claude-cli",
            provider: "anthropic",
            reason: Some("time_limit".into()),
            origin: "~/.claude/.credentials.json".into(),
        }];
        let live = store_of(&[("anthropic:claude-cli", renewing("anthropic", Some(NOW + 3 * HOUR)))]);
        for store in [live, AuthStore::default()] {
            let s = summarize_with(
                &Config::default(),
                &RefStates::new(),
                &store,
                &ended,
                &["anthropic".into()],
                NOW,
                rules(false),
            );
            assert_eq!(s.profiles.len(), 1);
            let h = &s.profiles[0];
            assert_eq!(
                (h.profile_id.as_str(), h.status, h.refreshable, h.health_reason),
                ("anthropic:claude-cli", HealthStatus::Expired, false, Some(SIGN_IN_ENDED))
            );
            assert_eq!(h.sign_in_words().as_deref(), Some("sign-in ended (loginEnded: time_limit)"));
            let json = serde_json::to_value(h).unwrap();
            assert_eq!(json["reasonCode"], "sign_in_ended");
            assert_eq!(
                json["signInEnded"],
                serde_json::json!({"origin": "~/.claude/.credentials.json", "reason": "time_limit"})
            );
            assert_eq!(json["source"], "claude-cli");
            assert_eq!(s.providers[0].status, HealthStatus::Expired);
        }
        // Another provider asked about: not shown there.
        let s = summarize_with(
            &Config::default(),
            &RefStates::new(),
            &AuthStore::default(),
            &ended,
            &["openai".into()],
            NOW,
            rules(false),
        );
        assert!(s.profiles.is_empty());
    }

    /// `refreshTokenExpiresAt`: within 3 days of it a login is `expiring`
    /// although its access token renews itself, past it `expired`; further
    /// out it is only shown.
    #[test]
    fn the_end_of_a_sign_in_makes_a_renewing_login_expiring_then_expired() {
        let judged = |end: i64, warn: i64| {
            let rules = HealthRules { warn_after_ms: warn, strict: false };
            judge(
                &Config::default(),
                &RefStates::new(),
                "anthropic:a",
                &ending(Some(NOW + 3 * HOUR), end),
                None,
                None,
                NOW,
                rules,
            )
        };
        let h = judged(NOW + 2 * DAY, DEFAULT_WARN_AFTER_MS);
        assert_eq!((h.status, h.refreshable, h.health_reason), (HealthStatus::Expiring, true, Some(SIGN_IN_ENDING)));
        assert_eq!(h.sign_in_words().as_deref(), Some("sign-in ends in 2d"));
        let json = serde_json::to_value(&h).unwrap();
        assert_eq!(json["refreshExpiresAt"], serde_json::json!(NOW + 2 * DAY), "a number, as expiresAt");
        assert_eq!(json["reasonCode"], "sign_in_ending");
        assert_eq!(judged(NOW + 3 * DAY, DEFAULT_WARN_AFTER_MS).status, HealthStatus::Expiring, "3 days inclusive");
        let far = judged(NOW + 3 * DAY + 1, DEFAULT_WARN_AFTER_MS);
        assert_eq!(
            (far.status, far.health_reason, far.refresh_expires_at),
            (HealthStatus::Ok, None, Some(Instant::from_millis(NOW + 3 * DAY + 1)))
        );
        assert_eq!(judged(NOW + 5 * DAY, 7 * DAY).status, HealthStatus::Expiring, "a longer warn window counts");
        let over = judged(NOW, DEFAULT_WARN_AFTER_MS);
        assert_eq!(
            (over.status, over.refreshable, over.health_reason),
            (HealthStatus::Expired, false, Some(SIGN_IN_ENDED))
        );
        assert_eq!(over.sign_in_words().as_deref(), Some("sign-in ended 0m ago"));
        // An expired access token stays expired; a refusal keeps its reason.
        let strict = HealthRules { warn_after_ms: DEFAULT_WARN_AFTER_MS, strict: true };
        let old = judge(
            &Config::default(),
            &RefStates::new(),
            "a",
            &ending(Some(NOW - HOUR), NOW + DAY),
            None,
            None,
            NOW,
            strict,
        );
        assert_eq!(old.status, HealthStatus::Expired);
    }

    /// A login made read-only here is its own tool's to renew: `ok` while
    /// its access token works (never "expiring" all day long), `expired`
    /// with its reason after, and never counted as renewing itself.
    #[test]
    fn a_read_only_login_is_ok_until_its_access_token_expires() {
        let config =
            crate::config::parse_config(br#"{"auth":{"loginSources":{"claude-cli":{"readOnly":true}}}}"#, "c").config;
        let at = |exp: i64, id: &str| {
            judge(&config, &RefStates::new(), id, &renewing("anthropic", Some(exp)), None, None, NOW, rules(false))
        };
        let h = at(NOW + HOUR, "anthropic:claude-cli");
        assert_eq!((h.status, h.refreshable, h.read_only, h.health_reason), (HealthStatus::Ok, false, true, None));
        assert_eq!(serde_json::to_value(&h).unwrap()["readOnly"], true);
        let h = at(NOW - HOUR, "anthropic:claude-cli");
        assert_eq!((h.status, h.health_reason), (HealthStatus::Expired, Some(READ_ONLY_EXPIRED)));
        assert_eq!(crate::remedy::for_health(&h), crate::logins::claude_code::SOURCE.owner_renews_hint);
        let other = at(NOW - HOUR, "anthropic:mine");
        assert_eq!((other.status, other.refreshable, other.read_only), (HealthStatus::Ok, true, false));
        assert!(serde_json::to_value(&other).unwrap().get("readOnly").is_none());
    }

    fn status(p: &Profile) -> HealthStatus {
        profile_health(&Config::default(), &RefStates::new(), "x", p, NOW, DEFAULT_WARN_AFTER_MS).status
    }

    #[test]
    fn classifies_by_remaining_time() {
        assert_eq!(status(&oauth(Some(NOW + 48 * HOUR))), HealthStatus::Ok);
        assert_eq!(status(&oauth(Some(NOW + 24 * HOUR))), HealthStatus::Expiring);
        assert_eq!(status(&oauth(Some(NOW))), HealthStatus::Expired);
        assert_eq!(status(&oauth(None)), HealthStatus::Missing);
        assert_eq!(status(&oauth(Some(0))), HealthStatus::Missing);
        let tok = |e| Profile::new(Credential::Token(Token { provider: "p".into(), expires: e, ..Token::default() }));
        assert_eq!(status(&tok(None)), HealthStatus::Static);
        assert_eq!(status(&tok(Some(Expiry::from_millis(NOW - 1)))), HealthStatus::Expired);
        assert_eq!(status(&Profile::new(Credential::ApiKey(ApiKey::default()))), HealthStatus::Static);
    }

    #[test]
    fn provider_rolls_up_to_the_worst() {
        // The reference's auth-health test: ok, expiring, expired and static -> expired.
        let mut store = AuthStore::default();
        store.profiles.insert("anthropic:ok".into(), oauth(Some(NOW + 48 * HOUR)));
        store.profiles.insert("anthropic:soon".into(), oauth(Some(NOW + HOUR)));
        store.profiles.insert("anthropic:old".into(), oauth(Some(NOW - HOUR)));
        store.profiles.insert(
            "anthropic:key".into(),
            Profile::new(Credential::ApiKey(ApiKey { provider: "anthropic".into(), ..ApiKey::default() })),
        );
        let s = summarize(
            &Config::default(),
            &RefStates::new(),
            &store,
            &["anthropic".into(), "openai".into()],
            NOW,
            DEFAULT_WARN_AFTER_MS,
        );
        assert_eq!(s.providers[0].status, HealthStatus::Expired);
        assert_eq!(s.providers[0].expires_at, Some(Instant::from_millis(NOW - HOUR)));
        assert_eq!(s.providers[1].status, HealthStatus::Missing);
        let ids: Vec<&str> = s.profiles.iter().map(|p| p.profile_id.as_str()).collect();
        assert_eq!(ids, ["anthropic:key", "anthropic:ok", "anthropic:old", "anthropic:soon"]);
    }

    #[test]
    fn collation_weighs_each_punctuation_mark_by_its_place_in_the_list() {
        // The table gives what searching the list gave, for every character.
        for c in (0..0x300u32).filter_map(char::from_u32) {
            let key = collation_key(&c.to_string());
            let weights = key.weights();
            match PUNCT.iter().position(|&p| p as char == c) {
                Some(i) if !c.is_whitespace() => assert_eq!(weights, [0x1_0000 + i as u32], "{c:?}"),
                _ => assert!(weights[0] < 0x1_0000 || weights[0] >= 0x2_0000, "{c:?}"),
            }
        }
    }

    /// The ASCII table weighs each character as the rules do, and an ASCII
    /// id's key is the one the character-by-character path makes.
    #[test]
    fn collation_of_ascii_by_table_is_collation_by_the_rules() {
        for b in 0u8..128 {
            assert_eq!(ASCII_WEIGHT[usize::from(b)], weight(b as char), "{b:#x}");
        }
        for id in ["", "Anthropic:Work-1", "a b\t\x0bc", "openai:user{9}~$", "\x7f\x00"] {
            let weights: Vec<u32> = id.chars().map(weight).collect();
            assert_eq!(collation_key(id).weights(), weights, "{id:?}");
        }
    }

    /// The in-place comparison and the sort helper order ids as their keys
    /// do, for a few items and for many.
    #[test]
    fn collate_in_place_is_the_order_of_the_keys() {
        let ids = ["", "a", "A", "ab", "aB", "Ab", "a-b", "a1", "a b", "é", "É", "ab:x", "z", "\x00", "~", "A-", "a_"];
        for a in ids {
            for b in ids {
                assert_eq!(collate(a, b), collation_key(a).cmp(&collation_key(b)), "{a:?} {b:?}");
            }
        }
        let many: Vec<String> = (0..40).map(|i| format!("{}{}", ids[i % ids.len()], i % 3)).collect();
        for n in [FEW, many.len()] {
            let mut sorted: Vec<&str> = many.iter().map(String::as_str).take(n).collect();
            let mut by_keys = sorted.clone();
            sort_collated(&mut sorted, |s| [s]);
            by_keys.sort_by_cached_key(|s| collation_key(s));
            assert_eq!(sorted, by_keys, "{n} items");
        }
    }

    /// One vector orders ids as the weights, then the case bits, would:
    /// a prefix first, case only on a tie.
    #[test]
    fn a_collation_key_orders_as_weights_then_case() {
        let ids = [
            "",
            "a",
            "A",
            "ab",
            "aB",
            "Ab",
            "a-b",
            "a1",
            "a b",
            "é",
            "É",
            "ab:x",
            "\u{85}",
            "z",
            "\x00",
            "\u{10ffff}",
            "\u{2066}",
        ];
        for a in ids {
            for b in ids {
                let pair = |s: &str| {
                    (s.chars().map(weight).collect::<Vec<_>>(), s.chars().map(char::is_uppercase).collect::<Vec<_>>())
                };
                assert_eq!(collation_key(a).cmp(&collation_key(b)), pair(a).cmp(&pair(b)), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn collation_puts_punctuation_first_and_ignores_case() {
        assert_eq!(collate("a-b", "a1"), Ordering::Less);
        assert_eq!(collate("B", "a"), Ordering::Greater);
        assert_eq!(collate("a", "A"), Ordering::Less);
        assert_eq!(collate("anthropic", "anthropic:x"), Ordering::Less);
    }

    fn api_key(provider: &str) -> Profile {
        Profile::new(Credential::ApiKey(ApiKey { provider: provider.into(), ..ApiKey::default() }))
    }

    fn token(expires: Option<f64>) -> Profile {
        Profile::new(Credential::Token(Token {
            provider: "anthropic".into(),
            expires: expires.map(Expiry::from_ms),
            ..Token::default()
        }))
    }

    #[test]
    fn every_status_has_its_word_and_missing_reads_unknown() {
        let words: Vec<&str> = [
            HealthStatus::Ok,
            HealthStatus::Expiring,
            HealthStatus::Expired,
            HealthStatus::Missing,
            HealthStatus::Static,
        ]
        .into_iter()
        .map(HealthStatus::word)
        .collect();
        assert_eq!(words, ["ok", "expiring", "expired", "unknown", "static"]);
    }

    #[test]
    fn the_reserved_ids_name_their_cli_and_anything_else_is_the_store() {
        let claude = Source::Synced(&crate::logins::claude_code::SOURCE);
        let codex = Source::Synced(&crate::logins::codex_cli::SOURCE);
        assert_eq!(Source::of("anthropic:claude-cli"), claude);
        assert_eq!(Source::of("openai-codex:codex-cli"), codex);
        assert_eq!(Source::of("anthropic:claude-cli2"), Source::Store);
        assert_ne!(claude, codex, "two sources are two sources");
        assert_ne!(Source::Store, claude);
        let names: Vec<&str> = [Source::Store, claude, codex].map(Source::status_word).into();
        assert_eq!(names, ["store", "claude-cli", "codex-cli"]);
        // One source, a word per document.
        let words = |s: Source| (s.status_word(), s.list_word(), s.label());
        assert_eq!(words(claude), ("claude-cli", "claude-code", "Claude Code"));
        assert_eq!(words(codex), ("codex-cli", "codex-cli", "Codex CLI"));
        assert_eq!(words(Source::Env), ("env", "env", "env"));
        let health = profile_health(
            &Config::default(),
            &RefStates::new(),
            "anthropic:claude-cli",
            &oauth(Some(NOW + HOUR)),
            NOW,
            0,
        );
        assert_eq!(serde_json::to_value(&health).expect("json")["source"], serde_json::json!("claude-cli"));
    }

    #[test]
    fn the_label_takes_the_configs_email_over_the_stored_one_and_ignores_blank_ones() {
        let mut stored = oauth(Some(NOW + HOUR));
        if let Credential::OAuth(o) = &mut stored.credential {
            o.email = Some(" stored@example.com ".into());
        }
        let mut config = Config::default();
        assert_eq!(display_label(&config, "anthropic:a", Some(&stored)), "anthropic:a (stored@example.com)");
        let email = |e: &str| ProfileConfig { email: Some(e.into()), ..ProfileConfig::default() };
        config.auth.profiles.insert("anthropic:a".into(), email(" config@example.com"));
        assert_eq!(display_label(&config, "anthropic:a", Some(&stored)), "anthropic:a (config@example.com)");
        config.auth.profiles.insert("anthropic:a".into(), email("   "));
        assert_eq!(
            display_label(&config, "anthropic:a", Some(&stored)),
            "anthropic:a (stored@example.com)",
            "a blank config e-mail does not win"
        );
        assert_eq!(display_label(&config, "anthropic:a", None), "anthropic:a", "blank, and nothing stored");
        let mut blank = stored.clone();
        if let Credential::OAuth(o) = &mut blank.credential {
            o.email = Some("  ".into());
        }
        assert_eq!(display_label(&Config::default(), "anthropic:a", Some(&blank)), "anthropic:a");
        assert_eq!(
            profile_health(&config, &RefStates::new(), "anthropic:a", &stored, NOW, DEFAULT_WARN_AFTER_MS).label,
            "anthropic:a (stored@example.com)"
        );
    }

    #[test]
    fn a_token_whose_expiry_is_zero_negative_or_not_finite_never_expires() {
        for e in [0.0, -5.0, f64::NAN, f64::INFINITY] {
            let h =
                profile_health(&Config::default(), &RefStates::new(), "t", &token(Some(e)), NOW, DEFAULT_WARN_AFTER_MS);
            assert_eq!((h.status, h.expires_at, h.remaining_ms), (HealthStatus::Static, None, None), "expires {e}");
        }
        let h = profile_health(
            &Config::default(),
            &RefStates::new(),
            "t",
            &token(Some((NOW + 2 * HOUR) as f64)),
            NOW,
            DEFAULT_WARN_AFTER_MS,
        );
        assert_eq!(h.status, HealthStatus::Expiring);
        assert_eq!(h.remaining_ms, Some((2 * HOUR) as f64));
        assert_eq!(h.expires_at, Some(Instant::from_millis(NOW + 2 * HOUR)));
    }

    #[test]
    fn the_warn_window_is_inclusive_and_expiry_at_now_is_expired() {
        let at = |e: i64, warn: i64| {
            profile_health(&Config::default(), &RefStates::new(), "x", &oauth(Some(e)), NOW, warn).status
        };
        assert_eq!(at(NOW + HOUR, HOUR), HealthStatus::Expiring, "exactly the window left");
        assert_eq!(at(NOW + HOUR + 1, HOUR), HealthStatus::Ok);
        assert_eq!(at(NOW + 1, HOUR), HealthStatus::Expiring);
        assert_eq!(at(NOW, HOUR), HealthStatus::Expired);
    }

    fn store_of(profiles: &[(&str, Profile)]) -> AuthStore {
        let mut store = AuthStore::default();
        for (id, p) in profiles {
            store.profiles.insert((*id).into(), p.clone());
        }
        store
    }

    fn providers(store: &AuthStore, names: &[&str]) -> HealthSummary {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        summarize(&Config::default(), &RefStates::new(), store, &names, NOW, DEFAULT_WARN_AFTER_MS)
    }

    #[test]
    fn each_provider_rolls_up_exactly_its_own_profiles() {
        let mut google = oauth(Some(NOW + 48 * HOUR));
        if let Credential::OAuth(o) = &mut google.credential {
            o.provider = "google".into();
        }
        let store = store_of(&[
            ("anthropic:a", oauth(Some(NOW + 48 * HOUR))),
            ("anthropic:b", oauth(Some(NOW + 72 * HOUR))),
            ("google:only", google),
            ("openai:k", api_key("openai")),
        ]);
        let s = providers(&store, &["openai", "google", "anthropic", "zai"]);
        let rolled: Vec<(&str, HealthStatus, Vec<&str>)> = s
            .providers
            .iter()
            .map(|p| (p.provider.as_str(), p.status, s.profiles_of(p).iter().map(|h| h.profile_id.as_str()).collect()))
            .collect();
        assert_eq!(
            rolled,
            [
                ("anthropic", HealthStatus::Ok, vec!["anthropic:a", "anthropic:b"]),
                ("google", HealthStatus::Ok, vec!["google:only"]),
                ("openai", HealthStatus::Static, vec!["openai:k"]),
                ("zai", HealthStatus::Missing, vec![]),
            ]
        );
        // The soonest expiry and its remaining time speak for the provider.
        assert_eq!(s.providers[0].expires_at, Some(Instant::from_millis(NOW + 48 * HOUR)));
        assert_eq!(s.providers[0].remaining_ms, Some((48 * HOUR) as f64));
        assert_eq!(s.providers[3].remaining_ms, None);
    }

    #[test]
    fn an_expiring_profile_makes_its_provider_expiring_and_unknown_makes_it_expired() {
        let soon = oauth(Some(NOW + HOUR));
        let ok = oauth(Some(NOW + 48 * HOUR));
        let s = providers(&store_of(&[("anthropic:ok", ok.clone()), ("anthropic:soon", soon)]), &["anthropic"]);
        assert_eq!(s.providers[0].status, HealthStatus::Expiring);
        assert_eq!(s.providers[0].remaining_ms, Some(HOUR as f64));
        let s = providers(
            &store_of(&[("anthropic:ok", ok.clone()), ("anthropic:key", api_key("anthropic"))]),
            &["anthropic"],
        );
        assert_eq!(s.providers[0].status, HealthStatus::Ok, "a static key does not lower an ok login");
        let s = providers(&store_of(&[("anthropic:ok", ok), ("anthropic:none", oauth(None))]), &["anthropic"]);
        assert_eq!(s.providers[0].status, HealthStatus::Expired, "an unknown expiry needs a human");
    }

    #[test]
    fn collation_orders_whitespace_punctuation_digits_letters_then_the_rest() {
        let sorted = |items: &[&str]| {
            let mut v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
            v.sort_by(|a, b| collate(a, b));
            v
        };
        // Punctuation in its table's order, digits and letters in theirs.
        assert_eq!(
            sorted(&["a~", "a-", "a_", "a ", "a2", "a1", "ab", "aa"]),
            ["a ", "a_", "a-", "a~", "a1", "a2", "aa", "ab"]
        );
        assert_eq!(sorted(&["é", "z", "ü", "9", "€", "ä"]), ["9", "z", "ä", "é", "ü", "€"]);
        assert_eq!(sorted(&["€", "✓"]), ["€", "✓"]);
        assert_eq!(sorted(&["Z", "a", "É", "e"]), ["a", "e", "Z", "É"]);
    }
}
