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
fn the_config_is_edited_first_in_a_locked_step_of_its_own_only_when_it_names_the_profile() {
    let mut host = editing(two_profiles());
    host.files.insert(CONFIG.into(), json!({"auth": {"profiles": {"anthropic:a": {"mode": "api_key"}}}}).to_string());
    let (done, _) = host.run(&mut remove("anthropic:a", true));
    assert_eq!(done.exit, Exit::Ok);
    assert_eq!(writes(&host), [CONFIG, STORE], "the config first (issue 23 item 2)");
    assert_eq!(events(&host).iter().filter(|e| **e == Event::Lock).count(), 2);
    assert!(host.held.is_empty());
    let config: Value = serde_json::from_str(&host.files[CONFIG]).unwrap();
    assert_eq!(config, json!({"auth": {"profiles": {}}}));
}

/// The key `models auth token --provider anthropic` hands out on `host`'s
/// files, or how it ended.
fn anthropic_key(host: &mut Host) -> Result<String, Done> {
    let request = TokenRequest { provider: "anthropic".into(), profile: None, agent: None, force: false };
    let (done, _) = host.run(&mut TokenCommand::new(request, &Env::new("/h"), NOW));
    match done.events.first() {
        Some(super::Event::Key { key, .. }) if done.exit == Exit::Ok => Ok(key.expose().to_string()),
        _ => Err(done),
    }
}

/// Two keys of anthropic, and a config that names the first in its
/// profiles and, alone, in its order.
fn removal_in_config() -> Host {
    let mut host = Host::with_store(&two_profiles());
    let config = json!({"auth": {"profiles": {"anthropic:a": {"provider": "anthropic", "mode": "api_key"}},
                                 "order": {"anthropic": ["anthropic:a"]}}});
    host.files.insert(CONFIG.into(), config.to_string());
    host
}

#[test]
fn a_removal_stopped_before_any_of_its_writes_leaves_a_usable_state_that_remove_finishes() {
    // The process dies just before each write in turn (a SIGKILL or a full
    // disk): the provider still has a key, and `remove` run again
    // finishes. Config first: stopped before the store write, the config
    // is done and the store still holds the profile.
    let writes_of_a_removal = {
        let mut host = removal_in_config();
        host.run(&mut remove("anthropic:a", true));
        writes(&host)
    };
    assert_eq!(writes_of_a_removal.len(), 2);
    for (k, path) in writes_of_a_removal.iter().enumerate() {
        let mut host = removal_in_config();
        let seen = std::cell::Cell::new(0);
        let stop = |e: &Effect| {
            matches!(e, Effect::WriteAtomic { .. }) && {
                seen.set(seen.get() + 1);
                seen.get() > k
            }
        };
        let stopped = host.run_until(&mut remove("anthropic:a", true), stop, || NOW);
        assert!(matches!(&stopped, Effect::WriteAtomic { path: p, .. } if p == path), "{stopped:?}");
        host.held.clear(); // the dead process's lock goes stale
        assert!(anthropic_key(&mut host).is_ok(), "stopped before writing {path}: the provider has no key");
        let (done, printed) = host.run(&mut remove("anthropic:a", true));
        assert_eq!(done.exit, Exit::Ok, "stopped before writing {path}, then: {printed:?} {done:?}");
        let (store, config) = (host.store(), host.files[CONFIG].clone());
        assert!(store["profiles"].get("anthropic:a").is_none() && store.get("order").is_none(), "{store}");
        assert!(!config.contains("anthropic:a"), "{config}");
        assert_eq!(anthropic_key(&mut host), Ok("FAKE-b".to_string()));
    }
    assert_eq!(writes_of_a_removal, [CONFIG, STORE]);
}

