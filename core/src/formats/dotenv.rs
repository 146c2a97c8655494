//! `.env` files, read the way the reference reads them (issue 12 item 5).
//!
//! The gateway loads `./.env` and then `<stateDir>/.env` (default
//! `~/.clawdbot/.env`), and a variable already set is never overridden:
//! that is where the reference's docs and onboarding put keys for the
//! daemon. The reference parses with Node's `dotenv` (v16), so this is that
//! parser's grammar, line for line:
//!
//! - `KEY=value`, `KEY = value`, `KEY: value` and `export KEY=value`; a key
//!   is ASCII letters, digits, `_`, `.` and `-`;
//! - a value in `'…'`, `"…"` or `` `…` `` may span lines (a backslash keeps a
//!   quote from closing it); in `"…"`, `\n` and `\r` become a new line and a
//!   carriage return; nothing is expanded (`$OTHER` stays as written);
//! - an unquoted value ends at `#` and is trimmed; a quote that is never
//!   closed is part of the value;
//! - blank lines and `#` lines are skipped; a later key in the same file
//!   wins.
//!
//! Node skips a line it cannot read without a word; here it is a warning
//! naming the file and the line (never its text, which may hold a key).
//!
//! Why not a crate: `dotenvy` (the well-kept Rust parser) has a reader API,
//! but it expands `$VAR` while parsing and reads the process environment to
//! do so, which the core must not touch and the reference does not do.

use crate::diag::{Diagnostic, Severity};
use crate::env::Env;

/// What one `.env` file holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DotenvFile {
    /// `(name, value)` in file order, a later duplicate replacing the earlier.
    pub vars: Vec<(String, String)>,
    /// One warning per line that is not a variable.
    pub diagnostics: Vec<Diagnostic>,
    /// The variables of [`DotenvFile::vars`] whose value can be no key
    /// ([`Flaw`]), with the line each starts on.
    pub flawed: Vec<Flawed>,
}

/// Why a value read from a `.env` file can be no key: a key is one line of
/// printable text, and what the file holds there is something else. Node
/// reads such a value all the same (invalid bytes become U+FFFD); a key
/// made of it is refused by every server, and printing it would hand a
/// terminal its escapes (issue 23 item 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// Its bytes are not UTF-8.
    NotUtf8,
    /// It holds a control or bidi character ([`crate::escape::needs_escape`]),
    /// a line break included.
    ControlCharacters,
}

impl Flaw {
    /// What the value is, for a message.
    pub fn words(self) -> &'static str {
        match self {
            Flaw::NotUtf8 => "is not valid UTF-8",
            Flaw::ControlCharacters => "holds control characters",
        }
    }

    /// The flaw of `value`, whose lines `lines_ok` says were UTF-8.
    fn of(value: &str, lines_ok: bool) -> Option<Flaw> {
        if !lines_ok {
            Some(Flaw::NotUtf8)
        } else if value.chars().any(crate::escape::needs_escape) {
            Some(Flaw::ControlCharacters)
        } else {
            None
        }
    }
}

/// A variable whose value has a [`Flaw`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flawed {
    /// The variable.
    pub name: String,
    /// The line its entry starts on, from 1.
    pub line: usize,
    /// What is wrong with its value.
    pub flaw: Flaw,
}

impl DotenvFile {
    /// The flaw of the value `name` holds, if it has one.
    pub fn flaw_of(&self, name: &str) -> Option<&Flawed> {
        self.flawed.iter().find(|f| f.name == name)
    }
}

/// What to tell an operator about a line that is not a variable.
pub const BAD_LINE_HINT: &str = "Write it as NAME=value, or start it with # to keep it as a comment.";

/// Parses a `.env` file's bytes; `shown` is its path as messages show it.
pub fn parse(bytes: &[u8], shown: &str) -> DotenvFile {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf8 = utf8_lines(bytes);
    let text = String::from_utf8_lossy(bytes);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.split('\n').collect();
    let mut file = DotenvFile::default();
    let mut rest = &lines[..];
    let mut number = 1;
    while !rest.is_empty() {
        let (entry, used) = entry_at(rest);
        // An entry takes at least its own line: the loop always ends.
        let used = used.clamp(1, rest.len());
        rest = &rest[used..];
        let line = number;
        number += used;
        match entry {
            Entry::Skip => {}
            Entry::Var(name, value) => {
                let lines_ok = (line..line + used).all(|n| utf8.get(n - 1).copied().unwrap_or(true));
                file.flawed.retain(|f| f.name != name);
                if let Some(flaw) = Flaw::of(&value, lines_ok) {
                    file.flawed.push(Flawed { name: name.clone(), line, flaw });
                }
                match file.vars.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = value,
                    None => file.vars.push((name, value)),
                }
            }
            Entry::Malformed => file.diagnostics.push(
                Diagnostic::new(Severity::Warning, shown, format!("line {line} is not NAME=value; ignored"))
                    .with_hint(BAD_LINE_HINT),
            ),
        }
    }
    file
}

