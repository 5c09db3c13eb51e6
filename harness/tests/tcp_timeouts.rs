//! What `serve` logs when a connection runs out of time (issue 11): "peer
//! sent nothing" only for an idle peer, not for one still dripping bytes.
#![allow(clippy::unwrap_used)]

use gauntlet_harness::builtin;
use gauntlet_harness::serve::{serve_one, ServeOptions};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What `serve_one` reports against `client`, with a 0.5 s idle timeout
/// and a 0.5 s handshake deadline.
fn serve_against(client: impl FnOnce(TcpStream) + Send + 'static) -> String {
    serve_with(
        Duration::from_millis(500),
        Duration::from_millis(500),
        client,
    )
}

/// What `serve_one` reports against `client` with these timeouts.
fn serve_with(
    timeout: Duration,
    handshake_timeout: Duration,
    client: impl FnOnce(TcpStream) + Send + 'static,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let t = std::thread::spawn(move || client(TcpStream::connect(addr).unwrap()));
    let (stream, _) = listener.accept().unwrap();
    let opts = ServeOptions {
        timeout,
        handshake_timeout,
        verbose: false,
        ..ServeOptions::default()
    };
    let config = Arc::new(builtin::server_config(None, None).unwrap());
    let err = serve_one(stream, config, &opts, &Mutex::new(())).unwrap_err();
    t.join().unwrap();
    err.to_string()
}

#[test]
fn a_peer_dripping_a_client_hello_is_not_called_silent() {
    let msg = serve_against(|mut s| {
        // A handshake record header announcing 16 KiB, then a byte every 50 ms.
        s.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]).unwrap();
        for _ in 0..30 {
            std::thread::sleep(Duration::from_millis(50));
            if s.write_all(&[0x01]).is_err() {
                break;
            }
        }
    });
    assert!(!msg.contains("sent nothing"), "{msg}");
    assert!(msg.contains("handshake not complete after 0.5s"), "{msg}");
}

#[test]
fn an_idle_peer_is_called_silent() {
    let msg = serve_against(|s| {
        std::thread::sleep(Duration::from_millis(900));
        drop(s);
    });
    assert_eq!(msg, "peer sent nothing for 0.5s");
}

/// A byte every 50 ms for 1.5 s: never idle for long.
fn drip(mut s: TcpStream) {
    s.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]).unwrap();
    for _ in 0..30 {
        std::thread::sleep(Duration::from_millis(50));
        if s.write_all(&[0x01]).is_err() {
            break;
        }
    }
}

#[test]
fn the_handshake_deadline_is_separate_from_the_idle_timeout() {
    // Idle timeout 30 s, handshake deadline 0.5 s: the deadline ends it.
    let msg = serve_with(Duration::from_secs(30), Duration::from_millis(500), drip);
    assert_eq!(msg, "handshake not complete after 0.5s");
}
