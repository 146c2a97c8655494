//! Claude Code 2.1.3xx's sign-ins (issue 21): its dead-login stub, the
//! date a sign-in ends for good, and a login the operator made read-only,
//! through the commands an operator runs, against the scripted host.

use super::script::{CONFIG, Host, NOW, env, hints_in, said, store_path, text, written_back};
use super::*;
use crate::diag::Severity;
use crate::time::{DAY, HOUR};
use serde_json::{Value, json};

const CLAUDE_FILE: &str = "/h/.claude/.credentials.json";
const STORED_ACCESS: &str = "sk-ant-oat01-STORED-FAKE";
const STORED_REFRESH: &str = "sk-ant-ort01-STORED-FAKE";
const NEW_ACCESS: &str = "sk-ant-oat01-NEW-FAKE";
const NEW_REFRESH: &str = "sk-ant-ort01-NEW-FAKE";

/// What Claude Code 2.1.332 leaves when its refresh is refused for good.
fn stub() -> Value {
    json!({"claudeAiOauth": {"accessToken": "", "refreshToken": "", "expiresAt": 0, "loginEnded": "time_limit",
           "scopes": ["user:inference"], "subscriptionType": "max"}, "mcpOAuth": {"kept": true}})
}

fn claude_login(access: &str, refresh: &str, expires: Millis) -> Value {
    json!({"claudeAiOauth": {"accessToken": access, "refreshToken": refresh, "expiresAt": expires,
           "scopes": ["user:inference"], "subscriptionType": "max"}, "mcpOAuth": {"kept": true}})
}

fn store_with_claude(expires: Millis) -> Value {
    json!({"version": 1, "profiles": {"anthropic:claude-cli": {"type": "oauth", "provider": "anthropic",
           "access": STORED_ACCESS, "refresh": STORED_REFRESH, "expires": expires}}})
}

fn tokens() -> Value {
    json!({"access_token": NEW_ACCESS, "refresh_token": NEW_REFRESH, "expires_in": 28_800})
}

fn all_text(done: &Done, printed: &[Line]) -> String {
    let mut lines = printed.to_vec();
    lines.extend(done.lines());
    format!("{}\n{}", text(&lines, Stream::Stdout), text(&lines, Stream::Stderr))
}

fn status_check() -> StatusCommand {
    let request = StatusRequest {
        json: false,
        plain: false,
        format: None,
        check: true,
        strict: false,
        agent: None,
        all_agents: false,
        warn_within: crate::defaults::WARN_WITHIN.into(),
        terminal: false,
        probe: None,
    };
    StatusCommand::new(request, &env(), NOW)
}

fn doctor() -> DoctorCommand {
    DoctorCommand::new(DoctorRequest { non_interactive: true, ..DoctorRequest::default() }, &env(), NOW)
}

fn refresh_claude() -> RefreshCommand {
    RefreshCommand::new(Selection::Profile("anthropic:claude-cli".into()), false, None, &env(), NOW)
}

fn token(force: bool) -> TokenCommand {
    TokenCommand::new(TokenRequest { provider: "anthropic".into(), profile: None, agent: None, force }, &env(), NOW)
}

