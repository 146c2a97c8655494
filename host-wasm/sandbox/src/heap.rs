//! The module's heap: the allocator std uses on wasm (dlmalloc) over
//! linear memory that grows in large steps.
//!
//! std's own copy asks `memory.grow` for exactly what one allocation lacks,
//! so a large request grows the memory over and over (the request buffer,
//! every doubling of the parsed store, the report, the response text): each
//! grow is a call into the runtime, and in JavaScript hosts it replaces the
//! memory's `ArrayBuffer` and leaves the old one to the garbage collector.
//! Here the memory grows by at least its current size (doubling it), by no
//! less than [`MIN_STEP`] and, past that, by at most [`MAX_STEP`] more than
//! the allocation lacks, so a call of any size grows it a handful of times
//! and later calls of that size not at all (wasm memory never shrinks).
//! When such a step does not fit under the 4 GiB limit, it grows by what is
//! needed.

use core::arch::wasm32;
use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;

/// The wasm page.
const PAGE: usize = 64 * 1024;

/// The smallest step the memory grows by, in pages: 1 MiB.
const MIN_STEP: usize = 16;

/// The most the memory grows by beyond what an allocation lacks, in pages:
/// 64 MiB, so that a large heap is not doubled for one more allocation.
const MAX_STEP: usize = 1024;

/// Linear memory as dlmalloc's source of system memory, grown in steps.
struct Steps;

// SAFETY: `alloc` hands out only pages fresh from `memory.grow` (zeroed,
// used by nothing else), and the memory is never given back.
unsafe impl dlmalloc::Allocator for Steps {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        let needed = size.div_ceil(PAGE);
        let step = needed.max(wasm32::memory_size(0).clamp(MIN_STEP, MAX_STEP));
        let mut grown = step;
        let mut previous = wasm32::memory_grow(0, step);
        if previous == usize::MAX && step > needed {
            grown = needed;
            previous = wasm32::memory_grow(0, needed);
        }
        if previous == usize::MAX {
            return (std::ptr::null_mut(), 0, 0);
        }
        let (base, bytes) = (previous * PAGE, grown * PAGE);
        // The last page of the 4 GiB address space: no allocation may end at
        // address 0 (dlmalloc's own wasm source keeps the top 16 bytes back).
        let bytes = if base.wrapping_add(bytes) == 0 { bytes - 16 } else { bytes };
        (base as *mut u8, bytes, 0)
    }

    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        std::ptr::null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    fn allocates_zeros(&self) -> bool {
        true
    }

    fn page_size(&self) -> usize {
        PAGE
    }
}

/// The one heap of the module.
struct Heap(UnsafeCell<dlmalloc::Dlmalloc<Steps>>);

// SAFETY: the module is built without the `atomics` feature, so it runs on
// one thread and no two calls into the heap can overlap.
unsafe impl Sync for Heap {}

#[global_allocator]
static HEAP: Heap = Heap(UnsafeCell::new(dlmalloc::Dlmalloc::new_with_allocator(Steps)));

// SAFETY: each method forwards to dlmalloc with the caller's guarantees,
// which are `GlobalAlloc`'s; access is exclusive (see `Sync` above).
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.0.get()).malloc(layout.size(), layout.align()) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.0.get()).calloc(layout.size(), layout.align()) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { (*self.0.get()).free(ptr, layout.size(), layout.align()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size) }
    }
}
