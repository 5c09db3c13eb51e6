//! One recorded TLS 1.2 session checked byte for byte against the reference
//! derivation, with engine primitives only (no `Connection`): both byte
//! streams deframed and joined the way a receiver reads them, every message
//! decoded strictly and in the order RFC 5246 §7.3 draws, the master secret
//! derived (from the server's RSA key, or taken from the key log; both when
//! both are given, and they must agree), the key block re-derived, every
//! protected record opened under its sequence number, both Finished
//! verified, and the record-layer rules checked: lengths, zero-length
//! fragments, a GCM explicit nonce never reused under one key, CCS
//! placement, alerts, and close_notify at the end.
//!
//! The result is [`Outcome::Conforms`], the first [`Deviation`] (which side,
//! which record, the RFC clause), or [`Outcome::Unchecked`] when the
//! recording cannot decide (no key for the session, bytes the capture lost,
//! a suite this reference does not derive).
//!
//! Caps: application data is kept up to [`MAX_APP_DATA_KEPT`] bytes per
//! direction (the rest is only counted); explicit nonces are remembered for
//! the first [`MAX_NONCES`] records per direction (later ones are not
//! checked for reuse, and the summary says so).

use super::keylog::KeyLog;
use gauntlet_engine::codec::Codec;
use gauntlet_engine::crypto::sig::{self, Scheme};
use gauntlet_engine::crypto::{
    decrypt_premaster, extended_master_secret, key_block, kx, master_secret, verify_data, Aead,
    KeyExchange, MasterSecret, Premaster, PrfHash, RsaDecrypt, SuiteParams, CLIENT_FINISHED,
    SERVER_FINISHED,
};
use gauntlet_engine::enums::{
    AlertDescription, AlertLevel, ContentType, ExtensionType, HandshakeType, ProtocolVersion,
};
use gauntlet_engine::msgs::{
    decode_handshake, AlertMessagePayload, ChangeCipherSpecPayload, ClientExtension,
    HandshakeMessagePayload, HandshakePayload, ServerKeyExchangePayload,
};
use gauntlet_engine::record::protection::RecordOpener;
use gauntlet_engine::record::{Deframer, HandshakeJoiner, RecordLimit, MAX_PLAINTEXT};
use gauntlet_engine::Provider;
use std::collections::{HashSet, VecDeque};
use std::fmt;

/// Application data bytes kept per direction for the caller (1 MiB).
pub const MAX_APP_DATA_KEPT: usize = 1 << 20;
/// Records per direction whose explicit nonce is remembered.
pub const MAX_NONCES: usize = 1 << 20;

/// Which end sent a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    Client,
    Server,
}

impl fmt::Display for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sender::Client => "client",
            Sender::Server => "server",
        })
    }
}

/// How one direction's byte stream ended in the recording.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StreamEnd {
    /// The sender closed (FIN) or reset the connection.
    Closed,
    /// The recording stops with the connection still open.
    #[default]
    Open,
    /// The capture lost bytes: the stream stops at the hole.
    Lost,
}

/// One direction of a recorded session.
#[derive(Clone, Copy, Debug)]
pub struct Stream<'a> {
    pub bytes: &'a [u8],
    pub end: StreamEnd,
}

/// What the checker may use to find the master secret.
#[derive(Clone, Copy, Default)]
pub struct Secrets<'a> {
    pub keylog: Option<&'a KeyLog>,
    /// The server's RSA key: RSA key exchange is then derived from the
    /// premaster, independently of the key log.
    pub server_key: Option<&'a dyn RsaDecrypt>,
}

impl fmt::Debug for Secrets<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("keylog", &self.keylog.is_some())
            .field("server_key", &self.server_key.is_some())
            .finish()
    }
}

/// The first deviation from RFC 5246 (or a related RFC) in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    pub from: Sender,
    /// The 1-based record number in that direction (0: before any record).
    pub record: usize,
    pub clause: &'static str,
    pub what: String,
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} record #{} ({}): {}",
            self.from, self.record, self.clause, self.what
        )
    }
}

/// A session that conforms, summarised.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// The ClientHello's random (the key log's key).
    pub client_random: [u8; 32],
    pub suite: u16,
    pub ems: bool,
    pub resumed: bool,
    /// Records read from the client and from the server.
    pub records: [usize; 2],
    /// Where the master secret came from.
    pub secret: &'static str,
    /// Application data records each way (client's, server's), up to the cap.
    pub app_data: [Vec<Vec<u8>>; 2],
    /// How each side ended: "close_notify", "fatal alert X", "open", ….
    pub endings: [String; 2],
    /// Things worth saying that are not deviations.
    pub notes: Vec<String>,
}

