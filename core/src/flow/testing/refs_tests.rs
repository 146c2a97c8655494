//! SecretRefs through the flows, against the scripted host: file refs
//! read once with their facts judged, exec refs run only when allowed and
//! with protocol v1, token hands out the resolved value and fails closed.

use super::script::{Host, NOW, env, store_path};
use super::*;
use crate::io::{ExitStatus, ResolverRun};
use crate::secret::Secret;
use serde_json::{Value, json};

const CONFIG: &str = "/h/.clawdbot/clawdbot.json";
const SECRETS: &str = "/run/credentials/clawdbot.service/openai";
const RESOLVER: &str = "/usr/local/bin/pass-resolver";
const CANARY: &str = "sk-proj-FAKE-CANARY-5f1e2d3c4b5a69788796a5b4";

fn host(profile: Value, secrets: Value) -> Host {
    let mut host = Host::with_store(&json!({"version": 1, "profiles": {"openai:ref": profile}}));
    let config = json!({"agents": {"defaults": {"model": "openai/gpt-5"}}, "secrets": secrets});
    host.files.insert(CONFIG.into(), config.to_string());
    host
}

fn file_host(mode: u32) -> Host {
    let mut host = host(
        json!({"type": "api_key", "provider": "openai", "keyRef": {"source": "file", "provider": "creds", "id": "value"}}),
        json!({"providers": {"creds": {"source": "file", "path": "$CREDENTIALS_DIRECTORY/openai", "mode": "singleValue"}}}),
    );
    host.files.insert(SECRETS.into(), format!("{CANARY}\n"));
    host.modes.insert(SECRETS.into(), mode);
    host
}

fn systemd_env() -> crate::env::Env {
    env().with_var("CREDENTIALS_DIRECTORY", "/run/credentials/clawdbot.service")
}

fn exec_host(run: ResolverRun) -> Host {
    let mut host = host(
        json!({"type": "api_key", "provider": "openai", "keyRef": {"source": "exec", "provider": "pass", "id": "openai/api-key"}}),
        json!({"providers": {"pass": {"source": "exec", "command": RESOLVER, "passEnv": ["HOME"]}}}),
    );
    host.resolvers.insert(RESOLVER.into(), run);
    host
}

fn answer(value: &str) -> ResolverRun {
    let out = json!({"protocolVersion": 1, "values": {"openai/api-key": value}});
    ResolverRun::Ended { status: ExitStatus { code: Some(0), signal: None }, stdout: Secret::new(out.to_string()) }
}

fn status(check: bool, allow_exec: bool, env: &crate::env::Env) -> StatusCommand {
    let request = StatusRequest { check, json: true, ..StatusRequest::bare(false, false, None, false) };
    StatusCommand::new(request, env, NOW).allow_exec(allow_exec)
}

fn token(allow_exec: bool, env: &crate::env::Env) -> TokenCommand {
    let request = TokenRequest { provider: "openai".into(), profile: None, agent: None, force: false };
    TokenCommand::new(request, env, NOW).allow_exec(allow_exec)
}

fn everything(done: &Done, printed: &[Line]) -> String {
    let mut lines = printed.to_vec();
    lines.extend(done.lines());
    lines.iter().map(|l| format!("{}\n", l.text)).collect()
}

