//! Spawning third-party TLS peers (`openssl s_server`/`s_client`,
//! `gnutls-serv`/`gnutls-cli`, NSS `selfserv`/`tstclnt`) as child processes
//! that talk to us over loopback TCP.
//!
//! This module owns the process side of the "spawned command" target: port
//! choice, readiness, bounded output capture, stdin, and teardown. Every child
//! runs in its own process group, and a [`Spawned`] guard kills that whole
//! group (wrappers, grandchildren, relays) when it is dropped, so a failing
//! test never leaves a peer behind. Every wait is bounded by a timeout.
//!
//! ## Confinement
//! `gnutls-serv` and `selfserv` cannot bind one address: they listen on every
//! address of the host. A [`PeerCommand::confined`] server runs instead in a
//! private network namespace that holds nothing but `lo` (`unshare --net`, then
//! `ip link set lo up`). A host-namespace client cannot reach into that
//! namespace, so bytes cross it through a UNIX socket on the filesystem (UNIX
//! sockets are not network-namespaced):
//!
//! ```text
//! client ─TCP─► 127.0.0.1:port (relay thread in this process)
//!          ─UNIX─► /tmp/gauntlet-peer-*.sock (socat, inside the netns)
//!          ─TCP─► 127.0.0.1:port (the server, inside the netns)
//! ```
//! The host listener is bound by this process before the server starts, so a
//! confined server never races for its port. Inside the namespace `socat`
//! bridges the UNIX socket to the server; with [`Readiness::Connect`] it only
//! starts listening once the server accepts a connection inside the
//! namespace, so the socket file appearing means "ready". Needs root (or
//! unprivileged user namespaces, used automatically when not root), `unshare`
//! (util-linux), `ip` (iproute2) and `socat`.

use std::env;
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use wait_timeout::ChildExt;

/// Bytes kept of each of a child's stdout and stderr; the excess is read and
/// dropped so a chatty peer never blocks on a full pipe.
pub const CAPTURE_LIMIT: usize = 1 << 20;

/// The placeholder in [`PeerCommand`] arguments replaced by the port number.
pub const PORT_PLACEHOLDER: &str = "{port}";

/// How often readiness and exit are polled.
const POLL: Duration = Duration::from_millis(10);
/// Bound on reaping a child after SIGKILL and on draining its pipes.
const REAP_TIMEOUT: Duration = Duration::from_secs(5);
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the relay keeps retrying the bridge socket for one connection.
const BRIDGE_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Asks the OS for a free TCP port on `ip` (bind port 0, read it, close).
///
/// The port is free when this returns, but nothing reserves it: another
/// process may take it before the peer binds it. The peer then fails with
/// "Address already in use", which [`spawn_server`] reports as
/// [`SpawnError::PortInUse`]; when `spawn_server` chose the port itself
/// (address with port 0) it retries once with a fresh port, so callers should
/// pass port 0 rather than calling this themselves where they can.
pub fn free_port(ip: IpAddr) -> io::Result<u16> {
    let listener = TcpListener::bind(SocketAddr::new(ip, 0))?;
    Ok(listener.local_addr()?.port())
}

/// When a spawned server counts as ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// A TCP connection to its port succeeds. The probe is a bare connect and
    /// close, which `openssl s_server` and `gnutls-serv` log and survive.
    Connect,
    /// Its stdout contains this text (`openssl s_server` prints `ACCEPT`).
    StdoutLine(String),
    /// Its stderr contains this text (`gnutls-serv` prints
    /// `listening on IPv4 0.0.0.0 port N...done`).
    StderrLine(String),
}

impl Readiness {
    /// [`Readiness::StdoutLine`] from a `&str`.
    pub fn stdout_line(text: &str) -> Self {
        Readiness::StdoutLine(text.to_owned())
    }

    /// [`Readiness::StderrLine`] from a `&str`.
    pub fn stderr_line(text: &str) -> Self {
        Readiness::StderrLine(text.to_owned())
    }
}

