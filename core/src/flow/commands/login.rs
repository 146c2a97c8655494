//! `clawdbot models auth login --provider P [--device-code]
//! [--profile-id ID] [--enterprise-domain HOST] [--force] [--set-default]`
//! and `login-github-copilot`: a login of our own, stored under the store
//! lock like any paste (issue 25).
//!
//! Like a paste it looks at the id first ([`Claim`]): a credential of
//! another type there (a pasted key, a setup-token) is replaced only with
//! a yes or `--force`, asked before any request is sent, and the store
//! edit applies the same rule under the lock ([`PasteTarget::place`]).
//!
//! Which login, which requests and how each answer reads are the rules'
//! (`rules/login.rs`); this flow only sequences them: ask for a device
//! code, show it, wait and poll until it is entered (or the deadline),
//! exchange, and store. The browser login takes the host's random bytes
//! for its PKCE values, listens for the redirect on the loopback port or
//! asks for it to be pasted. Anthropic's login is Claude Code's own, run
//! on the terminal and synced. Nothing is stored unless the login
//! completed; no token, code or verifier is ever said.

use super::claim::Claim;
use super::drive::{Driven, Lines, Machine, Turn, advance, emit, flow_of_driven};
use super::edit::EditStore;
use super::record_mode::RecordMode;
use super::settle::Settle;
use super::{Answer, Callback, Done, Effect, Event, Exit, HttpTimeouts, RandomBytes, Reply, RunAnswer, Step};
use crate::error::TxnFailure;
use crate::http::{HttpRequest, HttpResponse};
use crate::load::Loaded;
use crate::login::{self, DeviceCode, LoginError, LoginStep, Method, Pkce, Plan, Polled, Servers};
use crate::paste::{PasteError, PasteTarget, Placed};
use crate::paths::Env;
use crate::providers::{DeviceGrant, OAuthLogin, RefreshProvider};
use crate::refresh::{Endpoints, Outcome};
use crate::secret::Secret;
use crate::store::{AuthStore, Credential, CredentialType, Profile};
use crate::time::{MINUTE, Millis};
use std::cell::RefCell;
use std::rc::Rc;

/// How long the browser login listens for its redirect.
pub const CALLBACK_WAIT_MS: Millis = 10 * MINUTE;

/// What `models auth login` was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginRequest {
    /// `--provider`, in any spelling.
    pub provider: String,
    /// `--device-code`: log in with a code entered on another device.
    pub device_code: bool,
    /// `--profile-id` (default `<provider>:default`).
    pub profile_id: Option<String>,
    /// `--enterprise-domain` (GitHub Enterprise, `*.ghe.com`).
    pub enterprise_domain: Option<String>,
    /// The agent (`None`: the default agent).
    pub agent: Option<String>,
    /// `--create-agent`: make the agent `agent` names when it is unknown.
    pub create_agent: bool,
    /// `--force`: replace a credential of another type at the id without
    /// asking.
    pub force: bool,
    /// `--set-default`: make the provider's login model
    /// (`ProviderSpec::login_model`) the default agent model.
    pub set_default: bool,
    /// Standard input is a terminal (someone can be asked).
    pub terminal: bool,
    /// This host has a graphical display (macOS, or `DISPLAY` /
    /// `WAYLAND_DISPLAY` elsewhere): the host's fact. Over SSH (any of
    /// [`SSH_VARS`] set) a browser here is not assumed either way.
    pub display: bool,
}

/// The provider `login-github-copilot` logs in to (the reference's alias).
pub const COPILOT_PROVIDER: &str = crate::providers::LOGIN_ALIAS.id;

/// Variables that say the operator is on another machine (SSH), where
/// a browser cannot reach this host's loopback redirect.
pub const SSH_VARS: [&str; 3] = ["SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"];

/// The name a login's profile takes when `--profile-id` is not given.
pub const DEFAULT_PROFILE_NAME: &str = crate::paste::LOGIN_NAME;

