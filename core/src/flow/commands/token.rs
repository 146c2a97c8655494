//! `clawdbot models auth token`: the key a client should use now, refreshed
//! first when it is an OAuth login that is expired or about to expire.
//!
//! One load (saving what its sync took), then, only when the login is due,
//! the refresh protocol of [`super::refresh`], whose look under the lock is
//! the only other read. The key is resolved again from the store as the
//! refresh left it, so no load follows.

use super::drive::{Driven, Lines, Machine, Turn, advance, emit, flow_of_driven};
use super::refresh_login::{Ended, RefreshLogin};
use super::refs::ResolveRefs;
use super::settle::{Settle, Settled};
use super::shell::ShellFallback;
use super::{Answer, Done, Effect, Event, Exit, ShellAnswer, Step, look, refresh_window};
use crate::duration::DurationFlag;
use crate::escape::needs_escape;
use crate::handout::{self, HandedKey, KeyForm};
use crate::load::Loaded;
use crate::paths::Env;
use crate::refresh::RefreshFailure;
use crate::refresh::needs_refresh;
use crate::remaining::format_remaining_short;
use crate::repair::format_auth_doctor_hint;
use crate::resolve::{ResolveError, ResolvedKey, resolve_key};
use crate::store::Credential;
use crate::time::{Millis, SECOND};

/// How long a handed-out key must stay valid unless `--min-valid` says
/// otherwise: Claude Code keeps a helper's key for 5 minutes, so a key
/// valid for 10 outlives its cache.
pub const TOKEN_MIN_VALID_MS: Millis = 10 * crate::time::MINUTE;
/// How long the token requests of one `models auth token` may take in all:
/// Claude Code warns about a helper that takes more than 10 s, and the
/// load and the lock need a little too.
pub const TOKEN_BUDGET_MS: Millis = 8 * SECOND;

/// What `models auth token` was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The provider whose key to print.
    pub provider: String,
    /// Use exactly this profile (no fallback to other profiles or the env).
    pub profile: Option<String>,
    /// The agent (`None`: the default agent).
    pub agent: Option<String>,
    /// Refresh first even if the login looks fresh (the client got a 401).
    pub force: bool,
}

enum State {
    Load(Box<Settle>),
    Shell {
        loaded: Box<Loaded>,
        shell: ShellFallback,
    },
    Refs {
        loaded: Box<Loaded>,
        refs: Box<ResolveRefs>,
    },
    Refresh {
        loaded: Box<Loaded>,
        refresh: Box<RefreshLogin>,
        resolved: Result<ResolvedKey, ResolveError>,
        id: String,
        still_valid: bool,
    },
    Done(Done),
}

struct Token {
    request: TokenRequest,
    allow_exec: bool,
    form: KeyForm,
    min_valid: Millis,
    deadline: Millis,
    now: Millis,
}

/// `models auth token` as a flow.
pub struct TokenCommand {
    inner: Driven<Token>,
}

impl TokenCommand {
    /// The command as asked, at `now`.
    pub fn new(request: TokenRequest, env: &Env, now: Millis) -> TokenCommand {
        let settle = Settle::new(env, request.agent.as_deref(), now).reading_keychain(true);
        let token = Token {
            request,
            allow_exec: false,
            form: KeyForm::Raw,
            min_valid: TOKEN_MIN_VALID_MS,
            deadline: now.saturating_add(TOKEN_BUDGET_MS),
            now,
        };
        TokenCommand { inner: Driven::start(token, State::Load(Box::new(settle)), env, now) }
    }

    /// `--allow-exec`: a SecretRef of the exec source is resolved by
    /// running its resolver (else it fails closed as "not checked").
    pub fn allow_exec(mut self, allow: bool) -> TokenCommand {
        self.inner.machine.allow_exec = allow;
        self
    }

    /// Prints the key in `form` (default: the key alone).
    pub fn form(mut self, form: KeyForm) -> TokenCommand {
        self.inner.machine.form = form;
        self
    }

    /// Refreshes first when the key would expire within `ms` (default
    /// [`TOKEN_MIN_VALID_MS`]); the refresh window applies too.
    pub fn min_valid(mut self, ms: Millis) -> TokenCommand {
        self.inner.machine.min_valid = ms;
        self
    }

    /// `--min-valid` as typed ([`DurationFlag::MinValid`]: a bare number
    /// is minutes); a duration that does not parse ends the command as a
    /// usage error before anything is read.
    pub fn min_valid_flag(mut self, raw: &str) -> TokenCommand {
        let flag = DurationFlag::MinValid;
        match flag.parse(raw) {
            Ok(ms) => self.min_valid(ms),
            Err(e) => {
                self.inner.end(Done::refused(Exit::Usage, format!("{}: {e}", flag.flag())));
                self
            }
        }
    }

    /// No token request runs past `ms` after the start (default
    /// [`TOKEN_BUDGET_MS`]).
    pub fn budget(mut self, ms: Millis) -> TokenCommand {
        let token = &mut self.inner.machine;
        token.deadline = token.now.saturating_add(ms);
        self
    }
}

