//! Our client against our server in memory: full and abbreviated handshakes,
//! both suites, EMS on and off, close_notify, application data of every
//! size, fragmented flights, determinism. (Renegotiation refused and
//! HelloRequest, which need a scripted peer, are in
//! harness/tests/engine_handshake.rs.)

mod common;

use common::*;
use gauntlet_engine::enums::{AlertDescription, AlertLevel, ContentType};
use gauntlet_engine::{Event, Pair, Session, SessionCache};
use std::sync::{Arc, Mutex};

fn suites_config(suite: gauntlet_engine::enums::CipherSuite) -> gauntlet_engine::ClientConfig {
    let mut c = client_config();
    c.suites = vec![suite];
    c
}

// RFC 5246 §7.3, RFC 5288 §3: the full handshake with each suite, then data
// both ways.
#[test]
fn completes_a_full_handshake_with_each_suite_and_exchanges_data() {
    for (i, suite) in [AES128, AES256].into_iter().enumerate() {
        let mut p = pair(suites_config(suite), Arc::new(server_config()), i as u8);
        complete(&mut p);
        for side in [&p.client, &p.server] {
            let hs = side.handshake().unwrap();
            assert_eq!(hs.suite, suite);
            assert!(hs.extended_master_secret);
            assert!(!hs.resumed);
            assert_eq!(side.state_name(), "Traffic");
        }
        assert_eq!(p.client.key_log_line(), p.server.key_log_line());
        p.client.send(b"ping").unwrap();
        p.server.send(b"pong").unwrap();
        p.run();
        assert!(p
            .server_events
            .contains(&Event::ApplicationData(b"ping".to_vec())));
        assert!(p
            .client_events
            .contains(&Event::ApplicationData(b"pong".to_vec())));
    }
}

// RFC 7627 §5.1/§5.2: EMS is used exactly when the client offers it and the
// server accepts it; either side may decline and the handshake still works.
#[test]
fn negotiates_extended_master_secret_only_when_both_sides_want_it() {
    for (client_ems, server_ems) in [(true, true), (true, false), (false, true), (false, false)] {
        let mut c = client_config();
        c.extended_master_secret = client_ems;
        let mut s = server_config();
        s.extended_master_secret = server_ems;
        let mut p = pair(c, Arc::new(s), 3);
        complete(&mut p);
        let want = client_ems && server_ems;
        assert_eq!(p.client.handshake().unwrap().extended_master_secret, want);
        assert_eq!(p.server.handshake().unwrap().extended_master_secret, want);
        // Both derived the same master secret (the key log carries it).
        assert_eq!(p.client.key_log_line(), p.server.key_log_line());
    }
}

// RFC 7627 §4: the EMS master secret differs from the RFC 5246 one for the
// same randoms and premaster; both sides agreeing is checked by Finished.
#[test]
fn session_hash_is_logged_only_with_extended_master_secret() {
    for ems in [true, false] {
        let mut c = client_config();
        c.extended_master_secret = ems;
        let mut p = pair(c, Arc::new(server_config()), 4);
        complete(&mut p);
        let logged = p
            .client
            .transcript()
            .steps()
            .iter()
            .any(|s| s.what == "session_hash");
        assert_eq!(logged, ems);
    }
}

fn resume_with(
    server_cfg: &Arc<gauntlet_engine::ServerConfig>,
    client_cfg: gauntlet_engine::ClientConfig,
    session: Option<Session>,
    seed: u8,
) -> Pair {
    Pair::new(
        client(client_cfg, seed, session),
        server(server_cfg.clone(), seed.wrapping_add(100)),
        NOW,
    )
}

// RFC 5246 §7.4.1.2/§7.3 (abbreviated handshake): the second connection
// offers the first's session ID; the server finds it and both resume it.
#[test]
fn resumes_a_session_by_id_with_each_suite() {
    for suite in [AES128, AES256] {
        let s = Arc::new(server_config());
        let mut first = resume_with(&s, suites_config(suite), None, 10);
        complete(&mut first);
        let session = first.client.session().cloned().unwrap();
        assert_eq!(session.id.len(), 32);
        assert_eq!(first.server.session().unwrap().id, session.id);

        let mut second = resume_with(&s, suites_config(suite), Some(session.clone()), 11);
        complete(&mut second);
        for side in [&second.client, &second.server] {
            let hs = side.handshake().unwrap();
            assert!(hs.resumed);
            assert_eq!(hs.suite, suite);
        }
        // Same master secret, new randoms: same session, new keys.
        assert_eq!(second.client.session().unwrap().id, session.id);
        assert_ne!(first.client.key_log_line(), second.client.key_log_line());
        // No certificate and no key exchange in an abbreviated handshake.
        assert!(!second
            .server
            .transcript()
            .steps()
            .iter()
            .any(|s| s.what == "Certificate" || s.what == "ClientKeyExchange"));
        second.client.send(b"again").unwrap();
        second.run();
        assert!(second
            .server_events
            .contains(&Event::ApplicationData(b"again".to_vec())));
    }
}

