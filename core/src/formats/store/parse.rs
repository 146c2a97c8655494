//! Reading `auth-profiles.json`.
//!
//! A file that is not JSON, or has no `profiles` object, is not a store: the
//! caller reports it and must not overwrite it. Inside a readable store,
//! every oddity is a warning about one field, and the field is kept as it was.

use super::*;
use crate::diag::{Diagnostic, ReadError, Severity, kind_of, parse_json};

/// Parses the store. `file` is the path shown in diagnostics.
///
/// The document is streamed: each profile becomes a JSON tree only while it
/// is converted, so a store of 100 000 profiles never exists twice in memory.
pub fn parse_store(bytes: &[u8], file: &str) -> Result<(AuthStore, Vec<Diagnostic>), ReadError> {
    let text = crate::diag::text_of(bytes)?;
    if !text.trim_start().starts_with('{') {
        // Not an object: let the tree parser name the syntax error or the type.
        let root = parse_json(bytes)?;
        return Err(ReadError::Shape { field: "the top level".into(), found: kind_of(&root), expected: "an object" });
    }
    match parse_object(text, file) {
        Err(Failed::Syntax(e)) if is_out_of_range(&e) => match super::beyond::mask_beyond_expiries(text) {
            Some((masked, beyond)) => {
                let (mut store, mut diagnostics) = parse_object(&masked, file).map_err(Failed::into_read_error)?;
                restore_beyond(&mut store, &mut diagnostics, file, beyond)
                    .ok_or_else(|| crate::diag::syntax_error(&e))?;
                Ok((store, diagnostics))
            }
            None => Err(crate::diag::syntax_error(&e)),
        },
        other => other.map_err(Failed::into_read_error),
    }
}

/// serde_json's error for a number beyond a double.
fn is_out_of_range(e: &serde_json::Error) -> bool {
    e.is_syntax() && e.to_string().starts_with("number out of range")
}

/// Gives each profile its `expires` beyond a double back, as the gateway
/// reads it (Infinity), with a warning naming the profile. `None` when one
/// of them is not on a token or OAuth profile (an `api_key` or a shelved
/// entry would keep the mask, `null`, and write it back).
fn restore_beyond(
    store: &mut AuthStore,
    diagnostics: &mut Vec<Diagnostic>,
    file: &str,
    beyond: Vec<super::beyond::BeyondExpiry>,
) -> Option<()> {
    for b in beyond {
        let profile = store.profiles.get_mut(&b.profile_id)?;
        let expiry = Expiry::beyond(&b.literal)?;
        let effect = match &mut profile.credential {
            Credential::Token(t) if t.expires.is_none() => {
                t.expires = Some(expiry);
                "the token counts as never expiring"
            }
            Credential::OAuth(o) if o.expires.is_none() => {
                o.expires = Some(expiry);
                "the login's expiry counts as unknown"
            }
            _ => return None,
        };
        // The mask, `null`, was kept as an unknown field: the credential has it now.
        profile.extra.shift_remove("expires");
        let sign = if b.literal.starts_with('-') { "-" } else { "" };
        diagnostics.push(
            Diagnostic::new(
                Severity::Warning,
                file,
                format!(
                    "is {}, beyond the largest number; read as {sign}Infinity, as the gateway reads it: {effect}",
                    b.literal
                ),
            )
            .at(format!("profiles.{}.expires", b.profile_id)),
        );
    }
    Some(())
}

/// Why the object could not be read.
enum Failed {
    Syntax(serde_json::Error),
    Read(ReadError),
}

impl Failed {
    fn into_read_error(self) -> ReadError {
        match self {
            Failed::Syntax(e) => crate::diag::syntax_error(&e),
            Failed::Read(e) => e,
        }
    }
}

