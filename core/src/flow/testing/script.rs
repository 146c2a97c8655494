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
    /// Paths whose atomic write fails (the disk is full).
    pub full: BTreeSet<String>,
    /// Lock targets someone else holds for the whole wait (a shared
    /// lock's folders by their targets: `/h/.claude` for `~/.claude.lock`).
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
    /// Probe servers: the first whose text the URL or a header's value
    /// contains (a key tells two profiles of a provider apart) answers a
    /// request of a batch; none: a transport failure.
    pub probe_replies: Vec<(&'static str, Result<HttpResponse, crate::http::TransportFailure>)>,
    /// The batches sent, with their concurrency and timeouts.
    pub batches: Vec<(Vec<HttpRequest>, usize, HttpTimeouts)>,
    /// How a program run on the terminal ends (default: not on PATH), and
    /// a file it leaves behind when it runs (Claude Code storing a login).
    pub ran: Option<RunAnswer>,
    pub leaves: Option<(String, String)>,
    /// How far the host's clock moved past [`NOW`]: a wait moves it to
    /// its end, and the flow is answered at that time.
    pub clock: Millis,
    /// The bytes a random source gives (default: none).
    pub random: Vec<u8>,
    /// What a listen hears (default: it fails).
    pub callback: Option<Callback>,
    /// The statuses the browser was answered with.
    pub responded: Vec<u16>,
    /// SecretRef resolvers by command: how each run ends (a resolver
    /// is a regular file of mode 0755 unless `modes` says otherwise).
    pub resolvers: BTreeMap<String, crate::io::ResolverRun>,
    /// What each resolver was given on stdin, in order.
    pub stdins: Vec<String>,
    /// Hard-link counts of files (default 1).
    pub nlinks: BTreeMap<String, u64>,
    /// The events the last flow run emitted before its end, in order.
    pub emitted: Vec<crate::flow::Event>,
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
        self.emitted.clear();
        for _ in 0..10_000 {
            let effect = flow.poll();
            hook(&effect, self);
            match effect {
                Effect::Done(done) => return (done, printed),
                Effect::Emit(event) => {
                    printed.extend(event.lines());
                    self.emitted.push(event);
                }
                effect => {
                    if let Some(answer) = self.perform(effect) {
                        flow.handle(NOW + self.clock, answer.into());
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
            Effect::SendAll { requests, concurrency, timeouts, .. } => {
                self.asked.push(format!("send-all {}", requests.len()));
                let exchanges = requests
                    .iter()
                    .map(|r| {
                        let reply = self
                            .probe_replies
                            .iter()
                            .find(|(at, _)| r.url.contains(at) || r.headers.iter().any(|(_, v)| v.contains(at)));
                        let answer = reply.map_or(Err(crate::http::TransportFailure::Connect), |(_, a)| a.clone());
                        crate::http::Exchange { answer, latency_ms: 50 }
                    })
                    .collect();
                self.batches.push((requests, concurrency, timeouts));
                Answer::Exchanges(exchanges)
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
                let folders = match &request.kind {
                    LockKind::Shared { folders, .. } => Some(folders.clone()),
                    LockKind::File { .. } => {
                        // A lock file needs the folder it is made in.
                        Some(vec![LockFolder { target: request.path.clone(), realpath: false }])
                    }
                    LockKind::Store => None,
                };
                self.locks.push(request);
                let is_there =
                    |p: &str| self.modes.contains_key(p) || self.files.keys().any(|f| f.starts_with(&format!("{p}/")));
                // A realpath lock needs its target; the others the folder
                // they are made in.
                let there = folders.as_ref().and_then(|f| f.first()).is_none_or(|first| {
                    if first.realpath {
                        is_there(&first.target)
                    } else {
                        first.target.rsplit_once('/').is_some_and(|(parent, _)| is_there(parent))
                    }
                });
                if !there {
                    self.asked.push(format!("lock {path} (no target)"));
                    return Some(Answer::Lock(LockAnswer::NoTarget));
                }
                // Someone else holds one of its folders (by their targets),
                // or the flow asks for what it holds.
                let targets = folders.map_or_else(|| vec![path.clone()], |f| f.into_iter().map(|f| f.target).collect());
                if let Some(taken) = targets.iter().find(|t| self.busy.contains(*t)).or(self.held.get(&path)) {
                    self.asked.push(format!("lock {path} (busy)"));
                    let busy = LockBusy { lock_path: format!("{taken}.lock"), waited_ms: 10_000 };
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
                if self.full.contains(&path) {
                    let full = crate::io::IoFailure::new(crate::io::IoKind::NoSpace, &path);
                    return Some(Answer::Written(Err(full.at(crate::io::IoStep::Write))));
                }
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
            Effect::Wait { until, .. } => {
                self.asked.push("wait".into());
                self.clock = self.clock.max(until - NOW);
                Answer::Woke(Woke)
            }
            Effect::Random { len, .. } => {
                self.asked.push(format!("random {len}"));
                Answer::Random(RandomBytes(self.random.clone()))
            }
            Effect::Listen { port, path, .. } => {
                self.asked.push(format!("listen {port} {path}"));
                Answer::Callback(self.callback.take().unwrap_or(Callback::Failed(crate::io::IoKind::Unsupported)))
            }
            Effect::Respond { status, .. } => {
                self.asked.push(format!("respond {status}"));
                self.responded.push(status);
                return None;
            }
            Effect::Confirm { question, .. } => {
                self.asked.push(format!("confirm {question}"));
                Answer::Confirmed(self.answer.map(|yes| if yes { "y" } else { "n" }.to_string()))
            }
            Effect::ReadSecretFile { path, max_bytes, .. } => {
                self.asked.push(format!("secret-file {path}"));
                let Some(text) = self.files.get(&path) else {
                    return Some(Answer::SecretFile(crate::io::SecretFileRead::Absent));
                };
                let facts = self.facts(&path, 0o600);
                let text = (facts.kind == crate::io::PathKind::File).then(|| {
                    if text.len() as u64 > max_bytes {
                        Err(crate::io::IoKind::TooLarge { bytes: Some(text.len() as u64), limit: Some(max_bytes) })
                    } else {
                        Ok(Secret::new(text.clone()))
                    }
                });
                Answer::SecretFile(crate::io::SecretFileRead::Found { facts, text })
            }
            Effect::Inspect { path, .. } => {
                self.asked.push(format!("inspect {path}"));
                Answer::Inspected(self.resolvers.contains_key(&path).then(|| self.facts(&path, 0o755)))
            }
            Effect::RunResolver { command, stdin, .. } => {
                self.asked.push(format!("resolve {command}"));
                self.stdins.push(stdin);
                let failed = crate::io::ResolverRun::Failed(crate::io::IoKind::Other { code: None });
                Answer::Resolved(self.resolvers.get(&command).cloned().unwrap_or(failed))
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

    /// A secrets file's or resolver's facts: `modes` (else `default`),
    /// `nlinks`, a symlink when `links` has it; always the user's own.
    fn facts(&self, path: &str, default: u32) -> crate::io::PathFacts {
        let kind = if self.links.contains_key(path) { crate::io::PathKind::Symlink } else { crate::io::PathKind::File };
        crate::io::PathFacts {
            kind,
            mode: self.modes.get(path).copied().unwrap_or(default),
            links: self.nlinks.get(path).copied().unwrap_or(1),
            owner: crate::io::Owner::Me,
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
/// The end's first event when it is an error, its text; "" otherwise.
/// Tests judge what a flow said by its typed events: the labels are the
/// renderer's (`Event::lines`).
pub(crate) fn first_error(done: &Done) -> &str {
    match done.events.first() {
        Some(crate::flow::Event::Message { severity: crate::diag::Severity::Error, text }) => text,
        _ => "",
    }
}

/// The texts of the messages at `severity` among `events` (what a flow
/// emitted, what its end says), in order.
pub(crate) fn said<'a>(
    events: impl IntoIterator<Item = &'a crate::flow::Event>,
    severity: crate::diag::Severity,
) -> Vec<&'a str> {
    events
        .into_iter()
        .filter_map(|e| match e {
            crate::flow::Event::Message { severity: s, text } if *s == severity => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// The hints among `events`, in order.
pub(crate) fn hints_in<'a>(events: impl IntoIterator<Item = &'a crate::flow::Event>) -> Vec<&'a str> {
    events
        .into_iter()
        .filter_map(|e| match e {
            crate::flow::Event::Hint(h) => Some(h.as_str()),
            _ => None,
        })
        .collect()
}

/// The hints the end gives, in order.
pub(crate) fn hints(done: &Done) -> Vec<&str> {
    hints_in(&done.events)
}

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
