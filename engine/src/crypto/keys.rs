//! The TLS 1.2 key schedule for the AES-GCM suites: master secret (RFC 5246
//! §8.1) and extended master secret (RFC 7627 §4), the key block (RFC 5246
//! §6.3 with RFC 5288 §3), Finished `verify_data` (RFC 5246 §7.4.9) and its
//! constant-time check, and the NSS key log line.
//!
//! [`KeySchedule`] computes them over a provider's PRF (what connections
//! use); the free functions are the same computations over the default
//! [`RustCrypto`] PRF, for vectors, tests and the harness's peers.

use super::kx::SharedSecret;
use super::prf::PrfHash;
use super::rsa_kx::Premaster;

/// A premaster secret of either key exchange, as the PRF takes it: RSA's
/// 48 bytes (RFC 5246 §7.4.7.1) or ECDH's x-coordinate (RFC 8422 §5.10).
pub trait PremasterSecret {
    fn secret_bytes(&self) -> &[u8];
}

impl PremasterSecret for Premaster {
    fn secret_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PremasterSecret for SharedSecret {
    fn secret_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}
use crate::error::{Error, PeerMisbehaved};
use crate::provider::{CryptoProvider, RustCrypto};
use std::fmt::{self, Write as _};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Length of the master secret (RFC 5246 §8.1).
pub const MASTER_SECRET_LEN: usize = 48;
/// Length of Finished `verify_data` for every TLS 1.2 suite here (RFC 5246 §7.4.9).
pub const VERIFY_DATA_LEN: usize = 12;
/// Length of the implicit GCM nonce part ("salt") per side (RFC 5288 §3).
pub const FIXED_IV_LEN: usize = 4;

/// The ChaCha20-Poly1305 fixed IV (RFC 7905 §2: `fixed_iv_length` 12).
pub const MAX_IV_LEN: usize = 12;

fn first4(iv: &[u8; MAX_IV_LEN]) -> &[u8; FIXED_IV_LEN] {
    let (head, _) = iv
        .split_first_chunk::<FIXED_IV_LEN>()
        .unwrap_or((&[0; FIXED_IV_LEN], &[]));
    head
}

/// The PRF label of the client's Finished.
pub const CLIENT_FINISHED: &[u8] = b"client finished";
/// The PRF label of the server's Finished.
pub const SERVER_FINISHED: &[u8] = b"server finished";

/// The 48-byte master secret. Zeroized on drop; `Debug` prints nothing of it.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct MasterSecret([u8; MASTER_SECRET_LEN]);

impl MasterSecret {
    /// For the session cache and for vectors.
    pub fn from_bytes(bytes: [u8; MASTER_SECRET_LEN]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; MASTER_SECRET_LEN] {
        &self.0
    }
}

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterSecret(..)")
    }
}

/// The key schedule of one suite's PRF hash, over a provider's PRF.
#[derive(Clone, Copy, Debug)]
pub struct KeySchedule<'a> {
    prf: &'a dyn CryptoProvider,
    hash: PrfHash,
}

impl<'a> KeySchedule<'a> {
    pub fn new(prf: &'a dyn CryptoProvider, hash: PrfHash) -> Self {
        Self { prf, hash }
    }

