//! ECDHE (RFC 8422) between our client and our server in memory: every
//! ECDHE suite over every group, with RSA and ECDSA (P-256, P-384) server
//! keys; suite preference; and the client's checks on ServerKeyExchange,
//! made by editing the server's real first flight (re-signed with the
//! server's key where the case needs a valid signature). The misbehaving
//! peer's ECDHE cases are in harness/src/suites/ecdhe.rs.

mod common;

use common::*;
use gauntlet_engine::codec::Codec;
use gauntlet_engine::crypto::sig::{EcdsaKey, Scheme, SigHash, SigningKey};
use gauntlet_engine::enums::{
    AlertDescription, CipherSuite, ContentType, EcPointFormat, HashAlgorithm, NamedGroup,
    ProtocolVersion, SignatureAlgorithm,
};
use gauntlet_engine::msgs::{
    decode_handshake, ClientExtension, ClientHelloPayload, HandshakeMessagePayload,
    HandshakePayload, Random, ServerKeyExchangePayload, SessionId, SignatureAndHashAlgorithm,
    SignatureBytes,
};
use gauntlet_engine::{ClientConfig, Connection, Error, PeerMisbehaved, Provider, ServerConfig};
use std::sync::Arc;

const ECDHE_RSA: [CipherSuite; 2] = [
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
];
const ECDHE_ECDSA: [CipherSuite; 2] = [
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
];
const CHACHA: [CipherSuite; 2] = [
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
];
const GROUPS: [NamedGroup; 3] = [
    NamedGroup::x25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

fn ec_key(name: &str) -> EcdsaKey {
    let der = gauntlet_engine::pki::pem::der_blocks(&pki(name), "PRIVATE KEY").unwrap();
    EcdsaKey::from_der(&der[0]).unwrap()
}

fn rsa_server() -> ServerConfig {
    ServerConfig::with_rsa_key(leaf_chain(), leaf_key())
}

fn ec_server(leaf: &str) -> ServerConfig {
    ServerConfig::with_ecdsa_key(
        vec![pki(&format!("{leaf}.der")), pki("int.der")],
        ec_key(&format!("{leaf}.key")),
    )
}

fn offering(suites: &[CipherSuite], groups: &[NamedGroup]) -> ClientConfig {
    let mut c = client_config();
    c.suites = suites.to_vec();
    c.groups = groups.to_vec();
    c
}

fn assert_completes_with(client: ClientConfig, server: ServerConfig, suite: CipherSuite) {
    let mut p = pair(client, Arc::new(server), 1);
    complete(&mut p);
    for side in [&p.client, &p.server] {
        assert_eq!(side.handshake().unwrap().suite, suite);
        assert!(side.handshake().unwrap().extended_master_secret);
    }
    assert_eq!(p.client.key_log_line(), p.server.key_log_line());
    p.client.send(b"ping").unwrap();
    p.run();
    assert!(p
        .server_events
        .contains(&gauntlet_engine::Event::ApplicationData(b"ping".to_vec())));
}

// RFC 8422 §2.1 / §5.4: ECDHE_RSA in every group, chain validated as usual.
#[test]
fn ecdhe_rsa_completes_in_every_group_with_each_suite() {
    for suite in ECDHE_RSA {
        for g in GROUPS {
            assert_completes_with(offering(&[suite], &[g]), rsa_server(), suite);
        }
    }
}

// RFC 8422 §2.1: ECDHE_ECDSA with a P-256 and a P-384 server key, any group.
#[test]
fn ecdhe_ecdsa_completes_with_p256_and_p384_keys_in_every_group() {
    for (leaf, curve) in [
        ("leaf-ec256", NamedGroup::secp256r1),
        ("leaf-ec384", NamedGroup::secp384r1),
    ] {
        for suite in ECDHE_ECDSA {
            for g in GROUPS {
                // The key's curve is offered too (RFC 8422 §5.3); the
                // server's preference puts `g` first.
                let mut server = ec_server(leaf);
                server.groups = vec![g];
                assert_completes_with(offering(&[suite], &[g, curve]), server, suite);
            }
        }
    }
}

// RFC 7905: both ChaCha20-Poly1305 suites, every group; records carry no
// explicit nonce (ciphertext ‖ tag only).
#[test]
fn chacha20_poly1305_suites_complete_in_every_group() {
    for g in GROUPS {
        assert_completes_with(offering(&CHACHA[..1], &[g]), rsa_server(), CHACHA[0]);
        let mut server = ec_server("leaf-ec256");
        server.groups = vec![g];
        assert_completes_with(
            offering(&CHACHA[1..], &[g, NamedGroup::secp256r1]),
            server,
            CHACHA[1],
        );
    }
    // The client's Finished record: 16 bytes of Finished + 16 of tag, no
    // 8-byte explicit nonce as in AES-GCM.
    let mut c = client(offering(&CHACHA[..1], &GROUPS), 9, None);
    let mut s = server(Arc::new(rsa_server()), 109);
    s.feed(&drain(&mut c), NOW);
    c.feed(&drain(&mut s), NOW);
    let flight = records(&drain(&mut c));
    let fin = flight.last().unwrap();
    assert_eq!(fin.typ, ContentType::Handshake);
    assert_eq!(fin.payload.len(), 4 + 12 + 16);
}

// The server's preference decides among offered suites, and a suite its key
// cannot serve is skipped.
#[test]
fn server_order_and_key_kind_choose_the_suite() {
    let both = [AES128, CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256];
    // Default preference: ECDHE first, whatever the client's order.
    assert_completes_with(
        offering(&both, &GROUPS),
        rsa_server(),
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    );
    // Configured preference: RSA key exchange first.
    let mut rsa_first = rsa_server();
    rsa_first.suites = vec![AES128, CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256];
    assert_completes_with(offering(&both, &GROUPS), rsa_first, AES128);
    // A server with a decryption key alone cannot sign: RSA key exchange.
    assert_completes_with(offering(&both, &GROUPS), server_config(), AES128);
    // An ECDSA server never chooses ECDHE_RSA or RSA key exchange.
    let mut all = both.to_vec();
    all.push(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384);
    assert_completes_with(
        offering(&all, &GROUPS),
        ec_server("leaf-ec256"),
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    );
    let mut p = pair(
        offering(&both, &GROUPS),
        Arc::new(ec_server("leaf-ec256")),
        2,
    );
    p.run();
    assert_eq!(
        p.server.error(),
        Some(&Error::PeerMisbehaved(PeerMisbehaved::NoCommonCipherSuite))
    );
}

// RFC 8422 §5.3: an ECDSA key on a curve the client did not list in
// supported_groups is not used (OpenSSL's client refuses the handshake).
#[test]
fn server_does_not_use_an_ecdsa_key_on_a_curve_the_client_did_not_offer() {
    let mut p = pair(
        offering(&ECDHE_ECDSA, &[NamedGroup::x25519]),
        Arc::new(ec_server("leaf-ec256")),
        4,
    );
    p.run();
    assert_eq!(
        p.server.error(),
        Some(&Error::PeerMisbehaved(PeerMisbehaved::NoCommonCipherSuite))
    );
    // With P-256 offered too, the ECDH group can still be x25519.
    let (_, flight) = first_flight(
        offering(
            &ECDHE_ECDSA[..1],
            &[NamedGroup::x25519, NamedGroup::secp256r1],
        ),
        ec_server("leaf-ec256"),
    );
    assert_eq!(find_ske(&flight).params.named_group, NamedGroup::x25519);
}

// RFC 8422 §5.1: the server uses its preferred group among the client's.
#[test]
fn server_picks_its_preferred_group_among_the_offered_ones() {
    let mut server = rsa_server();
    server.groups = vec![NamedGroup::secp384r1, NamedGroup::x25519];
    let (_, flight) = first_flight(
        offering(
            &ECDHE_RSA[..1],
            &[NamedGroup::x25519, NamedGroup::secp384r1],
        ),
        server,
    );
    let ske = find_ske(&flight);
    assert_eq!(ske.params.named_group, NamedGroup::secp384r1);
    // No common group: no ECDHE; with nothing else offered, handshake_failure.
    let mut server = rsa_server();
    server.groups = vec![NamedGroup::secp384r1];
    let mut p = pair(
        offering(&ECDHE_RSA, &[NamedGroup::x25519]),
        Arc::new(server),
        3,
    );
    p.run();
    assert_eq!(
        p.server.error(),
        Some(&Error::PeerMisbehaved(PeerMisbehaved::NoCommonCipherSuite))
    );
}

// ---- a ClientHello built by hand, to the server --------------------------

fn hello_record(exts: Vec<ClientExtension>) -> Vec<u8> {
    let hello = HandshakeMessagePayload::new(HandshakePayload::ClientHello(ClientHelloPayload {
        client_version: ProtocolVersion::TLSv1_2,
        random: Random([7; 32]),
        session_id: SessionId(vec![]),
        cipher_suites: vec![CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
        compression_methods: vec![gauntlet_engine::enums::Compression::Null],
        extensions: Some(exts),
    }))
    .get_encoding();
    let mut rec = vec![0x16, 0x03, 0x03];
    rec.extend_from_slice(&(hello.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hello);
    rec
}

fn sha256_rsa() -> ClientExtension {
    ClientExtension::SignatureAlgorithms(vec![SignatureAndHashAlgorithm {
        hash: HashAlgorithm::Sha256,
        signature: SignatureAlgorithm::Rsa,
    }])
}

// RFC 8422 §5.1.2: "it MUST include uncompressed" (illegal_parameter).
#[test]
fn server_refuses_point_formats_without_uncompressed() {
    let mut s = server(Arc::new(rsa_server()), 4);
    s.feed(
        &hello_record(vec![
            sha256_rsa(),
            ClientExtension::EcPointFormats(vec![EcPointFormat::AnsiX962CompressedPrime]),
        ]),
        NOW,
    );
    let err = s.error().cloned().unwrap();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::UncompressedPointFormatMissing)
    );
    assert_eq!(err.alert(), Some(AlertDescription::IllegalParameter));
    // With uncompressed among others the hello is accepted.
    let mut s = server(Arc::new(rsa_server()), 4);
    s.feed(
        &hello_record(vec![
            sha256_rsa(),
            ClientExtension::EcPointFormats(vec![
                EcPointFormat::AnsiX962CompressedPrime,
                EcPointFormat::Uncompressed,
            ]),
        ]),
        NOW,
    );
    assert_eq!(s.error(), None);
}

// ---- the server's first flight, edited, to the client ---------------------

/// The client (started) and the server's answer to its ClientHello.
fn first_flight(client_cfg: ClientConfig, server_cfg: ServerConfig) -> (Connection, Vec<u8>) {
    let mut c = client(client_cfg, 5, None);
    let mut s = server(Arc::new(server_cfg), 6);
    let hello = drain(&mut c);
    s.feed(&hello, NOW);
    assert_eq!(s.error(), None);
    (c, drain(&mut s))
}

/// The handshake messages in a plaintext flight.
fn messages(flight: &[u8]) -> Vec<HandshakeMessagePayload> {
    let stream: Vec<u8> = records(flight)
        .into_iter()
        .inspect(|r| assert_eq!(r.typ, ContentType::Handshake))
        .flat_map(|r| r.payload)
        .collect();
    let mut out = Vec::new();
    let mut rest = &stream[..];
    while !rest.is_empty() {
        let len = 4 + ((rest[1] as usize) << 16 | (rest[2] as usize) << 8 | rest[3] as usize);
        out.push(decode_handshake(&rest[..len]).unwrap());
        rest = &rest[len..];
    }
    out
}

fn find_ske(flight: &[u8]) -> ServerKeyExchangePayload {
    messages(flight)
        .into_iter()
        .find_map(|m| match m.payload {
            HandshakePayload::ServerKeyExchange(s) => Some(s),
            _ => None,
        })
        .expect("no ServerKeyExchange")
}

/// The flight with its messages re-encoded, in one record.
fn flight_of(msgs: &[HandshakeMessagePayload]) -> Vec<u8> {
    let body: Vec<u8> = msgs.iter().flat_map(|m| m.get_encoding()).collect();
    let mut rec = vec![0x16, 0x03, 0x03];
    rec.extend_from_slice(&(body.len() as u16).to_be_bytes());
    rec.extend_from_slice(&body);
    rec
}

/// Feeds the client the flight with `edit` applied to its messages.
fn client_error(
    client_cfg: ClientConfig,
    server_cfg: ServerConfig,
    edit: impl FnOnce(&mut Vec<HandshakeMessagePayload>),
) -> Error {
    let (mut c, flight) = first_flight(client_cfg, server_cfg);
    let mut msgs = messages(&flight);
    edit(&mut msgs);
    c.feed(&flight_of(&msgs), NOW);
    c.error()
        .cloned()
        .expect("client accepted the edited flight")
}

fn ske_mut(msgs: &mut [HandshakeMessagePayload]) -> &mut ServerKeyExchangePayload {
    msgs.iter_mut()
        .find_map(|m| match &mut m.payload {
            HandshakePayload::ServerKeyExchange(s) => Some(s),
            _ => None,
        })
        .expect("no ServerKeyExchange")
}

// RFC 5246 §7.4.3: a signature that does not verify is decrypt_error.
#[test]
fn client_refuses_a_server_key_exchange_with_a_bad_signature() {
    for (suite, server) in [
        (ECDHE_RSA[0], rsa_server()),
        (ECDHE_ECDSA[0], ec_server("leaf-ec256")),
    ] {
        let err = client_error(offering(&[suite], &GROUPS), server, |msgs| {
            let sig = &mut ske_mut(msgs).signed.signature.0;
            let n = sig.len() - 1;
            sig[n] ^= 1;
        });
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::BadServerKeyExchangeSignature)
        );
        assert_eq!(err.alert(), Some(AlertDescription::DecryptError));
    }
}

