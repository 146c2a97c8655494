//! Claude Code's Keychain overflow (2.1.3xx): when its credentials item
//! would not fit on one `security -i` line (4 032 bytes), Claude Code moves
//! whole sections (or single entries of `mcpOAuth` and the like) into a
//! second item, `<service>-overflow-a` or `-overflow-b`, sealed with
//! AES-256-GCM, and leaves a pointer in the main item:
//!
//! ```json
//! {"mcpOAuth": {...}, "organizationUuid": "",
//!  "keychainOverflow": {"slot": "a", "key": "<base64 of 32 bytes>",
//!                       "login": "<16 hex>", "organizationUuid": "", "member": "<16 hex>"}}
//! ```
//!
//! The overflow item's secret is the base64 of a 12-byte IV, the
//! ciphertext of the moved sections' compact JSON, and the 16-byte tag.
//! `login`, `organizationUuid` and `member` are written only when a whole
//! section moved: they bind the moved sections to the login and the
//! organisation they belong to, and a reader restores a section only when
//! they still match (credential-formats.md §9.1, read in the published
//! 2.1.332 binaries). The login hash is over the whole `claudeAiOauth`
//! block, tokens included, so a refresh that changes the tokens must
//! re-derive it, or Claude Code drops the sections bound to the login.
//!
//! Everything here is pure: the host reads and writes the two items, this
//! module opens, joins, rewrites and seals. Errors name what is wrong and
//! never carry a secret.

use crate::writeback::WritebackError;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The main item's key that points at the overflow.
pub const POINTER_KEY: &str = "keychainOverflow";
/// AES-256-GCM's IV length as Claude Code writes it.
const IV_LEN: usize = 12;
/// The GCM tag length.
const TAG_LEN: usize = 16;
/// AES-256's key length.
const KEY_LEN: usize = 32;

/// Node's `Buffer.from(text, "base64")` takes padded and unpadded text
/// alike; so does this. Claude Code writes padded standard base64.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_encode_padding(true).with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Which of the two overflow items holds the sections: Claude Code writes
/// the other one each time it reseals, then points the main item at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// `<service>-overflow-a`.
    A,
    /// `<service>-overflow-b`.
    B,
}

impl Slot {
    /// The slot's letter, as the pointer and the item name spell it.
    pub fn letter(self) -> &'static str {
        match self {
            Slot::A => "a",
            Slot::B => "b",
        }
    }

    /// The slot a reseal writes: the one not in use.
    pub fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }

    fn parse(text: &str) -> Option<Slot> {
        match text {
            "a" => Some(Slot::A),
            "b" => Some(Slot::B),
            _ => None,
        }
    }
}

/// The overflow item's service for the main item's `service`.
pub fn overflow_service(service: &str, slot: Slot) -> String {
    format!("{service}-overflow-{}", slot.letter())
}

/// The pointer in a main item, as Claude Code accepts it: an object whose
/// `slot` is `"a"` or `"b"` and whose `key` is a string. Anything else is
/// no pointer (Claude Code then reads the item as it is).
#[derive(Clone)]
pub struct Pointer {
    /// Where the sealed sections are.
    pub slot: Slot,
    /// The AES key, base64, as found (never shown).
    key: String,
}

impl std::fmt::Debug for Pointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pointer").field("slot", &self.slot).finish_non_exhaustive()
    }
}

/// The pointer of `doc`, if it has one.
pub fn pointer(doc: &Map<String, Value>) -> Option<Pointer> {
    let found = doc.get(POINTER_KEY)?.as_object()?;
    let slot = Slot::parse(found.get("slot")?.as_str()?)?;
    let key = found.get("key")?.as_str()?.to_string();
    Some(Pointer { slot, key })
}

