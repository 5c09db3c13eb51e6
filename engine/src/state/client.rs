//! The client's handshake: ClientHello sent at start → ExpectServerHello →
//! (full) ExpectCertificate → (ECDHE) ExpectServerKeyExchange →
//! ExpectServerHelloDone (which also takes one CertificateRequest) →
//! ExpectCcs → ExpectFinished → Traffic, or (resumed) ExpectCcs →
//! ExpectFinished → Traffic.

use super::{
    derive_keys, master_secret, our_finished, require_handshake, suite_params, ExpectCcs,
    Negotiated,
};
use super::{Awaits, Message, State, StateId};
use crate::config::{ClientConfig, Session};
use crate::conn::{Context, Core};
use crate::crypto::kx::SharedSecret;
use crate::crypto::sig::{Scheme, SigError, SpkiKey};
use crate::crypto::{self, KeyExchange, Premaster};
use crate::enums::{
    Compression, EcPointFormat, HandshakeType, HashAlgorithm, ProtocolVersion, ServerNameType,
    SignatureAlgorithm,
};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::{
    CertificateStatusPayload, CertificateStatusRequest, ClientExtension, ClientHelloPayload,
    ClientKeyExchangePayload, EcPoint, EncryptedPreMasterSecret, HandshakeMessagePayload,
    HandshakePayload, HostName, Random, RenegotiatedConnection, ServerExtension,
    ServerKeyExchangePayload, ServerName, SessionId, SignatureAndHashAlgorithm,
};

/// Whether `config` offers an ECDHE suite: only then do supported_groups
/// and ec_point_formats go out, and signature_algorithms list every scheme
/// we verify. Otherwise the ClientHello is byte for byte what it was before
/// ECDHE (RSA PKCS#1 v1.5 with SHA-256/384/512 only).
fn offers_ecdhe(config: &ClientConfig) -> bool {
    config
        .suites
        .iter()
        .any(|s| crypto::SuiteParams::for_suite(*s).is_some_and(|p| p.kx == KeyExchange::Ecdhe))
}

/// The signature_algorithms we offer (RFC 5246 §7.4.1.4.1).
fn offered_schemes(config: &ClientConfig) -> Vec<SignatureAndHashAlgorithm> {
    if offers_ecdhe(config) {
        Scheme::ALL.iter().map(|s| s.to_wire()).collect()
    } else {
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
        .collect()
    }
}
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
    exts.push(ClientExtension::SignatureAlgorithms(offered_schemes(
        &config,
    )));
    if config.ocsp_stapling {
        exts.push(ClientExtension::StatusRequest(
            CertificateStatusRequest::ocsp(),
        ));
    }
    if offers_ecdhe(&config) {
        // RFC 8422 §5.1: the groups we accept, and uncompressed points only.
        exts.push(ClientExtension::SupportedGroups(config.groups.clone()));
        exts.push(ClientExtension::EcPointFormats(vec![
            EcPointFormat::Uncompressed,
        ]));
    }
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
        let mut status_acked = false;
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
                // RFC 6066 §8: the server may send CertificateStatus.
                ServerExtension::StatusRequestAck if self.config.ocsp_stapling => {
                    status_acked = true
                }
                // RFC 8422 §5.2: allowed when we offered it; its list, like
                // ours, must include uncompressed (§5.1.2).
                ServerExtension::EcPointFormats(f) if offers_ecdhe(&self.config) => {
                    if !f.contains(&EcPointFormat::Uncompressed) {
                        return Err(PeerMisbehaved::UncompressedPointFormatMissing.into());
                    }
                }
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
            status_acked,
        }))
    }
}

struct ExpectCertificate {
    config: Arc<ClientConfig>,
    server_name: String,
    neg: Negotiated,
    /// The ServerHello carried status_request: CertificateStatus may follow.
    status_acked: bool,
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
        if chain.is_empty() {
            return Err(PeerMisbehaved::EmptyCertificateChain.into());
        }
        if self.status_acked {
            // The chain is judged with the staple, or once the server has
            // shown it sends none.
            return Ok(Box::new(ExpectCertificateStatus {
                config: self.config,
                server_name: self.server_name,
                neg: self.neg,
                chain,
            }));
        }
        verify_then_expect_key_exchange(cx, self.config, &self.server_name, self.neg, chain, None)
    }
}

