//! Our server against a scripted client that misbehaves: every unexpected
//! message in every state, record-layer faults, bad ClientHellos, bad
//! Finished, bad premasters, peer alerts. Each test names the RFC clause
//! and the alert the server must send (exactly once, then silence).

mod common;

use common::*;
use gauntlet_engine::codec::Codec;
use gauntlet_engine::enums::{
    AlertDescription as A, AlertLevel, CipherSuite, Compression, ContentType, ExtensionType,
    HandshakeType, ProtocolVersion,
};
use gauntlet_engine::msgs::{
    ClientExtension, ClientKeyExchangePayload, EncryptedPreMasterSecret, HandshakePayload,
    RenegotiatedConnection,
};
use gauntlet_engine::{Error, Event, InvalidMessage, PeerMisbehaved};
use std::sync::Arc;

/// What the server must accept in `stage` (everything else is unexpected).
fn accepted(stage: ServerStage, m: Inject) -> bool {
    use ServerStage as S;
    match (stage, m) {
        (S::ExpectClientHello, Inject::Handshake(HandshakeType::ClientHello)) => true,
        (S::ExpectClientKeyExchange, Inject::Handshake(HandshakeType::ClientKeyExchange)) => true,
        (S::ExpectChangeCipherSpec | S::ResumedExpectChangeCipherSpec, Inject::Ccs) => true,
        // A Finished is expected here: a wrong one is decrypt_error, tested below.
        (
            S::ExpectFinished | S::ResumedExpectFinished,
            Inject::Handshake(HandshakeType::Finished),
        ) => true,
        // Application data flows; a ClientHello is refused with a warning.
        (S::Traffic, Inject::AppData | Inject::EmptyAppData) => true,
        (S::Traffic, Inject::Handshake(HandshakeType::ClientHello)) => true,
        _ => false,
    }
}

// RFC 5246 §7.3/§7.4 (the handshake's message order) and §7.2.2: a message
// that is not the one the state awaits gets a fatal unexpected_message,
// in every state of a full and an abbreviated handshake, including CCS and
// application data too early. One alert record, then the connection is dead.
#[test]
fn server_rejects_every_unexpected_message_in_every_state() {
    let mut checked = 0;
    for stage in ServerStage::ALL {
        for m in Inject::all() {
            if accepted(stage, m) {
                continue;
            }
            let (mut srv, mut peer) = server_at(stage, 1);
            let bytes = m.send(&mut peer);
            let err = expect_fatal(&mut srv, &mut peer, &bytes, A::UnexpectedMessage);
            assert!(
                matches!(err, Error::PeerMisbehaved(_)),
                "{stage:?} {m:?}: {err}"
            );
            checked += 1;
        }
    }
    // 7 stages × 16 messages, less the 9 each stage accepts.
    assert_eq!(checked, 7 * 16 - 9);
}

// RFC 5246 §7.1 and CVE-2014-0224 (early CCS injection): a CCS before
// ClientKeyExchange, when there are no keys to switch to, is
// unexpected_message, not a key change.
#[test]
fn server_rejects_change_cipher_spec_before_client_key_exchange() {
    let (mut srv, mut peer) = server_at(ServerStage::ExpectClientKeyExchange, 2);
    let ccs = peer
        .send_record(ContentType::ChangeCipherSpec, &[1])
        .unwrap();
    let err = expect_fatal(&mut srv, &mut peer, &ccs, A::UnexpectedMessage);
    assert_eq!(err, PeerMisbehaved::EarlyChangeCipherSpec.into());
}

// RFC 5246 §7.4.9: application data is not allowed before Finished, even
// encrypted under the new keys → unexpected_message.
#[test]
fn server_rejects_application_data_before_finished() {
    let (mut srv, mut peer) = server_at(ServerStage::ExpectFinished, 3);
    let data = peer.send_app_data(b"too soon").unwrap();
    let err = expect_fatal(&mut srv, &mut peer, &data, A::UnexpectedMessage);
    assert_eq!(err, PeerMisbehaved::ApplicationDataBeforeFinished.into());
}

