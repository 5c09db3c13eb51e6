//! Generated: every handshake type (defined and unknown) in every state of
//! the handshake, and every unknown content type in every state, in both
//! roles where the peer can put the target there (BoGo style, from loops).
//!
//! A handshake message whose type the state does not await is judged by its
//! type, before its body: RFC 5246 §7.3 fixes the order of the handshake
//! messages and §7.4 says a message out of that order is a fatal error;
//! §7.2.2 names the alert, unexpected_message ("An inappropriate message
//! was received"). So every case here accepts only unexpected_message
//! (the policy, rule 1), except where the state does await the type and
//! only its body is wrong for it (rule 1 again: decode_error), or where
//! the RFC makes the message one to ignore (HelloRequest to a client).

use super::alert;
use crate::case::TestCase;
use crate::peer::client::{ClientBugs, ClientScript};
use crate::peer::server::{ServerBugs, ServerScript};
use crate::peer::{HsMsg, Mutation};
use gauntlet_engine::enums::{AlertDescription as A, CipherSuite};

/// Suite-independent cases run with one suite.
const ONE: CipherSuite = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;

/// Handshake types RFC 5246 (§7.4) and its extensions define, for the
/// sampled states: hello_request 0, client_hello 1, server_hello 2,
/// hello_verify_request 3 (DTLS), new_session_ticket 4 (RFC 5077),
/// end_of_early_data 5 .. key_update 24 (RFC 8446), certificate 11,
/// server_key_exchange 12, certificate_request 13, server_hello_done 14,
/// certificate_verify 15, client_key_exchange 16, finished 20,
/// certificate_url 21, certificate_status 22 (RFC 6066), supplemental_data
/// 23 (RFC 4680), compressed_certificate 25 (RFC 8879), message_hash 254.
const DEFINED: [u8; 20] = [
    0, 1, 2, 3, 4, 5, 6, 8, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23, 24, 25,
];

/// Unknown handshake types sampled in the states where each case costs a
/// full key exchange (the cheaper states take all 256).
const UNKNOWN_SAMPLE: [u8; 8] = [7, 9, 17, 26, 0x40, 0x7f, 0x80, 0xff];

pub(super) fn cases(out: &mut Vec<TestCase>) {
    server_handshake_types(out);
    server_content_types(out);
    client_handshake_types(out);
}

/// The three states a server awaits a client message in (ClientHello,
/// ClientKeyExchange — no client certificate was requested — and Finished,
/// after ChangeCipherSpec), each given the message with every other type
/// byte; Finished with the defined types and a sample of unknown ones, as
/// each case there costs the server an RSA private-key operation (the
/// whole suite stays within its time budget) and one code path per state
/// decides every unknown type. A server never accepts a HelloRequest
/// (§7.4.1.1: sent by the server), nor a second ClientHello in the middle
/// of a handshake.
fn server_handshake_types(out: &mut Vec<TestCase>) {
    let all: Vec<u8> = (0..=255).collect();
    let sampled: Vec<u8> = DEFINED.iter().chain(&UNKNOWN_SAMPLE).copied().collect();
    for (msg, state, clause, types) in [
        (
            HsMsg::ClientHello,
            "ExpectClientHello",
            "RFC 5246 §7.3, §7.4, §7.2.2 unexpected_message",
            &all,
        ),
        (
            HsMsg::ClientKeyExchange,
            "ExpectClientKeyExchange",
            "RFC 5246 §7.3, §7.4.6, §7.2.2 unexpected_message",
            &all,
        ),
        (
            HsMsg::Finished,
            "ExpectFinished",
            "RFC 5246 §7.3, §7.4.9, §7.2.2 unexpected_message",
            &sampled,
        ),
    ] {
        let own = own_type(msg);
        for &t in types.iter().filter(|t| **t != own) {
            out.push(TestCase::server(
                format!("HandshakeType-Server-{state}-Type{t:02x}"),
                clause,
                ClientScript {
                    suite: ONE,
                    bugs: ClientBugs {
                        mutations: vec![(msg, Mutation::WrongType(t))],
                        ..ClientBugs::default()
                    },
                    ..ClientScript::default()
                },
                alert(&[A::UnexpectedMessage]),
            ));
        }
    }
}

fn own_type(msg: HsMsg) -> u8 {
    match msg {
        HsMsg::ClientHello => 1,
        HsMsg::ServerHello => 2,
        HsMsg::Certificate => 11,
        HsMsg::ServerHelloDone => 14,
        HsMsg::ClientKeyExchange => 16,
        HsMsg::Finished => 20,
    }
}

