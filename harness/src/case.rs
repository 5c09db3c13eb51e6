//! Test cases as data: a name (`Topic-Side-Variant`), the RFC clause it
//! checks, the scripted peer's configuration, and the expected outcome.

use crate::peer::client::{self, ClientScript, SavedSession};
use crate::peer::transport::{ByteLog, Transport};
use crate::peer::{Ending, Milestone, Outcome};
use gauntlet_engine::enums::AlertDescription;
use gauntlet_engine::pki::RevocationPolicy;
use gauntlet_engine::{Provider, Side};
use std::fmt;
use std::io;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The handshake completes and application data flows.
    Success,
    /// The session is resumed (abbreviated handshake) and data flows.
    Resumed,
    /// The target ends the connection with a fatal alert from this set
    /// (the RFC's choice first, then those the RFC also allows).
    Alert(Vec<AlertDescription>),
    /// The target closes without a fatal alert (a close or close_notify),
    /// as after a fatal alert of ours (RFC 5246 §7.2).
    Closed,
    /// Any of these outcomes conforms (where the RFC leaves a choice).
    AnyOf(Vec<Expect>),
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Success => f.write_str("success"),
            Expect::Resumed => f.write_str("resumed session"),
            Expect::Closed => f.write_str("close without a fatal alert"),
            Expect::AnyOf(all) => {
                for (i, e) in all.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", or ")?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            Expect::Alert(set) => {
                f.write_str("fatal alert ")?;
                for (i, a) in set.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    write!(f, "{a:?}")?;
                }
                Ok(())
            }
        }
    }
}

/// What a case's scripted peer is.
#[derive(Clone, Debug)]
pub enum Script {
    /// For server-role cases.
    Client(Box<ClientScript>),
    /// For client-role cases.
    Server(Box<crate::peer::server::ServerScript>),
}

#[derive(Clone, Debug)]
pub struct TestCase {
    pub name: String,
    pub rfc: &'static str,
    /// The target's role: `Server` when Gauntlet plays a scripted client,
    /// `Client` when it plays a scripted server.
    pub side: Side,
    pub script: Script,
    pub expect: Expect,
}

impl TestCase {
    /// A server-role case played by the scripted client.
    pub fn server(
        name: impl Into<String>,
        rfc: &'static str,
        script: ClientScript,
        expect: Expect,
    ) -> Self {
        Self {
            name: name.into(),
            rfc,
            side: Side::Server,
            script: Script::Client(Box::new(script)),
            expect,
        }
    }
}

impl TestCase {
    /// The step of the scripted peer at which this case misbehaves: an
    /// ending before it does not judge the misbehaviour.
    pub fn injected_at(&self) -> Milestone {
        match &self.script {
            Script::Client(c) => c.bugs.injected_at(),
            // The CA's answers come with the hello flight (the staple, the
            // chain's URLs) or after it (what the client fetches).
            Script::Server(s) if s.revocation.is_some() => Milestone::Hello,
            Script::Server(s) => s.bugs.injected_at(),
        }
    }

    /// What this case requires of a target with this revocation policy:
    /// a revocation case's outcome for the policy, else `expect`.
    pub fn expect_under(&self, policy: RevocationPolicy) -> &Expect {
        match &self.script {
            Script::Server(s) => match &s.revocation {
                Some(r) => r.expect.under(policy),
                None => &self.expect,
            },
            Script::Client(_) => &self.expect,
        }
    }

    /// A client-role case played by the scripted server.
    pub fn client(
        name: impl Into<String>,
        rfc: &'static str,
        script: crate::peer::server::ServerScript,
        expect: Expect,
    ) -> Self {
        Self {
            name: name.into(),
            rfc,
            side: Side::Client,
            script: Script::Server(Box::new(script)),
            expect,
        }
    }
}

/// A case's verdict before expectations files are applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// The target did something else: what was expected, what came.
    Fail(String),
    /// The harness could not run the case (kept apart from target failures).
    HarnessError(String),
}

/// Compares an outcome with what the case expects. `at` is where the case
/// misbehaves (`TestCase::injected_at`): an ending that came before the
/// scripted peer got there (the target alerted or closed before it had
/// seen the fault) fails, whatever it was.
pub fn judge(expect: &Expect, outcome: &Outcome, at: Milestone) -> Verdict {
    if let Some(Ending::Io(e)) = &outcome.ending {
        return Verdict::HarnessError(e.clone());
    }
    if outcome.ending.is_some() && outcome.reached < at {
        return Verdict::Fail(format!(
            "expected {expect} once the peer reached {at:?}, but the target ended first: {outcome} at {:?}",
            outcome.reached
        ));
    }
    if conforms(expect, outcome) {
        Verdict::Pass
    } else {
        Verdict::Fail(format!("expected {expect}, got {outcome}"))
    }
}

