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
/// first saved as `clawdbot.json.bak` (or `.bak.1`, … when that name is
/// taken: no backup is ever overwritten) so nothing the operator wrote is
/// lost. Returns the backup's path when one was made.
pub fn write_config(config_path: &str, value: &serde_json::Value) -> Result<Option<String>> {
    let text = serde_json::to_string_pretty(value).context("encoding the config")? + "\n";
    let path = Path::new(config_path);
    let mut backup = None;
    if let fsio::FileRead::Present { bytes, .. } = fsio::read_file(path)
        && !clawdbot_auth_core::config::is_plain_json(&bytes)
    {
        backup = Some(save_backup(path, &bytes)?);
    }
    fsio::write_atomic(path, text.as_bytes()).with_context(|| format!("writing {config_path}"))?;
    Ok(backup)
}

/// Saves `bytes` beside `path` under a name the core picks from the
/// folder's listing, created exclusively (`O_EXCL`) so that a file
/// appearing between the listing and the create is never replaced: that
/// name is then taken and the next one is tried.
pub(crate) fn save_backup(path: &Path, bytes: &[u8]) -> Result<String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut seen: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    loop {
        let names: Vec<&str> = seen.iter().map(String::as_str).collect();
        let name = clawdbot_auth_core::config::backup_name(&file_name, &names);
        let bak = dir.join(&name);
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(fsio::PRIVATE_FILE_MODE)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&bak);
        let mut file = match created {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                seen.push(name);
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("saving {}", bak.display())),
        };
        // Written and synced before the config is replaced: the original
        // stays in place until its copy is on disk.
        file.write_all(bytes).and_then(|()| file.sync_all()).with_context(|| format!("saving {}", bak.display()))?;
        return Ok(bak.to_string_lossy().into_owned());
    }
}
