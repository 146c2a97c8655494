//! The files a page can hand in, by what they are rather than where they
//! live: the core places each one where the CLI would read it.

use crate::load::{Loaded, StoreState};
use crate::paths::Locations;
use crate::sources::legacy;
use serde::Serialize;
use serde_json::Value;

/// What a file is to the auth rules. The envelope's `files` object is keyed
/// by [`FileRole::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FileRole {
    /// This agent's `auth-profiles.json`.
    Store,
    /// Claude Code's `.credentials.json`.
    Claude,
    /// Codex CLI's `auth.json`.
    Codex,
    /// `clawdbot.json` (JSON5).
    Config,
    /// The agent folder's pre-store `auth.json`, migrated when there is no store.
    LegacyStore,
    /// `credentials/oauth.json`, the legacy OAuth import file.
    OauthJson,
}

impl FileRole {
    /// Every role, in the order a page lists them.
    pub const ALL: [FileRole; 6] = [
        FileRole::Store,
        FileRole::Claude,
        FileRole::Codex,
        FileRole::Config,
        FileRole::LegacyStore,
        FileRole::OauthJson,
    ];

    /// The role's key in the envelope's `files` object.
    pub fn key(self) -> &'static str {
        match self {
            FileRole::Store => "store",
            FileRole::Claude => "claude",
            FileRole::Codex => "codex",
            FileRole::Config => "config",
            FileRole::LegacyStore => "legacyStore",
            FileRole::OauthJson => "oauthJson",
        }
    }

    /// The role whose [`FileRole::key`] is `key`; `None` for a key the envelope
    /// does not know.
    pub fn from_key(key: &str) -> Option<Self> {
        FileRole::ALL.into_iter().find(|role| role.key() == key)
    }

    /// What the file is, for people.
    pub fn label(self) -> &'static str {
        match self {
            FileRole::Store => "Auth profiles",
            FileRole::Claude => "Claude Code credentials",
            FileRole::Codex => "Codex CLI login",
            FileRole::Config => "Clawdbot config (JSON5)",
            FileRole::LegacyStore => "Legacy auth.json (agent folder)",
            FileRole::OauthJson => "Legacy OAuth import (oauth.json)",
        }
    }

    /// Where the CLI reads this file for the agent `locations` describe.
    pub fn path(self, locations: &Locations) -> String {
        match self {
            FileRole::Store => locations.store(),
            FileRole::Claude => crate::logins::claude_code::SOURCE.file(&locations.env),
            FileRole::Codex => crate::logins::codex_cli::SOURCE.file(&locations.env),
            FileRole::Config => locations.config.clone(),
            FileRole::LegacyStore => locations.legacy_store(),
            FileRole::OauthJson => locations.oauth_json.clone(),
        }
    }
}

/// Which role a file a person picked or dropped plays, from its name and
/// then its content.
///
/// `auth.json` is both Codex CLI's login and the agent folder's legacy
/// store, so that name is decided by content: a `tokens` object or an
/// `OPENAI_API_KEY` is Codex's; a map of providers to credentials is the
/// legacy store.
pub fn identify(name: &str, text: &str) -> FileRole {
    let lower = name.trim().to_lowercase();
    let base = lower.rsplit(['/', '\\']).next().unwrap_or(&lower);
    let json: Option<Value> = serde_json::from_str(text).ok();
    let has = |key: &str| json.as_ref().and_then(Value::as_object).is_some_and(|o| o.contains_key(key));
    match base {
        crate::store::STORE_FILENAME => return FileRole::Store,
        ".credentials.json" | "credentials.json" => return FileRole::Claude,
        "clawdbot.json" => return FileRole::Config,
        "oauth.json" => return FileRole::OauthJson,
        _ if base.ends_with(".json5") => return FileRole::Config,
        _ => {}
    }
    if has("profiles") {
        return FileRole::Store;
    }
    if has("claudeAiOauth") {
        return FileRole::Claude;
    }
    if has("tokens") || has("OPENAI_API_KEY") {
        return FileRole::Codex;
    }
    let is_legacy = matches!(legacy::read_legacy_store(text.as_bytes(), name), Ok(Some(p)) if !p.is_empty());
    if is_legacy {
        return FileRole::LegacyStore;
    }
    if base == crate::store::LEGACY_STORE_FILENAME { FileRole::Codex } else { FileRole::Config }
}

