//! `ScriptedClient`: a TLS 1.2 client that keeps real keys and the real
//! transcript hash, so it can still encrypt and compute Finished while it
//! misbehaves as its `ClientBugs` say. It tests servers.

use super::transport::Transport;
use super::wire::{Ending, Incoming, Protect, Wire};
use super::{apply_mutation, HsMsg, Mutation, Outcome};
use gauntlet_engine::crypto::{self, PrfHash, SuiteParams};
use gauntlet_engine::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, ExtensionType,
};
use gauntlet_engine::msgs::{decode_handshake, HandshakePayload, ServerExtension};
use gauntlet_engine::Provider;
use std::time::Duration;

/// How the premaster secret is malformed (the ROBOT classes, RFC 5246
/// §7.4.7.1): the server must treat each like a valid-but-wrong premaster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PremasterBug {
    /// Padded block starts 0x01 instead of 0x00.
    WrongFirstByte,
    /// Block type 0x01 instead of 0x02.
    WrongBlockType,
    /// A 0x00 inside the first 8 padding bytes.
    ZeroInPadding,
    /// No 0x00 separator at all.
    NoSeparator,
    /// A correctly padded message of this many bytes instead of 48.
    WrongLength(usize),
    /// A 48-byte premaster whose first two bytes are this version.
    WrongVersion(u16),
    /// A random 48-byte premaster with the right version: valid, but the
    /// keys will not match ours (the reference point for the others).
    ValidButRandom,
    /// The ciphertext with its first byte removed.
    CiphertextShorter,
    /// The ciphertext with a 0x00 byte appended.
    CiphertextLonger,
}

/// What happens to ChangeCipherSpec.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum CcsBug {
    #[default]
    None,
    /// Sent right after ServerHelloDone, before ClientKeyExchange (CVE-2014-0224).
    Early,
    /// Not sent at all; Finished follows ClientKeyExchange encrypted.
    Skip,
    /// Sent twice.
    Twice,
    /// Sent with this payload instead of 0x01.
    Payload(Vec<u8>),
    /// Sent in the middle of a ClientKeyExchange split across two records.
    InsideFragmentedMessage,
}

/// Misbehaviour knobs of the scripted client. Each is checked in one place
/// in `run`; the defaults make a correct client.
#[derive(Clone, Debug, Default)]
pub struct ClientBugs {
    /// ClientHello.client_version, if set, replaces 0x0303.
    pub client_version: Option<u16>,
    /// Record version of the ClientHello record, if set, replaces 0x0303.
    pub hello_record_version: Option<u16>,
    /// Record version of every record, if set (after the hello too).
    pub record_version: Option<u16>,
    /// cipher_suites, if set, replaces the offered suite (raw values).
    pub cipher_suites: Option<Vec<u16>>,
    /// compression_methods, if set, replaces [null].
    pub compression_methods: Option<Vec<u8>>,
    /// Extensions, if set, replace the default list entirely.
    pub extensions: Option<Vec<(u16, Vec<u8>)>>,
    /// Extensions appended to the list (duplicates included as given).
    pub extra_extensions: Vec<(u16, Vec<u8>)>,
    /// If true, the ClientHello has no extensions block at all.
    pub omit_extensions_block: bool,
    /// session_id, if set, replaces the empty (or resumed) one.
    pub session_id: Option<Vec<u8>>,
    /// If true, the client sends an SSLv2-compatible ClientHello instead.
    pub sslv2_hello: bool,
    /// Byte-level mutations of handshake messages we send.
    pub mutations: Vec<(HsMsg, Mutation)>,
    pub ccs: CcsBug,
    /// If set, the premaster is malformed this way.
    pub premaster: Option<PremasterBug>,
    /// If true, one bit of verify_data is flipped.
    pub bad_finished: bool,
    /// If set, this bit of the sealed Finished record body is flipped.
    pub flip_finished_record_bit: Option<usize>,
    /// If true, explicit nonces start at a random value (as OpenSSL does);
    /// a conforming server accepts any explicit nonce.
    pub random_explicit_nonce: bool,
    /// Largest record we send for handshake messages (default 2^14).
    pub max_fragment: Option<usize>,
    /// If true, each message of the second flight goes in its own write;
    /// by default ClientKeyExchange, ChangeCipherSpec and Finished are one.
    pub separate_writes: bool,
    /// If true, a zero-length application data record precedes the request.
    pub empty_app_data_first: bool,
    /// If set, application data of this size is sent before Finished.
    pub app_data_before_finished: bool,
    /// If set, a warning alert with this description is sent before ClientKeyExchange.
    pub warning_alert_in_handshake: Option<u8>,
    /// If set, after the handshake a record of this raw type is sent.
    pub unknown_record_type_after: Option<u8>,
    /// If set, after the handshake application data with this many plaintext bytes.
    pub app_data_len: Option<usize>,
    /// If set, an encrypted record with this many bytes of body (raw, not
    /// a valid ciphertext) is sent after the handshake.
    pub raw_record_len_after: Option<usize>,
    /// If true, a new ClientHello is sent after the handshake (renegotiation).
    pub renegotiate: bool,
    /// If true, a second connection resumes the first one's session.
    pub resume: bool,
    /// If true, the client never sends close_notify.
    pub no_close: bool,
}