#[test]
fn an_id_only_the_config_names_is_removed_from_the_config() {
    // What a crash between the writes left when the store went first: the
    // config's order names a profile the store lost, hiding the others.
    let mut host = removal_in_config();
    let mut store = two_profiles();
    store["profiles"].as_object_mut().unwrap().remove("anthropic:a");
    store.as_object_mut().unwrap().remove("order");
    host.files.insert(STORE.into(), store.to_string());
    assert!(anthropic_key(&mut host).is_err(), "the config's order hides anthropic:b");
    let before = host.files[STORE].clone();
    host.asked.clear();
    let (done, printed) = host.run(&mut remove("anthropic:a", true));
    assert_eq!(done.exit, Exit::Ok, "{printed:?} {done:?}");
    let said: Vec<&str> = printed.iter().map(|l| l.text.as_str()).collect();
    assert!(said[0].starts_with("Removing anthropic:a from ~/.clawdbot/clawdbot.json (the store no longer holds it)"));
    assert_eq!(writes(&host), [CONFIG], "the store is not written");
    assert_eq!(host.files[STORE], before);
    assert_eq!(anthropic_key(&mut host), Ok("FAKE-b".to_string()));
}

#[test]
fn a_config_that_cannot_be_read_or_written_removes_nothing() {
    let mut host = removal_in_config();
    host.files.insert(CONFIG.into(), "{ auth: ".into());
    let before = host.files.clone();
    let (done, _) = host.run(&mut remove("anthropic:a", true));
    assert_eq!(done.exit, Exit::Action, "{done:?}");
    let said = &done.lines()[0].text;
    assert!(said.starts_with("error: ~/.clawdbot/clawdbot.json cannot be read ("), "{said}");
    assert!(said.ends_with("so whether it names anthropic:a is unknown; nothing was removed"), "{said}");
    assert_eq!(done.lines()[1].text, "hint: Fix ~/.clawdbot/clawdbot.json, then run this again.");
    assert_eq!(host.files, before);
    // A full disk under the config: the store is left as it was.
    let mut host = removal_in_config();
    host.full.insert(CONFIG.into());
    let before = host.files.clone();
    let (done, _) = host.run(&mut remove("anthropic:a", true));
    assert_eq!(done.exit, Exit::Error, "{done:?}");
    assert!(done.lines()[0].text.contains("nothing was removed"), "{done:?}");
    assert_eq!(host.files, before);
}

#[test]
fn an_environment_key_names_the_variable_and_its_file() {
    let mut host = editing(two_profiles());
    host.files.insert("/h/.clawdbot/.env".into(), "GEMINI_API_KEY=FAKE-gemini\n".into());
    let (done, _) = host.run(&mut remove("env:GEMINI_API_KEY", true));
    assert_eq!(done.exit, Exit::Action);
    let said: Vec<String> = done.lines().into_iter().map(|l| l.text).collect();
    assert_eq!(
        said,
        [
            "error: env:GEMINI_API_KEY is not stored: it is the environment variable GEMINI_API_KEY, set in \
             ~/.clawdbot/.env",
            "hint: Delete the GEMINI_API_KEY= line from ~/.clawdbot/.env."
        ]
    );
    assert!(writes(&host).is_empty());
    let (done, _) = host.run(&mut remove("env:NOPE_API_KEY", true));
    assert_eq!(done.lines()[0].text, "error: no profile env:NOPE_API_KEY in this agent's store");
}

