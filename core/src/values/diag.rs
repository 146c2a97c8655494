//! What went wrong with an input, said so that an operator can fix it.
//!
//! Every problem names the file it was found in and, where there is one, the
//! JSON path of the field ("profiles.anthropic:x.expires"). Messages never
//! contain credential values: they describe shapes, not contents.

use std::fmt;

/// How much a problem matters to `models status --check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing is lost.
    Info,
    /// Part of a file was ignored.
    Warning,
    /// A file Clawdbot owns cannot be used: a human must act (`--check` 1).
    Error,
}

impl Severity {
    /// The word a terminal puts before a message of this severity.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        }
    }
}

/// One problem with an input, and what the operator can do about it.
///
/// The remedies travel with the problem (as a compiler's diagnostics carry
/// their hints), so that every output, stderr, `--json` and the panel,
/// shows the same advice and no host writes its own.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// How bad it is: an error needs a human, a warning lost part of the file.
    pub severity: Severity,
    /// The file, as the host displays paths.
    pub file: String,
    /// JSON path of the field, when the problem is in one field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong, in one sentence without the file name.
    pub message: String,
    /// What the operator can do about it, most useful first; empty when
    /// there is nothing to do.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic about the whole of `file`, without hints.
    pub fn new(severity: Severity, file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic { severity, file: file.into(), field: None, message: message.into(), hints: Vec::new() }
    }

    /// The same problem, with one more remedy to show after it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// The same diagnostic, blamed on the JSON path `field`.
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The same diagnostic with every text from a file escaped, for a
    /// medium that shows it as it is (the panel's view).
    pub fn escaped(&self) -> Self {
        let safe = |text: &str| crate::escape::escape_control(text).into_owned();
        Diagnostic {
            severity: self.severity,
            file: safe(&self.file),
            field: self.field.as_deref().map(safe),
            message: safe(&self.message),
            hints: self.hints.iter().map(|h| safe(h)).collect(),
        }
    }
}

/// Diagnostics as `models status --json` has always written them:
/// `{severity, path, message, hints}`, the field (when one is to blame)
/// leading the message and `hints` always present. The same data as
/// [`Diagnostic`]'s own form, which the panel's view uses, in the
/// reference schema's names.
pub fn ser_status_json<S: serde::Serializer>(list: &[Diagnostic], s: S) -> Result<S::Ok, S::Error> {
    #[derive(serde::Serialize)]
    struct Shown<'a> {
        severity: Severity,
        path: &'a str,
        message: String,
        hints: &'a [String],
    }
    s.collect_seq(list.iter().map(|d| Shown {
        severity: d.severity,
        path: &d.file,
        message: match &d.field {
            Some(field) => format!("{field}: {}", d.message),
            None => d.message.clone(),
        },
        hints: &d.hints,
    }))
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: {}: {}", self.file, field, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Why a whole file could not be read as what it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file has no content at all.
    #[error("the file is empty")]
    Empty,
    /// The file's bytes are not UTF-8.
    #[error("not valid UTF-8 (at byte {offset})")]
    NotUtf8 {
        /// Where the first invalid byte is.
        offset: usize,
    },
    /// The text is not JSON (or JSON5, for the config).
    #[error("not valid JSON at line {line}, column {column}: {reason}")]
    Syntax {
        /// The line of the error, from 1.
        line: usize,
        /// The column of the error, from 1.
        column: usize,
        /// The parser's explanation.
        reason: String,
    },
    /// A value has the wrong JSON type.
    #[error("{field} is {found}, expected {expected}")]
    Shape {
        /// The JSON path of the value (`profiles.x.type`).
        field: String,
        /// What it is, as [`kind_of`] names it.
        found: &'static str,
        /// What it should be, in words.
        expected: &'static str,
    },
    /// Any other reason, in words.
    #[error("{0}")]
    Other(String),
}

impl ReadError {
    /// This error as a diagnostic about `file`, a shape error blamed on its
    /// field.
    pub fn in_file(&self, file: &str, severity: Severity) -> Diagnostic {
        let field = match self {
            ReadError::Shape { field, .. } => Some(field.clone()),
            _ => None,
        };
        let message = match self {
            ReadError::Shape { found, expected, .. } => format!("is {found}, expected {expected}"),
            other => other.to_string(),
        };
        Diagnostic { severity, file: file.to_string(), field, message, hints: Vec::new() }
    }
}

/// The JSON type name of a value, for messages ("is a string, expected ...").
pub fn kind_of(value: &serde_json::Value) -> &'static str {
    use serde_json::Value::*;
    match value {
        Null => "null",
        Bool(_) => "a boolean",
        Number(_) => "a number",
        String(_) => "a string",
        Array(_) => "an array",
        Object(_) => "an object",
    }
}

/// Decodes file bytes as UTF-8 text, dropping a byte-order mark.
pub fn text_of(bytes: &[u8]) -> Result<&str, ReadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 { offset: e.valid_up_to() })?;
    if text.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    Ok(text)
}