/// Whether each line of `bytes` is UTF-8, the lines split as [`parse`]
/// splits the text (`\r\n`, `\r` and `\n` each end one; a replacement
/// character never adds a break, so the lines match one for one).
fn utf8_lines(bytes: &[u8]) -> Vec<bool> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let end = match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => Some(2),
            b'\r' | b'\n' => Some(1),
            _ => None,
        };
        match end {
            Some(n) => {
                out.push(std::str::from_utf8(&bytes[start..i]).is_ok());
                i += n;
                start = i;
            }
            None => i += 1,
        }
    }
    out.push(std::str::from_utf8(&bytes[start..]).is_ok());
    out
}

enum Entry {
    Skip,
    Var(String, String),
    Malformed,
}

/// The entry starting at `lines[0]`, and how many lines it took.
fn entry_at(lines: &[&str]) -> (Entry, usize) {
    let line = lines[0].trim_start();
    if line.is_empty() || line.starts_with('#') {
        return (Entry::Skip, 1);
    }
    let line = match line.strip_prefix("export") {
        Some(rest) if rest.starts_with(|c: char| c.is_whitespace()) => rest.trim_start(),
        _ => line,
    };
    let key_len = line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'));
    let key_len = key_len.unwrap_or(line.len());
    if key_len == 0 {
        return (Entry::Malformed, 1);
    }
    let (key, rest) = line.split_at(key_len);
    let after_space = rest.trim_start();
    let value_start = if let Some(v) = after_space.strip_prefix('=') {
        v
    } else if let Some(v) = rest.strip_prefix(':').filter(|v| v.starts_with(|c: char| c.is_whitespace())) {
        v
    } else {
        return (Entry::Malformed, 1);
    };
    let trimmed = value_start.trim_start();
    if let Some(quote) = trimmed.chars().next().filter(|c| matches!(c, '\'' | '"' | '`'))
        && let Some((value, used)) = quoted(quote, &trimmed[1..], &lines[1..])
    {
        return (Entry::Var(key.to_string(), value), used);
    }
    let value = value_start.split('#').next().unwrap_or("").trim().to_string();
    (Entry::Var(key.to_string(), value), 1)
}

/// A quoted value whose opening `quote` came just before `first`; it may
/// continue on the following lines. `None` when it never closes, or when
/// something other than a comment follows the closing quote (the
/// reference then reads the line as an unquoted value).
fn quoted(quote: char, first: &str, more: &[&str]) -> Option<(String, usize)> {
    let mut body = String::new();
    for (used, segment) in (1..).zip(std::iter::once(first).chain(more.iter().copied())) {
        let mut escaped = false;
        for (at, c) in segment.char_indices() {
            if c == quote && !escaped {
                body.push_str(&segment[..at]);
                let tail = segment[at + c.len_utf8()..].trim_start();
                if !(tail.is_empty() || tail.starts_with('#')) {
                    return None;
                }
                if quote == '"' {
                    body = body.replace("\\n", "\n").replace("\\r", "\r");
                }
                return Some((body, used));
            }
            escaped = c == '\\' && !escaped;
        }
        body.push_str(segment);
        body.push('\n');
    }
    None
}

/// The variables the `.env` files gave, each with the file it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// Variable → the file (as shown) that set it.
    pub origins: std::collections::BTreeMap<String, String>,
    /// The files (full paths) that were read and hold a key variable,
    /// usable or not: they must be private as a store is.
    pub holding_keys: Vec<String>,
}

impl Applied {
    /// The file a variable came from, when a `.env` file set it.
    pub fn origin(&self, var: &str) -> Option<&str> {
        self.origins.get(var).map(String::as_str)
    }
}

