//! The ClientHello a server receives: versions, the SSLv2-compatible form,
//! cipher suite and compression lists, signalling suites (RFC 5746, RFC
//! 7507), extensions (duplicates, unknown ones, malformed bodies), session
//! IDs and size.
//!
//! Where the RFC names no alert for a malformed field, decode_error comes
//! first (RFC 5246 §7.2.2: "some field was out of the specified range or
//! the length of the message was incorrect"), then what widespread stacks
//! send instead when they treat the field as a semantic error.

use super::alert;
use crate::case::{Expect, TestCase};
use crate::peer::client::{ClientBugs, ClientScript};
use gauntlet_engine::enums::{AlertDescription as A, CipherSuite, ExtensionType};

/// Suite-independent cases run with one suite.
const SUITE: CipherSuite = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;
const SCSV_RENEGOTIATION: u16 = 0x00ff;
const SCSV_FALLBACK: u16 = 0x5600;

fn case(out: &mut Vec<TestCase>, label: &str, rfc: &'static str, bugs: ClientBugs, e: Expect) {
    out.push(TestCase::server(
        format!("ClientHello-Server-{label}"),
        rfc,
        ClientScript {
            suite: SUITE,
            bugs,
            ..ClientScript::default()
        },
        e,
    ));
}

/// The default extension list with `f` applied.
fn exts(f: impl FnOnce(&mut Vec<(u16, Vec<u8>)>)) -> Option<Vec<(u16, Vec<u8>)>> {
    let mut e = ClientScript::default().default_extensions();
    f(&mut e);
    Some(e)
}

/// The default extensions without the one of type `t`.
fn without(t: ExtensionType) -> Option<Vec<(u16, Vec<u8>)>> {
    exts(|e| e.retain(|(x, _)| *x != t.0))
}

/// A server_name body: list length (as given), then the entries.
fn sni(list_len: usize, entries: &[(u8, &[u8])]) -> Vec<u8> {
    let mut out = (list_len as u16).to_be_bytes().to_vec();
    for (typ, name) in entries {
        out.push(*typ);
        out.extend_from_slice(&(name.len() as u16).to_be_bytes());
        out.extend_from_slice(name);
    }
    out
}

pub(super) fn cases(out: &mut Vec<TestCase>) {
    versions(out);
    suites(out);
    renegotiation_info(out);
    compression(out);
    extensions(out);
    server_name(out);
    session_id(out);
}

/// RFC 5246 Appendix E.1: a server answers a higher client_version with
/// its highest (TLS 1.2 here; RFC 5746 §3.6 restates it as a MUST), and
/// one that supports only higher versions "MUST send a protocol_version
/// alert" (policy rule 1): nothing else conforms, though OpenSSL 3 answers
/// SSL 3.0 with handshake_failure (its expectations file lists it).
/// RFC 6176 §3: a hello offering nothing above {0x02,0x00} MUST be refused.
fn versions(out: &mut Vec<TestCase>) {
    for v in [0x0302u16, 0x0301, 0x0300, 0x0200] {
        case(
            out,
            &format!("Version{v:04x}"),
            "RFC 5246 Appendix E.1, §7.2.2; RFC 6176 §3",
            ClientBugs {
                client_version: Some(v),
                ..ClientBugs::default()
            },
            alert(&[A::ProtocolVersion]),
        );
    }
    for v in [0x0304u16, 0x0305, 0x03ff, 0x0400] {
        case(
            out,
            &format!("Version{v:04x}"),
            "RFC 5246 Appendix E.1; RFC 5746 §3.6",
            ClientBugs {
                client_version: Some(v),
                ..ClientBugs::default()
            },
            Expect::Success,
        );
    }
    // RFC 5246 Appendix E.2 and RFC 6176 §3: a TLS server MAY accept the
    // SSLv2-compatible hello (OpenSSL does) or refuse it: with an
    // unexpected record type (RFC 5246 §6), a version or handshake alert,
    // or by closing.
    let refused = [
        A::UnexpectedMessage,
        A::ProtocolVersion,
        A::HandshakeFailure,
        A::DecodeError,
    ];
    case(
        out,
        "SSLv2Compatible",
        "RFC 5246 Appendix E.2; RFC 6176 §3",
        ClientBugs {
            sslv2_hello: true,
            ..ClientBugs::default()
        },
        Expect::AnyOf(vec![Expect::Success, alert(&refused), Expect::Closed]),
    );
    // Offering SSL 2.0 only: this one MUST be refused (RFC 6176 §3).
    case(
        out,
        "SSLv2CompatibleVersion0002",
        "RFC 6176 §3",
        ClientBugs {
            sslv2_hello: true,
            client_version: Some(0x0002),
            ..ClientBugs::default()
        },
        alert(&refused),
    );
}

