#!/usr/bin/env python3
"""Writes a HOME with an auth-profiles.json of N generated profiles (all
three types, a few cooldowns) and a Claude Code login, for benchmarks.

usage: gen-home.py HOME N [--agents A [--listed]]

With --agents, the N profiles are spread over A agents `agent0001`...,
each with its own store under `<state>/agents/<id>/agent/`, besides the
main agent, whose store holds none of its own: as in the one-agent home,
only the Claude Code login a first run syncs into it, which every other
agent then inherits. With --listed the config (`clawdbot.json`) lists them
all in `agents.list` (main first, the default), else they are found as
folders.
"""
import json
import os
import sys

NOW = 1767225600000
PROVIDERS = ["anthropic", "openai-codex", "openai", "google-antigravity", "github-copilot"]


def profile(i):
    """The i-th generated profile: its id, its credential, its usage stats (or None)."""
    p = PROVIDERS[i % len(PROVIDERS)]
    pid = f"{p}:user{i}@example.com"
    kind = i % 3
    if kind == 0:
        cred = {"type": "api_key", "provider": p, "key": f"sk-FAKE-{i:08d}-FAKEFAKEFAKEFAKE"}
    elif kind == 1:
        cred = {"type": "token", "provider": p, "token": f"sk-ant-oat01-FAKE-{i:08d}", "expires": NOW + (i % 90) * 86400000}
    else:
        cred = {"type": "oauth", "provider": p, "access": f"FAKE-access-{i}", "refresh": f"FAKE-refresh-{i}",
                "expires": NOW + (i % 50 - 5) * 3600000, "email": f"user{i}@example.com"}
    stats = {"lastUsed": NOW - i, "errorCount": 1, "cooldownUntil": NOW + 60000 * (i % 7)} if i % 10 == 0 else None
    return pid, cred, stats


def write_store(agent_dir, indices):
    profiles, stats = {}, {}
    for i in indices:
        pid, cred, st = profile(i)
        profiles[pid] = cred
        if st is not None:
            stats[pid] = st
    os.makedirs(agent_dir, mode=0o700, exist_ok=True)
    with open(os.path.join(agent_dir, "auth-profiles.json"), "w") as f:
        json.dump({"version": 1, "profiles": profiles, "usageStats": stats}, f, indent=2)
        f.write("\n")


def main():
    args = sys.argv[1:]
    agents, listed = 1, False
    if "--listed" in args:
        args.remove("--listed")
        listed = True
    if "--agents" in args:
        at = args.index("--agents")
        agents = int(args[at + 1])
        del args[at:at + 2]
    home, n = args[0], int(args[1])
    state = os.path.join(home, ".clawdbot")
    if agents == 1:
        ids = ["main"]
        write_store(os.path.join(state, "agents", "main", "agent"), range(n))
    else:
        ids = ["main"] + [f"agent{k:04d}" for k in range(1, agents + 1)]
        per = n // agents
        write_store(os.path.join(state, "agents", "main", "agent"), range(0))
        for k, agent in enumerate(ids[1:]):
            write_store(os.path.join(state, "agents", agent, "agent"), range(k * per, (k + 1) * per))
    if listed:
        with open(os.path.join(state, "clawdbot.json"), "w") as f:
            json.dump({"agents": {"list": [{"id": a, "default": a == "main"} if a == "main" else {"id": a}
                                           for a in ids]}}, f, indent=2)
            f.write("\n")
    os.makedirs(os.path.join(home, ".claude"), exist_ok=True)
    with open(os.path.join(home, ".claude/.credentials.json"), "w") as f:
        json.dump({"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE", "refreshToken": "sk-ant-ort01-FAKE",
                                     "expiresAt": NOW + 30 * 86400000, "scopes": ["user:inference"]}}, f)


if __name__ == "__main__":
    main()
