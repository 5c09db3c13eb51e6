//! The library API (`gauntlet_harness::api`): a stack implements
//! `TlsTarget`/`Session`, the runner drives its sessions in memory, and the
//! report judges them against expectations as the CLI does.

use gauntlet_harness::api::{Final, Session, Side};
use gauntlet_harness::{families, KeyExchange, Reference, Suite, SuiteError, TlsTarget};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The message `assert_all_expected` panicked with, or `None` if it passed.
fn assertion_message(report: &gauntlet_harness::Report) -> Option<String> {
    let got = catch_unwind(AssertUnwindSafe(|| report.assert_all_expected()));
    got.err().map(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .unwrap_or_else(|| "(not a String)".into())
    })
}

#[test]
fn the_reference_engine_through_sessions_passes_every_case_in_both_roles() {
    // The same verdicts as `gauntlet test-server --builtin`: the session
    // adapter (echo, request, close handling) adds no failure of its own.
    let mut stack = Reference::new().unwrap();
    let suite = Suite::new();
    let server = suite.run_server(&mut stack).unwrap();
    assert_eq!(server.results.len(), 2544);
    server.assert_all_expected();
    assert_eq!(server.summary().pass, 2544);
    let client = suite.run_client(&mut stack).unwrap();
    assert_eq!(client.results.len(), 1067);
    client.assert_all_expected();
    assert_eq!(client.summary().pass, 1067);
}

#[test]
fn the_reference_engine_passes_every_case_under_ecdhe_too() {
    let mut stack = Reference::new().unwrap();
    let suite = Suite::new().key_exchange(KeyExchange::Ecdhe);
    for report in [
        suite.run_server(&mut stack).unwrap(),
        suite.run_client(&mut stack).unwrap(),
    ] {
        report.assert_all_expected();
        assert_eq!(report.summary().pass, report.results.len());
    }
}

#[test]
fn ecdhe_selection_leaves_out_the_rsa_key_exchange_cases() {
    let suite = Suite::new().key_exchange(KeyExchange::Ecdhe);
    let server = suite.cases(Side::Server).unwrap();
    let client = suite.cases(Side::Client).unwrap();
    // The README's `--kx ecdhe` sizes.
    assert_eq!((server.len(), client.len()), (2207, 1059));
    assert!(server.iter().all(|c| !c.name.starts_with("RsaKx-")));
    let fams = families(Side::Server, KeyExchange::Ecdhe);
    assert_eq!(fams.iter().map(|f| f.cases).sum::<usize>(), 2207);
    assert!(fams.iter().any(|f| f.name == "Ecdhe" && f.cases == 241));
}

#[test]
fn families_and_filters_select_cases_and_unknown_names_are_errors() {
    let basic = Suite::new()
        .families(&["Basic"])
        .cases(Side::Server)
        .unwrap();
    assert_eq!(basic.len(), 4);
    assert!(basic.iter().all(|c| c.name.starts_with("Basic-Server-")));
    let one = Suite::new()
        .filter("Basic-Server-AES128-*")
        .exclude("*-NoEMS")
        .cases(Side::Server)
        .unwrap();
    assert!(!one.is_empty() && one.len() < 4, "{}", one.len());
    assert_eq!(
        Suite::new()
            .families(&["Basik"])
            .cases(Side::Server)
            .unwrap_err(),
        SuiteError::UnknownFamily("Basik".into())
    );
    let mut stack = Reference::new().unwrap();
    let none = Suite::new().filter("No-Such-*").run_server(&mut stack);
    assert!(matches!(none, Err(SuiteError::NoCases(_))), "{none:?}");
}

#[test]
fn expectations_naming_no_case_or_without_a_reason_are_refused() {
    let mut stack = Reference::new().unwrap();
    let typo = Suite::new()
        .families(&["Basic"])
        .expectations_str("# ok\nBasic-Servr-*  a typo\n")
        .run_server(&mut stack)
        .unwrap_err();
    assert!(
        matches!(&typo, SuiteError::Expectations { line: 2, message } if message.contains("no such case")),
        "{typo}"
    );
    let no_reason = Suite::new()
        .expectations_str("Basic-Server-*\n")
        .run_server(&mut stack)
        .unwrap_err();
    assert!(no_reason.to_string().contains("no reason"), "{no_reason}");
}

#[test]
fn a_listed_case_that_passes_fails_the_assertion_as_a_stale_entry() {
    let mut stack = Reference::new().unwrap();
    let report = Suite::new()
        .families(&["Basic"])
        .expectations_str("Basic-Server-AES128-*  sends X (RFC 5246 §7.4.1.2)\n")
        .run_server(&mut stack)
        .unwrap();
    let stale: Vec<_> = report.unexpected().map(|r| r.name.as_str()).collect();
    assert!(!stale.is_empty());
    assert!(stale.iter().all(|n| n.starts_with("Basic-Server-AES128-")));
    let msg = assertion_message(&report).expect("a stale entry must fail");
    assert!(msg.contains("unexpected pass"), "{msg}");
    assert!(msg.contains("remove the entry"), "{msg}");
}

/// The reference engine, except that a session that fails says nothing:
/// its fatal alert is dropped, so the peer sees a bare close.
struct Mute(Reference);

struct MuteSession {
    inner: Box<dyn Session>,
    failed: bool,
}

