//! Replays a full TLS 1.2 RSA handshake recorded between third-party peers
//! (the `handshake` vectors) with engine primitives only, no `Connection`:
//! deframe and join both byte streams, read the hellos, decrypt the premaster
//! with the server key, derive the (extended) master secret and key block,
//! open every protected record, check both Finished messages and compare the
//! application data. Every failure names the step.

use super::de;
use gauntlet_engine::codec::Codec;
use gauntlet_engine::crypto::{
    decrypt_premaster, extended_master_secret, key_block, master_secret, verify_data, PrfHash,
    RsaDecrypt, SuiteParams, CLIENT_FINISHED, SERVER_FINISHED,
};
use gauntlet_engine::enums::{
    AlertDescription, CipherSuite, ContentType, ExtensionType, HandshakeType, ProtocolVersion,
};
use gauntlet_engine::msgs::{
    decode_handshake, AlertMessagePayload, ChangeCipherSpecPayload, HandshakeMessagePayload,
    HandshakePayload,
};
use gauntlet_engine::record::protection::RecordOpener;
use gauntlet_engine::record::{Deframer, HandshakeJoiner, RecordLimit};
use gauntlet_engine::Provider;
use serde::Deserialize;
use std::collections::VecDeque;

/// One `handshake` case's fields.
#[derive(Debug, Deserialize)]
pub(super) struct Recording {
    /// The peers that made the recording (read to check they are named).
    #[allow(dead_code)]
    #[serde(deserialize_with = "de::string")]
    pub client: String,
    #[allow(dead_code)]
    #[serde(deserialize_with = "de::string")]
    pub server: String,
    #[serde(deserialize_with = "de::u16_int")]
    pub suite: u16,
    #[serde(deserialize_with = "de::boolean")]
    pub ems: bool,
    #[serde(deserialize_with = "de::hex")]
    pub client_to_server: Vec<u8>,
    #[serde(deserialize_with = "de::hex")]
    pub server_to_client: Vec<u8>,
    pub keylog: KeyLog,
    pub application_data: ApplicationData,
}

/// The client's NSS key log line.
#[derive(Debug, Deserialize)]
pub(super) struct KeyLog {
    #[serde(deserialize_with = "de::hex_n")]
    pub client_random: [u8; 32],
    #[serde(deserialize_with = "de::hex_n")]
    pub master_secret: [u8; 48],
}

/// The application data records each way, decrypted.
#[derive(Debug, Deserialize)]
pub(super) struct ApplicationData {
    #[serde(deserialize_with = "de::hex_list")]
    pub client_to_server: Vec<Vec<u8>>,
    #[serde(deserialize_with = "de::hex_list")]
    pub server_to_client: Vec<Vec<u8>>,
}

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

/// One direction's byte stream, read the way a receiver would: at most one
/// record at a time from the deframer, handshake records through the joiner,
/// everything after ChangeCipherSpec through the opener.
struct Flow<'a> {
    name: &'static str,
    bytes: &'a [u8],
    offered: usize,
    deframer: Deframer,
    joiner: HandshakeJoiner,
    pending: VecDeque<Vec<u8>>,
    opener: Option<RecordOpener>,
    /// Records popped so far; the current record's 1-based number.
    records: usize,
}

impl<'a> Flow<'a> {
    fn new(name: &'static str, bytes: &'a [u8]) -> Self {
        Self {
            name,
            bytes,
            offered: 0,
            deframer: Deframer::new(),
            joiner: HandshakeJoiner::default(),
            pending: VecDeque::new(),
            opener: None,
            records: 0,
        }
    }

    fn fail(&self, what: impl std::fmt::Display) -> String {
        format!("{} record #{}: {what}", self.name, self.records)
    }

