//! What a flow asks of its host ([`Effect`]) and what the host hands back
//! ([`Input`], made only through a typed reply): the protocol's requests
//! and answers, with the values they carry.

use super::{Done, Event, Reply};
use crate::env::Env;
use crate::http::Exchange;
use crate::io::{ExitStatus, IoFailure, IoKind, LockBusy, PathFacts, ResolverRun, SecretError, SecretFileRead};
use crate::refresh::{HttpRequest, HttpResponse, RefreshError, RefreshProvider};
use crate::secret::Secret;
use crate::time::{Millis, SECOND};
use crate::world::{FileRead, KeychainItem};
use std::fmt;

/// Overrides the refresh window (how long before expiry a login counts as
/// due), in milliseconds. Default: `refresh::DEFAULT_REFRESH_WINDOW_MS`.
pub const WINDOW_ENV: &str = "CLAWDBOT_REFRESH_WINDOW_MS";
/// Overrides how long the store lock is waited for, in milliseconds.
pub const LOCK_WAIT_ENV: &str = "CLAWDBOT_LOCK_WAIT_MS";
/// Overrides the total HTTP timeout of a refresh, in milliseconds.
pub const HTTP_TIMEOUT_ENV: &str = "CLAWDBOT_HTTP_TIMEOUT_MS";

/// The refresh window in effect: [`WINDOW_ENV`] when it is a non-negative
/// number of milliseconds, else the default.
pub fn refresh_window(env: &Env) -> Millis {
    env.get(WINDOW_ENV)
        .and_then(|v| v.parse::<Millis>().ok())
        .filter(|ms| *ms >= 0)
        .unwrap_or(crate::refresh::DEFAULT_REFRESH_WINDOW_MS)
}

