//! The TLS 1.2 PRF (RFC 5246 §5) over SHA-256 and SHA-384, the HMAC it is
//! built on, and the running handshake hash.
//!
//! Speed: the HMAC key schedule (ipad/opad compression) runs once per PRF
//! call and the keyed state is cloned for each of the 2·n HMACs; the loop
//! does no heap allocation.

use hmac::digest::{Digest, Key, KeyInit, Mac, OutputSizeUser};
use hmac::{EagerHash, Hmac};
use sha2::{Sha256, Sha384};
use zeroize::Zeroize;

/// The PRF hash of a cipher suite (RFC 5246 §5; RFC 5288 §3 for the `_SHA384` suite).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrfHash {
    Sha256,
    Sha384,
}

impl PrfHash {
    /// Output length of the hash in bytes (32 or 48).
    pub fn output_len(self) -> usize {
        match self {
            PrfHash::Sha256 => 32,
            PrfHash::Sha384 => 48,
        }
    }

    /// One-shot hash of `data`.
    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            PrfHash::Sha256 => Sha256::digest(data).to_vec(),
            PrfHash::Sha384 => Sha384::digest(data).to_vec(),
        }
    }
}

/// A running hash of the handshake messages.
///
/// `current()` reads the hash so far without consuming the state: the state
/// machine needs it for the EMS session hash (after ClientKeyExchange) and
/// for both Finished messages.
#[derive(Clone)]
pub enum TranscriptHash {
    Sha256(Sha256),
    Sha384(Sha384),
}

impl TranscriptHash {
    pub fn new(hash: PrfHash) -> Self {
        match hash {
            PrfHash::Sha256 => TranscriptHash::Sha256(Sha256::new()),
            PrfHash::Sha384 => TranscriptHash::Sha384(Sha384::new()),
        }
    }

    pub fn algorithm(&self) -> PrfHash {
        match self {
            TranscriptHash::Sha256(_) => PrfHash::Sha256,
            TranscriptHash::Sha384(_) => PrfHash::Sha384,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            TranscriptHash::Sha256(h) => h.update(data),
            TranscriptHash::Sha384(h) => h.update(data),
        }
    }

    /// The hash of everything fed so far; the state carries on.
    pub fn current(&self) -> Vec<u8> {
        match self {
            TranscriptHash::Sha256(h) => h.clone().finalize().to_vec(),
            TranscriptHash::Sha384(h) => h.clone().finalize().to_vec(),
        }
    }
}

impl std::fmt::Debug for TranscriptHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TranscriptHash({:?})", self.algorithm())
    }
}

/// HMAC keyed with `key`, without a fallible constructor: RFC 2104 §2 says a
/// key longer than the block is hashed first, and any shorter key is
/// zero-padded to the block length, which is what `KeyInit::new` takes.
fn keyed<D: EagerHash>(key: &[u8]) -> Hmac<D>
where
    Hmac<D>: KeyInit,
{
    let mut block = Key::<Hmac<D>>::default();
    if key.len() <= block.len() {
        block[..key.len()].copy_from_slice(key);
    } else {
        let mut h = D::digest(key);
        block[..h.len()].copy_from_slice(&h);
        h.as_mut_slice().zeroize();
    }
    let mac = <Hmac<D> as KeyInit>::new(&block);
    block.as_mut_slice().zeroize();
    mac
}

/// HMAC (RFC 2104) with the PRF's hash. The PRF uses the same keyed
/// construction; the Wycheproof tests exercise it through this entry point.
pub fn hmac(hash: PrfHash, key: &[u8], message: &[u8]) -> Vec<u8> {
    fn run<D: EagerHash>(key: &[u8], message: &[u8]) -> Vec<u8>
    where
        Hmac<D>: KeyInit + Mac,
    {
        let mut mac = keyed::<D>(key);
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }
    match hash {
        PrfHash::Sha256 => run::<Sha256>(key, message),
        PrfHash::Sha384 => run::<Sha384>(key, message),
    }
}

/// `P_hash(secret, label ‖ seed_parts…)` (RFC 5246 §5), written into `out`.
///
/// A(0) = seed, A(i) = HMAC(secret, A(i-1)),
/// output = HMAC(secret, A(1) ‖ seed) ‖ HMAC(secret, A(2) ‖ seed) ‖ …
/// where `seed` here is the label followed by the seed parts.
fn p_hash<D: EagerHash>(secret: &[u8], label: &[u8], seeds: &[&[u8]], out: &mut [u8])
where
    Hmac<D>: KeyInit + Mac + Clone,
{
    let key = keyed::<D>(secret);
    let feed_seed = |mac: &mut Hmac<D>| {
        mac.update(label);
        for s in seeds {
            mac.update(s);
        }
    };

    let mut mac = key.clone();
    feed_seed(&mut mac);
    let mut a = mac.finalize().into_bytes();

    let block_len = <Hmac<D> as OutputSizeUser>::output_size();
    let mut chunks = out.chunks_mut(block_len).peekable();
    while let Some(chunk) = chunks.next() {
        let mut mac = key.clone();
        mac.update(&a);
        feed_seed(&mut mac);
        let mut block = mac.finalize().into_bytes();
        chunk.copy_from_slice(&block[..chunk.len()]);
        block.as_mut_slice().zeroize();
        if chunks.peek().is_some() {
            let mut mac = key.clone();
            mac.update(&a);
            a = mac.finalize().into_bytes();
        }
    }
}

