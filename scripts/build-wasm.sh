#!/usr/bin/env bash
# Builds the core for WebAssembly:
#   dist/node/                    wasm-bindgen glue for Node (CommonJS)
#   dist/web/                     wasm-bindgen glue for browsers + the admin panel (host-wasm/www)
#   dist/web/offline/             the same for pages opened from file:// (classic
#                                 glue + the module as base64: browsers refuse
#                                 module scripts and fetch() there)
#   dist/sandbox/clawdbot-auth.wasm  the import-free module (alloc/dealloc/handle)
# Idempotent: installs the wasm32 target, the wasm-bindgen CLI and the
# sandbox's nightly toolchain with rust-src only when missing, and cargo
# skips the build when nothing changed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

target=wasm32-unknown-unknown
target_dir="${CARGO_TARGET_DIR:-$root/target}"
release_dir="$target_dir/$target/wasm"
# The wasm-bindgen module's own profile: opt-level 3, for the panel's speed (Cargo.toml).
panel_dir="$target_dir/$target/wasm-panel"
dist="$root/dist"

# The CLI must be exactly the version of the wasm-bindgen crate; the root
# Cargo.toml's pin (`wasm-bindgen = "=X"`) is the one place it is written.
bindgen_version="$(sed -n 's/^wasm-bindgen[[:space:]]*=[[:space:]]*"=\([0-9][^"]*\)".*/\1/p' Cargo.toml | head -n1)"
if [[ -z "$bindgen_version" ]]; then
    echo "build-wasm: no 'wasm-bindgen = \"=X\"' pin found in $root/Cargo.toml" >&2
    exit 1
fi

if ! rustup target list --installed | grep -qx "$target"; then
    echo "build-wasm: installing the $target target"
    rustup target add "$target"
fi

installed="$(wasm-bindgen --version 2>/dev/null || true)"
if [[ "$installed" != "wasm-bindgen $bindgen_version" ]]; then
    echo "build-wasm: installing wasm-bindgen-cli $bindgen_version (found: ${installed:-none})"
    # No --locked: the CLI's lockfile wants crate versions this registry lacks
    # (toolchain notes, gotcha 2). --no-default-features drops the TLS stack
    # that only its test runner's downloader uses.
    cargo install wasm-bindgen-cli --version "$bindgen_version" --no-default-features
fi

# The sandbox module alone is built with a pinned nightly that rebuilds std
# from source (the rust-src component) for size: sorts and the rest of
# core/alloc chosen for size (`optimize_for_size`), and panics that abort at
# once with no message formatting (`-C panic=immediate-abort`): 147 KB less
# (docs/wasm.md). Only nightly accepts `-Z build-std`; everything else,
# the wasm-bindgen build included, stays on the stable toolchain. Pinned so
# the unstable flags keep their meaning; installed when missing.
sandbox_toolchain=nightly-2026-05-20
if ! rustup toolchain list | grep -q "^$sandbox_toolchain"; then
    echo "build-wasm: installing the $sandbox_toolchain toolchain (with rust-src) for the sandbox module"
    rustup toolchain install "$sandbox_toolchain" --profile minimal --component rust-src
elif ! rustup component list --toolchain "$sandbox_toolchain" --installed | grep -q '^rust-src'; then
    echo "build-wasm: installing rust-src for $sandbox_toolchain"
    rustup component add rust-src --toolchain "$sandbox_toolchain"
fi

# Two builds: one would unify the core's features, and the sandbox builds it
# without `network` (core/Cargo.toml), which the wasm-bindgen build keeps.
cargo build --profile wasm-panel --target "$target" -p clawdbot-auth-wasm
RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" \
    cargo "+$sandbox_toolchain" build --profile wasm --target "$target" -p clawdbot-auth-sandbox \
    -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size

# binaryen's wasm-opt (Debian's package) shrinks the sandbox module by another ~35%.
# (Not the wasm-bindgen builds: it breaks their externref table set-up.)
if ! command -v wasm-opt >/dev/null 2>&1; then
    echo "build-wasm: installing Debian binaryen (wasm-opt)"
    sudo=()
    if [[ "$(id -u)" -ne 0 ]]; then sudo=(sudo); fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends binaryen >/dev/null \
        || { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null \
             && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends binaryen >/dev/null; }
fi
# Features come from the module's own target_features section (never --all-features:
# it lets binaryen emit GC types that wasmtime and Node reject).
shrink() { wasm-opt -Oz --strip-debug --strip-producers "$1" -o "$1"; }

bindgen_input="$panel_dir/clawdbot_auth_wasm.wasm"
sandbox_input="$release_dir/clawdbot_auth_sandbox.wasm"

rm -rf "$dist/node" "$dist/web" "$dist/sandbox"
mkdir -p "$dist/node" "$dist/web" "$dist/sandbox"

wasm-bindgen --target nodejs --remove-name-section --remove-producers-section --out-dir "$dist/node" "$bindgen_input"
wasm-bindgen --target web --remove-name-section --remove-producers-section --out-dir "$dist/web" "$bindgen_input"
cp "$root"/host-wasm/www/* "$dist/web/"

offline="$dist/web/offline"
mkdir -p "$offline"
wasm-bindgen --target no-modules --remove-name-section --remove-producers-section --no-typescript \
    --out-dir "$offline" "$bindgen_input"
{
    printf '// The core module for pages opened from file://, generated by scripts/build-wasm.sh.\n'
    printf 'window.CLAWDBOT_AUTH_WASM_BASE64 = "'
    base64 -w0 "$offline/clawdbot_auth_wasm_bg.wasm"
    printf '";\n'
} >"$offline/wasm-bytes.js"
rm "$offline/clawdbot_auth_wasm_bg.wasm"
cp "$sandbox_input" "$dist/sandbox/clawdbot-auth.wasm"
shrink "$dist/sandbox/clawdbot-auth.wasm"

echo "build-wasm: artefacts (bytes)"
for file in \
    "$dist/node/clawdbot_auth_wasm_bg.wasm" \
    "$dist/web/clawdbot_auth_wasm_bg.wasm" \
    "$dist/web/offline/wasm-bytes.js" \
    "$dist/sandbox/clawdbot-auth.wasm"; do
    printf '  %9d  %s\n' "$(wc -c <"$file")" "${file#"$root"/}"
done
printf '  %9d  %s\n' "$(gzip -9c "$dist/web/clawdbot_auth_wasm_bg.wasm" | wc -c)" \
    "dist/web/clawdbot_auth_wasm_bg.wasm, gzip -9"
