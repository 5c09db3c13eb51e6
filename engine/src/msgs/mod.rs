//! Message bodies: one type per RFC 5246 structure in scope, each with a
//! strict `Codec` (every byte read, every bound checked, trailing bytes an
//! error). Record headers and deframing live in `record/`; this module starts
//! at the record payload: alerts, ChangeCipherSpec, and handshake messages
//! with their 4-byte header.
//!
//! Decoding is canonical: anything that decodes re-encodes to exactly the
//! bytes it came from (checked by `tests/codec_props.rs`), so a transcript can
//! be rebuilt from decoded messages.

use crate::codec::{Reader, TlsListElement};
use crate::error::InvalidMessage;

/// Declares a newtype over `Vec<u8>` carried behind a length prefix whose
/// width, bounds and field name are stated once, so errors name the field
/// (`MissingData("session_id")`) rather than a generic "opaque vector".
macro_rules! opaque_vec {
    ($(#[$meta:meta])* $name:ident, $width:ident, $min:expr, $max:expr, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(pub Vec<u8>);

        impl $name {
            pub const LEN_PREFIX: $crate::codec::LenPrefix = $crate::codec::LenPrefix::new(
                $crate::codec::LenWidth::$width,
                $min,
                $max,
                $what,
            );
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "("))?;
                for b in &self.0 {
                    write!(f, "{b:02x}")?;
                }
                f.write_str(")")
            }
        }

        impl $crate::codec::Codec for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                Self::LEN_PREFIX.encode_with(out, |out| out.extend_from_slice(&self.0));
            }
            fn read(
                r: &mut $crate::codec::Reader<'_>,
            ) -> Result<Self, $crate::error::InvalidMessage> {
                let mut body = Self::LEN_PREFIX.read_body(r)?;
                Ok(Self(body.rest().to_vec()))
            }
        }
    };
}

pub mod alert;
pub mod ccs;
pub mod extensions;
pub mod handshake;

pub use alert::AlertMessagePayload;
pub use ccs::ChangeCipherSpecPayload;
pub use extensions::{
    CertificateStatusRequest, ClientExtension, HostName, RenegotiatedConnection, ResponderId,
    ServerExtension, ServerName, SignatureAndHashAlgorithm,
};
pub use handshake::{
    Asn1Cert, CertificatePayload, CertificateRequestPayload, CertificateStatusPayload,
    ClientHelloPayload, ClientKeyExchangePayload, DigitallySigned, DistinguishedName, EcPoint,
    EncryptedPreMasterSecret, HandshakeMessagePayload, HandshakePayload, NewSessionTicketPayload,
    OcspResponseBytes, Random, ServerEcdhParams, ServerHelloPayload, ServerKeyExchangePayload,
    SessionId, SignatureBytes, Ticket,
};

/// Decodes exactly one handshake message (header and body) from `bytes`, as
/// the handshake joiner hands it over. Trailing bytes are an error.
pub fn decode_handshake(bytes: &[u8]) -> Result<HandshakeMessagePayload, InvalidMessage> {
    crate::codec::Codec::read_bytes(bytes)
}

/// Reads a vector of `size`-byte elements. A body that is not a whole number
/// of elements (an odd-length `cipher_suites`) is `BadVectorLength`, not a
/// `MissingData` from inside the last element.
fn read_fixed_list<T: TlsListElement>(
    r: &mut Reader<'_>,
    size: usize,
) -> Result<Vec<T>, InvalidMessage> {
    let mut body = T::PREFIX.read_body(r)?;
    if body.left() % size != 0 {
        return Err(InvalidMessage::BadVectorLength(T::PREFIX.what));
    }
    let mut out = Vec::with_capacity(body.left() / size);
    while body.any_left() {
        out.push(T::read(&mut body)?);
    }
    Ok(out)
}
