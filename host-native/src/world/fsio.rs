//! Reading credential files and writing them so that no reader ever sees a
//! half-written file.
//!
//! The reference gateway writes `auth-profiles.json` in place (spec §1.8), so
//! a crash mid-write leaves a truncated store; here every write goes to a
//! private temp file in the same folder, is fsynced and renamed over the
//! target, and the folder is fsynced so the rename itself survives a power
//! cut. A symlinked target is written *through* (the link stays a link),
//! unlike Claude Code's newer builds which replace a symlinked
//! `.credentials.json` with a regular file (credential-formats §1.7).

use clawdbot_auth_core::IoKind;
use std::collections::HashSet;
use std::fmt;
use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Files larger than this are refused unread, and never written: the
/// core's [`MAX_FILE_BYTES`](clawdbot_auth_core::MAX_FILE_BYTES).
pub const MAX_READ_BYTES: u64 = clawdbot_auth_core::MAX_FILE_BYTES;

/// Mode of every credential file we write (the core's rule).
pub const PRIVATE_FILE_MODE: u32 = clawdbot_auth_core::PRIVATE_FILE_MODE;

/// Mode of every folder we create for credentials (the core's rule).
pub const PRIVATE_DIR_MODE: u32 = clawdbot_auth_core::PRIVATE_DIR_MODE;

/// Temp files older than this are leftovers of a crashed writer: a live
/// write finishes in milliseconds.
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(60);

/// How many symlinks we follow before calling it a loop (Linux's own limit).
const MAX_SYMLINK_HOPS: usize = 40;

/// What reading one file found. The core's snapshot distinguishes exactly
/// these three cases, so an unreadable store is reported, not mistaken for
/// a missing one (which would let a later write clobber it).
#[derive(Clone, PartialEq)]
pub enum FileRead {
    /// Nothing at that path (or a symlink pointing nowhere).
    Absent,
    /// The file's bytes and its modification time.
    Present {
        bytes: Vec<u8>,
        /// Modification time in milliseconds since the epoch, fractional like
        /// node's `mtimeMs`.
        mtime_ms: f64,
    },
    /// Something is there but we cannot use it, and why.
    Unreadable { kind: clawdbot_auth_core::IoKind },
}

/// The bytes are usually credentials: Debug shows their length only.
impl fmt::Debug for FileRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileRead::Absent => f.write_str("Absent"),
            FileRead::Present { bytes, mtime_ms } => {
                f.debug_struct("Present").field("len", &bytes.len()).field("mtime_ms", mtime_ms).finish()
            }
            FileRead::Unreadable { kind } => f.debug_struct("Unreadable").field("kind", kind).finish(),
        }
    }
}

/// A failed file operation, naming the path and what was being done.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// The OS error is part of the message and deliberately not the error's
    /// `source()`: `anyhow`'s `{:#}` prints the chain, and an error both
    /// saying and chaining it printed "Read-only file system (os error 30):
    /// Read-only file system (os error 30)".
    #[error("{}: cannot {action}: {cause}", path.display())]
    Io { path: PathBuf, action: &'static str, cause: io::Error },
    #[error("{}: symlinks form a loop (or a chain longer than {MAX_SYMLINK_HOPS})", path.display())]
    SymlinkLoop { path: PathBuf },
    #[error("{}: is a folder, not a file", path.display())]
    IsADirectory { path: PathBuf },
    #[error("{}: has no file name", path.display())]
    NoFileName { path: PathBuf },
    #[error(
        "{}: not written: {len} bytes is over the {cap}-byte limit every reader applies, so no command could read it back",
        path.display()
    )]
    TooLarge { path: PathBuf, len: u64, cap: u64 },
}

impl FsError {
    fn io(path: &Path, action: &'static str, source: io::Error) -> Self {
        FsError::Io { path: path.to_path_buf(), action, cause: source }
    }

