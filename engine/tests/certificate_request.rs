//! The client and a server's CertificateRequest (RFC 5246 §7.4.4, §7.4.6),
//! the engine alone: a client `Connection` is fed plaintext server records
//! built with the engine's codec, and its output is read back record by
//! record. Each test names the RFC clause and the alert the client sends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gauntlet_engine::codec::Codec;
use gauntlet_engine::config::PkiVerifier;
use gauntlet_engine::crypto::{MasterSecret, PrfHash};
use gauntlet_engine::enums::{
    AlertDescription, CipherSuite, ClientCertificateType, Compression, ContentType, HandshakeType,
    HashAlgorithm, ProtocolVersion, SignatureAlgorithm,
};
use gauntlet_engine::msgs::{
    Asn1Cert, CertificatePayload, CertificateRequestPayload, DistinguishedName,
    HandshakeMessagePayload, HandshakePayload, Random, RenegotiatedConnection, ServerExtension,
    ServerHelloPayload, SessionId, SignatureAndHashAlgorithm,
};
use gauntlet_engine::record::{Deframer, OpaqueRecord};
use gauntlet_engine::transcript::Direction;
use gauntlet_engine::{
    ClientConfig, Connection, Error, InvalidMessage, PeerMisbehaved, Provider, Session, UnixTime,
};
use std::sync::Arc;

/// The test PKI's validation time (vectors/pki/README.md): 2027-01-01.
const NOW: UnixTime = UnixTime(1_798_761_600);
const SUITE: CipherSuite = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;
const SESSION_ID: [u8; 32] = [0x5e; 32];

fn pki(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../vectors/pki/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("vectors/pki/{name}: {e}"))
}

/// A client trusting the test root, connecting to `localhost`, offering
/// `resume` if given. Its ClientHello is drained and returned.
fn client(resume: Option<Session>) -> (Connection, Vec<u8>) {
    let verifier = PkiVerifier::new(&[pki("root.der")], vec![]).unwrap();
    let config = ClientConfig::new(Arc::new(verifier));
    let mut cli = Connection::client(
        Arc::new(config),
        "localhost",
        Provider::from_seed([7; 32]),
        resume,
    )
    .unwrap();
    let hello = output(&mut cli);
    assert_eq!(hello.len(), 1);
    (cli, hello[0].payload.clone())
}

/// A plaintext TLS 1.2 handshake record carrying `payload`'s message.
fn handshake(payload: HandshakePayload) -> Vec<u8> {
    let mut out = Vec::new();
    OpaqueRecord {
        typ: ContentType::Handshake,
        version: ProtocolVersion::TLSv1_2,
        payload: HandshakeMessagePayload::new(payload).get_encoding(),
    }
    .encode(&mut out);
    out
}

/// A ServerHello for `SUITE` with session id `SESSION_ID`, extended master
/// secret on (as the default ClientConfig offers it).
fn server_hello() -> HandshakePayload {
    HandshakePayload::ServerHello(ServerHelloPayload {
        server_version: ProtocolVersion::TLSv1_2,
        random: Random([0x33; 32]),
        session_id: SessionId(SESSION_ID.to_vec()),
        cipher_suite: SUITE,
        compression_method: Compression::Null,
        extensions: Some(vec![
            ServerExtension::RenegotiationInfo(RenegotiatedConnection(vec![])),
            ServerExtension::ExtendedMasterSecret,
        ]),
    })
}

/// The test chain `leaf.der`, `int.der` (valid for localhost at `NOW`).
fn certificate() -> HandshakePayload {
    HandshakePayload::Certificate(CertificatePayload(vec![
        Asn1Cert(pki("leaf.der")),
        Asn1Cert(pki("int.der")),
    ]))
}

/// A well-formed request naming one issuer (an empty DER Name: not parsed).
fn certificate_request() -> HandshakePayload {
    HandshakePayload::CertificateRequest(CertificateRequestPayload {
        certificate_types: vec![
            ClientCertificateType::RsaSign,
            ClientCertificateType::EcdsaSign,
        ],
        supported_signature_algorithms: vec![SignatureAndHashAlgorithm {
            hash: HashAlgorithm::Sha256,
            signature: SignatureAlgorithm::Rsa,
        }],
        certificate_authorities: vec![DistinguishedName(vec![0x30, 0x00])],
    })
}

