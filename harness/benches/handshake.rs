//! Handshake benchmarks, compared against OpenSSL by `ci/bench.sh`, each
//! with both crypto providers (names end in `_rustcrypto` or `_aws-lc`):
//! full and resumed handshakes in memory (client and server `Connection`s
//! driven by `Pair`, transcripts off), full handshakes over loopback TCP
//! (our client against our server thread), and the server's RSA-2048
//! premaster decryption alone, which `ci/bench.sh` sets against the full
//! handshake to show how much of it is everything but that one private-key
//! operation.
//!
//! Under `cargo bench` it then prints two figures criterion cannot measure:
//! the same split in thread CPU time (`cpu_split`), and the resident memory
//! each established idle connection costs (`idle_connection_memory`).

#![allow(clippy::unwrap_used)] // benchmark setup: a panic is a failure

use criterion::{criterion_group, Criterion};
use gauntlet_engine::crypto::rsa_kx::{
    decrypt_premaster, encrypt_premaster, private_key_from_pem, Premaster,
};
use gauntlet_engine::enums::ProtocolVersion;
use gauntlet_engine::{ClientConfig, Connection, Pair, Provider, ServerConfig, Session, UnixTime};
use gauntlet_harness::builtin;
use gauntlet_harness::builtin::Crypto;
use gauntlet_harness::serve::{serve_one, ServeOptions};
use gauntlet_harness::tcp::TcpSession;
use std::hint::black_box;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Inside the test PKI's validity (vectors/pki/manifest.json).
const NOW: UnixTime = UnixTime(1_798_761_600);

fn configs(crypto: Crypto) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let mut client = builtin::client_config(None, None).unwrap();
    client.transcript = false;
    let mut server = crypto.server_config(None, None).unwrap();
    server.transcript = false;
    (Arc::new(client), Arc::new(server))
}

/// A distinct provider per connection, as a real server would have.
fn provider(n: &mut u64, crypto: Crypto) -> Provider {
    *n += 1;
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&n.to_le_bytes());
    crypto.seeded(seed)
}

/// One handshake in memory; panics unless both sides completed it.
fn handshake(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    resume: Option<Session>,
    n: &mut u64,
    crypto: Crypto,
) -> Pair {
    let c = Connection::client(client.clone(), "localhost", provider(n, crypto), resume).unwrap();
    let s = Connection::server(server.clone(), provider(n, crypto));
    let mut pair = Pair::new(c, s, NOW);
    pair.run();
    assert!(
        pair.client.handshake().is_some() && pair.server.handshake().is_some(),
        "handshake failed: client {:?}, server {:?}",
        pair.client.error(),
        pair.server.error()
    );
    pair
}

fn in_memory(c: &mut Criterion) {
    let mut g = c.benchmark_group("handshake");
    g.sample_size(10);
    for crypto in Crypto::ALL {
        let p = crypto.name();
        let (client, server) = configs(crypto);
        let mut n = 0;
        g.bench_function(format!("full_in_memory_{p}"), |b| {
            b.iter(|| handshake(&client, &server, None, &mut n, crypto))
        });

        let first = handshake(&client, &server, None, &mut n, crypto);
        let session = first.client.session().cloned().unwrap();
        g.bench_function(format!("resumed_in_memory_{p}"), |b| {
            b.iter(|| {
                let pair = handshake(&client, &server, Some(session.clone()), &mut n, crypto);
                assert!(pair.client.handshake().is_some_and(|h| h.resumed));
                pair
            })
        });
    }
    g.finish();
}

/// Our server on a thread, one connection at a time as `openssl s_server`
/// serves `s_time`. It blocks in accept: `serve` polls accept every 5 ms
/// (to notice its stop flag), which would add ~2.5 ms of waiting to every
/// sequential handshake and measure the poll, not the handshake.
fn loopback(c: &mut Criterion) {
    for crypto in Crypto::ALL {
        loopback_with(c, crypto);
    }
}

fn loopback_with(c: &mut Criterion, crypto: Crypto) {
    let mut g = c.benchmark_group("handshake");
    g.sample_size(10);
    let (client, server) = configs(crypto);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let opts = ServeOptions {
        timeout: Duration::from_secs(5),
        verbose: false,
        crypto,
        ..ServeOptions::default()
    };
    let flag = stop.clone();
    let thread = std::thread::spawn(move || {
        let lock = Mutex::new(());
        for stream in listener.incoming() {
            if flag.load(Ordering::Relaxed) {
                break;
            }
            // The client hangs up after its handshake: serve_one ends with EOF.
            let _ = serve_one(stream.unwrap(), server.clone(), &opts, &lock);
        }
    });
    let timeout = Duration::from_secs(5);
    let mut n = 0;
    // As `openssl s_time -new`: connect, handshake, hang up.
    g.bench_function(format!("full_loopback_{}", crypto.name()), |b| {
        b.iter(|| {
            let stream = TcpStream::connect(addr).unwrap();
            let conn =
                Connection::client(client.clone(), "localhost", provider(&mut n, crypto), None)
                    .unwrap();
            let mut s = TcpSession::new(conn, stream, timeout).unwrap();
            s.handshake().unwrap()
        })
    });
    g.finish();
    stop.store(true, Ordering::Relaxed);
    // Wakes the blocking accept so the thread sees `stop`.
    drop(TcpStream::connect(addr));
    thread.join().unwrap();
}