// RFC 5246 §7.4.9: "Recipients of Finished messages MUST verify that the
// contents are correct" → decrypt_error (§7.2.2: "a handshake cryptographic
// operation failed, including being unable to ... validate a finished
// message"). Any single flipped bit.
#[test]
fn server_rejects_finished_with_a_flipped_bit_with_decrypt_error() {
    for bit in [0, 7, 45, 95] {
        let (mut srv, mut peer) = server_at(ServerStage::ExpectFinished, 4);
        let HandshakePayload::Finished(mut vd) = peer.finished_payload().unwrap() else {
            unreachable!()
        };
        vd[bit / 8] ^= 1 << (bit % 8);
        let bytes = peer.send_hs(hs(HandshakePayload::Finished(vd))).unwrap();
        let err = expect_fatal(&mut srv, &mut peer, &bytes, A::DecryptError);
        assert_eq!(err, PeerMisbehaved::BadFinished.into());
    }
}

// RFC 5246 §7.4.9: verify_data is `opaque verify_data[verify_data_length]`,
// 12 bytes for our suites: a Finished of another length does not decode as
// the structure → decode_error (§7.2.2: "the length of the message was
// incorrect"). OpenSSL (tls_process_finished: SSL_R_BAD_DIGEST_LENGTH) and
// LibreSSL do the same; only a 12-byte value that differs is decrypt_error.
#[test]
fn server_rejects_finished_of_the_wrong_length_with_decode_error() {
    for len in [0usize, 11, 13, 48] {
        let (mut srv, mut peer) = server_at(ServerStage::ExpectFinished, 5);
        let HandshakePayload::Finished(good) = peer.finished_payload().unwrap() else {
            unreachable!()
        };
        // The right prefix, so only the length is wrong.
        let vd: Vec<u8> = good.iter().copied().cycle().take(len).collect();
        let bytes = peer.send_hs(hs(HandshakePayload::Finished(vd))).unwrap();
        let err = expect_fatal(&mut srv, &mut peer, &bytes, A::DecodeError);
        assert!(matches!(err, Error::InvalidMessage(_)), "{len}: {err}");
    }
}

// RFC 5246 §6.2.3.3 (AEAD): a record that does not authenticate is
// bad_record_mac. A flipped bit anywhere in the protected Finished record
// (explicit nonce, ciphertext, tag), or in the header's content type (part
// of the additional data), fails it.
#[test]
fn server_rejects_a_flipped_bit_in_any_encrypted_byte_with_bad_record_mac() {
    let (_, mut probe) = server_at(ServerStage::ExpectFinished, 6);
    let len = probe.send_finished().unwrap().len();
    assert_eq!(len, 5 + 8 + 16 + 16);
    // Every byte after the header, and the content type byte.
    for pos in (0..1).chain(5..len) {
        let (mut srv, mut peer) = server_at(ServerStage::ExpectFinished, 6);
        let mut bytes = peer.send_finished().unwrap();
        bytes[pos] ^= 0x01; // type 22 → 23 (still a valid type) at pos 0
        let err = expect_fatal(&mut srv, &mut peer, &bytes, A::BadRecordMac);
        assert_eq!(err, PeerMisbehaved::BadRecordMac.into(), "byte {pos}");
    }
    // And in application data once established.
    let (mut srv, mut peer) = server_at(ServerStage::Traffic, 7);
    let mut bytes = peer.send_app_data(b"hello").unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x80;
    expect_fatal(&mut srv, &mut peer, &bytes, A::BadRecordMac);
}

// RFC 5246 §6.2.3.3: a protected record too short to hold the explicit
// nonce and the tag cannot authenticate → bad_record_mac.
#[test]
fn server_rejects_a_protected_record_shorter_than_nonce_and_tag() {
    for len in [0usize, 1, 23] {
        let (mut srv, mut peer) = server_at(ServerStage::ExpectFinished, 8);
        let bytes = record(
            ContentType::Handshake,
            ProtocolVersion::TLSv1_2,
            &vec![0; len],
        );
        expect_fatal(&mut srv, &mut peer, &bytes, A::BadRecordMac);
    }
}

