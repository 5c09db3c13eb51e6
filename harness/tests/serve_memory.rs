//! `serve`'s heap under a long-lived connection (issue 11: 300 MB echoed
//! held 942 MB): echoing 32 MB through one connection keeps what the
//! process holds under a fixed cap, counted by a counting global allocator
//! (stats_alloc) while the connection is still open. One test in this
//! binary, so no other test's allocations land in the count.
#![allow(clippy::unwrap_used)]

mod serve_common;

use gauntlet_harness::serve::ServeOptions;
use serve_common::{Client, Server};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::time::Duration;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Heap the server and client may hold, beyond what they held after the
/// handshake: both connections' buffers (a few records each), the server's
/// pending output (`MAX_PENDING_OUT`) and slack.
const CAP: isize = 2 << 20;

#[test]
fn echoing_32_mb_through_serve_keeps_its_heap_under_a_fixed_cap() {
    let server = Server::start(ServeOptions {
        timeout: Duration::from_secs(30),
        handshake_timeout: Duration::from_secs(30),
        verbose: false,
        ..ServeOptions::default()
    });
    let mut client = Client::connect(server.addr, Duration::from_secs(30));
    client.handshake().unwrap();
    client.echo(b"warm-up").unwrap();
    let chunk = vec![0x42; 64 * 1024];
    let region = Region::new(GLOBAL);
    let mut peak = 0isize;
    for i in 0..(32 << 20) / chunk.len() {
        client.echo(&chunk).unwrap();
        if i % 64 == 0 {
            let c = region.change();
            peak = peak.max(c.bytes_allocated as isize - c.bytes_deallocated as isize);
        }
    }
    let c = region.change();
    let held = c.bytes_allocated as isize - c.bytes_deallocated as isize;
    peak = peak.max(held);
    assert!(
        peak <= CAP,
        "{peak} B held while echoing 32 MB (cap {CAP} B)"
    );
    drop(client);
    drop(server);
}
