//! Certificate revocation lists (RFC 5280 §5), parsed once into owned fields.

use super::cert::bad_encoding;
use super::der;
use super::signature::{self, SigAlg};
use crate::error::CertificateError;
use x509_parser::extensions::{ParsedExtension, X509Extension};
use x509_parser::oid_registry::{
    OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, OID_X509_EXT_CRL_NUMBER, OID_X509_EXT_INVALIDITY_DATE,
    OID_X509_EXT_REASON_CODE,
};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// A parsed CRL. Its signature and freshness are checked against the issuing
/// certificate and the time at validation, not here.
#[derive(Debug)]
pub struct Crl {
    issuer: Vec<u8>,
    this_update: i64,
    next_update: Option<i64>,
    revoked: Vec<Vec<u8>>,
    tbs: Vec<u8>,
    sig_alg: Result<SigAlg, CertificateError>,
    signature: Vec<u8>,
    unhandled_critical: Option<String>,
    /// The cRLNumber extension: absent, or present and whether critical.
    number_critical: Option<bool>,
}

impl Crl {
    /// Parses a DER CertificateList. Malformed input is `BadEncoding`.
    pub fn from_der(der: &[u8]) -> Result<Crl, CertificateError> {
        let signed = der::split_signed(der, "CRL")?;
        let (rest, crl) = CertificateRevocationList::from_der(der)
            .map_err(|e| bad_encoding(format!("CRL: {e}")))?;
        if !rest.is_empty() {
            return Err(bad_encoding("trailing data after CRL"));
        }
        let tbs = &crl.tbs_cert_list;
        // RFC 5280 §5.1.1.2: outer and inner algorithms (after the optional
        // version) must be identical.
        let sig_alg = if der::inner_alg(&signed.tbs, 0x02, 0) == Some(signed.alg) {
            signature::parse_sig_alg(&crl.signature_algorithm)
        } else {
            Err(CertificateError::CrlBadSignature)
        };
        // RFC 5280 §5.2 and §5.3: a critical extension we cannot process
        // makes the whole CRL unusable. We know crlNumber and AKI (§5.2.1-2),
        // and the entry extensions reasonCode and invalidityDate (§5.3.1-2).
        let mut unhandled_critical = None;
        check_extensions(
            tbs.extensions(),
            &[
                &OID_X509_EXT_CRL_NUMBER,
                &OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER,
            ],
            &mut unhandled_critical,
        )?;
        let number_critical = tbs
            .extensions()
            .iter()
            .find(|e| e.oid == OID_X509_EXT_CRL_NUMBER)
            .map(|e| e.critical);
        let mut revoked = Vec::with_capacity(tbs.revoked_certificates.len());
        for entry in &tbs.revoked_certificates {
            check_extensions(
                entry.extensions(),
                &[&OID_X509_EXT_REASON_CODE, &OID_X509_EXT_INVALIDITY_DATE],
                &mut unhandled_critical,
            )?;
            revoked.push(entry.raw_serial().to_vec());
        }
        Ok(Crl {
            issuer: tbs.issuer.as_raw().to_vec(),
            this_update: tbs.this_update.timestamp(),
            next_update: tbs.next_update.map(|t| t.timestamp()),
            revoked,
            tbs: signed.tbs.raw.to_vec(),
            sig_alg,
            signature: signed.signature.to_vec(),
            unhandled_critical,
            number_critical,
        })
    }

    /// The raw DER of the issuer Name.
    pub fn issuer_der(&self) -> &[u8] {
        &self.issuer
    }

    /// thisUpdate, in Unix seconds.
    pub fn this_update(&self) -> i64 {
        self.this_update
    }

    /// nextUpdate, in Unix seconds, if present.
    pub fn next_update(&self) -> Option<i64> {
        self.next_update
    }

    /// Whether the serial number (INTEGER content octets) is listed.
    pub fn is_listed(&self, serial: &[u8]) -> bool {
        self.revoked.iter().any(|s| s == serial)
    }

    pub(crate) fn check_critical_extensions(&self) -> Result<(), CertificateError> {
        match &self.unhandled_critical {
            Some(oid) => Err(CertificateError::UnhandledCriticalExtension(oid.clone())),
            None => Ok(()),
        }
    }

    pub(crate) fn verify_signature(
        &self,
        issuer: &super::cert::Cert,
    ) -> Result<(), CertificateError> {
        let alg = self.sig_alg.clone()?;
        signature::verify_by(alg, issuer, &self.tbs, &self.signature)
            .map_err(|_| CertificateError::CrlBadSignature)
    }

    /// RFC 5280 §5.2.3: "CRL issuers conforming to this profile MUST include
    /// this extension in all CRLs and MUST mark this extension as
    /// non-critical." A CRL that breaks either rule is not used.
    pub(crate) fn check_number(&self) -> Result<(), CertificateError> {
        match self.number_critical {
            None => Err(CertificateError::CrlMissingNumber),
            Some(true) => Err(CertificateError::CrlNumberCritical),
            Some(false) => Ok(()),
        }
    }

    /// RFC 5280 §6.3.3 (a): thisUpdate ≤ now ≤ nextUpdate. A CRL without
    /// nextUpdate (forbidden by §5.1.2.5) has no freshness bound: refused.
    pub(crate) fn check_freshness(&self, now: i64) -> Result<(), CertificateError> {
        match self.next_update {
            Some(next) if self.this_update <= now && now <= next => Ok(()),
            _ => Err(CertificateError::CrlExpired),
        }
    }
}

fn check_extensions(
    exts: &[X509Extension<'_>],
    handled: &[&x509_parser::oid_registry::Oid<'static>],
    unhandled_critical: &mut Option<String>,
) -> Result<(), CertificateError> {
    for (i, ext) in exts.iter().enumerate() {
        if exts.iter().skip(i + 1).any(|other| other.oid == ext.oid) {
            return Err(bad_encoding(format!("duplicate CRL extension {}", ext.oid)));
        }
        let is_handled = handled.contains(&&ext.oid);
        if let ParsedExtension::ParseError { error } = ext.parsed_extension() {
            if is_handled || ext.critical {
                return Err(bad_encoding(format!("CRL extension {}: {error}", ext.oid)));
            }
        }
        if ext.critical && !is_handled && unhandled_critical.is_none() {
            *unhandled_critical = Some(ext.oid.to_id_string());
        }
    }
    Ok(())
}
