//! Shared helpers for the engine's connection tests: the test PKI, configs,
//! `Pair` set-up, and `Peer`, a hand-driven TLS 1.2 peer built only from the
//! engine's public parts (msgs codecs, record deframer/joiner, crypto). It
//! keeps real keys and a real handshake hash, so it can send any message at
//! any point, still encrypt it, and still compute a valid Finished: that is
//! what lets a test put the engine in a chosen state and then misbehave.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use gauntlet_engine::codec::Codec;
use gauntlet_engine::config::PkiVerifier;
use gauntlet_engine::crypto::rsa_kx::{private_key_from_pem, PREMASTER_LEN};
use gauntlet_engine::crypto::{self, MasterSecret, Premaster, SuiteParams};
use gauntlet_engine::enums::{
    AlertDescription, AlertLevel, CipherSuite, Compression, ContentType, ExtensionType,
    HandshakeType, HashAlgorithm, ProtocolVersion, ServerNameType, SignatureAlgorithm,
};
use gauntlet_engine::msgs::{
    AlertMessagePayload, Asn1Cert, CertificatePayload, ClientExtension, ClientHelloPayload,
    EncryptedPreMasterSecret, HandshakeMessagePayload, HandshakePayload, HostName, Random,
    RenegotiatedConnection, ServerExtension, ServerHelloPayload, ServerName, SessionId,
    SignatureAndHashAlgorithm,
};
use gauntlet_engine::record::protection::{open_with_seq, seal_with_nonce};
use gauntlet_engine::record::{Deframer, HandshakeJoiner, OpaqueRecord, MAX_PLAINTEXT};
use gauntlet_engine::{
    ClientConfig, Connection, Event, Pair, Provider, ServerConfig, Session, SessionCache, UnixTime,
};
use std::sync::Arc;

/// The test PKI's validation time (vectors/pki/README.md): 2027-01-01.
pub const NOW: UnixTime = UnixTime(1_798_761_600);

pub const AES128: CipherSuite = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;
pub const AES256: CipherSuite = CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384;

pub fn pki(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../vectors/pki/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("vectors/pki/{name}: {e}"))
}

pub fn private_key(name: &str) -> rsa::PrivateKey {
    private_key_from_pem(&String::from_utf8(pki(name)).unwrap()).unwrap()
}

/// `leaf.key`, parsed once per process (parsing checks the key: slow-ish).
pub fn leaf_key() -> Arc<rsa::PrivateKey> {
    static KEY: std::sync::OnceLock<Arc<rsa::PrivateKey>> = std::sync::OnceLock::new();
    KEY.get_or_init(|| Arc::new(private_key("leaf.key")))
        .clone()
}

pub fn leaf_chain() -> Vec<Vec<u8>> {
    vec![pki("leaf.der"), pki("int.der")]
}

pub fn server_config() -> ServerConfig {
    ServerConfig::new(leaf_chain(), leaf_key())
}

pub fn client_config() -> ClientConfig {
    ClientConfig::new(Arc::new(
        PkiVerifier::new(&[pki("root.der")], vec![]).unwrap(),
    ))
}

pub fn client(config: ClientConfig, seed: u8, resume: Option<Session>) -> Connection {
    Connection::client(
        Arc::new(config),
        "localhost",
        Provider::from_seed([seed; 32]),
        resume,
    )
    .unwrap()
}

pub fn server(config: Arc<ServerConfig>, seed: u8) -> Connection {
    Connection::server(config, Provider::from_seed([seed; 32]))
}

/// A client (seed `seed`) and a server (seed `seed + 100`).
pub fn pair(client_cfg: ClientConfig, server_cfg: Arc<ServerConfig>, seed: u8) -> Pair {
    Pair::new(
        client(client_cfg, seed, None),
        server(server_cfg, seed.wrapping_add(100)),
        NOW,
    )
}

/// Runs a pair and asserts both sides completed without error.
pub fn complete(p: &mut Pair) {
    p.run();
    assert_eq!(p.client.error(), None, "client failed");
    assert_eq!(p.server.error(), None, "server failed");
    assert!(p.client.handshake().is_some(), "client did not complete");
    assert!(p.server.handshake().is_some(), "server did not complete");
}

/// Everything `conn` wants to write.
pub fn drain(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    conn.write_tls(&mut out);
    out
}

