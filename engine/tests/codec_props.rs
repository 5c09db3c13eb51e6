//! Properties of the message codec (`gauntlet_engine::msgs`):
//! 1. every valid value survives `read_bytes(encode(v)) == v`;
//! 2. no decoder panics on any input, and whatever decodes re-encodes to
//!    exactly its input (strict decoding makes the encoding canonical).
//!
//! Inputs for (2) are raw bytes, bodies behind a well-formed handshake header
//! (so every payload decoder is reached), and single-byte mutations of valid
//! encodings (so decoding gets deep before it fails, or succeeds on a
//! neighbouring valid message).

use std::collections::BTreeMap;
use std::fmt::Debug;

use gauntlet_engine::codec::Codec;
use gauntlet_engine::enums::{
    AlertDescription, AlertLevel, CipherSuite, ClientCertificateType, Compression, EcPointFormat,
    ExtensionType, HandshakeType, HashAlgorithm, NamedGroup, ProtocolVersion, ServerNameType,
    SignatureAlgorithm,
};
use gauntlet_engine::msgs::*;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

// ---- strategies for valid values ------------------------------------------

fn bytes(len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), len)
}

/// Extension types this enum decodes itself; `Unknown` must avoid them.
const CLIENT_TYPED: [ExtensionType; 8] = [
    ExtensionType::ServerName,
    ExtensionType::ExtendedMasterSecret,
    ExtensionType::RenegotiationInfo,
    ExtensionType::SignatureAlgorithms,
    ExtensionType::SessionTicket,
    ExtensionType::SupportedGroups,
    ExtensionType::EcPointFormats,
    ExtensionType::StatusRequest,
];
const SERVER_TYPED: [ExtensionType; 6] = [
    ExtensionType::ServerName,
    ExtensionType::ExtendedMasterSecret,
    ExtensionType::RenegotiationInfo,
    ExtensionType::SessionTicket,
    ExtensionType::EcPointFormats,
    ExtensionType::StatusRequest,
];

/// Handshake types `HandshakePayload` decodes itself.
const HANDSHAKE_TYPED: [u8; 11] = [0, 1, 2, 4, 11, 12, 13, 14, 16, 20, 22];

/// RFC 6066 §8 CertificateStatusRequest: ocsp with ResponderIDs<1..> and
/// raw extensions, or another status_type with its body.
fn status_request() -> impl Strategy<Value = CertificateStatusRequest> {
    prop_oneof![
        (vec(bytes(1..=8).prop_map(ResponderId), 0..3), bytes(0..=16)).prop_map(
            |(responder_ids, request_extensions)| CertificateStatusRequest::Ocsp {
                responder_ids,
                request_extensions,
            }
        ),
        (
            any::<u8>().prop_filter("ocsp has its own variant", |t| *t != 1),
            bytes(0..=16)
        )
            .prop_map(|(status_type, body)| CertificateStatusRequest::Other { status_type, body }),
    ]
}

/// RFC 6066 §8 CertificateStatus.
fn certificate_status() -> impl Strategy<Value = CertificateStatusPayload> {
    prop_oneof![
        bytes(1..=64).prop_map(|b| CertificateStatusPayload::Ocsp(OcspResponseBytes(b))),
        (
            any::<u8>().prop_filter("ocsp has its own variant", |t| *t != 1),
            bytes(0..=16)
        )
            .prop_map(|(status_type, body)| CertificateStatusPayload::Other { status_type, body }),
    ]
}

prop_compose! {
    fn random()(b in any::<[u8; 32]>()) -> Random { Random(b) }
}

prop_compose! {
    fn session_id()(b in bytes(0..=32)) -> SessionId { SessionId(b) }
}

prop_compose! {
    fn renegotiated_connection()(b in bytes(0..=255)) -> RenegotiatedConnection {
        RenegotiatedConnection(b)
    }
}

prop_compose! {
    /// Distinct name types (RFC 6066 §3), non-empty names.
    fn server_names()(m in btree_map(any::<u8>(), bytes(1..=40), 1..4)) -> Vec<ServerName> {
        m.into_iter()
            .map(|(t, n)| ServerName { name_type: ServerNameType(t), name: HostName(n) })
            .collect()
    }
}

