//! The command flows run over files held in memory: the envelope's host.
//!
//! The envelope has no disk, network, terminal or Keychain, only the files
//! a request gives. So that the panel shows what a command would really
//! do, it runs the command's own flow, and this host answers each effect
//! from those files: reads from the map (absent when missing), every lock
//! granted (nobody else is here), writes, removals, backups and modes
//! applied to the map and recorded in order (they are what the page offers
//! to download), a refresh request refused as a transport failure, and
//! every question answered "nobody to ask". Nothing here reads a clock:
//! each answer arrives at the request's `now`.

use crate::diag::Severity;
use crate::flow::{
    Answer, Callback, Effect, Entry, Event, Exit, FileMeta, Flow, Input, LockAnswer, RandomBytes, RunAnswer,
    SecretError, ShellAnswer, Woke, WriteBackPlace,
};
use crate::io::{IoFailure, IoKind, IoStep, ResolverRun, SecretFileRead};
use crate::paths;
use crate::permissions::{PRIVATE_DIR_MODE, PRIVATE_FILE_MODE};
use crate::refresh::{TransportFailure, transport_error};
use crate::secret::Secret;
use crate::time::Millis;
use crate::world::FileRead;
use std::collections::BTreeMap;

/// More effects than any command asks for: a flow that never ends is ended.
const MAX_EFFECTS: usize = 1_000_000;

/// What a command did to one file.
#[derive(Clone, PartialEq)]
pub enum Change {
    /// The whole new text (it may hold credentials).
    Text(Secret),
    /// The file was removed.
    Removed,
    /// Its permission bits were set.
    Mode(u32),
}

/// One change, in the order the command made it.
#[derive(Clone, PartialEq)]
pub struct Write {
    /// The file, as the command named it (`~/...` in the envelope).
    pub path: String,
    /// What happened to it.
    pub change: Change,
}

/// How a command ended over the files.
pub struct Ran {
    /// Its exit status.
    pub exit: Exit,
    /// What it said, in order, its end's last.
    pub said: Vec<Event>,
    /// What it changed, in order.
    pub writes: Vec<Write>,
}

