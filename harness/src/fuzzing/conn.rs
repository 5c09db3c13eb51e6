//! The `server` and `client` targets: a whole `Connection` fed fuzzed
//! chunks, and the oracle every chunk sequence must satisfy.

use super::fixtures::{client_connection, server_config, ConnFlags, FuzzCrypto, NOW, SERVER_SEED};
use super::{is_record, sent_alerts, split_chunks};
use gauntlet_engine::codec::{Codec, Reader};
use gauntlet_engine::crypto::{KeySchedule, SuiteParams, CLIENT_FINISHED, SERVER_FINISHED};
use gauntlet_engine::enums::{AlertLevel, ContentType, HandshakeType, ProtocolVersion};
use gauntlet_engine::record::{RecordHeader, MAX_CIPHERTEXT};
use gauntlet_engine::transcript::{Direction, StateId, Step};
use gauntlet_engine::{Connection, Error, Event, Side};

/// The server, first byte [`ConnFlags`], the rest chunks ([`split_chunks`])
/// fed one `feed` each; see [`drive`] for what is checked.
pub fn server(data: &[u8], crypto: FuzzCrypto) -> FuzzOutcome {
    let Some((&flags, rest)) = data.split_first() else {
        return FuzzOutcome::default();
    };
    let mut conn = Connection::server(
        server_config(ConnFlags(flags), crypto),
        crypto.provider(SERVER_SEED),
    );
    drive(&mut conn, &split_chunks(rest), crypto)
}

/// The client (its ClientHello already written), as [`server`].
pub fn client(data: &[u8], crypto: FuzzCrypto) -> FuzzOutcome {
    let Some((&flags, rest)) = data.split_first() else {
        return FuzzOutcome::default();
    };
    let mut conn = client_connection(ConnFlags(flags), crypto);
    drive(&mut conn, &split_chunks(rest), crypto)
}

/// Feeds `chunks` to `conn`, one `feed` each, then (if still open) sends
/// data and closes. Panics unless, throughout:
/// - output stops once the connection failed or closed, and so do events;
/// - `Failed` comes at most once and last, `HandshakeComplete` at most once
///   and before any `ApplicationData`, and both agree with `error()` and
///   `handshake()`;
/// - everything written is whole, well-formed TLS 1.2 records;
/// - a failure sent exactly the one alert `Error::alert` names (none for a
///   received fatal alert), as the last record; no fatal alert otherwise;
///   the alert records on the wire are the alerts in the transcript;
/// - `handshake()` is set only after the peer's ChangeCipherSpec and a
///   Finished whose verify_data we recompute here from the transcript's
///   handshake messages and master secret with `crypto`'s PRF (all zeros
///   with [`FuzzCrypto::NoSecurity`]);
/// - memory stays linear in the input: output and transcript are bounded.
pub fn drive(conn: &mut Connection, chunks: &[&[u8]], crypto: FuzzCrypto) -> FuzzOutcome {
    let mut wire = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    let mut input_len = 0usize;
    conn.write_tls(&mut wire);
    let mut sent_data = false;
    for chunk in chunks {
        let open_before = !conn.is_closed();
        conn.feed(chunk, NOW);
        input_len += chunk.len();
        let mut out = Vec::new();
        conn.write_tls(&mut out);
        let mut new_events = Vec::new();
        while let Some(e) = conn.poll_event() {
            new_events.push(e);
        }
        if !open_before {
            assert!(out.is_empty(), "output after the connection ended");
            assert!(new_events.is_empty(), "events after the connection ended");
        }
        wire.extend_from_slice(&out);
        events.extend(new_events);
        // Once established, our own data must go out sealed.
        if conn.handshake().is_some() && !conn.is_closed() && !sent_data {
            sent_data = true;
            assert!(
                conn.send(b"fuzz").is_ok(),
                "send on an established connection"
            );
            conn.write_tls(&mut wire);
        }
    }
    if !conn.is_closed() {
        conn.close();
        conn.write_tls(&mut wire);
        assert!(conn.send(b"late").is_err(), "send after close_notify");
    } else {
        let mut out = Vec::new();
        conn.close();
        conn.write_tls(&mut out);
        assert!(out.is_empty(), "close() wrote after the connection ended");
    }
    check_events(conn, &events);
    let wire_alerts = check_wire(&wire);
    check_alerts(conn, wire_alerts, &wire);
    check_peer_finished(conn, crypto);
    check_bounded(conn, input_len, wire.len());
    FuzzOutcome {
        established: conn.handshake().is_some(),
        error: conn.error().cloned(),
    }
}

