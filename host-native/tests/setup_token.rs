//! `models auth setup-token` end to end with a fake `claude` on PATH:
//! without a terminal it reads the token from stdin and runs nothing; on a
//! terminal (a pty from util-linux `script`) it runs `claude setup-token`
//! and asks for the printed token, or takes the login an older Claude Code
//! stored. Then `models status --check` says 0.

use serde_json::Value;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const NOW: i64 = 1_767_225_600_000;
const DAY: i64 = 86_400_000;
const STORE: &str = ".clawdbot/agents/main/agent/auth-profiles.json";

fn token() -> String {
    format!("sk-ant-oat01-{}", "F".repeat(90))
}

struct Host {
    home: tempfile::TempDir,
    bin: PathBuf,
}

impl Host {
    /// A home with a fake `claude` whose `setup-token` runs `body` (sh).
    fn new(body: &str) -> Host {
        let home = tempfile::tempdir().expect("home");
        let bin = home.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin");
        let claude = bin.join("claude");
        let script =
            format!("#!/bin/sh\n[ \"$1\" = setup-token ] || exit 2\necho ran > \"$HOME/claude-ran\"\n{body}\n");
        std::fs::write(&claude, script).expect("fake claude");
        std::fs::set_permissions(&claude, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        Host { home, bin }
    }

    fn path(&self) -> &Path {
        self.home.path()
    }

    fn command(&self, program: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        let path = format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap_or_default());
        cmd.args(args)
            .env_clear()
            .env("HOME", self.path())
            .env("PATH", path)
            .env("CLAWDBOT_NOW_MS", NOW.to_string())
            .env("CLAWDBOT_KEYCHAIN", "off")
            .env("NO_COLOR", "1")
            .current_dir(self.path());
        cmd
    }

    fn clawdbot(&self, args: &[&str], stdin: &str) -> Output {
        let mut cmd = self.command(Path::new(env!("CARGO_BIN_EXE_clawdbot")), args);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("clawdbot runs");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
        child.wait_with_output().expect("wait")
    }

    /// `clawdbot args` on a pseudo-terminal, `typed` sent as keystrokes.
    fn on_terminal(&self, args: &str, typed: &str) -> Option<Output> {
        let script = Path::new("/usr/bin/script");
        if !script.exists() {
            eprintln!("skipped: util-linux `script` is not installed");
            return None;
        }
        let line = format!("{} {args}", env!("CARGO_BIN_EXE_clawdbot"));
        let mut cmd = self.command(script, &["-qec", &line, "/dev/null"]);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("script runs");
        child.stdin.take().expect("stdin").write_all(typed.as_bytes()).expect("type");
        Some(child.wait_with_output().expect("wait"))
    }

    fn ran_claude(&self) -> bool {
        self.path().join("claude-ran").exists()
    }

    fn store(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.path().join(STORE)).expect("store")).expect("json")
    }

    fn config(&self) -> Value {
        let text = std::fs::read_to_string(self.path().join(".clawdbot/clawdbot.json")).expect("config");
        serde_json::from_str(&text).expect("json")
    }

    fn check(&self) -> Option<i32> {
        self.clawdbot(&["models", "status", "--check"], "").status.code()
    }
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn without_a_terminal_the_token_comes_from_stdin_and_nothing_is_run() {
    let host = Host::new("echo should-not-run");
    assert_eq!(host.check(), Some(1), "nothing yet");
    let out = host.clawdbot(&["models", "auth", "setup-token"], &format!("{}\n", token()));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!host.ran_claude(), "nothing is run without a terminal");
    let profile = &host.store()["profiles"]["anthropic:default"];
    assert_eq!((&profile["type"], &profile["provider"]), (&Value::from("token"), &Value::from("anthropic")));
    assert_eq!(profile["expires"], NOW + 365 * DAY);
    assert_eq!(host.config()["auth"]["profiles"]["anthropic:default"]["mode"], "token");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("- anthropic:default ok expires in 365d"), "{shown}");
    assert!(!text(&out).contains(&token()), "the token is never printed");
    assert_eq!(host.check(), Some(0));

    // --profile-id and --expires-in.
    let out = host
        .clawdbot(&["models", "auth", "setup-token", "--profile-id", "anthropic:ci", "--expires-in", "30d"], &token());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(host.store()["profiles"]["anthropic:ci"]["expires"], NOW + 30 * DAY);
}

#[test]
fn a_value_that_is_no_setup_token_is_refused_with_the_reason_and_nothing_stored() {
    let host = Host::new("");
    // The remedy is a hint line of its own (issue 20); the reference's
    // "too short" words keep theirs.
    let cases = [
        (
            "sk-ant-ort01-FAKE-refresh",
            "refresh token",
            "\nhint: Paste the sk-ant-oat01-… token `claude setup-token` printed.\n",
        ),
        (
            "sk-ant-api03-FAKE-key",
            "API key",
            "\nhint: Store keys with `clawdbot models auth paste-api-key --provider anthropic` or ANTHROPIC_API_KEY.\n",
        ),
        ("sk-ant-oat01-short", "too short", "; paste the full setup-token\n"),
        ("sk-ant-oat01-AAAA BBBB", "whitespace inside", "(a wrapped paste?)\nhint: Paste it as one line.\n"),
    ];
    for (value, why, remedy) in cases {
        let out = host.clawdbot(&["models", "auth", "setup-token"], value);
        assert_eq!(out.status.code(), Some(1), "{value}: {}", text(&out));
        assert!(text(&out).contains(why), "{value}: {}", text(&out));
        assert!(text(&out).contains(remedy), "{value}: {}", text(&out));
        assert!(!text(&out).contains("FAKE"), "never the value: {}", text(&out));
    }
    assert!(!host.path().join(STORE).exists(), "nothing stored");
}

#[test]
fn on_a_terminal_it_runs_claude_setup_token_then_asks_for_the_printed_token() {
    let host = Host::new(&format!("echo 'Your OAuth token (valid for 1 year): {}'", token()));
    let Some(out) = host.on_terminal("models auth setup-token", &format!("{}\n", token())) else { return };
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(host.ran_claude(), "claude setup-token ran: {}", text(&out));
    assert!(text(&out).contains("(input is hidden)"), "{}", text(&out));
    assert_eq!(host.store()["profiles"]["anthropic:default"]["type"], "token");
    assert_eq!(host.check(), Some(0));
}

#[test]
fn on_a_terminal_a_login_stored_by_an_older_claude_code_is_accepted() {
    let login = format!(
        r#"{{"claudeAiOauth":{{"accessToken":"sk-ant-oat01-FAKE-a","refreshToken":"sk-ant-ort01-FAKE-r","expiresAt":{}}}}}"#,
        NOW + 8 * 3_600_000
    );
    let host =
        Host::new(&format!("mkdir -p \"$HOME/.claude\"; printf '%s' '{login}' > \"$HOME/.claude/.credentials.json\""));
    let Some(out) = host.on_terminal("models auth setup-token", "") else { return };
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("input is hidden"), "no prompt: {}", text(&out));
    assert!(text(&out).contains("anthropic:claude-cli ok, refreshes on use"), "{}", text(&out));
    assert_eq!(host.config()["auth"]["profiles"]["anthropic:claude-cli"]["mode"], "oauth");
    assert_eq!(host.store()["profiles"]["anthropic:claude-cli"]["type"], "oauth", "the synced login is saved");
    assert_eq!(host.check(), Some(0));
}
