//! TLS 1.2 cryptography: the PRF and transcript hash (`prf`), the key
//! schedule and Finished (`keys`), RSA key exchange (`rsa_kx`), ephemeral
//! ECDH over x25519, secp256r1 and secp384r1 (`kx`, RFC 8422) and the
//! signatures on ServerKeyExchange, over a SubjectPublicKeyInfo (`sig`).
//! Record protection lives in `record::protection`; randomness, and the
//! primitives connections use, come from `provider`. With the `aws-lc`
//! feature, `aws_lc` is a second provider and RSA key backed by AWS-LC.

#[cfg(feature = "aws-lc")]
pub mod aws_lc;
pub mod keys;
pub mod kx;
pub mod prf;
pub mod rsa_kx;
pub mod sig;

pub use keys::{
    extended_master_secret, key_block, key_log_line, master_secret, verify_data, verify_finished,
    FinishedVerified, KeyBlock, KeySchedule, MasterSecret, CLIENT_FINISHED, SERVER_FINISHED,
};
pub use prf::{prf, PrfHash, TranscriptHash};
pub use rsa_kx::{decrypt_premaster, encrypt_premaster, Premaster, RsaDecrypt};

use crate::enums::CipherSuite;

/// How a suite establishes the premaster secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyExchange {
    /// RFC 5246 §7.4.7.1: the client encrypts it to the server's RSA key.
    Rsa,
    /// RFC 8422 §2.1: ephemeral ECDH, the server's share signed.
    Ecdhe,
}

/// What kind of key the server's certificate holds (and, for ECDHE, signs
/// ServerKeyExchange with).
pub use sig::KeyKind as Authentication;

/// The record AEAD of a suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Aead {
    /// RFC 5288: 4-byte salt, 8-byte explicit nonce per record.
    AesGcm,
    /// RFC 7905: 12-byte fixed IV XOR the sequence number, no explicit nonce.
    ChaCha20Poly1305,
}

/// What the key schedule and the state machines need to know about a
/// negotiable suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SuiteParams {
    pub prf_hash: PrfHash,
    /// AEAD key length in bytes.
    pub key_len: usize,
    pub kx: KeyExchange,
    pub auth: Authentication,
    pub aead: Aead,
}

impl SuiteParams {
    /// The parameters of a suite this engine negotiates (RFC 5288 §3,
    /// RFC 5289 §3.2), or `None` for any other suite.
    pub fn for_suite(suite: CipherSuite) -> Option<Self> {
        let (prf_hash, key_len, kx, auth) = match suite {
            CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256 => {
                (PrfHash::Sha256, 16, KeyExchange::Rsa, Authentication::Rsa)
            }
            CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384 => {
                (PrfHash::Sha384, 32, KeyExchange::Rsa, Authentication::Rsa)
            }
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => {
                (PrfHash::Sha256, 16, KeyExchange::Ecdhe, Authentication::Rsa)
            }
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => {
                (PrfHash::Sha384, 32, KeyExchange::Ecdhe, Authentication::Rsa)
            }
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => (
                PrfHash::Sha256,
                16,
                KeyExchange::Ecdhe,
                Authentication::Ecdsa,
            ),
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => (
                PrfHash::Sha384,
                32,
                KeyExchange::Ecdhe,
                Authentication::Ecdsa,
            ),
            CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => {
                return Some(Self {
                    prf_hash: PrfHash::Sha256,
                    key_len: 32,
                    kx: KeyExchange::Ecdhe,
                    auth: Authentication::Rsa,
                    aead: Aead::ChaCha20Poly1305,
                })
            }
            CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => {
                return Some(Self {
                    prf_hash: PrfHash::Sha256,
                    key_len: 32,
                    kx: KeyExchange::Ecdhe,
                    auth: Authentication::Ecdsa,
                    aead: Aead::ChaCha20Poly1305,
                })
            }
            _ => return None,
        };
        Some(Self {
            prf_hash,
            key_len,
            kx,
            auth,
            aead: Aead::AesGcm,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_the_gcm_suites_have_parameters() {
        // RFC 5288 §3: AES_128_GCM_SHA256 uses P_SHA256 and a 16-byte key,
        // AES_256_GCM_SHA384 uses P_SHA384 and a 32-byte key; RFC 5289 §3.2
        // the same for the ECDHE suites.
        let p = SuiteParams::for_suite(CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256).unwrap();
        assert_eq!((p.prf_hash, p.key_len), (PrfHash::Sha256, 16));
        assert_eq!((p.kx, p.auth), (KeyExchange::Rsa, Authentication::Rsa));
        let p = SuiteParams::for_suite(CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384).unwrap();
        assert_eq!((p.prf_hash, p.key_len), (PrfHash::Sha384, 32));
        let p = SuiteParams::for_suite(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384).unwrap();
        assert_eq!((p.prf_hash, p.key_len), (PrfHash::Sha384, 32));
        assert_eq!((p.kx, p.auth), (KeyExchange::Ecdhe, Authentication::Rsa));
        let p =
            SuiteParams::for_suite(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256).unwrap();
        assert_eq!((p.prf_hash, p.key_len), (PrfHash::Sha256, 16));
        assert_eq!((p.kx, p.auth), (KeyExchange::Ecdhe, Authentication::Ecdsa));
        for s in [
            CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
            CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
        ] {
            assert_eq!(SuiteParams::for_suite(s), None);
        }
    }
}
