//! The `scenario` target, the state-machine fuzzer: the harness's one peer
//! (`peer::Peer`, real keys) as a client, run by fuzzed actions against our
//! server.
//!
//! The file has two parts. The action list and its decoding from fuzzer
//! bytes ([`Choices`], [`HelloSpec`], [`ScenarioAction`], [`ScenarioScript`])
//! define what a corpus file means; the runner ([`run_script`]) turns each
//! into the peer's `Action`s (the hello into a typed edit of the peer's
//! default ClientHello) and holds the server to its oracles. Every
//! misbehaviour is the peer's; this file only chooses and judges.
//!
//! The actions are decoded by hand (front to back, zero once the bytes run
//! out, as `arbitrary::Unstructured` reads) rather than derived with
//! `arbitrary`: the committed corpus keeps its meaning, and the layout is
//! written down here rather than in another crate's derive output.

use super::fixtures::{
    known_session, server_config, ConnFlags, FuzzCrypto, KNOWN_MASTER, KNOWN_SESSION_ID, NOW,
    SERVER_SEED,
};
use super::provider::ClearRsaKey;
use super::{sent_alerts, FuzzOutcome};
use crate::peer::client::PremasterBug;
use crate::peer::record::MAX_FRAGMENT;
use crate::peer::{rules, Action, Got, HsMsg, Peer, Role};
use gauntlet_engine::crypto::MasterSecret;
use gauntlet_engine::enums::{
    AlertDescription, AlertLevel, CipherSuite, Compression, ContentType, ExtensionType,
    HandshakeType, HashAlgorithm, ProtocolVersion, ServerNameType, SignatureAlgorithm,
};
use gauntlet_engine::msgs::{
    ClientExtension, ClientHelloPayload, HandshakePayload, HostName, RenegotiatedConnection,
    ServerExtension, ServerHelloPayload, ServerName, SessionId, SignatureAndHashAlgorithm,
};
use gauntlet_engine::record::{Deframer, RecordLimit};
use gauntlet_engine::transcript::{Direction, StateId};
use gauntlet_engine::{Connection, Event, Provider};

// ---- the action list and its decoding (what a corpus file means) ----------

/// Reads the scenario's choices from fuzzer bytes, front to back, zero once
/// they run out (as `arbitrary::Unstructured` does).
#[derive(Debug)]
pub struct Choices<'a>(&'a [u8]);

impl<'a> Choices<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self(data)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    /// A length byte, then up to that many bytes.
    pub fn bytes(&mut self) -> &'a [u8] {
        let n = usize::from(self.u8()).min(self.0.len());
        let (b, rest) = self.0.split_at(n);
        self.0 = rest;
        b
    }
}

/// The ClientHello the scripted client sends, from fuzzed fields. The
/// all-zero choice is an acceptable TLS 1.2 hello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelloSpec {
    pub version: ProtocolVersion,
    pub suites: Vec<CipherSuite>,
    pub compression: Vec<Compression>,
    pub ems: bool,
    /// `None`: no renegotiation_info; `Some(body)`: with that body.
    pub reneg_info: Option<Vec<u8>>,
    pub sni: bool,
    pub sig_algs: bool,
    pub ticket: Option<Vec<u8>>,
    pub unknown_ext: Option<(u16, Vec<u8>)>,
    /// No extensions block at all (overrides the extension fields).
    pub no_extensions: bool,
    pub session_id: Vec<u8>,
}

