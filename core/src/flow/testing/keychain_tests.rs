//! Which commands read the Keychain: the flows decide (a read can show a
//! macOS prompt, so only commands that need the login, or that someone
//! answers, ask), and the host answers every read it is asked. This is the
//! table the CLI kept as one boolean per command before; each row here
//! runs the command against the scripted host and sees whether it asked.

use super::script::{Host, NOW, env};
use super::*;
use crate::secret::Secret;
use serde_json::json;

/// A store with one profile of each kind a command may act on.
fn host() -> Host {
    let mut host = Host::with_store(&json!({"version": 1, "profiles": {
        "anthropic:work": {"type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-FAKE"},
    }}));
    host.secret = Some(Ok(Secret::new("sk-ant-oat01-FAKE-pasted-0123456789")));
    host
}

/// Whether `flow`, run to its end, asked for a Keychain item.
fn reads(mut flow: impl Flow) -> bool {
    let mut host = host();
    host.run(&mut flow);
    !host.keychain.is_empty()
}

fn status() -> StatusCommand {
    StatusCommand::new(StatusRequest::bare(false, false, None, false), &env(), NOW)
}

fn setup(terminal: bool) -> SetupCommand {
    SetupCommand::new("anthropic", SetupRequest { terminal, ..SetupRequest::default() }, false, &env(), NOW)
}

fn doctor(terminal: bool) -> DoctorCommand {
    DoctorCommand::new(DoctorRequest { terminal, ..DoctorRequest::default() }, &env(), NOW)
}

#[test]
fn commands_that_need_the_login_read_the_keychain() {
    let token = TokenRequest { provider: "anthropic".into(), profile: None, agent: None, force: false };
    assert!(reads(status()), "models status");
    assert!(reads(TokenCommand::new(token, &env(), NOW)), "models auth token");
    assert!(reads(ListCommand::new(&env(), None, None, false, NOW)), "models auth list");
    assert!(
        reads(SyncCommand::enable(&env(), None, "claude-cli", NOW).expect("a source")),
        "models auth sync --enable"
    );
    assert!(reads(RefreshCommand::new(Selection::All, false, None, &env(), NOW)), "models auth refresh");
}

#[test]
fn doctor_and_setup_token_read_it_only_with_someone_to_answer_the_prompt() {
    assert!(reads(doctor(true)), "doctor on a terminal");
    assert!(!reads(doctor(false)), "doctor without one");
    // `doctor --yes` refreshes a login that is due without a terminal,
    // and its refresh does not read the Keychain either.
    let due = Host::with_store(&json!({"version": 1, "profiles": {"anthropic:work": {
        "type": "oauth", "provider": "anthropic", "access": "sk-ant-oat01-FAKE", "refresh": "sk-ant-ort01-FAKE",
        "expires": NOW + 60_000}}}));
    let mut yes = DoctorCommand::new(DoctorRequest { yes: true, ..DoctorRequest::default() }, &env(), NOW);
    let mut host = due;
    host.run(&mut yes);
    assert!(host.asked.iter().any(|a| a.starts_with("send ")), "doctor --yes refreshed: {:?}", host.asked);
    assert!(host.keychain.is_empty(), "without a terminal: {:?}", host.keychain);
    assert!(reads(setup(true)), "setup-token on a terminal");
    assert!(!reads(setup(false)), "setup-token without one");
}

#[test]
fn commands_that_only_edit_the_store_never_read_it() {
    let paste_token = PasteTokenRequest { provider: "anthropic".into(), ..PasteTokenRequest::default() };
    let paste_key =
        PasteKeyRequest { provider: "openai".into(), profile_id: None, agent: None, create_agent: false, force: false };
    let remove = RemoveRequest { profile_id: "anthropic:work".into(), agent: None, yes: true, dry_run: false };
    let clear = CooldownTarget::All;
    assert!(
        !reads(AddCommand::new(AddRequest { agent: None, create_agent: false, terminal: true }, &env(), NOW)),
        "models auth add"
    );
    assert!(!reads(PasteTokenCommand::new(paste_token, &env(), NOW)), "models auth paste-token");
    assert!(!reads(PasteKeyCommand::new(paste_key, &env(), NOW)), "models auth paste-key");
    assert!(!reads(RemoveCommand::new(remove, &env(), NOW)), "models auth remove");
    assert!(!reads(CooldownCommand::clear(&env(), None, clear, NOW)), "models auth cooldown clear");
    let get = OrderRequest::Get { provider: "anthropic".into(), json: false, resolved: true };
    let set = OrderRequest::Set { provider: "anthropic".into(), profile_ids: vec!["anthropic:work".into()] };
    let clear = OrderRequest::Clear { provider: "anthropic".into() };
    for request in [get, set, clear] {
        assert!(!reads(OrderCommand::new(request.clone(), None, &env(), NOW)), "models auth order {request:?}");
    }
}

