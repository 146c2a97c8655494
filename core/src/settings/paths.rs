//! Where Clawdbot's own files live, as a pure function of the environment
//! (A01, A02). Other CLIs' files are their login sources' (`crate::logins`),
//! which build on this module and never the other way round.
//!
//! Paths are plain `/`-joined strings: the native host passes the real HOME,
//! the browser and the sandbox pass `~`, so the same rules print
//! `~/.clawdbot/...` there without a special case.

use crate::config::Config;

/// The agent used when the config names none and none is asked for.
pub const DEFAULT_AGENT_ID: &str = "main";

/// Names the state folder.
pub const STATE_DIR_ENV: &str = "CLAWDBOT_STATE_DIR";
/// The state folder's name before the rename, read when [`STATE_DIR_ENV`] is unset.
pub const LEGACY_STATE_DIR_ENV: &str = "CLAWDIS_STATE_DIR";
/// Names the config file.
pub const CONFIG_PATH_ENV: &str = "CLAWDBOT_CONFIG_PATH";
/// Names the default agent's folder.
pub const AGENT_DIR_ENV: &str = "CLAWDBOT_AGENT_DIR";
/// The coding agent's name for [`AGENT_DIR_ENV`], read when that is unset.
pub const PI_AGENT_DIR_ENV: &str = "PI_CODING_AGENT_DIR";
/// Names the folder of the legacy `oauth.json`.
pub const OAUTH_DIR_ENV: &str = "CLAWDBOT_OAUTH_DIR";

pub use crate::env::{Env, join};

/// Every file the auth rules read or write, for one agent.
#[derive(Debug, Clone, PartialEq)]
pub struct Locations {
    /// Clawdbot's state folder (`CLAWDBOT_STATE_DIR`, else `~/.clawdbot`).
    pub state_dir: String,
    /// The config file (`CLAWDBOT_CONFIG_PATH`, else `<state>/clawdbot.json`).
    pub config: String,
    /// The agent these locations are for, normalised.
    pub agent_id: String,
    /// Its agent folder: the config's `agentDir`, the env override, or
    /// `<state>/agents/<id>/agent`.
    pub agent_dir: String,
    /// `credentials/oauth.json`, the legacy OAuth import file.
    pub oauth_json: String,
    /// The environment these were resolved in, where each login source
    /// places its own files (`crate::logins`).
    pub env: Env,
}

impl Locations {
    /// The agent's profile store, `<agent_dir>/auth-profiles.json`.
    pub fn store(&self) -> String {
        join(&self.agent_dir, crate::store::STORE_FILENAME)
    }

    /// The agent's pre-store `auth.json`, read only to migrate it.
    pub fn legacy_store(&self) -> String {
        join(&self.agent_dir, crate::store::LEGACY_STORE_FILENAME)
    }
}

/// State dir: `CLAWDBOT_STATE_DIR`, then legacy `CLAWDIS_STATE_DIR`, then `~/.clawdbot`.
pub fn state_dir(env: &Env) -> String {
    match env.get(STATE_DIR_ENV).or_else(|| env.get(LEGACY_STATE_DIR_ENV)) {
        Some(dir) => env.resolve(dir),
        None => join(&env.home, ".clawdbot"),
    }
}

/// The variable that placed the state folder: [`STATE_DIR_ENV`] or its
/// legacy name; `None` for the default, `~/.clawdbot`.
fn state_dir_variable(env: &Env) -> Option<&'static str> {
    [STATE_DIR_ENV, LEGACY_STATE_DIR_ENV].into_iter().find(|v| env.get(v).is_some())
}

/// The folders a host tells the core about ([`Env::not_folders`]): HOME and
/// the state folder, whichever variable placed it. Every file Clawdbot
/// keeps is under the one, and by default every other CLI's under the other.
pub fn folders_to_check(env: &Env) -> Vec<String> {
    let mut folders = vec![env.home.clone(), state_dir(env)];
    folders.dedup();
    folders
}

