//! `ScriptedServer`: a TLS 1.2 server that keeps real keys and the real
//! transcript hash while it misbehaves as its `ServerBugs` say. It tests
//! clients: each case is one connection from the client under test.

use super::build::{self, handshake_msg as msg};
use super::client::{malformed_point, PointBug};
use super::transport::Transport;
use super::wire::{Ending, Incoming, Wire};
use super::{hash_theirs, keys, rules, HsMsg, Milestone, Mutation, Outcome};
use gauntlet_engine::config::{ServerKey, ServerSigner};
use gauntlet_engine::crypto::sig::Scheme;
use gauntlet_engine::crypto::{self, SuiteParams};
use gauntlet_engine::enums::NamedGroup;
use gauntlet_engine::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, ExtensionType,
};
use gauntlet_engine::msgs::{decode_handshake, HandshakePayload};
use gauntlet_engine::msgs::{
    ClientExtension, DigitallySigned, EcPoint, ServerEcdhParams, ServerKeyExchangePayload,
    SignatureBytes,
};
use gauntlet_engine::Provider;
use std::sync::Arc;
use std::time::Duration;

/// What happens to the server's ChangeCipherSpec.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ServerCcsBug {
    #[default]
    None,
    /// Sent right after ServerHello in a full handshake (before the
    /// client's key exchange: CVE-2014-0224 from the server side).
    Early,
    /// Not sent; Finished follows encrypted.
    Skip,
    /// Sent with this payload instead of 0x01.
    Payload(Vec<u8>),
}

/// How the ServerKeyExchange signature is wrong (RFC 8422 §5.4, RFC 5246
/// §7.4.1.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkeSignatureBug {
    /// Signed over server_random ‖ client_random ‖ params (swapped).
    WrongRandoms,
    /// Signed by another RSA key (the test intermediate's), not the leaf's.
    WrongKey,
    /// Labelled rsa_pkcs1_sha1 (0x0201), which no client here offers
    /// (the signature itself is PKCS#1 SHA-256).
    AlgorithmNotOffered,
}

/// Misbehaviour knobs of the scripted server, each checked in one place in
/// `run_inner`; the defaults make a correct server.
#[derive(Clone, Debug, Default)]
pub struct ServerBugs {
    /// ServerHello.server_version, if set, replaces 0x0303.
    pub server_version: Option<u16>,
    /// The suite, if set, replaces the negotiated one (e.g. one not offered).
    pub cipher_suite: Option<u16>,
    /// compression_method, if set, replaces null.
    pub compression: Option<u8>,
    /// ServerHello extensions, if set, replace the negotiated list.
    pub extensions: Option<Vec<(u16, Vec<u8>)>>,
    /// Extensions appended to ServerHello (unsolicited or duplicated).
    pub extra_extensions: Vec<(u16, Vec<u8>)>,
    /// The certificate chain (DER, leaf first), if set, replaces the
    /// configured one; `Some(vec![])` sends an empty Certificate.
    pub chain: Option<Vec<Vec<u8>>>,
    /// If true, a ServerKeyExchange (not used with RSA key exchange) is sent
    /// before ServerHelloDone.
    pub server_key_exchange: bool,
    /// Byte-level mutations of ServerHello, Certificate, ServerHelloDone, Finished.
    pub mutations: Vec<(HsMsg, Mutation)>,
    pub ccs: ServerCcsBug,
    /// If true, one bit of the server's verify_data is flipped.
    pub bad_finished: bool,
    /// If set, this bit of the sealed Finished record is flipped.
    pub flip_finished_record_bit: Option<usize>,
    /// If true, application data is sent before the server's Finished.
    pub app_data_before_finished: bool,
    /// If true, a HelloRequest follows the handshake (the client should
    /// refuse with a warning no_renegotiation, or ignore it).
    pub hello_request_after: bool,
    /// If true, a HelloRequest is sent in the middle of the handshake,
    /// which the client must ignore (RFC 5246 §7.4.1.1).
    pub hello_request_during: bool,
    /// If true, the record carrying ServerHello has version 0x0302.
    pub record_version: Option<u16>,
    /// ECDHE: if set, the ServerKeyExchange point is malformed this way
    /// (and signed as sent, so only the point is wrong).
    pub ske_point: Option<PointBug>,
    /// ECDHE: if true, ServerKeyExchange names a group the client did not
    /// offer (the first of x448, secp521r1, brainpoolP256r1..P512r1 it left
    /// out; the share is 32 random bytes), signed.
    pub ske_group_not_offered: bool,
    /// ECDHE: if set, the ServerKeyExchange signature is wrong this way.
    pub ske_signature: Option<SkeSignatureBug>,
    /// ECDHE: if set, ServerKeyExchange is sent this many times (0: none,
    /// 2: duplicated) instead of once.
    pub ske_count: Option<usize>,
    /// ECDHE: if set, the group we use (one of ours), instead of the first
    /// of ours the client offered. A choice, not a misbehaviour: a case
    /// that sets it expects the client to have offered the group.
    pub ske_group: Option<NamedGroup>,
    /// Max fragment, if set, causes every handshake message we send
    /// (ServerHello … ServerHelloDone, Finished) to go in records of at
    /// most this many bytes (at least 1) instead of 2^14.
    pub max_fragment: Option<usize>,
    /// Certificate status, if set, causes an empty status_request in
    /// ServerHello and a CertificateStatus (status_type ocsp) carrying
    /// these OCSPResponse bytes after Certificate, when the client offered
    /// status_request (RFC 6066 §8). What the bytes say is the case's
    /// fault (a revoked, stale or foreign response), or none.
    pub certificate_status: Option<Vec<u8>>,
    /// Unsolicited status, if true, causes the status_request answer and
    /// the CertificateStatus of `certificate_status` to be sent even when
    /// the client did not offer status_request (RFC 6066 §8: the server
    /// MUST NOT).
    pub unsolicited_status: bool,
    /// Status without ack, if true, causes the CertificateStatus of
    /// `certificate_status` to be sent, whether or not the client asked,
    /// without the status_request answer in ServerHello (RFC 6066 §8: only
    /// a server that sent it may send CertificateStatus).
    pub status_without_ack: bool,
}