/// Claude Code 2.1.3xx's overflow items, made apart with Node's `crypto`
/// (AES-256-GCM, a 12-byte IV of 0x01, the key 32 bytes of 0x07), as
/// credential-formats.md §9.1 describes them.
mod overflow {
    use super::*;
    use crate::sources::claude_overflow::{open, pointer};
    use serde_json::Value;

    /// Base64 of 32 bytes of 0x07.
    const KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
    /// `{"claudeAiOauth": {accessToken: sk-ant-oat01-FAKE-OLD, refreshToken:
    /// sk-ant-ort01-FAKE-OLD, expiresAt: NOW - 60 s, scopes, subscriptionType:
    /// max}, "enterpriseGateway": {"url": ...}}`, sealed.
    const SEALED_LOGIN: &str = "AQEBAQEBAQEBAQEBDcPq2/HKiGuQvZNABUMYE5KANpV79F5gK2UsCQPaFIHgwWOd/X3xrTETPDvwU6jYxV7ETRH63XOAMMJupEf2/f2INVVg7gwPEDM0AcVQLPch+1MGLoxaZmkcVr38uvMsaKRv/t+ib4xALUiYV4x03ChA9gfjWj2jjIHwR/YZ/Ot+NvZsomfit1ig7zQJMmacbeBODGW0LdNHp0JUyFhgJrckYkHKSzMu+KWISkm/EMxLPTMPca6QfryHgalzh0WWddtqQ+6uKXn9B9xR8uiN4Pa8My90YgRPT+OEBnykXy503xdLRbDchElB+BwZyAkOZA+9b1S+plo=";
    /// `{"designOauth": {...}, "mcpOAuth": {"srv|1": {...}}}`, sealed.
    const SEALED_GRANTS: &str = "AQEBAQEBAQEBAQEBDcPt0uPWi2CetalVGBVKSoqad5d95EhHN1omDESOFN+nwWHX8j7DwRU3anbtXIP6/lSodynW3WXZYNR6oF60t5OcfENrvkBIERZ4Dc4GO7og/RUVL+h6Tk9UaoLs97RrY/4ltcCkbOByTjnsQsc+k5XkBEfVl1KmsswPx52K+Oc=";
    /// sha256(`[null]`) and sha256(`[]`), first 16 hex: the pointer of a
    /// main item whose login moved, without organisation sections.
    const LOGIN_NULL: &str = "1d8fc6ceb1f94c63";
    const MEMBER_EMPTY: &str = "4f53cda18c2baa0c";
    /// sha256 of `[claudeAiOauth]` for [`old_login`].
    const LOGIN_OLD: &str = "d0e29b3ad14a9d25";
    const NEW_BODY: &str =
        r#"{"access_token":"sk-ant-oat01-FAKE-NEW","refresh_token":"sk-ant-ort01-FAKE-NEW","expires_in":28800}"#;

    fn item(service: &str) -> KeychainItem {
        KeychainItem { service: service.into(), account: "claude-code-user".into() }
    }

    fn main_item() -> KeychainItem {
        item("Claude Code-credentials")
    }

    fn old_login() -> Value {
        json!({"accessToken": "sk-ant-oat01-FAKE-OLD", "refreshToken": "sk-ant-ort01-FAKE-OLD",
               "expiresAt": NOW - 60_000, "scopes": ["user:inference"], "subscriptionType": "max"})
    }

    /// A main item whose login is sealed in `-overflow-a`.
    fn sealed_login_host() -> Host {
        let mut host = Host::default();
        let main = json!({"mcpOAuth": {}, "organizationUuid": "",
            "keychainOverflow": {"slot": "a", "key": KEY, "login": LOGIN_NULL, "organizationUuid": "", "member": MEMBER_EMPTY}});
        host.items.insert(main_item(), main.to_string());
        host.items.insert(item("Claude Code-credentials-overflow-a"), SEALED_LOGIN.into());
        host
    }

    fn refresh(host: &mut Host) -> (Done, Vec<Line>) {
        let mut flow = RefreshCommand::new(Selection::Profile("anthropic:claude-cli".into()), false, None, &env(), NOW);
        host.run(&mut flow)
    }

