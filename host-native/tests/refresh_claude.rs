//! Refreshing the login shared with Claude Code: its locks are honoured as
//! Claude Code 2.1.332 takes them (`.oauth_refresh.lock` then the legacy
//! `<dir>.lock`, stale after 60 s, touched every 5 s while we wait on the
//! network; `.storage-write.lock` around the write-back), a live one waited
//! for, a stale one taken over, and the new tokens go back into its
//! credentials file with every other key kept.

mod refresh_common;

use refresh_common::*;
use serde_json::{Value, json};
use std::fs::{File, FileTimes};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

const PROFILE: &str = "anthropic:claude-cli";

fn claude_home(expires_at: i64) -> Home {
    let home = Home::new();
    let creds = json!({
        "claudeAiOauth": {
            "accessToken": OLD_ACCESS,
            "refreshToken": OLD_REFRESH,
            "expiresAt": expires_at,
            "scopes": ["user:inference", "user:profile"],
            "subscriptionType": "max",
            "rateLimitTier": "default_claude_max_5x",
            "someFutureField": {"kept": true}
        },
        "mcpOAuth": {"example-server|0123456789abcdef": {
            "serverName": "example-server", "serverUrl": "https://mcp.example.invalid/mcp",
            "accessToken": "", "expiresAt": 0, "clientId": "fake-client"
        }},
        "trustedDeviceToken": "tdt-FAKE"
    });
    home.write(&home.claude_credentials(), &serde_json::to_string_pretty(&creds).expect("json"));
    std::fs::set_permissions(home.claude_credentials(), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    home
}

fn refresh(home: &Home, server: &Server) -> std::process::Output {
    run(&mut home.clawdbot(server), &["models", "auth", "refresh", "--profile", PROFILE])
}

fn claude_creds(home: &Home) -> Value {
    serde_json::from_str(&std::fs::read_to_string(home.claude_credentials()).expect("read")).expect("json")
}

/// `<realpath(~/.claude)>.lock`, as Claude Code names its lock.
fn claude_lock(home: &Home) -> std::path::PathBuf {
    let real = std::fs::canonicalize(home.claude_dir()).expect("realpath");
    let mut name = real.into_os_string();
    name.push(".lock");
    name.into()
}

#[test]
fn write_back_keeps_mcp_oauth_and_unknown_fields() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = claude_home(NOW - 60_000);
    let before = claude_creds(&home);
    let out = refresh(&home, &server);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("refreshed"), "{}", stdout(&out));
    assert_eq!(server.posts(), 1);

    let after = claude_creds(&home);
    let mut want = before.clone();
    want["claudeAiOauth"]["accessToken"] = json!(NEW_ACCESS);
    want["claudeAiOauth"]["refreshToken"] = json!(NEW_REFRESH);
    want["claudeAiOauth"]["expiresAt"] = json!(STORED_EXPIRES);
    assert_eq!(after, want, "only the three token fields change");
    let mode = std::fs::metadata(home.claude_credentials()).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let store = home.store();
    assert_eq!(store["profiles"][PROFILE]["access"], NEW_ACCESS);
    assert_eq!(store["profiles"][PROFILE]["refresh"], NEW_REFRESH);
    assert!(!claude_lock(&home).exists(), "Claude Code's lock released");

    // The next run sees the same login on both sides: nothing to sync, no POST.
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "token", "--provider", "anthropic"]);
    assert_eq!(stdout(&out).trim(), NEW_ACCESS, "{}", stderr(&out));
    assert!(!stderr(&out).contains("synced"), "{}", stderr(&out));
    assert_eq!(server.posts(), 1);
}

#[test]
fn a_login_claude_code_already_refreshed_is_adopted_without_a_request() {
    let server = Server::start(vec![Reply::tokens("sk-ant-oat01-WRONG-FAKE", None)]);
    let home = claude_home(NOW - 60_000);
    // Our store holds the expired login; Claude Code has since refreshed.
    run(&mut home.clawdbot(&server), &["models", "status"]);
    assert_eq!(home.store()["profiles"][PROFILE]["access"], OLD_ACCESS, "synced in, expired");
    let mut creds = claude_creds(&home);
    creds["claudeAiOauth"]["accessToken"] = json!(NEW_ACCESS);
    creds["claudeAiOauth"]["refreshToken"] = json!(NEW_REFRESH);
    creds["claudeAiOauth"]["expiresAt"] = json!(NOW + 8 * 3_600_000);
    home.write(&home.claude_credentials(), &creds.to_string());
    let out = run(&mut home.clawdbot(&server), &["models", "auth", "token", "--provider", "anthropic"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), NEW_ACCESS);
    assert_eq!(server.posts(), 0);
}

