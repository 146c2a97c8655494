//! Operators' tooling: Prometheus output, completions, the man page and the
//! systemd units, through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NOW: &str = "1767225600000";

fn clawdbot(home: &Path, args: &[&str]) -> Output {
    clawdbot_into(home, args, std::process::Stdio::piped())
}

fn home_with_store(store: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".clawdbot/agents/main/agent");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("auth-profiles.json"), store).unwrap();
    home
}

#[test]
fn prometheus_output_is_well_formed_and_carries_the_check_code() {
    let home = home_with_store(
        r#"{"version":1,"profiles":{
            "anthropic:me":{"type":"oauth","provider":"anthropic","access":"FAKE-a","expires":1767229200000},
            "openai:k":{"type":"api_key","provider":"openai","key":"sk-FAKEFAKEFAKEFAKEFAKE"}}}"#,
    );
    let out = clawdbot(home.path(), &["models", "status", "--check", "--format", "prometheus"]);
    assert_eq!(out.status.code(), Some(2), "expiring within 24 h, and no refresh token to renew it");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("clawdbot_auth_check{agent=\"main\"} 2"), "{text}");
    assert!(text.contains(
        "clawdbot_auth_profile_expiry_timestamp_seconds{agent=\"main\",profile=\"anthropic:me\",provider=\"anthropic\",type=\"oauth\"} 1767229200"
    ));
    assert!(text.contains("status=\"static\"} 1"));
    assert!(!text.contains("FAKE"), "no secret in metrics");
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            assert!(rest.ends_with(" gauge"), "{line}");
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("sample line: series value");
        assert!(value.parse::<f64>().is_ok(), "value of {line}");
        let name = series.split('{').next().unwrap();
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{name}");
        assert!(text.contains(&format!("# TYPE {name} gauge")), "untyped {name}");
        assert!(series.ends_with('}'), "{series}");
    }
}

#[test]
fn completions_name_the_commands_and_bash_parses_them() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = clawdbot(home.path(), &["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        for word in ["models", "doctor", "paste-token", "warn-within"] {
            assert!(text.contains(word), "{shell} completion lacks {word}");
        }
    }
    if Path::new("/bin/bash").exists() {
        let script = clawdbot(home.path(), &["completions", "bash"]).stdout;
        let file = home.path().join("clawdbot.bash");
        std::fs::write(&file, script).unwrap();
        let check = Command::new("/bin/bash").arg("-n").arg(&file).status().unwrap();
        assert!(check.success(), "bash -n rejects the completion script");
    }
    assert_eq!(clawdbot(home.path(), &["completions", "tcsh"]).status.code(), Some(64));
}

/// Runs `clawdbot <args>` with standard output going to `stdout`.
fn clawdbot_into(home: &Path, args: &[&str], stdout: std::process::Stdio) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clawdbot"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CLAWDBOT_NOW_MS", NOW)
        .env("CLAWDBOT_KEYCHAIN", "off")
        .stdout(stdout)
        .output()
        .expect("clawdbot runs")
}

/// Issue 23 item 16: `completions bash | head -1` and `completions zsh >
/// /dev/full` panicked (exit 101) and printed the build machine's paths.
#[test]
fn output_that_cannot_be_written_is_exit_3_and_no_panic() {
    let home = tempfile::tempdir().unwrap();
    type Opened = fn() -> std::process::Stdio;
    let mut outputs: Vec<(&str, Opened)> = vec![("a closed pipe", || {
        // The reader is gone before the first byte is written.
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        writer.into()
    })];
    if Path::new("/dev/full").exists() {
        outputs.push(("/dev/full", || std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap().into()));
    }
    for (into, stdout) in outputs {
        for args in [&["completions", "bash"][..], &["completions", "zsh"], &["man"], &["man", "models", "auth"]] {
            let out = clawdbot_into(home.path(), args, stdout());
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(3), "{args:?} into {into}: {err}");
            assert!(err.contains("standard output"), "{args:?} into {into}: {err}");
            assert!(!err.contains("panicked") && !err.contains(".rs") && !err.contains(".cargo"), "{err}");
        }
    }
}

