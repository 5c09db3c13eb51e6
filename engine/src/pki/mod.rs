//! X.509 certificate path building and validation (RFC 5280 §6, as TLS uses
//! it): trust anchors, RSA (PKCS#1 v1.5 and PSS) and ECDSA (P-256/P-384)
//! signature checks, validity at an injected time, basicConstraints/pathLen,
//! keyUsage and extendedKeyUsage, name constraints, subjectAltName matching,
//! RFC 5280 / CA/B Forum structure rules, and revocation: CRLs (signature,
//! freshness) and OCSP ([`ocsp`]: stapled or fetched by the caller). What is
//! not supported fails closed with a precise error.
//!
//! Policy decisions (also in `vectors/pki/README.md`):
//! - Names are compared byte for byte (issuer/subject DER), not after the
//!   RFC 5280 §7.1 normalisation; AKI/SKI key identifiers, when both present,
//!   must also agree.
//! - Trust anchors. An anchor must be valid at the validation time
//!   (`TrustAnchorExpired`, `TrustAnchorNotYetValid`) and, if it is an X.509
//!   v3 certificate, assert basicConstraints CA:TRUE (`TrustAnchorNotCa`; a v1
//!   root without extensions is still a CA); a v3 anchor needs a
//!   non-critical SKI. Its keyUsage (keyCertSign), pathLenConstraint, name
//!   constraints and critical extensions apply; its own signature is not
//!   checked. This is the strict reading: pyca-cryptography's verifier
//!   (checked with 48.0 on these chains) refuses both the expired anchor and
//!   the v3 anchor without basicConstraints; OpenSSL 3.0 refuses the expired
//!   anchor ("certificate has expired" at the root's depth) but takes the one
//!   without basicConstraints because its keyUsage has keyCertSign;
//!   rustls-webpki reduces an anchor to subject, key and name constraints and
//!   checks neither (its docs: "no check that ... the certificate has the cA
//!   basic constraint"), nor does Chromium's verifier check anchor expiry. A
//!   leaf whose DER equals an anchor is trusted directly (a pinned
//!   self-signed server) and is judged as a leaf.
//! - Keys. Every RSA key that signs in the path (the anchor's included) and
//!   the leaf's own key need a modulus of at least
//!   [`VerifyOptions::min_rsa_bits`] ([`DEFAULT_MIN_RSA_BITS`] = 2048) in a
//!   whole number of bytes (`RsaModulusTooSmall`,
//!   `RsaModulusNotWholeBytes`). A leaf key that is DSA, ECDSA on a curve
//!   other than P-256/P-384 (P-192), or of any other type is
//!   `UnsupportedPublicKey`.
//! - Structure (RFC 5280, CA/B Forum BR). Leaf and intermediates: a positive
//!   serial of at most 20 octets of value (`BadSerialNumber`); an AKI with a
//!   keyIdentifier unless self-issued (`MissingAuthorityKeyIdentifier`); an
//!   empty subject only with a critical subjectAltName
//!   (`EmptySubjectWithoutCriticalSan`). Intermediates and v3 anchors: an
//!   SKI (`MissingSubjectKeyIdentifier`). Any certificate: AKI and SKI not
//!   critical (`CriticalKeyIdentifier`). The leaf: not CA:TRUE (`LeafIsCa`),
//!   its EKU not critical (`CriticalExtendedKeyUsage`) and without
//!   anyExtendedKeyUsage, even beside serverAuth (`LeafAnyExtendedKeyUsage`,
//!   CA/B Forum BR §7.1.2.7.10; pyca-cryptography and OpenSSL accept that
//!   pair), and every SAN dNSName in letters, digits, `-`, `.` and `*`
//!   (`MalformedSanDnsName`: an underscore).
//! - Intermediates need basicConstraints CA:TRUE; at most
//!   [`MAX_INTERMEDIATES`] of them, and at most [`SIGNATURE_BUDGET`] signature
//!   checks across the whole search.
//! - Name constraints (RFC 5280 §4.2.1.10), critical or not, of every CA in
//!   the path including the anchor, bind every certificate below it except
//!   self-issued intermediates: dNSName (labels added on the left; a leading
//!   `.` means subdomains only; a wildcard SAN that covers an excluded name
//!   is a violation), iPAddress (address and mask, per family), rfc822Name
//!   (mailbox, host, `.domain`; also the subject's emailAddress) and
//!   directoryName (a prefix of the subject's RDNs, byte for byte). The
//!   subject CN counts as a dNSName only for a leaf without any
//!   subjectAltName extension (as OpenSSL; we still never match a reference
//!   name against the CN). A constraint on another form (URI, otherName, ...)
//!   is `UnsupportedNameConstraint` as soon as a name of that form appears
//!   below it; without such a name it is harmless.
//! - Leaf purpose: if EKU is present it must list the purpose validated
//!   (serverAuth for a server leaf, clientAuth for a client leaf);
//!   anyExtendedKeyUsage does not count. If keyUsage is present, a server
//!   leaf needs keyEncipherment (the engine's only key exchange is RSA,
//!   RFC 5246 §7.4.2) and a client leaf digitalSignature (CertificateVerify).
//! - Names: subjectAltName only. No fallback to the subject CN, even without
//!   a SAN (RFC 6125 §6.4.4 permits it; we refuse, like modern browsers).
//! - Revocation: [`RevocationPolicy::CheckIfPresent`] (default, soft-fail)
//!   checks each certificate against the CRLs supplied for its issuer, and
//!   the leaf against the stapled OCSP response ([`ocsp`]), and passes a
//!   certificate with no status; [`RevocationPolicy::RequireStatus`]
//!   (hard-fail) fails it with `RevocationStatusUnknown` instead;
//!   [`RevocationPolicy::Off`] checks nothing. A staple must verify and name
//!   the leaf whatever the policy (RFC 6066 §8: `BadStatusResponse`);
//!   "revoked" is `Revoked`, "unknown" counts as no status. A CRL is used only if it verifies, is
//!   current, and has a non-critical cRLNumber (RFC 5280 §5.2.3:
//!   `CrlMissingNumber`, `CrlNumberCritical`). Among several CRLs for one
//!   issuer the usable ones count; if none is, the first failure
//!   (`CrlBadSignature`, `CrlMissingNumber`, `CrlExpired`, ...) is the error.

