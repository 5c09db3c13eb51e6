//! OCSP (RFC 6960), sans-IO: the request for one certificate, and the
//! verification of a response (fetched by the caller from the AIA responder,
//! or stapled in CertificateStatus, RFC 6066 §8) against that certificate,
//! its issuer and the injected time. The engine never fetches anything.
//!
//! What a response must be to say anything (RFC 6960 §3.2, §4.2.2.2):
//! - a DER OCSPResponse, `successful`, of type id-pkix-ocsp-basic, at most
//!   [`MAX_RESPONSE_LEN`] bytes, with at most [`MAX_RESPONSE_CERTS`]
//!   certificates and [`MAX_SINGLE_RESPONSES`] SingleResponses;
//! - signed by the issuer itself, or by a delegated responder named in the
//!   ResponderID, carried in `certs`, issued directly by the issuer, holding
//!   id-kp-OCSPSigning and valid now (we do not check the responder's own
//!   revocation: RFC 6960 §4.2.2.2.1 leaves that to the CA's id-pkix-ocsp-nocheck);
//! - a SingleResponse whose CertID names the certificate (issuer name hash,
//!   issuer key hash and serial, under SHA-1, SHA-256, SHA-384 or SHA-512);
//! - current: thisUpdate not after now, nextUpdate not before it. Without
//!   nextUpdate, RFC 6960 §4.2.2.1 leaves freshness to local policy: we take
//!   the response for [`OcspOptions::max_age_without_next_update`] seconds
//!   after thisUpdate (a day by default);
//! - with the caller's nonce if the response carries one (a nonce is
//!   optional: pre-produced responses (RFC 5019 §2.1.1) have none);
//! - no critical extension we do not process.
//!
//! The answer is then the status, good, revoked or unknown, which the
//! caller's revocation policy turns into a verdict.

use super::cert::Cert;
use super::der::{self, Cursor, Tlv};
use super::signature;
use super::Time;
use crate::error::{CertificateError, OcspError};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_parser::prelude::FromDer;
use x509_parser::x509::AlgorithmIdentifier;

/// The largest OCSP response we parse; real ones are 1-4 KiB.
pub const MAX_RESPONSE_LEN: usize = 64 * 1024;
/// The most certificates a response may carry (a delegated responder and
/// perhaps its chain).
pub const MAX_RESPONSE_CERTS: usize = 4;
/// The most SingleResponses a response may carry.
pub const MAX_SINGLE_RESPONSES: usize = 64;
/// How long a response without nextUpdate counts as current, by default.
pub const DEFAULT_MAX_AGE_WITHOUT_NEXT_UPDATE: u64 = 24 * 3600;

const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const NULL: u8 = 0x05;
const OID: u8 = 0x06;
const ENUMERATED: u8 = 0x0a;
const BOOLEAN: u8 = 0x01;
const SEQUENCE: u8 = 0x30;
const GENERALIZED_TIME: u8 = 0x18;

/// id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1, as DER OID content.
const ID_PKIX_OCSP_BASIC: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 0x30, 1, 1];
/// id-pkix-ocsp-nonce, 1.3.6.1.5.5.7.48.1.2.
const ID_PKIX_OCSP_NONCE: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 0x30, 1, 2];
// The CertID hashes (RFC 6960 §4.1.1), as DER OID content.
const OID_SHA1: &[u8] = &[0x2b, 0x0e, 3, 2, 0x1a];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 1, 0x65, 3, 4, 2, 1];
const OID_SHA384: &[u8] = &[0x60, 0x86, 0x48, 1, 0x65, 3, 4, 2, 2];
const OID_SHA512: &[u8] = &[0x60, 0x86, 0x48, 1, 0x65, 3, 4, 2, 3];