// RFC 5246 §6.2.1: TLSPlaintext.length MUST NOT exceed 2^14; §6.2.3: a
// TLSCiphertext MUST NOT exceed 2^14 + 2048 → record_overflow. Judged
// from the header (plaintext, ciphertext), or after decryption for a valid
// record whose plaintext is 2^14 + 1 bytes.
#[test]
fn server_rejects_oversized_records_with_record_overflow() {
    let (mut srv, mut peer) = server_at(ServerStage::ExpectClientHello, 9);
    let header = [ContentType::Handshake.0, 3, 3, 0x40, 0x01];
    let err = expect_fatal(&mut srv, &mut peer, &header, A::RecordOverflow);
    assert_eq!(err, InvalidMessage::PlaintextRecordTooLarge(0x4001).into());

    let (mut srv, mut peer) = server_at(ServerStage::ExpectFinished, 10);
    let len = (1u16 << 14) + 2048 + 1;
    let mut header = vec![ContentType::Handshake.0, 3, 3];
    header.extend(len.to_be_bytes());
    let err = expect_fatal(&mut srv, &mut peer, &header, A::RecordOverflow);
    assert_eq!(
        err,
        InvalidMessage::CiphertextRecordTooLarge(len.into()).into()
    );

    let (mut srv, mut peer) = server_at(ServerStage::Traffic, 11);
    let sealed = peer
        .write
        .as_mut()
        .unwrap()
        .seal(
            ContentType::ApplicationData.0,
            ProtocolVersion::TLSv1_2.0,
            &vec![0x61; (1 << 14) + 1],
            None,
        )
        .unwrap();
    let bytes = record(
        ContentType::ApplicationData,
        ProtocolVersion::TLSv1_2,
        &sealed,
    );
    let err = expect_fatal(&mut srv, &mut peer, &bytes, A::RecordOverflow);
    assert_eq!(
        err,
        InvalidMessage::PlaintextRecordTooLarge((1 << 14) + 1).into()
    );
}

// RFC 5246 Appendix E.1: after the hellos every record carries the
// negotiated version (3,3); another version → protocol_version (what
// BoringSSL and OpenSSL send for a record version mismatch).
#[test]
fn server_rejects_a_record_with_another_version_after_the_hellos() {
    for v in [0x0301, 0x0302, 0x0304, 0x0300] {
        let (mut srv, mut peer) = server_at(ServerStage::ExpectClientKeyExchange, 12);
        peer.record_version = ProtocolVersion(v);
        let bytes = peer.send_client_key_exchange().unwrap();
        let err = expect_fatal(&mut srv, &mut peer, &bytes, A::ProtocolVersion);
        assert_eq!(
            err,
            InvalidMessage::BadRecordVersion(ProtocolVersion(v)).into()
        );
    }
}

// RFC 5246 Appendix E.1: the first ClientHello may come in any 3.x record
// (OpenSSL and NSS use 0x0301); the handshake then completes.
#[test]
fn server_accepts_the_client_hello_in_any_tls_record_version() {
    for v in [0x0300, 0x0301, 0x0302, 0x0303, 0x03ff] {
        let mut srv = server(Arc::new(server_config()), 13);
        let mut peer = Peer::new(Role::Client, 14);
        peer.record_version = ProtocolVersion(v);
        let ch = peer.default_client_hello();
        let bytes = peer.send_client_hello(ch).unwrap();
        exchange(&mut srv, &mut peer, &bytes);
        assert_eq!(srv.state_name(), "ExpectClientKeyExchange", "{v:#06x}");
    }
}

// RFC 5246 §6 ("If a TLS implementation receives an unexpected record
// type, it MUST send an unexpected_message alert"): heartbeat (24, not
// negotiated) and unassigned types, in plaintext and protected states.
#[test]
fn server_rejects_unknown_content_types_with_unexpected_message() {
    for (stage, typ) in [
        (ServerStage::ExpectClientHello, 24u8),
        (ServerStage::ExpectClientHello, 0x80),
        (ServerStage::ExpectClientHello, 0),
        (ServerStage::Traffic, 24),
        (ServerStage::Traffic, 99),
    ] {
        let (mut srv, mut peer) = server_at(stage, 15);
        let bytes = record(ContentType(typ), ProtocolVersion::TLSv1_2, &[1, 2, 3]);
        let err = expect_fatal(&mut srv, &mut peer, &bytes, A::UnexpectedMessage);
        assert_eq!(
            err,
            InvalidMessage::UnknownContentType(ContentType(typ)).into()
        );
    }
}

// RFC 5246 §6.2.1: "Implementations MUST NOT send zero-length fragments of
// Handshake, Alert, or ChangeCipherSpec content types" → unexpected_message.
#[test]
fn server_rejects_empty_handshake_alert_and_ccs_records() {
    for typ in [
        ContentType::Handshake,
        ContentType::Alert,
        ContentType::ChangeCipherSpec,
    ] {
        let (mut srv, mut peer) = server_at(ServerStage::ExpectClientHello, 16);
        let bytes = record(typ, ProtocolVersion::TLSv1_2, &[]);
        let err = expect_fatal(&mut srv, &mut peer, &bytes, A::UnexpectedMessage);
        assert_eq!(err, InvalidMessage::EmptyRecord(typ).into());
    }
}

