//! Revocation, client role (issue 12): the scripted server with its CA
//! (`ca::scenario`). Each case reissues the test leaf and intermediate with
//! AIA and CDP URLs on the CA's loopback responder and says what the CA
//! answers: a stapled OCSP response (RFC 6066 §8), the leaf's OCSP
//! responder (RFC 6960), the intermediate's CRL and the root's (RFC 5280
//! §6.3). Every case states its outcome under each revocation policy; the
//! target's policy is what its user declares (`--revocation`):
//! - off: the client neither asks for a status nor checks one;
//! - soft: it asks for a staple, fetches, checks what it gets, and passes a
//!   certificate whose status it cannot learn;
//! - hard: the same, but every certificate of the path needs a status.
//!
//! # Expectations (the policy of `suites`, applied)
//! - A staple the client asked for "MUST" be checked and an unsatisfactory
//!   one ends the handshake with bad_certificate_status_response (RFC 6066
//!   §8), under soft and hard alike: a response that does not verify, is
//!   not current, names another certificate, or is not a status at all
//!   (an error responseStatus).
//! - "revoked", stapled or fetched, is certificate_revoked (RFC 5246
//!   §7.2.2: "a certificate was revoked by its signer").
//! - No answer (a responder down, silent, too big, an HTTP error, an error
//!   responseStatus, "unknown"): soft passes, hard refuses. No RFC names
//!   that alert; certificate_unknown ("some other (unspecified) issue") is
//!   what the engine and Java send, bad_certificate what OpenSSL's verify
//!   callback maps a failed check to.
//! - A fetched answer or CRL that cannot be used (bad signature, stale,
//!   malformed): RFC 6960 §3.2 and RFC 5280 §6.3.3 only say it is not to be
//!   accepted; whether that fails the connection is the client's policy.
//!   Hard refuses; soft may pass (mozilla::pkix soft-fails it) or refuse
//!   (Java's PKIX SOFT_FAIL forgives network errors only).

use super::alert;
use crate::ca::scenario::{
    CrlRoute, Delegate, OcspRoute, PolicyExpect, ResponsePlan, RevocationScript, SignerSpec,
};
use crate::ca::{CertIdHashSpec, OcspResponseSpec, ResponderIdSpec, StatusSpec};
use crate::case::{Expect, TestCase};
use crate::peer::server::{ServerBugs, ServerScript};
use gauntlet_engine::enums::AlertDescription as A;
use std::sync::Arc;

/// What an OCSP response says, for the expectations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Says {
    Good,
    Revoked,
    /// "unknown": the responder does not know the certificate.
    Unknown,
    /// An error responseStatus (tryLater, ...), or no answer: no status.
    Nothing,
    /// Not acceptable: fails verification or is not current.
    Unusable,
}

const DAY: u64 = 86_400;

