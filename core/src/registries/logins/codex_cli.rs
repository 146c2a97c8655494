//! Codex CLI's login: `$CODEX_HOME/auth.json` (default `~/.codex`, A13).
//! No Keychain item and no lock; renewed tokens are written back to the
//! file.
//!
//! The document is read by [`crate::sources::codex`] and merged back by
//! [`crate::writeback::merge_codex_auth`].

use super::{FolderVar, Home, LoginSource, PanelFile, SourceRead, WriteBackSpec};
use crate::sources::codex::{self, CodexRead};
use crate::time::Millis;
use crate::writeback::{Layout, NewTokens, WritebackError};

/// Codex CLI's login source, listed in [`super::LOGIN_SOURCES`].
pub const SOURCE: LoginSource = LoginSource {
    name: "codex-cli",
    aliases: &["codex"],
    list_word: "codex-cli",
    owner: "Codex CLI",
    sync_label: "codex cli",
    profile_id: codex::PROFILE_ID,
    provider: codex::PROVIDER,
    home: Home { env_vars: &[FolderVar::plain("CODEX_HOME")], default: ".codex" },
    file_name: "auth.json",
    // `auth.json` is also the agent folder's legacy store: decided by
    // content, the name only once the legacy reader found nothing.
    panel: Some(PanelFile {
        key: "codex",
        label: "Codex CLI login",
        names: &[],
        markers: &["tokens", "OPENAI_API_KEY"],
    }),
    lock: None,
    write_lock: None,
    keychain: None,
    relogin_hint: "Run `codex login` on the gateway host.",
    ignored_hint: "Run `codex login` again.",
    ended_hint: None,
    owner_renews_hint: "Run `codex` on the gateway host: Codex renews its own login when it runs, and the next \
                        clawdbot command syncs it.",
    rejected_why: None,
    headless: None,
    read,
    write_back: WriteBackSpec { remedy: "Codex will need `codex login`", merge },
};

/// Codex keeps no expiry of its own (it reads the token's `exp`), and
/// stamps `last_refresh` with `now`.
fn merge(
    text: &str,
    origin: &str,
    renewed: &NewTokens<'_>,
    _layout: Layout,
    now: Millis,
) -> Result<String, WritebackError> {
    let tokens = NewTokens { expires_ms: None, ..*renewed };
    crate::writeback::merge_codex_auth(text, origin, &tokens, now)
}

fn read(bytes: &[u8], origin: &str, mtime_ms: Option<f64>, now: Millis) -> SourceRead {
    match codex::read(bytes, origin, mtime_ms, now) {
        CodexRead::Login(l, diagnostics) => SourceRead::Login(l, diagnostics),
        CodexRead::NoLogin(d) => SourceRead::NoLogin(d),
        CodexRead::Broken(d) => SourceRead::Broken(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn its_file_follows_codex_home() {
        let env = crate::env::Env::new("/h");
        assert_eq!(SOURCE.file(&env), "/h/.codex/auth.json");
        assert_eq!(SOURCE.file(&env.with_var("CODEX_HOME", "/codex")), "/codex/auth.json");
    }
}
