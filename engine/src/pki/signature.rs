//! Signature algorithms on certificates, CRLs and OCSP responses, and their
//! verification: RSASSA-PKCS1-v1_5 with SHA-256/384/512 and RSASSA-PSS
//! (RFC 4055) with MGF1 over the same hash (the `rsa` crate), and ECDSA
//! with SHA-256/384/512 (RFC 5758 §3.2) by a P-256 or P-384 key (through
//! `crypto::sig`). Everything else fails closed.

use crate::error::CertificateError;
use rsa::{BoxedUint, Pkcs1v15Sign, Pss, PublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_parser::asn1_rs::{Any, Tag};
use x509_parser::oid_registry::{
    Oid, OID_NIST_HASH_SHA256, OID_NIST_HASH_SHA384, OID_NIST_HASH_SHA512, OID_PKCS1_RSAENCRYPTION,
    OID_PKCS1_RSASSAPSS, OID_PKCS1_SHA256WITHRSA, OID_PKCS1_SHA384WITHRSA, OID_PKCS1_SHA512WITHRSA,
    OID_SIG_ECDSA_WITH_SHA256, OID_SIG_ECDSA_WITH_SHA384, OID_SIG_ECDSA_WITH_SHA512,
};
use x509_parser::signature_algorithm::RsaSsaPssParams;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

/// id-mgf1, 1.2.840.113549.1.1.8 (RFC 8017 appendix B.2.1), as DER content.
const ID_MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];

/// Largest modulus we accept, in bytes: `rsa`'s own ceiling (8192 bits).
const MAX_MODULUS_BYTES: usize = PublicKey::MAX_SIZE / 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn from_oid(oid: &Oid<'_>) -> Option<Hash> {
        if *oid == OID_NIST_HASH_SHA256 {
            Some(Hash::Sha256)
        } else if *oid == OID_NIST_HASH_SHA384 {
            Some(Hash::Sha384)
        } else if *oid == OID_NIST_HASH_SHA512 {
            Some(Hash::Sha512)
        } else {
            None
        }
    }

    fn digest(self, msg: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(msg).to_vec(),
            Hash::Sha384 => Sha384::digest(msg).to_vec(),
            Hash::Sha512 => Sha512::digest(msg).to_vec(),
        }
    }
}

/// A signature algorithm we can verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SigAlg {
    Pkcs1(Hash),
    Pss { hash: Hash, salt_len: usize },
    Ecdsa(Hash),
}

fn unsupported(what: impl Into<String>) -> CertificateError {
    CertificateError::UnsupportedSignatureAlgorithm(what.into())
}

/// Parameters of the PKCS#1 v1.5 algorithms: NULL, or absent (RFC 4055 §5
/// says NULL; absent is a common, harmless variant).
fn null_or_absent(params: Option<&Any<'_>>) -> bool {
    params.is_none_or(|p| p.tag() == Tag::Null && p.data.is_empty())
}

/// Maps an AlgorithmIdentifier to what we verify. Unknown or weak algorithms
/// (SHA-1, MD5, ecdsa-with-SHA224, ...) give `UnsupportedSignatureAlgorithm`.
pub(crate) fn parse_sig_alg(alg: &AlgorithmIdentifier<'_>) -> Result<SigAlg, CertificateError> {
    let oid = &alg.algorithm;
    let ecdsa = if *oid == OID_SIG_ECDSA_WITH_SHA256 {
        Some(Hash::Sha256)
    } else if *oid == OID_SIG_ECDSA_WITH_SHA384 {
        Some(Hash::Sha384)
    } else if *oid == OID_SIG_ECDSA_WITH_SHA512 {
        Some(Hash::Sha512)
    } else {
        None
    };
    if let Some(hash) = ecdsa {
        // RFC 5758 §3.2: "the encoding MUST omit the parameters field".
        if alg.parameters.is_some() {
            return Err(CertificateError::BadEncoding(format!(
                "parameters of {oid} must be absent"
            )));
        }
        return Ok(SigAlg::Ecdsa(hash));
    }
    let pkcs1 = if *oid == OID_PKCS1_SHA256WITHRSA {
        Some(Hash::Sha256)
    } else if *oid == OID_PKCS1_SHA384WITHRSA {
        Some(Hash::Sha384)
    } else if *oid == OID_PKCS1_SHA512WITHRSA {
        Some(Hash::Sha512)
    } else {
        None
    };
    if let Some(hash) = pkcs1 {
        if !null_or_absent(alg.parameters.as_ref()) {
            return Err(CertificateError::BadEncoding(format!(
                "parameters of {oid} must be NULL"
            )));
        }
        return Ok(SigAlg::Pkcs1(hash));
    }
    if *oid == OID_PKCS1_RSASSAPSS {
        return parse_pss(alg.parameters.as_ref());
    }
    Err(unsupported(format!("signature algorithm {oid}")))
}

