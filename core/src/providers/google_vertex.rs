//! Google Vertex AI: authenticated by Google's application default
//! credentials, not by a key variable.

use super::ProviderSpec;

pub const ID: &str = "google-vertex";

pub const SPEC: ProviderSpec = ProviderSpec { env_probe: true, gcloud_adc: true, ..ProviderSpec::new(ID) };
