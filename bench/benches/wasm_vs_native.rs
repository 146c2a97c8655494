//! One `status` request over a generated home of N profiles, through the
//! native core and through the sandboxed module in wasmtime; prints the
//! median of each and their ratio (a benchmark, not a test: compare the
//! ratio, measured in one run on one machine).
//!
//! Run: `scripts/build-wasm.sh && cargo bench -p clawdbot-bench --bench wasm_vs_native [-- N...]`

#[path = "../../tests/tests/sandbox/module.rs"]
#[allow(dead_code)]
mod module;

use clawdbot_bench::status_request;
use std::time::{Duration, Instant};

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
        let req = status_request(n);
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
