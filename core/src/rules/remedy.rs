//! What to run when a credential needs a person: one place for the hints
//! that status, doctor and refresh errors print.
//!
//! Every hint names a command that exists: one of this binary's
//! (`clawdbot models auth ...`), the tool that owns a synced login
//! (`claude`, `codex`), or, said plainly, the gateway's own onboarding.
//! Earlier hints sent operators to `clawdbot configure` and `clawdbot
//! onboard`, which this binary does not have. Ids and providers come from
//! files, so they are escaped here.

use crate::error::Error;
use crate::error::TxnFailure;
use crate::escape::escape_control;
use crate::login::{LoginError, LoginStep};
use crate::paste::PasteError;
use crate::refresh::RefreshFailure;
use crate::refresh::error::seconds;
use crate::refresh::{Cause, ErrorKind, PlanError, RefreshError, TransportFailure};
use crate::removal::RemovalError;
use crate::setup_token::{ApiKeyError, PastedTokenError, SetupTokenError};
use crate::store::CredentialType;

/// How a profile can be renewed, as far as the hint is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// An OAuth login with a refresh token: a refresh may still work.
    Refresh,
    /// Anything else: a new login or a new token is needed.
    Relogin,
}

/// The hint for profile `id` of `provider` that is expired, expiring,
/// missing its secret, or whose refresh was rejected.
pub fn for_profile(id: &str, provider: &str, renewal: Renewal) -> String {
    let id_text = escape_control(id);
    let provider_text = escape_control(provider);
    // A synced login is renewed in the tool that owns it.
    if let Some(source) = crate::logins::by_profile_id(id) {
        return source.relogin_hint.to_string();
    }
    // A provider `models auth login` logs in to is logged in to again there.
    let login = crate::providers::find(provider)
        .filter(|p| matches!(p.login, Some(crate::providers::LoginSpec::OAuth(_))))
        .map(|p| format!("clawdbot models auth login --provider {} --profile-id {id_text}", p.id));
    match id {
        _ if renewal == Renewal::Refresh => {
            let again = match &login {
                Some(command) => format!("log in again with `{command}`"),
                None => "log in again through the gateway's onboarding".to_string(),
            };
            format!(
                "Run `clawdbot models auth refresh --profile {id_text}`; if the login was revoked, {again}, or paste \
                 a token with `clawdbot models auth paste-token --provider {provider_text} --profile-id {id_text}`."
            )
        }
        _ if let Some(hint) = crate::providers::find(provider).and_then(|p| p.relogin_hint) => hint.to_string(),
        _ if let Some(command) = &login => {
            format!("Log in again: `{command}` (--device-code on a host without a browser).")
        }
        _ => format!(
            "Paste a new token: `clawdbot models auth paste-token --provider {provider_text} --profile-id {id_text}`."
        ),
    }
}

/// The hint for profile `id` of `provider` holding a credential of `kind`
/// that needs renewing: [`for_profile`], except for an API key (pasted
/// with `paste-api-key`) and a token, whose replacement must carry an
/// expiry again (issue 23 item 10). A token of
/// the provider with a setup-token (Anthropic's) is renewed with
/// `models auth setup-token`, which stores the new one with its 365 days;
/// any other token is pasted with `--expires-in`, or its next expiry is
/// never warned about.
pub fn for_credential(id: &str, provider: &str, kind: CredentialType, renewal: Renewal) -> String {
    let synced = crate::logins::by_profile_id(id).is_some();
    if kind == CredentialType::OAuth || synced || renewal == Renewal::Refresh {
        return for_profile(id, provider, renewal);
    }
    let spec = crate::providers::find(provider);
    let id_text = escape_control(id);
    if kind == CredentialType::ApiKey {
        return format!(
            "Paste a new key: `clawdbot models auth paste-api-key --provider {} --profile-id {id_text}`.",
            escape_control(provider)
        );
    }
    if let Some(default_id) = spec.and_then(|p| p.setup_token) {
        let named = if id == default_id { String::new() } else { format!(" --profile-id {id_text}") };
        return format!(
            "Run `clawdbot models auth setup-token{named}` for a new 1-year token (it runs `claude setup-token`)."
        );
    }
    if let Some(hint) = spec.and_then(|p| p.relogin_hint) {
        return hint.to_string();
    }
    format!(
        "Paste a new token with its lifetime: `clawdbot models auth paste-token --provider {} --profile-id \
         {id_text} --expires-in <lifetime>` (e.g. 90d), so its expiry is warned about again.",
        escape_control(provider)
    )
}

