//! A server that answers with a valid-looking ServerHello and then
//! Certificate messages without end (issue 11: one sending 1 MiB messages
//! drove `test-server` past 9.8 GB). The scripted client must end the case
//! as the target's failure, quickly, with the heap bounded: the flight,
//! transcript and byte-log caps, not the flood, decide how much it keeps.
//!
//! Heap is counted by a counting global allocator (stats_alloc) and
//! sampled each time the flood hands the client bytes, so the peak seen is
//! what the client held while it read. One test in this binary, so no
//! other test's allocations land in the count.

use gauntlet_engine::Side;
use gauntlet_harness::case::Connector;
use gauntlet_harness::expectations::Expectations;
use gauntlet_harness::peer::transport::{Recv, Transport};
use gauntlet_harness::peer::{build, record};
use gauntlet_harness::runner::{self, CaseResult, Final, RunOptions, Target};
use gauntlet_harness::suites;
use gauntlet_harness::target::TcpServer;
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The flood stops (closes) after this much, so a harness without caps
/// fails the memory check rather than exhausting the machine.
const FLOOD_LIMIT: usize = 256 << 20;
/// The most heap the run may hold above where it started.
const HEAP_LIMIT: usize = 48 << 20;

fn live() -> usize {
    let s = GLOBAL.stats();
    s.bytes_allocated.saturating_sub(s.bytes_deallocated)
}

/// Peak of `live()` over the samples taken.
#[derive(Default)]
struct Peak(AtomicUsize);

impl Peak {
    fn sample(&self) {
        self.0.fetch_max(live(), Ordering::Relaxed);
    }
}

/// The server's bytes: a ServerHello record, then Certificate messages of
/// one `cert_len`-byte certificate each, in 2^14-byte records, until
/// `FLOOD_LIMIT`.
struct Flood {
    cert: Vec<u8>,
    pending: Vec<u8>,
    produced: usize,
}

impl Flood {
    fn new(cert_len: usize) -> Self {
        let exts = [(0xff01, vec![0]), (0x0017, vec![])];
        let sh = build::server_hello(0x0303, &[7; 32], &[9; 32], 0x009c, 0, &exts);
        let pending = record::records(None, 22, 0x0303, &sh, 1 << 14).unwrap();
        let cert = build::certificate(&[vec![0x30; cert_len]]);
        let cert = record::records(None, 22, 0x0303, &cert, 1 << 14).unwrap();
        Self {
            cert,
            pending,
            produced: 0,
        }
    }

    /// Up to `max` more bytes; empty once the limit is reached.
    fn next(&mut self, max: usize) -> Vec<u8> {
        if self.produced >= FLOOD_LIMIT {
            return Vec::new();
        }
        if self.pending.is_empty() {
            self.pending = self.cert.clone();
        }
        let n = max.min(self.pending.len());
        self.produced += n;
        self.pending.drain(..n).collect()
    }
}

/// The flood in memory: it speaks once it has been sent the ClientHello.
struct FloodTransport {
    flood: Flood,
    spoken_to: bool,
    peak: Arc<Peak>,
    produced: Arc<AtomicUsize>,
}

impl Transport for FloodTransport {
    fn send(&mut self, _bytes: &[u8]) -> io::Result<()> {
        self.spoken_to = true;
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>, _timeout: Duration) -> io::Result<Recv> {
        self.peak.sample();
        if !self.spoken_to {
            return Ok(Recv::Timeout);
        }
        let more = self.flood.next(64 << 10);
        self.produced.store(self.flood.produced, Ordering::Relaxed);
        if more.is_empty() {
            return Ok(Recv::Eof);
        }
        buf.extend_from_slice(&more);
        Ok(Recv::Data(more.len()))
    }

    fn log(&self) -> &[(bool, Vec<u8>)] {
        &[]
    }
}

struct FloodServer {
    cert_len: usize,
    peak: Arc<Peak>,
    produced: Arc<AtomicUsize>,
}

