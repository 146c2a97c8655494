//! `clawdbot models auth refresh` and doctor's refreshes: which logins to
//! refresh, the protocol for each in turn, and how the run ends.
//!
//! Exit of the command: 0 every selected login is fresh, or there was
//! nothing to refresh (with a note); 1 a login is dead, or the profile or
//! provider is unknown; 3 a refresh could not complete now (network, 429,
//! 5xx, lock): try again later.

use super::drive::{Driven, Lines, Machine, Turn, advance, emit, flow_of_driven};
use super::look::{Look, unreadable_reason};
use super::refresh_login::{RefreshLogin, RefreshReport, RefreshResult};
use super::{Answer, Done, Effect, Event, Exit, Step, refresh_window};
use crate::doctor::Issue;
use crate::escape::escape_control;
use crate::health::HealthStatus;
use crate::load::{Loaded, StoreState};
use crate::paths::Env;
use crate::provider::{ProviderId, is_known};
use crate::refresh::RefreshFailure;
use crate::refresh::{RefreshProvider, needs_refresh};
use crate::store::Credential;
use crate::time::Millis;
use std::collections::VecDeque;

/// Which logins `models auth refresh` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Exactly this profile.
    Profile(String),
    /// Every OAuth profile of this provider that has a refresh flow.
    Provider(ProviderId),
    /// Every OAuth profile that has a refresh flow.
    All,
}

/// Who is speaking: the command's own lines, or doctor's notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Voice {
    Command,
    Doctor,
}

enum State {
    Load { look: Box<Look>, selection: Selection },
    Next { loaded: Box<Loaded>, ids: VecDeque<String> },
    Run { loaded: Box<Loaded>, ids: VecDeque<String>, id: String, refresh: Box<RefreshLogin> },
    Done(Done),
}

struct Renew {
    /// The agent as asked for (`None`: the default).
    agent: Option<String>,
    force: bool,
    voice: Voice,
    /// Whether the refreshes' looks read the Keychain (doctor's only with
    /// someone to answer the prompt).
    keychain: bool,
    permanent: bool,
    transient: bool,
    /// Doctor's "OAuth refresh errors" lines.
    errors: Vec<String>,
    /// The store as the last refresh left it (doctor recomputes its issues
    /// from it instead of loading again).
    latest: Option<Loaded>,
    /// What the refreshes changed, one line each: doctor's `changes`.
    changes: Vec<String>,
}

/// Refreshing the selected logins one after another.
pub struct RefreshCommand {
    inner: Driven<Renew>,
}

impl RefreshCommand {
    /// `models auth refresh`: one load, then each selected login.
    pub fn new(selection: Selection, force: bool, agent: Option<&str>, env: &Env, now: Millis) -> RefreshCommand {
        let state = State::Load { look: Box::new(Look::new(env, agent).reading_keychain(true)), selection };
        let renew = Renew { agent: agent.map(str::to_string), keychain: true, ..Renew::new(force, Voice::Command) };
        RefreshCommand { inner: Driven::start(renew, state, env, now) }
    }

    /// Doctor's refreshes of `ids` (see [`due_for_doctor`]), on the load
    /// doctor already has (of the default agent), reading the Keychain
    /// when `keychain` ([`super::DoctorRequest::reads_keychain`]).
    pub fn doctor(loaded: Loaded, ids: Vec<String>, keychain: bool) -> RefreshCommand {
        let now = loaded.now;
        let state = State::Next { loaded: Box::new(loaded), ids: ids.into() };
        RefreshCommand { inner: Driven::new(Renew { keychain, ..Renew::new(false, Voice::Doctor) }, state, now) }
    }

    /// The store as the refreshes left it, once done, and what they
    /// changed (a login refreshed or adopted; one already fresh changed
    /// nothing), one line each, as doctor's `changes` list them.
    pub fn into_outcome(self) -> (Option<Loaded>, Vec<String>) {
        let renew = self.inner.machine;
        (renew.latest, renew.changes)
    }
}

impl Renew {
    fn new(force: bool, voice: Voice) -> Renew {
        Renew {
            agent: None,
            force,
            voice,
            keychain: false,
            permanent: false,
            transient: false,
            errors: Vec::new(),
            latest: None,
            changes: Vec::new(),
        }
    }

    /// The profiles the selection names, or how the command ends when
    /// there are none.
    fn select(&mut self, loaded: Loaded, selection: Selection) -> State {
        let want = match selection {
            Selection::Profile(id) => return State::Next { loaded: Box::new(loaded), ids: VecDeque::from([id]) },
            Selection::Provider(p) => Some(p),
            Selection::All => None,
        };
        if loaded.store_state == StoreState::Unreadable {
            let why = unreadable_reason(&loaded);
            return State::Done(Done::refused(Exit::Action, RefreshFailure::Unreadable(why).to_string()));
        }
        let ids: VecDeque<String> = loaded
            .store
            .profiles
            .iter()
            .filter(|(_, p)| match &p.credential {
                Credential::OAuth(o) => {
                    RefreshProvider::from_id(&o.provider).is_some()
                        && want.as_ref().is_none_or(|w| w.names(&o.provider))
                }
                _ => false,
            })
            .map(|(id, _)| id.clone())
            .collect();
        if !ids.is_empty() {
            return State::Next { loaded: Box::new(loaded), ids };
        }
        let nothing = "nothing to refresh: no OAuth login with a refresh flow";
        State::Done(match &want {
            None => Done::with(Exit::Ok, vec![Event::note(nothing)]),
            Some(p) if is_known(p, &loaded.store) => {
                Done::with(Exit::Ok, vec![Event::note(format!("{nothing} for \"{p}\""))])
            }
            Some(p) => unknown_provider(p),
        })
    }

