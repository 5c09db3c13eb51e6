//! Client and server configuration, the server's session cache, and the
//! certificate-verifier seam the client uses.

use crate::crypto::rsa_kx::{Pkcs1Plaintext, RsaDecrypt};
use crate::crypto::sig::{EcdsaKey, SigningKey};
use crate::crypto::MasterSecret;
use crate::enums::{CipherSuite, NamedGroup};
use crate::error::CertificateError;
use crate::provider::UnixTime;
use crate::record::{MessageLimits, MAX_PLAINTEXT};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};

/// The suites the client offers by default: RSA key exchange only, so the
/// default ClientHello (and every recorded snapshot and expectation built on
/// it) is what it was before ECDHE; `ClientConfig::suites` opts in to more.
pub const DEFAULT_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
];

/// Every suite the engine negotiates, in the server's default order of
/// preference: forward-secret ECDHE first (ECDSA, then RSA), AES-128-GCM,
/// AES-256-GCM, ChaCha20-Poly1305, then RSA key exchange. A server takes the first one that the
/// client offers and its key can serve (an ECDHE suite also needs a common
/// group and signature scheme).
pub const ALL_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
];

/// A suite's OpenSSL name and IANA name, for the CLI's `--suites`.
pub const SUITE_NAMES: &[(CipherSuite, &str, &str)] = &[
    (
        CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
        "AES128-GCM-SHA256",
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
    ),
    (
        CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
        "AES256-GCM-SHA384",
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
    ),
    (
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-RSA-AES128-GCM-SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    ),
    (
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-RSA-AES256-GCM-SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    ),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    ),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    ),
    (
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "ECDHE-RSA-CHACHA20-POLY1305",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
];

/// The suite an OpenSSL or IANA name (case-insensitive) or a hex code
/// (`c02f`, `0xc02f`) names, if the engine negotiates it.
pub fn suite_by_name(name: &str) -> Option<CipherSuite> {
    let hex = name.trim_start_matches("0x").trim_start_matches("0X");
    if let Ok(v) = u16::from_str_radix(hex, 16) {
        if hex.len() == 4 {
            return ALL_SUITES.iter().copied().find(|s| s.0 == v);
        }
    }
    SUITE_NAMES
        .iter()
        .find(|(_, o, i)| o.eq_ignore_ascii_case(name) || i.eq_ignore_ascii_case(name))
        .map(|(s, _, _)| *s)
}

/// Decides whether a server's certificate chain is acceptable.
pub trait ServerCertVerifier: Send + Sync + fmt::Debug {
    /// `chain` is leaf first, as sent in Certificate; `server_name` is what
    /// the client connects to (DNS name or IP literal); `ocsp_staple` is the
    /// OCSPResponse of the server's CertificateStatus (RFC 6066 §8), if it
    /// sent one.
    fn verify(
        &self,
        chain: &[Vec<u8>],
        server_name: &str,
        ocsp_staple: Option<&[u8]>,
        now: UnixTime,
    ) -> Result<(), CertificateError>;
}

/// Accepts any chain. Only for tests that are about something else.
#[derive(Debug)]
pub struct NoVerification;

impl ServerCertVerifier for NoVerification {
    fn verify(
        &self,
        _: &[Vec<u8>],
        _: &str,
        _: Option<&[u8]>,
        _: UnixTime,
    ) -> Result<(), CertificateError> {
        Ok(())
    }
}

/// A client holds no certificate of its own: it answers a CertificateRequest
/// with an empty Certificate (RFC 5246 §7.4.6).
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Offered in this order.
    pub suites: Vec<CipherSuite>,
    pub verifier: Arc<dyn ServerCertVerifier>,
    /// Offer extended_master_secret (RFC 7627).
    pub extended_master_secret: bool,
    /// Largest record plaintext we send (1..=2^14).
    pub max_fragment: usize,
    /// Longest server Certificate body we accept (its certificate_list and
    /// 3-byte length); default `MessageLimits::DEFAULT_MAX_CERTIFICATE`
    /// (100 KiB, OpenSSL's default max_cert_list). A longer chain is
    /// refused with illegal_parameter from the message header, before it is
    /// buffered; the joiner holds at most this plus one record.
    pub max_certificate_message: usize,
    /// Keep a transcript of every step.
    pub transcript: bool,
    /// The groups offered in supported_groups (RFC 8422 §5.1.1) when
    /// `suites` holds an ECDHE suite; a ServerKeyExchange in another group
    /// is refused.
    pub groups: Vec<NamedGroup>,
    /// Offer status_request (RFC 6066 §8) and hand the server's stapled OCSP
    /// response, if any, to the verifier.
    pub ocsp_stapling: bool,
}

