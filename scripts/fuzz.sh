#!/usr/bin/env bash
# Fuzzes the pure core with cargo-fuzz (nightly): each target for a given
# time, two at a time, then a summary table (target, seconds, executions,
# result) on stdout and in target/fuzz-summary.md.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; the targets default to all of them
# (fuzz/fuzz_targets/*.rs). Without a nightly toolchain this prints a notice
# and exits 0, so CI can call it unconditionally. Exits 1 when a target found
# a crash, a timeout or an out-of-memory input (saved under
# fuzz/artifacts/<target>/); docs/fuzzing.md says what to do with it.
#
# Environment: FUZZ_JOBS (targets run at once, default 2).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

seconds="${1:-60}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
  exit 64
fi
all_targets=(store config claude codex legacy envelope)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  if [ ! -f "fuzz/fuzz_targets/$t.rs" ]; then
    echo "fuzz.sh: no target \"$t\" (have: ${all_targets[*]})" >&2
    exit 64
  fi
done
jobs="${FUZZ_JOBS:-2}"

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: no nightly toolchain (rustup toolchain install nightly); fuzzing skipped"
  exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz"
  cargo install cargo-fuzz || cargo install --locked cargo-fuzz
fi

# The largest input each target is given: a store or a request may be big
# (the readers must bound their own work), a JWT is refused over 64 KiB.
max_len_of() {
  case "$1" in
    store | envelope) echo 1048576 ;;
    config) echo 262144 ;;
    codex) echo 131072 ;;
    *) echo 65536 ;;
  esac
}

logs="$root/target/fuzz-logs"
mkdir -p "$logs"
echo "fuzz.sh: building the fuzz targets (log: target/fuzz-logs/build.log)"
if ! (cd fuzz && cargo +nightly fuzz build) >"$logs/build.log" 2>&1; then
  cat "$logs/build.log" >&2
  exit 1
fi

# One run: new inputs go to a scratch corpus under fuzz/target (ignored by
# git), seeded from the committed fuzz/corpus/<target>.
run_one() {
  local t="$1" log="$logs/$1.log"
  local work="fuzz/target/corpus/$t"
  mkdir -p "$work" "fuzz/artifacts/$t"
  rm -f "$logs/$t.rc"
  echo "fuzz.sh: $t for ${seconds}s (log: target/fuzz-logs/$t.log)"
  set +e
  (cd fuzz && cargo +nightly fuzz run "$t" "target/corpus/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$(max_len_of "$t")" \
    -timeout=10 -print_final_stats=1 -artifact_prefix="artifacts/$t/") >"$log" 2>&1
  echo $? >"$logs/$t.rc"
  set -e
}

start=$(date +%s)
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
wait || true
wall=$(($(date +%s) - start))

# libFuzzer's last lines: `stat::number_of_executed_units: N` (final stats),
# `Done N runs in S second(s)` on a clean finish, `#N ...` before a crash.
summary="$root/target/fuzz-summary.md"
failed=0
total_execs=0
{
  echo "| target | seconds | executions | exec/s | result |"
  echo "|---|---:|---:|---:|---|"
  for t in "${targets[@]}"; do
    log="$logs/$t.log"
    rc="$(cat "$logs/$t.rc" 2>/dev/null || echo 1)"
    execs="$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)"
    [ -n "$execs" ] || execs="$(grep -oE '^Done [0-9]+ runs' "$log" | tail -1 | grep -oE '[0-9]+' || true)"
    [ -n "$execs" ] || execs="$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)"
    [ -n "$execs" ] || execs=0
    secs="$(grep -oE '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 | grep -oE '[0-9]+ second' | grep -oE '[0-9]+' || true)"
    [ -n "$secs" ] || secs="$seconds"
    rate=$((execs / (secs > 0 ? secs : 1)))
    if [ "$rc" = 0 ]; then
      result="ok"
    else
      failed=1
      artifact="$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -1 | sed 's/Test unit written to /fuzz\//' || true)"
      kind="$(grep -oE 'ERROR: libFuzzer: [a-z-]+|panicked at [^:]+:[0-9]+' "$log" | head -1 || true)"
      result="FAILED (${kind:-exit $rc}) ${artifact}"
    fi
    total_execs=$((total_execs + execs))
    echo "| $t | $secs | $execs | $rate | $result |"
  done
  echo
  echo "Total: ${total_execs} executions; ${wall} s wall on ${jobs} job(s) at a time; $(date -u +%Y-%m-%dT%H:%M:%SZ)."
} | tee "$summary"
exit "$failed"
