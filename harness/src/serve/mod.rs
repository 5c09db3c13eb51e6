//! The reference server and client over TCP: what `gauntlet serve` and
//! `gauntlet connect` run, and what the interop tests drive.

use crate::tcp::{DriveError, TcpSession};
use gauntlet_engine::{ClientConfig, Connection, HandshakeSummary, ServerConfig};
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
    /// Every socket wait.
    pub timeout: Duration,
    /// Append NSS key log lines here.
    pub keylog: Option<PathBuf>,
    /// Connections served at once; more wait in the accept queue.
    pub max_concurrent: usize,
    /// Stop after this many connections (None: until `stop`).
    pub max_connections: Option<usize>,
    /// Print one line per connection on standard error.
    pub verbose: bool,
    /// Receives each connection's outcome as it ends, so a test can check
    /// what our server negotiated, not only what the peer printed.
    pub report: Option<Sender<ConnectionReport>>,
}

/// How one served connection ended.
#[derive(Clone, Debug)]
pub struct ConnectionReport {
    pub peer: SocketAddr,
    /// What was negotiated, or the one-line error that ended the connection
    /// (during the handshake or after it).
    pub result: Result<HandshakeSummary, String>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            mode: ServeMode::Echo,
            timeout: Duration::from_secs(10),
            keylog: None,
            max_concurrent: 64,
            max_connections: None,
            verbose: true,
            report: None,
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

/// Serves on `listener` until `stop` is set (or `max_connections` served).
pub fn serve(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    opts: ServeOptions,
    stop: Arc<AtomicBool>,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let active = Arc::new(AtomicUsize::new(0));
    let keylog_lock = Arc::new(Mutex::new(()));
    let mut served = 0usize;
    let mut workers = Vec::new();
    while !stop.load(Ordering::Relaxed) && opts.max_connections.is_none_or(|m| served < m) {
        if active.load(Ordering::Acquire) >= opts.max_concurrent {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        let (stream, peer) = match listener.accept() {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            Err(e) => return Err(e),
        };
        stream.set_nonblocking(false)?;
        served += 1;
        active.fetch_add(1, Ordering::AcqRel);
        let (config, opts2, active2, lock) = (
            config.clone(),
            opts.clone(),
            active.clone(),
            keylog_lock.clone(),
        );
        workers.push(std::thread::spawn(move || {
            let res = serve_one(stream, config, &opts2, &lock);
            if opts2.verbose {
                match &res {
                    Ok(hs) => eprintln!("{peer}: {}", describe(hs)),
                    Err(e) => eprintln!("{peer}: {e}"),
                }
            }
            if let Some(tx) = &opts2.report {
                let result = res.map_err(|e| e.to_string());
                // A receiver that went away just stopped listening.
                let _ = tx.send(ConnectionReport { peer, result });
            }
            active2.fetch_sub(1, Ordering::AcqRel);
        }));
        workers.retain(|w| !w.is_finished());
    }
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

/// One connection: handshake, then echo or HTTP until the peer closes.
pub fn serve_one(
    stream: TcpStream,
    config: Arc<ServerConfig>,
    opts: &ServeOptions,
    keylog_lock: &Mutex<()>,
) -> Result<HandshakeSummary, DriveError> {
    let conn = Connection::server(config, crate::builtin::provider(None));
    let mut s = TcpSession::new(conn, stream, opts.timeout)?;
    let result = s.handshake();
    if let Some(path) = &opts.keylog {
        write_keylog(path, &s.conn, keylog_lock);
    }
    let hs = result?;
    let mut request = Vec::new();
    while let Some(data) = s.recv()? {
        match opts.mode {
            ServeMode::Echo => s.send(&data)?,
            ServeMode::Http => {
                request.extend_from_slice(&data);
                if request.windows(4).any(|w| w == b"\r\n\r\n")
                    || request.windows(2).any(|w| w == b"\n\n")
                {
                    let body = format!(
                        "<html><body><pre>Gauntlet reference server\n{}\n</pre></body></html>\r\n",
                        describe(&hs)
                    );
                    let resp = format!("HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n{body}");
                    s.send(resp.as_bytes())?;
                    return s.close().map(|()| hs);
                }
                if request.len() > 64 * 1024 {
                    return s.close().map(|()| hs);
                }
            }
        }
    }
    Ok(hs)
}

#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub server_name: String,
    pub timeout: Duration,
    /// After the last data arrives, how long to wait for more before closing.
    pub linger: Duration,
    pub keylog: Option<PathBuf>,
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
    let stream =
        TcpStream::connect_timeout(&addr, opts.timeout).map_err(|e| format!("{addr}: {e}"))?;
    let conn = Connection::client(
        config,
        &opts.server_name,
        crate::builtin::provider(None),
        None,
    )
    .map_err(|e| e.to_string())?;
    let mut s = TcpSession::new(conn, stream, opts.timeout).map_err(|e| e.to_string())?;
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
