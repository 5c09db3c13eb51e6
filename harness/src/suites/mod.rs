//! The conformance suite: one file per topic, each a function appending its
//! cases. Families (every message × every mutation) come from loops.

mod basic;
mod ccs;
mod certificates;
mod client_hello;
mod client_role;
mod messages;
mod records;
mod renegotiation;
pub mod rsa_kx;

use crate::case::TestCase;
use gauntlet_engine::enums::{AlertDescription, CipherSuite};

/// Every case, in a stable order.
pub fn all() -> Vec<TestCase> {
    let mut cases = Vec::new();
    basic::cases(&mut cases);
    messages::cases(&mut cases);
    client_role::cases(&mut cases);
    certificates::cases(&mut cases);
    ccs::cases(&mut cases);
    records::cases(&mut cases);
    client_hello::cases(&mut cases);
    rsa_kx::cases(&mut cases);
    renegotiation::cases(&mut cases);
    cases
}

/// The two suites every family is run with where the suite matters.
pub(crate) const SUITES: [(CipherSuite, &str); 2] = [
    (CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256, "AES128"),
    (CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384, "AES256"),
];

/// Shorthand for an expected alert set.
pub(crate) fn alert(set: &[AlertDescription]) -> crate::case::Expect {
    crate::case::Expect::Alert(set.to_vec())
}
