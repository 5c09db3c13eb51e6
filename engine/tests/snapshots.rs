//! REGRESSION SNAPSHOTS OF OUR OWN ENGINE. These `.snap` files were written
//! by this engine and reviewed by a person; they are not known-answer
//! vectors and prove nothing about correctness on their own (the behaviour
//! tests in handshake.rs, client_rejects.rs and the harness's
//! engine_server_rejects.rs and engine_client_rejects.rs do, and
//! third-party vectors live under vectors/). They pin every byte and every
//! step of the transcript, so any change to what the engine sends, accepts
//! or logs shows up as a diff to review. Deterministic: fixed seeds, fixed
//! `now` (1798761600, the test PKI's validation time); they change if
//! vectors/pki is regenerated (new keys and signatures).
//!
//! Scenarios: full handshakes (both suites, EMS on and off), a resumption,
//! close_notify from each side, each failing chain of the test PKI (client
//! side). The one scenario per alert description the engine sends needs a
//! scripted peer: harness/tests/engine_snapshots.rs.
//!
//! Update with `INSTA_UPDATE=always cargo test -p gauntlet-engine --test
//! snapshots`, then read the diff.

mod common;

use common::*;
use gauntlet_engine::enums::CipherSuite;
use gauntlet_engine::{Connection, Pair};
use std::sync::Arc;

/// Both transcripts as one YAML mapping.
fn both(p: &Pair) -> String {
    format!(
        "client:\n{}server:\n{}",
        p.client.transcript().render(),
        p.server.transcript().render()
    )
}

fn one(conn: &Connection) -> String {
    conn.transcript().render()
}

fn handshake_with(client_ems: bool, server_ems: bool, suite: CipherSuite, seed: u8) -> Pair {
    let mut c = client_config();
    c.extended_master_secret = client_ems;
    c.suites = vec![suite];
    let mut s = server_config();
    s.extended_master_secret = server_ems;
    let mut p = pair(c, Arc::new(s), seed);
    complete(&mut p);
    p.client.send(b"ping").unwrap();
    p.server.send(b"pong").unwrap();
    p.run();
    p
}

// RFC 5246 §7.3: the full handshake with each suite, EMS on; then a
// message each way.
#[test]
fn snapshot_full_handshakes() {
    insta::assert_snapshot!(
        "full_aes128_ems",
        both(&handshake_with(true, true, AES128, 1))
    );
    insta::assert_snapshot!(
        "full_aes256_ems",
        both(&handshake_with(true, true, AES256, 1))
    );
    // RFC 7627: the client does not offer EMS; the server does not accept it.
    insta::assert_snapshot!(
        "full_aes128_client_without_ems",
        both(&handshake_with(false, true, AES128, 1))
    );
    insta::assert_snapshot!(
        "full_aes128_server_without_ems",
        both(&handshake_with(true, false, AES128, 1))
    );
}

// RFC 5246 §7.3 abbreviated handshake: the second connection of a pair
// resumes the first's session.
#[test]
fn snapshot_resumption() {
    let s = Arc::new(server_config());
    let mut first = Pair::new(
        client(client_config(), 1, None),
        server(s.clone(), 101),
        NOW,
    );
    complete(&mut first);
    let session = first.client.session().cloned();
    let mut second = Pair::new(client(client_config(), 2, session), server(s, 102), NOW);
    complete(&mut second);
    assert!(second.client.handshake().unwrap().resumed);
    insta::assert_snapshot!("resumed_aes128_ems", both(&second));
}

// RFC 5246 §7.2.1: close_notify from each side, answered by the other.
#[test]
fn snapshot_close_notify() {
    for client_closes in [true, false] {
        let mut p = pair(client_config(), Arc::new(server_config()), 3);
        complete(&mut p);
        if client_closes {
            p.client.close();
        } else {
            p.server.close();
        }
        p.run();
        assert!(p.client.is_closed() && p.server.is_closed());
        let name = if client_closes {
            "close_notify_from_client"
        } else {
            "close_notify_from_server"
        };
        insta::assert_snapshot!(name, both(&p));
    }
}

// RFC 5246 §7.4.2 / §7.2.2: each failing chain of vectors/pki/manifest.json
// served by our server; the client's transcript ends with its alert
// (bad_certificate, unknown_ca, unsupported_certificate,
// certificate_expired, certificate_revoked, certificate_unknown).
#[test]
fn snapshot_certificate_failures() {
    let manifest: serde_json::Value = serde_json::from_slice(&pki("manifest.json")).unwrap();
    let mut n = 0;
    for c in manifest["chains"].as_array().unwrap() {
        let (Some(host), "serverAuth") = (c["host"].as_str(), c["purpose"].as_str().unwrap())
        else {
            continue;
        };
        if c["expect"] == "ok" {
            continue;
        }
        let (cli, _) = run_chain(c, host);
        assert!(cli.error().is_some());
        let name = format!("cert_{}", c["name"].as_str().unwrap());
        insta::assert_snapshot!(name, one(&cli));
        n += 1;
    }
    assert_eq!(n, 58);
}
