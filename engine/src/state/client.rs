//! The client's handshake: ClientHello sent at start → ExpectServerHello →
//! (full) ExpectCertificate → ExpectServerHelloDone (which also takes one
//! CertificateRequest) → ExpectCcs → ExpectFinished → Traffic, or (resumed)
//! ExpectCcs → ExpectFinished → Traffic.

use super::{
    derive_keys, master_secret, our_finished, require_handshake, suite_params, ExpectCcs,
    Negotiated,
};
use super::{Awaits, Message, State, StateId};
use crate::config::{ClientConfig, Session};
use crate::conn::{Context, Core};
use crate::crypto::{self, Premaster};
use crate::enums::{
    Compression, HandshakeType, HashAlgorithm, ProtocolVersion, ServerNameType, SignatureAlgorithm,
};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::{
    ClientExtension, ClientHelloPayload, EncryptedPreMasterSecret, HandshakeMessagePayload,
    HandshakePayload, HostName, Random, RenegotiatedConnection, ServerExtension, ServerName,
    SessionId, SignatureAndHashAlgorithm,
};
use std::sync::Arc;

/// Sends the ClientHello and returns the state awaiting ServerHello.
pub(crate) fn start(
    core: &mut Core,
    config: Arc<ClientConfig>,
    server_name: String,
    resume: Option<Session>,
) -> Result<Box<dyn State>, Error> {
    let random: [u8; 32] = core.provider.array();
    let mut exts = Vec::new();
    // RFC 6066 §3: literal IP addresses are not permitted in server_name.
    let sni = server_name.parse::<std::net::IpAddr>().is_err() && !server_name.is_empty();
    if sni {
        exts.push(ClientExtension::ServerName(vec![ServerName {
            name_type: ServerNameType::HostName,
            name: HostName(server_name.as_bytes().to_vec()),
        }]));
    }
    if config.extended_master_secret {
        exts.push(ClientExtension::ExtendedMasterSecret);
    }
    // RFC 5746 §3.4: signal secure renegotiation support.
    exts.push(ClientExtension::RenegotiationInfo(RenegotiatedConnection(
        Vec::new(),
    )));
    exts.push(ClientExtension::SignatureAlgorithms(
        [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ]
        .into_iter()
        .map(|hash| SignatureAndHashAlgorithm {
            hash,
            signature: SignatureAlgorithm::Rsa,
        })
        .collect(),
    ));
    let hello = ClientHelloPayload {
        client_version: ProtocolVersion::TLSv1_2,
        random: Random(random),
        session_id: SessionId(resume.as_ref().map(|s| s.id.clone()).unwrap_or_default()),
        cipher_suites: config.suites.clone(),
        compression_methods: vec![Compression::Null],
        extensions: Some(exts),
    };
    core.send_handshake(HandshakeMessagePayload::new(HandshakePayload::ClientHello(
        hello,
    )))?;
    Ok(Box::new(ExpectServerHello {
        config,
        server_name,
        client_random: random,
        sent_sni: sni,
        resume,
    }))
}

struct ExpectServerHello {
    config: Arc<ClientConfig>,
    server_name: String,
    client_random: [u8; 32],
    sent_sni: bool,
    resume: Option<Session>,
}

impl State for ExpectServerHello {
    fn id(&self) -> StateId {
        StateId::ExpectServerHello
    }

    fn awaits(&self) -> Awaits {
        Awaits {
            what: "ServerHello",
            handshake: &[HandshakeType::ServerHello],
        }
    }

    fn handle(self: Box<Self>, cx: &mut Context<'_>, m: Message) -> Result<Box<dyn State>, Error> {
        let sh = require_handshake!(cx, m, "ServerHello", HandshakePayload::ServerHello(sh) => sh);
        // RFC 5246 §7.4.1.3 / Appendix E.1: we offered exactly TLS 1.2.
        if sh.server_version != ProtocolVersion::TLSv1_2 {
            return Err(PeerMisbehaved::UnsupportedVersion(sh.server_version).into());
        }
        if !self.config.suites.contains(&sh.cipher_suite)
            || crypto::SuiteParams::for_suite(sh.cipher_suite).is_none()
        {
            return Err(PeerMisbehaved::SelectedUnofferedCipherSuite.into());
        }
        if sh.compression_method != Compression::Null {
            return Err(PeerMisbehaved::SelectedUnofferedCompression.into());
        }
        let mut ems = false;
        // RFC 5246 §7.4.1.4: only extensions we offered may come back.
        for ext in sh.extensions.as_deref().unwrap_or(&[]) {
            match ext {
                ServerExtension::ExtendedMasterSecret if self.config.extended_master_secret => {
                    ems = true
                }
                // RFC 5746 §3.4: on an initial handshake it must be empty.
                ServerExtension::RenegotiationInfo(ri) => {
                    if !ri.0.is_empty() {
                        return Err(PeerMisbehaved::RenegotiationInfoMismatch.into());
                    }
                }
                ServerExtension::ServerNameAck if self.sent_sni => {}
                other => {
                    return Err(PeerMisbehaved::UnsolicitedExtension(other.ext_type().0).into())
                }
            }
        }
        cx.core.set_record_version(ProtocolVersion::TLSv1_2);
        let neg = Negotiated {
            suite: sh.cipher_suite,
            params: suite_params(sh.cipher_suite)?,
            client_random: self.client_random,
            server_random: sh.random.0,
            extended_master_secret: ems,
            session_id: sh.session_id.0.clone(),
        };

        if let Some(session) = self
            .resume
            .filter(|s| !s.id.is_empty() && s.id == sh.session_id.0)
        {
            // RFC 5246 §7.4.1.3: a resumed session keeps its suite; RFC 7627
            // §5.3: and its EMS state.
            if session.suite != neg.suite {
                return Err(PeerMisbehaved::ResumedWithDifferentSuite.into());
            }
            if session.extended_master_secret != ems {
                return Err(PeerMisbehaved::ExtendedMasterSecretMismatch.into());
            }
            let keys = derive_keys(cx, &neg, &session.master_secret)?;
            cx.core.pending_read = Some(keys.theirs);
            return Ok(Box::new(ExpectCcs {
                neg,
                master: session.master_secret,
                our_keys_later: Some(keys.ours),
                resumed: true,
            }));
        }
        Ok(Box::new(ExpectCertificate {
            config: self.config,
            server_name: self.server_name,
            neg,
        }))
    }
}

