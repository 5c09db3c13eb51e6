//! The built-in reference target's identity: the test PKI from
//! `vectors/pki/` (made by `vectors/pki/gen.sh` with the OpenSSL CLI),
//! compiled in so `gauntlet serve` and `connect` work without files, and
//! the choice of crypto provider ([`Crypto`]) for the reference target.

use gauntlet_engine::config::{PkiVerifier, ServerKey};
use gauntlet_engine::crypto::aws_lc::{AwsLc, AwsLcRsaKey};
use gauntlet_engine::crypto::rsa_kx::private_key_from_pem;
use gauntlet_engine::crypto::sig::{leaf_spki, EcdsaKey};
use gauntlet_engine::pki::pem::der_blocks;
use gauntlet_engine::pki::{leaf_public_key, Crl, RevocationPolicy, TrustAnchors};
use gauntlet_engine::provider::{CryptoProvider, RustCrypto};
use gauntlet_engine::{ClientConfig, Provider, ServerConfig};
use rsa::PrivateKey;
use std::path::Path;
use std::sync::Arc;

pub const LEAF_PEM: &[u8] = include_bytes!("../pki/leaf.pem");
pub const LEAF_KEY_PEM: &str = include_str!("../pki/leaf.key");
pub const INTERMEDIATE_PEM: &[u8] = include_bytes!("../pki/int.pem");
pub const ROOT_PEM: &[u8] = include_bytes!("../pki/root.pem");
/// The intermediate CA's RSA key: the scripted server's "wrong key" for a
/// ServerKeyExchange signature (a real key, not the leaf's).
pub const INTERMEDIATE_KEY_PEM: &str = include_str!("../pki/int.key");

/// The crypto provider behind the reference target (`--provider`).
///
/// AWS-LC is the default: measured with `bash ci/bench.sh` on the 2-core
/// CI machine, its server completes about 2.5 times the full handshakes per
/// second of the RustCrypto one over loopback (RSA decryption is nine times
/// faster), and it builds from source with the C compiler alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Crypto {
    /// The RustCrypto crates (`rsa`, `aes-gcm`, `chacha20poly1305`).
    #[value(name = "rustcrypto")]
    RustCrypto,
    /// aws-lc-rs: RSA decryption and the record AEADs from AWS-LC; the
    /// RFC 5246 §7.4.7.1 countermeasure, PRF, ECDH and signatures stay ours.
    #[default]
    #[value(name = "aws-lc")]
    AwsLc,
}

impl Crypto {
    /// Both, for tests and benchmarks that cover each.
    pub const ALL: [Crypto; 2] = [Crypto::RustCrypto, Crypto::AwsLc];

    /// The name `--provider` takes.
    pub fn name(self) -> &'static str {
        match self {
            Crypto::RustCrypto => "rustcrypto",
            Crypto::AwsLc => "aws-lc",
        }
    }

    /// The primitives connections use.
    pub fn primitives(self) -> Arc<dyn CryptoProvider> {
        match self {
            Crypto::RustCrypto => Arc::new(RustCrypto),
            Crypto::AwsLc => Arc::new(AwsLc),
        }
    }

    /// A provider over these primitives, seeded from the OS or from `seed`.
    pub fn provider(self, seed: Option<[u8; 32]>) -> Provider {
        Provider::with_crypto(seed.unwrap_or_else(os_seed), self.primitives())
    }

    /// As [`Provider::from_seed`], with these primitives.
    pub fn seeded(self, seed: [u8; 32]) -> Provider {
        self.provider(Some(seed))
    }

    /// The RSA private-key operation of `key` through this provider.
    pub fn rsa_key(self, key: &Arc<PrivateKey>) -> Result<ServerKey, String> {
        Ok(match self {
            Crypto::RustCrypto => key.clone(),
            Crypto::AwsLc => Arc::new(AwsLcRsaKey::from_rsa(key).map_err(|e| e.to_string())?),
        })
    }

    /// The reference server's config (the built-in chain unless files are
    /// given), its RSA premaster decrypted through this provider.
    pub fn server_config(
        self,
        cert: Option<&Path>,
        key: Option<&Path>,
    ) -> Result<ServerConfig, String> {
        match (cert, key) {
            (Some(c), Some(k)) => config_for(load_certs(c)?, k, c, self),
            (None, None) => {
                let mut chain =
                    der_blocks(LEAF_PEM, "CERTIFICATE").map_err(|e| format!("{e:?}"))?;
                chain.extend(
                    der_blocks(INTERMEDIATE_PEM, "CERTIFICATE").map_err(|e| format!("{e:?}"))?,
                );
                let key = private_key_from_pem(LEAF_KEY_PEM).map_err(|e| e.to_string())?;
                self.rsa_config(chain, key)
            }
            _ => Err("--cert and --key go together".into()),
        }
    }

    /// A server for an RSA key: RSA and ECDHE_RSA suites.
    fn rsa_config(self, chain: Vec<Vec<u8>>, key: PrivateKey) -> Result<ServerConfig, String> {
        let key = Arc::new(key);
        let mut config = ServerConfig::with_rsa_key(chain, key.clone());
        config.key = self.rsa_key(&key)?;
        Ok(config)
    }
}

