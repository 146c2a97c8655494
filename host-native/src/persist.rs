//! Saving a JSON5 config's original before the core's config edit
//! replaces it ([`clawdbot_auth_core::flow::Effect::SaveBackup`]): the name
//! is the core's, the exclusive create is the host's.

use crate::world::fsio;
use clawdbot_auth_core::{IoFailure, IoStep};
use std::path::Path;

/// Saves `bytes` beside `path` under a name the core picks from the
/// folder's listing, created exclusively (`O_EXCL`) so that a file
/// appearing between the listing and the create is never replaced: that
/// name is then taken and the next one is tried.
pub(crate) fn save_backup(path: &Path, bytes: &[u8]) -> Result<String, IoFailure> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let failed = |at: &Path, step, e: std::io::Error| IoFailure::new(fsio::io_kind(&e), at.to_string_lossy()).at(step);
    let mut seen: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| failed(dir, IoStep::ListFolder, e))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    loop {
        let names: Vec<&str> = seen.iter().map(String::as_str).collect();
        let name = clawdbot_auth_core::backup_name(&file_name, &names);
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
            Err(e) => return Err(failed(&bak, IoStep::Create, e)),
        };
        // Written and synced before the config is replaced: the original
        // stays in place until its copy is on disk.
        file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| failed(&bak, IoStep::Write, e))?;
        return Ok(bak.to_string_lossy().into_owned());
    }
}
