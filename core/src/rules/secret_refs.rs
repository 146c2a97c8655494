//! Resolving SecretRefs: what to ask the host for each ref of a store,
//! and what its answer makes of the ref (ok, failing and why, or not
//! checked).
//!
//! The rules, all here:
//! - a ref beats a plain value, and a ref that fails does not fall back to
//!   the plain value or to any other credential (fail closed);
//! - an env ref reads a variable of the process (a declared env provider
//!   may limit which, `allowlist`); it needs no provider entry;
//! - a file must be a regular file (no symlink) with one hard link, owned
//!   by the user (or by root, as systemd's credentials may be), neither
//!   readable nor writable by group or others, and at most 1 MiB;
//! - an exec resolver must be a regular file (no symlink), owned by the
//!   user or root, writable by no one else; it runs only when allowed
//!   (`--allow-exec`, or `secrets.allowExec`), at most 5 s, printing at
//!   most 1 MiB, and speaks protocol v1 ([`exec_request`], [`judge_run`]);
//! - no resolved value is ever put in a message.

use crate::env::Env;
use crate::io::{ExitStatus, IoKind, Owner, PathFacts, PathKind, ResolverRun, SecretFileRead};
use crate::secret::Secret;
use crate::secret_ref::{RefShapeError, RefSource, SINGLE_VALUE_ID, SecretRef, pointer_tokens, profile_ref};
use crate::secrets::{CREDENTIALS_DIRECTORY, DEFAULT_ALIAS, ExecDecl, FileMode, ProviderDecl, SecretsConfig};
use crate::store::AuthStore;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// The exec protocol's version.
pub const PROTOCOL_VERSION: u64 = 1;

/// What became of one profile's ref.
#[derive(Debug, Clone, PartialEq)]
pub enum RefCheck {
    /// Resolved: the value (never shown but masked).
    Ok(Secret),
    /// It did not resolve, and why.
    Failing(RefFailure),
    /// An exec ref that was not allowed to run.
    NotChecked,
}

impl RefCheck {
    /// The word reports use: `ok`, `failing`, `not checked`.
    pub fn word(&self) -> &'static str {
        match self {
            RefCheck::Ok(_) => "ok",
            RefCheck::Failing(_) => "failing",
            RefCheck::NotChecked => "not checked",
        }
    }
}

/// Each profile's ref check, by profile id. A profile with a ref and no
/// entry was not checked.
pub type RefStates = BTreeMap<String, RefCheck>;

/// The check of the profile `id`'s ref: `None` when it has none.
pub fn check_of<'a>(refs: &'a RefStates, id: &str, profile: &crate::store::Profile) -> Option<&'a RefCheck> {
    const UNCHECKED: &RefCheck = &RefCheck::NotChecked;
    profile_ref(profile).map(|_| refs.get(id).unwrap_or(UNCHECKED))
}

/// Why a path may not hold or run a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsafety {
    /// It is a symlink.
    Symlink,
    /// A folder, device, pipe or socket.
    NotRegular,
    /// A secrets file others may read or write (its mode).
    Readable(u32),
    /// A resolver others may change (its mode).
    Writable(u32),
    /// It has more than one hard link (how many).
    HardLinked(u64),
    /// Another user owns it.
    NotOwned,
}

impl fmt::Display for Unsafety {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsafety::Symlink => f.write_str("is a symlink"),
            Unsafety::NotRegular => f.write_str("is not a regular file"),
            Unsafety::Readable(mode) => write!(f, "is readable or writable by group or others (mode {mode:04o})"),
            Unsafety::Writable(mode) => write!(f, "is writable by group or others (mode {mode:04o})"),
            Unsafety::HardLinked(n) => write!(f, "has {n} hard links"),
            Unsafety::NotOwned => f.write_str("is owned by another user"),
        }
    }
}

/// Whether a secrets file may be read: the first rule it breaks.
pub fn file_unsafety(facts: &PathFacts) -> Option<Unsafety> {
    if let Some(why) = common_unsafety(facts) {
        Some(why)
    } else if facts.mode & 0o077 != 0 {
        Some(Unsafety::Readable(facts.mode))
    } else if facts.links > 1 {
        Some(Unsafety::HardLinked(facts.links))
    } else {
        None
    }
}

/// Whether a resolver may be run: the first rule it breaks.
pub fn exec_unsafety(facts: &PathFacts) -> Option<Unsafety> {
    common_unsafety(facts).or_else(|| (facts.mode & 0o022 != 0).then_some(Unsafety::Writable(facts.mode)))
}

