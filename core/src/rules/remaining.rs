//! Time left, as one short word: `1m`, `3h`, `2d` (A51, §2.9).
//!
//! The status table, the JSON report's consumers and the admin panel all
//! show these, so the rounding has to match the reference's digit for
//! digit, `Math.round` ties included.

// A time left past the year 9999 is the far-future rule's (`time.rs`): a
// stored `1e300` would otherwise print a 300-digit number of days.
use crate::time::{BEYOND_YEAR_9999, is_beyond_year_9999};

/// The reference's `formatRemainingShort`.
///
/// `None` or NaN is `unknown`; zero or less is `0m`; otherwise minutes
/// (at least 1) under an hour, hours under two days, then days, each step
/// rounding the previous step's rounded value, as the reference does (so
/// 47.5 h is `48h` rounded to `2d`). Positive infinity, which no real
/// expiry produces, is `unknown` rather than the reference's `Infinityd`;
/// a finite time past the year 9999 is `BEYOND_YEAR_9999`.
pub fn format_remaining_short(ms: Option<f64>) -> String {
    let Some(ms) = ms.filter(|v| !v.is_nan()) else {
        return "unknown".to_string();
    };
    if ms <= 0.0 {
        return "0m".to_string();
    }
    if ms.is_infinite() {
        return "unknown".to_string();
    }
    if is_beyond_year_9999(ms) {
        return BEYOND_YEAR_9999.to_string();
    }
    let minutes = js_round(ms / 60_000.0).max(1.0);
    if minutes < 60.0 {
        return whole(minutes, 'm');
    }
    let hours = js_round(minutes / 60.0);
    if hours < 48.0 {
        return whole(hours, 'h');
    }
    whole(js_round(hours / 24.0), 'd')
}

/// A whole number of `unit`s as `{:.0}` prints it: below the year 9999
/// every count is a small integer, printed as one (`{:.0}` of a float
/// takes the exact, slow path of float formatting).
fn whole(count: f64, unit: char) -> String {
    if count.fract() == 0.0 && (0.0..9.0e15).contains(&count) {
        return format!("{}{unit}", count as u64);
    }
    format!("{count:.0}{unit}")
}

/// JavaScript's `Math.round`: the nearest integer, ties toward +∞.
///
/// Written as floor plus a test of the exact remainder rather than
/// `(x + 0.5).floor()`, which is wrong for 0.49999999999999994 and for odd
/// integers above 2^52, where adding 0.5 itself rounds.
pub fn js_round(x: f64) -> f64 {
    let floor = x.floor();
    if x - floor >= 0.5 { floor + 1.0 } else { floor }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(ms: f64) -> String {
        format_remaining_short(Some(ms))
    }

    #[test]
    fn unknown_and_zero() {
        assert_eq!(format_remaining_short(None), "unknown");
        assert_eq!(fmt(f64::NAN), "unknown");
        assert_eq!(fmt(0.0), "0m");
        assert_eq!(fmt(-5.0), "0m");
        assert_eq!(fmt(f64::NEG_INFINITY), "0m");
        assert_eq!(fmt(f64::INFINITY), "unknown");
    }

    #[test]
    fn the_spec_examples() {
        assert_eq!(fmt(30_000.0), "1m"); // 30 s
        assert_eq!(fmt(1.0), "1m"); // at least one minute
        assert_eq!(fmt(3_540_000.0), "59m");
        assert_eq!(fmt(3_599_400.0), "1h"); // 59.99 min
        assert_eq!(fmt(5_400_000.0), "2h"); // 90 min: round half up
        assert_eq!(fmt(171_000_000.0), "2d"); // 47.5 h
        assert_eq!(fmt(259_200_000.0), "3d");
    }

    #[test]
    fn boundaries() {
        assert_eq!(fmt(89_999.0), "1m"); // 1.49998 min
        assert_eq!(fmt(90_000.0), "2m"); // 1.5 min
        assert_eq!(fmt(3_569_999.0), "59m");
        assert_eq!(fmt(3_570_000.0), "1h"); // 59.5 min
        assert_eq!(fmt(47.0 * 3_600_000.0), "47h");
        assert_eq!(fmt(48.0 * 3_600_000.0), "2d");
        assert_eq!(fmt(60.0 * 3_600_000.0), "3d"); // 2.5 d rounds up
        assert_eq!(fmt(365.0 * 86_400_000.0), "365d");
    }

    #[test]
    fn past_the_year_9999_is_never() {
        use crate::time::YEAR_10000_MS;
        assert_eq!(fmt(1e300), "never (beyond year 9999)");
        assert_eq!(fmt(YEAR_10000_MS), "never (beyond year 9999)");
        assert_eq!(fmt(YEAR_10000_MS - 86_400_000.0), "2932896d", "just short of it: still days");
    }

    #[test]
    fn js_round_matches_math_round() {
        assert_eq!(js_round(0.5), 1.0);
        assert_eq!(js_round(1.5), 2.0);
        assert_eq!(js_round(2.5), 3.0);
        assert_eq!(js_round(-0.5), 0.0);
        assert_eq!(js_round(-2.5), -2.0);
        assert_eq!(js_round(-2.6), -3.0);
        assert_eq!(js_round(0.49999999999999994), 0.0);
        assert_eq!(js_round(4_503_599_627_370_497.0), 4_503_599_627_370_497.0);
    }
}
