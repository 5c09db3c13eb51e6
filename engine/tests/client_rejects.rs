//! Our client against our server presenting each failing chain of the
//! test PKI (the tests against a misbehaving scripted server live with the
//! peer, in harness/tests/engine_client_rejects.rs). Each test names the
//! RFC clause and the alert the client must send.

mod common;

use common::*;
use gauntlet_engine::{CertificateError, Error};

/// The manifest's name for a `CertificateError` variant.
fn variant(e: &CertificateError) -> String {
    let dbg = format!("{e:?}");
    dbg.split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

// RFC 5246 §7.4.2/§7.2.2 and RFC 5280 §6: our server presents each chain
// of vectors/pki/manifest.json (with the leaf's own key) to our client; a
// chain that fails validation fails the handshake with the alert that
// `Error::alert` maps the expected CertificateError to, and the good ones
// complete.
#[test]
fn client_rejects_each_failing_test_pki_chain_with_its_alert() {
    let manifest: serde_json::Value = serde_json::from_slice(&pki("manifest.json")).unwrap();
    let mut failures = 0;
    for c in manifest["chains"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let (Some(host), "serverAuth") = (c["host"].as_str(), c["purpose"].as_str().unwrap())
        else {
            continue; // client-certificate chains
        };
        let (cli, srv) = run_chain(c, host);
        let expect = c["expect"].as_str().unwrap();
        if expect == "ok" {
            assert!(cli.handshake().is_some(), "{name}: {:?}", cli.error());
            continue;
        }
        failures += 1;
        let err = cli.error().unwrap_or_else(|| panic!("{name}: accepted"));
        let Error::InvalidCertificate(cert_err) = err else {
            panic!("{name}: {err}")
        };
        assert_eq!(variant(cert_err), expect, "{name}");
        let want = Error::InvalidCertificate(cert_err.clone()).alert().unwrap();
        // What went on the wire is that alert, and the server received it.
        assert_eq!(srv.error(), Some(&Error::AlertReceived(want)), "{name}");
    }
    assert_eq!(failures, 58);
}
