//! `models status --probe` (issue 26) through the status flow and the
//! scripted host: what is probed and what is not, what each request
//! carries, how answers decide `--check`, and the refusal kept in the store
//! (under its lock) that plain `models status`, `models auth list` and
//! doctor keep saying until the credential changes or a probe succeeds.

use super::script::{CONFIG, Host, NOW, env, hints_in, said, store_path, text};
use super::*;
use crate::diag::Severity;
use crate::http::{HttpResponse, TransportFailure};
use serde_json::{Value, json};

const KEY: &str = "sk-ant-api03-FAKE-CANARY-0123456789";
const OPENAI_KEY: &str = "sk-proj-FAKE-CANARY-9876543210";
const HOUR: Millis = 3_600_000;
const ANTHROPIC: &str = "https://api.anthropic.com/v1/models";

fn key_store(key: &str) -> Value {
    json!({"version": 1, "profiles": {
        "anthropic:default": {"type": "api_key", "provider": "anthropic", "key": key}}})
}

fn answer(status: u16, body: &str) -> Result<HttpResponse, TransportFailure> {
    Ok(HttpResponse::new(status, vec![], body))
}

const REVOKED: &str = r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#;

fn status(check: bool, probe: Option<ProbeRequest>) -> StatusRequest {
    StatusRequest { check, probe, ..StatusRequest::bare(false, false, None, false) }
}

fn probe() -> Option<ProbeRequest> {
    Some(ProbeRequest::default())
}

fn run(host: &mut Host, request: StatusRequest) -> (Done, Vec<Line>) {
    host.run(&mut StatusCommand::new(request, &env(), NOW))
}

fn json_of(host: &mut Host, probe: Option<ProbeRequest>) -> (Done, Value) {
    let request = StatusRequest { json: true, ..status(true, probe) };
    let (done, printed) = run(host, request);
    (done, serde_json::from_str(&text(&printed, Stream::Stdout)).expect("one JSON document"))
}

fn profile<'a>(doc: &'a Value, id: &str) -> &'a Value {
    let profiles = doc["auth"]["oauth"]["profiles"].as_array().expect("profiles");
    profiles.iter().find(|p| p["profileId"] == id).unwrap_or_else(|| panic!("{id} in {doc}"))
}

