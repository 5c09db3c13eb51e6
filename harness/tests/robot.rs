//! The ROBOT family as a whole: every malformed-premaster class must get
//! exactly the answer a valid-but-wrong premaster gets (RFC 5246 §7.4.7.1),
//! in both connection shapes the ROBOT scan uses.

use gauntlet_engine::enums::{AlertDescription, CipherSuite};
use gauntlet_harness::suites::rsa_kx::{robot_oracle, OracleShape};
use gauntlet_harness::target::MemoryServer;
use std::time::Duration;

fn check(shape: OracleShape, suite: CipherSuite) -> gauntlet_harness::suites::rsa_kx::OracleReport {
    let target = MemoryServer::builtin().unwrap();
    let report = robot_oracle(&target, suite, shape, 3, Duration::from_secs(2));
    let differing: Vec<String> = report
        .differing()
        .iter()
        .map(|c| format!("{}: {:?}", c.label, c.observed))
        .collect();
    assert!(
        differing.is_empty(),
        "{shape:?}: baseline {:?}, differing classes:\n{}",
        report.baseline(),
        differing.join("\n")
    );
    report
}

#[test]
fn reference_server_is_no_padding_oracle_with_full_flight() {
    for suite in [
        CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    ] {
        let report = check(OracleShape::FullFlight, suite);
        // The baseline is the one answer RFC 5246 §6.2.3.3 allows: the
        // Finished record fails authentication, one fatal bad_record_mac.
        let base: Vec<_> = report.baseline().iter().collect();
        assert_eq!(base.len(), 1, "{base:?}");
        assert_eq!(base[0].alert, Some((2, AlertDescription::BadRecordMac.0)));
        // The excluded length classes still behave the same in the reference.
        for c in &report.classes {
            assert_eq!(&c.observed, report.baseline(), "{}", c.label);
        }
    }
}

#[test]
fn reference_server_is_no_padding_oracle_with_separate_writes() {
    let report = check(
        OracleShape::SeparateWrites,
        CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    );
    let base: Vec<_> = report.baseline().iter().collect();
    assert_eq!(base.len(), 1, "{base:?}");
    assert_eq!(base[0].alert, Some((2, AlertDescription::BadRecordMac.0)));
}

#[test]
fn reference_server_is_no_padding_oracle_after_key_exchange_alone() {
    let report = check(
        OracleShape::KeyExchangeOnly,
        CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    );
    // It waits for ChangeCipherSpec whatever the premaster was.
    let base: Vec<_> = report.baseline().iter().collect();
    assert_eq!(base.len(), 1, "{base:?}");
    assert_eq!(base[0].ending, "timeout");
}
