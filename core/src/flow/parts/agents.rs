//! Which agents `--all-agents` covers (`models status`, `doctor`): the
//! default agent, those the config lists, then every folder under
//! `<state>/agents/` that holds an `agent/` folder ([`paths::all_agents`]).
//! Three questions to the host: the config, the folder's entries, and
//! which of them hold an `agent/` folder.

use super::drive::{Driven, Lines, Machine, Part, Turn, advance, flow_of_driven};
use super::{Answer, Done, Effect, Exit, Reply, Step};
use crate::config::{Config, ConfigRead, parse_config};
use crate::paths::{self, AgentError, Env};
use crate::time::Millis;
use crate::world::FileRead;
use std::sync::Arc;

#[derive(Debug)]
enum State {
    Config,
    Folders { config: Arc<ConfigRead> },
    AgentFolders { config: Arc<ConfigRead>, names: Vec<String> },
    Over,
}

#[derive(Debug)]
pub(crate) struct FindAgents {
    env: Env,
    state: State,
    input: Option<Answer>,
    /// The config as the host read it, for the first load of the run.
    config_read: Option<(String, FileRead)>,
    /// The config as parsed, by its path, for the same.
    parsed: Option<(String, Arc<ConfigRead>)>,
}

impl FindAgents {
    pub(crate) fn new(env: &Env) -> FindAgents {
        FindAgents { env: env.clone(), state: State::Config, input: None, config_read: None, parsed: None }
    }

    /// The config as it was read to find the agents: the first agent's load
    /// takes it as read ([`super::look::Look::answered`]), so a run reads
    /// it once.
    pub(crate) fn config_read(&mut self) -> Option<(String, FileRead)> {
        self.config_read.take()
    }

    /// The config as parsed to find the agents, by its path: the first
    /// agent's load takes it instead of parsing the same bytes again
    /// ([`super::look::Look::parsed_config`]).
    pub(crate) fn parsed_config(&mut self) -> Option<(String, Arc<ConfigRead>)> {
        self.parsed.take()
    }

    fn agents_dir(&self) -> String {
        paths::join(&paths::state_dir(&self.env), "agents")
    }

    /// `<agents_dir>/<name>/agent`.
    fn inner(agents_dir: &str, name: &str) -> String {
        paths::join(&paths::join(agents_dir, name), "agent")
    }
}

impl Part for FindAgents {
    type Out = Vec<String>;

    fn feed(&mut self, _now: Millis, input: Answer) {
        self.input = Some(input);
    }

    fn next(&mut self, _now: Millis) -> Step<Vec<String>> {
        loop {
            let input = self.input.take();
            self.state = match (std::mem::replace(&mut self.state, State::Over), input) {
                (State::Config, Some(Answer::Files(files))) => {
                    let read = files.into_iter().next();
                    let config = match &read {
                        Some((path, FileRead::Present { bytes, .. })) => {
                            let parsed = Arc::new(parse_config(bytes, &self.env.shorten(path)));
                            self.parsed = Some((path.clone(), Arc::clone(&parsed)));
                            parsed
                        }
                        _ => Arc::new(ConfigRead::default()),
                    };
                    self.config_read = read;
                    State::Folders { config }
                }
                (State::Config, _) => {
                    self.state = State::Config;
                    return Step::Effect(Effect::read(vec![paths::config_path(&self.env)]));
                }
                (State::Folders { config }, Some(Answer::Entries(entries))) => {
                    State::AgentFolders { config, names: entries.into_iter().map(|e| e.name).collect() }
                }
                (State::Folders { config }, _) => {
                    self.state = State::Folders { config };
                    return Step::Effect(Effect::ListFolder { path: self.agents_dir(), reply: Reply::new() });
                }
                (State::AgentFolders { config, names }, Some(Answer::Stats(stats))) => {
                    let folders: std::collections::HashSet<String> = stats
                        .into_iter()
                        .filter(|(_, meta)| meta.as_ref().is_some_and(|m| m.folder))
                        .map(|(path, _)| path)
                        .collect();
                    let dir = self.agents_dir();
                    let mut found: Vec<String> =
                        names.into_iter().filter(|name| folders.contains(&Self::inner(&dir, name))).collect();
                    found.sort();
                    return Step::Ready(paths::all_agents(&config.config, &found));
                }
                (State::AgentFolders { config, names }, _) => {
                    // An agent the config lists is one whatever its folder
                    // holds (`paths::all_agents`): only the others are looked at.
                    let listed = |name: &String| paths::listed_agent(&config.config, &paths::normalize_agent_id(name));
                    let dir = self.agents_dir();
                    let inner: Vec<String> =
                        names.iter().filter(|n| !listed(n)).map(|n| Self::inner(&dir, n)).collect();
                    self.state = State::AgentFolders { config, names };
                    return Step::Effect(Effect::stat(inner));
                }
                (State::Over, _) => return Step::Ready(Vec::new()),
            };
        }
    }
}

