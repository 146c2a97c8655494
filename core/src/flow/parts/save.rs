//! Saving a store: the atomic write, then removing the legacy files a
//! migration replaced (only once the write is on disk, so a crash in
//! between loses nothing). One part, used by every flow that saves.

use super::drive::Part;
use super::{Answer, Effect, Event, Reply, Step};
use crate::io::{IoFailure, IoKind};
use crate::secret::Secret;
use crate::time::Millis;
use std::collections::VecDeque;

pub(crate) struct Save {
    path: String,
    /// The text still to write; `None` once asked for.
    text: Option<Secret>,
    written: bool,
    removes: VecDeque<String>,
    /// The effect awaiting its answer.
    asked: Option<Effect>,
    input: Option<Answer>,
    warnings: VecDeque<Event>,
}

impl Save {
    pub(crate) fn new(path: &str, text: String, removes: &[String]) -> Save {
        Save {
            path: path.to_string(),
            text: Some(Secret::new(text)),
            written: false,
            removes: removes.iter().cloned().collect(),
            asked: None,
            input: None,
            warnings: VecDeque::new(),
        }
    }
}

impl Part for Save {
    type Out = Result<(), IoFailure>;

    fn feed(&mut self, _now: Millis, input: Answer) {
        self.input = Some(input);
    }

    /// The next effect, or how the save ended: `Err` says why the store
    /// could not be written (nothing was removed then). A file that could
    /// not be removed is a warning, printed.
    fn next(&mut self, _now: Millis) -> Step<Result<(), IoFailure>> {
        loop {
            if let Some(line) = self.warnings.pop_front() {
                return Step::Effect(Effect::Emit(line));
            }
            if let Some(asked) = &self.asked {
                let Some(input) = self.input.take() else { return Step::Effect(asked.clone()) };
                self.asked = None;
                let result = match input {
                    Answer::Written(result) => result,
                    _ => Err(IoFailure::new(IoKind::Other { code: None }, self.path.as_str())),
                };
                if !self.written {
                    if let Err(e) = result {
                        return Step::Ready(Err(e));
                    }
                    self.written = true;
                } else if let Some(path) = self.removes.pop_front()
                    && let Err(e) = result
                {
                    self.warnings.push_back(Event::warning(format!("migrated {path} but could not remove it: {e}")));
                }
                continue;
            }
            let effect = match (self.text.take(), self.removes.front()) {
                (Some(text), _) => Effect::WriteAtomic { path: self.path.clone(), text, reply: Reply::new() },
                (None, Some(path)) => Effect::Remove { path: path.clone(), reply: Reply::new() },
                (None, None) => return Step::Ready(Ok(())),
            };
            self.asked = Some(effect.clone());
            return Step::Effect(effect);
        }
    }
}
