//! Reports of a run (text summary, JSON, JUnit XML) and reproducer bundles.
//!
//! Text: a per-verdict table, one line per case that did not plainly pass
//! (expected vs. actual), and the closing line `N passed, M failed` where
//! passed = pass + expected failure and failed = fail + unexpected pass +
//! harness error. JSON: every case with its verdict, outcome and seed.
//! JUnit: one `<testcase>` per case; fail and unexpected pass are
//! `<failure>`, harness errors `<error>`, expected failures pass with the
//! reason in `<system-out>`.
//!
//! A bundle (`DIR/<case>/`) holds `case.txt` (what was run, expected and
//! actual, the scripted peer's configuration), `transcript.txt` (every chunk
//! in hex with its direction), `capture.pcap` (see [`crate::pcap`]) and
//! `keys.log` (NSS key log) when the scripted peer knew its master secret.
//! A case's log is capped (see [`crate::peer::transport::ByteLog`] and
//! [`crate::runner::MAX_RUN_LOG_BYTES`]): a truncated one says so in
//! `case.txt` and at the head of `transcript.txt`, and the capture holds
//! the prefix that was kept.

use crate::case::TestCase;
use crate::peer::transport::{ByteLog, MAX_LOG_BYTES};
use crate::runner::{CaseResult, Final, Summary, MAX_RUN_LOG_BYTES};
use gauntlet_engine::Side;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// What a run was, for report headers.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub target: String,
    pub side: Side,
    pub seed: u64,
    pub timeout: Duration,
    pub jobs: usize,
    pub expectations: Option<PathBuf>,
    pub elapsed: Duration,
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Server => "server",
        Side::Client => "client",
    }
}

/// The text report; its last line is the closing line.
pub fn text(results: &[CaseResult], info: &RunInfo) -> String {
    let s = Summary::of(results);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} cases against {} in {:.2} s",
        results.len(),
        info.target,
        info.elapsed.as_secs_f64()
    );
    let _ = writeln!(out, "{:<18}{:>6}", "verdict", "cases");
    for (name, n) in [
        ("pass", s.pass),
        ("expected failure", s.expected_failure),
        ("fail", s.fail),
        ("unexpected pass", s.unexpected_pass),
        ("harness error", s.harness_error),
    ] {
        let _ = writeln!(out, "{name:<18}{n:>6}");
    }
    for r in results {
        let line = match &r.verdict {
            Final::Pass => continue,
            Final::Fail(detail) => format!("FAIL   {} ({}): {detail}", r.name, r.rfc),
            Final::ExpectedFailure { reason, detail } => {
                format!("XFAIL  {}: {detail} [listed: {reason}]", r.name)
            }
            Final::UnexpectedPass { reason } => format!(
                "XPASS  {} ({}): expected {} and got it, but it is listed as failing: {reason}",
                r.name, r.rfc, r.expect
            ),
            Final::HarnessError(e) => format!("ERROR  {}: {e}", r.name),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&s.closing_line());
    out.push('\n');
    out
}

#[derive(serde::Serialize)]
struct JsonReport<'a> {
    gauntlet: &'static str,
    target: &'a str,
    side: &'static str,
    seed: u64,
    timeout_ms: u128,
    jobs: usize,
    expectations: Option<String>,
    elapsed_ms: u128,
    summary: Summary,
    passed: usize,
    failed: usize,
    cases: Vec<JsonCase<'a>>,
}

#[derive(serde::Serialize)]
struct JsonCase<'a> {
    name: &'a str,
    rfc: &'a str,
    side: &'static str,
    expect: String,
    verdict: &'static str,
    /// Expected vs. actual, or the harness error.
    detail: Option<&'a str>,
    /// The expectations file's reason, for listed cases.
    reason: Option<&'a str>,
    outcome: String,
    alert: Option<u8>,
    records_in: usize,
    bytes_sent: u64,
    bytes_received: u64,
    duration_ms: f64,
    seed: String,
}

/// The full JSON report.
pub fn json(results: &[CaseResult], info: &RunInfo) -> String {
    let summary = Summary::of(results);
    let cases = results
        .iter()
        .map(|r| {
            let (detail, reason) = match &r.verdict {
                Final::Pass => (None, None),
                Final::Fail(d) | Final::HarnessError(d) => (Some(d.as_str()), None),
                Final::ExpectedFailure { reason, detail } => {
                    (Some(detail.as_str()), Some(reason.as_str()))
                }
                Final::UnexpectedPass { reason } => (None, Some(reason.as_str())),
            };
            let totals = r.log.totals();
            JsonCase {
                name: &r.name,
                rfc: r.rfc,
                side: side_name(r.side),
                expect: r.expect.to_string(),
                verdict: r.verdict.kind(),
                detail,
                reason,
                outcome: r.outcome.to_string(),
                alert: r.outcome.fatal_alert().map(|a| a.0),
                records_in: r.outcome.records_in,
                bytes_sent: totals.sent,
                bytes_received: totals.received,
                duration_ms: r.duration.as_secs_f64() * 1000.0,
                seed: hex::encode(r.seed),
            }
        })
        .collect();
    let report = JsonReport {
        gauntlet: env!("CARGO_PKG_VERSION"),
        target: &info.target,
        side: side_name(info.side),
        seed: info.seed,
        timeout_ms: info.timeout.as_millis(),
        jobs: info.jobs,
        expectations: info.expectations.as_ref().map(|p| p.display().to_string()),
        elapsed_ms: info.elapsed.as_millis(),
        summary,
        passed: summary.passed(),
        failed: summary.failed(),
        cases,
    };
    // Serializing plain data with string keys cannot fail.
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}

