//! Who may ask the loopback panel what: the one-time token, the session
//! cookie, and the rules on `Host`, `Origin` and `Content-Type`.
//!
//! A panel on `127.0.0.1` that can write credentials is a target for any
//! web page the operator visits (a cross-site `POST`) and for DNS
//! rebinding (a hostile name that resolves to `127.0.0.1`). It is built as
//! Jupyter's and the gateway's own dashboard are:
//!
//! - the token is 32 random bytes from the host's system source, shown
//!   once in the URL's fragment (which no browser sends to a server or puts
//!   in a `Referer`), good for one exchange within ten minutes, made by the
//!   page into an `HttpOnly; SameSite=Strict` cookie with a same-origin
//!   JSON `POST`;
//! - every request whose `Host` is not `127.0.0.1:PORT`, `localhost:PORT`
//!   or `[::1]:PORT` is refused (403), the static files too: a rebinding
//!   page sends its own name;
//! - every write needs the cookie, `Content-Type: application/json` (no
//!   form or `text/plain` body, which a foreign page can send without a
//!   preflight) and an `Origin` equal to the panel's own;
//! - no answer carries a CORS header, every answer says `no-store` and
//!   `no-referrer`, and the page's Content-Security-Policy comes as a
//!   header too, with `frame-ancestors 'none'` (no other page may frame
//!   the write buttons).
//!
//! The host reads the facts off each request ([`Request`]) and carries out
//! the [`Route`] this module decides.

use crate::defaults::{PANEL_TOKEN_BYTES, PANEL_TOKEN_TTL_MS};
use crate::paths::Env;
use crate::secret::Secret;
use crate::sources::claude::encode_hex;
use crate::time::Millis;

/// The most a request body may hold (a pasted key is at most
/// [`crate::MAX_PASTE_INPUT_BYTES`]); a host reads one byte more and the
/// gate refuses what is longer.
pub const MAX_BODY_BYTES: usize = crate::paste::MAX_PASTE_INPUT_BYTES + 16 * 1024;

/// The page's Content-Security-Policy, as `host-wasm/www/index.html` says it
/// in its `<meta>` (a test holds the two equal): nothing but its own files.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; \
                            style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

/// Every answer's headers, refusals included.
pub const HEADERS: &[(&str, &str)] = &[
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; style-src 'self'; \
         img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
];

/// The facts the host read off one request, before its body.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The request target: path and query.
    pub url: &'a str,
    /// Every header, name and value, as sent.
    pub headers: &'a [(String, String)],
}

impl Request<'_> {
    /// Every value of the header `name` (any case).
    fn all<'b>(&'b self, name: &'b str) -> impl Iterator<Item = &'b str> + 'b {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim())
    }

    /// The one value of `name`; `None` when absent or sent more than once.
    fn one<'b>(&'b self, name: &'b str) -> Option<&'b str> {
        let mut values = self.all(name);
        let first = values.next()?;
        values.next().is_none().then_some(first)
    }

    fn path(&self) -> &str {
        self.url.split_once('?').map_or(self.url, |(path, _)| path)
    }
}

/// One of the page's files, as the binary holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asset {
    /// `index.html`, served as `/` too.
    Page,
    /// `panel.js`.
    Script,
    /// `panel.css`.
    Style,
    /// `favicon.svg`.
    Icon,
}

impl Asset {
    /// Every file, for a host that embeds them.
    pub const ALL: [Asset; 4] = [Asset::Page, Asset::Script, Asset::Style, Asset::Icon];

    /// Its name in `host-wasm/www/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Asset::Page => "index.html",
            Asset::Script => "panel.js",
            Asset::Style => "panel.css",
            Asset::Icon => "favicon.svg",
        }
    }

    /// Its `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Asset::Page => "text/html; charset=utf-8",
            Asset::Script => "text/javascript; charset=utf-8",
            Asset::Style => "text/css; charset=utf-8",
            Asset::Icon => "image/svg+xml",
        }
    }
}

/// What to do with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Serve this file (`GET`).
    Asset(Asset),
    /// Make the view and answer it (`GET /api/view`): a session's.
    View,
    /// Read the body and hand it to [`Gate::exchange`] (`POST /api/session`).
    Exchange,
    /// Read the body and run the verb it asks for (`POST /api/verb`): a
    /// session's.
    Verb,
    /// Answer this refusal, and nothing else.
    Refused(Refusal),
}