/// A server and a client peer that sends `edit`ed default ClientHello.
fn hello(
    edit: impl FnOnce(&mut gauntlet_engine::msgs::ClientHelloPayload),
) -> (gauntlet_engine::Connection, Peer, Vec<u8>) {
    let srv = server(Arc::new(server_config()), 17);
    let mut peer = Peer::new(Role::Client, 18);
    let mut ch = peer.default_client_hello();
    edit(&mut ch);
    let bytes = peer.send_client_hello(ch).unwrap();
    (srv, peer, bytes)
}

// RFC 5246 Appendix E.1: a client_version below 3.3 is a version we do not
// support → protocol_version.
#[test]
fn server_rejects_client_versions_below_tls12_with_protocol_version() {
    for v in [0x0302, 0x0301, 0x0300, 0x0200] {
        let (mut srv, mut peer, bytes) = hello(|ch| ch.client_version = ProtocolVersion(v));
        let err = expect_fatal(&mut srv, &mut peer, &bytes, A::ProtocolVersion);
        assert_eq!(
            err,
            PeerMisbehaved::UnsupportedVersion(ProtocolVersion(v)).into()
        );
    }
}

// RFC 5246 Appendix E.1: a higher client_version gets the server's highest,
// 3.3; and the premaster carries the ClientHello version (RFC 5246
// §7.4.7.1), so a client offering 3.4 completes with a 3.4 premaster.
#[test]
fn server_negotiates_tls12_for_higher_client_versions() {
    for v in [0x0304, 0x0305, 0x0400, 0x03ff] {
        let (mut srv, mut peer, bytes) = hello(|ch| ch.client_version = ProtocolVersion(v));
        let got = exchange(&mut srv, &mut peer, &bytes);
        let Some(Got::Handshake(sh)) = got.first() else {
            panic!("{got:?}")
        };
        let HandshakePayload::ServerHello(sh) = &sh.payload else {
            panic!("{sh:?}")
        };
        assert_eq!(sh.server_version, ProtocolVersion::TLSv1_2);
        let mut flight = peer.send_client_key_exchange().unwrap();
        flight.extend(peer.send_ccs().unwrap());
        flight.extend(peer.send_finished().unwrap());
        exchange(&mut srv, &mut peer, &flight);
        assert_eq!(
            srv.handshake().map(|h| h.version),
            Some(ProtocolVersion::TLSv1_2)
        );
    }
}

// RFC 7507 §3: TLS_FALLBACK_SCSV with a client_version below our highest
// → inappropriate_fallback (before protocol_version). With 3.3 it is fine.
#[test]
fn server_rejects_fallback_scsv_below_tls12_with_inappropriate_fallback() {
    let scsv = |v: u16| {
        move |ch: &mut gauntlet_engine::msgs::ClientHelloPayload| {
            ch.client_version = ProtocolVersion(v);
            ch.cipher_suites.push(CipherSuite::TLS_FALLBACK_SCSV);
        }
    };
    for v in [0x0302, 0x0301] {
        let (mut srv, mut peer, bytes) = hello(scsv(v));
        let err = expect_fatal(&mut srv, &mut peer, &bytes, A::InappropriateFallback);
        assert_eq!(err, PeerMisbehaved::InappropriateFallback.into());
    }
    let (mut srv, mut peer, bytes) = hello(scsv(0x0303));
    exchange(&mut srv, &mut peer, &bytes);
    assert_eq!(srv.state_name(), "ExpectClientKeyExchange");
}

// RFC 5246 §7.4.1.3: no acceptable suite → handshake_failure.
#[test]
fn server_rejects_a_hello_without_a_common_suite_with_handshake_failure() {
    for suites in [
        vec![CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA],
        vec![
            CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
            CipherSuite::TLS_FALLBACK_SCSV,
        ],
        vec![CipherSuite(0xfafa)],
    ] {
        let (mut srv, mut peer, bytes) = hello(|ch| ch.cipher_suites = suites);
        let err = expect_fatal(&mut srv, &mut peer, &bytes, A::HandshakeFailure);
        assert_eq!(err, PeerMisbehaved::NoCommonCipherSuite.into());
    }
    // A server configured for AES-256 only and a client offering AES-128 only.
    let mut cfg = server_config();
    cfg.suites = vec![AES256];
    let mut srv = server(Arc::new(cfg), 19);
    let mut peer = Peer::new(Role::Client, 20);
    let mut ch = peer.default_client_hello();
    ch.cipher_suites = vec![AES128];
    let bytes = peer.send_client_hello(ch).unwrap();
    expect_fatal(&mut srv, &mut peer, &bytes, A::HandshakeFailure);
}

