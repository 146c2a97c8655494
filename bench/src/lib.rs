//! Generated inputs shared by the benchmarks: a store of N profiles of all
//! three types, with cooldowns on a tenth of them, and a Claude Code login.

use serde_json::{Value, json};

pub const NOW: i64 = 1_767_225_600_000;

/// `auth-profiles.json` text with `n` profiles.
pub fn store_text(n: usize) -> String {
    let providers = ["anthropic", "openai-codex", "openai", "google-antigravity", "github-copilot"];
    let mut profiles = serde_json::Map::new();
    let mut stats = serde_json::Map::new();
    for i in 0..n {
        let p = providers[i % providers.len()];
        let id = format!("{p}:user{i}@example.com");
        let cred = match i % 3 {
            0 => json!({"type": "api_key", "provider": p, "key": format!("sk-FAKE-{i:08}-FAKEFAKEFAKE")}),
            1 => {
                json!({"type": "token", "provider": p, "token": format!("FAKE-{i}"), "expires": NOW + (i as i64 % 90) * 86_400_000})
            }
            _ => json!({"type": "oauth", "provider": p, "access": "FAKE", "refresh": "FAKE",
                        "expires": NOW + (i as i64 % 50 - 5) * 3_600_000, "email": format!("u{i}@example.com")}),
        };
        if i % 10 == 0 {
            stats.insert(
                id.clone(),
                json!({"lastUsed": NOW - i as i64, "errorCount": 1, "cooldownUntil": NOW + 60_000}),
            );
        }
        profiles.insert(id, cred);
    }
    serde_json::to_string_pretty(
        &json!({"version": 1, "profiles": Value::Object(profiles), "usageStats": Value::Object(stats)}),
    )
    .unwrap_or_default()
}

/// Claude Code's credentials file, newer than anything in the store.
pub fn claude_text() -> String {
    json!({"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE", "refreshToken": "sk-ant-ort01-FAKE",
                             "expiresAt": NOW + 30 * 86_400_000_i64, "scopes": ["user:inference"]}})
    .to_string()
}

/// The envelope request over that home.
pub fn status_request(n: usize) -> String {
    json!({"op": "status", "now": NOW, "home": {
        ".clawdbot/agents/main/agent/auth-profiles.json": store_text(n),
        ".claude/.credentials.json": claude_text(),
    }})
    .to_string()
}