    fn next_record(&mut self) -> Result<Option<(ContentType, ProtocolVersion, Vec<u8>)>, String> {
        loop {
            match self.deframer.pop() {
                Ok(Some(r)) => {
                    self.records += 1;
                    return Ok(Some((r.typ, r.version, r.payload)));
                }
                Ok(None) => {}
                Err(e) => {
                    return Err(format!(
                        "{} record #{}: deframing failed: {e:?}",
                        self.name,
                        self.records + 1
                    ))
                }
            }
            let rest = self.bytes.get(self.offered..).unwrap_or_default();
            if rest.is_empty() {
                if self.deframer.buffered() > 0 {
                    return Err(format!(
                        "{}: stream ends inside a record ({} bytes left over)",
                        self.name,
                        self.deframer.buffered()
                    ));
                }
                return Ok(None);
            }
            let took = self.deframer.read(rest);
            if took == 0 {
                return Err(format!("{}: deframer full but yields no record", self.name));
            }
            self.offered += took;
        }
    }

    fn next(&mut self) -> Result<Option<Item>, String> {
        loop {
            if let Some(bytes) = self.pending.pop_front() {
                let msg = decode_handshake(&bytes)
                    .map_err(|e| self.fail(format!("handshake message decode failed: {e:?}")))?;
                return Ok(Some(Item::Handshake(bytes, msg)));
            }
            let Some((typ, version, payload)) = self.next_record()? else {
                if !self.joiner.is_empty() {
                    return Err(format!(
                        "{}: stream ends inside a handshake message",
                        self.name
                    ));
                }
                return Ok(None);
            };
            let payload = match self.opener.as_mut() {
                Some(opener) => match opener.open(typ, version, &payload) {
                    Ok(p) => p,
                    Err(e) => {
                        return Err(self.fail(format!(
                            "{typ:?} ({} bytes): open failed: {e}",
                            payload.len()
                        )))
                    }
                },
                None => payload,
            };
            // RFC 5246 §6.2.1: nothing interleaves a fragmented handshake message.
            if typ != ContentType::Handshake && !self.joiner.is_empty() {
                return Err(self.fail(format!("{typ:?} inside a fragmented handshake message")));
            }
            match typ {
                ContentType::Handshake => {
                    self.joiner
                        .push(&payload)
                        .map_err(|e| self.fail(format!("joining failed: {e:?}")))?;
                    while let Some(m) = self
                        .joiner
                        .pop()
                        .map_err(|e| self.fail(format!("joining failed: {e:?}")))?
                    {
                        self.pending.push_back(m);
                    }
                }
                ContentType::ChangeCipherSpec => {
                    ChangeCipherSpecPayload::read_bytes(&payload)
                        .map_err(|e| self.fail(format!("bad ChangeCipherSpec: {e:?}")))?;
                    return Ok(Some(Item::ChangeCipherSpec));
                }
                ContentType::Alert => {
                    let alert = AlertMessagePayload::read_bytes(&payload)
                        .map_err(|e| self.fail(format!("bad alert: {e:?}")))?;
                    return Ok(Some(Item::Alert(alert)));
                }
                ContentType::ApplicationData => return Ok(Some(Item::ApplicationData(payload))),
                other => return Err(self.fail(format!("unexpected content type {other:?}"))),
            }
        }
    }

    /// The next item, which must be a handshake message of type `want`;
    /// appends its bytes to `transcript` and returns its body.
    fn expect(
        &mut self,
        want: HandshakeType,
        transcript: &mut Vec<u8>,
    ) -> Result<HandshakePayload, String> {
        match self.next()? {
            Some(Item::Handshake(bytes, msg)) if msg.typ == want => {
                transcript.extend_from_slice(&bytes);
                Ok(msg.payload)
            }
            Some(other) => Err(self.fail(format!("expected {want:?}, got {}", other.describe()))),
            None => Err(format!("{}: stream ended before {want:?}", self.name)),
        }
    }

    fn expect_ccs(&mut self) -> Result<(), String> {
        match self.next()? {
            Some(Item::ChangeCipherSpec) => Ok(()),
            Some(other) => Err(self.fail(format!(
                "expected ChangeCipherSpec, got {}",
                other.describe()
            ))),
            None => Err(format!(
                "{}: stream ended before ChangeCipherSpec",
                self.name
            )),
        }
    }

