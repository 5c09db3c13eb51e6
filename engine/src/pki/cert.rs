//! One certificate, parsed once with x509-parser into owned fields: the parts
//! path building and validation read, with every extension classified.

use super::constraints::{self, NameConstraints};
use super::der;
use super::name::{self, SanEntry};
use super::signature::{self, KeyInfo, SigAlg};
use crate::error::CertificateError;
use rsa::PublicKey;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension, X509Extension};
use x509_parser::oid_registry::{
    OID_PKIX_ACCESS_DESCRIPTOR_OCSP, OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER,
    OID_X509_EXT_BASIC_CONSTRAINTS, OID_X509_EXT_EXTENDED_KEY_USAGE, OID_X509_EXT_KEY_USAGE,
    OID_X509_EXT_NAME_CONSTRAINTS, OID_X509_EXT_SUBJECT_ALT_NAME,
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
    pub any: bool,
    /// id-kp-OCSPSigning (RFC 6960 §4.2.2.2): a delegated OCSP responder.
    pub ocsp_signing: bool,
}

/// Where a certificate sits in a path, for the structure checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Leaf,
    Intermediate,
    Anchor,
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
    /// X.509 version field: 0 is v1, 2 is v3.
    pub version: u32,
    /// The subject's key; an error (non-RSA, bad size) only bites when used.
    pub key: Result<PublicKey, CertificateError>,
    /// The subject key's type and size, for the key policy.
    pub key_info: KeyInfo,
    /// The subject is an empty SEQUENCE.
    pub subject_empty: bool,
    /// Common names in the subject that are DNS names (lowercase): name
    /// constraints treat them as dNSNames when a leaf has no SAN.
    pub cn_dns: Vec<String>,
    /// emailAddress attributes of the subject (RFC 5280 §4.2.1.10).
    pub subject_emails: Vec<String>,
    pub tbs: Vec<u8>,
    /// How this certificate was signed; an error only bites when checked.
    pub sig_alg: Result<SigAlg, CertificateError>,
    pub signature: Vec<u8>,
    pub basic_constraints: Option<BasicConstraints>,
    pub key_usage: Option<KeyUsage>,
    pub ext_key_usage: Option<ExtKeyUsage>,
    pub san: Option<Vec<SanEntry>>,
    pub san_critical: bool,
    /// The first SAN dNSName outside the preferred name syntax.
    pub bad_san_dns: Option<String>,
    pub ski: Option<Vec<u8>>,
    pub ski_present: bool,
    /// keyIdentifier of the AKI, when the AKI has one.
    pub aki: Option<Vec<u8>>,
    pub aki_present: bool,
    /// AKI or SKI marked critical (RFC 5280 §4.2.1.1-2: MUST NOT).
    pub key_id_critical: bool,
    pub eku_critical: bool,
    pub name_constraints: Option<NameConstraints>,
    /// The first critical extension we do not process (RFC 5280 §4.2).
    pub unhandled_critical: Option<String>,
    /// The SubjectPublicKeyInfo, DER (what an ECDSA signer's key is read from).
    pub spki_der: Vec<u8>,
    /// The subjectPublicKey BIT STRING's value: what an OCSP CertID's
    /// issuerKeyHash and a byKey ResponderID hash (RFC 6960 §4.1.1).
    pub spki_key: Vec<u8>,
    /// The OCSP responders of the authorityInfoAccess extension (id-ad-ocsp
    /// URIs, RFC 5280 §4.2.2.1), in certificate order.
    pub ocsp_urls: Vec<String>,
    /// The URIs of the cRLDistributionPoints' fullNames (RFC 5280 §4.2.1.13).
    pub crl_urls: Vec<String>,
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
        let cn_dns = tbs
            .subject
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok())
            .filter_map(|cn| name::DnsName::parse(cn).ok())
            .map(|d| d.as_str().to_string())
            .collect();
        let subject_emails = tbs
            .subject
            .iter_email()
            .map(|e| e.as_str().map(str::to_string))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| bad_encoding("subject emailAddress"))?;
        let mut cert = Cert {
            der: der.to_vec(),
            subject: tbs.subject.as_raw().to_vec(),
            issuer: tbs.issuer.as_raw().to_vec(),
            serial: tbs.raw_serial().to_vec(),
            not_before: tbs.validity.not_before.timestamp(),
            not_after: tbs.validity.not_after.timestamp(),
            version: tbs.version().0,
            key: signature::rsa_public_key(&tbs.subject_pki),
            key_info: signature::key_info(&tbs.subject_pki),
            subject_empty: tbs.subject.as_raw() == [0x30, 0x00],
            cn_dns,
            subject_emails,
            tbs: signed.tbs.raw.to_vec(),
            sig_alg,
            signature: signed.signature.to_vec(),
            basic_constraints: None,
            key_usage: None,
            ext_key_usage: None,
            san: None,
            san_critical: false,
            bad_san_dns: None,
            ski: None,
            ski_present: false,
            aki: None,
            aki_present: false,
            key_id_critical: false,
            eku_critical: false,
            name_constraints: None,
            unhandled_critical: None,
            spki_der: tbs.subject_pki.raw.to_vec(),
            spki_key: tbs.subject_pki.subject_public_key.data.to_vec(),
            ocsp_urls: Vec::new(),
            crl_urls: Vec::new(),
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
                &OID_X509_EXT_NAME_CONSTRAINTS,
            ]
            .contains(&&ext.oid);
            // Where to ask about revocation: read whatever the criticality
            // (which the catch-all below judges).
            match ext.parsed_extension() {
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    self.ocsp_urls.extend(
                        aia.accessdescs
                            .iter()
                            .filter(|d| d.access_method == OID_PKIX_ACCESS_DESCRIPTOR_OCSP)
                            .filter_map(|d| match d.access_location {
                                GeneralName::URI(uri) => Some(uri.to_string()),
                                _ => None,
                            }),
                    );
                }
                ParsedExtension::CRLDistributionPoints(cdp) => {
                    for point in &cdp.points {
                        if let Some(DistributionPointName::FullName(names)) =
                            &point.distribution_point
                        {
                            self.crl_urls.extend(names.iter().filter_map(|n| match n {
                                GeneralName::URI(uri) => Some(uri.to_string()),
                                _ => None,
                            }));
                        }
                    }
                }
                _ => {}
            }
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
                    // anyExtendedKeyUsage never stands for serverAuth or
                    // clientAuth (OpenSSL's sslserver/sslclient purposes do
                    // not honour it either), and a leaf may not carry it.
                    self.ext_key_usage = Some(ExtKeyUsage {
                        server_auth: eku.server_auth,
                        client_auth: eku.client_auth,
                        any: eku.any,
                        ocsp_signing: eku.ocsp_signing,
                    });
                    self.eku_critical = ext.critical;
                }
                ParsedExtension::SubjectAlternativeName(san) if handled => {
                    let entries = san
                        .general_names
                        .iter()
                        .map(constraints::san_entry)
                        .collect::<Result<Vec<_>, _>>()?;
                    self.bad_san_dns = entries.iter().find_map(|e| match e {
                        SanEntry::Dns(d) if !name::is_valid_san_dns(d) => Some(d.clone()),
                        _ => None,
                    });
                    self.san = Some(entries);
                    self.san_critical = ext.critical;
                }
                ParsedExtension::SubjectKeyIdentifier(k) if handled => {
                    self.ski = Some(k.0.to_vec());
                    self.ski_present = true;
                    self.key_id_critical |= ext.critical;
                }
                ParsedExtension::AuthorityKeyIdentifier(aki) if handled => {
                    self.aki = aki.key_identifier.as_ref().map(|k| k.0.to_vec());
                    self.aki_present = true;
                    self.key_id_critical |= ext.critical;
                }
                ParsedExtension::NameConstraints(nc) if handled => {
                    self.name_constraints = Some(NameConstraints::parse(nc)?);
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

    /// RFC 5280 and CA/B Forum BR rules on how the certificate is built, by
    /// its place in the path. (The leaf's key and purpose are checked in
    /// `mod.rs`; what an issuer needs to issue, in `check_link`.)
    pub(crate) fn check_structure(&self, role: Role) -> Result<(), CertificateError> {
        // §4.2.1.1-2: "Conforming CAs MUST mark this extension as non-critical."
        if self.key_id_critical {
            return Err(CertificateError::CriticalKeyIdentifier);
        }
        if role == Role::Anchor {
            // A v3 trust anchor is a CA certificate: §4.2.1.2 "this extension
            // MUST appear in all conforming CA certificates".
            if self.version >= 2 && !self.ski_present {
                return Err(CertificateError::MissingSubjectKeyIdentifier);
            }
            return Ok(());
        }
        // §4.1.2.2: a positive INTEGER of at most 20 octets.
        check_serial(&self.serial)?;
        // §4.2.1.1: the keyIdentifier MUST be included in all certificates
        // but self-signed ones.
        if !self.is_self_issued() && (!self.aki_present || self.aki.is_none()) {
            return Err(CertificateError::MissingAuthorityKeyIdentifier);
        }
        if role == Role::Intermediate && !self.ski_present {
            return Err(CertificateError::MissingSubjectKeyIdentifier);
        }
        // §4.2.1.6: "If the subject field contains an empty sequence, then the
        // issuing CA MUST include a subjectAltName extension that is marked
        // as critical."
        if self.subject_empty && (self.san.is_none() || !self.san_critical) {
            return Err(CertificateError::EmptySubjectWithoutCriticalSan);
        }
        Ok(())
    }

    /// The names of this certificate that name constraints apply to: the
    /// subject (a directoryName, when not empty) and its emailAddress
    /// attributes, every subjectAltName entry, and, for a leaf without a
    /// subjectAltName extension, each subject CN that is a DNS name.
    pub(crate) fn constrained_names(&self, is_leaf: bool) -> Vec<SanEntry> {
        let mut names = Vec::new();
        if !self.subject_empty {
            names.push(SanEntry::Dir(self.subject.clone()));
        }
        names.extend(self.subject_emails.iter().cloned().map(SanEntry::Email));
        match &self.san {
            Some(san) => names.extend(san.iter().cloned()),
            None if is_leaf => names.extend(self.cn_dns.iter().cloned().map(SanEntry::Dns)),
            None => {}
        }
        names
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

/// RFC 5280 §4.1.2.2: "The serial number MUST be a positive integer ...
/// Conforming CAs MUST NOT use serialNumber values longer than 20 octets."
/// The length is the value's: a sign octet before a 20-octet value with its
/// top bit set is allowed.
fn check_serial(content: &[u8]) -> Result<(), CertificateError> {
    let negative = content.first().is_none_or(|b| b & 0x80 != 0);
    let value = match content {
        [0, rest @ ..] => rest,
        all => all,
    };
    if negative || value.iter().all(|&b| b == 0) || value.len() > 20 {
        return Err(CertificateError::BadSerialNumber);
    }
    Ok(())
}
