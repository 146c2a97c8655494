//! Adapters to the real world: files, locks, the macOS Keychain.
