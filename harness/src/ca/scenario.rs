//! One revocation case's CA, staged when the case runs: a leaf and an
//! intermediate reissued with AIA and CDP URLs that point at the loopback
//! responder ([`super::responder`]), the routes behind those URLs, and the
//! staple, all in times relative to the client's validation time (the
//! in-memory client's fixed time, or the system clock for a real client).
//! The plan is data ([`RevocationScript`]); [`stage`] turns it into bytes
//! and routes, and the routes go when the [`Staged`] value is dropped.

use super::cert::{reissue, ReissueSpec};
use super::crl::CrlSpec;
use super::ocsp::{OcspResponseSpec, Signer};
use super::responder::{request_nonce, Behaviour, Reply, Responder};
use crate::case::Expect;
use gauntlet_engine::crypto::rsa_kx::private_key_from_pem;
use gauntlet_engine::pki::pem::der_blocks;
use gauntlet_engine::pki::RevocationPolicy;
use gauntlet_engine::Provider;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Who signs an OCSP response (RFC 6960 §4.2.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignerSpec {
    /// The CA that issued the leaf.
    Issuer,
    /// A delegated responder of `vectors/ocsp/` (made by
    /// `vectors/gen/gen_ocsp.py`), its certificate in `certs`.
    Delegate(Delegate),
    /// The delegated responder with id-kp-OCSPSigning, left out of `certs`.
    DelegateNotIncluded,
    /// Named as the issuer (byName), signed by another key (the leaf's).
    WrongKey,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delegate {
    /// Issued by the intermediate, with id-kp-OCSPSigning.
    Authorized,
    /// Issued by the intermediate, without id-kp-OCSPSigning.
    NoEku,
    /// With id-kp-OCSPSigning, issued by the root, not by the leaf's CA.
    OtherCa,
}

/// One OCSP response about the leaf.
#[derive(Clone, Debug)]
pub struct ResponsePlan {
    /// Applied to `OcspResponseSpec::good(now)` with `now`.
    pub tweak: fn(&mut OcspResponseSpec, u64),
    pub signer: SignerSpec,
    /// Applied to the built DER (truncation, trailing bytes).
    pub mangle: Option<fn(&mut Vec<u8>)>,
}

impl ResponsePlan {
    pub fn new(tweak: fn(&mut OcspResponseSpec, u64)) -> Self {
        Self {
            tweak,
            signer: SignerSpec::Issuer,
            mangle: None,
        }
    }
}

/// What an AIA OCSP URL does.
#[derive(Clone, Debug)]
pub enum OcspRoute {
    /// Answers every request with this response, echoing the request's
    /// nonce unless the plan sets one.
    Answer(ResponsePlan),
    /// Answers with these bytes as an OCSP response (not one).
    Body(Vec<u8>),
    /// Answers with this HTTP status and no body.
    Status(u16),
    /// Says nothing for [`SILENT`], then closes.
    Silent,
    /// Sends 10 MB.
    Huge,
    /// The URL names a loopback port nobody listens on.
    Down,
}

/// What a CDP URL does.
#[derive(Clone, Debug)]
pub enum CrlRoute {
    /// A CRL: `CrlSpec::good(now)` with `tweak(spec, now, serial)` applied
    /// (`serial`: the certificate the CDP belongs to), signed by the issuer
    /// or, if `wrong_key`, by another key under the issuer's name.
    Crl {
        tweak: fn(&mut CrlSpec, u64, &[u8]),
        wrong_key: bool,
    },
    /// These bytes, served as a CRL.
    Body(Vec<u8>),
    /// The URL names a loopback port nobody listens on.
    Down,
}

impl CrlRoute {
    pub fn good() -> Self {
        CrlRoute::Crl {
            tweak: |_, _, _| {},
            wrong_key: false,
        }
    }
}

/// The outcome a case requires of a client under each revocation policy
/// (the target's, declared with `--revocation`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyExpect {
    pub off: Expect,
    pub soft: Expect,
    pub hard: Expect,
}

impl PolicyExpect {
    pub fn under(&self, policy: RevocationPolicy) -> &Expect {
        match policy {
            RevocationPolicy::Off => &self.off,
            RevocationPolicy::CheckIfPresent => &self.soft,
            RevocationPolicy::RequireStatus => &self.hard,
        }
    }
}

/// What the CA does in one case.
#[derive(Clone, Debug)]
pub struct RevocationScript {
    /// The staple (CertificateStatus), if any, for a client that asks.
    pub staple: Option<ResponsePlan>,
    /// The leaf's AIA OCSP responder; `None`: the leaf has no AIA.
    pub leaf_ocsp: Option<OcspRoute>,
    /// The leaf's CDP (the intermediate's CRL); `None`: no CDP.
    pub leaf_crl: Option<CrlRoute>,
    /// The intermediate's CDP (the root's CRL): every case has one, so a
    /// hard-fail client can learn the intermediate's status.
    pub int_crl: CrlRoute,
    pub expect: PolicyExpect,
}

/// How long a silent responder holds a connection: past every client's
/// fetch timeout we know of (Java 15 s, ours 5 s), bounded.
pub const SILENT: Duration = Duration::from_secs(20);
/// What a huge responder sends.
pub const HUGE: usize = 10 << 20;

/// A staged case: what the scripted server sends; its routes are removed
/// on drop.
#[derive(Debug)]
pub struct Staged {
    /// Leaf, intermediate (both reissued).
    pub chain: Vec<Vec<u8>>,
    pub staple: Option<Vec<u8>>,
    prefix: String,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Ok(r) = responder() {
            r.remove_prefix(&self.prefix);
        }
    }
}

