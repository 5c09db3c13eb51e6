//! The suite as a library: test a TLS stack from its own `cargo test`.
//!
//! Implement [`TlsTarget`] for your stack (one role or both): it makes a
//! fresh [`Session`] per connection, a sans-IO view of one connection
//! (TLS bytes in, TLS bytes out, plaintext, close_notify). The runner that
//! drives `gauntlet test-server` drives these sessions in memory: no
//! sockets, no processes, no clock waits. Then pick families with a
//! [`Suite`], run it, and check the [`Report`] against your expectations
//! (deviations with reasons; an unexpected pass fails, as in the CLI).
//!
//! What the harness does around a session (once, for every stack):
//! - as a **server**, it echoes the application data it receives and, on
//!   the peer's close_notify, answers with its own and ends;
//! - as a **client**, it sends [`CLIENT_REQUEST`] once the handshake is
//!   done and closes (close_notify) after the first answer;
//! - a session whose [`Session::receive_tls`] fails is done: what it queued
//!   (its alert) is delivered, then the connection ends;
//! - a panic inside the stack is caught and fails the case (it is a finding
//!   about the stack, never a pass).
//!
//! The stack must use the built-in test PKI ([`pki`]): as a server, its
//! chain and key; as a client, its root, the name `localhost` and
//! certificate validation at [`pki::VALIDATION_TIME`].
//!
//! Reproducing one case: every failure in [`Report::assert_all_expected`]
//! names a command that re-runs that case alone (`GAUNTLET_FILTER`, below).
//!
//! Environment (read by [`Suite::run_server`] and [`Suite::run_client`]):
//! - `GAUNTLET_FILTER`: whitespace-separated case-name globs; only matching
//!   cases run (a run that then selects none is an empty pass);
//! - `GAUNTLET_SEED`: the run seed (default [`Suite::seed`]).

use crate::case::{Acceptor, Connector, TestCase};
use crate::expectations::{glob_match, Expectations};
use crate::peer::transport::{ByteLog, LogTotals, Recv, Transport};
use crate::runner::{self, RunOptions};
use crate::suites;
pub use gauntlet_engine::pki::RevocationPolicy;
use gauntlet_engine::{Connection, Event, Provider};
use std::fmt::{self, Write as _};
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

pub use crate::case::Expect;
pub use crate::runner::{CaseResult, Final, Summary};
pub use crate::suites::kx::KeyExchange;
pub use crate::target::CLIENT_REQUEST;
pub use gauntlet_engine::Side;

/// One connection of the stack under test, sans-IO.
///
/// The harness calls these from one thread at a time per session (sessions
/// of different cases may run on different threads at once).
pub trait Session: Send {
    /// TLS bytes from Gauntlet's scripted peer: take them all and process
    /// every complete record. `Err` means the stack refused them and will
    /// take no more (its fatal alert, if it sends one, must then be in
    /// [`send_tls`](Session::send_tls)); the text is for reports.
    fn receive_tls(&mut self, tls: &[u8]) -> Result<(), String>;

    /// Appends the TLS bytes the stack wants to send (possibly none).
    fn send_tls(&mut self, out: &mut Vec<u8>);

    /// The handshake has not completed yet.
    fn is_handshaking(&self) -> bool;

    /// Appends the application data received so far (and drains it).
    fn read_plaintext(&mut self, out: &mut Vec<u8>);

    /// Queues application data to send.
    fn write_plaintext(&mut self, data: &[u8]) -> Result<(), String>;

    /// Queues close_notify (RFC 5246 §7.2.1).
    fn send_close_notify(&mut self);

    /// The peer's close_notify has been received.
    fn peer_has_closed(&self) -> bool;
}

/// The stack under test: makes one fresh [`Session`] per connection, in
/// either role or both. A role left at its default is one the target does
/// not play (running that role's cases is an error).
pub trait TlsTarget: Send {
    /// How reports name the target, e.g. `rustls 0.23`.
    fn name(&self) -> String {
        "target under test".into()
    }

    /// A server session (server-role cases: Gauntlet plays the client).
    fn new_server(&mut self) -> Result<Box<dyn Session>, String> {
        Err(format!("{} does not play the server role", self.name()))
    }

