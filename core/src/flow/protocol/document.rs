//! A document the host writes into its output as the core produces it.
//!
//! `models status --json` at 100 000 profiles is an 83 MB document. Made
//! as one `String` and handed over in an [`super::Event::Report`], it
//! was built in memory, copied, and only then written: twice the memory of
//! the text report and most of the time in page faults. A [`Document`]
//! instead carries the typed model the core rendered from (the status
//! report, shared, so the host dropping it frees nothing one allocation at
//! a time), and [`Document::write_to`] writes it into whatever the host
//! hands in, terminal-safe, in buffer-sized pieces. The bytes are the ones
//! a finished string had ([`Document::text`], which hosts without an output
//! stream and the tests use).

use crate::escape::stream_terminal_safe_json;
use crate::findings::DoctorDocument;
use crate::report::{AllAgentsReport, StatusReport};
use serde::Serialize;
use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

/// How much the core gathers before it hands a piece to the host's writer.
const PIECE: usize = 1 << 16;

/// A document for standard output, written as it is produced.
#[derive(Clone, PartialEq)]
pub struct Document {
    body: Body,
}

#[derive(Clone, PartialEq)]
enum Body {
    /// `models status --json`: one agent's report.
    Status(Arc<StatusReport>),
    /// `models status --all-agents --json`: every agent's.
    AllAgents(Arc<AllAgentsReport>),
    /// `doctor --json`: the agent's document; with `--all-agents`, every
    /// agent's under `agents`.
    Doctor { documents: Arc<Vec<DoctorDocument>>, all_agents: bool },
}

/// `doctor --all-agents --json`: whether every agent is ok, then each
/// agent's document.
#[derive(Serialize)]
struct DoctorAgents<'a> {
    ok: bool,
    agents: &'a [DoctorDocument],
}

impl Document {
    /// One agent's `--json` report.
    pub(crate) fn status(report: Arc<StatusReport>) -> Document {
        Document { body: Body::Status(report) }
    }

    /// `--all-agents --json`: the worst check, then each agent's report.
    pub(crate) fn all_agents(report: Arc<AllAgentsReport>) -> Document {
        Document { body: Body::AllAgents(report) }
    }

    /// `doctor --json`'s document: the one agent's (`all_agents` false and
    /// one agent checked), else every agent's under `agents`.
    pub(crate) fn doctor(documents: Arc<Vec<DoctorDocument>>, all_agents: bool) -> Document {
        Document { body: Body::Doctor { documents, all_agents } }
    }

    /// Writes the document into `out` as it is produced, in pieces of
    /// 64 KiB (give it the output itself, unbuffered or line-buffered),
    /// without the final line end: the bytes of [`Document::text`].
    /// Characters a terminal would act on are escaped
    /// (serde's pretty layout; DEL, C1 and bidi controls as `\uXXXX`).
    pub fn write_to<W: Write>(&self, out: W) -> io::Result<()> {
        let mut out = io::BufWriter::with_capacity(PIECE, out);
        match &self.body {
            Body::Status(report) => stream_terminal_safe_json(&mut out, &**report)?,
            Body::AllAgents(report) => stream_terminal_safe_json(&mut out, &**report)?,
            Body::Doctor { documents, all_agents } => match (all_agents, documents.first()) {
                (false, Some(document)) => stream_terminal_safe_json(&mut out, document)?,
                _ => {
                    let ok = documents.iter().all(|d| d.ok);
                    stream_terminal_safe_json(&mut out, &DoctorAgents { ok, agents: documents })?
                }
            },
        }
        out.flush()
    }

    /// The whole document as one text, without the final line end.
    pub fn text(&self) -> String {
        let mut out = Vec::new();
        // Writing into memory fails only if serde does; the text is then
        // as far as it got.
        let _ = self.write_to(&mut out);
        // The formatter writes only whole UTF-8 characters and ASCII escapes.
        String::from_utf8(out).unwrap_or_default()
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.body {
            Body::Status(report) => write!(f, "status report of {}", report.agent_dir),
            Body::AllAgents(report) => write!(f, "status reports of {} agents", report.agents.len()),
            Body::Doctor { documents, .. } => write!(f, "doctor's documents of {} agents", documents.len()),
        }
    }
}
