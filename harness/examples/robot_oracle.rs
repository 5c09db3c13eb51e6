//! The ROBOT oracle check (`suites::rsa_kx::robot_oracle`) against a spawned
//! server, in the three connection shapes: every malformed-premaster class
//! must get the answer a valid-but-wrong premaster gets (RFC 5246 §7.4.7.1).
//!
//! ```text
//! cargo run --release -p gauntlet-harness --example robot_oracle -- \
//!     [--confine] [--ready-line TEXT] [--suite 009c|009d] [--repeats N] [--timeout SECS] -- CMD
//! ```
//! CMD is a server command with `{port}`, as for `gauntlet test-server
//! --spawn`. Prints each class's observations per shape and exits 1 if a
//! compared class differs from the baseline.
#![allow(clippy::unwrap_used)]

use gauntlet_engine::enums::CipherSuite;
use gauntlet_harness::process::Readiness;
use gauntlet_harness::suites::rsa_kx::{robot_oracle, OracleShape};
use gauntlet_harness::target_spawn::{peer_command, SpawnedServer};
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut confine, mut ready, mut suite, mut repeats) =
        (false, None, CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256, 3);
    let mut timeout = Duration::from_secs(3);
    let mut words = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--confine" => confine = true,
            "--ready-line" => ready = args.next(),
            "--suite" => {
                if args.next().as_deref() == Some("009d") {
                    suite = CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384;
                }
            }
            "--repeats" => repeats = args.next().and_then(|n| n.parse().ok()).unwrap_or(3),
            "--timeout" => {
                let secs: f64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(3.0);
                timeout = Duration::from_secs_f64(secs.max(0.1));
            }
            "--" => {
                words = args.by_ref().collect();
            }
            other => {
                eprintln!("robot_oracle: unknown argument {other}");
                return ExitCode::from(2);
            }
        }
    }
    let Ok(mut cmd) = peer_command(&words) else {
        eprintln!("robot_oracle: give the server command after --");
        return ExitCode::from(2);
    };
    if let Some(text) = ready {
        cmd = cmd.ready_when(Readiness::StdoutLine(text));
    }
    if confine {
        cmd = cmd.confined();
    }
    let server = match SpawnedServer::start(&cmd, Duration::from_secs(30), timeout) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("robot_oracle: {e}");
            return ExitCode::from(2);
        }
    };
    let mut oracle = false;
    for shape in [
        OracleShape::FullFlight,
        OracleShape::SeparateWrites,
        OracleShape::KeyExchangeOnly,
    ] {
        let report = robot_oracle(&server, suite, shape, repeats, timeout);
        println!("== {shape:?} ({repeats} repeats, {suite:?})");
        for c in &report.classes {
            let seen: Vec<String> = c
                .observed
                .iter()
                .map(|o| {
                    let alert = o
                        .alert
                        .map(|(l, d)| format!(" {l}/{d}"))
                        .unwrap_or_default();
                    format!("{}{alert} after {} records", o.ending, o.records_in)
                })
                .collect();
            println!(
                "  {:<18} {}{}",
                c.label,
                seen.join(" | "),
                if c.compared { "" } else { "  (not compared)" }
            );
        }
        let differing = report.differing();
        if differing.is_empty() {
            println!("  no class differs from ValidButRandom");
        } else {
            oracle = true;
            for c in differing {
                println!("  DIFFERS: {}", c.label);
            }
        }
    }
    server.stop();
    if oracle {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