// RFC 5246 §7.4.1.2: a server that does not find the session ID performs a
// full handshake with a new ID.
#[test]
fn falls_back_to_a_full_handshake_for_an_unknown_session() {
    let s = Arc::new(server_config());
    let mut first = resume_with(&s, client_config(), None, 12);
    complete(&mut first);
    let mut session = first.client.session().cloned().unwrap();
    session.id = vec![0xAA; 32];
    let mut second = resume_with(&s, client_config(), Some(session), 13);
    complete(&mut second);
    assert!(!second.client.handshake().unwrap().resumed);
    assert_ne!(second.client.session().unwrap().id, vec![0xAA; 32]);
}

// The cache is bounded: with capacity 2, a third session evicts the oldest,
// which then no longer resumes.
#[test]
fn session_cache_evicts_the_oldest_entry_at_capacity() {
    let mut cfg = server_config();
    let cache = Arc::new(Mutex::new(SessionCache::new(2)));
    cfg.session_cache = Some(cache.clone());
    let s = Arc::new(cfg);
    let mut sessions = Vec::new();
    for seed in 20..23 {
        let mut p = resume_with(&s, client_config(), None, seed);
        complete(&mut p);
        sessions.push(p.client.session().cloned().unwrap());
    }
    assert_eq!(cache.lock().unwrap().len(), 2);
    assert!(cache.lock().unwrap().get(&sessions[0].id).is_none());
    let mut old = resume_with(&s, client_config(), Some(sessions[0].clone()), 30);
    complete(&mut old);
    assert!(!old.client.handshake().unwrap().resumed);
    let mut newest = resume_with(&s, client_config(), Some(sessions[2].clone()), 31);
    complete(&mut newest);
    assert!(newest.client.handshake().unwrap().resumed);
    // A resumed session is not stored again; the full handshake's new one is.
    assert_eq!(cache.lock().unwrap().len(), 2);
}

// With no cache the server sends an empty session ID: nothing to resume.
#[test]
fn server_without_a_cache_sends_an_empty_session_id() {
    let mut cfg = server_config();
    cfg.session_cache = None;
    let mut p = pair(client_config(), Arc::new(cfg), 32);
    complete(&mut p);
    assert!(p.client.session().unwrap().id.is_empty());
}

// RFC 7627 §5.3, server side: a session made with EMS offered again without
// EMS → the server aborts (handshake_failure, as OpenSSL and BoringSSL do).
#[test]
fn server_refuses_to_resume_an_ems_session_without_ems() {
    let s = Arc::new(server_config());
    let mut first = resume_with(&s, client_config(), None, 40);
    complete(&mut first);
    let session = first.client.session().cloned().unwrap();
    assert!(session.extended_master_secret);
    let mut c = client_config();
    c.extended_master_secret = false;
    let mut second = resume_with(&s, c, Some(session), 41);
    second.run();
    assert_eq!(
        second.server.error().and_then(|e| e.alert()),
        Some(AlertDescription::HandshakeFailure)
    );
    assert_eq!(
        second.client.error(),
        Some(&gauntlet_engine::Error::AlertReceived(
            AlertDescription::HandshakeFailure
        ))
    );
}

// RFC 7627 §5.3, server side: a session made without EMS is not resumed
// when the client now offers EMS: a full handshake makes a new session.
#[test]
fn server_does_a_full_handshake_for_a_non_ems_session_offered_with_ems() {
    let s = Arc::new(server_config());
    let mut c = client_config();
    c.extended_master_secret = false;
    let mut first = resume_with(&s, c, None, 42);
    complete(&mut first);
    let session = first.client.session().cloned().unwrap();
    assert!(!session.extended_master_secret);
    let mut second = resume_with(&s, client_config(), Some(session.clone()), 43);
    complete(&mut second);
    let hs = second.client.handshake().unwrap();
    assert!(!hs.resumed);
    assert!(hs.extended_master_secret);
    assert_ne!(second.client.session().unwrap().id, session.id);
}

