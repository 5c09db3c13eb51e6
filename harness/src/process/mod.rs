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
//!
//! The files: this one holds the public API (commands, errors, the two
//! spawn entry points); `spawned` the [`Spawned`] guard (start, waits,
//! teardown), `readiness` the wait for a server to be ready, `output` the
//! bounded capture of stdout/stderr and the stdin writer, `confine` the
//! private network namespace and `relay` the host side of its bridge.

mod confine;
mod output;
mod readiness;
mod relay;
mod spawned;

pub use spawned::Spawned;

use readiness::{wait_ready, Probe};
use spawned::{require_program, start};
use std::fmt;
use std::io::{self, ErrorKind};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::process::{Command, ExitStatus};
use std::time::Duration;

/// Bytes kept of each of a child's stdout and stderr (per case: a client
/// command runs once per case); the excess is read, counted
/// ([`Spawned::stdout_dropped`]) and dropped, so a chatty peer never blocks on
/// a full pipe nor grows our memory.
pub const CAPTURE_LIMIT: usize = 64 * 1024;

/// Bytes of a child's output an error message quotes at most (see [`excerpt`]).
pub const EXCERPT_LIMIT: usize = 2 * 1024;

/// `text` as an error message may quote it: control characters (a NUL
/// flood, escape sequences) escaped, and cut after [`EXCERPT_LIMIT`] bytes of
/// the result, with the count of input bytes left out.
pub fn excerpt(text: &str) -> String {
    let mut out = String::new();
    for (at, c) in text.char_indices() {
        if out.len() >= EXCERPT_LIMIT {
            out.push_str(&format!("… ({} more bytes)", text.len() - at));
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

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
        return confine::spawn_confined(cmd, addr, ready_timeout);
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
    let command = match pid_namespace_wrapper() {
        // PID 1 of the namespace is the command; when it dies (on our
        // SIGKILL to the group), the kernel kills everything left in the
        // namespace, `setsid` children included.
        Some(wrapper) => {
            let mut c = Command::new("unshare");
            c.args(wrapper).arg("--").arg(&cmd.program).args(&args);
            c
        }
        None => {
            let mut c = Command::new(&cmd.program);
            c.args(&args);
            c
        }
    };
    start(cmd, command, None)
}

/// The `unshare` arguments that put a client command in its own PID
/// namespace, if this machine allows it (tried once per run); else `None`,
/// after a one-line warning that cleanup falls back to the process group.
fn pid_namespace_wrapper() -> Option<&'static [&'static str]> {
    static WRAPPER: std::sync::OnceLock<Option<&'static [&'static str]>> =
        std::sync::OnceLock::new();
    *WRAPPER.get_or_init(|| {
        const AS_ROOT: &[&str] = &["--pid", "--fork", "--kill-child"];
        const MAPPED: &[&str] = &["--map-root-user", "--pid", "--fork", "--kill-child"];
        let works = |args: &[&str]| {
            Command::new("unshare")
                .args(args)
                .arg("true")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let found = [AS_ROOT, MAPPED].into_iter().find(|a| works(a));
        if found.is_none() {
            eprintln!(
                "gauntlet: warning: no PID namespace for client commands (unshare --pid failed); \
                 cleanup kills the process group only, so a `setsid` child can outlive its case"
            );
        }
        found
    })
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
