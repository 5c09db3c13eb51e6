//! The step log of a connection: every record and message sent or received,
//! every state change and every secret derived. Snapshots and reports
//! render it; `render` gives readable YAML (decoded fields plus hex).

use crate::enums::{ContentType, ProtocolVersion};
use std::fmt::{self, Write};

/// Which state a connection is in: the one awaiting the next message, or
/// `Start` before the first is set. `name()` is what transcripts render.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StateId {
    Start,
    ExpectClientHello,
    ExpectServerHello,
    ExpectCertificate,
    ExpectCertificateStatus,
    ExpectServerKeyExchange,
    ExpectServerHelloDone,
    ExpectClientKeyExchange,
    ExpectChangeCipherSpec,
    ExpectFinished,
    Traffic,
}

impl StateId {
    pub fn name(self) -> &'static str {
        match self {
            StateId::Start => "Start",
            StateId::ExpectClientHello => "ExpectClientHello",
            StateId::ExpectServerHello => "ExpectServerHello",
            StateId::ExpectCertificate => "ExpectCertificate",
            StateId::ExpectCertificateStatus => "ExpectCertificateStatus",
            StateId::ExpectServerKeyExchange => "ExpectServerKeyExchange",
            StateId::ExpectServerHelloDone => "ExpectServerHelloDone",
            StateId::ExpectClientKeyExchange => "ExpectClientKeyExchange",
            StateId::ExpectChangeCipherSpec => "ExpectChangeCipherSpec",
            StateId::ExpectFinished => "ExpectFinished",
            StateId::Traffic => "Traffic",
        }
    }
}

impl fmt::Display for StateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
    /// Something the engine did without traffic: derived a secret, chose a
    /// premaster, validated a chain.
    Local,
}

/// One entry of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub direction: Direction,
    /// The record that carried the message, for sent and received steps:
    /// its content type and header version (for a message spanning
    /// records, the last one's).
    pub record: Option<(ContentType, ProtocolVersion)>,
    /// Whether that record was AEAD-protected (after the sender's CCS).
    pub protected: bool,
    /// What happened, e.g. `ClientHello` or `master_secret`.
    pub what: String,
    /// Decoded fields (Debug form of the message), when there is one.
    pub decoded: Option<String>,
    /// The plaintext bytes of the message (or the secret's value).
    pub bytes: Vec<u8>,
    pub state_before: StateId,
    pub state_after: StateId,
}

/// The most a transcript holds, counted as [`Step::cost`]: each step's
/// inline size plus its heap (name, decoded form, bytes). A full handshake
/// costs ~30 KiB and one with a maximal (256 KiB) Certificate message under
/// 1 MiB, so this cap cuts only long-lived connections: a peer that streams
/// application data or alerts. The step that would pass it is replaced by
/// one `Local` step named [`TRUNCATED`], and nothing is recorded after it,
/// so a transcript never grows past `MAX_TRANSCRIPT_BYTES` plus that marker.
pub const MAX_TRANSCRIPT_BYTES: usize = 4 << 20;

/// The `what` of the marker step that ends a transcript cut at its cap.
pub const TRUNCATED: &str = "transcript truncated: cap reached, later steps not recorded";

impl Step {
    /// What this step counts against [`MAX_TRANSCRIPT_BYTES`].
    pub fn cost(&self) -> usize {
        size_of::<Step>()
            + self.what.len()
            + self.decoded.as_ref().map_or(0, String::len)
            + self.bytes.len()
    }
}

/// The whole log, in order, bounded by [`MAX_TRANSCRIPT_BYTES`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    steps: Vec<Step>,
    enabled: bool,
    /// Sum of the kept steps' `cost()`.
    cost: usize,
    /// The cap was reached: the last step is the marker.
    truncated: bool,
}

impl Transcript {
    /// A log that records (`enabled`) or one that drops every step, for
    /// load runs where the log would only cost memory.
    pub fn new(enabled: bool) -> Self {
        Self {
            steps: Vec::new(),
            enabled,
            cost: 0,
            truncated: false,
        }
    }

    /// Whether steps are kept: callers skip building them when not (nor
    /// once the log was cut at its cap).
    pub fn is_enabled(&self) -> bool {
        self.enabled && !self.truncated
    }

    /// Whether the log was cut at [`MAX_TRANSCRIPT_BYTES`].
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// Appends `step`, or, if it would pass the cap, the [`TRUNCATED`]
    /// marker (in the state `step` was taken in) and stops recording.
    pub fn push(&mut self, step: Step) {
        if !self.is_enabled() {
            return;
        }
        let cost = step.cost();
        if self.cost.saturating_add(cost) > MAX_TRANSCRIPT_BYTES {
            self.truncated = true;
            let marker = Step {
                direction: Direction::Local,
                record: None,
                protected: false,
                what: TRUNCATED.into(),
                decoded: None,
                bytes: Vec::new(),
                state_before: step.state_before,
                state_after: step.state_before,
            };
            self.cost += marker.cost();
            self.steps.push(marker);
            return;
        }
        self.cost += cost;
        self.steps.push(step);
    }