/// The verdict on one session.
#[derive(Debug, Clone)]
pub enum Outcome {
    Conforms(Summary),
    Deviation(Deviation),
    /// The recording cannot decide, and why.
    Unchecked(String),
}

/// Why a direction stopped: a deviation, a limit of the recording, or a
/// fatal alert where a handshake message was due (the sender's right).
enum Stop {
    Deviation(Deviation),
    Unchecked(String),
    Ended(Sender, usize, AlertDescription),
}

type Check<T> = Result<T, Stop>;

/// What one direction delivers next, after decryption.
enum Item {
    /// A whole handshake message: its bytes (for the transcript) and decoded.
    Handshake(Vec<u8>, HandshakeMessagePayload),
    ChangeCipherSpec,
    Alert(AlertMessagePayload),
    ApplicationData(Vec<u8>),
}

impl Item {
    fn describe(&self) -> String {
        match self {
            Item::Handshake(_, m) => format!("{:?}", m.typ),
            Item::ChangeCipherSpec => "ChangeCipherSpec".into(),
            Item::Alert(a) => format!("alert {:?} {:?}", a.level, a.description),
            Item::ApplicationData(d) => format!("application_data ({} bytes)", d.len()),
        }
    }
}

/// RFC 5246 §7.2.2 descriptions that are "always fatal" (or "a fatal
/// error"): sent at warning level they break the RFC.
const ALWAYS_FATAL: &[AlertDescription] = &[
    AlertDescription::UnexpectedMessage,
    AlertDescription::BadRecordMac,
    AlertDescription::RecordOverflow,
    AlertDescription::DecompressionFailure,
    AlertDescription::HandshakeFailure,
    AlertDescription::IllegalParameter,
    AlertDescription::UnknownCa,
    AlertDescription::AccessDenied,
    AlertDescription::DecodeError,
    AlertDescription::ProtocolVersion,
    AlertDescription::InsufficientSecurity,
    AlertDescription::InternalError,
    AlertDescription::UnsupportedExtension,
];

/// One direction's byte stream, read the way a receiver would: at most one
/// record at a time from the deframer, handshake records through the joiner,
/// everything after ChangeCipherSpec through the opener.
struct Flow<'a> {
    from: Sender,
    stream: Stream<'a>,
    offered: usize,
    deframer: Deframer,
    joiner: HandshakeJoiner,
    pending: VecDeque<Vec<u8>>,
    opener: Option<RecordOpener>,
    nonces: HashSet<[u8; 8]>,
    nonces_full: bool,
    /// Records popped so far; the current record's 1-based number.
    records: usize,
    /// `records` when protection started: the sequence number is the count since.
    protected_after: usize,
    /// A fatal alert or close_notify this side sent, which must be its last record.
    ended_by: Option<AlertMessagePayload>,
    app_kept: usize,
}

impl<'a> Flow<'a> {
    fn new(from: Sender, stream: Stream<'a>) -> Self {
        Self {
            from,
            stream,
            offered: 0,
            deframer: Deframer::new(),
            joiner: HandshakeJoiner::default(),
            pending: VecDeque::new(),
            opener: None,
            nonces: HashSet::new(),
            nonces_full: false,
            records: 0,
            protected_after: 0,
            ended_by: None,
            app_kept: 0,
        }
    }

    fn deviation(&self, clause: &'static str, what: impl fmt::Display) -> Stop {
        Stop::Deviation(Deviation {
            from: self.from,
            record: self.records,
            clause,
            what: what.to_string(),
        })
    }

    /// The stream has no more bytes here: a deviation only if the sender
    /// is known to have stopped there.
    fn ran_out(&self, what: impl fmt::Display) -> Stop {
        match self.stream.end {
            StreamEnd::Closed => self.deviation("RFC 5246 §6.2.1", what),
            StreamEnd::Open => {
                Stop::Unchecked(format!("the recording ends with the {} {what}", self.from))
            }
            StreamEnd::Lost => Stop::Unchecked(format!(
                "the capture lost {} bytes after record #{}",
                self.from, self.records
            )),
        }
    }

    fn next_record(&mut self) -> Check<Option<(ContentType, ProtocolVersion, Vec<u8>)>> {
        loop {
            match self.deframer.pop() {
                Ok(Some(r)) => {
                    self.records += 1;
                    return Ok(Some((r.typ, r.version, r.payload)));
                }
                Ok(None) => {}
                Err(e) => {
                    self.records += 1;
                    return Err(self
                        .deviation("RFC 5246 §6.2.1", format!("malformed record header: {e:?}")));
                }
            }
            let rest = self.stream.bytes.get(self.offered..).unwrap_or_default();
            if rest.is_empty() {
                if self.deframer.buffered() > 0 {
                    self.records += 1;
                    return Err(self.ran_out(format!(
                        "inside a record ({} bytes of it)",
                        self.deframer.buffered()
                    )));
                }
                return Ok(None);
            }
            let took = self.deframer.read(rest);
            if took == 0 {
                return Err(Stop::Unchecked("deframer full but yields no record".into()));
            }
            self.offered += took;
        }
    }

