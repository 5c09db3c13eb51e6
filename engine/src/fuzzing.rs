//! Fuzz-target logic (hidden from the docs): what each `fuzz/fuzz_targets/*`
//! calls, and what `tests/fuzz_corpus.rs` replays on stable Rust. Each entry
//! point takes the fuzzer's bytes, drives one engine component and asserts
//! its invariants; a violated invariant panics, which a fuzzer reports as a
//! crash.
//!
//! | entry point  | drives                                             |
//! |--------------|----------------------------------------------------|
//! | [`deframer`] | `Deframer` and `HandshakeJoiner`, each message decoded |
//! | [`message`]  | every message decoder; decode → encode is the identity |
//! | [`server`], [`client`] | a `Connection` fed length-prefixed chunks |
//! | [`x509`]     | `pki::verify_chain` on DER blobs                   |
//! | [`scenario`] | a scripted client (real keys) against the server   |
//!
//! The crypto shortcuts (an all-zero GCM tag opens as plaintext in clear, an
//! all-zero Finished verifies) exist only with the `fuzzing` feature, and act
//! only after [`set_shortcuts`]`(true)`: a runtime switch, so one fuzz build
//! serves targets that need them (`server`, `client`) and targets that must
//! run without them (`scenario`), and coverage can be measured both ways.
//! Without the feature [`shortcuts_enabled`] is constant `false`.

use crate::codec::{Codec, Reader};
use crate::config::{
    ClientConfig, NoVerification, PkiVerifier, ServerCertVerifier, ServerConfig, ServerKey,
    Session, SessionCache,
};
use crate::crypto::rsa_kx::{Pkcs1Plaintext, RsaDecrypt};
use crate::crypto::{self, MasterSecret, PrfHash, SuiteParams};
use crate::enums::{
    AlertDescription, AlertLevel, CipherSuite, Compression, ContentType, ExtensionType,
    HandshakeType, HashAlgorithm, ProtocolVersion, ServerNameType, SignatureAlgorithm,
};

use crate::msgs::{
    decode_handshake, AlertMessagePayload, CertificatePayload, ChangeCipherSpecPayload,
    ClientExtension, ClientHelloPayload, EncryptedPreMasterSecret, HandshakeMessagePayload,
    HandshakePayload, HostName, NewSessionTicketPayload, Random, RenegotiatedConnection,
    ServerExtension, ServerHelloPayload, ServerName, SessionId, SignatureAndHashAlgorithm,
};
use crate::pki::{self, Purpose, RevocationPolicy, TrustAnchors, VerifyOptions};
use crate::provider::{Provider, UnixTime};
use crate::record::protection::{RecordOpener, RecordSealer};
use crate::record::{
    Deframer, HandshakeJoiner, OpaqueRecord, RecordHeader, RecordLimit, HEADER_LEN, MAX_CIPHERTEXT,
    MAX_PLAINTEXT,
};
use crate::transcript::{Direction, Step};
use crate::{Connection, Event, Side};
use std::fmt::Debug;
use std::sync::{Arc, Mutex, OnceLock};
use subtle::Choice;
use zeroize::Zeroizing;

// ---- the crypto shortcuts (feature `fuzzing` only) -------------------------

