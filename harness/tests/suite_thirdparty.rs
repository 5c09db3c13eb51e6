//! The whole suite against two third-party TLS 1.2 stacks, OpenSSL and
//! GnuTLS, in both roles, with the committed expectations files
//! (`interop/expectations/{openssl,gnutls}-{server,client}.txt`): every
//! difference from the RFC must be a listed, explained deviation, and a
//! listed deviation that stops happening fails too. One suite (AES-128-GCM,
//! 0x009c) keeps the time down: the server role runs every server case not
//! named for AES-256 (the AES-128 ones and the suite-independent ones, as
//! `ci/interop.sh` does), the client role every client case. The command
//! lines are those of `interop/peers.sh`. NSS, JSSE and mbedTLS stay in
//! `ci/interop.sh`.
#![allow(clippy::unwrap_used)]

use gauntlet_engine::Side;
use gauntlet_harness::suites;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_gauntlet");
const PRIORITY: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA:-CIPHER-ALL:+AES-128-GCM";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn pki(file: &str) -> String {
    repo().join("vectors/pki").join(file).display().to_string()
}

fn expectations(name: &str) -> String {
    repo()
        .join("interop/expectations")
        .join(name)
        .display()
        .to_string()
}

/// A fresh directory for this test's files and reports.
fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("gauntlet-thirdparty-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The programs a test needs; a missing one fails the test with the
/// package to install (ci/test.sh installs them).
fn require(programs: &[(&str, &str)]) {
    for (program, package) in programs {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "{program} is missing: install the Debian package {package}"
        );
    }
}

/// `--filter` arguments for the server role with suite 0x009c.
fn server_filters() -> Vec<String> {
    suites::all()
        .iter()
        // The Ecdhe family needs an ECDHE-configured target; these run
        // RSA key exchange (0x009c) only.
        .filter(|c| {
            c.side == Side::Server && !c.name.contains("AES256") && !c.name.starts_with("Ecdhe-")
        })
        .flat_map(|c| ["--filter".to_string(), c.name.clone()])
        .collect()
}

/// Runs gauntlet and asserts it passed (exit status 0), showing its summary
/// and failing cases otherwise.
fn run_and_check(args: &[String], out: &Path) {
    let o: Output = Command::new(BIN).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let report = std::fs::read_to_string(out.join("report.json")).unwrap_or_default();
    let failing: Vec<String> = report
        .split("\"name\": ")
        .skip(1)
        .filter(|c| {
            c.contains("\"verdict\": \"fail\"")
                || c.contains("\"verdict\": \"unexpected-pass\"")
                || c.contains("\"verdict\": \"harness-error\"")
        })
        .map(|c| c.lines().next().unwrap_or_default().to_string())
        .collect();
    assert!(
        o.status.success(),
        "gauntlet {} exited with {:?}\nstderr: {stderr}\nnot as expected: {failing:#?}\n(reports in {})",
        args.join(" "),
        o.status.code(),
        out.display()
    );
    assert!(stderr.contains("0 failed"), "stderr: {stderr}");
    let _ = std::fs::remove_dir_all(out.parent().unwrap_or(out));
}

