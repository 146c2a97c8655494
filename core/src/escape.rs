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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_ansi_and_newlines_but_not_plain_text() {
        assert_eq!(escape_control("anthropic:me@example.com"), "anthropic:me@example.com");
        assert_eq!(escape_control("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\\u{a}c");
        assert_eq!(escape_control("x\u{202e}y"), "x\\u{202e}y");
    }
}