impl ClientConfig {
    pub fn new(verifier: Arc<dyn ServerCertVerifier>) -> Self {
        Self {
            suites: DEFAULT_SUITES.to_vec(),
            verifier,
            extended_master_secret: true,
            max_fragment: MAX_PLAINTEXT,
            max_certificate_message: MessageLimits::DEFAULT_MAX_CERTIFICATE,
            transcript: true,
            groups: crate::crypto::kx::SUPPORTED_GROUPS.to_vec(),
            ocsp_stapling: false,
        }
    }
}

/// The server's private key, behind the replaceable RSA backend.
pub type ServerKey = Arc<dyn RsaDecrypt + Send + Sync>;

/// The key that signs ServerKeyExchange (ECDHE suites).
pub type ServerSigner = Arc<dyn SigningKey>;

/// The RSA "key" of a server whose certificate holds an ECDSA key: it
/// decrypts nothing. It is never asked to, since a server with an ECDSA
/// signer never chooses an RSA-key-exchange suite (`ServerConfig::suites`
/// are filtered by the key's kind).
#[derive(Debug)]
struct NoRsaDecryption;

impl RsaDecrypt for NoRsaDecryption {
    fn modulus_len(&self) -> usize {
        0
    }

    fn decrypt_pkcs1v15(&self, _: &mut crate::Provider, _: &[u8]) -> Pkcs1Plaintext {
        Pkcs1Plaintext {
            message: zeroize::Zeroizing::new(Vec::new()),
            valid: subtle::Choice::from(0),
        }
    }
}

#[derive(Clone)]
pub struct ServerConfig {
    /// Chosen by our preference among those the client offers.
    pub suites: Vec<CipherSuite>,
    /// Leaf first, DER.
    pub cert_chain: Vec<Vec<u8>>,
    pub key: ServerKey,
    /// Signs ServerKeyExchange; its kind (RSA or ECDSA) must be the leaf's.
    /// `None`: no ECDHE suite can be chosen (RSA key exchange only).
    pub signer: Option<ServerSigner>,
    /// Groups for ECDHE, in our order of preference: the first that the
    /// client offers in supported_groups (RFC 8422 §5.1.1) is used.
    pub groups: Vec<NamedGroup>,
    /// Accept extended_master_secret when offered (RFC 7627).
    pub extended_master_secret: bool,
    /// Session-ID resumption; `None` disables it (empty session IDs).
    pub session_cache: Option<Arc<Mutex<SessionCache>>>,
    pub max_fragment: usize,
    pub transcript: bool,
    /// A DER OCSPResponse for the leaf, sent in CertificateStatus to a
    /// client that asks with status_request (RFC 6066 §8), on full
    /// handshakes. Sent as given: checking it is the client's job.
    pub ocsp_staple: Option<Vec<u8>>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("suites", &self.suites)
            .field("cert_chain_len", &self.cert_chain.len())
            .field("signer", &self.signer)
            .field("groups", &self.groups)
            .field("extended_master_secret", &self.extended_master_secret)
            .field("session_cache", &self.session_cache.is_some())
            .field("ocsp_staple_len", &self.ocsp_staple.as_ref().map(Vec::len))
            .finish()
    }
}

impl ServerConfig {
    /// A server with an RSA decryption key and no signer: RSA key exchange
    /// only (see [`ServerConfig::with_rsa_key`] for ECDHE_RSA as well).
    pub fn new(cert_chain: Vec<Vec<u8>>, key: ServerKey) -> Self {
        Self {
            suites: ALL_SUITES.to_vec(),
            cert_chain,
            key,
            signer: None,
            groups: crate::crypto::kx::SUPPORTED_GROUPS.to_vec(),
            extended_master_secret: true,
            session_cache: Some(Arc::new(Mutex::new(SessionCache::new(
                SessionCache::DEFAULT_CAPACITY,
            )))),
            max_fragment: MAX_PLAINTEXT,
            transcript: true,
            ocsp_staple: None,
        }
    }

    /// A server whose RSA key both decrypts (RSA key exchange) and signs
    /// (ECDHE_RSA).
    pub fn with_rsa_key(cert_chain: Vec<Vec<u8>>, key: Arc<rsa::PrivateKey>) -> Self {
        let mut c = Self::new(cert_chain, key.clone());
        c.signer = Some(key);
        c
    }

    /// A server with an ECDSA key (P-256 or P-384): ECDHE_ECDSA only.
    pub fn with_ecdsa_key(cert_chain: Vec<Vec<u8>>, key: EcdsaKey) -> Self {
        let mut c = Self::new(cert_chain, Arc::new(NoRsaDecryption));
        c.signer = Some(Arc::new(key));
        c
    }
}

/// What resuming a session needs (RFC 5246 §7.4.1.2, RFC 7627 §5.3).
#[derive(Clone)]
pub struct Session {
    pub id: Vec<u8>,
    pub suite: CipherSuite,
    pub master_secret: Arc<MasterSecret>,
    pub extended_master_secret: bool,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id_len", &self.id.len())
            .field("suite", &self.suite)
            .field("extended_master_secret", &self.extended_master_secret)
            .finish()
    }
}

