//! Signatures in the handshake, in one place: verification by the key in a
//! DER SubjectPublicKeyInfo (RSASSA-PKCS1-v1_5 and RSASSA-PSS with
//! SHA-256/384/512, ECDSA on P-256 and P-384 with SHA-256/384/512), and the
//! server's signing keys ([`SigningKey`]). ServerKeyExchange uses both
//! today; chain validation can reuse [`verify`] (it takes a SPKI and a
//! TLS scheme, nothing TLS-handshake specific).
//!
//! Schemes are TLS 1.2's `SignatureAndHashAlgorithm` pairs (RFC 5246
//! §7.4.1.4.1), with RSA-PSS as RFC 8446's rsa_pss_rsae_* code points,
//! which TLS 1.2 reads as `{intrinsic(8), 4..6}` (RFC 8447 §5). RSA-PSS
//! uses MGF1 with the same hash and a salt as long as the hash (RFC 8446
//! §4.2.3); a signature with another salt length does not verify.

use crate::enums::{HashAlgorithm, SignatureAlgorithm};
use crate::msgs::SignatureAndHashAlgorithm;
use crate::provider::Provider;
use core::fmt;
use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, Pss};
use sha2::{Digest, Sha256, Sha384, Sha512};

/// A hash a scheme signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SigHash {
    Sha256,
    Sha384,
    Sha512,
}

impl SigHash {
    pub fn digest(self, msg: &[u8]) -> Vec<u8> {
        match self {
            SigHash::Sha256 => Sha256::digest(msg).to_vec(),
            SigHash::Sha384 => Sha384::digest(msg).to_vec(),
            SigHash::Sha512 => Sha512::digest(msg).to_vec(),
        }
    }

    fn wire(self) -> HashAlgorithm {
        match self {
            SigHash::Sha256 => HashAlgorithm::Sha256,
            SigHash::Sha384 => HashAlgorithm::Sha384,
            SigHash::Sha512 => HashAlgorithm::Sha512,
        }
    }
}

/// A signature scheme this engine verifies and signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    RsaPkcs1(SigHash),
    /// rsa_pss_rsae_*: PSS by an rsaEncryption key.
    RsaPss(SigHash),
    Ecdsa(SigHash),
}

impl Scheme {
    /// Every scheme we implement, in our order of preference: the list the
    /// client offers in signature_algorithms.
    pub const ALL: [Scheme; 9] = [
        Scheme::Ecdsa(SigHash::Sha256),
        Scheme::Ecdsa(SigHash::Sha384),
        Scheme::Ecdsa(SigHash::Sha512),
        Scheme::RsaPss(SigHash::Sha256),
        Scheme::RsaPss(SigHash::Sha384),
        Scheme::RsaPss(SigHash::Sha512),
        Scheme::RsaPkcs1(SigHash::Sha256),
        Scheme::RsaPkcs1(SigHash::Sha384),
        Scheme::RsaPkcs1(SigHash::Sha512),
    ];

    /// The scheme a wire pair names, if we implement it.
    pub fn from_wire(alg: SignatureAndHashAlgorithm) -> Option<Scheme> {
        let hash = |h: HashAlgorithm| match h {
            HashAlgorithm::Sha256 => Some(SigHash::Sha256),
            HashAlgorithm::Sha384 => Some(SigHash::Sha384),
            HashAlgorithm::Sha512 => Some(SigHash::Sha512),
            _ => None,
        };
        match (alg.hash, alg.signature) {
            (h, SignatureAlgorithm::Rsa) => hash(h).map(Scheme::RsaPkcs1),
            (h, SignatureAlgorithm::Ecdsa) => hash(h).map(Scheme::Ecdsa),
            (HashAlgorithm::Intrinsic, SignatureAlgorithm::RsaPssRsaeSha256) => {
                Some(Scheme::RsaPss(SigHash::Sha256))
            }
            (HashAlgorithm::Intrinsic, SignatureAlgorithm::RsaPssRsaeSha384) => {
                Some(Scheme::RsaPss(SigHash::Sha384))
            }
            (HashAlgorithm::Intrinsic, SignatureAlgorithm::RsaPssRsaeSha512) => {
                Some(Scheme::RsaPss(SigHash::Sha512))
            }
            _ => None,
        }
    }

    pub fn to_wire(self) -> SignatureAndHashAlgorithm {
        let (hash, signature) = match self {
            Scheme::RsaPkcs1(h) => (h.wire(), SignatureAlgorithm::Rsa),
            Scheme::Ecdsa(h) => (h.wire(), SignatureAlgorithm::Ecdsa),
            Scheme::RsaPss(h) => (
                HashAlgorithm::Intrinsic,
                match h {
                    SigHash::Sha256 => SignatureAlgorithm::RsaPssRsaeSha256,
                    SigHash::Sha384 => SignatureAlgorithm::RsaPssRsaeSha384,
                    SigHash::Sha512 => SignatureAlgorithm::RsaPssRsaeSha512,
                },
            ),
        };
        SignatureAndHashAlgorithm { hash, signature }
    }

