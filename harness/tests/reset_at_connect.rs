//! A server that resets every connection as it is made (issue 11): that is
//! the server ending the connection, a verdict on it, not a harness error.
//! The resetting server is a python3 one-liner (SO_LINGER 0 needs a socket
//! option std does not set); ci/test.sh installs python3.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_gauntlet");

const RESETTER: &str = "\
import socket, struct, sys
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(128)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    c.close()
";

#[test]
fn a_server_that_resets_at_connect_fails_cases_rather_than_erroring() {
    let mut server = Command::new("python3")
        .args(["-c", RESETTER])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 (ci/test.sh installs it)");
    let mut port = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let addr = format!("127.0.0.1:{}", port.trim());
    let o = Command::new(BIN)
        .args([
            "test-server",
            &addr,
            "--filter",
            "Basic-*",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    server.kill().unwrap();
    let _ = server.wait();
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let summary = &report["summary"];
    assert_eq!(summary["harness_error"], 0, "{report:#}");
    assert!(summary["fail"].as_u64().unwrap() > 0, "{report:#}");
    assert_eq!(summary["pass"], 0, "{report:#}");
    assert_eq!(o.status.code(), Some(1));
}
