//! Codex CLI's `$CODEX_HOME/auth.json` (A13).
//!
//! The expiry is the access token's own JWT `exp`; only when that cannot be
//! read is it guessed (`last_refresh` + 1 h, then the file time + 1 h, then
//! `now` + 1 h), and the guess is reported.

use super::{ExternalLogin, jwt, oauth};
use crate::diag::{Diagnostic, Severity, kind_of, parse_json};
use crate::secret::Secret;
use crate::store::Credential;
use crate::time::{Expiry, HOUR, Millis};
use serde_json::Value;

/// The store profile Codex CLI's login is synced into.
pub const PROFILE_ID: &str = "openai-codex:codex-cli";
/// The provider of Codex CLI's login.
pub const PROVIDER: &str = "openai-codex";

/// What a Codex CLI `auth.json` holds.
#[derive(Debug)]
pub enum CodexRead {
    /// A login, with the problems found in the parts that were ignored.
    Login(ExternalLogin, Vec<Diagnostic>),
    /// A well-formed file with no ChatGPT login (no `tokens`).
    NoLogin(Diagnostic),
    /// Not usable: the diagnostic names the file and field.
    Broken(Diagnostic),
}

/// Reads auth.json. `mtime_ms` is the file's modification time if known.
pub fn read(bytes: &[u8], origin: &str, mtime_ms: Option<f64>, now: Millis) -> CodexRead {
    let root = match parse_json(bytes) {
        Ok(v) => v,
        Err(e) => return CodexRead::Broken(e.in_file(origin, Severity::Warning)),
    };
    let broken =
        |field: &str, message: String| CodexRead::Broken(Diagnostic::new(Severity::Warning, origin, message).at(field));
    let tokens = match root.get("tokens") {
        Some(Value::Object(t)) => t,
        None | Some(Value::Null) => {
            return CodexRead::NoLogin(
                Diagnostic::new(Severity::Info, origin, "holds no ChatGPT login (no tokens)").at("tokens"),
            );
        }
        Some(other) => return broken("tokens", format!("is {}, expected an object", kind_of(other))),
    };
    let string_field = |name: &str| match tokens.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) | None | Some(Value::Null) => Err("is missing".to_string()),
        Some(other) => Err(format!("is {}, expected a string", kind_of(other))),
    };
    let access = match string_field("access_token") {
        Ok(a) => a,
        Err(m) => return broken("tokens.access_token", m),
    };
    let refresh = match string_field("refresh_token") {
        Ok(r) => r,
        Err(m) => return broken("tokens.refresh_token", m),
    };
    let mut diagnostics = Vec::new();
    let claims = jwt::claims(&access);
    let expires = match claims.as_ref().and_then(jwt::expiry_ms) {
        Some(ms) => ms,
        None => {
            let guess = last_refresh_ms(&root).or(mtime_ms).unwrap_or(now as f64) + HOUR as f64;
            diagnostics.push(
                Diagnostic::new(
                    Severity::Info,
                    origin,
                    "has no readable expiry (exp) in the access token; assuming one hour after the last refresh",
                )
                .at("tokens.access_token"),
            );
            guess
        }
    };
    let account_id = match tokens.get("account_id") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => claims.as_ref().and_then(jwt::chatgpt_account_id),
    };
    let mut credential = oauth(PROVIDER, Secret::new(access), Secret::new(refresh), Expiry::from_ms(expires));
    if let Credential::OAuth(o) = &mut credential {
        o.account_id = account_id;
    }
    CodexRead::Login(ExternalLogin { profile_id: PROFILE_ID, credential, origin: origin.to_string() }, diagnostics)
}

/// Where Codex CLI keeps its login: `cli_auth_credentials_store` in
/// `$CODEX_HOME/config.toml` (Codex 0.171; `file` when absent, the
/// default its packaged builds ship).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// `auth.json` in `$CODEX_HOME`.
    File,
    /// The system keyring only; Codex deletes `auth.json` once it saved there.
    Keyring,
    /// The keyring first, `auth.json` when the keyring fails; a load falls
    /// back to the file.
    Auto,
    /// Codex's memory only, for the life of the process.
    Ephemeral,
}