    /// The kind of key the scheme needs.
    pub fn key_kind(self) -> KeyKind {
        match self {
            Scheme::RsaPkcs1(_) | Scheme::RsaPss(_) => KeyKind::Rsa,
            Scheme::Ecdsa(_) => KeyKind::Ecdsa,
        }
    }
}

/// RSA or ECDSA: what a certificate's key can sign with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    Rsa,
    Ecdsa,
}

/// Why a signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigError {
    /// The SPKI is not an rsaEncryption key nor an id-ecPublicKey on P-256
    /// or P-384, or does not decode.
    UnsupportedKey,
    /// The scheme is for another kind of key (ECDSA by an RSA key, ...).
    WrongKeyKind,
    /// The signature does not verify (or is not a DER ECDSA signature).
    BadSignature,
}

/// A public key parsed from a SubjectPublicKeyInfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpkiKey {
    Rsa(rsa::PublicKey),
    P256(p256::PublicKey),
    P384(p384::PublicKey),
}

impl SpkiKey {
    /// Parses DER SPKI: each decoder checks its own algorithm identifier
    /// (rsaEncryption; id-ecPublicKey with the named curve's OID).
    pub fn from_der(spki: &[u8]) -> Result<Self, SigError> {
        if let Ok(k) = p256::PublicKey::from_public_key_der(spki) {
            return Ok(SpkiKey::P256(k));
        }
        if let Ok(k) = p384::PublicKey::from_public_key_der(spki) {
            return Ok(SpkiKey::P384(k));
        }
        rsa::PublicKey::from_public_key_der(spki)
            .map(SpkiKey::Rsa)
            .map_err(|_| SigError::UnsupportedKey)
    }

    pub fn kind(&self) -> KeyKind {
        match self {
            SpkiKey::Rsa(_) => KeyKind::Rsa,
            SpkiKey::P256(_) | SpkiKey::P384(_) => KeyKind::Ecdsa,
        }
    }
}

