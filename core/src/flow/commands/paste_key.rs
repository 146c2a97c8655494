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
use super::refs::CheckRef;
use super::{Answer, Done, Effect, Event, Exit, Reply, SecretError, Step};
use crate::error::TxnFailure;
use crate::escape::escape_control;
use crate::load::Loaded;
use crate::paths::Env;
use crate::provider::ProviderId;
use crate::secret::Secret;
use crate::secret_ref::SecretRef;
use crate::secret_refs::RefCheck;
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
    /// `--ref`: does it resolve before it is stored?
    Check(Box<CheckRef>),
    Edit(Box<EditStore<'static>>),
    Record(Box<RecordMode>),
}

struct PasteKey {
    env: Env,
    /// `--ref`, read: store this ref instead of asking for a key.
    reference: Option<SecretRef>,
    allow_exec: bool,
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
            reference: None,
            allow_exec: false,
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
            Driven::start(command, State::Ask, env, now)
        };
        PasteKeyCommand { inner }
    }

    /// `--ref <json or shorthand>`: store a SecretRef (`keyRef`) and no
    /// plain key, once it resolves (an exec ref runs only with
    /// `allow_exec`; without it the ref is stored unchecked, and said so).
    pub fn reference(mut self, text: &str, allow_exec: bool) -> PasteKeyCommand {
        match SecretRef::parse_flag(text) {
            Ok(r) => {
                let machine = &mut self.inner.machine;
                let profile = ref_profile(&machine.provider, &r);
                let check =
                    CheckRef::new(&machine.env, machine.agent.as_deref(), &machine.profile_id, profile, allow_exec);
                machine.reference = Some(r);
                machine.allow_exec = allow_exec;
                // Unless the command line was refused already.
                if let Some(state) = self.inner.state_mut() {
                    *state = State::Check(Box::new(check));
                }
            }
            Err(e) => self.inner.end(Done::refused(Exit::Usage, format!("--ref: {e}"))),
        }
        self
    }
}

/// An `api_key` profile holding `r` as its `keyRef` and no plain key.
fn ref_profile(provider: &str, r: &SecretRef) -> Profile {
    let mut profile =
        Profile::new(Credential::ApiKey(ApiKey { provider: provider.to_string(), key: None, email: None }));
    profile.extra.insert("keyRef".into(), r.to_json());
    profile
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

    /// What the ref's check found: a failing ref is refused and nothing is
    /// stored; an unchecked one is stored with a warning.
    fn checked(&self, check: RefCheck, now: Millis, out: &mut Lines) -> Turn<State> {
        let Some(r) = self.reference.clone() else { return Turn::End(super::internal_end()) };
        match check {
            RefCheck::Failing(why) => {
                let e =
                    crate::resolve::ResolveError::RefFailing { profile: self.profile_id.clone(), failure: Some(why) };
                return Turn::End(Done::refusing(Exit::Action, &e.into()));
            }
            RefCheck::NotChecked => {
                emit(out, Event::warning("the ref was not checked: exec refs run only with --allow-exec"));
            }
            RefCheck::Ok(_) => {}
        }
        let (id, provider) = (self.profile_id.clone(), self.provider.clone());
        let edit = move |store: &mut AuthStore, _: &Loaded| {
            store.profiles.insert(id.clone(), ref_profile(&provider, &r));
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
        let via =
            self.reference.as_ref().map(|r| format!(", ref {}", escape_control(&r.to_string()))).unwrap_or_default();
        emit(out, Event::Output(format!("Auth profile: {} ({}/api_key{via})", self.profile_id, self.provider)));
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
            State::Check(mut check) => match advance(&mut *check, input, now) {
                Step::Effect(e) => Turn::Ask(State::Check(check), e),
                Step::Ready(found) => self.checked(found, now, out),
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