// RFC 8422 §5.4: the signature covers the params; a changed point with the
// old signature fails the signature check first.
#[test]
fn client_refuses_a_point_changed_under_the_signature() {
    let err = client_error(
        offering(&ECDHE_RSA[..1], &[NamedGroup::x25519]),
        rsa_server(),
        |msgs| ske_mut(msgs).params.public.0[0] ^= 1,
    );
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::BadServerKeyExchangeSignature)
    );
}

// RFC 8422 §5.4: a group the client did not offer is illegal_parameter.
#[test]
fn client_refuses_a_group_it_did_not_offer() {
    let err = client_error(
        offering(&ECDHE_RSA[..1], &[NamedGroup::x25519]),
        rsa_server(),
        |msgs| ske_mut(msgs).params.named_group = NamedGroup::secp256r1,
    );
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::GroupNotOffered(NamedGroup::secp256r1))
    );
    assert_eq!(err.alert(), Some(AlertDescription::IllegalParameter));
}

// RFC 5246 §7.4.1.4.1: ECDSA by an RSA certificate, or a pair never offered.
#[test]
fn client_refuses_a_signature_algorithm_it_did_not_offer_or_of_the_wrong_kind() {
    for alg in [
        Scheme::Ecdsa(SigHash::Sha256).to_wire(),
        SignatureAndHashAlgorithm {
            hash: HashAlgorithm::Sha1,
            signature: SignatureAlgorithm::Rsa,
        },
    ] {
        let err = client_error(offering(&ECDHE_RSA[..1], &GROUPS), rsa_server(), |msgs| {
            ske_mut(msgs).signed.algorithm = alg
        });
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::SignatureAlgorithmNotOffered(alg))
        );
        assert_eq!(err.alert(), Some(AlertDescription::IllegalParameter));
    }
}

