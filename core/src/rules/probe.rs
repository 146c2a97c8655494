//! `models status --probe` (issue 26): which credentials are probed, the
//! request each sends, and what each answer means.
//!
//! A probe is the cheapest request that proves a credential works, as its
//! provider declares it ([`crate::providers::probe`]): one per usable
//! profile (and env or `models.json` key) of the providers in use, or of
//! the ones named. It never refreshes a login: one whose access token has
//! expired is reported expired and not probed, and a login another CLI
//! owns (Claude Code, Codex) is only ever read. The host sends the batch
//! in parallel and measures each exchange; everything else is here:
//! - [`plan`]: the targets, each with its request or why it is not sent;
//! - [`classify`]: an answer as the successor's classes (`ok`, `auth`,
//!   `billing`, `rate_limit`, `timeout`, `format`, `unknown`) and a short
//!   reason code taken from the provider's error code, never its body;
//! - [`ProbeRun::remember`]: the refusals kept in the store (and the ones a
//!   success ends), through [`crate::rejection`].

use crate::env_auth::{config_key, env_key_from};
use crate::health::{HealthRules, ProfileHealth};
use crate::http::{Exchange, HttpRequest, HttpResponse, TransportFailure};
use crate::load::Loaded;
use crate::providers::probe::{KeyOf, Probe};
use crate::refresh::Endpoints;
use crate::rejection;
use crate::secret::Secret;
use crate::secret_refs::RefStates;
use crate::store::{AuthStore, Credential, CredentialType};
use crate::time::{ExpiryKind, Instant, Millis};
use serde::Serialize;
use serde_json::Value;

/// `--probe-timeout`'s default, as typed.
pub const DEFAULT_TIMEOUT: &str = "8s";
/// `--probe-concurrency`'s default: two at a time, gentle on rate limits.
pub const DEFAULT_CONCURRENCY: usize = 2;
/// The most requests in flight at once (`--probe-concurrency`).
pub const MAX_CONCURRENCY: usize = 16;
/// The most of an answer's body the host reads: a model list is tens of
/// kilobytes, an error a few hundred bytes.
pub const MAX_BODY_BYTES: u64 = 512 * 1024;

/// What `--probe` was asked, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeOptions {
    /// `--probe-provider`, normalised; empty: the providers in use.
    pub providers: Vec<String>,
    /// `--probe-profile`.
    pub profiles: Vec<String>,
    /// `--probe-timeout`, ms: each request, whole.
    pub timeout_ms: u64,
    /// `--probe-concurrency`.
    pub concurrency: usize,
}

/// How a probe came out, in the successor's words (serialised snake case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeStatus {
    /// The provider accepted the credential.
    Ok,
    /// Refused: 401/403, or an error code that says the key is invalid.
    Auth,
    /// Out of credit: 402, or billing wording.
    Billing,
    /// Too many requests (429) or overloaded (529).
    RateLimit,
    /// No whole answer within the timeout.
    Timeout,
    /// The request was not understood (400/404/422): a moved endpoint.
    Format,
    /// Anything else (a 5xx, garbage, a redirect, a transport failure).
    Unknown,
    /// Nothing was sent (no cheap check, expired, not usable).
    NotProbed,
}

impl ProbeStatus {
    /// Its word (`rate_limit`).
    pub fn word(self) -> &'static str {
        match self {
            ProbeStatus::Ok => "ok",
            ProbeStatus::Auth => "auth",
            ProbeStatus::Billing => "billing",
            ProbeStatus::RateLimit => "rate_limit",
            ProbeStatus::Timeout => "timeout",
            ProbeStatus::Format => "format",
            ProbeStatus::Unknown => "unknown",
            ProbeStatus::NotProbed => "not_probed",
        }
    }

    /// Every status, for documents that list them.
    pub const ALL: [ProbeStatus; 8] = [
        ProbeStatus::Ok,
        ProbeStatus::Auth,
        ProbeStatus::Billing,
        ProbeStatus::RateLimit,
        ProbeStatus::Timeout,
        ProbeStatus::Format,
        ProbeStatus::Unknown,
        ProbeStatus::NotProbed,
    ];

    /// The provider refused the credential: `--check` says 1, and the
    /// refusal is remembered.
    pub fn is_refusal(self) -> bool {
        matches!(self, ProbeStatus::Auth | ProbeStatus::Billing)
    }

    /// Inconclusive: a warning, which only `--strict` counts.
    pub fn is_inconclusive(self) -> bool {
        matches!(self, ProbeStatus::RateLimit | ProbeStatus::Timeout | ProbeStatus::Format | ProbeStatus::Unknown)
    }
}