pub fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

/// Splits wire bytes into records (headers as sent, payloads opaque).
pub fn records(mut bytes: &[u8]) -> Vec<OpaqueRecord> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        assert!(bytes.len() >= 5, "truncated record header");
        let len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        out.push(OpaqueRecord {
            typ: ContentType(bytes[0]),
            version: ProtocolVersion(u16::from_be_bytes([bytes[1], bytes[2]])),
            payload: bytes[5..5 + len].to_vec(),
        });
        bytes = &bytes[5 + len..];
    }
    out
}

pub fn record(typ: ContentType, version: ProtocolVersion, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    OpaqueRecord {
        typ,
        version,
        payload: payload.to_vec(),
    }
    .encode(&mut out);
    out
}

pub fn hs(payload: HandshakePayload) -> HandshakeMessagePayload {
    HandshakeMessagePayload::new(payload)
}

/// What the peer got from the engine, record layer removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Got {
    Handshake(HandshakeMessagePayload),
    Ccs,
    Alert(AlertLevel, AlertDescription),
    AppData(Vec<u8>),
}

/// One direction's AES-GCM state, kept as raw key bytes so the peer can
/// also seal records the engine's sealer would refuse (oversized ones).
#[derive(Clone, Debug)]
pub struct Direction {
    pub key: Vec<u8>,
    pub salt: [u8; 4],
    pub seq: u64,
}

impl Direction {
    pub fn seal(&mut self, typ: ContentType, plaintext: &[u8]) -> Vec<u8> {
        let out = seal_with_nonce(
            &self.key,
            &self.salt,
            &self.seq.to_be_bytes(),
            self.seq,
            typ,
            ProtocolVersion::TLSv1_2,
            plaintext,
        )
        .unwrap();
        self.seq += 1;
        out
    }

    fn open(&mut self, typ: ContentType, version: ProtocolVersion, fragment: &[u8]) -> Vec<u8> {
        let out = open_with_seq(&self.key, &self.salt, self.seq, typ, version, fragment)
            .expect("the engine's record does not authenticate");
        self.seq += 1;
        out
    }
}

/// Which role the scripted peer plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Client,
    Server,
}

/// A scripted TLS 1.2 peer. Every `send_*` returns the wire bytes (records,
/// sealed once our CCS went out); `read` takes the engine's bytes.
pub struct Peer {
    pub role: Role,
    pub rng: Provider,
    deframer: Deframer,
    joiner: HandshakeJoiner,
    /// Handshake messages so far (HelloRequest excluded): the hash input.
    pub transcript: Vec<u8>,
    pub client_random: [u8; 32],
    pub server_random: [u8; 32],
    pub suite: CipherSuite,
    pub ems: bool,
    pub client_version: ProtocolVersion,
    pub session_id: Vec<u8>,
    pub master: Option<MasterSecret>,
    pub write: Option<Direction>,
    pub read: Option<Direction>,
    pending_write: Option<Direction>,
    pending_read: Option<Direction>,
    /// Record version we put on what we send.
    pub record_version: ProtocolVersion,
    pub max_fragment: usize,
    /// Client role: the master secret of the session we offer, used when
    /// the ServerHello echoes its ID.
    pub resume_master: Option<MasterSecret>,
}

impl Peer {
    pub fn new(role: Role, seed: u8) -> Self {
        Self {
            role,
            rng: Provider::from_seed([seed; 32]),
            deframer: Deframer::new(),
            joiner: HandshakeJoiner::default(),
            transcript: Vec::new(),
            client_random: [0; 32],
            server_random: [0; 32],
            suite: AES128,
            ems: false,
            client_version: ProtocolVersion::TLSv1_2,
            session_id: Vec::new(),
            master: None,
            write: None,
            read: None,
            pending_write: None,
            pending_read: None,
            record_version: ProtocolVersion::TLSv1_2,
            max_fragment: MAX_PLAINTEXT,
            resume_master: None,
        }
    }

    /// Frames `payload` as records of `typ`, sealing once our CCS is out.
    pub fn send_record(&mut self, typ: ContentType, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let parts: Vec<&[u8]> = if payload.is_empty() {
            vec![payload]
        } else {
            payload.chunks(self.max_fragment).collect()
        };
        for part in parts {
            let body = match &mut self.write {
                Some(w) => w.seal(typ, part),
                None => part.to_vec(),
            };
            out.extend(record(typ, self.record_version, &body));
        }
        out
    }