/// How a driven connection ended, for tests of the seeds themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FuzzOutcome {
    pub established: bool,
    pub error: Option<Error>,
}

fn check_events(conn: &Connection, events: &[Event]) {
    let failed = events.iter().position(|e| matches!(e, Event::Failed(_)));
    if let Some(i) = failed {
        assert_eq!(i + 1, events.len(), "events after Failed");
        assert_eq!(
            Some(&events[i]),
            conn.error().cloned().map(Event::Failed).as_ref(),
            "Failed event and error() differ"
        );
    } else {
        assert!(conn.error().is_none(), "error() without a Failed event");
    }
    let complete: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::HandshakeComplete(_)))
        .map(|(i, _)| i)
        .collect();
    assert!(complete.len() <= 1, "HandshakeComplete twice");
    match (complete.first(), conn.handshake()) {
        (Some(&i), Some(h)) => {
            assert_eq!(events[i], Event::HandshakeComplete(h.clone()));
        }
        (None, None) => {}
        _ => panic!("HandshakeComplete event and handshake() disagree"),
    }
    let first_data = events
        .iter()
        .position(|e| matches!(e, Event::ApplicationData(_)));
    if let Some(d) = first_data {
        assert!(
            complete.first().is_some_and(|&c| c < d),
            "application data before HandshakeComplete"
        );
    }
    if let Some(c) = events.iter().position(|e| *e == Event::PeerClosed) {
        assert_eq!(c + 1, events.len(), "events after PeerClosed");
    }
}

/// Parses our output as records; returns how many are alerts.
fn check_wire(wire: &[u8]) -> usize {
    let mut r = Reader::new(wire);
    let mut alerts = 0;
    while r.any_left() {
        let Ok(h) = RecordHeader::read(&mut r) else {
            panic!("partial record header in our output");
        };
        assert_eq!(h.version, ProtocolVersion::TLSv1_2, "our record version");
        assert!(usize::from(h.len) <= MAX_CIPHERTEXT, "our record too long");
        assert!(
            [
                ContentType::ChangeCipherSpec,
                ContentType::Alert,
                ContentType::Handshake,
                ContentType::ApplicationData
            ]
            .contains(&h.typ),
            "our record type {:?}",
            h.typ
        );
        if r.take(usize::from(h.len), "fragment").is_err() {
            panic!("partial record in our output");
        }
        alerts += usize::from(h.typ == ContentType::Alert);
    }
    alerts
}

fn check_alerts(conn: &Connection, wire_alerts: usize, wire: &[u8]) {
    let sent = sent_alerts(conn);
    assert_eq!(
        sent.len(),
        wire_alerts,
        "alert records on the wire vs transcript"
    );
    let fatal: Vec<&&Step> = sent
        .iter()
        .filter(|s| s.bytes.first() == Some(&AlertLevel::Fatal.0))
        .collect();
    match conn.error() {
        Some(err) => {
            let expected = err.alert();
            assert_eq!(
                fatal.len(),
                usize::from(expected.is_some()),
                "fatal alerts sent for {err:?}"
            );
            if let (Some(a), Some(step)) = (expected, fatal.first()) {
                assert_eq!(step.bytes.get(1), Some(&a.0), "alert sent for {err:?}");
                assert_eq!(
                    last_record_type(wire),
                    Some(ContentType::Alert),
                    "the fatal alert is not our last record"
                );
            }
        }
        None => assert!(fatal.is_empty(), "fatal alert sent without failing"),
    }
}

