//! Full and abbreviated handshakes between our client and server in memory.

use gauntlet_engine::config::PkiVerifier;
use gauntlet_engine::crypto::rsa_kx::private_key_from_pem;
use gauntlet_engine::enums::CipherSuite;
use gauntlet_engine::{ClientConfig, Connection, Event, Pair, Provider, ServerConfig, UnixTime};
use std::sync::Arc;

const T: UnixTime = UnixTime(1_798_761_600); // 2027-01-01, inside the test PKI's validity

fn pki(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../vectors/pki/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn server_config() -> ServerConfig {
    let key = private_key_from_pem(&String::from_utf8(pki("leaf.key")).unwrap()).unwrap();
    ServerConfig::new(vec![pki("leaf.der"), pki("int.der")], Arc::new(key))
}

fn client_config() -> ClientConfig {
    ClientConfig::new(Arc::new(
        PkiVerifier::new(&[pki("root.der")], vec![]).unwrap(),
    ))
}

fn pair(client: ClientConfig, server: Arc<ServerConfig>, seed: u8) -> Pair {
    let c = Connection::client(
        Arc::new(client),
        "localhost",
        Provider::from_seed([seed; 32]),
        None,
    )
    .unwrap();
    let s = Connection::server(server, Provider::from_seed([seed + 1; 32]));
    Pair::new(c, s, T)
}

#[test]
fn completes_a_full_handshake_and_exchanges_data() {
    let mut p = pair(client_config(), Arc::new(server_config()), 1);
    p.run();
    assert!(p.client.error().is_none(), "{:?}", p.client.error());
    assert!(p.server.error().is_none(), "{:?}", p.server.error());
    let hs = p.client.handshake().unwrap();
    assert_eq!(hs.suite, CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256);
    assert!(hs.extended_master_secret);
    p.client.send(b"ping").unwrap();
    p.run();
    assert!(p
        .server_events
        .contains(&Event::ApplicationData(b"ping".to_vec())));
}
