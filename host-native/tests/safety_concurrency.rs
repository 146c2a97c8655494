//! Concurrency: eight `clawdbot` processes at a time doing read-modify-write
//! operations on one store lose no update; a lock left by a SIGKILLed
//! holder is taken over once stale; a lock held by a live process gives
//! exit 3 and "locked" after `CLAWDBOT_LOCK_WAIT_MS`, not a hang.
//!
//! Default: 8 writers × 50 `order set` and 8 × 20 `paste-token`;
//! `CLAWDBOT_SAFETY_LONG=1`: 8 × 500 and 8 × 100.

mod safety_common;

use safety_common::*;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const WRITERS: usize = 8;
const PROFILES_PER_PROVIDER: usize = 5;

fn provider(i: usize) -> String {
    format!("prov{i}")
}

/// A store with five api-key profiles for each of the eight providers.
fn seeded_home() -> Home {
    let home = Home::new();
    let mut profiles = serde_json::Map::new();
    for i in 0..WRITERS {
        for k in 0..PROFILES_PER_PROVIDER {
            profiles.insert(
                format!("{}:k{k}", provider(i)),
                json!({"type": "api_key", "provider": provider(i), "key": format!("sk-test-{i}-{k}-0000000000")}),
            );
        }
    }
    home.write_json(STORE, &json!({"version": 1, "profiles": profiles}));
    home
}

/// The `n`-th permutation (in lexicographic order) of the five profile ids
/// of provider `i`.
fn order_number(i: usize, n: usize) -> Vec<String> {
    let mut pool: Vec<usize> = (0..PROFILES_PER_PROVIDER).collect();
    let mut n = n % (1..=PROFILES_PER_PROVIDER).product::<usize>();
    let mut out = Vec::new();
    for left in (1..=PROFILES_PER_PROVIDER).rev() {
        let block = (1..left).product::<usize>();
        out.push(pool.remove(n / block));
        n %= block;
    }
    out.into_iter().map(|k| format!("{}:k{k}", provider(i))).collect()
}