// RFC 7627 §5.3, client side: the server resumed our session but the EMS
// state differs from the original → the client aborts (handshake_failure).
// A server is made to do that by giving it the session with the flag flipped.
#[test]
fn client_aborts_a_resumption_whose_ems_state_changed() {
    for original_ems in [true, false] {
        let mut cfg = server_config();
        let cache = Arc::new(Mutex::new(SessionCache::new(8)));
        cfg.session_cache = Some(cache.clone());
        // The server's cached copy says the opposite of the client's.
        let session = Session {
            id: vec![7; 32],
            suite: AES128,
            master_secret: Arc::new(gauntlet_engine::crypto::MasterSecret::from_bytes([9; 48])),
            extended_master_secret: original_ems,
        };
        let mut lying = session.clone();
        lying.extended_master_secret = !original_ems;
        cache.lock().unwrap().insert(lying);
        let mut c = client_config();
        // Offer EMS exactly when the server will resume (it resumes an EMS
        // session only for an EMS offer, and a non-EMS one only without).
        c.extended_master_secret = !original_ems;
        let mut p = resume_with(&Arc::new(cfg), c, Some(session), 44);
        p.run();
        assert_eq!(
            p.client.error().and_then(|e| e.alert()),
            Some(AlertDescription::HandshakeFailure),
            "original_ems={original_ems}"
        );
    }
}

// RFC 5246 §7.2.1: either side closes with close_notify; the other answers
// with its own and reports PeerClosed; nothing more is sent after.
#[test]
fn close_notify_from_either_side_is_answered_with_close_notify() {
    for client_closes in [true, false] {
        let mut p = pair(client_config(), Arc::new(server_config()), 50);
        complete(&mut p);
        let (closer, other) = if client_closes {
            (&mut p.client, &mut p.server)
        } else {
            (&mut p.server, &mut p.client)
        };
        closer.close();
        let bytes = drain(closer);
        assert_eq!(records(&bytes).len(), 1);
        assert!(closer.send(b"late").is_err(), "send after close_notify");
        other.feed(&bytes, NOW);
        assert_eq!(events(other), vec![Event::PeerClosed]);
        assert!(other.is_closed());
        let answer = drain(other);
        assert_eq!(records(&answer).len(), 1, "exactly one close_notify back");
        closer.feed(&answer, NOW);
        assert_eq!(events(closer), vec![Event::PeerClosed]);
        assert!(closer.is_closed());
        assert!(drain(closer).is_empty(), "no second close_notify");
        let step = closer
            .transcript()
            .steps()
            .iter()
            .rev()
            .find(|s| s.what.starts_with("Alert"))
            .unwrap();
        assert_eq!(
            step.bytes,
            [AlertLevel::Warning.0, AlertDescription::CloseNotify.0]
        );
    }
}

// RFC 5246 §6.2.1: zero-length application data records may be sent; they
// arrive as an empty ApplicationData event.
#[test]
fn zero_length_application_data_is_sent_and_delivered() {
    let mut p = pair(client_config(), Arc::new(server_config()), 51);
    complete(&mut p);
    p.client.send(b"").unwrap();
    let bytes = drain(&mut p.client);
    let recs = records(&bytes);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].typ, ContentType::ApplicationData);
    // 8-byte explicit nonce + 16-byte tag around nothing.
    assert_eq!(recs[0].payload.len(), 24);
    p.server.feed(&bytes, NOW);
    assert_eq!(events(&mut p.server), vec![Event::ApplicationData(vec![])]);
}

// RFC 5246 §6.2.1: data above 2^14 is fragmented into records of at most
// 2^14 bytes of plaintext, and arrives whole and in order.
#[test]
fn large_application_data_is_fragmented_and_reassembled() {
    let mut p = pair(client_config(), Arc::new(server_config()), 52);
    complete(&mut p);
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    p.server.send(&data).unwrap();
    let bytes = drain(&mut p.server);
    let recs = records(&bytes);
    assert_eq!(recs.len(), 7); // ceil(100000 / 16384)
    assert!(recs.iter().all(|r| r.payload.len() <= (1 << 14) + 24));
    p.client.feed(&bytes, NOW);
    let got: Vec<u8> = events(&mut p.client)
        .into_iter()
        .flat_map(|e| match e {
            Event::ApplicationData(d) => d,
            other => panic!("unexpected event {other:?}"),
        })
        .collect();
    assert_eq!(got, data);
}