mod cert;
mod constraints;
mod crl;
mod der;
mod name;
pub mod ocsp;
pub mod pem;
mod signature;

pub use crl::Crl;
pub use name::{DnsName, InvalidServerName, ServerName};

use crate::error::CertificateError;
use cert::{Cert, Role};
use signature::KeyInfo;

/// The smallest RSA modulus accepted by default, for the leaf's key and for
/// every key that signs in the path (NIST SP 800-57 part 1 §5.6.1: 2048 bits
/// for 112-bit security; CA/B Forum BR §6.1.5). [`VerifyOptions::min_rsa_bits`]
/// and `config::PkiVerifier::min_rsa_bits` change it.
pub const DEFAULT_MIN_RSA_BITS: usize = 2048;

/// The most intermediates a path may hold between leaf and trust anchor.
pub const MAX_INTERMEDIATES: usize = 6;

/// The most certificate signature checks one validation may perform, over
/// all the paths it tries: bounds the work a hostile chain can cause.
pub const SIGNATURE_BUDGET: u32 = 100;

/// Seconds since the Unix epoch, UTC: the validation time, injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub u64);

impl Time {
    fn as_i64(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }
}

/// What the leaf certificate is to be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A TLS server (EKU id-kp-serverAuth).
    ServerAuth,
    /// A TLS client (EKU id-kp-clientAuth).
    ClientAuth,
}

/// How revocation is checked (RFC 5280 §6.3 with CRLs, RFC 6960 with a
/// stapled OCSP response for the leaf).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RevocationPolicy {
    /// No revocation check: CRLs and staples are not looked at.
    Off,
    /// Soft-fail: every status supplied (CRLs, the staple) is checked and a
    /// bad one fails; a certificate with no status passes.
    #[default]
    CheckIfPresent,
    /// Hard-fail: as `CheckIfPresent`, and every certificate in the path
    /// also needs a current status (a CRL from its issuer, or for the leaf
    /// a staple saying good), else `RevocationStatusUnknown`.
    RequireStatus,
}