impl ServerBugs {
    /// The step at which these knobs first misbehave (the earliest of those
    /// set); `Milestone::Start` for a correct server. Every field is named,
    /// so a new knob cannot be added without saying where it acts.
    pub fn injected_at(&self) -> Milestone {
        use Milestone as M;
        let ServerBugs {
            server_version,
            cipher_suite,
            compression,
            extensions,
            extra_extensions,
            chain,
            server_key_exchange,
            mutations,
            ccs,
            bad_finished,
            flip_finished_record_bit,
            app_data_before_finished,
            hello_request_after,
            hello_request_during,
            record_version,
            ske_point,
            ske_group_not_offered,
            ske_signature,
            ske_count,
            ske_group: _,
            max_fragment,
            certificate_status,
            unsolicited_status,
            status_without_ack,
        } = self;
        let hello = server_version.is_some()
            || cipher_suite.is_some()
            || compression.is_some()
            || extensions.is_some()
            || !extra_extensions.is_empty()
            || chain.is_some()
            || *server_key_exchange
            || *hello_request_during
            || record_version.is_some()
            || ske_point.is_some()
            || *ske_group_not_offered
            || ske_signature.is_some()
            || ske_count.is_some()
            || max_fragment.is_some()
            || certificate_status.is_some()
            || *unsolicited_status
            || *status_without_ack
            || *ccs == ServerCcsBug::Early;
        let change_cipher_spec = *app_data_before_finished
            || matches!(ccs, ServerCcsBug::Skip | ServerCcsBug::Payload(_));
        let finished = *bad_finished || flip_finished_record_bit.is_some();
        let mutated = mutations.iter().map(|(m, _)| match m {
            HsMsg::Finished => M::Finished,
            _ => M::Hello,
        });
        [
            (hello, M::Hello),
            (change_cipher_spec, M::ChangeCipherSpec),
            (finished, M::Finished),
            (*hello_request_after, M::Traffic),
        ]
        .into_iter()
        .filter_map(|(set, step)| set.then_some(step))
        .chain(mutated)
        .min()
        .unwrap_or(M::Start)
    }
}

