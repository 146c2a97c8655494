//! Function-shaped doors to the core's store flows, for the commands that
//! are not flows themselves (status, doctor, paste-token, setup-token):
//! each runs a flow through the [`Interpreter`], so the lock, the fresh
//! read inside it, the atomic write and the removal of migrated files
//! happen exactly as in the flows. Plus the `clawdbot.json` writer.

use crate::host::NativeWorld;
use crate::interpreter::Interpreter;
use crate::world::fsio;
use anyhow::{Context, Result};
use clawdbot_auth_core::flow::{EditStore, LoadCommand, LockTimings};
use clawdbot_auth_core::load::Loaded;
use clawdbot_auth_core::paths::Env;
use clawdbot_auth_core::store::AuthStore;
use std::path::Path;

/// Loads, and when the load wants to write, takes the lock, looks again
/// (another process may have written meanwhile), writes and cleans up: the
/// core's [`LoadCommand`], carried out. Returns the load that reflects the
/// disk afterwards, and why its changes could not be saved.
pub fn load_and_persist(world: &NativeWorld, env: &Env, now: i64, agent: Option<&str>) -> (Loaded, Option<String>) {
    let mut flow = LoadCommand::new(env, agent, now);
    Interpreter::new(world).run(&mut flow);
    flow.into_loaded().expect("a load flow ends only once it has its load")
}

/// Runs `f` holding the store's lock (the same lock the flows ask for,
/// taken the same way: see [`crate::interpreter`]).
pub fn locked<T>(store_path: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let timings = LockTimings::store(&crate::host::current_env());
    let _guard = crate::interpreter::store_lock(store_path, timings).map_err(|why| anyhow::anyhow!(why))?;
    f()
}

/// A read-modify-write of the store under the lock: the core's
/// [`EditStore`], carried out. `edit` gets the store as it is on disk now;
/// an edit that fails writes nothing.
pub fn update_store<T>(
    world: &NativeWorld,
    env: &Env,
    now: i64,
    agent: Option<&str>,
    edit: impl FnOnce(&mut AuthStore, &Loaded) -> Result<T>,
) -> Result<T> {
    let mut result = None;
    let mut flow = EditStore::new(
        env,
        agent,
        now,
        Box::new(|store: &mut AuthStore, loaded: &Loaded| match edit(store, loaded) {
            Ok(value) => result = Some(Ok(value)),
            Err(e) => {
                store.clone_from(&loaded.store);
                result = Some(Err(e));
            }
        }),
    );
    Interpreter::new(world).run(&mut flow);
    match flow.outcome() {
        Some(Ok(_)) => result.unwrap_or_else(|| Err(anyhow::anyhow!("the store edit did not run"))),
        Some(Err(why)) => Err(anyhow::anyhow!(why)),
        None => Err(anyhow::anyhow!("the store edit did not finish")),
    }
}

/// Writes `clawdbot.json` (atomically, privately). Clawdbot writes JSON; when
/// the file on disk is JSON5 (comments, trailing commas), its original is
/// first saved as `clawdbot.json.bak` so nothing the operator wrote is lost.
/// Returns the backup's path when one was made.
pub fn write_config(config_path: &str, value: &serde_json::Value) -> Result<Option<String>> {
    let text = serde_json::to_string_pretty(value).context("encoding the config")? + "\n";
    let path = Path::new(config_path);
    let mut backup = None;
    if let fsio::FileRead::Present { bytes, .. } = fsio::read_file(path)
        && !clawdbot_auth_core::config::is_plain_json(&bytes)
    {
        let bak = format!("{config_path}.bak");
        fsio::write_atomic(Path::new(&bak), &bytes).with_context(|| format!("saving {bak}"))?;
        backup = Some(bak);
    }
    fsio::write_atomic(path, text.as_bytes()).with_context(|| format!("writing {config_path}"))?;
    Ok(backup)
}
