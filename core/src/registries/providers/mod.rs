//! Every provider the core knows, as data: one file per provider, one list.
//!
//! A provider is a [`ProviderSpec`]: its id and aliases, the variables that
//! hold its API key, the hints an operator is given about it, and, for the
//! providers whose OAuth logins can be refreshed, a [`RefreshSpec`] (token
//! endpoint, client, request shape, response quirks, expiry margin).
//! [`PROVIDERS`] collects them. Every consumer looks a provider up there
//! ([`find`]) instead of comparing names, so adding a provider is one new
//! file in this folder and one line in [`PROVIDERS`]; nothing else in the
//! crate names a provider (`docs/architecture.md`, "Adding a provider").
//!
//! Each constant is a public value of the official client it imitates
//! (installed-app OAuth clients embed their ids and "secrets" in source);
//! the spec section that fixes each is named beside it, so that a change
//! upstream can be traced.

pub mod anthropic;
pub mod cerebras;
pub mod chutes;
pub mod deepgram;
pub mod github_copilot;
pub mod google;
pub mod google_antigravity;
pub mod google_gemini_cli;
pub mod google_vertex;
pub mod groq;
pub mod kimi_code;
pub mod minimax;
pub mod mistral;
pub mod moonshot;
pub mod openai;
pub mod openai_codex;
pub mod opencode;
pub mod opencode_zen;
pub mod openrouter;
pub mod probe;
pub mod qwen_portal;
pub mod shapes;
pub mod synthetic;
pub mod venice;
pub mod vercel_ai_gateway;
pub mod xai;
pub mod zai;

#[cfg(test)]
mod fixture_tinyllm;

use crate::http::HttpRequest;
use crate::store::{CredentialType, OAuth, Profile};
use crate::time::{MINUTE, Millis};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// The registry: every provider, once. The providers `models status` probes
/// for env keys come first, in the order it lists them.
pub static PROVIDERS: &[&ProviderSpec] = &[
    &anthropic::SPEC,
    &github_copilot::SPEC,
    &google_vertex::SPEC,
    &openai::SPEC,
    &google::SPEC,
    &groq::SPEC,
    &cerebras::SPEC,
    &xai::SPEC,
    &openrouter::SPEC,
    &zai::SPEC,
    &mistral::SPEC,
    &synthetic::SPEC,
    &openai_codex::SPEC,
    &google_gemini_cli::SPEC,
    &google_antigravity::SPEC,
    &qwen_portal::SPEC,
    &chutes::SPEC,
    &minimax::SPEC,
    &opencode_zen::SPEC,
    &opencode::SPEC,
    &deepgram::SPEC,
    &vercel_ai_gateway::SPEC,
    &moonshot::SPEC,
    &kimi_code::SPEC,
    &venice::SPEC,
    #[cfg(test)]
    &fixture_tinyllm::SPEC,
];

/// The provider a bare model name (`opus`, no `provider/`) belongs to, as
/// the reference's `DEFAULT_PROVIDER`, and the one `models auth add` offers.
pub const DEFAULT: &ProviderSpec = &anthropic::SPEC;

/// The model the reference uses when none is configured: the default
/// provider's own.
pub const DEFAULT_MODEL: &str = anthropic::MODEL;

/// The provider `models auth login-github-copilot` logs in to: the
/// reference's alias for one provider's login.
pub const LOGIN_ALIAS: &ProviderSpec = &github_copilot::SPEC;

/// The provider `models auth setup-token` stores tokens of: the one whose
/// spec has a [`ProviderSpec::setup_token`] profile.
pub const SETUP_TOKEN: &ProviderSpec = the_one(Role::SetupToken);

/// The provider whose old single-profile configs doctor repairs: the one
/// whose spec has a [`ProviderSpec::legacy_profile_id`].
pub const LEGACY_PROFILE: &ProviderSpec = the_one(Role::LegacyProfile);

/// A part only one provider plays; flows ask the registry who plays it
/// instead of naming the provider.
#[derive(Clone, Copy)]
enum Role {
    SetupToken,
    LegacyProfile,
}