/// Which keyring backend Codex uses: `[features] secret_auth_storage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyring {
    /// The login's JSON as the keyring item `Codex Auth` /
    /// `cli|<16 hex of sha256(CODEX_HOME)>`.
    Direct,
    /// An age-encrypted file under `$CODEX_HOME/secrets/`, its passphrase
    /// in the keyring.
    Secrets,
}

/// Codex's login storage settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreSetting {
    /// `cli_auth_credentials_store`.
    pub store: Store,
    /// The keyring backend, for `keyring` and `auto`.
    pub keyring: Keyring,
}

impl Default for StoreSetting {
    fn default() -> Self {
        StoreSetting { store: Store::File, keyring: Keyring::Direct }
    }
}

/// The setting `cli_auth_credentials_store` names, as it is spelt.
pub const STORE_KEY: &str = "cli_auth_credentials_store";

/// Reads Codex's `config.toml` (`origin` names it) for where it keeps its
/// login. A file that is not TOML, or a value Codex does not take, gives
/// the default (`file`) with a diagnostic naming the file and key.
pub fn store_setting(bytes: &[u8], origin: &str) -> (StoreSetting, Option<Diagnostic>) {
    let warn = |field: &str, message: String| Some(Diagnostic::new(Severity::Warning, origin, message).at(field));
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.trim_start_matches('\u{feff}'),
        Err(_) => return (StoreSetting::default(), warn("the top level", "is not UTF-8 text".into())),
    };
    let table = match text.parse::<toml::Table>() {
        Ok(table) => table,
        Err(e) => {
            let at = e.span().map(|span| format!(" (at byte {})", span.start)).unwrap_or_default();
            let message = format!("is not valid TOML{at}; where Codex keeps its login is not known");
            return (StoreSetting::default(), warn("the top level", message));
        }
    };
    let keyring = match table.get("features").and_then(|f| f.get("secret_auth_storage")) {
        Some(toml::Value::Boolean(true)) => Keyring::Secrets,
        _ => Keyring::Direct,
    };
    let store = match table.get(STORE_KEY) {
        None => Store::File,
        Some(toml::Value::String(s)) => match s.as_str() {
            "file" => Store::File,
            "keyring" => Store::Keyring,
            "auto" => Store::Auto,
            "ephemeral" => Store::Ephemeral,
            other => {
                let shown: String = other.chars().filter(|c| !c.is_control()).take(40).collect();
                let message = format!("is \"{shown}\", which Codex does not take (file, keyring, auto, ephemeral)");
                return (StoreSetting { store: Store::File, keyring }, warn(STORE_KEY, message));
            }
        },
        Some(other) => {
            let message = format!("is a {}, expected a string", other.type_str());
            return (StoreSetting { store: Store::File, keyring }, warn(STORE_KEY, message));
        }
    };
    (StoreSetting { store, keyring }, None)
}

