//! The reference engine over real loopback sockets against OpenSSL 3 and
//! GnuTLS 3.7, in both roles: full handshakes with each suite, extended
//! master secret on and off, session-ID resumption, application data both
//! ways, and the client's one-line errors for a refused port and a silent
//! peer.
//!
//! The third-party peers verify our certificate chain (OpenSSL against the
//! name `localhost`, GnuTLS against the IP SAN 127.0.0.1) and we verify
//! theirs with the built-in test root, so a pass means both sides accepted
//! each other, not merely that bytes flowed. Every listener takes its port from
//! the OS; spawned peers die with their [`Spawned`] guard and our server
//! thread stops and is joined when its [`EngineServer`] guard drops, also
//! when an assertion fails.
#![allow(clippy::unwrap_used)]

use gauntlet_engine::enums::CipherSuite;
use gauntlet_engine::{
    CertificateError, ClientConfig, Connection, Error, HandshakeSummary, ServerConfig, Session,
};
use gauntlet_harness::builtin;
use gauntlet_harness::process::{spawn_client, spawn_server, PeerCommand, Readiness, Spawned};
use gauntlet_harness::serve::{self, ConnectOptions, ConnectionReport, ServeMode, ServeOptions};
use gauntlet_harness::tcp::{DriveError, TcpSession};
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/pki/root.pem");
const INT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/pki/int.pem");
const LEAF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/pki/leaf.pem");
const LEAF_KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/pki/leaf.key");

/// Bound on a peer becoming ready, and on any one exchange with it. Generous:
/// a loaded CI machine is slow, but nothing here waits this long on success.
const READY: Duration = Duration::from_secs(10);
const TALK: Duration = Duration::from_secs(10);

const AES128: CipherSuite = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;
const AES256: CipherSuite = CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384;

/// OpenSSL 3.0 has no command-line switch to stop offering or accepting EMS;
/// SSL_OP_NO_EXTENDED_MASTER_SECRET is reachable through a config file (as
/// in vectors/gen/record_handshake.py).
const OPENSSL_NO_EMS_CONF: &str = "openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
Options = -ExtendedMasterSecret
";

fn openssl_name(suite: CipherSuite) -> &'static str {
    gauntlet_engine::config::SUITE_NAMES
        .iter()
        .find(|(s, _, _)| *s == suite)
        .map(|(_, o, _)| *o)
        .expect("a suite the engine negotiates")
}

fn gnutls_priority(suite: CipherSuite) -> String {
    let cipher = match suite {
        AES128 => "+AES-128-GCM",
        AES256 => "+AES-256-GCM",
        _ => unreachable!("only the two engine suites are tested"),
    };
    format!("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA:-CIPHER-ALL:{cipher}")
}

fn loopback_any_port() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// A private temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("gauntlet-interop-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str, contents: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_owned()
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn start_server(cmd: &PeerCommand) -> Spawned {
    spawn_server(cmd, loopback_any_port(), READY).unwrap_or_else(|e| panic!("{e}"))
}

fn start_client(cmd: &PeerCommand) -> Spawned {
    spawn_client(cmd).unwrap_or_else(|e| panic!("{e}"))
}

fn peer_output(peer: &Spawned) -> String {
    format!(
        "{} stdout:\n{}\n{} stderr:\n{}",
        peer.program(),
        peer.stdout_text(),
        peer.program(),
        peer.stderr_text()
    )
}

fn expect_stdout(peer: &Spawned, needle: &str) {
    assert!(
        peer.wait_for_stdout(needle, TALK),
        "no {needle:?} from {}\n{}",
        peer.program(),
        peer_output(peer)
    );
}

/// Closes the peer's stdin and waits for it to exit successfully.
fn expect_clean_exit(peer: &mut Spawned) {
    peer.close_stdin();
    let status = peer.wait_timeout(TALK).unwrap();
    assert!(
        status.is_some_and(|s| s.success()),
        "{} exit status {status:?}\n{}",
        peer.program(),
        peer_output(peer)
    );
}