    fn next(&mut self) -> Check<Option<Item>> {
        let item = self.next_item()?;
        if let (Some(end), Some(item)) = (self.ended_by, &item) {
            let clause = if end.description == AlertDescription::CloseNotify {
                "RFC 5246 §7.2.1"
            } else {
                "RFC 5246 §7.2.2"
            };
            return Err(self.deviation(
                clause,
                format!("{} after its {:?} alert", item.describe(), end.description),
            ));
        }
        if let Some(Item::Alert(a)) = &item {
            if a.level != AlertLevel::Warning && a.level != AlertLevel::Fatal {
                return Err(self.deviation("RFC 5246 §7.2", format!("alert level {:?}", a.level)));
            }
            if a.level == AlertLevel::Warning && ALWAYS_FATAL.contains(&a.description) {
                return Err(self.deviation(
                    "RFC 5246 §7.2.2",
                    format!("{:?} sent as a warning; it is always fatal", a.description),
                ));
            }
            if a.description == AlertDescription::NoRenegotiation && a.level != AlertLevel::Warning
            {
                // RFC 5246 §7.2.2: "This message is always a warning."
                return Err(self.deviation(
                    "RFC 5246 §7.2.2",
                    "no_renegotiation sent as fatal; it is always a warning",
                ));
            }
            if a.level == AlertLevel::Fatal || a.description == AlertDescription::CloseNotify {
                self.ended_by = Some(*a);
            }
        }
        Ok(item)
    }

    fn next_item(&mut self) -> Check<Option<Item>> {
        loop {
            if let Some(bytes) = self.pending.pop_front() {
                let msg = decode_handshake(&bytes).map_err(|e| {
                    self.deviation("RFC 5246 §7.4", format!("handshake message: {e:?}"))
                })?;
                return Ok(Some(Item::Handshake(bytes, msg)));
            }
            let Some((typ, version, payload)) = self.next_record()? else {
                if !self.joiner.is_empty() {
                    return Err(self.ran_out("inside a handshake message"));
                }
                return Ok(None);
            };
            let payload = match self.opener.as_mut() {
                Some(opener) => {
                    // RFC 5288 §3: nonce_explicit MUST be distinct for each
                    // invocation of GCM encrypt under one key.
                    if let Some(explicit) =
                        payload.get(..8).and_then(|n| <[u8; 8]>::try_from(n).ok())
                    {
                        if self.nonces.len() < MAX_NONCES {
                            if !self.nonces.insert(explicit) {
                                return Err(self.deviation(
                                    "RFC 5288 §3",
                                    format!(
                                        "explicit nonce {} reused under one key",
                                        hex::encode(explicit)
                                    ),
                                ));
                            }
                        } else {
                            self.nonces_full = true;
                        }
                    }
                    match opener.open(typ, version, &payload) {
                        Ok(p) => p,
                        Err(e) => {
                            return Err(self.deviation(
                                "RFC 5246 §6.2.3.3",
                                format!(
                                    "{typ:?} record ({} bytes) does not open under sequence \
                                     number {}: {e}",
                                    payload.len(),
                                    self.records - self.protected_after - 1
                                ),
                            ))
                        }
                    }
                }
                None => payload,
            };
            if payload.len() > MAX_PLAINTEXT {
                return Err(self.deviation(
                    "RFC 5246 §6.2.1",
                    format!("plaintext of {} bytes exceeds 2^14", payload.len()),
                ));
            }
            // RFC 5246 §6.2.1: no zero-length Handshake, Alert or CCS fragments.
            if payload.is_empty() && typ != ContentType::ApplicationData {
                return Err(
                    self.deviation("RFC 5246 §6.2.1", format!("zero-length {typ:?} fragment"))
                );
            }
            // RFC 5246 §6.2.1: nothing interleaves a fragmented handshake message.
            if typ != ContentType::Handshake && !self.joiner.is_empty() {
                return Err(self.deviation(
                    "RFC 5246 §6.2.1",
                    format!("{typ:?} inside a fragmented handshake message"),
                ));
            }
            match typ {
                ContentType::Handshake => {
                    let joined = self.joiner.push(&payload).and_then(|()| {
                        while let Some(m) = self.joiner.pop()? {
                            self.pending.push_back(m);
                        }
                        Ok(())
                    });
                    joined.map_err(|e| {
                        self.deviation("RFC 5246 §7.4", format!("handshake framing: {e:?}"))
                    })?;
                }
                ContentType::ChangeCipherSpec => {
                    ChangeCipherSpecPayload::read_bytes(&payload).map_err(|e| {
                        self.deviation("RFC 5246 §7.1", format!("bad ChangeCipherSpec: {e:?}"))
                    })?;
                    return Ok(Some(Item::ChangeCipherSpec));
                }
                ContentType::Alert => {
                    let alert = AlertMessagePayload::read_bytes(&payload).map_err(|e| {
                        self.deviation("RFC 5246 §7.2", format!("bad alert: {e:?}"))
                    })?;
                    return Ok(Some(Item::Alert(alert)));
                }
                ContentType::ApplicationData => return Ok(Some(Item::ApplicationData(payload))),
                other => {
                    return Err(
                        self.deviation("RFC 5246 §6", format!("unknown content type {other:?}"))
                    )
                }
            }
        }
    }

