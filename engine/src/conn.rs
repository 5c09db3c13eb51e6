//! The sans-IO connection: peer bytes and `now` in; bytes, events and
//! transcript steps out. `Core` owns the record layer, alerts and the
//! transcript; the handshake states (`state::client`, `state::server`) see
//! it through `Context`.

use crate::codec::Codec;
use crate::config::{ClientConfig, ServerConfig, Session, SessionCache};
use crate::crypto::MasterSecret;
use crate::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, HandshakeType, ProtocolVersion,
};
use crate::error::{Error, InvalidMessage, PeerMisbehaved};
use crate::msgs::{
    decode_handshake, AlertMessagePayload, ChangeCipherSpecPayload, HandshakeMessagePayload,
    HandshakePayload,
};
use crate::provider::{Provider, UnixTime};
use crate::record::protection::{RecordOpener, RecordSealer};
use crate::record::{
    fragment, Deframer, FloodGuard, HandshakeJoiner, MessageLimits, OpaqueRecord, RecordLimit,
};
use crate::state::{self, Message, State};
use crate::transcript::{Direction, StateId, Step, Transcript};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Events a driver may leave undrained (`poll_event`); the one that would
/// pass this, or [`MAX_QUEUED_EVENT_BYTES`], ends the connection with a
/// fatal internal_error (`Error::Internal`), and only its `Failed` event is
/// queued after it. A driver that drains after each `feed` of what one
/// socket read gave never comes near: one 16 KiB read yields at most ~550
/// events (1-byte AEAD records), and warning alerts and empty records are
/// bounded by `FloodGuard`. The cap is for a driver that does not drain:
/// its queue is an error, never growth.
pub const MAX_QUEUED_EVENTS: usize = 4096;
/// Application data bytes the undrained events may hold (see
/// [`MAX_QUEUED_EVENTS`]).
pub const MAX_QUEUED_EVENT_BYTES: usize = 4 << 20;

/// What a connection tells its driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    HandshakeComplete(HandshakeSummary),
    ApplicationData(Vec<u8>),
    /// A warning alert from the peer other than close_notify.
    PeerWarning(AlertDescription),
    /// The peer sent close_notify; we answered with ours.
    PeerClosed,
    /// The connection failed: our fatal alert went out (if the error has
    /// one), or the peer sent a fatal alert.
    Failed(Error),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeSummary {
    pub version: ProtocolVersion,
    pub suite: CipherSuite,
    pub extended_master_secret: bool,
    pub resumed: bool,
}

/// The role a connection plays in the handshake (and, in the harness, the
/// role of the target a case tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Open,
    /// close_notify went both ways (or the peer's arrived and ours answered).
    Closed,
    Failed,
}

/// State shared by both roles.
pub(crate) struct Core {
    pub(crate) side: Side,
    deframer: Deframer,
    /// What the deframer was told (limit, version), so a fresh one can
    /// replace it when idle.
    deframer_limit: RecordLimit,
    deframer_version: Option<ProtocolVersion>,
    /// The most bytes the deframer held since it was last renewed: a lower
    /// bound on the capacity it keeps.
    deframer_peak: usize,
    joiner: HandshakeJoiner,
    /// The header version of the last record received, for the transcript.
    last_record_version: ProtocolVersion,
    /// Bytes pushed into the joiner since it was last renewed: an upper
    /// bound on the capacity it keeps.
    joiner_peak: usize,
    /// Consecutive peer records that made no progress (CVE-2016-8610).
    floods: FloodGuard,
    read: Option<RecordOpener>,
    write: Option<RecordSealer>,
    /// Keys for the peer's direction, installed when its CCS arrives.
    pub(crate) pending_read: Option<RecordOpener>,
    out: Vec<u8>,
    /// Bounded by `MAX_QUEUED_EVENTS` and `MAX_QUEUED_EVENT_BYTES`.
    events: VecDeque<Event>,
    /// Application data bytes in `events`.
    event_bytes: usize,
    /// An event was refused at the cap: `process` fails the connection.
    events_overflowed: bool,
    pub(crate) transcript: Transcript,
    pub(crate) provider: Provider,
    /// Every handshake message so far (HelloRequest excluded), for hashes.
    /// Bounded by the fixed message sequence of one handshake, each message
    /// received within its `MessageLimits` cap: a client receives at most
    /// ServerHello, Certificate, CertificateRequest, ServerHelloDone and
    /// Finished (~300 KiB with the default Certificate cap), a server
    /// ClientHello, ClientKeyExchange and Finished (~192 KiB), each plus
    /// what it sends; emptied at completion.
    pub(crate) handshake_bytes: Vec<u8>,
    max_fragment: usize,
    status: Status,
    sent_close: bool,
    pub(crate) established: Option<HandshakeSummary>,
    /// Application data the user sent before the handshake finished.
    queued: Vec<Vec<u8>>,
    pub(crate) session: Option<Session>,
    /// Where a server stores sessions it completes.
    pub(crate) session_cache: Option<Arc<Mutex<SessionCache>>>,
    /// Client random and master secret, for the NSS key log.
    pub(crate) secrets: Option<([u8; 32], Arc<MasterSecret>)>,
    state: StateId,
    error: Option<Error>,
}

