//! TinyLLM, a provider that exists only in tests: the "one file + one
//! registry line" proof.
//!
//! This file and the `#[cfg(test)]` line in [`super::PROVIDERS`] are all
//! it takes to add a provider. The test below then drives it through the
//! core's ordinary entry points, none of which names it: its API key is
//! found in the environment, a stored OAuth login of it gets a refresh plan
//! to its token endpoint (and its override variable), the answer renews
//! the login with its margin, and its hints appear in the status report and
//! in a failed refresh's diagnostic.

use super::{ClientVars, FIVE_MINUTES, ProviderSpec, RefreshInput, RefreshSpec, RequestError, Requests, shapes};

pub const ID: &str = "tinyllm";
pub const TOKEN_URL: &str = "https://auth.tinyllm.invalid/oauth/token";
pub const CLIENT_ID: &str = "tinyllm-public-client";

pub const SPEC: ProviderSpec = ProviderSpec {
    aliases: &["tiny-llm"],
    env_vars: &["TINYLLM_API_KEY"],
    relogin_hint: Some("Run `tinyllm login` on the gateway host."),
    missing_hint: Some("Run `tinyllm login`, or set TINYLLM_API_KEY."),
    refresh: Some(RefreshSpec::oauth2(TOKEN_URL, FIVE_MINUTES, request)),
    client_vars: ClientVars::any("TINYLLM_API_KEY"),
    ..ProviderSpec::new(ID)
};

fn request(input: &RefreshInput<'_>) -> Result<Requests, RequestError> {
    Ok(shapes::public_client_form(input, TOKEN_URL, CLIENT_ID))
}

#[cfg(test)]
mod tests {
    use crate::paths::Env;
    use crate::refresh::{self, Endpoints, HttpResponse, Outcome};
    use crate::secret::Secret;
    use crate::store::{Credential, OAuth, Profile};
    use crate::time::{Expiry, HOUR};
    use crate::world::{FileRead, MapWorld};

    const NOW: i64 = 1_767_225_600_000;

    fn login() -> Profile {
        Profile::new(Credential::OAuth(OAuth {
            provider: "TinyLLM".into(),
            access: Some(Secret::new("at-FAKE-TINY")),
            refresh: Some(Secret::new("rt-FAKE-TINY")),
            expires: Some(Expiry::from_millis(NOW - HOUR)),
            ..OAuth::default()
        }))
    }

    /// The "one file + one registry line" proof: a provider added as this
    /// test fixture (this file plus its `#[cfg(test)]` entry in
    /// `PROVIDERS`) works end to end inside the core with no other edit.
    #[test]
    fn a_provider_added_as_one_file_and_one_registry_line_works_end_to_end() {
        // Its API key is resolved from its own variable, under an alias too.
        let env = Env::new("/h").with_var("TINYLLM_API_KEY", "sk-FAKE-TINY");
        let found = crate::env_auth::env_key("tiny-llm", &env, &[], false).expect("found");
        assert_eq!((found.value.expose(), found.source.as_str()), ("sk-FAKE-TINY", "env: TINYLLM_API_KEY"));
        assert_eq!(
            crate::handout::client_env_var("tinyllm", crate::store::CredentialType::ApiKey),
            Some("TINYLLM_API_KEY")
        );

        // Its OAuth login is refreshable and is planned to its endpoint.
        let plan = refresh::plan("tinyllm:me", &login(), NOW, &Endpoints::defaults()).expect("plan");
        assert_eq!(plan.request().url, super::TOKEN_URL);
        let body = plan.request().body.as_ref().map(crate::http::RequestBody::as_str).unwrap_or_default();
        assert_eq!(body, "grant_type=refresh_token&refresh_token=rt-FAKE-TINY&client_id=tinyllm-public-client");
        let moved = Endpoints::from_env([("CLAWDBOT_TOKEN_URL_TINYLLM", "http://127.0.0.1:9/t")]);
        assert_eq!(
            refresh::plan("tinyllm:me", &login(), NOW, &moved).expect("plan").request().url,
            "http://127.0.0.1:9/t"
        );

        // Its answer renews the login, less its five-minute margin.
        let mut plan = plan;
        let ok = HttpResponse::new(200, vec![], r#"{"access_token":"at-FAKE-NEW","expires_in":3600}"#);
        let Outcome::Refreshed(renewed) = refresh::apply(&mut plan, &login(), &ok, NOW) else { panic!("refreshed") };
        let Credential::OAuth(new) = &renewed.credential else { panic!("oauth") };
        assert_eq!(new.expires.as_ref().map(Expiry::ms), Some((NOW + HOUR - 5 * 60_000) as f64));
        assert_eq!(new.refresh.as_ref().map(Secret::expose), Some("rt-FAKE-TINY"), "kept when not rotated");

        // A dead login's diagnostic carries its relogin hint.
        let dead = HttpResponse::new(400, vec![], r#"{"error":"invalid_grant"}"#);
        let Outcome::Failed(error) = refresh::apply(&mut plan, &login(), &dead, NOW) else { panic!("failed") };
        assert!(crate::remedy::for_refresh(&error, "tinyllm:me").ends_with("Run `tinyllm login` on the gateway host."));

        // The status report knows it: a configured model with no credential
        // shows its own hint under "Missing auth".
        let mut w = MapWorld::default();
        let config = r#"{"agents":{"defaults":{"model":{"primary":"tinyllm/small"}}}}"#;
        w.files.insert("/h/.clawdbot/clawdbot.json".into(), FileRead::text(config));
        let loaded = crate::load::load(&w, &Env::new("/h"), NOW, None);
        let report = crate::report::build(&loaded, &Default::default());
        let text = crate::report::render_text(&report, &loaded.env, Default::default());
        assert!(text.contains("\nMissing auth\n- tinyllm Run `tinyllm login`, or set TINYLLM_API_KEY.\n"), "{text}");
    }
}
