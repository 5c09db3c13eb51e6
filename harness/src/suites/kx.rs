//! The suite under another key exchange: `--kx ecdhe` runs every case whose
//! subject is not the RSA key exchange itself with ECDHE_RSA instead
//! (TLS_RSA_WITH_AES_128_GCM_SHA256 becomes
//! TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, and AES-256 likewise), so records,
//! alerts, ChangeCipherSpec, Finished, fragmentation, versions, extensions
//! and message-order families also test a target's ECDHE path. Names and
//! expectations stay the case's own: the rule a case checks does not depend
//! on the key exchange.
//!
//! Left out, because the RSA key exchange is what they test or their
//! expectation depends on it:
//! - `RsaKx-*`, `ClientKeyExchange-*` (RFC 5246 §7.4.7.1's encrypted
//!   premaster), and any case with a premaster knob or that stops after
//!   ClientKeyExchange (the ROBOT shapes);
//! - cases that truncate ClientKeyExchange or flip a bit in it (its ECDHE
//!   form is a point, RFC 8422 §5.7: a truncation may leave a shorter point
//!   whole, a flipped bit is an invalid point, illegal_parameter, where the
//!   RSA form gives a random premaster); a wrong type, a wrong length field,
//!   trailing bytes, a repeat or a skip mean the same in both;
//! - client-role cases that serve another chain and expect success: our
//!   ServerKeyExchange is signed by the built-in leaf's key;
//! - client-role cases whose scripted server sends a ServerKeyExchange in an
//!   RSA suite (RFC 5246 §7.4.3), which under ECDHE is not a misbehaviour;
//! - cases that insert a handshake message of a type the ECDHE flight has
//!   at that point (ServerKeyExchange, type 12), named `*-Type12-*` or
//!   `*ServerKeyExchange*`.
//!
//! `Ecdhe-*` cases are ECDHE already and run as they are.

use crate::case::{Expect, Script, TestCase};
use crate::peer::{HsMsg, Mutation};
use gauntlet_engine::enums::CipherSuite;

/// The key exchange a run uses for the cases that allow a choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyExchange {
    /// The cases as written (RSA, and ECDHE in the `Ecdhe-` families).
    #[default]
    Rsa,
    /// ECDHE_RSA wherever the case does not test the RSA key exchange.
    Ecdhe,
}

/// The ECDHE_RSA suite with the same AEAD and PRF hash as `suite`.
fn ecdhe_twin(suite: u16) -> u16 {
    match CipherSuite(suite) {
        CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256 => {
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.0
        }
        CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384 => {
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384.0
        }
        _ => suite,
    }
}

fn names_rsa_kx(name: &str) -> bool {
    name.starts_with("RsaKx-")
        || name.starts_with("ClientKeyExchange-")
        || name.contains("ServerKeyExchange")
        || name.contains("-Type12-")
}

/// `case` under `kx`, or `None` if it does not mean the same there.
pub fn under(case: &TestCase, kx: KeyExchange) -> Option<TestCase> {
    if kx == KeyExchange::Rsa || case.name.starts_with("Ecdhe-") {
        return Some(case.clone());
    }
    if names_rsa_kx(&case.name) {
        return None;
    }
    let mut out = case.clone();
    match &mut out.script {
        Script::Client(c) => {
            let b = &mut c.bugs;
            if b.premaster.is_some()
                || b.stop_after_client_key_exchange
                || b.mutations.iter().any(|(m, how)| {
                    *m == HsMsg::ClientKeyExchange
                        && matches!(how, Mutation::Truncate(_) | Mutation::FlipBit(_))
                })
            {
                return None;
            }
            c.suite = CipherSuite(ecdhe_twin(c.suite.0));
            if let Some(list) = &mut b.cipher_suites {
                for s in list.iter_mut() {
                    *s = ecdhe_twin(*s);
                }
            }
        }
        Script::Server(s) => {
            // Another chain's leaf is not the key that signs our
            // ServerKeyExchange: such a case can only test a refusal.
            let other_leaf_accepted =
                s.bugs.chain.is_some() && matches!(case.expect, Expect::Success | Expect::Resumed);
            if s.bugs.server_key_exchange || s.signer.is_none() || other_leaf_accepted {
                return None;
            }
            s.suite = CipherSuite(ecdhe_twin(s.suite.0));
            if let Some(forced) = &mut s.bugs.cipher_suite {
                *forced = ecdhe_twin(*forced);
            }
        }
    }
    Some(out)
}

/// `cases` under `kx`: the ones that apply, in order.
pub fn all_under(cases: Vec<TestCase>, kx: KeyExchange) -> Vec<TestCase> {
    cases.iter().filter_map(|c| under(c, kx)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suites;
    use gauntlet_engine::Side;

    #[test]
    fn rsa_keeps_every_case_and_ecdhe_moves_the_rest_to_ecdhe_rsa() {
        let all = suites::all();
        assert_eq!(all_under(all.clone(), KeyExchange::Rsa).len(), all.len());
        let ecdhe = all_under(all.clone(), KeyExchange::Ecdhe);
        assert!(
            ecdhe.len() * 10 > all.len() * 9,
            "{} of {}",
            ecdhe.len(),
            all.len()
        );
        for c in &ecdhe {
            let suite = match &c.script {
                Script::Client(s) => s.suite,
                Script::Server(s) => s.suite,
            };
            let params = gauntlet_engine::crypto::SuiteParams::for_suite(suite);
            assert!(
                params.is_none_or(|p| p.kx == gauntlet_engine::crypto::KeyExchange::Ecdhe),
                "{} still uses {suite:?}",
                c.name
            );
        }
        for name in ["RsaKx-", "ClientKeyExchange-"] {
            assert!(ecdhe.iter().all(|c| !c.name.starts_with(name)));
        }
        assert!(ecdhe.iter().any(|c| c.side == Side::Client));
    }
}
