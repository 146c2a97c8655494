//! Everything the admin panel shows, computed here so that the page only
//! draws it (issue 11 item 4).
//!
//! The page used to re-derive about ten rules from the report (the agent
//! folder, sort orders, the order lookup, what needs a human, the check
//! code's meaning) and three of them disagreed with the CLI. A [`View`] is
//! made from the same load, report and doctor preview the CLI prints, in
//! one pass, and every text taken from a file in it is already escaped the
//! way the CLI escapes it ([`escape_control`]). Ids the page sends back
//! (profile ids, providers) are also given raw, next to their shown text,
//! and must only ever be used as data, never displayed.

mod files;

pub use files::{FileRole, FileView, file_views, identify};

use crate::defaults::Defaults;
use crate::diag::Diagnostic;
use crate::doctor::{DoctorPreview, Issue};
use crate::escape::escape_control;
use crate::health::{HealthStatus, Standing, collation_key};
use crate::load::{Loaded, StoreState};
use crate::order::{order_for, resolve_order};
use crate::provider::ProviderId;
use crate::remaining::format_remaining_short;
use crate::report::{CheckCode, StatusReport, Verdict, check_code, status_words};
use crate::store::CredentialType;
use crate::time::Instant;
use crate::usage::UnusableKind;
use serde::Serialize;
use std::collections::HashMap;

/// The page's whole content for one load.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct View {
    /// The paths this load looked at, shown as `~/...`.
    pub locations: LocationsView,
    /// Each role's file: where the CLI reads it and how it fared.
    pub files: Vec<FileView>,
    /// The `--check` exit code this load gives and its meaning.
    pub check: CheckView,
    /// The window in effect for "expiring".
    pub warn_after_ms: i64,
    /// The built-in defaults (expiry window, margins), so the page need not
    /// hard-code them.
    pub defaults: Defaults,
    /// The store exists but cannot be used: nothing shown comes from it.
    pub store_unreadable: bool,
    /// Problems reading the files, errors first.
    pub diagnostics: Vec<Diagnostic>,
    /// The models the agent is configured for, whose providers `--check`
    /// judges.
    pub models: ModelsView,
    /// The warnings `models status` prints under the check ("Warnings (not
    /// counted by --check)"), escaped; first rows only.
    pub warnings: Page<String>,
    /// Every provider with credentials, health or use, in the core's collation.
    pub providers: Vec<ProviderRow>,
    /// The profiles the table lists ([`Limits::only`]), those that need a
    /// look first, each as `models auth list` sees it; first rows only.
    pub profiles: Page<ProfileRow>,
    /// How many profiles have each status (of all of them, whatever the
    /// table lists), those that need a look first.
    pub profile_counts: Vec<CountRow>,
    /// The table's filter in effect (`all`, `problems`, or a status word).
    pub only: &'static str,
    /// Providers the configured models use that have no credentials.
    pub missing: Vec<MissingRow>,
    /// Profiles cooling down or disabled now (`usageStats`), first rows only.
    pub cooldowns: Page<CooldownRow>,
    /// Each provider with an effective order: stored, tried now and editable.
    pub orders: Vec<OrderView>,
    /// What doctor would do, as the page's doctor panel shows it.
    pub doctor: DoctorView,
    /// `models status` as the CLI prints it (no colours); absent when the
    /// request said `"text": false` (a page whose text panel is closed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl View {
    /// The view as JSON for the page (camelCase keys); `Null` only if
    /// serialising fails, which plain data does not.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// Where this load looked, for the agent the config names as default (or
/// the one asked for), as `~/...` paths.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationsView {
    /// The agent whose folder this is, escaped.
    pub agent_id: String,
    /// The agent folder (usually `~/.clawdbot/agents/<id>/agent`).
    pub agent_dir: String,
    /// The config file (`clawdbot.json`).
    pub config: String,
    /// The profile store (`auth-profiles.json`).
    pub store: String,
    /// The legacy single-profile store (`auth.json`), read for migration.
    pub legacy_store: String,
    /// The old OAuth file (`oauth.json`), read for migration.
    pub oauth_json: String,
    /// Each login source's file (Claude Code's, Codex CLI's), under its
    /// panel key (`claude`, `codex`).
    #[serde(flatten)]
    pub logins: std::collections::BTreeMap<&'static str, String>,
}

/// The `--check` code and what it means.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckView {
    /// The number the CLI exits with under `--check` (0, 1 or 2).
    pub code: i32,
    /// The sentence [`check_meaning`] gives for it.
    pub text: &'static str,
}

/// What each `--check` code means, in one sentence.
pub fn check_meaning(code: CheckCode) -> &'static str {
    match code {
        CheckCode::Ok => "OK: every provider in use has a usable credential",
        CheckCode::Action => "Action needed: a provider in use has no usable credential, or a file is unreadable",
        CheckCode::Expiring => "Expiring: the best credential of a provider in use expires soon",
    }
}

/// How much of each long list a view carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// At most this many rows per list (`None`: all). A page shows a few
    /// hundred rows of a 60 000-profile store; building, encoding and
    /// decoding the rest would cost seconds for nothing.
    pub rows: Option<usize>,
    /// Which profiles the profile table lists.
    pub only: Only,
    /// Where the profile table's rows start: the page's pager shows
    /// `rows` of them at a time from here (0: the first).
    pub from: usize,
}

/// Which profiles the profile table lists: the page's filter, applied
/// before the rows are cut, so that the 3 expired profiles of 60 000 are
/// all found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Only {
    /// Every profile.
    #[default]
    All,
    /// Those that need a look ([`needs_a_look`]).
    Problems,
    /// Those with this status (`models auth list`'s word).
    Standing(Standing),
}

impl Only {
    /// The filter a page names: `all`, `problems`, or a status word
    /// (`expired`, `cooldown`, ...); `None` for any other word.
    pub fn parse(word: &str) -> Option<Only> {
        match word {
            "all" => Some(Only::All),
            "problems" => Some(Only::Problems),
            _ => STANDINGS.into_iter().find(|s| s.word() == word).map(Only::Standing),
        }
    }

    /// Its word, as [`Only::parse`] reads it.
    pub fn word(self) -> &'static str {
        match self {
            Only::All => "all",
            Only::Problems => "problems",
            Only::Standing(s) => s.word(),
        }
    }

    fn admits(self, standing: Standing) -> bool {
        match self {
            Only::All => true,
            Only::Problems => needs_a_look(standing),
            Only::Standing(s) => s == standing,
        }
    }
}

