//! Durations as operators type them: `365d`, `1.5h`, `90` (A68, §2.13).
//!
//! Every duration a command reads is one of the [`DurationFlag`]s and is
//! parsed by [`DurationFlag::parse`]; a bare number keeps the unit it has
//! always had for its option (days, minutes, hours: scripts written for
//! the reference pass `--expires-in 365`), and [`DurationFlag::help`] is
//! the one sentence every `--help` says it with (issue 23 item 13).
//!
//! The reference matches `^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$` on the trimmed,
//! lower-cased input and rounds `value × unit` with `Math.round`. This parser
//! accepts exactly the same language without a regex engine, and computes
//! the result in exact decimal arithmetic, so `0.0000001d` rounds the way
//! the digits say and a value too large for an `i64` is an error instead of
//! a silently wrong number.

use thiserror::Error;

/// The units a duration may carry, and the one assumed when it has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationUnit {
    /// Milliseconds (`ms`).
    Ms,
    /// Seconds (`s`).
    S,
    /// Minutes (`m`).
    M,
    /// Hours (`h`).
    H,
    /// Days (`d`).
    D,
}

impl DurationUnit {
    /// Milliseconds per unit (§2.13: ms 1, s 1000, m 60000, h 3600000, d 86400000).
    pub fn millis(self) -> i64 {
        match self {
            DurationUnit::Ms => 1,
            DurationUnit::S => crate::time::SECOND,
            DurationUnit::M => crate::time::MINUTE,
            DurationUnit::H => crate::time::HOUR,
            DurationUnit::D => crate::time::DAY,
        }
    }

    /// The unit's suffix as typed (`ms`, `s`, `m`, `h`, `d`).
    pub fn as_str(self) -> &'static str {
        match self {
            DurationUnit::Ms => "ms",
            DurationUnit::S => "s",
            DurationUnit::M => "m",
            DurationUnit::H => "h",
            DurationUnit::D => "d",
        }
    }

    /// The unit's name in words, plural (`days`), as help texts say it.
    pub fn words(self) -> &'static str {
        match self {
            DurationUnit::Ms => "milliseconds",
            DurationUnit::S => "seconds",
            DurationUnit::M => "minutes",
            DurationUnit::H => "hours",
            DurationUnit::D => "days",
        }
    }

    /// The unit spelled as in a duration, already lower-cased.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ms" => Some(DurationUnit::Ms),
            "s" => Some(DurationUnit::S),
            "m" => Some(DurationUnit::M),
            "h" => Some(DurationUnit::H),
            "d" => Some(DurationUnit::D),
            _ => None,
        }
    }
}

/// An option that takes a duration, and the unit a bare number is in.
///
/// The units differ by option, as they always have (the reference's
/// `--expires-in` is days; `--min-valid` counts minutes and `--warn-within`
/// hours), so a unit is never required, and every help text states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationFlag {
    /// `--expires-in` of `paste-token` and `setup-token`, and `add`'s
    /// "Expires in" question: days (A63).
    ExpiresIn,
    /// `--min-valid` of `models auth token`: minutes.
    MinValid,
    /// `--warn-within` of `models status`: hours.
    WarnWithin,
    /// `--probe-timeout` of `models status --probe`: milliseconds, as the
    /// successor's `--probe-timeout <ms>`.
    ProbeTimeout,
}

impl DurationFlag {
    /// Every option that takes a duration.
    pub const ALL: [DurationFlag; 4] =
        [DurationFlag::ExpiresIn, DurationFlag::MinValid, DurationFlag::WarnWithin, DurationFlag::ProbeTimeout];