/// A one-line error about a user-supplied file.
fn file_err(path: &Path, what: impl std::fmt::Display) -> String {
    format!("{}: {what}", path.display())
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| file_err(path, e))
}

/// Certificates (PEM or DER) from a file, each parsed as X.509 so a garbage
/// or empty file is refused at start-up, not at the first handshake.
pub fn load_certs(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let certs =
        der_blocks(&read(path)?, "CERTIFICATE").map_err(|e| file_err(path, format!("{e:?}")))?;
    for (i, der) in certs.iter().enumerate() {
        TrustAnchors::new()
            .add_der(der)
            .map_err(|e| file_err(path, format!("certificate {}: not X.509: {e:?}", i + 1)))?;
    }
    Ok(certs)
}

/// CRLs (PEM or DER) from a file, each parsed, so a bad file is refused at
/// start-up rather than failing an innocent server's handshake.
pub fn load_crls(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let crls =
        der_blocks(&read(path)?, "X509 CRL").map_err(|e| file_err(path, format!("{e:?}")))?;
    for (i, der) in crls.iter().enumerate() {
        Crl::from_der(der)
            .map_err(|e| file_err(path, format!("CRL {}: does not parse: {e:?}", i + 1)))?;
    }
    Ok(crls)
}

/// An RSA private key (PKCS#8 or PKCS#1 PEM) from a file.
fn load_private_key(path: &Path) -> Result<PrivateKey, String> {
    let text = String::from_utf8(read(path)?).map_err(|_| file_err(path, "not a PEM file"))?;
    private_key_from_pem(&text).map_err(|_| file_err(path, "not an RSA private key"))
}

/// An RSA private key (PKCS#8 or PKCS#1 PEM) from a file.
pub fn load_key(path: &Path) -> Result<ServerKey, String> {
    Ok(Arc::new(load_private_key(path)?))
}

/// An ECDSA P-256/P-384 private key (PKCS#8 `PRIVATE KEY` or SEC 1 `EC
/// PRIVATE KEY` PEM), if the file holds one.
fn load_ecdsa_key(pem: &[u8]) -> Option<EcdsaKey> {
    ["PRIVATE KEY", "EC PRIVATE KEY"].iter().find_map(|label| {
        let ders = der_blocks(pem, label).ok()?;
        EcdsaKey::from_der(ders.first()?).ok()
    })
}

/// The server config for the key at `path`, which must be the one of `leaf`
/// (same public key): a mismatch would only show as failed handshakes. An
/// RSA key serves the RSA and ECDHE_RSA suites, an ECDSA key ECDHE_ECDSA.
fn config_for(
    chain: Vec<Vec<u8>>,
    path: &Path,
    cert: &Path,
    crypto: Crypto,
) -> Result<ServerConfig, String> {
    let leaf = chain
        .first()
        .ok_or_else(|| file_err(cert, "no certificate"))?;
    let mismatch = || {
        file_err(
            path,
            format!("does not match the public key of {}", cert.display()),
        )
    };
    if let Some(ec) = load_ecdsa_key(&read(path)?) {
        let spki = leaf_spki(leaf).map_err(|e| file_err(cert, format!("{e:?}")))?;
        if ec.public_spki_der().map_err(|e| e.to_string())? != spki {
            return Err(mismatch());
        }
        return Ok(ServerConfig::with_ecdsa_key(chain, ec));
    }
    let key = load_private_key(path)
        .map_err(|_| file_err(path, "not an RSA or ECDSA (P-256, P-384) private key"))?;
    let public = leaf_public_key(leaf)
        .map_err(|e| file_err(cert, format!("the leaf certificate has no RSA key: {e:?}")))?;
    if key.to_public_key() != public {
        return Err(mismatch());
    }
    crypto.rsa_config(chain, key)
}

