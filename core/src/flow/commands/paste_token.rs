//! `clawdbot models auth paste-token --provider P [--profile-id ID]
//! [--expires-in D]`: stores a pasted token as a `token` profile.
//!
//! Where the token goes is checked before it is asked for
//! ([`PasteTarget`]); the host reads it (a prompt without echo, or
//! standard input, never argv) and the core judges the bytes. Then one
//! locked edit of the store (a paste under a removed synced login's id
//! lets the sync bring it back), and the profile's mode recorded in the
//! config ([`RecordMode`]). The token is never printed.

use super::drive::{Driven, Lines, Machine, Turn, advance, emit, flow_of_driven};
use super::edit::EditStore;
use super::record_mode::RecordMode;
use super::{Answer, Done, Effect, Event, Exit, Reply, SecretError, Step};
use crate::error::TxnFailure;
use crate::escape::escape_control;
use crate::load::Loaded;
use crate::paste::{PasteError, PasteTarget};
use crate::paths::Env;
use crate::store::{AuthStore, CredentialType, Profile};
use crate::time::Millis;
use std::cell::Cell;
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
}

pub(crate) enum State {
    Ask,
    Edit(Box<EditStore<'static>>),
    Record { record: Box<RecordMode> },
}

pub(crate) struct Paste {
    env: Env,
    agent: Option<String>,
    create_agent: bool,
    target: PasteTarget,
    replaced: Rc<Cell<bool>>,
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
}

/// The paste as a driven machine, or the refusal of its target.
pub(crate) fn start(request: PasteTokenRequest, env: &Env, now: Millis) -> Driven<Paste> {
    let target = PasteTarget::new(&request.provider, request.profile_id.as_deref(), request.expires_in.as_deref(), now);
    let (target, state) = match target {
        Ok(target) => (target, Ok(State::Ask)),
        Err(e) => (PasteTarget { provider: String::new(), profile_id: String::new(), expires_ms: None }, Err(e)),
    };
    let paste = Paste {
        env: env.clone(),
        agent: request.agent,
        create_agent: request.create_agent,
        target,
        replaced: Rc::default(),
    };
    match state {
        Ok(state) => Driven::new(paste, state, now),
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
        let (id, credential, replaced) =
            (self.target.profile_id.clone(), accepted.credential, Rc::clone(&self.replaced));
        let edit = move |store: &mut AuthStore, _: &Loaded| {
            replaced.set(store.profiles.insert(id.clone(), Profile::new(credential)).is_some());
            // A paste under a removed synced login's id re-adds it.
            crate::sync::enable_sync(store, &id);
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
        let verb = if self.replaced.get() { "replaced the one stored before" } else { "added" };
        let (id, provider) = (&self.target.profile_id, &self.target.provider);
        let said = Event::Output(format!("Auth profile: {id} ({provider}/token), {verb}"));
        Turn::End(Done::with(Exit::Ok, vec![said]))
    }
}

impl Machine for Paste {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, out: &mut Lines) -> Turn<State> {
        match state {
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
        assert!(host.asked[0].starts_with("secret Paste token for openai"), "asked first: {:?}", host.asked);
        // The same paste again replaces it, and says so.
        host.secret = Some(Ok(Secret::new("sk-FAKE-EF")));
        let (done, _) = host.run(&mut paste("openai", None, None));
        assert_eq!(done.lines()[0].text, "Auth profile: openai:manual (openai/token), replaced the one stored before");
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
