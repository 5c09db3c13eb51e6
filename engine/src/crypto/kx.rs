//! Ephemeral ECDH for the ECDHE suites (RFC 8422): x25519 (RFC 7748),
//! secp256r1 and secp384r1 (uncompressed X9.62 points only, RFC 8422 §5.1.2),
//! with every check on the peer's share that RFC 8422 §5.11 and RFC 7748 §6.1
//! ask for.
//!
//! The private key is a pure function of a 32-byte seed the engine draws
//! from its injected [`crate::Provider`]: this module never touches an OS
//! RNG. The primitives are a [`crate::provider::CryptoProvider`] plug-in
//! ([`crate::provider::CryptoProvider::key_exchange`]); [`RustCryptoKx`] is
//! the RustCrypto one (x25519-dalek, p256, p384).

use crate::enums::NamedGroup;
use crate::error::{Error, PeerMisbehaved};
use core::fmt;
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::elliptic_curve::Generate;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zeroize::Zeroizing;

/// The groups this engine implements, in our default order of preference
/// (x25519 first, as OpenSSL, BoringSSL and rustls prefer).
pub const SUPPORTED_GROUPS: &[NamedGroup] = &[
    NamedGroup::x25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

/// The encoded share's length for a group we implement (RFC 8422 §5.4:
/// X9.62 uncompressed is `04 ‖ X ‖ Y`; RFC 8422 §5.11: x25519 is 32 bytes).
pub fn share_len(group: NamedGroup) -> Option<usize> {
    match group {
        NamedGroup::x25519 => Some(32),
        NamedGroup::secp256r1 => Some(65),
        NamedGroup::secp384r1 => Some(97),
        _ => None,
    }
}

/// An ECDH shared secret: the premaster secret of an ECDHE suite (RFC 8422
/// §5.10: the x-coordinate, leading zeros kept; for x25519 the 32-byte
/// output of RFC 7748's X25519 function). Zeroized on drop.
pub struct SharedSecret(Zeroizing<Vec<u8>>);

impl SharedSecret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

/// One side's ephemeral key pair, waiting for the peer's share.
pub trait ActiveKeyExchange: Send + Sync + fmt::Debug {
    fn group(&self) -> NamedGroup;

    /// Our share as it goes on the wire (the ECPoint's content).
    fn public_share(&self) -> &[u8];

    /// Checks the peer's share and computes the shared secret. A share of
    /// the wrong length, not uncompressed, not on the curve, the identity,
    /// or (x25519) one that gives the all-zero secret is refused with its
    /// own `PeerMisbehaved` variant (all illegal_parameter).
    fn complete(self: Box<Self>, peer_share: &[u8]) -> Result<SharedSecret, Error>;
}

/// Validates the form of a peer share for `group` before any arithmetic:
/// the exact length (RFC 8422 §5.4), and for the NIST curves the
/// uncompressed marker 0x04 (RFC 8422 §5.1.2: the only format in use).
pub fn check_share_form(group: NamedGroup, share: &[u8]) -> Result<(), Error> {
    let want = share_len(group).ok_or(Error::Internal("ECDH in a group we do not implement"))?;
    if group != NamedGroup::x25519 {
        match share.first() {
            Some(0x04) => {}
            // 0x02/0x03: compressed; 0x00: the point at infinity; 0x06/0x07:
            // hybrid. None of them is the uncompressed form.
            Some(_) => return Err(PeerMisbehaved::EcPointNotUncompressed.into()),
            None => {
                return Err(PeerMisbehaved::EcPointBadLength {
                    group,
                    len: share.len(),
                }
                .into())
            }
        }
    }
    if share.len() != want {
        return Err(PeerMisbehaved::EcPointBadLength {
            group,
            len: share.len(),
        }
        .into());
    }
    Ok(())
}

/// The RustCrypto ECDH plug-in.
#[derive(Clone, Copy, Debug, Default)]
pub struct RustCryptoKx;

impl RustCryptoKx {
    /// Starts a key exchange in `group` with a private key drawn from `seed`
    /// alone (a ChaCha20 stream keyed with it, rejection-sampled into the
    /// scalar range by the curve crate; for x25519 the seed itself, clamped
    /// by RFC 7748 §5).
    pub fn start(
        &self,
        group: NamedGroup,
        seed: &[u8; 32],
    ) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        match group {
            NamedGroup::x25519 => {
                let secret = x25519_dalek::StaticSecret::from(*seed);
                let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
                Ok(Box::new(X25519Kx { secret, public }))
            }
            NamedGroup::secp256r1 => {
                let mut rng = ChaCha20Rng::from_seed(*seed);
                let secret = p256::SecretKey::generate_from_rng(&mut rng);
                let public = secret.public_key().to_sec1_point(false).as_bytes().to_vec();
                Ok(Box::new(P256Kx { secret, public }))
            }
            NamedGroup::secp384r1 => {
                let mut rng = ChaCha20Rng::from_seed(*seed);
                let secret = p384::SecretKey::generate_from_rng(&mut rng);
                let public = secret.public_key().to_sec1_point(false).as_bytes().to_vec();
                Ok(Box::new(P384Kx { secret, public }))
            }
            _ => Err(Error::Internal("ECDH in a group we do not implement")),
        }
    }
}

