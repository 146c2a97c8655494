//! Claude Code's login: `.credentials.json` in its storage folder
//! (`$CLAUDE_SECURESTORAGE_CONFIG_DIR`, else `$CLAUDE_CONFIG_DIR`, else
//! `~/.claude`), or the same JSON as the secret of its macOS Keychain item
//! (A11). Claude Code refreshes it itself under its two refresh locks
//! (`<dir>/.oauth_refresh.lock`, then the older `<dir>.lock`) and writes
//! its credentials under `<dir>/.storage-write.lock`, so Clawdbot takes the
//! same locks with the same timings, and writes renewed tokens back.
//!
//! The document is read by [`crate::sources::claude`] and merged back by
//! [`crate::writeback::merge_claude_credentials`].

use super::{
    FolderLock, FolderVar, Home, Keychain, KeychainWrite, Linked, LinkedRead, LockStyle, LoginSource, PanelFile,
    SourceLock, SourceRead, WriteBackSpec,
};
use crate::defaults::LockTimings;
use crate::diag::{Diagnostic, Severity};
use crate::env::Env;
use crate::sources::claude::{self, ClaudeRead};
use crate::sources::claude_overflow as overflow;
use crate::time::{Millis, SECOND};
use crate::world::{FileRead, KeychainItem};
use crate::writeback::{Layout, NewTokens, WritebackError};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The Keychain account Claude Code uses when the host has no user name.
pub const KEYCHAIN_FALLBACK_ACCOUNT: &str = "claude-code-user";

/// The variable that names Claude Code's storage folder (2.1.3xx), read
/// before [`CONFIG_DIR_VAR`]; set but empty, it means `~/.claude`.
const SECURE_STORAGE_VAR: &str = "CLAUDE_SECURESTORAGE_CONFIG_DIR";
/// Claude Code's configuration folder, which is also its storage folder
/// unless [`SECURE_STORAGE_VAR`] is set.
const CONFIG_DIR_VAR: &str = "CLAUDE_CONFIG_DIR";

/// Claude Code 2.1.332's refresh locks (its `JBo` options, the same for
/// both folders): stale after 60 000 ms, the holder's mtime touched every
/// 5 000 ms. We wait past the stale age, so a crashed holder's lock is
/// taken over rather than given up on, retrying every 0.1 to 2 s (Claude
/// Code itself retries every 1 to 2 s).
pub const REFRESH_LOCK: LockTimings = LockTimings {
    stale_ms: 60 * SECOND,
    update_ms: 5 * SECOND,
    max_wait_ms: 65 * SECOND,
    min_backoff_ms: 100,
    max_backoff_ms: 2 * SECOND,
};

/// Claude Code 2.1.332's lock around every write of its credentials:
/// stale after 15 000 ms, touched every 7 500 ms (proper-lockfile's
/// `stale / 2`), retried every 100 to 1 000 ms (its `retries` options).
pub const WRITE_LOCK: LockTimings = LockTimings {
    stale_ms: 15 * SECOND,
    update_ms: 7_500,
    max_wait_ms: 20 * SECOND,
    min_backoff_ms: 100,
    max_backoff_ms: SECOND,
};

