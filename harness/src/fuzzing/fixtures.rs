//! What the fuzz targets share: the validation time, the seeds, the test
//! PKI, the known session, and the server and client they fuzz, configured
//! by a flags byte and a [`FuzzCrypto`].

use super::provider::{ClearRsaKey, NoSecurity};
use gauntlet_engine::config::{
    ClientConfig, NoVerification, PkiVerifier, ServerCertVerifier, ServerConfig, ServerKey,
    Session, SessionCache,
};
use gauntlet_engine::crypto::{self, MasterSecret};
use gauntlet_engine::enums::CipherSuite;
use gauntlet_engine::pki::TrustAnchors;
use gauntlet_engine::provider::CryptoProvider;
use gauntlet_engine::{Connection, Provider, UnixTime};
use std::sync::{Arc, Mutex, OnceLock};

/// The crypto `server` and `client` run with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuzzCrypto {
    /// What the fuzzers use: the [`NoSecurity`] provider on the fuzzed side,
    /// [`ClearRsaKey`] as the server's key, and a client that accepts any
    /// chain (`x509` fuzzes validation itself).
    NoSecurity,
    /// The default provider, the test PKI's leaf key and a client verifying
    /// against the test root: what a real peer's flights complete against.
    Real,
}

impl FuzzCrypto {
    /// A provider over `seed` with this crypto.
    pub fn provider(self, seed: [u8; 32]) -> Provider {
        match self {
            FuzzCrypto::Real => Provider::from_seed(seed),
            FuzzCrypto::NoSecurity => {
                // Shared: no allocation per fuzz input.
                static NO_SECURITY: OnceLock<Arc<dyn CryptoProvider>> = OnceLock::new();
                let crypto = NO_SECURITY.get_or_init(|| Arc::new(NoSecurity)).clone();
                Provider::with_crypto(seed, crypto)
            }
        }
    }

    /// The PRF and AEAD this crypto's connections use.
    pub fn crypto(self) -> &'static dyn CryptoProvider {
        match self {
            FuzzCrypto::Real => &gauntlet_engine::provider::RustCrypto,
            FuzzCrypto::NoSecurity => &NoSecurity,
        }
    }
}

/// The validation time of the test PKI (2027-01-01), used as `now` throughout.
pub const NOW: UnixTime = UnixTime(1_798_761_600);
/// Seed of the server's provider in `server` and `scenario`.
pub const SERVER_SEED: [u8; 32] = [0x5e; 32];
/// Seed of the client's provider in `client`.
pub const CLIENT_SEED: [u8; 32] = [0xc1; 32];
/// A session both fuzzed sides know: in the server's cache when the flags
/// say so, offered by the client when the flags say so.
pub const KNOWN_SESSION_ID: [u8; 32] = [0x5a; 32];
pub const KNOWN_MASTER: [u8; 48] = [0x4d; 48];

macro_rules! pki_file {
    ($f:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/pki/", $f))
    };
}

pub const ROOT_DER: &[u8] = pki_file!("root.der");
pub const LEAF_DER: &[u8] = pki_file!("leaf.der");
pub const INT_DER: &[u8] = pki_file!("int.der");
const LEAF_KEY_PEM: &[u8] = pki_file!("leaf.key");

