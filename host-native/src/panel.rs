//! `clawdbot panel`'s server: carries out what the core's `panel` decides.
//!
//! HTTP is tiny_http's (a small, long-kept HTTP/1.1 server): no request
//! parsing of ours faces the browser. It listens on `127.0.0.1` and
//! `[::1]` only. Each request's facts go to the core's [`Gate`], which
//! says what to do with it; a view is a [`PanelLook`] carried out by the
//! CLI's [`Interpreter`] and made into the page's document by the core; a
//! verb is one of the CLI's command flows, carried out the same way, its
//! questions answered from the page. Requests are handled one at a time,
//! in this process: one process touches the files, under the CLI's locks.
//! Nothing is logged but the commands the page ran (never a token or a
//! secret).

use crate::host::{self, NativeWorld, current_env};
use crate::interpreter::{Interpreter, PageIo, random_bytes};
use clawdbot_auth_core::defaults::PANEL_TOKEN_BYTES;
use clawdbot_auth_core::flow::{Exit, PanelLook};
use clawdbot_auth_core::panel::gate::{self, HEADERS, MAX_BODY_BYTES};
use clawdbot_auth_core::panel::{self as rules, Asset, Gate, Refusal, Request, Route, verbs};
use clawdbot_auth_core::{Env, Secret};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

/// The page's files, in the binary: the panel needs nothing on disk.
fn asset(asset: Asset) -> &'static [u8] {
    match asset {
        Asset::Page => include_bytes!("../../host-wasm/www/index.html"),
        Asset::Script => include_bytes!("../../host-wasm/www/panel.js"),
        Asset::Style => include_bytes!("../../host-wasm/www/panel.css"),
        Asset::Icon => include_bytes!("../../host-wasm/www/favicon.svg"),
    }
}

/// The body served for `asset`: the page marked live.
fn served(asset_kind: Asset) -> Vec<u8> {
    match asset_kind {
        Asset::Page => rules::live_page(&String::from_utf8_lossy(asset(Asset::Page))).into_bytes(),
        other => asset(other).to_vec(),
    }
}

/// Runs the panel until the process is interrupted.
pub fn serve(agent: Option<String>, port: u16, no_open: bool) -> Exit {
    let env = current_env();
    // The agent and the state folder are checked as every command checks
    // them, before anything listens.
    let first = match look(&env, agent.as_deref()) {
        Ok(first) => first,
        Err((exit, lines)) => {
            for line in lines {
                eprintln!("{line}");
            }
            return exit;
        }
    };
    let v4 = match TcpListener::bind(("127.0.0.1", port)) {
        Ok(listener) => listener,
        Err(e) => {
            return crate::cli::failed(
                Exit::Error,
                format!("cannot listen on 127.0.0.1:{port}: {e} (choose another with --port N, or 0 for any)"),
            );
        }
    };
    let port = v4.local_addr().map(|a| a.port()).unwrap_or(port);
    let mut listening = vec![format!("127.0.0.1:{port}")];
    let v6 = match TcpListener::bind(("::1", port)) {
        Ok(listener) => {
            listening.push(format!("[::1]:{port}"));
            Some(listener)
        }
        Err(e) => {
            eprintln!("note: not listening on [::1]:{port} ({e}); 127.0.0.1 only");
            None
        }
    };
    let mut gate = match Gate::new(port, &random_bytes(PANEL_TOKEN_BYTES), host::now(&env)) {
        Ok(gate) => gate,
        Err(why) => return crate::cli::failed(Exit::Error, why),
    };
    let (tx, rx) = mpsc::channel();
    for listener in std::iter::once(v4).chain(v6) {
        let server = match tiny_http::Server::from_listener(listener, None) {
            Ok(server) => server,
            Err(e) => return crate::cli::failed(Exit::Error, format!("cannot serve on 127.0.0.1:{port}: {e}")),
        };
        let tx = tx.clone();
        // Each request's body is read on a thread of its own, so a client
        // that sends slowly (or not at all) stalls only itself; the loop
        // below decides one whole request at a time.
        std::thread::spawn(move || {
            while let Ok(mut request) = server.recv() {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    let body = read_body(&mut request);
                    let _ = tx.send(Arrived { request, body });
                });
            }
        });
    }
    drop(tx);
    let agent_id = first.unwrap_or_else(|| "main".into());
    let banner = rules::gate::banner(&gate, &agent_id, &listening, host_name().as_deref());
    let mut out = std::io::stdout().lock();
    for line in &banner {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
    drop(out);
    let mut opened = match gate::opens_browser(no_open, &env) {
        true => open_browser(&env, &gate),
        false => None,
    };
    let mut panel = Panel { env, agent, gate: &mut gate };
    loop {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(arrived) => panel.answer(arrived),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return Exit::Error,
        }
        // The file that opened the browser holds the token: gone once the
        // token is spent.
        if opened.is_some() && panel.gate.token_spent(host::now(&panel.env)) {
            remove_opener(opened.take());
        }
    }
}

