//! Other CLIs' logins that Clawdbot syncs, as data: one file per login
//! source, one list.
//!
//! A [`LoginSource`] says everything the core knows about one: the profile
//! id it syncs into and its provider, where its file lives (a folder under
//! HOME or named by a variable, as data the core resolves and the host
//! reads), its Keychain item (service and account rules), the lock Clawdbot
//! must share with it (what is locked, its timings),
//! how its document is read, and the words messages use for it.
//! [`LOGIN_SOURCES`] collects them; loading, sync messages, health, hints,
//! `auth sync --enable` and the listing look sources up there instead of
//! naming them, and the host reads the items and takes the locks the core
//! names (`docs/architecture.md`, "Adding a login source").

pub mod claude_code;
pub mod codex_cli;
#[cfg(test)]
mod fixture_tinycli;

use crate::diag::Diagnostic;
use crate::env::Env;
use crate::sources::ExternalLogin;
use crate::time::Millis;
use crate::world::KeychainItem;
use std::fmt;

/// The registry: every login source, in the order they are loaded.
pub static LOGIN_SOURCES: &[&LoginSource] = &[
    &claude_code::SOURCE,
    &codex_cli::SOURCE,
    #[cfg(test)]
    &fixture_tinycli::SOURCE,
];

/// Everything the core knows about another CLI's login.
pub struct LoginSource {
    /// The name `models auth sync --enable` takes and status shows:
    /// `claude-cli`.
    pub name: &'static str,
    /// Other names `sync --enable` accepts.
    pub aliases: &'static [&'static str],
    /// The word `models auth list --json` gives as its `source`.
    pub list_word: &'static str,
    /// The tool, as messages name it: "Claude Code".
    pub owner: &'static str,
    /// The tool in the sync message ("synced anthropic credentials from
    /// claude cli").
    pub sync_label: &'static str,
    /// The store profile the login is synced into.
    pub profile_id: &'static str,
    /// The provider of the synced profile.
    pub provider: &'static str,
    /// The folder holding its files.
    pub home: Home,
    /// Its credentials file inside [`LoginSource::home`].
    pub file_name: &'static str,
    /// How the admin panel takes that file; `None`: it has no input there.
    pub panel: Option<PanelFile>,
    /// The lock the tool takes around its own refreshes, which a refresh
    /// of the synced profile takes too.
    pub lock: Option<SourceLock>,
    /// The lock the tool holds around every write of its credentials,
    /// which a write-back holds too.
    pub write_lock: Option<SourceLock>,
    /// Its Keychain item (macOS), read before its file when present.
    pub keychain: Option<Keychain>,
    /// Where the tool keeps its login when its own settings choose
    /// (Codex's `cli_auth_credentials_store`); `None`: always its file.
    pub placement: Option<Placement>,
    /// What to do when the login needs a person.
    pub relogin_hint: &'static str,
    /// What to do when its file held no usable login.
    pub ignored_hint: &'static str,
    /// What to do when the tool found its sign-in ended for good
    /// ([`SourceRead::Ended`], or the sign-in's end date passed); `None`:
    /// [`LoginSource::relogin_hint`].
    pub ended_hint: Option<&'static str>,
    /// What to do when the login is read-only here (the operator's
    /// `auth.loginSources.<name>.readOnly`) and its access token expired:
    /// run the tool, which renews its own login, and the next sync takes it.
    pub owner_renews_hint: &'static str,
    /// Said before the hint when its refresh token was rejected, when the
    /// tool shares the token and rotates it itself.
    pub rejected_why: Option<&'static str>,
    /// A variable the tool reads and the gateway does not, with the advice
    /// given when it is set while the source's provider fails.
    pub headless: Option<(&'static str, &'static str)>,
    /// Reads its document; `origin` names it in messages, `mtime_ms` is the
    /// file's time if known.
    pub read: fn(bytes: &[u8], origin: &str, mtime_ms: Option<f64>, now: Millis) -> SourceRead,
    /// How a login renewed by Clawdbot goes back into the tool's own file
    /// (and Keychain item), so that the tool does not hold a spent token.
    pub write_back: WriteBackSpec,
}

/// Writing renewed tokens back into a login source's document.
#[derive(Debug, Clone, Copy)]
pub struct WriteBackSpec {
    /// What a person must do when the write-back fails ("Claude Code will
    /// need `/login`").
    pub remedy: &'static str,
    /// The document `text` (named `origin` in errors) with the renewed
    /// login's tokens in and every other field kept; each tool takes the
    /// tokens it keeps. `layout` is how a Claude Code document is written
    /// (one line for the Keychain).
    pub merge: fn(
        text: &str,
        origin: &str,
        renewed: &crate::writeback::NewTokens<'_>,
        layout: crate::writeback::Layout,
        now: Millis,
    ) -> Result<String, crate::writeback::WritebackError>,
}