/// The hint for a profile as status judged it: a sign-in that ended or
/// ends soon says how to sign in again, a read-only login whose access
/// token expired says to run its own tool, anything else as
/// [`for_credential`] (a new login, token or key).
pub fn for_health(p: &crate::health::ProfileHealth) -> String {
    use crate::health::{READ_ONLY_EXPIRED, SIGN_IN_ENDED, SIGN_IN_ENDING};
    match (p.health_reason, crate::logins::by_profile_id(&p.profile_id)) {
        (Some(crate::rejection::PROBE_REASON_CODE), _) => for_probe_refusal(p),
        (Some(SIGN_IN_ENDED | SIGN_IN_ENDING), Some(source)) => source.sign_in_again_hint().to_string(),
        (Some(READ_ONLY_EXPIRED), Some(source)) => source.owner_renews_hint.to_string(),
        // A token or key is renewed with its own verb and expiry.
        _ => for_credential(&p.profile_id, &p.provider, p.kind, Renewal::Relogin),
    }
}

/// What to do about a credential its provider refused when probed
/// (issue 26): out of credit, top up; refused, a new credential. Either
/// way a later probe that succeeds ends the record.
fn for_probe_refusal(p: &crate::health::ProfileHealth) -> String {
    let probe = format!("`clawdbot models status --probe --probe-profile {}`", escape_control(&p.profile_id));
    if p.rejection.as_ref().and_then(|r| r.status.as_deref()) == Some("billing") {
        return format!("Top up the account's credit with the provider, then run {probe} to clear this.");
    }
    let renew = for_credential(&p.profile_id, &p.provider, p.kind, Renewal::Relogin);
    format!("{renew} If the provider accepts it again, {probe} clears this.")
}

/// What to do about a key handed out that expires sooner than the caller
/// asked (`token --min-valid`): a read-only login is renewed by running its
/// own tool; one that renews itself needs nothing (its refresh failed, and
/// that failure said why); anything else needs a new login or token.
pub fn for_short_key(p: &crate::health::ProfileHealth) -> Option<String> {
    match crate::logins::by_profile_id(&p.profile_id) {
        Some(source) if p.read_only => Some(source.owner_renews_hint.to_string()),
        _ if p.refreshable => None,
        _ => Some(for_health(p)),
    }
}

/// The hint for a provider the configured models use but nothing holds a
/// credential for: when another tool keeps its login where this host
/// cannot read it (`elsewhere`, Codex's keyring), where it is and what to
/// change; its own words when its file has some; else, for a provider
/// whose key comes from a variable, that variable and `paste-api-key`
/// (issue 23 item 11); for one whose login another CLI holds, that CLI's
/// login.
pub fn for_missing_provider(provider: &str, elsewhere: &[crate::logins::Elsewhere]) -> String {
    if let Some(e) = elsewhere.iter().find(|e| e.provider == provider) {
        return format!("{}. {}", e.message, e.hint);
    }
    let provider_text = escape_control(provider);
    // Exactly the id: the report names providers as the files spell them.
    let spec = crate::providers::find(provider).filter(|p| p.id == provider);
    if let Some(hint) = spec.and_then(|p| p.missing_hint) {
        return hint.to_string();
    }
    let paste_key = format!("`clawdbot models auth paste-api-key --provider {provider_text}`");
    let Some(spec) = spec else {
        return format!("Store its API key with {paste_key}, or a token with `models auth paste-token`.");
    };
    if spec.gcloud_adc {
        return "Run `gcloud auth application-default login` on the gateway host, and set GOOGLE_CLOUD_PROJECT \
                and GOOGLE_CLOUD_LOCATION."
            .to_string();
    }
    if let Some(var) = spec.api_key_var() {
        return format!("Set {var}, or store a key with {paste_key}.");
    }
    if let Some(var) = spec.env_vars.first() {
        return format!(
            "Set {var}, or store a token with `clawdbot models auth paste-token --provider {provider_text}`."
        );
    }
    if let Some(source) = crate::logins::LOGIN_SOURCES.iter().find(|s| s.provider == spec.id) {
        return source.relogin_hint.to_string();
    }
    format!(
        "Log in through the gateway's onboarding, or paste a token with \
         `clawdbot models auth paste-token --provider {provider_text}`."
    )
}

