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
# - every output of `models status` at 0, 50, 5 000 and 100 000 profiles.
# Runs are interleaved A B A B ... and timed by scripts/bench.py (wall and
# CPU time, peak memory from wait4's rusage).
#
# usage: scripts/bench.sh [--quick] [--rounds N]
#   --quick      20 000 profiles and 200 agents instead (a minute or two)
#   BENCH_WORK   a folder to keep the generated homes in between runs
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q --release -p clawdbot
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/clawdbot"
work="${BENCH_WORK:-}"
if [ -z "$work" ]; then
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
fi
python3 scripts/bench.py "$bin" "$work" "$@"