fn common_unsafety(facts: &PathFacts) -> Option<Unsafety> {
    match facts.kind {
        PathKind::Symlink => Some(Unsafety::Symlink),
        PathKind::Folder | PathKind::Other => Some(Unsafety::NotRegular),
        PathKind::File if facts.owner == Owner::Other => Some(Unsafety::NotOwned),
        PathKind::File => None,
    }
}

/// Why a ref did not resolve. No variant holds a resolved value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RefFailure {
    /// The ref itself is malformed.
    #[error("{0}")]
    Shape(#[from] RefShapeError),
    /// No `secrets.providers.<alias>` entry.
    #[error("no secrets provider \"{0}\" is configured (secrets.providers)")]
    UnknownProvider(String),
    /// The alias names a provider of another source.
    #[error("secrets provider \"{alias}\" is not an {wanted} provider")]
    WrongSource {
        /// The alias.
        alias: String,
        /// The ref's source.
        wanted: &'static str,
    },
    /// The provider's entry cannot be used.
    #[error("secrets provider \"{alias}\" cannot be used: {why}")]
    ProviderInvalid {
        /// The alias.
        alias: String,
        /// Why.
        why: String,
    },
    /// The variable is not in the env provider's allowlist.
    #[error("{0} is not in the env provider's allowlist")]
    NotAllowed(String),
    /// The variable is unset or empty.
    #[error("{0} is not set")]
    MissingVariable(String),
    /// The file provider's path is under `$CREDENTIALS_DIRECTORY`, which is
    /// not set.
    #[error("CREDENTIALS_DIRECTORY is not set (the provider's file is a systemd credential)")]
    NoCredentialsDirectory,
    /// The file is not there.
    #[error("{0} does not exist")]
    Absent(String),
    /// The file or resolver could not be looked at or read.
    #[error("{path}: {kind}")]
    Unreadable {
        /// The path.
        path: String,
        /// What went wrong.
        kind: IoKind,
    },
    /// The file or resolver breaks a safety rule.
    #[error("{path} {why}")]
    Unsafe {
        /// The path.
        path: String,
        /// The rule.
        why: Unsafety,
    },
    /// The file is not JSON (`mode: "json"`).
    #[error("{0} is not JSON")]
    NotJson(String),
    /// The pointer finds nothing in the file, or a non-string.
    #[error("{path} has no string at {id}")]
    NoValue {
        /// The file.
        path: String,
        /// The pointer (or `value`).
        id: String,
    },
    /// The value is empty.
    #[error("the value of {0} is empty")]
    Empty(String),
    /// The resolver exited with a failure.
    #[error("{command} ended with {status}")]
    Exited {
        /// The resolver.
        command: String,
        /// How it ended.
        status: ExitStatus,
    },
    /// The resolver ran past its time and was killed.
    #[error("{command} did not answer within {ms} ms and was stopped")]
    TimedOut {
        /// The resolver.
        command: String,
        /// Its time.
        ms: u64,
    },
    /// The resolver printed more than its limit and was killed.
    #[error("{command} printed more than {limit} bytes and was stopped")]
    TooMuchOutput {
        /// The resolver.
        command: String,
        /// The limit.
        limit: u64,
    },
    /// The resolver's answer is not a protocol v1 document.
    #[error("{0} did not answer in protocol v1 JSON")]
    Protocol(String),
    /// The resolver answered an error code for the id.
    #[error("{command} answered {code} for {id}")]
    Refused {
        /// The resolver.
        command: String,
        /// The id.
        id: String,
        /// Its code (`NOT_FOUND`).
        code: String,
    },
    /// The resolver's answer has neither a value nor an error for the id.
    #[error("{command} gave nothing for {id}")]
    Omitted {
        /// The resolver.
        command: String,
        /// The id.
        id: String,
    },
}

/// A file to read for some refs.
#[derive(Debug, Clone, PartialEq)]
pub struct FileJob {
    /// The file, expanded.
    pub path: String,
    /// How it is read.
    pub mode: FileMode,
    /// The profiles and the ids they want from it.
    pub wants: Vec<(String, String)>,
}

/// A resolver to run for some refs.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecJob {
    /// The provider's alias.
    pub alias: String,
    /// The provider.
    pub decl: ExecDecl,
    /// The profiles and the ids they want.
    pub wants: Vec<(String, String)>,
}

