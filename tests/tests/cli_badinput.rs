//! Every hostile input of `tests/badinput/` (and of
//! `$CLAWDBOT_SHARED_DIR/badinput/` when set) through every read-only
//! command of the binary: no panic, no hang, documented exit codes, the file
//! left alone, no raw control characters, no secret, a diagnostic naming an
//! unusable file, and the healthy sources beside it still working.

mod cli_common;

use cli_common::{Cli, Home, NOW_MS, STORE, control_problems};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const CLAUDE: &str = ".claude/.credentials.json";
const CLAUDE_ACCESS: &str = "sk-ant-oat01-HEALTHY-FAKE-claude-access-0000";
const CLAUDE_REFRESH: &str = "sk-ant-ort01-HEALTHY-FAKE-claude-refresh-0000";
const STORE_KEY: &str = "sk-ant-api03-HEALTHY-FAKE-store-key-0123456789";

/// Store files that are readable after all (the tool loads them and keeps
/// what it cannot use): a BOM, duplicate keys (last wins, as JSON.parse),
/// odd field values. Every other `store--*` case cannot be loaded.
///
/// `store--expires-huge` (`1e400`) is read as the Node gateway reads it:
/// Infinity, an OAuth expiry that means nothing (so `--check` says 1), with
/// a warning naming the profile; the literal is written back as it was.
const READABLE_STORES: &[&str] = &[
    "store--bom-valid",
    "store--duplicate-keys",
    "store--expires-huge",
    "store--expires-negative",
    "store--expires-string",
    "store--missing-provider",
    "store--null-everything",
    "store--order-wrong-shapes",
    "store--unknown-type",
];

/// Files with nothing wrong to report: a BOM is valid, and duplicate keys
/// are resolved as JSON.parse does (last wins).
const NOTHING_TO_REPORT: &[&str] = &["store--bom-valid", "store--duplicate-keys"];

/// `--check` beside a healthy source of anthropic credentials, where the
/// bad file alone decides. `None`: not pinned (the Codex cases assume an
/// expiry from the file's mtime, which is the real clock, not the pinned one).
fn check_beside_healthy(case: &str) -> Option<i32> {
    Some(match case {
        // Nothing else is wrong: the healthy store's api key serves anthropic.
        c if c.starts_with("claude--") || c.starts_with("legacy--") || c.starts_with("oauthjson--") => 0,
        c if c.starts_with("codex--") => return None,
        // A config that cannot be parsed needs a human; a wrong field is ignored.
        "config--json5-syntax-error" => 1,
        "config--model-wrong-type" => 0,
        // An oauth profile whose expiry is not a usable number was "missing"
        // (§3.2: 1); these have a refresh token, so they renew themselves
        // (issue 12), and Claude Code's healthy login serves anthropic anyway.
        "store--expires-negative" | "store--expires-string" | "store--expires-huge" => 0,
        c if READABLE_STORES.contains(&c) => 0,
        // An unreadable store needs a human.
        _ => 1,
    })
}

struct Case {
    /// The file name, which the rules below key on.
    name: String,
    /// The name with its folder's origin, for messages.
    label: String,
    rel: String,
    bytes: Vec<u8>,
}

impl Case {
    fn is_store(&self) -> bool {
        self.rel == STORE
    }

    fn readable_store(&self) -> bool {
        READABLE_STORES.contains(&self.name.as_str())
    }

    fn unusable(&self) -> bool {
        !NOTHING_TO_REPORT.contains(&self.name.as_str())
    }

    /// The file name a diagnostic must mention.
    fn file_name(&self) -> &str {
        self.rel.rsplit('/').next().unwrap_or(&self.rel)
    }

    /// Read on every run whatever else exists (the legacy auth.json and
    /// oauth.json are only read when there is no store to migrate into).
    fn always_read(&self) -> bool {
        self.is_store()
            || self.rel == CLAUDE
            || self.rel.starts_with(".codex/")
            || self.rel == ".clawdbot/clawdbot.json"
    }

    /// The whole fake secret strings in the file: every JSON string literal
    /// holding `FAKE`.
    fn secrets(&self) -> Vec<String> {
        let text = String::from_utf8_lossy(&self.bytes);
        text.split('"').skip(1).step_by(2).filter(|s| s.contains("FAKE")).map(str::to_string).collect()
    }
}

fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    for folder in clawdbot_conformance::cases::folders(clawdbot_conformance::cases::Suite::BadInput) {
        let manifest_path = folder.path.join("MANIFEST.json");
        let manifest = std::fs::read(&manifest_path).unwrap_or_else(|e| panic!("{}: {e}", manifest_path.display()));
        let manifest: BTreeMap<String, String> = serde_json::from_slice(&manifest)
            .unwrap_or_else(|e| panic!("{} is not a name-to-path map: {e}", manifest_path.display()));
        all.extend(manifest.into_iter().map(|(name, rel)| {
            let path = folder.path.join(&name);
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            Case { label: folder.label(&name), name, rel, bytes }
        }));
    }
    all
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Variant {
    Alone,
    /// With a healthy Claude Code login (store cases) or a healthy store.
    BesideHealthy,
}

