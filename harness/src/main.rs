//! The `gauntlet` command line.
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used)]

use clap::{Parser, Subcommand};
use gauntlet_engine::enums::CipherSuite;
use gauntlet_engine::pki::RevocationPolicy;
use gauntlet_engine::Side;
use gauntlet_harness::case::TestCase;
use gauntlet_harness::expectations::{glob_match, Expectations};
use gauntlet_harness::process::Readiness;
use gauntlet_harness::runner::{self, CaseResult, RunOptions, Summary, Target};
use gauntlet_harness::serve::{self, ConnectOptions, ServeMode, ServeOptions};
use gauntlet_harness::target::{MemoryClient, MemoryServer, TcpServer};
use gauntlet_harness::target_spawn::{self, SpawnedClients, SpawnedServer};
use gauntlet_harness::{builtin, report, suites, vectors};
use std::io::{IsTerminal, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(
    name = "gauntlet",
    version,
    about = "TLS 1.2 conformance and fuzzing harness"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Known-answer vectors.
    Vectors {
        #[command(subcommand)]
        command: VectorsCommand,
    },
    /// Run the reference TLS 1.2 server.
    Serve(ServeArgs),
    /// Connect to a TLS 1.2 server with the reference client; standard input
    /// is sent as application data and the answer printed.
    Connect(ConnectArgs),
    /// List the conformance cases: NAME  RFC  EXPECT, one per line.
    List(ListArgs),
    /// Run the server-role cases against a TLS 1.2 server.
    #[command(
        group(clap::ArgGroup::new("server").required(true).args(["addr", "spawn", "builtin"])),
        after_help = EXIT_CODES
    )]
    TestServer(TestServerArgs),
    /// Run the client-role cases against a TLS 1.2 client: a scripted server
    /// listens, the client command is started once per case.
    #[command(
        group(clap::ArgGroup::new("client").required(true).args(["builtin", "command"])),
        after_help = CLIENT_HELP
    )]
    TestClient(TestClientArgs),
    /// Check every TLS 1.2 session of a recorded capture (pcap or pcapng)
    /// byte for byte against the reference derivation.
    #[command(after_help = CHECK_CAPTURE_HELP)]
    CheckCapture(CheckCaptureArgs),
    /// Run the suite against several targets named in a TOML file, in both
    /// roles, without expectations files, and flag the outliers.
    #[command(after_help = MATRIX_HELP)]
    Matrix(MatrixArgs),
    /// Is an RSA key exchange server a Bleichenbacher timing oracle? Times
    /// its answer to each malformed-premaster class, interleaved, and
    /// compares the classes pairwise.
    #[command(after_help = TIMING_HELP)]
    TimingTest(TimingArgs),
}

const TIMING_HELP: &str = "\
Classes (as the RsaKx cases): ValidButRandom (the reference), WrongFirstByte, WrongBlockType,
ZeroInPadding, NoSeparator, Length0, Length47, Length49, Version0302; one probe of each per
block, in random order. Tests per pair: sign test, Wilcoxon signed-rank, bootstrap 95% interval of the
median difference; distinguishable if any pair is below alpha / (2 x pairs).
--csv is appended as the run goes; given an existing file the run continues after its last block.
Exit status: 0 not distinguishable, 1 distinguishable, 2 bad input or unreachable target,
3 no complete block.";

#[derive(clap::Args, Debug)]
struct TimingArgs {
    /// The server (RSA key exchange, TLS_RSA_WITH_AES_128_GCM_SHA256).
    #[arg(required_unless_present = "leaky_self_test")]
    addr: Option<String>,
    /// Instead of ADDR: start the built-in reference server with a key that
    /// busy-waits this many microseconds on a malformed premaster (a known
    /// oracle), and test that.
    #[arg(long, value_name = "MICROSECONDS")]
    leaky_self_test: Option<u64>,
    /// Probes in all (rounded up to whole blocks of 9), at most 1,800,000.
    #[arg(long, default_value_t = 9000)]
    probes: u64,
    /// Stop after this many seconds, whatever --probes says.
    #[arg(long, default_value_t = 600.0)]
    max_time: f64,
    /// Seconds per network wait.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// Family-wise significance level.
    #[arg(long, default_value_t = 0.01)]
    alpha: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Raw times (appended; resumed from).
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// The ECDF plot (SVG).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
}