    /// Sends handshake bytes as they are, adding them to the hash input.
    pub fn send_hs_bytes(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.transcript.extend_from_slice(bytes);
        self.send_record(ContentType::Handshake, bytes)
    }

    pub fn send_hs(&mut self, msg: HandshakeMessagePayload) -> Vec<u8> {
        self.send_hs_bytes(&msg.get_encoding())
    }

    pub fn send_alert(&mut self, level: AlertLevel, description: AlertDescription) -> Vec<u8> {
        let bytes = AlertMessagePayload { level, description }.get_encoding();
        self.send_record(ContentType::Alert, &bytes)
    }

    pub fn send_app_data(&mut self, data: &[u8]) -> Vec<u8> {
        self.send_record(ContentType::ApplicationData, data)
    }

    /// ChangeCipherSpec; everything we send after it is protected.
    pub fn send_ccs(&mut self) -> Vec<u8> {
        let out = self.send_record(ContentType::ChangeCipherSpec, &[1]);
        self.write = self.pending_write.take();
        assert!(self.write.is_some(), "send_ccs before keys were derived");
        out
    }

    /// Our Finished over the hash so far.
    pub fn finished_payload(&self) -> HandshakePayload {
        let label = match self.role {
            Role::Client => crypto::CLIENT_FINISHED,
            Role::Server => crypto::SERVER_FINISHED,
        };
        let hash = self.params().prf_hash.hash(&self.transcript);
        let vd = crypto::verify_data(
            self.params().prf_hash,
            self.master.as_ref().expect("no master secret"),
            label,
            &hash,
        );
        HandshakePayload::Finished(vd.to_vec())
    }

    pub fn send_finished(&mut self) -> Vec<u8> {
        let fin = self.finished_payload();
        self.send_hs(hs(fin))
    }

    pub fn params(&self) -> SuiteParams {
        SuiteParams::for_suite(self.suite).unwrap()
    }

    /// Master secret from `premaster` (EMS over the hash so far when
    /// negotiated), then the key block.
    pub fn derive(&mut self, premaster: &Premaster) {
        let h = self.params().prf_hash;
        let master = if self.ems {
            crypto::extended_master_secret(h, premaster, &h.hash(&self.transcript))
        } else {
            crypto::master_secret(h, premaster, &self.client_random, &self.server_random)
        };
        self.set_master(master);
    }

    /// Keys from a known master secret (resumption).
    pub fn set_master(&mut self, master: MasterSecret) {
        let p = self.params();
        let kb = crypto::key_block(
            p.prf_hash,
            &master,
            &self.client_random,
            &self.server_random,
            p.key_len,
        )
        .unwrap();
        let client = Direction {
            key: kb.client_write_key().to_vec(),
            salt: *kb.client_write_iv(),
            seq: 0,
        };
        let server = Direction {
            key: kb.server_write_key().to_vec(),
            salt: *kb.server_write_iv(),
            seq: 0,
        };
        let (ours, theirs) = match self.role {
            Role::Client => (client, server),
            Role::Server => (server, client),
        };
        self.pending_write = Some(ours);
        self.pending_read = Some(theirs);
        self.master = Some(master);
    }

    /// Reads everything the engine wrote. Handshake messages join the hash
    /// input (HelloRequest excepted, RFC 5246 §7.4.1.1); the peer's CCS
    /// turns on decryption of what follows.
    pub fn read(&mut self, mut bytes: &[u8]) -> Vec<Got> {
        let mut got = Vec::new();
        loop {
            let n = self.deframer.read(bytes);
            bytes = &bytes[n..];
            while let Some(rec) = self.deframer.pop().expect("engine sent a bad record") {
                let plain = match &mut self.read {
                    Some(r) => r.open(rec.typ, rec.version, &rec.payload),
                    None => rec.payload,
                };
                match rec.typ {
                    ContentType::Handshake => {
                        self.joiner.push(&plain).unwrap();
                        while let Some(raw) = self.joiner.pop().unwrap() {
                            let msg = HandshakeMessagePayload::read_bytes(&raw).unwrap();
                            if msg.typ != HandshakeType::HelloRequest {
                                self.transcript.extend_from_slice(&raw);
                            }
                            self.absorb(&msg.payload);
                            got.push(Got::Handshake(msg));
                        }
                    }
                    ContentType::ChangeCipherSpec => {
                        assert_eq!(plain, [1]);
                        self.read = self.pending_read.take();
                        got.push(Got::Ccs);
                    }
                    ContentType::Alert => {
                        let a = AlertMessagePayload::read_bytes(&plain).unwrap();
                        got.push(Got::Alert(a.level, a.description));
                    }
                    ContentType::ApplicationData => got.push(Got::AppData(plain)),
                    other => panic!("engine sent content type {other:?}"),
                }
            }
            if bytes.is_empty() {
                return got;
            }
        }
    }