/// The scripted server's configuration for one case.
#[derive(Clone)]
pub struct ServerScript {
    /// Chosen if the client offers it, else the client's first known suite.
    pub suite: CipherSuite,
    /// Echo extended_master_secret when offered.
    pub ems: bool,
    /// Leaf first, DER.
    pub chain: Vec<Vec<u8>>,
    pub key: ServerKey,
    /// Signs ServerKeyExchange in an ECDHE suite (the leaf's RSA key).
    pub signer: Option<ServerSigner>,
    pub bugs: ServerBugs,
    /// The CA of a revocation case (`suites::revocation`): staged when the
    /// case runs, it supplies the chain and the staple.
    pub revocation: Option<Arc<crate::ca::scenario::RevocationScript>>,
}

impl std::fmt::Debug for ServerScript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerScript")
            .field("suite", &self.suite)
            .field("ems", &self.ems)
            .field("chain_len", &self.chain.len())
            .field("bugs", &self.bugs)
            .finish()
    }
}

impl ServerScript {
    /// A correct server on the built-in test PKI.
    pub fn builtin() -> Result<Self, String> {
        let c = crate::builtin::server_config(None, None)?;
        Ok(Self {
            suite: CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
            ems: true,
            chain: c.cert_chain,
            key: c.key,
            signer: c.signer,
            bugs: ServerBugs::default(),
            revocation: None,
        })
    }

    pub fn with_bugs(mut self, bugs: ServerBugs) -> Self {
        self.bugs = bugs;
        self
    }

    pub fn with_key(mut self, key: Arc<dyn crypto::RsaDecrypt + Send + Sync>) -> Self {
        self.key = key;
        self
    }
}

/// Runs one connection as the server.
pub fn run(
    t: &mut dyn Transport,
    script: &ServerScript,
    rng: &mut Provider,
    timeout: Duration,
) -> Outcome {
    let mut wire = Wire::new(t, timeout);
    let res = run_inner(&mut wire, script, rng);
    let records = wire.records_in();
    match res {
        Ok(()) => Outcome::completed(records, false),
        Err(end) => Outcome::ended(end, records).at(wire.reached),
    }
}

fn wrong(msg: impl Into<String>) -> Ending {
    Ending::Garbled(msg.into())
}

/// What the ClientHello offered.
struct Hello {
    random: [u8; 32],
    version: u16,
    suites: Vec<CipherSuite>,
    ems: bool,
    /// supported_groups (raw), `None` when absent.
    groups: Option<Vec<u16>>,
    /// signature_algorithms (raw pairs), empty when absent.
    signature_algorithms: Vec<u16>,
    /// True if the ClientHello carried ec_point_formats.
    point_formats: bool,
    /// True if the ClientHello asked for secure renegotiation (RFC 5746
    /// §3.4: the extension or the SCSV).
    secure_renegotiation: bool,
    /// True if the ClientHello carried status_request (RFC 6066 §8).
    status_request: bool,
}

fn read_client_hello(wire: &mut Wire<'_>, transcript: &mut Vec<u8>) -> Result<Hello, Ending> {
    let raw = match wire.recv()? {
        Incoming::Handshake { raw, .. } => raw,
        other => return Err(wrong(format!("expected ClientHello, got {other:?}"))),
    };
    let m = decode_handshake(&raw).map_err(|e| wrong(format!("malformed ClientHello: {e}")))?;
    let HandshakePayload::ClientHello(ch) = m.payload else {
        return Err(wrong(format!("expected ClientHello, got {:?}", m.typ)));
    };
    hash_theirs(transcript, &raw)?;
    let mut groups = None;
    let mut signature_algorithms = Vec::new();
    let mut point_formats = false;
    let mut status_request = false;
    for e in ch.extensions.iter().flatten() {
        match e {
            ClientExtension::StatusRequest(_) => status_request = true,
            ClientExtension::EcPointFormats(_) => point_formats = true,
            ClientExtension::SupportedGroups(g) => groups = Some(g.iter().map(|g| g.0).collect()),
            ClientExtension::SignatureAlgorithms(a) => {
                signature_algorithms = a
                    .iter()
                    .map(|a| u16::from_be_bytes([a.hash.0, a.signature.0]))
                    .collect()
            }
            _ => {}
        }
    }
    let ext_types: Vec<u16> = ch
        .extensions
        .iter()
        .flatten()
        .map(|e| e.ext_type().0)
        .collect();
    let suite_codes: Vec<u16> = ch.cipher_suites.iter().map(|s| s.0).collect();
    Ok(Hello {
        secure_renegotiation: rules::offers_secure_renegotiation(&suite_codes, &ext_types),
        random: ch.random.0,
        version: ch.client_version.0,
        ems: rules::client_hello_ems(&ch),
        suites: ch.cipher_suites,
        groups,
        signature_algorithms,
        point_formats,
        status_request,
    })
}