/// What a rejected refresh token tells: a login shared with the tool that
/// rotates it on its own refresh (Claude Code's) says so.
pub fn why_refresh_was_rejected(id: &str) -> &'static str {
    match crate::logins::by_profile_id(id).and_then(|s| s.rejected_why) {
        Some(why) => why,
        None => "The refresh token was rejected (revoked, or already used by another holder of this login). ",
    }
}

/// The hint for a profile that needs re-authentication, when only its id
/// is known (its provider is the id's part before `:`).
pub fn for_profile_id(profile_id: &str) -> String {
    let provider = profile_id.split_once(':').map_or(profile_id, |(p, _)| p);
    for_profile(profile_id, provider, Renewal::Relogin)
}

/// What an operator should do about a failed refresh of `profile_id`.
///
/// Dead logins name the command that renews them where the spec gives one
/// (§3.4's doctor hints); passing failures say when to try again.
pub fn for_refresh(error: &RefreshError, profile_id: &str) -> String {
    if let ErrorKind::Transient { retry_after_ms } = error.kind {
        if let Some(ms) = retry_after_ms {
            return format!("The provider asked to wait: try again in {}.", seconds(ms));
        }
        return match &error.cause {
            Cause::Transport { failure: TransportFailure::Tls, .. } => {
                "Check the gateway host's clock and any TLS-intercepting proxy, then try again.".to_string()
            }
            Cause::Transport { failure: TransportFailure::Redirect, .. } => format!(
                "The token endpoint redirected: check {} and any proxy on the gateway host.",
                error.provider.token_url_env_var()
            ),
            Cause::Transport { .. } => "Check the gateway host's network connection, then try again.".to_string(),
            Cause::UnexpectedBody { .. } | Cause::MissingField { .. } => {
                "The token endpoint answered unexpectedly (a proxy may be in the way); try again later.".to_string()
            }
            Cause::Rejected => "Try again later.".to_string(),
        };
    }
    let why = match error.oauth_error.as_deref() {
        Some("refresh_token_reused") => "The refresh token was already used by another holder of this login. ",
        Some("invalid_grant") => why_refresh_was_rejected(profile_id),
        _ => "",
    };
    let action = for_profile(profile_id, error.provider.id(), Renewal::Relogin);
    format!("{why}{action}")
}

/// What to do about `error`, one hint a line, most useful first; empty
/// when there is nothing to say. The error's message says what went wrong
/// and never this.
pub fn for_error(error: &Error) -> Vec<String> {
    let one = |hint: String| vec![hint];
    match error {
        Error::RefreshFailed(e) => for_refresh_failure(e),
        Error::Plan(e) => one(for_plan(e)),
        Error::Paste(e) => for_paste(e),
        Error::Login(e) => for_login(e),
        Error::PastedToken(e) => for_pasted_token(e),
        Error::SetupToken(e) => for_setup_token(e),
        Error::ApiKey(e) => for_api_key(e),
        Error::Removal(e) => one(for_removal(e)),
        Error::Store(TxnFailure::Busy(busy)) => one(for_stuck_lock(&busy.lock_path)),
        Error::Resolve(crate::resolve::ResolveError::NoClientVariable { provider, .. }) => one(format!(
            "Print the key alone and assign it to the variable your client reads: \
             `export NAME=\"$(clawdbot models auth token --provider {})\"`.",
            escape_control(provider)
        )),
        // Worded beside the rule, as a provider's hints are: the load
        // below this module gives it too.
        Error::Folder(folder) => one(folder.fix()),
        Error::Resolve(crate::resolve::ResolveError::RefFailing { failure, .. }) => {
            let check = match failure {
                Some(f) => crate::secret_refs::RefCheck::Failing(f.clone()),
                None => crate::secret_refs::RefCheck::NotChecked,
            };
            for_ref(&check).into_iter().collect()
        }
        Error::Agent(crate::paths::AgentError::Unknown { known, .. }) => one(format!(
            "Name one of them (`--agent {}`), or list the new agent in `agents.list` of clawdbot.json; \
             a command that stores a credential creates it with `--create-agent`.",
            known.first().map_or("main", String::as_str)
        )),
        _ => Vec::new(),
    }
}

