//! The CA's loopback HTTP server: OCSP responder (RFC 6960 appendix A.1,
//! POST and GET) and CRL distribution point (RFC 5280 §4.2.1.13), for a
//! third-party TLS client to fetch from the URLs in our certificates. It
//! owns the listener, one accept thread and a short-lived thread per
//! connection; each test case registers [`Behaviour`]s under its own path
//! prefix, then reads back [`Responder::requests`]. One request per
//! connection (`Connection: close`), HTTP/1.0 or 1.1, no chunked bodies.
//!
//! Caps against a hostile or broken client: at most 32 connections at once
//! (above, closed unanswered); request head ≤ 16 KiB (else 431), body ≤ 64
//! KiB (a larger Content-Length gets 413 and close); 5 s to read a whole
//! request, and each write may block 5 s; [`Behaviour::Silent`] lasts as
//! long as the caller says (it ends early if the client hangs up or the
//! responder is dropped). The log keeps the first 4096 requests; later ones
//! are counted in [`Responder::dropped`] (`remove_prefix` frees room).

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use std::io::ErrorKind::{TimedOut, WouldBlock};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const MAX_CONNECTIONS: usize = 32;
const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 64 * 1024;
const MAX_LOG: usize = 4096;
const IO_TIMEOUT: Duration = Duration::from_secs(5);
const TICK: Duration = Duration::from_millis(50);
/// id-pkix-ocsp-nonce, 1.3.6.1.5.5.7.48.1.2 (OID content octets).
const ID_PKIX_OCSP_NONCE: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 0x30, 1, 2];
/// Base64 of GET requests: standard alphabet, padding optional.
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// An HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// Sent as Content-Type unless empty.
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Reply {
    const fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type,
            body,
        }
    }
    /// 200, `application/ocsp-response`.
    pub fn ocsp(body: Vec<u8>) -> Self {
        Self::new(200, "application/ocsp-response", body)
    }
    /// 200, `application/pkix-crl`.
    pub fn crl(body: Vec<u8>) -> Self {
        Self::new(200, "application/pkix-crl", body)
    }
    /// This status, no body.
    pub fn status(status: u16) -> Self {
        Self::new(status, "", Vec::new())
    }
}

/// Answers a DER OCSPRequest.
pub type OcspHandler = Arc<dyn Fn(&[u8]) -> Reply + Send + Sync>;

/// What a route does with a request.
#[derive(Clone)]
pub enum Behaviour {
    /// Called with the DER OCSPRequest: the POST body, or the GET path
    /// segment percent- then base64-decoded (empty or badly encoded: 400).
    Ocsp(OcspHandler),
    /// The same answer to any method.
    Reply(Reply),
    /// Reads the request, says nothing for this long, then closes.
    Silent(Duration),
    /// Reads the request, then closes without a word.
    Close,
    /// 200 with Content-Length `len`, then `len` bytes in 64 KiB chunks,
    /// stopping when the client goes away.
    Huge { len: usize },
}

impl std::fmt::Debug for Behaviour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ocsp(_) => f.write_str("Ocsp(..)"),
            Self::Reply(r) => write!(f, "Reply({})", r.status),
            Self::Silent(d) => write!(f, "Silent({d:?})"),
            Self::Close => f.write_str("Close"),
            Self::Huge { len } => write!(f, "Huge {{ len: {len} }}"),
        }
    }
}

/// One request that came: its method, target as sent, and declared
/// Content-Length (0 if none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub body_len: usize,
}

#[derive(Default)]
struct Shared {
    routes: Mutex<Vec<(String, Arc<Behaviour>)>>,
    log: Mutex<Vec<Logged>>,
    dropped: AtomicU64,
    stop: AtomicBool,
    active: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The loopback server; dropping it stops the accept thread and joins it.
pub struct Responder {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Responder({})", self.addr)
    }
}