/// How one role's file fared in the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FileState {
    /// No file was given for this role.
    NotGiven,
    /// Read and used.
    Read,
    /// Read, but part of it was ignored (see the diagnostics).
    ReadWithProblems,
    /// Given but not usable at all (see the diagnostics).
    Unreadable,
    /// Given but not consulted: the legacy files are read only when there
    /// is no store yet (A10).
    NotUsed,
}

/// One role's file as the page lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileView {
    /// Which file this is.
    pub role: FileRole,
    /// [`FileRole::label`]: what the file is, for people.
    pub label: &'static str,
    /// Where the CLI reads it, `~/...`, escaped.
    pub path: String,
    /// Whether it was given, read, unusable or not used.
    pub state: FileState,
}

/// The state of each role's file after `loaded`, given which roles the
/// request had a file for.
pub fn file_views(loaded: &Loaded, given: impl Fn(FileRole) -> bool) -> Vec<FileView> {
    FileRole::ALL
        .into_iter()
        .map(|role| {
            let path = loaded.show(&role.path(&loaded.locations));
            let diagnostics: Vec<_> = loaded.diagnostics.iter().filter(|d| d.file == path).collect();
            let worst = diagnostics.iter().map(|d| d.severity).max();
            let unreadable = match role {
                FileRole::Store => loaded.store_state == StoreState::Unreadable,
                FileRole::Config => loaded.config.unreadable,
                // Another tool's file: any warning means no login came from it.
                _ => worst.is_some_and(|s| s >= crate::diag::Severity::Warning),
            };
            let legacy = matches!(role, FileRole::LegacyStore | FileRole::OauthJson);
            let state = if !given(role) {
                FileState::NotGiven
            } else if legacy && loaded.store_state != StoreState::Missing {
                FileState::NotUsed
            } else if unreadable {
                FileState::Unreadable
            } else if worst.is_some_and(|s| s >= crate::diag::Severity::Warning) {
                FileState::ReadWithProblems
            } else {
                FileState::Read
            };
            FileView { role, label: role.label(), path: crate::escape::escape_control(&path).into_owned(), state }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_auth_json_is_codex_or_legacy_by_content() {
        assert_eq!(identify("auth.json", r#"{"tokens":{"access_token":"a"}}"#), FileRole::Codex);
        assert_eq!(identify("auth.json", r#"{"OPENAI_API_KEY":"sk-FAKE"}"#), FileRole::Codex);
        assert_eq!(identify("auth.json", r#"{"anthropic":{"type":"api_key","key":"k-FAKE"}}"#), FileRole::LegacyStore);
        assert_eq!(identify("auth.json", "not json"), FileRole::Codex);
    }

    #[test]
    fn names_then_content_decide() {
        assert_eq!(identify("auth-profiles.json", ""), FileRole::Store);
        assert_eq!(identify("Backup.json", r#"{"version":1,"profiles":{}}"#), FileRole::Store);
        assert_eq!(identify(".credentials.json", "{}"), FileRole::Claude);
        assert_eq!(identify("x.json", r#"{"claudeAiOauth":{}}"#), FileRole::Claude);
        assert_eq!(identify("clawdbot.json5", "{agents: {}}"), FileRole::Config);
        assert_eq!(identify("oauth.json", "{}"), FileRole::OauthJson);
        assert_eq!(identify("whatever.json", "{}"), FileRole::Config);
    }

    #[test]
    fn roles_round_trip_through_their_keys() {
        for role in FileRole::ALL {
            assert_eq!(FileRole::from_key(role.key()), Some(role));
        }
        assert_eq!(FileRole::from_key("home"), None);
    }

    // Each test below pins a rule that a mutant once changed unnoticed
    // (issue 15).

    #[test]
    fn names_win_over_content_and_paths_are_cut_to_the_base_name() {
        assert_eq!(identify("clawdbot.json", r#"{"profiles":{}}"#), FileRole::Config);
        assert_eq!(identify("credentials.json", r#"{"profiles":{}}"#), FileRole::Claude);
        assert_eq!(identify("oauth.json", r#"{"profiles":{}}"#), FileRole::OauthJson);
        assert_eq!(identify(" /srv/agent/Auth-Profiles.JSON ", "{}"), FileRole::Store);
        assert_eq!(identify("C:\\Users\\u\\oauth.json", "{}"), FileRole::OauthJson);
        assert_eq!(identify("x.json5", r#"{"claudeAiOauth":{}}"#), FileRole::Config);
        assert_eq!(identify("x.json", r#"{"profiles":{}}"#), FileRole::Store);
        assert_eq!(identify("x.json", r#"{"tokens":{}}"#), FileRole::Codex);
        assert_eq!(identify("x.json", r#"{"anthropic":{"type":"api_key","key":"k-FAKE"}}"#), FileRole::LegacyStore);
        assert_eq!(identify("x.json", "{}"), FileRole::Config);
    }

    #[test]
    fn each_role_has_its_key_label_and_place() {
        let env = crate::paths::Env::new("/h");
        let l = crate::paths::locate(&env, &crate::config::Config::default(), None);
        let all: Vec<(&str, &str, String)> = FileRole::ALL.iter().map(|r| (r.key(), r.label(), r.path(&l))).collect();
        assert_eq!(
            all,
            [
                ("store", "Auth profiles", "/h/.clawdbot/agents/main/agent/auth-profiles.json".to_string()),
                ("claude", "Claude Code credentials", "/h/.claude/.credentials.json".into()),
                ("codex", "Codex CLI login", "/h/.codex/auth.json".into()),
                ("config", "Clawdbot config (JSON5)", "/h/.clawdbot/clawdbot.json".into()),
                ("legacyStore", "Legacy auth.json (agent folder)", "/h/.clawdbot/agents/main/agent/auth.json".into()),
                ("oauthJson", "Legacy OAuth import (oauth.json)", "/h/.clawdbot/credentials/oauth.json".into()),
            ]
        );
    }

    fn states(files: &[(&str, &str)]) -> Vec<FileState> {
        let mut w = crate::world::MapWorld::default();
        for (p, t) in files {
            w.files.insert(p.to_string(), crate::world::FileRead::text(*t));
        }
        let loaded = crate::load::load(&w, &crate::paths::Env::new("/h"), 1_767_225_600_000, None);
        let given = |role: FileRole| w.files.contains_key(&role.path(&loaded.locations));
        let views = file_views(&loaded, given);
        assert!(views.iter().all(|v| v.path.starts_with("~/")), "{views:?}");
        views.into_iter().map(|v| v.state).collect()
    }

    const STORE: &str = "/h/.clawdbot/agents/main/agent/auth-profiles.json";
    const CONFIG: &str = "/h/.clawdbot/clawdbot.json";
    const CODEX: &str = "/h/.codex/auth.json";
    const CLAUDE: &str = "/h/.claude/.credentials.json";
    const LEGACY: &str = "/h/.clawdbot/agents/main/agent/auth.json";
    const OAUTH: &str = "/h/.clawdbot/credentials/oauth.json";

    #[test]
    fn each_file_s_state_follows_its_own_diagnostics() {
        use FileState::*;
        assert_eq!(states(&[]), [NotGiven; 6]);
        let codex_without_exp =
            r#"{"tokens":{"access_token":"acc-FAKE","refresh_token":"r-FAKE"},"last_refresh":"2026-01-01T00:00:00Z"}"#;
        assert_eq!(
            states(&[
                (STORE, r#"{"version":1,"profiles":{"a:b":3}}"#),
                (CONFIG, r#"{"agents":{"defaults":{"model":42}}}"#),
                (CODEX, codex_without_exp),
                (CLAUDE, "{ broken"),
                (LEGACY, "{}"),
                (OAUTH, "{}"),
            ]),
            [ReadWithProblems, Unreadable, Read, ReadWithProblems, NotUsed, NotUsed],
            "an info note is no problem; another tool's warning means nothing came from it"
        );
        assert_eq!(
            states(&[(STORE, "{ broken"), (CONFIG, "{ broken"), (LEGACY, "{}")]),
            [Unreadable, NotGiven, NotGiven, Unreadable, NotUsed, NotGiven],
            "the legacy files are read only when there is no store at all"
        );
        assert_eq!(
            states(&[(LEGACY, r#"{"anthropic":{"type":"api_key","key":"k-FAKE"}}"#), (OAUTH, "{}")]),
            [NotGiven, NotGiven, NotGiven, NotGiven, Read, Read]
        );
    }
}
