//! Sends the core's requests with `ureq` (rustls, no OpenSSL): one at a
//! time for a refresh or a login, a batch for `models status --probe`.
//!
//! The core describes each request completely; this module only moves
//! bytes, with bounds on everything the network controls: a connect
//! timeout, a total timeout that also covers a server dripping its body
//! byte by byte, a body size limit, and no redirects (a token endpoint
//! never redirects; following one would hand the refresh token, or a
//! probe's key, to whoever answered).

use clawdbot_auth_core::{
    Exchange, HttpRequest, HttpResponse, Method, RefreshError, RefreshProvider, TransportFailure, transport_error,
};
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A token response is a few kilobytes; more is not a token endpoint.
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;

/// Timeouts for one client: the core's `flow::HttpTimeouts` of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOptions {
    pub connect: Duration,
    pub total: Duration,
}

impl HttpOptions {
    fn agent(&self) -> ureq::Agent {
        ureq::Agent::config_builder()
            .timeout_connect(Some(self.connect))
            .timeout_global(Some(self.total))
            .max_redirects(0)
            .http_status_as_error(false)
            .build()
            .into()
    }
}

/// Performs `request`; any failure before a complete response becomes a
/// transient [`RefreshError`] for `provider`.
pub fn send(
    request: &HttpRequest,
    provider: RefreshProvider,
    options: &HttpOptions,
) -> Result<HttpResponse, RefreshError> {
    exchange(&options.agent(), request, MAX_BODY_BYTES)
        .map_err(|(failure, message)| transport_error(provider, failure, &message))
}

/// Performs every request of a batch, at most `concurrency` at a time
/// (each worker takes the next request when its last one is over, so a
/// server that never answers holds one worker for one timeout), and
/// answers in the order given, each with the time it took.
pub fn send_all(
    requests: &[HttpRequest],
    concurrency: usize,
    options: &HttpOptions,
    max_body_bytes: u64,
) -> Vec<Exchange> {
    let agent = options.agent();
    let next = AtomicUsize::new(0);
    let answers: Mutex<Vec<Option<Exchange>>> = Mutex::new(vec![None; requests.len()]);
    let workers = concurrency.clamp(1, requests.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(request) = requests.get(i) else { break };
                    let started = Instant::now();
                    let answer = exchange(&agent, request, max_body_bytes).map_err(|(failure, _)| failure);
                    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                    if let Ok(mut all) = answers.lock()
                        && let Some(slot) = all.get_mut(i)
                    {
                        *slot = Some(Exchange { answer, latency_ms });
                    }
                }
            });
        }
    });
    let answers = answers.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    // A worker that died left its slot empty: that request failed.
    answers.into_iter().map(|a| a.unwrap_or(Exchange { answer: Err(TransportFailure::Other), latency_ms: 0 })).collect()
}

/// One exchange: the whole response, or how it failed and the client's
/// words for it (never the request, which holds a secret).
fn exchange(
    agent: &ureq::Agent,
    request: &HttpRequest,
    max_body_bytes: u64,
) -> Result<HttpResponse, (TransportFailure, String)> {
    let result = match (request.method, &request.body) {
        (Method::Post, body) => {
            let mut builder = agent.post(&request.url);
            for (name, value) in &request.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            builder.send(body.as_ref().map_or("", |b| b.as_str()).as_bytes())
        }
        (Method::Get, _) => {
            let mut builder = agent.get(&request.url);
            for (name, value) in &request.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            builder.call()
        }
    };
    let mut response = result.map_err(|e| classify(&e))?;
    let status = response.status().as_u16();
    if (300..400).contains(&status) {
        return Err((TransportFailure::Redirect, format!("HTTP {status}, not followed")));
    }
    let headers = response
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_string(), value.to_str().ok()?.to_string())))
        .collect();
    let body = response.body_mut().with_config().limit(max_body_bytes).read_to_vec().map_err(|e| classify(&e))?;
    Ok(HttpResponse::new(status, headers, body))
}

/// Maps a client error to the core's failure classes. The message names
/// what happened, never the request (which holds the refresh token).
fn classify(error: &ureq::Error) -> (TransportFailure, String) {
    use ureq::Error as E;
    match error {
        E::Timeout(what) => (TransportFailure::Timeout, format!("no complete answer in time ({what})")),
        E::HostNotFound => (TransportFailure::Connect, "host not found".to_string()),
        E::ConnectionFailed => (TransportFailure::Connect, "connection failed".to_string()),
        E::Io(e) => (io_failure(e), e.to_string()),
        E::Tls(what) => (TransportFailure::Tls, (*what).to_string()),
        E::Rustls(e) => (TransportFailure::Tls, e.to_string()),
        E::TooManyRedirects | E::RedirectFailed => (TransportFailure::Redirect, "redirect refused".to_string()),
        E::BodyExceedsLimit(limit) => {
            (TransportFailure::TooLarge, format!("the answer is larger than {limit} bytes; not a token response"))
        }
        E::BadUri(_) => (TransportFailure::Other, "the token URL is not valid".to_string()),
        other => (TransportFailure::Other, other.to_string()),
    }
}

fn io_failure(error: &io::Error) -> TransportFailure {
    match error.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportFailure::Timeout,
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::NotConnected
        | io::ErrorKind::AddrNotAvailable
        | io::ErrorKind::HostUnreachable
        | io::ErrorKind::NetworkUnreachable => TransportFailure::Connect,
        _ => TransportFailure::Other,
    }
}