/// What the host is asked to do next.
#[derive(Clone, PartialEq)]
pub enum Effect {
    /// Read these files; answered with `reply`, one entry per path.
    Read {
        /// The files.
        paths: Vec<String>,
        /// The way back for the answer.
        reply: Reply<Vec<(String, FileRead)>>,
    },
    /// Read this Keychain item (a login source's, named by the core);
    /// answered with `reply` (`None` when this host has no
    /// Keychain or no such item). A command that may not read the Keychain
    /// never asks.
    ReadKeychain {
        /// The item.
        item: KeychainItem,
        /// The way back for the answer.
        reply: Reply<Option<FileRead>>,
    },
    /// Take a lock; answered with `reply`.
    Lock {
        /// Which lock.
        request: LockRequest,
        /// The way back for the answer.
        reply: Reply<LockAnswer>,
    },
    /// Release the lock taken for `path`. No answer.
    Unlock {
        /// The path of the [`LockRequest`].
        path: String,
    },
    /// Replace `path` with `text` atomically (temp file, fsync, rename),
    /// private to the user; answered with `reply`.
    WriteAtomic {
        /// The file to replace (symlinks are written through).
        path: String,
        /// Its whole new content; it holds credentials.
        text: Secret,
        /// The way back for the answer.
        reply: Reply<Result<(), IoFailure>>,
    },
    /// Save `text` beside the file `of` under a name no file has yet (the
    /// core's [`crate::config::backup_name`] over the folder's listing,
    /// created exclusively, so nothing is ever overwritten); answer with
    /// `Answer::Saved`.
    SaveBackup {
        /// The file whose original `text` is.
        of: String,
        /// The original, as read.
        text: Secret,
        /// The way back for the answer.
        reply: Reply<Result<String, IoFailure>>,
    },
    /// Remove `path` if it exists; answered with `reply`.
    Remove {
        /// The file to remove.
        path: String,
        /// The way back for the answer.
        reply: Reply<Result<(), IoFailure>>,
    },
    /// Send a request to a provider's token endpoint or, for a login, its
    /// authorization or API server; answered with `reply`. No redirect is
    /// followed, and the body is bounded.
    Send {
        /// The request, complete (the host adds nothing).
        request: HttpRequest,
        /// Whose server it is, for classifying a transport failure.
        provider: RefreshProvider,
        /// How long connecting and the whole exchange may take.
        timeouts: HttpTimeouts,
        /// The way back for the answer.
        reply: Reply<Result<HttpResponse, RefreshError>>,
    },
    /// Send a batch of requests (`models status --probe`), at most
    /// `concurrency` at a time, each bounded by `timeouts`; answered with
    /// `reply`: one [`Exchange`] per request, in the order given, with the
    /// time each took by the host's clock. No redirect is followed (a
    /// redirect is [`crate::TransportFailure::Redirect`]), and at most
    /// `max_body_bytes` of a body is read (more is
    /// [`crate::TransportFailure::TooLarge`]).
    SendAll {
        /// The requests, complete (the host adds nothing); they hold
        /// secrets, so they are never printed.
        requests: Vec<HttpRequest>,
        /// How many may be in flight at once (at least 1).
        concurrency: usize,
        /// How long connecting and each whole exchange may take.
        timeouts: HttpTimeouts,
        /// The most of a body to read.
        max_body_bytes: u64,
        /// The way back for the answer.
        reply: Reply<Vec<Exchange>>,
    },
    /// Give another CLI its renewed login; answered with `reply`.
    WriteBack {
        /// What to write where.
        write: WriteBack,
        /// The way back for the answer.
        reply: Reply<Result<(), IoFailure>>,
    },
    /// Run `shell -l -c command` within `timeout_ms`; answer with
    /// `Answer::ShellEnv`.
    ShellEnv {
        /// The shell to run (`$SHELL`, else `/bin/sh`).
        shell: String,
        /// The `-c` argument: the environment between two markers
        /// (`env_auth::ShellEnvProbe`).
        command: String,
        /// Kill it (and its children) after this long.
        timeout_ms: u64,
        /// The way back for the answer.
        reply: Reply<ShellAnswer>,
    },
    /// Run `program args` attached to the terminal (its prompts and
    /// output are the user's); answered with `reply`. Only asked
    /// when standard input is a terminal.
    RunOnTerminal {
        /// The program, looked up on PATH.
        program: String,
        /// Its arguments.
        args: Vec<String>,
        /// The way back for the answer.
        reply: Reply<RunAnswer>,
    },
    /// Ask for a secret: on a terminal with `prompt` and the echo off (on
    /// again however the read ends, a signal included), else read it from
    /// standard input; answered with `reply`.
    AskSecret {
        /// What to ask, without a trailing colon.
        prompt: String,
        /// The way back for the answer.
        reply: Reply<Result<Secret, SecretError>>,
    },
    /// Ask the operator a yes/no question; answer with
    /// `Answer::Confirmed`: the line typed, as read (the core decides what
    /// it means, `consent`, and asks again when it means neither), or
    /// `None` when there is no terminal to ask on or no line could be read.
    Confirm {
        /// The question, terminal-safe, without its `[y/N]`.
        question: String,
        /// What an empty answer means: doctor's repairs default to yes
        /// (`[Y/n]`), a removal to no (`[y/N]`).
        default_yes: bool,
        /// The way back for the answer.
        reply: Reply<Option<String>>,
    },
    /// Ask for one line of text on the terminal, showing `prompt` as it
    /// is (terminal-safe, with its default and colon); answer with
    /// `Answer::Text`.
    AskLine {
        /// The whole prompt.
        prompt: String,
        /// The way back for the answer.
        reply: Reply<Result<String, IoKind>>,
    },
    /// List the entries of a folder; answered with `reply`
    /// (none when it cannot be listed).
    ListFolder {
        /// The folder.
        path: String,
        /// The way back for the answer.
        reply: Reply<Vec<Entry>>,
    },
    /// Look at these paths, following symlinks; answer with
    /// `Answer::Stats`, one entry per path.
    Stat {
        /// The paths.
        paths: Vec<String>,
        /// The way back for the answer.
        reply: Reply<Vec<(String, Option<FileMeta>)>>,
    },
    /// Set the permission bits of `path` (following symlinks: the target
    /// is what holds the secret); answered with `reply`.
    SetMode {
        /// The file or folder.
        path: String,
        /// The new bits (`0o600`-style).
        mode: u32,
        /// The way back for the answer.
        reply: Reply<Result<(), IoFailure>>,
    },
    /// Wait until the host's clock reads `until` (a login's next poll);
    /// answered with `reply` once it does. An interrupt ends the command
    /// with nothing stored.
    Wait {
        /// When to wake, ms since the epoch, by the clock `now` comes from.
        until: Millis,
        /// The way back for the answer.
        reply: Reply<Woke>,
    },
    /// Hand over `len` bytes from the system's secure random source (a
    /// login's PKCE verifier and state); answered with `reply`.
    Random {
        /// How many.
        len: usize,
        /// The way back for the answer.
        reply: Reply<RandomBytes>,
    },
    /// Listen on `127.0.0.1:port` for one HTTP `GET` of `path` (a browser
    /// login's redirect), for at most `timeout_ms`; answered with `reply`.
    /// The connection stays open for the [`Effect::Respond`] that follows
    /// a [`Callback::Received`]. Requests for other paths get a 404.
    Listen {
        /// The loopback port.
        port: u16,
        /// The path the redirect comes to.
        path: String,
        /// Give up after this long.
        timeout_ms: u64,
        /// The way back for the answer.
        reply: Reply<Callback>,
    },
    /// Answer the request a [`Effect::Listen`] received with `status` and
    /// `page` (plain text), and close it. No answer.
    Respond {
        /// The HTTP status (200, 400).
        status: u16,
        /// What the browser shows.
        page: String,
    },
    /// Read a SecretRef's file: open `path` without following a symlink
    /// and without blocking, report its facts (`fstat` of what was
    /// opened), and read its text only when it is a regular file of at
    /// most `max_bytes`; answered with `reply`. The core decides whether
    /// the file may be used.
    ReadSecretFile {
        /// The file.
        path: String,
        /// Read no more than this (a longer file is `TooLarge`).
        max_bytes: u64,
        /// The way back for the answer.
        reply: Reply<SecretFileRead>,
    },
    /// Look at `path` without following a symlink (`lstat`); answered
    /// with `reply` (`None` when there is nothing there). Asked before a
    /// resolver runs, so the core can refuse one others may change.
    Inspect {
        /// The path.
        path: String,
        /// The way back for the answer.
        reply: Reply<Option<PathFacts>>,
    },
    /// Run a SecretRef resolver: `command` with `args`, no shell, with
    /// exactly `env` as its environment, `stdin` written to its standard
    /// input; kill it (and its children) after `timeout_ms` or once its
    /// standard output passes `max_output_bytes`; keep nothing of its
    /// standard error. Answered with `reply`.
    RunResolver {
        /// The absolute path of the program.
        command: String,
        /// Its arguments.
        args: Vec<String>,
        /// Its whole environment.
        env: Vec<(String, String)>,
        /// What to write to its standard input (protocol v1's request).
        stdin: String,
        /// How long it may run.
        timeout_ms: u64,
        /// How much it may print.
        max_output_bytes: u64,
        /// The way back for the answer.
        reply: Reply<ResolverRun>,
    },
    /// Say this. No answer.
    Emit(Event),
    /// The command is over.
    Done(Done),
}

