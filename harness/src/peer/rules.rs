//! RFC 5746 (renegotiation_info) and RFC 7627 (extended_master_secret) as
//! the peer applies them, written once for the client flow, the server
//! flow and the step `Peer`. (The key derivation half of RFC 7627 is
//! `keys::master_secret`.)

use gauntlet_engine::enums::ExtensionType;
use gauntlet_engine::msgs::{
    ClientExtension, ClientHelloPayload, ServerExtension, ServerHelloPayload,
};

/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3).
pub const EMPTY_RENEGOTIATION_INFO_SCSV: u16 = 0x00ff;

/// The renegotiation_info extension body (RFC 5746 §3.2): the
/// renegotiated_connection vector, empty on an initial handshake (§3.4,
/// §3.6), the client's verify_data in a renegotiating ClientHello, both
/// verify_data (client's, then server's) in the server's answer (§3.5).
pub fn renegotiation_info(renegotiated_connection: &[u8]) -> Vec<u8> {
    let mut body = vec![renegotiated_connection.len() as u8];
    body.extend_from_slice(renegotiated_connection);
    body
}

/// True if a ClientHello with these suites and extension types asks for
/// secure renegotiation (RFC 5746 §3.4): the extension or the SCSV.
pub fn offers_secure_renegotiation(suites: &[u16], extensions: &[u16]) -> bool {
    suites.contains(&EMPTY_RENEGOTIATION_INFO_SCSV)
        || extensions.contains(&ExtensionType::RenegotiationInfo.0)
}

/// The client's check of the ServerHello's renegotiation_info: a client
/// that asked for secure renegotiation (`secure`) gets the extension with
/// `expected` in it (RFC 5746 §3.4 initially: empty; §3.5 when
/// renegotiating); one that did not ask gets none (§3.6 sends it only in
/// answer, and §3.7 forbids it otherwise).
pub fn check_server_renegotiation_info(
    got: Option<&[u8]>,
    secure: bool,
    expected: &[u8],
) -> Result<(), String> {
    match (got, secure) {
        (Some(body), true) if body == expected => Ok(()),
        (Some(_), _) => Err("server renegotiation_info is not what RFC 5746 §3.6/§3.7 says".into()),
        (None, true) => Err("server did not answer renegotiation_info (RFC 5746 §3.6)".into()),
        (None, false) => Ok(()),
    }
}

/// The server's check of a renegotiating ClientHello: renegotiation_info
/// carries the client's verify_data from the handshake it renegotiates
/// (RFC 5746 §3.5). `echoed`: the renegotiated_connection it carries.
pub fn check_renegotiating_hello(
    echoed: Option<&[u8]>,
    client_verify_data: &[u8],
) -> Result<(), String> {
    match echoed {
        Some(v) if v == client_verify_data => Ok(()),
        Some(_) => Err(
            "renegotiation ClientHello: renegotiation_info is not the client's verify_data".into(),
        ),
        None => Err("renegotiation ClientHello without renegotiation_info".into()),
    }
}

/// The renegotiated_connection a ServerHello carries, if it has the
/// extension (RFC 5746 §3.4, §3.5).
pub fn server_hello_renegotiation_info(sh: &ServerHelloPayload) -> Option<Vec<u8>> {
    sh.extensions.iter().flatten().find_map(|e| match e {
        ServerExtension::RenegotiationInfo(rc) => Some(rc.0.clone()),
        _ => None,
    })
}

/// The renegotiated_connection a ClientHello carries, if it has the
/// extension (RFC 5746 §3.5, §3.6).
pub fn client_hello_renegotiation_info(ch: &ClientHelloPayload) -> Option<Vec<u8>> {
    ch.extensions.iter().flatten().find_map(|e| match e {
        ClientExtension::RenegotiationInfo(rc) => Some(rc.0.clone()),
        _ => None,
    })
}

/// True if the ServerHello carries extended_master_secret: the client then
/// keys with it (RFC 7627 §5.1), and so does the server that sent it.
pub fn server_hello_ems(sh: &ServerHelloPayload) -> bool {
    sh.extensions
        .iter()
        .flatten()
        .any(|e| matches!(e, ServerExtension::ExtendedMasterSecret))
}

/// True if the ClientHello offers extended_master_secret (RFC 7627 §5.1).
pub fn client_hello_ems(ch: &ClientHelloPayload) -> bool {
    ch.extensions
        .iter()
        .flatten()
        .any(|e| matches!(e, ClientExtension::ExtendedMasterSecret))
}

/// RFC 7627 §5.2: a server uses (and echoes) extended_master_secret only
/// when the client offered it and the server wants it; the client keys
/// with it exactly when the ServerHello carries it (§5.1).
pub fn server_negotiates_ems(server_wants: bool, client_offered: bool) -> bool {
    server_wants && client_offered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renegotiation_info_follows_rfc5746() {
        assert_eq!(renegotiation_info(&[]), vec![0]);
        assert_eq!(renegotiation_info(&[7; 12])[0], 12);
        assert!(offers_secure_renegotiation(&[0x00ff], &[]));
        assert!(offers_secure_renegotiation(&[], &[0xff01]));
        assert!(!offers_secure_renegotiation(&[0x009c], &[23]));
        assert!(check_server_renegotiation_info(Some(&[]), true, &[]).is_ok());
        assert!(check_server_renegotiation_info(None, true, &[]).is_err());
        assert!(check_server_renegotiation_info(Some(&[]), false, &[]).is_err());
        assert!(check_server_renegotiation_info(Some(&[1]), true, &[]).is_err());
        assert!(check_renegotiating_hello(Some(&[1]), &[1]).is_ok());
        assert!(check_renegotiating_hello(Some(&[]), &[1]).is_err());
        assert!(check_renegotiating_hello(None, &[1]).is_err());
        assert!(server_negotiates_ems(true, true) && !server_negotiates_ems(true, false));
    }
}