/// A bounded session cache: the oldest entry goes when it is full.
#[derive(Debug, Default)]
pub struct SessionCache {
    capacity: usize,
    order: VecDeque<Vec<u8>>,
    map: HashMap<Vec<u8>, Session>,
}

impl SessionCache {
    pub const DEFAULT_CAPACITY: usize = 256;

    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            ..Self::default()
        }
    }

    pub fn get(&self, id: &[u8]) -> Option<Session> {
        self.map.get(id).cloned()
    }

    pub fn insert(&mut self, session: Session) {
        if self.capacity == 0 || session.id.is_empty() {
            return;
        }
        if self.map.contains_key(&session.id) {
            self.map.insert(session.id.clone(), session);
            return;
        }
        while self.map.len() >= self.capacity {
            match self.order.pop_front() {
                Some(old) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
        self.order.push_back(session.id.clone());
        self.map.insert(session.id.clone(), session);
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The engine's X.509 validation (`pki`): a chain to one of `roots`, valid
/// at the injected time, for the server name, not revoked by `crls`.
#[derive(Debug)]
pub struct PkiVerifier {
    pub roots: crate::pki::TrustAnchors,
    pub crls: Vec<Vec<u8>>,
    /// What a missing CRL means: pass (the default) or fail.
    pub revocation: crate::pki::RevocationPolicy,
    /// The smallest RSA modulus, in bits, for the server's key and every
    /// key that signs its chain ([`crate::pki::DEFAULT_MIN_RSA_BITS`]).
    pub min_rsa_bits: usize,
}

impl PkiVerifier {
    pub fn new(roots: &[Vec<u8>], crls: Vec<Vec<u8>>) -> Result<Self, CertificateError> {
        Ok(Self {
            roots: crate::pki::TrustAnchors::from_der(roots)?,
            crls,
            revocation: crate::pki::RevocationPolicy::CheckIfPresent,
            min_rsa_bits: crate::pki::DEFAULT_MIN_RSA_BITS,
        })
    }
}

impl PkiVerifier {
    /// What a caller may fetch for `chain`'s path (`pki::revocation_queries`
    /// under this verifier's anchors and key floor).
    pub fn revocation_queries(
        &self,
        chain: &[Vec<u8>],
        server_name: &str,
        now: UnixTime,
    ) -> Result<Vec<crate::pki::StatusQuery>, CertificateError> {
        let name = crate::pki::ServerName::parse(server_name)
            .map_err(|_| CertificateError::NotValidForName)?;
        crate::pki::revocation_queries(chain, &self.roots, &self.options(&name, None, &[], now))
    }

    /// [`ServerCertVerifier::verify`] with what the caller fetched: OCSP
    /// responses, and CRLs besides `self.crls`.
    pub fn verify_with_fetched(
        &self,
        chain: &[Vec<u8>],
        server_name: &str,
        ocsp_staple: Option<&[u8]>,
        fetched_ocsp: &[crate::pki::FetchedOcsp],
        fetched_crls: &[Vec<u8>],
        now: UnixTime,
    ) -> Result<(), CertificateError> {
        let name = crate::pki::ServerName::parse(server_name)
            .map_err(|_| CertificateError::NotValidForName)?;
        let opts = self.options(&name, ocsp_staple, fetched_ocsp, now);
        if fetched_crls.is_empty() {
            return crate::pki::verify_chain(chain, &self.roots, &self.crls, &opts).map(|_| ());
        }
        let crls: Vec<Vec<u8>> = self.crls.iter().chain(fetched_crls).cloned().collect();
        crate::pki::verify_chain(chain, &self.roots, &crls, &opts).map(|_| ())
    }

    fn options<'a>(
        &self,
        name: &'a crate::pki::ServerName,
        ocsp_staple: Option<&'a [u8]>,
        fetched_ocsp: &'a [crate::pki::FetchedOcsp],
        now: UnixTime,
    ) -> crate::pki::VerifyOptions<'a> {
        crate::pki::VerifyOptions {
            server_name: Some(name),
            now: crate::pki::Time(now.0),
            purpose: crate::pki::Purpose::ServerAuth,
            revocation: self.revocation,
            min_rsa_bits: self.min_rsa_bits,
            ocsp_staple,
            fetched_ocsp,
        }
    }
}

impl ServerCertVerifier for PkiVerifier {
    fn verify(
        &self,
        chain: &[Vec<u8>],
        server_name: &str,
        ocsp_staple: Option<&[u8]>,
        now: UnixTime,
    ) -> Result<(), CertificateError> {
        self.verify_with_fetched(chain, server_name, ocsp_staple, &[], &[], now)
    }
}
