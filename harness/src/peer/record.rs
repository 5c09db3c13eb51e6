//! The peer's sans-IO record layer, shared by the blocking flows (through
//! `Wire`) and the step `Peer`: permissive (it frames any bytes and reads
//! whatever the target sends without judging it), but with real keys, so it
//! still seals and opens records while misbehaving.
//!
//! Caps: a handshake message from the target may declare at most
//! [`MAX_HANDSHAKE_LEN`] bytes (a longer one ends the conversation as
//! garbled, before its body is buffered); undelivered input is at most one
//! partial record (5 + 2^16 - 1 bytes) plus what the caller pushed since it
//! last drained [`RecordReader::next_item`]; and one connection reads at
//! most [`MAX_BYTES_IN`] of records from the target (past it, the
//! conversation ends as garbled: a target that floods us fails its case).

use gauntlet_engine::enums::{AlertDescription, ContentType, ProtocolVersion};
use gauntlet_engine::record::protection::{
    open_chacha_record, open_record, seal_chacha_record, seal_record, ChaChaKey, GcmKey,
};
use std::fmt;

/// Largest handshake message the peer accepts from a target: far above any
/// certificate chain the suites meet, far below the 2^24 a header can say.
pub const MAX_HANDSHAKE_LEN: usize = 1 << 18;

/// Most record bytes (headers included) the peer reads from a target on
/// one connection: a thousand times a real handshake, and above the
/// suites' largest exchange (records of 2^14 + 1 bytes, a few of them),
/// so only a target that keeps sending without end gets there.
pub const MAX_BYTES_IN: usize = 16 << 20;

/// Largest record payload our fragmenter puts in one record (RFC 5246 §6.2.1).
pub const MAX_FRAGMENT: usize = 1 << 14;

/// One direction's AEAD and its fixed nonce part.
enum Keys {
    /// RFC 5288: the 4-byte salt; each record carries an 8-byte explicit nonce.
    Gcm { key: GcmKey, salt: [u8; 4] },
    /// RFC 7905: the 12-byte IV, XORed with the sequence number; no
    /// explicit nonce on the wire.
    ChaCha { key: ChaChaKey, iv: [u8; 12] },
}

/// One direction's keys and sequence number.
pub struct Protect {
    keys: Keys,
    pub seq: u64,
}

impl fmt::Debug for Protect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Protect {{ seq: {} }}", self.seq)
    }
}

impl Protect {
    /// AES-GCM with `key` (16 or 32 bytes) and the 4-byte salt.
    pub fn new(key: &[u8], salt: [u8; 4]) -> Result<Self, String> {
        Ok(Self {
            keys: Keys::Gcm {
                key: GcmKey::new(key).map_err(|e| e.to_string())?,
                salt,
            },
            seq: 0,
        })
    }

    /// ChaCha20-Poly1305 with a 32-byte `key` and the 12-byte IV.
    pub fn chacha(key: &[u8], iv: [u8; 12]) -> Result<Self, String> {
        Ok(Self {
            keys: Keys::ChaCha {
                key: ChaChaKey::new(key).map_err(|e| e.to_string())?,
                iv,
            },
            seq: 0,
        })
    }

    /// Seals with the sequence number as explicit nonce, or `nonce` if
    /// given (AES-GCM only: ChaCha20-Poly1305 records carry no nonce). No
    /// size limit below 2^16 - 1: oversized plaintexts are how
    /// record_overflow is tested.
    pub fn seal(
        &mut self,
        typ: u8,
        version: u16,
        plaintext: &[u8],
        nonce: Option<[u8; 8]>,
    ) -> Result<Vec<u8>, String> {
        let (typ, version) = (ContentType(typ), ProtocolVersion(version));
        let out = match &self.keys {
            Keys::Gcm { key, salt } => {
                let explicit = nonce.unwrap_or(self.seq.to_be_bytes());
                seal_record(key, salt, &explicit, self.seq, typ, version, plaintext)
            }
            Keys::ChaCha { key, iv } => {
                seal_chacha_record(key, iv, self.seq, typ, version, plaintext)
            }
        }
        .map_err(|e| e.to_string())?;
        self.seq += 1;
        Ok(out)
    }

    /// Opens a record with any explicit nonce; `None` if it does not
    /// authenticate (the sequence number then stays).
    pub fn open(&mut self, typ: u8, version: u16, fragment: &[u8]) -> Option<Vec<u8>> {
        let (typ, version) = (ContentType(typ), ProtocolVersion(version));
        let out = match &self.keys {
            Keys::Gcm { key, salt } => open_record(key, salt, self.seq, typ, version, fragment),
            Keys::ChaCha { key, iv } => {
                open_chacha_record(key, iv, self.seq, typ, version, fragment)
            }
        }
        .ok()?;
        self.seq += 1;
        Some(out)
    }
}