/// Where a probed credential comes from, in the successor's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TargetSource {
    /// A profile of the store.
    #[serde(rename = "profile")]
    Profile,
    /// A provider variable (the environment, `.env`, the login shell).
    #[serde(rename = "env")]
    Env,
    /// `models.providers.<p>.apiKey` of the config.
    #[serde(rename = "models.json")]
    ModelsJson,
}

/// One credential to probe: what to send, or why nothing is.
#[derive(Debug, Clone)]
pub struct Target {
    /// The provider, normalised.
    pub provider: String,
    /// The profile, for a stored credential.
    pub profile_id: Option<String>,
    /// Where it comes from.
    pub source: TargetSource,
    /// How it is named: the profile id, `env: OPENAI_API_KEY`, `models.json`.
    pub label: String,
    /// The request, or why there is none.
    pub plan: Planned,
}

/// A target's request, or why it is not sent.
#[derive(Debug, Clone)]
pub enum Planned {
    /// Sent; `fingerprint` names the secret it carries.
    Send {
        /// The request (it holds the secret; never printed).
        request: HttpRequest,
        /// [`rejection::fingerprint`] of the secret sent.
        fingerprint: String,
    },
    /// Not sent.
    Skip {
        /// A stable code (`no_cheap_check`, `expired`, the profile's
        /// reason code).
        reason_code: String,
        /// Why, in words (`no cheap check`).
        why: String,
    },
}

/// One target's result (`auth.probes.results[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeResult {
    /// The provider, normalised.
    pub provider: String,
    /// The profile, for a stored credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_id: Option<String>,
    /// How it is named (the profile id, `env: VAR`, `models.json`).
    pub label: String,
    /// Where it comes from.
    pub source: TargetSource,
    /// How the probe came out.
    pub status: ProbeStatus,
    /// The provider's error code, `http_<status>`, or why it was not
    /// probed; never the body, never a key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// How long the exchange took, as the host measured it; none when
    /// nothing was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Why it was not probed, in words (text output).
    #[serde(skip)]
    pub why: Option<String>,
    /// The fingerprint of the secret sent (kept for the store, never shown).
    #[serde(skip)]
    pub fingerprint: Option<String>,
}

/// A whole probe run: `auth.probes` of `--json`, the successor's names.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeRun {
    /// When the batch was handed to the host (ms since the epoch).
    pub started_at: Instant,
    /// When its answers came back.
    pub finished_at: Instant,
    /// `finished_at - started_at`, ms.
    pub duration_ms: u64,
    /// How many targets there were (those not probed included).
    pub total_targets: usize,
    /// What was asked.
    pub options: ProbeOptions,
    /// One per target, in the order planned.
    pub results: Vec<ProbeResult>,
}

/// What a probe of one load will do.
#[derive(Debug, Clone)]
pub struct ProbePlan {
    /// The targets, in order.
    pub targets: Vec<Target>,
    /// Providers and profiles the options named that match nothing.
    pub unmatched: Vec<String>,
    /// `CLAWDBOT_API_URL_<PROVIDER>` variables set to an origin that may
    /// not be used (neither https nor a loopback host), and so ignored.
    pub ignored: Vec<String>,
}

