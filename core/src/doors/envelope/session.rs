//! The admin panel's session: one set of files, opened once, then many
//! calls over what the core made of them.
//!
//! Each envelope request is whole: it carries the files, and the core
//! parses them, loads, reports and runs doctor before it answers. For a
//! 60 000-profile store that is a second or more a call, and the panel
//! calls once per file pick, per page of its profile table and per order
//! move. A [`Session`] is opened with the `view` request the page makes
//! when a file is picked and keeps, between calls, the files and the
//! [`Model`] of their view (the load, its report, doctor's run): a page is
//! cut from the model (no parse, no report); a move runs `models auth
//! order set` over the kept files, as the `moveInOrder` op does, and the
//! files it left and their model replace the kept ones. Every answer is
//! what the one-request envelope answers for the same files (the tests
//! below hold the two side by side).

use super::{Ground, Model, answer, ground_of, now_of, order, parse, view_options};
use serde_json::Value;

/// The files a page opened and the model of their view.
pub struct Session {
    /// What the opening request made, or why it made nothing: then every
    /// call answers that error.
    open: Result<Open, String>,
}

struct Open {
    ground: Ground,
    model: Model,
}

impl Open {
    /// The files of `req`, a `view` request, and the model of their view.
    fn of(req: &Value) -> Result<Open, String> {
        let ground = ground_of(req)?;
        let model = model_at(&ground)?;
        Ok(Open { ground, model })
    }
}

impl Session {
    /// Opens `request`, a `view` request (`now`, `env`, `agent`, `files`,
    /// `home`, `keychain`, `warnAfterMs`, `strict`; what it asks to see is
    /// for [`Session::view`]): doctor runs over its files and the model of
    /// their view is kept. Never panics; a request the envelope would refuse
    /// makes a session whose every answer is that `{"error": ...}`.
    pub fn open(request: &str) -> Session {
        Session { open: parse(request).and_then(|req| Open::of(&req)) }
    }

    /// [`Session::open`] with the files handed beside the request, the
    /// text of `roles[i]` in `texts[i]`, instead of inside its `"files"`. The page's
    /// store is the request's bulk: inside the JSON it is escaped by the
    /// page and unescaped here before it is parsed (some 0.1 s of a
    /// 60 000-profile pick); beside it, it is handed over as it was read.
    /// The same session as [`Session::open`] of the request with those
    /// files in it; a request that has `"files"` of its own as well is
    /// refused.
    pub fn open_with_files(request: &str, roles: Vec<String>, texts: Vec<String>) -> Session {
        let open = parse(request).and_then(|mut req| {
            let fields = req.as_object_mut().ok_or("request must be a JSON object")?;
            if fields.contains_key("files") {
                return Err("request.files given both in the request and beside it".into());
            }
            if roles.len() != texts.len() {
                return Err(format!("{} file roles beside the request for {} texts", roles.len(), texts.len()));
            }
            let by_role = roles.into_iter().zip(texts).map(|(role, text)| (role, Value::String(text))).collect();
            fields.insert("files".into(), Value::Object(by_role));
            Open::of(&req)
        });
        Session { open }
    }

    /// The view the page asks for (`{"rows", "from", "only", "text"}`, as
    /// the `view` op reads them) of the files as last left: what the
    /// `view` op answers for them, `{"locations", "view"}`, cut from the
    /// kept model. With a `"now"` other than the model's, the files are
    /// first seen again at that instant (the page's minute refresh).
    pub fn view(&mut self, asked: &str) -> String {
        let open = match &mut self.open {
            Ok(open) => open,
            Err(why) => return answer(Err(why.clone())),
        };
        answer(parse(asked).and_then(|asked| {
            if let Some(now) = now_of(&asked)?
                && now != open.ground.now
            {
                open.ground.now = now;
                open.model = model_at(&open.ground)?;
            }
            let options = view_options(&asked, open.ground.options.clone())?;
            Ok(open.model.view(&open.ground.world, &open.ground.env, &options))
        }))
    }