/// The first provider playing `role`, found when the crate is compiled.
const fn the_one(role: Role) -> &'static ProviderSpec {
    let mut i = 0;
    while i < PROVIDERS.len() {
        let p = PROVIDERS[i];
        let plays = match role {
            Role::SetupToken => p.setup_token.is_some(),
            Role::LegacyProfile => p.legacy_profile_id.is_some(),
        };
        if plays {
            return p;
        }
        i += 1;
    }
    panic!("no provider in the registry plays this role")
}

/// Everything the core knows about one provider.
#[derive(Debug)]
pub struct ProviderSpec {
    /// The id as profiles and configs store it, already normal (lower case).
    pub id: &'static str,
    /// Other spellings that name this provider (lower case); they fold into
    /// `id` wherever provider ids are compared (A34).
    pub aliases: &'static [&'static str],
    /// The variables that hold its key, in priority order (spec §2.6).
    pub env_vars: &'static [&'static str],
    /// Whether `models status` and `models auth list` look for its env key
    /// even when nothing else mentions the provider.
    pub env_probe: bool,
    /// Its key comes from Google's application default credentials
    /// (`gcloud auth application-default login`) rather than a variable.
    pub gcloud_adc: bool,
    /// The variable its model clients read a handed-out key from, by kind
    /// of key (`models auth token --format env`); none where no client
    /// reads such a key from a variable, so that no name is made up.
    pub client_vars: ClientVars,
    /// How an OAuth access token becomes the key handed to model clients.
    pub oauth_key: OAuthKey,
    /// What to do when the configured models use it and nothing holds a
    /// credential; `None` gives the generic "set its API key" hint.
    pub missing_hint: Option<&'static str>,
    /// What to do when one of its profiles needs a new login and cannot be
    /// refreshed; `None` gives the generic paste-token hint.
    pub relogin_hint: Option<&'static str>,
    /// A better message than "no API key found" when another provider's
    /// login is present (OpenAI's key vs a Codex login).
    pub no_key_hint: Option<NoKeyHint>,
    /// The profile id its old single-profile configs used, which doctor's
    /// profile-id hint and repair look for (A69, A70).
    pub legacy_profile_id: Option<&'static str>,
    /// `models auth setup-token` can store one of its tokens (Claude Code's
    /// `claude setup-token`): the profile id it goes to by default.
    pub setup_token: Option<&'static str>,
    /// Its OAuth refresh flow (spec §4), when it has one.
    pub refresh: Option<RefreshSpec>,
    /// How `models auth login` logs in to it (issue 25), when it can.
    pub login: Option<LoginSpec>,
    /// The cheapest requests that prove one of its credentials works, by
    /// kind of credential (`models status --probe`, issue 26); none when
    /// it has no read-only endpoint that needs the key.
    pub probes: &'static [probe::Probe],
    /// The model `models auth login --set-default` makes the default one
    /// (`agents.defaults.model.primary`): the one the provider's login is
    /// for. Model ids change faster than logins; the docs say to check.
    pub login_model: Option<&'static str>,
}

/// How `models auth login --provider P` gets a login of this provider.
#[derive(Debug)]
pub enum LoginSpec {
    /// Our own OAuth login against the provider's authorization server.
    OAuth(&'static OAuthLogin),
    /// The provider's own CLI logs in (run on the terminal), and the sync
    /// brings its login over: Anthropic's sanctioned path is Claude Code's
    /// own login.
    Delegated {
        /// The program, looked up on PATH.
        program: &'static str,
        /// Its arguments.
        args: &'static [&'static str],
    },
}

