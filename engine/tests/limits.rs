//! The engine's limits against peers that push them (issue 10, "Build" 1):
//! handshake messages up to their per-type caps and one byte past them,
//! message types judged before bodies, and floods of records that make no
//! progress. Each test feeds a `Connection` bytes built with the engine's own
//! codecs and checks its output records and `error()`; each names the RFC
//! clause and the alert expected.

use gauntlet_engine::codec::Codec;
use gauntlet_engine::config::NoVerification;
use gauntlet_engine::crypto::rsa_kx::private_key_from_pem;
use gauntlet_engine::enums::{
    AlertDescription as A, AlertLevel, CipherSuite, Compression, ContentType, ExtensionType,
    HandshakeType, ProtocolVersion,
};
use gauntlet_engine::msgs::{
    AlertMessagePayload, Asn1Cert, CertificatePayload, ClientExtension, ClientHelloPayload,
    HandshakeMessagePayload, HandshakePayload, Random, ServerHelloPayload, SessionId,
};
use gauntlet_engine::record::{
    Deframer, MessageLimits, OpaqueRecord, MAX_CONSECUTIVE_EMPTY_RECORDS,
    MAX_CONSECUTIVE_IGNORED_HELLO_REQUESTS, MAX_CONSECUTIVE_WARNING_ALERTS, MAX_PLAINTEXT,
};
use gauntlet_engine::{
    ClientConfig, Connection, Error, Event, InvalidMessage, Pair, PeerMisbehaved, Provider,
    ServerConfig, UnixTime,
};
use std::sync::{Arc, OnceLock};

/// The test PKI's validation time (vectors/pki/README.md): 2027-01-01.
const NOW: UnixTime = UnixTime(1_798_761_600);
const AES128: CipherSuite = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;

// ---- helpers -------------------------------------------------------------

fn pki(name: &str) -> Vec<u8> {
    let path = format!("{}/../vectors/pki/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn server_config() -> Arc<ServerConfig> {
    static CONFIG: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let pem = String::from_utf8(pki("leaf.key")).unwrap();
            let key = Arc::new(private_key_from_pem(&pem).unwrap());
            Arc::new(ServerConfig::new(
                vec![pki("leaf.der"), pki("int.der")],
                key,
            ))
        })
        .clone()
}

fn server() -> Connection {
    Connection::server(server_config(), Provider::from_seed([7; 32]))
}

/// A client that accepts any chain, its ClientHello already drained.
fn client(config: ClientConfig) -> Connection {
    let mut c = Connection::client(
        Arc::new(config),
        "localhost",
        Provider::from_seed([8; 32]),
        None,
    )
    .unwrap();
    drain(&mut c);
    c
}

fn any_chain_client() -> Connection {
    client(ClientConfig::new(Arc::new(NoVerification)))
}

/// `payload` in plaintext records of at most `size` bytes.
fn records(typ: ContentType, payload: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for part in payload.chunks(size) {
        record(typ, part, &mut out);
    }
    out
}

fn record(typ: ContentType, payload: &[u8], out: &mut Vec<u8>) {
    OpaqueRecord {
        typ,
        version: ProtocolVersion::TLSv1_2,
        payload: payload.to_vec(),
    }
    .encode(out);
}

fn handshake(payload: HandshakePayload) -> Vec<u8> {
    HandshakeMessagePayload::new(payload).get_encoding()
}

