//! What every fuzz target shares: the choice of crypto for `server` and
//! `client`, and a counting allocator that turns "memory stays bounded" into
//! an assertion (a peak of live heap per input), on top of libFuzzer's own
//! `-rss_limit_mb`.

use gauntlet_harness::fuzzing::FuzzCrypto;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::OnceLock;

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

static CRYPTO: OnceLock<FuzzCrypto> = OnceLock::new();

/// Called once per process: picks the crypto `server` and `client` run
/// with, the no-security provider unless `GAUNTLET_FUZZ_CRYPTO=real` (to
/// measure with real crypto).
pub fn init() {
    let real = std::env::var("GAUNTLET_FUZZ_CRYPTO").is_ok_and(|v| v == "real");
    let crypto = if real {
        FuzzCrypto::Real
    } else {
        FuzzCrypto::NoSecurity
    };
    let _ = CRYPTO.set(crypto);
}

/// What [`init`] picked (the no-security provider if it was not called).
pub fn crypto() -> FuzzCrypto {
    *CRYPTO.get_or_init(|| FuzzCrypto::NoSecurity)
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
