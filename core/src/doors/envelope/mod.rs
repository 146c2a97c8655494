//! One JSON request/response over the whole core, for every non-native host
//! (the browser panel, the sandboxed module, tests).
//!
//! Request: `{"op", "now", "warnAfterMs"?, "strict"?, "env"?, "agent"?, "files"?, "home"?, "keychain"?}`.
//! `strict` judges `--check` by the reference's rule (`models status --strict`).
//! `files` holds file contents by role (`store`, `claude`, `codex`,
//! `config`, `legacyStore`, `oauthJson`, see `view::FileRole`); the envelope
//! places each where the CLI would read it, for the agent the config names
//! as default (or `agent`), exactly as `paths::locate` decides. `home`
//! holds contents by path relative to HOME. The envelope's HOME is `~`, so
//! every path in the response reads `~/.clawdbot/...`. `keychain` holds
//! macOS Keychain items as `security` would print their secrets:
//! `[{"service", "account", "secret"}]` (a secret given as JSON is its
//! compact text); the login sources' items are looked up there by the
//! service and account their rules name. Errors come back as
//! `{"error": ...}`; nothing here panics on any input.
//!
//! Every report-making op also answers `locations` (where it looked); the
//! `view` op answers only that and `view::View`, everything the
//! admin panel shows (`"rows"` cuts its long lists, `"from"` pages its
//! profile table, `"text": false` leaves out the CLI text).
//!
//! What a command would do is the command's own flow, run over the
//! request's files in memory (`envelope/memory.rs`): the doctor panel and
//! `doctorPreview` are `clawdbot doctor --non-interactive --json`, the
//! order editor's `setOrder` and `moveInOrder` are `models auth order set`.
//! Their writes come back in the answer; nothing leaves the envelope.

mod doctor;
mod memory;
mod order;
mod session;

pub use session::Session;

use crate::config::parse_config;
use crate::flow::AgentCheck;
use crate::load::{Loaded, StoreState, load};
use crate::paths::{self, Env};
use crate::report::{self, ReportOptions, TextStyle};
use crate::store::store_to_json;
use crate::view::{self, FileRole};
use crate::world::{FileRead, MapWorld, World};
use serde_json::{Map, Value, json};

/// Handles one request document and returns the response document.
pub fn handle(request: &str) -> String {
    answer(parse(request).and_then(|req| respond(&req)))
}

/// A request document as JSON.
fn parse(request: &str) -> Result<Value, String> {
    serde_json::from_str::<Value>(request).map_err(|e| format!("request is not JSON: {e}"))
}

/// The response document: the answer, or `{"error": ...}`.
fn answer(response: Result<Value, String>) -> String {
    let response = response.unwrap_or_else(|message| json!({ "error": message }));
    serde_json::to_string(&response).unwrap_or_else(|_| r#"{"error":"response could not be encoded"}"#.to_string())
}

/// What every op but `identify` runs over: the request's files, clock,
/// environment, agent and report options.
pub(crate) struct Ground {
    pub world: MapWorld,
    pub env: Env,
    pub agent: Option<String>,
    pub now: crate::time::Millis,
    pub options: ReportOptions,
}

impl Ground {
    /// Where an order command runs over these files.
    fn at(&self) -> order::At<'_> {
        order::At { world: &self.world, env: &self.env, now: self.now, agent: self.agent.as_deref() }
    }
}

/// What a request whose `"now"` is missing or no number is told.
const NOW_IS_A_NUMBER: &str = "request.now must be a number (ms)";

/// A request's `"now"` (ms), `None` when it gives none: required where a
/// request is whole ([`ground_of`]), optional in a session's later calls.
fn now_of(req: &Value) -> Result<Option<crate::time::Millis>, String> {
    match req.get("now") {
        None | Some(Value::Null) => Ok(None),
        Some(now) => now.as_f64().filter(|n| n.is_finite()).map(|n| Some(n as i64)).ok_or(NOW_IS_A_NUMBER.into()),
    }
}

/// The request's ground: `now`, `warnAfterMs`, `strict`, `env`, `agent`
/// and the files; an unknown agent is refused as every command refuses it.
fn ground_of(req: &Value) -> Result<Ground, String> {
    let now = now_of(req)?.ok_or(NOW_IS_A_NUMBER)?;
    let warn_after_ms = req
        .get("warnAfterMs")
        .and_then(Value::as_f64)
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map_or(crate::defaults::WARN_AFTER_MS, |n| n as i64);
    let mut env = Env::new("~");
    if let Some(Value::Object(vars)) = req.get("env") {
        for (k, v) in vars {
            if let Some(v) = v.as_str() {
                std::sync::Arc::make_mut(&mut env.vars).insert(k.clone(), v.to_string());
            }
        }
    }
    let agent = req.get("agent").and_then(Value::as_str);
    let world = world_of(req, &env, agent)?;
    if agent.is_some() {
        // An unknown agent is refused as every command refuses it.
        let config = config_of(&world, &env);
        let ran = memory::Memory::new(world.files.clone(), now).run(&mut AgentCheck::new(&env, &config, agent, now));
        if ran.exit != crate::flow::Exit::Ok {
            return Err(ran.refusal());
        }
    }
    let strict = req.get("strict").and_then(Value::as_bool).unwrap_or(false);
    let options = ReportOptions { warn_after_ms, strict, ..ReportOptions::default() };
    Ok(Ground { world, env, agent: agent.map(str::to_string), now, options })
}

fn respond(req: &Value) -> Result<Value, String> {
    let op = req.get("op").and_then(Value::as_str).unwrap_or("status");
    if op == "identify" {
        return identify(req);
    }
    let ground = ground_of(req)?;
    let Ground { world, env, now, options, .. } = &ground;
    let (now, agent) = (*now, ground.agent.as_deref());
    if op == "view" {
        let asked = view_options(req, options.clone())?;
        return view_of(world, env, agent, now, &asked);
    }
    // The order ops run the command, which loads the files itself.
    let at = ground.at();
    match op {
        "setOrder" => return order::set_order(req, &at),
        "moveInOrder" => {
            // With `"view"`, the page's one call per move: the store written
            // and the view of it, nothing else.
            let asked = match req.get("view") {
                None | Some(Value::Null) => None,
                Some(asked) => Some(view_options(asked, options.clone())?),
            };
            return order::move_in_order(req, &at, asked.as_ref());
        }
        _ => {}
    }
    let loaded = load(world, env, now, agent);
    if !matches!(op, "status" | "renderText" | "doctorPreview" | "view" | "listProfiles") {
        return Err(format!("unknown op \"{}\"", crate::escape::escape_control(op)));
    }
    // The report and its check code exactly as `models status` makes them.
    let crate::flow::Assessment { report, check } = crate::flow::assess(&loaded, options);
    let mut out = base_response(&loaded, &report, check);
    match op {
        "renderText" => {
            out.insert("text".into(), Value::from(report::render_text(&report, env, TextStyle::default())));
        }
        "doctorPreview" => {
            let run = doctor::run(world, env, agent, now)?;
            out.insert("doctor".into(), run.to_value());
            out.insert("writes".into(), writes(&run.ran));
        }
        "listProfiles" => {
            // `models auth list`'s view: what the panel's profile table shows.
            let provider = req.get("provider").and_then(Value::as_str);
            let listing = crate::listing::list(&loaded, provider);
            out.insert("listing".into(), serde_json::to_value(&listing).unwrap_or(Value::Null));
        }
        _ => {}
    }
    out.insert("locations".into(), locations(&loaded));
    Ok(Value::Object(out))
}

