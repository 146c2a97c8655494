//! The management commands through the real binary on temporary homes:
//! `models auth list`, `remove`/`logout`, `cooldown clear`,
//! `paste-api-key`, `sync --enable`, and `--agent` at every level.

mod refresh_common;

use refresh_common::{Home, NOW, Server, code, stderr, stdout};
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// A canary whose middle no mask shows: any output holding it leaked it.
const CANARY: &str = "sk-FAKE-key-0123456789-CANARYMIDDLE-abcdefgh";

fn clawdbot(home: &Home, args: &[&str]) -> Output {
    clawdbot_with_stdin(home, args, b"")
}

fn clawdbot_with_stdin(home: &Home, args: &[&str], input: &[u8]) -> Output {
    // No request of these commands reaches the network; the server only
    // gives the shared command builder a URL.
    let server = Server::start(Vec::new());
    let mut cmd: Command = home.clawdbot(&server);
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("clawdbot runs");
    // A command that refuses before it reads (a reserved id) may exit
    // first: the pipe is then closed, which is not the test's failure.
    match child.stdin.take().expect("stdin").write_all(input) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.expect("write stdin"),
    }
    child.wait_with_output().expect("clawdbot ends")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

fn home_with(store: Value) -> Home {
    let home = Home::new();
    home.write(&home.store_path(), &store.to_string());
    home
}

/// Two anthropic keys in an order override, the first disabled for
/// billing an hour from now, and Claude Code logged in.
fn billing_home() -> Home {
    let home = home_with(json!({"version": 1,
        "profiles": {
            "anthropic:work": {"type": "api_key", "provider": "anthropic", "key": CANARY},
            "anthropic:spare": {"type": "api_key", "provider": "anthropic", "key": "sk-FAKE-spare-0123456789-abcdefgh"}},
        "order": {"anthropic": ["anthropic:work", "anthropic:spare"]},
        "lastGood": {"anthropic": "anthropic:work"},
        "usageStats": {"anthropic:work": {"disabledUntil": NOW + 3_600_000, "disabledReason": "billing",
                                          "errorCount": 1, "failureCounts": {"billing": 1}, "lastFailureAt": NOW - 1000}}}));
    home.write(
        &home.claude_credentials(),
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-FAKE-claude-CANARYMIDDLE-0123","refreshToken":"sk-ant-ort01-FAKE","expiresAt":1769817600000}}"#,
    );
    home
}

fn assert_no_canary(out: &Output) {
    let all = format!("{}{}", stdout(out), stderr(out));
    assert!(!all.contains("CANARYMIDDLE"), "a secret leaked:\n{all}");
}

