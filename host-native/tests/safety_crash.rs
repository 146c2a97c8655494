//! Crash safety: `clawdbot` writers SIGKILLed at seeded pseudo-random
//! moments (within the measured length of one run). After every kill the store parses and the
//! fields the operation changes hold either the old or the new value, never
//! a mix; every other profile is untouched; at most one lock folder and a
//! bounded number of temp files are left, and stale temps are cleaned by the
//! next write.
//!
//! Four writers: a sync (Claude Code holds a longer-lived login), `order
//! set`, `paste-token` and `refresh` against a local token server. The
//! default run makes at least 80 kills per writer (320 in all);
//! `CLAWDBOT_SAFETY_LONG=1` makes 800 per writer (3200).

mod safety_common;

use safety_common::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn kills_wanted() -> usize {
    if long_run() { 800 } else { 80 }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Sync,
    Order,
    Paste,
    Refresh,
}

#[derive(Debug, Default)]
struct Stats {
    iterations: usize,
    kills: usize,
    completed: usize,
    old_after_kill: usize,
    new_after_kill: usize,
    locks_left: usize,
    temps_left: usize,
    max_temps: usize,
}

/// The writer under test, its HOME and what it is expected to change.
struct Writer {
    kind: Kind,
    home: Home,
    server: Option<Endpoint>,
    /// The profiles the operation must never touch, as set up.
    untouched: Value,
    /// Profile ids the operation may change.
    target: &'static str,
}

impl Writer {
    fn new(kind: Kind) -> Writer {
        let home = Home::new();
        let bystander = json!({"type": "api_key", "provider": "openai", "key": "sk-bystander-key-0000000000"});
        let (profiles, target) = match kind {
            Kind::Sync => (json!({"openai:by": bystander}), "anthropic:claude-cli"),
            Kind::Order => (
                json!({"openai:by": bystander,
                    "anthropic:a": {"type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-AAAA-0000000000"},
                    "anthropic:b": {"type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-BBBB-0000000000"}}),
                "-",
            ),
            Kind::Paste => (json!({"openai:by": bystander}), "anthropic:pasted"),
            Kind::Refresh => (
                json!({"openai:by": bystander,
                    "anthropic:work": oauth("sk-ant-oat01-ROT-0", "sk-ant-ort01-ROT-0", NOW + 3_600_000)}),
                "anthropic:work",
            ),
        };
        home.write_json(STORE, &json!({"version": 1, "profiles": profiles}));
        let server = (kind == Kind::Refresh).then(|| Endpoint::start(Behaviour::Rotating));
        let mut untouched = profiles;
        if let Some(map) = untouched.as_object_mut() {
            map.remove(target);
        }
        Writer { kind, home, server, untouched, target }
    }

    /// The part of the store this writer changes.
    fn project(&self, store: &Value) -> Value {
        match self.kind {
            Kind::Order => store["order"]["anthropic"].clone(),
            Kind::Paste => store["profiles"][self.target]["token"].clone(),
            Kind::Sync | Kind::Refresh => {
                let p = &store["profiles"][self.target];
                json!([p["access"], p["refresh"], p["expires"]])
            }
        }
    }

    /// Prepares iteration `i`: returns the command, the stdin and the
    /// expected new projection (`None` when only the server knows it).
    fn prepare(&self, i: usize, current: &Value) -> (Vec<String>, Vec<u8>, Option<Value>) {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        match self.kind {
            Kind::Sync => {
                let (access, refresh) = (format!("sk-ant-oat01-SYNC-{i}"), format!("sk-ant-ort01-SYNC-{i}"));
                // Longer-lived each time, so every sync replaces the login.
                let expires = NOW + 86_400_000 + i as i64 * 1000;
                self.home.write_json(
                    CLAUDE,
                    &json!({"claudeAiOauth": {"accessToken": access, "refreshToken": refresh,
                        "expiresAt": expires, "scopes": ["user:inference"]}}),
                );
                (args(&["models", "status"]), Vec::new(), Some(json!([access, refresh, expires])))
            }
            Kind::Order => {
                let ab = json!(["anthropic:a", "anthropic:b"]);
                let next = if *current == ab { json!(["anthropic:b", "anthropic:a"]) } else { ab };
                let ids: Vec<&str> = next.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
                let mut a = args(&["models", "auth", "order", "set", "--provider", "anthropic"]);
                a.extend(ids.iter().map(|s| s.to_string()));
                (a, Vec::new(), Some(next))
            }
            Kind::Paste => {
                let token = format!("sk-ant-oat01-PASTE-{i:05}-{}", "x".repeat(40));
                let a =
                    args(&["models", "auth", "paste-token", "--provider", "anthropic", "--profile-id", self.target]);
                (a, format!("{token}\n").into_bytes(), Some(json!(token)))
            }
            Kind::Refresh => {
                let a = args(&["models", "auth", "refresh", "--profile", self.target, "--force"]);
                (a, Vec::new(), None)
            }
        }
    }