/// Every status a profile can have, those that need a look first: the
/// order of the counts and of the table.
const STANDINGS: [Standing; 10] = [
    Standing::Expired,
    Standing::Failing,
    Standing::MissingSecret,
    Standing::Disabled,
    Standing::Cooldown,
    Standing::Expiring,
    Standing::Unknown,
    Standing::NotChecked,
    Standing::Ok,
    Standing::Static,
];

/// Whether a profile with this status needs someone to look at it: every
/// status but `ok` and `static`. The table lists these first.
pub fn needs_a_look(standing: Standing) -> bool {
    !matches!(standing, Standing::Ok | Standing::Static)
}

/// The models the configured agent uses, as `models status` prints them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelsView {
    /// The default model, aliases resolved (`provider/model`).
    pub default: String,
    /// The fallback models, in order.
    pub fallbacks: Vec<String>,
    /// The image model, when one is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The image fallback models, in order.
    pub image_fallbacks: Vec<String>,
}

/// How many profiles have one status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountRow {
    /// The status, as the profile rows badge it.
    pub badge: Badge,
    /// How many.
    pub count: usize,
    /// Whether it needs a look ([`needs_a_look`]).
    pub problem: bool,
}

/// The first rows of a long list (or, for the profile table, the rows from
/// [`Limits::from`]), and how long it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// How many items the whole list has, even when `rows` is cut short.
    pub total: usize,
    /// Where `rows` starts in the whole list; absent when at the start.
    #[serde(skip_serializing_if = "is_zero")]
    pub from: usize,
    /// The items from `from` on, at most [`Limits::rows`] of them.
    pub rows: Vec<T>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl<T> Page<T> {
    /// The first `limits.rows` items of `items` (of `total`), each made by `row`.
    fn of<I, F>(items: impl IntoIterator<Item = I>, total: usize, limits: Limits, row: F) -> Self
    where
        F: FnMut(I) -> T,
    {
        Page::starting(items, total, 0, limits, row)
    }

    /// `limits.rows` items of `items` (of `total`) from `from` on (the last
    /// page when `from` is past the end), each made by `row`.
    fn starting<I, F>(items: impl IntoIterator<Item = I>, total: usize, from: usize, limits: Limits, row: F) -> Self
    where
        F: FnMut(I) -> T,
    {
        let per_page = limits.rows.unwrap_or(usize::MAX);
        // Past the end (the list shrank since the page asked): its last page.
        let from = if from < total { from } else { total.saturating_sub(1) / per_page.max(1) * per_page.max(1) };
        let rows = items.into_iter().skip(from).take(per_page).map(row).collect();
        Page { total, from, rows }
    }
}

/// A text the page shows in one piece, cut to about `limit` characters
/// after the last `, ` or `; ` that fits, with what was left out said: one
/// of doctor's findings names every plain-text key at rest (8 MB of
/// message and fix for 60 000 profiles), which the CLI prints whole and a
/// page cannot lay out. `None` when it fits.
pub fn cut_text(text: &str, limit: usize) -> Option<String> {
    if text.len() <= limit {
        return None;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    let head = match head.rfind([',', ';']) {
        Some(at) if at > 0 => &head[..at],
        _ => head,
    };
    let cut = text.len() - head.len();
    Some(format!("{head} … ({cut} more bytes: `clawdbot doctor` prints it whole)"))
}

/// An id the page may send back (`id`, raw) and the text it shows (`shown`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Named {
    /// The raw id, to send back in requests; never display it.
    pub id: String,
    /// The id escaped for display ([`escape_control`]).
    pub shown: String,
}

impl Named {
    fn of(id: &str) -> Self {
        Named { id: id.to_string(), shown: escape_control(id).into_owned() }
    }
}

/// A status as the page shows it: the word the CLI prints and its icon.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Badge {
    /// The status itself, for styling.
    pub status: HealthStatus,
    /// The word `models status` prints for it (`ok`, `expiring`, ...).
    pub word: &'static str,
    /// A one-character icon for it (`✓`, `⚠`, `✗`, `?`, `●`).
    pub icon: &'static str,
}

impl Badge {
    fn of(status: HealthStatus) -> Self {
        let icon = match status {
            HealthStatus::Ok => "✓",
            HealthStatus::Expiring => "⚠",
            HealthStatus::Expired => "✗",
            HealthStatus::Missing => "?",
            HealthStatus::Static => "●",
            HealthStatus::Failing => "✗",
            HealthStatus::Unchecked => "?",
        };
        Badge { status, word: status.word(), icon }
    }

    /// A profile's badge: styled by its health, worded and drawn by its
    /// standing (the one verdict, as `models auth list` says it).
    fn standing(status: HealthStatus, standing: Standing) -> Self {
        let icon = match standing {
            Standing::Cooldown => "⏸",
            Standing::Disabled => "⊘",
            Standing::MissingSecret => "∅",
            _ => Badge::of(status).icon,
        };
        Badge { status, word: standing.word(), icon }
    }
}

/// Time left: the instant (for a live countdown) and the core's short text
/// at the load's `now`. Absent for what never expires.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Remaining {
    /// When it expires (ms since the epoch in JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Instant>,
    /// Ms left at the load's `now` (negative once past).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "crate::time::ser_opt_ms")]
    pub remaining_ms: Option<f64>,
    /// The remaining time in the CLI's short form (`2h`, `0m` once past).
    pub text: String,
    /// Once past, the CLI's words for it: `expired 2d ago`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub past: Option<String>,
}

impl Remaining {
    fn of(expires_at: Option<Instant>, remaining_ms: Option<f64>) -> Self {
        let past =
            remaining_ms.filter(|r| *r <= 0.0).map(|r| format!("expired {} ago", format_remaining_short(Some(-r))));
        Remaining { expires_at, remaining_ms, text: format_remaining_short(remaining_ms), past }
    }
}

/// One row of the provider table: health rolled up over its profiles.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderRow {
    /// The provider id, raw and shown.
    pub provider: Named,
    /// Its profiles' statuses rolled up (any expired or unknown: expired), or
    /// `missing`.
    pub badge: Badge,
    /// Time left until its earliest expiry; absent when nothing of it
    /// expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<Remaining>,
    /// How many of its profiles the report lists.
    pub profiles: usize,
    /// Where its credentials come from (`profiles: ~/...`, `env: ...`), or `missing`.
    pub credentials_from: String,
    /// The configured models use it and it has no credentials.
    pub in_use_without_credentials: bool,
    /// For a provider the configured models use: the credential requests
    /// use now and how `--check` judges it (the "In use" line of `models
    /// status`). The badge above rolls up every profile, spares included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used_now: Option<UsedNow>,
}