// ---------------------------------------------------------------- engine as client

fn engine_client_config(suite: CipherSuite, ems: bool) -> ClientConfig {
    let mut config = builtin::client_config(None, None).unwrap();
    config.suites = vec![suite];
    config.extended_master_secret = ems;
    config
}

/// Our client on a fresh socket, handshake done (verifying the server's
/// chain against the built-in root for `server_name`).
fn engine_handshake(
    addr: SocketAddr,
    config: &ClientConfig,
    server_name: &str,
    resume: Option<Session>,
) -> (TcpSession, HandshakeSummary) {
    let stream = TcpStream::connect_timeout(&addr, TALK).unwrap();
    let conn = Connection::client(
        Arc::new(config.clone()),
        server_name,
        builtin::provider(None),
        resume,
    )
    .unwrap();
    let mut s = TcpSession::new(conn, stream, TALK).unwrap();
    let hs = s
        .handshake()
        .unwrap_or_else(|e| panic!("handshake with {addr}: {e}"));
    (s, hs)
}

/// Sends an HTTP/1.0 GET and reads the answer until the server closes.
fn http_get(s: &mut TcpSession) -> String {
    s.send(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut page = Vec::new();
    loop {
        match s.recv() {
            Ok(Some(data)) => page.extend_from_slice(&data),
            // close_notify after the page (RFC 5246 §7.2.1).
            Ok(None) => break,
            Err(e) => panic!(
                "reading the page: {e}; so far:\n{}",
                String::from_utf8_lossy(&page)
            ),
        }
    }
    String::from_utf8_lossy(&page).into_owned()
}

/// Sends `line` and reads until it has come back whole, then closes.
fn echo_round_trip(s: &mut TcpSession, line: &[u8]) {
    s.send(line).unwrap();
    let mut back = Vec::new();
    while back.len() < line.len() {
        match s.recv() {
            Ok(Some(data)) => back.extend_from_slice(&data),
            Ok(None) => break,
            Err(e) => panic!("waiting for the echo: {e}"),
        }
    }
    assert_eq!(
        String::from_utf8_lossy(&back),
        String::from_utf8_lossy(line)
    );
    s.close().unwrap();
}

fn openssl_s_server(suite: CipherSuite, env: Option<(&str, String)>) -> PeerCommand {
    let cmd = PeerCommand::new("openssl")
        .args([
            "s_server",
            "-accept",
            "127.0.0.1:{port}",
            "-tls1_2",
            "-cert",
            LEAF,
            "-key",
            LEAF_KEY,
            "-cert_chain",
            INT,
            "-cipher",
            openssl_name(suite),
            "-www",
        ])
        // Printed once s_server holds the port. A bare connect probe could
        // instead reach another test's listener that took the port `spawn_server`
        // found free, while s_server was still starting and about to fail.
        .ready_when(Readiness::stdout_line("ACCEPT"));
    match env {
        Some((k, v)) => cmd.env(k, v),
        None => cmd,
    }
}

/// Full handshake against `s_server -www` restricted to `suite`; the page
/// it serves describes the session from OpenSSL's side.
fn engine_client_vs_s_server(suite: CipherSuite) {
    let server = start_server(&openssl_s_server(suite, None));
    let addr = server.addr().unwrap();
    let (mut s, hs) = engine_handshake(addr, &engine_client_config(suite, true), "localhost", None);
    assert_eq!(hs.suite, suite);
    assert!(hs.extended_master_secret, "{hs:?}");
    assert!(!hs.resumed);
    let page = http_get(&mut s);
    assert!(page.starts_with("HTTP/1.0 200 ok\r\n"), "{page}");
    let line = format!("New, TLSv1.2, Cipher is {}", openssl_name(suite));
    assert!(page.contains(&line), "{page}");
    assert!(page.contains("Extended master secret: yes"), "{page}");
}

// RFC 5246 §7.3, RFC 5288 §3 (0x009C); RFC 7627 §4: EMS negotiated.
#[test]
fn engine_client_completes_handshake_with_openssl_s_server_aes128() {
    engine_client_vs_s_server(AES128);
}

// RFC 5246 §7.3, RFC 5288 §3 (0x009D, PRF with SHA-384).
#[test]
fn engine_client_completes_handshake_with_openssl_s_server_aes256() {
    engine_client_vs_s_server(AES256);
}

// RFC 6125 §6.4 / RFC 5280 §4.2.1.6: the same chain is refused for a name
// it does not cover, so the passes above mean our client did verify it.
#[test]
fn engine_client_rejects_openssl_s_server_certificate_for_other_name() {
    let server = start_server(&openssl_s_server(AES128, None));
    let addr = server.addr().unwrap();
    let stream = TcpStream::connect_timeout(&addr, TALK).unwrap();
    let config = Arc::new(engine_client_config(AES128, true));
    let conn = Connection::client(config, "example.com", builtin::provider(None), None).unwrap();
    let mut s = TcpSession::new(conn, stream, TALK).unwrap();
    match s.handshake() {
        Err(DriveError::Tls(Error::InvalidCertificate(e))) => {
            assert_eq!(e, CertificateError::NotValidForName)
        }
        other => panic!("expected a name mismatch, got {other:?}"),
    }
}

// RFC 7627 §5.2: a client that does not offer EMS gets the legacy master
// secret, and both sides must agree on it (Finished would fail otherwise).
#[test]
fn engine_client_without_ems_completes_handshake_with_openssl_s_server() {
    let server = start_server(&openssl_s_server(AES128, None));
    let addr = server.addr().unwrap();
    let (mut s, hs) = engine_handshake(
        addr,
        &engine_client_config(AES128, false),
        "localhost",
        None,
    );
    assert!(!hs.extended_master_secret, "{hs:?}");
    let page = http_get(&mut s);
    assert!(page.contains("Extended master secret: no"), "{page}");
}

// RFC 5246 §7.4.1.2 / §7.3 abbreviated handshake: OpenSSL's server keeps a
// session-ID cache by default (our client offers no ticket, RFC 5077, so
// the server hands out a session ID) and resumes when it is offered.
#[test]
fn engine_client_resumes_session_with_openssl_s_server() {
    let server = start_server(&openssl_s_server(AES128, None));
    let addr = server.addr().unwrap();
    let config = engine_client_config(AES128, true);
    let (mut s, first) = engine_handshake(addr, &config, "localhost", None);
    assert!(!first.resumed);
    let session = s.conn.session().cloned().expect("a session to resume");
    assert!(!session.id.is_empty(), "s_server gave no session ID");
    let page = http_get(&mut s);
    assert!(page.contains("New, TLSv1.2"), "{page}");
    drop(s);

    let (mut s, second) = engine_handshake(addr, &config, "localhost", Some(session.clone()));
    assert!(second.resumed, "{second:?}");
    assert_eq!(second.suite, AES128);
    // RFC 7627 §5.3: a resumed EMS session stays EMS.
    assert!(second.extended_master_secret);
    let page = http_get(&mut s);
    assert!(
        page.contains("Reused, TLSv1.2, Cipher is AES128-GCM-SHA256"),
        "{page}"
    );
    assert_eq!(s.conn.session().map(|x| x.id.clone()), Some(session.id));
}

fn gnutls_serv(tmp: &TempDir, suite: CipherSuite) -> PeerCommand {
    // GnuTLS takes the chain as one file, leaf first.
    let mut chain = std::fs::read(LEAF).unwrap();
    chain.extend(std::fs::read(INT).unwrap());
    let chain = tmp.file("chain.pem", &chain);
    PeerCommand::new("gnutls-serv")
        .args(["-p", "{port}", "--echo"])
        .arg(format!("--x509certfile={chain}"))
        .arg(format!("--x509keyfile={LEAF_KEY}"))
        .arg(format!("--priority={}", gnutls_priority(suite)))
        .confined()
}

fn engine_client_vs_gnutls_serv(suite: CipherSuite) {
    let tmp = TempDir::new();
    let server = start_server(&gnutls_serv(&tmp, suite));
    let addr = server.addr().unwrap();
    let (mut s, hs) = engine_handshake(addr, &engine_client_config(suite, true), "localhost", None);
    assert_eq!(hs.suite, suite);
    assert!(hs.extended_master_secret, "{hs:?}");
    echo_round_trip(&mut s, b"ping from the gauntlet client\n");
}

// RFC 5246 §7.3 against GnuTLS, suite 0x009C; application data both ways.
#[test]
fn engine_client_echoes_through_gnutls_serv_aes128() {
    engine_client_vs_gnutls_serv(AES128);
}

// RFC 5246 §7.3 against GnuTLS, suite 0x009D.
#[test]
fn engine_client_echoes_through_gnutls_serv_aes256() {
    engine_client_vs_gnutls_serv(AES256);
}

// RFC 5246 §7.3 abbreviated handshake against GnuTLS's session-ID cache.
#[test]
fn engine_client_resumes_session_with_gnutls_serv() {
    let tmp = TempDir::new();
    let server = start_server(&gnutls_serv(&tmp, AES128));
    let addr = server.addr().unwrap();
    let config = engine_client_config(AES128, true);
    let (mut s, first) = engine_handshake(addr, &config, "localhost", None);
    assert!(!first.resumed);
    let session = s.conn.session().cloned().expect("a session to resume");
    echo_round_trip(&mut s, b"first\n");
    drop(s);
    let (mut s, second) = engine_handshake(addr, &config, "localhost", Some(session));
    assert!(second.resumed, "{second:?}");
    assert!(second.extended_master_secret);
    echo_round_trip(&mut s, b"second\n");
}

// ---------------------------------------------------------------- engine as server

/// Our server on a thread (echo mode), reporting each connection's outcome.
/// Dropping it stops the accept loop and joins it (and its workers, which
/// end when their peer hangs up or after the socket timeout).
struct EngineServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
    reports: Receiver<ConnectionReport>,
}