/// Everything a validation needs besides the certificates.
#[derive(Clone, Copy, Debug)]
pub struct VerifyOptions<'a> {
    /// The name to match against the leaf's subjectAltName; `None` skips the
    /// name check (client certificates).
    pub server_name: Option<&'a ServerName>,
    pub now: Time,
    pub purpose: Purpose,
    pub revocation: RevocationPolicy,
    /// The smallest RSA modulus, in bits, for the leaf's key and every key
    /// that signs in the path ([`DEFAULT_MIN_RSA_BITS`] unless you have a
    /// reason). Moduli that are not a whole number of bytes are refused
    /// whatever this says.
    pub min_rsa_bits: usize,
    /// The OCSP response the server stapled for the leaf (RFC 6066 §8), if
    /// any: it must verify and name the leaf, else `BadStatusResponse`.
    pub ocsp_staple: Option<&'a [u8]>,
    /// OCSP responses the caller fetched (from [`revocation_queries`]'
    /// responders), each for the certificate it names.
    pub fetched_ocsp: &'a [FetchedOcsp],
}

/// An OCSP response the caller fetched for one certificate of the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedOcsp {
    /// The certificate asked about, DER.
    pub cert: Vec<u8>,
    /// The DER OCSPResponse that came back.
    pub response: Vec<u8>,
}

/// What a caller may fetch for one certificate of the path: its OCSP status
/// from `ocsp_urls` (with [`ocsp::request`] for `cert` and `issuer`) or its
/// issuer's CRL from `crl_urls`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusQuery {
    pub cert: Vec<u8>,
    pub issuer: Vec<u8>,
    pub ocsp_urls: Vec<String>,
    pub crl_urls: Vec<String>,
}

/// The engine never fetches: this names, for each certificate below the
/// anchor on the path `chain` validates along (revocation aside), what a
/// status could be fetched from. The caller fetches, with its own timeouts
/// and size caps, and hands the answers to [`verify_chain`]
/// ([`VerifyOptions::fetched_ocsp`], and CRLs among the `crls`).
pub fn revocation_queries(
    chain: &[Vec<u8>],
    roots: &TrustAnchors,
    opts: &VerifyOptions<'_>,
) -> Result<Vec<StatusQuery>, CertificateError> {
    let unchecked = VerifyOptions {
        revocation: RevocationPolicy::Off,
        ocsp_staple: None,
        fetched_ocsp: &[],
        ..*opts
    };
    let path = verify_chain(chain, roots, &[], &unchecked)?;
    let mut queries = Vec::new();
    for pair in path.certs.windows(2) {
        if let [cert, issuer] = pair {
            let parsed = Cert::parse(cert)?;
            queries.push(StatusQuery {
                cert: cert.clone(),
                issuer: issuer.clone(),
                ocsp_urls: parsed.ocsp_urls,
                crl_urls: parsed.crl_urls,
            });
        }
    }
    Ok(queries)
}

/// The certificates trusted as path ends, from DER root certificates.
#[derive(Debug, Default)]
pub struct TrustAnchors {
    anchors: Vec<Cert>,
}

impl TrustAnchors {
    pub fn new() -> Self {
        TrustAnchors::default()
    }

    /// Parses each DER certificate; any malformed one is `BadEncoding`.
    pub fn from_der(roots: &[Vec<u8>]) -> Result<Self, CertificateError> {
        let mut anchors = TrustAnchors::new();
        for der in roots {
            anchors.add_der(der)?;
        }
        Ok(anchors)
    }

    pub fn add_der(&mut self, der: &[u8]) -> Result<(), CertificateError> {
        self.anchors.push(Cert::parse(der)?);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}

/// A validated path: DER certificates from the leaf to the trust anchor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedChain {
    certs: Vec<Vec<u8>>,
}

impl VerifiedChain {
    /// Leaf first, trust anchor last (one element when the leaf is an anchor).
    pub fn certs(&self) -> &[Vec<u8>] {
        &self.certs
    }

    pub fn leaf(&self) -> &[u8] {
        self.certs.first().map_or(&[], Vec::as_slice)
    }

    pub fn anchor(&self) -> &[u8] {
        self.certs.last().map_or(&[], Vec::as_slice)
    }
}

