//! The status as Prometheus text exposition, for node_exporter's textfile
//! collector (`clawdbot models status --format prometheus > …/clawdbot.prom`).
//!
//! One gauge family per fact, labels escaped as the exposition format
//! requires, so a profile id holding a quote or a newline cannot forge a
//! metric line.

use super::{CheckCode, StatusReport};
use crate::health::HealthStatus;
use std::fmt::Write;

/// Escapes a label value: backslash, double quote and newline as the
/// exposition format requires; any other control or bidi character (an
/// ANSI escape in a profile id) as the text `\u{1b}`, its backslash
/// doubled so a scraper reads it back as that text and a terminal showing
/// the file never sees the raw character.
fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if crate::escape::needs_escape(c) => {
                let _ = write!(out, "\\\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

/// Renders the metrics. `agent` labels every series; `now_ms` is the run time.
pub fn render_prometheus(report: &StatusReport, check: CheckCode, agent: &str, now_ms: i64) -> String {
    let mut out = String::new();
    let agent = label(agent);
    family(
        &mut out,
        "clawdbot_auth_check",
        "Exit code of `clawdbot models status --check`: 0 ok, 1 action needed, 2 expiring.",
    );
    let _ = writeln!(out, "clawdbot_auth_check{{agent=\"{agent}\"}} {}", check.code());
    family(&mut out, "clawdbot_auth_last_run_timestamp_seconds", "When this status was computed (Unix seconds).");
    let _ = writeln!(out, "clawdbot_auth_last_run_timestamp_seconds{{agent=\"{agent}\"}} {}", seconds(now_ms as f64));

    family(
        &mut out,
        "clawdbot_auth_file_unreadable",
        "1 for each credential file that exists and cannot be used (the store, clawdbot.json); --check says 1.",
    );
    for file in &report.unreadable_files {
        let _ = writeln!(out, "clawdbot_auth_file_unreadable{{agent=\"{agent}\",file=\"{}\"}} 1", label(file));
    }

    let profiles = &report.auth.oauth.profiles;
    family(
        &mut out,
        "clawdbot_auth_profile_expiry_timestamp_seconds",
        "When the profile's credential expires (Unix seconds); absent for keys, tokens that never expire \
         and expiries beyond the year 9999.",
    );
    // An inherited profile's expiry is its owner's series: each secret once.
    for p in profiles.iter().filter(|p| p.inherited_from.is_none()) {
        if let Some(at) = p.expires_at.filter(|at| !at.is_far_future()) {
            let _ = writeln!(
                out,
                "clawdbot_auth_profile_expiry_timestamp_seconds{{agent=\"{agent}\",profile=\"{}\",provider=\"{}\",type=\"{}\"}} {}",
                label(&p.profile_id),
                label(&p.provider),
                p.kind.as_str(),
                seconds(at.ms())
            );
        }
    }
    family(
        &mut out,
        "clawdbot_auth_profile_status",
        "1 for the profile's current status (ok, expiring, expired, missing, static); `owner` is the agent \
         whose store holds it (another than `agent` for an inherited profile).",
    );
    for p in profiles {
        let owner = p.inherited_from.as_deref().map_or_else(|| agent.clone(), label);
        let _ = writeln!(
            out,
            "clawdbot_auth_profile_status{{agent=\"{agent}\",owner=\"{owner}\",profile=\"{}\",provider=\"{}\",type=\"{}\",source=\"{}\",status=\"{}\"}} 1",
            label(&p.profile_id),
            label(&p.provider),
            p.kind.as_str(),
            p.source.status_word(),
            status_name(p.status)
        );
    }
    family(&mut out, "clawdbot_auth_provider_status", "1 for each provider's rolled-up status.");
    for p in &report.auth.oauth.providers {
        let _ = writeln!(
            out,
            "clawdbot_auth_provider_status{{agent=\"{agent}\",provider=\"{}\",status=\"{}\"}} 1",
            label(&p.provider),
            status_name(p.status)
        );
    }
    family(
        &mut out,
        "clawdbot_auth_missing_provider_in_use",
        "1 for each provider the configured models use that has no credentials.",
    );
    for p in &report.auth.missing_providers_in_use {
        let _ = writeln!(out, "clawdbot_auth_missing_provider_in_use{{agent=\"{agent}\",provider=\"{}\"}} 1", label(p));
    }
    family(
        &mut out,
        "clawdbot_auth_profile_unusable_until_timestamp_seconds",
        "When a profile in cooldown or disabled becomes usable again.",
    );
    for u in &report.auth.unusable_profiles {
        let kind = match u.kind {
            crate::usage::UnusableKind::Cooldown => "cooldown",
            crate::usage::UnusableKind::Disabled => "disabled",
        };
        let _ = writeln!(
            out,
            "clawdbot_auth_profile_unusable_until_timestamp_seconds{{agent=\"{agent}\",profile=\"{}\",kind=\"{kind}\"}} {}",
            label(&u.profile_id),
            seconds(u.until)
        );
    }
    if let Some(run) = &report.auth.probes {
        family(
            &mut out,
            "clawdbot_auth_probe_status",
            "1 for each credential `--probe` checked, by how it came out (ok, auth, billing, rate_limit, \
             timeout, format, unknown, not_probed); `target` is the profile id, `env: VAR` or models.json.",
        );
        for r in &run.results {
            let _ = writeln!(
                out,
                "clawdbot_auth_probe_status{{agent=\"{agent}\",provider=\"{}\",target=\"{}\",source=\"{}\",status=\"{}\",reason=\"{}\"}} 1",
                label(&r.provider),
                label(&r.label),
                source_name(r.source),
                r.status.word(),
                label(r.reason_code.as_deref().unwrap_or(""))
            );
        }
        family(&mut out, "clawdbot_auth_probe_latency_seconds", "How long each probe's exchange took.");
        for r in &run.results {
            if let Some(ms) = r.latency_ms {
                let _ = writeln!(
                    out,
                    "clawdbot_auth_probe_latency_seconds{{agent=\"{agent}\",provider=\"{}\",target=\"{}\"}} {}",
                    label(&r.provider),
                    label(&r.label),
                    seconds(ms as f64)
                );
            }
        }
    }
    out
}

/// A probe target's source, as `--json` names it.
fn source_name(source: crate::probe::TargetSource) -> &'static str {
    match source {
        crate::probe::TargetSource::Profile => "profile",
        crate::probe::TargetSource::Env => "env",
        crate::probe::TargetSource::ModelsJson => "models.json",
    }
}

fn status_name(s: HealthStatus) -> &'static str {
    match s {
        HealthStatus::Ok => "ok",
        HealthStatus::Expiring => "expiring",
        HealthStatus::Expired => "expired",
        HealthStatus::Missing => "missing",
        HealthStatus::Static => "static",
        HealthStatus::Failing => "failing",
        HealthStatus::Unchecked => "not_checked",
    }
}

