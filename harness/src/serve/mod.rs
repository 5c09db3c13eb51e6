//! The reference server and client over TCP: what `gauntlet serve` and
//! `gauntlet connect` run, and what the interop tests drive. The server is
//! an event loop (`event_loop`: its bounds and deadlines are documented
//! there); the client is the blocking `TcpSession`.

mod event_loop;

pub use event_loop::{CLOSE_LINGER, MAX_HTTP_REQUEST, MAX_PENDING_OUT, READ_BUF};

use crate::tcp::{DriveError, TcpSession};
use gauntlet_engine::{ClientConfig, Connection, HandshakeSummary, ServerConfig};
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServeMode {
    /// Echo every application data record back.
    Echo,
    /// Answer each complete HTTP/1.0 GET with one record, as `s_server -www`.
    Http,
}

#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub mode: ServeMode,
    /// Idle timeout: a connection whose peer sends nothing (or reads
    /// nothing we wrote) for this long is dropped.
    pub timeout: Duration,
    /// Handshake deadline: the handshake must be complete this long after
    /// the connection was accepted, however the peer paces its bytes.
    pub handshake_timeout: Duration,
    /// Append NSS key log lines here.
    pub keylog: Option<PathBuf>,
    /// Connections open at once; one accepted past this is closed at once
    /// (the peer sees the connection close before any TLS byte).
    pub max_concurrent: usize,
    /// Stop after this many connections (None: until `stop`).
    pub max_connections: Option<usize>,
    /// Print one line per connection on standard error.
    pub verbose: bool,
    /// Receives each connection's outcome as it ends, so a test can check
    /// what our server negotiated, not only what the peer printed.
    pub report: Option<Sender<ConnectionReport>>,
    /// The primitives of each connection (the RSA key's backend is the
    /// config's: `Crypto::server_config`).
    pub crypto: crate::builtin::Crypto,
}

/// How one served connection ended.
#[derive(Clone, Debug)]
pub struct ConnectionReport {
    pub peer: SocketAddr,
    /// What was negotiated, or the one-line error that ended the connection
    /// (during the handshake or after it).
    pub result: Result<HandshakeSummary, String>,
}

/// `serve --timeout`'s default (the idle timeout).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// `serve --handshake-timeout`'s default.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// `serve --max-concurrent`'s default: each open connection holds a file
/// descriptor (see `ulimit -n`) and ~10 KiB of heap while idle.
pub const DEFAULT_MAX_CONCURRENT: usize = 4096;

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            mode: ServeMode::Echo,
            timeout: DEFAULT_TIMEOUT,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            keylog: None,
            max_concurrent: DEFAULT_MAX_CONCURRENT,
            max_connections: None,
            verbose: true,
            report: None,
            crypto: crate::builtin::Crypto::default(),
        }
    }
}

/// One line for standard error describing what was negotiated.
pub fn describe(hs: &HandshakeSummary) -> String {
    format!(
        "negotiated {:?} {:?} extended_master_secret={} resumed={}",
        hs.version, hs.suite, hs.extended_master_secret, hs.resumed
    )
}

/// Appends the connection's key log line to `path`.
fn write_keylog(path: &PathBuf, conn: &Connection, lock: &Mutex<()>) {
    if let Some(line) = conn.key_log_line() {
        let _guard = lock.lock();
        let res = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = res {
            eprintln!("gauntlet: keylog {}: {e}", path.display());
        }
    }
}

/// Serves on `listener` until `stop` is set (or `max_connections`
/// accepted), then until the open connections end. One thread: see
/// `event_loop`. The engine's transcript is off (nothing here reads it).
pub fn serve(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    opts: ServeOptions,
    stop: Arc<AtomicBool>,
) -> io::Result<()> {
    let lock = Mutex::new(());
    let config = without_transcript(config);
    let mut server = event_loop::Server::new(Some(listener), config, &opts, &lock)?;
    server.run(&stop, &mut |(peer, res)| {
        if opts.verbose {
            match &res {
                Ok(hs) => eprintln!("{peer}: {}", describe(hs)),
                Err(e) => eprintln!("{peer}: {e}"),
            }
        }
        if let Some(tx) = &opts.report {
            let result = res.map_err(|e| e.to_string());
            // A receiver that went away just stopped listening.
            let _ = tx.send(ConnectionReport { peer, result });
        }
    })
}