    /// The next item, which must be a handshake message of type `want`;
    /// appends its bytes to `transcript` and returns its body.
    fn expect(&mut self, want: HandshakeType, transcript: &mut Vec<u8>) -> Check<HandshakePayload> {
        match self.next()? {
            Some(Item::Handshake(bytes, msg)) if msg.typ == want => {
                transcript.extend_from_slice(&bytes);
                Ok(msg.payload)
            }
            Some(other) => Err(self.unexpected(&format!("{want:?}"), other)),
            None => Err(self.ran_out(format!("before {want:?}"))),
        }
    }

    /// `other` came where `want` was due. An alert that ends the
    /// handshake is the sender's right, not a deviation.
    fn unexpected(&self, want: &str, other: Item) -> Stop {
        match other {
            Item::Alert(a) if a.level == AlertLevel::Fatal => {
                Stop::Ended(self.from, self.records, a.description)
            }
            other => self.deviation(
                "RFC 5246 §7.3",
                format!("expected {want}, got {}", other.describe()),
            ),
        }
    }

    fn expect_ccs(&mut self) -> Check<()> {
        match self.next()? {
            Some(Item::ChangeCipherSpec) => Ok(()),
            Some(other) => Err(self.unexpected("ChangeCipherSpec", other)),
            None => Err(self.ran_out("before ChangeCipherSpec")),
        }
    }

    /// Turns on decryption for the records after this direction's CCS
    /// (sequence numbers from 0, RFC 5246 §6.1; any explicit nonce).
    fn protect(&mut self, key: &[u8], salt: [u8; 4]) -> Check<()> {
        let opener = RecordOpener::new(key, salt)
            .map_err(|e| Stop::Unchecked(format!("record opener: {e}")))?;
        self.opener = Some(opener);
        self.protected_after = self.records;
        self.deframer.set_limit(RecordLimit::Ciphertext);
        Ok(())
    }

    /// After Finished: application data, HelloRequest (server), warning
    /// alerts, until close_notify or a fatal alert (which must be the last
    /// record) or the end of the stream. Keeps the application data up to
    /// the cap; returns a note when renegotiation stops the check.
    fn application_data(&mut self, out: &mut Vec<Vec<u8>>) -> Check<Option<String>> {
        while let Some(item) = self.next()? {
            match item {
                Item::ApplicationData(d) => {
                    if self.app_kept + d.len() <= MAX_APP_DATA_KEPT {
                        self.app_kept += d.len();
                        out.push(d);
                    }
                }
                Item::Alert(_) => {}
                Item::Handshake(_, m)
                    if m.typ == HandshakeType::HelloRequest && self.from == Sender::Server => {}
                Item::Handshake(_, m) if m.typ == HandshakeType::ClientHello => {
                    return Ok(Some(format!(
                        "renegotiation at client record #{}: the rest is not checked",
                        self.records
                    )));
                }
                other => {
                    return Err(self.deviation(
                        "RFC 5246 §7.4",
                        format!("{} after the handshake", other.describe()),
                    ))
                }
            }
        }
        Ok(None)
    }

    fn ending(&self) -> String {
        match (self.ended_by, self.stream.end) {
            (Some(a), _) if a.description == AlertDescription::CloseNotify => "close_notify".into(),
            (Some(a), _) => format!("fatal {:?}", a.description),
            (None, StreamEnd::Closed) => "closed without close_notify".into(),
            (None, StreamEnd::Open) => "open at the end of the recording".into(),
            (None, StreamEnd::Lost) => "capture lost bytes".into(),
        }
    }
}

fn wrong(step: &str, what: &str) -> Stop {
    Stop::Unchecked(format!("{step}: decoded payload is not a {what}"))
}

