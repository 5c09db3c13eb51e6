//! The step-driven, sans-IO peer: every action returns the bytes to send,
//! and `read` turns the target's bytes into decoded items. It keeps real
//! keys and the handshake hash (on the shared core: `record`, `keys`,
//! `build`, `rules`), so it can send any message at any point, still
//! encrypt it and still compute a valid Finished: that is what lets a test
//! or a fuzz scenario put a target in a chosen state and then misbehave.
//!
//! Two vocabularies, one implementation: [`Action`] (data, for scripts
//! decoded from bytes) and the typed methods it dispatches to (for tests
//! that edit an engine `ClientHelloPayload` or `ServerHelloPayload`).

use super::client::PremasterBug;
use super::record::{self, Incoming, Protect, RecordReader, MAX_FRAGMENT};
use super::robot::{self, PremasterKey};
use super::{build, keys, mutate_and_hash, rules, HsMsg, Mutation};
use gauntlet_engine::codec::Codec;
use gauntlet_engine::config::ServerKey;
use gauntlet_engine::crypto::{self, MasterSecret, Premaster, SuiteParams};
use gauntlet_engine::enums::{
    AlertDescription, AlertLevel, CipherSuite, Compression, ContentType, HandshakeType,
    HashAlgorithm, ProtocolVersion, ServerNameType, SignatureAlgorithm,
};
use gauntlet_engine::msgs::{
    ClientExtension, ClientHelloPayload, HandshakeMessagePayload, HandshakePayload, HostName,
    Random, RenegotiatedConnection, ServerExtension, ServerHelloPayload, ServerName, SessionId,
    SignatureAndHashAlgorithm,
};
use gauntlet_engine::Provider;
use std::fmt;

/// Which role the peer plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Client,
    Server,
}

/// What a step could not do (no keys yet, no certificate to encrypt to, a
/// record that cannot be sealed). Never a panic: scripts come from bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepError(pub String);

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StepError {}

fn err(msg: impl Into<String>) -> StepError {
    StepError(msg.into())
}

/// One step of a script. Each returns the wire bytes it makes (possibly
/// none); records are sealed once our ChangeCipherSpec went out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Our message `HsMsg`, built from the peer's state, hashed as sent:
    /// ClientHello (the default hello, below), ClientKeyExchange (a fresh
    /// premaster with our client_version, encrypted to the target's
    /// certificate; keys derived), ServerHello (the default answer),
    /// Certificate (`chain`), ServerHelloDone, Finished (over the hash so
    /// far, with our role's label).
    Send(HsMsg),
    /// Our Finished (as `Send(Finished)`) with byte `index` (modulo 12) of
    /// verify_data XORed with `mask`; not hashed, since the target rejects
    /// it before hashing it (RFC 5246 §7.4.9, decrypt_error).
    BadFinished { index: usize, mask: u8 },
    /// As `Send`, through one of the byte-level `Mutation`s (what is
    /// actually sent is hashed once, as the flows do).
    SendMutated(HsMsg, Mutation),
    /// A handshake message as given (header included), hashed.
    Handshake(Vec<u8>),
    /// A record of this content type with this payload, not hashed.
    Record { typ: u8, payload: Vec<u8> },
    /// Bytes sent as they are (a lying header, half a record).
    Raw(Vec<u8>),
    /// ChangeCipherSpec (0x01); everything after it is sealed. Keys must
    /// have been derived.
    ChangeCipherSpec,
    /// An alert record of this level and description.
    Alert { level: u8, description: u8 },
    /// Application data.
    AppData(Vec<u8>),
    /// Derive the master secret and keys from this premaster, as a client
    /// that believes in it would (the hash so far is the EMS session hash).
    DeriveKeys([u8; 48]),
    /// The record version put on what we send from now on.
    RecordVersion(u16),
    /// Largest record payload from now on (at least 1).
    MaxFragment(usize),
    /// Handshake records only: largest payload from now on (at least 1),
    /// whatever `MaxFragment` says; other records keep theirs.
    HandshakeFragment(usize),
    /// The premaster bug, if set, causes every later ClientKeyExchange to
    /// carry a premaster malformed that way (ROBOT classes, RFC 5246
    /// §7.4.7.1); `None` turns it off. The keys come from the premaster
    /// the client meant (for `WrongVersion`, the one it sent).
    PremasterBug(Option<PremasterBug>),
    /// Flip this bit of the next non-empty output, counted from the end of
    /// its first record header (modulo the bytes after it; see
    /// `record::flip_body_bit`).
    FlipBitOfNext(usize),
}

