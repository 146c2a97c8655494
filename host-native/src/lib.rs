//! The `clawdbot` CLI as a library, so integration tests reach its parts.

pub mod cli;
pub mod host;
pub mod http;
pub mod persist;
pub mod refresh;
pub mod world;
