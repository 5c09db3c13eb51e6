//! Gauntlet's reference TLS 1.2 engine: sans-IO, deterministic (randomness
//! and time are injected), strict on every byte the peer sends.
//!
//! Bytes and `now` go in (`Connection::read_tls`, `process`); bytes, events
//! and transcript steps come out (`write_tls`, `poll_event`, `transcript`).
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used)]

pub mod codec;
pub mod config;
mod conn;
pub mod crypto;
pub mod enums;
pub mod error;
pub mod msgs;
mod pair;
pub mod pki;
pub mod provider;
pub mod record;
mod state;
pub mod transcript;

pub use config::{ClientConfig, ServerConfig, Session, SessionCache};
pub use conn::{
    Connection, Event, HandshakeSummary, Side, MAX_QUEUED_EVENTS, MAX_QUEUED_EVENT_BYTES,
};
pub use error::{CertificateError, Error, InvalidMessage, OcspError, PeerMisbehaved};
pub use pair::Pair;
pub use provider::{Provider, UnixTime};
