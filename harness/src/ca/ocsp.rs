//! OCSP responses (RFC 6960 §4.2.1) a responder could send, correct or
//! not, for the stapling server and the loopback responder to hand out:
//! every field the engine judges (status, times, hash, signer, ResponderID,
//! nonce, extensions) is a knob here.

use crate::builtin::{INTERMEDIATE_KEY_PEM, INTERMEDIATE_PEM};
use gauntlet_engine::crypto::rsa_kx::private_key_from_pem;
use gauntlet_engine::crypto::sig::{Scheme, SigHash, SigningKey};
use gauntlet_engine::pki::pem::der_blocks;
use gauntlet_engine::Provider;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use x509_parser::prelude::{FromDer, X509Certificate};

/// id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1 (OID content octets).
const ID_PKIX_OCSP_BASIC: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 0x30, 1, 1];
/// id-pkix-ocsp-nonce, 1.3.6.1.5.5.7.48.1.2.
const ID_PKIX_OCSP_NONCE: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 0x30, 1, 2];
/// sha256WithRSAEncryption AlgorithmIdentifier, DER.
pub(crate) const SHA256_WITH_RSA: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
];
/// An OID under a private arc, for the unknown critical extension.
const PRIVATE_EXTENSION: &[u8] = &[0x2b, 6, 1, 4, 1, 0x83, 0xb2, 0x03, 1];

/// The certificate status the response gives (RFC 6960 §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusSpec {
    Good,
    /// Revoked at this Unix time, with this CRLReason if set.
    Revoked {
        at: u64,
        reason: Option<u8>,
    },
    Unknown,
}

/// How the response names its signer (RFC 6960 §4.2.1 ResponderID).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponderIdSpec {
    ByName,
    /// SHA-1 of the signer's subjectPublicKey.
    ByKey,
}

/// The CertID's hash (RFC 6960 §4.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertIdHashSpec {
    Sha1,
    Sha256,
}

/// A signer: its certificate (DER) and RSA key.
#[derive(Clone, Debug)]
pub struct Signer {
    pub cert: Vec<u8>,
    pub key: Arc<rsa::PrivateKey>,
}

impl Signer {
    /// The test PKI's intermediate CA, which issues `leaf` and its siblings.
    pub fn test_intermediate() -> Result<Self, String> {
        let cert = der_blocks(INTERMEDIATE_PEM, "CERTIFICATE")
            .map_err(|e| format!("intermediate: {e:?}"))?
            .into_iter()
            .next()
            .ok_or("intermediate: no certificate")?;
        let key = private_key_from_pem(INTERMEDIATE_KEY_PEM)
            .map_err(|e| format!("intermediate key: {e:?}"))?;
        Ok(Self {
            cert,
            key: Arc::new(key),
        })
    }
}

/// One response. The defaults of [`OcspResponseSpec::good`] make a correct
/// response; each field, if changed, causes what its doc says.
#[derive(Clone, Debug)]
pub struct OcspResponseSpec {
    /// responseStatus; anything but 0 (successful) sends no responseBytes.
    pub response_status: u8,
    pub status: StatusSpec,
    pub produced_at: u64,
    pub this_update: u64,
    /// None omits nextUpdate.
    pub next_update: Option<u64>,
    pub hash: CertIdHashSpec,
    /// If set, the CertID's serialNumber (content octets) instead of the
    /// certificate's: a response about another certificate.
    pub serial: Option<Vec<u8>>,
    pub responder_id: ResponderIdSpec,
    /// If true, the signer's certificate goes in `certs` (a delegated
    /// responder needs it there).
    pub include_signer_cert: bool,
    /// A nonce extension (RFC 8954) with these bytes.
    pub nonce: Option<Vec<u8>>,
    /// If true, an unknown extension marked critical is added.
    pub critical_unknown_extension: bool,
    /// If true, one bit of the signature is flipped after signing.
    pub corrupt_signature: bool,
}

impl OcspResponseSpec {
    /// Good, signed by the issuer, byName, SHA-1 CertID, valid from an hour
    /// before `now` to a day after it.
    pub fn good(now: u64) -> Self {
        Self {
            response_status: 0,
            status: StatusSpec::Good,
            produced_at: now.saturating_sub(3600),
            this_update: now.saturating_sub(3600),
            next_update: Some(now + 86_400),
            hash: CertIdHashSpec::Sha1,
            serial: None,
            responder_id: ResponderIdSpec::ByName,
            include_signer_cert: false,
            nonce: None,
            critical_unknown_extension: false,
            corrupt_signature: false,
        }
    }