/// Awaits CertificateStatus (RFC 6066 §8) after the server acknowledged
/// status_request. "A server MAY also choose not to send" it, so the
/// message that would follow Certificate is taken too, after verifying
/// the chain without a staple.
struct ExpectCertificateStatus {
    config: Arc<ClientConfig>,
    server_name: String,
    neg: Negotiated,
    chain: Vec<Vec<u8>>,
}

impl State for ExpectCertificateStatus {
    fn id(&self) -> StateId {
        StateId::ExpectCertificateStatus
    }

    fn awaits(&self) -> Awaits {
        Awaits {
            what: "CertificateStatus",
            handshake: &[
                HandshakeType::CertificateStatus,
                HandshakeType::ServerKeyExchange,
                HandshakeType::CertificateRequest,
                HandshakeType::ServerHelloDone,
            ],
        }
    }

    fn handle(self: Box<Self>, cx: &mut Context<'_>, m: Message) -> Result<Box<dyn State>, Error> {
        let is_status = matches!(
            &m,
            Message::Handshake {
                parsed: HandshakeMessagePayload {
                    payload: HandshakePayload::CertificateStatus(_),
                    ..
                },
                ..
            }
        );
        if !is_status {
            let next = verify_then_expect_key_exchange(
                cx,
                self.config,
                &self.server_name,
                self.neg,
                self.chain,
                None,
            )?;
            return next.handle(cx, m);
        }
        let status = require_handshake!(cx, m, "CertificateStatus",
            HandshakePayload::CertificateStatus(s) => s);
        let response = match status {
            CertificateStatusPayload::Ocsp(r) => r.0,
            // §8: the status_type is the one we asked for (ocsp).
            CertificateStatusPayload::Other { status_type, .. } => {
                return Err(PeerMisbehaved::UnrequestedStatusType(status_type).into())
            }
        };
        verify_then_expect_key_exchange(
            cx,
            self.config,
            &self.server_name,
            self.neg,
            self.chain,
            Some(&response),
        )
    }
}

/// Verifies the server's chain (with its staple, if any) and moves on to
/// what the key exchange awaits next.
fn verify_then_expect_key_exchange(
    cx: &mut Context<'_>,
    config: Arc<ClientConfig>,
    server_name: &str,
    neg: Negotiated,
    chain: Vec<Vec<u8>>,
    staple: Option<&[u8]>,
) -> Result<Box<dyn State>, Error> {
    let Some(leaf) = chain.first() else {
        return Err(PeerMisbehaved::EmptyCertificateChain.into());
    };
    config
        .verifier
        .verify(&chain, server_name, staple, cx.now)?;
    cx.core.log_local("certificate chain verified", &[]);
    match neg.params.kx {
        KeyExchange::Rsa => {
            let server_key = crate::pki::leaf_public_key(leaf)?;
            Ok(Box::new(ExpectServerHelloDone {
                neg,
                kx: ClientKx::Rsa(server_key),
                certificate_requested: false,
            }))
        }
        KeyExchange::Ecdhe => {
            // The leaf's key signs ServerKeyExchange; it must be of the
            // suite's kind (RFC 8422 §5.3: ECDSA-capable for
            // ECDHE_ECDSA, RSA for ECDHE_RSA).
            let spki = crypto::sig::leaf_spki(leaf)?;
            let kind = SpkiKey::from_der(&spki)
                .map_err(|_| PeerMisbehaved::CertificateKeyMismatch)?
                .kind();
            if kind != neg.params.auth {
                return Err(PeerMisbehaved::CertificateKeyMismatch.into());
            }
            Ok(Box::new(ExpectServerKeyExchange { config, neg, spki }))
        }
    }
}

/// Awaits ServerKeyExchange in an ECDHE suite (RFC 8422 §5.4): it must
/// follow Certificate; a ServerHelloDone or CertificateRequest instead is
/// `unexpected_message` (RFC 5246 §7.4.3: the message "will be sent
/// immediately after the server Certificate message" for ECDHE).
struct ExpectServerKeyExchange {
    config: Arc<ClientConfig>,
    neg: Negotiated,
    /// The leaf's SubjectPublicKeyInfo, DER.
    spki: Vec<u8>,
}

impl State for ExpectServerKeyExchange {
    fn id(&self) -> StateId {
        StateId::ExpectServerKeyExchange
    }

    fn awaits(&self) -> Awaits {
        Awaits {
            what: "ServerKeyExchange",
            handshake: &[HandshakeType::ServerKeyExchange],
        }
    }