impl Responder {
    /// Binds 127.0.0.1 on a free port and starts accepting.
    pub fn start() -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("ca-responder".into())
            .spawn(move || accept_loop(&listener, &s))?;
        let thread = Some(thread);
        Ok(Self {
            addr,
            shared,
            thread,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/path` (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Serves `path` this way, replacing any earlier behaviour for it. The
    /// match is exact, except that a GET below it (`path/...`, the OCSP GET
    /// form) reaches it too; the longest such route wins.
    pub fn route(&self, path: &str, behaviour: Behaviour) {
        let mut routes = lock(&self.shared.routes);
        routes.retain(|(p, _)| p != path);
        routes.push((path.to_owned(), Arc::new(behaviour)));
    }

    /// Removes the routes under `prefix` and forgets their logged requests.
    pub fn remove_prefix(&self, prefix: &str) {
        lock(&self.shared.routes).retain(|(p, _)| !p.starts_with(prefix));
        lock(&self.shared.log).retain(|l| !l.path.starts_with(prefix));
    }

    /// The logged requests whose target starts with `prefix`, in order.
    pub fn requests(&self, prefix: &str) -> Vec<Logged> {
        let log = lock(&self.shared.log);
        log.iter()
            .filter(|l| l.path.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// How many requests the full log could not keep.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Connections being served now (each has its own thread).
    pub fn open_connections(&self) -> usize {
        self.shared.active.load(Ordering::SeqCst)
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept; if even that fails, leave the thread be.
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok();
        if let Some(t) = self.thread.take().filter(|_| woke) {
            let _ = t.join();
        }
    }
}

/// Decrements the connection count however the connection's thread ends.
struct Slot(Arc<Shared>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        let stream = match listener.accept() {
            Ok((s, _)) => s,
            Err(_) => {
                std::thread::sleep(TICK); // e.g. out of descriptors
                continue;
            }
        };
        if shared.stop.load(Ordering::SeqCst)
            || shared.active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS
        {
            shared.active.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        let slot = Slot(Arc::clone(shared));
        let _ = std::thread::Builder::new()
            .name("ca-responder-conn".into())
            .spawn(move || serve(stream, &slot.0));
    }
}

/// A request: method, target (origin-form), body.
type Request = (String, String, Vec<u8>);

fn serve(mut s: TcpStream, shared: &Shared) {
    if s.set_write_timeout(Some(IO_TIMEOUT)).is_err() {
        return;
    }
    let req = match read_request(&mut s, shared) {
        Ok(r) => r,
        Err(Some(status)) => return send(&mut s, &Reply::status(status)),
        Err(None) => return,
    };
    let Some((behaviour, rest)) = lookup(shared, &req.0, &req.1) else {
        return send(&mut s, &Reply::status(404));
    };
    match (&*behaviour, req.0.as_str()) {
        (Behaviour::Ocsp(f), "POST" | "GET") => {
            let der = if req.0 == "POST" {
                Some(req.2)
            } else {
                decode_get(rest)
            };
            match der.filter(|d| !d.is_empty()) {
                Some(der) => send(&mut s, &f(&der)),
                None => send(&mut s, &Reply::status(400)),
            }
        }
        (Behaviour::Ocsp(_), _) => send(&mut s, &Reply::status(405)),
        (Behaviour::Reply(reply), _) => send(&mut s, reply),
        (Behaviour::Close, _) => {}
        (Behaviour::Silent(d), _) => silent(&mut s, *d, &shared.stop),
        (Behaviour::Huge { len }, _) => huge(&mut s, *len, &shared.stop),
    }
}

/// Reads one request within [`IO_TIMEOUT`] and logs it; `Err(Some(status))`
/// is an error to answer, `Err(None)` a connection to just close.
fn read_request(s: &mut TcpStream, shared: &Shared) -> Result<Request, Option<u16>> {
    let deadline = Instant::now() + IO_TIMEOUT;
    let (mut buf, mut from) = (Vec::new(), 0);
    let head_end = loop {
        let seen = buf.get(from..).unwrap_or_default();
        if let Some(i) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break from + i;
        }
        if buf.len() > MAX_HEAD {
            return Err(Some(431));
        }
        from = buf.len().saturating_sub(3);
        read_some(s, &mut buf, deadline).ok_or(None)?;
    };
    if head_end > MAX_HEAD {
        return Err(Some(431));
    }
    let head = String::from_utf8(buf[..head_end].to_vec()).map_err(|_| Some(400))?;
    let mut lines = head.split("\r\n");
    let mut words = lines.next().unwrap_or("").split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(Some(400));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(Some(400));
    }
    let mut len = 0usize;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(Some(400))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            len = value.parse().map_err(|_| Some(400))?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(Some(501));
        }
    }
    // An absolute-form target (a client that thinks we are its proxy).
    let target = match target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    let (method, target) = (method.to_owned(), target.to_owned());
    let mut log = lock(&shared.log);
    if log.len() < MAX_LOG {
        let (method, path) = (method.clone(), target.clone());
        log.push(Logged {
            method,
            path,
            body_len: len,
        });
    } else {
        shared.dropped.fetch_add(1, Ordering::Relaxed);
    }
    drop(log);
    if len > MAX_BODY {
        return Err(Some(413));
    }
    let start = head_end + 4;
    while buf.len() < start + len {
        read_some(s, &mut buf, deadline).ok_or(None)?;
    }
    let body = buf.get(start..start + len).unwrap_or_default().to_vec();
    Ok((method, target, body))
}

/// Reads more into `buf` before `deadline`; `None` on EOF, error or timeout.
fn read_some(s: &mut TcpStream, buf: &mut Vec<u8>, deadline: Instant) -> Option<()> {
    let left = deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())?;
    s.set_read_timeout(Some(left)).ok()?;
    let mut chunk = [0u8; 4096];
    match s.read(&mut chunk) {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buf.extend_from_slice(chunk.get(..n)?);
            Some(())
        }
    }
}

/// The route a request reaches, and for a GET below it the rest of the path.
fn lookup<'a>(shared: &Shared, method: &str, target: &'a str) -> Option<(Arc<Behaviour>, &'a str)> {
    let path = target.split('?').next().unwrap_or("");
    let routes = lock(&shared.routes);
    if let Some((_, b)) = routes.iter().find(|(p, _)| p == path) {
        return Some((Arc::clone(b), ""));
    }
    if method != "GET" {
        return None;
    }
    // RFC 6960 A.1: GET {url}/{url-encoding of base64 of the request}; the
    // longest route that is a prefix wins (base64 may hold a raw '/').
    routes
        .iter()
        .filter_map(|(p, b)| {
            let rest = path.strip_prefix(p.as_str())?;
            let rest = if p.ends_with('/') {
                rest
            } else {
                rest.strip_prefix('/')?
            };
            (!rest.is_empty()).then_some((p.len(), b, rest))
        })
        .max_by_key(|(n, _, _)| *n)
        .map(|(_, b, rest)| (Arc::clone(b), rest))
}

/// Percent-decodes then base64-decodes an OCSP GET segment.
fn decode_get(segment: &str) -> Option<Vec<u8>> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    B64.decode(out).ok()
}

fn send(s: &mut TcpStream, reply: &Reply) {
    let reason = match reply.status {
        200 => "OK",
        404 => "Not Found",
        413 => "Content Too Large",
        s if s >= 400 => "Error",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", reply.status);
    if !reply.content_type.is_empty() {
        head += &format!("Content-Type: {}\r\n", reply.content_type);
    }
    head += &format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        reply.body.len()
    );
    if s.write_all(head.as_bytes())
        .and_then(|()| s.write_all(&reply.body))
        .is_ok()
    {
        let _ = s.shutdown(Shutdown::Write);
    }
}

/// Says nothing for `d`, ending early if the peer closes or we stop.
fn silent(s: &mut TcpStream, d: Duration, stop: &AtomicBool) {
    let end = Instant::now() + d;
    let mut sink = [0u8; 1024];
    while let Some(left) = end
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
    {
        if stop.load(Ordering::SeqCst) || s.set_read_timeout(Some(left.min(TICK))).is_err() {
            return;
        }
        let waiting = |e: &io::Error| matches!(e.kind(), WouldBlock | TimedOut);
        match s.read(&mut sink) {
            Ok(n) if n > 0 => {}
            Err(e) if waiting(&e) => {}
            _ => return,
        }
    }
}

/// 200 with a `len`-byte body, until done, a write fails, or we stop.
fn huge(s: &mut TcpStream, len: usize, stop: &AtomicBool) {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    );
    let chunk = vec![0x30u8; 64 * 1024];
    let mut ok = s.write_all(head.as_bytes()).is_ok();
    let mut left = len;
    while ok && left > 0 && !stop.load(Ordering::SeqCst) {
        let k = left.min(chunk.len());
        ok = s.write_all(chunk.get(..k).unwrap_or_default()).is_ok();
        left -= k;
    }
}

/// The nonce (RFC 8954) of a DER OCSPRequest (RFC 6960 §4.1.1): the content
/// of the OCTET STRING inside the id-pkix-ocsp-nonce extension's extnValue.
/// `None` if there is none, or if the request is not strict DER as far as
/// the walk goes (it does not look inside the request list or signature).
pub fn request_nonce(der_request: &[u8]) -> Option<Vec<u8>> {
    let (ocsp_request, rest) = tlv(der_request, 0x30)?;
    let (tbs, signature) = tlv(ocsp_request, 0x30)?;
    if !rest.is_empty() || !signature.is_empty() && signature.first() != Some(&0xa0) {
        return None;
    }
    // TBSRequest: version [0], requestorName [1], requestList, extensions [2].
    let mut tbs = tbs;
    for tag in [0xa0, 0xa1] {
        if tbs.first() == Some(&tag) {
            tbs = tlv(tbs, tag)?.1;
        }
    }
    let (_list, tbs) = tlv(tbs, 0x30)?;
    if tbs.is_empty() {
        return None;
    }
    let (explicit, tail) = tlv(tbs, 0xa2)?;
    let (mut exts, after) = tlv(explicit, 0x30)?;
    if !tail.is_empty() || !after.is_empty() {
        return None;
    }
    let mut nonce = None;
    while !exts.is_empty() {
        let (ext, rest) = tlv(exts, 0x30)?;
        exts = rest;
        let (oid, mut ext) = tlv(ext, 0x06)?;
        if ext.first() == Some(&0x01) {
            ext = tlv(ext, 0x01)?.1;
        }
        let (value, end) = tlv(ext, 0x04)?;
        if !end.is_empty() {
            return None;
        }
        if oid == ID_PKIX_OCSP_NONCE {
            let (inner, end) = tlv(value, 0x04)?;
            if nonce.is_some() || !end.is_empty() {
                return None; // a repeated extension (RFC 5280 §4.2), or junk
            }
            nonce = Some(inner.to_vec());
        }
    }
    nonce
}

/// One DER TLV with this single-byte tag: (content, what follows). Minimal
/// definite lengths only.
fn tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, input) = input.split_first()?;
    let (&first, mut input) = input.split_first()?;
    if t != tag {
        return None;
    }
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if !(1..=4).contains(&n) {
            return None;
        }
        let (bytes, rest) = input.split_at_checked(n)?;
        input = rest;
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| acc << 8 | usize::from(b));
        if bytes.first() == Some(&0) || len < 0x80 {
            return None;
        }
        len
    };
    input.split_at_checked(len)
}
