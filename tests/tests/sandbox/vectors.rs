//! The shared conformance vectors (`../shared/vectors/*.json`), turned into
//! envelope `status` requests. The folder is read at run time so that new
//! vector files are picked up without a code change.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// The vectors folder: `../shared/vectors` relative to the workspace root.
pub fn folder() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    root.parent().expect("the workspace has a parent folder").join("shared/vectors")
}

/// Every case file (`*.json` except `units.json`), sorted by name.
pub fn case_files() -> Vec<PathBuf> {
    let dir = folder();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .filter(|path| path.file_name().is_some_and(|name| name != "units.json"))
        .collect();
    files.sort();
    files
}

/// The envelope `status` request a vector describes: its clock, window,
/// environment and home files. A `{"$text": "..."}` home entry is raw file
/// text; any other value is the file's JSON.
pub fn status_request(vector: &Value) -> Value {
    let mut request = Map::new();
    request.insert("op".into(), json!("status"));
    request.insert("now".into(), vector["now"].clone());
    if let Some(warn) = vector.get("warnAfterMs") {
        request.insert("warnAfterMs".into(), warn.clone());
    }
    request.insert("env".into(), vector.get("env").cloned().unwrap_or_else(|| json!({})));
    let mut home = Map::new();
    if let Some(files) = vector.get("home").and_then(Value::as_object) {
        for (path, content) in files {
            let file = match content.get("$text").and_then(Value::as_str) {
                Some(text) if content.as_object().is_some_and(|o| o.len() == 1) => json!(text),
                _ => content.clone(),
            };
            home.insert(path.clone(), file);
        }
    }
    request.insert("home".into(), Value::Object(home));
    Value::Object(request)
}
