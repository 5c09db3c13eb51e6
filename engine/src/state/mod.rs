//! Handshake state machines: one `ExpectX` type per awaited message. Each
//! `handle` checks the message type first, then moves its fields on.

pub(crate) mod client;
pub(crate) mod server;

use crate::conn::Context;
use crate::crypto::{PrfHash, SuiteParams};
use crate::enums::{ContentType, HandshakeType};
use crate::error::{Error, InvalidMessage, PeerMisbehaved};
use crate::msgs::{HandshakeMessagePayload, HandshakePayload};
pub(crate) use crate::transcript::StateId;

/// A message from the peer, after the record layer.
#[derive(Debug)]
pub(crate) enum Message {
    Handshake {
        parsed: HandshakeMessagePayload,
        /// Header included: what the transcript hash covers.
        raw: Vec<u8>,
    },
    ChangeCipherSpec,
    ApplicationData(Vec<u8>),
}

impl Message {
    fn content_type(&self) -> ContentType {
        match self {
            Message::Handshake { .. } => ContentType::Handshake,
            Message::ChangeCipherSpec => ContentType::ChangeCipherSpec,
            Message::ApplicationData(_) => ContentType::ApplicationData,
        }
    }

    fn handshake_type(&self) -> Option<HandshakeType> {
        match self {
            Message::Handshake { parsed, .. } => Some(parsed.typ),
            _ => None,
        }
    }
}

/// What a state awaits. The connection judges a handshake message's type
/// against `handshake` from its header, before the body is decoded (RFC
/// 5246 §7.4: the type says what the body is, so a type the state does not
/// await is unexpected_message whatever its body; §7.2.2).
pub(crate) struct Awaits {
    /// What the state waits for, as errors name it.
    pub(crate) what: &'static str,
    /// The handshake types `handle` takes.
    pub(crate) handshake: &'static [HandshakeType],
}

pub(crate) trait State: Send {
    fn id(&self) -> StateId;
    fn awaits(&self) -> Awaits;
    fn handle(self: Box<Self>, cx: &mut Context<'_>, m: Message) -> Result<Box<dyn State>, Error>;
}

/// The error for a message a state did not expect. CCS and application data
/// get their own variants so reports say exactly what arrived too early.
pub(crate) fn unexpected(expected: &'static str, m: &Message) -> Error {
    match m {
        Message::ChangeCipherSpec => PeerMisbehaved::EarlyChangeCipherSpec.into(),
        Message::ApplicationData(_) => PeerMisbehaved::ApplicationDataBeforeFinished.into(),
        Message::Handshake { .. } => PeerMisbehaved::UnexpectedMessage {
            expected,
            got: m.content_type(),
            handshake: m.handshake_type(),
        }
        .into(),
    }
}

/// Takes a handshake message of the given kind out of `m`, adding its bytes
/// to the handshake hash input, or fails with `unexpected_message`.
macro_rules! require_handshake {
    ($cx:expr, $m:expr, $expected:literal, $pat:pat => $out:expr) => {
        match $m {
            $crate::state::Message::Handshake {
                parsed: $crate::msgs::HandshakeMessagePayload { payload: $pat, .. },
                raw,
            } => {
                $cx.core.handshake_bytes.extend_from_slice(&raw);
                $out
            }
            other => return Err($crate::state::unexpected($expected, &other)),
        }
    };
}
pub(crate) use require_handshake;

/// Suite parameters for a suite we negotiated (never fails for those).
pub(crate) fn suite_params(suite: crate::enums::CipherSuite) -> Result<SuiteParams, Error> {
    SuiteParams::for_suite(suite).ok_or(Error::Internal("negotiated an unsupported suite"))
}

/// The hash of every handshake message so far.
pub(crate) fn handshake_hash(cx: &Context<'_>, hash: PrfHash) -> Vec<u8> {
    hash.hash(&cx.core.handshake_bytes)
}

/// Established: application data flows; renegotiation is refused with a
/// warning (RFC 5746 §4.2 / RFC 5246 §7.2.2) and the connection kept.
///
/// Built only by `ExpectFinished` (full and abbreviated handshakes, both
/// roles), from the proof that the peer's Finished checked out: no path
/// reaches `Traffic` without `verify_finished` having succeeded.
pub(crate) struct Traffic {
    /// Held, never read: its presence is the point.
    _peer_finished: crate::crypto::FinishedVerified,
    /// Which renegotiation request this side refuses.
    side: crate::conn::Side,
}

impl State for Traffic {
    fn id(&self) -> StateId {
        StateId::Traffic
    }

