//! Injected randomness and time, and the crypto plug-ins: the engine's only
//! source of randomness, and the one place its record protection and key
//! schedule get their primitives from.
//!
//! The engine never asks the OS for entropy or the time. The harness creates a
//! [`Provider`] from a 32-byte seed (from the OS in production runs, fixed in
//! tests and replays) and passes the current [`UnixTime`] into each call that
//! needs it, so a run replays byte for byte from its seed and clock values.
//!
//! The generator is concrete (ChaCha20, a CSPRNG, so seeded runs are as
//! strong as their seed). The primitives are plug-ins, as in rustls's
//! `CryptoProvider`: a [`CryptoProvider`] gives the TLS 1.2 PRF (hence the
//! master secret, EMS, key block and Finished), the record AEAD
//! ([`RecordAead`]), ephemeral ECDH ([`CryptoProvider::key_exchange`]) and
//! signature verification ([`CryptoProvider::verify_signature`]); RSA
//! decryption and signing come with the server's key (`ServerConfig::key`,
//! [`crate::crypto::RsaDecrypt`]; `ServerConfig::signer`,
//! [`crate::crypto::sig::SigningKey`]).
//! [`RustCrypto`] is the default; [`Provider::with_crypto`] selects another,
//! e.g. the harness's no-security provider, of which the engine knows nothing.

use crate::crypto::kx::{ActiveKeyExchange, RustCryptoKx};
use crate::crypto::prf::{prf_parts, PrfHash};
use crate::crypto::sig::{Scheme, SigError};
use crate::enums::NamedGroup;
use crate::error::Error;
use crate::record::protection::{GcmKey, TAG_LEN};
use core::convert::Infallible;
use core::fmt;
use rand_chacha::ChaCha20Rng;
use rand_core::{SeedableRng, TryCryptoRng, TryRng};
use std::sync::{Arc, OnceLock};

/// The primitives behind the key schedule and record protection.
pub trait CryptoProvider: Send + Sync + fmt::Debug {
    /// `P_<hash>(secret, label ‖ seed[0] ‖ seed[1] ‖ …)` (RFC 5246 §5),
    /// filling `out`: the TLS 1.2 PRF with its seed given in parts.
    fn prf(&self, hash: PrfHash, secret: &[u8], label: &[u8], seed: &[&[u8]], out: &mut [u8]);

    /// The record AEAD keyed with one direction's write key: 16 bytes for
    /// the AES-128-GCM suite, 32 for AES-256-GCM. Called once per key
    /// change, never per record.
    fn record_aead(&self, key: &[u8]) -> Result<Box<dyn RecordAead>, Error>;

    /// ChaCha20-Poly1305 keyed with one direction's 32-byte write key
    /// (RFC 7905), for the record layer; nonces are given per record.
    fn chacha20_poly1305(&self, key: &[u8]) -> Result<Box<dyn RecordAead>, Error>;

    /// Starts an ephemeral ECDH exchange in `group` (RFC 8422). The private
    /// key must be a function of `seed` alone, which the engine draws from
    /// the injected randomness: a provider never reads an RNG of its own.
    /// The returned key exchange validates the peer's share.
    fn key_exchange(
        &self,
        group: NamedGroup,
        seed: &[u8; 32],
    ) -> Result<Box<dyn ActiveKeyExchange>, Error>;

    /// Verifies `signature` over `message` with `scheme` by the key in the
    /// DER SubjectPublicKeyInfo `spki` (ServerKeyExchange, RFC 5246 §7.4.3).
    fn verify_signature(
        &self,
        spki: &[u8],
        scheme: Scheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SigError>;
}

/// One direction's AEAD (RFC 5246 §6.2.3.3), in place and with a detached
/// 16-byte tag, so a record costs no allocation beyond its output buffer.
pub trait RecordAead: Send + Sync + fmt::Debug {
    /// Encrypts `buf` in place and returns the tag.
    fn seal_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error>;

    /// Checks `tag` and, only if it is right, decrypts `buf` in place; else
    /// `Error::DecryptError` (bad_record_mac).
    fn open_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error>;
}

/// The default provider: the PRF over `hmac`/`sha2`, AES-GCM from
/// `aes-gcm`, ECDH from `x25519-dalek`/`p256`/`p384`, and signatures from
/// `rsa`/`ecdsa` (RustCrypto crates).
#[derive(Clone, Copy, Debug, Default)]
pub struct RustCrypto;

impl CryptoProvider for RustCrypto {
    fn prf(&self, hash: PrfHash, secret: &[u8], label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
        prf_parts(hash, secret, label, seed, out)
    }

    fn record_aead(&self, key: &[u8]) -> Result<Box<dyn RecordAead>, Error> {
        Ok(Box::new(GcmKey::new(key)?))
    }

