//! The peer's key schedule and Finished computation, on the engine's
//! public crypto: master secret (RFC 5246 §8.1, or the extended master
//! secret of RFC 7627 §4), key block into both directions' keys, and
//! verify_data over the handshake hash (RFC 5246 §7.4.9). Every peer use
//! (client flow, server flow, step `Peer`) derives its keys here.

use super::record::Protect;
use gauntlet_engine::crypto::{self, MasterSecret, PrfHash, SuiteParams};

/// The master secret. With extended_master_secret negotiated, RFC 7627
/// §4: PRF(pre_master_secret, "extended master secret", session_hash),
/// where session_hash is the hash of the handshake messages through
/// ClientKeyExchange (`transcript` then ends there); otherwise RFC 5246
/// §8.1 over both randoms.
pub fn master_secret(
    hash: PrfHash,
    premaster: &(impl crypto::keys::PremasterSecret + ?Sized),
    ems: bool,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    transcript: &[u8],
) -> MasterSecret {
    if ems {
        crypto::extended_master_secret(hash, premaster, &hash.hash(transcript))
    } else {
        crypto::master_secret(hash, premaster, client_random, server_random)
    }
}

/// Both directions' record keys from the key block (RFC 5246 §6.3):
/// (client write, server write).
pub fn directions(
    params: &SuiteParams,
    master: &MasterSecret,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<(Protect, Protect), String> {
    if params.aead == crypto::Aead::ChaCha20Poly1305 {
        // RFC 7905 §2: a 12-byte fixed IV per direction.
        let kb = crypto::KeySchedule::new(&gauntlet_engine::provider::RustCrypto, params.prf_hash)
            .key_block_with_iv(master, client_random, server_random, params.key_len, 12)
            .map_err(|e| e.to_string())?;
        let iv = |b: &[u8]| <[u8; 12]>::try_from(b).map_err(|_| "ChaCha20 IV length".to_string());
        return Ok((
            Protect::chacha(kb.client_write_key(), iv(kb.client_iv())?)?,
            Protect::chacha(kb.server_write_key(), iv(kb.server_iv())?)?,
        ));
    }
    let kb = crypto::key_block(
        params.prf_hash,
        master,
        client_random,
        server_random,
        params.key_len,
    )
    .map_err(|e| e.to_string())?;
    Ok((
        Protect::new(kb.client_write_key(), *kb.client_write_iv())?,
        Protect::new(kb.server_write_key(), *kb.server_write_iv())?,
    ))
}

/// The Finished label of the side that sends it (RFC 5246 §7.4.9).
pub fn finished_label(client: bool) -> &'static [u8] {
    if client {
        crypto::CLIENT_FINISHED
    } else {
        crypto::SERVER_FINISHED
    }
}

/// verify_data over the handshake messages in `transcript`.
pub fn verify_data(
    hash: PrfHash,
    master: &MasterSecret,
    label: &[u8],
    transcript: &[u8],
) -> [u8; 12] {
    crypto::verify_data(hash, master, label, &hash.hash(transcript))
}
