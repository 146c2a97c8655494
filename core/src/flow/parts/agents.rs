//! Which agents `--all-agents` covers (`models status`, `doctor`): the
//! default agent, those the config lists, then every folder under
//! `<state>/agents/` that holds an `agent/` folder ([`paths::all_agents`]).
//! Three questions to the host: the config, the folder's entries, and
//! which of them hold an `agent/` folder.

use super::drive::Part;
use super::{Answer, Effect, Reply, Step};
use crate::config::{Config, parse_config};
use crate::paths::{self, Env};
use crate::time::Millis;
use crate::world::FileRead;

enum State {
    Config,
    Folders { config: Box<Config> },
    AgentFolders { config: Box<Config>, names: Vec<String> },
    Over,
}

pub(crate) struct FindAgents {
    env: Env,
    state: State,
    input: Option<Answer>,
}

impl FindAgents {
    pub(crate) fn new(env: &Env) -> FindAgents {
        FindAgents { env: env.clone(), state: State::Config, input: None }
    }

    fn agents_dir(&self) -> String {
        paths::join(&paths::state_dir(&self.env), "agents")
    }

    fn inner(&self, name: &str) -> String {
        paths::join(&paths::join(&self.agents_dir(), name), "agent")
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
                    let config = match files.into_iter().next() {
                        Some((path, FileRead::Present { bytes, .. })) => {
                            parse_config(&bytes, &self.env.shorten(&path)).config
                        }
                        _ => Config::default(),
                    };
                    State::Folders { config: Box::new(config) }
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
                    let mut found: Vec<String> = names
                        .into_iter()
                        .filter(|name| {
                            let inner = self.inner(name);
                            stats.iter().any(|(p, meta)| *p == inner && meta.as_ref().is_some_and(|m| m.folder))
                        })
                        .collect();
                    found.sort();
                    return Step::Ready(paths::all_agents(&config, &found));
                }
                (State::AgentFolders { config, names }, _) => {
                    let inner = names.iter().map(|n| self.inner(n)).collect();
                    self.state = State::AgentFolders { config, names };
                    return Step::Effect(Effect::stat(inner));
                }
                (State::Over, _) => return Step::Ready(Vec::new()),
            };
        }
    }
}

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
}
