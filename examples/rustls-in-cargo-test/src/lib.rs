//! Worked example: the Gauntlet suite against rustls from `cargo test`.
//! Everything is in `tests/rustls.rs` (the adapter, about 100 lines, and the
//! two tests) and `rustls.expectations` (each deviation with its RFC clause).
#![forbid(unsafe_code)]
