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
# - the sandboxed module's size and its speed against the native core.
# Runs are interleaved A B A B ... and timed by scripts/bench.py (wall and
# CPU time, peak memory from wait4's rusage).
#
# usage: scripts/bench.sh [--quick] [--agents] [--rounds N]
#   --quick      20 000 profiles and 200 agents instead, no sandbox section
#   --agents     only the `--all-agents` rows and their growth, no sandbox
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