/// A refused request: the status and why, for the answer's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// Why, in a sentence (no secret, nothing the request sent).
    pub why: &'static str,
}

impl Refusal {
    const fn new(status: u16, why: &'static str) -> Refusal {
        Refusal { status, why }
    }

    /// The answer's body: `{"error": why}`.
    pub fn body(&self) -> String {
        serde_json::json!({ "error": self.why }).to_string()
    }
}

const WRONG_HOST: Refusal =
    Refusal::new(403, "this panel answers only to 127.0.0.1, localhost and [::1] on its own port");
const NOT_FOUND: Refusal = Refusal::new(404, "no such page");
const WRONG_METHOD: Refusal = Refusal::new(405, "this page does not take that method");
const WRONG_ORIGIN: Refusal = Refusal::new(403, "a write must come from the panel's own page");
const NOT_JSON: Refusal = Refusal::new(415, "a write must be a JSON body (Content-Type: application/json)");
const NO_SESSION: Refusal =
    Refusal::new(403, "not signed in: open the link `clawdbot panel` printed (run it again for a new one)");
const TOO_LARGE: Refusal = Refusal::new(413, "the request is too large");
const BAD_EXCHANGE: Refusal = Refusal::new(400, "the sign-in request must be {\"token\": \"...\"}");
const WRONG_TOKEN: Refusal = Refusal::new(403, "wrong token: open the link `clawdbot panel` printed");
const SPENT_TOKEN: Refusal =
    Refusal::new(403, "this link was used already or is older than 10 minutes: run `clawdbot panel` again");
const NO_RANDOM: Refusal = Refusal::new(500, "the system gave no random bytes for a session");

/// The panel's token, its sessions, and the rules on every request.
pub struct Gate {
    port: u16,
    token: Option<Pending>,
    sessions: Vec<Secret>,
}

/// The token, until it is exchanged or too old.
struct Pending {
    value: Secret,
    issued_at: Millis,
}

impl Gate {
    /// The gate of a panel on `port`, its token made of `random` (at least
    /// [`PANEL_TOKEN_BYTES`] bytes from the host's system source), issued at
    /// `now`. Fewer bytes is no token: the panel does not start.
    pub fn new(port: u16, random: &[u8], now: Millis) -> Result<Gate, String> {
        if random.len() < PANEL_TOKEN_BYTES {
            return Err("the system gave no random bytes for the panel's token".into());
        }
        let value = Secret::new(encode_hex(&random[..PANEL_TOKEN_BYTES]));
        Ok(Gate { port, token: Some(Pending { value, issued_at: now }), sessions: Vec::new() })
    }

    /// The port it answers on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The link to open (`http://127.0.0.1:PORT/#token=T`), while the token
    /// is unused. It is a secret: printed once, never logged or put in argv.
    pub fn link(&self) -> Option<Secret> {
        let token = self.token.as_ref()?;
        Some(Secret::new(format!("http://127.0.0.1:{}/#token={}", self.port, token.value.expose())))
    }

    /// Whether the token can no longer be exchanged (used, or older than
    /// ten minutes at `now`): whatever holds it may go.
    pub fn token_spent(&self, now: Millis) -> bool {
        self.token.as_ref().is_none_or(|t| now.saturating_sub(t.issued_at) >= PANEL_TOKEN_TTL_MS)
    }

    /// The cookie's name: one per port, so two panels do not overwrite each
    /// other's (cookies do not tell ports apart).
    pub fn cookie_name(&self) -> String {
        format!("clawdbot-panel-{}", self.port)
    }