/// Why an overflow item does not open. No variant holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The item's secret is not base64.
    #[error("is not base64")]
    NotBase64,
    /// Shorter than an IV and a tag.
    #[error("is too short to hold sealed sections ({bytes} bytes)")]
    TooShort {
        /// How many bytes it decoded to.
        bytes: usize,
    },
    /// The main item's key is not base64 of 32 bytes.
    #[error("cannot be opened: the main item's keychainOverflow.key is not an AES-256 key")]
    BadKey,
    /// Wrong key, or the ciphertext or its tag was changed.
    #[error("does not open with the main item's key (wrong key, or its tag does not match)")]
    Tag,
    /// It opened, but holds no JSON object.
    #[error("opened, but holds no JSON object of sections")]
    NotSections,
}

/// The sections sealed in `secret` (the overflow item's secret, as
/// `security` printed it) with `pointer`'s key: Claude Code's reader.
pub fn open(pointer: &Pointer, secret: &str) -> Result<Map<String, Value>, OpenError> {
    let sealed = BASE64.decode(secret.trim()).map_err(|_| OpenError::NotBase64)?;
    if sealed.len() < IV_LEN + TAG_LEN {
        return Err(OpenError::TooShort { bytes: sealed.len() });
    }
    let key = BASE64.decode(pointer.key.trim()).map_err(|_| OpenError::BadKey)?;
    let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| OpenError::BadKey)?;
    let (iv, body) = sealed.split_at(IV_LEN);
    let plain = cipher.decrypt(Nonce::from_slice(iv), body).map_err(|_| OpenError::Tag)?;
    match serde_json::from_slice::<Value>(&plain) {
        Ok(Value::Object(sections)) => Ok(sections),
        _ => Err(OpenError::NotSections),
    }
}

/// `plaintext` sealed as Claude Code seals it: base64 of IV, ciphertext
/// and tag.
fn seal(key: &[u8], iv: &[u8; IV_LEN], plaintext: &str) -> Option<String> {
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    let body = cipher.encrypt(Nonce::from_slice(iv), plaintext.as_bytes()).ok()?;
    let mut sealed = Vec::with_capacity(IV_LEN + body.len());
    sealed.extend_from_slice(iv);
    sealed.extend_from_slice(&body);
    Some(BASE64.encode(sealed))
}

/// How Claude Code treats a top-level key when it splits and joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The login itself (`claudeAiOauth`).
    Login,
    /// Grants of the signed-in account: restored only with that login.
    AccountGrant,
    /// Never taken from the overflow.
    Stays,
    /// Maps whose entries are merged one by one (`mcpOAuth`, ...).
    Grows,
    /// Moves with the login (`enterpriseGateway`).
    OrganizationMoves,
    /// An unknown section that names an organisation and an account.
    OrganizationStays,
    /// Any other unknown section: restored when the members match.
    MemberGrant,
}

/// Claude Code's table of top-level keys (2.1.332).
fn kind(key: &str, value: &Value) -> Kind {
    if key.starts_with("trusted") {
        return Kind::Stays;
    }
    match key {
        "claudeAiOauth" => Kind::Login,
        "designOauth" | "chatHistoryOauth" | "cloudSessionsOauth" => Kind::AccountGrant,
        "cloudSessionsSignInEnded"
        | "organizationUuid"
        | "gatewayTrust"
        | "gatewayAllowlistEntries"
        | "slackTag"
        | "mcpDiscoveryCacheKey" => Kind::Stays,
        "coworkRemoteDevice"
        | "mcpOAuth"
        | "mcpOAuthClientConfig"
        | "pluginSecrets"
        | "mcpXaaIdp"
        | "mcpXaaIdpConfig" => Kind::Grows,
        "enterpriseGateway" => Kind::OrganizationMoves,
        _ if value.get("organizationUuid").is_some() && value.get("accountUuid").is_some() => Kind::OrganizationStays,
        _ => Kind::MemberGrant,
    }
}

