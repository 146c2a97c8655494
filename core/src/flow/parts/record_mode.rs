//! Recording a profile's mode in `clawdbot.json` (§2.11) after a paste or
//! a setup-token: one [`ConfigEdit`] under the store lock, against the
//! config as it is inside the lock, so two pastes at once never drop each
//! other's `auth.profiles` entry.

use super::config_edit::{ConfigEdit, ConfigEdited, backup_note};
use super::drive::Part;
use super::{Answer, Event, Step};
use crate::paths::Env;
use crate::repair::apply_auth_profile_config;
use crate::store::CredentialType;
use crate::time::Millis;

/// `auth.profiles.<id> = {provider, mode}` in the config, every other key
/// kept: a [`Part`] of the paste commands that ends with what to say
/// (the backup note and "Updated ..."), or why the mode was not recorded
/// (the profile is stored; the command ends 1 with that reason).
pub(crate) struct RecordMode {
    edit: ConfigEdit,
    config_shown: String,
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
        let (id, provider) = (profile_id.to_string(), provider.to_string());
        let edit = move |doc: &mut serde_json::Value| {
            let before = doc.clone();
            apply_auth_profile_config(doc, &id, &provider, mode, None).map_err(|e| e.to_string())?;
            Ok(*doc != before)
        };
        RecordMode {
            edit: ConfigEdit::new(env, store_path, config_path, Box::new(edit)),
            config_shown: env.shorten(config_path),
        }
    }

    fn ended(&self, edited: ConfigEdited) -> Result<Vec<Event>, String> {
        let config = &self.config_shown;
        match edited {
            ConfigEdited::Written { backup } => {
                let mut events: Vec<Event> = backup.as_deref().map(backup_note).into_iter().collect();
                events.push(Event::Output(format!("Updated {config}")));
                Ok(events)
            }
            ConfigEdited::Unchanged => Ok(Vec::new()),
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
