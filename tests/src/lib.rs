//! Shared helpers of the conformance tests: reading the vectors of
//! `tests/vectors/` (plus `$CLAWDBOT_SHARED_DIR/vectors/` when that is set,
//! see [`cases`]) and checking an outcome against their `expect`.
//!
//! Every host is reduced to the same [`Outcome`] (the envelope's response
//! shape), so one checker serves the core, the CLI and the wasm module.

use serde_json::{Map, Value, json};
use std::path::PathBuf;

#[path = "../support/cases.rs"]
pub mod cases;

#[derive(Debug, Clone)]
pub struct Vector {
    pub file: String,
    pub case: Value,
}

impl Vector {
    pub fn now(&self) -> i64 {
        self.case["now"].as_i64().unwrap_or(0)
    }

    pub fn warn_after_ms(&self) -> i64 {
        self.case["warnAfterMs"].as_i64().unwrap_or(clawdbot_auth_core::defaults::WARN_AFTER_MS)
    }

    /// `"strict": true`: the case is judged by `--strict` (the reference's rule).
    pub fn strict(&self) -> bool {
        self.case["strict"].as_bool().unwrap_or(false)
    }

    /// `"agent"`: the agent the case is judged for (`--agent`), else the
    /// default one.
    pub fn agent(&self) -> Option<&str> {
        self.case["agent"].as_str()
    }

    pub fn expect(&self) -> &Value {
        &self.case["expect"]
    }

    /// The files of `home` as (relative path, text), exactly as a host would
    /// find them on disk.
    pub fn home_files(&self) -> Vec<(String, String)> {
        let Some(Value::Object(home)) = self.case.get("home") else { return Vec::new() };
        home.iter()
            .map(|(path, content)| {
                let text = match content.get("$text").and_then(Value::as_str) {
                    Some(t) => t.to_string(),
                    None => serde_json::to_string_pretty(content).expect("vector JSON"),
                };
                (path.clone(), text)
            })
            .collect()
    }

    /// The macOS Keychain items of the case, `(service, account, secret as
    /// `security` prints it)`; a secret given as JSON is its compact text.
    pub fn keychain(&self) -> Vec<(String, String, String)> {
        let Some(Value::Array(items)) = self.case.get("keychain") else { return Vec::new() };
        items
            .iter()
            .map(|item| {
                let field = |name: &str| item[name].as_str().unwrap_or_default().to_string();
                let secret = match &item["secret"] {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                (field("service"), field("account"), secret)
            })
            .collect()
    }

    pub fn env(&self) -> Map<String, Value> {
        self.case.get("env").and_then(Value::as_object).cloned().unwrap_or_default()
    }

    /// The envelope request for this case.
    pub fn request(&self) -> Value {
        let home: Map<String, Value> = self.home_files().into_iter().map(|(p, t)| (p, Value::from(t))).collect();
        let mut request = json!({ "op": "status", "now": self.now(), "warnAfterMs": self.warn_after_ms(), "env": self.env(), "home": home });
        if self.strict() {
            request["strict"] = Value::Bool(true);
        }
        if let Some(items) = self.case.get("keychain") {
            request["keychain"] = items.clone();
        }
        if let Some(agent) = self.agent() {
            request["agent"] = Value::from(agent);
        }
        request
    }
}

/// Every `NN-*.json` case, read at run time so new files need no code change:
/// the repository's, then those of `CLAWDBOT_SHARED_DIR` (named `shared:NN-…`).
pub fn vectors() -> Vec<Vector> {
    vector_files()
        .into_iter()
        .map(|(file, path)| {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let case = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
            Vector { file, case }
        })
        .collect()
}

/// The case files of every vectors folder, each with its label, sorted
/// within a folder: `*.json` except `units.json`.
pub fn vector_files() -> Vec<(String, PathBuf)> {
    let mut all = Vec::new();
    for folder in cases::folders(cases::Suite::Vectors) {
        let entries = std::fs::read_dir(&folder.path).unwrap_or_else(|e| panic!("{}: {e}", folder.path.display()));
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json") && p.file_name().is_some_and(|n| n != "units.json"))
            .collect();
        files.sort();
        all.extend(files.into_iter().map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (folder.label(&name), p)
        }));
    }
    all
}

