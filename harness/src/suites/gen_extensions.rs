//! Generated: each in-scope extension empty, truncated, extended and
//! duplicated, in both roles; unknown extensions in every position of the
//! ClientHello; unsolicited extensions in the ServerHello (client role).
//!
//! - A body that does not decode as its extension's structure (empty where
//!   a vector has a non-zero floor, cut inside a field, a byte past the
//!   end) is decode_error (RFC 5246 §7.2.2, §4.3; the policy, rule 1).
//!   extended_master_secret's extension_data "is empty" (RFC 7627 §5.1),
//!   server_name's in a ServerHello "SHALL be empty" (RFC 6066 §3).
//! - A second extension of one type: RFC 5246 §7.4.1.4 "MUST NOT"; no
//!   alert is named: NSS and OpenSSL send illegal_parameter, BoringSSL
//!   decode_error (policy rule 2), and a client may call the repeat
//!   unsolicited (unsupported_extension).
//! - Unknown extensions in a ClientHello are ignored, wherever they are
//!   (RFC 5246 §7.4.1.4; RFC 5746 §3.6 restates it).
//! - An extension in the ServerHello the client did not offer: RFC 5246
//!   §7.4.1.4, the client "MUST abort the handshake with an
//!   unsupported_extension fatal alert".

use super::alert;
use crate::case::{Expect, TestCase};
use crate::peer::client::{ClientBugs, ClientScript};
use crate::peer::server::{ServerBugs, ServerScript};
use gauntlet_engine::enums::{AlertDescription as A, CipherSuite};

const ONE: CipherSuite = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;

/// (name, type) of the ClientHello extensions the scripted client sends.
const CLIENT_EXTS: [(&str, u16); 4] = [
    ("ServerName", 0x0000),
    ("ExtendedMasterSecret", 0x0017),
    ("RenegotiationInfo", 0xff01),
    ("SignatureAlgorithms", 0x000d),
];

/// The body variants of one extension: (label, body, expected), from its
/// correct body.
fn variants(typ: u16, body: &[u8]) -> Vec<(&'static str, Vec<u8>, Expect)> {
    let malformed = || alert(&[A::DecodeError]);
    let mut v = Vec::new();
    if !body.is_empty() {
        v.push(("Empty", vec![], malformed()));
        if body.len() > 1 {
            v.push((
                "TruncatedByOne",
                body[..body.len() - 1].to_vec(),
                malformed(),
            ));
        }
        // Only the outer length: the inner lengths still say one less.
        let mut long = body.to_vec();
        long.push(0);
        v.push(("TrailingByte", long, malformed()));
        // The inner (first) length prefix one too long, the body as is.
        if typ != 0xff01 && body.len() >= 2 {
            let mut lie = body.to_vec();
            let n = u16::from_be_bytes([lie[0], lie[1]]).wrapping_add(1);
            lie[..2].copy_from_slice(&n.to_be_bytes());
            v.push(("InnerLengthPlusOne", lie, malformed()));
        }
    } else {
        v.push(("OneByte", vec![0], malformed()));
        v.push(("TwoBytes", vec![0, 0], malformed()));
    }
    v
}

pub(super) fn cases(out: &mut Vec<TestCase>) {
    server_role(out);
    client_role(out);
}

fn server_case(
    out: &mut Vec<TestCase>,
    name: String,
    rfc: &'static str,
    bugs: ClientBugs,
    e: Expect,
) {
    out.push(TestCase::server(
        name,
        rfc,
        ClientScript {
            suite: ONE,
            bugs,
            ..ClientScript::default()
        },
        e,
    ));
}

fn server_role(out: &mut Vec<TestCase>) {
    let defaults = ClientScript::default().default_extensions();
    for (name, typ) in CLIENT_EXTS {
        let Some((_, body)) = defaults.iter().find(|(t, _)| *t == typ) else {
            continue;
        };
        for (label, new_body, expect) in variants(typ, body) {
            let exts = defaults
                .iter()
                .map(|(t, b)| {
                    (
                        *t,
                        if *t == typ {
                            new_body.clone()
                        } else {
                            b.clone()
                        },
                    )
                })
                .collect();
            server_case(
                out,
                format!("Extension-Server-{name}-{label}"),
                "RFC 5246 §7.4.1.4, §7.2.2 decode_error; RFC 6066 §3; RFC 7627 §5.1; RFC 5746 §3.2",
                ClientBugs {
                    extensions: Some(exts),
                    ..ClientBugs::default()
                },
                expect,
            );
        }
        // The same extension again, first right after the original and
        // then at the end of the list.
        for (where_, adjacent) in [("Adjacent", true), ("AtEnd", false)] {
            let mut exts = defaults.clone();
            let at = exts.iter().position(|(t, _)| *t == typ).unwrap_or(0);
            let dup = (typ, body.clone());
            if adjacent {
                exts.insert(at + 1, dup);
            } else {
                exts.push(dup);
            }
            server_case(
                out,
                format!("Extension-Server-{name}-Duplicated{where_}"),
                "RFC 5246 §7.4.1.4 (MUST NOT repeat a type; no alert named)",
                ClientBugs {
                    extensions: Some(exts),
                    ..ClientBugs::default()
                },
                alert(&[A::IllegalParameter, A::DecodeError]),
            );
        }
    }
    // Unknown extensions at every position of the list, empty and not.
    for (uname, typ, body) in [
        ("Unassigned1234Empty", 0x1234u16, vec![]),
        ("Unassigned1234Body", 0x1234, vec![1, 2, 3]),
        ("GreaseEmpty", 0x3a3a, vec![]),
        ("PrivateFf00Body", 0xff00, vec![0; 32]),
    ] {
        for pos in 0..=defaults.len() {
            let mut exts = defaults.clone();
            exts.insert(pos, (typ, body.clone()));
            server_case(
                out,
                format!("Extension-Server-Unknown{uname}-Position{pos}"),
                "RFC 5246 §7.4.1.4 (unknown extensions are ignored); RFC 8701",
                ClientBugs {
                    extensions: Some(exts),
                    ..ClientBugs::default()
                },
                Expect::Success,
            );
        }
    }
}