/// A third-party peer to run: program, arguments (with `{port}`
/// placeholders), extra environment, and whether to confine it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerCommand {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Run in a private network namespace (servers that listen on every
    /// address); see the module documentation.
    pub confine: bool,
    /// Readiness signal for [`spawn_server`].
    pub readiness: Readiness,
    /// The port substituted for `{port}` by [`spawn_client`]; servers take
    /// the port of the address they are given.
    pub port: Option<u16>,
}

impl PeerCommand {
    pub fn new(program: impl Into<String>) -> Self {
        PeerCommand {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            confine: false,
            readiness: Readiness::Connect,
            port: None,
        }
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Runs the server in a private network namespace reached through a relay.
    pub fn confined(mut self) -> Self {
        self.confine = true;
        self
    }

    pub fn ready_when(mut self, readiness: Readiness) -> Self {
        self.readiness = readiness;
        self
    }

    /// The port a client connects to (`{port}` in its arguments).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The arguments with `{port}` replaced.
    pub fn args_for_port(&self, port: u16) -> Vec<String> {
        let port = port.to_string();
        self.args
            .iter()
            .map(|a| a.replace(PORT_PLACEHOLDER, &port))
            .collect()
    }

    fn uses_port(&self) -> bool {
        self.args.iter().any(|a| a.contains(PORT_PLACEHOLDER))
    }
}

/// Why a peer could not be started. `Display` is one line.
#[derive(Debug)]
pub enum SpawnError {
    /// The program (or a tool confinement needs) is not on `PATH`.
    NotInstalled {
        program: String,
        package: Option<&'static str>,
    },
    /// The peer exited before it was ready.
    ExitedEarly {
        program: String,
        status: ExitStatus,
        /// First non-empty line of its stderr (else of its stdout).
        first_line: String,
    },
    /// The peer was still running but not ready when the timeout expired.
    NotReady {
        program: String,
        addr: SocketAddr,
        timeout: Duration,
    },
    /// The port was taken (before the peer started, or the peer said so).
    PortInUse { program: String, addr: SocketAddr },
    /// Peers only ever listen on, and connect to, loopback addresses.
    NotLoopback { addr: SocketAddr },
    /// The command cannot be run as asked (e.g. `{port}` without a port).
    Invalid {
        program: String,
        reason: &'static str,
    },
    /// An OS error while setting the peer up.
    Io {
        program: String,
        action: &'static str,
        source: io::Error,
    },
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::NotInstalled {
                program,
                package: Some(package),
            } => write!(f, "{program}: not installed (apt-get install {package})"),
            SpawnError::NotInstalled {
                program,
                package: None,
            } => write!(f, "{program}: not installed (not found on PATH)"),
            SpawnError::ExitedEarly {
                program,
                status,
                first_line,
            } => write!(f, "{program} exited early ({status}): {first_line}"),
            SpawnError::NotReady {
                program,
                addr,
                timeout,
            } => write!(f, "{program}: not ready on {addr} within {timeout:?}"),
            SpawnError::PortInUse { program, addr } => {
                write!(f, "{program}: port in use: {addr}")
            }
            SpawnError::NotLoopback { addr } => {
                write!(
                    f,
                    "{addr}: not a loopback address (peers use 127.0.0.1 or ::1 only)"
                )
            }
            SpawnError::Invalid { program, reason } => write!(f, "{program}: {reason}"),
            SpawnError::Io {
                program,
                action,
                source,
            } => write!(f, "{program}: {action}: {source}"),
        }
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SpawnError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Starts a server and waits until it is ready (per `cmd.readiness`) on
/// `addr`, at most `ready_timeout` (per attempt: a port clash on a port we
/// chose is retried once).
///
/// `addr` must be loopback; port 0 picks a free port ([`Spawned::addr`] says
/// which). `{port}` in the arguments becomes that port. A confined server
/// listens on the same port number inside its own namespace.
pub fn spawn_server(
    cmd: &PeerCommand,
    addr: SocketAddr,
    ready_timeout: Duration,
) -> Result<Spawned, SpawnError> {
    if !addr.ip().is_loopback() {
        return Err(SpawnError::NotLoopback { addr });
    }
    require_program(&cmd.program)?;
    if cmd.confine {
        return spawn_confined(cmd, addr, ready_timeout);
    }
    if addr.port() != 0 {
        return spawn_direct(cmd, addr, ready_timeout);
    }
    // We chose the port: a clash in the free_port race is retried once.
    let mut retried = false;
    loop {
        let port = free_port(addr.ip()).map_err(|source| SpawnError::Io {
            program: cmd.program.clone(),
            action: "choosing a free port",
            source,
        })?;
        match spawn_direct(cmd, SocketAddr::new(addr.ip(), port), ready_timeout) {
            Err(SpawnError::PortInUse { .. }) if !retried => retried = true,
            result => return result,
        }
    }
}

/// Starts a client (it connects to a server we run). `{port}` in its
/// arguments becomes `cmd.port`. No readiness wait: watch its output with
/// [`Spawned::wait_for_stdout`] or its exit with [`Spawned::wait_timeout`].
pub fn spawn_client(cmd: &PeerCommand) -> Result<Spawned, SpawnError> {
    if cmd.confine {
        return Err(SpawnError::Invalid {
            program: cmd.program.clone(),
            reason: "a confined client could not reach a host-side server",
        });
    }
    require_program(&cmd.program)?;
    let args = match (cmd.uses_port(), cmd.port) {
        (true, None) => {
            return Err(SpawnError::Invalid {
                program: cmd.program.clone(),
                reason: "arguments use {port} but no port was set",
            })
        }
        (_, Some(port)) => cmd.args_for_port(port),
        (false, None) => cmd.args.clone(),
    };
    let mut command = Command::new(&cmd.program);
    command.args(&args);
    start(cmd, command, None)
}

/// A running peer. Dropping it kills the peer's whole process group, reaps
/// the peer and stops its relay.
#[derive(Debug)]
pub struct Spawned {
    program: String,
    child: Child,
    /// Set once the child has been reaped; its process group is then killed
    /// at once, so the group id is never signalled after it could be reused.
    exit: Option<ExitStatus>,
    stdout: Arc<Capture>,
    stderr: Arc<Capture>,
    stdin: Option<Sender<Vec<u8>>>,
    addr: Option<SocketAddr>,
    relay: Option<Relay>,
    bridge_socket: Option<PathBuf>,
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

