#!/usr/bin/env bash
# Benchmarks of the CLI (not tests: these machines are shared and noisy, so
# read the ratios, each measured within one set of interleaved runs).
#
# Prints, from the release build on homes made by scripts/gen-home.py:
# - the issue-27 ratios in one table, each with its target, the floor (`cat`
#   of the store(s)) and the peak resident memory of both sides:
#   `--json` / `--check` and `doctor` / `--check` at 100 000 profiles;
#   `--all-agents --check` and `--json` over 1 000 agents of 5 profiles
#   (listed in clawdbot.json, and as folders) / one agent of 5 000;
# - doctor's growth (5 000, 20 000, 100 000 profiles) and `--all-agents`'
#   (250, 500, 1 000 agents), per item;
# - every output of `models status` at 0, 50, 5 000 and 100 000 profiles;
# - the sandboxed module's size and its speed against the native core;
# - the file-drop admin panel in headless Chromium at 15 000, 30 000 and
#   60 000 profiles (host-wasm/browser-test/panel-bench.mjs): a file pick
#   drawn, an order move, the profile table's next page. Skipped, saying
#   why, when Chromium, Node or the npm packages are missing.
# Runs are interleaved A B A B ... and timed by scripts/bench.py (wall and
# CPU time, peak memory from wait4's rusage).
#
# usage: scripts/bench.sh [--quick] [--agents] [--rounds N]
#   --quick      20 000 profiles and 200 agents instead, no sandbox and no
#                panel section
#   --agents     only the `--all-agents` rows and their growth, no sandbox
#                and no panel section
#   BENCH_WORK   a folder to keep the generated homes in between runs
set -euo pipefail
cd "$(dirname "$0")/.."
quick=false
for arg in "$@"; do [ "$arg" != --quick ] && [ "$arg" != --agents ] || quick=true; done

cargo build -q --release -p clawdbot
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/clawdbot"
work="${BENCH_WORK:-}"
if [ -z "$work" ]; then
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
fi
python3 scripts/bench.py "$bin" "$work" "$@"

# The sandboxed module (docs/wasm.md): its size as shipped against the
# 400 KiB budget, and one `status` call through it in wasmtime against the
# same call through the native core, both in one process (the module
# compiled once, one instance reused; run alternately, median of the
# per-pair ratios). Not the whole `clawdbot` process: that would add the
# process start and file reads to one side only.
sandbox_section() {
    scripts/build-wasm.sh >/dev/null
    local module=dist/sandbox/clawdbot-auth.wasm
    echo
    echo "Sandbox module (target: at most 409,600 bytes; at most 3x native, in-process):"
    echo
    echo "| module | bytes | gzip -9 bytes |"
    echo "|---|---:|---:|"
    echo "| $module | $(wc -c <"$module") | $(gzip -9c "$module" | wc -c) |"
    echo
    cargo bench -q -p clawdbot-bench --bench wasm_vs_native -- 50 5000 2>/dev/null
}
$quick || sandbox_section

# The admin panel (issue 27 item 5), medians of 3 fresh page loads per size.
# Needs what scripts/test-wasm.sh installs (Chromium, the npm packages of
# host-wasm/browser-test); without them it says so and the bench goes on.
panel_section() {
    local chromium="${CHROMIUM:-/usr/bin/chromium}"
    local browser_test=host-wasm/browser-test
    echo
    if [[ ! -x "$chromium" ]] || ! command -v node >/dev/null 2>&1 || [[ ! -d "$browser_test/node_modules/playwright-core" ]]; then
        echo "Admin panel: skipped (needs $chromium, node and (cd $browser_test && npm ci); scripts/test-wasm.sh installs them)"
        return 0
    fi
    [[ -f dist/web/index.html ]] || scripts/build-wasm.sh >/dev/null
    (cd "$browser_test" && BENCH_WORK="$work" CHROMIUM="$chromium" node panel-bench.mjs --rounds 3 2>/dev/null) \
        || echo "Admin panel: the bench failed (run host-wasm/browser-test/panel-bench.mjs by hand to see why)"
}
$quick || panel_section
