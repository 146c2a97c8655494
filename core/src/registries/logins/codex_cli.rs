//! Codex CLI's login: `$CODEX_HOME/auth.json` (default `~/.codex`, A13),
//! unless `cli_auth_credentials_store` in `$CODEX_HOME/config.toml` keeps
//! it in the system keyring, in an encrypted file, or in memory (Codex
//! 0.171), where this host cannot read it. Renewed tokens are written back
//! to the file, under Codex's own `auth.lock` (an exclusive `flock`, which
//! Codex 0.171 takes before it commits a refresh of its own).
//!
//! The document is read by [`crate::sources::codex`] and merged back by
//! [`crate::writeback::merge_codex_auth`].

use super::{
    Elsewhere, FolderVar, Home, LockStyle, LoginSource, PanelFile, Placed, Placement, SourceLock, SourceRead,
    WriteBackSpec,
};
use crate::defaults::LockTimings;
use crate::sources::codex::{self, CodexRead, Keyring, Store};
use crate::time::{Millis, SECOND};
use crate::writeback::{Layout, NewTokens, WritebackError};

/// Codex CLI's login source, listed in [`super::LOGIN_SOURCES`].
pub const SOURCE: LoginSource = LoginSource {
    name: "codex-cli",
    aliases: &["codex"],
    list_word: "codex-cli",
    owner: "Codex CLI",
    sync_label: "codex cli",
    profile_id: codex::PROFILE_ID,
    provider: codex::PROVIDER,
    home: Home { env_vars: &[FolderVar::plain("CODEX_HOME")], default: ".codex" },
    file_name: "auth.json",
    // `auth.json` is also the agent folder's legacy store: decided by
    // content, the name only once the legacy reader found nothing.
    panel: Some(PanelFile {
        key: "codex",
        label: "Codex CLI login",
        names: &[],
        markers: &["tokens", "OPENAI_API_KEY"],
    }),
    lock: Some(SourceLock {
        name: "Codex CLI's lock",
        style: LockStyle::File("auth.lock"),
        owner_file: None,
        timings: AUTH_LOCK,
    }),
    // `auth.lock` is held through the write-back already (Codex takes its
    // `auth.json.lock` only while it holds `auth.lock`), and a second
    // `flock` of the same file from this process would wait on itself.
    write_lock: None,
    keychain: None,
    placement: Some(Placement { file: "config.toml", read: placement }),
    relogin_hint: "Run `codex login` on the gateway host.",
    ignored_hint: "Run `codex login` again.",
    ended_hint: None,
    owner_renews_hint: "Run `codex` on the gateway host: Codex renews its own login when it runs, and the next \
                        clawdbot command syncs it.",
    rejected_why: None,
    headless: None,
    read,
    write_back: WriteBackSpec { remedy: "Codex will need `codex login`", merge },
};

/// Codex CLI 0.171 takes an exclusive `flock(2)` on `$CODEX_HOME/auth.lock`
/// (made when missing) after its refresh request answered, re-reads
/// `auth.json`, and commits its new tokens only if the file still holds
/// the login it refreshed ("Credentials changed before refresh commit."),
/// else it takes the file's. Holding that lock over our whole refresh makes
/// a Codex commit wait for our write-back, then find our tokens (observed
/// with `strace` on the published binary; docs/oauth.md). Codex waits for
/// the lock without a limit; we wait at most 10 s. A `flock` is released by
/// the kernel when its holder exits, so it is never stale.
const AUTH_LOCK: LockTimings =
    LockTimings { stale_ms: 0, update_ms: 0, max_wait_ms: 10 * SECOND, min_backoff_ms: 50, max_backoff_ms: SECOND };

/// Codex keeps no expiry of its own (it reads the token's `exp`), and
/// stamps `last_refresh` with `now`.
fn merge(
    text: &str,
    origin: &str,
    renewed: &NewTokens<'_>,
    _layout: Layout,
    now: Millis,
) -> Result<String, WritebackError> {
    let tokens = NewTokens { expires_ms: None, ..*renewed };
    crate::writeback::merge_codex_auth(text, origin, &tokens, now)
}