    /// The failure as the core's value: the step, the kind, the path.
    pub fn failure(&self) -> clawdbot_auth_core::IoFailure {
        use clawdbot_auth_core::{IoFailure, IoStep};
        let at = |path: &Path, kind| IoFailure::new(kind, path.to_string_lossy());
        match self {
            FsError::Io { path, action, cause } => {
                let failure = at(path, io_kind(cause));
                let step = match *action {
                    "inspect" => IoStep::Inspect,
                    "read symlink" => IoStep::ReadSymlink,
                    "create folder" => IoStep::CreateFolder,
                    "replace file" => IoStep::Replace,
                    "create temp file" => IoStep::CreateTemp,
                    "write temp file" => IoStep::WriteTemp,
                    "set mode of temp file" => IoStep::SetTempMode,
                    "flush temp file" => IoStep::FlushTemp,
                    "flush folder" => IoStep::FlushFolder,
                    "create" => IoStep::Create,
                    "list folder" => IoStep::ListFolder,
                    "remove" => IoStep::Remove,
                    _ => IoStep::Write,
                };
                failure.at(step)
            }
            FsError::SymlinkLoop { path } => at(path, IoKind::SymlinkLoop),
            FsError::IsADirectory { path } => at(path, IoKind::IsAFolder),
            FsError::NoFileName { path } => at(path, IoKind::NoFileName),
            FsError::TooLarge { path, len, cap } => {
                at(path, IoKind::TooLarge { bytes: Some(*len), limit: Some(*cap) }).at(IoStep::Write)
            }
        }
    }
}

/// Reads a whole file, refusing anything over [`MAX_READ_BYTES`].
pub fn read_file(path: &Path) -> FileRead {
    read_file_capped(path, MAX_READ_BYTES)
}

/// [`read_file`] with an explicit size cap (tests use a small one).
pub fn read_file_capped(path: &Path, cap: u64) -> FileRead {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
    // writer forever. It changes nothing for regular files.
    let file = match OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return FileRead::Absent,
        Err(err) => return FileRead::Unreadable { kind: io_kind(&err) },
    };
    let meta = match file.metadata() {
        Ok(meta) => meta,
        Err(err) => return FileRead::Unreadable { kind: io_kind(&err) },
    };
    if meta.is_dir() {
        return FileRead::Unreadable { kind: IoKind::IsAFolder };
    }
    if !meta.is_file() {
        return FileRead::Unreadable { kind: IoKind::NotRegular };
    }
    if meta.len() > cap {
        return FileRead::Unreadable { kind: too_large(meta.len(), cap) };
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // Read one byte past the cap so a file that grew after fstat is caught.
    if let Err(err) = file.take(cap.saturating_add(1)).read_to_end(&mut bytes) {
        return FileRead::Unreadable { kind: io_kind(&err) };
    }
    if bytes.len() as u64 > cap {
        return FileRead::Unreadable { kind: too_large(bytes.len() as u64, cap) };
    }
    FileRead::Present { bytes, mtime_ms: mtime_ms(&meta) }
}

fn too_large(len: u64, cap: u64) -> IoKind {
    IoKind::TooLarge { bytes: Some(len), limit: Some(cap) }
}

/// Modification time as fractional milliseconds, negative before 1970.
fn mtime_ms(meta: &fs::Metadata) -> f64 {
    match meta.modified() {
        Ok(time) => match time.duration_since(UNIX_EPOCH) {
            Ok(after) => after.as_secs_f64() * 1000.0,
            Err(before) => -(before.duration().as_secs_f64() * 1000.0),
        },
        // Platforms without mtime: fall back to the raw stat fields.
        Err(_) => meta.mtime() as f64 * 1000.0 + meta.mtime_nsec() as f64 / 1_000_000.0,
    }
}