/// Whether the agent a command was given exists, asked before anything
/// is read for it or written: a typo in `--agent` must not become an
/// agent. Known: no `--agent`, the default agent, one `agents.list` names,
/// or one whose folder exists; `create` lets a command that stores a
/// credential make a new one. Ends with the refusal, naming the known
/// agents, when it is none of these.
#[derive(Debug)]
pub(crate) struct KnownAgent {
    env: Env,
    state: Known,
}

#[derive(Debug)]
enum Known {
    Stat { id: String, dir: String },
    Find { id: String, find: Box<FindAgents> },
    Over(Result<(), Box<Done>>),
}

impl KnownAgent {
    pub(crate) fn new(env: &Env, config: &Config, agent: Option<&str>, create: bool) -> KnownAgent {
        let state = match agent {
            Some(raw) if !create && !paths::listed_agent(config, &paths::normalize_agent_id(raw)) => {
                let locations = paths::locate(env, config, Some(raw));
                Known::Stat { id: locations.agent_id, dir: locations.agent_dir }
            }
            _ => Known::Over(Ok(())),
        };
        KnownAgent { env: env.clone(), state }
    }
}

impl Part for KnownAgent {
    type Out = Result<(), Box<Done>>;

    fn feed(&mut self, now: Millis, input: Answer) {
        self.state = match std::mem::replace(&mut self.state, Known::Over(Ok(()))) {
            Known::Stat { id, dir } => match input {
                Answer::Stats(stats)
                    if stats.iter().any(|(p, m)| *p == dir && m.as_ref().is_some_and(|m| m.folder)) =>
                {
                    Known::Over(Ok(()))
                }
                _ => Known::Find { id, find: Box::new(FindAgents::new(&self.env)) },
            },
            Known::Find { id, mut find } => {
                find.feed(now, input);
                Known::Find { id, find }
            }
            over => over,
        };
    }

    fn next(&mut self, now: Millis) -> Step<Self::Out> {
        match &mut self.state {
            Known::Stat { dir, .. } => Step::Effect(Effect::stat(vec![dir.clone()])),
            Known::Find { id, find } => match find.next(now) {
                Step::Ready(known) => {
                    let error = AgentError::Unknown { id: id.clone(), known };
                    Step::Ready(Err(Box::new(Done::refusing(Exit::Action, &error.into()))))
                }
                Step::Effect(effect) => Step::Effect(effect),
            },
            Known::Over(result) => Step::Ready(result.clone()),
        }
    }
}

/// The known-agent rule as a flow of its own, for a host that looks at a
/// home without running a command (the envelope the panel and the sandbox
/// call): it ends `Ok`, or with the refusal every command gives an
/// unknown `--agent`, having read the config and the agents' folders.
pub struct AgentCheck {
    inner: Driven<Checking>,
}

struct Checking;

impl AgentCheck {
    /// Whether `agent` (`None`: the default one) is known under `config`.
    pub fn new(env: &Env, config: &Config, agent: Option<&str>, now: Millis) -> AgentCheck {
        let part = Box::new(KnownAgent::new(env, config, agent, false));
        AgentCheck { inner: Driven::start(Checking, part, env, now) }
    }
}

impl Machine for Checking {
    type State = Box<KnownAgent>;

    fn step(
        &mut self,
        mut part: Box<KnownAgent>,
        input: Option<Answer>,
        now: Millis,
        _: &mut Lines,
    ) -> Turn<Self::State> {
        match advance(&mut *part, input, now) {
            Step::Effect(effect) => Turn::Ask(part, effect),
            Step::Ready(Ok(())) => Turn::End(Done::with(Exit::Ok, Vec::new())),
            Step::Ready(Err(refused)) => Turn::End(*refused),
        }
    }
}