/// A tool's own setting for where it keeps its login: its settings file,
/// read before its credentials file.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    /// The settings file, inside [`LoginSource::home`] (`config.toml`).
    pub file: &'static str,
    /// What the settings `bytes` (the file as messages name it: `origin`)
    /// say, for the tool's folder `dir` (as messages name it: `shown_dir`).
    pub read: fn(bytes: &[u8], origin: &str, dir: &str, shown_dir: &str) -> Placed,
}

/// Where a tool's settings put its login.
#[derive(Debug, Clone, PartialEq)]
pub enum Placed {
    /// Its credentials file, as without settings; and what is wrong with
    /// the settings, if anything.
    File(Option<Diagnostic>),
    /// Its credentials file when it is there (the tool falls back to it),
    /// else somewhere this host cannot read.
    FileElse(Elsewhere),
    /// Somewhere this host cannot read: the credentials file is not the
    /// tool's login, and is not read.
    Elsewhere(Elsewhere),
}

/// A login a tool keeps where this host cannot read it. Status, the
/// listing and doctor say so instead of "missing".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Elsewhere {
    /// The provider whose login it is.
    pub provider: &'static str,
    /// The setting that puts it there, in the settings file.
    #[serde(skip)]
    pub setting: &'static str,
    /// Where the login is, and that this host cannot read it.
    pub message: String,
    /// How to make the tool keep it where this host reads it.
    pub hint: String,
}

/// A login source's file in the admin panel: one input, and the rules
/// that tell a dropped file is this one ([`crate::view::identify`]).
#[derive(Debug, Clone, Copy)]
pub struct PanelFile {
    /// Its key in the envelope's `files` object and in the view
    /// (`claude`).
    pub key: &'static str,
    /// What the file is, for people ("Claude Code credentials").
    pub label: &'static str,
    /// File names that make a file this source's whatever it holds.
    pub names: &'static [&'static str],
    /// Top-level keys that make a JSON document this source's.
    pub markers: &'static [&'static str],
}

/// A folder: named by the first of its variables that is set (resolved
/// against HOME), else `default` under HOME.
#[derive(Debug, Clone, Copy)]
pub struct Home {
    /// The variables that name the folder, the one the tool reads first
    /// first. The first one present decides, and one present but empty
    /// means `default` (not the next variable), as Claude Code reads
    /// `CLAUDE_SECURESTORAGE_CONFIG_DIR` before `CLAUDE_CONFIG_DIR`.
    pub env_vars: &'static [FolderVar],
    /// The folder under HOME otherwise (`.claude`, `.codex`).
    pub default: &'static str,
}

/// A variable naming a source's folder.
#[derive(Debug, Clone, Copy)]
pub struct FolderVar {
    /// Its name (`CLAUDE_CONFIG_DIR`).
    pub name: &'static str,
    /// Whether the tool NFC-normalises the path first, so that the same
    /// folder spelt decomposed names the same files.
    pub nfc: bool,
}

impl FolderVar {
    /// A variable whose value is taken as written.
    pub const fn plain(name: &'static str) -> FolderVar {
        FolderVar { name, nfc: false }
    }

    /// Its value in `env` as the tool takes it: `None` when unset, the
    /// (normalised) text when set, empty when set to nothing.
    pub fn value(&self, env: &Env) -> Option<String> {
        let raw = env.vars.get(self.name)?;
        Some(if self.nfc { nfc(raw) } else { raw.clone() })
    }
}