/// The keyring account Codex files the login of `codex_home` under:
/// `cli|` and the first 16 hex digits of SHA-256 over the folder's path
/// (Codex takes its canonical path; this is the path as given).
pub fn keyring_account(codex_home: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(codex_home.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("cli|{hex}")
}

fn last_refresh_ms(root: &Value) -> Option<f64> {
    let raw = root.get("last_refresh")?.as_str()?;
    let t = chrono::DateTime::parse_from_rfc3339(raw).ok()?;
    Some(t.timestamp_millis() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "~/.codex/auth.json";
    const NOW: Millis = 1767225600000;

    #[test]
    fn expiry_comes_from_the_jwt() {
        let text = br#"{"tokens":{"access_token":"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJleHAiOjE3NjgwODk2MDAsImh0dHBzOi8vYXBpLm9wZW5haS5jb20vYXV0aCI6eyJjaGF0Z3B0X2FjY291bnRfaWQiOiJhY2N0LUZBS0UifX0.FAKESIG","refresh_token":"rt_FAKE"}}"#;
        let CodexRead::Login(l, d) = read(text, FILE, Some(1.0), NOW) else { panic!() };
        assert!(d.is_empty());
        let Credential::OAuth(o) = l.credential else { panic!() };
        assert_eq!(o.expires.unwrap().ms(), 1768089600000.0);
        assert_eq!(o.account_id.as_deref(), Some("acct-FAKE"));
    }

    #[test]
    fn falls_back_to_last_refresh_then_mtime_then_now() {
        let with_last =
            br#"{"tokens":{"access_token":"not.a!!.jwt","refresh_token":"rt"},"last_refresh":"2026-01-01T00:00:00Z"}"#;
        let CodexRead::Login(l, d) = read(with_last, FILE, Some(5.0), NOW) else { panic!() };
        assert_eq!(l.credential.expires().unwrap().ms(), (NOW + HOUR) as f64);
        assert_eq!(d.len(), 1);
        let bare = br#"{"tokens":{"access_token":"x","refresh_token":"rt"}}"#;
        let CodexRead::Login(l, _) = read(bare, FILE, Some(1000.0), NOW) else { panic!() };
        assert_eq!(l.credential.expires().unwrap().ms(), 1000.0 + HOUR as f64);
        let CodexRead::Login(l, _) = read(bare, FILE, None, NOW) else { panic!() };
        assert_eq!(l.credential.expires().unwrap().ms(), (NOW + HOUR) as f64);
    }

    #[test]
    fn the_store_setting_is_read_from_config_toml() {
        let read = |text: &str| store_setting(text.as_bytes(), "~/.codex/config.toml");
        assert_eq!(read(""), (StoreSetting::default(), None));
        assert_eq!(read("model = \"o3\"\n").0.store, Store::File);
        let keyring =
            read("# where\ncli_auth_credentials_store = \"keyring\"\n[features]\nsecret_auth_storage = true\n");
        assert_eq!(keyring, (StoreSetting { store: Store::Keyring, keyring: Keyring::Secrets }, None));
        assert_eq!(read("cli_auth_credentials_store = 'auto'").0.store, Store::Auto);
        assert_eq!(read("cli_auth_credentials_store = \"ephemeral\"").0.store, Store::Ephemeral);
        assert_eq!(read("cli_auth_credentials_store = \"file\"").0.store, Store::File);
        // A table after the key does not hide it; one before it owns it.
        assert_eq!(read("[profiles.x]\ncli_auth_credentials_store = \"keyring\"").0.store, Store::File);
        let (setting, d) = read("cli_auth_credentials_store = \"vault\"");
        assert_eq!(setting.store, Store::File);
        let d = d.expect("a diagnostic");
        assert_eq!((d.field.as_deref(), d.file.as_str()), (Some("cli_auth_credentials_store"), "~/.codex/config.toml"));
        assert!(d.message.contains("\"vault\", which Codex does not take"), "{}", d.message);
        let (_, d) = read("cli_auth_credentials_store = 3");
        assert!(d.expect("a diagnostic").message.contains("expected a string"));
        let (setting, d) = read("cli_auth_credentials_store = \"keyring");
        assert_eq!(setting, StoreSetting::default());
        assert!(d.expect("a diagnostic").message.starts_with("is not valid TOML"));
        assert!(read("\u{feff}cli_auth_credentials_store = \"keyring\"").1.is_none(), "a byte-order mark");
        assert!(store_setting(b"\xff", "c").1.is_some());
    }

    /// Computed apart with Python's hashlib.
    #[test]
    fn the_keyring_account_hashes_the_folder() {
        assert_eq!(keyring_account("/home/me/.codex"), "cli|7616cc814b62d7d6");
    }

    #[test]
    fn missing_tokens_is_no_login_and_missing_refresh_is_broken() {
        assert!(matches!(read(br#"{"OPENAI_API_KEY":null}"#, FILE, None, NOW), CodexRead::NoLogin(_)));
        match read(br#"{"tokens":{"access_token":"a"}}"#, FILE, None, NOW) {
            CodexRead::Broken(d) => assert_eq!(d.field.as_deref(), Some("tokens.refresh_token")),
            other => panic!("{other:?}"),
        }
    }
}
