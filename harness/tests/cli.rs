//! The `gauntlet` binary end to end: list, test-server against the built-in,
//! spawned, refused and silent targets, expectations files, report formats,
//! flag errors, and reproducer bundles (decrypted by tshark, which ci/test.sh installs).
#![allow(clippy::unwrap_used)]

use gauntlet_engine::Side;
use gauntlet_harness::expectations::Expectations;
use gauntlet_harness::report::{self, RunInfo};
use gauntlet_harness::runner::{self, Final, RunOptions, Target};
use gauntlet_harness::suites;
use gauntlet_harness::target::MemoryServer;
use quick_junit::Report;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gauntlet");

fn gauntlet(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn server_cases() -> usize {
    suites::all()
        .iter()
        .filter(|c| c.side == Side::Server)
        .count()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gauntlet-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A one-line error on stderr, nothing on stdout.
fn assert_one_line_error(o: &Output) {
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.starts_with("gauntlet: "), "stderr: {err}");
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(o));
}

#[test]
fn list_prints_every_case_once_with_rfc_and_expectation() {
    let o = gauntlet(&["list"]);
    assert!(o.status.success());
    let text = stdout(&o);
    let all = suites::all();
    assert_eq!(text.lines().count(), all.len());
    for (line, case) in text.lines().zip(&all) {
        assert!(line.starts_with(&format!("{}  ", case.name)), "{line}");
        assert!(line.contains(case.rfc), "{line}");
        assert!(line.ends_with(&case.expect.to_string()), "{line}");
    }
    let servers = stdout(&gauntlet(&["list", "--side", "server"]));
    assert_eq!(servers.lines().count(), server_cases());
    let basic = stdout(&gauntlet(&["list", "--filter", "Basic-*"]));
    let want = all.iter().filter(|c| c.name.starts_with("Basic-")).count();
    assert!(want > 0);
    assert_eq!(basic.lines().count(), want);
}

#[test]
fn builtin_server_passes_every_case_with_the_closing_line() {
    let o = gauntlet(&["test-server", "--builtin"]);
    let text = stdout(&o);
    assert!(o.status.success(), "{text}{}", stderr(&o));
    assert_eq!(
        text.lines().last().unwrap(),
        format!("{} passed, 0 failed", server_cases())
    );
}

#[test]
fn spawned_server_command_is_started_tested_and_stopped() {
    let serve = format!("{BIN} serve --listen 127.0.0.1:{{port}} --timeout 2");
    let o = gauntlet(&["test-server", "--spawn", &serve, "--filter", "Basic-*"]);
    let text = stdout(&o);
    assert!(o.status.success(), "{text}{}", stderr(&o));
    assert_eq!(text.lines().last().unwrap(), "4 passed, 0 failed");
    assert!(text.contains("(spawned on 127.0.0.1:"), "{text}");
}

#[test]
fn refused_port_is_one_line_error_and_fast() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let start = Instant::now();
    let o = gauntlet(&["test-server", &format!("127.0.0.1:{port}")]);
    assert_eq!(o.status.code(), Some(2));
    assert_one_line_error(&o);
    assert!(stderr(&o).contains("refused"), "{}", stderr(&o));
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn silent_server_costs_one_timeout_per_case() {
    // Accepts every connection and never writes.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let start = Instant::now();
    let o = gauntlet(&[
        "test-server",
        &addr.to_string(),
        "--timeout",
        "0.2",
        "--filter",
        "Basic-*",
        "--jobs",
        "1",
    ]);
    let elapsed = start.elapsed();
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert_eq!(text.lines().last().unwrap(), "0 passed, 4 failed");
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("FAIL") && l.contains("no answer within the timeout"))
            .count(),
        4,
        "{text}"
    );
    // Four cases at 0.2 s each, plus process start-up.
    assert!(elapsed < Duration::from_millis(800 + 1500), "{elapsed:?}");
}

