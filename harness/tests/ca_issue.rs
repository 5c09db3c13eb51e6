//! The CA peer's certificates and CRLs (`harness::ca::{reissue, CrlSpec}`):
//! a reissued leaf or intermediate still chains to the test root and names
//! the responders it was given, and each CRL knob gives the verdict RFC 5280
//! names, from the engine's validator and from `openssl verify`.
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use gauntlet_engine::pki::{
    revocation_queries, verify_chain, Purpose, RevocationPolicy, ServerName, StatusQuery, Time,
    TrustAnchors, VerifyOptions, DEFAULT_MIN_RSA_BITS,
};
use gauntlet_engine::{CertificateError, Provider};
use gauntlet_harness::ca::{reissue, CrlSpec, ReissueSpec, Signer};
use std::path::PathBuf;
use std::process::Command;
use x509_parser::prelude::{FromDer, X509Certificate};

const NOW: u64 = 1_798_761_600;
const OCSP_URL: &str = "http://127.0.0.1:1/ocsp";
const CRL_URL: &str = "http://127.0.0.1:1/int.crl";

fn der(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../vectors/pki/{name}.der",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn rng() -> Provider {
    Provider::from_seed([7; 32])
}

fn spec(serial: &[u8], ocsp: &[&str], crl: &[&str]) -> ReissueSpec {
    ReissueSpec {
        serial: serial.to_vec(),
        ocsp_urls: ocsp.iter().map(|s| s.to_string()).collect(),
        crl_urls: crl.iter().map(|s| s.to_string()).collect(),
    }
}

/// `leaf` under the intermediate again, serial 0x4711, with AIA and CDP.
fn reissued_leaf() -> Vec<u8> {
    let int = Signer::test_intermediate().unwrap();
    let spec = spec(&[0x47, 0x11], &[OCSP_URL], &[CRL_URL]);
    reissue(&der("leaf"), &int, &spec, &mut rng()).unwrap()
}

fn serial_of(cert: &[u8]) -> Vec<u8> {
    let (_, c) = X509Certificate::from_der(cert).unwrap();
    c.tbs_certificate.raw_serial().to_vec()
}

/// `f` with the test root as anchor and options for "localhost" at NOW.
fn with_opts<T>(
    revocation: RevocationPolicy,
    f: impl FnOnce(&TrustAnchors, &VerifyOptions<'_>) -> T,
) -> T {
    let roots = TrustAnchors::from_der(&[der("root")]).unwrap();
    let name = ServerName::parse("localhost").unwrap();
    let opts = VerifyOptions {
        server_name: Some(&name),
        now: Time(NOW),
        purpose: Purpose::ServerAuth,
        revocation,
        min_rsa_bits: DEFAULT_MIN_RSA_BITS,
        ocsp_staple: None,
        fetched_ocsp: &[],
    };
    f(&roots, &opts)
}

/// The engine's verdict on `chain` with `crls`.
fn engine(
    chain: &[Vec<u8>],
    crls: &[Vec<u8>],
    revocation: RevocationPolicy,
) -> Result<(), CertificateError> {
    with_opts(revocation, |roots, opts| {
        verify_chain(chain, roots, crls, opts).map(|_| ())
    })
}

/// What the engine says may be fetched for `chain`'s path.
fn queries(chain: &[Vec<u8>]) -> Vec<StatusQuery> {
    with_opts(RevocationPolicy::CheckIfPresent, |roots, opts| {
        revocation_queries(chain, roots, opts).unwrap()
    })
}

/// A directory of PEM files for `openssl`, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(test: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("gauntlet-ca-issue-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }

    /// Writes `der` as PEM to `file`; its path.
    fn pem(&self, file: &str, label: &str, der: &[u8]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let text = format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        );
        let path = self.0.join(file);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `openssl ARGS`' stdout and stderr, or None (with a note) if there is no
/// `openssl` on PATH.
fn openssl(args: &[&str]) -> Option<String> {
    let out = match Command::new("openssl").args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("note: openssl is not on PATH; its check is skipped");
            return None;
        }
        Err(e) => panic!("openssl: {e}"),
    };
    Some(String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned())
}

/// `openssl verify` of `leaf` at NOW against root.pem, with `int` as the
/// untrusted intermediate and, if `crls` is not empty, `-crl_check_all`.
fn openssl_verify(dir: &Dir, leaf: &[u8], int: &[u8], crls: &[Vec<u8>]) -> Option<String> {
    let leaf = dir.pem("leaf.pem", "CERTIFICATE", leaf);
    let int = dir.pem("int.pem", "CERTIFICATE", int);
    let root = format!("{}/../vectors/pki/root.pem", env!("CARGO_MANIFEST_DIR"));
    let now = NOW.to_string();
    let files: Vec<String> = crls
        .iter()
        .enumerate()
        .map(|(i, c)| dir.pem(&format!("crl{i}.pem"), "X509 CRL", c))
        .collect();
    let mut args = vec![
        "verify",
        "-attime",
        &now,
        "-CAfile",
        &root,
        "-untrusted",
        &int,
    ];
    if !files.is_empty() {
        args.push("-crl_check_all");
    }
    for f in &files {
        args.extend(["-CRLfile", f.as_str()]);
    }
    args.push(&leaf);
    openssl(&args)
}

