//! The whole conformance suite against the reference server in memory:
//! the reference must pass every case.

use gauntlet_harness::case::{judge, run_server_case, Side, Verdict};
use gauntlet_harness::suites;
use gauntlet_harness::target::MemoryServer;
use std::time::Duration;

#[test]
fn reference_server_passes_every_server_case_in_memory() {
    let target = MemoryServer::builtin().unwrap();
    let mut failures = Vec::new();
    let cases: Vec<_> = suites::all()
        .into_iter()
        .filter(|c| c.side == Side::Server)
        .collect();
    assert!(cases.len() > 50, "only {} cases", cases.len());
    for (i, case) in cases.iter().enumerate() {
        let (outcome, _) = run_server_case(case, &target, Duration::from_secs(2), [i as u8; 32]);
        match judge(&case.expect, &outcome) {
            Verdict::Pass => {}
            v => failures.push(format!("{}: {v:?}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn reference_client_passes_every_client_case_in_memory() {
    use gauntlet_harness::case::run_client_case;
    use gauntlet_harness::target::MemoryClient;
    let target = MemoryClient::builtin().unwrap();
    let mut failures = Vec::new();
    let cases: Vec<_> = suites::all()
        .into_iter()
        .filter(|c| c.side == Side::Client)
        .collect();
    assert!(cases.len() > 40, "only {} cases", cases.len());
    for (i, case) in cases.iter().enumerate() {
        let (outcome, _) = run_client_case(case, &target, Duration::from_secs(2), [i as u8; 32]);
        match judge(&case.expect, &outcome) {
            Verdict::Pass => {}
            v => failures.push(format!("{}: {v:?}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
