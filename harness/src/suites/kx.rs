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
//!   premaster), `Certificate-Client-server-without-keyencipherment` (the
//!   leaf's keyUsage for RSA key exchange, §7.4.2), and any case with a premaster knob or that stops after
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
        // keyEncipherment is what the RSA key exchange needs of the leaf
        // (RFC 5246 §7.4.2); ECDHE_RSA needs digitalSignature, which it has.
        || name == "Certificate-Client-server-without-keyencipherment"
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
            if let Some(exts) = &mut b.extensions {
                add_ecdhe_offer(exts);
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

/// An explicit ClientHello extension list was written for the RSA key
/// exchange: under ECDHE it also gets what a correct ECDHE client sends,
/// supported_groups and ec_point_formats (RFC 8422 §5.1.1, §5.1.2), unless
/// it has them. They go just before signature_algorithms (else at the
/// end), so an extension the case puts first or last stays there. Without
/// them a server may refuse ECDHE (RFC 8422 §4 lets it pick any group, and
/// rustls refuses): the case would test a missing supported_groups, not
/// its own subject.
fn add_ecdhe_offer(exts: &mut Vec<(u16, Vec<u8>)>) {
    use gauntlet_engine::enums::ExtensionType as E;
    // The bodies are the ones the peer's correct ECDHE client sends: one
    // encoding of each, in peer::client.
    let correct = crate::peer::client::ClientScript {
        suite: CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ..crate::peer::client::ClientScript::default()
    }
    .default_extensions();
    let add: Vec<(u16, Vec<u8>)> = [E::SupportedGroups, E::EcPointFormats]
        .into_iter()
        .filter(|t| !exts.iter().any(|(x, _)| *x == t.0))
        .filter_map(|t| correct.iter().find(|(x, _)| *x == t.0).cloned())
        .collect();
    let at = exts
        .iter()
        .position(|(t, _)| *t == E::SignatureAlgorithms.0)
        .unwrap_or(exts.len());
    exts.splice(at..at, add);
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

    #[test]
    fn explicit_extension_lists_get_the_ecdhe_offer_before_signature_algorithms() {
        use crate::peer::client::ClientScript;
        let all = suites::all();
        let rsa = all
            .iter()
            .find(|c| c.name == "Extension-Server-UnknownGreaseEmpty-Position0")
            .unwrap();
        let ecdhe = under(rsa, KeyExchange::Ecdhe).unwrap();
        let exts = |c: &TestCase| match &c.script {
            Script::Client(s) => s.bugs.extensions.clone().unwrap(),
            Script::Server(_) => unreachable!(),
        };
        let types = |c: &TestCase| exts(c).iter().map(|(t, _)| *t).collect::<Vec<_>>();
        // The case's unknown extension stays first; groups (10) and point
        // formats (11) come right before signature_algorithms (13).
        let (before, after) = (types(rsa), types(&ecdhe));
        assert_eq!(before.first(), Some(&0x3a3a));
        assert_eq!(after.first(), Some(&0x3a3a));
        let sig = after.iter().position(|t| *t == 13).unwrap();
        assert_eq!(after.get(sig - 2..sig), Some(&[10, 11][..]));
        assert_eq!(after.len(), before.len() + 2);
        // The bodies are a correct client's.
        let correct = ClientScript {
            suite: CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            ..ClientScript::default()
        }
        .default_extensions();
        for t in [10, 11] {
            let body = |l: &[(u16, Vec<u8>)]| l.iter().find(|(x, _)| *x == t).cloned();
            assert_eq!(body(&exts(&ecdhe)), body(&correct));
        }
        // A list that has them keeps its own.
        let mut own = vec![(10, vec![0, 2, 0, 29]), (13, vec![])];
        add_ecdhe_offer(&mut own);
        assert_eq!(
            own,
            vec![(10, vec![0, 2, 0, 29]), (11, vec![1, 0]), (13, vec![])]
        );
    }
}
