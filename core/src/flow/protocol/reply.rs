//! How a host answers an effect: through the [`Reply`] the effect carries,
//! typed for it, so an answer to the wrong effect does not compile.
//!
//! Each effect that wants an answer holds a `Reply<T>` whose only method
//! takes the one type that answers it. The host's loop reads as quinn's
//! and str0m's: match the effect, carry it out, hand back
//! `reply.with(outcome)`.

use super::{
    Answer, Callback, Entry, FileMeta, Input, LockAnswer, RandomBytes, RunAnswer, SecretError, ShellAnswer, Woke,
};
use crate::http::Exchange;
use crate::io::{IoFailure, IoKind, PathFacts, ResolverRun, SecretFileRead};
use crate::refresh::{HttpResponse, RefreshError};
use crate::secret::Secret;
use crate::world::FileRead;
use std::fmt;
use std::marker::PhantomData;

/// The way back for the answer to one effect: its only method takes a `T`.
///
/// A lock's answer cannot be handed to a read:
///
/// ```compile_fail
/// use clawdbot_auth_core::flow::{Effect, LockAnswer};
/// fn answer(effect: Effect) {
///     let Effect::Read { reply, .. } = effect else { return };
///     let _ = reply.with(LockAnswer::Taken);
/// }
/// ```
///
/// while the read's own answer goes back:
///
/// ```
/// use clawdbot_auth_core::flow::{Effect, Input};
/// fn answer(effect: Effect) -> Option<Input> {
///     let Effect::Read { paths, reply } = effect else { return None };
///     Some(reply.with(paths.into_iter().map(|p| (p, clawdbot_auth_core::FileRead::Absent)).collect()))
/// }
/// ```
pub struct Reply<T> {
    answers: PhantomData<fn(T)>,
}

impl<T> fmt::Debug for Reply<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Reply")
    }
}

impl<T> Clone for Reply<T> {
    fn clone(&self) -> Reply<T> {
        Reply::new()
    }
}

impl<T> PartialEq for Reply<T> {
    fn eq(&self, _: &Reply<T>) -> bool {
        true
    }
}

impl<T> Reply<T> {
    /// Only a flow makes one, inside the effect it answers.
    pub(crate) fn new() -> Reply<T> {
        Reply { answers: PhantomData }
    }
}

impl<T: Answers> Reply<T> {
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
    Vec<Exchange> => Exchanges,
    ShellAnswer => ShellEnv,
    Option<String> => Confirmed,
    RunAnswer => Ran,
    Result<Secret, SecretError> => Secret,
    Result<String, IoKind> => Text,
    Vec<Entry> => Entries,
    Vec<(String, Option<FileMeta>)> => Stats,
    Woke => Woke,
    RandomBytes => Random,
    Callback => Callback,
    SecretFileRead => SecretFile,
    Option<PathFacts> => Inspected,
    ResolverRun => Resolved,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reply_makes_the_answer_its_effect_waits_for() {
        let lock: Reply<LockAnswer> = Reply::new();
        assert!(matches!(lock.with(LockAnswer::Taken).0, Answer::Lock(LockAnswer::Taken)));
        let read: Reply<Vec<(String, FileRead)>> = Reply::new();
        assert!(matches!(read.with(vec![("/h/a".into(), FileRead::Absent)]).0, Answer::Files(f) if f.len() == 1));
        let confirm: Reply<Option<String>> = Reply::new();
        assert!(matches!(confirm.with(Some("n".into())).0, Answer::Confirmed(Some(line)) if line == "n"));
    }
}
