//! Every conformance vector through the core's envelope.

use clawdbot_conformance::{Outcome, check, vectors};

#[test]
fn every_vector_passes_against_the_core() {
    let all = vectors();
    assert!(all.len() >= 20, "expected the shared vectors, found {}", all.len());
    let mut failures = Vec::new();
    for v in &all {
        let resp = clawdbot_auth_core::envelope::handle(&v.request().to_string());
        let resp: serde_json::Value = serde_json::from_str(&resp).expect("envelope returns JSON");
        let bad = check(v, &Outcome::from_envelope(&resp));
        if !bad.is_empty() {
            failures.push(format!("{}:\n  {}", v.file, bad.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{} vector(s) failed:\n{}", failures.len(), failures.join("\n"));
}

/// The checker itself must catch a wrong answer, or the test above proves nothing.
#[test]
fn the_checker_rejects_wrong_outcomes() {
    for v in vectors() {
        let resp = clawdbot_auth_core::envelope::handle(&v.request().to_string());
        let mut out = Outcome::from_envelope(&serde_json::from_str(&resp).unwrap());
        if v.expect().get("check").is_some() {
            out.check = (out.check + 1) % 3;
            assert!(!check(&v, &out).is_empty(), "{}: a wrong check code went unnoticed", v.file);
        }
    }
}