/// Checks one session. `rng` draws the random premaster of RFC 5246
/// §7.4.7.1 (never used on a conforming premaster).
pub fn check(
    client: Stream<'_>,
    server: Stream<'_>,
    secrets: Secrets<'_>,
    rng: &mut Provider,
) -> Outcome {
    let mut c = Flow::new(Sender::Client, client);
    let mut s = Flow::new(Sender::Server, server);
    let mut summary = Summary::default();
    let result = run(&mut c, &mut s, secrets, rng, &mut summary);
    summary.records = [c.records, s.records];
    summary.endings = [c.ending(), s.ending()];
    match result {
        Ok(()) => {}
        // A fatal alert in the handshake ends the session: what the other
        // side sent after it is not checked further.
        Err(Stop::Ended(from, record, description)) => {
            summary.notes.push(format!(
                "the handshake ended with the {from}'s fatal alert {description:?} at its record #{record}"
            ));
            let ender = if from == Sender::Client {
                &mut c
            } else {
                &mut s
            };
            if let Err(stop) = after_fatal(ender) {
                return stop.into();
            }
            summary.endings = [c.ending(), s.ending()];
            summary.records = [c.records, s.records];
            return Outcome::Conforms(summary);
        }
        Err(stop) => return stop.into(),
    }
    // RFC 5246 §7.2.1: "Unless some other fatal alert has been transmitted,
    // each party is required to send a close_notify alert before closing
    // the write side of the connection."
    // The side that answers a close_notify "MUST respond with a close_notify
    // alert of its own", but the initiator "is not required ... to wait"
    // and has often closed by then: a missing answer is a note, not a
    // deviation, since the recording cannot tell whether it could be sent.
    for (me, peer) in [(&c, &s), (&s, &c)] {
        if me.stream.end != StreamEnd::Closed || me.ended_by.is_some() {
            continue;
        }
        match peer.ended_by {
            Some(a) if a.level == AlertLevel::Fatal => {}
            Some(_) => summary.notes.push(format!(
                "the {} closed without answering the {}'s close_notify",
                me.from, peer.from
            )),
            None => {
                return Outcome::Deviation(Deviation {
                    from: me.from,
                    record: me.records,
                    clause: "RFC 5246 §7.2.1",
                    what: "closed the connection without close_notify".into(),
                })
            }
        }
    }
    if c.nonces_full || s.nonces_full {
        summary.notes.push(format!(
            "explicit nonces checked for reuse in the first {MAX_NONCES} records only"
        ));
    }
    Outcome::Conforms(summary)
}

/// After a fatal alert nothing more may come from its sender.
fn after_fatal(f: &mut Flow<'_>) -> Check<()> {
    match f.next_item()? {
        None => Ok(()),
        Some(item) => Err(f.deviation(
            "RFC 5246 §7.2.2",
            format!("{} after its fatal alert", item.describe()),
        )),
    }
}

impl From<Stop> for Outcome {
    fn from(s: Stop) -> Self {
        match s {
            Stop::Deviation(d) => Outcome::Deviation(d),
            Stop::Unchecked(why) => Outcome::Unchecked(why),
            Stop::Ended(from, record, description) => Outcome::Unchecked(format!(
                "the {from}'s fatal alert {description:?} at its record #{record}"
            )),
        }
    }
}