/// RSASSA-PSS-params (RFC 4055 §3.1). `rsa` runs MGF1 with the message hash,
/// so a different MGF1 hash is unsupported; the SHA-1 defaults are too.
fn parse_pss(params: Option<&Any<'_>>) -> Result<SigAlg, CertificateError> {
    let params = params.ok_or_else(|| unsupported("RSASSA-PSS with default (SHA-1) parameters"))?;
    let params = RsaSsaPssParams::try_from(params)
        .map_err(|e| CertificateError::BadEncoding(format!("RSASSA-PSS parameters: {e}")))?;
    let hash_alg = params
        .hash_algorithm()
        .ok_or_else(|| unsupported("RSASSA-PSS with SHA-1"))?;
    if !null_or_absent(hash_alg.parameters.as_ref()) {
        return Err(CertificateError::BadEncoding(
            "RSASSA-PSS hash parameters must be NULL".into(),
        ));
    }
    let hash = Hash::from_oid(&hash_alg.algorithm)
        .ok_or_else(|| unsupported(format!("RSASSA-PSS hash {}", hash_alg.algorithm)))?;
    let mgf = params
        .mask_gen_algorithm_raw()
        .ok_or_else(|| unsupported("RSASSA-PSS with MGF1-SHA-1"))?;
    if mgf.algorithm.as_bytes() != ID_MGF1 {
        return Err(unsupported(format!(
            "RSASSA-PSS mask generation {}",
            mgf.algorithm
        )));
    }
    let mgf_hash = params
        .mask_gen_algorithm()
        .map_err(|e| CertificateError::BadEncoding(format!("RSASSA-PSS MGF1 parameters: {e}")))?
        .hash;
    if Hash::from_oid(&mgf_hash) != Some(hash) {
        return Err(unsupported(format!(
            "RSASSA-PSS MGF1 hash {mgf_hash} differs from the message hash"
        )));
    }
    // RFC 4055 §3.1: trailerField must be 1 (0xBC).
    if params.trailer_field() != 1 {
        return Err(unsupported("RSASSA-PSS trailer field other than 1"));
    }
    let salt_len = usize::try_from(params.salt_length())
        .map_err(|_| CertificateError::BadEncoding("RSASSA-PSS salt length".into()))?;
    Ok(SigAlg::Pss { hash, salt_len })
}

/// Verifies `signature` over `msg` by `signer`'s key. Any failure, an
/// algorithm that does not fit the key's kind included, is `BadSignature`.
pub(crate) fn verify_by(
    alg: SigAlg,
    signer: &super::cert::Cert,
    msg: &[u8],
    signature: &[u8],
) -> Result<(), CertificateError> {
    match alg {
        SigAlg::Ecdsa(hash) => {
            let hash = match hash {
                Hash::Sha256 => crate::crypto::sig::SigHash::Sha256,
                Hash::Sha384 => crate::crypto::sig::SigHash::Sha384,
                Hash::Sha512 => crate::crypto::sig::SigHash::Sha512,
            };
            crate::crypto::sig::verify(
                &signer.spki_der,
                crate::crypto::sig::Scheme::Ecdsa(hash),
                msg,
                signature,
            )
            .map_err(|_| CertificateError::BadSignature)
        }
        SigAlg::Pkcs1(_) | SigAlg::Pss { .. } => match &signer.key {
            Ok(key) => verify(alg, key, msg, signature),
            Err(_) if !matches!(signer.key_info, KeyInfo::Rsa { .. }) => {
                Err(CertificateError::BadSignature)
            }
            Err(e) => Err(e.clone()),
        },
    }
}

/// Verifies an RSA `signature` over `msg`. Any failure is `BadSignature`.
fn verify(
    alg: SigAlg,
    key: &PublicKey,
    msg: &[u8],
    signature: &[u8],
) -> Result<(), CertificateError> {
    let result = match alg {
        SigAlg::Ecdsa(_) => return Err(CertificateError::BadSignature),
        SigAlg::Pkcs1(hash) => {
            let scheme = match hash {
                Hash::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
                Hash::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
                Hash::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
            };
            key.verify(scheme, &hash.digest(msg), signature)
        }
        SigAlg::Pss { hash, salt_len } => {
            let hashed = hash.digest(msg);
            match hash {
                Hash::Sha256 => {
                    key.verify(Pss::<Sha256>::new_with_salt(salt_len), &hashed, signature)
                }
                Hash::Sha384 => {
                    key.verify(Pss::<Sha384>::new_with_salt(salt_len), &hashed, signature)
                }
                Hash::Sha512 => {
                    key.verify(Pss::<Sha512>::new_with_salt(salt_len), &hashed, signature)
                }
            }
        }
    };
    result.map_err(|_| CertificateError::BadSignature)
}