/// `text` in Unicode normalisation form C (UAX #15), on
/// unicode-normalization's per-character tables.
///
/// Not the crate's `nfc()` iterator: that one picks canonical or
/// compatibility decomposition at run time, which links the compatibility
/// tables (about 60 KB of the sandboxed module) that NFC never reads. The
/// tests hold this to the crate's `nfc()`.
pub fn nfc(text: &str) -> String {
    use unicode_normalization::char::{canonical_combining_class, compose, decompose_canonical};
    if text.is_ascii() {
        return text.to_owned();
    }
    // The full canonical decomposition, each character with its combining class.
    let mut chars: Vec<(u8, char)> = Vec::with_capacity(text.len());
    for c in text.chars() {
        decompose_canonical(c, |d| chars.push((canonical_combining_class(d), d)));
    }
    // The canonical order: each run of non-starters sorted by class, keeping
    // the text's order within a class (runs are a few characters long).
    for i in 1..chars.len() {
        let mut j = i;
        while j > 0 && chars[j].0 != 0 && chars[j - 1].0 > chars[j].0 {
            chars.swap(j - 1, j);
            j -= 1;
        }
    }
    // The canonical composition: a character joins the last starter unless
    // something between them blocks it (a starter, or a class not below its
    // own; in canonical order the last one kept has the highest class).
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut starter: Option<usize> = None;
    let mut last_class: Option<u8> = None;
    for (class, c) in chars {
        if let Some(at) = starter {
            let blocked = last_class.is_some_and(|last| last == 0 || last >= class);
            if !blocked && let Some(joined) = compose(out[at], c) {
                out[at] = joined;
                continue;
            }
        }
        if class == 0 {
            starter = Some(out.len());
            last_class = None;
        } else {
            last_class = Some(class);
        }
        out.push(c);
    }
    out.into_iter().collect()
}

/// A lock another tool takes around its refreshes or writes, with the
/// tool's own timings: node's proper-lockfile folders (Claude Code) or
/// `flock(2)` on a lock file (Codex CLI). When the folder it lives in
/// does not exist the tool never ran here, nobody is there to serialise
/// with, and the command goes on without it.
#[derive(Debug, Clone, Copy)]
pub struct SourceLock {
    /// The lock in the wait notice ("waiting for Claude Code's lock").
    pub name: &'static str,
    /// How the tool takes it, and what it locks.
    pub style: LockStyle,
    /// A file in the source's folder in which the holder says who holds
    /// the lock (its process, and the lock folders' birth times), so that
    /// the tool can tell a dead holder from a slow one; `None`: none.
    pub owner_file: Option<&'static str>,
    /// How stale a holder's lock may grow, how often ours is refreshed and
    /// how long we wait: the tool's own numbers.
    pub timings: crate::defaults::LockTimings,
}

/// How a tool takes its lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockStyle {
    /// proper-lockfile lock folders (made with `mkdir`, their mtime kept
    /// fresh by the holder, taken over once stale), in the order the tool
    /// takes them. The host takes them all or none: when a later one is
    /// busy the earlier ones are let go and the whole set is tried again
    /// (Claude Code's own way with its two refresh locks).
    Folders(&'static [FolderLock]),
    /// An exclusive `flock(2)` on this file inside the source's folder
    /// (made when missing), which the kernel releases when its holder
    /// exits: never stale, so the timings' stale and update do not apply.
    File(&'static str),
}

/// One proper-lockfile lock folder, as `lock(<folder>/<target>, {realpath})`
/// names it: `<folder>/<target>.lock`, the target first resolved through
/// symlinks when `realpath` is on (it must then exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderLock {
    /// The locked path inside the source's folder; empty for the folder
    /// itself (`<folder>.lock`, beside it).
    pub target: &'static str,
    /// proper-lockfile's `realpath` option.
    pub realpath: bool,
}

/// A Keychain item: its service and account derived from the environment,
/// and how messages name it. The core names the item; the host runs
/// `security` with exactly that service and account.
#[derive(Clone, Copy)]
pub struct Keychain {
    /// The Keychain service name, which may depend on the environment.
    pub service: fn(&Env) -> String,
    /// The account, which may depend on the user
    /// ([`user_name_or`] gives the usual rule).
    pub account: fn(&Env) -> String,
    /// How messages name the item.
    pub origin: &'static str,
    /// Turns `security`'s output into the document `read` takes.
    pub decode: fn(&str) -> String,
    /// A second item this one may point at (Claude Code's overflow), read
    /// after it and written with it; `None` for a tool with one item.
    pub linked: Option<Linked>,
}

/// A second Keychain item the first one can point at: Claude Code moves
/// sections of a large item into a sealed `<service>-overflow-a|b` item.
/// The core follows the pointer on read (the host reads whatever item the
/// core names) and keeps both items right when it writes renewed tokens
/// back.
#[derive(Clone, Copy)]
pub struct Linked {
    /// The item the document `doc` (the first item's decoded text) points
    /// at, named from the first item `main`; `None`: it points nowhere.
    pub item: fn(doc: &str, main: &KeychainItem) -> Option<KeychainItem>,
    /// The document the login is read from: `doc` with the linked item
    /// (as the host read it; absent when it has none) joined in. `origin`
    /// names the first item and `item` is the second, for diagnostics.
    pub join: fn(doc: &str, linked: &crate::world::FileRead, origin: &str, item: &KeychainItem) -> LinkedRead,
    /// Renewed tokens put back: the items to write, in order (a resealed
    /// second item before the first one that names it), each with its new
    /// secret. `doc` is the first item's decoded text, `linked` the second
    /// item's secret if it was read, `main` the first item, `origin` how
    /// messages name it; `merge` puts the tokens into a document of the
    /// tool's (text in, text out).
    pub write_back: LinkedWriteBack,
}

