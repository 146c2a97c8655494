//! `models auth setup-token`: a long-lived Anthropic token, the way today's
//! Claude Code hands it out (issue 12 item 1).
//!
//! Current Claude Code's `claude setup-token` prints a one-year token and
//! stores nothing, so waiting for a synced `anthropic:claude-cli` (what
//! this command used to do) can never succeed. The flow:
//!
//! - on a terminal, run `claude setup-token` there ([`Effect::RunOnTerminal`];
//!   a host without `claude` on its PATH answers "not found" and the flow
//!   goes straight to the prompt). If a fresh `anthropic:claude-cli` login
//!   appeared meanwhile (older Claude Code stored one), that is the result;
//! - otherwise ask for the token without echo ([`Effect::AskSecret`]; with
//!   no terminal the host reads standard input, and nothing is run);
//! - check it ([`check_setup_token`]: the `sk-ant-oat01-` form, no
//!   whitespace inside, not an API key nor a refresh token, each said);
//! - end with what to store: a `token` credential of provider `anthropic`
//!   under `anthropic:default` (or `--profile-id`), expiring after
//!   `--expires-in` (365 days unless given). The host stores it under the
//!   store lock with the store-edit flow, records the mode in
//!   `clawdbot.json` as `paste-token` does, and prints the profile's status
//!   line ([`crate::report::profile_status_line`]).

use super::drive::{Driven, Lines, Machine, Turn, advance, emit, flow_of_driven};
use super::look::Look;
use super::{Answer, Done, Effect, Event, Exit, Reply, RunAnswer, Step};
use crate::health::{HealthStatus, profile_health};
use crate::paste::PasteTarget;
use crate::paths::Env;
use crate::setup_token::check_setup_token;
use crate::sources::claude;
use crate::store::Credential;
use crate::time::Millis;

/// The provider `models auth setup-token` stores a token of (the registry
/// says which).
pub const SETUP_TOKEN_PROVIDER: &str = crate::providers::SETUP_TOKEN.id;
/// The profile a setup-token goes to unless `--profile-id` says otherwise.
pub const DEFAULT_PROFILE_ID: &str = match crate::providers::SETUP_TOKEN.setup_token {
    Some(id) => id,
    None => panic!("the setup-token provider names no profile"),
};
/// How long a setup-token lives unless `--expires-in` says otherwise
/// (what `claude setup-token` issues).
pub const DEFAULT_EXPIRES_IN: &str = "365d";

/// What `models auth setup-token` was asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetupRequest {
    /// `--profile-id` (default [`DEFAULT_PROFILE_ID`]).
    pub profile_id: Option<String>,
    /// `--expires-in` (default [`DEFAULT_EXPIRES_IN`]).
    pub expires_in: Option<String>,
    /// `--agent`.
    pub agent: Option<String>,
    /// `--create-agent`: make the agent when it does not exist yet (else
    /// an agent no config lists and no folder holds is refused).
    pub create_agent: bool,
    /// Whether standard input is a terminal (the host knows).
    pub terminal: bool,
}

/// What the flow decided.
#[derive(Debug, Clone, PartialEq)]
pub enum SetupOutcome {
    /// Store this `token` credential as `profile_id`, mode `token`.
    Store {
        /// Where it goes.
        profile_id: String,
        /// The checked token, with its expiry.
        credential: Box<Credential>,
    },
    /// Claude Code stored a fresh login itself: `anthropic:claude-cli`.
    Synced,
}

enum State {
    Start,
    LookBefore(Box<Look>),
    Run { before: Option<Credential> },
    LookAfter { look: Box<Look>, before: Option<Credential> },
    Ask,
}

/// The setup-token command as a flow; [`SetupTokenCommand::outcome`] holds
/// what to store once it is done.
pub struct SetupTokenCommand {
    inner: Driven<SetupToken>,
}

/// What the command keeps besides where it is.
struct SetupToken {
    request: SetupRequest,
    env: Env,
    now: Millis,
    target: Option<PasteTarget>,
    outcome: Option<SetupOutcome>,
}

