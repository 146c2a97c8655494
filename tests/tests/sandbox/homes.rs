//! Generated gateway homes for the differential property test: stores of
//! every credential type with awkward values, Claude Code and Codex CLI
//! logins, a JSON5 config, and now and then plain garbage.
//!
//! Proptest draws the shape (how many profiles, which files exist) and one
//! `u64` seed per part; the part's contents are derived from its seed. A
//! proptest value tree per field would cost about 15 s per 1000 cases in a
//! debug build; this keeps generation cheap, and shrinking still drops
//! profiles and files one by one.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// 2026-01-01T00:00:00Z, the vectors' clock.
const NOW: i64 = 1_767_225_600_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

const STORE: &str = ".clawdbot/agents/main/agent/auth-profiles.json";
const CLAUDE: &str = ".claude/.credentials.json";
const CODEX: &str = ".codex/auth.json";
const CONFIG: &str = ".clawdbot/clawdbot.json";
const LEGACY: &str = ".clawdbot/agents/main/agent/auth.json";

/// A deterministic stream of choices derived from one seed (splitmix64).
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `low..high`.
    fn range(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next() % (high - low) as u64) as i64
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }

    /// Which arm of a weighted choice to take.
    fn arm(&mut self, weights: &[u64]) -> usize {
        let mut ticket = self.next() % weights.iter().sum::<u64>();
        for (i, weight) in weights.iter().enumerate() {
            if ticket < *weight {
                return i;
            }
            ticket -= weight;
        }
        unreachable!("ticket below the total weight")
    }

    /// `len` letters and digits.
    fn alnum(&mut self, len: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len).map(|_| CHARS[self.below(CHARS.len())] as char).collect()
    }

    /// `len` characters that stress escaping and UTF-8 handling.
    fn nasty(&mut self, len: usize) -> String {
        const CHARS: &[char] = &[
            'a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u{0}', '\u{1f}', '\u{7f}', 'é', 'ß', '名', '\u{2028}',
            '\u{feff}', '😀', '{', '}', '[', ':', ',', '\'',
        ];
        (0..len).map(|_| CHARS[self.below(CHARS.len())]).collect()
    }
}

fn provider(d: &mut Draw) -> String {
    match d.arm(&[4, 2, 2, 1, 1, 1, 1, 1, 1, 1]) {
        0 => "anthropic".into(),
        1 => "openai".into(),
        2 => "openai-codex".into(),
        3 => "google-antigravity".into(),
        4 => "github-copilot".into(),
        5 => "google-gemini-cli".into(),
        6 => "Anthropic".into(),
        7 => "prövider-ü".into(),
        8 => String::new(),
        _ => {
            let len = d.below(11) + 1;
            d.alnum(len).to_lowercase()
        }
    }
}

/// Strings with quotes, backslashes, control and line-separator characters,
/// astral-plane characters, markup.
fn awkward_text(d: &mut Draw) -> String {
    let fixed = [
        "ünïcødé-名前-😀",
        "quote\"back\\slash",
        "tab\tnew\nline\u{0}nul",
        "\u{2028}\u{2029}\u{feff}",
        " padded ",
        "</script><b>",
    ];
    if d.chance(50) {
        d.pick(&fixed).to_string()
    } else {
        let len = d.below(12);
        d.nasty(len)
    }
}

fn profile_id(d: &mut Draw) -> String {
    match d.arm(&[8, 1, 1]) {
        0 => {
            let provider = provider(d);
            let name = match d.arm(&[3, 2, 2, 1, 2, 2, 1]) {
                0 => "default".to_string(),
                1 => "claude-cli".to_string(),
                2 => "codex-cli".to_string(),
                3 => "manual".to_string(),
                4 => {
                    let len = d.below(8) + 1;
                    format!("{}@example.com", d.alnum(len))
                }
                5 => awkward_text(d),
                _ => {
                    let len = d.below(10) + 1;
                    d.alnum(len)
                }
            };
            format!("{provider}:{name}")
        }
        1 => awkward_text(d),
        _ => "anthropic:claude-cli".to_string(),
    }
}

