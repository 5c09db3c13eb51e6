//! `serve`'s event loop: one thread, one `mio::Poll`, every connection a
//! sans-IO engine `Connection` over a non-blocking socket. An idle
//! connection costs a slot (a few KiB), not a thread, so idle peers cannot
//! starve the others.
//!
//! Bounds, per connection:
//! - input: one read of [`READ_BUF`] bytes at a time, fed to the engine and
//!   its events drained before the next read (the engine buffers at most
//!   one record, and its event queue stays far under its cap);
//! - output: at most [`MAX_PENDING_OUT`] bytes (plus what one read's answer
//!   adds) wait for the peer; past that the peer is not read until it reads,
//!   and a peer that reads nothing for `timeout` is dropped;
//! - the HTTP request: [`MAX_HTTP_REQUEST`] bytes;
//! - time: `timeout` without a byte from the peer (or without it reading
//!   ours), `handshake_timeout` from accept to a complete handshake, and
//!   [`CLOSE_LINGER`] (at most `timeout`) for the peer to hang up after our
//!   close_notify or fatal alert.
//!
//! Handshakes run inline: the RSA private-key decryption of a full
//! handshake (~3 ms on the reference machine) holds up every other
//! connection for that time.

use super::{describe, write_keylog, ServeMode, ServeOptions};
use crate::tcp::DriveError;
use gauntlet_engine::{Connection, Event, HandshakeSummary, ServerConfig};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Bytes read from a socket at once: one largest TLS record (2^14 + 2048
/// bytes of ciphertext and its 5-byte header) and some.
pub const READ_BUF: usize = 18 * 1024;
/// Bytes waiting for the peer past which we stop reading from it.
pub const MAX_PENDING_OUT: usize = 256 * 1024;
/// The HTTP mode's request (up to its blank line) is at most this long;
/// a longer one is closed without an answer.
pub const MAX_HTTP_REQUEST: usize = 64 * 1024;
/// How long a connection we are ending waits for the peer to hang up
/// (bounded by `timeout` too), so our last alert is not lost to a reset.
pub const CLOSE_LINGER: Duration = Duration::from_secs(2);
/// Reads one connection gets per turn before the others get theirs.
const READS_PER_TURN: usize = 8;
/// Connection turns between two looks at the listen backlog.
const ACCEPT_EVERY: usize = 16;
/// Readiness events taken per poll.
const EVENTS: usize = 1024;
/// The longest the loop sleeps: how late a deadline or the stop flag is seen.
const TICK: Duration = Duration::from_millis(20);
const LISTENER: Token = Token(usize::MAX);

/// How one connection ended: its peer and the outcome.
pub(super) type Ending = (SocketAddr, Result<HandshakeSummary, DriveError>);

enum Phase {
    Open,
    /// We are done (close_notify or fatal alert queued, or the peer's
    /// close_notify answered): flush, half-close, wait for the peer's EOF.
    Closing {
        since: Instant,
        shut: bool,
        outcome: Result<HandshakeSummary, DriveError>,
    },
}

struct Conn {
    sock: TcpStream,
    peer: SocketAddr,
    tls: Connection,
    /// Bytes for the peer not yet written (`MAX_PENDING_OUT` and one answer).
    out: Vec<u8>,
    accepted: Instant,
    /// The last byte from the peer.
    last_in: Instant,
    /// The last write progress, or when `out` last became non-empty.
    last_out: Instant,
    hs: Option<HandshakeSummary>,
    request: Vec<u8>,
    keylog_written: bool,
    phase: Phase,
}

enum Turn {
    /// Blocked on the socket: the next readiness event resumes it.
    Wait,
    /// Used its turn with work left.
    More,
    Done(Result<HandshakeSummary, DriveError>),
}

pub(super) struct Server<'a> {
    poll: Poll,
    listener: Option<TcpListener>,
    /// Slab of connections; a connection's index is its token.
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    active: usize,
    served: usize,
    config: Arc<ServerConfig>,
    opts: &'a ServeOptions,
    keylog_lock: &'a Mutex<()>,
    scratch: Vec<u8>,
    /// Connections that used their turn with work left.
    again: Vec<usize>,
    /// An accept failed for lack of descriptors or memory: retry next tick.
    retry_accept: bool,
}

