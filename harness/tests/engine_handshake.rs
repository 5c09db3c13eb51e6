//! The engine's handshake behaviours that need a scripted peer (moved from
//! engine/tests/handshake.rs): renegotiation refused with a warning,
//! HelloRequest ignored or refused, nothing sent after our close_notify.

mod common;

use common::*;
use gauntlet_engine::codec::Codec;
use gauntlet_engine::enums::{AlertDescription, AlertLevel, ContentType};
use gauntlet_engine::msgs::HandshakePayload;
use gauntlet_engine::Event;

// RFC 5746 §4.2 / RFC 5246 §7.2.2: a server in Traffic that receives a
// ClientHello refuses renegotiation with a warning no_renegotiation and
// keeps the connection.
#[test]
fn server_refuses_renegotiation_with_a_warning_and_keeps_the_connection() {
    let (mut srv, mut peer) = server_at(ServerStage::Traffic, 70);
    let ch = peer.default_client_hello();
    let bytes = peer.send_hs(hs(HandshakePayload::ClientHello(ch))).unwrap();
    srv.feed(&bytes, NOW);
    assert_eq!(srv.error(), None);
    let out = drain(&mut srv);
    assert_eq!(
        only_alert(&mut peer, &out),
        (AlertLevel::Warning, AlertDescription::NoRenegotiation)
    );
    assert_eq!(srv.state_name(), "Traffic");
    // Still usable both ways.
    let data = peer.send_app_data(b"after").unwrap();
    srv.feed(&data, NOW);
    assert_eq!(
        events(&mut srv),
        vec![Event::ApplicationData(b"after".to_vec())]
    );
    srv.send(b"reply").unwrap();
    assert_eq!(
        read_clean(&mut peer, &drain(&mut srv)),
        vec![Got::AppData(b"reply".to_vec())]
    );
}

// RFC 5246 §7.4.1.1: a client in Traffic that receives HelloRequest may
// refuse with a warning no_renegotiation; the connection is kept.
#[test]
fn client_refuses_hello_request_with_a_warning_and_keeps_the_connection() {
    let (mut cli, mut peer) = client_at(ClientStage::Traffic, 72);
    let bytes = peer.send_hs(hs(HandshakePayload::HelloRequest)).unwrap();
    cli.feed(&bytes, NOW);
    assert_eq!(cli.error(), None);
    let out = drain(&mut cli);
    assert_eq!(
        only_alert(&mut peer, &out),
        (AlertLevel::Warning, AlertDescription::NoRenegotiation)
    );
    let data = peer.send_app_data(b"still here").unwrap();
    cli.feed(&data, NOW);
    assert_eq!(
        events(&mut cli),
        vec![Event::ApplicationData(b"still here".to_vec())]
    );
}

// RFC 5246 §7.4.1.1: "This message will be ignored by the client if the
// client is currently negotiating a session", and HelloRequest is not part
// of the handshake hash. A HelloRequest before every message of the server
// (plaintext and encrypted) leaves the handshake intact: the client's
// Finished still matches the hash the peer computed without them.
#[test]
fn client_ignores_hello_request_during_the_handshake() {
    let hello_request = || hs(HandshakePayload::HelloRequest).get_encoding();
    let mut cli = client(client_config(), 73, None);
    let mut peer = server_peer(74);
    read_clean(&mut peer, &drain(&mut cli));
    let mut flight = Vec::new();
    // send_record, not send_hs: HelloRequest stays out of the peer's hash.
    flight.extend(
        peer.send_record(ContentType::Handshake, &hello_request())
            .unwrap(),
    );
    let sh = peer.default_server_hello();
    flight.extend(peer.send_server_hello(sh).unwrap());
    flight.extend(
        peer.send_record(ContentType::Handshake, &hello_request())
            .unwrap(),
    );
    flight.extend(peer.send_certificate(&leaf_chain()).unwrap());
    flight.extend(
        peer.send_record(ContentType::Handshake, &hello_request())
            .unwrap(),
    );
    flight.extend(peer.send_hs(hs(HandshakePayload::ServerHelloDone)).unwrap());
    let got = exchange(&mut cli, &mut peer, &flight);
    assert_eq!(got.len(), 3, "ClientKeyExchange, CCS, Finished: {got:?}");
    let mut fin = peer
        .send_record(ContentType::Handshake, &hello_request())
        .unwrap();
    fin.extend(peer.send_ccs().unwrap());
    fin.extend(
        peer.send_record(ContentType::Handshake, &hello_request())
            .unwrap(),
    );
    fin.extend(peer.send_finished().unwrap());
    cli.feed(&fin, NOW);
    assert_eq!(cli.error(), None);
    assert!(cli.handshake().is_some());
    assert!(drain(&mut cli).is_empty(), "no alert, no renegotiation");
}

// A HelloRequest is the client's only: a server receiving one in any state
// answers unexpected_message (RFC 5246 §7.4.1.1 defines it server→client).
#[test]
fn server_rejects_a_hello_request() {
    let (mut srv, mut peer) = server_at(ServerStage::Traffic, 75);
    let bytes = peer.send_hs(hs(HandshakePayload::HelloRequest)).unwrap();
    srv.feed(&bytes, NOW);
    assert_eq!(
        only_alert(&mut peer, &drain(&mut srv)),
        (AlertLevel::Fatal, AlertDescription::UnexpectedMessage)
    );
}

// RFC 5246 §7.2.1: close_notify "notifies the recipient that the sender
// will not send any more messages on this connection". A side that closes
// during the handshake therefore sends nothing after it (no key exchange,
// no Finished), still reads the peer's close_notify, and does not answer it
// a second time.
#[test]
fn nothing_is_sent_after_our_close_notify_during_the_handshake() {
    let (mut cli, mut peer) = client_at(ClientStage::ExpectServerHelloDone, 76);
    cli.close();
    assert_eq!(
        only_alert(&mut peer, &drain(&mut cli)),
        (AlertLevel::Warning, AlertDescription::CloseNotify)
    );
    let done = peer.send_hs(hs(HandshakePayload::ServerHelloDone)).unwrap();
    cli.feed(&done, NOW);
    assert_eq!(cli.error(), None);
    assert!(
        drain(&mut cli).is_empty(),
        "client sent its key exchange after close_notify"
    );
    cli.feed(
        &peer
            .send_alert(AlertLevel::Warning, AlertDescription::CloseNotify)
            .unwrap(),
        NOW,
    );
    assert_eq!(events(&mut cli), vec![Event::PeerClosed]);
    assert!(drain(&mut cli).is_empty(), "answered close_notify twice");

    let (mut srv, mut peer) = server_at(ServerStage::ExpectClientKeyExchange, 77);
    srv.close();
    read_clean(&mut peer, &drain(&mut srv));
    let mut flight = peer.send_client_key_exchange().unwrap();
    flight.extend(peer.send_ccs().unwrap());
    flight.extend(peer.send_finished().unwrap());
    srv.feed(&flight, NOW);
    assert_eq!(srv.error(), None);
    assert!(
        drain(&mut srv).is_empty(),
        "server sent CCS/Finished after close_notify"
    );
    // Input is still read under the right keys: the client's close_notify
    // (protected, after its CCS) arrives as such.
    srv.feed(
        &peer
            .send_alert(AlertLevel::Warning, AlertDescription::CloseNotify)
            .unwrap(),
        NOW,
    );
    assert_eq!(srv.error(), None);
    assert!(events(&mut srv).contains(&Event::PeerClosed));
    assert!(drain(&mut srv).is_empty());
}
