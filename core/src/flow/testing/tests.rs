//! The flows against a scripted host: a map of files, locks that can be
//! held by "someone else", and a token server that answers from a list.
//! Hooks play the other processes (a racing caller, Claude Code, a writer
//! that skips the lock) at the exact step where they matter.

use super::script::{Hook, Host, NOW, env, written_back};
use super::settle::{Settle, Settled};
use super::*;
use crate::env::Env;
use crate::refresh::HttpResponse;
use crate::secret::Secret;
use crate::world::FileRead;
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};

const HOME: &str = "/h";
const STORE: &str = "/h/.clawdbot/agents/main/agent/auth-profiles.json";
const CLAUDE_FILE: &str = "/h/.claude/.credentials.json";
const OLD_ACCESS: &str = "sk-ant-oat01-OLD-FAKE";
const OLD_REFRESH: &str = "sk-ant-ort01-OLD-FAKE";
const NEW_ACCESS: &str = "sk-ant-oat01-NEW-FAKE";
const NEW_REFRESH: &str = "sk-ant-ort01-NEW-FAKE";

fn oauth(access: &str, refresh: &str, expires: Millis) -> Value {
    json!({"type": "oauth", "provider": "anthropic", "access": access, "refresh": refresh, "expires": expires,
           "email": "user@example.invalid"})
}

fn expired_store(id: &str) -> Value {
    json!({"version": 1, "profiles": {id: oauth(OLD_ACCESS, OLD_REFRESH, NOW - 60_000)}})
}

fn tokens() -> Value {
    json!({"access_token": NEW_ACCESS, "refresh_token": NEW_REFRESH, "expires_in": 28_800})
}

fn token_cmd(provider: &str) -> TokenCommand {
    TokenCommand::new(TokenRequest { provider: provider.into(), profile: None, agent: None, force: false }, &env(), NOW)
}

fn text(lines: &[Line], stream: Stream) -> String {
    lines.iter().filter(|l| l.stream == stream).map(|l| format!("{}\n", l.text)).collect()
}

fn all_text(done: &Done, printed: &[Line]) -> String {
    let mut lines = printed.to_vec();
    lines.extend(done.lines());
    format!("{}{}", text(&lines, Stream::Stdout), text(&lines, Stream::Stderr))
}

#[test]
fn racing_callers_make_one_post_the_others_adopt_under_the_lock() {
    let mut host = Host::with_store(&expired_store("anthropic:work")).reply(200, tokens());
    let mut callers: Vec<TokenCommand> = (0..3).map(|_| token_cmd("anthropic")).collect();
    // Every caller loads and finds the login expired before anyone locks.
    let asked: Vec<Effect> =
        callers.iter_mut().map(|c| host.run_until(c, |e| matches!(e, Effect::Lock { .. }), || NOW)).collect();
    assert!(
        asked.iter().all(|e| matches!(e, Effect::Lock { request: r, .. } if r.kind == LockKind::Store)),
        "{asked:?}"
    );
    assert!(host.posts.is_empty());
    for (caller, lock) in callers.iter_mut().zip(asked) {
        let input = host.perform(lock).expect("lock answer");
        caller.handle(NOW, input.into());
        let (done, printed) = host.run(caller);
        assert_eq!(done.exit, Exit::Ok, "{}", all_text(&done, &printed));
        assert_eq!(text(&done.lines(), Stream::Stdout), format!("{NEW_ACCESS}\n"));
        assert!(host.held.is_empty(), "every lock released: {:?}", host.held);
    }
    assert_eq!(host.posts.len(), 1, "one refresh for three callers: {:?}", host.asked);
    assert_eq!(host.store()["profiles"]["anthropic:work"]["refresh"], NEW_REFRESH);
}

#[test]
fn a_command_reads_each_file_once_and_again_only_under_the_lock() {
    let mut host = Host::with_store(&expired_store("anthropic:work")).reply(200, tokens());
    let (done, _) = host.run(&mut token_cmd("anthropic"));
    assert_eq!(done.exit, Exit::Ok);
    let lock = host.position(&format!("lock {STORE}"));
    let store_reads: Vec<usize> =
        host.asked.iter().enumerate().filter(|(_, e)| **e == format!("read {STORE}")).map(|(i, _)| i).collect();
    // The probe, the look under the lock, the fresh read before the save.
    assert_eq!(store_reads.len(), 3, "{:?}", host.asked);
    assert!(store_reads[0] < lock && store_reads[1] > lock, "{:?}", host.asked);
    let claude = crate::logins::claude_code::SOURCE.keychain_item(&env()).expect("an item");
    let keychain_reads = host.keychain.iter().filter(|i| **i == claude).count();
    assert_eq!(keychain_reads, 2, "one per look; the host caches");
}

#[test]
fn a_fresh_login_takes_no_lock_and_sends_nothing() {
    let store = json!({"version": 1, "profiles": {"anthropic:work": oauth(OLD_ACCESS, OLD_REFRESH, NOW + 3_600_000)}});
    let mut host = Host::with_store(&store);
    let (done, _) = host.run(&mut token_cmd("anthropic"));
    assert_eq!(done.exit, Exit::Ok);
    assert_eq!(text(&done.lines(), Stream::Stdout), format!("{OLD_ACCESS}\n"));
    assert!(
        !host.asked.iter().any(|e| e.starts_with("lock ") || e.starts_with("write ") || e.starts_with("send ")),
        "{:?}",
        host.asked
    );
}

fn claude_file(access: &str, refresh: &str, expires: Millis) -> String {
    json!({"claudeAiOauth": {"accessToken": access, "refreshToken": refresh, "expiresAt": expires,
           "scopes": ["user:inference"]}, "mcpOAuth": {"kept": true}})
    .to_string()
}

