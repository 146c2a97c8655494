//! Every default a host can override, written once.
//!
//! The CLI's flag defaults, the envelope (and through its view, the admin
//! panel) and the reports all read these constants, so changing the warn
//! window or a lock timing is one edit here instead of one per host.

use crate::time::{MINUTE, Millis, SECOND};

/// How soon an expiry counts as "expiring", as `--warn-within` spells it.
/// A test reads it with the flag's own parser and finds [`WARN_AFTER_MS`],
/// so the flag's default and the number the rules use cannot drift apart.
pub const WARN_WITHIN: &str = "24h";

/// [`WARN_WITHIN`] in milliseconds: the reference's `DEFAULT_OAUTH_WARN_MS`.
pub const WARN_AFTER_MS: Millis = 24 * crate::time::HOUR;

/// How long before its expiry a login is refreshed: Claude Code's five
/// minutes, so a request never leaves with a token that dies on the way.
pub const REFRESH_MARGIN_MS: Millis = 5 * MINUTE;

/// How soon the end of a sign-in (the date its refresh token stops working
/// for good, whatever refreshing does) counts as "expiring": Claude Code
/// warns during the last 3 days, and so do we (or within the warn window,
/// when that is longer).
pub const SIGN_IN_WARN_MS: Millis = 3 * crate::time::DAY;

/// The port `clawdbot panel` listens on unless `--port` says another (the
/// gateway's own dashboard is on 18789).
pub const PANEL_PORT: u16 = 18790;

/// How long the link `clawdbot panel` prints may be used, once: ten
/// minutes, Jupyter's order of magnitude for a token typed or pasted by hand.
pub const PANEL_TOKEN_TTL_MS: Millis = 10 * MINUTE;

/// The panel's token and session ids: 32 random bytes each.
pub const PANEL_TOKEN_BYTES: usize = 32;

/// How often the panel's page asks for a fresh view (and the envelope's
/// page re-reads its files).
pub const PANEL_REFRESH_MS: Millis = MINUTE;

/// How a host waits for one of the cross-process locks (a folder whose
/// mtime the holder keeps fresh), in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockTimings {
    /// A lock whose mtime is older than this was left by a crashed holder.
    pub stale_ms: Millis,
    /// How often the holder refreshes the lock's mtime (`stale / 2`).
    pub update_ms: Millis,
    /// Give up after waiting this long in total.
    pub max_wait_ms: Millis,
    /// The first retry delay; each next one doubles, randomised ×1..2.
    pub min_backoff_ms: Millis,
    /// Retry delays never exceed this.
    pub max_backoff_ms: Millis,
}

/// Our own store's lock: the reference's `AUTH_STORE_LOCK_OPTIONS` (stale
/// 30 s, backoff 100 ms ×2 up to 10 s). The reference's ten retries wait
/// about 43-85 s; 45 s keeps a CLI user's wait bounded while outlasting any
/// sane holder.
pub const STORE_LOCK: LockTimings = LockTimings {
    stale_ms: 30 * SECOND,
    update_ms: 15 * SECOND,
    max_wait_ms: 45 * SECOND,
    min_backoff_ms: 100,
    max_backoff_ms: 10 * SECOND,
};

/// proper-lockfile's defaults (stale 10 s, touched every 5 s), for a lock
/// of a tool that keeps them. A login source declares its own locks'
/// timings (Claude Code's, stale after 60 s and 15 s, are in its file).
pub const PROPER_LOCKFILE_LOCK: LockTimings = LockTimings {
    stale_ms: 10 * SECOND,
    update_ms: 5 * SECOND,
    max_wait_ms: 10 * SECOND,
    min_backoff_ms: 100,
    max_backoff_ms: 10 * SECOND,
};

/// The defaults as one JSON-ready value, for hosts that show them (the
/// envelope's view).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Defaults {
    /// [`WARN_WITHIN`]: the `--warn-within` default, as typed.
    pub warn_within: &'static str,
    /// [`WARN_AFTER_MS`]: the same window in ms.
    pub warn_after_ms: Millis,
    /// [`REFRESH_MARGIN_MS`]: how long before expiry a login is refreshed.
    pub refresh_margin_ms: Millis,
    /// [`STORE_LOCK`]: the timings of the store's lock.
    pub store_lock: LockTimings,
    /// The timings of Claude Code's refresh lock (its login source's), under
    /// the name the view has always given them; [`PROPER_LOCKFILE_LOCK`]
    /// in [`ALL`], which knows no login source.
    #[serde(rename = "claudeCodeLock")]
    pub shared_lock: LockTimings,
}

/// Every default of this module.
pub const ALL: Defaults = Defaults {
    warn_within: WARN_WITHIN,
    warn_after_ms: WARN_AFTER_MS,
    refresh_margin_ms: REFRESH_MARGIN_MS,
    store_lock: STORE_LOCK,
    shared_lock: PROPER_LOCKFILE_LOCK,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::DurationFlag;

    #[test]
    fn the_warn_window_text_means_what_the_cli_parser_reads() {
        assert_eq!(WARN_AFTER_MS, 86_400_000, "the reference's 24 h");
        assert_eq!(DurationFlag::WarnWithin.parse(WARN_WITHIN), Ok(WARN_AFTER_MS));
    }

    /// The spec's numbers (§2.3, A17), spelled out: proper-lockfile's
    /// backoff of 100 ms to 10 s, the store's stale age of 30 s refreshed
    /// every 15 s, and Claude Code's 10 s.
    #[test]
    fn the_lock_timings_are_the_references() {
        let (store, claude) = (STORE_LOCK, PROPER_LOCKFILE_LOCK);
        assert_eq!((store.stale_ms, store.update_ms, store.max_wait_ms), (30_000, 15_000, 45_000));
        assert_eq!((claude.stale_ms, claude.update_ms, claude.max_wait_ms), (10_000, 5_000, 10_000));
        for lock in [store, claude] {
            assert_eq!((lock.min_backoff_ms, lock.max_backoff_ms), (100, 10_000));
        }
    }

    #[test]
    fn lock_holders_refresh_well_within_the_stale_age() {
        for lock in [STORE_LOCK, PROPER_LOCKFILE_LOCK] {
            assert_eq!(lock.update_ms * 2, lock.stale_ms);
            assert!(lock.max_wait_ms >= lock.stale_ms, "a waiter outlasts a crashed holder");
            assert!(lock.min_backoff_ms <= lock.max_backoff_ms);
        }
    }
}
