//! The server's handshake: ExpectClientHello → (full) ExpectClientKeyExchange
//! → ExpectCcs → ExpectFinished → Traffic, or (resumed) ExpectCcs →
//! ExpectFinished → Traffic. A full ECDHE handshake sends ServerKeyExchange
//! between Certificate and ServerHelloDone (RFC 8422 §5.4) and reads the
//! client's point from ClientKeyExchange (§5.7).

use super::{derive_keys, our_finished, require_handshake, suite_params, ExpectCcs, Negotiated};
use super::{Awaits, Message, State, StateId};
use crate::config::{ServerConfig, Session};
use crate::conn::Context;
use crate::crypto::kx::ActiveKeyExchange;
use crate::crypto::sig::{KeyKind, Scheme};
use crate::crypto::{self, KeyExchange};
use crate::enums::{
    CipherSuite, Compression, EcPointFormat, HandshakeType, NamedGroup, ProtocolVersion,
};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::{
    CertificatePayload, CertificateStatusPayload, CertificateStatusRequest, ClientExtension,
    ClientHelloPayload, DigitallySigned, EcPoint, HandshakeMessagePayload, HandshakePayload,
    OcspResponseBytes, Random, RenegotiatedConnection, ServerEcdhParams, ServerExtension,
    ServerHelloPayload, ServerKeyExchangePayload, SessionId, SignatureAndHashAlgorithm,
    SignatureBytes,
};
use std::sync::Arc;

pub(crate) fn start(config: Arc<ServerConfig>) -> Box<dyn State> {
    Box::new(ExpectClientHello { config })
}

struct ExpectClientHello {
    config: Arc<ServerConfig>,
}

/// What the ClientHello offered that the rest of the handshake needs.
struct Offer {
    client_version: ProtocolVersion,
    client_random: [u8; 32],
    secure_renegotiation: bool,
    extended_master_secret: bool,
    /// RFC 8422 §5.1.1: `None` when the extension is absent (then "the
    /// server is free to choose any one of the elliptic curves", §4).
    groups: Option<Vec<NamedGroup>>,
    /// The client sent ec_point_formats (it then gets ours back, §5.2).
    sent_point_formats: bool,
    /// RFC 5246 §7.4.1.4.1; `None` when absent (SHA-1 would be implied,
    /// which we do not sign with: no ECDHE suite is then chosen).
    signature_algorithms: Option<Vec<SignatureAndHashAlgorithm>>,
    /// The OCSP staple we will send: the client asked for an ocsp status
    /// (RFC 6066 §8) and we have one.
    staple: Option<Vec<u8>>,
}

/// An ECDHE suite's parameters chosen with it.
#[derive(Clone, Copy, Debug)]
struct EcdheChoice {
    group: NamedGroup,
    scheme: Scheme,
}

impl ExpectClientHello {
    /// RFC 5246 §7.4.1.2, RFC 7507 §3, RFC 5746 §3.6, RFC 7627 §5.1.
    fn check_offer(&self, ch: &ClientHelloPayload) -> Result<Offer, Error> {
        let v = ch.client_version;
        if ch.cipher_suites.contains(&CipherSuite::TLS_FALLBACK_SCSV)
            && v < ProtocolVersion::TLSv1_2
        {
            return Err(PeerMisbehaved::InappropriateFallback.into());
        }
        if v < ProtocolVersion::TLSv1_2 {
            return Err(PeerMisbehaved::UnsupportedVersion(v).into());
        }
        if !ch.compression_methods.contains(&Compression::Null) {
            return Err(PeerMisbehaved::NullCompressionNotOffered.into());
        }
        let exts = ch.extensions.as_deref().unwrap_or(&[]);
        let mut secure_renegotiation = ch
            .cipher_suites
            .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
        let mut ems = false;
        let mut groups = None;
        let mut sent_point_formats = false;
        let mut signature_algorithms = None;
        let mut wants_ocsp = false;
        for ext in exts {
            match ext {
                ClientExtension::RenegotiationInfo(ri) => {
                    if !ri.0.is_empty() {
                        return Err(PeerMisbehaved::RenegotiationInfoMismatch.into());
                    }
                    secure_renegotiation = true;
                }
                ClientExtension::ExtendedMasterSecret => ems = true,
                ClientExtension::SupportedGroups(g) => groups = Some(g.clone()),
                // RFC 8422 §5.1.2: the list "MUST include uncompressed".
                ClientExtension::EcPointFormats(f) => {
                    if !f.contains(&EcPointFormat::Uncompressed) {
                        return Err(PeerMisbehaved::UncompressedPointFormatMissing.into());
                    }
                    sent_point_formats = true;
                }
                ClientExtension::SignatureAlgorithms(a) => signature_algorithms = Some(a.clone()),
                ClientExtension::StatusRequest(CertificateStatusRequest::Ocsp { .. }) => {
                    wants_ocsp = true
                }
                _ => {}
            }
        }
        Ok(Offer {
            client_version: v,
            client_random: ch.random.0,
            secure_renegotiation,
            extended_master_secret: ems && self.config.extended_master_secret,
            groups,
            sent_point_formats,
            signature_algorithms,
            staple: self.config.ocsp_staple.clone().filter(|_| wants_ocsp),
        })
    }

