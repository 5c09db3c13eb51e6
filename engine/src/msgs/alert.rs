//! The alert message (RFC 5246 §7.2): one level byte, one description byte.

use crate::codec::{Codec, Reader};
use crate::enums::{AlertDescription, AlertLevel};
use crate::error::InvalidMessage;

/// `struct { AlertLevel level; AlertDescription description; } Alert;`
///
/// Unknown levels and descriptions decode (they round-trip as newtypes); what
/// to do with them is the connection's decision (an unknown level is
/// `illegal_parameter`, an unknown warning is reported as a warning).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertMessagePayload {
    pub level: AlertLevel,
    pub description: AlertDescription,
}

impl Codec for AlertMessagePayload {
    fn encode(&self, out: &mut Vec<u8>) {
        self.level.encode(out);
        self.description.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let b = r
            .take(2, "alert")
            .map_err(|_| InvalidMessage::InvalidAlert)?;
        Ok(Self {
            level: AlertLevel(b[0]),
            description: AlertDescription(b[1]),
        })
    }

    /// An alert record payload is exactly two bytes; any other length is
    /// `InvalidAlert` (not `TrailingData`), so the error names the message.
    fn read_bytes(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        match *bytes {
            [level, description] => Ok(Self {
                level: AlertLevel(level),
                description: AlertDescription(description),
            }),
            _ => Err(InvalidMessage::InvalidAlert),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_fatal_handshake_failure_alert() {
        // RFC 5246 §7.2: level fatal(2), description handshake_failure(40).
        let alert = AlertMessagePayload::read_bytes(&[0x02, 0x28]);
        assert_eq!(
            alert,
            Ok(AlertMessagePayload {
                level: AlertLevel::Fatal,
                description: AlertDescription::HandshakeFailure,
            })
        );
    }

    #[test]
    fn decodes_warning_close_notify_and_round_trips() {
        // RFC 5246 §7.2.1: close_notify(0), sent here as warning(1).
        let bytes = [0x01, 0x00];
        let alert = AlertMessagePayload::read_bytes(&bytes);
        assert_eq!(
            alert.map(|a| (a.level, a.description, a.get_encoding())),
            Ok((
                AlertLevel::Warning,
                AlertDescription::CloseNotify,
                bytes.to_vec()
            ))
        );
    }

    #[test]
    fn keeps_unknown_level_and_description() {
        // RFC 5246 §7.2: the enums are open; deciding about unknown values is
        // not the codec's job.
        let alert = AlertMessagePayload::read_bytes(&[0x07, 0xfe]);
        assert_eq!(
            alert,
            Ok(AlertMessagePayload {
                level: AlertLevel(7),
                description: AlertDescription(0xfe),
            })
        );
    }

    #[test]
    fn rejects_alert_that_is_not_exactly_two_bytes() {
        // RFC 5246 §7.2: an Alert is exactly two one-byte fields.
        for bytes in [
            &[][..],
            &[0x02],
            &[0x02, 0x28, 0x00],
            &[0x01, 0x00, 0x01, 0x00],
        ] {
            assert_eq!(
                AlertMessagePayload::read_bytes(bytes),
                Err(InvalidMessage::InvalidAlert),
                "{bytes:02x?}"
            );
        }
    }

    #[test]
    fn rejects_truncated_alert_from_reader() {
        let mut r = Reader::new(&[0x02]);
        assert_eq!(
            AlertMessagePayload::read(&mut r),
            Err(InvalidMessage::InvalidAlert)
        );
    }
}