impl HelloSpec {
    pub fn from_choices(c: &mut Choices<'_>) -> Self {
        let version = match c.u8() % 8 {
            1 => ProtocolVersion(0x0304),
            2 => ProtocolVersion::TLSv1_1,
            3 => ProtocolVersion::TLSv1_0,
            4 => ProtocolVersion(0x0300),
            5 => ProtocolVersion(0x0203),
            _ => ProtocolVersion::TLSv1_2,
        };
        let s = c.u8();
        let mut suites = Vec::new();
        if s & 0x20 != 0 {
            suites.push(CipherSuite(0x002f));
        }
        if s & 1 == 0 {
            suites.push(CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256);
        }
        if s & 2 == 0 {
            suites.push(CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384);
        }
        if s & 4 != 0 {
            suites.push(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
        }
        if s & 8 != 0 {
            suites.push(CipherSuite::TLS_FALLBACK_SCSV);
        }
        if s & 0x10 != 0 {
            suites.reverse();
        }
        if suites.is_empty() {
            suites.push(CipherSuite(0xc02f));
        }
        let compression = match c.u8() % 4 {
            1 => vec![Compression(1), Compression::Null],
            2 => vec![Compression(1)],
            _ => vec![Compression::Null],
        };
        let e = c.u8();
        let sid = c.u8();
        let session_id = match sid % 4 {
            1 => KNOWN_SESSION_ID.to_vec(),
            2 => vec![sid; 32],
            3 => vec![sid; usize::from(sid % 32)],
            _ => Vec::new(),
        };
        Self {
            version,
            suites,
            compression,
            ems: e & 1 == 0,
            reneg_info: match (e >> 1) & 3 {
                1 => Some(Vec::new()),
                2 => Some(vec![0x42; 12]),
                _ => None,
            },
            sni: e & 8 != 0,
            sig_algs: e & 16 != 0,
            ticket: (e & 32 != 0).then(|| c.bytes().to_vec()),
            unknown_ext: (e & 64 != 0).then(|| (0xfa00 | u16::from(c.u8()), c.bytes().to_vec())),
            no_extensions: e & 128 != 0,
            session_id,
        }
    }

    /// Edits the peer's default ClientHello into this one (its random stays).
    fn edit(&self, ch: &mut ClientHelloPayload) {
        let mut exts = Vec::new();
        if self.sni {
            exts.push(ClientExtension::ServerName(vec![ServerName {
                name_type: ServerNameType::HostName,
                name: HostName(b"localhost".to_vec()),
            }]));
        }
        if self.ems {
            exts.push(ClientExtension::ExtendedMasterSecret);
        }
        if let Some(ri) = &self.reneg_info {
            exts.push(ClientExtension::RenegotiationInfo(RenegotiatedConnection(
                ri.clone(),
            )));
        }
        if self.sig_algs {
            exts.push(ClientExtension::SignatureAlgorithms(vec![
                SignatureAndHashAlgorithm {
                    hash: HashAlgorithm::Sha256,
                    signature: SignatureAlgorithm::Rsa,
                },
            ]));
        }
        if let Some(t) = &self.ticket {
            exts.push(ClientExtension::SessionTicket(t.clone()));
        }
        if let Some((typ, body)) = &self.unknown_ext {
            exts.push(ClientExtension::Unknown {
                typ: ExtensionType(*typ),
                body: body.clone(),
            });
        }
        ch.client_version = self.version;
        ch.session_id = SessionId(self.session_id.clone());
        ch.cipher_suites = self.suites.clone();
        ch.compression_methods = self.compression.clone();
        ch.extensions = (!self.no_extensions).then_some(exts);
    }

    fn offers_ems(&self) -> bool {
        self.ems && !self.no_extensions
    }

    /// Whether our server must accept this hello (RFC 5246 §7.4.1.2,
    /// RFC 5746 §3.6, RFC 7627 §5.3 with the cached EMS session): the model
    /// the scenario's oracle holds the server to.
    pub fn acceptable(&self) -> bool {
        let supported = [
            CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
        ];
        let resumes_known =
            self.session_id == KNOWN_SESSION_ID && self.suites.contains(&known_session(true).suite);
        let reneg_ok = self.no_extensions || self.reneg_info.as_ref().is_none_or(|r| r.is_empty());
        self.version >= ProtocolVersion::TLSv1_2
            && self.suites.iter().any(|s| supported.contains(s))
            && self.compression.contains(&Compression::Null)
            && reneg_ok
            && (!resumes_known || self.offers_ems())
    }
}

/// One scripted action; see [`scenario`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScenarioAction {
    /// Send the next message of the RFC's order.
    Next,
    /// Pass over the next message without sending it.
    Skip,
    /// Send the records of the last action again, byte for byte.
    Repeat,
    /// Send the next two messages of the RFC's order swapped.
    Reorder,
    InjectCcs,
    InjectAlert {
        level: u8,
        description: u8,
    },
    /// A handshake message of any type with a fuzzed body.
    InjectHandshake {
        typ: u8,
        body: Vec<u8>,
    },
    InjectAppData(Vec<u8>),
    /// Flip one bit of the next bytes sent, after their first record
    /// header (`Action::FlipBitOfNext`).
    FlipBit(u16),
    /// Split handshake messages into records of this many bytes (0: 2^14).
    Fragment(u8),
    /// Send Finished with verify_data XORed with this mask.
    BadFinished {
        index: u8,
        mask: u8,
    },
    /// The ClientKeyExchange to send (`Action::PremasterBug`): 0 correct,
    /// 1 wrong version (0x0302), 2 a 47-byte premaster, 3 block type 0x01,
    /// 4 ciphertext one byte short.
    KeyExchange(u8),
}

