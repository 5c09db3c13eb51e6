//! Shared set-up for the engine behaviour tests that need a misbehaving
//! peer: the engine's client or server (test PKI, fixed seeds and
//! time) driven by the harness's step `Peer` to a chosen state, and the
//! checks of how the engine must end a connection. What the peer does is
//! the peer's (`gauntlet_harness::peer::step`); this file only stages it.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

use gauntlet_engine::codec::Codec;
use gauntlet_engine::crypto::MasterSecret;
use gauntlet_engine::enums::{
    AlertDescription, AlertLevel, ContentType, HandshakeType, HashAlgorithm, ProtocolVersion,
    SignatureAlgorithm,
};
use gauntlet_engine::msgs::{
    Asn1Cert, CertificatePayload, ClientKeyExchangePayload, EncryptedPreMasterSecret,
    HandshakeMessagePayload, HandshakePayload, SignatureAndHashAlgorithm,
};
use gauntlet_engine::record::Deframer;
use gauntlet_engine::{ClientConfig, Connection, Event, ServerConfig, Session, SessionCache};
pub use gauntlet_harness::peer::{Action, Got, HsMsg, Peer, Role};
use std::sync::Arc;

// The engine tests' own set-up (test PKI, configs, connections), shared
// rather than copied.
#[path = "../../../engine/tests/common/mod.rs"]
mod engine;
pub use engine::{
    client, client_config, drain, events, leaf_chain, leaf_key, pki, records, server,
    server_config, AES128, AES256, NOW,
};

/// A server-role peer presenting the test PKI's leaf chain.
pub fn server_peer(seed: u8) -> Peer {
    Peer::server(seed, leaf_chain(), leaf_key())
}

/// What the peer reads from the engine, which must all be readable: every
/// record passes the engine's own strict framing (known type, length within
/// 2^14, RFC 5246 §6.2.1; the peer's reader is permissive by design), and
/// authenticates and decodes.
#[track_caller]
pub fn read_clean(peer: &mut Peer, bytes: &[u8]) -> Vec<Got> {
    let mut deframer = Deframer::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = deframer.read(rest);
        rest = &rest[n..];
        while let Some(_record) = deframer.pop().expect("the engine sent a bad record") {}
        assert!(n > 0 || rest.is_empty(), "the engine sent a partial record");
    }
    assert_eq!(deframer.buffered(), 0, "the engine sent a partial record");
    let got = peer.read(bytes);
    assert!(
        !got.iter().any(|g| matches!(g, Got::Unreadable(_))),
        "the engine sent something unreadable: {got:?}"
    );
    got
}

pub fn record(typ: ContentType, version: ProtocolVersion, payload: &[u8]) -> Vec<u8> {
    gauntlet_harness::peer::record::frame(typ.0, version.0, payload)
}