/// The streaming read of a top-level object.
fn parse_object(text: &str, file: &str) -> Result<(AuthStore, Vec<Diagnostic>), Failed> {
    let mut reader = Reader { file, diagnostics: Vec::new() };
    let mut store = AuthStore::default();
    let mut profiles_found: Result<(), &'static str> = Err("missing");
    let mut de = serde_json::Deserializer::from_str(text);
    let root = RootVisitor { reader: &mut reader, store: &mut store, profiles_found: &mut profiles_found };
    serde::Deserializer::deserialize_map(&mut de, root).and_then(|()| de.end()).map_err(Failed::Syntax)?;
    if let Err(found) = profiles_found {
        return Err(Failed::Read(ReadError::Shape { field: "profiles".into(), found, expected: "an object" }));
    }
    if let Some(v) = &store.newer_version {
        reader.warn(
            "version".into(),
            format!(
                "is {v}, newer than the version {STORE_VERSION} this clawdbot understands; \
                 read as version {STORE_VERSION}, and never written"
            ),
        );
    }
    Ok((store, reader.diagnostics))
}

/// The top-level object: `profiles` streamed, the small sections as trees.
struct RootVisitor<'r, 'a> {
    reader: &'r mut Reader<'a>,
    store: &'r mut AuthStore,
    profiles_found: &'r mut Result<(), &'static str>,
}

impl<'de> serde::de::Visitor<'de> for RootVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an auth-profiles.json object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "profiles" => {
                    let seed = ProfilesVisitor { reader: &mut *self.reader, store: &mut *self.store };
                    *self.profiles_found = map.next_value_seed(seed)?;
                }
                "version" => {
                    if let Value::Number(n) = map.next_value::<Value>()? {
                        let newer = n.as_f64().is_some_and(|v| v > STORE_VERSION as f64);
                        self.store.newer_version = newer.then_some(n);
                    }
                }
                "order" => self.store.order = self.reader.order(map.next_value()?),
                "lastGood" => self.store.last_good = self.reader.last_good(map.next_value()?),
                "usageStats" => self.store.usage_stats = self.reader.usage_stats(map.next_value()?),
                _ => {
                    let value: Value = map.next_value()?;
                    self.store.extra.insert(key, value);
                }
            }
        }
        Ok(())
    }
}

/// `profiles`: each entry converted as soon as it is read. Anything but an
/// object is consumed and reported by its type.
struct ProfilesVisitor<'r, 'a> {
    reader: &'r mut Reader<'a>,
    store: &'r mut AuthStore,
}

impl<'de> serde::de::DeserializeSeed<'de> for ProfilesVisitor<'_, '_> {
    type Value = Result<(), &'static str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ProfilesVisitor<'_, '_> {
    type Value = Result<(), &'static str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object of profiles")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while let Some(id) = map.next_key::<String>()? {
            let value: Value = map.next_value()?;
            match self.reader.profile(&id, value) {
                Ok(profile) => {
                    self.store.shelved.shift_remove(&id);
                    self.store.profiles.insert(id, profile);
                }
                Err(raw) => {
                    self.store.profiles.shift_remove(&id);
                    self.store.shelved.insert(id, raw);
                }
            }
        }
        Ok(Ok(()))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Err("an array"))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Err("null"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err("a string"))
    }
}

/// Drops the capacity of a map emptied of its known keys: most profiles have
/// no unknown fields, and 100 000 empty tables add up.
fn compact(fields: Map<String, Value>) -> Map<String, Value> {
    if fields.is_empty() { Map::new() } else { fields }
}

