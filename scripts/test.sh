#!/usr/bin/env bash
# The project's one test command (README): installs what it needs, then runs
# every check CI runs. Idempotent; quick when everything is already present.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*"; }

step "toolchain components"
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown

step "format"
cargo fmt --all -- --check

step "the core builds for wasm32 (no I/O can sneak in)"
cargo build -q -p clawdbot-auth-core --target wasm32-unknown-unknown

step "clippy, purity rules on"
cargo clippy -q -p clawdbot-auth-core -p clawdbot -p clawdbot-conformance --all-targets -- -D warnings

step "the core's API docs build without a rustdoc warning (no link to a private item)"
RUSTDOCFLAGS='-D warnings' cargo doc -p clawdbot-auth-core --no-deps

if [ -x scripts/build-wasm.sh ] || [ -f scripts/build-wasm.sh ]; then
  step "wasm artefacts (dist/)"
  bash scripts/build-wasm.sh
fi

step "systemd units (systemd-analyze verify)"
# Under CI the check must run: Debian's systemd package is about 5 MB.
if [ "${CI:-}" = true ] && ! command -v systemd-analyze >/dev/null 2>&1; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd >/dev/null \
    || { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null \
         && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd >/dev/null; }
fi
if command -v systemd-analyze >/dev/null 2>&1; then
  cargo test -q -p clawdbot --test ops systemd_units_pass_systemd_analyze_verify
else
  echo "skipped: systemd-analyze is not installed (apt-get install systemd)"
fi

step "pass and gnupg (the SecretRef tests' real exec provider)"
# host-native/tests/secret_refs.rs resolves keys through the real `pass`
# with a throwaway GNUPGHOME; under CI it must run, not skip.
if [ "${CI:-}" = true ] && ! { command -v pass >/dev/null 2>&1 && command -v gpg >/dev/null 2>&1; }; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends pass gnupg >/dev/null \
    || { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null \
         && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends pass gnupg >/dev/null; }
fi
command -v pass >/dev/null 2>&1 || echo "note: pass is not installed; the pass-backed SecretRef tests skip (apt-get install pass gnupg)"

step "cargo test (core, CLI, conformance)"
cargo test -p clawdbot-auth-core -p clawdbot -p clawdbot-conformance

if [ -f scripts/test-wasm.sh ]; then
  step "wasm: Node and browser tests"
  SKIP_CARGO_SANDBOX_TEST=1 bash scripts/test-wasm.sh
fi

step "the real Claude Code 2.1.332 (scripts/test-claude.sh)"
bash scripts/test-claude.sh

step "short fuzz pass (only when a nightly toolchain is installed)"
bash scripts/fuzz.sh "${CLAWDBOT_FUZZ_SECONDS:-10}"

step "all tests passed"