impl<'a> Server<'a> {
    pub(super) fn new(
        listener: Option<std::net::TcpListener>,
        config: Arc<ServerConfig>,
        opts: &'a ServeOptions,
        keylog_lock: &'a Mutex<()>,
    ) -> io::Result<Self> {
        let poll = Poll::new()?;
        let listener = match listener {
            Some(l) if opts.max_connections != Some(0) => {
                l.set_nonblocking(true)?;
                let mut l = TcpListener::from_std(l);
                poll.registry()
                    .register(&mut l, LISTENER, Interest::READABLE)?;
                Some(l)
            }
            _ => None,
        };
        Ok(Self {
            poll,
            listener,
            conns: Vec::new(),
            free: Vec::new(),
            active: 0,
            served: 0,
            config,
            opts,
            keylog_lock,
            scratch: vec![0; READ_BUF],
            again: Vec::new(),
            retry_accept: false,
        })
    }

    /// Serves an already-accepted connection.
    pub(super) fn add(&mut self, sock: std::net::TcpStream) -> io::Result<()> {
        let peer = sock.peer_addr()?;
        sock.set_nonblocking(true)?;
        self.insert(TcpStream::from_std(sock), peer)
    }

    fn insert(&mut self, mut sock: TcpStream, peer: SocketAddr) -> io::Result<()> {
        sock.set_nodelay(true)?;
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.conns.push(None);
                self.conns.len() - 1
            }
        };
        if let Err(e) = self.poll.registry().register(
            &mut sock,
            Token(idx),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            self.free.push(idx);
            return Err(e);
        }
        let now = Instant::now();
        let tls = Connection::server(self.config.clone(), self.opts.crypto.provider(None));
        self.conns[idx] = Some(Conn {
            sock,
            peer,
            tls,
            out: Vec::new(),
            accepted: now,
            last_in: now,
            last_out: now,
            hs: None,
            request: Vec::new(),
            keylog_written: false,
            phase: Phase::Open,
        });
        self.active += 1;
        self.served += 1;
        Ok(())
    }

    /// Runs until `stop` is set or `max_connections` were accepted, and
    /// then until the open connections end. `on_end` gets each ending.
    pub(super) fn run(
        &mut self,
        stop: &AtomicBool,
        on_end: &mut dyn FnMut(Ending),
    ) -> io::Result<()> {
        let mut events = Events::with_capacity(EVENTS);
        let mut last_sweep = Instant::now();
        loop {
            if stop.load(Ordering::Relaxed) {
                self.stop_accepting();
            }
            if self.listener.is_none() && self.active == 0 {
                return Ok(());
            }
            let wait = if self.again.is_empty() {
                TICK
            } else {
                Duration::ZERO
            };
            match self.poll.poll(&mut events, Some(wait)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            let mut ready: Vec<usize> = std::mem::take(&mut self.again);
            let mut accept = std::mem::take(&mut self.retry_accept);
            for ev in events.iter() {
                match ev.token() {
                    LISTENER => accept = true,
                    Token(i) => ready.push(i),
                }
            }
            if accept {
                self.accept(on_end)?;
            }
            ready.sort_unstable();
            ready.dedup();
            for (n, idx) in ready.into_iter().enumerate() {
                // A turn that finishes a handshake costs an RSA decryption:
                // between them the backlog (std's 128) is drained, so a
                // burst of new connections is not dropped while others'
                // handshakes run.
                if n > 0 && n % ACCEPT_EVERY == 0 && self.listener.is_some() {
                    self.accept(on_end)?;
                }
                self.turn(idx, on_end);
            }
            if last_sweep.elapsed() >= TICK {
                last_sweep = Instant::now();
                self.sweep(on_end);
            }
        }
    }

    fn stop_accepting(&mut self) {
        if let Some(mut l) = self.listener.take() {
            let _ = self.poll.registry().deregister(&mut l);
        }
    }

    fn accept(&mut self, on_end: &mut dyn FnMut(Ending)) -> io::Result<()> {
        while let Some(listener) = &self.listener {
            let (sock, peer) = match listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
                // EMFILE, ENFILE, ENOBUFS, ENOMEM: out of descriptors or
                // memory for now; the connection stays in the backlog.
                Err(e) if matches!(e.raw_os_error(), Some(24 | 23 | 105 | 12)) => {
                    if self.opts.verbose {
                        eprintln!("gauntlet: accept: {e} (retrying)");
                    }
                    self.retry_accept = true;
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            if self.active >= self.opts.max_concurrent {
                // Accepted and closed at once: the peer sees the close, not
                // a backlog it waits in.
                if self.opts.verbose {
                    eprintln!(
                        "{peer}: closed: {} connections already open (--max-concurrent)",
                        self.active
                    );
                }
                drop(sock);
                continue;
            }
            if let Err(e) = self.insert(sock, peer) {
                on_end((peer, Err(DriveError::Io(e))));
                continue;
            }
            if self.opts.max_connections.is_some_and(|m| self.served >= m) {
                self.stop_accepting();
            }
        }
        Ok(())
    }

    fn turn(&mut self, idx: usize, on_end: &mut dyn FnMut(Ending)) {
        let Some(Some(conn)) = self.conns.get_mut(idx) else {
            return;
        };
        let turn = conn.drive(&mut self.scratch, self.opts, self.keylog_lock);
        match turn {
            Turn::Wait => {}
            Turn::More => self.again.push(idx),
            Turn::Done(outcome) => self.end(idx, outcome, on_end),
        }
    }

    fn end(
        &mut self,
        idx: usize,
        outcome: Result<HandshakeSummary, DriveError>,
        on_end: &mut dyn FnMut(Ending),
    ) {
        let Some(slot) = self.conns.get_mut(idx) else {
            return;
        };
        let Some(mut conn) = slot.take() else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut conn.sock);
        conn.write_keylog(self.opts, self.keylog_lock);
        self.free.push(idx);
        self.active -= 1;
        on_end((conn.peer, outcome));
    }

    /// Ends the connections whose deadline passed.
    fn sweep(&mut self, on_end: &mut dyn FnMut(Ending)) {
        let now = Instant::now();
        for idx in 0..self.conns.len() {
            let Some(Some(conn)) = self.conns.get_mut(idx) else {
                continue;
            };
            if let Some(outcome) = conn.overdue(now, self.opts) {
                self.end(idx, outcome, on_end);
            }
        }
    }
}

