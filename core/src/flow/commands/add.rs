//! `clawdbot models auth add`: asks for the provider, the profile id and
//! the expiry on the terminal, then runs `paste-token` with the answers.
//! Scripts use `paste-token` itself: without a terminal nothing is asked.

use super::DEFAULT_EXPIRES_IN;
use super::drive::{Driven, Lines, Machine, Turn, advance, flow_of_driven};
use super::look::Look;
use super::paste_token::{self, Paste, PasteTokenRequest};
use super::{Answer, Done, Effect, Exit, Reply, Step};
use crate::duration::DurationFlag;
use crate::escape::escape_control;
use crate::paths::Env;
use crate::provider::normalize;
use crate::time::Millis;

/// What `models auth add` was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddRequest {
    /// The agent (`None`: the default agent).
    pub agent: Option<String>,
    /// `--create-agent`: make the agent when it does not exist yet (else
    /// an agent no config lists and no folder holds is refused).
    pub create_agent: bool,
    /// Whether standard input is a terminal (the host knows).
    pub terminal: bool,
}

/// One question and the answer used when none is typed.
struct Question {
    text: String,
    default: String,
}

enum State {
    /// `--agent` names an agent that exists (or `--create-agent`): looked
    /// at before the first question, so a typo is not found after them.
    Agent(Box<Look>),
    Provider,
    ProfileId {
        provider: String,
    },
    Expires {
        provider: String,
        profile_id: String,
    },
    ExpiresIn {
        provider: String,
        profile_id: String,
    },
    Paste(Box<Driven<Paste>>),
}

struct Add {
    env: Env,
    agent: Option<String>,
    create_agent: bool,
}

/// `models auth add` as a flow.
pub struct AddCommand {
    inner: Driven<Add>,
}

impl AddCommand {
    /// The command as asked, at `now`.
    pub fn new(request: AddRequest, env: &Env, now: Millis) -> AddCommand {
        let first = match request.agent.as_deref() {
            Some(agent) => State::Agent(Box::new(Look::new(env, Some(agent)).creating_agent(request.create_agent))),
            None => State::Provider,
        };
        let add = Add { env: env.clone(), agent: request.agent, create_agent: request.create_agent };
        let inner = match request.terminal {
            true => Driven::start(add, first, env, now),
            false => Driven::ended(
                add,
                Done::refused(
                    Exit::Usage,
                    "`models auth add` is interactive; use `models auth paste-token` from scripts.",
                ),
                now,
            ),
        };
        AddCommand { inner }
    }
}

impl Add {
    /// Asks `question` in `state`, or takes its answer (trimmed; the
    /// default when empty) and goes on with `then`.
    fn ask(
        &self,
        question: Question,
        input: Option<Answer>,
        state: State,
        then: impl FnOnce(String) -> Turn<State>,
    ) -> Turn<State> {
        match input {
            Some(Answer::Text(Ok(line))) => {
                let answer = line.trim();
                then(if answer.is_empty() { question.default } else { answer.to_string() })
            }
            Some(Answer::Text(Err(why))) => Turn::End(Done::refused(Exit::Error, format!("reading an answer: {why}"))),
            _ => {
                let prompt = format!("{} [{}]: ", escape_control(&question.text), escape_control(&question.default));
                Turn::Ask(state, Effect::AskLine { prompt, reply: Reply::new() })
            }
        }
    }

    fn paste(&self, provider: String, profile_id: String, expires_in: Option<String>, now: Millis) -> Turn<State> {
        let request = PasteTokenRequest {
            provider,
            profile_id: Some(profile_id),
            expires_in,
            agent: self.agent.clone(),
            force: false,
            create_agent: self.create_agent,
        };
        Turn::Go(State::Paste(Box::new(paste_token::start(request, &self.env, now))))
    }
}

impl Machine for Add {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, _out: &mut Lines) -> Turn<State> {
        match state {
            State::Agent(mut look) => match advance(&mut *look, input, now) {
                Step::Effect(e) => Turn::Ask(State::Agent(look), e),
                Step::Ready(_) => Turn::Go(State::Provider),
            },
            State::Provider => {
                let question = Question { text: "Provider".into(), default: crate::providers::DEFAULT.id.into() };
                self.ask(question, input, State::Provider, |answer| {
                    Turn::Go(State::ProfileId { provider: normalize(&answer) })
                })
            }
            State::ProfileId { provider } => {
                let question = Question { text: "Profile id".into(), default: format!("{provider}:manual") };
                let state = State::ProfileId { provider: provider.clone() };
                self.ask(question, input, state, |profile_id| Turn::Go(State::Expires { provider, profile_id }))
            }
            State::Expires { provider, profile_id } => {
                let question = Question { text: "Does this token expire? (y/N)".into(), default: "n".into() };
                let state = State::Expires { provider: provider.clone(), profile_id: profile_id.clone() };
                self.ask(question, input, state, |answer| match answer.to_lowercase().as_str() {
                    "y" | "yes" => Turn::Go(State::ExpiresIn { provider, profile_id }),
                    _ => self.paste(provider, profile_id, None, now),
                })
            }
            State::ExpiresIn { provider, profile_id } => {
                // The unit of a bare number, as `--expires-in`'s help says it.
                let units = DurationFlag::ExpiresIn.help();
                let question = Question { text: format!("Expires in ({units})"), default: DEFAULT_EXPIRES_IN.into() };
                let state = State::ExpiresIn { provider: provider.clone(), profile_id: profile_id.clone() };
                self.ask(question, input, state, |expires| self.paste(provider, profile_id, Some(expires), now))
            }
            State::Paste(mut paste) => match advance(&mut *paste, input, now) {
                Step::Effect(e) => Turn::Ask(State::Paste(paste), e),
                Step::Ready(done) => Turn::End(done),
            },
        }
    }
}