    /// The DER OCSPResponse about `cert` (issued by `issuer`), signed by
    /// `signer` with sha256WithRSAEncryption.
    pub fn build(
        &self,
        cert: &[u8],
        issuer: &[u8],
        signer: &Signer,
        rng: &mut Provider,
    ) -> Result<Vec<u8>, String> {
        let status = tlv(0x0a, &[self.response_status]);
        if self.response_status != 0 {
            return Ok(tlv(0x30, &status));
        }
        let cert_serial = parts(cert)?.serial;
        let Parts {
            subject: issuer_subject,
            key: issuer_key,
            ..
        } = parts(issuer)?;
        let Parts {
            subject: signer_subject,
            key: signer_key,
            ..
        } = parts(&signer.cert)?;

        let (hash_oid, name_hash, key_hash) = match self.hash {
            CertIdHashSpec::Sha1 => (
                &[0x2b, 0x0e, 3, 2, 0x1a][..],
                Sha1::digest(&issuer_subject).to_vec(),
                Sha1::digest(&issuer_key).to_vec(),
            ),
            CertIdHashSpec::Sha256 => (
                &[0x60, 0x86, 0x48, 1, 0x65, 3, 4, 2, 1][..],
                Sha256::digest(&issuer_subject).to_vec(),
                Sha256::digest(&issuer_key).to_vec(),
            ),
        };
        let mut alg = tlv(0x06, hash_oid);
        alg.extend_from_slice(&[0x05, 0x00]);
        let cert_id = tlv(
            0x30,
            &cat(&[
                tlv(0x30, &alg),
                tlv(0x04, &name_hash),
                tlv(0x04, &key_hash),
                tlv(0x02, self.serial.as_deref().unwrap_or(&cert_serial)),
            ]),
        );
        let cert_status = match self.status {
            StatusSpec::Good => vec![0x80, 0x00],
            StatusSpec::Unknown => vec![0x82, 0x00],
            StatusSpec::Revoked { at, reason } => {
                let mut info = time(at);
                if let Some(r) = reason {
                    info.extend(tlv(0xa0, &tlv(0x0a, &[r])));
                }
                tlv(0xa1, &info)
            }
        };
        let mut single = cat(&[cert_id, cert_status, time(self.this_update)]);
        if let Some(next) = self.next_update {
            single.extend(tlv(0xa0, &time(next)));
        }
        let responder = match self.responder_id {
            ResponderIdSpec::ByName => tlv(0xa1, &signer_subject),
            ResponderIdSpec::ByKey => tlv(0xa2, &tlv(0x04, &Sha1::digest(&signer_key))),
        };
        let mut data = cat(&[
            responder,
            time(self.produced_at),
            tlv(0x30, &tlv(0x30, &single)),
        ]);
        let mut exts = Vec::new();
        if let Some(nonce) = &self.nonce {
            exts.push(tlv(
                0x30,
                &cat(&[tlv(0x06, ID_PKIX_OCSP_NONCE), tlv(0x04, &tlv(0x04, nonce))]),
            ));
        }
        if self.critical_unknown_extension {
            exts.push(tlv(
                0x30,
                &cat(&[
                    tlv(0x06, PRIVATE_EXTENSION),
                    vec![0x01, 0x01, 0xff],
                    tlv(0x04, &[0x05, 0x00]),
                ]),
            ));
        }
        if !exts.is_empty() {
            data.extend(tlv(0xa1, &tlv(0x30, &cat(&exts))));
        }
        let tbs = tlv(0x30, &data);
        let mut signature = SigningKey::sign(
            signer.key.as_ref(),
            Scheme::RsaPkcs1(SigHash::Sha256),
            &tbs,
            rng,
        )
        .map_err(|e| format!("signing: {e}"))?;
        if self.corrupt_signature {
            if let Some(b) = signature.last_mut() {
                *b ^= 1;
            }
        }
        let mut sig_bits = vec![0u8];
        sig_bits.extend(signature);
        let mut basic = cat(&[tbs, SHA256_WITH_RSA.to_vec(), tlv(0x03, &sig_bits)]);
        if self.include_signer_cert {
            basic.extend(tlv(0xa0, &tlv(0x30, &signer.cert)));
        }
        let bytes = tlv(
            0x30,
            &cat(&[tlv(0x06, ID_PKIX_OCSP_BASIC), tlv(0x04, &tlv(0x30, &basic))]),
        );
        Ok(tlv(0x30, &cat(&[status, tlv(0xa0, &bytes)])))
    }
}

/// What a CertID and a ResponderID are made of.
pub(crate) struct Parts {
    /// serialNumber, INTEGER content octets.
    pub(crate) serial: Vec<u8>,
    /// subject Name, DER.
    pub(crate) subject: Vec<u8>,
    /// subjectPublicKey BIT STRING value.
    pub(crate) key: Vec<u8>,
}

pub(crate) fn parts(der: &[u8]) -> Result<Parts, String> {
    let (_, c) = X509Certificate::from_der(der).map_err(|e| format!("certificate: {e}"))?;
    let tbs = &c.tbs_certificate;
    Ok(Parts {
        serial: tbs.raw_serial().to_vec(),
        subject: tbs.subject.as_raw().to_vec(),
        key: tbs.subject_pki.subject_public_key.data.to_vec(),
    })
}

/// GeneralizedTime `YYYYMMDDHHMMSSZ` (RFC 5280 §4.1.2.5.2).
pub(crate) fn time(unix: u64) -> Vec<u8> {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    // Days to civil date (H. Hinnant), from 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let s = format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    tlv(0x18, s.as_bytes())
}

/// One DER element (definite, minimal length).
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

pub(crate) fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_time_is_the_civil_date() {
        assert_eq!(&time(0)[2..], b"19700101000000Z");
        assert_eq!(&time(951_868_799)[2..], b"20000229235959Z");
        assert_eq!(&time(1_798_761_600)[2..], b"20270101000000Z");
    }
}