    /// A client session connecting to `server_name` (client-role cases:
    /// Gauntlet plays the server). The session speaks first: its
    /// ClientHello is the first thing [`Session::send_tls`] gives.
    fn new_client(&mut self, server_name: &str) -> Result<Box<dyn Session>, String> {
        let _ = server_name;
        Err(format!("{} does not play the client role", self.name()))
    }
}

/// The test PKI a target uses (`vectors/pki/`, made with the OpenSSL CLI
/// by `vectors/pki/gen.sh`): an RSA-2048 leaf for `localhost`, its
/// intermediate and the root.
pub mod pki {
    /// The server's chain, PEM: leaf, then intermediate.
    pub const SERVER_CHAIN_PEM: &str = concat!(
        include_str!("../pki/leaf.pem"),
        include_str!("../pki/int.pem")
    );
    /// The leaf's RSA private key, PEM (PKCS#8).
    pub const SERVER_KEY_PEM: &str = crate::builtin::LEAF_KEY_PEM;
    /// The root a client must trust, PEM.
    pub const ROOT_PEM: &str = include_str!("../pki/root.pem");
    /// The name client-role cases connect to.
    pub const SERVER_NAME: &str = "localhost";
    /// Seconds since the Unix epoch at which a client should validate the
    /// chain: runs then replay exactly and do not expire with the test
    /// certificates.
    pub const VALIDATION_TIME: u64 = crate::target::PKI_TIME.0;
}

/// Gauntlet's own reference engine as a [`TlsTarget`], in both roles, with
/// the test PKI: what the examples and doctests run against (it passes
/// every case).
#[derive(Debug)]
pub struct Reference {
    server: Arc<gauntlet_engine::ServerConfig>,
    client: Arc<gauntlet_engine::ClientConfig>,
    connections: AtomicU64,
}

impl Reference {
    /// The engine with the built-in PKI, offering every suite it has as a
    /// client.
    pub fn new() -> Result<Self, String> {
        let server = crate::builtin::server_config(None, None)?;
        // Soft-fail, asking for staples and fetching, as `MemoryClient`.
        let client = crate::builtin::reference_client_config(
            RevocationPolicy::CheckIfPresent,
            crate::target::MEMORY_FETCH_TIMEOUT,
        )?;
        Ok(Self {
            server: Arc::new(server),
            client: Arc::new(client),
            connections: AtomicU64::new(0),
        })
    }

    /// Each connection its own deterministic seed.
    fn provider(&self, tag: u8) -> Provider {
        let n = self.connections.fetch_add(1, Ordering::Relaxed);
        let mut seed = [tag; 32];
        seed[..8].copy_from_slice(&n.to_be_bytes());
        Provider::from_seed(seed)
    }
}

impl TlsTarget for Reference {
    fn name(&self) -> String {
        "Gauntlet reference engine".into()
    }

    fn new_server(&mut self) -> Result<Box<dyn Session>, String> {
        let conn = Connection::server(self.server.clone(), self.provider(0x53));
        Ok(Box::new(EngineSession::new(conn)))
    }

    fn new_client(&mut self, server_name: &str) -> Result<Box<dyn Session>, String> {
        let conn = Connection::client(self.client.clone(), server_name, self.provider(0x43), None)
            .map_err(|e| e.to_string())?;
        Ok(Box::new(EngineSession::new(conn)))
    }
}

/// An engine connection as a [`Session`].
#[derive(Debug)]
struct EngineSession {
    conn: Connection,
    plaintext: Vec<u8>,
    peer_closed: bool,
}

impl EngineSession {
    fn new(conn: Connection) -> Self {
        Self {
            conn,
            plaintext: Vec::new(),
            peer_closed: false,
        }
    }
}

impl Session for EngineSession {
    fn receive_tls(&mut self, tls: &[u8]) -> Result<(), String> {
        if self.conn.is_closed() {
            return Err("the connection is closed".into());
        }
        self.conn.feed(tls, crate::target::PKI_TIME);
        let mut failed = None;
        while let Some(ev) = self.conn.poll_event() {
            match ev {
                Event::ApplicationData(d) => self.plaintext.extend_from_slice(&d),
                Event::PeerClosed => self.peer_closed = true,
                Event::Failed(e) => failed = Some(e.to_string()),
                _ => {}
            }
        }
        failed.map_or(Ok(()), Err)
    }

