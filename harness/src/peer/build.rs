//! Message builders shared by every peer use: handshake messages as raw
//! bytes (header included), so a knob or an action can still change any
//! byte. The ClientHello is built from a `ClientScript` and its knobs
//! (`client.rs`); everything else is here.

/// A handshake message with its 4-byte header.
pub fn handshake_msg(typ: u8, body: &[u8]) -> Vec<u8> {
    let len = body.len() as u32;
    let mut out = vec![typ];
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

/// Extensions as (type, body) pairs, each with its 2-byte length; the
/// list's own length prefix is the caller's (`ext_block`).
pub fn ext_list(exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (typ, body) in exts {
        out.extend_from_slice(&typ.to_be_bytes());
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(body);
    }
    out
}

/// An extensions block: the list with its 2-byte length.
pub fn ext_block(exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let list = ext_list(exts);
    let mut out = (list.len() as u16).to_be_bytes().to_vec();
    out.extend(list);
    out
}

/// ServerHello (RFC 5246 §7.4.1.3) with any field values.
pub fn server_hello(
    version: u16,
    random: &[u8; 32],
    session_id: &[u8],
    suite: u16,
    compression: u8,
    extensions: &[(u16, Vec<u8>)],
) -> Vec<u8> {
    let mut sh = Vec::new();
    sh.extend_from_slice(&version.to_be_bytes());
    sh.extend_from_slice(random);
    sh.push(session_id.len() as u8);
    sh.extend_from_slice(session_id);
    sh.extend_from_slice(&suite.to_be_bytes());
    sh.push(compression);
    sh.extend(ext_block(extensions));
    handshake_msg(2, &sh)
}

/// Certificate (RFC 5246 §7.4.2): DER certificates, leaf first.
pub fn certificate(chain: &[Vec<u8>]) -> Vec<u8> {
    let mut list = Vec::new();
    for c in chain {
        list.extend_from_slice(&(c.len() as u32).to_be_bytes()[1..]);
        list.extend_from_slice(c);
    }
    let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
    body.extend(list);
    handshake_msg(11, &body)
}

/// CertificateStatus with an OCSP response (RFC 6066 §8).
pub fn certificate_status(response: &[u8]) -> Vec<u8> {
    let mut body = vec![1];
    body.extend_from_slice(&(response.len() as u32).to_be_bytes()[1..]);
    body.extend_from_slice(response);
    handshake_msg(22, &body)
}

/// ServerHelloDone (RFC 5246 §7.4.5).
pub fn server_hello_done() -> Vec<u8> {
    handshake_msg(14, &[])
}

/// HelloRequest (RFC 5246 §7.4.1.1), never part of the handshake hash.
pub fn hello_request() -> Vec<u8> {
    handshake_msg(0, &[])
}

/// ClientKeyExchange for RSA (RFC 5246 §7.4.7.1): the ciphertext with its
/// 2-byte length.
pub fn client_key_exchange(ciphertext: &[u8]) -> Vec<u8> {
    let mut body = (ciphertext.len() as u16).to_be_bytes().to_vec();
    body.extend_from_slice(ciphertext);
    handshake_msg(16, &body)
}

/// Finished (RFC 5246 §7.4.9).
pub fn finished(verify_data: &[u8]) -> Vec<u8> {
    handshake_msg(20, verify_data)
}

/// An alert record's payload (RFC 5246 §7.2).
pub fn alert(level: u8, description: u8) -> Vec<u8> {
    vec![level, description]
}

#[cfg(test)]
mod tests {
    use super::*;
    use gauntlet_engine::codec::Codec;
    use gauntlet_engine::msgs::{
        Asn1Cert, CertificatePayload, ClientKeyExchangePayload, EncryptedPreMasterSecret,
        HandshakeMessagePayload, HandshakePayload,
    };

    #[test]
    fn builders_encode_as_the_engine_codec_does() {
        let enc = |p| HandshakeMessagePayload::new(p).get_encoding();
        let chain = vec![vec![1, 2, 3], vec![4]];
        assert_eq!(
            certificate(&chain),
            enc(HandshakePayload::Certificate(CertificatePayload(
                chain.iter().cloned().map(Asn1Cert).collect()
            )))
        );
        assert_eq!(
            client_key_exchange(&[9; 5]),
            enc(HandshakePayload::ClientKeyExchange(
                ClientKeyExchangePayload::from_rsa(&EncryptedPreMasterSecret(vec![9; 5]))
            ))
        );
        assert_eq!(
            finished(&[3; 12]),
            enc(HandshakePayload::Finished(vec![3; 12]))
        );
        assert_eq!(server_hello_done(), enc(HandshakePayload::ServerHelloDone));
        assert_eq!(hello_request(), enc(HandshakePayload::HelloRequest));
    }
}
