//! Certificate validation, client role: the scripted server presents each
//! chain of the test PKI (`vectors/pki/`, made by `vectors/pki/gen.sh` with
//! the OpenSSL CLI) to a client that trusts `root.pem` and connects to
//! `localhost` at the PKI's validation time (2027-01-01). Chains that need
//! CRLs or another name stay in the engine's PKI tests: a client's CRL and
//! name settings are not the suite's to choose.

use super::alert;
use crate::case::{Expect, TestCase};
use crate::peer::server::{ServerBugs, ServerScript};
use gauntlet_engine::crypto::rsa_kx::private_key_from_pem;
use gauntlet_engine::enums::AlertDescription as A;
use std::sync::Arc;

/// (name, leaf DER, leaf key PEM, intermediates DER, expected error).
type Chain = (
    &'static str,
    &'static [u8],
    &'static str,
    Vec<&'static [u8]>,
    &'static str,
);

fn chains() -> Vec<Chain> {
    vec![
        (
            "good-dns",
            include_bytes!("../../pki/leaf.der"),
            include_str!("../../pki/leaf.key"),
            vec![include_bytes!("../../pki/int.der")],
            "ok",
        ),
        (
            "pss-sha256",
            include_bytes!("../../pki/leaf-pss.der"),
            include_str!("../../pki/leaf-pss.key"),
            vec![include_bytes!("../../pki/int.der")],
            "ok",
        ),
        (
            "pss-sha384",
            include_bytes!("../../pki/leaf-pss384.der"),
            include_str!("../../pki/leaf-pss384.key"),
            vec![include_bytes!("../../pki/int.der")],
            "ok",
        ),
        (
            "pkcs1-sha512",
            include_bytes!("../../pki/leaf-sha512.der"),
            include_str!("../../pki/leaf-sha512.key"),
            vec![include_bytes!("../../pki/int.der")],
            "ok",
        ),
        (
            "wildcard-for-localhost",
            include_bytes!("../../pki/leaf-wildcard.der"),
            include_str!("../../pki/leaf-wildcard.key"),
            vec![include_bytes!("../../pki/int.der")],
            "NotValidForName",
        ),
        (
            "no-san-cn-only",
            include_bytes!("../../pki/leaf-nosan.der"),
            include_str!("../../pki/leaf-nosan.key"),
            vec![include_bytes!("../../pki/int.der")],
            "NotValidForName",
        ),
        (
            "expired-leaf",
            include_bytes!("../../pki/leaf-expired.der"),
            include_str!("../../pki/leaf-expired.key"),
            vec![include_bytes!("../../pki/int.der")],
            "Expired",
        ),
        (
            "not-yet-valid-leaf",
            include_bytes!("../../pki/leaf-notyet.der"),
            include_str!("../../pki/leaf-notyet.key"),
            vec![include_bytes!("../../pki/int.der")],
            "NotYetValid",
        ),
        (
            "expired-intermediate",
            include_bytes!("../../pki/leaf-under-expired-int.der"),
            include_str!("../../pki/leaf-under-expired-int.key"),
            vec![include_bytes!("../../pki/int-expired.der")],
            "Expired",
        ),
        (
            "unknown-root",
            include_bytes!("../../pki/leaf-untrusted.der"),
            include_str!("../../pki/leaf-untrusted.key"),
            vec![include_bytes!("../../pki/int-untrusted.der")],
            "UnknownIssuer",
        ),
        (
            "unknown-root-sent",
            include_bytes!("../../pki/leaf-untrusted.der"),
            include_str!("../../pki/leaf-untrusted.key"),
            vec![
                include_bytes!("../../pki/int-untrusted.der"),
                include_bytes!("../../pki/root-untrusted.der"),
            ],
            "UnknownIssuer",
        ),
        (
            "cross-signed-detour",
            include_bytes!("../../pki/leaf.der"),
            include_str!("../../pki/leaf.key"),
            vec![
                include_bytes!("../../pki/int-cross.der"),
                include_bytes!("../../pki/root-untrusted.der"),
                include_bytes!("../../pki/int.der"),
            ],
            "ok",
        ),
        (
            "impostor-root-same-name",
            include_bytes!("../../pki/leaf-impostor.der"),
            include_str!("../../pki/leaf-impostor.key"),
            vec![include_bytes!("../../pki/int-impostor.der")],
            "UnknownIssuer",
        ),
        (
            "self-signed-leaf",
            include_bytes!("../../pki/leaf-selfsigned.der"),
            include_str!("../../pki/leaf-selfsigned.key"),
            vec![],
            "UnknownIssuer",
        ),
        (
            "bad-signature",
            include_bytes!("../../pki/leaf-badsig.der"),
            include_str!("../../pki/leaf-badsig.key"),
            vec![include_bytes!("../../pki/int.der")],
            "BadSignature",
        ),
        (
            "intermediate-not-ca",
            include_bytes!("../../pki/leaf-under-notca.der"),
            include_str!("../../pki/leaf-under-notca.key"),
            vec![include_bytes!("../../pki/int-notca.der")],
            "NotCa",
        ),
        (
            "intermediate-without-keycertsign",
            include_bytes!("../../pki/leaf-under-nokcs.der"),
            include_str!("../../pki/leaf-under-nokcs.key"),
            vec![include_bytes!("../../pki/int-nokcs.der")],
            "BadKeyUsage",
        ),
        (
            "pathlen-exceeded",
            include_bytes!("../../pki/leaf-under-sub.der"),
            include_str!("../../pki/leaf-under-sub.key"),
            vec![
                include_bytes!("../../pki/int-sub.der"),
                include_bytes!("../../pki/int-pathlen0.der"),
            ],
            "PathLenExceeded",
        ),
        (
            "pathlen-zero-direct-leaf",
            include_bytes!("../../pki/leaf-under-pathlen0.der"),
            include_str!("../../pki/leaf-under-pathlen0.key"),
            vec![include_bytes!("../../pki/int-pathlen0.der")],
            "ok",
        ),
        (
            "wrong-eku",
            include_bytes!("../../pki/leaf-clientonly.der"),
            include_str!("../../pki/leaf-clientonly.key"),
            vec![include_bytes!("../../pki/int.der")],
            "BadExtendedKeyUsage",
        ),
        (
            "server-without-keyencipherment",
            include_bytes!("../../pki/leaf-ku-sign-only.der"),
            include_str!("../../pki/leaf-ku-sign-only.key"),
            vec![include_bytes!("../../pki/int.der")],
            "BadKeyUsage",
        ),
        (
            "unknown-critical-extension",
            include_bytes!("../../pki/leaf-critical-ext.der"),
            include_str!("../../pki/leaf-critical-ext.key"),
            vec![include_bytes!("../../pki/int.der")],
            "UnhandledCriticalExtension",
        ),
    ]
}

