//! Shared helpers for the engine's own tests: the test PKI, configs and
//! `Pair` set-up. (Tests that need a misbehaving scripted peer live with
//! the peer, in harness/tests/engine_*.rs.)
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use gauntlet_engine::config::PkiVerifier;
use gauntlet_engine::crypto::rsa_kx::private_key_from_pem;
use gauntlet_engine::enums::{CipherSuite, ContentType, ProtocolVersion};
use gauntlet_engine::record::OpaqueRecord;
use gauntlet_engine::{
    ClientConfig, Connection, Event, Pair, Provider, ServerConfig, Session, UnixTime,
};
use std::sync::Arc;

/// The test PKI's validation time (vectors/pki/README.md): 2027-01-01.
pub const NOW: UnixTime = UnixTime(1_798_761_600);

pub const AES128: CipherSuite = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;
pub const AES256: CipherSuite = CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384;

pub fn pki(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../vectors/pki/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("vectors/pki/{name}: {e}"))
}

pub fn private_key(name: &str) -> rsa::PrivateKey {
    private_key_from_pem(&String::from_utf8(pki(name)).unwrap()).unwrap()
}

/// `leaf.key`, parsed once per process (parsing checks the key: slow-ish).
pub fn leaf_key() -> Arc<rsa::PrivateKey> {
    static KEY: std::sync::OnceLock<Arc<rsa::PrivateKey>> = std::sync::OnceLock::new();
    KEY.get_or_init(|| Arc::new(private_key("leaf.key")))
        .clone()
}

pub fn leaf_chain() -> Vec<Vec<u8>> {
    vec![pki("leaf.der"), pki("int.der")]
}

pub fn server_config() -> ServerConfig {
    ServerConfig::new(leaf_chain(), leaf_key())
}

pub fn client_config() -> ClientConfig {
    ClientConfig::new(Arc::new(
        PkiVerifier::new(&[pki("root.der")], vec![]).unwrap(),
    ))
}

pub fn client(config: ClientConfig, seed: u8, resume: Option<Session>) -> Connection {
    Connection::client(
        Arc::new(config),
        "localhost",
        Provider::from_seed([seed; 32]),
        resume,
    )
    .unwrap()
}

pub fn server(config: Arc<ServerConfig>, seed: u8) -> Connection {
    Connection::server(config, Provider::from_seed([seed; 32]))
}

/// A client (seed `seed`) and a server (seed `seed + 100`).
pub fn pair(client_cfg: ClientConfig, server_cfg: Arc<ServerConfig>, seed: u8) -> Pair {
    Pair::new(
        client(client_cfg, seed, None),
        server(server_cfg, seed.wrapping_add(100)),
        NOW,
    )
}

/// Runs a pair and asserts both sides completed without error.
pub fn complete(p: &mut Pair) {
    p.run();
    assert_eq!(p.client.error(), None, "client failed");
    assert_eq!(p.server.error(), None, "server failed");
    assert!(p.client.handshake().is_some(), "client did not complete");
    assert!(p.server.handshake().is_some(), "server did not complete");
}

/// Everything `conn` wants to write.
pub fn drain(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    conn.write_tls(&mut out);
    out
}

pub fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

/// Splits wire bytes into records (headers as sent, payloads opaque).
pub fn records(mut bytes: &[u8]) -> Vec<OpaqueRecord> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        assert!(bytes.len() >= 5, "truncated record header");
        let len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        out.push(OpaqueRecord {
            typ: ContentType(bytes[0]),
            version: ProtocolVersion(u16::from_be_bytes([bytes[1], bytes[2]])),
            payload: bytes[5..5 + len].to_vec(),
        });
        bytes = &bytes[5 + len..];
    }
    out
}

/// Our server with `chain`'s certificates and key; our client trusting its
/// root with its CRLs and revocation policy, connecting to `host`.
pub fn run_chain(c: &serde_json::Value, host: &str) -> (Connection, Connection) {
    let strs = |v: &serde_json::Value| -> Vec<Vec<u8>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| pki(s.as_str().unwrap()))
            .collect()
    };
    let leaf = c["leaf"].as_str().unwrap();
    let mut chain = vec![pki(leaf)];
    chain.extend(strs(&c["intermediates"]));
    // A leaf whose key is not RSA (DSA, P-192: refused by the client at
    // Certificate, before any key is used) is served with leaf.key.
    let key = private_key_from_pem(&String::from_utf8(pki(&leaf.replace(".der", ".key"))).unwrap())
        .unwrap_or_else(|_| private_key("leaf.key"));
    let srv_cfg = ServerConfig::new(chain, Arc::new(key));
    let mut verifier =
        PkiVerifier::new(&[pki(c["root"].as_str().unwrap())], strs(&c["crls"])).unwrap();
    if c["revocation"] == "requireCrl" {
        verifier.revocation = gauntlet_engine::pki::RevocationPolicy::RequireStatus;
    }
    let cli_cfg = ClientConfig::new(Arc::new(verifier));
    let cli =
        Connection::client(Arc::new(cli_cfg), host, Provider::from_seed([8; 32]), None).unwrap();
    let srv = server(Arc::new(srv_cfg), 9);
    let mut p = Pair::new(cli, srv, NOW);
    p.run();
    (p.client, p.server)
}
