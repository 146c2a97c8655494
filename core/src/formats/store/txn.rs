//! Why a store transaction (locate, lock, re-read, edit, write) did not
//! complete: a value every layer above the store can read, the commands
//! that end on it, the remedies and the error root.

use super::WriteRefused;
use crate::io::{IoFailure, LockBusy};

/// Why a store transaction did not complete, and so how the command
/// ends: the one place that decides it for every command that writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TxnFailure {
    /// The store cannot be read: a human must fix it (exit 1); nothing
    /// is written.
    #[error("refusing to modify an unreadable store: {0}")]
    Unreadable(String),
    /// Another process held the store's lock for the whole wait: try
    /// again (exit 3), or remove a stuck lock (the hint says how).
    #[error("{}", .0.of_store())]
    Busy(LockBusy),
    /// The store of a newer version is never written: upgrade (exit 3).
    #[error(transparent)]
    Newer(#[from] WriteRefused),
    /// The host could not lock or write it now: try again (exit 3).
    #[error("{0}")]
    Io(IoFailure),
    /// The host broke the protocol (an effect went unanswered).
    #[error("internal: {0}")]
    Internal(&'static str),
}
