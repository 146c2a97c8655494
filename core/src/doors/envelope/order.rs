//! `setOrder` and `moveInOrder`: `clawdbot models auth order set`, run
//! over the request's files; the store it writes is the answer.

use super::memory::{Memory, Ran};
use super::{Model, ViewOptions};
use crate::flow::{Exit, OrderCommand, OrderRequest};
use crate::load::Loaded;
use crate::paths::{self, Env};
use crate::report::ReportOptions;
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
    order_run(at, move_request(req)?, view)
}

/// The move `{"provider", "profileId", "by"}` asks for.
fn move_request(req: &Value) -> Result<OrderRequest, String> {
    let provider = req.get("provider").and_then(Value::as_str).ok_or("moveInOrder needs \"provider\"")?;
    let profile_id = req.get("profileId").and_then(Value::as_str).ok_or("moveInOrder needs \"profileId\"")?;
    let by = req
        .get("by")
        .and_then(Value::as_i64)
        .and_then(|n| isize::try_from(n).ok())
        .ok_or("moveInOrder needs \"by\"")?;
    Ok(OrderRequest::Move { provider: provider.into(), profile_id: profile_id.to_string(), by })
}

/// A move run over files: the files as the command left them, the store
/// file's text, and the model of their view.
pub(super) struct Moved {
    pub after: MapWorld,
    pub text: String,
    pub model: Model,
}

/// `moveInOrder`'s command over `at`'s files, and the model of the files
/// it left: `options` are the report's.
pub(super) fn move_model(req: &Value, at: &At, options: &ReportOptions) -> Result<Moved, String> {
    ordered(at, move_request(req)?, options)
}

/// The order command `request` over `at`'s files, and the model of the
/// files it left, made from the load the command ended with where that
/// is the load of those files ([`Model::after`]).
fn ordered(at: &At, request: OrderRequest, options: &ReportOptions) -> Result<Moved, String> {
    let (memory, _, load) = run_order(at, request, true)?;
    let (_, text) = store_file(at, &memory)?;
    let At { world, env, now, agent } = *at;
    // The files as the command left them, seen as the CLI's next run would.
    let after = MapWorld { files: memory.into_files(), keychain: world.keychain.clone() };
    let model = Model::after(&after, env, agent, now, options, load)?;
    Ok(Moved { after, text, model })
}

/// Runs the order command over `at`'s files in memory; with `keep`, also
/// answers the load it ended with.
fn run_order(at: &At, request: OrderRequest, keep: bool) -> Result<(Memory, Ran, Option<Loaded>), String> {
    let At { world, env, now, agent } = *at;
    let mut memory = Memory::new(world.files.clone(), now);
    let mut command = OrderCommand::new(request, agent, env, now);
    if keep {
        command = command.keeping_load();
    }
    let ran = memory.run(&mut command);
    if ran.exit != Exit::Ok {
        return Err(ran.refusal());
    }
    Ok((memory, ran, command.take_load()))
}

/// The store file as the command left it: its path and its text.
fn store_file(at: &At, memory: &Memory) -> Result<(String, String), String> {
    // Where the command wrote the store: the agent's folder the config names.
    let path = paths::locate(at.env, &super::config_of(at.world, at.env), at.agent).store();
    match memory.file(&path) {
        Some(FileRead::Present { bytes, .. }) => Ok((path, String::from_utf8_lossy(bytes).into_owned())),
        _ => Err(format!("{} was not written", at.env.shorten(&path))),
    }
}

/// Runs `order set` (or its move) and answers the store as it left it:
/// `store`, `storeText` (the file to download) and every write.
fn order_run(at: &At, request: OrderRequest, view: Option<&ViewOptions>) -> Result<Value, String> {
    let env = at.env;
    if let Some(asked) = view {
        let Moved { after, text, model } = ordered(at, request, &asked.report)?;
        let mut answer = model.view(&after, env, asked);
        if let Value::Object(fields) = &mut answer {
            fields.insert("storeText".into(), Value::from(text));
        }
        return Ok(answer);
    }
    let (memory, ran, _) = run_order(at, request, false)?;
    let (path, text) = store_file(at, &memory)?;
    let store = parse_store(text.as_bytes(), &env.shorten(&path)).map(|(store, _)| store_to_json(&store));
    Ok(json!({
        "store": store.unwrap_or(Value::Null),
        "storeText": text,
        "writes": super::writes(&ran),
    }))
}
