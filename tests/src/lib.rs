//! Shared helpers of the conformance tests: reading the vectors.
