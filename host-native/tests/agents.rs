//! Many agents on one host (issue 22), through the real binary: an agent
//! inherits the main agent's profiles without a copy, the main agent owns
//! Claude Code's login (one refresh, into its store), and an agent can opt
//! out.

mod refresh_common;

use refresh_common::*;
use serde_json::{Value, json};
use std::path::PathBuf;

/// A home whose config lists `main` (the default) and `work`, `work`
/// with no folder yet, and Claude Code logged in, its access token
/// expiring at `expires_at`.
fn two_agents(expires_at: i64, work: Value) -> Home {
    let home = Home::new();
    let config = json!({"agents": {"list": [{"id": "main", "default": true}, work]}});
    home.write(&home.path().join(".clawdbot/clawdbot.json"), &config.to_string());
    let creds = json!({"claudeAiOauth": {"accessToken": OLD_ACCESS, "refreshToken": OLD_REFRESH,
        "expiresAt": expires_at, "scopes": ["user:inference"], "subscriptionType": "max"}});
    home.write(&home.claude_credentials(), &creds.to_string());
    home
}

fn work_dir(home: &Home) -> PathBuf {
    home.path().join(".clawdbot/agents/work")
}

/// Every file under `dir`, as text.
fn texts_under(dir: &std::path::Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        match path.is_dir() {
            true => all.push_str(&texts_under(&path)),
            false => all.push_str(&std::fs::read_to_string(&path).unwrap_or_default()),
        }
    }
    all
}

