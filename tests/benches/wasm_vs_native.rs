//! One `status` request over a generated home of N profiles, through the
//! native core and through the sandboxed module in wasmtime; prints the
//! median of each and their ratio (a benchmark, not a test: compare the
//! ratio, measured in one run on one machine).
//!
//! Run: `scripts/build-wasm.sh && cargo bench -p clawdbot-conformance --bench wasm_vs_native [-- N...]`

#[path = "../tests/sandbox/module.rs"]
#[allow(dead_code)]
mod module;

use serde_json::{Value, json};
use std::time::{Duration, Instant};

const NOW: i64 = 1_767_225_600_000;

fn request(n: usize) -> String {
    let providers = ["anthropic", "openai-codex", "openai", "google-antigravity", "github-copilot"];
    let mut profiles = serde_json::Map::new();
    for i in 0..n {
        let p = providers[i % providers.len()];
        let cred = match i % 3 {
            0 => json!({"type": "api_key", "provider": p, "key": format!("sk-FAKE-{i:08}-FAKEFAKEFAKE")}),
            1 => json!({"type": "token", "provider": p, "token": format!("FAKE-{i}"), "expires": NOW + (i as i64 % 90) * 86_400_000}),
            _ => json!({"type": "oauth", "provider": p, "access": "FAKE", "refresh": "FAKE",
                        "expires": NOW + (i as i64 % 50 - 5) * 3_600_000, "email": format!("u{i}@example.com")}),
        };
        profiles.insert(format!("{p}:user{i}@example.com"), cred);
    }
    let store = json!({"version": 1, "profiles": Value::Object(profiles)});
    json!({"op": "status", "now": NOW, "home": {".clawdbot/agents/main/agent/auth-profiles.json": store.to_string()}})
        .to_string()
}

fn median(mut f: impl FnMut(), runs: usize) -> Duration {
    f(); // warm-up
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![50, 5000] } else { sizes };
    let mut sandbox = module::Sandbox::new();
    println!("| profiles | request bytes | native (ms) | wasmtime (ms) | wasm / native |");
    println!("|---:|---:|---:|---:|---:|");
    for n in sizes {
        let req = request(n);
        let native = clawdbot_auth_core::envelope::handle(&req);
        let wasm = sandbox.handle(&req).expect("sandbox call");
        assert_eq!(native, wasm, "the sandbox must answer exactly as the native core");
        let runs = if n > 20_000 { 5 } else { 21 };
        let t_native = median(|| drop(clawdbot_auth_core::envelope::handle(&req)), runs);
        let t_wasm = median(|| drop(sandbox.handle(&req)), runs);
        println!(
            "| {n} | {} | {:.2} | {:.2} | {:.2}x |",
            req.len(),
            t_native.as_secs_f64() * 1e3,
            t_wasm.as_secs_f64() * 1e3,
            t_wasm.as_secs_f64() / t_native.as_secs_f64()
        );
    }
}
