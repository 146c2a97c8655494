//! The core's floors, checked from its source: a module imports only from
//! its own layer or the layers below, no two modules need each other, and
//! no provider is named outside its registry file.
//!
//! `docs/architecture.md` ("Layers") says why each layer sits where it does.
//! A new file under `core/src` must be given a layer in [`LAYERS`] before
//! this test passes, so its place is decided when it is written.

#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers from the ground floor up; a module may import from its own
/// layer and the ones below.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "values",
        &[
            "time",
            "secret",
            "escape",
            "diag",
            "duration",
            "world",
            "writeback",
            "lock_wait",
            "http",
            "env",
            "io",
            "defaults",
        ],
    ),
    ("formats", &["store", "sources", "dotenv", "secret_ref"]),
    ("registries", &["providers", "provider", "logins"]),
    ("settings", &["config", "paths", "secrets"]),
    (
        "rules",
        &[
            "env_auth",
            "load",
            "sync",
            "health",
            "order",
            "resolve",
            "refresh",
            "probe",
            "rejection",
            "remedy",
            "usage",
            "repair",
            "removal",
            "paste",
            "setup_token",
            "login",
            "remaining",
            "permissions",
            "secret_refs",
            "error",
        ],
    ),
    ("presentation", &["report", "doctor", "findings", "listing", "view", "handout"]),
    ("flows", &["flow"]),
    ("doors", &["envelope", "manual", "panel"]),
];

/// Imports that still climb, each with the branch that removes it. The lead
/// deletes an entry when that branch is merged.
const BROKEN_BY_THE_LOGINS_BRANCH: &[(&str, &str)] = &[];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, as (path relative to `dir`, text).
fn sources(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else { panic!("cannot list {}", dir.display()) };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                out.push((rel, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Source with comments removed and each string literal replaced by
/// `"<n>"`, `n` indexing the returned literals.
fn lex(text: &str) -> (String, Vec<String>) {
    let b = text.as_bytes();
    let (mut code, mut literals) = (String::new(), Vec::new());
    let mut i = 0;
    let mut literal = |content: &str, code: &mut String| {
        code.push_str(&format!("\"{}\"", literals.len()));
        literals.push(content.to_string());
    };
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |e| e + 2);
        } else if let Some((prefix, hashes)) = raw_string_start(rest).filter(|_| i == 0 || !is_ident(b[i - 1])) {
            let open = prefix + hashes + 1;
            let close = format!("\"{}", "#".repeat(hashes));
            let end = rest[open..].find(&close).map_or(rest.len(), |e| open + e);
            literal(&rest[open..end], &mut code);
            i += (end + close.len()).min(rest.len());
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            literal(&text[i + 1..j.min(b.len())], &mut code);
            i = j + 1;
        } else if b[i] == b'\'' && is_char_literal(rest) {
            let len = rest[1..].find('\'').map_or(rest.len(), |e| e + 2);
            let len = if rest.starts_with("'\\'") { 4 } else { len };
            code.push_str("' '");
            i += len;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            code.push(c);
            i += c.len_utf8();
        }
    }
    (code, literals)
}

