//! Handshake messages (RFC 5246 §7.4): the 4-byte header (`HandshakeType
//! msg_type; uint24 length;`) and the bodies in scope. Types without a
//! decoder here (CertificateVerify, any unassigned value) keep their raw
//! body in `HandshakePayload::Unknown`, so they round-trip and the state
//! machine can reject them precisely.
//!
//! Decoding needs no context beyond the header's type. ServerKeyExchange is
//! read as the ECDHE form (RFC 8422 §5.4), the only one in scope: the
//! connection refuses the type from its header wherever no ECDHE suite was
//! negotiated, before the body is decoded. ClientKeyExchange has two forms
//! that the header cannot tell apart (RSA's `opaque<0..2^16-1>`, ECDHE's
//! `opaque point<1..2^8-1>`), so its body is kept as bytes and the state
//! that knows the key exchange reads it strictly
//! ([`ClientKeyExchangePayload::rsa`], [`ClientKeyExchangePayload::ecdh`]).

use super::extensions::{
    read_extension_block, ClientExtension, ServerExtension, SignatureAndHashAlgorithm,
};
use super::read_fixed_list;
use crate::codec::{Codec, LenPrefix, LenWidth, Reader, TlsListElement};
use crate::enums::{
    CipherSuite, ClientCertificateType, Compression, EcCurveType, ExtensionType, HandshakeType,
    NamedGroup, ProtocolVersion,
};
use crate::error::InvalidMessage;

/// The `uint24 length` of the handshake header, as a prefix over the body.
const HANDSHAKE_BODY: LenPrefix = LenPrefix::new(LenWidth::U24, 0, 0xff_ffff, "handshake body");

opaque_vec!(
    /// RFC 5246 §7.4.1.2: `opaque SessionID<0..32>`.
    SessionId,
    U8,
    0,
    32,
    "session_id"
);

opaque_vec!(
    /// RFC 5246 §7.4.2: `opaque ASN.1Cert<1..2^24-1>` (DER is not parsed here).
    Asn1Cert,
    U24,
    1,
    0xff_ffff,
    "ASN.1Cert"
);

impl TlsListElement for Asn1Cert {
    // RFC 5246 §7.4.2: ASN.1Cert certificate_list<0..2^24-1>;
    const PREFIX: LenPrefix = LenPrefix::new(LenWidth::U24, 0, 0xff_ffff, "certificate_list");
}

opaque_vec!(
    /// RFC 5246 §7.4.7.1 and §4.7: the RSA-encrypted premaster secret as
    /// `opaque <0..2^16-1>`; the field holds the ciphertext without its length.
    EncryptedPreMasterSecret,
    U16,
    0,
    0xffff,
    "EncryptedPreMasterSecret"
);

opaque_vec!(
    /// RFC 8422 §5.4 and §5.7: `opaque point <1..2^8-1>`, an encoded ECPoint
    /// (for the NIST curves an X9.62 point, for x25519 the 32-byte u).
    EcPoint,
    U8,
    1,
    0xff,
    "ECPoint"
);

opaque_vec!(
    /// RFC 5246 §4.7: the `opaque signature<0..2^16-1>` of a
    /// `digitally-signed` element.
    SignatureBytes,
    U16,
    0,
    0xffff,
    "signature"
);

/// RFC 5246 §7.4.7: ClientKeyExchange's body, kept as bytes because its form
/// depends on the negotiated key exchange (see the module notes). Encoding
/// writes the bytes as they are.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientKeyExchangePayload(pub Vec<u8>);

impl ClientKeyExchangePayload {
    /// The RSA form's body (RFC 5246 §7.4.7.1).
    pub fn from_rsa(epms: &EncryptedPreMasterSecret) -> Self {
        Self(epms.get_encoding())
    }

    /// The ECDHE form's body (RFC 8422 §5.7: `ClientECDiffieHellmanPublic`).
    pub fn from_ecdh(point: &EcPoint) -> Self {
        Self(point.get_encoding())
    }

    /// Reads the body as the RSA form, exactly.
    pub fn rsa(&self) -> Result<EncryptedPreMasterSecret, InvalidMessage> {
        let mut r = Reader::new(&self.0);
        let epms = EncryptedPreMasterSecret::read(&mut r)?;
        r.expect_empty("ClientKeyExchange")?;
        Ok(epms)
    }

    /// Reads the body as the ECDHE form, exactly. RFC 8422 §5.7: the point
    /// is `<1..2^8-1>`, so an empty one is `EmptyVector("ECPoint")`.
    pub fn ecdh(&self) -> Result<EcPoint, InvalidMessage> {
        let mut r = Reader::new(&self.0);
        let point = EcPoint::read(&mut r)?;
        r.expect_empty("ClientKeyExchange")?;
        Ok(point)
    }
}

impl std::fmt::Debug for ClientKeyExchangePayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientKeyExchangePayload(")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// RFC 8422 §5.4 `ServerECDHParams` with `curve_type` named_curve, the only
/// type RFC 8422 keeps (explicit curves are deprecated; we decode neither).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerEcdhParams {
    pub named_group: NamedGroup,
    pub public: EcPoint,
}

impl Codec for ServerEcdhParams {
    fn encode(&self, out: &mut Vec<u8>) {
        EcCurveType::NamedCurve.encode(out);
        self.named_group.encode(out);
        self.public.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        if EcCurveType::read(r)? != EcCurveType::NamedCurve {
            return Err(InvalidMessage::IllegalValue(
                "ECCurveType: only named_curve (RFC 8422 §5.4)",
            ));
        }
        Ok(Self {
            named_group: NamedGroup::read(r)?,
            public: EcPoint::read(r)?,
        })
    }
}

/// RFC 5246 §4.7 `digitally-signed struct`, in TLS 1.2's form: the
/// algorithm, then the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitallySigned {
    pub algorithm: SignatureAndHashAlgorithm,
    pub signature: SignatureBytes,
}

impl Codec for DigitallySigned {
    fn encode(&self, out: &mut Vec<u8>) {
        self.algorithm.encode(out);
        self.signature.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            algorithm: SignatureAndHashAlgorithm::read(r)?,
            signature: SignatureBytes::read(r)?,
        })
    }
}