    /// Takes what the peer needs from the engine's hellos and key exchange
    /// as they arrive, so keys exist before the engine's CCS is read.
    fn absorb(&mut self, payload: &HandshakePayload) {
        match (self.role, payload) {
            (Role::Client, HandshakePayload::ServerHello(sh)) => {
                self.server_random = sh.random.0;
                self.suite = sh.cipher_suite;
                self.ems = sh
                    .find_extension(ExtensionType::ExtendedMasterSecret)
                    .is_some();
                let resumed = !sh.session_id.0.is_empty() && sh.session_id.0 == self.session_id;
                self.session_id = sh.session_id.0.clone();
                if let (true, Some(ms)) = (resumed, self.resume_master.clone()) {
                    self.set_master(ms);
                }
            }
            (Role::Server, HandshakePayload::ClientHello(ch)) => {
                self.client_random = ch.random.0;
                self.client_version = ch.client_version;
            }
            (Role::Server, HandshakePayload::ClientKeyExchange(c)) => {
                let random: [u8; PREMASTER_LEN] = self.rng.array();
                let pm = crypto::decrypt_premaster(
                    &*leaf_key(),
                    &mut self.rng,
                    &c.0,
                    self.client_version,
                    &random,
                );
                // The EMS session hash runs through ClientKeyExchange (RFC
                // 7627 §3), already in the hash input.
                self.derive(&pm);
            }
            _ => {}
        }
    }

    // ---- client role ---------------------------------------------------

    /// The ClientHello our engine's client would send, for editing.
    pub fn default_client_hello(&mut self) -> ClientHelloPayload {
        ClientHelloPayload {
            client_version: ProtocolVersion::TLSv1_2,
            random: Random(self.rng.array()),
            session_id: SessionId(self.session_id.clone()),
            cipher_suites: vec![AES128, AES256],
            compression_methods: vec![Compression::Null],
            extensions: Some(vec![
                ClientExtension::ServerName(vec![ServerName {
                    name_type: ServerNameType::HostName,
                    name: HostName(b"localhost".to_vec()),
                }]),
                ClientExtension::ExtendedMasterSecret,
                ClientExtension::RenegotiationInfo(RenegotiatedConnection(Vec::new())),
                ClientExtension::SignatureAlgorithms(vec![SignatureAndHashAlgorithm {
                    hash: HashAlgorithm::Sha256,
                    signature: SignatureAlgorithm::Rsa,
                }]),
            ]),
        }
    }

    pub fn send_client_hello(&mut self, ch: ClientHelloPayload) -> Vec<u8> {
        self.client_random = ch.random.0;
        self.client_version = ch.client_version;
        self.session_id = ch.session_id.0.clone();
        self.send_hs(hs(HandshakePayload::ClientHello(ch)))
    }

    /// A premaster carrying `client_version`, encrypted to leaf.der's key,
    /// sent as ClientKeyExchange; keys derived from it.
    pub fn send_client_key_exchange(&mut self) -> Vec<u8> {
        let pm = Premaster::generate(self.client_version, &mut self.rng);
        let ct = self.encrypt_to_leaf(pm.as_bytes());
        let out = self.send_hs(hs(HandshakePayload::ClientKeyExchange(
            EncryptedPreMasterSecret(ct),
        )));
        self.derive(&pm);
        out
    }