/// The first 16 hex digits of SHA-256 over `value` written as
/// `JSON.stringify` writes it.
fn short_hash(value: &Value) -> String {
    let digest = Sha256::digest(js_json(value).as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The login a document holds, as the pointer's `login` binds it: the hash
/// of `[claudeAiOauth]` (`[null]` when it has none).
fn login_hash(doc: &Map<String, Value>) -> String {
    let login = doc.get("claudeAiOauth").cloned().unwrap_or(Value::Null);
    short_hash(&Value::Array(vec![login]))
}

/// The organisation sections a document holds, as the pointer's `member`
/// binds them: the hash of the sorted `[key, organizationUuid,
/// accountUuid]` of each.
fn member_hash(doc: &Map<String, Value>) -> String {
    let mut members: Vec<String> = doc
        .iter()
        .filter(|(key, value)| kind(key, value) == Kind::OrganizationStays)
        .map(|(key, value)| {
            let triple = [
                Value::String(key.clone()),
                value.get("organizationUuid").cloned().unwrap_or(Value::Null),
                value.get("accountUuid").cloned().unwrap_or(Value::Null),
            ];
            js_json(&Value::Array(triple.to_vec()))
        })
        .collect();
    // JavaScript's default sort: by UTF-16 code units.
    members.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    short_hash(&Value::Array(members.into_iter().map(Value::String).collect()))
}

/// The main item's document (pointer included) joined with the sections
/// of its overflow, exactly as Claude Code joins them: `grows` maps merged
/// entry by entry (the main item's entries win, except an `mcpOAuth` entry
/// without an access token), the login's sections restored only when the
/// pointer's `login` (and `organizationUuid`) still match, the other
/// unknown sections only when `member` matches, `stays` never. The pointer
/// itself is dropped.
pub fn join(doc: &Map<String, Value>, sections: &Map<String, Value>) -> Map<String, Value> {
    let mut main = doc.clone();
    let found = main.shift_remove(POINTER_KEY);
    let ptr = found.as_ref().and_then(Value::as_object);
    let field = |name: &str| ptr.and_then(|p| p.get(name));
    let main_org = main.get("organizationUuid");
    let login_matches = if main.get("claudeAiOauth").is_none() || main_org == Some(&Value::String(String::new())) {
        field("login").is_some() && field("organizationUuid") == main_org
    } else {
        field("login").and_then(Value::as_str) == Some(login_hash(&main).as_str())
    };
    let members = member_hash(&main);
    let members_match = field("member").and_then(Value::as_str) == Some(members.as_str())
        && if members == member_hash(&Map::new()) { login_matches } else { main_org.is_some() };
    if main_org == Some(&Value::String(String::new())) {
        main.shift_remove("organizationUuid");
    }
    for (key, sealed) in sections {
        match kind(key, sealed) {
            Kind::Grows => {
                let mut merged = sealed.as_object().cloned().unwrap_or_default();
                if let Some(Value::Object(own)) = main.get(key) {
                    for (entry, value) in own {
                        let keep = key != "mcpOAuth"
                            || value.get("accessToken").is_some_and(is_truthy)
                            || !merged.contains_key(entry);
                        if !keep {
                            continue;
                        }
                        let value = match (key.as_str(), merged.get(entry), value) {
                            ("pluginSecrets", Some(Value::Object(old)), Value::Object(new)) => {
                                let mut both = old.clone();
                                both.extend(new.clone());
                                Value::Object(both)
                            }
                            _ => value.clone(),
                        };
                        merged.insert(entry.clone(), value);
                    }
                }
                main.insert(key.clone(), Value::Object(merged));
            }
            Kind::Stays => {}
            Kind::MemberGrant if members_match && !main.contains_key(key) => {
                main.insert(key.clone(), sealed.clone());
            }
            Kind::Login | Kind::AccountGrant | Kind::OrganizationMoves | Kind::OrganizationStays
                if login_matches && !main.contains_key(key) =>
            {
                main.insert(key.clone(), sealed.clone());
            }
            _ => {}
        }
    }
    main
}

/// JavaScript's truthiness of a JSON value.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `value` as JavaScript's `JSON.stringify` writes the object `JSON.parse`
/// made of it: keys that are array indices first, ascending, then the
/// others in their order; numbers in JavaScript's shortest form.
pub fn js_json(value: &Value) -> String {
    let mut out = String::new();
    write_js(value, &mut out);
    out
}

fn write_js(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&js_number(n)),
        Value::String(s) => out.push_str(&string_json(s)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_js(item, out);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            let mut indices: Vec<(u32, &String, &Value)> =
                fields.iter().filter_map(|(k, v)| array_index(k).map(|i| (i, k, v))).collect();
            indices.sort_by_key(|(i, _, _)| *i);
            let named = fields.iter().filter(|(k, _)| array_index(k).is_none());
            let ordered = indices.into_iter().map(|(_, k, v)| (k, v)).chain(named);
            out.push('{');
            for (i, (key, item)) in ordered.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&string_json(key));
                out.push(':');
                write_js(item, out);
            }
            out.push('}');
        }
    }
}