/// RFC 5246 §7.2.2 alert for each validation failure: the RFC's choice
/// first, then the ones a conforming client may also send.
fn expected(name: &str, error: &str) -> Expect {
    // Name, CA flag, path length, key usage: the chain is well formed but
    // unacceptable.
    let unacceptable = [
        A::BadCertificate,
        A::CertificateUnknown,
        A::UnsupportedCertificate,
    ];
    match error {
        "ok" => Expect::Success,
        "UnknownIssuer" => alert(&[A::UnknownCa]),
        "Expired" | "NotYetValid" => alert(&[A::CertificateExpired, A::BadCertificate]),
        "BadSignature" => alert(&[A::BadCertificate, A::DecryptError]),
        // RFC 5280 §4.2: the certificate MUST be rejected; no alert names
        // this, and certificate_unknown ("some other (unspecified) issue ...
        // rendering it unacceptable") fits as well as the other two.
        "UnhandledCriticalExtension" => alert(&[
            A::UnsupportedCertificate,
            A::BadCertificate,
            A::CertificateUnknown,
        ]),
        // The leaf's issuer is not a usable CA certificate (no cA flag, no
        // keyCertSign, or beyond a pathLenConstraint: RFC 5280 §6.1.4 (k),
        // (n), (l)), so no CA certificate for the path "could be located":
        // unknown_ca's definition in RFC 5246 §7.2.2 fits too.
        "NotCa" | "PathLenExceeded" => {
            let mut set = unacceptable.to_vec();
            set.push(A::UnknownCa);
            Expect::Alert(set)
        }
        "BadKeyUsage" if name.starts_with("intermediate-") => {
            let mut set = unacceptable.to_vec();
            set.push(A::UnknownCa);
            Expect::Alert(set)
        }
        _ => Expect::Alert(unacceptable.to_vec()),
    }
}

/// The clause each chain checks.
fn rfc(name: &str) -> &'static str {
    match name {
        // RFC 6125 §6.4.4 let a client fall back to the subject CN when no
        // DNS-ID is present; RFC 9525, which obsoletes it, matches
        // subjectAltName identifiers only (§6.3).
        "no-san-cn-only" | "wildcard-for-localhost" => "RFC 5246 §7.4.2, RFC 9525 §6.3",
        // The chain is out of order (RFC 5246 §7.4.2 wanted each
        // certificate to certify the one before); RFC 8446 §4.4.2, for any
        // TLS version: implementations SHOULD be prepared for extraneous
        // certificates and arbitrary orderings.
        "cross-signed-detour" => "RFC 5280 §6, RFC 8446 §4.4.2",
        // The certificate MUST allow the key to be used for encryption.
        "server-without-keyencipherment" => "RFC 5246 §7.4.2, RFC 5280 §4.2.1.3",
        _ => "RFC 5246 §7.4.2, RFC 5280 §6",
    }
}

pub(super) fn cases(out: &mut Vec<TestCase>) {
    let Ok(base) = ServerScript::builtin() else {
        return;
    };
    for (name, leaf, key, ints, error) in chains() {
        let Ok(key) = private_key_from_pem(key) else {
            continue;
        };
        let mut chain = vec![leaf.to_vec()];
        chain.extend(ints.iter().map(|c| c.to_vec()));
        let key = Arc::new(key);
        let mut script = base.clone().with_key(key.clone()).with_bugs(ServerBugs {
            chain: Some(chain),
            ..ServerBugs::default()
        });
        // Under ECDHE (`suites::kx`) the chain's own leaf key signs
        // ServerKeyExchange, so a client's verdict is on the chain, not on
        // a signature by another key.
        script.signer = Some(key);
        out.push(TestCase::client(
            format!("Certificate-Client-{name}"),
            rfc(name),
            script,
            expected(name, error),
        ));
    }
}