/// What resolving a store's refs takes: what is decided already, the files
/// to read and the resolvers to run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RefPlan {
    /// The refs decided without the host (env, malformed, not allowed).
    pub decided: RefStates,
    /// One read per file.
    pub files: Vec<FileJob>,
    /// One run per exec provider.
    pub execs: Vec<ExecJob>,
}

/// Plans the resolution of every ref in `store`; exec refs run only when
/// `allow_exec` (or the config's `secrets.allowExec`) says so.
pub fn plan(store: &AuthStore, secrets: &SecretsConfig, env: &Env, allow_exec: bool) -> RefPlan {
    plan_where(store, secrets, env, allow_exec, &|_, _| true)
}

/// [`plan`] for the profiles `keep` picks (a command that hands out one
/// provider's key resolves only that provider's refs).
pub fn plan_where(
    store: &AuthStore,
    secrets: &SecretsConfig,
    env: &Env,
    allow_exec: bool,
    keep: &dyn Fn(&str, &crate::store::Profile) -> bool,
) -> RefPlan {
    let mut plan = RefPlan::default();
    for (id, profile) in &store.profiles {
        if !keep(id, profile) {
            continue;
        }
        let Some(r) = profile_ref(profile) else { continue };
        match r.map_err(RefFailure::from).and_then(|r| plan_one(&r, secrets, env)) {
            Err(failure) => {
                plan.decided.insert(id.clone(), RefCheck::Failing(failure));
            }
            Ok(Planned::Decided(check)) => {
                plan.decided.insert(id.clone(), check);
            }
            Ok(Planned::File { path, mode, want }) => {
                match plan.files.iter_mut().find(|j| j.path == path) {
                    Some(job) => job.wants.push((id.clone(), want)),
                    None => plan.files.push(FileJob { path, mode, wants: vec![(id.clone(), want)] }),
                };
            }
            Ok(Planned::Exec { .. }) if !(allow_exec || secrets.allow_exec) => {
                plan.decided.insert(id.clone(), RefCheck::NotChecked);
            }
            Ok(Planned::Exec { alias, decl, want }) => {
                match plan.execs.iter_mut().find(|j| j.alias == alias) {
                    Some(job) => job.wants.push((id.clone(), want)),
                    None => plan.execs.push(ExecJob { alias, decl, wants: vec![(id.clone(), want)] }),
                };
            }
        }
    }
    plan
}

enum Planned {
    Decided(RefCheck),
    File { path: String, mode: FileMode, want: String },
    Exec { alias: String, decl: ExecDecl, want: String },
}

fn plan_one(r: &SecretRef, secrets: &SecretsConfig, env: &Env) -> Result<Planned, RefFailure> {
    let alias = secrets.alias_of(r).to_string();
    let decl = secrets.providers.get(&alias);
    if let Some(ProviderDecl::Invalid(why)) = decl {
        return Err(RefFailure::ProviderInvalid { alias, why: why.clone() });
    }
    let wrong = |alias: String| RefFailure::WrongSource { alias, wanted: r.source.as_str() };
    match (r.source, decl) {
        (RefSource::Env, None) if alias == DEFAULT_ALIAS => Ok(Planned::Decided(env_value(env, &r.id))),
        (RefSource::Env, Some(ProviderDecl::Env { allowlist })) => {
            if allowlist.as_ref().is_some_and(|l| !l.contains(&r.id)) {
                return Err(RefFailure::NotAllowed(r.id.clone()));
            }
            Ok(Planned::Decided(env_value(env, &r.id)))
        }
        (RefSource::File, Some(ProviderDecl::File { path, mode })) => {
            if *mode == FileMode::SingleValue && r.id != SINGLE_VALUE_ID {
                return Err(RefShapeError::FileId(r.id.clone()).into());
            }
            Ok(Planned::File { path: expand_path(path, env)?, mode: *mode, want: r.id.clone() })
        }
        (RefSource::Exec, Some(ProviderDecl::Exec(decl))) => {
            Ok(Planned::Exec { alias, decl: decl.clone(), want: r.id.clone() })
        }
        (_, None) => Err(RefFailure::UnknownProvider(alias)),
        (_, Some(_)) => Err(wrong(alias)),
    }
}

fn env_value(env: &Env, name: &str) -> RefCheck {
    match env.get(name) {
        Some(v) => RefCheck::Ok(Secret::new(v)),
        None => RefCheck::Failing(RefFailure::MissingVariable(name.to_string())),
    }
}

