//! Resolving a load's SecretRefs through effects: one
//! [`Effect::ReadSecretFile`] per file, and per exec provider an
//! [`Effect::Inspect`] of its resolver then, when the rules allow it, one
//! [`Effect::RunResolver`] for all its ids. What each answer means is
//! [`crate::secret_refs`]'s; this part only asks and collects.

use super::Step;
use super::drive::Part;
use super::{Answer, Effect, Reply};
use crate::load::Loaded;
use crate::secret_refs::{self, ExecJob, FileJob, RefStates};
use crate::secrets::MAX_SECRET_BYTES;
use crate::time::Millis;
use std::collections::VecDeque;

/// The refs of one load, resolved one effect at a time.
pub(crate) struct ResolveRefs {
    files: VecDeque<FileJob>,
    execs: VecDeque<(ExecJob, Vec<(String, String)>)>,
    waiting: Waiting,
    input: Option<Answer>,
    out: RefStates,
}

enum Waiting {
    Nothing,
    File(FileJob),
    Inspect(ExecJob, Vec<(String, String)>),
    Run(ExecJob),
}

impl ResolveRefs {
    /// The resolution of `loaded`'s refs; exec resolvers run only when
    /// `allow_exec` (or the config) allows them.
    pub(crate) fn new(loaded: &Loaded, allow_exec: bool, provider: Option<&str>) -> ResolveRefs {
        let secrets = &loaded.config.config.secrets;
        let wanted = provider.map(crate::provider::normalize);
        let keep = |_: &str, p: &crate::store::Profile| {
            wanted.as_ref().is_none_or(|w| crate::provider::normalize(p.credential.provider()) == *w)
        };
        let plan = secret_refs::plan_where(&loaded.store, secrets, &loaded.env, allow_exec, &keep);
        let execs = plan
            .execs
            .into_iter()
            .map(|job| {
                let env = secret_refs::exec_env(&job.decl, &loaded.env);
                (job, env)
            })
            .collect();
        ResolveRefs { files: plan.files.into(), execs, waiting: Waiting::Nothing, input: None, out: plan.decided }
    }

    /// Resolves and sets `loaded.refs` in one go, when nothing needs the host
    /// (no file or exec ref): `None` then; else the part to drive. Only
    /// `provider`'s profiles when given.
    pub(crate) fn needed(loaded: &mut Loaded, allow_exec: bool, provider: Option<&str>) -> Option<ResolveRefs> {
        let mut part = ResolveRefs::new(loaded, allow_exec, provider);
        if part.files.is_empty() && part.execs.is_empty() {
            loaded.refs = std::mem::take(&mut part.out);
            None
        } else {
            Some(part)
        }
    }

    fn record(&mut self, checks: Vec<(String, secret_refs::RefCheck)>) {
        self.out.extend(checks);
    }
}

impl Part for ResolveRefs {
    type Out = RefStates;

    fn feed(&mut self, _now: Millis, input: Answer) {
        self.input = Some(input);
    }

    fn next(&mut self, _now: Millis) -> Step<RefStates> {
        loop {
            let input = self.input.take();
            match (std::mem::replace(&mut self.waiting, Waiting::Nothing), input) {
                (Waiting::File(job), Some(Answer::SecretFile(read))) => {
                    let checks = secret_refs::judge_file(&job, &read);
                    self.record(checks);
                }
                (Waiting::Inspect(job, env), Some(Answer::Inspected(facts))) => {
                    match secret_refs::judge_resolver(&job, facts.as_ref()) {
                        Err(checks) => self.record(checks),
                        Ok(()) => {
                            let effect = Effect::RunResolver {
                                command: job.decl.command.clone(),
                                args: job.decl.args.clone(),
                                env,
                                stdin: secret_refs::exec_request(&job),
                                timeout_ms: job.decl.timeout_ms,
                                max_output_bytes: job.decl.max_output_bytes,
                                reply: Reply::new(),
                            };
                            self.waiting = Waiting::Run(job);
                            return Step::Effect(effect);
                        }
                    }
                }
                (Waiting::Run(job), Some(Answer::Resolved(run))) => {
                    let checks = secret_refs::judge_run(&job, &run);
                    self.record(checks);
                }
                // Still waiting (or a stray answer): ask again.
                (waiting @ (Waiting::File(_) | Waiting::Inspect(..) | Waiting::Run(_)), _) => {
                    let effect = match &waiting {
                        Waiting::File(job) => file_effect(job),
                        Waiting::Inspect(job, _) => inspect_effect(job),
                        Waiting::Run(job) => {
                            // A run is never asked twice: a lost answer fails its refs.
                            let checks = secret_refs::judge_run(
                                job,
                                &crate::io::ResolverRun::Failed(crate::io::IoKind::Other { code: None }),
                            );
                            self.record(checks);
                            continue;
                        }
                        Waiting::Nothing => continue,
                    };
                    self.waiting = waiting;
                    return Step::Effect(effect);
                }
                (Waiting::Nothing, _) => {}
            }
            if let Some(job) = self.files.pop_front() {
                let effect = file_effect(&job);
                self.waiting = Waiting::File(job);
                return Step::Effect(effect);
            }
            if let Some((job, env)) = self.execs.pop_front() {
                let effect = inspect_effect(&job);
                self.waiting = Waiting::Inspect(job, env);
                return Step::Effect(effect);
            }
            return Step::Ready(std::mem::take(&mut self.out));
        }
    }
}

