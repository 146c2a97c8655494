#!/usr/bin/env bash
# Mutation testing of the core's rules with cargo-mutants: each mutant is a
# small change to the code (`>` becomes `>=`, a function returns a default);
# a mutant the core's own tests do not catch is a behaviour no test pins.
#
# Slow (a build and a test run per mutant), so not part of scripts/test.sh:
# run it before a release and on a file whose rules changed (docs/testing.md).
#
# usage: scripts/mutants.sh [--sample N] [FILE...]   (default: every file of core/src)
#
# --sample N runs every N-th mutant only (cargo-mutants' round-robin shard
# 0/N): an estimate of the score in 1/N of the time, spread over every
# file, for a quick look at the whole core. The full run is the figure.
# MUTANTS_TIMEOUT (seconds, default 60) ends a mutant that makes a test
# loop for ever; without it a busy machine waits minutes for each.
# MUTANTS_JOBS (default 1) builds and tests that many mutants at once,
# each in its own copy of the tree: the whole core on 2 cores took 118 min
# with 2 (it would take about 4 h with 1: an incremental build of one
# crate leaves a core idle much of the time).
#
# Prints a table per file: mutants, caught, missed, unviable, timeouts,
# score (caught / (caught + missed + timeouts)), then every missed mutant.
# Equivalent mutants (that cannot change behaviour) are listed with a reason
# in .cargo/mutants.toml or marked #[mutants::skip] in the code.
set -euo pipefail
cd "$(dirname "$0")/.."

version=27.1.0
if [[ "$(cargo mutants --version 2>/dev/null || true)" != "cargo-mutants $version" ]]; then
    echo "mutants.sh: installing cargo-mutants $version"
    cargo install cargo-mutants --version "$version" --locked
fi

sample=""
if [[ "${1:-}" == "--sample" ]]; then
    sample="${2:?--sample needs a number}"
    shift 2
fi
files=("$@")
if [[ ${#files[@]} -eq 0 ]]; then
    mapfile -t files < <(git ls-files 'core/src/*.rs' 'core/src/**/*.rs' | sort -u)
fi

out="${CARGO_TARGET_DIR:-$PWD/target}/mutants"
mkdir -p "$out"
args=(mutants --package clawdbot-auth-core --test-workspace=false --no-shuffle --output "$out"
    --timeout "${MUTANTS_TIMEOUT:-60}" --jobs "${MUTANTS_JOBS:-1}")
if [[ -n "$sample" ]]; then
    args+=(--shard "0/$sample" --sharding round-robin)
    echo "mutants.sh: a sample, every ${sample}th mutant"
fi
for f in "${files[@]}"; do
    args+=(--file "$f")
done

# 0: every mutant caught; 2: some missed; 3: some timed out. Anything else
# means the run itself failed (a broken baseline, a usage error).
status=0
cargo "${args[@]}" || status=$?
if [[ $status -ne 0 && $status -ne 2 && $status -ne 3 ]]; then
    echo "mutants.sh: cargo mutants failed (exit $status); see $out/mutants.out/debug.log" >&2
    exit "$status"
fi

python3 - "$out/mutants.out" "${files[@]}" <<'EOF'
import os, sys
folder, files = sys.argv[1], sys.argv[2:]

def lines(name):
    path = os.path.join(folder, name)
    return [l.strip() for l in open(path)] if os.path.exists(path) else []

outcomes = {kind: lines(f"{kind}.txt") for kind in ("caught", "missed", "unviable", "timeout")}
def file_of(line):
    return line.split(":", 1)[0]

print()
print("| file | mutants | caught | missed | unviable | timeouts | score |")
print("|---|---:|---:|---:|---:|---:|---:|")
totals = dict.fromkeys(outcomes, 0)
for f in files:
    n = {kind: sum(1 for l in ls if file_of(l) == f) for kind, ls in outcomes.items()}
    if sum(n.values()) == 0:
        continue
    for kind in n:
        totals[kind] += n[kind]
    viable = n["caught"] + n["missed"] + n["timeout"]
    score = f"{100 * n['caught'] / viable:.1f}%" if viable else "-"
    print(f"| {f} | {sum(n.values())} | {n['caught']} | {n['missed']} | {n['unviable']} | {n['timeout']} | {score} |")
viable = totals["caught"] + totals["missed"] + totals["timeout"]
score = f"{100 * totals['caught'] / viable:.1f}%" if viable else "-"
print(f"| **all** | {sum(totals.values())} | {totals['caught']} | {totals['missed']} | {totals['unviable']} | {totals['timeout']} | {score} |")
if outcomes["missed"] or outcomes["timeout"]:
    print()
    print("Missed (no test fails when the code is changed so):")
    for l in outcomes["missed"]:
        print(f"- {l}")
    for l in outcomes["timeout"]:
        print(f"- {l} (timed out)")
EOF