// RFC 5246 §7.4.1.2: compression_methods "MUST contain ... null". Its
// absence is a field value the RFC forbids → illegal_parameter, as
// BoringSSL sends (SSL_R_INVALID_COMPRESSION_LIST); OpenSSL sends
// decode_error (SSL_R_NO_COMPRESSION_SPECIFIED). The message decodes, so
// we follow the alert the RFC defines for a forbidden field value.
#[test]
fn server_rejects_a_hello_without_null_compression_with_illegal_parameter() {
    let (mut srv, mut peer, bytes) =
        hello(|ch| ch.compression_methods = vec![Compression::Deflate]);
    let err = expect_fatal(&mut srv, &mut peer, &bytes, A::IllegalParameter);
    assert_eq!(err, PeerMisbehaved::NullCompressionNotOffered.into());
    // Null among others is fine (we choose it).
    let (mut srv, mut peer, bytes) =
        hello(|ch| ch.compression_methods = vec![Compression::Deflate, Compression::Null]);
    exchange(&mut srv, &mut peer, &bytes);
}

// RFC 5746 §3.6: on an initial handshake renegotiated_connection must be
// empty, else "MUST abort the handshake" (handshake_failure, §3.6 / §4).
#[test]
fn server_rejects_non_empty_renegotiation_info_in_an_initial_hello() {
    let (mut srv, mut peer, bytes) = hello(|ch| {
        for e in ch.extensions.iter_mut().flatten() {
            if let ClientExtension::RenegotiationInfo(ri) = e {
                *ri = RenegotiatedConnection(vec![0; 12]);
            }
        }
    });
    let err = expect_fatal(&mut srv, &mut peer, &bytes, A::HandshakeFailure);
    assert_eq!(err, PeerMisbehaved::RenegotiationInfoMismatch.into());
}

// RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of the same
// type." The RFC names no alert; OpenSSL (tls_collect_extensions) and
// BoringSSL (ssl_parse_extensions, "Duplicate ext_types are forbidden")
// send illegal_parameter, and so do we: the codec rejects the hello with
// DuplicateExtension, mapped to illegal_parameter.
#[test]
fn server_rejects_duplicate_extensions_with_illegal_parameter() {
    for dup in [
        ClientExtension::ExtendedMasterSecret,
        ClientExtension::Unknown {
            typ: ExtensionType(0xfafa),
            body: vec![],
        },
    ] {
        let (mut srv, mut peer, bytes) = hello(|ch| {
            let exts = ch.extensions.get_or_insert_with(Vec::new);
            exts.push(dup.clone());
            exts.push(dup.clone());
        });
        let err = expect_fatal(&mut srv, &mut peer, &bytes, A::IllegalParameter);
        assert!(matches!(
            err,
            Error::InvalidMessage(InvalidMessage::DuplicateExtension(_))
        ));
    }
}

// RFC 5246 §7.4.1.2 and §4.3: a ClientHello with bytes after its extensions
// (or a truncated one) does not decode → decode_error.
#[test]
fn server_rejects_malformed_client_hello_bytes_with_decode_error() {
    let mut peer = Peer::new(Role::Client, 21);
    let ch = peer.default_client_hello();
    let good = hs(HandshakePayload::ClientHello(ch)).get_encoding();
    let body_len = good.len() - 4;
    // A trailing byte inside the declared length; a declared length one
    // short of the body; an extension block length one too long.
    let mut trailing = good.clone();
    trailing.push(0);
    trailing[1..4].copy_from_slice(&((body_len + 1) as u32).to_be_bytes()[1..]);
    let mut short = good.clone();
    short.pop();
    short[1..4].copy_from_slice(&((body_len - 1) as u32).to_be_bytes()[1..]);
    for bytes in [trailing, short] {
        let mut srv = server(Arc::new(server_config()), 22);
        let wire = peer.send_record(ContentType::Handshake, &bytes).unwrap();
        let err = expect_fatal(&mut srv, &mut peer, &wire, A::DecodeError);
        assert!(matches!(err, Error::InvalidMessage(_)));
    }
}

