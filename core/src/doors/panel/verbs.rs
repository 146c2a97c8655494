//! The page's writes: each is one of the CLI's command flows, run by the
//! server with the CLI's interpreter, locks and atomic writes, so that the
//! store a button leaves is the one the command leaves.
//!
//! | verb | the command |
//! |---|---|
//! | `orderMove` | `models auth order set` with the editor's list, one profile moved (the list made under the lock) |
//! | `orderClear` | `models auth order clear` |
//! | `remove` | `models auth remove`, its question asked in the page |
//! | `cooldownClear` | `models auth cooldown clear <profile>` |
//! | `pasteKey` | `models auth paste-api-key`, the key from a password field |
//! | `pasteToken` | `models auth paste-token`, the token from a password field |
//! | `refresh` | `models auth refresh --profile <id>` |
//!
//! A command that asks something (a confirmation, a secret) is answered
//! from the request: a confirmation only when the page sent back exactly
//! the question the command asks, a secret only from the request's
//! `secret`, once. Otherwise the run stops there, before anything is
//! written, and the question goes back to the page ([`Question`]), which
//! asks the operator and sends the verb again with the answer.

use crate::flow::{
    CooldownCommand, CooldownTarget, Exit, Flow, Line, OrderCommand, OrderRequest, PasteKeyCommand, PasteKeyRequest,
    PasteTokenCommand, PasteTokenRequest, RefreshCommand, RemoveCommand, RemoveRequest, Selection, Stream,
};
use crate::paths::Env;
use crate::secret::Secret;
use crate::time::Millis;
use serde_json::{Map, Value, json};

/// What the page asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    /// Move a profile one place in a provider's order.
    OrderMove {
        /// The provider.
        provider: String,
        /// The profile to move.
        profile_id: String,
        /// -1 up, 1 down.
        by: isize,
    },
    /// Remove a provider's order override.
    OrderClear {
        /// The provider.
        provider: String,
    },
    /// Remove a profile.
    Remove {
        /// The profile.
        profile_id: String,
    },
    /// End a profile's cooldown or disable.
    CooldownClear {
        /// The profile.
        profile_id: String,
    },
    /// Store an API key.
    PasteKey {
        /// The provider.
        provider: String,
        /// The profile id (default `<provider>:default`).
        profile_id: Option<String>,
    },
    /// Store a token.
    PasteToken {
        /// The provider.
        provider: String,
        /// The profile id (default `<provider>:manual`).
        profile_id: Option<String>,
        /// `--expires-in`.
        expires_in: Option<String>,
    },
    /// Refresh an OAuth login now.
    Refresh {
        /// The profile.
        profile_id: String,
    },
}

/// A verb and the answers the page sent with it.
pub struct Asked {
    /// The verb.
    pub verb: Verb,
    /// The question the operator said yes to.
    confirmed: Option<String>,
    /// The secret from the page's password field, until the command takes it.
    secret: Option<Secret>,
}

/// What a command asked that the request did not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// A yes-or-no question, as the CLI asks it.
    Confirm(String),
    /// A secret, with the command's prompt.
    Secret(String),
}