#[test]
fn a_rotated_refresh_token_is_persisted_before_any_write_back() {
    let mut host = Host::default().reply(200, tokens());
    host.files.insert(CLAUDE_FILE.into(), claude_file(OLD_ACCESS, OLD_REFRESH, NOW - 60_000));
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:claude-cli".into()), false, None, &env(), NOW);
    let (done, printed) = host.run(&mut flow);
    assert_eq!(done.exit, Exit::Ok, "{}", all_text(&done, &printed));
    assert_eq!(host.posts.len(), 1);
    // The store write that holds the new refresh token comes before Claude
    // Code's file is touched.
    let saved = host.asked.iter().rposition(|e| *e == format!("write {STORE}")).expect("store written");
    let back = host.position(&written_back(&WriteBackPlace::File { path: CLAUDE_FILE.into() }));
    assert!(saved < back, "{:?}", host.asked);
    assert_eq!(host.store()["profiles"]["anthropic:claude-cli"]["refresh"], NEW_REFRESH);
    let claude: Value = serde_json::from_str(&host.files[CLAUDE_FILE]).expect("json");
    assert_eq!(claude["claudeAiOauth"]["refreshToken"], NEW_REFRESH);
    assert_eq!(claude["mcpOAuth"]["kept"], true, "their other fields kept");
    // Claude Code's lock was taken inside ours and both were released.
    let (ours, theirs) = (host.position(&format!("lock {STORE}")), host.position("lock /h/.claude/.oauth_refresh"));
    assert!(ours < theirs);
    assert!(host.held.is_empty());
}

#[test]
fn a_busy_claude_code_lock_sends_nothing_and_releases_ours() {
    let mut host = Host::default().reply(200, tokens());
    host.files.insert(CLAUDE_FILE.into(), claude_file(OLD_ACCESS, OLD_REFRESH, NOW - 60_000));
    host.busy.insert("/h/.claude".into());
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:claude-cli".into()), false, None, &env(), NOW);
    let (done, printed) = host.run(&mut flow);
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Error, "passing: try again later: {all}");
    assert!(all.contains("Claude Code is holding its credentials lock"), "{all}");
    assert!(host.posts.is_empty());
    assert!(host.asked.contains(&format!("unlock {STORE}")) && host.held.is_empty(), "{:?}", host.asked);
}

/// Claude Code 2.1.332's protocol: its two refresh locks in its order
/// (`.oauth_refresh.lock` with the owner record, then the legacy
/// `<realpath(dir)>.lock`), stale after 60 s and touched every 5 s; its
/// file read and written back inside `.storage-write.lock` (stale after
/// 15 s), let go once written.
#[test]
fn a_refresh_takes_claude_codes_locks_in_its_order_and_writes_back_under_its_write_lock() {
    let mut host = Host::default().reply(200, tokens());
    host.files.insert(CLAUDE_FILE.into(), claude_file(OLD_ACCESS, OLD_REFRESH, NOW - 60_000));
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:claude-cli".into()), false, None, &env(), NOW);
    let (done, printed) = host.run(&mut flow);
    assert_eq!(done.exit, Exit::Ok, "{}", all_text(&done, &printed));
    let shared: Vec<&LockRequest> = host.locks.iter().filter(|l| l.kind != LockKind::Store).collect();
    let [refresh, write] = shared[..] else { panic!("two shared locks: {:?}", host.locks) };
    let folder = |target: &str, realpath| LockFolder { target: target.into(), realpath };
    assert_eq!(
        refresh.kind,
        LockKind::Shared {
            name: "Claude Code's lock",
            folders: vec![folder("/h/.claude/.oauth_refresh", false), folder("/h/.claude", true)],
            owner: Some("/h/.claude/.oauth_refresh.lock.owner".into()),
        }
    );
    assert_eq!((refresh.timings.stale_ms, refresh.timings.update_ms), (60_000, 5_000));
    assert_eq!(
        write.kind,
        LockKind::Shared {
            name: "Claude Code's write lock",
            folders: vec![folder("/h/.claude/.storage-write", false)],
            owner: None,
        }
    );
    assert_eq!((write.timings.stale_ms, write.timings.update_ms), (15_000, 7_500));
    // The request goes out under the refresh locks; Claude Code's file is
    // read again and written inside its write lock, which is then let go.
    let sent = host.asked.iter().position(|a| a.starts_with("send ")).expect("sent");
    let locked = host.position("lock /h/.claude/.storage-write");
    let read = host.asked.iter().rposition(|a| *a == format!("read {CLAUDE_FILE}")).expect("read");
    let back = host.position(&written_back(&WriteBackPlace::File { path: CLAUDE_FILE.into() }));
    let unlocked = host.position("unlock /h/.claude/.storage-write");
    assert!(host.position("lock /h/.claude/.oauth_refresh") < sent && sent < locked, "{:?}", host.asked);
    assert!(locked < read && read < back && back < unlocked, "{:?}", host.asked);
    assert!(host.held.is_empty(), "{:?}", host.held);
}

/// Claude Code holds its write lock for the whole wait: nothing of its
/// file is written (it may be writing it), our store keeps the new login,
/// and the warning says what happened and what Claude Code will need.
#[test]
fn a_busy_claude_code_write_lock_leaves_its_file_alone() {
    let mut host = Host::default().reply(200, tokens());
    let before = claude_file(OLD_ACCESS, OLD_REFRESH, NOW - 60_000);
    host.files.insert(CLAUDE_FILE.into(), before.clone());
    host.busy.insert("/h/.claude/.storage-write".into());
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:claude-cli".into()), false, None, &env(), NOW);
    let (done, printed) = host.run(&mut flow);
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Ok, "our store has the new login: {all}");
    assert_eq!(host.store()["profiles"]["anthropic:claude-cli"]["refresh"], NEW_REFRESH);
    assert_eq!(host.files[CLAUDE_FILE], before, "Claude Code's file untouched");
    assert!(!host.asked.iter().any(|a| a.starts_with("back ")), "{:?}", host.asked);
    assert!(
        all.contains("could not update Claude Code's credentials: Claude Code's write lock stayed busy")
            && all.contains("Claude Code will need `/login`"),
        "{all}"
    );
    assert!(host.held.is_empty(), "{:?}", host.held);
}

