//! Targets a suite runs against: the reference engine in memory (server or
//! client), or any server at a TCP address. Spawned commands are in
//! `target_spawn`.

use crate::builtin::Crypto;
use crate::case::{Acceptor, Connector};
use crate::peer::transport::{
    engine_input, engine_output, ByteLog, MemoryTransport, Recv, TcpTransport, Transport,
};
use gauntlet_engine::pki::RevocationPolicy;
use gauntlet_engine::{ClientConfig, Connection, Event, ServerConfig, UnixTime};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The reference server, in memory, echoing application data.
#[derive(Debug)]
pub struct MemoryServer {
    config: Arc<ServerConfig>,
    now: UnixTime,
    counter: AtomicU64,
    /// Each connection's primitives (the RSA key's backend is the config's).
    crypto: Crypto,
}

impl MemoryServer {
    pub fn new(config: Arc<ServerConfig>, now: UnixTime) -> Self {
        Self {
            config,
            now,
            counter: AtomicU64::new(0),
            crypto: Crypto::default(),
        }
    }

    /// The built-in reference server (test PKI), at the wall-clock time.
    pub fn builtin() -> Result<Self, String> {
        Self::builtin_with(Crypto::default())
    }

    /// As [`MemoryServer::builtin`], over `crypto`'s primitives.
    pub fn builtin_with(crypto: Crypto) -> Result<Self, String> {
        let config = crypto.server_config(None, None)?;
        let mut s = Self::new(Arc::new(config), crate::tcp::now());
        s.crypto = crypto;
        Ok(s)
    }
}

impl Connector for MemoryServer {
    fn connect(&self) -> io::Result<Box<dyn Transport>> {
        // Each connection gets its own deterministic seed.
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut seed = [0x47u8; 32];
        seed[..8].copy_from_slice(&n.to_be_bytes());
        let conn = Connection::server(self.config.clone(), self.crypto.seeded(seed));
        Ok(Box::new(MemoryTransport::new(conn, self.now, true)))
    }

    fn describe(&self) -> String {
        "reference server (in memory)".into()
    }
}

/// A server at a TCP address.
#[derive(Debug, Clone)]
pub struct TcpServer {
    pub addr: SocketAddr,
    pub connect_timeout: Duration,
}

impl Connector for TcpServer {
    fn connect(&self) -> io::Result<Box<dyn Transport>> {
        connect_tcp(self.addr, self.connect_timeout)
    }

    fn describe(&self) -> String {
        format!("server at {}", self.addr)
    }
}

/// A TCP connection to a server under test. A connection the server resets
/// as it is made (accepted, then RST) is the server ending it, a verdict on
/// the server: it comes back as a transport that has already ended. A
/// server that cannot be reached at all (refused, unroutable, timed out)
/// stays an error.
pub(crate) fn connect_tcp(addr: SocketAddr, timeout: Duration) -> io::Result<Box<dyn Transport>> {
    match TcpTransport::connect(addr, timeout) {
        Ok(t) => Ok(Box::new(t)),
        Err(e) if is_reset(&e) => Ok(Box::new(ResetAtConnect::default())),
        Err(e) => Err(e),
    }
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
    )
}

/// A connection the server reset while it was being made: what we send goes
/// nowhere (and is logged as sent) and what we receive is its end.
#[derive(Debug, Default)]
struct ResetAtConnect {
    log: Vec<(bool, Vec<u8>)>,
}

impl Transport for ResetAtConnect {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        // Bounded: a scripted peer sends a flight or two before it reads.
        if self.log.len() < 16 {
            self.log.push((true, bytes.to_vec()));
        }
        Ok(())
    }

    fn recv(&mut self, _buf: &mut Vec<u8>, _timeout: Duration) -> io::Result<Recv> {
        Ok(Recv::Eof)
    }

    fn log(&self) -> &[(bool, Vec<u8>)] {
        &self.log
    }
}

/// The request a client under test sends once its handshake completes; the
/// scripted server answers it, then the client closes.
pub const CLIENT_REQUEST: &[u8] = b"GET / HTTP/1.0\r\n\r\n";

/// The validation time of the built-in test PKI (`vectors/pki/manifest.json`):
/// the in-memory client checks certificates at this fixed time, so runs
/// replay exactly and do not expire with the test certificates.
pub const PKI_TIME: UnixTime = UnixTime(1_798_761_600);

/// How long the in-memory client waits for each OCSP or CRL fetch: the
/// CA's loopback responder answers in milliseconds, and a silent one must
/// not outlast a case's budget (2 s in the tests).
pub const MEMORY_FETCH_TIMEOUT: Duration = Duration::from_millis(500);

/// The reference client, in memory: each `accept` is a fresh engine client
/// (its ClientHello already queued) that trusts the built-in root, sends
/// `request` once its handshake completes and closes after the answer.
#[derive(Debug)]
pub struct MemoryClient {
    config: Arc<ClientConfig>,
    server_name: String,
    now: UnixTime,
    request: Option<Vec<u8>>,
    counter: AtomicU64,
    crypto: Crypto,
    policy: RevocationPolicy,
}

impl MemoryClient {
    pub fn new(
        config: Arc<ClientConfig>,
        server_name: &str,
        now: UnixTime,
        request: Option<Vec<u8>>,
    ) -> Self {
        Self {
            config,
            server_name: server_name.into(),
            now,
            request,
            counter: AtomicU64::new(0),
            crypto: Crypto::default(),
            policy: RevocationPolicy::CheckIfPresent,
        }
    }