/// The CA's keys and templates, loaded once.
struct Pki {
    root: Signer,
    int: Signer,
    leaf_template: Vec<u8>,
    leaf_key: Arc<rsa::PrivateKey>,
    delegate: Signer,
    delegate_noeku: Signer,
    delegate_other_ca: Signer,
}

fn pki() -> Result<&'static Pki, String> {
    static PKI: OnceLock<Result<Pki, String>> = OnceLock::new();
    PKI.get_or_init(|| {
        let first = |pem: &[u8]| -> Result<Vec<u8>, String> {
            der_blocks(pem, "CERTIFICATE")
                .map_err(|e| format!("{e:?}"))?
                .into_iter()
                .next()
                .ok_or_else(|| "no certificate".to_string())
        };
        let signer = |pem: &[u8], key: &str| -> Result<Signer, String> {
            Ok(Signer {
                cert: first(pem)?,
                key: Arc::new(private_key_from_pem(key).map_err(|e| format!("{e:?}"))?),
            })
        };
        Ok(Pki {
            root: Signer::test_root()?,
            int: Signer::test_intermediate()?,
            leaf_template: first(crate::builtin::LEAF_PEM)?,
            leaf_key: Arc::new(
                private_key_from_pem(crate::builtin::LEAF_KEY_PEM).map_err(|e| format!("{e:?}"))?,
            ),
            delegate: signer(
                include_bytes!("../../../vectors/ocsp/responder.pem"),
                include_str!("../../../vectors/ocsp/responder.key"),
            )?,
            delegate_noeku: signer(
                include_bytes!("../../../vectors/ocsp/responder-noeku.pem"),
                include_str!("../../../vectors/ocsp/responder-noeku.key"),
            )?,
            delegate_other_ca: signer(
                include_bytes!("../../../vectors/ocsp/responder-rootissued.pem"),
                include_str!("../../../vectors/ocsp/responder-rootissued.key"),
            )?,
        })
    })
    .as_ref()
    .map_err(|e| format!("the CA's test PKI: {e}"))
}

/// The one loopback responder of this process, started on first use.
pub fn responder() -> Result<&'static Responder, String> {
    static R: OnceLock<Result<Responder, String>> = OnceLock::new();
    R.get_or_init(|| Responder::start().map_err(|e| format!("the CA's responder: {e}")))
        .as_ref()
        .map_err(Clone::clone)
}

/// A URL on a loopback port that was free a moment ago (nobody listens).
fn down_url(path: &str) -> Result<String, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = l.local_addr().map_err(|e| e.to_string())?.port();
    Ok(format!("http://127.0.0.1:{port}{path}"))
}

fn signer_of(spec: SignerSpec, pki: &Pki) -> (Signer, bool) {
    match spec {
        SignerSpec::Issuer => (pki.int.clone(), false),
        SignerSpec::Delegate(Delegate::Authorized) => (pki.delegate.clone(), true),
        SignerSpec::Delegate(Delegate::NoEku) => (pki.delegate_noeku.clone(), true),
        SignerSpec::Delegate(Delegate::OtherCa) => (pki.delegate_other_ca.clone(), true),
        SignerSpec::DelegateNotIncluded => (pki.delegate.clone(), false),
        SignerSpec::WrongKey => (
            Signer {
                cert: pki.int.cert.clone(),
                key: pki.leaf_key.clone(),
            },
            false,
        ),
    }
}

/// The response `plan` describes about `leaf`, with `nonce` unless the
/// plan sets its own.
fn build_response(
    plan: &ResponsePlan,
    leaf: &[u8],
    now: u64,
    nonce: Option<Vec<u8>>,
) -> Result<Vec<u8>, String> {
    let pki = pki()?;
    let mut spec = OcspResponseSpec::good(now);
    (plan.tweak)(&mut spec, now);
    if spec.nonce.is_none() {
        spec.nonce = nonce;
    }
    let (signer, include) = signer_of(plan.signer, pki);
    spec.include_signer_cert |= include;
    let mut rng = Provider::from_seed([0x0c; 32]);
    let mut der = spec.build(leaf, &pki.int.cert, &signer, &mut rng)?;
    if let Some(mangle) = plan.mangle {
        mangle(&mut der);
    }
    Ok(der)
}

