//! SecretRefs: a profile's pointer to a key kept elsewhere (OpenClaw's
//! `secretref-contract`).
//!
//! A ref is `{ "source": "env" | "file" | "exec", "provider": "<alias>",
//! "id": "..." }`, in an `api_key` profile's `keyRef` or a `token`
//! profile's `tokenRef`. OAuth profiles never take one: their tokens
//! rotate. The ref stays in the profile's unknown fields exactly as read,
//! so every rewrite of the store keeps it byte for byte; this module reads
//! it from there and checks its grammar.

use crate::store::{Credential, Profile};
use serde_json::{Map, Value};
use std::fmt;

/// Where a ref's value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefSource {
    /// An environment variable of the process.
    Env,
    /// A file (a JSON document, or one value).
    File,
    /// A resolver program speaking protocol v1.
    Exec,
}

impl RefSource {
    /// The `source` value as the contract spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RefSource::Env => "env",
            RefSource::File => "file",
            RefSource::Exec => "exec",
        }
    }

    /// The source a `source` value names.
    pub fn parse(s: &str) -> Option<RefSource> {
        match s {
            "env" => Some(RefSource::Env),
            "file" => Some(RefSource::File),
            "exec" => Some(RefSource::Exec),
            _ => None,
        }
    }
}

/// One ref, its grammar checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretRef {
    /// Where the value lives.
    pub source: RefSource,
    /// The provider alias (`secrets.providers.<alias>`); `None`: the
    /// source's default (`secrets.defaults.<source>`, else `default`).
    pub provider: Option<String>,
    /// What to look up: a variable name, a JSON pointer or `value`, a
    /// resolver's id.
    pub id: String,
}

impl fmt::Display for SecretRef {
    /// `source:alias:id`, the shorthand `--ref` takes (no value in it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.provider {
            Some(p) => write!(f, "{}:{}:{}", self.source.as_str(), p, self.id),
            None => write!(f, "{}:{}", self.source.as_str(), self.id),
        }
    }
}

/// Why a ref cannot be used as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefShapeError {
    /// The ref is not an object (what it is).
    #[error("the ref is {0}, expected an object")]
    NotAnObject(&'static str),
    /// `source` is missing or not `env`, `file` or `exec`.
    #[error("the ref's source must be \"env\", \"file\" or \"exec\"")]
    Source,
    /// `provider` does not match `^[a-z][a-z0-9_-]{{0,63}}$`.
    #[error("the ref's provider alias \"{0}\" must be a lower-case letter then up to 63 of a-z, 0-9, _ and -")]
    Alias(String),
    /// `id` is missing or not a string.
    #[error("the ref has no id")]
    NoId,
    /// An env id that is not a variable name `^[A-Z][A-Z0-9_]{{0,127}}$`.
    #[error("the env ref's id \"{0}\" must be an upper-case variable name")]
    EnvId(String),
    /// A file id that is neither an absolute JSON pointer nor `value`.
    #[error("the file ref's id \"{0}\" must be an absolute JSON pointer (\"/a/b\") or \"value\"")]
    FileId(String),
    /// An exec id outside `^[A-Za-z0-9][A-Za-z0-9._:/#-]{{0,255}}$`, or
    /// with a `.` or `..` segment.
    #[error("the exec ref's id \"{0}\" must be 1-256 of A-Z, a-z, 0-9 and ._:/#- with no . or .. segment")]
    ExecId(String),
    /// `--ref` text that is neither a JSON ref nor `source:alias:id`.
    #[error("the ref \"{0}\" is neither a JSON ref nor source:alias:id")]
    Shorthand(String),
}

/// Whether `s` is a provider alias: `^[a-z][a-z0-9_-]{0,63}$`.
pub fn is_alias(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

/// Whether `s` is an env ref's id: `^[A-Z][A-Z0-9_]{0,127}$`.
pub fn is_env_id(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && b[0].is_ascii_uppercase()
        && b.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
}

/// Whether `s` is a file ref's id: `value`, or an absolute JSON pointer
/// (RFC 6901: `/`-separated, `~` only as `~0` or `~1`).
pub fn is_file_id(s: &str) -> bool {
    s == SINGLE_VALUE_ID || (s.starts_with('/') && pointer_tokens(s).is_some())
}

/// Whether `s` is an exec ref's id: `^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,255}$`
/// with no `.` or `..` segment.
pub fn is_exec_id(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 256
        && b[0].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || b"._:/#-".contains(c))
        && s.split('/').all(|seg| seg != "." && seg != "..")
}

