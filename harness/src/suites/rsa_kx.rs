//! RSA key exchange with malformed premasters (the ROBOT classes, Böck,
//! Somorovsky, Young 2018) and the family-level oracle check.
//!
//! RFC 5246 §7.4.7.1: on any decryption or format failure (padding, length,
//! version) the server continues with a random premaster, so that "an
//! attacker cannot distinguish" the cases. The client's Finished is then
//! sealed under keys the server does not have: its record fails
//! authentication, which RFC 5246 §6.2.3.3 answers with bad_record_mac.
//! decrypt_error would mean the server decrypted that record and only the
//! verify_data differed, impossible with AES-GCM under different keys; so
//! bad_record_mac is the only answer, at the same point (after the same
//! number of records) for every class.
//!
//! A ciphertext of the wrong length (one byte short or long) is a
//! decryption error by RFC 8017 §7.2.2 step 1, and §7.4.7.1 covers every
//! way "processing an RSA-encrypted premaster secret message fails": the
//! server "MUST NOT generate an alert" and continues with a random
//! premaster. So these classes too expect bad_record_mac at Finished, and
//! nothing else (policy rule 1). Stacks that reject them at once (OpenSSL's
//! decrypt_error for the longer one, JSSE's illegal_parameter) list that in
//! their expectations files. The length is public, independent of the
//! private key, so answering it differently reveals nothing: these two
//! classes stay out of the oracle comparison.

use super::{alert, SUITES};
use crate::case::{run_server_case, Connector, Expect, TestCase};
use crate::peer::client::{ClientBugs, ClientScript, PremasterBug};
use crate::peer::{Ending, Outcome};
use gauntlet_engine::enums::{AlertDescription as A, CipherSuite};
use std::collections::BTreeSet;
use std::time::Duration;

/// Every class, with the label its cases carry. `ValidButRandom` (first)
/// is the reference point: a premaster that decrypts fine but is not ours.
pub const CLASSES: [(&str, PremasterBug); 13] = [
    ("ValidButRandom", PremasterBug::ValidButRandom),
    ("WrongFirstByte", PremasterBug::WrongFirstByte),
    ("WrongBlockType", PremasterBug::WrongBlockType),
    ("ZeroInPadding", PremasterBug::ZeroInPadding),
    ("NoSeparator", PremasterBug::NoSeparator),
    ("Length0", PremasterBug::WrongLength(0)),
    ("Length47", PremasterBug::WrongLength(47)),
    ("Length49", PremasterBug::WrongLength(49)),
    ("Version0302", PremasterBug::WrongVersion(0x0302)),
    ("Version0000", PremasterBug::WrongVersion(0x0000)),
    ("Version0304", PremasterBug::WrongVersion(0x0304)),
    ("CiphertextShorter", PremasterBug::CiphertextShorter),
    ("CiphertextLonger", PremasterBug::CiphertextLonger),
];

/// Classes whose difference is public (see the module comment).
fn length_is_public(bug: PremasterBug) -> bool {
    matches!(
        bug,
        PremasterBug::CiphertextShorter | PremasterBug::CiphertextLonger
    )
}

fn expected(_bug: PremasterBug) -> Expect {
    alert(&[A::BadRecordMac])
}

fn script(suite: CipherSuite, bug: PremasterBug, bugs: ClientBugs) -> ClientScript {
    ClientScript {
        suite,
        bugs: ClientBugs {
            premaster: Some(bug),
            ..bugs
        },
        ..ClientScript::default()
    }
}

