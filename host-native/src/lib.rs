//! The `clawdbot` CLI as a library, so integration tests reach its parts.

pub mod world;