    /// `{"provider", "profileId", "by", "now"?, "view": {...}}`: the
    /// `moveInOrder` op over the kept files (`models auth order set`'s own
    /// flow, under its lock, in memory), answering what that op answers
    /// with `"view"` but the store's text: `{"locations", "view"}`
    /// ([`Session::store_text`] has the file, 12 MB at 60 000 profiles,
    /// which a page needs only to download it). The files the command left
    /// and their model become the session's. A refused move changes
    /// nothing.
    pub fn move_in_order(&mut self, request: &str) -> String {
        let open = match &mut self.open {
            Ok(open) => open,
            Err(why) => return answer(Err(why.clone())),
        };
        answer(parse(request).and_then(|req| {
            let now = now_of(&req)?.unwrap_or(open.ground.now);
            let asked = req.get("view").cloned().unwrap_or(Value::Object(Default::default()));
            let asked = view_options(&asked, open.ground.options.clone())?;
            let at = order::At { now, ..open.ground.at() };
            let moved = order::move_model(&req, &at, &open.ground.options)?;
            let view = moved.model.view(&moved.after, &open.ground.env, &asked);
            open.ground.world = moved.after;
            open.ground.now = now;
            open.model = moved.model;
            Ok(view)
        }))
    }
}

impl Session {
    /// The store file as the session holds it (as the last move wrote it),
    /// or `None` when there is none (or the session did not open).
    pub fn store_text(&self) -> Option<String> {
        let ground = &self.open.as_ref().ok()?.ground;
        let config = super::config_of(&ground.world, &ground.env);
        let path = crate::paths::locate(&ground.env, &config, ground.agent.as_deref()).store();
        match ground.world.files.get(&path) {
            Some(crate::world::FileRead::Present { bytes, .. }) => Some(String::from_utf8_lossy(bytes).into_owned()),
            _ => None,
        }
    }
}

