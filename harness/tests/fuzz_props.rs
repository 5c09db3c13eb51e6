//! Properties the fuzzers rely on, over real handshakes (test PKI, real RSA):
//! fragmentation and input splitting change nothing but framing, and the
//! same seeds give the same bytes. Case counts are modest: each case costs
//! an RSA private operation (~3 ms).
#![allow(clippy::unwrap_used)]

use gauntlet_engine::config::{PkiVerifier, ServerKey};
use gauntlet_engine::crypto::rsa_kx::private_key_from_pem;
use gauntlet_engine::{
    ClientConfig, Connection, Event, HandshakeSummary, Provider, ServerConfig, UnixTime,
};
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};

const T: UnixTime = UnixTime(1_798_761_600);

fn pki(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../vectors/pki/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn server_config(max_fragment: usize) -> Arc<ServerConfig> {
    static KEY: OnceLock<ServerKey> = OnceLock::new();
    let key = KEY
        .get_or_init(|| {
            Arc::new(private_key_from_pem(&String::from_utf8(pki("leaf.key")).unwrap()).unwrap())
        })
        .clone();
    let mut c = ServerConfig::new(vec![pki("leaf.der"), pki("int.der")], key);
    c.max_fragment = max_fragment;
    Arc::new(c)
}

fn client(max_fragment: usize, seed: [u8; 32]) -> Connection {
    let mut c = ClientConfig::new(Arc::new(
        PkiVerifier::new(&[pki("root.der")], vec![]).unwrap(),
    ));
    c.max_fragment = max_fragment;
    Connection::client(Arc::new(c), "localhost", Provider::from_seed(seed), None).unwrap()
}

/// What one run shows: the handshake each side saw, their secrets, every
/// event, and every byte each way (one entry per flight).
#[derive(Debug, PartialEq)]
struct Run {
    client_hs: Option<HandshakeSummary>,
    server_hs: Option<HandshakeSummary>,
    key_log: (Option<String>, Option<String>),
    client_events: Vec<Event>,
    server_events: Vec<Event>,
    c2s: Vec<Vec<u8>>,
    s2c: Vec<Vec<u8>>,
}

/// A full handshake with application data queued both ways, flights moved
/// until both sides are quiet.
fn run(cf: usize, sf: usize, cseed: [u8; 32], sseed: [u8; 32]) -> Run {
    let mut c = client(cf, cseed);
    let mut s = Connection::server(server_config(sf), Provider::from_seed(sseed));
    c.send(b"ping from the client").unwrap();
    s.send(&[0x5a; 3000]).unwrap();
    let (mut c2s, mut s2c) = (Vec::new(), Vec::new());
    let (mut ce, mut se) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        let mut buf = Vec::new();
        c.write_tls(&mut buf);
        if !buf.is_empty() {
            s.feed(&buf, T);
            c2s.push(buf);
        }
        let mut buf = Vec::new();
        s.write_tls(&mut buf);
        if !buf.is_empty() {
            c.feed(&buf, T);
            s2c.push(buf);
        }
        ce.extend(std::iter::from_fn(|| c.poll_event()));
        se.extend(std::iter::from_fn(|| s.poll_event()));
    }
    Run {
        client_hs: c.handshake().cloned(),
        server_hs: s.handshake().cloned(),
        key_log: (c.key_log_line(), s.key_log_line()),
        client_events: ce,
        server_events: se,
        c2s,
        s2c,
    }
}

fn reference() -> &'static Run {
    static R: OnceLock<Run> = OnceLock::new();
    R.get_or_init(|| run(1 << 14, 1 << 14, [1; 32], [2; 32]))
}

fn fragment_size() -> impl Strategy<Value = usize> {
    prop_oneof![1usize..=8, 9usize..=300, 301usize..=(1 << 14)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// RFC 5246 §6.2.1: handshake messages may be fragmented across records
    /// at any size; the handshake, its secrets and the application data must
    /// not depend on it.
    #[test]
    fn any_fragmentation_yields_the_same_handshake(cf in fragment_size(), sf in fragment_size()) {
        let r = run(cf, sf, [1; 32], [2; 32]);
        let reference = reference();
        prop_assert!(r.client_hs.is_some());
        prop_assert_eq!(&r.client_hs, &reference.client_hs);
        prop_assert_eq!(&r.server_hs, &reference.server_hs);
        prop_assert_eq!(&r.key_log, &reference.key_log);
        let data = |events: &[Event]| -> Vec<u8> {
            events.iter().filter_map(|e| match e {
                Event::ApplicationData(d) => Some(d.clone()),
                _ => None,
            }).flatten().collect()
        };
        prop_assert_eq!(data(&r.server_events), b"ping from the client".to_vec());
        prop_assert_eq!(data(&r.client_events), vec![0x5a; 3000]);
    }

    /// The engine is a byte-stream consumer: feeding the client's recorded
    /// bytes to a fresh server (same seed) in any chunking gives the same
    /// events and the same output as feeding whole flights.
    #[test]
    fn any_split_of_the_input_yields_the_same_events(
        cuts in proptest::collection::vec(1usize..400, 1..64),
    ) {
        let reference = reference();
        let input: Vec<u8> = reference.c2s.concat();
        let mut s = Connection::server(server_config(1 << 14), Provider::from_seed([2; 32]));
        s.send(&[0x5a; 3000]).unwrap();
        let mut rest = input.as_slice();
        let mut i = 0;
        while !rest.is_empty() {
            let n = cuts[i % cuts.len()].min(rest.len());
            s.feed(&rest[..n], T);
            rest = &rest[n..];
            i += 1;
        }
        let mut out = Vec::new();
        s.write_tls(&mut out);
        let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
        prop_assert_eq!(&events, &reference.server_events);
        prop_assert_eq!(out, reference.s2c.concat());
    }

    /// Randomness comes only from the injected seed: the same seeds give the
    /// same bytes both ways; another client seed changes the ClientHello.
    #[test]
    fn the_same_seed_yields_the_same_bytes(cseed in any::<[u8; 32]>(), sseed in any::<[u8; 32]>()) {
        let a = run(1 << 14, 1 << 14, cseed, sseed);
        let b = run(1 << 14, 1 << 14, cseed, sseed);
        prop_assert!(a.client_hs.is_some());
        prop_assert_eq!(&a, &b);
        let mut other = cseed;
        other[0] ^= 1;
        let c = run(1 << 14, 1 << 14, other, sseed);
        prop_assert_ne!(&a.c2s[0], &c.c2s[0]);
    }
}
