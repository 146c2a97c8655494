//! Recording a profile's mode in `clawdbot.json` (§2.11) after a paste, a
//! setup-token or a login (with the default model when `--set-default`
//! asks): one [`ConfigEdit`] under the store lock, against the
//! config as it is inside the lock, so two pastes at once never drop each
//! other's `auth.profiles` entry.

use super::config_edit::{ConfigEdit, ConfigEdited, backup_note};
use super::drive::Part;
use super::{Answer, Event, Step};
use crate::paths::Env;
use crate::repair::{apply_auth_profile_config, set_default_model};
use crate::store::CredentialType;
use crate::time::Millis;
use std::cell::RefCell;
use std::rc::Rc;

/// `auth.profiles.<id> = {provider, mode}` in the config, every other key
/// kept: a [`Part`] of the paste commands that ends with what to say
/// (the backup note and "Updated ..."), or why the mode was not recorded
/// (the profile is stored; the command ends 1 with that reason).
pub(crate) struct RecordMode {
    edit: ConfigEdit,
    config_shown: String,
    /// The model `--set-default` makes the default, once the edit did.
    default_set: Rc<RefCell<Option<String>>>,
}

impl RecordMode {
    /// `store_path` and `config_path` as the command's load located them.
    pub(crate) fn new(
        env: &Env,
        store_path: &str,
        config_path: &str,
        profile_id: &str,
        provider: &str,
        mode: CredentialType,
    ) -> RecordMode {
        Self::setting_default(env, (store_path, config_path), profile_id, provider, mode, None)
    }

    /// [`RecordMode::new`], and in the same write `model` made the default
    /// agent model (`models auth login --set-default`).
    pub(crate) fn setting_default(
        env: &Env,
        (store_path, config_path): (&str, &str),
        profile_id: &str,
        provider: &str,
        mode: CredentialType,
        model: Option<&str>,
    ) -> RecordMode {
        let (id, provider, model) = (profile_id.to_string(), provider.to_string(), model.map(str::to_string));
        let default_set: Rc<RefCell<Option<String>>> = Rc::default();
        let said = Rc::clone(&default_set);
        let edit = move |doc: &mut serde_json::Value| {
            let before = doc.clone();
            apply_auth_profile_config(doc, &id, &provider, mode, None).map_err(|e| e.to_string())?;
            if let Some(model) = model {
                set_default_model(doc, &model).map_err(|e| e.to_string())?;
                *said.borrow_mut() = Some(model);
            }
            Ok(*doc != before)
        };
        RecordMode {
            edit: ConfigEdit::new(env, store_path, config_path, Box::new(edit)),
            config_shown: env.shorten(config_path),
            default_set,
        }
    }

    fn ended(&self, edited: ConfigEdited) -> Result<Vec<Event>, String> {
        let config = &self.config_shown;
        let default = self.default_set.borrow().clone().map(|m| Event::Output(format!("Default model: {m}")));
        match edited {
            ConfigEdited::Written { backup } => {
                let mut events: Vec<Event> = backup.as_deref().map(backup_note).into_iter().collect();
                events.push(Event::Output(format!("Updated {config}")));
                events.extend(default);
                Ok(events)
            }
            ConfigEdited::Unchanged => Ok(default.into_iter().collect()),
            ConfigEdited::Failed(why) => Err(format!(
                "the profile is stored, but its mode was not recorded in {config}: {why}; fix the file and run this again"
            )),
        }
    }
}

impl Part for RecordMode {
    type Out = Result<Vec<Event>, String>;

    fn feed(&mut self, now: Millis, input: Answer) {
        self.edit.feed(now, input);
    }

    fn next(&mut self, now: Millis) -> Step<Self::Out> {
        match self.edit.next(now) {
            Step::Effect(e) => Step::Effect(e),
            Step::Ready(edited) => Step::Ready(self.ended(edited)),
        }
    }
}
