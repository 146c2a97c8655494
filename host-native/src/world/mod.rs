//! Adapters to the real world: files, locks, the macOS Keychain.
//!
//! Everything here performs I/O on behalf of the pure core and hands back
//! plain values (bytes, "absent", "locked") the core's snapshot understands.

pub mod fsio;
pub mod keychain;
pub mod lock;
