//! `ScriptedClient`: a TLS 1.2 client that keeps real keys and the real
//! transcript hash, so it can still encrypt and compute Finished while it
//! misbehaves as its `ClientBugs` say. It tests servers, and checks what a
//! conforming server must say back: TLS 1.2 in ServerHello, no unoffered
//! extension, renegotiation_info when asked for (RFC 5746), a fresh
//! session_id for a full handshake, a verifying Finished. It follows an
//! SSLv2-compatible hello and a secure renegotiation when the server
//! accepts them.

use super::build::{self, handshake_msg};
use super::record;
use super::rules::{self, EMPTY_RENEGOTIATION_INFO_SCSV};
use super::transport::Transport;
use super::wire::{Ending, Incoming, Protect, Wire};
use super::{apply_mutation, hash_theirs, keys, HsMsg, Milestone, Mutation, Outcome};
use gauntlet_engine::crypto::keys::PremasterSecret;
use gauntlet_engine::crypto::{self, PrfHash, SuiteParams};
use gauntlet_engine::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, ExtensionType,
};
use gauntlet_engine::msgs::{decode_handshake, HandshakePayload, ServerKeyExchangePayload};
use gauntlet_engine::Provider;
use std::time::Duration;

/// Most handshake messages the client reads in one server flight (up to
/// ServerHelloDone, or the abbreviated handshake's ChangeCipherSpec; and
/// before the server's Finished). A TLS 1.2 server's first flight has at
/// most six (ServerHello, Certificate, CertificateStatus, ServerKeyExchange,
/// CertificateRequest, ServerHelloDone: RFC 5246 §7.3, RFC 6066 §8) and a
/// NewSessionTicket precedes its Finished; 16 leaves room for stacks'
/// oddities and stops a server that sends messages without end.
pub const MAX_FLIGHT_MESSAGES: usize = 16;

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
    /// A 48-byte premaster whose first two bytes are this version (the
    /// client keys from it, as a client that sent it would).
    WrongVersion(u16),
    /// A random 48-byte premaster with the right version: valid, but the
    /// keys will not match ours (the reference point for the others).
    ValidButRandom,
    /// The ciphertext with its first byte removed.
    CiphertextShorter,
    /// The ciphertext with a 0x00 byte appended.
    CiphertextLonger,
}

/// How the ECDHE ClientKeyExchange point is malformed (RFC 8422 §5.7,
/// §5.11). `OffCurve` and `Compressed` exist only for the NIST curves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointBug {
    /// `04 ‖ X ‖ Y'` with the last byte of Y flipped: not on the curve.
    OffCurve,
    /// NIST: the encoded point at infinity (the single byte 0x00);
    /// x25519: u = 0, whose shared secret is all zero (RFC 7748 §6.1).
    Identity,
    /// The right point with its last byte removed.
    Short,
    /// The right point with a 0x00 appended.
    Long,
    /// `02/03 ‖ X`: X9.62 compressed form, which RFC 8422 §5.1.2 retires.
    Compressed,
    /// A zero-length point (`point<1..2^8-1>` forbids it).
    Empty,
}

/// What happens to ChangeCipherSpec. `Early` and `InsideFragmentedMessage`
/// concern ClientKeyExchange, so in an abbreviated handshake they leave the
/// CCS as it should be; the others apply to both handshakes.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum CcsBug {
    #[default]
    None,
    /// Sent right after ServerHelloDone, before ClientKeyExchange (CVE-2014-0224).
    Early,
    /// Not sent at all; Finished follows ClientKeyExchange encrypted.
    Skip,
    /// Not sent at all, and Finished follows in plaintext (the client never
    /// switched keys).
    SkipPlaintextFinished,
    /// Sent twice, the second under the new keys (as a client whose state
    /// machine repeats the step after switching would).
    Twice,
    /// Sent twice in plaintext: the second arrives where the server already
    /// expects protected records.
    TwicePlaintext,
    /// Sent with this payload instead of 0x01.
    Payload(Vec<u8>),
    /// Sent in the middle of a ClientKeyExchange split across two records.
    InsideFragmentedMessage,
}

/// The ClientHello a client sends to renegotiate after the handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renegotiation {
    /// renegotiation_info carries our Finished verify_data (RFC 5746 §3.5).
    Secure,
    /// Neither renegotiation_info nor the SCSV: a legacy client (RFC 5746 §4.2).
    Legacy,
    /// The SCSV instead of the extension (RFC 5746 §3.7: the server MUST abort).
    Scsv,
    /// renegotiation_info present but empty, as in an initial handshake.
    EmptyRenegotiationInfo,
    /// renegotiation_info with one bit of our verify_data flipped.
    WrongVerifyData,
}

