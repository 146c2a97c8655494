//! Replays what fuzzing found, on stable: every file under
//! `tests/fuzz-regressions/<target>/` and `fuzz/corpus/<target>/` goes
//! through the same checks as the fuzz target `<target>` (no panic, the
//! store round-trips, the envelope answers with JSON). `docs/fuzzing.md`
//! has the fuzzing itself.
//!
//! This test is a host of the core: it reads the corpus from disk, which
//! core/clippy.toml forbids the core itself.
#![allow(clippy::disallowed_methods)]

#[path = "fuzz_checks/mod.rs"]
mod fuzz_checks;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// The folders replayed, relative to the repository root.
const ROOTS: &[&str] = &["tests/fuzz-regressions", "fuzz/corpus"];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("core/ has a parent").to_path_buf()
}

/// The files of `dir`, sorted; none when the folder does not exist.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

fn replay(target: &str) -> usize {
    let check = fuzz_checks::by_name(target).expect("a known target");
    let root = repo_root();
    let mut replayed = 0;
    let mut failed = Vec::new();
    for dir in ROOTS {
        for file in files_in(&root.join(dir).join(target)) {
            let data = std::fs::read(&file).expect("a readable input");
            if catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
                failed.push(file.strip_prefix(&root).unwrap_or(&file).display().to_string());
            }
            replayed += 1;
        }
    }
    assert!(failed.is_empty(), "{target}: {} of {replayed} inputs fail (panics above): {failed:#?}", failed.len());
    replayed
}

#[test]
fn store_inputs() {
    assert!(replay("store") > 0, "the store corpus is committed");
}

#[test]
fn config_inputs() {
    assert!(replay("config") > 0, "the config corpus is committed");
}

#[test]
fn claude_inputs() {
    assert!(replay("claude") > 0, "the claude corpus is committed");
}

#[test]
fn codex_inputs() {
    assert!(replay("codex") > 0, "the codex corpus is committed");
}

#[test]
fn legacy_inputs() {
    assert!(replay("legacy") > 0, "the legacy corpus is committed");
}

#[test]
fn envelope_inputs() {
    assert!(replay("envelope") > 0, "the envelope corpus is committed");
}

/// A folder named after no target would never be replayed.
#[test]
fn every_target_has_a_folder_and_no_stray_folder_exists() {
    let root = repo_root();
    for dir in ROOTS {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        for entry in entries.filter_map(Result::ok).filter(|e| e.path().is_dir()) {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(fuzz_checks::by_name(&name).is_some(), "{dir}/{name} names no fuzz target");
        }
    }
}
