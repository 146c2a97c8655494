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
    // Printable ASCII (nearly every id and line) holds nothing to escape:
    // checked a byte at a time, without decoding characters.
    if printable_ascii(s.as_bytes()) || !s.chars().any(needs_escape) {
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

/// Whether every byte is printable ASCII (0x20..=0x7E), eight bytes at a
/// time: a report's lines are long and nearly all are plain.
fn printable_ascii(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut eight = [0; 8];
        eight.copy_from_slice(word);
        let w = u64::from_ne_bytes(eight);
        // A byte below 0x20 borrows into its high bit; one above 0x7E
        // carries into it (or had it set already). Neither crosses into
        // a byte without reason: a false alarm needs a true one.
        let below = w.wrapping_sub(ONES * 0x20) & !w;
        let above = w.wrapping_add(ONES) | w;
        if (below | above) & HIGH != 0 {
            return false;
        }
    }
    words.remainder().iter().all(|b| matches!(b, 0x20..=0x7e))
}

/// [`escape_control`] of a text made for the purpose: the same text back
/// when nothing needs escaping (no copy).
pub fn escape_owned(s: String) -> String {
    match escape_control(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(escaped) => escaped,
    }
}

/// serde_json's pretty layout, writing the characters serde leaves raw but a
/// terminal would act on (DEL, C1 controls, bidi controls) as `\uXXXX`
/// escapes. In JSON they can only occur inside strings, where the escape
/// means the same character, so the document stays valid and equal.
///
/// A 100 000-profile `--json` is ~90 MB, so this is on the hot path: a
/// string fragment of plain ASCII (nearly all of them) is copied whole after
/// one word-at-a-time check; any other is scanned for the three lead bytes
/// such a character can start with, copying the safe runs whole; and each
/// line's break and indent is one write (serde's `PrettyFormatter` writes
/// the indent two spaces at a time), with the same bytes as serde's.
#[derive(Debug, Default)]
pub struct TerminalSafeFormatter {
    /// How deep the writer is in arrays and objects.
    depth: usize,
    /// Whether the array or object being written holds a value yet.
    has_value: bool,
}

impl TerminalSafeFormatter {
    /// A formatter with serde_json's pretty layout (two-space indent).
    pub fn new() -> Self {
        TerminalSafeFormatter::default()
    }

    /// A line break and the indent of the current depth.
    fn newline<W: ?Sized + std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        match COMMA_BREAK_AND_INDENT.get(1..2 + 2 * self.depth) {
            Some(line) => out.write_all(line),
            None => {
                out.write_all(b"\n")?;
                (0..self.depth).try_for_each(|_| out.write_all(b"  "))
            }
        }
    }

    /// The comma before every value but the first, then [`Self::newline`]:
    /// one write (a line of JSON is a handful of small writes).
    fn next_line<W: ?Sized + std::io::Write>(&self, out: &mut W, first: bool) -> std::io::Result<()> {
        match (first, COMMA_BREAK_AND_INDENT.get(..2 + 2 * self.depth)) {
            (false, Some(line)) => out.write_all(line),
            (false, None) => {
                out.write_all(b",")?;
                self.newline(out)
            }
            (true, _) => self.newline(out),
        }
    }
}

/// A comma, a line break and the indent of up to 32 levels, two spaces
/// each.
const COMMA_BREAK_AND_INDENT: &[u8; 66] = b",\n                                                                ";

/// Whether a character that needs escaping can start with `byte`: DEL is
/// 0x7F; C1 (U+0080..=U+009F) is 0xC2 0x80..=0x9F; every bidi control
/// (U+200E, U+200F, U+202A..=U+202E, U+2066..=U+2069) starts with 0xE2.
/// Both 0xC2 and 0xE2 are lead bytes, so a match is a character boundary.
fn may_start_escape(byte: u8) -> bool {
    matches!(byte, 0x7f | 0xc2 | 0xe2)
}

