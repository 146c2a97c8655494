//! `clawdbot doctor --json | --fix | --force | --deep | --all-agents`, and
//! doctor ending a cooldown whose cause is gone, through the real binary.

mod refresh_common;

use refresh_common::{Home, NOW, Server, code, stderr, stdout};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;

fn doctor(home: &Home, args: &[&str]) -> std::process::Output {
    let server = Server::start(Vec::new());
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    home.clawdbot(&server).args(&all).output().expect("clawdbot runs")
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

fn ids(doc: &Value) -> Vec<String> {
    doc["findings"].as_array().unwrap().iter().map(|f| f["checkId"].as_str().unwrap().to_string()).collect()
}

/// An expired token, a billing disable, a provider in use without
/// credentials, and a store others can read.
fn troubled_home() -> Home {
    let home = Home::new();
    let store = json!({"version": 1,
        "profiles": {
            "anthropic:old": {"type": "token", "provider": "anthropic", "token": "sk-ant-oat01-FAKE", "expires": NOW - 1000},
            "anthropic:key": {"type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-FAKE"}},
        "usageStats": {"anthropic:key": {"disabledUntil": NOW + 3_600_000, "disabledReason": "billing"}}});
    home.write(&home.store_path(), &store.to_string());
    std::fs::set_permissions(home.store_path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    home.write(
        &home.path().join(".clawdbot/clawdbot.json"),
        r#"{"agents":{"defaults":{"model":{"primary":"openai/gpt-5"}}}}"#,
    );
    home
}

#[test]
fn doctor_json_is_one_document_with_stable_check_ids() {
    let home = troubled_home();
    let out = doctor(&home, &["--json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let doc = json_of(&out);
    assert_eq!((doc["ok"].clone(), doc["agentId"].clone()), (json!(false), json!("main")));
    let found = ids(&doc);
    for id in ["auth/profile-expired", "auth/cooldown", "auth/missing-provider", "auth/permissions"] {
        assert!(found.iter().any(|f| f == id), "{id} missing from {found:?}");
    }
    let expired = doc["findings"].as_array().unwrap().iter().find(|f| f["checkId"] == "auth/profile-expired").unwrap();
    assert_eq!((expired["severity"].as_str(), expired["target"].as_str()), (Some("error"), Some("anthropic:old")));
    // Every exposed credential path is a finding of its own, the store's among them.
    let perms: Vec<&serde_json::Value> =
        doc["findings"].as_array().unwrap().iter().filter(|f| f["checkId"] == "auth/permissions").collect();
    assert!(perms.iter().any(|f| f["path"] == "~/.clawdbot/agents/main/agent/auth-profiles.json"), "{perms:?}");
    let mode = std::fs::metadata(home.store_path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "--json alone repairs nothing");
    // Every id doctor can report is documented.
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/doctor.md")).unwrap();
    for id in clawdbot_auth_core::rules::doctor_checks::ALL {
        assert!(docs.contains(&format!("`{id}`")), "{id} is not in docs/doctor.md");
    }
}

#[test]
fn fix_is_repair_and_force_and_deep_are_accepted() {
    let home = troubled_home();
    let out = doctor(&home, &["--fix", "--force", "--deep", "--json"]);
    assert_eq!(code(&out), 1, "the expired token and the missing provider still need a person");
    let doc = json_of(&out);
    assert!(!ids(&doc).contains(&"auth/permissions".to_string()), "{doc}");
    assert!(doc["changes"].as_array().unwrap().iter().any(|c| c.as_str().unwrap().contains("made private")), "{doc}");
    let mode = std::fs::metadata(home.store_path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = doctor(&troubled_home(), &["--fix", "--force", "--deep"]);
    assert_eq!(code(&text), 1);
    assert!(stdout(&text).contains("Doctor: action needed"), "{}", stdout(&text));
    // Issue 23 item 20: --non-interactive only takes the prompts away.
    let home = troubled_home();
    let unattended = doctor(&home, &["--fix", "--non-interactive", "--yes", "--json"]);
    assert_eq!(code(&unattended), 1, "{}", stderr(&unattended));
    assert!(!ids(&json_of(&unattended)).contains(&"auth/permissions".to_string()), "{}", stdout(&unattended));
    let mode = std::fs::metadata(home.store_path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn doctor_offers_to_end_a_cooldown_whose_login_was_renewed_and_fix_ends_it() {
    let home = Home::new();
    let store = json!({"version": 1,
        "profiles": {"anthropic:work": {"type": "oauth", "provider": "anthropic", "access": "sk-ant-oat01-FAKE",
                                        "refresh": "sk-ant-ort01-FAKE", "expires": NOW + 8 * 3_600_000}},
        "usageStats": {"anthropic:work": {"cooldownUntil": NOW + 600_000, "errorCount": 3,
                                          "failureCounts": {"auth": 3}, "lastFailureAt": NOW - 60_000}}});
    home.write(&home.store_path(), &store.to_string());
    let out = doctor(&home, &["--json", "--non-interactive"]);
    assert!(ids(&json_of(&out)).contains(&"auth/cooldown-stale".to_string()), "{}", stdout(&out));
    assert!(home.store()["usageStats"]["anthropic:work"].get("cooldownUntil").is_some(), "asked, not done");

    let text = doctor(&home, &["--non-interactive"]);
    assert!(stdout(&text).contains("Stale cooldowns"), "{}", stdout(&text));

    let fixed = doctor(&home, &["--fix", "--json"]);
    let doc = json_of(&fixed);
    assert!(!ids(&doc).iter().any(|id| id.starts_with("auth/cooldown")), "{doc}");
    assert!(doc["changes"].to_string().contains("ended the cooldown of anthropic:work"), "{doc}");
    let stats = &home.store()["usageStats"]["anthropic:work"];
    assert!(stats.get("cooldownUntil").is_none() && stats.get("failureCounts").is_none(), "{stats}");
}

#[test]
fn all_agents_checks_each_and_exits_with_the_worst() {
    let home = Home::new();
    let healthy = json!({"version": 1, "profiles": {"anthropic:k": {"type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-FAKE"}}});
    home.write(&home.store_path(), &healthy.to_string());
    let ops = home.path().join(".clawdbot/agents/ops/agent/auth-profiles.json");
    let expired = json!({"version": 1, "profiles": {"anthropic:t": {"type": "token", "provider": "anthropic", "token": "sk-ant-oat01-FAKE", "expires": NOW - 1}}});
    home.write(&ops, &expired.to_string());
    // Doctor checks every agent's files and the shared folders (issue 14,
    // item 2): all private, so only the credentials speak.
    let state = home.path().join(".clawdbot");
    for dir in [
        home.store_path().parent().unwrap().to_path_buf(),
        ops.parent().unwrap().to_path_buf(),
        state.join("agents/main"),
        state.join("agents/ops"),
        state.join("agents"),
        state.clone(),
    ] {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    for file in [home.store_path(), ops.clone()] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    assert_eq!(code(&doctor(&home, &[])), 0, "the default agent alone is healthy");
    let out = doctor(&home, &["--all-agents", "--json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let doc = json_of(&out);
    let agents: Vec<&str> = doc["agents"].as_array().unwrap().iter().map(|a| a["agentId"].as_str().unwrap()).collect();
    assert_eq!(agents, ["main", "ops"]);
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["agents"][0]["ok"], true);
    let text = doctor(&home, &["--all-agents"]);
    assert!(stdout(&text).contains("== Agent: main ==") && stdout(&text).contains("== Agent: ops =="));
    assert_eq!(code(&doctor(&home, &["--all-agents", "--agent", "ops"])), 64);
}

/// A healthy default agent and an `ops` agent whose token expired.
fn two_agents() -> Home {
    let home = Home::new();
    let healthy = json!({"version": 1, "profiles": {"anthropic:k": {"type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-FAKE"}}});
    home.write(&home.store_path(), &healthy.to_string());
    let ops = home.path().join(".clawdbot/agents/ops/agent/auth-profiles.json");
    let expiring = json!({"version": 1, "profiles": {"anthropic:t": {"type": "token", "provider": "anthropic", "token": "sk-ant-oat01-FAKE", "expires": NOW + 3_600_000}}});
    home.write(&ops, &expiring.to_string());
    // `ops` judged on its own store: it would otherwise inherit main's key.
    let config = json!({"agents": {"list": [{"id": "main", "default": true}, {"id": "ops", "inheritAuth": false}]}});
    home.write(&home.path().join(".clawdbot/clawdbot.json"), &config.to_string());
    home
}

fn models(home: &Home, args: &[&str]) -> std::process::Output {
    let server = Server::start(Vec::new());
    let mut all = vec!["models"];
    all.extend_from_slice(args);
    home.clawdbot(&server).args(&all).output().expect("clawdbot runs")
}

#[test]
fn status_all_agents_reports_each_and_checks_the_worst() {
    let home = two_agents();
    assert_eq!(code(&models(&home, &["status", "--check"])), 0, "the default agent alone is fine");
    let out = models(&home, &["status", "--all-agents", "--check", "--json"]);
    assert_eq!(code(&out), 2, "ops expires within 24 h: {}", stderr(&out));
    let doc = json_of(&out);
    assert_eq!(doc["check"], 2);
    let agents = doc["agents"].as_array().unwrap();
    assert_eq!(agents.iter().map(|a| a["agentId"].as_str().unwrap()).collect::<Vec<_>>(), ["main", "ops"]);
    assert_eq!((agents[0]["check"].clone(), agents[1]["check"].clone()), (json!(0), json!(2)));
    assert!(agents[1]["auth"]["storePath"].as_str().unwrap().contains("agents/ops/agent"), "{doc}");
    let text = models(&home, &["status", "--all-agents"]);
    assert_eq!(code(&text), 0, "without --check the exit is 0");
    assert!(stdout(&text).contains("== Agent: ops =="), "{}", stdout(&text));
    assert_eq!(code(&models(&home, &["status", "--all-agents", "--plain"])), 64);
    assert_eq!(code(&models(&home, &["status", "--all-agents", "--agent", "ops"])), 64);
}

#[test]
fn models_json_is_status_json() {
    let home = two_agents();
    let alias = models(&home, &["--json"]);
    assert_eq!(code(&alias), 0, "{}", stderr(&alias));
    assert_eq!(json_of(&alias), json_of(&models(&home, &["status", "--json"])));
    let ops = models(&home, &["--agent", "ops", "--json"]);
    assert!(json_of(&ops)["auth"]["storePath"].as_str().unwrap().contains("agents/ops/agent"));
    assert_eq!(code(&models(&home, &["--json", "status"])), 64, "the alias is for `models` alone");
}
