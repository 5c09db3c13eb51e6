//! Spawning third-party peers: readiness, both roles end to end against real
//! OpenSSL and GnuTLS, network-namespace confinement, teardown of whole
//! process groups, and the one-line errors. Every test takes its ports from
//! the OS (port 0), so tests run in parallel without colliding.

use gauntlet_harness::process::{
    excerpt, spawn_client, spawn_server, PeerCommand, Readiness, SpawnError, Spawned,
    CAPTURE_LIMIT, EXCERPT_LIMIT,
};
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

const CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/keys/rsa2048.crt");
const KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/keys/rsa2048.key");
const GNUTLS_PRIORITY: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA";
const READY: Duration = Duration::from_secs(10);
const TALK: Duration = Duration::from_secs(10);

fn any_loopback_port() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

fn s_server() -> PeerCommand {
    PeerCommand::new("openssl").args([
        "s_server",
        "-accept",
        "127.0.0.1:{port}",
        "-tls1_2",
        "-cert",
        CERT,
        "-key",
        KEY,
        "-www",
        "-cipher",
        "AES128-GCM-SHA256",
    ])
}

fn s_client(port: u16) -> PeerCommand {
    PeerCommand::new("openssl")
        .args(["s_client", "-connect", "127.0.0.1:{port}", "-tls1_2"])
        .port(port)
}

fn gnutls_serv() -> PeerCommand {
    PeerCommand::new("gnutls-serv")
        .args(["-p", "{port}", "--http"])
        .arg(format!("--x509certfile={CERT}"))
        .arg(format!("--x509keyfile={KEY}"))
        .arg(format!("--priority={GNUTLS_PRIORITY}"))
        .confined()
}

fn gnutls_cli(port: u16) -> PeerCommand {
    PeerCommand::new("gnutls-cli")
        .arg(format!("--x509cafile={CERT}"))
        .args(["-p", "{port}", "127.0.0.1"])
        .port(port)
}

fn start_server(cmd: &PeerCommand) -> Spawned {
    match spawn_server(cmd, any_loopback_port(), READY) {
        Ok(server) => server,
        Err(e) => panic!("{e}"),
    }
}

fn start_client(cmd: &PeerCommand) -> Spawned {
    match spawn_client(cmd) {
        Ok(client) => client,
        Err(e) => panic!("{e}"),
    }
}

/// Sends an HTTP request through a client and waits for the response text.
fn http_get_through(client: &mut Spawned, expect: &str) {
    client.write_stdin(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    assert!(
        client.wait_for_stdout(expect, TALK),
        "no {expect:?} from {}; stdout:\n{}\nstderr:\n{}",
        client.program(),
        client.stdout_text(),
        client.stderr_text()
    );
    client.close_stdin();
    let status = client.wait_timeout(TALK).unwrap();
    assert!(
        status.is_some(),
        "{} did not exit after stdin closed",
        client.program()
    );
}

/// Process state letter from /proc/<pid>/stat; None once the pid is gone.
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ...": the state follows the last ')'.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Gone or a zombie (PID 1 in a container may never reap orphans).
fn is_dead(pid: u32) -> bool {
    matches!(proc_state(pid), None | Some('Z') | Some('X'))
}

fn wait_dead(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if is_dead(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    is_dead(pid)
}

/// Addresses with a listening TCP socket on `port` in the network namespace
/// seen through `/proc/<pid>/net` (`self` for ours), as "ip-hex" strings
/// from /proc/net/tcp and tcp6 (state 0A is LISTEN).
fn listeners(pid: &str, port: u16) -> Vec<String> {
    let mut found = Vec::new();
    for table in ["tcp", "tcp6"] {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, state) = (fields[1], fields[3]);
            let (ip, port_hex) = local.rsplit_once(':').unwrap();
            if state == "0A" && u16::from_str_radix(port_hex, 16).unwrap() == port {
                found.push(ip.to_owned());
            }
        }
    }
    found.sort();
    found
}

