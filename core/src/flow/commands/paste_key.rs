//! `clawdbot models auth paste-api-key --provider P [--profile-id ID]
//! [--force]`: stores a pasted API key as an `api_key` profile, in one
//! locked edit of the store, then records the profile's mode in the config
//! (as `paste-token` does) in one locked edit of the config.
//!
//! The target is checked as every paste's ([`PasteTarget::api_key`]: the
//! one id check, default `<provider>:default`), then what the id holds
//! ([`Claim`]: a token or login there is replaced only with a yes or
//! `--force`). The flow asks for the key ([`Effect::AskSecret`]: a prompt
//! without echo, or standard input, never argv) and the rules judge the
//! bytes ([`PasteTarget::accept`]). The key is never printed.

use super::claim::Claim;
use super::drive::{Driven, Lines, Machine, Turn, advance, emit, flow_of_driven};
use super::edit::EditStore;
use super::record_mode::RecordMode;
use super::refs::CheckRef;
use super::{Answer, Done, Effect, Event, Exit, Reply, SecretError, Step};
use crate::error::TxnFailure;
use crate::escape::escape_control;
use crate::load::Loaded;
use crate::paste::{PasteError, PasteTarget, Placed};
use crate::paths::Env;
use crate::provider::ProviderId;
use crate::secret_ref::SecretRef;
use crate::secret_refs::RefCheck;
use crate::store::{ApiKey, AuthStore, Credential, CredentialType, Profile};
use crate::time::Millis;
use std::cell::RefCell;
use std::rc::Rc;

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
    /// Replace a credential of another type at the id without asking.
    pub force: bool,
}

enum State {
    Claim(Box<Claim>),
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
    /// `--ref`: its check, run once the claim is settled.
    check: Option<Box<CheckRef>>,
    allow_exec: bool,
    agent: Option<String>,
    create_agent: bool,
    target: PasteTarget,
    replace_other: bool,
    placed: Rc<RefCell<Option<Result<Placed, PasteError>>>>,
}

/// `models auth paste-api-key` as a flow.
pub struct PasteKeyCommand {
    inner: Driven<PasteKey>,
}

/// A refused paste: exit 64 for a wrong command line, else 1.
fn refusal(e: &PasteError) -> Done {
    Done::refusing(if e.is_usage() { Exit::Usage } else { Exit::Action }, &e.clone().into())
}

impl PasteKeyCommand {
    /// The command as asked, at `now`. A refused target ends it before the
    /// key is asked for.
    pub fn new(request: PasteKeyRequest, env: &Env, now: Millis) -> PasteKeyCommand {
        let target = PasteTarget::api_key(&request.provider, request.profile_id.as_deref());
        let none = || PasteTarget {
            provider: String::new(),
            profile_id: String::new(),
            expires_ms: None,
            kind: CredentialType::ApiKey,
        };
        let (agent, create_agent) = (request.agent, request.create_agent);
        let command = |target| PasteKey {
            env: env.clone(),
            reference: None,
            check: None,
            allow_exec: false,
            agent: agent.clone(),
            create_agent,
            target,
            replace_other: false,
            placed: Rc::default(),
        };
        let inner = match target {
            Ok(target) => {
                let claim = Claim::new(env, agent.as_deref(), &target, request.force).creating_agent(create_agent);
                Driven::start(command(target), State::Claim(Box::new(claim)), env, now)
            }
            Err(e) => Driven::ended(command(none()), refusal(&e), now),
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
                let (provider, id) = (&machine.target.provider, &machine.target.profile_id);
                let profile = ref_profile(provider, &r);
                let check = CheckRef::new(&machine.env, machine.agent.as_deref(), id, profile, allow_exec);
                machine.reference = Some(r);
                machine.allow_exec = allow_exec;
                // Checked after the claim, unless the command line was refused.
                machine.check = Some(Box::new(check));
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
    /// Judges the pasted bytes; a key the rules accept goes into the store.
    fn pasted(&self, pasted: &str, now: Millis) -> Turn<State> {
        let credential = match self.target.accept(pasted.as_bytes()) {
            Ok(accepted) => accepted.credential,
            Err(e) => return Turn::End(refusal(&e)),
        };
        let (target, placed, replace_other) = (self.target.clone(), Rc::clone(&self.placed), self.replace_other);
        let edit = move |store: &mut AuthStore, loaded: &Loaded| {
            *placed.borrow_mut() = Some(target.place(store, credential, replace_other, loaded.now));
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
                let profile = self.target.profile_id.clone();
                let e = crate::resolve::ResolveError::RefFailing { profile, failure: Some(why) };
                return Turn::End(Done::refusing(Exit::Action, &e.into()));
            }
            RefCheck::NotChecked => {
                emit(out, Event::warning("the ref was not checked: exec refs run only with --allow-exec"));
            }
            RefCheck::Ok(_) => {}
        }
        let profile = ref_profile(&self.target.provider, &r);
        let (target, placed, replace_other) = (self.target.clone(), Rc::clone(&self.placed), self.replace_other);
        let edit = move |store: &mut AuthStore, loaded: &Loaded| {
            *placed.borrow_mut() = Some(target.place_profile(store, profile, replace_other, loaded.now));
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
        let placed = match self.placed.borrow().clone() {
            Some(Err(refused)) => return Turn::End(refusal(&refused)),
            Some(Ok(placed)) => placed,
            None => Placed::Added,
        };
        let (id, provider) = (&self.target.profile_id, &self.target.provider);
        let via =
            self.reference.as_ref().map(|r| format!(", ref {}", escape_control(&r.to_string()))).unwrap_or_default();
        emit(out, Event::Output(format!("Auth profile: {id} ({provider}/api_key{via}), {}", placed.words())));
        let record = RecordMode::new(
            &self.env,
            &loaded.locations.store(),
            &loaded.locations.config,
            id,
            provider,
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
            State::Claim(mut claim) => match advance(&mut *claim, input, now) {
                Step::Effect(e) => Turn::Ask(State::Claim(claim), e),
                Step::Ready(Ok(replace_other)) => {
                    self.replace_other = replace_other;
                    Turn::Go(match self.check.take() {
                        Some(check) => State::Check(check),
                        None => State::Ask,
                    })
                }
                Step::Ready(Err(done)) => Turn::End(done),
            },
            State::Ask => match input {
                Some(Answer::Secret(Ok(secret))) => self.pasted(secret.expose(), now),
                Some(Answer::Secret(Err(SecretError::NotText))) => Turn::End(refusal(&PasteError::NotText)),
                Some(Answer::Secret(Err(SecretError::Unreadable(why)))) => {
                    Turn::End(Done::refused(Exit::Error, format!("reading the key: {why}")))
                }
                _ => {
                    let prompt = format!("Paste the API key for {}", escape_control(&self.target.provider));
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
