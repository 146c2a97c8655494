//! Every conformance vector through the `clawdbot` binary: the files on a
//! real (temporary) disk, the clock pinned, the same checker as the core's.

mod cli_common;

use clawdbot_conformance::{Outcome, Vector, check, vectors};
use cli_common::{Cli, Home, Run, STORE};
use serde_json::{Map, Value};

/// A HOME holding the vector's files, and its Keychain items behind a
/// fake `security` in `fakebin/` (outside the files a vector names).
fn home_for(v: &Vector) -> Home {
    let home = Home::new();
    for (rel, text) in v.home_files() {
        home.write(&rel, text.as_bytes());
    }
    for (i, (service, account, secret)) in v.keychain().into_iter().enumerate() {
        for (name, text) in [("service", service), ("account", account), ("secret", secret)] {
            home.write(&format!("fakebin/items/{i}/{name}"), text.as_bytes());
        }
    }
    if !v.keychain().is_empty() {
        // `find-generic-password -a ACCOUNT -w -s SERVICE`: the item's secret,
        // or exit 44 (not found) as `security` does.
        let script = "#!/bin/sh\nhere=$(dirname \"$0\")\n[ \"$1\" = find-generic-password ] || exit 1\n\
            for item in \"$here\"/items/*; do\n\
              if [ \"$(cat \"$item/account\")\" = \"$3\" ] && [ \"$(cat \"$item/service\")\" = \"$6\" ]; then\n\
                cat \"$item/secret\"; exit 0\n  fi\ndone\nexit 44\n";
        home.write("fakebin/security", script.as_bytes());
        let path = home.join("fakebin/security");
        let mode = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755);
        std::fs::set_permissions(&path, mode).expect("chmod");
    }
    home
}

/// The CLI as the vector wants it: its clock, its environment, and the
/// fake `security` when it has Keychain items.
fn cli_for<'a>(v: &Vector, home: &'a Home) -> Cli<'a> {
    let mut cli = Cli::new(home.path()).env("CLAWDBOT_NOW_MS", &v.now().to_string());
    if !v.keychain().is_empty() {
        let path = format!("{}:{}", home.join("fakebin").display(), std::env::var("PATH").unwrap_or_default());
        cli = cli.env("PATH", &path).env("CLAWDBOT_KEYCHAIN", "security");
    }
    for (key, value) in v.env() {
        let value = match value {
            Value::String(s) => s,
            other => other.to_string(),
        };
        cli = cli.env(&key, &value);
    }
    cli
}

fn status_args(v: &Vector, extra: &[&'static str]) -> Vec<String> {
    let mut args: Vec<String> = ["models", "status"].iter().map(|s| s.to_string()).collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    if let Some(agent) = v.agent() {
        args.extend(["--agent".into(), agent.to_string()]);
    }
    if v.strict() {
        args.push("--strict".into());
    }
    args.push("--warn-within".into());
    args.push(format!("{}ms", v.warn_after_ms()));
    args
}

fn run(cli: &Cli, args: &[String]) -> Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    cli.run(&args)
}

/// Problems every run shares: it finished, did not panic, exited with a code.
fn sanity(run: &Run) -> Vec<String> {
    let mut bad = Vec::new();
    if run.timed_out {
        bad.push(format!("{}: killed after {:?}", run.what(), run.elapsed));
    }
    if run.stderr_text().contains("panicked") {
        bad.push(format!("{}: panicked:\n{}", run.what(), run.stderr_text()));
    }
    bad
}