/// What a state may do to the connection while handling a message.
pub(crate) struct Context<'a> {
    pub(crate) core: &'a mut Core,
    pub(crate) now: UnixTime,
}

impl Core {
    fn new(
        side: Side,
        provider: Provider,
        max_fragment: usize,
        transcript: bool,
        limits: MessageLimits,
    ) -> Self {
        Self {
            side,
            deframer: Deframer::new(),
            deframer_limit: RecordLimit::Plaintext,
            deframer_version: None,
            deframer_peak: 0,
            joiner: HandshakeJoiner::new(limits),
            last_record_version: ProtocolVersion::TLSv1_2,
            joiner_peak: 0,
            floods: FloodGuard::default(),
            read: None,
            write: None,
            pending_read: None,
            out: Vec::new(),
            events: VecDeque::new(),
            event_bytes: 0,
            events_overflowed: false,
            transcript: Transcript::new(transcript),
            provider,
            handshake_bytes: Vec::new(),
            max_fragment,
            status: Status::Open,
            sent_close: false,
            established: None,
            queued: Vec::new(),
            session: None,
            session_cache: None,
            secrets: None,
            state: StateId::Start,
            error: None,
        }
    }

    /// Frames (and seals, once our CCS has gone) one message's plaintext.
    fn send_plain(&mut self, typ: ContentType, payload: &[u8]) -> Result<(), Error> {
        let version = ProtocolVersion::TLSv1_2;
        for part in fragment(payload, self.max_fragment) {
            let body = match &mut self.write {
                Some(sealer) => sealer.seal(typ, version, part)?,
                None => part.to_vec(),
            };
            OpaqueRecord {
                typ,
                version,
                payload: body,
            }
            .encode(&mut self.out);
        }
        Ok(())
    }

    fn log(
        &mut self,
        direction: Direction,
        typ: ContentType,
        what: String,
        decoded: impl FnOnce() -> String,
        bytes: &[u8],
    ) {
        if !self.transcript.is_enabled() {
            return;
        }
        // What we send is sealed once our CCS is out; what we receive was
        // opened once the peer's CCS arrived.
        let (version, protected) = match direction {
            Direction::Received => (self.last_record_version, self.read.is_some()),
            _ => (ProtocolVersion::TLSv1_2, self.write.is_some()),
        };
        self.transcript.push(Step {
            direction,
            record: Some((typ, version)),
            protected,
            what,
            decoded: Some(decoded()),
            bytes: bytes.to_vec(),
            state_before: self.state,
            state_after: self.state,
        });
    }

    /// Logs a secret (or other local decision) in the transcript.
    pub(crate) fn log_local(&mut self, what: &str, bytes: &[u8]) {
        if !self.transcript.is_enabled() {
            return;
        }
        self.transcript.push(Step {
            direction: Direction::Local,
            record: None,
            protected: false,
            what: what.to_string(),
            decoded: None,
            bytes: bytes.to_vec(),
            state_before: self.state,
            state_after: self.state,
        });
    }

    /// RFC 5246 §7.2.1: close_notify says we "will not send any more
    /// messages on this connection". Input is still processed (so the
    /// record layer stays in step and the peer's data and close_notify are
    /// read), but whatever it would make us send is dropped, and noted.
    fn closed_for_sending(&mut self, what: &str) -> bool {
        if self.sent_close {
            self.log_local(&format!("not sent after our close_notify: {what}"), &[]);
        }
        self.sent_close
    }