flow_of_driven!(AgentCheck);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Entry, FileMeta};

    fn meta(folder: bool) -> Option<FileMeta> {
        Some(FileMeta { folder, regular: !folder, mode: 0o700, link_folder: None })
    }

    /// The default agent (here the config's only one), the config's, then the folders that hold an
    /// `agent/` folder; a file, or an `agent` that is not a folder, is no
    /// agent.
    #[test]
    fn the_default_then_the_configs_then_each_folder_holding_an_agent_folder() {
        let mut find = FindAgents::new(&Env::new("/h"));
        let Step::Effect(Effect::Read { paths, .. }) = find.next(0) else { panic!("the config is read first") };
        assert_eq!(paths, ["/h/.clawdbot/clawdbot.json"]);
        let config = FileRead::text(r#"{"agents": {"list": [{"id": "ops"}]}}"#);
        find.feed(0, Answer::Files(vec![(paths[0].clone(), config)]));
        let Step::Effect(Effect::ListFolder { path, .. }) = find.next(0) else { panic!("then the folder listed") };
        assert_eq!(path, "/h/.clawdbot/agents");
        let entry = |name: &str, folder| Entry { name: name.into(), folder };
        find.feed(0, Answer::Entries(vec![entry("zed", true), entry("notes.txt", false), entry("hollow", true)]));
        let Step::Effect(Effect::Stat { paths: inner, .. }) = find.next(0) else {
            panic!("then each entry's agent/ looked at")
        };
        let at = |name: &str| format!("/h/.clawdbot/agents/{name}/agent");
        assert_eq!(inner, [at("zed"), at("notes.txt"), at("hollow")]);
        find.feed(
            0,
            Answer::Stats(vec![(at("zed"), meta(true)), (at("notes.txt"), None), (at("hollow"), meta(false))]),
        );
        let Step::Ready(ids) = find.next(0) else { panic!("then done") };
        assert_eq!(ids, ["ops", "zed"], "the config's only agent is the default");
    }

    /// An agent the config lists needs no look at the disk; one it does
    /// not is known by its folder, else refused with the known agents
    /// named (the list is asked for only then).
    #[test]
    fn an_agent_is_known_by_the_config_or_its_folder_else_refused_naming_the_known_ones() {
        let env = Env::new("/h");
        let config = parse_config(br#"{"agents": {"list": [{"id": "main"}, {"id": "ops"}]}}"#, "c").config;
        for (agent, create) in [(None, false), (Some("Ops"), false), (Some("main"), false), (Some("new"), true)] {
            let mut known = KnownAgent::new(&env, &config, agent, create);
            assert!(matches!(known.next(0), Step::Ready(Ok(()))), "{agent:?} asks nothing");
        }
        let mut known = KnownAgent::new(&env, &config, Some("lab"), false);
        let dir = "/h/.clawdbot/agents/lab/agent".to_string();
        let Step::Effect(Effect::Stat { paths, .. }) = known.next(0) else { panic!("its folder is looked at") };
        assert_eq!(paths, std::slice::from_ref(&dir));
        known.feed(0, Answer::Stats(vec![(dir.clone(), meta(true))]));
        assert!(matches!(known.next(0), Step::Ready(Ok(()))), "its folder makes it known");

        let mut typo = KnownAgent::new(&env, &config, Some("mian"), false);
        let _ = typo.next(0);
        typo.feed(0, Answer::Stats(vec![(dir, None)]));
        let Step::Effect(Effect::Read { .. }) = typo.next(0) else { panic!("the known agents are looked up") };
        typo.feed(0, Answer::Files(vec![("/h/.clawdbot/clawdbot.json".into(), FileRead::Absent)]));
        let Step::Effect(Effect::ListFolder { .. }) = typo.next(0) else { panic!("and the folders") };
        typo.feed(0, Answer::Entries(Vec::new()));
        let Step::Effect(Effect::Stat { .. }) = typo.next(0) else { panic!("and which hold an agent") };
        typo.feed(0, Answer::Stats(Vec::new()));
        let Step::Ready(Err(done)) = typo.next(0) else { panic!("refused") };
        assert_eq!(done.exit, Exit::Action);
        let text: Vec<String> = done.lines().into_iter().map(|l| l.text).collect();
        assert!(text[0].contains("no agent named `mian` (known agents: main)"), "{text:?}");
        assert!(text[1].contains("--create-agent"), "{text:?}");
    }
}