#[test]
fn a_login_claude_code_refreshed_while_we_waited_for_its_lock_is_adopted() {
    let mut host = Host::default().reply(200, tokens());
    host.files.insert(CLAUDE_FILE.into(), claude_file(OLD_ACCESS, OLD_REFRESH, NOW - 60_000));
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:claude-cli".into()), false, None, &env(), NOW);
    // Claude Code finishes its own refresh just as it lets go of its lock.
    let hook: Hook = Box::new(|effect, host| {
        if let Effect::Lock { request: req, .. } = effect
            && matches!(req.kind, LockKind::Shared { name: "Claude Code's lock", .. })
        {
            host.files.insert(CLAUDE_FILE.into(), claude_file(NEW_ACCESS, NEW_REFRESH, NOW + 8 * 3_600_000));
        }
    });
    let (done, printed) = host.run_with(&mut flow, hook);
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Ok, "{all}");
    assert!(all.contains("anthropic:claude-cli: adopted"), "{all}");
    assert!(host.posts.is_empty(), "the look under Claude Code's lock saw its refresh");
    assert_eq!(host.store()["profiles"]["anthropic:claude-cli"]["access"], NEW_ACCESS);
}

#[test]
fn invalid_grant_leaves_the_credential_untouched_and_records_the_failure() {
    let mut host = Host::with_store(&expired_store("anthropic:work"))
        .reply(400, json!({"error": "invalid_grant", "error_description": "Refresh token not found or invalid"}));
    let before = host.store()["profiles"]["anthropic:work"].clone();
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:work".into()), false, None, &env(), NOW);
    let (done, printed) = host.run(&mut flow);
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Action, "{all}");
    assert!(all.contains("invalid_grant") && all.contains("hint:"), "{all}");
    assert!(!all.contains("FAKE"), "{all}");
    assert_eq!(host.posts.len(), 1, "an OAuth error is never retried");
    let store = host.store();
    assert_eq!(store["profiles"]["anthropic:work"], before, "credential bytes unchanged");
    assert_eq!(store["usageStats"]["anthropic:work"]["failureCounts"]["auth"], 1, "{store}");
    // What looks next (doctor's second look) sees the failure just recorded.
    let latest = flow.into_outcome().0.expect("the load after the refusal");
    let stats = latest.store.usage_stats.get("anthropic:work").expect("its usage");
    assert_eq!(stats.failure_counts.get("auth"), Some(&1.0));
}

#[test]
fn a_refusal_is_recorded_for_the_sent_token_and_never_sent_again_until_the_login_changes() {
    let mut host = Host::with_store(&expired_store("anthropic:work")).reply(400, json!({"error": "invalid_grant"}));
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:work".into()), false, None, &env(), NOW);
    host.run(&mut flow);
    let store = host.store();
    let record = &store["usageStats"]["anthropic:work"]["refreshRejected"];
    assert_eq!(record["code"], "invalid_grant");
    assert_eq!(record["at"], NOW);
    assert_eq!(record["fingerprint"], crate::rejection::fingerprint(&Secret::new(OLD_REFRESH)));
    assert!(!record.to_string().contains(OLD_REFRESH), "a fingerprint, never the token: {record}");

    // The token command asks again: nothing is sent, the failure says why.
    let mut token = token_cmd("anthropic");
    let (done, printed) = host.run(&mut token);
    let all = all_text(&done, &printed);
    assert_eq!(host.posts.len(), 1, "a refused refresh token is not sent again: {all}");
    assert_eq!(done.exit, Exit::Action, "{all}");
    assert!(all.contains("invalid_grant") && all.contains("not sent again until the login changes"), "{all}");

    // A new login (another refresh token) ends the refusal; the success clears the record.
    let mut store = host.store();
    store["profiles"]["anthropic:work"]["refresh"] = json!("sk-ant-ort01-RELOGIN-FAKE");
    host.files.insert(STORE.into(), store.to_string());
    host.replies = VecDeque::from([HttpResponse::new(200, vec![], tokens().to_string())]);
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:work".into()), false, None, &env(), NOW);
    let (done, _) = host.run(&mut flow);
    assert_eq!(done.exit, Exit::Ok);
    assert_eq!(host.posts.len(), 2);
    let store = host.store();
    assert_eq!(store["profiles"]["anthropic:work"]["access"], NEW_ACCESS);
    assert!(store["usageStats"]["anthropic:work"].get("refreshRejected").is_none(), "{store}");
}

#[test]
fn a_refusal_is_not_pinned_on_a_token_that_arrived_meanwhile() {
    let mut host = Host::with_store(&expired_store("anthropic:work")).reply(401, json!({"error": "unauthorized"}));
    // Someone logs in again while the request is out.
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:work".into()), false, None, &env(), NOW);
    let hook: Hook = Box::new(|effect, host| {
        if matches!(effect, Effect::Send { .. }) {
            let mut store: Value = serde_json::from_str(&host.files[STORE]).expect("json");
            store["profiles"]["anthropic:work"]["refresh"] = json!("sk-ant-ort01-RELOGIN-FAKE");
            host.files.insert(STORE.into(), store.to_string());
        }
    });
    host.run_with(&mut flow, hook);
    let store = host.store();
    assert!(store["usageStats"]["anthropic:work"].get("refreshRejected").is_none(), "{store}");
}

#[test]
fn a_passing_failure_writes_nothing() {
    let mut host = Host::with_store(&expired_store("anthropic:work")).reply(503, "busy");
    let before = host.files[STORE].clone();
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:work".into()), false, None, &env(), NOW);
    let (done, _) = host.run(&mut flow);
    assert_eq!(done.exit, Exit::Error);
    assert_eq!(host.files[STORE], before);
    assert!(!host.asked.iter().any(|e| e.starts_with("write ")));
}

