//! What a hostile and a careless operator found (issue 14), each hole
//! played end to end through the real binary on a throw-away HOME with
//! `NO_COLOR=1 CLAWDBOT_KEYCHAIN=off`: a paste that bricks the agent,
//! credential files doctor did not check, escapes that reached the
//! terminal, echoed secrets, hints naming commands that do not exist, a
//! sync announced although nothing was saved, unreadable files missing
//! from doctor's report, and mixed-case provider ids.

mod safety_common;

use safety_common::*;
use serde_json::{Value, json};
use std::os::unix::fs::symlink;
use std::process::Command;
use std::time::Duration;

const PASTE: &[&str] = &["models", "auth", "paste-token", "--provider", "openai"];

fn store_of(profiles: Value) -> Value {
    json!({"version": 1, "profiles": profiles})
}

fn assert_code(run: &Run, code: i32) {
    assert_eq!(
        run.code,
        Some(code),
        "{}: exit {:?}\nstdout:\n{}\nstderr:\n{}",
        run.what(),
        run.code,
        run.out(),
        run.err()
    );
}

// ---------------------------------------------------------------------------
// Items 1 and 14: a paste is checked before anything is written.
// ---------------------------------------------------------------------------

#[test]
fn a_bad_paste_never_reaches_the_store() {
    let home = Home::new();
    let good = store_of(json!({"openai:keep": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-KEEP"}}));
    home.write_json(STORE, &good);
    let before = home.read(STORE);
    let twelve_mb_of_nul = vec![0u8; 12_000_000];
    let long = "a".repeat(20 * 1024);
    let cases: [(&str, &[u8], &str); 6] = [
        ("12 MB of NUL", &twelve_mb_of_nul, "longer than"),
        ("a NUL inside", b"sk-FAKE\0tail\n", "control characters"),
        ("an escape inside", b"sk-FAKE\x1b[2Jtail\n", "control characters"),
        ("20 KiB", long.as_bytes(), "at most 16384 bytes"),
        ("not UTF-8", b"sk-\xff\xfe\n", "not UTF-8"),
        ("an API key", b"sk-ant-api03-FAKEFAKEFAKE\n", "API key"),
    ];
    for (what, input, says) in cases {
        let run = home.run(PASTE, input);
        assert_code(&run, 1);
        assert!(run.err().contains(says), "{what}: {}", run.err());
        assert_eq!(home.read(STORE), before, "{what}: the store changed");
        assert!(!run.all().contains("FAKEFAKE") && !run.all().contains("sk-FAKE"), "{what}: echoed {}", run.all());
    }
    // The good keys are still readable by every command.
    let status = home.run(&["models", "status", "--json"], b"");
    assert_code(&status, 0);
    assert!(status.out().contains("openai:keep"), "{}", status.out());
}

#[test]
fn a_wrapped_paste_is_cleaned_and_counted_and_a_replacement_is_named() {
    let home = Home::new();
    let first = home.run(PASTE, b"  sk-FAKE-AB\nCD \n");
    assert_code(&first, 0);
    assert!(first.err().contains("Read 12 characters (5 whitespace characters removed)."), "{}", first.err());
    assert!(first.out().contains("openai:manual (openai/token), added"), "{}", first.out());
    assert_eq!(home.store()["profiles"]["openai:manual"]["token"], "sk-FAKE-ABCD");
    let second = home.run(PASTE, b"sk-FAKE-EF\n");
    assert_code(&second, 0);
    assert!(second.out().contains("replaced the token stored before"), "{}", second.out());
}

#[test]
fn no_write_produces_a_store_the_reader_would_refuse() {
    let home = Home::new();
    // Just under the 64 MiB read cap: readable, but one more profile is too much.
    let cap = 64 * 1024 * 1024;
    let pad = "x".repeat(cap - 300);
    home.write_json(STORE, &store_of(json!({"openai:big": {"type": "api_key", "provider": "openai", "key": pad}})));
    let before = home.read(STORE);
    assert!(before.as_ref().is_some_and(|b| b.len() < cap), "the fixture must be readable");
    let run =
        run_cmd(&mut home.cmd(), PASTE, format!("sk-FAKE-{}\n", "y".repeat(400)).as_bytes(), Duration::from_secs(120));
    assert_code(&run, 3);
    assert!(run.err().contains("over the 67108864-byte limit"), "{}", run.err());
    assert_eq!(home.read(STORE), before, "the store changed");
    assert!(home.store_temps().is_empty(), "a temp file was left: {:?}", home.store_temps());
}

#[test]
fn paste_token_refuses_ids_and_expiries_that_cannot_work() {
    let home = Home::new();
    // The remedy is a hint line of its own, after the error (issue 20).
    let cases: [(&[&str], i32, &str, &str); 6] = [
        (&["--profile-id", ""], 64, "error: --profile-id must not be empty\n", ""),
        (
            &["--profile-id", "openai:"],
            64,
            "error: --profile-id \"openai:\" has no name after the ':'\n",
            "hint: Use e.g. openai:manual.\n",
        ),
        (
            &["--profile-id", "anthropic:x"],
            64,
            "error: --profile-id anthropic:x belongs to provider anthropic, not openai\n",
            "hint: Use openai:<name>.\n",
        ),
        (
            &["--profile-id", "anthropic:claude-cli"],
            1,
            "next sync would overwrite a pasted credential\n",
            "hint: Pick another id (e.g. openai:manual).\nhint: Run `clawdbot models auth sync --enable claude-cli`",
        ),
        (&["--expires-in", "0"], 64, "must be longer than 0", ""),
        (
            &["--expires-in", "100000000d"],
            64,
            "latest date the gateway can represent (year 275760)\n",
            "hint: Leave it out for a token that does not expire.\n",
        ),
    ];
    for (extra, code, says, hint) in cases {
        let args: Vec<&str> = PASTE.iter().chain(extra).copied().collect();
        let run = home.run(&args, b"sk-FAKE-TOKEN\n");
        assert_code(&run, code);
        assert!(run.err().contains(&format!("{says}{hint}")), "{}: {}", run.what(), run.err());
        assert!(home.read(STORE).is_none(), "{}: wrote a store", run.what());
    }
    let fine = home.run(&[PASTE, &["--profile-id", "OpenAI:work", "--expires-in", "30d"]].concat(), b"sk-FAKE\n");
    assert_code(&fine, 0);
    assert_eq!(home.store()["profiles"]["OpenAI:work"]["expires"], NOW + 30 * 86_400_000);
}

// ---------------------------------------------------------------------------
// Item 4: no echo at the prompt.
// ---------------------------------------------------------------------------

#[test]
fn a_pasted_token_is_not_echoed_and_its_length_is_told() {
    let home = Home::new();
    // `script` runs the command line through a shell: the binary's path
    // must be a plain word.
    assert!(!env!("CARGO_BIN_EXE_clawdbot").contains(' '));
    let Some(screen) = on_a_terminal(&home, "models auth paste-token --provider openai", "sk-FAKE-SECRET-TYPED\n")
    else {
        return;
    };
    assert!(screen.contains("input is hidden"), "{screen}");
    assert!(!screen.contains("SECRET-TYPED"), "the token was echoed:\n{screen}");
    assert!(screen.contains("Read 20 characters."), "{screen}");
    assert_eq!(home.store()["profiles"]["openai:manual"]["token"], "sk-FAKE-SECRET-TYPED");
}

/// Runs `clawdbot <args>` on a pseudo-terminal (util-linux `script`) with
/// the same cleared environment as every other run, typing `typed` once the
/// hidden prompt is up; returns what the terminal showed.
fn on_a_terminal(home: &Home, args: &str, typed: &str) -> Option<String> {
    on_a_terminal_at(home, args, "input is hidden", typed)
}

/// [`on_a_terminal`], typing once `prompt` is on the screen.
fn on_a_terminal_at(home: &Home, args: &str, prompt: &str, typed: &str) -> Option<String> {
    let probe = Command::new("script").arg("--version").output();
    if probe.is_err() {
        eprintln!("skipped: util-linux `script` is not installed");
        return None;
    }
    let line = format!("{} {args}", env!("CARGO_BIN_EXE_clawdbot"));
    let mut child = Command::new("script")
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_string()))
        .env("CLAWDBOT_NOW_MS", NOW.to_string())
        .env("CLAWDBOT_KEYCHAIN", "off")
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .current_dir(home.path())
        .args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let out = child.stdout.take()?;
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut out = out;
        let mut chunk = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut out, &mut chunk) {
            if n == 0 || tx.send(chunk[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    // Type only once the prompt is on the screen, as a person would. The
    // short pause covers the moment between the prompt and the terminal
    // mode change (both inside one call of the binary).
    let mut screen = Vec::new();
    while !String::from_utf8_lossy(&screen).contains(prompt) {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(bytes) => screen.extend(bytes),
            Err(_) => panic!("no prompt appeared: {}", String::from_utf8_lossy(&screen)),
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    {
        use std::io::Write;
        stdin.write_all(typed.as_bytes()).expect("type on the terminal");
    }
    drop(stdin);
    let (_, timed_out) = wait_with_limit(&mut child, Duration::from_secs(120));
    assert!(!timed_out, "the prompt never finished");
    let _ = reader.join();
    screen.extend(rx.try_iter().flatten());
    Some(String::from_utf8_lossy(&screen).into_owned())
}

// ---------------------------------------------------------------------------
// Item 3: no raw control character reaches a terminal.
// ---------------------------------------------------------------------------

/// ESC (a CSI clear and an OSC title), BEL, a bidi override and a C1 CSI.
const HOSTILE: &str = "\u{1b}[2J\u{1b}]0;owned\u{7}\u{202e}gnp\u{9b}31m";

#[test]
fn no_control_character_reaches_the_terminal_from_any_command() {
    let home = Home::new();
    let evil = |s: &str| format!("{s}{HOSTILE}");
    home.write_json(
        CONFIG,
        &json!({"agents": {"defaults": {"model": {"primary": evil("anthropic/claude"), "fallbacks": [evil("openai/x")]}}}}),
    );
    let expired = NOW - 1000;
    home.write_json(
        STORE,
        &json!({
            "version": 1,
            "profiles": {
                evil("anthropic:id"): {"type": "token", "provider": "anthropic", "token": "sk-ant-oat01-FAKE", "expires": expired},
                "anthropic:billing": {"type": "api_key", "provider": evil("anthropic"), "key": "sk-ant-api03-FAKE", "email": evil("me@")},
            },
            "order": {"anthropic": [evil("anthropic:id")]},
            "usageStats": {"anthropic:billing": {"disabledUntil": NOW + 3_600_000, "disabledReason": evil("billing")}},
        }),
    );
    let mut runs = Vec::new();
    for args in [
        &["models", "status"][..],
        &["models", "status", "--plain"],
        &["models", "status", "--json"],
        &["models", "status", "--format", "prometheus"],
        &["models", "--status-plain"],
        &["doctor", "--non-interactive"],
        &["models", "auth", "order", "get", "--provider", "anthropic", "--resolved"],
        &["models", "auth", "order", "get", "--provider", "anthropic", "--json"],
        &["models", "auth", "token", "--provider", "anthropic"],
    ] {
        runs.push(home.run(args, b""));
    }
    let provider = evil("openai");
    let id = evil("openai:id");
    runs.push(home.run(&["models", "auth", "paste-token", "--provider", &provider], b"sk-FAKE\n"));
    runs.push(home.run(&[PASTE, &["--profile-id", &id]].concat(), b"sk-FAKE\n"));
    runs.push(home.run(&[PASTE, &["--expires-in", &evil("3d")]].concat(), b"sk-FAKE\n"));
    runs.push(home.run(&["models", "auth", "order", "set", "--provider", "anthropic", &evil("x")], b""));
    let mut problems = Vec::new();
    for run in &runs {
        assert!(!run.panicked() && !run.timed_out, "{}: {}", run.what(), run.err());
        problems.extend(control_problems(&format!("{} stdout", run.what()), &run.stdout));
        problems.extend(control_problems(&format!("{} stderr", run.what()), &run.stderr));
    }
    assert!(problems.is_empty(), "raw control characters:\n{}", problems.join("\n"));
    // The hostile texts were shown (escaped), not dropped.
    let plain = &runs[1];
    assert!(plain.out().contains("\\u{1b}[2J"), "{}", plain.out());
    let doctor = &runs[5];
    assert!(doctor.out().contains("disabled:billing\\u{1b}"), "{}", doctor.out());
}

// ---------------------------------------------------------------------------
// Item 2: doctor checks and fixes every credential path, for every agent.
// ---------------------------------------------------------------------------

#[test]
fn doctor_checks_and_fixes_every_credential_file_and_folder() {
    let home = Home::new();
    let codex =
        json!({"OPENAI_API_KEY": "sk-FAKE", "tokens": {"access_token": "a", "refresh_token": "r", "account_id": "x"}});
    home.write_json(CODEX, &codex);
    home.write_json(CLAUDE, &json!({"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE", "refreshToken": "sk-ant-ort01-FAKE", "expiresAt": NOW + 400 * 86_400_000_i64}}));
    home.write_json(CONFIG, &json!({}));
    home.write_json(".clawdbot/credentials/oauth.json", &json!({}));
    let work_store = ".clawdbot/agents/work/agent/auth-profiles.json";
    home.write_json(
        work_store,
        &store_of(json!({"openai:w": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-W"}})),
    );
    home.write_json(STORE, &store_of(json!({})));
    let exposed = [
        (CODEX, 0o644),
        (CLAUDE, 0o644),
        (CONFIG, 0o644),
        (".clawdbot/credentials/oauth.json", 0o640),
        (".clawdbot/credentials", 0o755),
        (work_store, 0o604),
        (".clawdbot/agents/work/agent", 0o755),
        (".clawdbot", 0o750),
        (".codex", 0o777),
    ];
    for (rel, m) in exposed {
        set_mode(&home.join(rel), m);
    }
    let report = home.run(&["doctor", "--non-interactive"], b"");
    assert_code(&report, 1);
    for (rel, _) in exposed {
        let shown = home.join(rel).to_string_lossy().into_owned();
        assert!(report.out().contains(&format!("- {shown}: ")), "{rel} not reported:\n{}", report.out());
    }
    for (rel, _) in exposed {
        assert_ne!(mode(&home.join(rel)) & 0o077, 0, "{rel} changed without --fix");
    }
    let fixed = home.run(&["doctor", "--fix"], b"");
    assert!(fixed.out().contains("made private"), "{}", fixed.out());
    for (rel, _) in exposed {
        let m = mode(&home.join(rel));
        let want = if rel == ".codex" {
            0o755
        } else if home.join(rel).is_dir() {
            0o700
        } else {
            0o600
        };
        assert_eq!(m, want, "{rel}: mode {m:o} after --fix");
    }
    let again = home.run(&["doctor", "--non-interactive"], b"");
    assert!(!again.out().contains("Permissions"), "{}", again.out());
}

#[test]
fn doctor_takes_agent_and_reports_a_store_linked_into_a_shared_folder() {
    let home = Home::new();
    let shared = home.join("shared");
    std::fs::create_dir(&shared).expect("mkdir");
    set_mode(&shared, 0o1777);
    let target = shared.join("store.json");
    std::fs::write(&target, serde_json::to_vec(&store_of(json!({}))).expect("json")).expect("write");
    set_mode(&target, 0o600);
    let work_dir = home.join(".clawdbot/agents/work/agent");
    std::fs::create_dir_all(&work_dir).expect("mkdir");
    for dir in [".clawdbot", ".clawdbot/agents", ".clawdbot/agents/work", ".clawdbot/agents/work/agent"] {
        set_mode(&home.join(dir), 0o700);
    }
    symlink(&target, work_dir.join("auth-profiles.json")).expect("symlink");
    let other = ".clawdbot/agents/other/agent/auth-profiles.json";
    home.write_json(other, &store_of(json!({})));
    set_mode(&home.join(other), 0o644);
    let work = home.run(&["doctor", "--non-interactive", "--agent", "work"], b"");
    assert_code(&work, 1);
    assert!(
        work.out().contains("is a symlink into") && work.out().contains("which other users can write"),
        "{}",
        work.out()
    );
    assert!(!work.out().contains("agents/other"), "--agent work checked another agent:\n{}", work.out());
    let all = home.run(&["doctor", "--non-interactive"], b"");
    assert!(all.out().contains("agents/other/agent/auth-profiles.json: file is readable"), "{}", all.out());
}

// ---------------------------------------------------------------------------
// Item 7: hints name commands that exist.
// ---------------------------------------------------------------------------

#[test]
fn hints_name_commands_this_binary_has() {
    let home = Home::new();
    home.write_json(
        STORE,
        &store_of(json!({
            "openai:t": {"type": "token", "provider": "openai", "token": "sk-FAKE", "expires": NOW - 1},
            "anthropic:w": {"type": "oauth", "provider": "anthropic", "access": "sk-ant-oat01-FAKE", "refresh": "sk-ant-ort01-FAKE", "expires": NOW - 1},
        })),
    );
    home.write_json(CONFIG, &json!({"agents": {"defaults": {"model": {"primary": "openrouter/x"}}}}));
    let runs = [home.run(&["models", "status"], b""), home.run(&["doctor", "--non-interactive"], b"")];
    for run in &runs {
        let all = run.all();
        assert!(!all.contains("clawdbot configure") && !all.contains("clawdbot onboard"), "{}:\n{all}", run.what());
    }
    let doctor = runs[1].out();
    assert!(
        doctor.contains(
            "`clawdbot models auth paste-token --provider openai --profile-id openai:t --expires-in <lifetime>`"
        ),
        "{doctor}"
    );
    // A login that renews itself needs no remedy at all (issue 12).
    assert!(
        doctor.contains("- anthropic:w: access token expired 1m ago — refreshes itself when due; nothing to do."),
        "{doctor}"
    );
    assert!(runs[0].out().contains("models auth paste-api-key --provider openrouter"), "{}", runs[0].out());
    assert!(doctor.contains("- openrouter: no credentials for a provider in use — Set OPENROUTER_API_KEY, or store a key with `clawdbot models auth paste-api-key --provider openrouter`."), "{doctor}");
}

#[test]
fn a_rejected_refresh_blames_claude_code_only_for_its_own_login() {
    let home = Home::new();
    let server = Endpoint::start(Behaviour::Fixed {
        status: 400,
        content_type: "application/json".to_string(),
        body: br#"{"error":"invalid_grant","error_description":"refresh token revoked"}"#.to_vec(),
    });
    let login = json!({"type": "oauth", "provider": "anthropic", "access": "sk-ant-oat01-FAKE", "refresh": "sk-ant-ort01-FAKE", "expires": NOW - 60_000});
    home.write_json(STORE, &store_of(json!({"anthropic:work": login})));
    let mut cmd = home.cmd();
    cmd.env("CLAWDBOT_TOKEN_URL_ANTHROPIC", server.url());
    let run = run_cmd(&mut cmd, &["models", "auth", "refresh", "--profile", "anthropic:work"], b"", RUN_LIMIT);
    assert_code(&run, 1);
    let err = run.err();
    assert!(!err.contains("Claude Code shares this login"), "{err}");
    assert!(!err.contains("clawdbot configure") && !err.contains("clawdbot onboard"), "{err}");
    assert!(
        err.contains("`clawdbot models auth paste-token --provider anthropic --profile-id anthropic:work`"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// Items 15 and 16: say what happened; list every unreadable file.
// ---------------------------------------------------------------------------

/// `home.run` with one more environment variable.
fn run_with(home: &Home, args: &[&str], (key, value): (&str, &str)) -> Run {
    run_cmd(home.cmd().env(key, value), args, b"", RUN_LIMIT)
}

fn claude_login() -> Value {
    json!({"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE", "refreshToken": "sk-ant-ort01-FAKE", "expiresAt": NOW + 86_400_000 * 30}})
}

#[test]
fn a_sync_that_was_not_saved_is_not_announced_as_done() {
    let home = Home::new();
    home.write_json(CLAUDE, &claude_login());
    // A store that cannot be read: a parent of its path is a file.
    home.write(".clawdbot/agents/main", b"not a folder");
    for args in [&["models", "status"][..], &["doctor", "--non-interactive"]] {
        let run = home.run(args, b"");
        let all = run.all();
        assert!(all.contains("not saved"), "{}:\n{all}", run.what());
        for line in all.lines().filter(|l| l.contains("synced anthropic")) {
            assert!(line.contains("not saved"), "{}: {line}", run.what());
        }
    }
    // A store that cannot be written (a folder nobody can create, even root).
    let blocked = run_with(&home, &["models", "status"], ("CLAWDBOT_AGENT_DIR", "/proc/clawdbot-test/agent"));
    let err = blocked.err();
    assert!(err.contains("not saved") && !err.lines().any(|l| l.starts_with("synced")), "{err}");
    assert!(err.matches("(os error").count() <= 1, "the OS error is printed twice: {err}");
    let doctor = run_with(&home, &["doctor", "--non-interactive"], ("CLAWDBOT_AGENT_DIR", "/proc/clawdbot-test/agent"));
    assert_code(&doctor, 1);
    assert!(doctor.out().contains("Not saved"), "{}", doctor.out());
    assert!(!doctor.out().contains("healthy"), "{}", doctor.out());
}

/// Issue 23 item 12: HOME or `CLAWDBOT_STATE_DIR` naming a file made every
/// message blame a credential file ("a parent of the path is not a
/// folder"), doctor listed files that cannot exist as unreadable, and a
/// paste asked for the token, then named the folder it could not make.
/// Now each command says once which variable names what, and ends (exit 1)
/// before it reads or asks anything.
#[test]
fn a_home_or_state_folder_that_is_a_file_is_named_once_by_every_command() {
    let home = Home::new();
    home.write("file", b"not a folder");
    let file = home.join("file");
    let file = file.to_str().expect("utf-8");
    let commands: [&[&str]; 7] = [
        &["models", "status"],
        &["models", "status", "--check", "--json"],
        &["doctor", "--non-interactive"],
        &["models", "auth", "list"],
        &["models", "auth", "token", "--provider", "openai"],
        PASTE,
        &["models", "auth", "paste-api-key", "--provider", "openai"],
    ];
    for variable in ["HOME", "CLAWDBOT_STATE_DIR"] {
        for args in commands {
            let run = run_cmd(home.cmd().env(variable, file), args, b"sk-FAKE-typed-0123456789\n", RUN_LIMIT);
            let all = run.all();
            assert_code(&run, 1);
            assert_eq!(all.matches(file).count(), 1, "{variable}: {}: the path once:\n{all}", run.what());
            assert!(all.contains(&format!("{file}: not a folder ({variable} names it)")), "{}:\n{all}", run.what());
            assert!(!all.contains("a parent of the path") && !all.contains("Read "), "{}:\n{all}", run.what());
        }
    }
    assert!(home.read(STORE).is_none(), "nothing written");
    // HOME naming a file while the state folder is elsewhere (a service
    // run with HOME=/dev/null): one warning, and no file under HOME is
    // listed as unreadable.
    let state = home.join("state");
    let state = state.to_str().expect("utf-8");
    let run = run_cmd(
        home.cmd().env("HOME", file).env("CLAWDBOT_STATE_DIR", state),
        &["doctor", "--non-interactive"],
        b"",
        RUN_LIMIT,
    );
    let all = run.all();
    let warning = format!("{file}: not a folder (HOME names it); nothing under it is read");
    // Once in doctor's report, once among the load's notices on stderr.
    assert_eq!((run.out().matches(&warning).count(), run.err().matches(&warning).count()), (1, 1), "{all}");
    assert!(!all.contains(".claude") && !all.contains(".codex") && !all.contains("Unreadable"), "{all}");
}

#[test]
fn doctor_lists_every_unreadable_file_it_read_on_stdout() {
    let home = Home::new();
    home.write(CLAUDE, b"{ not json");
    std::fs::create_dir_all(home.join(CODEX)).expect("a folder where Codex's file should be");
    let run = home.run(&["doctor", "--non-interactive"], b"");
    let out = run.out();
    assert!(out.contains("~/.claude/.credentials.json: not valid JSON"), "{out}");
    assert!(out.contains("~/.codex/auth.json: cannot be read"), "{out}");
}

// ---------------------------------------------------------------------------
// Item 19: one comparison rule for provider ids.
// ---------------------------------------------------------------------------

#[test]
fn a_mixed_case_provider_is_the_same_provider_everywhere() {
    let home = Home::new();
    home.write_json(CONFIG, &json!({"agents": {"defaults": {"model": {"primary": "OpenRouter/some-model"}}}}));
    home.write_json(
        STORE,
        &store_of(
            json!({"OpenRouter:x": {"type": "api_key", "provider": "OpenRouter", "key": "sk-or-FAKEFAKEFAKEFAKE"}}),
        ),
    );
    let check = home.run(&["models", "status", "--check"], b"");
    assert_code(&check, 0);
    assert!(!check.out().contains("Missing auth"), "{}", check.out());
    let json = home.run(&["models", "status", "--json"], b"");
    let doc: Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(doc["auth"]["missingProvidersInUse"], json!([]), "{doc}");
    let doctor = home.run(&["doctor", "--non-interactive"], b"");
    assert!(!doctor.out().contains("Missing auth"), "{}", doctor.out());
    let token = home.run(&["models", "auth", "token", "--provider", "openrouter"], b"");
    assert_code(&token, 0);
}

// ---------------------------------------------------------------------------
// Item 21 (the --help half).
// ---------------------------------------------------------------------------

#[test]
fn help_says_which_store_a_command_reads() {
    let home = Home::new();
    let help = home.run(&["--help"], b"");
    assert_code(&help, 0);
    assert!(!help.out().contains("every agent's auth-profiles.json"), "{}", help.out());
    assert!(help.out().contains("one agent's auth-profiles.json"), "{}", help.out());
}

// ---------------------------------------------------------------------------
// Issue 23 item 18: a confirmation is yes, no, the default, or asked again.
// ---------------------------------------------------------------------------

#[test]
fn doctor_asks_again_until_the_answer_is_yes_or_no() {
    let home = Home::new();
    home.write_json(
        STORE,
        &json!({"version": 1, "profiles": {
        "openai:a": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-a"}}}),
    );
    std::fs::set_permissions(home.store_path(), std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let Some(screen) = on_a_terminal_at(&home, "doctor", "[Y/n]", "nope\nq\nn\n") else { return };
    assert_eq!(screen.matches("private? [Y/n]").count(), 3, "asked again after nope and q:\n{screen}");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(home.store_path()).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o644, "no was no:\n{screen}");
    assert!(screen.contains("run `clawdbot doctor --fix` or chmod it"), "{screen}");
}

#[test]
fn remove_asks_again_until_the_answer_is_yes_or_no() {
    let home = Home::new();
    home.write_json(
        STORE,
        &json!({"version": 1, "profiles": {
        "openai:a": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-a"},
        "openai:b": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-b"}}}),
    );
    let Some(screen) = on_a_terminal_at(&home, "models auth remove openai:a", "[y/N]", "yes please\ny\n") else {
        return;
    };
    assert_eq!(screen.matches("[y/N]").count(), 2, "asked again after \"yes please\":\n{screen}");
    let store = home.store();
    assert!(store["profiles"].get("openai:a").is_none(), "y was yes:\n{screen}\n{store}");
    assert!(store["profiles"].get("openai:b").is_some(), "{store}");
}
