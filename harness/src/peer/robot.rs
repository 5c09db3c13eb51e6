//! Premaster encryption, correct or malformed in one of the ROBOT classes
//! (Böck, Somorovsky, Young 2018). Malformed blocks are padded by hand and
//! encrypted with raw RSA, so any byte of the PKCS#1 v1.5 block can be wrong.
//! A [`PremasterKey::Clear`] key leaves the block unencrypted, for targets
//! whose RSA key is the identity (the fuzz provider's `ClearRsaKey`).

use super::client::PremasterBug;
use super::wire::Ending;
use gauntlet_engine::crypto;
use gauntlet_engine::Provider;
use rsa::traits::PublicKeyParts;
use rsa::BoxedUint;

/// What the premaster block is encrypted to.
#[derive(Clone, Copy, Debug)]
pub enum PremasterKey<'a> {
    /// PKCS#1 v1.5 to this public key.
    Rsa(&'a rsa::PublicKey),
    /// No encryption: the "ciphertext" is the padded block itself, this many
    /// bytes long (the modulus length of the target's identity key).
    Clear(usize),
}

/// The ClientKeyExchange ciphertext for `pm`, malformed as `bug` says.
pub fn encrypt(
    key: PremasterKey<'_>,
    pm: &[u8; 48],
    bug: Option<PremasterBug>,
    rng: &mut Provider,
) -> Result<Vec<u8>, Ending> {
    let io = |e: gauntlet_engine::Error| Ending::Io(e.to_string());
    let (k, rsa_key) = match key {
        PremasterKey::Rsa(key) => (key.size(), Some(key)),
        PremasterKey::Clear(k) => (k.max(11 + 48), None),
    };
    let bug = match (bug, rsa_key) {
        (None, Some(key)) => return crypto::encrypt_premaster(key, pm, rng).map_err(io),
        (Some(PremasterBug::ValidButRandom), _) => {
            let mut other: [u8; 48] = rng.array();
            other[..2].copy_from_slice(&pm[..2]);
            return encrypt(key, &other, None, rng);
        }
        (Some(PremasterBug::CiphertextShorter), _) => {
            let ct = encrypt(key, pm, None, rng)?;
            return Ok(ct.get(1..).unwrap_or_default().to_vec());
        }
        (Some(PremasterBug::CiphertextLonger), _) => {
            let mut ct = encrypt(key, pm, None, rng)?;
            ct.push(0);
            return Ok(ct);
        }
        (b, _) => b,
    };
    let message: Vec<u8> = match bug {
        Some(PremasterBug::WrongLength(n)) => {
            let mut m = vec![0u8; n.min(k - 11)];
            rng.fill(&mut m);
            if m.len() >= 2 {
                m[..2].copy_from_slice(&pm[..2]);
            }
            m
        }
        Some(PremasterBug::WrongVersion(v)) => {
            let mut m = pm.to_vec();
            m[..2].copy_from_slice(&v.to_be_bytes());
            m
        }
        _ => pm.to_vec(),
    };
    // EM = 0x00 || 0x02 || PS (non-zero) || 0x00 || M   (RFC 8017 §7.2.1)
    let ps_len = k - 3 - message.len();
    let mut ps = vec![0u8; ps_len];
    rng.fill(&mut ps);
    for b in ps.iter_mut() {
        if *b == 0 {
            *b = 0x5a;
        }
    }
    let mut em = vec![0x00, 0x02];
    em.extend_from_slice(&ps);
    em.push(0x00);
    em.extend_from_slice(&message);
    match bug {
        Some(PremasterBug::WrongFirstByte) => em[0] = 0x01,
        Some(PremasterBug::WrongBlockType) => em[1] = 0x01,
        Some(PremasterBug::ZeroInPadding) => em[2 + 3] = 0x00,
        Some(PremasterBug::NoSeparator) => em[2 + ps_len] = 0x5a,
        _ => {}
    }
    let Some(key) = rsa_key else {
        return Ok(em);
    };
    let bits = key.n().bits_precision();
    let m = BoxedUint::from_be_slice(&em, bits).map_err(|e| Ending::Io(format!("{e:?}")))?;
    let c = rsa::hazmat::rsa_encrypt(key, &m).map_err(|e| Ending::Io(e.to_string()))?;
    let bytes = c.to_be_bytes();
    // Left-pad (or trim the precision's extra bytes) to the modulus length.
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut out = vec![0u8; k.saturating_sub(trimmed.len())];
    out.extend_from_slice(&trimmed);
    Ok(out)
}
