//! Commands as sans-I/O state machines, in the manner of quinn-proto and
//! str0m: the core decides every step, the host only carries them out.
//!
//! A flow is polled for its next [`Effect`] and fed an [`Input`] when that
//! effect asks for an answer. The host's loop decides nothing:
//!
//! ```text
//! loop {
//!     match flow.poll() {
//!         Effect::Read { paths, reply } => flow.handle(now(), reply.with(read_each(paths))),
//!         Effect::Lock { request, reply } => flow.handle(now(), reply.with(take(request))), // busy is an answer
//!         Effect::Unlock { path } => release(path),
//!         Effect::WriteAtomic { path, text, reply } => flow.handle(now(), reply.with(write(path, text))),
//!         Effect::Send { request, reply, .. } => flow.handle(now(), reply.with(http(request))),
//!         // ... each effect that wants an answer carries the `Reply` typed for it
//!         Effect::Emit(event) => write(event.lines()),
//!         Effect::Done(done) => break done,
//!     }
//! }
//! ```
//!
//! `now` is always an input: the flow never reads a clock. A file is read
//! only when a flow asks for it, and a flow asks again only after it took
//! a lock, so "a command loads once" and "re-read under the lock" are
//! properties of the flow, testable here with scripted inputs.

#![warn(missing_docs)]

// The protocol: what a flow asks, what comes back, what it says.
#[path = "protocol/document.rs"]
mod document;
#[path = "protocol/effect.rs"]
mod effect;
#[path = "protocol/event.rs"]
mod event;
#[path = "protocol/reply.rs"]
mod reply;

// The one driver every command runs on, and the Part trait.
mod drive;

// Parts: the pieces commands are built from (looks, saves, the store
// transaction, the refresh protocol).
#[path = "parts/agents.rs"]
mod agents;
#[path = "parts/claim.rs"]
mod claim;
#[path = "parts/config_edit.rs"]
mod config_edit;
#[path = "parts/edit.rs"]
mod edit;
#[path = "parts/look.rs"]
mod look;
#[path = "parts/probe.rs"]
mod probe;
#[path = "parts/record_mode.rs"]
mod record_mode;
#[path = "parts/refresh_login.rs"]
mod refresh_login;
#[path = "parts/refs.rs"]
mod refs;
#[path = "parts/save.rs"]
mod save;
#[path = "parts/settle.rs"]
mod settle;
#[path = "parts/shell.rs"]
mod shell;

// Commands: one file per command, named after it.
#[path = "commands/add.rs"]
mod add;
#[path = "commands/cooldown.rs"]
mod cooldown;
#[path = "commands/doctor.rs"]
mod doctor;
#[path = "commands/list.rs"]
mod list;
#[path = "commands/login.rs"]
mod login;
#[path = "commands/order.rs"]
mod order;
#[path = "commands/panel_look.rs"]
mod panel_look;
#[path = "commands/paste_key.rs"]
mod paste_key;
#[path = "commands/paste_token.rs"]
mod paste_token;
#[path = "commands/refresh.rs"]
mod refresh;
#[path = "commands/remove.rs"]
mod remove;
#[path = "commands/setup_prompt.rs"]
mod setup_prompt;
#[path = "commands/setup_token.rs"]
mod setup_token;
#[path = "commands/status.rs"]
mod status;
#[path = "commands/token.rs"]
mod token;

pub use crate::error::TxnFailure;
pub use add::{AddCommand, AddRequest};
pub use agents::AgentCheck;
pub use cooldown::{CooldownCommand, CooldownTarget};
pub use doctor::{DoctorCommand, DoctorRequest};

pub use crate::io::{LockBusy, Owner, PathFacts, PathKind, ResolverRun, SecretError, SecretFileRead};
pub use document::Document;
pub use event::{Event, Line, Stream};
pub use list::ListCommand;
pub use login::{
    CALLBACK_WAIT_MS, COPILOT_PROVIDER, DEFAULT_PROFILE_NAME, LoginCommand, LoginRequest, SSH_VARS, endpoints_help,
    login_models_help,
};
pub use order::{OrderCommand, OrderRequest};
pub use panel_look::{PanelLook, Seen};
pub use paste_key::{PasteKeyCommand, PasteKeyRequest};
pub use paste_token::{PasteTokenCommand, PasteTokenRequest};

pub use crate::probe::{DEFAULT_CONCURRENCY as PROBE_CONCURRENCY, DEFAULT_TIMEOUT as PROBE_TIMEOUT};
pub use crate::refresh::RefreshFailure;
pub use refresh::{RefreshCommand, Selection, due_for_doctor};
pub use refresh_login::{RefreshReport, RefreshResult};
pub use remove::{RemoveCommand, RemoveRequest, SyncCommand};
pub use reply::{Answers, Reply};
pub use setup_prompt::{
    DEFAULT_EXPIRES_IN, DEFAULT_PROFILE_ID, SETUP_TOKEN_PROVIDER, SetupOutcome, SetupRequest, SetupTokenCommand,
};
pub use setup_token::SetupCommand;
pub use shell::{SHELL_ENV_TIMEOUT_ENV, SHELL_ENV_TIMEOUT_MS};
pub use status::{Assessment, ProbeRequest, StatusCommand, StatusFormat, StatusRequest, assess};
pub use token::{TOKEN_BUDGET_MS, TOKEN_MIN_VALID_MS, TokenCommand, TokenRequest};

