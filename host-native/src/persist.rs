//! Applying what a load decided, safely: under the store lock, against a
//! fresh read, atomically, and only then removing migrated legacy files.

use crate::host::NativeWorld;
use crate::world::fsio;
use crate::world::lock::{self, LockOptions};
use anyhow::{Context, Result};
use clawdbot_auth_core::load::{Loaded, load};
use clawdbot_auth_core::paths::Env;
use clawdbot_auth_core::store::{AuthStore, write_store};
use std::path::Path;

/// Loads, and when the load wants to write, takes the lock, loads again
/// (another process may have written meanwhile), writes and cleans up.
/// Returns the load that reflects the disk afterwards.
pub fn load_and_persist(world: &NativeWorld, env: &Env, now: i64, agent: Option<&str>) -> (Loaded, Option<String>) {
    let first = load(world, env, now, agent);
    if first.write.is_none() {
        return (first, None);
    }
    match locked(&first.locations.store(), || {
        let fresh = load(world, env, now, agent);
        apply(&fresh)?;
        Ok(fresh)
    }) {
        Ok(fresh) => (fresh, None),
        Err(e) => (first, Some(format!("could not save synced credentials: {e:#}"))),
    }
}

/// Writes the load's effects. The caller holds the lock.
pub fn apply(loaded: &Loaded) -> Result<()> {
    let Some(text) = &loaded.write else { return Ok(()) };
    let store = loaded.locations.store();
    fsio::write_atomic(Path::new(&store), text.as_bytes()).with_context(|| format!("writing {store}"))?;
    for path in &loaded.remove_after_write {
        if let Err(e) = fsio::remove_file_if_exists(Path::new(path)) {
            eprintln!("warning: migrated {path} but could not remove it: {e}");
        }
    }
    Ok(())
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
    let lock_path = match lock::lock_path_for(path) {
        Ok(p) => p,
        Err(_) => {
            let real_dir = std::fs::canonicalize(dir).with_context(|| format!("resolving {}", dir.display()))?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            real_dir.join(format!("{name}.lock"))
        }
    };
    let _guard = lock::acquire_lock_dir(lock_path, &LockOptions::store_from_env(&crate::host::current_env()))?;
    // Every writer of the store holds this lock, so a temp file of it now
    // can only be a dead writer's, however young.
    if let Some(name) = path.file_name() {
        let _ = fsio::remove_leftover_temps(dir, &name.to_string_lossy());
    }
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
            let text = write_store(&store)?;
            fsio::write_atomic(Path::new(&store_path), text.as_bytes())
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
fn save_backup(path: &Path, bytes: &[u8]) -> Result<String> {
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