/// The effects a flow asks most often, with their way back made here.
impl Effect {
    pub(crate) fn read(paths: Vec<String>) -> Effect {
        Effect::Read { paths, reply: Reply::new() }
    }

    pub(crate) fn read_keychain(item: KeychainItem) -> Effect {
        Effect::ReadKeychain { item, reply: Reply::new() }
    }

    pub(crate) fn lock(request: LockRequest) -> Effect {
        Effect::Lock { request, reply: Reply::new() }
    }

    pub(crate) fn write_back(write: WriteBack) -> Effect {
        Effect::WriteBack { write, reply: Reply::new() }
    }

    pub(crate) fn stat(paths: Vec<String>) -> Effect {
        Effect::Stat { paths, reply: Reply::new() }
    }
}

impl fmt::Debug for Effect {
    /// Never shows a secret: texts to write are shown by length only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::Read { paths, .. } => f.debug_tuple("Read").field(paths).finish(),
            Effect::ReadKeychain { item, .. } => f.debug_tuple("ReadKeychain").field(item).finish(),
            Effect::Lock { request, .. } => f.debug_tuple("Lock").field(request).finish(),
            Effect::Unlock { path } => f.debug_struct("Unlock").field("path", path).finish(),
            Effect::WriteAtomic { path, text, .. } => {
                f.debug_struct("WriteAtomic").field("path", path).field("bytes", &text.expose().len()).finish()
            }
            Effect::Remove { path, .. } => f.debug_struct("Remove").field("path", path).finish(),
            Effect::SaveBackup { of, text, .. } => {
                f.debug_struct("SaveBackup").field("of", of).field("bytes", &text.expose().len()).finish()
            }
            Effect::Send { request, provider, .. } => {
                f.debug_struct("Send").field("url", &request.url).field("provider", provider).finish()
            }
            Effect::SendAll { requests, concurrency, timeouts, .. } => f
                .debug_struct("SendAll")
                .field("urls", &requests.iter().map(|r| r.url.as_str()).collect::<Vec<_>>())
                .field("concurrency", concurrency)
                .field("timeouts", timeouts)
                .finish(),
            Effect::WriteBack { write, .. } => f.debug_tuple("WriteBack").field(write).finish(),
            Effect::ShellEnv { shell, timeout_ms, .. } => {
                f.debug_struct("ShellEnv").field("shell", shell).field("timeout_ms", timeout_ms).finish()
            }
            Effect::RunOnTerminal { program, args, .. } => {
                f.debug_struct("RunOnTerminal").field("program", program).field("args", args).finish()
            }
            Effect::AskSecret { prompt, .. } => f.debug_struct("AskSecret").field("prompt", prompt).finish(),
            Effect::Confirm { question, default_yes, .. } => {
                f.debug_struct("Confirm").field("question", question).field("default_yes", default_yes).finish()
            }
            Effect::AskLine { prompt, .. } => f.debug_struct("AskLine").field("prompt", prompt).finish(),
            Effect::ListFolder { path, .. } => f.debug_struct("ListFolder").field("path", path).finish(),
            Effect::Stat { paths, .. } => f.debug_tuple("Stat").field(paths).finish(),
            Effect::SetMode { path, mode, .. } => {
                f.debug_struct("SetMode").field("path", path).field("mode", &format_args!("{mode:o}")).finish()
            }
            Effect::Wait { until, .. } => f.debug_struct("Wait").field("until", until).finish(),
            Effect::Random { len, .. } => f.debug_struct("Random").field("len", len).finish(),
            Effect::Listen { port, path, timeout_ms, .. } => f
                .debug_struct("Listen")
                .field("port", port)
                .field("path", path)
                .field("timeout_ms", timeout_ms)
                .finish(),
            Effect::Respond { status, .. } => f.debug_struct("Respond").field("status", status).finish(),
            Effect::ReadSecretFile { path, max_bytes, .. } => {
                f.debug_struct("ReadSecretFile").field("path", path).field("max_bytes", max_bytes).finish()
            }
            Effect::Inspect { path, .. } => f.debug_struct("Inspect").field("path", path).finish(),
            Effect::RunResolver { command, args, env, timeout_ms, .. } => f
                .debug_struct("RunResolver")
                .field("command", command)
                .field("args", args)
                .field("env", &env.iter().map(|(k, _)| k).collect::<Vec<_>>())
                .field("timeout_ms", timeout_ms)
                .finish(),
            Effect::Emit(event) => f.debug_tuple("Emit").field(event).finish(),
            Effect::Done(done) => f.debug_tuple("Done").field(done).finish(),
        }
    }
}