/// A file provider's path: `$CREDENTIALS_DIRECTORY/` (or
/// `${CREDENTIALS_DIRECTORY}/`) at its start is systemd's credentials
/// folder, `~` the home folder.
pub fn expand_path(path: &str, env: &Env) -> Result<String, RefFailure> {
    let path = path.trim();
    for prefix in ["$CREDENTIALS_DIRECTORY/", "${CREDENTIALS_DIRECTORY}/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let dir = env.get(CREDENTIALS_DIRECTORY).ok_or(RefFailure::NoCredentialsDirectory)?;
            return Ok(format!("{}/{rest}", dir.trim_end_matches('/')));
        }
    }
    Ok(env.resolve(path))
}

/// What a file read gives each profile that wanted something from it.
pub fn judge_file(job: &FileJob, read: &SecretFileRead) -> Vec<(String, RefCheck)> {
    let path = &job.path;
    let whole: Result<&Secret, RefFailure> = match read {
        SecretFileRead::Absent => Err(RefFailure::Absent(path.clone())),
        SecretFileRead::Unreadable(kind) => Err(RefFailure::Unreadable { path: path.clone(), kind: *kind }),
        SecretFileRead::Found { facts, text } => match (file_unsafety(facts), text) {
            (Some(why), _) => Err(RefFailure::Unsafe { path: path.clone(), why }),
            (None, Some(Ok(text))) => Ok(text),
            (None, Some(Err(kind))) => Err(RefFailure::Unreadable { path: path.clone(), kind: *kind }),
            (None, None) => Err(RefFailure::Unsafe { path: path.clone(), why: Unsafety::NotRegular }),
        },
    };
    let doc: Result<Option<Value>, RefFailure> = match (&whole, job.mode) {
        (Err(e), _) => Err(e.clone()),
        (Ok(_), FileMode::SingleValue) => Ok(None),
        (Ok(text), FileMode::Json) => {
            serde_json::from_str(text.expose()).map(Some).map_err(|_| RefFailure::NotJson(path.clone()))
        }
    };
    job.wants
        .iter()
        .map(|(profile, id)| {
            let check = match (&whole, &doc) {
                (_, Err(e)) => RefCheck::Failing(e.clone()),
                (Ok(text), Ok(None)) => {
                    non_empty(text.expose().trim_end_matches(['\n', '\r']), || format!("{path} ({id})"))
                }
                (_, Ok(Some(doc))) => match pointer_tokens(id).and_then(|t| lookup(doc, &t)) {
                    Some(v) => non_empty(v, || format!("{path} ({id})")),
                    None => RefCheck::Failing(RefFailure::NoValue { path: path.clone(), id: id.clone() }),
                },
                (Err(e), _) => RefCheck::Failing(e.clone()),
            };
            (profile.clone(), check)
        })
        .collect()
}

fn lookup<'v>(doc: &'v Value, tokens: &[String]) -> Option<&'v str> {
    let mut cur = doc;
    for t in tokens {
        cur = match cur {
            Value::Object(m) => m.get(t)?,
            Value::Array(a) => a.get(t.parse::<usize>().ok().filter(|_| t == "0" || !t.starts_with('0'))?)?,
            _ => return None,
        };
    }
    cur.as_str()
}

fn non_empty(value: &str, what: impl FnOnce() -> String) -> RefCheck {
    if value.trim().is_empty() {
        RefCheck::Failing(RefFailure::Empty(what()))
    } else {
        RefCheck::Ok(Secret::new(value))
    }
}

/// Whether the resolver may run: `Err` with why not, for every profile
/// that wanted something of it.
pub fn judge_resolver(job: &ExecJob, facts: Option<&PathFacts>) -> Result<(), Vec<(String, RefCheck)>> {
    let command = &job.decl.command;
    let failure = match facts {
        None => RefFailure::Absent(command.clone()),
        Some(f) => match exec_unsafety(f) {
            Some(why) => RefFailure::Unsafe { path: command.clone(), why },
            None => return Ok(()),
        },
    };
    Err(fail_all(job, &failure))
}

fn fail_all(job: &ExecJob, failure: &RefFailure) -> Vec<(String, RefCheck)> {
    job.wants.iter().map(|(p, _)| (p.clone(), RefCheck::Failing(failure.clone()))).collect()
}

