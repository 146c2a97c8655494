//! The sandboxed core (`dist/sandbox/clawdbot-auth.wasm`, built by
//! `scripts/build-wasm.sh`) under wasmtime must be import-free and answer
//! every envelope request exactly as the native core does, byte for byte.
//!
//! `CLAWDBOT_SANDBOX_WASM` points the tests at another module file.

#[path = "sandbox/homes.rs"]
mod homes;
#[path = "sandbox/module.rs"]
mod module;
#[path = "sandbox/vectors.rs"]
mod vectors;

use std::cell::{Cell, RefCell};

use clawdbot_auth_core::envelope;
use proptest::prelude::{Just, prop_oneof};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use wasmtime::ExternType;

use module::Sandbox;

#[test]
fn module_has_no_imports_and_exports_the_abi() {
    let (_, module) = module::compiled();
    let imports: Vec<String> = module.imports().map(|i| format!("{}::{}", i.module(), i.name())).collect();
    assert_eq!(module.imports().len(), 0, "the sandbox must import nothing, found {imports:?}");

    let export = |name: &str| module.get_export(name).unwrap_or_else(|| panic!("missing export `{name}`"));
    assert!(matches!(export("memory"), ExternType::Memory(_)), "`memory` is a memory");
    for name in ["alloc", "dealloc", "handle"] {
        assert!(matches!(export(name), ExternType::Func(_)), "`{name}` is a function");
    }
    // The typed signatures are checked when a Sandbox binds them.
    let _ = Sandbox::new();
}

#[test]
fn every_vector_gets_the_native_response() {
    let files = vectors::case_files();
    assert!(!files.is_empty(), "no vectors in tests/vectors");
    let mut sandbox = Sandbox::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let vector: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut request = vectors::status_request(&vector);
        // As the CLI-shaped report, then as the panel's view of the same home.
        for op in ["status", "view"] {
            request["op"] = serde_json::Value::from(op);
            let request = request.to_string();
            let native = envelope::handle(&request);
            let sandboxed = sandbox.handle(&request).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert_eq!(sandboxed, native, "{}: sandbox and native {op} responses differ", file.display());
        }
    }
}