    fn chacha20_poly1305(&self, key: &[u8]) -> Result<Box<dyn RecordAead>, Error> {
        Ok(Box::new(crate::record::protection::ChaChaKey::new(key)?))
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
        crate::crypto::sig::verify(spki, scheme, message, signature)
    }
}

/// The shared default, so `from_seed` allocates nothing for it.
fn default_crypto() -> Arc<dyn CryptoProvider> {
    static DEFAULT: OnceLock<Arc<dyn CryptoProvider>> = OnceLock::new();
    DEFAULT.get_or_init(|| Arc::new(RustCrypto)).clone()
}

/// Seconds since the Unix epoch, as the caller's clock reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(pub u64);

/// A deterministic CSPRNG (ChaCha20, RFC 8439 keystream with nonce 0) over an
/// injected seed, and the [`CryptoProvider`] the connection uses.
///
/// It implements `rand_core` 0.10's `TryRng` + `TryCryptoRng` (hence `Rng` and
/// `CryptoRng`), so `&mut Provider` goes straight into the `rsa` crate's
/// `*_with_rng` functions. It is deliberately not `Clone`: two copies would
/// emit the same bytes.
pub struct Provider {
    rng: ChaCha20Rng,
    crypto: Arc<dyn CryptoProvider>,
}

impl Provider {
    /// A provider whose output is a pure function of `seed`, with the
    /// default primitives ([`RustCrypto`]).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self::with_crypto(seed, default_crypto())
    }

    /// As [`Provider::from_seed`], with other primitives.
    pub fn with_crypto(seed: [u8; 32], crypto: Arc<dyn CryptoProvider>) -> Self {
        Self {
            rng: ChaCha20Rng::from_seed(seed),
            crypto,
        }
    }

    /// The primitives the connection's key schedule and records use.
    pub fn crypto(&self) -> &dyn CryptoProvider {
        &*self.crypto
    }

    /// Fills `dest` with the next bytes of the stream.
    pub fn fill(&mut self, dest: &mut [u8]) {
        match self.rng.try_fill_bytes(dest) {
            Ok(()) => {}
            Err(never) => match never {},
        }
    }

    /// The next `N` bytes of the stream, e.g. a `Random` or a session ID.
    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.fill(&mut out);
        out
    }
}

impl fmt::Debug for Provider {
    // The generator state is the seed: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Provider { .. }")
    }
}

impl TryRng for Provider {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.rng.try_next_u32()
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.rng.try_next_u64()
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.rng.try_fill_bytes(dst)
    }
}

impl TryCryptoRng for Provider {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_same_bytes() {
        // Determinism is the provider's contract: replays depend on it.
        let mut a = Provider::from_seed([7; 32]);
        let mut b = Provider::from_seed([7; 32]);
        let (mut x, mut y) = ([0u8; 100], [0u8; 100]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_eq!(x, y);
        assert_eq!(a.array::<32>(), b.array::<32>());
    }

    #[test]
    fn different_seeds_and_successive_calls_differ() {
        let mut a = Provider::from_seed([7; 32]);
        let mut b = Provider::from_seed([8; 32]);
        let first: [u8; 32] = a.array();
        assert_ne!(first, b.array::<32>());
        assert_ne!(first, a.array::<32>());
    }

    #[test]
    fn stream_is_the_rfc8439_chacha20_keystream() {
        // RFC 8439 §A.1 test vector #1: key = 0^32, nonce = 0, counter 0.
        // Pinning it keeps recorded seeded runs reproducible across upgrades
        // of rand_chacha.
        let expected = "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7\
                        da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586";
        let mut p = Provider::from_seed([0; 32]);
        let out: [u8; 64] = p.array();
        assert_eq!(hex::encode(out), expected);
    }

    #[test]
    fn default_crypto_is_the_rustcrypto_prf_and_aes_gcm() {
        // RFC 5246 §5: the published P_SHA256 vector (IETF TLS list, 2008),
        // through the provider a connection gets from `from_seed`.
        let p = Provider::from_seed([0; 32]);
        let mut out = [0u8; 10];
        p.crypto().prf(
            PrfHash::Sha256,
            &hex::decode("9bbe436ba940f017b17652849a71db35").unwrap(),
            b"test label",
            &[&hex::decode("a0ba9f936cda311827a6f796ffd5198c").unwrap()],
            &mut out,
        );
        assert_eq!(hex::encode(out), "e3f229ba727be17b8d12");
        // RFC 5288 §3: AES-128-GCM and AES-256-GCM keys only.
        assert!(p.crypto().record_aead(&[0; 16]).is_ok());
        assert!(p.crypto().record_aead(&[0; 32]).is_ok());
        assert!(p.crypto().record_aead(&[0; 24]).is_err());
    }

    #[test]
    fn debug_does_not_print_state() {
        let p = Provider::from_seed([0xAB; 32]);
        assert_eq!(format!("{p:?}"), "Provider { .. }");
    }
}
