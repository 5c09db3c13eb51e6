//! A hostile client command under `test-client` (issue 11): a flood of
//! output is captured up to the documented cap and quoted in messages as a
//! short escaped excerpt.
#![allow(clippy::unwrap_used)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_gauntlet");

#[test]
fn a_client_that_floods_nuls_gets_a_short_escaped_message() {
    // 8 MiB of NULs without a newline, then an exit without connecting.
    let o = Command::new(BIN)
        .args([
            "test-client",
            "--filter",
            "Basic-Client-AES128-EMS",
            "--format",
            "json",
            "--timeout",
            "5",
            "--",
            "sh",
            "-c",
            "head -c 8388608 /dev/zero; exit 1",
        ])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        report.contains("exited without connecting"),
        "{}",
        &report[..report.len().min(500)]
    );
    // The message quotes at most 2 KiB of it, escaped (no raw NUL).
    assert!(!report.contains('\0'));
    assert!(report.len() < 16 * 1024, "report is {} bytes", report.len());
}
