//! Carries out what the core's flows ask, and nothing else.
//!
//! Each [`Effect`] maps to one adapter: files to [`fsio`], locks to
//! [`lock`], the Keychain to [`keychain`], requests to [`http`], the
//! shell-env fallback to [`process`], events to stdout and stderr as the
//! core renders them for a terminal. The answers go back into the flow
//! with the time they arrived. Which file to read,
//! when to lock, what to write and what the exit code is are the flow's
//! decisions (see `core/src/flow`).

use crate::host::{self, NativeWorld};
use crate::http::{self, HttpOptions};
use crate::world::keychain;
use crate::world::lock::{self, FileLockGuard, LockError, LockOptions, LockSet};
use crate::world::{callback, fsio, process, terminal};
use clawdbot_auth_core::World;
use clawdbot_auth_core::flow::{
    Done, Effect, Entry, Event, Exit, FileMeta, Flow, Input, Line, LockAnswer, LockBusy, LockFolder, LockKind,
    LockRequest, LockTimings, RandomBytes, RunAnswer, SecretError, ShellAnswer, Stream, Woke, WriteBack,
    WriteBackPlace,
};
use clawdbot_auth_core::panel::{Asked, Question};
use clawdbot_auth_core::{ExitStatus, IoFailure, IoKind, IoStep, Secret};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// A lock held: proper-lockfile folders, or another tool's `flock`ed
/// file; dropping it releases it.
#[allow(dead_code)] // held for its drop
enum Guard {
    Folders(LockSet),
    File(FileLockGuard),
}

/// A command run for the panel's page instead of a terminal: its
/// questions are answered from the page's request (or stop the run before
/// anything is written, the question going back to the page), and its
/// lines are kept for the answer instead of printed.
pub struct PageIo {
    /// The verb, with the answers the page sent (none for a look).
    pub asked: Option<Asked>,
    /// What the command said, in order, as a terminal would show it.
    pub lines: Vec<Line>,
    /// The question the run stopped at, if it did.
    pub question: Option<Question>,
}

impl PageIo {
    pub fn new(asked: Option<Asked>) -> PageIo {
        PageIo { asked, lines: Vec::new(), question: None }
    }
}

/// The native host's effect interpreter for one command.
pub struct Interpreter<'w> {
    world: &'w NativeWorld,
    /// Locks held, by the path the flow named them with, each with the
    /// folders made to take it.
    locks: BTreeMap<String, Held>,
    /// Why the command's output could not be written (the first failure):
    /// a report nobody received is a command that could not run.
    unwritten: Option<std::io::Error>,
    /// Standard output, gathered into large writes: doctor says tens of
    /// thousands of lines on a large store, and a write per line was a
    /// system call each. Written out before anything goes to standard
    /// error and before every other effect (a question, a program on the
    /// terminal, a wait), so what is shown and in what order is unchanged.
    stdout: std::io::BufWriter<std::io::Stdout>,
    /// The browser's request a `Listen` received, until it is answered.
    callback: Option<std::net::TcpStream>,
    /// The panel's page, when the command runs for it.
    page: Option<PageIo>,
}

impl<'w> Interpreter<'w> {
    pub fn new(world: &'w NativeWorld) -> Self {
        Interpreter {
            world,
            locks: BTreeMap::new(),
            unwritten: None,
            callback: None,
            page: None,
            stdout: std::io::BufWriter::with_capacity(1 << 16, std::io::stdout()),
        }
    }

    /// An interpreter for a command the panel's page asked for.
    pub fn for_page(world: &'w NativeWorld, page: PageIo) -> Self {
        Interpreter { page: Some(page), ..Interpreter::new(world) }
    }

    /// The page's side of the run: what it said, and the question it
    /// stopped at.
    pub fn into_page(self) -> Option<PageIo> {
        self.page
    }

    /// The run stopped at a question the page must answer first.
    fn stopped(&self) -> bool {
        self.page.as_ref().is_some_and(|page| page.question.is_some())
    }

    /// Runs `flow` to its end, writing its lines as they come; the final
    /// lines and hints are written too, and the end is returned.
    pub fn run(&mut self, flow: &mut dyn Flow) -> Done {
        loop {
            let done = match flow.poll() {
                Effect::Done(done) => done,
                effect => {
                    if let Some(input) = self.perform(effect) {
                        flow.handle(host::now(self.world.env()), input);
                    } else if self.stopped() {
                        // Nothing was written yet: a question comes first.
                        std::mem::take(&mut self.locks).into_values().for_each(Held::release);
                        return Done::quiet(Exit::Action);
                    }
                    continue;
                }
            };
            for event in &done.events {
                self.emit(event);
            }
            // Whatever the flow still holds is released here.
            std::mem::take(&mut self.locks).into_values().for_each(Held::release);
            self.flush();
            return match self.unwritten.take() {
                // `> /dev/full`, a closed pipe: the key or the report was
                // lost, so the command did not do its job (issue 23 item 8).
                Some(e) => Done {
                    exit: crate::cli::failed(
                        Exit::Error,
                        format!("could not write the output to standard output: {e}"),
                    ),
                    ..done
                },
                None => done,
            };
        }
    }

