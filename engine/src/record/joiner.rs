//! Handshake-record payloads → whole handshake messages. A message may span
//! records and a record may hold several messages. Each message's declared
//! length is judged against its type's cap (`MessageLimits`) as soon as its
//! 4-byte header is complete, before its body is waited for, so memory is
//! bounded by the largest cap plus one record.
//!
//! The joiner judges lengths, not types: whether the current state awaits a
//! type is the connection's call, made (from `pending_type`) before `pop`
//! judges the length, so a message of the wrong type is `unexpected_message`
//! whatever its length or body (RFC 5246 §7.4, §7.2.2).

use super::MAX_PLAINTEXT;
use crate::codec::{Codec, Reader, U24};
use crate::enums::HandshakeType;
use crate::error::InvalidMessage;

/// Type and u24 length.
pub const HANDSHAKE_HEADER_LEN: usize = 4;

/// The longest body (header excluded) accepted per handshake type. Where the
/// RFC's structure bounds a message, the cap is that bound, so every legal
/// message fits and a longer one is malformed (`HandshakeMessageTooLarge`,
/// decode_error: RFC 5246 §7.2.2 "the length of the message was
/// incorrect"). Certificate has no useful structural bound (2^24-1), so its
/// cap is configured (`ClientConfig::max_certificate_message`) and a longer
/// chain, legal but more than we accept, is `HandshakeMessageOverLimit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageLimits {
    /// Certificate body: the certificate_list and its 3-byte length.
    pub certificate: usize,
}

impl Default for MessageLimits {
    fn default() -> Self {
        Self {
            certificate: Self::DEFAULT_MAX_CERTIFICATE,
        }
    }
}

impl MessageLimits {
    /// 100 KiB: OpenSSL's default `max_cert_list` (SSL_CTX_set_max_cert_list).
    pub const DEFAULT_MAX_CERTIFICATE: usize = 100 * 1024;
    /// RFC 5246 §7.4.1.1 HelloRequest and §7.4.5 ServerHelloDone: `struct { }`.
    pub const MAX_EMPTY: usize = 0;
    /// RFC 5246 §7.4.1.2 ClientHello with every vector at its ceiling:
    /// version 2 + random 32 + session_id 1+32 + cipher_suites 2+(2^16-2) +
    /// compression_methods 1+(2^8-1) + extensions 2+(2^16-1) = 131,396
    /// (OpenSSL's CLIENT_HELLO_MAX_LENGTH is the same number).
    pub const MAX_CLIENT_HELLO: usize =
        2 + 32 + (1 + 32) + (2 + 0xfffe) + (1 + 0xff) + (2 + 0xffff);
    /// RFC 5246 §7.4.1.3 ServerHello: version 2 + random 32 + session_id
    /// 1+32 + cipher_suite 2 + compression_method 1 + extensions 2+(2^16-1).
    pub const MAX_SERVER_HELLO: usize = 2 + 32 + (1 + 32) + 2 + 1 + (2 + 0xffff);
    /// RFC 5246 §7.4.4 CertificateRequest: certificate_types 1+(2^8-1) +
    /// supported_signature_algorithms 2+(2^16-2) + certificate_authorities
    /// 2+(2^16-1).
    pub const MAX_CERTIFICATE_REQUEST: usize = (1 + 0xff) + (2 + 0xfffe) + (2 + 0xffff);
    /// RFC 5246 §7.4.7.1: RSA `EncryptedPreMasterSecret`, 2+(2^16-1) (the
    /// larger of the two forms; RFC 8422 §5.7's ECPoint is 1+(2^8-1)).
    pub const MAX_CLIENT_KEY_EXCHANGE: usize = 2 + 0xffff;
    /// RFC 8422 §5.4 ServerKeyExchange: curve_type 1 + named curve 2 +
    /// point 1+(2^8-1) + SignatureAndHashAlgorithm 2 + signature 2+(2^16-1).
    pub const MAX_SERVER_KEY_EXCHANGE: usize = 1 + 2 + (1 + 0xff) + 2 + (2 + 0xffff);
    /// RFC 5077 §3.3 NewSessionTicket: lifetime 4 + ticket 2+(2^16-1).
    pub const MAX_NEW_SESSION_TICKET: usize = 4 + 2 + 0xffff;
    /// RFC 5246 §7.4.9: verify_data is 12 bytes for our suites; the cap only
    /// bounds memory (OpenSSL's FINISHED_MAX_LENGTH), so a Finished of 13 to
    /// 64 bytes still gets the state's precise `TrailingData("verify_data")`.
    pub const MAX_FINISHED: usize = 64;
    /// RFC 6066 §8 CertificateStatus: status_type 1 + OCSPResponse 3+n, with
    /// n at most the engine's OCSP cap (`pki::ocsp::MAX_RESPONSE_LEN`).
    pub const MAX_CERTIFICATE_STATUS: usize = 1 + 3 + crate::pki::ocsp::MAX_RESPONSE_LEN;
    /// Types no state of ours awaits (CertificateVerify, unassigned ones): the connection refuses them as
    /// unexpected before their length matters; this cap (the former single
    /// 64 KiB cap) serves standalone users of the joiner, such as the
    /// harness replaying other stacks' transcripts.
    pub const MAX_OTHER: usize = 0x1_0000;