/// The server's RSA-2048 premaster decryption with the server's own key
/// through the server config's backend, so this is exactly the operation
/// inside the full handshake above.
fn server_rsa_decrypt(crypto: Crypto) -> impl FnMut() -> Premaster {
    let key = private_key_from_pem(builtin::LEAF_KEY_PEM).unwrap();
    let backend = crypto.server_config(None, None).unwrap().key;
    let mut rng = Provider::from_seed([9; 32]);
    let pm = Premaster::generate(ProtocolVersion::TLSv1_2, &mut rng);
    let ct = encrypt_premaster(&key.to_public_key(), pm.as_bytes(), &mut rng).unwrap();
    let random = [0u8; 48];
    move || {
        decrypt_premaster(
            &*backend,
            &mut rng,
            black_box(&ct),
            ProtocolVersion::TLSv1_2,
            &random,
        )
    }
}

fn rsa_share(c: &mut Criterion) {
    let mut g = c.benchmark_group("handshake");
    for crypto in Crypto::ALL {
        let mut decrypt = server_rsa_decrypt(crypto);
        g.bench_function(format!("server_rsa_decrypt_{}", crypto.name()), |b| {
            b.iter(&mut decrypt)
        });
    }
    g.finish();
}

/// This thread's time on a CPU, in ns (first field of schedstat).
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// The share of a full handshake that is not the server's RSA operation,
/// in CPU time rather than wall time, so other load on the machine (which
/// stretches criterion's wall-clock samples unevenly) does not skew it.
/// Rounds alternate the two so drift hits both alike.
fn cpu_split(crypto: Crypto) {
    const ROUNDS: u64 = 6;
    const PER_ROUND: u64 = 25;
    let (client, server) = configs(crypto);
    let mut decrypt = server_rsa_decrypt(crypto);
    let mut n = 0;
    let (mut full, mut rsa) = (0u64, 0u64);
    for _ in 0..ROUNDS {
        let Some(t0) = thread_cpu_ns() else { return };
        for _ in 0..PER_ROUND {
            black_box(handshake(&client, &server, None, &mut n, crypto));
        }
        let Some(t1) = thread_cpu_ns() else { return };
        for _ in 0..PER_ROUND {
            black_box(decrypt());
        }
        let Some(t2) = thread_cpu_ns() else { return };
        full += t1 - t0;
        rsa += t2 - t1;
    }
    let count = ROUNDS * PER_ROUND;
    let (full, rsa) = (full as f64 / count as f64, rsa as f64 / count as f64);
    println!(
        "cpu_split {}: {:.1} us full handshake, {:.1} us server RSA decryption, \
         {:.1}% everything but RSA (thread CPU time, {count} of each)",
        crypto.name(),
        full / 1e3,
        rsa / 1e3,
        100.0 * (full - rsa) / full
    );
}

/// Resident set size from /proc/self/statm (pages × page size).
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// RSS growth while `N` established client+server pairs sit idle, per
/// connection. Coarse (the allocator's own slack is in it), but it is what
/// a server pays; no allocator hook is possible without unsafe code.
fn idle_connection_memory() {
    const N: usize = 400;
    let (client, server) = configs(Crypto::default());
    // The cache holds one session per full handshake: keep it out of the
    // per-connection figure.
    let server = Arc::new(ServerConfig {
        session_cache: None,
        ..(*server).clone()
    });
    let mut n = 0;
    // Warm the allocator so its first arenas are not charged to the sample.
    drop(handshake(&client, &server, None, &mut n, Crypto::default()));
    let mut held = Vec::with_capacity(2 * N);
    let Some(before) = rss_bytes() else { return };
    for _ in 0..N {
        let Pair { client, server, .. } =
            handshake(&client, &server, None, &mut n, Crypto::default());
        held.push(client);
        held.push(server);
    }
    let Some(after) = rss_bytes() else { return };
    let per = after.saturating_sub(before) as f64 / held.len() as f64;
    println!(
        "idle_connection_memory: {:.0} bytes per established idle connection \
         (RSS growth over {} client+server connections)",
        per,
        held.len()
    );
    drop(black_box(held));
}

criterion_group!(benches, in_memory, loopback, rsa_share);

/// Whether to print the extra figure `name`: under `cargo bench` (which
/// passes `--bench`), unless criterion is profiling or listing, or a name
/// filter that does not match it was given. Numeric arguments are option
/// values (`--measurement-time 3`), not filters.
fn wants_figure(name: &str) -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let filters: Vec<&String> = args
        .iter()
        .filter(|a| !a.starts_with('-') && a.parse::<f64>().is_err())
        .collect();
    has("--bench")
        && !has("--profile-time")
        && !has("--list")
        && (filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if wants_figure("cpu_split") {
        for crypto in Crypto::ALL {
            cpu_split(crypto);
        }
    }
    if wants_figure("idle_connection_memory") {
        idle_connection_memory();
    }
}
