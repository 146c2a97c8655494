//! TinyLLM CLI, a login source that exists only in tests: the "one file +
//! one registry line" proof for login sources, as
//! `providers/fixture_tinyllm.rs` is for providers (it logs in to that
//! provider).
//!
//! This file and the `#[cfg(test)]` line in [`super::LOGIN_SOURCES`] are
//! all it takes to add a source with a Keychain item and a lock. The test
//! below drives the ordinary `models auth refresh` flow, which names no
//! source: the login is synced from the tool's Keychain item (its service
//! and account rules), refreshed under the tool's lock (`<folder>.lock`,
//! with its own timings) and written back to the same item under its
//! write lock.

use super::{FolderLock, FolderVar, Home, Keychain, LockStyle, LoginSource, SourceLock, SourceRead, WriteBackSpec};
use crate::defaults::LockTimings;
use crate::diag::{Diagnostic, Severity};
use crate::env::Env;
use crate::secret::Secret;
use crate::sources::ExternalLogin;
use crate::time::{Expiry, Millis, SECOND};
use crate::writeback::{Layout, NewTokens, WritebackError};
use serde_json::Value;

/// The profile the login is synced into.
pub const PROFILE_ID: &str = "tinyllm:tinyllm-cli";

/// The tool's own lock timings: not proper-lockfile's defaults, so a test
/// can tell that the request carries the source's.
const LOCK: LockTimings = LockTimings {
    stale_ms: 20 * SECOND,
    update_ms: 10 * SECOND,
    max_wait_ms: 3 * SECOND,
    min_backoff_ms: 50,
    max_backoff_ms: SECOND,
};

/// TinyLLM CLI's login source, listed in [`super::LOGIN_SOURCES`] in tests.
pub const SOURCE: LoginSource = LoginSource {
    name: "tinyllm-cli",
    aliases: &["tiny-cli"],
    list_word: "tinyllm-cli",
    owner: "TinyLLM CLI",
    sync_label: "tinyllm cli",
    profile_id: PROFILE_ID,
    provider: "tinyllm",
    home: Home { env_vars: &[FolderVar::plain("TINYLLM_HOME")], default: ".tinyllm" },
    file_name: "credentials.json",
    // No input in the admin panel, whose page lists its inputs by hand.
    panel: None,
    lock: Some(SourceLock {
        name: "TinyLLM CLI's lock",
        style: LockStyle::Folders(&[FolderLock { target: "", realpath: true }]),
        owner_file: None,
        timings: LOCK,
    }),
    // `<folder>/credentials.json.lock`, held around every write.
    write_lock: Some(SourceLock {
        name: "TinyLLM CLI's write lock",
        style: LockStyle::Folders(&[FolderLock { target: "credentials.json", realpath: false }]),
        owner_file: None,
        timings: LOCK,
    }),
    keychain: Some(Keychain { service, account, origin: "TinyLLM CLI keychain item", decode, linked: None }),
    placement: None,
    relogin_hint: "Run `tinyllm login` on the gateway host.",
    ignored_hint: "Run `tinyllm login` again.",
    ended_hint: None,
    owner_renews_hint: "Run `tinyllm` on the gateway host.",
    rejected_why: None,
    headless: None,
    read,
    write_back: WriteBackSpec { remedy: "TinyLLM CLI will need `tinyllm login`", merge },
};

/// One item per profile name the tool was given, `default` otherwise.
fn service(env: &Env) -> String {
    format!("TinyLLM-{}", env.get("TINYLLM_PROFILE").unwrap_or("default"))
}

fn account(env: &Env) -> String {
    super::user_name_or(env, "tinyllm-user")
}

fn decode(stdout: &str) -> String {
    stdout.trim().to_string()
}

/// `{"access": .., "refresh": .., "expires": ms}`, other fields ignored.
fn read(bytes: &[u8], origin: &str, _mtime_ms: Option<f64>, _now: Millis) -> SourceRead {
    let Ok(doc) = serde_json::from_slice::<Value>(bytes) else {
        return SourceRead::Broken(Diagnostic::new(Severity::Warning, origin, "is not valid JSON"));
    };
    let (Some(access), Some(refresh), Some(expires)) =
        (doc["access"].as_str(), doc["refresh"].as_str(), doc["expires"].as_i64())
    else {
        return SourceRead::NoLogin(Diagnostic::new(Severity::Info, origin, "holds no TinyLLM login"));
    };
    let credential =
        crate::sources::oauth("tinyllm", Secret::new(access), Secret::new(refresh), Expiry::from_millis(expires));
    SourceRead::Login(ExternalLogin { profile_id: PROFILE_ID, credential, origin: origin.to_string() }, Vec::new())
}

