//! Claude Code's login: `$CLAUDE_CONFIG_DIR/.credentials.json` (default
//! `~/.claude`), or the same JSON as the secret of its macOS Keychain item
//! (A11). Claude Code refreshes it itself under its lock `<dir>.lock`, so
//! Clawdbot takes that lock too, and writes renewed tokens back.
//!
//! The document is read by [`crate::sources::claude`] and merged back by
//! [`crate::writeback::merge_claude_credentials`].

use super::{Home, Keychain, LoginSource, PanelFile, SourceLock, SourceRead, WriteBackSpec};
use crate::env::Env;
use crate::sources::claude::{self, ClaudeRead};
use crate::time::Millis;
use crate::writeback::{Layout, NewTokens, WritebackError};
use sha2::{Digest, Sha256};

/// The Keychain account Claude Code uses when the host has no user name.
pub const KEYCHAIN_FALLBACK_ACCOUNT: &str = "claude-code-user";

/// Claude Code's login source, listed in [`super::LOGIN_SOURCES`].
pub const SOURCE: LoginSource = LoginSource {
    name: "claude-cli",
    aliases: &["claude-code"],
    list_word: "claude-code",
    owner: "Claude Code",
    sync_label: "claude cli",
    profile_id: claude::PROFILE_ID,
    provider: claude::PROVIDER,
    home: Home { env_var: "CLAUDE_CONFIG_DIR", default: ".claude" },
    file_name: ".credentials.json",
    panel: Some(PanelFile {
        key: "claude",
        label: "Claude Code credentials",
        names: &[".credentials.json", "credentials.json"],
        markers: &["claudeAiOauth"],
    }),
    // Its `<configDir>.lock`, with proper-lockfile's defaults.
    lock: Some(SourceLock { target: "", name: "Claude Code's lock", timings: crate::defaults::PROPER_LOCKFILE_LOCK }),
    keychain: Some(Keychain {
        service: keychain_service,
        account: keychain_account,
        origin: "Claude Code keychain item",
        decode: claude::decode_keychain_output,
    }),
    // `claude setup-token` does not renew this login: it is renewed in
    // Claude Code; a 1-year token is the other way out.
    relogin_hint: "Log in again in Claude Code on the gateway host (run `claude`, then `/login`), or run \
                   `claude setup-token` and then `clawdbot models auth setup-token` for a 1-year token.",
    ignored_hint: "Log in again in Claude Code (run `claude`, then `/login`).",
    rejected_why: Some("The refresh token was rejected; Claude Code shares this login and may have rotated it. "),
    headless: Some((
        "CLAUDE_CODE_OAUTH_TOKEN",
        "CLAUDE_CODE_OAUTH_TOKEN is set, but the gateway does not read it (it is Claude Code's own): store it with \
         `clawdbot models auth setup-token` (or `clawdbot models auth paste-token --provider anthropic`)",
    )),
    read,
    write_back: WriteBackSpec { remedy: "Claude Code will need `/login`", merge },
};

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
        ClaudeRead::Broken(d) => SourceRead::Broken(d),
    }
}

/// The Keychain account Claude Code uses: `$USER` if non-empty, else the
/// user database's name (cron and launchd often leave `$USER` unset), else
/// [`KEYCHAIN_FALLBACK_ACCOUNT`].
fn keychain_account(env: &Env) -> String {
    super::user_name_or(env, KEYCHAIN_FALLBACK_ACCOUNT)
}

/// The Keychain service Claude Code stores its OAuth credentials under.
///
/// `Claude Code` + OAuth suffix + `-credentials` + config-dir hash. The hash
/// part is `-<first 8 hex of sha256(CLAUDE_CONFIG_DIR)>` whenever the
/// variable is *present*, even empty or equal to the default, hashed over
/// its literal text (no `~` expansion, no realpath), as Claude Code does.
/// The OAuth suffix is `-custom-oauth` when `CLAUDE_CODE_CUSTOM_OAUTH_URL`
/// is non-empty (production builds' only non-empty suffix).
///
/// Claude Code NFC-normalises the folder before hashing; we hash the bytes
/// as given, which agrees for every NFC (e.g. ASCII) path.
pub fn keychain_service(env: &Env) -> String {
    let oauth_suffix = match env.vars.get("CLAUDE_CODE_CUSTOM_OAUTH_URL") {
        Some(url) if !url.is_empty() => "-custom-oauth",
        _ => "",
    };
    let dir_hash = match env.vars.get("CLAUDE_CONFIG_DIR") {
        Some(dir) => {
            let digest = Sha256::digest(dir.as_bytes());
            let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
            format!("-{hex}")
        }
        None => String::new(),
    };
    format!("Claude Code{oauth_suffix}-credentials{dir_hash}")
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
        assert_eq!((item.service.as_str(), item.account.as_str()), ("Claude Code-credentials", "alice"));
    }

    #[test]
    fn its_lock_is_its_folder_with_proper_lockfiles_timings() {
        let env = Env::new("/h").with_var("CLAUDE_CONFIG_DIR", "/cc/");
        assert_eq!(SOURCE.lock_path(&env).as_deref(), Some("/cc"));
        let lock = SOURCE.lock.expect("a lock");
        assert_eq!(lock.name, "Claude Code's lock");
        assert_eq!((lock.timings.stale_ms, lock.timings.update_ms, lock.timings.max_wait_ms), (10_000, 5_000, 10_000));
        assert_eq!(SOURCE.file(&env), "/cc/.credentials.json");
        assert_eq!(SOURCE.file(&Env::new("/h")), "/h/.claude/.credentials.json");
    }
}
