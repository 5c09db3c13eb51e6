//! The no-security crypto provider for fuzzing: an ordinary
//! `CryptoProvider` (the engine knows nothing of it) whose AEAD is null and
//! whose PRF is all zero, and [`ClearRsaKey`], an RSA key that does nothing.
//! With them a fuzzer's bytes get past record protection and Finished, so
//! the states after the handshake are reachable, while every length, order
//! and padding check stays the engine's real one. ECDH and signature
//! verification are the real RustCrypto ones: a fuzzer reaches the ECDHE
//! states only with real points and signatures (the fuzz scenarios use RSA
//! key exchange).

use gauntlet_engine::crypto::kx::{ActiveKeyExchange, RustCryptoKx};
use gauntlet_engine::crypto::rsa_kx::{Pkcs1Plaintext, RsaDecrypt};
use gauntlet_engine::crypto::sig::{Scheme, SigError};
use gauntlet_engine::crypto::PrfHash;
use gauntlet_engine::enums::NamedGroup;
use gauntlet_engine::provider::{CryptoProvider, RecordAead};
use gauntlet_engine::record::protection::TAG_LEN;
use gauntlet_engine::{Error, Provider};
use subtle::Choice;
use zeroize::Zeroizing;

/// The provider: every PRF output is zero (so master secret, keys and
/// `verify_data` are zero, and an all-zero Finished verifies through the
/// engine's ordinary constant-time compare), and every AEAD is [`NullAead`].
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSecurity;

impl CryptoProvider for NoSecurity {
    fn prf(&self, _: PrfHash, _: &[u8], _: &[u8], _: &[&[u8]], out: &mut [u8]) {
        out.fill(0);
    }

    fn record_aead(&self, key: &[u8]) -> Result<Box<dyn RecordAead>, Error> {
        // The same key-length rule as AES-GCM, so a bad key block fails alike.
        match key.len() {
            16 | 32 => Ok(Box::new(NullAead)),
            _ => Err(Error::Internal("AES-GCM key must be 16 or 32 bytes")),
        }
    }

    fn chacha20_poly1305(&self, key: &[u8]) -> Result<Box<dyn RecordAead>, Error> {
        match key.len() {
            32 => Ok(Box::new(NullAead)),
            _ => Err(Error::Internal("ChaCha20-Poly1305 key must be 32 bytes")),
        }
    }

    fn key_exchange(
        &self,
        group: NamedGroup,
        seed: &[u8; 32],
    ) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        RustCryptoKx.start(group, seed)
    }

    fn verify_signature(
        &self,
        spki: &[u8],
        scheme: Scheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SigError> {
        gauntlet_engine::crypto::sig::verify(spki, scheme, message, signature)
    }
}

/// Sealing leaves the plaintext as it is and appends a zero tag (fragment =
/// explicit nonce ‖ plaintext ‖ 0^16); opening accepts exactly a zero tag,
/// leaving the bytes as they are, and fails any other tag with the engine's
/// ordinary authentication failure (bad_record_mac).
#[derive(Clone, Copy, Debug, Default)]
pub struct NullAead;

impl RecordAead for NullAead {
    fn seal_in_place(&self, _: &[u8; 12], _: &[u8], _: &mut [u8]) -> Result<[u8; TAG_LEN], Error> {
        Ok([0; TAG_LEN])
    }

    fn open_in_place(
        &self,
        _: &[u8; 12],
        _: &[u8],
        _: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        if *tag == [0; TAG_LEN] {
            Ok(())
        } else {
            Err(Error::DecryptError)
        }
    }
}

/// An RSA "key" whose private operation is the identity, so fuzzers and the
/// scripted client make a ClientKeyExchange without RSA's cost (~3 ms per
/// decryption): the ciphertext is the RFC 8017 §7.2.2 block `00 02 PS 00 M`
/// in clear, 256 bytes, PS at least 8 non-zero bytes. The padding checks are
/// real, so the server's RFC 5246 §7.4.7.1 countermeasure is still fuzzed.
#[derive(Debug)]
pub struct ClearRsaKey;

impl ClearRsaKey {
    pub const LEN: usize = 256;

    /// The "ciphertext" of `message` (at most 245 bytes; longer is cut).
    pub fn encrypt(message: &[u8]) -> Vec<u8> {
        let m = &message[..message.len().min(Self::LEN - 11)];
        let mut out = vec![0x00, 0x02];
        out.resize(Self::LEN - m.len() - 1, 0xa5);
        out.push(0);
        out.extend_from_slice(m);
        out
    }
}

impl RsaDecrypt for ClearRsaKey {
    fn modulus_len(&self) -> usize {
        Self::LEN
    }