/// `r"`, `r#"`, `br"`...: the prefix's length and the number of `#`s when
/// `rest` opens a raw string.
fn raw_string_start(rest: &str) -> Option<(usize, usize)> {
    let prefix = if rest.starts_with("br") { 2 } else { 1 };
    let r = rest.strip_prefix('b').unwrap_or(rest).strip_prefix('r')?;
    let hashes = r.len() - r.trim_start_matches('#').len();
    r[hashes..].starts_with('"').then_some((prefix, hashes))
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `'x'`, `'\n'`, `'\u{..}'` rather than a lifetime `'a`.
fn is_char_literal(rest: &str) -> bool {
    let mut chars = rest[1..].chars();
    match chars.next() {
        Some('\\') => true,
        Some(_) => chars.next() == Some('\''),
        None => false,
    }
}

/// `code` without its `#[cfg(test)]` items, and the names of the modules
/// declared test-only (`#[cfg(test)] mod x;`).
fn without_tests(code: &str) -> (String, Vec<String>) {
    const ATTR: &str = "#[cfg(test)]";
    let (mut out, mut test_mods) = (String::new(), Vec::new());
    let mut rest = code;
    while let Some(at) = rest.find(ATTR) {
        out.push_str(&rest[..at]);
        let mut item = rest[at + ATTR.len()..].trim_start();
        // `#[path = "<n>"]`: the file is literal n, not the module's name.
        let mut path_literal = None;
        while item.starts_with("#[") {
            let end = closing(item, 2, b'[', b']');
            if let Some(lit) = item[..end].strip_prefix("#[path = \"").and_then(|r| r.strip_suffix("\"]")) {
                path_literal = Some(lit.to_string());
            }
            item = item[end..].trim_start();
        }
        let decl = match item.strip_prefix("pub") {
            Some(r) if r.starts_with('(') => r[closing(r, 1, b'(', b')')..].trim_start(),
            Some(r) => r.trim_start(),
            None => item,
        };
        if let Some(r) = decl.strip_prefix("mod ")
            && let Some(name) = ident(r.trim_start())
            && r.trim_start()[name.len()..].trim_start().starts_with(';')
        {
            test_mods.push(path_literal.map_or(name, |n| format!("#{n}")));
        }
        rest = &item[item_end(item)..];
    }
    out.push_str(rest);
    (out, test_mods)
}

/// The byte after the bracket that closes the one at `open - 1`.
fn closing(text: &str, open: usize, up: u8, down: u8) -> usize {
    let mut depth = 1;
    for (i, &c) in text.as_bytes().iter().enumerate().skip(open) {
        if c == up {
            depth += 1;
        } else if c == down {
            depth -= 1;
            if depth == 0 {
                return i + 1;
            }
        }
    }
    text.len()
}

/// Where an item ends: after its `{...}` body, or after the `;` or `,`
/// that ends it outside brackets.
fn item_end(item: &str) -> usize {
    let mut depth = 0i32;
    for (i, c) in item.bytes().enumerate() {
        match c {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b'{' if depth == 0 => return closing(item, i + 1, b'{', b'}'),
            b';' | b',' if depth == 0 => return i + 1,
            _ => {}
        }
    }
    item.len()
}

/// The non-test code of every file under `dir` that is not itself a test
/// module, with its string literals.
fn non_test_code(dir: &Path) -> Vec<(String, String, Vec<String>)> {
    let lexed: Vec<(String, String, Vec<String>, Vec<String>)> = sources(dir)
        .into_iter()
        .map(|(path, text)| {
            let (code, literals) = lex(&text);
            let (code, test_mods) = without_tests(&code);
            (path, code, literals, test_mods)
        })
        .collect();
    let mut test_files = BTreeSet::new();
    for (path, _, literals, test_mods) in &lexed {
        let base = if path.ends_with("mod.rs") || path == "lib.rs" || path == "main.rs" {
            path.rsplit_once('/').map_or(String::new(), |(d, _)| format!("{d}/"))
        } else {
            format!("{}/", path.trim_end_matches(".rs"))
        };
        for m in test_mods {
            match m.strip_prefix('#').and_then(|n| n.parse::<usize>().ok()) {
                // A `#[path]` is relative to the declaring file's folder.
                Some(n) => {
                    let dir = path.rsplit_once('/').map_or(String::new(), |(d, _)| format!("{d}/"));
                    if let Some(file) = literals.get(n) {
                        test_files.insert(format!("{dir}{file}"));
                    }
                }
                None => {
                    test_files.insert(format!("{base}{m}.rs"));
                    test_files.insert(format!("{base}{m}/mod.rs"));
                }
            }
        }
    }
    lexed
        .into_iter()
        .filter(|(path, ..)| !test_files.contains(path))
        .map(|(path, code, literals, _)| (path, code, literals))
        .collect()
}

/// The top-level module a file belongs to: under its layer's folder,
/// `rules/refresh/plan.rs` is `refresh` (`flow/` is a layer of its own).
fn module_of(path: &str) -> &str {
    let in_layer = match path.split_once('/') {
        Some((folder, rest)) if LAYERS.iter().any(|(layer, _)| *layer == folder) => rest,
        _ => path,
    };
    in_layer.split_once('/').map_or(in_layer.trim_end_matches(".rs"), |(m, _)| m)
}

/// The layer folder a file stands in, if any.
fn folder_of(path: &str) -> Option<&str> {
    path.split_once('/').map(|(folder, _)| folder).filter(|f| LAYERS.iter().any(|(layer, _)| layer == f))
}

/// The first segment of every `crate::` path in `code`, `use crate::{a, b::c}` included.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = code.as_bytes();
    for (at, _) in code.match_indices("crate::") {
        if at > 0 && (is_ident(bytes[at - 1]) || bytes[at - 1] == b'$') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if rest.starts_with('{') {
            let group = &rest[1..closing(rest, 1, b'{', b'}') - 1];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices().chain([(group.len(), ',')]) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.extend(ident(group[start..i].trim()));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.extend(ident(rest));
        }
    }
    out
}

