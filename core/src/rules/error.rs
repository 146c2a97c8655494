//! Every way the core can fail, under one root.
//!
//! Each rule keeps its own small enum next to the rule (a paste's
//! arguments, a refresh plan, a store transaction), so its tests and
//! callers match on exactly the cases it has. [`Error`] gathers them for a
//! caller that holds more than one kind (a host, a gateway embedding the
//! core, the remedy table): every sub-enum converts into it with `?`.
//!
//! The messages follow one style, which the smoke test below enforces:
//! a lower-case cause (or one that opens with the option, path or name it
//! is about), never a remedy and never a label. What to do about an error
//! is [`crate::remedy::for_error`]'s, and reaches a person as a hint; the
//! few upper-case texts left are the reference's own words, which users
//! search for and the conformance vectors pin.

use crate::diag::ReadError;
use crate::duration::DurationError;
use crate::io::SecretError;
use crate::login::LoginError;
use crate::order::OrderError;
use crate::paste::PasteError;
use crate::refresh::RefreshFailure;
use crate::refresh::{PlanError, RefreshError};
use crate::removal::RemovalError;
use crate::repair::ConfigShapeError;
use crate::resolve::ResolveError;
use crate::setup_token::{ApiKeyError, PastedTokenError, SetupTokenError};
pub use crate::store::TxnFailure;
use crate::writeback::WritebackError;

