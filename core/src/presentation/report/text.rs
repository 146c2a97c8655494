//! The reference's text layout of `models status` (§3.2): 14-character
//! labels, the auth overview, missing auth, and the OAuth/token status.
//!
//! Everything taken from a file passes through `escape_control`, so a
//! profile id holding an ANSI sequence prints as text, not as a command to
//! the terminal.

use super::StatusReport;
use crate::escape::escape_control;
use crate::health::{HealthStatus, Standing};
use crate::paths::Env;
use crate::remaining::format_remaining_short;
use crate::store::CredentialType;
use std::fmt::Write;

/// How to print: colours only when the host says the output is a terminal
/// that wants them (and `NO_COLOR` is unset).
#[derive(Debug, Clone, Copy, Default)]
pub struct TextStyle {
    /// Use ANSI colours.
    pub color: bool,
}

impl TextStyle {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }

    fn status(self, status: HealthStatus) -> String {
        let code = match status {
            HealthStatus::Ok => "32",
            HealthStatus::Expiring => "33",
            HealthStatus::Expired | HealthStatus::Missing | HealthStatus::Failing => "31",
            HealthStatus::Static => "2",
            HealthStatus::Unchecked => "33",
        };
        self.paint(code, status.word())
    }
}

/// `label` padded to 14 characters (as `{label:<14}`), `: `, `value`, a
/// line end: written into `out` as they are, no text made in between.
fn line(out: &mut String, label: &str, value: &str) {
    out.push_str(label);
    for _ in label.chars().count()..14 {
        out.push(' ');
    }
    out.push_str(": ");
    out.push_str(value);
    out.push('\n');
}

/// [`line`] of a label counting `n` items: `Fallbacks (2)`.
fn counted_line(out: &mut String, label: &str, n: usize, value: &str) {
    let mut counted = String::with_capacity(label.len() + 8);
    counted.push_str(label);
    counted.push_str(" (");
    push_count(&mut counted, n);
    counted.push(')');
    line(out, &counted, value);
}

/// `n` in decimal, as `{n}` writes it; a single digit (nearly every count
/// a report shows) pushed as it is.
fn push_count(out: &mut String, n: usize) {
    match u8::try_from(n) {
        Ok(digit @ 0..=9) => out.push(char::from(b'0' + digit)),
        _ => {
            let _ = write!(out, "{n}");
        }
    }
}

fn list_or_dash(items: &[String]) -> String {
    if items.is_empty() { "-".to_string() } else { escape_control(&items.join(", ")).into_owned() }
}