#[test]
fn a_refused_request_format_is_retried_once_form_encoded() {
    let mut host =
        Host::with_store(&expired_store("anthropic:work")).reply(400, "Invalid request format").reply(200, tokens());
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:work".into()), false, None, &env(), NOW);
    let (done, printed) = host.run(&mut flow);
    assert_eq!(done.exit, Exit::Ok, "{}", all_text(&done, &printed));
    assert_eq!(host.posts.len(), 2);
    assert_eq!(host.posts[0].header("content-type"), Some("application/json"));
    assert_eq!(host.posts[1].header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(host.store()["profiles"]["anthropic:work"]["access"], NEW_ACCESS);

    // Refused twice: one retry only, then a passing failure.
    let mut host = Host::with_store(&expired_store("anthropic:work")).reply(400, "Invalid request format");
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:work".into()), false, None, &env(), NOW);
    let (done, _) = host.run(&mut flow);
    assert_eq!(host.posts.len(), 2);
    assert_ne!(done.exit, Exit::Ok);
}

#[test]
fn a_write_that_skipped_the_lock_during_the_exchange_is_kept() {
    let mut host = Host::with_store(&expired_store("anthropic:work")).reply(200, tokens());
    // The reference's paste-token writes in place, without the lock, while
    // our request is on the wire.
    let hook: Hook = Box::new(|effect, host| {
        if matches!(effect, Effect::Send { .. }) {
            let mut store = host.store();
            store["profiles"]["anthropic:r"] =
                json!({"type": "token", "provider": "anthropic", "token": "sk-ant-FAKE"});
            host.files.insert(STORE.into(), store.to_string());
        }
    });
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:work".into()), false, None, &env(), NOW);
    let (done, _) = host.run_with(&mut flow, hook);
    assert_eq!(done.exit, Exit::Ok);
    let store = host.store();
    assert_eq!(store["profiles"]["anthropic:work"]["refresh"], NEW_REFRESH);
    assert_eq!(store["profiles"]["anthropic:r"]["type"], "token", "the other writer's profile survives: {store}");
}

#[test]
fn the_refresh_command_exit_codes() {
    let api_key = json!({"version": 1, "profiles": {"anthropic:k": {"type": "api_key", "provider": "anthropic", "key": "k-FAKE"}}});
    let cases = [
        (Selection::All, Exit::Ok, "nothing to refresh"),
        (Selection::Provider("anthropic".into()), Exit::Ok, "nothing to refresh"),
        (Selection::Provider("nope".into()), Exit::Action, "unknown provider \"nope\""),
        (Selection::Profile("nope:x".into()), Exit::Action, "no profile \"nope:x\""),
    ];
    for (selection, exit, says) in cases {
        let mut host = Host::with_store(&api_key.clone());
        let mut flow = RefreshCommand::new(selection.clone(), false, None, &env(), NOW);
        let (done, printed) = host.run(&mut flow);
        let all = all_text(&done, &printed);
        assert_eq!(done.exit, exit, "{selection:?}: {all}");
        assert!(all.contains(says), "{selection:?}: {all}");
        assert!(host.posts.is_empty());
    }
}

#[test]
fn doctor_refreshes_only_what_is_due() {
    let store = json!({"version": 1, "profiles": {
        "anthropic:soon": oauth(OLD_ACCESS, OLD_REFRESH, NOW + 2 * 60_000),
        "anthropic:later": oauth("sk-ant-oat01-LATER-FAKE", "sk-ant-ort01-LATER-FAKE", NOW + 8 * 3_600_000),
    }});
    let world = crate::world::MapWorld {
        files: [(STORE.to_string(), FileRead::text(store.to_string()))].into_iter().collect(),
        keychain: BTreeMap::new(),
    };
    let loaded = crate::load::load(&world, &env(), NOW, None);
    let report = crate::report::build(&loaded, &crate::report::ReportOptions::default());
    let issues = crate::doctor::preview(&loaded, &report).issues;
    assert_eq!(issues.len(), 2, "both are inside doctor's 24 h window: {issues:?}");
    assert_eq!(due_for_doctor(&loaded, &issues), vec!["anthropic:soon".to_string()]);
}

#[test]
fn effects_never_show_a_secret_in_debug() {
    let effect =
        Effect::WriteAtomic { path: STORE.into(), text: crate::secret::Secret::new(NEW_REFRESH), reply: Reply::new() };
    assert!(!format!("{effect:?}").contains("FAKE"));
    let effect = Effect::write_back(WriteBack {
        place: WriteBackPlace::Keychain(KeychainItem { service: "s".into(), account: "a".into() }),
        text: crate::secret::Secret::new(NEW_REFRESH),
    });
    assert!(!format!("{effect:?}").contains("FAKE"));
    let input = Answer::Files(vec![(STORE.into(), FileRead::text(expired_store("anthropic:work").to_string()))]);
    assert!(!format!("{input:?}").contains("FAKE"), "{input:?}");
    let input = Answer::Keychain(Some(FileRead::text(claude_file(OLD_ACCESS, OLD_REFRESH, NOW))));
    assert!(!format!("{input:?}").contains("FAKE"), "{input:?}");
    let mut host = Host::with_store(
        &json!({"version": 1, "profiles": {"anthropic:work": oauth(OLD_ACCESS, OLD_REFRESH, NOW + 3_600_000)}}),
    );
    let (done, _) = host.run(&mut token_cmd("anthropic"));
    assert_eq!(text(&done.lines(), Stream::Stdout), format!("{OLD_ACCESS}\n"), "the key is printed as it is");
    assert!(!format!("{done:?}").contains("FAKE"), "{done:?}");
}

#[test]
fn the_refresh_window_comes_from_the_environment() {
    use crate::refresh::DEFAULT_REFRESH_WINDOW_MS;
    assert_eq!(refresh_window(&Env::new("/h")), DEFAULT_REFRESH_WINDOW_MS);
    assert_eq!(refresh_window(&Env::new("/h").with_var(WINDOW_ENV, "0")), 0);
    assert_eq!(refresh_window(&Env::new("/h").with_var(WINDOW_ENV, "-5")), DEFAULT_REFRESH_WINDOW_MS);
}

#[test]
fn failures_escape_what_came_from_a_file() {
    let f = RefreshFailure::UnknownProfile("x\u{1b}".into());
    assert!(f.is_permanent());
    assert!(!f.to_string().contains('\u{1b}'));
}

#[test]
fn a_sync_is_saved_under_the_lock_against_a_second_look() {
    let mut host = Host::default();
    host.files.insert(CLAUDE_FILE.into(), claude_file(OLD_ACCESS, OLD_REFRESH, NOW + 3_600_000));
    let (settled, _) = host.run_part(&mut Settle::new(&env(), None, NOW));
    let lock = host.position(&format!("lock {STORE}"));
    let second = host.asked.iter().skip(lock).position(|e| *e == format!("read {CLAUDE_FILE}"));
    assert!(second.is_some(), "looked again under the lock: {:?}", host.asked);
    assert!(lock < host.position(&format!("write {STORE}")));
    assert!(host.held.is_empty());
    let Settled { loaded, save_error } = settled;
    assert!(save_error.is_none());
    assert!(loaded.store.profile("anthropic:claude-cli").is_some());
    assert_eq!(host.store()["profiles"]["anthropic:claude-cli"]["access"], OLD_ACCESS);
}

fn keys_store() -> Value {
    json!({"version": 1, "profiles": {
        "zai:a": {"type": "api_key", "provider": "zai", "key": "k-FAKE"},
        "zai:b": {"type": "api_key", "provider": "zai", "key": "k-FAKE"},
    }})
}

fn order(request: OrderRequest) -> OrderCommand {
    OrderCommand::new(request, None, &env(), NOW)
}

#[test]
fn order_set_edits_the_store_under_the_lock_and_get_reads_it_without_one() {
    let mut host = Host::with_store(&keys_store());
    let set = OrderRequest::Set { provider: "z.ai".into(), profile_ids: vec!["zai:b".into(), "zai:a".into()] };
    let (done, _) = host.run(&mut order(set));
    assert_eq!(done.exit, Exit::Ok, "{done:?}");
    assert!(text(&done.lines(), Stream::Stdout).contains("Order override: zai:b, zai:a"), "{done:?}");
    let lock = host.position(&format!("lock {STORE}"));
    let read = host.asked.iter().rposition(|e| *e == format!("read {STORE}")).expect("read");
    assert!(lock < read && read < host.position(&format!("write {STORE}")), "{:?}", host.asked);
    assert!(!host.asked[..lock].contains(&format!("read {STORE}")), "only the config is read to find the lock");
    assert_eq!(host.store()["order"]["zai"], json!(["zai:b", "zai:a"]));
    assert!(host.held.is_empty());

    host.asked.clear();
    let get = OrderRequest::Get { provider: "zai".into(), json: false, resolved: true };
    let (done, _) = host.run(&mut order(get));
    assert_eq!(done.exit, Exit::Ok);
    assert!(text(&done.lines(), Stream::Stdout).contains("Resolved order: zai:b, zai:a"), "{done:?}");
    assert!(!host.asked.iter().any(|e| e.starts_with("lock ") || e.starts_with("write ")), "{:?}", host.asked);
}

#[test]
fn an_order_naming_an_unknown_profile_is_refused_and_writes_nothing() {
    let mut host = Host::with_store(&keys_store());
    let before = host.files[STORE].clone();
    let set = OrderRequest::Set { provider: "zai".into(), profile_ids: vec!["zai:nope".into()] };
    let (done, _) = host.run(&mut order(set));
    assert_eq!(done.exit, Exit::Action, "{done:?}");
    assert_eq!(host.files[STORE], before);
    assert!(!host.asked.iter().any(|e| e.starts_with("write ")));
    assert!(host.held.is_empty());
}

#[test]
fn an_edit_refuses_an_unreadable_store_and_a_busy_lock() {
    let mut host = Host::default();
    host.files.insert(STORE.into(), "{ not json".into());
    let (done, _) = host.run(&mut order(OrderRequest::Clear { provider: "zai".into() }));
    let all = all_text(&done, &[]);
    assert_eq!(done.exit, Exit::Action, "{all}");
    assert!(all.contains("refusing to modify an unreadable store"), "{all}");
    assert_eq!(host.files[STORE], "{ not json");
    assert!(host.held.is_empty(), "released: {:?}", host.asked);

    let mut host = Host::with_store(&keys_store());
    host.busy.insert(STORE.into());
    let (done, _) = host.run(&mut order(OrderRequest::Clear { provider: "zai".into() }));
    assert_eq!(done.exit, Exit::Error);
    assert!(!host.asked.iter().any(|e| e.starts_with("write ") || *e == format!("read {STORE}")));
}

#[test]
fn an_unreadable_store_has_no_known_order() {
    let mut host = Host::default();
    host.files.insert(STORE.into(), "{ not json".into());
    let get = OrderRequest::Get { provider: "zai".into(), json: true, resolved: false };
    let (done, _) = host.run(&mut order(get));
    assert_eq!(done.exit, Exit::Action);
    assert!(all_text(&done, &[]).contains("so its order is unknown"));
}

#[test]
fn http_timeouts_come_from_the_environment() {
    let t = HttpTimeouts::from_env(&Env::new("/h"));
    assert_eq!((t.total_ms, t.connect_ms), (HttpTimeouts::DEFAULT_TOTAL_MS, HttpTimeouts::DEFAULT_CONNECT_MS));
    let t = HttpTimeouts::from_env(&Env::new("/h").with_var(HTTP_TIMEOUT_ENV, "1500"));
    assert_eq!((t.total_ms, t.connect_ms), (1500, 1500), "connect never exceeds the total");
    for bad in ["0", "-1", "soon", ""] {
        let t = HttpTimeouts::from_env(&Env::new("/h").with_var(HTTP_TIMEOUT_ENV, bad));
        assert_eq!(t.total_ms, HttpTimeouts::DEFAULT_TOTAL_MS, "{bad}");
    }
}

#[test]
fn lock_timings_take_the_wait_from_the_environment() {
    assert_eq!(LockTimings::store(&Env::new("/h")), LockTimings::STORE);
    let t = LockTimings::store(&Env::new("/h").with_var(LOCK_WAIT_ENV, "250"));
    assert_eq!(t, LockTimings { max_wait_ms: 250, ..LockTimings::STORE });
    assert_eq!(LockTimings::store(&Env::new("/h").with_var(LOCK_WAIT_ENV, "soon")), LockTimings::STORE);
}

#[test]
fn the_look_under_the_lock_finds_the_same_agent_folder() {
    // CLAWDBOT_AGENT_DIR applies to the default agent only when none is
    // asked for; the looks under the lock must ask the same way.
    let env = Env::new(HOME).with_var("CLAWDBOT_AGENT_DIR", "/agent");
    let store = "/agent/auth-profiles.json";
    let mut host = Host::default().reply(200, tokens());
    host.files.insert(store.into(), expired_store("anthropic:work").to_string());
    let request = TokenRequest { provider: "anthropic".into(), profile: None, agent: None, force: false };
    let (done, printed) = host.run(&mut TokenCommand::new(request, &env, NOW));
    assert_eq!(done.exit, Exit::Ok, "{}", all_text(&done, &printed));
    let saved: Value = serde_json::from_str(&host.files[store]).expect("json");
    assert_eq!(saved["profiles"]["anthropic:work"]["refresh"], NEW_REFRESH);
    assert!(!host.files.contains_key(STORE), "nothing written under ~/.clawdbot");
}

#[test]
fn a_host_that_answers_nothing_cannot_make_a_look_ask_forever() {
    let mut flow = TokenCommand::new(
        TokenRequest { provider: "anthropic".into(), profile: None, agent: None, force: false },
        &env(),
        NOW,
    );
    for _ in 0..100 {
        match flow.poll() {
            Effect::Done(done) => {
                assert_eq!(done.exit, Exit::Action, "no key anywhere: {done:?}");
                return;
            }
            Effect::Read { .. } => flow.handle(NOW, Answer::Files(Vec::new()).into()),
            Effect::ReadKeychain { .. } => flow.handle(NOW, Answer::Files(Vec::new()).into()),
            other => panic!("unexpected {other:?}"),
        }
    }
    panic!("the look kept asking");
}

#[test]
fn a_migration_removes_the_legacy_file_only_after_the_store_is_written() {
    const LEGACY: &str = "/h/.clawdbot/agents/main/agent/auth.json";
    let legacy = json!({"openai": {"type": "api_key", "provider": "openai", "key": "sk-FAKE"}}).to_string();
    for stuck in [false, true] {
        let mut host = Host::default();
        host.files.insert(LEGACY.into(), legacy.clone());
        if stuck {
            host.stuck.insert(LEGACY.into());
        }
        let (settled, printed) = host.run_part(&mut Settle::new(&env(), None, NOW));
        assert!(settled.save_error.is_none(), "{:?}", settled.save_error);
        let written = host.position(&format!("write {STORE}"));
        assert!(written < host.position(&format!("remove {LEGACY}")), "{:?}", host.asked);
        assert!(host.files[STORE].contains("sk-FAKE"), "migrated: {}", host.files[STORE]);
        let warned = text(&printed, Stream::Stderr)
            .contains(&format!("could not remove it: {LEGACY}: cannot remove: permission denied"));
        assert_eq!(warned, stuck, "{printed:?}");
        assert_eq!(host.files.contains_key(LEGACY), stuck);
        assert!(host.held.is_empty());
    }
}

#[test]
fn a_min_valid_that_does_not_parse_is_a_usage_error_before_anything_is_read() {
    let mut host = Host::with_store(&expired_store("anthropic:a"));
    let (done, _) = host.run(&mut token_cmd("anthropic").min_valid_flag("soon"));
    assert_eq!(done.exit, Exit::Usage);
    assert_eq!(done.lines()[0].text, "error: --min-valid: invalid duration: soon");
    assert!(host.asked.is_empty() && host.keychain.is_empty(), "{:?} {:?}", host.asked, host.keychain);
    let (done, _) = host.run(&mut token_cmd("anthropic").min_valid_flag("90"));
    assert_ne!(done.exit, Exit::Usage, "a bare number is minutes");
}

/// A31: a key the shell-env fallback imported is labelled `shell env:`,
/// not `env:`, so an operator can tell it does not come from the process.
#[test]
fn a_key_from_the_shell_fallback_is_labelled_shell_env() {
    let env = Env::new(HOME).with_var("CLAWDBOT_LOAD_SHELL_ENV", "1").with_var("SHELL", "/bin/zsh");
    let request = TokenRequest { provider: "anthropic".into(), profile: None, agent: None, force: false };
    let mut flow = TokenCommand::new(request, &env, NOW);
    let mut host = Host::default();
    let hook: Hook = Box::new(|effect, host| {
        if let Effect::ShellEnv { command, .. } = effect {
            // Answer between the markers the command prints, as a shell would.
            let start = command.find("CLAWDBOT-SHELL-ENV-").expect("the command carries its marker");
            let marker = &command[start..command[start..].find("-BEGIN").map(|e| start + e).expect("BEGIN")];
            let out = format!("banner\0{marker}-BEGIN\0ANTHROPIC_API_KEY=sk-ant-api03-FAKE-shell\0{marker}-END\0");
            host.shell = Some(ShellAnswer::Output(out.into_bytes()));
        }
    });
    let (done, printed) = host.run_with(&mut flow, hook);
    assert_eq!(done.exit, Exit::Ok, "{printed:?}");
    let last = done.lines();
    let all = printed.iter().chain(&last);
    let source: Vec<&str> = all.map(|l| l.text.as_str()).filter(|t| t.starts_with("source:")).collect();
    assert_eq!(source, ["source: shell env: ANTHROPIC_API_KEY"], "{printed:?}");
}

/// A25, A71: a failed refresh of the legacy `anthropic:default` login, when
/// an OAuth profile should take its place, ends with the reference's
/// doctor hint block naming that profile and the command that repairs it.
#[test]
fn a_failed_refresh_of_the_legacy_default_id_prints_the_doctor_hint_block() {
    let mut store = expired_store("anthropic:default");
    store["profiles"]["anthropic:me@example.com"] = oauth(NEW_ACCESS, NEW_REFRESH, NOW + 3_600_000);
    let mut host = Host::with_store(&store)
        .reply(400, json!({"error": "invalid_grant", "error_description": "Refresh token not found or invalid"}));
    let config = json!({"auth": {"profiles": {"anthropic:default": {"provider": "anthropic", "mode": "oauth"}}}});
    host.files.insert("/h/.clawdbot/clawdbot.json".into(), config.to_string());
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:default".into()), false, None, &env(), NOW);
    let (done, printed) = host.run(&mut flow);
    let last = done.lines();
    let text: Vec<&str> = printed.iter().chain(&last).map(|l| l.text.as_str()).collect();
    let at = text.iter().position(|l| *l == "Doctor hint (for GitHub issue):").unwrap_or_else(|| panic!("{text:#?}"));
    assert_eq!(
        text[at..at + 6],
        [
            "Doctor hint (for GitHub issue):",
            "- provider: anthropic",
            "- config: anthropic:default (provider=anthropic, mode=oauth)",
            "- auth store oauth profiles: anthropic:default, anthropic:me@example.com",
            "- suggested profile: anthropic:me@example.com",
            "Fix: run \"clawdbot doctor --yes\"",
        ]
    );
    // Any other id has no such block: there is nothing to migrate.
    let mut host = Host::with_store(&expired_store("anthropic:work")).reply(400, json!({"error": "invalid_grant"}));
    let mut flow = RefreshCommand::new(Selection::Profile("anthropic:work".into()), false, None, &env(), NOW);
    let (done, printed) = host.run(&mut flow);
    assert!(!all_text(&done, &printed).contains("Doctor hint"));
}

/// The lock waits hosts sleep are the defaults the panel shows, written
/// once in `defaults` (they were also spelled here and in the host).
#[test]
fn lock_timings_are_the_defaults() {
    let s = LockTimings::STORE;
    let d = crate::defaults::STORE_LOCK;
    assert_eq!((s.stale_ms, s.update_ms, s.max_wait_ms), (30_000, 15_000, 45_000));
    assert_eq!((s.min_backoff_ms, s.max_backoff_ms), (100, 10_000));
    assert_eq!(s.max_wait_ms, d.max_wait_ms.unsigned_abs());
    let c = LockTimings::of(crate::defaults::PROPER_LOCKFILE_LOCK);
    assert_eq!((c.stale_ms, c.update_ms, c.max_wait_ms), (10_000, 5_000, 10_000));
    assert_eq!(c.stale_ms, crate::defaults::PROPER_LOCKFILE_LOCK.stale_ms.unsigned_abs());
}

/// A28: a login that renews itself is refreshed before an environment key
/// stands in for it; the key handed out is the renewed login's.
#[test]
fn an_expired_login_that_renews_itself_is_refreshed_before_an_env_key_is_used() {
    let mut host = Host::with_store(&expired_store("anthropic:work")).reply(200, tokens());
    let env = env().with_var("ANTHROPIC_API_KEY", "sk-ant-api03-FAKE-env");
    let request = TokenRequest { provider: "anthropic".into(), profile: None, agent: None, force: false };
    let (done, printed) = host.run(&mut TokenCommand::new(request, &env, NOW));
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Ok, "{all}");
    assert_eq!(host.posts.len(), 1, "the login was refreshed");
    assert!(all.contains("source: profile:anthropic:work"), "{all}");
    // When the refresh fails, the environment's key stands in, and says so.
    let mut host = Host::with_store(&expired_store("anthropic:work")).reply(400, json!({"error": "invalid_grant"}));
    let request = TokenRequest { provider: "anthropic".into(), profile: None, agent: None, force: false };
    let (done, printed) = host.run(&mut TokenCommand::new(request, &env, NOW));
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Ok, "{all}");
    assert!(all.contains("source: env: ANTHROPIC_API_KEY"), "{all}");
    assert!(all.contains("warning: anthropic:work:") && all.contains("using env: ANTHROPIC_API_KEY instead"), "{all}");
    // An explicit profile has no stand-in: its failure is the answer.
    let mut host = Host::with_store(&expired_store("anthropic:work")).reply(400, json!({"error": "invalid_grant"}));
    let request = TokenRequest {
        provider: "anthropic".into(),
        profile: Some("anthropic:work".into()),
        agent: None,
        force: false,
    };
    let (done, _) = host.run(&mut TokenCommand::new(request, &env, NOW));
    assert_eq!(done.exit, Exit::Action);
}