/// The scripted client's configuration for one case.
#[derive(Clone, Debug)]
pub struct ClientScript {
    pub suite: CipherSuite,
    pub ems: bool,
    pub server_name: Option<String>,
    pub bugs: ClientBugs,
}

impl Default for ClientScript {
    fn default() -> Self {
        Self {
            suite: CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
            ems: true,
            server_name: Some("localhost".into()),
            bugs: ClientBugs::default(),
        }
    }
}

/// A session the scripted client can resume.
#[derive(Clone, Debug)]
pub struct SavedSession {
    pub id: Vec<u8>,
    pub suite: CipherSuite,
    pub master: [u8; 48],
    pub ems: bool,
}

fn ext_bytes(exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (typ, body) in exts {
        out.extend_from_slice(&typ.to_be_bytes());
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(body);
    }
    out
}

/// A handshake message with its 4-byte header.
pub fn handshake_msg(typ: u8, body: &[u8]) -> Vec<u8> {
    let len = body.len() as u32;
    let mut out = vec![typ];
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

impl ClientScript {
    fn default_extensions(&self) -> Vec<(u16, Vec<u8>)> {
        let mut exts = Vec::new();
        if let Some(name) = &self.server_name {
            let n = name.as_bytes();
            let mut sni = ((n.len() + 3) as u16).to_be_bytes().to_vec();
            sni.push(0);
            sni.extend_from_slice(&(n.len() as u16).to_be_bytes());
            sni.extend_from_slice(n);
            exts.push((ExtensionType::ServerName.0, sni));
        }
        if self.ems {
            exts.push((ExtensionType::ExtendedMasterSecret.0, vec![]));
        }
        exts.push((ExtensionType::RenegotiationInfo.0, vec![0]));
        // rsa_pkcs1_sha256, sha384, sha512
        exts.push((
            ExtensionType::SignatureAlgorithms.0,
            vec![0, 6, 4, 1, 5, 1, 6, 1],
        ));
        exts
    }

    /// The ClientHello as raw bytes, header included.
    pub fn client_hello(&self, random: &[u8; 32], resume: Option<&SavedSession>) -> Vec<u8> {
        let b = &self.bugs;
        let mut body = Vec::new();
        body.extend_from_slice(&b.client_version.unwrap_or(0x0303).to_be_bytes());
        body.extend_from_slice(random);
        let sid = b
            .session_id
            .clone()
            .or_else(|| resume.map(|s| s.id.clone()))
            .unwrap_or_default();
        body.push(sid.len() as u8);
        body.extend_from_slice(&sid);
        let suites = b
            .cipher_suites
            .clone()
            .unwrap_or_else(|| vec![self.suite.0]);
        body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
        for s in suites {
            body.extend_from_slice(&s.to_be_bytes());
        }
        let comp = b.compression_methods.clone().unwrap_or_else(|| vec![0]);
        body.push(comp.len() as u8);
        body.extend_from_slice(&comp);
        if !b.omit_extensions_block {
            let mut exts = b
                .extensions
                .clone()
                .unwrap_or_else(|| self.default_extensions());
            exts.extend(b.extra_extensions.iter().cloned());
            let eb = ext_bytes(&exts);
            body.extend_from_slice(&(eb.len() as u16).to_be_bytes());
            body.extend_from_slice(&eb);
        }
        handshake_msg(1, &body)
    }
}

/// The server's first flight, as the scripted client understood it.
struct ServerFlight {
    random: [u8; 32],
    suite: CipherSuite,
    session_id: Vec<u8>,
    ems: bool,
    leaf: Option<Vec<u8>>,
}

/// Runs one connection. `Ok(session)` when the handshake and an
/// application-data exchange completed and the server's Finished verified.
pub fn run(
    t: &mut dyn Transport,
    script: &ClientScript,
    rng: &mut Provider,
    timeout: Duration,
    resume: Option<&SavedSession>,
) -> (Outcome, Option<SavedSession>) {
    let mut wire = Wire::new(t, timeout);
    let mut key_log = None;
    let res = run_inner(&mut wire, script, rng, resume, &mut key_log);
    let records = wire.records_in;
    let mut out = match res {
        Ok(session) => {
            let resumed = resume.is_some_and(|r| !r.id.is_empty() && r.id == session.id);
            (Outcome::completed(records, resumed), Some(session))
        }
        Err(end) => (Outcome::ended(end, records), None),
    };
    out.0.key_log = key_log;
    out
}

/// An ending the script itself detected: the target did something wrong
/// that is not an alert (a bad Finished, a malformed message).
fn wrong(msg: impl Into<String>) -> Ending {
    Ending::Garbled(msg.into())
}

fn run_inner(
    wire: &mut Wire<'_>,
    script: &ClientScript,
    rng: &mut Provider,
    resume: Option<&SavedSession>,
    key_log: &mut Option<String>,
) -> Result<SavedSession, Ending> {
    let b = &script.bugs;
    let max = b.max_fragment.unwrap_or(1 << 14);
    if let Some(v) = b.record_version {
        wire.version = v;
    }

    if b.sslv2_hello {
        wire.send_raw(&sslv2_client_hello(rng.array()))?;
        return Err(wire.recv_ending());
    }

    let client_random: [u8; 32] = rng.array();
    let mut transcript = Vec::new();

    // ClientHello
    let ch = script.client_hello(&client_random, resume);
    let hello_version = b
        .hello_record_version
        .or(b.record_version)
        .unwrap_or(0x0303);
    let saved_version = wire.version;
    wire.version = hello_version;
    send_handshake(wire, &mut transcript, HsMsg::ClientHello, ch, b, max)?;
    wire.version = saved_version;

    // ServerHello … ServerHelloDone, or ServerHello for a resumption.
    let (flight, ccs_seen) = read_server_hello(wire, &mut transcript)?;
    let params = SuiteParams::for_suite(flight.suite)
        .ok_or_else(|| wrong(format!("server chose suite {:?}", flight.suite)))?;
    let hash = params.prf_hash;
    let resumed = resume.filter(|s| !s.id.is_empty() && s.id == flight.session_id);

    if let Some(session) = resumed {
        let master = session.master;
        *key_log = Some(crypto::key_log_line(
            &client_random,
            &crypto::MasterSecret::from_bytes(master),
        ));
        let keys = keys(&master, &client_random, &flight, &params)?;
        expect_ccs_and_finished(wire, &mut transcript, hash, &master, keys.1, ccs_seen)?;
        wire.send(ContentType::ChangeCipherSpec.0, &[1], 1)?;
        wire.write = Some(keys.0);
        let fin = handshake_msg(
            20,
            &verify(hash, &master, crypto::CLIENT_FINISHED, &transcript),
        );
        send_handshake(wire, &mut transcript, HsMsg::Finished, fin, b, max)?;
        exchange_application_data(wire, b)?;
        return Ok(SavedSession {
            id: flight.session_id.clone(),
            suite: flight.suite,
            master,
            ems: flight.ems,
        });
    }

    let leaf = flight
        .leaf
        .clone()
        .ok_or_else(|| wrong("server sent no Certificate"))?;
    let server_key = gauntlet_engine::pki::leaf_public_key(&leaf)
        .map_err(|e| wrong(format!("server certificate key: {e:?}")))?;

    wire.cork = !b.separate_writes;
    if b.ccs == CcsBug::Early {
        wire.send(ContentType::ChangeCipherSpec.0, &[1], 1)?;
    }
    if let Some(desc) = b.warning_alert_in_handshake {
        wire.send(ContentType::Alert.0, &[AlertLevel::Warning.0, desc], 2)?;
    }

    // ClientKeyExchange
    let mut pm: [u8; 48] = rng.array();
    pm[..2].copy_from_slice(&0x0303u16.to_be_bytes());
    let ct = super::robot::encrypt(&server_key, &pm, b.premaster, rng)?;
    let mut cke_body = (ct.len() as u16).to_be_bytes().to_vec();
    cke_body.extend_from_slice(&ct);
    let cke = handshake_msg(16, &cke_body);

    if b.ccs == CcsBug::InsideFragmentedMessage {
        let sent = apply_mutation(HsMsg::ClientKeyExchange, &cke, &b.mutations);
        for m in &sent {
            transcript.extend_from_slice(m);
            let (a, z) = m.split_at(m.len() / 2);
            wire.send(ContentType::Handshake.0, a, max)?;
            wire.send(ContentType::ChangeCipherSpec.0, &[1], 1)?;
            wire.send(ContentType::Handshake.0, z, max)?;
        }
    } else {
        send_handshake(wire, &mut transcript, HsMsg::ClientKeyExchange, cke, b, max)?;
    }

    let master = master_secret(hash, &pm, &client_random, &flight, &transcript);
    *key_log = Some(crypto::key_log_line(
        &client_random,
        &crypto::MasterSecret::from_bytes(master),
    ));
    let (ours, theirs) = keys(&master, &client_random, &flight, &params)?;

    // ChangeCipherSpec
    match &b.ccs {
        CcsBug::None | CcsBug::Early => wire.send(ContentType::ChangeCipherSpec.0, &[1], 1)?,
        CcsBug::Skip | CcsBug::InsideFragmentedMessage => {}
        CcsBug::Twice => {
            wire.send(ContentType::ChangeCipherSpec.0, &[1], 1)?;
            wire.send(ContentType::ChangeCipherSpec.0, &[1], 1)?;
        }
        CcsBug::Payload(p) => wire.send(ContentType::ChangeCipherSpec.0, p, p.len().max(1))?,
    }
    wire.write = Some(ours);

    if b.app_data_before_finished {
        wire.send(ContentType::ApplicationData.0, b"early", max)?;
    }

    // Finished
    let mut vd = verify(hash, &master, crypto::CLIENT_FINISHED, &transcript);
    if b.bad_finished {
        vd[0] ^= 0x01;
    }
    let fin = handshake_msg(20, &vd);
    if let Some(bit) = b.flip_finished_record_bit {
        let nonce = b.random_explicit_nonce.then(|| rng.array());
        let version = wire.version;
        let mut rec = wire.record_bytes(ContentType::Handshake.0, version, &fin, nonce)?;
        let i = 5 + (bit / 8) % (rec.len() - 5);
        rec[i] ^= 1 << (bit % 8);
        transcript.extend_from_slice(&fin);
        wire.send_raw(&rec)?;
    } else if b.random_explicit_nonce {
        let version = wire.version;
        let rec = wire.record_bytes(ContentType::Handshake.0, version, &fin, Some(rng.array()))?;
        transcript.extend_from_slice(&fin);
        wire.send_raw(&rec)?;
    } else {
        send_handshake(wire, &mut transcript, HsMsg::Finished, fin, b, max)?;
    }

    expect_ccs_and_finished(wire, &mut transcript, hash, &master, theirs, false)?;
    exchange_application_data(wire, b)?;
    Ok(SavedSession {
        id: flight.session_id.clone(),
        suite: flight.suite,
        master,
        ems: flight.ems,
    })
}

/// Sends one handshake message through the mutation knobs, adding what
/// was actually sent to the transcript.
fn send_handshake(
    wire: &mut Wire<'_>,
    transcript: &mut Vec<u8>,
    which: HsMsg,
    msg: Vec<u8>,
    b: &ClientBugs,
    max: usize,
) -> Result<(), Ending> {
    let mut last: Option<Vec<u8>> = None;
    for m in apply_mutation(which, &msg, &b.mutations) {
        // A repeated message is hashed once: the target rejects the repeat
        // before hashing it, and our Finished must match its transcript.
        if last.as_ref() != Some(&m) {
            transcript.extend_from_slice(&m);
        }
        wire.send(ContentType::Handshake.0, &m, max)?;
        last = Some(m);
    }
    Ok(())
}

/// The server's first flight; `true` if it ended with the abbreviated
/// handshake's ChangeCipherSpec rather than ServerHelloDone.
fn read_server_hello(
    wire: &mut Wire<'_>,
    transcript: &mut Vec<u8>,
) -> Result<(ServerFlight, bool), Ending> {
    let mut flight: Option<ServerFlight> = None;
    loop {
        let raw = match wire.recv()? {
            Incoming::Handshake { raw, .. } => raw,
            Incoming::ChangeCipherSpec(p) if flight.is_some() => {
                // Abbreviated handshake: CCS right after ServerHello.
                if p != [1] {
                    return Err(wrong("server ChangeCipherSpec payload is not 0x01"));
                }
                return flight
                    .map(|f| (f, true))
                    .ok_or_else(|| wrong("CCS before ServerHello"));
            }
            other => {
                return Err(wrong(format!(
                    "expected the server's flight, got {other:?}"
                )))
            }
        };
        let msg = decode_handshake(&raw)
            .map_err(|e| wrong(format!("server sent a malformed handshake message: {e}")))?;
        if !matches!(msg.payload, HandshakePayload::HelloRequest) {
            transcript.extend_from_slice(&raw);
        }
        match (msg.payload, flight.as_mut()) {
            (HandshakePayload::ServerHello(sh), None) => {
                let ems = sh
                    .extensions
                    .iter()
                    .flatten()
                    .any(|e| matches!(e, ServerExtension::ExtendedMasterSecret));
                flight = Some(ServerFlight {
                    random: sh.random.0,
                    suite: sh.cipher_suite,
                    session_id: sh.session_id.0.clone(),
                    ems,
                    leaf: None,
                });
            }
            (HandshakePayload::Certificate(c), Some(f)) => {
                f.leaf = c.0.first().map(|c| c.0.clone());
            }
            (HandshakePayload::ServerHelloDone, Some(_)) => {
                return flight
                    .map(|f| (f, false))
                    .ok_or_else(|| wrong("no ServerHello"));
            }
            (HandshakePayload::Unknown(typ, _), Some(_)) if typ.0 == 13 => {
                // CertificateRequest: we answer with no certificate later? Not
                // supported by the scripted client: report it.
                return Err(wrong("server requested a client certificate"));
            }
            (other, _) => {
                return Err(wrong(format!(
                    "unexpected {:?} in the server's first flight",
                    other.typ()
                )))
            }
        }
    }
}

fn expect_ccs_and_finished(
    wire: &mut Wire<'_>,
    transcript: &mut Vec<u8>,
    hash: PrfHash,
    master: &[u8; 48],
    theirs: Protect,
    ccs_seen: bool,
) -> Result<(), Ending> {
    // The server's records are protected from its CCS on; an abbreviated
    // handshake's CCS was already read with ServerHello.
    let mut theirs = Some(theirs);
    let mut saw_ccs = ccs_seen;
    if saw_ccs {
        wire.read = theirs.take();
    }
    loop {
        match wire.recv()? {
            Incoming::ChangeCipherSpec(p) if !saw_ccs => {
                if p != [1] {
                    return Err(wrong("server ChangeCipherSpec payload is not 0x01"));
                }
                saw_ccs = true;
                wire.read = theirs.take();
            }
            Incoming::Handshake { typ: 4, raw } if !saw_ccs => {
                // NewSessionTicket (we did not ask, but it is harmless to hash).
                transcript.extend_from_slice(&raw);
            }
            Incoming::Handshake { typ: 20, raw } if saw_ccs => {
                let expected = verify(hash, master, crypto::SERVER_FINISHED, transcript);
                if raw.get(4..) != Some(&expected[..]) {
                    return Err(wrong("server Finished does not verify"));
                }
                transcript.extend_from_slice(&raw);
                return Ok(());
            }
            other => return Err(wrong(format!("expected CCS and Finished, got {other:?}"))),
        }
    }
}

/// After the handshake: the post-handshake knobs, then a request that the
/// server must answer with application data, then close_notify.
fn exchange_application_data(wire: &mut Wire<'_>, b: &ClientBugs) -> Result<(), Ending> {
    if let Some(typ) = b.unknown_record_type_after {
        wire.send(typ, b"x", 1 << 14)?;
        return Err(wire.recv_ending());
    }
    if let Some(len) = b.raw_record_len_after {
        let mut rec = vec![ContentType::ApplicationData.0];
        rec.extend_from_slice(&wire.version.to_be_bytes());
        rec.extend_from_slice(&(len as u16).to_be_bytes());
        rec.extend(std::iter::repeat_n(0u8, len));
        wire.send_raw(&rec)?;
        return Err(wire.recv_ending());
    }
    if b.renegotiate {
        let ch = ClientScript::default().client_hello(&[7; 32], None);
        wire.send(ContentType::Handshake.0, &ch, 1 << 14)?;
        // A server that refuses sends warning no_renegotiation and goes on.
        match wire.recv() {
            Err(Ending::Alert {
                level: 1,
                description,
            }) if description == AlertDescription::NoRenegotiation.0 => {}
            Err(e) => return Err(e),
            Ok(other) => {
                return Err(wrong(format!(
                    "server answered renegotiation with {other:?}"
                )))
            }
        }
    }
    let request = match b.app_data_len {
        Some(n) => vec![b'a'; n],
        None => b"GET / HTTP/1.0\r\n\r\n".to_vec(),
    };
    // Oversized plaintext: sealed directly, bypassing fragmentation.
    if request.len() > 1 << 14 {
        let version = wire.version;
        let rec = wire.record_bytes(ContentType::ApplicationData.0, version, &request, None)?;
        wire.send_raw(&rec)?;
        return Err(wire.recv_ending());
    }
    if b.empty_app_data_first {
        wire.send(ContentType::ApplicationData.0, &[], 1)?;
    }
    wire.send(ContentType::ApplicationData.0, &request, 1 << 14)?;
    match wire.recv()? {
        Incoming::ApplicationData(_) => {}
        other => return Err(wrong(format!("expected application data, got {other:?}"))),
    }
    if !b.no_close {
        wire.send_alert(AlertLevel::Warning, AlertDescription::CloseNotify)?;
    }
    Ok(())
}

fn verify(hash: PrfHash, master: &[u8; 48], label: &[u8], transcript: &[u8]) -> [u8; 12] {
    let ms = crypto::MasterSecret::from_bytes(*master);
    crypto::verify_data(hash, &ms, label, &hash.hash(transcript))
}

fn master_secret(
    hash: PrfHash,
    pm: &[u8; 48],
    client_random: &[u8; 32],
    flight: &ServerFlight,
    transcript: &[u8],
) -> [u8; 48] {
    let pm = crypto::Premaster::from_bytes(*pm);
    let ms = if flight.ems {
        crypto::extended_master_secret(hash, &pm, &hash.hash(transcript))
    } else {
        crypto::master_secret(hash, &pm, client_random, &flight.random)
    };
    *ms.as_bytes()
}

/// (our write keys, the server's write keys).
fn keys(
    master: &[u8; 48],
    client_random: &[u8; 32],
    flight: &ServerFlight,
    params: &SuiteParams,
) -> Result<(Protect, Protect), Ending> {
    let ms = crypto::MasterSecret::from_bytes(*master);
    let kb = crypto::key_block(
        params.prf_hash,
        &ms,
        client_random,
        &flight.random,
        params.key_len,
    )
    .map_err(|e| Ending::Io(e.to_string()))?;
    Ok((
        Protect::new(kb.client_write_key(), *kb.client_write_iv()).map_err(Ending::Io)?,
        Protect::new(kb.server_write_key(), *kb.server_write_iv()).map_err(Ending::Io)?,
    ))
}

/// An SSLv2-compatible ClientHello (RFC 5246 Appendix E.2) offering TLS 1.2
/// and TLS_RSA_WITH_AES_128_GCM_SHA256 as a 3-byte cipher spec.
fn sslv2_client_hello(challenge: [u8; 16]) -> Vec<u8> {
    let mut body = vec![1, 3, 3]; // msg_type client_hello, version 3.3
    body.extend_from_slice(&3u16.to_be_bytes()); // cipher_spec_length
    body.extend_from_slice(&0u16.to_be_bytes()); // session_id_length
    body.extend_from_slice(&16u16.to_be_bytes()); // challenge_length
    body.extend_from_slice(&[0, 0x00, 0x9c]);
    body.extend_from_slice(&challenge);
    let mut out = vec![0x80 | ((body.len() >> 8) as u8), body.len() as u8];
    out.extend_from_slice(&body);
    out
}