/// A record header and body as they go on the wire (the length is the
/// body's, truncated to 16 bits: a caller that wants a lying header writes
/// the bytes itself).
pub fn frame(typ: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + body.len());
    out.push(typ);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Flips bit `bit` of a record's body (modulo its length; the 5-byte
/// header stays): a sealed record that no longer authenticates. A record
/// without a body is left alone.
pub fn flip_body_bit(rec: &mut [u8], bit: usize) {
    let body = rec.len().saturating_sub(5);
    if body > 0 {
        if let Some(b) = rec.get_mut(5 + (bit / 8) % body) {
            *b ^= 1 << (bit % 8);
        }
    }
}

/// One record with an explicit header, sealed when `write` is on.
pub fn record_bytes(
    write: Option<&mut Protect>,
    typ: u8,
    version: u16,
    payload: &[u8],
    nonce: Option<[u8; 8]>,
) -> Result<Vec<u8>, String> {
    let body = match write {
        Some(p) => p.seal(typ, version, payload, nonce)?,
        None => payload.to_vec(),
    };
    Ok(frame(typ, version, &body))
}

/// `payload` as records of at most `max` bytes each (one empty record for
/// an empty payload), sealed when `write` is on.
pub fn records(
    mut write: Option<&mut Protect>,
    typ: u8,
    version: u16,
    payload: &[u8],
    max: usize,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let chunks: Vec<&[u8]> = if payload.is_empty() {
        vec![payload]
    } else {
        payload.chunks(max.max(1)).collect()
    };
    for c in chunks {
        out.extend(record_bytes(write.as_deref_mut(), typ, version, c, None)?);
    }
    Ok(out)
}

/// A message from the target, as the peer reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// Header included in `raw`.
    Handshake {
        typ: u8,
        raw: Vec<u8>,
    },
    ChangeCipherSpec(Vec<u8>),
    ApplicationData(Vec<u8>),
    /// A two-byte alert. (`Wire::recv` turns it into the conversation's
    /// `Ending`.)
    Alert {
        level: u8,
        description: u8,
    },
}

/// How the target's side of a conversation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It sent an alert record (after which we stop reading).
    Alert { level: u8, description: u8 },
    /// It closed the connection without an alert.
    Eof,
    /// It sent nothing within the timeout.
    Timeout,
    /// It sent a record we could not authenticate or parse.
    Garbled(String),
    /// Our side failed (socket error).
    Io(String),
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Alert { level, description } => write!(
                f,
                "{} alert {:?}",
                if *level == 2 { "fatal" } else { "warning" },
                AlertDescription(*description)
            ),
            Ending::Eof => f.write_str("connection closed without an alert"),
            Ending::Timeout => f.write_str("no answer within the timeout"),
            Ending::Garbled(s) => write!(f, "unreadable record: {s}"),
            Ending::Io(s) => write!(f, "socket error: {s}"),
        }
    }
}

/// The reading half: bytes from the target in, [`Incoming`] items out.
/// Records are deframed whatever their type or version, opened under
/// `read` once it is on, and handshake messages are joined across records.
#[derive(Debug, Default)]
pub struct RecordReader {
    inbuf: Vec<u8>,
    hs: Vec<u8>,
    /// The target's keys, once its ChangeCipherSpec switched them on.
    pub read: Option<Protect>,
    /// Records read so far (for "same point, same record count").
    pub records_in: usize,
    /// Record bytes read so far (capped at [`MAX_BYTES_IN`]).
    pub bytes_in: usize,
}

impl RecordReader {
    /// Appends bytes from the target.
    pub fn push(&mut self, bytes: &[u8]) {
        self.inbuf.extend_from_slice(bytes);
    }

