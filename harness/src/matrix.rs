//! `gauntlet matrix`: the suite against several targets named in one TOML
//! file, in both roles, without expectations files. Every case gets each
//! target's outcome; the analysis flags the outliers: a target that breaks
//! with the majority and with the case's (RFC) expectation, and cases
//! where the majority itself breaks it (a finding about the stacks, or a
//! case to re-read). Expectations files stay what gates CI.
//!
//! The file (all keys but `name` optional):
//! ```toml
//! timeout = 10        # seconds per case (default 10)
//! ready_timeout = 20  # seconds for a spawned server to listen (default 20)
//!
//! [[target]]
//! name = "openssl"
//! server = "openssl s_server -accept 127.0.0.1:{port} ..."  # as test-server --spawn
//! server_ready = "ACCEPT"     # a stdout line that says it listens
//! server_confine = false      # run it in a private network namespace
//! client = "openssl s_client -connect 127.0.0.1:{port} ..."  # as test-client -- CMD
//! client_stdin = "GET / HTTP/1.0\r\n\r\n"
//! timeout = 15                # this target's seconds per case
//! ```
//! Caps: at most [`MAX_TARGETS`] targets; transcripts kept for the HTML
//! report are capped per cell ([`crate::html::MAX_TRANSCRIPT`]).

use crate::case::TestCase;
use crate::expectations::Expectations;
use crate::process::Readiness;
use crate::runner::{self, CaseResult, Final, RunOptions, Target};
use crate::target_spawn::{self, SpawnedClients, SpawnedServer};
use gauntlet_engine::Side;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// Targets per matrix file.
pub const MAX_TARGETS: usize = 32;

/// One target of the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    pub name: String,
    pub server: Option<String>,
    pub server_ready: Option<String>,
    #[serde(default)]
    pub server_confine: bool,
    pub client: Option<String>,
    pub client_stdin: Option<String>,
    /// This target's seconds per case, over the file's `timeout`.
    pub timeout: Option<f64>,
}

/// A matrix file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixFile {
    pub timeout: Option<f64>,
    pub ready_timeout: Option<f64>,
    #[serde(rename = "target", default)]
    pub targets: Vec<TargetSpec>,
}

impl MatrixFile {
    /// Parses and checks a matrix file's text. `Err` is one line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: MatrixFile = toml::from_str(text).map_err(|e| {
            e.to_string()
                .lines()
                .next()
                .unwrap_or("invalid TOML")
                .to_string()
        })?;
        if file.targets.is_empty() {
            return Err("no [[target]]".into());
        }
        if file.targets.len() > MAX_TARGETS {
            return Err(format!("more than {MAX_TARGETS} targets"));
        }
        let mut names = std::collections::BTreeSet::new();
        for t in &file.targets {
            if t.name.is_empty() || !names.insert(t.name.as_str()) {
                return Err(format!("target name {:?} is empty or repeated", t.name));
            }
            if t.server.is_none() && t.client.is_none() {
                return Err(format!("target {}: neither `server` nor `client`", t.name));
            }
            for line in [&t.server, &t.client].into_iter().flatten() {
                target_spawn::split_command(line).map_err(|e| format!("target {}: {e}", t.name))?;
            }
        }
        for (what, v) in [
            ("timeout", file.timeout),
            ("ready_timeout", file.ready_timeout),
        ] {
            if v.is_some_and(|v| !(v > 0.0 && v <= 3600.0)) {
                return Err(format!("{what} must be in (0, 3600] seconds"));
            }
        }
        Ok(file)
    }
}

/// One target's result for one case.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Cell {
    /// pass, fail or harness-error.
    pub verdict: &'static str,
    /// What came (the ending), as reports print it.
    pub outcome: String,
    pub detail: Option<String>,
    /// The reproducer bundle's directory, relative to the report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
    /// The connection's transcript, for failures (capped).
    #[serde(skip)]
    pub transcript: Option<String>,
}

/// Why a row is flagged.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Flag {
    /// These targets fail where the majority passes.
    Outlier { targets: Vec<String> },
    /// Most targets that ran fail the case's expectation.
    MajorityDeviates { failing: usize, ran: usize },
}

