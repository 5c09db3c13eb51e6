//! The CA's loopback HTTP server (`harness::ca::responder`): each behaviour
//! as a plain std TCP client sees it, its caps, its log, and the OCSP
//! request nonce it echoes (against `openssl ocsp` and the engine's requests).
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use gauntlet_engine::pki::ocsp::{self, CertIdHash};
use gauntlet_harness::ca::responder::{request_nonce, Behaviour, Logged, Reply, Responder};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn pki(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("pki")
        .join(name)
}

/// An engine-made OCSPRequest for the test leaf.
fn engine_request(nonce: Option<&[u8]>) -> Vec<u8> {
    let leaf = std::fs::read(pki("leaf.der")).unwrap();
    let int = std::fs::read(pki("int.der")).unwrap();
    ocsp::request(&leaf, &int, CertIdHash::Sha1, nonce).unwrap()
}

/// A response as the client saw it.
struct Seen {
    status: u16,
    head: String,
    body: Vec<u8>,
}

/// Sends `raw` and reads to EOF (within 5 s).
fn exchange(addr: SocketAddr, raw: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(raw).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    out
}

fn parse(raw: &[u8]) -> Seen {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..end].to_vec()).unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = raw[end + 4..].to_vec();
    Seen { status, head, body }
}

fn get(r: &Responder, path: &str) -> Seen {
    parse(&exchange(
        r.addr(),
        format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes(),
    ))
}

fn post(r: &Responder, path: &str, body: &[u8]) -> Seen {
    let mut raw = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    parse(&exchange(r.addr(), &raw))
}

/// RFC 6960 A.1: the url-encoding of the base64 of the DER request.
fn get_form(der: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(der)
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

/// An OCSP route that records each DER request and answers `answer`.
fn recording(r: &Responder, path: &str) -> Arc<Mutex<Vec<Vec<u8>>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    r.route(
        path,
        Behaviour::Ocsp(Arc::new(move |der: &[u8]| {
            s.lock().unwrap().push(der.to_vec());
            Reply::ocsp(b"answer".to_vec())
        })),
    );
    seen
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(5), "{what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn ocsp_post_and_get_reach_the_closure_with_the_same_der() {
    let r = Responder::start().unwrap();
    let seen = recording(&r, "/t1/ocsp");
    let der = engine_request(Some(b"0123456789abcdef"));
    let by_post = post(&r, "/t1/ocsp", &der);
    let by_get = get(&r, &format!("/t1/ocsp/{}", get_form(&der)));
    for answer in [by_post, by_get] {
        assert_eq!(answer.status, 200);
        assert!(answer
            .head
            .contains("Content-Type: application/ocsp-response"));
        assert_eq!(answer.body, b"answer");
    }
    assert_eq!(*seen.lock().unwrap(), vec![der.clone(), der]);
    let methods: Vec<String> = r.requests("/t1/").into_iter().map(|l| l.method).collect();
    assert_eq!(methods, ["POST", "GET"]);
}

