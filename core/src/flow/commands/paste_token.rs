//! `clawdbot models auth paste-token --provider P [--profile-id ID]
//! [--expires-in D]`: stores a pasted token as a `token` profile.
//!
//! Where the token goes is checked before it is asked for
//! ([`PasteTarget`]), and so is what the id holds ([`Claim`]: a
//! credential of another type is replaced only with a yes or `--force`);
//! the host reads it (a prompt without echo, or standard input, never
//! argv) and the core judges the bytes. Then one locked edit of the store
//! ([`PasteTarget::place`]), and the profile's mode recorded in the config
//! ([`RecordMode`]). The token is never printed.

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
use crate::secret_ref::SecretRef;
use crate::secret_refs::RefCheck;
use crate::store::{AuthStore, CredentialType, Profile};
use crate::time::Millis;
use std::cell::RefCell;
use std::rc::Rc;

/// What `models auth paste-token` was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasteTokenRequest {
    /// `--provider`, in any spelling.
    pub provider: String,
    /// `--profile-id` (default `<provider>:manual`).
    pub profile_id: Option<String>,
    /// `--expires-in` (a bare number is days).
    pub expires_in: Option<String>,
    /// The agent (`None`: the default agent).
    pub agent: Option<String>,
    /// `--create-agent`: make the agent when it does not exist yet (else
    /// an agent no config lists and no folder holds is refused).
    pub create_agent: bool,
    /// Replace a credential of another type at the id without asking.
    pub force: bool,
}

pub(crate) enum State {
    Claim(Box<Claim>),
    Ask,
    /// `--ref`: does it resolve before it is stored?
    Check(Box<CheckRef>),
    Edit(Box<EditStore<'static>>),
    Record {
        record: Box<RecordMode>,
    },
}

pub(crate) struct Paste {
    env: Env,
    /// `--ref`, read: store this ref (`tokenRef`) instead of asking.
    reference: Option<SecretRef>,
    /// `--ref`: its check, run once the claim is settled.
    check: Option<Box<CheckRef>>,
    agent: Option<String>,
    create_agent: bool,
    target: PasteTarget,
    /// A credential of another type at the id may be replaced.
    replace_other: bool,
    /// What the store edit did: placed, or why not.
    placed: Rc<RefCell<Option<Result<Placed, PasteError>>>>,
}

/// `models auth paste-token` as a flow.
pub struct PasteTokenCommand {
    inner: Driven<Paste>,
}

impl PasteTokenCommand {
    /// The command as asked, at `now`. A target that is refused ends it
    /// before the token is asked for.
    pub fn new(request: PasteTokenRequest, env: &Env, now: Millis) -> PasteTokenCommand {
        PasteTokenCommand { inner: start(request, env, now) }
    }

    /// `--ref <json or shorthand>`: store a SecretRef (`tokenRef`) and no
    /// plain token, once it resolves (an exec ref runs only with
    /// `allow_exec`; without it the ref is stored unchecked, and said so).
    pub fn reference(mut self, text: &str, allow_exec: bool) -> PasteTokenCommand {
        match SecretRef::parse_flag(text) {
            Ok(r) => {
                let paste = &mut self.inner.machine;
                let profile = ref_profile(&paste.target, &r);
                let check =
                    CheckRef::new(&paste.env, paste.agent.as_deref(), &paste.target.profile_id, profile, allow_exec);
                paste.reference = Some(r);
                // Checked after the claim, unless the command line was refused.
                paste.check = Some(Box::new(check));
            }
            Err(e) => self.inner.end(Done::refused(Exit::Usage, format!("--ref: {e}"))),
        }
        self
    }
}

/// A `token` profile holding `r` as its `tokenRef` and no plain token.
fn ref_profile(target: &PasteTarget, r: &SecretRef) -> Profile {
    let token = crate::store::Token {
        provider: target.provider.clone(),
        token: None,
        expires: target.expires_ms.map(crate::time::Expiry::from_millis),
        email: None,
    };
    let mut profile = Profile::new(crate::store::Credential::Token(token));
    profile.extra.insert("tokenRef".into(), r.to_json());
    profile
}

/// The paste as a driven machine, or the refusal of its target.
pub(crate) fn start(request: PasteTokenRequest, env: &Env, now: Millis) -> Driven<Paste> {
    let target = PasteTarget::new(&request.provider, request.profile_id.as_deref(), request.expires_in.as_deref(), now);
    let (target, state) = match target {
        Ok(target) => {
            let claim =
                Claim::new(env, request.agent.as_deref(), &target, request.force).creating_agent(request.create_agent);
            (target, Ok(State::Claim(Box::new(claim))))
        }
        Err(e) => {
            let none = PasteTarget {
                provider: String::new(),
                profile_id: String::new(),
                expires_ms: None,
                kind: CredentialType::Token,
            };
            (none, Err(e))
        }
    };
    let paste = Paste {
        env: env.clone(),
        reference: None,
        check: None,
        agent: request.agent,
        create_agent: request.create_agent,
        target,
        replace_other: false,
        placed: Rc::default(),
    };
    match state {
        Ok(state) => Driven::start(paste, state, env, now),
        Err(e) => Driven::ended(paste, refusal(&e), now),
    }
}

/// A refused paste: exit 64 for a wrong command line, else 1.
fn refusal(e: &PasteError) -> Done {
    Done::refusing(if e.is_usage() { Exit::Usage } else { Exit::Action }, &e.clone().into())
}

impl Paste {
    /// The pasted bytes are judged; a good token is stored.
    fn pasted(&mut self, raw: &[u8], now: Millis, out: &mut Lines) -> Turn<State> {
        let accepted = match self.target.accept(raw) {
            Ok(accepted) => accepted,
            Err(e) => return Turn::End(refusal(&e)),
        };
        let removed = match accepted.removed {
            0 => String::new(),
            1 => " (1 whitespace character removed)".to_string(),
            n => format!(" ({n} whitespace characters removed)"),
        };
        emit(out, Event::Notice(format!("Read {} characters{removed}.", accepted.chars)));
        let (target, credential, placed) = (self.target.clone(), accepted.credential, Rc::clone(&self.placed));
        let replace_other = self.replace_other;
        let edit = move |store: &mut AuthStore, loaded: &Loaded| {
            *placed.borrow_mut() = Some(target.place(store, credential, replace_other, loaded.now));
        };
        let edit =
            EditStore::new(&self.env, self.agent.as_deref(), now, Box::new(edit)).creating_agent(self.create_agent);
        Turn::Go(State::Edit(Box::new(edit)))
    }

