//! ECDHE key exchange (RFC 8422), server role: the scripted client offers
//! one ECDHE_RSA suite, one group and one signature algorithm, checks the
//! server's ServerKeyExchange (group offered, signature by the leaf's key
//! over both randoms and the params, with the offered algorithm, point
//! valid) and answers with a ClientKeyExchange point that is correct or
//! malformed one way. Generated from tables: suite × group × signature
//! algorithm × point knob.
//!
//! Expectations (the policy, rule 1 where the RFC names the outcome):
//! - a correct point completes;
//! - an empty point breaks `point <1..2^8-1>` (RFC 8422 §5.7; RFC 5246
//!   §4.3): decode_error, or illegal_parameter ("a field ... out of
//!   range", RFC 5246 §7.2.2), which OpenSSL, GnuTLS, NSS, JSSE and
//!   mbedTLS all send;
//! - a point of the wrong length, not uncompressed, off the curve, or the
//!   identity (RFC 8422 §5.1.2, §5.11; RFC 7748 §6.1 for x25519's u = 0):
//!   RFC 8422 names no alert; RFC 5246 §7.2.2's illegal_parameter ("a
//!   field in the handshake was out of range or inconsistent") is the one
//!   allowed, as OpenSSL (SSL_R_BAD_ECPOINT), BoringSSL and rustls send;
//! - ec_point_formats without uncompressed: RFC 8422 §5.1.2 "MUST
//!   include", illegal_parameter;
//! - only groups no server implements (GREASE values), with only ECDHE suites
//!   offered: RFC 8422 §5.1 forbids the ECC suite, nothing else is offered:
//!   handshake_failure (RFC 5246 §7.4.1.3).
//!
//! Client role: the scripted server picks the case's ECDHE_RSA suite and
//! group (the client must offer both: these cases need a client configured
//! for ECDHE) and misbehaves in its ServerKeyExchange: a malformed point
//! (illegal_parameter as above; empty: decode_error or illegal_parameter), a group the client
//! did not offer (RFC 8422 §5.4: illegal_parameter), a signature over the
//! wrong randoms or by the wrong key (RFC 5246 §7.4.3, §7.2.2:
//! decrypt_error), an algorithm the client did not offer (RFC 5246
//! §7.4.1.4.1; illegal_parameter, OpenSSL's SSL_R_WRONG_SIGNATURE_TYPE),
//! ServerKeyExchange missing or twice (RFC 5246 §7.3, §7.4.3:
//! unexpected_message).
//!
//! ChaCha20-Poly1305 (RFC 7905) with ECDHE_RSA has its own small table in
//! both roles (`Ecdhe-{Server,Client}-ChaCha20-*`): a valid handshake over
//! each group, a bit flipped in the sealed Finished record (the tag fails:
//! bad_record_mac, RFC 5246 §6.2.3.3) and a wrong verify_data under a good
//! tag (decrypt_error, §7.4.9). ECDHE_ECDSA needs an ECDSA target key,
//! which the built-in reference does not hold by default: those suites are
//! checked against OpenSSL and GnuTLS by `ci/ecdhe.sh`.

use super::alert;
use crate::case::{Expect, TestCase};
use crate::peer::client::{ClientBugs, ClientScript, PointBug};
use crate::peer::server::{ServerBugs, ServerScript, SkeSignatureBug};
use gauntlet_engine::enums::{AlertDescription as A, CipherSuite, NamedGroup};

/// The ECDHE suites the scripted client speaks, with case labels (spelt
/// `Aes`, not `AES`: the RSA-key-exchange matrices of `ci/interop.sh` and
/// `tests/suite_thirdparty.rs` select their cells by `AES128`/`AES256`, and
/// leave the `Ecdhe-` family out until their targets are configured for
/// ECDHE).
const SUITES: [(CipherSuite, &str); 2] = [
    (
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "RsaAes128",
    ),
    (
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "RsaAes256",
    ),
];

/// (code point, label, NIST curve?)
const GROUPS: [(u16, &str, bool); 3] = [
    (29, "X25519", false),
    (23, "P256", true),
    (24, "P384", true),
];

/// The one signature algorithm offered (RFC 5246 §7.4.1.4.1): the server
/// must sign ServerKeyExchange with it.
const SIGNATURE_ALGORITHMS: [(u16, &str); 6] = [
    (0x0401, "RsaPkcs1Sha256"),
    (0x0501, "RsaPkcs1Sha384"),
    (0x0601, "RsaPkcs1Sha512"),
    (0x0804, "RsaPssSha256"),
    (0x0805, "RsaPssSha384"),
    (0x0806, "RsaPssSha512"),
];