impl Token {
    /// Prints the key for scripts, or refuses.
    fn hand_out(&self, loaded: &Loaded, resolved: Result<ResolvedKey, ResolveError>) -> State {
        let resolved = match resolved {
            Ok(r) => r,
            Err(e) => return State::Done(Done::refusing(Exit::Action, &crate::Error::from(e))),
        };
        if let Some(refusal) = unprintable(&resolved) {
            return State::Done(refusal);
        }
        let key = match handout::render(&HandedKey::of(loaded, &self.request.provider, &resolved), self.form) {
            Ok(key) => key,
            Err(e) => return State::Done(Done::refusing(Exit::Action, &e.into())),
        };
        let mut events = self.cautions(loaded, &resolved);
        events.push(Event::Key { source: resolved.source, key });
        State::Done(Done::with(Exit::Ok, events))
    }

    /// What to say before handing out a key that may not serve: its
    /// profile is backing off (the one verdict), or it expires within
    /// `--min-valid` (issue 23 items 6 and 8). The key is still handed out:
    /// it is the best there is, and works until then.
    fn cautions(&self, loaded: &Loaded, resolved: &ResolvedKey) -> Vec<Event> {
        let Some(id) = resolved.profile_id.as_deref() else { return Vec::new() };
        let Some(verdict) = loaded.assess(id, crate::health::HealthRules::default()) else {
            return Vec::new();
        };
        let shown = crate::escape::escape_control(id);
        let mut events = Vec::new();
        if let Some(b) = verdict.backoff.as_ref().filter(|_| verdict.standing.backing_off()) {
            let label = crate::escape::escape_control(&b.label()).into_owned();
            events.push(Event::warning(format!("{shown} is backing off ({label}); its key may be refused until then")));
        }
        if let Some(left) =
            verdict.expires_at.map(|e| e.remaining(loaded.now)).filter(|left| *left < self.min_valid as f64)
        {
            let (left, wanted) =
                (format_remaining_short(Some(left)), format_remaining_short(Some(self.min_valid as f64)));
            events.push(Event::warning(format!(
                "{shown}: the key expires in {left}, sooner than --min-valid ({wanted})"
            )));
            events.extend(crate::remedy::for_short_key(&verdict).map(Event::Hint));
        }
        events
    }

    /// The load is saved and its notices printed: the shell-env fallback,
    /// then the key.
    fn loaded(&mut self, settled: Settled, out: &mut Lines) -> State {
        let events = look::saved_notices(&settled.loaded, settled.save_error.as_deref());
        out.extend(events.into_iter().map(Effect::Emit));
        let loaded = settled.loaded;
        match ShellFallback::needed(&loaded, self.now) {
            Some(shell) => State::Shell { loaded: Box::new(loaded), shell },
            None => self.refs(loaded),
        }
    }

    /// The provider's SecretRefs are resolved, then the key.
    fn refs(&mut self, mut loaded: Loaded) -> State {
        match ResolveRefs::needed(&mut loaded, self.allow_exec, Some(&self.request.provider)) {
            None => self.resolve(loaded),
            Some(refs) => State::Refs { loaded: Box::new(loaded), refs: Box::new(refs) },
        }
    }

    fn shell_env(&mut self, mut loaded: Loaded, shell: &ShellFallback, answer: ShellAnswer, out: &mut Lines) -> State {
        if let (_, Some(warning)) = shell.apply(&mut loaded, answer) {
            emit(out, warning);
        }
        self.refs(loaded)
    }

    /// A login expiring within this is refreshed first: the refresh
    /// window, or the key's minimum validity when that is longer.
    fn window(&self, env: &Env) -> Millis {
        refresh_window(env).max(self.min_valid)
    }

    /// Resolves the key; a login that is due is refreshed first.
    fn resolve(&mut self, loaded: Loaded) -> State {
        let resolved = resolve_key(&loaded, &self.request.provider, self.request.profile.as_deref());
        // The login to refresh first, and whether its current key may
        // still be handed out if the refresh cannot complete now.
        let due = match &resolved {
            Err(ResolveError::NeedsRefresh(id)) => Some((id.clone(), false)),
            Ok(r) => r.profile_id.as_ref().and_then(|id| match &loaded.store.profile(id)?.credential {
                Credential::OAuth(o) => {
                    let due = self.request.force || needs_refresh(o, loaded.now, self.window(&loaded.env));
                    due.then(|| (id.clone(), !self.request.force))
                }
                _ => None,
            }),
            Err(_) => None,
        };
        match due {
            None => self.hand_out(&loaded, resolved),
            Some((id, still_valid)) => {
                let (agent, window) = (self.request.agent.as_deref(), self.window(&loaded.env));
                let refresh =
                    RefreshLogin::within(&loaded, agent, &id, self.request.force, window, Some(self.deadline));
                let refresh = Box::new(refresh.reading_keychain(true));
                State::Refresh { loaded: Box::new(loaded), refresh, resolved, id, still_valid }
            }
        }
    }