pub(crate) enum State {
    Claim(Box<Claim>),
    Start,
    DeviceCode,
    Poll(Box<DeviceCode>),
    Wait(Box<DeviceCode>),
    Exchange,
    Copilot {
        profile: Box<Profile>,
        plan: Box<crate::refresh::Plan>,
    },
    Random,
    Listen(Box<Pkce>),
    Respond {
        code: Result<Secret, LoginError>,
        pkce: Box<Pkce>,
    },
    Paste(Box<Pkce>),
    Run,
    Sync(Box<Settle>),
    Store(Box<EditStore<'static>>),
    /// The config write, and the line that says what was stored.
    Record {
        record: Box<RecordMode>,
        said: String,
    },
}

pub(crate) struct Login {
    env: Env,
    agent: Option<String>,
    create_agent: bool,
    terminal: bool,
    local_browser: bool,
    plan: Plan,
    target: PasteTarget,
    timeouts: HttpTimeouts,
    /// A credential of another type at the id may be replaced.
    replace_other: bool,
    /// The model to make the default, when `--set-default` asked.
    default_model: Option<&'static str>,
    /// What the store edit did: placed, or why not.
    placed: Rc<RefCell<Option<Result<Placed, PasteError>>>>,
}

/// `models auth login` as a flow.
pub struct LoginCommand {
    inner: Driven<Login>,
}

impl LoginCommand {
    /// The login as asked, at `now`; a refused command line ends it before
    /// anything is sent.
    pub fn new(request: LoginRequest, env: &Env, now: Millis) -> LoginCommand {
        let endpoints = Endpoints::from_env(env.vars.iter());
        let planned =
            login::plan(&request.provider, request.device_code, request.enterprise_domain.as_deref(), &endpoints);
        let plan = match planned {
            Ok(plan) => plan,
            Err(e) => return LoginCommand { inner: Driven::ended(empty(env), refusal(&e), now) },
        };
        let spec = match &plan {
            Plan::OAuth { provider, .. } => provider.spec(),
            Plan::Delegated { provider, .. } => *provider,
        };
        let target = match PasteTarget::login(spec.id, request.profile_id.as_deref()) {
            Ok(target) => target,
            Err(e) => {
                let exit = if e.is_usage() { Exit::Usage } else { Exit::Action };
                return LoginCommand { inner: Driven::ended(empty(env), Done::refusing(exit, &e.into()), now) };
            }
        };
        let first = match &plan {
            // The sync stores Claude Code's login under its own id.
            Plan::Delegated { .. } => State::Start,
            Plan::OAuth { .. } => {
                let claim = Claim::new(env, request.agent.as_deref(), &target, request.force)
                    .creating_agent(request.create_agent);
                State::Claim(Box::new(claim))
            }
        };
        let machine = Login {
            env: env.clone(),
            agent: request.agent,
            create_agent: request.create_agent,
            terminal: request.terminal,
            local_browser: request.display && !SSH_VARS.iter().any(|v| env.get(v).is_some()),
            plan,
            target,
            timeouts: HttpTimeouts::from_env(env),
            replace_other: false,
            default_model: if request.set_default { spec.login_model } else { None },
            placed: Rc::default(),
        };
        LoginCommand { inner: Driven::start(machine, first, env, now) }
    }
}

/// A machine for a login that never starts.
fn empty(env: &Env) -> Login {
    Login {
        env: env.clone(),
        agent: None,
        create_agent: false,
        terminal: false,
        local_browser: false,
        plan: Plan::Delegated { provider: crate::providers::DEFAULT, program: "", args: &[] },
        target: PasteTarget {
            provider: String::new(),
            profile_id: String::new(),
            expires_ms: None,
            kind: CredentialType::OAuth,
        },
        timeouts: HttpTimeouts::from_env(env),
        replace_other: false,
        default_model: None,
        placed: Rc::default(),
    }
}

/// How a failed login ends: a wrong command line is 64; what a person
/// must act on (a refusal, a denial, an expired code, a wrong redirect)
/// is 1; a server or network that did not answer as it should is 3.
fn refusal(e: &LoginError) -> Done {
    let exit = if e.is_usage() {
        Exit::Usage
    } else if e.needs_person() {
        Exit::Action
    } else {
        Exit::Error
    };
    Done::refusing(exit, &e.clone().into())
}

impl Login {
    fn oauth(&self) -> Option<(RefreshProvider, &'static OAuthLogin, &Servers)> {
        match &self.plan {
            Plan::OAuth { provider, login, servers, .. } => Some((*provider, *login, servers)),
            Plan::Delegated { .. } => None,
        }
    }

    fn send(&self, state: State, request: HttpRequest, provider: RefreshProvider) -> Turn<State> {
        let effect = Effect::Send { request, provider, timeouts: self.timeouts, reply: Reply::new() };
        Turn::Ask(state, effect)
    }

    fn start(&mut self, out: &mut Lines) -> Turn<State> {
        match &self.plan {
            Plan::Delegated { program, args, .. } => {
                if !self.terminal {
                    let e =
                        LoginError::Delegated { program: command(program, args), how: "it needs a terminal".into() };
                    return Turn::End(refusal(&e));
                }
                let (program, args) = (program.to_string(), args.iter().map(|a| a.to_string()).collect());
                Turn::Ask(State::Run, Effect::RunOnTerminal { program, args, reply: Reply::new() })
            }
            Plan::OAuth { method: Method::Device, .. } => Turn::Go(State::DeviceCode),
            Plan::OAuth { method: Method::Pkce, .. } => {
                let _ = out;
                Turn::Ask(State::Random, Effect::Random { len: 2 * login::PKCE_RANDOM_BYTES, reply: Reply::new() })
            }
        }
    }

    fn device_code(&self, input: Option<Answer>, now: Millis, out: &mut Lines) -> Turn<State> {
        let Some((provider, login, servers)) = self.oauth() else { return internal() };
        let response = match input {
            None => {
                let Some(request) = login::device_code_request(login, servers) else { return internal() };
                return self.send(State::DeviceCode, request, provider);
            }
            Some(answer) => match response(answer, LoginStep::DeviceCode) {
                Ok(response) => response,
                Err(e) => return Turn::End(refusal(&e)),
            },
        };
        let code = match login::read_device_code(login, servers, &response, now) {
            Ok(code) => code,
            Err(e) => return Turn::End(refusal(&e)),
        };
        let minutes = (code.deadline - now).max(0) / MINUTE;
        emit(out, Event::Notice(format!("Open {} and enter the code: {}", code.verify_url, code.user_code)));
        emit(
            out,
            Event::Notice(format!(
                "The code expires in {minutes} min. Enter it only if you started this login: device codes are a \
                 phishing target."
            )),
        );
        emit(out, Event::Notice("Waiting for the code to be entered (Ctrl-C stops; nothing is stored)...".into()));
        Turn::Go(State::Poll(Box::new(code)))
    }

    fn poll(&self, mut code: Box<DeviceCode>, input: Option<Answer>, now: Millis) -> Turn<State> {
        let Some((provider, login, servers)) = self.oauth() else { return internal() };
        let answer = match input {
            None => {
                let Some(request) = login::poll_request(login, servers, &code) else { return internal() };
                return self.send(State::Poll(code), request, provider);
            }
            Some(answer) => answer,
        };
        let polled = match response(answer, LoginStep::Poll).and_then(|r| login::read_poll(login, &r)) {
            Ok(polled) => polled,
            Err(e) => return Turn::End(refusal(&e)),
        };
        match polled {
            Polled::Pending | Polled::SlowDown => match login::next_poll(&mut code, &polled, now) {
                Ok(at) => Turn::Ask(State::Wait(code), Effect::Wait { until: at, reply: Reply::new() }),
                Err(e) => Turn::End(refusal(&e)),
            },
            Polled::Code { code: auth_code, verifier } => {
                let Some(DeviceGrant::OpenAi { token_path, redirect_path, .. }) = login.device.as_ref() else {
                    return internal();
                };
                let redirect = servers.at(redirect_path);
                let request = login::exchange_request(login, servers, token_path, &redirect, &auth_code, &verifier);
                self.send(State::Exchange, request, provider)
            }
            Polled::Token(token) => self.copilot(&token, now),
        }
    }