/// What to do about a SecretRef that did not resolve, or was not run.
pub fn for_ref(check: &crate::secret_refs::RefCheck) -> Option<String> {
    use crate::secret_refs::{RefCheck, RefFailure, Unsafety};
    Some(match check {
        RefCheck::Ok(_) => return None,
        RefCheck::NotChecked => "Run with --allow-exec to run its resolver, or set secrets.allowExec.".into(),
        RefCheck::Failing(failure) => match failure {
            RefFailure::Unsafe { path, why: Unsafety::Readable(_) } => format!("Run `chmod 600 {path}`."),
            RefFailure::Unsafe { path, why: Unsafety::Writable(_) } => format!("Run `chmod go-w {path}`."),
            RefFailure::Unsafe { why: Unsafety::HardLinked(_), .. } => "Give the secret a file of its own.".into(),
            RefFailure::MissingVariable(var) => format!("Set {var} in the environment the gateway runs in."),
            RefFailure::UnknownProvider(_) | RefFailure::WrongSource { .. } | RefFailure::ProviderInvalid { .. } => {
                "Declare the provider under secrets.providers in clawdbot.json.".into()
            }
            RefFailure::NoCredentialsDirectory => {
                "Run the gateway as a systemd service with LoadCredentialEncrypted= (docs/security.md).".into()
            }
            _ => "Fix the ref's source; the profile fails closed until it resolves.".into(),
        },
    })
}

/// What to do about a lock held past the wait: it is usually a live
/// process's, but one whose holder died is stuck until it goes stale.
pub fn for_stuck_lock(lock_path: &str) -> String {
    format!(
        "If no clawdbot command, gateway or Claude Code is running, the lock is stuck: remove it with \
         `rmdir '{lock_path}'` (a lock nobody refreshes is also taken over once it is stale)"
    )
}

/// What to do about a profile that was not refreshed.
pub fn for_refresh_failure(failure: &RefreshFailure) -> Vec<String> {
    match failure {
        RefreshFailure::Rejected { profile_id, error } => vec![for_refresh(error, profile_id)],
        RefreshFailure::Plan(e) => vec![for_plan(e)],
        RefreshFailure::SourceBusy { .. } => vec!["Try again in a few seconds.".into()],
        RefreshFailure::ReadOnly { profile_id, .. } => {
            crate::logins::by_profile_id(profile_id).map(|s| s.owner_renews_hint.to_string()).into_iter().collect()
        }
        RefreshFailure::Store(txn) | RefreshFailure::NotSaved(txn) => for_error(&Error::Store(txn.clone())),
        _ => Vec::new(),
    }
}

/// What to do about a profile no refresh can be planned for: supply what
/// is missing, or log in again.
fn for_plan(error: &PlanError) -> String {
    match error {
        PlanError::MissingClientId { var, .. } => format!("Store it as clientId in the profile or set {var}."),
        other => for_profile_id(other.profile_id()),
    }
}

