//! The one scripted host of the command flows' unit tests: files in a
//! map, Keychain items, locks that someone else may hold, a token server
//! that answers from a list, a secret and typed answers given in advance,
//! modes of paths; what the flow asked is recorded in order. A hook sees
//! each effect before it is carried out, to play another process (a
//! racing caller, Claude Code, a writer that skips the lock) at the exact
//! step where it matters.

use super::*;
use crate::env::Env;
use crate::refresh::{HttpRequest, HttpResponse};
use crate::secret::Secret;
use crate::world::FileRead;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub(crate) const NOW: Millis = 1_767_225_600_000;
pub(crate) const STATE: &str = "/h/.clawdbot";
pub(crate) const CONFIG: &str = "/h/.clawdbot/clawdbot.json";

pub(crate) fn store_path(agent: &str) -> String {
    format!("{STATE}/agents/{agent}/agent/auth-profiles.json")
}

/// A host with a Keychain (the items it holds are the host's to answer).
pub(crate) fn env() -> Env {
    Env { system_keychain: true, ..Env::new("/h") }
}

/// Another process acting just before the host carries out an effect.
pub(crate) type Hook<'a> = Box<dyn FnMut(&Effect, &mut Host) + 'a>;

#[derive(Default)]
pub(crate) struct Host {
    pub files: BTreeMap<String, String>,
    /// Keychain items and what they hold.
    pub items: BTreeMap<KeychainItem, String>,
    /// Folders under `<state>/agents/`, each with an `agent/` folder.
    pub folders: Vec<&'static str>,
    /// Modes of paths that exist besides the files (folders included; a
    /// shared lock finds its folder among them or above a file).
    pub modes: BTreeMap<String, u32>,
    /// Paths that are symlinks, with the folder of their target and its mode.
    pub links: BTreeMap<String, (String, u32)>,
    pub shell: Option<ShellAnswer>,
    pub secret: Option<Result<Secret, SecretError>>,
    pub lines: VecDeque<Result<String, crate::io::IoKind>>,
    pub answer: Option<bool>,
    /// Paths whose chmod or removal fails.
    pub stuck: BTreeSet<String>,
    /// Lock paths someone else holds for the whole wait.
    pub busy: BTreeSet<String>,
    /// Lock paths the flow holds now.
    pub held: BTreeSet<String>,
    /// Token server answers; the last one repeats (none: no server).
    pub replies: VecDeque<HttpResponse>,
    /// Store edits only: every write happens under a lock, no lock is
    /// taken while one is held, a pasted secret is given, and nothing but
    /// reads, locks, writes and questions is asked (else the test fails).
    pub edits_only: bool,
    /// What the flow asked, one entry per effect (reads one per path; a
    /// lock not taken says why after its path).
    pub asked: Vec<String>,
    /// The Keychain items the flow asked for, in order.
    pub keychain: Vec<KeychainItem>,
    /// The locks the flow asked for, in order, with their kinds and timings.
    pub locks: Vec<LockRequest>,
    /// The requests sent to the token server, in order.
    pub posts: Vec<HttpRequest>,
    /// How a program run on the terminal ends (default: not on PATH), and
    /// a file it leaves behind when it runs (Claude Code storing a login).
    pub ran: Option<RunAnswer>,
    pub leaves: Option<(String, String)>,
}

impl Host {
    pub(crate) fn with_store(store: &serde_json::Value) -> Host {
        let mut host = Host::default();
        host.files.insert(store_path("main"), store.to_string());
        host
    }

    /// The token server answers `status` with `body`, after the replies
    /// already given.
    pub(crate) fn reply(mut self, status: u16, body: impl std::fmt::Display) -> Host {
        self.replies.push_back(HttpResponse::new(status, vec![], body.to_string()));
        self
    }

    pub(crate) fn store(&self) -> serde_json::Value {
        serde_json::from_str(&self.files[&store_path("main")]).expect("the store is JSON")
    }

    /// Where `what` was first asked.
    pub(crate) fn position(&self, what: &str) -> usize {
        self.asked.iter().position(|a| a == what).unwrap_or_else(|| panic!("{what} in {:?}", self.asked))
    }

    /// Runs `flow` to its end: the end and every line printed before it.
    pub(crate) fn run(&mut self, flow: &mut dyn Flow) -> (Done, Vec<Line>) {
        self.run_with(flow, Box::new(|_, _| {}))
    }

    /// Runs `flow` to its end; `hook` sees each effect before it is
    /// carried out.
    pub(crate) fn run_with(&mut self, flow: &mut dyn Flow, mut hook: Hook<'_>) -> (Done, Vec<Line>) {
        let mut printed = Vec::new();
        for _ in 0..10_000 {
            let effect = flow.poll();
            hook(&effect, self);
            match effect {
                Effect::Done(done) => return (done, printed),
                Effect::Emit(event) => printed.extend(event.lines()),
                effect => {
                    if let Some(answer) = self.perform(effect) {
                        flow.handle(NOW, answer.into());
                    }
                }
            }
        }
        panic!("the flow never ended: {:?}", self.asked);
    }

