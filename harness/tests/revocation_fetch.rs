//! Our client's revocation fetching (`harness::revocation`) against the CA's
//! loopback HTTP responder (`harness::ca::responder`), with the OCSP responses of
//! vectors/ocsp.json (Python `cryptography`, valid at 2027-01-01): what each
//! answer, and each way of not answering, gives under soft- and hard-fail.
#![allow(clippy::unwrap_used)]

use gauntlet_engine::config::{PkiVerifier, ServerCertVerifier};
use gauntlet_engine::error::OcspError;
use gauntlet_engine::pki::RevocationPolicy;
use gauntlet_engine::{CertificateError, UnixTime};
use gauntlet_harness::ca::responder::{Behaviour, Reply, Responder};
use gauntlet_harness::revocation::{FetchOptions, FetchingVerifier, OcspMethod};
use std::net::TcpListener;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const NOW: UnixTime = UnixTime(1_798_761_600);

fn pki(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../vectors/pki/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn vector(id: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(format!(
        "{}/../vectors/ocsp.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let case = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap();
    hex::decode(case["response"].as_str().unwrap()).unwrap()
}

fn verifier(policy: RevocationPolicy, url: String, crls: Vec<Vec<u8>>) -> FetchingVerifier {
    let mut pki_verifier = PkiVerifier::new(&[pki("root.der")], crls).unwrap();
    pki_verifier.revocation = policy;
    FetchingVerifier {
        pki: pki_verifier,
        fetch: FetchOptions {
            timeout: Duration::from_millis(800),
            method: OcspMethod::Post,
            ocsp_url: Some(url),
            crl_url: None,
        },
        notes: Mutex::new(Vec::new()),
    }
}

fn check(v: &FetchingVerifier, leaf: &str) -> Result<(), CertificateError> {
    let chain = vec![pki(&format!("{leaf}.der")), pki("int.der")];
    v.verify(&chain, "localhost", None, NOW)
}

const SOFT: RevocationPolicy = RevocationPolicy::CheckIfPresent;
const HARD: RevocationPolicy = RevocationPolicy::RequireStatus;

/// The root's CRL: the intermediate's status, which hard-fail needs too.
fn root_crl() -> Vec<Vec<u8>> {
    vec![pki("root-crl.der")]
}

// RFC 6960 §2.2: good passes under hard-fail (the leaf's status is the
// fetched response's; the responder was asked for both certificates).
#[test]
fn fetched_good_status_satisfies_hard_fail() {
    let r = Responder::start().unwrap();
    r.route(
        "/good/ocsp",
        Behaviour::Reply(Reply::ocsp(vector("py-good"))),
    );
    let v = verifier(HARD, r.url("/good/ocsp"), root_crl());
    assert_eq!(check(&v, "leaf"), Ok(()));
    // The leaf's request came by POST (the intermediate names no responder).
    let asked = r.requests("/good/");
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].method, "POST");
    assert!(asked[0].body_len > 0);
}

#[test]
fn fetched_revoked_status_is_refused_under_either_policy() {
    let r = Responder::start().unwrap();
    let answer = Reply::ocsp(vector("py-revoked-with-reason"));
    r.route("/revoked/ocsp", Behaviour::Reply(answer));
    for policy in [SOFT, HARD] {
        let v = verifier(policy, r.url("/revoked/ocsp"), root_crl());
        assert_eq!(check(&v, "leaf-revoked"), Err(CertificateError::Revoked));
    }
}

// An answer that arrives must verify (like a CRL): an expired one is
// refused under soft-fail too.
#[test]
fn fetched_expired_response_is_refused_under_soft_fail() {
    let r = Responder::start().unwrap();
    r.route(
        "/expired/ocsp",
        Behaviour::Reply(Reply::ocsp(vector("py-expired"))),
    );
    let v = verifier(SOFT, r.url("/expired/ocsp"), vec![]);
    assert_eq!(
        check(&v, "leaf"),
        Err(CertificateError::BadStatusResponse(Box::new(
            OcspError::Expired
        )))
    );
}

// No answer: soft-fail passes, hard-fail refuses, each within the fetch
// timeout: a responder that is down, returns HTTP 500, answers tryLater,
// sends 10 MB, or says nothing.
#[test]
fn no_answer_is_the_policys_call_and_never_a_hang() {
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let r = Responder::start().unwrap();
    let try_later = Reply::ocsp(vector("py-status-try-later"));
    let huge = Behaviour::Huge { len: 10 << 20 };
    for (case, (what, behaviour)) in [
        ("down", None),
        ("HTTP 500", Some(Behaviour::Reply(Reply::status(500)))),
        ("tryLater", Some(Behaviour::Reply(try_later))),
        ("10 MB", Some(huge)),
        ("silent", Some(Behaviour::Silent(Duration::from_secs(3)))),
    ]
    .into_iter()
    .enumerate()
    {
        for (policy, want) in [
            (SOFT, Ok(())),
            (HARD, Err(CertificateError::RevocationStatusUnknown)),
        ] {
            let prefix = format!("/{case}-{policy:?}/");
            let url = match &behaviour {
                None => closed.clone(),
                Some(b) => {
                    r.route(&format!("{prefix}ocsp"), b.clone());
                    r.url(&format!("{prefix}ocsp"))
                }
            };
            let v = verifier(policy, url, root_crl());
            let start = Instant::now();
            assert_eq!(check(&v, "leaf"), want, "{what} {policy:?}");
            // One fetch (the leaf; the intermediate names no responder), 0.8 s at most.
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{what}: {:?}",
                start.elapsed()
            );
            assert!(!v.notes.lock().unwrap().is_empty() || what == "tryLater");
            let asked = r.requests(&prefix).len();
            assert_eq!(asked, usize::from(behaviour.is_some()), "{what} {policy:?}");
            r.remove_prefix(&prefix);
        }
    }
}
