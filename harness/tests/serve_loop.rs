//! `serve` cannot be starved (issue 11: with 64 worker threads, 500 idle
//! connections held a real handshake back for 69.5 s): idle connections
//! cost a slot, not a thread, and past `max_concurrent` a connection is
//! closed at once rather than left waiting.
#![allow(clippy::unwrap_used)]

mod serve_common;

use gauntlet_harness::serve::ServeOptions;
use serve_common::{Client, Server};
use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

/// Longer than any wait below: a server that let idle connections hold it
/// would keep them (and starve the others) for this long.
const IDLE: Duration = Duration::from_secs(120);
/// How long a client waits for the server at any read: generous, so a
/// slow machine does not fail the test, and far shorter than `IDLE`.
const WAIT: Duration = Duration::from_secs(20);

fn options() -> ServeOptions {
    ServeOptions {
        timeout: IDLE,
        handshake_timeout: IDLE,
        verbose: false,
        ..ServeOptions::default()
    }
}

#[test]
fn two_hundred_idle_connections_do_not_hold_up_a_handshake() {
    // The default cap on open connections.
    let server = Server::start(options());
    let idle: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    let mut client = Client::connect(server.addr, WAIT);
    client.handshake().unwrap();
    client.echo(b"still served").unwrap();
    drop(idle);
    drop(client);
}

#[test]
fn a_connection_past_max_concurrent_is_closed_at_once_and_its_slot_reused() {
    let server = Server::start(ServeOptions {
        max_concurrent: 3,
        ..options()
    });
    // Three handshakes prove three connections are open on the server.
    let mut open: Vec<Client> = (0..3)
        .map(|_| {
            let mut c = Client::connect(server.addr, WAIT);
            c.handshake().unwrap();
            c
        })
        .collect();
    // The fourth is accepted and closed before any TLS byte.
    let mut extra = TcpStream::connect(server.addr).unwrap();
    extra.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = [0u8; 16];
    match extra.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("the fourth connection got {other:?}, not a close"),
    }
    // One hangs up: its slot serves a new connection (once the server has
    // seen the hang-up; bounded retries).
    drop(open.pop());
    let mut served = false;
    for _ in 0..100 {
        let mut c = Client::connect(server.addr, WAIT);
        if c.handshake().is_ok() {
            c.echo(b"slot reused").unwrap();
            served = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(served, "no connection served after a slot was freed");
    drop(open);
}