    /// The kind of key our certificate holds: the signer's, or RSA for a
    /// server configured with a decryption key alone.
    fn key_kind(&self) -> KeyKind {
        self.config
            .signer
            .as_ref()
            .map_or(KeyKind::Rsa, |s| s.kind())
    }

    /// The group and signature scheme an ECDHE suite would use, if both
    /// sides have one (RFC 8422 §5.1: a server "MUST NOT negotiate the use
    /// of an ECC cipher suite unless it can complete the handshake while
    /// respecting the choice of curves" the client made).
    fn ecdhe_choice(&self, offer: &Offer, auth: KeyKind) -> Option<EcdheChoice> {
        let signer = self.config.signer.as_ref()?;
        if signer.kind() != auth {
            return None;
        }
        // RFC 8422 §5.3: an ECDSA certificate's curve must be one the client
        // supports (when it said which, §4).
        if let (Some(curve), Some(offered)) = (signer.ecdsa_curve(), offer.groups.as_ref()) {
            if !offered.contains(&curve) {
                return None;
            }
        }
        let group = self.config.groups.iter().copied().find(|g| {
            crypto::kx::share_len(*g).is_some()
                && offer
                    .groups
                    .as_ref()
                    .is_none_or(|offered| offered.contains(g))
        })?;
        // The client's order: the first pair it offered that we can sign
        // with this key.
        let scheme = offer
            .signature_algorithms
            .as_ref()?
            .iter()
            .filter_map(|a| Scheme::from_wire(*a))
            .find(|s| s.key_kind() == auth)?;
        Some(EcdheChoice { group, scheme })
    }

    fn choose_suite(
        &self,
        ch: &ClientHelloPayload,
        offer: &Offer,
    ) -> Result<(CipherSuite, Option<EcdheChoice>), Error> {
        for s in self.config.suites.iter().copied() {
            if !ch.cipher_suites.contains(&s) {
                continue;
            }
            let Some(params) = crypto::SuiteParams::for_suite(s) else {
                continue;
            };
            match params.kx {
                KeyExchange::Rsa if self.key_kind() == KeyKind::Rsa => return Ok((s, None)),
                KeyExchange::Rsa => {}
                KeyExchange::Ecdhe => {
                    if let Some(c) = self.ecdhe_choice(offer, params.auth) {
                        return Ok((s, Some(c)));
                    }
                }
            }
        }
        Err(PeerMisbehaved::NoCommonCipherSuite.into())
    }

    /// A cached session the client may resume (RFC 5246 §7.4.1.2; RFC 7627
    /// §5.3: a session made with EMS is never resumed without it, and one
    /// made without is not resumed when EMS is now offered).
    fn find_session(
        &self,
        ch: &ClientHelloPayload,
        offer: &Offer,
    ) -> Result<Option<Session>, Error> {
        if ch.session_id.0.is_empty() {
            return Ok(None);
        }
        let Some(cache) = &self.config.session_cache else {
            return Ok(None);
        };
        let found = cache
            .lock()
            .map_err(|_| Error::Internal("session cache poisoned"))?
            .get(&ch.session_id.0);
        let Some(session) = found else {
            return Ok(None);
        };
        if !ch.cipher_suites.contains(&session.suite) {
            return Ok(None);
        }
        match (session.extended_master_secret, offer.extended_master_secret) {
            (true, false) => Err(PeerMisbehaved::ExtendedMasterSecretMismatch.into()),
            (false, true) => Ok(None),
            _ => Ok(Some(session)),
        }
    }
}