#[test]
fn a_held_claude_code_lock_is_waited_for() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = claude_home(NOW - 60_000);
    let lock = claude_lock(&home);
    std::fs::create_dir(&lock).expect("hold the lock");
    // The holder lets go a second later, noting how many requests were
    // made while it held the lock: none, if we waited for it.
    let releaser = {
        let (lock, server) = (lock.clone(), server.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1000));
            let posts_while_held = server.posts();
            std::fs::remove_dir(&lock).expect("release");
            posts_while_held
        })
    };
    let out = refresh(&home, &server);
    let posts_while_held = releaser.join().expect("releaser");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(posts_while_held, 0, "a request was sent while Claude Code held its lock");
    assert_eq!(server.posts(), 1);
    assert_eq!(claude_creds(&home)["claudeAiOauth"]["accessToken"], NEW_ACCESS);
}

#[test]
fn a_stale_claude_code_lock_is_taken_over() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = claude_home(NOW - 60_000);
    let lock = claude_lock(&home);
    std::fs::create_dir(&lock).expect("stale lock");
    // Older than Claude Code's 60 s: its holder is gone.
    let old = SystemTime::now() - Duration::from_secs(120);
    File::open(&lock).expect("open lock dir").set_times(FileTimes::new().set_modified(old)).expect("age it");
    let out = refresh(&home, &server);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(server.posts(), 1);
    assert_eq!(claude_creds(&home)["claudeAiOauth"]["accessToken"], NEW_ACCESS);
    assert!(!lock.exists(), "taken over, then released");
}

/// A lock folder held by someone else until `release` is called, and how
/// many requests the server had seen by then.
fn hold_until_released(lock: &Path, server: &Server, after: Duration) -> std::thread::JoinHandle<usize> {
    std::fs::create_dir(lock).expect("hold the lock");
    let (lock, server) = (lock.to_path_buf(), server.clone());
    std::thread::spawn(move || {
        std::thread::sleep(after);
        let posts_while_held = server.posts();
        std::fs::remove_dir(&lock).expect("release");
        posts_while_held
    })
}

/// Claude Code 2.1.332 takes `<dir>/.oauth_refresh.lock` first: while it
/// holds it, we send nothing.
#[test]
fn claude_codes_new_refresh_lock_is_waited_for() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = claude_home(NOW - 60_000);
    let holder =
        hold_until_released(&home.claude_dir().join(".oauth_refresh.lock"), &server, Duration::from_millis(1000));
    let out = refresh(&home, &server);
    let posts_while_held = holder.join().expect("holder");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(posts_while_held, 0, "a request was sent while Claude Code held .oauth_refresh.lock");
    assert_eq!(server.posts(), 1);
    assert_eq!(claude_creds(&home)["claudeAiOauth"]["accessToken"], NEW_ACCESS);
    for left in [".oauth_refresh.lock", ".oauth_refresh.lock.owner", ".storage-write.lock"] {
        assert!(!home.claude_dir().join(left).exists(), "{left} left behind");
    }
    assert!(!claude_lock(&home).exists());
}

/// A legacy lock 30 s old is a live Claude Code's (stale only after its
/// 60 s): waited for, never taken over as proper-lockfile's default 10 s
/// would have it.
#[test]
fn a_claude_code_lock_thirty_seconds_old_is_waited_for_not_taken_over() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = claude_home(NOW - 60_000);
    let lock = claude_lock(&home);
    let holder = hold_until_released(&lock, &server, Duration::from_millis(1500));
    let old = SystemTime::now() - Duration::from_secs(30);
    File::open(&lock).expect("open lock dir").set_times(FileTimes::new().set_modified(old)).expect("age it");
    let out = refresh(&home, &server);
    let posts_while_held = holder.join().expect("holder");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(posts_while_held, 0, "a 30 s old Claude Code lock was taken over");
    assert_eq!(server.posts(), 1);
}