/// Verifies `signature` over `message` by `key` with `scheme`.
pub fn verify_with(
    key: &SpkiKey,
    scheme: Scheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SigError> {
    if scheme.key_kind() != key.kind() {
        return Err(SigError::WrongKeyKind);
    }
    match (key, scheme) {
        (SpkiKey::Rsa(k), Scheme::RsaPkcs1(h)) => {
            let digest = h.digest(message);
            let padding = match h {
                SigHash::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
                SigHash::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
                SigHash::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
            };
            k.verify(padding, &digest, signature).map_err(bad)
        }
        (SpkiKey::Rsa(k), Scheme::RsaPss(h)) => {
            let digest = h.digest(message);
            match h {
                SigHash::Sha256 => k.verify(Pss::<Sha256>::new(), &digest, signature),
                SigHash::Sha384 => k.verify(Pss::<Sha384>::new(), &digest, signature),
                SigHash::Sha512 => k.verify(Pss::<Sha512>::new(), &digest, signature),
            }
            .map_err(bad)
        }
        (SpkiKey::P256(k), Scheme::Ecdsa(h)) => {
            let sig = p256::ecdsa::Signature::from_der(signature).map_err(bad)?;
            p256::ecdsa::VerifyingKey::from(k)
                .verify_prehash(&h.digest(message), &sig)
                .map_err(bad)
        }
        (SpkiKey::P384(k), Scheme::Ecdsa(h)) => {
            let sig = p384::ecdsa::Signature::from_der(signature).map_err(bad)?;
            p384::ecdsa::VerifyingKey::from(k)
                .verify_prehash(&h.digest(message), &sig)
                .map_err(bad)
        }
        _ => Err(SigError::WrongKeyKind),
    }
}

fn bad<E>(_: E) -> SigError {
    SigError::BadSignature
}

/// [`verify_with`] over a DER SubjectPublicKeyInfo.
pub fn verify(
    spki: &[u8],
    scheme: Scheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SigError> {
    verify_with(&SpkiKey::from_der(spki)?, scheme, message, signature)
}

/// The DER SubjectPublicKeyInfo of a DER certificate (its leaf key, for the
/// ServerKeyExchange signature). Chain validation is `pki`'s; this only
/// extracts the field.
pub fn leaf_spki(cert_der: &[u8]) -> Result<Vec<u8>, crate::error::CertificateError> {
    use x509_parser::prelude::FromDer;
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(cert_der)
        .map_err(|e| crate::error::CertificateError::BadEncoding(format!("certificate: {e}")))?;
    Ok(cert.tbs_certificate.subject_pki.raw.to_vec())
}

/// A private key the server signs ServerKeyExchange with: the signing
/// plug-in, next to [`crate::crypto::RsaDecrypt`] for RSA key exchange.
/// `rng` is for RSA blinding and PSS salts; the engine draws no randomness
/// of its own. ECDSA signatures are deterministic (RFC 6979).
pub trait SigningKey: Send + Sync + fmt::Debug {
    fn kind(&self) -> KeyKind;

    /// An ECDSA key's curve, as a TLS group: RFC 8422 §5.3 lets a server
    /// use the key only if the client's supported_groups has that curve.
    fn ecdsa_curve(&self) -> Option<crate::enums::NamedGroup> {
        None
    }

    /// Signs `message` (not a digest) with `scheme`, which is one of
    /// `kind()`'s: the engine only asks for schemes of the key's kind.
    fn sign(
        &self,
        scheme: Scheme,
        message: &[u8],
        rng: &mut Provider,
    ) -> Result<Vec<u8>, crate::Error>;
}

/// The `rsa` crate's key: PKCS#1 v1.5 and PSS, blinded.
impl SigningKey for rsa::PrivateKey {
    fn kind(&self) -> KeyKind {
        KeyKind::Rsa
    }

    fn sign(
        &self,
        scheme: Scheme,
        message: &[u8],
        rng: &mut Provider,
    ) -> Result<Vec<u8>, crate::Error> {
        let fail = |_| crate::Error::Internal("RSA signing failed");
        match scheme {
            Scheme::RsaPkcs1(h) => {
                let padding = match h {
                    SigHash::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
                    SigHash::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
                    SigHash::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
                };
                self.sign_with_rng(rng, padding, &h.digest(message))
                    .map_err(fail)
            }
            Scheme::RsaPss(h) => {
                let digest = h.digest(message);
                match h {
                    SigHash::Sha256 => self.sign_with_rng(rng, Pss::<Sha256>::new(), &digest),
                    SigHash::Sha384 => self.sign_with_rng(rng, Pss::<Sha384>::new(), &digest),
                    SigHash::Sha512 => self.sign_with_rng(rng, Pss::<Sha512>::new(), &digest),
                }
                .map_err(fail)
            }
            Scheme::Ecdsa(_) => Err(crate::Error::Internal("ECDSA asked of an RSA key")),
        }
    }
}

/// An ECDSA private key on P-256 or P-384.
#[derive(Clone)]
pub enum EcdsaKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

impl fmt::Debug for EcdsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EcdsaKey::P256(_) => f.write_str("EcdsaKey(P-256, ..)"),
            EcdsaKey::P384(_) => f.write_str("EcdsaKey(P-384, ..)"),
        }
    }
}

impl EcdsaKey {
    /// From DER: PKCS#8 `PrivateKeyInfo` (openssl genpkey) or SEC 1
    /// `ECPrivateKey` (openssl ecparam -genkey).
    pub fn from_der(der: &[u8]) -> Result<Self, crate::Error> {
        use p256::pkcs8::DecodePrivateKey;
        if let Ok(k) =
            p256::SecretKey::from_pkcs8_der(der).or_else(|_| p256::SecretKey::from_sec1_der(der))
        {
            return Ok(EcdsaKey::P256(k.into()));
        }
        if let Ok(k) =
            p384::SecretKey::from_pkcs8_der(der).or_else(|_| p384::SecretKey::from_sec1_der(der))
        {
            return Ok(EcdsaKey::P384(k.into()));
        }
        Err(crate::Error::Internal("not a P-256 or P-384 private key"))
    }

    /// The public key as DER SubjectPublicKeyInfo, to match a certificate.
    pub fn public_spki_der(&self) -> Result<Vec<u8>, crate::Error> {
        use p256::pkcs8::EncodePublicKey;
        let fail = |_| crate::Error::Internal("encoding an EC public key");
        let doc = match self {
            EcdsaKey::P256(k) => p256::PublicKey::from(k.verifying_key()).to_public_key_der(),
            EcdsaKey::P384(k) => p384::PublicKey::from(k.verifying_key()).to_public_key_der(),
        }
        .map_err(fail)?;
        Ok(doc.as_bytes().to_vec())
    }
}

impl SigningKey for EcdsaKey {
    fn kind(&self) -> KeyKind {
        KeyKind::Ecdsa
    }

    fn ecdsa_curve(&self) -> Option<crate::enums::NamedGroup> {
        Some(match self {
            EcdsaKey::P256(_) => crate::enums::NamedGroup::secp256r1,
            EcdsaKey::P384(_) => crate::enums::NamedGroup::secp384r1,
        })
    }