/// Every certificate of the test PKI made with a correct signature (OpenSSL,
/// `vectors/pki/gen.sh`). `leaf-badsig.der` is left out on purpose: a chain
/// through it must never verify.
pub const GENUINE_CERTS: &[&[u8]] = &[
    pki_file!("root.der"),
    pki_file!("root-impostor.der"),
    pki_file!("root-untrusted.der"),
    pki_file!("int.der"),
    pki_file!("int-cross.der"),
    pki_file!("int-expired.der"),
    pki_file!("int-impostor.der"),
    pki_file!("int-nokcs.der"),
    pki_file!("int-notca.der"),
    pki_file!("int-pathlen0.der"),
    pki_file!("int-revoked.der"),
    pki_file!("int-sub.der"),
    pki_file!("int-untrusted.der"),
    pki_file!("int-wrongkey.der"),
    pki_file!("int-ec256.der"),
    pki_file!("int-ec384.der"),
    pki_file!("leaf-under-ec256.der"),
    pki_file!("leaf-under-ec384.der"),
    pki_file!("leaf.der"),
    pki_file!("leaf-clientonly.der"),
    pki_file!("leaf-critical-ext.der"),
    pki_file!("leaf-expired.der"),
    pki_file!("leaf-impostor.der"),
    pki_file!("leaf-ku-sign-only.der"),
    pki_file!("leaf-nosan.der"),
    pki_file!("leaf-notyet.der"),
    pki_file!("leaf-pss.der"),
    pki_file!("leaf-pss384.der"),
    pki_file!("leaf-revoked.der"),
    pki_file!("leaf-selfsigned.der"),
    pki_file!("leaf-sha512.der"),
    pki_file!("leaf-under-expired-int.der"),
    pki_file!("leaf-under-nokcs.der"),
    pki_file!("leaf-under-notca.der"),
    pki_file!("leaf-under-pathlen0.der"),
    pki_file!("leaf-under-revoked-int.der"),
    pki_file!("leaf-under-sub.der"),
    pki_file!("leaf-untrusted.der"),
    pki_file!("leaf-wildcard.der"),
    // The strict group (gen.sh `generate_strict`); the re-serialled leaves
    // were re-signed by `int`'s key with `openssl dgst`.
    pki_file!("int-nc-dirname.der"),
    pki_file!("int-nc-email.der"),
    pki_file!("int-nc-exclude.der"),
    pki_file!("int-nc-permit.der"),
    pki_file!("int-nc-uri.der"),
    pki_file!("int-noski.der"),
    pki_file!("int-noski-twin.der"),
    pki_file!("int-rsa1024.der"),
    pki_file!("int-skicrit.der"),
    pki_file!("int-under-expired-root.der"),
    pki_file!("int-under-nc-root.der"),
    pki_file!("int-under-nobc-root.der"),
    pki_file!("int-under-rsa1024-root.der"),
    pki_file!("leaf-akicrit.der"),
    pki_file!("leaf-anyeku.der"),
    pki_file!("leaf-anyeku-server.der"),
    pki_file!("leaf-ca.der"),
    pki_file!("leaf-dsa.der"),
    pki_file!("leaf-ekucrit.der"),
    pki_file!("leaf-emptysubj.der"),
    pki_file!("leaf-emptysubj-critsan.der"),
    pki_file!("leaf-nc-cn-in.der"),
    pki_file!("leaf-nc-cn-out.der"),
    pki_file!("leaf-nc-dir-in.der"),
    pki_file!("leaf-nc-dir-out.der"),
    pki_file!("leaf-nc-dns-out.der"),
    pki_file!("leaf-nc-email-in.der"),
    pki_file!("leaf-nc-email-out.der"),
    pki_file!("leaf-nc-excl-dns.der"),
    pki_file!("leaf-nc-excl-ip.der"),
    pki_file!("leaf-nc-good.der"),
    pki_file!("leaf-nc-in.der"),
    pki_file!("leaf-nc-ip-out.der"),
    pki_file!("leaf-nc-no-uri.der"),
    pki_file!("leaf-nc-uri.der"),
    pki_file!("leaf-nc-wild.der"),
    pki_file!("leaf-noaki.der"),
    pki_file!("leaf-p192.der"),
    pki_file!("leaf-rsa1024.der"),
    pki_file!("leaf-rsa2047.der"),
    pki_file!("leaf-serial-20.der"),
    pki_file!("leaf-serial-21.der"),
    pki_file!("leaf-serial-negative.der"),
    pki_file!("leaf-serial-zero.der"),
    pki_file!("leaf-under-expired-root.der"),
    pki_file!("leaf-under-nc-root-in.der"),
    pki_file!("leaf-under-nc-root-out.der"),
    pki_file!("leaf-under-nobc-root.der"),
    pki_file!("leaf-under-rsa1024-root.der"),
    pki_file!("leaf-under-noski.der"),
    pki_file!("leaf-under-rsa1024.der"),
    pki_file!("leaf-under-skicrit.der"),
    pki_file!("leaf-underscore.der"),
    pki_file!("root-expired.der"),
    pki_file!("root-nc.der"),
    pki_file!("root-nobc.der"),
    pki_file!("root-rsa1024.der"),
];

/// The test PKI's leaf key (`vectors/pki/leaf.key`), parsed once.
fn leaf_key() -> ServerKey {
    static KEY: OnceLock<ServerKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let pem = std::str::from_utf8(LEAF_KEY_PEM).unwrap_or_default();
        match crypto::rsa_kx::private_key_from_pem(pem) {
            Ok(k) => Arc::new(k),
            Err(e) => panic!("vectors/pki/leaf.key does not load: {e}"),
        }
    })
    .clone()
}

