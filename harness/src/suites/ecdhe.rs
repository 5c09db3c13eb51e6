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
//!   §4.3): decode_error;
//! - a point of the wrong length, not uncompressed, off the curve, or the
//!   identity (RFC 8422 §5.1.2, §5.11; RFC 7748 §6.1 for x25519's u = 0):
//!   RFC 8422 names no alert; RFC 5246 §7.2.2's illegal_parameter ("a
//!   field in the handshake was out of range or inconsistent") is the one
//!   allowed, as OpenSSL (SSL_R_BAD_ECPOINT), BoringSSL and rustls send;
//! - ec_point_formats without uncompressed: RFC 8422 §5.1.2 "MUST
//!   include", illegal_parameter;
//! - only groups the server does not implement, with only ECDHE suites
//!   offered: RFC 8422 §5.1 forbids the ECC suite, nothing else is offered:
//!   handshake_failure (RFC 5246 §7.4.1.3).
//!
//! ChaCha20-Poly1305 suites are not in these tables yet: the scripted
//! peer's record protection is AES-GCM only.

use super::alert;
use crate::case::{Expect, TestCase};
use crate::peer::client::{ClientBugs, ClientScript, PointBug};
use gauntlet_engine::enums::{AlertDescription as A, CipherSuite};

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
            alert(&[A::DecodeError]),
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
                    groups: Some(vec![0x0a0a, 30]),
                    ..ClientBugs::default()
                },
            ),
            alert(&[A::HandshakeFailure]),
        ));
    }
}