/// A message whose header says `typ` and whose body is `body`.
fn with_type(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

fn client_hello(suites: Vec<CipherSuite>, extensions: Vec<ClientExtension>) -> ClientHelloPayload {
    ClientHelloPayload {
        client_version: ProtocolVersion::TLSv1_2,
        random: Random([1; 32]),
        session_id: SessionId(Vec::new()),
        cipher_suites: suites,
        compression_methods: vec![Compression::Null],
        extensions: Some(extensions),
    }
}

/// Every vector at its RFC 5246 §7.4.1.2 ceiling: a 32-byte session_id,
/// 32,767 suites, 255 compression methods, a 65,535-byte extensions block.
fn maximal_client_hello() -> Vec<u8> {
    let mut suites = vec![AES128];
    suites.extend((0..0x7ffe).map(|i| CipherSuite(0x1000 + i)));
    let mut ch = client_hello(
        suites,
        vec![ClientExtension::Unknown {
            typ: ExtensionType(0x1234),
            body: vec![0x5a; 0xffff - 4],
        }],
    );
    ch.session_id = SessionId(vec![9; 32]);
    ch.compression_methods = (0..=254).map(Compression).collect();
    let msg = handshake(HandshakePayload::ClientHello(ch));
    assert_eq!(msg.len(), 4 + 131_396);
    msg
}

fn drain(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    conn.write_tls(&mut out);
    out
}

/// The plaintext records in `bytes` (what a connection sends before its CCS).
fn parse_records(bytes: &[u8]) -> Vec<OpaqueRecord> {
    let mut d = Deframer::new();
    let mut rest = bytes;
    let mut out = Vec::new();
    loop {
        let n = d.read(rest);
        rest = &rest[n..];
        match d.pop().unwrap() {
            Some(r) => out.push(r),
            None if rest.is_empty() => break,
            None => panic!("undecodable output"),
        }
    }
    out
}

/// Feeds `bytes`; the connection must fail with `alert` sent once, as the
/// last record, and nothing after. Returns the error.
fn expect_fatal(conn: &mut Connection, bytes: &[u8], alert: A) -> Error {
    conn.feed(bytes, NOW);
    let err = conn
        .error()
        .cloned()
        .unwrap_or_else(|| panic!("no error; state {}", conn.state_name()));
    assert_eq!(err.alert(), Some(alert), "{err}");
    let out = parse_records(&drain(conn));
    let alerts: Vec<_> = out
        .iter()
        .filter(|r| r.typ == ContentType::Alert)
        .map(|r| AlertMessagePayload::read_bytes(&r.payload).unwrap())
        .collect();
    assert_eq!(
        alerts,
        vec![AlertMessagePayload {
            level: AlertLevel::Fatal,
            description: alert
        }]
    );
    assert_eq!(out.last().map(|r| r.typ), Some(ContentType::Alert));
    err
}

/// Feeds `bytes` to a server; it must answer with its flight and await
/// ClientKeyExchange.
fn expect_server_flight(bytes: &[u8]) {
    let mut srv = server();
    srv.feed(bytes, NOW);
    assert_eq!(srv.error(), None);
    assert_eq!(srv.state_name(), "ExpectClientKeyExchange");
    let types: Vec<_> = parse_records(&drain(&mut srv))
        .iter()
        .map(|r| r.payload[0])
        .collect();
    assert_eq!(types, [2, 11, 14]);
}

fn server_hello() -> Vec<u8> {
    handshake(HandshakePayload::ServerHello(ServerHelloPayload {
        server_version: ProtocolVersion::TLSv1_2,
        random: Random([2; 32]),
        session_id: SessionId(Vec::new()),
        cipher_suite: AES128,
        compression_method: Compression::Null,
        extensions: None,
    }))
}

/// A Certificate message: our leaf, then opaque padding "certificates"
/// making the body exactly `body_len` bytes.
fn certificate_of_len(body_len: usize) -> Vec<u8> {
    let leaf = pki("leaf.der");
    let mut certs = vec![Asn1Cert(leaf.clone())];
    let mut len = 3 + 3 + leaf.len();
    while len < body_len {
        let n = (body_len - len - 3).min(60_000);
        certs.push(Asn1Cert(vec![0x30; n]));
        len += 3 + n;
    }
    let msg = handshake(HandshakePayload::Certificate(CertificatePayload(certs)));
    assert_eq!(msg.len(), 4 + body_len);
    msg
}

fn alert(level: AlertLevel, description: A) -> Vec<u8> {
    let mut out = Vec::new();
    record(
        ContentType::Alert,
        &AlertMessagePayload { level, description }.get_encoding(),
        &mut out,
    );
    out
}

fn established_pair() -> Pair {
    let mut p = Pair::new(
        Connection::client(
            Arc::new(ClientConfig::new(Arc::new(NoVerification))),
            "localhost",
            Provider::from_seed([3; 32]),
            None,
        )
        .unwrap(),
        server(),
        NOW,
    );
    p.run();
    assert!(p.client.handshake().is_some() && p.server.handshake().is_some());
    p
}

// ---- 1. large handshake messages ------------------------------------------

// RFC 5246 §7.4 (length is a uint24) and §7.4.1.2: a ClientHello with every
// vector at its ceiling (131,396 bytes) is legal: answered with the server's
// flight, whether in 2^14-byte records or split over thousands of records.
#[test]
fn server_answers_a_client_hello_with_every_vector_at_its_ceiling() {
    let msg = maximal_client_hello();
    expect_server_flight(&records(ContentType::Handshake, &msg, MAX_PLAINTEXT));
    expect_server_flight(&records(ContentType::Handshake, &msg, 7));
}

// RFC 5246 §7.4.1.2 / §7.4.1.4: 16,383 empty extensions of distinct unknown
// types fill a 65,532-byte block; unknown ones are ignored, and the
// duplicate check over them stays n log n (this runs in milliseconds).
#[test]
fn server_answers_a_client_hello_with_16383_empty_unknown_extensions() {
    let exts = (0..16_383)
        .map(|i| ClientExtension::Unknown {
            typ: ExtensionType(0x1000 + i),
            body: Vec::new(),
        })
        .collect();
    let msg = handshake(HandshakePayload::ClientHello(client_hello(
        vec![AES128],
        exts,
    )));
    expect_server_flight(&records(ContentType::Handshake, &msg, MAX_PLAINTEXT));
    expect_server_flight(&records(ContentType::Handshake, &msg, 1000));
}

// RFC 5246 §7.4.1.2 cipher_suites<2..2^16-2>: 11,000 suites, ours last.
#[test]
fn server_answers_a_client_hello_offering_11000_suites() {
    let mut suites: Vec<_> = (0..10_999).map(|i| CipherSuite(0x1000 + i)).collect();
    suites.push(AES128);
    let msg = handshake(HandshakePayload::ClientHello(client_hello(suites, vec![])));
    expect_server_flight(&records(ContentType::Handshake, &msg, MAX_PLAINTEXT));
    expect_server_flight(&records(ContentType::Handshake, &msg, 333));
}

// A ClientHello declaring one byte more than any legal one can hold is a
// malformed message, refused from its header → decode_error (RFC 5246
// §7.2.2: "the length of the message was incorrect"; OpenSSL sends
// illegal_parameter here, SSL_R_EXCESSIVE_MESSAGE_SIZE).
#[test]
fn server_rejects_a_client_hello_one_byte_past_the_cap_with_decode_error() {
    let mut srv = server();
    // ClientHello, length 0x020145 = 131,397.
    let header = [1, 0x02, 0x01, 0x45];
    let err = expect_fatal(
        &mut srv,
        &records(ContentType::Handshake, &header, 4),
        A::DecodeError,
    );
    assert_eq!(
        err,
        InvalidMessage::HandshakeMessageTooLarge {
            typ: HandshakeType::ClientHello,
            len: 131_397,
            max: MessageLimits::MAX_CLIENT_HELLO,
        }
        .into()
    );
}

// RFC 5246 §7.4.2 certificate_list<0..2^24-1>: a chain over 64 KiB (here
// 90,000 bytes, in 1,000-byte records) within the default 100 KiB cap is
// taken; the client goes on to await ServerHelloDone.
#[test]
fn client_takes_a_90000_byte_certificate_message_within_the_default_cap() {
    expect_certificate_taken(any_chain_client(), 90_000, 1000);
}

/// Feeds `cli` a ServerHello, then a Certificate of `body_len` bytes in
/// records of `size`: it must be taken.
fn expect_certificate_taken(mut cli: Connection, body_len: usize, size: usize) {
    let mut flight = records(ContentType::Handshake, &server_hello(), MAX_PLAINTEXT);
    flight.extend(records(
        ContentType::Handshake,
        &certificate_of_len(body_len),
        size,
    ));
    cli.feed(&flight, NOW);
    assert_eq!(cli.error(), None);
    assert_eq!(cli.state_name(), "ExpectServerHelloDone");
}

// A chain longer than the configured cap (ClientConfig::
// max_certificate_message) is legal but more than we accept: refused from
// its header → illegal_parameter, as OpenSSL and BoringSSL send for a
// message over their max_cert_list (SSL_R_EXCESSIVE_MESSAGE_SIZE). A body
// of exactly the cap is taken.
#[test]
fn client_rejects_a_certificate_message_over_its_configured_cap_with_illegal_parameter() {
    let mut config = ClientConfig::new(Arc::new(NoVerification));
    config.max_certificate_message = 5000;
    expect_certificate_taken(client(config.clone()), 5000, 100);

    let mut cli = client(config);
    let mut flight = records(ContentType::Handshake, &server_hello(), MAX_PLAINTEXT);
    // Only the header and a first fragment: refused before the body.
    flight.extend(records(
        ContentType::Handshake,
        &certificate_of_len(5001)[..100],
        100,
    ));
    let err = expect_fatal(&mut cli, &flight, A::IllegalParameter);
    assert_eq!(
        err,
        InvalidMessage::HandshakeMessageOverLimit {
            typ: HandshakeType::Certificate,
            len: 5001,
            max: 5000,
        }
        .into()
    );
}

// The same with the default cap: 100 KiB + 1 → illegal_parameter.
#[test]
fn client_rejects_a_certificate_message_past_the_default_cap_with_illegal_parameter() {
    let mut cli = any_chain_client();
    let mut flight = records(ContentType::Handshake, &server_hello(), MAX_PLAINTEXT);
    let cert = certificate_of_len(MessageLimits::DEFAULT_MAX_CERTIFICATE + 1);
    flight.extend(records(ContentType::Handshake, &cert[..4], 4));
    let err = expect_fatal(&mut cli, &flight, A::IllegalParameter);
    assert!(matches!(
        err,
        Error::InvalidMessage(InvalidMessage::HandshakeMessageOverLimit { .. })
    ));
}

// ---- 2. the type is judged before the body --------------------------------

/// The error for a handshake message of type `typ` where `expected` is
/// awaited.
fn unexpected(expected: &'static str, typ: u8) -> Error {
    PeerMisbehaved::UnexpectedMessage {
        expected,
        got: ContentType::Handshake,
        handshake: Some(HandshakeType(typ)),
    }
    .into()
}

// RFC 5246 §7.4 and §7.2.2 ("unexpected_message: An inappropriate message
// was received"): a first message of a type the server does not await
// (defined or unassigned) is unexpected_message, even when its body is a
// well-formed ClientHello that does not decode as the type it claims.
#[test]
fn server_rejects_any_first_message_type_but_client_hello_with_unexpected_message() {
    let ch = handshake(HandshakePayload::ClientHello(client_hello(
        vec![AES128],
        vec![],
    )));
    let types = [0u8, 2, 3, 4, 11, 12, 13, 14, 15, 16, 20, 22, 99, 255];
    expect_unexpected_types(server, &ch[4..], &types, "ClientHello");
}

/// For each type in `types`, a fresh connection from `conn` fed one message
/// of that type with `body` must send unexpected_message, awaiting
/// `expected`.
fn expect_unexpected_types(
    conn: fn() -> Connection,
    body: &[u8],
    types: &[u8],
    expected: &'static str,
) {
    for &typ in types {
        let mut c = conn();
        let msg = with_type(typ, body);
        let err = expect_fatal(
            &mut c,
            &records(ContentType::Handshake, &msg, MAX_PLAINTEXT),
            A::UnexpectedMessage,
        );
        assert_eq!(err, unexpected(expected, typ), "type {typ}");
    }
}

// The type is judged from the header alone: a Certificate declaring 2^24-1
// bytes as the first message is unexpected_message, not a length error.
#[test]
fn server_judges_the_type_before_the_declared_length() {
    let mut srv = server();
    let err = expect_fatal(
        &mut srv,
        &records(ContentType::Handshake, &[11, 0xff, 0xff, 0xff], 4),
        A::UnexpectedMessage,
    );
    assert_eq!(err, unexpected("ClientHello", 11));
}

// The same for the client awaiting ServerHello (a HelloRequest aside, which
// it ignores while negotiating: RFC 5246 §7.4.1.1): any other type with a
// ServerHello body is unexpected_message.
#[test]
fn client_rejects_any_message_type_but_server_hello_first_with_unexpected_message() {
    let types = [1u8, 4, 11, 12, 13, 14, 15, 16, 20, 22, 99, 255];
    expect_unexpected_types(
        any_chain_client,
        &server_hello()[4..],
        &types,
        "ServerHello",
    );
}

// ---- 3. floods (CVE-2016-8610) ---------------------------------------------

// CVE-2016-8610 ("SSL death alert"): warning alerts that make no progress
// are bounded; OpenSSL ends the connection at the fifth in a row
// (SSL_R_TOO_MANY_WARN_ALERTS) with unexpected_message, and so do we.
#[test]
fn server_ends_a_run_of_warning_alerts_with_unexpected_message() {
    let mut srv = server();
    let warning = alert(AlertLevel::Warning, A::UserCanceled);
    for _ in 0..MAX_CONSECUTIVE_WARNING_ALERTS {
        srv.feed(&warning, NOW);
    }
    assert_eq!(srv.error(), None);
    assert!(drain(&mut srv).is_empty());
    let err = expect_fatal(&mut srv, &warning, A::UnexpectedMessage);
    assert_eq!(err, PeerMisbehaved::TooManyWarningAlerts.into());
}

// A message that makes progress resets the count: four warnings, the
// ClientHello, four more warnings: still negotiating.
#[test]
fn server_resets_the_warning_count_on_progress() {
    let mut srv = server();
    let warning = alert(AlertLevel::Warning, A::UserCanceled);
    let ch = handshake(HandshakePayload::ClientHello(client_hello(
        vec![AES128],
        vec![],
    )));
    let mut bytes = warning.repeat(MAX_CONSECUTIVE_WARNING_ALERTS);
    bytes.extend(records(ContentType::Handshake, &ch, MAX_PLAINTEXT));
    bytes.extend(warning.repeat(MAX_CONSECUTIVE_WARNING_ALERTS));
    srv.feed(&bytes, NOW);
    assert_eq!(srv.error(), None);
    assert_eq!(srv.state_name(), "ExpectClientKeyExchange");
}

// RFC 5246 §6.2.1: zero-length application data is legal and is taken, but
// OpenSSL bounds a run of empty records (MAX_EMPTY_RECORDS: 32 pass, the
// 33rd is fatal, SSL_R_RECORD_TOO_SMALL) with unexpected_message; so do we.
#[test]
fn server_ends_a_run_of_empty_application_data_records_with_unexpected_message() {
    let mut p = established_pair();
    for _ in 0..MAX_CONSECUTIVE_EMPTY_RECORDS {
        p.client.send(&[]).unwrap();
    }
    p.run();
    assert_eq!(p.server.error(), None);
    // A record with data resets the count.
    p.client.send(b"x").unwrap();
    for _ in 0..MAX_CONSECUTIVE_EMPTY_RECORDS {
        p.client.send(&[]).unwrap();
    }
    p.run();
    assert_eq!(p.server.error(), None);
    p.client.send(&[]).unwrap();
    p.run();
    assert_eq!(
        p.server.error(),
        Some(&PeerMisbehaved::TooManyEmptyRecords.into())
    );
    assert!(p
        .client_events
        .contains(&Event::Failed(Error::AlertReceived(A::UnexpectedMessage))));
}

// RFC 5246 §6.2.1: "Implementations MUST NOT send zero-length fragments of
// Handshake, Alert, or ChangeCipherSpec content types": an empty handshake
// record is refused at once → unexpected_message, so empty handshake
// fragments never form a flood.
#[test]
fn server_rejects_an_empty_handshake_record_at_once_with_unexpected_message() {
    let mut srv = server();
    let mut bytes = Vec::new();
    record(ContentType::Handshake, &[], &mut bytes);
    let err = expect_fatal(&mut srv, &bytes, A::UnexpectedMessage);
    assert_eq!(
        err,
        InvalidMessage::EmptyRecord(ContentType::Handshake).into()
    );
}

// RFC 5246 §7.4.1.1: a negotiating client ignores HelloRequest, but a run
// of them with nothing else is bounded: 32 pass, the 33rd (here all in one
// record) is unexpected_message.
#[test]
fn client_ends_a_run_of_ignored_hello_requests_with_unexpected_message() {
    let mut cli = any_chain_client();
    let hr = handshake(HandshakePayload::HelloRequest);
    cli.feed(
        &records(
            ContentType::Handshake,
            &hr.repeat(MAX_CONSECUTIVE_IGNORED_HELLO_REQUESTS),
            MAX_PLAINTEXT,
        ),
        NOW,
    );
    assert_eq!(cli.error(), None);
    let err = expect_fatal(
        &mut cli,
        &records(ContentType::Handshake, &hr, MAX_PLAINTEXT),
        A::UnexpectedMessage,
    );
    assert_eq!(err, PeerMisbehaved::TooManyIgnoredHelloRequests.into());
}
