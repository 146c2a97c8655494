//! Which credential files and folders must be private, and what counts as
//! exposed: the rule `doctor` checks and repairs.
//!
//! `doctor` once checked three paths of one agent and missed the rest: a
//! Codex `auth.json` at 0644 handed every local user a refresh token and an
//! API key. The list here covers every file the auth rules read or manage,
//! for every agent the host names, plus the folders that hold them; the host
//! only stats and chmods what this module lists.

use crate::config::Config;
use crate::paths::{Env, Locations, join, locate};

/// Files hold secrets: owner read/write only.
pub const PRIVATE_FILE_MODE: u32 = 0o600;
/// Folders that hold them: owner only.
pub const PRIVATE_DIR_MODE: u32 = 0o700;

/// What a path is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// A regular file, which must be `0600`.
    File,
    /// A folder, which must be `0700`.
    Folder,
}

impl PathKind {
    /// The mode a private path of this kind gets.
    pub fn private_mode(self) -> u32 {
        match self {
            PathKind::File => PRIVATE_FILE_MODE,
            PathKind::Folder => PRIVATE_DIR_MODE,
        }
    }

    /// `file` or `folder`, for messages.
    pub fn word(self) -> &'static str {
        match self {
            PathKind::File => "file",
            PathKind::Folder => "folder",
        }
    }
}

/// One path that must not let group or others in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivatePath {
    /// The absolute path to check.
    pub path: String,
    /// Whether it should be a file or a folder.
    pub kind: PathKind,
    /// Whether the path is a credential store the gateway reads: a symlink
    /// there into a folder others can write lets them swap the store.
    pub store: bool,
    /// Another tool's folder (`~/.claude`, `~/.codex`): it holds much that
    /// is no secret and those tools create it 0755, so only write access for
    /// others (which lets them replace the credential file) counts there.
    pub foreign_folder: bool,
}

impl PrivatePath {
    /// Whether `mode` lets others in where they must not be.
    pub fn exposed(&self, mode: u32) -> bool {
        if self.foreign_folder { others_can_write(mode) } else { is_exposed(mode) }
    }

    /// The mode doctor sets: the private mode, or for another tool's folder
    /// its mode without the write bits for others.
    pub fn repaired_mode(&self, mode: u32) -> u32 {
        if self.foreign_folder { mode & 0o7755 } else { self.kind.private_mode() }
    }

    /// The report line for a path doctor made private.
    pub fn repaired_text(&self, mode: u32) -> String {
        format!(
            "{}: {} made private (mode {:o} -> {:o})",
            self.path,
            self.kind.word(),
            mode & 0o7777,
            self.repaired_mode(mode)
        )
    }

    /// The report line for an exposed path.
    pub fn exposure_text(&self, mode: u32) -> String {
        let what = match (mode & 0o044 != 0, mode & 0o022 != 0) {
            (true, true) => "readable and writable",
            (false, true) => "writable",
            _ => "readable",
        };
        let want = self.repaired_mode(mode);
        format!(
            "{}: {} is {what} by other users (mode {:o}, expected {want:o}); fix with `chmod {want:o} {}`",
            self.path,
            self.kind.word(),
            mode & 0o7777,
            self.path
        )
    }
}