    fn send_tls(&mut self, out: &mut Vec<u8>) {
        self.conn.write_tls(out);
    }

    fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    fn read_plaintext(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.plaintext);
    }

    fn write_plaintext(&mut self, data: &[u8]) -> Result<(), String> {
        self.conn.send(data).map_err(|e| e.to_string())
    }

    fn send_close_notify(&mut self) {
        self.conn.close();
    }

    fn peer_has_closed(&self) -> bool {
        self.peer_closed
    }
}

/// The prefix of the I/O error a caught panic of the stack becomes; the
/// report turns such a case into a failure.
const PANIC_PREFIX: &str = "the target panicked: ";

fn panic_error(payload: Box<dyn std::any::Any + Send>) -> io::Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    io::Error::other(format!("{PANIC_PREFIX}{what}"))
}

/// Runs `f` on the stack's code, a panic becoming an error.
fn guarded<R>(f: impl FnOnce() -> R) -> io::Result<R> {
    catch_unwind(AssertUnwindSafe(f)).map_err(panic_error)
}

/// Where a session's connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Open,
    /// It refused input or closed: nothing more is fed to it; what it
    /// queued is still delivered, then the connection ends.
    Over,
}

/// A [`Session`] as the scripted peer's [`Transport`], playing the
/// application around it (echo server, or request-once client).
struct SessionTransport {
    session: Box<dyn Session>,
    side: Side,
    phase: Phase,
    /// The client's request, until the handshake completes.
    request: Option<&'static [u8]>,
    log: ByteLog,
}

impl SessionTransport {
    fn new(session: Box<dyn Session>, side: Side) -> Self {
        Self {
            session,
            side,
            phase: Phase::Open,
            request: (side == Side::Client).then_some(CLIENT_REQUEST),
            log: ByteLog::default(),
        }
    }

    /// The application's turn after the stack took input.
    fn act(&mut self) {
        let s = &mut self.session;
        if self.request.is_some() && !s.is_handshaking() {
            if let Some(req) = self.request.take() {
                let _ = s.write_plaintext(req);
            }
        }
        let mut data = Vec::new();
        s.read_plaintext(&mut data);
        if !data.is_empty() {
            match self.side {
                // An echo server, like `gauntlet serve --mode echo`.
                Side::Server => {
                    let _ = s.write_plaintext(&data);
                }
                // The answer came: done, like a client that read its
                // response (it still reads the server's close_notify).
                Side::Client => s.send_close_notify(),
            }
        }
        if s.peer_has_closed() {
            s.send_close_notify();
            self.phase = Phase::Over;
        }
    }
}

impl Transport for SessionTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.log.push(true, bytes);
        if self.phase == Phase::Over {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the target's connection is over",
            ));
        }
        match guarded(|| self.session.receive_tls(bytes))? {
            Ok(()) => guarded(|| self.act()),
            Err(_refused) => {
                self.phase = Phase::Over;
                Ok(())
            }
        }
    }

    fn recv(&mut self, buf: &mut Vec<u8>, _timeout: Duration) -> io::Result<Recv> {
        let before = buf.len();
        guarded(|| self.session.send_tls(buf))?;
        let n = buf.len().saturating_sub(before);
        Ok(if n > 0 {
            self.log.push(false, buf.get(before..).unwrap_or_default());
            Recv::Data(n)
        } else if self.phase == Phase::Over {
            Recv::Eof
        } else {
            // Nothing to say: it waits for input (no real wait in memory).
            Recv::Timeout
        })
    }

    fn log(&self) -> &[(bool, Vec<u8>)] {
        &self.log
    }

    fn log_totals(&self) -> LogTotals {
        self.log.totals()
    }
}

/// The target in the runner's terms: a connector (server role) or an
/// acceptor (client role) over fresh sessions. Sessions are made one at a
/// time; they then run on the runner's workers.
struct Adapter<'a, T: TlsTarget> {
    target: Mutex<&'a mut T>,
    name: String,
    policy: RevocationPolicy,
}