    /// `PRF(pre_master_secret, "master secret", client_random ‖ server_random)[0..47]`
    /// (RFC 5246 §8.1).
    pub fn master_secret(
        &self,
        premaster: &(impl PremasterSecret + ?Sized),
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> MasterSecret {
        let mut ms = [0u8; MASTER_SECRET_LEN];
        self.prf.prf(
            self.hash,
            premaster.secret_bytes(),
            b"master secret",
            &[client_random, server_random],
            &mut ms,
        );
        MasterSecret(ms)
    }

    /// `PRF(pre_master_secret, "extended master secret", session_hash)[0..47]`
    /// (RFC 7627 §4); `session_hash` is the handshake hash through
    /// ClientKeyExchange (RFC 7627 §3).
    pub fn extended_master_secret(
        &self,
        premaster: &(impl PremasterSecret + ?Sized),
        session_hash: &[u8],
    ) -> MasterSecret {
        let mut ms = [0u8; MASTER_SECRET_LEN];
        self.prf.prf(
            self.hash,
            premaster.secret_bytes(),
            b"extended master secret",
            &[session_hash],
            &mut ms,
        );
        MasterSecret(ms)
    }

    /// `PRF(master_secret, "key expansion", server_random ‖ client_random)`
    /// (RFC 5246 §6.3; note the seed order), split as client key, server key,
    /// client IV, server IV. `key_len` is 16 (AES-128) or 32 (AES-256).
    pub fn key_block(
        &self,
        master_secret: &MasterSecret,
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        key_len: usize,
    ) -> Result<KeyBlock, Error> {
        if key_len != 16 && key_len != 32 {
            return Err(Error::Internal("AES-GCM key length must be 16 or 32"));
        }
        self.key_block_with_iv(
            master_secret,
            client_random,
            server_random,
            key_len,
            FIXED_IV_LEN,
        )
    }

    /// As [`KeySchedule::key_block`] with `iv_len`-byte fixed IVs: 4 for
    /// AES-GCM (RFC 5288 §3), 12 for ChaCha20-Poly1305 (RFC 7905 §2).
    pub fn key_block_with_iv(
        &self,
        master_secret: &MasterSecret,
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        key_len: usize,
        iv_len: usize,
    ) -> Result<KeyBlock, Error> {
        if !(key_len == 16 || key_len == 32) || !(iv_len == FIXED_IV_LEN || iv_len == MAX_IV_LEN) {
            return Err(Error::Internal("unsupported AEAD key or IV length"));
        }
        let mut block = [0u8; 2 * 32 + 2 * MAX_IV_LEN];
        let used = &mut block[..2 * key_len + 2 * iv_len];
        self.prf.prf(
            self.hash,
            master_secret.as_bytes(),
            b"key expansion",
            &[server_random, client_random],
            used,
        );
        let mut kb = KeyBlock {
            key_len,
            iv_len,
            client_write_key: [0; 32],
            server_write_key: [0; 32],
            client_write_iv: [0; MAX_IV_LEN],
            server_write_iv: [0; MAX_IV_LEN],
        };
        let (ck, rest) = used.split_at(key_len);
        let (sk, rest) = rest.split_at(key_len);
        let (civ, siv) = rest.split_at(iv_len);
        kb.client_write_key[..key_len].copy_from_slice(ck);
        kb.server_write_key[..key_len].copy_from_slice(sk);
        kb.client_write_iv[..iv_len].copy_from_slice(civ);
        kb.server_write_iv[..iv_len].copy_from_slice(siv);
        block.zeroize();
        Ok(kb)
    }

    /// `PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]`
    /// (RFC 5246 §7.4.9). `label` is [`CLIENT_FINISHED`] or [`SERVER_FINISHED`].
    pub fn verify_data(
        &self,
        master_secret: &MasterSecret,
        label: &[u8],
        handshake_hash: &[u8],
    ) -> [u8; VERIFY_DATA_LEN] {
        let mut out = [0u8; VERIFY_DATA_LEN];
        self.prf.prf(
            self.hash,
            master_secret.as_bytes(),
            label,
            &[handshake_hash],
            &mut out,
        );
        out
    }
}

/// [`KeySchedule::master_secret`] with the default PRF.
pub fn master_secret(
    hash: PrfHash,
    premaster: &(impl PremasterSecret + ?Sized),
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> MasterSecret {
    KeySchedule::new(&RustCrypto, hash).master_secret(premaster, client_random, server_random)
}

/// [`KeySchedule::extended_master_secret`] with the default PRF.
pub fn extended_master_secret(
    hash: PrfHash,
    premaster: &(impl PremasterSecret + ?Sized),
    session_hash: &[u8],
) -> MasterSecret {
    KeySchedule::new(&RustCrypto, hash).extended_master_secret(premaster, session_hash)
}

/// The AES-GCM key block: write keys and fixed IVs of both sides. AEAD
/// suites have no MAC keys (RFC 5246 §6.3), and the IVs are the 4-byte
/// salts of RFC 5288 §3. Zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct KeyBlock {
    key_len: usize,
    iv_len: usize,
    client_write_key: [u8; 32],
    server_write_key: [u8; 32],
    client_write_iv: [u8; MAX_IV_LEN],
    server_write_iv: [u8; MAX_IV_LEN],
}

impl KeyBlock {
    pub fn client_write_key(&self) -> &[u8] {
        &self.client_write_key[..self.key_len]
    }

    pub fn server_write_key(&self) -> &[u8] {
        &self.server_write_key[..self.key_len]
    }

    /// The AES-GCM salt (the first 4 bytes for a 12-byte IV block).
    pub fn client_write_iv(&self) -> &[u8; FIXED_IV_LEN] {
        first4(&self.client_write_iv)
    }

    pub fn server_write_iv(&self) -> &[u8; FIXED_IV_LEN] {
        first4(&self.server_write_iv)
    }

    /// The whole fixed IV, `iv_len` bytes (12 for ChaCha20-Poly1305).
    pub fn client_iv(&self) -> &[u8] {
        &self.client_write_iv[..self.iv_len]
    }

    pub fn server_iv(&self) -> &[u8] {
        &self.server_write_iv[..self.iv_len]
    }
}

impl fmt::Debug for KeyBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyBlock {{ key_len: {}, .. }}", self.key_len)
    }
}

