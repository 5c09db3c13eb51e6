//! NSS key log files (the `SSLKEYLOGFILE` format Wireshark reads): the
//! TLS 1.2 lines `CLIENT_RANDOM <32 bytes hex> <48 bytes hex>` (the master
//! secret) and `RSA <8 bytes hex> <48 bytes hex>` (the premaster, keyed by
//! the first 8 bytes of the encrypted premaster). TLS 1.3 labels are
//! skipped, `#` lines are comments. Any other line is an error naming its
//! number: a key log that half-parses would make sessions look unchecked.
//!
//! Cap: [`MAX_KEYLOG`] bytes.

use std::collections::HashMap;

/// Largest key log read (16 MiB: ~100,000 sessions).
pub const MAX_KEYLOG: usize = 16 << 20;

/// The secrets of a key log.
#[derive(Debug, Default)]
pub struct KeyLog {
    master: HashMap<[u8; 32], [u8; 48]>,
    premaster: HashMap<[u8; 8], [u8; 48]>,
}

const TLS13_LABELS: &[&str] = &[
    "CLIENT_EARLY_TRAFFIC_SECRET",
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0",
    "SERVER_TRAFFIC_SECRET_0",
    "EARLY_EXPORTER_SECRET",
    "EXPORTER_SECRET",
];

fn hex_n<const N: usize>(s: &str) -> Option<[u8; N]> {
    hex::decode(s).ok()?.try_into().ok()
}

impl KeyLog {
    /// Parses a key log's text. `Err` is one line: the line number and why.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() > MAX_KEYLOG {
            return Err(format!("larger than {MAX_KEYLOG} bytes"));
        }
        let mut log = KeyLog::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_ascii_whitespace();
            let (label, a, b) = (words.next(), words.next(), words.next());
            let bad = |what: &str| format!("line {}: {what}", n + 1);
            if words.next().is_some() {
                return Err(bad("more than three fields"));
            }
            match (label, a, b) {
                (Some("CLIENT_RANDOM"), Some(a), Some(b)) => {
                    let random = hex_n::<32>(a)
                        .ok_or_else(|| bad("client random is not 32 bytes of hex"))?;
                    let ms = hex_n::<48>(b)
                        .ok_or_else(|| bad("master secret is not 48 bytes of hex"))?;
                    log.master.insert(random, ms);
                }
                (Some("RSA"), Some(a), Some(b)) => {
                    let prefix = hex_n::<8>(a)
                        .ok_or_else(|| bad("encrypted premaster prefix is not 8 bytes of hex"))?;
                    let pms =
                        hex_n::<48>(b).ok_or_else(|| bad("premaster is not 48 bytes of hex"))?;
                    log.premaster.insert(prefix, pms);
                }
                (Some(l), Some(_), Some(_)) if TLS13_LABELS.contains(&l) => {}
                (Some(l), _, _) => return Err(bad(&format!("not a key log line (label {l:?})"))),
                (None, _, _) => {}
            }
        }
        Ok(log)
    }

    /// The master secret logged for a ClientHello random.
    pub fn master_secret(&self, client_random: &[u8; 32]) -> Option<&[u8; 48]> {
        self.master.get(client_random)
    }

    /// The premaster logged for an encrypted premaster.
    pub fn premaster(&self, encrypted: &[u8]) -> Option<&[u8; 48]> {
        let prefix: [u8; 8] = encrypted.get(..8)?.try_into().ok()?;
        self.premaster.get(&prefix)
    }

    /// Adds a master secret (as a `CLIENT_RANDOM` line would).
    pub fn insert_master_secret(&mut self, client_random: [u8; 32], master_secret: [u8; 48]) {
        self.master.insert(client_random, master_secret);
    }

    /// No secret at all.
    pub fn is_empty(&self) -> bool {
        self.master.is_empty() && self.premaster.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_client_random_and_rsa_lines_and_skips_tls13_labels() {
        let cr = "11".repeat(32);
        let ms = "22".repeat(48);
        let text = format!(
            "# comment\nCLIENT_RANDOM {cr} {ms}\nRSA {} {}\nCLIENT_TRAFFIC_SECRET_0 {cr} {}\n",
            "33".repeat(8),
            "44".repeat(48),
            "55".repeat(32)
        );
        let log = KeyLog::parse(&text).unwrap();
        assert_eq!(log.master_secret(&[0x11; 32]), Some(&[0x22; 48]));
        assert_eq!(log.premaster(&[0x33; 9]), Some(&[0x44; 48]));
        assert_eq!(log.master_secret(&[0; 32]), None);
    }

    #[test]
    fn rejects_a_malformed_line_naming_it() {
        let err = KeyLog::parse("CLIENT_RANDOM 00 11\n").unwrap_err();
        assert!(err.starts_with("line 1:"), "{err}");
        let err = KeyLog::parse("\nhello\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
    }
}
