//! Targets a suite runs against: the reference engine in memory, or any
//! server at a TCP address.

use crate::case::Connector;
use crate::script::transport::{MemoryTransport, TcpTransport, Transport};
use gauntlet_engine::{Connection, Provider, ServerConfig, UnixTime};
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
}

impl MemoryServer {
    pub fn new(config: Arc<ServerConfig>, now: UnixTime) -> Self {
        Self {
            config,
            now,
            counter: AtomicU64::new(0),
        }
    }

    /// The built-in reference server (test PKI), at the wall-clock time.
    pub fn builtin() -> Result<Self, String> {
        let config = crate::builtin::server_config(None, None)?;
        Ok(Self::new(Arc::new(config), crate::tcp::now()))
    }
}

impl Connector for MemoryServer {
    fn connect(&self) -> io::Result<Box<dyn Transport>> {
        // Each connection gets its own deterministic seed.
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut seed = [0x47u8; 32];
        seed[..8].copy_from_slice(&n.to_be_bytes());
        let conn = Connection::server(self.config.clone(), Provider::from_seed(seed));
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
        Ok(Box::new(TcpTransport::connect(
            self.addr,
            self.connect_timeout,
        )?))
    }

    fn describe(&self) -> String {
        format!("server at {}", self.addr)
    }
}

/// The reference client, in memory: each accept is a new engine client that
/// verifies against `config`'s trust anchors for `server_name` at `now` and
/// sends an HTTP/1.0 request once the handshake completes.
#[derive(Debug)]
pub struct MemoryClient {
    config: Arc<gauntlet_engine::ClientConfig>,
    server_name: String,
    now: UnixTime,
    counter: AtomicU64,
}

impl MemoryClient {
    pub fn new(
        config: Arc<gauntlet_engine::ClientConfig>,
        server_name: &str,
        now: UnixTime,
    ) -> Self {
        Self {
            config,
            server_name: server_name.into(),
            now,
            counter: AtomicU64::new(0),
        }
    }

    /// The built-in reference client: trusts the test root, checks
    /// `localhost`, at the test PKI's validation time (2027-01-01).
    pub fn builtin() -> Result<Self, String> {
        let config = crate::builtin::client_config(None, None)?;
        Ok(Self::new(
            Arc::new(config),
            "localhost",
            crate::builtin::PKI_TIME,
        ))
    }
}

impl crate::case::Acceptor for MemoryClient {
    fn accept(&self) -> io::Result<Box<dyn Transport>> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut seed = [0x43u8; 32];
        seed[..8].copy_from_slice(&n.to_be_bytes());
        let mut conn = Connection::client(
            self.config.clone(),
            &self.server_name,
            Provider::from_seed(seed),
            None,
        )
        .map_err(|e| io::Error::other(e.to_string()))?;
        // Queued until the handshake completes.
        conn.send(b"GET / HTTP/1.0\r\n\r\n")
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(Box::new(MemoryTransport::new(conn, self.now, false)))
    }

    fn describe(&self) -> String {
        "reference client (in memory)".into()
    }
}
