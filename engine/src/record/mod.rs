//! The record layer: record headers, the deframer (bytes → records), the
//! handshake joiner (records → handshake messages) and the fragmenter
//! (messages → records), and the bounds on records that make no progress
//! (`FloodGuard`). Record protection (AES-GCM) lives in `protection`.

mod deframer;
mod fragmenter;
mod joiner;
pub mod protection;

pub use deframer::{Deframer, RecordLimit};
pub use fragmenter::fragment;
pub use joiner::{HandshakeJoiner, MessageLimits};

use crate::codec::{Codec, Reader};
use crate::enums::{ContentType, ProtocolVersion};
use crate::error::{InvalidMessage, PeerMisbehaved};

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

/// Warning alerts in a row (close_notify aside) that are tolerated; the next
/// one is fatal. OpenSSL's MAX_WARN_ALERT_COUNT is 5 and its fifth is fatal,
/// as ours is (CVE-2016-8610, "SSL death alert").
pub const MAX_CONSECUTIVE_WARNING_ALERTS: usize = 4;
/// Empty application-data records in a row that are tolerated (RFC 5246
/// §6.2.1 allows them, but an endless run is a DoS); the next is fatal.
/// OpenSSL's MAX_EMPTY_RECORDS: 32 pass, the 33rd is fatal. (Empty
/// Handshake, Alert and ChangeCipherSpec records are refused at once:
/// `OpaqueRecord::check_plaintext`.)
pub const MAX_CONSECUTIVE_EMPTY_RECORDS: usize = 32;
/// HelloRequests a client ignores in a row while negotiating (RFC 5246
/// §7.4.1.1); the next is fatal. Each is a 4-byte message that changes
/// nothing, so without a bound a server could send them for ever.
pub const MAX_CONSECUTIVE_IGNORED_HELLO_REQUESTS: usize = 32;
/// Renegotiation requests refused in a row once established (a ClientHello
/// to a server, a HelloRequest to a client: each answered with a
/// no_renegotiation warning, RFC 5746 §4.2); the next is fatal. Without a
/// bound each would cost us an alert for ever.
pub const MAX_CONSECUTIVE_RENEGOTIATION_REQUESTS: usize = 32;

/// Counts, per kind, the consecutive peer records (or ignored messages) that
/// make no progress; anything that does progress resets all counts, and a
/// count past its cap is a fatal `unexpected_message` (OpenSSL sends that
/// alert for both of its bounds). The kinds do not reset each other, so
/// alternating them does not escape the bounds.
#[derive(Debug, Default)]
pub struct FloodGuard {
    warnings: usize,
    empty_records: usize,
    hello_requests: usize,
    renegotiations: usize,
}

impl FloodGuard {
    /// A handshake message handled by the state machine during the
    /// handshake, a CCS, or non-empty application data.
    pub fn progress(&mut self) {
        *self = Self::default();
    }

    pub fn warning_alert(&mut self) -> Result<(), PeerMisbehaved> {
        bump(
            &mut self.warnings,
            MAX_CONSECUTIVE_WARNING_ALERTS,
            PeerMisbehaved::TooManyWarningAlerts,
        )
    }

    pub fn empty_record(&mut self) -> Result<(), PeerMisbehaved> {
        bump(
            &mut self.empty_records,
            MAX_CONSECUTIVE_EMPTY_RECORDS,
            PeerMisbehaved::TooManyEmptyRecords,
        )
    }

    pub fn ignored_hello_request(&mut self) -> Result<(), PeerMisbehaved> {
        bump(
            &mut self.hello_requests,
            MAX_CONSECUTIVE_IGNORED_HELLO_REQUESTS,
            PeerMisbehaved::TooManyIgnoredHelloRequests,
        )
    }

    pub fn renegotiation_request(&mut self) -> Result<(), PeerMisbehaved> {
        bump(
            &mut self.renegotiations,
            MAX_CONSECUTIVE_RENEGOTIATION_REQUESTS,
            PeerMisbehaved::TooManyRenegotiationRequests,
        )
    }
}

fn bump(count: &mut usize, max: usize, err: PeerMisbehaved) -> Result<(), PeerMisbehaved> {
    *count += 1;
    if *count > max {
        return Err(err);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn flood_guard_bounds_each_kind_and_progress_resets_all() {
        type Bump = fn(&mut FloodGuard) -> Result<(), PeerMisbehaved>;
        let kinds: [(Bump, usize, PeerMisbehaved); 4] = [
            (
                FloodGuard::warning_alert,
                MAX_CONSECUTIVE_WARNING_ALERTS,
                PeerMisbehaved::TooManyWarningAlerts,
            ),
            (
                FloodGuard::empty_record,
                MAX_CONSECUTIVE_EMPTY_RECORDS,
                PeerMisbehaved::TooManyEmptyRecords,
            ),
            (
                FloodGuard::ignored_hello_request,
                MAX_CONSECUTIVE_IGNORED_HELLO_REQUESTS,
                PeerMisbehaved::TooManyIgnoredHelloRequests,
            ),
            (
                FloodGuard::renegotiation_request,
                MAX_CONSECUTIVE_RENEGOTIATION_REQUESTS,
                PeerMisbehaved::TooManyRenegotiationRequests,
            ),
        ];
        for (bump, max, err) in kinds {
            let mut g = FloodGuard::default();
            for _ in 0..max {
                bump(&mut g).unwrap();
            }
            g.progress();
            for _ in 0..max {
                bump(&mut g).unwrap();
            }
            assert_eq!(bump(&mut g), Err(err));
        }
        // Alternating kinds does not reset either count.
        let mut g = FloodGuard::default();
        for _ in 0..MAX_CONSECUTIVE_WARNING_ALERTS {
            g.warning_alert().unwrap();
            g.empty_record().unwrap();
        }
        assert_eq!(g.warning_alert(), Err(PeerMisbehaved::TooManyWarningAlerts));
    }
}