fn run(
    c: &mut Flow<'_>,
    s: &mut Flow<'_>,
    secrets: Secrets<'_>,
    rng: &mut Provider,
    summary: &mut Summary,
) -> Check<()> {
    // Every handshake message in protocol order, across both directions.
    let mut transcript = Vec::new();

    let HandshakePayload::ClientHello(ch) =
        c.expect(HandshakeType::ClientHello, &mut transcript)?
    else {
        return Err(wrong("ClientHello", "ClientHello"));
    };
    let HandshakePayload::ServerHello(sh) =
        s.expect(HandshakeType::ServerHello, &mut transcript)?
    else {
        return Err(wrong("ServerHello", "ServerHello"));
    };
    summary.client_random = ch.random.0;
    summary.suite = sh.cipher_suite.0;
    if sh.server_version != ProtocolVersion::TLSv1_2 {
        return Err(Stop::Unchecked(format!(
            "ServerHello negotiates {:?}: only TLS 1.2 is checked",
            sh.server_version
        )));
    }
    // RFC 5246 §7.4.1.3: the suite must be one the client offered.
    if !ch.cipher_suites.contains(&sh.cipher_suite) {
        return Err(s.deviation(
            "RFC 5246 §7.4.1.3",
            format!(
                "ServerHello selects {:?}, which the client did not offer",
                sh.cipher_suite
            ),
        ));
    }
    let Some(params) = SuiteParams::for_suite(sh.cipher_suite) else {
        return Err(Stop::Unchecked(format!(
            "suite {:?} is not one this reference derives",
            sh.cipher_suite
        )));
    };
    if params.aead == Aead::ChaCha20Poly1305 {
        return Err(Stop::Unchecked(format!(
            "suite {:?}: ChaCha20-Poly1305 records are not opened by this checker",
            sh.cipher_suite
        )));
    }
    let ecdhe = params.kx == KeyExchange::Ecdhe;
    let ems = crate::peer::rules::server_hello_ems(&sh);
    // RFC 7627 §5.1: the server may only echo an offered extension.
    if ems && !crate::peer::rules::client_hello_ems(&ch) {
        return Err(s.deviation(
            "RFC 7627 §5.1",
            "ServerHello has extended_master_secret, which the client did not offer",
        ));
    }
    summary.ems = ems;
    // RFC 5246 §6.2.1: from here on every record carries the negotiated version.
    c.deframer.set_version(sh.server_version);
    s.deframer.set_version(sh.server_version);
    let hash: PrfHash = params.prf_hash;
    let logged = secrets.keylog.and_then(|k| k.master_secret(&ch.random.0));

    // The server's next message says which handshake this is: Certificate
    // for a full one, NewSessionTicket or CCS for an abbreviated one.
    let mut server_next = s.next()?;
    let resumed =
        !matches!(&server_next, Some(Item::Handshake(_, m)) if m.typ == HandshakeType::Certificate);
    summary.resumed = resumed;
    let ms = if resumed {
        let Some(ms) = logged else {
            return Err(Stop::Unchecked(
                "an abbreviated handshake: its master secret is in no key log given".into(),
            ));
        };
        summary.secret = "key log";
        // RFC 5077 §3.3 / RFC 5246 §7.3: optional NewSessionTicket, then the server's CCS.
        loop {
            match server_next.take() {
                Some(Item::ChangeCipherSpec) => break,
                Some(Item::Handshake(bytes, m)) if m.typ == HandshakeType::NewSessionTicket => {
                    transcript.extend_from_slice(&bytes);
                }
                Some(other) => return Err(s.unexpected("ChangeCipherSpec", other)),
                None => return Err(s.ran_out("before ChangeCipherSpec")),
            }
            server_next = s.next()?;
        }
        let ms = MasterSecret::from_bytes(*ms);
        let kb = key_block(hash, &ms, &ch.random.0, &sh.random.0, params.key_len)
            .map_err(|e| Stop::Unchecked(format!("key block: {e}")))?;
        s.protect(kb.server_write_key(), *kb.server_write_iv())?;
        finished(s, hash, &ms, SERVER_FINISHED, &mut transcript)?;
        c.expect_ccs()?;
        c.protect(kb.client_write_key(), *kb.client_write_iv())?;
        finished(c, hash, &ms, CLIENT_FINISHED, &mut transcript)?;
        ms
    } else {
        let mut leaf = None;
        if let Some(Item::Handshake(bytes, m)) = server_next.take() {
            transcript.extend_from_slice(&bytes);
            if let HandshakePayload::Certificate(chain) = m.payload {
                leaf = chain.0.into_iter().next();
            }
        }
        // RFC 5246 §7.4.3: ServerKeyExchange exactly in ECDHE suites (RFC
        // 8422 §2.1); §7.4.4 optional CertificateRequest; RFC 6066 §8
        // CertificateStatus.
        let mut asked_for_certificate = false;
        let mut server_share = None;
        loop {
            match s.next()? {
                Some(Item::Handshake(bytes, m)) => {
                    transcript.extend_from_slice(&bytes);
                    match m.payload {
                        HandshakePayload::ServerHelloDone => break,
                        HandshakePayload::CertificateRequest(_) => asked_for_certificate = true,
                        _ if m.typ == HandshakeType::CertificateStatus
                            && ch.find_extension(ExtensionType::StatusRequest).is_some() => {}
                        HandshakePayload::ServerKeyExchange(_) if !ecdhe => {
                            return Err(s.deviation(
                                "RFC 5246 §7.4.3",
                                "ServerKeyExchange in an RSA key exchange suite",
                            ))
                        }
                        HandshakePayload::ServerKeyExchange(_) if server_share.is_some() => {
                            return Err(s.deviation("RFC 5246 §7.3", "a second ServerKeyExchange"))
                        }
                        HandshakePayload::ServerKeyExchange(ske) => {
                            server_share = Some(check_server_key_exchange(
                                s,
                                &ch,
                                &sh.random.0,
                                leaf.as_ref().map(|c| &c.0[..]),
                                params,
                                &ske,
                            )?);
                        }
                        _ => {
                            return Err(s.deviation(
                                "RFC 5246 §7.3",
                                format!("expected ServerHelloDone, got {:?}", m.typ),
                            ))
                        }
                    }
                }
                Some(other) => return Err(s.unexpected("ServerHelloDone", other)),
                None => return Err(s.ran_out("before ServerHelloDone")),
            }
        }
        if ecdhe && server_share.is_none() {
            return Err(s.deviation(
                "RFC 8422 §2.1",
                "ServerHelloDone in an ECDHE suite without a ServerKeyExchange",
            ));
        }
        let mut client_certificate = false;
        if asked_for_certificate {
            // RFC 5246 §7.4.6: the client answers with a (maybe empty) Certificate.
            if let HandshakePayload::Certificate(chain) =
                c.expect(HandshakeType::Certificate, &mut transcript)?
            {
                client_certificate = !chain.0.is_empty();
            }
        }
        let HandshakePayload::ClientKeyExchange(cke) =
            c.expect(HandshakeType::ClientKeyExchange, &mut transcript)?
        else {
            return Err(wrong("ClientKeyExchange", "ClientKeyExchange"));
        };
        // The ciphertext of the RSA form; the ECDHE form's point is checked
        // against the server's group, and its secret can only come from a
        // key log (CLIENT_RANDOM).
        let epms = match server_share {
            None => Some(cke.rsa().map_err(|e| {
                c.deviation("RFC 5246 §7.4.7.1", format!("ClientKeyExchange: {e}"))
            })?),
            Some(group) => {
                let point = cke
                    .ecdh()
                    .map_err(|e| c.deviation("RFC 8422 §5.7", format!("ClientKeyExchange: {e}")))?;
                kx::check_share_form(group, &point.0).map_err(|e| {
                    c.deviation(
                        "RFC 8422 §5.7",
                        format!("the client's {group:?} share: {e}"),
                    )
                })?;
                None
            }
        };
        let session_hash = hash.hash(&transcript);
        let derive = |premaster: &[u8; 48]| {
            let premaster = Premaster::from_bytes(*premaster);
            if ems {
                // RFC 7627 §3: the session hash covers everything through ClientKeyExchange.
                extended_master_secret(hash, &premaster, &session_hash)
            } else {
                master_secret(hash, &premaster, &ch.random.0, &sh.random.0)
            }
        };
        let from_key = epms.as_ref().and(secrets.server_key).map(|key| {
            // RFC 5246 §7.4.7.1, with the version the client offered in ClientHello.
            let random: [u8; 48] = rng.array();
            let ct = epms.as_ref().map_or(&[][..], |e| &e.0[..]);
            let premaster = decrypt_premaster(key, rng, ct, ch.client_version, &random);
            let fell_back = premaster.as_bytes() == &random;
            (derive(premaster.as_bytes()), fell_back)
        });
        let from_log_premaster = epms
            .as_ref()
            .and_then(|e| secrets.keylog.and_then(|k| k.premaster(&e.0)))
            .map(derive);
        let ms = match (from_key, logged, from_log_premaster) {
            (Some((ms, fell_back)), logged, _) => {
                summary.secret = "server key";
                if let Some(logged) = logged {
                    if ms.as_bytes() != logged {
                        return Err(c.deviation(
                            "RFC 5246 §8.1",
                            if fell_back {
                                "the encrypted premaster is malformed (bad padding, length or \
                                 version: RFC 5246 §7.4.7.1), and the key log's master secret \
                                 is not derived from it"
                                    .to_string()
                            } else {
                                format!(
                                    "the key log's master secret {} is not the one derived \
                                     from the premaster ({})",
                                    hex::encode(logged),
                                    hex::encode(ms.as_bytes())
                                )
                            },
                        ));
                    }
                    summary.secret = "server key, and the key log agrees";
                }
                ms
            }
            (None, Some(logged), _) => {
                summary.secret = "key log";
                MasterSecret::from_bytes(*logged)
            }
            (None, None, Some(ms)) => {
                summary.secret = "key log (premaster)";
                ms
            }
            (None, None, None) if ecdhe => {
                return Err(Stop::Unchecked(
                    "an ECDHE session: its master secret is in no key log given".into(),
                ))
            }
            (None, None, None) => {
                return Err(Stop::Unchecked(
                    "no key for this session: give the server key (--key) or a key log".into(),
                ))
            }
        };
        if client_certificate {
            c.expect(HandshakeType::CertificateVerify, &mut transcript)?;
            summary
                .notes
                .push("the client's CertificateVerify signature is not checked".into());
        }
        let kb = key_block(hash, &ms, &ch.random.0, &sh.random.0, params.key_len)
            .map_err(|e| Stop::Unchecked(format!("key block: {e}")))?;
        c.expect_ccs()?;
        c.protect(kb.client_write_key(), *kb.client_write_iv())?;
        finished(c, hash, &ms, CLIENT_FINISHED, &mut transcript)?;
        // RFC 5077 §3.3: NewSessionTicket comes before the server's CCS.
        loop {
            match s.next()? {
                Some(Item::ChangeCipherSpec) => break,
                Some(Item::Handshake(bytes, m)) if m.typ == HandshakeType::NewSessionTicket => {
                    transcript.extend_from_slice(&bytes);
                }
                Some(other) => return Err(s.unexpected("ChangeCipherSpec", other)),
                None => return Err(s.ran_out("before ChangeCipherSpec")),
            }
        }
        s.protect(kb.server_write_key(), *kb.server_write_iv())?;
        finished(s, hash, &ms, SERVER_FINISHED, &mut transcript)?;
        ms
    };
    drop(ms);
    let [client_data, server_data] = &mut summary.app_data;
    if let Some(note) = c.application_data(client_data)? {
        summary.notes.push(note);
    }
    if let Some(note) = s.application_data(server_data)? {
        summary.notes.push(note);
    }
    Ok(())
}

