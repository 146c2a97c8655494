#!/usr/bin/env bash
# The real Claude Code against what clawdbot writes and the locks it takes
# (tests/claude-code/claude-code.test.mjs): `claude auth status --json`
# reads our write-back and what our sync left, and each side's locks make
# the other wait.
#
# Installs the pinned @anthropic-ai/claude-code-linux-x64 (2.1.332, about
# 190 MB to download, 400 MB on disk) and proper-lockfile with `npm ci`
# once: node_modules and npm's cache keep them, so a second run downloads
# nothing and spends its few seconds on the tests. Builds the CLI if
# needed (CLAWDBOT_BIN may name another binary).
#
# Skips, saying why, only outside CI: when npm's registry cannot be reached
# for the first install, or on a machine the linux-x64 binary cannot run
# on. Under CI=true every skip is a failure: the test must run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/tests/claude-code"
claude="$dir/node_modules/@anthropic-ai/claude-code-linux-x64/claude"

step() { printf '\n==> %s\n' "$*"; }
skip() {
    if [[ "${CI:-}" == true ]]; then
        printf 'error: the real Claude Code test cannot run: %s (CI=true: it must run)\n' "$*" >&2
        exit 1
    fi
    printf 'skipped: the real Claude Code test: %s\n' "$*"
    exit 0
}

platform="$(uname -s)-$(uname -m)"
if [[ "$platform" != Linux-x86_64 ]] || ! getconf GNU_LIBC_VERSION >/dev/null 2>&1; then
    skip "the pinned binary is for linux-x64 with glibc; this machine is $platform"
fi

installed_lock="$dir/node_modules/.package-lock.json"
if [[ ! -f "$installed_lock" || "$dir/package-lock.json" -nt "$installed_lock" || "$dir/package.json" -nt "$installed_lock" ]]; then
    step "npm ci (tests/claude-code: @anthropic-ai/claude-code-linux-x64@2.1.332, proper-lockfile; once)"
    if ! (cd "$dir" && npm ci --no-audit --no-fund); then
        registry="$(npm config get registry 2>/dev/null || echo 'the npm registry')"
        if ! timeout 30 npm ping >/dev/null 2>&1; then
            skip "$registry cannot be reached and the pinned Claude Code is not installed yet"
        fi
        printf 'error: npm ci failed in %s\n' "$dir" >&2
        exit 1
    fi
fi
if [[ ! -x "$claude" ]]; then
    printf 'error: %s is missing after npm ci\n' "$claude" >&2
    exit 1
fi

if [[ -z "${CLAWDBOT_BIN:-}" ]]; then
    cargo build -q -p clawdbot
fi

step "the real Claude Code 2.1.332 vs our write-back, sync and locks (node --test)"
(cd "$dir" && node --test claude-code.test.mjs)