/// What a view is asked to hold.
#[derive(Debug, Clone, Default)]
pub(crate) struct ViewOptions {
    /// The window and rule of the report, as `models status` takes them.
    pub report: ReportOptions,
    /// How many rows of each long list.
    pub limits: view::Limits,
    /// Whether the CLI's text is in it.
    pub text: bool,
}

/// The page's one call per refresh: `{"locations", "view"}`, what it shows
/// and nothing else (no report, no store, so no secret). The other ops do
/// not carry the view: for a big store it would add a third to their cost.
///
/// The one view builder: the envelope's `view` op makes it over the files
/// a page was given, `clawdbot panel` over the files this host read
/// (`flow::PanelLook`); `world` holds those files (doctor runs over them,
/// in memory) and `loaded` is their load.
pub(crate) fn view_document(
    world: &MapWorld,
    loaded: &Loaded,
    env: &Env,
    agent: Option<&str>,
    asked: &ViewOptions,
) -> Result<Value, String> {
    // The report exactly as `models status` makes it.
    let report = crate::flow::assess(loaded, &asked.report).report;
    let doctor = doctor::run(world, env, agent, loaded.now)?;
    Ok(view_made(world, loaded, &report, env, &doctor, asked))
}

/// What a view is asked to hold: `"rows"`, `"from"`, `"only"` and
/// `"text"`, read from `req` (the request, or `moveInOrder`'s `"view"`).
fn view_options(req: &Value, report: ReportOptions) -> Result<ViewOptions, String> {
    // The text is the largest part of a big store's view (6 MB for 60 000
    // profiles): a page that does not show it says `"text": false`.
    let text = req.get("text").and_then(Value::as_bool) != Some(false);
    let only = match req.get("only") {
        None | Some(Value::Null) => view::Only::All,
        Some(v) => v
            .as_str()
            .and_then(view::Only::parse)
            .ok_or("request.only must be \"all\", \"problems\" or a status word (\"expired\", ...)")?,
    };
    let rows = whole_number(req, "rows")?;
    let from = whole_number(req, "from")?.unwrap_or(0);
    Ok(ViewOptions { report, limits: view::Limits { rows, only, from }, text })
}

/// The `view` op: [`view_document`] over the files in `world`. Doctor
/// runs over them first; when it wrote nothing, saw every input (no
/// Keychain items) and the report is asked with the default options, the view is made from the load and report doctor
/// made of the same files, rather than loading them again (at 60 000
/// profiles natively, 1.5 s became 0.56 s).
pub(super) fn view_of(
    world: &MapWorld,
    env: &Env,
    agent: Option<&str>,
    now: crate::time::Millis,
    asked: &ViewOptions,
) -> Result<Value, String> {
    let model = Model::of(doctor::run_keeping(world, env, agent, now)?, world, env, agent, now, &asked.report);
    Ok(model.view(world, env, asked))
}

/// What every view of one set of files is cut from: their load, its
/// report, and doctor's run over them. The `view` op makes one per call;
/// a [`Session`] keeps one and cuts each page from it.
pub(crate) struct Model {
    loaded: Loaded,
    report: report::StatusReport,
    doctor: doctor::DoctorRun,
}

impl Model {
    /// The model of `world` after `doctor` ran over it (keeping its load).
    /// When doctor wrote nothing, saw every input (no Keychain items) and
    /// the report is asked with the default options, the load and report
    /// are those doctor made of the same files, rather than loading them
    /// again (at 60 000 profiles natively, 1.5 s became 0.56 s).
    fn of(
        mut doctor: doctor::DoctorRun,
        world: &MapWorld,
        env: &Env,
        agent: Option<&str>,
        now: crate::time::Millis,
        options: &ReportOptions,
    ) -> Model {
        let defaults = ReportOptions::default();
        let same_options = options.warn_after_ms == defaults.warn_after_ms && options.strict == defaults.strict;
        // Doctor's run in memory has the files, not the Keychain items.
        let same_input = doctor.ran.writes.is_empty() && world.keychain.is_empty();
        let kept = doctor.load.take().filter(|_| same_input && same_options);
        let (loaded, report) = match kept {
            Some(kept) => kept,
            None => {
                let loaded = load(world, env, now, agent);
                let report = crate::flow::assess(&loaded, options).report;
                (loaded, report)
            }
        };
        Model { loaded, report, doctor }
    }

    /// The model of `world`, the files a command just left, `load` being
    /// the load that command ended with. Doctor checks that load instead
    /// of loading the files again when it is what loading them gives: the
    /// command saved everything it changed (the load had nothing of its
    /// own to save or remove, no change, no diagnostic that rewriting the
    /// store could drop) and there are no Keychain items, which the run in
    /// memory does not see. Otherwise doctor loads them, as [`view_of`].
    fn after(
        world: &MapWorld,
        env: &Env,
        agent: Option<&str>,
        now: crate::time::Millis,
        options: &ReportOptions,
        load: Option<Loaded>,
    ) -> Result<Model, String> {
        let theirs = |l: &Loaded| {
            l.write.is_none()
                && l.changes.is_empty()
                && l.remove_after_write.is_empty()
                && l.diagnostics.is_empty()
                && world.keychain.is_empty()
        };
        let doctor = match load.filter(theirs) {
            Some(loaded) => doctor::run_over(world, env, agent, now, loaded)?,
            None => doctor::run_keeping(world, env, agent, now)?,
        };
        Ok(Model::of(doctor, world, env, agent, now, options))
    }

    /// The view `asked` for (its rows, page, filter and text) of the files
    /// in `world`, this model's: `{"locations", "view"}`.
    fn view(&self, world: &MapWorld, env: &Env, asked: &ViewOptions) -> Value {
        view_made(world, &self.loaded, &self.report, env, &self.doctor, asked)
    }
}

/// The view of `loaded`, whose report is `report` and doctor's run `doctor`.
fn view_made(
    world: &MapWorld,
    loaded: &Loaded,
    report: &report::StatusReport,
    env: &Env,
    doctor: &doctor::DoctorRun,
    asked: &ViewOptions,
) -> Value {
    let text = asked.text.then(|| report::render_text(report, env, TextStyle::default()));
    let given =
        |role: FileRole| matches!(world.files.get(&role.path(&loaded.locations)), Some(FileRead::Present { .. }));
    let view = view::build(loaded, report, &doctor.preview, text, given, asked.limits);
    json!({ "locations": locations(loaded), "view": doctor.view_value(view, asked.limits) })
}

/// `"rows"`: how many rows of each long list the view carries (all when
/// absent); `"from"`: where the profile table's rows start (0 when absent).
fn whole_number(req: &Value, key: &str) -> Result<Option<usize>, String> {
    match req.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(|n| Some(usize::try_from(n).unwrap_or(usize::MAX)))
            .ok_or_else(|| format!("request.{key} must be a whole number of rows")),
    }
}

/// `{"op": "identify", "name", "text"}`: which role a picked file plays.
fn identify(req: &Value) -> Result<Value, String> {
    let name = req.get("name").and_then(Value::as_str).ok_or("identify needs \"name\"")?;
    let text = req.get("text").and_then(Value::as_str).unwrap_or_default();
    Ok(json!({ "role": view::identify(name, text).key() }))
}

/// Where each role's file was looked for, as `~/...` paths (raw: these are
/// the keys a host may send back in `home`).
fn locations(loaded: &Loaded) -> Value {
    let mut out = Map::new();
    out.insert("agentId".into(), Value::from(loaded.locations.agent_id.clone()));
    for role in FileRole::ALL {
        out.insert(role.key().into(), Value::from(loaded.show(&role.path(&loaded.locations))));
    }
    Value::Object(out)
}