impl<T: TlsTarget> Adapter<'_, T> {
    fn session(&self, side: Side) -> io::Result<Box<dyn Transport>> {
        let mut t = self.target.lock().unwrap_or_else(PoisonError::into_inner);
        let made = guarded(|| match side {
            Side::Server => t.new_server(),
            Side::Client => t.new_client(pki::SERVER_NAME),
        })?;
        let session = made.map_err(io::Error::other)?;
        Ok(Box::new(SessionTransport::new(session, side)))
    }
}

impl<T: TlsTarget> Connector for Adapter<'_, T> {
    fn connect(&self) -> io::Result<Box<dyn Transport>> {
        self.session(Side::Server)
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

impl<T: TlsTarget> Acceptor for Adapter<'_, T> {
    fn validation_time(&self) -> Option<u64> {
        Some(pki::VALIDATION_TIME)
    }

    fn revocation_policy(&self) -> RevocationPolicy {
        self.policy
    }

    fn accept(&self) -> io::Result<Box<dyn Transport>> {
        self.session(Side::Client)
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// A family: the cases sharing a name's first part (`Basic`, `Record`,
/// `Ecdhe`, …) in one role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Family {
    pub name: String,
    pub side: Side,
    pub cases: usize,
}

/// The family a case name belongs to: its first `-`-separated part.
pub fn family_of(case_name: &str) -> &str {
    case_name.split('-').next().unwrap_or(case_name)
}

/// Every family of `side`'s cases under `kx`, in suite order, with its
/// case count.
pub fn families(side: Side, kx: KeyExchange) -> Vec<Family> {
    let mut out: Vec<Family> = Vec::new();
    for c in suites::kx::all_under(suites::all(), kx) {
        if c.side != side {
            continue;
        }
        let name = family_of(&c.name);
        match out.iter_mut().find(|f| f.name == name) {
            Some(f) => f.cases += 1,
            None => out.push(Family {
                name: name.to_string(),
                side,
                cases: 1,
            }),
        }
    }
    out
}

/// Why a suite could not run (before any case did).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SuiteError {
    /// The expectations do not parse or name no case: (line, message).
    Expectations { line: usize, message: String },
    /// The expectations file could not be read.
    ExpectationsFile(String),
    /// A family name that is not one of the suite's.
    UnknownFamily(String),
    /// The selection holds no case of this role.
    NoCases(String),
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuiteError::Expectations { line, message } => {
                write!(f, "expectations, line {line}: {message}")
            }
            SuiteError::ExpectationsFile(e) => write!(f, "expectations file: {e}"),
            SuiteError::UnknownFamily(n) => {
                write!(f, "no family {n:?} (see gauntlet_harness::families)")
            }
            SuiteError::NoCases(why) => write!(f, "no case selected: {why}"),
        }
    }
}

impl std::error::Error for SuiteError {}

/// Which cases run against a target, and how.
#[derive(Clone, Debug)]
pub struct Suite {
    families: Vec<String>,
    filters: Vec<String>,
    excludes: Vec<String>,
    expectations: Option<ExpectationsSource>,
    kx: KeyExchange,
    jobs: usize,
    timeout: Duration,
    seed: u64,
    revocation: RevocationPolicy,
}

#[derive(Clone, Debug)]
enum ExpectationsSource {
    Text(String),
    File(std::path::PathBuf),
}

impl Default for Suite {
    fn default() -> Self {
        Self::new()
    }
}

impl Suite {
    /// Every family, the cases as written (RSA key exchange where a case
    /// does not pick another), no expectations, run seed 0.
    pub fn new() -> Self {
        Self {
            families: Vec::new(),
            filters: Vec::new(),
            excludes: Vec::new(),
            expectations: None,
            kx: KeyExchange::Rsa,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
            timeout: Duration::from_secs(10),
            seed: 0,
            revocation: RevocationPolicy::CheckIfPresent,
        }
    }

    /// The revocation policy the target's client is set up with (soft-fail
    /// unless said): it picks each `Revocation` case's expected outcome.
    /// The cases' CA validates at [`pki::VALIDATION_TIME`], as the target's
    /// client must.
    pub fn revocation_policy(mut self, policy: RevocationPolicy) -> Self {
        self.revocation = policy;
        self
    }

