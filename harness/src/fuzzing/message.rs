//! The `message` target: every message decoder, and decode → encode is the
//! identity.

use gauntlet_engine::codec::{Codec, Reader};
use gauntlet_engine::enums::HandshakeType;
use gauntlet_engine::msgs::{
    decode_handshake, AlertMessagePayload, CertificatePayload, ChangeCipherSpecPayload,
    ClientExtension, ClientHelloPayload, EncryptedPreMasterSecret, HandshakePayload,
    NewSessionTicketPayload, Random, ServerExtension, ServerHelloPayload, ServerName, SessionId,
    SignatureAndHashAlgorithm,
};
use gauntlet_engine::record::RecordHeader;
use std::fmt::Debug;

/// Decodes `bytes` as `T`; if that works, the encoding must give back exactly
/// `bytes` (decoding is strict, so canonical) and decode to the same value.
fn round_trip<T: Codec + PartialEq + Debug>(bytes: &[u8]) {
    if let Ok(v) = T::read_bytes(bytes) {
        assert_round_trip(&v, bytes);
    }
}

fn assert_round_trip<T: Codec + PartialEq + Debug>(v: &T, bytes: &[u8]) {
    let enc = v.get_encoding();
    assert_eq!(
        T::read_bytes(&enc).as_ref(),
        Ok(v),
        "{} re-decodes differently",
        std::any::type_name::<T>()
    );
    assert_eq!(
        enc,
        bytes,
        "{} re-encodes to other bytes",
        std::any::type_name::<T>()
    );
}

/// Every decoder on the same bytes: handshake messages (header included),
/// each hello and body type, extension blocks and single extensions, alert,
/// ChangeCipherSpec, record header.
pub fn message(data: &[u8]) {
    if let Ok(m) = decode_handshake(data) {
        assert_eq!(m.typ, m.payload.typ(), "header type differs from payload");
        assert_round_trip(&m, data);
    }
    round_trip::<ClientHelloPayload>(data);
    round_trip::<ServerHelloPayload>(data);
    round_trip::<CertificatePayload>(data);
    round_trip::<NewSessionTicketPayload>(data);
    round_trip::<EncryptedPreMasterSecret>(data);
    round_trip::<Vec<ClientExtension>>(data);
    round_trip::<Vec<ServerExtension>>(data);
    round_trip::<ClientExtension>(data);
    round_trip::<ServerExtension>(data);
    round_trip::<Vec<ServerName>>(data);
    round_trip::<Vec<SignatureAndHashAlgorithm>>(data);
    round_trip::<SessionId>(data);
    round_trip::<Random>(data);
    round_trip::<AlertMessagePayload>(data);
    round_trip::<ChangeCipherSpecPayload>(data);
    round_trip::<RecordHeader>(data);
    // Each body decoder behind its type byte, as `HandshakePayload::read` sees it.
    if let Some((&typ, body)) = data.split_first() {
        let typ = HandshakeType(typ);
        let mut r = Reader::new(body);
        if let Ok(p) = HandshakePayload::read(typ, &mut r) {
            assert_eq!(p.typ(), typ, "payload type");
            let mut enc = Vec::new();
            p.encode(&mut enc);
            assert_eq!(enc, body, "{typ:?} body re-encodes to other bytes");
        }
    }
}