/// The hash of a CertID (RFC 6960 §4.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertIdHash {
    /// What `openssl ocsp` and most responders use by default.
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl CertIdHash {
    fn oid(self) -> &'static [u8] {
        match self {
            CertIdHash::Sha1 => OID_SHA1,
            CertIdHash::Sha256 => OID_SHA256,
            CertIdHash::Sha384 => OID_SHA384,
            CertIdHash::Sha512 => OID_SHA512,
        }
    }

    fn from_oid(oid: &[u8]) -> Option<Self> {
        [
            CertIdHash::Sha1,
            CertIdHash::Sha256,
            CertIdHash::Sha384,
            CertIdHash::Sha512,
        ]
        .into_iter()
        .find(|h| h.oid() == oid)
    }

    fn digest(self, msg: &[u8]) -> Vec<u8> {
        match self {
            CertIdHash::Sha1 => Sha1::digest(msg).to_vec(),
            CertIdHash::Sha256 => Sha256::digest(msg).to_vec(),
            CertIdHash::Sha384 => Sha384::digest(msg).to_vec(),
            CertIdHash::Sha512 => Sha512::digest(msg).to_vec(),
        }
    }
}

/// The status a verified response gives the certificate (RFC 6960 §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertStatus {
    Good,
    Revoked {
        /// revocationTime.
        at: Time,
        /// revocationReason (RFC 5280 §5.3.1 CRLReason), if given.
        reason: Option<u8>,
    },
    Unknown,
}

/// What a verification needs besides the response, certificate and issuer.
#[derive(Clone, Copy, Debug)]
pub struct OcspOptions<'a> {
    pub now: Time,
    /// The nonce our request carried, if any.
    pub nonce: Option<&'a [u8]>,
    /// See the module docs; [`DEFAULT_MAX_AGE_WITHOUT_NEXT_UPDATE`].
    pub max_age_without_next_update: u64,
    /// The RSA floor for the response's signer, as for the chain.
    pub min_rsa_bits: usize,
}

impl OcspOptions<'_> {
    pub fn at(now: Time) -> Self {
        OcspOptions {
            now,
            nonce: None,
            max_age_without_next_update: DEFAULT_MAX_AGE_WITHOUT_NEXT_UPDATE,
            min_rsa_bits: super::DEFAULT_MIN_RSA_BITS,
        }
    }
}

/// A verified answer: the status, and the times it was given for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedStatus {
    pub status: CertStatus,
    pub this_update: Time,
    pub next_update: Option<Time>,
    /// Whether the issuer signed it itself (else a delegated responder).
    pub signed_by_issuer: bool,
}

/// A DER OCSPRequest (RFC 6960 §4.1.1) for `cert_der` issued by
/// `issuer_der`, unsigned, with a nonce extension (RFC 8954) if given.
pub fn request(
    cert_der: &[u8],
    issuer_der: &[u8],
    hash: CertIdHash,
    nonce: Option<&[u8]>,
) -> Result<Vec<u8>, CertificateError> {
    let cert = Cert::parse(cert_der)?;
    let issuer = Cert::parse(issuer_der)?;
    // TBSRequest { requestList SEQUENCE OF Request { reqCert CertID } }
    let request = der::tlv(
        SEQUENCE,
        &der::tlv(SEQUENCE, &cert_id(&cert, &issuer, hash)),
    );
    let mut tbs = der::tlv(SEQUENCE, &request);
    if let Some(nonce) = nonce {
        let mut ext = der::tlv(OID, ID_PKIX_OCSP_NONCE);
        der::write_tlv(OCTET_STRING, &der::tlv(OCTET_STRING, nonce), &mut ext);
        let exts = der::tlv(SEQUENCE, &der::tlv(SEQUENCE, &ext));
        der::write_tlv(0xa2, &exts, &mut tbs);
    }
    Ok(der::tlv(SEQUENCE, &der::tlv(SEQUENCE, &tbs)))
}

/// The content of the CertID of `cert` under `hash`.
fn cert_id(cert: &Cert, issuer: &Cert, hash: CertIdHash) -> Vec<u8> {
    let mut alg = der::tlv(OID, hash.oid());
    alg.extend_from_slice(&[NULL, 0]);
    let mut id = der::tlv(SEQUENCE, &alg);
    der::write_tlv(OCTET_STRING, &hash.digest(&issuer.subject), &mut id);
    der::write_tlv(OCTET_STRING, &hash.digest(&issuer.spki_key), &mut id);
    der::write_tlv(INTEGER, &cert.serial, &mut id);
    id
}

/// Where a certificate says to ask about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RevocationSources {
    /// authorityInfoAccess id-ad-ocsp URIs.
    pub ocsp: Vec<String>,
    /// cRLDistributionPoints fullName URIs.
    pub crl: Vec<String>,
}

