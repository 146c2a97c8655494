#!/usr/bin/env bash
# Benchmarks of the CLI (not tests: these machines are shared and noisy, so
# compare the ratios measured in one run). Prints a Markdown table of the
# median wall time (hyperfine) and peak memory (GNU time) of
# `clawdbot models status --check`, `--json`, the text report and
# `--format prometheus` on generated stores, their output sizes, and the
# floor: `cat` of the store.
#
# usage: scripts/bench.sh [sizes...]     (default: 0 50 5000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(0 50 5000 100000)

need() { command -v "$1" >/dev/null 2>&1 || { apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$2" >/dev/null; }; }; }
need hyperfine hyperfine
[ -x /usr/bin/time ] || need time time

cargo build -q --release -p clawdbot
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/clawdbot"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

median_ms() { # command... -> median wall ms
    hyperfine -N -i --warmup 3 --min-runs 15 --export-json "$work/h.json" "$1" >/dev/null 2>&1
    python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$work/h.json"
}
peak_kib() { { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null || true; } | tail -1; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(date -u +%Y-%m-%d)"
echo
ratio() { python3 -c "import sys; print('%.2fx' % (float(sys.argv[1]) / max(float(sys.argv[2]), 0.001)))" "$1" "$2"; }
out_bytes() { "$@" 2>/dev/null | wc -c || true; }

echo "Wall time is the median of hyperfine runs; each ratio compares two figures of the same run."
echo "Targets (docs/performance.md): every output at most 1.5x --check on the same home."
echo
echo "| profiles | store bytes | cat store (ms) | --check (ms) | --json (ms) | text (ms) | prometheus (ms) | --check / cat | json / check | text / check | prom / check | bytes json / text / prom | peak RSS check / json (KiB) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
    home="$work/home-$n"
    python3 scripts/gen-home.py "$home" "$n"
    store="$home/.clawdbot/agents/main/agent/auth-profiles.json"
    export HOME="$home" CLAWDBOT_NOW_MS=1767225600000
    # First run syncs Claude Code's login into the store; measure steady state.
    "$bin" models status --check >/dev/null 2>&1 || true
    floor=$(median_ms "cat $store")
    check=$(median_ms "$bin models status --check")
    json=$(median_ms "$bin models status --json")
    text=$(median_ms "$bin models status")
    prom=$(median_ms "$bin models status --format prometheus")
    sizes_out="$(out_bytes "$bin" models status --json) / $(out_bytes "$bin" models status) / $(out_bytes "$bin" models status --format prometheus)"
    rss_check=$(peak_kib "$bin" models status --check)
    rss_json=$(peak_kib "$bin" models status --json)
    echo "| $n | $(wc -c <"$store") | $floor | $check | $json | $text | $prom | $(ratio "$check" "$floor") | $(ratio "$json" "$check") | $(ratio "$text" "$check") | $(ratio "$prom" "$check") | $sizes_out | $rss_check / $rss_json |"
done

# The sandboxed module (docs/wasm.md): its size as shipped against the
# 400 KiB budget, and one `status` call through it in wasmtime against the
# same call through the native core, both in one process (the module
# compiled once, one instance reused; run alternately, median of the
# per-pair ratios). Not the whole `clawdbot` process: that would add the
# process start and file reads to one side only.
sandbox_section() {
    # The table above points HOME at generated homes; cargo needs the real one.
    local HOME
    HOME="$(getent passwd "$(id -u)" | cut -d: -f6)"
    export HOME
    local wasm_sizes=() n
    for n in "${sizes[@]}"; do
        if [ "$n" -gt 0 ] && [ "$n" -le 20000 ]; then wasm_sizes+=("$n"); fi
    done
    [ ${#wasm_sizes[@]} -gt 0 ] || wasm_sizes=(5000)
    scripts/build-wasm.sh >/dev/null
    local module=dist/sandbox/clawdbot-auth.wasm
    echo
    echo "Sandbox module (target: at most 409,600 bytes; at most 3x native, in-process):"
    echo
    echo "| module | bytes | gzip -9 bytes |"
    echo "|---|---:|---:|"
    echo "| $module | $(wc -c <"$module") | $(gzip -9c "$module" | wc -c) |"
    echo
    cargo bench -q -p clawdbot-bench --bench wasm_vs_native -- "${wasm_sizes[@]}" 2>/dev/null
}
sandbox_section