#[cfg(feature = "fuzzing")]
static SHORTCUTS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns the crypto shortcuts on or off for the whole process. Fuzz targets
/// call it once at start-up; nothing else may.
#[cfg(feature = "fuzzing")]
pub fn set_shortcuts(on: bool) {
    SHORTCUTS.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether the shortcuts act: never without the `fuzzing` feature.
pub fn shortcuts_enabled() -> bool {
    #[cfg(feature = "fuzzing")]
    {
        SHORTCUTS.load(std::sync::atomic::Ordering::Relaxed)
    }
    #[cfg(not(feature = "fuzzing"))]
    {
        false
    }
}

/// `RecordOpener::open`'s shortcut: a fragment `explicit nonce(8) ‖ P ‖
/// 0^16` opens as `P`. `None` lets the real AEAD decide.
#[cfg(feature = "fuzzing")]
pub(crate) fn shortcut_open(fragment: &[u8]) -> Option<Result<Vec<u8>, crate::error::Error>> {
    use crate::record::protection::{EXPLICIT_NONCE_LEN, TAG_LEN};
    if !shortcuts_enabled() || fragment.len() > MAX_CIPHERTEXT {
        return None;
    }
    let body = fragment.get(EXPLICIT_NONCE_LEN..)?;
    let plain_len = body.len().checked_sub(TAG_LEN)?;
    let (plain, tag) = body.split_at(plain_len);
    if tag.iter().any(|&b| b != 0) {
        return None;
    }
    if plain.len() > MAX_PLAINTEXT {
        return Some(Err(crate::error::InvalidMessage::PlaintextRecordTooLarge(
            plain.len(),
        )
        .into()));
    }
    Some(Ok(plain.to_vec()))
}

/// `verify_finished`'s shortcut: twelve zero bytes verify.
#[cfg(feature = "fuzzing")]
pub(crate) fn shortcut_finished(received: &[u8]) -> bool {
    shortcuts_enabled()
        && received.len() == crypto::keys::VERIFY_DATA_LEN
        && received.iter().all(|&b| b == 0)
}

// ---- fixtures ---------------------------------------------------------------

/// The validation time of the test PKI (2027-01-01), used as `now` throughout.
pub const NOW: UnixTime = UnixTime(1_798_761_600);
/// Seed of the server's provider in `server` and `scenario`.
pub const SERVER_SEED: [u8; 32] = [0x5e; 32];
/// Seed of the client's provider in `client`.
pub const CLIENT_SEED: [u8; 32] = [0xc1; 32];
/// A session both fuzzed sides know: in the server's cache when the flags
/// say so, offered by the client when the flags say so.
pub const KNOWN_SESSION_ID: [u8; 32] = [0x5a; 32];
pub const KNOWN_MASTER: [u8; 48] = [0x4d; 48];

macro_rules! pki_file {
    ($f:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/pki/", $f))
    };
}

pub const ROOT_DER: &[u8] = pki_file!("root.der");
pub const LEAF_DER: &[u8] = pki_file!("leaf.der");
pub const INT_DER: &[u8] = pki_file!("int.der");
const LEAF_KEY_PEM: &[u8] = pki_file!("leaf.key");

/// Every certificate of the test PKI made with a correct signature (OpenSSL,
/// `vectors/pki/gen.sh`). `leaf-badsig.der` is left out on purpose: a chain
/// through it must never verify.
pub const GENUINE_CERTS: &[&[u8]] = &[
    pki_file!("root.der"),
    pki_file!("root-impostor.der"),
    pki_file!("root-untrusted.der"),
    pki_file!("int.der"),
    pki_file!("int-cross.der"),
    pki_file!("int-expired.der"),
    pki_file!("int-impostor.der"),
    pki_file!("int-nokcs.der"),
    pki_file!("int-notca.der"),
    pki_file!("int-pathlen0.der"),
    pki_file!("int-revoked.der"),
    pki_file!("int-sub.der"),
    pki_file!("int-untrusted.der"),
    pki_file!("int-wrongkey.der"),
    pki_file!("leaf.der"),
    pki_file!("leaf-clientonly.der"),
    pki_file!("leaf-critical-ext.der"),
    pki_file!("leaf-expired.der"),
    pki_file!("leaf-impostor.der"),
    pki_file!("leaf-ku-sign-only.der"),
    pki_file!("leaf-nosan.der"),
    pki_file!("leaf-notyet.der"),
    pki_file!("leaf-pss.der"),
    pki_file!("leaf-pss384.der"),
    pki_file!("leaf-revoked.der"),
    pki_file!("leaf-selfsigned.der"),
    pki_file!("leaf-sha512.der"),
    pki_file!("leaf-under-expired-int.der"),
    pki_file!("leaf-under-nokcs.der"),
    pki_file!("leaf-under-notca.der"),
    pki_file!("leaf-under-pathlen0.der"),
    pki_file!("leaf-under-revoked-int.der"),
    pki_file!("leaf-under-sub.der"),
    pki_file!("leaf-untrusted.der"),
    pki_file!("leaf-wildcard.der"),
];

/// The test PKI's leaf key (`vectors/pki/leaf.key`), parsed once.
fn leaf_key() -> ServerKey {
    static KEY: OnceLock<ServerKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let pem = std::str::from_utf8(LEAF_KEY_PEM).unwrap_or_default();
        match crypto::rsa_kx::private_key_from_pem(pem) {
            Ok(k) => Arc::new(k),
            Err(e) => panic!("vectors/pki/leaf.key does not load: {e}"),
        }
    })
    .clone()
}

fn test_roots() -> &'static TrustAnchors {
    static ROOTS: OnceLock<TrustAnchors> = OnceLock::new();
    ROOTS.get_or_init(|| match TrustAnchors::from_der(&[ROOT_DER.to_vec()]) {
        Ok(r) => r,
        Err(e) => panic!("vectors/pki/root.der does not load: {e:?}"),
    })
}

fn pki_verifier() -> Arc<dyn ServerCertVerifier> {
    static V: OnceLock<Arc<dyn ServerCertVerifier>> = OnceLock::new();
    V.get_or_init(
        || match PkiVerifier::new(&[ROOT_DER.to_vec()], Vec::new()) {
            Ok(v) => Arc::new(v),
            Err(e) => panic!("vectors/pki/root.der does not load: {e:?}"),
        },
    )
    .clone()
}

/// An RSA "key" whose private operation is the identity, so fuzzers and the
/// scripted client make a ClientKeyExchange without RSA's cost (~3 ms per
/// decryption): the ciphertext is the RFC 8017 §7.2.2 block `00 02 PS 00 M`
/// in clear, 256 bytes, PS at least 8 non-zero bytes. The padding checks are
/// real, so the server's RFC 5246 §7.4.7.1 countermeasure is still fuzzed.
#[derive(Debug)]
pub struct ClearRsaKey;

impl ClearRsaKey {
    pub const LEN: usize = 256;

    /// The "ciphertext" of `message` (at most 245 bytes; longer is cut).
    pub fn encrypt(message: &[u8]) -> Vec<u8> {
        let m = &message[..message.len().min(Self::LEN - 11)];
        let mut out = vec![0x00, 0x02];
        out.resize(Self::LEN - m.len() - 1, 0xa5);
        out.push(0);
        out.extend_from_slice(m);
        out
    }
}

impl RsaDecrypt for ClearRsaKey {
    fn modulus_len(&self) -> usize {
        Self::LEN
    }

    fn decrypt_pkcs1v15(&self, _rng: &mut Provider, ct: &[u8]) -> Pkcs1Plaintext {
        let sep = ct
            .iter()
            .skip(2)
            .position(|&b| b == 0)
            .map(|p| p + 2)
            .filter(|&p| p >= 10 && ct.len() == Self::LEN && ct[..2] == [0, 2]);
        match sep {
            Some(p) => Pkcs1Plaintext {
                message: Zeroizing::new(ct[p + 1..].to_vec()),
                valid: Choice::from(1),
            },
            None => Pkcs1Plaintext {
                message: Zeroizing::new(Vec::new()),
                valid: Choice::from(0),
            },
        }
    }
}

