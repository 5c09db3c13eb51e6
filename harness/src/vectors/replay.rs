//! Replays a full TLS 1.2 RSA handshake recorded between third-party peers
//! (the `handshake` vectors) through the session checker that
//! `check-capture` uses ([`crate::capture::session`]): the premaster is
//! decrypted with the server key and the master secret must agree with the
//! recording's key log; then the suite, EMS and application data must be
//! the ones the case lists. Every failure names the step.

use super::de;
use crate::capture::keylog::KeyLog as Secrets;
use crate::capture::session::{self, Outcome, Stream, StreamEnd};
use gauntlet_engine::crypto::RsaDecrypt;
use gauntlet_engine::Provider;
use serde::Deserialize;

/// One `handshake` case's fields.
#[derive(Debug, Deserialize)]
pub(super) struct Recording {
    /// The peers that made the recording (read to check they are named).
    #[allow(dead_code)]
    #[serde(deserialize_with = "de::string")]
    pub client: String,
    #[allow(dead_code)]
    #[serde(deserialize_with = "de::string")]
    pub server: String,
    #[serde(deserialize_with = "de::u16_int")]
    pub suite: u16,
    #[serde(deserialize_with = "de::boolean")]
    pub ems: bool,
    #[serde(deserialize_with = "de::hex")]
    pub client_to_server: Vec<u8>,
    #[serde(deserialize_with = "de::hex")]
    pub server_to_client: Vec<u8>,
    pub keylog: KeyLog,
    pub application_data: ApplicationData,
}

/// The client's NSS key log line.
#[derive(Debug, Deserialize)]
pub(super) struct KeyLog {
    #[serde(deserialize_with = "de::hex_n")]
    pub client_random: [u8; 32],
    #[serde(deserialize_with = "de::hex_n")]
    pub master_secret: [u8; 48],
}

/// The application data records each way, decrypted.
#[derive(Debug, Deserialize)]
pub(super) struct ApplicationData {
    #[serde(deserialize_with = "de::hex_list")]
    pub client_to_server: Vec<Vec<u8>>,
    #[serde(deserialize_with = "de::hex_list")]
    pub server_to_client: Vec<Vec<u8>>,
}

fn compare_app_data(direction: &str, got: &[Vec<u8>], want: &[Vec<u8>]) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!(
            "{direction} application data: {} records, the case lists {}",
            got.len(),
            want.len()
        ));
    }
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if g != w {
            let at = g.iter().zip(w).take_while(|(a, b)| a == b).count();
            return Err(format!(
                "{direction} application data record {i}: {} bytes, want {}, first difference at byte {at}",
                g.len(),
                w.len()
            ));
        }
    }
    Ok(())
}

/// Replays `rec` with the server's RSA key. `Err` says which step failed.
pub(super) fn replay(
    rec: &Recording,
    key: &dyn RsaDecrypt,
    rng: &mut Provider,
) -> Result<(), String> {
    let mut log = Secrets::default();
    log.insert_master_secret(rec.keylog.client_random, rec.keylog.master_secret);
    // The relay recorded bytes, not the TCP close: both streams end open.
    let stream = |bytes| Stream {
        bytes,
        end: StreamEnd::Open,
    };
    let summary = match session::check(
        stream(&rec.client_to_server),
        stream(&rec.server_to_client),
        session::Secrets {
            keylog: Some(&log),
            server_key: Some(key),
        },
        rng,
    ) {
        Outcome::Conforms(summary) => summary,
        Outcome::Deviation(d) => return Err(d.to_string()),
        Outcome::Unchecked(why) => return Err(format!("not checked: {why}")),
    };
    if summary.client_random != rec.keylog.client_random {
        return Err(format!(
            "ClientHello: random {} differs from the key log's client_random {}",
            hex::encode(summary.client_random),
            hex::encode(rec.keylog.client_random)
        ));
    }
    if summary.resumed {
        return Err("an abbreviated handshake; the case records a full one".into());
    }
    if summary.suite != rec.suite {
        return Err(format!(
            "ServerHello: cipher suite 0x{:04x}, the case says 0x{:04x}",
            summary.suite, rec.suite
        ));
    }
    if summary.ems != rec.ems {
        return Err(format!(
            "ServerHello: extended_master_secret {}, the case says {}",
            if summary.ems { "present" } else { "absent" },
            rec.ems
        ));
    }
    let [client_data, server_data] = &summary.app_data;
    compare_app_data(
        "client_to_server",
        client_data,
        &rec.application_data.client_to_server,
    )?;
    compare_app_data(
        "server_to_client",
        server_data,
        &rec.application_data.server_to_client,
    )
}