#[test]
fn a_new_listed_agent_uses_the_main_agents_login_without_a_copy() {
    let home = two_agents(NOW + 30 * 86_400_000, json!({"id": "work"}));
    let server = Server::start(Vec::new());
    let out = run(&mut home.clawdbot(&server), &["models", "status", "--agent", "work", "--check"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains(
            "anthropic:claude-cli ok, refreshes on use (access token expires in 30d) (claude-cli, inherited from main)"
        ),
        "{}",
        stdout(&out)
    );
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "list", "--agent", "work", "--json"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(doc["profiles"][0]["inheritedFrom"], "main", "{doc}");
    let out = run(&mut home.clawdbot(&server), &["models", "status", "--agent", "work", "--json"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(doc["auth"]["oauth"]["profiles"][0]["inheritedFrom"], "main", "{doc}");
    let out = run(&mut home.clawdbot(&server), &["models", "status", "--agent", "work", "--format", "prometheus"]);
    let metrics = stdout(&out);
    assert!(
        metrics.contains(r#"clawdbot_auth_profile_status{agent="work",owner="main",profile="anthropic:claude-cli""#),
        "{metrics}"
    );
    assert!(!metrics.contains("clawdbot_auth_profile_expiry_timestamp_seconds{"), "the owner's series: {metrics}");
    assert!(!work_dir(&home).exists(), "reading an agent made its folder");
    // The main agent's own status syncs the login into its store, once.
    let out = run(&mut home.clawdbot(&server), &["models", "status", "--check"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(home.store()["profiles"]["anthropic:claude-cli"].is_object());
    assert!(!stdout(&out).contains("inherited"), "{}", stdout(&out));
}

#[test]
fn a_token_through_an_agent_refreshes_the_owners_store_once() {
    let home = two_agents(NOW - 60_000, json!({"id": "work"}));
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let out =
        run(&mut home.clawdbot(&server), &["models", "auth", "token", "--agent", "work", "--provider", "anthropic"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), NEW_ACCESS);
    assert_eq!(server.posts(), 1, "one refresh");
    assert_eq!(home.store()["profiles"]["anthropic:claude-cli"]["access"], NEW_ACCESS, "into the owner's store");
    let claude: Value = serde_json::from_str(&std::fs::read_to_string(home.claude_credentials()).unwrap()).unwrap();
    assert_eq!(claude["claudeAiOauth"]["refreshToken"], NEW_REFRESH, "and Claude Code's file");
    let work = texts_under(&work_dir(&home));
    assert!(!work.contains("sk-ant-"), "the agent's folder holds a secret: {work}");
    // The next request, for either agent, needs no refresh.
    for agent in ["work", "main"] {
        let out =
            run(&mut home.clawdbot(&server), &["models", "auth", "token", "--agent", agent, "--provider", "anthropic"]);
        assert_eq!((code(&out), stdout(&out).trim()), (0, NEW_ACCESS), "{agent}: {}", stderr(&out));
    }
    assert_eq!(server.posts(), 1);
}

#[test]
fn an_agent_that_opted_out_inherits_nothing() {
    let home = two_agents(NOW + 30 * 86_400_000, json!({"id": "work", "inheritAuth": false}));
    let server = Server::start(Vec::new());
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "list", "--agent", "work", "--json"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(doc["profiles"], json!([]), "neither inherited nor copied: {doc}");
    let out = run(&mut home.clawdbot(&server), &["models", "status", "--agent", "work", "--check"]);
    assert_eq!(code(&out), 1, "nothing for anthropic: {}", stdout(&out));
    assert!(!work_dir(&home).exists());
}

#[test]
fn an_agents_own_profile_wins_over_the_inherited_one_and_is_never_written_twice() {
    let home = two_agents(NOW + 30 * 86_400_000, json!({"id": "work"}));
    let server = Server::start(Vec::new());
    let main_key = json!({"version": 1, "profiles": {
        "openai:default": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-main-0123456789"},
        "groq:default": {"type": "api_key", "provider": "groq", "key": "gsk-FAKE-main-0123456789"}}});
    home.write(&home.store_path(), &main_key.to_string());
    let work_store = work_dir(&home).join("agent/auth-profiles.json");
    let own = json!({"version": 1, "profiles": {
        "openai:default": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-work-0123456789"}}});
    home.write(&work_store, &own.to_string());
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "token", "--agent", "work", "--provider", "openai"]);
    assert_eq!(stdout(&out).trim(), "sk-FAKE-work-0123456789", "{}", stderr(&out));
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "token", "--agent", "work", "--provider", "groq"]);
    assert_eq!(stdout(&out).trim(), "gsk-FAKE-main-0123456789", "{}", stderr(&out));
    // An edit of the agent's store (an order) writes only its own profiles.
    let out = run(
        &mut home.clawdbot(&server),
        &["models", "auth", "order", "set", "--agent", "work", "--provider", "openai", "openai:default"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = std::fs::read_to_string(&work_store).unwrap();
    assert!(!text.contains("gsk-FAKE-main") && !text.contains("claude-cli"), "{text}");
}

/// The journey of the issue: a paste for `work` records its profile's
/// mode in the shared `clawdbot.json`; the main agent, which does not
/// hold that profile, keeps using Claude Code's login.
#[test]
fn a_paste_for_one_agent_leaves_the_others_provider_alone() {
    let home = two_agents(NOW + 30 * 86_400_000, json!({"id": "work"}));
    let server = Server::start(Vec::new());
    let check =
        |agent: &str| code(&run(&mut home.clawdbot(&server), &["models", "status", "--agent", agent, "--check"]));
    assert_eq!(check("main"), 0);
    let token = "sk-ant-oat01-FAKE-work-0123456789-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghij";
    let mut paste = home.clawdbot(&server);
    paste.args(["models", "auth", "setup-token", "--agent", "work"]).stdin(std::process::Stdio::piped());
    paste.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = paste.spawn().expect("runs");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(token.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("ends");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(home.path().join(".clawdbot/clawdbot.json")).unwrap()).unwrap();
    assert!(config["auth"]["profiles"]["anthropic:default"].is_object(), "the mode is recorded: {config}");
    assert_eq!(check("main"), 0, "main still uses its Claude Code login");
    let out = run(&mut home.clawdbot(&server), &["models", "status", "--check"]);
    assert!(stdout(&out).contains("anthropic ok via anthropic:claude-cli"), "{}", stdout(&out));
    assert_eq!(check("work"), 0);
    let out =
        run(&mut home.clawdbot(&server), &["models", "auth", "token", "--agent", "work", "--provider", "anthropic"]);
    assert_eq!(stdout(&out).trim(), token, "work uses its own token: {}", stderr(&out));
}

/// A failed command leaves no folder behind: an order set refused for a
/// listed agent that has no folder yet takes the store lock (which needs
/// the folder) and removes what it made when it lets go.
#[test]
fn a_refused_edit_leaves_no_agent_folder() {
    let home = two_agents(NOW + 30 * 86_400_000, json!({"id": "work"}));
    let server = Server::start(Vec::new());
    let out = run(
        &mut home.clawdbot(&server),
        &["models", "auth", "order", "set", "--agent", "work", "--provider", "anthropic", "anthropic:nope"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(!work_dir(&home).exists(), "the refused edit left {}", work_dir(&home).display());
    assert!(home.path().join(".clawdbot/clawdbot.json").exists());
}

/// A copy an older sync left in an agent's store keeps working, and doctor
/// offers to drop it when it is the owner's very credential.
#[test]
fn doctor_drops_an_agents_copy_of_the_owners_login_with_consent() {
    let home = two_agents(NOW + 30 * 86_400_000, json!({"id": "work"}));
    let server = Server::start(Vec::new());
    // main syncs Claude Code's login; an older version copied it into work.
    let out = run(&mut home.clawdbot(&server), &["models", "status"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let work_store = work_dir(&home).join("agent/auth-profiles.json");
    home.write(&work_store, &home.store_text());
    let out = run(&mut home.clawdbot(&server), &["models", "status", "--agent", "work", "--check"]);
    assert_eq!(code(&out), 0, "the copy keeps working: {}", stdout(&out));
    assert!(!stdout(&out).contains("inherited"), "its own copy wins: {}", stdout(&out));

    let out = run(&mut home.clawdbot(&server), &["doctor", "--agent", "work", "--json", "--non-interactive"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let found = doc["findings"].as_array().expect("findings");
    assert!(found.iter().any(|f| f["checkId"] == "auth/inherited-copy"), "{doc}");
    assert!(std::fs::read_to_string(&work_store).unwrap().contains("claude-cli"), "nothing dropped without consent");

    let out = run(&mut home.clawdbot(&server), &["doctor", "--agent", "work", "--yes"]);
    assert!(stdout(&out).contains("Copies of inherited profiles"), "{}", stdout(&out));
    let text = std::fs::read_to_string(&work_store).unwrap();
    assert!(!text.contains("sk-ant-"), "the copy is gone: {text}");
    let out = run(&mut home.clawdbot(&server), &["models", "status", "--agent", "work", "--check"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("(claude-cli, inherited from main)"), "{}", stdout(&out));
}