/// (knob, label, NIST curves only?, clause, expected)
fn point_cases() -> Vec<(Option<PointBug>, &'static str, bool, &'static str, Expect)> {
    vec![
        (None, "Valid", false, "RFC 8422 §5.4, §5.7", Expect::Success),
        (
            Some(PointBug::Empty),
            "EmptyPoint",
            false,
            "RFC 8422 §5.7 (point<1..2^8-1>), RFC 5246 §4.3",
            alert(&[A::DecodeError, A::IllegalParameter]),
        ),
        (
            Some(PointBug::Short),
            "ShortPoint",
            false,
            "RFC 8422 §5.7, §5.11",
            alert(&[A::IllegalParameter]),
        ),
        (
            Some(PointBug::Long),
            "LongPoint",
            false,
            "RFC 8422 §5.7, §5.11",
            alert(&[A::IllegalParameter]),
        ),
        (
            Some(PointBug::Identity),
            "IdentityPoint",
            false,
            "RFC 8422 §5.11, RFC 7748 §6.1",
            alert(&[A::IllegalParameter]),
        ),
        (
            Some(PointBug::OffCurve),
            "OffCurvePoint",
            true,
            "RFC 8422 §5.11",
            alert(&[A::IllegalParameter]),
        ),
        (
            Some(PointBug::Compressed),
            "CompressedPoint",
            true,
            "RFC 8422 §5.1.2",
            alert(&[A::IllegalParameter]),
        ),
    ]
}

/// RFC 5246 §7.4.2: with signature_algorithms offered, the server's chain
/// must be signed with a pair in it, and the test PKI's chain is
/// sha256WithRSAEncryption. A case that offers one other algorithm for the
/// ServerKeyExchange says so in signature_algorithms_cert (RFC 8446
/// §4.2.3, which TLS 1.2 implementations "SHOULD also process"), so a
/// server that applies §7.4.2 (JSSE) can still serve the chain.
fn chain_signature_algorithms(alg: u16) -> Vec<(u16, Vec<u8>)> {
    const RSA_PKCS1_SHA256: u16 = 0x0401;
    const SIGNATURE_ALGORITHMS_CERT: u16 = 50;
    if alg == RSA_PKCS1_SHA256 {
        return Vec::new();
    }
    let mut body = 2u16.to_be_bytes().to_vec();
    body.extend_from_slice(&RSA_PKCS1_SHA256.to_be_bytes());
    vec![(SIGNATURE_ALGORITHMS_CERT, body)]
}

fn script(suite: CipherSuite, bugs: ClientBugs) -> ClientScript {
    ClientScript {
        suite,
        bugs,
        ..ClientScript::default()
    }
}

pub(super) fn cases(out: &mut Vec<TestCase>) {
    for (suite, sname) in SUITES {
        for (group, gname, nist) in GROUPS {
            for (alg, aname) in SIGNATURE_ALGORITHMS {
                for (point, pname, nist_only, rfc, expect) in point_cases() {
                    if nist_only && !nist {
                        continue;
                    }
                    out.push(TestCase::server(
                        format!("Ecdhe-Server-{pname}-{sname}-{gname}-{aname}"),
                        rfc,
                        script(
                            suite,
                            ClientBugs {
                                point,
                                groups: Some(vec![group]),
                                signature_algorithms: Some(vec![alg]),
                                extra_extensions: chain_signature_algorithms(alg),
                                ..ClientBugs::default()
                            },
                        ),
                        expect,
                    ));
                }
            }
        }
        // RFC 8422 §5.1.2: "it MUST include uncompressed".
        for (formats, fname) in [
            (vec![1u8], "CompressedPrimeOnly"),
            (vec![2], "CompressedChar2Only"),
            (vec![1, 2], "CompressedBoth"),
        ] {
            out.push(TestCase::server(
                format!("Ecdhe-Server-PointFormats{fname}-{sname}"),
                "RFC 8422 §5.1.2",
                script(
                    suite,
                    ClientBugs {
                        point_formats: Some(formats),
                        ..ClientBugs::default()
                    },
                ),
                alert(&[A::IllegalParameter]),
            ));
        }
        // RFC 8422 §5.1: no group in common and nothing but ECDHE offered.
        out.push(TestCase::server(
            format!("Ecdhe-Server-NoCommonGroup-{sname}"),
            "RFC 8422 §5.1, RFC 5246 §7.4.1.3",
            script(
                suite,
                ClientBugs {
                    // GREASE values (RFC 8701): no stack implements them.
                    groups: Some(vec![0x0a0a, 0x1a1a]),
                    ..ClientBugs::default()
                },
            ),
            alert(&[A::HandshakeFailure]),
        ));
    }
}

/// The ChaCha20-Poly1305 table, both roles: (label, group, flip the sealed
/// Finished record?, wrong verify_data?, clause, expected).
fn chacha_cases() -> Vec<(&'static str, NamedGroup, bool, bool, &'static str, Expect)> {
    let mut v: Vec<_> = [
        (NamedGroup::x25519, "X25519"),
        (NamedGroup::secp256r1, "P256"),
        (NamedGroup::secp384r1, "P384"),
    ]
    .into_iter()
    .map(|(g, name)| {
        (
            name,
            g,
            false,
            false,
            "RFC 7905 §2, RFC 8422 §5.4",
            Expect::Success,
        )
    })
    .collect();
    v.push((
        "FlippedFinishedRecordBit",
        NamedGroup::x25519,
        true,
        false,
        "RFC 7905 §2, RFC 5246 §6.2.3.3",
        alert(&[A::BadRecordMac]),
    ));
    v.push((
        "BadFinished",
        NamedGroup::x25519,
        false,
        true,
        "RFC 7905 §2, RFC 5246 §7.4.9",
        alert(&[A::DecryptError]),
    ));
    v
}

