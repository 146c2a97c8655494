//! `clawdbot models auth paste-api-key --provider P [--profile-id ID]`:
//! stores a pasted API key as an `api_key` profile, in one locked edit of
//! the store, then records the profile's mode in the config (as
//! `paste-token` does) in one locked edit of the config.
//!
//! The flow asks for the key ([`Effect::AskSecret`]: a prompt without echo,
//! or standard input, never argv) and judges the bytes itself: at most
//! [`MAX_API_KEY_INPUT_BYTES`], UTF-8, and what
//! [`crate::setup_token::clean_pasted_api_key`] accepts. The key is never
//! printed.

use super::drive::{Driven, Lines, Machine, Turn, advance, emit, flow_of_driven};
use super::edit::EditStore;
use super::record_mode::RecordMode;
use super::{Answer, Done, Effect, Event, Exit, Reply, SecretError, Step};
use crate::error::TxnFailure;
use crate::escape::escape_control;
use crate::load::Loaded;
use crate::paths::Env;
use crate::provider::ProviderId;
use crate::secret::Secret;
use crate::setup_token::clean_pasted_api_key;
use crate::store::{ApiKey, AuthStore, Credential, CredentialType, Profile};
use crate::time::Millis;

/// What `models auth paste-api-key` was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasteKeyRequest {
    /// The provider.
    pub provider: ProviderId,
    /// The profile id (default `<provider>:default`).
    pub profile_id: Option<String>,
    /// The agent (`None`: the default agent).
    pub agent: Option<String>,
    /// `--create-agent`: make the agent when it does not exist yet (else
    /// an agent no config lists and no folder holds is refused).
    pub create_agent: bool,
}

/// The most a pasted API key may take, line end included. The longest
/// provider keys are a few hundred bytes; more is a paste of something
/// else. The host reads one byte past [`crate::MAX_PASTE_INPUT_BYTES`], so
/// a longer input is refused here, never cut short and stored.
pub const MAX_API_KEY_INPUT_BYTES: usize = 64 * 1024;

enum State {
    Ask,
    Edit(Box<EditStore<'static>>),
    Record(Box<RecordMode>),
}

struct PasteKey {
    env: Env,
    agent: Option<String>,
    create_agent: bool,
    provider: String,
    profile_id: String,
}

/// `models auth paste-api-key` as a flow.
pub struct PasteKeyCommand {
    inner: Driven<PasteKey>,
}

impl PasteKeyCommand {
    /// The command as asked, at `now`. A usage error ends it before the
    /// key is asked for.
    pub fn new(request: PasteKeyRequest, env: &Env, now: Millis) -> PasteKeyCommand {
        let provider = String::from(request.provider);
        let profile_id = request.profile_id.clone().unwrap_or_else(|| format!("{provider}:default"));
        let command = PasteKey {
            env: env.clone(),
            agent: request.agent,
            create_agent: request.create_agent,
            provider,
            profile_id,
        };
        let inner = if command.provider.is_empty() {
            Driven::ended(command, Done::refused(Exit::Usage, "--provider must not be empty"), now)
        } else if command.profile_id.trim().is_empty() {
            Driven::ended(command, Done::refused(Exit::Usage, "--profile-id must not be empty"), now)
        } else {
            Driven::new(command, State::Ask, now)
        };
        PasteKeyCommand { inner }
    }
}

impl PasteKey {
    /// Judges the pasted bytes; a key it accepts goes into the store.
    fn pasted(&self, pasted: &str, now: Millis) -> Turn<State> {
        if pasted.len() > MAX_API_KEY_INPUT_BYTES {
            let why = format!("the input is larger than {} KiB; no API key is", MAX_API_KEY_INPUT_BYTES / 1024);
            return Turn::End(Done::refused(Exit::Action, why));
        }
        let key = match clean_pasted_api_key(pasted) {
            Ok(key) => Secret::new(key),
            Err(e) => return Turn::End(Done::refusing(Exit::Action, &e.into())),
        };
        let (id, provider) = (self.profile_id.clone(), self.provider.clone());
        let edit = move |store: &mut AuthStore, _: &Loaded| {
            let credential = Credential::ApiKey(ApiKey { provider, key: Some(key), email: None });
            store.profiles.insert(id.clone(), Profile::new(credential));
            // Pasting under a synced login's id re-adds it.
            crate::sync::enable_sync(store, &id);
        };
        let edit =
            EditStore::new(&self.env, self.agent.as_deref(), now, Box::new(edit)).creating_agent(self.create_agent);
        Turn::Go(State::Edit(Box::new(edit)))
    }

    fn stored(&mut self, outcome: Result<Loaded, TxnFailure>, out: &mut Lines) -> Turn<State> {
        let loaded = match outcome {
            Ok(loaded) => loaded,
            Err(failure) => return Turn::End(failure.refusal()),
        };
        emit(out, Event::Output(format!("Auth profile: {} ({}/api_key)", self.profile_id, self.provider)));
        let record = RecordMode::new(
            &self.env,
            &loaded.locations.store(),
            &loaded.locations.config,
            &self.profile_id,
            &self.provider,
            CredentialType::ApiKey,
        );
        Turn::Go(State::Record(Box::new(record)))
    }

    /// The mode is recorded (or could not be: the key is stored anyway).
    fn recorded(recorded: Result<Vec<Event>, String>) -> Done {
        match recorded {
            Ok(events) => Done::with(Exit::Ok, events),
            Err(why) => Done::refused(Exit::Action, why),
        }
    }
}

impl Machine for PasteKey {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, out: &mut Lines) -> Turn<State> {
        match state {
            State::Ask => match input {
                Some(Answer::Secret(Ok(secret))) => self.pasted(secret.expose(), now),
                Some(Answer::Secret(Err(SecretError::NotText))) => {
                    Turn::End(Done::refused(Exit::Action, "the key is not UTF-8 text"))
                }
                Some(Answer::Secret(Err(SecretError::Unreadable(why)))) => {
                    Turn::End(Done::refused(Exit::Error, format!("reading the key: {why}")))
                }
                _ => {
                    let prompt = format!("Paste the API key for {}", escape_control(&self.provider));
                    Turn::Ask(State::Ask, Effect::AskSecret { prompt, reply: Reply::new() })
                }
            },
            State::Edit(mut edit) => match advance(&mut *edit, input, now) {
                Step::Effect(e) => Turn::Ask(State::Edit(edit), e),
                Step::Ready(outcome) => self.stored(outcome, out),
            },
            State::Record(mut record) => match advance(&mut *record, input, now) {
                Step::Effect(e) => Turn::Ask(State::Record(record), e),
                Step::Ready(recorded) => Turn::End(PasteKey::recorded(recorded)),
            },
        }
    }
}

flow_of_driven!(PasteKeyCommand);