/// Misbehaviour knobs of the scripted client. Each is checked in one place
/// (in `run_inner` or the one step function it calls for that part of the
/// conversation); the defaults make a correct client.
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
    /// The cipher_suites vector's body as raw bytes, if set, takes
    /// precedence over `cipher_suites` (its length prefix counts these
    /// bytes, so an odd length can be sent).
    pub cipher_suites_raw: Option<Vec<u8>>,
    /// compression_methods, if set, replaces `[null]`.
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
    /// If set, the ECDHE ClientKeyExchange point is malformed this way.
    pub point: Option<PointBug>,
    /// If set, ec_point_formats carries this list (raw) instead of
    /// `[uncompressed]` (sent only with an ECDHE suite).
    pub point_formats: Option<Vec<u8>>,
    /// supported_groups, if set, replaces [x25519, secp256r1, secp384r1]
    /// (sent only with an ECDHE suite). An offer, not a misbehaviour.
    pub groups: Option<Vec<u16>>,
    /// signature_algorithms, if set, replaces the default list (RSA
    /// PKCS#1 v1.5 SHA-256/384/512, and with an ECDHE suite RSA-PSS and
    /// ECDSA too). An offer, not a misbehaviour.
    pub signature_algorithms: Option<Vec<u16>>,
    /// If true, nothing follows ClientKeyExchange: the client only listens
    /// (the ROBOT scan's second shape: a server must not answer any
    /// premaster before Finished, so it waits or times out alike).
    pub stop_after_client_key_exchange: bool,
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
    /// If true, application data is sent between ChangeCipherSpec and Finished.
    pub app_data_before_finished: bool,
    /// If true, a plaintext application data record is sent before ClientKeyExchange.
    pub app_data_in_handshake: bool,
    /// If set, a warning alert with this description is sent before ClientKeyExchange.
    pub warning_alert_in_handshake: Option<u8>,
    /// If set, a fatal alert with this description is sent before
    /// ClientKeyExchange and the client sends nothing more: the server must
    /// close without a word (RFC 5246 §7.2).
    pub fatal_alert_in_handshake: Option<u8>,
    /// If set, an alert record with exactly this payload (malformed: not
    /// two bytes, or an unknown level) is sent before ClientKeyExchange.
    pub alert_payload_in_handshake: Option<Vec<u8>>,
    /// If set, a plaintext record of this raw content type is sent before ClientKeyExchange.
    pub unknown_record_type_in_handshake: Option<u8>,
    /// If set, after the handshake a record of this raw type is sent.
    pub unknown_record_type_after: Option<u8>,
    /// If set, after the handshake application data with this many plaintext bytes.
    pub app_data_len: Option<usize>,
    /// If set, an encrypted record with this many bytes of body (raw, not
    /// a valid ciphertext) is sent after the handshake.
    pub raw_record_len_after: Option<usize>,
    /// If set, a new ClientHello of this kind is sent after the handshake
    /// (renegotiation); the server must refuse with a warning
    /// no_renegotiation and go on, or end the connection.
    pub renegotiate: Option<Renegotiation>,
    /// If true, a second connection resumes the first one's session.
    pub resume: bool,
    /// If true, the client never sends close_notify.
    pub no_close: bool,
    /// Flood, if set to (content type, payload, count), causes that many
    /// plaintext records of that type, each carrying exactly that payload
    /// (possibly empty), to be sent before ClientKeyExchange (after the
    /// other pre-ClientKeyExchange knobs): warning-alert floods
    /// (CVE-2016-8610), empty records, empty handshake fragments.
    pub flood_in_handshake: Option<(u8, Vec<u8>, usize)>,
}

impl ClientBugs {
    /// The step at which these knobs first misbehave (the earliest of those
    /// set); `Milestone::Start` for a correct client. Every field is named,
    /// so a new knob cannot be added without saying where it acts.
    pub fn injected_at(&self) -> Milestone {
        use Milestone as M;
        let ClientBugs {
            client_version,
            hello_record_version,
            record_version,
            cipher_suites,
            cipher_suites_raw,
            compression_methods,
            extensions,
            extra_extensions,
            omit_extensions_block,
            session_id,
            sslv2_hello,
            mutations,
            ccs,
            premaster,
            point,
            point_formats,
            groups: _,
            signature_algorithms: _,
            stop_after_client_key_exchange,
            bad_finished,
            flip_finished_record_bit,
            random_explicit_nonce,
            max_fragment,
            separate_writes,
            empty_app_data_first,
            app_data_before_finished,
            app_data_in_handshake,
            warning_alert_in_handshake,
            fatal_alert_in_handshake,
            alert_payload_in_handshake,
            unknown_record_type_in_handshake,
            unknown_record_type_after,
            app_data_len,
            raw_record_len_after,
            renegotiate,
            // The resumed connection's own knobs say where it misbehaves.
            resume: _,
            no_close,
            flood_in_handshake,
        } = self;
        let hello = client_version.is_some()
            || hello_record_version.is_some()
            || record_version.is_some()
            || cipher_suites.is_some()
            || cipher_suites_raw.is_some()
            || compression_methods.is_some()
            || extensions.is_some()
            || !extra_extensions.is_empty()
            || *omit_extensions_block
            || session_id.is_some()
            || point_formats.is_some()
            || *sslv2_hello
            || max_fragment.is_some();
        let key_exchange = premaster.is_some()
            || point.is_some()
            || *stop_after_client_key_exchange
            || *separate_writes
            || *app_data_in_handshake
            || warning_alert_in_handshake.is_some()
            || fatal_alert_in_handshake.is_some()
            || alert_payload_in_handshake.is_some()
            || unknown_record_type_in_handshake.is_some()
            || flood_in_handshake.is_some()
            || matches!(ccs, CcsBug::Early | CcsBug::InsideFragmentedMessage);
        let change_cipher_spec = *app_data_before_finished
            || matches!(
                ccs,
                CcsBug::Skip
                    | CcsBug::SkipPlaintextFinished
                    | CcsBug::Twice
                    | CcsBug::TwicePlaintext
                    | CcsBug::Payload(_)
            );
        let finished =
            *bad_finished || flip_finished_record_bit.is_some() || *random_explicit_nonce;
        let traffic = *empty_app_data_first
            || unknown_record_type_after.is_some()
            || app_data_len.is_some()
            || raw_record_len_after.is_some()
            || renegotiate.is_some()
            || *no_close;
        let mutated = mutations.iter().map(|(m, _)| match m {
            HsMsg::ClientKeyExchange => M::KeyExchange,
            HsMsg::Finished => M::Finished,
            _ => M::Hello,
        });
        [
            (hello, M::Hello),
            (key_exchange, M::KeyExchange),
            (change_cipher_spec, M::ChangeCipherSpec),
            (finished, M::Finished),
            (traffic, M::Traffic),
        ]
        .into_iter()
        .filter_map(|(set, step)| set.then_some(step))
        .chain(mutated)
        .min()
        .unwrap_or(M::Start)
    }
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

/// x25519, secp256r1, secp384r1 (RFC 8422 §5.1.1).
pub const DEFAULT_GROUPS: [u16; 3] = [29, 23, 24];

/// rsa_pkcs1_sha256/384/512, rsa_pss_rsae_sha256/384/512 and
/// ecdsa_sha256/384/512 (RFC 5246 §7.4.1.4.1, RFC 8446 §4.2.3 code points).
pub const DEFAULT_ECDHE_SIGNATURE_ALGORITHMS: [u16; 9] = [
    0x0401, 0x0501, 0x0601, 0x0804, 0x0805, 0x0806, 0x0403, 0x0503, 0x0603,
];

/// A `<2..2^16-2>` list of u16 values with its 2-byte length.
fn u16_list(v: &[u16]) -> Vec<u8> {
    let mut out = ((v.len() * 2) as u16).to_be_bytes().to_vec();
    for x in v {
        out.extend_from_slice(&x.to_be_bytes());
    }
    out
}

/// A session the scripted client can resume.
#[derive(Clone, Debug)]
pub struct SavedSession {
    pub id: Vec<u8>,
    pub suite: CipherSuite,
    pub master: [u8; 48],
    pub ems: bool,
}

impl ClientScript {
    /// The cipher suites offered (raw values), as `cipher_suites` or the
    /// SSLv2 hello says; `cipher_suites_raw` split into pairs.
    pub fn offered_suites(&self) -> Vec<u16> {
        let b = &self.bugs;
        if let Some(raw) = &b.cipher_suites_raw {
            return raw
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
        }
        if b.sslv2_hello {
            return vec![self.suite.0, EMPTY_RENEGOTIATION_INFO_SCSV];
        }
        b.cipher_suites
            .clone()
            .unwrap_or_else(|| vec![self.suite.0])
    }