    /// The GitHub token is exchanged for the first Copilot token, the way
    /// every later one is (the refresh rules' request).
    fn copilot(&self, token: &Secret, now: Millis) -> Turn<State> {
        let Plan::OAuth { provider, enterprise, .. } = &self.plan else { return internal() };
        let profile = login::github_login(*provider, token, enterprise.as_deref());
        let endpoints = Endpoints::from_env(self.env.vars.iter());
        let plan = match crate::refresh::plan(&self.target.profile_id, &profile, now, &endpoints) {
            Ok(plan) => plan,
            Err(_) => {
                return Turn::End(refusal(&LoginError::MissingField {
                    step: LoginStep::CopilotToken,
                    field: "request",
                }));
            }
        };
        let request = plan.request().clone();
        self.send(State::Copilot { profile: Box::new(profile), plan: Box::new(plan) }, request, *provider)
    }

    fn copilot_token(
        &self,
        profile: &Profile,
        plan: &mut crate::refresh::Plan,
        input: Answer,
        now: Millis,
    ) -> Turn<State> {
        let outcome = match input {
            Answer::Response(Ok(response)) => crate::refresh::apply(plan, profile, &response, now),
            Answer::Response(Err(error)) => Outcome::Failed(error),
            _ => return internal(),
        };
        match outcome {
            Outcome::Refreshed(renewed) => self.store(renewed, now),
            Outcome::Failed(error) => Turn::End(refusal(&login::from_refresh(LoginStep::CopilotToken, &error))),
            Outcome::Retry(_) => internal(),
        }
    }

    fn exchanged(&self, input: Answer, now: Millis) -> Turn<State> {
        let Some((provider, ..)) = self.oauth() else { return internal() };
        match response(input, LoginStep::Exchange).and_then(|r| login::read_exchange(provider, &r, now)) {
            Ok(oauth) => self.store(Profile::new(Credential::OAuth(oauth)), now),
            Err(e) => Turn::End(refusal(&e)),
        }
    }

    fn random(&self, input: Option<Answer>, out: &mut Lines) -> Turn<State> {
        let Some((_, login, servers)) = self.oauth() else { return internal() };
        let Some(grant) = login.pkce.as_ref() else { return internal() };
        let Some(Answer::Random(RandomBytes(bytes))) = input else { return internal() };
        let Some(pkce) = Pkce::from_random(&bytes) else { return Turn::End(refusal(&LoginError::NoRandom)) };
        let url = login::authorize_url(login, grant, servers, &pkce);
        emit(out, Event::Notice(format!("Open this URL in a browser and log in:\n{url}")));
        if self.local_browser {
            let listen = Effect::Listen {
                port: grant.port,
                path: grant.callback_path.to_string(),
                timeout_ms: CALLBACK_WAIT_MS.unsigned_abs(),
                reply: Reply::new(),
            };
            emit(out, Event::Notice(format!("Waiting for the browser to come back to {}...", grant.redirect_uri)));
            return Turn::Ask(State::Listen(Box::new(pkce)), listen);
        }
        self.ask_paste(Box::new(pkce), out)
    }

    fn ask_paste(&self, pkce: Box<Pkce>, out: &mut Lines) -> Turn<State> {
        if self.terminal {
            emit(
                out,
                Event::Notice(
                    "When the browser fails to load the localhost page, copy its address and paste it here.".into(),
                ),
            );
        }
        let prompt = "Redirect URL (or code)".to_string();
        Turn::Ask(State::Paste(pkce), Effect::AskSecret { prompt, reply: Reply::new() })
    }

    fn heard(&self, pkce: Box<Pkce>, input: Option<Answer>, out: &mut Lines) -> Turn<State> {
        match input {
            Some(Answer::Callback(Callback::Received(query))) => {
                let code = login::read_redirect(query.expose(), &pkce.state, false);
                let (status, page) = match &code {
                    Ok(_) => (200, "Logged in. You can close this tab and go back to the terminal.".to_string()),
                    Err(e) => (400, format!("Login failed: {e}")),
                };
                Turn::Ask(State::Respond { code, pkce }, Effect::Respond { status, page })
            }
            Some(Answer::Callback(Callback::Busy)) => {
                let Some((_, login, _)) = self.oauth() else { return internal() };
                let port = login.pkce.as_ref().map_or(0, |g| g.port);
                emit(out, Event::Notice(format!("Port {port} is in use; paste the redirect instead.")));
                self.ask_paste(pkce, out)
            }
            Some(Answer::Callback(Callback::TimedOut)) => Turn::End(refusal(&LoginError::Transport {
                step: LoginStep::Redirect,
                message: "nothing came back in time".into(),
            })),
            Some(Answer::Callback(Callback::Failed(kind))) => {
                emit(out, Event::Notice(format!("Cannot listen for the redirect ({kind}); paste it instead.")));
                self.ask_paste(pkce, out)
            }
            _ => internal(),
        }
    }

    fn redirected(&self, code: Result<Secret, LoginError>, pkce: &Pkce) -> Turn<State> {
        let Some((provider, login, servers)) = self.oauth() else { return internal() };
        let Some(grant) = login.pkce.as_ref() else { return internal() };
        match code {
            Ok(code) => {
                let request = login::exchange_request(
                    login,
                    servers,
                    grant.token_path,
                    grant.redirect_uri,
                    &code,
                    &pkce.verifier,
                );
                self.send(State::Exchange, request, provider)
            }
            Err(e) => Turn::End(refusal(&e)),
        }
    }