/// The model of the ground's files: doctor over them, as the `view` op
/// runs it.
fn model_at(ground: &Ground) -> Result<Model, String> {
    let Ground { world, env, agent, now, options } = ground;
    let doctor = super::doctor::run_keeping(world, env, agent.as_deref(), *now)?;
    Ok(Model::of(doctor, world, env, agent.as_deref(), *now, options))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_767_225_600_000;
    const HOUR: i64 = 3_600_000;

    fn parsed(text: &str) -> Value {
        serde_json::from_str(text).expect("the session answers JSON")
    }

    fn handle(request: &Value) -> Value {
        parsed(&super::super::handle(&request.to_string()))
    }

    /// A store whose order decides which profile a request uses, with
    /// profiles of several statuses (some needing a look), one cooling
    /// down, and a config that uses the provider.
    fn files() -> Value {
        let oauth = |expires: i64| json!({ "type": "oauth", "provider": "anthropic", "access": "a-FAKE", "refresh": "r-FAKE", "expires": expires });
        let store = json!({ "version": 1, "profiles": {
            "anthropic:a": oauth(NOW + HOUR),
            "anthropic:b": { "type": "api_key", "provider": "anthropic", "key": "sk-FAKE-b-0123456789" },
            "anthropic:c": { "type": "token", "provider": "anthropic", "token": "t-FAKE", "expires": NOW - HOUR },
            "anthropic:d": oauth(NOW + 48 * HOUR),
            "openai:x": { "type": "oauth", "provider": "openai", "access": "a-FAKE", "refresh": "r-FAKE", "expires": NOW - 2 * HOUR },
            "openai:y": { "type": "api_key", "provider": "openai", "key": "sk-FAKE-y-0123456789" }
          },
          "order": { "anthropic": ["anthropic:c", "anthropic:a", "anthropic:b", "anthropic:d"] },
          "usageStats": { "anthropic:b": { "cooldownUntil": NOW + 60_000, "failureCounts": { "rate_limit": 1 } } }
        });
        let config = json!({ "agents": { "defaults": { "model": { "primary": "anthropic/claude-opus-4-5" } } } });
        json!({ "store": store, "config": config })
    }

    fn open(files: &Value) -> Session {
        Session::open(&json!({ "op": "view", "now": NOW, "env": {}, "files": files }).to_string())
    }

    /// The `view` op's answer for `files` with `asked`'s rows, page, filter and text.
    fn fresh_view(files: &Value, now: i64, asked: &Value) -> Value {
        let mut request = json!({ "op": "view", "now": now, "env": {}, "files": files });
        for (key, value) in asked.as_object().into_iter().flatten() {
            request[key] = value.clone();
        }
        handle(&request)
    }

    /// Files handed beside the request make the session the same files
    /// inside it make; both at once, or a request that is no object, are
    /// refused.
    #[test]
    fn files_beside_the_request_open_the_session_files_inside_it_open() {
        let files = files();
        let (roles, texts): (Vec<String>, Vec<String>) = files
            .as_object()
            .into_iter()
            .flatten()
            .map(|(role, doc)| (role.clone(), serde_json::to_string_pretty(doc).expect("a document")))
            .unzip();
        let inside: serde_json::Map<String, Value> =
            roles.iter().zip(&texts).map(|(role, text)| (role.clone(), Value::String(text.clone()))).collect();
        let request = json!({ "op": "view", "now": NOW, "env": {} }).to_string();
        let beside = || Session::open_with_files(&request, roles.clone(), texts.clone());
        let mut by_side = beside();
        let mut by_inside = open(&Value::Object(inside));
        for asked in [json!({}), json!({ "rows": 2, "from": 2 }), json!({ "only": "problems" })] {
            let seen = parsed(&by_side.view(&asked.to_string()));
            assert!(seen.get("view").is_some(), "{seen}");
            assert_eq!(seen, parsed(&by_inside.view(&asked.to_string())), "{asked}");
        }
        let both = json!({ "op": "view", "now": NOW, "files": {} }).to_string();
        let refused = parsed(&Session::open_with_files(&both, roles.clone(), texts.clone()).view("{}"));
        assert_eq!(refused["error"], "request.files given both in the request and beside it");
        let refused = parsed(&Session::open_with_files("[]", roles.clone(), texts.clone()).view("{}"));
        assert_eq!(refused["error"], "request must be a JSON object");
        let refused = parsed(&Session::open_with_files(&request, roles, Vec::new()).view("{}"));
        assert_eq!(refused["error"], "2 file roles beside the request for 0 texts");
    }

    #[test]
    fn a_page_cut_from_the_session_is_the_view_ops_page() {
        let files = files();
        let mut session = open(&files);
        for only in ["all", "problems", "expired"] {
            for from in 0..7 {
                for text in [false, true] {
                    let asked = json!({ "rows": 2, "from": from, "only": only, "text": text });
                    let page = parsed(&session.view(&asked.to_string()));
                    assert!(page["view"]["profiles"]["rows"].is_array(), "{page}");
                    assert_eq!(page, fresh_view(&files, NOW, &asked), "{asked}");
                }
            }
        }
        let whole = parsed(&session.view("{}"));
        assert_eq!(whole["view"]["profiles"]["total"], 6);
        assert_eq!(whole, fresh_view(&files, NOW, &json!({})));
    }

    #[test]
    fn after_a_move_the_session_holds_the_view_of_the_store_written() {
        let files = files();
        let mut session = open(&files);
        let asked = json!({ "rows": 3, "from": 0, "only": "all", "text": true });
        let request = json!({ "provider": "anthropic", "profileId": "anthropic:a", "by": -1, "view": asked });
        let view = parsed(&session.move_in_order(&request.to_string()));
        let text = session.store_text().expect("the store written");
        let written: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(written["order"]["anthropic"], json!(["anthropic:a", "anthropic:c", "anthropic:b", "anthropic:d"]));
        // What the one-request envelope answers for the same move.
        let mut op = request.clone();
        op["op"] = json!("moveInOrder");
        op["now"] = json!(NOW);
        op["files"] = files.clone();
        let mut moved = view.clone();
        moved["storeText"] = json!(text);
        assert_eq!(moved, handle(&op));
        // And what a fresh view of the written store shows, page by page.
        let mut after = files.clone();
        after["store"] = json!({ "$text": text });
        assert_eq!(view, fresh_view(&after, NOW, &asked));
        assert_eq!(
            view["view"]["providers"][0]["usedNow"]["via"], "anthropic:a",
            "the report follows the order: {view}"
        );
        for from in 0..7 {
            let asked = json!({ "rows": 2, "from": from, "only": "all", "text": false });
            assert_eq!(parsed(&session.view(&asked.to_string())), fresh_view(&after, NOW, &asked), "{asked}");
        }
        // A second move starts from the first one's store.
        let back = json!({ "provider": "anthropic", "profileId": "anthropic:a", "by": 1, "view": asked });
        assert!(parsed(&session.move_in_order(&back.to_string()))["view"].is_object());
        let written: Value = serde_json::from_str(&session.store_text().unwrap_or_default()).expect("JSON");
        assert_eq!(written["order"]["anthropic"], files["store"]["order"]["anthropic"]);
    }

    #[test]
    fn a_move_over_files_a_sync_changes_is_the_fresh_view_too() {
        // Codex CLI's login is synced into the store by the command's own
        // load: the session cannot take that load for the written files'.
        let mut files = files();
        files["codex"] = json!({ "tokens": { "access_token": "a-FAKE", "refresh_token": "r-FAKE", "account_id": "acct" },
                                 "last_refresh": "2026-01-01T00:00:00Z" });
        let mut session = open(&files);
        let asked = json!({ "rows": 50, "text": true });
        let request = json!({ "provider": "anthropic", "profileId": "anthropic:d", "by": -3, "view": asked });
        let view = parsed(&session.move_in_order(&request.to_string()));
        let text = session.store_text().expect("the store written");
        assert!(text.contains("openai-codex"), "the sync's profile is in the store written: {text}");
        let mut after = files.clone();
        after["store"] = json!({ "$text": text });
        assert_eq!(view, fresh_view(&after, NOW, &asked));
    }

    #[test]
    fn a_refused_move_changes_nothing_and_a_new_now_checks_again() {
        let files = files();
        let mut session = open(&files);
        let before = parsed(&session.view("{}"));
        let text = session.store_text();
        let refused = parsed(&session.move_in_order(r#"{"provider":"anthropic","profileId":"anthropic:c","by":-1}"#));
        assert!(refused["error"].is_string(), "{refused}");
        assert_eq!(parsed(&session.view("{}")), before);
        assert_eq!(session.store_text(), text);
        let later = json!({ "now": NOW + 2 * HOUR });
        assert_eq!(parsed(&session.view(&later.to_string())), fresh_view(&files, NOW + 2 * HOUR, &json!({})));
        assert_eq!(
            parsed(&session.view("{}")),
            fresh_view(&files, NOW + 2 * HOUR, &json!({})),
            "the new instant is kept"
        );
    }

    #[test]
    fn a_session_that_could_not_open_answers_why() {
        let mut session = Session::open(r#"{"op":"view"}"#);
        assert_eq!(session.store_text(), None);
        assert_eq!(parsed(&session.view("{}"))["error"], "request.now must be a number (ms)");
        assert_eq!(parsed(&session.move_in_order("{}"))["error"], "request.now must be a number (ms)");
        let mut session = open(&files());
        assert!(parsed(&session.view("{nope"))["error"].as_str().is_some_and(|e| e.starts_with("request is not JSON")));
        assert_eq!(parsed(&session.view(r#"{"rows":"2"}"#))["error"], "request.rows must be a whole number of rows");
    }
}
