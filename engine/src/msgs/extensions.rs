//! Hello extensions (RFC 5246 §7.4.1.4): the generic framing
//! `ExtensionType extension_type; opaque extension_data<0..2^16-1>;` and the
//! typed bodies in scope: server_name (RFC 6066), extended_master_secret
//! (RFC 7627), renegotiation_info (RFC 5746), signature_algorithms
//! (RFC 5246 §7.4.1.4.1), session_ticket (RFC 5077), and supported_groups
//! and ec_point_formats (RFC 8422 §5.1). Any other extension
//! is kept as raw bytes so it round-trips unchanged.
//!
//! Client and server extensions are separate enums because the same type has
//! a different body in each direction: server_name and session_ticket carry a
//! list and a ticket from the client but are empty acknowledgements from the
//! server, and signature_algorithms is client-only in TLS 1.2. A ServerHello
//! carrying signature_algorithms decodes as `Unknown`, which the state machine
//! then rejects as unsolicited like any other unoffered extension.
//!
//! Each extension body must be consumed exactly: bytes left inside
//! `extension_data` are `TrailingData` naming the extension.

use std::collections::BTreeSet;

use super::read_fixed_list;
use crate::codec::{Codec, LenPrefix, LenWidth, Reader, TlsListElement};
use crate::enums::{
    EcPointFormat, ExtensionType, HashAlgorithm, NamedGroup, ServerNameType, SignatureAlgorithm,
};
use crate::error::InvalidMessage;

/// `opaque extension_data<0..2^16-1>`
const EXTENSION_DATA: LenPrefix = LenPrefix::new(LenWidth::U16, 0, 0xffff, "extension_data");

opaque_vec!(
    /// RFC 6066 §3: `opaque HostName<1..2^16-1>`.
    HostName,
    U16,
    1,
    0xffff,
    "HostName"
);

opaque_vec!(
    /// RFC 5746 §3.2: `opaque renegotiated_connection<0..255>`.
    RenegotiatedConnection,
    U8,
    0,
    0xff,
    "renegotiated_connection"
);

/// RFC 6066 §3 `ServerName`. RFC 6066 defines only `host_name`; entries of
/// other name types are read with the same `opaque<1..2^16-1>` layout (the
/// only one the `select` could extend) and kept, so they round-trip; the
/// state machine looks only at `host_name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerName {
    pub name_type: ServerNameType,
    pub name: HostName,
}

impl Codec for ServerName {
    fn encode(&self, out: &mut Vec<u8>) {
        self.name_type.encode(out);
        self.name.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            name_type: ServerNameType::read(r)?,
            name: HostName::read(r)?,
        })
    }
}

impl TlsListElement for ServerName {
    // RFC 6066 §3: ServerName server_name_list<1..2^16-1>;
    const PREFIX: LenPrefix = LenPrefix::new(LenWidth::U16, 1, 0xffff, "server_name_list");
}

/// RFC 5246 §7.4.1.4.1 `SignatureAndHashAlgorithm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignatureAndHashAlgorithm {
    pub hash: HashAlgorithm,
    pub signature: SignatureAlgorithm,
}

impl Codec for SignatureAndHashAlgorithm {
    fn encode(&self, out: &mut Vec<u8>) {
        self.hash.encode(out);
        self.signature.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            hash: HashAlgorithm::read(r)?,
            signature: SignatureAlgorithm::read(r)?,
        })
    }
}

impl TlsListElement for SignatureAndHashAlgorithm {
    // RFC 5246 §7.4.1.4.1:
    // SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>;
    const PREFIX: LenPrefix =
        LenPrefix::new(LenWidth::U16, 2, 0xfffe, "supported_signature_algorithms");
}

/// An extension in a ClientHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientExtension {
    /// RFC 6066 §3. No two entries share a name type.
    ServerName(Vec<ServerName>),
    /// RFC 7627 §5.1: empty body.
    ExtendedMasterSecret,
    /// RFC 5746 §3.2.
    RenegotiationInfo(RenegotiatedConnection),
    /// RFC 5246 §7.4.1.4.1.
    SignatureAlgorithms(Vec<SignatureAndHashAlgorithm>),
    /// RFC 5077 §3.2: the whole body is the ticket; empty asks for a new one.
    SessionTicket(Vec<u8>),
    /// RFC 8422 §5.1.1 (RFC 7919's name): the groups the client can use.
    SupportedGroups(Vec<NamedGroup>),
    /// RFC 8422 §5.1.2: the point formats the client can parse.
    EcPointFormats(Vec<EcPointFormat>),
    /// RFC 6066 §8: the client asks for a stapled certificate status.
    StatusRequest(CertificateStatusRequest),
    /// Any other type, body kept verbatim. Never holds a type decoded above.
    Unknown { typ: ExtensionType, body: Vec<u8> },
}