/// Runs one vector through the JSON `--check` path; returns the mismatches.
fn run_json(v: &Vector) -> Vec<String> {
    let home = home_for(v);
    let cli = cli_for(v, &home);
    let before = home.read(STORE);
    let status = run(&cli, &status_args(v, &["--json", "--check"]));
    let mut bad = sanity(&status);
    // Exit 1 with nothing on stdout: the command refused to run.
    let refused = (status.code == Some(1) && status.stdout.is_empty()).then(|| status.stderr_text());
    let report = match status.json() {
        Ok(doc) => doc,
        Err(_) if refused.is_some() => Value::Null,
        Err(e) => {
            bad.push(e);
            Value::Null
        }
    };
    let after = home.read(STORE);
    let store = after.as_deref().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
    let files_removed =
        v.home_files().into_iter().map(|(rel, _)| rel).filter(|rel| !home.join(rel).exists()).collect::<Vec<_>>();

    let mut order = Map::new();
    let providers: Vec<String> =
        v.expect().get("order").and_then(Value::as_object).map(|o| o.keys().cloned().collect()).unwrap_or_default();
    for p in &providers {
        let mut args = vec!["models", "auth", "order", "get", "--provider", p, "--json", "--resolved"];
        args.extend(v.agent().map(|a| ["--agent", a]).into_iter().flatten());
        let got = cli.run(&args);
        bad.extend(sanity(&got));
        if got.code != Some(0) {
            bad.push(format!("{}: exit {:?}: {}", got.what(), got.code, got.stderr_text()));
        }
        match got.json() {
            Ok(doc) => {
                order.insert(p.clone(), doc["resolved"].clone());
            }
            Err(e) => bad.push(e),
        }
    }

    let outcome = Outcome {
        report,
        check: status.code.map_or(-1, i64::from),
        store,
        store_written: after.is_some() && after != before,
        files_removed,
        diagnostics: status.stderr_text(),
        order: Some(Value::Object(order)),
        store_unchanged: Some(after == before),
        refused,
    };
    bad.extend(check(v, &outcome));
    if outcome.refused.is_some() {
        bad.extend(refused_in_text(v));
        return bad;
    }
    bad.extend(run_text(v, outcome.check));
    bad
}

/// A refusal holds in text mode too, with and without `--check`: exit 1,
/// nothing on stdout, and the HOME left without a new folder.
fn refused_in_text(v: &Vector) -> Vec<String> {
    let home = home_for(v);
    let before = folders(home.path());
    let cli = cli_for(v, &home);
    let mut bad = Vec::new();
    for run in [run(&cli, &status_args(v, &["--check"])), run(&cli, &status_args(v, &[]))] {
        bad.extend(sanity(&run));
        if run.code != Some(1) || !run.stdout.is_empty() {
            bad.push(format!("{}: a refusal exits 1 and prints nothing: {:?}", run.what(), run.code));
        }
    }
    if folders(home.path()) != before {
        bad.push("a refused command left a folder behind".into());
    }
    bad
}

/// Every folder under `root`, relative to it.
fn folders(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Text mode in a fresh copy of the HOME (so it syncs too): `--check` agrees
/// with JSON mode (A59), and a pipe gets no colour codes.
fn run_text(v: &Vector, json_check: i64) -> Vec<String> {
    let home = home_for(v);
    let cli = cli_for(v, &home);
    let checked = run(&cli, &status_args(v, &["--check"]));
    let plain = run(&cli, &status_args(v, &[]));
    let mut bad = sanity(&checked);
    bad.extend(sanity(&plain));
    if checked.code.map(i64::from) != Some(json_check) {
        bad.push(format!("text --check exits {:?}, --json --check exits {json_check} (A59)", checked.code));
    }
    if plain.code != Some(0) {
        bad.push(format!("{}: exit {:?} without --check: {}", plain.what(), plain.code, plain.stderr_text()));
    }
    for run in [&checked, &plain] {
        if run.stdout.contains(&0x1b) {
            bad.push(format!("{}: ESC on stdout although it is not a terminal", run.what()));
        }
        if run.stdout.is_empty() {
            bad.push(format!("{}: printed nothing", run.what()));
        }
    }
    bad
}

#[test]
fn every_vector_passes_through_the_cli() {
    let all = vectors();
    assert!(all.len() >= 20, "expected the shared vectors, found {}", all.len());
    let results: Vec<(String, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = all
            .chunks(all.len().div_ceil(2))
            .map(|chunk| s.spawn(move || chunk.iter().map(|v| (v.file.clone(), run_json(v))).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("vector worker")).collect()
    });
    let failures: Vec<String> = results
        .into_iter()
        .filter(|(_, bad)| !bad.is_empty())
        .map(|(file, bad)| format!("{file}:\n  {}", bad.join("\n  ")))
        .collect();
    assert!(failures.is_empty(), "{} vector(s) failed through the CLI:\n{}", failures.len(), failures.join("\n"));
}

/// The harness must see a wrong answer, or the test above proves nothing:
/// a vector that wants 0 must fail when its credentials are expired (judged
/// by `--strict`, since the login of 02 would otherwise renew itself).
#[test]
fn the_cli_harness_notices_a_wrong_exit_code() {
    let v = vectors().into_iter().find(|v| v.file.starts_with("02-")).expect("vector 02");
    let mut wrong = v.clone();
    wrong.case["now"] = Value::from(v.now() + 40 * 86_400_000);
    wrong.case["strict"] = Value::Bool(true);
    let bad = run_json(&wrong);
    assert!(bad.iter().any(|b| b.starts_with("check:")), "an expired login passed as ok: {bad:?}");
}
