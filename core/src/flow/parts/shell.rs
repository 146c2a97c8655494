//! The shell-env fallback (A32) as a part of a flow: when it is enabled
//! and no model key is set, the keys are imported from `$SHELL -l -c`,
//! framed by markers a login banner cannot forge. A shell that fails,
//! hangs or imports nothing only costs a warning.

use super::{Effect, Event, Reply, ShellAnswer};
use crate::env_auth::{self, ShellEnvProbe};
use crate::load::Loaded;
use crate::time::{Millis, SECOND};

/// How long the shell-env fallback's shell may run, unless
/// `CLAWDBOT_SHELL_ENV_TIMEOUT_MS` says otherwise.
pub const SHELL_ENV_TIMEOUT_MS: u64 = 15 * SECOND as u64;
/// Overrides [`SHELL_ENV_TIMEOUT_MS`].
pub const SHELL_ENV_TIMEOUT_ENV: &str = "CLAWDBOT_SHELL_ENV_TIMEOUT_MS";

/// One run of the fallback's shell, asked for and not yet answered.
pub(crate) struct ShellFallback {
    shell: String,
    timeout_ms: u64,
    probe: ShellEnvProbe,
}

impl ShellFallback {
    /// The run `loaded` needs, or `None` when the fallback is off or a
    /// key is set already. `now` makes the markers unique to the run.
    pub(crate) fn needed(loaded: &Loaded, now: Millis) -> Option<ShellFallback> {
        if !env_auth::shell_env_needed(&loaded.env, &loaded.config.config) {
            return None;
        }
        let shell = loaded.env.get("SHELL").unwrap_or("/bin/sh").to_string();
        let timeout_ms =
            loaded.env.get(SHELL_ENV_TIMEOUT_ENV).and_then(|v| v.parse::<u64>().ok()).unwrap_or(SHELL_ENV_TIMEOUT_MS);
        Some(ShellFallback { shell, timeout_ms, probe: ShellEnvProbe::new(now.unsigned_abs()) })
    }

    /// The effect that runs the shell.
    pub(crate) fn effect(&self) -> Effect {
        Effect::ShellEnv {
            shell: self.shell.clone(),
            command: self.probe.command(),
            timeout_ms: self.timeout_ms,
            reply: Reply::new(),
        }
    }

    /// Applies what the shell printed to `loaded`'s environment: the
    /// names imported, and the warning to print when there are none.
    pub(crate) fn apply(&self, loaded: &mut Loaded, answer: ShellAnswer) -> (Vec<String>, Option<Event>) {
        let shell = &self.shell;
        let (imported, warning) = match answer {
            ShellAnswer::Output(out) => {
                let read = self.probe.read(&mut loaded.env, &out);
                let warning = read.warning(shell);
                (read.imported(), warning)
            }
            ShellAnswer::Exited(status) => {
                (Vec::new(), Some(format!("shell env fallback: {shell} exited with {status}")))
            }
            ShellAnswer::TimedOut => {
                (Vec::new(), Some(format!("shell env fallback: {shell} did not finish within {} ms", self.timeout_ms)))
            }
            ShellAnswer::Failed => (Vec::new(), Some(format!("shell env fallback: could not run {shell}"))),
        };
        loaded.shell_applied.extend(imported.iter().cloned());
        (imported, warning.map(Event::warning))
    }
}