/// RFC 6066 §8 `CertificateStatusType`: `ocsp(1)`.
pub const STATUS_TYPE_OCSP: u8 = 1;

/// RFC 6066 §8:
/// `struct { CertificateStatusType status_type; select (status_type) { case
/// ocsp: OCSPStatusRequest; } request; } CertificateStatusRequest;`
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateStatusRequest {
    /// `struct { ResponderID responder_id_list<0..2^16-1>; Extensions
    /// request_extensions; } OCSPStatusRequest;` with `opaque
    /// ResponderID<1..2^16-1>` and `opaque Extensions<0..2^16-1>` (DER).
    Ocsp {
        responder_ids: Vec<ResponderId>,
        request_extensions: Vec<u8>,
    },
    /// Another status_type: the rest of the body, kept.
    Other { status_type: u8, body: Vec<u8> },
}

impl CertificateStatusRequest {
    /// What our client sends: OCSP, no responder ids, no extensions.
    pub fn ocsp() -> Self {
        Self::Ocsp {
            responder_ids: Vec::new(),
            request_extensions: Vec::new(),
        }
    }

    const REQUEST_EXTENSIONS: LenPrefix =
        LenPrefix::new(LenWidth::U16, 0, 0xffff, "request_extensions");
}

impl Codec for CertificateStatusRequest {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Ocsp {
                responder_ids,
                request_extensions,
            } => {
                out.push(STATUS_TYPE_OCSP);
                responder_ids.encode(out);
                Self::REQUEST_EXTENSIONS
                    .encode_with(out, |out| out.extend_from_slice(request_extensions));
            }
            Self::Other { status_type, body } => {
                out.push(*status_type);
                out.extend_from_slice(body);
            }
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let status_type = u8::read(r)?;
        if status_type != STATUS_TYPE_OCSP {
            return Ok(Self::Other {
                status_type,
                body: r.rest().to_vec(),
            });
        }
        let responder_ids = Vec::read(r)?;
        let mut exts = Self::REQUEST_EXTENSIONS.read_body(r)?;
        Ok(Self::Ocsp {
            responder_ids,
            request_extensions: exts.rest().to_vec(),
        })
    }
}

opaque_vec!(
    /// RFC 6066 §8: `opaque ResponderID<1..2^16-1>` (DER, not parsed).
    ResponderId,
    U16,
    1,
    0xffff,
    "ResponderID"
);

impl TlsListElement for ResponderId {
    const PREFIX: LenPrefix = LenPrefix::new(LenWidth::U16, 0, 0xffff, "responder_id_list");
}

impl ClientExtension {
    pub fn ext_type(&self) -> ExtensionType {
        match self {
            Self::ServerName(_) => ExtensionType::ServerName,
            Self::ExtendedMasterSecret => ExtensionType::ExtendedMasterSecret,
            Self::RenegotiationInfo(_) => ExtensionType::RenegotiationInfo,
            Self::SignatureAlgorithms(_) => ExtensionType::SignatureAlgorithms,
            Self::SessionTicket(_) => ExtensionType::SessionTicket,
            Self::SupportedGroups(_) => ExtensionType::SupportedGroups,
            Self::EcPointFormats(_) => ExtensionType::EcPointFormats,
            Self::StatusRequest(_) => ExtensionType::StatusRequest,
            Self::Unknown { typ, .. } => *typ,
        }
    }

    /// The `host_name` entry of a server_name extension, if any.
    pub fn host_name(&self) -> Option<&[u8]> {
        match self {
            Self::ServerName(names) => names
                .iter()
                .find(|n| n.name_type == ServerNameType::HostName)
                .map(|n| n.name.0.as_slice()),
            _ => None,
        }
    }
}