fn healthy_claude() -> Vec<u8> {
    let doc = json!({"claudeAiOauth": {
        "accessToken": CLAUDE_ACCESS, "refreshToken": CLAUDE_REFRESH,
        "expiresAt": NOW_MS + 30 * 86_400_000, "scopes": ["user:inference", "user:profile"]
    }});
    doc.to_string().into_bytes()
}

fn healthy_store() -> Vec<u8> {
    let doc = json!({"version": 1, "profiles": {
        "anthropic:healthy": {"type": "api_key", "provider": "anthropic", "key": STORE_KEY}
    }});
    doc.to_string().into_bytes()
}

/// What one case found wrong, collected so one run reports every case.
struct Findings {
    failures: Vec<String>,
}

fn run_case(case: &Case, variant: Variant) -> Findings {
    let mut out = Findings { failures: Vec::new() };
    let home = Home::new();
    home.write(&case.rel, &case.bytes);
    let mut secrets = case.secrets();
    if variant == Variant::BesideHealthy {
        if case.is_store() {
            home.write(CLAUDE, &healthy_claude());
            secrets.extend([CLAUDE_ACCESS.to_string(), CLAUDE_REFRESH.to_string()]);
        } else {
            home.write(STORE, &healthy_store());
            secrets.push(STORE_KEY.to_string());
        }
    }
    let cli = Cli::new(home.path());
    let tag = format!("{} ({variant:?})", case.label);
    let mut fail = |what: String| out.failures.push(format!("{tag}: {what}"));

    let status = cli.run(&["models", "status"]);
    let status_json = cli.run(&["models", "status", "--json"]);
    let check = cli.run(&["models", "status", "--check"]);
    let doctor = cli.run(&["doctor", "--non-interactive"]);
    let order = cli.run(&["models", "auth", "order", "get", "--provider", "anthropic"]);

    for run in [&status, &status_json, &check, &doctor, &order] {
        if run.timed_out {
            fail(format!("{}: killed after {:?} (hang?)", run.what(), run.elapsed));
        }
        let stderr = run.stderr_text();
        if stderr.contains("panicked") || run.code == Some(101) {
            fail(format!("{}: panicked (exit {:?}):\n{stderr}", run.what(), run.code));
        }
        for problem in
            control_problems("stdout", &run.stdout).into_iter().chain(control_problems("stderr", &run.stderr))
        {
            fail(format!("{}: {problem}", run.what()));
        }
        for secret in &secrets {
            let (o, e) = (run.stdout_text(), stderr.as_str());
            if o.contains(secret.as_str()) || e.contains(secret.as_str()) {
                fail(format!("{}: prints the secret {secret:?}", run.what()));
            }
        }
    }
    for run in [&status, &status_json, &check, &doctor] {
        if !matches!(run.code, Some(0..=2)) {
            fail(format!("{}: exit {:?}, want 0, 1 or 2:\n{}", run.what(), run.code, run.stderr_text()));
        }
    }
    for run in [&status, &status_json] {
        if run.code != Some(0) {
            fail(format!("{}: exit {:?} without --check", run.what(), run.code));
        }
    }
    if !matches!(order.code, Some(0 | 1 | 3)) {
        fail(format!("{}: exit {:?}", order.what(), order.code));
    }

    let report = status_json.json().unwrap_or_else(|e| {
        fail(e);
        Value::Null
    });
    let profile_ids: Vec<String> = report["auth"]["oauth"]["profiles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["profileId"].as_str().map(str::to_string))
        .collect();

    // The file itself: never deleted; unchanged unless the tool could read
    // it and a healthy Claude login was synced into it.
    match home.read(&case.rel) {
        None => fail(format!("{} was deleted", case.rel)),
        Some(after) if after != case.bytes => {
            let synced_into = variant == Variant::BesideHealthy && case.readable_store();
            if !synced_into {
                fail(format!("{} was modified", case.rel));
            } else {
                check_rewrite_keeps_profiles(case, &after, &mut fail);
            }
        }
        Some(_) => {}
    }

    // The readable stores load, unreadable ones need a human.
    if case.name == "store--bom-valid" && !profile_ids.iter().any(|id| id == "anthropic:x") {
        fail(format!("a store with a BOM is valid, but status shows {profile_ids:?}"));
    }
    if case.is_store() && !case.readable_store() && check.code != Some(1) {
        fail(format!("unreadable store: --check exits {:?}, want 1", check.code));
    }
    if variant == Variant::BesideHealthy {
        let healthy = if case.is_store() { "anthropic:claude-cli" } else { "anthropic:healthy" };
        if !profile_ids.iter().any(|id| id == healthy) {
            fail(format!("the healthy {healthy} is hidden by the bad file: profiles {profile_ids:?}"));
        }
        if let Some(want) = check_beside_healthy(&case.name)
            && check.code != Some(want)
        {
            fail(format!("--check exits {:?}, want {want}:\n{}", check.code, check.stderr_text()));
        }
    }

    // An unusable file is named on stderr.
    let must_name = case.unusable() && (variant == Variant::Alone || case.always_read());
    if must_name {
        for run in [&status, &status_json, &check, &doctor] {
            let text = format!("{}{}", run.stderr_text(), run.stdout_text());
            let named = if run.args[0] == "doctor" {
                text.contains(case.file_name())
            } else {
                run.stderr_text().contains(case.file_name())
            };
            if named {
                continue;
            }
            out.failures.push(format!("{tag}: {}: does not name {}", run.what(), case.file_name()));
        }
        // `order get` reads the store (its `order`) and the config too.
        let order_affected = (case.is_store() && !case.readable_store())
            || case.name == "store--order-wrong-shapes"
            || case.name == "config--json5-syntax-error";
        if order_affected && !order.stderr_text().contains(case.file_name()) {
            out.failures.push(format!("{tag}: {}: does not name {}", order.what(), case.file_name()));
        }
    }
    out
}

/// A readable store that a sync rewrote still holds every profile it had
/// (as JSON.parse reads it: BOM ignored, last duplicate wins), unused ones
/// included, plus the synced login.
fn check_rewrite_keeps_profiles(case: &Case, after: &[u8], fail: &mut impl FnMut(String)) {
    let before = case.bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&case.bytes);
    let before: Value = match serde_json::from_slice(&comparable(before)) {
        Ok(v) => v,
        Err(e) => return fail(format!("readable store is not JSON to serde ({e})")),
    };
    let after: Value = match serde_json::from_slice(&comparable(after)) {
        Ok(v) => v,
        Err(e) => return fail(format!("the rewritten store is not JSON ({e})")),
    };
    for (id, profile) in before["profiles"].as_object().into_iter().flatten() {
        if after["profiles"].get(id) != Some(profile) {
            fail(format!("rewrite changed or dropped profile {id}: {profile} -> {:?}", after["profiles"].get(id)));
        }
    }
    if after["profiles"]["anthropic:claude-cli"]["access"] != CLAUDE_ACCESS {
        fail("rewrite does not hold the synced anthropic:claude-cli".into());
    }
}