    /// What to do with `request`: the `Host` first, for every path; then
    /// the path and method; then, for the API, the session and, for a
    /// write, the `Origin` and `Content-Type`.
    pub fn route(&self, request: &Request) -> Route {
        let Some(host) = request.one("host").filter(|h| self.is_own_host(h)) else {
            return Route::Refused(WRONG_HOST);
        };
        let (get, post) = (request.method == "GET", request.method == "POST");
        let asset = match request.path() {
            "/" | "/index.html" => Some(Asset::Page),
            "/panel.js" => Some(Asset::Script),
            "/panel.css" => Some(Asset::Style),
            "/favicon.svg" => Some(Asset::Icon),
            _ => None,
        };
        let refused = match (request.path(), asset) {
            (_, Some(asset)) if get => return Route::Asset(asset),
            (_, Some(_)) => WRONG_METHOD,
            ("/api/view", _) if get => match self.has_session(request) {
                true => return Route::View,
                false => NO_SESSION,
            },
            ("/api/session", _) if post => match self.is_write(request, host) {
                Ok(()) => return Route::Exchange,
                Err(refused) => refused,
            },
            ("/api/verb", _) if post => match self.is_write(request, host) {
                Ok(()) if self.has_session(request) => return Route::Verb,
                Ok(()) => NO_SESSION,
                Err(refused) => refused,
            },
            ("/api/view" | "/api/session" | "/api/verb", _) => WRONG_METHOD,
            _ => NOT_FOUND,
        };
        Route::Refused(refused)
    }

    /// The page's `POST /api/session` body, `{"token": "..."}`, at `now`:
    /// a `Set-Cookie` value for a new session (its value made of `random`)
    /// when the token is right, unused and younger than ten minutes. The
    /// token is spent by the exchange: a second one is refused.
    pub fn exchange(&mut self, body: &[u8], random: &[u8], now: Millis) -> Result<String, Refusal> {
        if body.len() > MAX_BODY_BYTES {
            return Err(TOO_LARGE);
        }
        let sent = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("token").and_then(serde_json::Value::as_str).map(Secret::new))
            .ok_or(BAD_EXCHANGE)?;
        if self.token_spent(now) {
            self.token = None;
            return Err(SPENT_TOKEN);
        }
        let right = self.token.as_ref().is_some_and(|t| same(t.value.expose().as_bytes(), sent.expose().as_bytes()));
        if !right {
            return Err(WRONG_TOKEN);
        }
        if random.len() < PANEL_TOKEN_BYTES {
            return Err(NO_RANDOM);
        }
        self.token = None;
        let session = Secret::new(encode_hex(&random[..PANEL_TOKEN_BYTES]));
        let cookie = format!("{}={}; Path=/; HttpOnly; SameSite=Strict", self.cookie_name(), session.expose());
        self.sessions.push(session);
        Ok(cookie)
    }

    /// `Host` is one of the three names of this panel, with its port.
    fn is_own_host(&self, host: &str) -> bool {
        let port = self.port;
        [format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}")]
            .iter()
            .any(|own| own.eq_ignore_ascii_case(host))
    }

    /// A write comes from the panel's own page (`Origin` is `http://` and
    /// the `Host` it was sent to) with a JSON body.
    fn is_write(&self, request: &Request, host: &str) -> Result<(), Refusal> {
        let own = format!("http://{host}");
        if !request.one("origin").is_some_and(|origin| origin.eq_ignore_ascii_case(&own)) {
            return Err(WRONG_ORIGIN);
        }
        let media = request.one("content-type").map(|t| t.split(';').next().unwrap_or_default().trim());
        if !media.is_some_and(|m| m.eq_ignore_ascii_case("application/json")) {
            return Err(NOT_JSON);
        }
        Ok(())
    }

    /// The request carries a session cookie this gate made.
    fn has_session(&self, request: &Request) -> bool {
        let name = self.cookie_name();
        request.all("cookie").flat_map(|header| header.split(';')).any(|pair| match pair.trim().split_once('=') {
            Some((n, value)) if n == name => {
                self.sessions.iter().any(|s| same(s.expose().as_bytes(), value.trim().as_bytes()))
            }
            _ => false,
        })
    }
}

/// Whether `a` and `b` are equal, looking at every byte whatever differs
/// (a token's comparison must not tell how much of it was right).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Whether `clawdbot panel` opens a browser on the link: not with
/// `--no-open`, not over SSH (the browser is on the other end), and only
/// where there is a desktop (a Mac, or an X or Wayland display).
pub fn opens_browser(no_open: bool, env: &Env) -> bool {
    let set = |name: &str| env.get(name).is_some_and(|v| !v.is_empty());
    !no_open && !set("SSH_CONNECTION") && (env.system_keychain || set("DISPLAY") || set("WAYLAND_DISPLAY"))
}

