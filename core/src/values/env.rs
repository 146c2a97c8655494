//! The environment facts the rules read, as the host collected them:
//! variables, HOME, the working directory, the user's name. On the ground
//! floor, so every layer that resolves a path can take it.
//!
//! Paths are plain `/`-joined strings: the native host passes the real
//! HOME, the browser and the sandbox pass `~`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The environment facts the rules read. Hosts collect them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Env {
    /// The process environment, by name; only the variables the rules read
    /// matter. Shared: an environment is copied into every location and
    /// load, and a change (a `.env` file, the shell fallback) copies the
    /// map first (`Arc::make_mut`).
    pub vars: Arc<BTreeMap<String, String>>,
    /// The user's home folder (`~` in hosts that have none).
    pub home: String,
    /// The working directory, to resolve relative overrides.
    pub cwd: Option<String>,
    /// The current user's name in the user database (passwd), for when
    /// `$USER` is unset (cron, launchd); `None` where the host has none.
    pub login_name: Option<String>,
    /// The host has a system Keychain (macOS). Whether it is read is the
    /// core's rule: [`Env::keychain_in_use`].
    pub system_keychain: bool,
    /// Of the folders the core asks about (`paths::folders_to_check`:
    /// HOME and the state folder), those the host found to be something
    /// else, or under something else: no file can be under them. Empty
    /// where the host has no disk to look at.
    pub not_folders: BTreeSet<String>,
}

/// The user's home folder, which a host reads to fill [`Env::home`].
pub const HOME_ENV: &str = "HOME";

/// Whether the Keychain is read: `off` never, `security` through the first
/// `security` on `PATH` even off macOS (for tests with a fake one); unset,
/// where the host has one.
pub const KEYCHAIN_ENV: &str = "CLAWDBOT_KEYCHAIN";

impl Env {
    /// An environment with only a home folder: no variables, no working
    /// directory.
    pub fn new(home: impl Into<String>) -> Self {
        Env {
            vars: Arc::default(),
            home: home.into(),
            cwd: None,
            login_name: None,
            system_keychain: false,
            not_folders: BTreeSet::new(),
        }
    }

    /// The same environment with `name` set to `value` (tests and hosts
    /// building one up).
    pub fn with_var(mut self, name: &str, value: &str) -> Self {
        Arc::make_mut(&mut self.vars).insert(name.to_string(), value.to_string());
        self
    }

    /// A variable's trimmed value; empty counts as unset, as in the reference.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// The user's name: `$USER` when it is non-empty, else the user
    /// database's name (what node's `os.userInfo().username` returns).
    pub fn user_name(&self) -> Option<&str> {
        match self.vars.get("USER") {
            Some(user) if !user.is_empty() => Some(user),
            _ => self.login_name.as_deref(),
        }
    }

    /// Whether Keychain items are read at all (a command that may not read
    /// them never asks, whatever this says).
    pub fn keychain_in_use(&self) -> bool {
        match self.get(KEYCHAIN_ENV) {
            Some("off") => false,
            Some("security") => true,
            _ => self.system_keychain,
        }
    }

    /// Whether the variable is set at all, even to an empty string.
    pub fn is_set(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// Expands a leading `~` and makes a relative path absolute.
    pub fn resolve(&self, raw: &str) -> String {
        let raw = raw.trim();
        if raw == "~" {
            return self.home.clone();
        }
        if let Some(rest) = raw.strip_prefix("~/") {
            return join(&self.home, rest);
        }
        if raw.starts_with('/') || self.cwd.is_none() {
            return normalize(raw);
        }
        join(self.cwd.as_deref().unwrap_or(""), raw)
    }

    /// The folder of `not_folders` that `path` is, or is under.
    pub fn beyond_reach(&self, path: &str) -> Option<&str> {
        self.not_folders.iter().map(String::as_str).find(|folder| {
            path.strip_prefix(folder.trim_end_matches('/')).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }

    /// `$HOME/x` shown as `~/x` (the reference's `shortenHomePath`).
    pub fn shorten(&self, path: &str) -> String {
        if self.home == "~" || self.home.is_empty() {
            return path.to_string();
        }
        let home = self.home.trim_end_matches('/');
        match path.strip_prefix(home) {
            Some("") => "~".to_string(),
            Some(rest) if rest.starts_with('/') => {
                // By hand, not `format!`: every line of every agent's
                // report shows a path.
                let mut short = String::with_capacity(1 + rest.len());
                short.push('~');
                short.push_str(rest);
                short
            }
            _ => path.to_string(),
        }
    }
}

/// Joins two path pieces with exactly one `/`, dropping `.` segments.
pub fn join(base: &str, rest: &str) -> String {
    let base = base.trim_end_matches('/');
    let rest = rest.trim_start_matches('/');
    if rest.is_empty() {
        return base.to_string();
    }
    let mut path = String::with_capacity(base.len() + 1 + rest.len());
    path.push_str(base);
    path.push('/');
    path.push_str(rest);
    match is_normal(&path) {
        true => path,
        false => take_apart(&path),
    }
}

/// Removes `.` segments, `..` against a real parent, and doubled slashes.
fn normalize(path: &str) -> String {
    match is_normal(path) {
        true => path.to_string(),
        false => take_apart(path),
    }
}

/// Whether `path` has none of what [`normalize`] removes: most paths (every
/// location of every agent is joined here) come back as they are, checked
/// in one pass over the bytes instead of being taken apart.
fn is_normal(path: &str) -> bool {
    let body = path.strip_prefix('/').unwrap_or(path).as_bytes();
    !path.is_empty() && body.split(|&b| b == b'/').all(|segment| !matches!(segment, b"" | b"." | b".."))
}

/// [`normalize`] the long way: segment by segment.
fn take_apart(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != ".." && *p != "~") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    if absolute { format!("/{body}") } else { body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keychain_is_read_where_the_host_has_one_unless_the_operator_says() {
        let mac = Env { system_keychain: true, ..Env::new("/h") };
        let linux = Env::new("/h");
        assert!(mac.keychain_in_use());
        assert!(!linux.keychain_in_use());
        assert!(!mac.clone().with_var(KEYCHAIN_ENV, "off").keychain_in_use());
        assert!(linux.clone().with_var(KEYCHAIN_ENV, "security").keychain_in_use(), "a fake `security` in tests");
        assert!(mac.with_var(KEYCHAIN_ENV, "").keychain_in_use(), "empty is unset");
    }

    /// The shortcut for a path that is normal already gives what taking it
    /// apart gives.
    #[test]
    fn a_normal_path_comes_back_as_it_is_and_any_other_is_normalised() {
        for path in [
            "",
            "/",
            "//",
            "a",
            "/a",
            "a/",
            "/a/",
            "/a//b",
            "/a/./b",
            "/a/../b",
            "../a",
            "~/../a",
            "a/..",
            "./a",
            "/h/.clawdbot/agents/ops/agent",
            "~/x",
            ".",
            "..",
            "/..",
            "a/b/c",
            "/.hidden/x",
            "/a/..b/c.",
        ] {
            assert_eq!(normalize(path), take_apart(path), "{path:?}");
        }
    }
}
