//! Gauntlet's conformance suite against rustls (0.23, ring provider, TLS
//! 1.2) in-process, as server and as client. rustls has no RSA key
//! exchange: the suite runs with ECDHE_RSA (`KeyExchange::Ecdhe`).
//! Deviations are listed, each with the RFC clause, in
//! `rustls.expectations`; a case that fails unlisted, or passes listed,
//! fails the test with a command that re-runs it alone.
//!
//! By default every family runs. `GAUNTLET_FILTER='Glob ...'` narrows it
//! (the reproducer each failure prints uses it).

use gauntlet_harness::api::{pki, RevocationPolicy, Session};
use gauntlet_harness::{KeyExchange, Suite, TlsTarget};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// rustls in both roles, with Gauntlet's test PKI.
struct Rustls {
    server: Arc<rustls::ServerConfig>,
    client: Arc<rustls::ClientConfig>,
}

/// Client certificate checks at the test PKI's validation time, so runs
/// replay and do not expire with the test certificates.
#[derive(Debug)]
struct PkiTime;

impl rustls::time_provider::TimeProvider for PkiTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(Duration::from_secs(
            pki::VALIDATION_TIME,
        )))
    }
}

impl Rustls {
    fn new() -> Result<Self, Box<dyn std::error::Error>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain = CertificateDer::pem_slice_iter(pki::SERVER_CHAIN_PEM.as_bytes())
            .collect::<Result<Vec<_>, _>>()?;
        let key = PrivateKeyDer::from_pem_slice(pki::SERVER_KEY_PEM.as_bytes())?;
        let server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS12])?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        let mut roots = rustls::RootCertStore::empty();
        for root in CertificateDer::pem_slice_iter(pki::ROOT_PEM.as_bytes()) {
            roots.add(root?)?;
        }
        let client = rustls::ClientConfig::builder_with_details(provider, Arc::new(PkiTime))
            .with_protocol_versions(&[&rustls::version::TLS12])?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            server: Arc::new(server),
            client: Arc::new(client),
        })
    }
}

impl TlsTarget for Rustls {
    fn name(&self) -> String {
        "rustls 0.23 (ring)".into()
    }

    fn new_server(&mut self) -> Result<Box<dyn Session>, String> {
        let conn = rustls::ServerConnection::new(self.server.clone()).map_err(|e| e.to_string())?;
        Ok(Box::new(RustlsSession::new(conn.into())))
    }

    fn new_client(&mut self, server_name: &str) -> Result<Box<dyn Session>, String> {
        let name = ServerName::try_from(server_name.to_string()).map_err(|e| e.to_string())?;
        let conn =
            rustls::ClientConnection::new(self.client.clone(), name).map_err(|e| e.to_string())?;
        Ok(Box::new(RustlsSession::new(conn.into())))
    }
}

/// Most plaintext a session holds for the harness to collect: the cases
/// send one request of at most 16 KiB per connection.
const MAX_PLAINTEXT: usize = 1 << 20;

/// One rustls connection as a Gauntlet session.
struct RustlsSession {
    conn: rustls::Connection,
    plaintext: Vec<u8>,
    peer_closed: bool,
}

impl RustlsSession {
    fn new(conn: rustls::Connection) -> Self {
        Self {
            conn,
            plaintext: Vec::new(),
            peer_closed: false,
        }
    }

    /// Moves what rustls decrypted into `plaintext` (so its own buffer
    /// never fills while we feed it).
    fn collect_plaintext(&mut self) -> Result<(), String> {
        let mut buf = [0u8; 4096];
        loop {
            match std::io::Read::read(&mut self.conn.reader(), &mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) if self.plaintext.len() + n <= MAX_PLAINTEXT => self
                    .plaintext
                    .extend_from_slice(buf.get(..n).unwrap_or_default()),
                Ok(_) => return Err("more plaintext than the example holds".into()),
                // WouldBlock: nothing more for now; an unclean EOF shows
                // in process_new_packets.
                Err(_) => return Ok(()),
            }
        }
    }
}

impl Session for RustlsSession {
    fn receive_tls(&mut self, mut tls: &[u8]) -> Result<(), String> {
        while !tls.is_empty() {
            let n = self.conn.read_tls(&mut tls).map_err(|e| e.to_string())?;
            let state = self.conn.process_new_packets().map_err(|e| e.to_string())?;
            self.peer_closed |= state.peer_has_closed();
            self.collect_plaintext()?;
            if n == 0 {
                break;
            }
        }
        Ok(())
    }

    fn send_tls(&mut self, out: &mut Vec<u8>) {
        // Bounded: each call drains at least one queued chunk.
        for _ in 0..1024 {
            if !self.conn.wants_write() || self.conn.write_tls(out).is_err() {
                break;
            }
        }
    }

    fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    fn read_plaintext(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.plaintext);
    }

    fn write_plaintext(&mut self, data: &[u8]) -> Result<(), String> {
        self.conn
            .writer()
            .write_all(data)
            .map_err(|e| e.to_string())
    }

    fn send_close_notify(&mut self) {
        self.conn.send_close_notify();
    }

    fn peer_has_closed(&self) -> bool {
        self.peer_closed
    }
}

fn suite() -> Suite {
    Suite::new()
        .key_exchange(KeyExchange::Ecdhe)
        .expectations_str(include_str!("../rustls.expectations"))
}

#[test]
fn rustls_as_a_server_is_as_expected_in_every_family() {
    let mut rustls = Rustls::new().expect("rustls server config");
    let report = suite().run_server(&mut rustls).expect("suite set-up");
    println!("{report}");
    report.assert_all_expected();
}

#[test]
fn rustls_as_a_client_is_as_expected_in_every_family() {
    let mut rustls = Rustls::new().expect("rustls client config");
    // rustls-webpki checks CRLs only if given some and OCSP not at all
    // (rustls hands a staple to the verifier, which ignores it): for the
    // Revocation cases its policy is off.
    let report = suite()
        .revocation_policy(RevocationPolicy::Off)
        .run_client(&mut rustls)
        .expect("suite set-up");
    println!("{report}");
    report.assert_all_expected();
}