/// The request's files: `home` by path, then `files` by role at the paths
/// the CLI would read for this agent. The config decides the agent, so it
/// is placed (and read) first.
fn world_of(req: &Value, env: &Env, agent: Option<&str>) -> Result<MapWorld, String> {
    let mut world = MapWorld::default();
    match req.get("home") {
        None => {}
        Some(Value::Object(files)) => {
            for (rel, content) in files {
                world.files.insert(paths::join("~", rel), FileRead::text(file_text(content)?));
            }
        }
        Some(_) => return Err("request.home must be an object".into()),
    }
    match req.get("keychain") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let field = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_string);
                let (Some(service), Some(account)) = (field("service"), field("account")) else {
                    return Err("request.keychain items need \"service\" and \"account\" strings".into());
                };
                let secret = match item.get("secret") {
                    Some(Value::String(text)) => text.clone(),
                    Some(other) => other.to_string(),
                    None => return Err("request.keychain items need a \"secret\"".into()),
                };
                world.keychain.insert(crate::world::KeychainItem { service, account }, FileRead::text(secret));
            }
        }
        Some(_) => return Err("request.keychain must be an array of items".into()),
    }
    let by_role = match req.get("files") {
        None => return Ok(world),
        Some(Value::Object(files)) => files,
        Some(_) => return Err("request.files must be an object of file contents by role".into()),
    };
    let mut roles = Vec::with_capacity(by_role.len());
    for (key, content) in by_role {
        let role = FileRole::from_key(key).ok_or_else(|| {
            let known: Vec<&str> = FileRole::ALL.iter().map(|r| r.key()).collect();
            format!("unknown file role \"{}\" (known: {})", crate::escape::escape_control(key), known.join(", "))
        })?;
        roles.push((role, file_text(content)?));
    }
    let config_path = paths::config_path(env);
    if let Some((_, text)) = roles.iter().find(|(role, _)| *role == FileRole::Config) {
        world.files.insert(config_path.clone(), FileRead::text(text.clone()));
    }
    let config = config_of(&world, env);
    let locations = paths::locate(env, &config, agent);
    for (role, text) in roles {
        world.files.insert(role.path(&locations), FileRead::text(text));
    }
    Ok(world)
}

/// The config the CLI would read in `world` (the default when absent or
/// unreadable), which decides where the agent's files are.
fn config_of(world: &MapWorld, env: &Env) -> crate::config::Config {
    let config_path = paths::config_path(env);
    match world.read(&config_path) {
        FileRead::Present { bytes, .. } => parse_config(&bytes, &config_path).config,
        _ => crate::config::Config::default(),
    }
}

/// A file given as its text, as `{"$text": ...}`, or as any JSON value
/// (written out as JSON).
fn file_text(content: &Value) -> Result<String, String> {
    Ok(match content {
        Value::String(s) => s.clone(),
        Value::Object(o) if o.len() == 1 && o.get("$text").is_some_and(Value::is_string) => {
            o["$text"].as_str().unwrap_or_default().to_string()
        }
        other => serde_json::to_string_pretty(other).map_err(|e| e.to_string())?,
    })
}

fn base_response(loaded: &Loaded, report: &report::StatusReport, check: report::CheckCode) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("report".into(), report.to_value());
    out.insert("check".into(), Value::from(check.code()));
    let store = match loaded.store_state {
        StoreState::Unreadable => Value::Null,
        _ => store_to_json(&loaded.store),
    };
    out.insert("store".into(), store);
    out.insert("storeWritten".into(), Value::from(loaded.write.is_some()));
    out.insert("filesRemoved".into(), Value::from(loaded.remove_after_write.clone()));
    out.insert("diagnostics".into(), serde_json::to_value(&loaded.diagnostics).unwrap_or_default());
    out.insert("changes".into(), Value::from(loaded.changes.iter().map(|c| c.to_string()).collect::<Vec<_>>()));
    let mut orders = Map::new();
    for provider in report.auth.oauth.providers.iter().map(|p| &p.provider) {
        let order = crate::order::resolve_order(&loaded.config.config, &loaded.store, provider, None, loaded.now);
        if !order.is_empty() {
            orders.insert(provider.clone(), Value::from(order));
        }
    }
    out.insert("order".into(), Value::Object(orders));
    out
}