/// Everything the client wants to write, split into records by the
/// engine's deframer (payloads as sent: sealed after its ChangeCipherSpec).
fn output(cli: &mut Connection) -> Vec<OpaqueRecord> {
    let mut bytes = Vec::new();
    cli.write_tls(&mut bytes);
    let mut deframer = Deframer::new();
    assert_eq!(
        deframer.read(&bytes),
        bytes.len(),
        "more than one record's worth"
    );
    let out: Vec<OpaqueRecord> = std::iter::from_fn(|| deframer.pop().unwrap()).collect();
    assert_eq!(deframer.buffered(), 0, "a partial record");
    out
}

/// Feeds `records` and checks the client failed with `want` and sent a
/// fatal alert as its last record (RFC 5246 §7.2): in the clear before the
/// client's ChangeCipherSpec, sealed after it (8-byte explicit nonce and
/// 16-byte tag around the two alert bytes, RFC 5288 §3).
fn expect_fatal(cli: &mut Connection, records: &[Vec<u8>], want: AlertDescription) -> Error {
    cli.feed(&records.concat(), NOW);
    let err = cli.error().cloned().expect("client did not fail");
    assert_eq!(err.alert(), Some(want), "{err}");
    let out = output(cli);
    let last = out.last().expect("no alert sent");
    assert_eq!(last.typ, ContentType::Alert);
    let sealed = cli
        .transcript()
        .steps()
        .iter()
        .any(|s| s.direction == Direction::Sent && s.what.starts_with("Alert") && s.protected);
    if sealed {
        assert_eq!(last.payload.len(), 8 + 2 + 16, "sealed alert");
    } else {
        assert_eq!(last.payload, [2, want.0], "fatal {want:?}");
    }
    assert!(cli.handshake().is_none());
    err
}

// RFC 5246 §7.4.6: "This is the first message the client can send after
// receiving a ServerHelloDone message. [...] If no suitable certificate is
// available, the client MUST send a certificate message containing no
// certificates. That is, the certificate_list structure has a length of
// zero." With none sent, no CertificateVerify follows (§7.4.8), and the
// empty Certificate is a handshake message like any other: in the hash
// (§7.4.9), here checked through the RFC 7627 session hash the client logs.
#[test]
fn client_without_certificate_answers_certificate_request_with_empty_certificate() {
    let (mut cli, client_hello) = client(None);
    let flight = [
        handshake(server_hello()),
        handshake(certificate()),
        handshake(certificate_request()),
        handshake(HandshakePayload::ServerHelloDone),
    ];
    cli.feed(&flight.concat(), NOW);
    assert_eq!(cli.error(), None);

    let out = output(&mut cli);
    let types: Vec<ContentType> = out.iter().map(|r| r.typ).collect();
    assert_eq!(
        types,
        [
            ContentType::Handshake,        // Certificate
            ContentType::Handshake,        // ClientKeyExchange
            ContentType::ChangeCipherSpec, // then Finished, sealed
            ContentType::Handshake,
        ]
    );
    // Certificate (type 11), body `00 00 00`: an empty certificate_list.
    assert_eq!(out[0].payload, [11, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00]);
    assert_eq!(out[1].payload[0], HandshakeType::ClientKeyExchange.0);

    // Session hash = Hash(ClientHello .. ClientKeyExchange), RFC 7627 §3.
    let mut hashed = client_hello;
    for record in &flight {
        hashed.extend_from_slice(&record[5..]);
    }
    hashed.extend_from_slice(&out[0].payload);
    hashed.extend_from_slice(&out[1].payload);
    let steps = cli.transcript().steps();
    let logged = steps
        .iter()
        .find(|s| s.direction == Direction::Local && s.what == "session_hash")
        .expect("no session_hash step");
    assert_eq!(logged.bytes, PrfHash::Sha256.hash(&hashed));
    // The request is on record as a local decision, not skipped silently.
    assert!(steps
        .iter()
        .any(|s| s.direction == Direction::Local && s.what.starts_with("certificate requested")));
}

// RFC 5246 §7.4.4: certificate_types<1..2^8-1>, so an empty list is
// malformed: decode_error (§7.2.2, "a message could not be decoded").
#[test]
fn client_rejects_certificate_request_with_empty_certificate_types_with_decode_error() {
    let (mut cli, _) = client(None);
    let HandshakePayload::CertificateRequest(mut req) = certificate_request() else {
        unreachable!()
    };
    req.certificate_types.clear();
    let err = expect_fatal(
        &mut cli,
        &[
            handshake(server_hello()),
            handshake(certificate()),
            handshake(HandshakePayload::CertificateRequest(req)),
        ],
        AlertDescription::DecodeError,
    );
    assert_eq!(
        err,
        Error::InvalidMessage(InvalidMessage::EmptyVector("certificate_types"))
    );
}