    /// What the ref's check found: a failing ref is refused and nothing is
    /// stored; an unchecked one is stored with a warning.
    fn checked(&mut self, check: RefCheck, now: Millis, out: &mut Lines) -> Turn<State> {
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
        let (target, profile, placed) = (self.target.clone(), ref_profile(&self.target, &r), Rc::clone(&self.placed));
        let replace_other = self.replace_other;
        let edit = move |store: &mut AuthStore, loaded: &Loaded| {
            *placed.borrow_mut() = Some(target.place_profile(store, profile, replace_other, loaded.now));
        };
        let edit =
            EditStore::new(&self.env, self.agent.as_deref(), now, Box::new(edit)).creating_agent(self.create_agent);
        Turn::Go(State::Edit(Box::new(edit)))
    }

    /// The store is written: record the mode where the edit's load found
    /// the config.
    fn stored(&mut self, outcome: Result<Loaded, TxnFailure>) -> Turn<State> {
        let loaded = match outcome {
            Ok(loaded) => loaded,
            Err(failure) => return Turn::End(failure.refusal()),
        };
        if let Some(Err(refused)) = self.placed.borrow().as_ref() {
            return Turn::End(refusal(refused));
        }
        let (store, config) = (loaded.locations.store(), loaded.locations.config.clone());
        let (id, provider) = (&self.target.profile_id, &self.target.provider);
        let record = RecordMode::new(&self.env, &store, &config, id, provider, CredentialType::Token);
        Turn::Go(State::Record { record: Box::new(record) })
    }

    fn recorded(&self, recorded: Result<Vec<Event>, String>, out: &mut Lines) -> Turn<State> {
        match recorded {
            Ok(events) => out.extend(events.into_iter().map(Effect::Emit)),
            Err(why) => return Turn::End(Done::refused(Exit::Action, why)),
        }
        let placed = self.placed.borrow().clone().and_then(Result::ok).unwrap_or(Placed::Added);
        let (id, provider) = (&self.target.profile_id, &self.target.provider);
        let via =
            self.reference.as_ref().map(|r| format!(", ref {}", escape_control(&r.to_string()))).unwrap_or_default();
        let said = Event::Output(format!("Auth profile: {id} ({provider}/token{via}), {}", placed.words()));
        Turn::End(Done::with(Exit::Ok, vec![said]))
    }
}

impl Machine for Paste {
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
                Some(Answer::Secret(Ok(secret))) => self.pasted(secret.expose().as_bytes(), now, out),
                Some(Answer::Secret(Err(SecretError::NotText))) => Turn::End(refusal(&PasteError::NotText)),
                Some(Answer::Secret(Err(SecretError::Unreadable(why)))) => {
                    Turn::End(Done::refused(Exit::Error, format!("reading the token: {why}")))
                }
                _ => {
                    let prompt = format!("Paste token for {}", escape_control(&self.target.provider));
                    Turn::Ask(State::Ask, Effect::AskSecret { prompt, reply: Reply::new() })
                }
            },
            State::Check(mut check) => match advance(&mut *check, input, now) {
                Step::Effect(e) => Turn::Ask(State::Check(check), e),
                Step::Ready(found) => self.checked(found, now, out),
            },
            State::Edit(mut edit) => match advance(&mut *edit, input, now) {
                Step::Effect(e) => Turn::Ask(State::Edit(edit), e),
                Step::Ready(outcome) => self.stored(outcome),
            },
            State::Record { mut record } => match advance(&mut *record, input, now) {
                Step::Effect(e) => Turn::Ask(State::Record { record }, e),
                Step::Ready(recorded) => self.recorded(recorded, out),
            },
        }
    }
}