fn build_crl(
    route: &CrlRoute,
    issuer: &Signer,
    now: u64,
    serial: &[u8],
) -> Result<Option<Vec<u8>>, String> {
    Ok(match route {
        CrlRoute::Crl { tweak, wrong_key } => {
            let mut spec = CrlSpec::good(now);
            tweak(&mut spec, now, serial);
            let signer = if *wrong_key {
                Signer {
                    cert: issuer.cert.clone(),
                    key: pki()?.leaf_key.clone(),
                }
            } else {
                issuer.clone()
            };
            let mut rng = Provider::from_seed([0x0d; 32]);
            Some(spec.build(&signer, &mut rng)?)
        }
        CrlRoute::Body(b) => Some(b.clone()),
        CrlRoute::Down => None,
    })
}

/// Issues the case's certificates and puts its routes up. `case` names the
/// routes' prefix (a counter keeps concurrent runs apart).
pub fn stage(plan: &RevocationScript, now: u64, case: &str) -> Result<Staged, String> {
    static N: AtomicU64 = AtomicU64::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let pki = pki()?;
    let r = responder()?;
    let safe: String = case
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(80)
        .collect();
    let prefix = format!("/{safe}-{n}/");
    let mut staged = Staged {
        chain: Vec::new(),
        staple: None,
        prefix: prefix.clone(),
    };
    let path = |p: &str| format!("{prefix}{p}");
    let url_of = |p: &str, down: bool| {
        if down {
            down_url(&path(p))
        } else {
            Ok(r.url(&path(p)))
        }
    };
    let mut rng = Provider::from_seed([0x0e; 32]);
    // Serials: 0x6a, the run's counter; the intermediate's with 0x69.
    let serial = |tag: u8| {
        let mut s = vec![tag];
        s.extend_from_slice(&n.to_be_bytes());
        s
    };
    let (int_serial, leaf_serial) = (serial(0x69), serial(0x6a));

    let int = reissue(
        &pki.int.cert,
        &pki.root,
        &ReissueSpec {
            serial: int_serial.clone(),
            ocsp_urls: vec![],
            crl_urls: vec![url_of("root.crl", matches!(plan.int_crl, CrlRoute::Down))?],
        },
        &mut rng,
    )?;
    let mut ocsp_urls = Vec::new();
    if let Some(route) = &plan.leaf_ocsp {
        ocsp_urls.push(url_of("ocsp", matches!(route, OcspRoute::Down))?);
    }
    let mut crl_urls = Vec::new();
    if let Some(route) = &plan.leaf_crl {
        crl_urls.push(url_of("int.crl", matches!(route, CrlRoute::Down))?);
    }
    let leaf = reissue(
        &pki.leaf_template,
        &pki.int,
        &ReissueSpec {
            serial: leaf_serial.clone(),
            ocsp_urls,
            crl_urls,
        },
        &mut rng,
    )?;

    if let Some(crl) = build_crl(&plan.int_crl, &pki.root, now, &int_serial)? {
        r.route(&path("root.crl"), Behaviour::Reply(Reply::crl(crl)));
    }
    if let Some(route) = &plan.leaf_crl {
        if let Some(crl) = build_crl(route, &pki.int, now, &leaf_serial)? {
            r.route(&path("int.crl"), Behaviour::Reply(Reply::crl(crl)));
        }
    }
    if let Some(route) = &plan.leaf_ocsp {
        let behaviour = match route {
            OcspRoute::Answer(p) => {
                let (p, leaf) = (p.clone(), leaf.clone());
                // Built once here so that a plan that cannot be built fails
                // the staging, not each request.
                let fallback = build_response(&p, &leaf, now, None)?;
                Behaviour::Ocsp(Arc::new(move |req: &[u8]| {
                    let der = match request_nonce(req) {
                        Some(nonce) => build_response(&p, &leaf, now, Some(nonce))
                            .unwrap_or_else(|_| fallback.clone()),
                        None => fallback.clone(),
                    };
                    Reply::ocsp(der)
                }))
            }
            OcspRoute::Body(b) => Behaviour::Reply(Reply::ocsp(b.clone())),
            OcspRoute::Status(s) => Behaviour::Reply(Reply::status(*s)),
            OcspRoute::Silent => Behaviour::Silent(SILENT),
            OcspRoute::Huge => Behaviour::Huge { len: HUGE },
            OcspRoute::Down => Behaviour::Close,
        };
        if !matches!(route, OcspRoute::Down) {
            r.route(&path("ocsp"), behaviour);
        }
    }
    let staple = match &plan.staple {
        Some(p) => Some(build_response(p, &leaf, now, None)?),
        None => None,
    };
    staged.chain = vec![leaf, int];
    staged.staple = staple;
    Ok(staged)
}

/// The requests the case's routes got so far (for reports: did the client
/// fetch at all?).
pub fn requests_of(staged: &Staged) -> usize {
    responder().map_or(0, |r| r.requests(&staged.prefix).len())
}
