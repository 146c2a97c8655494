//! Why a profile was not refreshed, as a value every layer above the
//! refresh rules can read: the commands, the remedies, the error root.

use super::{PlanError, RefreshError};
use crate::escape::escape_control;
use crate::io::LockBusy;
use crate::store::TxnFailure;

/// Why a profile was not refreshed. No variant holds a token.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshFailure {
    /// The store has no such profile, even after the sync.
    #[error("no profile \"{}\" in the credential store", escape_control(.0))]
    UnknownProfile(String),
    /// The profile cannot be refreshed (not OAuth, no refresh token, ...).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The token endpoint said no, or could not be reached.
    #[error("{error}")]
    Rejected {
        /// The profile it was about.
        profile_id: String,
        /// What the endpoint (or the way to it) said.
        error: Box<RefreshError>,
    },
    #[error("{owner} is holding its credentials lock ({busy}); it is probably refreshing the same login")]
    /// The login source's tool held its lock for the whole wait.
    SourceBusy {
        /// The tool, as messages name it ("Claude Code").
        owner: &'static str,
        /// Which lock, and how long we waited.
        busy: LockBusy,
    },
    /// Our own store cannot be read: a human must fix it first, as for
    /// every command that would write it.
    #[error("refusing to refresh into an unreadable store: {0}")]
    Unreadable(String),
    /// Our own store could not be locked, read or written.
    #[error("{0}")]
    Store(TxnFailure),
    /// The token endpoint renewed the login, but the store could not take
    /// it (the refresh token may now be spent).
    #[error("the login was refreshed but could not be saved: {0}")]
    NotSaved(TxnFailure),
    /// The login is read-only here (`auth.loginSources.<source>.readOnly`)
    /// and its access token no longer serves: its own tool renews it,
    /// Clawdbot never does.
    #[error("the login is read-only here (auth.loginSources.{login}.readOnly): {owner} renews it, Clawdbot does not")]
    ReadOnly {
        /// The profile it was about.
        profile_id: String,
        /// The login source's name (`claude-cli`).
        login: &'static str,
        /// The tool, as messages name it ("Claude Code").
        owner: &'static str,
    },
    /// The login source's lock could not be attempted.
    #[error("{owner}'s lock: {failure}")]
    SourceLockFailed {
        /// The tool, as messages name it ("Claude Code").
        owner: &'static str,
        /// What the host said.
        failure: crate::io::IoFailure,
    },
}

impl RefreshFailure {
    /// A human must act (log in again, fix the profile); retrying will not help.
    pub fn is_permanent(&self) -> bool {
        match self {
            RefreshFailure::UnknownProfile(_)
            | RefreshFailure::Plan(_)
            | RefreshFailure::Unreadable(_)
            | RefreshFailure::ReadOnly { .. } => true,
            RefreshFailure::Rejected { error, .. } => error.is_permanent(),
            RefreshFailure::SourceBusy { .. }
            | RefreshFailure::Store(_)
            | RefreshFailure::NotSaved(_)
            | RefreshFailure::SourceLockFailed { .. } => false,
        }
    }
}