impl RustCryptoKx {
    /// A key exchange with a given private key (x25519: 32 bytes; NIST: the
    /// big-endian scalar, leading zero bytes allowed), for known-answer
    /// tests such as Wycheproof's. Connections use [`RustCryptoKx::start`].
    pub fn with_private_key(
        &self,
        group: NamedGroup,
        private: &[u8],
    ) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let bad = || Error::Internal("private key out of range for the group");
        match group {
            NamedGroup::x25519 => {
                let k: [u8; 32] = private.try_into().map_err(|_| bad())?;
                let secret = x25519_dalek::StaticSecret::from(k);
                let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
                Ok(Box::new(X25519Kx { secret, public }))
            }
            NamedGroup::secp256r1 | NamedGroup::secp384r1 => {
                let n = if group == NamedGroup::secp256r1 {
                    32
                } else {
                    48
                };
                let trimmed = private
                    .iter()
                    .position(|&b| b != 0)
                    .map_or(&private[private.len()..], |i| &private[i..]);
                if trimmed.len() > n {
                    return Err(bad());
                }
                let mut padded = vec![0u8; n - trimmed.len()];
                padded.extend_from_slice(trimmed);
                if group == NamedGroup::secp256r1 {
                    let secret = p256::SecretKey::from_slice(&padded).map_err(|_| bad())?;
                    let public = secret.public_key().to_sec1_point(false).as_bytes().to_vec();
                    Ok(Box::new(P256Kx { secret, public }))
                } else {
                    let secret = p384::SecretKey::from_slice(&padded).map_err(|_| bad())?;
                    let public = secret.public_key().to_sec1_point(false).as_bytes().to_vec();
                    Ok(Box::new(P384Kx { secret, public }))
                }
            }
            _ => Err(Error::Internal("ECDH in a group we do not implement")),
        }
    }
}

struct X25519Kx {
    secret: x25519_dalek::StaticSecret,
    public: [u8; 32],
}

impl fmt::Debug for X25519Kx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("X25519Kx(..)")
    }
}

impl ActiveKeyExchange for X25519Kx {
    fn group(&self) -> NamedGroup {
        NamedGroup::x25519
    }

    fn public_share(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer_share: &[u8]) -> Result<SharedSecret, Error> {
        check_share_form(NamedGroup::x25519, peer_share)?;
        let mut u = [0u8; 32];
        u.copy_from_slice(peer_share);
        let shared = self
            .secret
            .diffie_hellman(&x25519_dalek::PublicKey::from(u));
        // RFC 7748 §6.1 / RFC 8422 §5.11: abort on the all-zero output (a
        // small-order share).
        if !shared.was_contributory() {
            return Err(PeerMisbehaved::EcdhAllZeroSharedSecret.into());
        }
        Ok(SharedSecret::new(shared.as_bytes().to_vec()))
    }
}

macro_rules! nist_kx {
    ($name:ident, $curve:ident, $group:expr, $label:literal) => {
        struct $name {
            secret: $curve::SecretKey,
            public: Vec<u8>,
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!($label, "(..)"))
            }
        }

        impl ActiveKeyExchange for $name {
            fn group(&self) -> NamedGroup {
                $group
            }

            fn public_share(&self) -> &[u8] {
                &self.public
            }

            fn complete(self: Box<Self>, peer_share: &[u8]) -> Result<SharedSecret, Error> {
                check_share_form($group, peer_share)?;
                // SP 800-56A §5.6.2.3.4 partial validation (on the curve, not
                // the identity; cofactor 1): `from_sec1_bytes` refuses a
                // point whose coordinates do not satisfy the curve equation
                // or are not below p.
                let peer = $curve::PublicKey::from_sec1_bytes(peer_share)
                    .map_err(|_| Error::from(PeerMisbehaved::EcPointNotOnCurve))?;
                let shared = self.secret.diffie_hellman(&peer);
                Ok(SharedSecret::new(shared.raw_secret_bytes().to_vec()))
            }
        }
    };
}