fn file_effect(job: &FileJob) -> Effect {
    Effect::ReadSecretFile { path: job.path.clone(), max_bytes: MAX_SECRET_BYTES, reply: Reply::new() }
}

fn inspect_effect(job: &ExecJob) -> Effect {
    Effect::Inspect { path: job.decl.command.clone(), reply: Reply::new() }
}

/// Whether a ref about to be stored resolves: one look (the config's
/// providers, the environment), the ref placed on the profile in memory
/// only, then its resolution. Ends with what became of it.
pub(crate) struct CheckRef {
    profile_id: String,
    profile: Option<crate::store::Profile>,
    allow_exec: bool,
    state: CheckState,
}

enum CheckState {
    Look(Box<super::look::Look>),
    Refs(Box<ResolveRefs>),
    Over,
}

impl CheckRef {
    /// The check of `profile` (holding the ref) stored as `profile_id`.
    pub(crate) fn new(
        env: &crate::env::Env,
        agent: Option<&str>,
        profile_id: &str,
        profile: crate::store::Profile,
        allow_exec: bool,
    ) -> CheckRef {
        CheckRef {
            profile_id: profile_id.to_string(),
            profile: Some(profile),
            allow_exec,
            state: CheckState::Look(Box::new(super::look::Look::new(env, agent))),
        }
    }
}

impl Part for CheckRef {
    type Out = secret_refs::RefCheck;

    fn feed(&mut self, now: Millis, input: Answer) {
        match &mut self.state {
            CheckState::Look(look) => look.feed(now, input),
            CheckState::Refs(refs) => refs.feed(now, input),
            CheckState::Over => {}
        }
    }

    fn next(&mut self, now: Millis) -> Step<secret_refs::RefCheck> {
        loop {
            match std::mem::replace(&mut self.state, CheckState::Over) {
                CheckState::Look(mut look) => match look.next(now) {
                    Step::Effect(e) => {
                        self.state = CheckState::Look(look);
                        return Step::Effect(e);
                    }
                    Step::Ready(looked) => {
                        // The store in memory only: only this profile, so
                        // nothing else is resolved (or run).
                        let mut loaded = looked.loaded;
                        loaded.store = crate::store::AuthStore::default();
                        if let Some(profile) = self.profile.take() {
                            loaded.store.profiles.insert(self.profile_id.clone(), profile);
                        }
                        self.state = CheckState::Refs(Box::new(ResolveRefs::new(&loaded, self.allow_exec, None)));
                    }
                },
                CheckState::Refs(mut refs) => match refs.next(now) {
                    Step::Effect(e) => {
                        self.state = CheckState::Refs(refs);
                        return Step::Effect(e);
                    }
                    Step::Ready(mut states) => {
                        let check = states.remove(&self.profile_id).unwrap_or(secret_refs::RefCheck::NotChecked);
                        return Step::Ready(check);
                    }
                },
                CheckState::Over => return Step::Ready(secret_refs::RefCheck::NotChecked),
            }
        }
    }
}