    /// The extension types the ClientHello carries, in order.
    pub fn offered_extensions(&self) -> Vec<u16> {
        let b = &self.bugs;
        if b.omit_extensions_block || b.sslv2_hello {
            return Vec::new();
        }
        let mut exts = b
            .extensions
            .clone()
            .unwrap_or_else(|| self.default_extensions());
        exts.extend(b.extra_extensions.iter().cloned());
        exts.into_iter().map(|(t, _)| t).collect()
    }

    /// True if the hello asks for secure renegotiation (RFC 5746 §3.4):
    /// the renegotiation_info extension or the SCSV.
    pub fn offers_secure_renegotiation(&self) -> bool {
        rules::offers_secure_renegotiation(&self.offered_suites(), &self.offered_extensions())
    }

    /// What a correct client sends: server_name (if set), EMS (if `ems`),
    /// an empty renegotiation_info, signature_algorithms.
    pub fn default_extensions(&self) -> Vec<(u16, Vec<u8>)> {
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
        exts.push((
            ExtensionType::RenegotiationInfo.0,
            rules::renegotiation_info(&[]),
        ));
        let ecdhe = self.is_ecdhe();
        let algs = self.bugs.signature_algorithms.clone().unwrap_or_else(|| {
            if ecdhe {
                DEFAULT_ECDHE_SIGNATURE_ALGORITHMS.to_vec()
            } else {
                // rsa_pkcs1_sha256, sha384, sha512
                vec![0x0401, 0x0501, 0x0601]
            }
        });
        exts.push((ExtensionType::SignatureAlgorithms.0, u16_list(&algs)));
        if ecdhe {
            // RFC 8422 §5.1.1, §5.1.2.
            let groups = self
                .bugs
                .groups
                .clone()
                .unwrap_or_else(|| DEFAULT_GROUPS.to_vec());
            exts.push((ExtensionType::SupportedGroups.0, u16_list(&groups)));
            let formats = self.bugs.point_formats.clone().unwrap_or_else(|| vec![0]);
            let mut body = vec![formats.len() as u8];
            body.extend_from_slice(&formats);
            exts.push((ExtensionType::EcPointFormats.0, body));
        }
        exts
    }

    /// Whether the script's suite is an ECDHE one.
    pub fn is_ecdhe(&self) -> bool {
        SuiteParams::for_suite(self.suite).is_some_and(|p| p.kx == crypto::KeyExchange::Ecdhe)
    }