/// A request whose body has been read (or found too large, or unreadable).
struct Arrived {
    request: tiny_http::Request,
    body: Result<Secret, Answer>,
}

struct Panel<'g> {
    env: Env,
    agent: Option<String>,
    gate: &'g mut Gate,
}

/// An answer: status, content type, body, and a cookie to set.
struct Answer {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    cookie: Option<String>,
}

impl Answer {
    fn json(status: u16, body: String) -> Answer {
        Answer { status, content_type: "application/json", body: body.into_bytes(), cookie: None }
    }

    fn refused(refusal: Refusal) -> Answer {
        Answer::json(refusal.status, refusal.body())
    }
}

impl Panel<'_> {
    fn answer(&mut self, Arrived { request, body }: Arrived) {
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .map(|h| (h.field.as_str().as_str().to_string(), h.value.as_str().to_string()))
            .collect();
        let url = request.url().to_string();
        let facts = Request { method: request.method().as_str(), url: &url, headers: &headers };
        let answer = match self.gate.route(&facts) {
            Route::Asset(kind) => {
                Answer { status: 200, content_type: kind.content_type(), body: served(kind), cookie: None }
            }
            Route::View => self.view(&url),
            Route::Exchange => match body {
                Ok(body) => {
                    let random = random_bytes(PANEL_TOKEN_BYTES);
                    match self.gate.exchange(body.expose().as_bytes(), &random, host::now(&self.env)) {
                        Ok(cookie) => Answer { cookie: Some(cookie), ..Answer::json(200, "{\"ok\":true}".into()) },
                        Err(refusal) => Answer::refused(refusal),
                    }
                }
                Err(answer) => answer,
            },
            Route::Verb => match body {
                Ok(body) => self.verb(body),
                Err(answer) => answer,
            },
            Route::Refused(refusal) => Answer::refused(refusal),
        };
        let mut response = tiny_http::Response::from_data(answer.body).with_status_code(answer.status);
        let content_type = [("Content-Type", answer.content_type)];
        for (name, value) in HEADERS.iter().chain(content_type.iter()) {
            if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                response.add_header(header);
            }
        }
        if let Some(cookie) = answer.cookie
            && let Ok(header) = tiny_http::Header::from_bytes(&b"Set-Cookie"[..], cookie.as_bytes())
        {
            response.add_header(header);
        }
        // Written out on a thread of its own: a client that reads slowly
        // stalls only itself.
        std::thread::spawn(move || request.respond(response));
    }

    /// `GET /api/view`: a look at the files now, made into the view.
    fn view(&self, url: &str) -> Answer {
        let now = host::now(&self.env);
        let world = NativeWorld::new(&self.env);
        let mut flow = PanelLook::new(&self.env, self.agent.as_deref(), now);
        let mut interpreter = Interpreter::for_page(&world, PageIo::new(None));
        let done = interpreter.run(&mut flow);
        let said = interpreter.into_page().map(|page| page.lines).unwrap_or_default();
        match flow.seen() {
            Some(seen) if done.exit == Exit::Ok => match rules::view(seen, &self.env, self.agent.as_deref(), url) {
                Ok(doc) => Answer::json(200, doc),
                Err(why) => Answer::json(500, serde_json::json!({ "error": why }).to_string()),
            },
            _ => {
                let why: Vec<String> = said.into_iter().filter(|l| !l.secret).map(|l| l.text).collect();
                Answer::json(500, serde_json::json!({ "error": why.join("\n") }).to_string())
            }
        }
    }

    /// `POST /api/verb`: the command, run as the CLI runs it.
    fn verb(&self, body: Secret) -> Answer {
        let asked = match verbs::parse(body.expose().as_bytes()) {
            Ok(asked) => asked,
            Err(why) => return Answer::json(400, serde_json::json!({ "error": why }).to_string()),
        };
        drop(body);
        let now = host::now(&self.env);
        let mut flow = asked.flow(&self.env, self.agent.as_deref(), now);
        let command = asked.command_line();
        let world = NativeWorld::new(&self.env);
        let mut interpreter = Interpreter::for_page(&world, PageIo::new(Some(asked)));
        let done = interpreter.run(&mut *flow);
        let Some(PageIo { asked: Some(asked), lines, question }) = interpreter.into_page() else {
            return Answer::json(500, "{}".into());
        };
        if question.is_none() {
            // What the page did, on the panel's terminal (never a secret).
            eprintln!("panel: ran `{command}`: exit {}", done.exit.code());
        }
        Answer::json(200, verbs::answer(&asked, done.exit, &lines, question.as_ref()))
    }
}