/// An OAuth login's endpoints and client: paths under an origin, so that
/// `CLAWDBOT_AUTH_URL_<PROVIDER>` and `CLAWDBOT_API_URL_<PROVIDER>` move
/// the whole server.
#[derive(Debug)]
pub struct OAuthLogin {
    /// The authorization server (`https://auth.openai.com`).
    pub origin: &'static str,
    /// The API server the login is exchanged at, when there is one
    /// (`https://api.github.com`), and the path of that exchange.
    pub api: Option<ApiServer>,
    /// The web and API origins of an enterprise host the operator names
    /// (`--enterprise-domain`), with the host to store; `None` for a host
    /// that is not one.
    pub enterprise: Option<fn(&str) -> Option<Enterprise>>,
    /// The public client (another tool's; the docs say whose).
    pub client_id: &'static str,
    /// Its device-code grant, when it has one.
    pub device: Option<DeviceGrant>,
    /// Its browser login (authorization code with PKCE), when it has one.
    pub pkce: Option<PkceGrant>,
    /// Whom the client id belongs to, as `--help` and the docs say it.
    pub client_of: &'static str,
}

/// A login's API server.
#[derive(Debug)]
pub struct ApiServer {
    /// Its origin.
    pub origin: &'static str,
    /// Where the login is exchanged for the token handed out.
    pub token_path: &'static str,
}

/// An enterprise host's servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enterprise {
    /// The host, as the profile stores it (`enterpriseUrl`).
    pub host: String,
    /// Its authorization server's origin.
    pub origin: String,
    /// Its API server's origin.
    pub api_origin: String,
}

/// A device-code grant.
#[derive(Debug)]
pub enum DeviceGrant {
    /// OpenAI's device authorization (Codex CLI): a user code, polled for
    /// an authorization code that is then exchanged with PKCE.
    OpenAi {
        /// `POST` JSON `{client_id}`: the user code.
        usercode_path: &'static str,
        /// `POST` JSON `{device_auth_id, user_code}`, polled.
        poll_path: &'static str,
        /// Where the user enters the code.
        verify_path: &'static str,
        /// The form-encoded code exchange.
        token_path: &'static str,
        /// The `redirect_uri` the exchange names (under the origin).
        redirect_path: &'static str,
        /// How long a code lives, ms.
        lifetime_ms: Millis,
    },
    /// RFC 8628 (GitHub): a device code, polled at the token endpoint.
    Rfc8628 {
        /// `POST` form `client_id`, `scope`.
        code_path: &'static str,
        /// `POST` form `client_id`, `device_code`, `grant_type`, polled.
        token_path: &'static str,
        /// The scope asked for.
        scope: &'static str,
    },
}

/// A browser login: authorization code with PKCE (S256) and a loopback
/// redirect.
#[derive(Debug)]
pub struct PkceGrant {
    /// Where the browser goes.
    pub authorize_path: &'static str,
    /// The form-encoded code exchange.
    pub token_path: &'static str,
    /// The loopback port the redirect comes back to.
    pub port: u16,
    /// The redirect's path.
    pub callback_path: &'static str,
    /// `redirect_uri` as registered for the client.
    pub redirect_uri: &'static str,
    /// The scope asked for.
    pub scope: &'static str,
    /// Further query parameters the client sends.
    pub extra: &'static [(&'static str, &'static str)],
}

/// The variables a provider's clients read a key from, one per kind of
/// key; `None` where they read none (a Google Cloud Code login's
/// `{token, projectId}`, a ChatGPT login's access token). Each is a shell
/// name (`[A-Za-z_][A-Za-z0-9_]*`; a test holds every provider to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientVars {
    /// The variable an OAuth login's key is handed out in.
    pub oauth: Option<&'static str>,
    /// The variable a stored token (a setup-token, a pasted one) is
    /// handed out in.
    pub token: Option<&'static str>,
    /// The variable an API key is handed out in.
    pub api_key: Option<&'static str>,
}

impl ClientVars {
    /// No client reads a key of this provider from a variable.
    pub const NONE: ClientVars = ClientVars { oauth: None, token: None, api_key: None };

    /// Its clients read every kind of key from `var`.
    pub const fn any(var: &'static str) -> ClientVars {
        ClientVars { oauth: Some(var), token: Some(var), api_key: Some(var) }
    }

    /// A bearer credential (a login or a token) in `bearer`, an API key in
    /// `api_key`.
    pub const fn split(bearer: &'static str, api_key: &'static str) -> ClientVars {
        ClientVars { oauth: Some(bearer), token: Some(bearer), api_key: Some(api_key) }
    }