pub(super) fn cases(out: &mut Vec<TestCase>) {
    for (label, bug) in CLASSES {
        for (suite, sname) in SUITES {
            out.push(TestCase::server(
                format!("RsaKx-Server-{label}-{sname}"),
                "RFC 5246 §7.4.7.1, §6.2.3.3",
                script(suite, bug, ClientBugs::default()),
                expected(bug),
            ));
        }
        // The classic master secret (RFC 5246 §8.1) rather than EMS (RFC
        // 7627 §4), and ClientKeyExchange, ChangeCipherSpec and Finished
        // in separate writes: a server that reacts to the premaster before
        // Finished arrives shows it here (the ROBOT paper found oracles
        // that depended on TCP segmentation).
        let classic = ClientScript {
            ems: false,
            ..script(
                CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
                bug,
                ClientBugs::default(),
            )
        };
        out.push(TestCase::server(
            format!("RsaKx-Server-{label}-NoEMS"),
            "RFC 5246 §7.4.7.1, §8.1",
            classic,
            expected(bug),
        ));
        out.push(TestCase::server(
            format!("RsaKx-Server-{label}-SeparateWrites"),
            "RFC 5246 §7.4.7.1",
            script(
                CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
                bug,
                ClientBugs {
                    separate_writes: true,
                    ..ClientBugs::default()
                },
            ),
            expected(bug),
        ));
    }
    // The version check is against ClientHello.client_version, not the
    // negotiated version (RFC 5246 §7.4.7.1: servers MUST check it when the
    // client offered TLS 1.1 or higher).
    out.push(TestCase::server(
        "RsaKx-Server-PremasterHasNegotiatedVersion",
        "RFC 5246 §7.4.7.1",
        script(
            CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
            PremasterBug::WrongVersion(0x0303),
            ClientBugs {
                client_version: Some(0x0304),
                ..ClientBugs::default()
            },
        ),
        alert(&[A::BadRecordMac]),
    ));
}

/// How the oracle's connections are shaped (the two the ROBOT scan uses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OracleShape {
    /// ClientKeyExchange, ChangeCipherSpec and Finished in one flight.
    FullFlight,
    /// The same three, each in its own write (its own TCP segment).
    SeparateWrites,
    /// ClientKeyExchange alone, then listen.
    KeyExchangeOnly,
}

/// What an attacker sees of one connection, timing aside.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Observation {
    /// completed, alert, closed, timeout, garbled or io.
    pub ending: &'static str,
    /// (level, description) when it ended with an alert.
    pub alert: Option<(u8, u8)>,
    /// Records from the server before the ending.
    pub records_in: usize,
}

impl Observation {
    pub fn of(o: &Outcome) -> Self {
        let (ending, alert) = match &o.ending {
            None => ("completed", None),
            Some(Ending::Alert { level, description }) => ("alert", Some((*level, *description))),
            Some(Ending::Eof) => ("closed", None),
            Some(Ending::Timeout) => ("timeout", None),
            Some(Ending::Garbled(_)) => ("garbled", None),
            Some(Ending::Io(_)) => ("io", None),
        };
        Self {
            ending,
            alert,
            records_in: o.records_in,
        }
    }
}

/// One class's observations over every repeat.
#[derive(Clone, Debug)]
pub struct OracleClass {
    pub label: &'static str,
    pub bug: PremasterBug,
    pub observed: BTreeSet<Observation>,
    /// False for the classes whose difference would be public.
    pub compared: bool,
}

#[derive(Clone, Debug)]
pub struct OracleReport {
    pub shape: OracleShape,
    pub suite: CipherSuite,
    pub repeats: usize,
    /// Every class, `ValidButRandom` first.
    pub classes: Vec<OracleClass>,
}

impl OracleReport {
    /// What `ValidButRandom` got.
    pub fn baseline(&self) -> &BTreeSet<Observation> {
        &self.classes[0].observed
    }

    /// The compared classes whose set of observations is not the
    /// baseline's: each is a padding oracle (or an unstable target).
    pub fn differing(&self) -> Vec<&OracleClass> {
        let base = self.baseline();
        self.classes
            .iter()
            .filter(|c| c.compared && &c.observed != base)
            .collect()
    }
}