/// The page's `POST /api/verb` body: `{"verb", ...its fields, "confirm"?,
/// "secret"?}`, fields in camelCase.
pub fn parse(body: &[u8]) -> Result<Asked, String> {
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(body) else {
        return Err("a verb must be a JSON object".into());
    };
    // The secret leaves the parsed document at once.
    let secret = match fields.remove("secret") {
        Some(Value::String(text)) => Some(Secret::new(text)),
        None | Some(Value::Null) => None,
        Some(_) => return Err("\"secret\" must be text".into()),
    };
    let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_string);
    let need = |name: &str| text(name).ok_or_else(|| format!("this verb needs \"{name}\""));
    let verb = match text("verb").as_deref() {
        Some("orderMove") => {
            let by = fields.get("by").and_then(Value::as_i64).and_then(|n| isize::try_from(n).ok());
            Verb::OrderMove {
                provider: need("provider")?,
                profile_id: need("profileId")?,
                by: by.ok_or("orderMove needs \"by\": -1 or 1")?,
            }
        }
        Some("orderClear") => Verb::OrderClear { provider: need("provider")? },
        Some("remove") => Verb::Remove { profile_id: need("profileId")? },
        Some("cooldownClear") => Verb::CooldownClear { profile_id: need("profileId")? },
        Some("pasteKey") => Verb::PasteKey { provider: need("provider")?, profile_id: nonblank(text("profileId")) },
        Some("pasteToken") => Verb::PasteToken {
            provider: need("provider")?,
            profile_id: nonblank(text("profileId")),
            expires_in: nonblank(text("expiresIn")),
        },
        Some("refresh") => Verb::Refresh { profile_id: need("profileId")? },
        _ => return Err("unknown verb".into()),
    };
    Ok(Asked { verb, confirmed: text("confirm"), secret })
}

/// An optional field left empty in the page is not given.
fn nonblank(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}

impl Asked {
    /// The command's flow, for `agent` (`None`: the default), at `now`.
    pub fn flow(&self, env: &Env, agent: Option<&str>, now: Millis) -> Box<dyn Flow> {
        let owned = agent.map(str::to_string);
        match &self.verb {
            Verb::OrderMove { provider, profile_id, by } => {
                let request =
                    OrderRequest::Move { provider: provider.as_str().into(), profile_id: profile_id.clone(), by: *by };
                Box::new(OrderCommand::new(request, agent, env, now))
            }
            Verb::OrderClear { provider } => {
                Box::new(OrderCommand::new(OrderRequest::Clear { provider: provider.as_str().into() }, agent, env, now))
            }
            Verb::Remove { profile_id } => {
                let request =
                    RemoveRequest { profile_id: profile_id.clone(), agent: owned, yes: false, dry_run: false };
                Box::new(RemoveCommand::new(request, env, now))
            }
            Verb::CooldownClear { profile_id } => {
                Box::new(CooldownCommand::clear(env, agent, CooldownTarget::Profile(profile_id.clone()), now))
            }
            Verb::PasteKey { provider, profile_id } => {
                let request = PasteKeyRequest {
                    provider: provider.as_str().into(),
                    profile_id: profile_id.clone(),
                    agent: owned,
                    create_agent: false,
                    force: false,
                };
                Box::new(PasteKeyCommand::new(request, env, now))
            }
            Verb::PasteToken { provider, profile_id, expires_in } => {
                let request = PasteTokenRequest {
                    provider: provider.clone(),
                    profile_id: profile_id.clone(),
                    expires_in: expires_in.clone(),
                    agent: owned,
                    create_agent: false,
                    force: false,
                };
                Box::new(PasteTokenCommand::new(request, env, now))
            }
            Verb::Refresh { profile_id } => {
                Box::new(RefreshCommand::new(Selection::Profile(profile_id.clone()), false, agent, env, now))
            }
        }
    }

    /// The command line the verb runs, for the page to say what ran (no
    /// secret is ever on it).
    pub fn command_line(&self) -> String {
        let words = match &self.verb {
            Verb::OrderMove { provider, .. } => format!("models auth order set --provider {provider} …"),
            Verb::OrderClear { provider } => format!("models auth order clear --provider {provider}"),
            Verb::Remove { profile_id } => format!("models auth remove {profile_id}"),
            Verb::CooldownClear { profile_id } => format!("models auth cooldown clear {profile_id}"),
            Verb::PasteKey { provider, profile_id } => {
                format!("models auth paste-api-key --provider {provider}{}", id_flag(profile_id))
            }
            Verb::PasteToken { provider, profile_id, expires_in } => format!(
                "models auth paste-token --provider {provider}{}{}",
                id_flag(profile_id),
                expires_in.as_ref().map(|e| format!(" --expires-in {e}")).unwrap_or_default()
            ),
            Verb::Refresh { profile_id } => format!("models auth refresh --profile {profile_id}"),
        };
        crate::escape::escape_control(&format!("clawdbot {words}")).into_owned()
    }