/// Claude Code's login source, listed in [`super::LOGIN_SOURCES`].
pub const SOURCE: LoginSource = LoginSource {
    name: "claude-cli",
    aliases: &["claude-code"],
    list_word: "claude-code",
    owner: "Claude Code",
    sync_label: "claude cli",
    profile_id: claude::PROFILE_ID,
    provider: claude::PROVIDER,
    home: Home {
        env_vars: &[FolderVar { name: SECURE_STORAGE_VAR, nfc: true }, FolderVar::plain(CONFIG_DIR_VAR)],
        default: ".claude",
    },
    file_name: ".credentials.json",
    panel: Some(PanelFile {
        key: "claude",
        label: "Claude Code credentials",
        names: &[".credentials.json", "credentials.json"],
        markers: &["claudeAiOauth"],
    }),
    // Its refresh locks in its order: `<dir>/.oauth_refresh.lock` (its
    // `lockfilePath`, realpath off) with the owner record beside it, then
    // the legacy `<realpath(dir)>.lock`, which older versions take alone.
    lock: Some(SourceLock {
        name: "Claude Code's lock",
        style: LockStyle::Folders(&[
            FolderLock { target: ".oauth_refresh", realpath: false },
            FolderLock { target: "", realpath: true },
        ]),
        owner_file: Some(".oauth_refresh.lock.owner"),
        timings: REFRESH_LOCK,
    }),
    // `lock("<dir>/.storage-write", {realpath: false})`.
    write_lock: Some(SourceLock {
        name: "Claude Code's write lock",
        style: LockStyle::Folders(&[FolderLock { target: ".storage-write", realpath: false }]),
        owner_file: None,
        timings: WRITE_LOCK,
    }),
    keychain: Some(Keychain {
        service: keychain_service,
        account: keychain_account,
        origin: "Claude Code keychain item",
        decode: claude::decode_keychain_output,
        linked: Some(OVERFLOW),
    }),
    placement: None,
    // `claude setup-token` does not renew this login: it is renewed in
    // Claude Code; a 1-year token is the other way out.
    relogin_hint: "Log in again in Claude Code on the gateway host (run `claude`, then `/login`), or run \
                   `claude setup-token` and then `clawdbot models auth setup-token` for a 1-year token.",
    ignored_hint: "Log in again in Claude Code (run `claude`, then `/login`).",
    ended_hint: Some(ENDED_HINT),
    owner_renews_hint: "Run `claude` on the gateway host: Claude Code renews its own login when it runs, and the \
                        next clawdbot command syncs it.",
    rejected_why: Some("The refresh token was rejected; Claude Code shares this login and may have rotated it. "),
    headless: Some((
        "CLAUDE_CODE_OAUTH_TOKEN",
        "CLAUDE_CODE_OAUTH_TOKEN is set, but the gateway does not read it (it is Claude Code's own): store it with \
         `clawdbot models auth setup-token` (or `clawdbot models auth paste-token --provider anthropic`)",
    )),
    read,
    write_back: WriteBackSpec { remedy: "Claude Code will need `/login`", merge },
};

/// What to run when Claude Code's sign-in ended: a new sign-in (on the
/// host whose Claude Code the gateway syncs), or a 1-year token instead.
const ENDED_HINT: &str = "Sign in again: run `claude auth login` on the gateway host, or run `claude setup-token` and \
                          then `clawdbot models auth setup-token` for a 1-year token.";

/// Claude Code gets our stored expiry (the server's less the provider's
/// margin): it then refreshes a few minutes early, and the next sync sees
/// the same login instead of a "newer" one.
fn merge(
    text: &str,
    origin: &str,
    renewed: &NewTokens<'_>,
    layout: Layout,
    _now: Millis,
) -> Result<String, WritebackError> {
    let tokens = NewTokens { id_token: None, ..*renewed };
    crate::writeback::merge_claude_credentials(text, origin, &tokens, layout)
}

fn read(bytes: &[u8], origin: &str, _mtime_ms: Option<f64>, _now: Millis) -> SourceRead {
    match claude::read(bytes, origin) {
        ClaudeRead::Login(l) => SourceRead::Login(l, Vec::new()),
        ClaudeRead::NoLogin(d) => SourceRead::NoLogin(d),
        ClaudeRead::Ended(ended, d) => SourceRead::Ended(ended, d.with_hint(ENDED_HINT)),
        ClaudeRead::Broken(d) => SourceRead::Broken(d),
    }
}

/// The Keychain account Claude Code uses: `$USER` if non-empty, else the
/// user database's name (cron and launchd often leave `$USER` unset), else
/// [`KEYCHAIN_FALLBACK_ACCOUNT`]; a name with anything but ASCII letters,
/// digits, `.`, `_` and `-` is replaced by the fallback too (2.1.3xx), so
/// a name with a space or an accent files the item under the fallback.
fn keychain_account(env: &Env) -> String {
    let name = super::user_name_or(env, KEYCHAIN_FALLBACK_ACCOUNT);
    let plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if plain { name } else { KEYCHAIN_FALLBACK_ACCOUNT.to_string() }
}