/// An `expires`/`expiresAt`-like value; `None` means the key is missing.
fn expiry(d: &mut Draw) -> Option<Value> {
    Some(match d.arm(&[4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]) {
        0 => json!(NOW + d.range(-2 * DAY, 40 * DAY)),
        1 => json!(NOW as f64 + d.range(-2 * DAY, 40 * DAY) as f64 + 0.456),
        2 => return None,
        3 => json!(0),
        4 => json!(-1),
        5 => json!(-0.5),
        6 => json!(1e300),
        7 => json!(i64::MAX),
        8 => json!(u64::MAX),
        9 => json!(9_007_199_254_740_993_i64),
        10 => json!("1767225600000"),
        11 => Value::Null,
        12 => json!(true),
        _ => json!(d.range(0, 4_000_000_000)),
    })
}

fn secret(d: &mut Draw) -> String {
    match d.arm(&[3, 2, 1, 1, 1, 1]) {
        0 => {
            let len = d.below(36) + 4;
            format!("sk-ant-api03-FAKE{}", d.alnum(len))
        }
        1 => {
            let len = d.below(86) + 4;
            format!("sk-ant-oat01-FAKE{}", d.alnum(len))
        }
        2 => String::new(),
        3 => "short".to_string(),
        4 => "  sk-padded-FAKEFAKEFAKEFAKE  ".to_string(),
        _ => awkward_text(d),
    }
}

fn set_opt(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        map.insert(key.to_string(), value);
    }
}

/// One profile entry: any of the three types (and now and then a type the
/// store must drop), with optional fields missing or of the wrong shape.
fn profile(seed: u64) -> (String, Value) {
    let d = &mut Draw(seed);
    let id = profile_id(d);
    let kind = match d.arm(&[4, 4, 5, 1, 1]) {
        0 => json!("api_key"),
        1 => json!("token"),
        2 => json!("oauth"),
        3 => json!("bogus"),
        _ => Value::Null,
    };
    let mut entry = Map::new();
    entry.insert("type".into(), kind.clone());
    if d.chance(90) {
        entry.insert("provider".into(), json!(provider(d)));
    }
    match kind.as_str() {
        Some("api_key") => {
            entry.insert("key".into(), json!(secret(d)));
        }
        Some("token") => {
            entry.insert("token".into(), json!(secret(d)));
            set_opt(&mut entry, "expires", expiry(d));
        }
        _ => {
            entry.insert("access".into(), json!(secret(d)));
            entry.insert("refresh".into(), json!(secret(d)));
            set_opt(&mut entry, "expires", expiry(d));
            if d.chance(30) {
                entry.insert("projectId".into(), json!("fake-project"));
            }
        }
    }
    if d.chance(30) {
        entry.insert("email".into(), json!(awkward_text(d)));
    }
    if d.chance(5) {
        entry.insert("x-extra".into(), json!({"nested": [1.25, "kept"]}));
    }
    (id, Value::Object(entry))
}

/// A well-formed profile that expires in the future (within the warning
/// window now and then), so that check codes 0 and 2 come up as often as 1.
fn tidy_profile(seed: u64) -> (String, Value) {
    let d = &mut Draw(seed);
    let provider = d.pick(&["anthropic", "openai", "openai-codex", "google-antigravity", "github-copilot"]).to_string();
    let id = format!("{provider}:{}", d.alnum(6));
    let expires = if d.chance(20) { NOW + d.range(HOUR, DAY) } else { NOW + d.range(2 * DAY, 60 * DAY) };
    let entry = match d.arm(&[1, 1, 1]) {
        0 => json!({ "type": "api_key", "provider": provider, "key": format!("sk-FAKE{}", d.alnum(24)) }),
        1 => json!({ "type": "token", "provider": provider, "token": format!("sk-ant-oat01-FAKE{}", d.alnum(24)),
                     "expires": expires }),
        _ => json!({ "type": "oauth", "provider": provider, "access": format!("FAKE{}", d.alnum(20)),
                     "refresh": format!("FAKE{}", d.alnum(20)), "expires": expires }),
    };
    (id, entry)
}