impl ScenarioAction {
    pub fn from_choices(c: &mut Choices<'_>) -> Self {
        match c.u8() % 16 {
            1 => ScenarioAction::Skip,
            2 => ScenarioAction::Repeat,
            3 => ScenarioAction::Reorder,
            4 => ScenarioAction::InjectCcs,
            5 => ScenarioAction::InjectAlert {
                level: c.u8(),
                description: c.u8(),
            },
            6 => ScenarioAction::InjectHandshake {
                typ: c.u8(),
                body: c.bytes().to_vec(),
            },
            7 => ScenarioAction::InjectAppData(c.bytes().to_vec()),
            8 => ScenarioAction::FlipBit(c.u16()),
            9 => ScenarioAction::Fragment(c.u8()),
            10 => ScenarioAction::BadFinished {
                index: c.u8(),
                mask: c.u8().max(1),
            },
            11 => ScenarioAction::KeyExchange(c.u8() % 5),
            _ => ScenarioAction::Next,
        }
    }
}

/// A scenario: the hello, then actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioScript {
    pub hello: HelloSpec,
    pub actions: Vec<ScenarioAction>,
}

impl ScenarioScript {
    /// At most 64 actions: longer scripts add nothing a shorter one can't.
    pub fn decode(data: &[u8]) -> Self {
        let mut c = Choices::new(data);
        let hello = HelloSpec::from_choices(&mut c);
        let mut actions = Vec::new();
        while !c.is_empty() && actions.len() < 64 {
            actions.push(ScenarioAction::from_choices(&mut c));
        }
        Self { hello, actions }
    }
}

// ---- the runner and its oracles --------------------------------------------

/// A message of the RFC's order, as the runner asks the peer for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Msg {
    ClientHello,
    KeyExchange,
    Ccs,
    Finished,
}

const FULL: [Msg; 4] = [Msg::ClientHello, Msg::KeyExchange, Msg::Ccs, Msg::Finished];
const RESUMED: [Msg; 3] = [Msg::ClientHello, Msg::Ccs, Msg::Finished];

/// The server, the peer driving it, and what the oracles need to know.
/// Every list grows by at most one entry per action or server record, and
/// the script is at most 64 actions plus the RFC's order.
struct Run {
    conn: Connection,
    events: Vec<Event>,
    peer: Peer,
    hello: HelloSpec,
    /// The server's output deframed strictly: it must write well-formed
    /// records whether or not the peer can still read them.
    deframer: Deframer,
    /// Position in the RFC's order.
    pos: usize,
    /// The server resumed the offered session (RFC 5246 §7.4.1.3).
    resumed: bool,
    premaster_bug: bool,
    last_sent: Vec<u8>,
    /// The RFC's messages as built honestly, in plan order (`None` for one
    /// sent dishonestly or not at all); the server may complete only after
    /// receiving exactly these.
    canonical: Vec<Option<(ContentType, Vec<u8>)>>,
    /// Anything but the RFC's order, fragmentation and warning alerts.
    deviated: bool,
    // What the server sent.
    server_msgs: Vec<HandshakeType>,
    server_alert_records: usize,
    server_data: Vec<u8>,
    server_ccs: usize,
}