fn ident(text: &str) -> Option<String> {
    let name: String = text.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    (!name.is_empty()).then_some(name)
}

/// Module → the modules its non-test code names through `crate::`, with
/// the file that does.
fn imports() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (path, code, _) in non_test_code(&src()) {
        if path == "lib.rs" {
            continue;
        }
        let from = module_of(&path).to_string();
        for to in crate_paths(&code) {
            if to != from {
                graph.entry(from.clone()).or_default().entry(to).or_insert_with(|| path.clone());
            }
        }
    }
    graph
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, modules)| modules.contains(&module))
}

fn allowed(from: &str, to: &str) -> bool {
    BROKEN_BY_THE_LOGINS_BRANCH.contains(&(from, to))
}

#[test]
fn every_module_has_one_layer() {
    let modules: BTreeSet<String> =
        sources(&src()).iter().map(|(path, _)| module_of(path).to_string()).filter(|m| m != "lib").collect();
    let unplaced: Vec<&String> = modules.iter().filter(|m| layer_of(m).is_none()).collect();
    assert!(unplaced.is_empty(), "give these modules a layer in LAYERS: {unplaced:?}");
    let listed: Vec<&str> = LAYERS.iter().flat_map(|(_, m)| m.iter().copied()).collect();
    let gone: Vec<&&str> = listed.iter().filter(|m| !modules.contains(**m)).collect();
    assert!(gone.is_empty(), "LAYERS lists modules that do not exist: {gone:?}");
    assert_eq!(listed.len(), listed.iter().collect::<BTreeSet<_>>().len(), "a module is in two layers");
}

/// The folders show the layers: a module's file stands in the folder named
/// for its layer, so a newcomer finds a rule's room from the tree alone.
#[test]
fn each_module_stands_in_its_layer_s_folder() {
    let mut misplaced = Vec::new();
    for (path, _) in sources(&src()) {
        let module = module_of(&path);
        let Some(layer) = layer_of(module).map(|i| LAYERS[i].0) else { continue };
        let expected = if layer == "flows" { None } else { Some(layer) };
        if module != "lib" && folder_of(&path) != expected {
            misplaced.push(format!("{path} ({module}) belongs in {layer}/"));
        }
    }
    assert!(misplaced.is_empty(), "{misplaced:#?}");
}

#[test]
fn no_module_imports_from_a_higher_layer() {
    let mut climbs = Vec::new();
    for (from, tos) in imports() {
        for (to, file) in tos {
            let (Some(a), Some(b)) = (layer_of(&from), layer_of(&to)) else { continue };
            if b > a && !allowed(&from, &to) {
                climbs.push(format!("{file}: {from} ({}) uses {to} ({})", LAYERS[a].0, LAYERS[b].0));
            }
        }
    }
    assert!(climbs.is_empty(), "imports up the layers:\n{}", climbs.join("\n"));
}