/// The OCSP responders and CRL distribution points `cert_der` names.
pub fn revocation_sources(cert_der: &[u8]) -> Result<RevocationSources, CertificateError> {
    let cert = Cert::parse(cert_der)?;
    Ok(RevocationSources {
        ocsp: cert.ocsp_urls,
        crl: cert.crl_urls,
    })
}

/// Verifies `response` (a DER OCSPResponse) for `cert_der`, issued by
/// `issuer_der`, and returns the status it gives (see the module docs).
pub fn verify_response(
    response: &[u8],
    cert_der: &[u8],
    issuer_der: &[u8],
    opts: &OcspOptions<'_>,
) -> Result<VerifiedStatus, OcspError> {
    let cert = Cert::parse(cert_der).map_err(OcspError::Certificate)?;
    let issuer = Cert::parse(issuer_der).map_err(OcspError::Certificate)?;
    verify_parsed(response, &cert, &issuer, opts)
}

pub(crate) fn verify_parsed(
    response: &[u8],
    cert: &Cert,
    issuer: &Cert,
    opts: &OcspOptions<'_>,
) -> Result<VerifiedStatus, OcspError> {
    if response.len() > MAX_RESPONSE_LEN {
        return Err(OcspError::TooLarge(response.len()));
    }
    let basic = parse_response(response)?;
    let data = parse_response_data(basic.tbs.content)?;

    // The signer (RFC 6960 §4.2.2.2), then the signature over the DER of
    // tbsResponseData as received.
    let (signer_key, signed_by_issuer) = if data.responder.names(issuer) {
        (issuer, true)
    } else {
        (
            find_delegate(&basic.certs, &data.responder, issuer, opts)?,
            false,
        )
    };
    check_signer_key(signer_key, opts.min_rsa_bits)?;
    let alg = parse_alg(basic.alg)?;
    signature::verify_by(alg, signer_key, basic.tbs.raw, basic.signature)
        .map_err(|_| OcspError::BadSignature)?;

    if let (Some(expected), Some(got)) = (opts.nonce, data.nonce) {
        if expected != got {
            return Err(OcspError::NonceMismatch);
        }
    }

    let single = data
        .responses
        .iter()
        .find(|s| s.names(cert, issuer))
        .ok_or(OcspError::NoMatchingResponse)?;
    let now = opts.now.0;
    if single.this_update > now {
        return Err(OcspError::NotYetValid);
    }
    let good_until = single.next_update.unwrap_or_else(|| {
        single
            .this_update
            .saturating_add(opts.max_age_without_next_update)
    });
    if good_until < now {
        return Err(OcspError::Expired);
    }
    Ok(VerifiedStatus {
        status: single.status,
        this_update: Time(single.this_update),
        next_update: single.next_update.map(Time),
        signed_by_issuer,
    })
}

/// The chain's key policy (`pki::check_key`) for whoever signs.
fn check_signer_key(signer: &Cert, min_rsa_bits: usize) -> Result<(), OcspError> {
    super::check_key(&signer.key_info, min_rsa_bits).map_err(OcspError::Certificate)
}

/// The delegated responder the ResponderID names, checked per RFC 6960
/// §4.2.2.2: issued by the CA itself and authorised by id-kp-OCSPSigning.
fn find_delegate<'c>(
    certs: &'c [Cert],
    responder: &ResponderId<'_>,
    issuer: &Cert,
    opts: &OcspOptions<'_>,
) -> Result<&'c Cert, OcspError> {
    let delegate =
        certs
            .iter()
            .find(|c| responder.names(c))
            .ok_or(OcspError::UnauthorizedSigner(
                "the ResponderID names neither the issuer nor a certificate in the response",
            ))?;
    if delegate.issuer != issuer.subject {
        return Err(OcspError::UnauthorizedSigner(
            "the delegated responder is not issued by the certificate's issuer",
        ));
    }
    check_signer_key(issuer, opts.min_rsa_bits)?;
    let alg = delegate.sig_alg.clone().map_err(|_| {
        OcspError::UnauthorizedSigner("the delegated responder's signature algorithm")
    })?;
    signature::verify_by(alg, issuer, &delegate.tbs, &delegate.signature).map_err(|_| {
        OcspError::UnauthorizedSigner("the delegated responder is not signed by the issuer")
    })?;
    if !delegate.ext_key_usage.is_some_and(|eku| eku.ocsp_signing) {
        return Err(OcspError::UnauthorizedSigner(
            "the delegated responder lacks id-kp-OCSPSigning",
        ));
    }
    delegate
        .check_validity(i64::try_from(opts.now.0).unwrap_or(i64::MAX))
        .map_err(|_| OcspError::UnauthorizedSigner("the delegated responder is not valid now"))?;
    Ok(delegate)
}