    /// The supported_groups the hello offers (raw values).
    pub fn offered_groups(&self) -> Vec<u16> {
        self.bugs
            .groups
            .clone()
            .unwrap_or_else(|| DEFAULT_GROUPS.to_vec())
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
        let suites = match &b.cipher_suites_raw {
            Some(raw) => raw.clone(),
            None => self
                .offered_suites()
                .iter()
                .flat_map(|s| s.to_be_bytes())
                .collect(),
        };
        body.extend_from_slice(&(suites.len() as u16).to_be_bytes());
        body.extend_from_slice(&suites);
        let comp = b.compression_methods.clone().unwrap_or_else(|| vec![0]);
        body.push(comp.len() as u8);
        body.extend_from_slice(&comp);
        if !b.omit_extensions_block {
            let mut exts = b
                .extensions
                .clone()
                .unwrap_or_else(|| self.default_extensions());
            exts.extend(b.extra_extensions.iter().cloned());
            body.extend(build::ext_block(&exts));
        }
        handshake_msg(1, &body)
    }
}

/// The server's first flight, as the scripted client understood it.
struct ServerFlight {
    version: u16,
    random: [u8; 32],
    suite: CipherSuite,
    session_id: Vec<u8>,
    ems: bool,
    /// ServerHello extension types, in order.
    extensions: Vec<u16>,
    /// The renegotiation_info body, if the server sent the extension.
    renegotiation_info: Option<Vec<u8>>,
    leaf: Option<Vec<u8>>,
    /// RFC 8422 §5.4, in an ECDHE suite.
    ske: Option<ServerKeyExchangePayload>,
}

/// What a conforming TLS 1.2 server's ServerHello must say to this client:
/// TLS 1.2 (the only version the harness speaks; RFC 5246 E.1), no
/// extension we did not offer (RFC 5246 §7.4.1.4; RFC 5746 §3.6 makes
/// renegotiation_info the one exception, answering the SCSV), and an empty
/// renegotiation_info whenever we asked for secure renegotiation (RFC 5746
/// §3.6: every server we test implements RFC 5746).
/// `renegotiated`: the renegotiation_info body a renegotiating server must
/// send (RFC 5746 §3.5: client then server verify_data); empty initially.
fn check_server_hello(
    script: &ClientScript,
    flight: &ServerFlight,
    renegotiated: &[u8],
) -> Result<(), Ending> {
    if flight.version != 0x0303 {
        return Err(wrong(format!(
            "server chose version {:#06x}, not TLS 1.2",
            flight.version
        )));
    }
    let offered = script.offered_extensions();
    let secure = script.offers_secure_renegotiation();
    let ri = ExtensionType::RenegotiationInfo.0;
    for t in &flight.extensions {
        let answers_scsv = *t == ri && secure;
        if !(offered.contains(t) || answers_scsv) {
            return Err(wrong(format!(
                "server sent extension {t:#06x} that was not offered"
            )));
        }
    }
    rules::check_server_renegotiation_info(
        flight.renegotiation_info.as_deref(),
        secure,
        renegotiated,
    )
    .map_err(wrong)
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
    let res = run_inner(&mut wire, script, rng, resume);
    let records = wire.records_in();
    let mut out = match res {
        Ok(session) => {
            let resumed = resume.is_some_and(|r| !r.id.is_empty() && r.id == session.id);
            (Outcome::completed(records, resumed), Some(session))
        }
        Err(end) => (Outcome::ended(end, records), None),
    };
    out.0.key_log = wire.key_log.take();
    out.0.reached = wire.reached;
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
) -> Result<SavedSession, Ending> {
    let b = &script.bugs;
    let max = b.max_fragment.unwrap_or(1 << 14);
    if let Some(v) = b.record_version {
        wire.version = v;
    }
    let client_version = b.client_version.unwrap_or(0x0303);

    let client_random: [u8; 32] = rng.array();
    let mut transcript = Vec::new();

    wire.reach(Milestone::Hello);
    // ClientHello, or its SSLv2-compatible form (RFC 5246 E.2), whose
    // handshake hash input is the message after its 2-byte length.
    if b.sslv2_hello {
        let v2 = sslv2_client_hello(client_version, script.suite, &client_random);
        transcript.extend_from_slice(v2.get(2..).unwrap_or_default());
        wire.send_raw(&v2)?;
    } else {
        let ch = script.client_hello(&client_random, resume);
        let hello_version = b
            .hello_record_version
            .or(b.record_version)
            .unwrap_or(0x0303);
        let saved_version = wire.version;
        wire.version = hello_version;
        wire.send_handshake(&mut transcript, HsMsg::ClientHello, &ch, &b.mutations, max)?;
        wire.version = saved_version;
    }

    // ServerHello … ServerHelloDone, or ServerHello for a resumption.
    let (flight, ccs_seen) = read_server_hello(wire, &mut transcript, None)?;
    check_server_hello(script, &flight, &[])?;
    let params = SuiteParams::for_suite(flight.suite)
        .ok_or_else(|| wrong(format!("server chose suite {:?}", flight.suite)))?;
    let hash = params.prf_hash;
    let resumed = resume.filter(|s| !s.id.is_empty() && s.id == flight.session_id);

    if let Some(session) = resumed {
        let master = session.master;
        wire.key_log = Some(crypto::key_log_line(
            &client_random,
            &crypto::MasterSecret::from_bytes(master),
        ));
        let keys = keys(&master, &client_random, &flight, &params)?;
        let server_vd =
            expect_ccs_and_finished(wire, &mut transcript, hash, &master, keys.1, ccs_seen)?;
        // Our flight in one write, as in a full handshake: sent record by
        // record, a server that fails at its first record closes with the
        // rest unread, and its kernel's reset can discard the alert that
        // Nagle still held back.
        wire.cork = !b.separate_writes;
        send_ccs(wire, b, keys.0, false)?;
        wire.reach(Milestone::Finished);
        let vd = verify(hash, &master, crypto::CLIENT_FINISHED, &transcript);
        let fin = build::finished(&vd);
        wire.send_handshake(&mut transcript, HsMsg::Finished, &fin, &b.mutations, max)?;
        exchange_application_data(wire, script, rng, (vd, server_vd))?;
        return Ok(SavedSession {
            id: flight.session_id.clone(),
            suite: flight.suite,
            master,
            ems: flight.ems,
        });
    }

    // RFC 5246 §7.4.1.3: a session_id we offered comes back only to resume it.
    let offered_id = b.session_id.as_ref().or(resume.map(|s| &s.id));
    if !flight.session_id.is_empty() && offered_id == Some(&flight.session_id) {
        return Err(wrong(
            "server echoed our session_id but did a full handshake",
        ));
    }

    let (master, finished) = full_handshake(
        wire,
        b,
        rng,
        client_version,
        &client_random,
        &mut transcript,
        &flight,
        &params,
    )?;
    exchange_application_data(wire, script, rng, finished)?;
    Ok(SavedSession {
        id: flight.session_id.clone(),
        suite: flight.suite,
        master,
        ems: flight.ems,
    })
}

/// Both Finished messages' verify_data: (client's, server's).
type VerifyData = ([u8; 12], [u8; 12]);

/// A full handshake from the server's first flight (already read into
/// `flight` and `transcript`) to its Finished, misbehaving as `b` says.
/// Returns the master secret and both verify_data.
#[allow(clippy::too_many_arguments)]
fn full_handshake(
    wire: &mut Wire<'_>,
    b: &ClientBugs,
    rng: &mut Provider,
    client_version: u16,
    client_random: &[u8; 32],
    transcript: &mut Vec<u8>,
    flight: &ServerFlight,
    params: &SuiteParams,
) -> Result<([u8; 48], VerifyData), Ending> {
    let max = b.max_fragment.unwrap_or(1 << 14);
    let hash = params.prf_hash;
    let leaf = flight
        .leaf
        .clone()
        .ok_or_else(|| wrong("server sent no Certificate"))?;
    // ECDHE: the server's signed share, checked as a conforming client
    // would (RFC 8422 §5.4), and our answer, malformed if `b.point` says so.
    let ecdhe = match params.kx {
        crypto::KeyExchange::Ecdhe => Some(ecdhe_share(b, rng, client_random, flight, &leaf)?),
        crypto::KeyExchange::Rsa => None,
    };

    wire.reach(Milestone::KeyExchange);
    wire.cork = !b.separate_writes;
    if b.separate_writes {
        wire.answer_check = Some(Duration::from_millis(10));
    }
    // What goes in front of ClientKeyExchange.
    if b.ccs == CcsBug::Early {
        wire.send(ContentType::ChangeCipherSpec.0, &[1], 1)?;
    }
    if let Some(desc) = b.warning_alert_in_handshake {
        wire.send(ContentType::Alert.0, &[AlertLevel::Warning.0, desc], 2)?;
    }
    if let Some(payload) = &b.alert_payload_in_handshake {
        wire.send(ContentType::Alert.0, payload, payload.len().max(1))?;
    }
    if let Some(typ) = b.unknown_record_type_in_handshake {
        wire.send(typ, b"x", 1)?;
    }
    if b.app_data_in_handshake {
        wire.send(ContentType::ApplicationData.0, b"early", max)?;
    }
    if let Some((typ, payload, count)) = &b.flood_in_handshake {
        for _ in 0..*count {
            let rec = wire.record_bytes(*typ, wire.version, payload, None)?;
            wire.send_raw(&rec)?;
        }
    }
    if let Some(desc) = b.fatal_alert_in_handshake {
        wire.send(ContentType::Alert.0, &[AlertLevel::Fatal.0, desc], 2)?;
        return Err(wire.recv_ending());
    }

    let (cke, premaster): (Vec<u8>, Box<dyn PremasterSecret>) = match ecdhe {
        Some((point, shared)) => {
            // RFC 8422 §5.7: `opaque point <1..2^8-1>`; an Empty bug sends
            // the zero length the bound forbids.
            let mut body = vec![point.len() as u8];
            body.extend_from_slice(&point);
            (handshake_msg(16, &body), Box::new(shared))
        }
        None => {
            let server_key = gauntlet_engine::pki::leaf_public_key(&leaf)
                .map_err(|e| wrong(format!("server certificate key: {e:?}")))?;
            // ClientKeyExchange. The premaster carries
            // ClientHello.client_version, not the negotiated version (RFC
            // 5246 §7.4.7.1).
            let mut pm: [u8; 48] = rng.array();
            pm[..2].copy_from_slice(&client_version.to_be_bytes());
            // A client that puts a wrong version in its premaster derives
            // its keys from that premaster. RFC 5246 §7.4.7.1 lets the
            // server either take a random premaster or rebuild it as
            // client_version || M[2..47] ("produces an invalid master_secret
            // if the client has sent the wrong version"): both must then
            // fail at Finished, and only a server that does not check the
            // version at all completes the handshake.
            if let Some(PremasterBug::WrongVersion(v)) = b.premaster {
                pm[..2].copy_from_slice(&v.to_be_bytes());
            }
            let ct = super::robot::encrypt(
                super::robot::PremasterKey::Rsa(&server_key),
                &pm,
                b.premaster,
                rng,
            )?;
            (
                build::client_key_exchange(&ct),
                Box::new(crypto::Premaster::from_bytes(pm)),
            )
        }
    };

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
        wire.send_handshake(
            transcript,
            HsMsg::ClientKeyExchange,
            &cke,
            &b.mutations,
            max,
        )?;
    }
    if b.stop_after_client_key_exchange {
        return Err(wire.recv_ending());
    }