    pub fn encrypt_to_leaf(&mut self, pm: &[u8; PREMASTER_LEN]) -> Vec<u8> {
        let key = gauntlet_engine::pki::leaf_public_key(&pki("leaf.der")).unwrap();
        crypto::encrypt_premaster(&key, pm, &mut self.rng).unwrap()
    }

    // ---- server role ---------------------------------------------------

    /// A ServerHello for what our engine's client offers, for editing.
    pub fn default_server_hello(&mut self) -> ServerHelloPayload {
        ServerHelloPayload {
            server_version: ProtocolVersion::TLSv1_2,
            random: Random(self.rng.array()),
            session_id: SessionId(vec![0x5e; 32]),
            cipher_suite: AES128,
            compression_method: Compression::Null,
            extensions: Some(vec![
                ServerExtension::RenegotiationInfo(RenegotiatedConnection(Vec::new())),
                ServerExtension::ExtendedMasterSecret,
            ]),
        }
    }

    pub fn send_server_hello(&mut self, sh: ServerHelloPayload) -> Vec<u8> {
        self.server_random = sh.random.0;
        self.suite = sh.cipher_suite;
        self.ems = sh
            .extensions
            .iter()
            .flatten()
            .any(|e| matches!(e, ServerExtension::ExtendedMasterSecret));
        self.session_id = sh.session_id.0.clone();
        self.send_hs(hs(HandshakePayload::ServerHello(sh)))
    }

    pub fn send_certificate(&mut self, chain: &[Vec<u8>]) -> Vec<u8> {
        self.send_hs(hs(HandshakePayload::Certificate(CertificatePayload(
            chain.iter().map(|c| Asn1Cert(c.clone())).collect(),
        ))))
    }
}

/// The session both sides of a resumption test know: its master secret is
/// fixed so the scripted peer can compute the abbreviated handshake's keys.
pub fn known_session(ems: bool) -> Session {
    Session {
        id: vec![7; 32],
        suite: AES128,
        master_secret: Arc::new(MasterSecret::from_bytes([9; 48])),
        extended_master_secret: ems,
    }
}

/// A server config whose cache holds `known_session(true)`.
pub fn server_config_with_known_session() -> ServerConfig {
    let mut cfg = server_config();
    let cache = SessionCache::new(8);
    let cache = Arc::new(std::sync::Mutex::new(cache));
    cache.lock().unwrap().insert(known_session(true));
    cfg.session_cache = Some(cache);
    cfg
}

/// Where a test wants the engine's server to be, named by the state that
/// awaits the next message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerStage {
    ExpectClientHello,
    ExpectClientKeyExchange,
    ExpectChangeCipherSpec,
    ExpectFinished,
    Traffic,
    ResumedExpectChangeCipherSpec,
    ResumedExpectFinished,
}

impl ServerStage {
    pub const ALL: [ServerStage; 7] = [
        ServerStage::ExpectClientHello,
        ServerStage::ExpectClientKeyExchange,
        ServerStage::ExpectChangeCipherSpec,
        ServerStage::ExpectFinished,
        ServerStage::Traffic,
        ServerStage::ResumedExpectChangeCipherSpec,
        ServerStage::ResumedExpectFinished,
    ];
}

/// Our server, driven by a scripted client to `stage`; all output so far
/// read by the peer, all events so far drained.
pub fn server_at(stage: ServerStage, seed: u8) -> (Connection, Peer) {
    let (mut srv, peer) = server_at_inner(stage, seed);
    events(&mut srv);
    (srv, peer)
}

