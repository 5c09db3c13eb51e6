//! Gauntlet's reference TLS 1.2 engine: sans-IO, deterministic (randomness
//! and time are injected), strict on every byte the peer sends.
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used)]

pub mod codec;
pub mod crypto;
pub mod enums;
pub mod error;
pub mod msgs;
pub mod pki;
pub mod provider;
pub mod record;
pub mod transcript;
