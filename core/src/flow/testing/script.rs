//! A scripted host for the command flows' unit tests: files in a map,
//! locks that are always free, a secret and typed answers given in
//! advance, modes of paths; what the flow asked is recorded in order.

use super::*;
use crate::env::Env;
use crate::secret::Secret;
use crate::world::FileRead;
use std::collections::{BTreeMap, VecDeque};

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

#[derive(Default)]
pub(crate) struct Host {
    pub files: BTreeMap<String, String>,
    /// Folders under `<state>/agents/`, each with an `agent/` folder.
    pub folders: Vec<&'static str>,
    /// Modes of paths that exist besides the files (folders included).
    pub modes: BTreeMap<String, u32>,
    /// Paths that are symlinks, with the folder of their target and its mode.
    pub links: BTreeMap<String, (String, u32)>,
    pub shell: Option<ShellAnswer>,
    pub secret: Option<Result<Secret, SecretError>>,
    pub lines: VecDeque<Result<String, crate::io::IoKind>>,
    pub answer: Option<bool>,
    /// Paths whose chmod fails.
    pub stuck: Vec<String>,
    /// What the flow asked, one entry per effect (reads one per path).
    pub asked: Vec<String>,
    /// The Keychain items the flow asked for, in order (none is there).
    pub keychain: Vec<KeychainItem>,
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

    pub(crate) fn store(&self) -> serde_json::Value {
        serde_json::from_str(&self.files[&store_path("main")]).expect("the store is JSON")
    }

    /// Runs `flow` to its end: the end and every line printed before it.
    pub(crate) fn run(&mut self, flow: &mut dyn Flow) -> (Done, Vec<Line>) {
        let mut printed = Vec::new();
        for _ in 0..10_000 {
            let effect = flow.poll();
            let input = match effect {
                Effect::Done(done) => return (done, printed),
                Effect::Emit(event) => {
                    printed.extend(event.lines());
                    continue;
                }
                Effect::Unlock { path } => {
                    self.asked.push(format!("unlock {path}"));
                    continue;
                }
                effect => self.perform(effect),
            };
            flow.handle(NOW, input.into());
        }
        panic!("the flow never ended: {:?}", self.asked);
    }

    /// Runs a part of a command to its result; its events are dropped.
    pub(crate) fn run_part<P: super::drive::Part>(&mut self, part: &mut P) -> P::Out {
        let mut input = None;
        for _ in 0..10_000 {
            match super::drive::advance(part, input.take(), NOW) {
                super::Step::Ready(out) => return out,
                super::Step::Effect(Effect::Emit(_)) => {}
                super::Step::Effect(Effect::Unlock { path }) => self.asked.push(format!("unlock {path}")),
                super::Step::Effect(effect) => input = Some(self.perform(effect)),
            }
        }
        panic!("the part never ended: {:?}", self.asked);
    }

    fn perform(&mut self, effect: Effect) -> Answer {
        match effect {
            Effect::Read(paths) => {
                self.asked.extend(paths.iter().map(|p| format!("read {p}")));
                let read = |p: &String| self.files.get(p).map_or(FileRead::Absent, |t| FileRead::text(t.clone()));
                Answer::Files(paths.iter().map(|p| (p.clone(), read(p))).collect())
            }
            Effect::ReadKeychain(item) => {
                self.keychain.push(item);
                Answer::Keychain(None)
            }
            Effect::Send { request, provider, .. } => {
                self.asked.push(format!("send {}", request.url));
                let failure = crate::refresh::TransportFailure::Other;
                Answer::Response(Err(crate::refresh::transport_error(provider, failure, "no server in this test")))
            }
            Effect::RunOnTerminal { program, args } => {
                self.asked.push(format!("run {program} {}", args.join(" ")).trim_end().to_string());
                if let Some((path, text)) = self.leaves.take() {
                    self.files.insert(path, text);
                }
                Answer::Ran(self.ran.clone().unwrap_or(RunAnswer::NotFound))
            }
            Effect::Lock(request) => {
                self.asked.push(format!("lock {}", request.path));
                Answer::Lock(LockAnswer::Taken)
            }
            Effect::WriteAtomic { path, text } => {
                self.asked.push(format!("write {path}"));
                self.files.insert(path, text.expose().to_string());
                Answer::Written(Ok(()))
            }
            Effect::SaveBackup { of, text } => {
                let name = format!("{of}.bak");
                self.asked.push(format!("write {name}"));
                self.files.insert(name.clone(), text.expose().to_string());
                Answer::Saved(Ok(name))
            }
            Effect::Remove { path } => {
                self.asked.push(format!("remove {path}"));
                self.files.remove(&path);
                Answer::Written(Ok(()))
            }
            Effect::ListFolder { path } => {
                self.asked.push(format!("list {path}"));
                Answer::Entries(self.folders.iter().map(|n| Entry { name: n.to_string(), folder: true }).collect())
            }
            Effect::Stat(paths) => {
                self.asked.push(format!("stat {}", paths.len()));
                Answer::Stats(paths.iter().map(|p| (p.clone(), self.meta(p))).collect())
            }
            Effect::SetMode { path, mode } => {
                self.asked.push(format!("chmod {mode:o} {path}"));
                if self.stuck.contains(&path) {
                    let denied = crate::io::IoFailure::new(crate::io::IoKind::PermissionDenied, &path);
                    return Answer::Written(Err(denied.at(crate::io::IoStep::SetMode)));
                }
                self.modes.insert(path, mode);
                Answer::Written(Ok(()))
            }
            Effect::ShellEnv { shell, .. } => {
                self.asked.push(format!("shell {shell}"));
                Answer::ShellEnv(self.shell.clone().unwrap_or(ShellAnswer::Failed))
            }
            Effect::AskSecret { prompt } => {
                self.asked.push(format!("secret {prompt}"));
                Answer::Secret(self.secret.take().unwrap_or(Err(SecretError::Unreadable(crate::io::IoKind::Closed))))
            }
            Effect::AskLine { prompt } => {
                self.asked.push(format!("ask {prompt}"));
                Answer::Text(self.lines.pop_front().unwrap_or(Err(crate::io::IoKind::Closed)))
            }
            Effect::Confirm { question, .. } => {
                self.asked.push(format!("confirm {question}"));
                Answer::Confirmed(self.answer.map(|yes| if yes { "y" } else { "n" }.to_string()))
            }
            other => panic!("not scripted: {other:?}"),
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
        Some(FileMeta { folder, mode, link_folder: self.links.get(path).cloned() })
    }
}

/// The text of the lines on `stream`, one per line.
pub(crate) fn text(lines: &[Line], stream: Stream) -> String {
    lines.iter().filter(|l| l.stream == stream).map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n")
}
