#!/usr/bin/env bash
# Builds the wasm artefacts and runs every test of them:
#   1. the sandboxed module under wasmtime vs the native core (cargo)
#   2. the Node build against the shared vectors (node --test)
#   3. the admin panel in headless Chromium (playwright-core, node --test):
#      the file-drop page (dist/web), then `clawdbot panel` serving it live
#   4. the store lock against the npm package proper-lockfile (node --test)
# Idempotent: installs Chromium and the npm packages only when missing or
# out of date, so a second run spends its time on the tests alone.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

step() { printf '\n==> %s\n' "$*"; }

step "build (scripts/build-wasm.sh)"
"$root/scripts/build-wasm.sh"

# scripts/test.sh already ran it with the rest of the cargo tests.
if [[ "${SKIP_CARGO_SANDBOX_TEST:-0}" != 1 ]]; then
    step "sandboxed module vs native core (wasmtime)"
    cargo test -p clawdbot-conformance --test sandbox
fi

step "Node build vs the shared vectors"
node --test "$root/host-wasm/node-test/vectors.test.mjs"

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
    step "installing Debian chromium"
    sudo=()
    if [[ "$(id -u)" -ne 0 ]]; then
        sudo=(sudo)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi

browser_test="$root/host-wasm/browser-test"
installed_lock="$browser_test/node_modules/.package-lock.json"
if [[ ! -f "$installed_lock" || "$browser_test/package-lock.json" -nt "$installed_lock" || "$browser_test/package.json" -nt "$installed_lock" ]]; then
    step "npm ci (host-wasm/browser-test)"
    (cd "$browser_test" && npm ci --no-audit --no-fund)
fi

# The CLI binary comes from the cargo tests that scripts/test.sh runs first;
# the panel's doctor and order are checked against it, and so is the lock.
if [[ -z "${CLAWDBOT_BIN:-}" && ! -x "${CARGO_TARGET_DIR:-$root/target}/debug/clawdbot" ]]; then
    cargo build -q -p clawdbot
fi

step "admin panel in headless Chromium"
(cd "$browser_test" && CHROMIUM="$chromium" node --test panel.test.mjs)

step "clawdbot panel, live, in headless Chromium (the journey of issue 28)"
(cd "$browser_test" && CHROMIUM="$chromium" node --test live.test.mjs)

step "the store lock against the real proper-lockfile (Node)"
(cd "$browser_test" && node --test lockfile-interop.test.mjs)

printf '\nAll wasm tests passed. Screenshots: target/panel.png, target/panel-live.png, target/panel-live-400px.png\n'
