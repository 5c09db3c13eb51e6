//! Client role: the scripted server completes correct handshakes with both
//! suites, then misbehaves in each message of its flights (RFC 5246 §7.4.1.3
//! ServerHello, §7.4.2 Certificate, §7.4.5 ServerHelloDone, §7.1
//! ChangeCipherSpec, §7.4.9 Finished, §7.4.1.1 HelloRequest).

use super::{alert, SUITES};
use crate::case::{Expect, TestCase};
use crate::peer::server::{ServerBugs, ServerCcsBug, ServerScript};
use crate::peer::{HsMsg, Mutation};
use gauntlet_engine::enums::AlertDescription as A;

pub(super) fn cases(out: &mut Vec<TestCase>) {
    let Ok(base) = ServerScript::builtin() else {
        return;
    };
    let case = |out: &mut Vec<TestCase>, name: String, rfc, bugs: ServerBugs, expect| {
        out.push(TestCase::client(
            name,
            rfc,
            base.clone().with_bugs(bugs),
            expect,
        ));
    };
    for (suite, sname) in SUITES {
        for ems in [true, false] {
            let e = if ems { "EMS" } else { "NoEMS" };
            let mut s = base.clone();
            s.suite = suite;
            s.ems = ems;
            out.push(TestCase::client(
                format!("Basic-Client-{sname}-{e}"),
                "RFC 5246 §7.3",
                s,
                Expect::Success,
            ));
        }
    }
    let b = ServerBugs::default;

    // ServerHello fields (RFC 5246 §7.4.1.3, Appendix E.1).
    for (v, name) in [
        (0x0302u16, "TLS11"),
        (0x0301, "TLS10"),
        (0x0300, "SSL3"),
        (0x0304, "TLS13"),
    ] {
        case(
            out,
            format!("ServerHello-Client-Version{name}"),
            // "If the version chosen by the server is not supported by the
            // client (or not acceptable), the client MUST send a
            // protocol_version alert" (policy rule 1).
            "RFC 5246 §7.4.1.3, Appendix E.1",
            ServerBugs {
                server_version: Some(v),
                ..b()
            },
            alert(&[A::ProtocolVersion]),
        );
    }
    for (s, name) in [
        (0xfefeu16, "Unassigned"),
        (0x00ff, "RenegotiationScsv"),
        (0x0000, "NullNull"),
    ] {
        case(
            out,
            format!("ServerHello-Client-UnofferedSuite{name}"),
            "RFC 5246 §7.4.1.3 (a suite the client offered)",
            ServerBugs {
                cipher_suite: Some(s),
                ..b()
            },
            alert(&[A::IllegalParameter, A::HandshakeFailure]),
        );
    }
    case(
        out,
        "ServerHello-Client-CompressionDeflate".into(),
        "RFC 5246 §7.4.1.3 (a compression method the client offered)",
        ServerBugs {
            compression: Some(1),
            ..b()
        },
        alert(&[A::IllegalParameter, A::HandshakeFailure, A::DecodeError]),
    );
    for (typ, body, name) in [
        (0x0a0au16, vec![], "UnknownType"),
        (0xfe00, vec![1, 2, 3], "PrivateUse"),
    ] {
        case(
            out,
            format!("ServerHello-Client-Unsolicited{name}"),
            "RFC 5246 §7.4.1.4 (unrequested extension: unsupported_extension)",
            ServerBugs {
                extra_extensions: vec![(typ, body)],
                ..b()
            },
            alert(&[A::UnsupportedExtension]),
        );
    }
    // session_ticket in ServerHello and no NewSessionTicket after it. Not
    // requested by the client: unsupported_extension (RFC 5246 §7.4.1.4).
    // Requested (most clients offer it): the echo promises NewSessionTicket
    // before ChangeCipherSpec (RFC 5077 §3.3: it "MUST be sent if the
    // server included a SessionTicket extension"), so the CCS arrives out
    // of order: unexpected_message (RFC 5246 §7.3, §7.2.2).
    case(
        out,
        "ServerHello-Client-UnsolicitedUnrequestedSessionTicket".into(),
        "RFC 5246 §7.4.1.4; RFC 5077 §3.3",
        ServerBugs {
            extra_extensions: vec![(35, vec![])],
            ..b()
        },
        alert(&[A::UnsupportedExtension, A::UnexpectedMessage]),
    );
    case(
        out,
        "ServerHello-Client-DuplicateRenegotiationInfo".into(),
        "RFC 5246 §7.4.1.4 (at most one extension of each type)",
        ServerBugs {
            extra_extensions: vec![(0xff01, vec![0])],
            ..b()
        },
        alert(&[A::DecodeError, A::IllegalParameter, A::UnsupportedExtension]),
    );
    case(
        out,
        "ServerHello-Client-NonEmptyRenegotiationInfo".into(),
        "RFC 5746 §3.4 (initial handshake: renegotiated_connection empty)",
        ServerBugs {
            extensions: Some(vec![(
                0xff01,
                vec![12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            )]),
            ..b()
        },
        alert(&[A::HandshakeFailure, A::IllegalParameter]),
    );

    // Each message of the first flight, mutated.
    let malformed = [A::DecodeError];
    let rows: Vec<(HsMsg, Mutation, &str, Vec<A>)> = vec![
        (
            HsMsg::ServerHello,
            Mutation::Truncate(0),
            "Truncated0",
            malformed.to_vec(),
        ),
        (
            HsMsg::ServerHello,
            Mutation::Truncate(1),
            "Truncated1",
            malformed.to_vec(),
        ),
        (
            HsMsg::ServerHello,
            Mutation::Truncate(34),
            "Truncated34",
            malformed.to_vec(),
        ),
        (
            HsMsg::ServerHello,
            Mutation::Truncate(37),
            "Truncated37",
            malformed.to_vec(),
        ),
        (
            HsMsg::ServerHello,
            Mutation::Truncate(72),
            "Truncated72",
            malformed.to_vec(),
        ),
        (
            HsMsg::ServerHello,
            Mutation::TrailingData(vec![0]),
            "TrailingByte",
            malformed.to_vec(),
        ),
        (
            HsMsg::ServerHello,
            Mutation::SendTwice,
            "SentTwice",
            vec![A::UnexpectedMessage],
        ),
        (
            HsMsg::ServerHello,
            Mutation::WrongType(1),
            "TypeIsClientHello",
            vec![A::UnexpectedMessage, A::DecodeError],
        ),
        (
            HsMsg::Certificate,
            Mutation::Truncate(0),
            "Truncated0",
            malformed.to_vec(),
        ),
        (
            HsMsg::Certificate,
            Mutation::Truncate(5),
            "Truncated5",
            malformed.to_vec(),
        ),
        (
            HsMsg::Certificate,
            Mutation::TrailingData(vec![0]),
            "TrailingByte",
            malformed.to_vec(),
        ),
        (
            HsMsg::Certificate,
            Mutation::Skip,
            "Skipped",
            vec![A::UnexpectedMessage],
        ),
        (
            HsMsg::Certificate,
            Mutation::SendTwice,
            "SentTwice",
            vec![A::UnexpectedMessage],
        ),
        (
            HsMsg::Certificate,
            Mutation::WrongType(0xfe),
            "TypeIsUnknown",
            vec![A::UnexpectedMessage],
        ),
        (
            HsMsg::ServerHelloDone,
            Mutation::TrailingData(vec![0]),
            "TrailingByte",
            malformed.to_vec(),
        ),
        (
            HsMsg::ServerHelloDone,
            Mutation::WrongType(20),
            "TypeIsFinished",
            vec![A::UnexpectedMessage, A::DecodeError],
        ),
        (
            HsMsg::ServerHelloDone,
            Mutation::SendTwice,
            "SentTwice",
            vec![A::UnexpectedMessage],
        ),
        (
            HsMsg::Finished,
            Mutation::Truncate(11),
            "Truncated11",
            // verify_data of the wrong length is malformed (policy rule 1).
            vec![A::DecodeError],
        ),
        (
            HsMsg::Finished,
            Mutation::TrailingData(vec![0]),
            "TrailingByte",
            vec![A::DecodeError],
        ),
        (
            HsMsg::Finished,
            Mutation::FlipBit(3),
            "VerifyDataBit3",
            vec![A::DecryptError],
        ),
        (
            HsMsg::Finished,
            Mutation::SendTwice,
            "SentTwice",
            vec![A::UnexpectedMessage],
        ),
    ];
    for (msg, mutation, label, set) in rows {
        case(
            out,
            format!("{}-Client-{label}", msg.name()),
            "RFC 5246 §7.4",
            ServerBugs {
                mutations: vec![(msg, mutation)],
                ..b()
            },
            alert(&set),
        );
    }
    case(
        out,
        "Certificate-Client-EmptyList".into(),
        "RFC 5246 §7.4.2 (the server's chain is not empty)",
        ServerBugs {
            chain: Some(vec![]),
            ..b()
        },
        alert(&[
            A::DecodeError,
            A::BadCertificate,
            A::HandshakeFailure,
            A::CertificateUnknown,
        ]),
    );
    case(
        out,
        "ServerKeyExchange-Client-WithRsaKeyExchange".into(),
        "RFC 5246 §7.4.3 (not sent for RSA key exchange)",
        ServerBugs {
            server_key_exchange: true,
            ..b()
        },
        alert(&[A::UnexpectedMessage]),
    );

    // ChangeCipherSpec and Finished.
    case(
        out,
        "ChangeCipherSpec-Client-Early".into(),
        "RFC 5246 §7.1 (CVE-2014-0224)",
        ServerBugs {
            ccs: ServerCcsBug::Early,
            ..b()
        },
        alert(&[A::UnexpectedMessage]),
    );
    for (p, name) in [(vec![2u8], "Payload02"), (vec![1, 1], "TwoBytes")] {
        case(
            out,
            format!("ChangeCipherSpec-Client-{name}"),
            "RFC 5246 §7.1 (the message is the single byte 1)",
            ServerBugs {
                ccs: ServerCcsBug::Payload(p),
                ..b()
            },
            alert(&[A::DecodeError, A::UnexpectedMessage, A::IllegalParameter]),
        );
    }
    case(
        out,
        "Finished-Client-BadVerifyData".into(),
        "RFC 5246 §7.4.9",
        ServerBugs {
            bad_finished: true,
            ..b()
        },
        alert(&[A::DecryptError]),
    );
    for (bit, name) in [
        (0usize, "ExplicitNonce"),
        (8 * 10, "Ciphertext"),
        (8 * 30, "Tag"),
    ] {
        case(
            out,
            format!("Record-Client-FinishedFlip{name}"),
            "RFC 5246 §6.2.3.3, RFC 5288 §3",
            ServerBugs {
                flip_finished_record_bit: Some(bit),
                ..b()
            },
            alert(&[A::BadRecordMac]),
        );
    }
    case(
        out,
        "Record-Client-AppDataBeforeFinished".into(),
        "RFC 5246 §7.4.9 (no application data before Finished)",
        ServerBugs {
            app_data_before_finished: true,
            ..b()
        },
        alert(&[A::UnexpectedMessage]),
    );
    case(
        out,
        "Renegotiation-Client-HelloRequestAfterHandshake".into(),
        "RFC 5246 §7.4.1.1, RFC 5746 §4.2 (refuse with a warning or ignore)",
        ServerBugs {
            hello_request_after: true,
            ..b()
        },
        Expect::Success,
    );
    case(
        out,
        "Renegotiation-Client-HelloRequestDuringHandshake".into(),
        "RFC 5246 §7.4.1.1 (ignored while negotiating)",
        ServerBugs {
            hello_request_during: true,
            ..b()
        },
        Expect::Success,
    );
}
