//! Hostile input: a generated corpus of stores (and a few Claude Code and
//! Codex files), plus every file of `tests/badinput/`, run
//! through every command that reads them. For each run: no panic, no hang
//! (a guard kills a run after 120 s; how long runs took is printed, and
//! speed belongs in `scripts/bench.sh`), peak RSS under 1 GiB, no raw control character on stdout
//! or stderr, `--json` is one JSON document, the input untouched (a link
//! stays the same link), and an unusable store named in the output.

mod safety_common;

use safety_common::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

const COMMANDS: &[&[&str]] = &[
    &["models", "status"],
    &["models", "status", "--json"],
    &["models", "status", "--check"],
    &["models", "status", "--format", "prometheus"],
    &["doctor", "--non-interactive"],
    &["models", "auth", "order", "get", "--provider", "anthropic", "--resolved"],
    &["models", "auth", "token", "--provider", "anthropic"],
];

const MAX_RSS_KB: u64 = 1024 * 1024;
/// A hang guard, not a speed target: generous enough for a busy machine.
const TIME_LIMIT: Duration = Duration::from_secs(120);

/// What is at the path under test.
enum Thing {
    File(Vec<u8>),
    Folder,
    Fifo,
    /// `a -> b -> a` at the path.
    SymlinkLoop,
    /// A symlink to a device that never ends.
    Symlink(&'static str),
    /// A file of this many bytes that is all hole (a sparse file).
    Sparse(u64),
    /// A file with mode 000 (only meaningful when not root).
    NoAccess(Vec<u8>),
}

struct Case {
    name: String,
    rel: &'static str,
    thing: Thing,
    /// The tool cannot use the file and must say so, naming it.
    unusable: bool,
    /// Whether the tool may rewrite the file (a migration or a sync).
    may_change: bool,
}

fn case(name: &str, rel: &'static str, thing: Thing, unusable: bool) -> Case {
    Case { name: name.to_string(), rel, thing, unusable, may_change: false }
}

fn store_text(profiles: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"version": 1, "profiles": profiles})).expect("json")
}

const ESC_ID: &str = "anthropic:\u{1b}[31mred\u{1b}[0m\nline2\u{202e}evil\u{7}\u{9b}";
const ESC_EMAIL: &str = "\u{1b}]0;pwned\u{7}me@example.invalid\r\n\u{2066}";

