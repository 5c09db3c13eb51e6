//! The whole conformance suite against the reference server in memory:
//! the reference must pass every case, except the engine bugs listed in
//! `KNOWN_ENGINE_BUGS` (which must still fail, so the list stays true).
//! The RSA suite runs with each crypto provider (`--provider`).

use gauntlet_engine::Side;
use gauntlet_harness::builtin::Crypto;
use gauntlet_harness::case::{judge, run_client_case, run_server_case, TestCase, Verdict};
use gauntlet_harness::suites;
use gauntlet_harness::target::{MemoryClient, MemoryServer};
use std::collections::BTreeSet;
use std::time::Duration;

/// Cases the reference engine fails because the engine is wrong, each with
/// the RFC clause it breaks. Remove an entry when the engine is fixed.
const KNOWN_ENGINE_BUGS: &[&str] = &[];

fn run(cases: &[TestCase], target: &MemoryServer) -> Vec<(String, Verdict)> {
    cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let (outcome, _) = run_server_case(case, target, Duration::from_secs(2), [i as u8; 32]);
            (
                case.name.clone(),
                judge(&case.expect, &outcome, case.injected_at()),
            )
        })
        .collect()
}

#[test]
fn reference_server_passes_every_server_case_in_memory_with_each_provider() {
    for crypto in Crypto::ALL {
        server_passes_every_case(crypto);
    }
}

fn server_passes_every_case(crypto: Crypto) {
    let target = MemoryServer::builtin_with(crypto).unwrap();
    let cases: Vec<_> = suites::all()
        .into_iter()
        .filter(|c| c.side == Side::Server)
        .collect();
    assert!(cases.len() >= 300, "only {} cases", cases.len());
    let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), cases.len(), "case names must be unique");
    for known in KNOWN_ENGINE_BUGS {
        assert!(names.contains(known), "{known} is listed but no such case");
    }

    let mut unexpected = Vec::new();
    for (name, verdict) in run(&cases, &target) {
        let known = KNOWN_ENGINE_BUGS.contains(&name.as_str());
        match (verdict, known) {
            (Verdict::Pass, false) => {}
            (Verdict::Pass, true) => unexpected.push(format!(
                "{name}: passes now; remove it from KNOWN_ENGINE_BUGS"
            )),
            (Verdict::Fail(_), true) => {}
            (v, _) => unexpected.push(format!("{name} ({}): {v:?}", crypto.name())),
        }
    }
    assert!(
        unexpected.is_empty(),
        "{} unexpected results:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
}

#[test]
fn reference_client_passes_every_client_case_in_memory_with_each_provider() {
    for crypto in Crypto::ALL {
        client_passes_every_case(crypto);
    }
}

fn client_passes_every_case(crypto: Crypto) {
    let target = MemoryClient::builtin_with(crypto).unwrap();
    let cases: Vec<_> = suites::all()
        .into_iter()
        .filter(|c| c.side == Side::Client)
        .collect();
    assert!(cases.len() > 40, "only {} cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .enumerate()
        .filter_map(|(i, case)| {
            let (outcome, _) =
                run_client_case(case, &target, Duration::from_secs(2), [i as u8; 32]);
            match judge(&case.expect, &outcome, case.injected_at()) {
                Verdict::Pass => None,
                v => Some(format!("{} ({}): {v:?}", case.name, crypto.name())),
            }
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every case that does not test RSA key exchange itself, with ECDHE_RSA
/// (`suites::kx`): the reference must pass them all in both roles. The
/// scripted client offers only the ECDHE twin suite, and the scripted
/// server refuses to fall back from an ECDHE suite, so each passing case
/// ran ECDHE (the transform's own test checks every script's suite).
#[test]
fn reference_passes_every_case_under_ecdhe_in_both_roles() {
    use suites::kx::{all_under, KeyExchange};
    let all = all_under(suites::all(), KeyExchange::Ecdhe);
    let (server, client): (Vec<_>, Vec<_>) = all.into_iter().partition(|c| c.side == Side::Server);
    assert!(
        server.len() > 2000 && client.len() > 900,
        "{} / {}",
        server.len(),
        client.len()
    );
    let mut failures: Vec<String> = run(&server, &MemoryServer::builtin().unwrap())
        .into_iter()
        .filter(|(_, v)| *v != Verdict::Pass)
        .map(|(n, v)| format!("{n}: {v:?}"))
        .collect();
    let target = MemoryClient::builtin().unwrap();
    for (i, case) in client.iter().enumerate() {
        let (outcome, _) = run_client_case(case, &target, Duration::from_secs(2), [i as u8; 32]);
        match judge(&case.expect, &outcome, case.injected_at()) {
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
