//! Gauntlet's harness: vectors, scripted peers, conformance cases, fuzz-target
//! logic, targets and the runner behind the `gauntlet` command — and the
//! same suite as a library, to test a TLS 1.2 stack from its own
//! `cargo test` ([`api`], re-exported here).
//!
//! # Test your TLS stack in `cargo test`
//!
//! Implement [`TlsTarget`] for your stack: each connection is a sans-IO
//! [`Session`] (TLS bytes in, TLS bytes out, plaintext, close_notify). Pick
//! families, give your expectations (deviations, each with its reason; an
//! unexpected pass fails), run, assert. Everything runs in memory: no
//! network, no processes, and the scripted peer is seeded per case.
//!
//! This example runs two families against Gauntlet's own reference engine
//! ([`Reference`], which passes every case) in both roles:
//!
//! ```
//! use gauntlet_harness::{Reference, Suite};
//!
//! let mut stack = Reference::new()?;
//! let suite = Suite::new()
//!     .families(&["Basic", "Finished"])
//!     .expectations_str("# CASE-OR-GLOB  what the stack does and the RFC clause it departs from\n");
//! let server = suite.run_server(&mut stack)?;
//! server.assert_all_expected();
//! assert_eq!(server.summary().pass, server.results.len());
//! suite.run_client(&mut stack)?.assert_all_expected();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! In your own tests (this block is the README's snippet, checked equal to
//! it by `harness/tests/readme.rs`; `MyStack` is your [`TlsTarget`], here
//! the reference engine on the `Basic` cases):
//!
//! ```
//! # type MyStack = gauntlet_harness::Reference;
//! use gauntlet_harness::{KeyExchange, Suite, TlsTarget};
//!
//! /// Every family against `stack`, in both roles.
//! fn gauntlet(stack: &mut impl TlsTarget, expectations: &str) {
//!     let suite = Suite::new()
//!         .key_exchange(KeyExchange::Ecdhe) // for a stack without RSA key exchange
//!         .expectations_str(expectations);
//! #   let suite = suite.families(&["Basic"]);
//!     suite.run_server(stack).unwrap().assert_all_expected();
//!     suite.run_client(stack).unwrap().assert_all_expected();
//! }
//!
//! #[test]
//! fn my_stack_conforms() {
//!     gauntlet(&mut MyStack::new(), include_str!("my_stack.expectations"));
//! }
//! # gauntlet(&mut MyStack::new()?, "");
//! # Ok::<(), String>(())
//! ```
//!
//! A real stack implements the two traits over its connection type; the
//! workspace's `examples/rustls-in-cargo-test` does it for rustls in about
//! 80 lines, with an expectations file naming each deviation and its RFC
//! clause. [`Report::assert_all_expected`] panics with every case that is
//! not as expected, its RFC clause, what came and a command that re-runs
//! it alone (`GAUNTLET_FILTER='<case>' cargo test ...`).
//!
//! The families and their sizes: [`families`]. Stacks without RSA key
//! exchange (rustls, for one) run with
//! [`Suite::key_exchange`]`(`[`KeyExchange::Ecdhe`]`)`.
#![forbid(unsafe_code)]
// The README snippet in the crate docs shows the `#[test]` a user writes;
// rustdoc compiles it and runs the `gauntlet` helper it calls.
#![allow(clippy::test_attr_in_doctest)]
#![warn(clippy::unwrap_used)]

pub mod api;
pub mod builtin;
pub mod ca;
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
pub mod revocation;
pub mod runner;
pub mod serve;
pub mod suites;
pub mod target;
pub mod target_spawn;
pub mod tcp;
pub mod timing;
pub mod vectors;

pub use api::{
    families, pki, Family, KeyExchange, Reference, Report, Session, Suite, SuiteError, TlsTarget,
};
