//! The management flows driven with scripted inputs: what they read,
//! lock, write and ask, in which order.

use super::script::{Host, NOW};
use super::*;
use crate::io::IoKind;
use crate::paths::Env;
use crate::secret::Secret;
use serde_json::{Value, json};

const STORE: &str = "/h/.clawdbot/agents/main/agent/auth-profiles.json";
const CONFIG: &str = "/h/.clawdbot/clawdbot.json";

/// What a store edit did, read from the host's record: reads left out,
/// a question of either kind is one `Ask`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Lock,
    Unlock,
    Write(String),
    Ask,
}

/// A host for store edits, holding `store`: it fails the test when a
/// write skips the lock, a lock is taken twice or anything else is asked.
fn editing(store: Value) -> Host {
    let mut host = Host::with_store(&store);
    host.edits_only = true;
    host
}

fn events(host: &Host) -> Vec<Event> {
    let event = |a: &String| match a.split_once(' ') {
        Some(("lock", _)) => Some(Event::Lock),
        Some(("unlock", _)) => Some(Event::Unlock),
        Some(("write", path)) => Some(Event::Write(path.to_string())),
        Some(("confirm" | "secret", _)) => Some(Event::Ask),
        Some(("read", _)) => None,
        _ => panic!("not a store edit's: {a}"),
    };
    host.asked.iter().filter_map(event).collect()
}

fn writes(host: &Host) -> Vec<String> {
    events(host).into_iter().filter_map(|e| if let Event::Write(p) = e { Some(p) } else { None }).collect()
}

fn two_profiles() -> Value {
    json!({"version": 1, "profiles": {
        "anthropic:a": {"type": "api_key", "provider": "anthropic", "key": "FAKE-a"},
        "anthropic:b": {"type": "api_key", "provider": "anthropic", "key": "FAKE-b"}},
        "order": {"anthropic": ["anthropic:a"]}})
}

fn remove(id: &str, yes: bool) -> RemoveCommand {
    let request = RemoveRequest { profile_id: id.into(), agent: None, yes, dry_run: false };
    RemoveCommand::new(request, &Env::new("/h"), NOW)
}

#[test]
fn a_declined_removal_asks_once_and_writes_nothing() {
    let mut host = editing(two_profiles());
    host.answer = Some(false);
    let (done, _) = host.run(&mut remove("anthropic:a", false));
    assert_eq!(done.exit, Exit::Action);
    assert_eq!(events(&host), [Event::Ask], "asked before any lock");
}

#[test]
fn a_confirmed_removal_edits_the_store_under_the_lock_and_leaves_a_silent_config() {
    let mut host = editing(two_profiles());
    host.answer = Some(true);
    let (done, printed) = host.run(&mut remove("anthropic:a", false));
    assert_eq!(done.exit, Exit::Ok, "{printed:?} {done:?}");
    assert_eq!(events(&host), [Event::Ask, Event::Lock, Event::Write(STORE.into()), Event::Unlock]);
    let store = host.store();
    assert!(store["profiles"].get("anthropic:a").is_none() && store.get("order").is_none(), "{store}");
}

#[test]
fn the_config_is_edited_in_a_second_locked_step_only_when_it_names_the_profile() {
    let mut host = editing(two_profiles());
    host.files.insert(CONFIG.into(), json!({"auth": {"profiles": {"anthropic:a": {"mode": "api_key"}}}}).to_string());
    let (done, _) = host.run(&mut remove("anthropic:a", true));
    assert_eq!(done.exit, Exit::Ok);
    assert_eq!(writes(&host), [STORE, CONFIG]);
    assert_eq!(events(&host).iter().filter(|e| **e == Event::Lock).count(), 2);
    assert!(host.held.is_empty());
    let config: Value = serde_json::from_str(&host.files[CONFIG]).unwrap();
    assert_eq!(config, json!({"auth": {"profiles": {}}}));
}

fn paste_key(host: &mut Host, pasted: Result<Secret, SecretError>) -> (Done, Vec<Line>) {
    host.secret = Some(pasted);
    let request = PasteKeyRequest { provider: "openai".into(), profile_id: None, agent: None, create_agent: false };
    host.run(&mut PasteKeyCommand::new(request, &Env::new("/h"), NOW))
}

