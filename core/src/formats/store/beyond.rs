//! Numbers beyond a double in a store, read as the Node gateway reads them.
//!
//! `JSON.parse` turns `"expires": 1e400` into Infinity; serde_json refuses
//! the whole document ("number out of range"), which would make every
//! profile of the store unusable over one field. When that is the only
//! problem, and every such number is a profile's `expires`, the numbers
//! are masked (the literal replaced by `null` padded to the same width, so
//! every other position stays put), the masked text is parsed, and each
//! literal is handed back to its profile. Anywhere else the store stays
//! unreadable, as before: the other fields have no Infinity meaning.

/// A profile's `expires` literal beyond a double.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeyondExpiry {
    pub profile_id: String,
    pub literal: String,
}

/// The text with each overflowing `profiles.<id>.expires` masked, and those
/// literals; `None` when some overflowing number is anywhere else, when a
/// profile holding one is defined twice (which one wins would then depend on
/// more than this scan), or when there is none.
pub fn mask_beyond_expiries(text: &str) -> Option<(String, Vec<BeyondExpiry>)> {
    let bytes = text.as_bytes();
    let mut path: Vec<Frame> = Vec::new();
    let mut found: Vec<(std::ops::Range<usize>, BeyondExpiry)> = Vec::new();
    let mut ids_seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = string_end(bytes, i)?;
                if matches!(path.last(), Some(Frame::Object { expect_key: true, .. })) {
                    let name = serde_json::from_str::<String>(&text[i..end]).ok()?;
                    if path.len() == 2 && is_key(&path[0], "profiles") {
                        *ids_seen.entry(name.clone()).or_default() += 1;
                    }
                    if let Some(Frame::Object { key, expect_key }) = path.last_mut() {
                        *key = Some(name);
                        *expect_key = false;
                    }
                }
                i = end;
            }
            b'{' => {
                path.push(Frame::Object { key: None, expect_key: true });
                i += 1;
            }
            b'[' => {
                path.push(Frame::Array);
                i += 1;
            }
            b'}' | b']' => {
                path.pop();
                i += 1;
            }
            b',' => {
                if let Some(Frame::Object { key, expect_key }) = path.last_mut() {
                    *key = None;
                    *expect_key = true;
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len() && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                    i += 1;
                }
                let literal = &text[start..i];
                if crate::time::Expiry::beyond(literal).is_none() {
                    continue;
                }
                let id = match path.as_slice() {
                    [root, Frame::Object { key: Some(id), .. }, leaf]
                        if is_key(root, "profiles") && is_key(leaf, "expires") =>
                    {
                        id.clone()
                    }
                    _ => return None,
                };
                found.push((start..i, BeyondExpiry { profile_id: id, literal: literal.to_string() }));
            }
            _ => i += 1,
        }
    }
    if found.is_empty() || found.iter().any(|(_, b)| ids_seen.get(&b.profile_id).copied().unwrap_or(0) != 1) {
        return None;
    }
    let mut masked = String::with_capacity(text.len());
    let mut at = 0;
    for (range, _) in &found {
        masked.push_str(&text[at..range.start]);
        // Every overflowing literal has at least 5 characters ("1e309").
        masked.push_str("null");
        masked.extend(std::iter::repeat_n(' ', range.len().saturating_sub(4)));
        at = range.end;
    }
    masked.push_str(&text[at..]);
    Some((masked, found.into_iter().map(|(_, b)| b).collect()))
}

enum Frame {
    Object { key: Option<String>, expect_key: bool },
    Array,
}

fn is_key(frame: &Frame, name: &str) -> bool {
    matches!(frame, Frame::Object { key: Some(k), .. } if k == name)
}