    /// The option as typed, `--expires-in`.
    pub fn flag(self) -> &'static str {
        match self {
            DurationFlag::ExpiresIn => "--expires-in",
            DurationFlag::MinValid => "--min-valid",
            DurationFlag::WarnWithin => "--warn-within",
            DurationFlag::ProbeTimeout => "--probe-timeout",
        }
    }

    /// The unit of a number typed without one.
    pub fn bare_unit(self) -> DurationUnit {
        match self {
            DurationFlag::ExpiresIn => DurationUnit::D,
            DurationFlag::MinValid => DurationUnit::M,
            DurationFlag::WarnWithin => DurationUnit::H,
            DurationFlag::ProbeTimeout => DurationUnit::Ms,
        }
    }

    /// The option's value in whole milliseconds.
    pub fn parse(self, raw: &str) -> Result<i64, DurationError> {
        parse_duration(raw, self.bare_unit())
    }

    /// What every help text of the option says about its units:
    /// `a number with ms, s, m, h or d; a bare number is days`.
    pub fn help(self) -> String {
        let units = [DurationUnit::Ms, DurationUnit::S, DurationUnit::M, DurationUnit::H, DurationUnit::D];
        let units: Vec<&str> = units.iter().map(|u| u.as_str()).collect();
        let (last, rest) = units.split_last().map_or((&"", &[][..]), |(l, r)| (l, r));
        format!("a number with {} or {last}; a bare number is {}", rest.join(", "), self.bare_unit().words())
    }
}

/// Why a duration was refused; the texts are the reference's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Nothing but whitespace was given.
    #[error("invalid duration (empty)")]
    Empty,
    /// Holds the input as the user typed it, untrimmed, like the reference.
    #[error("invalid duration: {0}")]
    Invalid(String),
}

/// Parses a duration into whole milliseconds (A68).
///
/// `default_unit` applies when the input has no unit; `paste-token
/// --expires-in` passes [`DurationUnit::D`].
pub fn parse_duration(raw: &str, default_unit: DurationUnit) -> Result<i64, DurationError> {
    let text = raw.trim_matches(is_js_trim_char).to_lowercase();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let invalid = || DurationError::Invalid(raw.to_string());
    let (whole, fraction, unit) = split_duration(&text).ok_or_else(invalid)?;
    let unit = match unit {
        "" => default_unit,
        u => DurationUnit::parse(u).ok_or_else(invalid)?,
    };
    scale(whole, fraction, unit.millis()).ok_or_else(invalid)
}