fn server_at_inner(stage: ServerStage, seed: u8) -> (Connection, Peer) {
    use ServerStage as S;
    let resumed = matches!(
        stage,
        S::ResumedExpectChangeCipherSpec | S::ResumedExpectFinished
    );
    let cfg = if resumed {
        server_config_with_known_session()
    } else {
        server_config()
    };
    let mut srv = server(Arc::new(cfg), seed);
    let mut peer = Peer::new(Role::Client, seed.wrapping_add(1));
    if stage == S::ExpectClientHello {
        return (srv, peer);
    }
    if resumed {
        let known = known_session(true);
        peer.session_id = known.id.clone();
        peer.resume_master = Some((*known.master_secret).clone());
    }
    let ch = peer.default_client_hello();
    let bytes = peer.send_client_hello(ch);
    exchange(&mut srv, &mut peer, &bytes);
    if resumed {
        assert_eq!(srv.state_name(), "ExpectChangeCipherSpec");
        if stage == S::ResumedExpectChangeCipherSpec {
            return (srv, peer);
        }
        let ccs = peer.send_ccs();
        exchange(&mut srv, &mut peer, &ccs);
        assert_eq!(srv.state_name(), "ExpectFinished");
        return (srv, peer);
    }
    assert_eq!(srv.state_name(), "ExpectClientKeyExchange");
    if stage == S::ExpectClientKeyExchange {
        return (srv, peer);
    }
    let cke = peer.send_client_key_exchange();
    exchange(&mut srv, &mut peer, &cke);
    assert_eq!(srv.state_name(), "ExpectChangeCipherSpec");
    if stage == S::ExpectChangeCipherSpec {
        return (srv, peer);
    }
    let ccs = peer.send_ccs();
    exchange(&mut srv, &mut peer, &ccs);
    assert_eq!(srv.state_name(), "ExpectFinished");
    if stage == S::ExpectFinished {
        return (srv, peer);
    }
    let fin = peer.send_finished();
    let got = exchange(&mut srv, &mut peer, &fin);
    assert_eq!(srv.error(), None);
    assert_eq!(srv.state_name(), "Traffic");
    assert!(matches!(got.as_slice(), [Got::Ccs, Got::Handshake(_)]));
    (srv, peer)
}

/// Where a test wants the engine's client to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientStage {
    ExpectServerHello,
    ExpectCertificate,
    ExpectServerHelloDone,
    ExpectChangeCipherSpec,
    ExpectFinished,
    Traffic,
    ResumedExpectChangeCipherSpec,
    ResumedExpectFinished,
}

impl ClientStage {
    pub const ALL: [ClientStage; 8] = [
        ClientStage::ExpectServerHello,
        ClientStage::ExpectCertificate,
        ClientStage::ExpectServerHelloDone,
        ClientStage::ExpectChangeCipherSpec,
        ClientStage::ExpectFinished,
        ClientStage::Traffic,
        ClientStage::ResumedExpectChangeCipherSpec,
        ClientStage::ResumedExpectFinished,
    ];
}

/// Our client, driven by a scripted server to `stage`.
pub fn client_at(stage: ClientStage, seed: u8) -> (Connection, Peer) {
    client_at_with(stage, seed, client_config())
}

pub fn client_at_with(stage: ClientStage, seed: u8, cfg: ClientConfig) -> (Connection, Peer) {
    let (mut cli, peer) = client_at_inner(stage, seed, cfg);
    events(&mut cli);
    (cli, peer)
}

fn client_at_inner(stage: ClientStage, seed: u8, cfg: ClientConfig) -> (Connection, Peer) {
    use ClientStage as C;
    let resumed = matches!(
        stage,
        C::ResumedExpectChangeCipherSpec | C::ResumedExpectFinished
    );
    let mut cli = client(cfg, seed, resumed.then(|| known_session(true)));
    let mut peer = Peer::new(Role::Server, seed.wrapping_add(1));
    let ch = drain(&mut cli);
    peer.read(&ch);
    if stage == C::ExpectServerHello {
        return (cli, peer);
    }
    let mut sh = peer.default_server_hello();
    if resumed {
        sh.session_id.0 = known_session(true).id;
    }
    let bytes = peer.send_server_hello(sh);
    exchange(&mut cli, &mut peer, &bytes);
    if resumed {
        peer.set_master((*known_session(true).master_secret).clone());
        assert_eq!(cli.state_name(), "ExpectChangeCipherSpec");
        if stage == C::ResumedExpectChangeCipherSpec {
            return (cli, peer);
        }
        let ccs = peer.send_ccs();
        exchange(&mut cli, &mut peer, &ccs);
        assert_eq!(cli.state_name(), "ExpectFinished");
        return (cli, peer);
    }
    assert_eq!(cli.state_name(), "ExpectCertificate");
    if stage == C::ExpectCertificate {
        return (cli, peer);
    }
    let cert = peer.send_certificate(&leaf_chain());
    exchange(&mut cli, &mut peer, &cert);
    assert_eq!(cli.state_name(), "ExpectServerHelloDone");
    if stage == C::ExpectServerHelloDone {
        return (cli, peer);
    }
    let done = peer.send_hs(hs(HandshakePayload::ServerHelloDone));
    let got = exchange(&mut cli, &mut peer, &done);
    assert_eq!(cli.state_name(), "ExpectChangeCipherSpec");
    assert!(matches!(
        got.as_slice(),
        [Got::Handshake(_), Got::Ccs, Got::Handshake(_)]
    ));
    if stage == C::ExpectChangeCipherSpec {
        return (cli, peer);
    }
    let ccs = peer.send_ccs();
    exchange(&mut cli, &mut peer, &ccs);
    assert_eq!(cli.state_name(), "ExpectFinished");
    if stage == C::ExpectFinished {
        return (cli, peer);
    }
    let fin = peer.send_finished();
    exchange(&mut cli, &mut peer, &fin);
    assert_eq!(cli.error(), None);
    assert_eq!(cli.state_name(), "Traffic");
    (cli, peer)
}

