//! `ScriptedServer`: a TLS 1.2 server that keeps real keys and the real
//! transcript hash while it misbehaves as its `ServerBugs` say. It tests
//! clients.

use super::transport::Transport;
use super::Outcome;
use gauntlet_engine::enums::CipherSuite;
use gauntlet_engine::Provider;
use std::time::Duration;

/// Misbehaviour knobs of the scripted server; the defaults make a correct server.
#[derive(Clone, Debug, Default)]
pub struct ServerBugs {}

/// The scripted server's configuration for one case.
#[derive(Clone, Debug)]
pub struct ServerScript {
    /// The suite chosen if the client offers it.
    pub suite: CipherSuite,
    pub ems: bool,
    pub bugs: ServerBugs,
}

impl Default for ServerScript {
    fn default() -> Self {
        Self {
            suite: CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
            ems: true,
            bugs: ServerBugs::default(),
        }
    }
}

/// Runs one connection as the server.
pub fn run(
    t: &mut dyn Transport,
    script: &ServerScript,
    rng: &mut Provider,
    timeout: Duration,
) -> Outcome {
    let _ = (t, script, rng, timeout);
    Outcome::ended(
        super::Ending::Io("scripted server not implemented yet".into()),
        0,
    )
}