/// What the peer got from the target, record layer removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Got {
    Handshake(HandshakeMessagePayload),
    Ccs,
    Alert(AlertLevel, AlertDescription),
    AppData(Vec<u8>),
    /// Something that could not be read (it does not authenticate, does not
    /// decode, a CCS that is not 0x01); reading stops there.
    Unreadable(String),
}

/// A scripted TLS 1.2 peer. See the module docs.
pub struct Peer {
    pub role: Role,
    pub rng: Provider,
    reader: RecordReader,
    /// Handshake messages so far (HelloRequest excluded, RFC 5246
    /// §7.4.1.1): the hash input.
    pub transcript: Vec<u8>,
    pub client_random: [u8; 32],
    pub server_random: [u8; 32],
    pub suite: CipherSuite,
    pub ems: bool,
    pub client_version: ProtocolVersion,
    pub session_id: Vec<u8>,
    pub master: Option<MasterSecret>,
    pub write: Option<Protect>,
    pending_write: Option<Protect>,
    pending_read: Option<Protect>,
    /// Record version we put on what we send.
    pub record_version: ProtocolVersion,
    pub max_fragment: usize,
    /// Client role: the master secret of the session we offer, used when
    /// the ServerHello echoes its ID.
    pub resume_master: Option<MasterSecret>,
    /// Server role: the key ClientKeyExchange is decrypted with.
    pub server_key: Option<ServerKey>,
    /// Server role: the chain `Send(Certificate)` sends.
    pub chain: Vec<Vec<u8>>,
    /// Client role: the target's leaf certificate, once received.
    pub server_leaf: Option<Vec<u8>>,
    flip_next: Option<usize>,
    hs_fragment: Option<usize>,
    premaster_bug: Option<PremasterBug>,
    /// Client role: the ClientHello, if set, is what `Send(ClientHello)`
    /// sends (random and session ID included) instead of the default: the
    /// typed edit of [`Peer::default_client_hello`] a script starts from.
    pub client_hello: Option<ClientHelloPayload>,
    /// Client role: clear_premaster, if set, causes ClientKeyExchange to
    /// carry the PKCS#1 v1.5 block unencrypted, this many bytes long, for
    /// a target whose RSA key is the identity (the fuzz provider's
    /// `ClearRsaKey`); no target certificate is needed then.
    pub clear_premaster: Option<usize>,
    /// Whether the target's Finished verified against our hash (`None`
    /// until one arrived under its keys): what an oracle asks before it
    /// believes a completed handshake.
    pub target_finished_ok: Option<bool>,
}

/// Largest handshake transcript the peer keeps from reading: far above a
/// real handshake; a target that keeps sending handshake messages is cut
/// off (`Got::Unreadable`) instead of growing it.
pub const MAX_TRANSCRIPT: usize = 1 << 20;

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peer")
            .field("role", &self.role)
            .field("suite", &self.suite)
            .field("ems", &self.ems)
            .field("keys", &self.master.is_some())
            .finish()
    }
}

impl Peer {
    pub fn new(role: Role, seed: u8) -> Self {
        Self {
            role,
            rng: Provider::from_seed([seed; 32]),
            reader: RecordReader::default(),
            transcript: Vec::new(),
            client_random: [0; 32],
            server_random: [0; 32],
            suite: CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
            ems: false,
            client_version: ProtocolVersion::TLSv1_2,
            session_id: Vec::new(),
            master: None,
            write: None,
            pending_write: None,
            pending_read: None,
            record_version: ProtocolVersion::TLSv1_2,
            max_fragment: MAX_FRAGMENT,
            resume_master: None,
            server_key: None,
            chain: Vec::new(),
            server_leaf: None,
            flip_next: None,
            hs_fragment: None,
            premaster_bug: None,
            client_hello: None,
            clear_premaster: None,
            target_finished_ok: None,
        }
    }

