//! The engine's client against the harness's scripted server that
//! misbehaves (moved from engine/tests/client_rejects.rs, which keeps the
//! chain tests against our own server). Each test names the RFC clause and
//! the alert the client must send (once, then silence).

mod common;

use common::*;
use gauntlet_engine::codec::Codec;
use gauntlet_engine::enums::{
    AlertDescription as A, AlertLevel, CipherSuite, Compression, ContentType, ExtensionType,
    HandshakeType, ProtocolVersion,
};
use gauntlet_engine::msgs::{HandshakePayload, RenegotiatedConnection, ServerExtension};
use gauntlet_engine::{CertificateError, Error, Event, InvalidMessage, PeerMisbehaved};
use std::sync::Arc;

/// What the client must accept in `stage`. HelloRequest is ignored while
/// handshaking (RFC 5246 §7.4.1.1) and refused with a warning in Traffic.
fn accepted(stage: ClientStage, m: Inject) -> bool {
    use ClientStage as C;
    use HandshakeType as H;
    match (stage, m) {
        (_, Inject::Handshake(H::HelloRequest)) => true,
        (C::ExpectServerHello, Inject::Handshake(H::ServerHello)) => true,
        (C::ExpectCertificate, Inject::Handshake(H::Certificate)) => true,
        (C::ExpectServerHelloDone, Inject::Handshake(H::ServerHelloDone)) => true,
        // RFC 5246 §7.4.4: a CertificateRequest may precede ServerHelloDone.
        (C::ExpectServerHelloDone, Inject::Handshake(H::CertificateRequest)) => true,
        (C::ExpectChangeCipherSpec | C::ResumedExpectChangeCipherSpec, Inject::Ccs) => true,
        (C::ExpectFinished | C::ResumedExpectFinished, Inject::Handshake(H::Finished)) => true,
        (C::Traffic, Inject::AppData | Inject::EmptyAppData) => true,
        _ => false,
    }
}

// RFC 5246 §7.3/§7.4 and §7.2.2: a message other than the awaited one gets a
// fatal unexpected_message, in every state of a full and an abbreviated
// handshake (ServerKeyExchange is unexpected too: RSA key exchange has none,
// §7.4.3). One alert record, then the connection is dead.
#[test]
fn client_rejects_every_unexpected_message_in_every_state() {
    let mut checked = 0;
    for stage in ClientStage::ALL {
        for m in Inject::all() {
            if accepted(stage, m) {
                continue;
            }
            let (mut cli, mut peer) = client_at(stage, 1);
            let bytes = m.send(&mut peer);
            let err = expect_fatal(&mut cli, &mut peer, &bytes, A::UnexpectedMessage);
            assert!(
                matches!(err, Error::PeerMisbehaved(_)),
                "{stage:?} {m:?}: {err}"
            );
            checked += 1;
        }
    }
    // 8 stages × 16 messages, less HelloRequest in each and the 10 others
    // the stages accept.
    assert_eq!(checked, 8 * 16 - 8 - 10);
}

// RFC 5246 §7.4.1.1: "This message will be ignored by the client if the
// client is currently negotiating a session": in every handshake state a
// HelloRequest changes nothing (no output, no event, same state), and it
// stays out of the hash (the handshake then completes: see handshake.rs).
#[test]
fn client_ignores_hello_request_in_every_handshake_state() {
    for stage in ClientStage::ALL {
        if stage == ClientStage::Traffic {
            continue;
        }
        let (mut cli, mut peer) = client_at(stage, 23);
        let before = cli.state_name();
        let bytes = peer
            .send_record(
                ContentType::Handshake,
                &hs(HandshakePayload::HelloRequest).get_encoding(),
            )
            .unwrap();
        cli.feed(&bytes, NOW);
        assert_eq!(cli.error(), None, "{stage:?}");
        assert!(drain(&mut cli).is_empty(), "{stage:?}");
        assert!(events(&mut cli).is_empty(), "{stage:?}");
        assert_eq!(cli.state_name(), before);
    }
}

