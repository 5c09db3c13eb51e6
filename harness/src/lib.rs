//! Gauntlet's harness: vectors, scripted peers, conformance cases, fuzz-target
//! logic, targets and the runner behind the `gauntlet` command.
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used)]

pub mod builtin;
pub mod capture;
pub mod case;
pub mod expectations;
pub mod fuzzing;
pub mod html;
pub mod matrix;
pub mod pcap;
pub mod peer;
pub mod process;
pub mod report;
pub mod runner;
pub mod serve;
pub mod suites;
pub mod target;
pub mod target_spawn;
pub mod tcp;
pub mod timing;
pub mod vectors;