    /// A server-role peer with this certificate chain and key.
    pub fn server(seed: u8, chain: Vec<Vec<u8>>, key: ServerKey) -> Self {
        Self {
            server_key: Some(key),
            chain,
            ..Self::new(Role::Server, seed)
        }
    }

    /// Runs one action; the bytes to send.
    pub fn act(&mut self, action: &Action) -> Result<Vec<u8>, StepError> {
        let out = match action {
            Action::Send(m) => self.send_msg(*m, None)?,
            Action::SendMutated(m, mutation) => self.send_msg(*m, Some(mutation))?,
            Action::BadFinished { index, mask } => {
                let mut vd = self.verify_data()?;
                if let Some(b) = vd.get_mut(index % 12) {
                    *b ^= mask;
                }
                self.send_record(ContentType::Handshake, &build::finished(&vd))?
            }
            Action::Handshake(bytes) => self.send_hs_bytes(bytes)?,
            Action::Record { typ, payload } => self.send_record(ContentType(*typ), payload)?,
            Action::Raw(bytes) => bytes.clone(),
            Action::ChangeCipherSpec => self.send_ccs()?,
            Action::Alert { level, description } => {
                self.send_alert(AlertLevel(*level), AlertDescription(*description))?
            }
            Action::AppData(d) => self.send_app_data(d)?,
            Action::DeriveKeys(pm) => {
                self.derive(&Premaster::from_bytes(*pm))?;
                Vec::new()
            }
            Action::RecordVersion(v) => {
                self.record_version = ProtocolVersion(*v);
                Vec::new()
            }
            Action::MaxFragment(n) => {
                self.max_fragment = (*n).max(1);
                Vec::new()
            }
            Action::HandshakeFragment(n) => {
                self.hs_fragment = Some((*n).max(1));
                Vec::new()
            }
            Action::PremasterBug(bug) => {
                self.premaster_bug = *bug;
                Vec::new()
            }
            Action::FlipBitOfNext(bit) => {
                self.flip_next = Some(*bit);
                Vec::new()
            }
        };
        Ok(self.flip(out))
    }

    fn flip(&mut self, mut out: Vec<u8>) -> Vec<u8> {
        if !out.is_empty() {
            if let Some(bit) = self.flip_next.take() {
                record::flip_body_bit(&mut out, bit);
            }
        }
        out
    }

    fn send_msg(&mut self, m: HsMsg, mutation: Option<&Mutation>) -> Result<Vec<u8>, StepError> {
        let msg = match m {
            HsMsg::ClientHello => {
                let ch = match &self.client_hello {
                    Some(ch) => ch.clone(),
                    None => self.default_client_hello(),
                };
                self.note_client_hello(&ch);
                encode(HandshakePayload::ClientHello(ch))
            }
            HsMsg::ServerHello => {
                let sh = self.default_server_hello();
                self.note_server_hello(&sh);
                encode(HandshakePayload::ServerHello(sh))
            }
            HsMsg::Certificate => build::certificate(&self.chain),
            HsMsg::ServerHelloDone => build::server_hello_done(),
            HsMsg::Finished => build::finished(&self.verify_data()?),
            HsMsg::ClientKeyExchange => {
                let mut pm = *Premaster::generate(self.client_version, &mut self.rng).as_bytes();
                if let Some(PremasterBug::WrongVersion(v)) = self.premaster_bug {
                    pm[..2].copy_from_slice(&v.to_be_bytes());
                }
                let ct = self.premaster_ciphertext(&pm)?;
                let pm = Premaster::from_bytes(pm);
                let out = self.send_mutated(m, &build::client_key_exchange(&ct), mutation)?;
                // The EMS session hash runs through ClientKeyExchange (RFC
                // 7627 §3), already in the hash input.
                self.derive(&pm)?;
                return Ok(out);
            }
        };
        self.send_mutated(m, &msg, mutation)
    }