/// What the host hands back: made only through the [`Reply`] of the
/// effect it answers, so an answer to the wrong effect does not compile.
#[derive(Clone)]
pub struct Input(pub(crate) Answer);

impl From<Answer> for Input {
    fn from(answer: Answer) -> Input {
        Input(answer)
    }
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An answer, as the flows read it.
#[derive(Clone)]
pub(crate) enum Answer {
    /// The files of an [`Effect::Read`], as found.
    Files(Vec<(String, FileRead)>),
    /// The secret of the item of an [`Effect::ReadKeychain`].
    Keychain(Option<FileRead>),
    /// How an [`Effect::Lock`] went.
    Lock(LockAnswer),
    /// How a write, removal, mode change or write-back went.
    Written(Result<(), IoFailure>),
    /// The path an [`Effect::SaveBackup`] saved to, or why it could not.
    Saved(Result<String, IoFailure>),
    /// The answer to an [`Effect::Send`], or why there was none.
    Response(Result<HttpResponse, RefreshError>),
    /// The exchanges of an [`Effect::SendAll`], one per request, in order.
    Exchanges(Vec<Exchange>),
    /// What the shell of an [`Effect::ShellEnv`] printed.
    ShellEnv(ShellAnswer),
    /// The line the operator typed at an [`Effect::Confirm`]; `None`:
    /// nobody could be asked, or nothing could be read.
    Confirmed(Option<String>),
    /// How the program of an [`Effect::RunOnTerminal`] ended.
    Ran(RunAnswer),
    /// The secret of an [`Effect::AskSecret`], or why it could not be read.
    Secret(Result<Secret, SecretError>),
    /// The line of an [`Effect::AskLine`] (without its line end), or why
    /// it could not be read.
    Text(Result<String, IoKind>),
    /// The entries of an [`Effect::ListFolder`], in any order.
    Entries(Vec<Entry>),
    /// What an [`Effect::Stat`] found: `None` for a path that is not there
    /// (or cannot be looked at).
    Stats(Vec<(String, Option<FileMeta>)>),
    /// An [`Effect::Wait`] is over.
    Woke(Woke),
    /// The bytes of an [`Effect::Random`].
    Random(RandomBytes),
    /// What an [`Effect::Listen`] heard.
    Callback(Callback),
    /// What an [`Effect::ReadSecretFile`] found.
    SecretFile(SecretFileRead),
    /// What an [`Effect::Inspect`] found.
    Inspected(Option<PathFacts>),
    /// How an [`Effect::RunResolver`] ended.
    Resolved(ResolverRun),
}

/// The answer to an [`Effect::Wait`]: the time has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Woke;

/// The answer to an [`Effect::Random`]: bytes from a secure source (they
/// become secrets, so they are never shown).
#[derive(Clone, PartialEq, Eq)]
pub struct RandomBytes(pub Vec<u8>);

impl fmt::Debug for RandomBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RandomBytes(<{} bytes>)", self.0.len())
    }
}