    let master = master_secret(hash, &*premaster, client_random, flight, transcript);
    let (ours, theirs) = keys(&master, client_random, flight, params)?;
    wire.key_log = Some(crypto::key_log_line(
        client_random,
        &crypto::MasterSecret::from_bytes(master),
    ));

    send_ccs(wire, b, ours, true)?;

    if b.app_data_before_finished {
        wire.send(ContentType::ApplicationData.0, b"early", max)?;
    }

    // Finished
    wire.reach(Milestone::Finished);
    let vd = verify(hash, &master, crypto::CLIENT_FINISHED, transcript);
    let mut sent_vd = vd;
    if b.bad_finished {
        sent_vd[0] ^= 0x01;
    }
    let fin = build::finished(&sent_vd);
    if let Some(bit) = b.flip_finished_record_bit {
        let nonce = b.random_explicit_nonce.then(|| rng.array());
        let version = wire.version;
        let mut rec = wire.record_bytes(ContentType::Handshake.0, version, &fin, nonce)?;
        record::flip_body_bit(&mut rec, bit);
        transcript.extend_from_slice(&fin);
        wire.send_raw(&rec)?;
    } else if b.random_explicit_nonce {
        let version = wire.version;
        let rec = wire.record_bytes(ContentType::Handshake.0, version, &fin, Some(rng.array()))?;
        transcript.extend_from_slice(&fin);
        wire.send_raw(&rec)?;
    } else {
        wire.send_handshake(transcript, HsMsg::Finished, &fin, &b.mutations, max)?;
    }
    wire.answer_check = None;

    let server_vd = expect_ccs_and_finished(wire, transcript, hash, &master, theirs, false)?;
    Ok((master, (sent_vd, server_vd)))
}

/// Our ChangeCipherSpec as `b.ccs` says, and our write keys switched on
/// (records are sealed from then on). `full`: a full handshake, where the
/// ClientKeyExchange variants apply.
fn send_ccs(wire: &mut Wire<'_>, b: &ClientBugs, ours: Protect, full: bool) -> Result<(), Ending> {
    wire.reach(Milestone::ChangeCipherSpec);
    let ccs = ContentType::ChangeCipherSpec.0;
    match &b.ccs {
        // The CCS already went inside ClientKeyExchange.
        CcsBug::InsideFragmentedMessage if full => wire.write = Some(ours),
        CcsBug::None | CcsBug::Early | CcsBug::InsideFragmentedMessage => {
            wire.send(ccs, &[1], 1)?;
            wire.write = Some(ours);
        }
        CcsBug::Skip => wire.write = Some(ours),
        CcsBug::SkipPlaintextFinished => {}
        CcsBug::Twice => {
            wire.send(ccs, &[1], 1)?;
            wire.write = Some(ours);
            wire.send(ccs, &[1], 1)?;
        }
        CcsBug::TwicePlaintext => {
            wire.send(ccs, &[1], 1)?;
            wire.send(ccs, &[1], 1)?;
            wire.write = Some(ours);
        }
        CcsBug::Payload(p) => {
            wire.send(ccs, p, p.len().max(1))?;
            wire.write = Some(ours);
        }
    }
    Ok(())
}