// RFC 5246 §7.4.4/§7.4.6: after a CertificateRequest the client (which has
// no certificate) sends an empty Certificate before ClientKeyExchange; a
// second CertificateRequest is unexpected_message.
#[test]
fn client_answers_a_certificate_request_with_an_empty_certificate() {
    let (mut cli, mut peer) = client_at(ClientStage::ExpectServerHelloDone, 2);
    let req = sample_handshake(&mut peer, HandshakeType::CertificateRequest);
    let mut flight = peer.send_hs(req).unwrap();
    flight.extend(peer.send_hs(hs(HandshakePayload::ServerHelloDone)).unwrap());
    let got = exchange(&mut cli, &mut peer, &flight);
    let Got::Handshake(first) = &got[0] else {
        panic!("{got:?}")
    };
    assert_eq!(
        first.payload,
        HandshakePayload::Certificate(gauntlet_engine::msgs::CertificatePayload(vec![]))
    );
    assert_eq!(
        got.len(),
        4,
        "Certificate, ClientKeyExchange, CCS, Finished"
    );
    // The empty Certificate is in both hashes: the handshake completes.
    let mut fin = peer.send_ccs().unwrap();
    fin.extend(peer.send_finished().unwrap());
    exchange(&mut cli, &mut peer, &fin);
    assert!(cli.handshake().is_some());

    let (mut cli, mut peer) = client_at(ClientStage::ExpectServerHelloDone, 3);
    let req = sample_handshake(&mut peer, HandshakeType::CertificateRequest);
    let mut twice = peer.send_hs(req.clone()).unwrap();
    twice.extend(peer.send_hs(req).unwrap());
    expect_fatal(&mut cli, &mut peer, &twice, A::UnexpectedMessage);
}

/// The client, its scripted server after reading the ClientHello, and the
/// bytes of an `edit`ed default ServerHello.
fn server_hello(
    cfg: gauntlet_engine::ClientConfig,
    name: &str,
    edit: impl FnOnce(&mut gauntlet_engine::msgs::ServerHelloPayload),
) -> (gauntlet_engine::Connection, Peer, Vec<u8>) {
    let mut cli = gauntlet_engine::Connection::client(
        Arc::new(cfg),
        name,
        gauntlet_engine::Provider::from_seed([4; 32]),
        None,
    )
    .unwrap();
    let mut peer = server_peer(5);
    read_clean(&mut peer, &drain(&mut cli));
    let mut sh = peer.default_server_hello();
    edit(&mut sh);
    let bytes = peer.send_server_hello(sh).unwrap();
    (cli, peer, bytes)
}

// RFC 5246 §7.4.1.3: cipher_suite is "selected by the server from the list
// in ClientHello.cipher_suites"; another one → illegal_parameter (as
// OpenSSL's SSL_R_WRONG_CIPHER_RETURNED and BoringSSL do).
#[test]
fn client_rejects_a_server_hello_with_an_unoffered_suite() {
    for (offered, chosen) in [
        (
            vec![AES128, AES256],
            CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
        ),
        (vec![AES128], AES256),
        (
            vec![AES128, AES256],
            CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
        ),
        (vec![AES128, AES256], CipherSuite::TLS_NULL_WITH_NULL_NULL),
    ] {
        let mut cfg = client_config();
        cfg.suites = offered;
        let (mut cli, mut peer, bytes) = server_hello(cfg, "localhost", |sh| {
            sh.cipher_suite = chosen;
        });
        let err = expect_fatal(&mut cli, &mut peer, &bytes, A::IllegalParameter);
        assert_eq!(err, PeerMisbehaved::SelectedUnofferedCipherSuite.into());
    }
}