/// The session behind [`KNOWN_SESSION_ID`].
pub fn known_session(extended_master_secret: bool) -> Session {
    Session {
        id: KNOWN_SESSION_ID.to_vec(),
        suite: CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
        master_secret: Arc::new(MasterSecret::from_bytes(KNOWN_MASTER)),
        extended_master_secret,
    }
}

/// Connection options decoded from the first input byte of `server` and
/// `client` (bit 0 is the lowest).
#[derive(Clone, Copy, Debug, Default)]
pub struct ConnFlags(pub u8);

impl ConnFlags {
    /// Bit 0: turn extended_master_secret off in our config.
    pub const NO_EMS: u8 = 1;
    /// Bit 1: the known session is cached (server) or offered (client).
    pub const KNOWN_SESSION: u8 = 2;
    /// Bit 2: AES-256-GCM only (client) or first (server).
    pub const AES256: u8 = 4;
    /// Bit 3: we send records of at most 64 bytes.
    pub const SMALL_RECORDS: u8 = 8;
    /// Bit 4: the known session was made without EMS.
    pub const SESSION_NO_EMS: u8 = 16;
    /// Bit 5: server: no session cache; client: connect to 127.0.0.1 (no SNI).
    pub const BIT5: u8 = 32;

    fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// The server `server` fuzzes: the test PKI's leaf and intermediate, the
/// leaf key (or [`ClearRsaKey`] while the shortcuts act), a fresh cache.
pub fn server_config(flags: ConnFlags) -> Arc<ServerConfig> {
    let key: ServerKey = if shortcuts_enabled() {
        Arc::new(ClearRsaKey)
    } else {
        leaf_key()
    };
    let mut config = ServerConfig::new(vec![LEAF_DER.to_vec(), INT_DER.to_vec()], key);
    config.extended_master_secret = !flags.has(ConnFlags::NO_EMS);
    if flags.has(ConnFlags::AES256) {
        config.suites.reverse();
    }
    if flags.has(ConnFlags::SMALL_RECORDS) {
        config.max_fragment = 64;
    }
    let mut cache = SessionCache::new(4);
    if flags.has(ConnFlags::KNOWN_SESSION) {
        cache.insert(known_session(!flags.has(ConnFlags::SESSION_NO_EMS)));
    }
    config.session_cache = (!flags.has(ConnFlags::BIT5)).then(|| Arc::new(Mutex::new(cache)));
    Arc::new(config)
}

/// The client `client` fuzzes: verifies against the test root (or accepts
/// any chain while the shortcuts act: `x509` fuzzes validation itself).
pub fn client_connection(flags: ConnFlags) -> Connection {
    let verifier = if shortcuts_enabled() {
        Arc::new(NoVerification)
    } else {
        pki_verifier()
    };
    let mut config = ClientConfig::new(verifier);
    config.extended_master_secret = !flags.has(ConnFlags::NO_EMS);
    if flags.has(ConnFlags::AES256) {
        config.suites = vec![CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384];
    }
    if flags.has(ConnFlags::SMALL_RECORDS) {
        config.max_fragment = 64;
    }
    let name = if flags.has(ConnFlags::BIT5) {
        "127.0.0.1"
    } else {
        "localhost"
    };
    let resume = flags
        .has(ConnFlags::KNOWN_SESSION)
        .then(|| known_session(!flags.has(ConnFlags::SESSION_NO_EMS)));
    match Connection::client(
        Arc::new(config),
        name,
        Provider::from_seed(CLIENT_SEED),
        resume,
    ) {
        Ok(c) => c,
        Err(e) => panic!("client construction failed: {e}"),
    }
}

/// Splits fuzzer input into chunks, each a big-endian `u16` length and that
/// many bytes (fewer for a last chunk cut short).
pub fn split_chunks(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let [hi, lo, rest @ ..] = data {
        let n = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        out.push(chunk);
        data = tail;
    }
    out
}

/// The inverse of [`split_chunks`], for making seeds (an empty chunk is a
/// zero length). Chunks over 65535 bytes are split.
pub fn join_chunks<C: AsRef<[u8]>>(chunks: &[C]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in chunks {
        if c.as_ref().is_empty() {
            out.extend_from_slice(&[0, 0]);
        }
        for part in c.as_ref().chunks(0xffff) {
            out.extend_from_slice(&(part.len() as u16).to_be_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

// ---- deframer -----------------------------------------------------------------

/// Bytes into `Deframer` (in chunks whose size the first byte picks) and
/// handshake records into `HandshakeJoiner`, each message decoded.
///
/// Invariants: the deframer never buffers more than one maximum record and
/// is lossless (the records it returns re-encode to exactly the bytes it
/// consumed); after an error it returns nothing more; every record respects
/// the limit in force; every joined message has a header whose length is
/// its body's, and the joined messages are exactly the handshake payloads.
pub fn deframer(data: &[u8]) {
    let Some((&flags, input)) = data.split_first() else {
        return;
    };
    let mut d = Deframer::new();
    let limit = if flags & 1 != 0 {
        d.set_limit(RecordLimit::Ciphertext);
        MAX_CIPHERTEXT
    } else {
        MAX_PLAINTEXT
    };
    if flags & 2 != 0 {
        d.set_version(ProtocolVersion::TLSv1_2);
    }
    let chunk = match flags >> 2 {
        0 => usize::MAX,
        n => usize::from(n),
    };
    let mut joiner = HandshakeJoiner::default();
    let mut joiner_ok = true;
    // How much of `input` the records returned so far account for, and the
    // handshake payload stream with how much of it joined messages cover.
    let (mut consumed, mut hs_stream, mut joined) = (0usize, Vec::new(), 0usize);
    let mut failed = false;
    let mut rest = input;
    while !rest.is_empty() {
        let offer = &rest[..rest.len().min(chunk)];
        let took = d.read(offer);
        assert!(d.buffered() <= Deframer::CAPACITY, "deframer over capacity");
        rest = &rest[took..];
        let mut popped = false;
        loop {
            match d.pop() {
                Ok(Some(rec)) => {
                    popped = true;
                    assert!(!failed, "deframer yielded a record after an error");
                    assert!(rec.payload.len() <= limit, "record over the limit");
                    consumed += check_record_is_input(&rec, &input[consumed..]);
                    if rec.typ == ContentType::Handshake && joiner_ok {
                        hs_stream.extend_from_slice(&rec.payload);
                        joiner_ok = joiner.push(&rec.payload).is_ok();
                        while joiner_ok {
                            match joiner.pop() {
                                Ok(Some(msg)) => {
                                    check_handshake_header(&msg);
                                    assert_eq!(
                                        hs_stream.get(joined..joined + msg.len()),
                                        Some(msg.as_slice()),
                                        "joined message is not the handshake payload stream"
                                    );
                                    joined += msg.len();
                                    let _ = decode_handshake(&msg);
                                }
                                Ok(None) => break,
                                Err(_) => joiner_ok = false,
                            }
                        }
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    assert_eq!(d.pop(), Ok(None), "deframer not latched after an error");
                    break;
                }
            }
        }
        if (took == 0 && !popped) || failed {
            break;
        }
    }
}

/// The deframer is lossless: `rec` is exactly the next bytes of the input.
/// Returns its length on the wire.
fn check_record_is_input(rec: &OpaqueRecord, input: &[u8]) -> usize {
    let len = HEADER_LEN + rec.payload.len();
    let ok = input.len() >= len
        && input[0] == rec.typ.0
        && input[1..3] == rec.version.0.to_be_bytes()
        && input[3..5] == (rec.payload.len() as u16).to_be_bytes()
        && input[HEADER_LEN..len] == rec.payload[..];
    assert!(ok, "record does not re-encode to the bytes consumed");
    len
}

fn check_handshake_header(msg: &[u8]) {
    let len = msg
        .get(1..4)
        .map(|l| (usize::from(l[0]) << 16) | (usize::from(l[1]) << 8) | usize::from(l[2]));
    assert_eq!(len, msg.len().checked_sub(4), "joined message length");
}

// ---- message ------------------------------------------------------------------

/// Decodes `bytes` as `T`; if that works, the encoding must give back exactly
/// `bytes` (decoding is strict, so canonical) and decode to the same value.
fn round_trip<T: Codec + PartialEq + Debug>(bytes: &[u8]) {
    if let Ok(v) = T::read_bytes(bytes) {
        assert_round_trip(&v, bytes);
    }
}

fn assert_round_trip<T: Codec + PartialEq + Debug>(v: &T, bytes: &[u8]) {
    let enc = v.get_encoding();
    assert_eq!(
        T::read_bytes(&enc).as_ref(),
        Ok(v),
        "{} re-decodes differently",
        std::any::type_name::<T>()
    );
    assert_eq!(
        enc,
        bytes,
        "{} re-encodes to other bytes",
        std::any::type_name::<T>()
    );
}

/// Every decoder on the same bytes: handshake messages (header included),
/// each hello and body type, extension blocks and single extensions, alert,
/// ChangeCipherSpec, record header.
pub fn message(data: &[u8]) {
    if let Ok(m) = decode_handshake(data) {
        assert_eq!(m.typ, m.payload.typ(), "header type differs from payload");
        assert_round_trip(&m, data);
    }
    round_trip::<ClientHelloPayload>(data);
    round_trip::<ServerHelloPayload>(data);
    round_trip::<CertificatePayload>(data);
    round_trip::<NewSessionTicketPayload>(data);
    round_trip::<EncryptedPreMasterSecret>(data);
    round_trip::<Vec<ClientExtension>>(data);
    round_trip::<Vec<ServerExtension>>(data);
    round_trip::<ClientExtension>(data);
    round_trip::<ServerExtension>(data);
    round_trip::<Vec<ServerName>>(data);
    round_trip::<Vec<SignatureAndHashAlgorithm>>(data);
    round_trip::<SessionId>(data);
    round_trip::<Random>(data);
    round_trip::<AlertMessagePayload>(data);
    round_trip::<ChangeCipherSpecPayload>(data);
    round_trip::<RecordHeader>(data);
    // Each body decoder behind its type byte, as `HandshakePayload::read` sees it.
    if let Some((&typ, body)) = data.split_first() {
        let typ = HandshakeType(typ);
        let mut r = Reader::new(body);
        if let Ok(p) = HandshakePayload::read(typ, &mut r) {
            assert_eq!(p.typ(), typ, "payload type");
            let mut enc = Vec::new();
            p.encode(&mut enc);
            assert_eq!(enc, body, "{typ:?} body re-encodes to other bytes");
        }
    }
}

// ---- server and client ----------------------------------------------------------

/// The server, first byte [`ConnFlags`], the rest chunks ([`split_chunks`])
/// fed one `feed` each; see [`drive`] for what is checked.
pub fn server(data: &[u8]) -> Outcome {
    let Some((&flags, rest)) = data.split_first() else {
        return Outcome::default();
    };
    let mut conn = Connection::server(
        server_config(ConnFlags(flags)),
        Provider::from_seed(SERVER_SEED),
    );
    drive(&mut conn, &split_chunks(rest))
}

/// The client (its ClientHello already written), as [`server`].
pub fn client(data: &[u8]) -> Outcome {
    let Some((&flags, rest)) = data.split_first() else {
        return Outcome::default();
    };
    let mut conn = client_connection(ConnFlags(flags));
    drive(&mut conn, &split_chunks(rest))
}

/// Feeds `chunks` to `conn`, one `feed` each, then (if still open) sends
/// data and closes. Panics unless, throughout:
/// - output stops once the connection failed or closed, and so do events;
/// - `Failed` comes at most once and last, `HandshakeComplete` at most once
///   and before any `ApplicationData`, and both agree with `error()` and
///   `handshake()`;
/// - everything written is whole, well-formed TLS 1.2 records;
/// - a failure sent exactly the one alert `Error::alert` names (none for a
///   received fatal alert), as the last record; no fatal alert otherwise;
///   the alert records on the wire are the alerts in the transcript;
/// - `handshake()` is set only after the peer's ChangeCipherSpec and a
///   Finished whose verify_data we recompute here from the transcript's
///   handshake messages and master secret (or all zeros, while the
///   shortcuts act);
/// - memory stays linear in the input: output and transcript are bounded.
pub fn drive(conn: &mut Connection, chunks: &[&[u8]]) -> Outcome {
    let mut wire = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    let mut input_len = 0usize;
    conn.write_tls(&mut wire);
    let mut sent_data = false;
    for chunk in chunks {
        let open_before = !conn.is_closed();
        conn.feed(chunk, NOW);
        input_len += chunk.len();
        let mut out = Vec::new();
        conn.write_tls(&mut out);
        let mut new_events = Vec::new();
        while let Some(e) = conn.poll_event() {
            new_events.push(e);
        }
        if !open_before {
            assert!(out.is_empty(), "output after the connection ended");
            assert!(new_events.is_empty(), "events after the connection ended");
        }
        wire.extend_from_slice(&out);
        events.extend(new_events);
        // Once established, our own data must go out sealed.
        if conn.handshake().is_some() && !conn.is_closed() && !sent_data {
            sent_data = true;
            assert!(
                conn.send(b"fuzz").is_ok(),
                "send on an established connection"
            );
            conn.write_tls(&mut wire);
        }
    }
    if !conn.is_closed() {
        conn.close();
        conn.write_tls(&mut wire);
        assert!(conn.send(b"late").is_err(), "send after close_notify");
    } else {
        let mut out = Vec::new();
        conn.close();
        conn.write_tls(&mut out);
        assert!(out.is_empty(), "close() wrote after the connection ended");
    }
    check_events(conn, &events);
    let wire_alerts = check_wire(&wire);
    check_alerts(conn, wire_alerts, &wire);
    check_peer_finished(conn);
    check_bounded(conn, input_len, wire.len());
    Outcome {
        established: conn.handshake().is_some(),
        error: conn.error().cloned(),
    }
}

/// How a driven connection ended, for tests of the seeds themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub established: bool,
    pub error: Option<crate::error::Error>,
}

fn check_events(conn: &Connection, events: &[Event]) {
    let failed = events.iter().position(|e| matches!(e, Event::Failed(_)));
    if let Some(i) = failed {
        assert_eq!(i + 1, events.len(), "events after Failed");
        assert_eq!(
            Some(&events[i]),
            conn.error().cloned().map(Event::Failed).as_ref(),
            "Failed event and error() differ"
        );
    } else {
        assert!(conn.error().is_none(), "error() without a Failed event");
    }
    let complete: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::HandshakeComplete(_)))
        .map(|(i, _)| i)
        .collect();
    assert!(complete.len() <= 1, "HandshakeComplete twice");
    match (complete.first(), conn.handshake()) {
        (Some(&i), Some(h)) => {
            assert_eq!(events[i], Event::HandshakeComplete(h.clone()));
        }
        (None, None) => {}
        _ => panic!("HandshakeComplete event and handshake() disagree"),
    }
    let first_data = events
        .iter()
        .position(|e| matches!(e, Event::ApplicationData(_)));
    if let Some(d) = first_data {
        assert!(
            complete.first().is_some_and(|&c| c < d),
            "application data before HandshakeComplete"
        );
    }
    if let Some(c) = events.iter().position(|e| *e == Event::PeerClosed) {
        assert_eq!(c + 1, events.len(), "events after PeerClosed");
    }
}

/// Parses our output as records; returns how many are alerts.
fn check_wire(wire: &[u8]) -> usize {
    let mut r = Reader::new(wire);
    let mut alerts = 0;
    while r.any_left() {
        let Ok(h) = RecordHeader::read(&mut r) else {
            panic!("partial record header in our output");
        };
        assert_eq!(h.version, ProtocolVersion::TLSv1_2, "our record version");
        assert!(usize::from(h.len) <= MAX_CIPHERTEXT, "our record too long");
        assert!(
            [
                ContentType::ChangeCipherSpec,
                ContentType::Alert,
                ContentType::Handshake,
                ContentType::ApplicationData
            ]
            .contains(&h.typ),
            "our record type {:?}",
            h.typ
        );
        if r.take(usize::from(h.len), "fragment").is_err() {
            panic!("partial record in our output");
        }
        alerts += usize::from(h.typ == ContentType::Alert);
    }
    alerts
}

fn is_record(s: &Step, typ: ContentType) -> bool {
    s.direction != Direction::Local && s.record.map(|r| r.0) == Some(typ)
}

fn check_alerts(conn: &Connection, wire_alerts: usize, wire: &[u8]) {
    let sent: Vec<&Step> = conn
        .transcript()
        .steps()
        .iter()
        .filter(|s| s.direction == Direction::Sent && is_record(s, ContentType::Alert))
        .collect();
    assert_eq!(
        sent.len(),
        wire_alerts,
        "alert records on the wire vs transcript"
    );
    let fatal: Vec<&&Step> = sent
        .iter()
        .filter(|s| s.bytes.first() == Some(&AlertLevel::Fatal.0))
        .collect();
    match conn.error() {
        Some(err) => {
            let expected = err.alert();
            assert_eq!(
                fatal.len(),
                usize::from(expected.is_some()),
                "fatal alerts sent for {err:?}"
            );
            if let (Some(a), Some(step)) = (expected, fatal.first()) {
                assert_eq!(step.bytes.get(1), Some(&a.0), "alert sent for {err:?}");
                assert_eq!(
                    last_record_type(wire),
                    Some(ContentType::Alert),
                    "the fatal alert is not our last record"
                );
            }
        }
        None => assert!(fatal.is_empty(), "fatal alert sent without failing"),
    }
}

fn last_record_type(wire: &[u8]) -> Option<ContentType> {
    let mut r = Reader::new(wire);
    let mut last = None;
    while let Ok(h) = RecordHeader::read(&mut r) {
        r.take(usize::from(h.len), "fragment").ok()?;
        last = Some(h.typ);
    }
    last
}

/// See [`drive`]: the peer's Finished, recomputed from the transcript.
fn check_peer_finished(conn: &Connection) {
    let Some(summary) = conn.handshake() else {
        return;
    };
    let steps = conn.transcript().steps();
    let Some(end) = steps
        .iter()
        .position(|s| s.direction == Direction::Local && s.state_after == "Traffic")
    else {
        panic!("established without entering Traffic");
    };
    let steps = &steps[..end];
    let received_hs =
        |s: &Step| s.direction == Direction::Received && is_record(s, ContentType::Handshake);
    let Some(fin) = steps
        .iter()
        .rposition(|s| received_hs(s) && s.bytes.first() == Some(&HandshakeType::Finished.0))
    else {
        panic!("established without the peer's Finished");
    };
    let ccs = steps[..fin].iter().rposition(|s| {
        s.direction == Direction::Received && is_record(s, ContentType::ChangeCipherSpec)
    });
    let last_other = steps[..fin].iter().rposition(received_hs);
    assert!(
        ccs.is_some() && ccs > last_other,
        "peer's Finished not preceded by its ChangeCipherSpec"
    );
    let Some(master) = steps[..fin]
        .iter()
        .rev()
        .find(|s| s.direction == Direction::Local && s.what == "master_secret")
        .and_then(|s| <[u8; 48]>::try_from(s.bytes.as_slice()).ok())
    else {
        panic!("established without a master secret");
    };
    let Some(params) = SuiteParams::for_suite(summary.suite) else {
        panic!("established with a suite we do not negotiate");
    };
    let hs: Vec<u8> = steps[..fin]
        .iter()
        .filter(|s| is_record(s, ContentType::Handshake))
        .flat_map(|s| s.bytes.iter().copied())
        .collect();
    let label = match conn.side() {
        Side::Server => crypto::CLIENT_FINISHED,
        Side::Client => crypto::SERVER_FINISHED,
    };
    let expected = crypto::verify_data(
        params.prf_hash,
        &MasterSecret::from_bytes(master),
        label,
        &params.prf_hash.hash(&hs),
    );
    let got = steps[fin].bytes.get(4..).unwrap_or_default();
    assert!(
        got == expected || (shortcuts_enabled() && got == [0u8; 12]),
        "established with a wrong peer Finished"
    );
    // The server resumed exactly when no ClientKeyExchange went by.
    let cke = steps[..fin]
        .iter()
        .any(|s| is_record(s, ContentType::Handshake) && s.bytes.first() == Some(&16));
    assert_eq!(summary.resumed, !cke, "resumed flag vs ClientKeyExchange");
}

/// Output and transcript stay linear in the input. The transcript's decoded
/// text is the big factor: `{:#?}` of a one-byte compression method is about
/// 28 bytes.
fn check_bounded(conn: &Connection, input_len: usize, wire_len: usize) {
    const SLACK: usize = 64 * 1024;
    assert!(
        wire_len <= SLACK + 2 * input_len,
        "output {wire_len} for input {input_len}"
    );
    let (bytes, text) = conn.transcript().steps().iter().fold((0, 0), |(b, t), s| {
        (
            b + s.bytes.len(),
            t + s.what.len() + s.decoded.as_ref().map_or(0, String::len),
        )
    });
    assert!(
        bytes <= SLACK + 2 * input_len,
        "transcript bytes {bytes} for input {input_len}"
    );
    assert!(
        text <= SLACK + 64 * input_len,
        "transcript text {text} for input {input_len}"
    );
}

// ---- x509 ---------------------------------------------------------------------

/// `pki::verify_chain` on DER blobs ([`split_chunks`] after two bytes).
/// Byte 0: bits 0–2 the number of chain certificates minus one (the other
/// blobs are CRLs), bit 3 clientAuth, bit 4 RequireCrl, bits 5–6 the name.
/// Byte 1: the time (NOW, 0, far future, NOW shifted).
///
/// Invariants: a verified path starts at the presented leaf, ends at the
/// test root, consists of presented certificates and the root, and every
/// certificate on it is a genuine test-PKI certificate (a fuzzer cannot
/// forge a signature, so anything else verifying is a validation bug).
pub fn x509(data: &[u8]) {
    let [flags, time, rest @ ..] = data else {
        return;
    };
    let blobs: Vec<Vec<u8>> = split_chunks(rest).into_iter().map(<[u8]>::to_vec).collect();
    let n_chain = (usize::from(flags & 7) + 1).min(blobs.len());
    let (chain, crls) = blobs.split_at(n_chain);
    let names = ["localhost", "127.0.0.1", "a.example.test", ""];
    let name = pki::ServerName::parse(names[usize::from(flags >> 5) & 3]).ok();
    let now = match time & 3 {
        0 => NOW.0,
        1 => 0,
        2 => u64::MAX,
        _ => NOW.0.wrapping_add(u64::from(*time) << 22),
    };
    let opts = VerifyOptions {
        server_name: name.as_ref(),
        now: pki::Time(now),
        purpose: if flags & 8 != 0 {
            Purpose::ClientAuth
        } else {
            Purpose::ServerAuth
        },
        revocation: if flags & 16 != 0 {
            RevocationPolicy::RequireCrl
        } else {
            RevocationPolicy::CheckIfPresent
        },
    };
    if let Ok(path) = pki::verify_chain(chain, test_roots(), crls, &opts) {
        assert_eq!(
            Some(path.leaf()),
            chain.first().map(Vec::as_slice),
            "path leaf"
        );
        assert_eq!(path.anchor(), ROOT_DER, "path anchor");
        for cert in path.certs() {
            assert!(
                cert.as_slice() == ROOT_DER || chain.iter().any(|c| c == cert),
                "path certificate that was not presented"
            );
            assert!(
                GENUINE_CERTS.contains(&cert.as_slice()),
                "a certificate the test PKI did not sign verified"
            );
        }
    }
    for b in &blobs {
        let _ = pki::leaf_public_key(b);
        let _ = pki::Crl::from_der(b);
    }
}

// ---- scenario -----------------------------------------------------------------

/// Reads the scenario's choices from fuzzer bytes, front to back, zero once
/// they run out (as `arbitrary::Unstructured` does). Hand-written rather
/// than derived so the replay test decodes a corpus file into the same
/// actions on stable, without the optional `arbitrary` crate.
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
pub enum Action {
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

impl Action {
    pub fn from_choices(c: &mut Choices<'_>) -> Self {
        match c.u8() % 16 {
            1 => Action::Skip,
            2 => Action::Repeat,
            3 => Action::Reorder,
            4 => Action::InjectCcs,
            5 => Action::InjectAlert {
                level: c.u8(),
                description: c.u8(),
            },
            6 => Action::InjectHandshake {
                typ: c.u8(),
                body: c.bytes().to_vec(),
            },
            7 => Action::InjectAppData(c.bytes().to_vec()),
            8 => Action::FlipBit(c.u16()),
            9 => Action::Fragment(c.u8()),
            10 => Action::BadFinished {
                index: c.u8(),
                mask: c.u8().max(1),
            },
            11 => Action::KeyExchange(c.u8() % 5),
            _ => Action::Next,
        }
    }
}

/// A scenario: the hello, then actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    pub hello: HelloSpec,
    pub actions: Vec<Action>,
}

impl Script {
    /// At most 64 actions: longer scripts add nothing a shorter one can't.
    pub fn decode(data: &[u8]) -> Self {
        let mut c = Choices::new(data);
        let hello = HelloSpec::from_choices(&mut c);
        let mut actions = Vec::new();
        while !c.is_empty() && actions.len() < 64 {
            actions.push(Action::from_choices(&mut c));
        }
        Self { hello, actions }
    }
}

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
struct Target {
    conn: Connection,
    events: Vec<Event>,
}

impl Target {
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

/// The state-machine fuzzer: a [`Script`] (a [`HelloSpec`] and up to 64
/// [`Action`]s) runs a scripted client against our server ([`ClearRsaKey`],
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
pub fn scenario(data: &[u8]) -> Outcome {
    let script = Script::decode(data);
    run_script(&script)
}

/// Runs a decoded script; see [`scenario`].
pub fn run_script(script: &Script) -> Outcome {
    let mut config = match Arc::try_unwrap(server_config(ConnFlags(ConnFlags::KNOWN_SESSION))) {
        Ok(c) => c,
        Err(a) => (*a).clone(),
    };
    config.key = Arc::new(ClearRsaKey);
    let mut server = Target {
        conn: Connection::server(Arc::new(config), Provider::from_seed(SERVER_SEED)),
        events: Vec::new(),
    };
    let mut client = ScriptedClient::new(script.hello.clone());
    let acceptable = script.hello.acceptable();

    for action in &script.actions {
        let mut out = Vec::new();
        let completed = server.completed();
        match action {
            Action::Next => {
                if client.next(&mut out).is_none() {
                    client.record(ContentType::ApplicationData, b"ping", &mut out);
                    client.deviated |= !completed;
                }
            }
            Action::Skip => {
                client.pos += 1;
                client.deviated = true;
            }
            Action::Repeat => {
                out = client.last_sent.clone();
                client.deviated = true;
            }
            Action::Reorder => {
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
            Action::InjectCcs => {
                client.record(ContentType::ChangeCipherSpec, &[1], &mut out);
                client.deviated = true;
            }
            Action::InjectAlert { level, description } => {
                client.record(ContentType::Alert, &[*level, *description], &mut out);
                let neutral = *level == AlertLevel::Warning.0
                    && *description != AlertDescription::CloseNotify.0;
                client.deviated |= !neutral;
            }
            Action::InjectHandshake { typ, body } => {
                let mut msg = vec![*typ];
                msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
                msg.extend_from_slice(body);
                client.handshake_records(&msg, &mut out);
                client.deviated = true;
            }
            Action::InjectAppData(d) => {
                client.record(ContentType::ApplicationData, d, &mut out);
                client.deviated |= !completed;
            }
            Action::FlipBit(pos) => {
                client.flip = Some(*pos);
                client.deviated = true;
            }
            Action::Fragment(n) => {
                client.fragment = if *n == 0 {
                    MAX_PLAINTEXT
                } else {
                    usize::from(*n)
                }
            }
            Action::BadFinished { index, mask } => {
                let mut vd = client.verify_data(crypto::CLIENT_FINISHED);
                vd[usize::from(*index) % vd.len()] ^= *mask;
                let msg = HandshakeMessagePayload::new(HandshakePayload::Finished(vd.to_vec()))
                    .get_encoding();
                client.handshake_records(&msg, &mut out);
                client.deviated = true;
            }
            Action::KeyExchange(v) => {
                client.cke_variant = *v;
                client.deviated |= *v != 0;
            }
        }
        let finished_now =
            matches!(action, Action::Next) && client.pos == client.plan().len() && !completed;
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
    Outcome {
        established: server.completed(),
        error: server.conn.error().cloned(),
    }
}

/// Right after a clean script's Finished went out.
fn check_clean_completion(server: &Target, client: &ScriptedClient, acceptable: bool) {
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
fn check_completion_was_earned(server: &Target, client: &ScriptedClient) {
    if !server.completed() {
        return;
    }
    let steps = server.conn.transcript().steps();
    let end = steps
        .iter()
        .position(|s| s.direction == Direction::Local && s.state_after == "Traffic")
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

fn check_server_alerts(server: &Target, client: &ScriptedClient) {
    let sent: Vec<&Step> = server
        .conn
        .transcript()
        .steps()
        .iter()
        .filter(|s| s.direction == Direction::Sent && is_record(s, ContentType::Alert))
        .collect();
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

/// One record's bytes, for tests and seeds that build records by hand.
pub fn record_bytes(typ: ContentType, version: ProtocolVersion, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    OpaqueRecord {
        typ,
        version,
        payload: payload.to_vec(),
    }
    .encode(&mut out);
    out
}

#[cfg(all(test, feature = "fuzzing"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::crypto::verify_finished;

    #[test]
    fn shortcuts_act_only_while_switched_on() {
        // The fuzzing-only hooks in RecordOpener::open and verify_finished.
        let zero_tag = [[0xee; 8].as_slice(), b"plain", &[0; 16]].concat();
        let open = |fragment: &[u8]| {
            RecordOpener::new(&[7; 16], [1; 4]).unwrap().open(
                ContentType::ApplicationData,
                ProtocolVersion::TLSv1_2,
                fragment,
            )
        };
        assert!(open(&zero_tag).is_err());
        assert!(verify_finished(&[9; 12], &[0; 12]).is_err());
        set_shortcuts(true);
        let opened = open(&zero_tag);
        let finished = verify_finished(&[9; 12], &[0; 12]).is_ok();
        let other_tag = open(&[[0xee; 8].as_slice(), b"plain", &[1; 16]].concat()).is_err();
        let short_finished = verify_finished(&[9; 12], &[0; 11]).is_err();
        set_shortcuts(false);
        assert_eq!(opened.unwrap(), b"plain");
        assert!(finished && other_tag && short_finished);
        assert!(open(&zero_tag).is_err());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod model_tests {
    use super::*;

    #[test]
    fn clear_rsa_key_undoes_its_padding_and_rejects_bad_blocks() {
        // RFC 8017 §7.2.2: EM = 0x00 || 0x02 || PS (>= 8 non-zero) || 0x00 || M.
        let mut rng = Provider::from_seed([0; 32]);
        let ct = ClearRsaKey::encrypt(&[3, 3, 9, 9]);
        assert_eq!(ct.len(), ClearRsaKey::LEN);
        let p = ClearRsaKey.decrypt_pkcs1v15(&mut rng, &ct);
        assert!(bool::from(p.valid));
        assert_eq!(p.message.as_slice(), &[3, 3, 9, 9]);
        let mut bad = ct.clone();
        bad[1] = 1;
        assert!(!bool::from(
            ClearRsaKey.decrypt_pkcs1v15(&mut rng, &bad).valid
        ));
        let mut short_ps = vec![0, 2, 1, 0];
        short_ps.resize(ClearRsaKey::LEN, 7);
        assert!(!bool::from(
            ClearRsaKey.decrypt_pkcs1v15(&mut rng, &short_ps).valid
        ));
        assert!(!bool::from(
            ClearRsaKey.decrypt_pkcs1v15(&mut rng, &ct[1..]).valid
        ));
    }

    #[test]
    fn split_chunks_undoes_join_chunks_and_tolerates_a_cut_tail() {
        let chunks: Vec<Vec<u8>> = vec![vec![1, 2, 3], vec![], vec![9; 300]];
        let joined = join_chunks(&chunks);
        assert_eq!(split_chunks(&joined), chunks);
        assert_eq!(split_chunks(&[0, 5, 1, 2]), vec![&[1u8, 2][..]]);
        assert!(split_chunks(&[7]).is_empty());
    }

    fn hello(bytes: &[u8]) -> HelloSpec {
        HelloSpec::from_choices(&mut Choices::new(bytes))
    }

    #[test]
    fn scenario_model_of_acceptable_hellos_matches_the_server() {
        // The oracle holds the server to `HelloSpec::acceptable`; each case
        // here runs the handshake and checks the server agrees, with the
        // RFC's alert where it must refuse.
        use crate::error::{Error, PeerMisbehaved as P};
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
            let outcome = run_script(&Script {
                hello: spec.clone(),
                actions: Vec::new(),
            });
            assert_eq!(outcome.established, expected.is_none(), "{spec:?}");
            assert_eq!(outcome.error, expected, "{spec:?}");
        }
    }
}