    /// Only these families (see [`families`]); may be called again to add.
    pub fn families(mut self, names: &[&str]) -> Self {
        self.families.extend(names.iter().map(|n| n.to_string()));
        self
    }

    /// Only cases whose name matches this glob (`*`, `?`); repeatable (any
    /// one matching is enough).
    pub fn filter(mut self, glob: &str) -> Self {
        self.filters.push(glob.into());
        self
    }

    /// Leaves out cases whose name matches this glob; repeatable.
    pub fn exclude(mut self, glob: &str) -> Self {
        self.excludes.push(glob.into());
        self
    }

    /// The key exchange of the cases that do not test one themselves.
    /// [`KeyExchange::Ecdhe`] is for stacks without RSA key exchange
    /// (rustls, for one): `RsaKx-*` and the cases that test the RSA
    /// premaster are left out, the rest run with ECDHE_RSA.
    pub fn key_exchange(mut self, kx: KeyExchange) -> Self {
        self.kx = kx;
        self
    }

    /// The target's expectations, in the format of `--expectations` files
    /// (`CASE-OR-GLOB  reason` per line; see [`crate::expectations`]).
    pub fn expectations_str(mut self, text: &str) -> Self {
        self.expectations = Some(ExpectationsSource::Text(text.into()));
        self
    }

    /// The target's expectations file, read when the suite runs.
    pub fn expectations_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.expectations = Some(ExpectationsSource::File(path.into()));
        self
    }

    /// Cases run at once (default: the CPU count, at most 4).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }

    /// The most one case may take (default 10 s; in memory a case takes
    /// milliseconds, and a stack waiting for input costs no wait).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The run seed: each case's scripted peer is seeded from it and the
    /// case's name (`GAUNTLET_SEED` overrides it).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The cases of `side` this suite selects (before `GAUNTLET_FILTER`).
    pub fn cases(&self, side: Side) -> Result<Vec<TestCase>, SuiteError> {
        let known = families(side, self.kx);
        for f in &self.families {
            if !known.iter().any(|k| &k.name == f) {
                return Err(SuiteError::UnknownFamily(f.clone()));
            }
        }
        Ok(suites::kx::all_under(suites::all(), self.kx)
            .into_iter()
            .filter(|c| c.side == side)
            .filter(|c| {
                self.families.is_empty() || self.families.iter().any(|f| f == family_of(&c.name))
            })
            .filter(|c| {
                self.filters.is_empty() || self.filters.iter().any(|g| glob_match(g, &c.name))
            })
            .filter(|c| !self.excludes.iter().any(|g| glob_match(g, &c.name)))
            .collect())
    }

    fn load_expectations(&self) -> Result<Expectations, SuiteError> {
        let all = suites::all();
        let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        match &self.expectations {
            None => Ok(Expectations::default()),
            Some(ExpectationsSource::Text(t)) => Expectations::parse(t, &names)
                .map_err(|(line, message)| SuiteError::Expectations { line, message }),
            Some(ExpectationsSource::File(p)) => Expectations::load(p, &names)
                .map_err(|e| SuiteError::ExpectationsFile(e.to_string())),
        }
    }

    /// Runs the server-role cases against `target`'s server sessions.
    pub fn run_server<T: TlsTarget>(&self, target: &mut T) -> Result<Report, SuiteError> {
        self.run(target, Side::Server)
    }

    /// Runs the client-role cases against `target`'s client sessions.
    pub fn run_client<T: TlsTarget>(&self, target: &mut T) -> Result<Report, SuiteError> {
        self.run(target, Side::Client)
    }

    fn run<T: TlsTarget>(&self, target: &mut T, side: Side) -> Result<Report, SuiteError> {
        let expectations = self.load_expectations()?;
        let mut cases = self.cases(side)?;
        let env_filter = std::env::var("GAUNTLET_FILTER").ok();
        match env_filter.as_deref().map(str::split_whitespace) {
            Some(globs) => {
                let globs: Vec<&str> = globs.collect();
                cases.retain(|c| globs.iter().any(|g| glob_match(g, &c.name)));
            }
            None if cases.is_empty() => {
                return Err(SuiteError::NoCases(format!(
                    "no {} case matches the families and filters",
                    side_name(side)
                )))
            }
            None => {}
        }
        let seed = std::env::var("GAUNTLET_SEED")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(self.seed);
        let name = target.name();
        let adapter = Adapter {
            target: Mutex::new(target),
            name: name.clone(),
            policy: self.revocation,
        };
        let opts = RunOptions {
            jobs: self.jobs,
            timeout: self.timeout,
            seed,
            stop: None,
        };
        let runner_target = match side {
            Side::Server => runner::Target::Server(&adapter),
            Side::Client => runner::Target::Client(&adapter),
        };
        let start = Instant::now();
        let mut results = runner::run(&cases, runner_target, &opts, &expectations, &|_| {});
        for r in &mut results {
            panics_fail(r, &expectations);
        }
        Ok(Report {
            target: name,
            side,
            seed,
            kx: self.kx,
            elapsed: start.elapsed(),
            reproducer: Reproducer::from_env(),
            results,
        })
    }
}