    fn handle(self: Box<Self>, cx: &mut Context<'_>, m: Message) -> Result<Box<dyn State>, Error> {
        let ske = require_handshake!(cx, m, "ServerKeyExchange",
            HandshakePayload::ServerKeyExchange(ske) => ske);
        let group = ske.params.named_group;
        // RFC 8422 §5.4: the curve must be one we offered.
        if !self.config.groups.contains(&group) || crypto::kx::share_len(group).is_none() {
            return Err(PeerMisbehaved::GroupNotOffered(group).into());
        }
        // RFC 5246 §7.4.1.4.1: a pair we offered, for the leaf's key kind.
        let alg = ske.signed.algorithm;
        let scheme = Scheme::from_wire(alg)
            .filter(|s| {
                s.key_kind() == self.neg.params.auth && offered_schemes(&self.config).contains(&alg)
            })
            .ok_or(PeerMisbehaved::SignatureAlgorithmNotOffered(alg))?;
        let message = ServerKeyExchangePayload::signed_message(
            &self.neg.client_random,
            &self.neg.server_random,
            &ske.params,
        );
        cx.core
            .provider
            .crypto()
            .verify_signature(&self.spki, scheme, &message, &ske.signed.signature.0)
            .map_err(|e| match e {
                SigError::BadSignature => PeerMisbehaved::BadServerKeyExchangeSignature,
                SigError::WrongKeyKind => PeerMisbehaved::SignatureAlgorithmNotOffered(alg),
                SigError::UnsupportedKey => PeerMisbehaved::CertificateKeyMismatch,
            })?;
        cx.core
            .log_local("ServerKeyExchange signature verified", &[]);
        // Our share, and the shared secret now: the server's point is
        // validated (RFC 8422 §5.11) before we answer anything.
        let seed: [u8; 32] = cx.core.provider.array();
        let kx = cx.core.provider.crypto().key_exchange(group, &seed)?;
        let share = kx.public_share().to_vec();
        let shared = kx.complete(&ske.params.public.0)?;
        Ok(Box::new(ExpectServerHelloDone {
            neg: self.neg,
            kx: ClientKx::Ecdhe { share, shared },
            certificate_requested: false,
        }))
    }
}

/// What the client's ClientKeyExchange will carry.
enum ClientKx {
    /// The server's RSA key, to encrypt a fresh premaster to.
    Rsa(rsa::PublicKey),
    /// Our ECDH share and the secret already agreed with the server's.
    Ecdhe {
        share: Vec<u8>,
        shared: SharedSecret,
    },
}

/// Awaits ServerHelloDone; before it, RFC 5246 §7.4.4 places at most one
/// CertificateRequest ("this message follows the server's Certificate
/// message" when, as with RSA key exchange, there is no ServerKeyExchange).
/// An abbreviated handshake never reaches this state, so a request there
/// (or anywhere else) is `unexpected_message`.
struct ExpectServerHelloDone {
    neg: Negotiated,
    kx: ClientKx,
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
        let master = match self.kx {
            ClientKx::Rsa(server_key) => {
                // RFC 5246 §7.4.7.1: the premaster starts with the version
                // we offered.
                let mut pm: [u8; crypto::rsa_kx::PREMASTER_LEN] = cx.core.provider.array();
                pm[..2].copy_from_slice(&ProtocolVersion::TLSv1_2.0.to_be_bytes());
                let premaster = Premaster::from_bytes(pm);
                let encrypted = crypto::encrypt_premaster(
                    &server_key,
                    premaster.as_bytes(),
                    &mut cx.core.provider,
                )?;
                cx.core.send_handshake(HandshakeMessagePayload::new(
                    HandshakePayload::ClientKeyExchange(ClientKeyExchangePayload::from_rsa(
                        &EncryptedPreMasterSecret(encrypted),
                    )),
                ))?;
                master_secret(cx, &self.neg, &premaster)
            }
            ClientKx::Ecdhe { share, shared } => {
                // RFC 8422 §5.7: our ephemeral point.
                cx.core.send_handshake(HandshakeMessagePayload::new(
                    HandshakePayload::ClientKeyExchange(ClientKeyExchangePayload::from_ecdh(
                        &EcPoint(share),
                    )),
                ))?;
                master_secret(cx, &self.neg, &shared)
            }
        };
        let master = Arc::new(master);
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