/// Shows the C0 controls XML 1.0 cannot carry as `\\xNN` (quick-junit
/// would drop them silently), so a raw byte in a detail stays visible.
fn visible_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML (the Surefire/Jenkins dialect most CI systems read), written by
/// quick-junit, which also escapes and counts.
pub fn junit(results: &[CaseResult], info: &RunInfo) -> String {
    use quick_junit::{NonSuccessKind, Property, Report, TestCase as JCase, TestCaseStatus};
    let suite_name = format!("gauntlet.{}", side_name(info.side));
    let mut suite = quick_junit::TestSuite::new(suite_name.as_str());
    suite.set_time(info.elapsed);
    for (k, v) in [
        ("target", info.target.clone()),
        ("seed", info.seed.to_string()),
        ("timeout", format!("{:?}", info.timeout)),
    ] {
        suite.add_property(Property::new(k, visible_controls(&v)));
    }
    for r in results {
        let failure = |kind, ty: &str, message: String| {
            let mut status = TestCaseStatus::non_success(kind);
            status.set_type(ty).set_message(visible_controls(&message));
            status
        };
        let status = match &r.verdict {
            Final::Pass | Final::ExpectedFailure { .. } => TestCaseStatus::success(),
            Final::Fail(d) => {
                let mut status = failure(NonSuccessKind::Failure, "fail", d.clone());
                status.set_description(visible_controls(&format!("{} ({})", r.name, r.rfc)));
                status
            }
            Final::UnexpectedPass { reason } => failure(
                NonSuccessKind::Failure,
                "unexpected-pass",
                format!("passed but listed as an expected failure: {reason}"),
            ),
            Final::HarnessError(e) => failure(NonSuccessKind::Error, "harness-error", e.clone()),
        };
        let mut case = JCase::new(visible_controls(&r.name), status);
        // The topic (`Basic` of `Basic-Server-…`) groups cases in CI views.
        let topic = r.name.split('-').next().unwrap_or("case");
        case.set_classname(visible_controls(&format!("{suite_name}.{topic}")))
            .set_time(r.duration);
        // An expected failure passes; the listed reason shows in its output.
        if let Final::ExpectedFailure { reason, detail } = &r.verdict {
            case.set_system_out(visible_controls(&format!(
                "expected failure: {reason}; {detail}"
            )));
        }
        suite.add_test_case(case);
    }
    let mut report = Report::new("gauntlet");
    report.set_time(info.elapsed).add_test_suite(suite);
    // Writing into a String fails only on I/O, which a String never has.
    let mut xml = report.to_string().unwrap_or_default();
    if !xml.ends_with('\n') {
        xml.push('\n');
    }
    xml
}

/// A file- and directory-safe version of a case name.
pub fn bundle_dir_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // ``, `.` and `..` would name the output directory or its parent.
    if safe.chars().all(|c| c == '.') {
        "_".repeat(safe.len().max(1))
    } else {
        safe
    }
}

/// The chunk log as hex, one block per chunk with its direction.
pub fn transcript(log: &[(bool, Vec<u8>)], side: Side) -> String {
    let (us, them) = match side {
        Side::Server => ("gauntlet (scripted client)", "target (server)"),
        Side::Client => ("gauntlet (scripted server)", "target (client)"),
    };
    let mut out = String::new();
    let mut offsets = [0usize; 2];
    for (i, (ours, bytes)) in log.iter().enumerate() {
        let (from, to) = if *ours { (us, them) } else { (them, us) };
        let stream_offset = &mut offsets[usize::from(*ours)];
        let _ = writeln!(
            out,
            "# chunk {i}: {from} -> {to}, {} bytes at stream offset {}",
            bytes.len(),
            stream_offset
        );
        *stream_offset += bytes.len();
        let mark = if *ours { '>' } else { '<' };
        for (row, chunk) in bytes.chunks(16).enumerate() {
            let _ = write!(out, "{mark} {:06x} ", row * 16);
            for j in 0..16 {
                match chunk.get(j) {
                    Some(b) => {
                        let _ = write!(out, " {b:02x}");
                    }
                    None => out.push_str("   "),
                }
            }
            out.push_str("  |");
            out.extend(chunk.iter().map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                }
            }));
            out.push_str("|\n");
        }
        out.push('\n');
    }
    out
}