impl Connector for FloodServer {
    fn connect(&self) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(FloodTransport {
            flood: Flood::new(self.cert_len),
            spoken_to: false,
            peak: self.peak.clone(),
            produced: self.produced.clone(),
        }))
    }

    fn describe(&self) -> String {
        "a server flooding Certificate messages".into()
    }
}

/// The first basic server-role case (a correct client, expecting a
/// completed handshake), run against `target`.
fn run_basic_case(target: &dyn Connector) -> CaseResult {
    let cases: Vec<_> = suites::all()
        .into_iter()
        .filter(|c| c.side == Side::Server && c.name.starts_with("Basic-Server-"))
        .take(1)
        .collect();
    assert_eq!(cases.len(), 1);
    let opts = RunOptions {
        timeout: Duration::from_secs(10),
        ..RunOptions::default()
    };
    let mut results = runner::run(
        &cases,
        Target::Server(target),
        &opts,
        &Expectations::default(),
        &|_| {},
    );
    results.pop().unwrap()
}

fn kept_log_bytes(r: &CaseResult) -> usize {
    r.log.iter().map(|(_, b)| b.len()).sum()
}

/// Runs the flood through `target` and checks the verdict, the time, the
/// heap and what was read; returns the failure's detail.
fn check_flood(target: &dyn Connector, peak: &Peak, produced: &AtomicUsize) -> String {
    let base = live();
    peak.0.store(base, Ordering::Relaxed);
    let start = Instant::now();
    let r = run_basic_case(target);
    let took = start.elapsed();
    let held = peak.0.load(Ordering::Relaxed).saturating_sub(base);
    let read = produced.load(Ordering::Relaxed);
    let Final::Fail(detail) = &r.verdict else {
        panic!("a flood must fail the case, got {:?}", r.verdict);
    };
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(
        held < HEAP_LIMIT,
        "the harness held {held} bytes of heap reading the flood ({read} bytes sent)"
    );
    assert!(read < FLOOD_LIMIT / 4, "the client read {read} bytes");
    assert!(kept_log_bytes(&r) <= 4 << 20, "{}", kept_log_bytes(&r));
    detail.clone()
}

fn in_memory(cert_len: usize) -> String {
    let peak = Arc::new(Peak::default());
    let produced = Arc::new(AtomicUsize::new(0));
    let target = FloodServer {
        cert_len,
        peak: peak.clone(),
        produced: produced.clone(),
    };
    check_flood(&target, &peak, &produced)
}

/// The same flood from a TCP server on 127.0.0.1 (the byte log of a real
/// connection is capped too).
fn over_tcp(cert_len: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peak = Arc::new(Peak::default());
    let produced = Arc::new(AtomicUsize::new(0));
    let (p, n) = (peak.clone(), produced.clone());
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut hello = [0u8; 1024];
            if s.read(&mut hello).unwrap_or(0) == 0 {
                continue;
            }
            let mut flood = Flood::new(cert_len);
            loop {
                p.sample();
                let more = flood.next(64 << 10);
                if more.is_empty() || s.write_all(&more).is_err() {
                    break;
                }
                n.store(flood.produced, Ordering::Relaxed);
            }
        }
    });
    let target = TcpServer {
        addr,
        connect_timeout: Duration::from_secs(2),
    };
    check_flood(&target, &peak, &produced)
}

#[test]
fn a_server_flooding_certificates_fails_its_case_with_the_heap_bounded() {
    // Messages of 200 KiB (under MAX_HANDSHAKE_LEN): the transcript cap
    // ends the flight within its first MiB.
    for detail in [in_memory(200 << 10), over_tcp(200 << 10)] {
        assert!(detail.contains("MAX_TRANSCRIPT"), "{detail}");
    }
    // Small messages: the flight cap ends it after 16.
    for detail in [in_memory(100), over_tcp(100)] {
        assert!(
            detail.contains("more than 16 messages before ServerHelloDone"),
            "{detail}"
        );
    }
}