    /// The buffer bytes from the target are appended to (for transports
    /// that receive into a `Vec`).
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.inbuf
    }

    /// True if bytes from the target are waiting to be read.
    pub fn has_unread(&self) -> bool {
        !self.inbuf.is_empty()
    }

    /// The next item, `None` when more bytes are needed; `Err` for what
    /// cannot be read (a record that does not authenticate, a malformed
    /// alert, an unknown record type, an oversized handshake message).
    pub fn next_item(&mut self) -> Option<Result<Incoming, Ending>> {
        loop {
            match self.pop_handshake() {
                Ok(Some(m)) => return Some(Ok(m)),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
            if self.bytes_in > MAX_BYTES_IN {
                return Some(Err(Ending::Garbled(format!(
                    "target sent more than {MAX_BYTES_IN} bytes of records on one connection (cap MAX_BYTES_IN)"
                ))));
            }
            let (typ, version, body) = self.pop_record()?;
            self.records_in += 1;
            self.bytes_in += 5 + body.len();
            let plain = match &mut self.read {
                Some(p) => match p.open(typ, version, &body) {
                    Some(plain) => plain,
                    None => {
                        return Some(Err(Ending::Garbled(format!(
                            "record {} ({:?}) does not authenticate",
                            self.records_in,
                            ContentType(typ)
                        ))))
                    }
                },
                None => body,
            };
            let item = match ContentType(typ) {
                ContentType::Handshake => {
                    self.hs.extend_from_slice(&plain);
                    continue;
                }
                ContentType::ChangeCipherSpec => Ok(Incoming::ChangeCipherSpec(plain)),
                ContentType::ApplicationData => Ok(Incoming::ApplicationData(plain)),
                ContentType::Alert => match plain.as_slice() {
                    [level, description] => Ok(Incoming::Alert {
                        level: *level,
                        description: *description,
                    }),
                    _ => Err(Ending::Garbled(format!("alert of {} bytes", plain.len()))),
                },
                other => Err(Ending::Garbled(format!("record type {other:?}"))),
            };
            return Some(item);
        }
    }

    fn pop_record(&mut self) -> Option<(u8, u16, Vec<u8>)> {
        let h: [u8; 5] = self.inbuf.get(..5)?.try_into().ok()?;
        let len = usize::from(u16::from_be_bytes([h[3], h[4]]));
        let body = self.inbuf.get(5..5 + len)?.to_vec();
        self.inbuf.drain(..5 + len);
        Some((h[0], u16::from_be_bytes([h[1], h[2]]), body))
    }

    fn pop_handshake(&mut self) -> Result<Option<Incoming>, Ending> {
        let Some(&[typ, a, b, c]) = self.hs.get(..4) else {
            return Ok(None);
        };
        let len = (usize::from(a) << 16) | (usize::from(b) << 8) | usize::from(c);
        if len > MAX_HANDSHAKE_LEN {
            return Err(Ending::Garbled(format!(
                "handshake message of {len} bytes (cap {MAX_HANDSHAKE_LEN})"
            )));
        }
        if self.hs.len() < 4 + len {
            return Ok(None);
        }
        let raw: Vec<u8> = self.hs.drain(..4 + len).collect();
        Ok(Some(Incoming::Handshake { typ, raw }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_joins_handshake_messages_across_records_and_caps_their_length() {
        let mut r = RecordReader::default();
        r.push(&frame(22, 0x0303, &[14, 0, 0]));
        assert!(r.next_item().is_none());
        r.push(&frame(22, 0x0303, &[0, 20, 0, 0, 1]));
        assert_eq!(
            r.next_item(),
            Some(Ok(Incoming::Handshake {
                typ: 14,
                raw: vec![14, 0, 0, 0]
            }))
        );
        assert!(r.next_item().is_none());
        r.push(&frame(22, 0x0303, &[7]));
        assert!(matches!(
            r.next_item(),
            Some(Ok(Incoming::Handshake { typ: 20, .. }))
        ));
        r.push(&frame(21, 0x0303, &[2, 40]));
        assert_eq!(
            r.next_item(),
            Some(Ok(Incoming::Alert {
                level: 2,
                description: 40
            }))
        );
        r.push(&frame(22, 0x0303, &[1, 0xff, 0xff, 0xff]));
        assert!(matches!(r.next_item(), Some(Err(Ending::Garbled(_)))));
        assert_eq!(r.records_in, 5);
    }

    #[test]
    fn reader_ends_a_connection_that_sends_more_than_max_bytes_in() {
        let mut r = RecordReader::default();
        let rec = frame(23, 0x0303, &[0; 1 << 14]);
        let mut read = 0;
        let ending = loop {
            r.push(&rec);
            match r.next_item() {
                Some(Ok(_)) => read += rec.len(),
                Some(Err(e)) => break e,
                None => unreachable!("a whole record was pushed"),
            }
            assert!(read <= MAX_BYTES_IN + rec.len());
        };
        assert!(
            matches!(&ending, Ending::Garbled(m) if m.contains("MAX_BYTES_IN")),
            "{ending:?}"
        );
        assert!(read > MAX_BYTES_IN);
    }

    #[test]
    fn sealed_records_open_under_the_same_keys() {
        let mut w = Protect::new(&[1; 16], [2; 4]).ok();
        let bytes = records(w.as_mut(), 23, 0x0303, b"hello", 3).unwrap_or_default();
        let mut r = RecordReader {
            read: Protect::new(&[1; 16], [2; 4]).ok(),
            ..RecordReader::default()
        };
        r.push(&bytes);
        let got: Vec<_> = std::iter::from_fn(|| r.next_item()).collect();
        assert_eq!(
            got,
            vec![
                Ok(Incoming::ApplicationData(b"hel".to_vec())),
                Ok(Incoming::ApplicationData(b"lo".to_vec()))
            ]
        );
    }
}