impl Codec for ClientExtension {
    fn encode(&self, out: &mut Vec<u8>) {
        self.ext_type().encode(out);
        EXTENSION_DATA.encode_with(out, |out| match self {
            Self::ServerName(names) => names.encode(out),
            Self::ExtendedMasterSecret => {}
            Self::RenegotiationInfo(rc) => rc.encode(out),
            Self::SignatureAlgorithms(algs) => algs.encode(out),
            Self::SupportedGroups(groups) => groups.encode(out),
            Self::EcPointFormats(formats) => formats.encode(out),
            Self::StatusRequest(req) => req.encode(out),
            Self::SessionTicket(body) | Self::Unknown { body, .. } => out.extend_from_slice(body),
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let typ = ExtensionType::read(r)?;
        let mut body = EXTENSION_DATA.read_body(r)?;
        let ext = match typ {
            ExtensionType::ServerName => Self::ServerName(read_server_name_list(&mut body)?),
            ExtensionType::ExtendedMasterSecret => Self::ExtendedMasterSecret,
            ExtensionType::RenegotiationInfo => {
                Self::RenegotiationInfo(RenegotiatedConnection::read(&mut body)?)
            }
            ExtensionType::SignatureAlgorithms => {
                Self::SignatureAlgorithms(read_fixed_list(&mut body, 2)?)
            }
            ExtensionType::SessionTicket => Self::SessionTicket(body.rest().to_vec()),
            ExtensionType::SupportedGroups => Self::SupportedGroups(read_fixed_list(&mut body, 2)?),
            ExtensionType::EcPointFormats => Self::EcPointFormats(Vec::read(&mut body)?),
            ExtensionType::StatusRequest => {
                Self::StatusRequest(CertificateStatusRequest::read(&mut body)?)
            }
            _ => Self::Unknown {
                typ,
                body: body.rest().to_vec(),
            },
        };
        body.expect_empty(typ.name().unwrap_or("extension_data"))?;
        Ok(ext)
    }
}

impl TlsListElement for ClientExtension {
    // RFC 5246 §7.4.1.2: Extension extensions<0..2^16-1>;
    const PREFIX: LenPrefix = LenPrefix::new(LenWidth::U16, 0, 0xffff, "extensions");
}

/// An extension in a ServerHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerExtension {
    /// RFC 6066 §3: the server's server_name is empty.
    ServerNameAck,
    /// RFC 7627 §5.2: empty body.
    ExtendedMasterSecret,
    /// RFC 5746 §3.2.
    RenegotiationInfo(RenegotiatedConnection),
    /// RFC 5077 §3.2: the server's session_ticket is empty.
    SessionTicketAck,
    /// RFC 8422 §5.2: the point formats the server can parse.
    EcPointFormats(Vec<EcPointFormat>),
    /// RFC 6066 §8: the server's status_request is empty; it will send
    /// CertificateStatus (or may still not).
    StatusRequestAck,
    /// Any other type, body kept verbatim. Never holds a type decoded above.
    Unknown { typ: ExtensionType, body: Vec<u8> },
}

impl ServerExtension {
    pub fn ext_type(&self) -> ExtensionType {
        match self {
            Self::ServerNameAck => ExtensionType::ServerName,
            Self::ExtendedMasterSecret => ExtensionType::ExtendedMasterSecret,
            Self::RenegotiationInfo(_) => ExtensionType::RenegotiationInfo,
            Self::SessionTicketAck => ExtensionType::SessionTicket,
            Self::EcPointFormats(_) => ExtensionType::EcPointFormats,
            Self::StatusRequestAck => ExtensionType::StatusRequest,
            Self::Unknown { typ, .. } => *typ,
        }
    }
}

impl Codec for ServerExtension {
    fn encode(&self, out: &mut Vec<u8>) {
        self.ext_type().encode(out);
        EXTENSION_DATA.encode_with(out, |out| match self {
            Self::ServerNameAck
            | Self::ExtendedMasterSecret
            | Self::SessionTicketAck
            | Self::StatusRequestAck => {}
            Self::RenegotiationInfo(rc) => rc.encode(out),
            Self::EcPointFormats(formats) => formats.encode(out),
            Self::Unknown { body, .. } => out.extend_from_slice(body),
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let typ = ExtensionType::read(r)?;
        let mut body = EXTENSION_DATA.read_body(r)?;
        let ext = match typ {
            ExtensionType::ServerName => Self::ServerNameAck,
            ExtensionType::ExtendedMasterSecret => Self::ExtendedMasterSecret,
            ExtensionType::RenegotiationInfo => {
                Self::RenegotiationInfo(RenegotiatedConnection::read(&mut body)?)
            }
            ExtensionType::SessionTicket => Self::SessionTicketAck,
            ExtensionType::EcPointFormats => Self::EcPointFormats(Vec::read(&mut body)?),
            ExtensionType::StatusRequest => Self::StatusRequestAck,
            _ => Self::Unknown {
                typ,
                body: body.rest().to_vec(),
            },
        };
        body.expect_empty(typ.name().unwrap_or("extension_data"))?;
        Ok(ext)
    }
}

impl TlsListElement for ServerExtension {
    // RFC 5246 §7.4.1.3: Extension extensions<0..2^16-1>;
    const PREFIX: LenPrefix = LenPrefix::new(LenWidth::U16, 0, 0xffff, "extensions");
}

/// RFC 6066 §3: "The ServerNameList MUST NOT contain more than one name of
/// the same name_type."
fn read_server_name_list(r: &mut Reader<'_>) -> Result<Vec<ServerName>, InvalidMessage> {
    let names = Vec::<ServerName>::read(r)?;
    let mut seen = BTreeSet::new();
    if names.iter().any(|n| !seen.insert(n.name_type)) {
        return Err(InvalidMessage::IllegalValue(
            "server_name_list: repeated name_type",
        ));
    }
    Ok(names)
}

/// Reads the optional extensions block that ends a hello: absent when the
/// body has no bytes left, present (possibly empty) otherwise. Duplicate
/// types are rejected here (RFC 5246 §7.4.1.4: "There MUST NOT be more than
/// one extension of the same type"), so a decoded hello never has them.
pub(crate) fn read_extension_block<T: TlsListElement>(
    r: &mut Reader<'_>,
    ext_type: fn(&T) -> ExtensionType,
) -> Result<Option<Vec<T>>, InvalidMessage> {
    if !r.any_left() {
        return Ok(None);
    }
    let exts = Vec::<T>::read(r)?;
    let mut seen = BTreeSet::new();
    for typ in exts.iter().map(ext_type) {
        if !seen.insert(typ) {
            return Err(InvalidMessage::DuplicateExtension(typ.0));
        }
    }
    Ok(Some(exts))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn client(bytes: &[u8]) -> Result<ClientExtension, InvalidMessage> {
        ClientExtension::read_bytes(bytes)
    }

    fn server(bytes: &[u8]) -> Result<ServerExtension, InvalidMessage> {
        ServerExtension::read_bytes(bytes)
    }

    #[test]
    fn decodes_server_name_built_from_rfc6066_layout() {
        // RFC 6066 §3, by hand:
        let bytes = [
            0x00, 0x00, // extension_type server_name(0)
            0x00, 0x10, // extension_data length 16
            0x00, 0x0e, // server_name_list length 14
            0x00, // name_type host_name(0)
            0x00, 0x0b, // HostName length 11
            b'e', b'x', b'a', b'm', b'p', b'l', b'e', b'.', b'c', b'o', b'm',
        ];
        let ext = client(&bytes).unwrap();
        assert_eq!(ext.host_name(), Some(&b"example.com"[..]));
        assert_eq!(ext.get_encoding(), bytes);
    }

    #[test]
    fn rejects_empty_server_name_list() {
        // RFC 6066 §3: server_name_list<1..2^16-1>.
        assert_eq!(
            client(&[0x00, 0x00, 0x00, 0x02, 0x00, 0x00]),
            Err(InvalidMessage::EmptyVector("server_name_list"))
        );
    }

    #[test]
    fn rejects_empty_host_name() {
        // RFC 6066 §3: HostName<1..2^16-1>.
        assert_eq!(
            client(&[0x00, 0x00, 0x00, 0x05, 0x00, 0x03, 0x00, 0x00, 0x00]),
            Err(InvalidMessage::EmptyVector("HostName"))
        );
    }

    #[test]
    fn rejects_host_name_overrunning_server_name_list() {
        // RFC 6066 §3: HostName declares 5 bytes, the list holds 2 of them.
        assert_eq!(
            client(&[0x00, 0x00, 0x00, 0x07, 0x00, 0x05, 0x00, 0x00, 0x05, b'a', b'b']),
            Err(InvalidMessage::MissingData("HostName"))
        );
    }

    #[test]
    fn rejects_server_name_list_overrunning_extension_data() {
        // RFC 5246 §7.4.1.4: the list claims 6 bytes, extension_data has 4.
        assert_eq!(
            client(&[0x00, 0x00, 0x00, 0x06, 0x00, 0x06, 0x00, 0x00, 0x01, b'a']),
            Err(InvalidMessage::MissingData("server_name_list"))
        );
    }

    #[test]
    fn rejects_repeated_server_name_type() {
        // RFC 6066 §3: no more than one name of the same name_type.
        let bytes = [
            0x00, 0x00, 0x00, 0x0a, // server_name, 10 bytes
            0x00, 0x08, // list length 8
            0x00, 0x00, 0x01, b'a', // host_name "a"
            0x00, 0x00, 0x01, b'b', // host_name "b"
        ];
        assert!(matches!(
            client(&bytes),
            Err(InvalidMessage::IllegalValue(_))
        ));
    }

    #[test]
    fn keeps_server_name_of_unknown_name_type() {
        // RFC 6066 §3: NameType is open (255); name_type 7 with one byte.
        let bytes = [0x00, 0x00, 0x00, 0x06, 0x00, 0x04, 0x07, 0x00, 0x01, 0xaa];
        let ext = client(&bytes).unwrap();
        assert_eq!(ext.host_name(), None);
        assert_eq!(ext.get_encoding(), bytes);
    }

    #[test]
    fn rejects_trailing_bytes_after_server_name_list() {
        // RFC 5246 §7.4.1.4: extension_data is exactly the list.
        assert_eq!(
            client(&[0x00, 0x00, 0x00, 0x07, 0x00, 0x04, 0x00, 0x00, 0x01, b'a', 0x00]),
            Err(InvalidMessage::TrailingData("ServerName"))
        );
    }

    #[test]
    fn decodes_server_name_ack_and_rejects_non_empty_one() {
        // RFC 6066 §3: the server's extension_data "SHALL be empty".
        assert_eq!(
            server(&[0x00, 0x00, 0x00, 0x00]),
            Ok(ServerExtension::ServerNameAck)
        );
        assert_eq!(
            server(&[0x00, 0x00, 0x00, 0x01, 0x00]),
            Err(InvalidMessage::TrailingData("ServerName"))
        );
    }

    #[test]
    fn decodes_extended_master_secret_and_rejects_non_empty_body() {
        // RFC 7627 §5.1: "The extension_data field of this extension is empty."
        assert_eq!(
            client(&[0x00, 0x17, 0x00, 0x00]),
            Ok(ClientExtension::ExtendedMasterSecret)
        );
        assert_eq!(
            server(&[0x00, 0x17, 0x00, 0x00]),
            Ok(ServerExtension::ExtendedMasterSecret)
        );
        assert_eq!(
            client(&[0x00, 0x17, 0x00, 0x01, 0x00]),
            Err(InvalidMessage::TrailingData("ExtendedMasterSecret"))
        );
        assert_eq!(
            server(&[0x00, 0x17, 0x00, 0x01, 0x00]),
            Err(InvalidMessage::TrailingData("ExtendedMasterSecret"))
        );
    }

    #[test]
    fn decodes_initial_renegotiation_info() {
        // RFC 5746 §3.4: an initial handshake carries an empty
        // renegotiated_connection: ff 01 | 00 01 | 00.
        let want = RenegotiatedConnection(vec![]);
        assert_eq!(
            client(&[0xff, 0x01, 0x00, 0x01, 0x00]),
            Ok(ClientExtension::RenegotiationInfo(want.clone()))
        );
        assert_eq!(
            server(&[0xff, 0x01, 0x00, 0x01, 0x00]),
            Ok(ServerExtension::RenegotiationInfo(want))
        );
    }

    #[test]
    fn decodes_renegotiation_info_with_verify_data() {
        // RFC 5746 §3.7: on renegotiation the server sends client_verify_data
        // ‖ server_verify_data, 24 bytes with TLS 1.2's 12-byte verify_data.
        let mut bytes = vec![0xff, 0x01, 0x00, 0x19, 0x18];
        bytes.extend_from_slice(&[0xab; 24]);
        assert_eq!(
            server(&bytes),
            Ok(ServerExtension::RenegotiationInfo(RenegotiatedConnection(
                vec![0xab; 24]
            )))
        );
    }

    #[test]
    fn rejects_malformed_renegotiation_info() {
        // RFC 5746 §3.2: opaque renegotiated_connection<0..255>.
        // Empty extension_data: the u8 length is missing.
        assert_eq!(
            client(&[0xff, 0x01, 0x00, 0x00]),
            Err(InvalidMessage::MissingData("u8"))
        );
        // Declares 5 bytes, has 0.
        assert_eq!(
            client(&[0xff, 0x01, 0x00, 0x01, 0x05]),
            Err(InvalidMessage::MissingData("renegotiated_connection"))
        );
        // A byte after the vector.
        assert_eq!(
            server(&[0xff, 0x01, 0x00, 0x02, 0x00, 0x00]),
            Err(InvalidMessage::TrailingData("RenegotiationInfo"))
        );
    }

    #[test]
    fn decodes_signature_algorithms() {
        // RFC 5246 §7.4.1.4.1, by hand:
        let bytes = [
            0x00, 0x0d, // signature_algorithms(13)
            0x00, 0x06, // extension_data length 6
            0x00, 0x04, // supported_signature_algorithms length 4
            0x04, 0x01, // sha256, rsa
            0x05, 0x01, // sha384, rsa
        ];
        let pair = |hash, signature| SignatureAndHashAlgorithm { hash, signature };
        assert_eq!(
            client(&bytes),
            Ok(ClientExtension::SignatureAlgorithms(vec![
                pair(HashAlgorithm::Sha256, SignatureAlgorithm::Rsa),
                pair(HashAlgorithm::Sha384, SignatureAlgorithm::Rsa),
            ]))
        );
    }

    #[test]
    fn rejects_malformed_signature_algorithms() {
        // RFC 5246 §7.4.1.4.1: supported_signature_algorithms<2..2^16-2> of
        // two-byte pairs.
        assert_eq!(
            client(&[0x00, 0x0d, 0x00, 0x02, 0x00, 0x00]),
            Err(InvalidMessage::EmptyVector(
                "supported_signature_algorithms"
            ))
        );
        assert_eq!(
            client(&[0x00, 0x0d, 0x00, 0x03, 0x00, 0x01, 0x04]),
            Err(InvalidMessage::VectorTooShort(
                "supported_signature_algorithms"
            ))
        );
        assert_eq!(
            client(&[0x00, 0x0d, 0x00, 0x05, 0x00, 0x03, 0x04, 0x01, 0x05]),
            Err(InvalidMessage::BadVectorLength(
                "supported_signature_algorithms"
            ))
        );
        assert_eq!(
            client(&[0x00, 0x0d, 0x00, 0x04, 0x00, 0x04, 0x04, 0x01]),
            Err(InvalidMessage::MissingData(
                "supported_signature_algorithms"
            ))
        );
    }

    #[test]
    fn decodes_session_ticket_in_both_directions() {
        // RFC 5077 §3.2: the client's body is the ticket (empty to ask for
        // one); the server's is empty.
        assert_eq!(
            client(&[0x00, 0x23, 0x00, 0x00]),
            Ok(ClientExtension::SessionTicket(vec![]))
        );
        assert_eq!(
            client(&[0x00, 0x23, 0x00, 0x03, 1, 2, 3]),
            Ok(ClientExtension::SessionTicket(vec![1, 2, 3]))
        );
        assert_eq!(
            server(&[0x00, 0x23, 0x00, 0x00]),
            Ok(ServerExtension::SessionTicketAck)
        );
        assert_eq!(
            server(&[0x00, 0x23, 0x00, 0x01, 0x00]),
            Err(InvalidMessage::TrailingData("SessionTicket"))
        );
    }

    #[test]
    fn unknown_extensions_round_trip_unchanged() {
        // RFC 5246 §7.4.1.4: unrecognised extensions are skipped whole.
        // heartbeat(15) mode 1 (RFC 6520), a GREASE value (RFC 8701)
        // with an empty body, and signature_algorithms from a server.
        let heartbeat = [0x00, 0x0f, 0x00, 0x01, 0x01];
        assert_eq!(
            client(&heartbeat),
            Ok(ClientExtension::Unknown {
                typ: ExtensionType::Heartbeat,
                body: heartbeat[4..].to_vec(),
            })
        );
        assert_eq!(client(&heartbeat).unwrap().get_encoding(), heartbeat);

        let grease = [0xfa, 0xfa, 0x00, 0x00];
        assert_eq!(client(&grease).unwrap().get_encoding(), grease);
        assert_eq!(server(&grease).unwrap().get_encoding(), grease);

        let sigalgs = [0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x01];
        let ext = server(&sigalgs).unwrap();
        assert_eq!(ext.ext_type(), ExtensionType::SignatureAlgorithms);
        assert!(matches!(ext, ServerExtension::Unknown { .. }));
        assert_eq!(ext.get_encoding(), sigalgs);
    }

    #[test]
    fn decodes_supported_groups_and_ec_point_formats() {
        // RFC 8422 §5.1.1: supported_groups(10) [x25519, secp256r1].
        let groups = [0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17];
        assert_eq!(
            client(&groups),
            Ok(ClientExtension::SupportedGroups(vec![
                NamedGroup::x25519,
                NamedGroup::secp256r1
            ]))
        );
        assert_eq!(client(&groups).unwrap().get_encoding(), groups);
        // named_curve_list<2..2^16-1>: empty and odd lengths are refused.
        assert_eq!(
            client(&[0x00, 0x0a, 0x00, 0x02, 0x00, 0x00]),
            Err(InvalidMessage::EmptyVector("named_curve_list"))
        );
        assert_eq!(
            client(&[0x00, 0x0a, 0x00, 0x05, 0x00, 0x03, 0x00, 0x1d, 0x00]),
            Err(InvalidMessage::BadVectorLength("named_curve_list"))
        );
        // RFC 8422 §5.1.2: ec_point_formats(11) [uncompressed], both ways.
        let formats = [0x00, 0x0b, 0x00, 0x02, 0x01, 0x00];
        assert_eq!(
            client(&formats),
            Ok(ClientExtension::EcPointFormats(vec![
                EcPointFormat::Uncompressed
            ]))
        );
        assert_eq!(
            server(&formats),
            Ok(ServerExtension::EcPointFormats(vec![
                EcPointFormat::Uncompressed
            ]))
        );
        // ec_point_format_list<1..2^8-1>.
        assert_eq!(
            client(&[0x00, 0x0b, 0x00, 0x01, 0x00]),
            Err(InvalidMessage::EmptyVector("ec_point_format_list"))
        );
        assert_eq!(
            server(&[0x00, 0x0b, 0x00, 0x03, 0x01, 0x00, 0x01]),
            Err(InvalidMessage::TrailingData("EcPointFormats"))
        );
    }

    #[test]
    fn rejects_truncated_extension_framing() {
        // RFC 5246 §7.4.1.4: extension_type (u16), extension_data<0..2^16-1>.
        assert_eq!(client(&[0x00]), Err(InvalidMessage::MissingData("u16")));
        assert_eq!(
            client(&[0x00, 0x17, 0x00]),
            Err(InvalidMessage::MissingData("u16"))
        );
        assert_eq!(
            client(&[0x00, 0x0a, 0x00, 0x03, 0x00]),
            Err(InvalidMessage::MissingData("extension_data"))
        );
        assert_eq!(
            server(&[0xff, 0x01, 0x00, 0x01]),
            Err(InvalidMessage::MissingData("extension_data"))
        );
    }

    #[test]
    fn extension_block_rejects_duplicates_and_keeps_empty_block() {
        // RFC 5246 §7.4.1.4: no two extensions of the same type.
        let dup = [0x00, 0x08, 0x00, 0x17, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00];
        let mut r = Reader::new(&dup);
        assert_eq!(
            read_extension_block(&mut r, ClientExtension::ext_type),
            Err(InvalidMessage::DuplicateExtension(0x0017))
        );
        let unknown_dup = [0x00, 0x08, 0xfa, 0xfa, 0x00, 0x00, 0xfa, 0xfa, 0x00, 0x00];
        let mut r = Reader::new(&unknown_dup);
        assert_eq!(
            read_extension_block(&mut r, ServerExtension::ext_type),
            Err(InvalidMessage::DuplicateExtension(0xfafa))
        );
        let mut r = Reader::new(&[0x00, 0x00]);
        assert_eq!(
            read_extension_block(&mut r, ClientExtension::ext_type),
            Ok(Some(vec![]))
        );
        let mut r = Reader::new(&[]);
        assert_eq!(
            read_extension_block(&mut r, ServerExtension::ext_type),
            Ok(None)
        );
    }
}