#[test]
fn malformed_expectations_file_is_one_line_error_naming_file_and_line() {
    let dir = temp_dir("badexp");
    let file = dir.join("exp.txt");
    std::fs::write(&file, "# ok\nBasic-Server-AES128-EMS\n").unwrap();
    let o = gauntlet(&[
        "test-server",
        "--builtin",
        "--expectations",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_one_line_error(&o);
    assert!(
        stderr(&o).contains(&format!("{}:2: ", file.display())),
        "{}",
        stderr(&o)
    );
    std::fs::write(&file, "No-Such-Case  a reason\n").unwrap();
    let o = gauntlet(&[
        "test-server",
        "--builtin",
        "--expectations",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_one_line_error(&o);
    assert!(stderr(&o).contains("no such case"), "{}", stderr(&o));
}

#[test]
fn listed_case_that_passes_is_an_unexpected_pass_with_a_bundle() {
    let dir = temp_dir("xpass");
    let file = dir.join("exp.txt");
    std::fs::write(
        &file,
        "Basic-Server-AES128-EMS  said to fail: it does not\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = gauntlet(&[
        "test-server",
        "--builtin",
        "--filter",
        "Basic-*",
        "--expectations",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("XPASS  Basic-Server-AES128-EMS"), "{text}");
    assert_eq!(text.lines().last().unwrap(), "3 passed, 1 failed");
    let bundle = out.join("Basic-Server-AES128-EMS");
    for f in ["case.txt", "transcript.txt", "capture.pcap", "keys.log"] {
        assert!(bundle.join(f).is_file(), "{f} missing");
    }
    // Only the unexpected pass gets a bundle.
    assert!(!out.join("Basic-Server-AES128-NoEMS").exists());
    let case = std::fs::read_to_string(bundle.join("case.txt")).unwrap();
    assert!(case.contains("verdict:  unexpected-pass"), "{case}");
    assert!(case.contains("said to fail: it does not"), "{case}");
    let keys = std::fs::read_to_string(bundle.join("keys.log")).unwrap();
    assert!(keys.starts_with("CLIENT_RANDOM "), "{keys}");
    let pcap = std::fs::read(bundle.join("capture.pcap")).unwrap();
    assert_eq!(&pcap[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    assert!(out.join("report.json").is_file());
    assert!(out.join("junit.xml").is_file());
}

#[test]
fn json_report_parses_and_counts_every_case() {
    let o = gauntlet(&["test-server", "--builtin", "--format", "json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let n = server_cases();
    assert_eq!(v["cases"].as_array().unwrap().len(), n);
    assert_eq!(v["summary"]["pass"], n);
    assert_eq!(v["failed"], 0);
    assert_eq!(v["cases"][0]["verdict"], "pass");
    // The closing line goes to stderr so stdout stays one JSON document.
    assert_eq!(stderr(&o).trim(), format!("{n} passed, 0 failed"));
}

/// Every start tag has its end tag, properly nested.
fn assert_balanced_xml(xml: &str) -> usize {
    let mut stack: Vec<String> = Vec::new();
    let mut elements = 0;
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        let j = rest[i..].find('>').unwrap() + i;
        let tag = &rest[i + 1..j];
        rest = &rest[j + 1..];
        if tag.starts_with('?') {
            continue;
        }
        assert!(!tag.contains('<'), "unescaped < in {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
        } else {
            elements += 1;
            if !tag.ends_with('/') {
                stack.push(tag.split_whitespace().next().unwrap().to_string());
            }
        }
        // Attribute values hold no raw quotes or ampersands but entities.
        for part in tag.split('&').skip(1) {
            assert!(
                ["amp;", "lt;", "gt;", "quot;", "apos;"]
                    .iter()
                    .any(|e| part.starts_with(e)),
                "bad entity in {tag}"
            );
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    elements
}

#[test]
fn junit_report_is_well_formed_and_counts_failures() {
    let o = gauntlet(&["test-server", "--builtin", "--format", "junit"]);
    assert!(o.status.success());
    let xml = stdout(&o);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let n = server_cases();
    assert!(assert_balanced_xml(&xml) > n);
    assert_eq!(xml.matches("<testcase ").count(), n);
    let parsed = Report::deserialize_from_str(&xml).unwrap();
    assert_eq!(
        (parsed.tests, parsed.failures, parsed.errors, parsed.skipped),
        (n, 0, 0, 0)
    );

    // Failures (from a silent server) are <failure> elements.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let o = gauntlet(&[
        "test-server",
        &addr.to_string(),
        "--timeout",
        "0.1",
        "--filter",
        "Basic-Server-AES128-*",
        "--format",
        "junit",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let xml = stdout(&o);
    assert_balanced_xml(&xml);
    assert_eq!(xml.matches("<failure ").count(), 2, "{xml}");
    let parsed = Report::deserialize_from_str(&xml).unwrap();
    assert_eq!((parsed.tests, parsed.failures, parsed.errors), (2, 2, 0));
    assert_eq!(
        (parsed.test_suites[0].tests, parsed.test_suites[0].failures),
        (2, 2)
    );
}

/// One case run in memory, with its verdict replaced.
fn result_with(verdict: Final) -> runner::CaseResult {
    let case = suites::all()
        .into_iter()
        .find(|c| c.name == "Basic-Server-AES128-EMS")
        .unwrap();
    let target = MemoryServer::builtin().unwrap();
    let mut r = runner::run_one(
        &case,
        Target::Server(&target),
        &RunOptions::default(),
        &Expectations::default(),
    );
    r.verdict = verdict;
    r
}

#[test]
fn junit_report_reads_back_with_every_verdict_message_and_count() {
    use quick_junit::{NonSuccessKind, TestCaseStatus};
    let results = [
        result_with(Final::Pass),
        result_with(Final::Fail(
            "expected alert 40, got <close> & \"eof\"\u{1}".into(),
        )),
        result_with(Final::ExpectedFailure {
            reason: "sends X: because Y".into(),
            detail: "expected a, got b".into(),
        }),
        result_with(Final::UnexpectedPass {
            reason: "stale entry".into(),
        }),
        result_with(Final::HarnessError("connect: refused".into())),
    ];
    let info = RunInfo {
        target: "t <&> \"q\"".into(),
        side: Side::Server,
        seed: 7,
        timeout: Duration::from_secs(2),
        jobs: 1,
        expectations: None,
        elapsed: Duration::from_millis(1500),
    };
    let xml = report::junit(&results, &info);
    let parsed = Report::deserialize_from_str(&xml).unwrap();
    // Expected failures pass (CI stays green on a known deviation); fail and
    // unexpected pass are failures, harness errors errors; nothing is skipped.
    assert_eq!(
        (parsed.tests, parsed.failures, parsed.errors, parsed.skipped),
        (5, 2, 1, 0)
    );
    assert_eq!(parsed.name.as_ref().map(|n| n.as_str()), Some("gauntlet"));
    let suite = &parsed.test_suites[0];
    assert_eq!(suite.name.as_str(), "gauntlet.server");
    assert_eq!(suite.time, Some(Duration::from_millis(1500)));
    let props: Vec<(&str, &str)> = suite
        .properties
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect();
    assert_eq!(
        props,
        [("target", "t <&> \"q\""), ("seed", "7"), ("timeout", "2s")]
    );
    for c in &suite.test_cases {
        assert_eq!(c.name.as_str(), "Basic-Server-AES128-EMS");
        assert_eq!(
            c.classname.as_ref().map(|n| n.as_str()),
            Some("gauntlet.server.Basic")
        );
    }
    let non_success = |i: usize| match &suite.test_cases[i].status {
        TestCaseStatus::NonSuccess {
            kind,
            message,
            ty,
            description,
            ..
        } => (
            *kind,
            ty.as_ref().map(|t| t.as_str().to_string()),
            message.as_ref().map(|m| m.as_str().to_string()),
            description.as_ref().map(|d| d.as_str().to_string()),
        ),
        other => panic!("case {i}: {other:?}"),
    };
    assert!(matches!(
        suite.test_cases[0].status,
        TestCaseStatus::Success { .. }
    ));
    assert!(suite.test_cases[0].system_out.is_none());
    // Markup survives escaping; a control character is shown, not dropped.
    assert_eq!(
        non_success(1),
        (
            NonSuccessKind::Failure,
            Some("fail".into()),
            Some("expected alert 40, got <close> & \"eof\"\\x01".into()),
            Some("Basic-Server-AES128-EMS (RFC 5246 §7.3)".into()),
        )
    );
    assert!(matches!(
        suite.test_cases[2].status,
        TestCaseStatus::Success { .. }
    ));
    assert_eq!(
        suite.test_cases[2].system_out.as_ref().map(|o| o.as_str()),
        Some("expected failure: sends X: because Y; expected a, got b")
    );
    for (i, kind, ty, message) in [
        (
            3,
            NonSuccessKind::Failure,
            "unexpected-pass",
            "passed but listed as an expected failure: stale entry",
        ),
        (
            4,
            NonSuccessKind::Error,
            "harness-error",
            "connect: refused",
        ),
    ] {
        assert_eq!(
            non_success(i),
            (kind, Some(ty.into()), Some(message.into()), None)
        );
    }
}

#[test]
fn bad_flag_is_one_line_and_exit_2() {
    for args in [
        &["test-server", "--builtin", "--bogus"][..],
        &["test-server"][..],
        &["test-server", "--builtin", "--timeout", "0"][..],
        &["test-server", "--builtin", "--filter", "No-Such-*"][..],
        &["test-server", "--builtin", "--format", "xml"][..],
        &["list", "--side", "both"][..],
    ] {
        let o = gauntlet(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert_one_line_error(&o);
    }
}

/// Runs one case in memory and writes its bundle whatever its verdict.
fn bundle_for(name: &str, dir: &Path) -> PathBuf {
    let case = suites::all().into_iter().find(|c| c.name == name).unwrap();
    let target = MemoryServer::builtin().unwrap();
    let opts = RunOptions::default();
    let r = runner::run_one(
        &case,
        Target::Server(&target),
        &opts,
        &Expectations::default(),
    );
    assert_eq!(r.verdict, Final::Pass);
    let info = RunInfo {
        target: "reference server (in memory)".into(),
        side: Side::Server,
        seed: opts.seed,
        timeout: opts.timeout,
        jobs: 1,
        expectations: None,
        elapsed: r.duration,
    };
    report::write_bundle(dir, &case, &r, &info).unwrap()
}

#[test]
fn tshark_decrypts_application_data_of_a_bundle() {
    // ci/test.sh installs tshark; without it this check cannot run, and a
    // test that cannot run must not pass.
    let tshark = which::which("tshark")
        .unwrap_or_else(|_| panic!("tshark: not installed (apt-get install tshark)"));
    let dir = temp_dir("tshark");
    for name in ["Basic-Server-AES128-EMS", "Basic-Server-AES256-NoEMS"] {
        let bundle = bundle_for(name, &dir);
        let o = Command::new(&tshark)
            .current_dir(&bundle)
            .args([
                "-r",
                "capture.pcap",
                "-o",
                "tls.keylog_file:keys.log",
                "-Y",
                "http.request",
                "-T",
                "fields",
                "-e",
                "http.request.method",
                "-e",
                "http.request.uri",
                "-e",
                "http.request.version",
                "-e",
                "tcp.srcport",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let text = stdout(&o);
        // The request went from us (the client, port 49152) and came back
        // echoed by the reference server (port 443): both decrypted.
        assert!(
            text.lines().any(|l| l == "GET\t/\tHTTP/1.0\t49152"),
            "{name}: {text}"
        );
        assert!(
            text.lines().any(|l| l == "GET\t/\tHTTP/1.0\t443"),
            "{name}: {text}"
        );
        // And the capture has no malformed packets or TCP analysis complaints.
        let o = Command::new(&tshark)
            .current_dir(&bundle)
            .args([
                "-r",
                "capture.pcap",
                "-o",
                "tls.keylog_file:keys.log",
                "-Y",
                "_ws.malformed || tcp.analysis.flags || _ws.expert.severity >= warning",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), "", "{name}: tshark found problems");
    }
}
