//! TLS 1.2 cryptography for the two RSA AES-GCM suites: the PRF and
//! transcript hash (`prf`), the key schedule and Finished (`keys`), and RSA
//! key exchange (`rsa_kx`). Record protection lives in `record::protection`;
//! randomness, and the primitives connections use, come from `provider`.

pub mod keys;
pub mod prf;
pub mod rsa_kx;

pub use keys::{
    extended_master_secret, key_block, key_log_line, master_secret, verify_data, verify_finished,
    FinishedVerified, KeyBlock, KeySchedule, MasterSecret, CLIENT_FINISHED, SERVER_FINISHED,
};
pub use prf::{prf, PrfHash, TranscriptHash};
pub use rsa_kx::{decrypt_premaster, encrypt_premaster, Premaster, RsaDecrypt};

use crate::enums::CipherSuite;

/// What the key schedule needs to know about a negotiable suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SuiteParams {
    pub prf_hash: PrfHash,
    /// AES key length in bytes.
    pub key_len: usize,
}

impl SuiteParams {
    /// The parameters of a suite this engine negotiates (RFC 5288 §3), or
    /// `None` for any other suite.
    pub fn for_suite(suite: CipherSuite) -> Option<Self> {
        match suite {
            CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256 => Some(Self {
                prf_hash: PrfHash::Sha256,
                key_len: 16,
            }),
            CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384 => Some(Self {
                prf_hash: PrfHash::Sha384,
                key_len: 32,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_the_two_rsa_gcm_suites_have_parameters() {
        // RFC 5288 §3: AES_128_GCM_SHA256 uses P_SHA256 and a 16-byte key,
        // AES_256_GCM_SHA384 uses P_SHA384 and a 32-byte key.
        let p = SuiteParams::for_suite(CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256).unwrap();
        assert_eq!((p.prf_hash, p.key_len), (PrfHash::Sha256, 16));
        let p = SuiteParams::for_suite(CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384).unwrap();
        assert_eq!((p.prf_hash, p.key_len), (PrfHash::Sha384, 32));
        for s in [
            CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
        ] {
            assert_eq!(SuiteParams::for_suite(s), None);
        }
    }
}
