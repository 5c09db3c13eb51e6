//! The AWS-LC crypto provider (feature `aws-lc`, issue 15): the record
//! AEADs (AES-GCM, ChaCha20-Poly1305) from aws-lc-rs, and an RSA private
//! key ([`AwsLcRsaKey`]) whose PKCS#1 v1.5 decryption is AWS-LC's.
//!
//! What stays ours, whatever the backend:
//! - the RFC 5246 §7.4.7.1 countermeasure (the version check and the
//!   constant-time choice of the random premaster), in
//!   [`crate::crypto::decrypt_premaster`];
//! - the PRF, ECDH and signature verification, delegated to [`RustCrypto`]:
//!   AWS-LC's HMAC through aws-lc-rs measured slower than `hmac`/`sha2` for
//!   the PRF's short inputs here (3.75 µs against 1.73 µs for a master
//!   secret, `cargo bench -p gauntlet-engine --bench crypto --features aws-lc`),
//!   and ECDH must derive its key from the engine's injected seed, which
//!   aws-lc-rs's ephemeral agreement does not accept.

use super::kx::ActiveKeyExchange;
use super::prf::PrfHash;
use super::rsa_kx::{Pkcs1Plaintext, RsaDecrypt};
use super::sig::{Scheme, SigError};
use crate::enums::NamedGroup;
use crate::error::Error;
use crate::provider::{CryptoProvider, Provider, RecordAead, RustCrypto};
use crate::record::protection::TAG_LEN;
use aws_lc_rs::aead::{
    Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM, AES_256_GCM, CHACHA20_POLY1305,
};
use aws_lc_rs::rsa::{Pkcs1PrivateDecryptingKey, PrivateDecryptingKey};
use rsa::pkcs8::EncodePrivateKey;
use std::fmt;
use subtle::Choice;
use zeroize::Zeroizing;

/// The provider: AWS-LC's AEADs; PRF, ECDH and signatures as [`RustCrypto`].
#[derive(Clone, Copy, Debug, Default)]
pub struct AwsLc;

impl CryptoProvider for AwsLc {
    fn prf(&self, hash: PrfHash, secret: &[u8], label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
        RustCrypto.prf(hash, secret, label, seed, out)
    }

    fn record_aead(&self, key: &[u8]) -> Result<Box<dyn RecordAead>, Error> {
        let alg = match key.len() {
            16 => &AES_128_GCM,
            32 => &AES_256_GCM,
            _ => return Err(Error::Internal("AES-GCM key must be 16 or 32 bytes")),
        };
        AwsLcAead::boxed(alg, key, "AES-GCM")
    }

    fn chacha20_poly1305(&self, key: &[u8]) -> Result<Box<dyn RecordAead>, Error> {
        if key.len() != 32 {
            return Err(Error::Internal("ChaCha20-Poly1305 key must be 32 bytes"));
        }
        AwsLcAead::boxed(&CHACHA20_POLY1305, key, "ChaCha20-Poly1305")
    }

    fn key_exchange(
        &self,
        group: NamedGroup,
        seed: &[u8; 32],
    ) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        RustCrypto.key_exchange(group, seed)
    }

    fn verify_signature(
        &self,
        spki: &[u8],
        scheme: Scheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SigError> {
        RustCrypto.verify_signature(spki, scheme, message, signature)
    }
}

/// One direction's record AEAD, keyed once.
struct AwsLcAead {
    key: LessSafeKey,
    name: &'static str,
}

impl AwsLcAead {
    fn boxed(
        alg: &'static aws_lc_rs::aead::Algorithm,
        key: &[u8],
        name: &'static str,
    ) -> Result<Box<dyn RecordAead>, Error> {
        let unbound = UnboundKey::new(alg, key)
            .map_err(|_| Error::Internal("AEAD key rejected by AWS-LC"))?;
        Ok(Box::new(Self {
            key: LessSafeKey::new(unbound),
            name,
        }))
    }
}

impl fmt::Debug for AwsLcAead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AwsLcAead({})", self.name)
    }
}

impl RecordAead for AwsLcAead {
    fn seal_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        let tag = self
            .key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), buf)
            // Only input-length limits can fail here; records are ≤ 2^14 bytes.
            .map_err(|_| Error::Internal("AEAD seal failed"))?;
        let mut out = [0u8; TAG_LEN];
        let tag = tag.as_ref();
        if tag.len() != TAG_LEN {
            return Err(Error::Internal("AEAD tag is not 16 bytes"));
        }
        out.copy_from_slice(tag);
        Ok(out)
    }

    fn open_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        // aws-lc-rs opens a detached tag from one buffer into another; the
        // copy costs less than AES-GCM itself (issue 15's bench).
        let ciphertext = buf.to_vec();
        let opened = self.key.open_separate_gather(
            Nonce::assume_unique_for_key(*nonce),
            Aad::from(aad),
            &ciphertext,
            tag,
            buf,
        );
        if opened.is_err() {
            // Unspecified contents on failure: leave nothing of them.
            buf.fill(0);
            return Err(Error::DecryptError);
        }
        Ok(())
    }
}