/// A panic of the stack reaches the runner as an I/O error, a harness
/// error; it is the stack's failure, listed or not as any other.
fn panics_fail(r: &mut CaseResult, expectations: &Expectations) {
    let Final::HarnessError(e) = &r.verdict else {
        return;
    };
    let Some(at) = e.find(PANIC_PREFIX) else {
        return;
    };
    let detail = format!("expected {}, but {}", r.expect, e.get(at..).unwrap_or(e));
    r.verdict = match expectations.lookup(&r.name) {
        Some(entry) => Final::ExpectedFailure {
            reason: entry.reason.clone(),
            detail,
        },
        None => Final::Fail(detail),
    };
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Server => "server-role",
        Side::Client => "client-role",
    }
}

/// How to re-run one case from the shell: the cargo invocation of the
/// running test, with `GAUNTLET_FILTER`.
#[derive(Clone, Debug)]
struct Reproducer {
    package: Option<String>,
    test_binary: Option<String>,
    test_name: Option<String>,
}

impl Reproducer {
    fn from_env() -> Self {
        // Cargo sets CARGO_PKG_NAME for the tests it runs; the binary's
        // name is `<test>-<hash>`; libtest names a test's thread after it.
        let test_binary = std::env::args().next().and_then(|a| {
            let stem = std::path::Path::new(&a).file_stem()?.to_str()?.to_string();
            Some(match stem.rsplit_once('-') {
                Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => {
                    name.to_string()
                }
                _ => stem,
            })
        });
        let test_name = std::thread::current()
            .name()
            .filter(|n| *n != "main")
            .map(str::to_string);
        Self {
            package: std::env::var("CARGO_PKG_NAME").ok(),
            test_binary,
            test_name,
        }
    }

    fn command(&self, case: &str) -> String {
        let mut cmd = format!("GAUNTLET_FILTER='{case}' cargo test");
        if let Some(p) = &self.package {
            let _ = write!(cmd, " -p {p}");
        }
        if let Some(b) = &self.test_binary {
            let _ = write!(cmd, " --test {b}");
        }
        if let Some(t) = &self.test_name {
            let _ = write!(cmd, " -- {t}");
        }
        cmd
    }
}

/// The results of one run, in suite order.
#[derive(Clone, Debug)]
pub struct Report {
    /// The target's [`TlsTarget::name`].
    pub target: String,
    pub side: Side,
    pub seed: u64,
    pub kx: KeyExchange,
    pub elapsed: Duration,
    pub results: Vec<CaseResult>,
    reproducer: Reproducer,
}

/// Of the cases not as expected, how many [`Report::assert_all_expected`]
/// describes in full (the rest are listed by name, one line each).
pub const MAX_DETAILED_FAILURES: usize = 100;

impl Report {
    /// Counts per verdict.
    pub fn summary(&self) -> Summary {
        Summary::of(&self.results)
    }