    /// Sends one handshake message and adds it to the handshake hash input.
    pub(crate) fn send_handshake(&mut self, msg: HandshakeMessagePayload) -> Result<(), Error> {
        let bytes = msg.get_encoding();
        self.handshake_bytes.extend_from_slice(&bytes);
        if self.closed_for_sending(&format!("{:?}", msg.typ)) {
            return Ok(());
        }
        self.log(
            Direction::Sent,
            ContentType::Handshake,
            format!("{:?}", msg.typ),
            || describe(&msg.payload),
            &bytes,
        );
        self.send_plain(ContentType::Handshake, &bytes)
    }

    /// Sends ChangeCipherSpec, then protects everything after it with `sealer`.
    pub(crate) fn send_ccs(&mut self, sealer: RecordSealer) -> Result<(), Error> {
        if self.closed_for_sending("ChangeCipherSpec") {
            return Ok(());
        }
        let bytes = ChangeCipherSpecPayload.get_encoding();
        self.log(
            Direction::Sent,
            ContentType::ChangeCipherSpec,
            "ChangeCipherSpec".into(),
            || "ChangeCipherSpecPayload".into(),
            &bytes,
        );
        self.send_plain(ContentType::ChangeCipherSpec, &bytes)?;
        self.write = Some(sealer);
        Ok(())
    }

    /// The peer's CCS arrived: its later records are protected.
    pub(crate) fn activate_read(&mut self) -> Result<(), Error> {
        let opener = self
            .pending_read
            .take()
            .ok_or(Error::Internal("no pending read keys at ChangeCipherSpec"))?;
        self.read = Some(opener);
        self.deframer.set_limit(RecordLimit::Ciphertext);
        self.deframer_limit = RecordLimit::Ciphertext;
        Ok(())
    }

    pub(crate) fn set_record_version(&mut self, version: ProtocolVersion) {
        self.deframer.set_version(version);
        self.deframer_version = Some(version);
    }

    pub(crate) fn send_alert(&mut self, level: AlertLevel, description: AlertDescription) {
        if self.closed_for_sending(&format!("Alert {description:?}")) {
            return;
        }
        let alert = AlertMessagePayload { level, description };
        let bytes = alert.get_encoding();
        self.log(
            Direction::Sent,
            ContentType::Alert,
            format!("Alert {description:?}"),
            || format!("{alert:#?}"),
            &bytes,
        );
        // A sealing failure here can only be sequence exhaustion; the
        // connection is ending either way.
        let _ = self.send_plain(ContentType::Alert, &bytes);
    }

    pub(crate) fn complete(&mut self, summary: HandshakeSummary) -> Result<(), Error> {
        self.established = Some(summary.clone());
        self.emit(Event::HandshakeComplete(summary));
        // The hash input is only needed during the handshake.
        self.handshake_bytes = Vec::new();
        for data in std::mem::take(&mut self.queued) {
            self.send_app_data(&data)?;
        }
        Ok(())
    }

    fn send_app_data(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.closed_for_sending("ApplicationData") {
            return Ok(());
        }
        self.log(
            Direction::Sent,
            ContentType::ApplicationData,
            "ApplicationData".into(),
            || format!("{} bytes", data.len()),
            data,
        );
        self.send_plain(ContentType::ApplicationData, data)
    }

    /// Gives back buffers sized by past traffic once they are empty, so an
    /// idle connection holds a few KiB whatever it carried before (a full
    /// record leaves ~18 KiB in the deframer, a message up to its
    /// `MessageLimits` cap plus a record in the joiner). Small ones are kept
    /// to avoid churn.
    fn release_idle_buffers(&mut self) {
        const KEEP: usize = 4096;
        if self.deframer_peak > KEEP && self.deframer.buffered() == 0 {
            let mut fresh = Deframer::new();
            fresh.set_limit(self.deframer_limit);
            if let Some(v) = self.deframer_version {
                fresh.set_version(v);
            }
            self.deframer = fresh;
            self.deframer_peak = 0;
        }
        if self.joiner_peak > KEEP && self.joiner.is_empty() {
            self.joiner = HandshakeJoiner::new(self.joiner.limits());
            self.joiner_peak = 0;
        }
        if self.out.is_empty() && self.out.capacity() > KEEP {
            self.out = Vec::new();
        }
    }

    /// Queues `event` for the driver, unless the queue is at its cap
    /// (`MAX_QUEUED_EVENTS`): then it is dropped and `process` fails the
    /// connection with internal_error, so nothing is lost silently.
    pub(crate) fn emit(&mut self, event: Event) {
        let bytes = match &event {
            Event::ApplicationData(d) => d.len(),
            _ => 0,
        };
        if self.events.len() >= MAX_QUEUED_EVENTS
            || self.event_bytes.saturating_add(bytes) > MAX_QUEUED_EVENT_BYTES
        {
            self.events_overflowed = true;
            return;
        }
        self.event_bytes += bytes;
        self.events.push_back(event);
    }

