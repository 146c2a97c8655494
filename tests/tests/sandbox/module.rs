//! The sandboxed core under wasmtime: compile the import-free module once,
//! instantiate it with no imports at all, and drive its `alloc` / `handle` /
//! `dealloc` ABI.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

use wasmtime::{Engine, Instance, Memory, Module, ResourceLimiter, Store, TypedFunc};

/// Where `scripts/build-wasm.sh` puts the module, relative to the workspace root.
const DEFAULT_PATH: &str = "dist/sandbox/clawdbot-auth.wasm";

/// The environment variable that points the tests at another module file.
pub const PATH_VAR: &str = "CLAWDBOT_SANDBOX_WASM";

/// The workspace root (this package's parent folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the tests package is inside the workspace").to_path_buf()
}

/// The module file these tests load, in order of preference:
/// `$CLAWDBOT_SANDBOX_WASM` (taken as given); the build script's output in
/// `dist/` when it is newer than every source; else the module cargo builds
/// here and now (`cargo build --profile wasm --target wasm32-unknown-unknown
/// -p clawdbot-auth-sandbox`), so plain `cargo test --workspace` works on a
/// fresh clone with only the wasm32 target installed. Relative paths are
/// taken from the workspace root (cargo runs tests in the package folder,
/// which nobody expects).
pub fn module_path() -> PathBuf {
    let root = workspace_root();
    if let Some(path) = std::env::var_os(PATH_VAR) {
        return root.join(path);
    }
    let dist = root.join(DEFAULT_PATH);
    match stale_source(&dist) {
        None if dist.is_file() => dist,
        why => {
            let why = why.map_or_else(
                || format!("{} does not exist", dist.display()),
                |src| format!("{} is older than {}", dist.display(), src.display()),
            );
            eprintln!("sandbox: {why}; building the module with cargo");
            build_with_cargo(&root)
        }
    }
}

/// Builds the sandbox crate for wasm32 with the cargo running these tests
/// (it takes the build lock only after this test binary was built, so the
/// nested call waits for nothing) and returns the module cargo wrote.
/// wasm-opt is not run: the module is larger but behaves the same.
fn build_with_cargo(root: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let status = std::process::Command::new(cargo)
        .current_dir(root)
        .args(["build", "--profile", "wasm", "--target", "wasm32-unknown-unknown", "-p", "clawdbot-auth-sandbox"])
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build the sandboxed module: {e}"));
    assert!(
        status.success(),
        "building the sandboxed module failed ({status}); is the target installed? \
         `rustup target add wasm32-unknown-unknown`, or run scripts/build-wasm.sh"
    );
    target_dir.join("wasm32-unknown-unknown/wasm/clawdbot_auth_sandbox.wasm")
}

/// The engine and the compiled module, shared by every test in this binary:
/// Cranelift compiles the module once.
pub fn compiled() -> &'static (Engine, Module) {
    static COMPILED: OnceLock<(Engine, Module)> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let path = module_path();
        assert!(path.is_file(), "the sandboxed module {} does not exist", path.display());
        let engine = Engine::default();
        let module = Module::from_file(&engine, &path)
            .unwrap_or_else(|error| panic!("cannot compile {}: {error:#}", path.display()));
        (engine, module)
    })
}

/// A source of the module changed after the build script last ran (or the
/// module is missing): comparing the native core with an older wasm build
/// reports differences that are not there, or hides ones that are.
fn stale_source(module: &Path) -> Option<PathBuf> {
    let built = modified(module)?;
    let root = workspace_root();
    ["core/src", "host-wasm/sandbox/src"]
        .into_iter()
        .filter_map(|dir| newest_file(&root.join(dir)))
        .find(|(newest, _)| *newest > built)
        .map(|(_, file)| file)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The most recently modified file under `dir`, recursively.
fn newest_file(dir: &Path) -> Option<(SystemTime, PathBuf)> {
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let candidate = if path.is_dir() { newest_file(&path) } else { modified(&path).map(|t| (t, path)) };
        if let Some(candidate) = candidate
            && newest.as_ref().is_none_or(|(t, _)| candidate.0 > *t)
        {
            newest = Some(candidate);
        }
    }
    newest
}

/// Counts the times the instance's linear memory grows (and allows each).
#[derive(Default)]
pub struct Grows(usize);

impl ResourceLimiter for Grows {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > current {
            self.0 += 1;
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, _desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

/// One live instance of the module: its own store, memory and allocator.
pub struct Sandbox {
    store: Store<Grows>,
    memory: Memory,
    alloc: TypedFunc<u32, u32>,
    dealloc: TypedFunc<(u32, u32), ()>,
    handle: TypedFunc<(u32, u32), u64>,
}

impl Sandbox {
    /// Instantiates the shared module with an empty import list.
    pub fn new() -> Self {
        let (engine, module) = compiled();
        let mut store = Store::new(engine, Grows::default());
        store.limiter(|grows| grows);
        let instance = Instance::new(&mut store, module, &[]).expect("instantiate with no imports");
        let memory = instance.get_memory(&mut store, "memory").expect("exported memory");
        let alloc = instance.get_typed_func(&mut store, "alloc").expect("alloc(len) -> ptr");
        let dealloc = instance.get_typed_func(&mut store, "dealloc").expect("dealloc(ptr, len)");
        let handle = instance.get_typed_func(&mut store, "handle").expect("handle(ptr, len) -> u64");
        Sandbox { store, memory, alloc, dealloc, handle }
    }

    /// Runs one request through the module: allocate, write, handle, read the
    /// result, free both buffers. Errors are wasm traps (a panic in the core
    /// aborts, which traps) or an invalid result.
    pub fn handle(&mut self, request: &str) -> Result<String, String> {
        let bytes = request.as_bytes();
        let len = u32::try_from(bytes.len()).map_err(|_| "request larger than 4 GiB".to_string())?;
        let ptr = self.alloc.call(&mut self.store, len).map_err(|e| format!("alloc trapped: {e:#}"))?;
        if ptr == 0 {
            return Err(format!("alloc({len}) returned null"));
        }
        self.memory.write(&mut self.store, ptr as usize, bytes).map_err(|e| format!("write request: {e}"))?;
        let packed = self.handle.call(&mut self.store, (ptr, len)).map_err(|e| format!("handle trapped: {e:#}"))?;
        self.dealloc.call(&mut self.store, (ptr, len)).map_err(|e| format!("dealloc(request) trapped: {e:#}"))?;

        let (out_ptr, out_len) = ((packed >> 32) as u32, packed as u32);
        if out_ptr == 0 {
            return Err("handle returned a null result".to_string());
        }
        let mut out = vec![0u8; out_len as usize];
        self.memory.read(&self.store, out_ptr as usize, &mut out).map_err(|e| format!("read result: {e}"))?;
        self.dealloc
            .call(&mut self.store, (out_ptr, out_len))
            .map_err(|e| format!("dealloc(result) trapped: {e:#}"))?;
        String::from_utf8(out).map_err(|e| format!("result is not UTF-8: {e}"))
    }

    /// The current size of the instance's linear memory, in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.memory.data_size(&self.store)
    }

    /// How many times the instance's linear memory has grown so far.
    pub fn memory_grows(&self) -> usize {
        self.store.data().0
    }
}
