//! The ChangeCipherSpec message (RFC 5246 §7.1): the single byte 0x01.

use crate::codec::{Codec, Reader};
use crate::enums::ChangeCipherSpecType;
use crate::error::InvalidMessage;

/// `struct { enum { change_cipher_spec(1), (255) } type; } ChangeCipherSpec;`
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChangeCipherSpecPayload;

impl Codec for ChangeCipherSpecPayload {
    fn encode(&self, out: &mut Vec<u8>) {
        ChangeCipherSpecType::ChangeCipherSpec.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        match ChangeCipherSpecType::read(r) {
            Ok(ChangeCipherSpecType::ChangeCipherSpec) => Ok(Self),
            _ => Err(InvalidMessage::InvalidChangeCipherSpec),
        }
    }

    /// The record payload must be exactly `[0x01]`; any other length or value
    /// is `InvalidChangeCipherSpec`.
    fn read_bytes(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        match bytes {
            [1] => Ok(Self),
            _ => Err(InvalidMessage::InvalidChangeCipherSpec),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_one_byte_change_cipher_spec() {
        // RFC 5246 §7.1: change_cipher_spec(1).
        assert_eq!(
            ChangeCipherSpecPayload::read_bytes(&[0x01]),
            Ok(ChangeCipherSpecPayload)
        );
        assert_eq!(ChangeCipherSpecPayload.get_encoding(), [0x01]);
    }

    #[test]
    fn rejects_change_cipher_spec_other_than_single_byte_one() {
        // RFC 5246 §7.1: the message is one byte of value 1.
        for bytes in [
            &[][..],
            &[0x00],
            &[0x02],
            &[0xff],
            &[0x01, 0x01],
            &[0x01, 0x00],
        ] {
            assert_eq!(
                ChangeCipherSpecPayload::read_bytes(bytes),
                Err(InvalidMessage::InvalidChangeCipherSpec),
                "{bytes:02x?}"
            );
        }
    }

    #[test]
    fn rejects_wrong_change_cipher_spec_byte_from_reader() {
        let mut r = Reader::new(&[0x02]);
        assert_eq!(
            ChangeCipherSpecPayload::read(&mut r),
            Err(InvalidMessage::InvalidChangeCipherSpec)
        );
    }
}
