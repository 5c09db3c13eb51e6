//! The `gauntlet` command line.
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used)]

use clap::{Parser, Subcommand};
use gauntlet_harness::vectors;
use std::path::PathBuf;
use std::process::ExitCode;

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
    match cli.command {
        Command::Vectors {
            command: VectorsCommand::Verify { dir },
        } => verify(dir),
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

/// `./vectors` when run from a checkout, else the one this binary was built from.
fn default_vectors_dir() -> PathBuf {
    let here = PathBuf::from("vectors");
    if here.is_dir() {
        here
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors")
    }
}
