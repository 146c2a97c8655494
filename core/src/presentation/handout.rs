//! The forms in which `models auth token` hands a key to a script: the
//! raw key, one JSON document, or a shell assignment of the variable the
//! provider's own clients read.
//!
//! Each form is exactly one line on standard output, and the only output
//! of this crate that holds a secret unmasked.

use crate::load::Loaded;
use crate::resolve::{ResolveError, ResolvedKey};
use crate::secret::Secret;
use crate::store::CredentialType;
use crate::time::Instant;
use serde::Serialize;

/// How the key is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyForm {
    /// The key alone (what `apiKeyHelper` wants).
    #[default]
    Raw,
    /// `{token, type, provider, profileId, expiresAt}`.
    Json,
    /// `VAR='key'`, shell-quoted, for `eval` or an env file.
    Env,
}

/// What is known about the key being handed out.
#[derive(Debug, Clone, PartialEq)]
pub struct HandedKey<'a> {
    /// The key.
    pub key: &'a Secret,
    /// `api_key`, `token` or `oauth`.
    pub kind: CredentialType,
    /// The provider asked for, normalised.
    pub provider: String,
    /// The profile it came from (none for the environment or the config).
    pub profile_id: Option<&'a str>,
    /// When it expires, ISO 8601, when it does.
    pub expires_at: Option<String>,
}

impl<'a> HandedKey<'a> {
    /// The key `resolved` found in `loaded` for `provider`.
    pub fn of(loaded: &'a Loaded, provider: &str, resolved: &'a ResolvedKey) -> HandedKey<'a> {
        let profile = resolved.profile_id.as_deref().and_then(|id| loaded.store.profile(id));
        let kind = match profile {
            Some(p) => p.credential.kind(),
            // `env: ANTHROPIC_OAUTH_TOKEN`, `shell env: ...`, `models.json`.
            None if resolved.source.contains("TOKEN") => CredentialType::Token,
            None => CredentialType::ApiKey,
        };
        let expires_at = profile.and_then(|p| p.credential.expiry().at()).and_then(Instant::iso);
        HandedKey {
            key: &resolved.key,
            kind,
            provider: crate::provider::normalize(provider),
            profile_id: resolved.profile_id.as_deref(),
            expires_at,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyJson<'a> {
    token: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    provider: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<&'a str>,
}

/// The variable a provider's clients read a key of `kind` from: the
/// provider's [`crate::providers::ClientVars`] (for Anthropic an OAuth or
/// setup token goes in `ANTHROPIC_AUTH_TOKEN`, sent as a bearer token, and
/// a key in `ANTHROPIC_API_KEY`). `None` for a provider whose clients read
/// no such key from a variable, and for one the core does not know: no
/// name is made up (`OPENAI_CODEX_API_KEY` is read by nobody).
pub fn client_env_var(provider: &str, kind: CredentialType) -> Option<&'static str> {
    crate::providers::find(provider)?.client_vars.for_kind(kind)
}