    /// The variable for a key of `kind`.
    pub fn for_kind(&self, kind: CredentialType) -> Option<&'static str> {
        match kind {
            CredentialType::OAuth => self.oauth,
            CredentialType::Token => self.token,
            CredentialType::ApiKey => self.api_key,
        }
    }
}

/// The key an OAuth profile hands out (A22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthKey {
    /// The access token itself.
    AccessToken,
    /// `{"token", "projectId"}` as JSON: the Google Cloud Code providers.
    TokenAndProject,
}

/// Said instead of "no API key found" when the store holds a login of
/// `when_logged_in_to`.
#[derive(Debug, Clone, Copy)]
pub struct NoKeyHint {
    /// Provider id whose stored login makes this hint apply.
    pub when_logged_in_to: &'static str,
    /// The whole message printed instead of "no API key found".
    pub message: &'static str,
}

/// A provider's OAuth refresh flow (spec §4).
#[derive(Debug)]
pub struct RefreshSpec {
    /// The token URL when nothing overrides it; `None` when it depends on
    /// the login (Copilot's GitHub host).
    pub token_url: Option<&'static str>,
    /// Subtracted from the server's expiry when storing `expires`, so that
    /// the stored value is "time to refresh" rather than "dead at".
    pub expiry_margin_ms: Millis,
    /// The request (and an optional format retry) for a login.
    pub request: fn(&RefreshInput<'_>) -> Result<Requests, RequestError>,
    /// What a successful answer looks like.
    pub success: SuccessShape,
    /// A success without a new refresh token is a broken answer (Codex
    /// always rotates); otherwise the old one is kept.
    pub refresh_token_required: bool,
    /// A bare 400 means the refresh token is dead; the text is the
    /// description used when the body gives none (Qwen).
    pub dead_on_400: Option<&'static str>,
    /// Extra values a success carries, laid over the renewed login.
    pub on_renewed: Option<TakeExtras>,
    /// Variables naming the OAuth client when a profile stores none.
    pub client_vars: Option<ClientEnv>,
}

impl RefreshSpec {
    /// A plain OAuth 2 refresh at `token_url`: a standard answer, the old
    /// refresh token kept when none comes back, no extras. A provider with
    /// quirks overrides the fields it needs (`..RefreshSpec::oauth2(...)`).
    pub const fn oauth2(
        token_url: &'static str,
        expiry_margin_ms: Millis,
        request: fn(&RefreshInput<'_>) -> Result<Requests, RequestError>,
    ) -> RefreshSpec {
        RefreshSpec {
            token_url: Some(token_url),
            expiry_margin_ms,
            request,
            success: SuccessShape::OAuth2,
            refresh_token_required: false,
            dead_on_400: None,
            on_renewed: None,
            client_vars: None,
        }
    }
}

/// Lays the extra values of a success body (the first argument) over the
/// renewed login and its profile's other fields.
pub type TakeExtras = fn(&Map<String, Value>, &mut OAuth, &mut Map<String, Value>);

/// The variables holding an OAuth client's id and optional secret.
#[derive(Debug, Clone, Copy)]
pub struct ClientEnv {
    /// Variable holding the client id, used when the profile has no `clientId`.
    pub id_var: &'static str,
    /// Variable holding the optional client secret.
    pub secret_var: &'static str,
}

/// The shape of a successful token response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuccessShape {
    /// RFC 6749: `access_token`, `expires_in` seconds, maybe `refresh_token`.
    OAuth2,
    /// GitHub's Copilot exchange: `token` and `expires_at` in epoch seconds.
    CopilotToken,
}

/// What a request shape gets to build the refresh request from.
#[derive(Debug)]
pub struct RefreshInput<'a> {
    /// The profile id, escaped for messages.
    pub profile_id: &'a str,
    /// The stored profile being refreshed, for fields beyond the credential.
    pub profile: &'a Profile,
    /// The OAuth credential being refreshed.
    pub cred: &'a OAuth,
    /// The stored refresh token, trimmed and non-empty.
    pub refresh_token: &'a str,
    /// `CLAWDBOT_TOKEN_URL_<PROVIDER>` when set.
    pub url_override: Option<&'a str>,
    /// `CLAWDBOT_AUTH_URL_<PROVIDER>` when set: the authorization
    /// server's origin, under which the token path is kept.
    pub auth_origin: Option<&'a str>,
    /// `CLAWDBOT_API_URL_<PROVIDER>` when set: the API server's origin.
    pub api_origin: Option<&'a str>,
    /// The OAuth client id and secret from the host's variables
    /// ([`RefreshSpec::client_vars`]).
    pub client_id: Option<&'a str>,
    /// The client secret from the host's variables, when the client has one.
    pub client_secret: Option<&'a str>,
}