/// Validates a server's chain (leaf first, DER, as sent in Certificate) for
/// `server_name` at `now`, checking revocation where CRLs are supplied.
pub fn verify_server_chain(
    chain: &[Vec<u8>],
    roots: &TrustAnchors,
    crls: &[Vec<u8>],
    server_name: &ServerName,
    now: Time,
    purpose: Purpose,
) -> Result<VerifiedChain, CertificateError> {
    verify_chain(
        chain,
        roots,
        crls,
        &VerifyOptions {
            server_name: Some(server_name),
            now,
            purpose,
            revocation: RevocationPolicy::CheckIfPresent,
            min_rsa_bits: DEFAULT_MIN_RSA_BITS,
            ocsp_staple: None,
            fetched_ocsp: &[],
        },
    )
}

/// Validates a client's chain for clientAuth at `now` (no name check).
pub fn verify_client_chain(
    chain: &[Vec<u8>],
    roots: &TrustAnchors,
    crls: &[Vec<u8>],
    now: Time,
) -> Result<VerifiedChain, CertificateError> {
    verify_chain(
        chain,
        roots,
        crls,
        &VerifyOptions {
            server_name: None,
            now,
            purpose: Purpose::ClientAuth,
            revocation: RevocationPolicy::CheckIfPresent,
            min_rsa_bits: DEFAULT_MIN_RSA_BITS,
            ocsp_staple: None,
            fetched_ocsp: &[],
        },
    )
}

/// Validates `chain` (leaf first; the rest in any order, extras allowed)
/// against `roots`. A malformed certificate or CRL anywhere is `BadEncoding`.
pub fn verify_chain(
    chain: &[Vec<u8>],
    roots: &TrustAnchors,
    crls: &[Vec<u8>],
    opts: &VerifyOptions<'_>,
) -> Result<VerifiedChain, CertificateError> {
    let presented = chain
        .iter()
        .map(|der| Cert::parse(der))
        .collect::<Result<Vec<_>, _>>()?;
    let crls = crls
        .iter()
        .map(|der| Crl::from_der(der))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(leaf) = presented.first() else {
        return Err(CertificateError::BadEncoding(
            "empty certificate chain".into(),
        ));
    };
    let now = opts.now.as_i64();

    leaf.check_critical_extensions()?;
    leaf.check_validity(now)?;
    check_leaf(leaf, opts.min_rsa_bits)?;

    let certs = if roots.anchors.iter().any(|a| a.der == leaf.der) {
        vec![leaf.der.clone()]
    } else {
        let mut search = PathSearch {
            presented: &presented,
            anchors: &roots.anchors,
            crls: &crls,
            revocation: opts.revocation,
            now,
            budget: SIGNATURE_BUDGET,
            min_rsa_bits: opts.min_rsa_bits,
            ocsp_staple: opts.ocsp_staple,
            fetched_ocsp: opts.fetched_ocsp,
        };
        let mut path = vec![(Node::Presented(0), leaf)];
        search.extend(&mut path)?;
        path.into_iter().map(|(_, c)| c.der.clone()).collect()
    };

    check_leaf_purpose(leaf, opts.purpose)?;
    if let Some(name) = opts.server_name {
        let san = leaf.san.as_deref().unwrap_or(&[]);
        if !name::matches_any(san, name) {
            return Err(CertificateError::NotValidForName);
        }
    }
    Ok(VerifiedChain { certs })
}

/// The RSA public key of a DER certificate, for RSA key exchange (RFC 5246
/// §7.4.7.1) or CertificateVerify. Does not validate the certificate.
pub fn leaf_public_key(cert_der: &[u8]) -> Result<rsa::PublicKey, CertificateError> {
    Cert::parse(cert_der)?.key
}

