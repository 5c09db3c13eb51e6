//! `gauntlet check-capture`: judges recorded TLS 1.2 sessions (pcap or
//! pcapng, with a key log and/or the server's RSA key) byte for byte
//! against the reference derivation. [`packets`] turns packets into TCP
//! streams, [`keylog`] reads NSS key logs, [`session`] checks one session.
//!
//! A TCP connection is a TLS session when the first bytes of either end are
//! a handshake record holding a ClientHello; that end is the client. Other
//! connections are counted and skipped.

pub mod keylog;
pub mod packets;
pub mod session;

use gauntlet_engine::crypto::RsaDecrypt;
use gauntlet_engine::Provider;
use session::{Outcome, Secrets, Stream, StreamEnd};
use std::fmt::Write as _;
use std::net::SocketAddr;

/// Largest capture file read (1 GiB); streams are capped again per
/// direction ([`packets::MAX_STREAM`]).
pub const MAX_CAPTURE: u64 = 1 << 30;

/// The verdict on one session of a capture.
#[derive(Debug)]
pub struct SessionReport {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub outcome: Outcome,
}

/// Every TLS session of a capture, judged.
#[derive(Debug)]
pub struct CaptureReport {
    pub packets: usize,
    pub connections: usize,
    pub skipped_connections: usize,
    pub sessions: Vec<SessionReport>,
}

impl CaptureReport {
    /// 0 every session conforms, 1 a deviation, 3 no deviation but a
    /// session could not be checked (or there was none).
    pub fn exit_code(&self) -> u8 {
        if self
            .sessions
            .iter()
            .any(|s| matches!(s.outcome, Outcome::Deviation(_)))
        {
            1
        } else if self.sessions.is_empty()
            || self
                .sessions
                .iter()
                .any(|s| matches!(s.outcome, Outcome::Unchecked(_)))
        {
            3
        } else {
            0
        }
    }

    /// The text report: a header line, then one line per session.
    pub fn render(&self, name: &str) -> String {
        let mut out = format!(
            "{name}: {} packets, {} TCP connections, {} TLS sessions{}\n",
            self.packets,
            self.connections,
            self.sessions.len(),
            if self.skipped_connections > 0 {
                format!(
                    " ({} connections past the cap of {} not followed)",
                    self.skipped_connections,
                    packets::MAX_CONNECTIONS
                )
            } else {
                String::new()
            }
        );
        for (i, s) in self.sessions.iter().enumerate() {
            let _ = write!(out, "session {} {} -> {}: ", i + 1, s.client, s.server);
            match &s.outcome {
                Outcome::Conforms(sum) => {
                    let _ = write!(
                        out,
                        "conforms (suite 0x{:04x}{}, {} handshake, master secret from {}; \
                         client {} records, {}; server {} records, {})",
                        sum.suite,
                        if sum.ems { ", EMS" } else { "" },
                        if sum.resumed { "abbreviated" } else { "full" },
                        if sum.secret.is_empty() {
                            "nowhere (not reached)"
                        } else {
                            sum.secret
                        },
                        sum.records[0],
                        sum.endings[0],
                        sum.records[1],
                        sum.endings[1]
                    );
                    for n in &sum.notes {
                        let _ = write!(out, "; {n}");
                    }
                }
                Outcome::Deviation(d) => {
                    let _ = write!(out, "DEVIATION at {d}");
                }
                Outcome::Unchecked(why) => {
                    let _ = write!(out, "unchecked: {why}");
                }
            }
            out.push('\n');
        }
        out
    }
}

/// Judges every TLS session in a capture file's bytes.
pub fn check_capture(
    file: &[u8],
    keylog: Option<&keylog::KeyLog>,
    server_key: Option<&dyn RsaDecrypt>,
) -> Result<CaptureReport, String> {
    let capture = packets::read(file)?;
    let mut rng = Provider::from_seed([0x5a; 32]);
    let mut sessions = Vec::new();
    for conn in &capture.connections {
        let a_hello = starts_with_client_hello(&conn.a_to_b.bytes);
        let b_hello = starts_with_client_hello(&conn.b_to_a.bytes);
        let (client, server, c, s) = match (a_hello, b_hello) {
            (true, _) => (conn.a, conn.b, &conn.a_to_b, &conn.b_to_a),
            (false, true) => (conn.b, conn.a, &conn.b_to_a, &conn.a_to_b),
            (false, false) => continue,
        };
        let outcome = session::check(
            stream(c),
            stream(s),
            Secrets { keylog, server_key },
            &mut rng,
        );
        sessions.push(SessionReport {
            client,
            server,
            outcome,
        });
    }
    Ok(CaptureReport {
        packets: capture.packets,
        connections: capture.connections.len(),
        skipped_connections: capture.skipped_connections,
        sessions,
    })
}

fn stream(d: &packets::Direction) -> Stream<'_> {
    Stream {
        bytes: &d.bytes,
        end: if d.lost || d.truncated {
            StreamEnd::Lost
        } else if d.fin || d.rst {
            StreamEnd::Closed
        } else {
            StreamEnd::Open
        },
    }
}

/// A handshake record (any 0x03xx version) whose first message is a ClientHello.
fn starts_with_client_hello(b: &[u8]) -> bool {
    matches!(b, [0x16, 0x03, _, _, _, 0x01, ..])
}