fn run_inner(wire: &mut Wire<'_>, script: &ServerScript, rng: &mut Provider) -> Result<(), Ending> {
    let b = &script.bugs;
    let max = b.max_fragment.unwrap_or(1 << 14).max(1);
    let mut transcript = Vec::new();
    let hello = read_client_hello(wire, &mut transcript)?;
    wire.reach(Milestone::Hello);

    let script_ecdhe =
        SuiteParams::for_suite(script.suite).is_some_and(|p| p.kx == crypto::KeyExchange::Ecdhe);
    let suite = if hello.suites.contains(&script.suite) {
        script.suite
    } else if script_ecdhe {
        // An ECDHE case means nothing in another suite: no fallback.
        return Err(wrong(format!(
            "client did not offer {:?}, the case's ECDHE suite",
            script.suite
        )));
    } else {
        hello
            .suites
            .iter()
            .copied()
            .find(|s| SuiteParams::for_suite(*s).is_some_and(|p| p.kx == crypto::KeyExchange::Rsa))
            .ok_or_else(|| wrong("client offered no RSA AES-GCM suite"))?
    };
    let params = SuiteParams::for_suite(suite).ok_or_else(|| wrong("no suite"))?;
    let hash = params.prf_hash;
    let ems = rules::server_negotiates_ems(script.ems, hello.ems);
    let server_random: [u8; 32] = rng.array();
    let session_id: [u8; 32] = rng.array();

    // ServerHello
    let mut exts = b.extensions.clone().unwrap_or_else(|| {
        // RFC 5746 §3.6: renegotiation_info only in answer to the client's
        // extension or SCSV.
        let mut e = Vec::new();
        if hello.secure_renegotiation {
            e.push((
                ExtensionType::RenegotiationInfo.0,
                rules::renegotiation_info(&[]),
            ));
        }
        if ems {
            e.push((ExtensionType::ExtendedMasterSecret.0, vec![]));
        }
        e
    });
    let ecdhe = params.kx == crypto::KeyExchange::Ecdhe;
    if ecdhe && hello.point_formats && b.extensions.is_none() {
        // RFC 8422 §5.2: an ECC suite's ServerHello answers the client's
        // ec_point_formats with ours: [uncompressed].
        exts.push((ExtensionType::EcPointFormats.0, vec![1, 0]));
    }
    // RFC 6066 §8: the empty status_request in ServerHello promises the
    // CertificateStatus that follows Certificate.
    let staple = match &b.certificate_status {
        Some(r) if hello.status_request || b.unsolicited_status || b.status_without_ack => {
            Some(r.clone())
        }
        _ => None,
    };
    if staple.is_some() && b.extensions.is_none() && !b.status_without_ack {
        exts.push((ExtensionType::StatusRequest.0, vec![]));
    }
    exts.extend(b.extra_extensions.iter().cloned());
    let sh = build::server_hello(
        b.server_version.unwrap_or(0x0303),
        &server_random,
        &session_id,
        b.cipher_suite.unwrap_or(suite.0),
        b.compression.unwrap_or(0),
        &exts,
    );
    wire.cork = true;
    if let Some(v) = b.record_version {
        wire.version = v;
    }
    wire.send_handshake(&mut transcript, HsMsg::ServerHello, &sh, &b.mutations, max)?;
    wire.version = 0x0303;
    if b.ccs == ServerCcsBug::Early {
        wire.send(ContentType::ChangeCipherSpec.0, &[1], 1)?;
    }
    if b.hello_request_during {
        // Not part of the transcript (RFC 5246 §7.4.9).
        wire.send(ContentType::Handshake.0, &build::hello_request(), 1 << 14)?;
    }

    // Certificate
    let chain = b.chain.clone().unwrap_or_else(|| script.chain.clone());
    let cert = build::certificate(&chain);
    wire.send_handshake(
        &mut transcript,
        HsMsg::Certificate,
        &cert,
        &b.mutations,
        max,
    )?;
    if let Some(response) = &staple {
        wire.send_handshake(
            &mut transcript,
            HsMsg::Certificate,
            &build::certificate_status(response),
            &[],
            max,
        )?;
    }
    let kx = if ecdhe {
        Some(send_server_key_exchange(
            wire,
            &mut transcript,
            script,
            rng,
            &hello,
            &server_random,
        )?)
    } else {
        None
    };
    if b.server_key_exchange {
        // Under ServerHelloDone's mutations, as it always was.
        let ske = msg(12, &[0, 0]);
        wire.send_handshake(
            &mut transcript,
            HsMsg::ServerHelloDone,
            &ske,
            &b.mutations,
            max,
        )?;
    }
    wire.send_handshake(
        &mut transcript,
        HsMsg::ServerHelloDone,
        &build::server_hello_done(),
        &b.mutations,
        max,
    )?;
    wire.flush()?;

    // ClientKeyExchange
    let raw = match wire.recv()? {
        Incoming::Handshake { raw, .. } => raw,
        other => return Err(wrong(format!("expected ClientKeyExchange, got {other:?}"))),
    };
    let m =
        decode_handshake(&raw).map_err(|e| wrong(format!("malformed ClientKeyExchange: {e}")))?;
    let HandshakePayload::ClientKeyExchange(cke) = m.payload else {
        return Err(wrong(format!(
            "expected ClientKeyExchange, got {:?}",
            m.typ
        )));
    };
    hash_theirs(&mut transcript, &raw)?;
    let master = match kx {
        Some(kx) => {
            // RFC 8422 §5.7: the client's point, as a conforming client sends it.
            let point = cke
                .ecdh()
                .map_err(|e| wrong(format!("malformed ECDHE ClientKeyExchange: {e}")))?;
            let shared = kx
                .complete(&point.0)
                .map_err(|e| wrong(format!("client's ECDH share: {e}")))?;
            keys::master_secret(
                hash,
                &shared,
                ems,
                &hello.random,
                &server_random,
                &transcript,
            )
        }
        None => {
            let epms = cke
                .rsa()
                .map_err(|e| wrong(format!("malformed RSA ClientKeyExchange: {e}")))?;
            let random_pm: [u8; 48] = rng.array();
            let pm = crypto::decrypt_premaster(
                &*script.key,
                rng,
                &epms.0,
                gauntlet_engine::enums::ProtocolVersion(hello.version),
                &random_pm,
            );
            if pm.as_bytes() == &random_pm {
                return Err(wrong(
                    "client's premaster did not decrypt to 48 bytes with its hello version",
                ));
            }
            keys::master_secret(hash, &pm, ems, &hello.random, &server_random, &transcript)
        }
    };
    let (theirs, ours) =
        keys::directions(&params, &master, &hello.random, &server_random).map_err(Ending::Io)?;

    // The client's CCS and Finished.
    match wire.recv()? {
        Incoming::ChangeCipherSpec(p) if p == [1] => {}
        other => return Err(wrong(format!("expected ChangeCipherSpec, got {other:?}"))),
    }
    wire.reader.read = Some(theirs);
    let raw = match wire.recv()? {
        Incoming::Handshake { typ: 20, raw } => raw,
        other => return Err(wrong(format!("expected Finished, got {other:?}"))),
    };
    let expected = keys::verify_data(hash, &master, crypto::CLIENT_FINISHED, &transcript);
    if raw.get(4..) != Some(&expected[..]) {
        return Err(wrong("client Finished does not verify"));
    }
    hash_theirs(&mut transcript, &raw)?;

    // Our CCS and Finished, in one write: a client sees the whole flight
    // (a repeated Finished included) before it can act on the first.
    wire.reach(Milestone::ChangeCipherSpec);
    wire.cork = true;
    match &b.ccs {
        ServerCcsBug::None | ServerCcsBug::Early => {
            wire.send(ContentType::ChangeCipherSpec.0, &[1], 1)?
        }
        ServerCcsBug::Skip => {}
        ServerCcsBug::Payload(p) => {
            wire.send(ContentType::ChangeCipherSpec.0, p, p.len().max(1))?
        }
    }
    wire.write = Some(ours);
    if b.app_data_before_finished {
        wire.send(ContentType::ApplicationData.0, b"early", 1 << 14)?;
    }
    wire.reach(Milestone::Finished);
    let mut vd = keys::verify_data(hash, &master, crypto::SERVER_FINISHED, &transcript);
    if b.bad_finished {
        vd[0] ^= 1;
    }
    let fin = build::finished(&vd);
    if let Some(bit) = b.flip_finished_record_bit {
        let mut rec = wire.record_bytes(ContentType::Handshake.0, 0x0303, &fin, None)?;
        super::record::flip_body_bit(&mut rec, bit);
        wire.send_raw(&rec)?;
    } else {
        wire.send_handshake(&mut transcript, HsMsg::Finished, &fin, &b.mutations, max)?;
    }
    wire.flush()?;

    after_handshake(wire, b, raw.get(4..).unwrap_or_default())
}