    /// Runs `flow` until it ends or asks for what `stop` picks, answering
    /// at `at()`: that effect, not carried out.
    pub(crate) fn run_until(
        &mut self,
        flow: &mut dyn Flow,
        stop: impl Fn(&Effect) -> bool,
        at: impl Fn() -> Millis,
    ) -> Effect {
        for _ in 0..10_000 {
            let effect = flow.poll();
            if matches!(effect, Effect::Done(_)) || stop(&effect) {
                return effect;
            }
            if let Some(answer) = self.perform(effect) {
                flow.handle(at(), answer.into());
            }
        }
        panic!("the flow never ended: {:?}", self.asked);
    }

    /// Runs a part of a command to its result, and what it showed.
    pub(crate) fn run_part<P: super::drive::Part>(&mut self, part: &mut P) -> (P::Out, Vec<Line>) {
        let (mut printed, mut input) = (Vec::new(), None);
        for _ in 0..10_000 {
            match super::drive::advance(part, input.take(), NOW) {
                super::Step::Ready(out) => return (out, printed),
                super::Step::Effect(Effect::Emit(event)) => printed.extend(event.lines()),
                super::Step::Effect(effect) => input = self.perform(effect),
            }
        }
        panic!("the part never ended: {:?}", self.asked);
    }

    /// Carries out one effect; the answer, when the flow waits for one.
    pub(crate) fn perform(&mut self, effect: Effect) -> Option<Answer> {
        if self.edits_only {
            self.check_edit(&effect);
        }
        Some(match effect {
            Effect::Done(_) | Effect::Emit(_) => return None,
            Effect::Read { paths, .. } => {
                self.asked.extend(paths.iter().map(|p| format!("read {p}")));
                let read = |p: &String| self.files.get(p).map_or(FileRead::Absent, |t| FileRead::text(t.clone()));
                Answer::Files(paths.iter().map(|p| (p.clone(), read(p))).collect())
            }
            Effect::ReadKeychain { item, .. } => {
                let held = self.items.get(&item).cloned().map(FileRead::text);
                self.keychain.push(item);
                Answer::Keychain(held)
            }
            Effect::Send { request, provider, .. } => {
                self.asked.push(format!("send {}", request.url));
                self.posts.push(request);
                let reply = match self.replies.len() {
                    0 => {
                        let failure = crate::refresh::TransportFailure::Other;
                        let error = crate::refresh::transport_error(provider, failure, "no server in this test");
                        return Some(Answer::Response(Err(error)));
                    }
                    1 => self.replies[0].clone(),
                    _ => self.replies.pop_front()?,
                };
                Answer::Response(Ok(reply))
            }
            Effect::RunOnTerminal { program, args, .. } => {
                self.asked.push(format!("run {program} {}", args.join(" ")).trim_end().to_string());
                if let Some((path, text)) = self.leaves.take() {
                    self.files.insert(path, text);
                }
                Answer::Ran(self.ran.clone().unwrap_or(RunAnswer::NotFound))
            }
            Effect::Lock { request, .. } => {
                let path = request.path.clone();
                let shared = matches!(request.kind, LockKind::Shared { .. } | LockKind::File { .. });
                // A lock file needs its folder; a lock folder its target.
                let target = match request.kind {
                    LockKind::File { .. } => path.rsplit_once('/').map_or(path.clone(), |(dir, _)| dir.to_string()),
                    _ => path.clone(),
                };
                self.locks.push(request);
                let there =
                    self.modes.contains_key(&target) || self.files.keys().any(|p| p.starts_with(&format!("{target}/")));
                if shared && !there {
                    self.asked.push(format!("lock {path} (no target)"));
                    return Some(Answer::Lock(LockAnswer::NoTarget));
                }
                if self.busy.contains(&path) || self.held.contains(&path) {
                    self.asked.push(format!("lock {path} (busy)"));
                    let busy = LockBusy { lock_path: format!("{path}.lock"), waited_ms: 10_000 };
                    return Some(Answer::Lock(LockAnswer::Busy(busy)));
                }
                self.asked.push(format!("lock {path}"));
                self.held.insert(path);
                Answer::Lock(LockAnswer::Taken)
            }
            Effect::Unlock { path } => {
                self.asked.push(format!("unlock {path}"));
                self.held.remove(&path);
                return None;
            }
            Effect::WriteAtomic { path, text, .. } => {
                self.asked.push(format!("write {path}"));
                self.files.insert(path, text.expose().to_string());
                Answer::Written(Ok(()))
            }
            Effect::SaveBackup { of, text, .. } => {
                // The first free name, as the host picks it.
                let name = std::iter::once(format!("{of}.bak"))
                    .chain((1..).map(|n| format!("{of}.bak.{n}")))
                    .find(|name| !self.files.contains_key(name))
                    .unwrap_or_default();
                self.asked.push(format!("write {name}"));
                self.files.insert(name.clone(), text.expose().to_string());
                Answer::Saved(Ok(name))
            }
            Effect::Remove { path, .. } => {
                self.asked.push(format!("remove {path}"));
                if self.stuck.contains(&path) {
                    let denied = crate::io::IoFailure::new(crate::io::IoKind::PermissionDenied, &path);
                    return Some(Answer::Written(Err(denied.at(crate::io::IoStep::Remove))));
                }
                self.files.remove(&path);
                Answer::Written(Ok(()))
            }
            Effect::WriteBack { write: w, .. } => {
                self.asked.push(written_back(&w.place));
                match w.place {
                    WriteBackPlace::File { path } => self.files.insert(path, w.text.expose().to_string()),
                    WriteBackPlace::Keychain(item) | WriteBackPlace::SealedKeychain(item) => {
                        self.items.insert(item, w.text.expose().to_string())
                    }
                };
                Answer::Written(Ok(()))
            }
            Effect::ListFolder { path, .. } => {
                self.asked.push(format!("list {path}"));
                Answer::Entries(self.folders.iter().map(|n| Entry { name: n.to_string(), folder: true }).collect())
            }
            Effect::Stat { paths, .. } => {
                self.asked.push(format!("stat {}", paths.len()));
                Answer::Stats(paths.iter().map(|p| (p.clone(), self.meta(p))).collect())
            }
            Effect::SetMode { path, mode, .. } => {
                self.asked.push(format!("chmod {mode:o} {path}"));
                if self.stuck.contains(&path) {
                    let denied = crate::io::IoFailure::new(crate::io::IoKind::PermissionDenied, &path);
                    return Some(Answer::Written(Err(denied.at(crate::io::IoStep::SetMode))));
                }
                self.modes.insert(path, mode);
                Answer::Written(Ok(()))
            }
            Effect::ShellEnv { shell, .. } => {
                self.asked.push(format!("shell {shell}"));
                Answer::ShellEnv(self.shell.clone().unwrap_or(ShellAnswer::Failed))
            }
            Effect::AskSecret { prompt, .. } => {
                self.asked.push(format!("secret {prompt}"));
                Answer::Secret(self.secret.take().unwrap_or(Err(SecretError::Unreadable(crate::io::IoKind::Closed))))
            }
            Effect::AskLine { prompt, .. } => {
                self.asked.push(format!("ask {prompt}"));
                Answer::Text(self.lines.pop_front().unwrap_or(Err(crate::io::IoKind::Closed)))
            }
            Effect::Confirm { question, .. } => {
                self.asked.push(format!("confirm {question}"));
                Answer::Confirmed(self.answer.map(|yes| if yes { "y" } else { "n" }.to_string()))
            }
        })
    }