/// serde_json escapes a string exactly as `JSON.stringify` does (quote,
/// backslash, the C0 controls, lower-case `\u00xx`).
fn string_json(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// A key JavaScript orders first: a canonical array index (0 to 2³² − 2).
fn array_index(key: &str) -> Option<u32> {
    let canonical = key == "0" || (!key.starts_with('0') && key.bytes().all(|b| b.is_ascii_digit()));
    key.parse::<u32>().ok().filter(|i| canonical && *i != u32::MAX)
}

/// A number as JavaScript prints it.
fn js_number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f == 0.0 {
        return "0".into();
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{f:.0}");
    }
    if f.abs() >= 1e21 || f.abs() < 1e-6 {
        let text = format!("{f:e}");
        return match text.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
            _ => text,
        };
    }
    format!("{f}")
}

/// Why a document's overflow cannot be followed, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// The host has no such item.
    Absent,
    /// The host could not read it; the reason, in the core's words.
    Unreadable(String),
    /// It was read but does not open.
    Broken(OpenError),
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::Absent => f.write_str("is missing"),
            Missing::Unreadable(why) => write!(f, "cannot be read: {why}"),
            Missing::Broken(e) => write!(f, "{e}"),
        }
    }
}

/// The document a main item and its overflow hold together.
#[derive(Debug)]
pub enum Joined {
    /// No pointer, or the overflow opened: the whole document.
    Whole(Map<String, Value>),
    /// The overflow could not be followed, but the login is in the main
    /// item: the main item alone (Claude Code reads it so, its moved
    /// sections lost), and why.
    Partial(Map<String, Value>, Missing),
    /// The login itself is sealed in an overflow that could not be
    /// followed.
    LoginSealed(Missing),
}

/// Follows `doc`'s pointer with `overflow` (the overflow item as the host
/// read it: `Ok(secret)`, or why there is none).
pub fn follow(doc: &Map<String, Value>, overflow: Result<&str, Missing>) -> Joined {
    let Some(ptr) = pointer(doc) else {
        let mut whole = doc.clone();
        whole.shift_remove(POINTER_KEY);
        return Joined::Whole(whole);
    };
    let opened = overflow.and_then(|secret| open(&ptr, secret).map_err(Missing::Broken));
    match opened {
        Ok(sections) => Joined::Whole(join(doc, &sections)),
        Err(why) if doc.get("claudeAiOauth").is_some_and(|v| !v.is_null()) => {
            let mut main = doc.clone();
            main.shift_remove(POINTER_KEY);
            Joined::Partial(main, why)
        }
        Err(why) => Joined::LoginSealed(why),
    }
}

/// What a write-back of renewed tokens writes into the Keychain.
#[derive(Debug, PartialEq, Eq)]
pub struct Rewrite {
    /// The overflow item to write first, when the login is sealed there:
    /// its slot and its new secret (a reseal under a new key).
    pub overflow: Option<(Slot, String)>,
    /// The main item's new document, compact JSON (the caller escapes it
    /// for the Keychain).
    pub main: Map<String, Value>,
}