/// The targets of a probe of `loaded`, in order: per provider (those
/// named, else the providers in use), its profiles in the core's
/// collation, then its env key, then its `models.json` key. With only
/// `--probe-profile`, just those profiles. `shell_applied` names the
/// variables the shell-env fallback imported.
pub fn plan(loaded: &Loaded, options: &ProbeOptions, shell_applied: &[String], rules: HealthRules) -> ProbePlan {
    let cfg = &loaded.config.config;
    let endpoints = Endpoints::from_env(loaded.env.vars.iter());
    let mut unmatched = Vec::new();
    let only_profiles = options.providers.is_empty() && !options.profiles.is_empty();
    let mut providers: Vec<String> = if only_profiles {
        Vec::new()
    } else if options.providers.is_empty() {
        cfg.providers_configured()
    } else {
        options.providers.clone()
    };
    for id in &options.profiles {
        match loaded.store.profile(id) {
            Some(p) => {
                let provider = crate::provider::normalize(p.credential.provider());
                if !providers.contains(&provider) {
                    providers.push(provider);
                }
            }
            None => unmatched.push(id.clone()),
        }
    }
    let mut targets = Vec::new();
    for provider in &providers {
        let explicitly = options.providers.contains(provider);
        let mut ids: Vec<(&String, &crate::store::Profile)> = loaded
            .store
            .profiles
            .iter()
            .filter(|(_, p)| crate::provider::normalize(p.credential.provider()) == *provider)
            .filter(|(id, _)| explicitly || options.profiles.is_empty() || options.profiles.contains(id))
            .collect();
        ids.sort_by_cached_key(|(id, _)| crate::health::collation_key(id));
        let before = targets.len();
        for (id, profile) in ids {
            let Some(health) = loaded.assess(id, rules) else { continue };
            let plan = profile_plan(&loaded.refs, id, profile, &health, &endpoints, loaded.now);
            targets.push(Target {
                provider: provider.clone(),
                profile_id: Some(id.clone()),
                source: TargetSource::Profile,
                label: id.clone(),
                plan,
            });
        }
        if explicitly || options.profiles.is_empty() {
            let spec = crate::providers::find(provider);
            let env = env_key_from(provider, &loaded.env, shell_applied, &loaded.dotenv, loaded.gcloud_adc);
            if let Some(found) = env {
                let kind = if found.is_oauth() { CredentialType::Token } else { CredentialType::ApiKey };
                let plan = key_plan(spec, kind, &found.value, &endpoints);
                targets.push(Target {
                    provider: provider.clone(),
                    profile_id: None,
                    source: TargetSource::Env,
                    label: found.source,
                    plan,
                });
            }
            if let Some(key) = config_key(provider, cfg) {
                let plan = key_plan(spec, CredentialType::ApiKey, &key, &endpoints);
                targets.push(Target {
                    provider: provider.clone(),
                    profile_id: None,
                    source: TargetSource::ModelsJson,
                    label: "models.json".into(),
                    plan,
                });
            }
        }
        if explicitly && targets.len() == before {
            unmatched.push(provider.clone());
        }
    }
    let ignored = endpoints.ignored().iter().filter(|name| name.starts_with("CLAWDBOT_API_URL_")).cloned().collect();
    ProbePlan { targets, unmatched, ignored }
}

/// A stored profile's plan: its probe, unless it needs a person already
/// (a refusal a probe found does not: a new probe may end it), its
/// provider has no cheap check, or its access token has expired (a probe
/// never refreshes, and never touches another CLI's login).
fn profile_plan(
    refs: &RefStates,
    id: &str,
    profile: &crate::store::Profile,
    health: &ProfileHealth,
    endpoints: &Endpoints,
    now: Millis,
) -> Planned {
    let skip = |code: &str, why: String| Planned::Skip { reason_code: code.to_string(), why };
    if !health.standing.usable() && health.health_reason != Some(rejection::PROBE_REASON_CODE) {
        return skip(&health.reason_code, health.standing.word().to_string());
    }
    let c = &profile.credential;
    let spec = crate::providers::find(c.provider());
    let Some(probe) = spec.and_then(|s| Probe::for_kind(s.probes, c.kind())) else {
        return skip(NO_CHEAP_CHECK, "no cheap check".into());
    };
    let login = match c {
        Credential::OAuth(o) => Some(o),
        _ => None,
    };
    if let Some(o) = login.filter(|_| probe.key_of == KeyOf::Secret)
        && let ExpiryKind::At(at) = o.expiry()
        && at.is_past(now)
    {
        let why = match health.source {
            crate::health::Source::Synced(source) => {
                format!("its access token has expired; {} renews it, a probe never touches it", source.owner)
            }
            _ => "its access token has expired; a probe never refreshes".to_string(),
        };
        return skip("expired", why);
    }
    let Some(secret) = rejection::probed_secret(refs, id, profile) else {
        return skip("missing-secret", "it holds no key or token".into());
    };
    let origin = probe.origin_for(spec.and_then(|s| endpoints.api_origin_of(s.id)), login);
    Planned::Send { request: probe.request(secret, &origin, login), fingerprint: rejection::fingerprint(secret) }
}

