//! What the core asks of its host: the bytes of a file, by path, and the
//! secret of a Keychain item, by service and account.
//!
//! Like Typst's `World`, this is the only door to the outside. The CLI
//! answers from the disk, the browser from files the operator dropped, the
//! tests from a map, so one load serves every host.

/// One file, as the host found it.
#[derive(Debug, Clone, PartialEq)]
pub enum FileRead {
    /// No file at this path.
    Absent,
    /// The file was read.
    Present {
        /// Its whole contents, unchecked.
        bytes: Vec<u8>,
        /// When it was last modified, ms since the epoch; `None` when the host
        /// cannot tell.
        mtime_ms: Option<f64>,
    },
    /// It exists but could not be read, and why.
    Unreadable(crate::io::IoKind),
}

impl FileRead {
    /// A present file holding `text`, with no known modification time.
    pub fn text(text: impl Into<String>) -> Self {
        FileRead::Present { bytes: text.into().into_bytes(), mtime_ms: None }
    }
}

/// One Keychain item (macOS generic password), named by the core from a
/// login source's rules: the host runs `security` with exactly these.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeychainItem {
    /// The item's service ("Claude Code-credentials").
    pub service: String,
    /// The item's account; always given, since several items can share a
    /// service.
    pub account: String,
}

/// The file system as the core sees it: the host reads, the core decides.
pub trait World {
    /// What is at `path` (absolute, as `paths` built it) now.
    fn read(&self, path: &str) -> FileRead;

    /// The secret of `item`, as `security` printed it. `None` when this host
    /// has no Keychain or no such item; then only the file is consulted.
    fn keychain(&self, item: &KeychainItem) -> Option<FileRead> {
        let _ = item;
        None
    }

    /// Whether this world has its answer for `path` yet. A world that reads
    /// when asked always has; one fed files by rounds (a flow's look) has
    /// not until its host answered, and a load leaves out this round what
    /// only that answer decides (the legacy files, read only when the store
    /// is absent), so they are asked for only when needed.
    fn knows(&self, path: &str) -> bool {
        let _ = path;
        true
    }
}

/// A world made of a map from path to contents: tests, wasm, the envelope.
#[derive(Debug, Clone, Default)]
pub struct MapWorld {
    /// The files by absolute path; a path not in the map is absent.
    pub files: std::collections::BTreeMap<String, FileRead>,
    /// The Keychain items by name; an item not in the map is not there.
    pub keychain: std::collections::BTreeMap<KeychainItem, FileRead>,
}

impl World for MapWorld {
    fn read(&self, path: &str) -> FileRead {
        self.files.get(path).cloned().unwrap_or(FileRead::Absent)
    }

    fn keychain(&self, item: &KeychainItem) -> Option<FileRead> {
        self.keychain.get(item).cloned()
    }
}