    fn pasted(&self, pkce: &Pkce, input: Option<Answer>) -> Turn<State> {
        match input {
            Some(Answer::Secret(Ok(text))) => {
                self.redirected(login::read_redirect(text.expose(), &pkce.state, true), pkce)
            }
            Some(Answer::Secret(Err(_))) => Turn::End(refusal(&LoginError::NoTerminal)),
            _ => internal(),
        }
    }

    fn ran(&self, input: Option<Answer>, now: Millis) -> Turn<State> {
        let Plan::Delegated { program, args, .. } = &self.plan else { return internal() };
        let how = match input {
            Some(Answer::Ran(RunAnswer::Exited(0))) => {
                let settle = Settle::new(&self.env, self.agent.as_deref(), now).reading_keychain(self.terminal);
                return Turn::Go(State::Sync(Box::new(settle)));
            }
            Some(Answer::Ran(RunAnswer::Exited(code))) => format!("it exited with {code}"),
            Some(Answer::Ran(RunAnswer::NotFound)) => "it is not on PATH".into(),
            Some(Answer::Ran(RunAnswer::Killed { .. })) => "it was stopped".into(),
            Some(Answer::Ran(RunAnswer::Failed(kind))) => format!("it could not be started: {kind}"),
            _ => return internal(),
        };
        Turn::End(refusal(&LoginError::Delegated { program: command(program, args), how }))
    }

    /// The login goes under its id by the paste verbs' rule
    /// ([`PasteTarget::place`]): a credential of another type is replaced
    /// only when the claim allowed it; what was replaced is said.
    fn store(&self, profile: Profile, now: Millis) -> Turn<State> {
        let (target, placed, replace_other) = (self.target.clone(), Rc::clone(&self.placed), self.replace_other);
        let edit = move |store: &mut AuthStore, loaded: &Loaded| {
            let outcome = target.place_profile(store, profile, replace_other, loaded.now);
            if outcome.is_ok() {
                crate::sync::enable_sync(store, &target.profile_id);
            }
            *placed.borrow_mut() = Some(outcome);
        };
        let edit =
            EditStore::new(&self.env, self.agent.as_deref(), now, Box::new(edit)).creating_agent(self.create_agent);
        Turn::Go(State::Store(Box::new(edit)))
    }

    fn stored(&self, outcome: Result<Loaded, TxnFailure>) -> Turn<State> {
        let loaded = match outcome {
            Ok(loaded) => loaded,
            Err(failure) => return Turn::End(failure.refusal()),
        };
        let placed = match self.placed.borrow().clone() {
            Some(Ok(placed)) => placed,
            Some(Err(refused)) => return Turn::End(Done::refusing(Exit::Action, &refused.into())),
            None => return internal(),
        };
        let (id, provider) = (&self.target.profile_id, &self.target.provider);
        let said = format!("Auth profile: {id} ({provider}/oauth), {}", placed.words());
        Turn::Go(State::Record { record: Box::new(self.record(&loaded, id, provider)), said })
    }

    /// The profile's mode in the config, with the default model when
    /// `--set-default` asked: one config write.
    fn record(&self, loaded: &Loaded, id: &str, provider: &str) -> RecordMode {
        let (store, config) = (loaded.locations.store(), loaded.locations.config.clone());
        let at = (store.as_str(), config.as_str());
        RecordMode::setting_default(&self.env, at, id, provider, CredentialType::OAuth, self.default_model)
    }

    /// What was stored, then what the config write said.
    fn recorded(recorded: Result<Vec<Event>, String>, said: String) -> Turn<State> {
        match recorded {
            Ok(events) => Turn::End(Done::with(Exit::Ok, std::iter::once(Event::Output(said)).chain(events).collect())),
            Err(why) => Turn::End(Done::refused(Exit::Action, why)),
        }
    }
}

/// The answer to a login's request, or why there is none.
fn response(answer: Answer, step: LoginStep) -> Result<HttpResponse, LoginError> {
    match answer {
        Answer::Response(Ok(response)) => Ok(response),
        Answer::Response(Err(error)) => Err(login::from_refresh(step, &error)),
        _ => Err(LoginError::MissingField { step, field: "response" }),
    }
}

fn command(program: &str, args: &[&str]) -> String {
    std::iter::once(program).chain(args.iter().copied()).collect::<Vec<_>>().join(" ")
}

fn internal() -> Turn<State> {
    Turn::End(super::internal_end())
}

impl Machine for Login {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, out: &mut Lines) -> Turn<State> {
        match state {
            State::Claim(mut claim) => match advance(&mut *claim, input, now) {
                Step::Effect(e) => Turn::Ask(State::Claim(claim), e),
                Step::Ready(Ok(replace_other)) => {
                    self.replace_other = replace_other;
                    Turn::Go(State::Start)
                }
                Step::Ready(Err(done)) => Turn::End(done),
            },
            State::Start => self.start(out),
            State::DeviceCode => self.device_code(input, now, out),
            State::Poll(code) => self.poll(code, input, now),
            State::Wait(code) => match input {
                Some(Answer::Woke(_)) => Turn::Go(State::Poll(code)),
                _ => internal(),
            },
            State::Exchange => match input {
                Some(answer) => self.exchanged(answer, now),
                None => internal(),
            },
            State::Copilot { profile, mut plan } => match input {
                Some(answer) => self.copilot_token(&profile, &mut plan, answer, now),
                None => internal(),
            },
            State::Random => self.random(input, out),
            State::Listen(pkce) => self.heard(pkce, input, out),
            State::Respond { code, pkce } => self.redirected(code, &pkce),
            State::Paste(pkce) => self.pasted(&pkce, input),
            State::Run => self.ran(input, now),
            State::Sync(mut settle) => match advance(&mut *settle, input, now) {
                Step::Effect(e) => Turn::Ask(State::Sync(settle), e),
                Step::Ready(settled) => self.synced(&settled.loaded, settled.save_error),
            },
            State::Store(mut edit) => match advance(&mut *edit, input, now) {
                Step::Effect(e) => Turn::Ask(State::Store(edit), e),
                Step::Ready(outcome) => self.stored(outcome),
            },
            State::Record { mut record, said } => match advance(&mut *record, input, now) {
                Step::Effect(e) => Turn::Ask(State::Record { record, said }, e),
                Step::Ready(recorded) => Self::recorded(recorded, said),
            },
        }
    }
}

