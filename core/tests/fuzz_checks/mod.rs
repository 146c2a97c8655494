//! The checks shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`, nightly)
//! and the stable replay test (`core/tests/fuzz_regressions.rs`).
//!
//! Each check feeds one input to one reader of the core and panics when a
//! promise is broken. The readers themselves must never panic; the checks
//! add the promises that can be stated about any input: the store round-trips
//! through its writer, and the envelope always answers with JSON.

use clawdbot_auth_core::envelope;
use clawdbot_auth_core::rules::{claude, codex, jwt, legacy};
use clawdbot_auth_core::rules::{parse_config, parse_store, write_store};
use serde_json::{Value, json};

/// `now` of the shared vectors: 2026-01-01T00:00:00Z.
pub const NOW: i64 = 1_767_225_600_000;

/// One check: panics when the input breaks a promise.
pub type Check = fn(&[u8]);

/// Every target by name, as `fuzz/fuzz_targets/<name>.rs` and the corpus
/// folders call it.
pub const TARGETS: &[(&str, Check)] = &[
    ("store", store),
    ("config", config),
    ("claude", claude),
    ("codex", codex),
    ("legacy", legacy),
    ("envelope", envelope),
];

/// The check of the target called `name`.
pub fn by_name(name: &str) -> Option<Check> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, check)| *check)
}

/// `parse_store`, and for a readable store: `write_store` gives text that
/// parses to the same store, and writing that store again gives the same text.
pub fn store(data: &[u8]) {
    const FILE: &str = "~/.clawdbot/agents/main/agent/auth-profiles.json";
    let Ok((parsed, _)) = parse_store(data, FILE) else { return };
    // A store declaring a newer version is never written: nothing to check.
    let Ok(written) = write_store(&parsed) else { return };
    let (reparsed, _) = match parse_store(written.as_bytes(), FILE) {
        Ok(r) => r,
        Err(e) => panic!("write_store gave text that parse_store refuses: {e:?}\n--- written ---\n{written}"),
    };
    assert!(parsed == reparsed, "parse → write → parse changed the store\n--- written ---\n{written}");
    let rewritten = write_store(&reparsed).expect("a store written once can be written again");
    assert!(
        written == rewritten,
        "write_store is not idempotent\n--- first ---\n{written}\n--- second ---\n{rewritten}"
    );
}

/// `parse_config` (JSON5).
pub fn config(data: &[u8]) {
    let read = parse_config(data, "~/.clawdbot/clawdbot.json");
    // The derived views of a parsed config must not panic either.
    let _ = read.config.resolved_default();
    let _ = read.config.providers_in_use();
    let _ = read.config.providers_mentioned();
}

/// Claude Code's credentials file, and the same bytes as `security`'s output.
pub fn claude(data: &[u8]) {
    let _ = claude::read(data, "~/.claude/.credentials.json");
    let text = String::from_utf8_lossy(data);
    let decoded = claude::decode_keychain_output(&text);
    let _ = claude::read(decoded.as_bytes(), "Keychain: Claude Code-credentials");
}

/// Codex's `auth.json` under several clocks, and the bytes as a JWT.
pub fn codex(data: &[u8]) {
    let h = fnv1a(data);
    let clocks = [
        (None, NOW),
        (Some(NOW as f64 - 60_000.0), NOW),
        (Some(0.5), 0),
        (Some(f64::from_bits(h)), h as i64),
        (Some(f64::NAN), i64::MIN),
        (Some(f64::INFINITY), i64::MAX),
        (Some(-1e308), -1),
    ];
    for (mtime, now) in clocks {
        let _ = codex::read(data, "~/.codex/auth.json", mtime, now);
    }
    let text = String::from_utf8_lossy(data);
    if let Some(claims) = jwt::claims(&text) {
        let _ = jwt::expiry_ms(&claims);
        let _ = jwt::chatgpt_account_id(&claims);
    }
}

/// The legacy `auth.json` and `oauth.json` readers.
pub fn legacy(data: &[u8]) {
    let _ = legacy::read_legacy_store(data, "~/.clawdbot/agents/main/agent/auth.json");
    let _ = legacy::read_oauth_json(data, "~/.clawdbot/credentials/oauth.json");
}

/// The whole core: the bytes as a request, and as the files of a request.
/// Every answer must be one JSON document.
pub fn envelope(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    answer_is_json(&text);

    let store_only = json!({
        "op": "status",
        "now": NOW,
        "home": { ".clawdbot/agents/main/agent/auth-profiles.json": text },
    });
    answer_is_json(&store_only.to_string());

    // The same text in every file the core reads (with and without a store,
    // so the legacy files are read too), under an op and a clock picked from
    // a hash of the input so that every mutation may reach another of them.
    let h = fnv1a(data);
    let ops = ["status", "renderText", "doctorPreview", "setOrder"];
    let nows = [json!(NOW), json!(0), json!(-1.5e300), json!(1.5e300), json!(NOW as f64 + 0.5)];
    let mut home = serde_json::Map::new();
    for file in [
        ".clawdbot/clawdbot.json",
        ".clawdbot/agents/main/agent/auth-profiles.json",
        ".clawdbot/agents/main/agent/auth.json",
        ".clawdbot/credentials/oauth.json",
        ".claude/.credentials.json",
        ".codex/auth.json",
    ] {
        if h & 1 == 1 && file.ends_with("auth-profiles.json") {
            continue;
        }
        home.insert(file.to_string(), Value::from(text.as_ref()));
    }
    let everywhere = json!({
        "op": ops[(h >> 1) as usize % ops.len()],
        "now": nows[(h >> 8) as usize % nows.len()],
        "provider": "anthropic",
        "order": ["anthropic:claude-cli", "anthropic:default"],
        "home": home,
    });
    answer_is_json(&everywhere.to_string());
}

fn answer_is_json(request: &str) {
    let response = envelope::handle(request);
    if let Err(e) = serde_json::from_str::<Value>(&response) {
        panic!("envelope::handle answered with text that is not JSON ({e}): {response}");
    }
}

/// FNV-1a, to derive clock values from the input without consuming bytes.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}
