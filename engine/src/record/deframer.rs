//! Bytes → records. Buffers at most one maximum-size record; a header is
//! judged (type, version, length) as soon as its five bytes arrive, so an
//! oversized record is refused before its body is waited for.

use super::{OpaqueRecord, RecordHeader, HEADER_LEN, MAX_CIPHERTEXT, MAX_PLAINTEXT};
use crate::codec::{Codec, Reader};
use crate::enums::{ContentType, ProtocolVersion};
use crate::error::InvalidMessage;

/// Which fragment ceiling applies: before encryption is on, records are
/// plaintext (2^14); after, ciphertext (2^14 + 2048).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordLimit {
    Plaintext,
    Ciphertext,
}

impl RecordLimit {
    fn max(self) -> usize {
        match self {
            RecordLimit::Plaintext => MAX_PLAINTEXT,
            RecordLimit::Ciphertext => MAX_CIPHERTEXT,
        }
    }
}

#[derive(Debug)]
pub struct Deframer {
    buf: Vec<u8>,
    limit: RecordLimit,
    /// Once a version is negotiated every record must carry it exactly.
    version: Option<ProtocolVersion>,
    /// Set after the first error: a deframer never resynchronises.
    failed: bool,
}

impl Default for Deframer {
    fn default() -> Self {
        Self::new()
    }
}

impl Deframer {
    /// The most bytes a deframer ever holds.
    pub const CAPACITY: usize = HEADER_LEN + MAX_CIPHERTEXT;

    pub fn new() -> Self {
        Self {
            buf: Vec::new(),
            limit: RecordLimit::Plaintext,
            version: None,
            failed: false,
        }
    }

    pub fn set_limit(&mut self, limit: RecordLimit) {
        self.limit = limit;
    }

    /// Requires every later record to carry exactly `version`.
    pub fn set_version(&mut self, version: ProtocolVersion) {
        self.version = Some(version);
    }

    /// Takes as many of `bytes` as fit without exceeding `CAPACITY` and
    /// returns how many it took; the caller offers the rest after `pop`.
    pub fn read(&mut self, bytes: &[u8]) -> usize {
        let take = bytes.len().min(Self::CAPACITY - self.buf.len());
        self.buf.extend_from_slice(&bytes[..take]);
        take
    }

    /// Bytes buffered but not yet returned as records.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete record, `None` if more bytes are needed.
    pub fn pop(&mut self) -> Result<Option<OpaqueRecord>, InvalidMessage> {
        if self.failed {
            return Ok(None);
        }
        let header = match self.header() {
            Ok(Some(h)) => h,
            Ok(None) => return Ok(None),
            Err(e) => {
                self.failed = true;
                return Err(e);
            }
        };
        let end = HEADER_LEN + usize::from(header.len);
        if self.buf.len() < end {
            return Ok(None);
        }
        let payload = self.buf[HEADER_LEN..end].to_vec();
        self.buf.drain(..end);
        Ok(Some(OpaqueRecord {
            typ: header.typ,
            version: header.version,
            payload,
        }))
    }

    fn header(&self) -> Result<Option<RecordHeader>, InvalidMessage> {
        let Some(bytes) = self.buf.get(..HEADER_LEN) else {
            // Judge the type byte early: a non-TLS peer (or SSLv2 hello) is
            // refused without waiting for five bytes that may never come.
            return match self.buf.first() {
                Some(&t) => check_type(ContentType(t)).map(|_| None),
                None => Ok(None),
            };
        };
        let header = RecordHeader::read(&mut Reader::new(bytes))?;
        check_type(header.typ)?;
        let version_ok = match self.version {
            Some(v) => header.version == v,
            None => header.version.0 >> 8 == 0x03,
        };
        if !version_ok {
            return Err(InvalidMessage::BadRecordVersion(header.version));
        }
        let len = usize::from(header.len);
        if len > self.limit.max() {
            return Err(match self.limit {
                RecordLimit::Plaintext => InvalidMessage::PlaintextRecordTooLarge(len),
                RecordLimit::Ciphertext => InvalidMessage::CiphertextRecordTooLarge(len),
            });
        }
        Ok(Some(header))
    }
}