    /// What the peer wrote on stdout so far (first [`CAPTURE_LIMIT`] bytes,
    /// invalid UTF-8 replaced).
    pub fn stdout_text(&self) -> String {
        self.stdout.text()
    }

    /// What the peer wrote on stderr so far (as [`Spawned::stdout_text`]).
    pub fn stderr_text(&self) -> String {
        self.stderr.text()
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
        // wait-timeout reaps through `Child::try_wait`, so the status is kept
        // in `child` and `poll_exit` below sees it and finishes the teardown.
        if self.exit.is_none() && ChildExt::wait_timeout(&mut self.child, timeout)?.is_none() {
            return Ok(None);
        }
        self.poll_exit()
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

    fn poll_exit(&mut self) -> io::Result<Option<ExitStatus>> {
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
    fn exited_early(self, status: ExitStatus, addr: Option<SocketAddr>) -> SpawnError {
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
            .unwrap_or("(no output)")
            .to_owned();
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

fn first_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).find(|l| !l.is_empty())
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
        if !matches!(killer.wait_timeout(REAP_TIMEOUT), Ok(Some(_))) {
            let _ = killer.kill();
            let _ = killer.try_wait();
        }
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
fn require_program(program: &str) -> Result<(), SpawnError> {
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
fn start(
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

/// A server in the host namespace, bound to `addr` itself.
fn spawn_direct(
    cmd: &PeerCommand,
    addr: SocketAddr,
    ready_timeout: Duration,
) -> Result<Spawned, SpawnError> {
    // A port someone already listens on is reported before the peer starts;
    // the peer's own bind failure covers the remaining race.
    match TcpListener::bind(addr) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::AddrInUse => {
            return Err(SpawnError::PortInUse {
                program: cmd.program.clone(),
                addr,
            })
        }
        Err(source) => {
            return Err(SpawnError::Io {
                program: cmd.program.clone(),
                action: "binding its address",
                source,
            })
        }
    }
    let mut command = Command::new(&cmd.program);
    command.args(cmd.args_for_port(addr.port()));
    let spawned = start(cmd, command, Some(addr))?;
    wait_ready(spawned, &cmd.readiness, addr, ready_timeout, &Probe::Tcp)
}

/// Runs inside the private namespace as `sh -c SCRIPT sh SOCKET PORT PROBE
/// PROGRAM ARGS...`: loopback up, the UNIX-socket bridge in the background
/// (after the server accepts, when PROBE is `connect`), then exec the server
/// so its pid, exit status, stdin and output are the child's own. `-t 5`
/// gives a half-closed connection five seconds to drain the other way.
const CONFINE_SCRIPT: &str = r#"
ip link set lo up || { echo "gauntlet: cannot bring up lo in the private network namespace" >&2; exit 126; }
sock=$1 port=$2 probe=$3
shift 3
srv=$$
bridge() { exec socat -t 5 UNIX-LISTEN:"$sock",fork,unlink-early TCP:127.0.0.1:"$port"; }
if [ "$probe" = connect ]; then
  (until socat -u OPEN:/dev/null TCP:127.0.0.1:"$port" 2>/dev/null; do
     kill -0 "$srv" 2>/dev/null || exit 0
     sleep 0.02
   done
   bridge) </dev/null &
else
  bridge </dev/null &
fi
exec "$@"
"#;

/// A server in a private network namespace, reached through our relay.
fn spawn_confined(
    cmd: &PeerCommand,
    addr: SocketAddr,
    ready_timeout: Duration,
) -> Result<Spawned, SpawnError> {
    for tool in ["unshare", "ip", "socat"] {
        require_program(tool)?;
    }
    let io_err = |action, source| SpawnError::Io {
        program: cmd.program.clone(),
        action,
        source,
    };
    // Binding here, before the server starts, leaves no port race.
    let listener = TcpListener::bind(addr).map_err(|e| match e.kind() {
        ErrorKind::AddrInUse => SpawnError::PortInUse {
            program: cmd.program.clone(),
            addr,
        },
        _ => io_err("binding the relay", e),
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| io_err("binding the relay", e))?;
    let socket = bridge_socket_path();
    let probe = if cmd.readiness == Readiness::Connect {
        "connect"
    } else {
        "none"
    };
    let mut command = Command::new("unshare");
    if !running_as_root() {
        command.arg("--map-root-user");
    }
    command
        .args(["--net", "--", "sh", "-c", CONFINE_SCRIPT, "sh"])
        .arg(&socket)
        .arg(addr.port().to_string())
        .arg(probe)
        .arg(&cmd.program)
        .args(cmd.args_for_port(addr.port()));
    let mut spawned = start(cmd, command, Some(addr))?;
    spawned.bridge_socket = Some(socket.clone());
    spawned.relay =
        Some(Relay::start(listener, socket.clone()).map_err(|e| io_err("starting the relay", e))?);
    wait_ready(
        spawned,
        &cmd.readiness,
        addr,
        ready_timeout,
        &Probe::Bridge(socket),
    )
}

fn running_as_root() -> bool {
    // "Uid:\treal\teffective\t..."; unreadable means we try plain `--net`.
    fs::read_to_string("/proc/self/status").map_or(true, |status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            .is_none_or(|euid| euid == "0")
    })
}

fn bridge_socket_path() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    // sun_path holds 108 bytes: fall back to /tmp under a long TMPDIR.
    let mut dir = env::temp_dir();
    if dir.as_os_str().len() > 64 {
        dir = PathBuf::from("/tmp");
    }
    dir.join(format!("gauntlet-peer-{}-{n}.sock", std::process::id()))
}

/// What "accepts a connection" means while waiting for readiness.
enum Probe {
    /// A TCP connect to the server's address.
    Tcp,
    /// The bridge's UNIX socket exists: inside the namespace it is created
    /// only once the server accepted (`connect` probe mode).
    Bridge(PathBuf),
}

fn is_socket(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

fn wait_ready(
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

/// One of a child's output streams, captured up to [`CAPTURE_LIMIT`] bytes.
#[derive(Debug, Default)]
struct Capture {
    state: Mutex<CaptureState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct CaptureState {
    bytes: Vec<u8>,
    eof: bool,
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

impl Capture {
    /// Reads `source` to its end on a background thread.
    fn start<R: Read + Send + 'static>(
        this: &Arc<Self>,
        source: Option<R>,
        name: &str,
    ) -> io::Result<()> {
        let Some(source) = source else {
            this.finish();
            return Ok(());
        };
        let capture = Arc::clone(this);
        thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || capture.fill(source))
            .map(drop)
    }

    fn fill(&self, mut source: impl Read) {
        let mut buf = [0u8; 8192];
        loop {
            match source.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let chunk = buf.get(..n).unwrap_or_default();
                    let mut state = self.lock();
                    let keep = CAPTURE_LIMIT
                        .saturating_sub(state.bytes.len())
                        .min(chunk.len());
                    state
                        .bytes
                        .extend_from_slice(chunk.get(..keep).unwrap_or_default());
                    self.changed.notify_all();
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        self.finish();
    }

    fn finish(&self) {
        self.lock().eof = true;
        self.changed.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, CaptureState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock().bytes).into_owned()
    }

    fn contains(&self, needle: &[u8]) -> bool {
        contains(&self.lock().bytes, needle)
    }

    /// Waits until `done` holds or the stream ends or `deadline` passes;
    /// returns `done`'s last answer.
    fn wait_until(&self, deadline: Instant, done: impl Fn(&CaptureState) -> bool) -> bool {
        let mut state = self.lock();
        loop {
            if done(&state) {
                return true;
            }
            let now = Instant::now();
            if state.eof || now >= deadline {
                return false;
            }
            state = match self.changed.wait_timeout(state, deadline - now) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    fn wait_for(&self, needle: &[u8], timeout: Duration) -> bool {
        self.wait_until(Instant::now() + timeout, |s| contains(&s.bytes, needle))
    }

    fn wait_eof(&self, deadline: Instant) {
        self.wait_until(deadline, |s| s.eof);
    }
}

/// Feeds the child's stdin from a channel, so writers never block on a full
/// pipe. Dropping the sender closes stdin after the queued bytes.
fn start_stdin_writer(mut stdin: ChildStdin) -> io::Result<Sender<Vec<u8>>> {
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    thread::Builder::new()
        .name("peer-stdin".to_owned())
        .spawn(move || {
            for chunk in rx {
                if stdin
                    .write_all(&chunk)
                    .and_then(|()| stdin.flush())
                    .is_err()
                {
                    break;
                }
            }
        })?;
    Ok(tx)
}

/// The host side of a confined server's relay: accepts on the loopback
/// address and joins each connection to a fresh connection on the bridge's
/// UNIX socket. Dropping it shuts every relayed connection down and joins its
/// threads.
#[derive(Debug)]
struct Relay {
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<(u64, OpenPair)>>>,
    accept: Option<JoinHandle<()>>,
}

/// Clones of a relayed connection's two sockets, to shut them down on stop.
#[derive(Debug)]
struct OpenPair {
    tcp: TcpStream,
    unix: UnixStream,
}

type OpenPairs = Mutex<Vec<(u64, OpenPair)>>;

fn lock_pairs(open: &OpenPairs) -> MutexGuard<'_, Vec<(u64, OpenPair)>> {
    open.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Relay {
    fn start(listener: TcpListener, socket: PathBuf) -> io::Result<Relay> {
        // Non-blocking accept polled every few ms, so stop is prompt.
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (thread_stop, thread_open) = (Arc::clone(&stop), Arc::clone(&open));
        let accept = thread::Builder::new()
            .name("peer-relay".to_owned())
            .spawn(move || accept_loop(&listener, &socket, &thread_stop, &thread_open))?;
        Ok(Relay {
            stop,
            open,
            accept: Some(accept),
        })
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        // Under the lock, so no connection registers after this sweep.
        {
            let mut open = lock_pairs(&self.open);
            self.stop.store(true, Ordering::SeqCst);
            for (_, pair) in open.drain(..) {
                let _ = pair.tcp.shutdown(Shutdown::Both);
                let _ = pair.unix.shutdown(Shutdown::Both);
            }
        }
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn accept_loop(
    listener: &TcpListener,
    socket: &Path,
    stop: &Arc<AtomicBool>,
    open: &Arc<OpenPairs>,
) {
    let mut next_id = 0u64;
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((tcp, _)) => {
                next_id += 1;
                let (id, socket) = (next_id, socket.to_owned());
                let (stop, open) = (Arc::clone(stop), Arc::clone(open));
                let spawned = thread::Builder::new()
                    .name("peer-relay-conn".to_owned())
                    .spawn(move || relay_connection(id, tcp, &socket, &stop, &open));
                // Without a thread the client just sees the connection close.
                if let Ok(handle) = spawned {
                    connections.push(handle);
                }
            }
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
        connections.retain(|c| !c.is_finished());
    }
    for connection in connections {
        let _ = connection.join();
    }
}

fn relay_connection(id: u64, tcp: TcpStream, socket: &Path, stop: &AtomicBool, open: &OpenPairs) {
    if tcp.set_nonblocking(false).is_err() {
        return;
    }
    // socat creates the socket file just before it listens: retry briefly.
    let deadline = Instant::now() + BRIDGE_CONNECT_TIMEOUT;
    let unix = loop {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        match UnixStream::connect(socket) {
            Ok(unix) => break unix,
            Err(_) if Instant::now() < deadline => thread::sleep(POLL),
            Err(_) => return,
        }
    };
    let (Ok(tcp_back), Ok(unix_back), Ok(tcp_reg), Ok(unix_reg)) = (
        tcp.try_clone(),
        unix.try_clone(),
        tcp.try_clone(),
        unix.try_clone(),
    ) else {
        return;
    };
    {
        let mut pairs = lock_pairs(open);
        if stop.load(Ordering::SeqCst) {
            return;
        }
        pairs.push((
            id,
            OpenPair {
                tcp: tcp_reg,
                unix: unix_reg,
            },
        ));
    }
    let back = thread::Builder::new()
        .name("peer-relay-back".to_owned())
        .spawn(move || {
            pump(&unix_back, &tcp_back);
            let _ = tcp_back.shutdown(Shutdown::Write);
        });
    if back.is_ok() {
        pump(&tcp, &unix);
        let _ = unix.shutdown(Shutdown::Write);
    }
    if let Ok(back) = back {
        let _ = back.join();
    }
    lock_pairs(open).retain(|(pair_id, _)| *pair_id != id);
}

/// Copies until end of stream or an error on either side.
fn pump(mut from: impl Read, mut to: impl Write) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if to.write_all(buf.get(..n).unwrap_or_default()).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}
