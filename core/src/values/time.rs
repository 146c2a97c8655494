//! Instants as the files hold them: milliseconds since the Unix epoch.
//!
//! `now` always comes from the host. Stored expiry times can be fractional
//! (Codex imports once used a float mtime), so an [`Expiry`] keeps the exact
//! JSON number it was read as and gives it back unchanged on write. What
//! that number means is an [`Instant`]: the one type every rule asks "has
//! it passed", "how long is left", "how is it written", and the one place
//! that decides an instant past the year 9999.

use serde_json::{Number, Value};

/// An instant in whole milliseconds since the epoch, as hosts pass `now`.
pub type Millis = i64;

/// One second, in ms.
pub const SECOND: i64 = 1_000;
/// One minute, in ms.
pub const MINUTE: i64 = 60 * SECOND;
/// One hour, in ms.
pub const HOUR: i64 = 60 * MINUTE;
/// One day, in ms.
pub const DAY: i64 = 24 * HOUR;

/// 10000-01-01T00:00:00Z in milliseconds. An instant (or a remaining
/// time) at least this far out lies beyond the year 9999 whatever `now` is
/// (hosts are past 1970).
pub const YEAR_10000_MS: f64 = 253_402_300_800_000.0;

/// The far-future rule, decided once: whether `ms` (an instant, or a time
/// left) lies beyond the year 9999. No credential lives that long; a
/// stored `1e16` is a placeholder for "does not expire", and no four-digit
/// ISO year can name it.
pub fn is_beyond_year_9999(ms: f64) -> bool {
    ms.is_finite() && ms >= YEAR_10000_MS
}

/// What an instant past the year 9999 shows as where a date would be, and
/// a time left that long where a duration would be.
pub const BEYOND_YEAR_9999: &str = "never (beyond year 9999)";

/// A point in time, in milliseconds since the epoch (fractional when the
/// file's number is). Its JSON form is that number, as `models status
/// --json` and the panel's view have always written `expiresAt`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Instant(f64);

impl Instant {
    /// The instant `ms` milliseconds after the epoch.
    pub fn from_ms(ms: f64) -> Self {
        Instant(ms)
    }

    /// The instant of a host's `now`.
    pub fn from_millis(ms: Millis) -> Self {
        Instant(ms as f64)
    }

    /// Milliseconds since the epoch.
    pub fn ms(self) -> f64 {
        self.0
    }

    /// Whether it has come by `now`: the instant itself counts as passed,
    /// as the reference's `now >= expires` does.
    pub fn is_past(self, now: Millis) -> bool {
        now as f64 >= self.0
    }

    /// Milliseconds from `now` until it, negative once past.
    pub fn remaining(self, now: Millis) -> f64 {
        self.0 - now as f64
    }

    /// Whether it lies beyond the year 9999 (`is_beyond_year_9999`).
    pub fn is_far_future(self) -> bool {
        is_beyond_year_9999(self.0)
    }

    /// ISO 8601 in UTC as Codex writes it (`2026-01-01T00:00:00Z`,
    /// milliseconds only when there are some, a fraction below them cut).
    /// `None` past the year 9999 and for what names no instant (NaN, an
    /// infinity): a date there would be wrong, not rounded.
    pub fn iso(self) -> Option<String> {
        if !self.0.is_finite() || self.is_far_future() {
            return None;
        }
        let at = chrono::DateTime::from_timestamp_millis(self.0 as i64)?;
        Some(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }

    /// The instant as a person reads it: its ISO text, or
    /// `BEYOND_YEAR_9999`. Text outputs and the panel's titles.
    pub fn shown(self) -> String {
        match self.iso() {
            Some(iso) => iso,
            None if self.is_far_future() => BEYOND_YEAR_9999.to_string(),
            None => "unknown".to_string(),
        }
    }
}

impl serde::Serialize for Instant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ser_ms(&self.0, s)
    }
}