/// RFC 5246 §7.4.1.2: `CipherSuite cipher_suites<2..2^16-2>`; unknown
/// suites MUST be ignored; with no acceptable suite the server fails with
/// handshake_failure (§7.4.1.3, §7.2.2). OpenSSL answers an empty list
/// with illegal_parameter, and a server may also see "no common suite".
/// RFC 7507 §3: TLS_FALLBACK_SCSV with a client_version below the
/// server's highest MUST get inappropriate_fallback; a server that checks
/// the version first refuses with protocol_version (OpenSSL with
/// `-tls1_2`), which blocks the downgrade as well, so it is accepted.
fn suites(out: &mut Vec<TestCase>) {
    let s = SUITE.0;
    case(
        out,
        "CipherSuitesEmpty",
        // cipher_suites<2..2^16-2>: an empty list is below the floor (policy
        // rule 1).
        "RFC 5246 §7.4.1.2, §4.3",
        ClientBugs {
            cipher_suites: Some(vec![]),
            ..ClientBugs::default()
        },
        alert(&[A::DecodeError]),
    );
    for (label, raw) in [
        ("CipherSuitesOddLength", vec![0x00, 0x9c, 0x00]),
        ("CipherSuitesOneByte", vec![0x9c]),
    ] {
        case(
            out,
            label,
            "RFC 5246 §7.4.1.2",
            ClientBugs {
                cipher_suites_raw: Some(raw),
                ..ClientBugs::default()
            },
            alert(&[A::DecodeError]),
        );
    }
    for (label, list) in [
        ("OnlyGrease", vec![0x0a0a]),
        // ECDHE_RSA with AES-CBC (RFC 4492): ECDHE, but a cipher the
        // reference does not implement (its ECDHE suites are AEAD only).
        ("OnlyEcdheCbc", vec![0xc013, 0xc014]),
        ("OnlyNullSuite", vec![0x0000]),
        ("OnlyRenegotiationScsv", vec![SCSV_RENEGOTIATION]),
        ("OnlyFallbackScsv", vec![SCSV_FALLBACK]),
    ] {
        case(
            out,
            &format!("CipherSuites{label}"),
            "RFC 5246 §7.4.1.2, §7.4.1.3",
            ClientBugs {
                cipher_suites: Some(list),
                ..ClientBugs::default()
            },
            alert(&[A::HandshakeFailure]),
        );
    }
    case(
        out,
        "CipherSuitesUnknownFirst",
        "RFC 5246 §7.4.1.2 (unknown suites are ignored)",
        ClientBugs {
            cipher_suites: Some(vec![0x0a0a, 0xc013, 0x1301, 0x0000, s]),
            ..ClientBugs::default()
        },
        Expect::Success,
    );
    case(
        out,
        "CipherSuites8192",
        "RFC 5246 §7.4.1.2 (cipher_suites<2..2^16-2>)",
        ClientBugs {
            cipher_suites: Some((0x0100..0x2100).chain([s]).collect()),
            ..ClientBugs::default()
        },
        Expect::Success,
    );
    for (v, e) in [
        (
            0x0302u16,
            alert(&[A::InappropriateFallback, A::ProtocolVersion]),
        ),
        (0x0303, Expect::Success),
        (0x0304, Expect::Success),
    ] {
        case(
            out,
            &format!("FallbackScsvVersion{v:04x}"),
            "RFC 7507 §3",
            ClientBugs {
                client_version: Some(v),
                cipher_suites: Some(vec![s, SCSV_FALLBACK]),
                ..ClientBugs::default()
            },
            e,
        );
    }
}