/// The store's text with the one literal beyond a double that the tool
/// keeps (`store--expires-huge`'s `1e400`) turned into a string serde can
/// read, the same way before and after, so the two compare as written.
fn comparable(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    text.replace(": 1e400", ":1e400").replace(":1e400", ":\"literal 1e400\"").into_bytes()
}

#[test]
fn hostile_inputs_do_no_harm() {
    let all = cases();
    assert!(all.len() >= 28, "expected the badinput files of tests/badinput, found {}", all.len());
    let jobs: Vec<(&Case, Variant)> =
        all.iter().flat_map(|c| [(c, Variant::Alone), (c, Variant::BesideHealthy)]).collect();
    let results: Vec<Findings> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(jobs.len().div_ceil(2))
            .map(|chunk| s.spawn(move || chunk.iter().map(|(c, v)| run_case(c, *v)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("badinput worker")).collect()
    });
    let failures: Vec<&String> = results.iter().flat_map(|r| &r.failures).collect();
    assert!(
        failures.is_empty(),
        "{} problem(s) with hostile inputs:\n{}",
        failures.len(),
        failures.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}

/// The secret extraction finds what the leak check looks for.
#[test]
fn secrets_are_found_in_the_bad_files() {
    let all = cases();
    let dup = all.iter().find(|c| c.name == "store--duplicate-keys").expect("duplicate-keys case");
    assert_eq!(dup.secrets(), ["FAKE1", "FAKE2"]);
}

/// The control-character check flags what a terminal would act on.
#[test]
fn control_check_flags_escapes_but_not_newlines() {
    assert!(control_problems("x", b"ok\n\ttext").is_empty());
    assert!(!control_problems("x", b"\x1b[31mred").is_empty());
    assert!(!control_problems("x", b"nul\0").is_empty());
    assert!(!control_problems("x", "c1 \u{9b}".as_bytes()).is_empty());
    assert!(!control_problems("x", b"\xff\xfe").is_empty());
}