// RFC 5246 §7.4.1.4: "If a client receives an extension type in ServerHello
// that it did not request ... it MUST abort the handshake with an
// unsupported_extension fatal alert."
#[test]
fn client_rejects_unsolicited_server_hello_extensions() {
    let no_ems = || {
        let mut c = client_config();
        c.extended_master_secret = false;
        c
    };
    let cases: Vec<(gauntlet_engine::ClientConfig, &str, ServerExtension)> = vec![
        (
            client_config(),
            "localhost",
            ServerExtension::SessionTicketAck,
        ),
        (no_ems(), "localhost", ServerExtension::ExtendedMasterSecret),
        // No SNI is sent for an IP literal (RFC 6066 §3), so no ack may come.
        (client_config(), "127.0.0.1", ServerExtension::ServerNameAck),
        (
            client_config(),
            "localhost",
            ServerExtension::Unknown {
                typ: ExtensionType(0xfafa),
                body: vec![],
            },
        ),
        (
            client_config(),
            "localhost",
            ServerExtension::Unknown {
                typ: ExtensionType::SignatureAlgorithms,
                body: vec![0, 2, 4, 1],
            },
        ),
    ];
    for (cfg, name, ext) in cases {
        let typ = ext.ext_type();
        let (mut cli, mut peer, bytes) = server_hello(cfg, name, |sh| {
            sh.extensions
                .get_or_insert_with(Vec::new)
                .retain(|e| !matches!(e, ServerExtension::ExtendedMasterSecret));
            sh.extensions.get_or_insert_with(Vec::new).push(ext);
        });
        let err = expect_fatal(&mut cli, &mut peer, &bytes, A::UnsupportedExtension);
        assert_eq!(err, PeerMisbehaved::UnsolicitedExtension(typ.0).into());
    }
    // The solicited ones are accepted: SNI ack for a name, EMS when offered.
    let (mut cli, mut peer, bytes) = server_hello(client_config(), "localhost", |sh| {
        sh.extensions
            .get_or_insert_with(Vec::new)
            .push(ServerExtension::ServerNameAck);
    });
    exchange(&mut cli, &mut peer, &bytes);
    assert_eq!(cli.state_name(), "ExpectCertificate");
}

// RFC 5246 Appendix E.1: "If the version chosen by the server is not
// supported by the client (or not acceptable), the client MUST send a
// protocol_version alert"; we offer exactly 3.3.
#[test]
fn client_rejects_a_server_hello_version_other_than_tls12() {
    for v in [0x0300, 0x0301, 0x0302, 0x0304, 0x7f1c] {
        let (mut cli, mut peer, bytes) = server_hello(client_config(), "localhost", |sh| {
            sh.server_version = ProtocolVersion(v);
        });
        let err = expect_fatal(&mut cli, &mut peer, &bytes, A::ProtocolVersion);
        assert_eq!(
            err,
            PeerMisbehaved::UnsupportedVersion(ProtocolVersion(v)).into()
        );
    }
}

// RFC 5246 §7.4.1.3: compression_method is chosen from the client's list,
// which holds only null → anything else is illegal_parameter.
#[test]
fn client_rejects_a_server_hello_with_unoffered_compression() {
    let (mut cli, mut peer, bytes) = server_hello(client_config(), "localhost", |sh| {
        sh.compression_method = Compression::Deflate;
    });
    let err = expect_fatal(&mut cli, &mut peer, &bytes, A::IllegalParameter);
    assert_eq!(err, PeerMisbehaved::SelectedUnofferedCompression.into());
}

// RFC 5746 §3.4: the client "MUST check that the length of the
// renegotiated_connection field is zero, and if it is not, MUST abort the
// handshake (by sending a fatal handshake_failure alert)".
#[test]
fn client_rejects_non_empty_renegotiation_info_in_server_hello() {
    let (mut cli, mut peer, bytes) = server_hello(client_config(), "localhost", |sh| {
        for e in sh.extensions.iter_mut().flatten() {
            if let ServerExtension::RenegotiationInfo(ri) = e {
                *ri = RenegotiatedConnection(vec![1; 24]);
            }
        }
    });
    let err = expect_fatal(&mut cli, &mut peer, &bytes, A::HandshakeFailure);
    assert_eq!(err, PeerMisbehaved::RenegotiationInfoMismatch.into());
}

// RFC 5246 §7.4.1.4: no two extensions of one type; the codec refuses the
// ServerHello → illegal_parameter (OpenSSL's choice, see engine_server_rejects.rs).
#[test]
fn client_rejects_duplicate_server_hello_extensions_with_illegal_parameter() {
    let (mut cli, mut peer, bytes) = server_hello(client_config(), "localhost", |sh| {
        sh.extensions
            .get_or_insert_with(Vec::new)
            .push(ServerExtension::ExtendedMasterSecret);
    });
    let err = expect_fatal(&mut cli, &mut peer, &bytes, A::IllegalParameter);
    assert_eq!(
        err,
        InvalidMessage::DuplicateExtension(ExtensionType::ExtendedMasterSecret.0).into()
    );
}