fn usage_stats(d: &mut Draw) -> Value {
    let mut stats = Map::new();
    if d.chance(60) {
        stats.insert("cooldownUntil".into(), json!(NOW + d.range(-HOUR, 2 * HOUR)));
    }
    if d.chance(30) {
        stats.insert("disabledUntil".into(), json!(NOW + d.range(-DAY, 2 * DAY)));
        let reason = [json!("billing"), json!("rate_limit"), json!(7)][d.below(3)].clone();
        stats.insert("disabledReason".into(), reason);
    }
    if d.chance(70) {
        stats.insert("errorCount".into(), json!(d.below(10)));
        stats.insert("lastFailureAt".into(), json!(NOW - d.range(0, DAY)));
    }
    stats.insert("lastUsed".into(), json!(NOW - HOUR));
    Value::Object(stats)
}

/// An `auth-profiles.json` store of the given profiles, with usage stats and
/// order lists that name existing, missing and malformed ids.
fn store(profile_seeds: &[u64], seed: u64, tidy: bool) -> Value {
    let d = &mut Draw(seed);
    let make = if tidy { tidy_profile } else { profile };
    let profiles: Map<String, Value> = profile_seeds.iter().map(|s| make(*s)).collect();
    let ids: Vec<&String> = profiles.keys().collect();
    let mut store = Map::new();
    store.insert("version".into(), json!(1));

    let mut usage = Map::new();
    for _ in 0..d.below(8) {
        let id = if ids.is_empty() || d.chance(10) {
            "anthropic:ghost".to_string()
        } else {
            ids[d.below(ids.len())].clone()
        };
        usage.insert(id, usage_stats(d));
    }
    let mut order = Map::new();
    for _ in 0..d.below(4) {
        let mut list: Vec<Value> = Vec::new();
        for _ in 0..d.below(5) {
            let id = if ids.is_empty() || d.chance(30) { profile_id(d) } else { ids[d.below(ids.len())].clone() };
            list.push(json!(id));
        }
        if d.chance(20) {
            list.extend([json!(42), json!("   "), Value::Null]);
        }
        order.insert(provider(d), Value::Array(list));
    }
    if d.chance(5) {
        order.insert("openai".into(), json!("not-a-list"));
    }

    store.insert("profiles".into(), Value::Object(profiles));
    if !order.is_empty() {
        store.insert("order".into(), Value::Object(order));
    }
    if !usage.is_empty() {
        store.insert("usageStats".into(), Value::Object(usage));
    }
    if d.chance(30) {
        store.insert("lastGood".into(), json!({"anthropic": "anthropic:default"}));
        store.insert("x-unknown".into(), json!({"kept": [1, 2.5, null]}));
    }
    Value::Object(store)
}

/// Claude Code's `.credentials.json`, with or without a refresh token.
fn claude_credentials(seed: u64, tidy: bool) -> Value {
    let d = &mut Draw(seed);
    if tidy {
        return json!({ "claudeAiOauth": { "accessToken": format!("sk-ant-oat01-FAKE{}", d.alnum(30)),
                       "refreshToken": format!("sk-ant-ort01-FAKE{}", d.alnum(30)),
                       "expiresAt": NOW + d.range(HOUR, 30 * DAY) } });
    }
    let mut oauth = Map::new();
    if d.chance(90) {
        oauth.insert("accessToken".into(), json!(secret(d)));
    }
    if d.chance(50) {
        oauth.insert("refreshToken".into(), json!(secret(d)));
    }
    set_opt(&mut oauth, "expiresAt", expiry(d));
    if d.chance(50) {
        oauth.insert("scopes".into(), json!(["user:inference", "user:profile"]));
        oauth.insert("subscriptionType".into(), json!("max"));
    }
    json!({ "claudeAiOauth": Value::Object(oauth), "mcpOAuth": {} })
}