/// The Keychain service Claude Code stores its OAuth credentials under.
///
/// `Claude Code` + OAuth suffix + `-credentials` + folder hash, following
/// the storage folder's rule: the hash part is `-<first 8 hex of
/// sha256(folder)>` over the NFC form of the literal text (no `~`
/// expansion, no realpath) of `CLAUDE_SECURESTORAGE_CONFIG_DIR` when it is
/// set and non-empty; none when it is set but empty (the default folder);
/// when it is unset, that of `CLAUDE_CONFIG_DIR` whenever that is
/// *present*, even empty or equal to the default, as Claude Code does.
/// The OAuth suffix is `-custom-oauth` when `CLAUDE_CODE_CUSTOM_OAUTH_URL`
/// is non-empty (production builds' only non-empty suffix).
pub fn keychain_service(env: &Env) -> String {
    let oauth_suffix = match env.vars.get("CLAUDE_CODE_CUSTOM_OAUTH_URL") {
        Some(url) if !url.is_empty() => "-custom-oauth",
        _ => "",
    };
    let hashed = match env.vars.get(SECURE_STORAGE_VAR) {
        Some(dir) if dir.is_empty() => None,
        Some(dir) => Some(dir),
        None => env.vars.get(CONFIG_DIR_VAR),
    };
    let dir_hash = match hashed {
        Some(dir) => {
            let digest = Sha256::digest(super::nfc(dir).as_bytes());
            let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
            format!("-{hex}")
        }
        None => String::new(),
    };
    format!("Claude Code{oauth_suffix}-credentials{dir_hash}")
}

/// Claude Code's overflow items (2.1.3xx): `<service>-overflow-a|b`, under
/// the same account, sealed with the key the main item's
/// `keychainOverflow` pointer holds ([`crate::sources::claude_overflow`]).
const OVERFLOW: Linked = Linked { item: overflow_item, join: overflow_join, write_back: overflow_write_back };

/// The overflow item `doc`'s pointer names, if it has one.
fn overflow_item(doc: &str, main: &KeychainItem) -> Option<KeychainItem> {
    let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(doc) else { return None };
    let slot = overflow::pointer(&doc)?.slot;
    Some(KeychainItem { service: overflow::overflow_service(&main.service, slot), account: main.account.clone() })
}

/// The main item joined with its overflow as Claude Code joins them; an
/// overflow that cannot be followed is named, its secret never shown.
fn overflow_join(doc: &str, linked: &FileRead, origin: &str, item: &KeychainItem) -> LinkedRead {
    let Ok(Value::Object(main)) = serde_json::from_str::<Value>(doc) else {
        // Not a document: the reader says so.
        return LinkedRead::Whole(doc.to_string());
    };
    let secret;
    let linked = match linked {
        FileRead::Present { bytes, .. } => {
            secret = String::from_utf8_lossy(bytes);
            Ok(secret.as_ref())
        }
        FileRead::Absent => Err(overflow::Missing::Absent),
        FileRead::Unreadable(why) => Err(overflow::Missing::Unreadable(why.to_string())),
    };
    let name = format!("{origin}'s overflow ({})", item.service);
    match overflow::follow(&main, linked) {
        overflow::Joined::Whole(whole) => LinkedRead::Whole(Value::Object(whole).to_string()),
        overflow::Joined::Partial(main, why) => LinkedRead::Partial(
            Value::Object(main).to_string(),
            Diagnostic::new(
                Severity::Warning,
                name,
                format!("{why}; Claude Code reads its login without the sections it moved there"),
            )
            .at(overflow::POINTER_KEY),
        ),
        overflow::Joined::LoginSealed(why) => LinkedRead::Unusable(
            Diagnostic::new(Severity::Warning, origin, format!("holds its login in {name}, which {why}"))
                .at(overflow::POINTER_KEY),
        ),
    }
}

