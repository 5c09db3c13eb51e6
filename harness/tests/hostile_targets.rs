//! Targets that end every connection at once, whatever they are sent: a
//! server that sends a fatal alert as soon as the connection opens, and one
//! that closes at once. Their endings come before the step any case
//! misbehaves at (or, for a ClientHello, from a server that speaks before
//! it is spoken to), so no case may pass against them (issue 11: before the
//! verdicts were tied to their step, the alerting server passed 123 of the
//! server-role cases and the closing one 9).

use gauntlet_engine::Side;
use gauntlet_harness::case::Connector;
use gauntlet_harness::expectations::Expectations;
use gauntlet_harness::peer::transport::{Recv, Transport};
use gauntlet_harness::runner::{self, RunOptions, Target};
use gauntlet_harness::suites;
use std::io;
use std::time::Duration;

/// What the hostile server does the moment a connection opens.
#[derive(Clone, Copy)]
enum Hostile {
    /// A fatal alert (level 2) with this description, then a close.
    AlertAtOnce(u8),
    /// A close without a byte.
    CloseAtOnce,
}

struct HostileTransport {
    pending: Vec<u8>,
    log: Vec<(bool, Vec<u8>)>,
}

impl Transport for HostileTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.log.push((true, bytes.to_vec()));
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>, _timeout: Duration) -> io::Result<Recv> {
        if self.pending.is_empty() {
            return Ok(Recv::Eof);
        }
        let n = self.pending.len();
        buf.append(&mut self.pending);
        Ok(Recv::Data(n))
    }

    fn log(&self) -> &[(bool, Vec<u8>)] {
        &self.log
    }
}

impl Connector for Hostile {
    fn connect(&self) -> io::Result<Box<dyn Transport>> {
        let pending = match self {
            Hostile::AlertAtOnce(d) => vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, *d],
            Hostile::CloseAtOnce => Vec::new(),
        };
        Ok(Box::new(HostileTransport {
            pending,
            log: Vec::new(),
        }))
    }

    fn describe(&self) -> String {
        "a hostile server".into()
    }
}

fn passes_against(hostile: Hostile) -> Vec<String> {
    let cases: Vec<_> = suites::all()
        .into_iter()
        .filter(|c| c.side == Side::Server)
        .collect();
    let opts = RunOptions {
        timeout: Duration::from_secs(1),
        ..RunOptions::default()
    };
    let results = runner::run(
        &cases,
        Target::Server(&hostile),
        &opts,
        &Expectations::default(),
        &|_| {},
    );
    assert_eq!(results.len(), cases.len());
    results
        .into_iter()
        .filter(|r| r.verdict.is_ok())
        .map(|r| r.name)
        .collect()
}

#[test]
fn no_case_passes_against_a_server_that_alerts_at_once() {
    // decode_error (50), unexpected_message (10), bad_record_mac (20) and
    // handshake_failure (40): the alerts most cases expect.
    for d in [50u8, 10, 20, 40] {
        assert_eq!(
            passes_against(Hostile::AlertAtOnce(d)),
            Vec::<String>::new(),
            "alert {d}"
        );
    }
}

#[test]
fn no_case_passes_against_a_server_that_closes_at_once() {
    assert_eq!(passes_against(Hostile::CloseAtOnce), Vec::<String>::new());
}