/// Puts renewed tokens into a main item `doc` and its overflow.
///
/// `merge` puts the tokens into a Claude Code document (text in, text
/// out, every other field kept). When the login is in the main item, the
/// main item is merged and the pointer's `login` re-derived from the new
/// login (only if it matched the old one, so what Claude Code restored
/// before it restores after); the overflow item is left as it is: same
/// key, same sections, so Claude Code's cache of it stays right. When the
/// login is sealed in the overflow, the sections are opened, merged and
/// resealed into the other slot under a new key, which the main item's
/// pointer then names, as Claude Code does on its own writes. The new key
/// and IV are derived from the old key and the new sections (the core has
/// no randomness; see docs/security.md).
pub fn rewrite(
    doc: &Map<String, Value>,
    overflow: Option<&str>,
    origin: &str,
    merge: &dyn Fn(&str) -> Result<String, WritebackError>,
) -> Result<Rewrite, WritebackError> {
    let reparse = |text: String| match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(WritebackError::NotJson { origin: origin.to_string() }),
    };
    let Some(ptr) = pointer(doc) else {
        return Ok(Rewrite { overflow: None, main: reparse(merge(&Value::Object(doc.clone()).to_string())?)? });
    };
    if doc.get("claudeAiOauth").is_some_and(|v| !v.is_null()) {
        let bound = doc.get(POINTER_KEY).and_then(|p| p.get("login")).and_then(Value::as_str)
            == Some(login_hash(&without_pointer(doc)).as_str());
        let mut main = reparse(merge(&Value::Object(doc.clone()).to_string())?)?;
        if bound {
            let hash = login_hash(&without_pointer(&main));
            if let Some(Value::Object(p)) = main.get_mut(POINTER_KEY) {
                p.insert("login".into(), Value::String(hash));
            }
        }
        return Ok(Rewrite { overflow: None, main });
    }
    let sealed_in = format!("{origin} (its overflow item, slot {})", ptr.slot.letter());
    let secret = overflow
        .ok_or_else(|| WritebackError::Unreadable { origin: sealed_in.clone(), why: Missing::Absent.to_string() })?;
    let sections =
        open(&ptr, secret).map_err(|e| WritebackError::Unreadable { origin: sealed_in.clone(), why: e.to_string() })?;
    let merged = reparse(merge(&Value::Object(sections).to_string())?)?;
    let plaintext = Value::Object(merged).to_string();
    let old_key = BASE64.decode(ptr.key.trim()).unwrap_or_default();
    let key: [u8; KEY_LEN] = derive(b"clawdbot: Claude Code overflow key\n", &old_key, &plaintext);
    let iv_full: [u8; 32] = derive(b"clawdbot: Claude Code overflow iv\n", &key, &plaintext);
    let mut iv = [0u8; IV_LEN];
    iv.copy_from_slice(&iv_full[..IV_LEN]);
    let sealed = seal(&key, &iv, &plaintext)
        .ok_or_else(|| WritebackError::Unreadable { origin: sealed_in, why: OpenError::BadKey.to_string() })?;
    let slot = ptr.slot.other();
    let mut main = doc.clone();
    if let Some(Value::Object(p)) = main.get_mut(POINTER_KEY) {
        p.insert("slot".into(), Value::String(slot.letter().into()));
        p.insert("key".into(), Value::String(BASE64.encode(key)));
    }
    Ok(Rewrite { overflow: Some((slot, sealed)), main })
}

fn without_pointer(doc: &Map<String, Value>) -> Map<String, Value> {
    let mut main = doc.clone();
    main.shift_remove(POINTER_KEY);
    main
}

