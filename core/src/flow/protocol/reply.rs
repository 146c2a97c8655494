//! How a host answers an effect: through the [`Reply`] the effect came
//! with, typed for it, so an answer to the wrong effect does not compile.
//!
//! [`Effect::split`] turns an effect into an [`Asked`]: what to do, and
//! for each effect that wants an answer, a `Reply<T>` whose only method
//! takes the one type that answers it. The host's loop reads as quinn's
//! and str0m's: match the request, carry it out, hand back
//! `reply.with(outcome)`.

use super::{
    Answer, Done, Effect, Entry, FileMeta, HttpTimeouts, Input, LockAnswer, LockRequest, RunAnswer, SecretError,
    ShellAnswer, WriteBack,
};
use crate::io::{IoFailure, IoKind};
use crate::refresh::{HttpRequest, HttpResponse, RefreshError, RefreshProvider};
use crate::secret::Secret;
use crate::world::{FileRead, KeychainItem};
use std::fmt;
use std::marker::PhantomData;

/// The way back for the answer to one effect: its only method takes a `T`.
///
/// A lock's answer cannot be handed to a read:
///
/// ```compile_fail
/// use clawdbot_auth_core::flow::{Asked, Effect, LockAnswer};
/// let Asked::Read { reply, .. } = Effect::Read(Vec::new()).split() else { return };
/// let _ = reply.with(LockAnswer::Taken);
/// ```
///
/// while the read's own answer goes back:
///
/// ```
/// use clawdbot_auth_core::flow::{Asked, Effect};
/// let Asked::Read { paths, reply } = Effect::Read(vec!["/h/a".into()]).split() else { return };
/// let _input = reply.with(paths.into_iter().map(|p| (p, clawdbot_auth_core::FileRead::Absent)).collect());
/// ```
pub struct Reply<T> {
    answers: PhantomData<fn(T)>,
}

impl<T> fmt::Debug for Reply<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Reply")
    }
}

impl<T: Answers> Reply<T> {
    fn new() -> Reply<T> {
        Reply { answers: PhantomData }
    }

    /// The answer, for [`super::Flow::handle`].
    pub fn with(self, outcome: T) -> Input {
        sealed::Sealed::answer(outcome)
    }
}

/// The types that answer an effect, each for exactly one kind of effect.
/// Sealed: only the core says what answers what.
pub trait Answers: sealed::Sealed {}

mod sealed {
    /// The answer, made from the one type that answers its effect.
    pub trait Sealed {
        fn answer(self) -> super::Input;
    }
}

macro_rules! answers {
    ($($ty:ty => $variant:ident,)*) => {
        $(
            impl sealed::Sealed for $ty {
                fn answer(self) -> Input {
                    Input(Answer::$variant(self))
                }
            }
            impl Answers for $ty {}
        )*
    };
}

answers! {
    Vec<(String, FileRead)> => Files,
    Option<FileRead> => Keychain,
    LockAnswer => Lock,
    Result<(), IoFailure> => Written,
    Result<String, IoFailure> => Saved,
    Result<HttpResponse, RefreshError> => Response,
    ShellAnswer => ShellEnv,
    Option<String> => Confirmed,
    RunAnswer => Ran,
    Result<Secret, SecretError> => Secret,
    Result<String, IoKind> => Text,
    Vec<Entry> => Entries,
    Vec<(String, Option<FileMeta>)> => Stats,
}