/// What to do about a login that did not happen.
fn for_login(error: &LoginError) -> Vec<String> {
    let again = "Run the login again, and enter the code within its time.";
    match error {
        LoginError::DeviceCodesDisabled(_) => vec![
            "Turn on device code login in ChatGPT's security settings (a workspace admin may have to allow it), \
             or log in without --device-code."
                .into(),
        ],
        LoginError::Denied(_) | LoginError::Expired(_) | LoginError::SlowDown(_) => vec![again.into()],
        LoginError::NoTerminal => {
            vec!["Paste the redirect URL on standard input, or log in with --device-code.".into()]
        }
        LoginError::StateMismatch(_) | LoginError::NoCode(_) => {
            vec!["Start the login again and use the redirect of that login's browser tab.".into()]
        }
        LoginError::Delegated { .. } => {
            vec!["Run it on a terminal, or store a 1-year token with `clawdbot models auth setup-token`.".into()]
        }
        LoginError::Rejected { step: LoginStep::CopilotToken, status: 401 | 403 | 404, .. } => {
            vec!["The GitHub account needs Copilot (a subscription, or a seat from its organisation).".into()]
        }
        LoginError::Rejected { step: LoginStep::DeviceCode | LoginStep::Poll, status: 400..=499, .. } => vec![
            "If device code login is off for the account, turn it on (ChatGPT: its security settings, or the \
             workspace admin), or log in without --device-code."
                .into(),
        ],
        LoginError::Origin(var) => vec![format!("Unset {var}, or give it an https:// origin.")],
        LoginError::NoLogin(_) => {
            vec!["Store a key or token with `clawdbot models auth paste-api-key` or `paste-token`.".into()]
        }
        _ => Vec::new(),
    }
}

fn for_paste(error: &PasteError) -> Vec<String> {
    let one = |hint: String| vec![hint];
    match error {
        PasteError::ProviderControl(_) => one("Type the provider id itself.".into()),
        PasteError::EmptyProfileName(_, provider) => one(format!("Use e.g. {provider}:manual.")),
        PasteError::NoProviderPart(_, provider) | PasteError::ProfileIdSpace(_, provider) => {
            one(format!("Use {provider}:<name>, e.g. {provider}:work."))
        }
        PasteError::ReservedProfileId(id, provider) => {
            let mut hints = vec![format!("Pick another id (e.g. {provider}:manual).")];
            // The login source whose sync writes the id says how to get its login back.
            if let Some(source) = crate::logins::by_profile_id(id) {
                hints.push(source.enable_hint());
            }
            hints
        }
        PasteError::ProviderMismatch { provider, .. } => one(format!("Use {provider}:<name>.")),
        PasteError::ExpiresBeyondJs => one("Leave it out for a token that does not expire.".into()),
        PasteError::ApiKeyAsToken => {
            one("Store it with `clawdbot models auth paste-api-key --provider anthropic`.".into())
        }
        PasteError::WouldReplace { provider, .. } => {
            one(format!("Run it again with --force to replace it, or keep both: --profile-id {provider}:<name>."))
        }
        PasteError::Cleaning(e) => for_pasted_token(e),
        PasteError::Key(e) => for_api_key(e),
        _ => Vec::new(),
    }
}

fn for_removal(error: &RemovalError) -> String {
    match error {
        RemovalError::NotFound(_) => "`clawdbot models auth list` shows the profiles there are.".into(),
        RemovalError::FromEnvironment { var, file: Some(file), .. } => {
            format!("Delete the {var}= line from {file}.")
        }
        RemovalError::FromEnvironment { var, file: None, .. } => format!(
            "Unset {var} where the environment is set: the shell profile, or the gateway's service file \
             (`Environment=` of its systemd unit)."
        ),
        RemovalError::ConfigUnreadable { config, .. } => format!("Fix {config}, then run this again."),
        RemovalError::ConfigNotWritten { config, .. } => {
            format!("Run this again once {config} can be read and written.")
        }
    }
}

fn for_api_key(error: &ApiKeyError) -> Vec<String> {
    match error {
        ApiKeyError::InnerSpace => vec!["Paste the key alone, on one line.".into()],
        ApiKeyError::Empty => vec![PIPE_IT_IN.into()],
    }
}

/// Where an empty paste's value goes: typed at the prompt, or piped in.
const PIPE_IT_IN: &str = "Paste it at the prompt on a terminal, or pipe it into the command's standard input.";

fn for_pasted_token(error: &PastedTokenError) -> Vec<String> {
    match error {
        PastedTokenError::LooksLikeCodeAndState => vec!["Paste the token itself.".into()],
        PastedTokenError::Empty => vec![PIPE_IT_IN.into()],
    }
}