/// Milliseconds as seconds, without a trailing `.0` when whole, and in
/// exponent form when huge (`1e297`, not 298 digits).
fn seconds(ms: f64) -> String {
    let s = ms / 1000.0;
    if s.fract() == 0.0 && s.abs() < 9e15 {
        format!("{}", s as i64)
    } else if s.abs() >= 1e15 {
        format!("{s:e}")
    } else {
        format!("{s}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Env;
    use crate::world::{FileRead, MapWorld};

    #[test]
    fn labels_are_escaped_and_every_family_is_typed() {
        let mut w = MapWorld::default();
        let store = r#"{"version":1,"profiles":{"anthropic:a\"b\nc\u001b[31m":{"type":"oauth","provider":"anthropic","access":"x","expires":1767229200000}}}"#;
        w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text(store));
        let loaded = crate::load::load(&w, &Env::new("/h"), 1_767_225_600_000, None);
        let r = super::super::build(&loaded, &Default::default());
        let text = render_prometheus(&r, super::super::check_code(&r, &loaded), "main", 1_767_225_600_000);
        assert!(text.contains(r#"profile="anthropic:a\"b\nc\\u{1b}[31m""#), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("clawdbot_auth_check{agent=\"main\"} 2"));
        assert!(text.contains("} 1767229200\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split('{').next().unwrap();
            assert!(text.contains(&format!("# TYPE {name} gauge")), "{line}");
        }
    }

    #[test]
    fn every_family_of_a_busy_home_reads_exactly_so() {
        let (loaded, options) = super::super::text::tests::busy_home();
        let r = super::super::build(&loaded, &options);
        let text = render_prometheus(&r, super::super::check_code(&r, &loaded), "a\"gent", 1_767_225_600_500);
        let expected = concat!(
            "# HELP clawdbot_auth_check Exit code of `clawdbot models status --check`: 0 ok, 1 action needed, 2 expiring.\n",
            "# TYPE clawdbot_auth_check gauge\n",
            "clawdbot_auth_check{agent=\"a\\\"gent\"} 1\n",
            "# HELP clawdbot_auth_last_run_timestamp_seconds When this status was computed (Unix seconds).\n",
            "# TYPE clawdbot_auth_last_run_timestamp_seconds gauge\n",
            "clawdbot_auth_last_run_timestamp_seconds{agent=\"a\\\"gent\"} 1767225600.5\n",
            "# HELP clawdbot_auth_file_unreadable 1 for each credential file that exists and cannot be used (the store, clawdbot.json); --check says 1.\n",
            "# TYPE clawdbot_auth_file_unreadable gauge\n",
            "# HELP clawdbot_auth_profile_expiry_timestamp_seconds When the profile's credential expires (Unix seconds); absent for keys, tokens that never expire and expiries beyond the year 9999.\n",
            "# TYPE clawdbot_auth_profile_expiry_timestamp_seconds gauge\n",
            "clawdbot_auth_profile_expiry_timestamp_seconds{agent=\"a\\\"gent\",profile=\"anthropic:old\",provider=\"anthropic\",type=\"token\"} 1767218400\n",
            "clawdbot_auth_profile_expiry_timestamp_seconds{agent=\"a\\\"gent\",profile=\"anthropic:soon\",provider=\"anthropic\",type=\"token\"} 1767243600\n",
            "clawdbot_auth_profile_expiry_timestamp_seconds{agent=\"a\\\"gent\",profile=\"anthropic:tok\",provider=\"anthropic\",type=\"token\"} 1767484800\n",
            "clawdbot_auth_profile_expiry_timestamp_seconds{agent=\"a\\\"gent\",profile=\"anthropic:work\",provider=\"anthropic\",type=\"oauth\"} 1767236400\n",
            "clawdbot_auth_profile_expiry_timestamp_seconds{agent=\"a\\\"gent\",profile=\"openai-codex:codex-cli\",provider=\"openai-codex\",type=\"oauth\"} 1767229200\n",
            "# HELP clawdbot_auth_profile_status 1 for the profile's current status (ok, expiring, expired, missing, static); `owner` is the agent whose store holds it (another than `agent` for an inherited profile).\n",
            "# TYPE clawdbot_auth_profile_status gauge\n",
            "clawdbot_auth_profile_status{agent=\"a\\\"gent\",owner=\"a\\\"gent\",profile=\"anthropic:far\",provider=\"anthropic\",type=\"token\",source=\"store\",status=\"ok\"} 1\n",
            "clawdbot_auth_profile_status{agent=\"a\\\"gent\",owner=\"a\\\"gent\",profile=\"anthropic:forever\",provider=\"anthropic\",type=\"token\",source=\"store\",status=\"static\"} 1\n",
            "clawdbot_auth_profile_status{agent=\"a\\\"gent\",owner=\"a\\\"gent\",profile=\"anthropic:old\",provider=\"anthropic\",type=\"token\",source=\"store\",status=\"expired\"} 1\n",
            "clawdbot_auth_profile_status{agent=\"a\\\"gent\",owner=\"a\\\"gent\",profile=\"anthropic:soon\",provider=\"anthropic\",type=\"token\",source=\"store\",status=\"expiring\"} 1\n",
            "clawdbot_auth_profile_status{agent=\"a\\\"gent\",owner=\"a\\\"gent\",profile=\"anthropic:tok\",provider=\"anthropic\",type=\"token\",source=\"store\",status=\"ok\"} 1\n",
            "clawdbot_auth_profile_status{agent=\"a\\\"gent\",owner=\"a\\\"gent\",profile=\"anthropic:unknown\",provider=\"anthropic\",type=\"oauth\",source=\"store\",status=\"missing\"} 1\n",
            "clawdbot_auth_profile_status{agent=\"a\\\"gent\",owner=\"a\\\"gent\",profile=\"anthropic:work\",provider=\"anthropic\",type=\"oauth\",source=\"store\",status=\"ok\"} 1\n",
            "clawdbot_auth_profile_status{agent=\"a\\\"gent\",owner=\"a\\\"gent\",profile=\"openai:cool\",provider=\"openai\",type=\"api_key\",source=\"store\",status=\"static\"} 1\n",
            "clawdbot_auth_profile_status{agent=\"a\\\"gent\",owner=\"a\\\"gent\",profile=\"openai:key\",provider=\"openai\",type=\"api_key\",source=\"store\",status=\"static\"} 1\n",
            "clawdbot_auth_profile_status{agent=\"a\\\"gent\",owner=\"a\\\"gent\",profile=\"openai:off\",provider=\"openai\",type=\"api_key\",source=\"store\",status=\"static\"} 1\n",
            "clawdbot_auth_profile_status{agent=\"a\\\"gent\",owner=\"a\\\"gent\",profile=\"openai-codex:codex-cli\",provider=\"openai-codex\",type=\"oauth\",source=\"codex-cli\",status=\"ok\"} 1\n",
            "# HELP clawdbot_auth_provider_status 1 for each provider's rolled-up status.\n",
            "# TYPE clawdbot_auth_provider_status gauge\n",
            "clawdbot_auth_provider_status{agent=\"a\\\"gent\",provider=\"anthropic\",status=\"expired\"} 1\n",
            "clawdbot_auth_provider_status{agent=\"a\\\"gent\",provider=\"custom\",status=\"missing\"} 1\n",
            "clawdbot_auth_provider_status{agent=\"a\\\"gent\",provider=\"google\",status=\"missing\"} 1\n",
            "clawdbot_auth_provider_status{agent=\"a\\\"gent\",provider=\"groq\",status=\"missing\"} 1\n",
            "clawdbot_auth_provider_status{agent=\"a\\\"gent\",provider=\"openai\",status=\"static\"} 1\n",
            "clawdbot_auth_provider_status{agent=\"a\\\"gent\",provider=\"openai-codex\",status=\"ok\"} 1\n",
            "clawdbot_auth_provider_status{agent=\"a\\\"gent\",provider=\"xai\",status=\"missing\"} 1\n",
            "# HELP clawdbot_auth_missing_provider_in_use 1 for each provider the configured models use that has no credentials.\n",
            "# TYPE clawdbot_auth_missing_provider_in_use gauge\n",
            "clawdbot_auth_missing_provider_in_use{agent=\"a\\\"gent\",provider=\"groq\"} 1\n",
            "# HELP clawdbot_auth_profile_unusable_until_timestamp_seconds When a profile in cooldown or disabled becomes usable again.\n",
            "# TYPE clawdbot_auth_profile_unusable_until_timestamp_seconds gauge\n",
            "clawdbot_auth_profile_unusable_until_timestamp_seconds{agent=\"a\\\"gent\",profile=\"openai:cool\",kind=\"cooldown\"} 1767225840\n",
            "clawdbot_auth_profile_unusable_until_timestamp_seconds{agent=\"a\\\"gent\",profile=\"openai:off\",kind=\"disabled\"} 1767243600\n",
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn seconds_are_whole_when_whole_and_in_exponent_form_when_huge() {
        let cases = [
            (1_767_229_200_000.0, "1767229200"),
            (1500.0, "1.5"),
            (-2000.0, "-2"),
            (0.0, "0"),
            (8.9e18, "8900000000000000"),
            (9e18, "9e15"),
            (-9e18, "-9e15"),
            (1e18 + 500.0, "1.0000000000000005e15"),
            (1e300, "1e297"),
        ];
        for (ms, text) in cases {
            assert_eq!(seconds(ms), text, "{ms}");
        }
    }

    #[test]
    fn each_unusable_file_is_one_series() {
        let mut w = MapWorld::default();
        w.files.insert("/h/.clawdbot/agents/main/agent/auth-profiles.json".into(), FileRead::text("{ broken"));
        w.files.insert("/h/.clawdbot/clawdbot.json".into(), FileRead::text("{ broken"));
        let loaded = crate::load::load(&w, &Env::new("/h"), 1_767_225_600_000, None);
        let r = super::super::build(&loaded, &Default::default());
        let text = render_prometheus(&r, super::super::check_code(&r, &loaded), "main", 1_767_225_600_000);
        let unreadable: Vec<&str> = text.lines().filter(|l| l.starts_with("clawdbot_auth_file_unreadable{")).collect();
        assert_eq!(
            unreadable,
            [
                "clawdbot_auth_file_unreadable{agent=\"main\",file=\"~/.clawdbot/clawdbot.json\"} 1",
                "clawdbot_auth_file_unreadable{agent=\"main\",file=\"~/.clawdbot/agents/main/agent/auth-profiles.json\"} 1",
            ]
        );
        assert!(text.contains("clawdbot_auth_check{agent=\"main\"} 1\n"));
    }

    #[test]
    fn labels_escape_backslash_quote_newline_and_controls_only() {
        assert_eq!(label("plain:id-é"), "plain:id-é");
        assert_eq!(label("a\\b\"c\nd\u{1b}e\u{202e}"), "a\\\\b\\\"c\\nd\\\\u{1b}e\\\\u{202e}");
    }
}
