//! The runner: a list of cases against one target, `jobs` at a time, each
//! case on fresh connections within one time budget, results in input order
//! with the expectations file applied.
//!
//! Time: `timeout` is the most one case may take once its first connection
//! is up. Every wait of the scripted peer is clipped to what is left, so a
//! target that hangs (or dribbles bytes) costs one timeout per case, never
//! more. Seeds: each case's scripted peer draws from a seed made of the run
//! seed and the case's name, so a case replays byte for byte whatever else
//! was filtered in or added to the suite.
//!
//! Memory: a case's byte log is capped per connection
//! ([`MAX_LOG_BYTES`](crate::peer::transport::MAX_LOG_BYTES)); once a case
//! is judged its log is kept only if a bundle wants it (a failure, an
//! unexpected pass), and the logs a run keeps share [`MAX_RUN_LOG_BYTES`]
//! (past it, later failures keep their byte counts without their bytes,
//! their bundles marked truncated).

use crate::case::{judge, run_client_case, run_server_case, Acceptor, Connector, Expect};
use crate::case::{TestCase, Verdict};
use crate::expectations::Expectations;
use crate::peer::transport::{ByteLog, LogTotals, Recv, Transport};
use crate::peer::{Milestone, Outcome};
use gauntlet_engine::Side;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// What the cases run against.
#[derive(Clone, Copy)]
pub enum Target<'a> {
    /// A server: server-role cases connect to it.
    Server(&'a dyn Connector),
    /// A client: client-role cases accept a connection from it.
    Client(&'a dyn Acceptor),
}

impl Target<'_> {
    pub fn side(&self) -> Side {
        match self {
            Target::Server(_) => Side::Server,
            Target::Client(_) => Side::Client,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Target::Server(c) => c.describe(),
            Target::Client(a) => a.describe(),
        }
    }
}

impl std::fmt::Debug for Target<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Target({})", self.describe())
    }
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Cases run at once (at least 1).
    pub jobs: usize,
    /// The most one case may take.
    pub timeout: Duration,
    pub seed: u64,
    /// Set (e.g. on Ctrl-C) to start no further case; the rest are reported
    /// as harness errors.
    pub stop: Option<Arc<AtomicBool>>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            jobs: 1,
            timeout: Duration::from_secs(2),
            seed: 0,
            stop: None,
        }
    }
}

/// A case's verdict after the expectations file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Final {
    Pass,
    /// What was expected and what came.
    Fail(String),
    /// Listed with this reason, and it failed (what came: `detail`).
    ExpectedFailure {
        reason: String,
        detail: String,
    },
    /// Listed with this reason, but it passed: the list is stale.
    UnexpectedPass {
        reason: String,
    },
    /// The harness could not run the case.
    HarnessError(String),
}

impl Final {
    /// Counts towards `passed` in the closing line.
    pub fn is_ok(&self) -> bool {
        matches!(self, Final::Pass | Final::ExpectedFailure { .. })
    }

    /// A reproducer bundle is written for it.
    pub fn wants_bundle(&self) -> bool {
        matches!(self, Final::Fail(_) | Final::UnexpectedPass { .. })
    }

    /// A short machine-readable name: `pass`, `fail`, `expected-failure`,
    /// `unexpected-pass`, `harness-error`.
    pub fn kind(&self) -> &'static str {
        match self {
            Final::Pass => "pass",
            Final::Fail(_) => "fail",
            Final::ExpectedFailure { .. } => "expected-failure",
            Final::UnexpectedPass { .. } => "unexpected-pass",
            Final::HarnessError(_) => "harness-error",
        }
    }
}

/// Applies the expectations entry (if any) to a verdict.
pub fn finalize(verdict: Verdict, listed: Option<&str>) -> Final {
    match (verdict, listed) {
        (Verdict::HarnessError(e), _) => Final::HarnessError(e),
        (Verdict::Pass, None) => Final::Pass,
        // A target seen to answer both ways (timing, segmentation): a pass
        // is no sign of a stale list.
        (Verdict::Pass, Some(r)) if r.starts_with(crate::expectations::SOMETIMES) => Final::Pass,
        (Verdict::Pass, Some(r)) => Final::UnexpectedPass {
            reason: r.to_string(),
        },
        (Verdict::Fail(d), None) => Final::Fail(d),
        (Verdict::Fail(detail), Some(r)) => Final::ExpectedFailure {
            reason: r.to_string(),
            detail,
        },
    }
}