impl Flag {
    /// One line: `outlier: a, b` or `majority deviates (2 of 3)`.
    pub fn describe(&self) -> String {
        match self {
            Flag::Outlier { targets } => format!("outlier: {}", targets.join(", ")),
            Flag::MajorityDeviates { failing, ran } => {
                format!("majority deviates ({failing} of {ran})")
            }
        }
    }
}

/// One case across the targets.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub name: String,
    pub family: String,
    pub rfc: &'static str,
    pub side: &'static str,
    pub expect: String,
    /// Per target (same order as [`Matrix::targets`]); `None`: the target
    /// has no command for this role.
    pub cells: Vec<Option<Cell>>,
    pub flag: Option<Flag>,
}

/// The whole matrix.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Matrix {
    pub targets: Vec<String>,
    pub rows: Vec<Row>,
    pub elapsed_s: f64,
}

/// The family of a case: its name up to the first `-`.
pub fn family(name: &str) -> &str {
    name.split('-').next().unwrap_or(name)
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Server => "server",
        Side::Client => "client",
    }
}

impl Cell {
    pub fn of(r: &CaseResult) -> Self {
        let detail = match &r.verdict {
            Final::Pass | Final::UnexpectedPass { .. } => None,
            Final::Fail(d) | Final::HarnessError(d) => Some(d.clone()),
            Final::ExpectedFailure { detail, .. } => Some(detail.clone()),
        };
        let transcript = r.verdict.wants_bundle().then(|| {
            let mut t = crate::report::transcript(&r.log, r.side);
            if t.len() > crate::html::MAX_TRANSCRIPT {
                let mut cut = crate::html::MAX_TRANSCRIPT;
                while !t.is_char_boundary(cut) {
                    cut -= 1;
                }
                t.truncate(cut);
                t.push_str("\n[... cut: the whole transcript is in the bundle]");
            }
            t
        });
        Cell {
            verdict: r.verdict.kind(),
            outcome: r.outcome.to_string(),
            detail,
            bundle: None,
            transcript,
        }
    }
}

/// The flag of a row from its cells: harness errors do not vote; a
/// majority needs more than half of the targets that ran, and at least 3.
pub fn flag(targets: &[String], cells: &[Option<Cell>]) -> Option<Flag> {
    let ran: Vec<(&String, &Cell)> = targets
        .iter()
        .zip(cells)
        .filter_map(|(t, c)| c.as_ref().map(|c| (t, c)))
        .filter(|(_, c)| c.verdict != "harness-error")
        .collect();
    let failing: Vec<&String> = ran
        .iter()
        .filter(|(_, c)| c.verdict == "fail")
        .map(|(t, _)| *t)
        .collect();
    if ran.len() < 3 || failing.is_empty() {
        return None;
    }
    if failing.len() * 2 > ran.len() {
        return Some(Flag::MajorityDeviates {
            failing: failing.len(),
            ran: ran.len(),
        });
    }
    if (ran.len() - failing.len()) * 2 > ran.len() {
        return Some(Flag::Outlier {
            targets: failing.into_iter().cloned().collect(),
        });
    }
    None
}

/// Builds the matrix from each target's results per role (`results[t]`
/// holds target `t`'s results for both roles, any order).
pub fn assemble(
    cases: &[TestCase],
    targets: Vec<String>,
    results: &[Vec<CaseResult>],
    elapsed: Duration,
) -> Matrix {
    let index: Vec<BTreeMap<&str, &CaseResult>> = results
        .iter()
        .map(|rs| rs.iter().map(|r| (r.name.as_str(), r)).collect())
        .collect();
    let rows = cases
        .iter()
        .map(|case| {
            let cells: Vec<Option<Cell>> = index
                .iter()
                .map(|m| m.get(case.name.as_str()).map(|r| Cell::of(r)))
                .collect();
            Row {
                name: case.name.clone(),
                family: family(&case.name).to_string(),
                rfc: case.rfc,
                side: side_name(case.side),
                expect: case.expect.to_string(),
                flag: flag(&targets, &cells),
                cells,
            }
        })
        .collect();
    Matrix {
        targets,
        rows,
        elapsed_s: elapsed.as_secs_f64(),
    }
}

