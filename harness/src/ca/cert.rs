//! Certificates the CA peer issues: [`reissue`] re-signs a template
//! certificate under a new serial and issuer, with the authorityInfoAccess
//! and cRLDistributionPoints a test's loopback responders serve, keeping
//! everything else byte for byte. Also owns the test root's [`Signer`] and
//! the signing of every TBS structure the CA makes (certificates, CRLs).

use super::ocsp::{cat, parts, tlv, Signer, SHA256_WITH_RSA};
use crate::builtin::ROOT_PEM;
use gauntlet_engine::crypto::rsa_kx::private_key_from_pem;
use gauntlet_engine::crypto::sig::{Scheme, SigHash, SigningKey};
use gauntlet_engine::pki::pem::der_blocks;
use gauntlet_engine::Provider;
use std::sync::Arc;

const ROOT_KEY_PEM: &str = include_str!("../../pki/root.key");
/// id-pe-authorityInfoAccess, 1.3.6.1.5.5.7.1.1 (OID content octets).
const ID_PE_AIA: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 1, 1];
/// id-ad-ocsp, 1.3.6.1.5.5.7.48.1.
const ID_AD_OCSP: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 0x30, 1];
/// id-ce-cRLDistributionPoints, 2.5.29.31.
const ID_CE_CDP: &[u8] = &[0x55, 0x1d, 0x1f];

impl Signer {
    /// The test PKI's root CA, which issues `int` and signs `root-crl`.
    pub fn test_root() -> Result<Self, String> {
        let cert = der_blocks(ROOT_PEM, "CERTIFICATE")
            .map_err(|e| format!("root: {e:?}"))?
            .into_iter()
            .next()
            .ok_or("root: no certificate")?;
        let key = private_key_from_pem(ROOT_KEY_PEM).map_err(|e| format!("root key: {e:?}"))?;
        Ok(Self {
            cert,
            key: Arc::new(key),
        })
    }
}

/// What [`reissue`] changes in the template.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReissueSpec {
    /// serialNumber: a positive INTEGER's big-endian octets (re-encoded
    /// minimally, with a leading 0 if the high bit is set).
    pub serial: Vec<u8>,
    /// One id-ad-ocsp accessLocation URI each; empty omits the AIA.
    pub ocsp_urls: Vec<String>,
    /// One DistributionPoint fullName URI each; empty omits the CDP.
    pub crl_urls: Vec<String>,
}

/// A certificate (DER) with the template's version, validity, subject,
/// subjectPublicKeyInfo and extensions (raw, in order) but for any AIA and
/// CDP, which `spec`'s replace at the end; the serial of `spec`, the
/// issuer Name of `issuer.cert`'s subject, and sha256WithRSAEncryption by
/// `issuer.key`. Unique identifiers (RFC 5280 §4.1.2.8) are dropped; a
/// v1/v2 template becomes v3 if the result has extensions.
pub fn reissue(
    template: &[u8],
    issuer: &Signer,
    spec: &ReissueSpec,
    rng: &mut Provider,
) -> Result<Vec<u8>, String> {
    let mut input = template;
    let mut cert = expect(&mut input, 0x30)?.content;
    if !input.is_empty() {
        return Err("trailing data after the template".into());
    }
    let mut tbs = expect(&mut cert, 0x30)?.content;
    let version = match tbs.first() {
        Some(0xa0) => next(&mut tbs)?.whole,
        _ => &[],
    };
    expect(&mut tbs, 0x02)?; // serialNumber
    expect(&mut tbs, 0x30)?; // signature
    expect(&mut tbs, 0x30)?; // issuer
    let validity = expect(&mut tbs, 0x30)?.whole;
    let subject = expect(&mut tbs, 0x30)?.whole;
    let spki = expect(&mut tbs, 0x30)?.whole;
    let mut exts = Vec::new();
    while !tbs.is_empty() {
        let field = next(&mut tbs)?;
        match field.tag {
            0x81 | 0x82 => {}
            0xa3 => {
                let mut wrapper = field.content;
                let mut list = expect(&mut wrapper, 0x30)?.content;
                if !wrapper.is_empty() {
                    return Err("trailing data after the extensions".into());
                }
                while !list.is_empty() {
                    let ext = expect(&mut list, 0x30)?;
                    let oid = expect(&mut &ext.content[..], 0x06)?.content;
                    if oid != ID_PE_AIA && oid != ID_CE_CDP {
                        exts.push(ext.whole.to_vec());
                    }
                }
            }
            tag => return Err(format!("unexpected TBSCertificate field, tag {tag:#04x}")),
        }
    }
    let uri = |u: &String| {
        u.is_ascii()
            .then(|| tlv(0x86, u.as_bytes()))
            .ok_or(format!("not an IA5String URI: {u}"))
    };
    let extension = |oid, value: Vec<u8>| tlv(0x30, &cat(&[tlv(0x06, oid), tlv(0x04, &value)]));
    if !spec.ocsp_urls.is_empty() {
        let descs = spec
            .ocsp_urls
            .iter()
            .map(|u| Ok(tlv(0x30, &cat(&[tlv(0x06, ID_AD_OCSP), uri(u)?]))));
        let descs = descs.collect::<Result<Vec<_>, String>>()?;
        exts.push(extension(ID_PE_AIA, tlv(0x30, &cat(&descs))));
    }
    if !spec.crl_urls.is_empty() {
        let points = spec
            .crl_urls
            .iter()
            .map(|u| Ok(tlv(0x30, &tlv(0xa0, &tlv(0xa0, &uri(u)?)))))
            .collect::<Result<Vec<_>, String>>()?;
        exts.push(extension(ID_CE_CDP, tlv(0x30, &cat(&points))));
    }
    let v3 = [0xa0, 3, 2, 1, 2];
    let version = if exts.is_empty() { version } else { &v3 };
    let mut fields = vec![
        version.to_vec(),
        tlv(0x02, &positive_integer(&spec.serial)?),
        SHA256_WITH_RSA.to_vec(),
        parts(&issuer.cert)?.subject,
        validity.to_vec(),
        subject.to_vec(),
        spki.to_vec(),
    ];
    if !exts.is_empty() {
        fields.push(tlv(0xa3, &tlv(0x30, &cat(&exts))));
    }
    sign(tlv(0x30, &cat(&fields)), issuer, false, rng)
}