/// Why something the core was asked to do did not happen.
///
/// Non-exhaustive: a new rule adds its own variant. Its `Display` is the
/// wrapped error's own, word for word.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read as what it should be.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// No refresh request can be made for a profile.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A token endpoint refused, or could not be reached.
    #[error(transparent)]
    Refresh(#[from] RefreshError),
    /// A profile was not refreshed.
    #[error(transparent)]
    RefreshFailed(#[from] RefreshFailure),
    /// A store transaction (locate, lock, re-read, write) did not complete.
    #[error(transparent)]
    Store(#[from] TxnFailure),
    /// `models auth order set` was refused.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// No key can be handed out.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// A duration could not be read.
    #[error(transparent)]
    Duration(#[from] DurationError),
    /// Another tool's credentials document could not be updated.
    #[error(transparent)]
    Writeback(#[from] WritebackError),
    /// `models auth paste-token` was refused.
    #[error(transparent)]
    Paste(#[from] PasteError),
    /// A pasted value is not one token.
    #[error(transparent)]
    PastedToken(#[from] PastedTokenError),
    /// A value is not a setup-token.
    #[error(transparent)]
    SetupToken(#[from] SetupTokenError),
    /// A pasted API key was refused.
    #[error(transparent)]
    ApiKey(#[from] ApiKeyError),
    /// No secret could be read from the terminal.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// `models auth remove` removed nothing.
    #[error(transparent)]
    Removal(#[from] RemovalError),
    /// A config value that must be an object is something else.
    #[error(transparent)]
    ConfigShape(#[from] ConfigShapeError),
    /// `models auth login` did not log in.
    #[error(transparent)]
    Login(#[from] LoginError),
    /// The host could not read, write or run something.
    #[error(transparent)]
    Io(#[from] crate::io::IoFailure),
    /// HOME or the state folder names something that is not a folder.
    #[error(transparent)]
    Folder(#[from] crate::paths::NotAFolder),
    /// `--agent` named an agent that does not exist.
    #[error(transparent)]
    Agent(#[from] crate::paths::AgentError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::refreshable;
    use crate::refresh::{TransportFailure, transport_error};

    /// A secret every error below was given, one way or another.
    const SECRET: &str = "sk-ant-oat01-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE";

    /// One of every variant of every error, each built as the rule builds
    /// it where the rule sees a secret.
    fn every_error() -> Vec<Error> {
        let s = SECRET;
        let mut all: Vec<Error> = vec![
            ReadError::Empty.into(),
            ReadError::NotUtf8 { offset: 3 }.into(),
            ReadError::Syntax { line: 1, column: 2, reason: "expected value".into() }.into(),
            ReadError::Shape { field: "profiles.x".into(), found: "a string", expected: "an object" }.into(),
            ReadError::Other("nested more than 128 levels deep".into()).into(),
            PlanError::NotOAuth { profile_id: "a:1".into(), kind: "api_key" }.into(),
            PlanError::UnknownProvider { profile_id: "a:1".into(), provider: "nope".into() }.into(),
            PlanError::MissingRefreshToken { profile_id: "a:1".into() }.into(),
            PlanError::MissingClientId { profile_id: "c:1".into(), provider: "chutes", var: "CHUTES_CLIENT_ID" }.into(),
            PlanError::InvalidEnterpriseUrl { profile_id: "g:1".into(), url: "x y".into() }.into(),
            transport_error(refreshable("anthropic"), TransportFailure::Tls, &format!("bad {s}")).into(),
            TxnFailure::Unreadable("not valid JSON".into()).into(),
            TxnFailure::Io(crate::io::IoFailure::new(crate::io::IoKind::NoSpace, "/h/a.json")).into(),
            TxnFailure::Internal("no answer to a read").into(),
            TxnFailure::Newer(crate::store::WriteRefused::NewerVersion { found: "2".into() }).into(),
            OrderError::MissingProvider.into(),
            OrderError::MissingProfileIds.into(),
            OrderError::CannotMove { profile_id: "a:1".into(), by: -1 }.into(),
            OrderError::ProfileNotFound { profile_id: "a:1".into(), agent_dir: "/h/agent".into() }.into(),
            OrderError::WrongProvider {
                profile_id: "a:1".into(),
                profile_provider: "openai".into(),
                provider: "anthropic".into(),
            }
            .into(),
            ResolveError::NoCredentialsForProfile("a:1".into()).into(),
            ResolveError::NeedsRefresh("a:1".into()).into(),
            ResolveError::NoKey("openai".into()).into(),
            ResolveError::NoClientVariable { provider: "openai-codex".into(), kind: "oauth" }.into(),
            ResolveError::RefFailing { profile: "a:1".into(), failure: None }.into(),
            ResolveError::RefFailing {
                profile: "a:1".into(),
                failure: Some(crate::secret_refs::RefFailure::MissingVariable("OPENAI_KEY".into())),
            }
            .into(),
            ResolveError::RefFailing {
                profile: "a:1".into(),
                failure: Some(crate::secret_refs::RefFailure::Unsafe {
                    path: "/h/s".into(),
                    why: crate::secret_refs::Unsafety::Readable(0o644),
                }),
            }
            .into(),
            DurationError::Empty.into(),
            crate::paths::AgentError::Unknown { id: "mian".into(), known: vec!["main".into(), "work".into()] }.into(),
            DurationError::Invalid("3 fortnights".into()).into(),
            WritebackError::NotJson { origin: "~/.codex/auth.json".into() }.into(),
            WritebackError::NotAnObject { origin: "~/.codex/auth.json".into(), field: "tokens" }.into(),
            PasteError::EmptyProvider.into(),
            PasteError::ProviderControl("a\\u{1b}".into()).into(),
            PasteError::EmptyProfileId.into(),
            PasteError::EmptyProfileName("openai:".into(), "openai".into()).into(),
            PasteError::ProfileIdControl("a\\u{7}".into()).into(),
            PasteError::ReservedProfileId("anthropic:claude-cli".into(), "anthropic".into()).into(),
            PasteError::ProviderMismatch { id: "a:1".into(), id_provider: "a".into(), provider: "b".into() }.into(),
            PasteError::Duration(DurationError::Empty).into(),
            PasteError::ExpiresNow.into(),
            PasteError::ExpiresBeyondJs.into(),
            PasteError::Cleaning(PastedTokenError::Empty).into(),
            PasteError::NotText.into(),
            PasteError::SecretControl.into(),
            PasteError::TooLong(9000).into(),
            PasteError::InputTooLong.into(),
            PasteError::ApiKeyAsToken.into(),
            PasteError::NoProviderPart("work".into(), "openai".into()).into(),
            PasteError::ProfileIdSpace("openai: x".into(), "openai".into()).into(),
            PasteError::KeyInputTooLong.into(),
            PasteError::Key(ApiKeyError::Empty).into(),
            PasteError::WouldReplace {
                id: "anthropic:default".into(),
                held: "a token (expires in 300d)".into(),
                pasted: "api_key",
                provider: "anthropic".into(),
            }
            .into(),
            SecretError::NotText.into(),
            // A kind the host reports, which each flow puts in a sentence
            // of its own ("could not read the token: ...").
            SecretError::Unreadable(crate::io::IoKind::PermissionDenied).into(),
            ConfigShapeError { path: "auth".into(), found: "a string" }.into(),
            RemovalError::NotFound("anthropic:x".into()).into(),
            RemovalError::FromEnvironment {
                id: "env:X".into(),
                var: "X".into(),
                file: Some("~/.clawdbot/.env".into()),
            }
            .into(),
            RemovalError::FromEnvironment { id: "env:X".into(), var: "X".into(), file: None }.into(),
            RemovalError::ConfigUnreadable {
                id: "anthropic:x".into(),
                config: "~/.clawdbot/clawdbot.json".into(),
                why: "line 1, column 2: expected value".into(),
            }
            .into(),
            RemovalError::ConfigNotWritten { config: "~/.clawdbot/clawdbot.json".into(), why: "disk full".into() }
                .into(),
            crate::io::IoFailure::new(crate::io::IoKind::NoSpace, "/h/a.json").at(crate::io::IoStep::Replace).into(),
            RefreshFailure::UnknownProfile("a:1".into()).into(),
            RefreshFailure::Plan(PlanError::MissingRefreshToken { profile_id: "a:1".into() }).into(),
            RefreshFailure::Rejected {
                profile_id: "a:1".into(),
                error: Box::new(transport_error(refreshable("openai-codex"), TransportFailure::Timeout, "")),
            }
            .into(),
            RefreshFailure::SourceBusy {
                owner: "Claude Code",
                busy: crate::io::LockBusy { lock_path: "/h/.claude.lock".into(), waited_ms: 10_000 },
            }
            .into(),
            TxnFailure::Busy(crate::io::LockBusy { lock_path: "/h/.claude.lock".into(), waited_ms: 10_000 }).into(),
            RefreshFailure::Unreadable("not valid JSON".into()).into(),
            crate::paths::NotAFolder { variable: Some("CLAWDBOT_STATE_DIR"), path: "/h/f".into(), state: true }.into(),
            crate::paths::NotAFolder { variable: None, path: "/h/.clawdbot".into(), state: true }.into(),
            crate::paths::NotAFolder { variable: Some("HOME"), path: "/dev/null".into(), state: false }.into(),
            RefreshFailure::ReadOnly { profile_id: "a:1".into(), login: "claude-cli", owner: "Claude Code" }.into(),
            RefreshFailure::Store(TxnFailure::Internal("no answer to the store lock")).into(),
            RefreshFailure::NotSaved(TxnFailure::Io(crate::io::IoFailure::new(
                crate::io::IoKind::NoSpace,
                "/h/a.json",
            )))
            .into(),
        ];
        {
            use crate::login::{LoginError as L, LoginStep as S};
            all.extend(
                [
                    L::UnknownProvider("nope".into()),
                    L::NoLogin("openai".into()),
                    L::NoDeviceCode("anthropic".into()),
                    L::EnterpriseDomain("x y".into()),
                    L::Origin("CLAWDBOT_AUTH_URL_OPENAI_CODEX".into()),
                    L::NoTerminal,
                    L::Delegated { program: "claude auth login".into(), how: "it exited with 1".into() },
                    L::DeviceCodesDisabled(S::DeviceCode),
                    L::Rejected { step: S::Poll, status: 400, code: Some("bad".into()), description: None },
                    L::Unexpected { step: S::Exchange, status: 200, excerpt: "<html>".into() },
                    L::MissingField { step: S::CopilotToken, field: "token" },
                    L::Transport { step: S::Redirect, message: "timed out".into() },
                    L::Expired(S::Poll),
                    L::SlowDown(S::Poll),
                    L::Denied(S::Poll),
                    L::NoExpiry(S::Exchange),
                    L::StateMismatch(S::Redirect),
                    L::NoCode(S::Redirect),
                    L::NoRandom,
                    L::Redirected { step: S::Redirect, code: "access_denied".into() },
                ]
                .into_iter()
                .map(Error::from),
            );
            // A server echoing a secret back.
            let echoed = crate::http::HttpResponse::new(500, vec![], format!("{{\"error\": \"access_token={s}\"}}"));
            let codex = crate::providers::RefreshProvider::from_id("openai-codex").expect("built in");
            all.extend(crate::login::read_exchange(codex, &echoed, 0).err().map(Error::from));
        }
        // The rules that see a secret, fed one.
        let setup = [
            String::new(),
            format!("{} {}", &s[..40], &s[40..]),
            "sk-ant-api03-FAKEFAKEFAKEFAKEFAKE".to_string(),
            "sk-ant-ort01-FAKEFAKEFAKEFAKEFAKE".to_string(),
            "FAKEFAKEFAKEFAKEFAKEFAKE".to_string(),
            s[..40].to_string(),
        ];
        all.extend(setup.iter().filter_map(|t| crate::setup_token::check_setup_token(t).err()).map(Error::from));
        for pasted in ["", &format!("{s}#state")] {
            all.extend(crate::setup_token::clean_pasted_token(pasted).err().map(Error::from));
        }
        for key in ["", &format!("{s} {s}")] {
            all.extend(crate::setup_token::clean_pasted_api_key(key).err().map(Error::from));
        }
        let hints = crate::providers::PROVIDERS.iter().filter_map(|p| p.no_key_hint.as_ref());
        all.extend(hints.map(|h| Error::from(ResolveError::OtherLogin(h.message))));
        // The provider files' words for a login without its project.
        for message in ["Google Cloud credentials missing projectId", "Antigravity credentials missing projectId"] {
            all.push(PlanError::MissingProjectId { profile_id: "g:1".into(), message }.into());
        }
        all
    }

    /// The reference's words, kept as it spells them (spec ids in
    /// docs/reference.md): users search for them, the vectors pin them.
    const THE_REFERENCES: [&str; 9] = [
        "Missing --provider.",
        "Missing profile ids.",
        "Auth profile \"",
        "No credentials found for profile",
        "The OAuth token of",
        "No API key found for provider",
        "Required",
        "Expected token starting with sk-ant-oat01-",
        "Token looks too short",
    ];

    /// The names a message may open with: it is about them.
    const NAMES: [&str; 3] = ["Claude Code", "Google", "Antigravity"];

    #[test]
    fn every_error_is_a_lower_case_cause_without_a_label_a_remedy_or_a_secret() {
        let all = every_error();
        assert!(all.len() > 60, "{}", all.len());
        for error in &all {
            let text = error.to_string();
            let opens_well = text.starts_with(|c: char| c.is_lowercase() || "\"'-~/".contains(c))
                || THE_REFERENCES.iter().chain(&NAMES).any(|words| text.starts_with(words));
            assert!(opens_well, "{error:?} says {text:?}");
            for label in ["error:", "hint:", "warning:", "note:"] {
                assert!(!text.contains(label), "{text}");
            }
            assert!(!text.contains("FAKEFAKE"), "a secret in {text:?}");
            // A remedy is a hint of its own (remedy::for_error), not a
            // clause of the message.
            let the_references = THE_REFERENCES.iter().any(|words| text.starts_with(words));
            for remedy in ["; log in again", "; paste ", "; use ", "; pick ", "; type ", ". Try again"] {
                assert!(the_references || !text.contains(remedy), "a remedy in {text:?}");
            }
        }
    }
}