    fn pop_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front()?;
        if let Event::ApplicationData(d) = &event {
            self.event_bytes = self.event_bytes.saturating_sub(d.len());
        }
        Some(event)
    }

    /// Ends the connection for `err`: its alert goes out once, then nothing.
    fn fail(&mut self, err: Error) {
        if self.status == Status::Failed {
            return;
        }
        // (After our close_notify, send_alert drops it: RFC 5246 §7.2.1.)
        if let Some(alert) = err.alert() {
            self.send_alert(AlertLevel::Fatal, alert);
        }
        self.log_local(&format!("error: {err}"), &[]);
        self.status = Status::Failed;
        self.error = Some(err.clone());
        // The one event past the queue's cap: the connection's last.
        self.events.push_back(Event::Failed(err));
    }
}

/// One connection, client or server.
pub struct Connection {
    core: Core,
    state: Option<Box<dyn State>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("side", &self.core.side)
            .field("state", &self.core.state)
            .field("status", &self.core.status)
            .finish()
    }
}

impl Connection {
    /// A client; its ClientHello is ready to write at once. `resume` offers
    /// a session from an earlier connection to the same server.
    pub fn client(
        config: Arc<ClientConfig>,
        server_name: &str,
        provider: Provider,
        resume: Option<Session>,
    ) -> Result<Self, Error> {
        let mut core = Core::new(
            Side::Client,
            provider,
            config.max_fragment,
            config.transcript,
            MessageLimits {
                certificate: config.max_certificate_message,
            },
        );
        let state = state::client::start(&mut core, config, server_name.to_string(), resume)?;
        core.state = state.id();
        Ok(Self {
            core,
            state: Some(state),
        })
    }

    pub fn server(config: Arc<ServerConfig>, provider: Provider) -> Self {
        // Our server never requests a certificate, so a Certificate is
        // unexpected_message before its length matters: default caps.
        let mut core = Core::new(
            Side::Server,
            provider,
            config.max_fragment,
            config.transcript,
            MessageLimits::default(),
        );
        core.session_cache = config.session_cache.clone();
        let state = state::server::start(config);
        core.state = state.id();
        Self {
            core,
            state: Some(state),
        }
    }

    pub fn side(&self) -> Side {
        self.core.side
    }

    /// Offers peer bytes; returns how many were taken (at most one record's
    /// worth is buffered: call `process` and offer the rest again).
    pub fn read_tls(&mut self, bytes: &[u8]) -> usize {
        if self.core.status != Status::Open {
            return bytes.len();
        }
        let n = self.core.deframer.read(bytes);
        self.core.deframer_peak = self.core.deframer_peak.max(self.core.deframer.buffered());
        n
    }

    /// Offers all of `bytes`, processing as it goes.
    pub fn feed(&mut self, mut bytes: &[u8], now: UnixTime) {
        loop {
            let n = self.read_tls(bytes);
            bytes = &bytes[n..];
            self.process(now);
            if bytes.is_empty() || (n == 0 && self.core.deframer.buffered() == 0) {
                break;
            }
        }
    }