/// What JavaScript's `String.prototype.trim` removes: Unicode white space
/// and the byte-order mark, which Rust's `trim` keeps.
fn is_js_trim_char(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// Splits `digits[.digits]unit` into its three parts, or `None` when the
/// text is not of that shape. Only ASCII digits count, as with `\d`.
fn split_duration(text: &str) -> Option<(&str, &str, &str)> {
    let whole_len = leading_digits(text);
    if whole_len == 0 {
        return None;
    }
    let (whole, rest) = text.split_at(whole_len);
    let (fraction, unit) = match rest.strip_prefix('.') {
        Some(after_dot) => {
            let fraction_len = leading_digits(after_dot);
            if fraction_len == 0 {
                return None;
            }
            after_dot.split_at(fraction_len)
        }
        None => ("", rest),
    };
    Some((whole, fraction, unit))
}

fn leading_digits(text: &str) -> usize {
    text.bytes().take_while(u8::is_ascii_digit).count()
}

/// `round(whole.fraction × unit_ms)`, half up as `Math.round` does for
/// non-negative values, or `None` when the result does not fit an `i64`.
fn scale(whole: &str, fraction: &str, unit_ms: i64) -> Option<i64> {
    let mut whole_ms: i64 = 0;
    for digit in whole.bytes() {
        whole_ms = whole_ms.checked_mul(10)?.checked_add(i64::from(digit - b'0'))?;
    }
    let whole_ms = whole_ms.checked_mul(unit_ms)?;
    whole_ms.checked_add(scaled_fraction(fraction, unit_ms))
}

/// `round(0.<fraction> × unit_ms)`, exactly: the decimal digits are
/// multiplied by `unit_ms` from the last one up, like long multiplication;
/// what carries past the point is the integer part and the first digit
/// after the point decides the rounding.
fn scaled_fraction(fraction: &str, unit_ms: i64) -> i64 {
    let mut carry: i64 = 0;
    let mut first_digit_after_point: i64 = 0;
    for digit in fraction.bytes().rev() {
        let product = i64::from(digit - b'0') * unit_ms + carry;
        first_digit_after_point = product % 10;
        carry = product / 10;
    }
    if first_digit_after_point >= 5 { carry + 1 } else { carry }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DurationUnit::*;

    #[test]
    fn units_and_default_unit() {
        assert_eq!(parse_duration("365d", D), Ok(31_536_000_000));
        assert_eq!(parse_duration("90", D), Ok(7_776_000_000));
        assert_eq!(parse_duration("90", Ms), Ok(90));
        assert_eq!(parse_duration("10ms", D), Ok(10));
        assert_eq!(parse_duration("3s", D), Ok(3_000));
        assert_eq!(parse_duration("2m", D), Ok(120_000));
        assert_eq!(parse_duration("0", D), Ok(0));
    }

    #[test]
    fn trims_and_lowercases() {
        assert_eq!(parse_duration(" 2H ", D), Ok(7_200_000));
        assert_eq!(parse_duration("\t10MS\n", D), Ok(10));
        assert_eq!(parse_duration("\u{feff}1d", H), Ok(86_400_000));
    }

    #[test]
    fn decimals_round_half_up() {
        assert_eq!(parse_duration("1.5h", D), Ok(5_400_000));
        assert_eq!(parse_duration("1.5", Ms), Ok(2));
        assert_eq!(parse_duration("1.4999", Ms), Ok(1));
        assert_eq!(parse_duration("0.5ms", D), Ok(1));
        assert_eq!(parse_duration("0.0000001d", D), Ok(9)); // 8.64 ms
        assert_eq!(parse_duration("0.25s", D), Ok(250));
        assert_eq!(parse_duration("1.00000000000000000000000000001ms", D), Ok(1));
    }

    #[test]
    fn errors_say_what_was_typed() {
        assert_eq!(parse_duration("", D), Err(DurationError::Empty));
        assert_eq!(parse_duration("   ", D).unwrap_err().to_string(), "invalid duration (empty)");
        for bad in ["abc", "-1d", "1w", "1.", ".5", "1.5.5", "1 d", "d", "1dd", "1e3", "+1", "١"] {
            let err = parse_duration(bad, D).unwrap_err();
            assert_eq!(err, DurationError::Invalid(bad.to_string()), "{bad:?}");
        }
        assert_eq!(parse_duration(" 1w ", D).unwrap_err().to_string(), "invalid duration:  1w ");
    }

    #[test]
    fn overflow_is_an_error_not_a_wrong_number() {
        assert!(parse_duration("9223372036854775807ms", D).is_ok());
        assert!(parse_duration("9223372036854775808ms", D).is_err());
        assert!(parse_duration("106751991167301d", D).is_err());
        assert!(parse_duration("99999999999999999999999999", D).is_err());
        assert!(parse_duration("9223372036854775807.5ms", D).is_err());
    }

    /// Issue 23 item 13: a bare number keeps its option's unit, and the
    /// help says which.
    #[test]
    fn each_option_reads_a_bare_number_in_its_own_unit_and_says_so() {
        assert_eq!(DurationFlag::ExpiresIn.parse("365"), DurationFlag::ExpiresIn.parse("365d"));
        assert_eq!(DurationFlag::MinValid.parse("10"), Ok(600_000));
        assert_eq!(DurationFlag::WarnWithin.parse("24"), Ok(86_400_000));
        assert_eq!(DurationFlag::WarnWithin.parse("90m"), Ok(5_400_000), "a unit wins");
        assert_eq!(DurationFlag::ExpiresIn.help(), "a number with ms, s, m, h or d; a bare number is days");
        assert!(DurationFlag::MinValid.help().ends_with("a bare number is minutes"));
        assert!(DurationFlag::WarnWithin.help().ends_with("a bare number is hours"));
    }

    #[test]
    fn unit_names_round_trip() {
        for unit in [Ms, S, M, H, D] {
            assert_eq!(DurationUnit::parse(unit.as_str()), Some(unit));
        }
    }
}
