//! REGRESSION SNAPSHOTS OF OUR OWN ENGINE, driven by the harness's scripted
//! peer: one scenario per alert description the engine sends that the
//! certificate snapshots (engine/tests/snapshots.rs) do not already show.
//! Moved from engine/tests/snapshots.rs with their `.snap` files unchanged;
//! not known-answer vectors (see that file's notes). Deterministic: fixed
//! seeds, fixed `now` (1798761600, the test PKI's validation time).
//! `internal_error` has none: only local faults produce it, never peer
//! input.
//!
//! Update with `INSTA_UPDATE=always cargo test -p gauntlet-harness --test
//! engine_snapshots`, then read the diff.

mod common;

use common::*;
use gauntlet_engine::enums::{AlertDescription as A, CipherSuite, ProtocolVersion};
use gauntlet_engine::msgs::{HandshakePayload, ServerExtension};
use gauntlet_engine::Connection;

fn one(conn: &Connection) -> String {
    conn.transcript().render()
}

/// Feeds `bytes` to `conn`, checks it failed with `want`, returns its
/// transcript.
fn fail(mut conn: Connection, mut peer: Peer, bytes: &[u8], want: A) -> String {
    expect_fatal(&mut conn, &mut peer, bytes, want);
    one(&conn)
}

// One scenario per alert the engine sends that the certificate snapshots
// do not already show. The transcript is that of the side sending it.
#[test]
fn snapshot_each_alert() {
    // unexpected_message: CCS before ClientKeyExchange (RFC 5246 §7.1,
    // CVE-2014-0224).
    let (srv, mut peer) = server_at(ServerStage::ExpectClientKeyExchange, 1);
    let bytes = Inject::Ccs.send(&mut peer);
    insta::assert_snapshot!(
        "alert_unexpected_message_early_ccs",
        fail(srv, peer, &bytes, A::UnexpectedMessage)
    );

    // bad_record_mac: a flipped bit in the client's protected Finished.
    let (srv, mut peer) = server_at(ServerStage::ExpectFinished, 1);
    let mut bytes = peer.send_finished().unwrap();
    bytes[20] ^= 1;
    insta::assert_snapshot!(
        "alert_bad_record_mac_flipped_bit",
        fail(srv, peer, &bytes, A::BadRecordMac)
    );

    // record_overflow: a plaintext record header announcing 2^14 + 1 bytes.
    let (srv, peer) = server_at(ServerStage::ExpectClientHello, 1);
    insta::assert_snapshot!(
        "alert_record_overflow",
        fail(srv, peer, &[22, 3, 3, 0x40, 0x01], A::RecordOverflow)
    );

    // decryption_failed is never sent (RFC 5246 §7.2.2: MUST NOT).

    // handshake_failure: no common cipher suite (RFC 5246 §7.4.1.3).
    let (srv, mut peer) = server_at(ServerStage::ExpectClientHello, 1);
    let mut ch = peer.default_client_hello();
    ch.cipher_suites = vec![CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA];
    let bytes = peer.send_client_hello(ch).unwrap();
    insta::assert_snapshot!(
        "alert_handshake_failure_no_common_suite",
        fail(srv, peer, &bytes, A::HandshakeFailure)
    );

    // illegal_parameter: the ServerHello picks a suite we did not offer.
    let (cli, mut peer) = client_at(ClientStage::ExpectServerHello, 1);
    let mut sh = peer.default_server_hello();
    sh.cipher_suite = CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA;
    let bytes = peer.send_server_hello(sh).unwrap();
    insta::assert_snapshot!(
        "alert_illegal_parameter_unoffered_suite",
        fail(cli, peer, &bytes, A::IllegalParameter)
    );

    // decode_error: a Finished of 11 bytes (RFC 5246 §7.4.9).
    let (srv, mut peer) = server_at(ServerStage::ExpectFinished, 1);
    let bytes = peer
        .send_hs(hs(HandshakePayload::Finished(vec![0; 11])))
        .unwrap();
    insta::assert_snapshot!(
        "alert_decode_error_short_finished",
        fail(srv, peer, &bytes, A::DecodeError)
    );

    // decrypt_error: a 12-byte Finished with one bit flipped.
    let (srv, mut peer) = server_at(ServerStage::ExpectFinished, 1);
    let HandshakePayload::Finished(mut vd) = peer.finished_payload().unwrap() else {
        unreachable!()
    };
    vd[0] ^= 1;
    let bytes = peer.send_hs(hs(HandshakePayload::Finished(vd))).unwrap();
    insta::assert_snapshot!(
        "alert_decrypt_error_bad_finished",
        fail(srv, peer, &bytes, A::DecryptError)
    );

    // protocol_version: client_version 3.2 (RFC 5246 Appendix E.1).
    let (srv, mut peer) = server_at(ServerStage::ExpectClientHello, 1);
    let mut ch = peer.default_client_hello();
    ch.client_version = ProtocolVersion::TLSv1_1;
    let bytes = peer.send_client_hello(ch).unwrap();
    insta::assert_snapshot!(
        "alert_protocol_version_tls11_hello",
        fail(srv, peer, &bytes, A::ProtocolVersion)
    );

    // inappropriate_fallback: TLS_FALLBACK_SCSV with 3.2 (RFC 7507 §3).
    let (srv, mut peer) = server_at(ServerStage::ExpectClientHello, 1);
    let mut ch = peer.default_client_hello();
    ch.client_version = ProtocolVersion::TLSv1_1;
    ch.cipher_suites.push(CipherSuite::TLS_FALLBACK_SCSV);
    let bytes = peer.send_client_hello(ch).unwrap();
    insta::assert_snapshot!(
        "alert_inappropriate_fallback",
        fail(srv, peer, &bytes, A::InappropriateFallback)
    );

    // unsupported_extension: an unsolicited session_ticket in ServerHello
    // (RFC 5246 §7.4.1.4).
    let (cli, mut peer) = client_at(ClientStage::ExpectServerHello, 1);
    let mut sh = peer.default_server_hello();
    sh.extensions
        .get_or_insert_with(Vec::new)
        .push(ServerExtension::SessionTicketAck);
    let bytes = peer.send_server_hello(sh).unwrap();
    insta::assert_snapshot!(
        "alert_unsupported_extension",
        fail(cli, peer, &bytes, A::UnsupportedExtension)
    );

    // no_renegotiation (warning): a ClientHello once established.
    let (mut srv, mut peer) = server_at(ServerStage::Traffic, 1);
    let ch = peer.default_client_hello();
    let bytes = peer.send_hs(hs(HandshakePayload::ClientHello(ch))).unwrap();
    srv.feed(&bytes, NOW);
    assert_eq!(srv.error(), None);
    insta::assert_snapshot!("alert_no_renegotiation_warning", one(&srv));
}