impl RefreshInput<'_> {
    /// The override, else `default`.
    pub fn url(&self, default: &str) -> String {
        self.url_override.unwrap_or(default).to_string()
    }
}

/// Why a provider cannot build a refresh request for a login. The refresh
/// rules turn it into their own error (`PlanError`): the registry sits
/// below them and does not know their types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The login has no `projectId`; the text is the provider's message.
    MissingProjectId {
        /// The profile's id, escaped.
        profile_id: String,
        /// The provider's message for a login without `projectId`.
        message: &'static str,
    },
    /// No OAuth client id in the profile or the environment.
    MissingClientId {
        /// The profile's id, escaped.
        profile_id: String,
        /// The provider id.
        provider: &'static str,
        /// The variable that would supply the client id.
        var: &'static str,
    },
    /// A Copilot login's `enterpriseUrl` is not a host name.
    InvalidEnterpriseUrl {
        /// The profile's id, escaped.
        profile_id: String,
        /// The stored value, escaped.
        url: String,
    },
}

/// The request to send, and for a provider that needs one, the same
/// refresh in another encoding to send once if the first is refused.
#[derive(Debug)]
pub struct Requests {
    /// The refresh request to send first.
    pub request: HttpRequest,
    /// The same refresh in form encoding, sent once if `request` is refused;
    /// `None` when the provider has a single encoding.
    pub form_fallback: Option<HttpRequest>,
}

/// How much earlier than the server's expiry most providers' `expires` is
/// set (spec §4).
pub const FIVE_MINUTES: Millis = 5 * MINUTE;

impl ProviderSpec {
    /// A provider known only by id: no key variables, no hints, no refresh.
    /// Provider files start from this and set what differs.
    pub const fn new(id: &'static str) -> Self {
        ProviderSpec {
            id,
            aliases: &[],
            env_vars: &[],
            env_probe: false,
            gcloud_adc: false,
            client_vars: ClientVars::NONE,
            oauth_key: OAuthKey::AccessToken,
            missing_hint: None,
            relogin_hint: None,
            no_key_hint: None,
            legacy_profile_id: None,
            setup_token: None,
            refresh: None,
            login: None,
            probes: &[],
            login_model: None,
        }
    }

    /// A provider reached with an API key read from `vars` (the first is
    /// the one its clients read, and `token --format env` names), proved
    /// by `probes`, whose key `models status` looks for even when nothing
    /// else mentions it: most providers are no more than this.
    pub const fn api_key(id: &'static str, vars: &'static [&'static str], probes: &'static [probe::Probe]) -> Self {
        ProviderSpec { env_probe: true, ..ProviderSpec::keyed(id, vars, probes) }
    }

    /// As [`ProviderSpec::api_key`], but its key is looked for only when
    /// the configured models or a profile mention the provider (the
    /// reference's env probes leave it out, spec §2.6).
    pub const fn keyed(id: &'static str, vars: &'static [&'static str], probes: &'static [probe::Probe]) -> Self {
        ProviderSpec { env_vars: vars, client_vars: ClientVars::any(vars[0]), probes, ..ProviderSpec::new(id) }
    }

    /// The variable its API key is read from: the first of `env_vars`
    /// that does not hold a token (`…_TOKEN`), or `None` when it reads no
    /// API key from the environment.
    pub fn api_key_var(&self) -> Option<&'static str> {
        self.env_vars.iter().copied().find(|v| !v.ends_with("_TOKEN"))
    }

    /// Its refresh flow as a handle, when it has one.
    pub fn refreshable(&'static self) -> Option<RefreshProvider> {
        self.refresh.as_ref().map(|_| RefreshProvider(self))
    }
}

/// The provider a stored id names, compared normalised (A34), or `None`
/// for one the core has no data for.
pub fn find(provider: &str) -> Option<&'static ProviderSpec> {
    let id = normalized(provider);
    PROVIDERS.iter().copied().find(|p| p.id == id)
}

