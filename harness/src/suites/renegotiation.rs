//! Client-initiated renegotiation after the handshake.
//!
//! RFC 5246 §7.2.2: a server that does not renegotiate answers a
//! ClientHello after the handshake with no_renegotiation, "always a
//! warning", and the client may go on; the connection stays usable. RFC
//! 5746 §3.7 adds that a server which does renegotiate MUST abort a
//! renegotiation with the SCSV, without renegotiation_info or with the
//! wrong verify_data, and §4.4 RECOMMENDS refusing legacy renegotiation.
//! So a fatal handshake_failure is also conforming for the malformed kinds
//! (and for any kind from a server that chooses to end the connection
//! rather than go on: §7.2.2 leaves the reaction to the receiver): each
//! case accepts warning-and-continue or a fatal handshake_failure. A close
//! without either tells the client nothing of the refusal the RFC asks to
//! be signalled, so it fails (policy rule 3).

use crate::case::{Expect, TestCase};
use gauntlet_engine::enums::AlertDescription as A;

/// Refused and kept, refused and ended, or (secure kinds) renegotiated.
fn refused_or_ended() -> Expect {
    Expect::AnyOf(vec![
        Expect::Success,
        Expect::Alert(vec![A::HandshakeFailure]),
    ])
}
use crate::peer::client::{ClientBugs, ClientScript, Renegotiation};
use gauntlet_engine::enums::ExtensionType;

pub(super) fn cases(out: &mut Vec<TestCase>) {
    for (label, kind) in [
        ("Secure", Renegotiation::Secure),
        ("Legacy", Renegotiation::Legacy),
        ("Scsv", Renegotiation::Scsv),
        (
            "EmptyRenegotiationInfo",
            Renegotiation::EmptyRenegotiationInfo,
        ),
        ("WrongVerifyData", Renegotiation::WrongVerifyData),
    ] {
        out.push(TestCase::server(
            format!("Renegotiation-Server-{label}"),
            "RFC 5246 §7.2.2 no_renegotiation; RFC 5746 §3.7",
            ClientScript {
                bugs: ClientBugs {
                    renegotiate: Some(kind),
                    ..ClientBugs::default()
                },
                ..ClientScript::default()
            },
            refused_or_ended(),
        ));
    }
    // A legacy client all along (RFC 5746 §4.4: servers SHOULD NOT allow it).
    let mut exts = ClientScript::default().default_extensions();
    exts.retain(|(t, _)| *t != ExtensionType::RenegotiationInfo.0);
    out.push(TestCase::server(
        "Renegotiation-Server-LegacyInitialAndLegacy",
        "RFC 5746 §4.4; RFC 5246 §7.2.2",
        ClientScript {
            bugs: ClientBugs {
                extensions: Some(exts),
                renegotiate: Some(Renegotiation::Legacy),
                ..ClientBugs::default()
            },
            ..ClientScript::default()
        },
        refused_or_ended(),
    ));
    // After a resumed handshake as well.
    out.push(TestCase::server(
        "Renegotiation-Server-SecureAfterResumption",
        "RFC 5246 §7.2.2; RFC 5746 §3.7",
        ClientScript {
            bugs: ClientBugs {
                resume: true,
                renegotiate: Some(Renegotiation::Secure),
                ..ClientBugs::default()
            },
            ..ClientScript::default()
        },
        Expect::Resumed,
    ));
}