#[derive(Clone, Debug)]
pub struct CaseResult {
    pub name: String,
    pub rfc: &'static str,
    pub side: Side,
    pub expect: Expect,
    pub verdict: Final,
    pub outcome: Outcome,
    pub duration: Duration,
    /// The last connection's bytes, both ways: (sent_by_us, bytes). Only
    /// for cases whose verdict wants a bundle; the totals stay for all.
    pub log: ByteLog,
    /// The scripted peer's seed.
    pub seed: [u8; 32],
}

/// Counts per final verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub pass: usize,
    pub expected_failure: usize,
    pub fail: usize,
    pub unexpected_pass: usize,
    pub harness_error: usize,
}

impl Summary {
    pub fn of(results: &[CaseResult]) -> Self {
        let mut s = Self::default();
        for r in results {
            match r.verdict {
                Final::Pass => s.pass += 1,
                Final::ExpectedFailure { .. } => s.expected_failure += 1,
                Final::Fail(_) => s.fail += 1,
                Final::UnexpectedPass { .. } => s.unexpected_pass += 1,
                Final::HarnessError(_) => s.harness_error += 1,
            }
        }
        s
    }

    /// Pass + ExpectedFailure.
    pub fn passed(&self) -> usize {
        self.pass + self.expected_failure
    }

    /// Fail + UnexpectedPass + HarnessError.
    pub fn failed(&self) -> usize {
        self.fail + self.unexpected_pass + self.harness_error
    }

    /// The line CI parsers read: `N passed, M failed`.
    pub fn closing_line(&self) -> String {
        format!("{} passed, {} failed", self.passed(), self.failed())
    }

    /// 0: everything passed (expected failures included); 1: the target
    /// failed a case or passed a listed one; 3: no target failure, but the
    /// harness could not run some case. (2 is for runs that could not start.)
    pub fn exit_code(&self) -> u8 {
        if self.fail + self.unexpected_pass > 0 {
            1
        } else if self.harness_error > 0 {
            3
        } else {
            0
        }
    }
}

/// The scripted peer's seed for a case: run seed ‖ FNV-1a(name) ‖ "Gauntlet"×2.
pub fn case_seed(run_seed: u64, name: &str) -> [u8; 32] {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&run_seed.to_be_bytes());
    seed[8..16].copy_from_slice(&h.to_be_bytes());
    seed[16..24].copy_from_slice(b"Gauntlet");
    seed[24..].copy_from_slice(b"Gauntlet");
    seed
}

/// Runs `cases` (those of the target's side; others are harness errors)
/// and returns their results in input order. `on_done` is called as each
/// case finishes (from worker threads), e.g. to move a progress bar.
pub fn run(
    cases: &[TestCase],
    target: Target<'_>,
    opts: &RunOptions,
    expectations: &Expectations,
    on_done: &(dyn Fn(&CaseResult) + Sync),
) -> Vec<CaseResult> {
    let probe = match target {
        Target::Server(c) if cases.iter().any(|case| case.side == Side::Server) => {
            Probe::of_server(c, opts.timeout.min(PROBE_WAIT))
        }
        _ => Probe::default(),
    };
    let next = AtomicUsize::new(0);
    let log_budget = AtomicUsize::new(MAX_RUN_LOG_BYTES);
    let slots: Mutex<Vec<Option<CaseResult>>> = Mutex::new(vec![None; cases.len()]);
    let jobs = opts.jobs.clamp(1, cases.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let stopped = opts
                    .stop
                    .as_ref()
                    .is_some_and(|f| f.load(Ordering::Relaxed));
                let result = if stopped {
                    skipped(case, opts.seed)
                } else {
                    run_case(case, target, opts, expectations, probe, Some(&log_budget))
                };
                on_done(&result);
                slots.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(result);
            });
        }
    });
    slots
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .zip(cases)
        // Every slot is filled once the scope joined; a worker that panicked
        // leaves its case marked rather than lost.
        .map(|(r, case)| {
            r.unwrap_or_else(|| CaseResult {
                verdict: Final::HarnessError("the worker running this case panicked".into()),
                ..skipped(case, opts.seed)
            })
        })
        .collect()
}

