//! `setOrder` and `moveInOrder`: `clawdbot models auth order set`, run
//! over the request's files; the store it writes is the answer.

use super::ViewOptions;
use super::memory::Memory;
use crate::flow::{Exit, OrderCommand, OrderRequest};
use crate::paths::{self, Env};
use crate::store::{parse_store, store_to_json};
use crate::time::Millis;
use crate::world::{FileRead, MapWorld};
use serde_json::{Value, json};

/// Where an order command runs: the request's files, environment, clock
/// and agent.
pub(super) struct At<'a> {
    pub world: &'a MapWorld,
    pub env: &'a Env,
    pub now: Millis,
    pub agent: Option<&'a str>,
}

/// `{"op": "setOrder", "provider", "order": [ids]}`.
pub(super) fn set_order(req: &Value, at: &At) -> Result<Value, String> {
    let provider = req.get("provider").and_then(Value::as_str).ok_or("setOrder needs \"provider\"")?;
    let ids: Vec<String> = match req.get("order") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => return Err("setOrder needs \"order\": a list of profile ids".into()),
    };
    order_run(at, OrderRequest::Set { provider: provider.into(), profile_ids: ids }, None)
}

/// `{"op": "moveInOrder", "provider", "profileId", "by": -1 | 1}`: moves one
/// profile in the list the panel's editor shows ([`crate::view::editable_order`])
/// and sets the result as the provider's order: `order set` with that
/// list, made from the store under the lock (`OrderRequest::Move`).
///
/// With `view` (the request's `"view": {"rows", "from", "only", "text"}`),
/// the answer is the page's whole refresh in one call: `storeText` and the
/// view of the files as the command left them (`locations`, `view`), not
/// the store as JSON nor the writes.
pub(super) fn move_in_order(req: &Value, at: &At, view: Option<&ViewOptions>) -> Result<Value, String> {
    let provider = req.get("provider").and_then(Value::as_str).ok_or("moveInOrder needs \"provider\"")?;
    let profile_id = req.get("profileId").and_then(Value::as_str).ok_or("moveInOrder needs \"profileId\"")?;
    let by = req
        .get("by")
        .and_then(Value::as_i64)
        .and_then(|n| isize::try_from(n).ok())
        .ok_or("moveInOrder needs \"by\"")?;
    let request = OrderRequest::Move { provider: provider.into(), profile_id: profile_id.to_string(), by };
    order_run(at, request, view)
}

/// Runs `order set` (or its move) and answers the store as it left it:
/// `store`, `storeText` (the file to download) and every write.
fn order_run(at: &At, request: OrderRequest, view: Option<&ViewOptions>) -> Result<Value, String> {
    let At { world, env, now, agent } = *at;
    let mut memory = Memory::new(world.files.clone(), now);
    let ran = memory.run(&mut OrderCommand::new(request, agent, env, now));
    if ran.exit != Exit::Ok {
        return Err(ran.refusal());
    }
    // Where the command wrote the store: the agent's folder the config names.
    let path = paths::locate(env, &super::config_of(world, env), agent).store();
    let text = match memory.file(&path) {
        Some(FileRead::Present { bytes, .. }) => String::from_utf8_lossy(bytes).into_owned(),
        _ => return Err(format!("{} was not written", env.shorten(&path))),
    };
    if let Some(asked) = view {
        // The files as the command left them, loaded as the CLI's next run would.
        let after = MapWorld { files: memory.into_files(), keychain: world.keychain.clone() };
        let mut answer = super::view_of(&after, env, agent, now, asked)?;
        if let Value::Object(fields) = &mut answer {
            fields.insert("storeText".into(), Value::from(text));
        }
        return Ok(answer);
    }
    let store = parse_store(text.as_bytes(), &env.shorten(&path)).map(|(store, _)| store_to_json(&store));
    Ok(json!({
        "store": store.unwrap_or(Value::Null),
        "storeText": text,
        "writes": super::writes(&ran),
    }))
}
