//! A long-lived connection's memory is bounded whatever it carries (issue
//! 11): with its transcript on (the default), echoing 32 MB keeps the heap
//! under the transcript's cap, and a driver that never drains its events
//! gets a fatal internal_error at the queue's cap, not a queue that grows.
//! The heap is counted by a counting global allocator (stats_alloc), as in
//! memory.rs; the tests in this binary run one at a time (a lock), so no
//! other test's allocations land in a count.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use gauntlet_engine::enums::AlertDescription;
use gauntlet_engine::transcript::{MAX_TRANSCRIPT_BYTES, TRUNCATED};
use gauntlet_engine::{Error, Event, MAX_QUEUED_EVENTS, MAX_QUEUED_EVENT_BYTES};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::sync::{Arc, Mutex};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn live(region: &Region<'_, System>) -> isize {
    let c = region.change();
    c.bytes_allocated as isize - c.bytes_deallocated as isize
}

#[test]
fn echoing_32_mb_keeps_transcript_and_events_under_their_caps() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut p = pair(client_config(), Arc::new(server_config()), 7);
    complete(&mut p);
    assert!(p.server.transcript().is_enabled());
    let chunk = vec![0xa5; 16 * 1024];
    let region = Region::new(GLOBAL);
    let mut echoed = 0usize;
    for _ in 0..(32 << 20) / chunk.len() {
        p.client.send(&chunk).unwrap();
        p.server.feed(&drain(&mut p.client), NOW);
        for e in events(&mut p.server) {
            if let Event::ApplicationData(d) = e {
                p.server.send(&d).unwrap();
            }
        }
        p.client.feed(&drain(&mut p.server), NOW);
        for e in events(&mut p.client) {
            if let Event::ApplicationData(d) = e {
                echoed += d.len();
            }
        }
    }
    let held = live(&region);
    assert_eq!(echoed, 32 << 20);
    assert_eq!(p.server.error(), None);
    // Both transcripts hold at most their cap (plus the marker); the rest
    // of the connection's state is a few KiB.
    let cap = 2 * MAX_TRANSCRIPT_BYTES as isize + (1 << 20);
    assert!(held <= cap, "{held} B held after echoing 32 MB (cap {cap})");
    for conn in [&p.client, &p.server] {
        let t = conn.transcript();
        assert!(t.is_truncated());
        assert_eq!(t.steps().last().unwrap().what, TRUNCATED);
        assert!(t.cost() <= MAX_TRANSCRIPT_BYTES + 4096);
    }
}

#[test]
fn an_undrained_event_queue_is_a_fatal_internal_error_at_its_cap() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut p = pair(client_config(), Arc::new(server_config()), 8);
    complete(&mut p);
    let region = Region::new(GLOBAL);
    // 8 MiB offered, none of its events taken.
    let chunk = vec![0x3c; 16 * 1024];
    for _ in 0..(8 << 20) / chunk.len() {
        p.client.send(&chunk).unwrap();
        p.server.feed(&drain(&mut p.client), NOW);
    }
    assert_eq!(
        p.server.error(),
        Some(&Error::Internal(
            "event queue cap reached: events not drained"
        ))
    );
    let queued = events(&mut p.server);
    let held = live(&region);
    assert!(queued.len() <= MAX_QUEUED_EVENTS + 1, "{}", queued.len());
    let data: usize = queued
        .iter()
        .map(|e| match e {
            Event::ApplicationData(d) => d.len(),
            _ => 0,
        })
        .sum();
    assert!(data <= MAX_QUEUED_EVENT_BYTES, "{data} B queued");
    assert!(matches!(
        queued.last(),
        Some(Event::Failed(Error::Internal(_)))
    ));
    assert!(held <= (MAX_QUEUED_EVENT_BYTES + 2 * MAX_TRANSCRIPT_BYTES + (1 << 20)) as isize);
    // The server's fatal alert reached the client.
    p.client.feed(&drain(&mut p.server), NOW);
    assert_eq!(
        p.client.error(),
        Some(&Error::AlertReceived(AlertDescription::InternalError))
    );
}

#[test]
fn a_driver_that_drains_after_each_feed_never_meets_the_queue_cap() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut p = pair(client_config(), Arc::new(server_config()), 9);
    complete(&mut p);
    // 16 KiB of one-byte records, fed at once: the most events one socket
    // read can carry.
    for _ in 0..(16 * 1024) / 30 {
        p.client.send(b"x").unwrap();
    }
    p.server.feed(&drain(&mut p.client), NOW);
    assert_eq!(p.server.error(), None);
    assert!(events(&mut p.server).len() > 500);
}