/// The request's body, at most [`MAX_BODY_BYTES`] (a secret may be in it).
fn read_body(request: &mut tiny_http::Request) -> Result<Secret, Answer> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_BODY_BYTES).unwrap_or(u64::MAX) + 1;
    if request.as_reader().take(limit).read_to_end(&mut bytes).is_err() {
        return Err(Answer::json(400, "{\"error\":\"the request's body could not be read\"}".into()));
    }
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Answer::json(413, "{\"error\":\"the request is too large\"}".into()));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Secret::new(text)),
        Err(_) => Err(Answer::json(400, "{\"error\":\"the request's body is not UTF-8\"}".into())),
    }
}

/// The first look: `Ok(agent id)` when the panel can show the agent, or
/// the command's own refusal.
fn look(env: &Env, agent: Option<&str>) -> Result<Option<String>, (Exit, Vec<String>)> {
    let world = NativeWorld::new(env);
    let mut flow = PanelLook::new(env, agent, host::now(env));
    let mut interpreter = Interpreter::for_page(&world, PageIo::new(None));
    let done = interpreter.run(&mut flow);
    let lines = interpreter.into_page().map(|p| p.lines).unwrap_or_default();
    match flow.seen() {
        Some(seen) if done.exit == Exit::Ok => Ok(Some(seen.loaded.locations.agent_id.clone())),
        _ => Err((done.exit, lines.into_iter().filter(|l| !l.secret).map(|l| l.text).collect())),
    }
}

/// This host's name, for the `ssh -L` line.
fn host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `len` bytes into `buf`.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    Some(String::from_utf8_lossy(&buf[..end]).into_owned()).filter(|name| !name.is_empty())
}

/// Opens the browser on a private file that sends it on to the link, so
/// that the token is in no program's argv; the file's folder, when made.
fn open_browser(env: &Env, gate: &Gate) -> Option<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let link = gate.link()?;
    let name = format!("clawdbot-panel-{}-{}", std::process::id(), clawdbot_auth_core::encode_hex(&random_bytes(8)));
    let dir = std::env::temp_dir().join(name);
    std::fs::DirBuilder::new().mode(0o700).create(&dir).ok()?;
    let file = dir.join("open.html");
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&file)
        .and_then(|mut f| f.write_all(gate::opener_page(&link).expose().as_bytes()));
    if written.is_err() {
        remove_opener(Some(dir));
        return None;
    }
    let spawned = std::process::Command::new(gate::opener(env))
        .arg(&file)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match spawned {
        // Reaped by a thread of its own; the browser outlives it.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => eprintln!("note: could not open a browser ({e}); open the link above"),
    }
    Some(dir)
}

fn remove_opener(dir: Option<PathBuf>) {
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}
