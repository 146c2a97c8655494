//! Text from files, made safe to print on a terminal.
//!
//! Profile ids, e-mails and provider names come from files anyone may have
//! edited. Printed raw, an ANSI escape in one could rewrite the operator's
//! screen or hide a line. Every text the reports show passes through here.

use std::borrow::Cow;
use std::fmt::Write;

/// Control characters (C0, DEL, C1) and the bidi controls that reorder text.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Replaces control and bidi-override characters with `\u{..}` escapes.
pub fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A writer for JSON text that rewrites the characters serde_json leaves raw
/// but a terminal would act on (DEL, C1 controls, bidi overrides) as `\uXXXX`
/// escapes. In JSON these can only occur inside strings, where the escape
/// means the same character, so the document stays valid and equal.
pub struct TerminalSafeJson<W> {
    inner: W,
    /// The start of a UTF-8 sequence split across two writes.
    pending: Vec<u8>,
}

impl<W: std::io::Write> TerminalSafeJson<W> {
    pub fn new(inner: W) -> Self {
        TerminalSafeJson { inner, pending: Vec::new() }
    }

    /// What was written, once done.
    pub fn into_inner(self) -> W {
        self.inner
    }

    fn emit(&mut self, text: &str) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in text.char_indices() {
            // serde escapes C0 itself; the layout's own newlines stay.
            if c == '\u{7f}' || (!c.is_ascii() && needs_escape(c)) {
                self.inner.write_all(&text.as_bytes()[start..i])?;
                write!(self.inner, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        self.inner.write_all(&text.as_bytes()[start..])
    }
}

impl<W: std::io::Write> std::io::Write for TerminalSafeJson<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(buf);
        let valid = match std::str::from_utf8(&bytes) {
            Ok(_) => bytes.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "JSON output is not UTF-8")),
        };
        let text = std::str::from_utf8(&bytes[..valid]).map_err(|_| std::io::ErrorKind::InvalidData)?;
        self.emit(text)?;
        self.pending = bytes[valid..].to_vec();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A value as pretty JSON text that is safe to print (see
/// [`TerminalSafeJson`]): what a flow hands the host as one line.
pub fn terminal_safe_json(value: &impl serde::Serialize) -> String {
    let mut out = TerminalSafeJson::new(Vec::new());
    if serde_json::to_writer_pretty(&mut out, value).is_err() {
        return "null".into();
    }
    String::from_utf8(out.into_inner()).unwrap_or_else(|_| "null".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_ansi_and_newlines_but_not_plain_text() {
        assert_eq!(escape_control("anthropic:me@example.com"), "anthropic:me@example.com");
        assert_eq!(escape_control("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\\u{a}c");
        assert_eq!(escape_control("x\u{202e}y"), "x\\u{202e}y");
    }

    #[test]
    fn json_output_escapes_what_serde_leaves_raw_even_split_across_writes() {
        use std::io::Write;
        let doc = serde_json::json!({"id": "a\u{7f}b\u{9b}31m\u{202e}c\u{1b}d é"});
        let text = serde_json::to_string(&doc).unwrap();
        let mut out = TerminalSafeJson::new(Vec::new());
        for chunk in text.as_bytes().chunks(1) {
            out.write_all(chunk).unwrap();
        }
        let safe = String::from_utf8(out.inner).unwrap();
        assert!(!safe.chars().any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)), "{safe:?}");
        assert!(safe.contains("\\u007f") && safe.contains("\\u009b") && safe.contains("\\u202e") && safe.contains('é'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, doc, "the same document");
    }
}
