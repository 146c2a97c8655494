//! What a manual says about the core's own facts: the environment
//! variables it reads and the files it reads and writes. Each row is built
//! from the constant the rule reads (or from the registry a rule walks), so
//! a host's man page and `--help` cannot name a variable or a path the core
//! does not use, nor miss one it starts to use. The exit statuses are
//! [`crate::flow::Exit::ALL`], next to the type.

use crate::logins::{claude_code, codex_cli};
use crate::paths::{self, Env};
use crate::time::{MINUTE, Millis, SECOND};

pub use crate::env::KEYCHAIN_ENV;

pub use crate::env::HOME_ENV;

/// Pins a host's clock to this many milliseconds since the epoch (a
/// testing aid, like `SOURCE_DATE_EPOCH`).
pub const NOW_ENV: &str = "CLAWDBOT_NOW_MS";

/// One row of a manual's ENVIRONMENT section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// The variable, then any it falls back to or goes with.
    pub names: Vec<&'static str>,
    /// What setting it does.
    pub meaning: String,
}

fn row(names: &[&'static str], meaning: impl Into<String>) -> Variable {
    Variable { names: names.to_vec(), meaning: meaning.into() }
}

/// `300000` as `5 min`, `15000` as `15 s`.
fn spoken(ms: Millis) -> String {
    match ms {
        ms if ms % MINUTE == 0 => format!("{} min", ms / MINUTE),
        ms if ms % SECOND == 0 => format!("{} s", ms / SECOND),
        ms => format!("{ms} ms"),
    }
}

/// Every variable an operator may set, but the providers' keys
/// ([`provider_variables`]), in the order a manual lists them.
pub fn environment() -> Vec<Variable> {
    let home = Env::new("~");
    let state = paths::state_dir(&home);
    let claude = claude_code::SOURCE;
    let codex = codex_cli::SOURCE;
    let mut rows = vec![
        row(
            &[HOME_ENV],
            "where everything lives by default; naming a file, nothing under it is read (one warning says so).",
        ),
        row(
            &[paths::STATE_DIR_ENV, paths::LEGACY_STATE_DIR_ENV],
            format!(
                "the state folder (default {state}; the second is its legacy name); naming a file, every command \
                 stops at once (exit 1) and says so."
            ),
        ),
        row(&[paths::CONFIG_PATH_ENV], "the config file (default <state>/clawdbot.json)."),
        row(
            &[paths::AGENT_DIR_ENV, paths::PI_AGENT_DIR_ENV],
            format!("the default agent's folder (default <state>/agents/{}/agent).", paths::DEFAULT_AGENT_ID),
        ),
        row(&[paths::OAUTH_DIR_ENV], "folder of the legacy oauth.json (default <state>/credentials)."),
        row(
            &claude.home.env_vars.iter().map(|v| v.name).collect::<Vec<_>>(),
            format!(
                "Claude Code's folder, the first one set (empty: the default ~/{}); also changes its Keychain item's name.",
                claude.home.default
            ),
        ),
        row(
            &codex.home.env_vars.iter().map(|v| v.name).collect::<Vec<_>>(),
            format!("Codex CLI's folder (default ~/{}).", codex.home.default),
        ),
        row(
            &[KEYCHAIN_ENV],
            "off: never read the macOS Keychain; security: read it through the first `security` on PATH, \
             even off macOS.",
        ),
        row(
            &[crate::env_auth::LOAD_SHELL_ENV],
            "1, true, yes or on: import model keys from a login shell ($SHELL -l) when none is set.",
        ),
        row(
            &[crate::flow::SHELL_ENV_TIMEOUT_ENV],
            format!("deadline of that login shell in ms (default {}).", crate::flow::SHELL_ENV_TIMEOUT_MS),
        ),
        row(
            &[crate::flow::WINDOW_ENV],
            format!(
                "how long before expiry an OAuth login is refreshed on use, in ms (default {}).",
                spoken(crate::refresh::DEFAULT_REFRESH_WINDOW_MS)
            ),
        ),
        row(
            &[crate::flow::HTTP_TIMEOUT_ENV],
            format!(
                "total timeout of a token request, in ms (default {}).",
                spoken(crate::flow::HttpTimeouts::DEFAULT_TOTAL_MS as Millis)
            ),
        ),
        row(
            &[crate::flow::LOCK_WAIT_ENV],
            format!(
                "longest wait for the store lock, in ms (default {}).",
                spoken(crate::defaults::STORE_LOCK.max_wait_ms)
            ),
        ),
    ];
    if let Some((name, _)) = claude.headless {
        rows.push(row(
            &[name],
            "Claude Code's own token: not read as a credential; models status says how to store it.",
        ));
    }
    let mut gcloud = vec![crate::load::GCLOUD_CREDENTIALS_ENV];
    gcloud.extend(crate::load::GCLOUD_PROJECT_ENV);
    gcloud.push(crate::load::GCLOUD_LOCATION_ENV);
    rows.push(row(&gcloud, "google-vertex through gcloud's application default credentials."));
    for client in crate::providers::PROVIDERS.iter().filter_map(|p| p.refresh.as_ref()?.client_vars) {
        rows.push(row(
            &[client.id_var, client.secret_var],
            "an OAuth client's id and secret, when a profile has none.",
        ));
    }
    rows.push(row(
        &crate::flow::SSH_VARS,
        "any of them set: models auth login's browser login asks for the redirect to be pasted.",
    ));
    rows.push(row(
        &[crate::secrets::CREDENTIALS_DIRECTORY],
        "systemd's credentials folder: a file SecretRef provider whose path starts with $CREDENTIALS_DIRECTORY/ reads there.",
    ));
    // Read by the status report's renderer.
    rows.push(row(&["NO_COLOR", "TERM"], "no colours with NO_COLOR set or TERM=dumb (and never off a terminal)."));
    rows
}

/// Every variable a provider's key is taken from, in registry order (each
/// provider's own order is its priority).
pub fn provider_variables() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for name in crate::providers::PROVIDERS.iter().flat_map(|p| p.env_vars.iter().copied()) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// One provider's row of what `models status --probe` sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeRow {
    /// The provider's id.
    pub provider: &'static str,
    /// What its probe sends, per kind of credential; for the providers
    /// without one, that they are not probed.
    pub sends: String,
}

