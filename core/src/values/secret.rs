//! A credential value that cannot end up in output by accident.
//!
//! `Secret` has no `Display`, a `Debug` that prints only a mask, and no
//! `Serialize`: the one way to its text is [`Secret::expose`], which every
//! writer of a credential file calls on purpose. A report, a log line or an
//! error can therefore hold a `Secret` without risk.

use std::fmt;

/// The text of an API key, token, access or refresh token.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value; from here on `Debug` shows it only masked.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Call only to write a credential file, build a
    /// request to its own issuer, or print the key a user asked for.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether it is empty or only whitespace, which counts as no secret.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// The reference's `maskApiKey`, with its one flaw fixed: short values
    /// are masked too (A53, A54).
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

/// Masks a credential for display: `first8...last8`, `missing` when empty.
///
/// The reference shows values of 16 characters or fewer in full; those are
/// exactly the keys a reader could remember at a glance, so here they keep
/// at most their first two and last two characters (at most a quarter of
/// the value each way), and values of four characters or fewer show none.
pub fn mask(value: &str) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return "missing".to_string();
    }
    let chars: Vec<char> = trimmed.chars().collect();
    let n = chars.len();
    if n > 16 {
        let head: String = chars[..8].iter().collect();
        let tail: String = chars[n - 8..].iter().collect();
        return format!("{head}...{tail}");
    }
    let keep = if n <= 4 { 0 } else { (n / 4).min(2) };
    if keep == 0 {
        return "***".to_string();
    }
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[n - keep..].iter().collect();
    format!("{head}...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_long_values_first8_last8() {
        assert_eq!(mask("sk-ant-api03-FAKEFAKEFAKEFAKEFAKE"), "sk-ant-a...FAKEFAKE");
        assert_eq!(mask("  "), "missing");
        assert_eq!(mask(""), "missing");
    }

    #[test]
    fn masks_short_values_too() {
        // The reference would print these in full.
        let short = "sk-1234567890ab";
        let m = mask(short);
        assert_ne!(m, short);
        assert!(!m.contains("34567890"));
        assert_eq!(mask("abcd"), "***");
        assert_eq!(mask("abcdefgh"), "ab...gh");
        assert_eq!(mask("0123456789abcdef"), "01...ef");
    }

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("sk-ant-oat01-FAKE-VERY-SECRET-MIDDLE-PART-xyz");
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("VERY-SECRET-MIDDLE"));
    }

    #[test]
    fn a_value_of_five_to_seven_characters_keeps_one_each_way() {
        // A quarter of the length, rounded down: one character of five,
        // six or seven, two from eight on.
        assert_eq!(mask("abcde"), "a...e");
        assert_eq!(mask("abcdefg"), "a...g");
        assert_eq!(mask("abcdefghijklmnopq"), "abcdefgh...jklmnopq");
        assert_eq!(mask("  abcde  "), "a...e");
    }

    #[test]
    fn masked_and_debug_print_exactly_the_mask() {
        let s = Secret::new("sk-ant-api03-FAKEFAKEFAKEFAKEFAKE");
        assert_eq!(s.masked(), "sk-ant-a...FAKEFAKE");
        assert_eq!(format!("{s:?}"), "Secret(sk-ant-a...FAKEFAKE)");
        assert_eq!(format!("{:?}", Secret::default()), "Secret(missing)");
    }

    #[test]
    fn multibyte_values_do_not_split_characters() {
        assert_eq!(mask("ééééééééééééééééééé"), "éééééééé...éééééééé");
    }
}
