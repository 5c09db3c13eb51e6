//! Every handshake message the client sends, truncated at each length
//! class, with trailing data, with the wrong type, with a wrong length
//! field, sent twice and skipped (RFC 5246 §7.4, §7.4.1.4 strictness).

use super::{alert, SUITES};
use crate::case::TestCase;
use crate::peer::client::{ClientBugs, ClientScript};
use crate::peer::{HsMsg, Mutation};
use gauntlet_engine::enums::AlertDescription as A;

/// (mutation, label, expected alerts) for one message.
type Row = (Mutation, String, Vec<A>);

fn client_hello_rows() -> Vec<Row> {
    // Our ClientHello body: version 2, random 32, session_id 1 (empty),
    // cipher_suites 2+2, compression 1+1, then the extensions block at 41.
    let mut rows: Vec<Row> = [0usize, 1, 20, 34, 36, 38, 40, 43, 50]
        .into_iter()
        .map(|n| {
            (
                Mutation::Truncate(n),
                format!("Truncated{n}"),
                vec![A::DecodeError],
            )
        })
        .collect();
    rows.push((
        Mutation::TrailingData(vec![0]),
        "TrailingByte".into(),
        vec![A::DecodeError],
    ));
    rows.push((
        Mutation::TrailingData(vec![0; 100]),
        "Trailing100".into(),
        vec![A::DecodeError],
    ));
    rows.push((
        Mutation::LengthDelta(-1),
        "LengthMinus1".into(),
        vec![A::DecodeError],
    ));
    for (t, name, set) in [
        (
            2u8,
            "ServerHello",
            vec![A::UnexpectedMessage, A::DecodeError],
        ),
        (
            16,
            "ClientKeyExchange",
            vec![A::UnexpectedMessage, A::DecodeError],
        ),
        (20, "Finished", vec![A::UnexpectedMessage, A::DecodeError]),
        (0xfe, "Unknown", vec![A::UnexpectedMessage]),
    ] {
        rows.push((Mutation::WrongType(t), format!("TypeIs{name}"), set));
    }
    rows.push((
        Mutation::SendTwice,
        "SentTwice".into(),
        vec![A::UnexpectedMessage],
    ));
    rows
}

fn client_key_exchange_rows() -> Vec<Row> {
    let mut rows: Vec<Row> = [0usize, 1, 2, 100, 257]
        .into_iter()
        .map(|n| {
            (
                Mutation::Truncate(n),
                format!("Truncated{n}"),
                vec![A::DecodeError],
            )
        })
        .collect();
    rows.push((
        Mutation::TrailingData(vec![0]),
        "TrailingByte".into(),
        vec![A::DecodeError],
    ));
    rows.push((
        Mutation::LengthDelta(-1),
        "LengthMinus1".into(),
        vec![A::DecodeError],
    ));
    rows.push((
        Mutation::LengthDelta(1),
        "LengthPlus1".into(),
        // The missing byte is taken from the next record, a CCS: the
        // handshake message is interleaved with it.
        vec![A::UnexpectedMessage, A::DecodeError],
    ));
    for (t, name, set) in [
        (
            1u8,
            "ClientHello",
            vec![A::UnexpectedMessage, A::DecodeError],
        ),
        (20, "Finished", vec![A::UnexpectedMessage]),
        (0xfe, "Unknown", vec![A::UnexpectedMessage]),
    ] {
        rows.push((Mutation::WrongType(t), format!("TypeIs{name}"), set));
    }
    rows.push((
        Mutation::SendTwice,
        "SentTwice".into(),
        vec![A::UnexpectedMessage],
    ));
    rows.push((Mutation::Skip, "Skipped".into(), vec![A::UnexpectedMessage]));
    rows
}

fn finished_rows() -> Vec<Row> {
    // RFC 5246 §7.4.9: verify_data is 12 bytes for these suites; a Finished
    // of another length is malformed, decode_error "as for all other
    // messages" (§7.4.1.2; policy rule 1), not a verify failure.
    let wrong_len = vec![A::DecodeError];
    let mut rows: Vec<Row> = [0usize, 1, 11]
        .into_iter()
        .map(|n| {
            (
                Mutation::Truncate(n),
                format!("Truncated{n}"),
                wrong_len.clone(),
            )
        })
        .collect();
    rows.push((
        Mutation::TrailingData(vec![0]),
        "TrailingByte".into(),
        wrong_len.clone(),
    ));
    rows.push((
        Mutation::LengthDelta(-1),
        "LengthMinus1".into(),
        // The header declares 11 bytes: a Finished of the wrong length.
        vec![A::DecodeError],
    ));
    for bit in [0usize, 7, 95] {
        rows.push((
            Mutation::FlipBit(bit),
            format!("VerifyDataBit{bit}"),
            vec![A::DecryptError],
        ));
    }
    for (t, name) in [
        (1u8, "ClientHello"),
        (16, "ClientKeyExchange"),
        (0xfe, "Unknown"),
    ] {
        rows.push((
            Mutation::WrongType(t),
            format!("TypeIs{name}"),
            vec![A::UnexpectedMessage, A::DecodeError],
        ));
    }
    rows.push((
        Mutation::SendTwice,
        "SentTwice".into(),
        vec![A::UnexpectedMessage],
    ));
    rows
}

pub(super) fn cases(out: &mut Vec<TestCase>) {
    let families: [(HsMsg, &str, Vec<Row>); 3] = [
        (HsMsg::ClientHello, "RFC 5246 §7.4.1.2", client_hello_rows()),
        (
            HsMsg::ClientKeyExchange,
            "RFC 5246 §7.4.7",
            client_key_exchange_rows(),
        ),
        (HsMsg::Finished, "RFC 5246 §7.4.9", finished_rows()),
    ];
    for (msg, rfc, rows) in families {
        for (mutation, label, set) in rows {
            for (suite, sname) in SUITES {
                out.push(TestCase::server(
                    format!("{}-Server-{label}-{sname}", msg.name()),
                    rfc,
                    ClientScript {
                        suite,
                        bugs: ClientBugs {
                            mutations: vec![(msg, mutation.clone())],
                            ..ClientBugs::default()
                        },
                        ..ClientScript::default()
                    },
                    alert(&set),
                ));
            }
        }
    }
}
