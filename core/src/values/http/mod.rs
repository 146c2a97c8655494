//! HTTP messages as plain values: what the host must send, what it got back.
//!
//! The core never opens a socket; it describes a request completely (method,
//! URL, every header, the encoded body) so that any HTTP client, native or
//! `fetch` in a browser, can send it without knowing anything about OAuth.
//! Requests carry refresh tokens, and responses carry new access tokens,
//! so neither has a `Debug` that could print them.
//!
//! This is the ground floor: the provider registry builds requests from
//! these types and the refresh rules read the responses, so neither needs
//! the other for them.

pub(crate) mod form;

use serde_json::{Map, Value};
use std::fmt;

/// The HTTP method of a request the core asks a host to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`, what every token endpoint takes.
    Post,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An encoded request body. The text holds credentials: send it, never print it.
#[derive(Clone, PartialEq, Eq)]
pub enum RequestBody {
    /// `application/json`.
    Json(String),
    /// `application/x-www-form-urlencoded`.
    Form(String),
}

impl RequestBody {
    /// The `Content-Type` header value matching the body's encoding.
    pub fn content_type(&self) -> &'static str {
        match self {
            RequestBody::Json(_) => "application/json",
            RequestBody::Form(_) => "application/x-www-form-urlencoded",
        }
    }

    /// The bytes to send.
    pub fn as_str(&self) -> &str {
        match self {
            RequestBody::Json(text) | RequestBody::Form(text) => text,
        }
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            RequestBody::Json(_) => "Json",
            RequestBody::Form(_) => "Form",
        };
        write!(f, "{kind}(<redacted, {} bytes>)", self.as_str().len())
    }
}

/// A request to perform exactly as described.
///
/// `headers` is complete: when there is a body it already holds the matching
/// `Content-Type`, so a host adds nothing but what its client always adds
/// (`Host`, `Content-Length`, a default `User-Agent`).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method to send with.
    pub method: Method,
    /// The full URL, already including any override
    /// (`CLAWDBOT_TOKEN_URL_<PROVIDER>`).
    pub url: String,
    /// Every header to send, in order, `Content-Type` included when there is a
    /// body.
    pub headers: Vec<(String, String)>,
    /// The body, if any; it may hold the refresh token, so it is never printed.
    pub body: Option<RequestBody>,
}

impl HttpRequest {
    pub(crate) fn get(url: String) -> Self {
        HttpRequest { method: Method::Get, url, headers: vec![header("Accept", "application/json")], body: None }
    }

    pub(crate) fn post(url: String, body: RequestBody) -> Self {
        let headers = vec![header("Content-Type", body.content_type()), header("Accept", "application/json")];
        HttpRequest { method: Method::Post, url, headers, body: Some(body) }
    }

    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn header(name: &str, value: &str) -> (String, String) {
    (name.to_string(), value.to_string())
}

/// Headers whose value is a credential.
fn is_secret_header(name: &str) -> bool {
    ["authorization", "proxy-authorization", "cookie", "set-cookie"].iter().any(|s| name.eq_ignore_ascii_case(s))
}

/// Headers as `Debug` may show them: credential values replaced.
fn redacted(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers.iter().map(|(n, v)| (n.as_str(), if is_secret_header(n) { "<redacted>" } else { v.as_str() })).collect()
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &redacted(&self.headers))
            .field("body", &self.body)
            .finish()
    }
}

/// What came back from the token endpoint, as the host's client saw it.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers, names as received (compare them
    /// case-insensitively).
    pub headers: Vec<(String, String)>,
    /// The raw body; it may hold new tokens, so it is never printed.
    pub body: Vec<u8>,
    /// Without the `network` feature there is no response at all: a host
    /// with no network (the sandboxed module) answers every request with
    /// a transport failure, and the code that reads a response is left out
    /// of its build.
    #[cfg(not(feature = "network"))]
    never: std::convert::Infallible,
}

impl HttpResponse {
    /// A response as the host received it.
    #[cfg(feature = "network")]
    pub fn new(status: u16, headers: Vec<(String, String)>, body: impl Into<Vec<u8>>) -> Self {
        HttpResponse { status, headers, body: body.into() }
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &redacted(&self.headers))
            .field("body", &format_args!("<redacted, {} bytes>", self.body.len()))
            .finish()
    }
}

/// The ways a host's HTTP call can fail before there is a whole response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailure {
    /// The server did not answer in time.
    Timeout,
    /// No connection could be made (DNS, refused, unreachable).
    Connect,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// Token endpoints do not redirect; a redirect means a proxy, a captive
    /// portal or a wrong override URL, and following it would send the
    /// refresh token elsewhere.
    Redirect,
    /// The body was larger than the request allowed: no endpoint the core
    /// talks to answers that much, so it is not one of them.
    TooLarge,
    /// Any other failure of the host's HTTP client.
    Other,
}

