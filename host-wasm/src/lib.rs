//! The auth core for JavaScript.
//!
//! A thin wasm-bindgen layer over [`clawdbot_auth_core::envelope::handle`]:
//! JavaScript passes one JSON request document (file contents, `now`, the
//! environment it chose to expose) and gets one JSON response document back.
//! No rule lives here; the browser panel and Node call exactly the code the
//! CLI runs.

use wasm_bindgen::prelude::*;

// The sandbox module's heap (dlmalloc over memory grown in large steps),
// the one file both modules use: std's allocator grows the memory per
// allocation, and in a browser each grow replaces the memory's
// ArrayBuffer (docs/performance.md, the admin panel).
#[cfg(target_arch = "wasm32")]
#[path = "../sandbox/src/heap.rs"]
mod heap;

/// Handles one envelope request and returns the response JSON. The ops
/// (docs/wasm.md): `view` (everything the panel shows), `status`,
/// `renderText`, `listProfiles`, `doctorPreview` (`clawdbot doctor
/// --non-interactive --json`, run over the request's files), `setOrder` and
/// `moveInOrder` (`clawdbot models auth order set`, answering the store it
/// wrote) and `identify` (which role a dropped file plays). A command's
/// writes come back in the answer; none leaves the module.
///
/// Never throws: malformed requests come back as `{"error": "..."}`.
#[wasm_bindgen]
pub fn handle(request_json: &str) -> String {
    clawdbot_auth_core::envelope::handle(request_json)
}

/// The panel's session over one set of picked files
/// ([`clawdbot_auth_core::envelope::Session`]): opened once per file pick
/// with the page's `view` request, it keeps in this module's memory the
/// files and what the core made of them, so that a page of the profile
/// table is cut from that (no parse, no report) and an order move runs
/// `models auth order set` over the kept files. Every answer is the one
/// the envelope's `view` and `moveInOrder` ops give for the same files.
/// Never throws: errors come back as `{"error": "..."}`.
#[wasm_bindgen]
pub struct Session {
    inner: clawdbot_auth_core::envelope::Session,
}

#[wasm_bindgen]
impl Session {
    /// Opens the files of `request_json`, a `view` request. The files may
    /// instead come beside it: `roles[i]`'s text is `texts[i]` (a large
    /// store is then not escaped into the request and unescaped again;
    /// [`clawdbot_auth_core::envelope::Session::open_with_files`]).
    #[wasm_bindgen(constructor)]
    pub fn new(request_json: &str, roles: Option<Vec<String>>, texts: Option<Vec<String>>) -> Session {
        let inner = match (roles, texts) {
            (None, None) => clawdbot_auth_core::envelope::Session::open(request_json),
            (roles, texts) => clawdbot_auth_core::envelope::Session::open_with_files(
                request_json,
                roles.unwrap_or_default(),
                texts.unwrap_or_default(),
            ),
        };
        Session { inner }
    }

    /// The view asked for (`{"rows", "from", "only", "text", "now"?}`):
    /// `{"locations", "view"}`.
    pub fn view(&mut self, asked_json: &str) -> String {
        self.inner.view(asked_json)
    }

    /// One order move (`{"provider", "profileId", "by", "view"}`):
    /// `{"locations", "view"}`; the session keeps the store it wrote
    /// ([`Session::store_text`]).
    #[wasm_bindgen(js_name = moveInOrder)]
    pub fn move_in_order(&mut self, request_json: &str) -> String {
        self.inner.move_in_order(request_json)
    }

    /// The store file as the session holds it (as the last move wrote
    /// it: the file to download), or `undefined`.
    #[wasm_bindgen(js_name = storeText)]
    pub fn store_text(&self) -> Option<String> {
        self.inner.store_text()
    }
}

/// The core's remaining-time text (`3h`, `2d`, `0m`, `unknown`) for live
/// countdowns, so the panel never re-implements the rounding rule (spec §2.9).
#[wasm_bindgen(js_name = formatRemainingShort)]
pub fn format_remaining_short(ms: f64) -> String {
    clawdbot_auth_core::format_remaining_short(Some(ms))
}

/// An instant (ms since the epoch) as the CLI writes it: ISO 8601, or
/// `never (beyond year 9999)`, so the panel never decides the far future
/// itself.
#[wasm_bindgen(js_name = formatInstant)]
pub fn format_instant(ms: f64) -> String {
    clawdbot_auth_core::Instant::from_ms(ms).shown()
}

/// The version of this package (the workspace version), for display and for
/// checking that the page loaded the module it expects.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delegates_to_the_core_envelope() {
        let request = r#"{"op":"status","now":0,"env":{},"home":{}}"#;
        assert_eq!(handle(request), clawdbot_auth_core::envelope::handle(request));
    }

    #[test]
    fn remaining_text_is_the_cores() {
        assert_eq!(format_remaining_short(5_400_000.0), "2h");
        assert_eq!(format_remaining_short(f64::NAN), "unknown");
        assert_eq!(format_remaining_short(-1.0), "0m");
        assert_eq!(format_instant(1_767_225_600_000.0), "2026-01-01T00:00:00Z");
        assert_eq!(format_instant(1e16), "never (beyond year 9999)");
    }

    #[test]
    fn version_is_the_package_version() {
        assert_eq!(version(), env!("CARGO_PKG_VERSION"));
    }
}