struct Reader<'a> {
    file: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn warn(&mut self, field: String, message: String) {
        self.diagnostics.push(Diagnostic::new(Severity::Warning, self.file, message).at(field));
    }

    /// A profile, or the raw value to shelve when it is not a credential.
    fn profile(&mut self, id: &str, value: Value) -> Result<Profile, Value> {
        let path = format!("profiles.{id}");
        let Value::Object(mut fields) = value else {
            self.warn(path, format!("is {}, expected an object; kept but not used", kind_of(&value)));
            return Err(value);
        };
        let kind = match fields.get("type") {
            Some(Value::String(t)) => CredentialType::parse(t),
            _ => None,
        };
        let Some(kind) = kind else {
            let found = match fields.get("type") {
                Some(Value::String(t)) => format!("\"{}\"", crate::escape::escape_control(t)),
                Some(v) => kind_of(v).to_string(),
                None => "missing".to_string(),
            };
            self.warn(
                format!("{path}.type"),
                format!("is {found}, expected \"api_key\", \"token\" or \"oauth\"; kept but not used"),
            );
            return Err(Value::Object(fields));
        };
        let provider = match fields.get("provider") {
            Some(Value::String(p)) if !p.is_empty() => p.clone(),
            other => {
                let found = other.map_or("missing", kind_of);
                let found = if matches!(other, Some(Value::String(_))) { "empty" } else { found };
                self.warn(format!("{path}.provider"), format!("is {found}, expected a provider id; kept but not used"));
                return Err(Value::Object(fields));
            }
        };
        fields.shift_remove("type");
        fields.shift_remove("provider");
        let mut take = FieldTaker { reader: self, path: &path, fields: &mut fields };
        let credential = match kind {
            CredentialType::ApiKey => {
                Credential::ApiKey(ApiKey { provider, key: take.secret("key"), email: take.text("email") })
            }
            CredentialType::Token => Credential::Token(Token {
                provider,
                token: take.secret("token"),
                expires: take.expiry("expires"),
                email: take.text("email"),
            }),
            CredentialType::OAuth => Credential::OAuth(OAuth {
                provider,
                access: take.secret("access"),
                refresh: take.secret("refresh"),
                expires: take.expiry("expires"),
                refresh_expires: take.expiry("refreshExpires"),
                email: take.text("email"),
                enterprise_url: take.text("enterpriseUrl"),
                project_id: take.text("projectId"),
                account_id: take.text("accountId"),
            }),
        };
        self.check_expiry(&path, &credential);
        Ok(Profile { credential, extra: compact(fields) })
    }

    /// An `expires` that is a number but not a time after 1970 says nothing
    /// about the credential; the rules treat it as unknown, and say so here.
    fn check_expiry(&mut self, path: &str, credential: &Credential) {
        let Some(e) = credential.expires() else { return };
        let oauth = credential.kind() == CredentialType::OAuth;
        // `0` is how a static token is written to say "never": only a
        // login's `0` is worth a word.
        let says_never = !oauth && e.ms() == 0.0;
        if credential.expiry().at().is_none() && !says_never {
            let effect =
                if oauth { "the login's expiry counts as unknown" } else { "the token counts as never expiring" };
            self.warn(format!("{path}.expires"), format!("is {}, not a time after 1970; {effect}", e.as_written()));
        }
    }

    fn order(&mut self, value: Value) -> OrderedMap<Vec<String>> {
        let mut out = OrderedMap::default();
        let Value::Object(map) = value else {
            if !value.is_null() {
                self.warn("order".into(), format!("is {}, expected an object; ignored", kind_of(&value)));
            }
            return out;
        };
        for (provider, list) in map {
            let Value::Array(items) = list else {
                self.warn(
                    format!("order.{provider}"),
                    format!("is {}, expected a list of profile ids; ignored", kind_of(&list)),
                );
                continue;
            };
            let ids: Vec<String> = items
                .iter()
                .filter_map(|v| v.as_str())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            if ids.len() != items.len() {
                self.warn(
                    format!("order.{provider}"),
                    "has entries that are not profile ids; they were dropped".into(),
                );
            }
            if !ids.is_empty() {
                out.insert(provider, ids);
            }
        }
        out
    }

    fn last_good(&mut self, value: Value) -> OrderedMap<String> {
        let mut out = OrderedMap::default();
        if let Value::Object(map) = value {
            for (provider, id) in map {
                match id {
                    Value::String(id) => {
                        out.insert(provider, id);
                    }
                    other => self.warn(
                        format!("lastGood.{provider}"),
                        format!("is {}, expected a profile id; ignored", kind_of(&other)),
                    ),
                }
            }
        }
        out
    }

    fn usage_stats(&mut self, value: Value) -> OrderedMap<UsageStats> {
        let mut out = OrderedMap::default();
        let Value::Object(map) = value else {
            if !value.is_null() {
                self.warn("usageStats".into(), format!("is {}, expected an object; ignored", kind_of(&value)));
            }
            return out;
        };
        for (id, stats) in map {
            let path = format!("usageStats.{id}");
            let Value::Object(mut fields) = stats else {
                self.warn(path, format!("is {}, expected an object; ignored", kind_of(&stats)));
                continue;
            };
            let mut take = FieldTaker { reader: self, path: &path, fields: &mut fields };
            let mut u = UsageStats {
                last_used: take.number("lastUsed"),
                cooldown_until: take.number("cooldownUntil"),
                disabled_until: take.number("disabledUntil"),
                disabled_reason: take.text("disabledReason"),
                error_count: take.number("errorCount"),
                last_failure_at: take.number("lastFailureAt"),
                ..UsageStats::default()
            };
            match fields.shift_remove("failureCounts") {
                Some(Value::Object(counts)) => {
                    for (reason, n) in counts {
                        match n.as_f64() {
                            Some(n) => {
                                u.failure_counts.insert(reason, n);
                            }
                            None => self.warn(
                                format!("{path}.failureCounts.{reason}"),
                                format!("is {}, expected a number; ignored", kind_of(&n)),
                            ),
                        }
                    }
                }
                Some(other) => {
                    fields.insert("failureCounts".into(), other);
                }
                None => {}
            }
            u.extra = compact(fields);
            out.insert(id, u);
        }
        out
    }
}