/// [`KeySchedule::key_block`] with the default PRF.
pub fn key_block(
    hash: PrfHash,
    master_secret: &MasterSecret,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    key_len: usize,
) -> Result<KeyBlock, Error> {
    KeySchedule::new(&RustCrypto, hash).key_block(
        master_secret,
        client_random,
        server_random,
        key_len,
    )
}

/// [`KeySchedule::verify_data`] with the default PRF.
pub fn verify_data(
    hash: PrfHash,
    master_secret: &MasterSecret,
    label: &[u8],
    handshake_hash: &[u8],
) -> [u8; VERIFY_DATA_LEN] {
    KeySchedule::new(&RustCrypto, hash).verify_data(master_secret, label, handshake_hash)
}

/// Proof that a Finished message checked out: only [`verify_finished`] makes one.
#[derive(Debug)]
pub struct FinishedVerified(());

/// Compares a received `verify_data` with ours in constant time (RFC 5246
/// §7.4.9: a mismatch is fatal, `decrypt_error`). A wrong length fails too.
pub fn verify_finished(
    expected: &[u8; VERIFY_DATA_LEN],
    received: &[u8],
) -> Result<FinishedVerified, Error> {
    // Lengths are public (they are on the wire); only contents are compared
    // in constant time. subtle's slice `ct_eq` yields 0 on a length mismatch.
    if bool::from(expected[..].ct_eq(received)) {
        Ok(FinishedVerified(()))
    } else {
        Err(Error::PeerMisbehaved(PeerMisbehaved::BadFinished))
    }
}