/// A command's writes as the answer carries them: `{"path", "text"}` for
/// a file written (its whole new text: it may hold credentials),
/// `{"path", "removed": true}`, `{"path", "mode": 384}`.
fn writes(ran: &memory::Ran) -> Value {
    let each = ran.writes.iter().map(|w| match &w.change {
        memory::Change::Text(text) => json!({ "path": w.path, "text": text.expose() }),
        memory::Change::Removed => json!({ "path": w.path, "removed": true }),
        memory::Change::Mode(mode) => json!({ "path": w.path, "mode": mode }),
    });
    Value::Array(each.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600_000;
    const HOUR: i64 = 3_600_000;

    fn call(request: Value) -> Value {
        serde_json::from_str(&handle(&request.to_string())).expect("the envelope answers JSON")
    }

    fn status(files: Value) -> Value {
        call(json!({ "op": "view", "now": NOW, "files": files }))
    }

    fn oauth_store(expires: i64) -> Value {
        json!({ "version": 1, "profiles": { "anthropic:a": {
            "type": "oauth", "provider": "anthropic", "access": "a-FAKE", "refresh": "r-FAKE", "expires": expires } } })
    }

    /// Keychain items given with the request are the items a login
    /// source's rules name: Claude Code's, for the user in `env`.
    #[test]
    fn keychain_items_in_the_request_are_read_as_the_host_would() {
        let item = json!({"service": "Claude Code-credentials", "account": "tester", "secret":
            {"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE", "refreshToken": "sk-ant-ort01-FAKE", "expiresAt": NOW + HOUR}}});
        let out = call(json!({"now": NOW, "env": {"USER": "tester"}, "keychain": [item]}));
        let profiles = out["report"]["auth"]["oauth"]["profiles"].as_array().expect("profiles").clone();
        assert!(profiles.iter().any(|p| p["profileId"] == "anthropic:claude-cli"), "{out}");
        let other_user = call(json!({"now": NOW, "env": {"USER": "someone"}, "keychain": [item]}));
        assert_eq!(other_user["report"]["auth"]["oauth"]["profiles"], json!([]));
        assert_eq!(call(json!({"now": NOW, "keychain": {}}))["error"], "request.keychain must be an array of items");
        assert!(call(json!({"now": NOW, "keychain": [{"service": "s"}]}))["error"].as_str().is_some());
    }

    #[test]
    fn files_by_role_land_where_the_config_default_agent_reads_them() {
        let config = json!({ "agents": { "list": [{ "id": "ops", "default": true }] } });
        let r = status(json!({ "store": oauth_store(NOW + HOUR), "config": config }));
        assert_eq!(r["locations"]["store"], "~/.clawdbot/agents/ops/agent/auth-profiles.json");
        assert_eq!(r["view"]["locations"]["agentId"], "ops");
        assert_eq!(r["view"]["check"]["code"], 0, "the login is seen, and renews itself: {r}");
        assert_eq!(r["view"]["profiles"]["total"], 1);
        assert_eq!(r["view"]["files"][0]["state"], "read");
    }

    #[test]
    fn the_home_map_still_works_and_gives_the_same_view() {
        let by_path = call(json!({ "op": "view", "now": NOW, "home": {
            ".clawdbot/agents/main/agent/auth-profiles.json": oauth_store(NOW + HOUR) } }));
        let by_role = status(json!({ "store": oauth_store(NOW + HOUR) }));
        assert_eq!(by_path, by_role);
    }

    #[test]
    fn each_file_says_how_it_fared() {
        let legacy = json!({ "anthropic": { "type": "api_key", "key": "k-FAKE" } });
        let r = status(json!({ "legacyStore": legacy, "claude": "{not json" }));
        let state = |r: &Value, i: usize| r["view"]["files"][i]["state"].clone();
        assert_eq!(state(&r, 4), "read", "no store yet: the legacy file is migrated");
        assert_eq!(state(&r, 1), "unreadable");
        let r = status(json!({ "legacyStore": legacy, "store": { "version": 1, "profiles": {} } }));
        assert_eq!(state(&r, 4), "notUsed", "with a store the legacy file is never read");
    }

    #[test]
    fn an_unknown_role_is_an_error_not_a_guess() {
        let r = status(json!({ "auth.json": "{}" }));
        assert!(r["error"].as_str().is_some_and(|e| e.contains("unknown file role")), "{r}");
        assert!(status(json!([])).get("error").is_some());
    }

    #[test]
    fn a_stored_order_under_an_alias_is_the_providers_order() {
        let key = json!({ "type": "api_key", "provider": "zai", "key": "k-FAKE" });
        let store = json!({ "version": 1, "profiles": { "zai:a": key, "zai:b": key }, "order": { "z.ai": ["zai:b", "zai:a"] } });
        let r = status(json!({ "store": store }));
        let order = &r["view"]["orders"][0];
        assert_eq!(order["provider"]["id"], "zai");
        assert_eq!(order["stored"]["rows"], json!(["zai:b", "zai:a"]));
        assert_eq!(order["editable"]["rows"][0]["profile"]["id"], "zai:b");
        assert_eq!(order["note"], "Order set in auth-profiles.json.");
    }

    #[test]
    fn an_expiring_login_that_refreshes_itself_needs_no_human() {
        let r = status(json!({ "store": oauth_store(NOW + HOUR) }));
        let doctor = &r["view"]["doctor"];
        assert_eq!(doctor["needsHuman"], json!({ "total": 0, "rows": [] }));
        assert_eq!(doctor["refreshesItself"]["rows"][0]["profile"]["id"], "anthropic:a");
        assert!(doctor["refreshesItself"]["rows"][0].get("hint").is_none(), "no remedy next to a self-renewing login");
        assert_eq!(doctor["nothingNeeded"], true);
        // An access token that has expired is refreshed by the next request
        // too: the login is ok, and the row says what is due in words.
        let r = status(json!({ "store": oauth_store(NOW - HOUR) }));
        let row = &r["view"]["doctor"]["refreshesItself"]["rows"][0];
        assert_eq!(row["badge"]["word"], "ok", "{row}");
        assert_eq!(row["remaining"], "access token expired 1h ago", "{row}");
        assert_eq!(r["view"]["doctor"]["nothingNeeded"], true);
        // Without a refresh token nothing renews it: a human must log in.
        let mut store = oauth_store(NOW - HOUR);
        store["profiles"]["anthropic:a"].as_object_mut().map(|p| p.remove("refresh"));
        let r = status(json!({ "store": store }));
        assert_eq!(r["view"]["doctor"]["needsHuman"]["rows"][0]["badge"]["word"], "expired");
        assert!(r["view"]["doctor"]["needsHuman"]["rows"][0]["hint"].is_string());
        assert_eq!(r["view"]["doctor"]["nothingNeeded"], false);
    }

    #[test]
    fn an_unreadable_store_leads_with_its_diagnostic_and_needs_a_human() {
        let r = status(json!({ "store": "{\"version\": 1, \"profiles\": {", "claude": {"claudeAiOauth": {
            "accessToken": "a-FAKE", "expiresAt": NOW + 30 * 24 * HOUR } } }));
        let view = &r["view"];
        assert_eq!(view["storeUnreadable"], true);
        assert_eq!(view["files"][0]["state"], "unreadable");
        assert_eq!(view["files"][1]["state"], "read");
        assert_eq!(view["diagnostics"][0]["severity"], "error");
        let hints = view["diagnostics"][0]["hints"].as_array().expect("the remedy travels with the problem");
        assert!(hints[0].as_str().is_some_and(|h| h.contains("never writes over it")), "{hints:?}");
        assert_eq!(view["check"]["code"], 1);
        assert_eq!(view["doctor"]["nothingNeeded"], false);
        assert!(view["doctor"]["problems"][0].as_str().is_some_and(|p| p.contains("auth-profiles.json")));
    }

    #[test]
    fn texts_from_files_are_escaped_as_the_cli_escapes_them_and_ids_kept_raw() {
        let id = "openai:\u{202e}evil\u{1b}[2J";
        let store =
            json!({ "version": 1, "profiles": { id: { "type": "token", "provider": "openai", "token": "t-FAKE" } } });
        let r = status(json!({ "store": store }));
        let row = &r["view"]["profiles"]["rows"][0];
        assert_eq!(row["profile"]["id"], id);
        assert_eq!(row["profile"]["shown"], "openai:\\u{202e}evil\\u{1b}[2J");
        assert_eq!(row["label"], row["profile"]["shown"]);
        assert_only_ids_are_raw(&r["view"], "view");
        assert_eq!(r["view"]["orders"][0]["editable"]["rows"][0]["profile"]["shown"], row["profile"]["shown"]);
    }

    /// Every string of the view is escaped, except the raw ids a page sends back.
    fn assert_only_ids_are_raw(value: &Value, at: &str) {
        match value {
            Value::String(s) => assert!(!s.chars().any(crate::escape::needs_escape), "{at} is shown raw: {s:?}"),
            Value::Array(items) => items.iter().for_each(|v| assert_only_ids_are_raw(v, at)),
            Value::Object(fields) => {
                for (k, v) in fields {
                    if !matches!(k.as_str(), "id" | "stored" | "effective" | "text") {
                        assert_only_ids_are_raw(v, &format!("{at}.{k}"));
                    }
                }
            }
            _ => {}
        }
    }

    #[test]
    fn providers_come_in_the_cores_collation_with_the_cli_words() {
        let key = |p: &str| json!({ "type": "api_key", "provider": p, "key": "k-FAKE" });
        let store = json!({ "version": 1, "profiles": { "Zeta:1": key("Zeta"), "beta:1": key("beta"), "anthropic:1": key("anthropic") } });
        let config = json!({ "agents": { "defaults": { "model": { "primary": "openai/gpt-5" } } } });
        let r = status(json!({ "store": store, "config": config }));
        let names: Vec<&str> = r["view"]["providers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["provider"]["id"].as_str())
            .collect();
        // Providers are compared (and named) normalised, as everywhere in
        // the CLI: `Zeta` is `zeta`.
        assert_eq!(names, ["anthropic", "beta", "openai", "zeta"]);
        let openai = &r["view"]["providers"][2];
        assert_eq!(openai["inUseWithoutCredentials"], true);
        assert_eq!(openai["badge"]["word"], "unknown", "missing reads as the CLI's \"unknown\"");
        assert_eq!(r["view"]["check"]["text"], view::check_meaning(report::CheckCode::Action));
    }

    #[test]
    fn the_view_carries_the_defaults_in_effect() {
        let r = status(json!({}));
        assert_eq!(r["view"]["warnAfterMs"], crate::defaults::WARN_AFTER_MS);
        assert_eq!(r["view"]["defaults"]["warnWithin"], crate::defaults::WARN_WITHIN);
        assert_eq!(r["view"]["defaults"]["refreshMarginMs"], crate::defaults::REFRESH_MARGIN_MS);
        assert_eq!(r["view"]["files"][0]["state"], "notGiven");
        let r = call(json!({ "op": "view", "now": NOW, "warnAfterMs": HOUR, "files": {} }));
        assert_eq!(r["view"]["warnAfterMs"], HOUR);
        assert!(r["view"]["text"].as_str().is_some_and(|t| t.contains("OAuth/token status")));
        let r = call(json!({ "op": "view", "now": NOW, "text": false }));
        assert!(r["view"].get("text").is_none(), "a page with its text panel closed gets none");
    }

    #[test]
    fn identify_tells_codex_from_the_legacy_auth_json() {
        let r = call(
            json!({ "op": "identify", "name": "auth.json", "text": "{\"anthropic\":{\"type\":\"api_key\",\"key\":\"k\"}}" }),
        );
        assert_eq!(r["role"], "legacyStore");
        let r = call(json!({ "op": "identify", "name": "auth.json", "text": "{\"tokens\":{}}" }));
        assert_eq!(r["role"], "codex");
    }

    #[test]
    fn the_view_op_answers_only_the_view_and_pages_long_lists() {
        let key = json!({ "type": "api_key", "provider": "openai", "key": "k-FAKE" });
        let profiles: Map<String, Value> = (0..5).map(|i| (format!("openai:{i}"), key.clone())).collect();
        let r = call(
            json!({ "op": "view", "now": NOW, "rows": 2, "files": { "store": { "version": 1, "profiles": profiles } } }),
        );
        let keys: Vec<&String> = r.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        assert_eq!(keys, ["locations", "view"], "no report and no store (no secrets) in the page's answer");
        assert_eq!(r["view"]["profiles"]["total"], 5);
        assert_eq!(r["view"]["profiles"]["rows"].as_array().map(Vec::len), Some(2));
        assert_eq!(r["view"]["orders"][0]["editable"]["rows"].as_array().map(Vec::len), Some(2));
        assert!(call(json!({ "op": "view", "now": NOW, "rows": -1 }))["error"].is_string());
        let status =
            call(json!({ "op": "status", "now": NOW, "files": { "store": { "version": 1, "profiles": {} } } }));
        assert!(status.get("view").is_none() && status["report"].is_object(), "status answers what it did, no view");
        assert_eq!(status["locations"]["store"], "~/.clawdbot/agents/main/agent/auth-profiles.json");
    }

    #[test]
    fn the_profile_table_is_paged_from_where_the_page_asks() {
        let key = json!({ "type": "api_key", "provider": "openai", "key": "k-FAKE" });
        let profiles: Map<String, Value> = (0..5).map(|i| (format!("openai:{i}"), key.clone())).collect();
        let page = |from: Value| {
            let r = call(json!({ "op": "view", "now": NOW, "rows": 2, "from": from, "text": false,
                "files": { "store": { "version": 1, "profiles": profiles } } }));
            let ids: Vec<Value> = r["view"]["profiles"]["rows"]
                .as_array()
                .map(|rows| rows.iter().map(|row| row["profile"]["id"].clone()).collect())
                .unwrap_or_default();
            (r["view"]["profiles"]["from"].clone(), ids, r)
        };
        let (from, ids, first) = page(Value::Null);
        assert_eq!((from, ids), (Value::Null, vec![json!("openai:0"), json!("openai:1")]), "no `from` at the start");
        let (from, ids, r) = page(json!(2));
        assert_eq!((from, ids), (json!(2), vec![json!("openai:2"), json!("openai:3")]));
        assert_eq!(r["view"]["profiles"]["total"], 5);
        assert_eq!(r["view"]["cooldowns"], first["view"]["cooldowns"], "only the profile table is paged");
        assert_eq!(r["view"]["orders"], first["view"]["orders"]);
        // Past the end (the list shrank): its last page.
        let (from, ids, _) = page(json!(9));
        assert_eq!((from, ids), (json!(4), vec![json!("openai:4")]));
        assert_eq!(page(json!(-1)).2["error"], "request.from must be a whole number of rows");
    }

    #[test]
    fn a_paged_view_cuts_a_finding_too_long_to_lay_out_and_doctor_json_keeps_it_whole() {
        // 400 plain-text keys: doctor's one finding names every one of them.
        let key = |i: usize| json!({ "type": "api_key", "provider": "openai", "key": format!("sk-FAKE-{i:04}") });
        let profiles: Map<String, Value> = (0..400).map(|i| (format!("openai:k{i:04}"), key(i))).collect();
        let files = json!({ "store": { "version": 1, "profiles": profiles } });
        let whole = call(json!({ "op": "doctorPreview", "now": NOW, "files": files }));
        let plain = |findings: &Value| {
            findings.as_array().and_then(|f| f.iter().find(|f| f["checkId"] == "auth/plain-key")).cloned()
        };
        let message = plain(&whole["doctor"]["findings"]).map(|f| f["message"].clone()).unwrap_or_default();
        assert!(message.as_str().is_some_and(|m| m.len() > 10_000 && m.contains("openai:k0399")), "{message}");
        let paged = call(json!({ "op": "view", "now": NOW, "rows": 200, "files": files }));
        let row = plain(&paged["view"]["doctor"]["findings"]["rows"]).unwrap_or_default();
        for field in ["message", "fixHint"] {
            let text = row[field].as_str().unwrap_or_default();
            assert!(text.len() < 2_200, "{field} cut: {} bytes", text.len());
            assert!(text.ends_with("more bytes: `clawdbot doctor` prints it whole)"), "{text}");
        }
        assert!(row["message"].as_str().is_some_and(|m| m.starts_with("400 plain-text keys at rest: openai:k0000")));
        let all = call(json!({ "op": "view", "now": NOW, "files": files }));
        assert_eq!(plain(&all["view"]["doctor"]["findings"]["rows"]).map(|f| f["message"].clone()), Some(message));
    }

    /// The view is made from the load and report doctor made when doctor
    /// wrote nothing ([`view_of`]): it must be the view a load of its own
    /// gives, for every vector's files (and a paged, filtered one).
    #[test]
    fn a_view_from_doctors_load_is_the_view_from_a_load_of_its_own() {
        let vectors = [
            include_str!("../../../../tests/vectors/01-empty-home.json"),
            include_str!("../../../../tests/vectors/02-claude-code-valid-30d.json"),
            include_str!("../../../../tests/vectors/03-claude-code-expiring-3h.json"),
            include_str!("../../../../tests/vectors/04-claude-code-expired.json"),
            include_str!("../../../../tests/vectors/05-claude-code-token-only.json"),
            include_str!("../../../../tests/vectors/06-claude-code-no-access-token.json"),
            include_str!("../../../../tests/vectors/07-api-key-only.json"),
            include_str!("../../../../tests/vectors/08-mixed-providers.json"),
            include_str!("../../../../tests/vectors/09-token-without-expiry.json"),
            include_str!("../../../../tests/vectors/10-oauth-missing-expires.json"),
            include_str!("../../../../tests/vectors/11-sync-no-downgrade.json"),
            include_str!("../../../../tests/vectors/12-sync-replace-older.json"),
            include_str!("../../../../tests/vectors/13-legacy-auth-json.json"),
            include_str!("../../../../tests/vectors/14-cooldown-order.json"),
            include_str!("../../../../tests/vectors/15-order-round-robin.json"),
            include_str!("../../../../tests/vectors/16-explicit-order-store-beats-config.json"),
            include_str!("../../../../tests/vectors/17-env-api-key.json"),
            include_str!("../../../../tests/vectors/18-model-in-use-missing.json"),
            include_str!("../../../../tests/vectors/19-codex-cli-jwt-expiry.json"),
            include_str!("../../../../tests/vectors/20-malformed-store-untouched.json"),
            include_str!("../../../../tests/vectors/21-claude-code-expiring-3h-strict.json"),
            include_str!("../../../../tests/vectors/22-dead-login-refresh-rejected.json"),
            include_str!("../../../../tests/vectors/23-dead-login-cleared-by-new-token.json"),
            include_str!("../../../../tests/vectors/24-dotenv-key-in-state-dir.json"),
            include_str!("../../../../tests/vectors/25-dotenv-never-overrides.json"),
            include_str!("../../../../tests/vectors/26-expired-spare-profile.json"),
            include_str!("../../../../tests/vectors/27-expired-spare-profile-strict.json"),
            include_str!("../../../../tests/vectors/28-corrupt-store-diagnostics.json"),
            include_str!("../../../../tests/vectors/29-claude-code-oauth-token-variable.json"),
            include_str!("../../../../tests/vectors/30-claude-code-secure-storage-folder.json"),
            include_str!("../../../../tests/vectors/31-claude-code-secure-storage-folder-empty.json"),
            include_str!("../../../../tests/vectors/32-claude-code-dead-login-stub.json"),
            include_str!("../../../../tests/vectors/33-claude-code-dead-login-stub-nothing-stored.json"),
            include_str!("../../../../tests/vectors/34-claude-code-sign-in-ends-in-2-days.json"),
            include_str!("../../../../tests/vectors/35-claude-code-sign-in-ends-in-10-days.json"),
            include_str!("../../../../tests/vectors/36-claude-code-sign-in-end-passed.json"),
            include_str!("../../../../tests/vectors/37-claude-code-read-only-expired.json"),
            include_str!("../../../../tests/vectors/38-claude-code-read-only-valid.json"),
            include_str!("../../../../tests/vectors/40-claude-code-keychain-overflow.json"),
            include_str!("../../../../tests/vectors/41-claude-code-keychain-overflow-bad-tag.json"),
            include_str!("../../../../tests/vectors/42-codex-cli-keyring-store.json"),
            include_str!("../../../../tests/vectors/43-codex-cli-auto-store-falls-back-on-file.json"),
            include_str!("../../../../tests/vectors/50-secretref-env-ok.json"),
            include_str!("../../../../tests/vectors/51-secretref-env-missing-fails-closed.json"),
            include_str!("../../../../tests/vectors/52-secretref-exec-not-checked.json"),
            include_str!("../../../../tests/vectors/53-secretref-store-rewrite-lossless.json"),
            include_str!("../../../../tests/vectors/60-agent-inherits-main-login.json"),
            include_str!("../../../../tests/vectors/61-config-entry-of-another-agent.json"),
            include_str!("../../../../tests/vectors/62-config-entry-restricts-the-agent-holding-it.json"),
            include_str!("../../../../tests/vectors/63-unknown-agent-refused.json"),
        ];
        let mut reused = 0;
        for text in vectors {
            let vector: Value = serde_json::from_str(text).expect("a vector");
            let mut req = json!({ "op": "view", "now": vector["now"], "rows": 2, "from": 1, "only": "all" });
            for key in ["env", "home", "agent", "keychain", "strict", "warnAfterMs"] {
                if let Some(value) = vector.get(key) {
                    req[key] = value.clone();
                }
            }
            let name = vector["name"].clone();
            let Ok(answer) = respond(&req) else { continue }; // an unknown agent, refused alike
            let env = Env::new("~");
            let mut env = env;
            if let Some(Value::Object(vars)) = req.get("env") {
                for (k, v) in vars {
                    if let Some(v) = v.as_str() {
                        std::sync::Arc::make_mut(&mut env.vars).insert(k.clone(), v.to_string());
                    }
                }
            }
            let agent = req.get("agent").and_then(Value::as_str);
            let world = world_of(&req, &env, agent).expect("the vector's files");
            let now = req["now"].as_f64().expect("now") as i64;
            let options = ReportOptions {
                warn_after_ms: req.get("warnAfterMs").and_then(Value::as_i64).unwrap_or(crate::defaults::WARN_AFTER_MS),
                strict: req.get("strict").and_then(Value::as_bool).unwrap_or(false),
                ..ReportOptions::default()
            };
            let asked = view_options(&req, options).expect("options");
            let loaded = load(&world, &env, now, agent);
            let own = view_document(&world, &loaded, &env, agent, &asked).expect("a view");
            assert_eq!(answer, own, "{name}");
            let ran = doctor::run(&world, &env, agent, now).expect("doctor runs");
            reused += usize::from(ran.ran.writes.is_empty());
        }
        assert!(reused >= 20, "most vectors' views come from doctor's load: {reused}");
    }

    #[test]
    fn move_in_order_with_a_view_answers_the_store_written_and_its_view_in_one_call() {
        let key = json!({ "type": "api_key", "provider": "zai", "key": "k-FAKE" });
        let store = json!({ "version": 1, "profiles": { "zai:a": key, "zai:b": key }, "order": { "z.ai": ["zai:b", "zai:a"] } });
        let files = json!({ "store": store });
        let asked = json!({ "rows": 200, "text": false });
        let r = call(json!({ "op": "moveInOrder", "now": NOW, "files": files, "provider": "zai", "profileId": "zai:a",
            "by": -1, "view": asked }));
        let keys: Vec<&String> = r.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        assert_eq!(keys, ["locations", "view", "storeText"], "{r}");
        let written = r["storeText"].as_str().unwrap_or_default().to_string();
        let plain = call(
            json!({ "op": "moveInOrder", "now": NOW, "files": files, "provider": "zai", "profileId": "zai:a", "by": -1 }),
        );
        assert_eq!(plain["storeText"], Value::from(written.clone()), "the same store written");
        let mut again = asked.clone();
        again["op"] = "view".into();
        again["now"] = NOW.into();
        again["files"] = json!({ "store": written });
        assert_eq!(r["view"], call(again)["view"], "the view of the store written, as a view call makes it");
        assert_eq!(r["view"]["orders"][0]["editable"]["rows"][0]["profile"]["id"], "zai:a");
        let bad =
            call(json!({ "op": "moveInOrder", "now": NOW, "files": files, "provider": "zai", "profileId": "zai:a",
            "by": -1, "view": { "only": "bogus" } }));
        assert!(bad["error"].is_string(), "{bad}");
    }

    #[test]
    fn move_in_order_moves_within_the_list_the_editor_shows() {
        let key = json!({ "type": "api_key", "provider": "zai", "key": "k-FAKE" });
        let store = json!({ "version": 1, "profiles": { "zai:a": key, "zai:b": key }, "order": { "z.ai": ["zai:b", "zai:a"] } });
        let request = |id: &str, by: i64| json!({ "op": "moveInOrder", "now": NOW, "files": { "store": store }, "provider": "zai", "profileId": id, "by": by });
        let r = call(request("zai:a", -1));
        assert_eq!(r["store"]["order"], json!({ "zai": ["zai:a", "zai:b"] }), "the alias key is replaced: {r}");
        assert!(r["storeText"].as_str().is_some_and(|t| t.contains("\"zai:a\"")));
        assert!(call(request("zai:b", -1))["error"].is_string(), "the first cannot move up");
        assert!(call(request("zai:nope", 1))["error"].is_string());
    }

    // Each test below pins a rule that a mutant once changed unnoticed
    // (issue 15).

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let r: Value = serde_json::from_str(&handle("{nope")).unwrap();
        assert!(r["error"].as_str().is_some_and(|e| e.starts_with("request is not JSON: ")), "{r}");
        assert_eq!(call(json!({ "op": "status" }))["error"], "request.now must be a number (ms)");
        assert_eq!(call(json!({ "op": "bogus\u{1b}", "now": NOW }))["error"], "unknown op \"bogus\\u{1b}\"");
        assert_eq!(call(json!({ "op": "identify" }))["error"], "identify needs \"name\"");
        assert_eq!(call(json!({ "now": NOW, "home": [] }))["error"], "request.home must be an object");
        assert_eq!(
            call(json!({ "now": NOW, "files": "x" }))["error"],
            "request.files must be an object of file contents by role"
        );
        assert_eq!(
            call(json!({ "op": "view", "now": NOW, "rows": "2" }))["error"],
            "request.rows must be a whole number of rows"
        );
        assert!(call(json!({ "op": "view", "now": NOW, "only": "bogus" }))["error"].is_string());
        assert_eq!(call(json!({ "op": "view", "now": NOW, "only": "expired" }))["view"]["only"], "expired");
    }

    #[test]
    fn status_is_the_default_op_and_answers_the_whole_load() {
        let legacy = json!({ "anthropic": { "type": "api_key", "key": "sk-FAKE-legacy-0123456789" } });
        let r = call(json!({ "now": NOW, "files": { "legacyStore": legacy } }));
        assert_eq!(r["check"], 0, "{r}");
        assert_eq!(r["report"]["auth"]["providers"][0]["provider"], "anthropic");
        assert_eq!(r["store"]["profiles"]["anthropic:default"]["type"], "api_key");
        assert_eq!(r["storeWritten"], true);
        assert_eq!(r["filesRemoved"], json!(["~/.clawdbot/agents/main/agent/auth.json"]));
        assert_eq!(r["changes"].as_array().map(Vec::len), Some(1));
        assert_eq!(r["order"], json!({ "anthropic": ["anthropic:default"] }), "only providers with an order");
        assert_eq!(r["diagnostics"], json!([]));
        assert_eq!(r["locations"]["agentId"], "main");
        for absent in ["text", "doctor", "listing", "view"] {
            assert!(r.get(absent).is_none(), "{absent}");
        }
        let fine = call(json!({ "now": NOW, "files": { "store": oauth_store(NOW + HOUR) } }));
        assert_eq!(fine["storeWritten"], false);
        assert_eq!(fine["filesRemoved"], json!([]));
    }

    #[test]
    fn an_unreadable_store_is_answered_as_null_and_its_order_cannot_be_set() {
        let r = call(json!({ "op": "status", "now": NOW, "files": { "store": "{ broken" } }));
        assert_eq!(r["store"], Value::Null);
        assert_eq!(r["check"], 1);
        assert_eq!(r["diagnostics"][0]["severity"], "error");
        let r = call(
            json!({ "op": "setOrder", "now": NOW, "files": { "store": "{ broken" }, "provider": "a", "order": [] }),
        );
        // `models auth order set`'s own refusal, as the CLI prints it after `error: `.
        assert_eq!(
            r["error"],
            "refusing to modify an unreadable store: ~/.clawdbot/agents/main/agent/auth-profiles.json: \
             not valid JSON at line 1, column 3: key must be a string; the file was left as it is"
        );
    }

    #[test]
    fn each_op_adds_its_own_answer() {
        let files = json!({ "store": oauth_store(NOW + HOUR) });
        let text = call(json!({ "op": "renderText", "now": NOW, "files": files }));
        assert!(
            text["text"].as_str().is_some_and(|t| t.starts_with("Config        : ~/.clawdbot/clawdbot.json\n")),
            "{text}"
        );
        assert!(text["report"].is_object());
        let doctor = call(json!({ "op": "doctorPreview", "now": NOW, "files": files }));
        assert_eq!(doctor["doctor"]["issues"][0]["profileId"], "anthropic:a");
        let listing = call(json!({ "op": "listProfiles", "now": NOW, "files": files, "provider": "openai" }));
        assert_eq!(listing["listing"]["profiles"], json!([]), "only the provider asked for: {listing}");
        assert!(listing["locations"].is_object());
    }

    #[test]
    fn the_window_strictness_and_environment_are_the_request_s() {
        let files = json!({ "store": oauth_store(NOW + 2 * HOUR) });
        let warn = |r: &Value| r["report"]["auth"]["oauth"]["warnAfterMs"].clone();
        assert_eq!(warn(&call(json!({ "now": NOW, "files": files, "warnAfterMs": 0 }))), 0);
        assert_eq!(warn(&call(json!({ "now": NOW, "files": files, "warnAfterMs": HOUR }))), HOUR);
        let default = crate::defaults::WARN_AFTER_MS;
        assert_eq!(warn(&call(json!({ "now": NOW, "files": files, "warnAfterMs": -1 }))), default);
        assert_eq!(warn(&call(json!({ "now": NOW, "files": files }))), default);
        let strict = call(json!({ "now": NOW, "files": files, "strict": true }));
        assert_eq!(strict["report"]["auth"]["check"]["rule"], "strict");
        assert_eq!(strict["check"], 2, "strict: the access token's expiry counts");
        let lax = call(json!({ "now": NOW, "files": files }));
        assert_eq!(lax["report"]["auth"]["check"]["rule"], "in-use");
        assert_eq!(lax["check"], 0);
        let env = call(json!({ "now": NOW, "env": { "OPENAI_API_KEY": "sk-FAKE-env-0123456789", "GROQ_API_KEY": 3 } }));
        let providers: Vec<&str> = env["report"]["auth"]["providers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["provider"].as_str())
            .collect();
        assert_eq!(providers, ["openai"], "a variable that is not text is not set");
    }

    #[test]
    fn a_file_is_text_a_text_object_or_json() {
        assert_eq!(file_text(&json!("raw")), Ok("raw".to_string()));
        assert_eq!(file_text(&json!({ "$text": "{ raw" })), Ok("{ raw".to_string()));
        assert_eq!(file_text(&json!({ "$text": 1 })), Ok("{\n  \"$text\": 1\n}".to_string()));
        assert_eq!(
            file_text(&json!({ "$text": "a", "b": 1 })),
            Ok("{\n  \"$text\": \"a\",\n  \"b\": 1\n}".to_string())
        );
        assert_eq!(file_text(&json!({})), Ok("{}".to_string()));
        assert_eq!(file_text(&json!([1])), Ok("[\n  1\n]".to_string()));
    }

    #[test]
    fn set_order_stores_the_order_and_needs_a_list() {
        let key = json!({ "type": "api_key", "provider": "zai", "key": "k-FAKE" });
        let store = json!({ "version": 1, "profiles": { "zai:a": key, "zai:b": key } });
        let r = call(
            json!({ "op": "setOrder", "now": NOW, "files": { "store": store }, "provider": "zai", "order": ["zai:b", 3, "zai:a"] }),
        );
        assert_eq!(r["store"]["order"], json!({ "zai": ["zai:b", "zai:a"] }), "{r}");
        assert!(r["storeText"].as_str().is_some_and(|t| t.contains("\"order\"")));
        let r = call(
            json!({ "op": "setOrder", "now": NOW, "files": { "store": store }, "provider": "zai", "order": "zai:b" }),
        );
        assert_eq!(r["error"], "setOrder needs \"order\": a list of profile ids");
        let r = call(json!({ "op": "setOrder", "now": NOW, "files": { "store": store }, "order": [] }));
        assert_eq!(r["error"], "setOrder needs \"provider\"");
    }

    /// A login whose config entry names another profile id: the repair
    /// only `doctor` itself makes (the preview of old never saw it).
    fn mismatched_profile_id() -> Value {
        let login = json!({ "type": "oauth", "provider": "anthropic", "access": "a-FAKE", "refresh": "r-FAKE", "expires": NOW + 48 * HOUR });
        let config =
            json!({ "auth": { "profiles": { "anthropic:default": { "provider": "anthropic", "mode": "oauth" } } } });
        json!({ "store": { "version": 1, "profiles": { "anthropic:me@example.com": login } }, "config": config })
    }

    #[test]
    fn doctor_preview_is_doctor_run_without_prompts() {
        let r = call(json!({ "op": "doctorPreview", "now": NOW, "files": mismatched_profile_id() }));
        let doctor = &r["doctor"];
        assert_eq!(doctor["ok"], false, "{r}");
        assert_eq!(doctor["exit"], 1);
        let found =
            doctor["findings"].as_array().and_then(|f| f.iter().find(|f| f["checkId"] == "auth/profile-id-mismatch"));
        assert_eq!(found.map(|f| f["fixHint"].clone()), Some(json!("clawdbot doctor --fix")), "{r}");
        assert_eq!(doctor["issues"], json!([]), "the login itself is fine");
        assert_eq!(r["writes"], json!([]), "non-interactive: the config is left as it is");
        let fine =
            call(json!({ "op": "doctorPreview", "now": NOW, "files": { "store": oauth_store(NOW + 48 * HOUR) } }));
        assert_eq!((fine["doctor"]["ok"].clone(), fine["doctor"]["exit"].clone()), (json!(true), json!(0)), "{fine}");
    }

    #[test]
    fn doctor_answers_the_migration_it_saves_as_writes() {
        let legacy = json!({ "anthropic": { "type": "api_key", "key": "sk-FAKE-legacy-0123456789" } });
        let r = call(json!({ "op": "doctorPreview", "now": NOW, "files": { "legacyStore": legacy } }));
        let writes = r["writes"].as_array().cloned().unwrap_or_default();
        assert_eq!(writes.len(), 2, "{r}");
        assert_eq!(writes[0]["path"], "~/.clawdbot/agents/main/agent/auth-profiles.json");
        let text = writes[0]["text"].as_str().unwrap_or_default();
        assert!(text.contains("\"anthropic:default\"") && text.contains("sk-FAKE-legacy-0123456789"), "{text}");
        assert_eq!(writes[1], json!({ "path": "~/.clawdbot/agents/main/agent/auth.json", "removed": true }));
        let view = call(json!({ "op": "view", "now": NOW, "files": { "legacyStore": legacy } }));
        assert_eq!(
            view["view"]["doctor"]["writes"],
            json!(["~/.clawdbot/agents/main/agent/auth-profiles.json", "~/.clawdbot/agents/main/agent/auth.json"])
        );
        assert!(!view.to_string().contains("sk-FAKE-legacy-0123456789"), "the view holds no secret");
    }

    #[test]
    fn the_views_doctor_panel_is_doctors_verdict() {
        let r = status(mismatched_profile_id());
        let doctor = &r["view"]["doctor"];
        assert_eq!(doctor["nothingNeeded"], false, "doctor exits 1: {r}");
        assert_eq!(doctor["findings"]["total"], 1);
        let row = &doctor["findings"]["rows"][0];
        assert_eq!(row["checkId"], "auth/profile-id-mismatch");
        assert_eq!(row["severity"], "error");
        assert_eq!(row["path"], "~/.clawdbot/clawdbot.json");
        // A provider in use without credentials makes doctor exit 1 too.
        let config = json!({ "agents": { "defaults": { "model": { "primary": "openai/gpt-5" } } } });
        let r = status(json!({ "store": oauth_store(NOW + 48 * HOUR), "config": config }));
        assert_eq!(r["view"]["doctor"]["nothingNeeded"], false, "{r}");
        assert_eq!(r["view"]["doctor"]["findings"]["rows"][0]["checkId"], "auth/missing-provider");
        let r = status(json!({ "store": oauth_store(NOW + 48 * HOUR) }));
        assert_eq!(r["view"]["doctor"]["nothingNeeded"], true);
        assert_eq!(r["view"]["doctor"]["findings"], json!({ "total": 0, "rows": [] }));
    }

    #[test]
    fn set_order_answers_the_store_order_set_wrote() {
        let key = json!({ "type": "api_key", "provider": "zai", "key": "k-FAKE" });
        let store = json!({ "version": 1, "profiles": { "zai:a": key, "zai:b": key } });
        let r = call(
            json!({ "op": "setOrder", "now": NOW, "files": { "store": store }, "provider": "z.ai", "order": ["zai:b", "zai:a"] }),
        );
        let writes = r["writes"].as_array().cloned().unwrap_or_default();
        assert_eq!(writes.len(), 1, "{r}");
        assert_eq!(writes[0]["path"], "~/.clawdbot/agents/main/agent/auth-profiles.json");
        assert_eq!(writes[0]["text"], r["storeText"], "the file to download is the one written");
        let again = call(
            json!({ "op": "setOrder", "now": NOW, "files": { "store": r["storeText"] }, "provider": "zai", "order": ["zai:b", "zai:a"] }),
        );
        assert_eq!(again["writes"], json!([]), "the same order again changes nothing: {again}");
        assert_eq!(again["storeText"], r["storeText"]);
        let unknown = call(
            json!({ "op": "setOrder", "now": NOW, "files": { "store": store }, "provider": "zai", "order": ["zai:nope"] }),
        );
        assert!(
            unknown["error"].as_str().is_some_and(|e| e.contains("zai:nope") && !e.starts_with("error:")),
            "{unknown}"
        );
    }

    #[test]
    fn only_the_config_role_decides_the_agent() {
        let ops = json!({ "agents": { "list": [{ "id": "ops", "default": true }] } });
        let r = call(json!({ "now": NOW, "files": { "store": oauth_store(NOW + HOUR), "config": ops } }));
        assert_eq!(r["locations"]["agentId"], "ops");
        assert_eq!(r["locations"]["config"], "~/.clawdbot/clawdbot.json");
        let r = call(json!({ "now": NOW, "files": { "claude": ops, "store": oauth_store(NOW + HOUR) } }));
        assert_eq!(r["locations"]["agentId"], "main", "a file in another role is not read as the config");
        let r = call(
            json!({ "now": NOW, "home": { ".clawdbot/clawdbot.json": ops }, "files": { "store": oauth_store(NOW + HOUR) } }),
        );
        assert_eq!(r["locations"]["agentId"], "ops", "a config given by path decides too");
        assert_eq!(r["report"]["auth"]["storePath"], "~/.clawdbot/agents/ops/agent/auth-profiles.json");
    }
}

#[cfg(test)]
mod listing_tests {
    use super::*;

    #[test]
    fn list_profiles_is_the_cli_listing() {
        let request = json!({"op": "listProfiles", "now": 1_767_225_600_000_i64, "home": {
            ".clawdbot/agents/main/agent/auth-profiles.json": {"version": 1, "profiles": {
                "anthropic:k": {"type": "api_key", "provider": "anthropic", "key": "sk-FAKE-0123456789-MIDDLE-abcdefgh"}},
                "usageStats": {"anthropic:k": {"cooldownUntil": 1_767_225_660_000_i64, "failureCounts": {"rate_limit": 1}}}}}});
        let response: Value = serde_json::from_str(&handle(&request.to_string())).unwrap();
        let entry = &response["listing"]["profiles"][0];
        assert_eq!(entry["status"], "cooldown");
        assert_eq!(entry["cooldownReason"], "rate_limit");
        assert_eq!(entry["cooldownUntil"], "2026-01-01T00:01:00Z");
        assert!(entry["recoveryHint"].as_str().unwrap().contains("cooldown clear anthropic:k"));
        assert!(!response["listing"].to_string().contains("MIDDLE"), "the listing holds no secret");
    }
}
