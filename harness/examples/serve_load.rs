//! A small, bounded load generator for `ci/bench-serve.sh`: loopback only,
//! every loop bounded by a count or a number of seconds, every socket wait
//! by a timeout. It prints one `key=value` line per run.
//!
//! ```text
//! serve_load ADDR handshakes CLIENTS SECONDS  full handshakes (no resumption), CLIENTS threads
//! serve_load ADDR malformed COUNT             COUNT connections in turn, each a malformed ClientHello
//! serve_load ADDR idle COUNT SECONDS          hold COUNT idle TCP connections open
//! serve_load ADDR alerts COUNT                one connection: COUNT warning alerts, no ClientHello
//! serve_load ADDR echo MEGABYTES              one connection: handshake, then echo MEGABYTES
//! ```
#![allow(clippy::unwrap_used)]

use gauntlet_engine::{Connection, Event};
use gauntlet_harness::builtin;
use gauntlet_harness::tcp::TcpSession;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| -> Option<u64> { args.get(i).and_then(|s| s.parse().ok()) };
    let Some(addr) = args.first().and_then(|a| a.parse::<SocketAddr>().ok()) else {
        eprintln!(
            "usage: serve_load ADDR (handshakes N S | malformed N | idle N S | alerts N | echo MB)"
        );
        return ExitCode::from(2);
    };
    if !addr.ip().is_loopback() {
        eprintln!("serve_load: loopback addresses only");
        return ExitCode::from(2);
    }
    let res = match (args.get(1).map(String::as_str), num(2), num(3)) {
        (Some("handshakes"), Some(n), Some(s)) => handshakes(addr, n as usize, s),
        (Some("malformed"), Some(n), _) => malformed(addr, n),
        (Some("idle"), Some(n), Some(s)) => idle(addr, n as usize, s),
        (Some("alerts"), Some(n), _) => alerts(addr, n),
        (Some("echo"), Some(mb), _) => echo(addr, mb),
        _ => Err("unknown mode or missing count".into()),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("serve_load: {e}");
            ExitCode::FAILURE
        }
    }
}

fn connect(addr: SocketAddr) -> Result<TcpStream, String> {
    let s = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    Ok(s)
}

fn client() -> Result<Connection, String> {
    let mut config = builtin::client_config(None, None)?;
    config.transcript = false;
    Connection::client(Arc::new(config), "localhost", builtin::provider(None), None)
        .map_err(|e| e.to_string())
}

/// CLIENTS threads, each connecting, completing a full handshake and
/// hanging up, for SECONDS. Counted: handshakes complete within SECONDS
/// (the rate is theirs over SECONDS); the slowest one's wall time is shown
/// too (a connection the listen backlog dropped waits for a SYN resend).
fn handshakes(addr: SocketAddr, clients: usize, secs: u64) -> Result<(), String> {
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let slowest_ms = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (done, failed, slowest) = (done.clone(), failed.clone(), slowest_ms.clone());
            std::thread::spawn(move || {
                while Instant::now() < end {
                    let t0 = Instant::now();
                    let ok = connect(addr).and_then(|stream| {
                        let mut s = TcpSession::new(client()?, stream, TIMEOUT)
                            .map_err(|e| e.to_string())?;
                        s.handshake().map_err(|e| e.to_string())
                    });
                    let now = Instant::now();
                    slowest.fetch_max((now - t0).as_millis() as usize, Ordering::Relaxed);
                    match ok {
                        Ok(_) if now <= end => done.fetch_add(1, Ordering::Relaxed),
                        Ok(_) => 0,
                        Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    let n = done.load(Ordering::Relaxed);
    println!(
        "mode=handshakes clients={clients} seconds={secs} handshakes={n} failed={} per_second={:.0} slowest_ms={}",
        failed.load(Ordering::Relaxed),
        n as f64 / secs as f64,
        slowest_ms.load(Ordering::Relaxed)
    );
    Ok(())
}

/// A ClientHello of 6 bytes: a version and the start of a random, then
/// nothing (decode_error, RFC 5246 §7.4.1.2).
const MALFORMED: &[u8] = &[
    0x16, 0x03, 0x01, 0x00, 0x0a, // record: handshake, 10 bytes
    0x01, 0x00, 0x00, 0x06, // ClientHello, 6 bytes
    0x03, 0x03, 0x00, 0x00, 0x00, 0x00,
];

fn malformed(addr: SocketAddr, count: u64) -> Result<(), String> {
    let start = Instant::now();
    let mut alerted = 0;
    for _ in 0..count {
        let mut s = connect(addr)?;
        s.write_all(MALFORMED).map_err(|e| e.to_string())?;
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        if got.first() == Some(&0x15) {
            alerted += 1;
        }
    }
    let took = start.elapsed().as_secs_f64();
    println!(
        "mode=malformed connections={count} alerted={alerted} seconds={took:.3} per_second={:.0}",
        count as f64 / took
    );
    Ok(())
}

fn idle(addr: SocketAddr, count: usize, secs: u64) -> Result<(), String> {
    let held: Vec<TcpStream> = (0..count)
        .map(|_| connect(addr))
        .collect::<Result<_, _>>()?;
    println!("mode=idle held={}", held.len());
    std::thread::sleep(Duration::from_secs(secs));
    drop(held);
    Ok(())
}

/// COUNT warning alerts (user_canceled) on one connection, then hang up.
fn alerts(addr: SocketAddr, count: u64) -> Result<(), String> {
    let mut s = connect(addr)?;
    let alert = [0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x5a];
    let batch: Vec<u8> = alert
        .iter()
        .copied()
        .cycle()
        .take(alert.len() * 1024)
        .collect();
    let mut sent = 0u64;
    while sent < count {
        let n = (count - sent).min(1024);
        let Some(part) = batch.get(..alert.len() * n as usize) else {
            break;
        };
        if s.write_all(part).is_err() {
            // The server ended the connection (its flood guard).
            break;
        }
        sent += n;
    }
    println!("mode=alerts offered={count} written_before_close={sent}");
    Ok(())
}

fn echo(addr: SocketAddr, megabytes: u64) -> Result<(), String> {
    let stream = connect(addr)?;
    let mut s = TcpSession::new(client()?, stream, TIMEOUT).map_err(|e| e.to_string())?;
    s.handshake().map_err(|e| e.to_string())?;
    let mut stream = connect_clone(s.stream())?;
    let mut conn = s.conn;
    let chunk = vec![0x61; 64 * 1024];
    let total = megabytes << 20;
    let mut buf = vec![0; 32 * 1024];
    let (mut sent, mut got) = (0u64, 0u64);
    let start = Instant::now();
    while got < total {
        if sent < total && sent - got < 256 << 10 {
            conn.send(&chunk).map_err(|e| e.to_string())?;
            sent += chunk.len() as u64;
            let mut out = Vec::new();
            conn.write_tls(&mut out);
            stream.write_all(&out).map_err(|e| e.to_string())?;
            continue;
        }
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("server hung up after {got} bytes echoed"));
        }
        conn.feed(
            buf.get(..n).unwrap_or_default(),
            gauntlet_harness::tcp::now(),
        );
        while let Some(e) = conn.poll_event() {
            match e {
                Event::ApplicationData(d) => got += d.len() as u64,
                Event::Failed(err) => return Err(err.to_string()),
                _ => {}
            }
        }
    }
    println!(
        "mode=echo megabytes={megabytes} seconds={:.1}",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn connect_clone(s: &TcpStream) -> Result<TcpStream, String> {
    s.try_clone().map_err(|e| e.to_string())
}
