//! The `scenario` target, the state-machine fuzzer: a scripted TLS 1.2
//! client with real keys, run by fuzzed actions against our server.
//!
//! The file has three parts. The action list and its decoding from fuzzer
//! bytes ([`Choices`], [`HelloSpec`], [`ScenarioAction`], [`ScenarioScript`])
//! define what a corpus file means; the scripted client and the runner with
//! its oracle ([`run_script`]) carry them out. The scripted client is a peer of
//! its own for now: once the harness's one peer (`harness/src/peer/`) has its
//! step/action API, the runner drives that instead and this client goes,
//! while the action decoding stays byte-compatible with the corpus.
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
use gauntlet_engine::codec::Codec;
use gauntlet_engine::crypto::{self, MasterSecret, PrfHash, SuiteParams};
use gauntlet_engine::enums::{
    AlertDescription, AlertLevel, CipherSuite, Compression, ContentType, ExtensionType,
    HandshakeType, HashAlgorithm, ProtocolVersion, ServerNameType, SignatureAlgorithm,
};
use gauntlet_engine::msgs::{
    decode_handshake, ClientExtension, ClientHelloPayload, EncryptedPreMasterSecret,
    HandshakeMessagePayload, HandshakePayload, HostName, Random, RenegotiatedConnection,
    ServerHelloPayload, ServerName, SessionId, SignatureAndHashAlgorithm,
};
use gauntlet_engine::record::protection::{RecordOpener, RecordSealer};
use gauntlet_engine::record::{
    Deframer, HandshakeJoiner, OpaqueRecord, RecordLimit, MAX_PLAINTEXT,
};
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

    fn message(&self, random: [u8; 32]) -> HandshakeMessagePayload {
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
        let extensions = (!self.no_extensions).then_some(exts);
        HandshakeMessagePayload::new(HandshakePayload::ClientHello(ClientHelloPayload {
            client_version: self.version,
            random: Random(random),
            session_id: SessionId(self.session_id.clone()),
            cipher_suites: self.suites.clone(),
            compression_methods: self.compression.clone(),
            extensions,
        }))
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
    /// Flip one bit of the next bytes sent.
    FlipBit(u16),
    /// Split handshake messages into records of this many bytes (0: 2^14).
    Fragment(u8),
    /// Send Finished with verify_data XORed with this mask.
    BadFinished {
        index: u8,
        mask: u8,
    },
    /// The ClientKeyExchange to send: 0 correct, 1 wrong version, 2 short
    /// premaster, 3 bad padding, 4 short ciphertext.
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

// ---- the scripted client (until the scenario drives harness::peer) --------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Msg {
    ClientHello,
    KeyExchange,
    Ccs,
    Finished,
}

const FULL: [Msg; 4] = [Msg::ClientHello, Msg::KeyExchange, Msg::Ccs, Msg::Finished];
const RESUMED: [Msg; 3] = [Msg::ClientHello, Msg::Ccs, Msg::Finished];

/// A TLS 1.2 client run by a script. It keeps real keys and the handshake
/// hash, so it can still send a valid ClientKeyExchange, ChangeCipherSpec
/// and Finished after misbehaving, and it reads the server's records.
struct ScriptedClient {
    hello: HelloSpec,
    random: [u8; 32],
    premaster: Vec<u8>,
    /// Handshake messages as this client sent (honestly) and received them.
    hs: Vec<u8>,
    suite: CipherSuite,
    server_random: [u8; 32],
    server_ems: bool,
    resumed: bool,
    master: Option<MasterSecret>,
    write: Option<RecordSealer>,
    pending_write: Option<RecordSealer>,
    read: Option<RecordOpener>,
    pending_read: Option<RecordOpener>,
    /// Position in the RFC's order.
    pos: usize,
    fragment: usize,
    flip: Option<u16>,
    cke_variant: u8,
    last_sent: Vec<u8>,
    /// The RFC's messages as built honestly, in plan order (`None` for one
    /// sent dishonestly); the server may complete only after receiving
    /// exactly these.
    canonical: Vec<Option<(ContentType, Vec<u8>)>>,
    /// Anything but the RFC's order, fragmentation and warning alerts.
    deviated: bool,
    // What the server sent.
    deframer: Deframer,
    joiner: HandshakeJoiner,
    lost: bool,
    server_msgs: Vec<HandshakeType>,
    server_finished_ok: Option<bool>,
    server_alert_records: usize,
    server_data: Vec<u8>,
    server_ccs: usize,
}