/// A folder the environment names that is not one (a file, a device, or
/// a path under a file): HOME or `CLAWDBOT_STATE_DIR` pointing at a file
/// (issue 23 item 12). Said once, naming the variable and the path, instead
/// of once per file under it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {}", self.problem())]
pub struct NotAFolder {
    /// The variable that names it (`HOME`, `CLAWDBOT_STATE_DIR`, ...);
    /// `None` for `~/.clawdbot` under a HOME that is a folder.
    pub variable: Option<&'static str>,
    /// The path as named, resolved.
    pub path: String,
    /// Whether Clawdbot's own files were to be in it: then nothing can
    /// run. Else it is HOME, and only other CLIs' files are missed.
    pub state: bool,
}

impl NotAFolder {
    /// What is wrong with the path, without it: a diagnostic's message.
    pub fn problem(&self) -> String {
        let named = self.variable.map(|v| format!(" ({v} names it)")).unwrap_or_default();
        let consequence = if self.state { "Clawdbot keeps its files in it" } else { "nothing under it is read" };
        format!("not a folder{named}; {consequence}")
    }

    /// What to do about it: point the variable at a folder. Data beside
    /// the rule, as a provider's hints are, because the load below
    /// [`crate::remedy`] gives it too; `remedy::for_error` reads it.
    pub fn fix(&self) -> String {
        match self.variable {
            Some(crate::env::HOME_ENV) => "Point HOME at your home folder.".into(),
            Some(variable) => format!("Point {variable} at a folder, or unset it to keep the files in ~/.clawdbot."),
            None => {
                format!("Move {} away (the folder is made when needed), or set {STATE_DIR_ENV} to a folder.", self.path)
            }
        }
    }
}

/// The state folder cannot hold files (as [`Env::not_folders`] says): no
/// command can read or write anything Clawdbot keeps, and each ends at
/// once with this, before it reads or asks anything.
pub fn unusable_state_dir(env: &Env) -> Option<NotAFolder> {
    let state = state_dir(env);
    env.beyond_reach(&state)?;
    // Blame what a variable names: HOME itself when HOME is the file.
    let (variable, path) = match state_dir_variable(env) {
        Some(variable) => (Some(variable), state),
        None if env.beyond_reach(&env.home).is_some() => (Some(crate::env::HOME_ENV), env.home.clone()),
        None => (None, state),
    };
    Some(NotAFolder { variable, path, state: true })
}

/// HOME cannot hold files while the state folder is elsewhere (a service
/// run with `HOME=/dev/null`): the other CLIs' files under it cannot exist.
pub fn unreachable_home(env: &Env) -> Option<NotAFolder> {
    env.beyond_reach(&env.home)?;
    if unusable_state_dir(env).is_some() {
        return None;
    }
    let path = env.home.clone();
    Some(NotAFolder { variable: Some(crate::env::HOME_ENV), path, state: false })
}

/// Config file: `CLAWDBOT_CONFIG_PATH`, else `<state>/clawdbot.json`.
pub fn config_path(env: &Env) -> String {
    match env.get(CONFIG_PATH_ENV) {
        Some(p) => env.resolve(p),
        None => join(&state_dir(env), "clawdbot.json"),
    }
}

/// [`config_path`], the state folder (`state`, [`state_dir`]) known.
fn config_path_in(env: &Env, state: &str) -> String {
    match env.get(CONFIG_PATH_ENV) {
        Some(p) => env.resolve(p),
        None => join(state, "clawdbot.json"),
    }
}

/// The reference's `normalizeAgentId`: trimmed, lower-case, and only
/// `[a-z0-9_-]` (other runs become `-`); empty means the default agent.
pub fn normalize_agent_id(raw: &str) -> String {
    // Nearly every id is normal already (every agent's is normalised
    // several times a run): kept as it is.
    let plain = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-';
    if raw.bytes().all(|b| plain(&b)) && !raw.starts_with('-') && !raw.ends_with('-') && !raw.is_empty() {
        return raw.to_string();
    }
    normalize_agent_id_spelled_out(raw)
}

