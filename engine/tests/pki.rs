//! X.509 path validation against the test PKI that `vectors/pki/gen.sh` makes
//! with the OpenSSL CLI (and cross-checks with `openssl verify`): one test per
//! chain in `vectors/pki/manifest.json`, a sweep over the whole manifest, and
//! malformed-input tests that must end in `BadEncoding`, never a panic.
#![allow(clippy::unwrap_used)] // unwrap is fine in tests

use gauntlet_engine::enums::AlertDescription;
use gauntlet_engine::error::{CertificateError, Error};
use gauntlet_engine::pki::{
    leaf_public_key, verify_chain, verify_server_chain, Crl, Purpose, RevocationPolicy, ServerName,
    Time, TrustAnchors, VerifiedChain, VerifyOptions, DEFAULT_MIN_RSA_BITS,
};
use serde::Deserialize;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors/pki")
}

fn load(file: &str) -> Vec<u8> {
    std::fs::read(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[derive(Debug, Deserialize)]
struct Manifest {
    time: u64,
    chains: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    name: String,
    leaf: String,
    intermediates: Vec<String>,
    root: String,
    crls: Vec<String>,
    host: Option<String>,
    purpose: String,
    revocation: String,
    time: u64,
    expect: String,
}

fn manifest() -> Manifest {
    serde_json::from_slice(&load("manifest.json")).unwrap()
}

fn entry(name: &str) -> Entry {
    manifest()
        .chains
        .into_iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no chain {name} in the manifest"))
}

fn run(e: &Entry) -> Result<VerifiedChain, CertificateError> {
    let mut chain = vec![load(&e.leaf)];
    chain.extend(e.intermediates.iter().map(|f| load(f)));
    let roots = TrustAnchors::from_der(&[load(&e.root)]).unwrap();
    let crls: Vec<Vec<u8>> = e.crls.iter().map(|f| load(f)).collect();
    let server_name = e.host.as_deref().map(|h| ServerName::parse(h).unwrap());
    let opts = VerifyOptions {
        server_name: server_name.as_ref(),
        now: Time(e.time),
        purpose: match e.purpose.as_str() {
            "serverAuth" => Purpose::ServerAuth,
            "clientAuth" => Purpose::ClientAuth,
            other => panic!("purpose {other}"),
        },
        revocation: match e.revocation.as_str() {
            "checkIfPresent" => RevocationPolicy::CheckIfPresent,
            "requireCrl" => RevocationPolicy::RequireStatus,
            other => panic!("revocation {other}"),
        },
        min_rsa_bits: DEFAULT_MIN_RSA_BITS,
        ocsp_staple: None,
        fetched_ocsp: &[],
    };
    verify_chain(&chain, &roots, &crls, &opts)
}

/// The variant name of an error, as the manifest spells it.
fn variant(e: &CertificateError) -> String {
    let debug = format!("{e:?}");
    debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

fn assert_ok(name: &str) -> VerifiedChain {
    match run(&entry(name)) {
        Ok(v) => v,
        Err(e) => panic!("{name}: expected success, got {e:?}"),
    }
}

/// Asserts both the precise error and the alert it sends (RFC 5246 §7.2.2).
fn assert_rejects(name: &str, expected: CertificateError, alert: AlertDescription) {
    let got = run(&entry(name)).map(|_| ()).unwrap_err();
    assert_eq!(got, expected, "{name}");
    assert_eq!(
        Error::InvalidCertificate(got).alert(),
        Some(alert),
        "{name}: alert"
    );
}

// Every chain in the manifest gives what the manifest says, so a chain added
// to gen.sh is covered even before it has its own test.
#[test]
fn every_manifest_chain_gives_its_expected_result() {
    let m = manifest();
    assert!(
        m.chains.len() >= 30,
        "manifest has {} chains",
        m.chains.len()
    );
    let mut failures = Vec::new();
    for e in &m.chains {
        assert_eq!(e.time, m.time, "{}: one reference time", e.name);
        let got = match run(e) {
            Ok(_) => "ok".to_string(),
            Err(err) => variant(&err),
        };
        if got != e.expect {
            failures.push(format!("{}: expected {}, got {got}", e.name, e.expect));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---- Chains that validate (RFC 5280 §6.1) ----

// RFC 5280 §6.1; RFC 6125 §6.4.1: a DNS reference name matches a SAN dNSName.
#[test]
fn accepts_good_chain_for_dns_name() {
    let v = assert_ok("good-dns");
    // The path runs leaf → intermediate → the trust anchor.
    assert_eq!(
        v.certs(),
        &[load("leaf.der"), load("int.der"), load("root.der")]
    );
    assert_eq!(v.leaf(), load("leaf.der"));
    assert_eq!(v.anchor(), load("root.der"));
}

// RFC 6125 §6.4.1: DNS names compare case-insensitively.
#[test]
fn accepts_dns_name_in_other_case() {
    assert_ok("good-dns-uppercase");
}

// RFC 6125 §6.4.4 / RFC 5280 §4.2.1.6: an IP reference matches an iPAddress SAN.
#[test]
fn accepts_good_chain_for_ip_address() {
    assert_ok("good-ip");
}

// RFC 5280 §6.3: current CRLs that do not list the path's certificates.
#[test]
fn accepts_good_chain_with_current_crls() {
    assert_ok("good-with-crls");
}

// RFC 5280 §6.3: with CRLs required, current CRLs for every issuer pass.
#[test]
fn accepts_good_chain_when_crls_required_and_present() {
    assert_ok("good-require-crl");
}

// RFC 5280 §4.2.1.12: a leaf with EKU clientAuth validates as a client.
#[test]
fn accepts_good_chain_as_client_certificate() {
    assert_ok("good-client-auth");
}

// RFC 4055 §3.1: RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt.
#[test]
fn accepts_leaf_signed_with_rsa_pss_sha256() {
    assert_ok("pss-sha256");
}

// RFC 4055 §3.1: RSASSA-PSS, SHA-384, MGF1-SHA-384, 48-byte salt.
#[test]
fn accepts_leaf_signed_with_rsa_pss_sha384() {
    assert_ok("pss-sha384");
}

// RFC 4055 §5: sha512WithRSAEncryption.
#[test]
fn accepts_leaf_signed_with_pkcs1_sha512() {
    assert_ok("pkcs1-sha512");
}

// RFC 6125 §6.4.3: `*.example.test` covers `a.example.test`.
#[test]
fn accepts_wildcard_for_one_label() {
    assert_ok("wildcard-one-label");
}

// RFC 5280 §4.2.1.9: pathLenConstraint 0 still allows a CA to issue leaves.
#[test]
fn accepts_leaf_directly_under_pathlen_zero_ca() {
    assert_ok("pathlen-zero-direct-leaf");
}

// A self-signed leaf that is itself a trust anchor is trusted directly.
#[test]
fn accepts_self_signed_leaf_that_is_a_trust_anchor() {
    let v = assert_ok("self-signed-leaf-pinned");
    assert_eq!(v.certs(), &[load("leaf-selfsigned.der")]);
}

// RFC 5280 §4.2.1.12: a clientAuth-only leaf is fine for a client.
#[test]
fn accepts_client_only_eku_as_client() {
    assert_ok("client-eku-as-client");
}

// ---- Chains that must fail, each with its error and alert ----

// RFC 6125 §6.4.3: the wildcard stands for exactly one label.
#[test]
fn rejects_wildcard_over_two_labels_with_not_valid_for_name() {
    assert_rejects(
        "wildcard-two-labels",
        CertificateError::NotValidForName,
        AlertDescription::BadCertificate,
    );
}

// RFC 6125 §6.4.3: `*.example.test` does not cover `example.test` itself.
#[test]
fn rejects_wildcard_for_bare_domain_with_not_valid_for_name() {
    assert_rejects(
        "wildcard-bare-domain",
        CertificateError::NotValidForName,
        AlertDescription::BadCertificate,
    );
}

// RFC 6125 §6.4.1: no SAN entry matches the reference name.
#[test]
fn rejects_wrong_dns_name_with_not_valid_for_name() {
    assert_rejects(
        "wrong-name",
        CertificateError::NotValidForName,
        AlertDescription::BadCertificate,
    );
}

// RFC 6125 §6.4.4 (via RFC 5280 §4.2.1.6): IP addresses match exactly.
#[test]
fn rejects_wrong_ip_address_with_not_valid_for_name() {
    assert_rejects(
        "wrong-ip",
        CertificateError::NotValidForName,
        AlertDescription::BadCertificate,
    );
}

// RFC 6125 §6.4.4 allows a CN fallback without SAN; our policy refuses it
// (OpenSSL would accept this chain; documented in vectors/pki/README.md).
#[test]
fn rejects_leaf_without_san_with_not_valid_for_name() {
    assert_rejects(
        "no-san-cn-only",
        CertificateError::NotValidForName,
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §6.1.3 (a)(2): the leaf's notAfter is before T.
#[test]
fn rejects_expired_leaf_with_certificate_expired() {
    assert_rejects(
        "expired-leaf",
        CertificateError::Expired,
        AlertDescription::CertificateExpired,
    );
}

// RFC 5280 §6.1.3 (a)(2): the leaf's notBefore is after T.
#[test]
fn rejects_not_yet_valid_leaf_with_certificate_expired_alert() {
    assert_rejects(
        "not-yet-valid-leaf",
        CertificateError::NotYetValid,
        AlertDescription::CertificateExpired,
    );
}

// RFC 5280 §6.1.3 (a)(2) applies to every certificate in the path.
#[test]
fn rejects_expired_intermediate_with_certificate_expired() {
    assert_rejects(
        "expired-intermediate",
        CertificateError::Expired,
        AlertDescription::CertificateExpired,
    );
}

// RFC 5280 §6.1: the path must end at a trust anchor.
#[test]
fn rejects_chain_to_untrusted_root_with_unknown_ca() {
    assert_rejects(
        "unknown-root",
        CertificateError::UnknownIssuer,
        AlertDescription::UnknownCa,
    );
}

// A presented self-signed root is not a trust anchor.
#[test]
fn rejects_chain_with_untrusted_root_sent_with_unknown_ca() {
    assert_rejects(
        "unknown-root-sent",
        CertificateError::UnknownIssuer,
        AlertDescription::UnknownCa,
    );
}

// RFC 5280 §4.2.1.1: the trusted root's name with another key (AKI ≠ SKI)
// is not the issuer.
#[test]
fn rejects_impostor_root_with_same_name_with_unknown_ca() {
    assert_rejects(
        "impostor-root-same-name",
        CertificateError::UnknownIssuer,
        AlertDescription::UnknownCa,
    );
}

// A self-signed leaf outside the trust store has no issuer we trust.
#[test]
fn rejects_self_signed_leaf_not_in_store_with_unknown_ca() {
    assert_rejects(
        "self-signed-leaf",
        CertificateError::UnknownIssuer,
        AlertDescription::UnknownCa,
    );
}

// RFC 5280 §6.1.3 (a)(1): the signature must verify with the issuer's key.
#[test]
fn rejects_leaf_with_flipped_signature_byte_with_bad_signature() {
    assert_rejects(
        "bad-signature",
        CertificateError::BadSignature,
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §6.1.4 (k): an issuer must assert basicConstraints CA:TRUE.
#[test]
fn rejects_intermediate_without_ca_flag_with_not_ca() {
    assert_rejects(
        "intermediate-not-ca",
        CertificateError::NotCa,
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §6.1.4 (n): an issuer's keyUsage must include keyCertSign.
#[test]
fn rejects_intermediate_without_keycertsign_with_bad_key_usage() {
    assert_rejects(
        "intermediate-without-keycertsign",
        CertificateError::BadKeyUsage,
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §4.2.1.9, §6.1.4 (m): pathlen:0 forbids a CA below it.
#[test]
fn rejects_intermediate_below_pathlen_zero_with_path_len_exceeded() {
    assert_rejects(
        "pathlen-exceeded",
        CertificateError::PathLenExceeded,
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §4.2.1.12; RFC 5246 §7.4.2: a server certificate needs serverAuth.
#[test]
fn rejects_client_only_eku_for_server_with_bad_extended_key_usage() {
    assert_rejects(
        "wrong-eku",
        CertificateError::BadExtendedKeyUsage,
        AlertDescription::BadCertificate,
    );
}

// RFC 5246 §7.4.2: for RSA key exchange the key must allow encipherment
// (RFC 5280 §4.2.1.3 keyEncipherment). OpenSSL accepts this chain.
#[test]
fn rejects_server_leaf_without_keyencipherment_with_bad_key_usage() {
    assert_rejects(
        "server-without-keyencipherment",
        CertificateError::BadKeyUsage,
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §4.2: an unrecognised critical extension must be rejected.
#[test]
fn rejects_unknown_critical_extension_with_unsupported_certificate() {
    assert_rejects(
        "unknown-critical-extension",
        CertificateError::UnhandledCriticalExtension("1.3.6.1.4.1.55555.1".into()),
        AlertDescription::UnsupportedCertificate,
    );
}

// RFC 5280 §6.3.3 (i): the leaf's serial is on the intermediate's CRL.
#[test]
fn rejects_revoked_leaf_with_certificate_revoked() {
    assert_rejects(
        "revoked-leaf",
        CertificateError::Revoked,
        AlertDescription::CertificateRevoked,
    );
}

// RFC 5280 §6.3: the intermediate's serial is on the root's CRL.
#[test]
fn rejects_revoked_intermediate_with_certificate_revoked() {
    assert_rejects(
        "revoked-intermediate",
        CertificateError::Revoked,
        AlertDescription::CertificateRevoked,
    );
}

// RFC 5280 §6.3.3 (a)(2): nextUpdate before T.
#[test]
fn rejects_stale_crl_with_crl_expired() {
    assert_rejects(
        "stale-crl",
        CertificateError::CrlExpired,
        AlertDescription::CertificateUnknown,
    );
}

// RFC 5280 §5.1.2.4: a CRL issued after T is not current either.
#[test]
fn rejects_crl_from_the_future_with_crl_expired() {
    assert_rejects(
        "future-crl",
        CertificateError::CrlExpired,
        AlertDescription::CertificateUnknown,
    );
}

// RFC 5280 §6.3.3 (g): the CRL must verify with the issuer's key.
#[test]
fn rejects_crl_signed_by_another_key_with_crl_bad_signature() {
    assert_rejects(
        "crl-wrong-key",
        CertificateError::CrlBadSignature,
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §6.3.3 (k): with CRLs required, a missing one leaves the status
// undetermined.
#[test]
fn rejects_missing_crl_when_required_with_revocation_status_unknown() {
    assert_rejects(
        "require-crl-missing",
        CertificateError::RevocationStatusUnknown,
        AlertDescription::CertificateUnknown,
    );
}

// ---- Path building ----

fn good_roots() -> TrustAnchors {
    TrustAnchors::from_der(&[load("root.der")]).unwrap()
}

fn localhost() -> ServerName {
    ServerName::parse("localhost").unwrap()
}

fn t() -> Time {
    Time(manifest().time)
}

// RFC 5246 §7.4.2 requires sender order, but RFC 5280 path building (and
// every real client) tolerates any order and unrelated extras.
#[test]
fn builds_path_from_intermediates_in_any_order_with_extras() {
    let chain = vec![
        load("leaf-under-pathlen0.der"),
        load("int-untrusted.der"),
        load("int.der"),
        load("int-pathlen0.der"),
    ];
    let v = verify_server_chain(
        &chain,
        &good_roots(),
        &[],
        &localhost(),
        t(),
        Purpose::ServerAuth,
    )
    .unwrap();
    assert_eq!(
        v.certs(),
        &[
            load("leaf-under-pathlen0.der"),
            load("int-pathlen0.der"),
            load("root.der")
        ]
    );
}

// RFC 4158 §2.4 (path building backtracks): the cross-certificate offered
// first leads to an untrusted root; the search must back out and use the
// good intermediate. (OpenSSL 3.0 does not backtrack here and fails.)
#[test]
fn backtracks_from_cross_certificate_dead_end() {
    let v = assert_ok("cross-signed-detour");
    assert_eq!(
        v.certs(),
        &[load("leaf.der"), load("int.der"), load("root.der")]
    );
}

// RFC 5280 §4.2.1.1: certificates with the issuer's name but another key
// identifier are passed over, wherever they sit in the chain.
#[test]
fn skips_same_name_candidates_with_other_key_identifiers() {
    let chain = vec![
        load("leaf.der"),
        load("int-impostor.der"),
        load("int-wrongkey.der"),
        load("int.der"),
    ];
    verify_server_chain(
        &chain,
        &good_roots(),
        &[],
        &localhost(),
        t(),
        Purpose::ServerAuth,
    )
    .unwrap();
}

// Hostile chains cannot make the search explode: 40 copies of a self-signed
// root give 40^6 paths, but the signature budget ends the search.
#[test]
fn bounds_work_on_many_self_signed_copies() {
    let mut chain = vec![load("leaf-untrusted.der"), load("int-untrusted.der")];
    chain.extend(std::iter::repeat_n(load("root-untrusted.der"), 40));
    let got = verify_server_chain(
        &chain,
        &good_roots(),
        &[],
        &localhost(),
        t(),
        Purpose::ServerAuth,
    );
    assert_eq!(got.unwrap_err(), CertificateError::UnknownIssuer);
}

// RFC 5280 §4.1.2.5: validity is inclusive at both ends. The leaf is valid
// 2026-01-01T00:00:00Z ..= 2028-01-01T00:00:00Z (gen.sh).
#[test]
fn validity_bounds_are_inclusive() {
    let not_before = 1_767_225_600;
    let not_after = 1_830_297_600;
    let chain = vec![load("leaf.der"), load("int.der")];
    let at = |secs| {
        verify_server_chain(
            &chain,
            &good_roots(),
            &[],
            &localhost(),
            Time(secs),
            Purpose::ServerAuth,
        )
        .map(|_| ())
    };
    assert_eq!(at(not_before), Ok(()));
    assert_eq!(at(not_after), Ok(()));
    assert_eq!(at(not_before - 1), Err(CertificateError::NotYetValid));
    assert_eq!(at(not_after + 1), Err(CertificateError::Expired));
    assert_eq!(at(u64::MAX), Err(CertificateError::Expired));
}

// RFC 5280 §6.3.3: the CRLs' window (2026-12-01 ..= 2027-02-01) bounds when
// revocation can be checked; after it the CRL is stale.
#[test]
fn crl_outside_its_window_is_crl_expired() {
    let chain = vec![load("leaf.der"), load("int.der")];
    let crls = vec![load("root-crl.der"), load("int-crl.der")];
    let at = |secs| {
        verify_server_chain(
            &chain,
            &good_roots(),
            &crls,
            &localhost(),
            Time(secs),
            Purpose::ServerAuth,
        )
        .map(|_| ())
    };
    assert_eq!(at(1_796_083_200), Ok(())); // 2026-12-01T00:00:00Z, inclusive
    assert_eq!(at(1_801_440_000), Ok(())); // 2027-02-01T00:00:00Z, inclusive
    assert_eq!(at(1_801_440_001), Err(CertificateError::CrlExpired));
    assert_eq!(at(1_796_083_199), Err(CertificateError::CrlExpired)); // before thisUpdate
}

// A current CRL for the issuer makes a stale one irrelevant.
#[test]
fn a_current_crl_outweighs_a_stale_one() {
    let chain = vec![load("leaf.der"), load("int.der")];
    let crls = vec![load("int-stale-crl.der"), load("int-crl.der")];
    verify_server_chain(
        &chain,
        &good_roots(),
        &crls,
        &localhost(),
        t(),
        Purpose::ServerAuth,
    )
    .unwrap();
}

#[test]
fn rejects_empty_chain_with_bad_encoding() {
    let got = verify_server_chain(
        &[],
        &good_roots(),
        &[],
        &localhost(),
        t(),
        Purpose::ServerAuth,
    );
    assert!(
        matches!(got, Err(CertificateError::BadEncoding(_))),
        "{got:?}"
    );
}

#[test]
fn no_trust_anchors_means_unknown_issuer() {
    let chain = vec![load("leaf.der"), load("int.der"), load("root.der")];
    let got = verify_server_chain(
        &chain,
        &TrustAnchors::new(),
        &[],
        &localhost(),
        t(),
        Purpose::ServerAuth,
    );
    assert_eq!(got.unwrap_err(), CertificateError::UnknownIssuer);
}

// ---- Keys ----

// The key extracted from the leaf is the one in the leaf's PKCS#8 file.
#[test]
fn leaf_public_key_matches_the_private_key_file() {
    use rsa::pkcs8::DecodePrivateKey;
    let pem = String::from_utf8(load("leaf.key")).unwrap();
    let private = rsa::PrivateKey::from_pkcs8_pem(&pem).unwrap();
    let public = leaf_public_key(&load("leaf.der")).unwrap();
    assert_eq!(public, rsa::PublicKey::from(&private));
    assert_ne!(public, leaf_public_key(&load("leaf-pss.der")).unwrap());
}

// ---- Malformed input: BadEncoding, never a panic ----

fn is_bad_encoding<T: std::fmt::Debug>(r: &Result<T, CertificateError>) -> bool {
    matches!(r, Err(CertificateError::BadEncoding(_)))
}

// RFC 5280 §4.1 (DER): every proper prefix of a certificate is malformed.
#[test]
fn truncated_certificates_are_bad_encoding() {
    let der = load("leaf.der");
    for len in 0..der.len() {
        let chain = vec![der[..len].to_vec(), load("int.der")];
        let got = verify_server_chain(
            &chain,
            &good_roots(),
            &[],
            &localhost(),
            t(),
            Purpose::ServerAuth,
        );
        assert!(is_bad_encoding(&got), "prefix {len}: {got:?}");
        assert!(
            is_bad_encoding(&leaf_public_key(&der[..len])),
            "prefix {len}"
        );
        assert!(TrustAnchors::from_der(&[der[..len].to_vec()]).is_err());
    }
}

#[test]
fn garbage_and_trailing_bytes_are_bad_encoding() {
    let mut trailing = load("leaf.der");
    trailing.push(0);
    let inputs: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x30],
        vec![0x30, 0x80],
        vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        vec![0xff; 64],
        b"-----BEGIN CERTIFICATE-----".to_vec(),
        trailing,
    ];
    for der in inputs {
        let chain = vec![der.clone()];
        let got = verify_server_chain(
            &chain,
            &good_roots(),
            &[],
            &localhost(),
            t(),
            Purpose::ServerAuth,
        );
        assert!(is_bad_encoding(&got), "{der:02x?}: {got:?}");
        assert!(is_bad_encoding(&Crl::from_der(&der)), "{der:02x?}");
    }
    // A malformed intermediate is as fatal as a malformed leaf.
    let chain = vec![load("leaf.der"), vec![0x30, 0x03, 0x02, 0x01]];
    let got = verify_server_chain(
        &chain,
        &good_roots(),
        &[],
        &localhost(),
        t(),
        Purpose::ServerAuth,
    );
    assert!(is_bad_encoding(&got), "{got:?}");
}

// RFC 5280 §5.1 (DER): every proper prefix of a CRL is malformed, and a
// malformed CRL fails the validation it was supplied to.
#[test]
fn truncated_crls_are_bad_encoding() {
    let der = load("int-crl.der");
    let chain = vec![load("leaf.der"), load("int.der")];
    for len in 0..der.len() {
        assert!(is_bad_encoding(&Crl::from_der(&der[..len])), "prefix {len}");
        let crls = vec![der[..len].to_vec()];
        let got = verify_server_chain(
            &chain,
            &good_roots(),
            &crls,
            &localhost(),
            t(),
            Purpose::ServerAuth,
        );
        assert!(is_bad_encoding(&got), "prefix {len}: {got:?}");
    }
}

// Any single corrupted byte of a good leaf is rejected (parse error, bad
// signature, or algorithm mismatch), and never panics.
#[test]
fn every_single_byte_corruption_of_the_leaf_is_rejected() {
    let der = load("leaf.der");
    let roots = good_roots();
    let (name, now) = (localhost(), t());
    for i in 0..der.len() {
        for flip in [0x01u8, 0x80] {
            let mut bad = der.clone();
            bad[i] ^= flip;
            let chain = vec![bad, load("int.der")];
            let got = verify_server_chain(&chain, &roots, &[], &name, now, Purpose::ServerAuth);
            assert!(got.is_err(), "byte {i} ^ {flip:#x} accepted");
        }
    }
}

// Corrupting a CRL anywhere never lets a revoked leaf pass when CRLs are
// required: the CRL is then malformed, badly signed, no longer names the
// issuer (so none covers it), or still lists the leaf.
#[test]
fn every_single_byte_corruption_of_a_crl_is_rejected() {
    let der = load("int-crl.der");
    let roots = good_roots();
    let chain = vec![load("leaf-revoked.der"), load("int.der")];
    let name = localhost();
    let opts = VerifyOptions {
        server_name: Some(&name),
        now: t(),
        purpose: Purpose::ServerAuth,
        revocation: RevocationPolicy::RequireStatus,
        min_rsa_bits: DEFAULT_MIN_RSA_BITS,
        ocsp_staple: None,
        fetched_ocsp: &[],
    };
    for i in 0..der.len() {
        for flip in [0x01u8, 0x80] {
            let mut bad = der.clone();
            bad[i] ^= flip;
            let got = verify_chain(&chain, &roots, &[load("root-crl.der"), bad], &opts);
            assert!(got.is_err(), "byte {i} ^ {flip:#x} accepted");
        }
    }
}

#[test]
fn malformed_trust_anchor_is_bad_encoding() {
    let got = TrustAnchors::from_der(&[load("root.der"), vec![0x30, 0x00]]);
    assert!(is_bad_encoding(&got), "{got:?}");
}

// ---- The strict group (issue 12): keys, structure, name constraints,
// anchors and CRL numbers. Each chain is in vectors/pki/gen.sh, with what
// `openssl verify` says about it. ----

fn run_with_min_rsa_bits(name: &str, min_rsa_bits: usize) -> Result<(), CertificateError> {
    let e = entry(name);
    let mut chain = vec![load(&e.leaf)];
    chain.extend(e.intermediates.iter().map(|f| load(f)));
    let roots = TrustAnchors::from_der(&[load(&e.root)]).unwrap();
    let host = ServerName::parse(e.host.as_deref().unwrap()).unwrap();
    let opts = VerifyOptions {
        server_name: Some(&host),
        now: Time(e.time),
        purpose: Purpose::ServerAuth,
        revocation: RevocationPolicy::CheckIfPresent,
        min_rsa_bits,
        ocsp_staple: None,
        fetched_ocsp: &[],
    };
    verify_chain(&chain, &roots, &[], &opts).map(|_| ())
}

// RFC 5758 §3.2 / RFC 5480: an RSA leaf under an ECDSA intermediate (P-256
// with ecdsa-with-SHA256, P-384 with ecdsa-with-SHA384), as real chains are
// issued; `openssl verify` agrees (vectors/pki/gen.sh).
#[test]
fn accepts_rsa_leaves_under_ecdsa_p256_and_p384_intermediates() {
    for name in ["ecdsa-p256-intermediate", "ecdsa-p384-intermediate"] {
        assert_eq!(run(&entry(name)).map(|_| ()), Ok(()), "{name}");
    }
}

// The same P-256 chain with the last octet of the leaf's ECDSA signature
// flipped: bad_certificate (RFC 5246 §7.2.2 "signatures that did not verify").
#[test]
fn rejects_flipped_ecdsa_chain_signature_with_bad_signature() {
    assert_rejects(
        "ecdsa-bad-signature",
        CertificateError::BadSignature,
        AlertDescription::BadCertificate,
    );
}

// NIST SP 800-57 / CA/B Forum BR §6.1.5: an RSA-1024 intermediate signing
// the leaf is refused by default (OpenSSL 3.0's `verify` accepts it).
#[test]
fn rejects_rsa_1024_intermediate_with_rsa_modulus_too_small() {
    assert_rejects(
        "rsa1024-intermediate",
        CertificateError::RsaModulusTooSmall {
            bits: 1024,
            min: 2048,
        },
        AlertDescription::BadCertificate,
    );
}

// The floor binds the trust anchor's key too: an RSA-1024 root's signature
// on the intermediate is as weak as any other.
#[test]
fn rejects_rsa_1024_trust_anchor_with_rsa_modulus_too_small() {
    assert_rejects(
        "rsa1024-anchor",
        CertificateError::RsaModulusTooSmall {
            bits: 1024,
            min: 2048,
        },
        AlertDescription::BadCertificate,
    );
    assert_eq!(run_with_min_rsa_bits("rsa1024-anchor", 1024), Ok(()));
}

// The leaf's own RSA key meets the same floor.
#[test]
fn rejects_rsa_1024_leaf_with_rsa_modulus_too_small() {
    assert_rejects(
        "rsa1024-leaf",
        CertificateError::RsaModulusTooSmall {
            bits: 1024,
            min: 2048,
        },
        AlertDescription::BadCertificate,
    );
}

// A 2047-bit modulus is not a whole number of bytes: refused as malformed,
// whatever the configured floor.
#[test]
fn rejects_rsa_modulus_not_a_whole_number_of_bytes() {
    assert_rejects(
        "rsa2047-leaf",
        CertificateError::RsaModulusNotWholeBytes { bits: 2047 },
        AlertDescription::BadCertificate,
    );
    assert_eq!(
        run_with_min_rsa_bits("rsa2047-leaf", 1024),
        Err(CertificateError::RsaModulusNotWholeBytes { bits: 2047 })
    );
}

// The floor is configurable: lowered to 1024 the same chains validate, and
// raised above 2048 the reference chain no longer does.
#[test]
fn minimum_rsa_modulus_is_configurable() {
    assert_eq!(run_with_min_rsa_bits("rsa1024-intermediate", 1024), Ok(()));
    assert_eq!(run_with_min_rsa_bits("rsa1024-leaf", 1024), Ok(()));
    assert_eq!(run_with_min_rsa_bits("good-dns", 2048), Ok(()));
    assert_eq!(
        run_with_min_rsa_bits("good-dns", 3072),
        Err(CertificateError::RsaModulusTooSmall {
            bits: 2048,
            min: 3072
        })
    );
}

// The client's verifier (PkiVerifier, what ClientConfig holds) carries the
// floor too: 2048 by default, lowered per verifier.
#[test]
fn pki_verifier_applies_its_minimum_rsa_modulus() {
    use gauntlet_engine::config::{PkiVerifier, ServerCertVerifier};
    use gauntlet_engine::UnixTime;
    let chain = vec![load("leaf-rsa1024.der"), load("int.der")];
    let mut verifier = PkiVerifier::new(&[load("root.der")], vec![]).unwrap();
    assert_eq!(verifier.min_rsa_bits, DEFAULT_MIN_RSA_BITS);
    assert_eq!(
        verifier.verify(&chain, "localhost", None, UnixTime(t().0)),
        Err(CertificateError::RsaModulusTooSmall {
            bits: 1024,
            min: 2048
        })
    );
    verifier.min_rsa_bits = 1024;
    assert_eq!(
        verifier.verify(&chain, "localhost", None, UnixTime(t().0)),
        Ok(())
    );
}

// RFC 3279 §2.3.2: a DSA leaf key is unsupported (and no TLS 1.2 RSA suite
// could use it).
#[test]
fn rejects_dsa_leaf_key_with_unsupported_public_key() {
    assert_rejects(
        "dsa-leaf",
        CertificateError::UnsupportedPublicKey("DSA".into()),
        AlertDescription::UnsupportedCertificate,
    );
}

// P-192 gives 96-bit security: refused as a leaf key.
#[test]
fn rejects_p192_leaf_key_with_unsupported_public_key() {
    let got = run(&entry("p192-leaf")).map(|_| ()).unwrap_err();
    assert!(
        matches!(&got, CertificateError::UnsupportedPublicKey(s) if s.contains("P-192")),
        "{got:?}"
    );
    assert_eq!(
        Error::InvalidCertificate(got).alert(),
        Some(AlertDescription::UnsupportedCertificate)
    );
}

// CA/B Forum BR §7.1.2.7.8: a server certificate with CA:TRUE is refused
// (OpenSSL accepts it as an sslserver).
#[test]
fn rejects_leaf_with_ca_true_with_leaf_is_ca() {
    assert_rejects(
        "ca-leaf",
        CertificateError::LeafIsCa,
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §4.2.1.1: a certificate that is not self-signed carries an AKI.
#[test]
fn rejects_leaf_without_authority_key_identifier() {
    assert_rejects(
        "leaf-without-aki",
        CertificateError::MissingAuthorityKeyIdentifier,
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §4.2.1.1: "Conforming CAs MUST mark this extension as non-critical."
#[test]
fn rejects_critical_authority_key_identifier() {
    assert_rejects(
        "leaf-critical-aki",
        CertificateError::CriticalKeyIdentifier,
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §4.2.1.2: the SKI "MUST appear in all conforming CA certificates".
#[test]
fn rejects_intermediate_without_subject_key_identifier() {
    assert_rejects(
        "intermediate-without-ski",
        CertificateError::MissingSubjectKeyIdentifier,
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §4.2.1.2: the SKI MUST be non-critical.
#[test]
fn rejects_intermediate_with_critical_subject_key_identifier() {
    assert_rejects(
        "intermediate-critical-ski",
        CertificateError::CriticalKeyIdentifier,
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §4.1.2.2: the serial is a positive integer of at most 20 octets.
#[test]
fn rejects_serial_numbers_zero_negative_or_over_20_octets() {
    for name in ["serial-zero", "serial-negative", "serial-21-octets"] {
        assert_rejects(
            name,
            CertificateError::BadSerialNumber,
            AlertDescription::BadCertificate,
        );
    }
}

// 20 octets of value with the top bit set need a sign octet: 21 content
// octets, still a conforming serial.
#[test]
fn accepts_20_octet_serial_with_sign_octet() {
    assert_ok("serial-20-octets-top-bit");
}

// RFC 5280 §4.2.1.6: an empty subject needs a critical subjectAltName.
#[test]
fn rejects_empty_subject_with_non_critical_san() {
    assert_rejects(
        "empty-subject-noncritical-san",
        CertificateError::EmptySubjectWithoutCriticalSan,
        AlertDescription::BadCertificate,
    );
    assert_ok("empty-subject-critical-san");
}

// RFC 5280 §4.2.1.6 (RFC 1034 preferred name syntax), CA/B Forum BR
// §7.1.4.2.1: no underscore in a SAN dNSName, even beside a good name.
#[test]
fn rejects_underscore_in_san_dns_name() {
    assert_rejects(
        "underscore-in-san",
        CertificateError::MalformedSanDnsName("a_b.example.test".into()),
        AlertDescription::BadCertificate,
    );
}

// CA/B Forum BR §7.1.2.7.10: a subscriber's EKU is not critical.
#[test]
fn rejects_leaf_with_critical_extended_key_usage() {
    assert_rejects(
        "critical-eku-leaf",
        CertificateError::CriticalExtendedKeyUsage,
        AlertDescription::BadCertificate,
    );
}

// CA/B Forum BR §7.1.2.7.10: anyExtendedKeyUsage MUST NOT be in a
// subscriber certificate, alone or beside serverAuth (OpenSSL accepts the
// latter).
#[test]
fn rejects_leaf_with_any_extended_key_usage() {
    for name in ["any-eku-only-leaf", "any-eku-with-server-auth"] {
        assert_rejects(
            name,
            CertificateError::LeafAnyExtendedKeyUsage,
            AlertDescription::BadCertificate,
        );
    }
}

// RFC 5280 §4.2.1.10: names inside a critical permitted dNSName and
// iPAddress subtree validate (these chains were refused outright before).
#[test]
fn accepts_names_inside_permitted_subtrees() {
    assert_ok("nc-permitted-names");
    assert_ok("nc-permitted-ip");
}

// RFC 5280 §4.2.1.10: every SAN must be inside the permitted subtrees of its
// form, not only the one that matches the reference name.
#[test]
fn rejects_dns_and_ip_names_outside_permitted_subtrees() {
    assert_rejects(
        "nc-dns-outside-permitted",
        CertificateError::NameConstraintViolation("dNSName other.test".into()),
        AlertDescription::BadCertificate,
    );
    assert_rejects(
        "nc-ip-outside-permitted",
        CertificateError::NameConstraintViolation("iPAddress [0a, 00, 00, 01]".into()),
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §6.1.1 (the anchor's constraints, when the anchor has them) and
// §6.1.4 (g): a trust anchor's name constraints bind the whole path, here
// through an unconstrained intermediate to the leaf two levels below.
#[test]
fn applies_trust_anchor_name_constraints_through_the_path() {
    assert_ok("nc-anchor-permitted-two-below");
    assert_rejects(
        "nc-anchor-violation-two-below",
        CertificateError::NameConstraintViolation("dNSName other.test".into()),
        AlertDescription::BadCertificate,
    );
}

// Our choice: for a leaf without subjectAltName the subject CN counts as a
// dNSName for name constraints (as OpenSSL does), though we never match a
// reference name against it.
#[test]
fn applies_dns_constraints_to_the_cn_of_a_leaf_without_san() {
    assert_ok("nc-cn-inside-permitted-no-san");
    assert_rejects(
        "nc-cn-outside-permitted-no-san",
        CertificateError::NameConstraintViolation("dNSName other.test".into()),
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §4.2.1.10: excluded subtrees, in a non-critical extension, bind
// too; names outside them pass.
#[test]
fn rejects_names_inside_excluded_subtrees() {
    assert_ok("nc-not-excluded");
    assert_rejects(
        "nc-dns-excluded",
        CertificateError::NameConstraintViolation("dNSName bad.example.test".into()),
        AlertDescription::BadCertificate,
    );
    assert_rejects(
        "nc-ip-excluded",
        CertificateError::NameConstraintViolation("iPAddress [7f, 00, 00, 02]".into()),
        AlertDescription::BadCertificate,
    );
}

// `*.example.test` covers the excluded `bad.example.test`: refused (OpenSSL
// compares the wildcard as a literal label and accepts it).
#[test]
fn rejects_wildcard_that_covers_an_excluded_name() {
    assert_rejects(
        "nc-wildcard-covers-excluded",
        CertificateError::NameConstraintViolation("dNSName *.example.test".into()),
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §4.2.1.10: a constraint on a form we do not process (URI) with a
// name of that form below it must be processed or the certificate refused;
// without such a name the chain is fine.
#[test]
fn refuses_uri_constraint_when_a_uri_name_is_below_it() {
    assert_rejects(
        "nc-uri-constraint-uri-san",
        CertificateError::UnsupportedNameConstraint("uniformResourceIdentifier".into()),
        AlertDescription::UnsupportedCertificate,
    );
    assert_ok("nc-uri-constraint-no-uri");
}

// RFC 5280 §4.2.1.10: a directoryName subtree is a prefix of RDNs; it binds
// the subject of every certificate below.
#[test]
fn applies_directory_name_constraints_to_the_subject() {
    assert_ok("nc-dirname-inside");
    assert_rejects(
        "nc-dirname-outside",
        CertificateError::NameConstraintViolation("directoryName".into()),
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §4.2.1.10: an rfc822Name host constraint covers mailboxes on
// that host only.
#[test]
fn applies_email_constraints_to_rfc822_names() {
    assert_ok("nc-email-inside");
    assert_rejects(
        "nc-email-outside",
        CertificateError::NameConstraintViolation("rfc822Name x@other.test".into()),
        AlertDescription::BadCertificate,
    );
}

// RFC 5280 §5.2.3: a CRL without a cRLNumber is not used; with no other CRL
// for the issuer, the status is unknown.
#[test]
fn rejects_crl_without_crl_number() {
    assert_rejects(
        "crl-without-number",
        CertificateError::CrlMissingNumber,
        AlertDescription::CertificateUnknown,
    );
}

// RFC 5280 §5.2.3: the cRLNumber MUST be non-critical.
#[test]
fn rejects_crl_with_critical_crl_number() {
    assert_rejects(
        "crl-critical-number",
        CertificateError::CrlNumberCritical,
        AlertDescription::CertificateUnknown,
    );
}

// A good CRL for the same issuer still makes the check usable.
#[test]
fn a_numbered_crl_outweighs_one_without_a_number() {
    let chain = vec![load("leaf.der"), load("int.der")];
    let crls = vec![load("int-nonumber-crl.der"), load("int-crl.der")];
    verify_server_chain(
        &chain,
        &good_roots(),
        &crls,
        &localhost(),
        t(),
        Purpose::ServerAuth,
    )
    .unwrap();
}

// Anchor policy: an anchor expired at the validation time is refused (as
// OpenSSL and pyca-cryptography do; rustls-webpki does not look). At a time
// inside its validity the same chain validates.
#[test]
fn rejects_expired_trust_anchor_and_accepts_it_while_valid() {
    assert_rejects(
        "expired-anchor",
        CertificateError::TrustAnchorExpired,
        AlertDescription::CertificateExpired,
    );
    let chain = vec![
        load("leaf-under-expired-root.der"),
        load("int-under-expired-root.der"),
    ];
    let roots = TrustAnchors::from_der(&[load("root-expired.der")]).unwrap();
    // 2026-03-01T00:00:00Z: leaf, intermediate and root all valid.
    let at = |secs| {
        verify_server_chain(
            &chain,
            &roots,
            &[],
            &localhost(),
            Time(secs),
            Purpose::ServerAuth,
        )
        .map(|_| ())
    };
    assert_eq!(at(1_772_323_200), Ok(()));
}

// Anchor policy: a v3 anchor must assert CA:TRUE (OpenSSL 3.0 accepts this
// root because its keyUsage has keyCertSign).
#[test]
fn rejects_v3_trust_anchor_without_basic_constraints() {
    assert_rejects(
        "anchor-without-basic-constraints",
        CertificateError::TrustAnchorNotCa,
        AlertDescription::UnknownCa,
    );
}