/// Runs `cases` against every target of `file` in the roles it names, one
/// target and role at a time (`jobs` cases in parallel within a run).
/// Results per target; `Err` only when a target cannot be started at all
/// (its cells are then harness errors, and the error is returned beside).
pub fn run(
    file: &MatrixFile,
    cases: &[TestCase],
    jobs: usize,
    seed: u64,
    on_done: &(dyn Fn(&str, &CaseResult) + Sync),
) -> (Vec<Vec<CaseResult>>, Vec<String>) {
    let timeout = Duration::from_secs_f64(file.timeout.unwrap_or(10.0));
    let ready_timeout = Duration::from_secs_f64(file.ready_timeout.unwrap_or(20.0));
    let none = Expectations::default();
    let mut all = Vec::new();
    let mut errors = Vec::new();
    for t in &file.targets {
        let timeout = t.timeout.map_or(timeout, Duration::from_secs_f64);
        let opts = RunOptions {
            jobs,
            timeout,
            seed,
            stop: None,
        };
        let mut results = Vec::new();
        let of_side = |side: Side| -> Vec<TestCase> {
            cases.iter().filter(|c| c.side == side).cloned().collect()
        };
        let done = |r: &CaseResult| on_done(&t.name, r);
        if let Some(line) = &t.server {
            let server_cases = of_side(Side::Server);
            let started = target_spawn::split_command(line)
                .and_then(|w| target_spawn::peer_command(&w))
                .and_then(|mut cmd| {
                    if let Some(text) = &t.server_ready {
                        cmd = cmd.ready_when(Readiness::StdoutLine(text.clone()));
                    }
                    if t.server_confine {
                        cmd = cmd.confined();
                    }
                    SpawnedServer::start(&cmd, ready_timeout, timeout).map_err(|e| e.to_string())
                });
            match started {
                Ok(target) => {
                    results.extend(runner::run(
                        &server_cases,
                        Target::Server(&target),
                        &opts,
                        &none,
                        &done,
                    ));
                    target.stop();
                }
                Err(e) => errors.push(format!("{} (server): {e}", t.name)),
            }
        }
        if let Some(line) = &t.client {
            let client_cases = of_side(Side::Client);
            let stdin = t.client_stdin.as_ref().map(|s| s.as_bytes().to_vec());
            let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            let started = target_spawn::split_command(line)
                .and_then(|w| target_spawn::peer_command(&w))
                .and_then(|cmd| SpawnedClients::new(listen, cmd, timeout, stdin));
            match started {
                Ok(target) => results.extend(runner::run(
                    &client_cases,
                    Target::Client(&target),
                    &opts,
                    &none,
                    &done,
                )),
                Err(e) => errors.push(format!("{} (client): {e}", t.name)),
            }
        }
        all.push(results);
    }
    (all, errors)
}

/// The text report: per target pass/fail counts, then every flagged row.
pub fn render_text(m: &Matrix) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} cases x {} targets in {:.1} s",
        m.rows.len(),
        m.targets.len(),
        m.elapsed_s
    );
    for (i, t) in m.targets.iter().enumerate() {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &m.rows {
            if let Some(Some(c)) = r.cells.get(i) {
                *counts.entry(c.verdict).or_default() += 1;
            }
        }
        let line: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let _ = writeln!(out, "  {t}: {}", line.join(", "));
    }
    let flagged: Vec<&Row> = m.rows.iter().filter(|r| r.flag.is_some()).collect();
    let _ = writeln!(out, "{} flagged cases", flagged.len());
    for r in flagged {
        let Some(what) = r.flag.as_ref().map(Flag::describe) else {
            continue;
        };
        let _ = writeln!(
            out,
            "  {}  [{}]  {what}  (expect {})",
            r.name, r.rfc, r.expect
        );
        for (t, c) in m.targets.iter().zip(&r.cells) {
            if let Some(c) = c {
                if c.verdict != "pass" {
                    let _ = writeln!(out, "      {t}: {} {}", c.verdict, c.outcome);
                }
            }
        }
    }
    out
}