impl Conn {
    /// Writes what it can, then reads and answers until the socket would
    /// block (or the turn is used up, or the output is full).
    fn drive(&mut self, scratch: &mut [u8], opts: &ServeOptions, lock: &Mutex<()>) -> Turn {
        for _ in 0..READS_PER_TURN {
            if let Err(e) = self.flush() {
                return self.fail_io(e);
            }
            if let Phase::Closing {
                shut: shut @ false, ..
            } = &mut self.phase
            {
                if self.out.is_empty() {
                    // Our last bytes are out: half-close, and read on until
                    // the peer hangs up, so they are not lost to a reset.
                    let _ = self.sock.shutdown(Shutdown::Write);
                    *shut = true;
                }
            }
            if self.out.len() >= MAX_PENDING_OUT {
                // Not read until the peer reads: the writable event resumes.
                return Turn::Wait;
            }
            let n = match self.sock.read(scratch) {
                Ok(0) => return self.eof(),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Turn::Wait,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return self.fail_io(e),
            };
            self.last_in = Instant::now();
            let Some(input) = scratch.get(..n) else {
                return Turn::Wait;
            };
            if matches!(self.phase, Phase::Open) {
                self.tls.feed(input, crate::tcp::now());
                self.handle_events(opts, lock);
                self.queue_output();
            }
            // (Closing: what the peer still sends is read and dropped.)
        }
        Turn::More
    }

    fn queue_output(&mut self) {
        if self.out.is_empty() {
            self.last_out = Instant::now();
        }
        self.tls.write_tls(&mut self.out);
    }

