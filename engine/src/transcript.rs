//! The step log of a connection: every record and message sent or received,
//! every state change and every secret derived. Snapshots and reports
//! render it; `render` gives readable YAML (decoded fields plus hex).

use crate::enums::{ContentType, ProtocolVersion};
use std::fmt::Write;

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
    /// The record that carried the message, for sent and received steps.
    pub record: Option<(ContentType, ProtocolVersion)>,
    /// What happened, e.g. `ClientHello` or `master_secret`.
    pub what: String,
    /// Decoded fields (Debug form of the message), when there is one.
    pub decoded: Option<String>,
    /// The plaintext bytes of the message (or the secret's value).
    pub bytes: Vec<u8>,
    pub state_before: &'static str,
    pub state_after: &'static str,
}

/// The whole log, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    steps: Vec<Step>,
    enabled: bool,
}

impl Transcript {
    /// A log that records (`enabled`) or one that drops every step, for
    /// load runs where the log would only cost memory.
    pub fn new(enabled: bool) -> Self {
        Self {
            steps: Vec::new(),
            enabled,
        }
    }

    pub fn push(&mut self, step: Step) {
        if self.enabled {
            self.steps.push(step);
        }
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Readable YAML: one mapping per step, bytes in 32-byte hex lines.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.steps.iter().enumerate() {
            let _ = writeln!(out, "- step: {i}");
            let _ = writeln!(out, "  direction: {:?}", s.direction);
            if let Some((typ, version)) = s.record {
                let _ = writeln!(out, "  record: {typ:?} {version:?}");
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
                    let _ = writeln!(out, "    {line}");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_step_with_state_change_and_hex() {
        let mut t = Transcript::new(true);
        t.push(Step {
            direction: Direction::Sent,
            record: Some((ContentType::Alert, ProtocolVersion::TLSv1_2)),
            what: "Alert".into(),
            decoded: Some("level: Fatal\ndescription: DecodeError".into()),
            bytes: vec![2, 50],
            state_before: "ExpectClientHello",
            state_after: "Closed",
        });
        let yaml = t.render();
        assert!(yaml.contains("record: Alert TLSv1_2"));
        assert!(yaml.contains("state: ExpectClientHello -> Closed"));
        assert!(yaml.contains("    description: DecodeError"));
        assert!(yaml.contains("    0232"));
    }

    #[test]
    fn a_disabled_transcript_keeps_nothing() {
        let mut t = Transcript::new(false);
        t.push(Step {
            direction: Direction::Local,
            record: None,
            what: "x".into(),
            decoded: None,
            bytes: vec![],
            state_before: "a",
            state_after: "a",
        });
        assert!(t.steps().is_empty());
    }
}
