//! Spawned targets: a server command started once for the whole run (on a
//! free loopback port, `{port}` substituted, ready per `Readiness`), and a
//! client command started afresh for every client-role case against a
//! listener of ours. Process handling (groups, capture, confinement,
//! teardown) is `crate::process`; this file adapts it to `Connector` and
//! `Acceptor`.
//!
//! What a client command must do: connect to `127.0.0.1:{port}`, complete a
//! TLS 1.2 handshake (the scripted server presents the built-in test chain
//! for `localhost`; its root is `vectors/pki/root.pem`), send a request such
//! as `GET / HTTP/1.0\r\n\r\n` (for `openssl s_client` or `gnutls-cli`,
//! give it on standard input with `--stdin`), read the answer and close.
//! This is what the in-memory reference client (`--builtin`) does.

use crate::case::{Acceptor, Connector};
use crate::peer::transport::{Recv, TcpTransport, Transport};
use crate::process::{self, PeerCommand, SpawnError, Spawned};
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Splits a command line into words like a POSIX shell does, without
/// expansions (`shlex`): blanks separate words, `'…'` is literal, `"…"`
/// allows `\"`, `\\`, `\$` and `` \` ``, a backslash outside quotes escapes
/// any character, and a `#` that starts a word comments out the rest of the
/// line. `{port}` is an ordinary word here; [`PeerCommand::args_for_port`]
/// substitutes it after splitting, so a port never goes through quoting.
pub fn split_command(line: &str) -> Result<Vec<String>, String> {
    let words =
        shlex::split(line).ok_or("unterminated quote or trailing backslash in the command")?;
    if words.is_empty() {
        return Err("the command is empty".into());
    }
    Ok(words)
}

/// A `PeerCommand` from words (program first).
pub fn peer_command(words: &[String]) -> Result<PeerCommand, String> {
    let (program, args) = words.split_first().ok_or("the command is empty")?;
    Ok(PeerCommand::new(program.clone()).args(args.iter().cloned()))
}

/// A server command, started once; each case connects to it over loopback.
#[derive(Debug)]
pub struct SpawnedServer {
    server: Mutex<Spawned>,
    addr: SocketAddr,
    connect_timeout: Duration,
    describe: String,
}