/// Renders the report. `env` shortens paths under HOME to `~`.
pub fn render_text(report: &StatusReport, env: &Env, style: TextStyle) -> String {
    // About the size of what one agent's report prints, so that the text
    // grows a few times at most.
    let mut out = String::with_capacity(2048);
    line(&mut out, "Config", &escape_control(&env.shorten(&report.config_path)));
    line(&mut out, "Agent dir", &escape_control(&env.shorten(&report.agent_dir)));
    match report.default_model == report.resolved_default {
        true => line(&mut out, "Default", &escape_control(&report.resolved_default)),
        false => {
            let default = format!("{} (from {})", report.resolved_default, report.default_model);
            line(&mut out, "Default", &escape_control(&default))
        }
    }
    counted_line(&mut out, "Fallbacks", report.fallbacks.len(), &list_or_dash(&report.fallbacks));
    line(&mut out, "Image model", &escape_control(report.image_model.as_deref().unwrap_or("-")));
    counted_line(&mut out, "Image fallbacks", report.image_fallbacks.len(), &list_or_dash(&report.image_fallbacks));
    let aliases: Vec<String> = report.aliases.iter().map(|(a, k)| format!("{a} -> {k}")).collect();
    counted_line(&mut out, "Aliases", aliases.len(), &list_or_dash(&aliases));
    let allowed = if report.allowed.is_empty() { "all".to_string() } else { list_or_dash(&report.allowed) };
    counted_line(&mut out, "Configured models", report.allowed.len(), &allowed);

    let auth = &report.auth;
    out.push_str("\nAuth overview\n");
    line(&mut out, "Auth store", &escape_control(&env.shorten(&auth.store_path)));
    let shell = &auth.shell_env_fallback;
    let shell_text = match (shell.enabled, shell.applied_keys.is_empty()) {
        (false, _) => "off".to_string(),
        (true, true) => "on".to_string(),
        (true, false) => format!("on (applied: {})", shell.applied_keys.join(", ")),
    };
    line(&mut out, "Shell env", &shell_text);
    counted_line(
        &mut out,
        "Providers w/ OAuth/tokens",
        auth.providers_with_o_auth.len(),
        &list_or_dash(&auth.providers_with_o_auth),
    );
    // Each provider's line is put together in one buffer, reused, then
    // escaped as a whole into the output.
    let mut row = String::new();
    for p in &auth.providers {
        row.clear();
        for piece in [p.provider.as_str(), " effective=", p.effective.kind, ":", p.effective.detail.as_str()] {
            row.push_str(piece);
        }
        if p.profiles.count > 0 {
            let counts = &p.profiles;
            for (words, n) in [
                (" | profiles=", counts.count),
                (" (oauth=", counts.oauth),
                (", token=", counts.token),
                (", api_key=", counts.api_key),
            ] {
                row.push_str(words);
                push_count(&mut row, n);
            }
            row.push_str(") | ");
            for (i, label) in p.profiles.labels.iter().enumerate() {
                if i > 0 {
                    row.push_str(", ");
                }
                row.push_str(label);
            }
        }
        if let Some(e) = &p.env {
            for piece in [" | env=", e.value.as_str(), " | source=", e.source.as_str()] {
                row.push_str(piece);
            }
        }
        if let Some(m) = &p.models_json {
            for piece in [" | models.json=", m.value.as_str(), " | source=", m.source.as_str()] {
                row.push_str(piece);
            }
        }
        out.push_str("- ");
        out.push_str(&escape_control(&row));
        out.push('\n');
    }

    if !auth.missing_providers_in_use.is_empty() {
        out.push_str("\nMissing auth\n");
        for p in &auth.missing_providers_in_use {
            let hint = crate::remedy::for_missing_provider(p, &auth.logins_elsewhere);
            let _ = writeln!(out, "- {} {}", style.paint("31", &escape_control(p)), hint);
        }
    }

    out.push_str("\nOAuth/token status\n");
    // An API key has no expiry to show, but a refusal a probe found it
    // keeps saying until the key changes.
    let timed: Vec<_> =
        auth.oauth.profiles.iter().filter(|p| p.kind != CredentialType::ApiKey || p.rejection.is_some()).collect();
    if timed.is_empty() {
        out.push_str("- none\n");
    }
    for p in timed {
        let _ = writeln!(out, "- {} {}{}", escape_control(&p.label), health_words(p, style), origin(p));
    }

    if let Some(run) = &auth.probes {
        let _ = writeln!(
            out,
            "\nAuth probes ({} {}; {} at a time, {}ms each; took {}ms)",
            run.total_targets,
            if run.total_targets == 1 { "target" } else { "targets" },
            run.options.concurrency,
            run.options.timeout_ms,
            run.duration_ms
        );
        if run.results.is_empty() {
            out.push_str("- none\n");
        }
        for r in &run.results {
            let words = r.words();
            let shown = match r.status {
                crate::probe::ProbeStatus::Ok => style.paint("32", &words),
                s if s.is_refusal() => style.paint("31", &words),
                crate::probe::ProbeStatus::NotProbed => style.paint("2", &words),
                _ => style.paint("33", &words),
            };
            let _ = writeln!(out, "- {} {} {shown}", escape_control(&r.provider), escape_control(&r.label));
        }
    }

    let check = &auth.check;
    out.push_str(&format!(
        "\nIn use ({})\n",
        if check.rule == "strict" { "--strict: every profile counts" } else { "what --check judges" }
    ));
    if check.in_use.is_empty() {
        out.push_str("- none\n");
    }
    for v in &check.in_use {
        let status = match v.status {
            super::Verdict::Ok => style.paint("32", "ok"),
            super::Verdict::Expiring => style.paint("33", "expiring"),
            super::Verdict::Failing => style.paint("31", "failing"),
        };
        let via = v.via.as_deref().map_or_else(|| " (no usable credential)".to_string(), |via| format!(" via {via}"));
        let _ = writeln!(out, "- {} {status}{}", escape_control(&v.provider), escape_control(&via));
    }
    if !check.probes.is_empty() {
        out.push_str("\nProbes counted by --check\n");
        for w in &check.probes {
            let _ = writeln!(out, "- {}", escape_control(w));
        }
    }
    if !check.warnings.is_empty() {
        out.push_str("\nWarnings (not counted by --check)\n");
        for w in &check.warnings {
            let _ = writeln!(out, "- {}", escape_control(w));
        }
    }
    out
}