/// RFC 5746 §3.6: the server takes the SCSV or an empty renegotiation_info
/// as the secure-renegotiation signal (the scripted client then checks the
/// ServerHello's empty renegotiation_info), works with neither, and MUST
/// abort the handshake (handshake_failure) when an initial hello's
/// renegotiated_connection is not empty. A body that does not parse as
/// `opaque renegotiated_connection<0..255>` (§3.2) is a decode_error.
fn renegotiation_info(out: &mut Vec<TestCase>) {
    let s = SUITE.0;
    let ri = ExtensionType::RenegotiationInfo;
    case(
        out,
        "RenegotiationScsvOnly",
        "RFC 5746 §3.6",
        ClientBugs {
            cipher_suites: Some(vec![s, SCSV_RENEGOTIATION]),
            extensions: without(ri),
            ..ClientBugs::default()
        },
        Expect::Success,
    );
    case(
        out,
        "RenegotiationScsvAndExtension",
        "RFC 5746 §3.6",
        ClientBugs {
            cipher_suites: Some(vec![SCSV_RENEGOTIATION, s]),
            ..ClientBugs::default()
        },
        Expect::Success,
    );
    case(
        out,
        "RenegotiationNeitherSignal",
        "RFC 5746 §3.6 (secure_renegotiation FALSE)",
        ClientBugs {
            extensions: without(ri),
            ..ClientBugs::default()
        },
        Expect::Success,
    );
    for (label, body, set) in [
        (
            "RenegotiationInfoOneByte",
            vec![1, 0],
            vec![A::HandshakeFailure],
        ),
        (
            "RenegotiationInfoVerifyData",
            [12u8].into_iter().chain([0x55; 12]).collect(),
            vec![A::HandshakeFailure],
        ),
        ("RenegotiationInfoNoLength", vec![], vec![A::DecodeError]),
        (
            "RenegotiationInfoLengthPastEnd",
            vec![5, 0],
            vec![A::DecodeError],
        ),
    ] {
        case(
            out,
            label,
            "RFC 5746 §3.2, §3.6",
            ClientBugs {
                extensions: exts(|e| {
                    for (t, b) in e.iter_mut() {
                        if *t == ri.0 {
                            *b = body.clone();
                        }
                    }
                }),
                ..ClientBugs::default()
            },
            alert(&set),
        );
    }
}

/// RFC 5246 §7.4.1.2: `CompressionMethod compression_methods<1..2^8-1>`,
/// and "this vector MUST contain, and all implementations MUST support,
/// CompressionMethod.null". No alert is named for a list without null:
/// BoringSSL sends illegal_parameter, OpenSSL decode_error, and "no
/// acceptable parameters" is handshake_failure (§7.2.2).
fn compression(out: &mut Vec<TestCase>) {
    let no_null = [A::IllegalParameter, A::DecodeError, A::HandshakeFailure];
    for (label, list) in [
        ("CompressionDeflateOnly", vec![0x01]),
        ("CompressionLzsOnly", vec![0x40]),
        ("CompressionDeflateAndLzs", vec![0x01, 0x40]),
    ] {
        case(
            out,
            label,
            "RFC 5246 §7.4.1.2",
            ClientBugs {
                compression_methods: Some(list),
                ..ClientBugs::default()
            },
            alert(&no_null),
        );
    }
    case(
        out,
        "CompressionEmpty",
        // compression_methods<1..2^8-1>: an empty list is below the floor
        // (policy rule 1).
        "RFC 5246 §7.4.1.2, §4.3",
        ClientBugs {
            compression_methods: Some(vec![]),
            ..ClientBugs::default()
        },
        alert(&[A::DecodeError]),
    );
    case(
        out,
        "CompressionNullNotFirst",
        "RFC 5246 §7.4.1.2",
        ClientBugs {
            compression_methods: Some(vec![0x01, 0x00]),
            ..ClientBugs::default()
        },
        Expect::Success,
    );
}

/// RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of the
/// same type"; no alert is named: NSS and OpenSSL send illegal_parameter,
/// BoringSSL decode_error. Unknown extensions MUST be ignored (RFC 5746
/// §3.6 restating RFC 5246 §7.4.1.4), GREASE values included (RFC 8701).
/// A hello without an extensions block is legal (§7.4.1.2), as is padding
/// (RFC 7685) that pushes the hello over one record (§6.2.1).
fn extensions(out: &mut Vec<TestCase>) {
    let duplicate = [A::IllegalParameter, A::DecodeError];
    let sni_body = sni(12, &[(0, b"localhost")]);
    for (label, ext) in [
        ("ExtendedMasterSecret", (0x0017u16, vec![])),
        ("ServerName", (0x0000, sni_body.clone())),
        ("RenegotiationInfo", (0xff01, vec![0])),
        ("SignatureAlgorithms", (0x000d, vec![0, 2, 4, 1])),
    ] {
        case(
            out,
            &format!("Duplicate{label}"),
            "RFC 5246 §7.4.1.4",
            ClientBugs {
                extra_extensions: vec![ext],
                ..ClientBugs::default()
            },
            alert(&duplicate),
        );
    }
    for (label, t) in [("Unknown", 0xfe00u16), ("Grease", 0x0a0a)] {
        case(
            out,
            &format!("Duplicate{label}"),
            "RFC 5246 §7.4.1.4",
            ClientBugs {
                extra_extensions: vec![(t, vec![]), (t, vec![1])],
                ..ClientBugs::default()
            },
            alert(&duplicate),
        );
    }
    for (label, ext) in [
        ("GreaseEmpty", (0x0a0au16, vec![])),
        ("GreaseWithBody", (0x1a1a, vec![0])),
        ("UnknownFe00", (0xfe00, vec![1, 2, 3, 4])),
        ("UnknownFfff", (0xffff, vec![])),
        // RFC 6520: heartbeat offered; a server may accept (it is offered) or ignore it.
        ("Heartbeat", (0x000f, vec![1])),
        // RFC 5077: an empty ticket asks for one; NewSessionTicket is optional.
        ("SessionTicketEmpty", (0x0023, vec![])),
    ] {
        case(
            out,
            &format!("Extension{label}"),
            "RFC 5246 §7.4.1.4; RFC 5746 §3.6; RFC 8701",
            ClientBugs {
                extra_extensions: vec![ext],
                ..ClientBugs::default()
            },
            Expect::Success,
        );
    }
    case(
        out,
        "Extensions100Unknown",
        "RFC 5246 §7.4.1.4",
        ClientBugs {
            extra_extensions: (0x1000u16..0x1064).map(|t| (t, vec![0; 3])).collect(),
            ..ClientBugs::default()
        },
        Expect::Success,
    );
    case(
        out,
        "NoExtensionsBlock",
        "RFC 5246 §7.4.1.2 (extensions are optional)",
        ClientBugs {
            omit_extensions_block: true,
            ..ClientBugs::default()
        },
        success_or_refused(),
    );
    case(
        out,
        "EmptyExtensionsBlock",
        "RFC 5246 §7.4.1.2",
        ClientBugs {
            extensions: Some(vec![]),
            ..ClientBugs::default()
        },
        success_or_refused(),
    );
    for (label, len) in [("Padding300", 220usize), ("Padding16K", 1 << 14)] {
        case(
            out,
            &format!("Extension{label}"),
            "RFC 7685; RFC 5246 §6.2.1",
            ClientBugs {
                extra_extensions: vec![(0x0015, vec![0; len])],
                ..ClientBugs::default()
            },
            Expect::Success,
        );
    }
    // RFC 7627 §5.1: "The extension_data field of this extension is empty."
    for (label, body) in [("OneByte", vec![0]), ("TwoBytes", vec![0, 0])] {
        case(
            out,
            &format!("ExtendedMasterSecretBody{label}"),
            "RFC 7627 §5.1",
            ClientBugs {
                extensions: exts(|e| {
                    for (t, b) in e.iter_mut() {
                        if *t == ExtensionType::ExtendedMasterSecret.0 {
                            *b = body.clone();
                        }
                    }
                }),
                ..ClientBugs::default()
            },
            alert(&[A::DecodeError]),
        );
    }
    // RFC 5246 §7.4.1.4.1: supported_signature_algorithms<2..2^16-2>. With
    // only unknown pairs the server SHOULD still send its chain (§7.4.2);
    // RSA key exchange signs nothing else.
    for (label, body, e) in [
        (
            "SignatureAlgorithmsEmpty",
            vec![0, 0],
            alert(&[A::DecodeError]),
        ),
        (
            "SignatureAlgorithmsOddLength",
            vec![0, 3, 4, 1, 5],
            alert(&[A::DecodeError]),
        ),
        (
            "SignatureAlgorithmsOnlyUnknown",
            vec![0, 2, 0xfe, 0xfe],
            success_or_refused(),
        ),
    ] {
        case(
            out,
            label,
            "RFC 5246 §7.4.1.4.1, §7.4.2",
            ClientBugs {
                extensions: exts(|e| {
                    for (t, b) in e.iter_mut() {
                        if *t == ExtensionType::SignatureAlgorithms.0 {
                            *b = body.clone();
                        }
                    }
                }),
                ..ClientBugs::default()
            },
            e,
        );
    }
}