fn skipped(case: &TestCase, seed: u64) -> CaseResult {
    CaseResult {
        name: case.name.clone(),
        rfc: case.rfc,
        side: case.side,
        expect: case.expect.clone(),
        verdict: Final::HarnessError("interrupted before this case ran".into()),
        outcome: Outcome::ended(crate::peer::Ending::Io("not run".into()), 0),
        duration: Duration::ZERO,
        log: ByteLog::default(),
        seed: case_seed(seed, &case.name),
    }
}

/// Most bytes of case logs one run keeps for its bundles: a few hundred
/// failing cases against a real stack keep a few KiB each, so this is hit
/// only by targets that flood every case (16 full per-case logs).
pub const MAX_RUN_LOG_BYTES: usize = 64 << 20;

/// How long the probe connection waits for a server that speaks first.
const PROBE_WAIT: Duration = Duration::from_millis(250);

/// What one connection that sends nothing shows of a server, before the
/// cases run.
#[derive(Clone, Copy, Debug, Default)]
struct Probe {
    /// The server sent something, or closed, before it was sent a byte: an
    /// alert right after our ClientHello then says nothing about it.
    speaks_unprompted: bool,
}

impl Probe {
    fn of_server(c: &dyn Connector, wait: Duration) -> Self {
        let Ok(mut t) = c.connect() else {
            // A target that cannot be reached fails every case on its own.
            return Self::default();
        };
        let mut buf = Vec::new();
        let speaks_unprompted = matches!(t.recv(&mut buf, wait), Ok(Recv::Data(_) | Recv::Eof));
        Self { speaks_unprompted }
    }
}

/// Runs one case within its budget and judges it. Its log is kept
/// whatever the verdict (capped per connection), for the caller's bundle.
pub fn run_one(
    case: &TestCase,
    target: Target<'_>,
    opts: &RunOptions,
    expectations: &Expectations,
) -> CaseResult {
    run_case(case, target, opts, expectations, Probe::default(), None)
}

fn run_case(
    case: &TestCase,
    target: Target<'_>,
    opts: &RunOptions,
    expectations: &Expectations,
    probe: Probe,
    log_budget: Option<&AtomicUsize>,
) -> CaseResult {
    let seed = case_seed(opts.seed, &case.name);
    let start = Instant::now();
    let budget = Budget {
        timeout: opts.timeout,
        deadline: OnceLock::new(),
    };
    let (outcome, mut log) = match (target, case.side) {
        (Target::Server(inner), Side::Server) => {
            let c = BudgetConnector {
                inner,
                budget: &budget,
            };
            run_server_case(case, &c, opts.timeout, seed)
        }
        (Target::Client(inner), Side::Client) => {
            let a = BudgetAcceptor {
                inner,
                budget: &budget,
            };
            run_client_case(case, &a, opts.timeout, seed)
        }
        (_, side) => (
            Outcome::ended(
                crate::peer::Ending::Io(format!(
                    "a {side:?}-role case cannot run against a {:?}",
                    target.side()
                )),
                0,
            ),
            ByteLog::default(),
        ),
    };
    let expect = match target {
        Target::Client(a) => case.expect_under(a.revocation_policy()),
        Target::Server(_) => &case.expect,
    };
    let verdict = match judge(expect, &outcome, case.injected_at()) {
        Verdict::Pass
            if probe.speaks_unprompted
                && outcome.ending.is_some()
                && outcome.reached <= Milestone::Hello =>
        {
            Verdict::Fail(format!(
                "expected {}, got {outcome}; but the target also speaks or closes before it is sent anything (probe connection), so an ending right after our hello says nothing",
                expect
            ))
        }
        other => other,
    };
    let listed = expectations.lookup(&case.name).map(|e| e.reason.as_str());
    let verdict = finalize(verdict, listed);
    if let Some(budget) = log_budget {
        keep_log_for_reports(&verdict, &mut log, budget);
    }
    CaseResult {
        name: case.name.clone(),
        rfc: case.rfc,
        side: case.side,
        expect: expect.clone(),
        verdict,
        outcome,
        duration: start.elapsed(),
        log,
        seed,
    }
}

/// Drops a judged case's chunks unless its bundle wants them, and keeps
/// of those only what is left of the run's `budget`.
fn keep_log_for_reports(verdict: &Final, log: &mut ByteLog, budget: &AtomicUsize) {
    if !verdict.wants_bundle() {
        log.drop_chunks();
        return;
    }
    let want = log.kept();
    let got = match budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
        Some(left.saturating_sub(want))
    }) {
        Ok(left) | Err(left) => left.min(want),
    };
    log.truncate_to(got);
}