/// RFC 8422 §5.4 ServerKeyExchange for ECDHE_RSA and ECDHE_ECDSA: the
/// params and `digitally-signed` over client_random ‖ server_random ‖ params.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerKeyExchangePayload {
    pub params: ServerEcdhParams,
    pub signed: DigitallySigned,
}

impl ServerKeyExchangePayload {
    /// What the signature covers (RFC 8422 §5.4): `ClientHello.random ‖
    /// ServerHello.random ‖ ServerECDHParams`.
    pub fn signed_message(
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        params: &ServerEcdhParams,
    ) -> Vec<u8> {
        let mut m = Vec::with_capacity(64 + 4 + params.public.0.len());
        m.extend_from_slice(client_random);
        m.extend_from_slice(server_random);
        params.encode(&mut m);
        m
    }
}

impl Codec for ServerKeyExchangePayload {
    fn encode(&self, out: &mut Vec<u8>) {
        self.params.encode(out);
        self.signed.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            params: ServerEcdhParams::read(r)?,
            signed: DigitallySigned::read(r)?,
        })
    }
}

opaque_vec!(
    /// RFC 5077 §3.3: `opaque ticket<0..2^16-1>`.
    Ticket,
    U16,
    0,
    0xffff,
    "ticket"
);

/// RFC 5246 §7.4.1.2 `Random`: 32 bytes (gmt_unix_time is not interpreted).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Random(pub [u8; 32]);

impl std::fmt::Debug for Random {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Random(")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

impl Codec for Random {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut random = [0u8; 32];
        random.copy_from_slice(r.take(32, "random")?);
        Ok(Self(random))
    }
}

/// RFC 5246 §7.4.1.2 `ClientHello`.
///
/// `read` expects a reader bounded by the handshake body: the extensions block
/// is present exactly when bytes remain after `compression_methods`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHelloPayload {
    pub client_version: ProtocolVersion,
    pub random: Random,
    pub session_id: SessionId,
    pub cipher_suites: Vec<CipherSuite>,
    pub compression_methods: Vec<Compression>,
    /// `None`: no extensions block; `Some(vec![])`: a present, empty block.
    /// Decoding rejects duplicate types, so decoded values have none.
    pub extensions: Option<Vec<ClientExtension>>,
}

impl ClientHelloPayload {
    pub fn find_extension(&self, typ: ExtensionType) -> Option<&ClientExtension> {
        self.extensions
            .iter()
            .flatten()
            .find(|e| e.ext_type() == typ)
    }
}

impl Codec for ClientHelloPayload {
    fn encode(&self, out: &mut Vec<u8>) {
        self.client_version.encode(out);
        self.random.encode(out);
        self.session_id.encode(out);
        self.cipher_suites.encode(out);
        self.compression_methods.encode(out);
        if let Some(exts) = &self.extensions {
            exts.encode(out);
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            client_version: ProtocolVersion::read(r)?,
            random: Random::read(r)?,
            session_id: SessionId::read(r)?,
            cipher_suites: read_fixed_list(r, 2)?,
            compression_methods: Vec::read(r)?,
            extensions: read_extension_block(r, ClientExtension::ext_type)?,
        })
    }
}

/// RFC 5246 §7.4.1.3 `ServerHello`. Same extensions-block rule as ClientHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHelloPayload {
    pub server_version: ProtocolVersion,
    pub random: Random,
    pub session_id: SessionId,
    pub cipher_suite: CipherSuite,
    pub compression_method: Compression,
    pub extensions: Option<Vec<ServerExtension>>,
}

impl ServerHelloPayload {
    pub fn find_extension(&self, typ: ExtensionType) -> Option<&ServerExtension> {
        self.extensions
            .iter()
            .flatten()
            .find(|e| e.ext_type() == typ)
    }
}

impl Codec for ServerHelloPayload {
    fn encode(&self, out: &mut Vec<u8>) {
        self.server_version.encode(out);
        self.random.encode(out);
        self.session_id.encode(out);
        self.cipher_suite.encode(out);
        self.compression_method.encode(out);
        if let Some(exts) = &self.extensions {
            exts.encode(out);
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            server_version: ProtocolVersion::read(r)?,
            random: Random::read(r)?,
            session_id: SessionId::read(r)?,
            cipher_suite: CipherSuite::read(r)?,
            compression_method: Compression::read(r)?,
            extensions: read_extension_block(r, ServerExtension::ext_type)?,
        })
    }
}

/// RFC 6066 §8 `CertificateStatus`: `struct { CertificateStatusType
/// status_type; select (status_type) { case ocsp: OCSPResponse; } response;
/// }` with `opaque OCSPResponse<1..2^24-1>` (DER). Another status_type keeps
/// the rest of the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateStatusPayload {
    Ocsp(OcspResponseBytes),
    Other { status_type: u8, body: Vec<u8> },
}

opaque_vec!(
    /// RFC 6066 §8: `opaque OCSPResponse<1..2^24-1>`.
    OcspResponseBytes,
    U24,
    1,
    0xff_ffff,
    "OCSPResponse"
);

impl Codec for CertificateStatusPayload {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Ocsp(response) => {
                out.push(crate::msgs::extensions::STATUS_TYPE_OCSP);
                response.encode(out);
            }
            Self::Other { status_type, body } => {
                out.push(*status_type);
                out.extend_from_slice(body);
            }
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let status_type = u8::read(r)?;
        if status_type == crate::msgs::extensions::STATUS_TYPE_OCSP {
            Ok(Self::Ocsp(OcspResponseBytes::read(r)?))
        } else {
            Ok(Self::Other {
                status_type,
                body: r.rest().to_vec(),
            })
        }
    }
}

/// RFC 5246 §7.4.2 `Certificate`: the sender's chain, leaf first. An empty
/// list decodes; whether it is acceptable is the state machine's call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificatePayload(pub Vec<Asn1Cert>);

impl Codec for CertificatePayload {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Vec::read(r).map(Self)
    }
}

opaque_vec!(
    /// RFC 5246 §7.4.4: `opaque DistinguishedName<1..2^16-1>` (DER, not parsed).
    DistinguishedName,
    U16,
    1,
    0xffff,
    "DistinguishedName"
);