impl Run {
    fn new(hello: HelloSpec) -> Self {
        // Real AEAD and PRF (the peer keeps real keys); only the RSA key is
        // the clear one, so the peer sends its premaster block in clear.
        let config = server_config(ConnFlags(ConnFlags::KNOWN_SESSION), FuzzCrypto::NoSecurity);
        let mut peer = Peer::new(Role::Client, 0xc1);
        peer.resume_master = Some(MasterSecret::from_bytes(KNOWN_MASTER));
        peer.clear_premaster = Some(ClearRsaKey::LEN);
        let mut ch = peer.default_client_hello();
        hello.edit(&mut ch);
        peer.client_hello = Some(ch);
        let mut deframer = Deframer::new();
        deframer.set_limit(RecordLimit::Ciphertext);
        Self {
            conn: Connection::server(config, Provider::from_seed(SERVER_SEED)),
            events: Vec::new(),
            peer,
            hello,
            deframer,
            pos: 0,
            resumed: false,
            premaster_bug: false,
            last_sent: Vec::new(),
            canonical: Vec::new(),
            deviated: false,
            server_msgs: Vec::new(),
            server_alert_records: 0,
            server_data: Vec::new(),
            server_ccs: 0,
        }
    }

    fn plan(&self) -> &'static [Msg] {
        if self.resumed {
            &RESUMED
        } else {
            &FULL
        }
    }

    fn completed(&self) -> bool {
        self.conn.handshake().is_some()
    }

    /// The peer's bytes for `action`; none if it cannot take the step.
    fn act(&mut self, action: &Action) -> Vec<u8> {
        self.peer.act(action).unwrap_or_default()
    }

    /// One message of the plan from the peer: its bytes, and the message
    /// as the server should receive it if it was built honestly.
    fn build(&mut self, m: Msg) -> (Vec<u8>, Option<(ContentType, Vec<u8>)>) {
        let (action, honest) = match m {
            Msg::ClientHello => (Action::Send(HsMsg::ClientHello), true),
            Msg::KeyExchange => (Action::Send(HsMsg::ClientKeyExchange), !self.premaster_bug),
            Msg::Finished => (Action::Send(HsMsg::Finished), true),
            Msg::Ccs => {
                // Without keys (ClientKeyExchange skipped) it still goes, in clear.
                let out = match self.peer.act(&Action::ChangeCipherSpec) {
                    Ok(out) => out,
                    Err(_) => self.act(&Action::Record {
                        typ: ContentType::ChangeCipherSpec.0,
                        payload: vec![1],
                    }),
                };
                return (out, Some((ContentType::ChangeCipherSpec, vec![1])));
            }
        };
        let before = self.peer.transcript.len();
        match self.peer.act(&action) {
            Ok(out) => {
                let msg = self.peer.transcript.get(before..).unwrap_or_default();
                (out, honest.then(|| (ContentType::Handshake, msg.to_vec())))
            }
            Err(_) => (Vec::new(), None),
        }
    }

    /// The next message of the plan; `None` when the plan is done.
    fn next(&mut self) -> Option<Vec<u8>> {
        let m = *self.plan().get(self.pos)?;
        self.pos += 1;
        let (out, canonical) = self.build(m);
        self.canonical.push(canonical);
        Some(out)
    }

    fn deliver(&mut self, bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        let open_before = !self.conn.is_closed();
        self.conn.feed(&bytes, NOW);
        self.last_sent = bytes;
        let mut out = Vec::new();
        self.conn.write_tls(&mut out);
        let mut fresh = Vec::new();
        while let Some(e) = self.conn.poll_event() {
            fresh.push(e);
        }
        if !open_before {
            assert!(
                out.is_empty() && fresh.is_empty(),
                "server spoke after it ended"
            );
        }
        self.absorb(&out);
        self.events.extend(fresh);
    }

    /// Reads everything the server wrote: strictly framed (and its alert
    /// records counted), then through the peer.
    fn absorb(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = self.deframer.read(rest);
            rest = rest.get(n..).unwrap_or_default();
            loop {
                match self.deframer.pop() {
                    Ok(Some(rec)) => {
                        self.server_alert_records += usize::from(rec.typ == ContentType::Alert);
                    }
                    Ok(None) => break,
                    Err(e) => panic!("the server wrote a malformed record: {e:?}"),
                }
            }
            if n == 0 {
                break;
            }
        }
        for got in self.peer.read(bytes) {
            match got {
                Got::Handshake(msg) => {
                    self.server_msgs.push(msg.typ);
                    if let HandshakePayload::ServerHello(sh) = &msg.payload {
                        self.check_server_hello(sh);
                        // RFC 5246 §7.4.1.3: the server resumes the offered
                        // session (the peer takes its master secret).
                        self.resumed =
                            !sh.session_id.0.is_empty() && sh.session_id.0 == self.hello.session_id;
                    }
                }
                Got::Ccs => self.server_ccs += 1,
                Got::AppData(d) => self.server_data.extend_from_slice(&d),
                Got::Alert(..) => {}
                // In clear, anything unreadable is the server's fault; under
                // its keys, only while the peer is in step with it (a
                // deviation may leave the two with different keys).
                Got::Unreadable(why) => assert!(
                    self.deviated && self.server_ccs > 0,
                    "the server wrote what its peer cannot read: {why}"
                ),
            }
        }
    }

    /// RFC 5246 §7.4.1.3 and §7.4.1.4: the server picks from what we offered.
    fn check_server_hello(&self, sh: &ServerHelloPayload) {
        if self.deviated {
            return;
        }
        let hello = &self.hello;
        assert!(
            hello.suites.contains(&sh.cipher_suite),
            "server picked a suite we did not offer"
        );
        assert_eq!(
            sh.server_version,
            ProtocolVersion::TLSv1_2,
            "server version"
        );
        assert_eq!(
            sh.compression_method,
            Compression::Null,
            "server compression"
        );
        // The peer's reading of both rules (peer::rules), applied to what
        // this scenario offered.
        assert_eq!(
            rules::server_hello_ems(sh),
            hello.offers_ems(),
            "server's EMS answer (RFC 7627 §5.2)"
        );
        let ri = sh.extensions.iter().flatten().find_map(|e| match e {
            ServerExtension::RenegotiationInfo(rc) => Some(rc.0.as_slice()),
            _ => None,
        });
        let ri_offered = (hello.reneg_info.is_some() && !hello.no_extensions)
            || hello
                .suites
                .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
        if let Err(e) = rules::check_server_renegotiation_info(ri, ri_offered, &[]) {
            panic!("server's renegotiation_info answer: {e}");
        }
    }

    /// Runs one scripted action; its bytes to deliver.
    fn action(&mut self, action: &ScenarioAction) -> Vec<u8> {
        let completed = self.completed();
        let (out, deviates) = match action {
            ScenarioAction::Next => match self.next() {
                Some(out) => (out, false),
                None => (self.act(&Action::AppData(b"ping".to_vec())), !completed),
            },
            ScenarioAction::Skip => {
                self.pos += 1;
                (Vec::new(), true)
            }
            ScenarioAction::Repeat => (self.act(&Action::Raw(self.last_sent.clone())), true),
            ScenarioAction::Reorder => {
                let plan = self.plan();
                let (Some(&a), Some(&b)) = (plan.get(self.pos), plan.get(self.pos + 1)) else {
                    return Vec::new();
                };
                self.pos += 2;
                let (out_a, ca) = self.build(a);
                let (out_b, cb) = self.build(b);
                self.canonical.push(ca);
                self.canonical.push(cb);
                ([out_b, out_a].concat(), true)
            }
            ScenarioAction::InjectCcs => (
                self.act(&Action::Record {
                    typ: ContentType::ChangeCipherSpec.0,
                    payload: vec![1],
                }),
                true,
            ),
            ScenarioAction::InjectAlert { level, description } => {
                let neutral = *level == AlertLevel::Warning.0
                    && *description != AlertDescription::CloseNotify.0;
                let out = self.act(&Action::Alert {
                    level: *level,
                    description: *description,
                });
                (out, !neutral)
            }
            ScenarioAction::InjectHandshake { typ, body } => {
                let mut msg = vec![*typ];
                msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
                msg.extend_from_slice(body);
                let out = self.act(&Action::Record {
                    typ: ContentType::Handshake.0,
                    payload: msg,
                });
                (out, true)
            }
            ScenarioAction::InjectAppData(d) => (self.act(&Action::AppData(d.clone())), !completed),
            ScenarioAction::FlipBit(pos) => {
                (self.act(&Action::FlipBitOfNext(usize::from(*pos))), true)
            }
            ScenarioAction::Fragment(n) => {
                let n = if *n == 0 {
                    MAX_FRAGMENT
                } else {
                    usize::from(*n)
                };
                (self.act(&Action::HandshakeFragment(n)), false)
            }
            ScenarioAction::BadFinished { index, mask } => {
                let out = self.act(&Action::BadFinished {
                    index: usize::from(*index),
                    mask: *mask,
                });
                (out, true)
            }
            ScenarioAction::KeyExchange(v) => {
                let bug = match v {
                    1 => Some(PremasterBug::WrongVersion(0x0302)),
                    2 => Some(PremasterBug::WrongLength(47)),
                    3 => Some(PremasterBug::WrongBlockType),
                    4 => Some(PremasterBug::CiphertextShorter),
                    _ => None,
                };
                self.premaster_bug = bug.is_some();
                (self.act(&Action::PremasterBug(bug)), bug.is_some())
            }
        };
        self.deviated |= deviates;
        out
    }
}

