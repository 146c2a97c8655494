//! The files a page can hand in, by what they are rather than where they
//! live: the core places each one where the CLI would read it.

use crate::load::{Loaded, StoreState};
use crate::logins::{LOGIN_SOURCES, LoginSource};
use crate::paths::Locations;
use crate::sources::legacy;
use serde::Serialize;
use serde_json::Value;

/// What a file is to the auth rules. The envelope's `files` object is keyed
/// by [`FileRole::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// This agent's `auth-profiles.json`.
    Store,
    /// A login source's credentials file (Claude Code's
    /// `.credentials.json`, Codex CLI's `auth.json`), as its
    /// [`crate::logins::PanelFile`] describes it; only sources with one
    /// are in [`FileRole::ALL`].
    Login(&'static LoginSource),
    /// `clawdbot.json` (JSON5).
    Config,
    /// The agent folder's pre-store `auth.json`, migrated when there is no store.
    LegacyStore,
    /// `credentials/oauth.json`, the legacy OAuth import file.
    OauthJson,
}

/// The login sources the panel has an input for, in registry order.
const PANEL_SOURCES: usize = {
    let (mut n, mut i) = (0, 0);
    while i < LOGIN_SOURCES.len() {
        n += LOGIN_SOURCES[i].panel.is_some() as usize;
        i += 1;
    }
    n
};

/// How many roles there are: Clawdbot's own four and one per login source
/// with a panel input.
const ROLES: usize = 4 + PANEL_SOURCES;

impl FileRole {
    /// Every role, in the order a page lists them: the store, the login
    /// sources' files in registry order, then the config and legacy files.
    pub const ALL: [FileRole; ROLES] = {
        let mut all = [FileRole::Store; ROLES];
        let (mut at, mut i) = (1, 0);
        while i < LOGIN_SOURCES.len() {
            if LOGIN_SOURCES[i].panel.is_some() {
                all[at] = FileRole::Login(LOGIN_SOURCES[i]);
                at += 1;
            }
            i += 1;
        }
        all[ROLES - 3] = FileRole::Config;
        all[ROLES - 2] = FileRole::LegacyStore;
        all[ROLES - 1] = FileRole::OauthJson;
        all
    };

    /// The role's key in the envelope's `files` object.
    pub fn key(self) -> &'static str {
        match self {
            FileRole::Store => "store",
            FileRole::Login(source) => source.panel.map_or(source.name, |p| p.key),
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
            FileRole::Login(source) => source.panel.map_or(source.owner, |p| p.label),
            FileRole::Config => "Clawdbot config (JSON5)",
            FileRole::LegacyStore => "Legacy auth.json (agent folder)",
            FileRole::OauthJson => "Legacy OAuth import (oauth.json)",
        }
    }

    /// Where the CLI reads this file for the agent `locations` describe.
    pub fn path(self, locations: &Locations) -> String {
        match self {
            FileRole::Store => locations.store(),
            FileRole::Login(source) => source.file(&locations.env),
            FileRole::Config => locations.config.clone(),
            FileRole::LegacyStore => locations.legacy_store(),
            FileRole::OauthJson => locations.oauth_json.clone(),
        }
    }
}

/// A role is written as its key (`"claude"`).
impl Serialize for FileRole {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.key())
    }
}

/// Which role a file a person picked or dropped plays, from its name and
/// then its content.
///
/// Names decide first (Clawdbot's own files', then each login source's
/// `names`); then the store's marker, a login source's markers (Claude Code's `claudeAiOauth`, Codex's `tokens`
/// or `OPENAI_API_KEY`), a legacy store's shape, and last a source's own
/// file name: `auth.json` is both Codex CLI's login and the agent folder's
/// legacy store, so that name is decided by content.
pub fn identify(name: &str, text: &str) -> FileRole {
    let lower = name.trim().to_lowercase();
    let base = lower.rsplit(['/', '\\']).next().unwrap_or(&lower);
    let json: Option<Value> = serde_json::from_str(text).ok();
    let has = |key: &str| json.as_ref().and_then(Value::as_object).is_some_and(|o| o.contains_key(key));
    // The sources the panel has an input for, with their panel rules.
    let sources = || LOGIN_SOURCES.iter().filter_map(|s| Some((*s, s.panel?)));
    match base {
        crate::store::STORE_FILENAME => return FileRole::Store,
        "clawdbot.json" => return FileRole::Config,
        "oauth.json" => return FileRole::OauthJson,
        _ if base.ends_with(".json5") => return FileRole::Config,
        _ => {}
    }
    if let Some((source, _)) = sources().find(|(_, panel)| panel.names.contains(&base)) {
        return FileRole::Login(source);
    }
    if has("profiles") {
        return FileRole::Store;
    }
    if let Some((source, _)) = sources().find(|(_, panel)| panel.markers.iter().any(|m| has(m))) {
        return FileRole::Login(source);
    }
    let is_legacy = matches!(legacy::read_legacy_store(text.as_bytes(), name), Ok(Some(p)) if !p.is_empty());
    if is_legacy {
        return FileRole::LegacyStore;
    }
    match sources().find(|(source, _)| source.file_name == base) {
        Some((source, _)) => FileRole::Login(source),
        None => FileRole::Config,
    }
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

    const CLAUDE_CODE: FileRole = FileRole::Login(&crate::logins::claude_code::SOURCE);
    const CODEX_CLI: FileRole = FileRole::Login(&crate::logins::codex_cli::SOURCE);

    #[test]
    fn an_auth_json_is_codex_or_legacy_by_content() {
        assert_eq!(identify("auth.json", r#"{"tokens":{"access_token":"a"}}"#), CODEX_CLI);
        assert_eq!(identify("auth.json", r#"{"OPENAI_API_KEY":"sk-FAKE"}"#), CODEX_CLI);
        assert_eq!(identify("auth.json", r#"{"anthropic":{"type":"api_key","key":"k-FAKE"}}"#), FileRole::LegacyStore);
        assert_eq!(identify("auth.json", "not json"), CODEX_CLI);
    }

    #[test]
    fn names_then_content_decide() {
        assert_eq!(identify("auth-profiles.json", ""), FileRole::Store);
        assert_eq!(identify("Backup.json", r#"{"version":1,"profiles":{}}"#), FileRole::Store);
        assert_eq!(identify(".credentials.json", "{}"), CLAUDE_CODE);
        assert_eq!(identify("x.json", r#"{"claudeAiOauth":{}}"#), CLAUDE_CODE);
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
        assert_eq!(identify("credentials.json", r#"{"profiles":{}}"#), CLAUDE_CODE);
        assert_eq!(identify("oauth.json", r#"{"profiles":{}}"#), FileRole::OauthJson);
        assert_eq!(identify(" /srv/agent/Auth-Profiles.JSON ", "{}"), FileRole::Store);
        assert_eq!(identify("C:\\Users\\u\\oauth.json", "{}"), FileRole::OauthJson);
        assert_eq!(identify("x.json5", r#"{"claudeAiOauth":{}}"#), FileRole::Config);
        assert_eq!(identify("x.json", r#"{"profiles":{}}"#), FileRole::Store);
        assert_eq!(identify("x.json", r#"{"tokens":{}}"#), CODEX_CLI);
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