impl serde_json::ser::Formatter for TerminalSafeFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let bytes = fragment.as_bytes();
        // Printable ASCII holds nothing to escape: one pass, eight bytes at
        // a time (serde hands over the runs between the characters it
        // escapes itself, so nothing below 0x20 is ever in a fragment).
        if printable_ascii(bytes) {
            return out.write_all(bytes);
        }
        let mut start = 0;
        // Only the bytes that may start an escaped character are looked at
        // closer; an iterator, not an index stepped by hand, so no step can
        // stall the loop.
        for (i, _) in bytes.iter().enumerate().filter(|&(_, &b)| may_start_escape(b)) {
            let Some(c) = fragment.get(i..).and_then(|rest| rest.chars().next()) else { continue };
            if needs_escape(c) {
                out.write_all(&bytes[start..i])?;
                write!(out, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        out.write_all(&bytes[start..])
    }

    // The layout is serde_json's `PrettyFormatter`'s, byte for byte.
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        if self.has_value {
            self.newline(out)?;
        }
        out.write_all(b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, out: &mut W, first: bool) -> std::io::Result<()> {
        self.next_line(out, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _out: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        if self.has_value {
            self.newline(out)?;
        }
        out.write_all(b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, out: &mut W, first: bool) -> std::io::Result<()> {
        self.next_line(out, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        out.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _out: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `value` as pretty JSON through `TerminalSafeFormatter`, without the
/// final newline: for a flow's printed line.
pub fn terminal_safe_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::new();
    // Writing to a Vec fails only for a value serde cannot represent.
    if stream_terminal_safe_json(&mut out, value).is_err() {
        return "null".into();
    }
    // The formatter writes only whole UTF-8 characters and ASCII escapes.
    String::from_utf8(out).unwrap_or_else(|_| "null".into())
}

/// Writes `value` into `out` as [`terminal_safe_json`] makes it (pretty,
/// terminal-safe, no final newline), piece by piece as serde produces it.
/// Give it a buffered writer: serde writes many small pieces.
pub fn stream_terminal_safe_json<W: std::io::Write, T: serde::Serialize + ?Sized>(
    out: W,
    value: &T,
) -> std::io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(out, TerminalSafeFormatter::new());
    value.serialize(&mut serializer).map_err(std::io::Error::other)
}

/// Writes `value` as pretty JSON through [`TerminalSafeFormatter`], then a
/// newline. Give it a buffered writer: serde writes many small pieces.
pub fn write_terminal_safe_json<W: std::io::Write, T: serde::Serialize + ?Sized>(
    mut out: W,
    value: &T,
) -> std::io::Result<()> {
    stream_terminal_safe_json(&mut out, value)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The eight-at-a-time check says what a byte-by-byte one says, for
    /// every byte value at every place in a word and in the tail.
    #[test]
    fn printable_ascii_by_words_is_printable_ascii_by_bytes() {
        for len in [0, 1, 7, 8, 9, 16, 23] {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut text = vec![b'a'; len];
                    text[at] = b;
                    assert_eq!(printable_ascii(&text), (0x20..=0x7e).contains(&b), "{b:#x} at {at} of {len}");
                }
            }
        }
        assert!(printable_ascii(b"") && printable_ascii(b" ~ ~ ~ ~ ~ ~ ~ ~ ~"));
    }

    #[test]
    fn escapes_ansi_and_newlines_but_not_plain_text() {
        assert_eq!(escape_control("anthropic:me@example.com"), "anthropic:me@example.com");
        assert_eq!(escape_control("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\\u{a}c");
        assert_eq!(escape_control("x\u{202e}y"), "x\\u{202e}y");
    }

    #[test]
    fn json_output_escapes_what_serde_leaves_raw() {
        let doc =
            serde_json::json!({"id": "a\u{7f}b\u{9b}31m\u{202e}c\u{1b}d é\u{2066}\u{85}", "n": [1, {"k": "\u{200f}"}]});
        let mut out = Vec::new();
        write_terminal_safe_json(&mut out, &doc).unwrap();
        let safe = String::from_utf8(out).unwrap();
        assert!(!safe.chars().any(|c| needs_escape(c) && c != '\n'), "{safe:?}");
        for escape in ["\\u007f", "\\u009b", "\\u202e", "\\u001b", "\\u2066", "\\u0085", "\\u200f"] {
            assert!(safe.contains(escape), "{escape} in {safe}");
        }
        assert!(safe.contains('é') && safe.ends_with("}\n"));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, doc, "the same document");
    }

    #[test]
    fn json_output_is_serdes_pretty_layout_when_nothing_needs_escaping() {
        // Other characters with the lead bytes 0xC2 and 0xE2 stay as they are.
        let doc = serde_json::json!({"a": ["x", 1, null, {"b": "é ° € \u{2028} ‐"}], "c": {}, "d": []});
        let mut out = Vec::new();
        write_terminal_safe_json(&mut out, &doc).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string_pretty(&doc).unwrap() + "\n");
    }

    #[test]
    fn the_layout_is_serdes_at_every_depth_and_with_empty_containers() {
        // Deeper than the one-write indent (32 levels), with empty arrays
        // and objects at each level and values after nested ones.
        let mut doc = serde_json::json!({"leaf": [1, {}, [], "x\u{7f}"]});
        for depth in 0..40 {
            doc = match depth % 2 {
                0 => serde_json::json!([doc, {}, [], depth]),
                _ => serde_json::json!({"a": {}, "b": doc, "c": [], "d": "é"}),
            };
        }
        let ours = terminal_safe_json(&doc);
        let serdes = serde_json::to_string_pretty(&doc).unwrap().replace('\u{7f}', "\\u007f");
        assert_eq!(ours, serdes);
    }

    #[test]
    fn an_array_of_plain_values_closes_on_its_own_line() {
        // The last value of the array is no object, so only the array's own
        // end-of-value bookkeeping puts its `]` on a new line.
        let doc = serde_json::json!({"d": [1, "x"], "e": [[true]]});
        assert_eq!(
            terminal_safe_json(&doc),
            "{\n  \"d\": [\n    1,\n    \"x\"\n  ],\n  \"e\": [\n    [\n      true\n    ]\n  ]\n}"
        );
        assert_eq!(terminal_safe_json(&doc), serde_json::to_string_pretty(&doc).unwrap());
    }

    /// Commas, breaks and indents written together are serde's, byte for
    /// byte, at every depth: inside the table and beyond it.
    #[test]
    fn each_line_is_serdes_at_any_depth() {
        let mut doc = serde_json::json!([1, {"a": 2, "b": [3, 4]}]);
        for depth in 0..40 {
            doc = serde_json::json!({"k": doc.clone(), "l": [depth, depth + 1], "m": {}});
            assert_eq!(terminal_safe_json(&doc), serde_json::to_string_pretty(&doc).unwrap(), "{depth}");
        }
    }

    #[test]
    fn terminal_safe_json_escapes_and_has_no_final_newline() {
        assert_eq!(terminal_safe_json("a\u{7f}\u{202e}b"), "\"a\\u007f\\u202eb\"");
        assert_eq!(terminal_safe_json(&[1]), "[\n  1\n]");
    }
}
