//! A small blocking driver that runs an engine `Connection` over a TCP
//! socket. The harness owns the clock and every wait has a timeout.

use gauntlet_engine::enums::AlertDescription;
use gauntlet_engine::{Connection, Error, Event, HandshakeSummary, UnixTime};
use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime};

/// Why a driven connection stopped.
#[derive(Debug)]
pub enum DriveError {
    Io(io::Error),
    /// The peer sent nothing for this long (an idle peer).
    Timeout(Duration),
    /// The peer read nothing we wrote for this long (a full send buffer).
    WriteStalled(Duration),
    /// The handshake was not complete this long after it began, though the
    /// peer may have kept sending (a slow drip, a warning-alert flood).
    HandshakeDeadline(Duration),
    /// Our engine failed (and sent its alert, if the error has one).
    Tls(Error),
    /// The peer closed the socket without close_notify.
    Eof,
}

impl fmt::Display for DriveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriveError::Io(e) => write!(f, "socket error: {e}"),
            DriveError::Timeout(d) => write!(f, "peer sent nothing for {:.1}s", d.as_secs_f64()),
            DriveError::WriteStalled(d) => {
                write!(f, "peer read nothing for {:.1}s", d.as_secs_f64())
            }
            DriveError::HandshakeDeadline(d) => {
                write!(f, "handshake not complete after {:.1}s", d.as_secs_f64())
            }
            DriveError::Tls(Error::AlertReceived(a)) => write!(f, "peer sent fatal alert {a:?}"),
            DriveError::Tls(e) => write!(f, "TLS error: {e} (alert {:?})", e.alert()),
            DriveError::Eof => f.write_str("peer closed the connection without close_notify"),
        }
    }
}

impl std::error::Error for DriveError {}

impl From<io::Error> for DriveError {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                DriveError::Timeout(Duration::ZERO)
            }
            _ => DriveError::Io(e),
        }
    }
}

/// The wall clock, as the engine's injected time.
pub fn now() -> UnixTime {
    UnixTime(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    )
}

/// An engine connection bound to a socket.
#[derive(Debug)]
pub struct TcpSession {
    pub conn: Connection,
    stream: TcpStream,
    timeout: Duration,
    /// Application data received and not yet taken by `recv`: at most what
    /// one read's records decrypt to (`recv` takes it all before it reads
    /// again; during the handshake no application data can precede it).
    inbox: Vec<u8>,
    peer_closed: bool,
    /// The warning alerts the peer sent, each description once (at most
    /// 256 entries, one per description: a flood of warnings adds nothing).
    warnings: Vec<AlertDescription>,
    /// The engine's time: the wall clock unless pinned (`connect --time`).
    pub time: Option<UnixTime>,
}

impl TcpSession {
    pub fn new(conn: Connection, stream: TcpStream, timeout: Duration) -> io::Result<Self> {
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            conn,
            stream,
            timeout,
            inbox: Vec::new(),
            peer_closed: false,
            warnings: Vec::new(),
            time: None,
        })
    }

    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    fn flush(&mut self) -> Result<(), DriveError> {
        let mut out = Vec::new();
        self.conn.write_tls(&mut out);
        if !out.is_empty() {
            self.stream
                .write_all(&out)
                .map_err(|e| match DriveError::from(e) {
                    DriveError::Timeout(_) => DriveError::WriteStalled(self.timeout),
                    other => other,
                })?;
        }
        Ok(())
    }

    /// Reads once from the socket (bounded by the timeout), feeds the
    /// engine, writes its answer and collects events.
    fn pump(&mut self) -> Result<(), DriveError> {
        self.flush()?;
        let mut buf = [0u8; 16 * 1024 + 512];
        let n = match self.stream.read(&mut buf) {
            Ok(n) => n,
            // A read on a socket with a timeout is not restarted after a
            // signal (signal(7)); here SIGCHLD from spawned peers caused it.
            // Nothing was read: callers loop under their own deadlines.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => {
                return Err(match DriveError::from(e) {
                    DriveError::Timeout(_) => DriveError::Timeout(self.timeout),
                    other => other,
                })
            }
        };
        if n == 0 {
            return Err(DriveError::Eof);
        }
        self.conn.feed(&buf[..n], self.time.unwrap_or_else(now));
        self.collect()?;
        self.flush()
    }

    fn collect(&mut self) -> Result<(), DriveError> {
        let mut failed = None;
        while let Some(e) = self.conn.poll_event() {
            match &e {
                Event::ApplicationData(d) => self.inbox.extend_from_slice(d),
                Event::PeerClosed => self.peer_closed = true,
                Event::Failed(err) => failed = Some(err.clone()),
                Event::PeerWarning(a) if !self.warnings.contains(a) => self.warnings.push(*a),
                _ => {}
            }
        }
        match failed {
            Some(err) => {
                // Our alert, if any, still goes out.
                let _ = self.flush();
                Err(DriveError::Tls(err))
            }
            None => Ok(()),
        }
    }

    /// Runs the handshake to completion.
    pub fn handshake(&mut self) -> Result<HandshakeSummary, DriveError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(hs) = self.conn.handshake() {
                let hs = hs.clone();
                self.flush()?;
                return Ok(hs);
            }
            if self.peer_closed {
                return Err(DriveError::Eof);
            }
            if Instant::now() > deadline {
                return Err(DriveError::HandshakeDeadline(self.timeout));
            }
            self.pump()?;
        }
    }

    pub fn send(&mut self, data: &[u8]) -> Result<(), DriveError> {
        self.conn.send(data).map_err(DriveError::Tls)?;
        self.flush()
    }

    /// Application data as it arrives: `Ok(None)` once the peer has sent
    /// close_notify and everything before it was returned.
    pub fn recv(&mut self) -> Result<Option<Vec<u8>>, DriveError> {
        loop {
            if !self.inbox.is_empty() {
                return Ok(Some(std::mem::take(&mut self.inbox)));
            }
            if self.peer_closed {
                return Ok(None);
            }
            self.pump()?;
        }
    }

    /// Sends close_notify and waits (bounded) for the peer's.
    pub fn close(&mut self) -> Result<(), DriveError> {
        self.conn.close();
        self.flush()?;
        let deadline = Instant::now() + self.timeout;
        while !self.peer_closed && Instant::now() < deadline {
            match self.pump() {
                Ok(()) => {}
                // A peer that just hangs up after our close_notify is common
                // (RFC 5246 §7.2.1 lets it skip waiting).
                Err(DriveError::Eof) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// True if the peer sent this warning alert.
    pub fn saw_warning(&self, alert: AlertDescription) -> bool {
        self.warnings.contains(&alert)
    }
}
