//! Heap held by established, idle connections, counted by a counting
//! global allocator (stats_alloc): every byte allocated and not freed
//! between before and after, divided by the number of connections. The
//! target is at most 64 KiB per idle connection, whatever traffic it has
//! carried before going idle. One test in this binary, so no other test's
//! allocations land in the count.

mod common;

use common::*;
use gauntlet_engine::{Connection, Pair};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::sync::Arc;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const PAIRS: usize = 16;
const LIMIT: usize = 64 * 1024;

/// Bytes live now that were not live when `region` started.
fn live(region: &Region<'_, System>) -> isize {
    let c = region.change();
    // stats_alloc already counts realloc growth and shrinkage in these two.
    c.bytes_allocated as isize - c.bytes_deallocated as isize
}

// Memory per established idle connection (the issue's ≤ 64 KiB target),
// right after the handshake and again after a 100 KB burst each way: an
// idle connection must not keep buffers sized by its past traffic.
#[test]
fn an_idle_connection_holds_at_most_64_kib() {
    // Shared configs are made before counting: they are per process, not
    // per connection. No transcript (it is a debugging log) and no session
    // cache (a per-server store: see below).
    let mut c = client_config();
    c.transcript = false;
    let client_cfg = Arc::new(c);
    let mut s = server_config();
    s.transcript = false;
    s.session_cache = None;
    let server_cfg = Arc::new(s);
    let burst = vec![0x5a; 100_000];

    let region = Region::new(GLOBAL);
    let mut conns: Vec<Connection> = Vec::with_capacity(2 * PAIRS);
    for i in 0..PAIRS {
        let cli = Connection::client(
            client_cfg.clone(),
            "localhost",
            gauntlet_engine::Provider::from_seed([i as u8; 32]),
            None,
        )
        .unwrap();
        let srv = server(server_cfg.clone(), 100 + i as u8);
        let mut p = Pair::new(cli, srv, NOW);
        complete(&mut p);
        let Pair { client, server, .. } = p;
        conns.push(client);
        conns.push(server);
    }
    let after_handshake = live(&region) as usize / conns.len();

    for pair in conns.chunks_mut(2) {
        let [cli, srv] = pair else { unreachable!() };
        cli.send(&burst).unwrap();
        srv.send(&burst).unwrap();
        let (to_srv, to_cli) = (drain(cli), drain(srv));
        srv.feed(&to_srv, NOW);
        cli.feed(&to_cli, NOW);
        // The application takes its data: events are not idle state.
        assert_eq!(events(srv).len(), 7);
        assert_eq!(events(cli).len(), 7);
    }
    let after_burst = live(&region) as usize / conns.len();
    eprintln!(
        "heap per idle connection: {after_handshake} B after the handshake, \
         {after_burst} B after a 100 KB burst each way \
         (+ size_of::<Connection>() = {} B inline, counted in the Vec)",
        size_of::<Connection>()
    );
    assert!(
        after_handshake <= LIMIT,
        "{after_handshake} B after handshake"
    );
    assert!(after_burst <= LIMIT, "{after_burst} B after a burst");
    drop(conns);
}