fn client_role(out: &mut Vec<TestCase>) {
    let Ok(base) = ServerScript::builtin() else {
        return;
    };
    let case = |out: &mut Vec<TestCase>, name: String, rfc, exts: Vec<(u16, Vec<u8>)>, e| {
        out.push(TestCase::client(
            name,
            rfc,
            base.clone().with_bugs(ServerBugs {
                extensions: Some(exts),
                ..ServerBugs::default()
            }),
            e,
        ));
    };
    let ri = (0xff01u16, vec![0u8]);
    let ems = (0x0017u16, vec![]);
    let defaults = vec![ri.clone(), ems.clone()];
    // The ServerHello's own extensions: renegotiation_info (RFC 5746
    // §3.4/§3.6: an empty renegotiated_connection), extended_master_secret.
    for (name, typ, body) in [
        ("RenegotiationInfo", ri.0, ri.1.clone()),
        ("ExtendedMasterSecret", ems.0, ems.1.clone()),
    ] {
        for (label, new_body, expect) in variants(typ, &body) {
            let exts = defaults
                .iter()
                .map(|(t, b)| {
                    (
                        *t,
                        if *t == typ {
                            new_body.clone()
                        } else {
                            b.clone()
                        },
                    )
                })
                .collect();
            case(
                out,
                format!("Extension-Client-{name}-{label}"),
                "RFC 5246 §7.4.1.4, §7.2.2 decode_error; RFC 5746 §3.4; RFC 7627 §5.1",
                exts,
                expect,
            );
        }
        let mut exts = defaults.clone();
        exts.push((typ, body));
        case(
            out,
            format!("Extension-Client-{name}-Duplicated"),
            "RFC 5246 §7.4.1.4 (MUST NOT repeat a type; no alert named)",
            exts,
            alert(&[A::IllegalParameter, A::DecodeError, A::UnsupportedExtension]),
        );
    }
    // A non-empty renegotiated_connection in an initial handshake: RFC 5746
    // §3.4, the client "MUST abort the handshake (by sending a fatal
    // handshake_failure alert)".
    for n in [1usize, 12, 24, 255] {
        let mut body = vec![n as u8];
        body.extend(std::iter::repeat_n(0x5a, n));
        case(
            out,
            format!("Extension-Client-RenegotiationInfo-Length{n}"),
            "RFC 5746 §3.4 (MUST handshake_failure)",
            vec![(0xff01, body), ems.clone()],
            alert(&[A::HandshakeFailure]),
        );
    }
    // server_name echoed: the client offered it (localhost), and the
    // server's extension "SHALL be empty" (RFC 6066 §3).
    case(
        out,
        "Extension-Client-ServerName-EmptyEcho".into(),
        "RFC 6066 §3 (an empty server_name acknowledges the name)",
        vec![ri.clone(), ems.clone(), (0, vec![])],
        Expect::Success,
    );
    for (label, body) in [("OneByte", vec![0u8]), ("EchoedName", vec![0, 12, 0, 0, 9])] {
        case(
            out,
            format!("Extension-Client-ServerName-{label}"),
            "RFC 6066 §3 (extension_data SHALL be empty), RFC 5246 §7.2.2 decode_error",
            vec![ri.clone(), ems.clone(), (0, body)],
            alert(&[A::DecodeError]),
        );
    }
    // Extensions no TLS 1.2 client can have asked for in this ServerHello,
    // whatever it offered: ones the server MUST NOT send (signature_algorithms,
    // RFC 5246 §7.4.1.4.1; padding, RFC 7685 §3), TLS 1.3's (a TLS 1.2-only
    // client offers neither), GREASE (RFC 8701 §3: clients MUST reject it),
    // an unassigned type; and ones the test clients do not offer by default
    // (max_fragment_length, use_srtp, heartbeat, ALPN). Left out: what
    // stacks offer by default and a server may echo (status_request,
    // signed_certificate_timestamp, encrypt_then_mac, session_ticket —
    // ServerHello-Client-UnsolicitedUnrequestedSessionTicket —, the ECC
    // extensions): there the case could not know whether it was asked.
    for (name, typ, body) in [
        ("MaxFragmentLength", 1u16, vec![1u8]),
        ("SignatureAlgorithms", 13, vec![0, 2, 4, 1]),
        ("UseSrtp", 14, vec![0, 2, 0, 1, 0]),
        ("Heartbeat", 15, vec![1]),
        ("Alpn", 16, vec![0, 3, 2, b'h', b'2']),
        ("Padding", 21, vec![0; 4]),
        ("SupportedVersions", 43, vec![3, 4]),
        ("KeyShare", 51, vec![0, 23, 0, 0]),
        ("Grease", 0x2a2a, vec![]),
        ("Unassigned", 0x1234, vec![1, 2, 3]),
    ] {
        for (pos, exts) in [
            ("First", vec![(typ, body.clone()), ri.clone(), ems.clone()]),
            ("Last", vec![ri.clone(), ems.clone(), (typ, body.clone())]),
        ] {
            case(
                out,
                format!("Extension-Client-Unsolicited{name}-{pos}"),
                "RFC 5246 §7.4.1.4 (MUST unsupported_extension)",
                exts,
                alert(&[A::UnsupportedExtension]),
            );
        }
    }
}