    /// Writes out what standard output holds, remembering a failure.
    fn flush(&mut self) {
        if let Err(e) = self.stdout.flush() {
            self.unwritten.get_or_insert(e);
        }
    }

    /// Carries out one request; its answer, through the reply it came with.
    fn perform(&mut self, effect: Effect) -> Option<Input> {
        // What standard output holds is written out before anything that
        // waits or talks to the user; reading files does neither, so a run
        // over many agents writes its reports in large pieces, not one
        // write per agent.
        if !matches!(effect, Effect::Emit(_) | Effect::Read { .. } | Effect::Stat { .. } | Effect::ListFolder { .. }) {
            self.flush();
        }
        Some(match effect {
            Effect::Read { paths, reply } => {
                reply.with(paths.into_iter().map(|p| (p.clone(), self.world.read(&p))).collect())
            }
            Effect::ReadKeychain { item, reply } => reply.with(self.world.keychain(&item)),
            Effect::Lock { request, reply } => reply.with(self.lock(&request)),
            Effect::Unlock { path } => {
                if let Some(held) = self.locks.remove(&path) {
                    held.release();
                }
                return None;
            }
            Effect::WriteAtomic { path, text, reply } => {
                reply.with(fsio::write_atomic(Path::new(&path), text.expose().as_bytes()).map_err(|e| e.failure()))
            }
            Effect::Remove { path, reply } => {
                reply.with(fsio::remove_file_if_exists(Path::new(&path)).map(|_| ()).map_err(|e| e.failure()))
            }
            Effect::Send { request, provider, timeouts, reply } => {
                let options = HttpOptions {
                    connect: Duration::from_millis(timeouts.connect_ms),
                    total: Duration::from_millis(timeouts.total_ms),
                };
                reply.with(http::send(&request, provider, &options))
            }
            Effect::SendAll { requests, concurrency, timeouts, max_body_bytes, reply } => {
                let options = HttpOptions {
                    connect: Duration::from_millis(timeouts.connect_ms),
                    total: Duration::from_millis(timeouts.total_ms),
                };
                reply.with(http::send_all(&requests, concurrency, &options, max_body_bytes))
            }
            Effect::SaveBackup { of, text, reply } => {
                reply.with(crate::persist::save_backup(Path::new(&of), text.expose().as_bytes()))
            }
            Effect::WriteBack { write, reply } => reply.with(self.write_back(&write)),
            Effect::ShellEnv { shell, command, timeout_ms, reply } => {
                let timeout = Duration::from_millis(timeout_ms);
                reply.with(match process::run(Path::new(&shell), &["-l", "-c", &command], None, timeout) {
                    Ok(done) if done.status.success() => ShellAnswer::Output(done.stdout),
                    Ok(done) => ShellAnswer::Exited(exit_status(done.status)),
                    Err(process::RunFailure::TimedOut) => ShellAnswer::TimedOut,
                    Err(_) => ShellAnswer::Failed,
                })
            }
            Effect::RunOnTerminal { reply, .. } if self.page.is_some() => {
                reply.with(RunAnswer::Failed(IoKind::NoTerminal))
            }
            Effect::RunOnTerminal { program, args, reply } => reply.with(run_on_terminal(&program, &args)),
            Effect::AskSecret { prompt, reply } => match &mut self.page {
                Some(page) => match page.asked.as_mut().map(|asked| asked.secret(&prompt)) {
                    Some(Ok(secret)) => reply.with(Ok(secret)),
                    Some(Err(question)) => return page.stop(question),
                    None => return page.stop(Question::Secret(prompt)),
                },
                None => reply.with(ask_secret(&prompt)),
            },
            Effect::Confirm { question, default_yes, reply } => match &mut self.page {
                Some(page) => match page.asked.as_ref().map(|asked| asked.confirm(&question)) {
                    Some(Ok(answer)) => reply.with(answer),
                    Some(Err(question)) => return page.stop(question),
                    None => return page.stop(Question::Confirm(question)),
                },
                None => reply.with(confirm(&question, default_yes)),
            },
            Effect::AskLine { reply, .. } if self.page.is_some() => reply.with(Err(IoKind::NoTerminal)),
            Effect::AskLine { prompt, reply } => reply.with(ask_line(&prompt)),
            Effect::ListFolder { path, reply } => reply.with(list_folder(Path::new(&path))),
            Effect::Stat { paths, reply } => {
                reply.with(paths.into_iter().map(|p| (p.clone(), stat(Path::new(&p)))).collect())
            }
            Effect::SetMode { path, mode, reply } => {
                use std::os::unix::fs::PermissionsExt;
                let permissions = std::fs::Permissions::from_mode(mode);
                let failed = |e: std::io::Error| IoFailure::new(fsio::io_kind(&e), &path).at(IoStep::SetMode);
                reply.with(std::fs::set_permissions(&path, permissions).map_err(failed))
            }
            Effect::Wait { until, reply } => {
                let left = until.saturating_sub(host::now(self.world.env()));
                std::thread::sleep(Duration::from_millis(u64::try_from(left).unwrap_or(0)));
                reply.with(Woke)
            }
            Effect::Random { len, reply } => reply.with(RandomBytes(random_bytes(len))),
            Effect::Listen { port, path, timeout_ms, reply } => {
                let (heard, stream) = callback::listen(port, &path, Duration::from_millis(timeout_ms));
                self.callback = stream;
                reply.with(heard)
            }
            Effect::Respond { status, page } => {
                if let Some(stream) = self.callback.take() {
                    callback::respond(stream, status, &page);
                }
                return None;
            }
            Effect::ReadSecretFile { path, max_bytes, reply } => {
                reply.with(crate::world::secrets::read_secret_file(&path, max_bytes))
            }
            Effect::Inspect { path, reply } => reply.with(crate::world::secrets::inspect(&path)),
            Effect::RunResolver { command, args, env, stdin, timeout_ms, max_output_bytes, reply } => reply
                .with(crate::world::secrets::run_resolver(&command, &args, &env, &stdin, timeout_ms, max_output_bytes)),
            Effect::Emit(event) => {
                self.emit(&event);
                return None;
            }
            Effect::Done(_) => return None,
        })
    }