#[test]
fn no_two_modules_need_each_other() {
    let graph = imports();
    let mut cycles = Vec::new();
    for (from, tos) in &graph {
        for to in tos.keys().filter(|to| !allowed(from, to)) {
            if let Some(back) = path_between(&graph, to, from) {
                cycles.push(format!("{from} -> {}", back.join(" -> ")));
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

/// A chain of imports from `from` to `to`, if there is one.
fn path_between(graph: &BTreeMap<String, BTreeMap<String, String>>, from: &str, to: &str) -> Option<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![vec![from.to_string()]];
    while let Some(chain) = stack.pop() {
        let last = chain.last().cloned().unwrap_or_default();
        if last == to {
            return Some(chain);
        }
        if !seen.insert(last.clone()) {
            continue;
        }
        for next in graph.get(&last).into_iter().flat_map(|t| t.keys()).filter(|n| !allowed(&last, n)) {
            let mut longer = chain.clone();
            longer.push(next.clone());
            stack.push(longer);
        }
    }
    None
}

/// Every provider id and alias the registry files declare.
fn provider_names() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (_, code, literals) in non_test_code(&src().join("registries/providers")) {
        let literal_at = |text: &str| -> Option<String> {
            let n: usize = text.trim_start().strip_prefix('"')?.split('"').next()?.parse().ok()?;
            literals.get(n).cloned()
        };
        for (at, _) in code.match_indices("const ID: &str =") {
            names.extend(literal_at(&code[at + "const ID: &str =".len()..]));
        }
        for (at, _) in code.match_indices("aliases: &[") {
            let list = &code[at + "aliases: &[".len()..];
            let list = &list[..list.find(']').unwrap_or(0)];
            names.extend(list.split(',').filter_map(literal_at));
        }
    }
    names
}

/// Outside the registries (`providers/`, and the login sources in
/// `logins/` with the readers of their files in `sources/`, which say whose
/// logins those files hold), no code spells a provider's id or reaches for
/// one provider's file: flows ask the registry (`setup_token`,
/// `legacy_profile_id`, `DEFAULT`).
#[test]
fn no_provider_is_named_outside_its_registry() {
    let names = provider_names();
    assert!(names.contains("anthropic") && names.contains("z.ai"), "the registry's ids are read: {names:?}");
    let registry_files = ["registries/providers/", "registries/logins/", "formats/sources/"];
    let host = Path::new(env!("CARGO_MANIFEST_DIR")).join("../host-native/src");
    let trees = [("core/src/", src()), ("host-native/src/", host)];
    let mut named = Vec::new();
    for (tree, dir) in trees {
        for (path, code, literals) in non_test_code(&dir) {
            if tree == "core/src/" && registry_files.iter().any(|r| path.starts_with(r)) {
                continue;
            }
            for (n, text) in literals.iter().enumerate() {
                if names.contains(text) && code.contains(&format!("\"{n}\"")) {
                    named.push(format!("{tree}{path}: \"{text}\""));
                }
            }
            for (at, _) in code.match_indices("providers::") {
                let name = ident(&code[at + "providers::".len()..]).unwrap_or_default();
                if names.contains(&name.replace('_', "-")) {
                    named.push(format!("{tree}{path}: providers::{name}::"));
                }
            }
        }
    }
    assert!(named.is_empty(), "provider names outside the registry:\n{}", named.join("\n"));
}

/// The scanner itself: comments, strings, test items and grouped imports.
#[test]
fn the_scanner_reads_what_rustc_reads() {
    let text = "use crate::{a::b, c, d::{e, f}};\n// crate::gone\nlet s = \"crate::quoted\"; let r = r#\"x\"#;\n\
                #[cfg(test)]\n#[derive(Debug)]\nmod tests { use crate::hidden; }\n#[cfg(test)]\nmod more;\n\
                fn g<'a>(x: &'a str) -> char { crate::h::i(); 'y' }";
    let (code, literals) = lex(text);
    assert_eq!(literals, ["crate::quoted", "x"]);
    let (code, test_mods) = without_tests(&code);
    assert_eq!(test_mods, ["more"]);
    let found: Vec<String> = crate_paths(&code).into_iter().collect();
    assert_eq!(found, ["a", "c", "d", "h"]);
}