/// RFC 6066 §3: `ServerName server_name_list<1..2^16-1>`, `opaque
/// HostName<1..2^16-1>`, and "The ServerNameList MUST NOT contain more
/// than one name of the same name_type". Malformed lists are decode_error;
/// BoringSSL answers an empty host name with unrecognized_name and two
/// names with decode_error; the RFC names no alert for the repeat, for
/// which illegal_parameter (§7.2.2: inconsistent fields) comes first.
fn server_name(out: &mut Vec<TestCase>) {
    let name: &[u8] = b"localhost";
    for (label, body, set) in [
        (
            "EmptyHostName",
            sni(3, &[(0, b"")]),
            vec![A::DecodeError, A::IllegalParameter, A::UnrecognizedName],
        ),
        ("EmptyList", sni(0, &[]), vec![A::DecodeError]),
        ("EmptyBody", vec![], vec![A::DecodeError]),
        (
            "ListLengthShort",
            sni(11, &[(0, name)]),
            vec![A::DecodeError],
        ),
        (
            "ListLengthLong",
            sni(13, &[(0, name)]),
            vec![A::DecodeError],
        ),
        (
            "TwoHostNames",
            sni(24, &[(0, name), (0, name)]),
            vec![A::IllegalParameter, A::DecodeError],
        ),
    ] {
        case(
            out,
            &format!("ServerName{label}"),
            "RFC 6066 §3",
            ClientBugs {
                extensions: exts(|e| {
                    for (t, b) in e.iter_mut() {
                        if *t == ExtensionType::ServerName.0 {
                            *b = body.clone();
                        }
                    }
                }),
                ..ClientBugs::default()
            },
            alert(&set),
        );
    }
}

/// RFC 5246 §7.4.1.2: `opaque SessionID<0..32>`; an ID the server does not
/// know means a full handshake with a new one.
fn session_id(out: &mut Vec<TestCase>) {
    for len in [33usize, 255] {
        case(
            out,
            &format!("SessionId{len}Bytes"),
            "RFC 5246 §7.4.1.2",
            ClientBugs {
                session_id: Some(vec![0x5a; len]),
                ..ClientBugs::default()
            },
            alert(&[A::DecodeError]),
        );
    }
    for (label, len) in [
        ("SessionIdUnknown32Bytes", 32usize),
        ("SessionIdUnknown1Byte", 1),
    ] {
        case(
            out,
            label,
            "RFC 5246 §7.4.1.2, §7.4.1.3",
            ClientBugs {
                session_id: Some((0..len as u8).map(|i| i ^ 0xa5).collect()),
                ..ClientBugs::default()
            },
            Expect::Success,
        );
    }
}

/// RFC 5246 §7.4.2: without a usable signature_algorithms the server SHOULD
/// still go on (SHA-1 implied); refusing with handshake_failure is allowed.
fn success_or_refused() -> Expect {
    Expect::AnyOf(vec![Expect::Success, alert(&[A::HandshakeFailure])])
}
