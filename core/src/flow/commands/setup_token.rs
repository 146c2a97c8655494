//! `clawdbot models auth setup-token`, whole: the token asked for
//! ([`SetupTokenCommand`]), stored under the store lock, the load saved
//! (what the sync took, such as the login an older Claude Code stored),
//! the mode recorded in `clawdbot.json` ([`RecordMode`]), then the
//! profile's status line as `models status` prints it.

use super::drive::{Driven, Lines, Machine, Turn, advance, flow_of_driven};
use super::edit::EditStore;
use super::look::saved_notices;
use super::record_mode::RecordMode;
use super::settle::{Settle, Settled};
use super::{Answer, Done, Effect, Event, Exit, SetupOutcome, SetupRequest, SetupTokenCommand, Step};
use crate::load::Loaded;
use crate::paths::Env;
use crate::report::{self, ReportOptions};
use crate::store::{AuthStore, CredentialType, Profile};
use crate::time::Millis;

/// Where the profile goes, once the token is known.
struct Target {
    profile_id: String,
    mode: CredentialType,
    /// The store and config the store edit located (none for a synced login).
    at: Option<(String, String)>,
}

enum State {
    Ask(Box<SetupTokenCommand>),
    Store { target: Target, edit: Box<EditStore<'static>> },
    Settle { target: Target, settle: Box<Settle> },
    Record { target: Box<Target>, settled: Box<Settled>, record: Box<RecordMode> },
}

struct Setup {
    env: Env,
    agent: Option<String>,
    create_agent: bool,
    color: bool,
    /// Whether its loads may read the Keychain: only on a terminal, where
    /// someone can answer the prompt macOS may show.
    keychain: bool,
}

/// `models auth setup-token` as one flow.
pub struct SetupCommand {
    inner: Driven<Setup>,
}

impl SetupCommand {
    /// `--provider` as given (only Anthropic has a setup-token); `color`:
    /// standard output is a terminal.
    pub fn new(provider: &str, request: SetupRequest, color: bool, env: &Env, now: Millis) -> SetupCommand {
        let setup = Setup {
            env: env.clone(),
            agent: request.agent.clone(),
            create_agent: request.create_agent,
            color,
            keychain: request.terminal,
        };
        // The provider's own file says whether it has a setup-token.
        let inner = match crate::providers::find(provider).is_some_and(|p| p.setup_token.is_some()) {
            true => Driven::new(setup, State::Ask(Box::new(SetupTokenCommand::new(request, env, now))), now),
            false => Driven::ended(
                setup,
                Done::refused(
                    Exit::Action,
                    "Only --provider anthropic is supported for setup-token (uses `claude setup-token`).",
                ),
                now,
            ),
        };
        SetupCommand { inner }
    }
}

impl Setup {
    fn asked(&self, ask: &SetupTokenCommand, done: Done, now: Millis) -> Turn<State> {
        match ask.outcome().cloned() {
            Some(SetupOutcome::Store { profile_id, credential }) => {
                let id = profile_id.clone();
                let edit = move |store: &mut AuthStore, _: &Loaded| {
                    store.profiles.insert(id.clone(), Profile::new(*credential));
                };
                let edit = EditStore::new(&self.env, self.agent.as_deref(), now, Box::new(edit))
                    .reading_keychain(self.keychain)
                    .creating_agent(self.create_agent);
                let target = Target { profile_id, mode: CredentialType::Token, at: None };
                Turn::Go(State::Store { target, edit: Box::new(edit) })
            }
            // `oauth` accepts a stored token too, so the mode never filters
            // the refreshable login out (the reference's #855).
            Some(SetupOutcome::Synced) => {
                let profile_id = crate::sources::claude::PROFILE_ID.to_string();
                Turn::Go(self.settle(Target { profile_id, mode: CredentialType::OAuth, at: None }, now))
            }
            None => Turn::End(done),
        }
    }

    fn settle(&self, target: Target, now: Millis) -> State {
        let settle = Settle::new(&self.env, self.agent.as_deref(), now)
            .reading_keychain(self.keychain)
            .creating_agent(self.create_agent);
        State::Settle { target, settle: Box::new(settle) }
    }

    fn record(&self, target: Target, settled: Settled) -> State {
        let at = target.at.clone().unwrap_or_else(|| located(&settled.loaded));
        let record =
            RecordMode::new(&self.env, &at.0, &at.1, &target.profile_id, crate::providers::SETUP_TOKEN.id, target.mode);
        State::Record { target: Box::new(target), settled: Box::new(settled), record: Box::new(record) }
    }