/// The reference's `normalizeProviderId`: trimmed, lower-cased, and a
/// registered alias folded into its provider's id (`z.ai` → `zai`, A34).
/// Borrowed when the id is already normal (nearly every id in a store).
pub(crate) fn normalized(provider: &str) -> Cow<'_, str> {
    // Every profile, config ref and env probe of every agent comes through
    // here: an ASCII id (nearly all) is trimmed and lower-cased byte by
    // byte, as `str::trim` and `to_lowercase` would.
    let p: Cow<'_, str> = if provider.is_ascii() {
        let trimmed = provider.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
        match trimmed.bytes().any(|b| b.is_ascii_uppercase()) {
            true => Cow::Owned(trimmed.to_ascii_lowercase()),
            false => Cow::Borrowed(trimmed),
        }
    } else {
        let trimmed = provider.trim();
        match trimmed.chars().any(char::is_uppercase) {
            true => Cow::Owned(trimmed.to_lowercase()),
            false => Cow::Borrowed(trimmed),
        }
    };
    match ALIASES.iter().find(|(alias, _)| *alias == &*p) {
        Some((_, id)) => Cow::Borrowed(id),
        None => p,
    }
}

/// How many aliases the registry holds.
const ALIAS_COUNT: usize = {
    let (mut n, mut i) = (0, 0);
    while i < PROVIDERS.len() {
        n += PROVIDERS[i].aliases.len();
        i += 1;
    }
    n
};

/// Every alias with its provider's id, gathered from [`PROVIDERS`] when the
/// crate is compiled ([`normalized`] looks an id up here instead of walking
/// every provider's list).
static ALIASES: [(&str, &str); ALIAS_COUNT] = {
    let mut out = [("", ""); ALIAS_COUNT];
    let (mut n, mut i) = (0, 0);
    while i < PROVIDERS.len() {
        let mut j = 0;
        while j < PROVIDERS[i].aliases.len() {
            out[n] = (PROVIDERS[i].aliases[j], PROVIDERS[i].id);
            n += 1;
            j += 1;
        }
        i += 1;
    }
    out
};

/// `CLAWDBOT_TOKEN_URL_<PROVIDER>`-style suffix: upper-cased, `-` and `.` as `_`.
pub(crate) fn env_suffix(provider: &str) -> String {
    normalized(provider).chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

/// The variable that replaces its API server's origin (a login's, and its
/// probe's): `CLAWDBOT_API_URL_<PROVIDER>`.
pub fn api_url_env_var(provider: &str) -> String {
    format!("CLAWDBOT_API_URL_{}", env_suffix(provider))
}

/// The providers whose env keys are looked for unasked, in listing order.
pub fn env_probed() -> impl Iterator<Item = &'static str> {
    PROVIDERS.iter().filter(|p| p.env_probe).map(|p| p.id)
}