/// [`normalize_agent_id`] character by character.
fn normalize_agent_id_spelled_out(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() { DEFAULT_AGENT_ID.to_string() } else { out }
}

/// The agent a command acts on: the one asked for, else the config's
/// default (`default: true`, else the first listed), else `main`.
pub fn agent_id(config: &Config, requested: Option<&str>) -> String {
    if let Some(raw) = requested {
        return normalize_agent_id(raw);
    }
    let chosen = config.agents.iter().find(|a| a.default).or_else(|| config.agents.first());
    match chosen {
        Some(a) => normalize_agent_id(&a.id),
        None => DEFAULT_AGENT_ID.to_string(),
    }
}

/// Every agent `--all-agents` covers: the default agent first, then those
/// the config lists, then every folder under `<state>/agents/` that holds
/// an `agent/` folder (`found`: those folder names, as the host listed
/// them), each once, by normalised id.
pub fn all_agents(config: &Config, found: &[String]) -> Vec<String> {
    let mut ids = vec![agent_id(config, None)];
    let mut seen: std::collections::HashSet<String> = ids.iter().cloned().collect();
    let listed = config.agents.iter().map(|a| a.id.as_str());
    for id in listed.chain(found.iter().map(String::as_str)).map(normalize_agent_id) {
        if seen.insert(id.clone()) {
            ids.push(id);
        }
    }
    ids
}

/// The config's entry for the agent `id` (normalised): the first of
/// `agents.list` whose id normalises to it. Through the config's index
/// ([`crate::config::AgentIndex`]), made here on first use.
fn entry<'a>(config: &'a Config, id: &str) -> Option<&'a crate::config::AgentEntry> {
    let (indexed, index) = config.agent_index.0.get_or_init(|| {
        let mut index = std::collections::HashMap::new();
        for (i, a) in config.agents.iter().enumerate() {
            index.entry(normalize_agent_id(&a.id)).or_insert(i);
        }
        (config.agents.len(), index)
    });
    match *indexed == config.agents.len() {
        true => index.get(id).and_then(|&i| config.agents.get(i)),
        false => config.agents.iter().find(|a| normalize_agent_id(&a.id) == id),
    }
}

/// Whether `id` (normalised) is an agent the config knows: the default
/// agent or one `agents.list` names. An agent is also known when its
/// folder exists, which only the host can see.
pub fn listed_agent(config: &Config, id: &str) -> bool {
    agent_id_default(config) == id || entry(config, id).is_some()
}

/// The agent whose profiles `locations`' agent sees under its own, and
/// where they are: the default agent, for every other agent that did not
/// opt out (`inheritAuth: false`) and does not share its folder. The
/// default agent owns the logins synced from Claude Code and Codex; the
/// others read them through it, so a single-use refresh token is never
/// copied into a second store.
pub fn owner(env: &Env, config: &Config, locations: &Locations) -> Option<Locations> {
    let owner = locate(env, config, None);
    inherits_from(config, locations, &owner).then_some(owner)
}

/// Whether `locations`' agent inherits from the default agent, whose
/// locations are `default` ([`owner`], for a caller that has them).
pub fn inherits_from(config: &Config, locations: &Locations, default: &Locations) -> bool {
    if entry(config, &locations.agent_id).is_some_and(|a| !a.inherit_auth) {
        return false;
    }
    default.agent_id != locations.agent_id && default.agent_dir != locations.agent_dir
}

/// Why a command did not act on the agent it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// `--agent` names no agent the config lists and no folder there is:
    /// most often a typo, which must not become a new agent.
    #[error("no agent named `{id}` (known agents: {})", known.join(", "))]
    Unknown {
        /// The id asked for, normalised.
        id: String,
        /// Every known agent, the default first.
        known: Vec<String>,
    },
}

