//! Our client's revocation fetching (`harness::revocation`) against a
//! loopback HTTP responder this test controls, with the OCSP responses of
//! vectors/ocsp.json (Python `cryptography`, valid at 2027-01-01): what each
//! answer, and each way of not answering, gives under soft- and hard-fail.
#![allow(clippy::unwrap_used)]

use gauntlet_engine::config::{PkiVerifier, ServerCertVerifier};
use gauntlet_engine::error::OcspError;
use gauntlet_engine::pki::RevocationPolicy;
use gauntlet_engine::{CertificateError, UnixTime};
use gauntlet_harness::revocation::{FetchOptions, FetchingVerifier, OcspMethod};
use std::io::{Read, Write};
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

/// How the responder behaves.
#[derive(Clone)]
enum Answer {
    Ok(Vec<u8>),
    Status(u16),
    /// Headers, then this many bytes of body, slowly enough to outlast no
    /// timeout but big enough to pass any cap.
    Huge(usize),
    /// Accepts and says nothing for this long.
    Silent(Duration),
}

/// A loopback HTTP responder answering up to `n` requests, then gone; its
/// thread ends by itself (a 20 s accept deadline) even if nobody calls.
fn responder(answer: Answer, n: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut served = 0;
        while served < n && Instant::now() < deadline {
            let Ok((mut s, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            served += 1;
            s.set_nonblocking(false).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut buf = [0u8; 8192];
            let _ = s.read(&mut buf);
            let _ = match &answer {
                Answer::Ok(body) => s
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|()| s.write_all(body)),
                Answer::Status(code) => s.write_all(
                    format!("HTTP/1.1 {code} Nope\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                ),
                Answer::Huge(len) => {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
                    );
                    let chunk = vec![0x30u8; 64 * 1024];
                    let mut r = s.write_all(head.as_bytes());
                    let mut left = *len;
                    while r.is_ok() && left > 0 {
                        let k = left.min(chunk.len());
                        r = s.write_all(&chunk[..k]);
                        left -= k;
                    }
                    r
                }
                Answer::Silent(d) => {
                    std::thread::sleep(*d);
                    Ok(())
                }
            };
        }
    });
    format!("http://{addr}")
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
    let v = verifier(
        HARD,
        responder(Answer::Ok(vector("py-good")), 2),
        root_crl(),
    );
    assert_eq!(check(&v, "leaf"), Ok(()));
}

#[test]
fn fetched_revoked_status_is_refused_under_either_policy() {
    for policy in [SOFT, HARD] {
        let url = responder(Answer::Ok(vector("py-revoked-with-reason")), 2);
        let v = verifier(policy, url, root_crl());
        assert_eq!(check(&v, "leaf-revoked"), Err(CertificateError::Revoked));
    }
}

// An answer that arrives must verify (like a CRL): an expired one is
// refused under soft-fail too.
#[test]
fn fetched_expired_response_is_refused_under_soft_fail() {
    let v = verifier(SOFT, responder(Answer::Ok(vector("py-expired")), 2), vec![]);
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
    let try_later = vector("py-status-try-later");
    for (what, make) in [
        ("down", None),
        ("HTTP 500", Some(Answer::Status(500))),
        ("tryLater", Some(Answer::Ok(try_later))),
        ("10 MB", Some(Answer::Huge(10 * 1024 * 1024))),
        ("silent", Some(Answer::Silent(Duration::from_secs(3)))),
    ] {
        for (policy, want) in [
            (SOFT, Ok(())),
            (HARD, Err(CertificateError::RevocationStatusUnknown)),
        ] {
            let url = match &make {
                None => closed.clone(),
                Some(a) => responder(a.clone(), 2),
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
        }
    }
}