/// `SEQUENCE { tbs, sha256WithRSAEncryption, BIT STRING signature }`, the
/// signature by `signer.key`, with one bit flipped if `corrupt`.
pub(crate) fn sign(
    tbs: Vec<u8>,
    signer: &Signer,
    corrupt: bool,
    rng: &mut Provider,
) -> Result<Vec<u8>, String> {
    let scheme = Scheme::RsaPkcs1(SigHash::Sha256);
    let mut signature = SigningKey::sign(signer.key.as_ref(), scheme, &tbs, rng)
        .map_err(|e| format!("signing: {e}"))?;
    if corrupt {
        if let Some(b) = signature.last_mut() {
            *b ^= 1;
        }
    }
    let bits = cat(&[vec![0], signature]);
    Ok(tlv(
        0x30,
        &cat(&[tbs, SHA256_WITH_RSA.to_vec(), tlv(0x03, &bits)]),
    ))
}

/// Minimal INTEGER content octets of the positive number `be`.
pub(crate) fn positive_integer(be: &[u8]) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = be.iter().copied().skip_while(|&b| b == 0).collect();
    match digits.first() {
        None => Err("serial must be positive".into()),
        Some(&b) if b & 0x80 != 0 => Ok(cat(&[vec![0], digits])),
        Some(_) => Ok(digits),
    }
}

/// One DER element of a template: low-tag-number form, definite length.
struct Tlv<'a> {
    tag: u8,
    whole: &'a [u8],
    content: &'a [u8],
}

/// Takes the element at the start of `input`, advancing it.
fn next<'a>(input: &mut &'a [u8]) -> Result<Tlv<'a>, String> {
    let bad = || "malformed DER in the template".to_string();
    let (&tag, after) = input.split_first().ok_or_else(bad)?;
    let (&first, after) = after.split_first().ok_or_else(bad)?;
    if tag & 0x1f == 0x1f || first == 0x80 {
        return Err(bad());
    }
    let (len, after) = if first < 0x80 {
        (usize::from(first), after)
    } else {
        let n = usize::from(first & 0x7f);
        if n > 4 || after.len() < n || after.first() == Some(&0) {
            return Err(bad());
        }
        let len = after[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &after[n..])
    };
    if after.len() < len {
        return Err(bad());
    }
    let head = input.len() - after.len();
    let whole = &input[..head + len];
    *input = &input[head + len..];
    Ok(Tlv {
        tag,
        whole,
        content: &whole[head..],
    })
}

/// [`next`], which must have `tag`.
fn expect<'a>(input: &mut &'a [u8], tag: u8) -> Result<Tlv<'a>, String> {
    let t = next(input)?;
    if t.tag != tag {
        return Err(format!("expected tag {tag:#04x}, found {:#04x}", t.tag));
    }
    Ok(t)
}