#[test]
fn list_shows_every_source_status_and_backoff_with_masked_secrets() {
    let home = billing_home();
    let out = clawdbot(&home, &["models", "auth", "list", "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_no_canary(&out);
    let doc = json_of(&out);
    assert_eq!(doc["agentId"], "main");
    assert_eq!(doc["storePath"], "~/.clawdbot/agents/main/agent/auth-profiles.json");
    let profiles = doc["profiles"].as_array().unwrap();
    let work = &profiles[0];
    assert_eq!(work["id"], "anthropic:work");
    assert_eq!((work["status"].as_str(), work["reasonCode"].as_str()), (Some("disabled"), Some("disabled-billing")));
    assert_eq!(work["disabledUntil"], "2026-01-01T01:00:00Z");
    assert_eq!(work["disabledReason"], "billing");
    assert!(work["recoveryHint"].as_str().unwrap().contains("cooldown clear anthropic:work"));
    assert!(work.get("expiresAt").is_none() && work.get("cooldownUntil").is_none(), "absent fields are omitted");
    let claude = profiles.iter().find(|p| p["id"] == "anthropic:claude-cli").expect("synced profile listed");
    assert_eq!((claude["source"].as_str(), claude["type"].as_str()), (Some("claude-code"), Some("oauth")));
    assert_eq!(claude["expiresAt"], "2026-01-31T00:00:00Z");

    let text = clawdbot(&home, &["models", "auth", "list"]);
    assert_eq!(code(&text), 0);
    assert_no_canary(&text);
    assert!(stdout(&text).contains("secret: sk-FAKE-...abcdefgh"), "{}", stdout(&text));
    assert!(stdout(&text).contains("(anthropic/oauth, Claude Code): ok"), "{}", stdout(&text));
    let store_before = home.store_text();
    assert_eq!(home.store_text(), store_before, "a list writes nothing");
}

#[test]
fn list_filters_by_provider_and_shows_env_keys_masked() {
    let home = billing_home();
    let server = Server::start(Vec::new());
    let out = home
        .clawdbot(&server)
        .args(["models", "auth", "list", "--provider", "openai", "--json"])
        .env("OPENAI_API_KEY", "sk-FAKE-env-0123456789-CANARYMIDDLE-zz")
        .output()
        .unwrap();
    assert_no_canary(&out);
    let doc = json_of(&out);
    let ids: Vec<&str> = doc["profiles"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["env:OPENAI_API_KEY"]);
    assert_eq!(doc["profiles"][0]["source"], "env");
}

#[test]
fn a_removed_synced_login_survives_the_next_sync_until_enabled() {
    let home = billing_home();
    let out = clawdbot(&home, &["models", "auth", "remove", "anthropic:claude-cli", "--yes"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("Claude Code's own login is untouched"), "{}", stdout(&out));
    assert!(home.claude_credentials().exists(), "Claude Code's file is left alone");
    // The next commands load (and sync) again: the login stays out.
    for args in [&["models", "status", "--json"][..], &["models", "auth", "list", "--json"][..]] {
        let out = clawdbot(&home, args);
        assert!(!stdout(&out).contains("anthropic:claude-cli"), "{args:?} brought it back: {}", stdout(&out));
    }
    assert!(home.store()["profiles"].get("anthropic:claude-cli").is_none());
    assert_eq!(home.store()["syncDisabled"], json!(["anthropic:claude-cli"]));

    let out = clawdbot(&home, &["models", "auth", "sync", "--enable", "claude-cli"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(home.store()["profiles"].get("anthropic:claude-cli").is_some(), "synced in again");
    assert!(home.store().get("syncDisabled").is_none());
}

#[test]
fn remove_takes_every_reference_and_the_config_entry() {
    let home = billing_home();
    let config = home.path().join(".clawdbot/clawdbot.json");
    home.write(
        &config,
        "// JSON5, kept as a backup\n{auth: {profiles: {'anthropic:work': {provider: 'anthropic', mode: 'api_key'}}, order: {anthropic: ['anthropic:work']}}}",
    );
    let out = clawdbot(&home, &["models", "auth", "logout", "anthropic:work", "--yes"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_no_canary(&out);
    let store = home.store();
    assert!(store["profiles"].get("anthropic:work").is_none());
    assert_eq!(store["order"]["anthropic"], json!(["anthropic:spare"]));
    assert!(store.get("lastGood").is_none_or(|l| l.get("anthropic").is_none()), "{store}");
    assert!(store.get("usageStats").is_none_or(|u| u.get("anthropic:work").is_none()), "{store}");
    let config_now: Value = serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert_eq!(config_now, json!({"auth": {"profiles": {}, "order": {}}}));
    assert!(home.path().join(".clawdbot/clawdbot.json.bak").exists(), "the JSON5 original is saved");
}

#[test]
fn remove_dry_run_unknown_id_and_no_terminal_change_nothing() {
    let home = billing_home();
    let before = home.store_text();
    let dry = clawdbot(&home, &["models", "auth", "remove", "anthropic:work", "--dry-run"]);
    assert_eq!(code(&dry), 0);
    assert!(stdout(&dry).contains("Would remove anthropic:work"), "{}", stdout(&dry));
    assert!(stdout(&dry).contains("lastGood of anthropic"), "{}", stdout(&dry));
    let unknown = clawdbot(&home, &["models", "auth", "remove", "anthropic:nope", "--yes"]);
    assert_eq!(code(&unknown), 1);
    assert!(stderr(&unknown).contains("no profile anthropic:nope"), "{}", stderr(&unknown));
    let unasked = clawdbot(&home, &["models", "auth", "remove", "anthropic:work"]);
    assert_eq!(code(&unasked), 64, "nobody to ask without --yes");
    assert!(stderr(&unasked).contains("--yes"), "{}", stderr(&unasked));
    assert_eq!(home.store_text(), before);
}

#[test]
fn a_cleared_billing_disable_puts_the_profile_back_in_its_place() {
    let home = billing_home();
    let order = |home: &Home| {
        let out =
            clawdbot(home, &["models", "auth", "order", "get", "--provider", "anthropic", "--resolved", "--json"]);
        json_of(&out)["resolved"].clone()
    };
    assert_eq!(order(&home), json!(["anthropic:spare", "anthropic:work"]), "the disabled one goes last");
    let out = clawdbot(&home, &["models", "auth", "cooldown", "clear", "anthropic:work"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out)
            .contains("Cleared anthropic:work: billing disable (until 2026-01-01T01:00:00Z); failure counts reset."),
        "{}",
        stdout(&out)
    );
    assert_eq!(order(&home), json!(["anthropic:work", "anthropic:spare"]));
    let stats = &home.store()["usageStats"]["anthropic:work"];
    assert!(stats.get("disabledUntil").is_none() && stats.get("failureCounts").is_none(), "{stats}");
    assert_eq!(stats["errorCount"], 0);
}

#[test]
fn cooldown_clear_by_provider_all_and_unknown() {
    let home = billing_home();
    let out = clawdbot(&home, &["models", "auth", "cooldown", "clear", "--provider", "openai"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("Nothing to clear for the openai profiles"), "{}", stdout(&out));
    let out = clawdbot(&home, &["models", "auth", "cooldown", "clear", "anthropic:nope"]);
    assert_eq!(code(&out), 1);
    let out = clawdbot(&home, &["models", "auth", "cooldown", "clear"]);
    assert_eq!(code(&out), 64, "a target is required");
    let out = clawdbot(&home, &["models", "auth", "cooldown", "clear", "--all"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("Cleared anthropic:work"), "{}", stdout(&out));
}

#[test]
fn paste_api_key_from_stdin_stores_it_and_never_shows_it() {
    let home = billing_home();
    let input = format!("  {CANARY}\r\n");
    let out =
        clawdbot_with_stdin(&home, &["models", "auth", "paste-api-key", "--provider", "OpenAI"], input.as_bytes());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_no_canary(&out);
    assert!(stdout(&out).contains("Auth profile: openai:default (openai/api_key)"), "{}", stdout(&out));
    let stored = &home.store()["profiles"]["openai:default"];
    assert_eq!(*stored, json!({"type": "api_key", "provider": "openai", "key": CANARY}));
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(home.path().join(".clawdbot/clawdbot.json")).unwrap()).unwrap();
    assert_eq!(config["auth"]["profiles"]["openai:default"]["mode"], "api_key");
    // Nothing the other commands print shows it either.
    for args in [&["models", "auth", "list", "--json"][..], &["models", "status", "--json"][..]] {
        assert_no_canary(&clawdbot(&home, args));
    }
}

#[test]
fn paste_token_refuses_an_api_key_and_points_to_paste_api_key() {
    let home = Home::new();
    let out = clawdbot_with_stdin(
        &home,
        &["models", "auth", "paste-token", "--provider", "anthropic"],
        b"sk-ant-api03-FAKE-0123456789abcdefghij\n",
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "not as a token\nhint: Store it with `clawdbot models auth paste-api-key --provider anthropic`.\n"
        ),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("0123456789abcdefghij"), "the key is not echoed");
    assert!(!home.store_path().exists(), "nothing stored");
}

#[test]
fn paste_api_key_refuses_a_broken_key_and_writes_nothing() {
    let home = billing_home();
    let before = home.store_text();
    let out = clawdbot_with_stdin(
        &home,
        &["models", "auth", "paste-api-key", "--provider", "openai", "--profile-id", "openai:x"],
        b"sk-FAKE-CANARYMIDDLE one\nsk-FAKE-two\n",
    );
    assert_eq!(code(&out), 1);
    assert_no_canary(&out);
    assert!(
        stderr(&out).contains("whitespace or control characters inside it\nhint: Paste the key alone, on one line.\n"),
        "{}",
        stderr(&out)
    );
    let empty = clawdbot_with_stdin(&home, &["models", "auth", "paste-api-key", "--provider", "openai"], b"\n");
    assert_eq!(code(&empty), 1);
    assert_eq!(home.store_text(), before);
    assert!(!home.path().join(".clawdbot/clawdbot.json").exists());
}

#[test]
fn a_paste_under_a_removed_synced_id_lifts_the_removal() {
    let home = billing_home();
    assert_eq!(code(&clawdbot(&home, &["models", "auth", "remove", "anthropic:claude-cli", "--yes"])), 0);
    let args = ["models", "auth", "paste-api-key", "--provider", "anthropic", "--profile-id", "anthropic:claude-cli"];
    assert_eq!(code(&clawdbot_with_stdin(&home, &args, CANARY.as_bytes())), 0);
    assert!(home.store().get("syncDisabled").is_none());
}

#[test]
fn agent_is_taken_at_the_group_and_on_the_leaf() {
    let home = billing_home();
    let ops = home.path().join(".clawdbot/agents/ops/agent/auth-profiles.json");
    home.write(
        &ops,
        r#"{"version":1,"profiles":{"openai:ops":{"type":"api_key","provider":"openai","key":"sk-FAKE-ops"}}}"#,
    );
    for args in [
        &["models", "auth", "--agent", "ops", "list", "--json"][..],
        &["models", "auth", "list", "--agent", "ops", "--json"][..],
        &["models", "--agent", "ops", "auth", "list", "--json"][..],
    ] {
        let out = clawdbot(&home, args);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        let doc = json_of(&out);
        assert_eq!(doc["agentId"], "ops", "{args:?}");
        assert_eq!(doc["profiles"][0]["id"], "openai:ops", "{args:?}");
    }
    let out = clawdbot(&home, &["models", "auth", "--agent", "ops", "remove", "openai:ops", "--yes"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!std::fs::read_to_string(&ops).unwrap().contains("openai:ops"));
    assert!(home.store_text().contains("anthropic:work"), "the default agent is untouched");
}

#[test]
fn completions_and_the_man_page_cover_the_new_commands_and_flags() {
    let home = Home::new();
    let words = [
        "list",
        "remove",
        "logout",
        "cooldown",
        "paste-api-key",
        "sync",
        "min-valid",
        "all-agents",
        "dry-run",
        "fix",
        "deep",
    ];
    for shell in ["bash", "zsh", "fish"] {
        let out = clawdbot(&home, &["completions", shell]);
        assert_eq!(code(&out), 0, "{shell}");
        // clap_complete's fish script stops at two levels: the flags of
        // `models auth <leaf>` are bash's and zsh's only.
        let deep = ["min-valid", "dry-run"];
        for word in words.iter().filter(|w| shell != "fish" || !deep.contains(w)) {
            assert!(stdout(&out).contains(word), "{shell} completion lacks {word}");
        }
    }
    // One man page per command (`clawdbot man COMMAND...`); roff writes a
    // flag's dashes as `\-`.
    for (command, flags) in [
        (&["models", "auth", "list"][..], &["\\-\\-provider", "\\-\\-json"][..]),
        (&["models", "auth", "cooldown", "clear"][..], &["\\-\\-all"][..]),
        (&["models", "auth", "paste-api-key"][..], &["\\-\\-provider"][..]),
        (&["models", "auth", "remove"][..], &["dry\\-run"][..]),
        (&["models", "auth", "token"][..], &["min\\-valid", "\\-\\-format"][..]),
        (&["models", "status"][..], &["all\\-agents"][..]),
        (&["doctor"][..], &["\\-\\-fix", "\\-\\-deep", "all\\-agents"][..]),
    ] {
        let mut args = vec!["man"];
        args.extend_from_slice(command);
        let man = clawdbot(&home, &args);
        assert_eq!(code(&man), 0, "man {command:?}: {}", stderr(&man));
        let roff = stdout(&man);
        assert!(roff.contains(".TH"), "man {command:?} is no page");
        for flag in flags {
            assert!(roff.contains(flag), "the page of {command:?} lacks {flag}");
        }
    }
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cli.md")).unwrap();
    for word in words.iter().chain(&["--format env", "apiKeyHelper", "--json"]) {
        assert!(docs.contains(word), "docs/cli.md lacks {word}");
    }
}

#[test]
fn list_shows_a_login_kept_only_in_the_keychain() {
    let home = Home::new();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let login = r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-FAKE-CANARYMIDDLE-kc","refreshToken":"sk-ant-ort01-FAKE","expiresAt":1769817600000}}"#;
    let script = bin.join("security");
    std::fs::write(&script, format!("#!/bin/sh\nprintf '%s' '{login}'\n")).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let server = Server::start(Vec::new());
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = home
        .clawdbot(&server)
        .args(["models", "auth", "list", "--json"])
        .env("CLAWDBOT_KEYCHAIN", "security")
        .env("PATH", path)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_no_canary(&out);
    assert_eq!(json_of(&out)["profiles"][0]["id"], "anthropic:claude-cli", "{}", stdout(&out));
}

#[test]
fn every_auth_command_takes_agent_on_the_leaf_and_the_group() {
    let home = with_agents(billing_home());
    // Each parses (a usage error would be 64); what they then refuse
    // without a terminal or a store is theirs.
    for args in [
        &["models", "auth", "setup-token", "--agent", "ops"][..],
        &["models", "auth", "--agent", "ops", "setup-token"][..],
        &["models", "auth", "--agent", "ops", "order", "get", "--provider", "anthropic"][..],
        &["models", "auth", "--agent", "ops", "refresh", "--all"][..],
        &["models", "auth", "--agent", "ops", "cooldown", "clear", "--all"][..],
        &["models", "auth", "--agent", "ops", "sync", "--enable", "codex-cli"][..],
        &["models", "--agent", "ops", "status", "--json"][..],
    ] {
        let out = clawdbot(&home, args);
        assert_ne!(code(&out), 64, "{args:?}: {}", stderr(&out));
    }
    let out =
        clawdbot(&home, &["models", "auth", "--agent", "ops", "order", "get", "--provider", "anthropic", "--json"]);
    assert_eq!(json_of(&out)["agentId"], "ops");
}

/// `home` whose config lists the agents `ops` and `lab` beside `main`.
fn with_agents(home: Home) -> Home {
    let config = json!({"agents": {"list": [{"id": "main", "default": true}, {"id": "ops"}, {"id": "lab"}]}});
    home.write(&home.path().join(".clawdbot/clawdbot.json"), &config.to_string());
    home
}

/// docs/cli.md: `--agent ID` is accepted at every level, `models`, `models
/// auth` and each subcommand, and the innermost wins.
#[test]
fn every_models_command_takes_agent_at_every_level() {
    let home = with_agents(billing_home());
    let leaves: [&[&str]; 14] = [
        &["status"],
        &["auth", "add"],
        &["auth", "paste-token", "--provider", "anthropic"],
        &["auth", "setup-token"],
        &["auth", "order", "get", "--provider", "anthropic"],
        &["auth", "order", "set", "--provider", "anthropic", "anthropic:work"],
        &["auth", "order", "clear", "--provider", "anthropic"],
        &["auth", "token", "--provider", "anthropic"],
        &["auth", "refresh", "--all"],
        &["auth", "list"],
        &["auth", "remove", "openai:none", "--dry-run"],
        &["auth", "cooldown", "clear", "--all"],
        &["auth", "paste-api-key", "--provider", "openai"],
        &["auth", "sync", "--enable", "codex-cli"],
    ];
    for leaf in leaves {
        let at_models = [&["models", "--agent", "ops"][..], leaf].concat();
        let at_leaf = [&["models"][..], leaf, &["--agent", "ops"]].concat();
        let mut at_group = vec!["models"];
        if leaf[0] == "auth" {
            at_group.extend(["auth", "--agent", "ops"]);
            at_group.extend(&leaf[1..]);
        } else {
            at_group.extend(["--agent", "ops"]);
            at_group.extend(leaf);
        }
        for args in [at_models, at_group, at_leaf] {
            // Each parses: clap's refusal names the argument and shows a
            // usage line; what a command then refuses without a terminal
            // (`add` exits 64 itself) is its own.
            let out = clawdbot_with_stdin(&home, &args, b"");
            let err = stderr(&out);
            assert!(!err.contains("unexpected argument") && !err.contains("Usage:"), "{args:?}: {err}");
            assert!(code(&out) != 64 || leaf == ["auth", "add"], "{args:?}: {err}");
        }
    }
    assert_ne!(code(&clawdbot(&home, &["doctor", "--non-interactive", "--agent", "ops"])), 64);
    let innermost = ["models", "--agent", "main", "auth", "--agent", "lab", "order", "get", "--provider", "anthropic"];
    let out = clawdbot(&home, &[&innermost[..], &["--agent", "ops", "--json"]].concat());
    assert_eq!(json_of(&out)["agentId"], "ops", "{}", stderr(&out));
    let out = clawdbot(&home, &[&innermost[..], &["--json"]].concat());
    assert_eq!(json_of(&out)["agentId"], "lab", "{}", stderr(&out));
}

#[test]
fn an_unreadable_store_is_listed_around_and_never_edited() {
    let home = Home::new();
    let broken = "{\"version\": 1, \"profiles\": {";
    home.write(&home.store_path(), broken);
    let out = clawdbot(&home, &["models", "auth", "list"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("cannot be read"), "{}", stderr(&out));
    for args in [
        &["models", "auth", "remove", "anthropic:x", "--yes"][..],
        &["models", "auth", "cooldown", "clear", "--all"][..],
    ] {
        let out = clawdbot(&home, args);
        assert_ne!(code(&out), 0, "{args:?}");
    }
    let out =
        clawdbot_with_stdin(&home, &["models", "auth", "paste-api-key", "--provider", "openai"], CANARY.as_bytes());
    assert_ne!(code(&out), 0);
    assert_no_canary(&out);
    assert_eq!(home.store_text(), broken, "the broken file is left as it is");
}

#[test]
fn a_paste_under_a_removed_synced_id_is_refused_and_points_to_sync_enable() {
    // The reserved id is the sync's (issue 14, item 14): a paste there is
    // refused, the removal's block stays, and the message names the way back.
    let home = billing_home();
    assert_eq!(code(&clawdbot(&home, &["models", "auth", "remove", "anthropic:claude-cli", "--yes"])), 0);
    let args = ["models", "auth", "paste-token", "--provider", "anthropic", "--profile-id", "anthropic:claude-cli"];
    let out = clawdbot_with_stdin(&home, &args, b"sk-ant-oat01-FAKE-pasted-0123456789\n");
    assert_ne!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("models auth sync --enable"), "{}", stderr(&out));
    assert!(home.store().get("syncDisabled").is_some(), "{}", home.store());
}

/// Issue 22 item 4: a typo in `--agent` creates nothing. Read-only and
/// writing commands alike refuse an agent that no config lists and no
/// folder holds, exit 1 and name the known agents; `--create-agent` lets
/// a paste make a new one.
#[test]
fn an_unknown_agent_is_refused_and_nothing_is_created() {
    let home = billing_home();
    let agents = home.path().join(".clawdbot/agents");
    for args in [
        &["models", "status", "--agent", "mian"][..],
        &["models", "status", "--agent", "mian", "--check"][..],
        &["models", "auth", "token", "--agent", "wrok", "--provider", "anthropic"][..],
        &["doctor", "--agent", "typo4", "--json"][..],
        &["doctor", "--agent", "typo4", "--fix", "--yes"][..],
        &["models", "auth", "order", "set", "--agent", "c", "--provider", "anthropic", "anthropic:work"][..],
        &["models", "auth", "list", "--agent", "c"][..],
        &["models", "auth", "cooldown", "clear", "--agent", "c", "--all"][..],
        &["models", "auth", "remove", "--agent", "c", "anthropic:work", "--yes"][..],
        &["models", "auth", "refresh", "--agent", "c", "--all"][..],
    ] {
        let out = clawdbot_with_stdin(&home, args, CANARY.as_bytes());
        assert_eq!(code(&out), 1, "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("no agent named") && err.contains("known agents: main"), "{args:?}: {err}");
        let entries: Vec<_> = std::fs::read_dir(&agents).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(entries, ["main"], "{args:?} made a folder");
    }
    let paste = ["models", "auth", "paste-api-key", "--agent", "work", "--provider", "openai"];
    let out = clawdbot_with_stdin(&home, &paste, CANARY.as_bytes());
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("--create-agent"), "{}", stderr(&out));
    assert!(!agents.join("work").exists());
    let out = clawdbot_with_stdin(&home, &[&paste[..], &["--create-agent"]].concat(), CANARY.as_bytes());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(agents.join("work/agent/auth-profiles.json").exists());
    // Known from then on: its folder exists.
    let out = clawdbot(&home, &["models", "auth", "list", "--agent", "work", "--json"]);
    assert_eq!((code(&out), json_of(&out)["agentId"].as_str()), (0, Some("work")), "{}", stderr(&out));
    // A listed agent with no folder is known too.
    home.write(&home.path().join(".clawdbot/clawdbot.json"), r#"{"agents":{"list":[{"id":"main"},{"id":"lab"}]}}"#);
    let out = clawdbot(&home, &["models", "auth", "list", "--agent", "lab", "--json"]);
    assert_eq!((code(&out), json_of(&out)["agentId"].as_str()), (0, Some("lab")), "{}", stderr(&out));
}
