//! REGRESSION SNAPSHOTS OF OUR OWN ENGINE. These `.snap` files were written
//! by this engine and reviewed by a person; they are not known-answer
//! vectors and prove nothing about correctness on their own (the behaviour
//! tests in handshake.rs, server_rejects.rs and client_rejects.rs do, and
//! third-party vectors live under vectors/). They pin every byte and every
//! step of the transcript, so any change to what the engine sends, accepts
//! or logs shows up as a diff to review. Deterministic: fixed seeds, fixed
//! `now` (1798761600, the test PKI's validation time); they change if
//! vectors/pki is regenerated (new keys and signatures).
//!
//! Scenarios: full handshakes (both suites, EMS on and off), a resumption,
//! close_notify from each side, each failing chain of the test PKI (client
//! side), and one scenario per alert description the engine sends.
//! `internal_error` has none: only local faults (an unusable key, a broken
//! RNG-free invariant) produce it, never peer input.
//!
//! Update with `INSTA_UPDATE=always cargo test -p gauntlet-engine --test
//! snapshots`, then read the diff.

mod common;

use common::*;
use gauntlet_engine::enums::{AlertDescription as A, CipherSuite, ProtocolVersion};
use gauntlet_engine::msgs::{HandshakePayload, ServerExtension};
use gauntlet_engine::{Connection, Pair};
use std::sync::Arc;

/// Both transcripts as one YAML mapping.
fn both(p: &Pair) -> String {
    format!(
        "client:\n{}server:\n{}",
        p.client.transcript().render(),
        p.server.transcript().render()
    )
}

fn one(conn: &Connection) -> String {
    conn.transcript().render()
}

fn handshake_with(client_ems: bool, server_ems: bool, suite: CipherSuite, seed: u8) -> Pair {
    let mut c = client_config();
    c.extended_master_secret = client_ems;
    c.suites = vec![suite];
    let mut s = server_config();
    s.extended_master_secret = server_ems;
    let mut p = pair(c, Arc::new(s), seed);
    complete(&mut p);
    p.client.send(b"ping").unwrap();
    p.server.send(b"pong").unwrap();
    p.run();
    p
}

// RFC 5246 §7.3: the full handshake with each suite, EMS on; then a
// message each way.
#[test]
fn snapshot_full_handshakes() {
    insta::assert_snapshot!(
        "full_aes128_ems",
        both(&handshake_with(true, true, AES128, 1))
    );
    insta::assert_snapshot!(
        "full_aes256_ems",
        both(&handshake_with(true, true, AES256, 1))
    );
    // RFC 7627: the client does not offer EMS; the server does not accept it.
    insta::assert_snapshot!(
        "full_aes128_client_without_ems",
        both(&handshake_with(false, true, AES128, 1))
    );
    insta::assert_snapshot!(
        "full_aes128_server_without_ems",
        both(&handshake_with(true, false, AES128, 1))
    );
}

// RFC 5246 §7.3 abbreviated handshake: the second connection of a pair
// resumes the first's session.
#[test]
fn snapshot_resumption() {
    let s = Arc::new(server_config());
    let mut first = Pair::new(
        client(client_config(), 1, None),
        server(s.clone(), 101),
        NOW,
    );
    complete(&mut first);
    let session = first.client.session().cloned();
    let mut second = Pair::new(client(client_config(), 2, session), server(s, 102), NOW);
    complete(&mut second);
    assert!(second.client.handshake().unwrap().resumed);
    insta::assert_snapshot!("resumed_aes128_ems", both(&second));
}

// RFC 5246 §7.2.1: close_notify from each side, answered by the other.
#[test]
fn snapshot_close_notify() {
    for client_closes in [true, false] {
        let mut p = pair(client_config(), Arc::new(server_config()), 3);
        complete(&mut p);
        if client_closes {
            p.client.close();
        } else {
            p.server.close();
        }
        p.run();
        assert!(p.client.is_closed() && p.server.is_closed());
        let name = if client_closes {
            "close_notify_from_client"
        } else {
            "close_notify_from_server"
        };
        insta::assert_snapshot!(name, both(&p));
    }
}