/// A short human reason for an I/O error, for "unreadable" diagnostics.
/// An OS error as the core's kind of failure: the core words it.
pub fn io_kind(err: &io::Error) -> IoKind {
    match err.raw_os_error() {
        Some(libc::EACCES) | Some(libc::EPERM) => IoKind::PermissionDenied,
        Some(libc::EISDIR) => IoKind::IsAFolder,
        Some(libc::ELOOP) => IoKind::SymlinkLoop,
        Some(libc::ENOTDIR) => IoKind::NotAFolder,
        Some(libc::ENAMETOOLONG) => IoKind::NameTooLong,
        Some(libc::EFBIG) | Some(libc::EOVERFLOW) => IoKind::TooLarge { bytes: None, limit: None },
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => IoKind::NoSpace,
        Some(libc::EROFS) => IoKind::ReadOnly,
        Some(libc::ETIMEDOUT) => IoKind::TimedOut,
        code => match err.kind() {
            io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe => IoKind::Closed,
            io::ErrorKind::TimedOut => IoKind::TimedOut,
            _ => IoKind::Other { code },
        },
    }
}

/// Whether no file can be under `path`: it is something other than a
/// folder (through symlinks), or under such a thing.
pub fn cannot_hold_files(path: &Path) -> bool {
    match fs::metadata(path) {
        Ok(meta) => !meta.is_dir(),
        Err(err) => err.raw_os_error() == Some(libc::ENOTDIR),
    }
}

/// Follows a symlink chain to the path a write must replace.
///
/// Relative link targets are taken relative to the link's folder, as the
/// kernel does. A dangling link resolves to its (missing) target, so the
/// write creates it. Returns `path` itself when it is not a symlink.
pub fn resolve_symlinks(path: &Path) -> Result<PathBuf, FsError> {
    let mut current = path.to_path_buf();
    let mut seen = HashSet::new();
    for _ in 0..MAX_SYMLINK_HOPS {
        let meta = match fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(err) => return Err(FsError::io(&current, "inspect", err)),
        };
        if !meta.file_type().is_symlink() {
            return Ok(current);
        }
        if !seen.insert(current.clone()) {
            return Err(FsError::SymlinkLoop { path: path.to_path_buf() });
        }
        let target = fs::read_link(&current).map_err(|err| FsError::io(&current, "read symlink", err))?;
        current = if target.is_absolute() {
            target
        } else {
            match current.parent() {
                Some(parent) => parent.join(target),
                None => target,
            }
        };
    }
    Err(FsError::SymlinkLoop { path: path.to_path_buf() })
}

/// Creates `dir` and any missing parents with mode 0700. Existing folders
/// keep their mode: tightening someone's home is `doctor`'s job.
pub fn create_private_dir_all(dir: &Path) -> Result<(), FsError> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR_MODE)
        .create(dir)
        .map_err(|err| FsError::io(dir, "create folder", err))
}

/// The steps of a write that tests can make fail, to prove a failure at
/// any of them leaves the old file alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FaultStep {
    Write,
    Sync,
    Rename,
}

#[cfg(test)]
thread_local! {
    static FAULT: std::cell::Cell<Option<FaultStep>> = const { std::cell::Cell::new(None) };
}

/// Fails with an injected error when a test asked for it; nothing otherwise.
#[cfg(test)]
fn injected(step: FaultStep) -> io::Result<()> {
    match FAULT.get() {
        Some(wanted) if wanted == step => Err(io::Error::other(format!("injected failure at {step:?}"))),
        _ => Ok(()),
    }
}

#[cfg(not(test))]
#[inline(always)]
fn injected(_step: FaultStep) -> io::Result<()> {
    Ok(())
}

/// Distinguishes temp files of concurrent writes within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The folder and file name a write to `target` works in.
fn split_target(target: &Path) -> Result<(PathBuf, String), FsError> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| FsError::NoFileName { path: target.to_path_buf() })?;
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

/// `.<name>.tmp-`: the prefix of our temp files, so a cleanup finds them.
fn temp_prefix(name: &str) -> String {
    format!(".{name}.tmp-")
}

