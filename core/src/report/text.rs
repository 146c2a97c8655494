//! The reference's text layout of `models status` (§3.2): 14-character
//! labels, the auth overview, missing auth, and the OAuth/token status.
//!
//! Everything taken from a file passes through `escape_control`, so a
//! profile id holding an ANSI sequence prints as text, not as a command to
//! the terminal.

use super::StatusReport;
use crate::escape::escape_control;
use crate::health::HealthStatus;
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
            HealthStatus::Expired | HealthStatus::Missing => "31",
            HealthStatus::Static => "2",
        };
        self.paint(code, status.word())
    }
}

fn line(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "{label:<14}: {value}");
}

fn list_or_dash(items: &[String]) -> String {
    if items.is_empty() { "-".to_string() } else { escape_control(&items.join(", ")).into_owned() }
}

/// Renders the report. `env` shortens paths under HOME to `~`.
pub fn render_text(report: &StatusReport, env: &Env, style: TextStyle) -> String {
    let mut out = String::new();
    let esc = |s: &str| escape_control(s).into_owned();
    line(&mut out, "Config", &esc(&env.shorten(&report.config_path)));
    line(&mut out, "Agent dir", &esc(&env.shorten(&report.agent_dir)));
    let default = if report.default_model == report.resolved_default {
        report.resolved_default.clone()
    } else {
        format!("{} (from {})", report.resolved_default, report.default_model)
    };
    line(&mut out, "Default", &esc(&default));
    line(&mut out, &format!("Fallbacks ({})", report.fallbacks.len()), &list_or_dash(&report.fallbacks));
    line(&mut out, "Image model", &esc(report.image_model.as_deref().unwrap_or("-")));
    line(
        &mut out,
        &format!("Image fallbacks ({})", report.image_fallbacks.len()),
        &list_or_dash(&report.image_fallbacks),
    );
    let aliases: Vec<String> = report.aliases.iter().map(|(a, k)| format!("{a} -> {k}")).collect();
    line(&mut out, &format!("Aliases ({})", aliases.len()), &list_or_dash(&aliases));
    let allowed = if report.allowed.is_empty() { "all".to_string() } else { list_or_dash(&report.allowed) };
    line(&mut out, &format!("Configured models ({})", report.allowed.len()), &allowed);

    let auth = &report.auth;
    out.push_str("\nAuth overview\n");
    line(&mut out, "Auth store", &esc(&env.shorten(&auth.store_path)));
    let shell = &auth.shell_env_fallback;
    let shell_text = match (shell.enabled, shell.applied_keys.is_empty()) {
        (false, _) => "off".to_string(),
        (true, true) => "on".to_string(),
        (true, false) => format!("on (applied: {})", shell.applied_keys.join(", ")),
    };
    line(&mut out, "Shell env", &shell_text);
    line(
        &mut out,
        &format!("Providers w/ OAuth/tokens ({})", auth.providers_with_o_auth.len()),
        &list_or_dash(&auth.providers_with_o_auth),
    );
    for p in &auth.providers {
        let mut parts = vec![format!("{} effective={}:{}", p.provider, p.effective.kind, p.effective.detail)];
        if p.profiles.count > 0 {
            parts.push(format!(
                "profiles={} (oauth={}, token={}, api_key={})",
                p.profiles.count, p.profiles.oauth, p.profiles.token, p.profiles.api_key
            ));
            parts.push(p.profiles.labels.join(", "));
        }
        if let Some(e) = &p.env {
            parts.push(format!("env={}", e.value));
            parts.push(format!("source={}", e.source));
        }
        if let Some(m) = &p.models_json {
            parts.push(format!("models.json={}", m.value));
            parts.push(format!("source={}", m.source));
        }
        let _ = writeln!(out, "- {}", esc(&parts.join(" | ")));
    }

    if !auth.missing_providers_in_use.is_empty() {
        out.push_str("\nMissing auth\n");
        for p in &auth.missing_providers_in_use {
            let hint = crate::remedy::for_missing_provider(p);
            let _ = writeln!(out, "- {} {}", style.paint("31", &esc(p)), hint);
        }
    }

    out.push_str("\nOAuth/token status\n");
    let timed: Vec<_> = auth.oauth.profiles.iter().filter(|p| p.kind != CredentialType::ApiKey).collect();
    if timed.is_empty() {
        out.push_str("- none\n");
    }
    for p in timed {
        let source = match p.source {
            crate::health::ProfileSource::Store => String::new(),
            other => format!(" ({})", other.as_str()),
        };
        let _ = writeln!(out, "- {} {}{source}", esc(&p.label), health_words(p, style));
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
        let _ = writeln!(out, "- {} {status}{}", esc(&v.provider), esc(&via));
    }
    if !check.warnings.is_empty() {
        out.push_str("\nWarnings (not counted by --check)\n");
        for w in &check.warnings {
            let _ = writeln!(out, "- {}", esc(w));
        }
    }
    out
}

/// One profile's line of the "OAuth/token status" section, as
/// `models status` prints it (what `setup-token` shows after storing).
pub fn profile_status_line(report: &StatusReport, profile_id: &str, style: TextStyle) -> Option<String> {
    let p = report.auth.oauth.profiles.iter().find(|p| p.profile_id == profile_id)?;
    let source = match p.source {
        crate::health::ProfileSource::Store => String::new(),
        other => format!(" ({})", other.as_str()),
    };
    Some(format!("- {} {}{source}", escape_control(&p.label), health_words(p, style)))
}

/// A profile's status in words: `ok expires in 3d`, `expired 2h ago`,
/// `ok, refreshes on use (access token expires in 3h)`, or the refusal
/// with its remedy.
fn health_words(p: &crate::health::ProfileHealth, style: TextStyle) -> String {
    let status = style.status(p.status);
    if let Some(r) = &p.rejection {
        let ago = format_remaining_short(Some(r.ago_ms));
        let hint = crate::doctor::hint_for(&p.profile_id);
        return format!("{status}: login rejected at refresh ({}) {ago} ago: {hint}", escape_control(&r.code));
    }
    let beyond = p.remaining_ms.is_some_and(crate::remaining::is_beyond_year_9999);
    let when = match p.remaining_ms {
        _ if beyond => format!("expires {}", crate::remaining::BEYOND_YEAR_9999),
        Some(r) if r <= 0.0 => format!("expired {} ago", format_remaining_short(Some(-r))),
        Some(r) if p.expires_at.is_some() => format!("expires in {}", format_remaining_short(Some(r))),
        _ => "expiry unknown".to_string(),
    };
    match p.status {
        HealthStatus::Static => status,
        HealthStatus::Ok if p.refreshable => format!("{status}, refreshes on use (access token {when})"),
        HealthStatus::Expired => format!("{status} {}", when.trim_start_matches("expired ")),
        HealthStatus::Missing => format!("{status} expires unknown"),
        _ => format!("{status} {when}"),
    }
}