// RFC 5246 §7.4.2 / §7.2.2: each failing chain of vectors/pki/manifest.json
// served by our server; the client's transcript ends with its alert
// (bad_certificate, unknown_ca, unsupported_certificate,
// certificate_expired, certificate_revoked, certificate_unknown).
#[test]
fn snapshot_certificate_failures() {
    let manifest: serde_json::Value = serde_json::from_slice(&pki("manifest.json")).unwrap();
    let mut n = 0;
    for c in manifest["chains"].as_array().unwrap() {
        let (Some(host), "serverAuth") = (c["host"].as_str(), c["purpose"].as_str().unwrap())
        else {
            continue;
        };
        if c["expect"] == "ok" {
            continue;
        }
        let (cli, _) = run_chain(c, host);
        assert!(cli.error().is_some());
        let name = format!("cert_{}", c["name"].as_str().unwrap());
        insta::assert_snapshot!(name, one(&cli));
        n += 1;
    }
    assert_eq!(n, 25);
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
    let mut bytes = peer.send_finished();
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
    let bytes = peer.send_client_hello(ch);
    insta::assert_snapshot!(
        "alert_handshake_failure_no_common_suite",
        fail(srv, peer, &bytes, A::HandshakeFailure)
    );

    // illegal_parameter: the ServerHello picks a suite we did not offer.
    let (cli, mut peer) = client_at(ClientStage::ExpectServerHello, 1);
    let mut sh = peer.default_server_hello();
    sh.cipher_suite = CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA;
    let bytes = peer.send_server_hello(sh);
    insta::assert_snapshot!(
        "alert_illegal_parameter_unoffered_suite",
        fail(cli, peer, &bytes, A::IllegalParameter)
    );

    // decode_error: a Finished of 11 bytes (RFC 5246 §7.4.9).
    let (srv, mut peer) = server_at(ServerStage::ExpectFinished, 1);
    let bytes = peer.send_hs(hs(HandshakePayload::Finished(vec![0; 11])));
    insta::assert_snapshot!(
        "alert_decode_error_short_finished",
        fail(srv, peer, &bytes, A::DecodeError)
    );

    // decrypt_error: a 12-byte Finished with one bit flipped.
    let (srv, mut peer) = server_at(ServerStage::ExpectFinished, 1);
    let HandshakePayload::Finished(mut vd) = peer.finished_payload() else {
        unreachable!()
    };
    vd[0] ^= 1;
    let bytes = peer.send_hs(hs(HandshakePayload::Finished(vd)));
    insta::assert_snapshot!(
        "alert_decrypt_error_bad_finished",
        fail(srv, peer, &bytes, A::DecryptError)
    );

    // protocol_version: client_version 3.2 (RFC 5246 Appendix E.1).
    let (srv, mut peer) = server_at(ServerStage::ExpectClientHello, 1);
    let mut ch = peer.default_client_hello();
    ch.client_version = ProtocolVersion::TLSv1_1;
    let bytes = peer.send_client_hello(ch);
    insta::assert_snapshot!(
        "alert_protocol_version_tls11_hello",
        fail(srv, peer, &bytes, A::ProtocolVersion)
    );

    // inappropriate_fallback: TLS_FALLBACK_SCSV with 3.2 (RFC 7507 §3).
    let (srv, mut peer) = server_at(ServerStage::ExpectClientHello, 1);
    let mut ch = peer.default_client_hello();
    ch.client_version = ProtocolVersion::TLSv1_1;
    ch.cipher_suites.push(CipherSuite::TLS_FALLBACK_SCSV);
    let bytes = peer.send_client_hello(ch);
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
    let bytes = peer.send_server_hello(sh);
    insta::assert_snapshot!(
        "alert_unsupported_extension",
        fail(cli, peer, &bytes, A::UnsupportedExtension)
    );

    // no_renegotiation (warning): a ClientHello once established.
    let (mut srv, mut peer) = server_at(ServerStage::Traffic, 1);
    let ch = peer.default_client_hello();
    let bytes = peer.send_hs(hs(HandshakePayload::ClientHello(ch)));
    srv.feed(&bytes, NOW);
    assert_eq!(srv.error(), None);
    insta::assert_snapshot!("alert_no_renegotiation_warning", one(&srv));
}
