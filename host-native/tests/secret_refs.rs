//! SecretRefs with real parts: env refs, a file provider in a
//! `$CREDENTIALS_DIRECTORY` laid out as systemd lays it out (a read-only
//! folder, 0400 files), an exec provider backed by the real `pass`
//! (a throwaway `GNUPGHOME` and store, a resolver script speaking
//! protocol v1), resolvers that hang or flood, and the canary: no resolved
//! value in any output but `token`'s stdout.

mod safety_common;

use safety_common::*;
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const ENV_VALUE: &str = "sk-proj-FAKEREFCANARY-env-0123456789abcdef";
const FILE_VALUE: &str = "sk-proj-FAKEREFCANARY-file-0123456789abcdef";
const PASS_VALUE: &str = "sk-proj-FAKEREFCANARY-pass-0123456789abcdef";
const STANDIN: &str = "sk-proj-FAKESTANDIN-env-0123456789abcdef";

fn config(home: &Home, secrets: Value) {
    home.write_json(CONFIG, &json!({"agents": {"defaults": {"model": "openai/gpt-5"}}, "secrets": secrets}));
}

fn key_ref(home: &Home, reference: Value) {
    home.write_json(
        STORE,
        &json!({"version": 1, "profiles": {"openai:ref": {"type": "api_key", "provider": "openai", "keyRef": reference}}}),
    );
}

/// `$CREDENTIALS_DIRECTORY` as systemd makes it: the credential 0400 in a
/// folder nobody may write.
fn credentials_directory(home: &Home, mode: u32) -> PathBuf {
    let dir = home.join("run/credentials/clawdbot.service");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("openai-api-key");
    std::fs::write(&file, format!("{FILE_VALUE}\n")).unwrap();
    set_mode(&file, mode);
    set_mode(&dir, 0o500);
    dir
}

fn systemd_home(mode: u32) -> (Home, PathBuf) {
    let home = Home::new();
    config(
        &home,
        json!({"providers": {"systemd": {"source": "file", "path": "$CREDENTIALS_DIRECTORY/openai-api-key", "mode": "singleValue"}}}),
    );
    key_ref(&home, json!({"source": "file", "provider": "systemd", "id": "value"}));
    let dir = credentials_directory(&home, mode);
    (home, dir)
}

fn run_in(home: &Home, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = home.cmd();
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_cmd(&mut cmd, args, b"", RUN_LIMIT)
}