/// Re-signs the edited SKE with the real server key, so only the point is
/// wrong. The client's random is the first ClientHello field after the
/// version; the server's is in ServerHello.
fn resigned_point_error(group: NamedGroup, point: Vec<u8>) -> Error {
    let mut c = client(offering(&ECDHE_RSA[..1], &[group]), 5, None);
    let mut s = server(Arc::new(rsa_server()), 6);
    let hello = drain(&mut c);
    let client_random: [u8; 32] = hello[11..43].try_into().unwrap();
    s.feed(&hello, NOW);
    let mut msgs = messages(&drain(&mut s));
    let server_random = match &msgs[0].payload {
        HandshakePayload::ServerHello(sh) => sh.random.0,
        other => panic!("{other:?}"),
    };
    let ske = ske_mut(&mut msgs);
    ske.params.public.0 = point;
    let scheme = Scheme::from_wire(ske.signed.algorithm).unwrap();
    let m = ServerKeyExchangePayload::signed_message(&client_random, &server_random, &ske.params);
    let sig = SigningKey::sign(&*leaf_key(), scheme, &m, &mut Provider::from_seed([1; 32]));
    ske.signed.signature = SignatureBytes(sig.unwrap());
    c.feed(&flight_of(&msgs), NOW);
    c.error().cloned().expect("client accepted the point")
}