/// What `models status --probe` sends for each provider, from the
/// registry: one row per provider with a cheap check, then one naming the
/// others (`provider` empty), which are reported "not probed (no cheap
/// check)".
pub fn probes() -> Vec<ProbeRow> {
    use crate::providers::probe::kinds_words;
    let mut rows = Vec::new();
    let mut none = Vec::new();
    for spec in crate::providers::PROVIDERS.iter() {
        if spec.probes.is_empty() {
            none.push(spec.id);
            continue;
        }
        let sends = match spec.probes {
            [only] if only.kinds == crate::providers::probe::ANY => only.describe(),
            probes => probes
                .iter()
                .map(|p| format!("{}: {}", kinds_words(p.kinds), p.describe()))
                .collect::<Vec<_>>()
                .join("; "),
        };
        rows.push(ProbeRow { provider: spec.id, sends });
    }
    rows.push(ProbeRow { provider: "", sends: format!("not probed (no cheap check): {}", none.join(", ")) });
    rows
}

/// One row of a manual's FILES section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Where it is by default, under `~`.
    pub path: String,
    /// What it holds and what is done to it.
    pub meaning: String,
}

/// Every file the commands read or write, at its default place.
pub fn files() -> Vec<File> {
    let home = Env::new("~");
    let at = paths::locate(&home, &crate::config::Config::default(), None);
    // Any agent's folder: the default one's, with its id as a placeholder.
    let default_agent = format!("/agents/{}/", paths::DEFAULT_AGENT_ID);
    let any_agent = |path: String| path.replace(&default_agent, "/agents/<id>/");
    let store = any_agent(at.store());
    let file = |path: String, meaning: &str| File { path, meaning: meaning.to_string() };
    let mut files = vec![
        file(at.config.clone(), "the gateway's config (JSON5); rewritten as JSON after a backup when it was JSON5."),
        file(
            format!("./.env, {}", paths::join(&at.state_dir, ".env")),
            "variables read as the gateway reads them, never overriding one already set; a key there that is not \
             UTF-8 or holds control characters is no key. The state folder's is kept 0600 when it holds keys.",
        ),
        file(store.clone(), "an agent's credential store (0600)."),
        file(format!("{store}.lock"), "the store's lock folder, shared with the Node gateway."),
        file(any_agent(at.legacy_store()), "the legacy store, migrated once."),
        file(at.oauth_json.clone(), "legacy OAuth logins, migrated once."),
    ];
    // Each login source's file and lock, from its registry entry.
    for source in crate::logins::LOGIN_SOURCES {
        let owner = source.owner;
        files
            .push(file(source.file(&home), &format!("{owner}'s login, synced in (and written back after a refresh).")));
        if let Some(placement) = source.placement {
            let settings = paths::join(&source.dir(&home), placement.file);
            files.push(file(settings, &format!("{owner}'s settings: where it keeps its login.")));
        }
        let locks = [(source.lock, "taken around a refresh"), (source.write_lock, "held around a write-back")];
        for (lock, when) in locks.iter().filter_map(|(lock, when)| lock.as_ref().map(|l| (l, when))) {
            for (target, _) in source.lock_targets(lock, &home) {
                files.push(file(format!("{target}.lock"), &format!("{owner}'s lock folder, {when}.")));
            }
            if let Some(lock_file) = source.lock_file(lock, &home) {
                files.push(file(lock_file, &format!("{owner}'s lock file (flock), {when} and its write-back.")));
            }
            if let Some(owner_file) = source.owner_file(lock, &home) {
                files.push(file(owner_file, &format!("who holds {owner}'s lock while Clawdbot does.")));
            }
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_are_where_the_rules_look_by_default() {
        let paths: Vec<String> = files().into_iter().map(|f| f.path).collect();
        // The shipped registry's; a test build adds its fixture source after them.
        assert_eq!(
            paths[..14],
            [
                "~/.clawdbot/clawdbot.json",
                "./.env, ~/.clawdbot/.env",
                "~/.clawdbot/agents/<id>/agent/auth-profiles.json",
                "~/.clawdbot/agents/<id>/agent/auth-profiles.json.lock",
                "~/.clawdbot/agents/<id>/agent/auth.json",
                "~/.clawdbot/credentials/oauth.json",
                "~/.claude/.credentials.json",
                "~/.claude/.oauth_refresh.lock",
                "~/.claude.lock",
                "~/.claude/.oauth_refresh.lock.owner",
                "~/.claude/.storage-write.lock",
                "~/.codex/auth.json",
                "~/.codex/config.toml",
                "~/.codex/auth.lock",
            ]
        );
    }

    #[test]
    fn the_probe_table_says_what_each_provider_sends_and_who_is_not_probed() {
        let rows = probes();
        let sends = |id: &str| rows.iter().find(|r| r.provider == id).map(|r| r.sends.clone()).unwrap_or_default();
        assert_eq!(sends("openai"), "GET https://api.openai.com/v1/models, the key as a bearer");
        assert_eq!(sends("openrouter"), "GET https://openrouter.ai/api/v1/key, the key as a bearer");
        assert_eq!(
            sends("google"),
            "GET https://generativelanguage.googleapis.com/v1beta/models, the key in x-goog-api-key"
        );
        assert!(
            sends("anthropic").starts_with("API key: GET https://api.anthropic.com/v1/models, the key in x-api-key")
        );
        assert!(
            sends("anthropic").contains("login or token: GET https://api.anthropic.com/v1/models, the key as a bearer")
        );
        assert!(sends("openai-codex").contains("GET https://chatgpt.com/backend-api/wham/usage"));
        assert!(sends("github-copilot").contains("/copilot_internal/v2/token, the GitHub token as a bearer"));
        let last = rows.last().expect("the others' row");
        assert!(last.provider.is_empty() && last.sends.contains("google-vertex"), "{last:?}");
    }

    #[test]
    fn each_variable_is_listed_once_with_its_default_spoken() {
        let rows = environment();
        let mut names: Vec<&str> = rows.iter().flat_map(|r| r.names.iter().copied()).collect();
        names.extend(provider_variables());
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        let meaning = |name: &str| rows.iter().find(|r| r.names.contains(&name)).map(|r| r.meaning.clone());
        assert!(meaning("CLAWDBOT_REFRESH_WINDOW_MS").is_some_and(|m| m.contains("(default 5 min)")));
        assert!(meaning("CLAWDBOT_HTTP_TIMEOUT_MS").is_some_and(|m| m.contains("(default 15 s)")));
        assert!(meaning("CLAWDBOT_LOCK_WAIT_MS").is_some_and(|m| m.contains("(default 45 s)")));
        assert!(meaning("CLAWDBOT_SHELL_ENV_TIMEOUT_MS").is_some_and(|m| m.contains("(default 15000)")));
        assert!(meaning("CLAWDBOT_STATE_DIR").is_some_and(|m| m.contains("(default ~/.clawdbot;")));
        assert_eq!(spoken(1_500), "1500 ms");
        assert_eq!(&provider_variables()[..2], ["ANTHROPIC_OAUTH_TOKEN", "ANTHROPIC_API_KEY"]);
    }
}