/// The `Debug` of what crosses the host boundary goes to logs and test
/// failures: it names each effect, input and line, and shows a secret by
/// its size only.
#[test]
fn debug_shows_what_crosses_the_boundary_and_never_a_secret() {
    let secret = "sk-ant-oat01-DEBUG-FAKE";
    let write = Effect::WriteAtomic { path: STORE.into(), text: Secret::new(secret), reply: Reply::new() };
    assert_eq!(format!("{write:?}"), format!("WriteAtomic {{ path: {STORE:?}, bytes: {} }}", secret.len()));
    let place = WriteBackPlace::File { path: CLAUDE_FILE.into() };
    let back = WriteBack { place: place.clone(), text: Secret::new(secret) };
    assert_eq!(format!("{back:?}"), format!("WriteBack {{ place: {place:?}, bytes: {} }}", secret.len()));
    assert_eq!(
        format!("{:?}", Effect::write_back(back)),
        format!("WriteBack(WriteBack {{ place: {place:?}, bytes: 23 }})")
    );

    let files = Answer::Files(vec![
        (STORE.into(), FileRead::text(secret)),
        (CLAUDE_FILE.into(), FileRead::Absent),
        ("/h/x".into(), FileRead::Unreadable(crate::io::IoKind::PermissionDenied)),
    ]);
    assert_eq!(
        format!("{files:?}"),
        format!(
            "{{{STORE:?}: \"23 bytes\", {CLAUDE_FILE:?}: \"absent\", \"/h/x\": \"unreadable: permission denied\"}}"
        )
    );
    assert_eq!(format!("{:?}", Answer::Keychain(Some(FileRead::text(secret)))), "Keychain(23 bytes)");
    assert_eq!(format!("{:?}", Answer::Keychain(None)), "Keychain(none)");
    assert_eq!(format!("{:?}", Answer::Secret(Ok(Secret::new(secret)))), "Secret(<hidden>)");
    assert_eq!(format!("{:?}", Answer::Secret(Err(SecretError::NotText))), "Secret(NotText)");

    let line = Line { stream: Stream::Stdout, text: secret.into(), secret: true };
    assert_eq!(format!("{line:?}"), "Stdout: <secret, 23 chars>");
    let line = Line { stream: Stream::Stderr, text: "error: nope".into(), secret: false };
    assert_eq!(format!("{line:?}"), "Stderr: \"error: nope\"");
}