/// Feeds `bytes` to `conn` and lets the peer read what comes back.
pub fn exchange(conn: &mut Connection, peer: &mut Peer, bytes: &[u8]) -> Vec<Got> {
    conn.feed(bytes, NOW);
    let out = drain(conn);
    assert_eq!(conn.error(), None, "engine failed in {}", conn.state_name());
    peer.read(&out)
}

/// The alert records in `bytes` as the peer decodes them, asserting that
/// `bytes` hold exactly one record and that it is an alert.
pub fn only_alert(peer: &mut Peer, bytes: &[u8]) -> (AlertLevel, AlertDescription) {
    let recs = records(bytes);
    assert_eq!(
        recs.len(),
        1,
        "expected exactly one record, got {:?}",
        recs.iter().map(|r| r.typ).collect::<Vec<_>>()
    );
    assert_eq!(recs[0].typ, ContentType::Alert);
    match peer.read(bytes).as_slice() {
        [Got::Alert(level, desc)] => (*level, *desc),
        other => panic!("expected one alert, got {other:?}"),
    }
}

/// Feeds `bytes` to `conn` and asserts the RFC's ending for a fatal error:
/// exactly one record goes out, a fatal alert `want`; the connection reports
/// `Failed` once; after that it writes nothing and ignores all input.
/// Returns the error for finer checks.
#[track_caller]
pub fn expect_fatal(
    conn: &mut Connection,
    peer: &mut Peer,
    bytes: &[u8],
    want: AlertDescription,
) -> gauntlet_engine::Error {
    let state = conn.state_name();
    conn.feed(bytes, NOW);
    let err = conn
        .error()
        .cloned()
        .unwrap_or_else(|| panic!("no error in {state}; wanted {want:?}"));
    assert_eq!(err.alert(), Some(want), "in {state}: {err}");
    let out = drain(conn);
    assert_eq!(
        only_alert(peer, &out),
        (AlertLevel::Fatal, want),
        "in {state}"
    );
    assert_eq!(events(conn), vec![Event::Failed(err.clone())], "in {state}");
    assert!(conn.is_closed());
    // Dead: more input (even valid-looking) changes nothing.
    conn.feed(bytes, NOW);
    conn.feed(
        &record(ContentType::Alert, ProtocolVersion::TLSv1_2, &[2, 40]),
        NOW,
    );
    assert!(
        drain(conn).is_empty(),
        "wrote after the fatal alert in {state}"
    );
    assert!(
        events(conn).is_empty(),
        "events after the fatal alert in {state}"
    );
    assert!(conn.send(b"x").is_err());
    err
}

/// Messages a test can inject, built with the engine's own msgs types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inject {
    Handshake(HandshakeType),
    Ccs,
    AppData,
    EmptyAppData,
}

impl Inject {
    pub fn all() -> Vec<Inject> {
        let mut v: Vec<Inject> = [
            HandshakeType::HelloRequest,
            HandshakeType::ClientHello,
            HandshakeType::ServerHello,
            HandshakeType::NewSessionTicket,
            HandshakeType::Certificate,
            HandshakeType::ServerKeyExchange,
            HandshakeType::CertificateRequest,
            HandshakeType::ServerHelloDone,
            HandshakeType::CertificateVerify,
            HandshakeType::ClientKeyExchange,
            HandshakeType::Finished,
            HandshakeType::CertificateStatus,
            HandshakeType(99),
        ]
        .into_iter()
        .map(Inject::Handshake)
        .collect();
        v.extend([Inject::Ccs, Inject::AppData, Inject::EmptyAppData]);
        v
    }

