#!/usr/bin/env bash
# Benchmarks of the CLI (not tests: these machines are shared and noisy, so
# compare the ratios measured in one run). Prints a Markdown table of the
# median wall time (hyperfine) and peak memory (GNU time) of
# `clawdbot models status --check` and `--json` on generated stores, next to
# the floor: `cat` of the same files.
#
# usage: scripts/bench.sh [sizes...]     (default: 0 50 5000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(0 50 5000 100000)

need() { command -v "$1" >/dev/null 2>&1 || { apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$2" >/dev/null; }; }; }
need hyperfine hyperfine
[ -x /usr/bin/time ] || need time time

cargo build -q --profile release-native -p clawdbot
bin="$PWD/target/release-native/clawdbot"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

median_ms() { # command... -> median wall ms
    hyperfine -N -i --warmup 3 --min-runs 15 --export-json "$work/h.json" "$1" >/dev/null 2>&1
    python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$work/h.json"
}
peak_kib() { { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null || true; } | tail -1; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(date -u +%Y-%m-%d)"
echo
echo "| profiles | store bytes | cat floor (ms) | --check (ms) | --json (ms) | --check / floor | peak RSS --check (KiB) | peak RSS --json (KiB) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
    home="$work/home-$n"
    python3 scripts/gen-home.py "$home" "$n"
    store="$home/.clawdbot/agents/main/agent/auth-profiles.json"
    files="$store $home/.claude/.credentials.json"
    export HOME="$home" CLAWDBOT_NOW_MS=1767225600000
    # First run syncs Claude Code's login into the store; measure steady state.
    "$bin" models status --check >/dev/null 2>&1 || true
    floor=$(median_ms "cat $files")
    check=$(median_ms "$bin models status --check")
    json=$(median_ms "$bin models status --json")
    ratio=$(python3 -c "print('%.1fx' % ($check / max($floor, 0.001)))")
    rss_check=$(peak_kib "$bin" models status --check)
    rss_json=$(peak_kib "$bin" models status --json)
    echo "| $n | $(wc -c <"$store") | $floor | $check | $json | $ratio | $rss_check | $rss_json |"
done
