//! Sends the core's refresh requests with `ureq` (rustls, no OpenSSL).
//!
//! The core describes the request completely; this module only moves bytes,
//! with bounds on everything the network controls: a connect timeout, a
//! total timeout that also covers a server dripping its body byte by byte,
//! a body size limit, and no redirects (a token endpoint never redirects;
//! following one would hand the refresh token to whoever answered).

use clawdbot_auth_core::{
    HttpRequest, HttpResponse, Method, RefreshError, RefreshProvider, TransportFailure, transport_error,
};
use std::io;
use std::time::Duration;

/// A token response is a few kilobytes; more is not a token endpoint.
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;

/// Timeouts for one client: the core's `flow::HttpTimeouts` of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOptions {
    pub connect: Duration,
    pub total: Duration,
}

/// Performs `request`; any failure before a complete response becomes a
/// transient [`RefreshError`] for `provider`.
pub fn send(
    request: &HttpRequest,
    provider: RefreshProvider,
    options: &HttpOptions,
) -> Result<HttpResponse, RefreshError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(options.connect))
        .timeout_global(Some(options.total))
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
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
    let mut response = result.map_err(|e| classify(provider, &e))?;
    let status = response.status().as_u16();
    if (300..400).contains(&status) {
        return Err(transport_error(provider, TransportFailure::Redirect, &format!("HTTP {status}, not followed")));
    }
    let headers = response
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_string(), value.to_str().ok()?.to_string())))
        .collect();
    let body =
        response.body_mut().with_config().limit(MAX_BODY_BYTES).read_to_vec().map_err(|e| classify(provider, &e))?;
    Ok(HttpResponse::new(status, headers, body))
}

/// Maps a client error to the core's failure classes. The message names
/// what happened, never the request (which holds the refresh token).
fn classify(provider: RefreshProvider, error: &ureq::Error) -> RefreshError {
    use ureq::Error as E;
    let (failure, message) = match error {
        E::Timeout(what) => (TransportFailure::Timeout, format!("no complete answer in time ({what})")),
        E::HostNotFound => (TransportFailure::Connect, "host not found".to_string()),
        E::ConnectionFailed => (TransportFailure::Connect, "connection failed".to_string()),
        E::Io(e) => (io_failure(e), e.to_string()),
        E::Tls(what) => (TransportFailure::Tls, (*what).to_string()),
        E::Rustls(e) => (TransportFailure::Tls, e.to_string()),
        E::TooManyRedirects | E::RedirectFailed => (TransportFailure::Redirect, "redirect refused".to_string()),
        E::BodyExceedsLimit(limit) => {
            (TransportFailure::Other, format!("the answer is larger than {limit} bytes; not a token response"))
        }
        E::BadUri(_) => (TransportFailure::Other, "the token URL is not valid".to_string()),
        other => (TransportFailure::Other, other.to_string()),
    };
    transport_error(provider, failure, &message)
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