/// The program that opens a file in the desktop's browser.
pub fn opener(env: &Env) -> &'static str {
    if env.system_keychain { "open" } else { "xdg-open" }
}

/// A page that sends its browser on to `link`: the host writes it to a
/// private file and opens that, so that the token is in no program's argv.
pub fn opener_page(link: &Secret) -> Secret {
    let url = link.expose();
    Secret::new(format!(
        "<!doctype html>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"refresh\" content=\"0;url={url}\">\n\
         <title>Clawdbot panel</title>\n<p><a href=\"{url}\">Open the Clawdbot panel</a></p>\n"
    ))
}

/// What `clawdbot panel` says when it listens: where, the link, and the
/// `ssh -L` line a laptop needs. `listening` are the addresses it bound;
/// `hostname` is this host's name when known.
pub fn banner(gate: &Gate, agent: &str, listening: &[String], hostname: Option<&str>) -> Vec<String> {
    let port = gate.port();
    let link = gate.link().map(|l| l.expose().to_string()).unwrap_or_default();
    let host = hostname.filter(|h| !h.is_empty()).unwrap_or("<this host>");
    vec![
        format!("Admin panel for agent {agent}, on {} (this host only).", listening.join(" and ")),
        "Open this link within 10 minutes; it signs one browser in and then stops working:".into(),
        format!("  {link}"),
        "From another machine, forward the port over SSH first, then open the link there:".into(),
        format!("  ssh -N -L {port}:127.0.0.1:{port} {}", crate::escape::escape_control(host)),
        "Press Ctrl-C to stop the panel.".into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_767_225_600_000;
    const PORT: u16 = 18790;

    fn gate() -> Gate {
        Gate::new(PORT, &[7u8; 32], NOW).unwrap()
    }

    fn token(gate: &Gate) -> String {
        gate.link().unwrap().expose().rsplit_once("#token=").unwrap().1.to_string()
    }

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    fn route(gate: &Gate, method: &str, url: &str, pairs: &[(&str, &str)]) -> Route {
        let headers = headers(pairs);
        gate.route(&Request { method, url, headers: &headers })
    }

    fn refused(route: Route) -> u16 {
        match route {
            Route::Refused(r) => r.status,
            other => panic!("not refused: {other:?}"),
        }
    }

    const HOST: (&str, &str) = ("Host", "127.0.0.1:18790");
    const ORIGIN: (&str, &str) = ("Origin", "http://127.0.0.1:18790");
    const JSON: (&str, &str) = ("Content-Type", "application/json");

    /// A signed-in gate and its cookie header.
    fn signed_in() -> (Gate, String) {
        let mut gate = gate();
        let body = format!(r#"{{"token":"{}"}}"#, token(&gate));
        let set = gate.exchange(body.as_bytes(), &[9u8; 32], NOW + 1).unwrap();
        let pair = set.split(';').next().unwrap().to_string();
        (gate, pair)
    }

    #[test]
    fn the_token_is_64_hex_characters_of_the_random_bytes_and_in_the_fragment() {
        let gate = Gate::new(PORT, &(0u8..40).collect::<Vec<_>>(), NOW).unwrap();
        let link = gate.link().unwrap();
        assert_eq!(
            link.expose(),
            "http://127.0.0.1:18790/#token=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        );
        assert!(Gate::new(PORT, &[1u8; 31], NOW).is_err(), "too few random bytes: no panel");
    }

    #[test]
    fn every_path_needs_one_of_the_three_own_hosts() {
        let gate = gate();
        for host in ["127.0.0.1:18790", "localhost:18790", "[::1]:18790", "LOCALHOST:18790"] {
            assert_eq!(route(&gate, "GET", "/", &[("Host", host)]), Route::Asset(Asset::Page), "{host}");
        }
        for host in ["evil.example:18790", "127.0.0.1", "127.0.0.1:80", "localhost:18791", "127.0.0.1:18790.evil"] {
            assert_eq!(refused(route(&gate, "GET", "/", &[("Host", host)])), 403, "{host}");
            assert_eq!(refused(route(&gate, "GET", "/panel.js", &[("Host", host)])), 403, "{host}: static too");
        }
        assert_eq!(refused(route(&gate, "GET", "/", &[])), 403, "no Host");
        assert_eq!(refused(route(&gate, "GET", "/", &[HOST, ("host", "evil.example:18790")])), 403, "two");
    }

    #[test]
    fn the_page_files_and_nothing_else() {
        let gate = gate();
        let get = |url: &str| route(&gate, "GET", url, &[HOST]);
        assert_eq!(get("/index.html"), Route::Asset(Asset::Page));
        assert_eq!(get("/?x=1"), Route::Asset(Asset::Page));
        assert_eq!(get("/panel.css"), Route::Asset(Asset::Style));
        assert_eq!(get("/favicon.svg"), Route::Asset(Asset::Icon));
        assert_eq!(refused(get("/../clawdbot.json")), 404);
        assert_eq!(refused(get("/offline/wasm-bytes.js")), 404);
        assert_eq!(refused(route(&gate, "POST", "/", &[HOST])), 405);
        assert_eq!(refused(route(&gate, "DELETE", "/api/verb", &[HOST])), 405);
    }

    #[test]
    fn the_view_needs_the_session_cookie() {
        let (gate, cookie) = signed_in();
        assert_eq!(refused(route(&gate, "GET", "/api/view", &[HOST])), 403);
        assert_eq!(route(&gate, "GET", "/api/view?rows=1", &[HOST, ("Cookie", &cookie)]), Route::View);
        let among = format!("a=b; {cookie}; c=d");
        assert_eq!(route(&gate, "GET", "/api/view", &[HOST, ("Cookie", &among)]), Route::View);
        let wrong = cookie.replace("=09", "=0a");
        assert_eq!(refused(route(&gate, "GET", "/api/view", &[HOST, ("Cookie", &wrong)])), 403);
        let other_port = cookie.replace("18790", "18791");
        assert_eq!(refused(route(&gate, "GET", "/api/view", &[HOST, ("Cookie", &other_port)])), 403);
    }

    #[test]
    fn a_write_needs_the_cookie_json_and_the_panels_own_origin() {
        let (gate, cookie) = signed_in();
        let cookie = ("Cookie", cookie.as_str());
        assert_eq!(route(&gate, "POST", "/api/verb", &[HOST, ORIGIN, JSON, cookie]), Route::Verb);
        let charset = ("content-type", "Application/JSON; charset=utf-8");
        assert_eq!(route(&gate, "POST", "/api/verb", &[HOST, ORIGIN, charset, cookie]), Route::Verb);
        assert_eq!(refused(route(&gate, "POST", "/api/verb", &[HOST, ORIGIN, JSON])), 403, "no cookie");
        assert_eq!(refused(route(&gate, "POST", "/api/verb", &[HOST, JSON, cookie])), 403, "no Origin");
        for origin in ["http://evil.example", "null", "http://localhost:18790", "https://127.0.0.1:18790"] {
            let origin = ("Origin", origin);
            assert_eq!(refused(route(&gate, "POST", "/api/verb", &[HOST, origin, JSON, cookie])), 403, "{origin:?}");
        }
        for form in ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"] {
            let form = ("Content-Type", form);
            assert_eq!(refused(route(&gate, "POST", "/api/verb", &[HOST, ORIGIN, form, cookie])), 415, "{form:?}");
        }
        assert_eq!(refused(route(&gate, "POST", "/api/verb", &[HOST, ORIGIN, cookie])), 415, "no Content-Type");
        let (localhost, its_origin) = (("Host", "localhost:18790"), ("Origin", "http://localhost:18790"));
        assert_eq!(route(&gate, "POST", "/api/verb", &[localhost, its_origin, JSON, cookie]), Route::Verb);
    }

    #[test]
    fn the_token_is_exchanged_once_for_an_http_only_strict_cookie() {
        let mut gate = gate();
        assert_eq!(route(&gate, "POST", "/api/session", &[HOST, ORIGIN, JSON]), Route::Exchange);
        assert_eq!(refused(route(&gate, "POST", "/api/session", &[HOST, JSON])), 403, "cross-origin sign-in");
        let body = format!(r#"{{"token":"{}"}}"#, token(&gate));
        assert_eq!(gate.exchange(br#"{"token":"nope"}"#, &[9u8; 32], NOW).unwrap_err(), WRONG_TOKEN);
        assert_eq!(gate.exchange(b"token=x", &[9u8; 32], NOW).unwrap_err(), BAD_EXCHANGE);
        let cookie = gate.exchange(body.as_bytes(), &[9u8; 32], NOW).unwrap();
        assert_eq!(cookie, format!("clawdbot-panel-18790={}; Path=/; HttpOnly; SameSite=Strict", "09".repeat(32)));
        assert!(gate.link().is_none() && gate.token_spent(NOW), "spent");
        assert_eq!(gate.exchange(body.as_bytes(), &[8u8; 32], NOW).unwrap_err(), SPENT_TOKEN, "single use");
    }

    #[test]
    fn the_token_is_good_for_ten_minutes() {
        let mut gate = gate();
        let body = format!(r#"{{"token":"{}"}}"#, token(&gate));
        assert!(!gate.token_spent(NOW + PANEL_TOKEN_TTL_MS - 1));
        assert!(gate.token_spent(NOW + PANEL_TOKEN_TTL_MS));
        assert_eq!(gate.exchange(body.as_bytes(), &[9u8; 32], NOW + PANEL_TOKEN_TTL_MS).unwrap_err(), SPENT_TOKEN);
        assert!(gate.link().is_none(), "an expired token is forgotten");
        let mut young = self::gate();
        let body = format!(r#"{{"token":"{}"}}"#, token(&young));
        assert!(young.exchange(body.as_bytes(), &[9u8; 32], NOW + PANEL_TOKEN_TTL_MS - 1).is_ok());
    }

    #[test]
    fn a_session_needs_random_bytes_and_a_body_has_a_limit() {
        let mut gate = gate();
        let body = format!(r#"{{"token":"{}"}}"#, token(&gate));
        assert_eq!(gate.exchange(body.as_bytes(), &[], NOW).unwrap_err(), NO_RANDOM);
        assert!(gate.link().is_some(), "the token is not spent by a failure of ours");
        assert_eq!(gate.exchange(&vec![b' '; MAX_BODY_BYTES + 1], &[9u8; 32], NOW).unwrap_err(), TOO_LARGE);
    }

    #[test]
    fn the_headers_forbid_caching_referrers_framing_and_say_no_cors() {
        let names: Vec<&str> = HEADERS.iter().map(|(n, _)| *n).collect();
        assert!(names.iter().all(|n| !n.to_ascii_lowercase().starts_with("access-control")));
        let csp = HEADERS[0].1;
        assert!(csp.starts_with(PAGE_CSP) && csp.ends_with("; frame-ancestors 'none'"), "{csp}");
        assert!(
            HEADERS.contains(&("Cache-Control", "no-store")) && HEADERS.contains(&("Referrer-Policy", "no-referrer"))
        );
    }

    #[test]
    fn the_banner_gives_the_link_and_the_ssh_line() {
        let gate = gate();
        let lines = banner(&gate, "main", &["127.0.0.1:18790".into(), "[::1]:18790".into()], Some("gw1"));
        assert!(lines[2].starts_with("  http://127.0.0.1:18790/#token="), "{lines:?}");
        assert_eq!(lines[4], "  ssh -N -L 18790:127.0.0.1:18790 gw1");
        let unnamed = banner(&gate, "main", &[], None);
        assert_eq!(unnamed[4], "  ssh -N -L 18790:127.0.0.1:18790 <this host>");
    }

    #[test]
    fn a_browser_is_opened_only_on_a_desktop_and_never_over_ssh() {
        let desk = Env::new("/h").with_var("DISPLAY", ":0");
        assert!(opens_browser(false, &desk));
        assert!(!opens_browser(true, &desk), "--no-open");
        assert!(!opens_browser(false, &desk.clone().with_var("SSH_CONNECTION", "10.0.0.1 5 10.0.0.2 22")));
        assert!(!opens_browser(false, &Env::new("/h")), "headless");
        let page = opener_page(&gate().link().unwrap());
        assert!(page.expose().contains("http-equiv=\"refresh\" content=\"0;url=http://127.0.0.1:18790/#token="));
    }
}