    /// Writes what an event says: a document into standard output as the
    /// core produces it, anything else as its lines (for the page, every
    /// event as its lines).
    fn emit(&mut self, event: &Event) {
        match event {
            Event::Document(document) if self.page.is_none() => {
                let out = &mut self.stdout;
                if let Err(e) = document.write_to(&mut *out).and_then(|()| out.write_all(b"\n")) {
                    self.unwritten.get_or_insert(e);
                }
            }
            event => event.lines().iter().for_each(|line| self.show(line)),
        }
    }

    /// Writes one line (already escaped by the core), remembering a failed
    /// write of the output; for the page, keeps it. A line for standard
    /// error first writes out what standard output holds, so the two keep
    /// their order.
    fn show(&mut self, line: &Line) {
        if let Some(page) = &mut self.page {
            page.lines.push(line.clone());
            return;
        }
        match line.stream {
            Stream::Stdout => {
                let out = &mut self.stdout;
                if let Err(e) = out.write_all(line.text.as_bytes()).and_then(|()| out.write_all(b"\n")) {
                    self.unwritten.get_or_insert(e);
                }
            }
            Stream::Stderr => {
                self.flush();
                let _ = writeln!(std::io::stderr(), "{}", line.text);
            }
        }
    }

    fn lock(&mut self, request: &LockRequest) -> LockAnswer {
        let options = lock_options(&request.kind, request.timings);
        let taken = match &request.kind {
            LockKind::Store => take_store_lock(&request.path, request.timings),
            LockKind::Shared { folders, owner, .. } => {
                if !folders.first().is_some_and(is_there) {
                    return LockAnswer::NoTarget;
                }
                let paths = folders.iter().map(|f| lock::lock_folder(Path::new(&f.target), f.realpath));
                match paths.collect::<Result<Vec<_>, _>>() {
                    Ok(paths) => lock::acquire_set(paths, owner.as_ref().map(Into::into), &options),
                    Err(e) => Err(e),
                }
                .map(|set| Held::new(Guard::Folders(set)))
                .map_err(|e| answer(&e))
            }
            LockKind::File { .. } => {
                let file = Path::new(&request.path);
                if !file.parent().is_some_and(Path::is_dir) {
                    return LockAnswer::NoTarget;
                }
                lock::acquire_file_lock(file, &options)
                    .map(|guard| Held::new(Guard::File(guard)))
                    .map_err(|e| answer(&e))
            }
        };
        match taken {
            Ok(set) => {
                self.locks.insert(request.path.clone(), set);
                LockAnswer::Taken
            }
            Err(answer) => answer,
        }
    }