prop_compose! {
    fn sig_algs()(v in vec((any::<u8>(), any::<u8>()), 1..20)) -> Vec<SignatureAndHashAlgorithm> {
        v.into_iter()
            .map(|(h, s)| SignatureAndHashAlgorithm {
                hash: HashAlgorithm(h),
                signature: SignatureAlgorithm(s),
            })
            .collect()
    }
}

prop_compose! {
    /// RFC 8422 §5.1.1: named_curve_list<2..2^16-1>, any values.
    fn groups()(v in vec(any::<u16>(), 1..20)) -> Vec<NamedGroup> {
        v.into_iter().map(NamedGroup).collect()
    }
}

prop_compose! {
    /// RFC 8422 §5.1.2: ec_point_format_list<1..2^8-1>, any values.
    fn point_formats()(v in vec(any::<u8>(), 1..10)) -> Vec<EcPointFormat> {
        v.into_iter().map(EcPointFormat).collect()
    }
}

prop_compose! {
    /// RFC 8422 §5.4: named_curve params, point<1..2^8-1>, any signature.
    fn server_key_exchange()(
        group in any::<u16>(),
        point in bytes(1..=133),
        alg in any::<(u8, u8)>(),
        sig in bytes(0..=300),
    ) -> ServerKeyExchangePayload {
        ServerKeyExchangePayload {
            params: ServerEcdhParams { named_group: NamedGroup(group), public: EcPoint(point) },
            signed: DigitallySigned {
                algorithm: SignatureAndHashAlgorithm {
                    hash: HashAlgorithm(alg.0),
                    signature: SignatureAlgorithm(alg.1),
                },
                signature: SignatureBytes(sig),
            },
        }
    }
}

fn unknown_ext_type(typed: &'static [ExtensionType]) -> impl Strategy<Value = ExtensionType> {
    any::<u16>()
        .prop_map(ExtensionType)
        .prop_filter("type has its own variant", move |t| !typed.contains(t))
}

fn client_extension() -> impl Strategy<Value = ClientExtension> {
    prop_oneof![
        server_names().prop_map(ClientExtension::ServerName),
        Just(ClientExtension::ExtendedMasterSecret),
        renegotiated_connection().prop_map(ClientExtension::RenegotiationInfo),
        sig_algs().prop_map(ClientExtension::SignatureAlgorithms),
        bytes(0..=64).prop_map(ClientExtension::SessionTicket),
        groups().prop_map(ClientExtension::SupportedGroups),
        point_formats().prop_map(ClientExtension::EcPointFormats),
        status_request().prop_map(ClientExtension::StatusRequest),
        (unknown_ext_type(&CLIENT_TYPED), bytes(0..=64))
            .prop_map(|(typ, body)| ClientExtension::Unknown { typ, body }),
    ]
}

fn server_extension() -> impl Strategy<Value = ServerExtension> {
    prop_oneof![
        Just(ServerExtension::ServerNameAck),
        Just(ServerExtension::ExtendedMasterSecret),
        renegotiated_connection().prop_map(ServerExtension::RenegotiationInfo),
        Just(ServerExtension::SessionTicketAck),
        point_formats().prop_map(ServerExtension::EcPointFormats),
        Just(ServerExtension::StatusRequestAck),
        (unknown_ext_type(&SERVER_TYPED), bytes(0..=64))
            .prop_map(|(typ, body)| ServerExtension::Unknown { typ, body }),
    ]
}

/// An optional extensions block without repeated types (RFC 5246 §7.4.1.4).
fn extension_block<T: Debug + Clone>(
    ext: impl Strategy<Value = T>,
    typ: fn(&T) -> ExtensionType,
) -> impl Strategy<Value = Option<Vec<T>>> {
    proptest::option::of(vec(ext, 0..6)).prop_map(move |block| {
        block.map(|exts| {
            let mut by_type = BTreeMap::new();
            exts.into_iter()
                .filter(|e| by_type.insert(typ(e), ()).is_none())
                .collect()
        })
    })
}

prop_compose! {
    fn client_hello()(
        client_version in any::<u16>().prop_map(ProtocolVersion),
        random in random(),
        session_id in session_id(),
        cipher_suites in vec(any::<u16>().prop_map(CipherSuite), 1..40),
        compression_methods in vec(any::<u8>().prop_map(Compression), 1..4),
        extensions in extension_block(client_extension(), ClientExtension::ext_type),
    ) -> ClientHelloPayload {
        ClientHelloPayload {
            client_version, random, session_id, cipher_suites, compression_methods, extensions,
        }
    }
}

