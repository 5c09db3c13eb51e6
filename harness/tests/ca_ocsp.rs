//! The CA peer's OCSP responses (`harness::ca`): each knob gives the
//! response the engine's verifier judges as RFC 6960 says, and the correct
//! ones are also accepted by an independent verifier, `openssl ocsp -respin`.
#![allow(clippy::unwrap_used)]

use gauntlet_engine::crypto::rsa_kx::private_key_from_pem;
use gauntlet_engine::error::OcspError;
use gauntlet_engine::pki::ocsp::{verify_response, CertStatus, OcspOptions};
use gauntlet_engine::pki::Time;
use gauntlet_engine::Provider;
use gauntlet_harness::ca::{CertIdHashSpec, OcspResponseSpec, ResponderIdSpec, Signer, StatusSpec};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

fn der(name: &str) -> Vec<u8> {
    std::fs::read(repo(&format!("vectors/pki/{name}.der"))).unwrap()
}

/// The delegated responder of vectors/ocsp (id-kp-OCSPSigning, issued by the
/// intermediate; made by vectors/gen/gen_ocsp.py).
fn delegate(name: &str) -> Signer {
    let pem = std::fs::read(repo(&format!("vectors/ocsp/{name}.pem"))).unwrap();
    let cert = gauntlet_engine::pki::pem::der_blocks(&pem, "CERTIFICATE").unwrap()[0].clone();
    let key = std::fs::read_to_string(repo(&format!("vectors/ocsp/{name}.key"))).unwrap();
    Signer {
        cert,
        key: Arc::new(private_key_from_pem(&key).unwrap()),
    }
}

const NOW: u64 = 1_798_761_600;

fn judge(spec: &OcspResponseSpec, leaf: &str, signer: &Signer) -> Result<CertStatus, OcspError> {
    let mut rng = Provider::from_seed([7; 32]);
    let response = spec
        .build(&der(leaf), &der("int"), signer, &mut rng)
        .unwrap();
    let mut opts = OcspOptions::at(Time(NOW));
    opts.nonce = Some(&[1; 16]);
    verify_response(&response, &der(leaf), &der("int"), &opts).map(|v| v.status)
}

