//! Byte pipes between a scripted peer and its target: TCP, or an engine
//! `Connection` in memory. Every receive is bounded by a timeout.
//!
//! Cap: each connection's byte log ([`ByteLog`], for reproducer bundles)
//! keeps at most [`MAX_LOG_BYTES`]; past it, chunks are counted but not
//! kept, and the log says it was truncated.

use gauntlet_engine::{Connection, UnixTime};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// What a receive found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recv {
    /// This many bytes were appended.
    Data(usize),
    /// The peer closed its side (or, in memory, failed or closed and has
    /// nothing more to say).
    Eof,
    /// Nothing arrived within the timeout.
    Timeout,
}

pub trait Transport: Send {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Appends what arrives to `buf`, waiting at most `timeout`.
    fn recv(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> io::Result<Recv>;
    /// The chunks both ways, for reproducer bundles: (sent_by_us, bytes);
    /// at most [`MAX_LOG_BYTES`] of them (see [`ByteLog`]).
    fn log(&self) -> &[(bool, Vec<u8>)];
    /// Bytes each way, and whether `log` stopped keeping them. By default,
    /// what `log` holds, complete.
    fn log_totals(&self) -> LogTotals {
        LogTotals::of(self.log())
    }
}

/// Most bytes one connection's [`ByteLog`] keeps: far above any handshake
/// and the suites' largest records (a failing case's bundle stays
/// complete), small enough that a target flooding us cannot make the log
/// grow with it.
pub const MAX_LOG_BYTES: usize = 4 << 20;

/// What went over one connection, whether or not its log kept it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogTotals {
    /// Bytes we sent.
    pub sent: u64,
    /// Bytes the target sent.
    pub received: u64,
    /// The log kept only a prefix of the conversation.
    pub truncated: bool,
}

impl LogTotals {
    /// The totals of a complete chunk log.
    pub fn of(chunks: &[(bool, Vec<u8>)]) -> Self {
        let bytes = |ours: bool| {
            chunks
                .iter()
                .filter(|(us, _)| *us == ours)
                .map(|(_, b)| b.len() as u64)
                .sum()
        };
        Self {
            sent: bytes(true),
            received: bytes(false),
            truncated: false,
        }
    }
}

/// A connection's chunks both ways, (sent_by_us, bytes), keeping at most
/// `cap` bytes (by default [`MAX_LOG_BYTES`]): the first chunk that does
/// not fit is kept in part, and from then on chunks are only counted, so
/// what is kept is a prefix of the conversation in time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteLog {
    chunks: Vec<(bool, Vec<u8>)>,
    kept: usize,
    cap: usize,
    totals: LogTotals,
}

impl Default for ByteLog {
    fn default() -> Self {
        Self::with_cap(MAX_LOG_BYTES)
    }
}

impl ByteLog {
    pub fn with_cap(cap: usize) -> Self {
        Self {
            chunks: Vec::new(),
            kept: 0,
            cap,
            totals: LogTotals::default(),
        }
    }

    /// A copy of what `t` logged, with its totals.
    pub fn of(t: &dyn Transport) -> Self {
        let chunks = t.log().to_vec();
        let kept = chunks.iter().map(|(_, b)| b.len()).sum();
        Self {
            chunks,
            kept,
            cap: MAX_LOG_BYTES.max(kept),
            totals: t.log_totals(),
        }
    }

    pub fn push(&mut self, ours: bool, bytes: &[u8]) {
        if ours {
            self.totals.sent += bytes.len() as u64;
        } else {
            self.totals.received += bytes.len() as u64;
        }
        if self.totals.truncated {
            return;
        }
        let room = self.cap.saturating_sub(self.kept);
        if bytes.len() > room {
            self.totals.truncated = true;
        }
        let keep = bytes.get(..room).unwrap_or(bytes);
        if !keep.is_empty() || !self.totals.truncated {
            self.kept += keep.len();
            self.chunks.push((ours, keep.to_vec()));
        }
    }

    pub fn totals(&self) -> LogTotals {
        self.totals
    }

    /// Bytes kept.
    pub fn kept(&self) -> usize {
        self.kept
    }

    /// Keeps at most `max` bytes of what is kept (the rest counted as
    /// truncated); `0` drops every chunk, the totals stay.
    pub fn truncate_to(&mut self, max: usize) {
        if self.kept <= max {
            return;
        }
        let mut left = max;
        self.chunks.retain_mut(|(_, b)| {
            b.truncate(left);
            left -= b.len();
            !b.is_empty()
        });
        self.kept = max;
        self.cap = max;
        self.totals.truncated = true;
    }

    /// Drops the chunks of a case that needs no bundle; the totals stay
    /// (the reports count bytes) and nothing says "truncated".
    pub fn drop_chunks(&mut self) {
        self.chunks = Vec::new();
        self.kept = 0;
    }
}

impl std::ops::Deref for ByteLog {
    type Target = [(bool, Vec<u8>)];
    fn deref(&self) -> &Self::Target {
        &self.chunks
    }
}

/// A TCP connection to (or from) the target.
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    log: ByteLog,
    eof: bool,
}

