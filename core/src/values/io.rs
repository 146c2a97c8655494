//! What went wrong when the host touched the world, as values.
//!
//! A host answers a read, a write, a lock or a run with what happened, and
//! a failure comes back as a kind and the path it happened on, never as
//! the host's own sentence: the core words every message (and its hints)
//! in one place, so a busy lock of Claude Code's is never reported in the
//! store lock's words, and a JSON host can tell "no space" from
//! "permission denied" without parsing text.

use std::fmt;

/// Why an operation on a file, a folder or a stream failed. The words
/// are the ones operators saw from the host before they were typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoKind {
    /// The user may not read, write or search it.
    PermissionDenied,
    /// The path is a folder where a file was expected.
    IsAFolder,
    /// A device, a pipe or a socket, where a file was expected.
    NotRegular,
    /// Symlinks point at each other.
    SymlinkLoop,
    /// A parent of the path is a file, not a folder.
    NotAFolder,
    /// The path is longer than the system takes.
    NameTooLong,
    /// The file is larger than the core reads.
    TooLarge {
        /// Its size, when the host knows it.
        bytes: Option<u64>,
        /// The limit it is over, when the host applied one.
        limit: Option<u64>,
    },
    /// The disk (or quota) is full.
    NoSpace,
    /// The file system is mounted read-only.
    ReadOnly,
    /// It did not finish in time.
    TimedOut,
    /// The stream ended, or was closed, before anything could be read.
    Closed,
    /// There is no terminal (nor standard input) to ask on.
    NoTerminal,
    /// The path names no file (`/`, `..`).
    NoFileName,
    /// The place does not exist where this host runs (the envelope's
    /// Keychain).
    Unsupported,
    /// The macOS login keychain is locked.
    KeychainLocked,
    /// Any other failure, with the system's error number when there is one.
    Other {
        /// `errno`, for the operator's search engine.
        code: Option<i32>,
    },
}

impl fmt::Display for IoKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IoKind::PermissionDenied => f.write_str("permission denied"),
            IoKind::IsAFolder => f.write_str("is a folder, not a file"),
            IoKind::NotRegular => f.write_str("is not a regular file (device, pipe or socket)"),
            IoKind::SymlinkLoop => f.write_str("symlinks form a loop"),
            IoKind::NotAFolder => f.write_str("a parent of the path is not a folder"),
            IoKind::NameTooLong => f.write_str("the path is too long"),
            IoKind::TooLarge { bytes: Some(bytes), limit: Some(limit) } => {
                write!(f, "is too large ({bytes} bytes; the limit is {limit})")
            }
            IoKind::TooLarge { .. } => f.write_str("is too large"),
            IoKind::NoSpace => f.write_str("No space left on device"),
            IoKind::ReadOnly => f.write_str("Read-only file system"),
            IoKind::TimedOut => f.write_str("timed out"),
            IoKind::Closed => f.write_str("the input was closed"),
            IoKind::NoTerminal => f.write_str("there is no terminal to ask on"),
            IoKind::NoFileName => f.write_str("has no file name"),
            IoKind::Unsupported => f.write_str("this host has no such place"),
            IoKind::KeychainLocked => f.write_str("the login keychain is locked"),
            IoKind::Other { code: Some(code) } => write!(f, "Input/output error (os error {code})"),
            IoKind::Other { code: None } => f.write_str("Input/output error"),
        }
    }
}

/// The step of a write that failed: an atomic replace is several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoStep {
    /// Looking at the path (through its symlinks).
    Inspect,
    /// Creating a file.
    Create,
    /// Creating a folder on the way to it.
    CreateFolder,
    /// Creating the temp file beside it.
    CreateTemp,
    /// Writing the temp file.
    WriteTemp,
    /// Making the temp file private.
    SetTempMode,
    /// Flushing the temp file to the disk.
    FlushTemp,
    /// Renaming the temp file over it.
    Replace,
    /// Flushing its folder to the disk.
    FlushFolder,
    /// Writing it in place.
    Write,
    /// Removing it.
    Remove,
    /// Listing its folder.
    ListFolder,
    /// Reading where a symlink points.
    ReadSymlink,
    /// Changing its permission bits.
    SetMode,
    /// Taking its lock folder.
    Lock,
}