/// A credential's `expires` as written on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct Expiry(Repr);

#[derive(Debug, Clone, PartialEq)]
enum Repr {
    Number(Number),
    /// A number literal beyond what a double holds (`1e400`): JavaScript
    /// reads it as ±Infinity, serde_json refuses it. Kept as written so
    /// that the file round-trips.
    Beyond(Box<str>),
}

impl Expiry {
    /// Milliseconds, for comparisons with `now`: ±infinity for a literal
    /// beyond a double, as `JSON.parse` gives.
    pub fn ms(&self) -> f64 {
        match &self.0 {
            Repr::Number(n) => n.as_f64().unwrap_or(f64::NAN),
            Repr::Beyond(literal) => literal.parse::<f64>().unwrap_or(f64::NAN),
        }
    }

    /// An `expires` holding `ms` (an integer when it is one).
    pub fn from_ms(ms: f64) -> Self {
        Expiry(Repr::Number(number_from_ms(ms)))
    }

    /// An `expires` holding the whole ms `ms`.
    pub fn from_millis(ms: Millis) -> Self {
        Expiry(Repr::Number(Number::from(ms)))
    }

    /// A JSON number literal too large for a double, as the store holds it.
    /// `None` unless `literal` is a number that overflows.
    pub fn beyond(literal: &str) -> Option<Self> {
        // Rust also parses "inf" and "NaN"; JSON numbers are digits only.
        let json_number = literal.starts_with(|c: char| c == '-' || c.is_ascii_digit())
            && literal.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
        if !json_number {
            return None;
        }
        let ms = literal.parse::<f64>().ok()?;
        ms.is_infinite().then(|| Expiry(Repr::Beyond(literal.into())))
    }

    /// The literal of an [`Expiry::beyond`], which [`Expiry::to_json`]
    /// cannot carry: the store writer puts it back verbatim.
    pub fn beyond_literal(&self) -> Option<&str> {
        match &self.0 {
            Repr::Beyond(literal) => Some(literal),
            Repr::Number(_) => None,
        }
    }

    /// Reads a JSON value that should be milliseconds. `None` for anything
    /// that is not a number.
    pub fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::Number(n) => Some(Expiry(Repr::Number(n.clone()))),
            _ => None,
        }
    }

    /// The JSON value; `null` for a literal beyond a double, as
    /// `JSON.stringify(Infinity)` gives (the store writer keeps the literal).
    pub fn to_json(&self) -> Value {
        match &self.0 {
            Repr::Number(n) => Value::Number(n.clone()),
            Repr::Beyond(_) => Value::Null,
        }
    }

    /// The value as the file has it, for messages.
    pub fn as_written(&self) -> String {
        match &self.0 {
            Repr::Number(n) => n.to_string(),
            Repr::Beyond(literal) => literal.to_string(),
        }
    }

    /// The instant, when the value names one: the reference's test for an
    /// expiry that means something, a finite number greater than zero.
    /// `0`, a negative number, `1e400` and a fraction of nothing say
    /// nothing about when the credential stops working.
    fn instant(&self) -> Option<Instant> {
        let ms = self.ms();
        (ms.is_finite() && ms > 0.0).then_some(Instant(ms))
    }
}

/// What a credential's `expires` tells the rules, decided once from the
/// kind of credential and the value on disk.
///
/// The reference asked "does this expiry mean anything?" in several
/// slightly different ways; every rule now matches on this instead, so
/// that an expiry of `0` cannot mean "never" to one rule and "long ago" to
/// another.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExpiryKind {
    /// The credential stops working at this instant.
    At(Instant),
    /// It does not expire: an API key, or a static token without a
    /// meaningful `expires`.
    Never,
    /// It expires, but the file does not say when: an OAuth login whose
    /// `expires` is missing or meaningless. Treated as due for a refresh
    /// and, until then, as not known to work.
    Unknown,
}