/// Runs `per_writer` operations in each of eight threads at once, each a
/// separate process; returns the elapsed time and the slowest operation.
fn in_parallel(per_writer: usize, op: impl Fn(usize, usize) -> Run + Sync) -> (Duration, Duration) {
    let started = Instant::now();
    let slowest = std::thread::scope(|s| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|i| {
                let op = &op;
                s.spawn(move || {
                    let mut slowest = Duration::ZERO;
                    for n in 0..per_writer {
                        let run = op(i, n);
                        assert!(!run.timed_out, "{}: hung", run.what());
                        assert_eq!(run.code, Some(0), "writer {i} op {n}: {}: {}", run.what(), run.err());
                        slowest = slowest.max(run.elapsed);
                    }
                    slowest
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("writer thread")).max().unwrap_or_default()
    });
    (started.elapsed(), slowest)
}

fn long_limit() -> Duration {
    // Eight contenders back off up to 10 s each: never a hang, but slow.
    Duration::from_secs(60)
}

#[test]
fn eight_writers_setting_orders_lose_no_update() {
    let per_writer = if long_run() { 500 } else { 50 };
    let home = seeded_home();
    let before = home.store();
    let (elapsed, slowest) = in_parallel(per_writer, |i, n| {
        let ids = order_number(i, n);
        let mut args = vec!["models", "auth", "order", "set", "--provider"];
        let p = provider(i);
        args.push(&p);
        args.extend(ids.iter().map(String::as_str));
        run_cmd(&mut home.cmd(), &args, b"", long_limit())
    });
    let after = home.store();
    for i in 0..WRITERS {
        let want = order_number(i, per_writer - 1);
        assert_eq!(after["order"][provider(i)], json!(want), "provider {i}: an update was lost");
    }
    assert_eq!(after["profiles"], before["profiles"], "order set changed a profile");
    assert!(home.store_temps().is_empty(), "temp files left: {:?}", home.store_temps());
    assert!(!home.lock_dir().exists(), "lock left behind");
    assert_eq!(mode(&home.store_path()), 0o600);
    println!(
        "safety_concurrency order set: {WRITERS} writers x {per_writer} ops in {:.1} s (slowest op {:.2} s)",
        elapsed.as_secs_f64(),
        slowest.as_secs_f64()
    );
}

#[test]
fn eight_writers_pasting_tokens_lose_no_profile() {
    let per_writer = if long_run() { 100 } else { 20 };
    let home = seeded_home();
    let token = |i: usize, n: usize| format!("sk-test-PASTE-{i}-{n:04}-{}", "p".repeat(24));
    let (elapsed, slowest) = in_parallel(per_writer, |i, n| {
        let id = format!("{}:paste{n}", provider(i));
        let p = provider(i);
        let args = ["models", "auth", "paste-token", "--provider", &p, "--profile-id", &id];
        run_cmd(&mut home.cmd(), &args, format!("{}\n", token(i, n)).as_bytes(), long_limit())
    });
    let store = home.store();
    let config: Value = serde_json::from_slice(&home.read(CONFIG).expect("clawdbot.json")).expect("config json");
    let mut missing = Vec::new();
    for i in 0..WRITERS {
        for n in 0..per_writer {
            let id = format!("{}:paste{n}", provider(i));
            if store["profiles"][&id]["token"] != json!(token(i, n)) {
                missing.push(format!("store {id}"));
            }
            if config["auth"]["profiles"][&id]["mode"] != "token" {
                missing.push(format!("clawdbot.json {id}"));
            }
        }
    }
    assert!(missing.is_empty(), "{} updates lost: {missing:?}", missing.len());
    println!(
        "safety_concurrency paste-token: {WRITERS} writers x {per_writer} ops in {:.1} s (slowest op {:.2} s)",
        elapsed.as_secs_f64(),
        slowest.as_secs_f64()
    );
}

#[test]
fn a_stale_lock_folder_is_taken_over() {
    let home = seeded_home();
    let lock = home.lock_dir();
    std::fs::create_dir(&lock).expect("mkdir lock");
    backdate(&lock, Duration::from_secs(60));
    let run = home.run(&["models", "auth", "order", "set", "--provider", "prov0", "prov0:k1", "prov0:k0"], b"");
    assert_eq!(run.code, Some(0), "{}", run.err());
    assert_eq!(home.store()["order"]["prov0"], json!(["prov0:k1", "prov0:k0"]));
    assert!(!lock.exists(), "the taken-over lock is released");
}

#[test]
fn a_sigkilled_holders_lock_is_taken_over_once_stale() {
    // A refresh waiting on a server that never answers holds the lock.
    let server = Endpoint::start(Behaviour::Drip { body: b"{}".to_vec(), every: Duration::from_secs(30) });
    let home = seeded_home();
    let mut store = home.store();
    store["profiles"]["anthropic:work"] = oauth("sk-ant-oat01-HOLD", "sk-ant-ort01-HOLD", NOW - 1000);
    home.write_json(STORE, &store);
    let mut holder = home
        .cmd()
        .env("CLAWDBOT_TOKEN_URL_ANTHROPIC", server.url())
        .env("CLAWDBOT_HTTP_TIMEOUT_MS", "30000")
        .args(["models", "auth", "refresh", "--profile", "anthropic:work"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn holder");
    let lock = home.lock_dir();
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.requests() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(lock.is_dir() && server.requests() == 1, "the holder is inside the lock");
    holder.kill().expect("SIGKILL the holder");
    holder.wait().expect("reap");
    assert!(lock.is_dir(), "a SIGKILLed holder leaves its lock");
    // 30 s later nobody has refreshed it: stale.
    backdate(&lock, Duration::from_secs(60));
    let run = home.run(&["models", "auth", "order", "set", "--provider", "prov1", "prov1:k2"], b"");
    assert_eq!(run.code, Some(0), "{}", run.err());
    assert_eq!(home.store()["order"]["prov1"], json!(["prov1:k2"]));
    assert_eq!(home.store()["profiles"]["anthropic:work"]["refresh"], "sk-ant-ort01-HOLD");
    assert!(!lock.exists());
}

#[test]
fn a_live_lock_gives_exit_3_after_the_bounded_wait() {
    let home = seeded_home();
    let before = home.read(STORE).expect("store");
    let lock = home.lock_dir();
    std::fs::create_dir(&lock).expect("mkdir lock");
    // Another holder keeps its lock fresh.
    let stop = Arc::new(AtomicBool::new(false));
    let toucher = {
        let (stop, lock) = (Arc::clone(&stop), lock.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                backdate(&lock, Duration::ZERO);
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    };
    for args in [
        &["models", "auth", "order", "set", "--provider", "prov0", "prov0:k3"][..],
        &["models", "auth", "paste-token", "--provider", "prov0", "--profile-id", "prov0:new"][..],
    ] {
        let run = run_cmd(home.cmd().env("CLAWDBOT_LOCK_WAIT_MS", "1500"), args, b"sk-test-x-0000000000\n", RUN_LIMIT);
        assert!(!run.timed_out, "{}: hung", run.what());
        assert_eq!(run.code, Some(3), "{}: {}", run.what(), run.err());
        assert!(run.err().contains("locked"), "{}: {}", run.what(), run.err());
        println!("{}: gave up after {:.2} s (CLAWDBOT_LOCK_WAIT_MS=1500)", run.what(), run.elapsed.as_secs_f64());
    }
    stop.store(true, Ordering::SeqCst);
    toucher.join().expect("toucher");
    assert!(lock.is_dir(), "someone else's lock is left alone");
    assert_eq!(home.read(STORE).expect("store"), before, "nothing written without the lock");
}

#[test]
fn the_permutations_are_distinct() {
    let all: std::collections::BTreeSet<Vec<String>> = (0..120).map(|n| order_number(0, n)).collect();
    assert_eq!(all.len(), 120);
}
