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

// The modules by layer, from the ground floor up; each folder of core/src
// is a layer (docs/architecture.md, "Layers"; core/tests/layers.rs holds
// the order). Module paths stay flat: `crate::health`, not
// `crate::rules::health`.

// values: time, secrets, text safety, what the host reports.
#[path = "values/defaults.rs"]
pub mod defaults;
#[path = "values/diag.rs"]
mod diag;
#[path = "values/duration.rs"]
mod duration;
#[path = "values/env.rs"]
mod env;
#[path = "values/escape.rs"]
mod escape;
#[path = "values/http/mod.rs"]
mod http;
#[path = "values/io.rs"]
mod io;
#[path = "values/lock_wait.rs"]
mod lock_wait;
#[path = "values/secret.rs"]
mod secret;
#[path = "values/time.rs"]
mod time;
#[path = "values/world.rs"]
mod world;
#[path = "values/writeback.rs"]
mod writeback;

// formats: one file shape each.
#[path = "formats/dotenv.rs"]
mod dotenv;
#[path = "formats/secret_ref.rs"]
mod secret_ref;
#[path = "formats/sources/mod.rs"]
mod sources;
#[path = "formats/store/mod.rs"]
mod store;

// registries: every provider and login source as data.
#[path = "registries/logins/mod.rs"]
mod logins;
#[path = "registries/provider.rs"]
mod provider;
#[path = "registries/providers/mod.rs"]
mod providers;

// settings: what the operator configured, where files are.
#[path = "settings/config.rs"]
mod config;
#[path = "settings/paths.rs"]
mod paths;
#[path = "settings/secrets.rs"]
mod secrets;

// rules: every decision, as pure functions.
#[path = "rules/env_auth.rs"]
mod env_auth;
#[path = "rules/error.rs"]
mod error;
#[path = "rules/health.rs"]
mod health;
#[path = "rules/load.rs"]
mod load;
#[path = "rules/login.rs"]
mod login;
#[path = "rules/order.rs"]
mod order;
#[path = "rules/paste.rs"]
mod paste;
#[path = "rules/permissions.rs"]
mod permissions;
#[path = "rules/probe.rs"]
mod probe;
#[path = "rules/refresh/mod.rs"]
mod refresh;
#[path = "rules/rejection.rs"]
mod rejection;
#[path = "rules/remaining.rs"]
mod remaining;
#[path = "rules/remedy.rs"]
mod remedy;
#[path = "rules/removal.rs"]
mod removal;
#[path = "rules/repair.rs"]
mod repair;
#[path = "rules/resolve.rs"]
mod resolve;
#[path = "rules/secret_refs.rs"]
mod secret_refs;
#[path = "rules/setup_token.rs"]
mod setup_token;
#[path = "rules/sync.rs"]
mod sync;
#[path = "rules/usage.rs"]
mod usage;

// presentation: the documents and text the rules are shown as.
#[path = "presentation/doctor.rs"]
mod doctor;
#[path = "presentation/findings.rs"]
mod findings;
#[path = "presentation/handout.rs"]
mod handout;
#[path = "presentation/listing.rs"]
mod listing;
#[path = "presentation/report/mod.rs"]
mod report;
#[path = "presentation/view/mod.rs"]
mod view;

// flows: every command as a state machine (core/src/flow).
pub mod flow;

// doors: the JSON envelope (wasm, sandbox), the manual's tables, and the
// loopback panel's rules.
#[path = "doors/envelope/mod.rs"]
pub mod envelope;
#[path = "doors/manual.rs"]
pub mod manual;
#[path = "doors/panel/mod.rs"]
pub mod panel;

// The one error root, for a host or gateway that holds more than one kind.
pub use error::Error;

// What a host hands in.
pub use env::Env;
pub use io::{ExitStatus, IoFailure, IoKind, IoStep};
pub use paths::folders_to_check;
pub use time::{Instant, Millis};
pub use world::{FileRead, KeychainItem, MapWorld, World};

// What it carries without looking inside, and how text reaches a terminal.
pub use escape::{escape_control, terminal_safe_json};
pub use secret::{Secret, mask};

// The effects it carries out: HTTP for a refresh, a lock's wait notice, the
// file modes of the files it writes, the size limits of what it reads.
pub use config::backup_name;
pub use http::Exchange;
pub use lock_wait::{LockOwner, LockWait, is_own_record, owner_record, waiting_notice, waiting_notice_file};
pub use logins::names as login_source_names;
pub use paste::MAX_PASTE_INPUT_BYTES;
pub use permissions::{PRIVATE_DIR_MODE, PRIVATE_FILE_MODE};
pub use refresh::{
    HttpRequest, HttpResponse, Method, RefreshError, RefreshProvider, TransportFailure, transport_error,
};
pub use sources::claude::encode_hex;
pub use store::MAX_FILE_BYTES;

// What a command line parses before it builds a flow's request.
pub use duration::{DurationFlag, DurationUnit, parse_duration};
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
    pub use crate::secret_ref::{RefSource, SecretRef};
    pub use crate::secret_refs::{RefCheck, RefStates};
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