/// (name, clause, plan, what it says).
fn responses() -> Vec<(&'static str, &'static str, ResponsePlan, Says)> {
    let plan = ResponsePlan::new;
    let signed_by = |signer, tweak: fn(&mut OcspResponseSpec, u64)| ResponsePlan {
        signer,
        ..ResponsePlan::new(tweak)
    };
    let mangled = |mangle: fn(&mut Vec<u8>)| ResponsePlan {
        mangle: Some(mangle),
        ..ResponsePlan::new(|_, _| {})
    };
    let status = |s: u8| -> fn(&mut OcspResponseSpec, u64) {
        match s {
            1 => |r, _| r.response_status = 1,
            2 => |r, _| r.response_status = 2,
            3 => |r, _| r.response_status = 3,
            _ => |r, _| r.response_status = 6,
        }
    };
    vec![
        ("Good", "RFC 6960 §2.2", plan(|_, _| {}), Says::Good),
        (
            "Revoked",
            "RFC 6960 §2.2",
            plan(|r, now| {
                r.status = StatusSpec::Revoked {
                    at: now - DAY,
                    reason: Some(1),
                }
            }),
            Says::Revoked,
        ),
        (
            "RevokedNoReason",
            "RFC 6960 §2.2, §4.2.1 (revocationReason OPTIONAL)",
            plan(|r, now| {
                r.status = StatusSpec::Revoked {
                    at: now - DAY,
                    reason: None,
                }
            }),
            Says::Revoked,
        ),
        (
            "Unknown",
            "RFC 6960 §2.2 (unknown)",
            plan(|r, _| r.status = StatusSpec::Unknown),
            Says::Unknown,
        ),
        (
            "Expired",
            "RFC 6960 §3.2 (6) (nextUpdate in the past)",
            plan(|r, now| {
                r.produced_at = now - 3 * DAY;
                r.this_update = now - 3 * DAY;
                r.next_update = Some(now - DAY);
            }),
            Says::Unusable,
        ),
        (
            "NotYetValid",
            "RFC 6960 §3.2 (5) (thisUpdate in the future)",
            plan(|r, now| {
                r.this_update = now + DAY;
                r.next_update = Some(now + 2 * DAY);
            }),
            Says::Unusable,
        ),
        (
            "NoNextUpdate",
            "RFC 6960 §4.2.2.1 (no nextUpdate: newer information always available)",
            plan(|r, _| r.next_update = None),
            Says::Good,
        ),
        (
            "WrongKey",
            "RFC 6960 §3.2 (2) (signature)",
            signed_by(SignerSpec::WrongKey, |_, _| {}),
            Says::Unusable,
        ),
        (
            "CorruptSignature",
            "RFC 6960 §3.2 (2) (signature)",
            plan(|r, _| r.corrupt_signature = true),
            Says::Unusable,
        ),
        (
            "DelegatedResponder",
            "RFC 6960 §4.2.2.2 (authorized responder)",
            signed_by(SignerSpec::Delegate(Delegate::Authorized), |_, _| {}),
            Says::Good,
        ),
        (
            "DelegatedWithoutOcspSigning",
            "RFC 6960 §4.2.2.2 (id-kp-OCSPSigning MUST)",
            signed_by(SignerSpec::Delegate(Delegate::NoEku), |_, _| {}),
            Says::Unusable,
        ),
        (
            "DelegatedByAnotherCa",
            "RFC 6960 §4.2.2.2 (issued directly by the CA)",
            signed_by(SignerSpec::Delegate(Delegate::OtherCa), |_, _| {}),
            Says::Unusable,
        ),
        (
            "DelegatedCertificateMissing",
            "RFC 6960 §4.2.1 (certs: to help the client verify)",
            signed_by(SignerSpec::DelegateNotIncluded, |_, _| {}),
            Says::Unusable,
        ),
        (
            "OtherCertificate",
            "RFC 6960 §3.2 (1) (the certificate identified)",
            plan(|r, _| r.serial = Some(vec![0x7f, 0x01])),
            Says::Unusable,
        ),
        (
            "CertIdSha256",
            "RFC 6960 §4.1.1 (hashAlgorithm), RFC 5019 §2.1.1",
            plan(|r, _| r.hash = CertIdHashSpec::Sha256),
            Says::Good,
        ),
        (
            "ResponderIdByKey",
            "RFC 6960 §4.2.1 (ResponderID byKey)",
            plan(|r, _| r.responder_id = ResponderIdSpec::ByKey),
            Says::Good,
        ),
        (
            "UnknownCriticalExtension",
            "RFC 6960 §4.4, RFC 5280 §4.2 (critical: MUST reject)",
            plan(|r, _| r.critical_unknown_extension = true),
            Says::Unusable,
        ),
        (
            "Truncated",
            "RFC 6960 §4.2.1 (DER)",
            mangled(|d| d.truncate(d.len() / 2)),
            Says::Unusable,
        ),
        (
            "TrailingData",
            "RFC 6960 §4.2.1 (DER)",
            mangled(|d| d.extend_from_slice(&[0, 0])),
            Says::Unusable,
        ),
        (
            "MalformedRequest",
            "RFC 6960 §2.3 (malformedRequest)",
            plan(status(1)),
            Says::Nothing,
        ),
        (
            "InternalError",
            "RFC 6960 §2.3 (internalError)",
            plan(status(2)),
            Says::Nothing,
        ),
        (
            "TryLater",
            "RFC 6960 §2.3 (tryLater)",
            plan(status(3)),
            Says::Nothing,
        ),
        (
            "Unauthorized",
            "RFC 6960 §2.3 (unauthorized)",
            plan(status(6)),
            Says::Nothing,
        ),
    ]
}

fn success() -> Expect {
    Expect::Success
}

fn revoked() -> Expect {
    alert(&[A::CertificateRevoked])
}

fn bad_staple() -> Expect {
    alert(&[A::BadCertificateStatusResponse])
}

/// Hard-fail without a status.
fn no_status() -> Expect {
    alert(&[A::CertificateUnknown, A::BadCertificate])
}

/// An answer that cannot be used.
fn unusable() -> Expect {
    alert(&[
        A::BadCertificateStatusResponse,
        A::CertificateUnknown,
        A::BadCertificate,
    ])
}

fn either(a: Expect, b: Expect) -> Expect {
    Expect::AnyOf(vec![a, b])
}