nist_kx!(P256Kx, p256, NamedGroup::secp256r1, "P256Kx");
nist_kx!(P384Kx, p384, NamedGroup::secp384r1, "P384Kx");

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pair(group: NamedGroup) -> (Box<dyn ActiveKeyExchange>, Box<dyn ActiveKeyExchange>) {
        (
            RustCryptoKx.start(group, &[1; 32]).unwrap(),
            RustCryptoKx.start(group, &[2; 32]).unwrap(),
        )
    }

    #[test]
    fn both_sides_agree_in_every_group() {
        for &g in SUPPORTED_GROUPS {
            let (a, b) = pair(g);
            assert_eq!(a.public_share().len(), share_len(g).unwrap());
            let (pa, pb) = (a.public_share().to_vec(), b.public_share().to_vec());
            let sa = a.complete(&pb).unwrap();
            let sb = b.complete(&pa).unwrap();
            assert_eq!(sa.as_bytes(), sb.as_bytes(), "{g:?}");
            // RFC 8422 §5.10: the premaster is the x-coordinate, field-sized.
            assert_eq!(
                sa.as_bytes().len(),
                if g == NamedGroup::secp384r1 { 48 } else { 32 }
            );
        }
    }

    #[test]
    fn rfc7748_x25519_vector() {
        // RFC 7748 §6.1: Alice's private key and Bob's public key give K.
        let alice: [u8; 32] =
            hex::decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
                .unwrap()
                .try_into()
                .unwrap();
        let kx = RustCryptoKx.start(NamedGroup::x25519, &alice).unwrap();
        assert_eq!(
            hex::encode(kx.public_share()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
        );
        let bob = hex::decode("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
            .unwrap();
        assert_eq!(
            hex::encode(kx.complete(&bob).unwrap().as_bytes()),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        );
    }

    #[test]
    fn refuses_an_x25519_share_that_gives_the_zero_secret() {
        // RFC 7748 §6.1: u = 0 and u = 1 are of small order.
        for u in [[0u8; 32], {
            let mut one = [0u8; 32];
            one[0] = 1;
            one
        }] {
            let (a, _) = pair(NamedGroup::x25519);
            assert_eq!(
                a.complete(&u).unwrap_err(),
                PeerMisbehaved::EcdhAllZeroSharedSecret.into()
            );
        }
    }

    #[test]
    fn refuses_shares_of_the_wrong_length_or_form() {
        for &g in SUPPORTED_GROUPS {
            let (a, b) = pair(g);
            let good = b.public_share().to_vec();
            let short = &good[..good.len() - 1];
            assert_eq!(
                check_share_form(g, short).unwrap_err(),
                PeerMisbehaved::EcPointBadLength {
                    group: g,
                    len: short.len()
                }
                .into()
            );
            let long = [good.as_slice(), &[0]].concat();
            assert!(matches!(
                a.complete(&long).unwrap_err(),
                Error::PeerMisbehaved(PeerMisbehaved::EcPointBadLength { .. })
            ));
        }
        // RFC 8422 §5.1.2: a compressed point (02/03 ‖ X) is not accepted.
        for &g in &[NamedGroup::secp256r1, NamedGroup::secp384r1] {
            let (a, b) = pair(g);
            let full = b.public_share();
            let n = (full.len() - 1) / 2;
            let mut compressed = vec![0x02 | (full[full.len() - 1] & 1)];
            compressed.extend_from_slice(&full[1..=n]);
            assert_eq!(
                a.complete(&compressed).unwrap_err(),
                PeerMisbehaved::EcPointNotUncompressed.into()
            );
            // The encoded identity (a single 00) is not uncompressed either.
            let (a, _) = pair(g);
            assert_eq!(
                a.complete(&[0]).unwrap_err(),
                PeerMisbehaved::EcPointNotUncompressed.into()
            );
        }
    }

    #[test]
    fn refuses_a_nist_point_off_the_curve() {
        for &g in &[NamedGroup::secp256r1, NamedGroup::secp384r1] {
            let (a, b) = pair(g);
            let mut bad = b.public_share().to_vec();
            let last = bad.len() - 1;
            bad[last] ^= 1; // y changed: off the curve
            assert_eq!(
                a.complete(&bad).unwrap_err(),
                PeerMisbehaved::EcPointNotOnCurve.into()
            );
            // 04 ‖ 0 ‖ 0: (0, 0) is on neither curve (b ≠ 0).
            let (a, _) = pair(g);
            let zeros = vec![0u8; share_len(g).unwrap() - 1];
            assert_eq!(
                a.complete(&[[4u8].as_slice(), &zeros].concat())
                    .unwrap_err(),
                PeerMisbehaved::EcPointNotOnCurve.into()
            );
        }
    }

    #[test]
    fn the_private_key_is_a_function_of_the_seed() {
        for &g in SUPPORTED_GROUPS {
            let a = RustCryptoKx.start(g, &[9; 32]).unwrap();
            let b = RustCryptoKx.start(g, &[9; 32]).unwrap();
            let c = RustCryptoKx.start(g, &[10; 32]).unwrap();
            assert_eq!(a.public_share(), b.public_share());
            assert_ne!(a.public_share(), c.public_share());
        }
    }
}