    fn awaits(&self) -> Awaits {
        Awaits {
            what: "application data",
            handshake: match self.side {
                crate::conn::Side::Server => &[HandshakeType::ClientHello],
                crate::conn::Side::Client => &[HandshakeType::HelloRequest],
            },
        }
    }

    fn handle(self: Box<Self>, cx: &mut Context<'_>, m: Message) -> Result<Box<dyn State>, Error> {
        use crate::enums::{AlertDescription, AlertLevel};
        match m {
            Message::ApplicationData(data) => {
                cx.core.emit(crate::conn::Event::ApplicationData(data));
                Ok(self)
            }
            Message::Handshake {
                parsed:
                    HandshakeMessagePayload {
                        payload: HandshakePayload::ClientHello(_),
                        ..
                    },
                ..
            } if cx.core.side == crate::conn::Side::Server => {
                cx.core
                    .send_alert(AlertLevel::Warning, AlertDescription::NoRenegotiation);
                Ok(self)
            }
            Message::Handshake {
                parsed:
                    HandshakeMessagePayload {
                        payload: HandshakePayload::HelloRequest,
                        ..
                    },
                ..
            } if cx.core.side == crate::conn::Side::Client => {
                cx.core
                    .send_alert(AlertLevel::Warning, AlertDescription::NoRenegotiation);
                Ok(self)
            }
            other => Err(match other {
                Message::ChangeCipherSpec => PeerMisbehaved::UnexpectedMessage {
                    expected: "application data",
                    got: ContentType::ChangeCipherSpec,
                    handshake: None,
                }
                .into(),
                m => unexpected("application data", &m),
            }),
        }
    }
}

/// What both sides agreed in the hellos.
#[derive(Clone, Debug)]
pub(crate) struct Negotiated {
    pub(crate) suite: crate::enums::CipherSuite,
    pub(crate) params: SuiteParams,
    pub(crate) client_random: [u8; 32],
    pub(crate) server_random: [u8; 32],
    pub(crate) extended_master_secret: bool,
    pub(crate) session_id: Vec<u8>,
}

/// Our write keys and the peer's, from the key block.
pub(crate) struct Keys {
    pub(crate) ours: crate::record::protection::RecordSealer,
    pub(crate) theirs: crate::record::protection::RecordOpener,
}

/// Derives the key block and returns our sealer and the peer's opener; the
/// opener goes to `pending_read` until the peer's CCS.
pub(crate) fn derive_keys(
    cx: &mut Context<'_>,
    neg: &Negotiated,
    master: &std::sync::Arc<crate::crypto::MasterSecret>,
) -> Result<Keys, Error> {
    use crate::crypto::keys::{FIXED_IV_LEN, MAX_IV_LEN};
    use crate::crypto::Aead;
    use crate::record::protection::{RecordOpener, RecordSealer};
    let crypto = cx.core.provider.crypto();
    let iv_len = match neg.params.aead {
        Aead::AesGcm => FIXED_IV_LEN,
        Aead::ChaCha20Poly1305 => MAX_IV_LEN,
    };
    let kb = crate::crypto::KeySchedule::new(crypto, neg.params.prf_hash).key_block_with_iv(
        master,
        &neg.client_random,
        &neg.server_random,
        neg.params.key_len,
        iv_len,
    )?;
    let client = (kb.client_write_key(), kb.client_iv());
    let server = (kb.server_write_key(), kb.server_iv());
    let (ours, theirs) = match cx.core.side {
        crate::conn::Side::Client => (client, server),
        crate::conn::Side::Server => (server, client),
    };
    let bad_iv = |_| Error::Internal("fixed IV of the wrong length");
    let keys = match neg.params.aead {
        Aead::AesGcm => Keys {
            ours: RecordSealer::with_crypto(crypto, ours.0, ours.1.try_into().map_err(bad_iv)?)?,
            theirs: RecordOpener::with_crypto(
                crypto,
                theirs.0,
                theirs.1.try_into().map_err(bad_iv)?,
            )?,
        },
        Aead::ChaCha20Poly1305 => Keys {
            ours: RecordSealer::chacha_with_crypto(
                crypto,
                ours.0,
                ours.1.try_into().map_err(bad_iv)?,
            )?,
            theirs: RecordOpener::chacha_with_crypto(
                crypto,
                theirs.0,
                theirs.1.try_into().map_err(bad_iv)?,
            )?,
        },
    };
    cx.core
        .log_local("master_secret", master.as_bytes().as_slice());
    cx.core.secrets = Some((neg.client_random, master.clone()));
    Ok(keys)
}

/// Our Finished over the handshake so far (RFC 5246 §7.4.9).
pub(crate) fn our_finished(
    cx: &Context<'_>,
    neg: &Negotiated,
    master: &crate::crypto::MasterSecret,
) -> HandshakeMessagePayload {
    let label = match cx.core.side {
        crate::conn::Side::Client => crate::crypto::CLIENT_FINISHED,
        crate::conn::Side::Server => crate::crypto::SERVER_FINISHED,
    };
    let hash = handshake_hash(cx, neg.params.prf_hash);
    let vd = crate::crypto::KeySchedule::new(cx.core.provider.crypto(), neg.params.prf_hash)
        .verify_data(master, label, &hash);
    HandshakeMessagePayload::new(HandshakePayload::Finished(vd.to_vec()))
}

/// Checks the peer's Finished against the hash of everything before it,
/// then adds it to the hash input. The proof value is what lets a state
/// move to `Traffic`.
pub(crate) fn check_peer_finished(
    cx: &mut Context<'_>,
    neg: &Negotiated,
    master: &crate::crypto::MasterSecret,
    m: Message,
) -> Result<crate::crypto::FinishedVerified, Error> {
    let (verify_data, raw) = match m {
        Message::Handshake {
            parsed:
                HandshakeMessagePayload {
                    payload: HandshakePayload::Finished(vd),
                    ..
                },
            raw,
        } => (vd, raw),
        other => return Err(unexpected("Finished", &other)),
    };
    let label = match cx.core.side {
        crate::conn::Side::Client => crate::crypto::SERVER_FINISHED,
        crate::conn::Side::Server => crate::crypto::CLIENT_FINISHED,
    };
    // RFC 5246 §7.4.9: `opaque verify_data[verify_data_length]`, 12 bytes
    // for our suites. Another length is a malformed message (decode_error,
    // as OpenSSL sends); only a 12-byte value that differs is decrypt_error.
    let want = crate::crypto::keys::VERIFY_DATA_LEN;
    if verify_data.len() < want {
        return Err(InvalidMessage::MissingData("verify_data").into());
    }
    if verify_data.len() > want {
        return Err(InvalidMessage::TrailingData("verify_data").into());
    }
    let hash = handshake_hash(cx, neg.params.prf_hash);
    let expected = crate::crypto::KeySchedule::new(cx.core.provider.crypto(), neg.params.prf_hash)
        .verify_data(master, label, &hash);
    let proof = crate::crypto::verify_finished(&expected, &verify_data)?;
    cx.core.handshake_bytes.extend_from_slice(&raw);
    Ok(proof)
}

/// Awaits the peer's ChangeCipherSpec; then its Finished.
pub(crate) struct ExpectCcs {
    pub(crate) neg: Negotiated,
    pub(crate) master: std::sync::Arc<crate::crypto::MasterSecret>,
    /// Our keys, when our CCS is still to be sent after the peer's Finished
    /// (a full handshake's server, a resumed handshake's client).
    pub(crate) our_keys_later: Option<crate::record::protection::RecordSealer>,
    pub(crate) resumed: bool,
}

impl State for ExpectCcs {
    fn id(&self) -> StateId {
        StateId::ExpectChangeCipherSpec
    }