#[test]
fn an_env_ref_is_ok_handed_out_and_fails_closed_when_unset() {
    let home = Home::new();
    config(&home, json!({}));
    key_ref(&home, json!({"source": "env", "id": "OPENCLAW_OPENAI_KEY"}));
    let set = [("OPENCLAW_OPENAI_KEY", ENV_VALUE), ("OPENAI_API_KEY", STANDIN)];
    let run = run_in(&home, &set, &["models", "status", "--check"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    let run = run_in(&home, &set, &["models", "auth", "token", "--provider", "openai"]);
    assert_eq!((run.code, run.out()), (Some(0), format!("{ENV_VALUE}\n")), "{}", run.err());

    let unset = [("OPENAI_API_KEY", STANDIN)];
    let run = run_in(&home, &unset, &["models", "status", "--check"]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    let run = run_in(&home, &unset, &["models", "auth", "token", "--provider", "openai"]);
    assert_eq!(run.code, Some(1));
    assert!(run.out().is_empty(), "no env key stands in: {}", run.out());
    assert!(run.err().contains("OPENCLAW_OPENAI_KEY is not set"), "{}", run.err());
}

#[test]
fn a_systemd_credential_resolves_from_credentials_directory() {
    let (home, dir) = systemd_home(0o400);
    let creds = dir.to_string_lossy().into_owned();
    let env = [("CREDENTIALS_DIRECTORY", creds.as_str()), ("OPENAI_API_KEY", STANDIN)];
    let run = run_in(&home, &env, &["models", "status", "--check", "--json"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    let doc: Value = serde_json::from_str(&run.out()).unwrap();
    let r = &doc["auth"]["oauth"]["profiles"][0]["secretRef"];
    assert_eq!((r["ref"].as_str(), r["state"].as_str()), (Some("file:systemd:value"), Some("ok")), "{doc}");
    let run = run_in(&home, &env, &["models", "auth", "token", "--provider", "openai"]);
    assert_eq!(run.out(), format!("{FILE_VALUE}\n"), "{}", run.err());
    let run = run_in(&home, &[("OPENAI_API_KEY", STANDIN)], &["models", "auth", "token", "--provider", "openai"]);
    assert_eq!(run.code, Some(1));
    assert!(run.err().contains("CREDENTIALS_DIRECTORY is not set"), "{}", run.err());
    set_mode(&dir, 0o700);
}

#[test]
fn a_secrets_file_others_can_read_or_a_symlink_is_refused_with_the_reason() {
    let (home, dir) = systemd_home(0o644);
    let creds = dir.to_string_lossy().into_owned();
    let env = [("CREDENTIALS_DIRECTORY", creds.as_str())];
    let run = run_in(&home, &env, &["models", "auth", "list"]);
    assert!(run.out().contains("is readable or writable by group or others (mode 0644)"), "{}", run.all());
    assert!(run.out().contains("chmod 600"), "{}", run.out());
    let run = run_in(&home, &env, &["models", "auth", "token", "--provider", "openai"]);
    assert_eq!(run.code, Some(1));
    assert!(!run.all().contains(FILE_VALUE));

    set_mode(&dir, 0o700);
    let target = dir.join("real");
    std::fs::rename(dir.join("openai-api-key"), &target).unwrap();
    set_mode(&target, 0o400);
    std::os::unix::fs::symlink(&target, dir.join("openai-api-key")).unwrap();
    let run = run_in(&home, &env, &["models", "status", "--check", "--json"]);
    assert_eq!(run.code, Some(1));
    assert!(run.out().contains("openai-api-key is a symlink"), "{}", run.out());
}

/// A resolver script at `dir/name` (0700), speaking protocol v1 with `body`.
fn resolver(dir: &Path, name: &str, body: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    set_mode(&path, 0o700);
    path
}

fn exec_home(command: &Path, pass_env: &[&str]) -> Home {
    let home = Home::new();
    config(&home, json!({"providers": {"vault": {"source": "exec", "command": command, "passEnv": pass_env}}}));
    key_ref(&home, json!({"source": "exec", "provider": "vault", "id": "openai/api-key"}));
    home
}

#[test]
fn a_resolver_that_hangs_is_cut_at_5_s_and_one_that_floods_at_1_mib() {
    let bin = std::env::temp_dir().join(format!("clawdbot-refs-{}", std::process::id()));
    let hang = resolver(&bin, "hang", "cat >/dev/null; sleep 60");
    let home = exec_home(&hang, &["PATH"]);
    let run = run_in(
        &home,
        &[("OPENAI_API_KEY", STANDIN)],
        &["models", "auth", "token", "--provider", "openai", "--allow-exec"],
    );
    assert!(!run.timed_out, "the 120 s guard");
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(run.err().contains("did not answer within 5000 ms and was stopped"), "{}", run.err());
    assert!(run.out().is_empty());

    let flood = resolver(&bin, "flood", "cat >/dev/null; head -c 2097152 /dev/zero | tr '\\0' x");
    let home = exec_home(&flood, &["PATH"]);
    let run = run_in(&home, &[], &["models", "status", "--check", "--json", "--allow-exec"]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(run.out().contains("printed more than 1048576 bytes and was stopped"), "{}", run.out());

    let writable = resolver(&bin, "writable", "echo '{}'");
    set_mode(&writable, 0o777);
    let home = exec_home(&writable, &[]);
    let run = run_in(&home, &[], &["models", "status", "--check", "--json", "--allow-exec"]);
    assert!(run.out().contains("is writable by group or others (mode 0777)"), "{}", run.out());
    let _ = std::fs::remove_dir_all(&bin);
}

/// A throwaway `pass`: a GnuPG home with a key made for the test, a
/// password store holding the canary, and a resolver that answers protocol
/// v1 from `pass show`. `None` when `pass` is not installed here (CI
/// installs it: scripts/test.sh).
struct Pass {
    root: PathBuf,
    resolver: PathBuf,
}

impl Pass {
    /// A store of its own per test (tests run at once in one process).
    fn new(tag: &str) -> Option<Pass> {
        if Command::new("pass").arg("version").output().is_err() {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI installs pass and gnupg (scripts/test.sh)");
            eprintln!("skipped: pass is not installed (apt-get install pass gnupg)");
            return None;
        }
        let root = std::env::temp_dir().join(format!("clawdbot-pass-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let gnupg = root.join("gnupg");
        std::fs::create_dir_all(&gnupg).unwrap();
        std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).unwrap();
        let pass = Pass { resolver: root.join("bin/pass-resolver"), root };
        let ok = pass
            .cmd("gpg")
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key"])
            .args(["clawdbot test <clawdbot-test@example.invalid>", "default", "default", "never"])
            .output()
            .unwrap();
        assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
        let init = pass.cmd("pass").args(["init", "clawdbot-test@example.invalid"]).output().unwrap();
        assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
        let mut insert = pass
            .cmd("pass")
            .args(["insert", "-m", "openai/api-key"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        insert.stdin.take().unwrap().write_all(format!("{PASS_VALUE}\n").as_bytes()).unwrap();
        assert!(insert.wait().unwrap().success());
        // Protocol v1: read the ids, answer each from `pass show` (first
        // line), NOT_FOUND for what the store does not hold.
        resolver(
            pass.resolver.parent().unwrap(),
            "pass-resolver",
            r#"ids=$(tr -d '\n' | sed -n 's/.*"ids":\[\([^]]*\)\].*/\1/p' | tr ',' '\n' | tr -d '"')
values=""; errors=""
for id in $ids; do
  if value=$(pass show "$id" 2>/dev/null | head -n 1) && [ -n "$value" ]; then
    value=$(printf '%s' "$value" | sed 's/\\/\\\\/g; s/"/\\"/g')
    values="$values${values:+,}\"$id\":\"$value\""
  else
    errors="$errors${errors:+,}\"$id\":{\"code\":\"NOT_FOUND\"}"
  fi
done
printf '{"protocolVersion":1,"values":{%s},"errors":{%s}}\n' "$values" "$errors""#,
        );
        Some(pass)
    }

    fn vars(&self) -> [(&'static str, String); 2] {
        [
            ("GNUPGHOME", self.root.join("gnupg").to_string_lossy().into_owned()),
            ("PASSWORD_STORE_DIR", self.root.join("store").to_string_lossy().into_owned()),
        ]
    }

    fn cmd(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.envs(self.vars());
        cmd
    }

    fn home(&self, id: &str) -> Home {
        let home = Home::new();
        config(
            &home,
            json!({"providers": {"pass": {"source": "exec", "command": self.resolver,
                "passEnv": ["PATH", "HOME", "GNUPGHOME", "PASSWORD_STORE_DIR"]}}}),
        );
        home.write_json(
            STORE,
            &json!({"version": 1, "profiles": {"openai:ref": {"type": "api_key", "provider": "openai",
                "keyRef": {"source": "exec", "provider": "pass", "id": id}}}}),
        );
        home
    }

    fn run(&self, home: &Home, args: &[&str]) -> Run {
        let vars = self.vars();
        let env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_in(home, &env, args)
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let _ = self.cmd("gpgconf").args(["--kill", "gpg-agent"]).output();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[test]
fn a_pass_backed_exec_ref_is_ok_with_allow_exec_and_not_checked_without() {
    let Some(pass) = Pass::new("ok") else { return };
    let home = pass.home("openai/api-key");
    let run = pass.run(&home, &["models", "status", "--check", "--json", "--allow-exec"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    let doc: Value = serde_json::from_str(&run.out()).unwrap();
    assert_eq!(doc["auth"]["oauth"]["profiles"][0]["secretRef"]["state"], "ok", "{doc}");
    assert!(!run.all().contains(PASS_VALUE));

    let run = pass.run(&home, &["models", "status", "--check", "--json"]);
    assert_eq!(run.code, Some(1));
    let doc: Value = serde_json::from_str(&run.out()).unwrap();
    assert_eq!(doc["auth"]["oauth"]["profiles"][0]["secretRef"]["state"], "not checked", "{doc}");

    let run = pass.run(&home, &["models", "auth", "token", "--provider", "openai", "--allow-exec"]);
    assert_eq!((run.code, run.out()), (Some(0), format!("{PASS_VALUE}\n")), "{}", run.err());

    let missing = pass.home("openai/nope");
    let run = pass.run(&missing, &["models", "auth", "list", "--allow-exec"]);
    assert!(run.out().contains("answered NOT_FOUND for openai/nope"), "{}", run.all());
}

#[test]
fn no_resolved_value_reaches_any_output_but_tokens_stdout() {
    let Some(pass) = Pass::new("canary") else { return };
    let home = pass.home("openai/api-key");
    // Beside the exec ref: an env ref and a systemd credential.
    let mut store = home.store();
    store["profiles"]["anthropic:env"] = json!({"type": "api_key", "provider": "anthropic", "keyRef": {"source": "env", "id": "OPENCLAW_ANTHROPIC_KEY"}});
    store["profiles"]["xai:file"] = json!({"type": "api_key", "provider": "xai", "keyRef": {"source": "file", "provider": "systemd", "id": "value"}});
    home.write_json(STORE, &store);
    let mut cfg: Value = serde_json::from_slice(&home.read(CONFIG).unwrap()).unwrap();
    cfg["secrets"]["providers"]["systemd"] =
        json!({"source": "file", "path": "$CREDENTIALS_DIRECTORY/openai-api-key", "mode": "singleValue"});
    home.write_json(CONFIG, &cfg);
    let dir = credentials_directory(&home, 0o400);
    let vars = pass.vars();
    let creds = dir.to_string_lossy().into_owned();
    let mut env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend([("OPENCLAW_ANTHROPIC_KEY", ENV_VALUE), ("CREDENTIALS_DIRECTORY", creds.as_str())]);
    let canaries = [ENV_VALUE, FILE_VALUE, PASS_VALUE];
    let leaks = |text: &str| -> Vec<&str> {
        canaries.iter().copied().filter(|c| text.contains(c) || text.contains(&c[..20])).collect()
    };
    let mut problems = Vec::new();
    for args in [
        &["models", "status"][..],
        &["models", "status", "--json", "--allow-exec"],
        &["models", "status", "--check", "--allow-exec"],
        &["models", "status", "--format", "prometheus", "--allow-exec"],
        &["models", "status", "--plain"],
        &["models", "auth", "list", "--allow-exec"],
        &["models", "auth", "list", "--json", "--allow-exec"],
        &["models", "auth", "order", "get", "--provider", "openai", "--resolved", "--json"],
        &["models", "auth", "token", "--provider", "nosuch", "--allow-exec"],
        &["models", "auth", "sync"],
        &["doctor", "--non-interactive"],
        &["doctor", "--json"],
        &["models", "auth", "remove", "xai:file", "--yes", "--dry-run"],
    ] {
        let run = run_in(&home, &env, args);
        if run.timed_out || run.panicked() {
            problems.push(format!("{}: hung or panicked: {}", run.what(), run.err()));
        }
        let found = leaks(&run.all());
        if !found.is_empty() {
            problems.push(format!("{}: leaks {found:?}", run.what()));
        }
    }
    for (provider, value) in [("openai", PASS_VALUE), ("anthropic", ENV_VALUE), ("xai", FILE_VALUE)] {
        let run = run_in(&home, &env, &["models", "auth", "token", "--provider", provider, "--allow-exec"]);
        if run.out() != format!("{value}\n") || !leaks(&run.err()).is_empty() {
            problems.push(format!("{}: printed {:?}, stderr {}", run.what(), run.out(), run.err()));
        }
    }
    let written = String::from_utf8(home.read(STORE).unwrap()).unwrap();
    if !leaks(&written).is_empty() {
        problems.push("the store holds a resolved value".into());
    }
    set_mode(&dir, 0o700);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn paste_ref_stores_a_checked_ref_and_every_rewrite_keeps_refs_as_written() {
    let home = Home::new();
    config(&home, json!({"providers": {"vault": {"source": "exec", "command": "/nonexistent/resolver"}}}));
    // A store as OpenClaw writes it: refs with fields in its own order, one
    // this version does not know, and a plain key residue beside a ref.
    let refs = json!({
        "xai:file": {"type": "api_key", "provider": "xai",
            "keyRef": {"id": "/providers/xai/apiKey", "provider": "creds", "source": "file", "x-note": [1, {"b": 2, "a": 1}]}},
        "anthropic:vault": {"type": "token", "provider": "anthropic", "expires": 0,
            "tokenRef": {"source": "exec", "provider": "vault", "id": "anthropic/setup-token"}},
        "mistral:spare": {"type": "api_key", "provider": "mistral", "key": "sk-FAKE-spare-0123456789"}
    });
    home.write_json(STORE, &json!({"version": 1, "profiles": refs}));
    let text = |v: &Value| serde_json::to_string(v).unwrap();
    let same_refs = |home: &Home, what: &str| {
        let store = home.store();
        for (id, field) in [("xai:file", "keyRef"), ("anthropic:vault", "tokenRef")] {
            assert_eq!(text(&store["profiles"][id][field]), text(&refs[id][field]), "{what}: {id}.{field}");
        }
    };

    let run =
        home.run(&["models", "auth", "paste-api-key", "--provider", "openai", "--ref", "env:OPENCLAW_OPENAI_KEY"], b"");
    assert_eq!(run.code, Some(1), "an unset variable is refused: {}", run.all());
    assert!(home.store()["profiles"].get("openai:default").is_none(), "nothing stored");
    let run = run_in(
        &home,
        &[("OPENCLAW_OPENAI_KEY", ENV_VALUE)],
        &["models", "auth", "paste-api-key", "--provider", "openai", "--ref", "env:OPENCLAW_OPENAI_KEY"],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(!run.all().contains(ENV_VALUE));
    let stored = &home.store()["profiles"]["openai:default"];
    assert_eq!(
        stored,
        &json!({"type": "api_key", "provider": "openai", "keyRef": {"source": "env", "id": "OPENCLAW_OPENAI_KEY"}})
    );
    same_refs(&home, "paste-api-key --ref");

    let run =
        home.run(&["models", "auth", "paste-token", "--provider", "anthropic", "--ref", "exec:vault:anthropic/t"], b"");
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(run.err().contains("not checked"), "{}", run.err());
    assert_eq!(home.store()["profiles"]["anthropic:manual"]["tokenRef"]["id"], "anthropic/t");
    let run = home.run(
        &[
            "models",
            "auth",
            "paste-token",
            "--provider",
            "anthropic",
            "--ref",
            "exec:vault:anthropic/t",
            "--allow-exec",
        ],
        b"",
    );
    assert_eq!(run.code, Some(1), "a resolver that is not there fails: {}", run.all());
    assert!(run.err().contains("/nonexistent/resolver does not exist"), "{}", run.err());

    let run = home.run(&["models", "auth", "remove", "mistral:spare", "--yes"], b"");
    assert_eq!(run.code, Some(0), "{}", run.all());
    same_refs(&home, "remove");
    let run = home.run(&["doctor", "--yes", "--non-interactive"], b"");
    assert!(!run.panicked(), "{}", run.all());
    same_refs(&home, "doctor");
    let run = home.run(&["models", "auth", "order", "set", "--provider", "xai", "xai:file"], b"");
    assert_eq!(run.code, Some(0), "{}", run.all());
    same_refs(&home, "order set");
}
