//! `gauntlet timing-test` finds a known oracle: the built-in server with a
//! key that busy-waits 2 ms on a malformed premaster (harness/src/timing/
//! leaky.rs) must be reported distinguishable, with exactly the 48-byte
//! classes (ValidButRandom, Version0302) on the fast side; the CSV is
//! resumed rather than restarted; bad input is one line and exit 2.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gauntlet_harness::timing::{self, leaky::LeakyServer, Options};
use std::process::Command;
use std::time::Duration;

#[test]
fn a_server_that_waits_on_bad_padding_is_reported_as_an_oracle() {
    let server = LeakyServer::start(Duration::from_millis(2)).unwrap();
    let opts = Options {
        addr: server.addr,
        blocks: 40,
        max_time: Duration::from_secs(120),
        timeout: Duration::from_secs(10),
        seed: 7,
    };
    let mut samples = Vec::new();
    let mut csv = Vec::new();
    let failures = timing::run(&opts, &mut samples, &mut csv, &|_| {});
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(samples.len(), 40 * timing::CLASSES.len());
    let a = timing::analyse(&samples, 0.01);
    assert!(a.distinguishable, "{}", timing::render(&a));
    // The reference against a padding error: the error is slower.
    let p = a.pairs.iter().find(|p| p.a == 0 && p.b == 1).unwrap();
    assert!(p.median_ns < -1.0e6, "{}", timing::render(&a));
    // Both 48-byte classes decrypt to 48 bytes: no delay between them.
    let same = a.pairs.iter().find(|p| p.a == 0 && p.b == 8).unwrap();
    assert!(same.median_ns.abs() < 1.0e6, "{}", timing::render(&a));
    // Every probe is answered bad_record_mac (RFC 5246 §7.4.7.1: no
    // distinguishable alert), so only time tells the classes apart.
    for r in &a.responses {
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].0, "Fatal BadRecordMac");
    }
    // The CSV reads back to the same samples.
    let text = format!("{}{}", timing::CSV_HEADER, String::from_utf8(csv).unwrap());
    assert_eq!(timing::read_csv(&text).unwrap(), samples);
}

#[test]
fn the_cli_resumes_from_its_csv_and_rejects_bad_input() {
    let dir = std::env::temp_dir().join(format!("gauntlet-timing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("t.csv");
    let bin = env!("CARGO_BIN_EXE_gauntlet");
    let run = |probes: &str| {
        Command::new(bin)
            .args([
                "timing-test",
                "--leaky-self-test",
                "2000",
                "--probes",
                probes,
                "--csv",
            ])
            .arg(&csv)
            .arg("--plot")
            .arg(dir.join("t.svg"))
            .output()
            .unwrap()
    };
    // 5 blocks cannot reach significance after Bonferroni (a sign test of
    // 5 pairs has p >= 1/16): the run only has to complete.
    let o = run("45");
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines = |p: &std::path::Path| std::fs::read_to_string(p).unwrap().lines().count();
    assert_eq!(lines(&csv), 1 + 45);
    // Asked for 360 probes with 45 done: 315 more, appended; 40 blocks find
    // the 2 ms oracle even on a loaded machine.
    let o = run("360");
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(lines(&csv), 1 + 360);
    assert!(String::from_utf8_lossy(&o.stdout).contains("40 blocks x 9 classes"));
    assert!(std::fs::read_to_string(dir.join("t.svg"))
        .unwrap()
        .starts_with("<svg"));

    // Nothing listens: one line, exit 2.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for args in [
        vec![
            "timing-test".to_string(),
            format!("127.0.0.1:{port}"),
            "--timeout".into(),
            "2".into(),
        ],
        vec![
            "timing-test".into(),
            "127.0.0.1:1".into(),
            "--probes".into(),
            "0".into(),
        ],
        vec![
            "timing-test".into(),
            "127.0.0.1:1".into(),
            "--alpha".into(),
            "2".into(),
        ],
    ] {
        let o = Command::new(bin).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
    // A malformed CSV is named.
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "block,class,nanos,response\n1,nonsense,5,x\n").unwrap();
    let o = Command::new(bin)
        .args(["timing-test", "--leaky-self-test", "10", "--csv"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown class"));
}
