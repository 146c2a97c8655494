#!/usr/bin/env python3
"""Writes a HOME with an auth-profiles.json of N generated profiles (all
three types, a few cooldowns) and a Claude Code login, for benchmarks.

usage: gen-home.py HOME N
"""
import json
import os
import sys

NOW = 1767225600000


def main():
    home, n = sys.argv[1], int(sys.argv[2])
    providers = ["anthropic", "openai-codex", "openai", "google-antigravity", "github-copilot"]
    profiles, stats = {}, {}
    for i in range(n):
        p = providers[i % len(providers)]
        pid = f"{p}:user{i}@example.com"
        kind = i % 3
        if kind == 0:
            profiles[pid] = {"type": "api_key", "provider": p, "key": f"sk-FAKE-{i:08d}-FAKEFAKEFAKEFAKE"}
        elif kind == 1:
            profiles[pid] = {"type": "token", "provider": p, "token": f"sk-ant-oat01-FAKE-{i:08d}", "expires": NOW + (i % 90) * 86400000}
        else:
            profiles[pid] = {"type": "oauth", "provider": p, "access": f"FAKE-access-{i}", "refresh": f"FAKE-refresh-{i}",
                             "expires": NOW + (i % 50 - 5) * 3600000, "email": f"user{i}@example.com"}
        if i % 10 == 0:
            stats[pid] = {"lastUsed": NOW - i, "errorCount": 1, "cooldownUntil": NOW + 60000 * (i % 7)}
    agent = os.path.join(home, ".clawdbot/agents/main/agent")
    os.makedirs(agent, mode=0o700, exist_ok=True)
    with open(os.path.join(agent, "auth-profiles.json"), "w") as f:
        json.dump({"version": 1, "profiles": profiles, "usageStats": stats}, f, indent=2)
        f.write("\n")
    os.makedirs(os.path.join(home, ".claude"), exist_ok=True)
    with open(os.path.join(home, ".claude/.credentials.json"), "w") as f:
        json.dump({"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE", "refreshToken": "sk-ant-ort01-FAKE",
                                     "expiresAt": NOW + 30 * 86400000, "scopes": ["user:inference"]}}, f)


if __name__ == "__main__":
    main()