    fn awaits(&self) -> Awaits {
        Awaits {
            what: "ChangeCipherSpec",
            handshake: &[],
        }
    }

    fn handle(self: Box<Self>, cx: &mut Context<'_>, m: Message) -> Result<Box<dyn State>, Error> {
        match m {
            Message::ChangeCipherSpec => {
                cx.core.activate_read()?;
                Ok(Box::new(ExpectFinished { inner: *self }))
            }
            Message::ApplicationData(_) => {
                Err(PeerMisbehaved::ApplicationDataBeforeFinished.into())
            }
            other => Err(PeerMisbehaved::UnexpectedMessage {
                expected: "ChangeCipherSpec",
                got: other.content_type(),
                handshake: other.handshake_type(),
            }
            .into()),
        }
    }
}

/// Awaits the peer's Finished under the new keys.
pub(crate) struct ExpectFinished {
    inner: ExpectCcs,
}

impl State for ExpectFinished {
    fn id(&self) -> StateId {
        StateId::ExpectFinished
    }

    fn awaits(&self) -> Awaits {
        Awaits {
            what: "Finished",
            handshake: &[HandshakeType::Finished],
        }
    }

    fn handle(self: Box<Self>, cx: &mut Context<'_>, m: Message) -> Result<Box<dyn State>, Error> {
        let ExpectCcs {
            neg,
            master,
            our_keys_later,
            resumed,
        } = self.inner;
        let peer_finished = check_peer_finished(cx, &neg, &master, m)?;
        if let Some(sealer) = our_keys_later {
            cx.core.send_ccs(sealer)?;
            let fin = our_finished(cx, &neg, &master);
            cx.core.send_handshake(fin)?;
        }
        let session = crate::config::Session {
            id: neg.session_id.clone(),
            suite: neg.suite,
            master_secret: master,
            extended_master_secret: neg.extended_master_secret,
        };
        // Only the server keeps a cache; only new sessions go into it.
        if let (false, false, Some(cache)) =
            (resumed, session.id.is_empty(), &cx.core.session_cache)
        {
            if let Ok(mut c) = cache.lock() {
                c.insert(session.clone());
            }
        }
        cx.core.session = Some(session);
        cx.core.complete(crate::conn::HandshakeSummary {
            version: crate::enums::ProtocolVersion::TLSv1_2,
            suite: neg.suite,
            extended_master_secret: neg.extended_master_secret,
            resumed,
        })?;
        Ok(Box::new(Traffic {
            _peer_finished: peer_finished,
            side: cx.core.side,
        }))
    }
}

/// RFC 5246 §8.1, or RFC 7627 §4 over the hash through ClientKeyExchange.
pub(crate) fn master_secret(
    cx: &mut Context<'_>,
    neg: &Negotiated,
    premaster: &dyn crate::crypto::keys::PremasterSecret,
) -> crate::crypto::MasterSecret {
    let hash = neg.params.prf_hash;
    if neg.extended_master_secret {
        let session_hash = handshake_hash(cx, hash);
        cx.core.log_local("session_hash", &session_hash);
        crate::crypto::KeySchedule::new(cx.core.provider.crypto(), hash)
            .extended_master_secret(premaster, &session_hash)
    } else {
        crate::crypto::KeySchedule::new(cx.core.provider.crypto(), hash).master_secret(
            premaster,
            &neg.client_random,
            &neg.server_random,
        )
    }
}