/// Outcomes for a staple that says `says`.
fn stapled(says: Says) -> PolicyExpect {
    // Off: the client does not ask, so nothing is stapled.
    let (soft, hard) = match says {
        Says::Good => (success(), success()),
        Says::Revoked => (revoked(), revoked()),
        // "unknown" is a status, though not a useful one: a soft client
        // may pass it or find it unsatisfactory.
        Says::Unknown => (either(success(), bad_staple()), {
            let mut set = vec![A::BadCertificateStatusResponse];
            set.extend([A::CertificateUnknown, A::BadCertificate]);
            Expect::Alert(set)
        }),
        // An error responseStatus carries no status: not satisfactory.
        Says::Nothing | Says::Unusable => (bad_staple(), bad_staple()),
    };
    PolicyExpect {
        off: success(),
        soft,
        hard,
    }
}

/// Outcomes for a fetched answer (OCSP or CRL) that says `says`.
fn fetched(says: Says) -> PolicyExpect {
    let (soft, hard) = match says {
        Says::Good => (success(), success()),
        Says::Revoked => (revoked(), revoked()),
        Says::Unknown | Says::Nothing => (success(), no_status()),
        Says::Unusable => (either(success(), unusable()), unusable()),
    };
    PolicyExpect {
        off: success(),
        soft,
        hard,
    }
}

fn script(
    staple: Option<ResponsePlan>,
    leaf_ocsp: Option<OcspRoute>,
    leaf_crl: Option<CrlRoute>,
    int_crl: CrlRoute,
    expect: PolicyExpect,
) -> RevocationScript {
    RevocationScript {
        staple,
        leaf_ocsp,
        leaf_crl,
        int_crl,
        expect,
    }
}

