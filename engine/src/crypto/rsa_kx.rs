//! RSA key exchange (RFC 5246 §7.4.7.1): the premaster secret, the client's
//! PKCS#1 v1.5 encryption of it, the server's Bleichenbacher-safe decryption,
//! and RSA key loading.
//!
//! The private-key operation sits behind [`RsaDecrypt`] so a faster
//! constant-time backend can replace the `rsa` crate (about 7× slower than
//! OpenSSL here) without touching the TLS countermeasure in
//! [`decrypt_premaster`], which is backend-independent.

use crate::enums::ProtocolVersion;
use crate::error::Error;
use crate::provider::Provider;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey, PublicKey};
use std::fmt;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Length of the RSA premaster secret (RFC 5246 §7.4.7.1).
pub const PREMASTER_LEN: usize = 48;

/// The 48-byte premaster secret: `client_version(2) ‖ random(46)`.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct Premaster([u8; PREMASTER_LEN]);

impl Premaster {
    pub fn from_bytes(bytes: [u8; PREMASTER_LEN]) -> Self {
        Self(bytes)
    }

    /// A client's fresh premaster: the version it offered in ClientHello,
    /// then 46 random bytes (RFC 5246 §7.4.7.1).
    pub fn generate(client_hello_version: ProtocolVersion, rng: &mut Provider) -> Self {
        let mut pm = [0u8; PREMASTER_LEN];
        pm[..2].copy_from_slice(&client_hello_version.0.to_be_bytes());
        rng.fill(&mut pm[2..]);
        Self(pm)
    }

    pub fn as_bytes(&self) -> &[u8; PREMASTER_LEN] {
        &self.0
    }
}

impl fmt::Debug for Premaster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Premaster(..)")
    }
}

/// Output of a PKCS#1 v1.5 private-key decryption.
///
/// `valid` is secret: it must come out of the backend as a `Choice`, never
/// as a branch. A backend with implicit rejection (the `rsa` crate) always
/// reports `valid` and returns a synthetic message for bad padding; a
/// backend with explicit rejection reports `valid = 0` in constant time.
/// `message.len()` may differ between the cases; [`decrypt_premaster`]
/// treats it as secret.
pub struct Pkcs1Plaintext {
    pub message: Zeroizing<Vec<u8>>,
    pub valid: Choice,
}

impl fmt::Debug for Pkcs1Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pkcs1Plaintext(..)")
    }
}

/// A private RSA key able to undo RSAES-PKCS1-v1_5 (RFC 8017 §7.2.2).
///
/// Implementations must be constant-time in the private operation and in
/// padding checks, and may return early only on conditions computable from
/// public values (ciphertext length ≠ modulus length, ciphertext ≥ modulus).
/// `rng` is for blinding: the engine draws no randomness of its own.
pub trait RsaDecrypt {
    /// The modulus length in bytes (the ciphertext length).
    fn modulus_len(&self) -> usize;

    fn decrypt_pkcs1v15(&self, rng: &mut Provider, ciphertext: &[u8]) -> Pkcs1Plaintext;
}

/// The `rsa` crate backend: blinded CRT, implicit rejection.
impl RsaDecrypt for PrivateKey {
    fn modulus_len(&self) -> usize {
        self.size()
    }

    fn decrypt_pkcs1v15(&self, rng: &mut Provider, ciphertext: &[u8]) -> Pkcs1Plaintext {
        // `Err` here depends only on public values (length, c ≥ n) or a
        // broken key: padding failures come back as `Ok` with a synthetic
        // message (implicit rejection), so this branch reveals nothing.
        match self.pkcs1v15_decrypt_with_rng(rng, ciphertext) {
            Ok(m) => Pkcs1Plaintext {
                message: Zeroizing::new(m),
                valid: Choice::from(1),
            },
            Err(_) => Pkcs1Plaintext {
                message: Zeroizing::new(Vec::new()),
                valid: Choice::from(0),
            },
        }
    }
}

/// Client side: PKCS#1 v1.5-encrypts the premaster to the server's key
/// (RFC 5246 §7.4.7.1). Fails only on a key too small or malformed.
pub fn encrypt_premaster(
    public_key: &PublicKey,
    premaster: &[u8; PREMASTER_LEN],
    rng: &mut Provider,
) -> Result<Vec<u8>, Error> {
    public_key
        .pkcs1v15_encrypt_with_rng(rng, premaster)
        .map_err(|_| Error::Internal("RSA encryption of the premaster secret failed"))
}