/// The codes of docs/cli.md's table, which cron jobs and systemd units
/// test: 0 done, 1 act, 2 expiring soon, 3 try again, 64 wrong usage.
#[test]
fn exit_codes_are_the_documented_ones() {
    let codes = [Exit::Ok, Exit::Action, Exit::Expiring, Exit::Error, Exit::Usage].map(Exit::code);
    assert_eq!(codes, [0, 1, 2, 3, 64]);
}

/// Doctor's refreshes: a failure is listed under its heading, and a
/// success leaves the heading out.
#[test]
fn doctor_lists_refresh_errors_under_their_heading_and_only_then() {
    let doctor = || DoctorCommand::new(DoctorRequest { yes: true, ..DoctorRequest::default() }, &env(), NOW);
    let mut host = Host::with_store(&expired_store("anthropic:work")).reply(200, tokens());
    let (_, printed) = host.run(&mut doctor());
    assert_eq!(host.posts.len(), 1, "doctor refreshed the login");
    let out: Vec<&str> = printed.iter().map(|l| l.text.as_str()).collect();
    assert!(!out.contains(&"OAuth refresh errors"), "{out:#?}");

    let mut host = Host::with_store(&expired_store("anthropic:work")).reply(400, json!({"error": "invalid_grant"}));
    let (_, printed) = host.run(&mut doctor());
    let out: Vec<&str> = printed.iter().map(|l| l.text.as_str()).collect();
    let at = out.iter().position(|l| *l == "OAuth refresh errors").unwrap_or_else(|| panic!("{out:#?}"));
    assert!(out[at + 1].contains("anthropic:work") && out[at + 1].contains("invalid_grant"), "{out:#?}");
}