pub(super) fn cases(out: &mut Vec<TestCase>) {
    let Ok(base) = ServerScript::builtin() else {
        return;
    };
    let mut push = |name: String, rfc: &'static str, plan: RevocationScript, bugs: ServerBugs| {
        let mut s = base.clone().with_bugs(bugs);
        let expect = plan.expect.soft.clone();
        s.revocation = Some(Arc::new(plan));
        out.push(TestCase::client(name, rfc, s, expect));
    };
    let none = ServerBugs::default;

    for (name, rfc, plan, says) in responses() {
        push(
            format!("Revocation-Client-Staple-{name}"),
            rfc,
            script(
                Some(plan.clone()),
                None,
                None,
                CrlRoute::good(),
                stapled(says),
            ),
            none(),
        );
        push(
            format!("Revocation-Client-Fetch-{name}"),
            rfc,
            script(
                None,
                Some(OcspRoute::Answer(plan)),
                None,
                CrlRoute::good(),
                fetched(says),
            ),
            none(),
        );
    }
    // The client's nonce (RFC 8954 §2.1) comes back different.
    push(
        "Revocation-Client-Fetch-NonceMismatch".into(),
        "RFC 8954 §2.1, RFC 6960 §4.4.1",
        script(
            None,
            Some(OcspRoute::Answer(ResponsePlan::new(|r, _| {
                r.nonce = Some(vec![0x5a; 16])
            }))),
            None,
            CrlRoute::good(),
            {
                // A client that sent no nonce has nothing to compare.
                let mut e = fetched(Says::Unusable);
                e.hard = either(success(), unusable());
                e
            },
        ),
        none(),
    );
    // The responder fails to answer.
    for (name, route, says) in [
        ("ResponderDown", OcspRoute::Down, Says::Nothing),
        ("ResponderSilent", OcspRoute::Silent, Says::Nothing),
        ("Responder10MB", OcspRoute::Huge, Says::Nothing),
        ("ResponderHttp500", OcspRoute::Status(500), Says::Nothing),
        ("ResponderHttp404", OcspRoute::Status(404), Says::Nothing),
        (
            "ResponderNotOcsp",
            OcspRoute::Body(b"<html>not an OCSP response</html>".to_vec()),
            Says::Unusable,
        ),
    ] {
        push(
            format!("Revocation-Client-Fetch-{name}"),
            "RFC 6960 §2.3, Appendix A.1 (the responder does not answer)",
            script(None, Some(route), None, CrlRoute::good(), fetched(says)),
            none(),
        );
    }
    // The staple's own rules (RFC 6066 §8).
    let good = || ResponsePlan::new(|_, _| {});
    push(
        "Revocation-Client-Staple-WithoutServerHelloAck".into(),
        "RFC 6066 §8 (CertificateStatus only after status_request in ServerHello), RFC 5246 §7.4 unexpected_message",
        // The leaf's responder says good, so that a hard-fail client that
        // judges the chain at Certificate has its status and reads on.
        script(
            Some(good()),
            Some(OcspRoute::Answer(good())),
            None,
            CrlRoute::good(),
            {
            let e = alert(&[A::UnexpectedMessage]);
            PolicyExpect {
                off: e.clone(),
                soft: e.clone(),
                hard: e,
            }
        }),
        ServerBugs {
            status_without_ack: true,
            ..none()
        },
    );
    push(
        "Revocation-Client-Staple-Unsolicited".into(),
        "RFC 6066 §8 (MUST NOT unless asked), RFC 5246 §7.4.1.4 unsupported_extension",
        script(
            Some(good()),
            None,
            None,
            CrlRoute::good(),
            PolicyExpect {
                // A client that did not ask sees an unsolicited extension;
                // one that asked (soft, hard) gets what it asked for.
                off: alert(&[A::UnsupportedExtension]),
                soft: success(),
                hard: success(),
            },
        ),
        ServerBugs {
            unsolicited_status: true,
            ..none()
        },
    );
    push(
        "Revocation-Client-Staple-EmptyResponse".into(),
        "RFC 6066 §8 (opaque OCSPResponse<1..2^24-1>), RFC 5246 §7.2.2 decode_error",
        script(None, None, None, CrlRoute::good(), {
            let e = alert(&[A::DecodeError]);
            PolicyExpect {
                off: success(),
                soft: e.clone(),
                hard: e,
            }
        }),
        ServerBugs {
            certificate_status: Some(Vec::new()),
            ..none()
        },
    );
    // CRLs: the leaf's (from the intermediate) and the intermediate's
    // (from the root), fetched from the CDP.
    type Tweak = fn(&mut crate::ca::CrlSpec, u64, &[u8]);
    let crl = |tweak: Tweak| CrlRoute::Crl {
        tweak,
        wrong_key: false,
    };
    let revokes: Tweak = |c, now, serial| c.revoked.push((serial.to_vec(), now - DAY));
    let expired: Tweak = |c, now, _| {
        c.this_update = now - 8 * DAY;
        c.next_update = Some(now - DAY);
    };
    for (name, rfc, route, says) in [
        ("Good", "RFC 5280 §6.3.3", CrlRoute::good(), Says::Good),
        (
            "RevokesLeaf",
            "RFC 5280 §6.3.3 (i)",
            crl(revokes),
            Says::Revoked,
        ),
        (
            "Expired",
            "RFC 5280 §6.3.3 (a) (nextUpdate passed)",
            crl(expired),
            Says::Unusable,
        ),
        (
            "NotYetValid",
            "RFC 5280 §5.1.2.4 (thisUpdate in the future)",
            crl(|c, now, _| {
                c.this_update = now + DAY;
                c.next_update = Some(now + 8 * DAY);
            }),
            Says::Unusable,
        ),
        (
            "WrongKey",
            "RFC 5280 §6.3.3 (g) (signature)",
            CrlRoute::Crl {
                tweak: |_, _, _| {},
                wrong_key: true,
            },
            Says::Unusable,
        ),
        (
            "CorruptSignature",
            "RFC 5280 §6.3.3 (g) (signature)",
            crl(|c, _, _| c.corrupt_signature = true),
            Says::Unusable,
        ),
        (
            "WithoutCrlNumber",
            "RFC 5280 §5.2.3 (cRLNumber MUST be included)",
            crl(|c, _, _| c.crl_number = None),
            Says::Unusable,
        ),
        (
            "Malformed",
            "RFC 5280 §5.1 (DER)",
            CrlRoute::Body(b"-----BEGIN X509 CRL-----".to_vec()),
            Says::Unusable,
        ),
        (
            "DistributionPointDown",
            "RFC 5280 §6.3.3 (no CRL obtained: UNDETERMINED)",
            CrlRoute::Down,
            Says::Nothing,
        ),
    ] {
        push(
            format!("Revocation-Client-Crl-{name}"),
            rfc,
            script(None, None, Some(route), CrlRoute::good(), fetched(says)),
            none(),
        );
    }
    for (name, rfc, route, says) in [
        (
            "RootCrlRevokesIntermediate",
            "RFC 5280 §6.3.3 (i), §6.1.3 (a)(3) (every certificate of the path)",
            crl(revokes),
            Says::Revoked,
        ),
        (
            "RootCrlExpired",
            "RFC 5280 §6.3.3 (a)",
            crl(expired),
            Says::Unusable,
        ),
        (
            "RootCrlDown",
            "RFC 5280 §6.3.3 (UNDETERMINED)",
            CrlRoute::Down,
            Says::Nothing,
        ),
    ] {
        // The leaf's own status is good (stapled), so only the
        // intermediate's CRL decides.
        push(
            format!("Revocation-Client-Crl-{name}"),
            rfc,
            script(Some(good()), None, None, route, fetched(says)),
            none(),
        );
    }
}