/// While the token request is out, both of Claude Code's refresh locks
/// are ours, the owner record says so, and their mtimes keep moving (every
/// 5 s), so that no Claude Code takes them for a dead holder's.
#[test]
fn while_the_request_is_out_both_refresh_locks_are_held_owned_and_touched() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH)).delayed(Duration::from_secs(8))]);
    let home = claude_home(NOW - 60_000);
    let (new_lock, legacy) = (home.claude_dir().join(".oauth_refresh.lock"), claude_lock(&home));
    let owner = home.claude_dir().join(".oauth_refresh.lock.owner");
    let mut child = home
        .clawdbot(&server)
        .env("CLAWDBOT_HTTP_TIMEOUT_MS", "60000")
        .args(["models", "auth", "refresh", "--profile", PROFILE])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = std::time::Instant::now();
    while server.posts() == 0 {
        assert!(started.elapsed() < Duration::from_secs(120), "no request");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(new_lock.is_dir() && legacy.is_dir(), "both held while the request is out");
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let (first_new, first_legacy) = (mtime(&new_lock), mtime(&legacy));
    if cfg!(target_os = "linux") && std::fs::metadata(&new_lock).and_then(|m| m.created()).is_ok() {
        let record: Value =
            serde_json::from_str(&std::fs::read_to_string(&owner).expect("owner record")).expect("json");
        assert_eq!(record["pid"], child.id(), "{record}");
        assert!(record["legacyLockBirthtimeMs"].is_number(), "{record}");
    }
    // Touched while we wait: each mtime moves before the answer comes.
    let mut touched = (false, false);
    while child.try_wait().expect("wait").is_none() && !(touched.0 && touched.1) {
        assert!(started.elapsed() < Duration::from_secs(120), "hung");
        touched.0 |= mtime(&new_lock).is_some_and(|t| Some(t) != first_new);
        touched.1 |= mtime(&legacy).is_some_and(|t| Some(t) != first_legacy);
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(touched, (true, true), "both locks touched while the request was out");
    assert!(!new_lock.exists() && !legacy.exists() && !owner.exists(), "all let go");
}

/// Claude Code holds `.storage-write.lock` while it rewrites its file (an
/// MCP login, its own save): our write-back waits, then reads the file as
/// Claude Code left it, so its write and ours both survive. (Writing
/// without the lock, ours would land first and its write, made from what
/// it read before, would put the spent tokens back.)
#[test]
fn a_held_claude_code_write_lock_makes_the_write_back_wait_and_keeps_its_write() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = claude_home(NOW - 60_000);
    let write_lock = home.claude_dir().join(".storage-write.lock");
    std::fs::create_dir(&write_lock).expect("Claude Code takes its write lock");
    let claude_code = {
        let (server, path, write_lock) = (server.clone(), home.claude_credentials(), write_lock.clone());
        std::thread::spawn(move || {
            // It read its file when it took the lock...
            let mut creds: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
            let started = std::time::Instant::now();
            while server.posts() == 0 {
                assert!(started.elapsed() < Duration::from_secs(120), "no request");
                std::thread::sleep(Duration::from_millis(20));
            }
            // ...and writes it back, with a new MCP login, while our
            // refresh has its answer.
            std::thread::sleep(Duration::from_millis(800));
            creds["mcpOAuth"]["new-server|fedcba9876543210"] =
                json!({"serverName": "new-server", "accessToken": "mcp-FAKE"});
            std::fs::write(&path, serde_json::to_string_pretty(&creds).expect("json")).expect("write");
            std::fs::remove_dir(&write_lock).expect("release");
        })
    };
    let out = refresh(&home, &server);
    claude_code.join().expect("Claude Code");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let after = claude_creds(&home);
    assert_eq!(after["claudeAiOauth"]["accessToken"], NEW_ACCESS, "our write-back is there: {after}");
    assert_eq!(after["claudeAiOauth"]["refreshToken"], NEW_REFRESH, "{after}");
    assert_eq!(after["mcpOAuth"]["new-server|fedcba9876543210"]["accessToken"], "mcp-FAKE", "its write is there");
    assert!(after["mcpOAuth"]["example-server|0123456789abcdef"].is_object(), "{after}");
    assert!(!write_lock.exists());
}

#[test]
fn a_dead_claude_login_leaves_claude_code_untouched() {
    let server = Server::start(vec![Reply::json(400, json!({"error": "invalid_grant"}))]);
    let home = claude_home(NOW - 60_000);
    let before = std::fs::read_to_string(home.claude_credentials()).expect("read");
    let out = refresh(&home, &server);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("claude setup-token"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(home.claude_credentials()).expect("read"), before);
}