/// What an [`Effect::Listen`] heard.
#[derive(Debug, Clone, PartialEq)]
pub enum Callback {
    /// A request for the path came: its query string (it holds the
    /// authorization code); answer it with [`Effect::Respond`].
    Received(Secret),
    /// The port is taken (another login, another program).
    Busy,
    /// Nothing came in time.
    TimedOut,
    /// Listening failed.
    Failed(IoKind),
}

/// One entry of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its name.
    pub name: String,
    /// Whether it is itself a folder (a symlink to one is not).
    pub folder: bool,
}

/// What a path is, as [`Effect::Stat`] saw it through any symlinks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// It is a folder.
    pub folder: bool,
    /// It is a regular file: not a folder, device, pipe or socket, whose
    /// mode doctor may change without breaking what else uses it.
    pub regular: bool,
    /// Its permission bits (`mode & 0o7777`).
    pub mode: u32,
    /// When the path itself is a symlink: the folder its target lives in,
    /// and that folder's permission bits (whoever can write it can replace
    /// the target).
    pub link_folder: Option<(String, u32)>,
}

/// How a program run on the terminal ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunAnswer {
    /// It ran and exited with this code.
    Exited(i32),
    /// It is not on PATH.
    NotFound,
    /// A signal ended it.
    Killed {
        /// Which, when the system said.
        signal: Option<i32>,
    },
    /// It could not be started.
    Failed(IoKind),
}