fn parse_alg(raw: &[u8]) -> Result<signature::SigAlg, OcspError> {
    let (rest, alg) =
        AlgorithmIdentifier::from_der(raw).map_err(|_| malformed("signatureAlgorithm"))?;
    if !rest.is_empty() {
        return Err(malformed("signatureAlgorithm"));
    }
    signature::parse_sig_alg(&alg).map_err(|e| match e {
        CertificateError::UnsupportedSignatureAlgorithm(what) => {
            OcspError::UnsupportedSignatureAlgorithm(what)
        }
        _ => malformed("signatureAlgorithm parameters"),
    })
}

fn malformed(what: &str) -> OcspError {
    OcspError::Malformed(what.to_string())
}

struct Basic<'a> {
    tbs: Tlv<'a>,
    alg: &'a [u8],
    signature: &'a [u8],
    certs: Vec<Cert>,
}

/// OCSPResponse → ResponseBytes → BasicOCSPResponse (RFC 6960 §4.2.1).
fn parse_response(der: &[u8]) -> Result<Basic<'_>, OcspError> {
    let (outer, trailing) = der::read_tlv(der).ok_or_else(|| malformed("OCSPResponse"))?;
    if outer.tag != SEQUENCE || !trailing.is_empty() {
        return Err(malformed("OCSPResponse"));
    }
    let mut c = Cursor::new(outer.content);
    let status = c
        .tagged(ENUMERATED)
        .ok_or_else(|| malformed("responseStatus"))?;
    let status = match status.content {
        [s] if *s < 0x80 => *s,
        _ => return Err(malformed("responseStatus")),
    };
    let bytes = c.optional(0xa0).map_err(|()| malformed("responseBytes"))?;
    c.finish().ok_or_else(|| malformed("OCSPResponse"))?;
    if status != 0 {
        // §4.2.1: only a successful response carries responseBytes.
        return Err(OcspError::ResponderStatus(status));
    }
    let bytes = bytes.ok_or_else(|| malformed("successful response without responseBytes"))?;
    let mut c = Cursor::new(bytes.content);
    let rb = c
        .tagged(SEQUENCE)
        .ok_or_else(|| malformed("ResponseBytes"))?;
    c.finish().ok_or_else(|| malformed("responseBytes"))?;
    let mut c = Cursor::new(rb.content);
    let kind = c.tagged(OID).ok_or_else(|| malformed("responseType"))?;
    let body = c
        .tagged(OCTET_STRING)
        .ok_or_else(|| malformed("response"))?;
    c.finish().ok_or_else(|| malformed("ResponseBytes"))?;
    if kind.content != ID_PKIX_OCSP_BASIC {
        return Err(OcspError::UnsupportedResponseType(hex(kind.content)));
    }

    let (basic, trailing) =
        der::read_tlv(body.content).ok_or_else(|| malformed("BasicOCSPResponse"))?;
    if basic.tag != SEQUENCE || !trailing.is_empty() {
        return Err(malformed("BasicOCSPResponse"));
    }
    let mut c = Cursor::new(basic.content);
    let tbs = c
        .tagged(SEQUENCE)
        .ok_or_else(|| malformed("tbsResponseData"))?;
    let alg = c
        .tagged(SEQUENCE)
        .ok_or_else(|| malformed("signatureAlgorithm"))?;
    let sig = c.tagged(BIT_STRING).ok_or_else(|| malformed("signature"))?;
    let certs_tlv = c.optional(0xa0).map_err(|()| malformed("certs"))?;
    c.finish().ok_or_else(|| malformed("BasicOCSPResponse"))?;
    let signature = match sig.content.split_first() {
        Some((0, s)) => s,
        _ => return Err(malformed("signature BIT STRING")),
    };
    let mut certs = Vec::new();
    if let Some(t) = certs_tlv {
        let mut c = Cursor::new(t.content);
        let seq = c.tagged(SEQUENCE).ok_or_else(|| malformed("certs"))?;
        c.finish().ok_or_else(|| malformed("certs"))?;
        let mut c = Cursor::new(seq.content);
        while !c.is_empty() {
            if certs.len() == MAX_RESPONSE_CERTS {
                return Err(OcspError::TooManyCertificates);
            }
            let cert = c.tagged(SEQUENCE).ok_or_else(|| malformed("certs"))?;
            certs.push(Cert::parse(cert.raw).map_err(OcspError::Certificate)?);
        }
    }
    Ok(Basic {
        tbs,
        alg: alg.raw,
        signature,
        certs,
    })
}