/// Renewed tokens into the main item and, when the login is sealed there,
/// a resealed overflow written first ([`overflow::rewrite`]).
fn overflow_write_back(
    doc: &str,
    linked: Option<&str>,
    main: &KeychainItem,
    origin: &str,
    merge: &dyn Fn(&str) -> Result<String, WritebackError>,
) -> Result<Vec<KeychainWrite>, WritebackError> {
    let map = match serde_json::from_str::<Value>(doc.trim_start_matches('\u{feff}')) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(WritebackError::NotAnObject { origin: origin.into(), field: "the top level" }),
        Err(_) => return Err(WritebackError::NotJson { origin: origin.into() }),
    };
    let out = overflow::rewrite(&map, linked, origin, merge)?;
    let mut writes = Vec::with_capacity(2);
    if let Some((slot, sealed)) = out.overflow {
        let item =
            KeychainItem { service: overflow::overflow_service(&main.service, slot), account: main.account.clone() };
        writes.push(KeychainWrite { item, text: sealed, sealed: true });
    }
    let text = crate::writeback::keychain_text(&Value::Object(out.main));
    writes.push(KeychainWrite { item: main.clone(), text, sealed: false });
    Ok(writes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Keychain item Claude Code reads (credential-formats.md): the
    /// hashes were computed apart, with Python's hashlib.
    #[test]
    fn the_keychain_service_is_claude_codes() {
        let env = Env::new("/h");
        assert_eq!(keychain_service(&env), "Claude Code-credentials");
        // Present, even as the default path: hashed as written.
        let custom = env.clone().with_var("CLAUDE_CONFIG_DIR", "/h/.claude");
        assert_eq!(keychain_service(&custom), "Claude Code-credentials-73482090");
        let custom = env.clone().with_var("CLAUDE_CONFIG_DIR", "/srv/claude");
        assert_eq!(keychain_service(&custom), "Claude Code-credentials-bc29611f");
        let oauth = custom.with_var("CLAUDE_CODE_CUSTOM_OAUTH_URL", "https://example.invalid");
        assert_eq!(keychain_service(&oauth), "Claude Code-custom-oauth-credentials-bc29611f");
        let empty_url = env.with_var("CLAUDE_CODE_CUSTOM_OAUTH_URL", "");
        assert_eq!(keychain_service(&empty_url), "Claude Code-credentials", "an empty URL is no custom OAuth");
        // Presence, not value: even empty gets the (empty string's) hash.
        let work = Env::new("/home/me").with_var("CLAUDE_CONFIG_DIR", "/Users/me/.claude-work");
        assert_eq!(keychain_service(&work), "Claude Code-credentials-1e91dd84");
        let empty = Env::new("/home/me").with_var("CLAUDE_CONFIG_DIR", "");
        assert_eq!(keychain_service(&empty), "Claude Code-credentials-e3b0c442");
        let oauth = Env::new("/home/me").with_var("CLAUDE_CODE_CUSTOM_OAUTH_URL", "https://x.invalid");
        assert_eq!(keychain_service(&oauth), "Claude Code-custom-oauth-credentials");
    }

    #[test]
    fn the_keychain_account_is_the_user_else_claude_codes_fallback() {
        let alice = Env::new("/h").with_var("USER", "alice");
        assert_eq!(keychain_account(&alice), "alice");
        let mut nobody = Env::new("/h").with_var("USER", "");
        assert_eq!(keychain_account(&nobody), "claude-code-user");
        nobody.login_name = Some("daemon".into());
        assert_eq!(keychain_account(&nobody), "daemon", "the user database's name when USER is empty");
        let item = SOURCE.keychain_item(&alice).expect("an item");
        let plain = Env::new("/h").with_var("USER", "a.b_c-D9");
        assert_eq!(keychain_account(&plain), "a.b_c-D9");
        for odd in ["john smith", "jos\u{e9}", "me@corp", "DOMAIN\\me"] {
            let env = Env::new("/h").with_var("USER", odd);
            assert_eq!(keychain_account(&env), "claude-code-user", "{odd:?} is not a plain account name");
        }
        nobody.login_name = Some("Jane Doe".into());
        assert_eq!(keychain_account(&nobody), "claude-code-user", "the user database's name follows the rule too");
        assert_eq!((item.service.as_str(), item.account.as_str()), ("Claude Code-credentials", "alice"));
    }

    /// Claude Code 2.1.332's storage folder: the secure-storage variable
    /// first (empty: the default folder, not `CLAUDE_CONFIG_DIR`), and the
    /// file, lock and Keychain hash all follow it. The hashes were computed
    /// apart, with Python's hashlib over the NFC text.
    #[test]
    fn the_secure_storage_folder_comes_first_for_file_lock_and_keychain() {
        let both = Env::new("/h").with_var("CLAUDE_CONFIG_DIR", "/cfg").with_var(SECURE_STORAGE_VAR, "/secure");
        assert_eq!(SOURCE.file(&both), "/secure/.credentials.json");
        assert_eq!(refresh_targets(&both)[1], ("/secure".to_string(), true));
        assert_eq!(keychain_service(&both), "Claude Code-credentials-5be4b1b1");
        let empty = Env::new("/h").with_var("CLAUDE_CONFIG_DIR", "/cfg").with_var(SECURE_STORAGE_VAR, "");
        assert_eq!(SOURCE.file(&empty), "/h/.claude/.credentials.json", "empty means ~/.claude");
        assert_eq!(refresh_targets(&empty)[1], ("/h/.claude".to_string(), true));
        assert_eq!(keychain_service(&empty), "Claude Code-credentials", "empty means the default item");
        let only = Env::new("/h").with_var(SECURE_STORAGE_VAR, "~/vault");
        assert_eq!(SOURCE.file(&only), "/h/vault/.credentials.json");
        // Decomposed (e + combining acute) and composed name one folder.
        let decomposed = Env::new("/h").with_var(SECURE_STORAGE_VAR, "/srv/cafe\u{301}");
        let composed = Env::new("/h").with_var(SECURE_STORAGE_VAR, "/srv/caf\u{e9}");
        assert_eq!(SOURCE.file(&decomposed), "/srv/caf\u{e9}/.credentials.json");
        assert_eq!(keychain_service(&decomposed), keychain_service(&composed));
        assert_eq!(keychain_service(&composed), "Claude Code-credentials-9e472a79");
        let config = Env::new("/h").with_var("CLAUDE_CONFIG_DIR", "/srv/cafe\u{301}");
        assert_eq!(keychain_service(&config), keychain_service(&composed), "the config folder is hashed in NFC too");
    }

    fn refresh_targets(env: &Env) -> Vec<(String, bool)> {
        SOURCE.lock_targets(&SOURCE.lock.expect("a refresh lock"), env)
    }

    /// Claude Code 2.1.332's locks, as read in its binary: the new refresh
    /// lock then the legacy one, both stale after 60 s and touched every
    /// 5 s, the owner record beside the first; and the write lock, stale
    /// after 15 s. None of them is ever called stale sooner.
    #[test]
    fn its_locks_are_claude_codes_with_its_timings() {
        let env = Env::new("/h").with_var("CLAUDE_CONFIG_DIR", "/cc/");
        let lock = SOURCE.lock.expect("a refresh lock");
        assert_eq!(lock.name, "Claude Code's lock");
        // `<dir>/.oauth_refresh` + `.lock` as written, then `<realpath(dir)>.lock`.
        assert_eq!(refresh_targets(&env), [("/cc/.oauth_refresh".to_string(), false), ("/cc".to_string(), true)]);
        assert_eq!(SOURCE.owner_file(&lock, &env).as_deref(), Some("/cc/.oauth_refresh.lock.owner"));
        assert_eq!((lock.timings.stale_ms, lock.timings.update_ms), (60_000, 5_000));
        assert!(lock.timings.max_wait_ms >= lock.timings.stale_ms, "a waiter outlasts a crashed holder");
        let write = SOURCE.write_lock.expect("a write lock");
        assert_eq!(SOURCE.lock_targets(&write, &env), [("/cc/.storage-write".to_string(), false)]);
        assert_eq!(SOURCE.owner_file(&write, &env), None);
        assert_eq!((write.timings.stale_ms, write.timings.update_ms), (15_000, 7_500));
        assert!(write.timings.max_wait_ms >= write.timings.stale_ms, "a waiter outlasts a crashed writer");
        assert_eq!(SOURCE.file(&env), "/cc/.credentials.json");
        assert_eq!(SOURCE.file(&Env::new("/h")), "/h/.claude/.credentials.json");
    }
}
