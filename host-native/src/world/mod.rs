//! Adapters to the real world: files, locks, the macOS Keychain.
//!
//! Everything here performs I/O on behalf of the pure core and hands back
//! plain values (bytes, "absent", "locked") the core's snapshot understands.
//! - [`fsio`]: read a file as absent / present / unreadable; write one
//!   atomically with private modes; permission checks for `doctor`.
//! - [`lock`]: the proper-lockfile-compatible lock shared with a Node
//!   gateway and Claude Code.
//! - [`keychain`]: Claude Code's item through `/usr/bin/security`.
//! - [`secrets`]: SecretRef files and resolvers, reported as facts.
//! - [`terminal`]: a hidden prompt that restores the echo however it ends.

pub mod callback;
pub mod fsio;
pub mod keychain;
pub mod lock;
pub mod process;
pub mod secrets;
pub mod terminal;
