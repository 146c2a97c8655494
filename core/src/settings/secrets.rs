//! `secrets` in `clawdbot.json`: the providers SecretRefs name
//! (`secrets.providers.<alias>`), the default alias of each source
//! (`secrets.defaults.<source>`) and the exec switch (`secrets.allowExec`).
//!
//! ```json5
//! secrets: {
//!   providers: {
//!     default: { source: "env", allowlist: ["OPENAI_API_KEY"] },
//!     creds: { source: "file", path: "$CREDENTIALS_DIRECTORY/openai", mode: "singleValue" },
//!     pass: { source: "exec", command: "/usr/local/bin/pass-resolver", passEnv: ["HOME", "PATH"] },
//!   },
//!   defaults: { exec: "pass" },
//! }
//! ```

use crate::secret_ref::{RefSource, SecretRef, is_alias};
use crate::store::OrderedMap;
use serde_json::Value;

/// The alias a ref without `provider` names, unless `secrets.defaults`
/// says otherwise.
pub const DEFAULT_ALIAS: &str = "default";
/// The longest an exec resolver may run, and its default: 5 s.
pub const MAX_EXEC_TIMEOUT_MS: u64 = 5_000;
/// The most a resolver may print, and the largest secrets file read: 1 MiB.
pub const MAX_SECRET_BYTES: u64 = 1024 * 1024;
/// A file provider's path may start with this variable, set by systemd for
/// a service with `LoadCredential=` / `LoadCredentialEncrypted=`.
pub const CREDENTIALS_DIRECTORY: &str = "CREDENTIALS_DIRECTORY";

/// `secrets` as configured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SecretsConfig {
    /// `secrets.providers`, by alias, in file order.
    pub providers: OrderedMap<ProviderDecl>,
    /// `secrets.defaults.env|file|exec`.
    pub defaults: OrderedMap<String>,
    /// `secrets.allowExec: true`: exec refs run without `--allow-exec`.
    pub allow_exec: bool,
}

/// How a file provider's file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    /// A JSON document; ids are JSON pointers into it.
    Json,
    /// The whole file is one value (id `value`), without its final line end.
    SingleValue,
}

/// One `secrets.providers.<alias>` entry.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderDecl {
    /// `{source: "env", allowlist?}`.
    Env {
        /// Only these variables may be named; `None`: any.
        allowlist: Option<Vec<String>>,
    },
    /// `{source: "file", path, mode}`.
    File {
        /// The file, as written (`~` and `$CREDENTIALS_DIRECTORY/` expand).
        path: String,
        /// How it is read.
        mode: FileMode,
    },
    /// `{source: "exec", command, args?, passEnv?, env?, jsonOnly?, timeoutMs?, maxOutputBytes?}`.
    Exec(ExecDecl),
    /// An entry that cannot be used (why); refs to it fail with that.
    Invalid(String),
}

/// An exec provider.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecDecl {
    /// The absolute path of the resolver (run without a shell).
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Variables of our environment it is given (nothing else is).
    pub pass_env: Vec<String>,
    /// Variables set for it.
    pub env: OrderedMap<String>,
    /// `jsonOnly` (default true): stdout must be a protocol v1 answer;
    /// false: with one id, plain stdout is the value.
    pub json_only: bool,
    /// How long it may run, at most [`MAX_EXEC_TIMEOUT_MS`].
    pub timeout_ms: u64,
    /// How much it may print, at most [`MAX_SECRET_BYTES`].
    pub max_output_bytes: u64,
}

impl ProviderDecl {
    /// The source it serves; `None` for an invalid entry.
    pub fn source(&self) -> Option<RefSource> {
        match self {
            ProviderDecl::Env { .. } => Some(RefSource::Env),
            ProviderDecl::File { .. } => Some(RefSource::File),
            ProviderDecl::Exec(_) => Some(RefSource::Exec),
            ProviderDecl::Invalid(_) => None,
        }
    }
}

impl SecretsConfig {
    /// The alias a ref names: its own, else the source's default.
    pub fn alias_of<'a>(&'a self, r: &'a SecretRef) -> &'a str {
        r.provider
            .as_deref()
            .or_else(|| self.defaults.get(r.source.as_str()).map(String::as_str))
            .unwrap_or(DEFAULT_ALIAS)
    }
}