/// An env or `models.json` key's plan: its provider's probe for `kind`.
fn key_plan(
    spec: Option<&'static crate::providers::ProviderSpec>,
    kind: CredentialType,
    key: &Secret,
    endpoints: &Endpoints,
) -> Planned {
    let probe = spec.and_then(|s| Probe::for_kind(s.probes, kind));
    match (spec, probe) {
        (Some(spec), Some(probe)) if !key.is_blank() => {
            let origin = probe.origin_for(endpoints.api_origin_of(spec.id), None);
            Planned::Send { request: probe.request(key, &origin, None), fingerprint: rejection::fingerprint(key) }
        }
        _ => Planned::Skip { reason_code: NO_CHEAP_CHECK.into(), why: "no cheap check".into() },
    }
}

/// The reason code of a target whose provider has no cheap check.
pub const NO_CHEAP_CHECK: &str = "no_cheap_check";

/// The requests of the targets that are sent, in order.
pub fn requests(targets: &[Target]) -> Vec<HttpRequest> {
    targets
        .iter()
        .filter_map(|t| match &t.plan {
            Planned::Send { request, .. } => Some(request.clone()),
            Planned::Skip { .. } => None,
        })
        .collect()
}

/// The run: each target's result, the sent ones from `exchanges` (one per
/// request of [`requests`], in order; a missing one reads as a failure).
pub fn results(
    targets: Vec<Target>,
    exchanges: Vec<Exchange>,
    options: ProbeOptions,
    started: Millis,
    finished: Millis,
) -> ProbeRun {
    let mut answers = exchanges.into_iter();
    let total_targets = targets.len();
    let results = targets
        .into_iter()
        .map(|t| {
            let (status, reason_code, latency_ms, why, fingerprint) = match t.plan {
                Planned::Skip { reason_code, why } => {
                    (ProbeStatus::NotProbed, Some(reason_code), None, Some(why), None)
                }
                Planned::Send { fingerprint, .. } => match answers.next() {
                    Some(exchange) => {
                        let (status, code) = classify(&exchange);
                        (status, code, Some(exchange.latency_ms), None, Some(fingerprint))
                    }
                    None => (ProbeStatus::Unknown, Some("no_answer".into()), None, None, Some(fingerprint)),
                },
            };
            ProbeResult {
                provider: t.provider,
                profile_id: t.profile_id,
                label: t.label,
                source: t.source,
                status,
                reason_code,
                latency_ms,
                why,
                fingerprint,
            }
        })
        .collect();
    let duration_ms = u64::try_from(finished.saturating_sub(started)).unwrap_or(0);
    ProbeRun {
        started_at: Instant::from_millis(started),
        finished_at: Instant::from_millis(finished),
        duration_ms,
        total_targets,
        options,
        results,
    }
}

/// What an exchange says about the credential, and a short reason code.
pub fn classify(exchange: &Exchange) -> (ProbeStatus, Option<String>) {
    match &exchange.answer {
        Err(TransportFailure::Timeout) => (ProbeStatus::Timeout, None),
        Err(failure) => {
            let code = match failure {
                TransportFailure::Connect => "connect",
                TransportFailure::Tls => "tls",
                TransportFailure::Redirect => "redirect",
                TransportFailure::TooLarge => "too_large",
                TransportFailure::Timeout | TransportFailure::Other => "transport",
            };
            (ProbeStatus::Unknown, Some(code.into()))
        }
        Ok(response) => classify_response(response),
    }
}