/// The state-machine fuzzer: a [`ScenarioScript`] (a [`HelloSpec`] and up to 64
/// [`ScenarioAction`]s) runs the one peer as a client against our server
/// ([`ClearRsaKey`], EMS on, the known session cached); at the end the peer
/// sends whatever of the RFC's order is left, application data and
/// close_notify.
///
/// Oracle (besides no panic):
/// - the server completes only after receiving exactly the RFC's messages
///   in order, built honestly (right premaster, right Finished), and with
///   the ChangeCipherSpec in its place;
/// - a script that deviated in nothing, with an acceptable hello, completes
///   at the client's Finished, the server's Finished verifies, and data
///   flows both ways;
/// - an unacceptable hello delivered intact fails the server with an alert;
/// - a failed server sent exactly one fatal alert (none when it received
///   one) and then nothing; its alert records are those in its transcript;
/// - the server writes well-formed records, readable by a peer in step.
pub fn scenario(data: &[u8]) -> FuzzOutcome {
    let script = ScenarioScript::decode(data);
    run_script(&script)
}

/// Runs a decoded script; see [`scenario`].
pub fn run_script(script: &ScenarioScript) -> FuzzOutcome {
    let mut run = Run::new(script.hello.clone());
    let acceptable = script.hello.acceptable();

    for action in &script.actions {
        let completed = run.completed();
        let out = run.action(action);
        let finished_now =
            matches!(action, ScenarioAction::Next) && run.pos == run.plan().len() && !completed;
        run.deliver(out);
        if finished_now {
            check_clean_completion(&run, acceptable);
        }
        check_completion_was_earned(&run);
    }

    // Whatever is left of the RFC's order, then data and close_notify.
    loop {
        let was_complete = run.completed();
        let Some(out) = run.next() else {
            break;
        };
        let last = run.pos == run.plan().len();
        run.deliver(out);
        if last && !was_complete {
            check_clean_completion(&run, acceptable);
        }
        check_completion_was_earned(&run);
    }
    let clean = !run.deviated && acceptable;
    if run.completed() && !run.conn.is_closed() {
        let out = run.act(&Action::AppData(b"ping".to_vec()));
        run.deliver(out);
        if clean {
            assert_eq!(
                run.events.last(),
                Some(&Event::ApplicationData(b"ping".to_vec())),
                "server lost the client's data"
            );
            assert!(run.conn.send(b"pong").is_ok(), "server send");
            let mut out = Vec::new();
            run.conn.write_tls(&mut out);
            run.absorb(&out);
            assert!(
                run.server_data.ends_with(b"pong"),
                "client cannot read the server's data"
            );
        }
    }
    if !run.conn.is_closed() {
        let out = run.act(&Action::Alert {
            level: AlertLevel::Warning.0,
            description: AlertDescription::CloseNotify.0,
        });
        run.deliver(out);
        if clean {
            assert_eq!(run.events.last(), Some(&Event::PeerClosed), "close_notify");
        }
    }
    if clean {
        assert!(run.completed(), "a clean script did not complete");
    }
    if !acceptable && run.canonical.first().is_some_and(Option::is_some) && !run.deviated {
        assert!(
            run.conn.error().is_some(),
            "an unacceptable ClientHello did not fail the server"
        );
    }
    check_server_alerts(&run);
    FuzzOutcome {
        established: run.completed(),
        error: run.conn.error().cloned(),
    }
}

