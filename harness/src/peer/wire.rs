//! The blocking driver of the peer's sans-IO record layer (`record.rs`)
//! over a `Transport`: it sends what the core frames and seals, receives
//! with a timeout, and turns the target's alert or silence into an `Ending`.

use super::record::{self, RecordReader};
pub use super::record::{Ending, Incoming, Protect};
use super::transport::{recv_until, Recv, Transport};
use super::{mutate_and_hash, HsMsg, Milestone, Mutation};
use gauntlet_engine::enums::{AlertDescription, AlertLevel, ContentType, ProtocolVersion};
use std::fmt;
use std::time::{Duration, Instant};

/// The blocking record layer of the client and server flows.
pub struct Wire<'t> {
    t: &'t mut dyn Transport,
    /// The reading half (the target's keys once on, records counted).
    pub reader: RecordReader,
    timeout: Duration,
    pub write: Option<Protect>,
    /// Record version for what we send.
    pub version: u16,
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
    /// The furthest step the flow reached (`reach`).
    pub reached: Milestone,
}

impl fmt::Debug for Wire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wire")
            .field("records_in", &self.reader.records_in)
            .finish()
    }
}

impl<'t> Wire<'t> {
    pub fn new(t: &'t mut dyn Transport, timeout: Duration) -> Self {
        Self {
            t,
            reader: RecordReader::default(),
            timeout,
            write: None,
            version: ProtocolVersion::TLSv1_2.0,
            cork: false,
            pending: Vec::new(),
            answer_check: None,
            key_log: None,
            reached: Milestone::Start,
        }
    }

    /// The flow got to `step`: the target sent everything before it.
    pub fn reach(&mut self, step: Milestone) {
        self.reached = self.reached.max(step);
    }

    /// Records received so far.
    pub fn records_in(&self) -> usize {
        self.reader.records_in
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
            if self.reader.has_unread() {
                return Err(self.recv_ending());
            }
            match self.t.recv(self.reader.buffer(), wait) {
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
        record::record_bytes(self.write.as_mut(), typ, version, payload, nonce).map_err(Ending::Io)
    }

    /// Sends `payload` as records of at most `max` bytes each.
    pub fn send(&mut self, typ: u8, payload: &[u8], max: usize) -> Result<(), Ending> {
        let out = record::records(self.write.as_mut(), typ, self.version, payload, max)
            .map_err(Ending::Io)?;
        self.send_raw(&out)
    }

    /// Sends one handshake message through `mutations` (see
    /// `mutate_and_hash`), in records of at most `max` bytes.
    pub fn send_handshake(
        &mut self,
        transcript: &mut Vec<u8>,
        which: HsMsg,
        msg: &[u8],
        mutations: &[(HsMsg, Mutation)],
        max: usize,
    ) -> Result<(), Ending> {
        for m in mutate_and_hash(which, msg, mutations, transcript) {
            self.send(ContentType::Handshake.0, &m, max)?;
        }
        Ok(())
    }

    /// The next message from the target. Alerts end the conversation.
    pub fn recv(&mut self) -> Result<Incoming, Ending> {
        self.flush()?;
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.reader.next_item() {
                Some(Ok(Incoming::Alert { level, description })) => {
                    return Err(Ending::Alert { level, description })
                }
                Some(item) => return item,
                None => {}
            }
            match recv_until(self.t, self.reader.buffer(), deadline) {
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

    /// Sends an alert (sealed if keys are on).
    pub fn send_alert(&mut self, level: AlertLevel, desc: AlertDescription) -> Result<(), Ending> {
        self.send(
            ContentType::Alert.0,
            &super::build::alert(level.0, desc.0),
            2,
        )
    }
}