/// Runs every class `repeats` times (round-robin, so drift in the target
/// hits every class alike) and collects what each got. Timing is not
/// compared. A Version class that completes the handshake means the server
/// does not check the premaster's version (RFC 5246 §7.4.7.1), which the
/// RsaKx-Server-Version* cases report too; it differs from the baseline but
/// is not by itself a padding oracle. (A server that rebuilds the premaster
/// as client_version || M[2..47], as GnuTLS does and as the RFC's first
/// construction says, fails at Finished like the baseline: the scripted
/// client keys from the premaster it actually sent.)
pub fn robot_oracle(
    target: &dyn Connector,
    suite: CipherSuite,
    shape: OracleShape,
    repeats: usize,
    timeout: Duration,
) -> OracleReport {
    let mut classes: Vec<OracleClass> = CLASSES
        .iter()
        .map(|&(label, bug)| OracleClass {
            label,
            bug,
            observed: BTreeSet::new(),
            compared: !length_is_public(bug),
        })
        .collect();
    for r in 0..repeats {
        for (i, class) in classes.iter_mut().enumerate() {
            let case = TestCase::server(
                format!("RsaKx-Oracle-{}", class.label),
                "RFC 5246 §7.4.7.1",
                script(
                    suite,
                    class.bug,
                    ClientBugs {
                        stop_after_client_key_exchange: shape == OracleShape::KeyExchangeOnly,
                        separate_writes: shape == OracleShape::SeparateWrites,
                        ..ClientBugs::default()
                    },
                ),
                expected(class.bug),
            );
            let mut seed = [0x52u8; 32];
            seed[..8].copy_from_slice(&(r as u64).to_be_bytes());
            seed[8] = i as u8;
            let (outcome, _) = run_server_case(&case, target, timeout, seed);
            class.observed.insert(Observation::of(&outcome));
        }
    }
    OracleReport {
        shape,
        suite,
        repeats,
        classes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(ending: &'static str, alert: Option<(u8, u8)>, records_in: usize) -> Observation {
        Observation {
            ending,
            alert,
            records_in,
        }
    }

    fn report(answers: &[Observation]) -> OracleReport {
        OracleReport {
            shape: OracleShape::FullFlight,
            suite: CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
            repeats: 1,
            classes: CLASSES
                .iter()
                .zip(answers)
                .map(|(&(label, bug), o)| OracleClass {
                    label,
                    bug,
                    observed: [o.clone()].into(),
                    compared: !length_is_public(bug),
                })
                .collect(),
        }
    }

    #[test]
    fn oracle_reports_a_class_answered_differently() {
        let mac = obs("alert", Some((2, 20)), 4);
        let mut answers = vec![mac.clone(); CLASSES.len()];
        assert!(report(&answers).differing().is_empty());
        // Same alert, one record later: still an oracle (the ROBOT paper's
        // "different number of records" class).
        answers[3] = obs("alert", Some((2, 20)), 5);
        let r = report(&answers);
        let labels: Vec<_> = r.differing().iter().map(|c| c.label).collect();
        assert_eq!(labels, ["ZeroInPadding"]);
        // The public-length classes are not compared.
        answers[3] = mac;
        let last = answers.len() - 1;
        answers[last] = obs("alert", Some((2, 50)), 4);
        assert!(report(&answers).differing().is_empty());
    }

    #[test]
    fn observation_keeps_the_alert_and_drops_garbled_details() {
        let a = Outcome::ended(Ending::Garbled("record 3".into()), 3);
        let b = Outcome::ended(Ending::Garbled("record 4".into()), 3);
        assert_eq!(Observation::of(&a), Observation::of(&b));
        let c = Outcome::ended(
            Ending::Alert {
                level: 2,
                description: 20,
            },
            3,
        );
        assert_eq!(Observation::of(&c).alert, Some((2, 20)));
        assert_ne!(Observation::of(&a), Observation::of(&c));
    }
}
