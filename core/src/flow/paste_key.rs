//! `clawdbot models auth paste-api-key --provider P [--profile-id ID]`:
//! stores a pasted API key as an `api_key` profile, in one locked edit of
//! the store, then records the profile's mode in the config (as
//! `paste-token` does) in one locked edit of the config.
//!
//! The host reads the key (a prompt without echo, or standard input,
//! never argv) and hands it in; the rules of what a key may look like are
//! [`crate::setup_token::clean_pasted_api_key`]. The key is never printed.

use super::config_edit::{ConfigEdit, ConfigEdited};
use super::edit::EditStore;
use super::{Done, Effect, Exit, Flow, Input, Line, Step, internal_end};
use crate::escape::escape_control;
use crate::load::Loaded;
use crate::paths::Env;
use crate::provider::normalize;
use crate::repair::apply_auth_profile_config;
use crate::secret::Secret;
use crate::setup_token::clean_pasted_api_key;
use crate::store::{ApiKey, AuthStore, Credential, CredentialType, Profile};
use crate::time::Millis;
use std::collections::VecDeque;

/// What `models auth paste-api-key` was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasteKeyRequest {
    /// The provider, in any spelling.
    pub provider: String,
    /// The profile id (default `<provider>:default`).
    pub profile_id: Option<String>,
    /// The agent (`None`: the default agent).
    pub agent: Option<String>,
    /// The key as read, line end and all.
    pub pasted: Secret,
}

enum State {
    Edit(Box<EditStore<'static>>),
    Config(Box<ConfigEdit>),
    Done(Done),
}

/// `models auth paste-api-key` as a flow.
pub struct PasteKeyCommand {
    env: Env,
    provider: String,
    profile_id: String,
    state: State,
    queue: VecDeque<Effect>,
}

impl PasteKeyCommand {
    /// The command as asked, at `now`. A key that is refused ends it
    /// before anything is read.
    pub fn new(request: PasteKeyRequest, env: &Env, now: Millis) -> PasteKeyCommand {
        let provider = normalize(&request.provider);
        let profile_id = request.profile_id.clone().unwrap_or_else(|| format!("{provider}:default"));
        let mut command = PasteKeyCommand {
            env: env.clone(),
            provider,
            profile_id,
            state: State::Done(internal_end()),
            queue: VecDeque::new(),
        };
        command.state = if command.provider.is_empty() {
            State::Done(refused(Exit::Usage, "--provider must not be empty"))
        } else if command.profile_id.trim().is_empty() {
            State::Done(refused(Exit::Usage, "--profile-id must not be empty"))
        } else {
            match clean_pasted_api_key(request.pasted.expose()) {
                Err(e) => State::Done(refused(Exit::Action, &e.to_string())),
                Ok(key) => {
                    let (id, provider, key) = (command.profile_id.clone(), command.provider.clone(), Secret::new(key));
                    let edit = move |store: &mut AuthStore, _: &Loaded| {
                        let credential = Credential::ApiKey(ApiKey { provider, key: Some(key), email: None });
                        store.profiles.insert(id.clone(), Profile::new(credential));
                        // Pasting under a synced login's id re-adds it.
                        crate::sync::enable_sync(store, &id);
                    };
                    State::Edit(Box::new(EditStore::new(env, request.agent.as_deref(), now, Box::new(edit))))
                }
            }
        };
        command
    }

    fn stored(&mut self, outcome: Option<Result<Loaded, String>>) -> State {
        let loaded = match outcome {
            Some(Ok(loaded)) => loaded,
            Some(Err(why)) => return State::Done(refused(Exit::Error, &why)),
            None => return State::Done(internal_end()),
        };
        let line =
            format!("Auth profile: {} ({}/api_key)", escape_control(&self.profile_id), escape_control(&self.provider));
        self.queue.push_back(Effect::Print(Line::out(line)));
        let (id, provider) = (self.profile_id.clone(), self.provider.clone());
        let edit = move |doc: &mut serde_json::Value| {
            let before = doc.clone();
            apply_auth_profile_config(doc, &id, &provider, CredentialType::ApiKey, None).map_err(|e| e.to_string())?;
            Ok(*doc != before)
        };
        State::Config(Box::new(ConfigEdit::new(
            &self.env,
            &loaded.locations.store(),
            &loaded.locations.config,
            Box::new(edit),
        )))
    }

    fn configured(&self, edited: ConfigEdited) -> Done {
        let config = escape_control(&self.env.shorten(&crate::paths::config_path(&self.env))).into_owned();
        match edited {
            ConfigEdited::Written { backup } => {
                let mut lines = Vec::new();
                if let Some(bak) = backup {
                    lines.push(Line::err(format!(
                        "note: the JSON5 original (with its comments) was saved as {}",
                        escape_control(&bak)
                    )));
                }
                lines.push(Line::out(format!("Updated {config}")));
                Done { exit: Exit::Ok, lines, hints: Vec::new() }
            }
            ConfigEdited::Unchanged => Done { exit: Exit::Ok, lines: Vec::new(), hints: Vec::new() },
            ConfigEdited::Failed(why) => refused(
                Exit::Action,
                &format!(
                    "the key is stored, but its mode was not recorded in {config}: {why}; fix the file and run this again"
                ),
            ),
        }
    }
}

fn refused(exit: Exit, message: &str) -> Done {
    Done { exit, lines: vec![Line::err(format!("error: {}", escape_control(message)))], hints: Vec::new() }
}

impl Flow for PasteKeyCommand {
    fn poll(&mut self) -> Effect {
        loop {
            if let Some(effect) = self.queue.pop_front() {
                return effect;
            }
            let state = std::mem::replace(&mut self.state, State::Done(internal_end()));
            self.state = match state {
                State::Edit(mut edit) => match edit.poll() {
                    Effect::Done(_) => self.stored(edit.outcome()),
                    e => {
                        self.state = State::Edit(edit);
                        return e;
                    }
                },
                State::Config(mut edit) => match edit.poll() {
                    Step::Effect(e) => {
                        self.state = State::Config(edit);
                        return e;
                    }
                    Step::Ready(edited) => State::Done(self.configured(edited)),
                },
                State::Done(done) => {
                    self.state = State::Done(done.clone());
                    return Effect::Done(done);
                }
            };
        }
    }

    fn handle(&mut self, now: Millis, input: Input) {
        match &mut self.state {
            State::Edit(edit) => edit.handle(now, input),
            State::Config(edit) => edit.handle(input),
            State::Done(_) => {}
        }
    }
}