/// The id of a `singleValue` file's one value.
pub const SINGLE_VALUE_ID: &str = "value";

/// The reference tokens of an absolute JSON pointer, unescaped; `None`
/// when it is not one (a `~` not followed by `0` or `1`).
pub fn pointer_tokens(pointer: &str) -> Option<Vec<String>> {
    let rest = pointer.strip_prefix('/')?;
    rest.split('/')
        .map(|t| {
            let mut out = String::with_capacity(t.len());
            let mut chars = t.chars();
            while let Some(c) = chars.next() {
                match c {
                    '~' => match chars.next() {
                        Some('0') => out.push('~'),
                        Some('1') => out.push('/'),
                        _ => return None,
                    },
                    c => out.push(c),
                }
            }
            Some(out)
        })
        .collect()
}

impl SecretRef {
    /// Reads a ref from its JSON form, checking the grammar.
    pub fn from_json(value: &Value) -> Result<SecretRef, RefShapeError> {
        let Value::Object(m) = value else { return Err(RefShapeError::NotAnObject(crate::diag::kind_of(value))) };
        Self::from_map(m)
    }

    fn from_map(m: &Map<String, Value>) -> Result<SecretRef, RefShapeError> {
        let source = m.get("source").and_then(Value::as_str).and_then(RefSource::parse).ok_or(RefShapeError::Source)?;
        let provider = match m.get("provider") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) => Some(p.clone()),
            Some(other) => return Err(RefShapeError::Alias(crate::diag::kind_of(other).into())),
        };
        let id = m.get("id").and_then(Value::as_str).ok_or(RefShapeError::NoId)?.to_string();
        SecretRef { source, provider, id }.checked()
    }

    /// The ref if its alias and id fit the grammar of its source.
    pub fn checked(self) -> Result<SecretRef, RefShapeError> {
        if let Some(p) = &self.provider
            && !is_alias(p)
        {
            return Err(RefShapeError::Alias(crate::escape::escape_control(p).into_owned()));
        }
        let shown = || crate::escape::escape_control(&self.id).into_owned();
        match self.source {
            RefSource::Env if !is_env_id(&self.id) => Err(RefShapeError::EnvId(shown())),
            RefSource::File if !is_file_id(&self.id) => Err(RefShapeError::FileId(shown())),
            RefSource::Exec if !is_exec_id(&self.id) => Err(RefShapeError::ExecId(shown())),
            _ => Ok(self),
        }
    }

    /// Reads `--ref`: a JSON ref, or the shorthand `env:NAME`,
    /// `env:alias:NAME`, `file:alias` (a `singleValue` file),
    /// `file:alias:/pointer`, `exec:alias:id`.
    pub fn parse_flag(text: &str) -> Result<SecretRef, RefShapeError> {
        let text = text.trim();
        if text.starts_with('{') {
            let value: Value = serde_json::from_str(text).map_err(|_| RefShapeError::Shorthand(shorten(text)))?;
            return SecretRef::from_json(&value);
        }
        let Some((source, rest)) = text.split_once(':') else { return Err(RefShapeError::Shorthand(shorten(text))) };
        let source = RefSource::parse(source).ok_or_else(|| RefShapeError::Shorthand(shorten(text)))?;
        let (provider, id) = match (source, rest.split_once(':')) {
            (RefSource::Env, None) => (None, rest.to_string()),
            (RefSource::File, None) => (Some(rest.to_string()), SINGLE_VALUE_ID.to_string()),
            (RefSource::Exec, None) => return Err(RefShapeError::Shorthand(shorten(text))),
            (_, Some((alias, id))) => (Some(alias.to_string()), id.to_string()),
        };
        SecretRef { source, provider, id }.checked()
    }

    /// The JSON form stored in a profile (the default alias left out).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("source".into(), Value::String(self.source.as_str().into()));
        if let Some(p) = &self.provider {
            m.insert("provider".into(), Value::String(p.clone()));
        }
        m.insert("id".into(), Value::String(self.id.clone()));
        Value::Object(m)
    }
}

/// A flag's text as an error shows it: escaped, and cut short (it may be
/// a pasted key by mistake, so only its start is shown).
fn shorten(text: &str) -> String {
    let head: String = text.chars().take(12).collect();
    let more = if text.chars().count() > 12 { "..." } else { "" };
    format!("{}{more}", crate::escape::escape_control(&head))
}

