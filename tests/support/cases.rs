//! Where the conformance cases live, for both end-to-end suites (tests/ and
//! host-native/tests/), included with `#[path]`.
//!
//! The repository owns its cases: `tests/vectors/` and `tests/badinput/`
//! are the copies the project maintains, so a plain clone tests green with
//! nothing beside it. `CLAWDBOT_SHARED_DIR` may name a folder with the same
//! layout (`vectors/`, `badinput/`): its cases then run *as well*, which is
//! how a new batch is tried before it is copied in. CI does not set it.

use std::path::{Path, PathBuf};

/// The variable naming an extra folder of cases.
pub const SHARED_DIR_ENV: &str = "CLAWDBOT_SHARED_DIR";

/// A kind of case, by the folder that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// `vectors/`: one situation each and what must come of it.
    Vectors,
    /// `badinput/`: hostile files every command must survive.
    BadInput,
}

impl Suite {
    fn folder_name(self) -> &'static str {
        match self {
            Suite::Vectors => "vectors",
            Suite::BadInput => "badinput",
        }
    }
}

/// One folder of cases and where it came from, so a failure names the copy.
#[derive(Debug, Clone)]
pub struct CaseFolder {
    pub path: PathBuf,
    /// `None` for the repository's own copy; `Some("shared")` for the extra one.
    pub origin: Option<&'static str>,
}

impl CaseFolder {
    /// A case's name prefixed with its origin when it is not the repository's.
    pub fn label(&self, name: &str) -> String {
        match self.origin {
            None => name.to_string(),
            Some(origin) => format!("{origin}:{name}"),
        }
    }
}

/// The workspace root: both including crates sit one level below it.
fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("a workspace member sits below the workspace root")
}

/// The repository's folder of `suite`, then the extra one when
/// `CLAWDBOT_SHARED_DIR` is set. A set variable that names no such folder
/// fails loudly: the caller asked for cases that are not there.
pub fn folders(suite: Suite) -> Vec<CaseFolder> {
    let own = workspace_root().join("tests").join(suite.folder_name());
    assert!(own.is_dir(), "the repository's {} cases are missing at {}", suite.folder_name(), own.display());
    let mut all = vec![CaseFolder { path: own, origin: None }];
    if let Some(extra) = std::env::var_os(SHARED_DIR_ENV).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(extra).join(suite.folder_name());
        assert!(path.is_dir(), "{SHARED_DIR_ENV} is set but {} is not a folder", path.display());
        all.push(CaseFolder { path, origin: Some("shared") });
    }
    all
}