/// Issue 23 item 8: a report or a key that could not be written (`>
/// /dev/full`, a reader that went away) was exit 0; it is exit 3, said on
/// stderr without the key.
#[test]
fn a_command_whose_output_could_not_be_written_could_not_run() {
    let home = tempfile::tempdir().unwrap();
    let key = "sk-FAKE-unwritten-0123456789";
    let store = format!(
        r#"{{"version":1,"profiles":{{"openai:default":{{"type":"api_key","provider":"openai","key":"{key}"}}}}}}"#
    );
    let dir = home.path().join(".clawdbot/agents/main/agent");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("auth-profiles.json"), store).unwrap();
    let closed_pipe = || -> std::process::Stdio {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        writer.into()
    };
    for args in [
        &["models", "status", "--json"][..],
        &["models", "status"],
        &["models", "auth", "list"],
        &["models", "auth", "token", "--provider", "openai"],
    ] {
        let out = clawdbot_into(home.path(), args, closed_pipe());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
        assert!(err.contains("could not write the output to standard output"), "{args:?}: {err}");
        assert!(!err.contains(key), "the key on stderr: {err}");
    }
    // Written where it can be, the same commands end 0.
    let out =
        clawdbot_into(home.path(), &["models", "auth", "token", "--provider", "openai"], std::process::Stdio::piped());
    assert_eq!((out.status.code(), String::from_utf8_lossy(&out.stdout).trim()), (Some(0), key));
}

#[test]
fn the_man_page_is_roff_and_documents_the_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    let out = clawdbot(home.path(), &["man"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(".TH clawdbot 1"), "{text}");
    assert!(text.contains("doctor"));
    assert!(text.contains("64 usage error"), "exit codes are documented");

    let out = clawdbot(home.path(), &["man", "models", "auth", "paste-token"]);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().contains(".TH clawdbot-models-auth-paste-token 1"));
    assert_eq!(clawdbot(home.path(), &["man", "nope"]).status.code(), Some(64));
}

/// The names `name(1)` a page refers to, `\-` read as `-`.
fn page_references(text: &str) -> Vec<String> {
    let plain = text.replace("\\-", "-").replace("\\fB", " ").replace("\\fR", " ");
    let mut refs = Vec::new();
    for (at, _) in plain.match_indices("(1)") {
        let name: String = plain[..at]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if !name.is_empty() {
            refs.push(name);
        }
    }
    refs
}