    fn send_mutated(
        &mut self,
        m: HsMsg,
        msg: &[u8],
        mutation: Option<&Mutation>,
    ) -> Result<Vec<u8>, StepError> {
        let Some(mutation) = mutation else {
            return self.send_hs_bytes(msg);
        };
        let mut out = Vec::new();
        for sent in mutate_and_hash(m, msg, &[(m, mutation.clone())], &mut self.transcript) {
            out.extend(self.send_record(ContentType::Handshake, &sent)?);
        }
        Ok(out)
    }

    /// Frames `payload` as records of `typ`, sealing once our CCS is out.
    pub fn send_record(&mut self, typ: ContentType, payload: &[u8]) -> Result<Vec<u8>, StepError> {
        record::records(
            self.write.as_mut(),
            typ.0,
            self.record_version.0,
            payload,
            match (typ, self.hs_fragment) {
                (ContentType::Handshake, Some(n)) => n,
                _ => self.max_fragment,
            },
        )
        .map_err(StepError)
    }

    /// Sends handshake bytes as they are, adding them to the hash input.
    pub fn send_hs_bytes(&mut self, bytes: &[u8]) -> Result<Vec<u8>, StepError> {
        self.transcript.extend_from_slice(bytes);
        self.send_record(ContentType::Handshake, bytes)
    }

    pub fn send_hs(&mut self, msg: HandshakeMessagePayload) -> Result<Vec<u8>, StepError> {
        self.send_hs_bytes(&msg.get_encoding())
    }

    pub fn send_alert(
        &mut self,
        level: AlertLevel,
        description: AlertDescription,
    ) -> Result<Vec<u8>, StepError> {
        self.send_record(ContentType::Alert, &build::alert(level.0, description.0))
    }

    pub fn send_app_data(&mut self, data: &[u8]) -> Result<Vec<u8>, StepError> {
        self.send_record(ContentType::ApplicationData, data)
    }

    /// ChangeCipherSpec; everything we send after it is protected.
    pub fn send_ccs(&mut self) -> Result<Vec<u8>, StepError> {
        let write = self
            .pending_write
            .take()
            .ok_or_else(|| err("ChangeCipherSpec before keys were derived"))?;
        let out = self.send_record(ContentType::ChangeCipherSpec, &[1])?;
        self.write = Some(write);
        Ok(out)
    }

    fn verify_data(&self) -> Result<[u8; 12], StepError> {
        let master = self
            .master
            .as_ref()
            .ok_or_else(|| err("no master secret"))?;
        let label = keys::finished_label(self.role == Role::Client);
        Ok(keys::verify_data(
            self.params()?.prf_hash,
            master,
            label,
            &self.transcript,
        ))
    }

    /// Our Finished over the hash so far.
    pub fn finished_payload(&self) -> Result<HandshakePayload, StepError> {
        Ok(HandshakePayload::Finished(self.verify_data()?.to_vec()))
    }

    pub fn send_finished(&mut self) -> Result<Vec<u8>, StepError> {
        self.act(&Action::Send(HsMsg::Finished))
    }

    pub fn params(&self) -> Result<SuiteParams, StepError> {
        SuiteParams::for_suite(self.suite)
            .ok_or_else(|| err(format!("no keys for suite {:?}", self.suite)))
    }

    /// Master secret from `premaster` (EMS over the hash so far when
    /// negotiated), then the key block.
    pub fn derive(&mut self, premaster: &Premaster) -> Result<(), StepError> {
        let master = keys::master_secret(
            self.params()?.prf_hash,
            premaster,
            self.ems,
            &self.client_random,
            &self.server_random,
            &self.transcript,
        );
        self.set_master(master)
    }

