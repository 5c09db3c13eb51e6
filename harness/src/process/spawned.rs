//! The [`Spawned`] guard: starting a child in its own process group with its
//! output captured, waiting for it with a timeout, and killing its whole
//! group when it is dropped.

use super::output::{start_stdin_writer, Capture};
use super::relay::Relay;
use super::{PeerCommand, SpawnError, DRAIN_TIMEOUT, POLL, REAP_TIMEOUT};
use std::ffi::OsStr;
use std::fs;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// A running peer. Dropping it kills the peer's whole process group, reaps
/// the peer and stops its relay.
#[derive(Debug)]
pub struct Spawned {
    pub(super) program: String,
    child: Child,
    /// Set once the child has been reaped; its process group is then killed
    /// at once, so the group id is never signalled after it could be reused.
    exit: Option<ExitStatus>,
    pub(super) stdout: Arc<Capture>,
    pub(super) stderr: Arc<Capture>,
    stdin: Option<Sender<Vec<u8>>>,
    addr: Option<SocketAddr>,
    pub(super) relay: Option<Relay>,
    pub(super) bridge_socket: Option<PathBuf>,
}

impl Spawned {
    /// The peer's pid, which is also its process group id. For a confined
    /// server it is the server itself (`unshare` and `sh` exec into it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The address a server is reachable at from this namespace.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    pub fn program(&self) -> &str {
        &self.program
    }

    /// What the peer wrote on stdout so far (first [`CAPTURE_LIMIT`](super::CAPTURE_LIMIT) bytes,
    /// invalid UTF-8 replaced).
    pub fn stdout_text(&self) -> String {
        self.stdout.text()
    }

    /// What the peer wrote on stderr so far (as [`Spawned::stdout_text`]).
    pub fn stderr_text(&self) -> String {
        self.stderr.text()
    }

    /// Bytes of stdout read past [`CAPTURE_LIMIT`](super::CAPTURE_LIMIT) and dropped.
    pub fn stdout_dropped(&self) -> u64 {
        self.stdout.dropped()
    }

    /// Bytes of stderr read past [`CAPTURE_LIMIT`](super::CAPTURE_LIMIT) and dropped.
    pub fn stderr_dropped(&self) -> u64 {
        self.stderr.dropped()
    }

    /// The first non-empty line of stderr, else of stdout, as an error
    /// message may quote it (at most [`super::EXCERPT_LIMIT`] bytes, escaped).
    pub fn first_output_line(&self) -> Option<String> {
        first_line(&self.stderr_text()).or_else(|| first_line(&self.stdout_text()))
    }

    /// Waits until stdout contains `needle`; false on timeout or when stdout
    /// closed without it.
    pub fn wait_for_stdout(&self, needle: &str, timeout: Duration) -> bool {
        self.stdout.wait_for(needle.as_bytes(), timeout)
    }

    /// Waits until stderr contains `needle` (as [`Spawned::wait_for_stdout`]).
    pub fn wait_for_stderr(&self, needle: &str, timeout: Duration) -> bool {
        self.stderr.wait_for(needle.as_bytes(), timeout)
    }

    /// Queues bytes for the peer's stdin (`s_client` and `gnutls-cli` send
    /// what they read there). Never blocks: a background thread writes.
    pub fn write_stdin(&self, bytes: &[u8]) -> io::Result<()> {
        let closed = || io::Error::new(ErrorKind::BrokenPipe, "peer stdin is closed");
        match &self.stdin {
            Some(tx) => tx.send(bytes.to_vec()).map_err(|_| closed()),
            None => Err(closed()),
        }
    }

    /// Closes stdin once queued bytes are written (clients then close the
    /// connection and exit).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Whether the peer is still running (reaps it if it exited, as
    /// [`Spawned::wait_timeout`]).
    pub fn is_running(&mut self) -> bool {
        matches!(self.poll_exit(), Ok(None))
    }

    /// Waits at most `timeout` for the peer to exit. Once an exit is seen,
    /// stdout and stderr are complete (their pipes drained, within 1 s).
    pub fn wait_timeout(&mut self, timeout: Duration) -> io::Result<Option<ExitStatus>> {
        // Polled, not blocked on SIGCHLD: a SIGCHLD handler (as the
        // wait-timeout crate installs) would make every timed socket read of
        // the other threads fail with EINTR (signal(7)).
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.poll_exit()? {
                return Ok(Some(status));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            thread::sleep(POLL.min(deadline - now));
        }
    }

    /// Kills the peer's process group, reaps the peer and stops the relay.
    /// Idempotent; `Drop` calls it.
    pub fn kill(&mut self) {
        if self.exit.is_none() {
            // The leader is not reaped yet, so its pid still names our group.
            kill_group(self.child.id());
            let _ = self.child.kill();
            let _ = self.wait_timeout(REAP_TIMEOUT);
        }
        self.stdin = None;
        // Dropping the relay shuts its connections down and joins its threads.
        self.relay = None;
        if let Some(path) = self.bridge_socket.take() {
            let _ = fs::remove_file(path);
        }
    }

    pub(super) fn poll_exit(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.exit {
            return Ok(Some(status));
        }
        let status = self.child.try_wait()?;
        if let Some(status) = status {
            self.exit = Some(status);
            // Whatever the leader left behind (a bridge, `sleep &`) goes too,
            // right away: the group id stays reserved while members live.
            kill_group(self.child.id());
            // Then the output is complete once the pipes drain.
            let deadline = Instant::now() + DRAIN_TIMEOUT;
            self.stdout.wait_eof(deadline);
            self.stderr.wait_eof(deadline);
        }
        Ok(status)
    }

    /// Turns an exit during startup into the error that explains it.
    pub(super) fn exited_early(self, status: ExitStatus, addr: Option<SocketAddr>) -> SpawnError {
        let (stdout, stderr) = (self.stdout_text(), self.stderr_text());
        let program = self.program.clone();
        if let Some(addr) = addr {
            if stderr.contains("Address already in use")
                || stdout.contains("Address already in use")
            {
                return SpawnError::PortInUse { program, addr };
            }
        }
        let first_line = first_line(&stderr)
            .or_else(|| first_line(&stdout))
            .unwrap_or_else(|| "(no output)".to_owned());
        SpawnError::ExitedEarly {
            program,
            status,
            first_line,
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The first non-empty line, as a message may quote it ([`excerpt`]).
fn first_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(super::excerpt)
}

/// SIGKILL to every process of group `pgid`. std has no killpg and the crate
/// forbids unsafe code, so this uses the shell's `kill` builtin (always there,
/// unlike procps' `kill`).
fn kill_group(pgid: u32) {
    let spawned = Command::new("sh")
        .args(["-c", "kill -s KILL -- -\"$1\" 2>/dev/null", "sh"])
        .arg(pgid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Ok(mut killer) = spawned {
        let deadline = Instant::now() + REAP_TIMEOUT;
        while matches!(killer.try_wait(), Ok(None)) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        let _ = killer.kill();
        let _ = killer.try_wait();
    }
}

/// The Debian package that provides a program we know of.
fn package_for(program: &str) -> Option<&'static str> {
    let name = Path::new(program)
        .file_name()
        .and_then(OsStr::to_str)
        .unwrap_or(program);
    Some(match name {
        "openssl" => "openssl",
        "gnutls-serv" | "gnutls-cli" | "certtool" => "gnutls-bin",
        "selfserv" | "tstclnt" | "certutil" => "libnss3-tools",
        "socat" => "socat",
        "unshare" | "nsenter" => "util-linux",
        "ip" => "iproute2",
        _ => return None,
    })
}

/// Fails with [`SpawnError::NotInstalled`] unless `program` can be executed:
/// a name is looked up on `PATH`, a path (with a `/`) is checked as given,
/// relative to the current directory, as `execvp` would.
pub(super) fn require_program(program: &str) -> Result<(), SpawnError> {
    match which::which(program) {
        Ok(_) => Ok(()),
        Err(_) => Err(SpawnError::NotInstalled {
            program: program.to_owned(),
            package: package_for(program),
        }),
    }
}

/// Spawns `command` in its own process group with piped stdio and starts the
/// capture and stdin threads.
pub(super) fn start(
    cmd: &PeerCommand,
    mut command: Command,
    addr: Option<SocketAddr>,
) -> Result<Spawned, SpawnError> {
    let io_err = |action, source| SpawnError::Io {
        program: cmd.program.clone(),
        action,
        source,
    };
    command
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = command.spawn().map_err(|e| match e.kind() {
        ErrorKind::NotFound => SpawnError::NotInstalled {
            program: cmd.program.clone(),
            package: package_for(&cmd.program),
        },
        _ => io_err("spawning", e),
    })?;
    let (out, err, input) = (child.stdout.take(), child.stderr.take(), child.stdin.take());
    // From here on the guard owns the child: any early return kills it.
    let mut spawned = Spawned {
        program: cmd.program.clone(),
        child,
        exit: None,
        stdout: Arc::default(),
        stderr: Arc::default(),
        stdin: None,
        addr,
        relay: None,
        bridge_socket: None,
    };
    Capture::start(&spawned.stdout, out, "peer-stdout")
        .map_err(|e| io_err("capturing stdout", e))?;
    Capture::start(&spawned.stderr, err, "peer-stderr")
        .map_err(|e| io_err("capturing stderr", e))?;
    if let Some(input) = input {
        spawned.stdin = Some(start_stdin_writer(input).map_err(|e| io_err("writing stdin", e))?);
    }
    Ok(spawned)
}