enum ResponderId<'a> {
    ByName(&'a [u8]),
    /// SHA-1 of the responder's subjectPublicKey (RFC 6960 §4.2.1).
    ByKey(&'a [u8]),
}

impl ResponderId<'_> {
    fn names(&self, cert: &Cert) -> bool {
        match self {
            ResponderId::ByName(name) => *name == cert.subject.as_slice(),
            ResponderId::ByKey(hash) => *hash == Sha1::digest(&cert.spki_key).as_slice(),
        }
    }
}

struct SingleResponse<'a> {
    hash: Option<CertIdHash>,
    name_hash: &'a [u8],
    key_hash: &'a [u8],
    serial: &'a [u8],
    status: CertStatus,
    this_update: u64,
    next_update: Option<u64>,
}

impl SingleResponse<'_> {
    /// Does this CertID name `cert`? A hash we cannot compute names nothing.
    fn names(&self, cert: &Cert, issuer: &Cert) -> bool {
        let Some(hash) = self.hash else {
            return false;
        };
        self.serial == cert.serial.as_slice()
            && self.name_hash == hash.digest(&issuer.subject).as_slice()
            && self.key_hash == hash.digest(&issuer.spki_key).as_slice()
    }
}

struct ResponseData<'a> {
    responder: ResponderId<'a>,
    responses: Vec<SingleResponse<'a>>,
    nonce: Option<&'a [u8]>,
}

fn parse_response_data(content: &[u8]) -> Result<ResponseData<'_>, OcspError> {
    let mut c = Cursor::new(content);
    if let Some(v) = c.optional(0xa0).map_err(|()| malformed("version"))? {
        // v1 is the DEFAULT; anything else is a version we do not know.
        if v.content != [INTEGER, 1, 0] {
            return Err(malformed("version (only v1 exists)"));
        }
    }
    let rid = c.any().ok_or_else(|| malformed("responderID"))?;
    let responder = match rid.tag {
        0xa1 => {
            let mut n = Cursor::new(rid.content);
            let name = n
                .tagged(SEQUENCE)
                .ok_or_else(|| malformed("responderID byName"))?;
            n.finish().ok_or_else(|| malformed("responderID byName"))?;
            ResponderId::ByName(name.raw)
        }
        0xa2 => {
            let mut k = Cursor::new(rid.content);
            let hash = k
                .tagged(OCTET_STRING)
                .ok_or_else(|| malformed("responderID byKey"))?;
            k.finish().ok_or_else(|| malformed("responderID byKey"))?;
            ResponderId::ByKey(hash.content)
        }
        _ => return Err(malformed("responderID")),
    };
    let produced = c
        .tagged(GENERALIZED_TIME)
        .ok_or_else(|| malformed("producedAt"))?;
    generalized_time(produced.content)?;
    let list = c.tagged(SEQUENCE).ok_or_else(|| malformed("responses"))?;
    let exts = c
        .optional(0xa1)
        .map_err(|()| malformed("responseExtensions"))?;
    c.finish().ok_or_else(|| malformed("ResponseData"))?;

    let mut responses = Vec::new();
    let mut l = Cursor::new(list.content);
    while !l.is_empty() {
        if responses.len() == MAX_SINGLE_RESPONSES {
            return Err(malformed("too many SingleResponses"));
        }
        let single = l
            .tagged(SEQUENCE)
            .ok_or_else(|| malformed("SingleResponse"))?;
        responses.push(parse_single(single.content)?);
    }
    if responses.is_empty() {
        return Err(malformed("no SingleResponse"));
    }
    let mut nonce = None;
    if let Some(exts) = exts {
        for (oid, critical, value) in extensions(exts.content)? {
            if oid == ID_PKIX_OCSP_NONCE {
                // RFC 8954: an OCTET STRING inside extnValue; older
                // responders put the bare bytes.
                nonce = Some(match der::read_tlv(value) {
                    Some((t, [])) if t.tag == OCTET_STRING => t.content,
                    _ => value,
                });
            } else if critical {
                return Err(OcspError::UnhandledCriticalExtension(hex(oid)));
            }
        }
    }
    Ok(ResponseData {
        responder,
        responses,
        nonce,
    })
}