/// RFC 5246 §6: "If a TLS implementation receives an unexpected record
/// type, it MUST send an unexpected_message alert." Every type but the four
/// TLS 1.2 defines (20–23; heartbeat 24 was not negotiated, RFC 6520 §2),
/// in plaintext before ClientKeyExchange (all 252) and sealed after the
/// handshake (0–31 and a sample above: each case there costs a full
/// handshake, and one code path decides every unknown type).
fn server_content_types(out: &mut Vec<TestCase>) {
    let unknown = |t: &u8| !(20..=23).contains(t);
    let after: Vec<u8> = (0..32u8)
        .chain([0x40, 0x7f, 0x80, 0xfe, 0xff])
        .filter(unknown)
        .collect();
    for typ in (0..=255u8).filter(unknown) {
        let mut states = vec![(
            "BeforeClientKeyExchange",
            ClientBugs {
                unknown_record_type_in_handshake: Some(typ),
                ..ClientBugs::default()
            },
        )];
        if after.contains(&typ) {
            states.push((
                "AfterHandshake",
                ClientBugs {
                    unknown_record_type_after: Some(typ),
                    ..ClientBugs::default()
                },
            ));
        }
        for (state, bugs) in states {
            out.push(TestCase::server(
                format!("ContentType-Server-{state}-Type{typ:02x}"),
                "RFC 5246 §6 (unexpected record type: MUST unexpected_message)",
                ClientScript {
                    suite: ONE,
                    bugs,
                    ..ClientScript::default()
                },
                alert(&[A::UnexpectedMessage]),
            ));
        }
    }
}

/// The four states a client awaits a server message in: ServerHello,
/// Certificate (RSA key exchange: the server MUST send one, §7.4.2),
/// ServerHelloDone (where a CertificateRequest may also come, §7.4.4) and
/// Finished (after ChangeCipherSpec). ServerHello and Certificate take all
/// 256 types; the later states the defined types and a sample of unknown
/// ones (one code path per state decides for every unknown type).
///
/// Exceptions, each from the RFC: HelloRequest (0) "will be ignored by the
/// client if the client is currently negotiating a session" (§7.4.1.1),
/// but its body is empty (`struct { } HelloRequest`), so one carrying the
/// body of another message is malformed: decode_error (rule 1; OpenSSL and
/// GnuTLS, which do not take a HelloRequest mid-handshake, answer
/// unexpected_message: listed in their expectations files); an empty one
/// in place of ServerHelloDone would be ignored, and the case would only
/// wait, so it is left out.
/// CertificateRequest (13) is awaited where ServerHelloDone is, so an empty
/// one is a malformed CertificateRequest: decode_error.
fn client_handshake_types(out: &mut Vec<TestCase>) {
    let Ok(base) = ServerScript::builtin() else {
        return;
    };
    let all: Vec<u8> = (0..=255).collect();
    let sampled: Vec<u8> = DEFINED.iter().chain(&UNKNOWN_SAMPLE).copied().collect();
    for (msg, state, clause, types) in [
        (
            HsMsg::ServerHello,
            "ExpectServerHello",
            "RFC 5246 §7.3, §7.4.1.3, §7.2.2 unexpected_message",
            &all,
        ),
        (
            HsMsg::Certificate,
            "ExpectCertificate",
            "RFC 5246 §7.3, §7.4.2, §7.2.2 unexpected_message",
            &all,
        ),
        (
            HsMsg::ServerHelloDone,
            "ExpectServerHelloDone",
            "RFC 5246 §7.3, §7.4.5, §7.2.2 unexpected_message",
            &sampled,
        ),
        (
            HsMsg::Finished,
            "ExpectFinished",
            "RFC 5246 §7.3, §7.4.9, §7.2.2 unexpected_message",
            &sampled,
        ),
    ] {
        let own = own_type(msg);
        for &t in types.iter().filter(|t| **t != own) {
            // The exceptions are named for what they are, not by type.
            let (label, expect, clause) = match (msg, t) {
                (HsMsg::ServerHelloDone, 0) => continue,
                (_, 0) => (
                    "HelloRequestWithBody".to_string(),
                    alert(&[A::DecodeError]),
                    "RFC 5246 §7.4.1.1 (HelloRequest has an empty body), §7.2.2 decode_error",
                ),
                (HsMsg::ServerHelloDone, 13) => (
                    "EmptyCertificateRequest".to_string(),
                    alert(&[A::DecodeError]),
                    "RFC 5246 §7.4.4 (an empty CertificateRequest is malformed), §7.2.2 decode_error",
                ),
                _ => (
                    format!("Type{t:02x}"),
                    alert(&[A::UnexpectedMessage]),
                    clause,
                ),
            };
            out.push(TestCase::client(
                format!("HandshakeType-Client-{state}-{label}"),
                clause,
                base.clone().with_bugs(ServerBugs {
                    mutations: vec![(msg, Mutation::WrongType(t))],
                    ..ServerBugs::default()
                }),
                expect,
            ));
        }
    }
}
