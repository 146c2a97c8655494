//! Secrets: fixtures full of distinctive fake secrets ("canaries") run
//! through every command and mode, errors included, with and without
//! `RUST_BACKTRACE=1`. No canary, nor its first 17 characters, may appear
//! in stdout or stderr, except the one key `models auth token` exists to
//! print, which must be printed exactly. Every write leaves the store 0600
//! in a 0700 folder; doctor reports and fixes looser modes.

mod safety_common;

use safety_common::*;
use serde_json::json;

const API_KEY: &str = "sk-ant-api03-FAKECANARYXY-apikey-0123456789abcdef";
const SHORT: &str = "sk-SHORTCANARY1";
const ACCESS: &str = "sk-ant-oat01-FAKECANARYXY-access-0123456789";
const REFRESH: &str = "sk-ant-ort01-FAKECANARYXY-refresh-0123456789";
const CLAUDE_ACCESS: &str = "sk-ant-oat01-FAKECLAUDECY-access-0123456789";
const CLAUDE_REFRESH: &str = "sk-ant-ort01-FAKECLAUDECY-refresh-0123456789";
const CODEX_ACCESS: &str = "eyJhbGciOiJub25lIn0.CODEXCANARYaccess0123456789.sig";
const CODEX_REFRESH: &str = "rt-CODEXCANARY-refresh-0123456789";
const PASTED: &str = "sk-ant-oat01-FAKEPASTECY-0123456789abcdef";
const TRUNCATED: &str = "sk-ant-oat01-FAKETRUNCCY-0123456789";
const SERVED: &str = "sk-ant-oat01-FAKESERVEDCY-0123456789";

fn canaries() -> Vec<&'static str> {
    vec![
        API_KEY,
        SHORT,
        ACCESS,
        REFRESH,
        CLAUDE_ACCESS,
        CLAUDE_REFRESH,
        CODEX_ACCESS,
        CODEX_REFRESH,
        PASTED,
        TRUNCATED,
        SERVED,
    ]
}

/// The canaries (whole, and their first 17 characters) found in `text`.
fn leaks(text: &str, allowed: Option<&str>) -> Vec<String> {
    let text = match allowed {
        Some(key) => text.replace(key, "<the printed key>"),
        None => text.to_string(),
    };
    canaries()
        .into_iter()
        .flat_map(|c| [c.to_string(), c.chars().take(17).collect()])
        .filter(|needle| text.contains(needle.as_str()))
        .collect()
}

fn seeded_home() -> Home {
    let home = Home::new();
    home.write_json(
        STORE,
        &json!({"version": 1, "profiles": {
            "anthropic:key": {"type": "api_key", "provider": "anthropic", "key": API_KEY},
            "openai:short": {"type": "api_key", "provider": "openai", "key": SHORT},
            "anthropic:work": oauth(ACCESS, REFRESH, NOW - 60_000)
        }}),
    );
    home.write_json(
        CLAUDE,
        &json!({"claudeAiOauth": {"accessToken": CLAUDE_ACCESS, "refreshToken": CLAUDE_REFRESH,
            "expiresAt": NOW - 1000, "scopes": ["user:inference"], "subscriptionType": "max"}}),
    );
    home.write_json(
        CODEX,
        &json!({"OPENAI_API_KEY": null, "tokens": {"access_token": CODEX_ACCESS, "refresh_token": CODEX_REFRESH,
            "id_token": CODEX_ACCESS, "account_id": "acct-1"}, "last_refresh": "2025-12-01T00:00:00Z"}),
    );
    home
}

struct Checker {
    problems: Vec<String>,
    runs: usize,
}

