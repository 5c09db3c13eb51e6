//! The Revocation family (`suites::revocation`) against the reference
//! client in memory, configured with each revocation policy: it must meet
//! every case's outcome for that policy. The CA's responder is real (on
//! loopback), so the fetches are real HTTP.
#![allow(clippy::unwrap_used)]

use gauntlet_engine::pki::RevocationPolicy;
use gauntlet_engine::Side;
use gauntlet_harness::builtin::Crypto;
use gauntlet_harness::case::{judge, run_client_case, Verdict};
use gauntlet_harness::suites;
use gauntlet_harness::target::MemoryClient;
use std::time::Duration;

fn failures_under(policy: RevocationPolicy) -> (usize, Vec<String>) {
    let target = MemoryClient::builtin_with_policy(Crypto::default(), policy).unwrap();
    let cases: Vec<_> = suites::all()
        .into_iter()
        .filter(|c| c.side == Side::Client && c.name.starts_with("Revocation-"))
        .collect();
    let failures = cases
        .iter()
        .enumerate()
        .filter_map(|(i, case)| {
            let (outcome, _) =
                run_client_case(case, &target, Duration::from_secs(2), [i as u8; 32]);
            match judge(case.expect_under(policy), &outcome, case.injected_at()) {
                Verdict::Pass => None,
                v => Some(format!("{} ({policy:?}): {v:?}", case.name)),
            }
        })
        .collect();
    (cases.len(), failures)
}

#[test]
fn reference_client_meets_every_revocation_case_under_each_policy() {
    for policy in [
        RevocationPolicy::Off,
        RevocationPolicy::CheckIfPresent,
        RevocationPolicy::RequireStatus,
    ] {
        let (n, failures) = failures_under(policy);
        assert!(n >= 60, "only {n} revocation cases");
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