/// The index just past the string starting at `start` (a `"`).
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_only_profile_expiries() {
        let text = r#"{"profiles":{"a:\"x":{"type":"token","expires":1e400,"n":[1e5]},"b":{"expires":-2E+999}}}"#;
        let (masked, found) = mask_beyond_expiries(text).unwrap();
        assert_eq!(masked.len(), text.len(), "positions kept");
        assert!(masked.contains(r#""expires":null ,"n":[1e5]"#), "{masked}");
        assert!(masked.contains(r#""expires":null   }"#), "{masked}");
        assert_eq!(found[0], BeyondExpiry { profile_id: "a:\"x".into(), literal: "1e400".into() });
        assert_eq!(found[1].literal, "-2E+999");
        assert!(serde_json::from_str::<serde_json::Value>(&masked).is_ok());
    }

    #[test]
    fn nothing_beyond_a_double_is_nothing_to_mask() {
        assert!(mask_beyond_expiries(r#"{"profiles":{"a":{"expires":1e300}}}"#).is_none());
        assert!(mask_beyond_expiries(r#"{"profiles":{}}"#).is_none());
        assert!(mask_beyond_expiries("").is_none());
    }

    #[test]
    fn brackets_and_quotes_inside_strings_do_not_move_the_path() {
        // `\\` ends in a backslash of its own, `\"` is a quote inside the
        // string: neither ends it early nor late.
        let text = r#"{"profiles":{"x":{"type":"{[\\","n":"]}\",","a":2},"b":{"t":[{"k":1},2],"expires":1e999}}}"#;
        let (masked, found) = mask_beyond_expiries(text).expect("masked");
        assert_eq!(found, [BeyondExpiry { profile_id: "b".into(), literal: "1e999".into() }]);
        assert_eq!(masked, text.replace("1e999", "null "));
        let v: serde_json::Value = serde_json::from_str(&masked).unwrap();
        assert!(v["profiles"]["b"]["expires"].is_null());
        assert_eq!(v["profiles"]["x"]["n"], "]}\",");
    }

    #[test]
    fn each_profiles_expiry_is_masked_to_the_same_width() {
        let text = r#"{"version":1,"profiles":{"a":{"expires":1e400},"b":{"expires":1},"c":{"expires":-1.5e+1000}}}"#;
        let (masked, found) = mask_beyond_expiries(text).expect("masked");
        assert_eq!(
            masked,
            r#"{"version":1,"profiles":{"a":{"expires":null },"b":{"expires":1},"c":{"expires":null      }}}"#
        );
        let ids: Vec<&str> = found.iter().map(|b| b.profile_id.as_str()).collect();
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(found[1].literal, "-1.5e+1000");
    }

    #[test]
    fn only_profile_ids_count_as_definitions() {
        // The same name elsewhere (a usage entry, a field inside the
        // profile) is not a second definition of the profile.
        for text in [
            r#"{"profiles":{"a":{"type":"token","expires":1e400}},"usageStats":{"a":{"lastUsed":1}}}"#,
            r#"{"profiles":{"a":{"a":1,"type":"token","expires":1e400}}}"#,
        ] {
            let (_, found) = mask_beyond_expiries(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(found, [BeyondExpiry { profile_id: "a".into(), literal: "1e400".into() }]);
        }
    }

    #[test]
    fn an_unterminated_string_is_not_masked() {
        assert!(mask_beyond_expiries(r#"{"profiles":{"a":{"expires":1e400,"x":"never"#).is_none());
        assert!(mask_beyond_expiries(r#"{"profiles":{"a":{"expires":1e400,"x\"#).is_none());
    }

    #[test]
    fn anywhere_else_or_twice_defined_is_left_alone() {
        for text in [
            r#"{"profiles":{"a":{"type":"token","extra":1e400}}}"#,
            r#"{"usageStats":{"a":{"cooldownUntil":1e400}},"profiles":{}}"#,
            r#"{"profiles":{"a":{"expires":1e400},"a":{"expires":1}}}"#,
            r#"{"profiles":{"a":{"expires":[1e400]}}}"#,
            r#"{"profiles":{"a":{"expires":"1e400"}}}"#,
        ] {
            assert!(mask_beyond_expiries(text).is_none(), "{text}");
        }
    }
}