impl SpawnedServer {
    /// Starts `cmd` on a free loopback port (`{port}` in its arguments) and
    /// waits for its readiness signal.
    pub fn start(
        cmd: &PeerCommand,
        ready_timeout: Duration,
        connect_timeout: Duration,
    ) -> Result<Self, SpawnError> {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let spawned = process::spawn_server(cmd, any, ready_timeout)?;
        let addr = spawned.addr().ok_or_else(|| SpawnError::Invalid {
            program: cmd.program.clone(),
            reason: "the spawned server has no address",
        })?;
        let describe = format!(
            "{} {} (spawned on {addr}{})",
            cmd.program,
            cmd.args_for_port(addr.port()).join(" "),
            if cmd.confine { ", confined" } else { "" }
        );
        Ok(Self {
            server: Mutex::new(spawned),
            addr,
            connect_timeout,
            describe,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server (also done on drop).
    pub fn stop(&self) {
        self.server
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .kill();
    }
}

impl Connector for SpawnedServer {
    fn connect(&self) -> io::Result<Box<dyn Transport>> {
        match crate::target::connect_tcp(self.addr, self.connect_timeout) {
            Ok(t) => Ok(t),
            Err(e) => {
                // A server that died says why better than "connection refused".
                let mut server = self.server.lock().unwrap_or_else(PoisonError::into_inner);
                if server.is_running() {
                    Err(e)
                } else {
                    let first = server.first_output_line();
                    Err(io::Error::other(format!(
                        "{} is no longer running{}",
                        server.program(),
                        first.map(|l| format!(": {l}")).unwrap_or_default()
                    )))
                }
            }
        }
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }
}

/// A client command, run once per case against a fresh listener of ours.
#[derive(Debug)]
pub struct SpawnedClients {
    listen: SocketAddr,
    cmd: PeerCommand,
    accept_timeout: Duration,
    stdin: Option<Vec<u8>>,
    policy: gauntlet_engine::pki::RevocationPolicy,
}

impl SpawnedClients {
    /// The revocation policy the client command's flags give it (what
    /// its Revocation cases are judged by; soft-fail unless said).
    pub fn with_revocation_policy(
        mut self,
        policy: gauntlet_engine::pki::RevocationPolicy,
    ) -> Self {
        self.policy = policy;
        self
    }

    /// `listen` must be loopback; with port 0 every case gets a fresh port
    /// (and cases can run in parallel). `stdin` is written to each client.
    pub fn new(
        listen: SocketAddr,
        cmd: PeerCommand,
        accept_timeout: Duration,
        stdin: Option<Vec<u8>>,
    ) -> Result<Self, String> {
        if !listen.ip().is_loopback() {
            return Err(format!(
                "{listen}: not a loopback address (the scripted server listens on 127.0.0.1 or ::1 only)"
            ));
        }
        if cmd.confine {
            return Err("a client command cannot be confined".into());
        }
        Ok(Self {
            listen,
            cmd,
            accept_timeout,
            stdin,
            policy: Default::default(),
        })
    }
}

impl Acceptor for SpawnedClients {
    fn revocation_policy(&self) -> gauntlet_engine::pki::RevocationPolicy {
        self.policy
    }

    fn accept(&self) -> io::Result<Box<dyn Transport>> {
        let listener = TcpListener::bind(self.listen)?;
        let port = listener.local_addr()?.port();
        let cmd = self.cmd.clone().port(port);
        let mut client =
            process::spawn_client(&cmd).map_err(|e| io::Error::other(e.to_string()))?;
        match &self.stdin {
            Some(input) => client.write_stdin(input)?,
            // Nothing to say: a client that reads its input to the end
            // (like `gauntlet connect`) sees the end at once.
            None => client.close_stdin(),
        }
        listener.set_nonblocking(true)?;
        let deadline = Instant::now() + self.accept_timeout;
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false)?;
                    return Ok(Box::new(ClientConnection {
                        tcp: TcpTransport::new(stream)?,
                        _client: client,
                    }));
                }
                // EINTR (a signal during accept) is a retry, like no client yet.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e),
            }
            // Checked after an accept attempt, so a client that connected
            // and exited at once is still accepted.
            if !client.is_running() {
                let first = client.first_output_line();
                return Err(io::Error::other(format!(
                    "{} exited without connecting to port {port}{}",
                    cmd.program,
                    first.map(|l| format!(": {l}")).unwrap_or_default()
                )));
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "{} did not connect to port {port} within {:?}",
                        cmd.program, self.accept_timeout
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn describe(&self) -> String {
        format!("{} {}", self.cmd.program, self.cmd.args.join(" "))
    }
}

/// The accepted connection; dropping it kills the client's process group.
#[derive(Debug)]
struct ClientConnection {
    tcp: TcpTransport,
    _client: Spawned,
}

impl Transport for ClientConnection {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.tcp.send(bytes)
    }

    fn recv(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> io::Result<Recv> {
        self.tcp.recv(buf, timeout)
    }

    fn log(&self) -> &[(bool, Vec<u8>)] {
        self.tcp.log()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell_without_expansions() {
        let w = split_command(
            r#"openssl s_server -accept {port} -cipher 'AES128-GCM-SHA256' "a b" c\ d"#,
        )
        .unwrap();
        assert_eq!(
            w,
            [
                "openssl",
                "s_server",
                "-accept",
                "{port}",
                "-cipher",
                "AES128-GCM-SHA256",
                "a b",
                "c d"
            ]
        );
        assert_eq!(
            split_command(r#"x "\"q\" \n" ''"#).unwrap(),
            ["x", "\"q\" \\n", ""]
        );
        assert!(split_command("  ").is_err());
        assert!(split_command("a 'b").is_err());
        assert!(split_command("a \"b").is_err());
        assert!(split_command("a \\").is_err());
        // As in sh: a word-initial `#` is a comment, one inside a word is not.
        assert_eq!(split_command("x a#b # c").unwrap(), ["x", "a#b"]);
        assert!(split_command("# only a comment").is_err());
    }

    #[test]
    fn port_placeholder_survives_quoting_and_is_substituted_after_splitting() {
        let words = split_command(r#"srv -a '127.0.0.1:{port}' "-p={port}" {port}x"#).unwrap();
        let cmd = peer_command(&words).unwrap();
        assert_eq!(cmd.program, "srv");
        assert_eq!(
            cmd.args_for_port(4433),
            ["-a", "127.0.0.1:4433", "-p=4433", "4433x"]
        );
    }

    #[test]
    fn spawned_client_that_never_connects_costs_one_accept_timeout() {
        let clients = SpawnedClients::new(
            "127.0.0.1:0".parse().unwrap(),
            PeerCommand::new("sleep").arg("5"),
            Duration::from_millis(200),
            None,
        )
        .unwrap();
        let start = Instant::now();
        let err = clients.accept().err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn spawned_client_that_exits_is_reported_with_its_output() {
        let clients = SpawnedClients::new(
            "127.0.0.1:0".parse().unwrap(),
            PeerCommand::new("sh").args(["-c", "echo no route to {port} >&2; exit 3"]),
            Duration::from_secs(5),
            None,
        )
        .unwrap();
        let err = clients.accept().err().unwrap().to_string();
        assert!(err.contains("exited without connecting"), "{err}");
        assert!(err.contains("no route to"), "{err}");
    }

    #[test]
    fn spawned_client_connection_is_accepted_and_its_bytes_logged() {
        // A "client" that connects with bash's /dev/tcp and writes a line.
        if !std::path::Path::new("/bin/bash").exists() {
            return;
        }
        let clients = SpawnedClients::new(
            "127.0.0.1:0".parse().unwrap(),
            PeerCommand::new("bash").args([
                "-c",
                "exec 3<>/dev/tcp/127.0.0.1/{port}; printf hello >&3; sleep 5",
            ]),
            Duration::from_secs(5),
            None,
        )
        .unwrap();
        let mut t = clients.accept().unwrap();
        let mut buf = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while buf.len() < 5 && Instant::now() < deadline {
            t.recv(&mut buf, Duration::from_millis(100)).unwrap();
        }
        assert_eq!(buf, b"hello");
        assert_eq!(t.log(), &[(false, b"hello".to_vec())]);
    }

    #[test]
    fn rejects_a_non_loopback_listen_address() {
        let err = SpawnedClients::new(
            "0.0.0.0:0".parse().unwrap(),
            PeerCommand::new("true"),
            Duration::from_secs(1),
            None,
        )
        .unwrap_err();
        assert!(err.contains("not a loopback address"));
    }
}