fn corpus() -> Vec<Case> {
    let key = |k: &str| json!({"type": "api_key", "provider": "anthropic", "key": k});
    let mut all = vec![
        // Raw NUL bytes: not JSON.
        case(
            "nul-raw",
            STORE,
            Thing::File(b"{\"version\":1,\"profiles\":{\"a\0b\":{\"type\":\"api_key\",\"provider\":\"x\0\",\"key\":\"k\0\"}}}".to_vec()),
            true,
        ),
        // NULs as escapes: valid JSON holding NUL characters.
        case(
            "nul-escaped",
            STORE,
            Thing::File(
                br#"{"version":1,"profiles":{"anthropic:a\u0000b":{"type":"api_key","provider":"anthropic","key":"sk-\u0000-key-0000000000"}}}"#
                    .to_vec(),
            ),
            false,
        ),
        case(
            "lone-surrogate-key",
            STORE,
            Thing::File(br#"{"version":1,"profiles":{"anthropic:\ud800":{"type":"api_key","provider":"anthropic","key":"k"}}}"#.to_vec()),
            true,
        ),
        case(
            "lone-surrogate-value",
            STORE,
            Thing::File(br#"{"version":1,"profiles":{"anthropic:a":{"type":"token","provider":"anthropic","token":"\udfff\ud800x"}}}"#.to_vec()),
            true,
        ),
        case(
            "number-beyond-i64",
            STORE,
            Thing::File(
                br#"{"version":1,"profiles":{"anthropic:a":{"type":"oauth","provider":"anthropic","access":"a","refresh":"r","expires":123456789012345678901234567890}}}"#
                    .to_vec(),
            ),
            false,
        ),
        case(
            "number-huge-exponent",
            STORE,
            Thing::File(
                br#"{"version":1,"profiles":{"anthropic:a":{"type":"token","provider":"anthropic","token":"t","expires":1e400}}}"#
                    .to_vec(),
            ),
            true,
        ),
        case(
            "number-tiny-exponent",
            STORE,
            Thing::File(
                br#"{"version":1e-400,"profiles":{"anthropic:a":{"type":"token","provider":"anthropic","token":"t","expires":1e-400}}}"#
                    .to_vec(),
            ),
            false,
        ),
        case(
            "number-negative-huge",
            STORE,
            Thing::File(
                br#"{"version":1,"profiles":{"anthropic:a":{"type":"oauth","provider":"anthropic","access":"a","refresh":"r","expires":-99999999999999999999}}}"#
                    .to_vec(),
            ),
            false,
        ),
        case(
            "token-10mb",
            STORE,
            Thing::File(store_text(json!({"anthropic:big": key(&format!("sk-ant-api03-{}", "A".repeat(10 << 20)))}))),
            false,
        ),
        case("profiles-50k", STORE, Thing::File(fifty_thousand(false)), false),
        case("profiles-50k-ordered", STORE, Thing::File(fifty_thousand(true)), false),
        case(
            "ansi-ids-and-emails",
            STORE,
            Thing::File(store_text(json!({
                ESC_ID: {"type": "oauth", "provider": "anthropic", "access": "sk-ant-oat01-x", "refresh": "r",
                    "expires": NOW + 3_600_000, "email": ESC_EMAIL},
                "anthropic:\u{1b}[2J\u{1b}[H": {"type": "token", "provider": "anthropic\u{1b}[1m", "token": "t\u{1b}x"},
                "anthropic:plain": {"type": "token", "provider": "anthropic", "token": "tok", "expires": NOW - 5}
            }))),
            false,
        ),
        case(
            "ansi-in-order",
            STORE,
            Thing::File(
                serde_json::to_vec(&json!({"version": 1, "profiles": {"anthropic:a": key("sk-ant-api03-a")},
                    "order": {"anthropic": ["anthropic:a", ESC_ID, "\u{1b}[31m"]},
                    "usageStats": {ESC_ID: {"lastUsed": 1, "errorCount": 1e300}}}))
                .unwrap(),
            ),
            false,
        ),
        case("deep-nesting", STORE, Thing::File(deep(200_000)), true),
        case("deep-nesting-in-profile", STORE, Thing::File(deep_profile(5_000)), true),
        case("empty", STORE, Thing::File(Vec::new()), true),
        case("whitespace", STORE, Thing::File(b" \n\t\r\n".to_vec()), true),
        case("bom-only", STORE, Thing::File("\u{feff}".as_bytes().to_vec()), true),
        case("invalid-utf8", STORE, Thing::File(b"{\"version\":1,\"profiles\":{\"\xff\xfe\":{}}}".to_vec()), true),
        case(
            "truncated",
            STORE,
            Thing::File(br#"{"version":1,"profiles":{"anthropic:a":{"type":"api_key","provider":"anthr"#.to_vec()),
            true,
        ),
        case("not-an-object", STORE, Thing::File(b"[1,2,3]".to_vec()), true),
        case("profiles-not-an-object", STORE, Thing::File(br#"{"version":1,"profiles":"\u001b[31m"}"#.to_vec()), true),
        case("long-id-1mb", STORE, Thing::File(store_text(json!({"a".repeat(1 << 20): key("k")}))), false),
        case("a-folder", STORE, Thing::Folder, true),
        case("a-fifo", STORE, Thing::Fifo, true),
        case("symlink-loop", STORE, Thing::SymlinkLoop, true),
        case("symlink-dev-zero", STORE, Thing::Symlink("/dev/zero"), true),
        case("symlink-dev-urandom", STORE, Thing::Symlink("/dev/urandom"), true),
        case("sparse-65mib", STORE, Thing::Sparse(65 << 20), true),
        case(
            "claude-ansi",
            CLAUDE,
            Thing::File(
                serde_json::to_vec(&json!({"claudeAiOauth": {"accessToken": "sk-ant-oat01-\u{1b}[31m",
                    "refreshToken": "r\u{0}", "expiresAt": 1e300, "subscriptionType": "\u{1b}]8;;http://x\u{7}"}}))
                .unwrap(),
            ),
            false,
        ),
        case("claude-folder", CLAUDE, Thing::Folder, true),
        case("claude-fifo", CLAUDE, Thing::Fifo, true),
        case("codex-symlink-loop", CODEX, Thing::SymlinkLoop, true),
        case(
            "codex-ansi-jwt",
            CODEX,
            Thing::File(
                serde_json::to_vec(&json!({"tokens": {"access_token": "eyJ\u{1b}[31m.\u{1b}.x",
                    "refresh_token": "\u{1b}[2J", "account_id": "\u{202e}acct"}}))
                .unwrap(),
            ),
            false,
        ),
    ];
    if !is_root() {
        all.push(case("no-access", STORE, Thing::NoAccess(store_text(json!({"anthropic:a": key("k")}))), true));
    }
    all.extend(badinput_files());
    all
}

/// 50 000 api-key profiles, optionally with an explicit order of them all.
fn fifty_thousand(ordered: bool) -> Vec<u8> {
    let mut profiles = serde_json::Map::new();
    for i in 0..50_000 {
        profiles.insert(
            format!("anthropic:p{i}"),
            json!({"type": "api_key", "provider": "anthropic", "key": format!("sk-ant-api03-K{i:06}")}),
        );
    }
    let mut doc = json!({"version": 1, "profiles": profiles});
    if ordered {
        let ids: Vec<String> = (0..50_000).rev().map(|i| format!("anthropic:p{i}")).collect();
        doc["order"] = json!({"anthropic": ids});
    }
    serde_json::to_vec(&doc).expect("json")
}

fn deep(depth: usize) -> Vec<u8> {
    let mut text = "[".repeat(depth);
    text.push_str(&"]".repeat(depth));
    text.into_bytes()
}

fn deep_profile(depth: usize) -> Vec<u8> {
    format!(
        r#"{{"version":1,"profiles":{{"anthropic:a":{{"type":"api_key","provider":"anthropic","key":"k","extra":{}1{}}}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
    .into_bytes()
}

/// The files of `tests/badinput/`, and of `$CLAWDBOT_SHARED_DIR/badinput/`
/// when that is set.
fn badinput_files() -> Vec<Case> {
    let mut all = Vec::new();
    for folder in cases::folders(cases::Suite::BadInput) {
        let manifest_path = folder.path.join("MANIFEST.json");
        let manifest = std::fs::read(&manifest_path).unwrap_or_else(|e| panic!("{}: {e}", manifest_path.display()));
        let manifest: BTreeMap<String, String> = serde_json::from_slice(&manifest).expect("MANIFEST.json");
        all.extend(manifest.into_iter().filter_map(|(name, rel)| {
            // Only the paths this suite knows how to place (with a static str).
            let rel: &'static str = [STORE, CLAUDE, CODEX, CONFIG].into_iter().find(|r| *r == rel).or_else(|| {
                [".clawdbot/agents/main/agent/auth.json", ".clawdbot/credentials/oauth.json"]
                    .into_iter()
                    .find(|r| *r == rel)
            })?;
            let path = folder.path.join(&name);
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // Legacy files are migrated into the store and removed: expected.
            let may_change = name.starts_with("legacy--") || name.starts_with("oauthjson--");
            let name = format!("badinput/{}", folder.label(&name));
            Some(Case { name, rel, thing: Thing::File(bytes), unusable: false, may_change })
        }));
    }
    all
}

/// What is at a path, to compare before and after.
#[derive(Debug, PartialEq)]
enum Snapshot {
    Missing,
    File(u64, [u8; 32]),
    Folder(Vec<String>),
    Fifo,
    Link(PathBuf),
    Other,
}

fn snapshot(path: &Path) -> Snapshot {
    use sha2::{Digest, Sha256};
    let Ok(meta) = std::fs::symlink_metadata(path) else { return Snapshot::Missing };
    let kind = meta.file_type();
    if kind.is_symlink() {
        Snapshot::Link(std::fs::read_link(path).expect("readlink"))
    } else if kind.is_dir() {
        let mut names: Vec<String> = std::fs::read_dir(path)
            .expect("read_dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Snapshot::Folder(names)
    } else if kind.is_fifo() {
        Snapshot::Fifo
    } else if kind.is_file() {
        let bytes = std::fs::read(path).unwrap_or_default();
        Snapshot::File(meta.len(), Sha256::digest(&bytes).into())
    } else {
        Snapshot::Other
    }
}

fn place(home: &Home, case: &Case) -> PathBuf {
    let path = home.join(case.rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    match &case.thing {
        Thing::File(bytes) => home.write(case.rel, bytes),
        Thing::NoAccess(bytes) => {
            home.write(case.rel, bytes);
            set_mode(&path, 0o000);
        }
        Thing::Folder => {
            std::fs::create_dir(&path).expect("mkdir");
            std::fs::write(path.join("inside"), b"keep me").expect("write inside");
        }
        Thing::Fifo => {
            let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
        }
        Thing::SymlinkLoop => {
            let other = path.with_file_name("loop-other");
            std::os::unix::fs::symlink(&other, &path).expect("symlink");
            std::os::unix::fs::symlink(&path, &other).expect("symlink");
        }
        Thing::Symlink(target) => std::os::unix::fs::symlink(target, &path).expect("symlink"),
        Thing::Sparse(len) => {
            let file = std::fs::File::create(&path).expect("create");
            file.set_len(*len).expect("set_len");
        }
    }
    path
}

/// Runs every command over one case; returns what went wrong.
fn run_case(case: &Case, totals: &mut Totals) -> Vec<String> {
    let home = Home::new();
    let path = place(&home, case);
    let before = snapshot(&path);
    let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut problems = Vec::new();
    for args in COMMANDS {
        let run = run_cmd(&mut home.cmd(), args, b"", TIME_LIMIT);
        totals.runs += 1;
        totals.max_rss_kb = totals.max_rss_kb.max(run.max_rss_kb);
        if run.elapsed > totals.slowest.0 {
            totals.slowest = (run.elapsed, format!("{} {}", case.name, run.what()));
        }
        let mut fail = |what: String| problems.push(format!("{} | {}: {what}", case.name, run.what()));
        if run.timed_out {
            fail(format!("hung: killed after {:?}", run.elapsed));
            continue;
        }
        if run.panicked() {
            fail(format!("panicked (exit {:?}): {}", run.code, run.err()));
        }
        if !matches!(run.code, Some(0..=3)) {
            fail(format!("exit {:?}: {}", run.code, run.err()));
        }
        if run.max_rss_kb > MAX_RSS_KB {
            fail(format!("peak RSS {} KiB", run.max_rss_kb));
        }
        let raw = control_problems("stdout", &run.stdout);
        for p in raw.into_iter().chain(control_problems("stderr", &run.stderr)) {
            fail(p);
        }
        if args.contains(&"--json") {
            let parsed: Result<Value, _> = serde_json::from_slice(&run.stdout);
            if let Err(e) = parsed {
                fail(format!("stdout is not one JSON document: {e}"));
            }
        }
        // The store is what every command reads; the Claude and Codex
        // files are read by those that load (all of these).
        if case.unusable && !run.all().contains(&file_name) {
            fail(format!("does not name {file_name}: {}", run.err()));
        }
        if !case.may_change && snapshot(&path) != before {
            fail(format!("changed the input: {before:?} -> {:?}", snapshot(&path)));
        }
        if case.name == "ansi-ids-and-emails" && args == &["models", "status"] && !run.out().contains("\\u{1b}[31m") {
            fail(format!("the escape in the id is not shown escaped: {}", run.out()));
        }
    }
    if matches!(case.thing, Thing::SymlinkLoop) {
        let other = path.with_file_name("loop-other");
        if std::fs::read_link(&other).ok() != Some(path.clone()) {
            problems.push(format!("{}: the other link of the loop changed", case.name));
        }
    }
    if matches!(case.thing, Thing::NoAccess(_)) {
        set_mode(&path, 0o600);
    }
    problems
}

#[derive(Default)]
struct Totals {
    runs: usize,
    max_rss_kb: u64,
    slowest: (Duration, String),
}

#[test]
fn hostile_files_through_every_command() {
    let cases = corpus();
    let generated = cases.iter().filter(|c| !c.name.starts_with("badinput/")).count();
    let started = std::time::Instant::now();
    let results: Vec<(Vec<String>, Totals)> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .chunks(cases.len().div_ceil(2))
            .map(|chunk| {
                s.spawn(move || {
                    let mut totals = Totals::default();
                    let problems: Vec<String> = chunk.iter().flat_map(|c| run_case(c, &mut totals)).collect();
                    (problems, totals)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("worker")).collect()
    });
    let problems: Vec<&String> = results.iter().flat_map(|(p, _)| p).collect();
    let runs: usize = results.iter().map(|(_, t)| t.runs).sum();
    let rss = results.iter().map(|(_, t)| t.max_rss_kb).max().unwrap_or(0);
    let slowest = results.iter().map(|(_, t)| &t.slowest).max_by_key(|s| s.0).cloned().unwrap_or_default();
    println!(
        "safety_hostile: {} inputs ({generated} generated, {} from badinput) x {} commands = {runs} runs in {:.1} s; \
         peak RSS {} MiB; slowest {:.2} s ({})",
        cases.len(),
        cases.len() - generated,
        COMMANDS.len(),
        started.elapsed().as_secs_f64(),
        rss / 1024,
        slowest.0.as_secs_f64(),
        slowest.1
    );
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}

/// `token` prints a key raw for scripts, so one holding an escape sequence
/// is refused (exit 1), the source it names is escaped, and nothing raw
/// reaches the terminal.
#[test]
fn token_refuses_a_key_with_control_characters() {
    let home = Home::new();
    home.write_json(
        STORE,
        &json!({"version": 1, "profiles": {ESC_ID: {"type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-\u{1b}]0;x\u{7}"}}}),
    );
    let run = home.run(&["models", "auth", "token", "--provider", "anthropic"], b"");
    assert_eq!(run.code, Some(1), "{}", run.err());
    assert!(run.stdout.is_empty(), "{:?}", run.out());
    assert!(run.err().contains("control characters"), "{}", run.err());
    assert!(control_problems("stderr", &run.stderr).is_empty(), "{:?}", run.err());
}

/// `token` over an unreadable store says which file it could not read,
/// not only that no key was found.
#[test]
fn token_names_an_unreadable_store() {
    let home = Home::new();
    home.write(STORE, b"{\"version\":1,\"profiles\":{\"anthropic:a\":");
    let run = home.run(&["models", "auth", "token", "--provider", "anthropic"], b"");
    assert_eq!(run.code, Some(1), "{}", run.err());
    assert!(run.err().contains("auth-profiles.json"), "{}", run.err());
}