/// The TLS 1.2 PRF: `PRF(secret, label, seed) = P_<hash>(secret, label ‖ seed)`
/// (RFC 5246 §5), filling `out`.
pub fn prf(hash: PrfHash, secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    prf_parts(hash, secret, label, &[seed], out)
}

/// The PRF with its seed given in parts, so callers that join two randoms
/// (master secret, key block) need no temporary buffer.
pub(crate) fn prf_parts(
    hash: PrfHash,
    secret: &[u8],
    label: &[u8],
    seeds: &[&[u8]],
    out: &mut [u8],
) {
    match hash {
        PrfHash::Sha256 => p_hash::<Sha256>(secret, label, seeds, out),
        PrfHash::Sha384 => p_hash::<Sha384>(secret, label, seeds, out),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    // The published TLS 1.2 PRF vectors (IETF TLS list, 2008), label
    // "test label". Full outputs produced by crypto/testdata/gen.sh, i.e.
    //   openssl kdf -keylen 100 -kdfopt digest:SHA256 \
    //     -kdfopt hexsecret:9bbe436ba940f017b17652849a71db35 \
    //     -kdfopt hexseed:74657374206c6162656ca0ba9f936cda311827a6f796ffd5198c TLS1-PRF
    // (and the SHA384 analogue); they match the published start/end bytes.
    const PRF_SHA256_100: &str = "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a\
        6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f\
        796789baa48082d122ee42c5a72e5a5110fff70187347b66";
    const PRF_SHA384_148: &str = "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd\
        e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722\
        a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236\
        a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f";

    #[test]
    fn prf_sha256_matches_published_vector() {
        // RFC 5246 §5 P_SHA256; 100 bytes = 3 full blocks + a partial one.
        let mut out = [0u8; 100];
        prf(
            PrfHash::Sha256,
            &unhex("9bbe436ba940f017b17652849a71db35"),
            b"test label",
            &unhex("a0ba9f936cda311827a6f796ffd5198c"),
            &mut out,
        );
        assert!(PRF_SHA256_100.starts_with("e3f229ba727be17b8d12"));
        assert!(PRF_SHA256_100.ends_with("87347b66"));
        assert_eq!(hex::encode(out), PRF_SHA256_100);
    }

    #[test]
    fn prf_sha384_matches_published_vector() {
        // RFC 5246 §5 with SHA-384 (RFC 5288 §3); 148 bytes = 3 blocks + 4.
        let mut out = [0u8; 148];
        prf(
            PrfHash::Sha384,
            &unhex("b80b733d6ceefcdc71566ea48e5567df"),
            b"test label",
            &unhex("cd665cf6a8447dd6ff8b27555edb7465"),
            &mut out,
        );
        assert!(PRF_SHA384_148.starts_with("7b0c18e9ced410ed1804"));
        assert!(PRF_SHA384_148.ends_with("3d73e56f"));
        assert_eq!(hex::encode(out), PRF_SHA384_148);
    }

    #[test]
    fn prf_prefix_is_stable_across_output_lengths() {
        // P_hash output is a stream: a shorter request is a prefix of a
        // longer one (RFC 5246 §5 "iterated as many times as necessary").
        let expected = unhex(PRF_SHA256_100);
        for len in [0, 1, 31, 32, 33, 64, 99] {
            let mut out = vec![0u8; len];
            prf(
                PrfHash::Sha256,
                &unhex("9bbe436ba940f017b17652849a71db35"),
                b"test label",
                &unhex("a0ba9f936cda311827a6f796ffd5198c"),
                &mut out,
            );
            assert_eq!(out, expected[..len], "length {len}");
        }
    }

    #[test]
    fn hmac_sha256_matches_rfc4231_case_2() {
        // RFC 4231 §4.3 test case 2 (short key "Jefe").
        let tag = hmac(PrfHash::Sha256, b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(tag),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hmac_sha384_hashes_keys_longer_than_the_block() {
        // RFC 4231 §4.7 test case 6: a 131-byte key, longer than SHA-384's
        // 128-byte block, is hashed first (RFC 2104 §2).
        let tag = hmac(
            PrfHash::Sha384,
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex::encode(tag),
            "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6\
             0c2ef6ab4030fe8296248df163f44952"
        );
    }

    #[test]
    fn transcript_current_does_not_consume_state() {
        // The handshake hash is read at several points (RFC 7627 §3 session
        // hash, RFC 5246 §7.4.9 Finished) while messages keep arriving.
        let mut t = TranscriptHash::new(PrfHash::Sha256);
        t.update(b"ab");
        assert_eq!(t.current(), PrfHash::Sha256.hash(b"ab"));
        t.update(b"c");
        // FIPS 180-2 "abc" SHA-256.
        assert_eq!(
            hex::encode(t.current()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let mut t = TranscriptHash::new(PrfHash::Sha384);
        t.update(b"abc");
        assert_eq!(t.current().len(), PrfHash::Sha384.output_len());
        assert_eq!(
            hex::encode(t.current()),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
             8086072ba1e7cc2358baeca134c825a7"
        );
    }
}
