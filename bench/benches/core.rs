//! The core's stages on stores of 0, 50, 5 000 and 100 000 profiles:
//! parse, sync, classify (health), report + render; and one whole `status`
//! through the envelope, natively and in the sandboxed module under
//! wasmtime. Run: `scripts/build-wasm.sh && cargo bench -p clawdbot-bench`.

#[path = "../../tests/tests/sandbox/module.rs"]
#[allow(dead_code)]
mod module;

use clawdbot_auth_core::Env;
use clawdbot_auth_core::rules::claude::{ClaudeRead, read};
use clawdbot_auth_core::rules::load;
use clawdbot_auth_core::rules::parse_store;
use clawdbot_auth_core::rules::summarize;
use clawdbot_auth_core::rules::sync_external;
use clawdbot_auth_core::rules::{Config, RefStates};
use clawdbot_auth_core::rules::{ReportOptions, TextStyle, build_report, render_text};
use clawdbot_auth_core::{FileRead, MapWorld};
use clawdbot_bench::{NOW, claude_text, status_request, store_text};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const SIZES: &[usize] = &[0, 50, 5_000, 100_000];

fn world(n: usize) -> MapWorld {
    let mut w = MapWorld::default();
    w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text(store_text(n)));
    w.files.insert("/h/.claude/.credentials.json".into(), FileRead::text(claude_text()));
    w
}

fn stages(c: &mut Criterion) {
    let mut group = c.benchmark_group("core");
    group.sample_size(10);
    let env = Env::new("/h");
    let ClaudeRead::Login(login) = read(claude_text().as_bytes(), "c") else { unreachable!("the fixture is a login") };
    for &n in SIZES {
        let text = store_text(n);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("parse", n), &text, |b, t| {
            b.iter(|| parse_store(black_box(t.as_bytes()), "f"));
        });
        let (store, _) = parse_store(text.as_bytes(), "f").expect("generated store parses");
        group.bench_with_input(BenchmarkId::new("sync", n), &store, |b, s| {
            b.iter(|| {
                let mut s = s.clone();
                sync_external(&mut s, std::slice::from_ref(&login))
            });
        });
        let mut providers: Vec<String> = store.profiles.values().map(|p| p.credential.provider().to_string()).collect();
        providers.sort();
        providers.dedup();
        group.bench_with_input(BenchmarkId::new("classify", n), &store, |b, s| {
            b.iter(|| summarize(&Config::default(), &RefStates::default(), s, &providers, NOW, 86_400_000));
        });
        let w = world(n);
        let loaded = load(&w, &env, NOW, None);
        group.bench_with_input(BenchmarkId::new("report+render", n), &loaded, |b, l| {
            b.iter(|| {
                let r = build_report(l, &ReportOptions::default());
                render_text(&r, &env, TextStyle::default())
            });
        });
    }
    group.finish();
}

fn status(c: &mut Criterion) {
    let mut group = c.benchmark_group("status");
    group.sample_size(10);
    let mut sandbox = module::Sandbox::new();
    for &n in SIZES {
        let req = status_request(n);
        assert_eq!(
            sandbox.handle(&req).expect("sandbox call"),
            clawdbot_auth_core::envelope::handle(&req),
            "the sandbox answers as the native core"
        );
        group.throughput(Throughput::Bytes(req.len() as u64));
        group.bench_with_input(BenchmarkId::new("native", n), &req, |b, r| {
            b.iter(|| clawdbot_auth_core::envelope::handle(black_box(r)));
        });
        group.bench_with_input(BenchmarkId::new("wasmtime", n), &req, |b, r| {
            b.iter(|| sandbox.handle(black_box(r)));
        });
    }
    group.finish();
}

criterion_group!(benches, stages, status);
criterion_main!(benches);
