//! One browser redirect on a loopback port: the browser login's callback.
//!
//! Listens on `127.0.0.1:port` (never another interface), takes requests
//! until one asks for the path the core named, and hands its query to the
//! core, keeping the connection open for the core's answer. Requests for
//! other paths (a favicon) get a 404. Everything the browser sends is
//! bounded: 8 KiB of request head, a few seconds to send it.

use clawdbot_auth_core::Secret;
use clawdbot_auth_core::flow::Callback;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// The most of a request head read.
const MAX_HEAD_BYTES: usize = 8 * 1024;
/// How long a browser may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Waits up to `timeout` for `GET path?query`: the query, with the
/// connection to answer on.
pub fn listen(port: u16, path: &str, timeout: Duration) -> (Callback, Option<TcpStream>) {
    let listener = match TcpListener::bind(("127.0.0.1", port)) {
        Ok(listener) => listener,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => return (Callback::Busy, None),
        Err(e) => return (Callback::Failed(super::fsio::io_kind(&e)), None),
    };
    if let Err(e) = listener.set_nonblocking(true) {
        return (Callback::Failed(super::fsio::io_kind(&e)), None);
    }
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match listener.accept() {
            Ok((mut stream, _)) => {
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
                let Some(target) = request_target(&mut stream) else {
                    respond(stream, 400, "Bad request.");
                    continue;
                };
                let (asked, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
                if asked != path {
                    respond(stream, 404, "Not found.");
                    continue;
                }
                return (Callback::Received(Secret::new(query)), Some(stream));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return (Callback::Failed(super::fsio::io_kind(&e)), None),
        }
    }
    (Callback::TimedOut, None)
}

/// The target of a `GET` request's line, when the head is one.
fn request_target(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() > MAX_HEAD_BYTES {
            return None;
        }
    }
    let text = String::from_utf8(head).ok()?;
    let mut parts = text.lines().next()?.split(' ');
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) => Some(target.to_string()),
        _ => None,
    }
}

/// Answers with `status` and `page` as plain text, and closes.
pub fn respond(mut stream: TcpStream, status: u16, page: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let answer = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    let _ = stream.write_all(answer.as_bytes());
    let _ = stream.flush();
}