// RFC 8422 §5.11 / RFC 7748 §6.1: points are validated, with illegal_parameter.
#[test]
fn client_validates_the_servers_point_under_a_valid_signature() {
    let cases: Vec<(NamedGroup, Vec<u8>, PeerMisbehaved)> = vec![
        (
            NamedGroup::x25519,
            vec![0; 32],
            PeerMisbehaved::EcdhAllZeroSharedSecret,
        ),
        (
            NamedGroup::x25519,
            vec![9; 31],
            PeerMisbehaved::EcPointBadLength {
                group: NamedGroup::x25519,
                len: 31,
            },
        ),
        (
            NamedGroup::secp256r1,
            [vec![4], vec![0; 64]].concat(),
            PeerMisbehaved::EcPointNotOnCurve,
        ),
        (
            NamedGroup::secp256r1,
            [vec![2], vec![1; 32]].concat(),
            PeerMisbehaved::EcPointNotUncompressed,
        ),
        (
            NamedGroup::secp384r1,
            vec![0],
            PeerMisbehaved::EcPointNotUncompressed,
        ),
        (
            NamedGroup::secp384r1,
            [vec![4], vec![1; 95]].concat(),
            PeerMisbehaved::EcPointBadLength {
                group: NamedGroup::secp384r1,
                len: 96,
            },
        ),
    ];
    for (group, point, want) in cases {
        let err = resigned_point_error(group, point);
        assert_eq!(err, Error::PeerMisbehaved(want), "{group:?}");
        assert_eq!(err.alert(), Some(AlertDescription::IllegalParameter));
    }
}