/// A provider with a known refresh flow (spec §4): a handle on its
/// registry entry, compared by id.
#[derive(Clone, Copy)]
pub struct RefreshProvider(&'static ProviderSpec);

impl RefreshProvider {
    /// The handle on `spec`, which must have a refresh flow (checked when
    /// used in a constant, else on the call).
    pub const fn new(spec: &'static ProviderSpec) -> Self {
        assert!(spec.refresh.is_some(), "RefreshProvider::new of a provider without a refresh flow");
        RefreshProvider(spec)
    }

    /// Every refreshable provider, in registry order.
    pub fn all() -> impl Iterator<Item = RefreshProvider> {
        PROVIDERS.iter().copied().filter_map(ProviderSpec::refreshable)
    }

    /// The provider for a stored `provider` string, compared normalised.
    pub fn from_id(provider: &str) -> Option<Self> {
        find(provider)?.refreshable()
    }

    /// The provider id as profiles store it.
    pub fn id(self) -> &'static str {
        self.0.id
    }

    /// Its registry entry.
    pub fn spec(self) -> &'static ProviderSpec {
        self.0
    }

    /// Its refresh flow.
    pub fn flow(self) -> &'static RefreshSpec {
        match &self.0.refresh {
            Some(flow) => flow,
            // A handle is only made by `refreshable`, which checked.
            None => unreachable!("RefreshProvider without a refresh flow"),
        }
    }

    /// Subtracted from the server's expiry when storing `expires` (spec §4).
    pub fn expiry_margin_ms(self) -> Millis {
        self.flow().expiry_margin_ms
    }

    /// The environment variable that overrides the token URL, for tests and
    /// for proxies: `CLAWDBOT_TOKEN_URL_<PROVIDER>`.
    pub fn token_url_env_var(self) -> String {
        format!("CLAWDBOT_TOKEN_URL_{}", env_suffix(self.id()))
    }

    /// The variable that overrides its login's authorization server:
    /// `CLAWDBOT_AUTH_URL_<PROVIDER>`.
    pub fn auth_url_env_var(self) -> String {
        format!("CLAWDBOT_AUTH_URL_{}", env_suffix(self.id()))
    }

    /// The variable that overrides its login's API server:
    /// `CLAWDBOT_API_URL_<PROVIDER>`.
    pub fn api_url_env_var(self) -> String {
        api_url_env_var(self.id())
    }
}