/// A Markdown summary (for interop/RESULTS.md): per target and role the
/// verdict counts, then the flagged cases with each deviating outcome.
pub fn render_markdown(m: &Matrix) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} cases x {} targets, {:.0} s, no expectations applied.\n",
        m.rows.len(),
        m.targets.len(),
        m.elapsed_s
    );
    out.push_str("| target | role | pass | fail | harness error |\n|---|---|---:|---:|---:|\n");
    for (i, t) in m.targets.iter().enumerate() {
        for side in ["server", "client"] {
            let mut n = [0usize; 3];
            for r in m.rows.iter().filter(|r| r.side == side) {
                match r.cells.get(i).and_then(|c| c.as_ref()).map(|c| c.verdict) {
                    Some("pass") => n[0] += 1,
                    Some("fail") => n[1] += 1,
                    Some(_) => n[2] += 1,
                    None => {}
                }
            }
            if n.iter().any(|&x| x > 0) {
                let _ = writeln!(out, "| {t} | {side} | {} | {} | {} |", n[0], n[1], n[2]);
            }
        }
    }
    let flagged: Vec<&Row> = m.rows.iter().filter(|r| r.flag.is_some()).collect();
    let _ = writeln!(out, "\n{} flagged cases:\n", flagged.len());
    out.push_str("| case | RFC | flag | deviating outcomes |\n|---|---|---|---|\n");
    for r in flagged {
        let Some(flag) = r.flag.as_ref().map(Flag::describe) else {
            continue;
        };
        let outcomes: Vec<String> = m
            .targets
            .iter()
            .zip(&r.cells)
            .filter_map(|(t, c)| c.as_ref().map(|c| (t, c)))
            .filter(|(_, c)| c.verdict != "pass")
            .map(|(t, c)| format!("{t}: {}", c.outcome.replace('|', "\\|")))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {flag} | {} |",
            r.name,
            r.rfc,
            outcomes.join("; ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(v: &'static str) -> Option<Cell> {
        Some(Cell {
            verdict: v,
            outcome: String::new(),
            detail: None,
            bundle: None,
            transcript: None,
        })
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("t{i}")).collect()
    }

    #[test]
    fn one_failing_target_among_passing_ones_is_an_outlier() {
        let f = flag(
            &names(4),
            &[cell("pass"), cell("fail"), cell("pass"), cell("pass")],
        );
        assert_eq!(
            f,
            Some(Flag::Outlier {
                targets: vec!["t1".into()]
            })
        );
    }

    #[test]
    fn a_failing_majority_is_flagged_as_such() {
        let f = flag(&names(3), &[cell("fail"), cell("fail"), cell("pass")]);
        assert_eq!(f, Some(Flag::MajorityDeviates { failing: 2, ran: 3 }));
    }

    #[test]
    fn harness_errors_and_absent_roles_do_not_vote() {
        // Two that ran: no majority can be told.
        let f = flag(
            &names(4),
            &[cell("pass"), cell("fail"), cell("harness-error"), None],
        );
        assert_eq!(f, None);
        assert_eq!(
            flag(&names(3), &[cell("pass"), cell("pass"), cell("pass")]),
            None
        );
        // A tie is neither.
        let f = flag(
            &names(4),
            &[cell("pass"), cell("fail"), cell("pass"), cell("fail")],
        );
        assert_eq!(f, None);
    }

    #[test]
    fn parses_a_matrix_file_and_rejects_bad_ones() {
        let ok = MatrixFile::parse(
            "timeout = 5\n[[target]]\nname = \"a\"\nserver = \"x {port}\"\n[[target]]\nname = \"b\"\nclient = \"y\"\n",
        )
        .unwrap();
        assert_eq!(ok.targets.len(), 2);
        for bad in [
            "",
            "[[target]]\nname = \"a\"\n",
            "[[target]]\nname = \"a\"\nserver = \"x\"\n[[target]]\nname = \"a\"\nserver = \"y\"\n",
            "[[target]]\nname = \"a\"\nserver = \"'unterminated\"\n",
            "[[target]]\nname = \"a\"\nserver = \"x\"\ncolour = 1\n",
            "timeout = 0\n[[target]]\nname = \"a\"\nserver = \"x\"\n",
        ] {
            let e = MatrixFile::parse(bad).unwrap_err();
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