fn parse_single(content: &[u8]) -> Result<SingleResponse<'_>, OcspError> {
    let mut c = Cursor::new(content);
    let id = c.tagged(SEQUENCE).ok_or_else(|| malformed("certID"))?;
    let mut i = Cursor::new(id.content);
    let alg = i
        .tagged(SEQUENCE)
        .ok_or_else(|| malformed("certID hashAlgorithm"))?;
    let name_hash = i
        .tagged(OCTET_STRING)
        .ok_or_else(|| malformed("issuerNameHash"))?;
    let key_hash = i
        .tagged(OCTET_STRING)
        .ok_or_else(|| malformed("issuerKeyHash"))?;
    let serial = i.tagged(INTEGER).ok_or_else(|| malformed("serialNumber"))?;
    i.finish().ok_or_else(|| malformed("certID"))?;
    let mut a = Cursor::new(alg.content);
    let oid = a
        .tagged(OID)
        .ok_or_else(|| malformed("certID hashAlgorithm"))?;
    // Parameters NULL or absent (RFC 5754 §2 allows both for SHA-2).
    if !a.is_empty() {
        let p = a
            .tagged(NULL)
            .ok_or_else(|| malformed("hashAlgorithm parameters"))?;
        if !p.content.is_empty() {
            return Err(malformed("hashAlgorithm parameters"));
        }
    }
    a.finish()
        .ok_or_else(|| malformed("certID hashAlgorithm"))?;

    let st = c.any().ok_or_else(|| malformed("certStatus"))?;
    let status = match st.tag {
        0x80 if st.content.is_empty() => CertStatus::Good,
        0x82 if st.content.is_empty() => CertStatus::Unknown,
        0xa1 => {
            let mut r = Cursor::new(st.content);
            let at = r
                .tagged(GENERALIZED_TIME)
                .ok_or_else(|| malformed("revocationTime"))?;
            let at = generalized_time(at.content)?;
            let reason = match r
                .optional(0xa0)
                .map_err(|()| malformed("revocationReason"))?
            {
                Some(t) => match t.content {
                    [ENUMERATED, 1, v] if *v < 0x80 => Some(*v),
                    _ => return Err(malformed("revocationReason")),
                },
                None => None,
            };
            r.finish().ok_or_else(|| malformed("RevokedInfo"))?;
            CertStatus::Revoked {
                at: Time(at),
                reason,
            }
        }
        _ => return Err(malformed("certStatus")),
    };
    let this = c
        .tagged(GENERALIZED_TIME)
        .ok_or_else(|| malformed("thisUpdate"))?;
    let this_update = generalized_time(this.content)?;
    let next_update = match c.optional(0xa0).map_err(|()| malformed("nextUpdate"))? {
        Some(t) => {
            let mut n = Cursor::new(t.content);
            let time = n
                .tagged(GENERALIZED_TIME)
                .ok_or_else(|| malformed("nextUpdate"))?;
            n.finish().ok_or_else(|| malformed("nextUpdate"))?;
            Some(generalized_time(time.content)?)
        }
        None => None,
    };
    if let Some(exts) = c
        .optional(0xa1)
        .map_err(|()| malformed("singleExtensions"))?
    {
        for (oid, critical, _) in extensions(exts.content)? {
            if critical {
                return Err(OcspError::UnhandledCriticalExtension(hex(oid)));
            }
        }
    }
    c.finish().ok_or_else(|| malformed("SingleResponse"))?;
    Ok(SingleResponse {
        hash: CertIdHash::from_oid(oid.content),
        name_hash: name_hash.content,
        key_hash: key_hash.content,
        serial: serial.content,
        status,
        this_update,
        next_update,
    })
}

