//! Recording a profile's mode in `clawdbot.json` (§2.11) after a paste or
//! a setup-token: one [`ConfigEdit`] under the store lock, against the
//! config as it is inside the lock, so two pastes at once never drop each
//! other's `auth.profiles` entry.

use super::config_edit::{ConfigEdit, ConfigEdited, backup_note};
use super::{Done, Effect, Event, Exit, Flow, Input, Step, internal_end};
use crate::paths::Env;
use crate::repair::apply_auth_profile_config;
use crate::store::CredentialType;
use crate::time::Millis;

/// `auth.profiles.<id> = {provider, mode}` in the config, every other key
/// kept. Ends with exit 0 (recorded, or nothing to change) or 1 (the config
/// could not be edited: the profile is stored, its mode is not); then
/// [`RecordModeCommand::outcome`] says why, for the command to report.
pub struct RecordModeCommand {
    edit: Option<ConfigEdit>,
    config_shown: String,
    done: Option<Done>,
    failure: Option<String>,
}

impl RecordModeCommand {
    /// `store_path` and `config_path` as the command's load located them.
    pub fn new(
        env: &Env,
        store_path: &str,
        config_path: &str,
        profile_id: &str,
        provider: &str,
        mode: CredentialType,
    ) -> RecordModeCommand {
        let (id, provider) = (profile_id.to_string(), provider.to_string());
        let edit = move |doc: &mut serde_json::Value| {
            let before = doc.clone();
            apply_auth_profile_config(doc, &id, &provider, mode, None).map_err(|e| e.to_string())?;
            Ok(*doc != before)
        };
        RecordModeCommand {
            edit: Some(ConfigEdit::new(env, store_path, config_path, Box::new(edit))),
            config_shown: env.shorten(config_path),
            done: None,
            failure: None,
        }
    }

    /// `None` until done; then `Ok`, or why the mode was not recorded.
    pub fn outcome(&self) -> Option<Result<(), String>> {
        self.done.as_ref()?;
        Some(self.failure.clone().map_or(Ok(()), Err))
    }

    fn ended(&mut self, edited: ConfigEdited) -> Done {
        let config = &self.config_shown;
        match edited {
            ConfigEdited::Written { backup } => {
                let mut events: Vec<Event> = backup.as_deref().map(backup_note).into_iter().collect();
                events.push(Event::Output(format!("Updated {config}")));
                Done::with(Exit::Ok, events)
            }
            ConfigEdited::Unchanged => Done::quiet(Exit::Ok),
            ConfigEdited::Failed(why) => {
                self.failure = Some(format!(
                    "the profile is stored, but its mode was not recorded in {config}: {why}; fix the file and run this again"
                ));
                Done::quiet(Exit::Action)
            }
        }
    }
}

impl Flow for RecordModeCommand {
    fn poll(&mut self) -> Effect {
        if let Some(done) = &self.done {
            return Effect::Done(done.clone());
        }
        let Some(edit) = &mut self.edit else { return Effect::Done(internal_end()) };
        match edit.poll() {
            Step::Effect(e) => e,
            Step::Ready(edited) => {
                let done = self.ended(edited);
                self.edit = None;
                self.done = Some(done.clone());
                Effect::Done(done)
            }
        }
    }

    fn handle(&mut self, _now: Millis, input: Input) {
        if let Some(edit) = &mut self.edit {
            edit.handle(input);
        }
    }
}