    fn write_back(&self, write: &WriteBack) -> Result<(), IoFailure> {
        match &write.place {
            WriteBackPlace::File { path } => {
                fsio::write_atomic(Path::new(path), write.text.expose().as_bytes()).map_err(|e| e.failure())
            }
            WriteBackPlace::Keychain(item) => {
                let bin = keychain::security_binary(self.world.env().get("PATH"));
                let (service, account) = (&item.service, &item.account);
                keychain::write_generic_password(&bin, service, account, &write.text, keychain::TIMEOUT)
                    .map_err(|e| IoFailure::new(e.kind(), format!("Keychain item {service}")))?;
                self.world.remember_keychain(item, write.text.expose());
                Ok(())
            }
            WriteBackPlace::SealedKeychain(item) => {
                let bin = keychain::security_binary(self.world.env().get("PATH"));
                let (service, account) = (&item.service, &item.account);
                keychain::write_sealed_password(&bin, service, account, &write.text, keychain::TIMEOUT)
                    .map_err(|e| IoFailure::new(e.kind(), format!("Keychain item {service}")))?;
                self.world.remember_keychain(item, write.text.expose());
                Ok(())
            }
        }
    }
}

impl PageIo {
    /// Stops the run at `question`: no answer goes back to the flow.
    fn stop(&mut self, question: Question) -> Option<Input> {
        self.question = Some(question);
        None
    }
}

/// A lock taken, and the folders made to take it (outermost first).
struct Held {
    guard: Guard,
    made: Vec<std::path::PathBuf>,
}

impl Held {
    /// A lock that needed no folder made.
    fn new(guard: Guard) -> Held {
        Held { guard, made: Vec::new() }
    }

    /// Releases the lock, then removes the folders made for it that are
    /// still empty: a command that wrote nothing (a refused edit) leaves
    /// no agent folder behind.
    fn release(self) {
        drop(self.guard);
        for dir in self.made.iter().rev() {
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
        }
    }
}

/// Takes the store's lock folder, `<realpath(store)>.lock`. When the store
/// does not exist yet its folder is made and resolved instead, so that
/// locking never creates an empty store (which would hide a legacy file
/// from migration). Leftover temp files of crashed writers go first.
fn take_store_lock(store_path: &str, timings: LockTimings) -> Result<Held, LockAnswer> {
    let path = Path::new(store_path);
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut made: Vec<std::path::PathBuf> =
        dir.ancestors().take_while(|d| !d.exists()).map(Path::to_path_buf).collect();
    made.reverse();
    fsio::create_private_dir_all(dir).map_err(|e| LockAnswer::Failed(e.failure()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let lock_path = match lock::lock_path_for(path) {
        Ok(p) => p,
        Err(_) => std::fs::canonicalize(dir)
            .map_err(|e| {
                LockAnswer::Failed(IoFailure::new(fsio::io_kind(&e), dir.to_string_lossy()).at(IoStep::Inspect))
            })?
            .join(format!("{name}.lock")),
    };
    let guard = lock::acquire_lock_dir(lock_path, &lock_options(&LockKind::Store, timings)).map_err(|e| answer(&e))?;
    // Every writer of the store holds this lock, so a temp file of it now
    // can only be a dead writer's, however young.
    let _ = fsio::remove_leftover_temps(dir, &name);
    Ok(Held { guard: Guard::Folders(LockSet::from(guard)), made })
}

/// A lock that was not taken, as the core's value: the core words it
/// for whoever's lock it is.
fn answer(e: &LockError) -> LockAnswer {
    let at = |path: &Path, kind| IoFailure::new(kind, path.to_string_lossy()).at(IoStep::Lock);
    match e {
        LockError::Busy { lock_path, waited } => LockAnswer::Busy(LockBusy {
            lock_path: lock_path.to_string_lossy().into_owned(),
            waited_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
        }),
        LockError::TargetMissing { path, source } => LockAnswer::Failed(at(path, fsio::io_kind(source))),
        LockError::Io { lock_path, source, .. } => LockAnswer::Failed(at(lock_path, fsio::io_kind(source))),
        LockError::Compromised { lock_path } => LockAnswer::Failed(at(lock_path, IoKind::Other { code: None })),
    }
}

/// The core's timings, backoff included; how a wait is reported is the
/// host's.
fn lock_options(kind: &LockKind, t: LockTimings) -> LockOptions {
    let base = match kind {
        LockKind::Store => LockOptions::store(),
        LockKind::Shared { name, .. } | LockKind::File { name } => LockOptions::shared(name),
    };
    base.timed(t)
}

/// Whether what a login source's first lock folder needs is there: its
/// target (resolved through symlinks), or the folder it is made in. When
/// it is not, the tool never ran here.
fn is_there(folder: &LockFolder) -> bool {
    let target = Path::new(&folder.target);
    if folder.realpath { target.is_dir() } else { target.parent().is_some_and(Path::is_dir) }
}

/// Asks on the terminal and returns the line typed, for the core to judge
/// (it asks again when the line is neither yes nor no); `None` when
/// standard input is not a terminal or could not be read. End of input
/// reads as an empty line, as it always has.
fn confirm(question: &str, default_yes: bool) -> Option<String> {
    use std::io::{BufRead, IsTerminal};
    if !std::io::stdin().is_terminal() {
        return None;
    }
    eprint!("{question} {} ", if default_yes { "[Y/n]" } else { "[y/N]" });
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    Some(line.trim_end_matches(['\n', '\r']).to_string())
}

/// Shows `prompt` on stderr and reads one line from standard input.
fn ask_line(prompt: &str) -> Result<String, IoKind> {
    use std::io::BufRead;
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| fsio::io_kind(&e))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// The entries of a folder (none when it cannot be listed); a symlink is
/// no folder here.
fn list_folder(dir: &Path) -> Vec<Entry> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            Some(Entry { name, folder: e.file_type().is_ok_and(|t| t.is_dir()) })
        })
        .collect()
}