// Data sent before the handshake completes is queued and goes out, in
// order, right after our Finished.
#[test]
fn data_sent_during_the_handshake_is_delivered_after_it() {
    let mut p = pair(client_config(), Arc::new(server_config()), 53);
    p.client.send(b"early-1").unwrap();
    p.client.send(b"early-2").unwrap();
    complete(&mut p);
    let data: Vec<_> = p
        .server_events
        .iter()
        .filter(|e| matches!(e, Event::ApplicationData(_)))
        .cloned()
        .collect();
    assert_eq!(
        data,
        vec![
            Event::ApplicationData(b"early-1".to_vec()),
            Event::ApplicationData(b"early-2".to_vec())
        ]
    );
}

/// Runs a handshake moving bytes in chunks of `chunk` (0: whole flights);
/// returns every byte each side wrote, in order.
fn run_chunked(client_frag: usize, server_frag: usize, chunk: usize) -> (Vec<u8>, Vec<u8>, Pair) {
    let mut c = client_config();
    c.max_fragment = client_frag;
    let mut s = server_config();
    s.max_fragment = server_frag;
    let mut p = pair(c, Arc::new(s), 60);
    let (mut from_client, mut from_server) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let c2s = drain(&mut p.client);
        let s2c = if c2s.is_empty() {
            Vec::new()
        } else {
            feed_chunked(&mut p.server, &c2s, chunk);
            drain(&mut p.server)
        };
        if !s2c.is_empty() {
            feed_chunked(&mut p.client, &s2c, chunk);
        }
        from_client.extend(&c2s);
        from_server.extend(&s2c);
        if c2s.is_empty() && s2c.is_empty() {
            break;
        }
    }
    (from_client, from_server, p)
}

fn feed_chunked(conn: &mut gauntlet_engine::Connection, bytes: &[u8], chunk: usize) {
    if chunk == 0 {
        conn.feed(bytes, NOW);
    } else {
        for c in bytes.chunks(chunk) {
            conn.feed(c, NOW);
        }
    }
}

// RFC 5246 §6.2.1: a flight split into 1-byte records (every handshake
// message spans many records) gives the same handshake; and feeding the
// bytes one at a time changes nothing at all.
#[test]
fn one_byte_records_and_byte_at_a_time_feeding_give_the_same_handshake() {
    let (c0, s0, mut p0) = run_chunked(1 << 14, 1 << 14, 0);
    let (client_events, server_events) = (events(&mut p0.client), events(&mut p0.server));
    assert!(matches!(
        client_events.as_slice(),
        [Event::HandshakeComplete(_)]
    ));

    // Byte-at-a-time feeding: byte-identical output.
    let (c1, s1, _) = run_chunked(1 << 14, 1 << 14, 1);
    assert_eq!((&c1, &s1), (&c0, &s0));

    // 1-byte records from the server, then from the client, then both:
    // each gives the same messages (so the same keys and events).
    for (cf, sf) in [(1 << 14, 1), (1, 1 << 14), (1, 1)] {
        let (c2, s2, mut p2) = run_chunked(cf, sf, 0);
        assert_eq!(p2.client.key_log_line(), p0.client.key_log_line());
        assert_eq!(events(&mut p2.client), client_events, "frags {cf}/{sf}");
        assert_eq!(events(&mut p2.server), server_events, "frags {cf}/{sf}");
        let (sent, fragmented) = if cf == 1 { (&c2, &c0) } else { (&s2, &s0) };
        // Every handshake record now carries one byte (plus 24 bytes of
        // nonce and tag once encrypted).
        assert!(records(sent)
            .iter()
            .filter(|r| r.typ == ContentType::Handshake)
            .all(|r| r.payload.len() == 1 || r.payload.len() == 25));
        assert!(sent.len() > fragmented.len());
        // And byte-at-a-time feeding on top of 1-byte records.
        let (c3, s3, _) = run_chunked(cf, sf, 1);
        assert_eq!((c3, s3), (c2, s2));
    }
}

// Determinism: the engine draws randomness only from its provider, so the
// same seeds give byte-identical output on both sides.
#[test]
fn same_seeds_give_byte_identical_handshakes() {
    let a = run_chunked(1 << 14, 1 << 14, 0);
    let b = run_chunked(1 << 14, 1 << 14, 0);
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
    assert_eq!(
        a.2.client.transcript().render(),
        b.2.client.transcript().render()
    );
    assert_eq!(
        a.2.server.transcript().render(),
        b.2.server.transcript().render()
    );
    // And another seed gives other bytes.
    let mut other = pair(client_config(), Arc::new(server_config()), 61);
    let first = drain(&mut other.client);
    assert_ne!(first, a.0[..first.len().min(a.0.len())].to_vec());
}