pub fn hs(payload: HandshakePayload) -> HandshakeMessagePayload {
    HandshakeMessagePayload::new(payload)
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

/// Runs `a` and feeds its bytes to `conn` (see `exchange`).
fn step(conn: &mut Connection, peer: &mut Peer, a: Action) -> Vec<Got> {
    let bytes = peer.act(&a).unwrap();
    exchange(conn, peer, &bytes)
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
    step(&mut srv, &mut peer, Action::Send(HsMsg::ClientHello));
    if resumed {
        assert_eq!(srv.state_name(), "ExpectChangeCipherSpec");
        if stage == S::ResumedExpectChangeCipherSpec {
            return (srv, peer);
        }
        step(&mut srv, &mut peer, Action::ChangeCipherSpec);
        assert_eq!(srv.state_name(), "ExpectFinished");
        return (srv, peer);
    }
    assert_eq!(srv.state_name(), "ExpectClientKeyExchange");
    if stage == S::ExpectClientKeyExchange {
        return (srv, peer);
    }
    step(&mut srv, &mut peer, Action::Send(HsMsg::ClientKeyExchange));
    assert_eq!(srv.state_name(), "ExpectChangeCipherSpec");
    if stage == S::ExpectChangeCipherSpec {
        return (srv, peer);
    }
    step(&mut srv, &mut peer, Action::ChangeCipherSpec);
    assert_eq!(srv.state_name(), "ExpectFinished");
    if stage == S::ExpectFinished {
        return (srv, peer);
    }
    let got = step(&mut srv, &mut peer, Action::Send(HsMsg::Finished));
    assert_eq!(srv.error(), None);
    assert_eq!(srv.state_name(), "Traffic");
    assert!(matches!(got.as_slice(), [Got::Ccs, Got::Handshake(_)]));
    assert_eq!(peer.target_finished_ok, Some(true), "server Finished");
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
    let mut peer = server_peer(seed.wrapping_add(1));
    let ch = drain(&mut cli);
    read_clean(&mut peer, &ch);
    if stage == C::ExpectServerHello {
        return (cli, peer);
    }
    let mut sh = peer.default_server_hello();
    if resumed {
        sh.session_id.0 = known_session(true).id;
    }
    let bytes = peer.send_server_hello(sh).unwrap();
    exchange(&mut cli, &mut peer, &bytes);
    if resumed {
        peer.set_master((*known_session(true).master_secret).clone())
            .unwrap();
        assert_eq!(cli.state_name(), "ExpectChangeCipherSpec");
        if stage == C::ResumedExpectChangeCipherSpec {
            return (cli, peer);
        }
        step(&mut cli, &mut peer, Action::ChangeCipherSpec);
        assert_eq!(cli.state_name(), "ExpectFinished");
        return (cli, peer);
    }
    assert_eq!(cli.state_name(), "ExpectCertificate");
    if stage == C::ExpectCertificate {
        return (cli, peer);
    }
    step(&mut cli, &mut peer, Action::Send(HsMsg::Certificate));
    assert_eq!(cli.state_name(), "ExpectServerHelloDone");
    if stage == C::ExpectServerHelloDone {
        return (cli, peer);
    }
    let got = step(&mut cli, &mut peer, Action::Send(HsMsg::ServerHelloDone));
    assert_eq!(cli.state_name(), "ExpectChangeCipherSpec");
    assert!(matches!(
        got.as_slice(),
        [Got::Handshake(_), Got::Ccs, Got::Handshake(_)]
    ));
    assert_eq!(peer.target_finished_ok, Some(true), "client Finished");
    if stage == C::ExpectChangeCipherSpec {
        return (cli, peer);
    }
    step(&mut cli, &mut peer, Action::ChangeCipherSpec);
    assert_eq!(cli.state_name(), "ExpectFinished");
    if stage == C::ExpectFinished {
        return (cli, peer);
    }
    step(&mut cli, &mut peer, Action::Send(HsMsg::Finished));
    assert_eq!(cli.error(), None);
    assert_eq!(cli.state_name(), "Traffic");
    (cli, peer)
}

/// Feeds `bytes` to `conn` and lets the peer read what comes back.
pub fn exchange(conn: &mut Connection, peer: &mut Peer, bytes: &[u8]) -> Vec<Got> {
    conn.feed(bytes, NOW);
    let out = drain(conn);
    assert_eq!(conn.error(), None, "engine failed in {}", conn.state_name());
    read_clean(peer, &out)
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
        let action = match self {
            Inject::Ccs => Action::Record {
                typ: ContentType::ChangeCipherSpec.0,
                payload: vec![1],
            },
            Inject::AppData => Action::AppData(b"early data".to_vec()),
            Inject::EmptyAppData => Action::AppData(Vec::new()),
            Inject::Handshake(t) => Action::Handshake(sample_handshake(peer, t).get_encoding()),
        };
        peer.act(&action).unwrap()
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
        HandshakeType::ClientKeyExchange => HandshakePayload::ClientKeyExchange(
            ClientKeyExchangePayload::from_rsa(&EncryptedPreMasterSecret(vec![0x42; 256])),
        ),
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