/// Right after a clean script's Finished went out.
fn check_clean_completion(run: &Run, acceptable: bool) {
    if run.deviated || !acceptable {
        return;
    }
    assert!(
        run.completed(),
        "clean handshake did not complete: {:?}",
        run.conn.error()
    );
    assert_eq!(
        run.peer.target_finished_ok,
        Some(true),
        "server's Finished did not verify"
    );
    let expected: &[HandshakeType] = if run.resumed {
        &[HandshakeType::ServerHello, HandshakeType::Finished]
    } else {
        &[
            HandshakeType::ServerHello,
            HandshakeType::Certificate,
            HandshakeType::ServerHelloDone,
            HandshakeType::Finished,
        ]
    };
    assert_eq!(run.server_msgs, expected, "server's messages");
    assert_eq!(run.server_ccs, 1, "server's ChangeCipherSpec");
    assert_eq!(
        run.conn.handshake().map(|h| h.resumed),
        Some(run.resumed),
        "resumed flag"
    );
}

/// The server completed: it must have received exactly the RFC's messages,
/// honestly built, before doing so (warning alerts aside).
fn check_completion_was_earned(run: &Run) {
    if !run.completed() {
        return;
    }
    let steps = run.conn.transcript().steps();
    let end = steps
        .iter()
        .position(|s| s.direction == Direction::Local && s.state_after == StateId::Traffic)
        .unwrap_or(steps.len());
    let received: Vec<(ContentType, &[u8])> = steps[..end]
        .iter()
        .filter(|s| s.direction == Direction::Received)
        .filter_map(|s| Some((s.record?.0, s.bytes.as_slice())))
        .filter(|(t, b)| !(*t == ContentType::Alert && b.first() == Some(&AlertLevel::Warning.0)))
        .collect();
    let plan_len = run.plan().len();
    let canonical: Vec<(ContentType, &[u8])> = run
        .canonical
        .iter()
        .take(plan_len)
        .map(|m| match m {
            Some((t, b)) => (*t, b.as_slice()),
            None => panic!("server completed after a dishonest message"),
        })
        .collect();
    assert_eq!(
        canonical.len(),
        plan_len,
        "server completed before the plan was sent"
    );
    assert_eq!(
        received, canonical,
        "server completed after receiving other than the RFC's messages"
    );
}