/// The credential a provider's requests use now, as `models status` says it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsedNow {
    /// The verdict (`ok`, `expiring`, `failing`), styled as a status.
    pub badge: Badge,
    /// The credential: a profile id or where a key comes from (`env:
    /// OPENAI_API_KEY`), escaped; absent when none is usable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// That profile's status in the CLI's words (`ok, refreshes on use
    /// (access token expires in 8h)`); absent for a key from elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub words: Option<String>,
}

/// One row of the profile table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileRow {
    /// The profile id, raw and shown.
    pub profile: Named,
    /// `<id> (<email>)`, escaped.
    pub label: String,
    /// Its provider as the store spells it, escaped.
    pub provider: String,
    /// The credential kind (`oauth`, `token`, `api_key`).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where the credential comes from (the store, or an external CLI's file).
    pub source: &'static str,
    /// Its status: styled by its health, worded by the one verdict (the
    /// `status` of `models auth list`).
    pub badge: Badge,
    /// Its status in the words `models status` prints (`expired 2d ago`,
    /// `ok, refreshes on use (access token expires in 8h)`).
    pub words: String,
    /// For a provider in use: `in use` (requests use it now) or `spare`
    /// (another of the provider's credentials is used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    /// It needs a look ([`needs_a_look`]): listed first.
    pub problem: bool,
    /// Absent for a static credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<Remaining>,
    /// Why it has its status, as `models auth list` says (a stable code).
    pub reason_code: String,
    /// The cooldown or disable in force, and why (`cooldown until
    /// 2026-01-01T01:00:00Z (rate_limit)`), escaped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff: Option<String>,
    /// What fixes it, as `models auth list` says, escaped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_hint: Option<String>,
    /// Its SecretRef and its state (`ok`, `failing`, `not checked`) and
    /// why; never a value, not even masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<RefRow>,
    /// What the live panel offers to run on it, in this order.
    pub actions: Vec<RowAction>,
}

/// A command the live panel offers on a profile row: the name of the
/// panel's verb that runs it (`cooldownClear`, `refresh`, `remove`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RowAction {
    /// `models auth cooldown clear`, while a cooldown or disable is in force.
    CooldownClear,
    /// `models auth refresh --profile`, for an OAuth login.
    Refresh,
    /// `models auth remove`, for every profile.
    Remove,
}

impl RowAction {
    /// The actions a profile row offers: clearing a backoff it has,
    /// refreshing an OAuth login (the command itself says when it cannot),
    /// removing it.
    fn offered(kind: CredentialType, backing_off: bool) -> Vec<RowAction> {
        let refresh = kind == CredentialType::OAuth;
        [(backing_off, RowAction::CooldownClear), (refresh, RowAction::Refresh), (true, RowAction::Remove)]
            .into_iter()
            .filter_map(|(offered, action)| offered.then_some(action))
            .collect()
    }
}

/// A profile's SecretRef as the panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefRow {
    /// `source:alias:id`, escaped.
    #[serde(rename = "ref")]
    pub reference: String,
    /// `ok`, `failing` or `not checked`.
    pub state: &'static str,
    /// Why it fails or was not checked, escaped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A provider the configured models use, without credentials.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingRow {
    /// The provider id, raw and shown.
    pub provider: Named,
    /// Always the `missing` badge.
    pub badge: Badge,
}

/// One profile that is cooling down or disabled now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CooldownRow {
    /// The profile id, raw and shown.
    pub profile: Named,
    /// Whether it is a cooldown or a disable.
    pub kind: UnusableKind,
    /// `cooldown`, or `disabled (billing)`, escaped.
    pub text: String,
    /// When it ends and how long is left.
    pub remaining: Remaining,
}

/// One provider's order: what is stored, what is tried now, and what the
/// page's editor starts from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    /// The provider id, raw and shown.
    pub provider: Named,
    /// The store's order list for this provider, found the way the order
    /// rules find it (`z.ai` is `zai`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<Page<String>>,
    /// The profiles as they are tried now (cooling down last).
    pub effective: Page<String>,
    /// The list to edit: the stored order, else the effective one.
    pub editable: Page<OrderEntry>,
    /// Says where the editable list came from: the store's order or the
    /// gateway's current one.
    pub note: &'static str,
    /// Set when the effective order differs from the editable list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_note: Option<String>,
}

/// One profile in the order editor.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderEntry {
    /// The profile id, raw and shown.
    pub profile: Named,
    /// `cooldown` or `disabled` while it backs off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backing_off: Option<UnusableKind>,
}

/// What `clawdbot doctor` would do, split by who acts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DoctorView {
    /// Safe changes the load makes anyway (sync, migration).
    pub changes: Vec<String>,
    /// Files that cannot be used: only a person can fix them.
    pub problems: Vec<String>,
    /// Logins only a person can renew.
    pub needs_human: Page<IssueRow>,
    /// Logins that are merely expiring and refresh themselves.
    pub refreshes_itself: Page<IssueRow>,
    /// The "Auth profile cooldowns" note's lines.
    pub cooldowns: Page<String>,
    /// Doctor's exit code would be 0: nothing for a person to do.
    pub nothing_needed: bool,
}

/// One login doctor reports on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueRow {
    /// The profile id, raw and shown.
    pub profile: Named,
    /// Its health; `ok` for a login that renews itself.
    pub badge: Badge,
    /// Time left in short form (`3h`; once past, `expired 2d ago`), or for a
    /// self-renewing login the words "access token expired 1m ago".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<String>,
    /// What a person should run; only on rows that need one, so that no
    /// remedy stands next to a login that renews itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl IssueRow {
    /// A login that renews itself is badged by the login's state, which is
    /// ok (as `models status` says); what is due is its access token, and
    /// the row says so in words ("access token expired 1m ago") rather than
    /// with a red badge that reads as "act now".
    fn of(issue: &Issue) -> Self {
        let (badge, remaining) = if issue.refreshable {
            (Badge::of(HealthStatus::Ok), Some(escape_control(&issue.words).into_owned()))
        } else {
            (
                Badge::standing(issue.status, issue.standing),
                issue.remaining_ms.map(|r| Remaining::of(None, Some(r))).map(|r| r.past.unwrap_or(r.text)),
            )
        };
        IssueRow {
            profile: Named::of(&issue.profile_id),
            badge,
            remaining,
            hint: issue.needs_human.then(|| issue.hint.clone()),
        }
    }
}