fn common(out: &Path, exp: &str) -> Vec<String> {
    [
        "--format",
        "json",
        "--timeout",
        "5",
        "--out",
        &out.display().to_string(),
        "--expectations",
        &expectations(exp),
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn openssl_s_server_conforms_or_deviates_as_listed() {
    require(&[("openssl", "openssl")]);
    let dir = temp_dir("openssl-server");
    let out = dir.join("report");
    let cmd = format!(
        "openssl s_server -accept 127.0.0.1:{{port}} -cert {} -cert_chain {} -key {} -tls1_2 -cipher AES128-GCM-SHA256 -www",
        pki("leaf.pem"),
        pki("int.pem"),
        pki("leaf.key")
    );
    let mut args = vec![
        "test-server".to_string(),
        "--spawn".into(),
        cmd,
        "--ready-line".into(),
        "ACCEPT".into(),
        "--ready-timeout".into(),
        "30".into(),
    ];
    args.extend(server_filters());
    args.extend(common(&out, "openssl-server.txt"));
    run_and_check(&args, &out);
}

#[test]
fn gnutls_serv_conforms_or_deviates_as_listed() {
    require(&[
        ("gnutls-serv", "gnutls-bin"),
        ("socat", "socat"),
        ("unshare", "util-linux"),
    ]);
    let dir = temp_dir("gnutls-server");
    let out = dir.join("report");
    // gnutls-serv takes the chain in one file.
    let chain = dir.join("chain.pem");
    let mut pem = std::fs::read(pki("leaf.pem")).unwrap();
    pem.extend(std::fs::read(pki("int.pem")).unwrap());
    std::fs::write(&chain, pem).unwrap();
    // It listens on every address: --confine runs it in a private network
    // namespace joined to our loopback by a relay.
    let cmd = format!(
        "gnutls-serv --port {{port}} --x509certfile {} --x509keyfile {} --priority {PRIORITY} --disable-client-cert",
        chain.display(),
        pki("leaf.key")
    );
    let mut args = vec![
        "test-server".to_string(),
        "--spawn".into(),
        cmd,
        "--confine".into(),
        "--ready-timeout".into(),
        "30".into(),
    ];
    args.extend(server_filters());
    args.extend(common(&out, "gnutls-server.txt"));
    run_and_check(&args, &out);
}

/// `gauntlet test-client` with `interop/with-request.sh CLIENT ARGS…`.
fn client_args(out: &Path, exp: &str, client: &[String]) -> Vec<String> {
    let mut args = vec![
        "test-client".to_string(),
        "--listen".into(),
        "127.0.0.1:0".into(),
    ];
    args.extend(common(out, exp));
    // The Ecdhe client cases need a client configured for ECDHE; these
    // offer RSA key exchange (0x009c) only. The Revocation cases need a
    // client set up for OCSP and CRLs: ci/revocation.sh runs them.
    for c in suites::all() {
        if c.side == Side::Client
            && !c.name.starts_with("Ecdhe-")
            && !c.name.starts_with("Revocation-")
        {
            args.push("--filter".into());
            args.push(c.name.clone());
        }
    }
    args.push("--".into());
    args.push(repo().join("interop/with-request.sh").display().to_string());
    args.extend(client.iter().cloned());
    args
}

#[test]
fn openssl_s_client_conforms_or_deviates_as_listed() {
    require(&[("openssl", "openssl")]);
    let dir = temp_dir("openssl-client");
    let out = dir.join("report");
    let client: Vec<String> = [
        "openssl",
        "s_client",
        "-connect",
        "127.0.0.1:{port}",
        "-tls1_2",
        "-cipher",
        "AES128-GCM-SHA256",
        "-CAfile",
        &pki("root.pem"),
        "-servername",
        "localhost",
        "-verify_hostname",
        "localhost",
        "-verify_return_error",
    ]
    .map(String::from)
    .to_vec();
    run_and_check(&client_args(&out, "openssl-client.txt", &client), &out);
}

#[test]
fn gnutls_cli_conforms_or_deviates_as_listed() {
    require(&[("gnutls-cli", "gnutls-bin")]);
    let dir = temp_dir("gnutls-client");
    let out = dir.join("report");
    let client: Vec<String> = [
        "gnutls-cli",
        "--port",
        "{port}",
        "--x509cafile",
        &pki("root.pem"),
        "--priority",
        PRIORITY,
        "--sni-hostname",
        "localhost",
        "--verify-hostname",
        "localhost",
        "127.0.0.1",
    ]
    .map(String::from)
    .to_vec();
    run_and_check(&client_args(&out, "gnutls-client.txt", &client), &out);
}