impl EngineServer {
    fn start(config: ServerConfig, max_connections: usize) -> Self {
        let listener = TcpListener::bind(loopback_any_port()).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, reports) = mpsc::channel();
        let opts = ServeOptions {
            mode: ServeMode::Echo,
            timeout: TALK,
            max_connections: Some(max_connections),
            verbose: false,
            report: Some(tx),
            ..ServeOptions::default()
        };
        let flag = stop.clone();
        let thread =
            std::thread::spawn(move || serve::serve(listener, Arc::new(config), opts, flag));
        EngineServer {
            addr,
            stop,
            thread: Some(thread),
            reports,
        }
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The next connection's outcome on our side; it must have succeeded.
    fn next_handshake(&self, peer: &Spawned) -> HandshakeSummary {
        let report = self
            .reports
            .recv_timeout(TALK)
            .unwrap_or_else(|_| panic!("no connection ended\n{}", peer_output(peer)));
        report
            .result
            .unwrap_or_else(|e| panic!("our server: {e}\n{}", peer_output(peer)))
    }
}

impl Drop for EngineServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let res = t.join();
            if !std::thread::panicking() {
                res.unwrap().unwrap();
            }
        }
    }
}

fn engine_server_config(ems: bool) -> ServerConfig {
    let mut config = builtin::server_config(None, None).unwrap();
    config.extended_master_secret = ems;
    config
}

