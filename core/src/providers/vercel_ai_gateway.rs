//! Vercel AI Gateway. An API key only (spec §2.6).

use super::ProviderSpec;

pub const ID: &str = "vercel-ai-gateway";

pub const SPEC: ProviderSpec = ProviderSpec { env_vars: &["AI_GATEWAY_API_KEY"], ..ProviderSpec::new(ID) };
