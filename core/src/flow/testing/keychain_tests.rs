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
    let request = StatusRequest {
        json: false,
        plain: false,
        format: None,
        check: false,
        strict: false,
        agent: None,
        all_agents: false,
        warn_within: crate::defaults::WARN_WITHIN.into(),
        terminal: false,
        probe: None,
    };
    StatusCommand::new(request, &env(), NOW)
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