/// Claude Code's stub, with nothing stored yet: `--check` 1 and a doctor
/// line saying to sign in again, never "missing"; and nothing is written,
/// neither our store nor Claude Code's file.
#[test]
fn a_dead_login_stub_needs_a_person_in_status_and_doctor_even_with_nothing_stored() {
    for stored in [None, Some(store_with_claude(NOW + 3 * HOUR))] {
        let mut host = Host::default();
        if let Some(store) = &stored {
            host.files.insert(store_path("main"), store.to_string());
        }
        host.files.insert(CLAUDE_FILE.into(), stub().to_string());
        let before = host.files.clone();
        let (done, printed) = host.run(&mut status_check());
        let all = all_text(&done, &printed);
        assert_eq!(done.exit, Exit::Action, "{all}");
        assert!(
            all.contains("- anthropic:claude-cli expired: sign-in ended (loginEnded: time_limit): Sign in again"),
            "{all}"
        );
        assert!(!all.contains("Missing auth"), "{all}");

        let (done, printed) = host.run(&mut doctor());
        let all = all_text(&done, &printed);
        assert_eq!(done.exit, Exit::Action, "{all}");
        let line = all.lines().find(|l| l.starts_with("- anthropic:claude-cli: ")).unwrap_or_else(|| panic!("{all}"));
        assert_eq!(
            line,
            format!(
                "- anthropic:claude-cli: expired: sign-in ended (loginEnded: time_limit) — {}",
                crate::logins::claude_code::SOURCE.sign_in_again_hint()
            )
        );
        assert!(line.contains("`claude auth login` on the gateway host") && line.contains("setup-token"), "{line}");
        assert!(!all.contains("no credentials for a provider in use"), "{all}");
        assert_eq!(host.files, before, "the stub is never synced, and nothing is written back over anything");
        assert!(!host.asked.iter().any(|a| a.starts_with("back ") || a.starts_with("write ")), "{:?}", host.asked);
    }
}

/// A stub in Claude Code's Keychain item is what Claude Code itself reads:
/// an older login left in its file is not synced over it.
#[test]
fn a_stub_in_the_keychain_item_is_not_shadowed_by_an_older_file() {
    let mut host = Host::default();
    let item = crate::logins::claude_code::SOURCE.keychain_item(&env()).expect("an item");
    host.items.insert(item, stub().to_string());
    host.files.insert(CLAUDE_FILE.into(), claude_login(STORED_ACCESS, STORED_REFRESH, NOW + 3 * HOUR).to_string());
    let (done, printed) = host.run(&mut status_check());
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Action, "{all}");
    assert!(all.contains("sign-in ended"), "{all}");
    assert!(!host.files.contains_key(&store_path("main")), "nothing synced: {:?}", host.asked);
}

/// Our refresh of a login whose Claude Code copy is the stub writes a live
/// login back, file and Keychain item: tokens in, `loginEnded` gone (else
/// Claude Code would read a dead login again), its other fields kept. No
/// write ever puts a stub anywhere.
#[test]
fn a_login_renewed_over_claude_codes_stub_is_written_back_live() {
    let mut host = Host::with_store(&store_with_claude(NOW - 60_000)).reply(200, tokens());
    let item = crate::logins::claude_code::SOURCE.keychain_item(&env()).expect("an item");
    host.items.insert(item.clone(), stub().to_string());
    host.files.insert(CLAUDE_FILE.into(), stub().to_string());
    let (done, printed) = host.run(&mut refresh_claude());
    assert_eq!(done.exit, Exit::Ok, "{}", all_text(&done, &printed));
    assert_eq!(host.posts.len(), 1);
    assert_eq!(host.store()["profiles"]["anthropic:claude-cli"]["refresh"], NEW_REFRESH);
    for (what, written) in [("file", host.files[CLAUDE_FILE].clone()), ("keychain", host.items[&item].clone())] {
        let v: Value = serde_json::from_str(&written).expect("json");
        let block = &v["claudeAiOauth"];
        assert_eq!(
            (block["accessToken"].as_str(), block["refreshToken"].as_str()),
            (Some(NEW_ACCESS), Some(NEW_REFRESH)),
            "{what}"
        );
        assert!(block["expiresAt"].as_i64().is_some_and(|e| e > NOW), "{what}: {block}");
        assert!(block.get("loginEnded").is_none(), "{what}: {block}");
        assert_eq!((block["subscriptionType"].as_str(), v["mcpOAuth"]["kept"].as_bool()), (Some("max"), Some(true)));
    }
    assert!(host.asked.contains(&written_back(&WriteBackPlace::Keychain(item))), "{:?}", host.asked);
}