    /// Keys from a known master secret (resumption).
    pub fn set_master(&mut self, master: MasterSecret) -> Result<(), StepError> {
        let (client, server) = keys::directions(
            &self.params()?,
            &master,
            &self.client_random,
            &self.server_random,
        )
        .map_err(StepError)?;
        let (ours, theirs) = match self.role {
            Role::Client => (client, server),
            Role::Server => (server, client),
        };
        self.pending_write = Some(ours);
        self.pending_read = Some(theirs);
        self.master = Some(master);
        Ok(())
    }

    /// The NSS key log line once the master secret is known.
    pub fn key_log(&self) -> Option<String> {
        let m = self.master.as_ref()?;
        Some(crypto::key_log_line(&self.client_random, m))
    }

    /// Reads what the target wrote. Handshake messages join the hash input
    /// (HelloRequest excepted, RFC 5246 §7.4.1.1); the target's CCS turns
    /// on decryption of what follows. Reading stops at the first
    /// `Got::Unreadable`.
    pub fn read(&mut self, bytes: &[u8]) -> Vec<Got> {
        self.reader.push(bytes);
        let mut got = Vec::new();
        while let Some(item) = self.reader.next_item() {
            let g = match item {
                Ok(Incoming::Handshake { raw, .. }) => {
                    match HandshakeMessagePayload::read_bytes(&raw) {
                        Ok(_) if self.transcript.len() + raw.len() > MAX_TRANSCRIPT => {
                            Got::Unreadable(format!("transcript cap of {MAX_TRANSCRIPT} bytes"))
                        }
                        Ok(msg) => {
                            if let HandshakePayload::Finished(vd) = &msg.payload {
                                self.check_target_finished(vd);
                            }
                            if msg.typ != HandshakeType::HelloRequest {
                                self.transcript.extend_from_slice(&raw);
                            }
                            match self.absorb(&msg.payload) {
                                Ok(()) => Got::Handshake(msg),
                                Err(e) => Got::Unreadable(e.0),
                            }
                        }
                        Err(e) => Got::Unreadable(format!("handshake message: {e:?}")),
                    }
                }
                Ok(Incoming::ChangeCipherSpec(p)) if p == [1] => {
                    self.reader.read = self.pending_read.take();
                    Got::Ccs
                }
                Ok(Incoming::ChangeCipherSpec(p)) => {
                    Got::Unreadable(format!("ChangeCipherSpec payload {p:?}"))
                }
                Ok(Incoming::Alert { level, description }) => {
                    Got::Alert(AlertLevel(level), AlertDescription(description))
                }
                Ok(Incoming::ApplicationData(d)) => Got::AppData(d),
                Err(e) => Got::Unreadable(e.to_string()),
            };
            let stop = matches!(g, Got::Unreadable(_));
            got.push(g);
            if stop {
                break;
            }
        }
        got
    }

    /// A Finished from the target, under its keys, against the hash so far
    /// (RFC 5246 §7.4.9, the other side's label).
    fn check_target_finished(&mut self, vd: &[u8]) {
        let (Some(master), Ok(params), true) = (
            self.master.as_ref(),
            self.params(),
            self.reader.read.is_some(),
        ) else {
            return;
        };
        let label = keys::finished_label(self.role == Role::Server);
        let want = keys::verify_data(params.prf_hash, master, label, &self.transcript);
        self.target_finished_ok = Some(vd == want);
    }