#[test]
fn ocsp_get_with_a_bad_or_empty_encoding_is_400() {
    let r = Responder::start().unwrap();
    let seen = recording(&r, "/t2/ocsp");
    assert_eq!(get(&r, "/t2/ocsp/%zz").status, 400);
    assert_eq!(get(&r, "/t2/ocsp/not*base64").status, 400);
    assert_eq!(get(&r, "/t2/ocsp").status, 400);
    assert_eq!(post(&r, "/t2/ocsp", b"").status, 400);
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn fixed_reply_and_status_500_are_sent_as_given() {
    let r = Responder::start().unwrap();
    r.route(
        "/t3/ca.crl",
        Behaviour::Reply(Reply::crl(b"crl bytes".to_vec())),
    );
    r.route("/t3/ocsp", Behaviour::Reply(Reply::status(500)));
    let crl = get(&r, "/t3/ca.crl");
    assert_eq!((crl.status, crl.body.as_slice()), (200, &b"crl bytes"[..]));
    assert!(crl.head.contains("Content-Type: application/pkix-crl"));
    assert!(crl.head.contains("Content-Length: 9"));
    let failed = post(&r, "/t3/ocsp", &engine_request(None));
    assert_eq!((failed.status, failed.body.len()), (500, 0));
}

#[test]
fn close_hangs_up_without_a_word() {
    let r = Responder::start().unwrap();
    r.route("/t4/ocsp", Behaviour::Close);
    let raw = exchange(
        r.addr(),
        b"GET /t4/ocsp/MA%3D%3D HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert!(raw.is_empty());
    assert_eq!(r.requests("/t4/").len(), 1);
}

#[test]
fn silent_outlasts_a_client_timeout_and_the_test_stays_fast() {
    let start = Instant::now();
    let r = Responder::start().unwrap();
    r.route("/t5/ocsp", Behaviour::Silent(Duration::from_secs(30)));
    let mut s = TcpStream::connect(r.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    s.write_all(b"POST /t5/ocsp HTTP/1.1\r\nContent-Length: 2\r\n\r\n0\x00")
        .unwrap();
    let err = s.read(&mut [0u8; 16]).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );
    drop(r);
    // The silent connection ends once the responder is gone.
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    assert_eq!(s.read(&mut [0u8; 16]).unwrap(), 0);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn huge_stops_when_the_client_stops_reading() {
    let r = Responder::start().unwrap();
    r.route(
        "/t6/ocsp",
        Behaviour::Huge {
            len: 10 * 1024 * 1024,
        },
    );
    let mut s = TcpStream::connect(r.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /t6/ocsp/MA%3D%3D HTTP/1.1\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    (&mut s).take(64 * 1024).read_to_end(&mut got).unwrap();
    assert_eq!(got.len(), 64 * 1024);
    assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(String::from_utf8_lossy(&got).contains("Content-Length: 10485760"));
    drop(s);
    wait_until("the Huge connection's thread ends", || {
        r.open_connections() == 0
    });
}

#[test]
fn unknown_route_is_404_and_logged() {
    let r = Responder::start().unwrap();
    r.route("/t7/ocsp", Behaviour::Close);
    assert_eq!(get(&r, "/t7/other").status, 404);
    assert_eq!(post(&r, "/t7/ocsp/below", b"x").status, 404); // only GET goes below
    assert_eq!(get(&r, "/t7/ocs").status, 404);
    let paths: Vec<String> = r.requests("/t7/").into_iter().map(|l| l.path).collect();
    assert_eq!(paths, ["/t7/other", "/t7/ocsp/below", "/t7/ocs"]);
}

#[test]
fn oversize_body_is_413_and_oversize_head_431() {
    let r = Responder::start().unwrap();
    let seen = recording(&r, "/t8/ocsp");
    // Declared, never sent: the answer comes without reading it.
    let raw = exchange(
        r.addr(),
        b"POST /t8/ocsp HTTP/1.1\r\nContent-Length: 65537\r\n\r\n",
    );
    assert_eq!(parse(&raw).status, 413);
    let long = format!("GET /t8/ocsp HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20_000));
    assert_eq!(parse(&exchange(r.addr(), long.as_bytes())).status, 431);
    assert!(seen.lock().unwrap().is_empty());
    let logged = Logged {
        method: "POST".into(),
        path: "/t8/ocsp".into(),
        body_len: 65537,
    };
    assert_eq!(r.requests("/t8/"), [logged]);
}

#[test]
fn log_records_method_and_path_and_is_capped() {
    let r = Arc::new(Responder::start().unwrap());
    r.route("/t9/a", Behaviour::Reply(Reply::status(204)));
    assert_eq!(post(&r, "/t9/a?x=1", b"abc").status, 204);
    let first = Logged {
        method: "POST".into(),
        path: "/t9/a?x=1".into(),
        body_len: 3,
    };
    assert_eq!(r.requests("/t9/"), [first]);
    // 4096 entries at most; the rest are counted.
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let r = Arc::clone(&r);
            std::thread::spawn(move || {
                for i in 0..520 {
                    exchange(
                        r.addr(),
                        format!("GET /t9/n/{w}/{i} HTTP/1.0\r\n\r\n").as_bytes(),
                    );
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(r.requests("/").len(), 4096);
    assert_eq!(r.dropped(), 1 + 8 * 520 - 4096);
    // Removing a prefix frees its room.
    r.remove_prefix("/t9/n/");
    assert_eq!(r.requests("/").len(), 1);
    assert_eq!(get(&r, "/t9/n/again").status, 404);
    assert_eq!(r.requests("/t9/n/").len(), 1);
    assert_eq!(post(&r, "/t9/a", b"").status, 204);
    r.remove_prefix("/t9/");
    assert_eq!(post(&r, "/t9/a", b"").status, 404);
}

#[test]
fn connections_above_the_cap_are_closed_unanswered() {
    let r = Responder::start().unwrap();
    r.route("/t10/ocsp", Behaviour::Silent(Duration::from_secs(30)));
    let held: Vec<TcpStream> = (0..32)
        .map(|_| {
            let mut s = TcpStream::connect(r.addr()).unwrap();
            s.write_all(b"GET /t10/ocsp HTTP/1.0\r\n\r\n").unwrap();
            s
        })
        .collect();
    wait_until("32 connections held", || r.open_connections() == 32);
    r.route("/t10/ok", Behaviour::Reply(Reply::status(200)));
    let mut s = TcpStream::connect(r.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let _ = s.write_all(b"GET /t10/ok HTTP/1.0\r\n\r\n");
    let mut out = Vec::new();
    match s.read_to_end(&mut out) {
        Ok(_) => assert!(out.is_empty()),
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}"),
    }
    drop(held);
    wait_until("the held connections end", || r.open_connections() == 0);
    assert_eq!(get(&r, "/t10/ok").status, 200);
}

#[test]
fn drop_joins_promptly_and_closes_the_port() {
    let r = Responder::start().unwrap();
    r.route("/t11/ocsp", Behaviour::Silent(Duration::from_secs(30)));
    let addr = r.addr();
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /t11/ocsp HTTP/1.0\r\n\r\n").unwrap();
    wait_until("the request is read", || r.requests("/t11/").len() == 1);
    let start = Instant::now();
    drop(r);
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn url_names_the_loopback_port() {
    let r = Responder::start().unwrap();
    assert_eq!(
        r.url("/x/ocsp"),
        format!("http://127.0.0.1:{}/x/ocsp", r.addr().port())
    );
}

// RFC 8954: the nonce is the OCTET STRING inside the extension's extnValue.
#[test]
fn request_nonce_reads_the_engines_requests() {
    let nonce = b"0123456789abcdef0123456789abcdef";
    assert_eq!(request_nonce(&engine_request(Some(nonce))).unwrap(), nonce);
    assert_eq!(request_nonce(&engine_request(Some(b"x"))).unwrap(), b"x");
    assert_eq!(request_nonce(&engine_request(None)), None);
}

#[test]
fn request_nonce_refuses_malformed_requests() {
    let good = engine_request(Some(b"0123456789abcdef"));
    assert!(request_nonce(&good).is_some());
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(request_nonce(&trailing), None);
    for cut in [1, 2, 10, good.len() - 1] {
        assert_eq!(request_nonce(&good[..cut]), None, "cut at {cut}");
    }
    // The nonce raw in extnValue (no inner OCTET STRING), as some old
    // clients sent it: the last 18 bytes are 04 12 04 10 <16 bytes>.
    let n = good.len();
    assert_eq!(&good[n - 18..n - 16], &[0x04, 0x10]);
    let mut raw = good.clone();
    raw[n - 18] = 0x30;
    assert_eq!(request_nonce(&raw), None);
    // A long-form length that could be short is not DER.
    let mut long_form = vec![0x30, 0x81, good[1] - 1];
    long_form.extend_from_slice(&good[2..]);
    assert!(good[1] < 0x80);
    assert_eq!(request_nonce(&long_form), None);
}

/// `openssl ocsp -reqout` sends a nonce by default and none with
/// `-no_nonce`; the nonce found is the one openssl prints.
#[test]
fn request_nonce_reads_openssls_requests() {
    let dir = std::env::temp_dir().join(format!("gauntlet-ca-responder-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, extra) in [("nonce.der", None), ("none.der", Some("-no_nonce"))] {
        let out = dir.join(name);
        let status = Command::new("openssl")
            .arg("ocsp")
            .arg("-issuer")
            .arg(pki("int.pem"))
            .arg("-cert")
            .arg(pki("leaf.pem"))
            .args(extra)
            .arg("-reqout")
            .arg(&out)
            .output()
            .expect("openssl (ci/test.sh installs it)");
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        let der = std::fs::read(&out).unwrap();
        let text = Command::new("openssl")
            .args(["ocsp", "-req_text", "-reqin"])
            .arg(&out)
            .output()
            .unwrap();
        let text = String::from_utf8(text.stdout).unwrap();
        match extra {
            None => {
                let nonce = request_nonce(&der).unwrap();
                assert_eq!(nonce.len(), 16);
                // openssl prints the extnValue: 04 10 then the nonce.
                let printed: String = text
                    .split("OCSP Nonce:")
                    .nth(1)
                    .unwrap()
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .to_ascii_lowercase();
                assert_eq!(printed, format!("0410{}", hex::encode(&nonce)), "{text}");
            }
            Some(_) => {
                assert!(!text.contains("Nonce"), "{text}");
                assert_eq!(request_nonce(&der), None);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