#[test]
fn reissued_leaf_verifies_under_the_intermediate_and_names_its_responders() {
    let leaf = reissued_leaf();
    let chain = [leaf.clone(), der("int")];
    engine(&chain, &[], RevocationPolicy::CheckIfPresent).unwrap();
    let queries = queries(&chain);
    assert_eq!(queries.len(), 2, "leaf and intermediate");
    assert_eq!(queries[0].cert, leaf);
    assert_eq!(queries[0].ocsp_urls, [OCSP_URL]);
    assert_eq!(queries[0].crl_urls, [CRL_URL]);

    let dir = Dir::new("leaf");
    if let Some(out) = openssl_verify(&dir, &leaf, &der("int"), &[]) {
        assert!(out.contains(": OK"), "{out}");
    }
    let path = dir.pem("reissued.pem", "CERTIFICATE", &leaf);
    let ext = "authorityInfoAccess,crlDistributionPoints";
    if let Some(out) = openssl(&["x509", "-noout", "-in", &path, "-ext", ext]) {
        assert!(out.contains(&format!("OCSP - URI:{OCSP_URL}")), "{out}");
        assert!(out.contains(&format!("URI:{CRL_URL}")), "{out}");
    }
}

#[test]
fn reissue_keeps_the_template_but_serial_issuer_aia_and_cdp() {
    let template = der("leaf");
    let leaf = reissued_leaf();
    let (_, old) = X509Certificate::from_der(&template).unwrap();
    let (_, new) = X509Certificate::from_der(&leaf).unwrap();
    let (old, new) = (&old.tbs_certificate, &new.tbs_certificate);
    assert_eq!(new.raw_serial(), [0x47, 0x11]);
    assert_eq!(new.version, old.version);
    assert_eq!(new.issuer.as_raw(), old.issuer.as_raw(), "int's subject");
    assert_eq!(new.subject.as_raw(), old.subject.as_raw());
    assert_eq!(new.subject_pki.raw, old.subject_pki.raw);
    assert_eq!(new.validity, old.validity);
    // The template's extensions, in order, then AIA and CDP.
    let kept = old.extensions().len();
    assert_eq!(new.extensions()[..kept], old.extensions()[..]);
    let added: Vec<String> = new.extensions()[kept..]
        .iter()
        .map(|e| e.oid.to_id_string())
        .collect();
    assert_eq!(added, ["1.3.6.1.5.5.7.1.1", "2.5.29.31"]);

    // Reissuing the reissued leaf replaces its AIA and CDP; no URLs, none.
    let int = Signer::test_intermediate().unwrap();
    let bare = reissue(&leaf, &int, &spec(&[0x80], &[], &[]), &mut rng()).unwrap();
    let (_, bare) = X509Certificate::from_der(&bare).unwrap();
    assert_eq!(bare.tbs_certificate.raw_serial(), [0, 0x80], "sign octet");
    assert_eq!(bare.extensions()[..], old.extensions()[..]);
    let other = spec(&[0, 0, 5], &["http://127.0.0.1:2/o"], &[]);
    let other = reissue(&leaf, &int, &other, &mut rng()).unwrap();
    assert_eq!(serial_of(&other), [5], "leading zeros dropped");
    let queries = queries(&[other, der("int")]);
    assert_eq!(queries[0].ocsp_urls, ["http://127.0.0.1:2/o"]);
    assert!(queries[0].crl_urls.is_empty());

    let zero = spec(&[0, 0], &[], &[]);
    assert!(reissue(&template, &int, &zero, &mut rng()).is_err());
    let truncated = &template[..100];
    assert!(reissue(truncated, &int, &spec(&[1], &[], &[]), &mut rng()).is_err());
}