/// RFC 8422 §5.4: a ServerKeyExchange in an ECDHE suite names a group the
/// client offered, with a share of that group's form, signed by the leaf's
/// key with a pair the client offered (RFC 5246 §7.4.1.4.1) over both
/// randoms and the params. Returns the group.
fn check_server_key_exchange(
    s: &Flow<'_>,
    ch: &gauntlet_engine::msgs::ClientHelloPayload,
    server_random: &[u8; 32],
    leaf: Option<&[u8]>,
    params: SuiteParams,
    ske: &ServerKeyExchangePayload,
) -> Check<gauntlet_engine::enums::NamedGroup> {
    const CLAUSE: &str = "RFC 8422 §5.4";
    let group = ske.params.named_group;
    let offered_groups = match ch.find_extension(ExtensionType::SupportedGroups) {
        Some(ClientExtension::SupportedGroups(g)) => g.clone(),
        // RFC 8422 §4: without the extension, any curve the server likes.
        _ => vec![group],
    };
    if !offered_groups.contains(&group) {
        return Err(s.deviation(
            CLAUSE,
            format!("ServerKeyExchange names {group:?}, which the client did not offer"),
        ));
    }
    if kx::share_len(group).is_none() {
        return Err(Stop::Unchecked(format!(
            "ECDHE over {group:?}, a group this reference does not implement"
        )));
    }
    kx::check_share_form(group, &ske.params.public.0)
        .map_err(|e| s.deviation(CLAUSE, format!("the server's {group:?} share: {e}")))?;
    let alg = ske.signed.algorithm;
    if let Some(ClientExtension::SignatureAlgorithms(offered)) =
        ch.find_extension(ExtensionType::SignatureAlgorithms)
    {
        if !offered.contains(&alg) {
            return Err(s.deviation(
                "RFC 5246 §7.4.1.4.1",
                format!("ServerKeyExchange signed with {alg:?}, which the client did not offer"),
            ));
        }
    }
    let Some(scheme) = Scheme::from_wire(alg).filter(|s| s.key_kind() == params.auth) else {
        return Err(s.deviation(
            "RFC 5246 §7.4.3",
            format!(
                "ServerKeyExchange signed with {alg:?}, not a {:?} signature this suite takes",
                params.auth
            ),
        ));
    };
    let Some(leaf) = leaf else {
        return Err(s.deviation(
            "RFC 5246 §7.4.2",
            "an empty server Certificate in an ECDHE suite",
        ));
    };
    let spki = sig::leaf_spki(leaf)
        .map_err(|e| Stop::Unchecked(format!("the server's leaf certificate: {e:?}")))?;
    let message =
        ServerKeyExchangePayload::signed_message(&ch.random.0, server_random, &ske.params);
    match sig::verify(&spki, scheme, &message, &ske.signed.signature.0) {
        Ok(()) => Ok(group),
        Err(sig::SigError::BadSignature) => Err(s.deviation(
            CLAUSE,
            "the ServerKeyExchange signature does not verify over both randoms and the params",
        )),
        Err(e) => Err(Stop::Unchecked(format!("the server's leaf key: {e:?}"))),
    }
}

/// RFC 5246 §7.4.9: the Finished due next from `f`, over every handshake
/// message before it; then it joins the transcript.
fn finished(
    f: &mut Flow<'_>,
    hash: PrfHash,
    ms: &MasterSecret,
    label: &[u8],
    transcript: &mut Vec<u8>,
) -> Check<()> {
    let want = verify_data(hash, ms, label, &hash.hash(transcript));
    let HandshakePayload::Finished(got) = f.expect(HandshakeType::Finished, transcript)? else {
        return Err(wrong("Finished", "Finished"));
    };
    if got != want {
        return Err(f.deviation(
            "RFC 5246 §7.4.9",
            format!(
                "Finished verify_data {}, the derivation gives {}",
                hex::encode(&got),
                hex::encode(want)
            ),
        ));
    }
    Ok(())
}