/// The field a credential kind keeps its ref in: `keyRef` for an API key,
/// `tokenRef` for a token, none for OAuth.
pub fn ref_field(credential: &Credential) -> Option<&'static str> {
    match credential {
        Credential::ApiKey(_) => Some("keyRef"),
        Credential::Token(_) => Some("tokenRef"),
        Credential::OAuth(_) => None,
    }
}

/// The ref a profile holds, as read: `None` when it has none (or is an
/// OAuth login, which never takes one); `Some(Err)` when its ref is
/// malformed (it still beats the plain value: a broken ref fails closed).
pub fn profile_ref(profile: &Profile) -> Option<Result<SecretRef, RefShapeError>> {
    let field = ref_field(&profile.credential)?;
    match profile.extra.get(field)? {
        Value::Null => None,
        v => Some(SecretRef::from_json(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_grammar_of_aliases_and_ids() {
        assert!(is_alias("default") && is_alias("a") && is_alias("my_vault-2"));
        assert!(!is_alias("") && !is_alias("Vault") && !is_alias("1pw") && !is_alias(&"a".repeat(65)));
        assert!(is_alias(&"a".repeat(64)));
        assert!(is_env_id("OPENAI_API_KEY") && is_env_id("K") && is_env_id(&"K".repeat(128)));
        assert!(!is_env_id("openai") && !is_env_id("_K") && !is_env_id("1K") && !is_env_id(&"K".repeat(129)));
        assert!(is_file_id("value") && is_file_id("/providers/openai/apiKey") && is_file_id("/a~1b/c~0d"));
        assert!(!is_file_id("providers/openai") && !is_file_id("/a~2") && !is_file_id("Value"));
        assert_eq!(pointer_tokens("/a~1b/c~0d"), Some(vec!["a/b".to_string(), "c~d".to_string()]));
        assert!(is_exec_id("openai/api-key") && is_exec_id("op://vault/item#field") && is_exec_id("a.b"));
        assert!(!is_exec_id("a/../b") && !is_exec_id("a/./b") && !is_exec_id("-a") && !is_exec_id("a b"));
        assert!(!is_exec_id("a/..") && is_exec_id(&"a".repeat(256)) && !is_exec_id(&"a".repeat(257)));
    }

    #[test]
    fn a_ref_reads_from_json_and_its_shorthand() {
        let r = SecretRef::from_json(&json!({"source":"exec","provider":"pass","id":"openai/key"})).unwrap();
        assert_eq!(r.to_string(), "exec:pass:openai/key");
        assert_eq!(SecretRef::parse_flag("exec:pass:openai/key").unwrap(), r);
        assert_eq!(SecretRef::parse_flag(r#"{"source":"exec","provider":"pass","id":"openai/key"}"#).unwrap(), r);
        let env = SecretRef::parse_flag("env:OPENAI_API_KEY").unwrap();
        assert_eq!((env.source, env.provider.as_deref(), env.id.as_str()), (RefSource::Env, None, "OPENAI_API_KEY"));
        let file = SecretRef::parse_flag("file:creds").unwrap();
        assert_eq!((file.provider.as_deref(), file.id.as_str()), (Some("creds"), "value"));
        assert_eq!(SecretRef::parse_flag("file:creds:/openai").unwrap().id, "/openai");
        assert_eq!(file.to_json(), json!({"source":"file","provider":"creds","id":"value"}));
    }

    #[test]
    fn a_ref_off_the_grammar_is_refused_without_echoing_a_pasted_key() {
        assert_eq!(SecretRef::from_json(&json!("x")), Err(RefShapeError::NotAnObject("a string")));
        assert_eq!(SecretRef::from_json(&json!({"source":"vault","id":"X"})), Err(RefShapeError::Source));
        assert_eq!(SecretRef::from_json(&json!({"source":"env"})), Err(RefShapeError::NoId));
        assert!(matches!(SecretRef::parse_flag("env:openai"), Err(RefShapeError::EnvId(_))));
        assert!(matches!(SecretRef::parse_flag("exec:Pass:x"), Err(RefShapeError::Alias(_))));
        assert!(matches!(SecretRef::parse_flag("exec:pass"), Err(RefShapeError::Shorthand(_))));
        let e = SecretRef::parse_flag("sk-FAKE-0123456789abcdef").unwrap_err().to_string();
        assert!(!e.contains("0123456789abcdef"), "{e}");
    }
}