use crate::time::Millis;
pub use crate::world::KeychainItem;
pub(crate) use effect::{Answer, consent};
pub use effect::{
    Callback, Effect, Entry, FileMeta, HTTP_TIMEOUT_ENV, HttpTimeouts, Input, LOCK_WAIT_ENV, LockAnswer, LockFolder,
    LockKind, LockRequest, LockTimings, RandomBytes, RunAnswer, ShellAnswer, WINDOW_ENV, Woke, WriteBack,
    WriteBackPlace, refresh_window,
};

/// How a command ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    /// The exit status.
    pub exit: Exit,
    /// What it says last, in order.
    pub events: Vec<Event>,
}

impl Done {
    /// An end that says nothing more.
    pub fn quiet(exit: Exit) -> Done {
        Done { exit, events: Vec::new() }
    }

    /// An end that says `events`.
    pub fn with(exit: Exit, events: Vec<Event>) -> Done {
        Done { exit, events }
    }

    /// An end with one error: a refusal or a failure.
    pub fn refused(exit: Exit, message: impl Into<String>) -> Done {
        Done { exit, events: vec![Event::error(message)] }
    }

    /// An end with one error and its remedies, from the one place that
    /// words them ([`crate::remedy`] is private: the hints travel as events).
    pub(crate) fn refusing(exit: Exit, error: &crate::Error) -> Done {
        let done = Done::refused(exit, error.to_string());
        crate::remedy::for_error(error).into_iter().fold(done, Done::hint)
    }

    /// The same end, then `hint`.
    pub fn hint(mut self, hint: impl Into<String>) -> Done {
        self.events.push(Event::Hint(hint.into()));
        self
    }

    /// Its events as a terminal shows them.
    pub fn lines(&self) -> Vec<Line> {
        self.events.iter().flat_map(Event::lines).collect()
    }
}

/// Exit statuses, documented in docs/cli.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It did what was asked.
    Ok,
    /// A human must act, or the request was refused.
    Action,
    /// Something expires within the warning window (`--check`).
    Expiring,
    /// The command could not complete now (I/O, lock, network): try again.
    Error,
    /// The command line itself is wrong.
    Usage,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Action => 1,
            Exit::Expiring => 2,
            Exit::Error => 3,
            Exit::Usage => 64,
        }
    }
}

/// What each exit status means, written once: `--help` shows the summary,
/// the manual pages and docs/cli.md the meaning.
impl Exit {
    /// Every exit status, in the order of their codes.
    pub const ALL: [Exit; 5] = [Exit::Ok, Exit::Action, Exit::Expiring, Exit::Error, Exit::Usage];

    /// A few words, as `--help` lists them.
    pub fn summary(self) -> &'static str {
        match self {
            Exit::Ok => "ok",
            Exit::Action => "action needed (expired, missing, unreadable, refused)",
            Exit::Expiring => "expiring (with --check)",
            Exit::Error => "could not run",
            Exit::Usage => "usage error",
        }
    }

    /// The whole meaning, as the manual pages give it.
    pub fn meaning(self) -> String {
        match self {
            Exit::Ok => "ok.".into(),
            Exit::Action => "action needed: with --check, a provider the configured models use has no usable \
                             credential (expired, refused at refresh or by a probe, without an expiry, or none), \
                             with --probe a credential in use was refused (auth, billing), or \
                             auth-profiles.json or clawdbot.json cannot be read (with --strict: any stored OAuth \
                             login or token expired or without an expiry); doctor: a human must act; other \
                             commands: the request was refused (unknown profile, malformed token); every command: \
                             the state folder (CLAWDBOT_STATE_DIR, or the HOME it is in) names a file."
                .into(),
            Exit::Expiring => format!(
                "with --check: the best credential of a provider in use expires within the warning window \
                 (--warn-within, default {}) and cannot renew itself (with --strict: any stored one does).",
                crate::defaults::WARN_WITHIN
            ),
            Exit::Error => "the command could not run: an I/O error, the store locked by another process, a \
                            network error, or a store that declares a newer version and so is never written."
                .into(),
            Exit::Usage => "the command line is wrong.".into(),
        }
    }
}

/// A state machine the host drives with the loop in the module doc.
pub trait Flow {
    /// The next effect. After one that asks for an answer, the host calls
    /// [`Flow::handle`] before polling again; after [`Effect::Done`] every
    /// poll returns it again.
    fn poll(&mut self) -> Effect;
    /// The answer to the last effect, and the time it arrived.
    fn handle(&mut self, now: Millis, input: Input);
}

/// What a flow polled after its end says (a host bug, never a panic).
pub(crate) fn internal_end() -> Done {
    Done::refused(Exit::Error, "internal: a command was polled after it ended")
}

/// What a part of a flow yields: an effect for the host, or its result.
pub(crate) enum Step<T> {
    Effect(Effect),
    Ready(T),
}

#[cfg(test)]
#[path = "testing/keychain_tests.rs"]
mod keychain_tests;
#[cfg(test)]
#[path = "testing/manage_tests.rs"]
mod manage_tests;
#[cfg(test)]
#[path = "testing/probe_tests.rs"]
mod probe_tests;
#[cfg(test)]
#[path = "testing/refs_tests.rs"]
mod refs_tests;
#[cfg(test)]
#[path = "testing/script.rs"]
pub(crate) mod script;
#[cfg(test)]
#[path = "testing/sign_in_tests.rs"]
mod sign_in_tests;
#[cfg(test)]
#[path = "testing/tests.rs"]
mod tests;
#[cfg(test)]
#[path = "testing/verdict_tests.rs"]
mod verdict_tests;
