//! The scripted peers' record layer: permissive (it can send any bytes and
//! reads whatever the target sends without judging it), but it keeps real
//! keys so it can still seal and open records while misbehaving.

use super::transport::{recv_until, Recv, Transport};
use gauntlet_engine::enums::{AlertDescription, AlertLevel, ContentType, ProtocolVersion};
use gauntlet_engine::record::protection::{open_record, seal_record, GcmKey};
use std::fmt;
use std::time::{Duration, Instant};

/// One direction's keys and sequence number.
pub struct Protect {
    key: GcmKey,
    salt: [u8; 4],
    pub seq: u64,
}

impl fmt::Debug for Protect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Protect {{ seq: {} }}", self.seq)
    }
}

impl Protect {
    pub fn new(key: &[u8], salt: [u8; 4]) -> Result<Self, String> {
        Ok(Self {
            key: GcmKey::new(key).map_err(|e| e.to_string())?,
            salt,
            seq: 0,
        })
    }

    /// Seals with the sequence number as explicit nonce, or `nonce` if given.
    pub fn seal(
        &mut self,
        typ: u8,
        version: u16,
        plaintext: &[u8],
        nonce: Option<[u8; 8]>,
    ) -> Result<Vec<u8>, String> {
        let explicit = nonce.unwrap_or(self.seq.to_be_bytes());
        let out = seal_record(
            &self.key,
            &self.salt,
            &explicit,
            self.seq,
            ContentType(typ),
            ProtocolVersion(version),
            plaintext,
        )
        .map_err(|e| e.to_string())?;
        self.seq += 1;
        Ok(out)
    }

    pub fn open(&mut self, typ: u8, version: u16, fragment: &[u8]) -> Option<Vec<u8>> {
        let out = open_record(
            &self.key,
            &self.salt,
            self.seq,
            ContentType(typ),
            ProtocolVersion(version),
            fragment,
        )
        .ok()?;
        self.seq += 1;
        Some(out)
    }
}

/// A message from the target, as the scripted peer reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// Header included in `raw`.
    Handshake {
        typ: u8,
        raw: Vec<u8>,
    },
    ChangeCipherSpec(Vec<u8>),
    ApplicationData(Vec<u8>),
}

/// How the target's side of a conversation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It sent an alert record (after which we stop reading).
    Alert { level: u8, description: u8 },
    /// It closed the connection without an alert.
    Eof,
    /// It sent nothing within the timeout.
    Timeout,
    /// It sent a record we could not authenticate or parse.
    Garbled(String),
    /// Our side failed (socket error).
    Io(String),
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Alert { level, description } => write!(
                f,
                "{} alert {:?}",
                if *level == 2 { "fatal" } else { "warning" },
                AlertDescription(*description)
            ),
            Ending::Eof => f.write_str("connection closed without an alert"),
            Ending::Timeout => f.write_str("no answer within the timeout"),
            Ending::Garbled(s) => write!(f, "unreadable record: {s}"),
            Ending::Io(s) => write!(f, "socket error: {s}"),
        }
    }
}

/// The scripted peer's record layer.
pub struct Wire<'t> {
    t: &'t mut dyn Transport,
    inbuf: Vec<u8>,
    hs: Vec<u8>,
    timeout: Duration,
    pub read: Option<Protect>,
    pub write: Option<Protect>,
    /// Record version for what we send.
    pub version: u16,
    /// Records received so far (for "same point, same record count").
    pub records_in: usize,
    /// While set, sends are held and go out as one write at the next
    /// `flush` or `recv` (a coalesced flight).
    pub cork: bool,
    pending: Vec<u8>,
    /// While set, each write first waits this long for anything from the
    /// target, and a target that already answered (an alert, a close) ends
    /// the conversation there. For flights sent in separate writes, to
    /// which a server says nothing until the last message: writing into a
    /// socket the target has closed makes its kernel reset the connection,
    /// which can discard the alert it sent before we read it.
    pub answer_check: Option<Duration>,
    /// The NSS key log line once the master secret is known, for
    /// reproducer bundles (Wireshark decrypts the capture with it).
    pub key_log: Option<String>,
}

impl fmt::Debug for Wire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wire")
            .field("records_in", &self.records_in)
            .finish()
    }
}