struct ExpectCertificate {
    config: Arc<ClientConfig>,
    server_name: String,
    neg: Negotiated,
}

impl State for ExpectCertificate {
    fn id(&self) -> StateId {
        StateId::ExpectCertificate
    }

    fn awaits(&self) -> Awaits {
        Awaits {
            what: "Certificate",
            handshake: &[HandshakeType::Certificate],
        }
    }

    fn handle(self: Box<Self>, cx: &mut Context<'_>, m: Message) -> Result<Box<dyn State>, Error> {
        let chain = require_handshake!(cx, m, "Certificate",
            HandshakePayload::Certificate(c) => c);
        let chain: Vec<Vec<u8>> = chain.0.into_iter().map(|c| c.0).collect();
        let Some(leaf) = chain.first() else {
            return Err(PeerMisbehaved::EmptyCertificateChain.into());
        };
        self.config
            .verifier
            .verify(&chain, &self.server_name, cx.now)?;
        let server_key = crate::pki::leaf_public_key(leaf)?;
        cx.core.log_local("certificate chain verified", &[]);
        Ok(Box::new(ExpectServerHelloDone {
            neg: self.neg,
            server_key,
            certificate_requested: false,
        }))
    }
}

/// Awaits ServerHelloDone; before it, RFC 5246 §7.4.4 places at most one
/// CertificateRequest ("this message follows the server's Certificate
/// message" when, as with RSA key exchange, there is no ServerKeyExchange).
/// An abbreviated handshake never reaches this state, so a request there
/// (or anywhere else) is `unexpected_message`.
struct ExpectServerHelloDone {
    neg: Negotiated,
    server_key: rsa::PublicKey,
    /// A CertificateRequest came: RFC 5246 §7.4.6, "If no suitable
    /// certificate is available, the client MUST send a certificate message
    /// containing no certificates", as the first message after
    /// ServerHelloDone. We never have one (ClientConfig holds none), and
    /// with no certificate there is no CertificateVerify (§7.4.8).
    certificate_requested: bool,
}

impl State for ExpectServerHelloDone {
    fn id(&self) -> StateId {
        StateId::ExpectServerHelloDone
    }

    fn awaits(&self) -> Awaits {
        Awaits {
            what: "ServerHelloDone",
            handshake: if self.certificate_requested {
                &[HandshakeType::ServerHelloDone]
            } else {
                // RFC 5246 §7.4.4: at most one CertificateRequest first.
                &[
                    HandshakeType::CertificateRequest,
                    HandshakeType::ServerHelloDone,
                ]
            },
        }
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        m: Message,
    ) -> Result<Box<dyn State>, Error> {
        if let Message::Handshake {
            parsed:
                HandshakeMessagePayload {
                    payload: HandshakePayload::CertificateRequest(_),
                    ..
                },
            raw,
        } = &m
        {
            // A second one falls through to `unexpected_message` below.
            if !self.certificate_requested {
                cx.core.handshake_bytes.extend_from_slice(raw);
                cx.core.log_local(
                    "certificate requested; none configured: an empty Certificate \
                     will follow ServerHelloDone (RFC 5246 §7.4.6)",
                    &[],
                );
                self.certificate_requested = true;
                return Ok(self);
            }
        }
        require_handshake!(cx, m, "ServerHelloDone", HandshakePayload::ServerHelloDone => ());
        if self.certificate_requested {
            cx.core
                .send_handshake(HandshakeMessagePayload::new(HandshakePayload::Certificate(
                    crate::msgs::CertificatePayload(Vec::new()),
                )))?;
        }
        // RFC 5246 §7.4.7.1: the premaster starts with the version we offered.
        let mut pm: [u8; crypto::rsa_kx::PREMASTER_LEN] = cx.core.provider.array();
        pm[..2].copy_from_slice(&ProtocolVersion::TLSv1_2.0.to_be_bytes());
        let premaster = Premaster::from_bytes(pm);
        let encrypted = crypto::encrypt_premaster(
            &self.server_key,
            premaster.as_bytes(),
            &mut cx.core.provider,
        )?;
        cx.core.send_handshake(HandshakeMessagePayload::new(
            HandshakePayload::ClientKeyExchange(EncryptedPreMasterSecret(encrypted)),
        ))?;
        let master = Arc::new(master_secret(cx, &self.neg, &premaster));
        let keys = derive_keys(cx, &self.neg, &master)?;
        cx.core.pending_read = Some(keys.theirs);
        cx.core.send_ccs(keys.ours)?;
        let fin = our_finished(cx, &self.neg, &master);
        cx.core.send_handshake(fin)?;
        Ok(Box::new(ExpectCcs {
            neg: self.neg,
            master,
            our_keys_later: None,
            resumed: false,
        }))
    }
}