impl State for ExpectClientHello {
    fn id(&self) -> StateId {
        StateId::ExpectClientHello
    }

    fn awaits(&self) -> Awaits {
        Awaits {
            what: "ClientHello",
            handshake: &[HandshakeType::ClientHello],
        }
    }

    fn handle(self: Box<Self>, cx: &mut Context<'_>, m: Message) -> Result<Box<dyn State>, Error> {
        let ch = require_handshake!(cx, m, "ClientHello", HandshakePayload::ClientHello(ch) => ch);
        let offer = self.check_offer(&ch)?;
        // Every later record carries exactly TLS 1.2.
        cx.core.set_record_version(ProtocolVersion::TLSv1_2);
        let server_random: [u8; 32] = cx.core.provider.array();

        if let Some(session) = self.find_session(&ch, &offer)? {
            return resume(cx, &offer, session, server_random);
        }

        let (suite, ecdhe) = self.choose_suite(&ch, &offer)?;
        let session_id = match self.config.session_cache {
            Some(_) => cx.core.provider.array::<32>().to_vec(),
            None => Vec::new(),
        };
        let neg = Negotiated {
            suite,
            params: suite_params(suite)?,
            client_random: offer.client_random,
            server_random,
            extended_master_secret: offer.extended_master_secret,
            session_id,
        };
        cx.core.send_handshake(server_hello(&neg, &offer, true))?;
        cx.core
            .send_handshake(HandshakeMessagePayload::new(HandshakePayload::Certificate(
                CertificatePayload(
                    self.config
                        .cert_chain
                        .iter()
                        .map(|c| crate::msgs::Asn1Cert(c.clone()))
                        .collect(),
                ),
            )))?;
        // RFC 6066 §8: "immediately after the Certificate message".
        if let Some(staple) = &offer.staple {
            cx.core.send_handshake(HandshakeMessagePayload::new(
                HandshakePayload::CertificateStatus(CertificateStatusPayload::Ocsp(
                    OcspResponseBytes(staple.clone()),
                )),
            ))?;
        }
        let kx = match ecdhe {
            Some(choice) => Some(self.send_server_key_exchange(cx, &neg, choice)?),
            None => None,
        };
        cx.core.send_handshake(HandshakeMessagePayload::new(
            HandshakePayload::ServerHelloDone,
        ))?;
        Ok(Box::new(ExpectClientKeyExchange {
            config: self.config,
            neg,
            client_version: offer.client_version,
            kx,
        }))
    }
}

impl ExpectClientHello {
    /// RFC 8422 §5.4: our ephemeral share in `choice.group`, signed over
    /// client_random ‖ server_random ‖ ServerECDHParams.
    fn send_server_key_exchange(
        &self,
        cx: &mut Context<'_>,
        neg: &Negotiated,
        choice: EcdheChoice,
    ) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let signer = self
            .config
            .signer
            .as_ref()
            .ok_or(Error::Internal("ECDHE chosen without a signer"))?;
        let seed: [u8; 32] = cx.core.provider.array();
        let kx = cx
            .core
            .provider
            .crypto()
            .key_exchange(choice.group, &seed)?;
        let params = ServerEcdhParams {
            named_group: choice.group,
            public: EcPoint(kx.public_share().to_vec()),
        };
        let message = ServerKeyExchangePayload::signed_message(
            &neg.client_random,
            &neg.server_random,
            &params,
        );
        let signature = signer.sign(choice.scheme, &message, &mut cx.core.provider)?;
        cx.core.send_handshake(HandshakeMessagePayload::new(
            HandshakePayload::ServerKeyExchange(ServerKeyExchangePayload {
                params,
                signed: DigitallySigned {
                    algorithm: choice.scheme.to_wire(),
                    signature: SignatureBytes(signature),
                },
            }),
        ))?;
        Ok(kx)
    }
}