impl<'t> Wire<'t> {
    pub fn new(t: &'t mut dyn Transport, timeout: Duration) -> Self {
        Self {
            t,
            inbuf: Vec::new(),
            hs: Vec::new(),
            timeout,
            read: None,
            write: None,
            version: ProtocolVersion::TLSv1_2.0,
            records_in: 0,
            cork: false,
            pending: Vec::new(),
            answer_check: None,
            key_log: None,
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), Ending> {
        if self.cork {
            self.pending.extend_from_slice(bytes);
            return Ok(());
        }
        self.write(bytes)
    }

    /// Sends what `cork` held back.
    pub fn flush(&mut self) -> Result<(), Ending> {
        self.cork = false;
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return Ok(());
        }
        self.write(&pending)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Ending> {
        if let Some(wait) = self.answer_check {
            if !self.inbuf.is_empty() {
                return Err(self.recv_ending());
            }
            match self.t.recv(&mut self.inbuf, wait) {
                Ok(Recv::Timeout) => {}
                Ok(Recv::Data(_)) | Ok(Recv::Eof) => return Err(self.recv_ending()),
                Err(e) => return Err(Ending::Io(e.to_string())),
            }
        }
        match self.t.send(bytes) {
            Ok(()) => Ok(()),
            // The target hung up, probably after an alert that is still
            // unread: what it said is the ending, not our failed write.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                ) =>
            {
                Err(self.recv_ending())
            }
            Err(e) => Err(Ending::Io(e.to_string())),
        }
    }

    /// One record with an explicit header, sealed if our keys are on.
    pub fn record_bytes(
        &mut self,
        typ: u8,
        version: u16,
        payload: &[u8],
        nonce: Option<[u8; 8]>,
    ) -> Result<Vec<u8>, Ending> {
        let body = match &mut self.write {
            Some(p) => p.seal(typ, version, payload, nonce).map_err(Ending::Io)?,
            None => payload.to_vec(),
        };
        let mut out = vec![typ];
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Sends `payload` as records of at most `max` bytes each.
    pub fn send(&mut self, typ: u8, payload: &[u8], max: usize) -> Result<(), Ending> {
        let version = self.version;
        let mut out = Vec::new();
        let chunks: Vec<&[u8]> = if payload.is_empty() {
            vec![payload]
        } else {
            payload.chunks(max.max(1)).collect()
        };
        for c in chunks {
            out.extend(self.record_bytes(typ, version, c, None)?);
        }
        self.send_raw(&out)
    }

    /// The next message from the target. Alerts end the conversation.
    pub fn recv(&mut self) -> Result<Incoming, Ending> {
        self.flush()?;
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(m) = self.pop_handshake() {
                return Ok(m);
            }
            if let Some((typ, version, body)) = self.pop_record() {
                self.records_in += 1;
                let plain = match &mut self.read {
                    Some(p) => p.open(typ, version, &body).ok_or_else(|| {
                        Ending::Garbled(format!(
                            "record {} ({:?}) does not authenticate",
                            self.records_in,
                            ContentType(typ)
                        ))
                    })?,
                    None => body,
                };
                match ContentType(typ) {
                    ContentType::Handshake => self.hs.extend_from_slice(&plain),
                    ContentType::ChangeCipherSpec => return Ok(Incoming::ChangeCipherSpec(plain)),
                    ContentType::ApplicationData => return Ok(Incoming::ApplicationData(plain)),
                    ContentType::Alert => {
                        return match plain.as_slice() {
                            [level, description] => Err(Ending::Alert {
                                level: *level,
                                description: *description,
                            }),
                            _ => Err(Ending::Garbled(format!("alert of {} bytes", plain.len()))),
                        }
                    }
                    other => return Err(Ending::Garbled(format!("record type {other:?}"))),
                }
                continue;
            }
            match recv_until(self.t, &mut self.inbuf, deadline) {
                Ok(Recv::Data(_)) => {}
                Ok(Recv::Eof) => return Err(Ending::Eof),
                Ok(Recv::Timeout) => return Err(Ending::Timeout),
                Err(e) => return Err(Ending::Io(e.to_string())),
            }
        }
    }

    /// Reads until the target ends the conversation (alert, close, timeout).
    pub fn recv_ending(&mut self) -> Ending {
        // Bounded: a target that keeps talking is cut off.
        for _ in 0..10_000 {
            if let Err(e) = self.recv() {
                return e;
            }
        }
        Ending::Garbled("target kept sending without ending".into())
    }

    fn pop_record(&mut self) -> Option<(u8, u16, Vec<u8>)> {
        let h = self.inbuf.get(..5)?;
        let len = usize::from(u16::from_be_bytes([h[3], h[4]]));
        let typ = h[0];
        let version = u16::from_be_bytes([h[1], h[2]]);
        if self.inbuf.len() < 5 + len {
            return None;
        }
        let body = self.inbuf[5..5 + len].to_vec();
        self.inbuf.drain(..5 + len);
        Some((typ, version, body))
    }

    fn pop_handshake(&mut self) -> Option<Incoming> {
        let h = self.hs.get(..4)?;
        let len = (usize::from(h[1]) << 16) | (usize::from(h[2]) << 8) | usize::from(h[3]);
        if self.hs.len() < 4 + len {
            return None;
        }
        let raw: Vec<u8> = self.hs.drain(..4 + len).collect();
        Some(Incoming::Handshake { typ: raw[0], raw })
    }

    /// Sends an alert (sealed if keys are on).
    pub fn send_alert(&mut self, level: AlertLevel, desc: AlertDescription) -> Result<(), Ending> {
        self.send(ContentType::Alert.0, &[level.0, desc.0], 2)
    }
}