impl ExpiryKind {
    /// For a credential that may live for ever (a static token): a
    /// meaningless `expires` means it does not expire.
    pub fn of_static(expires: Option<&Expiry>) -> Self {
        expires.and_then(Expiry::instant).map_or(ExpiryKind::Never, ExpiryKind::At)
    }

    /// For a credential that always expires (an OAuth login): a meaningless
    /// `expires` means the time is unknown.
    pub fn of_expiring(expires: Option<&Expiry>) -> Self {
        expires.and_then(Expiry::instant).map_or(ExpiryKind::Unknown, ExpiryKind::At)
    }

    /// The instant, when there is one.
    pub fn at(self) -> Option<Instant> {
        match self {
            ExpiryKind::At(ms) => Some(ms),
            ExpiryKind::Never | ExpiryKind::Unknown => None,
        }
    }

    /// Whether the credential has stopped working by `now`. `Unknown` is
    /// not "expired": callers decide what an unknown expiry means for them
    /// (a refresh is due; a handed-out key is not trusted).
    pub fn passed(self, now: Millis) -> bool {
        self.at().is_some_and(|at| at.is_past(now))
    }
}

/// A JSON number for a millisecond value: an integer when it is one (so
/// `1767225600000` is not written as `1767225600000.0`), a float otherwise.
pub fn number_from_ms(ms: f64) -> Number {
    if ms.fract() == 0.0 && ms.abs() < 9.0e15 {
        Number::from(ms as i64)
    } else {
        Number::from_f64(ms).unwrap_or_else(|| Number::from(0))
    }
}

/// A JSON number for a ms value ([`number_from_ms`]).
pub fn ms_value(ms: f64) -> Value {
    Value::Number(number_from_ms(ms))
}

/// Serialises milliseconds as JavaScript would print them: `1767225600000`,
/// not serde's `1767225600000.0`.
pub fn ser_ms<S: serde::Serializer>(ms: &f64, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&number_from_ms(*ms), s)
}

