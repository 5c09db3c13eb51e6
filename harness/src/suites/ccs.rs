//! ChangeCipherSpec: too early (CVE-2014-0224), missing, repeated, with a
//! wrong payload, and inside a fragmented handshake message; in full and
//! abbreviated handshakes.
//!
//! Alert choices. RFC 5246 §7.1 defines the message as the single byte
//! change_cipher_spec(1) and names no alert for a malformed one; §7.2.2's
//! decode_error ("some field was out of the specified range or the length
//! of the message was incorrect") describes it, so it comes first. Practice
//! differs and the RFC does not forbid it: OpenSSL 3 sends
//! unexpected_message, BoringSSL and NSS illegal_parameter. A zero-length
//! CCS record is also forbidden at the record layer (§6.2.1), which some
//! servers report as unexpected_message. A CCS where the state machine does
//! not expect one is "an inappropriate message" (§7.2.2 unexpected_message;
//! §7.4.9: Finished must be preceded by CCS "at the appropriate point").

use super::{alert, SUITES};
use crate::case::TestCase;
use crate::peer::client::{CcsBug, ClientBugs, ClientScript};
use gauntlet_engine::enums::AlertDescription as A;

/// The alerts a malformed CCS may get (see the module comment).
const BAD_CCS: [A; 3] = [A::DecodeError, A::IllegalParameter, A::UnexpectedMessage];

fn rows() -> Vec<(&'static str, CcsBug, Vec<A>)> {
    let mut rows = vec![
        // The server sees a CCS while it waits for ClientKeyExchange.
        ("Early", CcsBug::Early, vec![A::UnexpectedMessage]),
        // The encrypted Finished arrives as a plaintext handshake record
        // while the server waits for CCS: its first four bytes (the
        // explicit nonce, our sequence number 0) read as a HelloRequest,
        // which a client never sends. A server that parses further finds a
        // garbled message (decode_error).
        (
            "Skip",
            CcsBug::Skip,
            vec![A::UnexpectedMessage, A::DecodeError],
        ),
        // A well-formed plaintext Finished while CCS is awaited.
        (
            "SkipPlaintextFinished",
            CcsBug::SkipPlaintextFinished,
            vec![A::UnexpectedMessage],
        ),
        // A second CCS, sealed, where Finished is awaited.
        ("Twice", CcsBug::Twice, vec![A::UnexpectedMessage]),
        // A second CCS in plaintext after the first switched the server's
        // read keys: it cannot be authenticated (RFC 5246 §6.2.3.3: failed
        // decryption MUST give bad_record_mac).
        (
            "TwicePlaintext",
            CcsBug::TwicePlaintext,
            vec![A::BadRecordMac],
        ),
        // RFC 5246 §6.2.1: a handshake message split over records must not
        // be interleaved with a CCS; at that point the CCS is early anyway.
        (
            "InsideFragmentedMessage",
            CcsBug::InsideFragmentedMessage,
            vec![A::UnexpectedMessage],
        ),
    ];
    for (label, payload) in [
        ("PayloadEmpty", vec![]),
        ("Payload00", vec![0x00]),
        ("Payload02", vec![0x02]),
        ("PayloadFF", vec![0xff]),
        ("Payload0101", vec![0x01, 0x01]),
        ("Payload0100", vec![0x01, 0x00]),
    ] {
        rows.push((label, CcsBug::Payload(payload), BAD_CCS.to_vec()));
    }
    rows
}

pub(super) fn cases(out: &mut Vec<TestCase>) {
    for (label, bug, set) in rows() {
        for (suite, sname) in SUITES {
            out.push(TestCase::server(
                format!("ChangeCipherSpec-Server-{label}-{sname}"),
                "RFC 5246 §7.1, §7.4.9",
                ClientScript {
                    suite,
                    bugs: ClientBugs {
                        ccs: bug.clone(),
                        ..ClientBugs::default()
                    },
                    ..ClientScript::default()
                },
                alert(&set),
            ));
        }
    }
    // The abbreviated handshake: the client's CCS follows the server's
    // Finished, and the same rules hold.
    let resumed: [(&str, CcsBug, Vec<A>); 4] = [
        (
            "Skip",
            CcsBug::Skip,
            vec![A::UnexpectedMessage, A::DecodeError],
        ),
        (
            "SkipPlaintextFinished",
            CcsBug::SkipPlaintextFinished,
            vec![A::UnexpectedMessage],
        ),
        ("Twice", CcsBug::Twice, vec![A::UnexpectedMessage]),
        ("Payload02", CcsBug::Payload(vec![0x02]), BAD_CCS.to_vec()),
    ];
    for (label, bug, set) in resumed {
        for (suite, sname) in SUITES {
            out.push(TestCase::server(
                format!("ChangeCipherSpec-Server-Resumed{label}-{sname}"),
                "RFC 5246 §7.1, §7.3 (abbreviated handshake)",
                ClientScript {
                    suite,
                    bugs: ClientBugs {
                        ccs: bug.clone(),
                        resume: true,
                        ..ClientBugs::default()
                    },
                    ..ClientScript::default()
                },
                alert(&set),
            ));
        }
    }
}