/// Every `units.json` (the small pure rules), with its folder's label.
pub fn units_files() -> Vec<(String, PathBuf)> {
    cases::folders(cases::Suite::Vectors)
        .into_iter()
        .map(|folder| (folder.label("units.json"), folder.path.join("units.json")))
        .filter(|(_, path)| path.is_file())
        .collect()
}

/// What a host did with a case, in the envelope's terms.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The `models status --json` document.
    pub report: Value,
    pub check: i64,
    /// The store after the load (as written, or as the host holds it).
    pub store: Value,
    pub store_written: bool,
    /// Relative to HOME.
    pub files_removed: Vec<String>,
    /// All diagnostic text the host produced.
    pub diagnostics: String,
    /// Resolved order per provider, when the host can tell.
    pub order: Option<Value>,
    /// Whether the store's bytes are exactly as before (hosts with files).
    pub store_unchanged: Option<bool>,
    /// Why the command refused to run (the CLI's errors on exit 1 with no
    /// report, the envelope's `error`); `None` when it ran.
    pub refused: Option<String>,
}

impl Outcome {
    /// From an envelope response document.
    pub fn from_envelope(resp: &Value) -> Outcome {
        if let Some(error) = resp.get("error") {
            let refused = Some(error.as_str().map_or_else(|| error.to_string(), str::to_string));
            return Outcome {
                report: Value::Null,
                check: -1,
                store: Value::Null,
                store_written: false,
                files_removed: Vec::new(),
                diagnostics: String::new(),
                order: None,
                store_unchanged: None,
                refused,
            };
        }
        Outcome {
            report: resp["report"].clone(),
            check: resp["check"].as_i64().unwrap_or(-1),
            store: resp["store"].clone(),
            store_written: resp["storeWritten"].as_bool().unwrap_or(false),
            files_removed: resp["filesRemoved"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).map(|s| s.trim_start_matches("~/").to_string()).collect())
                .unwrap_or_default(),
            diagnostics: resp["diagnostics"].to_string(),
            order: Some(resp["order"].clone()),
            store_unchanged: None,
            refused: None,
        }
    }
}