    /// One refresh ended: say so, remember the store it left.
    fn ended(
        &mut self,
        id: &str,
        result: Result<RefreshReport, super::RefreshFailure>,
        loaded: &Loaded,
        out: &mut Lines,
    ) {
        match (result, self.voice) {
            (Ok(report), Voice::Command) => {
                for w in &report.warnings {
                    emit(out, Event::warning(w.as_str()));
                }
                emit(out, Event::Output(format!("{id}: {}", report.result.describe())));
            }
            (Ok(report), Voice::Doctor) => {
                emit(out, Event::Output(format!("Refreshed {id}: {}", report.result.describe())));
                if report.result != RefreshResult::AlreadyFresh {
                    self.changes.push(format!("{}: {}", escape_control(id), report.result.describe()));
                }
                self.errors.extend(report.warnings.iter().map(|w| format!("- {id}: {w}")));
            }
            (Err(failure), voice) => {
                if failure.is_permanent() {
                    self.permanent = true;
                } else {
                    self.transient = true;
                }
                match voice {
                    Voice::Command => {
                        let done = super::token::refresh_failed(id, &failure, loaded);
                        out.extend(done.events.into_iter().map(Effect::Emit));
                    }
                    Voice::Doctor => {
                        let mut line = format!("- {id}: {failure}");
                        if let Some(hint) = failure.hint() {
                            line.push_str(&format!(" — {hint}"));
                        }
                        self.errors.push(line);
                    }
                }
            }
        }
    }

    fn finish(&mut self) -> Done {
        match self.voice {
            Voice::Command => Done::quiet(match (self.permanent, self.transient) {
                (true, _) => Exit::Action,
                (false, true) => Exit::Error,
                _ => Exit::Ok,
            }),
            Voice::Doctor => {
                let mut events = Vec::new();
                if !self.errors.is_empty() {
                    events.push(Event::Output("OAuth refresh errors".into()));
                    events.extend(self.errors.drain(..).map(Event::Output));
                    events.push(Event::Output(String::new()));
                }
                Done::with(Exit::Ok, events)
            }
        }
    }
}

/// How a command that acts on a provider's stored profiles ends when
/// `--provider` names none ([`is_known`]): refused, exit 1.
pub(crate) fn unknown_provider(provider: &ProviderId) -> Done {
    Done::refused(Exit::Action, format!("unknown provider \"{provider}\": no profile in the store has it"))
}

/// The logins doctor refreshes: those it reports as expired or expiring
/// that can refresh and are due now (expired, or inside the refresh
/// window). A login that is merely inside doctor's 24 h warning window is
/// left alone: refreshing it would rotate a refresh token Claude Code
/// shares, on every run, for nothing.
pub fn due_for_doctor(loaded: &Loaded, issues: &[Issue]) -> Vec<String> {
    let window = refresh_window(&loaded.env);
    issues
        .iter()
        .filter(|i| i.refreshable && matches!(i.status, HealthStatus::Expired | HealthStatus::Expiring))
        .filter(|i| {
            matches!(loaded.store.credential(&i.profile_id),
                Some(Credential::OAuth(o)) if needs_refresh(o, loaded.now, window))
        })
        .map(|i| i.profile_id.clone())
        .collect()
}

impl Machine for Renew {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, out: &mut Lines) -> Turn<State> {
        let next = match state {
            State::Load { mut look, selection } => match advance(&mut *look, input, now) {
                Step::Effect(e) => return Turn::Ask(State::Load { look, selection }, e),
                Step::Ready(looked) => self.select(looked.loaded, selection),
            },
            State::Next { mut loaded, mut ids } => match ids.pop_front() {
                Some(id) => {
                    loaded.now = now;
                    let refresh = RefreshLogin::new(&loaded, self.agent.as_deref(), &id, self.force);
                    let refresh = Box::new(refresh.reading_keychain(self.keychain));
                    State::Run { loaded, ids, id, refresh }
                }
                None => {
                    self.latest = Some(*loaded);
                    return Turn::End(self.finish());
                }
            },
            State::Run { mut loaded, ids, id, mut refresh } => match advance(&mut *refresh, input, now) {
                Step::Effect(e) => return Turn::Ask(State::Run { loaded, ids, id, refresh }, e),
                Step::Ready(ended) => {
                    if let Some(latest) = ended.latest {
                        loaded.store = latest.store;
                        loaded.write = None;
                    }
                    self.ended(&id, ended.result, &loaded, out);
                    State::Next { loaded, ids }
                }
            },
            State::Done(done) => return Turn::End(done),
        };
        Turn::Go(next)
    }
}

flow_of_driven!(RefreshCommand);