/// The server's first flight (`first`: its first message, if already
/// read); `true` if it ended with the abbreviated
/// handshake's ChangeCipherSpec rather than ServerHelloDone.
fn read_server_hello(
    wire: &mut Wire<'_>,
    transcript: &mut Vec<u8>,
    mut first: Option<Incoming>,
) -> Result<(ServerFlight, bool), Ending> {
    let mut flight: Option<ServerFlight> = None;
    for _ in 0..MAX_FLIGHT_MESSAGES {
        let next = match first.take() {
            Some(m) => m,
            None => wire.recv()?,
        };
        let raw = match next {
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
            hash_theirs(transcript, &raw)?;
        }
        match (msg.payload, flight.as_mut()) {
            (HandshakePayload::ServerHello(sh), None) => {
                flight = Some(ServerFlight {
                    version: sh.server_version.0,
                    extensions: sh
                        .extensions
                        .iter()
                        .flatten()
                        .map(|e| e.ext_type().0)
                        .collect(),
                    renegotiation_info: rules::server_hello_renegotiation_info(&sh),
                    ems: rules::server_hello_ems(&sh),
                    random: sh.random.0,
                    suite: sh.cipher_suite,
                    session_id: sh.session_id.0.clone(),
                    leaf: None,
                    ske: None,
                });
            }
            (HandshakePayload::Certificate(c), Some(f)) => {
                f.leaf = c.0.first().map(|c| c.0.clone());
            }
            // RFC 8422 §5.4: once, after Certificate, in an ECDHE suite.
            (HandshakePayload::ServerKeyExchange(ske), Some(f))
                if f.leaf.is_some()
                    && f.ske.is_none()
                    && SuiteParams::for_suite(f.suite)
                        .is_some_and(|p| p.kx == crypto::KeyExchange::Ecdhe) =>
            {
                f.ske = Some(ske);
            }
            (HandshakePayload::ServerHelloDone, Some(_)) => {
                return flight
                    .map(|f| (f, false))
                    .ok_or_else(|| wrong("no ServerHello"));
            }
            (HandshakePayload::CertificateRequest(_), Some(_)) => {
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
    Err(wrong(format!(
        "server sent more than {MAX_FLIGHT_MESSAGES} messages before ServerHelloDone (cap MAX_FLIGHT_MESSAGES)"
    )))
}

fn expect_ccs_and_finished(
    wire: &mut Wire<'_>,
    transcript: &mut Vec<u8>,
    hash: PrfHash,
    master: &[u8; 48],
    theirs: Protect,
    ccs_seen: bool,
) -> Result<[u8; 12], Ending> {
    // The server's records are protected from its CCS on; an abbreviated
    // handshake's CCS was already read with ServerHello.
    let mut theirs = Some(theirs);
    let mut saw_ccs = ccs_seen;
    if saw_ccs {
        wire.reader.read = theirs.take();
    }
    for _ in 0..MAX_FLIGHT_MESSAGES {
        match wire.recv()? {
            Incoming::ChangeCipherSpec(p) if !saw_ccs => {
                if p != [1] {
                    return Err(wrong("server ChangeCipherSpec payload is not 0x01"));
                }
                saw_ccs = true;
                wire.reader.read = theirs.take();
            }
            Incoming::Handshake { typ: 4, raw } if !saw_ccs => {
                // NewSessionTicket (we did not ask, but it is harmless to hash).
                hash_theirs(transcript, &raw)?;
            }
            Incoming::Handshake { typ: 20, raw } if saw_ccs => {
                let expected = verify(hash, master, crypto::SERVER_FINISHED, transcript);
                if raw.get(4..) != Some(&expected[..]) {
                    return Err(wrong("server Finished does not verify"));
                }
                hash_theirs(transcript, &raw)?;
                return Ok(expected);
            }
            other => return Err(wrong(format!("expected CCS and Finished, got {other:?}"))),
        }
    }
    Err(wrong(format!(
        "server sent more than {MAX_FLIGHT_MESSAGES} messages before its Finished (cap MAX_FLIGHT_MESSAGES)"
    )))
}

/// After the handshake: the post-handshake knobs, then a request that the
/// server must answer with application data, then close_notify.
/// `finished`: both verify_data of the handshake (for renegotiation_info).
fn exchange_application_data(
    wire: &mut Wire<'_>,
    script: &ClientScript,
    rng: &mut Provider,
    finished: VerifyData,
) -> Result<(), Ending> {
    wire.reach(Milestone::Traffic);
    let b = &script.bugs;
    if let Some(typ) = b.unknown_record_type_after {
        wire.send(typ, b"x", 1 << 14)?;
        return Err(wire.recv_ending());
    }
    if let Some(len) = b.raw_record_len_after {
        let mut record = vec![ContentType::ApplicationData.0];
        record.extend_from_slice(&wire.version.to_be_bytes());
        record.extend_from_slice(&(len as u16).to_be_bytes());
        record.extend(std::iter::repeat_n(0u8, len));
        send_header_first(wire, &record)?;
        return Err(wire.recv_ending());
    }
    if let Some(kind) = b.renegotiate {
        renegotiate(wire, script, rng, kind, finished)?;
    }
    let request = http_request(b.app_data_len);
    // Oversized plaintext: sealed directly, bypassing fragmentation.
    if request.len() > 1 << 14 {
        let version = wire.version;
        let rec = wire.record_bytes(ContentType::ApplicationData.0, version, &request, None)?;
        send_header_first(wire, &rec)?;
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

/// Sends one record whose length a server may refuse from its header
/// alone: the header first, then the body only if the target has not
/// answered within 50 ms. A body sent into a socket the target has closed
/// makes its kernel reset the connection, which can discard the alert it
/// sent before we read it (seen with gnutls-serv behind the confinement
/// relay: about 1 run in 10 of `Record-Server-Plaintext16385-*`).
fn send_header_first(wire: &mut Wire<'_>, record: &[u8]) -> Result<(), Ending> {
    let (header, body) = record.split_at(record.len().min(5));
    wire.send_raw(header)?;
    wire.answer_check = Some(Duration::from_millis(50));
    let sent = wire.send_raw(body);
    wire.answer_check = None;
    sent
}

/// The request the server must answer: an HTTP GET (HTTP servers such as
/// `openssl s_server -www` answer only that; echo servers echo anything),
/// padded with a header line to exactly `len` bytes when a length is set.
fn http_request(len: Option<usize>) -> Vec<u8> {
    const GET: &[u8] = b"GET / HTTP/1.0\r\n";
    const PAD: &[u8] = b"X-Pad: ";
    const END: &[u8] = b"\r\n\r\n";
    let Some(n) = len else {
        return [GET, b"\r\n"].concat();
    };
    let fixed = GET.len() + PAD.len() + END.len();
    if n < fixed {
        return vec![b'a'; n];
    }
    let mut out = [GET, PAD].concat();
    out.resize(n - END.len(), b'a');
    out.extend_from_slice(END);
    out
}

/// Sends a renegotiating ClientHello of `kind` under the current keys. A
/// server that refuses sends warning no_renegotiation and goes on (RFC
/// 5246 §7.2.2); a fatal alert ends the case here. A server that accepts a
/// secure renegotiation gets a correct full handshake, its ServerHello's
/// renegotiation_info checked (RFC 5746 §3.5); accepting any other kind is
/// wrong (RFC 5746 §3.7 for the malformed ones after a secure handshake,
/// §4.4 RECOMMENDS refusing legacy renegotiation).
fn renegotiate(
    wire: &mut Wire<'_>,
    script: &ClientScript,
    rng: &mut Provider,
    kind: Renegotiation,
    (client_vd, server_vd): VerifyData,
) -> Result<(), Ending> {
    let hello = renegotiation_script(script, kind, &client_vd);
    let random: [u8; 32] = rng.array();
    let ch = hello.client_hello(&random, None);
    wire.send(ContentType::Handshake.0, &ch, 1 << 14)?;
    let first = match wire.recv() {
        Err(Ending::Alert {
            level: 1,
            description,
        }) if description == AlertDescription::NoRenegotiation.0 => return Ok(()),
        Err(e) => return Err(e),
        Ok(m @ Incoming::Handshake { typ: 2, .. }) if kind == Renegotiation::Secure => m,
        Ok(other) => {
            return Err(wrong(format!(
                "server answered a {kind:?} renegotiation with {other:?}"
            )))
        }
    };
    let mut transcript = ch;
    let (flight, _) = read_server_hello(wire, &mut transcript, Some(first))?;
    check_server_hello(&hello, &flight, &[client_vd, server_vd].concat())?;
    let params = SuiteParams::for_suite(flight.suite)
        .ok_or_else(|| wrong(format!("server chose suite {:?}", flight.suite)))?;
    full_handshake(
        wire,
        &hello.bugs,
        rng,
        0x0303,
        &random,
        &mut transcript,
        &flight,
        &params,
    )?;
    Ok(())
}

/// The script whose ClientHello renegotiates as `kind` says, otherwise
/// like the script's own correct hello.
fn renegotiation_script(
    script: &ClientScript,
    kind: Renegotiation,
    client_vd: &[u8; 12],
) -> ClientScript {
    let mut s = ClientScript {
        bugs: ClientBugs::default(),
        ..script.clone()
    };
    let ri = ExtensionType::RenegotiationInfo.0;
    let mut exts = s.default_extensions();
    exts.retain(|(t, _)| *t != ri);
    match kind {
        Renegotiation::Secure => exts.push((ri, rules::renegotiation_info(client_vd))),
        Renegotiation::Legacy => {}
        Renegotiation::Scsv => {
            s.bugs.cipher_suites = Some(vec![script.suite.0, EMPTY_RENEGOTIATION_INFO_SCSV]);
        }
        Renegotiation::EmptyRenegotiationInfo => exts.push((ri, rules::renegotiation_info(&[]))),
        Renegotiation::WrongVerifyData => {
            let mut vd = *client_vd;
            vd[0] ^= 0x01;
            exts.push((ri, rules::renegotiation_info(&vd)));
        }
    }
    s.bugs.extensions = Some(exts);
    s
}

fn verify(hash: PrfHash, master: &[u8; 48], label: &[u8], transcript: &[u8]) -> [u8; 12] {
    keys::verify_data(
        hash,
        &crypto::MasterSecret::from_bytes(*master),
        label,
        transcript,
    )
}

fn master_secret(
    hash: PrfHash,
    pm: &dyn PremasterSecret,
    client_random: &[u8; 32],
    flight: &ServerFlight,
    transcript: &[u8],
) -> [u8; 48] {
    let ms = keys::master_secret(
        hash,
        pm,
        flight.ems,
        client_random,
        &flight.random,
        transcript,
    );
    *ms.as_bytes()
}

/// RFC 8422 §5.4 from the client's side: the ServerKeyExchange must name a
/// group we offered and carry a signature, with a pair we offered, by the
/// leaf's key over client_random ‖ server_random ‖ params; its point must
/// be valid. Returns our share (malformed as `b.point` says) and the shared
/// secret computed from the correct share.
fn ecdhe_share(
    b: &ClientBugs,
    rng: &mut Provider,
    client_random: &[u8; 32],
    flight: &ServerFlight,
    leaf: &[u8],
) -> Result<(Vec<u8>, crypto::kx::SharedSecret), Ending> {
    use gauntlet_engine::crypto::sig::Scheme;
    let ske = flight
        .ske
        .as_ref()
        .ok_or_else(|| wrong("no ServerKeyExchange in an ECDHE suite"))?;
    let group = ske.params.named_group;
    let offered_groups = b.groups.clone().unwrap_or_else(|| DEFAULT_GROUPS.to_vec());
    if !offered_groups.contains(&group.0) {
        return Err(wrong(format!("server chose group {group:?}, not offered")));
    }
    let alg = ske.signed.algorithm;
    let wire_alg = u16::from_be_bytes([alg.hash.0, alg.signature.0]);
    let offered_algs = b
        .signature_algorithms
        .clone()
        .unwrap_or_else(|| DEFAULT_ECDHE_SIGNATURE_ALGORITHMS.to_vec());
    let scheme = Scheme::from_wire(alg)
        .filter(|_| offered_algs.contains(&wire_alg))
        .ok_or_else(|| wrong(format!("server signed with {wire_alg:#06x}, not offered")))?;
    let spki = crypto::sig::leaf_spki(leaf).map_err(|e| wrong(format!("leaf: {e:?}")))?;
    let message =
        ServerKeyExchangePayload::signed_message(client_random, &flight.random, &ske.params);
    crypto::sig::verify(&spki, scheme, &message, &ske.signed.signature.0)
        .map_err(|e| wrong(format!("ServerKeyExchange signature: {e:?}")))?;
    let seed: [u8; 32] = rng.array();
    let kx = crypto::kx::RustCryptoKx
        .start(group, &seed)
        .map_err(|e| wrong(format!("group {group:?}: {e}")))?;
    let good = kx.public_share().to_vec();
    let shared = kx
        .complete(&ske.params.public.0)
        .map_err(|e| wrong(format!("server's ECDH share: {e}")))?;
    let point = match b.point {
        None => good,
        Some(bug) => malformed_point(bug, group, &good),
    };
    Ok((point, shared))
}

/// `good` (our share in `group`) malformed as `bug` says.
pub(crate) fn malformed_point(
    bug: PointBug,
    group: gauntlet_engine::enums::NamedGroup,
    good: &[u8],
) -> Vec<u8> {
    let x25519 = group == gauntlet_engine::enums::NamedGroup::x25519;
    match bug {
        PointBug::OffCurve => {
            let mut p = good.to_vec();
            if let Some(last) = p.last_mut() {
                *last ^= 1;
            }
            p
        }
        PointBug::Identity if x25519 => vec![0; 32],
        PointBug::Identity => vec![0],
        PointBug::Short => good
            .get(..good.len().saturating_sub(1))
            .unwrap_or_default()
            .to_vec(),
        PointBug::Long => [good, &[0]].concat(),
        PointBug::Compressed => {
            let n = good.len().saturating_sub(1) / 2;
            let y_odd = good.last().is_some_and(|b| b & 1 == 1);
            let mut p = vec![if y_odd { 3 } else { 2 }];
            p.extend_from_slice(good.get(1..=n).unwrap_or_default());
            p
        }
        PointBug::Empty => Vec::new(),
    }
}

/// (our write keys, the server's write keys).
fn keys(
    master: &[u8; 48],
    client_random: &[u8; 32],
    flight: &ServerFlight,
    params: &SuiteParams,
) -> Result<(Protect, Protect), Ending> {
    let ms = crypto::MasterSecret::from_bytes(*master);
    keys::directions(params, &ms, client_random, &flight.random).map_err(Ending::Io)
}

/// An SSLv2-compatible ClientHello (RFC 5246 Appendix E.2) offering
/// `version`, `suite` and the renegotiation SCSV as 3-byte cipher specs,
/// with a 32-byte challenge that is the client random as is.
fn sslv2_client_hello(version: u16, suite: CipherSuite, challenge: &[u8; 32]) -> Vec<u8> {
    let mut body = vec![1]; // msg_type client_hello
    body.extend_from_slice(&version.to_be_bytes());
    body.extend_from_slice(&6u16.to_be_bytes()); // cipher_spec_length
    body.extend_from_slice(&0u16.to_be_bytes()); // session_id_length
    body.extend_from_slice(&32u16.to_be_bytes()); // challenge_length
    for s in [suite.0, EMPTY_RENEGOTIATION_INFO_SCSV] {
        body.push(0);
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(challenge);
    let mut out = vec![0x80 | ((body.len() >> 8) as u8), body.len() as u8];
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_http_request_has_exactly_the_asked_length() {
        for n in [0usize, 5, 27, 28, 100, 1 << 14, (1 << 14) + 1] {
            let r = http_request(Some(n));
            assert_eq!(r.len(), n);
            if n >= 28 {
                assert!(r.starts_with(b"GET / HTTP/1.0\r\nX-Pad: a"));
                assert!(r.ends_with(b"a\r\n\r\n"));
            }
        }
        assert_eq!(http_request(None), b"GET / HTTP/1.0\r\n\r\n");
    }

    #[test]
    fn sslv2_hello_follows_rfc5246_appendix_e2() {
        let v2 = sslv2_client_hello(0x0303, CipherSuite(0x009c), &[7; 32]);
        // msg_length with the high bit set, then client_hello(1), version.
        assert_eq!(v2.len(), 2 + 9 + 6 + 32);
        assert_eq!(&v2[..2], &[0x80, 47]);
        assert_eq!(&v2[2..5], &[1, 3, 3]);
        // cipher_spec_length 6, session_id_length 0, challenge_length 32.
        assert_eq!(&v2[5..11], &[0, 6, 0, 0, 0, 32]);
        assert_eq!(&v2[11..17], &[0, 0, 0x9c, 0, 0, 0xff]);
        assert_eq!(&v2[17..], &[7; 32]);
    }

    #[test]
    fn offered_lists_follow_the_knobs() {
        let mut s = ClientScript::default();
        assert!(s.offers_secure_renegotiation());
        s.bugs.extensions = Some(vec![(0x0017, vec![])]);
        assert!(!s.offers_secure_renegotiation());
        s.bugs.cipher_suites_raw = Some(vec![0x00, 0xff, 0x00]);
        assert_eq!(s.offered_suites(), vec![0x00ff]);
        assert!(s.offers_secure_renegotiation());
        s.bugs.omit_extensions_block = true;
        assert!(s.offered_extensions().is_empty());
    }
}