/// Reads `secrets`; each entry that cannot be used is a warning
/// (`(field, message)`) and an [`ProviderDecl::Invalid`] entry.
pub fn read_secrets(secrets: &serde_json::Map<String, Value>) -> (SecretsConfig, Vec<(String, String)>) {
    let mut cfg = SecretsConfig::default();
    let mut warnings = Vec::new();
    cfg.allow_exec = secrets.get("allowExec").and_then(Value::as_bool).unwrap_or(false);
    if let Some(Value::Object(defaults)) = secrets.get("defaults") {
        for (source, alias) in defaults {
            match (RefSource::parse(source), alias.as_str()) {
                (Some(_), Some(a)) if is_alias(a) => {
                    cfg.defaults.insert(source.clone(), a.to_string());
                }
                _ => warnings.push((
                    format!("secrets.defaults.{source}"),
                    "is not a provider alias of env, file or exec; ignored".to_string(),
                )),
            }
        }
    }
    if let Some(Value::Object(providers)) = secrets.get("providers") {
        for (alias, entry) in providers {
            let field = format!("secrets.providers.{alias}");
            let decl = if is_alias(alias) {
                provider_decl(entry)
            } else {
                ProviderDecl::Invalid("its alias is not a lower-case name".into())
            };
            if let ProviderDecl::Invalid(why) = &decl {
                warnings.push((field, format!("cannot be used: {why}")));
            }
            cfg.providers.insert(alias.clone(), decl);
        }
    }
    (cfg, warnings)
}

fn provider_decl(entry: &Value) -> ProviderDecl {
    let Value::Object(e) = entry else { return ProviderDecl::Invalid("it is not an object".into()) };
    let text = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
    let texts = |k: &str| -> Option<Vec<String>> {
        e.get(k)?.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
    };
    let bounded = |k: &str, max: u64| e.get(k).and_then(Value::as_u64).filter(|n| *n > 0).map_or(max, |n| n.min(max));
    match text("source").as_deref().and_then(RefSource::parse) {
        Some(RefSource::Env) => ProviderDecl::Env { allowlist: texts("allowlist") },
        Some(RefSource::File) => {
            let Some(path) = text("path").filter(|p| !p.trim().is_empty()) else {
                return ProviderDecl::Invalid("a file provider needs a path".into());
            };
            let mode = match text("mode").as_deref() {
                None | Some("json") => FileMode::Json,
                Some("singleValue") => FileMode::SingleValue,
                Some(_) => return ProviderDecl::Invalid("mode must be \"json\" or \"singleValue\"".into()),
            };
            ProviderDecl::File { path, mode }
        }
        Some(RefSource::Exec) => {
            let Some(command) = text("command").filter(|c| c.starts_with('/')) else {
                return ProviderDecl::Invalid("an exec provider needs an absolute command path".into());
            };
            let mut env = OrderedMap::default();
            if let Some(Value::Object(vars)) = e.get("env") {
                for (k, v) in vars {
                    if let Some(v) = v.as_str() {
                        env.insert(k.clone(), v.to_string());
                    }
                }
            }
            ProviderDecl::Exec(ExecDecl {
                command,
                args: texts("args").unwrap_or_default(),
                pass_env: texts("passEnv").unwrap_or_default(),
                env,
                json_only: e.get("jsonOnly").and_then(Value::as_bool).unwrap_or(true),
                timeout_ms: bounded("timeoutMs", MAX_EXEC_TIMEOUT_MS),
                max_output_bytes: bounded("maxOutputBytes", MAX_SECRET_BYTES),
            })
        }
        None => ProviderDecl::Invalid("source must be \"env\", \"file\" or \"exec\"".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> (SecretsConfig, Vec<(String, String)>) {
        read_secrets(v.as_object().unwrap())
    }

    #[test]
    fn providers_defaults_and_bounds_are_read() {
        let (cfg, warnings) = read(json!({
            "providers": {
                "default": {"source": "env", "allowlist": ["OPENAI_API_KEY"]},
                "creds": {"source": "file", "path": "$CREDENTIALS_DIRECTORY/openai", "mode": "singleValue"},
                "pass": {"source": "exec", "command": "/usr/bin/r", "timeoutMs": 60000, "maxOutputBytes": 10},
                "rel": {"source": "exec", "command": "r"},
                "Bad": {"source": "env"}
            },
            "defaults": {"exec": "pass", "file": "No Alias"},
            "allowExec": true
        }));
        assert!(cfg.allow_exec);
        assert_eq!(cfg.providers["default"], ProviderDecl::Env { allowlist: Some(vec!["OPENAI_API_KEY".into()]) });
        assert!(matches!(&cfg.providers["creds"], ProviderDecl::File { mode: FileMode::SingleValue, .. }));
        let ProviderDecl::Exec(pass) = &cfg.providers["pass"] else { panic!() };
        assert_eq!((pass.timeout_ms, pass.max_output_bytes, pass.json_only), (5_000, 10, true), "5 s is the most");
        assert!(matches!(cfg.providers["rel"], ProviderDecl::Invalid(_)));
        assert!(matches!(cfg.providers["Bad"], ProviderDecl::Invalid(_)));
        let fields: Vec<&str> = warnings.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["secrets.defaults.file", "secrets.providers.rel", "secrets.providers.Bad"]);
        let r = SecretRef { source: RefSource::Exec, provider: None, id: "x".into() };
        assert_eq!(cfg.alias_of(&r), "pass", "secrets.defaults.exec");
        let env = SecretRef::parse_flag("env:K").unwrap();
        assert_eq!(cfg.alias_of(&env), "default");
    }
}
