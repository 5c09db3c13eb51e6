//! Generated: every handshake message of both roles truncated at every
//! length of its body (the header's length rewritten to match, so only the
//! body's inner fields are short) and extended by trailing bytes.
//!
//! A message whose body ends inside a field, or whose inner lengths do not
//! add up to its length, is malformed: decode_error (RFC 5246 §7.4.1.2, "as
//! for all other messages"; §4.3 vectors; §7.2.2; the policy, rule 1). So is
//! one with bytes after its last field: the structures of §7.4 have no room
//! for them (the one exception, a ClientHello's extensions after the
//! compression methods, is itself a field: §7.4.1.2).
//!
//! Lengths: every body length for ClientHello, ClientKeyExchange,
//! ServerHello and Finished; for the server's Certificate (thousands of
//! bytes) every field boundary, one byte either side of each, and every
//! 64th length.

use super::alert;
use crate::case::TestCase;
use crate::peer::client::{ClientBugs, ClientScript};
use crate::peer::server::{ServerBugs, ServerScript};
use crate::peer::{HsMsg, Mutation};
use gauntlet_engine::enums::{AlertDescription as A, CipherSuite};
use rsa::traits::PublicKeyParts;

const ONE: CipherSuite = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;

/// Trailing runs appended to every message.
const TRAILING: [usize; 4] = [1, 2, 16, 255];

pub(super) fn cases(out: &mut Vec<TestCase>) {
    let Ok(base) = ServerScript::builtin() else {
        return;
    };
    server_role(out, &base);
    client_role(out, &base);
}

fn server_case(out: &mut Vec<TestCase>, name: String, rfc: &'static str, m: (HsMsg, Mutation)) {
    out.push(TestCase::server(
        name,
        rfc,
        ClientScript {
            suite: ONE,
            bugs: ClientBugs {
                mutations: vec![m],
                ..ClientBugs::default()
            },
            ..ClientScript::default()
        },
        alert(&[A::DecodeError]),
    ));
}

fn server_role(out: &mut Vec<TestCase>, base: &ServerScript) {
    // The scripted client's ClientHello body: version 2, random 32,
    // session_id 1, cipher_suites 2+2, compression 1+1 (41 bytes), then the
    // extensions block. Cut at 41 it is a legal hello without extensions
    // (§7.4.1.2), which ClientHello-Server-NoExtensionsBlock covers.
    let hello_len = ClientScript {
        suite: ONE,
        ..ClientScript::default()
    }
    .client_hello(&[0; 32], None)
    .len()
        - 4;
    for n in (0..hello_len).filter(|n| *n != 41) {
        server_case(
            out,
            format!("Length-Server-ClientHello-Truncated{n}"),
            "RFC 5246 §7.4.1.2, §4.3, §7.2.2 decode_error",
            (HsMsg::ClientHello, Mutation::Truncate(n)),
        );
    }
    // ClientKeyExchange: the 2-byte length, then the RSA ciphertext (as
    // long as the modulus, §7.4.7.1).
    let modulus = base
        .chain
        .first()
        .and_then(|leaf| gauntlet_engine::pki::leaf_public_key(leaf).ok())
        .map_or(256, |k| k.size());
    for n in 0..2 + modulus {
        server_case(
            out,
            format!("Length-Server-ClientKeyExchange-Truncated{n}"),
            "RFC 5246 §7.4.7.1, §4.3, §7.2.2 decode_error",
            (HsMsg::ClientKeyExchange, Mutation::Truncate(n)),
        );
    }
    // Finished: verify_data is 12 bytes for every suite here (§7.4.9).
    for n in 0..12 {
        server_case(
            out,
            format!("Length-Server-Finished-Truncated{n}"),
            "RFC 5246 §7.4.9, §7.4.1.2, §7.2.2 decode_error",
            (HsMsg::Finished, Mutation::Truncate(n)),
        );
    }
    for (msg, rfc) in [
        (HsMsg::ClientHello, "RFC 5246 §7.4.1.2, §7.2.2 decode_error"),
        (
            HsMsg::ClientKeyExchange,
            "RFC 5246 §7.4.7.1, §7.2.2 decode_error",
        ),
        (HsMsg::Finished, "RFC 5246 §7.4.9, §7.2.2 decode_error"),
    ] {
        for len in TRAILING {
            server_case(
                out,
                format!("Length-Server-{}-Trailing{len}", msg.name()),
                rfc,
                (msg, Mutation::TrailingData(vec![0; len])),
            );
        }
    }
}

fn client_role(out: &mut Vec<TestCase>, base: &ServerScript) {
    let case = |out: &mut Vec<TestCase>, name: String, rfc, m: (HsMsg, Mutation)| {
        out.push(TestCase::client(
            name,
            rfc,
            base.clone().with_bugs(ServerBugs {
                mutations: vec![m],
                ..ServerBugs::default()
            }),
            alert(&[A::DecodeError]),
        ));
    };
    // The scripted server's ServerHello body: version 2, random 32,
    // session_id 1+32, suite 2, compression 1 (70 bytes), then extensions
    // (renegotiation_info, extended_master_secret: 2+5+4). Cut at 70 it is
    // a legal ServerHello without extensions, which a client that asked for
    // secure renegotiation may refuse or accept (RFC 5746 §3.4): left out.
    let sh_len = 70 + 2 + 5 + 4;
    for n in (0..sh_len).filter(|n| *n != 70) {
        case(
            out,
            format!("Length-Client-ServerHello-Truncated{n}"),
            "RFC 5246 §7.4.1.3, §4.3, §7.2.2 decode_error",
            (HsMsg::ServerHello, Mutation::Truncate(n)),
        );
    }
    // Certificate: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>.
    let mut bounds = vec![0usize, 3];
    let mut at = 3;
    for cert in &base.chain {
        bounds.push(at + 3);
        at += 3 + cert.len();
        bounds.push(at);
    }
    let cert_len = at;
    let mut lengths: Vec<usize> = bounds
        .iter()
        .flat_map(|b| [b.saturating_sub(1), *b, b + 1])
        .chain((0..cert_len).step_by(64))
        .filter(|n| *n < cert_len)
        .collect();
    lengths.sort_unstable();
    lengths.dedup();
    for n in lengths {
        case(
            out,
            format!("Length-Client-Certificate-Truncated{n}"),
            "RFC 5246 §7.4.2, §4.3, §7.2.2 decode_error",
            (HsMsg::Certificate, Mutation::Truncate(n)),
        );
    }
    for n in 0..12 {
        case(
            out,
            format!("Length-Client-Finished-Truncated{n}"),
            "RFC 5246 §7.4.9, §7.4.1.2, §7.2.2 decode_error",
            (HsMsg::Finished, Mutation::Truncate(n)),
        );
    }
    for (msg, rfc) in [
        (HsMsg::ServerHello, "RFC 5246 §7.4.1.3, §7.2.2 decode_error"),
        (HsMsg::Certificate, "RFC 5246 §7.4.2, §7.2.2 decode_error"),
        (
            HsMsg::ServerHelloDone,
            "RFC 5246 §7.4.5 (struct { } ServerHelloDone), §7.2.2 decode_error",
        ),
        (HsMsg::Finished, "RFC 5246 §7.4.9, §7.2.2 decode_error"),
    ] {
        for len in TRAILING {
            case(
                out,
                format!("Length-Client-{}-Trailing{len}", msg.name()),
                rfc,
                (msg, Mutation::TrailingData(vec![0; len])),
            );
        }
    }
}
