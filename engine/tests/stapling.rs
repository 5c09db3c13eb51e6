//! OCSP stapling (RFC 6066 §8) between our client and our server, with the
//! responses of vectors/ocsp.json (made by Python `cryptography`'s
//! OCSPResponseBuilder for the validation time 2027-01-01, see
//! vectors/gen/gen_ocsp.py): the client offers status_request, the server
//! answers with CertificateStatus after Certificate, and the client judges
//! the chain with the staple under its revocation policy.

mod common;

use common::*;
use gauntlet_engine::config::PkiVerifier;
use gauntlet_engine::enums::AlertDescription;
use gauntlet_engine::error::OcspError;
use gauntlet_engine::pki::RevocationPolicy;
use gauntlet_engine::{CertificateError, ClientConfig, Error, Pair, ServerConfig};
use std::sync::Arc;

/// The response of case `id` in vectors/ocsp.json.
fn staple(id: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(format!(
        "{}/../vectors/ocsp.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let case = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id}"));
    hex::decode(case["response"].as_str().unwrap()).unwrap()
}

/// Our server for `leaf` (under the test intermediate), stapling `staple`.
fn stapling_server(leaf: &str, staple: Option<Vec<u8>>) -> Arc<ServerConfig> {
    let mut cfg = ServerConfig::new(
        vec![pki(&format!("{leaf}.der")), pki("int.der")],
        Arc::new(private_key(&format!("{leaf}.key"))),
    );
    cfg.ocsp_staple = staple;
    Arc::new(cfg)
}

/// Our client, trusting the test root, asking for a staple if `ask`, with
/// `crls` and `policy`.
fn asking_client(ask: bool, crls: Vec<Vec<u8>>, policy: RevocationPolicy) -> ClientConfig {
    let mut verifier = PkiVerifier::new(&[pki("root.der")], crls).unwrap();
    verifier.revocation = policy;
    let mut cfg = ClientConfig::new(Arc::new(verifier));
    cfg.ocsp_stapling = ask;
    cfg
}

fn run(client: ClientConfig, server: Arc<ServerConfig>) -> Pair {
    let mut p = pair(client, server, 61);
    p.run();
    p
}

/// The client's error, and the alert the server received.
fn refusal(p: &Pair) -> (Option<Error>, Option<AlertDescription>) {
    let alert = match p.server.error() {
        Some(Error::AlertReceived(a)) => Some(*a),
        _ => None,
    };
    (p.client.error().cloned(), alert)
}

fn bad_status(e: OcspError) -> Option<Error> {
    Some(Error::InvalidCertificate(
        CertificateError::BadStatusResponse(Box::new(e)),
    ))
}

const SOFT: RevocationPolicy = RevocationPolicy::CheckIfPresent;
const HARD: RevocationPolicy = RevocationPolicy::RequireStatus;

#[test]
fn completes_with_a_good_staple() {
    let mut p = pair(
        asking_client(true, vec![], SOFT),
        stapling_server("leaf", Some(staple("py-good"))),
        61,
    );
    complete(&mut p);
    let seen = p.client.transcript().render();
    assert!(seen.contains("CertificateStatus"), "{seen}");
}

// RFC 6066 §8 / RFC 6960 §2.2: a stapled "revoked" ends the handshake with
// certificate_revoked, under soft-fail too.
#[test]
fn refuses_revoked_staple_with_certificate_revoked() {
    let p = run(
        asking_client(true, vec![], SOFT),
        stapling_server("leaf-revoked", Some(staple("py-revoked-with-reason"))),
    );
    assert_eq!(
        refusal(&p),
        (
            Some(Error::InvalidCertificate(CertificateError::Revoked)),
            Some(AlertDescription::CertificateRevoked)
        )
    );
}

// RFC 6066 §8: "abort the handshake if the response is not satisfactory
// with bad_certificate_status_response(113)".
#[test]
fn refuses_unsatisfactory_staples_with_bad_certificate_status_response() {
    for (id, error) in [
        ("py-certid-for-another-cert", OcspError::NoMatchingResponse),
        ("py-expired", OcspError::Expired),
        ("py-not-yet-valid", OcspError::NotYetValid),
        ("py-wrong-key", OcspError::BadSignature),
        ("py-status-try-later", OcspError::ResponderStatus(3)),
    ] {
        let p = run(
            asking_client(true, vec![], SOFT),
            stapling_server("leaf", Some(staple(id))),
        );
        assert_eq!(
            refusal(&p),
            (
                bad_status(error),
                Some(AlertDescription::BadCertificateStatusResponse)
            ),
            "{id}"
        );
    }
    let p = run(
        asking_client(true, vec![], SOFT),
        stapling_server("leaf", Some(staple("py-truncated"))),
    );
    assert!(
        matches!(
            p.client.error(),
            Some(Error::InvalidCertificate(CertificateError::BadStatusResponse(e)))
                if matches!(**e, OcspError::Malformed(_))
        ),
        "{:?}",
        p.client.error()
    );
}

// RFC 6066 §8: the server sends CertificateStatus only to a client that
// asked; a client that did not ask takes no status_request in ServerHello
// (it would refuse it as unsolicited, RFC 5246 §7.4.1.4).
#[test]
fn server_staples_only_when_asked() {
    let mut p = pair(
        asking_client(false, vec![], SOFT),
        stapling_server("leaf-revoked", Some(staple("py-revoked-with-reason"))),
        61,
    );
    complete(&mut p);
}

// RFC 6066 §8: "a server MAY also choose not to send a CertificateStatus
// message" after acknowledging; without our staple the server does not
// acknowledge, and the soft-fail client completes.
#[test]
fn soft_fail_completes_without_a_staple() {
    let mut p = pair(
        asking_client(true, vec![], SOFT),
        stapling_server("leaf", None),
        61,
    );
    complete(&mut p);
}

// Hard-fail: every certificate needs a status. The root's CRL covers the
// intermediate; the leaf's status comes from the staple or nowhere.
#[test]
fn hard_fail_needs_a_good_status_for_every_certificate() {
    let root_crl = || vec![pki("root-crl.der")];
    let mut p = pair(
        asking_client(true, root_crl(), HARD),
        stapling_server("leaf", Some(staple("py-good"))),
        61,
    );
    complete(&mut p);

    let unknown = Some(Error::InvalidCertificate(
        CertificateError::RevocationStatusUnknown,
    ));
    let p = run(
        asking_client(true, root_crl(), HARD),
        stapling_server("leaf", None),
    );
    assert_eq!(
        refusal(&p),
        (unknown.clone(), Some(AlertDescription::CertificateUnknown))
    );

    // "unknown" (RFC 6960 §2.2) is no status: soft-fail passes, hard-fail not.
    let p = run(
        asking_client(true, root_crl(), HARD),
        stapling_server("leaf-pss", Some(staple("py-unknown"))),
    );
    assert_eq!(
        refusal(&p),
        (unknown, Some(AlertDescription::CertificateUnknown))
    );
    let mut p = pair(
        asking_client(true, root_crl(), SOFT),
        stapling_server("leaf-pss", Some(staple("py-unknown"))),
        61,
    );
    complete(&mut p);
}

// With revocation off the staple is not looked at.
#[test]
fn revocation_off_ignores_the_staple() {
    let mut p = pair(
        asking_client(true, vec![], RevocationPolicy::Off),
        stapling_server("leaf-revoked", Some(staple("py-revoked-with-reason"))),
        61,
    );
    complete(&mut p);
}