/// A fake `security`: `find-generic-password` prints `item`; `-i` saves
/// its stdin line (where the new secret must travel) and its argv.
fn fake_security(dir: &std::path::Path, item: &str) {
    let script = "#!/bin/sh\nhere=$(dirname \"$0\")\n\
        if [ \"$1\" = \"-i\" ]; then printf '%s\\n' \"$@\" > \"$here/argv\"; cat > \"$here/stdin\"; exit 0; fi\n\
        cat \"$here/item\"\n";
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(dir.join("item"), item).expect("item");
    let bin = dir.join("security");
    std::fs::write(&bin, script).expect("script");
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn unhex(hex: &str) -> String {
    let bytes: Vec<u8> =
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")).collect();
    String::from_utf8(bytes).expect("utf8")
}

#[test]
fn keychain_write_back_goes_through_stdin_as_compact_hex() {
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = Home::new();
    let item = json!({
        "claudeAiOauth": {"accessToken": OLD_ACCESS, "refreshToken": OLD_REFRESH, "expiresAt": NOW - 60_000, "subscriptionType": "max"},
        "mcpOAuth": {"s|0": {"serverName": "s", "accessToken": "", "expiresAt": 0}}
    });
    let bin_dir = home.path().join("fakebin");
    fake_security(&bin_dir, &item.to_string());
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = run(
        home.clawdbot(&server).env("CLAWDBOT_KEYCHAIN", "security").env("PATH", path).env("USER", "tester"),
        &["models", "auth", "refresh", "--profile", PROFILE],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let argv = std::fs::read_to_string(bin_dir.join("argv")).expect("security -i ran");
    assert_eq!(argv.trim(), "-i", "no secret in argv");
    let line = std::fs::read_to_string(bin_dir.join("stdin")).expect("stdin");
    assert!(line.starts_with("add-generic-password -U -a "), "{line}");
    assert!(line.contains("Claude Code-credentials"), "{line}");
    let hex = line.trim().rsplit(' ').next().expect("hex");
    let saved = unhex(hex);
    assert!(!saved.contains('\n'), "compact JSON");
    let saved: Value = serde_json::from_str(&saved).expect("json");
    let mut want = item.clone();
    want["claudeAiOauth"]["accessToken"] = json!(NEW_ACCESS);
    want["claudeAiOauth"]["refreshToken"] = json!(NEW_REFRESH);
    want["claudeAiOauth"]["expiresAt"] = json!(STORED_EXPIRES);
    assert_eq!(saved, want);
    assert!(!home.claude_credentials().exists(), "no file created next to the Keychain item");
}

#[test]
fn one_refresh_reads_the_keychain_item_once() {
    // Each `security find-generic-password` can show a prompt on macOS.
    let server = Server::start(vec![Reply::tokens(NEW_ACCESS, Some(NEW_REFRESH))]);
    let home = Home::new();
    let item =
        json!({"claudeAiOauth": {"accessToken": OLD_ACCESS, "refreshToken": OLD_REFRESH, "expiresAt": NOW - 60_000}});
    let bin_dir = home.path().join("fakebin");
    fake_security(&bin_dir, &item.to_string());
    // Count the reads: every call that is not `-i` appends a line.
    let script = "#!/bin/sh\nhere=$(dirname \"$0\")\n\
        if [ \"$1\" = \"-i\" ]; then cat > \"$here/stdin\"; exit 0; fi\n\
        echo read >> \"$here/reads\"; cat \"$here/item\"\n";
    std::fs::write(bin_dir.join("security"), script).expect("script");
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    for args in [
        &["models", "auth", "token", "--provider", "anthropic"][..],
        &["models", "auth", "refresh", "--profile", PROFILE, "--force"],
    ] {
        let _ = std::fs::remove_file(bin_dir.join("reads"));
        let out = run(
            home.clawdbot(&server).env("CLAWDBOT_KEYCHAIN", "security").env("PATH", &path).env("USER", "tester"),
            args,
        );
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        let reads = std::fs::read_to_string(bin_dir.join("reads")).expect("reads");
        assert_eq!(reads.lines().count(), 1, "{args:?}: one Keychain read per command");
    }
    assert_eq!(server.posts(), 2);
}