/// Unpadded base64url, as JWT segments are written.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A fake JWT whose payload carries `exp` (seconds) of any shape.
fn jwt(exp: Option<Value>) -> String {
    let header = base64url(br#"{"alg":"none","typ":"JWT"}"#);
    let mut claims = json!({ "https://api.openai.com/auth": { "chatgpt_account_id": "acct-FAKE" } });
    if let Some(exp) = exp {
        claims["exp"] = exp;
    }
    format!("{header}.{}.FAKESIG", base64url(claims.to_string().as_bytes()))
}

/// Codex CLI's `auth.json`, with a JWT access token (or not a JWT at all).
fn codex_auth(seed: u64) -> Value {
    let d = &mut Draw(seed);
    let exp = match d.arm(&[4, 1, 1, 1]) {
        0 => Some(json!(NOW / 1000 + d.range(-DAY / 1000, 40 * DAY / 1000))),
        1 => None,
        2 => Some(json!("soon")),
        _ => Some(json!(1.5e12)),
    };
    let access = if d.chance(85) { jwt(exp) } else { "not-a.jwt".to_string() };
    let mut tokens = Map::new();
    tokens.insert("access_token".into(), json!(access));
    if d.chance(90) {
        tokens.insert("refresh_token".into(), json!(secret(d)));
    }
    if d.chance(50) {
        tokens.insert("account_id".into(), json!(format!("acct-{}", d.alnum(4))));
    }
    json!({ "auth_mode": "chatgpt", "OPENAI_API_KEY": null, "tokens": Value::Object(tokens),
            "last_refresh": "2025-12-31T00:00:00Z" })
}

/// Escapes a string for a single-quoted JSON5 literal.
fn escape_json5(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\'', "\\'").replace('\n', "\\n").replace('\u{2028}', "\\u2028")
}

/// A `clawdbot.json` in JSON5: comments, unquoted keys, single quotes,
/// trailing commas, a default model and an `auth.order`.
fn config(seed: u64) -> String {
    let d = &mut Draw(seed);
    let primary = escape_json5(&provider(d));
    let fallbacks: String = (0..d.below(3)).map(|_| format!("'{}/some-model', ", escape_json5(&provider(d)))).collect();
    let auth = if d.chance(60) {
        let ids: String = (0..d.below(4)).map(|_| format!("{}, ", json!(profile_id(d)))).collect();
        format!("  auth: {{ order: {{ anthropic: [{ids}] }} }},\n")
    } else {
        String::new()
    };
    format!(
        "// generated config\n{{\n  agents: {{ defaults: {{ model: {{ primary: '{primary}/model-x', fallbacks: [{fallbacks}] }} }} }},\n{auth}}}\n"
    )
}

/// Raw text that is probably not a valid file of any kind.
fn garbage(seed: u64) -> String {
    let d = &mut Draw(seed);
    match d.arm(&[3, 1, 1, 1, 1, 1, 1]) {
        0 => {
            let len = d.below(64);
            d.nasty(len)
        }
        1 => String::new(),
        2 => "{\"version\": 1, \"profiles\": {".to_string(),
        3 => "[1, 2, 3]".to_string(),
        4 => "{\"profiles\": {\"a:b\": {\"type\": \"oauth\", \"provider\": \"a\", \"expires\": 1e400}}}".to_string(),
        5 => "\u{feff}{\"version\":1,\"profiles\":{}}".to_string(),
        _ => "null".to_string(),
    }
}

/// How a file reaches the envelope: as text (what a host reads from disk),
/// as an already-parsed JSON value (the envelope accepts both), or replaced
/// by garbage text.
#[derive(Clone, Copy, Debug)]
enum Form {
    Text,
    Json,
    Garbage,
}