/// Every path that must be private: the state dir, the config, the legacy
/// OAuth import, for each agent in `agents` its folders, store and legacy
/// store, and every login source's credentials file and folder (Claude
/// Code's, Codex's). Each path appears once, in a stable order.
pub fn private_paths(env: &Env, config: &Config, agents: &[String]) -> Vec<PrivatePath> {
    let mut out: Vec<PrivatePath> = Vec::new();
    let mut add = |path: String, kind: PathKind, store: bool| {
        if !path.is_empty() && !out.iter().any(|p| p.path == path) {
            out.push(PrivatePath { path, kind, store, foreign_folder: false });
        }
    };
    let first = locate(env, config, agents.first().map(String::as_str));
    add(first.state_dir.clone(), PathKind::Folder, false);
    add(first.config.clone(), PathKind::File, false);
    if let Some(credentials) = parent(&first.oauth_json) {
        add(credentials, PathKind::Folder, false);
    }
    add(first.oauth_json.clone(), PathKind::File, false);
    add(join(&first.state_dir, "agents"), PathKind::Folder, false);
    for agent in agents {
        let at: Locations = locate(env, config, Some(agent));
        // `<state>/agents/<id>/agent`: the `<id>` folder too, when it is ours.
        if let Some(agent_parent) = parent(&at.agent_dir).filter(|p| p.starts_with(&at.state_dir)) {
            add(agent_parent, PathKind::Folder, false);
        }
        add(at.agent_dir.clone(), PathKind::Folder, false);
        add(at.store(), PathKind::File, true);
        add(at.legacy_store(), PathKind::File, false);
    }
    for source in crate::logins::LOGIN_SOURCES {
        add(source.file(env), PathKind::File, false);
    }
    for folder in crate::logins::LOGIN_SOURCES.iter().map(|s| s.dir(env)) {
        if !out.iter().any(|p| p.path == folder) {
            out.push(PrivatePath { path: folder, kind: PathKind::Folder, store: false, foreign_folder: true });
        }
    }
    out
}