prop_compose! {
    fn server_hello()(
        server_version in any::<u16>().prop_map(ProtocolVersion),
        random in random(),
        session_id in session_id(),
        cipher_suite in any::<u16>().prop_map(CipherSuite),
        compression_method in any::<u8>().prop_map(Compression),
        extensions in extension_block(server_extension(), ServerExtension::ext_type),
    ) -> ServerHelloPayload {
        ServerHelloPayload {
            server_version, random, session_id, cipher_suite, compression_method, extensions,
        }
    }
}

prop_compose! {
    fn certificate()(certs in vec(bytes(1..=200), 0..4)) -> CertificatePayload {
        CertificatePayload(certs.into_iter().map(Asn1Cert).collect())
    }
}

prop_compose! {
    /// RFC 5246 §7.4.4: certificate_types<1..2^8-1>, signature algorithms
    /// <2..2^16-2>, certificate_authorities<0..2^16-1> of DN<1..2^16-1>.
    fn certificate_request()(
        types in bytes(1..=10),
        algs in sig_algs(),
        cas in vec(bytes(1..=60), 0..4),
    ) -> CertificateRequestPayload {
        CertificateRequestPayload {
            certificate_types: types.into_iter().map(ClientCertificateType).collect(),
            supported_signature_algorithms: algs,
            certificate_authorities: cas.into_iter().map(DistinguishedName).collect(),
        }
    }
}

prop_compose! {
    fn new_session_ticket()(lifetime_hint in any::<u32>(), ticket in bytes(0..=200))
        -> NewSessionTicketPayload
    {
        NewSessionTicketPayload { lifetime_hint, ticket: Ticket(ticket) }
    }
}

fn handshake_payload() -> impl Strategy<Value = HandshakePayload> {
    prop_oneof![
        Just(HandshakePayload::HelloRequest),
        client_hello().prop_map(HandshakePayload::ClientHello),
        server_hello().prop_map(HandshakePayload::ServerHello),
        certificate().prop_map(HandshakePayload::Certificate),
        certificate_request().prop_map(HandshakePayload::CertificateRequest),
        Just(HandshakePayload::ServerHelloDone),
        bytes(0..=300).prop_map(|b| HandshakePayload::ClientKeyExchange(
            ClientKeyExchangePayload::from_rsa(&EncryptedPreMasterSecret(b))
        )),
        bytes(1..=133).prop_map(|b| HandshakePayload::ClientKeyExchange(
            ClientKeyExchangePayload::from_ecdh(&EcPoint(b))
        )),
        server_key_exchange().prop_map(HandshakePayload::ServerKeyExchange),
        bytes(0..=48).prop_map(HandshakePayload::Finished),
        new_session_ticket().prop_map(HandshakePayload::NewSessionTicket),
        certificate_status().prop_map(HandshakePayload::CertificateStatus),
        (
            any::<u8>().prop_filter("type has its own variant", |t| !HANDSHAKE_TYPED.contains(t)),
            bytes(0..=100)
        )
            .prop_map(|(t, b)| HandshakePayload::Unknown(HandshakeType(t), b)),
    ]
}

prop_compose! {
    fn alert()(level in any::<u8>(), description in any::<u8>()) -> AlertMessagePayload {
        AlertMessagePayload { level: AlertLevel(level), description: AlertDescription(description) }
    }
}

// ---- helpers ---------------------------------------------------------------

fn round_trips<T: Codec + PartialEq + Debug>(v: &T) -> Result<(), TestCaseError> {
    let decoded = T::read_bytes(&v.get_encoding());
    prop_assert_eq!(decoded.as_ref(), Ok(v));
    Ok(())
}

/// If `bytes` decode as `T`, they must be exactly the encoding of the result.
fn canonical<T: Codec + Debug>(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(v) = T::read_bytes(bytes) {
        prop_assert_eq!(v.get_encoding(), bytes, "decoded as {:?}", v);
    }
    Ok(())
}