impl Checker {
    fn run(&mut self, home: &Home, server: &Endpoint, args: &[&str], stdin: &[u8], printed_key: Option<&str>) -> Run {
        let mut last = None;
        for backtrace in [false, true] {
            let mut cmd = home.cmd();
            cmd.env("CLAWDBOT_TOKEN_URL_ANTHROPIC", server.url()).env("CLAWDBOT_TOKEN_URL_OPENAI_CODEX", server.url());
            if backtrace {
                cmd.env("RUST_BACKTRACE", "1");
            }
            let run = run_cmd(&mut cmd, args, stdin, RUN_LIMIT);
            self.runs += 1;
            let tag = format!("{} (RUST_BACKTRACE={})", run.what(), u8::from(backtrace));
            if run.timed_out || run.panicked() {
                self.problems.push(format!("{tag}: hung or panicked: {}", run.err()));
            }
            let found = leaks(&run.out(), printed_key);
            if !found.is_empty() {
                self.problems.push(format!("{tag}: stdout leaks {found:?}"));
            }
            let found = leaks(&run.err(), None);
            if !found.is_empty() {
                self.problems.push(format!("{tag}: stderr leaks {found:?}: {}", run.err()));
            }
            if let Some(key) = printed_key
                && run.out() != format!("{key}\n")
            {
                self.problems.push(format!("{tag}: printed {:?}, want exactly the key", run.out()));
            }
            // After any command that may write: private modes.
            let store = home.store_path();
            if store.exists() && (mode(&store) != 0o600 || mode(&home.agent_dir()) != 0o700) {
                self.problems.push(format!(
                    "{tag}: store mode {:o}, folder mode {:o}",
                    mode(&store),
                    mode(&home.agent_dir())
                ));
            }
            last = Some(run);
        }
        last.expect("ran")
    }
}

#[test]
fn no_secret_reaches_any_output() {
    let mut c = Checker { problems: Vec::new(), runs: 0 };
    let echo = Endpoint::start(Behaviour::EchoRefresh);
    let home = seeded_home();
    for args in [
        &["models", "status"][..],
        &["models", "status", "--json"],
        &["models", "status", "--check"],
        &["models", "status", "--plain"],
        &["models", "status", "--format", "prometheus"],
        &["models", "--status-json"],
        &["doctor", "--non-interactive"],
        &["models", "auth", "order", "get", "--provider", "anthropic", "--resolved", "--json"],
        &["models", "auth", "order", "set", "--provider", "anthropic", "anthropic:work", "anthropic:key"],
        &["models", "auth", "order", "get", "--provider", "anthropic", "--resolved"],
        &["models", "auth", "order", "clear", "--provider", "anthropic"],
        // Refreshes that fail: the server echoes the refresh token back.
        &["models", "auth", "refresh", "--profile", "anthropic:work"],
        &["models", "auth", "refresh", "--all", "--force"],
        &["models", "auth", "token", "--provider", "anthropic", "--profile", "anthropic:work"],
        &["models", "auth", "token", "--provider", "openai-codex"],
        &["doctor", "--yes"],
        &["models", "auth", "token", "--provider", "nosuch"],
        &["models", "auth", "token", "--provider", "anthropic", "--profile", "nosuch:x"],
        &["models", "auth", "paste-token", "--provider", "anthropic", "--profile", "bad"],
    ] {
        c.run(&home, &echo, args, b"", None);
    }
    assert!(echo.requests() > 0, "the refreshes reached the echoing server");
    assert!(
        echo.bodies().iter().any(|b| b.contains(REFRESH) || b.contains(CLAUDE_REFRESH)),
        "the server saw a refresh token to echo"
    );
    // Pasting: the token on stdin, never echoed; a refused one (with '#') too.
    c.run(
        &home,
        &echo,
        &["models", "auth", "paste-token", "--provider", "anthropic", "--profile-id", "anthropic:p"],
        format!("{PASTED}\n").as_bytes(),
        None,
    );
    c.run(
        &home,
        &echo,
        &["models", "auth", "paste-token", "--provider", "anthropic"],
        format!("{PASTED}#state\n").as_bytes(),
        None,
    );
    // The one place a key is printed: exactly it, on stdout only.
    c.run(
        &home,
        &echo,
        &["models", "auth", "token", "--provider", "anthropic", "--profile", "anthropic:key"],
        b"",
        Some(API_KEY),
    );
    c.run(&home, &echo, &["models", "auth", "token", "--provider", "openai"], b"", Some(SHORT));
    c.run(
        &home,
        &echo,
        &["models", "auth", "token", "--provider", "anthropic", "--profile", "anthropic:p"],
        b"",
        Some(PASTED),
    );

    // A server that answers 200 with unusable tokens, and one with 500.
    for behaviour in [
        Behaviour::Fixed {
            status: 200,
            content_type: "application/json".into(),
            body: json!({"access_token": SERVED, "refresh_token": SERVED, "expires_in": "soon"})
                .to_string()
                .into_bytes(),
        },
        Behaviour::Fixed {
            status: 500,
            content_type: "text/html".into(),
            body: format!("<pre>{SERVED}</pre>").into_bytes(),
        },
    ] {
        let server = Endpoint::start(behaviour);
        let home = seeded_home();
        c.run(&home, &server, &["models", "auth", "refresh", "--all", "--force"], b"", None);
        c.run(
            &home,
            &server,
            &["models", "auth", "token", "--provider", "anthropic", "--profile", "anthropic:work"],
            b"",
            None,
        );
    }

    // A malformed store whose truncated text holds a canary.
    let home = Home::new();
    home.write(STORE, format!("{{\"version\":1,\"profiles\":{{\"anthropic:t\":{{\"type\":\"api_key\",\"provider\":\"anthropic\",\"key\":\"{TRUNCATED}").as_bytes());
    for args in [
        &["models", "status"][..],
        &["models", "status", "--json"],
        &["models", "status", "--format", "prometheus"],
        &["doctor", "--non-interactive"],
        &["models", "auth", "order", "get", "--provider", "anthropic"],
        &["models", "auth", "token", "--provider", "anthropic"],
    ] {
        c.run(&home, &echo, args, b"", None);
    }
    println!("safety_secrets: {} runs, {} canaries", c.runs, canaries().len());
    assert!(c.problems.is_empty(), "{} problem(s):\n{}", c.problems.len(), c.problems.join("\n"));
}