    /// Turns on decryption for the records after this direction's CCS
    /// (sequence numbers from 0, RFC 5246 §6.1; any explicit nonce).
    fn protect(&mut self, key: &[u8], salt: [u8; 4]) -> Result<(), String> {
        let opener = RecordOpener::new(key, salt).map_err(|e| self.fail(format!("opener: {e}")))?;
        self.opener = Some(opener);
        self.deframer.set_limit(RecordLimit::Ciphertext);
        Ok(())
    }

    /// After Finished: application data records until close_notify (which
    /// must be the last record) or the end of the stream.
    fn application_data(&mut self) -> Result<Vec<Vec<u8>>, String> {
        let mut out = Vec::new();
        while let Some(item) = self.next()? {
            match item {
                Item::ApplicationData(d) => out.push(d),
                Item::Alert(a) if a.description == AlertDescription::CloseNotify => {
                    if let Some(more) = self.next()? {
                        return Err(self.fail(format!("{} after close_notify", more.describe())));
                    }
                }
                other => {
                    return Err(self.fail(format!(
                        "expected application data or close_notify, got {}",
                        other.describe()
                    )))
                }
            }
        }
        Ok(out)
    }
}

fn wrong(step: &str, what: &str) -> String {
    format!("{step}: decoded payload is not a {what}")
}

fn compare_app_data(direction: &str, got: &[Vec<u8>], want: &[Vec<u8>]) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!(
            "{direction} application data: {} records, the case lists {}",
            got.len(),
            want.len()
        ));
    }
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if g != w {
            let at = g.iter().zip(w).take_while(|(a, b)| a == b).count();
            return Err(format!(
                "{direction} application data record {i}: {} bytes, want {}, first difference at byte {at}",
                g.len(),
                w.len()
            ));
        }
    }
    Ok(())
}