/// Replaces the file at `path` (or at the end of its symlink chain) with
/// `bytes`, all or nothing, mode 0600.
///
/// On any failure the temp file is removed and the old file is untouched;
/// the one exception is a failing fsync of the folder *after* the rename,
/// reported as an error although the new content is already in place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    write_atomic_capped(path, bytes, MAX_READ_BYTES)
}

/// [`write_atomic`] with an explicit size cap (tests use a small one).
/// Content over the cap is refused before anything is touched: never
/// write a file the reader would refuse.
pub fn write_atomic_capped(path: &Path, bytes: &[u8], cap: u64) -> Result<(), FsError> {
    let len = bytes.len() as u64;
    if len > cap {
        return Err(FsError::TooLarge { path: path.to_path_buf(), len, cap });
    }
    let target = resolve_symlinks(path)?;
    if let Ok(meta) = fs::metadata(&target)
        && meta.is_dir()
    {
        return Err(FsError::IsADirectory { path: target });
    }
    let (dir, name) = split_target(&target)?;
    create_private_dir_all(&dir)?;
    // Leftovers of a writer killed mid-write, of this file only; every
    // file we write (not just the store) gets them cleaned this way.
    let _ = cleanup_stale_temps(&dir, &name);
    let temp = write_temp(&dir, &name, bytes)?;
    if let Err(err) = injected(FaultStep::Rename).and_then(|()| fs::rename(&temp, &target)) {
        let _ = fs::remove_file(&temp);
        return Err(FsError::io(&target, "replace file", err));
    }
    sync_dir(&dir)
}

/// How many fresh names a write tries for its temp file. Each try takes a
/// new counter value, so only files planted at every one of them in a row
/// can make a write fail, where one planted file used to.
const TEMP_NAME_ATTEMPTS: u32 = 64;

/// Creates a new private temp file for `name` in `dir`, exclusively: never
/// through a file or symlink someone planted. A name that is taken is
/// skipped for the next one.
fn create_temp(dir: &Path, name: &str) -> Result<(File, PathBuf), FsError> {
    let mut attempt = 0;
    loop {
        let counter = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!("{}{}-{}", temp_prefix(name), std::process::id(), counter));
        match OpenOptions::new().write(true).create_new(true).mode(PRIVATE_FILE_MODE).open(&temp) {
            Ok(file) => return Ok((file, temp)),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && attempt + 1 < TEMP_NAME_ATTEMPTS => attempt += 1,
            Err(err) => return Err(FsError::io(&temp, "create temp file", err)),
        }
    }
}

/// Writes `bytes` to a fresh private temp file in `dir` and fsyncs it.
/// Removes it again on failure.
fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, FsError> {
    let (mut file, temp) = create_temp(dir, name)?;
    let result = (|| {
        injected(FaultStep::Write)
            .and_then(|()| file.write_all(bytes))
            .map_err(|err| FsError::io(&temp, "write temp file", err))?;
        // The umask may have narrowed the mode; make it exactly 0600.
        file.set_permissions(Permissions::from_mode(PRIVATE_FILE_MODE))
            .map_err(|err| FsError::io(&temp, "set mode of temp file", err))?;
        injected(FaultStep::Sync)
            .and_then(|()| file.sync_all())
            .map_err(|err| FsError::io(&temp, "flush temp file", err))
    })();
    drop(file);
    match result {
        Ok(()) => Ok(temp),
        Err(err) => {
            let _ = fs::remove_file(&temp);
            Err(err)
        }
    }
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), FsError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|err| FsError::io(dir, "flush folder", err))
}