    fn command(&self) -> std::process::Command {
        let mut cmd = self.home.cmd();
        if let Some(server) = &self.server {
            cmd.env("CLAWDBOT_TOKEN_URL_ANTHROPIC", server.url());
        }
        cmd
    }

    /// What the server sent this iteration, as the store would hold it.
    /// Every answer the token server sent since the last call, as the
    /// store would hold it. A killed run's request may be answered after
    /// the next run's, so the one a run stored need not be the last.
    fn served(&self) -> Vec<Value> {
        let Some(server) = &self.server else { return Vec::new() };
        // Anthropic: now + expires_in - 5 min.
        server.take_sent().into_iter().map(|(a, r, e)| json!([a, r, NOW + e * 1000 - 300_000])).collect()
    }

    /// Temp files of every file this writer writes.
    fn temps(&self) -> Vec<PathBuf> {
        let mut all = self.home.store_temps();
        all.extend(temps_in(&self.home.join(".clawdbot"), "clawdbot.json"));
        all
    }
}

/// Uninterrupted runs that measure how long one run takes.
const CALIBRATION_RUNS: usize = 3;

fn crash_loop(kind: Kind, seed: u64) -> Stats {
    let writer = Writer::new(kind);
    let mut rng = XorShift::new(seed);
    let mut stats = Stats::default();
    let wanted = kills_wanted();
    let started = Instant::now();
    // Temp files we backdated past the stale age: the next write that
    // reaches the lock must remove them.
    let mut backdated: BTreeSet<PathBuf> = BTreeSet::new();
    // Kills are drawn within the time a run takes (the median of the first
    // uninterrupted runs), so they land inside it however fast the binary is.
    let mut durations: Vec<Duration> = Vec::new();
    let mut window_us: u64 = 30_000;
    while stats.kills < wanted {
        assert!(stats.iterations < wanted * 8, "{kind:?}: too few runs could be killed: {stats:?}");
        let i = stats.iterations;
        stats.iterations += 1;
        let before_store = writer.home.store();
        let before = writer.project(&before_store);
        let (args, stdin, expected) = writer.prepare(i, &before);
        let spawned = Instant::now();
        let mut child = writer
            .command()
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn clawdbot");
        if let Some(mut pipe) = child.stdin.take() {
            let _ = pipe.write_all(&stdin);
        }
        let (killed, delay) = if i < CALIBRATION_RUNS {
            // Let it finish: how long a run takes sets where to kill.
            let _ = child.try_wait();
            (false, Duration::ZERO)
        } else {
            let delay = Duration::from_micros(rng.below(window_us));
            std::thread::sleep(delay);
            let killed = match child.try_wait().expect("try_wait") {
                Some(_) => false,
                None => {
                    child.kill().expect("SIGKILL");
                    true
                }
            };
            (killed, delay)
        };
        let out = child.wait_with_output().expect("wait");
        if i < CALIBRATION_RUNS {
            durations.push(spawned.elapsed());
            if durations.len() == CALIBRATION_RUNS {
                durations.sort();
                window_us = (durations[CALIBRATION_RUNS / 2].as_micros() as u64).max(1_000);
            }
        }
        let served = writer.served();
        if killed {
            stats.kills += 1;
        } else {
            stats.completed += 1;
            assert_eq!(
                out.status.code(),
                Some(0),
                "{kind:?} iteration {i}: an uninterrupted {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }

        // The store: JSON, old or new, never a mix.
        let after_store = writer.home.store();
        let after = writer.project(&after_store);
        let is_old = after == before;
        let is_new = expected.as_ref() == Some(&after) || served.contains(&after);
        assert!(
            is_old || is_new,
            "{kind:?} iteration {i} (killed {killed} after {delay:?}): store holds {after}, \
             neither the old {before} nor the new {expected:?} / one served {served:?}"
        );
        if !killed {
            assert!(
                is_new,
                "{kind:?} iteration {i}: a completed run left {after}, want {expected:?} / one of {served:?}"
            );
        } else if is_new && !is_old {
            stats.new_after_kill += 1;
        } else {
            stats.old_after_kill += 1;
        }
        for (id, profile) in writer.untouched.as_object().unwrap() {
            assert_eq!(&after_store["profiles"][id], profile, "{kind:?} iteration {i}: {id} changed");
        }
        if kind == Kind::Refresh {
            assert_eq!(after_store["profiles"]["anthropic:work"]["email"], "user@example.invalid");
        }
        if kind == Kind::Paste
            && let Some(bytes) = writer.home.read(CONFIG)
        {
            let config: Value = serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{kind:?} iteration {i}: clawdbot.json is not JSON ({e})"));
            assert!(config.is_object(), "{kind:?} iteration {i}: clawdbot.json is {config}");
        }

        // Lock folder: at most one, left only by a killed holder.
        let lock = writer.home.lock_dir();
        if lock.exists() {
            assert!(killed, "{kind:?} iteration {i}: a completed run left its lock folder");
            assert!(lock.is_dir(), "{kind:?}: the lock is not a folder");
            stats.locks_left += 1;
            // Its holder is dead; it would go stale after 30 s. Removing it
            // keeps the run fast (stale takeover is tested separately).
            std::fs::remove_dir(&lock).expect("remove a dead holder's lock");
        }

        // Temp files: a completed write removed every backdated one; a
        // killed run leaves at most one of its own.
        let temps = writer.temps();
        if !killed {
            let survivors: Vec<_> = temps.iter().filter(|t| backdated.contains(*t)).collect();
            assert!(survivors.is_empty(), "{kind:?} iteration {i}: stale temps not cleaned: {survivors:?}");
        }
        backdated.retain(|t| t.exists());
        let fresh: Vec<PathBuf> = temps.iter().filter(|t| !backdated.contains(*t)).cloned().collect();
        assert!(fresh.len() <= 1, "{kind:?} iteration {i}: one run left {} temp files: {fresh:?}", fresh.len());
        stats.temps_left += fresh.len();
        stats.max_temps = stats.max_temps.max(temps.len());
        assert!(temps.len() <= 16, "{kind:?} iteration {i}: temp files pile up: {temps:?}");
        for temp in fresh {
            backdate(&temp, Duration::from_secs(120));
            backdated.insert(temp);
        }
    }

    // One more uninterrupted write cleans every stale temp.
    let current = writer.project(&writer.home.store());
    let (args, stdin, expected) = writer.prepare(stats.iterations, &current);
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = run_cmd(&mut writer.command(), &arg_refs, &stdin, RUN_LIMIT);
    assert_eq!(run.code, Some(0), "{kind:?}: final write: {}", run.err());
    let served = writer.served();
    let after = writer.project(&writer.home.store());
    assert!(
        expected.as_ref() == Some(&after) || served.last() == Some(&after),
        "{kind:?}: final write left {after}, want {expected:?} / the last served of {served:?}"
    );
    let left = writer.temps();
    assert!(left.is_empty(), "{kind:?}: temp files left after a clean write: {left:?}");
    assert!(!writer.home.lock_dir().exists(), "{kind:?}: lock left after a clean write");
    assert_eq!(mode(&writer.home.store_path()), 0o600);
    println!("safety_crash {kind:?}: {stats:?} in {:.1} s", started.elapsed().as_secs_f64());
    stats
}

#[test]
fn sync_survives_sigkill() {
    crash_loop(Kind::Sync, 0x5eed_0001);
}

#[test]
fn order_set_survives_sigkill() {
    crash_loop(Kind::Order, 0x5eed_0002);
}

#[test]
fn paste_token_survives_sigkill() {
    crash_loop(Kind::Paste, 0x5eed_0003);
}

#[test]
fn refresh_survives_sigkill() {
    let stats = crash_loop(Kind::Refresh, 0x5eed_0004);
    assert!(stats.kills >= kills_wanted());
}

/// A crashed writer's temp files are removed by the next write: for the
/// store, every one, however young (the writer holds the store lock, so
/// none can be a live write's); for clawdbot.json, those older than a
/// minute, a young one being possibly a live writer's.
#[test]
fn stale_temps_of_every_written_file_are_cleaned() {
    let home = Home::new();
    home.write_json(STORE, &json!({"version": 1, "profiles": {}}));
    home.write_json(CONFIG, &json!({"auth": {}}));
    let plant = |rel: &str, age: u64| {
        home.write(rel, b"{\"half\":");
        backdate(&home.join(rel), Duration::from_secs(age));
        home.join(rel)
    };
    let stale = [
        plant(".clawdbot/agents/main/agent/.auth-profiles.json.tmp-999999-0", 120),
        plant(".clawdbot/.clawdbot.json.tmp-999999-0", 120),
    ];
    let young_store_temp = plant(".clawdbot/agents/main/agent/.auth-profiles.json.tmp-999999-1", 5);
    let young = [plant(".clawdbot/.clawdbot.json.tmp-999999-1", 5)];
    let run =
        home.run(&["models", "auth", "paste-token", "--provider", "anthropic"], b"sk-ant-oat01-TEMPS-000000000\n");
    assert_eq!(run.code, Some(0), "{}", run.err());
    for path in stale {
        assert!(!path.exists(), "stale {} not cleaned", path.display());
    }
    assert!(!young_store_temp.exists(), "a dead writer's young store temp {} was left", young_store_temp.display());
    for path in young {
        assert!(path.exists(), "a live writer's {} was removed", path.display());
    }
}

/// The other profiles of the removal's store.
const BYSTANDERS: usize = 1_500;

/// `models auth remove` writes two files. SIGKILLed at seeded moments on a
/// 1 500-profile store (so that the kills land between the writes too),
/// it must leave a state in which the provider's other keys are usable
/// and `remove` run again finishes: the config is written first (issue 23
/// item 2). The store-first order left the id only in the config, whose
/// order then hid every other key (`token` exit 1), and a second `remove`
/// refused ("no profile ... in this agent's store").
#[test]
fn remove_survives_sigkill_between_its_two_writes() {
    let home = Home::new();
    // Each pasted profile has its mode recorded in the config too, so both
    // files are large and a kill lands between their writes often.
    let (mut profiles, mut modes) = (serde_json::Map::new(), serde_json::Map::new());
    for n in 0..BYSTANDERS {
        let key = format!("sk-bystander-{n:04}-0000000000");
        profiles.insert(format!("openai:by-{n}"), json!({"type": "api_key", "provider": "openai", "key": key}));
        modes.insert(format!("openai:by-{n}"), json!({"provider": "openai", "mode": "api_key"}));
    }
    modes.insert("anthropic:gone".into(), json!({"provider": "anthropic", "mode": "api_key"}));
    profiles.insert(
        "anthropic:gone".into(),
        json!({"type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-GONE"}),
    );
    profiles.insert(
        "anthropic:spare".into(),
        json!({"type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-SPARE"}),
    );
    let store = json!({"version": 1, "profiles": profiles});
    let config = json!({"auth": {"profiles": modes, "order": {"anthropic": ["anthropic:gone"]}}});
    let names_gone = |home: &Home| {
        let store = home.store();
        let config: Value = serde_json::from_slice(&home.read(CONFIG).expect("config")).expect("config is JSON");
        (store["profiles"].get("anthropic:gone").is_some(), config.to_string().contains("anthropic:gone"))
    };
    let remove = ["models", "auth", "remove", "anthropic:gone", "--yes"];
    // Each kill costs three runs on a large store: fewer than the others.
    let (mut rng, wanted) = (XorShift::new(0x5eed_0005), kills_wanted() / 4);
    let (mut kills, mut between, mut iterations) = (0, 0, 0);
    let mut window_us = None;
    let started = Instant::now();
    while kills < wanted {
        assert!(iterations < wanted * 8, "too few runs could be killed ({kills} of {iterations})");
        iterations += 1;
        home.write_json(STORE, &store);
        home.write_json(CONFIG, &config);
        let Some(window) = window_us else {
            // How long one removal takes sets where to kill.
            let run = home.run(&remove, b"");
            assert_eq!(run.code, Some(0), "{}", run.err());
            window_us = Some((run.elapsed.as_micros() as u64).max(1_000));
            continue;
        };
        let mut child = home
            .cmd()
            .args(remove)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn clawdbot");
        std::thread::sleep(Duration::from_micros(rng.below(window)));
        let killed = child.try_wait().expect("try_wait").is_none();
        if killed {
            child.kill().expect("SIGKILL");
        }
        let _ = child.wait();
        if !killed {
            continue;
        }
        kills += 1;
        if home.lock_dir().exists() {
            std::fs::remove_dir(home.lock_dir()).expect("remove a dead holder's lock");
        }
        let (in_store, in_config) = names_gone(&home);
        if in_store && !in_config {
            between += 1;
        }
        let token = home.run(&["models", "auth", "token", "--provider", "anthropic"], b"");
        assert_eq!(
            token.code,
            Some(0),
            "kill {kills} (store names it: {in_store}, config: {in_config}): no anthropic key is usable: {}",
            token.err()
        );
        if in_store || in_config {
            let again = home.run(&remove, b"");
            assert_eq!(again.code, Some(0), "kill {kills}: remove run again: {}", again.err());
            assert_eq!(names_gone(&home), (false, false), "kill {kills}: the id is still named");
        }
        assert_eq!(home.store()["profiles"].as_object().map(|p| p.len()), Some(BYSTANDERS + 1), "kill {kills}");
    }
    println!(
        "safety_crash remove: {kills} kills ({between} between the two writes) in {iterations} runs, {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