    /// Takes what the peer needs from the target's hellos, certificate and
    /// key exchange as they arrive, so keys exist before its CCS is read.
    fn absorb(&mut self, payload: &HandshakePayload) -> Result<(), StepError> {
        match (self.role, payload) {
            (Role::Client, HandshakePayload::ServerHello(sh)) => {
                self.server_random = sh.random.0;
                self.suite = sh.cipher_suite;
                self.ems = rules::server_hello_ems(sh);
                let resumed = !sh.session_id.0.is_empty() && sh.session_id.0 == self.session_id;
                self.session_id = sh.session_id.0.clone();
                if let (true, Some(ms)) = (resumed, self.resume_master.clone()) {
                    self.set_master(ms)?;
                }
            }
            (Role::Client, HandshakePayload::Certificate(c)) => {
                self.server_leaf = c.0.first().map(|c| c.0.clone());
            }
            (Role::Server, HandshakePayload::ClientHello(ch)) => {
                self.client_random = ch.random.0;
                self.client_version = ch.client_version;
            }
            (Role::Server, HandshakePayload::ClientKeyExchange(c)) => {
                let c = c
                    .rsa()
                    .map_err(|e| err(format!("not an RSA ClientKeyExchange: {e}")))?;
                let key = self
                    .server_key
                    .clone()
                    .ok_or_else(|| err("no server key to decrypt ClientKeyExchange"))?;
                let random: [u8; 48] = self.rng.array();
                let pm = crypto::decrypt_premaster(
                    &*key,
                    &mut self.rng,
                    &c.0,
                    self.client_version,
                    &random,
                );
                // The EMS session hash runs through ClientKeyExchange (RFC
                // 7627 §3), already in the hash input.
                self.derive(&pm)?;
            }
            _ => {}
        }
        Ok(())
    }

    // ---- client role ---------------------------------------------------