/// Builds the view of one load. `report` and `doctor` are the load's own;
/// `text` is the report rendered as the CLI prints it, if wanted.
pub fn build(
    loaded: &Loaded,
    report: &StatusReport,
    doctor: &DoctorPreview,
    text: Option<String>,
    given: impl Fn(FileRole) -> bool,
    limits: Limits,
) -> View {
    let show = |path: &str| escape_control(&loaded.show(path)).into_owned();
    let l = &loaded.locations;
    let code = check_code(report, loaded);
    View {
        locations: LocationsView {
            agent_id: escape_control(&l.agent_id).into_owned(),
            agent_dir: show(&l.agent_dir),
            config: show(&l.config),
            store: show(&l.store()),
            legacy_store: show(&l.legacy_store()),
            oauth_json: show(&l.oauth_json),
            logins: FileRole::ALL
                .into_iter()
                .filter_map(|role| match role {
                    FileRole::Login(_) => Some((role.key(), show(&role.path(l)))),
                    _ => None,
                })
                .collect(),
        },
        files: file_views(loaded, given),
        check: CheckView { code: code.code(), text: check_meaning(code) },
        warn_after_ms: report.auth.oauth.warn_after_ms,
        defaults: crate::defaults::Defaults {
            shared_lock: crate::logins::claude_code::REFRESH_LOCK,
            ..crate::defaults::ALL
        },
        store_unreadable: loaded.store_state == StoreState::Unreadable,
        diagnostics: diagnostics(loaded),
        models: ModelsView {
            default: escape_control(&report.resolved_default).into_owned(),
            fallbacks: report.fallbacks.iter().map(|m| escape_control(m).into_owned()).collect(),
            image: report.image_model.as_deref().map(|m| escape_control(m).into_owned()),
            image_fallbacks: report.image_fallbacks.iter().map(|m| escape_control(m).into_owned()).collect(),
        },
        warnings: Page::of(&report.auth.check.warnings, report.auth.check.warnings.len(), limits, |w| {
            escape_control(w).into_owned()
        }),
        providers: providers(report),
        profiles: profiles(loaded, report, limits),
        profile_counts: counts(report),
        only: limits.only.word(),
        missing: report
            .auth
            .missing_providers_in_use
            .iter()
            .map(|p| MissingRow { provider: Named::of(p), badge: Badge::of(HealthStatus::Missing) })
            .collect(),
        cooldowns: cooldowns(report, limits),
        orders: orders(loaded, report, limits),
        doctor: doctor_view(doctor, limits),
        text,
    }
}

fn diagnostics(loaded: &Loaded) -> Vec<Diagnostic> {
    let mut list: Vec<Diagnostic> = loaded.diagnostics.iter().map(Diagnostic::escaped).collect();
    // Stable: within a severity, the order the load found them in.
    list.sort_by_key(|d| std::cmp::Reverse(d.severity));
    list
}

fn providers(report: &StatusReport) -> Vec<ProviderRow> {
    let auth = &report.auth;
    let health: HashMap<&str, _> = auth.oauth.providers.iter().map(|p| (p.provider.as_str(), p)).collect();
    let overview: HashMap<&str, _> = auth.providers.iter().map(|p| (p.provider.as_str(), p)).collect();
    let mut names: Vec<&str> = auth.oauth.providers.iter().map(|p| p.provider.as_str()).collect();
    names.extend(auth.providers.iter().map(|p| p.provider.as_str()));
    names.extend(auth.missing_providers_in_use.iter().map(String::as_str));
    names.sort_by_cached_key(|n| (collation_key(n), n.to_string()));
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let rollup = health.get(name);
            let status = rollup.map_or(HealthStatus::Missing, |p| p.status);
            let credentials_from = match overview.get(name).map(|p| &p.effective) {
                Some(e) if e.kind == "missing" || e.detail.is_empty() => e.kind.to_string(),
                Some(e) => format!("{}: {}", e.kind, escape_control(&e.detail)),
                None => "missing".to_string(),
            };
            ProviderRow {
                provider: Named::of(name),
                badge: Badge::of(status),
                remaining: rollup
                    .filter(|p| p.expires_at.is_some())
                    .map(|p| Remaining::of(p.expires_at, p.remaining_ms)),
                profiles: rollup.map_or(0, |p| p.profiles.len()),
                credentials_from,
                in_use_without_credentials: auth.missing_providers_in_use.iter().any(|m| m == name),
                used_now: used_now(report, name),
            }
        })
        .collect()
}

/// The "In use" verdict of `provider`, with the words of the profile it
/// names.
fn used_now(report: &StatusReport, provider: &str) -> Option<UsedNow> {
    let verdict = report.auth.check.in_use.iter().find(|v| crate::provider::same(&v.provider, provider))?;
    let (status, word) = match verdict.status {
        Verdict::Ok => (HealthStatus::Ok, "ok"),
        Verdict::Expiring => (HealthStatus::Expiring, "expiring"),
        Verdict::Failing => (HealthStatus::Expired, "failing"),
    };
    let profile =
        verdict.via.as_deref().and_then(|via| report.auth.oauth.profiles.iter().find(|p| p.profile_id == via));
    Some(UsedNow {
        badge: Badge { word, ..Badge::of(status) },
        via: verdict.via.as_deref().map(|v| escape_control(v).into_owned()),
        words: profile.map(status_words),
    })
}

/// A profile's part in its provider's requests: `in use`, `spare`, or
/// nothing when the configured models do not use the provider.
fn role(report: &StatusReport, p: &crate::health::ProfileHealth) -> Option<&'static str> {
    let verdict = report.auth.check.in_use.iter().find(|v| crate::provider::same(&v.provider, &p.provider))?;
    Some(if verdict.via.as_deref() == Some(p.profile_id.as_str()) { "in use" } else { "spare" })
}

/// How many profiles have each status, those that need a look first; only
/// the statuses some profile has.
fn counts(report: &StatusReport) -> Vec<CountRow> {
    let all = &report.auth.oauth.profiles;
    STANDINGS
        .into_iter()
        .filter_map(|standing| {
            let with: Vec<_> = all.iter().filter(|p| p.standing == standing).collect();
            let first = with.first()?;
            Some(CountRow {
                badge: Badge::standing(first.status, standing),
                count: with.len(),
                problem: needs_a_look(standing),
            })
        })
        .collect()
}