/// `openssl s_client` verifying our chain (`-verify_return_error`: a bad
/// chain or name aborts the handshake).
fn openssl_s_client(port: u16, suite: CipherSuite, extra: &[&str]) -> PeerCommand {
    PeerCommand::new("openssl")
        .args([
            "s_client",
            "-connect",
            "127.0.0.1:{port}",
            "-tls1_2",
            "-CAfile",
            ROOT,
            "-verify_return_error",
            "-servername",
            "localhost",
            "-cipher",
            openssl_name(suite),
        ])
        .args(extra.iter().copied())
        .port(port)
}

/// Handshake with s_client, a line echoed back, s_client's close_notify.
fn s_client_session(server: &EngineServer, cmd: &PeerCommand, expect: &str) -> HandshakeSummary {
    let mut client = start_client(cmd);
    expect_stdout(&client, "Verify return code: 0 (ok)");
    expect_stdout(&client, expect);
    // s_client sends stdin lines; a leading Q, R, k or K would be a command.
    let line = format!("ping from s_client to {}\n", server.addr);
    client.write_stdin(line.as_bytes()).unwrap();
    expect_stdout(&client, &line);
    expect_clean_exit(&mut client);
    server.next_handshake(&client)
}

fn engine_server_vs_s_client(suite: CipherSuite) {
    let server = EngineServer::start(engine_server_config(true), 1);
    let cmd = openssl_s_client(server.port(), suite, &[]);
    let new = format!("New, TLSv1.2, Cipher is {}", openssl_name(suite));
    let hs = s_client_session(&server, &cmd, &new);
    assert_eq!(hs.suite, suite);
    assert!(hs.extended_master_secret, "{hs:?}");
    assert!(!hs.resumed);
}