/// Resolves every location once the config is known (the agent dir can
/// come from `agents.list[].agentDir`).
pub fn locate(env: &Env, config: &Config, requested_agent: Option<&str>) -> Locations {
    let state = state_dir(env);
    let (agent_id, agent_dir) = agent_place(env, config, &state, requested_agent);
    let oauth_json = match env.get(OAUTH_DIR_ENV) {
        Some(d) => join(&env.resolve(d), "oauth.json"),
        None => join(&state, "credentials/oauth.json"),
    };
    Locations {
        config: config_path_in(env, &state),
        state_dir: state,
        agent_id,
        agent_dir,
        oauth_json,
        env: env.clone(),
    }
}

/// [`locate`] for an agent of the environment and config another agent's
/// locations (`base`) were resolved in: what no agent changes (the state
/// folder, the config, `oauth.json`) is taken from them, only the agent's
/// own place is resolved (`--all-agents` locates every agent).
pub fn locate_from(base: &Locations, config: &Config, requested_agent: Option<&str>) -> Locations {
    let (agent_id, agent_dir) = agent_place(&base.env, config, &base.state_dir, requested_agent);
    Locations {
        config: base.config.clone(),
        state_dir: base.state_dir.clone(),
        agent_id,
        agent_dir,
        oauth_json: base.oauth_json.clone(),
        env: base.env.clone(),
    }
}

/// The agent asked for (else the default) and its folder: the config's
/// `agentDir`, else for the default agent asked for by no name the env
/// override, else `<state>/agents/<id>/agent`.
fn agent_place(env: &Env, config: &Config, state: &str, requested_agent: Option<&str>) -> (String, String) {
    let agent_id = agent_id(config, requested_agent);
    let configured_dir = entry(config, &agent_id).and_then(|a| a.agent_dir.as_deref()).map(|d| env.resolve(d));
    // With no agent asked for, the agent is the default one.
    let env_dir = || env.get(AGENT_DIR_ENV).or_else(|| env.get(PI_AGENT_DIR_ENV)).map(|d| env.resolve(d));
    let agent_dir = match configured_dir {
        Some(dir) => dir,
        None => match requested_agent.is_none().then(env_dir).flatten() {
            Some(dir) => dir,
            None => {
                let mut inner = String::with_capacity(agent_id.len() + 13);
                for piece in ["agents/", agent_id.as_str(), "/agent"] {
                    inner.push_str(piece);
                }
                join(state, &inner)
            }
        },
    };
    (agent_id, agent_dir)
}