fn refused(message: impl Into<String>) -> Turn<State> {
    Turn::End(Done::refused(Exit::Action, message))
}

/// A refusal for `error`, with its remedies.
fn refused_with_hints(error: crate::Error) -> Turn<State> {
    Turn::End(Done::refusing(Exit::Action, &error))
}

impl SetupTokenCommand {
    /// A setup-token for `request`, at `now`, in `env`.
    pub fn new(request: SetupRequest, env: &Env, now: Millis) -> SetupTokenCommand {
        let setup = SetupToken { request, env: env.clone(), now, target: None, outcome: None };
        SetupTokenCommand { inner: Driven::new(setup, State::Start, now) }
    }

    /// What to store, once the flow ended with [`Exit::Ok`].
    pub fn outcome(&self) -> Option<&SetupOutcome> {
        self.inner.machine.outcome.as_ref()
    }
}

impl SetupToken {
    /// The credential `anthropic:claude-cli` holds in a look.
    fn claude_login(loaded: &crate::load::Loaded) -> Option<Credential> {
        loaded.store.credential(claude::PROFILE_ID).cloned()
    }

    /// A login Claude Code stored during the run: new or changed, and usable.
    fn fresh(&self, before: &Option<Credential>, loaded: &crate::load::Loaded) -> bool {
        let Some(profile) = loaded.store.profile(claude::PROFILE_ID) else { return false };
        if before.as_ref() == Some(&profile.credential) {
            return false;
        }
        let health = profile_health(&loaded.config.config, claude::PROFILE_ID, profile, self.now, 0);
        !matches!(health.status, HealthStatus::Expired | HealthStatus::Missing)
    }

    fn accept(&mut self, raw: &str) -> Turn<State> {
        let Some(target) = self.target.clone() else { return refused("internal: no target") };
        let token = match check_setup_token(raw) {
            Ok(token) => token,
            Err(e) => return refused_with_hints(e.into()),
        };
        match target.accept(token.as_bytes()) {
            Ok(accepted) => {
                self.outcome = Some(SetupOutcome::Store {
                    profile_id: target.profile_id.clone(),
                    credential: Box::new(accepted.credential),
                });
                Turn::End(Done::quiet(Exit::Ok))
            }
            Err(e) => refused_with_hints(e.into()),
        }
    }

    /// A look at Claude Code's login, which reads its Keychain item only
    /// with someone at the terminal to answer the prompt.
    fn look(&self) -> Look {
        Look::new(&self.env, self.request.agent.as_deref())
            .reading_keychain(self.request.terminal)
            .creating_agent(self.request.create_agent)
    }

    fn start(&mut self) -> Turn<State> {
        let id = self.request.profile_id.as_deref().unwrap_or(DEFAULT_PROFILE_ID);
        let expires = self.request.expires_in.as_deref().unwrap_or(DEFAULT_EXPIRES_IN);
        match PasteTarget::new(SETUP_TOKEN_PROVIDER, Some(id), Some(expires), self.now) {
            Ok(target) => {
                self.target = Some(target);
                Turn::Go(match self.request.terminal {
                    true => State::LookBefore(Box::new(self.look())),
                    false => State::Ask,
                })
            }
            Err(e) if e.is_usage() => Turn::End(Done::refused(Exit::Usage, e.to_string())),
            Err(e) => refused(e.to_string()),
        }
    }
}