    fn refreshed(
        &mut self,
        out: &mut Lines,
        mut loaded: Loaded,
        ended: Ended,
        resolved: Result<ResolvedKey, ResolveError>,
        id: &str,
        still_valid: bool,
    ) -> State {
        match ended.result {
            Ok(report) => {
                for w in &report.warnings {
                    emit(out, Event::warning(w.as_str()));
                }
                // The store as the refresh left it; the command's own
                // environment (with the shell fallback) stays.
                if let Some(latest) = ended.latest {
                    loaded.store = latest.store;
                    loaded.config = latest.config;
                    loaded.gcloud_adc = latest.gcloud_adc;
                }
                loaded.now = self.now;
                let resolved = resolve_key(&loaded, &self.request.provider, self.request.profile.as_deref());
                self.hand_out(&loaded, resolved)
            }
            Err(failure) if still_valid => {
                // Not expired yet: the current key still works for a while;
                // the next call (or `doctor`) reports the failure again.
                emit(out, Event::warning(format!("{id}: {failure}")));
                self.hand_out(&loaded, resolved)
            }
            // The login could not be renewed: a key from the environment or
            // the config stands in, as the reference goes on past a profile
            // whose refresh failed (an explicit --profile has no stand-in).
            Err(failure) if self.request.profile.is_none() => {
                match crate::resolve::stand_in_key(&loaded, &self.request.provider) {
                    Some(key) => {
                        emit(out, Event::warning(format!("{id}: {failure}; using {} instead", key.source)));
                        self.hand_out(&loaded, Ok(key))
                    }
                    None => State::Done(refresh_failed(id, &failure, &loaded)),
                }
            }
            Err(failure) => State::Done(refresh_failed(id, &failure, &loaded)),
        }
    }
}

/// `error: <id>: <what happened>` and, when there is one, what to do; exit
/// 1 for a dead login, 3 for one that may work later.
///
/// When the login that failed is a legacy `<provider>:default` id that an
/// OAuth profile should replace, the reference's "Doctor hint (for GitHub
/// issue)" block follows (A25, A71): it names the suggested profile and
/// `clawdbot doctor --yes`, which makes the repair.
pub(crate) fn refresh_failed(id: &str, failure: &RefreshFailure, loaded: &Loaded) -> Done {
    let mut events = vec![Event::error(format!("{id}: {failure}"))];
    let provider = loaded
        .store
        .profile(id)
        .map(|p| p.credential.provider().to_string())
        .unwrap_or_else(|| id.split_once(':').map_or(id, |(p, _)| p).to_string());
    if let Some(block) = format_auth_doctor_hint(&loaded.config.config, &loaded.store, &provider, Some(id)) {
        events.extend(block.lines().map(|l| Event::Notice(l.to_string())));
    }
    events.extend(failure.hint().map(Event::Hint));
    Done::with(if failure.is_permanent() { Exit::Action } else { Exit::Error }, events)
}

/// The refusal of a key that cannot be printed, or `None`.
fn unprintable(resolved: &ResolvedKey) -> Option<Done> {
    // A key holding control characters (from a hostile file) is no key a
    // server accepts, and printing it would hand a terminal its escapes.
    resolved.key.expose().chars().any(needs_escape).then(|| {
        let why = format!("the key from {} contains control characters; refusing to print it", resolved.source);
        Done::refused(Exit::Action, why)
    })
}

impl Machine for Token {
    type State = State;

    fn step(&mut self, state: State, input: Option<Answer>, now: Millis, out: &mut Lines) -> Turn<State> {
        self.now = now;
        let next = match state {
            State::Load(mut settle) => match advance(&mut *settle, input, now) {
                Step::Effect(e) => return Turn::Ask(State::Load(settle), e),
                Step::Ready(settled) => self.loaded(settled, out),
            },
            State::Shell { loaded, shell } => match input {
                Some(Answer::ShellEnv(answer)) => self.shell_env(*loaded, &shell, answer, out),
                _ => {
                    let effect = shell.effect();
                    return Turn::Ask(State::Shell { loaded, shell }, effect);
                }
            },
            State::Refs { mut loaded, mut refs } => match advance(&mut *refs, input, now) {
                Step::Effect(e) => return Turn::Ask(State::Refs { loaded, refs }, e),
                Step::Ready(states) => {
                    loaded.refs = states;
                    self.resolve(*loaded)
                }
            },
            State::Refresh { loaded, mut refresh, resolved, id, still_valid } => {
                match advance(&mut *refresh, input, now) {
                    Step::Effect(e) => {
                        return Turn::Ask(State::Refresh { loaded, refresh, resolved, id, still_valid }, e);
                    }
                    Step::Ready(ended) => self.refreshed(out, *loaded, ended, resolved, &id, still_valid),
                }
            }
            State::Done(done) => return Turn::End(done),
        };
        Turn::Go(next)
    }
}

flow_of_driven!(TokenCommand);
