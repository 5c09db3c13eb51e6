//! Happy paths: both suites, EMS on and off, resumption, fragmented and
//! coalesced flights, zero-length and large application data.

use super::SUITES;
use crate::case::{Expect, TestCase};
use crate::peer::client::{ClientBugs, ClientScript};
use gauntlet_engine::enums::AlertDescription;

pub(super) fn cases(out: &mut Vec<TestCase>) {
    for (suite, sname) in SUITES {
        for ems in [true, false] {
            let e = if ems { "EMS" } else { "NoEMS" };
            let script = |bugs: ClientBugs| ClientScript {
                suite,
                ems,
                bugs,
                ..ClientScript::default()
            };
            out.push(TestCase::server(
                format!("Basic-Server-{sname}-{e}"),
                "RFC 5246 §7.3",
                script(ClientBugs::default()),
                Expect::Success,
            ));
            // A session made without EMS: RFC 7627 §5.3, "If neither the
            // original session nor the new ClientHello uses the extension,
            // the server SHOULD abort the handshake"; it may resume for
            // legacy clients, and (RFC 5246 §7.4.1.3) it may always decline
            // and run a full handshake instead.
            let (rfc, expect) = if ems {
                ("RFC 5246 §7.3 (abbreviated handshake)", Expect::Resumed)
            } else {
                (
                    "RFC 5246 §7.3, §7.4.1.3; RFC 7627 §5.3",
                    Expect::AnyOf(vec![
                        Expect::Resumed,
                        Expect::Success,
                        Expect::Alert(vec![AlertDescription::HandshakeFailure]),
                    ]),
                )
            };
            out.push(TestCase::server(
                format!("Resume-Server-{sname}-{e}"),
                rfc,
                script(ClientBugs {
                    resume: true,
                    ..ClientBugs::default()
                }),
                expect,
            ));
            for (max, what) in [(1, "EveryByte"), (7, "Small"), (100, "Medium")] {
                out.push(TestCase::server(
                    format!("Fragment{what}-Server-{sname}-{e}"),
                    "RFC 5246 §6.2.1 (handshake messages may span records)",
                    script(ClientBugs {
                        max_fragment: Some(max),
                        ..ClientBugs::default()
                    }),
                    Expect::Success,
                ));
            }
            out.push(TestCase::server(
                format!("SeparateWrites-Server-{sname}-{e}"),
                "RFC 5246 §6.2.1",
                script(ClientBugs {
                    separate_writes: true,
                    ..ClientBugs::default()
                }),
                Expect::Success,
            ));
            out.push(TestCase::server(
                format!("RandomExplicitNonce-Server-{sname}-{e}"),
                "RFC 5288 §3 (the explicit nonce is the sender's choice)",
                script(ClientBugs {
                    random_explicit_nonce: true,
                    ..ClientBugs::default()
                }),
                Expect::Success,
            ));
        }
        out.push(TestCase::server(
            format!("ZeroLengthAppData-Server-{sname}"),
            "RFC 5246 §6.2.1 (zero-length application data MAY be sent)",
            ClientScript {
                suite,
                bugs: ClientBugs {
                    empty_app_data_first: true,
                    ..ClientBugs::default()
                },
                ..ClientScript::default()
            },
            Expect::Success,
        ));
    }
}
