//! The `gauntlet` command line.
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used)]

use clap::{Parser, Subcommand};
use gauntlet_engine::enums::CipherSuite;
use gauntlet_harness::serve::{self, ConnectOptions, ServeMode, ServeOptions};
use gauntlet_harness::{builtin, vectors};
use std::io::{IsTerminal, Read};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

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
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Address to listen on (loopback in tests and examples).
    #[arg(long, default_value = "127.0.0.1:4433")]
    listen: String,
    /// Certificate chain, PEM (leaf first). Default: the built-in test PKI.
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// RSA private key, PEM.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "echo")]
    mode: Mode,
    /// Append an NSS key log (for Wireshark) to FILE.
    #[arg(long)]
    keylog: Option<PathBuf>,
    /// Seconds to wait for the peer at any point.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Exit after serving N connections.
    #[arg(long)]
    max_connections: Option<usize>,
    /// Disable extended_master_secret (RFC 7627).
    #[arg(long)]
    no_ems: bool,
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
    /// Offer only this suite: 009c (AES-128-GCM) or 009d (AES-256-GCM).
    #[arg(long, value_parser = parse_suite)]
    suite: Option<u16>,
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
}

fn parse_suite(s: &str) -> Result<u16, String> {
    match s.trim_start_matches("0x").to_ascii_lowercase().as_str() {
        "009c" | "9c" => Ok(0x009c),
        "009d" | "9d" => Ok(0x009d),
        _ => Err(format!("unsupported suite {s} (009c or 009d)")),
    }
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gauntlet: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let mut config = builtin::server_config(args.cert.as_deref(), args.key.as_deref())?;
    config.extended_master_secret = !args.no_ems;
    let addr = serve::resolve(&args.listen)?;
    let listener = TcpListener::bind(addr).map_err(|e| format!("{addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("gauntlet: serving TLS 1.2 on {local}");
    let opts = ServeOptions {
        mode: match args.mode {
            Mode::Echo => ServeMode::Echo,
            Mode::Http => ServeMode::Http,
        },
        timeout: secs(args.timeout, "timeout")?,
        keylog: args.keylog,
        max_connections: args.max_connections,
        ..ServeOptions::default()
    };
    serve::serve(
        listener,
        Arc::new(config),
        opts,
        Arc::new(AtomicBool::new(false)),
    )
    .map_err(|e| format!("{local}: {e}"))
}

fn connect(args: ConnectArgs) -> Result<(), String> {
    let addr = serve::resolve(&args.addr)?;
    let host = args
        .servername
        .clone()
        .unwrap_or_else(|| match args.addr.rsplit_once(':') {
            Some((h, _)) => h.trim_matches(|c| c == '[' || c == ']').to_string(),
            None => args.addr.clone(),
        });
    let mut config = builtin::client_config(args.ca.as_deref(), args.crl.as_deref())?;
    config.extended_master_secret = !args.no_ems;
    if let Some(s) = args.suite {
        config.suites = vec![CipherSuite(s)];
    }
    let mut input = Vec::new();
    if !std::io::stdin().is_terminal() {
        std::io::stdin()
            .read_to_end(&mut input)
            .map_err(|e| format!("standard input: {e}"))?;
    }
    let opts = ConnectOptions {
        server_name: host,
        timeout: secs(args.timeout, "timeout")?,
        linger: secs(args.linger, "linger")?,
        keylog: args.keylog,
    };
    let hs = serve::connect(
        addr,
        Arc::new(config),
        &opts,
        &input,
        &mut std::io::stdout().lock(),
    )?;
    eprintln!("gauntlet: {}", serve::describe(&hs));
    Ok(())
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

/// `./vectors` when run from a checkout, else the one this binary was built from.
fn default_vectors_dir() -> PathBuf {
    let here = PathBuf::from("vectors");
    if here.is_dir() {
        here
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors")
    }
}