fn merge(
    text: &str,
    origin: &str,
    renewed: &NewTokens<'_>,
    _layout: Layout,
    _now: Millis,
) -> Result<String, WritebackError> {
    let mut doc: Value = serde_json::from_str(text).map_err(|_| WritebackError::NotJson { origin: origin.into() })?;
    let Some(fields) = doc.as_object_mut() else {
        return Err(WritebackError::NotAnObject { origin: origin.into(), field: "(document)" });
    };
    fields.insert("access".into(), renewed.access.expose().into());
    if let Some(refresh) = renewed.refresh {
        fields.insert("refresh".into(), refresh.expose().into());
    }
    if let Some(ms) = renewed.expires_ms {
        fields.insert("expires".into(), ms.into());
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::script::{Host, NOW, store_path, written_back};
    use crate::flow::{KeychainItem, LockFolder, LockKind, LockRequest, RefreshCommand, Selection, WriteBackPlace};

    /// The "one file + one registry line" proof for login sources.
    #[test]
    fn a_login_source_added_as_one_file_and_one_registry_line_works_end_to_end() {
        let env = Env { system_keychain: true, ..Env::new("/h") }
            .with_var("USER", "alice")
            .with_var("TINYLLM_PROFILE", "work");
        let item = KeychainItem { service: "TinyLLM-work".into(), account: "alice".into() };
        let expired =
            format!(r#"{{"access":"at-FAKE-OLD","refresh":"rt-FAKE-OLD","expires":{},"theme":"dark"}}"#, NOW - 1);
        let body = r#"{"access_token":"at-FAKE-NEW","refresh_token":"rt-FAKE-NEW","expires_in":3600}"#;
        // The login lives only in the Keychain item: no file anywhere.
        let mut host = Host::default().reply(200, body);
        host.items.insert(item.clone(), expired);
        // Its folder is there for the lock, empty.
        host.modes.insert("/h/.tinyllm".into(), 0o700);

        let mut flow = RefreshCommand::new(Selection::Profile(PROFILE_ID.into()), false, None, &env, NOW);
        let (done, _) = host.run(&mut flow);
        assert_eq!(done.exit, crate::flow::Exit::Ok, "{done:?}");
        let refresh_only = ["read ", "lock ", "unlock ", "write ", "send ", "back "];
        let other = host.asked.iter().find(|a| !refresh_only.iter().any(|p| a.starts_with(p)));
        assert!(other.is_none(), "not asked of a refresh: {other:?}");

        // Synced from its Keychain item, named by its own rules.
        assert!(host.keychain.contains(&item), "{:?}", host.keychain);
        // Refreshed under its lock, on its folder, with its timings, after
        // the store's; written back under its write lock.
        let source_lock = LockRequest {
            path: "/h/.tinyllm".into(),
            kind: LockKind::Shared {
                name: "TinyLLM CLI's lock",
                folders: vec![LockFolder { target: "/h/.tinyllm".into(), realpath: true }],
                owner: None,
            },
            timings: crate::flow::LockTimings::of(LOCK),
        };
        let write_lock = LockRequest {
            path: "/h/.tinyllm/credentials.json".into(),
            kind: LockKind::Shared {
                name: "TinyLLM CLI's write lock",
                folders: vec![LockFolder { target: "/h/.tinyllm/credentials.json".into(), realpath: false }],
                owner: None,
            },
            timings: crate::flow::LockTimings::of(LOCK),
        };
        let store = store_path("main");
        let paths: Vec<&str> = host.locks.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(paths, [&store, &source_lock.path, &write_lock.path]);
        assert_eq!(host.locks[1..], [source_lock.clone(), write_lock.clone()]);
        assert!(host.asked.contains(&format!("lock {}", source_lock.path)), "taken: {:?}", host.asked);
        let back = host.position(&written_back(&WriteBackPlace::Keychain(item.clone())));
        let (locked, unlocked) = (
            host.position(&format!("lock {}", write_lock.path)),
            host.position(&format!("unlock {}", write_lock.path)),
        );
        assert!(locked < back && back < unlocked, "written under its write lock: {:?}", host.asked);
        assert!(host.held.is_empty(), "every lock let go: {:?}", host.held);
        let posts: Vec<&str> = host.posts.iter().map(|p| p.url.as_str()).collect();
        assert_eq!(posts, ["https://auth.tinyllm.invalid/oauth/token"], "its provider's endpoint");
        // Written back to the item it came from, its other fields kept.
        let back: Vec<&String> = host.asked.iter().filter(|a| a.starts_with("back ")).collect();
        assert_eq!(back, [&written_back(&WriteBackPlace::Keychain(item.clone()))]);
        let back: Value = serde_json::from_str(&host.items[&item]).expect("json");
        assert_eq!(
            (back["access"].as_str(), back["refresh"].as_str(), back["theme"].as_str()),
            (Some("at-FAKE-NEW"), Some("rt-FAKE-NEW"), Some("dark"))
        );
        assert_eq!(host.store()["profiles"][PROFILE_ID]["access"], "at-FAKE-NEW");
    }
}
