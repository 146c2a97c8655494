//! Google Vertex AI: authenticated by Google's application default
//! credentials, not by a key variable.
//!
//! No probe ("no cheap check"): a request needs a project and a region
//! that no credential here names, and an access token minted from the
//! application default credentials, which a probe never mints.

use super::ProviderSpec;

/// Provider id as profiles, configs and `provider/model` refs spell it.
pub const ID: &str = "google-vertex";

/// This provider's registry entry, listed in [`super::PROVIDERS`].
pub const SPEC: ProviderSpec = ProviderSpec { env_probe: true, gcloud_adc: true, ..ProviderSpec::new(ID) };