/// The profile table: the report's health of each profile, with what
/// `models auth list` adds (reason, back-off, recovery hint), so the page
/// and the CLI list say the same.
fn profiles(loaded: &Loaded, report: &StatusReport, limits: Limits) -> Page<ProfileRow> {
    // Those that need a look first, each group in the report's order.
    let mut listed: Vec<&crate::health::ProfileHealth> =
        report.auth.oauth.profiles.iter().filter(|p| limits.only.admits(p.standing)).collect();
    listed.sort_by_key(|p| !needs_a_look(p.standing));
    let total = listed.len();
    Page::starting(listed, total, limits.from, limits, |p| {
        // The list's words for the verdict the report made (its warning
        // window and rules), so the badge and the reason never disagree.
        let listed = loaded.store.profile(&p.profile_id).map(|profile| {
            crate::listing::entry_of(p, profile, &loaded.refs, loaded.store.usage_stats.get(&p.profile_id), loaded.now)
        });
        let backoff = listed.as_ref().and_then(|e| {
            let (word, until, why) = match (&e.disabled_until, &e.cooldown_until) {
                (Some(until), _) => ("disabled", until, &e.disabled_reason),
                (None, Some(until)) => ("cooldown", until, &e.cooldown_reason),
                (None, None) => return None,
            };
            let why = why.as_deref().map(|w| format!(" ({w})")).unwrap_or_default();
            Some(escape_control(&format!("{word} until {until}{why}")).into_owned())
        });
        ProfileRow {
            profile: Named::of(&p.profile_id),
            label: escape_control(&p.label).into_owned(),
            provider: escape_control(&p.provider).into_owned(),
            kind: p.kind.as_str(),
            source: p.source.status_word(),
            badge: Badge::standing(p.status, p.standing),
            words: status_words(p),
            role: role(report, p),
            problem: needs_a_look(p.standing),
            remaining: (p.status != HealthStatus::Static).then(|| Remaining::of(p.expires_at, p.remaining_ms)),
            reason_code: listed.as_ref().map_or_else(String::new, |e| escape_control(&e.reason_code).into_owned()),
            recovery_hint: listed.and_then(|e| e.recovery_hint).map(|h| escape_control(&h).into_owned()),
            secret_ref: p.secret_ref.as_ref().map(|r| RefRow {
                reference: escape_control(&r.reference).into_owned(),
                state: r.state,
                reason: r.reason.as_deref().map(|w| escape_control(w).into_owned()),
            }),
            actions: RowAction::offered(p.kind, backoff.is_some()),
            backoff,
        }
    })
}

fn cooldowns(report: &StatusReport, limits: Limits) -> Page<CooldownRow> {
    let all = &report.auth.unusable_profiles;
    Page::of(all, all.len(), limits, |u| {
        let kind = match u.kind {
            UnusableKind::Cooldown => "cooldown",
            UnusableKind::Disabled => "disabled",
        };
        let text = match &u.reason {
            Some(reason) => format!("{kind} ({})", escape_control(reason)),
            None => kind.to_string(),
        };
        CooldownRow {
            profile: Named::of(&u.profile_id),
            kind: u.kind,
            text,
            remaining: Remaining::of(Some(Instant::from_ms(u.until)), Some(u.remaining_ms)),
        }
    })
}

fn orders(loaded: &Loaded, report: &StatusReport, limits: Limits) -> Vec<OrderView> {
    let backing_off: HashMap<&str, UnusableKind> =
        report.auth.unusable_profiles.iter().map(|u| (u.profile_id.as_str(), u.kind)).collect();
    let entry = |id: &String| OrderEntry { profile: Named::of(id), backing_off: backing_off.get(id.as_str()).copied() };
    report
        .auth
        .oauth
        .providers
        .iter()
        .filter_map(|p| {
            let effective = resolve_order(&loaded.config.config, &loaded.store, &p.provider, None, loaded.now);
            if effective.is_empty() {
                return None;
            }
            let stored = stored_order(loaded, &p.provider).cloned();
            let list = stored.as_ref().unwrap_or(&effective);
            let editable = Page::of(list, list.len(), limits, entry);
            let differs = stored.as_ref().is_some_and(|s| *s != effective);
            let effective = Page::of(&effective, effective.len(), limits, String::clone);
            let mut shown: Vec<String> = effective.rows.iter().map(|id| escape_control(id).into_owned()).collect();
            if effective.total > effective.rows.len() {
                shown.push(format!("… ({} more)", effective.total - effective.rows.len()));
            }
            Some(OrderView {
                provider: Named::of(&p.provider),
                note: if stored.is_some() {
                    "Order set in auth-profiles.json."
                } else {
                    "No order set: shown is the order the gateway would use now."
                },
                effective_note: differs
                    .then(|| format!("Tried now in this order (cooling down last): {}", shown.join(", "))),
                stored: stored.map(|ids| Page::of(&ids, ids.len(), limits, String::clone)),
                effective,
                editable,
            })
        })
        .collect()
}

/// The store's order list for `provider`, found as the order rules find it
/// (the first key that normalises to the provider: `z.ai` is `zai`).
fn stored_order<'a>(loaded: &'a Loaded, provider: &str) -> Option<&'a Vec<String>> {
    order_for(&loaded.store.order, &ProviderId::parse(provider)).filter(|ids| !ids.is_empty())
}

/// The list the page's order editor shows for `provider`: the stored order,
/// else the order the gateway would use now.
pub fn editable_order(loaded: &Loaded, provider: &str) -> Vec<String> {
    match stored_order(loaded, provider) {
        Some(ids) => ids.clone(),
        None => resolve_order(&loaded.config.config, &loaded.store, provider, None, loaded.now),
    }
}

/// `ids` with `profile_id` moved `by` places (-1 up, 1 down), or `None`
/// when it is not in the list or would leave it.
pub fn moved(ids: &[String], profile_id: &str, by: isize) -> Option<Vec<String>> {
    let from = ids.iter().position(|id| id == profile_id)?;
    let to = from.checked_add_signed(by).filter(|to| *to < ids.len())?;
    let mut next = ids.to_vec();
    let id = next.remove(from);
    next.insert(to, id);
    Some(next)
}

