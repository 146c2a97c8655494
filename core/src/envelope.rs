//! One JSON request/response over the whole core, for every non-native host
//! (the browser panel, the sandboxed module, tests).
//!
//! Request: `{"op", "now", "warnAfterMs"?, "env"?, "home": {path: text | JSON}}`
//! with paths relative to HOME. The envelope's HOME is `~`, so every path in
//! the response reads `~/.clawdbot/...`. Errors come back as `{"error": ...}`;
//! nothing here panics on any input.

use crate::load::{Loaded, StoreState, load};
use crate::paths::Env;
use crate::report::{self, ReportOptions, TextStyle};
use crate::store::{store_to_json, write_store};
use crate::world::{FileRead, MapWorld};
use serde_json::{Map, Value, json};

/// Handles one request document and returns the response document.
pub fn handle(request: &str) -> String {
    let response = match serde_json::from_str::<Value>(request) {
        Ok(req) => respond(&req).unwrap_or_else(|message| json!({ "error": message })),
        Err(e) => json!({ "error": format!("request is not JSON: {e}") }),
    };
    serde_json::to_string(&response).unwrap_or_else(|_| r#"{"error":"response could not be encoded"}"#.to_string())
}

fn respond(req: &Value) -> Result<Value, String> {
    let op = req.get("op").and_then(Value::as_str).unwrap_or("status");
    let now =
        req.get("now").and_then(Value::as_f64).filter(|n| n.is_finite()).ok_or("request.now must be a number (ms)")?
            as i64;
    let warn_after_ms = req
        .get("warnAfterMs")
        .and_then(Value::as_f64)
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map_or(crate::health::DEFAULT_WARN_AFTER_MS, |n| n as i64);
    let mut env = Env::new("~");
    if let Some(Value::Object(vars)) = req.get("env") {
        for (k, v) in vars {
            if let Some(v) = v.as_str() {
                env.vars.insert(k.clone(), v.to_string());
            }
        }
    }
    let world = world_of(req.get("home"))?;
    let agent = req.get("agent").and_then(Value::as_str);
    let loaded = load(&world, &env, now, agent);
    let options = ReportOptions { warn_after_ms, ..ReportOptions::default() };
    let report = report::build(&loaded, &options);
    let mut out = base_response(&loaded, &report);
    match op {
        "status" => {}
        "renderText" => {
            out.insert("text".into(), Value::from(report::render_text(&report, &env, TextStyle::default())));
        }
        "doctorPreview" => {
            out.insert("doctor".into(), crate::doctor::preview(&loaded, &report).to_value());
        }
        "listProfiles" => {
            // `models auth list`'s view: what the panel's profile table shows.
            let provider = req.get("provider").and_then(Value::as_str);
            let listing = crate::listing::list(&loaded, provider);
            out.insert("listing".into(), serde_json::to_value(&listing).unwrap_or(Value::Null));
        }
        "setOrder" => return set_order(req, loaded),
        other => return Err(format!("unknown op \"{}\"", crate::escape::escape_control(other))),
    }
    Ok(Value::Object(out))
}

fn world_of(home: Option<&Value>) -> Result<MapWorld, String> {
    let mut world = MapWorld::default();
    let Some(home) = home else { return Ok(world) };
    let Value::Object(files) = home else { return Err("request.home must be an object".into()) };
    for (rel, content) in files {
        let text = match content {
            Value::String(s) => s.clone(),
            Value::Object(o) if o.len() == 1 && o.get("$text").is_some_and(Value::is_string) => {
                o["$text"].as_str().unwrap_or_default().to_string()
            }
            other => serde_json::to_string_pretty(other).map_err(|e| e.to_string())?,
        };
        let path = crate::paths::join("~", rel);
        world.files.insert(path, FileRead::text(text));
    }
    Ok(world)
}

fn base_response(loaded: &Loaded, report: &report::StatusReport) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("report".into(), report.to_value());
    out.insert("check".into(), Value::from(report::check_code(report, loaded).code()));
    let store = match loaded.store_state {
        StoreState::Unreadable => Value::Null,
        _ => store_to_json(&loaded.store),
    };
    out.insert("store".into(), store);
    out.insert("storeWritten".into(), Value::from(loaded.write.is_some()));
    out.insert("filesRemoved".into(), Value::from(loaded.remove_after_write.clone()));
    out.insert("diagnostics".into(), serde_json::to_value(&loaded.diagnostics).unwrap_or_default());
    out.insert("changes".into(), Value::from(loaded.changes.iter().map(|c| c.to_string()).collect::<Vec<_>>()));
    let mut orders = Map::new();
    for provider in report.auth.oauth.providers.iter().map(|p| &p.provider) {
        let order = crate::order::resolve_order(&loaded.config.config, &loaded.store, provider, None, loaded.now);
        if !order.is_empty() {
            orders.insert(provider.clone(), Value::from(order));
        }
    }
    out.insert("order".into(), Value::Object(orders));
    out
}

fn set_order(req: &Value, mut loaded: Loaded) -> Result<Value, String> {
    if loaded.store_state == StoreState::Unreadable {
        return Err("auth-profiles.json cannot be read, so its order cannot be changed".into());
    }
    let provider = req.get("provider").and_then(Value::as_str).ok_or("setOrder needs \"provider\"")?;
    let ids: Vec<String> = match req.get("order") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => return Err("setOrder needs \"order\": a list of profile ids".into()),
    };
    let agent_dir = loaded.env.shorten(&loaded.locations.agent_dir);
    crate::order::set_order(&mut loaded.store, provider, &ids, &agent_dir).map_err(|e| e.to_string())?;
    Ok(json!({ "store": store_to_json(&loaded.store), "storeText": write_store(&loaded.store) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_profiles_is_the_cli_listing() {
        let request = json!({"op": "listProfiles", "now": 1_767_225_600_000_i64, "home": {
            ".clawdbot/agents/main/agent/auth-profiles.json": {"version": 1, "profiles": {
                "anthropic:k": {"type": "api_key", "provider": "anthropic", "key": "sk-FAKE-0123456789-MIDDLE-abcdefgh"}},
                "usageStats": {"anthropic:k": {"cooldownUntil": 1_767_225_660_000_i64, "failureCounts": {"rate_limit": 1}}}}}});
        let response: Value = serde_json::from_str(&handle(&request.to_string())).unwrap();
        let entry = &response["listing"]["profiles"][0];
        assert_eq!(entry["status"], "cooldown");
        assert_eq!(entry["cooldownReason"], "rate_limit");
        assert_eq!(entry["cooldownUntil"], "2026-01-01T00:01:00Z");
        assert!(entry["recoveryHint"].as_str().unwrap().contains("cooldown clear anthropic:k"));
        assert!(!response["listing"].to_string().contains("MIDDLE"), "the listing holds no secret");
    }
}
