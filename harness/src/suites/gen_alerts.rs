//! Generated: every alert description at both levels from the client in
//! the middle of the handshake (before ClientKeyExchange), and floods of
//! warnings, empty records and empty fragments there.
//!
//! - Fatal, any description: RFC 5246 §7.2, "Upon transmission or receipt
//!   of a fatal alert message, both parties immediately close the
//!   connection": the server closes and says nothing (§7.2.1 lets a
//!   close_notify through).
//! - Warning close_notify: RFC 5246 §7.2.1, the other party "MUST respond
//!   with a close_notify alert of its own and close down the connection
//!   immediately": a close (or a close_notify), or a fatal alert from a
//!   server that will not leave a handshake half done.
//! - Any other warning: §7.2.2, "generally the connection can continue
//!   normally. If the receiving party decides not to proceed ... it SHOULD
//!   send a fatal alert": the RFC leaves the choice, so the case accepts
//!   the handshake going on (OpenSSL, BoringSSL, NSS) or the fatal alerts
//!   those stacks and JSSE send for a warning they will not take (policy
//!   rule 2).
//! - Floods: the RFC sets no bound; OpenSSL ends a run of 5 warnings
//!   (MAX_WARN_ALERT_COUNT) and BoringSSL one of 5 (kMaxWarningAlerts 4),
//!   both with unexpected_message (CVE-2016-8610); OpenSSL refuses the 33rd
//!   empty record in a row (MAX_EMPTY_RECORDS) with unexpected_message.
//!   Up to 4 warnings conform as one does; 5 and more must end the
//!   connection with unexpected_message (policy rule 2). Empty Handshake,
//!   Alert and ChangeCipherSpec records are forbidden (§6.2.1: "MUST NOT
//!   send zero-length fragments"); a server may refuse one at once with
//!   unexpected_message or decode_error (BoringSSL, OpenSSL for the alert),
//!   or skip it (OpenSSL for the handshake and ChangeCipherSpec ones), so a
//!   single one accepts either and a flood only the alert. A server that
//!   refuses the first warning of a flood with a fatal alert (as one warning
//!   allows: OpenSSL for no_renegotiation) conforms as well; completing the
//!   handshake or waiting does not.

use super::alert;
use crate::case::{Expect, TestCase};
use crate::peer::client::{ClientBugs, ClientScript};
use gauntlet_engine::enums::{AlertDescription as A, CipherSuite};

const ONE: CipherSuite = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;

fn script(bugs: ClientBugs) -> ClientScript {
    ClientScript {
        suite: ONE,
        bugs,
        ..ClientScript::default()
    }
}

/// What a warning the server will not take may draw (policy rule 2).
fn warning_tolerated() -> Expect {
    Expect::AnyOf(vec![
        Expect::Success,
        alert(&[
            A::HandshakeFailure,
            A::UnexpectedMessage,
            A::IllegalParameter,
            A::DecodeError,
        ]),
    ])
}

/// The alert descriptions assigned (RFC 5246 §7.2, RFC 6066, RFC 7301,
/// RFC 7507, RFC 8446 §6): an unassigned one is named so in the case, as
/// stacks treat the two kinds apart.
const ASSIGNED: [u8; 34] = [
    0, 10, 20, 21, 22, 30, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 60, 70, 71, 80, 86, 90,
    100, 109, 110, 111, 112, 113, 114, 115, 116, 120,
];

pub(super) fn cases(out: &mut Vec<TestCase>) {
    for d in 0..=255u8 {
        let kind = if ASSIGNED.contains(&d) {
            ""
        } else {
            "Unassigned"
        };
        out.push(TestCase::server(
            format!("AlertMatrix-Server-Fatal{kind}{d}-BeforeClientKeyExchange"),
            "RFC 5246 §7.2 (close on a fatal alert, without one of ours)",
            script(ClientBugs {
                fatal_alert_in_handshake: Some(d),
                ..ClientBugs::default()
            }),
            Expect::Closed,
        ));
        let (rfc, expect) = if d == A::CloseNotify.0 {
            (
                "RFC 5246 §7.2.1 (close_notify: close)",
                Expect::AnyOf(vec![
                    Expect::Closed,
                    alert(&[A::UnexpectedMessage, A::HandshakeFailure]),
                ]),
            )
        } else {
            (
                "RFC 5246 §7.2.2 (a warning: go on, or a fatal alert)",
                warning_tolerated(),
            )
        };
        out.push(TestCase::server(
            format!("AlertMatrix-Server-Warning{kind}{d}-BeforeClientKeyExchange"),
            rfc,
            script(ClientBugs {
                warning_alert_in_handshake: Some(d),
                ..ClientBugs::default()
            }),
            expect,
        ));
    }
    floods(out);
}

fn floods(out: &mut Vec<TestCase>) {
    let warning = |d: A| vec![1u8, d.0];
    // A server that refuses the first warning with a fatal alert (as
    // `warning_tolerated` allows) ends the flood there and conforms too.
    let stop = || {
        alert(&[
            A::UnexpectedMessage,
            A::HandshakeFailure,
            A::IllegalParameter,
            A::DecodeError,
        ])
    };
    let mut rows: Vec<(String, u8, Vec<u8>, usize, Expect)> = Vec::new();
    for (dname, d) in [
        ("UserCanceled", A::UserCanceled),
        ("UnrecognizedName", A::UnrecognizedName),
        ("NoRenegotiation", A::NoRenegotiation),
        ("Unassigned", A(0xfe)),
    ] {
        for n in [2usize, 4] {
            rows.push((
                format!("Warnings{dname}x{n}"),
                21,
                warning(d),
                n,
                warning_tolerated(),
            ));
        }
        for n in [5usize, 6, 100] {
            rows.push((format!("Warnings{dname}x{n}"), 21, warning(d), n, stop()));
        }
    }
    let refused = || alert(&[A::UnexpectedMessage, A::DecodeError]);
    for (tname, typ) in [("Handshake", 22u8), ("Alert", 21), ("ChangeCipherSpec", 20)] {
        let one = if typ != 21 {
            Expect::AnyOf(vec![Expect::Success, refused()])
        } else {
            refused()
        };
        rows.push((format!("Empty{tname}x1"), typ, vec![], 1, one));
        for n in [33usize, 1000] {
            rows.push((format!("Empty{tname}x{n}"), typ, vec![], n, refused()));
        }
    }
    // Application data before the handshake ends is unexpected whatever its
    // length (RFC 5246 §7.3, §6).
    for n in [1usize, 33, 1000] {
        rows.push((
            format!("EmptyApplicationDatax{n}"),
            23,
            vec![],
            n,
            alert(&[A::UnexpectedMessage]),
        ));
    }
    for (label, typ, payload, count, expect) in rows {
        out.push(TestCase::server(
            format!("Flood-Server-{label}-BeforeClientKeyExchange"),
            "RFC 5246 §7.2.2, §6.2.1 (the RFC sets no bound: OpenSSL's and BoringSSL's, CVE-2016-8610)",
            script(ClientBugs {
                flood_in_handshake: Some((typ, payload, count)),
                ..ClientBugs::default()
            }),
            expect,
        ));
    }
}