fn without_transcript(config: Arc<ServerConfig>) -> Arc<ServerConfig> {
    if !config.transcript {
        return config;
    }
    let mut c = (*config).clone();
    c.transcript = false;
    Arc::new(c)
}

/// One accepted connection, served by the same event loop as `serve`:
/// handshake, then echo or HTTP until the peer closes.
pub fn serve_one(
    stream: TcpStream,
    config: Arc<ServerConfig>,
    opts: &ServeOptions,
    keylog_lock: &Mutex<()>,
) -> Result<HandshakeSummary, DriveError> {
    let config = without_transcript(config);
    let mut server = event_loop::Server::new(None, config, opts, keylog_lock)?;
    server.add(stream)?;
    let mut outcome = None;
    server.run(&AtomicBool::new(false), &mut |(_, res)| outcome = Some(res))?;
    outcome.unwrap_or(Err(DriveError::Eof))
}

#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub server_name: String,
    pub timeout: Duration,
    /// After the last data arrives, how long to wait for more before closing.
    pub linger: Duration,
    pub keylog: Option<PathBuf>,
    /// The client's primitives (`--provider`).
    pub crypto: crate::builtin::Crypto,
    /// Validate at this time instead of the wall clock (`--time`).
    pub time: Option<gauntlet_engine::UnixTime>,
}

/// Resolves `addr` to one socket address, with a one-line error.
pub fn resolve(addr: &str) -> Result<SocketAddr, String> {
    addr.to_socket_addrs()
        .map_err(|e| format!("{addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("{addr}: no address"))
}

/// Connects, sends `input`, writes what comes back to `out`, closes.
pub fn connect(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    opts: &ConnectOptions,
    input: &[u8],
    out: &mut dyn Write,
) -> Result<HandshakeSummary, String> {
    let stream = open(addr, opts.timeout)?;
    connect_over(stream, addr, config, opts, input, out)
}

/// The TCP connection of `connect`, with a one-line error naming `addr`
/// (nothing listens, no route, no answer within `timeout`).
pub fn open(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, String> {
    TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))
}

/// `connect` over a connected `stream`.
pub fn connect_over(
    stream: TcpStream,
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    opts: &ConnectOptions,
    input: &[u8],
    out: &mut dyn Write,
) -> Result<HandshakeSummary, String> {
    let conn = Connection::client(config, &opts.server_name, opts.crypto.provider(None), None)
        .map_err(|e| e.to_string())?;
    let mut s = TcpSession::new(conn, stream, opts.timeout).map_err(|e| e.to_string())?;
    s.time = opts.time;
    let result = s.handshake();
    if let Some(path) = &opts.keylog {
        write_keylog(path, &s.conn, &Mutex::new(()));
    }
    let hs = result.map_err(|e| format!("{addr}: handshake failed: {e}"))?;
    if !input.is_empty() {
        s.send(input).map_err(|e| e.to_string())?;
        let _ = s.stream().set_read_timeout(Some(opts.linger));
        loop {
            match s.recv() {
                Ok(Some(data)) => out.write_all(&data).map_err(|e| e.to_string())?,
                Ok(None) | Err(DriveError::Timeout(_)) | Err(DriveError::Eof) => break,
                Err(e) => return Err(format!("{addr}: {e}")),
            }
        }
    }
    let _ = out.flush();
    let _ = s.stream().set_read_timeout(Some(opts.timeout));
    match s.close() {
        Ok(()) | Err(DriveError::Eof) => Ok(hs),
        Err(e) => Err(format!("{addr}: close: {e}")),
    }
}
