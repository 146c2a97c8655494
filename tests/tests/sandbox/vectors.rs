//! The conformance vectors (`tests/vectors/*.json`, plus the shared folder's
//! when `CLAWDBOT_SHARED_DIR` is set), turned into envelope `status`
//! requests. The folders are read at run time so that new vector files are
//! picked up without a code change.

use std::path::PathBuf;

use serde_json::{Map, Value, json};

/// Every case file (`*.json` except `units.json`) of every vectors folder.
pub fn case_files() -> Vec<PathBuf> {
    clawdbot_conformance::vector_files().into_iter().map(|(_, path)| path).collect()
}

/// The envelope `status` request a vector describes: its clock, window,
/// rule (`strict`), environment, home files and Keychain items. A
/// `{"$text": "..."}` home entry is raw file text; any other value is the
/// file's JSON.
pub fn status_request(vector: &Value) -> Value {
    let mut request = Map::new();
    request.insert("op".into(), json!("status"));
    request.insert("now".into(), vector["now"].clone());
    if let Some(warn) = vector.get("warnAfterMs") {
        request.insert("warnAfterMs".into(), warn.clone());
    }
    if let Some(strict) = vector.get("strict") {
        request.insert("strict".into(), strict.clone());
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
    if let Some(items) = vector.get("keychain") {
        request.insert("keychain".into(), items.clone());
    }
    Value::Object(request)
}