// RFC 5246 §7.4.3 / RFC 8422 §5.4: in an ECDHE suite ServerKeyExchange must
// follow Certificate: a missing one (ServerHelloDone next) and a second one
// are unexpected_message.
#[test]
fn client_refuses_a_missing_or_repeated_server_key_exchange() {
    for dup in [false, true] {
        let err = client_error(offering(&ECDHE_RSA[..1], &GROUPS), rsa_server(), |msgs| {
            let i = msgs
                .iter()
                .position(|m| matches!(m.payload, HandshakePayload::ServerKeyExchange(_)))
                .unwrap();
            if dup {
                let again = msgs[i].clone();
                msgs.insert(i, again);
            } else {
                msgs.remove(i);
            }
        });
        assert!(
            matches!(
                err,
                Error::PeerMisbehaved(PeerMisbehaved::UnexpectedMessage { .. })
            ),
            "{err:?}"
        );
        assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
    }
}

// RFC 8422 §5.3: the certificate's key must fit the suite.
#[test]
fn client_refuses_an_rsa_certificate_in_an_ecdhe_ecdsa_suite() {
    let err = client_error(
        offering(&ECDHE_ECDSA[..1], &GROUPS),
        ec_server("leaf-ec256"),
        |msgs| {
            if let HandshakePayload::Certificate(c) = &mut msgs[1].payload {
                c.0[0].0 = pki("leaf.der");
            }
        },
    );
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::CertificateKeyMismatch)
    );
}
