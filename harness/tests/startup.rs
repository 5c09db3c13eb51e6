//! Start-up checks of `serve` and `connect` (issue 11): every input file is
//! validated with a one-line error naming it, flags are checked before
//! anything binds, and bad input exits 2 as in every other subcommand.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gauntlet");

fn pki(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vectors/pki")
        .join(name)
}

/// Runs gauntlet; one that is still running after 5 s (it started serving)
/// is killed and fails the test.
fn gauntlet(args: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(5) {
            child.kill().unwrap();
            let o = child.wait_with_output().unwrap();
            panic!(
                "{args:?} still running after 5 s: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gauntlet-startup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Exit 2 and one line on stderr naming `path`, nothing served or printed.
fn assert_refused(args: &[&str], path: &Path) {
    let o = gauntlet(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("gauntlet: "), "{args:?}: {err}");
    assert!(!err.contains("serving"), "{args:?}: {err}");
    assert!(
        err.contains(&path.display().to_string()),
        "{args:?}: names {}: {err}",
        path.display()
    );
    assert!(o.stdout.is_empty());
}

/// `serve --cert CERT --key KEY` on a free port, then `extra`.
fn serve_args<'a>(cert: &'a Path, key: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--cert",
        s(cert),
        "--key",
        s(key),
    ];
    args.extend_from_slice(extra);
    args
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A port nothing listens on: a `connect` that got that far would fail
/// with exit 1 ("refused"), not with the file error.
fn closed_addr() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("127.0.0.1:{}", l.local_addr().unwrap().port())
}

#[test]
fn serve_refuses_a_garbage_or_empty_certificate_file_naming_it() {
    let key = pki("leaf.key");
    for (name, bytes) in [
        ("garbage.pem", &b"this is not a certificate\n"[..]),
        ("empty.pem", &b""[..]),
        ("truncated.der", &[0x30, 0x82, 0x05][..]),
    ] {
        let cert = file(name, bytes);
        assert_refused(&serve_args(&cert, &key, &[]), &cert);
    }
}

/// `serve` with the built-in leaf and `key` is refused, naming `key`.
fn serve_with_key(key: &Path) {
    let cert = pki("leaf.pem");
    assert_refused(&serve_args(&cert, key, &[]), key);
}

#[test]
fn serve_refuses_a_key_that_does_not_match_the_leaf_naming_it() {
    serve_with_key(&pki("int.key"));
}

#[test]
fn serve_refuses_a_garbage_key_file_naming_it() {
    serve_with_key(&file("garbage.key", b"nope"));
}

#[test]
fn connect_refuses_a_bad_crl_or_ca_file_before_connecting() {
    let addr = closed_addr();
    for (name, bytes) in [
        ("garbage-crl.der", &b"not a CRL"[..]),
        ("empty-crl.pem", &b""[..]),
    ] {
        let crl = file(name, bytes);
        assert_refused(&["connect", &addr, "--crl", s(&crl)], &crl);
    }
    // A certificate is not a CRL.
    let cert_as_crl = pki("leaf.der");
    assert_refused(&["connect", &addr, "--crl", s(&cert_as_crl)], &cert_as_crl);
    let ca = file("garbage-ca.pem", b"garbage");
    assert_refused(&["connect", &addr, "--ca", s(&ca)], &ca);
}

#[test]
fn good_files_are_accepted() {
    // The real chain and key serve (and are killed at the 5 s mark by
    // gauntlet(), so they are run here with --max-connections 0).
    let (cert, key) = (pki("leaf.pem"), pki("leaf.key"));
    let o = gauntlet(&serve_args(&cert, &key, &["--max-connections", "0"]));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A good CRL gets as far as connecting (refused: nothing listens).
    let addr = closed_addr();
    let o = gauntlet(&["connect", &addr, "--crl", s(&pki("int-crl.pem"))]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("refused"), "{err}");
}

#[test]
fn connect_to_a_port_where_nothing_listens_exits_2_with_one_line() {
    let addr = closed_addr();
    let o = gauntlet(&["connect", &addr]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("gauntlet: {addr}: ")), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn bad_flags_exit_2_before_anything_binds() {
    let addr = closed_addr();
    for args in [
        &["serve", "--listen", "127.0.0.1:0", "--timeout", "0"][..],
        &["serve", "--listen", "127.0.0.1:0", "--timeout", "-1"][..],
        &["serve", "--listen", "no-such-host.invalid:1"][..],
        &["serve", "--bogus"][..],
        &["connect", &addr, "--timeout", "0"][..],
        &["connect", &addr, "--linger", "0"][..],
        &["connect", &addr, "--suite", "ffff"][..],
        &["connect", &addr, "--time", "yesterday"][..],
        &["connect", &addr, "--time", "1969-12-31T23:59:59Z"][..],
        &["connect", &addr, "--revocation", "maybe"][..],
        &["connect"][..],
        &["vectors", "verify", "/no/such/dir"][..],
        &["list", "--bogus"][..],
        &["test-client", "--builtin", "--timeout", "0"][..],
        &["test-client", "--builtin", "--jobs", "x"][..],
        &[
            "test-server",
            "--builtin",
            "--expectations",
            "/no/such/file",
        ][..],
    ] {
        let o = gauntlet(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("serving"), "{args:?}: {err}");
    }
}

#[test]
fn serve_binds_only_after_its_flags_are_checked() {
    // The port stays free: serve rejected --timeout 0 without binding it.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    drop(l);
    let o = gauntlet(&["serve", "--listen", &addr, "--timeout", "0"]);
    assert_eq!(o.status.code(), Some(2));
    TcpListener::bind(&addr).unwrap();
}

#[test]
fn serve_refuses_a_missing_or_non_der_ocsp_response_naming_it() {
    let (cert, key) = (pki("leaf.pem"), pki("leaf.key"));
    let missing = PathBuf::from("/no/such/ocsp.der");
    assert_refused(
        &serve_args(&cert, &key, &["--ocsp-response", s(&missing)]),
        &missing,
    );
    let pem = file("ocsp.pem", b"-----BEGIN OCSP RESPONSE-----\n");
    assert_refused(
        &serve_args(&cert, &key, &["--ocsp-response", s(&pem)]),
        &pem,
    );
}
