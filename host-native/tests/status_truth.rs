//! Issue 12 through the binary, on temporary homes: a login that renews
//! itself is ok, a login refused at refresh is expired with its reason,
//! `--check` judges what is in use (`--strict` keeps the reference's rule),
//! `.env` keys count, and `--json` carries every load problem.

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};

const NOW: i64 = 1_767_225_600_000;
const HOUR: i64 = 3_600_000;
const STORE: &str = ".clawdbot/agents/main/agent/auth-profiles.json";

struct Home(tempfile::TempDir);

impl Home {
    fn new() -> Home {
        Home(tempfile::tempdir().expect("temp home"))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn write(&self, rel: &str, text: &str) -> &Home {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
        self
    }

    fn store(&self, doc: Value) -> &Home {
        self.write(STORE, &doc.to_string())
    }

    /// `clawdbot` with only this HOME, the pinned clock and no Keychain,
    /// run from the home folder (so `./.env` is the home's).
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_clawdbot"));
        cmd.args(args)
            .env_clear()
            .env("HOME", self.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CLAWDBOT_NOW_MS", NOW.to_string())
            .env("CLAWDBOT_KEYCHAIN", "off")
            .env("NO_COLOR", "1")
            .current_dir(self.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("clawdbot runs")
    }

    fn check(&self, extra: &[&str]) -> Option<i32> {
        let args: Vec<&str> = ["models", "status", "--check"].into_iter().chain(extra.iter().copied()).collect();
        self.run(&args, &[]).status.code()
    }

    fn text(&self) -> String {
        stdout(&self.run(&["models", "status"], &[]))
    }

    fn json(&self) -> Value {
        serde_json::from_str(&stdout(&self.run(&["models", "status", "--json"], &[]))).expect("one JSON document")
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Claude Code's file with an 8 h login that has `left` ms to go.
fn claude_login(home: &Home, left: i64) {
    let doc = json!({"claudeAiOauth": {
        "accessToken": "sk-ant-oat01-FAKE-access", "refreshToken": "sk-ant-ort01-FAKE-refresh",
        "expiresAt": NOW + left, "scopes": ["user:inference", "user:profile"]
    }});
    home.write(".claude/.credentials.json", &doc.to_string());
}

#[test]
fn a_healthy_claude_code_login_is_ok_and_refreshes_on_use() {
    let home = Home::new();
    claude_login(&home, 3 * HOUR);
    assert_eq!(home.check(&[]), Some(0));
    let text = home.text();
    assert!(
        text.contains("anthropic:claude-cli ok, refreshes on use (access token expires in 3h) (claude-cli)"),
        "{text}"
    );
    assert!(text.contains("- anthropic ok via anthropic:claude-cli"), "{text}");
    let doc = home.json();
    let p = &doc["auth"]["oauth"]["profiles"][0];
    assert_eq!((&p["status"], &p["refreshable"], &p["remainingMs"]), (&json!("ok"), &json!(true), &json!(3 * HOUR)));
    // The reference's rule sees an access token inside the 24 h window.
    assert_eq!(home.check(&["--strict"]), Some(2));
    // Even an access token that has expired is refreshed by the next request.
    let home = Home::new();
    claude_login(&home, -2 * HOUR);
    assert_eq!(home.check(&[]), Some(0));
    assert!(home.text().contains("ok, refreshes on use (access token expired 2h ago)"), "{}", home.text());
    assert_eq!(home.check(&["--strict"]), Some(1));
}

#[test]
fn a_login_refused_at_refresh_is_expired_says_why_and_doctor_needs_a_human() {
    let home = Home::new();
    let refresh = "sk-ant-ort01-FAKE-dead";
    let mut store = clawdbot_auth_core::rules::parse_store(
        json!({"version": 1, "profiles": {"anthropic:claude-cli": {
            "type": "oauth", "provider": "anthropic", "access": "sk-ant-oat01-FAKE-a", "refresh": refresh,
            "expires": NOW + 3 * HOUR}}})
        .to_string()
        .as_bytes(),
        "store",
    )
    .expect("store")
    .0;
    let sent = clawdbot_auth_core::Secret::new(refresh);
    clawdbot_auth_core::rules::record_rejection(
        &mut store,
        "anthropic:claude-cli",
        &sent,
        "invalid_grant",
        NOW - 3 * HOUR,
    );
    let text = clawdbot_auth_core::rules::write_store(&store).expect("text");
    let record = serde_json::from_str::<Value>(&text).expect("json")["usageStats"].to_string();
    assert!(record.contains("sha256:") && !record.contains(refresh), "a fingerprint, never the token: {record}");
    home.write(STORE, &text);

    assert_eq!(home.check(&[]), Some(1));
    assert_eq!(home.check(&["--strict"]), Some(1));
    let out = home.text();
    assert!(
        out.contains("anthropic:claude-cli expired: login rejected at refresh (invalid_grant) 3h ago: Log in again in Claude Code"),
        "{out}"
    );
    let doc = home.json();
    let p = &doc["auth"]["oauth"]["profiles"][0];
    assert_eq!((&p["status"], &p["reasonCode"]), (&json!("expired"), &json!("refresh_rejected")));

    let doctor = home.run(&["doctor", "--non-interactive"], &[]);
    assert_eq!(doctor.status.code(), Some(1));
    let said = stdout(&doctor);
    assert!(
        said.contains(
            "- anthropic:claude-cli: expired: login rejected at refresh (invalid_grant) 3h ago — Log in again"
        ),
        "{said}"
    );
    assert!(!said.contains("healthy"), "{said}");
}

#[test]
fn an_expired_spare_profile_nothing_uses_is_a_warning_unless_strict() {
    let home = Home::new();
    home.store(json!({"version": 1, "profiles": {
        "anthropic:main": {"type": "token", "provider": "anthropic", "token": "sk-ant-oat01-FAKE-main", "expires": NOW + 300 * 24 * HOUR},
        "openai:spare": {"type": "token", "provider": "openai", "token": "FAKE-spare", "expires": NOW - 2 * HOUR}
    }}));
    assert_eq!(home.check(&[]), Some(0));
    assert_eq!(home.check(&["--strict"]), Some(1));
    let text = home.text();
    assert!(text.contains("- openai:spare expired 2h ago"), "the words: {text}");
    assert!(
        text.contains("Warnings (not counted by --check)\n- openai:spare is expired; no model in use needs it"),
        "{text}"
    );
    assert_eq!(home.json()["auth"]["check"]["warnings"][0], "openai:spare is expired; no model in use needs it");
    // Once a model uses openai, the spare is what its requests would try.
    home.write(".clawdbot/clawdbot.json", r#"{"agents":{"defaults":{"model":{"fallbacks":["openai/gpt-5.2"]}}}}"#);
    assert_eq!(home.check(&[]), Some(1));
}

#[test]
fn keys_in_dotenv_files_count_with_their_file_and_never_override() {
    let home = Home::new();
    home.write(".clawdbot/.env", "ANTHROPIC_API_KEY=sk-ant-api03-FAKE-state-dir-key\nnot a variable\n");
    let out = home.run(&["models", "status", "--check"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("source=env: ANTHROPIC_API_KEY (~/.clawdbot/.env)"), "{}", stdout(&out));
    assert!(stderr(&out).contains("~/.clawdbot/.env: line 2 is not NAME=value; ignored"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("FAKE-state-dir-key") && !stderr(&out).contains("FAKE-state-dir-key"));
    let doc = home.json();
    assert_eq!(doc["auth"]["diagnostics"][0]["path"], "~/.clawdbot/.env");
    assert_eq!(doc["auth"]["diagnostics"][0]["severity"], "warning");

    // A set variable wins; ./.env (the working folder) comes before the state dir's.
    let out = home.run(&["models", "status", "--json"], &[("ANTHROPIC_API_KEY", "sk-ant-api03-FAKE-process")]);
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(doc["auth"]["providers"][0]["env"]["source"], "env: ANTHROPIC_API_KEY");
    home.write(".env", "ANTHROPIC_API_KEY=sk-ant-api03-FAKE-cwd-key\n");
    assert_eq!(home.json()["auth"]["providers"][0]["env"]["source"], "env: ANTHROPIC_API_KEY (~/.env)");

    // CLAWDBOT_STATE_DIR moves the second file.
    let other = Home::new();
    other.write("state/.env", "ANTHROPIC_API_KEY=sk-ant-api03-FAKE-moved\n");
    let dir = other.path().join("state");
    let out = other.run(&["models", "status", "--check"], &[("CLAWDBOT_STATE_DIR", dir.to_str().expect("utf-8"))]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("(~/state/.env)"), "{}", stdout(&out));
}

#[test]
fn claude_codes_own_token_variable_is_named_with_how_to_store_it() {
    let home = Home::new();
    let out = home.run(&["models", "status", "--check"], &[("CLAUDE_CODE_OAUTH_TOKEN", "sk-ant-oat01-FAKE-headless")]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("CLAUDE_CODE_OAUTH_TOKEN is set, but the gateway does not read it"), "{text}");
    assert!(text.contains("clawdbot models auth setup-token"), "{text}");
    assert!(!text.contains("FAKE-headless"));
}

#[test]
fn a_corrupt_store_shows_in_the_json_with_line_column_and_hint() {
    let home = Home::new();
    home.write(STORE, "{\"version\": 1,\n  \"profiles\": {\n");
    let out = home.run(&["models", "status", "--json", "--check"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    let d = &doc["auth"]["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["path"], "~/.clawdbot/agents/main/agent/auth-profiles.json");
    let message = d["message"].as_str().expect("message");
    assert!(message.contains("line 3") && message.contains("column"), "{message}");
    assert_eq!(d["hints"][0], "Fix the file (or move it away to start over); Clawdbot never writes over it.");
}

/// Issue 23 item 6, the operator's journey: a login refused at refresh,
/// in the `auth` cooldown the refusal started. Every command calls it
/// expired, before and after `cooldown clear`, and `token` hands out none.
#[test]
fn a_login_refused_at_refresh_is_expired_for_every_command_before_and_after_cooldown_clear() {
    let home = Home::new();
    let refresh = "sk-ant-ort01-FAKE-dead";
    let fingerprint = {
        let mut store = clawdbot_auth_core::rules::AuthStore::default();
        let login = clawdbot_auth_core::rules::OAuth {
            provider: "anthropic".into(),
            refresh: Some(clawdbot_auth_core::Secret::new(refresh)),
            ..Default::default()
        };
        store.profiles.insert(
            "x".into(),
            clawdbot_auth_core::rules::Profile::new(clawdbot_auth_core::rules::Credential::OAuth(login)),
        );
        clawdbot_auth_core::rules::record_rejection(
            &mut store,
            "x",
            &clawdbot_auth_core::Secret::new(refresh),
            "invalid_grant",
            NOW,
        );
        let text = clawdbot_auth_core::rules::write_store(&store).expect("text");
        serde_json::from_str::<Value>(&text).expect("json")["usageStats"]["x"]["refreshRejected"]["fingerprint"].clone()
    };
    home.store(json!({"version": 1, "profiles": {"anthropic:claude-cli": {
            "type": "oauth", "provider": "anthropic", "access": "sk-ant-oat01-FAKE-live-access", "refresh": refresh,
            "expires": NOW + 3 * HOUR}},
        "usageStats": {"anthropic:claude-cli": {"errorCount": 1, "failureCounts": {"auth": 1}, "lastFailureAt": NOW - 60_000,
            "cooldownUntil": NOW + 60_000,
            "refreshRejected": {"at": NOW - 60_000, "code": "invalid_grant", "fingerprint": fingerprint}}}}));
    for round in ["in its cooldown", "after cooldown clear"] {
        let listed = home.run(&["models", "auth", "list"], &[]);
        let list = stdout(&listed);
        assert!(
            list.contains("- anthropic:claude-cli (anthropic/oauth, Claude Code): expired [refresh_rejected]"),
            "{round}: {list}"
        );
        assert!(!list.contains("Wait for the cooldown"), "{round}: {list}");
        let doc: Value = serde_json::from_str(&stdout(&home.run(&["models", "auth", "list", "--json"], &[]))).unwrap();
        let status = home.json();
        let p = &status["auth"]["oauth"]["profiles"][0];
        assert_eq!(
            (&p["state"], &p["reasonCode"]),
            (&doc["profiles"][0]["status"], &doc["profiles"][0]["reasonCode"]),
            "{round}"
        );
        assert_eq!(home.check(&[]), Some(1), "{round}");
        let token = home.run(&["models", "auth", "token", "--provider", "anthropic"], &[]);
        assert_eq!(token.status.code(), Some(1), "{round}: {}", stderr(&token));
        assert_eq!(stdout(&token), "", "{round}: no key of a dead login");
        let doctor = stdout(&home.run(&["doctor", "--non-interactive"], &[]));
        assert!(!doctor.contains("anthropic:claude-cli: cooldown"), "{round}: {doctor}");
        assert!(doctor.contains("- anthropic:claude-cli: expired: login rejected at refresh"), "{round}: {doctor}");
        let cleared = home.run(&["models", "auth", "cooldown", "clear", "anthropic:claude-cli"], &[]);
        assert_eq!(cleared.status.code(), Some(0), "{}", stderr(&cleared));
    }
}

/// Issue 23 item 9: a `.env` key holding an escape counted as ok for
/// `--check` while `token` refused it, and one that is not UTF-8 was handed
/// out with U+FFFD in it. Now neither is a key anywhere, and each command
/// says which file and line.
#[test]
fn a_dotenv_key_with_control_characters_or_invalid_utf8_is_no_key_for_any_command() {
    let home = Home::new();
    home.write(".clawdbot/clawdbot.json", r#"{"agents":{"defaults":{"model":"openai/gpt-5.2"}}}"#);
    let path = home.path().join(".clawdbot/.env");
    std::fs::write(
        &path,
        b"ANTHROPIC_API_KEY=\"sk-ant-api03-FAKE\x1b]0;owned\x07\"\nOPENAI_API_KEY=sk-FAKE-\xff\xfe-0123456789\n",
    )
    .expect("write .env");
    let status = home.run(&["models", "status", "--check"], &[]);
    assert_eq!(status.status.code(), Some(1), "{}", stderr(&status));
    let said = stderr(&status);
    for line in [
        "warning: ~/.clawdbot/.env: line 1: the value of ANTHROPIC_API_KEY holds control characters; not used as a key",
        "warning: ~/.clawdbot/.env: line 2: the value of OPENAI_API_KEY is not valid UTF-8; not used as a key",
    ] {
        assert!(said.contains(line), "{line} in\n{said}");
    }
    for provider in ["openai", "anthropic"] {
        let token = home.run(&["models", "auth", "token", "--provider", provider], &[]);
        assert_eq!(token.status.code(), Some(1), "{provider}: {}", stderr(&token));
        assert!(token.stdout.is_empty(), "{provider}: nothing handed out");
        assert!(stderr(&token).contains("not used as a key"), "{}", stderr(&token));
    }
    let doctor = stdout(&home.run(&["doctor", "--non-interactive"], &[]));
    assert!(doctor.contains("line 2: the value of OPENAI_API_KEY is not valid UTF-8"), "{doctor}");
    let all = format!("{said}{doctor}");
    assert!(!all.contains('\u{1b}') && !all.contains('\u{fffd}') && !all.contains("FAKE"), "{all}");
}

/// Issue 23 item 15: doctor said nothing of a `~/.clawdbot/.env` that
/// others can read while it holds the daemon's keys.
#[cfg(unix)]
#[test]
fn doctor_reports_and_fixes_a_dotenv_holding_keys_that_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    home.write(".clawdbot/.env", "# the daemon's keys\nOPENAI_API_KEY=sk-FAKE-dotenv-0123456789\n");
    let path = home.path().join(".clawdbot/.env");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let report = home.run(&["doctor", "--non-interactive"], &[]);
    assert_eq!(report.status.code(), Some(1));
    let said = stdout(&report);
    assert!(said.contains(".clawdbot/.env: file is readable by other users (mode 644, expected 600)"), "{said}");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644, "reported, not changed");
    let fixed = home.run(&["doctor", "--fix", "--non-interactive"], &[]);
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "{}", stdout(&fixed));
}