/// What the end-entity certificate must be, whatever its issuer.
fn check_leaf(leaf: &Cert, min_rsa_bits: usize) -> Result<(), CertificateError> {
    leaf.check_structure(Role::Leaf)?;
    // RFC 5280 §4.2.1.9 lets a CA certificate be an end entity; CA/B Forum
    // BR §7.1.2.7.8 (subscriber certificates: cA MUST be FALSE) and
    // rustls-webpki (CaUsedAsEndEntity) do not, nor do we.
    if leaf.basic_constraints.is_some_and(|bc| bc.ca) {
        return Err(CertificateError::LeafIsCa);
    }
    // CA/B Forum BR §7.1.2.7.10: extKeyUsage in a subscriber certificate
    // MUST NOT be critical (pyca-cryptography's profile agrees).
    if leaf.ext_key_usage.is_some() && leaf.eku_critical {
        return Err(CertificateError::CriticalExtendedKeyUsage);
    }
    // CA/B Forum BR §7.1.2.7.10: anyExtendedKeyUsage "MUST NOT" appear in a
    // subscriber certificate, even beside serverAuth. (Without serverAuth
    // the leaf would fail the purpose check anyway.)
    if leaf.ext_key_usage.is_some_and(|eku| eku.any) {
        return Err(CertificateError::LeafAnyExtendedKeyUsage);
    }
    if let Some(bad) = &leaf.bad_san_dns {
        return Err(CertificateError::MalformedSanDnsName(bad.clone()));
    }
    check_key(&leaf.key_info, min_rsa_bits)?;
    if let KeyInfo::Rsa { .. } = leaf.key_info {
        leaf.key.as_ref().map_err(Clone::clone)?;
    }
    Ok(())
}

/// The key policy: RSA of at least `min_rsa_bits` in whole bytes, or ECDSA
/// on P-256/P-384 (which the engine's RSA key exchange then cannot use, but
/// which is a sound key). DSA, P-192 and anything else fail closed.
fn check_key(info: &KeyInfo, min_rsa_bits: usize) -> Result<(), CertificateError> {
    match info {
        KeyInfo::Rsa { bits } => check_rsa_bits(*bits, min_rsa_bits),
        KeyInfo::Ec { curve }
            if curve == signature::CURVE_P256 || curve == signature::CURVE_P384 =>
        {
            Ok(())
        }
        KeyInfo::Ec { curve } if curve == signature::CURVE_P192 => Err(
            CertificateError::UnsupportedPublicKey("ECDSA P-192 (below 112-bit security)".into()),
        ),
        KeyInfo::Ec { curve } => Err(CertificateError::UnsupportedPublicKey(format!(
            "ECDSA curve {curve}"
        ))),
        KeyInfo::Dsa => Err(CertificateError::UnsupportedPublicKey("DSA".into())),
        KeyInfo::Other(oid) => Err(CertificateError::UnsupportedPublicKey(format!(
            "public key algorithm {oid}"
        ))),
    }
}

/// A modulus that is not a whole number of bytes (2047 bits) is what a broken
/// key generator makes; refused before the size, as pyca-cryptography does.
fn check_rsa_bits(bits: usize, min: usize) -> Result<(), CertificateError> {
    if !bits.is_multiple_of(8) {
        return Err(CertificateError::RsaModulusNotWholeBytes { bits });
    }
    if bits < min {
        return Err(CertificateError::RsaModulusTooSmall { bits, min });
    }
    Ok(())
}

/// RFC 5280 §4.2.1.3 and §4.2.1.12 for the end-entity certificate.
fn check_leaf_purpose(leaf: &Cert, purpose: Purpose) -> Result<(), CertificateError> {
    if let Some(eku) = leaf.ext_key_usage {
        let ok = match purpose {
            Purpose::ServerAuth => eku.server_auth,
            Purpose::ClientAuth => eku.client_auth,
        };
        if !ok {
            return Err(CertificateError::BadExtendedKeyUsage);
        }
    }
    if let Some(ku) = leaf.key_usage {
        let ok = match purpose {
            Purpose::ServerAuth => ku.key_encipherment,
            Purpose::ClientAuth => ku.digital_signature,
        };
        if !ok {
            return Err(CertificateError::BadKeyUsage);
        }
    }
    Ok(())
}

/// RFC 5280 §6.1.3 (b)-(c), §6.1.4 (g): the name constraints of each CA in
/// the path (the anchor's included) bind every certificate below it, except
/// self-issued intermediates; the leaf always.
fn check_name_constraints(path: &[(Node, &Cert)]) -> Result<(), CertificateError> {
    for (i, (_, ca)) in path.iter().enumerate() {
        let Some(nc) = &ca.name_constraints else {
            continue;
        };
        for (j, (_, below)) in path.iter().enumerate().take(i) {
            if j > 0 && below.is_self_issued() {
                continue;
            }
            nc.check(&below.constrained_names(j == 0))?;
        }
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    Presented(usize),
    Anchor(usize),
}

/// Depth-first search from the leaf towards a trust anchor, trying every
/// candidate issuer; the first complete path that also passes revocation wins.
struct PathSearch<'a> {
    presented: &'a [Cert],
    anchors: &'a [Cert],
    crls: &'a [Crl],
    revocation: RevocationPolicy,
    now: i64,
    budget: u32,
    min_rsa_bits: usize,
    ocsp_staple: Option<&'a [u8]>,
    fetched_ocsp: &'a [FetchedOcsp],
}