impl fmt::Display for IoStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IoStep::Inspect => "inspect",
            IoStep::Create => "create",
            IoStep::CreateFolder => "create folder",
            IoStep::CreateTemp => "create temp file",
            IoStep::WriteTemp => "write temp file",
            IoStep::SetTempMode => "set mode of temp file",
            IoStep::FlushTemp => "flush temp file",
            IoStep::Replace => "replace file",
            IoStep::FlushFolder => "flush folder",
            IoStep::Write => "write",
            IoStep::Remove => "remove",
            IoStep::ListFolder => "list folder",
            IoStep::ReadSymlink => "read symlink",
            IoStep::SetMode => "set mode",
            IoStep::Lock => "lock it",
        })
    }
}

/// An I/O failure on one path: the answer to a write, a removal, a
/// backup, a mode change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoFailure {
    /// What went wrong.
    pub kind: IoKind,
    /// Where, as the host was asked to touch it.
    pub path: String,
    /// Which step failed, when the host did several.
    pub step: Option<IoStep>,
}

impl IoFailure {
    /// `kind` on `path`.
    pub fn new(kind: IoKind, path: impl Into<String>) -> IoFailure {
        IoFailure { kind, path: path.into(), step: None }
    }

    /// The same failure, at `step`.
    pub fn at(mut self, step: IoStep) -> IoFailure {
        self.step = Some(step);
        self
    }
}

impl fmt::Display for IoFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.step, self.kind) {
            // A write the readers would refuse is never made: say why.
            (Some(_), IoKind::TooLarge { bytes: Some(bytes), limit: Some(limit) }) => write!(
                f,
                "{}: not written: {bytes} bytes is over the {limit}-byte limit every reader applies, \
                 so no command could read it back",
                self.path
            ),
            (Some(step), kind) => write!(f, "{}: cannot {step}: {kind}", self.path),
            (None, kind) => write!(f, "{}: {kind}", self.path),
        }
    }
}

impl std::error::Error for IoFailure {}

/// How a program the host ran ended, as the system said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus {
    /// Its exit code, when it exited.
    pub code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, self.signal) {
            (Some(code), _) => write!(f, "exit status: {code}"),
            (None, Some(signal)) => write!(f, "signal: {signal}"),
            (None, None) => f.write_str("an unknown status"),
        }
    }
}

/// A lock someone else held for the whole wait: which, and how long we
/// waited. Whose it is, and so what to say, is the flow's: the store's
/// is "the credential store is locked", Claude Code's is "Claude Code is
/// holding its credentials lock".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockBusy {
    /// The lock folder, as the host resolved it.
    pub lock_path: String,
    /// How long the host waited for it.
    pub waited_ms: u64,
}

impl fmt::Display for LockBusy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waited = self.waited_ms as f64 / 1000.0;
        write!(f, "lock folder {}; waited {waited:.1} s", self.lock_path)
    }
}

impl LockBusy {
    /// Why our store could not be changed now.
    pub(crate) fn of_store(&self) -> String {
        format!("the credential store is locked by another process ({self})")
    }
}

/// Why a secret asked for (`Effect::AskSecret`) could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// What was read is not UTF-8 text (no token is).
    #[error("the token is not text")]
    NotText,
    /// Nothing could be read.
    #[error("{0}")]
    Unreadable(IoKind),
}

/// What a path is, looked at without following a symlink (`lstat`, or
/// `fstat` of the file opened without following one): the facts a
/// SecretRef's safety rules read. The host reports; the core decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathFacts {
    /// What kind of thing it is.
    pub kind: PathKind,
    /// Its permission bits (`mode & 0o7777`).
    pub mode: u32,
    /// Its number of hard links.
    pub links: u64,
    /// Who owns it, relative to the user running the command.
    pub owner: Owner,
}

/// A path's kind, as `lstat` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// A regular file.
    File,
    /// A folder.
    Folder,
    /// A symlink (not followed).
    Symlink,
    /// A device, pipe or socket.
    Other,
}

