//! What a command tells whoever ran it, as typed events.
//!
//! A flow never writes `error:` or `hint:` text. It emits an [`Event`] (a
//! report, a line of its answer, a notice, a message at a severity, a hint,
//! a diagnostic, a handed-out key), and each medium renders events once: a
//! terminal through [`Event::lines`], a JSON host or the panel from the
//! event's kind and values, never by parsing text (quinn-proto's and
//! str0m's events are typed the same way; neither formats text).
//!
//! Escaping is the terminal renderer's: an event holds text as the command
//! said it, and [`Event::lines`] neutralises control characters from files
//! in every line but a [`Event::Report`] or [`Event::Document`], which a
//! core renderer made for its medium (the status text with its colours, a
//! terminal-safe `--json`). A host with an output stream writes a
//! `Document` into it as it is produced; [`Event::lines`] makes it one text.

use super::Document;
use crate::diag::{Diagnostic, Severity};
use crate::escape::escape_control;
use crate::secret::Secret;
use std::fmt;

/// One thing a command says.
#[derive(Clone, PartialEq)]
pub enum Event {
    /// The command's document for standard output, made by the core for
    /// its medium: the status text, a listing, a `--json` document.
    /// Written as it is.
    Report(String),
    /// A large document for standard output (`models status --json`),
    /// written into the output as it is produced
    /// ([`Document::write_to`]) instead of made as one text first.
    Document(Document),
    /// One line of the command's answer on standard output ("Updated
    /// ~/.clawdbot/clawdbot.json").
    Output(String),
    /// Context on standard error: what a load synced, how much was read,
    /// a section a script reading `--json` should not see.
    Notice(String),
    /// Something wrong or worth knowing: an error (a refusal, a failure),
    /// a warning (the command went on), a note.
    Message {
        /// How much it matters; the terminal shows it as `error:`,
        /// `warning:` or `note:`.
        severity: Severity,
        /// What happened, in one sentence.
        text: String,
    },
    /// What to do about what was said before it.
    Hint(String),
    /// A problem found in a file, with its remedies.
    Diagnostic(Diagnostic),
    /// The key `models auth token` hands out, and where it came from.
    Key {
        /// Where the key was found (`profile anthropic:default`, `env:
        /// OPENAI_API_KEY`), for standard error.
        source: String,
        /// The key in the form asked for, for standard output.
        key: Secret,
    },
}

impl Event {
    /// An error: a refusal or a failure.
    pub fn error(text: impl Into<String>) -> Event {
        Event::Message { severity: Severity::Error, text: text.into() }
    }

    /// A warning: the command went on.
    pub fn warning(text: impl Into<String>) -> Event {
        Event::Message { severity: Severity::Warning, text: text.into() }
    }

    /// A note: worth knowing, nothing went wrong.
    pub fn note(text: impl Into<String>) -> Event {
        Event::Message { severity: Severity::Info, text: text.into() }
    }

    /// The event as a terminal shows it, one [`Line`] each, escaped.
    pub fn lines(&self) -> Vec<Line> {
        let safe = |text: &str| escape_control(text).into_owned();
        match self {
            Event::Report(text) => vec![Line::out(text.clone())],
            Event::Document(document) => vec![Line::out(document.text())],
            Event::Output(text) => vec![Line::out(safe(text))],
            Event::Notice(text) => vec![Line::err(safe(text))],
            Event::Message { severity, text } => vec![labelled(severity.label(), &safe(text))],
            Event::Hint(text) => vec![labelled(HINT, &safe(text))],
            Event::Diagnostic(d) => std::iter::once(labelled(d.severity.label(), &safe(&d.to_string())))
                .chain(d.hints.iter().map(|h| labelled(HINT, &safe(h))))
                .collect(),
            Event::Key { source, key } => vec![labelled(SOURCE, &safe(source)), Line::secret(key)],
        }
    }
}

/// The label of a hint line.
const HINT: &str = "hint";
/// The label of the line naming a handed-out key's origin.
const SOURCE: &str = "source";

/// `label: text` on standard error.
fn labelled(label: &str, text: &str) -> Line {
    Line::err(format!("{label}: {text}"))
}

impl fmt::Debug for Event {
    /// Never shows a secret: a key by its size only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Report(text) => f.debug_tuple("Report").field(text).finish(),
            Event::Document(document) => f.debug_tuple("Document").field(document).finish(),
            Event::Output(text) => f.debug_tuple("Output").field(text).finish(),
            Event::Notice(text) => f.debug_tuple("Notice").field(text).finish(),
            Event::Message { severity, text } => f.debug_tuple("Message").field(severity).field(text).finish(),
            Event::Hint(text) => f.debug_tuple("Hint").field(text).finish(),
            Event::Diagnostic(d) => f.debug_tuple("Diagnostic").field(d).finish(),
            Event::Key { source, key } => f
                .debug_struct("Key")
                .field("source", source)
                .field("key", &format_args!("<secret, {} chars>", key.expose().chars().count()))
                .finish(),
        }
    }
}