fn case_text(case: &TestCase, r: &CaseResult, info: &RunInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "case:     {}", r.name);
    let _ = writeln!(out, "rfc:      {}", r.rfc);
    let _ = writeln!(out, "side:     the target is the {}", side_name(r.side));
    let _ = writeln!(out, "target:   {}", info.target);
    let _ = writeln!(out, "expected: {}", r.expect);
    let _ = writeln!(out, "actual:   {}", r.outcome);
    let _ = writeln!(out, "verdict:  {}", r.verdict.kind());
    match &r.verdict {
        Final::Fail(d) | Final::HarnessError(d) => {
            let _ = writeln!(out, "detail:   {d}");
        }
        Final::ExpectedFailure { reason, detail } => {
            let _ = writeln!(out, "detail:   {detail}");
            let _ = writeln!(out, "listed:   {reason}");
        }
        Final::UnexpectedPass { reason } => {
            let _ = writeln!(out, "listed:   {reason}");
        }
        Final::Pass => {}
    }
    let _ = writeln!(
        out,
        "seed:     {} (run seed {})",
        hex::encode(r.seed),
        info.seed
    );
    let _ = writeln!(
        out,
        "replay:   gauntlet test-{} ... --seed {} --filter '{}'",
        side_name(r.side),
        info.seed,
        r.name
    );
    let _ = writeln!(out, "duration: {:.1} ms", r.duration.as_secs_f64() * 1000.0);
    let _ = writeln!(out, "capture:  {}", capture_note(&r.log));
    let _ = writeln!(out, "\nscripted peer configuration:\n{:#?}", case.script);
    out
}

/// How much of the conversation the bundle holds.
fn capture_note(log: &ByteLog) -> String {
    let t = log.totals();
    let all = t.sent + t.received;
    if t.truncated {
        format!(
            "truncated: {} of {all} bytes kept ({} sent, {} received; a case's log keeps at most {MAX_LOG_BYTES} bytes, a run's {MAX_RUN_LOG_BYTES})",
            log.kept(),
            t.sent,
            t.received,
        )
    } else {
        format!(
            "complete: {all} bytes ({} sent, {} received)",
            t.sent, t.received
        )
    }
}

/// Writes the bundle of one case under `dir/<case-name>/`; returns its path.
/// `keys.log` is written only when the scripted peer derived a master secret.
pub fn write_bundle(
    dir: &Path,
    case: &TestCase,
    r: &CaseResult,
    info: &RunInfo,
) -> Result<PathBuf, String> {
    let path = dir.join(bundle_dir_name(&r.name));
    let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    std::fs::create_dir_all(&path).map_err(|e| err(&path, e))?;
    let files: [(&str, Option<Vec<u8>>); 4] = [
        ("case.txt", Some(case_text(case, r, info).into_bytes())),
        (
            "transcript.txt",
            Some(
                if r.log.totals().truncated {
                    format!(
                        "# {}\n\n{}",
                        capture_note(&r.log),
                        transcript(&r.log, r.side)
                    )
                } else {
                    transcript(&r.log, r.side)
                }
                .into_bytes(),
            ),
        ),
        (
            "capture.pcap",
            Some(
                crate::pcap::capture(&r.log, r.side == Side::Server, SystemTime::now())
                    .map_err(|e| format!("{}: {e}", path.join("capture.pcap").display()))?,
            ),
        ),
        (
            "keys.log",
            r.outcome
                .key_log
                .as_ref()
                .map(|l| format!("{l}\n").into_bytes()),
        ),
    ];
    for (name, contents) in files {
        let file = path.join(name);
        match contents {
            Some(c) => std::fs::write(&file, c).map_err(|e| err(&file, e))?,
            // A stale key log from an earlier run must not mislead.
            None => {
                let _ = std::fs::remove_file(&file);
            }
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_controls_shows_what_xml_cannot_carry() {
        assert_eq!(
            visible_controls("a<b>&\"c'\u{1}\u{1b}[0m\t\n"),
            "a<b>&\"c'\\x01\\x1b[0m\t\n"
        );
    }

    #[test]
    fn transcript_marks_direction_and_offsets() {
        let t = transcript(
            &[(true, b"\x16\x03\x01".to_vec()), (false, vec![0x15; 17])],
            Side::Server,
        );
        assert!(t.contains(
            "# chunk 0: gauntlet (scripted client) -> target (server), 3 bytes at stream offset 0"
        ));
        assert!(t.contains("> 000000  16 03 01"));
        assert!(t.contains("< 000010  15"));
    }

    #[test]
    fn bundle_names_are_path_safe() {
        assert_eq!(bundle_dir_name("A-b/../c d"), "A-b_.._c_d");
        assert_eq!(bundle_dir_name(".."), "__");
        assert_eq!(bundle_dir_name(""), "_");
    }
}