fn form() -> impl Strategy<Value = Form> {
    prop_oneof![6 => Just(Form::Text), 3 => Just(Form::Json), 1 => Just(Form::Garbage)]
}

fn as_file(value: Value, form: Form, seed: u64) -> Value {
    match form {
        Form::Text => Value::String(serde_json::to_string_pretty(&value).expect("serialise")),
        Form::Json => value,
        Form::Garbage => Value::String(garbage(seed)),
    }
}

/// One gateway home plus clock and environment: a complete `status`
/// request.
pub fn status_request() -> impl Strategy<Value = Value> {
    (
        option::weighted(0.85, (vec(any::<u64>(), 0..200), any::<u64>(), form())),
        prop::bool::weighted(0.3),
        option::of((any::<u64>(), form())),
        option::of((any::<u64>(), form())),
        option::of((any::<u64>(), any::<bool>())),
        option::weighted(0.05, Just(())),
        0..3usize,
        -DAY..DAY,
        option::of(prop_oneof![Just(DAY), Just(0), 0..10 * DAY]),
    )
        .prop_map(|(store_part, tidy, claude, codex, config_part, legacy, env, skew, warn)| {
            // A tidy home has well-formed files only and no config naming
            // providers at random.
            let form = |form: Form| if tidy && matches!(form, Form::Garbage) { Form::Text } else { form };
            let mut home = Map::new();
            if let Some((profiles, seed, f)) = store_part {
                home.insert(STORE.into(), as_file(store(&profiles, seed, tidy), form(f), seed));
            }
            if let Some((seed, f)) = claude {
                home.insert(CLAUDE.into(), as_file(claude_credentials(seed, tidy), form(f), seed));
            }
            if let Some((seed, f)) = codex.filter(|_| !tidy) {
                home.insert(CODEX.into(), as_file(codex_auth(seed), f, seed));
            }
            if let Some((seed, valid)) = config_part.filter(|_| !tidy) {
                home.insert(CONFIG.into(), json!(if valid { config(seed) } else { garbage(seed) }));
            }
            if legacy.is_some() {
                home.insert(LEGACY.into(), json!({ "anthropic": { "type": "api_key", "key": "sk-ant-api03-LEGACYFAKEFAKE" } }));
            }
            let env = match env {
                0 => json!({}),
                1 => json!({ "ANTHROPIC_API_KEY": "sk-ant-api03-ENVFAKEFAKEFAKEFAKE" }),
                _ => json!({ "ANTHROPIC_OAUTH_TOKEN": "sk-ant-oat01-ENVFAKE", "OPENAI_API_KEY": "sk-FAKE1234567890FAKE" }),
            };
            let mut request = Map::new();
            request.insert("op".into(), json!("status"));
            // Tidy homes are judged at NOW, where their expiries are in the future.
            request.insert("now".into(), json!(if tidy { NOW } else { NOW + skew }));
            set_opt(&mut request, "warnAfterMs", warn.map(|w| json!(w)));
            request.insert("env".into(), env);
            request.insert("home".into(), Value::Object(home));
            Value::Object(request)
        })
}

/// The same request with its files given by role instead of by path, as
/// the admin panel sends them (the envelope then places them itself, for
/// the config's default agent).
pub fn by_role(request: &mut Value) {
    let Some(Value::Object(home)) = request.get_mut("home").map(std::mem::take) else { return };
    let mut files = Map::new();
    for (path, content) in home {
        let role = match path.as_str() {
            STORE => "store",
            CLAUDE => "claude",
            CODEX => "codex",
            CONFIG => "config",
            LEGACY => "legacyStore",
            _ => continue,
        };
        files.insert(role.into(), content);
    }
    if let Some(object) = request.as_object_mut() {
        object.remove("home");
        object.insert("files".into(), Value::Object(files));
    }
}