flow_of_driven!(PasteTokenCommand);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Stream;
    use crate::flow::script::{CONFIG, Host, NOW, env, store_path, text};
    use crate::secret::Secret;
    use serde_json::json;

    fn paste(provider: &str, id: Option<&str>, expires_in: Option<&str>) -> PasteTokenCommand {
        let request = PasteTokenRequest {
            provider: provider.into(),
            profile_id: id.map(str::to_string),
            expires_in: expires_in.map(str::to_string),
            agent: None,
            create_agent: false,
            force: false,
        };
        PasteTokenCommand::new(request, &env(), NOW)
    }

    fn host_pasting(secret: &str) -> Host {
        let mut host = Host::with_store(&json!({"version": 1, "profiles": {}}));
        host.secret = Some(Ok(Secret::new(secret)));
        host
    }

    #[test]
    fn a_wrong_target_is_refused_before_the_token_is_asked_for() {
        for (provider, id, expires, exit) in [
            ("", None, None, Exit::Usage),
            ("openai", Some("anthropic:x"), None, Exit::Usage),
            ("openai", None, Some("0d"), Exit::Usage),
            ("anthropic", Some("anthropic:claude-cli"), None, Exit::Action),
        ] {
            let mut host = host_pasting("sk-FAKE");
            let (done, _) = host.run(&mut paste(provider, id, expires));
            assert_eq!(done.exit, exit, "{provider} {id:?} {expires:?}: {done:?}");
            assert!(done.lines()[0].text.starts_with("error: "), "{done:?}");
            assert!(host.asked.is_empty(), "asked {:?}", host.asked);
        }
    }

    #[test]
    fn a_paste_is_cleaned_counted_stored_under_the_lock_and_its_mode_recorded() {
        let mut host = host_pasting("  sk-FAKE-AB\nCD \n");
        let (done, printed) = host.run(&mut paste("OpenAI", None, Some("30")));
        assert_eq!(done.exit, Exit::Ok, "{done:?}");
        assert!(text(&printed, Stream::Stderr).contains("Read 12 characters (5 whitespace characters removed)."));
        assert_eq!(done.lines()[0].text, "Auth profile: openai:manual (openai/token), added");
        let store = host.store();
        assert_eq!(store["profiles"]["openai:manual"]["token"], "sk-FAKE-ABCD");
        assert_eq!(store["profiles"]["openai:manual"]["expires"], NOW + 30 * 86_400_000);
        let config: serde_json::Value = serde_json::from_str(&host.files[CONFIG]).expect("config written");
        assert_eq!(config["auth"]["profiles"]["openai:manual"]["mode"], "token");
        let (lock, write, unlock) = (
            host.position(&format!("lock {}", store_path("main"))),
            host.position(&format!("write {}", store_path("main"))),
            host.position(&format!("unlock {}", store_path("main"))),
        );
        assert!(lock < write && write < unlock, "{:?}", host.asked);
        let secret = host.asked.iter().position(|a| a.starts_with("secret Paste token for openai")).expect("asked");
        assert!(secret < lock, "asked before the lock: {:?}", host.asked);
        // The same paste again replaces it, and says so.
        host.secret = Some(Ok(Secret::new("sk-FAKE-EF")));
        let (done, _) = host.run(&mut paste("openai", None, None));
        assert_eq!(
            done.lines()[0].text,
            "Auth profile: openai:manual (openai/token), replaced the token stored before"
        );
    }

    #[test]
    fn a_credential_of_another_type_is_replaced_only_with_a_yes_or_force() {
        let key = json!({"type": "api_key", "provider": "openai", "key": "sk-FAKE-key"});
        let stored = json!({"version": 1, "profiles": {"openai:manual": key}});
        let run = |answer: Option<bool>, force: bool| {
            let mut host = Host::with_store(&stored);
            host.secret = Some(Ok(Secret::new("sk-FAKE-token")));
            host.answer = answer;
            let mut flow = paste("openai", None, None);
            if force {
                flow = PasteTokenCommand::new(
                    PasteTokenRequest { provider: "openai".into(), force: true, ..PasteTokenRequest::default() },
                    &env(),
                    NOW,
                );
            }
            let (done, _) = host.run(&mut flow);
            (host, done)
        };
        // No terminal to ask, or a no: refused before the token is read, the key kept.
        for answer in [None, Some(false)] {
            let (host, done) = run(answer, false);
            assert_eq!(done.exit, Exit::Action, "{done:?}");
            assert_eq!(
                done.lines()[0].text,
                "error: openai:manual holds an api_key; storing this token there would replace it, so nothing was \
                 stored"
            );
            assert!(done.lines()[1].text.contains("--force"), "{done:?}");
            assert!(
                host.asked.iter().any(|a| a == "confirm openai:manual holds an api_key. Replace it with the token?")
            );
            assert!(!host.asked.iter().any(|a| a.starts_with("secret") || a.starts_with("write")), "{:?}", host.asked);
            assert_eq!(host.store()["profiles"]["openai:manual"]["type"], "api_key");
        }
        // A yes, or --force without a question: replaced, and said.
        for (answer, force) in [(Some(true), false), (None, true)] {
            let (host, done) = run(answer, force);
            assert_eq!(done.exit, Exit::Ok, "{done:?}");
            let said = "Auth profile: openai:manual (openai/token), replaced the api_key stored before";
            assert_eq!(done.lines()[0].text, said);
            assert_eq!(host.store()["profiles"]["openai:manual"]["type"], "token");
            assert_eq!(host.asked.iter().any(|a| a.starts_with("confirm")), !force, "{:?}", host.asked);
        }
    }

    #[test]
    fn a_credential_of_another_type_that_appears_during_the_paste_is_not_replaced() {
        // Another process stores a key at the id after the look and before
        // the lock: the edit under the lock refuses to replace it.
        let mut host = host_pasting("sk-FAKE-token");
        let key = json!({"type": "api_key", "provider": "openai", "key": "sk-FAKE-key"});
        let (done, _) = host.run_with(
            &mut paste("openai", None, None),
            Box::new(move |effect, host| {
                if matches!(effect, Effect::Lock { .. }) && host.store()["profiles"].get("openai:manual").is_none() {
                    host.files.insert(
                        store_path("main"),
                        json!({"version": 1, "profiles": {"openai:manual": key.clone()}}).to_string(),
                    );
                }
            }),
        );
        assert_eq!(done.exit, Exit::Action, "{done:?}");
        assert!(done.lines()[0].text.contains("would replace it"), "{done:?}");
        assert_eq!(host.store()["profiles"]["openai:manual"]["type"], "api_key");
    }

    #[test]
    fn a_bad_token_writes_nothing_and_says_why_without_echoing_it() {
        for (secret, says) in [
            (Err(SecretError::NotText), "not UTF-8"),
            (Ok(Secret::new("sk-FAKE\u{1b}[2Jtail")), "control characters"),
            (Ok(Secret::new("sk-ant-api03-FAKEFAKE")), "API key"),
        ] {
            let mut host = host_pasting("");
            host.secret = Some(secret);
            let before = host.files.clone();
            let (done, _) = host.run(&mut paste("openai", None, None));
            assert_eq!(done.exit, Exit::Action, "{says}");
            assert!(done.lines()[0].text.contains(says), "{done:?}");
            assert!(!done.lines()[0].text.contains("FAKE"), "echoed: {done:?}");
            assert_eq!(host.files, before, "{says}: something was written");
        }
        let mut host = host_pasting("");
        host.secret = Some(Err(SecretError::Unreadable(crate::io::IoKind::Other { code: None })));
        let (done, _) = host.run(&mut paste("openai", None, None));
        assert_eq!(done.exit, Exit::Error);
        assert_eq!(done.lines()[0].text, "error: reading the token: Input/output error");
    }

    #[test]
    fn an_unreadable_store_is_never_written_and_the_paste_needs_a_person() {
        let mut host = host_pasting("sk-FAKE-1");
        host.files.insert(store_path("main"), "{\"version\": 1, \"profiles\": {".into());
        let (done, _) = host.run(&mut paste("openai", None, None));
        assert_eq!(done.exit, Exit::Action);
        assert!(done.lines()[0].text.contains("refusing to modify an unreadable store"), "{done:?}");
        assert!(!host.asked.iter().any(|a| a.starts_with("write")), "{:?}", host.asked);
    }
}