// RFC 5246 §7.4.2: the server's certificate_list carries at least its own
// certificate (the type allows 0 only for clients, §7.4.6). An empty one is
// a malformed message: decode_error, as BoringSSL sends
// (do_read_server_certificate) and RFC 8446 §4.4.2.4 prescribes for TLS 1.3.
#[test]
fn client_rejects_an_empty_server_certificate_with_decode_error() {
    let (mut cli, mut peer) = client_at(ClientStage::ExpectCertificate, 6);
    let bytes = peer.send_certificate(&[]).unwrap();
    let err = expect_fatal(&mut cli, &mut peer, &bytes, A::DecodeError);
    assert_eq!(err, PeerMisbehaved::EmptyCertificateChain.into());
}

// RFC 5246 §7.2.2 bad_certificate: "A certificate was corrupt": bytes that
// are not a DER certificate.
#[test]
fn client_rejects_a_certificate_that_does_not_parse_with_bad_certificate() {
    let (mut cli, mut peer) = client_at(ClientStage::ExpectCertificate, 7);
    let bytes = peer
        .send_certificate(&[vec![0x30, 0x03, 0x02, 0x01, 0x00]])
        .unwrap();
    let err = expect_fatal(&mut cli, &mut peer, &bytes, A::BadCertificate);
    assert!(matches!(
        err,
        Error::InvalidCertificate(CertificateError::BadEncoding(_))
    ));
}

// RFC 5246 §7.4.9: the server's Finished must verify → decrypt_error for a
// flipped bit; a Finished of the wrong length is decode_error (see
// engine_server_rejects.rs for the reasoning and OpenSSL's practice).
#[test]
fn client_rejects_a_bad_server_finished() {
    for (vd_len, flip, want) in [
        (12usize, true, A::DecryptError),
        (11, false, A::DecodeError),
        (13, false, A::DecodeError),
        (0, false, A::DecodeError),
    ] {
        for stage in [
            ClientStage::ExpectFinished,
            ClientStage::ResumedExpectFinished,
        ] {
            let (mut cli, mut peer) = client_at(stage, 10);
            let HandshakePayload::Finished(good) = peer.finished_payload().unwrap() else {
                unreachable!()
            };
            let mut vd: Vec<u8> = good.iter().copied().cycle().take(vd_len).collect();
            if flip {
                vd[5] ^= 0x20;
            }
            let bytes = peer.send_hs(hs(HandshakePayload::Finished(vd))).unwrap();
            expect_fatal(&mut cli, &mut peer, &bytes, want);
        }
    }
}

// RFC 5246 §6.2.3.3: a server record that does not authenticate →
// bad_record_mac.
#[test]
fn client_rejects_a_flipped_bit_in_the_server_finished_record() {
    for pos in [0usize, 5, 12, 13, 20, 29, 44] {
        let (mut cli, mut peer) = client_at(ClientStage::ExpectFinished, 11);
        let mut bytes = peer.send_finished().unwrap();
        bytes[pos] ^= 0x01;
        let err = expect_fatal(&mut cli, &mut peer, &bytes, A::BadRecordMac);
        assert_eq!(err, PeerMisbehaved::BadRecordMac.into(), "byte {pos}");
    }
}

// RFC 5246 Appendix E.1: once the ServerHello chose 3.3, every later record
// carries it → another record version is protocol_version.
#[test]
fn client_rejects_a_record_with_another_version_after_server_hello() {
    for v in [0x0301, 0x0302, 0x0304] {
        let (mut cli, mut peer) = client_at(ClientStage::ExpectCertificate, 12);
        peer.record_version = ProtocolVersion(v);
        let bytes = peer.send_certificate(&leaf_chain()).unwrap();
        let err = expect_fatal(&mut cli, &mut peer, &bytes, A::ProtocolVersion);
        assert_eq!(
            err,
            InvalidMessage::BadRecordVersion(ProtocolVersion(v)).into()
        );
    }
}

// A record larger than 2^14 before encryption is on → record_overflow
// (RFC 5246 §6.2.1), judged from its header.
#[test]
fn client_rejects_an_oversized_plaintext_record() {
    let (mut cli, mut peer) = client_at(ClientStage::ExpectServerHello, 13);
    let header = [ContentType::Handshake.0, 3, 3, 0x40, 0x01];
    expect_fatal(&mut cli, &mut peer, &header, A::RecordOverflow);
}