// Design (RFC 8446 §5.1, as BoringSSL enforces for TLS 1.2 too): a handshake
// message split across records must not be interleaved with another record
// type; a CCS or alert between the pieces → unexpected_message.
#[test]
fn server_rejects_ccs_or_alert_inside_a_fragmented_handshake_message() {
    for between in [
        record(
            ContentType::ChangeCipherSpec,
            ProtocolVersion::TLSv1_2,
            &[1],
        ),
        record(ContentType::Alert, ProtocolVersion::TLSv1_2, &[1, 0]),
        record(ContentType::Alert, ProtocolVersion::TLSv1_2, &[2, 40]),
        record(ContentType::ApplicationData, ProtocolVersion::TLSv1_2, b"x"),
    ] {
        let (mut srv, mut peer) = server_at(ServerStage::ExpectClientKeyExchange, 23);
        peer.max_fragment = 100;
        let cke = peer.send_client_key_exchange().unwrap();
        let first = records(&cke).remove(0);
        let mut bytes = record(first.typ, first.version, &first.payload);
        bytes.extend(&between);
        let err = expect_fatal(&mut srv, &mut peer, &bytes, A::UnexpectedMessage);
        assert!(matches!(
            err,
            Error::InvalidMessage(InvalidMessage::InterleavedHandshake(_))
        ));
    }
}

/// Sends `cke_ciphertext` as ClientKeyExchange (keys derived from `pm`
/// as the client believes), checks the server says nothing, then sends
/// CCS + Finished and returns the server's alert.
fn premaster_outcome(pm: &[u8], ciphertext: Option<Vec<u8>>, seed: u8) -> (A, Error) {
    let (mut srv, mut peer) = server_at(ServerStage::ExpectClientKeyExchange, seed);
    let key = gauntlet_engine::pki::leaf_public_key(&pki("leaf.der")).unwrap();
    let ct =
        ciphertext.unwrap_or_else(|| key.pkcs1v15_encrypt_with_rng(&mut peer.rng, pm).unwrap());
    let cke = peer
        .send_hs(hs(HandshakePayload::ClientKeyExchange(
            ClientKeyExchangePayload::from_rsa(&EncryptedPreMasterSecret(ct)),
        )))
        .unwrap();
    // What the client thinks the premaster is (48 bytes, padded if not).
    let mut mine = [0u8; 48];
    for (m, p) in mine.iter_mut().zip(pm) {
        *m = *p;
    }
    peer.derive(&gauntlet_engine::crypto::Premaster::from_bytes(mine))
        .unwrap();
    // RFC 5246 §7.4.7.1: "MUST NOT generate an alert if processing an
    // RSA-encrypted premaster secret message fails": silence, no error.
    srv.feed(&cke, NOW);
    assert_eq!(srv.error(), None);
    assert!(drain(&mut srv).is_empty());
    assert_eq!(srv.state_name(), "ExpectChangeCipherSpec");
    let mut rest = peer.send_ccs().unwrap();
    srv.feed(&rest, NOW);
    assert_eq!(srv.error(), None);
    rest = peer.send_finished().unwrap();
    srv.feed(&rest, NOW);
    let err = srv
        .error()
        .cloned()
        .expect("server accepted a bad premaster");
    let (level, desc) = only_alert(&mut peer, &drain(&mut srv));
    assert_eq!(level, AlertLevel::Fatal);
    (desc, err)
}

