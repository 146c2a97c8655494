//! A read-modify-write of `clawdbot.json` under the store lock: the
//! profile entries it holds (`auth.profiles`, `auth.order`) change
//! together with the store, and two commands at once must not each write
//! the config they read before.
//!
//! The config is read after the lock is taken, edited as a JSON document
//! (every key this version does not model is kept) and written back only
//! when the edit changed it. Clawdbot writes JSON; a JSON5 original (with
//! its comments) is first saved as `clawdbot.json.bak`, or the first free
//! `clawdbot.json.bak.N` when that name is taken: no backup is overwritten.

use super::drive::Part;
use super::{Answer, Effect, Event, LockAnswer, LockKind, LockRequest, LockTimings, Reply, Step};
use crate::config::{is_plain_json, parse_config};
use crate::paths::Env;
use crate::secret::Secret;
use crate::time::Millis;
use crate::world::FileRead;
use serde_json::Value;
use std::collections::VecDeque;

/// The edit: gets the config document (an empty object when there is no
/// file), changes it in place and says whether it did; an `Err` (a config
/// of the wrong shape) writes nothing.
pub(crate) type ConfigFn = Box<dyn FnOnce(&mut Value) -> Result<bool, String>>;

/// How the edit went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConfigEdited {
    /// Written; with the backup of a JSON5 original when one was made.
    Written { backup: Option<String> },
    /// The edit changed nothing, so nothing was written.
    Unchanged,
    /// Not done, and why (for people).
    Failed(String),
}

/// The note that a JSON5 config's original was kept: writing it back as
/// JSON drops its comments.
pub(crate) fn backup_note(backup: &str) -> Event {
    Event::note(format!("the JSON5 original (with its comments) was saved as {backup}"))
}

enum State {
    Lock,
    Read,
    /// The JSON5 original goes first, under a name no file has.
    Backup {
        original: String,
        text: String,
    },
    Write {
        writes: VecDeque<(String, String)>,
        backup: Option<String>,
    },
    Unlock(ConfigEdited),
    Over(ConfigEdited),
}

pub(crate) struct ConfigEdit {
    env: Env,
    store_path: String,
    config_path: String,
    edit: Option<ConfigFn>,
    state: State,
    input: Option<Answer>,
    asked: bool,
}

impl ConfigEdit {
    pub(crate) fn new(env: &Env, store_path: &str, config_path: &str, edit: ConfigFn) -> ConfigEdit {
        ConfigEdit {
            env: env.clone(),
            store_path: store_path.to_string(),
            config_path: config_path.to_string(),
            edit: Some(edit),
            state: State::Lock,
            input: None,
            asked: false,
        }
    }

    /// The config as read under the lock, edited: what to write.
    fn edited(&mut self, read: FileRead) -> State {
        let shown = self.env.shorten(&self.config_path);
        let (mut doc, original) = match read {
            FileRead::Absent => (Value::Object(serde_json::Map::new()), None),
            FileRead::Unreadable(reason) => {
                return State::Unlock(ConfigEdited::Failed(format!("{shown} cannot be read: {reason}")));
            }
            FileRead::Present { bytes, .. } => {
                let parsed = parse_config(&bytes, &shown);
                match (parsed.unreadable, parsed.raw) {
                    (false, Some(raw)) => (raw, Some(bytes)),
                    _ => {
                        let why = parsed.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                        return State::Unlock(ConfigEdited::Failed(format!("{why}; it was left as it is")));
                    }
                }
            }
        };
        let Some(edit) = self.edit.take() else { return State::Unlock(ConfigEdited::Unchanged) };
        match edit(&mut doc) {
            Err(why) => State::Unlock(ConfigEdited::Failed(why)),
            Ok(false) => State::Unlock(ConfigEdited::Unchanged),
            Ok(true) => {
                let text = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
                match original.filter(|b| !is_plain_json(b)) {
                    Some(bytes) => State::Backup { original: String::from_utf8_lossy(&bytes).into_owned(), text },
                    None => State::Write { writes: VecDeque::from([(self.config_path.clone(), text)]), backup: None },
                }
            }
        }
    }
}