/// SHA-256 over a label, a secret and the text: a fresh 32 bytes for each
/// new content, unguessable without the old key.
fn derive(label: &[u8], secret: &[u8], text: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(label);
    hash.update((secret.len() as u64).to_be_bytes());
    hash.update(secret);
    hash.update(text.as_bytes());
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: [u8; 32] = [7; 32];

    fn obj(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("an object")
    }

    fn sealed(sections: &Value) -> String {
        seal(&KEY, &[1; 12], &sections.to_string()).expect("seals")
    }

    #[test]
    fn javascript_json_orders_index_keys_first_and_prints_numbers_as_javascript() {
        let v: Value =
            serde_json::from_str(r#"{"b":1,"10":2,"a":[1.5,2.0,1e21,1.5e-7,-0.0],"2":"x\u0001é","01":3}"#).unwrap();
        assert_eq!(js_json(&v), r#"{"2":"x\u0001é","10":2,"b":1,"a":[1.5,2,1e+21,1.5e-7,0],"01":3}"#);
        assert_eq!(js_json(&json!(1_767_225_600_000_i64)), "1767225600000");
    }

    /// The hashes were computed apart, with Node's `crypto` over
    /// `JSON.stringify`, as Claude Code computes them.
    #[test]
    fn the_login_and_member_hashes_are_claude_codes() {
        let doc = obj(json!({"claudeAiOauth": {"accessToken": "a", "expiresAt": 1}}));
        assert_eq!(login_hash(&doc), "969a738e4a629efb");
        assert_eq!(login_hash(&Map::new()), "1d8fc6ceb1f94c63", "[null]");
        assert_eq!(member_hash(&Map::new()), "4f53cda18c2baa0c", "[]");
        let org = obj(json!({"acme": {"organizationUuid": "o", "accountUuid": "u"}}));
        assert_eq!(member_hash(&org), "a791aed0068cb5d1");
    }

    #[test]
    fn a_sealed_overflow_opens_with_its_key_only() {
        let sections = json!({"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE"}});
        let secret = sealed(&sections);
        let ptr = Pointer { slot: Slot::A, key: BASE64.encode(KEY) };
        assert_eq!(open(&ptr, &secret), Ok(obj(sections)));
        let wrong = Pointer { slot: Slot::A, key: BASE64.encode([8u8; 32]) };
        assert_eq!(open(&wrong, &secret), Err(OpenError::Tag));
        let mut bytes = BASE64.decode(&secret).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(open(&ptr, &BASE64.encode(&bytes)), Err(OpenError::Tag), "a changed tag");
        assert_eq!(open(&ptr, "***"), Err(OpenError::NotBase64));
        assert_eq!(open(&ptr, "AAAA"), Err(OpenError::TooShort { bytes: 3 }));
        let short_key = Pointer { slot: Slot::A, key: BASE64.encode([1u8; 16]) };
        assert_eq!(open(&short_key, &secret), Err(OpenError::BadKey));
        let not_json = seal(&KEY, &[1; 12], "[1]").unwrap();
        assert_eq!(open(&ptr, &not_json), Err(OpenError::NotSections));
        for e in [OpenError::Tag, OpenError::BadKey, OpenError::NotBase64] {
            assert!(!e.to_string().contains("sk-ant"), "{e}");
        }
    }

    #[test]
    fn a_pointer_needs_a_known_slot_and_a_key() {
        assert!(pointer(&obj(json!({"keychainOverflow": {"slot": "a", "key": "k"}}))).is_some());
        for bad in [json!({"slot": "c", "key": "k"}), json!({"slot": "a"}), json!({"slot": "b", "key": 5}), json!(7)] {
            assert!(pointer(&obj(json!({ "keychainOverflow": bad }))).is_none(), "{bad}");
        }
        assert_eq!(overflow_service("Claude Code-credentials", Slot::B), "Claude Code-credentials-overflow-b");
        assert!(
            !format!("{:?}", pointer(&obj(json!({"keychainOverflow": {"slot": "a", "key": "SECRET"}}))))
                .contains("SECRET")
        );
    }

    /// A login sealed with its enterprise gateway (the pointer's `login` is
    /// the hash of `[null]`, `organizationUuid` is `""`) comes back, and
    /// `stays` sections never do.
    #[test]
    fn a_sealed_login_is_restored_when_the_pointer_matches() {
        let login = json!({"accessToken": "sk-ant-oat01-FAKE", "refreshToken": "sk-ant-ort01-FAKE", "expiresAt": 5});
        let sections = obj(json!({"claudeAiOauth": login, "enterpriseGateway": {"url": "x"}, "slackTag": "s"}));
        let main = obj(json!({"mcpOAuth": {}, "organizationUuid": "",
            "keychainOverflow": {"slot": "a", "key": "k", "login": login_hash(&Map::new()), "organizationUuid": "", "member": member_hash(&Map::new())}}));
        let joined = join(&main, &sections);
        assert_eq!(joined["claudeAiOauth"], login);
        assert_eq!(joined["enterpriseGateway"], json!({"url": "x"}));
        assert!(!joined.contains_key("slackTag") && !joined.contains_key(POINTER_KEY));
        assert!(!joined.contains_key("organizationUuid"), "the empty organisation marker goes");
        // Another organisation: the login is not restored.
        let mut other = main.clone();
        other["organizationUuid"] = json!("org-2");
        assert!(!join(&other, &sections).contains_key("claudeAiOauth"));
    }

    #[test]
    fn grown_maps_are_merged_entry_by_entry() {
        let sections = obj(json!({"mcpOAuth": {"s1": {"accessToken": "old"}, "s2": {"accessToken": "x"}},
                                  "pluginSecrets": {"p": {"a": 1, "b": 1}}}));
        let main = obj(json!({"claudeAiOauth": {"accessToken": "a"},
            "mcpOAuth": {"s1": {"accessToken": ""}, "s3": {"accessToken": "y"}}, "pluginSecrets": {"p": {"b": 2}},
            "keychainOverflow": {"slot": "b", "key": "k"}}));
        let joined = join(&main, &sections);
        assert_eq!(
            joined["mcpOAuth"],
            json!({"s1": {"accessToken": "old"}, "s2": {"accessToken": "x"}, "s3": {"accessToken": "y"}}),
            "an mcpOAuth entry without a token does not hide the sealed one"
        );
        assert_eq!(joined["pluginSecrets"], json!({"p": {"a": 1, "b": 2}}));
        assert_eq!(joined["claudeAiOauth"], json!({"accessToken": "a"}));
    }

    #[test]
    fn the_account_grants_follow_the_login_hash() {
        let login = json!({"accessToken": "a"});
        let main = obj(json!({"claudeAiOauth": login,
            "keychainOverflow": {"slot": "a", "key": "k", "login": login_hash(&obj(json!({"claudeAiOauth": login}))),
                                 "organizationUuid": null, "member": member_hash(&Map::new())}}));
        let sections = obj(json!({"designOauth": {"t": 1}, "someGrant": {"g": 1}}));
        let joined = join(&main, &sections);
        assert_eq!(
            (joined.get("designOauth"), joined.get("someGrant")),
            (Some(&json!({"t": 1})), Some(&json!({"g": 1})))
        );
        let mut renewed = main.clone();
        renewed["claudeAiOauth"] = json!({"accessToken": "b"});
        let joined = join(&renewed, &sections);
        assert!(joined.get("designOauth").is_none(), "a login whose hash moved loses its grants");
    }

    fn merge_tokens(text: &str) -> Result<String, WritebackError> {
        let mut doc: Value = serde_json::from_str(text).map_err(|_| WritebackError::NotJson { origin: "t".into() })?;
        doc["claudeAiOauth"]["accessToken"] = json!("sk-ant-oat01-FAKE-NEW");
        Ok(doc.to_string())
    }

    #[test]
    fn a_rewrite_of_a_main_item_login_keeps_the_overflow_and_rebinds_the_login() {
        let login = json!({"accessToken": "sk-ant-oat01-FAKE-OLD", "expiresAt": 1});
        let hash = login_hash(&obj(json!({"claudeAiOauth": login})));
        let main = obj(json!({"claudeAiOauth": login,
            "keychainOverflow": {"slot": "a", "key": "k", "login": hash, "organizationUuid": null, "member": "m"}}));
        let out = rewrite(&main, None, "item", &merge_tokens).expect("rewrites");
        assert_eq!(out.overflow, None, "the overflow item is left as it is");
        let new_hash = login_hash(&without_pointer(&out.main));
        assert_eq!(out.main[POINTER_KEY]["login"], json!(new_hash));
        assert_ne!(new_hash, hash);
        assert_eq!(out.main[POINTER_KEY]["key"], "k");
        // A login hash that did not match before is not made to match.
        let mut stale = main.clone();
        stale[POINTER_KEY]["login"] = json!("0000000000000000");
        let out = rewrite(&stale, None, "item", &merge_tokens).expect("rewrites");
        assert_eq!(out.main[POINTER_KEY]["login"], "0000000000000000");
    }

    #[test]
    fn a_rewrite_of_a_sealed_login_reseals_into_the_other_slot_under_a_new_key() {
        let sections = json!({"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE-OLD", "refreshToken": "r"}, "enterpriseGateway": {"u": 1}});
        let main = obj(json!({"organizationUuid": "", "keychainOverflow": {"slot": "a", "key": BASE64.encode(KEY),
            "login": login_hash(&Map::new()), "organizationUuid": "", "member": member_hash(&Map::new())}}));
        let secret = sealed(&sections);
        let out = rewrite(&main, Some(&secret), "item", &merge_tokens).expect("rewrites");
        let (slot, resealed) = out.overflow.clone().expect("a reseal");
        assert_eq!(slot, Slot::B);
        let ptr = pointer(&out.main).expect("a pointer");
        assert_eq!(ptr.slot, Slot::B);
        assert_ne!(out.main[POINTER_KEY]["key"], json!(BASE64.encode(KEY)), "a new key");
        let opened = open(&ptr, &resealed).expect("opens with the new key");
        assert_eq!(opened["claudeAiOauth"], json!({"accessToken": "sk-ant-oat01-FAKE-NEW", "refreshToken": "r"}));
        assert_eq!(opened["enterpriseGateway"], json!({"u": 1}));
        assert!(open(&pointer(&main).unwrap(), &resealed).is_err(), "not with the old key");
        // Claude Code reads it back: the login comes from the new slot.
        assert_eq!(join(&out.main, &opened)["claudeAiOauth"]["accessToken"], "sk-ant-oat01-FAKE-NEW");
        assert_eq!(out.main["organizationUuid"], "");
        // Deterministic: the same write twice is the same write.
        assert_eq!(rewrite(&main, Some(&secret), "item", &merge_tokens).unwrap(), out);
    }

    #[test]
    fn a_sealed_login_without_its_overflow_is_not_rewritten() {
        let main = obj(json!({"keychainOverflow": {"slot": "a", "key": BASE64.encode(KEY), "login": "x"}}));
        let err = rewrite(&main, None, "Claude Code keychain item", &merge_tokens).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Claude Code keychain item (its overflow item, slot a) is missing, so it was not updated"
        );
        let err = rewrite(&main, Some("AAAA"), "i", &merge_tokens).unwrap_err();
        assert!(err.to_string().contains("too short"), "{err}");
    }

    #[test]
    fn following_says_what_is_missing_and_keeps_a_main_item_login() {
        let with_login =
            obj(json!({"claudeAiOauth": {"accessToken": "a"}, "keychainOverflow": {"slot": "a", "key": "k"}}));
        match follow(&with_login, Err(Missing::Absent)) {
            Joined::Partial(main, Missing::Absent) => assert!(!main.contains_key(POINTER_KEY)),
            other => panic!("{other:?}"),
        }
        let sealed_login = obj(json!({"keychainOverflow": {"slot": "a", "key": BASE64.encode(KEY)}}));
        assert!(matches!(follow(&sealed_login, Ok("AAAA")), Joined::LoginSealed(Missing::Broken(_))));
        assert!(matches!(follow(&obj(json!({"claudeAiOauth": {}})), Err(Missing::Absent)), Joined::Whole(_)));
    }
}