/// Server side: RFC 5246 §7.4.7.1, exactly.
///
/// The caller draws `random_premaster` (48 random bytes) before calling.
/// The decrypted message is used only if decryption succeeded, it is 48
/// bytes long and it starts with `client_hello_version` (the version in
/// ClientHello, not the negotiated one); otherwise the result is
/// `random_premaster`. The choice is made in constant time and there is no
/// error: a wrong premaster surfaces later as a bad Finished, like any other.
pub fn decrypt_premaster<K: RsaDecrypt + ?Sized>(
    key: &K,
    rng: &mut Provider,
    ciphertext: &[u8],
    client_hello_version: ProtocolVersion,
    random_premaster: &[u8; PREMASTER_LEN],
) -> Premaster {
    let Pkcs1Plaintext { message, valid } = key.decrypt_pkcs1v15(rng, ciphertext);

    // Read the first 48 bytes from a buffer of public size so neither the
    // reads nor the checks depend on the message length. Backends never
    // return more than the modulus length; a longer answer is truncated,
    // and fails the length check anyway.
    let mut padded = Zeroizing::new(vec![0u8; key.modulus_len() + PREMASTER_LEN]);
    let n = message.len().min(key.modulus_len());
    padded[..n].copy_from_slice(&message[..n]);

    let len_ok = (message.len() as u64).ct_eq(&(PREMASTER_LEN as u64));
    let [major, minor] = client_hello_version.0.to_be_bytes();
    let version_ok = padded[0].ct_eq(&major) & padded[1].ct_eq(&minor);
    let take_decrypted = valid & len_ok & version_ok;

    let mut out = [0u8; PREMASTER_LEN];
    for ((o, r), d) in out.iter_mut().zip(random_premaster).zip(padded.iter()) {
        *o = u8::conditional_select(r, d, take_decrypted);
    }
    Premaster(out)
}

fn key_error(_: impl fmt::Debug) -> Error {
    Error::Internal("malformed RSA key")
}

/// A private key from PKCS#8 `PrivateKeyInfo` DER.
pub fn private_key_from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, Error> {
    PrivateKey::from_pkcs8_der(der).map_err(key_error)
}

/// A private key from PKCS#1 `RSAPrivateKey` DER.
pub fn private_key_from_pkcs1_der(der: &[u8]) -> Result<PrivateKey, Error> {
    PrivateKey::from_pkcs1_der(der).map_err(key_error)
}

/// A private key from PEM: `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1).
pub fn private_key_from_pem(pem: &str) -> Result<PrivateKey, Error> {
    if pem.contains("-----BEGIN RSA PRIVATE KEY-----") {
        PrivateKey::from_pkcs1_pem(pem).map_err(key_error)
    } else {
        PrivateKey::from_pkcs8_pem(pem).map_err(key_error)
    }
}

/// A public key from `SubjectPublicKeyInfo` DER (as in a certificate).
pub fn public_key_from_spki_der(der: &[u8]) -> Result<PublicKey, Error> {
    PublicKey::from_public_key_der(der).map_err(key_error)
}