impl Part for ConfigEdit {
    type Out = ConfigEdited;

    fn feed(&mut self, _now: Millis, input: Answer) {
        self.input = Some(input);
    }

    fn next(&mut self, _now: Millis) -> Step<ConfigEdited> {
        loop {
            let input = self.input.take();
            if self.asked && input.is_none() {
                // The host polled again without answering: ask again.
                self.asked = false;
            }
            let (effect, state) = match std::mem::replace(&mut self.state, State::Over(ConfigEdited::Unchanged)) {
                State::Lock => match (self.asked, input) {
                    (false, _) => {
                        let timings = LockTimings::store(&self.env);
                        let req = LockRequest { path: self.store_path.clone(), kind: LockKind::Store, timings };
                        (Some(Effect::lock(req)), State::Lock)
                    }
                    (true, Some(Answer::Lock(LockAnswer::Taken))) => (None, State::Read),
                    (true, Some(Answer::Lock(answer))) => {
                        let why = answer.store_refusal().unwrap_or_else(|| "the store could not be locked".into());
                        (None, State::Over(ConfigEdited::Failed(why)))
                    }
                    (true, _) => (None, State::Over(ConfigEdited::Failed("the store could not be locked".into()))),
                },
                State::Read => match (self.asked, input) {
                    (false, _) => (Some(Effect::read(vec![self.config_path.clone()])), State::Read),
                    (true, Some(Answer::Files(files))) => {
                        let read = files.into_iter().find(|(p, _)| *p == self.config_path).map(|(_, r)| r);
                        (None, self.edited(read.unwrap_or(FileRead::Absent)))
                    }
                    (true, _) => (None, State::Unlock(ConfigEdited::Failed("no answer to a read".into()))),
                },
                State::Backup { original, text } => match (self.asked, input) {
                    (false, _) => {
                        let effect = Effect::SaveBackup {
                            of: self.config_path.clone(),
                            text: Secret::new(original.clone()),
                            reply: Reply::new(),
                        };
                        (Some(effect), State::Backup { original, text })
                    }
                    (true, Some(Answer::Saved(Ok(saved)))) => {
                        let writes = VecDeque::from([(self.config_path.clone(), text)]);
                        (None, State::Write { writes, backup: Some(self.env.shorten(&saved)) })
                    }
                    (true, Some(Answer::Saved(Err(e)))) => (None, State::Unlock(ConfigEdited::Failed(e.to_string()))),
                    (true, _) => (None, State::Unlock(ConfigEdited::Failed("no answer to a backup".into()))),
                },
                State::Write { mut writes, backup } => match (self.asked, input) {
                    (false, _) => match writes.front() {
                        Some((path, text)) => {
                            let effect = Effect::WriteAtomic {
                                path: path.clone(),
                                text: Secret::new(text.clone()),
                                reply: Reply::new(),
                            };
                            (Some(effect), State::Write { writes, backup })
                        }
                        None => (None, State::Unlock(ConfigEdited::Written { backup })),
                    },
                    (true, Some(Answer::Written(Ok(())))) => {
                        writes.pop_front();
                        (None, State::Write { writes, backup })
                    }
                    (true, Some(Answer::Written(Err(e)))) => {
                        let path = writes.front().map(|(p, _)| self.env.shorten(p)).unwrap_or_default();
                        (None, State::Unlock(ConfigEdited::Failed(format!("writing {path}: {e}"))))
                    }
                    (true, _) => (None, State::Unlock(ConfigEdited::Failed("no answer to a write".into()))),
                },
                State::Unlock(edited) => {
                    let path = std::mem::take(&mut self.store_path);
                    self.asked = false;
                    self.state = State::Over(edited);
                    return Step::Effect(Effect::Unlock { path });
                }
                State::Over(edited) => {
                    self.state = State::Over(edited.clone());
                    return Step::Ready(edited);
                }
            };
            self.state = state;
            self.asked = effect.is_some();
            if let Some(effect) = effect {
                return Step::Effect(effect);
            }
        }
    }
}
