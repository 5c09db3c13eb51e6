//! One certificate, parsed once with x509-parser into owned fields: the parts
//! path building and validation read, with every extension classified.

use super::der;
use super::name::SanEntry;
use super::signature::{self, SigAlg};
use crate::error::CertificateError;
use rsa::PublicKey;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::extensions::{ParsedExtension, X509Extension};
use x509_parser::oid_registry::{
    OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, OID_X509_EXT_BASIC_CONSTRAINTS,
    OID_X509_EXT_EXTENDED_KEY_USAGE, OID_X509_EXT_KEY_USAGE, OID_X509_EXT_SUBJECT_ALT_NAME,
    OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
};
use x509_parser::prelude::FromDer;

pub(crate) fn bad_encoding(what: impl Into<String>) -> CertificateError {
    CertificateError::BadEncoding(what.into())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BasicConstraints {
    pub ca: bool,
    pub path_len: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyUsage {
    pub digital_signature: bool,
    pub key_encipherment: bool,
    pub key_cert_sign: bool,
    pub crl_sign: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ExtKeyUsage {
    pub server_auth: bool,
    pub client_auth: bool,
}

#[derive(Debug)]
pub(crate) struct Cert {
    pub der: Vec<u8>,
    /// Raw DER of the subject and issuer Names: compared byte for byte.
    pub subject: Vec<u8>,
    pub issuer: Vec<u8>,
    /// Content octets of the serialNumber INTEGER, as CRLs list them.
    pub serial: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
    /// The subject's key; an error (non-RSA, bad size) only bites when used.
    pub key: Result<PublicKey, CertificateError>,
    pub tbs: Vec<u8>,
    /// How this certificate was signed; an error only bites when checked.
    pub sig_alg: Result<SigAlg, CertificateError>,
    pub signature: Vec<u8>,
    pub basic_constraints: Option<BasicConstraints>,
    pub key_usage: Option<KeyUsage>,
    pub ext_key_usage: Option<ExtKeyUsage>,
    pub san: Option<Vec<SanEntry>>,
    pub ski: Option<Vec<u8>>,
    pub aki: Option<Vec<u8>>,
    /// The first critical extension we do not process (RFC 5280 §4.2).
    pub unhandled_critical: Option<String>,
}

impl Cert {
    pub(crate) fn parse(der: &[u8]) -> Result<Cert, CertificateError> {
        let signed = der::split_signed(der, "certificate")?;
        let (rest, x509) = X509Certificate::from_der(der)
            .map_err(|e| bad_encoding(format!("certificate: {e}")))?;
        if !rest.is_empty() {
            return Err(bad_encoding("trailing data after certificate"));
        }
        // RFC 5280 §4.1.1.2: the outer algorithm must equal the signed one
        // (after the optional version and the serial), byte for byte, else
        // the unsigned label could be swapped.
        let sig_alg = if der::inner_alg(&signed.tbs, 0xa0, 1) == Some(signed.alg) {
            signature::parse_sig_alg(&x509.signature_algorithm)
        } else {
            Err(CertificateError::BadSignature)
        };
        let tbs = &x509.tbs_certificate;
        let mut cert = Cert {
            der: der.to_vec(),
            subject: tbs.subject.as_raw().to_vec(),
            issuer: tbs.issuer.as_raw().to_vec(),
            serial: tbs.raw_serial().to_vec(),
            not_before: tbs.validity.not_before.timestamp(),
            not_after: tbs.validity.not_after.timestamp(),
            key: signature::rsa_public_key(&tbs.subject_pki),
            tbs: signed.tbs.raw.to_vec(),
            sig_alg,
            signature: signed.signature.to_vec(),
            basic_constraints: None,
            key_usage: None,
            ext_key_usage: None,
            san: None,
            ski: None,
            aki: None,
            unhandled_critical: None,
        };
        cert.read_extensions(tbs.extensions())?;
        Ok(cert)
    }

    fn read_extensions(&mut self, exts: &[X509Extension<'_>]) -> Result<(), CertificateError> {
        for (i, ext) in exts.iter().enumerate() {
            // RFC 5280 §4.2: "A certificate MUST NOT include more than one
            // instance of a particular extension."
            if exts.iter().skip(i + 1).any(|other| other.oid == ext.oid) {
                return Err(bad_encoding(format!("duplicate extension {}", ext.oid)));
            }
            let handled = [
                &OID_X509_EXT_BASIC_CONSTRAINTS,
                &OID_X509_EXT_KEY_USAGE,
                &OID_X509_EXT_EXTENDED_KEY_USAGE,
                &OID_X509_EXT_SUBJECT_ALT_NAME,
                &OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
                &OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER,
            ]
            .contains(&&ext.oid);
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) if handled => {
                    self.basic_constraints = Some(BasicConstraints {
                        ca: bc.ca,
                        path_len: bc.path_len_constraint,
                    });
                }
                ParsedExtension::KeyUsage(ku) if handled => {
                    self.key_usage = Some(KeyUsage {
                        digital_signature: ku.digital_signature(),
                        key_encipherment: ku.key_encipherment(),
                        key_cert_sign: ku.key_cert_sign(),
                        crl_sign: ku.crl_sign(),
                    });
                }
                ParsedExtension::ExtendedKeyUsage(eku) if handled => {
                    // anyExtendedKeyUsage is not honoured, as OpenSSL's
                    // sslserver/sslclient purposes do not honour it.
                    self.ext_key_usage = Some(ExtKeyUsage {
                        server_auth: eku.server_auth,
                        client_auth: eku.client_auth,
                    });
                }
                ParsedExtension::SubjectAlternativeName(san) if handled => {
                    let mut entries = Vec::new();
                    for name in &san.general_names {
                        match name {
                            GeneralName::DNSName(d) => entries.push(SanEntry::Dns(d.to_string())),
                            GeneralName::IPAddress(ip) => entries.push(SanEntry::Ip(ip.to_vec())),
                            _ => {}
                        }
                    }
                    self.san = Some(entries);
                }
                ParsedExtension::SubjectKeyIdentifier(k) if handled => {
                    self.ski = Some(k.0.to_vec());
                }
                ParsedExtension::AuthorityKeyIdentifier(aki) if handled => {
                    self.aki = aki.key_identifier.as_ref().map(|k| k.0.to_vec());
                }
                ParsedExtension::ParseError { error } if handled || ext.critical => {
                    return Err(bad_encoding(format!("extension {}: {error}", ext.oid)));
                }
                _ if handled => {
                    return Err(bad_encoding(format!(
                        "extension {} not understood",
                        ext.oid
                    )));
                }
                _ => {
                    if ext.critical && self.unhandled_critical.is_none() {
                        self.unhandled_critical = Some(ext.oid.to_id_string());
                    }
                }
            }
        }
        Ok(())
    }

    /// RFC 5280 §6.1: validity is inclusive at both ends.
    pub(crate) fn check_validity(&self, now: i64) -> Result<(), CertificateError> {
        if now < self.not_before {
            Err(CertificateError::NotYetValid)
        } else if now > self.not_after {
            Err(CertificateError::Expired)
        } else {
            Ok(())
        }
    }

    pub(crate) fn check_critical_extensions(&self) -> Result<(), CertificateError> {
        match &self.unhandled_critical {
            Some(oid) => Err(CertificateError::UnhandledCriticalExtension(oid.clone())),
            None => Ok(()),
        }
    }

    /// Self-issued (RFC 5280 §3.4): subject and issuer are the same name.
    pub(crate) fn is_self_issued(&self) -> bool {
        self.subject == self.issuer
    }

    /// Could `issuer` have issued `self`? Names must be equal; key
    /// identifiers, when both are present, too (RFC 5280 §4.2.1.1).
    pub(crate) fn may_be_issued_by(&self, issuer: &Cert) -> bool {
        if self.issuer != issuer.subject {
            return false;
        }
        match (&self.aki, &issuer.ski) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        }
    }
}