// RFC 5246 §7.3 with OpenSSL as client, suite 0x009C; RFC 7627 EMS on.
#[test]
fn engine_server_echoes_for_openssl_s_client_aes128() {
    engine_server_vs_s_client(AES128);
}

// RFC 5246 §7.3 with OpenSSL as client, suite 0x009D.
#[test]
fn engine_server_echoes_for_openssl_s_client_aes256() {
    engine_server_vs_s_client(AES256);
}

// RFC 7627 §5.2: a client without EMS gets the legacy master secret.
#[test]
fn engine_server_completes_handshake_with_s_client_not_offering_ems() {
    let tmp = TempDir::new();
    let conf = tmp.file("no-ems.cnf", OPENSSL_NO_EMS_CONF.as_bytes());
    let server = EngineServer::start(engine_server_config(true), 1);
    let cmd = openssl_s_client(server.port(), AES128, &[]).env("OPENSSL_CONF", conf);
    let hs = s_client_session(&server, &cmd, "Extended master secret: no");
    assert!(!hs.extended_master_secret, "{hs:?}");
}

// RFC 7627 §5.2: our server with EMS disabled ignores the client's offer;
// OpenSSL's client still completes (it does not insist on EMS by default).
#[test]
fn engine_server_with_ems_disabled_completes_handshake_with_s_client() {
    let server = EngineServer::start(engine_server_config(false), 1);
    let cmd = openssl_s_client(server.port(), AES128, &[]);
    let hs = s_client_session(&server, &cmd, "Extended master secret: no");
    assert!(!hs.extended_master_secret, "{hs:?}");
}

// RFC 5246 §7.4.1.2: s_client offers the saved session ID, our cache
// finds it and we run the abbreviated handshake.
#[test]
fn engine_server_resumes_session_for_openssl_s_client() {
    let tmp = TempDir::new();
    let sess = tmp.path("session.pem");
    let server = EngineServer::start(engine_server_config(true), 2);
    let first = openssl_s_client(server.port(), AES128, &["-sess_out", &sess]);
    let hs = s_client_session(&server, &first, "New, TLSv1.2, Cipher is AES128-GCM-SHA256");
    assert!(!hs.resumed);
    assert!(Path::new(&sess).exists(), "s_client saved no session");
    let second = openssl_s_client(server.port(), AES128, &["-sess_in", &sess]);
    let hs = s_client_session(
        &server,
        &second,
        "Reused, TLSv1.2, Cipher is AES128-GCM-SHA256",
    );
    assert!(hs.resumed, "{hs:?}");
    assert!(hs.extended_master_secret);
}

