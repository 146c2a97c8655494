//! The native host's side of the core's `World`: the real disk, the
//! environment, the clock and (on macOS, or when asked) the Keychain items
//! the core names.

use crate::world::fsio;
use crate::world::keychain::{self, KeychainRead};
use clawdbot_auth_core::Millis;
use clawdbot_auth_core::manual;
use clawdbot_auth_core::{Env, folders_to_check};
use clawdbot_auth_core::{FileRead, IoKind, KeychainItem, World};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

pub struct NativeWorld {
    env: Env,
    /// The Keychain items read so far, each at most once per command: each
    /// `security` run can show a prompt on macOS (issue 14 item 18). What
    /// this process writes back replaces the item's entry.
    items: RefCell<BTreeMap<KeychainItem, Option<FileRead>>>,
}

impl NativeWorld {
    /// Whether the Keychain is read at all is the core's decision (a flow
    /// asks only when its command may and `CLAWDBOT_KEYCHAIN` allows): this
    /// host answers what it is asked.
    pub fn new(env: &Env) -> Self {
        NativeWorld { env: env.clone(), items: RefCell::default() }
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Remembers what was just written to `item`, so a later look of this
    /// command sees it without running `security` again.
    pub fn remember_keychain(&self, item: &KeychainItem, text: &str) {
        self.items.borrow_mut().insert(item.clone(), Some(FileRead::text(text)));
    }

    /// Reads `item` with `security`, uncached.
    fn read_keychain(&self, item: &KeychainItem) -> Option<FileRead> {
        let bin = keychain::security_binary(self.env.vars.get("PATH").map(String::as_str));
        match keychain::read_generic_password(&bin, &item.service, &item.account, keychain::TIMEOUT) {
            KeychainRead::Found(secret) => Some(FileRead::text(secret.expose())),
            KeychainRead::NotFound => None,
            KeychainRead::Locked => Some(FileRead::Unreadable(IoKind::KeychainLocked)),
            // `security`'s own words stay in the host: the core says what
            // kind of failure it was.
            KeychainRead::Failed { .. } => Some(FileRead::Unreadable(IoKind::Other { code: None })),
            KeychainRead::TimedOut => Some(FileRead::Unreadable(IoKind::TimedOut)),
        }
    }
}

impl World for NativeWorld {
    fn read(&self, path: &str) -> FileRead {
        convert(fsio::read_file(Path::new(path)))
    }

    fn keychain(&self, item: &KeychainItem) -> Option<FileRead> {
        if let Some(read) = self.items.borrow().get(item) {
            return read.clone();
        }
        let read = self.read_keychain(item);
        self.items.borrow_mut().insert(item.clone(), read.clone());
        read
    }
}

pub fn convert(read: fsio::FileRead) -> FileRead {
    match read {
        fsio::FileRead::Absent => FileRead::Absent,
        fsio::FileRead::Present { bytes, mtime_ms } => FileRead::Present { bytes, mtime_ms: Some(mtime_ms) },
        fsio::FileRead::Unreadable { kind } => FileRead::Unreadable(kind),
    }
}

/// The process environment as the core's `Env`.
pub fn current_env() -> Env {
    let vars = std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))).collect();
    let home = std::env::var(manual::HOME_ENV)
        .ok()
        .filter(|h| !h.trim().is_empty())
        .or_else(|| dirs::home_dir().map(|h| h.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "/".to_string());
    let cwd = std::env::current_dir().ok().map(|d| d.to_string_lossy().into_owned());
    // The Keychain account of a login source may be the user's name, which
    // cron and launchd often leave out of USER.
    let mut env = Env {
        vars: std::sync::Arc::new(vars),
        home,
        cwd,
        login_name: keychain::passwd_user_name(),
        system_keychain: cfg!(target_os = "macos"),
        not_folders: Default::default(),
    };
    // The folders the core asks about that cannot hold a file: what it
    // does about them is its own (issue 23 item 12).
    env.not_folders = folders_to_check(&env).into_iter().filter(|p| fsio::cannot_hold_files(Path::new(p))).collect();
    env
}

/// Now, in ms. `CLAWDBOT_NOW_MS` pins it: a testing aid, like
/// `SOURCE_DATE_EPOCH`, documented in docs/environment.md.
pub fn now(env: &Env) -> Millis {
    if let Some(pinned) = env.get(manual::NOW_ENV).and_then(|v| v.parse::<i64>().ok()) {
        return pinned;
    }
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The core's Keychain account rule falls back on this name when USER
    /// is unset (cron, launchd): the host hands it in with the environment.
    #[test]
    fn the_user_database_name_reaches_the_core() {
        assert_eq!(current_env().login_name, keychain::passwd_user_name());
    }
}