/// The agents doctor checks: the one asked for, else the default agent,
/// every agent the config lists and every folder found under
/// `<state>/agents/` (`found`, as the host listed it), each once.
pub fn agents_to_check(config: &Config, requested: Option<&str>, found: &[String]) -> Vec<String> {
    if let Some(raw) = requested {
        return vec![crate::paths::normalize_agent_id(raw)];
    }
    let mut out = vec![crate::paths::agent_id(config, None)];
    let listed = config.agents.iter().map(|a| a.id.as_str()).chain(found.iter().map(String::as_str));
    for id in listed.map(crate::paths::normalize_agent_id) {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The folder `path` is in; `None` at the root, which is never ours.
pub fn parent(path: &str) -> Option<String> {
    let trimmed = path.trim_end_matches('/');
    let (dir, _) = trimmed.rsplit_once('/')?;
    (!dir.is_empty()).then(|| dir.to_string())
}

/// Whether permission bits let group or others in (read, write or search).
pub fn is_exposed(mode: u32) -> bool {
    mode & 0o077 != 0
}

/// Whether a folder's bits let group or others create, rename or replace
/// files in it.
pub fn others_can_write(mode: u32) -> bool {
    mode & 0o022 != 0
}

/// A store that is a symlink into a folder others can write.
pub fn symlink_text(store: &str, target_dir: &str, mode: u32) -> String {
    format!(
        "{store}: is a symlink into {target_dir}, which other users can write (mode {:o}); they could replace \
         the credentials: move the store into a private folder",
        mode & 0o7777
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_credential_path_of_every_agent_is_listed_once() {
        let env = Env::new("/h");
        let paths = private_paths(&env, &Config::default(), &["main".to_string(), "work".to_string()]);
        let listed: Vec<&str> = paths.iter().map(|p| p.path.as_str()).collect();
        for want in [
            "/h/.clawdbot",
            "/h/.clawdbot/clawdbot.json",
            "/h/.clawdbot/credentials",
            "/h/.clawdbot/credentials/oauth.json",
            "/h/.clawdbot/agents",
            "/h/.clawdbot/agents/main",
            "/h/.clawdbot/agents/main/agent",
            "/h/.clawdbot/agents/main/agent/auth-profiles.json",
            "/h/.clawdbot/agents/main/agent/auth.json",
            "/h/.clawdbot/agents/work/agent/auth-profiles.json",
            "/h/.claude",
            "/h/.claude/.credentials.json",
            "/h/.codex",
            "/h/.codex/auth.json",
        ] {
            assert!(listed.contains(&want), "{want} missing from {listed:?}");
        }
        let mut unique = listed.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), listed.len(), "{listed:?}");
        let stores: Vec<&str> = paths.iter().filter(|p| p.store).map(|p| p.path.as_str()).collect();
        assert_eq!(stores.len(), 2, "{stores:?}");
    }

    #[test]
    fn the_list_is_in_a_stable_order_with_each_kind_and_flag() {
        let paths = private_paths(&Env::new("/h"), &Config::default(), &["main".to_string(), "work".to_string()]);
        let rows: Vec<(&str, PathKind, bool, bool)> =
            paths.iter().map(|p| (p.path.as_str(), p.kind, p.store, p.foreign_folder)).collect();
        use PathKind::{File, Folder};
        assert_eq!(
            rows,
            [
                ("/h/.clawdbot", Folder, false, false),
                ("/h/.clawdbot/clawdbot.json", File, false, false),
                ("/h/.clawdbot/credentials", Folder, false, false),
                ("/h/.clawdbot/credentials/oauth.json", File, false, false),
                ("/h/.clawdbot/agents", Folder, false, false),
                ("/h/.clawdbot/agents/main", Folder, false, false),
                ("/h/.clawdbot/agents/main/agent", Folder, false, false),
                ("/h/.clawdbot/agents/main/agent/auth-profiles.json", File, true, false),
                ("/h/.clawdbot/agents/main/agent/auth.json", File, false, false),
                ("/h/.clawdbot/agents/work", Folder, false, false),
                ("/h/.clawdbot/agents/work/agent", Folder, false, false),
                ("/h/.clawdbot/agents/work/agent/auth-profiles.json", File, true, false),
                ("/h/.clawdbot/agents/work/agent/auth.json", File, false, false),
                ("/h/.claude/.credentials.json", File, false, false),
                ("/h/.codex/auth.json", File, false, false),
                // The test fixture's, registered in tests only: the list
                // is every login source's.
                ("/h/.tinyllm/credentials.json", File, false, false),
                ("/h/.claude", Folder, false, true),
                ("/h/.codex", Folder, false, true),
                ("/h/.tinyllm", Folder, false, true),
            ]
        );
    }

    #[test]
    fn an_agent_named_twice_is_listed_once() {
        let once = private_paths(&Env::new("/h"), &Config::default(), &["main".to_string()]);
        let twice = private_paths(&Env::new("/h"), &Config::default(), &["main".to_string(), "main".to_string()]);
        assert_eq!(twice, once);
    }

    #[test]
    fn an_agent_folder_outside_the_state_dir_adds_no_parent() {
        let mut config = Config::default();
        config.agents.push(crate::config::AgentEntry {
            id: "ext".into(),
            default: false,
            agent_dir: Some("/srv/ext/agent".into()),
            inherit_auth: true,
        });
        let paths = private_paths(&Env::new("/h"), &config, &["ext".to_string()]);
        let listed: Vec<&str> = paths.iter().map(|p| p.path.as_str()).collect();
        assert!(
            listed.contains(&"/srv/ext/agent") && listed.contains(&"/srv/ext/agent/auth-profiles.json"),
            "{listed:?}"
        );
        assert!(!listed.contains(&"/srv/ext"), "not ours to lock: {listed:?}");
    }

    #[test]
    fn a_parent_is_the_folder_above_never_the_root() {
        assert_eq!(parent("/a/b"), Some("/a".into()));
        assert_eq!(parent("/a/b/"), Some("/a".into()));
        assert_eq!(parent("/a"), None);
        assert_eq!(parent("a"), None);
        assert_eq!(parent("a/b"), Some("a".into()));
    }

    #[test]
    fn report_lines_say_what_is_exposed_and_the_fix() {
        let file = PrivatePath { path: "/h/f".into(), kind: PathKind::File, store: false, foreign_folder: false };
        for (mode, shown, what) in [
            (0o100644, "644", "readable"),
            (0o620, "620", "writable"),
            (0o666, "666", "readable and writable"),
            (0o604, "604", "readable"),
            (0o602, "602", "writable"),
        ] {
            assert_eq!(
                file.exposure_text(mode),
                format!("/h/f: file is {what} by other users (mode {shown}, expected 600); fix with `chmod 600 /h/f`"),
                "mode {mode:o}"
            );
        }
        assert_eq!(file.repaired_text(0o100644), "/h/f: file made private (mode 644 -> 600)");
        let dir = PrivatePath { path: "/h/d".into(), kind: PathKind::Folder, store: true, foreign_folder: false };
        assert_eq!(dir.repaired_mode(0o755), 0o700);
        assert_eq!(dir.repaired_text(0o40755), "/h/d: folder made private (mode 755 -> 700)");
        let foreign =
            PrivatePath { path: "/h/.claude".into(), kind: PathKind::Folder, store: false, foreign_folder: true };
        assert_eq!(foreign.repaired_mode(0o1777), 0o1755, "the sticky bit stays");
        assert_eq!(
            foreign.exposure_text(0o777),
            "/h/.claude: folder is readable and writable by other users (mode 777, expected 755); fix with `chmod 755 /h/.claude`"
        );
        assert_eq!(PathKind::File.private_mode(), 0o600);
        assert_eq!(PathKind::Folder.private_mode(), 0o700);
        assert_eq!((PathKind::File.word(), PathKind::Folder.word()), ("file", "folder"));
    }

    #[test]
    fn the_symlink_line_names_the_store_and_the_folder() {
        assert_eq!(
            symlink_text("/h/s.json", "/tmp", 0o41777),
            "/h/s.json: is a symlink into /tmp, which other users can write (mode 1777); they could replace \
             the credentials: move the store into a private folder"
        );
    }

    #[test]
    fn exposure_edges() {
        for bit in [0o001, 0o002, 0o004, 0o010, 0o020, 0o040] {
            assert!(is_exposed(bit), "{bit:o}");
        }
        assert!(!is_exposed(0o4700) && !is_exposed(0o100));
        assert!(others_can_write(0o002) && others_can_write(0o020));
        assert!(!others_can_write(0o755 & !0o022) && !others_can_write(0o044) && !others_can_write(0o011));
    }

    #[test]
    fn the_config_lists_agents_to_check_too() {
        let mut cfg = Config::default();
        for id in ["Ops", "main"] {
            cfg.agents.push(crate::config::AgentEntry {
                id: id.into(),
                default: false,
                agent_dir: None,
                inherit_auth: true,
            });
        }
        // With none marked default, the first listed agent is the default one.
        assert_eq!(agents_to_check(&cfg, None, &["ops".into(), "lab".into()]), ["ops", "main", "lab"]);
        assert_eq!(agents_to_check(&cfg, None, &[]), ["ops", "main"]);
    }

    #[test]
    fn doctor_checks_the_agent_asked_for_or_all_of_them() {
        let cfg = Config::default();
        assert_eq!(agents_to_check(&cfg, Some("Work"), &["x".into()]), ["work"]);
        assert_eq!(agents_to_check(&cfg, None, &["ops".into(), "main".into()]), ["main", "ops"]);
    }

    #[test]
    fn exposure_is_any_group_or_other_bit() {
        assert!(!is_exposed(0o600) && !is_exposed(0o700) && !is_exposed(0o400));
        assert!(is_exposed(0o644) && is_exposed(0o640) && is_exposed(0o701));
        assert!(others_can_write(0o777) && others_can_write(0o1777) && !others_can_write(0o755));
        let paths = private_paths(&Env::new("/h"), &Config::default(), &["main".to_string()]);
        let find = |p: &str| paths.iter().find(|x| x.path == p).unwrap().clone();
        let auth = find("/h/.codex/auth.json");
        assert!(auth.exposed(0o644));
        let text = auth.exposure_text(0o644);
        assert!(text.contains("readable by other users (mode 644, expected 600)"), "{text}");
        let claude_dir = find("/h/.claude");
        assert!(!claude_dir.exposed(0o755) && claude_dir.exposed(0o775) && claude_dir.exposed(0o757));
        assert_eq!(claude_dir.repaired_mode(0o777), 0o755);
        assert!(find("/h/.clawdbot").exposed(0o755));
    }
}