    /// The cap for a body of type `typ`.
    pub fn max_len(&self, typ: HandshakeType) -> usize {
        match typ {
            HandshakeType::HelloRequest | HandshakeType::ServerHelloDone => Self::MAX_EMPTY,
            HandshakeType::ClientHello => Self::MAX_CLIENT_HELLO,
            HandshakeType::ServerHello => Self::MAX_SERVER_HELLO,
            HandshakeType::Certificate => self.certificate,
            HandshakeType::CertificateRequest => Self::MAX_CERTIFICATE_REQUEST,
            HandshakeType::ClientKeyExchange => Self::MAX_CLIENT_KEY_EXCHANGE,
            HandshakeType::ServerKeyExchange => Self::MAX_SERVER_KEY_EXCHANGE,
            HandshakeType::NewSessionTicket => Self::MAX_NEW_SESSION_TICKET,
            HandshakeType::Finished => Self::MAX_FINISHED,
            HandshakeType::CertificateStatus => Self::MAX_CERTIFICATE_STATUS,
            _ => Self::MAX_OTHER,
        }
    }

    /// Judges a declared body length for `typ`.
    pub fn check(&self, typ: HandshakeType, len: usize) -> Result<(), InvalidMessage> {
        let max = self.max_len(typ);
        if len <= max {
            Ok(())
        } else if typ == HandshakeType::Certificate {
            Err(InvalidMessage::HandshakeMessageOverLimit { typ, len, max })
        } else {
            Err(InvalidMessage::HandshakeMessageTooLarge { typ, len, max })
        }
    }
}

#[derive(Debug)]
pub struct HandshakeJoiner {
    buf: Vec<u8>,
    limits: MessageLimits,
}

impl Default for HandshakeJoiner {
    fn default() -> Self {
        Self::new(MessageLimits::default())
    }
}

impl HandshakeJoiner {
    pub fn new(limits: MessageLimits) -> Self {
        Self {
            buf: Vec::new(),
            limits,
        }
    }

    pub fn limits(&self) -> MessageLimits {
        self.limits
    }

    /// True when no partial message is pending: only then may a record of
    /// another content type arrive (DESIGN: nothing interleaves a fragment).
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Appends one handshake record's payload. The caller drains `pop`
    /// (which judges the pending header) before pushing again, so the
    /// buffer holds at most the pending message's header and capped body
    /// plus one record; more than that is `HandshakeBufferFull`.
    pub fn push(&mut self, fragment: &[u8]) -> Result<(), InvalidMessage> {
        let cap = match self.header() {
            Some((typ, _)) => HANDSHAKE_HEADER_LEN + self.limits.max_len(typ),
            None => HANDSHAKE_HEADER_LEN,
        };
        let len = self.buf.len() + fragment.len();
        if len > cap + MAX_PLAINTEXT {
            return Err(InvalidMessage::HandshakeBufferFull(len));
        }
        self.buf.extend_from_slice(fragment);
        Ok(())
    }

