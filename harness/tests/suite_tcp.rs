//! The whole suite against the reference engine over loopback TCP, in both
//! roles: `gauntlet serve` spawned as the server under test, and `gauntlet
//! connect` spawned once per client-role case. Every case must pass.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_gauntlet");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("run gauntlet");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn closing_line(stdout: &str) -> &str {
    stdout.lines().last().unwrap_or("")
}

#[test]
fn reference_server_passes_every_server_case_over_loopback() {
    let serve = format!("{BIN} serve --listen 127.0.0.1:{{port}} --timeout 5");
    let (code, stdout, stderr) = run(&["test-server", "--jobs", "2", "--spawn", &serve]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let last = closing_line(&stdout);
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 300, "{last}");
}

#[test]
fn reference_client_passes_every_client_case_over_loopback() {
    let (code, stdout, stderr) = run(&[
        "test-client",
        "--listen",
        "127.0.0.1:0",
        "--",
        BIN,
        "connect",
        "127.0.0.1:{port}",
        "--servername",
        "localhost",
        "--timeout",
        "5",
        // Within the case's budget, so that a silent OCSP responder
        // (Revocation-Client-Fetch-ResponderSilent) costs a fetch, not the case.
        "--fetch-timeout",
        "1",
        // Every suite, so the Ecdhe client cases reach it.
        "--suites",
        "ECDHE-RSA-AES128-GCM-SHA256,ECDHE-RSA-AES256-GCM-SHA384,ECDHE-RSA-CHACHA20-POLY1305,AES128-GCM-SHA256,AES256-GCM-SHA384",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let last = closing_line(&stdout);
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 60, "{last}");
}
