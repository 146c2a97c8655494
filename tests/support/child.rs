//! Helpers both end-to-end suites (tests/ and host-native/tests/) share,
//! included with `#[path]`: running a child under a deadline and checking
//! what it printed.

use std::io::Read;
use std::path::Path;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// Reads a pipe to its end on a thread, so a chatty child cannot block.
pub fn reader(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// The watchdog: polls the child and kills it once `limit` has passed.
pub fn wait_with_limit(child: &mut Child, limit: Duration) -> (Option<ExitStatus>, bool) {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return (Some(status), false),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                return (child.wait().ok(), true);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(_) => return (None, false),
        }
    }
}

/// Characters that must never reach a terminal raw: C0 except `\n` and
/// `\t`, DEL, C1 and bidi overrides. Output that is not UTF-8 counts too (a
/// file's bytes printed as they are). Returns a description per problem.
pub fn control_problems(label: &str, bytes: &[u8]) -> Vec<String> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return vec![format!("{label}: not UTF-8 ({e})")],
    };
    let raw = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
    };
    text.char_indices()
        .filter(|(_, c)| raw(*c))
        .take(3)
        .map(|(i, c)| format!("{label}: raw control character U+{:04X} at byte {i}", c as u32))
        .collect()
}

/// The mode bits of a path (following symlinks).
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0)
}