/// Which stream a terminal line goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// What the command is for: a report, a key.
    Stdout,
    /// Notices, warnings, errors, hints.
    Stderr,
}

/// One line as a terminal shows an [`Event`]: terminal-safe already, so
/// the host writes it verbatim.
#[derive(Clone, PartialEq, Eq)]
pub struct Line {
    /// Where it goes.
    pub stream: Stream,
    /// The text, without its newline.
    pub text: String,
    /// The line is a secret (the key `models auth token` prints): written
    /// as it is, never shown in a `Debug`.
    pub secret: bool,
}

impl fmt::Debug for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.secret {
            true => write!(f, "{:?}: <secret, {} chars>", self.stream, self.text.chars().count()),
            false => write!(f, "{:?}: {:?}", self.stream, self.text),
        }
    }
}

impl Line {
    fn out(text: String) -> Line {
        Line { stream: Stream::Stdout, text, secret: false }
    }

    fn err(text: String) -> Line {
        Line { stream: Stream::Stderr, text, secret: false }
    }

    fn secret(key: &Secret) -> Line {
        Line { stream: Stream::Stdout, text: key.expose().to_string(), secret: true }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(event: &Event) -> Vec<(Stream, String)> {
        event.lines().into_iter().map(|l| (l.stream, l.text)).collect()
    }

    #[test]
    fn each_kind_has_its_stream_and_label() {
        use Stream::*;
        assert_eq!(shown(&Event::Report("a\nb".into())), [(Stdout, "a\nb".to_string())]);
        assert_eq!(shown(&Event::Output("Updated x".into())), [(Stdout, "Updated x".to_string())]);
        assert_eq!(shown(&Event::Notice("synced".into())), [(Stderr, "synced".to_string())]);
        assert_eq!(shown(&Event::error("no")), [(Stderr, "error: no".to_string())]);
        assert_eq!(shown(&Event::warning("hm")), [(Stderr, "warning: hm".to_string())]);
        assert_eq!(shown(&Event::note("fyi")), [(Stderr, "note: fyi".to_string())]);
        assert_eq!(shown(&Event::Hint("run it".into())), [(Stderr, "hint: run it".to_string())]);
    }

    #[test]
    fn a_diagnostic_is_its_level_then_one_line_per_hint() {
        let d = Diagnostic::new(Severity::Error, "/h/auth-profiles.json", "is not valid JSON")
            .at("profiles.a")
            .with_hint("Fix the file.")
            .with_hint("Or move it away.");
        let texts: Vec<String> = shown(&Event::Diagnostic(d)).into_iter().map(|(_, t)| t).collect();
        assert_eq!(
            texts,
            [
                "error: /h/auth-profiles.json: profiles.a: is not valid JSON",
                "hint: Fix the file.",
                "hint: Or move it away."
            ]
        );
        let warning = Event::Diagnostic(Diagnostic::new(Severity::Warning, "f", "m"));
        assert_eq!(shown(&warning), [(Stream::Stderr, "warning: f: m".to_string())]);
        let note = Event::Diagnostic(Diagnostic::new(Severity::Info, "f", "m"));
        assert_eq!(shown(&note), [(Stream::Stderr, "note: f: m".to_string())]);
    }

    #[test]
    fn every_line_but_a_report_is_escaped() {
        let hostile = "a\u{1b}[2Jb";
        for event in [
            Event::Output(hostile.into()),
            Event::Notice(hostile.into()),
            Event::error(hostile),
            Event::Hint(hostile.into()),
            Event::Diagnostic(Diagnostic::new(Severity::Warning, hostile, hostile).with_hint(hostile)),
        ] {
            for line in event.lines() {
                assert!(!line.text.contains('\u{1b}'), "{event:?} gave {line:?}");
            }
        }
        // A report is made for its medium by the core (colours included).
        assert_eq!(Event::Report(hostile.into()).lines()[0].text, hostile);
    }

    #[test]
    fn a_key_is_its_source_on_stderr_then_the_secret_on_stdout_never_in_debug() {
        let event = Event::Key { source: "env: X\u{7}".into(), key: Secret::new("sk-FAKE-123") };
        let lines = event.lines();
        assert_eq!((lines[0].stream, lines[0].text.as_str()), (Stream::Stderr, "source: env: X\\u{7}"));
        assert_eq!((lines[1].stream, lines[1].text.as_str(), lines[1].secret), (Stream::Stdout, "sk-FAKE-123", true));
        for shown in [format!("{event:?}"), format!("{:?}", lines[1])] {
            assert!(!shown.contains("sk-FAKE"), "{shown}");
            assert!(shown.contains("11 chars"), "{shown}");
        }
    }
}
