//! The auth core as a WebAssembly module with no imports.
//!
//! Built for `wasm32-unknown-unknown` (no WASI, no host functions), so the
//! module cannot reach files, clocks, the network or anything else: all it
//! can do is turn request bytes into response bytes. The ABI is three
//! exported functions over the module's own linear memory:
//!
//! - `alloc(len) -> ptr`: reserve `len` bytes for the caller to write a request into;
//! - `handle(ptr, len) -> u64`: read the UTF-8 JSON request at `ptr..ptr+len`
//!   (the buffer stays owned by the caller), run
//!   [`clawdbot_auth_core::envelope::handle`], and return the response as
//!   `(result_ptr << 32) | result_len`;
//! - `dealloc(ptr, len)`: free a buffer from `alloc` or a result from `handle`.
//!
//! Both the request buffer and the result buffer are freed by the caller with
//! `dealloc`. Lengths and pointers are `u32` on wasm32; the functions use
//! `usize` so that the crate also builds (and is unit-tested) natively.

use std::alloc::{Layout, alloc as raw_alloc, dealloc as raw_dealloc};

#[cfg(target_arch = "wasm32")]
mod heap;

/// The alignment of every buffer handed across the ABI (bytes).
const ALIGN: usize = 1;

/// The layout of an ABI buffer of `len` bytes. Zero-length buffers are
/// allocated as one byte so that every pointer handed out is real and unique.
fn layout(len: usize) -> Option<Layout> {
    Layout::from_size_align(len.max(1), ALIGN).ok()
}

/// Reserves `len` bytes and returns their address, or 0 if the allocation
/// is impossible (the caller treats 0 as failure).
#[unsafe(no_mangle)]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    match layout(len) {
        // SAFETY: `layout` never has size zero (see `layout`).
        Some(layout) => unsafe { raw_alloc(layout) },
        None => std::ptr::null_mut(),
    }
}

/// Frees a buffer obtained from [`alloc`] or returned by [`handle`], with the
/// same `len`. A null pointer is ignored.
///
/// # Safety
/// `ptr` must come from `alloc(len)` (or be a `handle` result of length
/// `len`) and must not be used or freed again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dealloc(ptr: *mut u8, len: usize) {
    if ptr.is_null() {
        return;
    }
    if let Some(layout) = layout(len) {
        // SAFETY: the caller guarantees `ptr` was allocated with this layout.
        unsafe { raw_dealloc(ptr, layout) }
    }
}

/// Runs one envelope request and returns `(result_ptr << 32) | result_len`.
/// The result is a buffer of `result_len` bytes of UTF-8 JSON that the caller
/// must free with `dealloc(result_ptr, result_len)`. A request that is not
/// UTF-8 gets an `{"error": ...}` response, like any other bad request.
///
/// # Safety
/// `ptr..ptr+len` must be readable memory the caller wrote (from `alloc`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn handle(ptr: *const u8, len: usize) -> u64 {
    let request: &[u8] = if ptr.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: the caller guarantees `ptr..ptr+len` is initialised memory
        // it owns and does not touch until this call returns.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    };
    let response = match std::str::from_utf8(request) {
        Ok(text) => clawdbot_auth_core::envelope::handle(text),
        Err(_) => r#"{"error":"request is not valid UTF-8"}"#.to_string(),
    };
    into_result(response.into_bytes())
}

/// Hands `bytes` to the caller as an `alloc`-compatible buffer and packs its
/// address and length into one `u64`.
fn into_result(bytes: Vec<u8>) -> u64 {
    let len = bytes.len();
    let out = alloc(len);
    if out.is_null() {
        return 0;
    }
    // SAFETY: `out` is a fresh allocation of at least `len` bytes, distinct
    // from `bytes`.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), out, len) };
    ((out as usize as u64) << 32) | len as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_pointer_and_length() {
        // Natively pointers are 64-bit, so only the length half is checked here;
        // the wasm32 round trip is covered by tests/tests/sandbox.rs.
        let packed = into_result(b"{}".to_vec());
        assert_eq!(packed & 0xffff_ffff, 2);
    }
}