/// `gnutls-cli` verifying our chain for 127.0.0.1 (its IP SAN).
fn gnutls_cli(port: u16, suite: CipherSuite, extra: &[&str]) -> PeerCommand {
    PeerCommand::new("gnutls-cli")
        .arg(format!("--x509cafile={ROOT}"))
        .arg(format!("--priority={}", gnutls_priority(suite)))
        .args(extra.iter().copied())
        .args(["-p", "{port}", "127.0.0.1"])
        .port(port)
}

/// Waits for gnutls-cli's `done` line, echoes a line through it, and
/// returns what our server negotiated.
fn gnutls_cli_session(server: &EngineServer, cmd: &PeerCommand, done: &str) -> HandshakeSummary {
    let mut client = start_client(cmd);
    expect_stdout(&client, done);
    assert!(
        client
            .stdout_text()
            .contains("- Status: The certificate is trusted."),
        "{}",
        peer_output(&client)
    );
    let line = format!("ping from gnutls-cli to {}\n", server.addr);
    client.write_stdin(line.as_bytes()).unwrap();
    expect_stdout(&client, &line);
    expect_clean_exit(&mut client);
    server.next_handshake(&client)
}

fn engine_server_vs_gnutls_cli(suite: CipherSuite) {
    let server = EngineServer::start(engine_server_config(true), 1);
    let cmd = gnutls_cli(server.port(), suite, &[]);
    let hs = gnutls_cli_session(&server, &cmd, "- Handshake was completed");
    assert_eq!(hs.suite, suite);
    assert!(hs.extended_master_secret, "{hs:?}");
}

// RFC 5246 §7.3 with GnuTLS as client, suite 0x009C.
#[test]
fn engine_server_echoes_for_gnutls_cli_aes128() {
    engine_server_vs_gnutls_cli(AES128);
}

// RFC 5246 §7.3 with GnuTLS as client, suite 0x009D.
#[test]
fn engine_server_echoes_for_gnutls_cli_aes256() {
    engine_server_vs_gnutls_cli(AES256);
}

// RFC 5246 §7.4.1.2: `gnutls-cli --resume` connects, disconnects, and
// reconnects offering the session; the second handshake is abbreviated.
#[test]
fn engine_server_resumes_session_for_gnutls_cli() {
    let server = EngineServer::start(engine_server_config(true), 2);
    let cmd = gnutls_cli(server.port(), AES128, &["--resume"]);
    let mut client = start_client(&cmd);
    expect_stdout(&client, "*** This is a resumed session");
    let first = server.next_handshake(&client);
    assert!(!first.resumed);
    let line = format!("ping from gnutls-cli to {}\n", server.addr);
    client.write_stdin(line.as_bytes()).unwrap();
    expect_stdout(&client, &line);
    expect_clean_exit(&mut client);
    let second = server.next_handshake(&client);
    assert!(second.resumed, "{second:?}");
    assert!(second.extended_master_secret);
}

// ---------------------------------------------------------------- failures

fn connect_options(timeout: Duration) -> ConnectOptions {
    ConnectOptions {
        server_name: "localhost".into(),
        timeout,
        linger: timeout,
        keylog: None,
        crypto: Default::default(),
        time: None,
    }
}

