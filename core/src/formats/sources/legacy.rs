//! Files older Clawdbots wrote: the per-agent `auth.json` (a flat map from
//! provider to credential, also pi's runtime cache) and
//! `credentials/oauth.json` (A08, A09).

use crate::diag::{Diagnostic, Severity, kind_of, parse_json};
use crate::secret::Secret;
use crate::store::{ApiKey, Credential, CredentialType, OAuth, Profile, Token};
use crate::time::Expiry;
use serde_json::{Map, Value};

/// Reads a legacy `auth.json` into `<provider>:default` profiles.
///
/// `None` when the file is not a legacy store: unreadable, or a map with a
/// `profiles` key, or one without any entry of a known `type`.
pub fn read_legacy_store(bytes: &[u8], origin: &str) -> Result<Option<Vec<(String, Profile)>>, Diagnostic> {
    let root = parse_json(bytes).map_err(|e| e.in_file(origin, Severity::Warning))?;
    let Value::Object(map) = root else {
        return Err(Diagnostic::new(Severity::Warning, origin, format!("is {}, expected an object", kind_of(&root))));
    };
    if map.contains_key("profiles") {
        return Ok(None);
    }
    let mut out = Vec::new();
    for (key, entry) in &map {
        let Value::Object(fields) = entry else { continue };
        let Some(kind) = fields.get("type").and_then(Value::as_str).and_then(CredentialType::parse) else { continue };
        let provider = match fields.get("provider").and_then(Value::as_str) {
            Some(p) if !p.is_empty() => p.to_string(),
            _ => key.clone(),
        };
        let s = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_string);
        let secret = |name: &str| s(name).map(Secret::new);
        let expires = fields.get("expires").and_then(Expiry::from_json);
        let credential = match kind {
            CredentialType::ApiKey => Credential::ApiKey(ApiKey { provider, key: secret("key"), email: s("email") }),
            CredentialType::Token => {
                Credential::Token(Token { provider, token: secret("token"), expires, email: s("email") })
            }
            CredentialType::OAuth => Credential::OAuth(OAuth {
                provider,
                access: secret("access"),
                refresh: secret("refresh"),
                expires,
                refresh_expires: None,
                email: s("email"),
                enterprise_url: s("enterpriseUrl"),
                project_id: s("projectId"),
                account_id: s("accountId"),
            }),
        };
        out.push((format!("{key}:default"), Profile::new(credential)));
    }
    Ok(if out.is_empty() { None } else { Some(out) })
}

/// Reads `credentials/oauth.json`: provider -> `{access, refresh, expires, ...}`.
/// Entries that are not objects are reported and skipped.
pub fn read_oauth_json(bytes: &[u8], origin: &str) -> (Vec<(String, Profile)>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let root = match parse_json(bytes) {
        Ok(v) => v,
        Err(e) => return (Vec::new(), vec![e.in_file(origin, Severity::Warning)]),
    };
    let Value::Object(map) = root else {
        diags.push(Diagnostic::new(Severity::Warning, origin, format!("is {}, expected an object", kind_of(&root))));
        return (Vec::new(), diags);
    };
    let mut out = Vec::new();
    for (provider, creds) in map {
        let Value::Object(mut fields) = creds else {
            diags.push(
                Diagnostic::new(
                    Severity::Warning,
                    origin,
                    format!("is {}, expected an object; ignored", kind_of(&creds)),
                )
                .at(provider.clone()),
            );
            continue;
        };
        let mut take = |name: &str| match fields.get(name) {
            Some(Value::String(s)) => {
                let s = s.clone();
                fields.shift_remove(name);
                Some(s)
            }
            _ => None,
        };
        let access = take("access").map(Secret::new);
        let refresh = take("refresh").map(Secret::new);
        let email = take("email");
        let enterprise_url = take("enterpriseUrl");
        let project_id = take("projectId");
        let account_id = take("accountId");
        let prov = take("provider").filter(|p| !p.is_empty()).unwrap_or_else(|| provider.clone());
        let expires = fields.get("expires").and_then(Expiry::from_json);
        if expires.is_some() {
            fields.shift_remove("expires");
        }
        fields.shift_remove("type");
        let credential = Credential::OAuth(OAuth {
            provider: prov,
            access,
            refresh,
            expires,
            refresh_expires: None,
            email,
            enterprise_url,
            project_id,
            account_id,
        });
        out.push((format!("{provider}:default"), Profile { credential, extra: Map::from_iter(fields) }));
    }
    (out, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_map_becomes_default_profiles() {
        let text = br#"{"anthropic":{"type":"api_key","key":"sk-FAKE"},"x":{"type":"weird"},"y":3}"#;
        let got = read_legacy_store(text, "auth.json").unwrap().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "anthropic:default");
        assert_eq!(got[0].1.credential.provider(), "anthropic");
        assert!(read_legacy_store(br#"{"profiles":{}}"#, "auth.json").unwrap().is_none());
        assert!(read_legacy_store(b"\x00\x01 not json", "auth.json").is_err());
    }

    #[test]
    fn oauth_json_skips_wrong_shapes() {
        let (got, diags) = read_oauth_json(
            br#"{"anthropic":"FAKE","openai-codex":{"access":"a","refresh":"r","expires":5}}"#,
            "oauth.json",
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "openai-codex:default");
        assert_eq!(diags.len(), 1);
    }
}
