//! The small pure rules against `tests/vectors/units.json` (and the one in
//! `$CLAWDBOT_SHARED_DIR/vectors/` when set), read at run time so that pairs
//! added to the file are checked without a code change.
//!
//! Every section of the file must be known here: a section this test does
//! not understand fails the run instead of being skipped in silence.

use clawdbot_auth_core::format_remaining_short;
use clawdbot_auth_core::mask;
use clawdbot_auth_core::rules::validate_setup_token;
use clawdbot_auth_core::rules::{CooldownPolicy, billing_disable_ms, cooldown_ms};
use clawdbot_auth_core::{DurationUnit, parse_duration};
use serde_json::Value;

const SECTIONS: [&str; 8] = [
    "now",
    "formatRemainingShort",
    "cooldownMs",
    "billingDisableMsDefaults",
    "parseDuration [input, defaultUnit, ms]",
    "parseDurationErrors",
    "setupTokenValidation",
    "maskApiKey",
];

/// Every units file, parsed: the repository's, then the shared one.
fn all_units() -> Vec<Value> {
    let files = clawdbot_conformance::units_files();
    assert!(!files.is_empty(), "no units.json in tests/vectors");
    files
        .into_iter()
        .map(|(label, path)| {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{label}: {}: {e}", path.display()));
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{label}: {} is not JSON: {e}", path.display()))
        })
        .collect()
}

/// The rows of a section, each an array; panics naming the section if the
/// file has another shape.
fn rows(units: &Value, section: &str) -> Vec<Vec<Value>> {
    let list = units.get(section).and_then(Value::as_array);
    let list = list.unwrap_or_else(|| panic!("units.json: section {section:?} is missing or not an array"));
    assert!(!list.is_empty(), "units.json: section {section:?} is empty");
    list.iter()
        .map(|row| row.as_array().cloned().unwrap_or_else(|| panic!("units.json: {section:?} row {row} is not a pair")))
        .collect()
}

fn int(v: &Value, what: &str) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("units.json: {what}: {v} is not an integer"))
}

fn text<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str().unwrap_or_else(|| panic!("units.json: {what}: {v} is not a string"))
}

fn count(v: &Value, what: &str) -> u32 {
    u32::try_from(int(v, what)).unwrap_or_else(|_| panic!("units.json: {what}: {v} is not a count"))
}

#[test]
fn every_section_is_understood() {
    for units in all_units() {
        let object = units.as_object().expect("units.json: the top level is an object");
        let unknown: Vec<&String> = object.keys().filter(|k| !SECTIONS.contains(&k.as_str())).collect();
        assert!(unknown.is_empty(), "units.json has sections this test does not check: {unknown:?}");
    }
}

#[test]
fn format_remaining_short_pairs() {
    for units in all_units() {
        for row in rows(&units, "formatRemainingShort") {
            let ms = row[0].as_f64().unwrap_or_else(|| panic!("formatRemainingShort: {} is not a number", row[0]));
            let want = text(&row[1], "formatRemainingShort");
            assert_eq!(format_remaining_short(Some(ms)), want, "formatRemainingShort({ms})");
        }
    }
}

#[test]
fn cooldown_pairs() {
    for units in all_units() {
        for row in rows(&units, "cooldownMs") {
            let n = count(&row[0], "cooldownMs");
            assert_eq!(cooldown_ms(n), int(&row[1], "cooldownMs"), "cooldownMs({n})");
        }
    }
}

#[test]
fn billing_pairs_with_default_config() {
    for units in all_units() {
        let policy = CooldownPolicy::default();
        for row in rows(&units, "billingDisableMsDefaults") {
            let k = count(&row[0], "billingDisableMsDefaults");
            let got = billing_disable_ms(k, policy.billing_backoff_ms, policy.billing_max_ms);
            assert_eq!(got, int(&row[1], "billingDisableMsDefaults"), "billingDisableMs({k})");
        }
    }
}

#[test]
fn parse_duration_triples() {
    for units in all_units() {
        let section = "parseDuration [input, defaultUnit, ms]";
        for row in rows(&units, section) {
            assert_eq!(row.len(), 3, "{section}: {row:?} is not a triple");
            let input = text(&row[0], section);
            let unit_name = text(&row[1], section);
            let unit =
                DurationUnit::parse(unit_name).unwrap_or_else(|| panic!("{section}: unknown unit {unit_name:?}"));
            assert_eq!(parse_duration(input, unit), Ok(int(&row[2], section)), "parseDuration({input:?}, {unit_name})");
        }
    }
}

#[test]
fn parse_duration_errors() {
    for units in all_units() {
        let list = units["parseDurationErrors"].as_array().expect("units.json: parseDurationErrors is an array");
        assert!(!list.is_empty(), "units.json: parseDurationErrors is empty");
        for raw in list {
            let raw = text(raw, "parseDurationErrors");
            let err = parse_duration(raw, DurationUnit::D).expect_err(raw).to_string();
            let want = if raw.trim().is_empty() {
                "invalid duration (empty)".to_string()
            } else {
                format!("invalid duration: {raw}")
            };
            assert_eq!(err, want);
        }
    }
}

#[test]
fn setup_token_validation_pairs() {
    for units in all_units() {
        for row in rows(&units, "setupTokenValidation") {
            let input = text(&row[0], "setupTokenValidation");
            let want = text(&row[1], "setupTokenValidation");
            let got = validate_setup_token(input).err().unwrap_or("ok");
            assert_eq!(got, want, "validateSetupToken({} chars)", input.len());
        }
    }
}

#[test]
fn mask_api_key_pairs() {
    for units in all_units() {
        for row in rows(&units, "maskApiKey") {
            let input = text(&row[0], "maskApiKey");
            assert_eq!(mask(input), text(&row[1], "maskApiKey"), "maskApiKey of a {}-char value", input.len());
        }
    }
}

#[test]
fn now_is_a_timestamp() {
    for units in all_units() {
        // No pair here depends on the clock; it only has to be well formed.
        assert!(int(&units["now"], "now") > 0);
    }
}