impl ScriptedClient {
    fn new(hello: HelloSpec) -> Self {
        let mut premaster = vec![0x50; 48];
        premaster[..2].copy_from_slice(&hello.version.0.to_be_bytes());
        Self {
            hello,
            random: [0xc1; 32],
            premaster,
            hs: Vec::new(),
            suite: CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
            server_random: [0; 32],
            server_ems: false,
            resumed: false,
            master: None,
            write: None,
            pending_write: None,
            read: None,
            pending_read: None,
            pos: 0,
            fragment: MAX_PLAINTEXT,
            flip: None,
            cke_variant: 0,
            last_sent: Vec::new(),
            canonical: Vec::new(),
            deviated: false,
            deframer: {
                let mut d = Deframer::new();
                d.set_limit(RecordLimit::Ciphertext);
                d
            },
            joiner: HandshakeJoiner::default(),
            lost: false,
            server_msgs: Vec::new(),
            server_finished_ok: None,
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

    fn params(&self) -> SuiteParams {
        SuiteParams::for_suite(self.suite).unwrap_or(SuiteParams {
            prf_hash: PrfHash::Sha256,
            key_len: 16,
        })
    }

    /// One record, sealed once our ChangeCipherSpec has gone.
    fn record(&mut self, typ: ContentType, plain: &[u8], out: &mut Vec<u8>) {
        let version = ProtocolVersion::TLSv1_2;
        let payload = match &mut self.write {
            Some(w) => match w.seal(typ, version, plain) {
                Ok(p) => p,
                Err(e) => panic!("scripted client cannot seal: {e}"),
            },
            None => plain.to_vec(),
        };
        OpaqueRecord {
            typ,
            version,
            payload,
        }
        .encode(out);
    }

    fn handshake_records(&mut self, msg: &[u8], out: &mut Vec<u8>) {
        let size = self.fragment;
        for part in msg.chunks(size) {
            self.record(ContentType::Handshake, part, out);
        }
    }

    fn derive_keys(&mut self) {
        let p = self.params();
        let Some(master) = &self.master else { return };
        let Ok(kb) = crypto::key_block(
            p.prf_hash,
            master,
            &self.random,
            &self.server_random,
            p.key_len,
        ) else {
            return;
        };
        self.pending_write = RecordSealer::new(kb.client_write_key(), *kb.client_write_iv()).ok();
        self.pending_read = RecordOpener::new(kb.server_write_key(), *kb.server_write_iv()).ok();
    }

    /// Builds one message of the plan: its record type and plaintext, and
    /// whether it was built honestly. Handshake messages join our hash.
    fn build(&mut self, m: Msg) -> (ContentType, Vec<u8>, bool) {
        match m {
            Msg::ClientHello => {
                let bytes = self.hello.message(self.random).get_encoding();
                self.hs.extend_from_slice(&bytes);
                (ContentType::Handshake, bytes, true)
            }
            Msg::KeyExchange => {
                let mut pm = self.premaster.clone();
                match self.cke_variant {
                    1 => pm[..2].copy_from_slice(&[0x03, 0x02]),
                    2 => {
                        pm.pop();
                    }
                    _ => {}
                }
                let mut ct = ClearRsaKey::encrypt(&pm);
                match self.cke_variant {
                    3 => ct[1] = 0x01,
                    4 => {
                        ct.remove(0);
                    }
                    _ => {}
                }
                let honest = self.cke_variant == 0;
                let bytes = HandshakeMessagePayload::new(HandshakePayload::ClientKeyExchange(
                    EncryptedPreMasterSecret(ct),
                ))
                .get_encoding();
                self.hs.extend_from_slice(&bytes);
                let p = self.params();
                let pm: [u8; 48] = self.premaster.clone().try_into().unwrap_or([0; 48]);
                let pm = crypto::Premaster::from_bytes(pm);
                self.master = Some(if self.server_ems {
                    crypto::extended_master_secret(p.prf_hash, &pm, &p.prf_hash.hash(&self.hs))
                } else {
                    crypto::master_secret(p.prf_hash, &pm, &self.random, &self.server_random)
                });
                self.derive_keys();
                (ContentType::Handshake, bytes, honest)
            }
            Msg::Ccs => (ContentType::ChangeCipherSpec, vec![1], true),
            Msg::Finished => {
                let vd = self.verify_data(crypto::CLIENT_FINISHED);
                let bytes = HandshakeMessagePayload::new(HandshakePayload::Finished(vd.to_vec()))
                    .get_encoding();
                self.hs.extend_from_slice(&bytes);
                (ContentType::Handshake, bytes, self.master.is_some())
            }
        }
    }

    fn verify_data(&self, label: &[u8]) -> [u8; 12] {
        let p = self.params();
        let zero = MasterSecret::from_bytes([0; 48]);
        let master = self.master.as_ref().unwrap_or(&zero);
        crypto::verify_data(p.prf_hash, master, label, &p.prf_hash.hash(&self.hs))
    }

    /// Writes a built message; a ChangeCipherSpec switches our write keys.
    fn emit(&mut self, typ: ContentType, plain: &[u8], out: &mut Vec<u8>) {
        if typ == ContentType::Handshake {
            self.handshake_records(plain, out);
        } else {
            self.record(typ, plain, out);
        }
        if typ == ContentType::ChangeCipherSpec {
            self.write = self.pending_write.take();
        }
    }

    /// The next message of the plan, built and written; `None` when the
    /// plan is done.
    fn next(&mut self, out: &mut Vec<u8>) -> Option<Msg> {
        let m = *self.plan().get(self.pos)?;
        self.pos += 1;
        let (typ, plain, honest) = self.build(m);
        self.emit(typ, &plain, out);
        self.canonical.push(honest.then_some((typ, plain)));
        Some(m)
    }

    /// Reads everything the server wrote.
    fn absorb(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let n = self.deframer.read(bytes);
            bytes = &bytes[n..];
            loop {
                match self.deframer.pop() {
                    Ok(Some(rec)) => self.server_record(rec),
                    Ok(None) => break,
                    Err(e) => panic!("the server wrote a malformed record: {e:?}"),
                }
            }
            if n == 0 {
                break;
            }
        }
    }

    fn server_record(&mut self, rec: OpaqueRecord) {
        if rec.typ == ContentType::Alert {
            self.server_alert_records += 1;
        }
        if self.lost {
            return;
        }
        let plain = match &mut self.read {
            Some(r) => match r.open(rec.typ, rec.version, &rec.payload) {
                Ok(p) => p,
                Err(_) => {
                    // Our keys differ from the server's (after a deviation).
                    self.lost = true;
                    return;
                }
            },
            None => rec.payload,
        };
        match rec.typ {
            ContentType::Handshake => {
                if self.joiner.push(&plain).is_err() {
                    panic!("the server sent an oversized handshake message");
                }
                while let Ok(Some(raw)) = self.joiner.pop() {
                    let Ok(msg) = decode_handshake(&raw) else {
                        panic!("the server sent an undecodable handshake message");
                    };
                    self.server_message(msg, &raw);
                }
            }
            ContentType::ChangeCipherSpec => {
                self.server_ccs += 1;
                self.read = self.pending_read.take();
                if self.read.is_none() {
                    self.lost = true;
                }
            }
            ContentType::ApplicationData => self.server_data.extend_from_slice(&plain),
            _ => {}
        }
    }

    fn server_message(&mut self, msg: HandshakeMessagePayload, raw: &[u8]) {
        self.server_msgs.push(msg.typ);
        match &msg.payload {
            HandshakePayload::ServerHello(sh) => {
                self.hs.extend_from_slice(raw);
                self.check_server_hello(sh);
                self.suite = sh.cipher_suite;
                self.server_random = sh.random.0;
                self.server_ems = sh
                    .find_extension(ExtensionType::ExtendedMasterSecret)
                    .is_some();
                if !sh.session_id.0.is_empty() && sh.session_id.0 == self.hello.session_id {
                    // RFC 5246 §7.4.1.3: the server resumes the offered session.
                    self.resumed = true;
                    self.master = Some(MasterSecret::from_bytes(KNOWN_MASTER));
                    self.derive_keys();
                }
            }
            HandshakePayload::Finished(vd) => {
                let ok = *vd == self.verify_data(crypto::SERVER_FINISHED);
                self.server_finished_ok = Some(ok);
                self.hs.extend_from_slice(raw);
            }
            _ => self.hs.extend_from_slice(raw),
        }
    }

    /// RFC 5246 §7.4.1.3 and §7.4.1.4: the server picks from what we offered.
    fn check_server_hello(&self, sh: &ServerHelloPayload) {
        if self.deviated {
            return;
        }
        assert!(
            self.hello.suites.contains(&sh.cipher_suite),
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
        let ems = sh
            .find_extension(ExtensionType::ExtendedMasterSecret)
            .is_some();
        assert_eq!(
            ems,
            self.hello.offers_ems(),
            "server's EMS answer (RFC 7627 §5.2)"
        );
        let ri = sh
            .find_extension(ExtensionType::RenegotiationInfo)
            .is_some();
        let ri_offered = (self.hello.reneg_info.is_some() && !self.hello.no_extensions)
            || self
                .hello
                .suites
                .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
        assert_eq!(
            ri, ri_offered,
            "server's renegotiation_info answer (RFC 5746 §3.6)"
        );
    }
}

/// The server and what it has said so far.
struct ScenarioServer {
    conn: Connection,
    events: Vec<Event>,
}

impl ScenarioServer {
    fn deliver(&mut self, client: &mut ScriptedClient, mut bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        if let Some(pos) = client.flip.take() {
            let i = usize::from(pos >> 3) % bytes.len();
            bytes[i] ^= 1 << (pos & 7);
            client.deviated = true;
        }
        let open_before = !self.conn.is_closed();
        self.conn.feed(&bytes, NOW);
        client.last_sent = bytes;
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
        client.absorb(&out);
        self.events.extend(fresh);
    }

    fn completed(&self) -> bool {
        self.conn.handshake().is_some()
    }
}

// ---- the runner and its oracle ---------------------------------------------

/// The state-machine fuzzer: a [`ScenarioScript`] (a [`HelloSpec`] and up to 64
/// [`ScenarioAction`]s) runs a scripted client against our server ([`ClearRsaKey`],
/// EMS on, the known session cached); at the end the client sends whatever
/// of the RFC's order is left, application data and close_notify.
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
///   one) and then nothing; its alert records are those in its transcript.
pub fn scenario(data: &[u8]) -> FuzzOutcome {
    let script = ScenarioScript::decode(data);
    run_script(&script)
}

/// Runs a decoded script; see [`scenario`].
pub fn run_script(script: &ScenarioScript) -> FuzzOutcome {
    // Real AEAD and PRF (the scripted client keeps real keys); only the RSA
    // key is the clear one.
    let config = server_config(ConnFlags(ConnFlags::KNOWN_SESSION), FuzzCrypto::NoSecurity);
    let mut server = ScenarioServer {
        conn: Connection::server(config, Provider::from_seed(SERVER_SEED)),
        events: Vec::new(),
    };
    let mut client = ScriptedClient::new(script.hello.clone());
    let acceptable = script.hello.acceptable();

    for action in &script.actions {
        let mut out = Vec::new();
        let completed = server.completed();
        match action {
            ScenarioAction::Next => {
                if client.next(&mut out).is_none() {
                    client.record(ContentType::ApplicationData, b"ping", &mut out);
                    client.deviated |= !completed;
                }
            }
            ScenarioAction::Skip => {
                client.pos += 1;
                client.deviated = true;
            }
            ScenarioAction::Repeat => {
                out = client.last_sent.clone();
                client.deviated = true;
            }
            ScenarioAction::Reorder => {
                let plan = client.plan();
                if let (Some(&a), Some(&b)) = (plan.get(client.pos), plan.get(client.pos + 1)) {
                    client.pos += 2;
                    let (ta, pa, ha) = client.build(a);
                    let (tb, pb, hb) = client.build(b);
                    client.emit(tb, &pb, &mut out);
                    client.emit(ta, &pa, &mut out);
                    client.canonical.push(ha.then_some((ta, pa)));
                    client.canonical.push(hb.then_some((tb, pb)));
                    client.deviated = true;
                }
            }
            ScenarioAction::InjectCcs => {
                client.record(ContentType::ChangeCipherSpec, &[1], &mut out);
                client.deviated = true;
            }
            ScenarioAction::InjectAlert { level, description } => {
                client.record(ContentType::Alert, &[*level, *description], &mut out);
                let neutral = *level == AlertLevel::Warning.0
                    && *description != AlertDescription::CloseNotify.0;
                client.deviated |= !neutral;
            }
            ScenarioAction::InjectHandshake { typ, body } => {
                let mut msg = vec![*typ];
                msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
                msg.extend_from_slice(body);
                client.handshake_records(&msg, &mut out);
                client.deviated = true;
            }
            ScenarioAction::InjectAppData(d) => {
                client.record(ContentType::ApplicationData, d, &mut out);
                client.deviated |= !completed;
            }
            ScenarioAction::FlipBit(pos) => {
                client.flip = Some(*pos);
                client.deviated = true;
            }
            ScenarioAction::Fragment(n) => {
                client.fragment = if *n == 0 {
                    MAX_PLAINTEXT
                } else {
                    usize::from(*n)
                }
            }
            ScenarioAction::BadFinished { index, mask } => {
                let mut vd = client.verify_data(crypto::CLIENT_FINISHED);
                vd[usize::from(*index) % vd.len()] ^= *mask;
                let msg = HandshakeMessagePayload::new(HandshakePayload::Finished(vd.to_vec()))
                    .get_encoding();
                client.handshake_records(&msg, &mut out);
                client.deviated = true;
            }
            ScenarioAction::KeyExchange(v) => {
                client.cke_variant = *v;
                client.deviated |= *v != 0;
            }
        }
        let finished_now = matches!(action, ScenarioAction::Next)
            && client.pos == client.plan().len()
            && !completed;
        server.deliver(&mut client, out);
        if finished_now {
            check_clean_completion(&server, &client, acceptable);
        }
        check_completion_was_earned(&server, &client);
    }

    // Whatever is left of the RFC's order, then data and close_notify.
    loop {
        let mut out = Vec::new();
        let was_complete = server.completed();
        let Some(_) = client.next(&mut out) else {
            break;
        };
        let last = client.pos == client.plan().len();
        server.deliver(&mut client, out);
        if last && !was_complete {
            check_clean_completion(&server, &client, acceptable);
        }
        check_completion_was_earned(&server, &client);
    }
    let clean = !client.deviated && acceptable;
    if server.completed() && !server.conn.is_closed() {
        let mut out = Vec::new();
        client.record(ContentType::ApplicationData, b"ping", &mut out);
        server.deliver(&mut client, out);
        if clean {
            assert_eq!(
                server.events.last(),
                Some(&Event::ApplicationData(b"ping".to_vec())),
                "server lost the client's data"
            );
            assert!(server.conn.send(b"pong").is_ok(), "server send");
            let mut out = Vec::new();
            server.conn.write_tls(&mut out);
            client.absorb(&out);
            assert!(
                client.server_data.ends_with(b"pong"),
                "client cannot read the server's data"
            );
        }
    }
    if !server.conn.is_closed() {
        let mut out = Vec::new();
        client.record(ContentType::Alert, &[1, 0], &mut out);
        server.deliver(&mut client, out);
        if clean {
            assert_eq!(
                server.events.last(),
                Some(&Event::PeerClosed),
                "close_notify"
            );
        }
    }
    if acceptable && !client.deviated {
        assert!(server.completed(), "a clean script did not complete");
    }
    if !acceptable && client.canonical.first().is_some_and(Option::is_some) && !client.deviated {
        assert!(
            server.conn.error().is_some(),
            "an unacceptable ClientHello did not fail the server"
        );
    }
    check_server_alerts(&server, &client);
    FuzzOutcome {
        established: server.completed(),
        error: server.conn.error().cloned(),
    }
}

/// Right after a clean script's Finished went out.
fn check_clean_completion(server: &ScenarioServer, client: &ScriptedClient, acceptable: bool) {
    if client.deviated || !acceptable {
        return;
    }
    assert!(
        server.completed(),
        "clean handshake did not complete: {:?}",
        server.conn.error()
    );
    assert_eq!(
        client.server_finished_ok,
        Some(true),
        "server's Finished did not verify"
    );
    let expected: &[HandshakeType] = if client.resumed {
        &[HandshakeType::ServerHello, HandshakeType::Finished]
    } else {
        &[
            HandshakeType::ServerHello,
            HandshakeType::Certificate,
            HandshakeType::ServerHelloDone,
            HandshakeType::Finished,
        ]
    };
    assert_eq!(client.server_msgs, expected, "server's messages");
    assert_eq!(client.server_ccs, 1, "server's ChangeCipherSpec");
    assert_eq!(
        server.conn.handshake().map(|h| h.resumed),
        Some(client.resumed),
        "resumed flag"
    );
}

/// The server completed: it must have received exactly the RFC's messages,
/// honestly built, before doing so (warning alerts aside).
fn check_completion_was_earned(server: &ScenarioServer, client: &ScriptedClient) {
    if !server.completed() {
        return;
    }
    let steps = server.conn.transcript().steps();
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
    let plan_len = client.plan().len();
    let canonical: Vec<(ContentType, &[u8])> = client
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

fn check_server_alerts(server: &ScenarioServer, client: &ScriptedClient) {
    let sent = sent_alerts(&server.conn);
    assert_eq!(
        sent.len(),
        client.server_alert_records,
        "server's alert records vs its transcript"
    );
    let fatal = sent
        .iter()
        .filter(|s| s.bytes.first() == Some(&AlertLevel::Fatal.0))
        .count();
    let expected = server
        .conn
        .error()
        .map_or(0, |e| usize::from(e.alert().is_some()));
    assert_eq!(
        fatal,
        expected,
        "server's fatal alerts for {:?}",
        server.conn.error()
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