/// Creates `path` holding `initial_bytes` (0600, parent 0700) only if
/// nothing is there yet; returns whether it created it. The file appears
/// complete or not at all: the content goes to a temp file that is then
/// hard-linked into place, which fails rather than replaces when a
/// concurrent process created the file first.
///
/// Only tests use it, to make a lock target. The reference creates an
/// empty store before locking it (spec §1.8 `ensureAuthStoreFile`); we do
/// not, because an empty store would hide a legacy `auth.json` from
/// migration: the interpreter locks `<realpath(folder)>/<name>.lock`
/// instead when the store is missing (`take_store_lock`).
#[cfg(test)]
pub fn ensure_file_exists(path: &Path, initial_bytes: &[u8]) -> Result<bool, FsError> {
    let target = resolve_symlinks(path)?;
    match fs::symlink_metadata(&target) {
        Ok(_) => return Ok(false),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(FsError::io(&target, "inspect", err)),
    }
    let (dir, name) = split_target(&target)?;
    create_private_dir_all(&dir)?;
    let temp = write_temp(&dir, &name, initial_bytes)?;
    let linked = fs::hard_link(&temp, &target);
    let _ = fs::remove_file(&temp);
    match linked {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
        // Some filesystems have no hard links: create in place instead. The
        // window where the file is empty is what the reference always has.
        Err(_) => match OpenOptions::new().write(true).create_new(true).mode(PRIVATE_FILE_MODE).open(&target) {
            Ok(mut file) => {
                file.write_all(initial_bytes)
                    .and_then(|()| file.sync_all())
                    .map_err(|err| FsError::io(&target, "write", err))?;
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
            Err(err) => return Err(FsError::io(&target, "create", err)),
        },
    }
    sync_dir(&dir)?;
    Ok(true)
}

/// Removes the `.<name>.tmp-*` files a crashed writer left in `dir` that are
/// older than [`STALE_TEMP_AGE`]; returns how many it removed. For files
/// written without a lock, where a young temp may be a write in progress.
pub fn cleanup_stale_temps(dir: &Path, name: &str) -> Result<usize, FsError> {
    cleanup_temps_older_than(dir, name, STALE_TEMP_AGE)
}

/// Removes every `.<name>.tmp-*` file in `dir`, whatever its age: call it
/// only holding the lock every writer of `name` takes, when a temp file can
/// only be a dead writer's. After a crash, the next locked write then
/// leaves the folder as clean as it was.
pub fn remove_leftover_temps(dir: &Path, name: &str) -> Result<usize, FsError> {
    cleanup_temps_older_than(dir, name, Duration::ZERO)
}

/// [`cleanup_stale_temps`] with an explicit age. Young temp files may belong
/// to a write in progress in another process, so they are left alone.
pub fn cleanup_temps_older_than(dir: &Path, name: &str, age: Duration) -> Result<usize, FsError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(FsError::io(dir, "list folder", err)),
    };
    let prefix = temp_prefix(name);
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        if !file_name.to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.file_type().is_file() {
            continue;
        }
        let old_enough = meta.modified().ok().and_then(|m| now.duration_since(m).ok()).is_some_and(|d| d >= age);
        if old_enough && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes a file; a missing file is not an error. Returns whether a file