/// `full`: a full handshake (Certificate follows), not a resumption.
fn server_hello(neg: &Negotiated, offer: &Offer, full: bool) -> HandshakeMessagePayload {
    let mut exts = Vec::new();
    // RFC 8422 §5.2: with an ECC suite, answer the client's ec_point_formats.
    if offer.sent_point_formats && neg.params.kx == KeyExchange::Ecdhe {
        exts.push(ServerExtension::EcPointFormats(vec![
            EcPointFormat::Uncompressed,
        ]));
    }
    if offer.secure_renegotiation {
        exts.push(ServerExtension::RenegotiationInfo(RenegotiatedConnection(
            Vec::new(),
        )));
    }
    if neg.extended_master_secret {
        exts.push(ServerExtension::ExtendedMasterSecret);
    }
    if full && offer.staple.is_some() {
        exts.push(ServerExtension::StatusRequestAck);
    }
    HandshakeMessagePayload::new(HandshakePayload::ServerHello(ServerHelloPayload {
        server_version: ProtocolVersion::TLSv1_2,
        random: Random(neg.server_random),
        session_id: SessionId(neg.session_id.clone()),
        cipher_suite: neg.suite,
        compression_method: Compression::Null,
        extensions: (!exts.is_empty()).then_some(exts),
    }))
}

/// The abbreviated handshake: ServerHello, CCS, Finished from us first.
fn resume(
    cx: &mut Context<'_>,
    offer: &Offer,
    session: Session,
    server_random: [u8; 32],
) -> Result<Box<dyn State>, Error> {
    let neg = Negotiated {
        suite: session.suite,
        params: suite_params(session.suite)?,
        client_random: offer.client_random,
        server_random,
        extended_master_secret: session.extended_master_secret,
        session_id: session.id.clone(),
    };
    // No Certificate, so no CertificateStatus and no status_request.
    cx.core.send_handshake(server_hello(&neg, offer, false))?;
    let keys = derive_keys(cx, &neg, &session.master_secret)?;
    cx.core.pending_read = Some(keys.theirs);
    cx.core.send_ccs(keys.ours)?;
    let fin = our_finished(cx, &neg, &session.master_secret);
    cx.core.send_handshake(fin)?;
    Ok(Box::new(ExpectCcs {
        neg,
        master: session.master_secret,
        our_keys_later: None,
        resumed: true,
    }))
}

struct ExpectClientKeyExchange {
    config: Arc<ServerConfig>,
    neg: Negotiated,
    client_version: ProtocolVersion,
    /// Our ephemeral key for an ECDHE suite; `None` for RSA key exchange.
    kx: Option<Box<dyn ActiveKeyExchange>>,
}

impl State for ExpectClientKeyExchange {
    fn id(&self) -> StateId {
        StateId::ExpectClientKeyExchange
    }

    fn awaits(&self) -> Awaits {
        Awaits {
            what: "ClientKeyExchange",
            handshake: &[HandshakeType::ClientKeyExchange],
        }
    }

    fn handle(self: Box<Self>, cx: &mut Context<'_>, m: Message) -> Result<Box<dyn State>, Error> {
        let cke = require_handshake!(cx, m, "ClientKeyExchange",
            HandshakePayload::ClientKeyExchange(cke) => cke);
        let master = match self.kx {
            Some(kx) => {
                // RFC 8422 §5.7: the client's ephemeral point, validated by
                // the key exchange (§5.11).
                let point = cke.ecdh()?;
                let shared = kx.complete(&point.0)?;
                super::master_secret(cx, &self.neg, &shared)
            }
            None => {
                let epms = cke.rsa()?;
                // RFC 5246 §7.4.7.1: draw the random premaster before
                // decrypting, and proceed with it on any failure,
                // indistinguishably.
                let random: [u8; crypto::rsa_kx::PREMASTER_LEN] = cx.core.provider.array();
                let premaster = crypto::decrypt_premaster(
                    &*self.config.key,
                    &mut cx.core.provider,
                    &epms.0,
                    self.client_version,
                    &random,
                );
                super::master_secret(cx, &self.neg, &premaster)
            }
        };
        let master = Arc::new(master);
        let keys = derive_keys(cx, &self.neg, &master)?;
        cx.core.pending_read = Some(keys.theirs);
        Ok(Box::new(ExpectCcs {
            neg: self.neg,
            master,
            our_keys_later: Some(keys.ours),
            resumed: false,
        }))
    }
}
