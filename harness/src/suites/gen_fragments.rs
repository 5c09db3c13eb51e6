//! Generated: handshake flights fragmented and coalesced, in both roles.
//! RFC 5246 §6.2.1: "Client message boundaries are not preserved in the
//! record layer (i.e., multiple client messages of the same ContentType
//! MAY be coalesced into a single TLSPlaintext record, or a single message
//! MAY be fragmented across several records)". Every split, from one byte
//! a record up, must complete, with both suites (the Finished record is
//! sealed, so its fragments are too); so must every message in a record of
//! its own, sent in separate writes. Interleaving a CCS inside a
//! fragmented message is ChangeCipherSpec-Server-InsideFragmentedMessage;
//! alerts and empty records between messages are gen_alerts.rs's floods.

use super::SUITES;
use crate::case::{Expect, TestCase};
use crate::peer::client::{ClientBugs, ClientScript};
use crate::peer::server::{ServerBugs, ServerScript};

/// Record payload sizes: every size up to 16, then sizes that split the
/// messages at other points, then one below and at the 2^14 maximum.
fn sizes() -> Vec<usize> {
    (1..=16)
        .chain([
            17, 31, 32, 33, 63, 64, 100, 127, 128, 255, 256, 257, 1000, 4096,
        ])
        .chain([(1 << 14) - 1, 1 << 14])
        .collect()
}

pub(super) fn cases(out: &mut Vec<TestCase>) {
    for n in sizes() {
        for (suite, sname) in SUITES {
            out.push(TestCase::server(
                format!("Fragment-Server-Records{n}-{sname}"),
                "RFC 5246 §6.2.1 (messages MAY be fragmented across records)",
                ClientScript {
                    suite,
                    bugs: ClientBugs {
                        max_fragment: Some(n),
                        ..ClientBugs::default()
                    },
                    ..ClientScript::default()
                },
                Expect::Success,
            ));
        }
    }
    for (suite, sname) in SUITES {
        for n in [1usize, 7] {
            out.push(TestCase::server(
                format!("Fragment-Server-Records{n}SeparateWrites-{sname}"),
                "RFC 5246 §6.2.1",
                ClientScript {
                    suite,
                    bugs: ClientBugs {
                        max_fragment: Some(n),
                        separate_writes: true,
                        ..ClientBugs::default()
                    },
                    ..ClientScript::default()
                },
                Expect::Success,
            ));
        }
    }
    let Ok(base) = ServerScript::builtin() else {
        return;
    };
    for n in sizes() {
        for (suite, sname) in SUITES {
            let mut s = base.clone().with_bugs(ServerBugs {
                max_fragment: Some(n),
                ..ServerBugs::default()
            });
            s.suite = suite;
            out.push(TestCase::client(
                format!("Fragment-Client-Records{n}-{sname}"),
                "RFC 5246 §6.2.1 (messages MAY be fragmented across records)",
                s,
                Expect::Success,
            ));
        }
    }
}