const MATRIX_HELP: &str = "\
The file: optional `timeout` and `ready_timeout` (seconds), then one [[target]] per stack with
`name` and at least one of `server` (a command line as test-server --spawn, with {port};
`server_ready` a stdout line, `server_confine` true for a private network namespace) and
`client` (as test-client -- CMD, with {port}; `client_stdin` what it is given).
Output: per target counts and every flagged case (an outlier target, or a majority that breaks
the case's expectation); with --out DIR also DIR/matrix.json, DIR/report.html and a reproducer
bundle per failing cell in DIR/<target>-<role>/.
Exit status: 0 it ran, 2 bad input, 3 a target could not be started (its cells are missing).";

#[derive(clap::Args, Debug)]
struct MatrixArgs {
    /// The targets file (TOML).
    file: PathBuf,
    /// Only cases whose name matches this glob (`*`, `?`); repeatable.
    #[arg(long, value_name = "GLOB")]
    filter: Vec<String>,
    /// Leave out cases whose name matches this glob; repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Only cases testing this role of the targets.
    #[arg(long, value_enum)]
    side: Option<SideArg>,
    /// Cases run in parallel within one target's run.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Seed of the scripted peers.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Directory for matrix.json, report.html and the bundles.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Also write a Markdown summary here (interop/RESULTS.md's generated part).
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
}

const CHECK_CAPTURE_HELP: &str = "\
Needs a secret per session: the server's RSA key (RSA key exchange) and/or an NSS key log
(SSLKEYLOGFILE; CLIENT_RANDOM or RSA lines). With both, the key log must agree.
Prints one line per session: `conforms (...)`, `DEVIATION at <side> record #N (<RFC clause>): ...`
or `unchecked: <why>`.
Exit status: 0 every session conforms, 1 a deviation, 2 bad input (file, key, key log),
3 no deviation but a session could not be checked (or the capture holds no TLS session).";

#[derive(clap::Args, Debug)]
struct CheckCaptureArgs {
    /// The capture: pcap or pcapng (Ethernet, raw IP, Linux cooked, BSD loopback).
    file: PathBuf,
    /// NSS key log file with the sessions' secrets.
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
    /// The server's RSA private key (PEM, PKCS#8 or PKCS#1).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
}

const EXIT_CODES: &str = "\
Output: the report (--format) on stdout; with text the last line is `N passed, M failed`
(passed = pass + expected failure; failed = fail + unexpected pass + harness error),
with json or junit that line goes to stderr.
Exit status: 0 all passed (expected failures included), 1 a case failed or a listed
case passed, 2 the run could not start (arguments, expectations file, target),
3 only harness errors, 130 interrupted.";

const CLIENT_HELP: &str = "\
The client command must connect to 127.0.0.1:{port}, complete a TLS 1.2 handshake
(the scripted server presents the built-in test chain for `localhost`; root:
vectors/pki/root.pem), send a request (e.g. GET / HTTP/1.0), read the answer and close.
Example: gauntlet test-client --stdin 'GET / HTTP/1.0\\r\\n\\r\\n' -- openssl s_client \\
  -connect 127.0.0.1:{port} -tls1_2 -CAfile vectors/pki/root.pem -servername localhost -ign_eof
Exit status: as test-server (0 passed, 1 failed, 2 could not start, 3 harness errors).";

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum SideArg {
    Server,
    Client,
}

#[derive(clap::Args, Debug)]
struct ListArgs {
    /// Only cases whose name matches this glob (`*`, `?`); repeatable.
    #[arg(long, value_name = "GLOB")]
    filter: Vec<String>,
    /// Only cases testing this role of the target.
    #[arg(long, value_enum)]
    side: Option<SideArg>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Junit,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Only cases whose name matches this glob (`*`, `?`); repeatable.
    #[arg(long, value_name = "GLOB")]
    filter: Vec<String>,
    /// Cases run in parallel [default: the CPU count with --builtin, else 1].
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Seconds one case may take at most (a hung target costs one timeout per case).
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    timeout: f64,
    /// Run seed: each case's scripted peer is seeded from it and the case name.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// The target's expectations file: `CASE-OR-GLOB  reason` per line.
    #[arg(long, value_name = "FILE")]
    expectations: Option<PathBuf>,
    /// What goes to standard output.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write report.json, junit.xml and a reproducer bundle per failure here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Key exchange of the cases that do not test RSA key exchange itself:
    /// `ecdhe` runs them with ECDHE_RSA (the target must offer or accept it).
    #[arg(long, value_enum, default_value = "rsa")]
    kx: KxArg,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum KxArg {
    Rsa,
    Ecdhe,
}

#[derive(clap::Args, Debug)]
struct TestServerArgs {
    /// A running server.
    #[arg(value_name = "HOST:PORT")]
    addr: Option<String>,
    /// Start this server command ({port}: a free loopback port) and test it.
    #[arg(long, value_name = "CMD")]
    spawn: Option<String>,
    /// Test the built-in reference server in memory.
    #[arg(long)]
    builtin: bool,
    /// With --builtin: the reference server's crypto provider.
    #[arg(long, value_enum, default_value_t, requires = "builtin")]
    provider: builtin::Crypto,
    /// With --spawn: ready when its stdout shows TEXT (default: it accepts a connection).
    #[arg(
        long,
        value_name = "TEXT",
        requires = "spawn",
        conflicts_with = "ready_stderr"
    )]
    ready_line: Option<String>,
    /// With --spawn: ready when its stderr shows TEXT.
    #[arg(long, value_name = "TEXT", requires = "spawn")]
    ready_stderr: Option<String>,
    /// With --spawn: seconds to wait for readiness.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, requires = "spawn")]
    ready_timeout: f64,
    /// With --spawn: run it in a private network namespace (for servers that bind every address).
    #[arg(long, requires = "spawn")]
    confine: bool,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Args, Debug)]