/// Replays `rec` with the server's RSA key. `Err` says which step failed.
pub(super) fn replay(
    rec: &Recording,
    key: &dyn RsaDecrypt,
    rng: &mut Provider,
) -> Result<(), String> {
    let mut c = Flow::new("client_to_server", &rec.client_to_server);
    let mut s = Flow::new("server_to_client", &rec.server_to_client);
    // Every handshake message in protocol order, across both directions.
    let mut transcript = Vec::new();

    let HandshakePayload::ClientHello(ch) =
        c.expect(HandshakeType::ClientHello, &mut transcript)?
    else {
        return Err(wrong("ClientHello", "ClientHello"));
    };
    if ch.random.0 != rec.keylog.client_random {
        return Err(format!(
            "ClientHello: random {} differs from the key log's client_random {}",
            hex::encode(ch.random.0),
            hex::encode(rec.keylog.client_random)
        ));
    }

    let HandshakePayload::ServerHello(sh) =
        s.expect(HandshakeType::ServerHello, &mut transcript)?
    else {
        return Err(wrong("ServerHello", "ServerHello"));
    };
    if sh.server_version != ProtocolVersion::TLSv1_2 {
        return Err(format!("ServerHello: version {:?}", sh.server_version));
    }
    if sh.cipher_suite != CipherSuite(rec.suite) {
        return Err(format!(
            "ServerHello: cipher suite {:?}, the case says 0x{:04x}",
            sh.cipher_suite, rec.suite
        ));
    }
    let Some(params) = SuiteParams::for_suite(sh.cipher_suite) else {
        return Err(format!(
            "ServerHello: suite {:?} unsupported",
            sh.cipher_suite
        ));
    };
    let ems = sh
        .find_extension(ExtensionType::ExtendedMasterSecret)
        .is_some();
    if ems != rec.ems {
        return Err(format!(
            "ServerHello: extended_master_secret {}, the case says {}",
            if ems { "present" } else { "absent" },
            rec.ems
        ));
    }
    // RFC 7627 §5.1: the server may only echo an offered extension.
    if ems
        && ch
            .find_extension(ExtensionType::ExtendedMasterSecret)
            .is_none()
    {
        return Err("ServerHello: extended_master_secret not offered by the client".into());
    }
    // RFC 5246 §6.2.1: from here on every record carries the negotiated version.
    c.deframer.set_version(sh.server_version);
    s.deframer.set_version(sh.server_version);

    s.expect(HandshakeType::Certificate, &mut transcript)?;
    s.expect(HandshakeType::ServerHelloDone, &mut transcript)?;

    let HandshakePayload::ClientKeyExchange(cke) =
        c.expect(HandshakeType::ClientKeyExchange, &mut transcript)?
    else {
        return Err(wrong("ClientKeyExchange", "ClientKeyExchange"));
    };
    let epms = cke
        .rsa()
        .map_err(|e| format!("ClientKeyExchange: not the RSA form: {e}"))?;
    let hash: PrfHash = params.prf_hash;
    // RFC 5246 §7.4.7.1, with the version the client offered in ClientHello.
    let random: [u8; 48] = rng.array();
    let premaster = decrypt_premaster(key, rng, &epms.0, ch.client_version, &random);
    let ms = if ems {
        // RFC 7627 §3: the session hash covers everything through ClientKeyExchange.
        extended_master_secret(hash, &premaster, &hash.hash(&transcript))
    } else {
        master_secret(hash, &premaster, &ch.random.0, &sh.random.0)
    };
    if ms.as_bytes() != &rec.keylog.master_secret {
        return Err(if premaster.as_bytes() == &random {
            "ClientKeyExchange: premaster decryption fell back to the random premaster \
             (bad padding, length or version); master secret differs from the key log"
                .into()
        } else {
            format!(
                "master secret {} differs from the key log's {}",
                hex::encode(ms.as_bytes()),
                hex::encode(rec.keylog.master_secret)
            )
        });
    }
    let kb = key_block(hash, &ms, &ch.random.0, &sh.random.0, params.key_len)
        .map_err(|e| format!("key block: {e}"))?;

    c.expect_ccs()?;
    c.protect(kb.client_write_key(), *kb.client_write_iv())?;
    // RFC 5246 §7.4.9: Finished covers every handshake message before it.
    let want = verify_data(hash, &ms, CLIENT_FINISHED, &hash.hash(&transcript));
    let HandshakePayload::Finished(got) = c.expect(HandshakeType::Finished, &mut transcript)?
    else {
        return Err(wrong("client Finished", "Finished"));
    };
    if got != want {
        return Err(format!(
            "client Finished: verify_data {}, expected {}",
            hex::encode(&got),
            hex::encode(want)
        ));
    }

    // RFC 5077 §3.3: NewSessionTicket comes before the server's CCS and is
    // part of the server Finished's transcript.
    loop {
        match s.next()? {
            Some(Item::ChangeCipherSpec) => break,
            Some(Item::Handshake(bytes, msg)) if msg.typ == HandshakeType::NewSessionTicket => {
                transcript.extend_from_slice(&bytes);
            }
            Some(other) => {
                return Err(s.fail(format!(
                    "expected NewSessionTicket or ChangeCipherSpec, got {}",
                    other.describe()
                )))
            }
            None => return Err("server_to_client: stream ended before ChangeCipherSpec".into()),
        }
    }
    s.protect(kb.server_write_key(), *kb.server_write_iv())?;
    let want = verify_data(hash, &ms, SERVER_FINISHED, &hash.hash(&transcript));
    let HandshakePayload::Finished(got) = s.expect(HandshakeType::Finished, &mut transcript)?
    else {
        return Err(wrong("server Finished", "Finished"));
    };
    if got != want {
        return Err(format!(
            "server Finished: verify_data {}, expected {}",
            hex::encode(&got),
            hex::encode(want)
        ));
    }

    compare_app_data(
        "client_to_server",
        &c.application_data()?,
        &rec.application_data.client_to_server,
    )?;
    compare_app_data(
        "server_to_client",
        &s.application_data()?,
        &rec.application_data.server_to_client,
    )?;
    Ok(())
}