/// The `--json` document on stdout.
fn report(done: &Done, printed: &[Line]) -> Value {
    let mut lines = printed.to_vec();
    lines.extend(done.lines());
    let out: String = lines.iter().filter(|l| l.stream == Stream::Stdout).map(|l| format!("{}\n", l.text)).collect();
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn a_private_systemd_credential_file_resolves_and_is_read_once() {
    let mut host = file_host(0o400);
    let (done, printed) = host.run(&mut status(true, false, &systemd_env()));
    assert_eq!(done.exit, Exit::Ok, "{}", everything(&done, &printed));
    let doc = report(&done, &printed);
    assert_eq!(doc["auth"]["oauth"]["profiles"][0]["secretRef"]["state"], "ok");
    assert!(!everything(&done, &printed).contains(CANARY), "the value is shown masked only");
    assert_eq!(host.asked.iter().filter(|a| a.starts_with("secret-file")).count(), 1);
    assert!(host.asked.contains(&format!("secret-file {SECRETS}")));
}

#[test]
fn a_secrets_file_others_can_read_is_refused_with_the_reason_and_fails_check() {
    let mut host = file_host(0o644);
    let (done, printed) = host.run(&mut status(true, false, &systemd_env()));
    assert_eq!(done.exit, Exit::Action);
    let doc = report(&done, &printed);
    let r = &doc["auth"]["oauth"]["profiles"][0]["secretRef"];
    assert_eq!(r["state"], "failing");
    assert_eq!(r["reason"], format!("{SECRETS} is readable or writable by group or others (mode 0644)"));
    let mut host = file_host(0o600);
    host.nlinks.insert(SECRETS.into(), 2);
    let (done, printed) = host.run(&mut status(true, false, &systemd_env()));
    assert_eq!(done.exit, Exit::Action);
    assert_eq!(
        report(&done, &printed)["auth"]["oauth"]["profiles"][0]["secretRef"]["reason"],
        format!("{SECRETS} has 2 hard links")
    );
}

#[test]
fn without_credentials_directory_the_systemd_ref_fails_and_reads_nothing() {
    let mut host = file_host(0o400);
    let (done, printed) = host.run(&mut status(true, false, &env()));
    assert_eq!(done.exit, Exit::Action);
    assert!(!host.asked.iter().any(|a| a.starts_with("secret-file")));
    assert!(everything(&done, &printed).contains("CREDENTIALS_DIRECTORY is not set"));
}

#[test]
fn an_exec_ref_runs_only_when_allowed_and_speaks_protocol_v1() {
    let mut host = exec_host(answer(CANARY));
    let (done, printed) = host.run(&mut status(true, false, &env()));
    assert_eq!(done.exit, Exit::Action, "not checked fails closed");
    assert!(!host.asked.iter().any(|a| a.starts_with("inspect") || a.starts_with("resolve")), "{:?}", host.asked);
    assert_eq!(report(&done, &printed)["auth"]["oauth"]["profiles"][0]["secretRef"]["state"], "not checked");

    let mut host = exec_host(answer(CANARY));
    let (done, printed) = host.run(&mut status(true, true, &env()));
    assert_eq!(done.exit, Exit::Ok, "{}", everything(&done, &printed));
    assert_eq!(host.stdins, [r#"{"protocolVersion":1,"provider":"pass","ids":["openai/api-key"]}"#]);
    assert!(host.position(&format!("inspect {RESOLVER}")) < host.position(&format!("resolve {RESOLVER}")));
    assert!(!everything(&done, &printed).contains(CANARY));
}

#[test]
fn a_resolver_others_can_change_is_never_run() {
    let mut host = exec_host(answer(CANARY));
    host.modes.insert(RESOLVER.into(), 0o777);
    let (done, printed) = host.run(&mut status(true, true, &env()));
    assert_eq!(done.exit, Exit::Action);
    assert!(!host.asked.iter().any(|a| a.starts_with("resolve")));
    let reason = &report(&done, &printed)["auth"]["oauth"]["profiles"][0]["secretRef"]["reason"];
    assert_eq!(reason, &json!(format!("{RESOLVER} is writable by group or others (mode 0777)")));
}

#[test]
fn token_hands_out_the_resolved_value_and_fails_closed_otherwise() {
    let standin = env().with_var("OPENAI_API_KEY", "sk-proj-FAKE-env-standin-000000");
    let mut host = exec_host(answer(CANARY));
    let (done, printed) = host.run(&mut token(true, &standin));
    assert_eq!(done.exit, Exit::Ok);
    let keys: Vec<&Event> = done.events.iter().filter(|e| matches!(e, Event::Key { .. })).collect();
    assert_eq!(keys.len(), 1);
    assert!(everything(&done, &printed).contains(CANARY), "token prints the key");

    for run in [ResolverRun::TimedOut, ResolverRun::TooMuchOutput, answer("")] {
        let mut host = exec_host(run.clone());
        let (done, printed) = host.run(&mut token(true, &standin));
        let all = everything(&done, &printed);
        assert_eq!(done.exit, Exit::Action, "{run:?}: {all}");
        assert!(!all.contains("env-standin"), "{run:?}: no env key stands in for a failing ref");
        assert!(all.contains("the SecretRef of profile \"openai:ref\""), "{all}");
    }
    let mut host = exec_host(answer(CANARY));
    let (done, printed) = host.run(&mut token(false, &standin));
    let all = everything(&done, &printed);
    assert_eq!(done.exit, Exit::Action);
    assert!(all.contains("--allow-exec") && !all.contains(CANARY) && !all.contains("env-standin"), "{all}");
}

#[test]
fn a_timed_out_or_flooding_resolver_is_reported_with_its_bound() {
    for (run, why) in [
        (ResolverRun::TimedOut, format!("{RESOLVER} did not answer within 5000 ms and was stopped")),
        (ResolverRun::TooMuchOutput, format!("{RESOLVER} printed more than 1048576 bytes and was stopped")),
    ] {
        let mut host = exec_host(run);
        let (done, printed) = host.run(&mut status(true, true, &env()));
        assert_eq!(done.exit, Exit::Action);
        assert_eq!(report(&done, &printed)["auth"]["oauth"]["profiles"][0]["secretRef"]["reason"], json!(why));
    }
}

#[test]
fn the_store_is_never_written_with_a_resolved_value() {
    let mut host = file_host(0o400);
    let before = host.files[&store_path("main")].clone();
    host.run(&mut status(true, false, &systemd_env()));
    host.run(&mut token(false, &systemd_env()));
    assert_eq!(host.files[&store_path("main")], before);
}