    /// The type of the first pending message, once its header is complete:
    /// what the connection judges before `pop` judges the length.
    pub fn pending_type(&self) -> Option<HandshakeType> {
        self.header().map(|(typ, _)| typ)
    }

    /// The next complete message (header included, as the transcript hash
    /// needs it), or `None` while one is still partial. The pending
    /// message's declared length is judged here as soon as its header is
    /// complete, before its body is waited for.
    pub fn pop(&mut self) -> Result<Option<Vec<u8>>, InvalidMessage> {
        let Some((typ, len)) = self.header() else {
            return Ok(None);
        };
        self.limits.check(typ, len)?;
        let end = HANDSHAKE_HEADER_LEN + len;
        let Some(msg) = self.buf.get(..end).map(<[u8]>::to_vec) else {
            return Ok(None);
        };
        self.buf.drain(..end);
        Ok(Some(msg))
    }

    fn header(&self) -> Option<(HandshakeType, usize)> {
        let header = self.buf.get(..HANDSHAKE_HEADER_LEN)?;
        let mut r = Reader::new(header);
        let typ = HandshakeType::read(&mut r).ok()?;
        let len = U24::read(&mut r).ok()?;
        Some((typ, usize::from(len)))
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
        let limits = MessageLimits { certificate: 1000 };
        let mut j = HandshakeJoiner::new(limits);
        j.push(&[11, 0, 0x03, 0xe9]).unwrap();
        assert_eq!(
            j.pop(),
            Err(InvalidMessage::HandshakeMessageOverLimit {
                typ: HandshakeType::Certificate,
                len: 1001,
                max: 1000
            })
        );
        let mut j = HandshakeJoiner::new(limits);
        j.push(&[11, 0, 0x03, 0xe8]).unwrap();
        assert!(j.pop().unwrap().is_none());
        // A structural cap: no ClientHello is longer than 131,396 bytes.
        let mut j = HandshakeJoiner::default();
        j.push(&[1, 0x02, 0x01, 0x45]).unwrap();
        assert_eq!(
            j.pop(),
            Err(InvalidMessage::HandshakeMessageTooLarge {
                typ: HandshakeType::ClientHello,
                len: 131_397,
                max: 131_396
            })
        );
        let mut j = HandshakeJoiner::default();
        j.push(&[1, 0x02, 0x01, 0x44]).unwrap();
        assert!(j.pop().unwrap().is_none());
        // RFC 6066 §8: a CertificateStatus holds at most the OCSP cap.
        let max = MessageLimits::MAX_CERTIFICATE_STATUS;
        for (len, over) in [(max, false), (max + 1, true)] {
            let mut j = HandshakeJoiner::default();
            let l = u32::try_from(len).unwrap().to_be_bytes();
            j.push(&[22, l[1], l[2], l[3]]).unwrap();
            assert_eq!(j.pop().is_err(), over, "{len}");
        }
    }

    #[test]
    fn joins_a_maximal_client_hello_spanning_nine_records() {
        let m = msg(1, &vec![7; MessageLimits::MAX_CLIENT_HELLO]);
        let mut j = HandshakeJoiner::default();
        let mut got = Vec::new();
        for part in m.chunks(MAX_PLAINTEXT) {
            j.push(part).unwrap();
            got.extend(drain(&mut j));
        }
        assert_eq!(got, vec![m]);
        assert!(j.is_empty());
    }

    #[test]
    fn never_buffers_more_than_one_message_plus_one_record() {
        let mut j = HandshakeJoiner::new(MessageLimits { certificate: 1000 });
        // A peer that declares a legal length but keeps sending without the
        // caller draining: capped.
        j.push(&msg(11, &[0; 1000])[..500]).unwrap();
        let big = vec![0u8; MAX_PLAINTEXT + 600];
        assert!(matches!(
            j.push(&big),
            Err(InvalidMessage::HandshakeBufferFull(_))
        ));
    }
}