#[test]
fn a_pasted_key_is_asked_for_first_then_stored_under_the_lock() {
    let mut host = editing(two_profiles());
    let (done, _) = paste_key(&mut host, Ok(Secret::new("sk-FAKE-pasted-key\n")));
    assert_eq!(done.exit, Exit::Ok, "{done:?}");
    assert_eq!(events(&host)[..3], [Event::Ask, Event::Lock, Event::Write(STORE.into())]);
    let key = &host.store()["profiles"]["openai:default"];
    assert_eq!(key, &json!({"type": "api_key", "provider": "openai", "key": "sk-FAKE-pasted-key"}));
}

#[test]
fn a_refused_key_ends_before_anything_is_locked_or_written() {
    let too_long = "k".repeat(paste_key::MAX_API_KEY_INPUT_BYTES + 1);
    let cases = [
        (Ok(Secret::new("FAKE one two")), Exit::Action, "error: "),
        (Ok(Secret::new(too_long)), Exit::Action, "error: the input is larger than 64 KiB; no API key is"),
        (Err(SecretError::NotText), Exit::Action, "error: the key is not UTF-8 text"),
        (
            Err(SecretError::Unreadable(IoKind::Other { code: None })),
            Exit::Error,
            "error: reading the key: Input/output error",
        ),
    ];
    for (pasted, exit, said) in cases {
        let mut host = editing(two_profiles());
        let before = host.files.clone();
        let (done, _) = paste_key(&mut host, pasted);
        assert_eq!(done.exit, exit, "{done:?}");
        assert!(done.lines()[0].text.starts_with(said), "{done:?}");
        assert!(!format!("{done:?}").contains("FAKE"));
        assert_eq!(events(&host), [Event::Ask], "nothing locked");
        assert_eq!(host.files, before, "nothing written");
    }
    // A key of exactly the limit is judged on its content, not refused for size.
    let mut host = editing(two_profiles());
    let (done, _) = paste_key(&mut host, Ok(Secret::new("k".repeat(paste_key::MAX_API_KEY_INPUT_BYTES))));
    assert_eq!(done.exit, Exit::Ok, "{done:?}");
}

#[test]
fn cooldown_clear_of_one_profile_ends_its_backoff_and_an_unknown_one_is_refused() {
    let mut store = two_profiles();
    store["usageStats"] = json!({"anthropic:a": {"cooldownUntil": NOW + 60_000, "errorCount": 2}});
    let mut host = editing(store);
    let env = Env::new("/h");
    let one = |id: &str| CooldownCommand::clear(&env, None, CooldownTarget::Profile(id.into()), NOW);
    let (done, _) = host.run(&mut one("anthropic:a"));
    assert_eq!(done.exit, Exit::Ok, "{done:?}");
    assert!(done.lines()[0].text.starts_with("Cleared anthropic:a: cooldown (until "), "{done:?}");
    assert_eq!(writes(&host), [STORE]);
    host.asked.clear();
    let (done, _) = host.run(&mut one("anthropic:nobody"));
    assert_eq!(done.exit, Exit::Action, "{done:?}");
    assert_eq!(done.lines()[0].text, "error: no profile anthropic:nobody in this agent's store");
    assert!(writes(&host).is_empty(), "nothing written for an unknown profile");
}

#[test]
fn cooldown_clear_writes_under_the_lock_and_a_second_clear_writes_nothing() {
    let mut store = two_profiles();
    store["usageStats"] = json!({"anthropic:a": {"cooldownUntil": NOW + 60_000, "errorCount": 2}});
    let mut host = editing(store);
    let env = Env::new("/h");
    let (done, printed) = host.run(&mut CooldownCommand::clear(&env, None, CooldownTarget::All, NOW));
    assert_eq!(done.exit, Exit::Ok);
    let said = |l: &Line| l.text.starts_with("Cleared anthropic:a: cooldown");
    assert!(done.lines().iter().chain(&printed).any(said), "{done:?}");
    assert_eq!(writes(&host), [STORE]);
    host.asked.clear();
    let (done, printed) = host.run(&mut CooldownCommand::clear(&env, None, CooldownTarget::All, NOW));
    assert_eq!(done.exit, Exit::Ok);
    assert!(writes(&host).is_empty(), "nothing left to clear");
    assert!(done.lines().iter().chain(&printed).any(|l| l.text.starts_with("Nothing to clear")), "{done:?}");
}

/// Drives a token command, answering every effect at `at()`, until it
/// sends a request (returned) or ends (`None`).
fn first_send(flow: &mut TokenCommand, host: &mut Host, at: impl Fn() -> Millis) -> Option<HttpTimeouts> {
    match host.run_until(flow, |e| matches!(e, Effect::Send { .. }), at) {
        Effect::Send { timeouts, .. } => Some(timeouts),
        _ => None,
    }
}

