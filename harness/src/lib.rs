//! Gauntlet's harness: vectors, scripted peers, conformance cases, targets
//! and the runner behind the `gauntlet` command.
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used)]

pub mod builtin;
pub mod process;
pub mod serve;
pub mod tcp;
pub mod vectors;