/// Protocol v1's request: `{"protocolVersion":1,"provider":"<alias>","ids":[...]}`.
pub fn exec_request(job: &ExecJob) -> String {
    let mut ids: Vec<&str> = job.wants.iter().map(|(_, id)| id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    serde_json::json!({ "protocolVersion": PROTOCOL_VERSION, "provider": job.alias, "ids": ids }).to_string()
}

/// The resolver's whole environment: the `passEnv` variables we have, then
/// its `env` entries. Nothing else of ours reaches it.
pub fn exec_env(decl: &ExecDecl, env: &Env) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        decl.pass_env.iter().filter_map(|name| env.vars.get(name).map(|v| (name.clone(), v.clone()))).collect();
    for (k, v) in &decl.env {
        out.retain(|(name, _)| name != k);
        out.push((k.clone(), v.clone()));
    }
    out
}

/// What the resolver's run gives each profile that wanted something of it.
pub fn judge_run(job: &ExecJob, run: &ResolverRun) -> Vec<(String, RefCheck)> {
    let command = job.decl.command.clone();
    let stdout = match run {
        ResolverRun::TimedOut => return fail_all(job, &RefFailure::TimedOut { command, ms: job.decl.timeout_ms }),
        ResolverRun::TooMuchOutput => {
            return fail_all(job, &RefFailure::TooMuchOutput { command, limit: job.decl.max_output_bytes });
        }
        ResolverRun::Failed(kind) => return fail_all(job, &RefFailure::Unreadable { path: command, kind: *kind }),
        ResolverRun::Ended { status, .. } if status.code != Some(0) => {
            return fail_all(job, &RefFailure::Exited { command, status: *status });
        }
        ResolverRun::Ended { stdout, .. } => stdout,
    };
    let doc: Option<Value> = serde_json::from_str::<Value>(stdout.expose())
        .ok()
        .filter(|d| d.get("protocolVersion").and_then(Value::as_u64) == Some(PROTOCOL_VERSION));
    let distinct: std::collections::BTreeSet<&str> = job.wants.iter().map(|(_, id)| id.as_str()).collect();
    let Some(doc) = doc else {
        if !job.decl.json_only && distinct.len() == 1 {
            let plain = stdout.expose().trim_end_matches(['\n', '\r']);
            return job.wants.iter().map(|(p, id)| (p.clone(), non_empty(plain, || id.clone()))).collect();
        }
        return fail_all(job, &RefFailure::Protocol(command));
    };
    job.wants
        .iter()
        .map(|(profile, id)| {
            let value = doc.get("values").and_then(|v| v.get(id)).and_then(Value::as_str);
            let code = doc
                .get("errors")
                .and_then(|e| e.get(id))
                .map(|e| e.get("code").and_then(Value::as_str).map_or_else(|| "an error".to_string(), str::to_string));
            let check = match (value, code) {
                (Some(v), _) => non_empty(v, || id.clone()),
                (None, Some(code)) => RefCheck::Failing(RefFailure::Refused {
                    command: command.clone(),
                    id: id.clone(),
                    code: crate::escape::escape_control(&code).chars().take(64).collect(),
                }),
                (None, None) => RefCheck::Failing(RefFailure::Omitted { command: command.clone(), id: id.clone() }),
            };
            (profile.clone(), check)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::parse_store;

    fn store(profiles: &str) -> AuthStore {
        parse_store(format!(r#"{{"version":1,"profiles":{{{profiles}}}}}"#).as_bytes(), "s").unwrap().0
    }

    fn secrets(json: &str) -> SecretsConfig {
        crate::secrets::read_secrets(serde_json::from_str::<Value>(json).unwrap().as_object().unwrap()).0
    }

    fn facts(mode: u32) -> PathFacts {
        PathFacts { kind: PathKind::File, mode, links: 1, owner: Owner::Me }
    }

    fn ok(v: &str) -> RefCheck {
        RefCheck::Ok(Secret::new(v))
    }

    const KEY_REF: &str =
        r#""openai:ref":{"type":"api_key","provider":"openai","keyRef":{"source":"env","id":"OPENAI_KEY_A"}}"#;

    #[test]
    fn an_env_ref_reads_the_variable_or_fails_naming_it() {
        let s = store(KEY_REF);
        let env = Env::new("/h").with_var("OPENAI_KEY_A", "sk-FAKE-a");
        assert_eq!(plan(&s, &SecretsConfig::default(), &env, false).decided["openai:ref"], ok("sk-FAKE-a"));
        let missing = plan(&s, &SecretsConfig::default(), &Env::new("/h"), false);
        assert_eq!(
            missing.decided["openai:ref"],
            RefCheck::Failing(RefFailure::MissingVariable("OPENAI_KEY_A".into()))
        );
        let listed = secrets(r#"{"providers":{"default":{"source":"env","allowlist":["OTHER"]}}}"#);
        assert_eq!(
            plan(&s, &listed, &env, false).decided["openai:ref"],
            RefCheck::Failing(RefFailure::NotAllowed("OPENAI_KEY_A".into()))
        );
    }

    #[test]
    fn an_exec_ref_is_not_checked_unless_allowed_and_unknown_aliases_fail() {
        let s = store(
            r#""a:x":{"type":"token","provider":"a","tokenRef":{"source":"exec","provider":"pass","id":"a/x"}},
               "b:y":{"type":"api_key","provider":"b","keyRef":{"source":"file","provider":"nope","id":"/b"}},
               "c:z":{"type":"api_key","provider":"c","keyRef":{"source":"env","id":"lower"}},
               "d:o":{"type":"oauth","provider":"d","keyRef":{"source":"env","id":"X"}}"#,
        );
        let cfg = secrets(r#"{"providers":{"pass":{"source":"exec","command":"/r"}}}"#);
        let env = Env::new("/h");
        let p = plan(&s, &cfg, &env, false);
        assert_eq!(p.decided["a:x"], RefCheck::NotChecked);
        assert_eq!(p.decided["b:y"], RefCheck::Failing(RefFailure::UnknownProvider("nope".into())));
        assert!(matches!(p.decided["c:z"], RefCheck::Failing(RefFailure::Shape(RefShapeError::EnvId(_)))));
        assert!(!p.decided.contains_key("d:o"), "an OAuth login takes no ref");
        let p = plan(&s, &cfg, &env, true);
        assert_eq!(p.execs.len(), 1);
        assert_eq!(exec_request(&p.execs[0]), r#"{"protocolVersion":1,"provider":"pass","ids":["a/x"]}"#);
    }

    #[test]
    fn a_file_must_be_private_single_linked_owned_and_no_symlink() {
        let job = FileJob { path: "/s.json".into(), mode: FileMode::Json, wants: vec![("p".into(), "/k".into())] };
        let text = Some(Ok(Secret::new(r#"{"k":"sk-FAKE"}"#)));
        let found = |facts| SecretFileRead::Found { facts, text: text.clone() };
        assert_eq!(judge_file(&job, &found(facts(0o600))), vec![("p".into(), ok("sk-FAKE"))]);
        assert_eq!(judge_file(&job, &found(facts(0o400))), vec![("p".into(), ok("sk-FAKE"))]);
        let why = |f| match &judge_file(&job, &found(f))[0].1 {
            RefCheck::Failing(e) => e.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(why(facts(0o644)), "/s.json is readable or writable by group or others (mode 0644)");
        assert_eq!(why(PathFacts { links: 2, ..facts(0o600) }), "/s.json has 2 hard links");
        assert_eq!(why(PathFacts { kind: PathKind::Symlink, ..facts(0o600) }), "/s.json is a symlink");
        assert_eq!(why(PathFacts { owner: Owner::Other, ..facts(0o600) }), "/s.json is owned by another user");
        assert!(matches!(
            judge_file(&job, &found(PathFacts { owner: Owner::Root, ..facts(0o400) }))[0].1,
            RefCheck::Ok(_)
        ));
        let missing = FileJob { wants: vec![("p".into(), "/nope".into())], ..job.clone() };
        assert!(matches!(
            &judge_file(&missing, &found(facts(0o600)))[0].1,
            RefCheck::Failing(RefFailure::NoValue { .. })
        ));
        let single = FileJob { mode: FileMode::SingleValue, wants: vec![("p".into(), "value".into())], ..job };
        let read = SecretFileRead::Found { facts: facts(0o400), text: Some(Ok(Secret::new("sk-FAKE-1\n"))) };
        assert_eq!(judge_file(&single, &read), vec![("p".into(), ok("sk-FAKE-1"))]);
    }

    #[test]
    fn credentials_directory_expands_and_fails_when_unset() {
        let env = Env::new("/h").with_var("CREDENTIALS_DIRECTORY", "/run/credentials/clawdbot.service");
        assert_eq!(
            expand_path("$CREDENTIALS_DIRECTORY/openai", &env).unwrap(),
            "/run/credentials/clawdbot.service/openai"
        );
        assert_eq!(expand_path("${CREDENTIALS_DIRECTORY}/o", &env).unwrap(), "/run/credentials/clawdbot.service/o");
        assert_eq!(expand_path("$CREDENTIALS_DIRECTORY/o", &Env::new("/h")), Err(RefFailure::NoCredentialsDirectory));
        assert_eq!(expand_path("~/s.json", &env).unwrap(), "/h/s.json");
    }

    fn exec_job(json_only: bool, ids: &[&str]) -> ExecJob {
        let ProviderDecl::Exec(mut decl) = secrets(r#"{"providers":{"pass":{"source":"exec","command":"/r"}}}"#)
            .providers
            .shift_remove("pass")
            .unwrap()
        else {
            panic!()
        };
        decl.json_only = json_only;
        ExecJob { alias: "pass".into(), decl, wants: ids.iter().map(|i| (format!("p:{i}"), i.to_string())).collect() }
    }

    fn ended(code: i32, out: &str) -> ResolverRun {
        ResolverRun::Ended { status: ExitStatus { code: Some(code), signal: None }, stdout: Secret::new(out) }
    }

    #[test]
    fn protocol_v1_answers_values_and_errors_per_id() {
        let job = exec_job(true, &["a", "b", "c"]);
        let out = r#"{"protocolVersion":1,"values":{"a":"sk-FAKE-a"},"errors":{"b":{"code":"NOT_FOUND"}}}"#;
        let got = judge_run(&job, &ended(0, out));
        assert_eq!(got[0].1, ok("sk-FAKE-a"));
        assert_eq!(got[1].1.word(), "failing");
        let RefCheck::Failing(e) = &got[1].1 else { panic!() };
        assert_eq!(e.to_string(), "/r answered NOT_FOUND for b");
        assert!(matches!(got[2].1, RefCheck::Failing(RefFailure::Omitted { .. })));
        let RefCheck::Failing(e) = &judge_run(&job, &ended(0, "sk-FAKE-plain"))[0].1 else { panic!() };
        assert_eq!(e.to_string(), "/r did not answer in protocol v1 JSON", "no value in the message");
        let RefCheck::Failing(e) = &judge_run(&job, &ResolverRun::TimedOut)[0].1 else { panic!() };
        assert_eq!(e.to_string(), "/r did not answer within 5000 ms and was stopped");
        let RefCheck::Failing(e) = &judge_run(&job, &ResolverRun::TooMuchOutput)[0].1 else { panic!() };
        assert_eq!(e.to_string(), "/r printed more than 1048576 bytes and was stopped");
        let RefCheck::Failing(e) = &judge_run(&job, &ended(3, ""))[0].1 else { panic!() };
        assert_eq!(e.to_string(), "/r ended with exit status: 3");
        assert_eq!(judge_run(&exec_job(false, &["a"]), &ended(0, "sk-FAKE-plain\n"))[0].1, ok("sk-FAKE-plain"));
    }

    #[test]
    fn a_resolver_must_be_a_regular_file_no_one_else_may_change() {
        let job = exec_job(true, &["a"]);
        assert!(judge_resolver(&job, Some(&facts(0o755))).is_ok());
        assert!(judge_resolver(&job, Some(&PathFacts { owner: Owner::Root, ..facts(0o755) })).is_ok());
        let why = |f: Option<PathFacts>| match &judge_resolver(&job, f.as_ref()).unwrap_err()[0].1 {
            RefCheck::Failing(e) => e.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(why(Some(facts(0o775))), "/r is writable by group or others (mode 0775)");
        assert_eq!(why(Some(PathFacts { kind: PathKind::Symlink, ..facts(0o755) })), "/r is a symlink");
        assert_eq!(why(None), "/r does not exist");
    }

    #[test]
    fn the_resolver_gets_only_its_pass_env_and_env() {
        let mut job = exec_job(true, &["a"]);
        job.decl.pass_env = vec!["HOME".into(), "UNSET".into()];
        job.decl.env.insert("HOME".into(), "/override".into());
        let env = Env::new("/h").with_var("HOME", "/h").with_var("OPENAI_API_KEY", "sk-FAKE");
        assert_eq!(exec_env(&job.decl, &env), vec![("HOME".to_string(), "/override".to_string())]);
    }
}