pub(crate) fn test_roots() -> &'static TrustAnchors {
    static ROOTS: OnceLock<TrustAnchors> = OnceLock::new();
    ROOTS.get_or_init(|| match TrustAnchors::from_der(&[ROOT_DER.to_vec()]) {
        Ok(r) => r,
        Err(e) => panic!("vectors/pki/root.der does not load: {e:?}"),
    })
}

fn pki_verifier() -> Arc<dyn ServerCertVerifier> {
    static V: OnceLock<Arc<dyn ServerCertVerifier>> = OnceLock::new();
    V.get_or_init(
        || match PkiVerifier::new(&[ROOT_DER.to_vec()], Vec::new()) {
            Ok(v) => Arc::new(v),
            Err(e) => panic!("vectors/pki/root.der does not load: {e:?}"),
        },
    )
    .clone()
}

/// The session behind [`KNOWN_SESSION_ID`].
pub fn known_session(extended_master_secret: bool) -> Session {
    Session {
        id: KNOWN_SESSION_ID.to_vec(),
        suite: CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
        master_secret: Arc::new(MasterSecret::from_bytes(KNOWN_MASTER)),
        extended_master_secret,
    }
}

/// Connection options decoded from the first input byte of `server` and
/// `client` (bit 0 is the lowest).
#[derive(Clone, Copy, Debug, Default)]
pub struct ConnFlags(pub u8);

impl ConnFlags {
    /// Bit 0: turn extended_master_secret off in our config.
    pub const NO_EMS: u8 = 1;
    /// Bit 1: the known session is cached (server) or offered (client).
    pub const KNOWN_SESSION: u8 = 2;
    /// Bit 2: AES-256-GCM only (client) or first (server).
    pub const AES256: u8 = 4;
    /// Bit 3: we send records of at most 64 bytes.
    pub const SMALL_RECORDS: u8 = 8;
    /// Bit 4: the known session was made without EMS.
    pub const SESSION_NO_EMS: u8 = 16;
    /// Bit 5: server: no session cache; client: connect to 127.0.0.1 (no SNI).
    pub const BIT5: u8 = 32;

    fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// The server `server` fuzzes: the test PKI's leaf and intermediate, the
/// leaf key (or [`ClearRsaKey`] with [`FuzzCrypto::NoSecurity`]), a fresh cache.
pub fn server_config(flags: ConnFlags, crypto: FuzzCrypto) -> Arc<ServerConfig> {
    let key: ServerKey = match crypto {
        FuzzCrypto::NoSecurity => Arc::new(ClearRsaKey),
        FuzzCrypto::Real => leaf_key(),
    };
    let mut config = ServerConfig::new(vec![LEAF_DER.to_vec(), INT_DER.to_vec()], key);
    config.extended_master_secret = !flags.has(ConnFlags::NO_EMS);
    if flags.has(ConnFlags::AES256) {
        config.suites.reverse();
    }
    if flags.has(ConnFlags::SMALL_RECORDS) {
        config.max_fragment = 64;
    }
    let mut cache = SessionCache::new(4);
    if flags.has(ConnFlags::KNOWN_SESSION) {
        cache.insert(known_session(!flags.has(ConnFlags::SESSION_NO_EMS)));
    }
    config.session_cache = (!flags.has(ConnFlags::BIT5)).then(|| Arc::new(Mutex::new(cache)));
    Arc::new(config)
}

/// The client `client` fuzzes: verifies against the test root (or accepts
/// any chain with [`FuzzCrypto::NoSecurity`]: `x509` fuzzes validation itself).
pub fn client_connection(flags: ConnFlags, crypto: FuzzCrypto) -> Connection {
    let verifier: Arc<dyn ServerCertVerifier> = match crypto {
        FuzzCrypto::NoSecurity => Arc::new(NoVerification),
        FuzzCrypto::Real => pki_verifier(),
    };
    let mut config = ClientConfig::new(verifier);
    config.extended_master_secret = !flags.has(ConnFlags::NO_EMS);
    if flags.has(ConnFlags::AES256) {
        config.suites = vec![CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384];
    }
    if flags.has(ConnFlags::SMALL_RECORDS) {
        config.max_fragment = 64;
    }
    let name = if flags.has(ConnFlags::BIT5) {
        "127.0.0.1"
    } else {
        "localhost"
    };
    let resume = flags
        .has(ConnFlags::KNOWN_SESSION)
        .then(|| known_session(!flags.has(ConnFlags::SESSION_NO_EMS)));
    match Connection::client(Arc::new(config), name, crypto.provider(CLIENT_SEED), resume) {
        Ok(c) => c,
        Err(e) => panic!("client construction failed: {e}"),
    }
}
