//! The auth core for JavaScript.
