//! A server confined to a private network namespace (see the module
//! documentation of `process`, "Confinement"): the script run inside the
//! namespace, and the host side that binds the port and starts the relay.

use super::readiness::{wait_ready, Probe};
use super::relay::Relay;
use super::spawned::{require_program, start};
use super::{PeerCommand, Readiness, SpawnError, Spawned};
use std::env;
use std::fs;
use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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
pub(super) fn spawn_confined(
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