/// The RSA key in a SubjectPublicKeyInfo. Only rsaEncryption keys (RFC 3279
/// §2.3.1) are supported: the engine does RSA key exchange and RSA signatures.
pub(crate) fn rsa_public_key(
    spki: &SubjectPublicKeyInfo<'_>,
) -> Result<PublicKey, CertificateError> {
    if spki.algorithm.algorithm != OID_PKCS1_RSAENCRYPTION {
        return Err(unsupported(format!(
            "public key algorithm {}",
            spki.algorithm.algorithm
        )));
    }
    if !null_or_absent(spki.algorithm.parameters.as_ref()) {
        return Err(CertificateError::BadEncoding(
            "rsaEncryption parameters must be NULL".into(),
        ));
    }
    if spki.subject_public_key.unused_bits != 0 {
        return Err(CertificateError::BadEncoding(
            "public key bit string".into(),
        ));
    }
    let bad = || CertificateError::BadEncoding("RSA public key".into());
    let parsed = match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(k)) => k,
        _ => return Err(bad()),
    };
    // INTEGERs are two's complement: a set top bit would make them negative.
    if [parsed.modulus, parsed.exponent]
        .iter()
        .any(|i| i.first().is_some_and(|b| b & 0x80 != 0))
    {
        return Err(bad());
    }
    let n = strip_leading_zeros(parsed.modulus);
    let e = strip_leading_zeros(parsed.exponent);
    if n.is_empty() || e.is_empty() {
        return Err(bad());
    }
    if n.len() > MAX_MODULUS_BYTES {
        return Err(unsupported(format!("RSA modulus of {} bytes", n.len())));
    }
    let n = BoxedUint::from_be_slice_vartime(n);
    let e = BoxedUint::from_be_slice_vartime(e);
    PublicKey::new(n, e).map_err(|err| match err {
        rsa::Error::ModulusTooSmall | rsa::Error::ModulusTooLarge => {
            unsupported(format!("RSA key size ({err})"))
        }
        _ => bad(),
    })
}

/// What kind of key a SubjectPublicKeyInfo holds, read without building it:
/// the key-size and key-type policy looks at this, so a key the `rsa` crate
/// refuses (too small) still gets the policy's precise error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyInfo {
    /// rsaEncryption with a modulus of this many bits (0 if unreadable).
    Rsa { bits: usize },
    /// id-ecPublicKey on a named curve (its OID, dotted).
    Ec { curve: String },
    /// id-dsa (RFC 3279 §2.3.2).
    Dsa,
    /// Any other algorithm (its OID, dotted).
    Other(String),
}

/// id-ecPublicKey's named curves we know (RFC 5480 §2.1.1.1).
pub(crate) const CURVE_P192: &str = "1.2.840.10045.3.1.1";
pub(crate) const CURVE_P256: &str = "1.2.840.10045.3.1.7";
pub(crate) const CURVE_P384: &str = "1.3.132.0.34";

pub(crate) fn key_info(spki: &SubjectPublicKeyInfo<'_>) -> KeyInfo {
    let alg = spki.algorithm.algorithm.to_id_string();
    match alg.as_str() {
        "1.2.840.113549.1.1.1" => {
            let bits = match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(k)) => {
                    bit_length(strip_leading_zeros(k.modulus))
                }
                _ => 0,
            };
            KeyInfo::Rsa { bits }
        }
        "1.2.840.10045.2.1" => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map_or_else(
                    || "implicit or explicit curve".to_string(),
                    |o| o.to_id_string(),
                );
            KeyInfo::Ec { curve }
        }
        "1.2.840.10040.4.1" => KeyInfo::Dsa,
        _ => KeyInfo::Other(alg),
    }
}

/// Bits in a big-endian unsigned integer without leading zero bytes.
fn bit_length(b: &[u8]) -> usize {
    match b.first() {
        // leading_zeros of a u8 is at most 8: no overflow.
        Some(&top) => b.len() * 8 - top.leading_zeros() as usize,
        None => 0,
    }
}

fn strip_leading_zeros(mut b: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = b {
        b = rest;
    }
    b
}