/// `refreshTokenExpiresAt` two days out: `--check` 2 although the access
/// token renews itself, doctor says to sign in again, and the date is
/// carried into our store, where a refresh keeps it.
#[test]
fn a_sign_in_ending_in_two_days_is_expiring_and_kept_through_a_refresh() {
    let end = NOW + 2 * DAY;
    let mut login = claude_login(STORED_ACCESS, STORED_REFRESH, NOW - 60_000);
    login["claudeAiOauth"]["refreshTokenExpiresAt"] = json!(end);
    let mut host = Host::default().reply(200, tokens());
    host.files.insert(CLAUDE_FILE.into(), login.to_string());
    let (done, printed) = host.run(&mut status_check());
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Expiring, "{all}");
    assert!(all.contains("- anthropic:claude-cli expiring: sign-in ends in 2d: Sign in again"), "{all}");
    assert_eq!(host.store()["profiles"]["anthropic:claude-cli"]["refreshExpires"], json!(end));

    let (done, printed) = host.run(&mut doctor());
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Action, "a person must sign in again: {all}");
    assert!(all.contains("- anthropic:claude-cli: expiring: sign-in ends in 2d — Sign in again"), "{all}");

    let (done, printed) = host.run(&mut refresh_claude());
    assert_eq!(done.exit, Exit::Ok, "{}", all_text(&done, &printed));
    assert_eq!(
        host.store()["profiles"]["anthropic:claude-cli"]["refreshExpires"],
        json!(end),
        "refreshing does not extend it"
    );
    let back: Value = serde_json::from_str(&host.files[CLAUDE_FILE]).expect("json");
    assert_eq!(back["claudeAiOauth"]["refreshTokenExpiresAt"], json!(end));
    let (done, _) = host.run(&mut status_check());
    assert_eq!(done.exit, Exit::Expiring, "still ending after the refresh");
}

fn read_only_host(claude_expires: Millis) -> Host {
    let mut host = Host::default().reply(200, tokens());
    host.files.insert(CONFIG.into(), json!({"auth": {"loginSources": {"claude-cli": {"readOnly": true}}}}).to_string());
    host.files.insert(CLAUDE_FILE.into(), claude_login(STORED_ACCESS, STORED_REFRESH, claude_expires).to_string());
    host
}

/// `auth.loginSources.claude-cli.readOnly`: the login is synced and
/// reported, never refreshed nor written back; expired, every command
/// says to run `claude`, and nothing is sent, locked or written of Claude
/// Code's.
#[test]
fn a_read_only_claude_login_is_synced_and_never_refreshed_or_written_back() {
    let mut host = read_only_host(NOW - 60_000);
    let (done, printed) = host.run(&mut refresh_claude());
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Action, "{all}");
    let events: Vec<_> = host.emitted.iter().chain(&done.events).collect();
    assert!(
        said(events.iter().copied(), Severity::Error).iter().any(|e| e
            .starts_with("anthropic:claude-cli: the login is read-only here (auth.loginSources.claude-cli.readOnly)")),
        "{all}"
    );
    assert!(
        hints_in(events.iter().copied()).iter().any(|h| h.starts_with("Run `claude` on the gateway host")),
        "{all}"
    );
    let (done, printed) = host.run(&mut token(false));
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Action, "{all}");
    assert!(all.contains("Run `claude` on the gateway host"), "{all}");
    let (done, printed) = host.run(&mut status_check());
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Action, "{all}");
    assert!(
        all.contains("- anthropic:claude-cli expired 1m ago (read-only here): Run `claude` on the gateway host"),
        "{all}"
    );
    let (done, printed) =
        host.run(&mut DoctorCommand::new(DoctorRequest { yes: true, ..DoctorRequest::default() }, &env(), NOW));
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Action, "{all}");
    assert!(all.contains("- anthropic:claude-cli: expired 1m ago — Run `claude` on the gateway host"), "{all}");
    assert!(host.posts.is_empty(), "nothing sent: {:?}", host.asked);
    assert!(!host.asked.iter().any(|a| a.starts_with("back ") || a.starts_with("lock /h/.claude")), "{:?}", host.asked);
    assert_eq!(host.store()["profiles"]["anthropic:claude-cli"]["access"], STORED_ACCESS, "synced all the same");

    // Claude Code renewed it: the next command takes it, sending nothing.
    host.files.insert(CLAUDE_FILE.into(), claude_login(NEW_ACCESS, NEW_REFRESH, NOW + 8 * HOUR).to_string());
    let (done, printed) = host.run(&mut token(false));
    assert_eq!(
        (done.exit, text(&done.lines(), Stream::Stdout)),
        (Exit::Ok, NEW_ACCESS.to_string()),
        "{}",
        all_text(&done, &printed)
    );
    let (done, _) = host.run(&mut status_check());
    assert_eq!(done.exit, Exit::Ok, "a read-only login that works is ok, not expiring all day");
    assert!(host.posts.is_empty());
}