impl Session for MuteSession {
    fn receive_tls(&mut self, tls: &[u8]) -> Result<(), String> {
        let r = self.inner.receive_tls(tls);
        self.failed |= r.is_err();
        r
    }
    fn send_tls(&mut self, out: &mut Vec<u8>) {
        let mut mine = Vec::new();
        self.inner.send_tls(&mut mine);
        if !self.failed {
            out.extend_from_slice(&mine);
        }
    }
    fn is_handshaking(&self) -> bool {
        self.inner.is_handshaking()
    }
    fn read_plaintext(&mut self, out: &mut Vec<u8>) {
        self.inner.read_plaintext(out)
    }
    fn write_plaintext(&mut self, data: &[u8]) -> Result<(), String> {
        self.inner.write_plaintext(data)
    }
    fn send_close_notify(&mut self) {
        self.inner.send_close_notify()
    }
    fn peer_has_closed(&self) -> bool {
        self.inner.peer_has_closed()
    }
}

impl TlsTarget for Mute {
    fn name(&self) -> String {
        "mute engine".into()
    }
    fn new_server(&mut self) -> Result<Box<dyn Session>, String> {
        Ok(Box::new(MuteSession {
            inner: self.0.new_server()?,
            failed: false,
        }))
    }
}

#[test]
fn a_stack_that_closes_without_its_alert_fails_each_case_with_clause_and_replay() {
    // RFC 5246 §7.4.1.2 / §7.2.2: a malformed ClientHello is decode_error;
    // a close without it does not conform.
    let mut stack = Mute(Reference::new().unwrap());
    let report = Suite::new()
        .families(&["Basic", "ClientHello"])
        .run_server(&mut stack)
        .unwrap();
    let s = report.summary();
    assert_eq!(s.harness_error, 0);
    assert!(s.fail > 0, "{s:?}");
    // Handshakes that succeed still pass: only the refusals are wrong.
    assert!(report
        .results
        .iter()
        .filter(|r| r.name.starts_with("Basic-"))
        .all(|r| r.verdict == Final::Pass));
    let msg = assertion_message(&report).expect("a mute stack must fail");
    let first = report.unexpected().next().unwrap();
    assert!(msg.contains(&first.name), "{msg}");
    assert!(msg.contains(first.rfc), "{msg}");
    assert!(msg.contains("expected: fatal alert"), "{msg}");
    assert!(
        msg.contains(&format!("GAUNTLET_FILTER='{}' cargo test", first.name)),
        "{msg}"
    );
    assert!(msg.contains(&format!("{} passed, {} failed", s.passed(), s.failed())));

    // Listing them turns them into expected failures.
    let list: String = report
        .unexpected()
        .map(|r| format!("{}  closes without an alert (RFC 5246 §7.2.2)\n", r.name))
        .collect();
    let listed = Suite::new()
        .families(&["Basic", "ClientHello"])
        .expectations_str(&list)
        .run_server(&mut stack)
        .unwrap();
    listed.assert_all_expected();
    assert_eq!(listed.summary().expected_failure, s.fail);
}

/// A stack that panics on the first bytes of any ClientHello with a
/// session ID: the panic is caught and is the case's failure.
struct Panicky(Reference);

struct PanickySession(Box<dyn Session>);

impl Session for PanickySession {
    fn receive_tls(&mut self, tls: &[u8]) -> Result<(), String> {
        // Record header, handshake header, version, random: then the
        // session ID's length. A resuming ClientHello has one.
        if tls.len() > 43 && tls[0] == 22 && tls[5] == 1 && tls[43] != 0 {
            panic!("resumption is not implemented");
        }
        self.0.receive_tls(tls)
    }
    fn send_tls(&mut self, out: &mut Vec<u8>) {
        self.0.send_tls(out)
    }
    fn is_handshaking(&self) -> bool {
        self.0.is_handshaking()
    }
    fn read_plaintext(&mut self, out: &mut Vec<u8>) {
        self.0.read_plaintext(out)
    }
    fn write_plaintext(&mut self, data: &[u8]) -> Result<(), String> {
        self.0.write_plaintext(data)
    }
    fn send_close_notify(&mut self) {
        self.0.send_close_notify()
    }
    fn peer_has_closed(&self) -> bool {
        self.0.peer_has_closed()
    }
}

impl TlsTarget for Panicky {
    fn new_server(&mut self) -> Result<Box<dyn Session>, String> {
        Ok(Box::new(PanickySession(self.0.new_server()?)))
    }
}

#[test]
fn a_panic_in_the_stack_fails_the_case_rather_than_the_run() {
    let mut stack = Panicky(Reference::new().unwrap());
    let report = Suite::new()
        .families(&["Resume", "Basic"])
        .run_server(&mut stack)
        .unwrap();
    for r in &report.results {
        if r.name.starts_with("Resume-") {
            assert!(
                matches!(&r.verdict, Final::Fail(d) if d.contains("panicked: resumption is not implemented")),
                "{}: {:?}",
                r.name,
                r.verdict
            );
        } else {
            assert_eq!(r.verdict, Final::Pass, "{}", r.name);
        }
    }
}

#[test]
fn a_role_the_target_does_not_play_is_a_harness_error_per_case() {
    let mut stack = Panicky(Reference::new().unwrap());
    let report = Suite::new()
        .families(&["Basic"])
        .run_client(&mut stack)
        .unwrap();
    assert_eq!(report.summary().harness_error, report.results.len());
    assert!(assertion_message(&report)
        .unwrap()
        .contains("does not play the client role"));
}