    /// The answer to the command's `Confirm`: yes when the page sent back
    /// exactly this question (the operator said yes to it there); else the
    /// run stops and the question goes to the page.
    pub fn confirm(&self, question: &str) -> Result<Option<String>, Question> {
        match self.confirmed.as_deref() == Some(question) {
            true => Ok(Some("y".into())),
            false => Err(Question::Confirm(question.to_string())),
        }
    }

    /// The answer to the command's `AskSecret`: the page's secret, once;
    /// without one the run stops and the prompt goes to the page.
    pub fn secret(&mut self, prompt: &str) -> Result<Secret, Question> {
        self.secret.take().ok_or_else(|| Question::Secret(prompt.to_string()))
    }
}

fn id_flag(profile_id: &Option<String>) -> String {
    profile_id.as_ref().map(|id| format!(" --profile-id {id}")).unwrap_or_default()
}

/// The answer to a verb: `{"command", "exit", "ok", "lines"}`, the lines
/// as a terminal would show them (a secret line, such as a key a command
/// hands out, never); or, for a run stopped at a question, `{"command",
/// "confirm": question}` or `{"command", "secret": prompt}`.
pub fn answer(asked: &Asked, exit: Exit, lines: &[Line], question: Option<&Question>) -> String {
    let mut out = Map::new();
    out.insert("command".into(), Value::from(asked.command_line()));
    match question {
        Some(Question::Confirm(q)) => {
            out.insert("confirm".into(), Value::from(crate::escape::escape_control(q).into_owned()));
        }
        Some(Question::Secret(prompt)) => {
            out.insert("secret".into(), Value::from(crate::escape::escape_control(prompt).into_owned()));
        }
        None => {
            let shown: Vec<Value> = lines
                .iter()
                .filter(|line| !line.secret)
                .map(|line| {
                    let stream = if line.stream == Stream::Stdout { "stdout" } else { "stderr" };
                    json!({ "stream": stream, "text": line.text })
                })
                .collect();
            out.insert("exit".into(), Value::from(exit.code()));
            out.insert("ok".into(), Value::from(exit == Exit::Ok));
            out.insert("lines".into(), Value::Array(shown));
        }
    }
    Value::Object(out).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::script::{Host, first_error};

    #[test]
    fn a_body_is_one_of_the_verbs() {
        let asked = parse(br#"{"verb":"orderMove","provider":"openai","profileId":"openai:a","by":-1}"#).unwrap();
        assert_eq!(asked.verb, Verb::OrderMove { provider: "openai".into(), profile_id: "openai:a".into(), by: -1 });
        let asked = parse(br#"{"verb":"pasteKey","provider":"openai","profileId":"  ","secret":"sk-FAKE"}"#).unwrap();
        assert_eq!(asked.verb, Verb::PasteKey { provider: "openai".into(), profile_id: None });
        assert_eq!(parse(br#"{"verb":"token","provider":"openai"}"#).err().as_deref(), Some("unknown verb"));
        assert_eq!(parse(b"verb=remove").err().as_deref(), Some("a verb must be a JSON object"));
        assert_eq!(parse(br#"{"verb":"remove"}"#).err().as_deref(), Some("this verb needs \"profileId\""));
        assert!(parse(br#"{"verb":"pasteKey","provider":"openai","secret":3}"#).is_err());
    }

    #[test]
    fn a_question_is_answered_only_by_what_the_page_sent_back() {
        let mut asked = parse(br#"{"verb":"remove","profileId":"openai:a","confirm":"Remove openai:a?"}"#).unwrap();
        assert_eq!(asked.confirm("Remove openai:a?"), Ok(Some("y".into())));
        assert_eq!(asked.confirm("Remove openai:b?"), Err(Question::Confirm("Remove openai:b?".into())));
        assert_eq!(asked.secret("Paste").err(), Some(Question::Secret("Paste".into())));
        let mut paste = parse(br#"{"verb":"pasteKey","provider":"openai","secret":"sk-FAKE-x"}"#).unwrap();
        assert_eq!(paste.secret("Paste").map(|s| s.expose().to_string()), Ok("sk-FAKE-x".into()));
        assert!(paste.secret("Paste").is_err(), "sent once, taken once");
    }

    #[test]
    fn every_action_a_profile_row_offers_is_a_verb_the_panel_runs() {
        use crate::view::RowAction;
        for (action, command) in [
            (RowAction::CooldownClear, "clawdbot models auth cooldown clear openai:a"),
            (RowAction::Refresh, "clawdbot models auth refresh --profile openai:a"),
            (RowAction::Remove, "clawdbot models auth remove openai:a"),
        ] {
            let body = json!({ "verb": action, "profileId": "openai:a" }).to_string();
            let asked = parse(body.as_bytes()).unwrap_or_else(|e| panic!("{action:?}: {e}"));
            assert_eq!(asked.command_line(), command);
        }
    }

    #[test]
    fn the_answer_never_carries_a_secret_line() {
        let asked = parse(br#"{"verb":"cooldownClear","profileId":"openai:a"}"#).unwrap();
        let line = |text: &str, secret| Line { stream: Stream::Stdout, text: text.into(), secret };
        let lines = vec![line("Cleared", false), line("sk-FAKE-leak", true)];
        let doc: Value = serde_json::from_str(&answer(&asked, Exit::Ok, &lines, None)).unwrap();
        assert_eq!(doc["lines"], json!([{ "stream": "stdout", "text": "Cleared" }]));
        assert_eq!((doc["exit"].clone(), doc["ok"].clone()), (json!(0), json!(true)));
        assert_eq!(doc["command"], "clawdbot models auth cooldown clear openai:a");
        let q = Question::Confirm("Remove?\u{1b}".into());
        let doc: Value = serde_json::from_str(&answer(&asked, Exit::Action, &[], Some(&q))).unwrap();
        assert_eq!(
            doc,
            json!({ "command": "clawdbot models auth cooldown clear openai:a", "confirm": "Remove?\\u{1b}" })
        );
    }

    /// The verbs run the CLI's own flows: a move is `order set` with the
    /// list moved, made from the store under the lock.
    #[test]
    fn a_move_stores_the_order_set_would() {
        let store = r#"{"version":1,"profiles":{
            "openai:a":{"type":"api_key","provider":"openai","key":"k-FAKE"},
            "openai:b":{"type":"api_key","provider":"openai","key":"k-FAKE"}},
            "order":{"openai":["openai:a","openai:b"]}}"#;
        let path = "/h/.clawdbot/agents/main/agent/auth-profiles.json";
        let env = Env::new("/h");
        let mut host = Host::default();
        host.files.insert(path.into(), store.into());
        let mut cli = Host { files: host.files.clone(), ..Host::default() };
        let asked = parse(br#"{"verb":"orderMove","provider":"openai","profileId":"openai:b","by":-1}"#).unwrap();
        let (done, _) = host.run(&mut *asked.flow(&env, None, 0));
        assert_eq!(done.exit, Exit::Ok, "{:?}", done.events);
        let set =
            OrderRequest::Set { provider: "openai".into(), profile_ids: vec!["openai:b".into(), "openai:a".into()] };
        cli.run(&mut OrderCommand::new(set, None, &env, 0));
        assert_eq!(host.files[path], cli.files[path], "the store order set leaves");
        assert!(
            host.files[path].contains(
                r#""openai:b",
"#
            ) || host.files[path].contains(r#"["openai:b""#)
        );
        let past_the_end = parse(br#"{"verb":"orderMove","provider":"openai","profileId":"openai:a","by":1}"#).unwrap();
        let (done, _) = host.run(&mut *past_the_end.flow(&env, None, 0));
        assert_eq!(done.exit, Exit::Action);
        assert!(first_error(&done).contains("cannot move 1"), "{:?}", done.events);
    }
}