pub(super) fn chacha_server_cases(out: &mut Vec<TestCase>) {
    for (label, group, flip, bad, rfc, expect) in chacha_cases() {
        out.push(TestCase::server(
            format!("Ecdhe-Server-ChaCha20-{label}"),
            rfc,
            script(
                CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                ClientBugs {
                    groups: Some(vec![group.0]),
                    flip_finished_record_bit: flip.then_some(77),
                    bad_finished: bad,
                    ..ClientBugs::default()
                },
            ),
            expect,
        ));
    }
}

pub(super) fn chacha_client_cases(out: &mut Vec<TestCase>) {
    let Ok(base) = ServerScript::builtin() else {
        return;
    };
    for (label, group, flip, bad, rfc, expect) in chacha_cases() {
        let mut s = base.clone().with_bugs(ServerBugs {
            ske_group: Some(group),
            flip_finished_record_bit: flip.then_some(77),
            bad_finished: bad,
            ..ServerBugs::default()
        });
        s.suite = CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256;
        out.push(TestCase::client(
            format!("Ecdhe-Client-ChaCha20-{label}"),
            rfc,
            s,
            expect,
        ));
    }
}

/// (knob, label, NIST curves only?, clause, expected) for the client role.
fn ske_cases() -> Vec<(ServerBugs, &'static str, bool, &'static str, Expect)> {
    let b = ServerBugs::default;
    let point = |bug| ServerBugs {
        ske_point: Some(bug),
        ..b()
    };
    let sig = |bug| ServerBugs {
        ske_signature: Some(bug),
        ..b()
    };
    let ill = || alert(&[A::IllegalParameter]);
    vec![
        (b(), "Valid", false, "RFC 8422 §5.4", Expect::Success),
        (
            point(PointBug::Empty),
            "EmptyPoint",
            false,
            "RFC 8422 §5.4 (point<1..2^8-1>), RFC 5246 §4.3",
            alert(&[A::DecodeError, A::IllegalParameter]),
        ),
        (
            point(PointBug::Short),
            "ShortPoint",
            false,
            "RFC 8422 §5.4, §5.11",
            ill(),
        ),
        (
            point(PointBug::Long),
            "LongPoint",
            false,
            "RFC 8422 §5.4, §5.11",
            ill(),
        ),
        (
            point(PointBug::Identity),
            "IdentityPoint",
            false,
            "RFC 8422 §5.11, RFC 7748 §6.1",
            ill(),
        ),
        (
            point(PointBug::OffCurve),
            "OffCurvePoint",
            true,
            "RFC 8422 §5.11",
            ill(),
        ),
        (
            point(PointBug::Compressed),
            "CompressedPoint",
            true,
            "RFC 8422 §5.1.2",
            ill(),
        ),
        (
            ServerBugs {
                ske_group_not_offered: true,
                ..b()
            },
            "GroupNotOffered",
            false,
            "RFC 8422 §5.4",
            ill(),
        ),
        (
            sig(SkeSignatureBug::WrongRandoms),
            "SignedOverWrongRandoms",
            false,
            "RFC 8422 §5.4, RFC 5246 §7.4.3, §7.2.2",
            alert(&[A::DecryptError]),
        ),
        (
            sig(SkeSignatureBug::WrongKey),
            "SignedWithWrongKey",
            false,
            "RFC 5246 §7.4.3, §7.2.2",
            alert(&[A::DecryptError]),
        ),
        (
            sig(SkeSignatureBug::AlgorithmNotOffered),
            "SignatureAlgorithmNotOffered",
            false,
            "RFC 5246 §7.4.1.4.1",
            ill(),
        ),
        (
            ServerBugs {
                ske_count: Some(0),
                ..b()
            },
            "Missing",
            false,
            "RFC 5246 §7.3, §7.4.3",
            alert(&[A::UnexpectedMessage]),
        ),
        (
            ServerBugs {
                ske_count: Some(2),
                ..b()
            },
            "Twice",
            false,
            "RFC 5246 §7.3, §7.4.3",
            alert(&[A::UnexpectedMessage]),
        ),
    ]
}

pub(super) fn client_cases(out: &mut Vec<TestCase>) {
    let Ok(base) = ServerScript::builtin() else {
        return;
    };
    let groups = [
        (NamedGroup::x25519, "X25519", false),
        (NamedGroup::secp256r1, "P256", true),
        (NamedGroup::secp384r1, "P384", true),
    ];
    for (suite, sname) in SUITES {
        for (group, gname, nist) in groups {
            for (bugs, label, nist_only, rfc, expect) in ske_cases() {
                if nist_only && !nist {
                    continue;
                }
                let mut s = base.clone().with_bugs(ServerBugs {
                    ske_group: Some(group),
                    ..bugs
                });
                s.suite = suite;
                out.push(TestCase::client(
                    format!("Ecdhe-Client-{label}-{sname}-{gname}"),
                    rfc,
                    s,
                    expect,
                ));
            }
        }
    }
}