/// was removed.
pub fn remove_file_if_exists(path: &Path) -> Result<bool, FsError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(FsError::io(path, "remove", err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn mode_of(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn read_distinguishes_absent_present_and_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.json");
        assert_eq!(read_file(&file), FileRead::Absent);
        fs::write(&file, b"{}").unwrap();
        match read_file(&file) {
            FileRead::Present { bytes, mtime_ms } => {
                assert_eq!(bytes, b"{}");
                assert!(mtime_ms > 1.0e12, "mtime {mtime_ms}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(read_file(dir.path()), FileRead::Unreadable { kind: IoKind::IsAFolder }));
    }

    #[test]
    fn read_refuses_files_over_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("big");
        fs::write(&file, vec![b'x'; 100]).unwrap();
        assert!(matches!(
            read_file_capped(&file, 10),
            FileRead::Unreadable { kind: IoKind::TooLarge { bytes: Some(11..), limit: Some(10) } }
        ));
        assert!(matches!(read_file_capped(&file, 100), FileRead::Present { .. }));
    }

    #[test]
    fn write_refuses_what_the_reader_would_refuse_and_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("store.json");
        fs::write(&file, b"old").unwrap();
        let err = write_atomic_capped(&file, &[b'x'; 11], 10).unwrap_err();
        assert!(matches!(err, FsError::TooLarge { len: 11, cap: 10, .. }), "{err}");
        assert_eq!(fs::read(&file).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left");
        write_atomic_capped(&file, &[b'x'; 10], 10).unwrap();
        assert!(matches!(read_file_capped(&file, 10), FileRead::Present { .. }));
    }

    #[test]
    fn read_reports_symlink_loops_and_fifos_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        symlink(&b, &a).unwrap();
        symlink(&a, &b).unwrap();
        assert!(matches!(read_file(&a), FileRead::Unreadable { kind: IoKind::SymlinkLoop }));
        let dangling = dir.path().join("dangling");
        symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert_eq!(read_file(&dangling), FileRead::Absent);
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            assert!(matches!(read_file(&fifo), FileRead::Unreadable { .. }));
        }
    }

    #[test]
    fn debug_never_shows_the_bytes() {
        let read = FileRead::Present { bytes: b"sk-ant-secret".to_vec(), mtime_ms: 1.0 };
        let shown = format!("{read:?}");
        assert!(!shown.contains("secret") && !shown.contains("115"), "{shown}");
    }

    #[test]
    fn write_creates_private_parents_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x/y/store.json");
        write_atomic(&file, b"one").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"one");
        assert_eq!(mode_of(&file), 0o600);
        assert_eq!(mode_of(&dir.path().join("x")), 0o700);
        assert_eq!(mode_of(&dir.path().join("x/y")), 0o700);
        write_atomic(&file, b"two").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"two");
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("x/y")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp files remain");
    }

    #[test]
    fn write_tightens_an_existing_loose_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("store.json");
        fs::write(&file, b"old").unwrap();
        fs::set_permissions(&file, Permissions::from_mode(0o644)).unwrap();
        write_atomic(&file, b"new").unwrap();
        assert_eq!(mode_of(&file), 0o600);
    }

    #[test]
    fn write_goes_through_a_symlink_chain() {
        let dir = tempfile::tempdir().unwrap();
        let real_dir = dir.path().join("real");
        fs::create_dir(&real_dir).unwrap();
        let real = real_dir.join("creds.json");
        fs::write(&real, b"old").unwrap();
        let hop = dir.path().join("hop");
        symlink("real/creds.json", &hop).unwrap();
        let link = dir.path().join("link.json");
        symlink(&hop, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert!(fs::symlink_metadata(&hop).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"new");
        assert_eq!(mode_of(&real), 0o600);
    }

    #[test]
    fn write_refuses_a_symlink_loop_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        symlink(&b, &a).unwrap();
        symlink(&a, &b).unwrap();
        assert!(matches!(write_atomic(&a, b"x"), Err(FsError::SymlinkLoop { .. })));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn failed_write_keeps_the_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("store.json");
        fs::write(&file, b"old").unwrap();
        for step in [FaultStep::Write, FaultStep::Sync, FaultStep::Rename] {
            FAULT.set(Some(step));
            let result = write_atomic(&file, b"new");
            FAULT.set(None);
            assert!(result.is_err(), "{step:?}");
            assert_eq!(fs::read(&file).unwrap(), b"old", "{step:?}");
            assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "temp removed after {step:?}");
        }
        write_atomic(&file, b"new").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"new");
    }

    #[test]
    fn write_refuses_to_replace_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();
        assert!(matches!(write_atomic(&sub, b"x"), Err(FsError::IsADirectory { .. })));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn ensure_file_exists_creates_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("agent/auth-profiles.json");
        assert!(ensure_file_exists(&file, b"{\"version\":1,\"profiles\":{}}\n").unwrap());
        assert_eq!(mode_of(&file), 0o600);
        fs::write(&file, b"mine").unwrap();
        assert!(!ensure_file_exists(&file, b"other").unwrap());
        assert_eq!(fs::read(&file).unwrap(), b"mine");
        assert_eq!(fs::read_dir(dir.path().join("agent")).unwrap().count(), 1);
    }

    #[test]
    fn cleanup_removes_only_old_temps_of_that_name() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(".store.json.tmp-1-0");
        let other = dir.path().join(".other.json.tmp-1-0");
        let fresh = dir.path().join(".store.json.tmp-2-0");
        for p in [&old, &other, &fresh] {
            fs::write(p, b"x").unwrap();
        }
        let past = SystemTime::now() - Duration::from_secs(120);
        for p in [&old, &other] {
            File::options().write(true).open(p).unwrap().set_modified(past).unwrap();
        }
        assert_eq!(cleanup_stale_temps(dir.path(), "store.json").unwrap(), 1);
        assert!(!old.exists() && other.exists() && fresh.exists());
        assert_eq!(cleanup_stale_temps(&dir.path().join("missing"), "store.json").unwrap(), 0);
    }

    #[test]
    fn remove_if_exists_is_quiet_about_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        assert!(!remove_file_if_exists(&file).unwrap());
        fs::write(&file, b"x").unwrap();
        assert!(remove_file_if_exists(&file).unwrap());
        assert!(!file.exists());
    }

    #[test]
    fn a_file_planted_at_the_next_temp_names_does_not_stop_a_write() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("auth-profiles.json");
        // Plant a folder and a symlink at the names the next writes would
        // take (other tests may use some of the counter values meanwhile,
        // so cover several).
        let next = TEMP_COUNTER.load(Ordering::Relaxed);
        for n in next..next + 8 {
            let planted = dir.path().join(format!(".auth-profiles.json.tmp-{}-{n}", std::process::id()));
            if n % 2 == 0 {
                fs::create_dir(&planted).unwrap();
            } else {
                std::os::unix::fs::symlink("/dev/null", &planted).unwrap();
            }
        }
        write_atomic(&file, b"{}").expect("the write skips the planted names");
        assert_eq!(fs::read(&file).unwrap(), b"{}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 9, "the planted entries are left alone");
    }

    #[test]
    fn leftover_temps_go_whatever_their_age_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let young = dir.path().join(".auth-profiles.json.tmp-1-1");
        fs::write(&young, b"half").unwrap();
        fs::write(dir.path().join(".other.json.tmp-1-1"), b"x").unwrap();
        assert_eq!(
            cleanup_stale_temps(dir.path(), "auth-profiles.json").unwrap(),
            0,
            "a young temp may be a live write"
        );
        assert_eq!(remove_leftover_temps(dir.path(), "auth-profiles.json").unwrap(), 1);
        assert!(!young.exists());
        assert!(dir.path().join(".other.json.tmp-1-1").exists(), "another file's temps are not touched");
    }

    #[test]
    fn os_errors_become_the_core_s_kinds() {
        use clawdbot_auth_core::IoKind;
        let of = |code| io_kind(&io::Error::from_raw_os_error(code));
        assert_eq!(of(libc::EACCES), IoKind::PermissionDenied);
        assert_eq!(of(libc::EPERM), IoKind::PermissionDenied);
        assert_eq!(of(libc::ENOSPC), IoKind::NoSpace);
        assert_eq!(of(libc::EROFS), IoKind::ReadOnly);
        assert_eq!(of(libc::ENOTDIR), IoKind::NotAFolder);
        assert_eq!(of(libc::ELOOP), IoKind::SymlinkLoop);
        assert_eq!(of(libc::EIO), IoKind::Other { code: Some(libc::EIO) });
        assert_eq!(io_kind(&io::Error::from(io::ErrorKind::UnexpectedEof)), IoKind::Closed);
    }
}