/// Read-only, still valid but inside the refresh window: the key is
/// handed out as it is, without a lock or a request, with a word that it
/// expires sooner than `--min-valid` and that running `claude` renews it
/// (issue 23 item 8); `--force` (a client got a 401) cannot refresh it
/// either and says to run `claude`.
#[test]
fn a_read_only_login_inside_the_refresh_window_is_handed_out_as_it_is() {
    let mut host = read_only_host(NOW + 3 * 60_000);
    let (done, printed) = host.run(&mut token(false));
    assert_eq!(done.exit, Exit::Ok, "{}", all_text(&done, &printed));
    assert_eq!(text(&done.lines(), Stream::Stdout), STORED_ACCESS);
    let events: Vec<_> = host.emitted.iter().chain(&done.events).collect();
    assert_eq!(
        said(events.iter().copied(), Severity::Warning),
        ["anthropic:claude-cli: the key expires in 3m, sooner than --min-valid (10m)"],
        "{}",
        all_text(&done, &printed)
    );
    assert!(
        hints_in(events.iter().copied()).iter().any(|h| h.starts_with("Run `claude` on the gateway host")),
        "{events:?}"
    );
    assert!(host.posts.is_empty() && !host.asked.iter().any(|a| a.starts_with("lock /h/.claude")), "{:?}", host.asked);
    // With the sync saved, not even our store's lock is taken.
    host.asked.clear();
    let (done, printed) = host.run(&mut token(false));
    assert_eq!(done.exit, Exit::Ok, "{}", all_text(&done, &printed));
    let (done, printed) = host.run(&mut refresh_claude());
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Ok, "{all}");
    assert!(all.contains("anthropic:claude-cli: read-only here: left for its own tool to renew"), "{all}");
    assert!(!host.asked.iter().any(|a| a.starts_with("lock ") || a.starts_with("send ")), "{:?}", host.asked);
    let (done, printed) = host.run(&mut token(true));
    let all = all_text(&done, &printed);
    assert_eq!(done.exit, Exit::Action, "{all}");
    assert!(all.contains("read-only here") && all.contains("Run `claude`"), "{all}");
    assert!(host.posts.is_empty());
}

/// The default stays: without the switch the same expired login is
/// refreshed under Claude Code's lock and written back.
#[test]
fn without_the_switch_claude_codes_login_is_refreshed_and_written_back() {
    let mut host = read_only_host(NOW - 60_000);
    host.files.remove(CONFIG);
    let (done, printed) = host.run(&mut refresh_claude());
    assert_eq!(done.exit, Exit::Ok, "{}", all_text(&done, &printed));
    assert_eq!(host.posts.len(), 1);
    assert!(
        host.asked.iter().any(|a| a.starts_with("lock /h/.claude"))
            && host.asked.iter().any(|a| a.starts_with("back "))
    );
}