/// One case's time budget; it starts when the first connection is up
/// (a spawned client's start-up wait is bounded separately by its acceptor).
struct Budget {
    timeout: Duration,
    deadline: OnceLock<Instant>,
}

impl Budget {
    fn deadline(&self) -> Instant {
        *self.deadline.get_or_init(|| Instant::now() + self.timeout)
    }
}

struct BudgetConnector<'a> {
    inner: &'a dyn Connector,
    budget: &'a Budget,
}

impl Connector for BudgetConnector<'_> {
    fn connect(&self) -> io::Result<Box<dyn Transport>> {
        let t = self.inner.connect()?;
        Ok(Box::new(Deadlined {
            inner: t,
            deadline: self.budget.deadline(),
            totals: LogTotals::default(),
        }))
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

struct BudgetAcceptor<'a> {
    inner: &'a dyn Acceptor,
    budget: &'a Budget,
}

impl Acceptor for BudgetAcceptor<'_> {
    fn validation_time(&self) -> Option<u64> {
        self.inner.validation_time()
    }

    fn revocation_policy(&self) -> gauntlet_engine::pki::RevocationPolicy {
        self.inner.revocation_policy()
    }

    fn accept(&self) -> io::Result<Box<dyn Transport>> {
        let t = self.inner.accept()?;
        Ok(Box::new(Deadlined {
            inner: t,
            deadline: self.budget.deadline(),
            totals: LogTotals::default(),
        }))
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// A transport whose receives never wait past the case's deadline. It
/// counts the bytes itself, so the totals are right whatever the inner
/// transport's log keeps.
struct Deadlined {
    inner: Box<dyn Transport>,
    deadline: Instant,
    totals: LogTotals,
}

impl Transport for Deadlined {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.totals.sent += bytes.len() as u64;
        self.inner.send(bytes)
    }

    fn recv(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> io::Result<Recv> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Recv::Timeout);
        }
        let got = self.inner.recv(buf, timeout.min(left));
        if let Ok(Recv::Data(n)) = got {
            self.totals.received += n as u64;
        }
        got
    }

    fn log(&self) -> &[(bool, Vec<u8>)] {
        self.inner.log()
    }

    fn log_totals(&self) -> LogTotals {
        let kept: u64 = self.log().iter().map(|(_, b)| b.len() as u64).sum();
        LogTotals {
            truncated: self.inner.log_totals().truncated
                || kept < self.totals.sent + self.totals.received,
            ..self.totals
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suites;
    use crate::target::MemoryServer;
    use std::net::TcpListener;

    #[test]
    fn a_sometimes_entry_takes_a_pass_as_a_pass_and_a_failure_as_expected() {
        let r = "[sometimes] answers internal_error on some runs";
        assert_eq!(finalize(Verdict::Pass, Some(r)), Final::Pass);
        assert!(matches!(
            finalize(Verdict::Fail("x".into()), Some(r)),
            Final::ExpectedFailure { .. }
        ));
    }

    #[test]
    fn expectations_turn_verdicts_into_expected_failures_and_unexpected_passes() {
        let fail = || Verdict::Fail("expected x, got y".into());
        assert_eq!(finalize(Verdict::Pass, None), Final::Pass);
        assert_eq!(
            finalize(Verdict::Pass, Some("r")),
            Final::UnexpectedPass { reason: "r".into() }
        );
        assert_eq!(
            finalize(fail(), Some("r")),
            Final::ExpectedFailure {
                reason: "r".into(),
                detail: "expected x, got y".into()
            }
        );
        assert_eq!(
            finalize(fail(), None),
            Final::Fail("expected x, got y".into())
        );
        // A harness error stays one, listed or not: it says nothing about the target.
        assert_eq!(
            finalize(Verdict::HarnessError("e".into()), Some("r")),
            Final::HarnessError("e".into())
        );
    }

    #[test]
    fn closing_line_counts_expected_failures_as_passed_and_harness_errors_as_failed() {
        let s = Summary {
            pass: 5,
            expected_failure: 2,
            fail: 1,
            unexpected_pass: 1,
            harness_error: 3,
        };
        assert_eq!(s.closing_line(), "7 passed, 5 failed");
        assert_eq!(s.exit_code(), 1);
        let errors_only = Summary {
            harness_error: 1,
            ..Summary::default()
        };
        assert_eq!(errors_only.exit_code(), 3);
        assert_eq!(Summary::default().exit_code(), 0);
    }

    #[test]
    fn seeds_depend_on_run_seed_and_name_only() {
        assert_eq!(case_seed(1, "A"), case_seed(1, "A"));
        assert_ne!(case_seed(1, "A"), case_seed(2, "A"));
        assert_ne!(case_seed(1, "A"), case_seed(1, "B"));
    }

    #[test]
    fn results_come_back_in_input_order_with_parallel_workers() {
        let target = MemoryServer::builtin().unwrap();
        let cases: Vec<_> = suites::all()
            .into_iter()
            .filter(|c| c.side == Side::Server)
            .take(12)
            .collect();
        let done = AtomicUsize::new(0);
        let opts = RunOptions {
            jobs: 4,
            ..RunOptions::default()
        };
        let results = run(
            &cases,
            Target::Server(&target),
            &opts,
            &Expectations::default(),
            &|_| {
                done.fetch_add(1, Ordering::Relaxed);
            },
        );
        assert_eq!(done.load(Ordering::Relaxed), cases.len());
        let names: Vec<_> = results.iter().map(|r| r.name.as_str()).collect();
        let want: Vec<_> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, want);
        assert!(results.iter().all(|r| r.verdict == Final::Pass));
    }

    #[test]
    fn a_passing_case_keeps_no_log_and_a_bundled_one_keeps_its_bytes() {
        // Reports need a case's bytes only for its bundle (failures and
        // unexpected passes); every case keeps its byte counts.
        let target = MemoryServer::builtin().unwrap();
        let cases: Vec<_> = suites::all()
            .into_iter()
            .filter(|c| c.side == Side::Server)
            .take(2)
            .collect();
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        let listed = format!("{} listed, so its pass is unexpected\n", names[1]);
        let exp = Expectations::parse(&listed, &names).unwrap();
        let results = run(
            &cases,
            Target::Server(&target),
            &RunOptions::default(),
            &exp,
            &|_| {},
        );
        assert_eq!(results[0].verdict, Final::Pass);
        assert!(results[0].log.is_empty(), "{:?}", results[0].log.len());
        assert!(results[0].log.totals().received > 0);
        assert!(!results[0].log.totals().truncated);
        assert!(matches!(results[1].verdict, Final::UnexpectedPass { .. }));
        let kept: u64 = results[1].log.iter().map(|(_, b)| b.len() as u64).sum();
        let t = results[1].log.totals();
        assert!(kept > 0);
        assert_eq!(kept, t.sent + t.received);
    }

    #[test]
    fn bundled_logs_share_the_run_budget() {
        let mut log = ByteLog::default();
        log.push(true, &[1; 100]);
        let budget = AtomicUsize::new(60);
        let fail = Final::Fail("x".into());
        keep_log_for_reports(&fail, &mut log, &budget);
        assert_eq!(log.kept(), 60);
        assert!(log.totals().truncated);
        let mut next = ByteLog::default();
        next.push(false, &[2; 10]);
        keep_log_for_reports(&fail, &mut next, &budget);
        assert!(next.is_empty());
        assert_eq!(next.totals().received, 10);
        assert!(next.totals().truncated);
    }

    #[test]
    fn a_silent_server_costs_one_timeout_per_case() {
        // Accepts and never writes. RFC-independent: a harness property.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in listener.incoming().flatten() {
                held.push(s);
            }
        });
        let target = crate::target::TcpServer {
            addr,
            connect_timeout: Duration::from_secs(1),
        };
        let cases: Vec<_> = suites::all()
            .into_iter()
            .filter(|c| c.name.starts_with("Resume-Server-AES128"))
            .collect();
        let opts = RunOptions {
            timeout: Duration::from_millis(200),
            ..RunOptions::default()
        };
        let start = Instant::now();
        let results = run(
            &cases,
            Target::Server(&target),
            &opts,
            &Expectations::default(),
            &|_| {},
        );
        // Resume cases would make two connections: still one budget. The
        // first (set-up) connection is what times out, which is the
        // harness's failure to set the case up, not a verdict.
        for r in &results {
            assert!(
                matches!(&r.verdict, Final::HarnessError(e) if e.contains("set-up")),
                "{:?}",
                r.verdict
            );
            assert!(r.duration < Duration::from_millis(400), "{:?}", r.duration);
        }
        assert!(start.elapsed() < Duration::from_millis(200 * cases.len() as u64 + 500));
    }
}