    /// The built-in reference client: test root, name `localhost`, sends
    /// [`CLIENT_REQUEST`].
    pub fn builtin() -> Result<Self, String> {
        Self::builtin_with(Crypto::default())
    }

    /// As [`MemoryClient::builtin`], over `crypto`'s primitives.
    pub fn builtin_with(crypto: Crypto) -> Result<Self, String> {
        Self::builtin_with_policy(crypto, RevocationPolicy::CheckIfPresent)
    }

    /// As [`MemoryClient::builtin_with`], with this revocation policy: under
    /// soft- and hard-fail it asks for a staple and fetches OCSP and CRLs
    /// from the path's AIA and CDP URLs (as `connect` does), each fetch
    /// within [`MEMORY_FETCH_TIMEOUT`].
    pub fn builtin_with_policy(crypto: Crypto, policy: RevocationPolicy) -> Result<Self, String> {
        let config = crate::builtin::reference_client_config(policy, MEMORY_FETCH_TIMEOUT)?;
        let mut c = Self::new(
            Arc::new(config),
            "localhost",
            PKI_TIME,
            Some(CLIENT_REQUEST.to_vec()),
        );
        c.crypto = crypto;
        c.policy = policy;
        Ok(c)
    }
}

impl Acceptor for MemoryClient {
    fn validation_time(&self) -> Option<u64> {
        Some(self.now.0)
    }

    fn revocation_policy(&self) -> RevocationPolicy {
        self.policy
    }

    fn accept(&self) -> io::Result<Box<dyn Transport>> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut seed = [0x43u8; 32];
        seed[..8].copy_from_slice(&n.to_be_bytes());
        let conn = Connection::client(
            self.config.clone(),
            &self.server_name,
            self.crypto.seeded(seed),
            None,
        )
        .map_err(|e| io::Error::other(format!("reference client: {e}")))?;
        Ok(Box::new(MemoryClientTransport {
            conn,
            now: self.now,
            request: self.request.clone(),
            log: ByteLog::default(),
        }))
    }

    fn describe(&self) -> String {
        "reference client (in memory)".into()
    }
}

/// An engine client seen from the scripted server: what we send is fed to
/// it at once, what it writes is what we receive (never a real wait).
#[derive(Debug)]
pub struct MemoryClientTransport {
    pub conn: Connection,
    now: UnixTime,
    /// Sent once the handshake completes (then `None`).
    request: Option<Vec<u8>>,
    log: ByteLog,
}

impl Transport for MemoryClientTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        engine_input(&mut self.conn, self.now, &mut self.log, bytes)?;
        while let Some(ev) = self.conn.poll_event() {
            match ev {
                Event::HandshakeComplete(_) => {
                    if let Some(req) = self.request.take() {
                        let _ = self.conn.send(&req);
                    }
                }
                // The answer came: done, like a client that read its response.
                Event::ApplicationData(_) => self.conn.close(),
                _ => {}
            }
        }
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>, _timeout: Duration) -> io::Result<Recv> {
        Ok(engine_output(&mut self.conn, &mut self.log, buf))
    }

    fn log(&self) -> &[(bool, Vec<u8>)] {
        &self.log
    }

    fn log_totals(&self) -> crate::peer::transport::LogTotals {
        self.log.totals()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_client_speaks_first_with_a_client_hello() {
        // RFC 5246 §7.3: the client opens with ClientHello.
        let client = MemoryClient::builtin().unwrap();
        let mut t = client.accept().unwrap();
        let mut buf = Vec::new();
        assert!(matches!(
            t.recv(&mut buf, Duration::ZERO).unwrap(),
            Recv::Data(_)
        ));
        // A handshake record holding a ClientHello (type 1).
        assert_eq!(buf[0], 22);
        assert_eq!(buf[5], 1);
        // Then it waits for the server: a timeout that costs nothing.
        assert_eq!(
            t.recv(&mut buf, Duration::from_secs(5)).unwrap(),
            Recv::Timeout
        );
        assert_eq!(t.log().len(), 1);
    }

    #[test]
    fn memory_client_sends_its_request_after_the_handshake_and_closes_after_the_answer() {
        // Drive the engine client against the engine server through the
        // acceptor's transport: the request must arrive at the server.
        let client = MemoryClient::builtin().unwrap();
        let mut t = client.accept().unwrap();
        let server_cfg = Arc::new(crate::builtin::server_config(None, None).unwrap());
        let mut server =
            Connection::server(server_cfg, gauntlet_engine::Provider::from_seed([9; 32]));
        let mut got = Vec::new();
        let mut answered = false;
        let mut closed = false;
        for _ in 0..20 {
            let mut buf = Vec::new();
            if let Recv::Data(_) = t.recv(&mut buf, Duration::ZERO).unwrap() {
                server.feed(&buf, PKI_TIME);
            }
            while let Some(ev) = server.poll_event() {
                if let Event::ApplicationData(d) = &ev {
                    got.extend_from_slice(d);
                    server.send(b"HTTP/1.0 200 ok\r\n\r\n").unwrap();
                    answered = true;
                }
                if matches!(ev, Event::PeerClosed) {
                    closed = true;
                }
            }
            let mut out = Vec::new();
            server.write_tls(&mut out);
            if !out.is_empty() {
                let _ = t.send(&out);
            }
        }
        assert_eq!(got, CLIENT_REQUEST);
        assert!(answered);
        // The client sent close_notify after the answer (RFC 5246 §7.2.1).
        assert!(closed);
        let mut buf = Vec::new();
        assert_eq!(t.recv(&mut buf, Duration::ZERO).unwrap(), Recv::Eof);
    }
}