/// One NSS key log line, `CLIENT_RANDOM <client_random hex> <master secret hex>`,
/// without a newline: what Wireshark needs to decrypt a TLS 1.2 capture.
pub fn key_log_line(client_random: &[u8; 32], master_secret: &MasterSecret) -> String {
    let mut line = String::with_capacity(14 + 64 + 1 + 96);
    line.push_str("CLIENT_RANDOM ");
    for b in client_random {
        let _ = write!(line, "{b:02x}");
    }
    line.push(' ');
    for b in master_secret.as_bytes() {
        let _ = write!(line, "{b:02x}");
    }
    line
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    // Every expected value below was produced by crypto/testdata/gen.sh with
    // `openssl kdf ... TLS1-PRF` (the exact label/seed layout is in the script),
    // from premaster 0303 ‖ 10..3d, client_random 00..1f,
    // server_random 80..9f, hashes 40..5f (32 bytes) / 40..6f (48 bytes).
    fn premaster() -> Premaster {
        let mut pm = [0u8; 48];
        pm[0] = 3;
        pm[1] = 3;
        for (i, b) in pm[2..].iter_mut().enumerate() {
            *b = 0x10 + i as u8;
        }
        Premaster::from_bytes(pm)
    }
    fn seq<const N: usize>(start: u8) -> [u8; N] {
        let mut a = [0u8; N];
        for (i, b) in a.iter_mut().enumerate() {
            *b = start + i as u8;
        }
        a
    }
    fn ms(s: &str) -> MasterSecret {
        MasterSecret::from_bytes(hex::decode(s).unwrap().try_into().unwrap())
    }
    const MS_SHA256: &str = "ba062dadb0cbc4e0fe7751dfbfe34a79a1c2209de2186a2c48978755226f3548\
                             2e2acc8c3072b9d434a3cfeab27928e1";
    const MS_SHA384: &str = "4e6a0fcd2dc3a58560d8a65fd3d1e1b58034811f26eb544c231729d5a957c429\
                             4e4b9e54fc01b29bd322705989439d09";

    #[test]
    fn master_secret_matches_openssl() {
        // RFC 5246 §8.1: seed is client_random ‖ server_random.
        let (cr, sr) = (seq::<32>(0x00), seq::<32>(0x80));
        let m = master_secret(PrfHash::Sha256, &premaster(), &cr, &sr);
        assert_eq!(hex::encode(m.as_bytes()), MS_SHA256);
        let m = master_secret(PrfHash::Sha384, &premaster(), &cr, &sr);
        assert_eq!(hex::encode(m.as_bytes()), MS_SHA384);
    }

    #[test]
    fn extended_master_secret_matches_openssl() {
        // RFC 7627 §4: label "extended master secret", seed = session_hash.
        let m = extended_master_secret(PrfHash::Sha256, &premaster(), &seq::<32>(0x40));
        assert_eq!(
            hex::encode(m.as_bytes()),
            "afd8e98c4fdca1ace7e3794956489c93055e5ec677a87bbcc000f2a4f1e6ee4d\
             f9882ac723cfeb2cdef6a330f7304948"
        );
        let m = extended_master_secret(PrfHash::Sha384, &premaster(), &seq::<48>(0x40));
        assert_eq!(
            hex::encode(m.as_bytes()),
            "c35c23429abf14fec5a3fe8325f18b28e4c7a7fab45cd0e53012f7fcd2e35f27\
             f069ed8bbe1fa457db065e34d80a6ac2"
        );
    }

    #[test]
    fn key_block_uses_server_random_first_and_splits_per_rfc5288() {
        // RFC 5246 §6.3: seed = server_random ‖ client_random; order
        // client key, server key, client IV, server IV; no MAC keys for AEAD.
        let (cr, sr) = (seq::<32>(0x00), seq::<32>(0x80));
        let kb = key_block(PrfHash::Sha256, &ms(MS_SHA256), &cr, &sr, 16).unwrap();
        let expected = "5f7141d28a056175a48db3a7e5138548a7625f75109cb1f8145dadee86669fb1\
                        3035cf23b81c9e4e";
        let joined = [
            kb.client_write_key(),
            kb.server_write_key(),
            kb.client_write_iv(),
            kb.server_write_iv(),
        ]
        .concat();
        assert_eq!(hex::encode(joined), expected);
        assert_eq!(kb.client_write_key().len(), 16);

        let kb = key_block(PrfHash::Sha384, &ms(MS_SHA384), &cr, &sr, 32).unwrap();
        let expected = "5f218af0ad2634518e4319adc9590d3be9fb81032cbb0949a0c3dc622bdedd67\
                        11e1f7e9fb8719023dc4fdbb415db07f3a89b6ede19ebe4e2d1c66f5531a32ff\
                        8e681bfe091fe31d";
        let joined = [
            kb.client_write_key(),
            kb.server_write_key(),
            kb.client_write_iv(),
            kb.server_write_iv(),
        ]
        .concat();
        assert_eq!(hex::encode(joined), expected);
    }

    #[test]
    fn key_block_rejects_key_lengths_other_than_aes_gcm() {
        let r = key_block(PrfHash::Sha256, &ms(MS_SHA256), &[0; 32], &[0; 32], 24);
        assert!(matches!(r, Err(Error::Internal(_))));
    }

    #[test]
    fn verify_data_matches_openssl() {
        // RFC 5246 §7.4.9: 12 bytes of PRF(ms, label, handshake hash).
        let v = verify_data(
            PrfHash::Sha256,
            &ms(MS_SHA256),
            CLIENT_FINISHED,
            &seq::<32>(0x40),
        );
        assert_eq!(hex::encode(v), "bddb97b6f437506d2fc797f1");
        let v = verify_data(
            PrfHash::Sha384,
            &ms(MS_SHA384),
            SERVER_FINISHED,
            &seq::<48>(0x40),
        );
        assert_eq!(hex::encode(v), "9d2297fb0a0d00090f6dea15");
    }

    #[test]
    fn verify_finished_accepts_only_the_exact_value() {
        // RFC 5246 §7.4.9: the recipient MUST check verify_data; a wrong
        // value (any bit, or any length) is decrypt_error.
        let expected = [7u8; 12];
        assert!(verify_finished(&expected, &[7u8; 12]).is_ok());
        let bad = Err(Error::PeerMisbehaved(PeerMisbehaved::BadFinished));
        let mut flipped = [7u8; 12];
        flipped[11] ^= 0x80;
        assert_eq!(verify_finished(&expected, &flipped).map(|_| ()), bad);
        assert_eq!(verify_finished(&expected, &[7u8; 11]).map(|_| ()), bad);
        assert_eq!(verify_finished(&expected, &[7u8; 13]).map(|_| ()), bad);
        assert_eq!(verify_finished(&expected, &[]).map(|_| ()), bad);
        assert_eq!(
            Error::PeerMisbehaved(PeerMisbehaved::BadFinished).alert(),
            Some(crate::enums::AlertDescription::DecryptError)
        );
    }

    #[test]
    fn key_log_line_has_nss_format() {
        // NSS key log format: label, 32-byte client random, 48-byte secret, in lower hex.
        let line = key_log_line(&seq::<32>(0x00), &ms(MS_SHA256));
        assert_eq!(
            line,
            format!(
                "CLIENT_RANDOM 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f {}",
                MS_SHA256
            )
        );
    }

    #[test]
    fn secrets_do_not_appear_in_debug() {
        assert_eq!(format!("{:?}", ms(MS_SHA256)), "MasterSecret(..)");
        let kb = key_block(PrfHash::Sha256, &ms(MS_SHA256), &[0; 32], &[0; 32], 16).unwrap();
        assert_eq!(format!("{kb:?}"), "KeyBlock { key_len: 16, .. }");
    }
}