fn check_server_alerts(run: &Run) {
    let sent = sent_alerts(&run.conn);
    assert_eq!(
        sent.len(),
        run.server_alert_records,
        "server's alert records vs its transcript"
    );
    let fatal = sent
        .iter()
        .filter(|s| s.bytes.first() == Some(&AlertLevel::Fatal.0))
        .count();
    let expected = run
        .conn
        .error()
        .map_or(0, |e| usize::from(e.alert().is_some()));
    assert_eq!(
        fatal,
        expected,
        "server's fatal alerts for {:?}",
        run.conn.error()
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn hello(bytes: &[u8]) -> HelloSpec {
        HelloSpec::from_choices(&mut Choices::new(bytes))
    }

    #[test]
    fn scenario_model_of_acceptable_hellos_matches_the_server() {
        // The oracle holds the server to `HelloSpec::acceptable`; each case
        // here runs the handshake and checks the server agrees, with the
        // RFC's alert where it must refuse.
        use gauntlet_engine::{Error, PeerMisbehaved as P};
        let cases: [(&[u8], Option<Error>); 8] = [
            (&[], None),
            (&[1], None), // 0x0304 offered: TLS 1.2 negotiated (RFC 5246 Appendix E.1)
            (&[0, 0, 0, 0, 1], None), // resumes the cached EMS session
            (
                &[2],
                Some(P::UnsupportedVersion(ProtocolVersion::TLSv1_1).into()),
            ),
            (&[0, 3], Some(P::NoCommonCipherSuite.into())),
            (&[0, 0, 2], Some(P::NullCompressionNotOffered.into())),
            (&[0, 0, 0, 4], Some(P::RenegotiationInfoMismatch.into())),
            // RFC 7627 §5.3: an EMS session is not resumed without EMS.
            (
                &[0, 0, 0, 1, 1],
                Some(P::ExtendedMasterSecretMismatch.into()),
            ),
        ];
        for (bytes, expected) in cases {
            let spec = hello(bytes);
            assert_eq!(spec.acceptable(), expected.is_none(), "{spec:?}");
            let outcome = run_script(&ScenarioScript {
                hello: spec.clone(),
                actions: Vec::new(),
            });
            assert_eq!(outcome.established, expected.is_none(), "{spec:?}");
            assert_eq!(outcome.error, expected, "{spec:?}");
        }
    }
}