    fn sign(
        &self,
        scheme: Scheme,
        message: &[u8],
        _: &mut Provider,
    ) -> Result<Vec<u8>, crate::Error> {
        let Scheme::Ecdsa(h) = scheme else {
            return Err(crate::Error::Internal("RSA asked of an ECDSA key"));
        };
        let fail = |_| crate::Error::Internal("ECDSA signing failed");
        let digest = h.digest(message);
        Ok(match self {
            EcdsaKey::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign_prehash(&digest).map_err(fail)?;
                sig.to_der().as_bytes().to_vec()
            }
            EcdsaKey::P384(k) => {
                let sig: p384::ecdsa::Signature = k.sign_prehash(&digest).map_err(fail)?;
                sig.to_der().as_bytes().to_vec()
            }
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn wire_pairs_round_trip_and_unknown_ones_are_none() {
        for s in Scheme::ALL {
            assert_eq!(Scheme::from_wire(s.to_wire()), Some(s));
        }
        // rsa_pss_rsae_sha256 is 0x0804 (RFC 8446 §4.2.3).
        let pss = Scheme::RsaPss(SigHash::Sha256).to_wire();
        assert_eq!((pss.hash.0, pss.signature.0), (8, 4));
        for (h, s) in [(2u8, 1u8), (1, 3), (8, 7), (4, 2), (8, 9)] {
            let alg = SignatureAndHashAlgorithm {
                hash: HashAlgorithm(h),
                signature: SignatureAlgorithm(s),
            };
            assert_eq!(Scheme::from_wire(alg), None, "{h:02x}{s:02x}");
        }
    }

    fn ecdsa_key(seed: u8, p384: bool) -> EcdsaKey {
        use p256::elliptic_curve::Generate;
        let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::from_seed([seed; 32]);
        if p384 {
            EcdsaKey::P384(p384::SecretKey::generate_from_rng(&mut rng).into())
        } else {
            EcdsaKey::P256(p256::SecretKey::generate_from_rng(&mut rng).into())
        }
    }

    #[test]
    fn ecdsa_signs_and_verifies_with_every_hash_and_rejects_changes() {
        let mut rng = Provider::from_seed([3; 32]);
        for p384 in [false, true] {
            let key = ecdsa_key(1, p384);
            let spki = key.public_spki_der().unwrap();
            let other = ecdsa_key(2, p384).public_spki_der().unwrap();
            for h in [SigHash::Sha256, SigHash::Sha384, SigHash::Sha512] {
                let s = Scheme::Ecdsa(h);
                let sig = key.sign(s, b"params", &mut rng).unwrap();
                assert_eq!(verify(&spki, s, b"params", &sig), Ok(()));
                assert_eq!(
                    verify(&spki, s, b"paramz", &sig),
                    Err(SigError::BadSignature)
                );
                assert_eq!(
                    verify(&other, s, b"params", &sig),
                    Err(SigError::BadSignature)
                );
                assert_eq!(
                    verify(&spki, Scheme::RsaPkcs1(h), b"params", &sig),
                    Err(SigError::WrongKeyKind)
                );
            }
        }
    }

    #[test]
    fn rsa_pkcs1_and_pss_sign_and_verify() {
        let key = crate::crypto::rsa_kx::private_key_from_pem(include_str!("testdata/rsa2048.pem"))
            .unwrap();
        let spki = include_bytes!("testdata/rsa2048-pub.der");
        let mut rng = Provider::from_seed([4; 32]);
        for h in [SigHash::Sha256, SigHash::Sha384, SigHash::Sha512] {
            for s in [Scheme::RsaPkcs1(h), Scheme::RsaPss(h)] {
                let sig = SigningKey::sign(&key, s, b"m", &mut rng).unwrap();
                assert_eq!(verify(spki, s, b"m", &sig), Ok(()), "{s:?}");
                assert_eq!(verify(spki, s, b"n", &sig), Err(SigError::BadSignature));
                assert_eq!(
                    verify(spki, Scheme::Ecdsa(h), b"m", &sig),
                    Err(SigError::WrongKeyKind)
                );
            }
            // A PKCS#1 signature is not a PSS one.
            let sig = SigningKey::sign(&key, Scheme::RsaPkcs1(h), b"m", &mut rng).unwrap();
            assert_eq!(
                verify(spki, Scheme::RsaPss(h), b"m", &sig),
                Err(SigError::BadSignature)
            );
        }
        assert_eq!(
            verify(b"\x30\x00", Scheme::RsaPkcs1(SigHash::Sha256), b"m", b""),
            Err(SigError::UnsupportedKey)
        );
    }
}