#[test]
fn each_knob_gives_the_verdict_rfc_6960_names() {
    let ca = Signer::test_intermediate().unwrap();
    let good = OcspResponseSpec::good(NOW);
    let with = |f: &dyn Fn(&mut OcspResponseSpec)| {
        let mut s = good.clone();
        f(&mut s);
        s
    };
    let revoked = StatusSpec::Revoked {
        at: NOW - 86_400,
        reason: Some(1),
    };
    let cases: Vec<(&str, OcspResponseSpec, &str, Result<CertStatus, OcspError>)> = vec![
        ("good", good.clone(), "leaf", Ok(CertStatus::Good)),
        (
            "revoked",
            with(&|s| s.status = revoked),
            "leaf-revoked",
            Ok(CertStatus::Revoked {
                at: Time(NOW - 86_400),
                reason: Some(1),
            }),
        ),
        (
            "unknown",
            with(&|s| s.status = StatusSpec::Unknown),
            "leaf",
            Ok(CertStatus::Unknown),
        ),
        (
            "by key",
            with(&|s| s.responder_id = ResponderIdSpec::ByKey),
            "leaf",
            Ok(CertStatus::Good),
        ),
        (
            "SHA-256 CertID",
            with(&|s| s.hash = CertIdHashSpec::Sha256),
            "leaf",
            Ok(CertStatus::Good),
        ),
        (
            "nonce echoed",
            with(&|s| s.nonce = Some(vec![1; 16])),
            "leaf",
            Ok(CertStatus::Good),
        ),
        (
            "nonce differs",
            with(&|s| s.nonce = Some(vec![2; 16])),
            "leaf",
            Err(OcspError::NonceMismatch),
        ),
        (
            "expired",
            with(&|s| {
                s.this_update = NOW - 8 * 86_400;
                s.next_update = Some(NOW - 1);
            }),
            "leaf",
            Err(OcspError::Expired),
        ),
        (
            "not yet valid",
            with(&|s| s.this_update = NOW + 60),
            "leaf",
            Err(OcspError::NotYetValid),
        ),
        (
            "no nextUpdate, fresh",
            with(&|s| s.next_update = None),
            "leaf",
            Ok(CertStatus::Good),
        ),
        (
            "no nextUpdate, two days old",
            with(&|s| {
                s.this_update = NOW - 2 * 86_400;
                s.next_update = None;
            }),
            "leaf",
            Err(OcspError::Expired),
        ),
        (
            "another certificate's serial",
            with(&|s| s.serial = Some(vec![0x7f, 0x7f])),
            "leaf",
            Err(OcspError::NoMatchingResponse),
        ),
        (
            "critical unknown extension",
            with(&|s| s.critical_unknown_extension = true),
            "leaf",
            Err(OcspError::UnhandledCriticalExtension(String::new())),
        ),
        (
            "corrupt signature",
            with(&|s| s.corrupt_signature = true),
            "leaf",
            Err(OcspError::BadSignature),
        ),
        (
            "tryLater",
            with(&|s| s.response_status = 3),
            "leaf",
            Err(OcspError::ResponderStatus(3)),
        ),
    ];
    for (what, spec, leaf, want) in cases {
        let got = judge(&spec, leaf, &ca);
        match (&want, &got) {
            // The OID's hex is checked by its prefix only.
            (
                Err(OcspError::UnhandledCriticalExtension(_)),
                Err(OcspError::UnhandledCriticalExtension(oid)),
            ) => {
                assert!(oid.starts_with("2b0601040183"), "{what}: {oid}")
            }
            _ => assert_eq!(got, want, "{what}"),
        }
    }

    // A delegated responder (RFC 6960 §4.2.2.2): good with its certificate
    // in `certs`; without it, or without id-kp-OCSPSigning, unauthorised.
    let mut delegated = good.clone();
    delegated.include_signer_cert = true;
    assert_eq!(
        judge(&delegated, "leaf", &delegate("responder")),
        Ok(CertStatus::Good)
    );
    assert!(matches!(
        judge(&delegated, "leaf", &delegate("responder-noeku")),
        Err(OcspError::UnauthorizedSigner(_))
    ));
    assert!(matches!(
        judge(&good, "leaf", &delegate("responder")),
        Err(OcspError::UnauthorizedSigner(_))
    ));
}

/// `openssl ocsp -respin` accepts the CA peer's good and revoked responses
/// (signature, CertID, times at the clock) and reads the status we built.
#[test]
fn openssl_verifies_the_ca_peers_responses() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ca = Signer::test_intermediate().unwrap();
    let dir = std::env::temp_dir().join(format!("gauntlet-ca-ocsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (leaf, status, want) in [
        ("leaf", StatusSpec::Good, "good"),
        (
            "leaf-revoked",
            StatusSpec::Revoked {
                at: now - 86_400,
                reason: Some(1),
            },
            "revoked",
        ),
    ] {
        let mut spec = OcspResponseSpec::good(now);
        spec.status = status;
        let mut rng = Provider::from_seed([9; 32]);
        let response = spec.build(&der(leaf), &der("int"), &ca, &mut rng).unwrap();
        let path = dir.join(format!("{leaf}.der"));
        std::fs::write(&path, response).unwrap();
        let out = Command::new("openssl")
            .args(["ocsp", "-no_nonce", "-respin"])
            .arg(&path)
            .arg("-issuer")
            .arg(repo("vectors/pki/int.pem"))
            .arg("-cert")
            .arg(repo(&format!("vectors/pki/{leaf}.pem")))
            .arg("-CAfile")
            .arg(repo("vectors/pki/root.pem"))
            .output()
            .expect("openssl (ci/test.sh installs it)");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("Response verify OK"), "{leaf}: {stderr}");
        assert!(
            stdout.contains(&format!(".pem: {want}")),
            "{leaf}: {stdout}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