    /// The cases that are not as expected: failures not listed, listed
    /// cases that passed, and cases the harness could not run.
    pub fn unexpected(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| !r.verdict.is_ok())
    }

    /// The result of the case with this name, if it ran.
    pub fn case(&self, name: &str) -> Option<&CaseResult> {
        self.results.iter().find(|r| r.name == name)
    }

    /// The command that re-runs one case of this test alone.
    pub fn reproducer(&self, case: &str) -> String {
        self.reproducer.command(case)
    }

    /// Cases per family and verdict: one line per family.
    pub fn by_family(&self) -> String {
        let mut rows: Vec<(&str, Summary)> = Vec::new();
        for r in &self.results {
            let f = family_of(&r.name);
            let i = match rows.iter().position(|(n, _)| *n == f) {
                Some(i) => i,
                None => {
                    rows.push((f, Summary::default()));
                    rows.len() - 1
                }
            };
            if let Some((_, s)) = rows.get_mut(i) {
                let one = Summary::of(std::slice::from_ref(r));
                s.pass += one.pass;
                s.expected_failure += one.expected_failure;
                s.fail += one.fail;
                s.unexpected_pass += one.unexpected_pass;
                s.harness_error += one.harness_error;
            }
        }
        let mut out = String::new();
        for (f, s) in rows {
            let _ = writeln!(
                out,
                "{f:<28} {:>5} cases: {:>5} pass, {:>4} expected failure, {:>4} not as expected",
                s.passed() + s.failed(),
                s.pass,
                s.expected_failure,
                s.failed()
            );
        }
        out
    }

    /// Panics unless every case passed or failed as listed: the message
    /// names each case that is not as expected with its RFC clause, what
    /// was expected, what came and the command that re-runs it.
    #[track_caller]
    pub fn assert_all_expected(&self) {
        let bad: Vec<&CaseResult> = self.unexpected().collect();
        if bad.is_empty() {
            return;
        }
        let mut msg = format!(
            "{} of {} {} cases against {} are not as expected (run seed {}):\n",
            bad.len(),
            self.results.len(),
            side_name(self.side),
            self.target,
            self.seed
        );
        for (i, r) in bad.iter().enumerate() {
            if i >= MAX_DETAILED_FAILURES {
                let _ = writeln!(msg, "  {}  [{}]  {}", r.name, r.rfc, r.verdict.kind());
                continue;
            }
            let _ = writeln!(msg, "\n{}  [{}]", r.name, r.rfc);
            let _ = writeln!(msg, "  expected: {}", r.expect);
            match &r.verdict {
                Final::Fail(d) => {
                    let _ = writeln!(msg, "  got:      {}", r.outcome);
                    let _ = writeln!(msg, "  verdict:  fail: {d}");
                }
                Final::UnexpectedPass { reason } => {
                    let _ = writeln!(msg, "  got:      {}", r.outcome);
                    let _ = writeln!(
                        msg,
                        "  verdict:  unexpected pass: listed as \"{reason}\"; remove the entry"
                    );
                }
                Final::HarnessError(e) => {
                    let _ = writeln!(msg, "  verdict:  harness error (not run): {e}");
                }
                Final::Pass | Final::ExpectedFailure { .. } => {}
            }
            let _ = writeln!(msg, "  replay:   {}", self.reproducer(&r.name));
            if i + 1 == MAX_DETAILED_FAILURES && bad.len() > MAX_DETAILED_FAILURES {
                let _ = writeln!(msg, "\nand {} more:", bad.len() - MAX_DETAILED_FAILURES);
            }
        }
        let _ = write!(
            msg,
            "\nA deviation the stack means to keep goes in its expectations with the clause it departs from: `CASE-OR-GLOB  reason`.\n{}",
            self.summary().closing_line()
        );
        panic!("{msg}");
    }
}

impl fmt::Display for Report {
    /// The closing line, then the per-family table.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.summary();
        writeln!(
            f,
            "{} {} cases against {} in {:.2} s: {} pass, {} expected failure, {} fail, {} unexpected pass, {} harness error",
            self.results.len(),
            side_name(self.side),
            self.target,
            self.elapsed.as_secs_f64(),
            s.pass,
            s.expected_failure,
            s.fail,
            s.unexpected_pass,
            s.harness_error
        )?;
        f.write_str(&self.by_family())
    }
}
