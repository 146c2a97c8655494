//! OAuth token refresh as data: the core says what to send, the host sends it.
//!
//! The protocol is sans-I/O, in the manner of quinn-proto and str0m:
//!
//! ```text
//! needs_refresh(&cred, now, window)?          host decides; `force` is its business (A81)
//! let mut plan = plan(id, &profile, now, &endpoints)?
//! loop {
//!     response = host.send(plan.request())    host: HTTP with timeouts, no redirects
//!     match apply(&mut plan, &profile, &response, now) {
//!         Refreshed(new) => { persist(new); break }   persist BEFORE use: tokens rotate
//!         Retry(_)       => continue,                 at most once (Anthropic form retry)
//!         Failed(err)    => { report(err, remedy::for_refresh(&err, id)); break }
//!     }
//! }
//! ```
//!
//! A failure of the HTTP call itself becomes a [`RefreshError`] through
//! [`transport_error`]. Nothing here reads the clock, the environment or the
//! network, so every branch above is tested with fixed times and canned
//! responses.

mod endpoints;
pub(crate) mod error;
mod failure;
mod plan;
pub(crate) mod response;

pub use crate::http::{HttpRequest, HttpResponse, Method};
pub use crate::providers::RefreshProvider;
pub use endpoints::Endpoints;
pub use error::{Cause, ErrorKind, RefreshError, TransportFailure, transport_error};
pub use failure::RefreshFailure;
pub use plan::{Plan, PlanError, plan};
pub use response::{Outcome, apply};

use crate::providers::RequestError;
use crate::store::OAuth;
use crate::time::{ExpiryKind, Millis};

/// How long before expiry a login is refreshed ([`crate::defaults`] holds
/// every default once).
pub const DEFAULT_REFRESH_WINDOW_MS: Millis = crate::defaults::REFRESH_MARGIN_MS;

/// A provider's refusal to build a request, in the refresh rules' words
/// (the registry has its own error so that it need not import ours).
impl From<RequestError> for PlanError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::MissingProjectId { profile_id, message } => {
                PlanError::MissingProjectId { profile_id, message }
            }
            RequestError::MissingClientId { profile_id, provider, var } => {
                PlanError::MissingClientId { profile_id, provider, var }
            }
            RequestError::InvalidEnterpriseUrl { profile_id, url } => {
                PlanError::InvalidEnterpriseUrl { profile_id, url }
            }
        }
    }
}

/// Whether `cred` should be refreshed at `now`: it has expired, or expires
/// within `window_ms`. An `expires` that is missing or not a finite number
/// says nothing about the token, so it counts as needing a refresh (the
/// reference instead handed out the stale token, spec §2.4).
///
/// The reference refreshes only once expired (a window of 0, A23); pass
/// [`DEFAULT_REFRESH_WINDOW_MS`] to refresh ahead like Claude Code.
pub fn needs_refresh(cred: &OAuth, now: Millis, window_ms: Millis) -> bool {
    match cred.expiry() {
        ExpiryKind::At(expires) => expires.is_past(now.saturating_add(window_ms.max(0))),
        ExpiryKind::Unknown | ExpiryKind::Never => true,
    }
}

/// Whether to refresh a login found under the lock.
///
/// Without `force`, only when it is due. With `force` (a client got a 401,
/// A81), always, unless the access token changed since the caller decided to
/// force, and the new one is not due: then another process already did the
/// refresh the 401 asked for, and a second one would only rotate the chain
/// again.
pub fn should_refresh(cred: &OAuth, now: Millis, window_ms: Millis, force: bool, changed_since_asked: bool) -> bool {
    let due = needs_refresh(cred, now, window_ms);
    due || (force && !changed_since_asked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Expiry, MINUTE};

    fn expiring_at(ms: Option<f64>) -> OAuth {
        OAuth { provider: "anthropic".into(), expires: ms.map(Expiry::from_ms), ..OAuth::default() }
    }

    #[test]
    fn refreshes_when_expired_or_inside_the_window() {
        let now = 1_767_225_600_000;
        let at = |offset: i64| expiring_at(Some((now + offset) as f64));
        assert!(needs_refresh(&at(-1), now, 0));
        assert!(needs_refresh(&at(0), now, 0), "now >= expires is expired");
        assert!(!needs_refresh(&at(1), now, 0));
        assert!(needs_refresh(&at(DEFAULT_REFRESH_WINDOW_MS), now, DEFAULT_REFRESH_WINDOW_MS));
        assert!(!needs_refresh(&at(DEFAULT_REFRESH_WINDOW_MS + 1), now, DEFAULT_REFRESH_WINDOW_MS));
        assert!(!needs_refresh(&at(1), now, -DEFAULT_REFRESH_WINDOW_MS), "a negative window is no window");
        assert!(!needs_refresh(&expiring_at(Some((now as f64) + 0.5)), now, 0), "fractional expires compare exactly");
    }

    #[test]
    fn unknown_expiry_needs_refresh() {
        assert!(needs_refresh(&expiring_at(None), 0, 0));
        assert!(needs_refresh(&expiring_at(Some(0.0)), 0, DEFAULT_REFRESH_WINDOW_MS));
        assert!(needs_refresh(&expiring_at(Some(1.0)), i64::MAX, i64::MAX), "no overflow at the extremes");
    }

    #[test]
    fn force_refreshes_once_unless_someone_already_did() {
        let fresh = OAuth { expires: Some(crate::time::Expiry::from_millis(10 * MINUTE)), ..OAuth::default() };
        let stale = OAuth { expires: Some(crate::time::Expiry::from_millis(MINUTE)), ..OAuth::default() };
        let w = DEFAULT_REFRESH_WINDOW_MS;
        assert!(!should_refresh(&fresh, 0, w, false, false));
        assert!(should_refresh(&stale, 0, w, false, false));
        assert!(should_refresh(&fresh, 0, w, true, false), "forced: the 401 says the token is dead");
        assert!(!should_refresh(&fresh, 0, w, true, true), "another process already replaced it");
        assert!(should_refresh(&stale, 0, w, true, true), "replaced, but by one that is due too");
    }
}
