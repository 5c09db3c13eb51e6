//! What every fuzz target shares: the crypto-shortcut switch and a counting
//! allocator that turns "memory stays bounded" into an assertion (a peak of
//! live heap per input), on top of libFuzzer's own `-rss_limit_mb`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The most live heap one input may add: far above what any input of
/// libFuzzer's default `-max_len` (4096) needs, far below a leak or a
/// quadratic blow-up.
pub const PEAK_LIMIT: usize = 64 << 20;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call forwards to `System` with the caller's arguments; the
// counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Called once per process: the crypto shortcuts act for `server` and
/// `client` unless `GAUNTLET_FUZZ_SHORTCUTS=0` (to measure without them).
pub fn init(shortcuts: bool) {
    let off = std::env::var("GAUNTLET_FUZZ_SHORTCUTS").is_ok_and(|v| v == "0");
    gauntlet_engine::fuzzing::set_shortcuts(shortcuts && !off);
}

/// Runs one input, then asserts the live heap never grew past `PEAK_LIMIT`
/// above where it started.
pub fn bounded(run: impl FnOnce()) {
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    run();
    let peak = PEAK.load(Relaxed).saturating_sub(base);
    assert!(
        peak <= PEAK_LIMIT,
        "one input peaked at {peak} bytes of heap"
    );
}