    fn recorded(
        &self,
        target: &Target,
        settled: &Settled,
        recorded: Result<Vec<Event>, String>,
        out: &mut Lines,
    ) -> Turn<State> {
        match recorded {
            Ok(events) => out.extend(events.into_iter().map(Effect::Emit)),
            Err(why) => return Turn::End(Done::refused(Exit::Action, why)),
        }
        let loaded = &settled.loaded;
        out.extend(saved_notices(loaded, settled.save_error.as_deref()).into_iter().map(Effect::Emit));
        let report = report::build(loaded, &ReportOptions::default());
        let style = super::status::style(&loaded.env, self.color);
        let lines =
            report::profile_status_line(&report, &target.profile_id, style).map(Event::Report).into_iter().collect();
        Turn::End(Done::with(Exit::Ok, lines))
    }
}

/// The store and config a load located, for the edits that follow it.
fn located(loaded: &Loaded) -> (String, String) {
    (loaded.locations.store(), loaded.locations.config.clone())
}

impl Machine for Setup {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, out: &mut Lines) -> Turn<State> {
        match state {
            State::Ask(mut ask) => match advance(&mut *ask, input, now) {
                Step::Effect(e) => Turn::Ask(State::Ask(ask), e),
                Step::Ready(done) => self.asked(&ask, done, now),
            },
            State::Store { mut target, mut edit } => match advance(&mut *edit, input, now) {
                Step::Effect(e) => Turn::Ask(State::Store { target, edit }, e),
                Step::Ready(Ok(loaded)) => {
                    target.at = Some(located(&loaded));
                    Turn::Go(self.settle(target, now))
                }
                Step::Ready(Err(failure)) => Turn::End(failure.refusal()),
            },
            State::Settle { target, mut settle } => match advance(&mut *settle, input, now) {
                Step::Effect(e) => Turn::Ask(State::Settle { target, settle }, e),
                Step::Ready(settled) => Turn::Go(self.record(target, settled)),
            },
            State::Record { target, settled, mut record } => match advance(&mut *record, input, now) {
                Step::Effect(e) => Turn::Ask(State::Record { target, settled, record }, e),
                Step::Ready(recorded) => self.recorded(&target, &settled, recorded, out),
            },
        }
    }
}

flow_of_driven!(SetupCommand);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Stream;
    use crate::flow::script::{CONFIG, Host, NOW, env, store_path, text};
    use crate::secret::Secret;
    use serde_json::{Value, json};

    fn setup(provider: &str) -> SetupCommand {
        SetupCommand::new(provider, SetupRequest::default(), false, &env(), NOW)
    }

    #[test]
    fn only_anthropic_has_a_setup_token_and_nothing_is_asked_for_another() {
        let mut host = Host::default();
        let (done, _) = host.run(&mut setup("openai"));
        assert_eq!(done.exit, Exit::Action);
        assert!(done.lines()[0].text.contains("Only --provider anthropic"), "{done:?}");
        assert!(host.asked.is_empty());
    }

    #[test]
    fn the_token_is_stored_its_mode_recorded_and_its_status_line_printed() {
        let mut host = Host::with_store(&json!({"version": 1, "profiles": {}}));
        host.secret = Some(Ok(Secret::new(format!("sk-ant-oat01-{}", "A".repeat(80)))));
        let (done, printed) = host.run(&mut setup("Anthropic"));
        assert_eq!(done.exit, Exit::Ok, "{done:?} {printed:?}");
        assert_eq!(done.lines()[0].text, "- anthropic:default ok expires in 365d");
        assert_eq!(host.store()["profiles"]["anthropic:default"]["type"], "token");
        let config: Value = serde_json::from_str(&host.files[CONFIG]).expect("config written");
        assert_eq!(config["auth"]["profiles"]["anthropic:default"]["mode"], "token");
        assert!(text(&printed, Stream::Stdout).contains("Updated ~/.clawdbot/clawdbot.json"), "{printed:?}");
        let writes: Vec<&String> = host.asked.iter().filter(|a| a.starts_with("write")).collect();
        assert_eq!(writes, [&format!("write {}", store_path("main")), &format!("write {CONFIG}")]);
    }
}