#[test]
fn each_crl_knob_gives_the_verdict_rfc_5280_names() {
    let int = Signer::test_intermediate().unwrap();
    let chain = [der("leaf"), der("int")];
    let good = CrlSpec::good(NOW);
    let with = |f: &dyn Fn(&mut CrlSpec)| {
        let mut s = good.clone();
        f(&mut s);
        s
    };
    let leaf_serial = serial_of(&der("leaf"));
    let cases: Vec<(&str, CrlSpec, Result<(), CertificateError>)> = vec![
        ("good", good.clone(), Ok(())),
        (
            "revokes the leaf",
            with(&|s| s.revoked = vec![(vec![0x12], NOW - 99), (leaf_serial.clone(), NOW)]),
            Err(CertificateError::Revoked),
        ),
        (
            "revokes another serial",
            with(&|s| s.revoked = vec![(vec![0x12], NOW - 99)]),
            Ok(()),
        ),
        (
            "corrupted signature",
            with(&|s| s.corrupt_signature = true),
            Err(CertificateError::CrlBadSignature),
        ),
        // RFC 5280 §5.2.3: "conforming CRL issuers MUST include" cRLNumber.
        (
            "no cRLNumber",
            with(&|s| s.crl_number = None),
            Err(CertificateError::CrlMissingNumber),
        ),
        // §5.1.2.5: conforming CRL issuers MUST include nextUpdate.
        (
            "no nextUpdate",
            with(&|s| s.next_update = None),
            Err(CertificateError::CrlExpired),
        ),
        (
            "past nextUpdate",
            with(&|s| s.next_update = Some(NOW - 1)),
            Err(CertificateError::CrlExpired),
        ),
        (
            "thisUpdate ahead",
            with(&|s| s.this_update = NOW + 60),
            Err(CertificateError::CrlExpired),
        ),
        // The engine finds a CRL's issuer by name; the AKI is optional.
        (
            "no AKI",
            with(&|s| s.authority_key_identifier = false),
            Ok(()),
        ),
    ];
    for (what, spec, want) in cases {
        let crl = spec.build(&int, &mut rng()).unwrap();
        let got = engine(&chain, &[crl], RevocationPolicy::CheckIfPresent);
        assert_eq!(got, want, "{what}");
    }
    // Hard-fail: the good CRL is the leaf's status, the test PKI's root CRL
    // the intermediate's; without the latter the intermediate has none.
    let crl = good.build(&int, &mut rng()).unwrap();
    let both = [crl.clone(), der("root-crl")];
    engine(&chain, &both, RevocationPolicy::RequireStatus).unwrap();
    assert_eq!(
        engine(&chain, &[crl], RevocationPolicy::RequireStatus),
        Err(CertificateError::RevocationStatusUnknown)
    );
}

#[test]
fn openssl_agrees_on_the_intermediates_crls_but_the_unnumbered_one() {
    let int = Signer::test_intermediate().unwrap();
    let dir = Dir::new("crl");
    let verdict = |spec: &CrlSpec| {
        let crl = spec.build(&int, &mut rng()).unwrap();
        openssl_verify(&dir, &der("leaf"), &der("int"), &[crl, der("root-crl")])
    };
    let good = CrlSpec::good(NOW);
    let Some(out) = verdict(&good) else { return };
    assert!(out.contains(": OK"), "good: {out}");

    let mut revoked = good.clone();
    revoked.revoked = vec![(serial_of(&der("leaf")), NOW - 86_400)];
    let out = verdict(&revoked).unwrap();
    assert!(out.contains("certificate revoked"), "revoked: {out}");

    let mut corrupt = good.clone();
    corrupt.corrupt_signature = true;
    let out = verdict(&corrupt).unwrap();
    assert!(out.contains("CRL signature failure"), "corrupt: {out}");

    // OpenSSL uses a CRL without cRLNumber; the engine refuses it.
    let mut unnumbered = good.clone();
    unnumbered.crl_number = None;
    let out = verdict(&unnumbered).unwrap();
    assert!(out.contains(": OK"), "no cRLNumber: {out}");
}

#[test]
fn root_crl_revoking_a_reissued_intermediate_breaks_the_chain() {
    let root = Signer::test_root().unwrap();
    let serial = [0x10, 0x42];
    let cdp = "http://127.0.0.1:1/root.crl";
    let int = reissue(&der("int"), &root, &spec(&serial, &[], &[cdp]), &mut rng()).unwrap();
    let chain = [der("leaf"), int.clone()];
    engine(&chain, &[], RevocationPolicy::CheckIfPresent).unwrap();
    let queries = queries(&chain);
    assert_eq!(queries[1].cert, int);
    assert_eq!(queries[1].crl_urls, [cdp]);

    let mut spec = CrlSpec::good(NOW);
    let unlisted = spec.build(&root, &mut rng()).unwrap();
    spec.revoked = vec![(serial.to_vec(), NOW - 86_400)];
    let listed = spec.build(&root, &mut rng()).unwrap();
    // Soft-fail: the leaf has no CRL here, the intermediate's level decides.
    let soft = RevocationPolicy::CheckIfPresent;
    engine(&chain, std::slice::from_ref(&unlisted), soft).unwrap();
    assert_eq!(
        engine(&chain, std::slice::from_ref(&listed), soft),
        Err(CertificateError::Revoked)
    );
    // The original intermediate, another serial, is not listed.
    engine(
        &[der("leaf"), der("int")],
        std::slice::from_ref(&listed),
        soft,
    )
    .unwrap();

    let int_crl = CrlSpec::good(NOW)
        .build(&Signer::test_intermediate().unwrap(), &mut rng())
        .unwrap();
    let dir = Dir::new("root-crl");
    let check =
        |crl: &[u8]| openssl_verify(&dir, &der("leaf"), &int, &[int_crl.clone(), crl.to_vec()]);
    if let Some(out) = check(&unlisted) {
        assert!(out.contains(": OK"), "unlisted: {out}");
        let out = check(&listed).unwrap();
        assert!(out.contains("certificate revoked"), "listed: {out}");
    }
}