    /// The ClientHello the engine's client would send, for editing: both
    /// suites, server_name localhost, EMS, an empty renegotiation_info
    /// (RFC 5746 §3.4), rsa_pkcs1_sha256.
    pub fn default_client_hello(&mut self) -> ClientHelloPayload {
        ClientHelloPayload {
            client_version: ProtocolVersion::TLSv1_2,
            random: Random(self.rng.array()),
            session_id: SessionId(self.session_id.clone()),
            cipher_suites: vec![
                CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
                CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
            ],
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

    fn note_client_hello(&mut self, ch: &ClientHelloPayload) {
        self.client_random = ch.random.0;
        self.client_version = ch.client_version;
        self.session_id = ch.session_id.0.clone();
    }

    pub fn send_client_hello(&mut self, ch: ClientHelloPayload) -> Result<Vec<u8>, StepError> {
        self.note_client_hello(&ch);
        self.send_hs_bytes(&encode(HandshakePayload::ClientHello(ch)))
    }

    /// A premaster carrying `client_version`, encrypted to the target's
    /// certificate, sent as ClientKeyExchange; keys derived from it.
    pub fn send_client_key_exchange(&mut self) -> Result<Vec<u8>, StepError> {
        self.act(&Action::Send(HsMsg::ClientKeyExchange))
    }

    /// The ClientKeyExchange ciphertext of `pm`: where the knobs
    /// `clear_premaster` and `PremasterBug` are checked.
    fn premaster_ciphertext(&mut self, pm: &[u8; 48]) -> Result<Vec<u8>, StepError> {
        let bug = self.premaster_bug;
        let io = |e: super::Ending| err(e.to_string());
        if let Some(k) = self.clear_premaster {
            return robot::encrypt(PremasterKey::Clear(k), pm, bug, &mut self.rng).map_err(io);
        }
        if bug.is_none() {
            return self.encrypt_to_server(pm);
        }
        let key = self.server_public_key()?;
        robot::encrypt(PremasterKey::Rsa(&key), pm, bug, &mut self.rng).map_err(io)
    }

    fn server_public_key(&self) -> Result<rsa::PublicKey, StepError> {
        let leaf = self
            .server_leaf
            .as_ref()
            .ok_or_else(|| err("no server certificate to encrypt to"))?;
        gauntlet_engine::pki::leaf_public_key(leaf)
            .map_err(|e| err(format!("server certificate key: {e:?}")))
    }

    /// `pm` encrypted (PKCS#1 v1.5) to the target's leaf certificate.
    pub fn encrypt_to_server(&mut self, pm: &[u8; 48]) -> Result<Vec<u8>, StepError> {
        let key = self.server_public_key()?;
        crypto::encrypt_premaster(&key, pm, &mut self.rng).map_err(|e| err(e.to_string()))
    }

    // ---- server role ---------------------------------------------------

    /// A ServerHello for what the engine's client offers, for editing:
    /// AES-128-GCM, a 32-byte session ID, an empty renegotiation_info (RFC
    /// 5746 §3.6) and extended_master_secret (RFC 7627 §5.2).
    pub fn default_server_hello(&mut self) -> ServerHelloPayload {
        ServerHelloPayload {
            server_version: ProtocolVersion::TLSv1_2,
            random: Random(self.rng.array()),
            session_id: SessionId(vec![0x5e; 32]),
            cipher_suite: CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
            compression_method: Compression::Null,
            extensions: Some(vec![
                ServerExtension::RenegotiationInfo(RenegotiatedConnection(Vec::new())),
                ServerExtension::ExtendedMasterSecret,
            ]),
        }
    }

    fn note_server_hello(&mut self, sh: &ServerHelloPayload) {
        self.server_random = sh.random.0;
        self.suite = sh.cipher_suite;
        self.ems = rules::server_hello_ems(sh);
        self.session_id = sh.session_id.0.clone();
    }

    pub fn send_server_hello(&mut self, sh: ServerHelloPayload) -> Result<Vec<u8>, StepError> {
        self.note_server_hello(&sh);
        self.send_hs_bytes(&encode(HandshakePayload::ServerHello(sh)))
    }

    pub fn send_certificate(&mut self, chain: &[Vec<u8>]) -> Result<Vec<u8>, StepError> {
        self.send_hs_bytes(&build::certificate(chain))
    }
}

fn encode(p: HandshakePayload) -> Vec<u8> {
    HandshakeMessagePayload::new(p).get_encoding()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_without_keys_is_an_error_not_a_panic() {
        let mut p = Peer::new(Role::Client, 1);
        assert!(p.act(&Action::ChangeCipherSpec).is_err());
        assert!(p.act(&Action::Send(HsMsg::Finished)).is_err());
        assert!(p.act(&Action::Send(HsMsg::ClientKeyExchange)).is_err());
        let out = p.act(&Action::Send(HsMsg::ClientHello)).unwrap_or_default();
        assert_eq!(out.first(), Some(&22));
        assert_eq!(
            p.read(&[21, 3, 3, 0, 1, 0]),
            vec![Got::Unreadable(
                "unreadable record: alert of 1 bytes".into()
            )]
        );
    }

    #[test]
    fn flip_bit_of_next_changes_one_bit_after_the_header() {
        let mut p = Peer::new(Role::Client, 1);
        let clean = p.act(&Action::AppData(vec![0; 4])).unwrap_or_default();
        p.act(&Action::FlipBitOfNext(9)).unwrap_or_default();
        let flipped = p.act(&Action::AppData(vec![0; 4])).unwrap_or_default();
        let diff: Vec<usize> = (0..clean.len())
            .filter(|i| clean[*i] != flipped[*i])
            .collect();
        assert_eq!(diff, vec![6]);
    }

    /// Runs `script` against an engine server whose RSA key is the clear
    /// one (as in the fuzz scenario): what the peer got back.
    fn against_clear_rsa_server(peer: &mut Peer, script: &[Action]) -> Vec<Got> {
        use crate::fuzzing::{server_config, ClearRsaKey, ConnFlags, FuzzCrypto, NOW};
        let cfg = server_config(ConnFlags(0), FuzzCrypto::NoSecurity);
        let mut srv = gauntlet_engine::Connection::server(cfg, Provider::from_seed([3; 32]));
        peer.clear_premaster = Some(ClearRsaKey::LEN);
        let mut got = Vec::new();
        for a in script {
            srv.feed(&peer.act(a).unwrap(), NOW);
            let mut out = Vec::new();
            srv.write_tls(&mut out);
            got.extend(peer.read(&out));
        }
        got
    }

    /// The last thing the clear-RSA server sent a fresh peer for `script`.
    fn last_answer(script: &[Action]) -> Option<Got> {
        against_clear_rsa_server(&mut Peer::new(Role::Client, 4), script).pop()
    }

    fn fatal(d: AlertDescription) -> Option<Got> {
        Some(Got::Alert(AlertLevel::Fatal, d))
    }

    const FLIGHT: [Action; 4] = [
        Action::Send(HsMsg::ClientHello),
        Action::Send(HsMsg::ClientKeyExchange),
        Action::ChangeCipherSpec,
        Action::Send(HsMsg::Finished),
    ];

    #[test]
    fn a_clear_premaster_completes_against_an_identity_rsa_key() {
        let mut peer = Peer::new(Role::Client, 4);
        let got = against_clear_rsa_server(&mut peer, &FLIGHT);
        assert_eq!(got.len(), 5, "{got:?}");
        assert_eq!(peer.target_finished_ok, Some(true));
    }

    #[test]
    fn a_premaster_bug_fails_the_handshake_only_at_finished_with_bad_record_mac() {
        // RFC 5246 §7.4.7.1: a malformed premaster is answered as a valid
        // but wrong one, so our Finished no longer authenticates.
        for bug in [
            PremasterBug::WrongBlockType,
            PremasterBug::WrongVersion(0x0302),
            PremasterBug::CiphertextShorter,
        ] {
            let script = [vec![Action::PremasterBug(Some(bug))], FLIGHT.to_vec()].concat();
            let answer = last_answer(&script);
            assert_eq!(answer, fatal(AlertDescription::BadRecordMac), "{bug:?}");
        }
    }

    #[test]
    fn bad_finished_is_refused_with_decrypt_error() {
        // RFC 5246 §7.4.9: verify_data that does not match is decrypt_error.
        let bad = [Action::BadFinished { index: 13, mask: 1 }];
        let script = [&FLIGHT[..3], &bad[..]].concat();
        assert_eq!(last_answer(&script), fatal(AlertDescription::DecryptError));
    }

    #[test]
    fn handshake_fragment_splits_handshake_records_only() {
        let mut p = Peer::new(Role::Client, 1);
        p.act(&Action::HandshakeFragment(1)).unwrap();
        let hello = p.act(&Action::Send(HsMsg::ClientHello)).unwrap();
        let data = p.act(&Action::AppData(vec![7; 4])).unwrap();
        // Each handshake byte in a record of its own; the data in one.
        assert_eq!(hello.len(), 6 * (p.transcript.len()));
        assert_eq!(data, [23, 3, 3, 0, 4, 7, 7, 7, 7]);
    }

    /// The shape a fuzz scenario takes: an action list (here written out,
    /// there decoded from bytes) against an in-memory engine server.
    #[test]
    fn an_action_list_takes_an_in_memory_engine_server_to_application_data() {
        let cfg = std::sync::Arc::new(crate::builtin::server_config(None, None).unwrap());
        let mut srv = gauntlet_engine::Connection::server(cfg, Provider::from_seed([3; 32]));
        let mut peer = Peer::new(Role::Client, 4);
        let now = gauntlet_engine::UnixTime(1_798_761_600);
        let script = [
            Action::Send(HsMsg::ClientHello),
            Action::Send(HsMsg::ClientKeyExchange),
            Action::ChangeCipherSpec,
            Action::Send(HsMsg::Finished),
            Action::AppData(b"ping".to_vec()),
        ];
        let mut got = Vec::new();
        for a in &script {
            srv.feed(&peer.act(a).unwrap(), now);
            let mut out = Vec::new();
            srv.write_tls(&mut out);
            got.extend(peer.read(&out));
        }
        assert_eq!(srv.error(), None);
        assert!(srv.handshake().is_some_and(|h| h.extended_master_secret));
        // ServerHello, Certificate, ServerHelloDone, then CCS and a Finished
        // the peer's own hash agrees with (it decrypted).
        assert!(matches!(
            got.as_slice(),
            [Got::Handshake(_), Got::Handshake(_), Got::Handshake(_), Got::Ccs, Got::Handshake(f)]
                if matches!(f.payload, HandshakePayload::Finished(_))
        ));
        assert!(peer.key_log().is_some());
        assert_eq!(peer.target_finished_ok, Some(true));
    }
}
