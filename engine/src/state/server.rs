//! The server's handshake: ExpectClientHello → (full) ExpectClientKeyExchange
//! → ExpectCcs → ExpectFinished → Traffic, or (resumed) ExpectCcs →
//! ExpectFinished → Traffic.

use super::{derive_keys, our_finished, require_handshake, suite_params, ExpectCcs, Negotiated};
use super::{Awaits, Message, State, StateId};
use crate::config::{ServerConfig, Session};
use crate::conn::Context;
use crate::crypto;
use crate::enums::{CipherSuite, Compression, HandshakeType, ProtocolVersion};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::{
    CertificatePayload, ClientExtension, ClientHelloPayload, HandshakeMessagePayload,
    HandshakePayload, Random, RenegotiatedConnection, ServerExtension, ServerHelloPayload,
    SessionId,
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
        for ext in exts {
            match ext {
                ClientExtension::RenegotiationInfo(ri) => {
                    if !ri.0.is_empty() {
                        return Err(PeerMisbehaved::RenegotiationInfoMismatch.into());
                    }
                    secure_renegotiation = true;
                }
                ClientExtension::ExtendedMasterSecret => ems = true,
                _ => {}
            }
        }
        Ok(Offer {
            client_version: v,
            client_random: ch.random.0,
            secure_renegotiation,
            extended_master_secret: ems && self.config.extended_master_secret,
        })
    }

    fn choose_suite(&self, ch: &ClientHelloPayload) -> Result<CipherSuite, Error> {
        self.config
            .suites
            .iter()
            .copied()
            .find(|s| ch.cipher_suites.contains(s) && crypto::SuiteParams::for_suite(*s).is_some())
            .ok_or_else(|| PeerMisbehaved::NoCommonCipherSuite.into())
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

        let suite = self.choose_suite(&ch)?;
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
        cx.core.send_handshake(server_hello(&neg, &offer))?;
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
        cx.core.send_handshake(HandshakeMessagePayload::new(
            HandshakePayload::ServerHelloDone,
        ))?;
        Ok(Box::new(ExpectClientKeyExchange {
            config: self.config,
            neg,
            client_version: offer.client_version,
        }))
    }
}

fn server_hello(neg: &Negotiated, offer: &Offer) -> HandshakeMessagePayload {
    let mut exts = Vec::new();
    if offer.secure_renegotiation {
        exts.push(ServerExtension::RenegotiationInfo(RenegotiatedConnection(
            Vec::new(),
        )));
    }
    if neg.extended_master_secret {
        exts.push(ServerExtension::ExtendedMasterSecret);
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
    cx.core.send_handshake(server_hello(&neg, offer))?;
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
        let epms = require_handshake!(cx, m, "ClientKeyExchange",
            HandshakePayload::ClientKeyExchange(epms) => epms);
        // RFC 5246 §7.4.7.1: draw the random premaster before decrypting, and
        // proceed with it on any failure, indistinguishably.
        let random: [u8; crypto::rsa_kx::PREMASTER_LEN] = cx.core.provider.array();
        let premaster = crypto::decrypt_premaster(
            &*self.config.key,
            &mut cx.core.provider,
            &epms.0,
            self.client_version,
            &random,
        );
        let master = Arc::new(super::master_secret(cx, &self.neg, &premaster));
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