impl fmt::Debug for Answer {
    /// Never shows a secret: file and Keychain contents by size only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn shown(read: &FileRead) -> String {
            match read {
                FileRead::Absent => "absent".into(),
                FileRead::Present { bytes, .. } => format!("{} bytes", bytes.len()),
                FileRead::Unreadable(reason) => format!("unreadable: {reason}"),
            }
        }
        match self {
            Answer::Files(files) => {
                f.debug_map().entries(files.iter().map(|(path, read)| (path, shown(read)))).finish()
            }
            Answer::Keychain(item) => write!(f, "Keychain({})", item.as_ref().map_or("none".into(), shown)),
            Answer::Lock(answer) => f.debug_tuple("Lock").field(answer).finish(),
            Answer::Written(result) => f.debug_tuple("Written").field(result).finish(),
            Answer::Saved(result) => f.debug_tuple("Saved").field(result).finish(),
            Answer::Response(result) => f.debug_tuple("Response").field(result).finish(),
            Answer::Exchanges(exchanges) => f.debug_tuple("Exchanges").field(exchanges).finish(),
            Answer::ShellEnv(ShellAnswer::Output(out)) => write!(f, "ShellEnv(<{} bytes>)", out.len()),
            Answer::ShellEnv(answer) => f.debug_tuple("ShellEnv").field(answer).finish(),
            Answer::Ran(answer) => f.debug_tuple("Ran").field(answer).finish(),
            Answer::Secret(Ok(_)) => f.write_str("Secret(<hidden>)"),
            Answer::Secret(Err(why)) => f.debug_tuple("Secret").field(why).finish(),
            Answer::Confirmed(answer) => f.debug_tuple("Answer").field(answer).finish(),
            Answer::Text(text) => f.debug_tuple("Text").field(text).finish(),
            Answer::Entries(entries) => f.debug_tuple("Entries").field(entries).finish(),
            Answer::Stats(stats) => f.debug_tuple("Stats").field(stats).finish(),
            Answer::Woke(_) => f.write_str("Woke"),
            Answer::Random(bytes) => bytes.fmt(f),
            Answer::Callback(callback) => f.debug_tuple("Callback").field(callback).finish(),
            Answer::SecretFile(SecretFileRead::Found { facts, text }) => f
                .debug_struct("SecretFile")
                .field("facts", facts)
                .field("text", &text.as_ref().map(|t| t.as_ref().map(|_| "<hidden>")))
                .finish(),
            Answer::SecretFile(read) => f.debug_tuple("SecretFile").field(read).finish(),
            Answer::Inspected(facts) => f.debug_tuple("Inspected").field(facts).finish(),
            Answer::Resolved(ResolverRun::Ended { status, stdout }) => {
                write!(f, "Resolved({status}, <{} bytes>)", stdout.expose().len())
            }
            Answer::Resolved(run) => f.debug_tuple("Resolved").field(run).finish(),
        }
    }
}

/// Which lock, and with which timings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRequest {
    /// The file or folder the lock guards.
    pub path: String,
    /// Whose lock, which says how its folder is named.
    pub kind: LockKind,
    /// How long to wait, and when a lock counts as stale.
    pub timings: LockTimings,
}