/// Keeps the first specific error: "no issuer found" is the least telling.
fn note(best: &mut CertificateError, e: CertificateError) {
    if *best == CertificateError::UnknownIssuer {
        *best = e;
    }
}

impl<'a> PathSearch<'a> {
    fn extend(&mut self, path: &mut Vec<(Node, &'a Cert)>) -> Result<(), CertificateError> {
        let Some(&(_, child)) = path.last() else {
            return Err(CertificateError::UnknownIssuer);
        };
        // pathLenConstraint counts the non-self-issued intermediates below
        // the issuer (RFC 5280 §4.2.1.9, §6.1.4 (l)).
        let below = path
            .iter()
            .skip(1)
            .filter(|(_, c)| !c.is_self_issued())
            .count();
        let mut best = CertificateError::UnknownIssuer;

        for (i, anchor) in self.anchors.iter().enumerate() {
            if !child.may_be_issued_by(anchor) {
                continue;
            }
            if let Err(e) = self.check_link(child, anchor, below, true) {
                note(&mut best, e);
                continue;
            }
            path.push((Node::Anchor(i), anchor));
            match check_name_constraints(path).and_then(|()| self.check_revocation(path)) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    note(&mut best, e);
                    path.pop();
                }
            }
        }

        // path holds the leaf and the intermediates so far.
        if path.len() > MAX_INTERMEDIATES {
            return Err(best);
        }
        for (i, candidate) in self.presented.iter().enumerate().skip(1) {
            if path.iter().any(|(n, _)| *n == Node::Presented(i))
                || !child.may_be_issued_by(candidate)
            {
                continue;
            }
            if let Err(e) = self.check_link(child, candidate, below, false) {
                note(&mut best, e);
                continue;
            }
            path.push((Node::Presented(i), candidate));
            match self.extend(path) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    note(&mut best, e);
                    path.pop();
                }
            }
        }
        Err(best)
    }

    /// Checks that `issuer` signed `child` and may issue certificates.
    fn check_link(
        &mut self,
        child: &Cert,
        issuer: &Cert,
        below: usize,
        is_anchor: bool,
    ) -> Result<(), CertificateError> {
        // The signature first (after the signer's key size): a candidate
        // that did not sign `child` is not its issuer, whatever else is
        // wrong with it.
        if self.budget == 0 {
            return Err(CertificateError::UnknownIssuer);
        }
        self.budget -= 1;
        let alg = child.sig_alg.clone()?;
        // Every key that signs meets the RSA floor (before `rsa` sees it: it
        // refuses some small keys with a less precise error).
        // An ECDSA signer must be on P-256 or P-384.
        check_key(&issuer.key_info, self.min_rsa_bits)?;
        signature::verify_by(alg, issuer, &child.tbs, &child.signature)?;

        issuer.check_critical_extensions()?;
        if is_anchor {
            // The anchor policy (see the module docs): valid now, and a v3
            // anchor asserts CA:TRUE; a v1 root (no extensions) is a CA.
            issuer.check_validity(self.now).map_err(|e| match e {
                CertificateError::NotYetValid => CertificateError::TrustAnchorNotYetValid,
                _ => CertificateError::TrustAnchorExpired,
            })?;
            let ca = issuer.basic_constraints.map(|bc| bc.ca);
            if ca == Some(false) || (ca.is_none() && issuer.version >= 2) {
                return Err(CertificateError::TrustAnchorNotCa);
            }
            issuer.check_structure(Role::Anchor)?;
        } else {
            // RFC 5280 §6.1.4 (k): an intermediate must assert CA:TRUE.
            if !issuer.basic_constraints.is_some_and(|bc| bc.ca) {
                return Err(CertificateError::NotCa);
            }
            issuer.check_structure(Role::Intermediate)?;
        }
        // RFC 5280 §6.1.4 (m).
        if let Some(max) = issuer.basic_constraints.and_then(|bc| bc.path_len) {
            if u32::try_from(below).map_or(true, |b| b > max) {
                return Err(CertificateError::PathLenExceeded);
            }
        }
        // RFC 5280 §6.1.4 (n).
        if issuer.key_usage.is_some_and(|ku| !ku.key_cert_sign) {
            return Err(CertificateError::BadKeyUsage);
        }
        if !is_anchor {
            issuer.check_validity(self.now)?;
        }
        Ok(())
    }

    /// RFC 5280 §6.3 for every certificate below the anchor.
    fn check_revocation(&self, path: &[(Node, &Cert)]) -> Result<(), CertificateError> {
        if self.revocation == RevocationPolicy::Off {
            return Ok(());
        }
        for (i, pair) in path.windows(2).enumerate() {
            if let [(_, cert), (_, issuer)] = pair {
                let staple = if i == 0 { self.ocsp_staple } else { None };
                self.check_revocation_of(cert, issuer, staple)?;
            }
        }
        Ok(())
    }

    fn check_revocation_of(
        &self,
        cert: &Cert,
        issuer: &Cert,
        staple: Option<&[u8]>,
    ) -> Result<(), CertificateError> {
        let mut usable = false;
        let mut first_error = None;
        let mut opts = ocsp::OcspOptions::at(Time(u64::try_from(self.now).unwrap_or(0)));
        opts.min_rsa_bits = self.min_rsa_bits;
        if let Some(response) = staple {
            // RFC 6066 §8: a staple the client asked for must be
            // satisfactory, whatever the policy; "unknown" is a status
            // (the responder does not know the certificate), not a defect.
            let verified = ocsp::verify_parsed(response, cert, issuer, &opts)
                .map_err(|e| CertificateError::BadStatusResponse(Box::new(e)))?;
            match verified.status {
                ocsp::CertStatus::Good => usable = true,
                ocsp::CertStatus::Revoked { .. } => return Err(CertificateError::Revoked),
                ocsp::CertStatus::Unknown => {}
            }
        }
        // Fetched answers: one that names the certificate must verify, like
        // a CRL; an error status (tryLater, unauthorized, ...) is no answer,
        // as a responder that is down is.
        for fetched in self.fetched_ocsp.iter().filter(|f| f.cert == cert.der) {
            match ocsp::verify_parsed(&fetched.response, cert, issuer, &opts) {
                Ok(v) => match v.status {
                    ocsp::CertStatus::Good => usable = true,
                    ocsp::CertStatus::Revoked { .. } => return Err(CertificateError::Revoked),
                    ocsp::CertStatus::Unknown => {}
                },
                Err(crate::error::OcspError::ResponderStatus(_)) => {}
                Err(e) => {
                    first_error.get_or_insert(CertificateError::BadStatusResponse(Box::new(e)));
                }
            }
        }
        for crl in self
            .crls
            .iter()
            .filter(|c| c.issuer_der() == issuer.subject)
        {
            match self.check_crl(crl, issuer) {
                Ok(()) => {
                    if crl.is_listed(&cert.serial) {
                        return Err(CertificateError::Revoked);
                    }
                    usable = true;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match (usable, first_error) {
            (true, _) => Ok(()),
            (false, Some(e)) => Err(e),
            (false, None) => match self.revocation {
                RevocationPolicy::Off | RevocationPolicy::CheckIfPresent => Ok(()),
                RevocationPolicy::RequireStatus => Err(CertificateError::RevocationStatusUnknown),
            },
        }
    }

    /// Is `crl` a current CRL signed by `issuer`? (RFC 5280 §6.3.3 (a), (f), (g))
    fn check_crl(&self, crl: &Crl, issuer: &Cert) -> Result<(), CertificateError> {
        crl.check_critical_extensions()?;
        // §6.3.3 (f): the CRL signer's keyUsage, if present, must allow cRLSign.
        if issuer.key_usage.is_some_and(|ku| !ku.crl_sign) {
            return Err(CertificateError::CrlBadSignature);
        }
        crl.verify_signature(issuer)?;
        crl.check_number()?;
        crl.check_freshness(self.now)
    }
}
