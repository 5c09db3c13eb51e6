//! Byte pipes between a scripted peer and its target: TCP, or an engine
//! `Connection` in memory. Every receive is bounded by a timeout.

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
    /// Every chunk both ways, for reproducer bundles: (sent_by_us, bytes).
    fn log(&self) -> &[(bool, Vec<u8>)];
}

/// A TCP connection to (or from) the target.
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    log: Vec<(bool, Vec<u8>)>,
    eof: bool,
}

impl TcpTransport {
    pub fn new(stream: TcpStream) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            log: Vec::new(),
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

impl Transport for TcpTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.log.push((true, bytes.to_vec()));
        self.stream.write_all(bytes)
    }

    fn recv(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> io::Result<Recv> {
        if self.eof {
            return Ok(Recv::Eof);
        }
        self.stream
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        let mut chunk = [0u8; 32 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => {
                self.eof = true;
                Ok(Recv::Eof)
            }
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                self.log.push((false, chunk[..n].to_vec()));
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
}

/// The reference engine in memory: what we send is fed to it at once and
/// what it writes is what we receive. No real waiting: an engine with
/// nothing to say is waiting for input, which a scripted peer sees as a
/// timeout without spending one.
#[derive(Debug)]
pub struct MemoryTransport {
    pub conn: Connection,
    now: UnixTime,
    log: Vec<(bool, Vec<u8>)>,
    /// Application data the engine received, echoed back like `serve --mode echo`.
    echo: bool,
}

impl MemoryTransport {
    pub fn new(conn: Connection, now: UnixTime, echo: bool) -> Self {
        Self {
            conn,
            now,
            log: Vec::new(),
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
}

/// Feeds bytes we send into an in-memory engine, logging them; a closed
/// engine is a broken pipe, as a closed socket would be.
pub(crate) fn engine_input(
    conn: &mut Connection,
    now: UnixTime,
    log: &mut Vec<(bool, Vec<u8>)>,
    bytes: &[u8],
) -> io::Result<()> {
    log.push((true, bytes.to_vec()));
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
pub(crate) fn engine_output(
    conn: &mut Connection,
    log: &mut Vec<(bool, Vec<u8>)>,
    buf: &mut Vec<u8>,
) -> Recv {
    let before = buf.len();
    conn.write_tls(buf);
    let n = buf.len() - before;
    if n > 0 {
        log.push((false, buf[before..].to_vec()));
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
