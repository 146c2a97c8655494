//! Every rule of Clawdbot's model authentication, as pure functions.
//!
//! Nothing in this crate touches the world: hosts hand in file contents
//! (through [`world::World`]), the environment and `now`, and get back
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

pub mod config;
pub mod defaults;
pub mod diag;
pub mod doctor;
pub mod dotenv;
pub mod duration;
pub mod env_auth;
pub mod envelope;
pub mod escape;
pub mod findings;
pub mod flow;
pub mod handout;
pub mod health;
pub mod listing;
pub mod load;
pub mod lock_wait;
pub mod logins;
pub mod order;
pub mod paste;
pub mod paths;
pub mod permissions;
pub mod provider;
pub mod providers;
pub mod refresh;
pub mod rejection;
pub mod remaining;
pub mod remedy;
pub mod removal;
pub mod repair;
pub mod report;
pub mod resolve;
pub mod secret;
pub mod setup_token;
pub mod sources;
pub mod store;
pub mod sync;
pub mod time;
pub mod usage;
pub mod view;
pub mod world;
pub mod writeback;