/// Every decoder in the module, each on the same input.
fn all_decoders_canonical(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(m) = decode_handshake(bytes) {
        prop_assert_eq!(m.typ, m.payload.typ());
        prop_assert_eq!(m.get_encoding(), bytes, "decoded as {:?}", m);
    }
    canonical::<ClientHelloPayload>(bytes)?;
    canonical::<ServerHelloPayload>(bytes)?;
    canonical::<CertificatePayload>(bytes)?;
    canonical::<EncryptedPreMasterSecret>(bytes)?;
    canonical::<ServerKeyExchangePayload>(bytes)?;
    canonical::<EcPoint>(bytes)?;
    canonical::<NewSessionTicketPayload>(bytes)?;
    canonical::<ClientExtension>(bytes)?;
    canonical::<ServerExtension>(bytes)?;
    canonical::<Vec<ClientExtension>>(bytes)?;
    canonical::<Vec<ServerExtension>>(bytes)?;
    canonical::<AlertMessagePayload>(bytes)?;
    canonical::<ChangeCipherSpecPayload>(bytes)?;
    Ok(())
}

fn with_header(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

/// One edit of a valid encoding: overwrite, insert or delete a byte, or cut.
#[derive(Clone, Debug)]
enum Mutation {
    Set(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
    Delete(prop::sample::Index),
    Truncate(prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<prop::sample::Index>().prop_map(Mutation::Delete),
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    if bytes.is_empty() {
        return bytes;
    }
    match m {
        Mutation::Set(i, b) => {
            let i = i.index(bytes.len());
            bytes[i] = *b;
        }
        Mutation::Insert(i, b) => bytes.insert(i.index(bytes.len() + 1), *b),
        Mutation::Delete(i) => {
            bytes.remove(i.index(bytes.len()));
        }
        Mutation::Truncate(i) => bytes.truncate(i.index(bytes.len())),
    }
    bytes
}

// ---- properties ------------------------------------------------------------

proptest! {
    #[test]
    fn every_handshake_message_round_trips(p in handshake_payload()) {
        let msg = HandshakeMessagePayload::new(p);
        prop_assert_eq!(decode_handshake(&msg.get_encoding()), Ok(msg));
    }

    #[test]
    fn client_hello_round_trips(v in client_hello()) {
        round_trips(&v)?;
    }

    #[test]
    fn server_hello_round_trips(v in server_hello()) {
        round_trips(&v)?;
    }

    #[test]
    fn certificate_round_trips(v in certificate()) {
        round_trips(&v)?;
    }

    #[test]
    fn client_key_exchange_round_trips(b in bytes(0..=600)) {
        round_trips(&EncryptedPreMasterSecret(b))?;
    }

    #[test]
    fn new_session_ticket_round_trips(v in new_session_ticket()) {
        round_trips(&v)?;
    }

    #[test]
    fn client_extension_round_trips(v in client_extension()) {
        round_trips(&v)?;
    }

    #[test]
    fn server_extension_round_trips(v in server_extension()) {
        round_trips(&v)?;
    }

    #[test]
    fn alert_round_trips(v in alert()) {
        round_trips(&v)?;
    }

    #[test]
    fn change_cipher_spec_round_trips(_unit in Just(())) {
        round_trips(&ChangeCipherSpecPayload)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_decode_canonically(b in bytes(0..=2048)) {
        all_decoders_canonical(&b)?;
    }

    #[test]
    fn arbitrary_bodies_behind_a_valid_header_decode_canonically(
        typ in prop_oneof![prop::sample::select(HANDSHAKE_TYPED.to_vec()), any::<u8>()],
        body in bytes(0..=2048),
    ) {
        all_decoders_canonical(&with_header(typ, &body))?;
        all_decoders_canonical(&body)?;
    }

    #[test]
    fn mutated_handshake_messages_decode_canonically(
        p in handshake_payload(),
        edits in vec(mutation(), 1..4),
    ) {
        let mut bytes = HandshakeMessagePayload::new(p.clone()).get_encoding();
        let mut body = Vec::new();
        p.encode(&mut body);
        for m in &edits {
            bytes = apply(bytes, m);
            body = apply(body, m);
        }
        all_decoders_canonical(&bytes)?;
        // The body edited under a recomputed header reaches the payload decoder.
        all_decoders_canonical(&with_header(p.typ().0, &body))?;
        all_decoders_canonical(&body)?;
    }

    #[test]
    fn mutated_extensions_decode_canonically(
        c in client_extension(),
        s in server_extension(),
        m in mutation(),
    ) {
        all_decoders_canonical(&apply(c.get_encoding(), &m))?;
        all_decoders_canonical(&apply(s.get_encoding(), &m))?;
    }
}