fn conforms(expect: &Expect, outcome: &Outcome) -> bool {
    match (expect, &outcome.ending) {
        (Expect::Success, None) => true,
        (Expect::Resumed, None) => outcome.resumed,
        (
            Expect::Alert(set),
            Some(Ending::Alert {
                level: 2,
                description,
            }),
        ) => set.contains(&AlertDescription(*description)),
        (Expect::Closed, Some(Ending::Eof)) => true,
        (
            Expect::Closed,
            Some(Ending::Alert {
                level: 1,
                description,
            }),
        ) => *description == AlertDescription::CloseNotify.0,
        (Expect::AnyOf(all), _) => all.iter().any(|e| conforms(e, outcome)),
        _ => false,
    }
}

/// Opens a fresh connection to the target for each conversation.
pub trait Connector: Send + Sync {
    fn connect(&self) -> io::Result<Box<dyn Transport>>;
    fn describe(&self) -> String;
}

/// Runs one case against a server target. The seed makes the scripted
/// peer's randomness replayable.
pub fn run_server_case(
    case: &TestCase,
    target: &dyn Connector,
    timeout: Duration,
    seed: [u8; 32],
) -> (Outcome, ByteLog) {
    let Script::Client(script) = &case.script else {
        return (
            Outcome::ended(
                Ending::Io(format!("{} is not a server-role case", case.name)),
                0,
            ),
            ByteLog::default(),
        );
    };
    let mut rng = Provider::from_seed(seed);
    let mut saved: Option<SavedSession> = None;
    if script.bugs.resume {
        // A first, correct connection makes the session to resume.
        let first = ClientScript {
            bugs: Default::default(),
            ..(**script).clone()
        };
        match target.connect() {
            Ok(mut t) => {
                let (outcome, session) = client::run(t.as_mut(), &first, &mut rng, timeout, None);
                // The set-up is not what the case tests: its failure is the
                // harness's (no session to resume), not a verdict.
                if outcome.ending.is_some() {
                    let setup =
                        format!("the set-up connection (a correct handshake) failed: {outcome}");
                    return (
                        Outcome::ended(Ending::Io(setup), outcome.records_in),
                        ByteLog::of(t.as_ref()),
                    );
                }
                saved = session;
            }
            Err(e) => {
                return (
                    Outcome::ended(Ending::Io(e.to_string()), 0),
                    ByteLog::default(),
                )
            }
        }
    }
    match target.connect() {
        Ok(mut t) => {
            let (outcome, _) = client::run(t.as_mut(), script, &mut rng, timeout, saved.as_ref());
            (outcome, ByteLog::of(t.as_ref()))
        }
        Err(e) => (
            Outcome::ended(Ending::Io(format!("{}: {e}", target.describe())), 0),
            ByteLog::default(),
        ),
    }
}

/// Produces a fresh connection from the client under test for each
/// conversation (in memory: a new engine client; over TCP: a new run of
/// the client command, accepted on our listener).
pub trait Acceptor: Send + Sync {
    fn accept(&self) -> io::Result<Box<dyn Transport>>;
    fn describe(&self) -> String;
    /// When the client validates certificates (Unix seconds), for the CA's
    /// responses; `None`: now, by the system clock.
    fn validation_time(&self) -> Option<u64> {
        None
    }
    /// The revocation policy the client is configured with (declared by
    /// the user for a third-party client): it picks a revocation case's
    /// expected outcome.
    fn revocation_policy(&self) -> RevocationPolicy {
        RevocationPolicy::CheckIfPresent
    }
}