fn expiring_login() -> Host {
    Host::with_store(&json!({"version": 1, "profiles": {"anthropic:work": {
        "type": "oauth", "provider": "anthropic", "access": "FAKE-a", "refresh": "FAKE-r", "expires": NOW + 60_000}}}))
}

fn token() -> TokenCommand {
    let request = TokenRequest { provider: "anthropic".into(), profile: None, agent: None, force: false };
    TokenCommand::new(request, &Env::new("/h"), NOW)
}

#[test]
fn a_token_request_gets_at_most_the_budget_and_none_once_it_is_spent() {
    let timeouts = first_send(&mut token(), &mut expiring_login(), || NOW).expect("a login due is refreshed");
    assert!(timeouts.total_ms <= TOKEN_BUDGET_MS as u64, "{timeouts:?}");
    assert!(timeouts.connect_ms <= timeouts.total_ms);
    let late = first_send(&mut token(), &mut expiring_login(), || NOW + TOKEN_BUDGET_MS);
    assert_eq!(late, None, "no request starts after the budget is spent");
    let short = first_send(&mut token().budget(2_000), &mut expiring_login(), || NOW + 500).unwrap();
    assert_eq!(short.total_ms, 1_500, "what is left of the budget");
}

/// The numbers behind the budget and the minimum validity: Claude Code
/// warns about a key helper slower than 10 s and caches its key 5 min.
#[test]
fn the_token_budget_is_8_s_and_a_key_must_stay_valid_10_min() {
    assert_eq!(TOKEN_BUDGET_MS, 8_000);
    assert_eq!(TOKEN_MIN_VALID_MS, 600_000);
    assert_eq!(crate::flow::SHELL_ENV_TIMEOUT_MS, 15_000, "the shell-env fallback's default (docs/environment.md)");
    let early = first_send(&mut token(), &mut expiring_login(), || NOW + 7_999);
    assert_eq!(early.map(|t| t.total_ms), Some(1), "a request may still start 1 ms before the 8 s are spent");
}

#[test]
fn a_dry_run_says_what_would_go_and_touches_nothing() {
    let mut host = editing(two_profiles());
    let request = RemoveRequest { profile_id: "anthropic:a".into(), agent: None, yes: false, dry_run: true };
    let (done, printed) = host.run(&mut RemoveCommand::new(request, &Env::new("/h"), NOW));
    assert_eq!(done.exit, Exit::Ok);
    assert!(events(&host).is_empty(), "no lock, no question, no write: {:?}", events(&host));
    let said: Vec<&str> = printed.iter().map(|l| l.text.as_str()).collect();
    assert!(said[0].starts_with("Would remove anthropic:a"), "{said:?}");
    assert!(said.iter().any(|l| l.contains("order override (left empty, so deleted) of anthropic")), "{said:?}");
}

#[test]
fn removing_a_synced_login_keeps_it_out_and_sync_enable_brings_it_back() {
    let claude = "/h/.claude/.credentials.json";
    let mut host = editing(json!({"version": 1, "profiles": {}}));
    let login =
        json!({"claudeAiOauth": {"accessToken": "FAKE-a", "refreshToken": "FAKE-r", "expiresAt": NOW + 3_600_000}});
    host.files.insert(claude.into(), login.to_string());
    let (done, printed) = host.run(&mut remove("anthropic:claude-cli", true));
    assert_eq!(done.exit, Exit::Ok, "{printed:?}");
    assert!(done.lines().iter().any(|l| l.text.contains("Claude Code's own login is untouched")), "{done:?}");
    assert!(host.files.contains_key(claude));
    assert_eq!(host.store()["syncDisabled"], json!(["anthropic:claude-cli"]));
    assert!(host.store()["profiles"].get("anthropic:claude-cli").is_none());

    let mut sync = SyncCommand::enable(&Env::new("/h"), None, "claude-cli", NOW).unwrap();
    let (done, _) = host.run(&mut sync);
    assert_eq!(done.exit, Exit::Ok);
    assert!(host.store().get("syncDisabled").is_none());
    assert!(host.store()["profiles"].get("anthropic:claude-cli").is_some(), "synced at once");
    assert!(SyncCommand::enable(&Env::new("/h"), None, "gemini", NOW).is_err());
}