    /// Writes `out` until the socket would block.
    fn flush(&mut self) -> io::Result<()> {
        let mut written = 0;
        while written < self.out.len() {
            let Some(rest) = self.out.get(written..) else {
                break;
            };
            match self.sock.write(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if written > 0 {
            self.out.drain(..written);
            self.last_out = Instant::now();
            if self.out.is_empty() && self.out.capacity() > 2 * READ_BUF {
                self.out = Vec::new();
            }
        }
        Ok(())
    }

    fn handle_events(&mut self, opts: &ServeOptions, lock: &Mutex<()>) {
        let mut end = None;
        while let Some(event) = self.tls.poll_event() {
            if end.is_some() {
                // After the ending: nothing more is answered.
                continue;
            }
            match event {
                Event::HandshakeComplete(hs) => {
                    self.hs = Some(hs);
                    self.write_keylog(opts, lock);
                }
                Event::ApplicationData(data) => end = self.answer(&data, opts.mode),
                Event::PeerWarning(_) => {}
                Event::PeerClosed => {
                    // The engine answered with our close_notify.
                    end = Some(self.hs.clone().ok_or(DriveError::Eof));
                }
                Event::Failed(err) => end = Some(Err(DriveError::Tls(err))),
            }
        }
        if let Some(outcome) = end {
            self.phase = Phase::Closing {
                since: Instant::now(),
                shut: false,
                outcome,
            };
        }
    }

    /// Echoes `data`, or collects the HTTP request and answers it once
    /// complete. Returns the connection's ending if this ends it.
    fn answer(
        &mut self,
        data: &[u8],
        mode: ServeMode,
    ) -> Option<Result<HandshakeSummary, DriveError>> {
        let hs = self.hs.clone()?;
        match mode {
            ServeMode::Echo => match self.tls.send(data) {
                Ok(()) => None,
                Err(e) => Some(Err(DriveError::Tls(e))),
            },
            ServeMode::Http => {
                let room = MAX_HTTP_REQUEST.saturating_sub(self.request.len());
                self.request
                    .extend_from_slice(data.get(..room.min(data.len()))?);
                if self.request.windows(4).any(|w| w == b"\r\n\r\n")
                    || self.request.windows(2).any(|w| w == b"\n\n")
                {
                    let body = format!(
                        "<html><body><pre>Gauntlet reference server\n{}\n</pre></body></html>\r\n",
                        describe(&hs)
                    );
                    let resp = format!("HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n{body}");
                    if let Err(e) = self.tls.send(resp.as_bytes()) {
                        return Some(Err(DriveError::Tls(e)));
                    }
                    self.tls.close();
                    return Some(Ok(hs));
                }
                if self.request.len() >= MAX_HTTP_REQUEST {
                    self.tls.close();
                    return Some(Ok(hs));
                }
                None
            }
        }
    }

    fn eof(&mut self) -> Turn {
        match std::mem::replace(&mut self.phase, Phase::Open) {
            Phase::Closing { outcome, .. } => Turn::Done(outcome),
            Phase::Open => Turn::Done(Err(DriveError::Eof)),
        }
    }

    fn fail_io(&mut self, e: io::Error) -> Turn {
        match std::mem::replace(&mut self.phase, Phase::Open) {
            // A peer that resets once we are done ends nothing new.
            Phase::Closing { outcome, .. } => Turn::Done(outcome),
            Phase::Open => Turn::Done(Err(DriveError::Io(e))),
        }
    }

    /// The ending for a passed deadline, if one passed.
    fn overdue(
        &mut self,
        now: Instant,
        opts: &ServeOptions,
    ) -> Option<Result<HandshakeSummary, DriveError>> {
        let since = |t: Instant| now.saturating_duration_since(t);
        match &self.phase {
            Phase::Closing { since: t, .. } => {
                if since(*t) < CLOSE_LINGER.min(opts.timeout) {
                    return None;
                }
                match std::mem::replace(&mut self.phase, Phase::Open) {
                    Phase::Closing { outcome, .. } => Some(outcome),
                    Phase::Open => None,
                }
            }
            Phase::Open if !self.out.is_empty() && since(self.last_out) >= opts.timeout => {
                Some(Err(DriveError::WriteStalled(opts.timeout)))
            }
            Phase::Open if self.out.is_empty() && since(self.last_in) >= opts.timeout => {
                Some(Err(DriveError::Timeout(opts.timeout)))
            }
            Phase::Open if self.hs.is_none() && since(self.accepted) >= opts.handshake_timeout => {
                Some(Err(DriveError::HandshakeDeadline(opts.handshake_timeout)))
            }
            Phase::Open => None,
        }
    }

    fn write_keylog(&mut self, opts: &ServeOptions, lock: &Mutex<()>) {
        if self.keylog_written {
            return;
        }
        if let Some(path) = &opts.keylog {
            if self.tls.key_log_line().is_some() {
                write_keylog(path, &self.tls, lock);
                self.keylog_written = true;
            }
        }
    }
}