/// What `claude setup-token` prints, which the setup-token hints ask for.
const PASTE_THE_SETUP_TOKEN: &str = "Paste the sk-ant-oat01-… token `claude setup-token` printed.";

fn for_setup_token(error: &SetupTokenError) -> Vec<String> {
    let hint = match error {
        SetupTokenError::Empty | SetupTokenError::RefreshToken => PASTE_THE_SETUP_TOKEN,
        SetupTokenError::WhitespaceInside => "Paste it as one line.",
        SetupTokenError::ApiKey => {
            "Store keys with `clawdbot models auth paste-api-key --provider anthropic` or ANTHROPIC_API_KEY."
        }
        _ => return Vec::new(),
    };
    vec![hint.to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_follow_the_provider_before_the_colon() {
        assert_eq!(for_profile_id("openai-codex:codex-cli"), "Run `codex login` on the gateway host.");
        assert_eq!(
            for_profile_id("anthropic:claude-cli"),
            "Log in again in Claude Code on the gateway host (run `claude`, then `/login`), or run `claude \
             setup-token` and then `clawdbot models auth setup-token` for a 1-year token."
        );
        assert_eq!(for_profile_id("anthropic:work"), for_profile("anthropic:work", "anthropic", Renewal::Relogin));
        assert_eq!(for_profile_id("openai"), for_profile("openai", "openai", Renewal::Relogin));
    }

    #[test]
    fn every_hint_names_an_existing_command() {
        let hints = [
            for_profile("anthropic:claude-cli", "anthropic", Renewal::Refresh),
            for_profile("openai-codex:codex-cli", "openai-codex", Renewal::Relogin),
            for_profile("anthropic:work", "anthropic", Renewal::Refresh),
            for_profile("openai:manual", "openai", Renewal::Relogin),
            for_missing_provider("anthropic", &[]),
            for_missing_provider("openrouter", &[]),
        ];
        for hint in &hints {
            assert!(!hint.contains("clawdbot configure") && !hint.contains("clawdbot onboard"), "{hint}");
        }
        assert!(hints[2].contains("models auth refresh --profile anthropic:work"), "{}", hints[2]);
        assert!(hints[3].contains("paste-token --provider openai --profile-id openai:manual"), "{}", hints[3]);
    }

    #[test]
    fn a_login_of_ours_is_renewed_with_models_auth_login() {
        let dead = for_profile_id("github-copilot:work");
        assert_eq!(
            dead,
            "Log in again: `clawdbot models auth login --provider github-copilot --profile-id github-copilot:work` \
             (--device-code on a host without a browser)."
        );
        let refresh = for_profile("openai-codex:default", "openai-codex", Renewal::Refresh);
        assert!(refresh.contains("log in again with `clawdbot models auth login --provider openai-codex"), "{refresh}");
        // A synced login is still renewed in its own tool.
        assert_eq!(for_profile_id("openai-codex:codex-cli"), "Run `codex login` on the gateway host.");
    }

    #[test]
    fn only_the_claude_code_login_is_shared_with_claude_code() {
        assert!(why_refresh_was_rejected("anthropic:claude-cli").contains("Claude Code"));
        assert!(!why_refresh_was_rejected("anthropic:work").contains("Claude Code"));
    }

    #[test]
    fn each_hint_word_for_word() {
        let claude = "Log in again in Claude Code on the gateway host (run `claude`, then `/login`), or run \
                      `claude setup-token` and then `clawdbot models auth setup-token` for a 1-year token.";
        for renewal in [Renewal::Refresh, Renewal::Relogin] {
            assert_eq!(for_profile("anthropic:claude-cli", "anthropic", renewal), claude);
            assert_eq!(
                for_profile("openai-codex:codex-cli", "openai-codex", renewal),
                "Run `codex login` on the gateway host."
            );
        }
        assert_eq!(
            for_profile("qwen-portal:q", "qwen-portal", Renewal::Refresh),
            "Run `clawdbot models auth refresh --profile qwen-portal:q`; if the login was revoked, log in again \
             through the gateway's onboarding, or paste a token with \
             `clawdbot models auth paste-token --provider qwen-portal --profile-id qwen-portal:q`."
        );
        assert_eq!(
            for_profile("qwen-portal:q", "qwen-portal", Renewal::Relogin),
            "Paste a new token: `clawdbot models auth paste-token --provider qwen-portal --profile-id qwen-portal:q`."
        );
        assert_eq!(
            for_missing_provider("anthropic", &[]),
            "Run `clawdbot models auth setup-token` or `clawdbot models auth paste-token --provider anthropic`."
        );
        assert_eq!(
            for_missing_provider("groq\u{1b}", &[]),
            "Store its API key with `clawdbot models auth paste-api-key --provider groq\\u{1b}`, or a token with \
             `models auth paste-token`."
        );
        assert_eq!(
            why_refresh_was_rejected("anthropic:claude-cli"),
            "The refresh token was rejected; Claude Code shares this login and may have rotated it. "
        );
        assert_eq!(
            why_refresh_was_rejected("openai-codex:codex-cli"),
            "The refresh token was rejected (revoked, or already used by another holder of this login). "
        );
    }

    #[test]
    fn the_remedies_that_left_the_messages_are_hints_word_for_word() {
        let hints = |e: Error| for_error(&e);
        assert_eq!(
            hints(
                PasteError::ProviderMismatch { id: "a:1".into(), id_provider: "a".into(), provider: "b".into() }.into()
            ),
            ["Use b:<name>."]
        );
        assert_eq!(
            hints(PasteError::EmptyProfileName("openai:".into(), "openai".into()).into()),
            ["Use e.g. openai:manual."]
        );
        assert_eq!(hints(PasteError::ProviderControl("x".into()).into()), ["Type the provider id itself."]);
        assert_eq!(
            hints(PasteError::ReservedProfileId("anthropic:claude-cli".into(), "anthropic".into()).into()),
            [
                "Pick another id (e.g. anthropic:manual).",
                "Run `clawdbot models auth sync --enable claude-cli` to sync Claude Code's login again."
            ]
        );
        assert_eq!(
            hints(PasteError::NoProviderPart("work".into(), "openai".into()).into()),
            ["Use openai:<name>, e.g. openai:work."]
        );
        assert_eq!(
            hints(PasteError::ProfileIdSpace("openai: x".into(), "openai".into()).into()),
            ["Use openai:<name>, e.g. openai:work."]
        );
        let would = PasteError::WouldReplace {
            id: "anthropic:default".into(),
            held: "a token (expires in 300d)".into(),
            pasted: "api_key",
            provider: "anthropic".into(),
        };
        assert_eq!(
            hints(would.into()),
            ["Run it again with --force to replace it, or keep both: --profile-id anthropic:<name>."]
        );
        let pipe = "Paste it at the prompt on a terminal, or pipe it into the command's standard input.";
        assert_eq!(hints(PastedTokenError::Empty.into()), [pipe]);
        assert_eq!(hints(ApiKeyError::Empty.into()), [pipe]);
        assert_eq!(hints(PasteError::Key(ApiKeyError::Empty).into()), [pipe]);
        assert_eq!(hints(PasteError::ExpiresBeyondJs.into()), ["Leave it out for a token that does not expire."]);
        assert_eq!(
            hints(PasteError::ApiKeyAsToken.into()),
            ["Store it with `clawdbot models auth paste-api-key --provider anthropic`."]
        );
        assert_eq!(hints(PastedTokenError::LooksLikeCodeAndState.into()), ["Paste the token itself."]);
        assert_eq!(
            hints(PasteError::Cleaning(PastedTokenError::LooksLikeCodeAndState).into()),
            ["Paste the token itself."]
        );
        assert_eq!(hints(ApiKeyError::InnerSpace.into()), ["Paste the key alone, on one line."]);
        assert_eq!(hints(SetupTokenError::Empty.into()), [PASTE_THE_SETUP_TOKEN]);
        assert_eq!(hints(SetupTokenError::RefreshToken.into()), [PASTE_THE_SETUP_TOKEN]);
        assert_eq!(hints(SetupTokenError::WhitespaceInside.into()), ["Paste it as one line."]);
        assert_eq!(
            hints(SetupTokenError::ApiKey.into()),
            ["Store keys with `clawdbot models auth paste-api-key --provider anthropic` or ANTHROPIC_API_KEY."]
        );
        assert_eq!(
            hints(
                RefreshFailure::SourceBusy {
                    owner: "Claude Code",
                    busy: crate::io::LockBusy { lock_path: "/h/.claude.lock".into(), waited_ms: 10_000 }
                }
                .into()
            ),
            ["Try again in a few seconds."]
        );
        assert_eq!(
            hints(
                TxnFailure::Busy(crate::io::LockBusy { lock_path: "/h/.claude.lock".into(), waited_ms: 10_000 }).into()
            ),
            ["If no clawdbot command, gateway or Claude Code is running, the lock is stuck: remove it with \
              `rmdir '/h/.claude.lock'` (a lock nobody refreshes is also taken over once it is stale)"]
        );
        let no_refresh = crate::refresh::PlanError::MissingRefreshToken { profile_id: "openai:x".into() };
        assert_eq!(hints(no_refresh.into()), [for_profile_id("openai:x")]);
        // A cause with nothing to do about it has no hint.
        assert!(hints(PasteError::EmptyProvider.into()).is_empty());
    }

    #[test]
    fn a_missing_provider_names_its_variable_and_the_paste_that_stores_its_key() {
        assert_eq!(
            for_missing_provider("openai", &[]),
            "Set OPENAI_API_KEY, or store a key with `clawdbot models auth paste-api-key --provider openai`."
        );
        assert_eq!(
            for_missing_provider("qwen-portal", &[]),
            "Set QWEN_PORTAL_API_KEY, or store a key with `clawdbot models auth paste-api-key --provider qwen-portal`."
        );
        assert_eq!(
            for_missing_provider("github-copilot", &[]),
            "Set COPILOT_GITHUB_TOKEN, or store a token with `clawdbot models auth paste-token --provider \
             github-copilot`."
        );
        assert!(for_missing_provider("google-vertex", &[]).starts_with("Run `gcloud auth application-default login`"));
        assert_eq!(for_missing_provider("openai-codex", &[]), "Run `codex login` on the gateway host.");
        assert!(for_missing_provider("google-gemini-cli", &[]).contains("paste-token --provider google-gemini-cli"));
        assert!(for_missing_provider("OpenRouter", &[]).contains("paste-api-key --provider OpenRouter"));
    }

    #[test]
    fn a_token_is_renewed_with_its_expiry_and_a_key_with_paste_api_key() {
        let hint = |id: &str, provider: &str, kind| for_credential(id, provider, kind, Renewal::Relogin);
        assert_eq!(
            hint("anthropic:default", "anthropic", CredentialType::Token),
            "Run `clawdbot models auth setup-token` for a new 1-year token (it runs `claude setup-token`)."
        );
        assert_eq!(
            hint("anthropic:work", "anthropic", CredentialType::Token),
            "Run `clawdbot models auth setup-token --profile-id anthropic:work` for a new 1-year token (it runs \
             `claude setup-token`)."
        );
        assert_eq!(
            hint("zai:t", "zai", CredentialType::Token),
            "Paste a new token with its lifetime: `clawdbot models auth paste-token --provider zai --profile-id zai:t \
             --expires-in <lifetime>` (e.g. 90d), so its expiry is warned about again."
        );
        assert_eq!(
            hint("openai:k", "openai", CredentialType::ApiKey),
            "Paste a new key: `clawdbot models auth paste-api-key --provider openai --profile-id openai:k`."
        );
        // A login is renewed as before; a synced one in the tool that owns it.
        assert_eq!(hint("zai:o", "zai", CredentialType::OAuth), for_profile("zai:o", "zai", Renewal::Relogin));
        assert_eq!(
            hint("anthropic:claude-cli", "anthropic", CredentialType::Token),
            for_profile_id("anthropic:claude-cli")
        );
    }

    #[test]
    fn ids_from_files_are_escaped() {
        assert!(!for_profile("x\u{1b}[2J", "p\u{7}", Renewal::Relogin).chars().any(crate::escape::needs_escape));
    }
}
