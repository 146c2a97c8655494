//! The auth core as a WebAssembly module with no imports.
