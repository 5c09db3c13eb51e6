//! Waiting until a spawned server is ready (per [`Readiness`]), or has
//! exited, or the timeout passed.

use super::{Readiness, SpawnError, Spawned, POLL};
use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// What "accepts a connection" means while waiting for readiness.
pub(super) enum Probe {
    /// A TCP connect to the server's address.
    Tcp,
    /// The bridge's UNIX socket exists: inside the namespace it is created
    /// only once the server accepted (`connect` probe mode).
    Bridge(PathBuf),
}

fn is_socket(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

pub(super) fn wait_ready(
    mut spawned: Spawned,
    readiness: &Readiness,
    addr: SocketAddr,
    timeout: Duration,
    probe: &Probe,
) -> Result<Spawned, SpawnError> {
    let deadline = Instant::now() + timeout;
    let bridge_up = || match probe {
        Probe::Tcp => true,
        Probe::Bridge(path) => is_socket(path),
    };
    loop {
        match spawned.poll_exit() {
            Ok(Some(status)) => return Err(spawned.exited_early(status, Some(addr))),
            Ok(None) => {}
            Err(source) => {
                return Err(SpawnError::Io {
                    program: spawned.program.clone(),
                    action: "waiting for it",
                    source,
                })
            }
        }
        let now = Instant::now();
        let remaining = deadline.saturating_duration_since(now);
        let ready = match readiness {
            Readiness::Connect => match probe {
                Probe::Tcp => {
                    let limit =
                        remaining.clamp(Duration::from_millis(1), Duration::from_millis(200));
                    TcpStream::connect_timeout(&addr, limit).is_ok()
                }
                Probe::Bridge(_) => bridge_up(),
            },
            Readiness::StdoutLine(text) => spawned.stdout.contains(text.as_bytes()) && bridge_up(),
            Readiness::StderrLine(text) => spawned.stderr.contains(text.as_bytes()) && bridge_up(),
        };
        if ready {
            // A connect may have reached someone else holding the port while
            // the peer was failing to bind it.
            if let Ok(Some(status)) = spawned.poll_exit() {
                return Err(spawned.exited_early(status, Some(addr)));
            }
            return Ok(spawned);
        }
        if Instant::now() >= deadline {
            // Dropping `spawned` kills it.
            return Err(SpawnError::NotReady {
                program: spawned.program.clone(),
                addr,
                timeout,
            });
        }
        thread::sleep(POLL.min(deadline.saturating_duration_since(Instant::now())));
    }
}
