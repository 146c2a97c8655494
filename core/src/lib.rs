//! Every rule of Clawdbot's model authentication, as pure functions.
//!
//! Nothing in this crate touches the world: hosts hand in file contents
//! (through [`World`]), the environment and `now`, and get back
//! values: a report to print, a store to write, a request to send. The same
//! code therefore runs in the `clawdbot` CLI, in a browser and in a sandboxed
//! WebAssembly module, and every test can pin the clock.
//!
//! Commands that lock, re-read, send or write ([`flow`]) are state machines
//! a host drives: it carries out each effect they ask for (read these
//! files, take this lock, send this request, write this text) and feeds
//! back what happened, deciding nothing itself.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// No input may panic the core, so its code never unwraps: an impossible case
// is made unrepresentable or handled. Tests may unwrap, since a panic there
// is a failure with a line number.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

// The front door. Hosts need three things: the commands (`flow`), what they
// hand in (a `World`, an `Env`, `now`), and the few values they carry out
// (HTTP, locks, the Keychain item, file modes). Everything else is private
// and reached through the flows; `rules` opens the pure rules to the
// conformance suite, the benches and the fuzzers, which test them one by one.

pub mod defaults;
pub mod envelope;
pub mod flow;
pub mod manual;

mod config;
mod diag;
mod doctor;
mod dotenv;
mod duration;
mod env;
mod env_auth;
mod error;
mod escape;
mod findings;
mod handout;
mod health;
mod http;
mod io;
mod listing;
mod load;
mod lock_wait;
mod logins;
mod order;
mod paste;
mod paths;
mod permissions;
mod provider;
mod providers;
mod refresh;
mod rejection;
mod remaining;
mod remedy;
mod removal;
mod repair;
mod report;
mod resolve;
mod secret;
mod setup_token;
mod sources;
mod store;
mod sync;
mod time;
mod usage;
mod view;
mod world;
mod writeback;

// The one error root, for a host or gateway that holds more than one kind.
pub use error::Error;

// What a host hands in.
pub use env::Env;
pub use io::{ExitStatus, IoFailure, IoKind, IoStep};
pub use time::{Instant, Millis};
pub use world::{FileRead, KeychainItem, MapWorld, World};

// What it carries without looking inside, and how text reaches a terminal.
pub use escape::{escape_control, terminal_safe_json};
pub use secret::{Secret, mask};

// The effects it carries out: HTTP for a refresh, a lock's wait notice, the
// file modes of the files it writes, the size limits of what it reads.
pub use config::backup_name;
pub use lock_wait::{LockWait, waiting_notice};
pub use logins::names as login_source_names;
pub use paste::MAX_PASTE_INPUT_BYTES;
pub use permissions::{PRIVATE_DIR_MODE, PRIVATE_FILE_MODE};
pub use refresh::{
    HttpRequest, HttpResponse, Method, RefreshError, RefreshProvider, TransportFailure, transport_error,
};
pub use sources::claude::encode_hex;
pub use store::MAX_FILE_BYTES;

// What a command line parses before it builds a flow's request.
pub use duration::{DurationUnit, parse_duration};
pub use handout::KeyForm;
pub use paste::PASTED_TOKEN_NAME;
pub use provider::ProviderId;
pub use provider::normalize as normalize_provider;
pub use remaining::format_remaining_short;

/// The rules one by one, as pure functions of their inputs.
///
/// For the conformance suite (which pins each rule against the reference's
/// vectors), the benches (which time each stage of a load), the fuzzers,
/// and a gateway that embeds the core: it records each request's outcome
/// (`mark_used`, `mark_cooldown`, `classify_failure`...) and names profiles
/// as the reference does. A host of the CLI's commands never needs these:
/// every command is a [`flow`].
pub mod rules {
    pub use crate::config::{Config, parse_config};
    pub use crate::findings::check as doctor_checks;
    pub use crate::health::{HealthStatus, profile_health, summarize};
    pub use crate::load::{Loaded, load};
    pub use crate::order::resolve_order;
    pub use crate::provider::same as same_provider;
    pub use crate::rejection::record_rejection;
    pub use crate::repair::suggest_oauth_profile_id_for_legacy_default;
    pub use crate::report::{
        CheckCode, ReportOptions, TextStyle, Verdict, build as build_report, check_code, render_text,
    };
    pub use crate::setup_token::validate_setup_token;
    pub use crate::setup_token::{profile_id_for, profile_name_slug};
    pub use crate::store::{
        ApiKey, AuthStore, Credential, CredentialType, OAuth, Profile, Token, UsageStats, parse_store, write_store,
    };
    pub use crate::sync::sync_external;
    pub use crate::time::{Expiry, ExpiryKind};
    pub use crate::usage::{
        CooldownPolicy, FailureReason, billing_disable_ms, classify_failure, clear_cooldown, cooldown_ms,
        mark_cooldown, mark_good, mark_used,
    };

    /// The readers of the files other tools own, one module each.
    pub use crate::sources::{ExternalLogin, claude, codex, jwt, legacy};
}