/// `man --out-dir` writes a page per command; every page has the sections
/// an operator looks for, and names no page that does not exist.
#[test]
fn every_command_has_a_man_page_and_no_page_names_a_missing_one() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("man1");
    let out = clawdbot(home.path(), &["man", "--out-dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let mut pages: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    pages.sort();
    for want in ["clawdbot.1", "clawdbot-models.1", "clawdbot-models-status.1", "clawdbot-models-auth-paste-token.1"] {
        assert!(pages.iter().any(|p| p == want), "{want} missing from {pages:?}");
    }
    assert!(!pages.iter().any(|p| p.contains("help")), "no page for clap's help subcommand: {pages:?}");
    let mut referenced = 0;
    for page in &pages {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        for section in [".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH FILES", ".SH \"SEE ALSO\""] {
            assert!(text.contains(section), "{page} lacks {section}");
        }
        assert!(text.contains("CLAWDBOT_STATE_DIR") && text.contains("auth\\-profiles.json"), "{page}");
        for name in page_references(&text) {
            referenced += 1;
            assert!(pages.contains(&format!("{name}.1")), "{page} names {name}(1), which does not exist");
        }
        // groff, where installed, finds nothing to warn about.
        if let Ok(check) = Command::new("groff").args(["-man", "-ww", "-z"]).arg(dir.join(page)).output() {
            assert!(check.stderr.is_empty(), "{page}: {}", String::from_utf8_lossy(&check.stderr));
        }
    }
    assert!(referenced >= pages.len() - 1, "every page but the top one is named by its parent");
}

fn unit(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../contrib/systemd").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `key=value` lines of one `[section]`, comments dropped.
fn section(text: &str, name: &str) -> Vec<(String, String)> {
    let mut current = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        if line.starts_with('[') {
            current = line.trim_matches(['[', ']']).to_string();
        } else if current == name {
            let (k, v) = line.split_once('=').expect("key=value");
            out.push((k.to_string(), v.to_string()));
        }
    }
    out
}

#[test]
fn systemd_units_schedule_the_check_and_hook_failures() {
    let timer = unit("clawdbot-auth-check.timer");
    let t = section(&timer, "Timer");
    // Persistent= catches up only on OnCalendar= times (systemd.timer(5)).
    assert!(t.contains(&("OnCalendar".into(), "*:0/30".into())), "{t:?}");
    assert!(t.contains(&("Persistent".into(), "true".into())));
    assert!(t.contains(&("OnBootSec".into(), "5min".into())));
    assert!(!t.iter().any(|(k, _)| k == "OnUnitActiveSec"), "a monotonic timer has nothing to catch up");
    assert!(section(&timer, "Install").contains(&("WantedBy".into(), "timers.target".into())));

    let service = unit("clawdbot-auth-check.service");
    let s = section(&service, "Service");
    assert!(s.contains(&("Type".into(), "oneshot".into())));
    assert!(s.contains(&("SuccessExitStatus".into(), "2".into())), "exit 2 is a warning, not a failure");
    assert!(s.contains(&("StandardError".into(), "journal".into())), "warnings never land in the .prom file");
    let hook = section(&service, "Unit").into_iter().find(|(k, _)| k == "OnFailure").expect("OnFailure=");
    let alert_template = hook.1.split('@').next().unwrap().to_string() + "@.service";
    assert!(!unit(&alert_template).is_empty(), "the OnFailure hook's template exists");

    // The ExecStart command line is one the binary accepts.
    let exec = s.iter().find(|(k, _)| k == "ExecStart").expect("ExecStart=").1.clone();
    let args: Vec<&str> = exec.split_whitespace().skip(1).collect();
    let home = tempfile::tempdir().unwrap();
    let out = clawdbot(home.path(), &args);
    assert_eq!(out.status.code(), Some(1), "empty HOME: anthropic is missing: {:?}", out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("clawdbot_auth_missing_provider_in_use"));
}

/// The ExecStopPost= line logs a warning after exit 2 and nothing otherwise.
#[test]
fn systemd_service_logs_exit_2_as_a_warning() {
    let service = unit("clawdbot-auth-check.service");
    let post = section(&service, "Service").into_iter().find(|(k, _)| k == "ExecStopPost").expect("ExecStopPost=").1;
    let script = post.strip_prefix("/bin/sh -c '").and_then(|s| s.strip_suffix('\'')).expect("/bin/sh -c '…'");
    // systemd turns `$$` into `$` before running the line.
    let script = script.replace("$$", "$");
    for (status, warned) in [("2", true), ("0", false), ("1", false)] {
        let out = Command::new("/bin/sh").arg("-c").arg(&script).env("EXIT_STATUS", status).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{status}: {err}");
        assert_eq!(err.starts_with("<4>"), warned, "EXIT_STATUS={status}: {err:?}");
    }
}

/// `systemd-analyze verify` accepts the units without a single warning.
/// Skipped, with the reason, where systemd is not installed, except under
/// `CI=true`, where scripts/test.sh installs it.
#[test]
fn systemd_units_pass_systemd_analyze_verify() {
    let Ok(probe) = Command::new("systemd-analyze").arg("--version").output() else {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI=true: systemd-analyze must be installed");
        eprintln!("skipped: systemd-analyze is not installed (apt-get install systemd)");
        return;
    };
    assert!(probe.status.success());
    let dir = tempfile::tempdir().unwrap();
    for name in ["clawdbot-auth-check.service", "clawdbot-auth-check.timer", "clawdbot-auth-alert@.service"] {
        // verify insists that ExecStart= names an executable: the one just built.
        let text = unit(name).replace("/usr/local/bin/clawdbot", env!("CARGO_BIN_EXE_clawdbot"));
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    std::fs::copy(dir.path().join("clawdbot-auth-alert@.service"), dir.path().join("clawdbot-auth-alert@x.service"))
        .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(["clawdbot-auth-check.service", "clawdbot-auth-check.timer", "clawdbot-auth-alert@x.service"])
        .current_dir(dir.path())
        .env("SYSTEMD_LOG_COLOR", "0")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify: {err}");
    let own: Vec<&str> = err.lines().filter(|l| l.contains("clawdbot")).collect();
    assert!(own.is_empty(), "warnings about the units: {own:?}");
}

/// An unreadable store and an expired login both make `--check` say 1;
/// the metrics tell them apart.
#[test]
fn prometheus_tells_an_unreadable_store_from_an_expired_login() {
    let broken = home_with_store("{ not json");
    let out = clawdbot(broken.path(), &["models", "status", "--check", "--format", "prometheus"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "clawdbot_auth_file_unreadable{agent=\"main\",file=\"~/.clawdbot/agents/main/agent/auth-profiles.json\"} 1"
        ),
        "{text}"
    );

    let expired = home_with_store(
        r#"{"version":1,"profiles":{"anthropic:me":{"type":"oauth","provider":"anthropic","access":"FAKE-a","expires":1000}}}"#,
    );
    let out = clawdbot(expired.path(), &["models", "status", "--check", "--format", "prometheus"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("# TYPE clawdbot_auth_file_unreadable gauge"), "{text}");
    assert!(!text.contains("clawdbot_auth_file_unreadable{"), "{text}");
    assert!(text.contains("status=\"expired\"} 1"), "{text}");
}

/// What docs/auth-monitoring.md ("What --check counts") says about a
/// credential without an expiry: a token without one never expires (0), a
/// login with a refresh token renews itself (0), an OAuth login without
/// either cannot be judged (1).
#[test]
fn check_on_credentials_without_an_expiry_is_what_the_docs_say() {
    let cases = [
        (r#"{"type":"token","provider":"anthropic","token":"sk-ant-FAKE"}"#, 0, "a token without expires"),
        (r#"{"type":"token","provider":"anthropic","token":"sk-ant-FAKE","expires":0}"#, 0, "a token with expires 0"),
        (
            r#"{"type":"oauth","provider":"anthropic","access":"FAKE-a","refresh":"FAKE-r"}"#,
            0,
            "a login without expires that renews itself",
        ),
        (r#"{"type":"oauth","provider":"anthropic","access":"FAKE-a"}"#, 1, "a login without expires or refresh token"),
        (
            r#"{"type":"oauth","provider":"anthropic","access":"FAKE-a","expires":0}"#,
            1,
            "a login with expires 0 and no refresh token",
        ),
    ];
    for (profile, code, what) in cases {
        let home = home_with_store(&format!(r#"{{"version":1,"profiles":{{"anthropic:x":{profile}}}}}"#));
        for mode in [&["--check"][..], &["--check", "--json"], &["--check", "--format", "prometheus"]] {
            let args: Vec<&str> = ["models", "status"].into_iter().chain(mode.iter().copied()).collect();
            let out = clawdbot(home.path(), &args);
            assert_eq!(out.status.code(), Some(code), "{what}, {mode:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

/// Issue 23 item 19: `man models auth logout` exited 64 although the
/// parser takes `logout` for `remove`.
#[test]
fn man_takes_a_command_by_its_alias_too() {
    let home = tempfile::tempdir().unwrap();
    let alias = clawdbot(home.path(), &["man", "models", "auth", "logout"]);
    assert_eq!(alias.status.code(), Some(0), "{}", String::from_utf8_lossy(&alias.stderr));
    let page = clawdbot(home.path(), &["man", "models", "auth", "remove"]);
    assert_eq!(alias.stdout, page.stdout, "the alias names remove's page");
    let unknown = clawdbot(home.path(), &["man", "models", "auth", "logoff"]);
    assert_eq!(unknown.status.code(), Some(64));
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(err.contains("no manual page for `clawdbot models auth logoff`"), "{err}");
}

/// Issue 23 item 13: `man --out-dir` said "Not a directory" or "Is a
/// directory" without saying which path.
#[test]
fn man_out_dir_errors_name_the_path() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let under_a_file = file.join("man1");
    let taken = home.path().join("taken");
    std::fs::create_dir_all(taken.join("clawdbot-models.1")).unwrap();
    for (dir, named) in [(&under_a_file, &under_a_file), (&file, &file), (&taken, &taken.join("clawdbot-models.1"))] {
        let out = clawdbot(home.path(), &["man", "--out-dir", dir.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{}: {err}", dir.display());
        assert!(err.contains(&named.display().to_string()), "{} is not named: {err}", named.display());
    }
}

/// Issue 27: standard output is gathered into large writes (doctor says
/// tens of thousands of lines on a large store), yet a terminal or a log
/// taking both streams sees every line where it was said: standard output
/// goes out before anything is written to standard error.
#[test]
fn stdout_and_stderr_keep_their_order_in_one_stream() {
    let home = home_with_store(
        r#"{"version":1,"profiles":{"openai:k":{"type":"api_key","provider":"openai","key":"sk-FAKEFAKEFAKEFAKEFAKE"}}}"#,
    );
    // Claude Code's file is unreadable JSON: a warning on stderr, said
    // after doctor's "== Agent" line on stdout and before its notes.
    std::fs::create_dir_all(home.path().join(".claude")).unwrap();
    std::fs::write(home.path().join(".claude/.credentials.json"), "{not json").unwrap();
    let (reader, writer) = std::io::pipe().expect("a pipe");
    let mut child = Command::new(env!("CARGO_BIN_EXE_clawdbot"))
        .args(["doctor", "--all-agents", "--non-interactive"])
        .env_clear()
        .env("HOME", home.path())
        .env("CLAWDBOT_NOW_MS", NOW)
        .env("CLAWDBOT_KEYCHAIN", "off")
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .spawn()
        .unwrap();
    let mut both = String::new();
    std::io::Read::read_to_string(&mut { reader }, &mut both).unwrap();
    child.wait().unwrap();
    let at = |what: &str| both.find(what).unwrap_or_else(|| panic!("{what:?} in {both}"));
    let (agent, warning, summary) = (at("== Agent: main =="), at("warning: "), at("Doctor: "));
    assert!(agent < warning && warning < summary, "{both}");
    // And each stream alone is what it was.
    let out = clawdbot(home.path(), &["doctor", "--all-agents", "--non-interactive"]);
    let (stdout, stderr) = (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap());
    assert!(stdout.starts_with("== Agent: main ==\n") && !stdout.contains("warning: "), "{stdout}");
    assert!(stderr.contains("warning: ") && !stderr.contains("Doctor: "), "{stderr}");
}