/// An RSA private key decrypting with AWS-LC (blinded, constant-time
/// PKCS#1 v1.5 padding check with explicit rejection).
pub struct AwsLcRsaKey {
    key: Pkcs1PrivateDecryptingKey,
}

impl AwsLcRsaKey {
    /// The key of an `rsa` crate private key (as the PEM loaders give it).
    pub fn from_rsa(key: &rsa::PrivateKey) -> Result<Self, Error> {
        let der = key
            .to_pkcs8_der()
            .map_err(|_| Error::Internal("RSA key does not encode as PKCS#8"))?;
        Self::from_pkcs8_der(der.as_bytes())
    }

    /// A PKCS#8 `PrivateKeyInfo` holding an RSA key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, Error> {
        let key = PrivateDecryptingKey::from_pkcs8(der)
            .map_err(|_| Error::Internal("AWS-LC rejected the RSA key"))?;
        let key = Pkcs1PrivateDecryptingKey::new(key)
            .map_err(|_| Error::Internal("AWS-LC rejected the RSA key"))?;
        Ok(Self { key })
    }
}

impl fmt::Debug for AwsLcRsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AwsLcRsaKey({} bits)", self.key.key_size_bits())
    }
}

impl RsaDecrypt for AwsLcRsaKey {
    fn modulus_len(&self) -> usize {
        self.key.key_size_bytes()
    }

    /// AWS-LC blinds with its own generator, so `rng` is unused: blinding
    /// values are not secret-dependent output, and the premaster the engine
    /// falls back on still comes from the injected randomness.
    fn decrypt_pkcs1v15(&self, _rng: &mut Provider, ciphertext: &[u8]) -> Pkcs1Plaintext {
        let mut out = Zeroizing::new(vec![0u8; self.key.min_output_size()]);
        // The padding check inside AWS-LC is constant-time; what leaves it
        // is one success bit and a length, turned into a `Choice` here and
        // then treated as secret by `decrypt_premaster` (which never
        // branches on it). Wrong lengths and c ≥ n fail on public values.
        let result = self.key.decrypt(ciphertext, &mut out[..]).map(|m| m.len());
        let (len, ok) = match result {
            Ok(n) => (n, 1u8),
            Err(_) => (0, 0u8),
        };
        out.truncate(len);
        Pkcs1Plaintext {
            message: out,
            valid: Choice::from(ok),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::crypto::rsa_kx::{decrypt_premaster, encrypt_premaster, private_key_from_pem};
    use crate::enums::ProtocolVersion;
    use crate::record::protection::GcmKey;

    const KEY_PEM: &str = include_str!("../../../harness/pki/leaf.key");

    #[test]
    fn aws_lc_rsa_recovers_the_premaster_and_falls_back_on_a_wrong_version() {
        let key = private_key_from_pem(KEY_PEM).unwrap();
        let aws = AwsLcRsaKey::from_rsa(&key).unwrap();
        let mut rng = Provider::from_seed([4; 32]);
        let mut pm = [0x42u8; 48];
        pm[..2].copy_from_slice(&[3, 3]);
        let ct = encrypt_premaster(&key.to_public_key(), &pm, &mut rng).unwrap();
        let random = [0x99u8; 48];
        let got = decrypt_premaster(&aws, &mut rng, &ct, ProtocolVersion(0x0303), &random);
        assert_eq!(got.as_bytes(), &pm);
        // RFC 5246 §7.4.7.1: a version other than ClientHello's gives the
        // random premaster, no error.
        let got = decrypt_premaster(&aws, &mut rng, &ct, ProtocolVersion(0x0302), &random);
        assert_eq!(got.as_bytes(), &random);
        // Garbage of the right length: explicit rejection, random premaster.
        let mut bad = ct.clone();
        bad[5] ^= 1;
        let got = decrypt_premaster(&aws, &mut rng, &bad, ProtocolVersion(0x0303), &random);
        assert_eq!(got.as_bytes(), &random);
    }

    #[test]
    fn aws_lc_gcm_interoperates_with_the_rustcrypto_key() {
        for len in [16, 32] {
            let key = vec![7u8; len];
            let ours = GcmKey::new(&key).unwrap();
            let theirs = AwsLc.record_aead(&key).unwrap();
            let nonce = [3u8; 12];
            let mut a = b"sixteen byte msg and more".to_vec();
            let mut b = a.clone();
            let ta = ours.seal_in_place(&nonce, b"aad", &mut a).unwrap();
            let tb = theirs.seal_in_place(&nonce, b"aad", &mut b).unwrap();
            assert_eq!((&a, ta), (&b, tb));
            theirs.open_in_place(&nonce, b"aad", &mut b, &tb).unwrap();
            assert_eq!(b, b"sixteen byte msg and more");
            let mut bad = tb;
            bad[0] ^= 1;
            assert_eq!(
                theirs.open_in_place(&nonce, b"aad", &mut a, &bad),
                Err(Error::DecryptError)
            );
        }
        assert!(AwsLc.record_aead(&[0; 24]).is_err());
        assert!(AwsLc.chacha20_poly1305(&[0; 16]).is_err());
    }
}