/// Sets each variable of `file` that `env` does not already have (even an
/// empty one counts as set, as in Node's `dotenv`), recording its origin;
/// a variable `skip` names is left out.
pub fn apply(env: &mut Env, file: &DotenvFile, shown: &str, applied: &mut Applied, skip: impl Fn(&str) -> bool) {
    for (name, value) in &file.vars {
        if !env.is_set(name) && !skip(name) {
            std::sync::Arc::make_mut(&mut env.vars).insert(name.clone(), value.clone());
            applied.origins.insert(name.clone(), shown.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(text: &str) -> Vec<(String, String)> {
        parse(text.as_bytes(), ".env").vars
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_the_forms_nodes_dotenv_reads() {
        let text = "# keys\n\nA=1\nexport B = two words \nC: colon\nD=\nE=x # comment\nF=a#b\nG.h-i=ok\n";
        assert_eq!(
            vars(text),
            pairs(&[
                ("A", "1"),
                ("B", "two words"),
                ("C", "colon"),
                ("D", ""),
                ("E", "x"),
                ("F", "a"),
                ("G.h-i", "ok")
            ])
        );
    }

    #[test]
    fn quotes_keep_spaces_and_hashes_and_only_double_quotes_expand_newlines() {
        let text = "S='a # b '\nD=\"l1\\nl2\"\nB=`x\\ny`\nM=\"first\nsecond\" # c\nN=after\nE=\"a\\\"b\"\n";
        assert_eq!(
            vars(text),
            pairs(&[
                ("S", "a # b "),
                ("D", "l1\nl2"),
                ("B", "x\\ny"),
                ("M", "first\nsecond"),
                ("N", "after"),
                ("E", "a\\\"b")
            ])
        );
    }

    #[test]
    fn an_unclosed_quote_is_part_of_the_value_and_nothing_is_expanded() {
        assert_eq!(vars("A=\"open\nB=$A\n"), pairs(&[("A", "\"open"), ("B", "$A")]));
        assert_eq!(vars("A=\"x\" junk\n"), pairs(&[("A", "\"x\" junk")]));
    }

    #[test]
    fn crlf_bom_and_a_later_duplicate() {
        assert_eq!(vars("\u{feff}A=1\r\nA=2\rB=3"), pairs(&[("A", "2"), ("B", "3")]));
    }

    #[test]
    fn a_line_that_is_not_a_variable_is_a_warning_with_its_number_and_never_its_text() {
        let f = parse(b"A=1\nsk-ant-FAKE-secret\n=x\nB:nospace\nC=3\n", "~/.clawdbot/.env");
        assert_eq!(f.vars, pairs(&[("A", "1"), ("C", "3")]));
        let lines: Vec<String> = f.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "~/.clawdbot/.env: line 2 is not NAME=value; ignored",
                "~/.clawdbot/.env: line 3 is not NAME=value; ignored",
                "~/.clawdbot/.env: line 4 is not NAME=value; ignored",
            ]
        );
        assert!(f.diagnostics.iter().all(|d| d.severity == Severity::Warning && !d.hints.is_empty()));
    }

    #[test]
    fn a_variable_already_set_is_never_overridden_even_when_empty() {
        let mut env = Env::new("/h").with_var("A", "").with_var("B", "proc");
        let mut applied = Applied::default();
        apply(&mut env, &parse(b"A=file\nB=file\nC=file\n", "one"), "one", &mut applied, |_| false);
        apply(&mut env, &parse(b"C=two\nD=two\n", "two"), "two", &mut applied, |_| false);
        assert_eq!(env.vars["A"], "");
        assert_eq!(env.vars["B"], "proc");
        assert_eq!((env.vars["C"].as_str(), applied.origin("C")), ("file", Some("one")));
        assert_eq!((env.vars["D"].as_str(), applied.origin("D")), ("two", Some("two")));
        assert_eq!(applied.origin("B"), None);
    }

    #[test]
    fn export_is_a_prefix_only_when_a_space_follows_it() {
        assert_eq!(
            vars("exportFOO=1\nexport=2\nexport\tBAR=3\n"),
            pairs(&[("exportFOO", "1"), ("export", "2"), ("BAR", "3")])
        );
    }

    #[test]
    fn a_multi_line_value_takes_its_lines_and_the_next_line_is_counted_after_it() {
        let f = parse(b"M=\"one\ntwo\nthree\"\nbad line\n", "f");
        assert_eq!(f.vars, pairs(&[("M", "one\ntwo\nthree")]));
        assert_eq!(f.diagnostics[0].message, "line 4 is not NAME=value; ignored");
        assert_eq!(vars("A='x'   # note\n"), pairs(&[("A", "x")]));
        assert_eq!(
            vars("A=\"x\\\\\"\nB=1\n"),
            pairs(&[("A", "x\\\\"), ("B", "1")]),
            "an escaped backslash does not escape the quote"
        );
        assert_eq!(vars("K : v\n"), Vec::<(String, String)>::new(), "a colon must follow the name directly");
        assert_eq!(vars("K =v\n"), pairs(&[("K", "v")]));
        assert_eq!(vars("A=é\"b\"\n"), pairs(&[("A", "é\"b\"")]));
        assert_eq!(vars("A=\"é\"\n"), pairs(&[("A", "é")]));
    }

    #[test]
    fn a_value_that_can_be_no_key_is_marked_with_its_line() {
        let bytes = b"A=ok\r\nB=sk-\xff-FAKE\nC=\"sk-\x1b[31m\"\nD=\"one\ntwo\"\nE=fine\nB=again\xfe\n";
        let f = parse(bytes, "f");
        let flawed: Vec<(&str, usize, Flaw)> = f.flawed.iter().map(|x| (x.name.as_str(), x.line, x.flaw)).collect();
        assert_eq!(
            flawed,
            [("C", 3, Flaw::ControlCharacters), ("D", 4, Flaw::ControlCharacters), ("B", 7, Flaw::NotUtf8)],
            "a later value of B replaces the earlier one, flaw and all"
        );
        assert_eq!(f.flaw_of("A"), None);
        assert_eq!(f.flaw_of("E"), None, "the line after a value of two lines is counted right");
        let fixed = parse(b"B=sk-\xff\nB=good\n", "f");
        assert_eq!(fixed.flawed, [], "a later good value clears it");
        assert_eq!(utf8_lines(b"a\r\nb\rc\n\xff"), [true, true, true, false]);
    }
}