/// An effect as the host carries it out: each one that wants an answer
/// comes with the [`Reply`] for it. The fields are [`Effect`]'s.
#[derive(Debug)]
#[allow(missing_docs)]
pub enum Asked {
    /// See [`Effect::Read`].
    Read { paths: Vec<String>, reply: Reply<Vec<(String, FileRead)>> },
    /// See [`Effect::ReadKeychain`].
    ReadKeychain { item: KeychainItem, reply: Reply<Option<FileRead>> },
    /// See [`Effect::Lock`].
    Lock { request: LockRequest, reply: Reply<LockAnswer> },
    /// See [`Effect::Unlock`]; no answer.
    Unlock { path: String },
    /// See [`Effect::WriteAtomic`].
    WriteAtomic { path: String, text: Secret, reply: Reply<Result<(), IoFailure>> },
    /// See [`Effect::SaveBackup`].
    SaveBackup { of: String, text: Secret, reply: Reply<Result<String, IoFailure>> },
    /// See [`Effect::Remove`].
    Remove { path: String, reply: Reply<Result<(), IoFailure>> },
    /// See [`Effect::Send`].
    Send {
        request: HttpRequest,
        provider: RefreshProvider,
        timeouts: HttpTimeouts,
        reply: Reply<Result<HttpResponse, RefreshError>>,
    },
    /// See [`Effect::WriteBack`].
    WriteBack { write: WriteBack, reply: Reply<Result<(), IoFailure>> },
    /// See [`Effect::ShellEnv`].
    ShellEnv { shell: String, command: String, timeout_ms: u64, reply: Reply<ShellAnswer> },
    /// See [`Effect::RunOnTerminal`].
    RunOnTerminal { program: String, args: Vec<String>, reply: Reply<RunAnswer> },
    /// See [`Effect::AskSecret`].
    AskSecret { prompt: String, reply: Reply<Result<Secret, SecretError>> },
    /// See [`Effect::Confirm`].
    Confirm { question: String, default_yes: bool, reply: Reply<Option<String>> },
    /// See [`Effect::AskLine`].
    AskLine { prompt: String, reply: Reply<Result<String, IoKind>> },
    /// See [`Effect::ListFolder`].
    ListFolder { path: String, reply: Reply<Vec<Entry>> },
    /// See [`Effect::Stat`].
    Stat { paths: Vec<String>, reply: Reply<Vec<(String, Option<FileMeta>)>> },
    /// See [`Effect::SetMode`].
    SetMode { path: String, mode: u32, reply: Reply<Result<(), IoFailure>> },
    /// See [`Effect::Emit`]; no answer.
    Emit(super::Event),
    /// See [`Effect::Done`].
    Done(Done),
}

impl Effect {
    /// The effect with the typed way back for its answer.
    pub fn split(self) -> Asked {
        match self {
            Effect::Read(paths) => Asked::Read { paths, reply: Reply::new() },
            Effect::ReadKeychain(item) => Asked::ReadKeychain { item, reply: Reply::new() },
            Effect::Lock(request) => Asked::Lock { request, reply: Reply::new() },
            Effect::Unlock { path } => Asked::Unlock { path },
            Effect::WriteAtomic { path, text } => Asked::WriteAtomic { path, text, reply: Reply::new() },
            Effect::SaveBackup { of, text } => Asked::SaveBackup { of, text, reply: Reply::new() },
            Effect::Remove { path } => Asked::Remove { path, reply: Reply::new() },
            Effect::Send { request, provider, timeouts } => {
                Asked::Send { request, provider, timeouts, reply: Reply::new() }
            }
            Effect::WriteBack(write) => Asked::WriteBack { write, reply: Reply::new() },
            Effect::ShellEnv { shell, command, timeout_ms } => {
                Asked::ShellEnv { shell, command, timeout_ms, reply: Reply::new() }
            }
            Effect::RunOnTerminal { program, args } => Asked::RunOnTerminal { program, args, reply: Reply::new() },
            Effect::AskSecret { prompt } => Asked::AskSecret { prompt, reply: Reply::new() },
            Effect::Confirm { question, default_yes } => Asked::Confirm { question, default_yes, reply: Reply::new() },
            Effect::AskLine { prompt } => Asked::AskLine { prompt, reply: Reply::new() },
            Effect::ListFolder { path } => Asked::ListFolder { path, reply: Reply::new() },
            Effect::Stat(paths) => Asked::Stat { paths, reply: Reply::new() },
            Effect::SetMode { path, mode } => Asked::SetMode { path, mode, reply: Reply::new() },
            Effect::Emit(event) => Asked::Emit(event),
            Effect::Done(done) => Asked::Done(done),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reply_makes_the_answer_its_effect_waits_for() {
        let Asked::Lock { reply, .. } = Effect::Lock(LockRequest {
            path: "/h/s.json".into(),
            kind: super::super::LockKind::Store,
            timings: super::super::LockTimings::STORE,
        })
        .split() else {
            panic!("a lock")
        };
        assert!(matches!(reply.with(LockAnswer::Taken).0, Answer::Lock(LockAnswer::Taken)));
        let Asked::Read { paths, reply } = Effect::Read(vec!["/h/a".into()]).split() else { panic!("a read") };
        let files = paths.into_iter().map(|p| (p, FileRead::Absent)).collect();
        assert!(matches!(reply.with(files).0, Answer::Files(f) if f.len() == 1));
        let Asked::Confirm { reply, .. } = Effect::Confirm { question: "q".into(), default_yes: true }.split() else {
            panic!("a question")
        };
        assert!(matches!(reply.with(Some("n".into())).0, Answer::Confirmed(Some(line)) if line == "n"));
    }
}