    fn status(host: &mut Host) -> String {
        let (_, lines) = host.run(&mut super::status());
        lines.iter().map(|l| l.text.clone()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn a_login_sealed_in_the_overflow_is_read_refreshed_and_resealed() {
        let mut host = sealed_login_host().reply(200, NEW_BODY);
        let (done, lines) = refresh(&mut host);
        assert_eq!(done.exit, Exit::Ok, "{done:?} {lines:?}");
        // Read: the main item, then the overflow its pointer names.
        assert_eq!(host.keychain[..2], [main_item(), item("Claude Code-credentials-overflow-a")]);
        assert_eq!(host.store()["profiles"]["anthropic:claude-cli"]["access"], "sk-ant-oat01-FAKE-NEW");
        // Written back: the other slot first, then the main item naming it.
        let back: Vec<&String> = host.asked.iter().filter(|a| a.starts_with("back ")).collect();
        assert_eq!(
            back,
            [
                "back sealed keychain Claude Code-credentials-overflow-b claude-code-user",
                "back keychain Claude Code-credentials claude-code-user"
            ]
        );
        let main: Value = serde_json::from_str(&host.items[&main_item()]).expect("JSON");
        let main = main.as_object().expect("an object");
        let ptr = pointer(main).expect("a pointer");
        assert_eq!(main["keychainOverflow"]["slot"], "b");
        assert_ne!(main["keychainOverflow"]["key"], KEY, "a new key");
        assert_eq!(main["keychainOverflow"]["login"], LOGIN_NULL, "the rest of the pointer kept");
        assert!(!main.contains_key("claudeAiOauth"), "the login stays sealed");
        let sections = open(&ptr, &host.items[&item("Claude Code-credentials-overflow-b")]).expect("opens");
        let login = &sections["claudeAiOauth"];
        assert_eq!(
            (login["accessToken"].as_str(), login["refreshToken"].as_str()),
            (Some("sk-ant-oat01-FAKE-NEW"), Some("sk-ant-ort01-FAKE-NEW"))
        );
        assert_eq!(login["subscriptionType"], "max", "every other field kept");
        assert_eq!(sections["enterpriseGateway"], json!({"url": "https://gw.example.invalid"}));
        assert_eq!(host.items[&item("Claude Code-credentials-overflow-a")], SEALED_LOGIN, "the old slot is left");
    }

    #[test]
    fn a_login_in_the_main_item_is_written_there_and_rebound_to_its_grants() {
        let mut host = Host::default().reply(200, NEW_BODY);
        let main = json!({"claudeAiOauth": old_login(),
            "keychainOverflow": {"slot": "a", "key": KEY, "login": LOGIN_OLD, "member": MEMBER_EMPTY}});
        host.items.insert(main_item(), main.to_string());
        host.items.insert(item("Claude Code-credentials-overflow-a"), SEALED_GRANTS.into());
        let (done, lines) = refresh(&mut host);
        assert_eq!(done.exit, Exit::Ok, "{done:?} {lines:?}");
        let back: Vec<&String> = host.asked.iter().filter(|a| a.starts_with("back keychain")).collect();
        assert_eq!(back, ["back keychain Claude Code-credentials claude-code-user"], "the overflow is left as it is");
        assert_eq!(host.items[&item("Claude Code-credentials-overflow-a")], SEALED_GRANTS);
        let written: Value = serde_json::from_str(&host.items[&main_item()]).expect("JSON");
        let written = written.as_object().expect("an object");
        assert_eq!(written["claudeAiOauth"]["accessToken"], "sk-ant-oat01-FAKE-NEW");
        assert_eq!(written["keychainOverflow"]["key"], KEY);
        assert_ne!(written["keychainOverflow"]["login"], LOGIN_OLD, "re-derived from the new login");
        // Claude Code's join still restores the grants the login holds.
        let sections = open(&pointer(written).expect("a pointer"), SEALED_GRANTS).expect("opens");
        let joined = crate::sources::claude_overflow::join(written, &sections);
        assert_eq!(joined["designOauth"], json!({"accessToken": "design-FAKE"}));
        assert_eq!(joined["mcpOAuth"]["srv|1"]["accessToken"], "mcp-FAKE");
    }

    /// A missing overflow item, a changed tag, text that is not base64:
    /// never a panic, never a secret, always the item that is wrong.
    #[test]
    fn a_broken_overflow_names_its_item_and_shows_no_secret() {
        let mut tampered = SEALED_LOGIN.as_bytes().to_vec();
        let at = tampered.len() - 6;
        tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
        let cases: [(Option<&str>, &str); 3] = [
            (None, "is missing"),
            (Some(std::str::from_utf8(&tampered).expect("ASCII")), "does not open with the main item's key"),
            (Some("not base64 at all!"), "is not base64"),
        ];
        for (overflow, says) in cases {
            let mut host = sealed_login_host();
            let overflow_item = item("Claude Code-credentials-overflow-a");
            match overflow {
                Some(text) => host.items.insert(overflow_item, text.into()),
                None => host.items.remove(&overflow_item),
            };
            let shown = status(&mut host);
            assert!(
                shown.contains("Claude Code keychain item: keychainOverflow: holds its login in Claude Code keychain item's overflow (Claude Code-credentials-overflow-a), which ")
                    && shown.contains(says),
                "{says}: {shown}"
            );
            assert!(!shown.contains("FAKE") && !shown.contains(KEY), "{shown}");
        }
    }

    #[test]
    fn a_lost_overflow_leaves_a_main_item_login_readable_and_says_so() {
        let mut host = Host::default();
        let main = json!({"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE", "refreshToken": "r", "expiresAt": NOW + 3_600_000},
            "keychainOverflow": {"slot": "b", "key": KEY}});
        host.items.insert(main_item(), main.to_string());
        let shown = status(&mut host);
        assert!(shown.contains("Claude Code keychain item's overflow (Claude Code-credentials-overflow-b): keychainOverflow: is missing; Claude Code reads its login without the sections it moved there"), "{shown}");
        assert!(shown.contains("anthropic:claude-cli"), "{shown}");
    }
}