/// Whether `name` is a name a POSIX shell can assign: a letter or `_`,
/// then letters, digits and `_`. Anything else in front of `=` makes `eval`
/// run a command instead (`42AI_API_KEY='...'`).
pub fn is_shell_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `'text'` for a POSIX shell: single quotes, each `'` written `'\''`.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The one line printed for `form`, or why the key cannot be printed so:
/// `--format env` for a key no client of its provider reads from a
/// variable (issue 23 item 5).
pub fn render(key: &HandedKey<'_>, form: KeyForm) -> Result<Secret, ResolveError> {
    Ok(Secret::new(match form {
        KeyForm::Raw => key.key.expose().to_string(),
        KeyForm::Env => {
            let var = client_env_var(&key.provider, key.kind).filter(|v| is_shell_name(v)).ok_or_else(|| {
                ResolveError::NoClientVariable { provider: key.provider.clone(), kind: key.kind.as_str() }
            })?;
            format!("{var}={}", shell_quote(key.key.expose()))
        }
        KeyForm::Json => {
            let doc = KeyJson {
                token: key.key.expose(),
                kind: key.kind.as_str(),
                provider: &key.provider,
                profile_id: key.profile_id,
                expires_at: key.expires_at.as_deref(),
            };
            serde_json::to_string(&doc).unwrap_or_default()
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_follows_the_kind_of_key() {
        let var = client_env_var;
        assert_eq!(var("anthropic", CredentialType::OAuth), Some("ANTHROPIC_AUTH_TOKEN"));
        assert_eq!(var("anthropic", CredentialType::Token), Some("ANTHROPIC_AUTH_TOKEN"));
        assert_eq!(var("anthropic", CredentialType::ApiKey), Some("ANTHROPIC_API_KEY"));
        assert_eq!(var("openai", CredentialType::ApiKey), Some("OPENAI_API_KEY"));
        assert_eq!(var("chutes", CredentialType::OAuth), Some("CHUTES_OAUTH_TOKEN"));
        assert_eq!(var("chutes", CredentialType::ApiKey), Some("CHUTES_API_KEY"));
        assert_eq!(var("zai", CredentialType::Token), Some("ZAI_API_KEY"));
        assert_eq!(var("github-copilot", CredentialType::ApiKey), Some("COPILOT_GITHUB_TOKEN"));
        // No name is made up: a ChatGPT login, a Copilot token, a Cloud
        // Code login and a provider nobody registered have none.
        assert_eq!(var("openai-codex", CredentialType::OAuth), None);
        assert_eq!(var("openai-codex", CredentialType::ApiKey), Some("OPENAI_API_KEY"));
        assert_eq!(var("github-copilot", CredentialType::OAuth), None);
        assert_eq!(var("google-gemini-cli", CredentialType::OAuth), None);
        assert_eq!(var("my-llm.v2", CredentialType::ApiKey), None);
        assert_eq!(var("42ai", CredentialType::ApiKey), None);
    }

    #[test]
    fn every_registered_client_variable_is_a_shell_name() {
        for p in crate::providers::PROVIDERS {
            let vars = p.client_vars;
            for var in [vars.oauth, vars.token, vars.api_key].into_iter().flatten() {
                assert!(is_shell_name(var), "{}: {var}", p.id);
            }
        }
        for bad in ["", "42AI_API_KEY", "A-B", "A B", "A=B", "É", "A;B", "$(x)"] {
            assert!(!is_shell_name(bad), "{bad:?}");
        }
        for good in ["A", "_", "a_1", "OPENAI_API_KEY"] {
            assert!(is_shell_name(good), "{good:?}");
        }
    }

    #[test]
    fn the_env_form_refuses_when_no_client_reads_a_variable() {
        let key = Secret::new("FAKE-key");
        for (provider, kind) in [("42ai", CredentialType::ApiKey), ("openai-codex", CredentialType::OAuth)] {
            let handed = HandedKey { key: &key, kind, provider: provider.into(), profile_id: None, expires_at: None };
            let refused = render(&handed, KeyForm::Env).expect_err(provider);
            assert!(!refused.to_string().contains("FAKE"), "{refused}");
            assert_eq!(refused, ResolveError::NoClientVariable { provider: provider.into(), kind: kind.as_str() });
            assert_eq!(render(&handed, KeyForm::Raw).map(|k| k.expose().to_string()), Ok("FAKE-key".into()));
        }
    }

    fn loaded(store: &str) -> Loaded {
        let mut w = crate::world::MapWorld::default();
        w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), crate::world::FileRead::text(store));
        crate::load::load(&w, &crate::paths::Env::new("/h"), 1_767_225_600_000, None)
    }

    fn resolved(source: &str, profile_id: Option<&str>) -> ResolvedKey {
        ResolvedKey { key: Secret::new("FAKE-key"), source: source.into(), profile_id: profile_id.map(String::from) }
    }

    #[test]
    fn a_handed_key_takes_its_kind_and_expiry_from_the_profile() {
        let l = loaded(
            r#"{"version":1,"profiles":{
              "anthropic:t":{"type":"token","provider":"anthropic","token":"FAKE-key","expires":1767229200000},
              "anthropic:z":{"type":"token","provider":"anthropic","token":"FAKE-key","expires":0},
              "openai:o":{"type":"oauth","provider":"openai","access":"FAKE-key"}}}"#,
        );
        let r = resolved("profile:anthropic:t", Some("anthropic:t"));
        let k = HandedKey::of(&l, "Anthropic", &r);
        assert_eq!(
            (k.kind, k.provider.as_str(), k.profile_id, k.expires_at.as_deref()),
            (CredentialType::Token, "anthropic", Some("anthropic:t"), Some("2026-01-01T01:00:00Z"))
        );
        assert_eq!(k.key.expose(), "FAKE-key");
        let r = resolved("profile:anthropic:z", Some("anthropic:z"));
        assert_eq!(HandedKey::of(&l, "anthropic", &r).expires_at, None, "an expiry of 0 means none");
        let r = resolved("profile:openai:o", Some("openai:o"));
        assert_eq!(HandedKey::of(&l, "openai", &r).kind, CredentialType::OAuth);
        // Without a profile, the source's variable says what it is.
        let r = resolved("env: ANTHROPIC_OAUTH_TOKEN", None);
        let k = HandedKey::of(&l, "anthropic", &r);
        assert_eq!((k.kind, k.profile_id, k.expires_at), (CredentialType::Token, None, None));
        assert_eq!(HandedKey::of(&l, "openai", &resolved("env: OPENAI_API_KEY", None)).kind, CredentialType::ApiKey);
        assert_eq!(HandedKey::of(&l, "openai", &resolved("models.json", None)).kind, CredentialType::ApiKey);
    }

    #[test]
    fn each_form_is_one_exact_line() {
        let key = Secret::new("sk-ant-oat01-FAKE");
        let handed = HandedKey {
            key: &key,
            kind: CredentialType::Token,
            provider: "anthropic".into(),
            profile_id: Some("anthropic:t"),
            expires_at: Some("2026-01-01T01:00:00Z".into()),
        };
        let shown = |form| render(&handed, form).map(|k| k.expose().to_string()).unwrap();
        assert_eq!(shown(KeyForm::Raw), "sk-ant-oat01-FAKE");
        assert_eq!(shown(KeyForm::Env), "ANTHROPIC_AUTH_TOKEN='sk-ant-oat01-FAKE'");
        assert_eq!(
            shown(KeyForm::Json),
            r#"{"token":"sk-ant-oat01-FAKE","type":"token","provider":"anthropic","profileId":"anthropic:t","expiresAt":"2026-01-01T01:00:00Z"}"#
        );
        assert_eq!(KeyForm::default(), KeyForm::Raw);
    }

    #[test]
    fn shell_quoting_survives_quotes_and_spaces() {
        assert_eq!(shell_quote("a'b c$d"), r"'a'\''b c$d'");
        let key = Secret::new("sk-FAKE'$(x)");
        let handed = HandedKey {
            key: &key,
            kind: CredentialType::ApiKey,
            provider: "openai".into(),
            profile_id: None,
            expires_at: None,
        };
        assert_eq!(render(&handed, KeyForm::Env).unwrap().expose(), r"OPENAI_API_KEY='sk-FAKE'\''$(x)'");
        let doc: serde_json::Value = serde_json::from_str(render(&handed, KeyForm::Json).unwrap().expose()).unwrap();
        assert_eq!(doc, serde_json::json!({"token": "sk-FAKE'$(x)", "type": "api_key", "provider": "openai"}));
    }
}