impl Machine for SetupToken {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, out: &mut Lines) -> Turn<State> {
        self.now = now;
        match state {
            State::Start => self.start(),
            State::LookBefore(mut look) => match advance(&mut *look, input, now) {
                Step::Effect(e) => Turn::Ask(State::LookBefore(look), e),
                Step::Ready(looked) => Turn::Go(State::Run { before: Self::claude_login(&looked.loaded) }),
            },
            State::Run { before } => match input {
                None => {
                    let effect = Effect::RunOnTerminal {
                        program: "claude".into(),
                        args: vec!["setup-token".into()],
                        reply: Reply::new(),
                    };
                    Turn::Ask(State::Run { before }, effect)
                }
                Some(Answer::Ran(RunAnswer::Exited(0))) => {
                    Turn::Go(State::LookAfter { look: Box::new(self.look()), before })
                }
                Some(Answer::Ran(RunAnswer::NotFound)) => {
                    let note = "`claude` is not on PATH; paste a token made with `claude setup-token` \
                                on a machine where you can log in";
                    emit(out, Event::note(note));
                    Turn::Go(State::Ask)
                }
                Some(Answer::Ran(RunAnswer::Exited(code))) => {
                    refused(format!("`claude setup-token` failed (exit {code}); nothing was stored"))
                }
                Some(Answer::Ran(RunAnswer::Failed(why))) => {
                    Turn::End(Done::refused(Exit::Error, format!("could not run `claude setup-token`: {why}")))
                }
                Some(Answer::Ran(RunAnswer::Killed { .. })) => Turn::End(Done::refused(
                    Exit::Error,
                    "could not run `claude setup-token`: `claude` was killed by a signal",
                )),
                Some(_) => refused("internal: unexpected answer to running claude"),
            },
            State::LookAfter { mut look, before } => match advance(&mut *look, input, now) {
                Step::Effect(e) => Turn::Ask(State::LookAfter { look, before }, e),
                Step::Ready(looked) if self.fresh(&before, &looked.loaded) => {
                    self.outcome = Some(SetupOutcome::Synced);
                    Turn::End(Done::quiet(Exit::Ok))
                }
                Step::Ready(_) => Turn::Go(State::Ask),
            },
            State::Ask => match input {
                None => {
                    let effect = Effect::AskSecret {
                        prompt: "Paste the token `claude setup-token` printed".into(),
                        reply: Reply::new(),
                    };
                    Turn::Ask(State::Ask, effect)
                }
                Some(Answer::Secret(Ok(secret))) => self.accept(secret.expose()),
                Some(Answer::Secret(Err(why))) => {
                    Turn::End(Done::refused(Exit::Error, format!("could not read the token: {why}")))
                }
                Some(_) => refused("internal: unexpected answer to the prompt"),
            },
        }
    }
}