    /// What a store edit may ask, checked before it is carried out.
    fn check_edit(&self, effect: &Effect) {
        match effect {
            Effect::Lock { .. } => assert!(self.held.is_empty(), "a flow never takes a lock while it holds one"),
            Effect::WriteAtomic { path, .. } => assert!(!self.held.is_empty(), "{path} written outside the lock"),
            Effect::AskSecret { .. } => assert!(self.secret.is_some(), "the test gives the pasted key"),
            Effect::Done(_)
            | Effect::Emit(_)
            | Effect::Read { .. }
            | Effect::ReadKeychain { .. }
            | Effect::Unlock { .. }
            | Effect::Confirm { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }

    fn meta(&self, path: &str) -> Option<FileMeta> {
        let agent_folder = self.folders.iter().any(|n| path == format!("{STATE}/agents/{n}/agent"));
        let mode = match self.modes.get(path) {
            Some(mode) => *mode,
            None if agent_folder => 0o700,
            None if self.files.contains_key(path) => 0o600,
            None => return None,
        };
        let folder = agent_folder || !self.files.contains_key(path);
        Some(FileMeta { folder, regular: !folder, mode, link_folder: self.links.get(path).cloned() })
    }
}

/// How a write-back to `place` is recorded in [`Host::asked`].
pub(crate) fn written_back(place: &WriteBackPlace) -> String {
    match place {
        WriteBackPlace::File { path } => format!("back {path}"),
        WriteBackPlace::Keychain(item) => format!("back keychain {} {}", item.service, item.account),
        WriteBackPlace::SealedKeychain(item) => format!("back sealed keychain {} {}", item.service, item.account),
    }
}

/// The text of the lines on `stream`, one per line.
pub(crate) fn text(lines: &[Line], stream: Stream) -> String {
    lines.iter().filter(|l| l.stream == stream).map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n")
}