/// Waits for the client's request (or its close_notify), answers, closes.
/// `client_verify_data` is the client's Finished, which a renegotiating
/// client must echo (RFC 5746 §3.5).
fn after_handshake(
    wire: &mut Wire<'_>,
    b: &ServerBugs,
    client_verify_data: &[u8],
) -> Result<(), Ending> {
    wire.reach(Milestone::Traffic);
    if b.hello_request_after {
        wire.send(ContentType::Handshake.0, &build::hello_request(), 1 << 14)?;
    }
    loop {
        match wire.recv() {
            Ok(Incoming::ApplicationData(_)) => break,
            // A client that refuses renegotiation warns and goes on.
            Err(Ending::Alert {
                level: 1,
                description,
            }) if description == AlertDescription::NoRenegotiation.0 && b.hello_request_after => {
                continue
            }
            // A client may also answer a HelloRequest by renegotiating
            // (RFC 5246 §7.4.1.1): a ClientHello carrying its previous
            // verify_data (RFC 5746 §3.5) conforms. The case ends there; the
            // scripted server does not renegotiate.
            Ok(Incoming::Handshake { typ: 1, raw }) if b.hello_request_after => {
                return check_renegotiation_hello(&raw, client_verify_data);
            }
            // A client with nothing to say closes with close_notify: the
            // handshake succeeded.
            Err(Ending::Alert {
                level: 1,
                description,
            }) if description == AlertDescription::CloseNotify.0 => {
                let _ = wire.send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
                return Ok(());
            }
            // A client that closes without its request or a close_notify
            // gave up: a client that rejects our flight without an alert
            // looks like this, and must not pass as a completed handshake.
            Err(e) => return Err(e),
            Ok(other) => return Err(wrong(format!("expected application data, got {other:?}"))),
        }
    }
    wire.send(
        ContentType::ApplicationData.0,
        b"HTTP/1.0 200 ok\r\nContent-type: text/plain\r\n\r\nGauntlet scripted server\r\n",
        1 << 14,
    )?;
    wire.send_alert(AlertLevel::Warning, AlertDescription::CloseNotify)?;
    // The client's answer: close_notify, a close, or a late fatal alert.
    match wire.recv() {
        Err(Ending::Alert {
            level: 2,
            description,
        }) => Err(Ending::Alert {
            level: 2,
            description,
        }),
        _ => Ok(()),
    }
}