/// One Extension: (OID content, critical, extnValue content).
type Extension<'a> = (&'a [u8], bool, &'a [u8]);

/// The content of an [n] EXPLICIT Extensions, at most 32 of them.
fn extensions(explicit: &[u8]) -> Result<Vec<Extension<'_>>, OcspError> {
    let bad = || malformed("extensions");
    let mut c = Cursor::new(explicit);
    let seq = c.tagged(SEQUENCE).ok_or_else(bad)?;
    c.finish().ok_or_else(bad)?;
    let mut out: Vec<Extension<'_>> = Vec::new();
    let mut c = Cursor::new(seq.content);
    while !c.is_empty() {
        if out.len() == 32 {
            return Err(bad());
        }
        let ext = c.tagged(SEQUENCE).ok_or_else(bad)?;
        let mut e = Cursor::new(ext.content);
        let oid = e.tagged(OID).ok_or_else(bad)?;
        // DER: the DEFAULT FALSE is never encoded, so only TRUE may appear.
        let critical = match e.optional(BOOLEAN).map_err(|()| bad())? {
            Some(b) if b.content == [0xff] => true,
            Some(_) => return Err(bad()),
            None => false,
        };
        let value = e.tagged(OCTET_STRING).ok_or_else(bad)?;
        e.finish().ok_or_else(bad)?;
        // RFC 5280 §4.2 for certificates, and the same for OCSP: one of each.
        if out.iter().any(|(o, _, _)| *o == oid.content) {
            return Err(malformed("duplicate extension"));
        }
        out.push((oid.content, critical, value.content));
    }
    Ok(out)
}

/// GeneralizedTime as RFC 5280 §4.1.2.5.2 profiles it (and RFC 6960 uses):
/// `YYYYMMDDHHMMSSZ`, no fractions, UTC. Returns Unix seconds.
fn generalized_time(s: &[u8]) -> Result<u64, OcspError> {
    let bad = || malformed("GeneralizedTime");
    if s.len() != 15 || s[14] != b'Z' || !s[..14].iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| {
        s[r].iter()
            .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0'))
    };
    let (year, month, day) = (num(0..4), num(4..6), num(6..8));
    let (hour, min, sec) = (num(8..10), num(10..12), num(12..14));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if year < 1970 || day == 0 || day > days_in_month || hour > 23 || min > 59 || sec > 59 {
        return Err(bad());
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec)
}

/// Days from 1970-01-01 to a date on or after it (H. Hinnant's algorithm).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // unwrap is fine in tests
mod tests {
    use super::*;

    #[test]
    fn reads_generalized_time_as_rfc_5280_profiles_it() {
        assert_eq!(generalized_time(b"19700101000000Z").unwrap(), 0);
        assert_eq!(generalized_time(b"20000229235959Z").unwrap(), 951_868_799);
        assert_eq!(generalized_time(b"20261203120000Z").unwrap(), 1_796_299_200);
        for bad in [
            &b"20261203120000"[..],
            b"20261203120000.5Z",
            b"20260230120000Z",
            b"20261203240000Z",
            b"19691231235959Z",
            b"2026120312000+Z",
        ] {
            assert!(generalized_time(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rejects_non_successful_status_with_its_code() {
        // OCSPResponse { responseStatus tryLater(3) }
        assert_eq!(
            parse_response(&[0x30, 0x03, 0x0a, 0x01, 0x03]).err(),
            Some(OcspError::ResponderStatus(3))
        );
        // successful without responseBytes
        assert!(matches!(
            parse_response(&[0x30, 0x03, 0x0a, 0x01, 0x00]),
            Err(OcspError::Malformed(_))
        ));
        // trailing data
        assert!(matches!(
            parse_response(&[0x30, 0x03, 0x0a, 0x01, 0x03, 0x00]),
            Err(OcspError::Malformed(_))
        ));
    }
}
