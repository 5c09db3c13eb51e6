//! Generated: versions and offers in both roles.
//!
//! Server role: record-layer version of the ClientHello × client_version ×
//! the suites offered (each suite alone, both, and each with
//! TLS_FALLBACK_SCSV first or last). RFC 5246 Appendix E.1: the server MUST
//! accept any {03,XX} record version on the ClientHello; a client_version
//! of TLS 1.2 or above is answered with TLS 1.2; one below it, from a
//! server that supports only TLS 1.2, MUST get protocol_version. RFC 7507
//! §3: TLS_FALLBACK_SCSV with a client_version below the server's highest
//! MUST get inappropriate_fallback (a server that refuses the version first
//! sends protocol_version, which blocks the downgrade as well:
//! ClientHello-Server-FallbackScsv* accept both); with client_version at
//! the server's highest it changes nothing.
//!
//! Client role: ServerHello.server_version × the version on its record
//! (RFC 5246 §7.4.1.3 and Appendix E.1: a version the client does not
//! support MUST get protocol_version), and a suite or compression method
//! the client did not offer (§7.4.1.3: the server selects "from the list in
//! ClientHello"; no alert is named, and OpenSSL, BoringSSL and NSS send
//! illegal_parameter, some stacks handshake_failure: policy rule 2).

use super::alert;
use crate::case::{Expect, TestCase};
use crate::peer::client::{ClientBugs, ClientScript};
use crate::peer::server::{ServerBugs, ServerScript};
use gauntlet_engine::enums::{AlertDescription as A, CipherSuite};

const FALLBACK_SCSV: u16 = 0x5600;

pub(super) fn cases(out: &mut Vec<TestCase>) {
    server_matrix(out);
    client_versions(out);
}

fn server_matrix(out: &mut Vec<TestCase>) {
    let a128 = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;
    let a256 = CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384;
    let offers: [(&str, CipherSuite, Vec<u16>); 6] = [
        ("AES128", a128, vec![a128.0]),
        ("AES256", a256, vec![a256.0]),
        ("Both", a128, vec![a128.0, a256.0]),
        ("AES128FallbackLast", a128, vec![a128.0, FALLBACK_SCSV]),
        ("FallbackFirstAES256", a256, vec![FALLBACK_SCSV, a256.0]),
        (
            "BothFallbackMiddle",
            a128,
            vec![a128.0, FALLBACK_SCSV, a256.0],
        ),
    ];
    for record in [0x0300u16, 0x0301, 0x0302, 0x0303] {
        for client in [0x0300u16, 0x0301, 0x0302, 0x0303, 0x0304, 0x03ff] {
            for (oname, suite, list) in &offers {
                let fallback = list.contains(&FALLBACK_SCSV);
                let (rfc, expect) = match (client >= 0x0303, fallback) {
                    (true, _) => ("RFC 5246 Appendix E.1; RFC 7507 §3", Expect::Success),
                    (false, false) => (
                        "RFC 5246 Appendix E.1 (MUST protocol_version)",
                        alert(&[A::ProtocolVersion]),
                    ),
                    (false, true) => (
                        "RFC 7507 §3 (MUST inappropriate_fallback); RFC 5246 Appendix E.1",
                        alert(&[A::InappropriateFallback, A::ProtocolVersion]),
                    ),
                };
                out.push(TestCase::server(
                    format!("Versions-Server-Record{record:04x}-Hello{client:04x}-{oname}"),
                    rfc,
                    ClientScript {
                        suite: *suite,
                        bugs: ClientBugs {
                            hello_record_version: Some(record),
                            client_version: Some(client),
                            cipher_suites: Some(list.clone()),
                            ..ClientBugs::default()
                        },
                        ..ClientScript::default()
                    },
                    expect,
                ));
            }
        }
    }
}

fn client_versions(out: &mut Vec<TestCase>) {
    let Ok(base) = ServerScript::builtin() else {
        return;
    };
    for server_version in [
        0x0002u16, 0x0200, 0x0300, 0x0301, 0x0302, 0x0304, 0x0305, 0x03ff, 0x0400, 0xfefd,
    ] {
        for record in [0x0301u16, 0x0303] {
            out.push(TestCase::client(
                format!("Versions-Client-ServerHello{server_version:04x}-Record{record:04x}"),
                "RFC 5246 §7.4.1.3, Appendix E.1 (MUST protocol_version)",
                base.clone().with_bugs(ServerBugs {
                    server_version: Some(server_version),
                    record_version: Some(record),
                    ..ServerBugs::default()
                }),
                alert(&[A::ProtocolVersion]),
            ));
        }
    }
    // Suites the engine's client does not offer: NULL, RC4, 3DES, CBC,
    // the signalling values, TLS 1.3's, unassigned.
    for suite in [
        0x0000u16, 0x0001, 0x0004, 0x000a, 0x002f, 0x0035, 0x003c, 0x003d, 0x00ff, 0x5600, 0x1301,
        0x1302, 0x0a0a, 0xfefe, 0xffff,
    ] {
        out.push(TestCase::client(
            format!("Versions-Client-UnofferedSuite{suite:04x}"),
            "RFC 5246 §7.4.1.3 (a suite from the client's list; no alert named)",
            base.clone().with_bugs(ServerBugs {
                cipher_suite: Some(suite),
                ..ServerBugs::default()
            }),
            alert(&[A::IllegalParameter, A::HandshakeFailure]),
        ));
    }
    for method in [1u8, 0x40, 0xff] {
        out.push(TestCase::client(
            format!("Versions-Client-UnofferedCompression{method:02x}"),
            "RFC 5246 §7.4.1.3 (a method from the client's list; no alert named)",
            base.clone().with_bugs(ServerBugs {
                compression: Some(method),
                ..ServerBugs::default()
            }),
            alert(&[A::IllegalParameter, A::HandshakeFailure, A::DecodeError]),
        ));
    }
}