    /// The wire bytes, from `peer` (so sealed when its keys are on). Only
    /// the message's bytes are added to the peer's hash input.
    pub fn send(self, peer: &mut Peer) -> Vec<u8> {
        match self {
            Inject::Ccs => peer.send_record(ContentType::ChangeCipherSpec, &[1]),
            Inject::AppData => peer.send_app_data(b"early data"),
            Inject::EmptyAppData => peer.send_app_data(b""),
            Inject::Handshake(t) => {
                let msg = sample_handshake(peer, t);
                peer.send_hs(msg)
            }
        }
    }
}

/// A well-formed handshake message of type `t`.
pub fn sample_handshake(peer: &mut Peer, t: HandshakeType) -> HandshakeMessagePayload {
    use gauntlet_engine::msgs::{NewSessionTicketPayload, Ticket};
    let payload = match t {
        HandshakeType::HelloRequest => HandshakePayload::HelloRequest,
        HandshakeType::ClientHello => HandshakePayload::ClientHello(peer.default_client_hello()),
        HandshakeType::ServerHello => HandshakePayload::ServerHello(peer.default_server_hello()),
        HandshakeType::NewSessionTicket => {
            HandshakePayload::NewSessionTicket(NewSessionTicketPayload {
                lifetime_hint: 300,
                ticket: Ticket(vec![1, 2, 3]),
            })
        }
        HandshakeType::Certificate => HandshakePayload::Certificate(CertificatePayload(
            leaf_chain().into_iter().map(Asn1Cert).collect(),
        )),
        HandshakeType::ServerHelloDone => HandshakePayload::ServerHelloDone,
        HandshakeType::ClientKeyExchange => {
            HandshakePayload::ClientKeyExchange(EncryptedPreMasterSecret(vec![0x42; 256]))
        }
        HandshakeType::Finished => HandshakePayload::Finished(vec![0x0f; 12]),
        // RFC 5246 §7.4.4: one type, one algorithm, any issuer.
        HandshakeType::CertificateRequest => {
            HandshakePayload::CertificateRequest(gauntlet_engine::msgs::CertificateRequestPayload {
                certificate_types: vec![gauntlet_engine::enums::ClientCertificateType::RsaSign],
                supported_signature_algorithms: vec![SignatureAndHashAlgorithm {
                    hash: HashAlgorithm::Sha256,
                    signature: SignatureAlgorithm::Rsa,
                }],
                certificate_authorities: vec![],
            })
        }
        // ServerKeyExchange, CertificateVerify, CertificateStatus and
        // unassigned types: a small opaque body.
        other => HandshakePayload::Unknown(other, vec![0, 1, 2, 3]),
    };
    HandshakeMessagePayload::new(payload)
}

/// Our server with `chain`'s certificates and key; our client trusting its
/// root with its CRLs and revocation policy, connecting to `host`.
pub fn run_chain(c: &serde_json::Value, host: &str) -> (Connection, Connection) {
    let strs = |v: &serde_json::Value| -> Vec<Vec<u8>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| pki(s.as_str().unwrap()))
            .collect()
    };
    let leaf = c["leaf"].as_str().unwrap();
    let mut chain = vec![pki(leaf)];
    chain.extend(strs(&c["intermediates"]));
    let key = private_key(&leaf.replace(".der", ".key"));
    let srv_cfg = ServerConfig::new(chain, Arc::new(key));
    let mut verifier =
        PkiVerifier::new(&[pki(c["root"].as_str().unwrap())], strs(&c["crls"])).unwrap();
    if c["revocation"] == "requireCrl" {
        verifier.revocation = gauntlet_engine::pki::RevocationPolicy::RequireCrl;
    }
    let cli_cfg = ClientConfig::new(Arc::new(verifier));
    let cli =
        Connection::client(Arc::new(cli_cfg), host, Provider::from_seed([8; 32]), None).unwrap();
    let srv = server(Arc::new(srv_cfg), 9);
    let mut p = Pair::new(cli, srv, NOW);
    p.run();
    (p.client, p.server)
}