// RFC 5246 §7.4.7.1 (Bleichenbacher/ROBOT countermeasure): whatever is
// wrong with the encrypted premaster (bad padding, wrong length, wrong
// version, wrong ciphertext size), the server goes on with a random
// premaster and fails only at the client's Finished, identically in every
// case. With AES-GCM the Finished *record* is sealed under keys the server
// does not share, so the uniform alert is bad_record_mac, never earlier
// and never another one; decrypt_error would need the client to know the
// server's random premaster.
#[test]
fn server_treats_every_malformed_premaster_alike_and_fails_at_finished() {
    let mut good = [3u8; 48];
    good[..2].copy_from_slice(&[3, 3]);
    let key = gauntlet_engine::pki::leaf_public_key(&pki("leaf.der")).unwrap();
    let mut rng = gauntlet_engine::Provider::from_seed([99; 32]);
    let valid_ct = key.pkcs1v15_encrypt_with_rng(&mut rng, &good).unwrap();
    let mut flipped = valid_ct.clone();
    flipped[100] ^= 0x01;
    let mut wrong_version = good;
    wrong_version[..2].copy_from_slice(&[3, 2]);
    // (what is wrong, the premaster the client believes in, the ciphertext
    // sent when not the encryption of that premaster)
    type Case<'a> = (&'a str, Vec<u8>, Option<Vec<u8>>);
    let cases: Vec<Case<'_>> = vec![
        ("flipped ciphertext bit", good.to_vec(), Some(flipped)),
        ("version 3.2 inside", wrong_version.to_vec(), None),
        ("47-byte premaster", good[..47].to_vec(), None),
        ("49-byte premaster", [&good[..], &[0]].concat(), None),
        ("empty premaster", vec![], None),
        (
            "ciphertext one byte short",
            good.to_vec(),
            Some(valid_ct[1..].to_vec()),
        ),
        ("empty ciphertext", good.to_vec(), Some(vec![])),
        ("zero ciphertext", good.to_vec(), Some(vec![0; 256])),
        ("ciphertext ≥ modulus", good.to_vec(), Some(vec![0xff; 256])),
    ];
    for (i, (name, pm, ct)) in cases.into_iter().enumerate() {
        let (alert, err) = premaster_outcome(&pm, ct, 30 + i as u8);
        assert_eq!(alert, A::BadRecordMac, "{name}");
        assert_eq!(err, PeerMisbehaved::BadRecordMac.into(), "{name}");
    }
    // Control: a valid premaster completes.
    let (mut srv, mut peer) = server_at(ServerStage::ExpectClientKeyExchange, 50);
    let mut flight = peer.send_client_key_exchange().unwrap();
    flight.extend(peer.send_ccs().unwrap());
    flight.extend(peer.send_finished().unwrap());
    exchange(&mut srv, &mut peer, &flight);
    assert!(srv.handshake().is_some());
}

// RFC 5246 §7.2.2: on a fatal alert from the peer the connection ends; we
// send nothing back. In every state.
#[test]
fn server_stops_silently_on_a_fatal_alert_from_the_client() {
    for stage in ServerStage::ALL {
        let (mut srv, mut peer) = server_at(stage, 51);
        let bytes = peer
            .send_alert(AlertLevel::Fatal, A::HandshakeFailure)
            .unwrap();
        srv.feed(&bytes, NOW);
        let err = Error::AlertReceived(A::HandshakeFailure);
        assert_eq!(srv.error(), Some(&err), "{stage:?}");
        assert_eq!(events(&mut srv), vec![Event::Failed(err)]);
        assert!(drain(&mut srv).is_empty(), "{stage:?}: answered an alert");
        srv.feed(&peer.send_app_data(b"x").unwrap(), NOW);
        assert!(drain(&mut srv).is_empty() && events(&mut srv).is_empty());
    }
}

// RFC 5246 §7.2: a warning alert (other than close_notify) does not end the
// connection; it is reported and the handshake goes on.
#[test]
fn server_reports_a_warning_alert_and_continues() {
    let (mut srv, mut peer) = server_at(ServerStage::ExpectClientKeyExchange, 52);
    let bytes = peer
        .send_alert(AlertLevel::Warning, A::UserCanceled)
        .unwrap();
    srv.feed(&bytes, NOW);
    assert_eq!(events(&mut srv), vec![Event::PeerWarning(A::UserCanceled)]);
    let mut flight = peer.send_client_key_exchange().unwrap();
    flight.extend(peer.send_ccs().unwrap());
    flight.extend(peer.send_finished().unwrap());
    exchange(&mut srv, &mut peer, &flight);
    assert!(srv.handshake().is_some());
}

// RFC 5246 §7.2: an alert is exactly level + description; another length
// does not decode → decode_error; an unknown level → illegal_parameter
// (OpenSSL: SSL_R_UNKNOWN_ALERT_TYPE with illegal_parameter).
#[test]
fn server_rejects_malformed_alerts() {
    for (payload, want) in [
        (vec![1u8], A::DecodeError),
        (vec![1, 0, 0], A::DecodeError),
        (vec![3, 0], A::IllegalParameter),
        (vec![0, 40], A::IllegalParameter),
    ] {
        let (mut srv, mut peer) = server_at(ServerStage::ExpectClientKeyExchange, 53);
        let bytes = peer.send_record(ContentType::Alert, &payload).unwrap();
        expect_fatal(&mut srv, &mut peer, &bytes, want);
    }
}