/// A loopback address with no listener, on a port below the kernel's
/// ephemeral range: every other listener in these tests binds port 0 and
/// gets an ephemeral port, so none can take this one between our check and
/// the connect.
fn unused_low_port() -> SocketAddr {
    let range =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let low: u16 = range
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(32768);
    let start = low.saturating_sub(8000).max(1024);
    (start..low)
        .map(|port| SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .find(|addr| TcpListener::bind(addr).is_ok())
        .expect("a free port below the ephemeral range")
}

#[test]
fn connect_to_refused_port_fails_quickly_with_one_line() {
    let addr = unused_low_port();
    let config = Arc::new(builtin::client_config(None, None).unwrap());
    let start = Instant::now();
    let err =
        serve::connect(addr, config, &connect_options(TALK), b"", &mut Vec::new()).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(!err.contains('\n'), "{err:?}");
    assert!(err.starts_with(&addr.to_string()), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
}

#[test]
fn connect_to_silent_peer_times_out_within_configured_timeout() {
    let listener = TcpListener::bind(loopback_any_port()).unwrap();
    let addr = listener.local_addr().unwrap();
    // The peer accepts and reads, but never writes: it returns what it got
    // once our client hangs up (bounded by its own read timeout).
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(TALK)).unwrap();
        let mut got = Vec::new();
        let _ = stream.read_to_end(&mut got);
        got
    });
    let config = Arc::new(builtin::client_config(None, None).unwrap());
    let timeout = Duration::from_millis(500);
    let start = Instant::now();
    let err = serve::connect(
        addr,
        config,
        &connect_options(timeout),
        b"",
        &mut Vec::new(),
    )
    .unwrap_err();
    let took = start.elapsed();
    assert!(took >= timeout * 9 / 10, "gave up after {took:?}: {err}");
    assert!(
        took < timeout * 4,
        "took {took:?} for a {timeout:?} timeout"
    );
    assert!(!err.contains('\n'), "{err:?}");
    assert!(err.contains("handshake failed"), "{err}");
    assert!(err.contains("sent nothing for 0.5s"), "{err}");
    let got = peer.join().unwrap();
    // It did send its ClientHello: a handshake record (RFC 5246 §6.2.1).
    assert_eq!(got.first(), Some(&0x16), "{got:02x?}");
}

// A peer that hangs up mid-handshake is reported as a hang-up (EOF, or a
// reset when it left our bytes unread), not as a timeout.
#[test]
fn engine_client_reports_peer_hanging_up_mid_handshake() {
    let listener = TcpListener::bind(loopback_any_port()).unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(TALK)).unwrap();
        let mut header = [0u8; 5];
        stream.read_exact(&mut header).unwrap();
        header
        // Dropping the stream closes it without a word.
    });
    let config = builtin::client_config(None, None).unwrap();
    let stream = TcpStream::connect_timeout(&addr, TALK).unwrap();
    let conn =
        Connection::client(Arc::new(config), "localhost", builtin::provider(None), None).unwrap();
    let mut s = TcpSession::new(conn, stream, TALK).unwrap();
    let start = Instant::now();
    let err = s.handshake().unwrap_err();
    assert!(start.elapsed() < TALK / 2, "{:?}", start.elapsed());
    assert!(matches!(err, DriveError::Eof | DriveError::Io(_)), "{err}");
    assert_eq!(peer.join().unwrap()[0], 0x16);
}

// ---------------------------------------------------------------- ECDHE (RFC 8422)

const ECDHE_RSA_128: CipherSuite = CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
const ECDHE_ECDSA_128: CipherSuite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
const EC_LEAF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/pki/leaf-ec256.pem");
const EC_LEAF_KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/pki/leaf-ec256.key");

/// `s_server -www` with one ECDHE suite, one group (OpenSSL's name), and
/// the RSA or the P-256 leaf.
fn openssl_s_server_ecdhe(suite: CipherSuite, group: &str, ec: bool) -> PeerCommand {
    let (cert, key) = if ec {
        (EC_LEAF, EC_LEAF_KEY)
    } else {
        (LEAF, LEAF_KEY)
    };
    PeerCommand::new("openssl")
        .args([
            "s_server",
            "-accept",
            "127.0.0.1:{port}",
            "-tls1_2",
            "-cert",
            cert,
            "-key",
            key,
            "-cert_chain",
            INT,
            "-cipher",
            openssl_name(suite),
            "-groups",
            group,
            "-www",
        ])
        .ready_when(Readiness::stdout_line("ACCEPT"))
}