/// Who owns a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The user running the command.
    Me,
    /// The superuser (systemd's credential files may be root's).
    Root,
    /// Someone else.
    Other,
}

/// What the host found reading a secrets file
/// (`Effect::ReadSecretFile`): the file opened without following a
/// symlink, its facts, and its text when it is a regular file.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretFileRead {
    /// Nothing there.
    Absent,
    /// It could not be opened or looked at (a symlink cannot be opened).
    Unreadable(IoKind),
    /// Opened: its facts, and its text (read only when it is a regular
    /// file; `Err` when longer than the limit asked or not text).
    Found {
        /// What it is.
        facts: PathFacts,
        /// Its text; `None` when it is not a regular file.
        text: Option<Result<crate::secret::Secret, IoKind>>,
    },
}

/// How a resolver program ended (`Effect::RunResolver`).
#[derive(Debug, Clone, PartialEq)]
pub enum ResolverRun {
    /// It ended by itself: how, and what it printed on stdout (at most
    /// the limit asked; stderr is never kept, it may hold a secret).
    Ended {
        /// Its exit status.
        status: ExitStatus,
        /// Its standard output.
        stdout: crate::secret::Secret,
    },
    /// It ran past its time and was killed with its children.
    TimedOut,
    /// It printed more than the limit and was killed.
    TooMuchOutput,
    /// It could not be started.
    Failed(IoKind),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_names_its_path_then_its_kind() {
        let kinds = [
            (IoKind::PermissionDenied, "permission denied"),
            (IoKind::IsAFolder, "is a folder, not a file"),
            (IoKind::NotRegular, "is not a regular file (device, pipe or socket)"),
            (IoKind::SymlinkLoop, "symlinks form a loop"),
            (IoKind::NotAFolder, "a parent of the path is not a folder"),
            (IoKind::NameTooLong, "the path is too long"),
            (IoKind::TooLarge { bytes: Some(9), limit: Some(8) }, "is too large (9 bytes; the limit is 8)"),
            (IoKind::TooLarge { bytes: None, limit: None }, "is too large"),
            (IoKind::NoSpace, "No space left on device"),
            (IoKind::ReadOnly, "Read-only file system"),
            (IoKind::TimedOut, "timed out"),
            (IoKind::Closed, "the input was closed"),
            (IoKind::NoTerminal, "there is no terminal to ask on"),
            (IoKind::NoFileName, "has no file name"),
            (IoKind::Unsupported, "this host has no such place"),
            (IoKind::KeychainLocked, "the login keychain is locked"),
            (IoKind::Other { code: Some(5) }, "Input/output error (os error 5)"),
            (IoKind::Other { code: None }, "Input/output error"),
        ];
        for (kind, words) in kinds {
            assert_eq!(IoFailure::new(kind, "/h/a.json").to_string(), format!("/h/a.json: {words}"));
        }
    }

    #[test]
    fn a_failed_step_says_which_and_a_refused_write_says_why() {
        let denied = IoFailure::new(IoKind::PermissionDenied, "/h/a.json").at(IoStep::Replace);
        assert_eq!(denied.to_string(), "/h/a.json: cannot replace file: permission denied");
        let big = IoKind::TooLarge { bytes: Some(9), limit: Some(8) };
        assert_eq!(
            IoFailure::new(big, "/h/a.json").at(IoStep::Write).to_string(),
            "/h/a.json: not written: 9 bytes is over the 8-byte limit every reader applies, so no command could read it back"
        );
        assert_eq!(IoFailure::new(big, "/h/a.json").to_string(), "/h/a.json: is too large (9 bytes; the limit is 8)");
    }

    #[test]
    fn an_exit_status_reads_as_the_system_writes_it() {
        assert_eq!(ExitStatus { code: Some(2), signal: None }.to_string(), "exit status: 2");
        assert_eq!(ExitStatus { code: None, signal: Some(9) }.to_string(), "signal: 9");
        assert_eq!(ExitStatus { code: None, signal: None }.to_string(), "an unknown status");
    }
}
