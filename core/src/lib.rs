//! Every rule of Clawdbot's model authentication, as pure functions.
//!
//! Nothing in this crate touches the world: hosts hand in file contents
//! (through [`world::World`]), the environment and `now`, and get back
//! values: a report to print, a store to write, a request to send. The same
//! code therefore runs in the `clawdbot` CLI, in a browser and in a sandboxed
//! WebAssembly module, and every test can pin the clock.

#![forbid(unsafe_code)]

pub mod diag;
pub mod escape;
pub mod provider;
pub mod secret;
pub mod store;
pub mod time;
pub mod config;
pub mod envelope;