impl TcpTransport {
    pub fn new(stream: TcpStream) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            log: ByteLog::default(),
            eof: false,
        })
    }

    pub fn connect(addr: std::net::SocketAddr, timeout: Duration) -> io::Result<Self> {
        Self::new(TcpStream::connect_timeout(&addr, timeout)?)
    }

    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }
}

/// How many EINTRs in a row one `recv` absorbs before it reports one.
const MAX_EINTR: usize = 64;

impl Transport for TcpTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.log.push(true, bytes);
        self.stream.write_all(bytes)
    }

    fn recv(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> io::Result<Recv> {
        if self.eof {
            return Ok(Recv::Eof);
        }
        self.stream
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        let mut chunk = [0u8; 32 * 1024];
        // A signal (SIGCHLD of a spawned peer, say) interrupts the read with
        // EINTR: read again, a bounded number of times, instead of calling
        // it a harness error.
        let mut interrupted = 0;
        let read = loop {
            match self.stream.read(&mut chunk) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted && interrupted < MAX_EINTR => {
                    interrupted += 1;
                }
                r => break r,
            }
        };
        match read {
            Ok(0) => {
                self.eof = true;
                Ok(Recv::Eof)
            }
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                self.log.push(false, &chunk[..n]);
                Ok(Recv::Data(n))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(Recv::Timeout)
            }
            // A reset after the peer's fatal alert is an ending, not a harness error.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
                ) =>
            {
                self.eof = true;
                Ok(Recv::Eof)
            }
            Err(e) => Err(e),
        }
    }

    fn log(&self) -> &[(bool, Vec<u8>)] {
        &self.log
    }

    fn log_totals(&self) -> LogTotals {
        self.log.totals()
    }
}

/// The reference engine in memory: what we send is fed to it at once and
/// what it writes is what we receive. No real waiting: an engine with
/// nothing to say is waiting for input, which a scripted peer sees as a
/// timeout without spending one.
#[derive(Debug)]
pub struct MemoryTransport {
    pub conn: Connection,
    now: UnixTime,
    log: ByteLog,
    /// Application data the engine received, echoed back like `serve --mode echo`.
    echo: bool,
}

impl MemoryTransport {
    pub fn new(conn: Connection, now: UnixTime, echo: bool) -> Self {
        Self {
            conn,
            now,
            log: ByteLog::default(),
            echo,
        }
    }
}

impl Transport for MemoryTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        engine_input(&mut self.conn, self.now, &mut self.log, bytes)?;
        while let Some(ev) = self.conn.poll_event() {
            if let gauntlet_engine::Event::ApplicationData(d) = ev {
                if self.echo {
                    let _ = self.conn.send(&d);
                }
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

    fn log_totals(&self) -> LogTotals {
        self.log.totals()
    }
}

/// Feeds bytes we send into an in-memory engine, logging them; a closed
/// engine is a broken pipe, as a closed socket would be.
pub(crate) fn engine_input(
    conn: &mut Connection,
    now: UnixTime,
    log: &mut ByteLog,
    bytes: &[u8],
) -> io::Result<()> {
    log.push(true, bytes);
    if conn.is_closed() {
        return Err(io::Error::new(
            io::ErrorKind::BrokenPipe,
            "engine connection is closed",
        ));
    }
    conn.feed(bytes, now);
    Ok(())
}

/// What an in-memory engine wrote, appended to `buf` and logged. An engine
/// with nothing to say is waiting for input: a timeout without the wait.
pub(crate) fn engine_output(conn: &mut Connection, log: &mut ByteLog, buf: &mut Vec<u8>) -> Recv {
    let before = buf.len();
    conn.write_tls(buf);
    let n = buf.len() - before;
    if n > 0 {
        log.push(false, buf.get(before..).unwrap_or_default());
        Recv::Data(n)
    } else if conn.is_closed() {
        Recv::Eof
    } else {
        Recv::Timeout
    }
}

/// Waits until `deadline` for more bytes; `Timeout` once it passes.
pub fn recv_until(t: &mut dyn Transport, buf: &mut Vec<u8>, deadline: Instant) -> io::Result<Recv> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Ok(Recv::Timeout);
    }
    t.recv(buf, left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_log_keeps_a_prefix_up_to_its_cap_and_counts_the_rest() {
        let mut log = ByteLog::with_cap(10);
        log.push(true, b"hello");
        log.push(false, b"world!");
        log.push(true, b"more");
        assert_eq!(
            &*log,
            &[(true, b"hello".to_vec()), (false, b"world".to_vec())]
        );
        assert_eq!(
            log.totals(),
            LogTotals {
                sent: 9,
                received: 6,
                truncated: true
            }
        );
        log.truncate_to(3);
        assert_eq!(&*log, &[(true, b"hel".to_vec())]);
        log.drop_chunks();
        assert!(log.is_empty());
        assert_eq!(log.totals().sent, 9);
        let mut full = ByteLog::with_cap(10);
        full.push(true, b"0123456789");
        assert!(!full.totals().truncated);
    }
}