// RFC 5246 §7.4.4: nothing follows certificate_authorities; a trailing byte
// is malformed: decode_error.
#[test]
fn client_rejects_certificate_request_with_trailing_byte_with_decode_error() {
    let (mut cli, _) = client(None);
    let mut record = handshake(certificate_request());
    record.push(0);
    // Lengths of the record (bytes 3..5) and of the handshake body (6..9).
    let body = u32::from_be_bytes([0, record[6], record[7], record[8]]) + 1;
    record[6..9].copy_from_slice(&body.to_be_bytes()[1..]);
    let rec = u16::from_be_bytes([record[3], record[4]]) + 1;
    record[3..5].copy_from_slice(&rec.to_be_bytes());
    let err = expect_fatal(
        &mut cli,
        &[handshake(server_hello()), handshake(certificate()), record],
        AlertDescription::DecodeError,
    );
    assert_eq!(
        err,
        Error::InvalidMessage(InvalidMessage::TrailingData("CertificateRequest"))
    );
}

/// The `UnexpectedMessage` error for a CertificateRequest where the client
/// awaited `expected`.
fn unexpected_request(expected: &'static str) -> Error {
    Error::PeerMisbehaved(PeerMisbehaved::UnexpectedMessage {
        expected,
        got: ContentType::Handshake,
        handshake: Some(HandshakeType::CertificateRequest),
    })
}

// RFC 5246 §7.4.4: the request, "if sent", is one message between the
// server's Certificate and ServerHelloDone; a second one is out of order:
// unexpected_message (§7.2.2).
#[test]
fn client_rejects_second_certificate_request_with_unexpected_message() {
    let (mut cli, _) = client(None);
    let err = expect_fatal(
        &mut cli,
        &[
            handshake(server_hello()),
            handshake(certificate()),
            handshake(certificate_request()),
            handshake(certificate_request()),
        ],
        AlertDescription::UnexpectedMessage,
    );
    assert_eq!(err, unexpected_request("ServerHelloDone"));
}

// RFC 5246 §7.4.4: "this message follows the server's Certificate message"
// (RSA key exchange has no ServerKeyExchange): before it, unexpected_message.
#[test]
fn client_rejects_certificate_request_before_server_certificate_with_unexpected_message() {
    let (mut cli, _) = client(None);
    let err = expect_fatal(
        &mut cli,
        &[handshake(server_hello()), handshake(certificate_request())],
        AlertDescription::UnexpectedMessage,
    );
    assert_eq!(err, unexpected_request("Certificate"));
}

// RFC 5246 §7.4.4/§7.4.5: ServerHelloDone ends the server's hello phase; a
// request after it is out of order: unexpected_message. The client has
// already answered ServerHelloDone (its flight is out) and awaits the
// server's ChangeCipherSpec.
#[test]
fn client_rejects_certificate_request_after_server_hello_done_with_unexpected_message() {
    let (mut cli, _) = client(None);
    cli.feed(
        &[
            handshake(server_hello()),
            handshake(certificate()),
            handshake(HandshakePayload::ServerHelloDone),
        ]
        .concat(),
        NOW,
    );
    assert_eq!(cli.error(), None);
    let flight: Vec<ContentType> = output(&mut cli).iter().map(|r| r.typ).collect();
    // No CertificateRequest, so no Certificate: ClientKeyExchange comes first.
    assert_eq!(flight.len(), 3, "{flight:?}");
    let err = expect_fatal(
        &mut cli,
        &[handshake(certificate_request())],
        AlertDescription::UnexpectedMessage,
    );
    assert_eq!(err, unexpected_request("ChangeCipherSpec"));
}

// RFC 5246 §7.3 (abbreviated handshake: ServerHello, then the server's
// ChangeCipherSpec and Finished) and §7.4.4 (the request belongs to a full
// handshake's server flight): in a resumed handshake it is
// unexpected_message.
#[test]
fn client_rejects_certificate_request_in_resumed_handshake_with_unexpected_message() {
    let session = Session {
        id: SESSION_ID.to_vec(),
        suite: SUITE,
        master_secret: Arc::new(MasterSecret::from_bytes([0x4d; 48])),
        extended_master_secret: true,
    };
    let (mut cli, _) = client(Some(session));
    cli.feed(&handshake(server_hello()), NOW);
    assert_eq!(cli.error(), None);
    assert_eq!(cli.state_name(), "ExpectChangeCipherSpec");
    let err = expect_fatal(
        &mut cli,
        &[handshake(certificate_request())],
        AlertDescription::UnexpectedMessage,
    );
    assert_eq!(err, unexpected_request("ChangeCipherSpec"));
}