/// A public key from PKCS#1 `RSAPublicKey` DER (the SPKI bit string's content).
pub fn public_key_from_pkcs1_der(der: &[u8]) -> Result<PublicKey, Error> {
    PublicKey::from_pkcs1_der(der).map_err(key_error)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    // Key and ciphertexts made by crypto/testdata/gen.sh --rsa with
    // `openssl genpkey` and `openssl pkeyutl -encrypt -pkeyopt rsa_padding_mode:pkcs1`.
    const KEY_PEM: &str = include_str!("testdata/rsa2048.pem");
    const KEY_PKCS1_PEM: &str = include_str!("testdata/rsa2048-pkcs1.pem");
    const KEY_DER: &[u8] = include_bytes!("testdata/rsa2048.der");
    const PUB_DER: &[u8] = include_bytes!("testdata/rsa2048-pub.der");
    const CT_PREMASTER: &[u8] = include_bytes!("testdata/premaster.ct");
    const CT_V0301: &[u8] = include_bytes!("testdata/premaster-v0301.ct");
    const CT_47: &[u8] = include_bytes!("testdata/premaster-47.ct");

    /// The plaintext of premaster.ct: 03 03 then bytes 0x10..=0x3d.
    fn openssl_premaster() -> [u8; 48] {
        let mut pm = [0u8; 48];
        pm[0] = 3;
        pm[1] = 3;
        for (i, b) in pm[2..].iter_mut().enumerate() {
            *b = 0x10 + i as u8;
        }
        pm
    }

    fn key() -> PrivateKey {
        private_key_from_pem(KEY_PEM).unwrap()
    }

    #[test]
    fn loads_the_same_key_from_pkcs8_pkcs1_pem_and_der() {
        let k = key();
        assert_eq!(k, private_key_from_pem(KEY_PKCS1_PEM).unwrap());
        assert_eq!(k, private_key_from_pkcs8_der(KEY_DER).unwrap());
        let public = public_key_from_spki_der(PUB_DER).unwrap();
        assert_eq!(public, PublicKey::from(k));
        assert_eq!(public.size(), 256);
    }

    #[test]
    fn rejects_malformed_key_encodings() {
        assert_eq!(
            private_key_from_pkcs8_der(&KEY_DER[..100]),
            Err(Error::Internal("malformed RSA key"))
        );
        assert!(private_key_from_pkcs1_der(KEY_DER).is_err());
        assert!(public_key_from_pkcs1_der(PUB_DER).is_err());
        assert!(private_key_from_pem("not a key").is_err());
    }

    #[test]
    fn decrypts_an_openssl_encrypted_premaster() {
        // RFC 5246 §7.4.7.1: a well-formed premaster with the ClientHello
        // version is used as is.
        let mut rng = Provider::from_seed([1; 32]);
        let pm = decrypt_premaster(
            &key(),
            &mut rng,
            CT_PREMASTER,
            ProtocolVersion::TLSv1_2,
            &[0xEE; 48],
        );
        assert_eq!(pm.as_bytes(), &openssl_premaster());
    }

    #[test]
    fn wrong_client_version_yields_the_random_premaster() {
        // RFC 5246 §7.4.7.1: version ≠ ClientHello.client_version → random.
        let mut rng = Provider::from_seed([1; 32]);
        let random = [0xEE; 48];
        let pm = decrypt_premaster(
            &key(),
            &mut rng,
            CT_V0301,
            ProtocolVersion::TLSv1_2,
            &random,
        );
        assert_eq!(pm.as_bytes(), &random);
        // The same ciphertext is fine when ClientHello offered 3,1.
        let pm = decrypt_premaster(
            &key(),
            &mut rng,
            CT_V0301,
            ProtocolVersion::TLSv1_0,
            &random,
        );
        assert_eq!(&pm.as_bytes()[..2], &[3, 1]);
        assert_eq!(&pm.as_bytes()[2..], &openssl_premaster()[2..]);
        // And a correct ciphertext is refused when ClientHello said 3,1.
        let pm = decrypt_premaster(
            &key(),
            &mut rng,
            CT_PREMASTER,
            ProtocolVersion::TLSv1_0,
            &random,
        );
        assert_eq!(pm.as_bytes(), &random);
    }

    #[test]
    fn wrong_length_plaintext_yields_the_random_premaster() {
        // RFC 5246 §7.4.7.1: a decrypted message not 48 bytes long → random.
        let mut rng = Provider::from_seed([1; 32]);
        let random = [0x5A; 48];
        let pm = decrypt_premaster(&key(), &mut rng, CT_47, ProtocolVersion::TLSv1_2, &random);
        assert_eq!(pm.as_bytes(), &random);
    }

    #[test]
    fn bad_padding_and_bad_lengths_yield_the_random_premaster() {
        // RFC 5246 §7.4.7.1: no distinguishable error, random premaster for
        // tampered ciphertexts (implicit rejection in the backend), short
        // or long ciphertexts and ciphertexts ≥ n.
        let k = key();
        let mut rng = Provider::from_seed([1; 32]);
        let random = [0x33; 48];
        let mut tampered = CT_PREMASTER.to_vec();
        tampered[100] ^= 1;
        let too_big = vec![0xFF; 256];
        for ct in [
            &tampered[..],
            &CT_PREMASTER[1..],
            &[CT_PREMASTER, &[0][..]].concat()[..],
            &too_big[..],
            &[][..],
        ] {
            let pm = decrypt_premaster(&k, &mut rng, ct, ProtocolVersion::TLSv1_2, &random);
            assert_eq!(pm.as_bytes(), &random);
        }
    }

    #[test]
    fn client_encryption_round_trips_through_server_decryption() {
        // RFC 5246 §7.4.7.1 both sides: what the client sends, the server
        // recovers; encryption is randomized (fresh PKCS#1 padding).
        let k = key();
        let mut rng = Provider::from_seed([9; 32]);
        let pm = Premaster::generate(ProtocolVersion::TLSv1_2, &mut rng);
        assert_eq!(&pm.as_bytes()[..2], &[3, 3]);
        let public = PublicKey::from(k.clone());
        let ct1 = encrypt_premaster(&public, pm.as_bytes(), &mut rng).unwrap();
        let ct2 = encrypt_premaster(&public, pm.as_bytes(), &mut rng).unwrap();
        assert_ne!(ct1, ct2);
        for ct in [ct1, ct2] {
            let got = decrypt_premaster(&k, &mut rng, &ct, ProtocolVersion::TLSv1_2, &[0; 48]);
            assert_eq!(got, pm);
        }
    }

    #[test]
    fn premaster_debug_hides_the_secret() {
        let pm = Premaster::from_bytes([0x41; 48]);
        assert_eq!(format!("{pm:?}"), "Premaster(..)");
    }
}