#[test]
fn doctor_reports_and_fixes_loose_modes() {
    // No Claude Code or Codex login: a sync would rewrite (and so fix) the
    // store before doctor looks at its mode.
    let home = seeded_home();
    std::fs::remove_file(home.join(CLAUDE)).expect("rm claude");
    std::fs::remove_file(home.join(CODEX)).expect("rm codex");
    set_mode(&home.store_path(), 0o644);
    set_mode(&home.agent_dir(), 0o755);
    let run = home.run(&["doctor", "--non-interactive"], b"");
    assert_eq!(run.code, Some(1), "{}", run.all());
    let text = run.all();
    assert!(text.contains("auth-profiles.json") && text.contains("644"), "{text}");
    assert!(text.contains("755"), "{text}");
    assert_eq!(mode(&home.store_path()), 0o644, "--non-interactive changes nothing");
    assert_eq!(mode(&home.agent_dir()), 0o755);

    let run = home.run(&["doctor", "--yes"], b"");
    assert!(!run.panicked(), "{}", run.all());
    assert_eq!(mode(&home.store_path()), 0o600, "{}", run.all());
    assert_eq!(mode(&home.agent_dir()), 0o700, "{}", run.all());
    let again = home.run(&["doctor", "--non-interactive"], b"");
    assert!(!again.all().contains("644") && !again.all().contains("755"), "{}", again.all());
}

#[test]
fn writes_create_private_files_under_a_loose_umask() {
    let home = Home::new();
    // SAFETY: umask only changes this process's (and its children's) mask.
    let old = unsafe { libc::umask(0o000) };
    let run = home.run(&["models", "auth", "paste-token", "--provider", "anthropic"], format!("{PASTED}\n").as_bytes());
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    assert_eq!(run.code, Some(0), "{}", run.err());
    assert_eq!(mode(&home.store_path()), 0o600);
    assert_eq!(mode(&home.agent_dir()), 0o700);
    assert_eq!(mode(&home.join(CONFIG)), 0o600);
}