/// What `path` is through its symlinks, and for a symlink the folder of
/// its target with that folder's mode.
fn stat(path: &Path) -> Option<FileMeta> {
    use std::os::unix::fs::PermissionsExt;
    // One system call unless it is a symlink (`--all-agents` looks at every
    // agent's folder).
    let link = std::fs::symlink_metadata(path).ok()?;
    let is_link = link.file_type().is_symlink();
    let meta = if is_link { std::fs::metadata(path).ok()? } else { link };
    let link_folder = is_link.then(|| std::fs::canonicalize(path).ok()).flatten().and_then(|target| {
        let dir = target.parent()?.to_path_buf();
        let mode = std::fs::metadata(&dir).ok()?.permissions().mode() & 0o7777;
        Some((dir.to_string_lossy().into_owned(), mode))
    });
    Some(FileMeta {
        folder: meta.is_dir(),
        regular: meta.is_file(),
        mode: meta.permissions().mode() & 0o7777,
        link_folder,
    })
}

/// How a program ended, as the core reads it.
fn exit_status(status: std::process::ExitStatus) -> ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    ExitStatus { code: status.code(), signal: status.signal() }
}

/// Runs `program` with the terminal as its stdin, stdout and stderr (the
/// user talks to it), and waits for it.
fn run_on_terminal(program: &str, args: &[String]) -> RunAnswer {
    use std::os::unix::process::ExitStatusExt;
    match std::process::Command::new(program).args(args).status() {
        Ok(status) => match status.code() {
            Some(code) => RunAnswer::Exited(code),
            None => RunAnswer::Killed { signal: status.signal() },
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => RunAnswer::NotFound,
        Err(e) => RunAnswer::Failed(fsio::io_kind(&e)),
    }
}

/// A secret from the terminal with the echo off (back on however the read
/// ends, a signal included: [`terminal`]), else from standard input (at
/// most the core's paste limit, plus one byte so that it sees "too long").
fn ask_secret(prompt: &str) -> Result<Secret, SecretError> {
    use std::io::{IsTerminal, Read};
    let stdin = std::io::stdin();
    let cap = clawdbot_auth_core::MAX_PASTE_INPUT_BYTES as u64 + 1;
    if stdin.is_terminal() {
        return match terminal::read_hidden(&format!("{prompt} (input is hidden): "), cap) {
            Ok(line) => Ok(Secret::new(line)),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(SecretError::NotText),
            Err(e) => Err(SecretError::Unreadable(fsio::io_kind(&e))),
        };
    }
    let mut bytes = Vec::new();
    stdin.lock().take(cap).read_to_end(&mut bytes).map_err(|e| SecretError::Unreadable(fsio::io_kind(&e)))?;
    String::from_utf8(bytes).map(Secret::new).map_err(|_| SecretError::NotText)
}

/// `len` bytes from the kernel's random source; none when it cannot be
/// read (the core then refuses the login rather than use weak values).
pub fn random_bytes(len: usize) -> Vec<u8> {
    use std::io::Read;
    let mut bytes = vec![0u8; len];
    match std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)) {
        Ok(()) => bytes,
        Err(_) => Vec::new(),
    }
}