impl Login {
    /// After the provider's own CLI logged in: what the sync brought.
    fn synced(&self, loaded: &Loaded, save_error: Option<String>) -> Turn<State> {
        if let Some(why) = save_error {
            return Turn::End(Done::refused(Exit::Error, why));
        }
        let provider = &self.target.provider;
        let synced: Vec<&String> = loaded
            .store
            .profiles
            .iter()
            .filter(|(id, p)| {
                crate::provider::same(p.credential.provider(), provider) && crate::logins::by_profile_id(id).is_some()
            })
            .map(|(id, _)| id)
            .collect();
        match synced.first() {
            // `--set-default`: the model goes into the config with the
            // profile's mode, as after any login.
            Some(id) if self.default_model.is_some() => {
                let said = format!("Auth profile: {id} ({provider}), synced");
                Turn::Go(State::Record { record: Box::new(self.record(loaded, id, provider)), said })
            }
            Some(id) => {
                Turn::End(Done::with(Exit::Ok, vec![Event::Output(format!("Auth profile: {id} ({provider}), synced"))]))
            }
            None => {
                let Plan::Delegated { program, args, .. } = &self.plan else { return internal() };
                let how = "it ended, but no login of its was found to sync".to_string();
                Turn::End(refusal(&LoginError::Delegated { program: command(program, args), how }))
            }
        }
    }
}

flow_of_driven!(LoginCommand);

/// What `models auth login --help` says of each provider's login: its
/// methods, the servers it talks to and whose client it uses, from the
/// registry.
pub fn endpoints_help() -> String {
    let mut lines = Vec::new();
    for spec in crate::providers::PROVIDERS.iter() {
        match &spec.login {
            Some(crate::providers::LoginSpec::OAuth(l)) => {
                let mut talks = Vec::new();
                if let Some(device) = &l.device {
                    let paths = match device {
                        DeviceGrant::OpenAi { usercode_path, poll_path, token_path, .. } => {
                            vec![*usercode_path, *poll_path, *token_path]
                        }
                        DeviceGrant::Rfc8628 { code_path, token_path, .. } => vec![*code_path, *token_path],
                    };
                    let urls: Vec<String> = paths.iter().map(|p| format!("{}{p}", l.origin)).collect();
                    let label = if l.pkce.is_some() { "--device-code" } else { "device code" };
                    talks.push(format!("{label}: {}", urls.join(", ")));
                }
                if let Some(pkce) = &l.pkce {
                    talks.push(format!(
                        "browser (default): {}{}, {}{}, a redirect to 127.0.0.1:{}",
                        l.origin, pkce.authorize_path, l.origin, pkce.token_path, pkce.port
                    ));
                }
                if let Some(api) = &l.api {
                    talks.push(format!("then {}{}", api.origin, api.token_path));
                }
                lines.push(format!("{}: {} ({}'s client id)", spec.id, talks.join("; "), l.client_of));
            }
            Some(crate::providers::LoginSpec::Delegated { program, args }) => {
                lines.push(format!(
                    "{}: runs `{}` on the terminal, then syncs its login",
                    spec.id,
                    command(program, args)
                ));
            }
            None => {}
        }
    }
    lines.join("\n")
}