#[test]
fn other_ops_and_bad_requests_get_the_native_response() {
    let mut sandbox = Sandbox::new();
    let requests = [
        String::new(),
        "not json".to_string(),
        "{}".to_string(),
        r#"{"op":"nope"}"#.to_string(),
        r#"{"op":"status"}"#.to_string(),
        r#"{"op":"renderText","now":1767225600000,"env":{},"home":{}}"#.to_string(),
        r#"{"op":"doctorPreview","now":1767225600000,"env":{},"home":{}}"#.to_string(),
        r#"{"op":"setOrder","now":1767225600000,"env":{},"home":{},"provider":"anthropic","order":["anthropic:a"]}"#
            .to_string(),
        "\u{feff}{\"op\":\"status\",\"now\":-1,\"env\":{},\"home\":{}}".to_string(),
        // Files by role, placed for the config's default agent; the panel's ops.
        by_role("status", ""),
        by_role("view", r#","rows":1"#),
        by_role("view", r#","rows":-1"#),
        by_role("moveInOrder", r#","provider":"z.ai","profileId":"zai:a","by":-1"#),
        by_role("moveInOrder", r#","provider":"zai","profileId":"zai:b","by":-1"#),
        // The command flows run in the module as natively: doctor, order set.
        by_role("doctorPreview", ""),
        by_role("setOrder", r#","provider":"zai","order":["zai:a","zai:b"]"#),
        by_role("setOrder", r#","provider":"zai","order":["zai:nope"]"#),
        r#"{"op":"status","now":1767225600000,"files":{"auth.json":"{}"}}"#.to_string(),
        r#"{"op":"identify","name":"auth.json","text":"{\"anthropic\":{\"type\":\"api_key\",\"key\":\"k\"}}"}"#
            .to_string(),
        r#"{"op":"identify"}"#.to_string(),
    ];
    for request in &requests {
        assert_eq!(sandbox.handle(request).expect("no trap"), envelope::handle(request), "request {request:?}");
    }
}

#[test]
fn the_sandbox_places_files_by_role_for_the_default_agent() {
    let mut sandbox = Sandbox::new();
    let answer = sandbox.handle(&by_role("view", "")).expect("no trap");
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
    assert_eq!(answer["locations"]["store"], "~/.clawdbot/agents/ops/agent/auth-profiles.json");
    assert_eq!(answer["view"]["profiles"]["total"], 2, "{answer}");
    assert_eq!(answer["view"]["orders"][0]["stored"]["rows"], serde_json::json!(["zai:b", "zai:a"]));
}

/// A request with a store and a config given by role: the config's default
/// agent is `ops`, and the store orders `zai` under the alias `z.ai`.
fn by_role(op: &str, extra: &str) -> String {
    let key = r#"{"type":"api_key","provider":"zai","key":"k-FAKE"}"#;
    let store =
        format!(r#"{{"version":1,"profiles":{{"zai:a":{key},"zai:b":{key}}},"order":{{"z.ai":["zai:b","zai:a"]}}}}"#);
    let config = r#"{"agents":{"list":[{"id":"ops","default":true}]}}"#;
    format!(r#"{{"op":"{op}","now":1767225600000,"files":{{"store":{store},"config":{config}}}{extra}}}"#)
}

#[test]
fn generated_homes_get_the_native_response() {
    // The nested strategies' value trees are deep; in a debug build they need
    // more than the test thread's default 2 MiB of stack.
    let worker = std::thread::Builder::new().stack_size(64 << 20).spawn(differential_property).expect("spawn");
    if let Err(panic) = worker.join() {
        std::panic::resume_unwind(panic);
    }
}

fn differential_property() {
    let config = Config { cases: 1000, failure_persistence: None, max_shrink_iters: 256, ..Config::default() };
    let mut runner = TestRunner::new(config);
    // One instance for every case: this also checks that the module's
    // allocator holds up over many calls. (`run` takes a `Fn`.)
    let sandbox = RefCell::new(Sandbox::new());
    let answered = Cell::new(0usize);
    // The same home must also render and preview the same way.
    let op = prop_oneof![3 => Just("status"), 1 => Just("renderText"), 1 => Just("doctorPreview"), 1 => Just("view")];
    // A third of the homes go in by role, as the panel sends them.
    let shape = (homes::status_request(), op, proptest::bool::weighted(0.33));
    let result = runner.run(&shape, |(mut request, op, by_role)| {
        request["op"] = serde_json::Value::String(op.to_string());
        if by_role {
            homes::by_role(&mut request);
        }
        let request = request.to_string();
        let native = envelope::handle(&request);
        let sandboxed = sandbox.borrow_mut().handle(&request).map_err(TestCaseError::fail)?;
        if !native.starts_with(r#"{"error""#) {
            answered.set(answered.get() + 1);
        }
        if sandboxed != native {
            return Err(TestCaseError::fail(format!(
                "responses differ\nrequest:   {request}\nnative:    {native}\nsandboxed: {sandboxed}"
            )));
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    // Guard against a generator that only ever produces rejected requests.
    assert!(answered.get() >= 500, "only {} of 1000 generated requests got a report", answered.get());
}

#[test]
fn memory_does_not_grow_across_calls() {
    let mut sandbox = Sandbox::new();
    let files = vectors::case_files();
    let requests: Vec<String> = files
        .iter()
        .map(|file| {
            let vector: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(file).expect("read vector")).expect("vector JSON");
            vectors::status_request(&vector).to_string()
        })
        .collect();
    let call = |sandbox: &mut Sandbox, i: usize| sandbox.handle(&requests[i % requests.len()]).expect("no trap");

    // Warm up: let the allocator reach its working set.
    for i in 0..100 {
        call(&mut sandbox, i);
    }
    let before = sandbox.memory_bytes();
    for i in 0..1000 {
        call(&mut sandbox, i);
    }
    let after = sandbox.memory_bytes();
    // If results or requests leaked, 1000 calls of a few KiB each would add
    // megabytes; allow one 64 KiB page of allocator slack.
    assert!(after <= before + 65_536, "linear memory grew from {before} to {after} bytes over 1000 calls");
}

#[test]
fn a_large_call_grows_memory_in_a_few_large_steps() {
    // A store of 1000 profiles (about 200 KB): the call needs some 6 MB,
    // which growing page by page as each allocation asks takes dozens of
    // `memory.grow`s (and in a JavaScript host as many new ArrayBuffers).
    let mut profiles = serde_json::Map::new();
    for i in 0..1000_i64 {
        let provider = ["anthropic", "openai", "zai"][(i % 3) as usize];
        let profile = match i % 3 {
            0 => serde_json::json!({"type": "api_key", "provider": provider, "key": format!("sk-FAKE-{i:08}")}),
            1 => serde_json::json!({"type": "token", "provider": provider, "token": format!("FAKE-{i}"),
                                    "expires": 1_767_225_600_000_i64 + i * 3_600_000}),
            _ => serde_json::json!({"type": "oauth", "provider": provider, "access": "FAKE", "refresh": "FAKE",
                                    "expires": 1_767_225_600_000_i64 - 3_600_000 + i * 60_000}),
        };
        profiles.insert(format!("{provider}:user{i}"), profile);
    }
    let store = serde_json::json!({"version": 1, "profiles": profiles});
    let request =
        serde_json::json!({"op": "status", "now": 1_767_225_600_000_i64, "files": {"store": store}}).to_string();
    let native = envelope::handle(&request);

    let mut sandbox = Sandbox::new();
    let (bytes, grows) = (sandbox.memory_bytes(), sandbox.memory_grows());
    assert_eq!(sandbox.handle(&request).expect("no trap"), native);
    let (first_bytes, first_grows) = (sandbox.memory_bytes(), sandbox.memory_grows());
    assert!(first_bytes >= bytes + (2 << 20), "the call should need memory: {bytes} -> {first_bytes} bytes");
    // The memory at least doubles when it grows: from ~1.3 MB that is a
    // handful of steps, whatever the number of allocations.
    assert!(
        first_grows - grows <= 6,
        "linear memory grew {} times in one call ({bytes} -> {first_bytes} bytes)",
        first_grows - grows
    );
    // The same call again fits in what the first one left.
    assert_eq!(sandbox.handle(&request).expect("no trap"), native);
    assert_eq!(sandbox.memory_grows(), first_grows, "a second call of the same size grew the memory");
}