/// One profile's line of the "OAuth/token status" section, as
/// `models status` prints it (what `setup-token` shows after storing).
pub fn profile_status_line(report: &StatusReport, profile_id: &str, style: TextStyle) -> Option<String> {
    let p = report.auth.oauth.profiles.iter().find(|p| p.profile_id == profile_id)?;
    Some(format!("- {} {}{}", escape_control(&p.label), health_words(p, style), origin(p)))
}

/// A profile's status in the words `models status` prints after its id,
/// without colours: `expired 2d ago`, `ok, refreshes on use (access token
/// expires in 8h)`, `cooldown for 12m (rate_limit); static` (the panel's
/// view shows the same words).
pub fn status_words(p: &crate::health::ProfileHealth) -> String {
    health_words(p, TextStyle::default())
}

/// Where a profile comes from, when not this agent's own store: ` (claude-cli)`,
/// ` (inherited from main)`, ` (claude-cli, inherited from main)`.
fn origin(p: &crate::health::ProfileHealth) -> String {
    let source = match p.source {
        crate::health::Source::Store => None,
        other => Some(other.status_word().to_string()),
    };
    let from = p.inherited_from.as_deref().map(|o| format!("inherited from {}", escape_control(o)));
    let parts: Vec<String> = source.into_iter().chain(from).collect();
    match parts.is_empty() {
        true => String::new(),
        false => format!(" ({})", parts.join(", ")),
    }
}

/// A profile's status in words: `ok expires in 3d`, `expired 2h ago`,
/// `ok, refreshes on use (access token expires in 3h)`, or the refusal
/// with its remedy.
fn health_words(p: &crate::health::ProfileHealth, style: TextStyle) -> String {
    let words = expiry_words(p, style);
    // The one verdict leads: what `models auth list` calls it, then what
    // its expiry says.
    match (p.standing, &p.backoff) {
        (Standing::Cooldown | Standing::Disabled, Some(b)) => {
            let why = b.reason.as_deref().map(|r| format!(" ({})", escape_control(r))).unwrap_or_default();
            let rem = format_remaining_short(Some(b.remaining_ms));
            format!("{} for {rem}{why}; {words}", style.paint("33", p.standing.word()))
        }
        (Standing::MissingSecret, _) => {
            let hint = crate::remedy::for_profile_id(&p.profile_id);
            format!("{}: it holds no key or token: {hint}", style.paint("31", p.standing.word()))
        }
        _ => words,
    }
}