fn paste_key(host: &mut Host, pasted: Result<Secret, SecretError>) -> (Done, Vec<Line>) {
    host.secret = Some(pasted);
    let request =
        PasteKeyRequest { provider: "openai".into(), profile_id: None, agent: None, create_agent: false, force: false };
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
    let too_long = "k".repeat(crate::paste::MAX_API_KEY_INPUT_BYTES + 1);
    let cases = [
        (Ok(Secret::new("FAKE one two")), Exit::Action, "error: "),
        (Ok(Secret::new(too_long)), Exit::Action, "error: the input is larger than 64 KiB; no API key is"),
        (Err(SecretError::NotText), Exit::Action, "error: the pasted value is not UTF-8 text"),
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
    let (done, _) = paste_key(&mut host, Ok(Secret::new("k".repeat(crate::paste::MAX_API_KEY_INPUT_BYTES))));
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

/// Issue 23 item 11: `cooldown clear --provider antrhopic` said "nothing
/// to clear" and exited 0; a provider neither the registry nor the store
/// knows is refused as `refresh` refuses it, by the same rule.
#[test]
fn cooldown_clear_of_an_unknown_provider_is_refused_as_refresh_refuses_it() {
    let mut store = two_profiles();
    store["usageStats"] = json!({"anthropic:a": {"cooldownUntil": NOW + 60_000, "errorCount": 2}});
    let env = Env::new("/h");
    let of = |p: &str| CooldownCommand::clear(&env, None, CooldownTarget::Provider(p.into()), NOW);
    let mut host = editing(store.clone());
    let (done, _) = host.run(&mut of("antrhopic"));
    assert_eq!(done.exit, Exit::Action, "{done:?}");
    assert_eq!(done.lines()[0].text, "error: unknown provider \"antrhopic\": no profile in the store has it");
    assert!(writes(&host).is_empty(), "nothing written for an unknown provider");
    let mut refresh = Host::with_store(&store);
    let (refused, _) =
        refresh.run(&mut RefreshCommand::new(Selection::Provider("antrhopic".into()), false, None, &env, NOW));
    assert_eq!((refused.exit, refused.lines()[0].text.as_str()), (done.exit, done.lines()[0].text.as_str()));
    // A provider the registry knows, without profiles here, has nothing to
    // clear; one the store knows (any spelling) is cleared.
    let (done, _) = editing(store.clone()).run(&mut of("openai"));
    assert_eq!(done.exit, Exit::Ok, "{done:?}");
    assert!(done.lines()[0].text.starts_with("Nothing to clear for the openai profiles"), "{done:?}");
    let (done, _) = editing(store).run(&mut of(" Anthropic "));
    assert_eq!(done.exit, Exit::Ok, "{done:?}");
    assert!(done.lines()[0].text.starts_with("Cleared anthropic:a:"), "{done:?}");
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

    // Claude Code logs in again: the login stays out, and status, list and
    // doctor say why and how to bring it back (issue 23 item 11).
    let note = "note: ~/.clawdbot/agents/main/agent/auth-profiles.json: Claude Code has a login, which is not \
                synced: `models auth remove anthropic:claude-cli` took it out";
    let hint = "hint: Run `clawdbot models auth sync --enable claude-cli` to sync Claude Code's login again.";
    let said = |printed: &[Line], done: &Done| {
        let all: Vec<String> = printed.iter().chain(&done.lines()).map(|l| l.text.clone()).collect();
        all.windows(2).any(|w| w[0] == note && w[1] == hint)
    };
    host.edits_only = false;
    let env = Env::new("/h");
    let mut status = StatusCommand::new(StatusRequest::bare(false, false, None, false), &env, NOW);
    let (done, printed) = host.run(&mut status);
    assert!(said(&printed, &done), "status: {printed:?}");
    let (done, printed) = host.run(&mut ListCommand::new(&env, None, None, false, NOW));
    assert!(said(&printed, &done), "list: {printed:?}");
    let doctor = DoctorRequest { non_interactive: true, ..DoctorRequest::default() };
    let (done, printed) = host.run(&mut DoctorCommand::new(doctor, &env, NOW));
    let out = super::script::text(&printed, Stream::Stdout);
    assert!(out.contains("Logins left out of the sync\n- Claude Code has a login"), "doctor: {out}");
    assert!(out.contains("— Run `clawdbot models auth sync --enable claude-cli`"), "doctor: {out}");
    assert!(host.store()["profiles"].get("anthropic:claude-cli").is_none(), "{done:?}");

    let mut sync = SyncCommand::enable(&Env::new("/h"), None, "claude-cli", NOW).unwrap();
    let (done, _) = host.run(&mut sync);
    assert_eq!(done.exit, Exit::Ok);
    assert!(host.store().get("syncDisabled").is_none());
    assert!(host.store()["profiles"].get("anthropic:claude-cli").is_some(), "synced at once");
    assert!(SyncCommand::enable(&Env::new("/h"), None, "gemini", NOW).is_err());
}
