//! The record layer: record headers, the deframer (bytes → records), the
//! handshake joiner (records → handshake messages) and the fragmenter
//! (messages → records). Record protection (AES-GCM) lives in `protection`.

mod deframer;
mod fragmenter;
mod joiner;
pub mod protection;

pub use deframer::{Deframer, RecordLimit};
pub use fragmenter::fragment;
pub use joiner::HandshakeJoiner;

use crate::codec::{Codec, Reader};
use crate::enums::{ContentType, ProtocolVersion};
use crate::error::InvalidMessage;

/// RFC 5246 §6.2.1: a TLSPlaintext fragment is at most 2^14 bytes.
pub const MAX_PLAINTEXT: usize = 1 << 14;
/// RFC 5246 §6.2.3: a TLSCiphertext fragment is at most 2^14 + 2048 bytes.
pub const MAX_CIPHERTEXT: usize = MAX_PLAINTEXT + 2048;
/// Type, version, length.
pub const HEADER_LEN: usize = 5;

/// The five bytes in front of every record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    pub typ: ContentType,
    pub version: ProtocolVersion,
    pub len: u16,
}

impl Codec for RecordHeader {
    fn encode(&self, out: &mut Vec<u8>) {
        self.typ.encode(out);
        self.version.encode(out);
        self.len.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            typ: ContentType::read(r)?,
            version: ProtocolVersion::read(r)?,
            len: u16::read(r)?,
        })
    }
}

/// One record as it travels: header fields and a fragment that may be
/// plaintext or ciphertext depending on the connection's state.
#[derive(Clone, PartialEq, Eq)]
pub struct OpaqueRecord {
    pub typ: ContentType,
    pub version: ProtocolVersion,
    pub payload: Vec<u8>,
}

impl OpaqueRecord {
    /// Appends the record's wire form. The payload must fit a u16 length;
    /// the fragmenter and the sealer never make larger ones.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let len = u16::try_from(self.payload.len()).unwrap_or(u16::MAX);
        RecordHeader {
            typ: self.typ,
            version: self.version,
            len,
        }
        .encode(out);
        out.extend_from_slice(&self.payload[..usize::from(len)]);
    }

    /// RFC 5246 §6.2.1: a plaintext (or decrypted) fragment is at most 2^14
    /// bytes, and only application data may be empty.
    pub fn check_plaintext(typ: ContentType, len: usize) -> Result<(), InvalidMessage> {
        if len > MAX_PLAINTEXT {
            return Err(InvalidMessage::PlaintextRecordTooLarge(len));
        }
        if len == 0 && typ != ContentType::ApplicationData {
            return Err(InvalidMessage::EmptyRecord(typ));
        }
        Ok(())
    }
}

impl std::fmt::Debug for OpaqueRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpaqueRecord")
            .field("typ", &self.typ)
            .field("version", &self.version)
            .field("len", &self.payload.len())
            .finish()
    }
}