/// A renegotiation ClientHello must carry renegotiation_info with the
/// client's verify_data from the handshake it renegotiates (RFC 5746 §3.5).
fn check_renegotiation_hello(raw: &[u8], client_verify_data: &[u8]) -> Result<(), Ending> {
    let m = decode_handshake(raw)
        .map_err(|e| wrong(format!("malformed renegotiation ClientHello: {e}")))?;
    let HandshakePayload::ClientHello(ch) = m.payload else {
        return Err(wrong("expected a ClientHello"));
    };
    let echoed = rules::client_hello_renegotiation_info(&ch);
    rules::check_renegotiating_hello(echoed.as_deref(), client_verify_data).map_err(wrong)
}

/// The groups a "group not offered" ServerKeyExchange picks from: x448,
/// secp521r1, brainpoolP256r1/384r1/512r1, then an unassigned value.
const UNOFFERED_GROUP_CANDIDATES: [u16; 6] = [30, 25, 26, 27, 28, 0xfe00];

/// RFC 8422 §5.4 from the server's side: our share in the first group of
/// ours the client offered (x25519 when it sent no supported_groups),
/// signed with the first RSA scheme it offered (rsa_pkcs1_sha256 if none),
/// misbehaving as the `ske_*` knobs say. Returns our key exchange, for the
/// client's point.
fn send_server_key_exchange(
    wire: &mut Wire<'_>,
    transcript: &mut Vec<u8>,
    script: &ServerScript,
    rng: &mut Provider,
    hello: &Hello,
    server_random: &[u8; 32],
) -> Result<Box<dyn crypto::kx::ActiveKeyExchange>, Ending> {
    let b = &script.bugs;
    let signer = script
        .signer
        .as_ref()
        .ok_or_else(|| wrong("an ECDHE suite without a signing key"))?;
    let offered = |g: u16| hello.groups.as_ref().is_none_or(|o| o.contains(&g));
    let group = match b.ske_group {
        Some(g) => g,
        None => crypto::kx::SUPPORTED_GROUPS
            .iter()
            .copied()
            .find(|g| offered(g.0))
            .ok_or_else(|| wrong("client offered none of our groups"))?,
    };
    let seed: [u8; 32] = rng.array();
    let kx = crypto::kx::RustCryptoKx
        .start(group, &seed)
        .map_err(|e| wrong(e.to_string()))?;
    let mut params = ServerEcdhParams {
        named_group: group,
        public: EcPoint(kx.public_share().to_vec()),
    };
    if let Some(bug) = b.ske_point {
        params.public = EcPoint(malformed_point(bug, group, kx.public_share()));
    }
    if b.ske_group_not_offered {
        let g = UNOFFERED_GROUP_CANDIDATES
            .iter()
            .copied()
            .find(|g| hello.groups.as_ref().is_some_and(|o| !o.contains(g)))
            .unwrap_or(0xfe00);
        params.named_group = NamedGroup(g);
        params.public = EcPoint(rng.array::<32>().to_vec());
    }
    let scheme = hello
        .signature_algorithms
        .iter()
        .filter_map(|a| {
            let pair = gauntlet_engine::msgs::SignatureAndHashAlgorithm {
                hash: gauntlet_engine::enums::HashAlgorithm((a >> 8) as u8),
                signature: gauntlet_engine::enums::SignatureAlgorithm(*a as u8),
            };
            Scheme::from_wire(pair)
        })
        .find(|s| s.key_kind() == signer.kind())
        .unwrap_or(Scheme::RsaPkcs1(crypto::sig::SigHash::Sha256));
    let message = match b.ske_signature {
        Some(SkeSignatureBug::WrongRandoms) => {
            ServerKeyExchangePayload::signed_message(server_random, &hello.random, &params)
        }
        _ => ServerKeyExchangePayload::signed_message(&hello.random, server_random, &params),
    };
    let signature = match b.ske_signature {
        Some(SkeSignatureBug::WrongKey) => {
            let other = crypto::rsa_kx::private_key_from_pem(crate::builtin::INTERMEDIATE_KEY_PEM)
                .map_err(|e| wrong(e.to_string()))?;
            crypto::sig::SigningKey::sign(&other, scheme, &message, rng)
        }
        _ => signer.sign(scheme, &message, rng),
    }
    .map_err(|e| wrong(e.to_string()))?;
    let mut algorithm = scheme.to_wire();
    if b.ske_signature == Some(SkeSignatureBug::AlgorithmNotOffered) {
        algorithm = gauntlet_engine::msgs::SignatureAndHashAlgorithm {
            hash: gauntlet_engine::enums::HashAlgorithm::Sha1,
            signature: gauntlet_engine::enums::SignatureAlgorithm::Rsa,
        };
    }
    let ske = gauntlet_engine::codec::Codec::get_encoding(&ServerKeyExchangePayload {
        params,
        signed: DigitallySigned {
            algorithm,
            signature: SignatureBytes(signature),
        },
    });
    for _ in 0..b.ske_count.unwrap_or(1) {
        wire.send_handshake(
            transcript,
            HsMsg::ServerHelloDone,
            &msg(12, &ske),
            &[],
            1 << 14,
        )?;
    }
    Ok(kx)
}
