//! `clawdbot panel`: the admin panel served live from the gateway host, on
//! its loopback interface (issue 28).
//!
//! The server runs the native core: a page's refresh is a
//! [`crate::flow::PanelLook`] the host carries out, made into the view by
//! the envelope's own view builder ([`view`]); a page's write is one of the
//! CLI's command flows ([`verbs`]), carried out by the same interpreter,
//! locks and atomic writes as the CLI. What crosses the loopback is the
//! view (no secret in it), the verbs' answers (the command's lines, a
//! handed-out key never), and once each, the one-time token and a pasted
//! secret going in.
//!
//! Who may ask what is decided here ([`gate`]), from the facts the host
//! read off each request: the host carries the answer out.

pub mod gate;
pub mod verbs;

use crate::envelope::{ViewOptions, view_document};
use crate::flow::Seen;
use crate::paths::Env;
use crate::report::ReportOptions;
use crate::view::{Limits, Only};
use serde_json::Value;

pub use gate::{Asset, Gate, Refusal, Request, Route};
pub use verbs::{Asked, Question, Verb};

/// The mark in `index.html` that says which panel it is: the file-drop page
/// (the default, offline), or the live one this host serves.
const FILES_MODE: &str = r#"<meta name="clawdbot-mode" content="files">"#;
const LIVE_MODE: &str = r#"<meta name="clawdbot-mode" content="live">"#;

/// The page `clawdbot panel` serves: `index.html` marked live, so that its
/// script asks this host for the view instead of loading the WebAssembly
/// core for dropped files.
pub fn live_page(index_html: &str) -> String {
    index_html.replacen(FILES_MODE, LIVE_MODE, 1)
}

/// The view the page asks for (`GET /api/view?rows=200&text=1`), made by
/// the envelope's view builder over what `seen` read: `{"locations",
/// "view", "live": {"version", "readAt"}}` (`readAt`: when the files were
/// read, as the CLI writes an instant). No secret is in it (the view's own
/// rule).
pub fn view(seen: &Seen, env: &Env, agent: Option<&str>, url: &str) -> Result<String, String> {
    let asked = view_options(url);
    let mut doc = view_document(&seen.world, &seen.loaded, env, agent, &asked)?;
    if let Value::Object(fields) = &mut doc {
        let read_at = crate::time::Instant::from_ms(seen.loaded.now as f64).shown();
        fields.insert("live".into(), serde_json::json!({ "version": env!("CARGO_PKG_VERSION"), "readAt": read_at }));
    }
    serde_json::to_string(&doc).map_err(|e| e.to_string())
}

/// The view's options from the request's query: `rows` (a whole number;
/// all rows when absent or not one), `text` (`1`: the CLI's text too),
/// `only` (the profile table's filter, [`Only::parse`]; all when unknown)
/// and `from` (where the profile table's page starts; 0 when not a number).
fn view_options(url: &str) -> ViewOptions {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let mut asked = ViewOptions { report: ReportOptions::default(), limits: Limits::default(), text: false };
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("rows", n)) => asked.limits.rows = n.parse::<usize>().ok(),
            Some(("text", v)) => asked.text = v == "1",
            Some(("from", n)) => asked.limits.from = n.parse::<usize>().unwrap_or(0),
            Some(("only", word)) => asked.limits.only = Only::parse(&word.replace("%20", " ")).unwrap_or_default(),
            _ => {}
        }
    }
    asked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_asks_for_rows_and_text_and_nothing_else() {
        let asked = view_options("/api/view?rows=200&text=1&other=x");
        assert_eq!((asked.limits.rows, asked.text), (Some(200), true));
        let asked = view_options("/api/view");
        assert_eq!((asked.limits.rows, asked.text), (None, false));
        let asked = view_options("/api/view?rows=-3&text=yes&only=nope");
        assert_eq!((asked.limits.rows, asked.text), (None, false), "no guess at what was meant");
        assert_eq!(asked.limits.only, Only::All);
        assert_eq!(view_options("/api/view?rows=200&from=400").limits.from, 400);
        assert_eq!(view_options("/api/view?rows=200&from=x").limits.from, 0);
        assert_eq!(view_options("/api/view?only=expired").limits.only.word(), "expired");
        assert_eq!(view_options("/api/view?only=not%20checked").limits.only.word(), "not checked");
        assert_eq!(view_options("/api/view?only=problems").limits.only, Only::Problems);
    }
}
