//! Handshake-record payloads → whole handshake messages. A message may span
//! records and a record may hold several messages; a message's declared
//! length is judged as soon as its 4-byte header is complete, so memory is
//! bounded by one maximum message plus one record.

use super::MAX_PLAINTEXT;
use crate::codec::{Codec, Reader, U24};
use crate::enums::HandshakeType;
use crate::error::InvalidMessage;

/// Type and u24 length.
pub const HANDSHAKE_HEADER_LEN: usize = 4;

#[derive(Debug)]
pub struct HandshakeJoiner {
    buf: Vec<u8>,
    max_message: usize,
}

impl Default for HandshakeJoiner {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_MESSAGE)
    }
}

impl HandshakeJoiner {
    /// Large enough for a long certificate chain; peers that need more are
    /// refused with `decode_error` rather than buffered without bound.
    pub const DEFAULT_MAX_MESSAGE: usize = 0x1_0000;

    pub fn new(max_message: usize) -> Self {
        Self {
            buf: Vec::new(),
            max_message,
        }
    }

    /// True when no partial message is pending: only then may a record of
    /// another content type arrive (DESIGN: nothing interleaves a fragment).
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Appends one handshake record's payload. The buffer never holds more
    /// than one maximum message, its header and one record: past that this
    /// is `HandshakeMessageTooLarge`. Complete messages count too, so the
    /// caller drains `pop` before pushing again.
    pub fn push(&mut self, fragment: &[u8]) -> Result<(), InvalidMessage> {
        if self.buf.len() + fragment.len() > self.max_message + HANDSHAKE_HEADER_LEN + MAX_PLAINTEXT
        {
            return Err(InvalidMessage::HandshakeMessageTooLarge(
                self.buf.len() + fragment.len(),
            ));
        }
        self.buf.extend_from_slice(fragment);
        self.check_pending()
    }

    /// The next complete message (header included, as the transcript hash
    /// needs it), or `None` while one is still partial.
    pub fn pop(&mut self) -> Result<Option<Vec<u8>>, InvalidMessage> {
        let Some(len) = self.pending_len()? else {
            return Ok(None);
        };
        let end = HANDSHAKE_HEADER_LEN + len;
        if self.buf.len() < end {
            return Ok(None);
        }
        let msg = self.buf[..end].to_vec();
        self.buf.drain(..end);
        Ok(Some(msg))
    }

    fn check_pending(&self) -> Result<(), InvalidMessage> {
        self.pending_len().map(|_| ())
    }

    fn pending_len(&self) -> Result<Option<usize>, InvalidMessage> {
        let Some(header) = self.buf.get(..HANDSHAKE_HEADER_LEN) else {
            return Ok(None);
        };
        let mut r = Reader::new(header);
        let _typ = HandshakeType::read(&mut r)?;
        let len = usize::from(U24::read(&mut r)?);
        if len > self.max_message {
            return Err(InvalidMessage::HandshakeMessageTooLarge(len));
        }
        Ok(Some(len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![typ];
        out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        out.extend_from_slice(body);
        out
    }

    fn drain(j: &mut HandshakeJoiner) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(m) = j.pop().unwrap() {
            out.push(m);
        }
        out
    }

    #[test]
    fn splits_several_messages_sharing_one_record() {
        let mut flight = msg(2, &[1; 70]);
        flight.extend(msg(11, &[2; 900]));
        flight.extend(msg(14, &[]));
        let mut j = HandshakeJoiner::default();
        j.push(&flight).unwrap();
        let got = drain(&mut j);
        assert_eq!(
            got,
            vec![msg(2, &[1; 70]), msg(11, &[2; 900]), msg(14, &[])]
        );
        assert!(j.is_empty());
    }

    #[test]
    fn joins_a_message_spanning_records_split_at_every_byte() {
        let m = msg(1, &[9; 40]);
        let mut j = HandshakeJoiner::default();
        for (i, b) in m.iter().enumerate() {
            j.push(&[*b]).unwrap();
            let got = drain(&mut j);
            if i + 1 < m.len() {
                assert!(got.is_empty());
                assert!(!j.is_empty());
            } else {
                assert_eq!(got, vec![m.clone()]);
            }
        }
    }

    #[test]
    fn rejects_a_declared_length_over_the_limit_before_the_body_arrives() {
        let mut j = HandshakeJoiner::new(1000);
        assert_eq!(
            j.push(&[11, 0, 0x03, 0xe9]),
            Err(InvalidMessage::HandshakeMessageTooLarge(1001))
        );
        let mut j = HandshakeJoiner::new(1000);
        j.push(&[11, 0, 0x03, 0xe8]).unwrap();
        assert!(j.pop().unwrap().is_none());
    }

    #[test]
    fn never_buffers_more_than_one_message_plus_one_record() {
        let mut j = HandshakeJoiner::new(1000);
        // A peer that declares a legal length but keeps sending without the
        // caller draining: capped.
        j.push(&msg(11, &[0; 1000])[..500]).unwrap();
        let big = vec![0u8; MAX_PLAINTEXT + 600];
        assert!(matches!(
            j.push(&big),
            Err(InvalidMessage::HandshakeMessageTooLarge(_))
        ));
    }
}