/// Whose lock it is, which says how its folder is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockKind {
    /// Our store: the folder `<realpath(store)>.lock`, the one a Node
    /// gateway's proper-lockfile takes. The store need not exist yet (its
    /// folder is made and resolved instead, so that locking never creates
    /// an empty store that would hide a legacy file from migration). Every
    /// writer of the store holds it, so once it is taken any temp file of
    /// the store is a dead writer's: the host removes them then.
    Store,
    /// A login source's lock (`logins::SourceLock`): the lock folders
    /// another tool's proper-lockfile takes, all or none, in the order
    /// given: when a later one is busy the ones taken are let go and the
    /// set is tried again, until the wait is over. When what the first one
    /// needs is not there (its target, or with `realpath` off the folder
    /// it is made in) the tool never ran here: the answer is
    /// [`LockAnswer::NoTarget`]. The request's `path` is the first folder's
    /// target, the name [`super::Effect::Unlock`] lets go of the set by.
    Shared {
        /// How the wait notice names it ("Claude Code's lock").
        name: &'static str,
        /// The lock folders, in the order they are taken.
        folders: Vec<LockFolder>,
        /// A file written once every folder is held, saying who holds
        /// them (the host's process and the folders' birth times, in the
        /// owner record Claude Code reads to tell a dead holder), and
        /// removed on release when it is still ours.
        owner: Option<String>,
    },
    /// A login source's lock file (`logins::LockStyle::File`): an
    /// exclusive `flock(2)` on the file `path`, made when missing, as Codex
    /// CLI locks its `auth.lock`; when the file's folder does not exist (the
    /// tool never ran here) the answer is [`LockAnswer::NoTarget`].
    File {
        /// How the wait notice names it ("Codex CLI's lock").
        name: &'static str,
    },
}

/// One proper-lockfile lock folder: `lock(target, { realpath })` makes
/// `<target>.lock`, the target first resolved through symlinks when
/// `realpath` is on (it must then exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockFolder {
    /// The path locked.
    pub target: String,
    /// proper-lockfile's `realpath` option.
    pub realpath: bool,
}

/// proper-lockfile's timings, as plain numbers the host turns into waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockTimings {
    /// A lock whose mtime is older than this was left by a crashed holder.
    pub stale_ms: u64,
    /// How often the holder refreshes the lock's mtime.
    pub update_ms: u64,
    /// Give up (answer [`LockAnswer::Busy`]) after waiting this long.
    pub max_wait_ms: u64,
    /// The first retry delay; each next one doubles, randomised ×1..2.
    pub min_backoff_ms: u64,
    /// Retry delays never exceed this.
    pub max_backoff_ms: u64,
}

impl LockTimings {
    /// Our store's lock: [`crate::defaults::STORE_LOCK`].
    pub const STORE: LockTimings = LockTimings::of(crate::defaults::STORE_LOCK);

    /// A default as the waits a host sleeps (the defaults are written once,
    /// in [`crate::defaults`] or a login source's file).
    pub const fn of(d: crate::defaults::LockTimings) -> LockTimings {
        LockTimings {
            stale_ms: d.stale_ms.unsigned_abs(),
            update_ms: d.update_ms.unsigned_abs(),
            max_wait_ms: d.max_wait_ms.unsigned_abs(),
            min_backoff_ms: d.min_backoff_ms.unsigned_abs(),
            max_backoff_ms: d.max_backoff_ms.unsigned_abs(),
        }
    }

    /// [`LockTimings::STORE`] with the wait from [`LOCK_WAIT_ENV`] when it
    /// is a number of milliseconds.
    pub fn store(env: &Env) -> LockTimings {
        match env.get(LOCK_WAIT_ENV).and_then(|v| v.parse::<u64>().ok()) {
            Some(ms) => LockTimings { max_wait_ms: ms, ..LockTimings::STORE },
            None => LockTimings::STORE,
        }
    }
}

/// How taking a lock went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockAnswer {
    /// It is ours until the flow asks for [`Effect::Unlock`].
    Taken,
    /// Someone else held it for the whole wait.
    Busy(LockBusy),
    /// There is nothing to lock (a login source's folder does not exist).
    NoTarget,
    /// The lock could not be attempted (permissions, I/O).
    Failed(IoFailure),
}

