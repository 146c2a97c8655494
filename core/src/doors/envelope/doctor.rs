//! `doctorPreview` and the view's doctor panel: `clawdbot doctor` itself,
//! run as `doctor --non-interactive --json` over the request's files.
//!
//! Non-interactive, doctor asks nothing and repairs nothing a person must
//! consent to; it still saves what every command saves (a sync, a
//! migration): those are the writes it answers. What it would repair with
//! `--fix` comes back as findings, each with its remedy.

use super::memory::{Memory, Ran};
use crate::doctor::DoctorPreview;
use crate::escape::escape_control;
use crate::findings::{DoctorDocument, Finding, check};
use crate::flow::{DoctorCommand, DoctorRequest};
use crate::paths::Env;
use crate::time::Millis;
use crate::view::{Limits, View};
use crate::world::MapWorld;
use serde_json::{Map, Value, json};

/// What the doctor panel already shows as rows: logins by their expiry,
/// unusable files as problems, backoffs as cooldowns, migrations as
/// changes. Every other finding is listed on its own.
const SHOWN_AS_ROWS: &[&str] = &[
    check::PROFILE_EXPIRED,
    check::PROFILE_EXPIRING,
    check::EXPIRY_UNKNOWN,
    check::STORE_UNREADABLE,
    check::CONFIG_UNREADABLE,
    check::FILE_UNREADABLE,
    check::COOLDOWN,
    check::LOGIN_REJECTED,
    check::LEGACY_FILE,
];

/// One run of doctor over the request's files.
pub(super) struct DoctorRun {
    /// What it found in the load, after its repairs; its changes are the
    /// document's (what it did).
    pub preview: DoctorPreview,
    /// Its `--json` document.
    pub document: DoctorDocument,
    /// Its exit and writes.
    pub ran: Ran,
    /// The load and report it checked last, when asked to keep them
    /// ([`run_keeping`]).
    pub load: Option<(crate::load::Loaded, crate::report::StatusReport)>,
}

/// Runs doctor for `agent` (`None`: the config's default) as the CLI
/// would with `--non-interactive --json`.
pub(super) fn run(world: &MapWorld, env: &Env, agent: Option<&str>, now: Millis) -> Result<DoctorRun, String> {
    run_with(world, env, agent, now, false, None)
}

/// [`run`], keeping the load and report doctor checked last (`load`).
pub(super) fn run_keeping(world: &MapWorld, env: &Env, agent: Option<&str>, now: Millis) -> Result<DoctorRun, String> {
    run_with(world, env, agent, now, true, None)
}

/// [`run_keeping`] over `loaded`, the load of `world` a command just left
/// ([`DoctorCommand::over_load`]): doctor checks it rather than loading
/// the files again.
pub(super) fn run_over(
    world: &MapWorld,
    env: &Env,
    agent: Option<&str>,
    now: Millis,
    loaded: crate::load::Loaded,
) -> Result<DoctorRun, String> {
    run_with(world, env, agent, now, true, Some(loaded))
}

fn run_with(
    world: &MapWorld,
    env: &Env,
    agent: Option<&str>,
    now: Millis,
    keep: bool,
    loaded: Option<crate::load::Loaded>,
) -> Result<DoctorRun, String> {
    let request = DoctorRequest {
        non_interactive: true,
        json: true,
        agent: agent.map(str::to_string),
        ..DoctorRequest::default()
    };
    let mut command = DoctorCommand::new(request, env, now);
    if keep {
        command = command.keeping_loads();
    }
    if let Some(loaded) = loaded {
        command = command.over_load(loaded);
    }
    let ran = Memory::new(world.files.clone(), now).run(&mut command);
    let load = command.take_loads().into_iter().next();
    let Some((preview, document)) = command.checked().next() else {
        return Err(format!("doctor checked nothing: {}", ran.refusal()));
    };
    let preview = DoctorPreview { changes: document.changes.clone(), ..preview.clone() };
    Ok(DoctorRun { preview, document: document.clone(), ran, load })
}

impl DoctorRun {
    /// `doctorPreview`'s `doctor`: the preview, and what doctor said of it.
    pub fn to_value(&self) -> Value {
        let mut out = self.preview.to_value();
        if let Value::Object(fields) = &mut out {
            fields.insert("ok".into(), Value::from(self.document.ok));
            fields.insert("exit".into(), Value::from(self.ran.exit.code()));
            fields.insert("findings".into(), serde_json::to_value(&self.document.findings).unwrap_or_default());
        }
        out
    }

    /// The view's doctor panel as doctor decided it: nothing is needed only
    /// when doctor would exit 0; what it found beyond the rows is listed
    /// (`findings`, a page) with the files it wrote (`writes`, paths).
    pub fn view_value(&self, mut view: View, limits: Limits) -> Value {
        view.doctor.nothing_needed = self.document.ok;
        let mut value = view.to_value();
        let others: Vec<&Finding> =
            self.document.findings.iter().filter(|f| !SHOWN_AS_ROWS.contains(&f.check_id)).collect();
        // A page that asks for some rows (a paged view) gets each text cut
        // to what it can lay out; asked for everything, it gets them whole.
        let cut = limits.rows.map(|_| FINDING_TEXT_LIMIT);
        let rows: Vec<Value> =
            others.iter().take(limits.rows.unwrap_or(usize::MAX)).map(|f| finding_row(f, cut)).collect();
        let writes: Vec<String> = self.ran.writes.iter().map(|w| escape_control(&w.path).into_owned()).collect();
        if let Some(Value::Object(doctor)) = value.get_mut("doctor") {
            doctor.insert("findings".into(), json!({ "total": others.len(), "rows": rows }));
            doctor.insert("writes".into(), Value::from(writes));
        }
        value
    }
}

/// How long a finding's message or fix may be in a paged view (bytes):
/// a few lines of a page.
const FINDING_TEXT_LIMIT: usize = 2000;

/// A finding as the page shows it: every text escaped, no raw target; with
/// `cut`, its message and fix cut to about that many bytes
/// ([`crate::view::cut_text`]).
fn finding_row(finding: &Finding, cut: Option<usize>) -> Value {
    let shown = |text: &str| {
        let whole = cut.and_then(|limit| crate::view::cut_text(text, limit));
        escape_control(whole.as_deref().unwrap_or(text)).into_owned()
    };
    let mut row = Map::new();
    row.insert("checkId".into(), Value::from(finding.check_id));
    row.insert("severity".into(), serde_json::to_value(finding.severity).unwrap_or_default());
    row.insert("message".into(), Value::from(shown(&finding.message)));
    for (key, text) in [("path", &finding.path), ("fixHint", &finding.fix_hint)] {
        if let Some(text) = text {
            row.insert(key.into(), Value::from(shown(text)));
        }
    }
    Value::Object(row)
}