fn agent_id_default(config: &Config) -> String {
    agent_id(config, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_agents_puts_the_default_first_and_lists_each_once() {
        let mut config = Config::default();
        config.agents.push(crate::config::AgentEntry {
            id: "Ops".into(),
            default: false,
            agent_dir: None,
            inherit_auth: true,
        });
        let found = ["main".to_string(), "ops".into(), "lab".into()];
        assert_eq!(all_agents(&config, &found), ["ops", "main", "lab"], "the first listed is the default");
        assert_eq!(all_agents(&Config::default(), &[]), ["main"]);
    }
    use crate::config::AgentEntry;

    fn env() -> Env {
        Env::new("/home/u")
    }

    /// Another agent located from the default one's locations is where
    /// `locate` puts it, whatever the overrides and the config say.
    #[test]
    fn an_agent_located_from_another_is_where_locate_puts_it() {
        let mut config = Config::default();
        for (id, dir) in [("Ops", Some("~/ops-dir")), ("lab", None), ("main", None)] {
            config.agents.push(AgentEntry {
                id: id.into(),
                default: false,
                agent_dir: dir.map(Into::into),
                inherit_auth: true,
            });
        }
        let envs = [
            env(),
            env().with_var("CLAWDBOT_STATE_DIR", "~/state").with_var("CLAWDBOT_AGENT_DIR", "/agent-env"),
            env().with_var("PI_CODING_AGENT_DIR", "/pi").with_var("CLAWDBOT_OAUTH_DIR", "/oauth"),
            env().with_var("CLAWDBOT_CONFIG_PATH", "/etc/c.json"),
        ];
        for e in envs {
            for cfg in [Config::default(), config.clone()] {
                let base = locate(&e, &cfg, None);
                for agent in [None, Some("ops"), Some("Lab"), Some("main"), Some("new one")] {
                    assert_eq!(locate_from(&base, &cfg, agent), locate(&e, &cfg, agent), "{agent:?} {e:?}");
                }
            }
        }
    }

    #[test]
    fn defaults_live_under_dot_clawdbot() {
        let l = locate(&env(), &Config::default(), None);
        assert_eq!(l.state_dir, "/home/u/.clawdbot");
        assert_eq!(l.config, "/home/u/.clawdbot/clawdbot.json");
        assert_eq!(l.store(), "/home/u/.clawdbot/agents/main/agent/auth-profiles.json");
        assert_eq!(l.legacy_store(), "/home/u/.clawdbot/agents/main/agent/auth.json");
        assert_eq!(l.oauth_json, "/home/u/.clawdbot/credentials/oauth.json");
    }

    #[test]
    fn overrides_in_priority_order() {
        let e = env()
            .with_var("CLAWDIS_STATE_DIR", "/legacy")
            .with_var("CLAWDBOT_STATE_DIR", "~/state")
            .with_var("PI_CODING_AGENT_DIR", "/pi");
        let l = locate(&e, &Config::default(), None);
        assert_eq!(l.state_dir, "/home/u/state");
        assert_eq!(l.agent_dir, "/pi");
        let e = e.with_var("CLAWDBOT_AGENT_DIR", "/agent").with_var("CLAWDBOT_CONFIG_PATH", "/etc/c.json");
        let l = locate(&e, &Config::default(), None);
        assert_eq!(l.agent_dir, "/agent");
        assert_eq!(l.config, "/etc/c.json");
        let blank = env().with_var("CLAWDBOT_STATE_DIR", "  ");
        assert_eq!(state_dir(&blank), "/home/u/.clawdbot");
    }

    /// Issue 23 item 12: the folder that is not one is blamed on the
    /// variable that names it, and only the state folder stops a command.
    #[test]
    fn a_folder_that_is_not_one_is_blamed_on_the_variable_that_names_it() {
        let bad = |e: Env, paths: &[&str]| Env { not_folders: paths.iter().map(|p| p.to_string()).collect(), ..e };
        assert_eq!(folders_to_check(&env()), ["/home/u", "/home/u/.clawdbot"]);
        let var = env().with_var(STATE_DIR_ENV, "/srv/file");
        assert_eq!(folders_to_check(&var), ["/home/u", "/srv/file"]);
        assert_eq!(unusable_state_dir(&var), None, "nothing found wrong");
        let home_file = bad(env(), &["/home/u", "/home/u/.clawdbot"]);
        let blamed = unusable_state_dir(&home_file).expect("HOME is a file");
        assert_eq!((blamed.variable, blamed.path.as_str()), (Some("HOME"), "/home/u"));
        assert_eq!(blamed.to_string(), "/home/u: not a folder (HOME names it); Clawdbot keeps its files in it");
        let state_file = bad(var.clone(), &["/srv/file"]);
        let blamed = unusable_state_dir(&state_file).expect("the state folder is a file");
        assert_eq!((blamed.variable, blamed.path.as_str()), (Some(STATE_DIR_ENV), "/srv/file"));
        assert_eq!(unreachable_home(&state_file), None);
        let legacy = bad(env().with_var(LEGACY_STATE_DIR_ENV, "/old"), &["/old"]);
        assert_eq!(unusable_state_dir(&legacy).and_then(|f| f.variable), Some(LEGACY_STATE_DIR_ENV));
        let dot_file = bad(env(), &["/home/u/.clawdbot"]);
        let blamed = unusable_state_dir(&dot_file).expect("~/.clawdbot is a file");
        assert_eq!((blamed.variable, blamed.path.as_str()), (None, "/home/u/.clawdbot"));
        // HOME a file, the state folder elsewhere: commands run; only the
        // other CLIs' files under HOME are missed.
        assert_eq!(unreachable_home(&home_file), None, "said once, as the state folder's");
        let service = bad(var, &["/home/u"]);
        assert_eq!(unusable_state_dir(&service), None);
        let home = unreachable_home(&service).expect("HOME is a file");
        assert_eq!(home.to_string(), "/home/u: not a folder (HOME names it); nothing under it is read");
        assert_eq!(service.beyond_reach("/home/u/.claude/.credentials.json"), Some("/home/u"));
        assert_eq!(service.beyond_reach("/home/user2/x"), None, "a whole segment");
    }

    #[test]
    fn named_agents_use_config_dir_or_state_layout() {
        let mut cfg = Config::default();
        cfg.agents.push(AgentEntry {
            id: "Work Bot".into(),
            default: false,
            agent_dir: Some("~/work-agent".into()),
            inherit_auth: true,
        });
        cfg.agents.push(AgentEntry { id: "ops".into(), default: true, agent_dir: None, inherit_auth: true });
        assert_eq!(locate(&env(), &cfg, Some("work bot")).agent_dir, "/home/u/work-agent");
        let l = locate(&env(), &cfg, None);
        assert_eq!(l.agent_id, "ops");
        assert_eq!(l.agent_dir, "/home/u/.clawdbot/agents/ops/agent");
    }

    #[test]
    fn shortens_home_and_resolves_relative_paths() {
        let mut e = env();
        assert_eq!(e.shorten("/home/u/.clawdbot/x"), "~/.clawdbot/x");
        assert_eq!(e.shorten("/home/user2/x"), "/home/user2/x");
        e.cwd = Some("/srv".into());
        assert_eq!(e.resolve("data/../state"), "/srv/state");
        let tilde = Env::new("~");
        assert_eq!(join(&tilde.home, ".clawdbot"), "~/.clawdbot");
    }

    // Each test below pins a rule that a mutant once changed unnoticed
    // (issue 15).

    #[test]
    fn the_user_name_is_user_else_the_user_database_s() {
        assert_eq!(env().with_var("USER", "alice").user_name(), Some("alice"));
        let mut e = env().with_var("USER", "");
        assert_eq!(e.user_name(), None, "an empty USER is no name");
        e.login_name = Some("bob".into());
        assert_eq!(e.user_name(), Some("bob"));
        assert_eq!(e.clone().with_var("USER", " a ").user_name(), Some(" a "), "USER as given, untrimmed");
    }

    #[test]
    fn a_variable_is_set_even_when_empty_but_gets_only_a_value() {
        let e = env().with_var("EMPTY", "").with_var("PADDED", "  v  ");
        assert!(e.is_set("EMPTY"));
        assert!(!e.is_set("UNSET"));
        assert_eq!(e.get("EMPTY"), None);
        assert_eq!(e.get("PADDED"), Some("v"));
    }

    #[test]
    fn resolving_expands_tilde_and_keeps_absolute_paths() {
        let mut e = env();
        assert_eq!(e.resolve(" ~ "), "/home/u");
        assert_eq!(e.resolve("~/a/./b"), "/home/u/a/b");
        assert_eq!(e.resolve("/x//y/"), "/x/y");
        assert_eq!(e.resolve("rel/p"), "rel/p", "no working directory: left relative");
        e.cwd = Some("/srv".into());
        assert_eq!(e.resolve("/abs/../p"), "/p", "absolute even with a working directory");
        assert_eq!(e.resolve("rel"), "/srv/rel");
    }

    #[test]
    fn shortening_needs_a_real_home_and_a_whole_segment() {
        let e = Env::new("/home/u/");
        assert_eq!(e.shorten("/home/u"), "~");
        assert_eq!(e.shorten("/home/u/x"), "~/x");
        assert_eq!(e.shorten("/home/ux"), "/home/ux");
        assert_eq!(Env::new("~").shorten("~/x"), "~/x");
        assert_eq!(Env::new("").shorten("/x"), "/x");
        assert_eq!(Env::new("").shorten(""), "");
    }

    #[test]
    fn dot_dot_climbs_only_over_a_real_parent() {
        assert_eq!(join("/a/b", "../c"), "/a/c");
        assert_eq!(join("a", "../../c"), "../c", "a leading .. stays");
        assert_eq!(join("~", "../x"), "~/../x", "never above the home placeholder");
        assert_eq!(join("x", "../.."), "..");
        assert_eq!(join("..", "../x"), "../../x", "a .. is no parent to climb over");
        assert_eq!(join("/a/", ""), "/a");
    }

    #[test]
    fn agent_ids_are_normalised_as_the_reference_does() {
        for id in ["ops", "a__b--c", "-a", "a-", "", "Ops", "a b", "agent0001", "_x_", "é", "0"] {
            assert_eq!(normalize_agent_id(id), normalize_agent_id_spelled_out(id), "{id:?}");
        }
        assert_eq!(normalize_agent_id(" Work Bot "), "work-bot");
        assert_eq!(normalize_agent_id("a__b--c"), "a__b--c");
        assert_eq!(normalize_agent_id("a!!b"), "a-b", "a run of others is one dash");
        assert_eq!(normalize_agent_id("-a-"), "a");
        assert_eq!(normalize_agent_id("!!"), "main");
        assert_eq!(normalize_agent_id(""), "main");
        assert_eq!(normalize_agent_id("a_1"), "a_1");
    }

    #[test]
    fn the_agent_dir_variable_is_only_the_default_agent_s_when_none_is_asked_for() {
        let mut cfg = Config::default();
        cfg.agents.push(AgentEntry { id: "main".into(), default: true, agent_dir: None, inherit_auth: true });
        cfg.agents.push(AgentEntry { id: "ops".into(), default: false, agent_dir: None, inherit_auth: true });
        let e = env().with_var("CLAWDBOT_AGENT_DIR", "/agent");
        assert_eq!(locate(&e, &cfg, None).agent_dir, "/agent");
        assert_eq!(locate(&e, &cfg, Some("main")).agent_dir, "/home/u/.clawdbot/agents/main/agent");
        assert_eq!(locate(&e, &cfg, Some("ops")).agent_dir, "/home/u/.clawdbot/agents/ops/agent");
        let e = env().with_var("CLAWDBOT_OAUTH_DIR", "~/oauth");
        assert_eq!(locate(&e, &cfg, None).oauth_json, "/home/u/oauth/oauth.json");
    }

    #[test]
    fn the_first_listed_agent_is_the_default_when_none_says_so() {
        let mut cfg = Config::default();
        assert_eq!(agent_id(&cfg, None), "main");
        cfg.agents.push(AgentEntry { id: "First".into(), default: false, agent_dir: None, inherit_auth: true });
        cfg.agents.push(AgentEntry { id: "second".into(), default: false, agent_dir: None, inherit_auth: true });
        assert_eq!(agent_id(&cfg, None), "first");
        cfg.agents[1].default = true;
        assert_eq!(agent_id(&cfg, None), "second");
        assert_eq!(agent_id(&cfg, Some(" Other ")), "other");
        assert_eq!(config_path(&env().with_var("CLAWDIS_STATE_DIR", "/legacy")), "/legacy/clawdbot.json");
    }
}
