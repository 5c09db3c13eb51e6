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
