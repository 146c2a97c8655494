//! Applying what a load decided, safely: under the store lock, against a
//! fresh read, atomically, and only then removing migrated legacy files.

use crate::host::NativeWorld;
use crate::interpreter::Interpreter;
use crate::world::fsio;
use crate::world::lock::{self, LockOptions};
use anyhow::{Context, Result};
use clawdbot_auth_core::flow::LoadCommand;
use clawdbot_auth_core::load::{Loaded, load};
use clawdbot_auth_core::paths::Env;
use clawdbot_auth_core::store::{AuthStore, write_store};
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

/// Runs `f` holding the store's lock.
///
/// The lock is the folder `<realpath(store)>.lock`, as proper-lockfile names
/// it. When the store does not exist yet its folder is resolved instead, so
/// that locking never creates an empty store (which would hide a legacy
/// auth.json from migration).
pub fn locked<T>(store_path: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let path = Path::new(store_path);
    let dir = path.parent().unwrap_or(Path::new("."));
    fsio::create_private_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let _ = fsio::cleanup_stale_temps(dir, "auth-profiles.json");
    let lock_path = match lock::lock_path_for(path) {
        Ok(p) => p,
        Err(_) => {
            let real_dir = std::fs::canonicalize(dir).with_context(|| format!("resolving {}", dir.display()))?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            real_dir.join(format!("{name}.lock"))
        }
    };
    let _guard = lock::acquire_lock_dir(lock_path, &LockOptions::store_from_env(&crate::host::current_env()))?;
    f()
}

/// A read-modify-write of the store under the lock: `edit` gets the store
/// as it is on disk now and returns whether it changed anything.
pub fn update_store<T>(
    world: &NativeWorld,
    env: &Env,
    now: i64,
    agent: Option<&str>,
    edit: impl FnOnce(&mut AuthStore, &Loaded) -> Result<T>,
) -> Result<T> {
    let probe = load(world, env, now, agent);
    let store_path = probe.locations.store();
    locked(&store_path, || {
        let fresh = load(world, env, now, agent);
        if fresh.store_state == clawdbot_auth_core::load::StoreState::Unreadable {
            let why = fresh.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            anyhow::bail!("refusing to modify an unreadable store: {why}");
        }
        let mut store = fresh.store.clone();
        let result = edit(&mut store, &fresh)?;
        if store != fresh.store || fresh.write.is_some() {
            fsio::write_atomic(Path::new(&store_path), write_store(&store).as_bytes())
                .with_context(|| format!("writing {store_path}"))?;
            for path in &fresh.remove_after_write {
                let _ = fsio::remove_file_if_exists(Path::new(path));
            }
        }
        Ok(result)
    })
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
