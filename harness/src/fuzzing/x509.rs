//! The `x509` target: chain validation on fuzzed DER.

use super::fixtures::{test_roots, GENUINE_CERTS, NOW, ROOT_DER};
use super::split_chunks;
use gauntlet_engine::pki::{self, Purpose, RevocationPolicy, VerifyOptions};

/// `pki::verify_chain` on DER blobs ([`split_chunks`] after two bytes).
/// Byte 0: bits 0–2 the number of chain certificates minus one (the other
/// blobs are CRLs), bit 3 clientAuth, bit 4 RequireStatus, bits 5–6 the
/// name, bit 7: the last blob is an OCSP staple for the leaf, not a CRL.
/// Byte 1: the time (NOW, 0, far future, NOW shifted).
///
/// Invariants: a verified path starts at the presented leaf, ends at the
/// test root, consists of presented certificates and the root, and every
/// certificate on it is a genuine test-PKI certificate (a fuzzer cannot
/// forge a signature, so anything else verifying is a validation bug).
pub fn x509(data: &[u8]) {
    let [flags, time, rest @ ..] = data else {
        return;
    };
    let blobs: Vec<Vec<u8>> = split_chunks(rest).into_iter().map(<[u8]>::to_vec).collect();
    let n_chain = (usize::from(flags & 7) + 1).min(blobs.len());
    let (chain, mut crls) = blobs.split_at(n_chain);
    let mut staple = None;
    if flags & 0x80 != 0 {
        if let Some((last, rest)) = crls.split_last() {
            staple = Some(last.as_slice());
            crls = rest;
        }
    }
    let names = ["localhost", "127.0.0.1", "a.example.test", ""];
    let name = pki::ServerName::parse(names[usize::from(flags >> 5) & 3]).ok();
    let now = match time & 3 {
        0 => NOW.0,
        1 => 0,
        2 => u64::MAX,
        _ => NOW.0.wrapping_add(u64::from(*time) << 22),
    };
    let opts = VerifyOptions {
        server_name: name.as_ref(),
        now: pki::Time(now),
        purpose: if flags & 8 != 0 {
            Purpose::ClientAuth
        } else {
            Purpose::ServerAuth
        },
        revocation: if flags & 16 != 0 {
            RevocationPolicy::RequireStatus
        } else {
            RevocationPolicy::CheckIfPresent
        },
        min_rsa_bits: pki::DEFAULT_MIN_RSA_BITS,
        ocsp_staple: staple,
        fetched_ocsp: &[],
    };
    if let Ok(path) = pki::verify_chain(chain, test_roots(), crls, &opts) {
        assert_eq!(
            Some(path.leaf()),
            chain.first().map(Vec::as_slice),
            "path leaf"
        );
        assert_eq!(path.anchor(), ROOT_DER, "path anchor");
        for cert in path.certs() {
            assert!(
                cert.as_slice() == ROOT_DER || chain.iter().any(|c| c == cert),
                "path certificate that was not presented"
            );
            assert!(
                GENUINE_CERTS.contains(&cert.as_slice()),
                "a certificate the test PKI did not sign verified"
            );
        }
    }
    for b in &blobs {
        let _ = pki::leaf_public_key(b);
        let _ = pki::Crl::from_der(b);
    }
}