#[test]
fn a_revoked_key_fails_check_is_remembered_under_the_lock_and_said_until_it_changes() {
    let mut host = Host::with_store(&key_store(KEY));
    host.probe_replies.push((ANTHROPIC, answer(401, REVOKED)));
    let (done, doc) = json_of(&mut host, probe());
    assert_eq!(done.exit, Exit::Action);
    let result = &doc["auth"]["probes"]["results"][0];
    assert_eq!(
        (&result["status"], &result["reasonCode"], &result["source"], &result["profileId"]),
        (&json!("auth"), &json!("authentication_error"), &json!("profile"), &json!("anthropic:default"))
    );
    assert_eq!(result["latencyMs"], 50, "the host's measure");
    // Kept in the store, under its lock, as a fingerprint.
    let path = store_path("main");
    let at = |what: String| host.position(&what);
    assert!(at("send-all 1".into()) < at(format!("lock {path}")), "{:?}", host.asked);
    assert!(at(format!("lock {path}")) < at(format!("write {path}")), "{:?}", host.asked);
    assert!(at(format!("write {path}")) < at(format!("unlock {path}")), "{:?}", host.asked);
    let record = &host.store()["usageStats"]["anthropic:default"]["probeRejected"];
    assert_eq!(record["status"], "auth");
    assert_eq!(record["fingerprint"], crate::rejection::fingerprint(&crate::secret::Secret::new(KEY)));
    assert!(!host.files[&path].contains("CANARY-0123456789\"}}"), "the key is stored once, as the profile's");
    assert_eq!(host.files[&path].matches("CANARY").count(), 1);

    // A plain status, no probe: still rejected, and --check still 1.
    host.asked.clear();
    let (done, doc) = json_of(&mut host, None);
    assert!(!host.asked.iter().any(|a| a.starts_with("send")), "nothing sent: {:?}", host.asked);
    assert_eq!(done.exit, Exit::Action);
    let p = profile(&doc, "anthropic:default");
    assert_eq!((&p["state"], &p["reasonCode"]), (&json!("rejected"), &json!("probe_rejected")));
    assert_eq!(p["rejection"], json!({"code": "authentication_error", "at": NOW, "by": "probe", "status": "auth"}));
    assert!(doc["auth"].get("probes").is_none(), "no probe ran");
    let (_, printed) = run(&mut host, status(false, None));
    let shown = text(&printed, Stream::Stdout);
    assert!(
        shown.contains("- anthropic:default rejected by the provider at 2026-01-01T00:00:00Z (auth: authentication_error): Paste a new key"),
        "{shown}"
    );
    // Doctor says it under its own check id.
    let request = DoctorRequest { json: true, non_interactive: true, ..DoctorRequest::default() };
    let (done, _) = host.run(&mut DoctorCommand::new(request, &env(), NOW));
    assert_eq!(done.exit, Exit::Action);
    let doctor: Value = serde_json::from_str(&done.lines()[0].text).expect("doctor --json");
    let finding = doctor["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["checkId"] == "auth/profile-rejected"))
        .unwrap_or_else(|| panic!("{doctor}"));
    assert_eq!(finding["target"], "anthropic:default");
    assert!(finding["message"].as_str().is_some_and(|m| m.contains("rejected by the provider at")), "{finding}");

    // A new key: the record no longer applies.
    let mut store = host.store();
    store["profiles"]["anthropic:default"]["key"] = json!("sk-ant-api03-FAKE-NEW-0123456789");
    host.files.insert(path.clone(), store.to_string());
    let (done, doc) = json_of(&mut host, None);
    assert_eq!(done.exit, Exit::Ok);
    assert_eq!(profile(&doc, "anthropic:default")["state"], "static");
}

#[test]
fn a_later_probe_that_succeeds_ends_the_record() {
    let mut host = Host::with_store(&key_store(KEY));
    host.probe_replies.push((ANTHROPIC, answer(401, REVOKED)));
    assert_eq!(json_of(&mut host, probe()).0.exit, Exit::Action);
    // The provider accepts the same key again (a billing problem fixed,
    // an outage over): the profile is probed although it reads rejected.
    host.probe_replies = vec![(ANTHROPIC, answer(200, r#"{"data":[]}"#))];
    let (done, doc) = json_of(&mut host, probe());
    assert_eq!(done.exit, Exit::Ok);
    assert_eq!(doc["auth"]["probes"]["results"][0]["status"], "ok");
    assert!(host.store()["usageStats"]["anthropic:default"].get("probeRejected").is_none(), "{}", host.store());
    assert_eq!(json_of(&mut host, None).0.exit, Exit::Ok);
}

#[test]
fn a_rate_limit_is_a_warning_that_only_strict_counts_and_nothing_is_remembered() {
    let mut host = Host::with_store(&key_store(KEY));
    host.probe_replies.push((ANTHROPIC, answer(429, r#"{"error":{"type":"rate_limit_error"}}"#)));
    let (done, doc) = json_of(&mut host, probe());
    assert_eq!(done.exit, Exit::Ok);
    let warnings = doc["auth"]["check"]["warnings"].to_string();
    assert!(warnings.contains("anthropic:default (anthropic): the probe proved nothing: rate_limit"), "{warnings}");
    assert!(!host.asked.iter().any(|a| a.starts_with("lock")), "nothing to keep: {:?}", host.asked);
    let strict = StatusRequest { strict: true, ..status(true, probe()) };
    assert_eq!(run(&mut host, strict).0.exit, Exit::Action);
    // A timeout and an unknown answer are warnings too.
    for reply in [Err(TransportFailure::Timeout), answer(503, "oops"), Err(TransportFailure::TooLarge)] {
        host.probe_replies = vec![(ANTHROPIC, reply)];
        assert_eq!(run(&mut host, status(true, probe())).0.exit, Exit::Ok);
    }
}

#[test]
fn billing_is_remembered_and_its_remedy_is_to_top_up_then_probe_again() {
    let mut host = Host::with_store(&key_store(KEY));
    host.probe_replies.push((ANTHROPIC, answer(402, "{}")));
    let (done, _) = json_of(&mut host, probe());
    assert_eq!(done.exit, Exit::Action);
    let (_, doc) = json_of(&mut host, None);
    let p = profile(&doc, "anthropic:default");
    assert_eq!(p["rejection"]["status"], "billing");
    let (_, printed) = run(&mut host, status(false, None));
    let shown = text(&printed, Stream::Stdout);
    assert!(shown.contains("(billing: http_402): Top up the account's credit with the provider"), "{shown}");
    assert!(shown.contains("`clawdbot models status --probe --probe-profile anthropic:default`"), "{shown}");
}

#[test]
fn each_request_carries_the_key_where_its_provider_wants_it_at_the_origin_the_operator_names() {
    let store = json!({"version": 1, "profiles": {
        "anthropic:default": {"type": "api_key", "provider": "anthropic", "key": KEY},
        "anthropic:tok": {"type": "token", "provider": "anthropic", "token": "sk-ant-oat01-FAKE-tok"},
        "openai:default": {"type": "api_key", "provider": "openai", "key": OPENAI_KEY}}});
    let mut host = Host::with_store(&store);
    let config = json!({"agents": {"defaults": {"model": {"primary": "anthropic/claude-opus-4-5",
                        "fallbacks": ["openai/gpt-5.2"]}}}});
    host.files.insert(CONFIG.into(), config.to_string());
    let env = env()
        .with_var("CLAWDBOT_API_URL_ANTHROPIC", "http://127.0.0.1:8123/")
        .with_var("CLAWDBOT_API_URL_OPENAI", "http://203.0.113.7");
    let request = StatusRequest {
        probe: Some(ProbeRequest { timeout: "1500".into(), concurrency: 3, ..ProbeRequest::default() }),
        ..status(false, None)
    };
    host.run(&mut StatusCommand::new(request, &env, NOW));
    let (batch, concurrency, timeouts) = host.batches.last().cloned().expect("one batch");
    assert_eq!((concurrency, timeouts.total_ms, timeouts.connect_ms), (3, 1500, 1500));
    let urls: Vec<&str> = batch.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        ["http://127.0.0.1:8123/v1/models", "http://127.0.0.1:8123/v1/models", "https://api.openai.com/v1/models"]
    );
    assert_eq!(batch[0].header("x-api-key"), Some(KEY));
    assert_eq!(batch[0].header("authorization"), None);
    assert_eq!(batch[1].header("authorization"), Some("Bearer sk-ant-oat01-FAKE-tok"));
    assert_eq!(batch[1].header("anthropic-beta"), Some("oauth-2025-04-20"));
    assert_eq!(batch[2].header("authorization"), Some(format!("Bearer {OPENAI_KEY}").as_str()));
    let warned = said(&host.emitted, Severity::Warning);
    assert!(warned.iter().any(|w| w.starts_with("CLAWDBOT_API_URL_OPENAI was ignored")), "{warned:?}");
}

#[test]
fn an_expired_login_is_reported_expired_and_never_refreshed_nor_touched() {
    let claude = json!({"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE-cc", "refreshToken": "sk-ant-ort01-FAKE-cc",
                        "expiresAt": NOW - HOUR}});
    let mut host = Host::default();
    host.files.insert("/h/.claude/.credentials.json".into(), claude.to_string());
    let own = json!({"type": "oauth", "provider": "anthropic", "access": "sk-ant-oat01-FAKE-own",
                     "refresh": "sk-ant-ort01-FAKE-own", "expires": NOW - HOUR});
    let mut store = key_store(KEY);
    store["profiles"]["anthropic:own"] = own;
    host.files.insert(store_path("main"), store.to_string());
    host.probe_replies.push((ANTHROPIC, answer(200, "{}")));
    let before = host.files["/h/.claude/.credentials.json"].clone();
    let (_, doc) = json_of(&mut host, probe());
    let results = doc["auth"]["probes"]["results"].as_array().expect("results").clone();
    let by_id = |id: &str| results.iter().find(|r| r["profileId"] == id).cloned().unwrap_or_else(|| panic!("{id}"));
    for id in ["anthropic:claude-cli", "anthropic:own"] {
        let r = by_id(id);
        assert_eq!((&r["status"], &r["reasonCode"]), (&json!("not_probed"), &json!("expired")), "{id}");
        assert!(r.get("latencyMs").is_none());
    }
    assert_eq!(by_id("anthropic:default")["status"], "ok");
    assert_eq!(host.batches[0].0.len(), 1, "only the key was sent");
    assert!(host.posts.is_empty(), "no token request");
    assert!(!host.asked.iter().any(|a| a.contains(".claude") && !a.starts_with("read")), "{:?}", host.asked);
    assert_eq!(host.files["/h/.claude/.credentials.json"], before);
    let (_, printed) = run(&mut host, status(false, probe()));
    let shown = text(&printed, Stream::Stdout);
    assert!(
        shown.contains("not probed (its access token has expired; Claude Code renews it, a probe never touches it)"),
        "{shown}"
    );
}

#[test]
fn only_the_providers_in_use_or_the_ones_named_are_probed_and_a_provider_without_a_cheap_check_says_so() {
    let store = json!({"version": 1, "profiles": {
        "anthropic:default": {"type": "api_key", "provider": "anthropic", "key": KEY},
        "openai:spare": {"type": "api_key", "provider": "openai", "key": OPENAI_KEY},
        "chutes:default": {"type": "api_key", "provider": "chutes", "key": "cpk-FAKE-0123456789"}}});
    let mut host = Host::with_store(&store);
    host.probe_replies.push(("", answer(200, "{}")));
    let (_, doc) = json_of(&mut host, probe());
    let labels: Vec<&str> =
        doc["auth"]["probes"]["results"].as_array().into_iter().flatten().filter_map(|r| r["label"].as_str()).collect();
    assert_eq!(labels, ["anthropic:default"], "the default model's provider alone");
    let named = ProbeRequest { providers: vec!["OpenAI, chutes".into()], ..ProbeRequest::default() };
    let (_, doc) = json_of(&mut host, Some(named));
    let results = &doc["auth"]["probes"]["results"];
    assert_eq!((&results[0]["label"], &results[0]["status"]), (&json!("openai:spare"), &json!("ok")));
    assert_eq!(
        (&results[1]["label"], &results[1]["status"], &results[1]["reasonCode"]),
        (&json!("chutes:default"), &json!("not_probed"), &json!("no_cheap_check"))
    );
    assert_eq!(doc["auth"]["probes"]["totalTargets"], 2);
    assert_eq!(doc["auth"]["probes"]["options"]["providers"], json!(["openai", "chutes"]));
    let one = ProbeRequest { profiles: vec!["chutes:default".into()], ..ProbeRequest::default() };
    host.asked.clear();
    let (_, doc) = json_of(&mut host, Some(one));
    assert_eq!(doc["auth"]["probes"]["results"].as_array().map(Vec::len), Some(1));
    assert!(!host.asked.iter().any(|a| a.starts_with("send")), "nothing to send, nothing sent: {:?}", host.asked);
    let missing = ProbeRequest { profiles: vec!["nope:x".into()], ..ProbeRequest::default() };
    run(&mut host, status(false, Some(missing)));
    let warned = said(&host.emitted, Severity::Warning);
    assert_eq!(warned, ["--probe: nothing to probe for nope:x"]);
}

#[test]
fn a_refused_spare_is_a_warning_and_only_a_credential_in_use_fails_check() {
    const SPARE: &str = "sk-ant-api03-FAKE-SPARE-0123456789";
    // The order leaves anthropic:spare out: no request would use it.
    let store = json!({"version": 1, "order": {"anthropic": ["anthropic:default"]}, "profiles": {
        "anthropic:default": {"type": "api_key", "provider": "anthropic", "key": KEY},
        "anthropic:spare": {"type": "api_key", "provider": "anthropic", "key": SPARE},
        "openai:spare": {"type": "api_key", "provider": "openai", "key": OPENAI_KEY}}});
    let mut host = Host::with_store(&store);
    host.probe_replies.push((SPARE, answer(401, REVOKED)));
    host.probe_replies.push(("api.openai.com", answer(401, "{}")));
    host.probe_replies.push((ANTHROPIC, answer(200, r#"{"data":[]}"#)));
    let (done, doc) = json_of(&mut host, probe());
    assert_eq!(done.exit, Exit::Ok, "{}", doc["auth"]["check"]);
    let warnings = doc["auth"]["check"]["warnings"].to_string();
    assert!(
        warnings.contains("anthropic:spare (anthropic): refused by the provider: auth (authentication_error), 50ms; no request uses it"),
        "{warnings}"
    );
    assert!(doc["auth"]["check"].get("probes").is_none(), "{}", doc["auth"]["check"]);
    assert_eq!(
        host.store()["usageStats"]["anthropic:spare"]["probeRejected"]["status"],
        "auth",
        "remembered all the same"
    );
    // A provider no model uses, probed because it was named: a spare too.
    let named = ProbeRequest { providers: vec!["openai".into()], ..ProbeRequest::default() };
    assert_eq!(json_of(&mut host, Some(named.clone())).0.exit, Exit::Ok);
    // --strict counts every stored profile, as it does without --probe.
    let strict = StatusRequest { strict: true, ..status(true, Some(named)) };
    assert_eq!(run(&mut host, strict).0.exit, Exit::Action);
    // The profile requests use, refused: 1.
    host.probe_replies.insert(0, (KEY, answer(401, REVOKED)));
    let (done, doc) = json_of(&mut host, probe());
    assert_eq!(done.exit, Exit::Action);
    assert_eq!(doc["auth"]["check"]["probes"].as_array().map(Vec::len), Some(1), "{}", doc["auth"]["check"]);
}

#[test]
fn a_provider_without_a_free_read_is_probed_with_the_smallest_completion() {
    const ZAI_KEY: &str = "zai-FAKE-CANARY-0123456789";
    let store = json!({"version": 1, "profiles": {
        "zai:default": {"type": "api_key", "provider": "zai", "key": ZAI_KEY}}});
    let mut host = Host::with_store(&store);
    host.probe_replies
        .push(("api.z.ai", answer(401, r#"{"error":{"code":"1000","message":"Authentication Failed"}}"#)));
    let named = ProbeRequest { providers: vec!["zai".into()], ..ProbeRequest::default() };
    let (_, doc) = json_of(&mut host, Some(named));
    let r = &doc["auth"]["probes"]["results"][0];
    assert_eq!((&r["label"], &r["status"], &r["reasonCode"]), (&json!("zai:default"), &json!("auth"), &json!("1000")));
    let sent = &host.batches[0].0[0];
    assert_eq!(
        (sent.method, sent.url.as_str()),
        (crate::http::Method::Post, "https://api.z.ai/api/paas/v4/chat/completions")
    );
    let body: Value = serde_json::from_str(sent.body.as_ref().map_or("", |b| b.as_str())).expect("JSON body");
    assert_eq!((&body["model"], &body["max_tokens"]), (&json!("glm-4.5-flash"), &json!(1)));
    assert!(!body.to_string().contains("CANARY"), "the key travels in its header only");
}

#[test]
fn an_env_key_is_probed_and_a_refused_one_fails_check_without_being_stored() {
    let mut host = Host::default();
    host.probe_replies.push((ANTHROPIC, answer(401, REVOKED)));
    let env = env().with_var("ANTHROPIC_API_KEY", KEY);
    let request = StatusRequest { json: true, ..status(true, probe()) };
    let (done, printed) = host.run(&mut StatusCommand::new(request, &env, NOW));
    assert_eq!(done.exit, Exit::Action);
    let doc: Value = serde_json::from_str(&text(&printed, Stream::Stdout)).expect("JSON");
    let r = &doc["auth"]["probes"]["results"][0];
    assert_eq!(
        (&r["source"], &r["label"], &r["status"]),
        (&json!("env"), &json!("env: ANTHROPIC_API_KEY"), &json!("auth"))
    );
    assert!(r.get("profileId").is_none());
    assert_eq!(doc["auth"]["check"]["inUse"][0]["status"], "failing", "the refused key stands in for nothing");
    assert!(!host.files.contains_key(&store_path("main")), "nothing to keep in a store");
}

#[test]
fn a_wrong_probe_command_line_is_refused_before_anything_is_read() {
    for (probe, plain) in [
        (ProbeRequest { concurrency: 0, ..ProbeRequest::default() }, false),
        (ProbeRequest { concurrency: 17, ..ProbeRequest::default() }, false),
        (ProbeRequest { timeout: "soon".into(), ..ProbeRequest::default() }, false),
        (ProbeRequest { timeout: "0".into(), ..ProbeRequest::default() }, false),
        (ProbeRequest::default(), true),
    ] {
        let mut host = Host::default();
        let request = StatusRequest { plain, ..status(false, Some(probe.clone())) };
        let (done, _) = run(&mut host, request);
        assert_eq!(done.exit, Exit::Usage, "{probe:?}");
        assert!(host.asked.is_empty(), "{:?}", host.asked);
    }
}

#[test]
fn a_store_that_cannot_take_the_refusal_is_a_warning_and_the_run_still_says_it() {
    let mut host = Host::with_store(&key_store(KEY));
    host.probe_replies.push((ANTHROPIC, answer(401, REVOKED)));
    host.full.insert(store_path("main"));
    let (done, printed) = run(&mut host, status(true, probe()));
    assert_eq!(done.exit, Exit::Action);
    let warned = said(&host.emitted, Severity::Warning);
    assert!(warned.iter().any(|w| w.starts_with("the probe's results were not kept in the store: ")), "{warned:?}");
    assert!(text(&printed, Stream::Stdout).contains("rejected by the provider at"), "{printed:?}");
    assert!(hints_in(&host.emitted).is_empty());
}

#[test]
fn no_output_of_any_format_holds_a_probed_secret() {
    let store = json!({"version": 1, "profiles": {
        "anthropic:default": {"type": "api_key", "provider": "anthropic", "key": KEY},
        "anthropic:tok": {"type": "token", "provider": "anthropic", "token": "sk-ant-oat01-FAKE-CANARY-tok"}}});
    let body = format!(r#"{{"error":{{"type":"authentication_error","message":"key {KEY} is revoked"}}}}"#);
    for format in [StatusFormat::Text, StatusFormat::Json, StatusFormat::Prometheus] {
        let mut host = Host::with_store(&store);
        host.probe_replies.push((ANTHROPIC, answer(401, &body)));
        let request = StatusRequest { format: Some(format), ..status(true, probe()) };
        let (done, printed) = run(&mut host, request);
        let all: String = printed.iter().chain(done.lines().iter()).map(|l| l.text.clone()).collect();
        assert!(!all.contains("CANARY"), "{format:?}: {all}");
        let debug = format!("{:?}", host.emitted);
        assert!(!debug.contains("CANARY"), "{debug}");
        if format == StatusFormat::Prometheus {
            assert!(
                all.contains("clawdbot_auth_probe_status{agent=\"main\",provider=\"anthropic\",target=\"anthropic:default\",source=\"profile\",status=\"auth\",reason=\"authentication_error\"} 1"),
                "{all}"
            );
        }
    }
}

#[test]
fn a_codex_login_sends_its_account_and_copilot_exchanges_its_github_token_whatever_the_copilot_token_says() {
    let store = json!({"version": 1, "profiles": {
        "openai-codex:default": {"type": "oauth", "provider": "openai-codex", "access": "eyJ-FAKE-codex-access",
            "refresh": "rt-FAKE-codex", "expires": NOW + HOUR, "accountId": "acct-FAKE-1"},
        "github-copilot:default": {"type": "oauth", "provider": "github-copilot", "access": "tid=FAKE-copilot",
            "refresh": "ghu_FAKE-github", "expires": NOW - HOUR, "enterpriseUrl": "example.ghe.com"}}});
    let mut host = Host::with_store(&store);
    host.probe_replies.push(("", answer(200, r#"{"token":"tid=FAKE-new","expires_at":1}"#)));
    let named =
        ProbeRequest { providers: vec!["openai-codex".into(), "github-copilot".into()], ..ProbeRequest::default() };
    let before = host.files[&store_path("main")].clone();
    let (done, doc) = json_of(&mut host, Some(named));
    let statuses: Vec<&Value> =
        doc["auth"]["probes"]["results"].as_array().into_iter().flatten().map(|r| &r["status"]).collect();
    assert_eq!(statuses, [&json!("ok"), &json!("ok")], "{doc}");
    let batch = &host.batches[0].0;
    assert_eq!(batch[0].url, "https://chatgpt.com/backend-api/wham/usage");
    assert_eq!(batch[0].header("authorization"), Some("Bearer eyJ-FAKE-codex-access"));
    assert_eq!(batch[0].header("chatgpt-account-id"), Some("acct-FAKE-1"));
    assert_eq!(batch[1].url, "https://api.example.ghe.com/copilot_internal/v2/token");
    assert_eq!(batch[1].header("authorization"), Some("Bearer ghu_FAKE-github"));
    assert_eq!(batch[1].header("editor-version"), Some("vscode/1.107.0"));
    assert_eq!(host.files[&store_path("main")], before, "the Copilot token it answered with is not kept");
    assert!(host.posts.is_empty(), "no refresh");
    assert_eq!(
        done.exit,
        Exit::Action,
        "anthropic, the default model's provider, has nothing: --check still judges it"
    );
}