/// An answer by its status, refined by the provider's error code and
/// wording (read here, never shown).
fn classify_response(response: &HttpResponse) -> (ProbeStatus, Option<String>) {
    let body: Option<Value> = serde_json::from_slice(&response.body).ok();
    let status = response.status;
    if (200..300).contains(&status) {
        return match body {
            Some(Value::Object(_) | Value::Array(_)) => (ProbeStatus::Ok, None),
            _ => (ProbeStatus::Unknown, Some("not_json".into())),
        };
    }
    let (code, wording) = body.as_ref().map_or((None, String::new()), error_of);
    let billing = crate::usage::mentions_billing(&wording);
    let class = match status {
        402 => ProbeStatus::Billing,
        401 | 403 if billing => ProbeStatus::Billing,
        401 | 403 => ProbeStatus::Auth,
        408 => ProbeStatus::Timeout,
        429 if billing => ProbeStatus::Billing,
        429 | 529 => ProbeStatus::RateLimit,
        503 if wording.contains("overloaded") => ProbeStatus::RateLimit,
        400 | 404 | 422 if billing => ProbeStatus::Billing,
        400 | 404 | 422 if says_invalid_key(&wording) => ProbeStatus::Auth,
        400 | 404 | 422 => ProbeStatus::Format,
        _ => ProbeStatus::Unknown,
    };
    (class, Some(code.unwrap_or_else(|| format!("http_{status}"))))
}

/// Whether an error's words say the key itself is no good (Gemini answers
/// a bad key with a 400 `API_KEY_INVALID`).
fn says_invalid_key(wording: &str) -> bool {
    ["api_key_invalid", "invalid_api_key", "unauthenticated", "authentication_error", "permission_denied"]
        .iter()
        .any(|w| wording.contains(w))
        || crate::usage::mentions_auth(wording)
}

/// The provider's error code, when it gives one that is a code (letters,
/// digits, `_`, `-`, `.`; at most 64), and every word of the error in
/// lower case, for the classification alone.
fn error_of(body: &Value) -> (Option<String>, String) {
    let mut candidates: Vec<&str> = Vec::new();
    let mut words: Vec<&str> = Vec::new();
    match body.get("error") {
        Some(Value::Object(e)) => {
            candidates.extend(e.get("code").and_then(Value::as_str));
            if let Some(details) = e.get("details").and_then(Value::as_array) {
                candidates.extend(details.iter().filter_map(|d| d.get("reason").and_then(Value::as_str)));
            }
            candidates.extend(e.get("type").and_then(Value::as_str));
            candidates.extend(e.get("status").and_then(Value::as_str));
            words.extend(e.get("message").and_then(Value::as_str));
        }
        Some(Value::String(code)) => candidates.push(code),
        _ => {}
    }
    for field in ["code", "type"] {
        candidates.extend(body.get(field).and_then(Value::as_str).filter(|v| *v != "error"));
    }
    words.extend(body.get("message").and_then(Value::as_str));
    words.extend(body.get("error_description").and_then(Value::as_str));
    let code = candidates.iter().copied().find_map(as_code);
    let wording = candidates.into_iter().chain(words).collect::<Vec<_>>().join(" ").to_lowercase();
    (code, wording)
}

/// `text` as a reason code, lower-cased, when it looks like one.
fn as_code(text: &str) -> Option<String> {
    let text = text.trim();
    let ok = !text.is_empty()
        && text.len() <= 64
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    ok.then(|| text.to_ascii_lowercase())
}

impl ProbeRun {
    /// Keeps its refusals in `store` and ends the ones a success
    /// disproves: an `auth` or `billing` result of a profile is recorded
    /// against the fingerprint of the secret sent ([`rejection`]), as of
    /// when the answers came, an `ok` removes the profile's record.
    /// Returns whether the store changed. `refs` are the SecretRefs'
    /// values the probe sent.
    pub fn remember(&self, store: &mut AuthStore, refs: &RefStates) -> bool {
        let now = self.finished_at.ms() as Millis;
        let mut changed = false;
        for r in &self.results {
            let (Some(id), Some(sent)) = (&r.profile_id, &r.fingerprint) else { continue };
            if r.status.is_refusal() {
                let code = r.reason_code.as_deref().unwrap_or("refused");
                changed |= rejection::record_probe_rejection(store, refs, id, sent, r.status.word(), code, now);
            } else if r.status == ProbeStatus::Ok {
                changed |= rejection::forget_probe_rejection(store, id);
            }
        }
        changed
    }

    /// Whether anything would be kept or ended in a store by [`ProbeRun::remember`].
    pub fn has_records(&self) -> bool {
        self.results.iter().any(|r| r.profile_id.is_some() && (r.status.is_refusal() || r.status == ProbeStatus::Ok))
    }