struct TestClientArgs {
    /// Loopback address the scripted server listens on; port 0: a fresh port per case.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: String,
    /// Test the built-in reference client in memory.
    #[arg(long, conflicts_with_all = ["stdin"])]
    builtin: bool,
    /// With --builtin: the reference client's crypto provider.
    #[arg(long, value_enum, default_value_t, requires = "builtin")]
    provider: builtin::Crypto,
    /// Text written to each client's standard input (`\r`, `\n`, `\t`, `\\` understood).
    #[arg(long, value_name = "TEXT")]
    stdin: Option<String>,
    /// The client's revocation policy: with --builtin, how the reference
    /// client is set up; for a client command, what its flags make it do
    /// (off: no status asked or checked; soft: staple asked, OCSP/CRL
    /// fetched, no status passes; hard: no status fails). It picks each
    /// Revocation case's expected outcome.
    #[arg(long, value_enum, default_value_t = Revocation::Soft)]
    revocation: Revocation,
    #[command(flatten)]
    run: RunArgs,
    /// The client command ({port}: the scripted server's port).
    #[arg(last = true, value_name = "CMD")]
    command: Vec<String>,
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Address to listen on (loopback in tests and examples).
    #[arg(long, default_value = "127.0.0.1:4433")]
    listen: String,
    /// Certificate chain, PEM (leaf first). Default: the built-in test PKI.
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// Private key, PEM: RSA (PKCS#8 or PKCS#1; RSA and ECDHE_RSA suites)
    /// or ECDSA P-256/P-384 (PKCS#8 or SEC 1; ECDHE_ECDSA suites).
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Suites in our order of preference, comma-separated OpenSSL or IANA
    /// names or hex codes (ECDHE-RSA-AES128-GCM-SHA256,
    /// TLS_RSA_WITH_AES_128_GCM_SHA256, c02f). Default: every suite the key
    /// can serve, ECDHE first.
    #[arg(long, alias = "cipher", value_parser = parse_suites)]
    suites: Option<SuiteList>,
    #[arg(long, value_enum, default_value = "echo")]
    mode: Mode,
    /// Append an NSS key log (for Wireshark) to FILE.
    #[arg(long)]
    keylog: Option<PathBuf>,
    /// Idle timeout: seconds a connection may go without a byte from the peer
    /// (or without the peer reading ours) before it is dropped.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Seconds from accept to a complete handshake, however the peer paces
    /// its bytes (a slow drip, a stream of warning alerts); then dropped.
    #[arg(long, default_value_t = 10.0)]
    handshake_timeout: f64,
    /// Connections open at once (one thread serves them all; each needs a
    /// file descriptor). One accepted past this is closed at once.
    #[arg(long, default_value_t = serve::DEFAULT_MAX_CONCURRENT)]
    max_concurrent: usize,
    /// Exit after serving N connections.
    #[arg(long)]
    max_connections: Option<usize>,
    /// Disable extended_master_secret (RFC 7627).
    #[arg(long)]
    no_ems: bool,
    /// Crypto provider: aws-lc (default; faster RSA and AES-GCM) or rustcrypto.
    #[arg(long, value_enum, default_value_t)]
    provider: builtin::Crypto,
    /// A DER OCSPResponse for the leaf, stapled in CertificateStatus to
    /// clients that send status_request (RFC 6066 §8). Sent as given.
    #[arg(long, value_name = "FILE")]
    ocsp_response: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Mode {
    Echo,
    Http,
}

#[derive(clap::Args, Debug)]
struct ConnectArgs {
    /// HOST:PORT
    addr: String,
    /// Trust anchors, PEM. Default: the built-in test root.
    #[arg(long)]
    ca: Option<PathBuf>,
    /// CRLs to check revocation against, PEM or DER.
    #[arg(long)]
    crl: Option<PathBuf>,
    /// Name to verify the certificate for (and send as SNI). Default: HOST.
    #[arg(long)]
    servername: Option<String>,
    /// Offer these suites, in this order: comma-separated OpenSSL or IANA
    /// names or hex codes (`--suite 009c`, `--suites
    /// ECDHE-ECDSA-AES128-GCM-SHA256,c02f`). Default: the two RSA key
    /// exchange suites (009c, 009d).
    #[arg(long, alias = "suite", alias = "cipher", value_parser = parse_suites)]
    suites: Option<SuiteList>,
    /// Do not offer extended_master_secret.
    #[arg(long)]
    no_ems: bool,
    #[arg(long)]
    keylog: Option<PathBuf>,
    /// Seconds to wait for the peer at any point.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Seconds to keep reading after the last data before closing.
    #[arg(long, default_value_t = 1.0)]
    linger: f64,
    /// Crypto provider: aws-lc (default; faster RSA and AES-GCM) or rustcrypto.
    #[arg(long, value_enum, default_value_t)]
    provider: builtin::Crypto,
    /// Revocation checking: off; soft (default: a CRL or stapled OCSP
    /// status that is bad fails, none passes); hard (every certificate
    /// needs a good status). soft and hard ask for an OCSP staple.
    #[arg(long, value_enum, default_value_t = Revocation::Soft)]
    revocation: Revocation,
    /// Validate the certificates at this time (RFC 3339, e.g.
    /// 2027-01-01T00:00:00Z) instead of the clock.
    #[arg(long, value_parser = parse_time)]
    time: Option<gauntlet_engine::UnixTime>,
    /// With --revocation soft|hard: ask this OCSP responder (http://...)
    /// about the leaf instead of its AIA responders.
    #[arg(long, value_name = "URL")]
    ocsp_url: Option<String>,
    /// With --revocation soft|hard: fetch the leaf issuer's CRL from this
    /// URL instead of the leaf's distribution points.
    #[arg(long, value_name = "URL")]
    crl_url: Option<String>,
    /// How OCSP requests go out (RFC 6960 appendix A.1).
    #[arg(long, value_enum, default_value_t)]
    ocsp_method: gauntlet_harness::revocation::OcspMethod,
    /// Seconds each OCSP or CRL fetch may take; then it counts as no answer.
    #[arg(long, default_value_t = 5.0)]
    fetch_timeout: f64,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Revocation {
    Off,
    Soft,
    Hard,
}

fn revocation_policy(r: Revocation) -> RevocationPolicy {
    match r {
        Revocation::Off => RevocationPolicy::Off,
        Revocation::Soft => RevocationPolicy::CheckIfPresent,
        Revocation::Hard => RevocationPolicy::RequireStatus,
    }
}

fn parse_time(s: &str) -> Result<gauntlet_engine::UnixTime, String> {
    let t = chrono::DateTime::parse_from_rfc3339(s)
        .map_err(|e| format!("{s}: not an RFC 3339 time ({e})"))?;
    u64::try_from(t.timestamp())
        .map(gauntlet_engine::UnixTime)
        .map_err(|_| format!("{s}: before 1970"))
}

/// A `--suites` list, in order (a newtype so clap takes the whole list as
/// one value).
#[derive(Clone, Debug)]
struct SuiteList(Vec<CipherSuite>);

fn parse_suites(s: &str) -> Result<SuiteList, String> {
    let known = || {
        gauntlet_engine::config::SUITE_NAMES
            .iter()
            .map(|(_, o, _)| *o)
            .collect::<Vec<_>>()
            .join(", ")
    };
    s.split(',')
        .map(|name| {
            let name = name.trim();
            // `9c` and `9d`, as before.
            let padded = match name.trim_start_matches("0x") {
                h if h.len() == 2 => format!("00{h}"),
                _ => name.to_string(),
            };
            gauntlet_engine::config::suite_by_name(&padded)
                .ok_or_else(|| format!("unsupported suite {name} (one of {})", known()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(SuiteList)
}

fn secs(v: f64, flag: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(v)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("--{flag} must be a positive number of seconds"))
}

#[derive(Subcommand, Debug)]
enum VectorsCommand {
    /// Run every vector file in DIR (default: the repository's `vectors/`) against the engine.
    Verify { dir: Option<PathBuf> },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line, not clap's usage block.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!("gauntlet: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Vectors {
            command: VectorsCommand::Verify { dir },
        } => return verify(dir),
        Command::Serve(args) => serve(args),
        Command::Connect(args) => connect(args),
        Command::List(args) => list(args).map_err(Failure::Run),
        Command::TestServer(args) => return test_server(args),
        Command::TestClient(args) => return test_client(args),
        Command::CheckCapture(args) => return check_capture(args),
        Command::Matrix(args) => return matrix(args),
        Command::TimingTest(args) => return timing_test(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Setup(e)) => setup_error(e),
        Err(Failure::Run(e)) => {
            eprintln!("gauntlet: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Why `serve`, `connect` or `list` stopped: bad flags or input files (exit
/// 2, before anything binds or connects, as the other subcommands), a
/// target `connect` cannot reach (exit 2, as `test-server`'s), or a failure
/// once running (exit 1).
enum Failure {
    Setup(String),
    Run(String),
}

fn serve(args: ServeArgs) -> Result<(), Failure> {
    // Every flag and file is checked before the socket is bound.
    let timeout = secs(args.timeout, "timeout").map_err(Failure::Setup)?;
    let handshake_timeout =
        secs(args.handshake_timeout, "handshake-timeout").map_err(Failure::Setup)?;
    if args.max_concurrent == 0 {
        return Err(Failure::Setup("--max-concurrent must be at least 1".into()));
    }
    let mut config = args
        .provider
        .server_config(args.cert.as_deref(), args.key.as_deref())
        .map_err(Failure::Setup)?;
    config.extended_master_secret = !args.no_ems;
    if let Some(SuiteList(s)) = args.suites {
        config.suites = s;
    }
    if let Some(path) = &args.ocsp_response {
        config.ocsp_staple = Some(builtin::load_ocsp_response(path).map_err(Failure::Setup)?);
    }
    let addr = serve::resolve(&args.listen).map_err(Failure::Setup)?;
    let listener = TcpListener::bind(addr).map_err(|e| Failure::Setup(format!("{addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::Setup(e.to_string()))?;
    eprintln!("gauntlet: serving TLS 1.2 on {local}");
    let opts = ServeOptions {
        mode: match args.mode {
            Mode::Echo => ServeMode::Echo,
            Mode::Http => ServeMode::Http,
        },
        timeout,
        handshake_timeout,
        keylog: args.keylog,
        max_concurrent: args.max_concurrent,
        max_connections: args.max_connections,
        crypto: args.provider,
        ..ServeOptions::default()
    };
    serve::serve(
        listener,
        Arc::new(config),
        opts,
        Arc::new(AtomicBool::new(false)),
    )
    .map_err(|e| Failure::Run(format!("{local}: {e}")))
}

fn connect(args: ConnectArgs) -> Result<(), Failure> {
    // Every flag and file is checked before anything connects.
    let timeout = secs(args.timeout, "timeout").map_err(Failure::Setup)?;
    let linger = secs(args.linger, "linger").map_err(Failure::Setup)?;
    let policy = revocation_policy(args.revocation);
    let fetch = gauntlet_harness::revocation::FetchOptions {
        timeout: secs(args.fetch_timeout, "fetch-timeout").map_err(Failure::Setup)?,
        method: args.ocsp_method,
        ocsp_url: args.ocsp_url.clone(),
        crl_url: args.crl_url.clone(),
    };
    for url in [&args.ocsp_url, &args.crl_url].into_iter().flatten() {
        if !url.starts_with("http://") {
            return Err(Failure::Setup(format!(
                "{url}: only http:// URLs are fetched"
            )));
        }
    }
    let verifier = Arc::new(
        builtin::fetching_verifier(args.ca.as_deref(), args.crl.as_deref(), policy, fetch)
            .map_err(Failure::Setup)?,
    );
    let mut config = gauntlet_engine::ClientConfig::new(verifier.clone());
    config.ocsp_stapling = args.revocation != Revocation::Off;
    let addr = serve::resolve(&args.addr).map_err(Failure::Setup)?;
    let host = args
        .servername
        .clone()
        .unwrap_or_else(|| match args.addr.rsplit_once(':') {
            Some((h, _)) => h.trim_matches(|c| c == '[' || c == ']').to_string(),
            None => args.addr.clone(),
        });
    config.extended_master_secret = !args.no_ems;
    if let Some(SuiteList(s)) = args.suites {
        config.suites = s;
    }
    // Read standard input on the side, bounded by --timeout, so a pipe that
    // never closes cannot hold the connection back.
    let input = if std::io::stdin().is_terminal() {
        Vec::new()
    } else {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let res = std::io::stdin().read_to_end(&mut buf).map(|_| buf);
            let _ = tx.send(res);
        });
        match rx.recv_timeout(timeout) {
            Ok(Ok(buf)) => buf,
            Ok(Err(e)) => return Err(Failure::Setup(format!("standard input: {e}"))),
            Err(_) => {
                return Err(Failure::Setup(
                    "standard input did not end within --timeout".into(),
                ))
            }
        }
    };
    let opts = ConnectOptions {
        server_name: host,
        timeout,
        linger,
        keylog: args.keylog,
        crypto: args.provider,
        time: args.time,
    };
    // A port where nothing listens (or no answer) is bad input: exit 2.
    let stream = serve::open(addr, timeout).map_err(Failure::Setup)?;
    let hs = serve::connect_over(
        stream,
        addr,
        Arc::new(config),
        &opts,
        &input,
        &mut std::io::stdout().lock(),
    )
    .map_err(|e| {
        print_fetch_notes(&verifier);
        Failure::Run(e)
    })?;
    print_fetch_notes(&verifier);
    eprintln!("gauntlet: {}", serve::describe(&hs));
    Ok(())
}

/// What revocation fetching could not get (a responder down, slow, too
/// large), one line each, so a soft-fail pass is not silent.
fn print_fetch_notes(verifier: &gauntlet_harness::revocation::FetchingVerifier) {
    if let Ok(notes) = verifier.notes.lock() {
        for n in notes.iter() {
            eprintln!("gauntlet: revocation: {n}");
        }
    }
}

fn verify(dir: Option<PathBuf>) -> ExitCode {
    let dir = dir.unwrap_or_else(default_vectors_dir);
    match vectors::run_dir(&dir) {
        Ok(reports) => {
            print!("{}", vectors::render_table(&reports));
            if reports.iter().all(|r| r.failures.is_empty()) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("gauntlet: {e}");
            ExitCode::from(2)
        }
    }
}

fn check_capture(args: CheckCaptureArgs) -> ExitCode {
    use gauntlet_harness::capture::{self, keylog::KeyLog};
    let read_capped = |path: &PathBuf, cap: u64| -> Result<Vec<u8>, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut bytes = Vec::new();
        file.take(cap + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if bytes.len() as u64 > cap {
            return Err(format!("{}: larger than {cap} bytes", path.display()));
        }
        Ok(bytes)
    };
    let inputs = (|| -> Result<_, String> {
        let file = read_capped(&args.file, capture::MAX_CAPTURE)?;
        let keylog = match &args.keylog {
            Some(path) => {
                let bytes = read_capped(path, capture::keylog::MAX_KEYLOG as u64)?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| format!("{}: not a text file", path.display()))?;
                Some(KeyLog::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?)
            }
            None => None,
        };
        let key = args.key.as_deref().map(builtin::load_key).transpose()?;
        Ok((file, keylog, key))
    })();
    let (file, keylog, key) = match inputs {
        Ok(inputs) => inputs,
        Err(e) => return setup_error(e),
    };
    let key = key
        .as_deref()
        .map(|k| k as &dyn gauntlet_engine::crypto::RsaDecrypt);
    match capture::check_capture(&file, keylog.as_ref(), key) {
        Ok(report) => {
            print!("{}", report.render(&args.file.display().to_string()));
            ExitCode::from(report.exit_code())
        }
        Err(e) => setup_error(format!("{}: {e}", args.file.display())),
    }
}

fn matrix(args: MatrixArgs) -> ExitCode {
    use gauntlet_harness::{html, matrix};
    let file = match std::fs::read_to_string(&args.file)
        .map_err(|e| e.to_string())
        .and_then(|t| matrix::MatrixFile::parse(&t))
    {
        Ok(f) => f,
        Err(e) => return setup_error(format!("{}: {e}", args.file.display())),
    };
    if args.jobs == 0 {
        return setup_error("--jobs must be at least 1");
    }
    let side = args.side.map(side_of);
    let cases: Vec<TestCase> = suites::all()
        .into_iter()
        .filter(|c| side.is_none_or(|s| c.side == s) && matches_filters(&args.filter, &c.name))
        .filter(|c| !args.exclude.iter().any(|g| glob_match(g, &c.name)))
        .collect();
    if cases.is_empty() {
        return setup_error("no case matches the filters");
    }
    if let Some(dir) = &args.out {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return setup_error(format!("{}: {e}", dir.display()));
        }
    }
    let total = cases.len() * file.targets.len();
    let bar = progress_bar(total);
    let start = Instant::now();
    let (results, errors) = matrix::run(&file, &cases, args.jobs, args.seed, &|t, r| {
        bar.set_message(format!("{t}: {}", r.name));
        bar.inc(1);
    });
    bar.finish_and_clear();
    let names: Vec<String> = file.targets.iter().map(|t| t.name.clone()).collect();
    let mut m = matrix::assemble(&cases, names, &results, start.elapsed());
    if let Some(dir) = &args.out {
        let by_name: std::collections::HashMap<&str, &TestCase> =
            cases.iter().map(|c| (c.name.as_str(), c)).collect();
        for (ti, rs) in results.iter().enumerate() {
            let target = &file.targets[ti].name;
            for r in rs.iter().filter(|r| r.verdict.wants_bundle()) {
                let Some(case) = by_name.get(r.name.as_str()) else {
                    continue;
                };
                let role = side_name_of(r.side);
                let sub = format!("{target}-{role}");
                let info = report::RunInfo {
                    target: target.clone(),
                    side: r.side,
                    seed: args.seed,
                    timeout: Duration::from_secs_f64(file.timeout.unwrap_or(10.0)),
                    jobs: args.jobs,
                    expectations: None,
                    elapsed: m_elapsed(&m),
                };
                match report::write_bundle(&dir.join(&sub), case, r, &info) {
                    Ok(path) => {
                        if let Some(row) = m.rows.iter_mut().find(|row| row.name == r.name) {
                            if let Some(Some(cell)) = row.cells.get_mut(ti) {
                                cell.bundle =
                                    path.strip_prefix(dir).ok().map(|p| p.display().to_string());
                            }
                        }
                    }
                    Err(e) => eprintln!("gauntlet: {e}"),
                }
            }
        }
        let json = serde_json::to_string_pretty(&m).unwrap_or_default();
        for (name, text) in [
            ("matrix.json", json),
            ("report.html", html::render(&m, "Gauntlet matrix")),
        ] {
            let path = dir.join(name);
            if let Err(e) = std::fs::write(&path, text) {
                eprintln!("gauntlet: {}: {e}", path.display());
            }
        }
    }
    if let Some(path) = &args.markdown {
        if let Err(e) = std::fs::write(path, matrix::render_markdown(&m)) {
            eprintln!("gauntlet: {}: {e}", path.display());
        }
    }
    print!("{}", matrix::render_text(&m));
    for e in &errors {
        eprintln!("gauntlet: {e}");
    }
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    }
}

fn timing_test(args: TimingArgs) -> ExitCode {
    use gauntlet_harness::timing;
    let secs_ok = |v: f64, what: &str| -> Result<Duration, String> {
        if v > 0.0 && v <= 86_400.0 {
            Ok(Duration::from_secs_f64(v))
        } else {
            Err(format!("--{what} must be in (0, 86400] seconds"))
        }
    };
    let (timeout, max_time) = match (
        secs_ok(args.timeout, "timeout"),
        secs_ok(args.max_time, "max-time"),
    ) {
        (Ok(t), Ok(m)) => (t, m),
        (Err(e), _) | (_, Err(e)) => return setup_error(e),
    };
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        return setup_error("--alpha must be in (0, 1)");
    }
    let classes = timing::CLASSES.len() as u64;
    let blocks = args.probes.div_ceil(classes);
    if blocks == 0 || blocks > timing::MAX_BLOCKS {
        return setup_error(format!(
            "--probes must be in 1..={}",
            timing::MAX_BLOCKS * classes
        ));
    }
    let leaky = match args.leaky_self_test {
        Some(us) => match timing::leaky::LeakyServer::start(Duration::from_micros(us)) {
            Ok(s) => Some(s),
            Err(e) => return setup_error(e),
        },
        None => None,
    };
    let addr = match (&leaky, &args.addr) {
        (Some(s), _) => s.addr,
        (None, Some(a)) => match serve::resolve(a) {
            Ok(a) => a,
            Err(e) => return setup_error(e),
        },
        (None, None) => return setup_error("give HOST:PORT or --leaky-self-test"),
    };
    let mut samples = Vec::new();
    let mut csv: Box<dyn Write> = match &args.csv {
        Some(path) => {
            if path.exists() {
                match std::fs::read_to_string(path)
                    .map_err(|e| e.to_string())
                    .and_then(|t| timing::read_csv(&t))
                {
                    Ok(s) => samples = s,
                    Err(e) => return setup_error(format!("{}: {e}", path.display())),
                }
            }
            let fresh = samples.is_empty();
            match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                Ok(mut f) => {
                    if fresh && f.write_all(timing::CSV_HEADER.as_bytes()).is_err() {
                        return setup_error(format!("{}: cannot write", path.display()));
                    }
                    Box::new(f)
                }
                Err(e) => return setup_error(format!("{}: {e}", path.display())),
            }
        }
        None => Box::new(std::io::sink()),
    };
    // One probe first: an unreachable or non-RSA server is one line.
    if let Err(e) = timing::probe(addr, timing::CLASSES[0].1, timeout, [0; 32]) {
        return setup_error(format!("{addr}: {e}"));
    }
    let opts = timing::Options {
        addr,
        blocks,
        max_time,
        timeout,
        seed: args.seed,
    };
    let bar = progress_bar(blocks as usize);
    let failures = timing::run(&opts, &mut samples, &mut *csv, &|b| bar.set_position(b + 1));
    bar.finish_and_clear();
    drop(csv);
    for f in failures.iter().take(5) {
        eprintln!("gauntlet: probe failed: {f}");
    }
    let analysis = timing::analyse(&samples, args.alpha);
    if analysis.blocks == 0 {
        eprintln!("gauntlet: no complete block was measured");
        return ExitCode::from(3);
    }
    print!("target {addr}: {}", timing::render(&analysis));
    if let Some(path) = &args.plot {
        if let Err(e) = timing::plot_svg(&samples, path) {
            eprintln!("gauntlet: {}: {e}", path.display());
        }
    }
    if analysis.distinguishable {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn m_elapsed(m: &gauntlet_harness::matrix::Matrix) -> Duration {
    Duration::from_secs_f64(m.elapsed_s)
}

fn side_name_of(side: Side) -> &'static str {
    match side {
        Side::Server => "server",
        Side::Client => "client",
    }
}

/// `./vectors` when run from a checkout, else the one this binary was built from.
fn default_vectors_dir() -> PathBuf {
    let here = PathBuf::from("vectors");
    if here.is_dir() {
        here
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors")
    }
}

fn side_of(arg: SideArg) -> Side {
    match arg {
        SideArg::Server => Side::Server,
        SideArg::Client => Side::Client,
    }
}

fn matches_filters(filters: &[String], name: &str) -> bool {
    filters.is_empty() || filters.iter().any(|f| glob_match(f, name))
}

fn list(args: ListArgs) -> Result<(), String> {
    let side = args.side.map(side_of);
    let cases: Vec<TestCase> = suites::all()
        .into_iter()
        .filter(|c| side.is_none_or(|s| c.side == s) && matches_filters(&args.filter, &c.name))
        .collect();
    let name_w = cases.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let rfc_w = cases
        .iter()
        .map(|c| c.rfc.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for c in &cases {
        let pad = rfc_w - c.rfc.chars().count();
        let line = format!(
            "{:<name_w$}  {}{}  {}",
            c.name,
            c.rfc,
            " ".repeat(pad),
            c.expect
        );
        // A closed pipe (`| head`) ends the listing quietly.
        if writeln!(out, "{}", line.trim_end()).is_err() {
            break;
        }
    }
    Ok(())
}

/// A run that could not start: one line, exit status 2.
fn setup_error(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("gauntlet: {e}");
    ExitCode::from(2)
}

/// Cases of `side` selected by the filters; an empty selection is an error.
fn select(side: Side, filters: &[String], kx: KxArg) -> Result<Vec<TestCase>, String> {
    let kx = match kx {
        KxArg::Rsa => suites::kx::KeyExchange::Rsa,
        KxArg::Ecdhe => suites::kx::KeyExchange::Ecdhe,
    };
    let cases: Vec<TestCase> = suites::all()
        .into_iter()
        .filter(|c| c.side == side && matches_filters(filters, &c.name))
        .filter_map(|c| suites::kx::under(&c, kx))
        .collect();
    if cases.is_empty() {
        let role = match side {
            Side::Server => "server",
            Side::Client => "client",
        };
        return Err(if filters.is_empty() {
            format!("the suite has no {role}-role case yet")
        } else {
            format!(
                "no {role}-role case matches --filter {}",
                filters.join(" --filter ")
            )
        });
    }
    Ok(cases)
}

fn load_expectations(path: Option<&PathBuf>) -> Result<Expectations, String> {
    match path {
        None => Ok(Expectations::default()),
        Some(p) => {
            let all = suites::all();
            let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
            Expectations::load(p, &names).map_err(|e| e.to_string())
        }
    }
}

/// Ctrl-C and SIGTERM set the flag: no new case starts, running ones end
/// within their timeout, reports are written and spawned peers killed. A
/// second signal exits at once.
fn stop_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, flag.clone());
        let _ = signal_hook::flag::register(sig, flag.clone());
    }
    flag
}

fn progress_bar(len: usize) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed_precise} {wide_msg}")
    {
        bar.set_style(style);
    }
    bar
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `cases` against `target`, writes the reports and bundles, and
/// chooses the exit status.
fn run_suite(
    cases: &[TestCase],
    target: Target<'_>,
    args: &RunArgs,
    jobs: usize,
    expectations: &Expectations,
) -> ExitCode {
    let timeout = match secs(args.timeout, "timeout") {
        Ok(t) => t,
        Err(e) => return setup_error(e),
    };
    if let Some(dir) = &args.out {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return setup_error(format!("{}: {e}", dir.display()));
        }
    }
    let stop = stop_flag();
    let opts = RunOptions {
        jobs,
        timeout,
        seed: args.seed,
        stop: Some(stop.clone()),
    };
    let bar = progress_bar(cases.len());
    let start = Instant::now();
    let results = runner::run(cases, target, &opts, expectations, &|r: &CaseResult| {
        bar.set_message(r.name.clone());
        bar.inc(1);
    });
    bar.finish_and_clear();
    let info = report::RunInfo {
        target: target.describe(),
        side: target.side(),
        seed: args.seed,
        timeout,
        jobs,
        expectations: args.expectations.clone(),
        elapsed: start.elapsed(),
    };
    let summary = Summary::of(&results);
    let mut write_failed = false;
    if let Some(dir) = &args.out {
        for (case, r) in cases.iter().zip(&results) {
            if r.verdict.wants_bundle() {
                if let Err(e) = report::write_bundle(dir, case, r, &info) {
                    eprintln!("gauntlet: {e}");
                    write_failed = true;
                }
            }
        }
        let one = gauntlet_harness::matrix::assemble(
            cases,
            vec![info.target.clone()],
            std::slice::from_ref(&results),
            info.elapsed,
        );
        for (name, text) in [
            ("report.json", report::json(&results, &info)),
            ("junit.xml", report::junit(&results, &info)),
            (
                "report.html",
                gauntlet_harness::html::render(&one, &format!("Gauntlet: {}", info.target)),
            ),
        ] {
            let path = dir.join(name);
            if let Err(e) = std::fs::write(&path, text) {
                eprintln!("gauntlet: {}: {e}", path.display());
                write_failed = true;
            }
        }
    }
    let body = match args.format {
        Format::Text => report::text(&results, &info),
        Format::Json => report::json(&results, &info),
        Format::Junit => report::junit(&results, &info),
    };
    let _ = std::io::stdout().lock().write_all(body.as_bytes());
    if args.format != Format::Text {
        eprintln!("{}", summary.closing_line());
    }
    if stop.load(Ordering::Relaxed) {
        return ExitCode::from(130);
    }
    match summary.exit_code() {
        0 if write_failed => ExitCode::from(3),
        code => ExitCode::from(code),
    }
}