/// RFC 5246 §6: an unexpected record type gets `unexpected_message`.
fn check_type(typ: ContentType) -> Result<(), InvalidMessage> {
    match typ {
        ContentType::ChangeCipherSpec
        | ContentType::Alert
        | ContentType::Handshake
        | ContentType::ApplicationData => Ok(()),
        other => Err(InvalidMessage::UnknownContentType(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u8, version: u16, body: &[u8]) -> Vec<u8> {
        let mut out = vec![typ];
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn splits_coalesced_records_and_buffers_partial_ones() {
        let mut bytes = record(22, 0x0303, b"hello");
        bytes.extend(record(23, 0x0303, b""));
        bytes.extend(&record(21, 0x0303, &[1, 0])[..3]);
        let mut d = Deframer::new();
        assert_eq!(d.read(&bytes), bytes.len());
        let r = d.pop().unwrap().unwrap();
        assert_eq!(
            (r.typ, r.payload.as_slice()),
            (ContentType::Handshake, &b"hello"[..])
        );
        let r = d.pop().unwrap().unwrap();
        assert_eq!((r.typ, r.payload.len()), (ContentType::ApplicationData, 0));
        assert_eq!(d.pop(), Ok(None));
        d.read(&[0, 2, 1, 0]);
        let r = d.pop().unwrap().unwrap();
        assert_eq!(
            (r.typ, r.payload.as_slice()),
            (ContentType::Alert, &[1u8, 0][..])
        );
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn delivers_the_same_records_for_any_byte_split() {
        let mut bytes = record(22, 0x0301, &[7; 300]);
        bytes.extend(record(20, 0x0303, &[1]));
        for chunk in [1, 2, 5, 6, 299, 1000] {
            let mut d = Deframer::new();
            let mut got = Vec::new();
            for c in bytes.chunks(chunk) {
                assert_eq!(d.read(c), c.len());
                while let Some(r) = d.pop().unwrap() {
                    got.push(r);
                }
            }
            assert_eq!(got.len(), 2, "chunk size {chunk}");
            assert_eq!(got[0].payload, vec![7; 300]);
        }
    }

    // RFC 5246 §6.2.1: length MUST NOT exceed 2^14 → record_overflow.
    #[test]
    fn rejects_oversized_plaintext_record_from_its_header() {
        let mut d = Deframer::new();
        d.read(&[22, 3, 3, 0x40, 0x01]);
        assert_eq!(
            d.pop(),
            Err(InvalidMessage::PlaintextRecordTooLarge(0x4001))
        );
        // A failed deframer yields nothing more.
        assert_eq!(d.pop(), Ok(None));
    }

    // RFC 5246 §6.2.3: ciphertext length MUST NOT exceed 2^14 + 2048.
    #[test]
    fn accepts_ciphertext_up_to_its_limit_and_no_further() {
        let mut d = Deframer::new();
        d.set_limit(RecordLimit::Ciphertext);
        let ok = record(23, 0x0303, &vec![0; MAX_CIPHERTEXT]);
        assert_eq!(d.read(&ok), ok.len());
        assert!(d.pop().unwrap().is_some());
        d.read(&[23, 3, 3, 0x48, 0x01]);
        assert_eq!(
            d.pop(),
            Err(InvalidMessage::CiphertextRecordTooLarge(MAX_CIPHERTEXT + 1))
        );
    }

    // RFC 5246 §6: unexpected record type → unexpected_message.
    #[test]
    fn rejects_unknown_content_type_from_first_byte() {
        let mut d = Deframer::new();
        d.read(&[0x80]);
        assert_eq!(
            d.pop(),
            Err(InvalidMessage::UnknownContentType(ContentType(0x80)))
        );
        let mut d = Deframer::new();
        d.read(&record(24, 0x0303, &[1]));
        assert_eq!(
            d.pop(),
            Err(InvalidMessage::UnknownContentType(ContentType::Heartbeat))
        );
    }

    #[test]
    fn rejects_records_with_a_non_tls_version() {
        let mut d = Deframer::new();
        d.read(&record(22, 0x0203, b"x"));
        assert_eq!(
            d.pop(),
            Err(InvalidMessage::BadRecordVersion(ProtocolVersion(0x0203)))
        );
    }

    #[test]
    fn enforces_the_negotiated_record_version() {
        let mut d = Deframer::new();
        d.set_version(ProtocolVersion::TLSv1_2);
        d.read(&record(23, 0x0301, b"x"));
        assert_eq!(
            d.pop(),
            Err(InvalidMessage::BadRecordVersion(ProtocolVersion::TLSv1_0))
        );
    }

    #[test]
    fn never_holds_more_than_one_maximum_record() {
        let mut d = Deframer::new();
        d.set_limit(RecordLimit::Ciphertext);
        let flood = vec![23u8; 100_000];
        let took = d.read(&flood);
        assert_eq!(took, Deframer::CAPACITY);
        assert_eq!(d.read(&flood), 0);
    }
}
