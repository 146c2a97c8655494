//! One JSON request/response over the whole core, for every non-native host
//! (the browser, the sandboxed module, tests).

/// Handles one request document and returns the response document.
pub fn handle(request: &str) -> String {
    let _ = request;
    r#"{"error":"envelope: not implemented yet"}"#.to_string()
}