impl TlsListElement for DistinguishedName {
    // RFC 5246 §7.4.4: DistinguishedName certificate_authorities<0..2^16-1>;
    const PREFIX: LenPrefix = LenPrefix::new(LenWidth::U16, 0, 0xffff, "certificate_authorities");
}

/// RFC 5246 §7.4.4 `CertificateRequest`. The printed grammar's
/// `supported_signature_algorithms<2^16-1>` is read as §7.4.1.4.1 declares
/// the same list: `<2..2^16-2>` of two-byte pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequestPayload {
    pub certificate_types: Vec<ClientCertificateType>,
    pub supported_signature_algorithms: Vec<SignatureAndHashAlgorithm>,
    /// Acceptable issuers; empty means any (§7.4.4).
    pub certificate_authorities: Vec<DistinguishedName>,
}

impl Codec for CertificateRequestPayload {
    fn encode(&self, out: &mut Vec<u8>) {
        self.certificate_types.encode(out);
        self.supported_signature_algorithms.encode(out);
        self.certificate_authorities.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            certificate_types: Vec::read(r)?,
            supported_signature_algorithms: read_fixed_list(r, 2)?,
            certificate_authorities: Vec::read(r)?,
        })
    }
}

/// RFC 5077 §3.3 `NewSessionTicket`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicketPayload {
    pub lifetime_hint: u32,
    pub ticket: Ticket,
}

impl Codec for NewSessionTicketPayload {
    fn encode(&self, out: &mut Vec<u8>) {
        self.lifetime_hint.encode(out);
        self.ticket.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            lifetime_hint: u32::read(r)?,
            ticket: Ticket::read(r)?,
        })
    }
}

/// A handshake message body, by type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakePayload {
    /// RFC 5246 §7.4.1.1: empty body.
    HelloRequest,
    ClientHello(ClientHelloPayload),
    ServerHello(ServerHelloPayload),
    Certificate(CertificatePayload),
    /// RFC 8422 §5.4 (the ECDHE form; see the module notes).
    ServerKeyExchange(ServerKeyExchangePayload),
    CertificateRequest(CertificateRequestPayload),
    /// RFC 5246 §7.4.5: empty body.
    ServerHelloDone,
    /// The body, read by the state that knows the key exchange.
    ClientKeyExchange(ClientKeyExchangePayload),
    /// RFC 5246 §7.4.9: `verify_data`, the whole body. Its length (12 for our
    /// suites) is checked by the state machine, not here.
    Finished(Vec<u8>),
    NewSessionTicket(NewSessionTicketPayload),
    /// RFC 6066 §8.
    CertificateStatus(CertificateStatusPayload),
    /// A type with no decoder here, raw body kept. Never holds a type above.
    Unknown(HandshakeType, Vec<u8>),
}

impl HandshakePayload {
    pub fn typ(&self) -> HandshakeType {
        match self {
            Self::HelloRequest => HandshakeType::HelloRequest,
            Self::ClientHello(_) => HandshakeType::ClientHello,
            Self::ServerHello(_) => HandshakeType::ServerHello,
            Self::Certificate(_) => HandshakeType::Certificate,
            Self::ServerKeyExchange(_) => HandshakeType::ServerKeyExchange,
            Self::CertificateRequest(_) => HandshakeType::CertificateRequest,
            Self::ServerHelloDone => HandshakeType::ServerHelloDone,
            Self::ClientKeyExchange(_) => HandshakeType::ClientKeyExchange,
            Self::Finished(_) => HandshakeType::Finished,
            Self::NewSessionTicket(_) => HandshakeType::NewSessionTicket,
            Self::CertificateStatus(_) => HandshakeType::CertificateStatus,
            Self::Unknown(typ, _) => *typ,
        }
    }

    /// Encodes the body alone (no header).
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::HelloRequest | Self::ServerHelloDone => {}
            Self::ClientHello(p) => p.encode(out),
            Self::ServerHello(p) => p.encode(out),
            Self::Certificate(p) => p.encode(out),
            Self::ServerKeyExchange(p) => p.encode(out),
            Self::CertificateRequest(p) => p.encode(out),
            Self::ClientKeyExchange(p) => out.extend_from_slice(&p.0),
            Self::Finished(body) | Self::Unknown(_, body) => out.extend_from_slice(body),
            Self::NewSessionTicket(p) => p.encode(out),
            Self::CertificateStatus(p) => p.encode(out),
        }
    }

    /// Decodes a body of type `typ` that must fill `r` exactly.
    pub fn read(typ: HandshakeType, r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let payload = match typ {
            HandshakeType::HelloRequest => Self::HelloRequest,
            HandshakeType::ClientHello => Self::ClientHello(ClientHelloPayload::read(r)?),
            HandshakeType::ServerHello => Self::ServerHello(ServerHelloPayload::read(r)?),
            HandshakeType::Certificate => Self::Certificate(CertificatePayload::read(r)?),
            HandshakeType::ServerKeyExchange => {
                Self::ServerKeyExchange(ServerKeyExchangePayload::read(r)?)
            }
            HandshakeType::CertificateRequest => {
                Self::CertificateRequest(CertificateRequestPayload::read(r)?)
            }
            HandshakeType::ServerHelloDone => Self::ServerHelloDone,
            HandshakeType::ClientKeyExchange => {
                Self::ClientKeyExchange(ClientKeyExchangePayload(r.rest().to_vec()))
            }
            HandshakeType::Finished => Self::Finished(r.rest().to_vec()),
            HandshakeType::NewSessionTicket => {
                Self::NewSessionTicket(NewSessionTicketPayload::read(r)?)
            }
            HandshakeType::CertificateStatus => {
                Self::CertificateStatus(CertificateStatusPayload::read(r)?)
            }
            _ => Self::Unknown(typ, r.rest().to_vec()),
        };
        r.expect_empty(typ.name().unwrap_or("handshake body"))?;
        Ok(payload)
    }
}

/// A handshake message: header and body. `typ` equals `payload.typ()` for
/// every decoded value and every value built with `new`; the header written
/// by `encode` is `typ`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeMessagePayload {
    pub typ: HandshakeType,
    pub payload: HandshakePayload,
}

impl HandshakeMessagePayload {
    pub fn new(payload: HandshakePayload) -> Self {
        Self {
            typ: payload.typ(),
            payload,
        }
    }
}