    /// The kept steps' total [`Step::cost`] (at most the cap plus the marker).
    pub fn cost(&self) -> usize {
        self.cost
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Readable YAML: one mapping per step, bytes in 32-byte hex lines.
    /// In the decoded form, opaque values longer than 32 bytes are
    /// abbreviated (their bytes are all in `hex`).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.steps.iter().enumerate() {
            let _ = writeln!(out, "- step: {i}");
            let _ = writeln!(out, "  direction: {:?}", s.direction);
            if let Some((typ, version)) = s.record {
                let protected = if s.protected { " protected" } else { "" };
                let _ = writeln!(out, "  record: {typ:?} {version:?}{protected}");
            }
            let _ = writeln!(out, "  what: {}", s.what);
            if s.state_before != s.state_after {
                let _ = writeln!(out, "  state: {} -> {}", s.state_before, s.state_after);
            } else {
                let _ = writeln!(out, "  state: {}", s.state_before);
            }
            if let Some(d) = &s.decoded {
                let _ = writeln!(out, "  decoded: |");
                for line in d.lines() {
                    let _ = writeln!(out, "    {}", abbreviate_hex(line));
                }
            }
            let _ = writeln!(out, "  len: {}", s.bytes.len());
            if !s.bytes.is_empty() {
                let _ = writeln!(out, "  hex: |");
                for chunk in s.bytes.chunks(32) {
                    let mut line = String::with_capacity(64);
                    for b in chunk {
                        let _ = write!(line, "{b:02x}");
                    }
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
        out
    }
}

/// Replaces each run of more than 64 lowercase hex digits in `line` by its
/// first 32 digits, `…` and the run's length in bytes.
fn abbreviate_hex(line: &str) -> String {
    const KEEP: usize = 32;
    let mut out = String::with_capacity(line.len().min(200));
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() > 2 * KEEP {
            let _ = write!(out, "{}…({} bytes)", &run[..KEEP], run.len() / 2);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in line.chars() {
        if c.is_ascii_digit() || ('a'..='f').contains(&c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_step_with_state_change_and_hex() {
        let mut t = Transcript::new(true);
        t.push(Step {
            direction: Direction::Sent,
            record: Some((ContentType::Alert, ProtocolVersion::TLSv1_2)),
            protected: true,
            what: "Alert".into(),
            decoded: Some("level: Fatal\ndescription: DecodeError".into()),
            bytes: vec![2, 50],
            state_before: StateId::ExpectClientHello,
            state_after: StateId::Traffic,
        });
        let yaml = t.render();
        assert!(yaml.contains("record: Alert TLSv1_2 protected"));
        assert!(yaml.contains("state: ExpectClientHello -> Traffic"));
        assert!(yaml.contains("    description: DecodeError"));
        assert!(yaml.contains("    0232"));
    }

    #[test]
    fn a_disabled_transcript_keeps_nothing() {
        let mut t = Transcript::new(false);
        t.push(Step {
            direction: Direction::Local,
            record: None,
            protected: false,
            what: "x".into(),
            decoded: None,
            bytes: vec![],
            state_before: StateId::Start,
            state_after: StateId::Start,
        });
        assert!(t.steps().is_empty());
    }

    fn data_step(len: usize) -> Step {
        Step {
            direction: Direction::Received,
            record: Some((ContentType::ApplicationData, ProtocolVersion::TLSv1_2)),
            protected: true,
            what: "ApplicationData".into(),
            decoded: None,
            bytes: vec![0; len],
            state_before: StateId::Traffic,
            state_after: StateId::Traffic,
        }
    }

    #[test]
    fn a_transcript_past_its_cap_ends_with_one_marker_and_stops_growing() {
        let mut t = Transcript::new(true);
        let per = data_step(16 * 1024).cost();
        let fit = MAX_TRANSCRIPT_BYTES / per;
        for _ in 0..fit + 100 {
            t.push(data_step(16 * 1024));
        }
        assert!(t.is_truncated());
        assert!(!t.is_enabled());
        assert_eq!(t.steps().len(), fit + 1);
        assert!(t.cost() <= MAX_TRANSCRIPT_BYTES + size_of::<Step>() + TRUNCATED.len());
        let last = t.steps().last().unwrap();
        assert_eq!(last.what, TRUNCATED);
        assert_eq!(last.direction, Direction::Local);
        assert_eq!(t.steps().iter().filter(|s| s.what == TRUNCATED).count(), 1);
        assert!(t.render().contains(TRUNCATED));
    }

    #[test]
    fn a_transcript_under_its_cap_keeps_every_step() {
        let mut t = Transcript::new(true);
        for _ in 0..100 {
            t.push(data_step(1024));
        }
        assert!(!t.is_truncated());
        assert_eq!(t.steps().len(), 100);
    }

    #[test]
    fn abbreviates_only_long_hex_runs() {
        let long = "ab".repeat(40);
        assert_eq!(
            abbreviate_hex(&format!("Asn1Cert({long}),")),
            format!("Asn1Cert({}…(40 bytes)),", "ab".repeat(16))
        );
        let short = "cd".repeat(32);
        assert_eq!(
            abbreviate_hex(&format!("Random({short})")),
            format!("Random({short})")
        );
        assert_eq!(abbreviate_hex("cipher_suite: X"), "cipher_suite: X");
    }
}