// RFC 5246 §7.3: a full handshake with the suite and version the server was
// restricted to; the probe connection readiness made must not have hurt it.
#[test]
fn openssl_s_server_ready_on_connect_serves_s_client() {
    let server = start_server(&s_server());
    let port = server.addr().unwrap().port();
    let mut client = start_client(&s_client(port));
    assert!(
        client.wait_for_stdout("Cipher is AES128-GCM-SHA256", TALK),
        "s_client stdout:\n{}\nstderr:\n{}",
        client.stdout_text(),
        client.stderr_text()
    );
    assert!(client.stdout_text().contains("Protocol  : TLSv1.2"));
    // s_server -www answers with a page quoting its own command line.
    http_get_through(&mut client, &format!("-accept 127.0.0.1:{port}"));
}

#[test]
fn openssl_s_server_ready_on_its_accept_line() {
    let server = start_server(&s_server().ready_when(Readiness::stdout_line("ACCEPT")));
    assert!(server.stdout_text().contains("ACCEPT"));
    // Ready means listening now, with no retry.
    TcpStream::connect(server.addr().unwrap()).unwrap();
}

// RFC 5246 §7.4.1.2 / §6.2.1: a spawned client reaches a server we run and
// opens with a ClientHello in a handshake record.
#[test]
fn spawned_s_client_sends_client_hello_to_our_listener() {
    let listener = TcpListener::bind(any_loopback_port()).unwrap();
    let port = listener.local_addr().unwrap().port();
    let _client = start_client(&s_client(port));
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + TALK;
    let mut stream = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("s_client never connected: {e}"),
        }
    };
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(TALK)).unwrap();
    let mut head = [0u8; 6];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(head[0], 0x16, "content type handshake");
    assert_eq!(head[1], 0x03, "record version major");
    assert_eq!(head[5], 0x01, "handshake type client_hello");
}

// gnutls-serv listens on every address, so it runs confined; the handshake
// and an HTTP exchange cross the relay both ways, after the readiness probe.
#[test]
fn confined_gnutls_serv_serves_gnutls_cli_through_the_relay() {
    let server = start_server(&gnutls_serv());
    let port = server.addr().unwrap().port();
    let mut client = start_client(&gnutls_cli(port));
    assert!(
        client.wait_for_stdout("- Handshake was completed", TALK),
        "gnutls-cli stdout:\n{}\nstderr:\n{}\nserver stderr:\n{}",
        client.stdout_text(),
        client.stderr_text(),
        server.stderr_text()
    );
    assert!(client.stdout_text().contains("(TLS1.2-X.509)-(RSA)-(AES-"));
    // The server's own report of the session, sent back through the relay.
    http_get_through(&mut client, "<TD>Key Exchange:</TD><TD>RSA</TD>");
}

#[test]
fn confined_gnutls_serv_listens_only_inside_its_namespace() {
    let server =
        start_server(&gnutls_serv().ready_when(Readiness::stderr_line("listening on IPv4")));
    let port = server.addr().unwrap().port();
    // Host namespace: only our relay, on 127.0.0.1 (0100007F), holds the port.
    assert_eq!(listeners("self", port), ["0100007F"]);
    // The server's namespace: its wildcard listeners, IPv4 and IPv6.
    let inside = listeners(&server.pid().to_string(), port);
    assert_eq!(inside, ["00000000", "00000000000000000000000000000000"]);
    let mut client = start_client(&gnutls_cli(port));
    http_get_through(&mut client, "<TD>Protocol version:</TD><TD>TLS1.2</TD>");
}

/// Live members of process group `pgid`, from /proc/<pid>/stat field 5.
fn group_members(pgid: u32) -> Vec<u32> {
    let mut members = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields[2] == pgid.to_string() && !is_dead(pid) {
            members.push(pid);
        }
    }
    members
}

#[test]
fn dropping_a_confined_server_kills_server_and_bridge() {
    let server = start_server(&gnutls_serv());
    let pgid = server.pid();
    // The server and the socat bridge at least.
    let members = group_members(pgid);
    assert!(members.len() >= 2, "group {pgid}: {members:?}");
    drop(server);
    for pid in members {
        assert!(
            wait_dead(pid, Duration::from_secs(2)),
            "{pid} survived the drop"
        );
    }
}