fn doctor_view(doctor: &DoctorPreview, limits: Limits) -> DoctorView {
    let (human, itself): (Vec<&Issue>, Vec<&Issue>) = doctor.issues.iter().partition(|i| i.needs_human);
    let page = |issues: Vec<&Issue>| Page::of(issues.iter().copied(), issues.len(), limits, IssueRow::of);
    DoctorView {
        changes: doctor.changes.iter().map(|c| escape_control(c).into_owned()).collect(),
        problems: doctor.problems.clone(),
        needs_human: page(human),
        refreshes_itself: page(itself),
        cooldowns: Page::of(&doctor.cooldowns, doctor.cooldowns.len(), limits, String::clone),
        nothing_needed: !doctor.needs_human(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn busy_view(rows: Option<usize>) -> Value {
        let (loaded, options) = crate::report::busy_home();
        let report = crate::report::build(&loaded, &options);
        let doctor = crate::doctor::preview(&loaded, &report);
        build(&loaded, &report, &doctor, None, |_| true, Limits { rows, ..Limits::default() }).to_value()
    }

    fn parsed(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    /// Issue 28: each provider in use says what requests use now, in the
    /// words of `models status`'s "In use" section, beside the roll-up.
    fn providers_say_their_roll_up_count_and_where_credentials_come_from() {
        let v = busy_view(None);
        assert_eq!(
            v["providers"],
            parsed(
                r#"[{"provider":{"id":"anthropic","shown":"anthropic"},"badge":{"status":"expired","word":"expired","icon":"✗"},"remaining":{"expiresAt":1767218400000,"remainingMs":-7200000,"text":"0m","past":"expired 2h ago"},"profiles":7,"credentialsFrom":"profiles: ~/.clawdbot/agents/main/agent/auth-profiles.json","inUseWithoutCredentials":false,"usedNow":{"badge":{"status":"ok","word":"ok","icon":"✓"},"via":"anthropic:work","words":"ok, refreshes on use (access token expires in 3h)"}},{"provider":{"id":"custom","shown":"custom"},"badge":{"status":"missing","word":"unknown","icon":"?"},"profiles":0,"credentialsFrom":"models.json: sk-FAKEC...KECUSTOM","inUseWithoutCredentials":false},{"provider":{"id":"google","shown":"google"},"badge":{"status":"missing","word":"unknown","icon":"?"},"profiles":0,"credentialsFrom":"env: FAKE-gem...23456789","inUseWithoutCredentials":false,"usedNow":{"badge":{"status":"ok","word":"ok","icon":"✓"},"via":"env: GEMINI_API_KEY"}},{"provider":{"id":"groq","shown":"groq"},"badge":{"status":"missing","word":"unknown","icon":"?"},"profiles":0,"credentialsFrom":"missing","inUseWithoutCredentials":true,"usedNow":{"badge":{"status":"expired","word":"failing","icon":"✗"}}},{"provider":{"id":"openai","shown":"openai"},"badge":{"status":"static","word":"static","icon":"●"},"profiles":3,"credentialsFrom":"profiles: ~/.clawdbot/agents/main/agent/auth-profiles.json","inUseWithoutCredentials":false,"usedNow":{"badge":{"status":"ok","word":"ok","icon":"✓"},"via":"openai:key","words":"static"}},{"provider":{"id":"openai-codex","shown":"openai-codex"},"badge":{"status":"ok","word":"ok","icon":"✓"},"remaining":{"expiresAt":1767229200000,"remainingMs":3600000,"text":"1h"},"profiles":1,"credentialsFrom":"profiles: ~/.clawdbot/agents/main/agent/auth-profiles.json","inUseWithoutCredentials":false},{"provider":{"id":"xai","shown":"xai"},"badge":{"status":"missing","word":"unknown","icon":"?"},"profiles":0,"credentialsFrom":"env: xai-FAKE...23456789","inUseWithoutCredentials":false,"usedNow":{"badge":{"status":"ok","word":"ok","icon":"✓"},"via":"shell env: XAI_API_KEY"}}]"#
            )
        );
    }

    #[test]
    fn cooldowns_and_profiles_say_why_until_when_and_what_to_do() {
        let v = busy_view(None);
        assert_eq!(
            v["cooldowns"],
            parsed(
                r#"{"total":2,"rows":[{"profile":{"id":"openai:cool","shown":"openai:cool"},"kind":"cooldown","text":"cooldown","remaining":{"expiresAt":1767225840000,"remainingMs":240000,"text":"4m"}},{"profile":{"id":"openai:off","shown":"openai:off"},"kind":"disabled","text":"disabled (billing)","remaining":{"expiresAt":1767243600000,"remainingMs":18000000,"text":"5h"}}]}"#
            )
        );
        assert_eq!(v["profiles"]["total"], 11);
        let row = |id: &str| {
            v["profiles"]["rows"].as_array().unwrap().iter().find(|r| r["profile"]["id"] == id).cloned().unwrap()
        };
        assert_eq!(
            row("anthropic:far"),
            parsed(
                r#"{"profile":{"id":"anthropic:far","shown":"anthropic:far"},"label":"anthropic:far","provider":"anthropic","type":"token","source":"store","badge":{"status":"ok","word":"ok","icon":"✓"},"words":"ok expires never (beyond year 9999)","role":"spare","problem":false,"remaining":{"expiresAt":300000000000000,"remainingMs":298232774400000,"text":"never (beyond year 9999)"},"reasonCode":"ok","actions":["remove"]}"#
            )
        );
        assert_eq!(
            row("openai:off"),
            parsed(
                r#"{"profile":{"id":"openai:off","shown":"openai:off"},"label":"openai:off","provider":"openai","type":"api_key","source":"store","badge":{"status":"static","word":"disabled","icon":"⊘"},"words":"disabled for 5h (billing); static","role":"spare","problem":true,"reasonCode":"disabled-billing","backoff":"disabled until 2026-01-01T05:00:00Z (billing)","recoveryHint":"Top up credits (provider billing), or run `clawdbot models auth cooldown clear openai:off` once the cause is gone.","actions":["cooldownClear","remove"]}"#
            ),
            "a static key has no time left"
        );
        assert_eq!(row("anthropic:work")["actions"], json!(["refresh", "remove"]), "an OAuth login");
        assert_eq!(v["check"], json!({ "code": 1, "text": check_meaning(CheckCode::Action) }));
        assert_eq!(v["storeUnreadable"], false);
        assert_eq!(
            v["missing"],
            json!([{ "provider": { "id": "groq", "shown": "groq" }, "badge": { "status": "missing", "word": "unknown", "icon": "?" } }])
        );
    }

    #[test]
    fn doctor_splits_what_needs_a_human_from_what_renews_itself() {
        let v = busy_view(Some(1));
        let d = &v["doctor"];
        assert_eq!(d["changes"], json!(["synced openai-codex credentials from codex cli"]));
        assert_eq!((d["needsHuman"]["total"].clone(), d["refreshesItself"]["total"].clone()), (json!(3), json!(2)));
        assert_eq!(d["needsHuman"]["rows"].as_array().map(Vec::len), Some(1), "paged");
        assert_eq!(d["needsHuman"]["rows"][0]["profile"]["id"], "anthropic:old");
        assert_eq!(d["needsHuman"]["rows"][0]["remaining"], "expired 2h ago", "not \"0m\"");
        assert_eq!(d["refreshesItself"]["rows"][0]["profile"]["id"], "anthropic:work");
        assert_eq!(
            d["cooldowns"],
            json!({ "total": 2, "rows": ["- openai:cool: cooldown (4m) — Wait for cooldown or switch provider."] })
        );
        assert_eq!(d["nothingNeeded"], false);
        assert_eq!(d["problems"], json!([]));
    }

    #[test]
    fn the_check_codes_mean_what_they_say() {
        assert_eq!(check_meaning(CheckCode::Ok), "OK: every provider in use has a usable credential");
        assert_eq!(
            check_meaning(CheckCode::Action),
            "Action needed: a provider in use has no usable credential, or a file is unreadable"
        );
        assert_eq!(
            check_meaning(CheckCode::Expiring),
            "Expiring: the best credential of a provider in use expires soon"
        );
    }

    #[test]
    fn a_profile_moves_within_the_list_only() {
        let ids: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(moved(&ids, "b", -1), Some(vec!["b".into(), "a".into(), "c".into()]));
        assert_eq!(moved(&ids, "b", 1), Some(vec!["a".into(), "c".into(), "b".into()]));
        assert_eq!(moved(&ids, "c", 1), None, "the last cannot move down");
        assert_eq!(moved(&ids, "a", -1), None);
        assert_eq!(moved(&ids, "a", 2), Some(vec!["b".into(), "c".into(), "a".into()]));
        assert_eq!(moved(&ids, "a", 3), None);
        assert_eq!(moved(&ids, "x", 1), None);
    }

    fn view_of(files: &[(&str, &str)], rows: Option<usize>) -> Value {
        let mut w = crate::world::MapWorld::default();
        for (p, t) in files {
            w.files.insert(p.to_string(), crate::world::FileRead::text(*t));
        }
        let loaded = crate::load::load(&w, &crate::paths::Env::new("/h"), 1_767_225_600_000, None);
        let report = crate::report::build(&loaded, &Default::default());
        let doctor = crate::doctor::preview(&loaded, &report);
        build(&loaded, &report, &doctor, Some("TEXT".into()), |_| false, Limits { rows, ..Limits::default() })
            .to_value()
    }

    const STORE: &str = "/h/.clawdbot/agents/main/agent/auth-profiles.json";

    #[test]
    fn a_stored_order_the_gateway_would_change_is_explained() {
        let store = r#"{"version":1,
            "profiles":{"openai:a":{"type":"api_key","provider":"openai","key":"k-FAKE"},
                        "openai:b":{"type":"api_key","provider":"openai","key":"k-FAKE"},
                        "openai:c":{"type":"api_key","provider":"openai","key":"k-FAKE"}},
            "order":{"openai":["openai:a","openai:b","openai:c"]},
            "usageStats":{"openai:a":{"cooldownUntil":1767225840000}}}"#;
        let v = view_of(&[(STORE, store)], Some(1));
        let order = &v["orders"][0];
        assert_eq!(order["note"], "Order set in auth-profiles.json.");
        assert_eq!(order["stored"], json!({ "total": 3, "rows": ["openai:a"] }));
        assert_eq!(order["effective"], json!({ "total": 3, "rows": ["openai:b"] }));
        assert_eq!(order["effectiveNote"], "Tried now in this order (cooling down last): openai:b, … (2 more)");
        assert_eq!(
            order["editable"]["rows"][0],
            json!({ "profile": { "id": "openai:a", "shown": "openai:a" }, "backingOff": "cooldown" })
        );
        let all = view_of(&[(STORE, store)], None);
        assert_eq!(
            all["orders"][0]["effectiveNote"],
            "Tried now in this order (cooling down last): openai:b, openai:c, openai:a"
        );
        assert_eq!(all["text"], "TEXT");
        assert_eq!(all["files"][0]["state"], "notGiven");
        let same = store.replace(r#""usageStats":{"openai:a":{"cooldownUntil":1767225840000}}"#, r#""usageStats":{}"#);
        let v = view_of(&[(STORE, &same)], None);
        assert!(
            v["orders"][0].get("effectiveNote").is_none(),
            "no note when the stored order is what is tried: {}",
            v["orders"][0]
        );
        let empty =
            store.replace(r#""order":{"openai":["openai:a","openai:b","openai:c"]}"#, r#""order":{"openai":[]}"#);
        let v = view_of(&[(STORE, &empty)], None);
        assert_eq!(v["orders"][0]["note"], "No order set: shown is the order the gateway would use now.");
        assert!(v["orders"][0].get("stored").is_none());
    }

    #[test]
    fn errors_come_first_then_the_order_found() {
        let v = view_of(&[("/h/.clawdbot/.env", "bad line\nalso bad\n"), (STORE, "{ broken")], None);
        let severities: Vec<&str> =
            v["diagnostics"].as_array().unwrap().iter().map(|d| d["severity"].as_str().unwrap()).collect();
        assert_eq!(severities, ["error", "warning", "warning"]);
        assert_eq!(v["diagnostics"][1]["message"], "line 1 is not NAME=value; ignored");
        assert_eq!(v["storeUnreadable"], true);
        assert_eq!(v["doctor"]["nothingNeeded"], false);
    }

    #[test]
    fn a_provider_without_a_source_detail_shows_its_kind_alone() {
        let (loaded, options) = crate::report::busy_home();
        let mut report = crate::report::build(&loaded, &options);
        let google = report.auth.providers.iter().position(|p| p.provider == "google").unwrap();
        report.auth.providers[google].effective =
            crate::report::Effective { kind: "missing", detail: "missing".into() };
        let xai = report.auth.providers.iter().position(|p| p.provider == "xai").unwrap();
        report.auth.providers[xai].effective = crate::report::Effective { kind: "env", detail: String::new() };
        let rows = providers(&report);
        let from = |id: &str| rows.iter().find(|r| r.provider.id == id).map(|r| r.credentials_from.clone());
        assert_eq!(from("google").as_deref(), Some("missing"));
        assert_eq!(from("xai").as_deref(), Some("env"));
        assert_eq!(from("custom").as_deref(), Some("models.json: sk-FAKEC...KECUSTOM"));
        assert_eq!(from("groq").as_deref(), Some("missing"), "no overview entry at all");
    }
}

#[cfg(test)]
mod glance_tests {
    use super::*;
    use crate::world::{FileRead, MapWorld};
    use serde_json::{Value, json};

    const NOW: i64 = 1_767_225_600_000;
    const HOUR: i64 = 3_600_000;

    /// Issue 28's small home: Claude Code's login, an expired pasted token,
    /// two openai keys (the first in a rate-limit cooldown), a default model
    /// and a fallback.
    fn small_home(only: Only, rows: Option<usize>) -> Value {
        let mut w = MapWorld::default();
        let store = json!({"version": 1, "profiles": {
            "anthropic:manual": {"type": "token", "provider": "anthropic", "token": "t-FAKE", "expires": NOW - 48 * HOUR},
            "openai:work": {"type": "api_key", "provider": "openai", "key": "k-FAKE"},
            "openai:spare": {"type": "api_key", "provider": "openai", "key": "k-FAKE"}},
            "order": {"openai": ["openai:work", "openai:spare"]},
            "usageStats": {"openai:work": {"cooldownUntil": NOW + 12 * 60_000, "failureCounts": {"rate_limit": 1}}}});
        let claude =
            json!({"claudeAiOauth": {"accessToken": "a-FAKE", "refreshToken": "r-FAKE", "expiresAt": NOW + 8 * HOUR}});
        let config = json!({"agents": {"defaults": {"model": {"primary": "anthropic/claude-opus-4-5", "fallbacks": ["openai/gpt-5"]}}}});
        for (path, doc) in [
            ("/h/.clawdbot/agents/main/agent/auth-profiles.json", store),
            ("/h/.claude/.credentials.json", claude),
            ("/h/.clawdbot/clawdbot.json", config),
        ] {
            w.files.insert(path.into(), FileRead::text(doc.to_string()));
        }
        let loaded = crate::load::load(&w, &crate::paths::Env::new("/h"), NOW, None);
        let report = crate::report::build(&loaded, &crate::report::ReportOptions::default());
        let doctor = crate::doctor::preview(&loaded, &report);
        build(&loaded, &report, &doctor, None, |_| true, Limits { rows, only, from: 0 }).to_value()
    }

    #[test]
    fn each_provider_says_what_requests_use_now_in_the_clis_words() {
        let v = small_home(Only::All, None);
        let used = |p: &str| {
            v["providers"].as_array().unwrap().iter().find(|r| r["provider"]["id"] == p).unwrap()["usedNow"].clone()
        };
        assert_eq!(
            used("anthropic"),
            json!({"badge": {"status": "ok", "word": "ok", "icon": "✓"}, "via": "anthropic:claude-cli",
                   "words": "ok, refreshes on use (access token expires in 8h)"})
        );
        assert_eq!(used("openai")["via"], "openai:spare", "the one in cooldown is not what requests use");
        assert_eq!(v["check"]["code"], 0, "and the check agrees");
        assert_eq!(
            v["warnings"],
            json!({"total": 1, "rows": ["anthropic:manual is expired; requests use another credential"]})
        );
        assert_eq!(
            v["models"],
            json!({"default": "anthropic/claude-opus-4-5", "fallbacks": ["openai/gpt-5"], "imageFallbacks": []})
        );
    }

    #[test]
    fn problems_come_first_with_the_clis_words_and_spares_are_marked() {
        let v = small_home(Only::All, None);
        let rows = v["profiles"]["rows"].as_array().unwrap();
        let seen: Vec<(&str, &str, &str, bool)> = rows
            .iter()
            .map(|r| {
                let id = r["profile"]["id"].as_str().unwrap();
                (id, r["words"].as_str().unwrap(), r["role"].as_str().unwrap_or("-"), r["problem"].as_bool().unwrap())
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("anthropic:manual", "expired 2d ago", "spare", true),
                ("openai:work", "cooldown for 12m (rate_limit); static", "spare", true),
                ("anthropic:claude-cli", "ok, refreshes on use (access token expires in 8h)", "in use", false),
                ("openai:spare", "static", "in use", false),
            ]
        );
        assert_eq!(rows[0]["remaining"]["past"], "expired 2d ago", "not \"0m now\"");
        let counts: Vec<(&str, u64, bool)> = v["profileCounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (c["badge"]["word"].as_str().unwrap(), c["count"].as_u64().unwrap(), c["problem"].as_bool().unwrap())
            })
            .collect();
        assert_eq!(counts, [("expired", 1, true), ("cooldown", 1, true), ("ok", 1, false), ("static", 1, false)]);
        assert_eq!(v["only"], "all");
    }

    #[test]
    fn the_filter_applies_before_the_rows_are_cut_and_the_counts_stay_whole() {
        let v = small_home(Only::Problems, Some(1));
        assert_eq!(v["profiles"]["total"], 2);
        assert_eq!(v["profiles"]["rows"].as_array().map(Vec::len), Some(1));
        assert_eq!(v["profileCounts"].as_array().map(Vec::len), Some(4), "the counts are of every profile");
        assert_eq!(v["only"], "problems");
        let v = small_home(Only::parse("cooldown").unwrap(), None);
        assert_eq!(v["profiles"]["rows"][0]["profile"]["id"], "openai:work");
        assert_eq!(v["profiles"]["total"], 1);
        assert_eq!(Only::parse("expired"), Some(Only::Standing(Standing::Expired)));
        assert_eq!(Only::parse("missing-secret").map(Only::word), Some("missing-secret"));
        assert_eq!(Only::parse("bogus"), None);
        for standing in STANDINGS {
            assert_eq!(Only::parse(standing.word()), Some(Only::Standing(standing)), "{}", standing.word());
        }
    }
}

#[cfg(test)]
mod ref_tests {
    use super::*;
    use crate::world::{FileRead, MapWorld};

    #[test]
    fn the_panel_shows_each_ref_and_its_state_never_its_value() {
        let mut w = MapWorld::default();
        let store = r#"{"version":1,"profiles":{
            "openai:env":{"type":"api_key","provider":"openai","keyRef":{"source":"env","id":"OPENAI_KEY_REF"}},
            "openai:file":{"type":"api_key","provider":"openai","keyRef":{"source":"file","provider":"creds","id":"value"}}}}"#;
        w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text(store));
        let env = crate::paths::Env::new("/h").with_var("OPENAI_KEY_REF", "sk-FAKE-panel-canary-0123456789");
        let loaded = crate::load::load(&w, &env, 1_767_225_600_000, None);
        let report = crate::report::build(&loaded, &crate::report::ReportOptions::default());
        let doctor = crate::doctor::preview(&loaded, &report);
        let v = build(&loaded, &report, &doctor, None, |_| true, Limits::default()).to_value();
        let rows = v["profiles"]["rows"].as_array().unwrap();
        let refs: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r["secretRef"]["ref"].as_str().unwrap(), r["secretRef"]["state"].as_str().unwrap()))
            .collect();
        assert_eq!(refs, [("file:creds:value", "failing"), ("env:OPENAI_KEY_REF", "ok")], "the failing one first");
        assert!(!v.to_string().contains("sk-FAKE-panel"), "no value, not even masked");
    }
}