/// What both test commands check before a run: the expectations file, the
/// selected cases, the per-case timeout and the number of workers.
fn prepare(
    side: Side,
    run: &RunArgs,
    builtin: bool,
) -> Result<(Expectations, Vec<TestCase>, Duration, usize), String> {
    let expectations = load_expectations(run.expectations.as_ref())?;
    let cases = select(side, &run.filter, run.kx)?;
    let timeout = secs(run.timeout, "timeout")?;
    let jobs = run.jobs.unwrap_or(if builtin { default_jobs() } else { 1 });
    if jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    Ok((expectations, cases, timeout, jobs))
}

fn test_server(args: TestServerArgs) -> ExitCode {
    let (expectations, cases, timeout, jobs) = match prepare(Side::Server, &args.run, args.builtin)
    {
        Ok(p) => p,
        Err(e) => return setup_error(e),
    };
    if args.builtin {
        let target = match MemoryServer::builtin_with(args.provider) {
            Ok(t) => t,
            Err(e) => return setup_error(e),
        };
        return run_suite(
            &cases,
            Target::Server(&target),
            &args.run,
            jobs,
            &expectations,
        );
    }
    if let Some(line) = &args.spawn {
        let ready_timeout = match secs(args.ready_timeout, "ready-timeout") {
            Ok(t) => t,
            Err(e) => return setup_error(e),
        };
        let mut cmd =
            match target_spawn::split_command(line).and_then(|w| target_spawn::peer_command(&w)) {
                Ok(c) => c,
                Err(e) => return setup_error(format!("--spawn: {e}")),
            };
        if let Some(text) = &args.ready_line {
            cmd = cmd.ready_when(Readiness::StdoutLine(text.clone()));
        } else if let Some(text) = &args.ready_stderr {
            cmd = cmd.ready_when(Readiness::StderrLine(text.clone()));
        }
        if args.confine {
            cmd = cmd.confined();
        }
        let target = match SpawnedServer::start(&cmd, ready_timeout, timeout) {
            Ok(t) => t,
            Err(e) => return setup_error(e),
        };
        let code = run_suite(
            &cases,
            Target::Server(&target),
            &args.run,
            jobs,
            &expectations,
        );
        target.stop();
        return code;
    }
    let Some(text) = &args.addr else {
        return setup_error("give HOST:PORT, --spawn CMD or --builtin");
    };
    let addr = match serve::resolve(text) {
        Ok(a) => a,
        Err(e) => return setup_error(e),
    };
    // One probe first: an unreachable target is one line, not a harness
    // error per case.
    match std::net::TcpStream::connect_timeout(&addr, timeout) {
        // Something listens and resets at once: that is the target's
        // answer, for the cases to judge (the reset can beat connect()).
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
            ) => {}
        Err(e) => return setup_error(format!("{addr}: {e}")),
        Ok(_) => {}
    }
    let target = TcpServer {
        addr,
        connect_timeout: timeout,
    };
    run_suite(
        &cases,
        Target::Server(&target),
        &args.run,
        jobs,
        &expectations,
    )
}