/// [`Linked::write_back`]: `(doc, linked, main, origin, merge)` to the
/// writes.
pub type LinkedWriteBack = fn(
    doc: &str,
    linked: Option<&str>,
    main: &KeychainItem,
    origin: &str,
    merge: &MergeTokens<'_>,
) -> Result<Vec<KeychainWrite>, crate::writeback::WritebackError>;

/// Puts renewed tokens into one of a tool's documents: text in, text out.
pub type MergeTokens<'a> = dyn Fn(&str) -> Result<String, crate::writeback::WritebackError> + 'a;

/// One Keychain item a write-back writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeychainWrite {
    /// The item.
    pub item: KeychainItem,
    /// Its new secret.
    pub text: String,
    /// Whether `text` is ciphertext whose key is in another item
    /// ([`crate::flow::WriteBackPlace::SealedKeychain`]).
    pub sealed: bool,
}

/// A first item read with the second one it points at.
#[derive(Debug)]
pub enum LinkedRead {
    /// The whole document.
    Whole(String),
    /// The document without what the second item held, which could not be
    /// followed; the login is still there. The diagnostic says which item
    /// and why.
    Partial(String, Diagnostic),
    /// The login itself is in the second item, which could not be
    /// followed: the diagnostic says which item and why.
    Unusable(Diagnostic),
}

/// What a source's document holds.
#[derive(Debug)]
pub enum SourceRead {
    /// A login, with the problems found in the parts of the document that were
    /// ignored.
    Login(ExternalLogin, Vec<Diagnostic>),
    /// A well-formed document with no login (logged out, never logged in).
    NoLogin(Diagnostic),
    /// A login the tool itself found ended for good (refused at refresh):
    /// the diagnostic says why and carries what a person must run. It is
    /// never synced, so it never replaces the stored login; status and
    /// doctor show it as a sign-in that ended.
    Ended(crate::sources::EndedLogin, Diagnostic),
    /// Not usable: the diagnostic names the file and field.
    Broken(Diagnostic),
}

impl LoginSource {
    /// How an operator lets the sync bring its login back after `models
    /// auth remove` took it out: the one sentence every message uses.
    pub fn enable_hint(&self) -> String {
        format!("Run `clawdbot models auth sync --enable {}` to sync {}'s login again.", self.name, self.owner)
    }

    /// Its folder for `env`.
    pub fn dir(&self, env: &Env) -> String {
        let named = self.home.env_vars.iter().find_map(|var| var.value(env));
        match named.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() => env.resolve(d),
            _ => crate::env::join(&env.home, self.home.default),
        }
    }

    /// Its credentials file for `env`.
    pub fn file(&self, env: &Env) -> String {
        crate::env::join(&self.dir(env), self.file_name)
    }

    /// Its Keychain item for `env`, if it has one.
    pub fn keychain_item(&self, env: &Env) -> Option<KeychainItem> {
        self.keychain.map(|k| k.item(env))
    }

    /// The paths `lock`'s folders lock for `env`, each with whether it is
    /// resolved through symlinks first, in the order they are taken.
    /// None for a lock file.
    pub fn lock_targets(&self, lock: &SourceLock, env: &Env) -> Vec<(String, bool)> {
        let dir = self.dir(env);
        match lock.style {
            LockStyle::Folders(folders) => {
                folders.iter().map(|f| (crate::env::join(&dir, f.target), f.realpath)).collect()
            }
            LockStyle::File(_) => Vec::new(),
        }
    }

    /// Where `lock`'s file is for `env` when the tool `flock`s a file.
    pub fn lock_file(&self, lock: &SourceLock, env: &Env) -> Option<String> {
        match lock.style {
            LockStyle::File(name) => Some(crate::env::join(&self.dir(env), name)),
            LockStyle::Folders(_) => None,
        }
    }

    /// Where `lock`'s owner file is for `env`, if it has one.
    pub fn owner_file(&self, lock: &SourceLock, env: &Env) -> Option<String> {
        lock.owner_file.map(|name| crate::env::join(&self.dir(env), name))
    }
}

