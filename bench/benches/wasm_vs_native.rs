//! One `status` request over a generated home of N profiles, through the
//! native core and through the sandboxed module in wasmtime, both in this
//! process (the module compiled once, one instance reused), run alternately;
//! prints the median of each and the median of their ratios (a benchmark,
//! not a test: compare the ratio, measured in one run on one machine).
//!
//! Run: `scripts/build-wasm.sh && cargo bench -p clawdbot-bench --bench wasm_vs_native [-- N...]`

#[path = "../../tests/tests/sandbox/module.rs"]
#[allow(dead_code)]
mod module;

use clawdbot_bench::status_request;
use std::time::{Duration, Instant};

/// The median times of `a` and `b` and the median of their ratios, run
/// alternately (a b a b ...) after a warm-up of each, so that a change in
/// the machine's load weighs on both alike.
fn medians(mut a: impl FnMut(), mut b: impl FnMut(), runs: usize) -> (Duration, Duration, f64) {
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        start.elapsed()
    };
    a();
    b();
    let mut pairs: Vec<(Duration, Duration)> = (0..runs).map(|_| (time(&mut a), time(&mut b))).collect();
    let mut ratios: Vec<f64> = pairs.iter().map(|(a, b)| b.as_secs_f64() / a.as_secs_f64()).collect();
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[runs / 2];
    pairs.sort_by_key(|(a, _)| *a);
    let a = pairs[runs / 2].0;
    pairs.sort_by_key(|(_, b)| *b);
    (a, pairs[runs / 2].1, ratio)
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
        let (t_native, t_wasm, ratio) =
            medians(|| drop(clawdbot_auth_core::envelope::handle(&req)), || drop(sandbox.handle(&req)), runs);
        println!(
            "| {n} | {} | {:.2} | {:.2} | {ratio:.2}x |",
            req.len(),
            t_native.as_secs_f64() * 1e3,
            t_wasm.as_secs_f64() * 1e3,
        );
    }
}