/// `\r`, `\n`, `\t` and `\\` in a --stdin argument.
fn unescape(s: &str) -> Vec<u8> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out.into_bytes()
}

fn test_client(args: TestClientArgs) -> ExitCode {
    let (expectations, cases, timeout, jobs) = match prepare(Side::Client, &args.run, args.builtin)
    {
        Ok(p) => p,
        Err(e) => return setup_error(e),
    };
    if args.builtin {
        let target = match MemoryClient::builtin_with_policy(
            args.provider,
            revocation_policy(args.revocation),
        ) {
            Ok(t) => t,
            Err(e) => return setup_error(e),
        };
        return run_suite(
            &cases,
            Target::Client(&target),
            &args.run,
            jobs,
            &expectations,
        );
    }
    let listen = match serve::resolve(&args.listen) {
        Ok(a) => a,
        Err(e) => return setup_error(e),
    };
    if listen.port() != 0 && jobs > 1 {
        return setup_error("--jobs above 1 needs a --listen address with port 0");
    }
    let cmd = match target_spawn::peer_command(&args.command) {
        Ok(c) => c,
        Err(e) => return setup_error(e),
    };
    let stdin = args.stdin.as_deref().map(unescape);
    // The client's start-up gets one timeout to connect; the case another.
    let target = match SpawnedClients::new(listen, cmd, timeout, stdin) {
        Ok(t) => t.with_revocation_policy(revocation_policy(args.revocation)),
        Err(e) => return setup_error(e),
    };
    run_suite(
        &cases,
        Target::Client(&target),
        &args.run,
        jobs,
        &expectations,
    )
}