impl Keychain {
    /// The item for `env`.
    pub fn item(&self, env: &Env) -> KeychainItem {
        KeychainItem { service: (self.service)(env), account: (self.account)(env) }
    }
}

/// The account rule of tools that file their item under the user: the
/// user's name ([`Env::user_name`]), else `fallback`.
pub fn user_name_or(env: &Env, fallback: &str) -> String {
    env.user_name().unwrap_or(fallback).to_string()
}

/// Sources are one per name (`names_and_profiles_are_unique`).
impl PartialEq for LoginSource {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for LoginSource {}

impl fmt::Debug for LoginSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LoginSource({})", self.name)
    }
}

impl LoginSource {
    /// What to run when its sign-in ended for good.
    pub fn sign_in_again_hint(&self) -> &'static str {
        self.ended_hint.unwrap_or(self.relogin_hint)
    }
}

/// The source that syncs into `profile_id`, if any.
pub fn by_profile_id(profile_id: &str) -> Option<&'static LoginSource> {
    LOGIN_SOURCES.iter().copied().find(|s| s.profile_id == profile_id)
}

/// The source `sync --enable` names, by name or alias.
pub fn by_name(name: &str) -> Option<&'static LoginSource> {
    LOGIN_SOURCES.iter().copied().find(|s| s.name == name || s.aliases.contains(&name))
}

/// The names of every source, for help texts and argument checks.
pub fn names() -> impl Iterator<Item = &'static str> {
    LOGIN_SOURCES.iter().map(|s| s.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our NFC is the crate's: every code point alone, after a starter and
    /// before combining marks, and strings mixing decomposable letters,
    /// Hangul jamo and marks of several classes in any order.
    #[test]
    fn nfc_is_unicode_normalizations_nfc() {
        use unicode_normalization::UnicodeNormalization;
        let theirs = |s: &str| -> String { s.nfc().collect() };
        for c in (0..=0x10ffff_u32).filter_map(char::from_u32) {
            for s in [c.to_string(), format!("a{c}\u{301}"), format!("{c}\u{327}\u{301}")] {
                assert_eq!(nfc(&s), theirs(&s), "{:?}", s.escape_unicode().to_string());
            }
        }
        let pieces = [
            "a",
            "e",
            "A",
            "\u{301}",
            "\u{300}",
            "\u{327}",
            "\u{323}",
            "\u{302}",
            "\u{308}",
            "\u{344}",
            "\u{1100}",
            "\u{1161}",
            "\u{11a8}",
            "\u{ac00}",
            "\u{d4db}",
            "\u{e9}",
            "\u{1e09}",
            "\u{212b}",
            "\u{f900}",
            "\u{0958}",
            "\u{093c}",
            "\u{05b8}",
            "\u{05b7}",
            "\u{0f73}",
            "\u{1d15e}",
            "\u{1d165}",
            "/",
        ];
        use proptest::prelude::*;
        proptest!(ProptestConfig::with_cases(4000), |(picks in proptest::collection::vec(0..pieces.len(), 0..12))| {
            let s: String = picks.iter().map(|&i| pieces[i]).collect();
            prop_assert_eq!(nfc(&s), theirs(&s));
        });
    }

    /// A source holds readers and merges (functions): its `Debug` is its
    /// name, which is what a log or a failed assertion needs.
    #[test]
    fn a_source_debugs_as_its_name() {
        let shown: Vec<String> = LOGIN_SOURCES.iter().map(|s| format!("{s:?}")).collect();
        // The last one is the test fixture, registered in tests only.
        assert_eq!(shown, ["LoginSource(claude-cli)", "LoginSource(codex-cli)", "LoginSource(tinyllm-cli)"]);
    }

    #[test]
    fn names_and_profiles_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for s in LOGIN_SOURCES {
            for n in std::iter::once(&s.name).chain(s.aliases) {
                assert!(seen.insert(*n), "{n} twice");
            }
            assert!(std::ptr::eq(by_profile_id(s.profile_id).expect("found"), *s));
            assert!(crate::providers::find(s.provider).is_some(), "{} syncs into a known provider", s.name);
        }
        assert_eq!(names().collect::<Vec<_>>(), ["claude-cli", "codex-cli", "tinyllm-cli"]);
        assert_eq!(by_name("claude-code").map(|s| s.profile_id), Some("anthropic:claude-cli"));
        assert_eq!(by_name("codex").map(|s| s.profile_id), Some("openai-codex:codex-cli"));
        assert!(by_name("gemini").is_none());
    }
}
