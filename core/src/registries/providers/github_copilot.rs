//! GitHub Copilot: a GitHub OAuth token exchanged for a short-lived Copilot
//! token, on github.com or a GitHub Enterprise host.

use super::probe::{KeyOf, Probe};
use super::{
    ApiServer, ClientVars, DeviceGrant, Enterprise, FIVE_MINUTES, LoginSpec, OAuthLogin, ProviderSpec, RefreshInput,
    RefreshSpec, RequestError, Requests, SuccessShape,
};
use crate::http::HttpRequest;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "github-copilot";

/// The editor identity GitHub's Copilot token exchange expects (spec §4).
pub const HEADERS: [(&str, &str); 4] = [
    ("User-Agent", "GitHubCopilotChat/0.35.0"),
    ("Editor-Version", "vscode/1.107.0"),
    ("Editor-Plugin-Version", "copilot-chat/0.35.0"),
    ("Copilot-Integration-Id", "vscode-chat"),
];

/// GitHub's web origin, where the device flow runs (`--enterprise-domain`
/// and `CLAWDBOT_AUTH_URL_GITHUB_COPILOT` move it).
pub const ORIGIN: &str = "https://github.com";
/// GitHub's API, where the Copilot token is exchanged
/// (`CLAWDBOT_API_URL_GITHUB_COPILOT` moves it).
pub const API_ORIGIN: &str = "https://api.github.com";
/// The Copilot token exchange's path under the API origin.
pub const COPILOT_TOKEN_PATH: &str = "/copilot_internal/v2/token";

/// VS Code Copilot Chat's GitHub app and its device flow (spec §4, issue 25).
pub const LOGIN: OAuthLogin = OAuthLogin {
    origin: ORIGIN,
    api: Some(ApiServer { origin: API_ORIGIN, token_path: COPILOT_TOKEN_PATH }),
    enterprise: Some(enterprise),
    client_id: "Iv1.b507a08c87ecfe98",
    client_of: "VS Code's Copilot Chat",
    device: Some(DeviceGrant::Rfc8628 {
        code_path: "/login/device/code",
        token_path: "/login/oauth/access_token",
        scope: "read:user",
    }),
    pkce: None,
};

/// A GitHub Enterprise data-residency host (`example.ghe.com`): its web
/// origin and its API origin (`https://api.<host>`).
fn enterprise(domain: &str) -> Option<Enterprise> {
    let host = github_host(domain)?;
    Some(Enterprise { origin: format!("https://{host}"), api_origin: format!("https://api.{host}"), host })
}

/// `models status --probe`: the Copilot token exchange with the GitHub
/// token (a login's refresh token, or a stored or `COPILOT_GITHUB_TOKEN`
/// token), which proves the account still has Copilot; the Copilot token
/// it answers with is not kept.
pub const PROBES: &[Probe] = &[Probe {
    key_of: KeyOf::Refresh,
    headers: &HEADERS,
    login_origin: Some(login_api_origin),
    ..Probe::get(API_ORIGIN, COPILOT_TOKEN_PATH)
}];

/// A login's own API origin: its GitHub Enterprise host's.
fn login_api_origin(login: &crate::store::OAuth) -> Option<String> {
    let host = login.enterprise_url.as_deref().map(str::trim).filter(|u| !u.is_empty())?;
    enterprise(host).map(|e| e.api_origin)
}

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec {
    env_vars: &["COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"],
    env_probe: true,
    // A login's key is the short-lived Copilot token, which no client
    // reads from a variable; a stored GitHub token is what pi-ai reads
    // (and exchanges) first.
    client_vars: ClientVars { oauth: None, token: Some("COPILOT_GITHUB_TOKEN"), api_key: Some("COPILOT_GITHUB_TOKEN") },
    refresh: Some(RefreshSpec {
        // It depends on the login's GitHub host.
        token_url: None,
        expiry_margin_ms: FIVE_MINUTES,
        request,
        success: SuccessShape::CopilotToken,
        refresh_token_required: false,
        dead_on_400: None,
        on_renewed: None,
        client_vars: None,
    }),
    login: Some(LoginSpec::OAuth(&LOGIN)),
    probes: PROBES,
    // Served on every Copilot plan; which models a plan serves varies.
    login_model: Some("github-copilot/gpt-4.1"),
    ..ProviderSpec::new(ID)
};

/// `GET https://api.<host>/copilot_internal/v2/token` with the GitHub token
/// as the bearer.
fn request(input: &RefreshInput<'_>) -> Result<Requests, RequestError> {
    let target = match (input.url_override, input.api_origin) {
        (Some(u), _) => u.to_string(),
        (None, Some(origin)) => format!("{origin}{COPILOT_TOKEN_PATH}"),
        (None, None) => {
            let domain = match input.cred.enterprise_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
                None => "github.com".to_string(),
                Some(u) => github_host(u).ok_or_else(|| RequestError::InvalidEnterpriseUrl {
                    profile_id: input.profile_id.to_string(),
                    url: crate::escape::escape_control(&bounded(u, 120)).into_owned(),
                })?,
            };
            format!("https://api.{domain}{COPILOT_TOKEN_PATH}")
        }
    };
    let mut request = HttpRequest::get(target).with_header("Authorization", format!("Bearer {}", input.refresh_token));
    for (name, value) in HEADERS {
        request = request.with_header(name, value);
    }
    Ok(Requests { request, form_fallback: None })
}

/// pi-ai's `normalizeDomain`: the host name of `enterpriseUrl`, with or
/// without a scheme, port and path dropped.
pub(crate) fn github_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host_port.split(':').next()?.trim_end_matches('.').to_ascii_lowercase();
    let valid = !host.is_empty()
        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !host.starts_with(['.', '-'])
        && !host.contains("..");
    valid.then_some(host)
}

fn bounded(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