/// Takes known fields out of an object. A field of the wrong type stays in
/// the object (so it is written back as it was) and is reported.
struct FieldTaker<'r, 'a> {
    reader: &'r mut Reader<'a>,
    path: &'r str,
    fields: &'r mut Map<String, Value>,
}

impl FieldTaker<'_, '_> {
    /// Converts a present, non-null field; reports and keeps it when `f`
    /// refuses its type. Nothing is removed here.
    fn check<T>(&mut self, name: &str, expected: &str, f: impl FnOnce(&Value) -> Option<T>) -> Option<T> {
        let value = self.fields.get(name).filter(|v| !v.is_null())?;
        let converted = f(value);
        if converted.is_none() {
            let found = kind_of(value);
            self.reader.warn(format!("{}.{name}", self.path), format!("is {found}, expected {expected}; ignored"));
        }
        converted
    }

    /// A string field, moved out of the tree rather than copied.
    fn text(&mut self, name: &str) -> Option<String> {
        self.check(name, "a string", |v| v.is_string().then_some(()))?;
        match self.fields.shift_remove(name) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    fn secret(&mut self, name: &str) -> Option<Secret> {
        self.text(name).map(Secret::new)
    }

    fn expiry(&mut self, name: &str) -> Option<Expiry> {
        let e = self.check(name, "milliseconds since the epoch", Expiry::from_json)?;
        self.fields.shift_remove(name);
        Some(e)
    }

    fn number(&mut self, name: &str) -> Option<f64> {
        let n = self.check(name, "a number", Value::as_f64)?;
        self.fields.shift_remove(name);
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (AuthStore, Vec<Diagnostic>) {
        parse_store(text.as_bytes(), "auth-profiles.json").expect("parses")
    }

    #[test]
    fn reads_the_spec_example_and_writes_it_back() {
        let text = r#"{
          "version": 1,
          "profiles": {
            "anthropic:default": { "type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-FAKEFAKEFAKEFAKEFAKE" },
            "openai-codex:codex-cli": { "type": "oauth", "provider": "openai-codex", "access": "eyFAKE.ACCESS.JWT", "refresh": "rt_FAKE", "expires": 1767225600123.456, "futureField": {"x": [1, 2]} }
          },
          "order": { "anthropic": [" anthropic:default ", "", 3] },
          "lastGood": { "anthropic": "anthropic:default" },
          "usageStats": { "anthropic:default": { "lastUsed": 1767200000000, "errorCount": 2, "failureCounts": { "rate_limit": 2 } } },
          "somethingNew": true
        }"#;
        let (store, diags) = parse(text);
        assert_eq!(store.profiles.len(), 2);
        assert_eq!(store.order["anthropic"], vec!["anthropic:default"]);
        assert_eq!(diags.len(), 1, "{diags:?}");
        let written = write_store(&store).unwrap();
        assert!(written.contains("1767225600123.456"));
        assert!(written.contains("\"futureField\""));
        assert!(written.contains("\"somethingNew\": true"));
        assert!(written.ends_with("}\n"));
        let (again, _) = parse(&written);
        assert_eq!(again, store);
    }

    #[test]
    fn unknown_types_are_shelved_not_lost() {
        let (store, diags) = parse(r#"{"version":1,"profiles":{"a":{"type":"magic","provider":"x","k":1},"b":null}}"#);
        assert!(store.profiles.is_empty());
        assert_eq!(store.shelved.len(), 2);
        assert_eq!(diags.len(), 2);
        let written = write_store(&store).unwrap();
        assert!(written.contains("\"magic\""));
        assert!(written.contains("\"b\": null"));
    }

    #[test]
    fn wrong_typed_fields_are_kept_and_reported() {
        let (store, diags) = parse(
            r#"{"profiles":{"anthropic:x":{"type":"oauth","provider":"anthropic","access":"a","refresh":"r","expires":"tomorrow"}}}"#,
        );
        let Credential::OAuth(o) = &store.profiles["anthropic:x"].credential else { panic!() };
        assert!(o.expires.is_none());
        assert_eq!(diags[0].field.as_deref(), Some("profiles.anthropic:x.expires"));
        assert!(diags[0].message.contains("is a string"));
        assert!(write_store(&store).unwrap().contains("\"expires\": \"tomorrow\""));
    }

    #[test]
    fn a_newer_version_is_read_with_a_warning_and_refused_by_the_writer() {
        let (store, diags) = parse(r#"{"version":2,"profiles":{}}"#);
        assert_eq!(diags[0].field.as_deref(), Some("version"), "{diags:?}");
        assert!(matches!(write_store(&store), Err(WriteRefused::NewerVersion { found }) if found == "2"));
        for older in [r#"{"version":1,"profiles":{}}"#, r#"{"version":"9","profiles":{}}"#, r#"{"profiles":{}}"#] {
            let (store, diags) = parse(older);
            assert!(diags.is_empty() && write_store(&store).is_ok(), "{older}");
        }
    }

    #[test]
    fn not_a_store_is_an_error() {
        for (text, want) in
            [("[1]", "the top level"), (r#"{"version":1}"#, "profiles"), (r#"{"profiles":[]}"#, "profiles")]
        {
            match parse_store(text.as_bytes(), "f") {
                Err(ReadError::Shape { field, .. }) => assert_eq!(field, want),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}

#[cfg(test)]
mod section_tests {
    use super::*;

    fn parse(text: &str) -> (AuthStore, Vec<Diagnostic>) {
        parse_store(text.as_bytes(), "f").expect("parses")
    }

    fn fields_and_messages(diags: &[Diagnostic]) -> Vec<(String, String)> {
        diags.iter().map(|d| (d.field.clone().unwrap_or_default(), d.message.clone())).collect()
    }

    #[test]
    fn last_good_is_read_into_its_own_section() {
        let (store, diags) = parse(r#"{"profiles":{},"lastGood":{"anthropic":"anthropic:a","openai":7}}"#);
        assert_eq!(store.last_good.len(), 1);
        assert_eq!(store.last_good["anthropic"], "anthropic:a");
        assert!(store.extra.is_empty(), "not kept as an unknown key: {:?}", store.extra);
        assert_eq!(
            fields_and_messages(&diags),
            [("lastGood.openai".to_string(), "is a number, expected a profile id; ignored".to_string())]
        );
    }

    #[test]
    fn an_empty_provider_shelves_the_profile() {
        let (store, diags) = parse(r#"{"profiles":{"a:b":{"type":"api_key","provider":"","key":"k"}}}"#);
        assert!(store.profiles.is_empty());
        assert!(store.shelved.contains_key("a:b"));
        assert_eq!(
            fields_and_messages(&diags),
            [("profiles.a:b.provider".to_string(), "is empty, expected a provider id; kept but not used".to_string())]
        );
        let (_, diags) = parse(r#"{"profiles":{"a:b":{"type":"api_key","provider":5,"key":"k"}}}"#);
        assert_eq!(diags[0].message, "is a number, expected a provider id; kept but not used");
    }

    fn expiry_warnings(kind: &str, expires: &str) -> Vec<(String, String)> {
        let text = format!(
            r#"{{"profiles":{{"p:x":{{"type":"{kind}","provider":"p","token":"t","access":"a","expires":{expires}}}}}}}"#
        );
        let (store, diags) = parse(&text);
        assert_eq!(store.profiles.len(), 1, "{text}");
        fields_and_messages(&diags)
    }

    #[test]
    fn an_expiry_before_1970_is_reported_and_zero_only_for_a_login() {
        let warned = |effect: &str, written: &str| {
            vec![("profiles.p:x.expires".to_string(), format!("is {written}, not a time after 1970; {effect}"))]
        };
        let token = "the token counts as never expiring";
        let login = "the login's expiry counts as unknown";
        assert_eq!(expiry_warnings("token", "-1"), warned(token, "-1"));
        assert_eq!(expiry_warnings("token", "-0.5"), warned(token, "-0.5"));
        assert_eq!(expiry_warnings("token", "0"), [], "a token's 0 means no expiry");
        assert_eq!(expiry_warnings("token", "1"), []);
        assert_eq!(expiry_warnings("oauth", "0"), warned(login, "0"));
        assert_eq!(expiry_warnings("oauth", "-1"), warned(login, "-1"));
        assert_eq!(expiry_warnings("oauth", "1"), []);
        assert_eq!(expiry_warnings("oauth", "1767225600000"), []);
    }

    #[test]
    fn null_sections_are_silent_and_other_types_are_reported() {
        let (store, diags) = parse(r#"{"profiles":{},"order":null,"usageStats":null,"lastGood":null}"#);
        assert!(diags.is_empty(), "{diags:?}");
        assert!(store.order.is_empty() && store.usage_stats.is_empty() && store.last_good.is_empty());
        let (_, diags) = parse(r#"{"profiles":{},"order":5,"usageStats":"x"}"#);
        assert_eq!(
            fields_and_messages(&diags),
            [
                ("order".to_string(), "is a number, expected an object; ignored".to_string()),
                ("usageStats".to_string(), "is a string, expected an object; ignored".to_string()),
            ]
        );
    }

    #[test]
    fn profiles_of_any_other_type_are_no_store() {
        for (profiles, found) in [
            ("true", "a boolean"),
            ("null", "null"),
            ("1", "a number"),
            ("-1", "a number"),
            ("1.5", "a number"),
            (r#""x""#, "a string"),
            (r#""\u0041""#, "a string"),
            ("[1, {}]", "an array"),
        ] {
            let text = format!(r#"{{"profiles":{profiles}}}"#);
            match parse_store(text.as_bytes(), "f") {
                Err(ReadError::Shape { field, found: f, expected }) => {
                    assert_eq!((field.as_str(), f, expected), ("profiles", found, "an object"), "{text}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_profile_that_is_no_credential_says_why() {
        let (store, diags) = parse(
            r#"{"profiles":{"a:1":{"type":"magic","provider":"a"},"a:2":{"type":5,"provider":"a"},
               "a:3":{"provider":"a"},"a:4":{"type":"token"},"a:5":[1]}}"#,
        );
        assert!(store.profiles.is_empty());
        assert_eq!(store.shelved.len(), 5);
        let expected = "expected \"api_key\", \"token\" or \"oauth\"; kept but not used";
        assert_eq!(
            fields_and_messages(&diags),
            [
                ("profiles.a:1.type".to_string(), format!("is \"magic\", {expected}")),
                ("profiles.a:2.type".to_string(), format!("is a number, {expected}")),
                ("profiles.a:3.type".to_string(), format!("is missing, {expected}")),
                (
                    "profiles.a:4.provider".to_string(),
                    "is missing, expected a provider id; kept but not used".to_string()
                ),
                ("profiles.a:5".to_string(), "is an array, expected an object; kept but not used".to_string()),
            ]
        );
    }

    #[test]
    fn a_later_entry_of_the_same_id_wins() {
        let (store, _) =
            parse(r#"{"profiles":{"a:1":{"type":"magic"},"a:1":{"type":"api_key","provider":"a","key":"k"}}}"#);
        assert!(store.profiles.contains_key("a:1") && !store.shelved.contains_key("a:1"));
        let (store, _) =
            parse(r#"{"profiles":{"a:1":{"type":"api_key","provider":"a","key":"k"},"a:1":{"type":"magic"}}}"#);
        assert!(!store.profiles.contains_key("a:1") && store.shelved.contains_key("a:1"));
    }

    #[test]
    fn odd_usage_entries_are_reported_or_kept() {
        let (store, diags) = parse(
            r#"{"profiles":{},"usageStats":{"a:1":5,"a:2":{"failureCounts":{"auth":"x","format":2}},"a:3":{"failureCounts":7,"lastUsed":"x"}}}"#,
        );
        assert!(!store.usage_stats.contains_key("a:1"));
        assert_eq!(store.usage_stats["a:2"].failure_counts.len(), 1);
        assert_eq!(store.usage_stats["a:2"].failure_counts["format"], 2.0);
        let a3 = &store.usage_stats["a:3"];
        assert_eq!(a3.extra.get("failureCounts"), Some(&serde_json::json!(7)), "kept as it was");
        assert_eq!(a3.extra.get("lastUsed"), Some(&serde_json::json!("x")));
        assert_eq!(a3.last_used, None);
        assert_eq!(
            fields_and_messages(&diags),
            [
                ("usageStats.a:1".to_string(), "is a number, expected an object; ignored".to_string()),
                (
                    "usageStats.a:2.failureCounts.auth".to_string(),
                    "is a string, expected a number; ignored".to_string()
                ),
                ("usageStats.a:3.lastUsed".to_string(), "is a string, expected a number; ignored".to_string()),
            ]
        );
    }

    #[test]
    fn odd_order_lists_are_reported_and_trimmed() {
        let (store, diags) = parse(r#"{"profiles":{},"order":{"a":5,"b":[" b:1 ",2,""],"c":["c:1"],"d":[""],"e":[]}}"#);
        assert_eq!(store.order.keys().collect::<Vec<_>>(), ["b", "c"], "lists left empty are dropped");
        assert_eq!(store.order["b"], ["b:1"]);
        assert_eq!(
            fields_and_messages(&diags),
            [
                ("order.a".to_string(), "is a number, expected a list of profile ids; ignored".to_string()),
                ("order.b".to_string(), "has entries that are not profile ids; they were dropped".to_string()),
                ("order.d".to_string(), "has entries that are not profile ids; they were dropped".to_string()),
            ]
        );
    }

    #[test]
    fn every_usage_field_is_read() {
        let (store, diags) = parse(
            r#"{"profiles":{},"usageStats":{"a:b":{"lastUsed":1,"cooldownUntil":2,"disabledUntil":3,
               "disabledReason":"billing","errorCount":4,"lastFailureAt":5,"failureCounts":{"rate_limit":6},"x":7}}}"#,
        );
        assert!(diags.is_empty(), "{diags:?}");
        let u = &store.usage_stats["a:b"];
        assert_eq!(u.last_used, Some(1.0));
        assert_eq!(u.cooldown_until, Some(2.0));
        assert_eq!(u.disabled_until, Some(3.0));
        assert_eq!(u.disabled_reason.as_deref(), Some("billing"));
        assert_eq!(u.error_count, Some(4.0));
        assert_eq!(u.last_failure_at, Some(5.0));
        assert_eq!(u.failure_counts["rate_limit"], 6.0);
        assert_eq!(u.extra.keys().collect::<Vec<_>>(), ["x"]);
    }
}

#[cfg(test)]
mod order_tests {
    use super::*;

    /// serde_json's `remove` is a swap-remove with `preserve_order`: taking
    /// out the known keys would shuffle the unknown ones behind them.
    #[test]
    fn unknown_fields_keep_their_file_order() {
        let text =
            r#"{"profiles":{"a:b":{"zeta":1,"type":"api_key","alpha":2,"provider":"a","mid":3,"key":"k","last":4}}}"#;
        let (store, _) = parse_store(text.as_bytes(), "f").unwrap();
        let keys: Vec<&str> = store.profiles["a:b"].extra.keys().map(String::as_str).collect();
        assert_eq!(keys, ["zeta", "alpha", "mid", "last"]);
    }
}

#[cfg(test)]
mod beyond_tests {
    use super::*;

    const STORE: &str = r#"{
  "version": 1,
  "profiles": {
    "anthropic:forever": {
      "type": "token",
      "provider": "anthropic",
      "token": "sk-ant-FAKE",
      "expires": 1e400
    },
    "openai-codex:x": {
      "type": "oauth",
      "provider": "openai-codex",
      "access": "FAKE-a",
      "refresh": "FAKE-r",
      "expires": -1E+999
    },
    "openai:k": {
      "type": "api_key",
      "provider": "openai",
      "key": "sk-FAKE"
    }
  }
}
"#;

    #[test]
    fn an_expiry_beyond_a_double_reads_as_infinity_and_round_trips() {
        let (store, diags) = parse_store(STORE.as_bytes(), "f").expect("readable");
        assert_eq!(store.profiles.len(), 3, "no profile lost");
        let forever = store.credential("anthropic:forever").unwrap().expires().unwrap();
        assert_eq!(forever.ms(), f64::INFINITY);
        assert!(store.profiles["anthropic:forever"].extra.is_empty(), "the mask is not kept");
        let fields: Vec<_> = diags.iter().map(|d| d.field.as_deref().unwrap_or("")).collect();
        assert_eq!(fields, ["profiles.anthropic:forever.expires", "profiles.openai-codex:x.expires"]);
        assert!(diags[0].message.contains("read as Infinity") && diags[0].message.contains("never expiring"));
        assert!(diags[1].message.contains("-Infinity"));
        assert_eq!(write_store(&store).unwrap(), STORE, "unchanged when nothing changes");
    }

    #[test]
    fn elsewhere_a_number_beyond_a_double_keeps_the_store_unreadable() {
        for text in [
            r#"{"profiles":{"a:b":{"type":"api_key","provider":"a","key":"k","expires":1e400}}}"#,
            r#"{"profiles":{"a:b":{"type":"token","provider":"a","token":"t","expires":1,"n":1e400}}}"#,
        ] {
            assert!(matches!(parse_store(text.as_bytes(), "f"), Err(ReadError::Syntax { .. })), "{text}");
        }
    }
}