flow_of_driven!(AddCommand);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::script::{Host, NOW, env, first_error};
    use crate::secret::Secret;
    use serde_json::json;

    fn add(terminal: bool) -> AddCommand {
        AddCommand::new(AddRequest { agent: None, create_agent: false, terminal }, &env(), NOW)
    }

    #[test]
    fn without_a_terminal_add_points_to_paste_token_and_asks_nothing() {
        let mut host = Host::default();
        let (done, _) = host.run(&mut add(false));
        assert_eq!(done.exit, Exit::Usage);
        assert!(done.lines()[0].text.contains("use `models auth paste-token` from scripts"), "{done:?}");
        assert!(host.asked.is_empty());
    }

    #[test]
    fn the_answers_and_their_defaults_make_the_paste() {
        let mut host = Host::with_store(&json!({"version": 1, "profiles": {}}));
        host.lines = [Ok(" Z.AI ".into()), Ok(String::new()), Ok("Yes".into()), Ok("12h".into())].into();
        host.secret = Some(Ok(Secret::new("sk-FAKE-zai")));
        let (done, _) = host.run(&mut add(true));
        assert_eq!(done.exit, Exit::Ok, "{done:?}");
        let asks: Vec<&str> = host.asked.iter().filter(|a| a.starts_with("ask ")).map(String::as_str).collect();
        assert_eq!(
            asks,
            [
                "ask Provider [anthropic]: ",
                "ask Profile id [zai:manual]: ",
                "ask Does this token expire? (y/N) [n]: ",
                "ask Expires in (a number with ms, s, m, h or d; a bare number is days) [365d]: "
            ]
        );
        let profile = &host.store()["profiles"]["zai:manual"];
        assert_eq!(profile["token"], "sk-FAKE-zai");
        assert_eq!(profile["expires"], NOW + 12 * 3_600_000);
        // No expiry unless asked for; an unreadable answer ends it.
        host.lines = [Ok(String::new()), Ok("anthropic:work".into()), Ok("n".into())].into();
        host.secret = Some(Ok(Secret::new("sk-ant-oat01-FAKE")));
        let (done, _) = host.run(&mut add(true));
        assert_eq!(done.exit, Exit::Ok, "{done:?}");
        assert!(host.store()["profiles"]["anthropic:work"].get("expires").is_none());
        host.lines = [Err(crate::io::IoKind::Other { code: None })].into();
        let (done, _) = host.run(&mut add(true));
        assert_eq!((done.exit, first_error(&done)), (Exit::Error, "reading an answer: Input/output error"));
    }

    /// `--agent` with a name no config lists and no folder holds is refused
    /// before the first question (issue 22): the operator does not answer
    /// three questions and paste a secret to learn of a typo. With
    /// `--create-agent` the questions come.
    #[test]
    fn an_unknown_agent_is_refused_before_anything_is_asked() {
        let run = |create_agent: bool| {
            let mut host = Host::with_store(&json!({"version": 1, "profiles": {}}));
            host.lines = [Ok(String::new()), Ok(String::new()), Ok("n".into())].into();
            host.secret = Some(Ok(Secret::new("sk-ant-oat01-FAKE")));
            let request = AddRequest { agent: Some("typo".into()), create_agent, terminal: true };
            let (done, _) = host.run(&mut AddCommand::new(request, &env(), NOW));
            (done, host.asked)
        };
        let (done, asked) = run(false);
        assert_eq!(done.exit, Exit::Action, "{done:?}");
        assert!(first_error(&done).starts_with("no agent named `typo`"), "{done:?}");
        assert!(!asked.iter().any(|a| a.starts_with("ask ") || a.starts_with("secret")), "{asked:?}");
        let (done, asked) = run(true);
        assert_eq!(done.exit, Exit::Ok, "{done:?}");
        assert!(asked.iter().any(|a| a.starts_with("ask Provider")), "{asked:?}");
    }
}