/// [`ser_ms`] for optional fields (used with `skip_serializing_if`).
pub fn ser_opt_ms<S: serde::Serializer>(ms: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => ser_ms(ms, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_stay_integers_and_fractions_stay_exact() {
        assert_eq!(ms_value(1767225600000.0).to_string(), "1767225600000");
        assert_eq!(ms_value(1767225600123.456).to_string(), "1767225600123.456");
        let e: Value = serde_json::from_str("1767225600123.456").unwrap();
        assert_eq!(Expiry::from_json(&e).unwrap().to_json().to_string(), "1767225600123.456");
    }

    #[test]
    fn a_literal_beyond_a_double_is_infinity_and_kept_as_written() {
        let e = Expiry::beyond("1e400").unwrap();
        assert_eq!(e.ms(), f64::INFINITY);
        assert_eq!(ExpiryKind::of_expiring(Some(&e)), ExpiryKind::Unknown);
        assert_eq!(e.beyond_literal(), Some("1e400"));
        assert_eq!(e.as_written(), "1e400");
        assert_eq!(Expiry::beyond("-1E+400").unwrap().ms(), f64::NEG_INFINITY);
        assert!(Expiry::beyond("1e300").is_none(), "a double holds it");
        assert!(Expiry::beyond("nope").is_none());
        assert!(Expiry::beyond("inf").is_none() && Expiry::beyond("-infinity").is_none());
    }

    #[test]
    fn integers_are_written_as_integers_only_below_9e15() {
        assert_eq!(ms_value(8.9e15).to_string(), "8900000000000000");
        assert_eq!(ms_value(-8.9e15).to_string(), "-8900000000000000");
        assert!(number_from_ms(9.0e15).is_f64(), "at the bound it stays a float");
        assert!(number_from_ms(-9.0e15).is_f64());
        assert!(number_from_ms(8.9e15).is_i64());
        assert_eq!(number_from_ms(f64::NAN), Number::from(0), "a double JSON cannot hold");
    }

    #[test]
    fn meaningful_means_finite_and_positive() {
        assert_eq!(ExpiryKind::of_expiring(Some(&Expiry::from_millis(0))), ExpiryKind::Unknown);
        assert_eq!(ExpiryKind::of_expiring(Some(&Expiry::from_millis(-5))), ExpiryKind::Unknown);
        assert_eq!(ExpiryKind::of_expiring(Some(&Expiry::from_millis(1))), ExpiryKind::At(Instant(1.0)));
    }

    #[test]
    fn a_meaningless_expiry_means_never_for_a_static_token_and_unknown_for_a_login() {
        let beyond = Expiry::beyond("1e400").unwrap();
        let nan = Expiry::from_ms(f64::NAN);
        for e in [None, Some(&Expiry::from_millis(0)), Some(&Expiry::from_millis(-1)), Some(&beyond), Some(&nan)] {
            assert_eq!(ExpiryKind::of_static(e), ExpiryKind::Never, "{e:?}");
            assert_eq!(ExpiryKind::of_expiring(e), ExpiryKind::Unknown, "{e:?}");
        }
        let at = Expiry::from_ms(1767225600000.5);
        assert_eq!(ExpiryKind::of_static(Some(&at)), ExpiryKind::At(Instant(1767225600000.5)));
        assert_eq!(ExpiryKind::of_expiring(Some(&at)).at(), Some(Instant(1767225600000.5)));
    }

    #[test]
    fn passed_is_reached_at_the_instant_and_never_without_one() {
        let at = ExpiryKind::At(Instant(1000.0));
        assert!(!at.passed(999));
        assert!(at.passed(1000) && at.passed(1001));
        assert!(!ExpiryKind::At(Instant(1000.5)).passed(1000), "a fraction later is not yet");
        assert!(!ExpiryKind::Never.passed(Millis::MAX) && !ExpiryKind::Unknown.passed(Millis::MAX));
        assert_eq!(ExpiryKind::Never.at(), None);
        assert_eq!(ExpiryKind::Unknown.at(), None);
    }

    #[test]
    fn an_instant_is_past_from_itself_on_and_counts_down_to_it() {
        let at = Instant::from_millis(1_767_225_600_000);
        assert!(!at.is_past(1_767_225_599_999) && at.is_past(1_767_225_600_000));
        assert_eq!(at.remaining(1_767_225_600_000 - 60_000), 60_000.0);
        assert_eq!(at.remaining(1_767_225_600_000 + 1), -1.0);
        assert_eq!(serde_json::to_string(&at).unwrap(), "1767225600000", "an integer stays one");
        assert_eq!(serde_json::to_string(&Instant::from_ms(1.5)).unwrap(), "1.5");
    }

    #[test]
    fn iso_text_is_codex_s_and_no_date_is_made_up_past_the_year_9999() {
        assert_eq!(Instant::from_millis(1_767_225_600_000).iso().as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(Instant::from_ms(1_767_225_600_123.9).iso().as_deref(), Some("2026-01-01T00:00:00.123Z"));
        assert_eq!(Instant::from_ms(YEAR_10000_MS - 1.0).iso().as_deref(), Some("9999-12-31T23:59:59.999Z"));
        // A stored 1e16 once came out as 1970-01-01 (chrono cannot hold
        // it), and the year 10000 as "+10000-...".
        for far in [YEAR_10000_MS, 1e16, 1e300] {
            let at = Instant::from_ms(far);
            assert!(at.is_far_future());
            assert_eq!((at.iso(), at.shown()), (None, BEYOND_YEAR_9999.to_string()), "{far}");
        }
        assert_eq!(Instant::from_ms(f64::NAN).iso(), None);
        assert_eq!(Instant::from_ms(f64::INFINITY).shown(), "unknown");
        assert!(!is_beyond_year_9999(f64::INFINITY), "an infinity is no instant");
    }
}