/// Checks every `expect` key of the vector; returns the mismatches.
pub fn check(vector: &Vector, out: &Outcome) -> Vec<String> {
    let mut bad = Vec::new();
    let expect = vector.expect();
    let mut mismatch = |what: String| bad.push(what);
    // A refusal is the whole outcome: nothing else was made to compare.
    match (expect.get("refused").and_then(Value::as_str), &out.refused) {
        (Some(want), Some(got)) if got.contains(want) => return bad,
        (Some(want), got) => {
            mismatch(format!("refused: want a refusal saying {want:?}, got {got:?}"));
            return bad;
        }
        (None, Some(got)) => {
            mismatch(format!("refused unexpectedly: {got}"));
            return bad;
        }
        (None, None) => {}
    }
    if let Some(c) = expect.get("check").and_then(Value::as_i64)
        && c != out.check
    {
        mismatch(format!("check: want {c}, got {}", out.check));
    }
    let oauth = &out.report["auth"]["oauth"];
    if let Some(Value::Object(want)) = expect.get("profiles") {
        let got: Vec<&Value> = oauth["profiles"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
        if want.is_empty() && !got.is_empty() {
            mismatch(format!("profiles: want none, got {}", got.len()));
        }
        for (id, fields) in want {
            let Some(entry) = got.iter().find(|p| p["profileId"] == id.as_str()) else {
                mismatch(format!("profiles: {id} missing"));
                continue;
            };
            for (k, v) in fields.as_object().into_iter().flatten() {
                if k == "remaining" {
                    let rem = entry.get("remainingMs").and_then(Value::as_f64);
                    let text = clawdbot_auth_core::format_remaining_short(rem);
                    if v.as_str() != Some(text.as_str()) {
                        mismatch(format!("profiles.{id}.remaining: want {v}, got {text}"));
                    }
                } else if !json_eq(entry.get(k), v) {
                    mismatch(format!("profiles.{id}.{k}: want {v}, got {:?}", entry.get(k)));
                }
            }
        }
    }
    if let Some(Value::Object(want)) = expect.get("providers") {
        for (p, status) in want {
            let got = oauth["providers"].as_array().and_then(|a| a.iter().find(|x| x["provider"] == p.as_str()));
            if got.map(|g| &g["status"]) != Some(status) {
                mismatch(format!("providers.{p}: want {status}, got {:?}", got.map(|g| &g["status"])));
            }
        }
    }
    if let Some(want) = expect.get("missingProvidersInUse")
        && out.report["auth"]["missingProvidersInUse"] != *want
    {
        mismatch(format!("missingProvidersInUse: want {want}, got {}", out.report["auth"]["missingProvidersInUse"]));
    }
    if let Some(Value::Array(want)) = expect.get("unusableProfiles") {
        let got = out.report["auth"]["unusableProfiles"].as_array().cloned().unwrap_or_default();
        for w in want {
            let found = got.iter().any(|g| w.as_object().into_iter().flatten().all(|(k, v)| json_eq(g.get(k), v)));
            if !found {
                mismatch(format!("unusableProfiles: no entry matching {w} in {got:?}"));
            }
        }
    }
    if let (Some(Value::Object(want)), Some(order)) = (expect.get("order"), &out.order) {
        for (p, ids) in want {
            if order.get(p) != Some(ids) {
                mismatch(format!("order.{p}: want {ids}, got {:?}", order.get(p)));
            }
        }
    }
    if let Some(Value::Object(want)) = expect.get("providerAuth") {
        for (p, w) in want {
            let got =
                out.report["auth"]["providers"].as_array().and_then(|a| a.iter().find(|x| x["provider"] == p.as_str()));
            let Some(got) = got else {
                mismatch(format!("providerAuth.{p}: missing"));
                continue;
            };
            if let Some(kind) = w.get("effective")
                && got["effective"]["kind"] != *kind
            {
                mismatch(format!("providerAuth.{p}.effective: want {kind}, got {}", got["effective"]["kind"]));
            }
            if let Some(src) = w.get("envSource")
                && got["env"]["source"] != *src
            {
                mismatch(format!("providerAuth.{p}.envSource: want {src}, got {}", got["env"]["source"]));
            }
        }
    }
    if let Some(Value::Object(want)) = expect.get("storeAfterSync") {
        for (id, fields) in want {
            let got = &out.store["profiles"][id.as_str()];
            for (k, v) in fields.as_object().into_iter().flatten() {
                if !json_eq(got.get(k), v) {
                    mismatch(format!("storeAfterSync.{id}.{k}: want {v}, got {:?}", got.get(k)));
                }
            }
        }
    }
    if let Some(w) = expect.get("storeWritten").and_then(Value::as_bool)
        && w != out.store_written
    {
        mismatch(format!("storeWritten: want {w}, got {}", out.store_written));
    }
    if let Some(Value::Array(want)) = expect.get("filesRemoved") {
        for f in want.iter().filter_map(Value::as_str) {
            if !out.files_removed.iter().any(|g| g == f) {
                mismatch(format!("filesRemoved: {f} not removed ({:?})", out.files_removed));
            }
        }
    }
    if expect.get("storeUnchanged").and_then(Value::as_bool) == Some(true) {
        if out.store_written {
            mismatch("storeUnchanged: the store was written".into());
        }
        if out.store_unchanged == Some(false) {
            mismatch("storeUnchanged: the store's bytes changed".into());
        }
    }
    if let Some(Value::Object(want)) = expect.get("reportAt") {
        for (pointer, v) in want {
            if !json_eq(out.report.pointer(pointer), v) {
                mismatch(format!("reportAt {pointer}: want {v}, got {:?}", out.report.pointer(pointer)));
            }
        }
    }
    if let Some(text) = expect.get("diagnosticMentions").and_then(Value::as_str)
        && !out.diagnostics.contains(text)
    {
        mismatch(format!("diagnosticMentions: {text:?} not in {}", out.diagnostics));
    }
    bad
}

/// Numbers compare by value (`1767225600000` equals `1767225600000.0`).
fn json_eq(got: Option<&Value>, want: &Value) -> bool {
    match (got, want) {
        (Some(Value::Number(a)), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Some(g), w) => g == w,
        (None, _) => false,
    }
}
