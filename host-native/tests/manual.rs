//! The manual's tables against what the code reads and what the docs say:
//! a variable listed but read nowhere, or read but missing from
//! docs/environment.md, or an exit code docs/cli.md does not list, fails
//! here rather than misleading an operator.

use clawdbot_auth_core::flow::Exit;
use clawdbot_auth_core::manual;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// Every `.rs` file of the core and the host, without its test module
/// (and without files that are tests only), with its path.
fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                walk(&path, out);
            } else if name.ends_with(".rs") && !name.ends_with("tests.rs") && name != "script.rs" {
                let text = std::fs::read_to_string(&path).unwrap();
                let body = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("").to_string();
                out.push((path, body));
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(ROOT).join("core/src"), &mut out);
    walk(&Path::new(ROOT).join("host-native/src"), &mut out);
    out
}

/// `pub const NAME_ENV: &str = "NAME";` gives `NAME_ENV`.
fn const_name(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("pub ").unwrap_or(line.trim_start()).strip_prefix("const ")?;
    rest.split(':').next().map(str::trim)
}

/// Whether the code reads `name`: spelled in place, or spelled in a
/// constant that some other line uses.
fn is_read(name: &str, files: &[(PathBuf, String)]) -> bool {
    let quoted = format!("\"{name}\"");
    let is_manual = |path: &Path| path.ends_with("core/src/doors/manual.rs");
    for (path, text) in files {
        for line in text.lines().filter(|l| l.contains(&quoted) && !l.trim_start().starts_with("//")) {
            let Some(ident) = const_name(line) else {
                if !is_manual(path) {
                    return true;
                }
                continue;
            };
            let used = files.iter().filter(|(p, _)| !is_manual(p)).any(|(_, t)| {
                t.lines().any(|l| l.contains(ident) && !l.contains(&quoted) && !l.trim_start().starts_with("//"))
            });
            if used {
                return true;
            }
        }
    }
    false
}

fn table_names() -> BTreeSet<String> {
    manual::environment().iter().flat_map(|v| v.names.iter().map(|n| n.to_string())).collect()
}

#[test]
fn every_variable_the_manual_lists_is_read_by_the_code() {
    let files = sources();
    let unread: Vec<String> = table_names().into_iter().filter(|n| !is_read(n, &files)).collect();
    assert!(unread.is_empty(), "listed but read nowhere: {unread:?}");
    assert!(!is_read("CLAWDBOT_NO_SUCH_VARIABLE", &files), "the check can tell");
}

#[test]
fn docs_environment_lists_the_manuals_variables() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("docs/environment.md")).unwrap();
    // The first table: the variables an operator sets.
    let table = text.split("| variable | effect |").nth(1).unwrap().split("\n\n").next().unwrap();
    let mut documented = BTreeSet::new();
    for row in table.lines().filter(|l| l.starts_with("| `")) {
        let first = row.split(" | ").next().unwrap();
        for quoted in first.split('`').skip(1).step_by(2) {
            let name: String =
                quoted.chars().take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_').collect();
            if !name.is_empty() {
                documented.insert(name);
            }
        }
    }
    let listed = table_names();
    let missing: Vec<&String> = listed.difference(&documented).collect();
    assert!(missing.is_empty(), "docs/environment.md lacks {missing:?}");
    let keys: BTreeSet<String> = manual::provider_variables().into_iter().map(str::to_string).collect();
    let extra: Vec<&String> = documented.iter().filter(|n| !listed.contains(*n) && !keys.contains(*n)).collect();
    assert!(extra.is_empty(), "docs/environment.md lists what the core does not read: {extra:?}");
}

#[test]
fn docs_cli_lists_every_exit_code_and_no_other() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("docs/cli.md")).unwrap();
    let table = text.split("| code | meaning |").nth(1).unwrap().split("\n\n").next().unwrap();
    let documented: BTreeSet<u8> =
        table.lines().filter_map(|l| l.strip_prefix("| ")?.split(' ').next()?.parse().ok()).collect();
    let codes: BTreeSet<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
    assert_eq!(documented, codes);
}

/// The page's ENVIRONMENT and EXIT STATUS sections are the tables, every
/// variable and code in them.
#[test]
fn the_man_page_shows_the_tables() {
    let out = Command::new(env!("CARGO_BIN_EXE_clawdbot")).arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap().replace("\\-", "-");
    let section = |title: &str| {
        let start = page.find(&format!(".SH \"{title}\"")).or_else(|| page.find(&format!(".SH {title}"))).unwrap();
        let rest = &page[start + 4..];
        rest[..rest.find(".SH").unwrap_or(rest.len())].to_string()
    };
    let env = section("ENVIRONMENT");
    for name in table_names()
        .iter()
        .chain(manual::provider_variables().iter().map(|n| n.to_string()).collect::<Vec<_>>().iter())
    {
        assert!(env.contains(name.as_str()), "ENVIRONMENT lacks {name}");
    }
    let exits = section("EXIT STATUS");
    for exit in Exit::ALL {
        assert!(exits.contains(&format!("\\fB{}\\fR", exit.code())), "EXIT STATUS lacks {}", exit.code());
    }
    let files = section("FILES");
    for file in manual::files() {
        assert!(files.contains(&file.path), "FILES lacks {}", file.path);
    }
}