/// An unreadable store needs a person in every command that would write
/// it: refresh, by profile or for all, ends 1 like paste, order and remove.
#[test]
fn a_refresh_into_an_unreadable_store_needs_a_person() {
    for selection in [Selection::Profile("anthropic:work".into()), Selection::All] {
        let mut host = Host::default();
        host.files.insert(STORE.into(), "{ not json".into());
        let (done, printed) = host.run(&mut RefreshCommand::new(selection.clone(), false, None, &env(), NOW));
        let all = all_text(&done, &printed);
        assert_eq!(done.exit, Exit::Action, "{selection:?}: {all}");
        let refusal = all.lines().find(|l| l.contains("refusing to refresh into an unreadable store: "));
        assert!(refusal.is_some_and(|l| l.starts_with("error: ")), "{all}");
        assert_eq!(host.files[STORE], "{ not json");
    }
}

/// Issue 23 item 12: with the state folder (or the HOME it is in) naming a
/// file, each command said "a parent of the path is not a folder" of every
/// file, and a paste asked for the token first. Every command now ends at
/// once with one error naming the variable and the path, having read,
/// locked, written and asked nothing.
#[test]
fn every_command_stops_before_anything_when_the_state_folder_is_not_a_folder() {
    let env = Env { not_folders: [HOME.to_string(), format!("{HOME}/.clawdbot")].into(), ..env() };
    let setup = || SetupRequest { terminal: true, ..SetupRequest::default() };
    let sync = SyncCommand::enable(&env, None, crate::logins::names().next().unwrap_or_default(), NOW);
    let login = LoginRequest {
        provider: "openai-codex".into(),
        device_code: true,
        profile_id: None,
        enterprise_domain: None,
        terminal: true,
        ..LoginRequest::default()
    };
    let mut flows: Vec<(&str, Box<dyn Flow>)> = vec![
        ("status", Box::new(StatusCommand::new(StatusRequest::bare(false, false, None, true), &env, NOW))),
        (
            "doctor",
            Box::new(DoctorCommand::new(DoctorRequest { terminal: true, ..DoctorRequest::default() }, &env, NOW)),
        ),
        (
            "token",
            Box::new(TokenCommand::new(
                TokenRequest { provider: "openai".into(), profile: None, agent: None, force: false },
                &env,
                NOW,
            )),
        ),
        ("refresh", Box::new(RefreshCommand::new(Selection::All, false, None, &env, NOW))),
        (
            "order",
            Box::new(OrderCommand::new(
                OrderRequest::Get { provider: "openai".into(), json: false, resolved: true },
                None,
                &env,
                NOW,
            )),
        ),
        ("list", Box::new(ListCommand::new(&env, None, None, false, NOW))),
        ("cooldown", Box::new(CooldownCommand::clear(&env, None, CooldownTarget::All, NOW))),
        (
            "remove",
            Box::new(RemoveCommand::new(
                RemoveRequest { profile_id: "openai:x".into(), agent: None, yes: true, dry_run: false },
                &env,
                NOW,
            )),
        ),
        ("sync", Box::new(sync.expect("a login source"))),
        (
            "paste-token",
            Box::new(PasteTokenCommand::new(
                PasteTokenRequest { provider: "openai".into(), ..PasteTokenRequest::default() },
                &env,
                NOW,
            )),
        ),
        (
            "paste-api-key",
            Box::new(PasteKeyCommand::new(
                PasteKeyRequest {
                    provider: "openai".into(),
                    profile_id: None,
                    agent: None,
                    create_agent: false,
                    force: false,
                },
                &env,
                NOW,
            )),
        ),
        ("add", Box::new(AddCommand::new(AddRequest { agent: None, terminal: true, create_agent: false }, &env, NOW))),
        ("setup-token", Box::new(SetupCommand::new("anthropic", setup(), true, &env, NOW))),
        ("login", Box::new(LoginCommand::new(login, &env, NOW))),
    ];
    for (name, flow) in &mut flows {
        let mut host = Host { secret: Some(Ok(Secret::new("sk-FAKE-typed"))), ..Host::default() };
        let (done, printed) = host.run(&mut **flow);
        assert_eq!(done.exit, Exit::Action, "{name}: {done:?}");
        assert!(host.asked.is_empty(), "{name} asked {:?}", host.asked);
        assert!(printed.is_empty() && host.emitted.is_empty(), "{name}: {printed:?}");
        assert_eq!(
            done.events,
            [
                Event::error("/h: not a folder (HOME names it); Clawdbot keeps its files in it"),
                Event::Hint("Point HOME at your home folder.".into())
            ],
            "{name}"
        );
    }
}