/// Runs one case against a client target.
pub fn run_client_case(
    case: &TestCase,
    target: &dyn Acceptor,
    timeout: Duration,
    seed: [u8; 32],
) -> (Outcome, ByteLog) {
    let Script::Server(script) = &case.script else {
        return (
            Outcome::ended(
                Ending::Io(format!("{} is not a client-role case", case.name)),
                0,
            ),
            ByteLog::default(),
        );
    };
    let mut rng = Provider::from_seed(seed);
    // A revocation case's CA issues its certificates and puts up its routes
    // now, at the client's validation time; they go when `_staged` drops.
    let mut staged_script;
    let mut _staged = None;
    let script: &crate::peer::server::ServerScript = match &script.revocation {
        Some(plan) => {
            let now = target.validation_time().unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
            });
            match crate::ca::scenario::stage(plan, now, &case.name) {
                Ok(staged) => {
                    staged_script = (**script).clone();
                    staged_script.bugs.chain = Some(staged.chain.clone());
                    if staged_script.bugs.certificate_status.is_none() {
                        staged_script.bugs.certificate_status = staged.staple.clone();
                    }
                    _staged = Some(staged);
                    &staged_script
                }
                Err(e) => {
                    return (
                        Outcome::ended(Ending::Io(format!("staging the CA: {e}")), 0),
                        ByteLog::default(),
                    )
                }
            }
        }
        None => script,
    };
    match target.accept() {
        Ok(mut t) => {
            let outcome = crate::peer::server::run(t.as_mut(), script, &mut rng, timeout);
            (outcome, ByteLog::of(t.as_ref()))
        }
        Err(e) => (
            Outcome::ended(Ending::Io(format!("{}: {e}", target.describe())), 0),
            ByteLog::default(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gauntlet_engine::enums::AlertDescription as A;

    fn fatal(a: A) -> Outcome {
        Outcome::ended(
            Ending::Alert {
                level: 2,
                description: a.0,
            },
            3,
        )
    }

    fn warning(a: A) -> Outcome {
        Outcome::ended(
            Ending::Alert {
                level: 1,
                description: a.0,
            },
            3,
        )
    }

    fn pass(e: &Expect, o: &Outcome) -> bool {
        judge(e, o, Milestone::Start) == Verdict::Pass
    }

    // Every ending kind against every kind of expectation: what passes is
    // exactly what the Expect variant's doc says, nothing more.
    #[test]
    fn judge_passes_only_the_endings_each_expectation_names() {
        let completed = Outcome::completed(6, false);
        let resumed = Outcome::completed(4, true);
        let eof = Outcome::ended(Ending::Eof, 3);
        let timeout = Outcome::ended(Ending::Timeout, 3);
        let garbled = Outcome::ended(Ending::Garbled("bad Finished".into()), 3);
        let decode = fatal(A::DecodeError);
        let handshake = fatal(A::HandshakeFailure);
        let close_notify = warning(A::CloseNotify);
        let no_reneg = warning(A::NoRenegotiation);
        let all = [
            &completed,
            &resumed,
            &eof,
            &timeout,
            &garbled,
            &decode,
            &handshake,
            &close_notify,
            &no_reneg,
        ];
        let passing = |e: &Expect| -> Vec<bool> { all.iter().map(|o| pass(e, o)).collect() };
        let (t, f) = (true, false);
        // completed, resumed, eof, timeout, garbled, decode, handshake, close_notify, no_reneg
        assert_eq!(passing(&Expect::Success), [t, t, f, f, f, f, f, f, f]);
        assert_eq!(passing(&Expect::Resumed), [f, t, f, f, f, f, f, f, f]);
        assert_eq!(
            passing(&Expect::Alert(vec![A::DecodeError])),
            [f, f, f, f, f, t, f, f, f]
        );
        assert_eq!(passing(&Expect::Closed), [f, f, t, f, f, f, f, t, f]);
        assert_eq!(
            passing(&Expect::AnyOf(vec![
                Expect::Resumed,
                Expect::Alert(vec![A::HandshakeFailure]),
            ])),
            [f, t, f, f, f, f, t, f, f]
        );
        // A warning is never the fatal alert an Alert expectation names.
        assert!(!pass(&Expect::Alert(vec![A::NoRenegotiation]), &no_reneg));
    }

    #[test]
    fn judge_keeps_harness_errors_apart_from_target_failures() {
        let io = Outcome::ended(Ending::Io("connection refused".into()), 0);
        for e in [
            Expect::Success,
            Expect::Closed,
            Expect::Alert(vec![A::DecodeError]),
        ] {
            assert_eq!(
                judge(&e, &io, Milestone::Finished),
                Verdict::HarnessError("connection refused".into())
            );
        }
        match judge(&Expect::Success, &fatal(A::DecodeError), Milestone::Start) {
            Verdict::Fail(why) => {
                assert!(why.contains("expected success"), "{why}");
                assert!(why.contains("DecodeError"), "{why}");
            }
            other => panic!("{other:?}"),
        }
    }

    // An answer counts only once the peer got to the step the case
    // misbehaves at: the right alert sent too early (before the fault was
    // on the wire) fails, at every kind of ending.
    #[test]
    fn judge_fails_an_ending_that_came_before_the_injected_step() {
        let early = fatal(A::DecryptError).at(Milestone::Hello);
        let on_time = fatal(A::DecryptError).at(Milestone::Finished);
        let expect = Expect::Alert(vec![A::DecryptError]);
        assert_eq!(judge(&expect, &on_time, Milestone::Finished), Verdict::Pass);
        match judge(&expect, &early, Milestone::Finished) {
            Verdict::Fail(why) => assert!(why.contains("ended first"), "{why}"),
            other => panic!("{other:?}"),
        }
        let closed_early = Outcome::ended(Ending::Eof, 1).at(Milestone::Hello);
        assert!(matches!(
            judge(&Expect::Closed, &closed_early, Milestone::KeyExchange),
            Verdict::Fail(_)
        ));
        // Completion is judged as always (it reached every step).
        assert_eq!(
            judge(
                &Expect::Success,
                &Outcome::completed(6, false),
                Milestone::Traffic
            ),
            Verdict::Pass
        );
    }
}
