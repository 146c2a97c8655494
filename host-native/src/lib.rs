//! The `clawdbot` CLI as a library, so integration tests reach its parts.

pub mod cli;
pub mod host;
pub mod http;
pub mod interpreter;
pub mod panel;
pub mod persist;
pub mod world;
