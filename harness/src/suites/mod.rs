//! The conformance suite: one file per topic, each a function appending its
//! cases. Families (every message × every mutation) come from loops; the
//! `gen_*` files are the generated families, BoGo style, from tables:
//! handshake and content types in every state (`gen_types`), every message
//! truncated and extended (`gen_lengths`), fragmentation (`gen_fragments`),
//! alert matrix and floods (`gen_alerts`), extensions (`gen_extensions`),
//! versions and offers (`gen_versions`). Each case names its RFC clause and
//! follows the policy below.
//!
//! # Expectation policy
//! Every case's expected outcome follows one rule, which the topic files
//! cite as "the policy":
//! 1. Where the RFC names the alert, only that alert. A malformed message
//!    ("as for all other messages", RFC 5246 §7.4.1.2; a length outside a
//!    vector's bounds, §4.3) is decode_error; a version the peer will not
//!    use is protocol_version (Appendix E.1: MUST); a premaster that fails
//!    in any way shows only at Finished, as bad_record_mac (§7.4.7.1).
//! 2. Where the RFC leaves the reaction open, the case accepts what
//!    OpenSSL, BoringSSL and NSS send, and says so beside the case.
//! 3. A silent close conforms only where the RFC allows ending without an
//!    alert (after a fatal alert of ours, §7.2), never in place of an alert
//!    the RFC requires.
//!
//! A stack that does otherwise is listed in its expectations file with the
//! clause it departs from; the suite is not widened to fit it.

mod basic;
mod ccs;
mod certificates;
mod client_hello;
mod client_role;
mod ecdhe;
mod gen_alerts;
mod gen_extensions;
mod gen_fragments;
mod gen_lengths;
mod gen_types;
mod gen_versions;
pub mod kx;
mod messages;
mod records;
mod renegotiation;
mod revocation;
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
    revocation::cases(&mut cases);
    ccs::cases(&mut cases);
    records::cases(&mut cases);
    client_hello::cases(&mut cases);
    rsa_kx::cases(&mut cases);
    ecdhe::cases(&mut cases);
    ecdhe::client_cases(&mut cases);
    ecdhe::chacha_server_cases(&mut cases);
    ecdhe::chacha_client_cases(&mut cases);
    renegotiation::cases(&mut cases);
    gen_types::cases(&mut cases);
    gen_lengths::cases(&mut cases);
    gen_fragments::cases(&mut cases);
    gen_alerts::cases(&mut cases);
    gen_extensions::cases(&mut cases);
    gen_versions::cases(&mut cases);
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

#[cfg(test)]
mod tests {
    use super::*;
    use gauntlet_engine::Side;
    use std::collections::{BTreeMap, BTreeSet};

    // Pinned so that a family cannot lose cases with everything green: a
    // change to a family's size changes this table in the same commit.
    #[test]
    fn every_family_keeps_its_case_count() {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for case in all() {
            let family: Vec<&str> = case.name.splitn(3, '-').take(2).collect();
            *counts.entry(family.join("-")).or_default() += 1;
        }
        let expected: BTreeMap<String, usize> = [
            ("Alert-Server", 6),
            ("AlertMatrix-Server", 512),
            ("ApplicationData-Server", 3),
            ("Basic-Client", 4),
            ("Basic-Server", 4),
            ("Certificate-Client", 29),
            ("ChangeCipherSpec-Client", 3),
            ("ChangeCipherSpec-Server", 32),
            ("ClientHello-Server", 101),
            ("ClientKeyExchange-Server", 26),
            ("ContentType-Server", 285),
            ("Ecdhe-Client", 79),
            ("Ecdhe-Server", 241),
            ("Extension-Client", 33),
            ("Extension-Server", 40),
            ("Finished-Client", 5),
            ("Finished-Server", 24),
            ("Flood-Server", 32),
            ("Fragment-Client", 64),
            ("Fragment-Server", 68),
            ("FragmentEveryByte-Server", 4),
            ("FragmentMedium-Server", 4),
            ("FragmentSmall-Server", 4),
            ("HandshakeType-Client", 563),
            ("HandshakeType-Server", 537),
            ("Length-Client", 150),
            ("Length-Server", 363),
            ("RandomExplicitNonce-Server", 4),
            ("Record-Client", 4),
            ("Record-Server", 40),
            ("Renegotiation-Client", 2),
            ("Renegotiation-Server", 7),
            ("Resume-Server", 4),
            ("Revocation-Client", 68),
            ("RsaKx-Server", 53),
            ("SeparateWrites-Server", 4),
            ("ServerHello-Client", 21),
            ("ServerHelloDone-Client", 3),
            ("ServerKeyExchange-Client", 1),
            ("Versions-Client", 38),
            ("Versions-Server", 144),
            ("ZeroLengthAppData-Server", 2),
        ]
        .into_iter()
        .map(|(f, n)| (f.to_string(), n))
        .collect();
        assert_eq!(counts, expected);
        let server = all().iter().filter(|c| c.side == Side::Server).count();
        assert_eq!((server, all().len() - server), (2544, 1067));
    }

    #[test]
    fn case_names_are_unique_and_name_their_side_and_clause() {
        let cases = all();
        let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names.len(), cases.len(), "duplicate case names");
        for c in &cases {
            let side = match c.side {
                Side::Server => "-Server",
                Side::Client => "-Client",
            };
            assert!(c.name.contains(side), "{} does not name its side", c.name);
            assert!(c.rfc.contains("RFC"), "{} cites no RFC clause", c.name);
        }
    }
}