/// The reference server's config with the default provider
/// ([`Crypto::server_config`]).
pub fn server_config(cert: Option<&Path>, key: Option<&Path>) -> Result<ServerConfig, String> {
    Crypto::default().server_config(cert, key)
}

/// The reference client's config: trusts `ca` (the built-in root by default).
pub fn client_config(ca: Option<&Path>, crls: Option<&Path>) -> Result<ClientConfig, String> {
    client_config_with(ca, crls, RevocationPolicy::CheckIfPresent)
}

/// As [`client_config`], with a revocation policy.
pub fn client_config_with(
    ca: Option<&Path>,
    crls: Option<&Path>,
    revocation: RevocationPolicy,
) -> Result<ClientConfig, String> {
    Ok(ClientConfig::new(Arc::new(pki_verifier(
        ca, crls, revocation,
    )?)))
}

/// The engine's verifier over `ca` (default: the built-in root) and the
/// CRLs in `crls`.
fn pki_verifier(
    ca: Option<&Path>,
    crls: Option<&Path>,
    revocation: RevocationPolicy,
) -> Result<PkiVerifier, String> {
    let roots = match ca {
        Some(p) => load_certs(p)?,
        None => der_blocks(ROOT_PEM, "CERTIFICATE").map_err(|e| format!("{e:?}"))?,
    };
    let crls = match crls {
        Some(p) => load_crls(p)?,
        None => Vec::new(),
    };
    let mut verifier =
        PkiVerifier::new(&roots, crls).map_err(|e| format!("trust anchors: {e:?}"))?;
    verifier.revocation = revocation;
    Ok(verifier)
}

/// Our client's verifier that also fetches OCSP and CRLs for the path
/// (`connect --revocation soft|hard`), over `ca` (default: the built-in
/// root) and the CRLs in `crls`.
pub fn fetching_verifier(
    ca: Option<&Path>,
    crls: Option<&Path>,
    revocation: RevocationPolicy,
    fetch: crate::revocation::FetchOptions,
) -> Result<crate::revocation::FetchingVerifier, String> {
    Ok(crate::revocation::FetchingVerifier {
        pki: pki_verifier(ca, crls, revocation)?,
        fetch,
        notes: std::sync::Mutex::new(Vec::new()),
    })
}

/// The reference client's config with a revocation policy: under soft- and
/// hard-fail it asks for a staple and fetches OCSP and CRLs from the path's
/// AIA and CDP URLs (as `connect` does), each fetch within `fetch_timeout`;
/// every suite is offered (the scripted server picks each case's).
pub fn reference_client_config(
    policy: RevocationPolicy,
    fetch_timeout: std::time::Duration,
) -> Result<ClientConfig, String> {
    let verifier = fetching_verifier(
        None,
        None,
        policy,
        crate::revocation::FetchOptions {
            timeout: fetch_timeout,
            ..Default::default()
        },
    )?;
    let mut config = ClientConfig::new(Arc::new(verifier));
    config.ocsp_stapling = policy != RevocationPolicy::Off;
    config.suites = gauntlet_engine::config::ALL_SUITES.to_vec();
    Ok(config)
}

/// A staple file for `serve --ocsp-response`: DER, one OCSPResponse
/// SEQUENCE, non-empty and within CertificateStatus's 2^24-1 bytes and the
/// engine's own cap (checked at start-up with a one-line error).
pub fn load_ocsp_response(path: &Path) -> Result<Vec<u8>, String> {
    let der = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if der.first() != Some(&0x30) {
        return Err(format!(
            "{}: not a DER OCSPResponse (want a SEQUENCE; convert PEM with openssl)",
            path.display()
        ));
    }
    if der.len() > gauntlet_engine::pki::ocsp::MAX_RESPONSE_LEN {
        return Err(format!(
            "{}: {} bytes, more than an OCSP response may be ({})",
            path.display(),
            der.len(),
            gauntlet_engine::pki::ocsp::MAX_RESPONSE_LEN
        ));
    }
    Ok(der)
}

/// A provider seeded from the OS (the harness owns randomness), or from a
/// fixed seed for a replayable run, with the default primitives.
pub fn provider(seed: Option<[u8; 32]>) -> Provider {
    Crypto::default().provider(seed)
}

fn os_seed() -> [u8; 32] {
    use std::io::Read;
    let mut seed = [0u8; 32];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .is_ok();
    if !ok {
        // No /dev/urandom: mix the clock and pid. Only test traffic depends on it.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        seed[..16].copy_from_slice(&t.to_le_bytes());
        seed[16..20].copy_from_slice(&std::process::id().to_le_bytes());
    }
    seed
}