#[test]
fn s_client_drives_confined_gnutls_serv() {
    let server = start_server(&gnutls_serv());
    let port = server.addr().unwrap().port();
    let mut client = start_client(&s_client(port));
    assert!(
        client.wait_for_stdout("Protocol  : TLSv1.2", TALK),
        "s_client stdout:\n{}\nstderr:\n{}",
        client.stdout_text(),
        client.stderr_text()
    );
    http_get_through(&mut client, "<TD>Key Exchange:</TD><TD>RSA</TD>");
}

#[test]
fn missing_program_is_reported_as_not_installed() {
    let missing = PeerCommand::new("gauntlet-no-such-peer").arg("{port}");
    for result in [
        spawn_server(&missing, any_loopback_port(), READY),
        spawn_server(&missing.clone().confined(), any_loopback_port(), READY),
        spawn_client(&missing.clone().port(1)),
    ] {
        match result {
            Err(e @ SpawnError::NotInstalled { .. }) => {
                assert_eq!(
                    e.to_string(),
                    "gauntlet-no-such-peer: not installed (not found on PATH)"
                )
            }
            other => panic!("expected NotInstalled, got {other:?}"),
        }
    }
    // A path is checked as given: present but not executable is not installed.
    let dir = std::env::temp_dir().join(format!("gauntlet-which-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("peer.sh");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
    let path = script.display().to_string();
    match spawn_client(&PeerCommand::new(path.clone())) {
        Err(SpawnError::NotInstalled { program, .. }) => assert_eq!(program, path),
        other => panic!("expected NotInstalled for a non-executable file, got {other:?}"),
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut peer = spawn_client(&PeerCommand::new(path)).unwrap();
    assert!(peer
        .wait_timeout(TALK)
        .unwrap()
        .is_some_and(|s| s.success()));
    std::fs::remove_dir_all(&dir).unwrap();
    // Known peers name the package to install.
    let e = SpawnError::NotInstalled {
        program: "gnutls-serv".into(),
        package: Some("gnutls-bin"),
    };
    assert_eq!(
        e.to_string(),
        "gnutls-serv: not installed (apt-get install gnutls-bin)"
    );
}

#[test]
fn server_that_exits_at_once_reports_exit_status_and_first_stderr_line() {
    let mut cmd = s_server();
    let key = cmd.args.iter().position(|a| a == KEY).unwrap();
    cmd.args[key] = "/nonexistent/gauntlet.key".into();
    let started = Instant::now();
    match spawn_server(&cmd, any_loopback_port(), READY) {
        Err(e @ SpawnError::ExitedEarly { .. }) => {
            let SpawnError::ExitedEarly {
                status, first_line, ..
            } = &e
            else {
                unreachable!()
            };
            assert_eq!(status.code(), Some(1));
            assert!(
                first_line.contains("/nonexistent/gauntlet.key"),
                "{first_line}"
            );
            let shown = e.to_string();
            assert!(
                shown.starts_with("openssl exited early (exit status: 1): "),
                "{shown}"
            );
            assert!(!shown.contains('\n'), "{shown}");
        }
        other => panic!("expected ExitedEarly, got {other:?}"),
    }
    // Noticed on exit, not at the readiness timeout.
    assert!(started.elapsed() < READY / 2);
}

#[test]
fn confined_server_that_exits_at_once_reports_its_stderr() {
    let cmd = PeerCommand::new("sh")
        .args(["-c", "echo 'no such option: -x' >&2; exit 3"])
        .confined();
    match spawn_server(&cmd, any_loopback_port(), READY) {
        Err(SpawnError::ExitedEarly {
            status, first_line, ..
        }) => {
            assert_eq!(status.code(), Some(3));
            assert_eq!(first_line, "no such option: -x");
        }
        other => panic!("expected ExitedEarly, got {other:?}"),
    }
}

#[test]
fn taken_port_is_reported_as_port_in_use() {
    let holder = TcpListener::bind(any_loopback_port()).unwrap();
    let taken = holder.local_addr().unwrap();
    for cmd in [s_server(), gnutls_serv()] {
        match spawn_server(&cmd, taken, READY) {
            Err(e @ SpawnError::PortInUse { .. }) => {
                assert_eq!(
                    e.to_string(),
                    format!("{}: port in use: {taken}", cmd.program)
                )
            }
            other => panic!("expected PortInUse, got {other:?}"),
        }
    }
}

#[test]
fn non_loopback_address_is_refused() {
    let addr = SocketAddr::from(([0, 0, 0, 0], 0));
    assert!(matches!(
        spawn_server(&s_server(), addr, READY),
        Err(SpawnError::NotLoopback { .. })
    ));
}

/// A background `sleep 100` that prints its pid as the host sees it (the
/// shell's own read of /proc/self/stat, then exec), so the test works with or
/// without the client's PID namespace.
const HOST_PID_SLEEP: &str = "sh -c 'read -r p rest < /proc/self/stat; echo $p; exec sleep 100'";

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn drop_kills_the_whole_process_group() {
    let mut group = start_client(&PeerCommand::new("sh").args([
        "-c",
        &format!("{HOST_PID_SLEEP} & {HOST_PID_SLEEP} & read -r me rest < /proc/self/stat; echo $me; wait"),
    ]));
    let deadline = Instant::now() + TALK;
    let pids: Vec<u32> = loop {
        let pids: Vec<u32> = group
            .stdout_text()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        if pids.len() == 3 || Instant::now() > deadline {
            break pids;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(pids.len(), 3, "stdout: {}", group.stdout_text());
    // The leader, or (in a PID namespace) the leader's `unshare --fork` child.
    // (The background lines may come first.)
    assert!(
        pids.iter()
            .any(|&p| p == group.pid() || parent_of(p) == Some(group.pid())),
        "{pids:?} vs leader {}",
        group.pid()
    );
    assert!(group.is_running());
    for &pid in &pids {
        assert!(!is_dead(pid), "{pid} should be running");
    }
    drop(group);
    for &pid in &pids {
        assert!(
            wait_dead(pid, Duration::from_secs(2)),
            "{pid} survived the drop"
        );
    }
}

#[test]
fn leftovers_of_an_exited_peer_are_killed_when_it_is_reaped() {
    let script = format!("{HOST_PID_SLEEP} & sleep 0.3");
    let mut peer = start_client(&PeerCommand::new("sh").args(["-c", &script]));
    let status = peer.wait_timeout(TALK).unwrap();
    assert!(status.is_some_and(|s| s.success()));
    let orphan: u32 = peer.stdout_text().trim().parse().unwrap();
    assert!(
        wait_dead(orphan, Duration::from_secs(2)),
        "{orphan} outlived its leader"
    );
}

fn readiness_timeout_is_bounded(cmd: PeerCommand) {
    let pid_file = std::env::temp_dir().join(format!(
        "gauntlet-test-{}-{}.pid",
        std::process::id(),
        cmd.confine
    ));
    let script = format!("echo $$ > {}; exec sleep 5", pid_file.display());
    let cmd = PeerCommand {
        args: vec!["-c".into(), script],
        ..cmd
    };
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    match spawn_server(&cmd, any_loopback_port(), timeout) {
        Err(e @ SpawnError::NotReady { .. }) => {
            assert!(e.to_string().ends_with("within 300ms"), "{e}")
        }
        other => panic!("expected NotReady, got {other:?}"),
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= timeout && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::fs::remove_file(&pid_file).unwrap();
    assert!(
        wait_dead(pid, Duration::from_secs(2)),
        "sleep {pid} survived"
    );
}

#[test]
fn readiness_timeout_is_reported_and_bounded() {
    readiness_timeout_is_bounded(PeerCommand::new("sh"));
}

#[test]
fn confined_readiness_timeout_is_reported_and_bounded() {
    readiness_timeout_is_bounded(PeerCommand::new("sh").confined());
}

#[test]
fn chatty_peer_never_blocks_and_capture_is_bounded() {
    // Three times the capture limit, with nobody reading our side.
    let mut peer = start_client(&PeerCommand::new("sh").args([
        "-c",
        "head -c 3145728 /dev/zero | tr '\\0' x; echo done >&2",
    ]));
    let status = peer.wait_timeout(TALK).unwrap();
    assert!(
        status.is_some_and(|s| s.success()),
        "peer blocked or failed"
    );
    assert!(peer.wait_for_stderr("done", TALK));
    assert_eq!(peer.stdout_text().len(), CAPTURE_LIMIT);
}

#[test]
fn client_with_port_placeholder_but_no_port_is_invalid() {
    let cmd = PeerCommand::new("openssl").args(["s_client", "-connect", "127.0.0.1:{port}"]);
    assert!(matches!(
        spawn_client(&cmd),
        Err(SpawnError::Invalid { .. })
    ));
}

#[test]
fn wait_timeout_is_bounded_while_running_and_returns_the_status_at_exit() {
    let mut peer =
        start_client(&PeerCommand::new("sh").args(["-c", "sleep 0.5; echo done; exit 3"]));
    let start = Instant::now();
    assert_eq!(peer.wait_timeout(Duration::from_millis(100)).unwrap(), None);
    let waited = start.elapsed();
    // poll(2) takes whole milliseconds: allow rounding, not an early return.
    assert!(waited >= Duration::from_millis(90), "{waited:?}");
    assert!(peer.is_running());
    let status = peer.wait_timeout(TALK).unwrap().expect("exited");
    assert_eq!(status.code(), Some(3));
    // The exit is seen when it happens, not a whole timeout later.
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    // Output is complete once the exit is seen, and the status is kept.
    assert_eq!(peer.stdout_text(), "done\n");
    assert!(!peer.is_running());
    assert_eq!(peer.wait_timeout(Duration::ZERO).unwrap(), Some(status));
}

#[test]
fn capture_counts_what_it_drops() {
    let mut peer = start_client(
        &PeerCommand::new("sh").args(["-c", "head -c 1000000 /dev/zero; echo done >&2"]),
    );
    assert!(peer.wait_timeout(TALK).unwrap().is_some());
    assert!(peer.wait_for_stderr("done", TALK));
    assert_eq!(peer.stdout_text().len(), CAPTURE_LIMIT);
    assert_eq!(peer.stdout_dropped(), (1_000_000 - CAPTURE_LIMIT) as u64);
    assert_eq!(peer.stderr_dropped(), 0);
}

#[test]
fn excerpt_is_short_and_escapes_control_bytes() {
    let flood = "\0".repeat(1 << 20);
    let e = excerpt(&flood);
    assert!(!e.contains('\0'));
    assert!(e.starts_with("\\u{0}"), "{}", &e[..20]);
    // Each NUL is escaped to 5 bytes: 410 of them make the 2 KiB.
    assert!(e.len() <= EXCERPT_LIMIT + 64, "{}", e.len());
    let kept = EXCERPT_LIMIT.div_ceil(5);
    assert!(
        e.ends_with(&format!("({} more bytes)", (1 << 20) - kept)),
        "{e}"
    );
    assert_eq!(excerpt("short line"), "short line");
    assert_eq!(excerpt("a\x1b[2Jb"), "a\\u{1b}[2Jb");
}

#[test]
fn a_setsid_child_of_a_client_command_does_not_outlive_it() {
    // A marker only this test's orphan carries on its command line.
    let marker = format!("sleep 1000.{}", std::process::id());
    let script = format!("setsid {marker} & sleep 0.2");
    let mut peer = start_client(&PeerCommand::new("sh").args(["-c", &script]));
    assert!(peer.wait_timeout(TALK).unwrap().is_some());
    drop(peer);
    std::thread::sleep(Duration::from_millis(300));
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&marker))
        .collect();
    assert!(left.is_empty(), "orphans left: {left:?}");
}