    fn decrypt_pkcs1v15(&self, _rng: &mut Provider, ct: &[u8]) -> Pkcs1Plaintext {
        let sep = ct
            .iter()
            .skip(2)
            .position(|&b| b == 0)
            .map(|p| p + 2)
            .filter(|&p| p >= 10 && ct.len() == Self::LEN && ct[..2] == [0, 2]);
        match sep {
            Some(p) => Pkcs1Plaintext {
                message: Zeroizing::new(ct[p + 1..].to_vec()),
                valid: Choice::from(1),
            },
            None => Pkcs1Plaintext {
                message: Zeroizing::new(Vec::new()),
                valid: Choice::from(0),
            },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use gauntlet_engine::crypto::{verify_finished, KeySchedule, MasterSecret, CLIENT_FINISHED};
    use gauntlet_engine::enums::{ContentType, ProtocolVersion};
    use gauntlet_engine::record::protection::{RecordOpener, RecordSealer, MAX_PLAINTEXT_LEN};
    use gauntlet_engine::{InvalidMessage, PeerMisbehaved};

    fn open(fragment: &[u8]) -> Result<Vec<u8>, Error> {
        RecordOpener::with_crypto(&NoSecurity, &[7; 16], [1; 4])
            .unwrap()
            .open(
                ContentType::ApplicationData,
                ProtocolVersion::TLSv1_2,
                fragment,
            )
    }

    #[test]
    fn null_aead_opens_only_a_zero_tag_and_keeps_the_record_limits() {
        // explicit nonce ‖ P ‖ 0^16 opens as P; any other tag is
        // bad_record_mac (RFC 5246 §6.2.3.3); the engine's limits still
        // apply: an opened plaintext over 2^14 is record_overflow (§6.2.1).
        let zero_tag = [[0xee; 8].as_slice(), b"plain", &[0; 16]].concat();
        assert_eq!(open(&zero_tag).unwrap(), b"plain");
        let other_tag = [[0xee; 8].as_slice(), b"plain", &[1; 16]].concat();
        assert_eq!(open(&other_tag), Err(Error::DecryptError));
        assert_eq!(open(&[0; 23]), Err(Error::DecryptError));
        let big = [vec![0; 8], vec![0x61; MAX_PLAINTEXT_LEN + 1], vec![0; 16]].concat();
        assert_eq!(
            open(&big),
            Err(InvalidMessage::PlaintextRecordTooLarge(MAX_PLAINTEXT_LEN + 1).into())
        );
        // The same AES-GCM key-length rule.
        assert!(RecordOpener::with_crypto(&NoSecurity, &[7; 24], [1; 4]).is_err());
    }

    #[test]
    fn null_aead_seals_into_what_it_opens() {
        let mut sealer = RecordSealer::with_crypto(&NoSecurity, &[7; 32], [1; 4]).unwrap();
        let f = sealer
            .seal(ContentType::Handshake, ProtocolVersion::TLSv1_2, b"hello")
            .unwrap();
        assert_eq!(f, [[0u8; 8].as_slice(), b"hello", &[0; 16]].concat());
        let mut opener = RecordOpener::with_crypto(&NoSecurity, &[7; 32], [1; 4]).unwrap();
        let opened = opener.open(ContentType::Handshake, ProtocolVersion::TLSv1_2, &f);
        assert_eq!(opened.unwrap(), b"hello");
    }

    #[test]
    fn zero_prf_makes_an_all_zero_finished_verify_and_nothing_else() {
        // RFC 5246 §7.4.9 through the engine's own compare: the expected
        // verify_data is zero, so twelve zero bytes verify; other values
        // and lengths are still bad.
        let ks = KeySchedule::new(&NoSecurity, PrfHash::Sha256);
        let ms = ks.master_secret(
            &gauntlet_engine::crypto::Premaster::from_bytes([9; 48]),
            &[1; 32],
            &[2; 32],
        );
        assert_eq!(ms, MasterSecret::from_bytes([0; 48]));
        let expected = ks.verify_data(&ms, CLIENT_FINISHED, &[3; 32]);
        assert!(verify_finished(&expected, &[0; 12]).is_ok());
        let bad = Err(Error::PeerMisbehaved(PeerMisbehaved::BadFinished));
        assert_eq!(verify_finished(&expected, &[1; 12]).map(|_| ()), bad);
        assert_eq!(verify_finished(&expected, &[0; 11]).map(|_| ()), bad);
    }

    #[test]
    fn clear_rsa_key_undoes_its_padding_and_rejects_bad_blocks() {
        // RFC 8017 §7.2.2: EM = 0x00 || 0x02 || PS (>= 8 non-zero) || 0x00 || M.
        let mut rng = Provider::from_seed([0; 32]);
        let ct = ClearRsaKey::encrypt(&[3, 3, 9, 9]);
        assert_eq!(ct.len(), ClearRsaKey::LEN);
        let p = ClearRsaKey.decrypt_pkcs1v15(&mut rng, &ct);
        assert!(bool::from(p.valid));
        assert_eq!(p.message.as_slice(), &[3, 3, 9, 9]);
        let mut bad = ct.clone();
        bad[1] = 1;
        assert!(!bool::from(
            ClearRsaKey.decrypt_pkcs1v15(&mut rng, &bad).valid
        ));
        let mut short_ps = vec![0, 2, 1, 0];
        short_ps.resize(ClearRsaKey::LEN, 7);
        assert!(!bool::from(
            ClearRsaKey.decrypt_pkcs1v15(&mut rng, &short_ps).valid
        ));
        assert!(!bool::from(
            ClearRsaKey.decrypt_pkcs1v15(&mut rng, &ct[1..]).valid
        ));
    }
}