impl Codec for HandshakeMessagePayload {
    fn encode(&self, out: &mut Vec<u8>) {
        self.typ.encode(out);
        HANDSHAKE_BODY.encode_with(out, |out| self.payload.encode(out));
    }

    /// RFC 5246 §7.4: the body is exactly `length` bytes: fewer available is
    /// `MissingData("handshake body")`, bytes left inside it `TrailingData`.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let typ = HandshakeType::read(r)?;
        let mut body = HANDSHAKE_BODY.read_body(r)?;
        let payload = HandshakePayload::read(typ, &mut body)?;
        Ok(Self { typ, payload })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::enums::{HashAlgorithm, SignatureAlgorithm};
    use crate::msgs::{decode_handshake, RenegotiatedConnection, SignatureAndHashAlgorithm};

    /// Prefixes `body` with a handshake header of type `typ`, length by hand.
    fn with_header(typ: u8, body: &[u8]) -> Vec<u8> {
        let len = body.len();
        let mut out = vec![typ, (len >> 16) as u8, (len >> 8) as u8, len as u8];
        out.extend_from_slice(body);
        out
    }

    /// The ClientHello that OpenSSL 3.0.19 `s_client -tls1_2` sent in our
    /// recording `openssl-009c-ems-on` (vectors/handshakes.json, made by
    /// vectors/gen/record_handshake.py), record header removed.
    const OPENSSL_CLIENT_HELLO: &str = concat!(
        "01000067", // client_hello, length 103
        "0303",     // client_version TLS 1.2
        "1ed4a153dc71059d8f640f862b3568e913d69fa807d953ab0bf7769aaa327eb1", // random
        "00",             // session_id: empty
        "0004009c00ff",   // cipher_suites: AES128-GCM-SHA256, EMPTY_RENEGOTIATION_INFO_SCSV
        "0100",           // compression_methods: [null]
        "003a",           // extensions: 58 bytes
        "00230000",       // session_ticket, empty
        "00160000",       // encrypt_then_mac, empty
        "00170000",       // extended_master_secret, empty
        "000d002a0028040305030603080708080809080a080b080408050806040105010601030303010302040205020602", // signature_algorithms
    );

    fn openssl_client_hello() -> Vec<u8> {
        hex::decode(OPENSSL_CLIENT_HELLO).unwrap()
    }

    /// A ClientHello body built by hand from RFC 5246 §7.4.1.2, ending after
    /// compression_methods; tests append an extensions block if they want one.
    fn client_hello_body(session_id: &[u8], suites: &[u8], compression: &[u8]) -> Vec<u8> {
        let mut b = vec![0x03, 0x03]; // client_version
        b.extend_from_slice(&[0x5a; 32]); // random
        b.push(session_id.len() as u8);
        b.extend_from_slice(session_id);
        b.extend_from_slice(&[(suites.len() >> 8) as u8, suites.len() as u8]);
        b.extend_from_slice(suites);
        b.push(compression.len() as u8);
        b.extend_from_slice(compression);
        b
    }

    fn client_hello(body: &[u8]) -> Result<ClientHelloPayload, InvalidMessage> {
        match decode_handshake(&with_header(1, body))?.payload {
            HandshakePayload::ClientHello(ch) => Ok(ch),
            other => panic!("not a ClientHello: {other:?}"),
        }
    }

    #[test]
    fn decodes_openssl_client_hello_and_re_encodes_it_exactly() {
        let bytes = openssl_client_hello();
        let msg = decode_handshake(&bytes).unwrap();
        assert_eq!(msg.typ, HandshakeType::ClientHello);
        let HandshakePayload::ClientHello(ch) = &msg.payload else {
            panic!("{msg:?}")
        };
        assert_eq!(ch.client_version, ProtocolVersion::TLSv1_2);
        assert_eq!(ch.random.0[0], 0x1e);
        assert_eq!(ch.random.0[31], 0xb1);
        assert!(ch.session_id.0.is_empty());
        assert_eq!(
            ch.cipher_suites,
            [
                CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
                CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV
            ]
        );
        assert_eq!(ch.compression_methods, [Compression::Null]);
        let types: Vec<u16> = ch
            .extensions
            .iter()
            .flatten()
            .map(|e| e.ext_type().0)
            .collect();
        assert_eq!(types, [35, 22, 23, 13]);
        assert_eq!(
            ch.find_extension(ExtensionType::SessionTicket),
            Some(&ClientExtension::SessionTicket(vec![]))
        );
        assert_eq!(
            ch.find_extension(ExtensionType::ExtendedMasterSecret),
            Some(&ClientExtension::ExtendedMasterSecret)
        );
        let Some(ClientExtension::SignatureAlgorithms(algs)) =
            ch.find_extension(ExtensionType::SignatureAlgorithms)
        else {
            panic!("no signature_algorithms")
        };
        assert_eq!(algs.len(), 20);
        assert_eq!(
            algs[11],
            SignatureAndHashAlgorithm {
                hash: HashAlgorithm::Sha256,
                signature: SignatureAlgorithm::Rsa
            }
        );
        assert_eq!(msg.get_encoding(), bytes);
    }

    #[test]
    fn rejects_every_truncation_of_a_handshake_message() {
        // RFC 5246 §7.4: a message is its 4-byte header plus `length` bytes.
        let bytes = openssl_client_hello();
        for n in 0..bytes.len() {
            assert!(
                matches!(
                    decode_handshake(&bytes[..n]),
                    Err(InvalidMessage::MissingData(_))
                ),
                "prefix of {n} bytes"
            );
        }
    }