impl TransportFailure {
    /// What happened, in a few words (`timed out`).
    pub(crate) fn describe(self) -> &'static str {
        match self {
            TransportFailure::Timeout => "timed out",
            TransportFailure::Connect => "could not connect",
            TransportFailure::Tls => "TLS failed",
            TransportFailure::Redirect => "was redirected",
            TransportFailure::TooLarge => "answered with too large a body",
            TransportFailure::Other => "failed",
        }
    }
}

/// One request of a batch ([`crate::flow::Effect::SendAll`]) as the host
/// carried it out: its answer or why there is none, and how long it took
/// by the host's clock (the core reads no clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The response, or the way the call failed.
    pub answer: Result<HttpResponse, TransportFailure>,
    /// From sending the request to the end of the answer (or of the
    /// failure), in milliseconds.
    pub latency_ms: u64,
}

/// A JSON answer's text field, trimmed; `None` when absent, not text or blank.
pub(crate) fn body_text<'a>(body: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    body.get(field)?.as_str().map(str::trim).filter(|s| !s.is_empty())
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_body_and_authorization() {
        let req =
            HttpRequest::post("https://x.invalid/token".into(), RequestBody::Form("refresh_token=rt-FAKE-1".into()))
                .with_header("authorization", "Bearer gho_FAKE_2");
        let dbg = format!("{req:?}");
        assert!(!dbg.contains("FAKE"), "{dbg}");
        assert!(dbg.contains("https://x.invalid/token"));
        assert!(dbg.contains("application/x-www-form-urlencoded"));
        assert!(dbg.contains("<redacted, 23 bytes>"));
    }

    #[test]
    fn post_sets_content_type_from_the_body() {
        let req = HttpRequest::post("u".into(), RequestBody::Json("{}".into()));
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.method.as_str(), "POST");
    }

    #[test]
    fn methods_print_their_http_names() {
        assert_eq!(Method::Get.to_string(), "GET");
        assert_eq!(Method::Post.to_string(), "POST");
        assert_eq!(format!("{} {}", Method::Get, Method::Post), "GET POST");
    }

    #[test]
    fn debug_shows_everything_but_credentials_exactly() {
        let req = HttpRequest::get("https://x.invalid/t".into())
            .with_header("Proxy-Authorization", "Basic FAKE")
            .with_header("Cookie", "s=FAKE")
            .with_header("Set-Cookie", "s=FAKE")
            .with_header("X-Plain", "seen");
        assert_eq!(
            format!("{req:?}"),
            "HttpRequest { method: Get, url: \"https://x.invalid/t\", headers: [(\"Accept\", \"application/json\"), \
             (\"Proxy-Authorization\", \"<redacted>\"), (\"Cookie\", \"<redacted>\"), (\"Set-Cookie\", \"<redacted>\"), \
             (\"X-Plain\", \"seen\")], body: None }"
        );
        let res = HttpResponse::new(
            401,
            vec![("set-cookie".into(), "FAKE".into()), ("Retry-After".into(), "5".into())],
            "FAKE-BODY",
        );
        assert_eq!(
            format!("{res:?}"),
            "HttpResponse { status: 401, headers: [(\"set-cookie\", \"<redacted>\"), (\"Retry-After\", \"5\")], \
             body: <redacted, 9 bytes> }"
        );
        assert_eq!(format!("{:?}", RequestBody::Json("{\"a\":1}".into())), "Json(<redacted, 7 bytes>)");
    }

    #[test]
    fn a_header_is_its_first_value() {
        let res = HttpResponse::new(200, vec![("A".into(), "1".into()), ("a".into(), "2".into())], "");
        assert_eq!(res.header("a"), Some("1"));
        assert_eq!(res.header("b"), None);
        let req = HttpRequest::post("u".into(), RequestBody::Form("x=1".into()));
        assert_eq!(req.header("ACCEPT"), Some("application/json"));
        assert_eq!(req.body.as_ref().map(RequestBody::as_str), Some("x=1"));
        assert_eq!(req.method, Method::Post);
    }

    #[test]
    fn response_debug_hides_body_and_headers_are_case_insensitive() {
        let res = HttpResponse::new(200, vec![("Retry-After".into(), "5".into())], "{\"access_token\":\"FAKE\"}");
        assert!(!format!("{res:?}").contains("FAKE"));
        assert_eq!(res.header("retry-after"), Some("5"));
    }
}