fn last_record_type(wire: &[u8]) -> Option<ContentType> {
    let mut r = Reader::new(wire);
    let mut last = None;
    while let Ok(h) = RecordHeader::read(&mut r) {
        r.take(usize::from(h.len), "fragment").ok()?;
        last = Some(h.typ);
    }
    last
}

/// See [`drive`]: the peer's Finished, recomputed from the transcript.
fn check_peer_finished(conn: &Connection, crypto: FuzzCrypto) {
    let Some(summary) = conn.handshake() else {
        return;
    };
    let steps = conn.transcript().steps();
    let Some(end) = steps
        .iter()
        .position(|s| s.direction == Direction::Local && s.state_after == StateId::Traffic)
    else {
        panic!("established without entering Traffic");
    };
    let steps = &steps[..end];
    // RFC 5246 §7.4.1.1: a client ignores HelloRequest while it negotiates,
    // anywhere in the handshake, and leaves it out of the handshake hash.
    let ignored = |s: &Step| {
        conn.side() == Side::Client
            && s.direction == Direction::Received
            && s.bytes.first() == Some(&HandshakeType::HelloRequest.0)
    };
    let received_hs = |s: &Step| {
        s.direction == Direction::Received && is_record(s, ContentType::Handshake) && !ignored(s)
    };
    let Some(fin) = steps
        .iter()
        .rposition(|s| received_hs(s) && s.bytes.first() == Some(&HandshakeType::Finished.0))
    else {
        panic!("established without the peer's Finished");
    };
    let ccs = steps[..fin].iter().rposition(|s| {
        s.direction == Direction::Received && is_record(s, ContentType::ChangeCipherSpec)
    });
    let last_other = steps[..fin].iter().rposition(received_hs);
    assert!(
        ccs.is_some() && ccs > last_other,
        "peer's Finished not preceded by its ChangeCipherSpec"
    );
    let Some(master) = conn.master_secret() else {
        panic!("established without a master secret");
    };
    let Some(params) = SuiteParams::for_suite(summary.suite) else {
        panic!("established with a suite we do not negotiate");
    };
    let hs: Vec<u8> = steps[..fin]
        .iter()
        .filter(|s| is_record(s, ContentType::Handshake) && !ignored(s))
        .flat_map(|s| s.bytes.iter().copied())
        .collect();
    let label = match conn.side() {
        Side::Server => CLIENT_FINISHED,
        Side::Client => SERVER_FINISHED,
    };
    let expected = KeySchedule::new(crypto.crypto(), params.prf_hash).verify_data(
        master,
        label,
        &params.prf_hash.hash(&hs),
    );
    let got = steps[fin].bytes.get(4..).unwrap_or_default();
    assert!(got == expected, "established with a wrong peer Finished");
    // The server resumed exactly when no ClientKeyExchange went by.
    let cke = steps[..fin].iter().any(|s| {
        is_record(s, ContentType::Handshake)
            && s.bytes.first() == Some(&HandshakeType::ClientKeyExchange.0)
    });
    assert_eq!(summary.resumed, !cke, "resumed flag vs ClientKeyExchange");
}

/// Output and transcript stay linear in the input. The transcript's decoded
/// text is the big factor: `{:#?}` of a one-byte compression method is about
/// 28 bytes.
fn check_bounded(conn: &Connection, input_len: usize, wire_len: usize) {
    const SLACK: usize = 64 * 1024;
    assert!(
        wire_len <= SLACK + 2 * input_len,
        "output {wire_len} for input {input_len}"
    );
    let (bytes, text) = conn.transcript().steps().iter().fold((0, 0), |(b, t), s| {
        (
            b + s.bytes.len(),
            t + s.what.len() + s.decoded.as_ref().map_or(0, String::len),
        )
    });
    assert!(
        bytes <= SLACK + 2 * input_len,
        "transcript bytes {bytes} for input {input_len}"
    );
    assert!(
        text <= SLACK + 64 * input_len,
        "transcript text {text} for input {input_len}"
    );
}