// Interleaving (DESIGN; RFC 8446 §5.1): a CCS or alert between the pieces
// of a fragmented Certificate → unexpected_message.
#[test]
fn client_rejects_ccs_or_alert_inside_a_fragmented_certificate() {
    for between in [
        record(
            ContentType::ChangeCipherSpec,
            ProtocolVersion::TLSv1_2,
            &[1],
        ),
        record(ContentType::Alert, ProtocolVersion::TLSv1_2, &[1, 90]),
    ] {
        let (mut cli, mut peer) = client_at(ClientStage::ExpectCertificate, 14);
        peer.max_fragment = 1000;
        let cert = peer.send_certificate(&leaf_chain()).unwrap();
        let first = records(&cert).remove(0);
        let mut bytes = record(first.typ, first.version, &first.payload);
        bytes.extend(&between);
        expect_fatal(&mut cli, &mut peer, &bytes, A::UnexpectedMessage);
    }
}

// RFC 5246 §7.2.2: a fatal alert from the server ends the connection; the
// client sends nothing back, in every state.
#[test]
fn client_stops_silently_on_a_fatal_alert_from_the_server() {
    for stage in ClientStage::ALL {
        let (mut cli, mut peer) = client_at(stage, 15);
        let bytes = peer
            .send_alert(AlertLevel::Fatal, A::InternalError)
            .unwrap();
        cli.feed(&bytes, NOW);
        let err = Error::AlertReceived(A::InternalError);
        assert_eq!(cli.error(), Some(&err), "{stage:?}");
        assert_eq!(events(&mut cli), vec![Event::Failed(err)]);
        assert!(drain(&mut cli).is_empty(), "{stage:?}: answered an alert");
    }
}

// RFC 5246 §7.4.1.3: "For resumed sessions, this field [cipher_suite] is
// the value from the state of the session being resumed" → a resumption
// with another suite is illegal_parameter.
#[test]
fn client_rejects_a_resumption_with_a_different_suite() {
    let mut cli = client(client_config(), 16, Some(known_session(true)));
    let mut peer = server_peer(17);
    read_clean(&mut peer, &drain(&mut cli));
    let mut sh = peer.default_server_hello();
    sh.session_id.0 = known_session(true).id;
    sh.cipher_suite = AES256;
    let bytes = peer.send_server_hello(sh).unwrap();
    let err = expect_fatal(&mut cli, &mut peer, &bytes, A::IllegalParameter);
    assert_eq!(err, PeerMisbehaved::ResumedWithDifferentSuite.into());
}

// RFC 7627 §5.3 (client): resuming an EMS session, a ServerHello without
// EMS → abort; resuming a non-EMS session, one with EMS → abort. We send
// handshake_failure (BoringSSL: SSL_R_RESUMED_EMS_SESSION_WITHOUT_EMS_EXTENSION).
#[test]
fn client_rejects_a_resumption_that_changes_the_ems_state() {
    // The client offers EMS in both cases (it may, with either session);
    // the server echoes the session ID with the EMS flag flipped.
    for original in [true, false] {
        let session = known_session(original);
        let mut cli = client(client_config(), 18, Some(session.clone()));
        let mut peer = server_peer(19);
        read_clean(&mut peer, &drain(&mut cli));
        let mut sh = peer.default_server_hello();
        sh.session_id.0 = session.id.clone();
        if original {
            sh.extensions
                .get_or_insert_with(Vec::new)
                .retain(|e| !matches!(e, ServerExtension::ExtendedMasterSecret));
        }
        let bytes = peer.send_server_hello(sh).unwrap();
        let err = expect_fatal(&mut cli, &mut peer, &bytes, A::HandshakeFailure);
        assert_eq!(err, PeerMisbehaved::ExtendedMasterSecretMismatch.into());
    }
}

// The abbreviated handshake against the scripted server: the client checks
// the server's Finished, then sends its own CCS and Finished.
#[test]
fn client_completes_an_abbreviated_handshake_with_a_scripted_server() {
    let (mut cli, mut peer) = client_at(ClientStage::ResumedExpectFinished, 22);
    let fin = peer.send_finished().unwrap();
    let got = exchange(&mut cli, &mut peer, &fin);
    assert!(cli.handshake().unwrap().resumed);
    assert!(matches!(got.as_slice(), [Got::Ccs, Got::Handshake(_)]));
}