fn engine_client_vs_s_server_ecdhe(suite: CipherSuite, group: &str, ec: bool) {
    let server = start_server(&openssl_s_server_ecdhe(suite, group, ec));
    let addr = server.addr().unwrap();
    let mut config = engine_client_config(suite, true);
    config.suites = vec![suite];
    let (mut s, hs) = engine_handshake(addr, &config, "localhost", None);
    assert_eq!(hs.suite, suite);
    assert!(hs.extended_master_secret, "{hs:?}");
    let page = http_get(&mut s);
    let line = format!("New, TLSv1.2, Cipher is {}", openssl_name(suite));
    assert!(page.contains(&line), "{page}");
    assert!(page.contains("Extended master secret: yes"), "{page}");
}

// RFC 8422 §5.4 / RFC 7748: ECDHE_RSA over x25519, our client verifying the
// RSA signature on OpenSSL's ServerKeyExchange.
#[test]
fn engine_client_completes_ecdhe_rsa_x25519_with_openssl_s_server() {
    engine_client_vs_s_server_ecdhe(ECDHE_RSA_128, "X25519", false);
}

// RFC 8422 §5.4: ECDHE_RSA over secp256r1 (uncompressed points, §5.1.2).
#[test]
fn engine_client_completes_ecdhe_rsa_p256_with_openssl_s_server() {
    engine_client_vs_s_server_ecdhe(ECDHE_RSA_128, "P-256", false);
}

// RFC 8422 §5.4: ECDHE_ECDSA, OpenSSL signing with the P-256 leaf's key.
#[test]
fn engine_client_completes_ecdhe_ecdsa_with_openssl_s_server() {
    engine_client_vs_s_server_ecdhe(ECDHE_ECDSA_128, "X25519", true);
}

fn engine_server_vs_s_client_ecdhe(config: ServerConfig, suite: CipherSuite, group: &str) {
    let server = EngineServer::start(config, 1);
    let cmd = openssl_s_client(server.port(), suite, &["-groups", group]);
    let new = format!("New, TLSv1.2, Cipher is {}", openssl_name(suite));
    let hs = s_client_session(&server, &cmd, &new);
    assert_eq!(hs.suite, suite);
    assert!(hs.extended_master_secret, "{hs:?}");
}

// RFC 8422 §5.4: our ServerKeyExchange (x25519, RSA signature) accepted by
// OpenSSL's client, which checks the signature and completes.
#[test]
fn engine_server_completes_ecdhe_rsa_x25519_for_openssl_s_client() {
    engine_server_vs_s_client_ecdhe(engine_server_config(true), ECDHE_RSA_128, "X25519");
}

// RFC 8422 §5.4: the same over secp256r1.
#[test]
fn engine_server_completes_ecdhe_rsa_p256_for_openssl_s_client() {
    engine_server_vs_s_client_ecdhe(engine_server_config(true), ECDHE_RSA_128, "P-256");
}

// RFC 8422 §5.4: ECDHE_ECDSA with our P-256 leaf (chain file leaf ‖ int).
#[test]
fn engine_server_completes_ecdhe_ecdsa_for_openssl_s_client() {
    let tmp = TempDir::new();
    let mut chain = std::fs::read(EC_LEAF).unwrap();
    chain.extend(std::fs::read(INT).unwrap());
    let chain = tmp.file("ec-chain.pem", &chain);
    let config =
        builtin::server_config(Some(Path::new(&chain)), Some(Path::new(EC_LEAF_KEY))).unwrap();
    engine_server_vs_s_client_ecdhe(config, ECDHE_ECDSA_128, "P-256");
}

// RFC 7905: ECDHE_RSA_WITH_CHACHA20_POLY1305 (no explicit nonce) against
// OpenSSL, both roles.
#[test]
fn engine_client_completes_ecdhe_rsa_chacha20_with_openssl_s_server() {
    engine_client_vs_s_server_ecdhe(
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "X25519",
        false,
    );
}

#[test]
fn engine_server_completes_ecdhe_rsa_chacha20_for_openssl_s_client() {
    engine_server_vs_s_client_ecdhe(
        engine_server_config(true),
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "X25519",
    );
}
