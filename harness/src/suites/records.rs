//! The record layer and alerts as the server sees them: tampered Finished
//! records, record size limits, record versions, unknown content types,
//! application data before the handshake ends, and alerts from the client
//! during the handshake.

use super::{alert, SUITES};
use crate::case::{Expect, TestCase};
use crate::peer::client::{ClientBugs, ClientScript};
use gauntlet_engine::enums::{AlertDescription as A, CipherSuite};

fn script(suite: CipherSuite, bugs: ClientBugs) -> ClientScript {
    ClientScript {
        suite,
        bugs,
        ..ClientScript::default()
    }
}

/// One suite for what does not depend on the suite.
const ONE: CipherSuite = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;

pub(super) fn cases(out: &mut Vec<TestCase>) {
    finished_record(out);
    sizes(out);
    versions(out);
    content_types(out);
    alerts(out);
    out.extend(fatal_alert_cases());
}

/// The sealed Finished record is explicit nonce (8 bytes) ‖ ciphertext (16)
/// ‖ tag (16). Any flipped bit must fail authentication (RFC 5246 §6.2.3.3:
/// "If the decryption fails, a fatal bad_record_mac alert MUST be
/// generated"); the explicit nonce is part of the GCM nonce (RFC 5288 §3),
/// so flipping it fails too. A flipped verify_data bit under valid
/// protection is messages.rs's VerifyDataBit family.
fn finished_record(out: &mut Vec<TestCase>) {
    let bits = [
        ("NonceBit0", 0usize),
        ("NonceBit63", 63),
        ("CiphertextBit64", 64),
        ("CiphertextBit100", 100),
        ("CiphertextBit191", 191),
        ("TagBit192", 192),
        ("TagBit255", 255),
        ("TagBit319", 319),
    ];
    for (label, bit) in bits {
        for (suite, sname) in SUITES {
            out.push(TestCase::server(
                format!("Record-Server-Finished{label}-{sname}"),
                "RFC 5246 §6.2.3.3, RFC 5288 §3",
                script(
                    suite,
                    ClientBugs {
                        flip_finished_record_bit: Some(bit),
                        ..ClientBugs::default()
                    },
                ),
                alert(&[A::BadRecordMac]),
            ));
        }
    }
}

/// RFC 5246 §6.2.1: TLSPlaintext.length MUST NOT exceed 2^14; §6.2.3: the
/// ciphertext MUST NOT exceed 2^14 + 2048; §7.2.2 record_overflow.
fn sizes(out: &mut Vec<TestCase>) {
    for (suite, sname) in SUITES {
        out.push(TestCase::server(
            format!("Record-Server-Plaintext16384-{sname}"),
            "RFC 5246 §6.2.1 (a full 2^14-byte record is legal)",
            script(
                suite,
                ClientBugs {
                    app_data_len: Some(1 << 14),
                    ..ClientBugs::default()
                },
            ),
            Expect::Success,
        ));
        out.push(TestCase::server(
            format!("Record-Server-Plaintext16385-{sname}"),
            "RFC 5246 §6.2.1, §7.2.2 record_overflow",
            script(
                suite,
                ClientBugs {
                    app_data_len: Some((1 << 14) + 1),
                    ..ClientBugs::default()
                },
            ),
            alert(&[A::RecordOverflow]),
        ));
        out.push(TestCase::server(
            format!("Record-Server-Ciphertext18433-{sname}"),
            "RFC 5246 §6.2.3, §7.2.2 record_overflow",
            script(
                suite,
                ClientBugs {
                    raw_record_len_after: Some((1 << 14) + 2048 + 1),
                    ..ClientBugs::default()
                },
            ),
            alert(&[A::RecordOverflow]),
        ));
        // Exactly at the ciphertext ceiling, but garbage: it does not
        // authenticate; a server that sees from the length that the
        // plaintext would exceed 2^14 may say so instead.
        out.push(TestCase::server(
            format!("Record-Server-Ciphertext18432Garbage-{sname}"),
            "RFC 5246 §6.2.3, §6.2.3.3",
            script(
                suite,
                ClientBugs {
                    raw_record_len_after: Some((1 << 14) + 2048),
                    ..ClientBugs::default()
                },
            ),
            alert(&[A::BadRecordMac, A::RecordOverflow]),
        ));
    }
}

/// RFC 5246 Appendix E.1: a server MUST accept any {03,XX} record version
/// on the ClientHello; after it, records carry the negotiated version
/// (§6.2.1), and a record with another is refused with protocol_version
/// (what OpenSSL, BoringSSL and GnuTLS send). The RFC names no check, but
/// the version is authenticated: §6.2.3.3's additional_data carries
/// TLSCompressed.version, "the version of the protocol being employed", so
/// a server that seals it into the AAD rather than the header's value finds
/// our first protected record (Finished) does not authenticate, and
/// bad_record_mac is then the MUST of §6.2.3.3 (JSSE does this).
fn versions(out: &mut Vec<TestCase>) {
    for v in [0x0300u16, 0x0301, 0x0302, 0x0304, 0x03ff] {
        out.push(TestCase::server(
            format!("Record-Server-HelloRecordVersion{v:04x}"),
            "RFC 5246 Appendix E.1",
            script(
                ONE,
                ClientBugs {
                    hello_record_version: Some(v),
                    ..ClientBugs::default()
                },
            ),
            Expect::Success,
        ));
    }
    for v in [0x0300u16, 0x0301, 0x0302, 0x0304] {
        out.push(TestCase::server(
            format!("Record-Server-RecordVersionAfterHello{v:04x}"),
            "RFC 5246 §6.2.1, Appendix E.1",
            script(
                ONE,
                ClientBugs {
                    hello_record_version: Some(0x0303),
                    record_version: Some(v),
                    ..ClientBugs::default()
                },
            ),
            alert(&[A::ProtocolVersion, A::BadRecordMac]),
        ));
    }
}

