//! Fuzz-target logic: what each `fuzz/fuzz_targets/*` calls, and what
//! `tests/fuzz_corpus.rs` replays on stable Rust. Each entry point takes the
//! fuzzer's bytes, drives one engine component through its public API and
//! asserts its invariants; a violated invariant panics, which a fuzzer
//! reports as a crash.
//!
//! | entry point  | drives                                             |
//! |--------------|----------------------------------------------------|
//! | [`deframer`] | `Deframer` and `HandshakeJoiner`, each message decoded |
//! | [`message`]  | every message decoder; decode → encode is the identity |
//! | [`server`], [`client`] | a `Connection` fed length-prefixed chunks |
//! | [`x509`]     | `pki::verify_chain` on DER blobs                   |
//! | [`scenario`] | the one peer (real keys), run by actions, against the server |
//!
//! `server` and `client` run with the crypto a [`FuzzCrypto`] names: the
//! fuzzers use [`FuzzCrypto::NoSecurity`] (the [`NoSecurity`] provider, whose
//! null AEAD and all-zero PRF let a fuzzer get past record MACs and
//! Finished, with [`ClearRsaKey`] as the server's key), the replay test runs
//! both. The engine has no fuzzing hook: that provider is an ordinary one.

mod conn;
mod deframer;
mod fixtures;
mod message;
mod provider;
mod scenario;
mod x509;

pub use conn::{client, drive, server, FuzzOutcome};
pub use deframer::deframer;
pub use fixtures::{
    client_connection, known_session, server_config, ConnFlags, FuzzCrypto, CLIENT_SEED,
    GENUINE_CERTS, INT_DER, KNOWN_MASTER, KNOWN_SESSION_ID, LEAF_DER, NOW, ROOT_DER, SERVER_SEED,
};
pub use message::message;
pub use provider::{ClearRsaKey, NoSecurity, NullAead};
pub use scenario::{run_script, scenario, Choices, HelloSpec, ScenarioAction, ScenarioScript};
pub use x509::x509;

use gauntlet_engine::enums::{ContentType, ProtocolVersion};
use gauntlet_engine::record::{OpaqueRecord, HEADER_LEN};
use gauntlet_engine::transcript::{Direction, Step};
use gauntlet_engine::Connection;

/// Splits fuzzer input into chunks, each a big-endian `u16` length and that
/// many bytes (fewer for a last chunk cut short).
pub fn split_chunks(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let [hi, lo, rest @ ..] = data {
        let n = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        out.push(chunk);
        data = tail;
    }
    out
}

/// The inverse of [`split_chunks`], for making seeds (an empty chunk is a
/// zero length). Chunks over 65535 bytes are split.
pub fn join_chunks<C: AsRef<[u8]>>(chunks: &[C]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in chunks {
        if c.as_ref().is_empty() {
            out.extend_from_slice(&[0, 0]);
        }
        for part in c.as_ref().chunks(0xffff) {
            out.extend_from_slice(&(part.len() as u16).to_be_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

/// One record's bytes, for tests and seeds that build records by hand.
pub fn record_bytes(typ: ContentType, version: ProtocolVersion, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    OpaqueRecord {
        typ,
        version,
        payload: payload.to_vec(),
    }
    .encode(&mut out);
    out
}

/// A sent or received record of type `typ` in a transcript.
fn is_record(s: &Step, typ: ContentType) -> bool {
    s.direction != Direction::Local && s.record.map(|r| r.0) == Some(typ)
}

/// The alert records `conn` sent, from its transcript.
fn sent_alerts(conn: &Connection) -> Vec<&Step> {
    conn.transcript()
        .steps()
        .iter()
        .filter(|s| s.direction == Direction::Sent && is_record(s, ContentType::Alert))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn split_chunks_undoes_join_chunks_and_tolerates_a_cut_tail() {
        let chunks: Vec<Vec<u8>> = vec![vec![1, 2, 3], vec![], vec![9; 300]];
        let joined = join_chunks(&chunks);
        assert_eq!(split_chunks(&joined), chunks);
        assert_eq!(split_chunks(&[0, 5, 1, 2]), vec![&[1u8, 2][..]]);
        assert!(split_chunks(&[7]).is_empty());
    }
}