// RFC 5246 §7.1: ChangeCipherSpec is the single byte 1; anything else does
// not decode → decode_error.
#[test]
fn server_rejects_malformed_change_cipher_spec_with_decode_error() {
    for payload in [vec![2u8], vec![1, 1], vec![0]] {
        let (mut srv, mut peer) = server_at(ServerStage::ExpectChangeCipherSpec, 54);
        let bytes = peer
            .send_record(ContentType::ChangeCipherSpec, &payload)
            .unwrap();
        let err = expect_fatal(&mut srv, &mut peer, &bytes, A::DecodeError);
        assert_eq!(err, InvalidMessage::InvalidChangeCipherSpec.into());
    }
}

// The joiner's bound: a ClientHello declaring more than any legal one can
// hold (131,396 bytes: every vector at its RFC 5246 §7.4.1.2 ceiling) is
// refused from its header → decode_error, before its body is buffered.
#[test]
fn server_rejects_an_oversized_handshake_message_from_its_header() {
    let (mut srv, mut peer) = server_at(ServerStage::ExpectClientHello, 55);
    let bytes = peer
        .send_record(ContentType::Handshake, &[1, 0x02, 0x01, 0x45])
        .unwrap();
    let err = expect_fatal(&mut srv, &mut peer, &bytes, A::DecodeError);
    assert_eq!(
        err,
        InvalidMessage::HandshakeMessageTooLarge {
            typ: HandshakeType::ClientHello,
            len: 131_397,
            max: 131_396
        }
        .into()
    );
}

// RFC 5246 §7.4.1.2: a resumption offer for a suite the client no longer
// offers is not resumed; a full handshake follows.
#[test]
fn server_does_not_resume_when_the_session_suite_is_not_offered() {
    let mut srv = server(Arc::new(server_config_with_known_session()), 56);
    let mut peer = Peer::new(Role::Client, 57);
    peer.session_id = known_session(true).id;
    let mut ch = peer.default_client_hello();
    ch.cipher_suites = vec![AES256];
    let bytes = peer.send_client_hello(ch).unwrap();
    exchange(&mut srv, &mut peer, &bytes);
    assert_eq!(srv.state_name(), "ExpectClientKeyExchange");
    assert_ne!(peer.session_id, known_session(true).id);
    assert_eq!(peer.suite, AES256);
}

// Resumption completes with a scripted client that knows the master secret,
// and the server's Finished checks out against the peer's hash.
#[test]
fn server_completes_an_abbreviated_handshake_with_a_scripted_client() {
    let (mut srv, mut peer) = server_at(ServerStage::ResumedExpectFinished, 58);
    let fin = peer.send_finished().unwrap();
    srv.feed(&fin, NOW);
    assert_eq!(srv.error(), None);
    assert!(srv.handshake().unwrap().resumed);
    assert!(
        drain(&mut srv).is_empty(),
        "the server's CCS and Finished came first"
    );
    let _ = HandshakeType::Finished;
}

// RFC 5246 §7.4.1.2: the extensions block is optional. Without it the
// server answers without extensions, unless TLS_EMPTY_RENEGOTIATION_INFO_SCSV
// asks for an empty renegotiation_info (RFC 5746 §3.6); no EMS either way.
#[test]
fn server_accepts_a_client_hello_without_extensions() {
    for scsv in [false, true] {
        let (mut srv, mut peer, bytes) = hello(|ch| {
            ch.extensions = None;
            if scsv {
                ch.cipher_suites
                    .push(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
            }
        });
        let got = exchange(&mut srv, &mut peer, &bytes);
        let Some(Got::Handshake(m)) = got.first() else {
            panic!("{got:?}")
        };
        let HandshakePayload::ServerHello(sh) = &m.payload else {
            panic!("{m:?}")
        };
        let want = scsv.then(|| {
            vec![gauntlet_engine::msgs::ServerExtension::RenegotiationInfo(
                RenegotiatedConnection(vec![]),
            )]
        });
        assert_eq!(sh.extensions, want);
        let mut flight = peer.send_client_key_exchange().unwrap();
        flight.extend(peer.send_ccs().unwrap());
        flight.extend(peer.send_finished().unwrap());
        exchange(&mut srv, &mut peer, &flight);
        assert!(!srv.handshake().unwrap().extended_master_secret);
    }
}