/// Where `config.toml` (`origin`) puts the login of the Codex folder `dir`
/// (`shown`, as messages write it).
fn placement(bytes: &[u8], origin: &str, dir: &str, shown: &str) -> Placed {
    let (setting, problem) = codex::store_setting(bytes, origin);
    let value = match setting.store {
        Store::File => return Placed::File(problem),
        Store::Keyring => "keyring",
        Store::Auto => "auto",
        Store::Ephemeral => "ephemeral",
    };
    let keyring = match setting.keyring {
        Keyring::Direct => {
            format!("the system keyring (service \"Codex Auth\", account \"{}\")", codex::keyring_account(dir))
        }
        Keyring::Secrets => {
            format!("an encrypted file under {shown}/secrets/ whose passphrase is in the system keyring")
        }
    };
    let said = format!("as {} = \"{value}\" in {origin} says", codex::STORE_KEY);
    let message = match setting.store {
        Store::Auto => format!(
            "Codex CLI keeps its login in {keyring} when it can, {said}, and there is no {shown}/auth.json to \
             fall back on: this host cannot read the keyring"
        ),
        Store::Ephemeral => {
            format!("Codex CLI keeps its login in its own memory only, {said}: this host cannot read it")
        }
        _ => format!("Codex CLI keeps its login in {keyring}, {said}: this host cannot read it"),
    };
    let hint = format!(
        "To share Codex's login with the gateway, set {} = \"file\" in {origin} and run `codex login` on the \
         gateway host: Codex then keeps it in {shown}/auth.json.",
        codex::STORE_KEY
    );
    let elsewhere = Elsewhere { provider: codex::PROVIDER, setting: codex::STORE_KEY, message, hint };
    match setting.store {
        Store::Auto => Placed::FileElse(elsewhere),
        _ => Placed::Elsewhere(elsewhere),
    }
}