impl LockAnswer {
    /// Why the store's lock was not taken, in one sentence (`None` when it was).
    pub(crate) fn store_refusal(&self) -> Option<String> {
        match self {
            LockAnswer::Taken | LockAnswer::NoTarget => None,
            LockAnswer::Busy(busy) => Some(busy.of_store()),
            LockAnswer::Failed(failure) => Some(failure.to_string()),
        }
    }
}

/// Timeouts of one refresh request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpTimeouts {
    /// Connecting may take this long.
    pub connect_ms: u64,
    /// The whole exchange, a slowly dripping body included, this long.
    pub total_ms: u64,
}

impl HttpTimeouts {
    /// Claude Code's own refresh timeout (formats §2.2).
    pub const DEFAULT_TOTAL_MS: u64 = 15 * SECOND as u64;
    /// The connect timeout unless the total is shorter.
    pub const DEFAULT_CONNECT_MS: u64 = 5 * SECOND as u64;

    /// The defaults, with [`HTTP_TIMEOUT_ENV`] applied when it is a
    /// positive number. The connect timeout never exceeds the total.
    pub fn from_env(env: &Env) -> HttpTimeouts {
        let total_ms = env
            .get(HTTP_TIMEOUT_ENV)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .unwrap_or(Self::DEFAULT_TOTAL_MS);
        HttpTimeouts { connect_ms: Self::DEFAULT_CONNECT_MS.min(total_ms), total_ms }
    }
}

/// Where a renewed login goes back to.
#[derive(Clone, PartialEq)]
pub struct WriteBack {
    /// Which file or item.
    pub place: WriteBackPlace,
    /// The whole new content, every field of theirs kept.
    pub text: Secret,
}

impl fmt::Debug for WriteBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteBack").field("place", &self.place).field("bytes", &self.text.expose().len()).finish()
    }
}

/// Where another CLI keeps the login we renewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteBackPlace {
    /// A login source's file (Claude Code's `.credentials.json`, Codex's
    /// `auth.json`).
    File {
        /// The file, written atomically and privately.
        path: String,
    },
    /// A login source's Keychain item (macOS), as the core named it.
    Keychain(KeychainItem),
    /// A Keychain item whose secret is sealed: ciphertext whose key is kept
    /// in the item that points at it (Claude Code's overflow item). It is
    /// often too long for one `security -i` line and shows nothing without
    /// that key, so the host passes it on `security`'s command line, as
    /// Claude Code does.
    SealedKeychain(KeychainItem),
}

/// What `line`, typed at an [`Effect::Confirm`], means: `y`/`yes` is yes,
/// `n`/`no` is no, an empty line the default (in any case, spaces around
/// ignored); `None` for anything else, which is asked again, so that
/// "nope" or a stray `q` never counts as consent.
pub(crate) fn consent(line: &str, default_yes: bool) -> Option<bool> {
    match line.trim().to_lowercase().as_str() {
        "" => Some(default_yes),
        "y" | "yes" => Some(true),
        "n" | "no" => Some(false),
        _ => None,
    }
}

/// What the shell-env fallback's shell did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellAnswer {
    /// It exited successfully with this standard output.
    Output(Vec<u8>),
    /// It exited unsuccessfully, with this status.
    Exited(ExitStatus),
    /// It ran past its deadline and was killed.
    TimedOut,
    /// It could not be started.
    Failed,
}

#[cfg(test)]
mod tests {
    use super::consent;

    #[test]
    fn only_yes_an_empty_line_or_no_is_an_answer_and_the_rest_is_asked_again() {
        for (line, default_yes, meant) in [
            ("", true, Some(true)),
            ("", false, Some(false)),
            ("  ", true, Some(true)),
            ("y", false, Some(true)),
            (" YES ", false, Some(true)),
            ("n", true, Some(false)),
            ("No", true, Some(false)),
            ("nope", true, None),
            ("q", true, None),
            ("yes please", false, None),
            ("ok", true, None),
            ("\u{1b}[A", true, None),
        ] {
            assert_eq!(consent(line, default_yes), meant, "{line:?} (default yes: {default_yes})");
        }
    }
}