/// A profile's health in words (see [`health_words`]).
fn expiry_words(p: &crate::health::ProfileHealth, style: TextStyle) -> String {
    let status = style.status(p.status);
    if let Some(words) = p.rejection.as_ref().and_then(crate::health::Rejection::probe_words) {
        return format!("{}: {}", style.paint("31", &words), crate::remedy::for_health(p));
    }
    if let Some(r) = &p.rejection {
        let ago = format_remaining_short(Some(r.ago_ms));
        let hint = crate::remedy::for_profile_id(&p.profile_id);
        return format!("{status}: login rejected at refresh ({}) {ago} ago: {hint}", escape_control(&r.code));
    }
    // A ref that fails or was not run says which and why (its text is
    // escaped where it was made).
    if let Some(r) =
        p.secret_ref.as_ref().filter(|_| matches!(p.status, HealthStatus::Failing | HealthStatus::Unchecked))
    {
        let why = r.reason.as_deref().map(|w| format!(": {w}")).unwrap_or_default();
        return format!("{status}: ref {}{why}", r.reference);
    }
    if let Some(words) = p.sign_in_words() {
        return format!("{status}: {}: {}", escape_control(&words), crate::remedy::for_health(p));
    }
    let beyond = p.remaining_ms.is_some_and(crate::time::is_beyond_year_9999);
    let when = match p.remaining_ms {
        _ if beyond => format!("expires {}", crate::time::BEYOND_YEAR_9999),
        Some(r) if r <= 0.0 => format!("expired {} ago", format_remaining_short(Some(-r))),
        Some(r) if p.expires_at.is_some() => format!("expires in {}", format_remaining_short(Some(r))),
        _ => "expiry unknown".to_string(),
    };
    // When the sign-in ends, once it is known and not yet near.
    let ends = match p.refresh_remaining_ms {
        Some(left) => format!("; sign-in ends in {}", format_remaining_short(Some(left))),
        None => String::new(),
    };
    match p.status {
        HealthStatus::Static => status,
        HealthStatus::Ok if p.refreshable => format!("{status}, refreshes on use (access token {when}{ends})"),
        HealthStatus::Ok if p.read_only => {
            format!("{status}, renewed by {} (read-only here; access token {when}{ends})", p.source.label())
        }
        HealthStatus::Expired if p.health_reason == Some(crate::health::READ_ONLY_EXPIRED) => format!(
            "{status} {} (read-only here): {}",
            when.trim_start_matches("expired "),
            crate::remedy::for_health(p)
        ),
        HealthStatus::Expired => format!("{status} {}", when.trim_start_matches("expired ")),
        HealthStatus::Missing => format!("{status} expires unknown"),
        _ => format!("{status} {when}"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::load::Loaded;
    use crate::world::{FileRead, MapWorld};

    pub const NOW: i64 = 1_767_225_600_000;
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;

    /// A home with one of everything the report shows.
    pub fn busy_home() -> (Loaded, super::super::ReportOptions) {
        let mut w = MapWorld::default();
        let store = format!(
            r#"{{"version":1,"profiles":{{
                "anthropic:work":{{"type":"oauth","provider":"anthropic","access":"acc-FAKE","refresh":"r-FAKE","expires":{in3h},"email":"me@example.com"}},
                "anthropic:tok":{{"type":"token","provider":"anthropic","token":"tok-FAKE-0123456789","expires":{in3d}}},
                "anthropic:old":{{"type":"token","provider":"anthropic","token":"tok-FAKE-9876543210","expires":{ago2h}}},
                "anthropic:forever":{{"type":"token","provider":"anthropic","token":"tok-FAKE-forever-0000"}},
                "anthropic:unknown":{{"type":"oauth","provider":"anthropic","access":"acc-FAKE"}},
                "anthropic:soon":{{"type":"token","provider":"anthropic","token":"tok-FAKE-soon-000000","expires":{in5h}}},
                "anthropic:far":{{"type":"token","provider":"anthropic","token":"tok-FAKE-far-0000000","expires":300000000000000}},
                "openai:key":{{"type":"api_key","provider":"openai","key":"sk-FAKEFAKEFAKEFAKEFAKE"}},
                "openai:cool":{{"type":"api_key","provider":"openai","key":"sk-FAKECOOLFAKECOOLFAKE"}},
                "openai:off":{{"type":"api_key","provider":"openai","key":"sk-FAKEOFFFAKEOFFFAKEOF"}}
            }},"usageStats":{{
                "openai:cool":{{"errorCount":1,"cooldownUntil":{in4m}}},
                "openai:off":{{"disabledUntil":{in5h},"disabledReason":"billing"}}
            }}}}"#,
            in3h = NOW + 3 * HOUR,
            in3d = NOW + 3 * DAY,
            ago2h = NOW - 2 * HOUR,
            in4m = NOW + 4 * 60_000,
            in5h = NOW + 5 * HOUR,
        );
        w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text(store));
        let config = r#"{
            "agents": { "defaults": {
                "model": { "primary": "Opus", "fallbacks": ["openai/gpt-5.2", "groq/llama"] },
                "imageModel": { "primary": "google/gemini", "fallbacks": ["xai/grok"] },
                "models": { "anthropic/claude-opus-4-5": { "alias": "Opus" }, "openai/gpt-5.2": {} } } },
            "models": { "providers": { "custom": { "apiKey": "sk-FAKECUSTOMFAKECUSTOM" } } },
            "env": { "shellEnv": { "enabled": true } }
        }"#;
        w.files.insert("/h/.clawdbot/clawdbot.json".into(), FileRead::text(config));
        let codex = r#"{"tokens":{"access_token":"acc-FAKE","refresh_token":"r-FAKE","account_id":"acct"},"last_refresh":"2026-01-01T00:00:00Z"}"#;
        w.files.insert("/h/.codex/auth.json".into(), FileRead::text(codex));
        let env = crate::paths::Env::new("/h")
            .with_var("GEMINI_API_KEY", "FAKE-gemini-key-0123456789")
            .with_var("XAI_API_KEY", "xai-FAKE-0123456789")
            .with_var("ANTHROPIC_OAUTH_TOKEN", "sk-ant-oat01-FAKE-0123456789");
        let loaded = crate::load::load(&w, &env, NOW, None);
        let options = super::super::ReportOptions { shell_applied: vec!["XAI_API_KEY".into()], ..Default::default() };
        (loaded, options)
    }

    #[test]
    fn every_section_of_a_busy_home_reads_exactly_so() {
        let (loaded, options) = busy_home();
        let r = super::super::build(&loaded, &options);
        let expected = concat!(
            "Config        : ~/.clawdbot/clawdbot.json\n",
            "Agent dir     : ~/.clawdbot/agents/main/agent\n",
            "Default       : anthropic/claude-opus-4-5 (from Opus)\n",
            "Fallbacks (2) : openai/gpt-5.2, groq/llama\n",
            "Image model   : google/gemini\n",
            "Image fallbacks (1): xai/grok\n",
            "Aliases (1)   : Opus -> anthropic/claude-opus-4-5\n",
            "Configured models (2): anthropic/claude-opus-4-5, openai/gpt-5.2\n",
            "\n",
            "Auth overview\n",
            "Auth store    : ~/.clawdbot/agents/main/agent/auth-profiles.json\n",
            "Shell env     : on (applied: XAI_API_KEY)\n",
            "Providers w/ OAuth/tokens (2): anthropic (8), openai-codex (1)\n",
            "- anthropic effective=profiles:~/.clawdbot/agents/main/agent/auth-profiles.json | profiles=7 (oauth=2, token=5, api_key=0) | anthropic:work=OAuth (me@example.com), anthropic:tok=token:tok-FAKE...23456789, anthropic:old=token:tok-FAKE...76543210, anthropic:forever=token:tok-FAKE...ver-0000, anthropic:unknown=OAuth, anthropic:soon=token:tok-FAKE...n-000000, anthropic:far=token:tok-FAKE...-0000000 | env=OAuth (env) | source=env: ANTHROPIC_OAUTH_TOKEN\n",
            "- custom effective=models.json:sk-FAKEC...KECUSTOM | models.json=sk-FAKEC...KECUSTOM | source=models.json: ~/.clawdbot/clawdbot.json\n",
            "- google effective=env:FAKE-gem...23456789 | env=FAKE-gem...23456789 | source=env: GEMINI_API_KEY\n",
            "- openai effective=profiles:~/.clawdbot/agents/main/agent/auth-profiles.json | profiles=3 (oauth=0, token=0, api_key=3) | openai:key=sk-FAKEF...FAKEFAKE, openai:cool=sk-FAKEC...COOLFAKE [cooldown 4m], openai:off=sk-FAKEO...FFFAKEOF [disabled:billing 5h]\n",
            "- openai-codex effective=profiles:~/.clawdbot/agents/main/agent/auth-profiles.json | profiles=1 (oauth=1, token=0, api_key=0) | openai-codex:codex-cli=OAuth\n",
            "- xai effective=env:xai-FAKE...23456789 | env=xai-FAKE...23456789 | source=shell env: XAI_API_KEY\n",
            "\n",
            "Missing auth\n",
            "- groq Set GROQ_API_KEY, or store a key with `clawdbot models auth paste-api-key --provider groq`.\n",
            "\n",
            "OAuth/token status\n",
            "- anthropic:far ok expires never (beyond year 9999)\n",
            "- anthropic:forever static\n",
            "- anthropic:old expired 2h ago\n",
            "- anthropic:soon expiring expires in 5h\n",
            "- anthropic:tok ok expires in 3d\n",
            "- anthropic:unknown unknown expires unknown\n",
            "- anthropic:work (me@example.com) ok, refreshes on use (access token expires in 3h)\n",
            "- openai-codex:codex-cli ok, refreshes on use (access token expires in 1h) (codex-cli)\n",
            "\n",
            "In use (what --check judges)\n",
            "- anthropic ok via anthropic:work\n",
            "- openai ok via openai:key\n",
            "- groq failing (no usable credential)\n",
            "- google ok via env: GEMINI_API_KEY\n",
            "- xai ok via shell env: XAI_API_KEY\n",
            "\n",
            "Warnings (not counted by --check)\n",
            "- anthropic:old is expired; requests use another credential\n",
            "- anthropic:soon is expiring; requests use another credential\n",
            "- anthropic:unknown is unknown; requests use another credential\n",
        );
        assert_eq!(render_text(&r, &loaded.env, TextStyle::default()), expected);
    }

    #[test]
    fn an_empty_home_says_none_all_off_and_what_is_missing() {
        let loaded = crate::load::load(&MapWorld::default(), &crate::paths::Env::new("/h"), NOW, None);
        let r = super::super::build(&loaded, &Default::default());
        let expected = concat!(
            "Config        : ~/.clawdbot/clawdbot.json\n",
            "Agent dir     : ~/.clawdbot/agents/main/agent\n",
            "Default       : anthropic/claude-opus-4-5\n",
            "Fallbacks (0) : -\n",
            "Image model   : -\n",
            "Image fallbacks (0): -\n",
            "Aliases (0)   : -\n",
            "Configured models (0): all\n",
            "\n",
            "Auth overview\n",
            "Auth store    : ~/.clawdbot/agents/main/agent/auth-profiles.json\n",
            "Shell env     : off\n",
            "Providers w/ OAuth/tokens (0): -\n",
            "\n",
            "Missing auth\n",
            "- anthropic Run `clawdbot models auth setup-token` or `clawdbot models auth paste-token --provider anthropic`.\n",
            "\n",
            "OAuth/token status\n",
            "- none\n",
            "\n",
            "In use (what --check judges)\n",
            "- anthropic failing (no usable credential)\n",
        );
        assert_eq!(render_text(&r, &loaded.env, TextStyle::default()), expected);
    }

    #[test]
    fn colours_mark_each_status_and_strict_says_so() {
        let (loaded, options) = busy_home();
        let options = super::super::ReportOptions { strict: true, ..options };
        let r = super::super::build(&loaded, &options);
        let text = render_text(&r, &loaded.env, TextStyle { color: true });
        for line in [
            "- \u{1b}[31mgroq\u{1b}[0m Set GROQ_API_KEY, or store a key",
            "- anthropic:far \u{1b}[32mok\u{1b}[0m expires never (beyond year 9999)\n",
            "- anthropic:forever \u{1b}[2mstatic\u{1b}[0m\n",
            "- anthropic:old \u{1b}[31mexpired\u{1b}[0m 2h ago\n",
            "- anthropic:soon \u{1b}[33mexpiring\u{1b}[0m expires in 5h\n",
            "- anthropic:unknown \u{1b}[31munknown\u{1b}[0m expires unknown\n",
            "- anthropic:work (me@example.com) \u{1b}[33mexpiring\u{1b}[0m expires in 3h\n",
            "\nIn use (--strict: every profile counts)\n- anthropic \u{1b}[32mok\u{1b}[0m via anthropic:tok\n",
            "- groq \u{1b}[31mfailing\u{1b}[0m (no usable credential)\n",
        ] {
            assert!(text.contains(line), "{line:?} in\n{text}");
        }
        assert_eq!(
            profile_status_line(&r, "openai-codex:codex-cli", TextStyle::default()).as_deref(),
            Some("- openai-codex:codex-cli expiring expires in 1h (codex-cli)")
        );
        assert_eq!(
            profile_status_line(&r, "anthropic:tok", TextStyle::default()).as_deref(),
            Some("- anthropic:tok ok expires in 3d")
        );
        assert_eq!(profile_status_line(&r, "anthropic:nope", TextStyle::default()), None);
    }

    #[test]
    fn an_expiring_verdict_is_yellow() {
        let mut w = MapWorld::default();
        let store = format!(
            r#"{{"version":1,"profiles":{{"anthropic:soon":{{"type":"token","provider":"anthropic","token":"tok-FAKE","expires":{}}}}}}}"#,
            NOW + 5 * HOUR
        );
        w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text(store));
        let loaded = crate::load::load(&w, &crate::paths::Env::new("/h"), NOW, None);
        let r = super::super::build(&loaded, &Default::default());
        let text = render_text(&r, &loaded.env, TextStyle { color: true });
        assert!(
            text.ends_with(
                "\nIn use (what --check judges)\n- anthropic \u{1b}[33mexpiring\u{1b}[0m via anthropic:soon\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_login_refused_at_refresh_says_when_and_what_to_do() {
        let mut store = crate::store::parse_store(
            format!(
                r#"{{"version":1,"profiles":{{"anthropic:claude-cli":{{"type":"oauth","provider":"anthropic","access":"acc-FAKE","refresh":"r-FAKE","expires":{}}}}}}}"#,
                NOW + 3 * HOUR
            )
            .as_bytes(),
            "s",
        )
        .unwrap()
        .0;
        let sent = crate::secret::Secret::new("r-FAKE");
        assert!(crate::rejection::record_rejection(
            &mut store,
            "anthropic:claude-cli",
            &sent,
            "invalid\u{1b}grant",
            NOW - 2 * HOUR
        ));
        let mut w = MapWorld::default();
        w.files.insert(
            "/h/.clawdbot/agents/main/agent/auth-profiles.json".into(),
            FileRead::text(crate::store::write_store(&store).unwrap()),
        );
        let loaded = crate::load::load(&w, &crate::paths::Env::new("/h"), NOW, None);
        let r = super::super::build(&loaded, &Default::default());
        assert_eq!(
            profile_status_line(&r, "anthropic:claude-cli", TextStyle::default()).unwrap(),
            format!(
                "- anthropic:claude-cli expired: login rejected at refresh (invalid\\u{{1b}}grant) 2h ago: {} (claude-cli)",
                crate::remedy::for_profile_id("anthropic:claude-cli")
            )
        );
    }
}