    #[test]
    fn rejects_client_hello_body_cut_at_each_length_class() {
        // RFC 5246 §7.4.1.2: header length adjusted to the cut body, so every
        // field's own length prefix is what runs out. Offsets into the
        // recorded body (header excluded).
        let body = &openssl_client_hello()[4..];
        let cases: &[(usize, InvalidMessage)] = &[
            (1, InvalidMessage::MissingData("u16")),     // client_version
            (20, InvalidMessage::MissingData("random")), // random
            (34, InvalidMessage::MissingData("u8")),     // session_id length
            (36, InvalidMessage::MissingData("u16")),    // cipher_suites length
            (39, InvalidMessage::MissingData("cipher_suites")), // inside cipher_suites
            (41, InvalidMessage::MissingData("u8")),     // compression length
            (42, InvalidMessage::MissingData("compression_methods")),
            (44, InvalidMessage::MissingData("u16")), // extensions length
            (50, InvalidMessage::MissingData("extensions")), // inside the block
        ];
        for (cut, err) in cases {
            assert_eq!(client_hello(&body[..*cut]), Err(*err), "cut at {cut}");
        }
        // At the end of compression_methods the hello is complete, extensions
        // absent (RFC 5246 §7.4.1.2: "the presence of extensions can be
        // detected by determining whether there are bytes following").
        assert_eq!(client_hello(&body[..43]).unwrap().extensions, None);
        for cut in (0..body.len()).filter(|&c| c != 43) {
            assert!(client_hello(&body[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn keeps_present_but_empty_extensions_block() {
        // RFC 5246 §7.4.1.2: an empty block `00 00` is present, not absent.
        let mut body = client_hello_body(&[], &[0x00, 0x9c], &[0x00]);
        body.extend_from_slice(&[0x00, 0x00]);
        let bytes = with_header(1, &body);
        let msg = decode_handshake(&bytes).unwrap();
        let HandshakePayload::ClientHello(ch) = &msg.payload else {
            panic!("{msg:?}")
        };
        assert_eq!(ch.extensions, Some(vec![]));
        assert_eq!(msg.get_encoding(), bytes);
    }

    #[test]
    fn rejects_client_hello_with_empty_cipher_suites() {
        // RFC 5246 §7.4.1.2: cipher_suites<2..2^16-2>.
        assert_eq!(
            client_hello(&client_hello_body(&[], &[], &[0x00])),
            Err(InvalidMessage::EmptyVector("cipher_suites"))
        );
    }

    #[test]
    fn rejects_client_hello_with_odd_cipher_suites_length() {
        // RFC 5246 §7.4.1.2: cipher suites are two bytes each.
        assert_eq!(
            client_hello(&client_hello_body(&[], &[0x00, 0x9c, 0x00], &[0x00])),
            Err(InvalidMessage::BadVectorLength("cipher_suites"))
        );
        assert_eq!(
            client_hello(&client_hello_body(&[], &[0x00], &[0x00])),
            Err(InvalidMessage::VectorTooShort("cipher_suites"))
        );
    }

    #[test]
    fn rejects_client_hello_with_empty_compression_methods() {
        // RFC 5246 §7.4.1.2: compression_methods<1..2^8-1>.
        assert_eq!(
            client_hello(&client_hello_body(&[], &[0x00, 0x9c], &[])),
            Err(InvalidMessage::EmptyVector("compression_methods"))
        );
    }

    #[test]
    fn rejects_session_id_longer_than_32_bytes() {
        // RFC 5246 §7.4.1.2: opaque SessionID<0..32>.
        assert_eq!(
            client_hello(&client_hello_body(&[7; 33], &[0x00, 0x9c], &[0x00])),
            Err(InvalidMessage::VectorTooLong("session_id"))
        );
        let ok = client_hello(&client_hello_body(&[7; 32], &[0x00, 0x9c], &[0x00])).unwrap();
        assert_eq!(ok.session_id.0, [7; 32]);
    }

    #[test]
    fn rejects_client_hello_with_duplicate_extension() {
        // RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of
        // the same type." Two extended_master_secret extensions:
        let mut body = client_hello_body(&[], &[0x00, 0x9c], &[0x00]);
        body.extend_from_slice(&[0x00, 0x08, 0x00, 0x17, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00]);
        assert_eq!(
            client_hello(&body),
            Err(InvalidMessage::DuplicateExtension(0x0017))
        );
    }

    #[test]
    fn rejects_client_hello_with_bytes_after_extensions() {
        // RFC 5246 §7.4.1.2: nothing follows the extensions block.
        let mut body = client_hello_body(&[], &[0x00, 0x9c], &[0x00]);
        body.extend_from_slice(&[0x00, 0x00, 0x00]);
        assert_eq!(
            client_hello(&body),
            Err(InvalidMessage::TrailingData("ClientHello"))
        );
    }

    /// ServerHello built by hand from RFC 5246 §7.4.1.3.
    fn server_hello_body(extensions: &[u8]) -> Vec<u8> {
        let mut b = vec![0x03, 0x03]; // server_version TLS 1.2
        b.extend_from_slice(&[0x11; 32]); // random
        b.push(0x20); // session_id length 32
        b.extend_from_slice(&[0x22; 32]);
        b.extend_from_slice(&[0x00, 0x9d]); // TLS_RSA_WITH_AES_256_GCM_SHA384
        b.push(0x00); // compression null
        b.extend_from_slice(extensions);
        b
    }

    #[test]
    fn decodes_hand_built_server_hello() {
        let exts = [
            0x00, 0x09, // extensions length 9
            0xff, 0x01, 0x00, 0x01, 0x00, // renegotiation_info, empty
            0x00, 0x17, 0x00, 0x00, // extended_master_secret
        ];
        let bytes = with_header(2, &server_hello_body(&exts));
        assert_eq!(&bytes[..4], [0x02, 0x00, 0x00, 0x51]); // 81-byte body
        let msg = decode_handshake(&bytes).unwrap();
        assert_eq!(
            msg.payload,
            HandshakePayload::ServerHello(ServerHelloPayload {
                server_version: ProtocolVersion::TLSv1_2,
                random: Random([0x11; 32]),
                session_id: SessionId(vec![0x22; 32]),
                cipher_suite: CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
                compression_method: Compression::Null,
                extensions: Some(vec![
                    ServerExtension::RenegotiationInfo(RenegotiatedConnection(vec![])),
                    ServerExtension::ExtendedMasterSecret,
                ]),
            })
        );
        assert_eq!(msg.get_encoding(), bytes);
    }

    #[test]
    fn server_hello_distinguishes_absent_and_empty_extensions() {
        // RFC 5246 §7.4.1.3: the block is optional; present-but-empty is kept.
        for (tail, want) in [(&[][..], None), (&[0x00, 0x00][..], Some(vec![]))] {
            let bytes = with_header(2, &server_hello_body(tail));
            let msg = decode_handshake(&bytes).unwrap();
            let HandshakePayload::ServerHello(sh) = &msg.payload else {
                panic!("{msg:?}")
            };
            assert_eq!(sh.extensions, want);
            assert_eq!(msg.get_encoding(), bytes);
        }
    }

    #[test]
    fn rejects_malformed_server_hello() {
        // RFC 5246 §7.4.1.3 field by field.
        let mut long_sid = server_hello_body(&[]);
        long_sid[34] = 33;
        assert_eq!(
            decode_handshake(&with_header(2, &long_sid)),
            Err(InvalidMessage::VectorTooLong("session_id"))
        );
        let dup = server_hello_body(&[0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
        assert_eq!(
            decode_handshake(&with_header(2, &dup)),
            Err(InvalidMessage::DuplicateExtension(0))
        );
        assert_eq!(
            decode_handshake(&with_header(2, &server_hello_body(&[0x00, 0x00, 0x00]))),
            Err(InvalidMessage::TrailingData("ServerHello"))
        );
        let body = server_hello_body(&[]);
        assert_eq!(
            decode_handshake(&with_header(2, &body[..68])),
            Err(InvalidMessage::MissingData("u16")) // cipher_suite cut
        );
        assert_eq!(
            decode_handshake(&with_header(2, &body[..69])),
            Err(InvalidMessage::MissingData("u8")) // compression_method missing
        );
        assert_eq!(
            decode_handshake(&with_header(2, &server_hello_body(&[0x00]))),
            Err(InvalidMessage::MissingData("u16")) // extensions length cut
        );
        assert_eq!(
            decode_handshake(&with_header(
                2,
                &server_hello_body(&[0x00, 0x04, 0x00, 0x17])
            )),
            Err(InvalidMessage::MissingData("extensions"))
        );
    }

    #[test]
    fn decodes_hand_built_certificate_chain() {
        // RFC 5246 §7.4.2, by hand:
        let bytes = [
            0x0b, 0x00, 0x00, 0x0d, // certificate, length 13
            0x00, 0x00, 0x0a, // certificate_list length 10
            0x00, 0x00, 0x03, 0x30, 0x01, 0x00, // ASN.1Cert of 3 bytes
            0x00, 0x00, 0x01, 0x30, // ASN.1Cert of 1 byte
        ];
        let msg = decode_handshake(&bytes).unwrap();
        assert_eq!(
            msg.payload,
            HandshakePayload::Certificate(CertificatePayload(vec![
                Asn1Cert(vec![0x30, 0x01, 0x00]),
                Asn1Cert(vec![0x30]),
            ]))
        );
        assert_eq!(msg.get_encoding(), bytes);
    }

    #[test]
    fn decodes_empty_certificate_list() {
        // RFC 5246 §7.4.6: a client without a certificate sends an empty list.
        let msg = decode_handshake(&[0x0b, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00]).unwrap();
        assert_eq!(
            msg.payload,
            HandshakePayload::Certificate(CertificatePayload(vec![]))
        );
    }

    #[test]
    fn rejects_malformed_certificate_list() {
        // RFC 5246 §7.4.2: ASN.1Cert<1..2^24-1> inside certificate_list<0..2^24-1>.
        let cases: &[(&[u8], InvalidMessage)] = &[
            (
                &[0x00, 0x00, 0x03, 0x00, 0x00, 0x00],
                InvalidMessage::EmptyVector("ASN.1Cert"),
            ),
            (
                &[0x00, 0x00, 0x04, 0x00, 0x00, 0x05, 0x30],
                InvalidMessage::MissingData("ASN.1Cert"),
            ),
            (
                &[0x00, 0x00, 0x05, 0x00, 0x00, 0x01],
                InvalidMessage::MissingData("certificate_list"),
            ),
            (
                &[0x00, 0x00, 0x02, 0x00, 0x00],
                InvalidMessage::MissingData("u24"),
            ),
            (&[0x00, 0x00], InvalidMessage::MissingData("u24")),
            (
                &[0x00, 0x00, 0x00, 0x00],
                InvalidMessage::TrailingData("Certificate"),
            ),
        ];
        for (body, err) in cases {
            assert_eq!(
                decode_handshake(&with_header(11, body)),
                Err(*err),
                "{body:02x?}"
            );
        }
    }

    #[test]
    fn decodes_empty_bodied_messages_and_rejects_bytes_in_them() {
        // RFC 5246 §7.4.1.1 HelloRequest and §7.4.5 ServerHelloDone: `struct { }`.
        assert_eq!(
            decode_handshake(&[0x00, 0x00, 0x00, 0x00]).map(|m| m.payload),
            Ok(HandshakePayload::HelloRequest)
        );
        assert_eq!(
            decode_handshake(&[0x0e, 0x00, 0x00, 0x00]).map(|m| m.payload),
            Ok(HandshakePayload::ServerHelloDone)
        );
        assert_eq!(
            decode_handshake(&[0x00, 0x00, 0x00, 0x01, 0x00]),
            Err(InvalidMessage::TrailingData("HelloRequest"))
        );
        assert_eq!(
            decode_handshake(&[0x0e, 0x00, 0x00, 0x01, 0x00]),
            Err(InvalidMessage::TrailingData("ServerHelloDone"))
        );
    }

    fn cke(bytes: &[u8]) -> ClientKeyExchangePayload {
        match decode_handshake(bytes).unwrap().payload {
            HandshakePayload::ClientKeyExchange(c) => c,
            other => panic!("not a ClientKeyExchange: {other:?}"),
        }
    }

    #[test]
    fn decodes_rsa_client_key_exchange() {
        // RFC 5246 §7.4.7.1: EncryptedPreMasterSecret with its 2-byte length.
        let bytes = [0x10, 0x00, 0x00, 0x06, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef];
        let msg = decode_handshake(&bytes).unwrap();
        assert_eq!(msg.get_encoding(), bytes);
        assert_eq!(
            cke(&bytes).rsa(),
            Ok(EncryptedPreMasterSecret(vec![0xde, 0xad, 0xbe, 0xef]))
        );
    }

    #[test]
    fn rejects_malformed_client_key_exchange() {
        // RFC 5246 §7.4.7.1: the body is exactly the length-prefixed ciphertext.
        assert_eq!(
            cke(&[0x10, 0x00, 0x00, 0x03, 0x00, 0x04, 0xde]).rsa(),
            Err(InvalidMessage::MissingData("EncryptedPreMasterSecret"))
        );
        assert_eq!(
            cke(&[0x10, 0x00, 0x00, 0x05, 0x00, 0x02, 0xaa, 0xbb, 0xcc]).rsa(),
            Err(InvalidMessage::TrailingData("ClientKeyExchange"))
        );
        assert_eq!(
            cke(&[0x10, 0x00, 0x00, 0x01, 0x00]).rsa(),
            Err(InvalidMessage::MissingData("u16"))
        );
    }

    #[test]
    fn reads_the_ecdhe_client_key_exchange_strictly() {
        // RFC 8422 §5.7: `opaque point <1..2^8-1>`.
        let bytes = [0x10, 0x00, 0x00, 0x04, 0x03, 0x04, 0x01, 0x02];
        assert_eq!(cke(&bytes).ecdh(), Ok(EcPoint(vec![4, 1, 2])));
        assert_eq!(
            cke(&[0x10, 0x00, 0x00, 0x01, 0x00]).ecdh(),
            Err(InvalidMessage::EmptyVector("ECPoint"))
        );
        assert_eq!(
            cke(&[0x10, 0x00, 0x00, 0x00]).ecdh(),
            Err(InvalidMessage::MissingData("u8"))
        );
        assert_eq!(
            cke(&[0x10, 0x00, 0x00, 0x03, 0x01, 0xaa, 0xbb]).ecdh(),
            Err(InvalidMessage::TrailingData("ClientKeyExchange"))
        );
        assert_eq!(
            cke(&[0x10, 0x00, 0x00, 0x02, 0x02, 0xaa]).ecdh(),
            Err(InvalidMessage::MissingData("ECPoint"))
        );
    }

    #[test]
    fn decodes_an_ecdhe_server_key_exchange_built_by_hand() {
        // RFC 8422 §5.4: curve_type named_curve(3), x25519(29), a 2-byte
        // point, then rsa_pkcs1_sha256 (04 01) and a 3-byte signature.
        let bytes = [
            0x0c, 0x00, 0x00, 0x0d, // server_key_exchange, length 13
            0x03, 0x00, 0x1d, // named_curve x25519
            0x02, 0xaa, 0xbb, // point
            0x04, 0x01, // sha256, rsa
            0x00, 0x03, 0x01, 0x02, 0x03, // signature
        ];
        let msg = decode_handshake(&bytes[..]).unwrap_or_else(|e| panic!("{e:?}"));
        let HandshakePayload::ServerKeyExchange(ske) = &msg.payload else {
            panic!("{msg:?}")
        };
        assert_eq!(ske.params.named_group, NamedGroup::x25519);
        assert_eq!(ske.params.public, EcPoint(vec![0xaa, 0xbb]));
        assert_eq!(ske.signed.signature, SignatureBytes(vec![1, 2, 3]));
        assert_eq!(msg.get_encoding(), bytes);
        // The signed message is client_random ‖ server_random ‖ params.
        let m = ServerKeyExchangePayload::signed_message(&[1; 32], &[2; 32], &ske.params);
        assert_eq!(&m[64..], &bytes[4..10]);
        // RFC 8422 §5.4: explicit curves (1, 2) are not in use.
        let mut explicit = bytes;
        explicit[4] = 0x01;
        assert_eq!(
            decode_handshake(&explicit),
            Err(InvalidMessage::IllegalValue(
                "ECCurveType: only named_curve (RFC 8422 §5.4)"
            ))
        );
        // An empty point, and a trailing byte.
        assert_eq!(
            decode_handshake(&[0x0c, 0, 0, 8, 3, 0, 0x1d, 0, 4, 1, 0, 0]),
            Err(InvalidMessage::EmptyVector("ECPoint"))
        );
        let mut long = bytes.to_vec();
        long[3] += 1;
        long.push(0);
        assert_eq!(
            decode_handshake(&long),
            Err(InvalidMessage::TrailingData("ServerKeyExchange"))
        );
    }

    #[test]
    fn decodes_finished_verify_data_whole_body() {
        // RFC 5246 §7.4.9: verify_data[verify_data_length], 12 bytes here.
        let mut bytes = vec![0x14, 0x00, 0x00, 0x0c];
        bytes.extend_from_slice(&[0x9a; 12]);
        let msg = decode_handshake(&bytes).unwrap();
        assert_eq!(msg.payload, HandshakePayload::Finished(vec![0x9a; 12]));
        // A wrong length still decodes: the state machine checks it.
        let short = decode_handshake(&[0x14, 0x00, 0x00, 0x02, 0x01, 0x02]).unwrap();
        assert_eq!(short.payload, HandshakePayload::Finished(vec![1, 2]));
    }

    #[test]
    fn decodes_new_session_ticket() {
        // RFC 5077 §3.3, by hand:
        let bytes = [
            0x04, 0x00, 0x00, 0x0a, // new_session_ticket, length 10
            0x00, 0x00, 0x1c, 0x20, // ticket_lifetime_hint 7200 s
            0x00, 0x04, b't', b'i', b'c', b'k', // ticket
        ];
        let msg = decode_handshake(&bytes).unwrap();
        assert_eq!(
            msg.payload,
            HandshakePayload::NewSessionTicket(NewSessionTicketPayload {
                lifetime_hint: 7200,
                ticket: Ticket(b"tick".to_vec()),
            })
        );
        assert_eq!(msg.get_encoding(), bytes);
    }

    #[test]
    fn rejects_malformed_new_session_ticket() {
        // RFC 5077 §3.3: uint32 hint, then ticket<0..2^16-1> filling the body.
        assert_eq!(
            decode_handshake(&[0x04, 0x00, 0x00, 0x03, 0x00, 0x00, 0x1c]),
            Err(InvalidMessage::MissingData("u32"))
        );
        assert_eq!(
            decode_handshake(&[0x04, 0x00, 0x00, 0x07, 0, 0, 0, 0, 0x00, 0x05, 0xaa]),
            Err(InvalidMessage::MissingData("ticket"))
        );
        assert_eq!(
            decode_handshake(&[0x04, 0x00, 0x00, 0x07, 0, 0, 0, 0, 0x00, 0x00, 0xaa]),
            Err(InvalidMessage::TrailingData("NewSessionTicket"))
        );
    }

    /// A CertificateRequest built by hand from RFC 5246 §7.4.4: types
    /// rsa_sign, dss_sign, ecdsa_sign; two signature algorithms; one
    /// 3-byte DistinguishedName.
    const CERTIFICATE_REQUEST: &[u8] = &[
        0x0d, 0x00, 0x00, 0x11, // certificate_request, length 17
        0x03, 0x01, 0x02, 0x40, // certificate_types<1..2^8-1>
        0x00, 0x04, 0x04, 0x01, 0x05, 0x01, // supported_signature_algorithms
        0x00, 0x05, 0x00, 0x03, 0x30, 0x01, 0x00, // certificate_authorities
    ];

    #[test]
    fn decodes_hand_built_certificate_request_and_re_encodes_it() {
        let msg = decode_handshake(CERTIFICATE_REQUEST).unwrap();
        let pair = |hash, signature| SignatureAndHashAlgorithm { hash, signature };
        assert_eq!(
            msg.payload,
            HandshakePayload::CertificateRequest(CertificateRequestPayload {
                certificate_types: vec![
                    ClientCertificateType::RsaSign,
                    ClientCertificateType::DssSign,
                    ClientCertificateType::EcdsaSign,
                ],
                supported_signature_algorithms: vec![
                    pair(HashAlgorithm::Sha256, SignatureAlgorithm::Rsa),
                    pair(HashAlgorithm::Sha384, SignatureAlgorithm::Rsa),
                ],
                certificate_authorities: vec![DistinguishedName(vec![0x30, 0x01, 0x00])],
            })
        );
        assert_eq!(msg.get_encoding(), CERTIFICATE_REQUEST);
        // certificate_authorities<0..2^16-1>: an empty list is "any issuer".
        let any = [
            0x0d, 0x00, 0x00, 0x08, 0x01, 0x01, 0x00, 0x02, 0x04, 0x01, 0x00, 0x00,
        ];
        let HandshakePayload::CertificateRequest(req) = decode_handshake(&any).unwrap().payload
        else {
            panic!("not a CertificateRequest")
        };
        assert!(req.certificate_authorities.is_empty());
    }

    #[test]
    fn rejects_malformed_certificate_request() {
        // RFC 5246 §7.4.4, field by field (bodies without the header).
        let cases: &[(&[u8], InvalidMessage)] = &[
            // certificate_types<1..2^8-1> empty.
            (
                &[0x00, 0x00, 0x02, 0x04, 0x01, 0x00, 0x00],
                InvalidMessage::EmptyVector("certificate_types"),
            ),
            // supported_signature_algorithms<2..2^16-2> empty, or odd.
            (
                &[0x01, 0x01, 0x00, 0x00, 0x00, 0x00],
                InvalidMessage::EmptyVector("supported_signature_algorithms"),
            ),
            (
                &[0x01, 0x01, 0x00, 0x03, 0x04, 0x01, 0x05, 0x00, 0x00],
                InvalidMessage::BadVectorLength("supported_signature_algorithms"),
            ),
            // DistinguishedName<1..2^16-1> empty.
            (
                &[0x01, 0x01, 0x00, 0x02, 0x04, 0x01, 0x00, 0x02, 0x00, 0x00],
                InvalidMessage::EmptyVector("DistinguishedName"),
            ),
            // A DistinguishedName longer than its list.
            (
                &[
                    0x01, 0x01, 0x00, 0x02, 0x04, 0x01, 0x00, 0x03, 0x00, 0x02, 0x30,
                ],
                InvalidMessage::MissingData("DistinguishedName"),
            ),
            // certificate_authorities missing altogether.
            (
                &[0x01, 0x01, 0x00, 0x02, 0x04, 0x01],
                InvalidMessage::MissingData("u16"),
            ),
            // A byte after certificate_authorities.
            (
                &[0x01, 0x01, 0x00, 0x02, 0x04, 0x01, 0x00, 0x00, 0x00],
                InvalidMessage::TrailingData("CertificateRequest"),
            ),
        ];
        for (body, err) in cases {
            assert_eq!(
                decode_handshake(&with_header(13, body)),
                Err(*err),
                "{body:02x?}"
            );
        }
    }

    #[test]
    fn unknown_handshake_types_round_trip_unchanged() {
        // RFC 5246 §7.4: CertificateVerify(15) and unassigned types have no
        // decoder here (ServerKeyExchange(12) and CertificateRequest(13)
        // have: see the tests above).
        for bytes in [
            &[0x0f, 0x00, 0x00, 0x02, 0x04, 0x01][..],
            &[0x0f, 0x00, 0x00, 0x00],
            &[0xfe, 0x00, 0x00, 0x01, 0xff],
        ] {
            let msg = decode_handshake(bytes).unwrap();
            assert_eq!(
                msg.payload,
                HandshakePayload::Unknown(HandshakeType(bytes[0]), bytes[4..].to_vec())
            );
            assert_eq!(msg.get_encoding(), bytes);
        }
    }

    #[test]
    fn rejects_handshake_body_shorter_or_longer_than_declared() {
        // RFC 5246 §7.4: `uint24 length` is the exact body length.
        assert_eq!(
            decode_handshake(&[0x14, 0x00, 0x00, 0x05, 1, 2, 3]),
            Err(InvalidMessage::MissingData("handshake body"))
        );
        assert!(matches!(
            decode_handshake(&[0x0e, 0x00, 0x00, 0x00, 0x00]),
            Err(InvalidMessage::TrailingData(_))
        ));
        assert_eq!(
            decode_handshake(&[0x0e, 0x00, 0x00]),
            Err(InvalidMessage::MissingData("u24"))
        );
        assert_eq!(
            decode_handshake(&[]),
            Err(InvalidMessage::MissingData("u8"))
        );
    }

    #[test]
    fn new_takes_the_header_type_from_the_payload() {
        let msg = HandshakeMessagePayload::new(HandshakePayload::ServerHelloDone);
        assert_eq!(msg.typ, HandshakeType::ServerHelloDone);
        assert_eq!(msg.get_encoding(), [0x0e, 0x00, 0x00, 0x00]);
    }
}