    /// The results the provider refused (`auth`, `billing`).
    pub fn refusals(&self) -> impl Iterator<Item = &ProbeResult> {
        self.results.iter().filter(|r| r.status.is_refusal())
    }

    /// The results that proved nothing (`rate_limit`, `timeout`, `format`,
    /// `unknown`).
    pub fn inconclusive(&self) -> impl Iterator<Item = &ProbeResult> {
        self.results.iter().filter(|r| r.status.is_inconclusive())
    }
}

impl ProbeResult {
    /// The result in words: `auth (invalid_api_key), 120ms`,
    /// `not probed (no cheap check)`.
    pub fn words(&self) -> String {
        if self.status == ProbeStatus::NotProbed {
            return format!("not probed ({})", self.why.as_deref().unwrap_or("skipped"));
        }
        let mut text = self.status.word().to_string();
        if let Some(code) = &self.reason_code {
            text.push_str(&format!(" ({})", crate::escape::escape_control(code)));
        }
        if let Some(ms) = self.latency_ms {
            text.push_str(&format!(", {ms}ms"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16, body: &str) -> Exchange {
        Exchange { answer: Ok(HttpResponse::new(status, vec![], body)), latency_ms: 5 }
    }

    fn class(status: u16, body: &str) -> (ProbeStatus, Option<String>) {
        classify(&answered(status, body))
    }

    #[test]
    fn answers_are_classified_as_the_successor_does_with_the_providers_code() {
        use ProbeStatus::*;
        let openai_401 = r#"{"error":{"message":"Incorrect API key provided: sk-FAKE***","type":"invalid_request_error","code":"invalid_api_key"}}"#;
        assert_eq!(class(401, openai_401), (Auth, Some("invalid_api_key".into())));
        let anthropic_401 = r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#;
        assert_eq!(class(401, anthropic_401), (Auth, Some("authentication_error".into())));
        assert_eq!(class(403, r#"{"message":"Bad credentials"}"#), (Auth, Some("http_403".into())));
        assert_eq!(class(402, "{}"), (Billing, Some("http_402".into())));
        let quota = r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","code":"insufficient_quota"}}"#;
        assert_eq!(class(429, quota), (Billing, Some("insufficient_quota".into())));
        let credit = r#"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}"#;
        assert_eq!(class(400, credit), (Billing, Some("invalid_request_error".into())));
        assert_eq!(
            class(429, r#"{"error":{"type":"rate_limit_error"}}"#),
            (RateLimit, Some("rate_limit_error".into()))
        );
        assert_eq!(
            class(529, r#"{"error":{"type":"overloaded_error"}}"#),
            (RateLimit, Some("overloaded_error".into()))
        );
        let gemini = r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#;
        assert_eq!(class(400, gemini), (Auth, Some("api_key_invalid".into())));
        assert_eq!(class(404, "Not Found"), (Format, Some("http_404".into())));
        assert_eq!(class(422, r#"{"error":"unprocessable"}"#), (Format, Some("unprocessable".into())));
        assert_eq!(class(500, "oops"), (Unknown, Some("http_500".into())));
        assert_eq!(class(200, r#"{"data":[]}"#), (Ok, None));
        assert_eq!(class(200, "<html>portal</html>"), (Unknown, Some("not_json".into())));
        let failed = |f| classify(&Exchange { answer: Err(f), latency_ms: 1 });
        assert_eq!(failed(TransportFailure::Timeout), (Timeout, None));
        assert_eq!(failed(TransportFailure::TooLarge), (Unknown, Some("too_large".into())));
        assert_eq!(failed(TransportFailure::Redirect), (Unknown, Some("redirect".into())));
    }

    #[test]
    fn a_reason_code_is_a_code_never_the_providers_text() {
        let long = format!(r#"{{"error":{{"code":"{}"}}}}"#, "a".repeat(65));
        assert_eq!(class(401, &long).1.as_deref(), Some("http_401"));
        let text = r#"{"error":{"code":"key sk-FAKE-123 is revoked","message":"sk-FAKE-123"}}"#;
        assert_eq!(class(401, text).1.as_deref(), Some("http_401"));
        assert_eq!(class(401, r#"{"error":"invalid_token"}"#).1.as_deref(), Some("invalid_token"));
    }
}