impl Ran {
    /// Why the command refused or failed, for the envelope's `error`: the
    /// errors it said, one per line.
    pub fn refusal(&self) -> String {
        let errors: Vec<&str> = self
            .said
            .iter()
            .filter_map(|event| match event {
                Event::Message { severity: Severity::Error, text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        match errors.is_empty() {
            true => format!("the command exited with {}", self.exit.code()),
            false => errors.join("\n"),
        }
    }
}

/// Files in memory, and the answers a flow gets over them.
pub struct Memory {
    files: BTreeMap<String, FileRead>,
    modes: BTreeMap<String, u32>,
    now: Millis,
}

impl Memory {
    /// `files` by path, at `now`.
    pub fn new(files: BTreeMap<String, FileRead>, now: Millis) -> Memory {
        Memory { files, modes: BTreeMap::new(), now }
    }

    /// Every file as the commands run so far left them.
    pub fn into_files(self) -> BTreeMap<String, FileRead> {
        self.files
    }

    /// The file at `path` as the commands run so far left it.
    pub fn file(&self, path: &str) -> Option<&FileRead> {
        self.files.get(path)
    }

    /// Runs `flow` to its end.
    pub fn run(&mut self, flow: &mut dyn Flow) -> Ran {
        let mut said = Vec::new();
        let mut writes = Vec::new();
        for _ in 0..MAX_EFFECTS {
            let input = match flow.poll() {
                Effect::Done(done) => {
                    said.extend(done.events);
                    return Ran { exit: done.exit, said, writes };
                }
                Effect::Emit(event) => {
                    said.push(event);
                    continue;
                }
                Effect::Unlock { .. } | Effect::Respond { .. } => continue,
                asked => self.answer(asked, &mut writes),
            };
            flow.handle(self.now, input);
        }
        said.push(Event::error("internal: the command did not end"));
        Ran { exit: Exit::Error, said, writes }
    }

    /// The answer to one request, through the reply it came with.
    fn answer(&mut self, asked: Effect, writes: &mut Vec<Write>) -> Input {
        let mut record = |path: &str, change: Change| writes.push(Write { path: path.to_string(), change });
        let unsupported = |at: String| Err(IoFailure::new(IoKind::Unsupported, at).at(IoStep::Write));
        match asked {
            Effect::Read { paths, reply } => reply.with(
                paths
                    .into_iter()
                    .map(|p| (p.clone(), self.files.get(&p).cloned().unwrap_or(FileRead::Absent)))
                    .collect(),
            ),
            Effect::ReadKeychain { reply, .. } => reply.with(None),
            Effect::Lock { reply, .. } => reply.with(LockAnswer::Taken),
            Effect::WriteAtomic { path, text, reply } => {
                self.files.insert(path.clone(), FileRead::text(text.expose()));
                record(&path, Change::Text(text));
                reply.with(Ok(()))
            }
            Effect::WriteBack { write, reply } => match write.place {
                WriteBackPlace::File { path } => {
                    self.files.insert(path.clone(), FileRead::text(write.text.expose()));
                    record(&path, Change::Text(write.text));
                    reply.with(Ok(()))
                }
                WriteBackPlace::Keychain(item) | WriteBackPlace::SealedKeychain(item) => {
                    reply.with(unsupported(format!("Keychain item {}", item.service)))
                }
            },
            Effect::SaveBackup { of, text, reply } => {
                let (folder, name) = of.rsplit_once('/').unwrap_or(("", of.as_str()));
                let taken = self.entries(folder);
                let taken: Vec<&str> = taken.iter().map(|e| e.name.as_str()).collect();
                let path = paths::join(folder, &crate::config::backup_name(name, &taken));
                self.files.insert(path.clone(), FileRead::text(text.expose()));
                record(&path, Change::Text(text));
                reply.with(Ok(path))
            }
            Effect::Remove { path, reply } => {
                if self.files.remove(&path).is_some() {
                    record(&path, Change::Removed);
                }
                reply.with(Ok(()))
            }
            Effect::SetMode { path, mode, reply } => {
                self.modes.insert(path.clone(), mode);
                record(&path, Change::Mode(mode));
                reply.with(Ok(()))
            }
            Effect::Send { provider, reply, .. } => {
                reply.with(Err(transport_error(provider, TransportFailure::Other, "the envelope has no network")))
            }
            Effect::SendAll { requests, reply, .. } => reply.with(
                requests
                    .iter()
                    .map(|_| crate::http::Exchange { answer: Err(TransportFailure::Other), latency_ms: 0 })
                    .collect(),
            ),
            Effect::ShellEnv { reply, .. } => reply.with(ShellAnswer::Failed),
            Effect::RunOnTerminal { reply, .. } => reply.with(RunAnswer::Failed(IoKind::NoTerminal)),
            Effect::AskSecret { reply, .. } => reply.with(Err(SecretError::Unreadable(IoKind::NoTerminal))),
            Effect::Confirm { reply, .. } => reply.with(None),
            Effect::AskLine { reply, .. } => reply.with(Err(IoKind::NoTerminal)),
            Effect::ListFolder { path, reply } => reply.with(self.entries(&path)),
            Effect::Stat { paths, reply } => {
                reply.with(paths.into_iter().map(|p| (p.clone(), self.meta(&p))).collect())
            }
            // No clock to wait on (a wait follows only an answer, which
            // never comes here), no random source, no port to listen on.
            Effect::Wait { reply, .. } => reply.with(Woke),
            Effect::Random { reply, .. } => reply.with(RandomBytes(Vec::new())),
            Effect::Listen { reply, .. } => reply.with(Callback::Failed(IoKind::Unsupported)),
            // The envelope has no owners or modes to judge a secrets file
            // by, and never runs a resolver: its flows do not allow exec, and
            // a ref it cannot read stays unresolved.
            Effect::ReadSecretFile { reply, .. } => reply.with(SecretFileRead::Unreadable(IoKind::Unsupported)),
            Effect::Inspect { reply, .. } => reply.with(None),
            Effect::RunResolver { reply, .. } => reply.with(ResolverRun::Failed(IoKind::Unsupported)),
            // Answered by `run`; nothing waits for an answer to these.
            Effect::Unlock { .. } | Effect::Respond { .. } | Effect::Emit(_) | Effect::Done(_) => {
                Input::from(Answer::Written(Ok(())))
            }
        }
    }

    /// The files and folders directly in `folder`: a folder is any path
    /// that holds a file.
    fn entries(&self, folder: &str) -> Vec<Entry> {
        let prefix = format!("{}/", folder.trim_end_matches('/'));
        let mut out: Vec<Entry> = Vec::new();
        for path in self.present() {
            let Some(rest) = path.strip_prefix(&prefix) else { continue };
            let (name, folder) = match rest.split_once('/') {
                Some((name, _)) => (name, true),
                None => (rest, false),
            };
            if !out.iter().any(|e| e.name == name) {
                out.push(Entry { name: name.to_string(), folder });
            }
        }
        out
    }

    /// A file given is private, and so is every folder holding one, unless
    /// a command set its mode: the envelope is told no modes.
    fn meta(&self, path: &str) -> Option<FileMeta> {
        let prefix = format!("{}/", path.trim_end_matches('/'));
        let folder = match self.present().any(|p| p == path) {
            true => false,
            false if self.present().any(|p| p.starts_with(&prefix)) => true,
            false => return None,
        };
        let private = if folder { PRIVATE_DIR_MODE } else { PRIVATE_FILE_MODE };
        let mode = self.modes.get(path).copied().unwrap_or(private);
        Some(FileMeta { folder, regular: !folder, mode, link_folder: None })
    }

    fn present(&self) -> impl Iterator<Item = &String> {
        self.files.iter().filter(|(_, read)| !matches!(read, FileRead::Absent)).map(|(path, _)| path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Effect, Reply};
    use crate::flow::{OrderCommand, OrderRequest};
    use crate::paths::Env;

    const NOW: Millis = 1_767_225_600_000;
    const STORE: &str = "~/.clawdbot/agents/main/agent/auth-profiles.json";

    fn memory(files: &[(&str, &str)]) -> Memory {
        Memory::new(files.iter().map(|(p, t)| (p.to_string(), FileRead::text(*t))).collect(), NOW)
    }

    fn text(memory: &Memory, path: &str) -> String {
        match memory.file(path) {
            Some(FileRead::Present { bytes, .. }) => String::from_utf8_lossy(bytes).into_owned(),
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn a_command_writes_into_the_map_and_the_write_is_recorded() {
        let key = r#"{"type":"api_key","provider":"zai","key":"k-FAKE"}"#;
        let store = format!(r#"{{"version":1,"profiles":{{"zai:a":{key},"zai:b":{key}}}}}"#);
        let mut memory = memory(&[(STORE, &store)]);
        let request = OrderRequest::Set { provider: "zai".into(), profile_ids: vec!["zai:b".into(), "zai:a".into()] };
        let ran = memory.run(&mut OrderCommand::new(request, None, &Env::new("~"), NOW));
        assert_eq!(ran.exit, Exit::Ok, "{}", ran.refusal());
        assert_eq!(ran.writes.len(), 1);
        assert_eq!(ran.writes[0].path, STORE);
        let Change::Text(written) = &ran.writes[0].change else { panic!("a text") };
        assert_eq!(written.expose(), text(&memory, STORE), "the map holds what was written");
        assert!(written.expose().contains(r#""zai": ["#) || written.expose().contains(r#""zai":["#));
    }

    #[test]
    fn a_refusal_is_the_commands_error_line() {
        let mut memory = memory(&[(STORE, "{ broken")]);
        let request = OrderRequest::Set { provider: "zai".into(), profile_ids: vec![] };
        let ran = memory.run(&mut OrderCommand::new(request, None, &Env::new("~"), NOW));
        assert_eq!(ran.exit, Exit::Action);
        assert!(ran.writes.is_empty());
        assert!(ran.refusal().starts_with("refusing to modify an unreadable store: "), "{}", ran.refusal());
    }

    #[test]
    fn folders_are_the_paths_that_hold_files_and_everything_given_is_private() {
        let mut memory = memory(&[(STORE, "{}"), ("~/.clawdbot/clawdbot.json", "{}")]);
        let names = |m: &Memory, p: &str| {
            let mut e: Vec<(String, bool)> = m.entries(p).into_iter().map(|e| (e.name, e.folder)).collect();
            e.sort();
            e
        };
        assert_eq!(names(&memory, "~/.clawdbot"), [("agents".to_string(), true), ("clawdbot.json".to_string(), false)]);
        assert_eq!(memory.meta(STORE).map(|m| (m.folder, m.mode)), Some((false, PRIVATE_FILE_MODE)));
        assert_eq!(memory.meta("~/.clawdbot/agents").map(|m| (m.folder, m.mode)), Some((true, PRIVATE_DIR_MODE)));
        assert_eq!(memory.meta("~/.codex"), None);
        let mut writes = Vec::new();
        memory.answer(Effect::SetMode { path: STORE.into(), mode: 0o640, reply: Reply::new() }, &mut writes);
        assert_eq!(memory.meta(STORE).map(|m| m.mode), Some(0o640));
        let backup = Effect::SaveBackup {
            of: "~/.clawdbot/clawdbot.json".into(),
            text: Secret::new("// mine"),
            reply: Reply::new(),
        };
        let Answer::Saved(Ok(first)) = memory.answer(backup.clone(), &mut writes).0 else { panic!("saved") };
        let Answer::Saved(Ok(second)) = memory.answer(backup, &mut writes).0 else { panic!("saved") };
        assert_eq!(
            [first.as_str(), second.as_str()],
            ["~/.clawdbot/clawdbot.json.bak", "~/.clawdbot/clawdbot.json.bak.1"]
        );
        memory.answer(Effect::Remove { path: STORE.into(), reply: Reply::new() }, &mut writes);
        assert!(memory.file(STORE).is_none());
        let kinds: Vec<&str> = writes
            .iter()
            .map(|w| match w.change {
                Change::Text(_) => "text",
                Change::Removed => "removed",
                Change::Mode(_) => "mode",
            })
            .collect();
        assert_eq!(kinds, ["mode", "text", "text", "removed"]);
    }

    #[test]
    fn nobody_answers_and_nothing_leaves() {
        let mut memory = memory(&[]);
        let mut writes = Vec::new();
        let asked = |m: &mut Memory, e: Effect, w: &mut Vec<Write>| format!("{:?}", m.answer(e, w));
        assert_eq!(
            asked(
                &mut memory,
                Effect::Confirm { question: "q".into(), default_yes: true, reply: Reply::new() },
                &mut writes
            ),
            "Answer(None)"
        );
        assert_eq!(
            asked(&mut memory, Effect::AskLine { prompt: "p".into(), reply: Reply::new() }, &mut writes),
            "Text(Err(NoTerminal))"
        );
        let secret = asked(&mut memory, Effect::AskSecret { prompt: "p".into(), reply: Reply::new() }, &mut writes);
        assert_eq!(secret, "Secret(Unreadable(NoTerminal))");
        let shell =
            Effect::ShellEnv { shell: "/bin/sh".into(), command: "env".into(), timeout_ms: 1, reply: Reply::new() };
        assert_eq!(asked(&mut memory, shell, &mut writes), "ShellEnv(Failed)");
        let item = crate::world::KeychainItem { service: "s".into(), account: "a".into() };
        let back = crate::flow::WriteBack { place: WriteBackPlace::Keychain(item), text: Secret::new("x") };
        assert!(asked(&mut memory, Effect::write_back(back), &mut writes).contains("Err"));
        // A login gets no random bytes and no port; a wait ends at once.
        let random = Effect::Random { len: 64, reply: Reply::new() };
        assert_eq!(asked(&mut memory, random, &mut writes), "RandomBytes(<0 bytes>)");
        let listen = Effect::Listen { port: 1455, path: "/cb".into(), timeout_ms: 1, reply: Reply::new() };
        assert_eq!(asked(&mut memory, listen, &mut writes), "Callback(Failed(Unsupported))");
        assert_eq!(asked(&mut memory, Effect::Wait { until: 0, reply: Reply::new() }, &mut writes), "Woke");
        assert!(writes.is_empty());
    }

    #[test]
    fn a_login_in_the_envelope_is_refused_without_a_network_and_writes_nothing() {
        use crate::flow::{LoginCommand, LoginRequest};
        let mut memory = memory(&[]);
        for device_code in [true, false] {
            let request = LoginRequest { provider: "openai-codex".into(), device_code, ..LoginRequest::default() };
            let ran = memory.run(&mut LoginCommand::new(request, &crate::paths::Env::new("/h"), 0));
            assert_eq!(ran.exit, Exit::Error, "{:?}", ran.said);
            assert!(ran.writes.is_empty());
        }
    }
}