/// What `--set-default` makes the default, per provider with a login:
/// `openai-codex: openai-codex/gpt-5.2, ...`, from the registry.
pub fn login_models_help() -> String {
    let models = crate::providers::PROVIDERS.iter().filter(|spec| spec.login.is_some());
    models.filter_map(|spec| spec.login_model.map(|m| format!("{}: {m}", spec.id))).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Stream;
    use crate::flow::script::{first_error, hints};

    use crate::flow::script::{CONFIG, Host, NOW, env, store_path, text};
    use base64::Engine;
    use serde_json::{Value, json};

    fn fake_jwt(claims: &Value) -> String {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("eyJhbGciOiJub25lIn0.{payload}.sig")
    }

    fn access() -> String {
        fake_jwt(&json!({"exp": 1_767_300_000, "https://api.openai.com/auth": {"chatgpt_account_id": "acct-FAKE"}}))
    }

    fn login(provider: &str, device_code: bool) -> LoginCommand {
        let request = LoginRequest { provider: provider.into(), device_code, ..LoginRequest::default() };
        LoginCommand::new(request, &env(), NOW)
    }

    fn empty_store() -> Host {
        Host::with_store(&json!({"version": 1, "profiles": {}}))
    }

    /// Every line the command printed, and its end.
    fn all(printed: &[crate::flow::Line], done: &Done) -> String {
        let mut lines = printed.to_vec();
        lines.extend(done.lines());
        lines.iter().map(|l| l.text.clone()).collect::<Vec<_>>().join("\n")
    }

    fn codex_device_host() -> Host {
        empty_store()
            .reply(200, json!({"device_auth_id": "da-FAKE-ID", "user_code": "ABCD-1234", "interval": "5"}))
            .reply(403, "")
            .reply(
                200,
                json!({"authorization_code": "ac-FAKE-CODE", "code_challenge": "c", "code_verifier": "cv-FAKE-VER"}),
            )
            .reply(200, json!({"access_token": access(), "refresh_token": "rt-FAKE-REFRESH", "id_token": "x"}))
    }

    #[test]
    fn a_codex_device_login_shows_the_code_polls_exchanges_and_stores_under_the_lock() {
        let mut host = codex_device_host();
        let (done, printed) = host.run(&mut login("openai-codex", true));
        assert_eq!(done.exit, Exit::Ok, "{done:?}");
        assert_eq!(done.lines()[0].text, "Auth profile: openai-codex:default (openai-codex/oauth), added");
        let said = text(&printed, Stream::Stderr);
        assert!(said.contains("Open https://auth.openai.com/codex/device and enter the code: ABCD-1234"), "{said}");
        assert!(said.contains("phishing"), "{said}");
        let profile = &host.store()["profiles"]["openai-codex:default"];
        assert_eq!(profile["type"], "oauth");
        assert_eq!(profile["refresh"], "rt-FAKE-REFRESH");
        assert_eq!(profile["expires"], 1_767_300_000_000_i64);
        assert_eq!(profile["accountId"], "acct-FAKE");
        let urls: Vec<&str> = host.posts.iter().map(|p| p.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://auth.openai.com/api/accounts/deviceauth/usercode",
                "https://auth.openai.com/api/accounts/deviceauth/token",
                "https://auth.openai.com/api/accounts/deviceauth/token",
                "https://auth.openai.com/oauth/token",
            ]
        );
        assert_eq!(host.clock, 5_000, "one wait of the server's interval");
        let (send, lock, write) = (
            host.position("send https://auth.openai.com/oauth/token"),
            host.position(&format!("lock {}", store_path("main"))),
            host.position(&format!("write {}", store_path("main"))),
        );
        assert!(send < lock && lock < write, "{:?}", host.asked);
        for secret in ["da-FAKE-ID", "ac-FAKE-CODE", "cv-FAKE-VER", "rt-FAKE-REFRESH"] {
            assert!(!all(&printed, &done).contains(secret), "{secret} shown");
        }
        // Again: the login replaces the one stored before, and says so.
        let mut again = codex_device_host();
        again.files = host.files.clone();
        let (done, _) = again.run(&mut login("openai-codex", true));
        assert_eq!(
            done.lines()[0].text,
            "Auth profile: openai-codex:default (openai-codex/oauth), replaced the oauth login stored before"
        );
    }

    /// A login under an id that holds an API key (a pasted one, or the
    /// reverse of issue 23 item 3) asks before any request is sent, as a
    /// paste does: refused without a terminal to ask, with nothing sent or
    /// stored; a yes or `--force` replaces it, and says what it replaced.
    #[test]
    fn a_login_replaces_a_key_at_its_id_only_with_a_yes_or_force() {
        let key_store = json!({"version": 1, "profiles": {
            "openai-codex:default": {"type": "api_key", "provider": "openai-codex", "key": "sk-FAKE-kept"}}});
        let host_with_key = || {
            let mut host = codex_device_host();
            host.files.insert(store_path("main"), key_store.to_string());
            host
        };
        let mut host = host_with_key();
        let (done, _) = host.run(&mut login("openai-codex", true));
        assert_eq!(done.exit, Exit::Action, "{done:?}");
        assert!(first_error(&done).starts_with("openai-codex:default holds an api_key"), "{done:?}");
        assert!(host.posts.is_empty(), "nothing is sent before the operator agreed");
        assert_eq!(host.store(), key_store, "nothing is stored");

        for (answer, force) in [(Some(true), false), (None, true)] {
            let mut host = host_with_key();
            host.answer = answer;
            let request = LoginRequest {
                provider: "openai-codex".into(),
                device_code: true,
                force,
                terminal: answer.is_some(),
                ..LoginRequest::default()
            };
            let (done, _) = host.run(&mut LoginCommand::new(request, &env(), NOW));
            assert_eq!(done.exit, Exit::Ok, "{done:?}");
            assert_eq!(
                done.lines()[0].text,
                "Auth profile: openai-codex:default (openai-codex/oauth), replaced the api_key stored before"
            );
            assert_eq!(host.store()["profiles"]["openai-codex:default"]["type"], "oauth");
        }
    }

    /// `--set-default` makes the provider's login model the default in the
    /// same config write that records the profile's mode, fallbacks kept.
    #[test]
    fn set_default_makes_the_login_s_model_the_default_in_the_one_config_write() {
        let mut host = codex_device_host();
        let config = CONFIG;
        host.files.insert(config.into(), json!({"agents": {"defaults": {"model": {"primary": "anthropic/claude-opus-4-5", "fallbacks": ["groq/llama"]}}}}).to_string());
        let request = LoginRequest {
            provider: "openai-codex".into(),
            device_code: true,
            set_default: true,
            ..LoginRequest::default()
        };
        let (done, _) = host.run(&mut LoginCommand::new(request, &env(), NOW));
        assert_eq!(done.exit, Exit::Ok, "{done:?}");
        let written: Value = serde_json::from_str(&host.files[config]).expect("json");
        assert_eq!(
            written["agents"]["defaults"]["model"],
            json!({"primary": "openai-codex/gpt-5.2", "fallbacks": ["groq/llama"]})
        );
        assert_eq!(written["auth"]["profiles"]["openai-codex:default"]["mode"], "oauth");
        assert_eq!(host.asked.iter().filter(|a| *a == &format!("write {config}")).count(), 1, "{:?}", host.asked);
        assert!(done.lines().iter().any(|l| l.text == "Default model: openai-codex/gpt-5.2"), "{done:?}");
        // Without it, the default model is left as it was.
        let mut host = codex_device_host();
        host.files
            .insert(config.into(), json!({"agents": {"defaults": {"model": "anthropic/claude-opus-4-5"}}}).to_string());
        let (done, _) = host.run(&mut login("openai-codex", true));
        let written: Value = serde_json::from_str(&host.files[config]).expect("json");
        assert_eq!(written["agents"]["defaults"]["model"], "anthropic/claude-opus-4-5");
        assert!(!done.lines().iter().any(|l| l.text.starts_with("Default model")), "{done:?}");
    }

    #[test]
    fn a_copilot_login_slows_down_when_told_and_stores_the_github_token_with_a_copilot_token() {
        let mut host = empty_store()
            .reply(200, json!({"device_code": "dc-FAKE", "user_code": "WDJB-MJHT", "verification_uri": "https://github.com/login/device", "expires_in": 900, "interval": 5}))
            .reply(200, json!({"error": "authorization_pending"}))
            .reply(200, json!({"error": "slow_down"}))
            .reply(200, json!({"access_token": "gho_FAKE_GITHUB", "token_type": "bearer"}))
            .reply(200, json!({"token": "tid=FAKE-COPILOT", "expires_at": (NOW / 1000) + 1800}));
        let (done, printed) = host.run(&mut login("github-copilot", false));
        assert_eq!(done.exit, Exit::Ok, "{done:?}");
        assert!(
            text(&printed, Stream::Stderr)
                .contains("Open https://github.com/login/device and enter the code: WDJB-MJHT")
        );
        let profile = &host.store()["profiles"]["github-copilot:default"];
        assert_eq!(
            (profile["refresh"].as_str(), profile["access"].as_str()),
            (Some("gho_FAKE_GITHUB"), Some("tid=FAKE-COPILOT"))
        );
        assert!(profile["expires"].as_i64().is_some_and(|e| e > NOW));
        assert_eq!(host.clock, 5_000 + 10_000, "the interval grew by 5 s after slow_down");
        let last = host.posts.last().expect("the exchange");
        assert_eq!(last.url, "https://api.github.com/copilot_internal/v2/token");
        assert_eq!(last.header("Authorization"), Some("Bearer gho_FAKE_GITHUB"));
    }

    #[test]
    fn a_pending_then_denied_code_stores_nothing_and_needs_a_person() {
        let mut host = empty_store()
            .reply(200, json!({"device_code": "dc-FAKE", "user_code": "WDJB-MJHT", "verification_uri": "https://github.com/login/device", "interval": 1}))
            .reply(200, json!({"error": "authorization_pending"}))
            .reply(200, json!({"error": "access_denied"}));
        let before = host.files.clone();
        let (done, _) = host.run(&mut login("github-copilot", true));
        assert_eq!(done.exit, Exit::Action, "{done:?}");
        assert_eq!(first_error(&done), "waiting for the code to be entered: the login was denied");
        assert_eq!(host.files, before);
        assert!(!host.asked.iter().any(|a| a.starts_with("lock")), "{:?}", host.asked);
    }

    #[test]
    fn device_codes_off_a_proxy_page_or_a_dead_network_end_clearly_with_nothing_stored() {
        for (status, body, exit, says) in [
            (404, "Not Found".to_string(), Exit::Action, "device codes are not enabled for this account (HTTP 404)"),
            (200, "<html><body>Sign in to the proxy</body></html>".into(), Exit::Error, "unexpected answer: HTTP 200"),
            (503, json!({"error": "overloaded"}).to_string(), Exit::Error, "the server refused: HTTP 503, overloaded"),
        ] {
            let mut host = empty_store().reply(status, body);
            let before = host.files.clone();
            let (done, _) = host.run(&mut login("openai-codex", true));
            assert_eq!(done.exit, exit, "{says}: {done:?}");
            assert!(done.lines()[0].text.contains(says), "{done:?}");
            assert_eq!(host.files, before);
        }
        let mut host = empty_store().reply(404, "");
        let (done, _) = host.run(&mut login("openai-codex", true));
        assert!(hints(&done).iter().any(|h| h.contains("device code")), "{done:?}");
        let mut host = empty_store()
            .reply(200, json!({"device_code": "dc-FAKE", "user_code": "WDJB", "verification_uri": "https://github.com/login/device", "interval": 1}))
            .reply(200, json!({"access_token": "gho_FAKE"}))
            .reply(403, json!({"message": "Resource not accessible by integration"}));
        let (done, _) = host.run(&mut login("github-copilot", true));
        assert_eq!(done.exit, Exit::Action, "{done:?}");
        assert!(first_error(&done).starts_with("getting a Copilot token: the server refused: HTTP 403"), "{done:?}");
        assert!(done.lines()[1].text.contains("needs Copilot"), "{done:?}");
        assert!(!host.asked.iter().any(|a| a.starts_with("lock")), "nothing stored: {:?}", host.asked);
        let mut host = empty_store();
        let (done, _) = host.run(&mut login("openai-codex", true));
        assert_eq!(done.exit, Exit::Error);
        assert_eq!(first_error(&done), "asking for a device code: failed: no server in this test");
    }

    fn pkce_host() -> (Host, Pkce) {
        let mut host = empty_store()
            .reply(200, json!({"access_token": access(), "refresh_token": "rt-FAKE-REFRESH", "expires_in": 864000}));
        host.random = (0..128).collect();
        let pkce = Pkce::from_random(&host.random).expect("enough");
        (host, pkce)
    }

    fn browser_login(terminal: bool, local_browser: bool) -> LoginCommand {
        let request =
            LoginRequest { provider: "openai-codex".into(), terminal, display: true, ..LoginRequest::default() };
        let env = if local_browser { env() } else { env().with_var("SSH_CONNECTION", "10.0.0.2 5 10.0.0.1 22") };
        LoginCommand::new(request, &env, NOW)
    }

    #[test]
    fn a_browser_login_completes_through_the_loopback_redirect_and_a_wrong_state_gets_a_400() {
        let (mut host, pkce) = pkce_host();
        let query = format!("code=ac-FAKE-CODE&state={}", pkce.state.expose());
        host.callback = Some(Callback::Received(Secret::new(query)));
        let (done, printed) = host.run(&mut browser_login(true, true));
        assert_eq!(done.exit, Exit::Ok, "{done:?}");
        assert!(host.asked.contains(&"listen 1455 /auth/callback".to_string()), "{:?}", host.asked);
        assert_eq!(host.responded, [200]);
        let exchange =
            host.posts.last().and_then(|p| p.body.as_ref()).map(|b| b.as_str().to_string()).unwrap_or_default();
        assert!(exchange.contains("redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback"), "{exchange}");
        assert!(exchange.contains(&format!("code_verifier={}", pkce.verifier.expose())));
        let shown = all(&printed, &done);
        assert!(shown.contains(&format!("code_challenge={}", pkce.challenge)), "{shown}");
        assert!(!shown.contains(pkce.verifier.expose()));

        let (mut host, _) = pkce_host();
        host.callback = Some(Callback::Received(Secret::new("code=ac-FAKE&state=forged")));
        let before = host.files.clone();
        let (done, _) = host.run(&mut browser_login(true, true));
        assert_eq!(done.exit, Exit::Action);
        assert_eq!(host.responded, [400]);
        assert!(done.lines()[0].text.contains("state does not match"), "{done:?}");
        assert!(host.posts.is_empty() && host.files == before);
    }

    #[test]
    fn a_browser_login_takes_a_pasted_redirect_when_the_port_is_taken_or_there_is_no_browser_here() {
        for (terminal, local_browser, busy) in
            [(true, true, true), (false, true, true), (true, false, false), (false, false, false)]
        {
            let (mut host, pkce) = pkce_host();
            if busy {
                host.callback = Some(Callback::Busy);
            }
            let url = format!("http://localhost:1455/auth/callback?code=ac-FAKE&state={}", pkce.state.expose());
            host.secret = Some(Ok(Secret::new(url)));
            let (done, _) = host.run(&mut browser_login(terminal, local_browser));
            assert_eq!(done.exit, Exit::Ok, "{terminal} {local_browser} {busy}: {done:?}");
            assert_eq!(host.asked.iter().any(|a| a.starts_with("listen")), busy, "{:?}", host.asked);
            assert!(host.store()["profiles"]["openai-codex:default"]["refresh"] == "rt-FAKE-REFRESH");
        }
        let (mut host, _) = pkce_host();
        host.secret = Some(Ok(Secret::new("http://localhost:1455/auth/callback?code=ac&state=forged")));
        let (done, _) = host.run(&mut browser_login(false, false));
        assert_eq!(done.exit, Exit::Action);
        assert!(host.posts.is_empty());
    }

    #[test]
    fn anthropic_s_login_is_claude_code_s_own_and_needs_a_terminal() {
        let mut host = empty_store();
        let (done, _) = host.run(&mut login("anthropic", false));
        assert_eq!(done.exit, Exit::Action);
        assert!(first_error(&done).contains("claude auth login did not log in: it needs a terminal"), "{done:?}");
        assert!(done.lines().iter().any(|l| l.text.contains("setup-token")), "{done:?}");
        let mut host = empty_store();
        host.ran = Some(RunAnswer::Exited(0));
        let creds = json!({"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE", "refreshToken": "sk-ant-ort01-FAKE", "expiresAt": NOW + 3_600_000}});
        host.leaves = Some(("/h/.claude/.credentials.json".into(), creds.to_string()));
        let request = LoginRequest { provider: "anthropic".into(), terminal: true, ..LoginRequest::default() };
        let (done, _) = host.run(&mut LoginCommand::new(request, &env(), NOW));
        assert!(host.asked.contains(&"run claude auth login".to_string()), "{:?}", host.asked);
        assert_eq!(done.exit, Exit::Ok, "{done:?}");
        assert!(done.lines()[0].text.contains("anthropic:claude-cli"), "{done:?}");
        // `--set-default` after Claude Code's login: the synced profile's
        // mode and the model, in one config write.
        let mut host = empty_store();
        host.ran = Some(RunAnswer::Exited(0));
        host.leaves = Some(("/h/.claude/.credentials.json".into(), creds.to_string()));
        let request =
            LoginRequest { provider: "anthropic".into(), terminal: true, set_default: true, ..LoginRequest::default() };
        let (done, _) = host.run(&mut LoginCommand::new(request, &env(), NOW));
        assert_eq!(done.exit, Exit::Ok, "{done:?}");
        let written: Value = serde_json::from_str(&host.files[CONFIG]).expect("json");
        assert_eq!(written["agents"]["defaults"]["model"], crate::providers::DEFAULT_MODEL);
        assert_eq!(written["auth"]["profiles"]["anthropic:claude-cli"]["mode"], "oauth");
    }

    #[test]
    fn a_wrong_command_line_is_refused_before_anything_is_sent() {
        for (provider, device, domain, id) in [
            ("openai", false, None, None),
            ("nope", false, None, None),
            ("anthropic", true, None, None),
            ("openai-codex", true, Some("x.ghe.com"), None),
            ("openai-codex", true, None, Some("anthropic:x")),
        ] {
            let request = LoginRequest {
                provider: provider.into(),
                device_code: device,
                enterprise_domain: domain.map(str::to_string),
                profile_id: id.map(str::to_string),
                ..LoginRequest::default()
            };
            let mut host = empty_store();
            let (done, _) = host.run(&mut LoginCommand::new(request, &env(), NOW));
            assert_eq!(done.exit, Exit::Usage, "{provider}: {done:?}");
            assert!(host.asked.is_empty(), "{:?}", host.asked);
        }
    }
}