/// RFC 5246 §6: "If a TLS implementation receives an unexpected record
/// type, it MUST send an unexpected_message alert." Heartbeat (24, RFC
/// 6520) is unexpected when it was not negotiated. RFC 5246 §7.3:
/// application data MUST NOT be sent before the first handshake completes.
fn content_types(out: &mut Vec<TestCase>) {
    for typ in [0x00u8, 0x18, 0x19, 0x80, 0xff] {
        out.push(TestCase::server(
            format!("Record-Server-ContentType{typ:02x}AfterHandshake"),
            "RFC 5246 §6",
            script(
                ONE,
                ClientBugs {
                    unknown_record_type_after: Some(typ),
                    ..ClientBugs::default()
                },
            ),
            alert(&[A::UnexpectedMessage]),
        ));
    }
    for typ in [0x18u8, 0x19] {
        out.push(TestCase::server(
            format!("Record-Server-ContentType{typ:02x}InHandshake"),
            "RFC 5246 §6",
            script(
                ONE,
                ClientBugs {
                    unknown_record_type_in_handshake: Some(typ),
                    ..ClientBugs::default()
                },
            ),
            alert(&[A::UnexpectedMessage]),
        ));
    }
    for (suite, sname) in SUITES {
        out.push(TestCase::server(
            format!("ApplicationData-Server-BeforeFinished-{sname}"),
            "RFC 5246 §7.3, §7.4.9",
            script(
                suite,
                ClientBugs {
                    app_data_before_finished: true,
                    ..ClientBugs::default()
                },
            ),
            alert(&[A::UnexpectedMessage]),
        ));
    }
    out.push(TestCase::server(
        "ApplicationData-Server-BeforeClientKeyExchange",
        "RFC 5246 §7.3",
        script(
            ONE,
            ClientBugs {
                app_data_in_handshake: true,
                ..ClientBugs::default()
            },
        ),
        alert(&[A::UnexpectedMessage]),
    ));
}

/// Alerts from the client in the middle of the handshake.
///
/// RFC 5246 §7.2.2: "If an alert with a level of warning is sent and
/// received, generally the connection can continue normally. If the
/// receiving party decides not to proceed with the connection ..., it
/// SHOULD send a fatal alert to terminate the connection." So the normal
/// continuation (OpenSSL, BoringSSL, NSS) or a fatal alert (JSSE); the RFC
/// names none for this, so the ones whose definition could fit a warning
/// it will not take. 0xfe is an unassigned description.
///
/// A malformed alert record: RFC 5246 §7.2 defines it as two bytes, level
/// warning(1) or fatal(2). A zero-length alert record is forbidden
/// (§6.2.1); level 3 is out of range. (An alert record of one or three
/// bytes is left out: RFC 5246 §6.2.1 lets messages of any type be
/// fragmented and coalesced, so it may be part of a valid alert stream,
/// although OpenSSL 3 and BoringSSL refuse it.)
fn alerts(out: &mut Vec<TestCase>) {
    for desc in [A::UnrecognizedName.0, 0xfe] {
        out.push(TestCase::server(
            format!("Alert-Server-Warning{desc}InHandshake"),
            "RFC 5246 §7.2, §7.2.2",
            script(
                ONE,
                ClientBugs {
                    warning_alert_in_handshake: Some(desc),
                    ..ClientBugs::default()
                },
            ),
            Expect::AnyOf(vec![
                Expect::Success,
                alert(&[
                    A::HandshakeFailure,
                    A::UnexpectedMessage,
                    A::IllegalParameter,
                    A::DecodeError,
                ]),
            ]),
        ));
    }
    for (label, payload, set) in [
        ("Empty", vec![], vec![A::DecodeError, A::UnexpectedMessage]),
        (
            "Level3",
            vec![3, A::UnrecognizedName.0],
            vec![A::DecodeError, A::IllegalParameter],
        ),
    ] {
        out.push(TestCase::server(
            format!("Alert-Server-Malformed{label}InHandshake"),
            "RFC 5246 §6.2.1, §7.2",
            script(
                ONE,
                ClientBugs {
                    alert_payload_in_handshake: Some(payload),
                    ..ClientBugs::default()
                },
            ),
            alert(&set),
        ));
    }
}

/// A fatal alert from the client before ClientKeyExchange: RFC 5246 §7.2,
/// "Upon transmission or receipt of a fatal alert message, both parties
/// immediately close the connection", so the server must close without
/// sending anything (no alert of its own). `Expect` has no such kind yet:
/// these carry an empty alert set (which `judge` never passes) and the
/// in-memory test checks for a close without alert itself.
fn fatal_alert_cases() -> Vec<TestCase> {
    [A::HandshakeFailure, A::InternalError]
        .into_iter()
        .map(|desc| {
            TestCase::server(
                format!("Alert-Server-Fatal{}InHandshake", desc.0),
                "RFC 5246 §7.2",
                script(
                    ONE,
                    ClientBugs {
                        fatal_alert_in_handshake: Some(desc.0),
                        ..ClientBugs::default()
                    },
                ),
                Expect::Closed,
            )
        })
        .collect()
}