/// Parses strict JSON text, mapping serde's error to a line and column.
pub fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, ReadError> {
    let text = text_of(bytes)?;
    serde_json::from_str(text).map_err(|e| syntax_error(&e))
}

/// serde_json's error as a [`ReadError::Syntax`] with its line and column.
pub fn syntax_error(e: &serde_json::Error) -> ReadError {
    ReadError::Syntax { line: e.line(), column: e.column(), reason: syntax_reason(e) }
}

/// serde_json's message without its " at line L column C" tail, which the
/// caller reports in its own words.
fn syntax_reason(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = parse_json(b"{\n  \"a\": \n").unwrap_err();
        match err {
            ReadError::Syntax { line, .. } => assert_eq!(line, 3),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn bom_is_dropped_and_blank_is_empty() {
        assert!(parse_json(b"\xEF\xBB\xBF{}").is_ok());
        assert_eq!(parse_json(b"  \n\t").unwrap_err(), ReadError::Empty);
        assert_eq!(parse_json(b"").unwrap_err(), ReadError::Empty);
        assert!(matches!(parse_json(b"{\"a\xff\":1}"), Err(ReadError::NotUtf8 { offset: 3 })));
    }

    #[test]
    fn a_shape_error_names_its_field_apart_from_the_message() {
        let e = ReadError::Shape { field: "profiles.a:b.expires".into(), found: "a string", expected: "a number" };
        let d = e.in_file("auth-profiles.json", Severity::Warning);
        assert_eq!(d.field.as_deref(), Some("profiles.a:b.expires"));
        assert_eq!(d.message, "is a string, expected a number");
        assert_eq!(d.to_string(), "auth-profiles.json: profiles.a:b.expires: is a string, expected a number");
        let d = ReadError::Empty.in_file("f", Severity::Error);
        assert_eq!(d, Diagnostic::new(Severity::Error, "f", "the file is empty"));
        assert_eq!(d.to_string(), "f: the file is empty");
    }

    #[test]
    fn a_syntax_error_keeps_serde_s_reason_without_its_position() {
        let err = parse_json(b"{\"a\": tru}").unwrap_err();
        assert_eq!(err, ReadError::Syntax { line: 1, column: 10, reason: "expected ident".into() });
        assert_eq!(err.to_string(), "not valid JSON at line 1, column 10: expected ident");
    }

    #[test]
    fn hints_fields_and_kinds_read_as_written() {
        let d = Diagnostic::new(Severity::Info, "f", "m").at("x.y").with_hint("do this");
        assert_eq!(d.field.as_deref(), Some("x.y"));
        assert_eq!(d.hints, ["do this"]);
        assert_eq!(d.to_string(), "f: x.y: m");
        let json = serde_json::to_value(Diagnostic::new(Severity::Warning, "f", "m")).unwrap();
        assert!(json.get("hints").is_none(), "no remedy, no key: {json}");
        let kinds: Vec<_> = [
            serde_json::json!(null),
            serde_json::json!(true),
            serde_json::json!(1),
            serde_json::json!("s"),
            serde_json::json!([]),
            serde_json::json!({}),
        ]
        .iter()
        .map(kind_of)
        .collect();
        assert_eq!(kinds, ["null", "a boolean", "a number", "a string", "an array", "an object"]);
        assert_eq!(text_of(b" {} "), Ok(" {} "));
        assert_eq!(parse_json(b"[1]"), Ok(serde_json::json!([1])));
    }

    #[test]
    fn one_diagnostic_two_documents_each_with_its_own_names() {
        let d = Diagnostic::new(Severity::Error, "~/a.json", "is \u{1b}bad").at("profiles.x").with_hint("Fix it.");
        let plain = Diagnostic::new(Severity::Warning, "~/.env", "line 2 is odd");
        // The panel's view: the diagnostic itself, escaped.
        assert_eq!(
            serde_json::to_value([d.escaped(), plain.escaped()]).unwrap(),
            serde_json::json!([
                {"severity": "error", "file": "~/a.json", "field": "profiles.x", "message": "is \\u{1b}bad", "hints": ["Fix it."]},
                {"severity": "warning", "file": "~/.env", "message": "line 2 is odd"}
            ])
        );
        // `models status --json`: the reference schema's names, the field
        // leading the message, `hints` always there.
        let mut out = Vec::new();
        ser_status_json(&[d, plain], &mut serde_json::Serializer::new(&mut out)).unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&out).unwrap(),
            serde_json::json!([
                {"severity": "error", "path": "~/a.json", "message": "profiles.x: is \u{1b}bad", "hints": ["Fix it."]},
                {"severity": "warning", "path": "~/.env", "message": "line 2 is odd", "hints": []}
            ])
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(matches!(parse_json(deep.as_bytes()), Err(ReadError::Syntax { .. })));
    }
}