impl PartialEq for RefreshProvider {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}
impl Eq for RefreshProvider {}
impl PartialOrd for RefreshProvider {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for RefreshProvider {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id().cmp(other.id())
    }
}
impl fmt::Debug for RefreshProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RefreshProvider({})", self.id())
    }
}
impl fmt::Display for RefreshProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// For tests across the crate: the refreshable provider `id`.
#[cfg(test)]
pub(crate) fn refreshable(id: &str) -> RefreshProvider {
    match RefreshProvider::from_id(id) {
        Some(p) => p,
        None => panic!("{id} has no refresh flow"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handle is its provider's id: equal, ordered (the endpoint maps are
    /// keyed by it) and shown by it.
    #[test]
    fn handles_compare_and_show_as_their_id() {
        let (anthropic, codex) = (refreshable("anthropic"), refreshable("openai-codex"));
        assert_eq!(anthropic, RefreshProvider::from_id("Anthropic").expect("normalised"));
        assert_ne!(anthropic, codex);
        assert_eq!(anthropic.partial_cmp(&codex), Some(std::cmp::Ordering::Less));
        assert!(codex > anthropic);
        assert_eq!(format!("{anthropic:?}"), "RefreshProvider(anthropic)");
        assert_eq!(codex.to_string(), "openai-codex");
    }

    #[test]
    fn ids_are_unique_normal_and_found() {
        let mut seen = std::collections::BTreeSet::new();
        for p in PROVIDERS {
            assert_eq!(normalized(p.id), p.id, "{}", p.id);
            assert!(seen.insert(p.id), "{} listed twice", p.id);
            assert!(std::ptr::eq(find(p.id).expect("found"), *p), "{}", p.id);
            for alias in p.aliases {
                assert!(seen.insert(alias), "{alias} names two providers");
            }
        }
    }

    /// The byte-wise path for ASCII ids trims and lower-cases exactly as
    /// `str::trim` and `to_lowercase` do (vertical tab included), and
    /// every alias folds into its provider.
    #[test]
    fn ascii_ids_normalise_as_the_unicode_rules_do() {
        let slow = |p: &str| {
            let t = p.trim().to_lowercase();
            PROVIDERS.iter().find(|s| s.aliases.contains(&t.as_str())).map_or(t.clone(), |s| s.id.to_string())
        };
        for p in
            ["OpenAI", " \x0b\tZ.AI\r\n\x0c", "z-ai", "Tiny-LLM", "zai", "", " ", "a b", "\x0b", "x\u{85}", "ÄNTHROPIC"]
        {
            assert_eq!(normalized(p), slow(p), "{p:?}");
        }
        assert_eq!(ALIASES.len(), PROVIDERS.iter().map(|p| p.aliases.len()).sum::<usize>());
        for p in PROVIDERS {
            for alias in p.aliases {
                assert_eq!(normalized(&alias.to_uppercase()), p.id);
            }
        }
    }

    proptest::proptest! {
        /// [`ProviderId::names`](crate::provider::ProviderId::names) takes
        /// a stored id equal to a normal form as naming it without
        /// normalising it: that holds only if normalising is idempotent.
        #[test]
        fn a_normal_form_is_its_own_normal_form(raw in "\\PC{0,12}|[ \\x0bA-Za-z.-]{0,12}") {
            let once = normalized(&raw).into_owned();
            proptest::prop_assert_eq!(normalized(&once), once.as_str());
        }
    }

    #[test]
    fn every_registry_id_and_alias_normalises_to_a_fixed_point() {
        for p in PROVIDERS {
            assert_eq!(normalized(p.id), p.id, "{} is not normal", p.id);
            for alias in p.aliases {
                assert_eq!(normalized(&normalized(alias)), normalized(alias), "{alias}");
            }
        }
    }

    #[test]
    fn ids_round_trip_and_normalise() {
        for p in RefreshProvider::all() {
            assert_eq!(RefreshProvider::from_id(p.id()), Some(p));
        }
        assert_eq!(RefreshProvider::from_id(" Anthropic ").map(RefreshProvider::id), Some("anthropic"));
        assert_eq!(RefreshProvider::from_id("openai"), None);
        assert_eq!(RefreshProvider::from_id("minimax-portal"), None);
        let built_in: Vec<&str> =
            RefreshProvider::all().map(RefreshProvider::id).filter(|id| *id != "tinyllm").collect();
        assert_eq!(
            built_in,
            [
                "anthropic",
                "github-copilot",
                "openai-codex",
                "google-gemini-cli",
                "google-antigravity",
                "qwen-portal",
                "chutes"
            ]
        );
    }

    #[test]
    fn margins_follow_the_spec() {
        let margin = |id: &str| RefreshProvider::from_id(id).map(RefreshProvider::expiry_margin_ms);
        assert_eq!(margin("openai-codex"), Some(0));
        assert_eq!(margin("qwen-portal"), Some(0));
        for p in ["anthropic", "github-copilot", "google-gemini-cli", "google-antigravity", "chutes"] {
            assert_eq!(margin(p), Some(300_000), "{p}");
        }
    }

    /// The roles flows ask for are played by exactly one provider each, so
    /// `the_one` cannot pick one of two at random.
    #[test]
    fn each_role_has_one_player() {
        assert_eq!(PROVIDERS.iter().filter(|p| p.setup_token.is_some()).count(), 1);
        assert_eq!(PROVIDERS.iter().filter(|p| p.legacy_profile_id.is_some()).count(), 1);
        assert!(SETUP_TOKEN.setup_token.is_some() && LEGACY_PROFILE.legacy_profile_id.is_some());
    }

    #[test]
    fn env_var_names() {
        let var = |id: &str| RefreshProvider::from_id(id).map(RefreshProvider::token_url_env_var);
        assert_eq!(var("openai-codex").as_deref(), Some("CLAWDBOT_TOKEN_URL_OPENAI_CODEX"));
        assert_eq!(var("google-gemini-cli").as_deref(), Some("CLAWDBOT_TOKEN_URL_GOOGLE_GEMINI_CLI"));
    }

    #[test]
    fn the_env_probe_order_is_the_listing_order() {
        let probed: Vec<&str> = env_probed().collect();
        assert_eq!(
            probed,
            [
                "anthropic",
                "github-copilot",
                "google-vertex",
                "openai",
                "google",
                "groq",
                "cerebras",
                "xai",
                "openrouter",
                "zai",
                "mistral",
                "synthetic"
            ]
        );
    }
}