flow_of_driven!(SetupTokenCommand);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::SecretError;
    use crate::flow::script::Host;
    use crate::io::IoKind;
    use std::collections::BTreeMap;

    const NOW: Millis = 1_767_225_600_000;
    const CLAUDE_FILE: &str = "/h/.claude/.credentials.json";

    fn token() -> String {
        format!("sk-ant-oat01-{}", "A".repeat(80))
    }

    /// Drives the flow on the scripted host: `ran` for the run of claude
    /// (which may leave `after_run` behind), `secret` for the prompt. What
    /// it ran, asked and said, in order.
    fn drive(
        terminal: bool,
        files: &mut BTreeMap<String, String>,
        ran: RunAnswer,
        after_run: Option<(&str, String)>,
        secret: Result<&str, SecretError>,
    ) -> (SetupTokenCommand, Done, Vec<String>) {
        let request = SetupRequest { terminal, ..SetupRequest::default() };
        let mut flow = SetupTokenCommand::new(request, &Env::new("/h"), NOW);
        let mut host = Host {
            files: std::mem::take(files),
            ran: Some(ran),
            leaves: after_run.map(|(path, text)| (path.to_string(), text)),
            secret: Some(secret.map(crate::secret::Secret::new)),
            ..Host::default()
        };
        let (done, printed) = host.run(&mut flow);
        let mut printed = printed.into_iter().map(|l| l.text);
        // The run and the prompt, with what was said between them.
        let mut seen = Vec::new();
        for asked in &host.asked {
            if asked.starts_with("run ") {
                seen.push(asked.clone());
                seen.extend(printed.by_ref());
            } else if asked.starts_with("secret ") {
                seen.push("ask".to_string());
            }
        }
        seen.extend(printed);
        *files = host.files;
        (flow, done, seen)
    }

    #[test]
    fn on_a_terminal_it_runs_claude_then_asks_for_the_printed_token() {
        let (flow, done, seen) = drive(true, &mut BTreeMap::new(), RunAnswer::Exited(0), None, Ok(&token()));
        assert_eq!(seen, ["run claude setup-token", "ask"]);
        assert_eq!(done.exit, Exit::Ok);
        let Some(SetupOutcome::Store { profile_id, credential }) = flow.outcome() else { panic!("no outcome") };
        assert_eq!(profile_id, DEFAULT_PROFILE_ID);
        let Credential::Token(t) = credential.as_ref() else { panic!("not a token") };
        assert_eq!(t.provider, "anthropic");
        assert_eq!(t.expires.as_ref().map(|e| e.ms()), Some((NOW + 365 * 86_400_000) as f64));
    }

    #[test]
    fn without_a_terminal_it_runs_nothing_and_reads_the_token() {
        let (flow, done, seen) =
            drive(false, &mut BTreeMap::new(), RunAnswer::Exited(0), None, Ok(&format!("{}\n", token())));
        assert_eq!(seen, ["ask"], "nothing is run without a terminal");
        assert_eq!(done.exit, Exit::Ok);
        assert!(matches!(flow.outcome(), Some(SetupOutcome::Store { .. })));
    }

    #[test]
    fn without_claude_on_path_it_says_so_and_asks() {
        let (_, done, seen) = drive(true, &mut BTreeMap::new(), RunAnswer::NotFound, None, Ok(&token()));
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert!(seen[1].contains("`claude` is not on PATH"), "{seen:?}");
        assert_eq!(done.exit, Exit::Ok);
    }

    #[test]
    fn a_fresh_login_stored_by_an_older_claude_code_is_accepted() {
        let login = format!(
            r#"{{"claudeAiOauth":{{"accessToken":"sk-ant-oat01-FAKE","refreshToken":"sk-ant-ort01-FAKE","expiresAt":{}}}}}"#,
            NOW + 8 * 3_600_000
        );
        let (flow, done, seen) =
            drive(true, &mut BTreeMap::new(), RunAnswer::Exited(0), Some((CLAUDE_FILE, login)), Ok("unused"));
        assert_eq!(seen, ["run claude setup-token"], "no prompt when Claude Code stored the login");
        assert_eq!((done.exit, flow.outcome()), (Exit::Ok, Some(&SetupOutcome::Synced)));
    }

    #[test]
    fn a_wrong_value_or_a_failed_run_stores_nothing_and_says_why() {
        let (flow, done, _) = drive(false, &mut BTreeMap::new(), RunAnswer::Exited(0), None, Ok("sk-ant-api03-FAKE"));
        assert_eq!((done.exit, flow.outcome()), (Exit::Action, None));
        assert!(done.lines()[0].text.contains("API key"), "{:?}", done.lines());
        let (flow, done, _) = drive(true, &mut BTreeMap::new(), RunAnswer::Exited(1), None, Ok(&token()));
        assert_eq!((done.exit, flow.outcome()), (Exit::Action, None));
        assert!(done.lines()[0].text.contains("failed (exit 1)"), "{:?}", done.lines());
    }

    #[test]
    fn a_token_that_could_not_be_read_stores_nothing_and_says_why() {
        for (why, said) in [
            (SecretError::NotText, "error: could not read the token: the token is not text"),
            (
                SecretError::Unreadable(IoKind::Other { code: Some(5) }),
                "error: could not read the token: Input/output error (os error 5)",
            ),
        ] {
            let (flow, done, _) = drive(false, &mut BTreeMap::new(), RunAnswer::Exited(0), None, Err(why));
            assert_eq!((done.exit, flow.outcome()), (Exit::Error, None));
            assert_eq!(done.lines()[0].text, said);
        }
    }
}