    /// Handles every complete record buffered so far.
    pub fn process(&mut self, now: UnixTime) {
        while self.core.status == Status::Open {
            match self.step(now) {
                Ok(true) if self.core.events_overflowed => {
                    self.core.fail(Error::Internal(
                        "event queue cap reached: events not drained",
                    ));
                    break;
                }
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    self.core.fail(e);
                    break;
                }
            }
        }
        self.core.release_idle_buffers();
    }

    /// Bytes to send to the peer, drained.
    pub fn write_tls(&mut self, out: &mut Vec<u8>) {
        if out.is_empty() {
            // Hand our buffer over rather than copy it and keep its capacity.
            std::mem::swap(out, &mut self.core.out);
        } else {
            out.append(&mut self.core.out);
        }
        self.core.release_idle_buffers();
    }

    pub fn wants_write(&self) -> bool {
        !self.core.out.is_empty()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.core.pop_event()
    }

    /// Sends application data (queued until the handshake completes).
    pub fn send(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.core.status != Status::Open || self.core.sent_close {
            return Err(Error::InappropriateState("connection is closed"));
        }
        if self.core.established.is_none() {
            self.core.queued.push(data.to_vec());
            return Ok(());
        }
        self.core.send_app_data(data)
    }

    /// Sends close_notify (RFC 5246 §7.2.1).
    pub fn close(&mut self) {
        if self.core.status == Status::Open && !self.core.sent_close {
            self.core
                .send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
            self.core.sent_close = true;
        }
    }

    pub fn is_handshaking(&self) -> bool {
        self.core.established.is_none() && self.core.status == Status::Open
    }

    pub fn is_closed(&self) -> bool {
        self.core.status != Status::Open
    }

    pub fn handshake(&self) -> Option<&HandshakeSummary> {
        self.core.established.as_ref()
    }

    /// The error that ended the connection, if one did.
    pub fn error(&self) -> Option<&Error> {
        self.core.error.as_ref()
    }

    /// The session to resume later (client) or that was stored (server).
    pub fn session(&self) -> Option<&Session> {
        self.core.session.as_ref()
    }

    /// The master secret once keys are derived (as in the key log line).
    pub fn master_secret(&self) -> Option<&MasterSecret> {
        self.core.secrets.as_ref().map(|(_, master)| &**master)
    }

    /// The NSS key log line (`CLIENT_RANDOM …`) once keys are derived.
    pub fn key_log_line(&self) -> Option<String> {
        let (random, master) = self.core.secrets.as_ref()?;
        Some(crate::crypto::key_log_line(random, master))
    }

    pub fn transcript(&self) -> &Transcript {
        &self.core.transcript
    }

    /// The state awaiting the next message.
    pub fn state(&self) -> StateId {
        self.core.state
    }

    /// Its name, as transcripts render it.
    pub fn state_name(&self) -> &'static str {
        self.core.state.name()
    }

    /// One unit of work: a buffered handshake message, else one record.
    /// `Ok(false)` when nothing complete is buffered.
    fn step(&mut self, now: UnixTime) -> Result<bool, Error> {
        // The type first (the state must await it), then the length (its
        // cap, in `pop`), then the body (`decode_handshake`).
        if let Some(typ) = self.core.joiner.pending_type() {
            self.check_awaited(typ)?;
        }
        if let Some(raw) = self.core.joiner.pop()? {
            let parsed = decode_handshake(&raw)?;
            if self.ignores_hello_request(parsed.typ) {
                self.core.log(
                    Direction::Received,
                    ContentType::Handshake,
                    "HelloRequest (ignored while negotiating)".into(),
                    || describe(&parsed.payload),
                    &raw,
                );
                self.core.floods.ignored_hello_request()?;
                return Ok(true);
            }
            // Once established, a handshake message is a renegotiation
            // request (the only types `Traffic` awaits), refused: no progress.
            match self.core.established {
                Some(_) => self.core.floods.renegotiation_request()?,
                None => self.core.floods.progress(),
            }
            self.dispatch(
                now,
                ContentType::Handshake,
                Message::Handshake { parsed, raw },
            )?;
            return Ok(true);
        }
        let Some(record) = self.core.deframer.pop()? else {
            return Ok(false);
        };
        self.core.last_record_version = record.version;
        let plain = match &mut self.core.read {
            Some(opener) => opener
                .open(record.typ, record.version, &record.payload)
                .map_err(|e| match e {
                    Error::DecryptError => Error::PeerMisbehaved(PeerMisbehaved::BadRecordMac),
                    other => other,
                })?,
            None => record.payload,
        };
        OpaqueRecord::check_plaintext(record.typ, plain.len())?;
        if record.typ != ContentType::Handshake && !self.core.joiner.is_empty() {
            return Err(InvalidMessage::InterleavedHandshake(record.typ).into());
        }
        match record.typ {
            ContentType::Handshake => {
                self.core.joiner.push(&plain)?;
                self.core.joiner_peak += plain.len();
            }
            ContentType::ChangeCipherSpec => {
                ChangeCipherSpecPayload::read_bytes(&plain)?;
                self.core.floods.progress();
                self.core.log(
                    Direction::Received,
                    ContentType::ChangeCipherSpec,
                    "ChangeCipherSpec".into(),
                    || "ChangeCipherSpecPayload".into(),
                    &plain,
                );
                self.dispatch(now, record.typ, Message::ChangeCipherSpec)?;
            }
            ContentType::Alert => self.handle_alert(&plain)?,
            ContentType::ApplicationData => {
                // RFC 5246 §6.2.1 allows empty ones; a run of them is bounded.
                match plain.is_empty() {
                    true => self.core.floods.empty_record()?,
                    false => self.core.floods.progress(),
                }
                self.core.log(
                    Direction::Received,
                    ContentType::ApplicationData,
                    "ApplicationData".into(),
                    || format!("{} bytes", plain.len()),
                    &plain,
                );
                self.dispatch(now, record.typ, Message::ApplicationData(plain))?;
            }
            // The deframer admits no other type.
            other => return Err(InvalidMessage::UnknownContentType(other).into()),
        }
        Ok(true)
    }

    /// RFC 5246 §7.4.1.1: a client ignores HelloRequest while it
    /// negotiates, and HelloRequest is never in the handshake hash. (Once
    /// established, `Traffic` refuses it with a warning.)
    fn ignores_hello_request(&self, typ: HandshakeType) -> bool {
        self.core.side == Side::Client
            && typ == HandshakeType::HelloRequest
            && self.core.established.is_none()
    }

    /// RFC 5246 §7.4 and §7.2.2 ("unexpected_message: An inappropriate
    /// message was received"): a handshake type the current state does not
    /// await, unassigned types included (§7.4 and Appendix A.4 give them no
    /// meaning; OpenSSL and BoringSSL send unexpected_message), is refused
    /// from the header, whatever the length or body that follow.
    fn check_awaited(&self, typ: HandshakeType) -> Result<(), Error> {
        if self.ignores_hello_request(typ) {
            return Ok(());
        }
        let awaits = self
            .state
            .as_ref()
            .ok_or(Error::Internal("no state to judge a message"))?
            .awaits();
        if awaits.handshake.contains(&typ) {
            return Ok(());
        }
        Err(PeerMisbehaved::UnexpectedMessage {
            expected: awaits.what,
            got: ContentType::Handshake,
            handshake: Some(typ),
        }
        .into())
    }

    fn dispatch(&mut self, now: UnixTime, typ: ContentType, msg: Message) -> Result<(), Error> {
        if let Message::Handshake { parsed, raw } = &msg {
            self.core.log(
                Direction::Received,
                typ,
                format!("{:?}", parsed.typ),
                || describe(&parsed.payload),
                raw,
            );
        }

        let state = self
            .state
            .take()
            .ok_or(Error::Internal("no state to handle a message"))?;
        let before = state.id();
        let mut cx = Context {
            core: &mut self.core,
            now,
        };
        let next = state.handle(&mut cx, msg)?;
        let after = next.id();
        if before != after {
            self.core.transcript.push(Step {
                direction: Direction::Local,
                record: None,
                protected: false,
                what: "state".into(),
                decoded: None,
                bytes: Vec::new(),
                state_before: before,
                state_after: after,
            });
        }
        self.core.state = after;
        self.state = Some(next);
        Ok(())
    }

    fn handle_alert(&mut self, plain: &[u8]) -> Result<(), Error> {
        let alert = AlertMessagePayload::read_bytes(plain)?;
        self.core.log(
            Direction::Received,
            ContentType::Alert,
            format!("Alert {:?}", alert.description),
            || format!("{alert:#?}"),
            plain,
        );
        match (alert.level, alert.description) {
            (AlertLevel::Warning, AlertDescription::CloseNotify) => {
                if !self.core.sent_close {
                    self.core
                        .send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
                    self.core.sent_close = true;
                }
                self.core.status = Status::Closed;
                self.core.emit(Event::PeerClosed);
            }
            (AlertLevel::Warning, desc) => {
                self.core.floods.warning_alert()?;
                self.core.emit(Event::PeerWarning(desc));
            }
            (AlertLevel::Fatal, desc) => {
                let err = Error::AlertReceived(desc);
                self.core.status = Status::Failed;
                self.core.error = Some(err.clone());
                self.core.emit(Event::Failed(err));
            }
            _ => return Err(InvalidMessage::IllegalValue("alert level").into()),
        }
        Ok(())
    }
}

/// A handshake message's decoded form for the transcript: the Debug form,
/// except Finished, whose verify_data reads better as hex than as a column
/// of decimal bytes.
fn describe(payload: &HandshakePayload) -> String {
    match payload {
        HandshakePayload::Finished(vd) => {
            let hex: String = vd.iter().map(|b| format!("{b:02x}")).collect();
            format!("Finished(\n    verify_data: {hex},\n)")
        }
        other => format!("{other:#?}"),
    }
}