fn read(bytes: &[u8], origin: &str, mtime_ms: Option<f64>, now: Millis) -> SourceRead {
    match codex::read(bytes, origin, mtime_ms, now) {
        CodexRead::Login(l, diagnostics) => SourceRead::Login(l, diagnostics),
        CodexRead::NoLogin(d) => SourceRead::NoLogin(d),
        CodexRead::Broken(d) => SourceRead::Broken(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::diag::Severity;
    use crate::flow::script::{CONFIG, Host, NOW, env, hints_in};
    use crate::flow::{DoctorCommand, DoctorRequest, Event, Flow, ListCommand, StatusCommand, StatusRequest};

    #[test]
    fn its_file_follows_codex_home() {
        let env = crate::env::Env::new("/h");
        assert_eq!(SOURCE.file(&env), "/h/.codex/auth.json");
        assert_eq!(SOURCE.file(&env.with_var("CODEX_HOME", "/codex")), "/codex/auth.json");
    }

    /// A Codex login, its access token good for ten days.
    const AUTH_JSON: &str = r#"{"tokens":{"access_token":"eyJhbGciOiJub25lIn0.eyJleHAiOjE3NjgwODk2MDB9.FAKE","refresh_token":"rt_FAKE","account_id":"acct"}}"#;

    /// A host whose models use Codex's provider, with Codex's `config.toml`
    /// (if any) and `auth.json` (if any).
    fn host(config_toml: Option<&str>, auth_json: bool) -> Host {
        let mut host = Host::default();
        host.files
            .insert(CONFIG.into(), r#"{"agents":{"defaults":{"model":{"primary":"openai-codex/gpt-5.2"}}}}"#.into());
        if let Some(text) = config_toml {
            host.files.insert("/h/.codex/config.toml".into(), text.into());
        }
        if auth_json {
            host.files.insert("/h/.codex/auth.json".into(), AUTH_JSON.into());
        }
        host
    }

    fn printed(host: &mut Host, mut flow: impl Flow) -> String {
        let (done, lines) = host.run(&mut flow);
        let mut text: Vec<String> = lines.iter().map(|l| l.text.clone()).collect();
        text.extend(done.lines().iter().map(|l| l.text.clone()));
        text.join("\n")
    }

    /// What a run said, as typed events: those emitted, then its end's.
    fn events(host: &mut Host, mut flow: impl Flow) -> Vec<Event> {
        let (done, _) = host.run(&mut flow);
        host.emitted.iter().cloned().chain(done.events).collect()
    }

    /// The diagnostics at `severity` among `events`, as `file: field:
    /// message` (the renderer adds the label).
    fn diagnostics(events: &[Event], severity: Severity) -> Vec<String> {
        let of = |e: &Event| match e {
            Event::Diagnostic(d) if d.severity == severity => Some(d.to_string()),
            _ => None,
        };
        events.iter().filter_map(of).collect()
    }

    fn bare_status() -> StatusCommand {
        StatusCommand::new(StatusRequest::bare(false, false, None, false), &env(), NOW)
    }

    fn status(host: &mut Host) -> String {
        printed(host, bare_status())
    }

    const KEYRING: &str = "Codex CLI keeps its login in the system keyring (service \"Codex Auth\", account \"cli|";
    const TO_FILE: &str = "set cli_auth_credentials_store = \"file\" in ~/.codex/config.toml and run `codex login`";

    /// Codex 0.171's `cli_auth_credentials_store = "keyring"`: status, the
    /// listing and doctor say where the login is, that this host cannot
    /// read it and how to make Codex keep a file, instead of "missing".
    #[test]
    fn a_login_in_the_keyring_is_named_where_it_is_in_status_list_and_doctor() {
        let toml = "cli_auth_credentials_store = \"keyring\"\n";
        let notes = diagnostics(&events(&mut host(Some(toml), false), bare_status()), Severity::Info);
        let note = format!("~/.codex/config.toml: cli_auth_credentials_store: {KEYRING}");
        assert!(notes.iter().any(|n| n.starts_with(&note)), "{notes:?}");
        let shown = status(&mut host(Some(toml), false));
        assert!(shown.contains(TO_FILE), "{shown}");
        let missing = shown.lines().find(|l| l.starts_with("- openai-codex ")).expect("the missing provider");
        assert!(missing.contains(KEYRING) && missing.contains(TO_FILE), "{missing}");
        let account = format!("cli|{}", &codex::keyring_account("/h/.codex")[4..]);
        assert!(shown.contains(&account), "{shown}");

        let listed = printed(&mut host(Some(toml), false), ListCommand::new(&env(), None, None, false, NOW));
        assert!(listed.contains(KEYRING) && listed.contains(TO_FILE), "{listed}");

        let request = DoctorRequest { non_interactive: true, ..DoctorRequest::default() };
        let doctor = printed(&mut host(Some(toml), false), DoctorCommand::new(request, &env(), NOW));
        let missing = doctor.lines().find(|l| l.starts_with("- openai-codex: ")).expect("the missing provider");
        assert!(missing.contains(KEYRING) && missing.contains(TO_FILE), "{doctor}");
    }

    #[test]
    fn sync_enable_says_where_the_login_is_instead_of_waiting_for_one() {
        let mut h = host(Some("cli_auth_credentials_store = \"keyring\""), false);
        let flow = crate::flow::SyncCommand::enable(&env(), None, "codex-cli", NOW).expect("a source");
        let said = events(&mut h, flow);
        let shown: Vec<String> = said.iter().flat_map(Event::lines).map(|l| l.text).collect();
        let keyring = format!("No login to sync for openai-codex:codex-cli: {KEYRING}");
        assert!(shown.iter().any(|l| l.contains(&keyring)), "{shown:?}");
        let to_file = format!("To share Codex's login with the gateway, {TO_FILE}");
        assert!(hints_in(&said).iter().any(|h| h.starts_with(&to_file)), "{said:?}");
    }

    #[test]
    fn each_store_setting_is_said_as_codex_keeps_it() {
        let cases = [
            ("[features]\nsecret_auth_storage = true\n", "keyring", "in an encrypted file under ~/.codex/secrets/"),
            ("", "ephemeral", "in its own memory only"),
            ("", "auto", "when it can, as cli_auth_credentials_store = \"auto\""),
        ];
        for (extra, value, says) in cases {
            let toml = format!("cli_auth_credentials_store = \"{value}\"\n{extra}");
            let shown = status(&mut host(Some(&toml), false));
            assert!(shown.contains(says) && shown.contains(TO_FILE), "{value}: {shown}");
        }
    }

    #[test]
    fn auto_falls_back_on_the_file_and_keyring_never_reads_it() {
        let mut auto = host(Some("cli_auth_credentials_store = \"auto\""), true);
        let shown = status(&mut auto);
        assert!(!shown.contains("Codex CLI keeps its login"), "{shown}");
        assert!(auto.store()["profiles"].get(codex::PROFILE_ID).is_some(), "synced from the file");

        let mut keyring = host(Some("cli_auth_credentials_store = \"keyring\""), true);
        let shown = status(&mut keyring);
        assert!(shown.contains(KEYRING), "{shown}");
        assert!(!keyring.files.contains_key(&crate::flow::script::store_path("main")), "nothing synced: {shown}");
    }

    /// Codex's `auth.lock` (a `flock`) is taken after the store's lock and
    /// held until its `auth.json` has the new tokens, so a Codex refresh
    /// committing at the same time waits, then finds them.
    #[test]
    fn a_refresh_holds_codex_s_auth_lock_until_auth_json_is_written() {
        use crate::flow::{LockKind, LockRequest, RefreshCommand, Selection};
        let expired = r#"{"tokens":{"access_token":"eyJhbGciOiJub25lIn0.eyJleHAiOjE3NjcyMjU1MDB9.FAKE","refresh_token":"rt_FAKE_OLD"}}"#;
        let mut host = Host::default()
            .reply(200, r#"{"access_token":"at-FAKE-NEW","refresh_token":"rt-FAKE-NEW","expires_in":864000}"#);
        host.files.insert("/h/.codex/auth.json".into(), expired.into());
        let mut flow = RefreshCommand::new(Selection::Profile(codex::PROFILE_ID.into()), false, None, &env(), NOW);
        let (done, lines) = host.run(&mut flow);
        assert_eq!(done.exit, crate::flow::Exit::Ok, "{done:?} {lines:?}");
        let lock = LockRequest {
            path: "/h/.codex/auth.lock".into(),
            kind: LockKind::File { name: "Codex CLI's lock" },
            timings: crate::flow::LockTimings::of(AUTH_LOCK),
        };
        assert_eq!(host.locks.get(1), Some(&lock), "{:?}", host.locks);
        let taken = host.position("lock /h/.codex/auth.lock");
        let sent = host.position("send https://auth.openai.com/oauth/token");
        let written = host.position("back /h/.codex/auth.json");
        let released = host.position("unlock /h/.codex/auth.lock");
        assert!(taken < sent && sent < written && written < released, "{:?}", host.asked);
        assert!(host.files["/h/.codex/auth.json"].contains("rt-FAKE-NEW"));
        // Busy for the whole wait: nothing sent, Codex's file untouched.
        let mut busy = Host::default().reply(200, "{}");
        busy.files.insert("/h/.codex/auth.json".into(), expired.into());
        busy.busy.insert("/h/.codex/auth.lock".into());
        let mut flow = RefreshCommand::new(Selection::Profile(codex::PROFILE_ID.into()), false, None, &env(), NOW);
        let (done, lines) = busy.run(&mut flow);
        assert_ne!(done.exit, crate::flow::Exit::Ok);
        assert!(busy.posts.is_empty() && busy.files["/h/.codex/auth.json"] == expired, "{lines:?}");
        let said: Vec<String> = lines.iter().chain(done.lines().iter()).map(|l| l.text.clone()).collect();
        assert!(said.iter().any(|l| l.contains("Codex CLI is holding its credentials lock")), "{said:?}");
    }

    #[test]
    fn a_file_store_or_a_broken_config_reads_the_file_as_before() {
        for toml in [None, Some("cli_auth_credentials_store = \"file\""), Some("model = \"o3\"")] {
            let mut h = host(toml, true);
            let shown = status(&mut h);
            assert!(!shown.contains("Codex CLI keeps its login"), "{toml:?}: {shown}");
            assert!(h.store()["profiles"].get(codex::PROFILE_ID).is_some(), "{toml:?}");
        }
        let mut broken = host(Some("cli_auth_credentials_store = [1"), true);
        let warnings = diagnostics(&events(&mut broken, bare_status()), Severity::Warning);
        let invalid = "~/.codex/config.toml: the top level: is not valid TOML";
        assert!(warnings.iter().any(|w| w.starts_with(invalid)), "{warnings:?}");
        assert!(broken.store()["profiles"].get(codex::PROFILE_ID).is_some(), "the file still read");
    }
}
