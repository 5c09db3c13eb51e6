//! The `deframer` target: the record layer's deframer and handshake joiner.

use gauntlet_engine::enums::{ContentType, ProtocolVersion};
use gauntlet_engine::msgs::decode_handshake;
use gauntlet_engine::record::{
    Deframer, HandshakeJoiner, OpaqueRecord, RecordLimit, HEADER_LEN, MAX_CIPHERTEXT, MAX_PLAINTEXT,
};

/// Bytes into `Deframer` (in chunks whose size the first byte picks) and
/// handshake records into `HandshakeJoiner`, each message decoded.
///
/// Invariants: the deframer never buffers more than one maximum record and
/// is lossless (the records it returns re-encode to exactly the bytes it
/// consumed); after an error it returns nothing more; every record respects
/// the limit in force; every joined message has a header whose length is
/// its body's, and the joined messages are exactly the handshake payloads.
pub fn deframer(data: &[u8]) {
    let Some((&flags, input)) = data.split_first() else {
        return;
    };
    let mut d = Deframer::new();
    let limit = if flags & 1 != 0 {
        d.set_limit(RecordLimit::Ciphertext);
        MAX_CIPHERTEXT
    } else {
        MAX_PLAINTEXT
    };
    if flags & 2 != 0 {
        d.set_version(ProtocolVersion::TLSv1_2);
    }
    let chunk = match flags >> 2 {
        0 => usize::MAX,
        n => usize::from(n),
    };
    let mut joiner = HandshakeJoiner::default();
    let mut joiner_ok = true;
    // How much of `input` the records returned so far account for, and the
    // handshake payload stream with how much of it joined messages cover.
    let (mut consumed, mut hs_stream, mut joined) = (0usize, Vec::new(), 0usize);
    let mut failed = false;
    let mut rest = input;
    while !rest.is_empty() {
        let offer = &rest[..rest.len().min(chunk)];
        let took = d.read(offer);
        assert!(d.buffered() <= Deframer::CAPACITY, "deframer over capacity");
        rest = &rest[took..];
        let mut popped = false;
        loop {
            match d.pop() {
                Ok(Some(rec)) => {
                    popped = true;
                    assert!(!failed, "deframer yielded a record after an error");
                    assert!(rec.payload.len() <= limit, "record over the limit");
                    consumed += check_record_is_input(&rec, &input[consumed..]);
                    if rec.typ == ContentType::Handshake && joiner_ok {
                        hs_stream.extend_from_slice(&rec.payload);
                        joiner_ok = joiner.push(&rec.payload).is_ok();
                        while joiner_ok {
                            match joiner.pop() {
                                Ok(Some(msg)) => {
                                    check_handshake_header(&msg);
                                    assert_eq!(
                                        hs_stream.get(joined..joined + msg.len()),
                                        Some(msg.as_slice()),
                                        "joined message is not the handshake payload stream"
                                    );
                                    joined += msg.len();
                                    let _ = decode_handshake(&msg);
                                }
                                Ok(None) => break,
                                Err(_) => joiner_ok = false,
                            }
                        }
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    assert_eq!(d.pop(), Ok(None), "deframer not latched after an error");
                    break;
                }
            }
        }
        if (took == 0 && !popped) || failed {
            break;
        }
    }
}

/// The deframer is lossless: `rec` is exactly the next bytes of the input.
/// Returns its length on the wire.
fn check_record_is_input(rec: &OpaqueRecord, input: &[u8]) -> usize {
    let len = HEADER_LEN + rec.payload.len();
    let ok = input.len() >= len
        && input[0] == rec.typ.0
        && input[1..3] == rec.version.0.to_be_bytes()
        && input[3..5] == (rec.payload.len() as u16).to_be_bytes()
        && input[HEADER_LEN..len] == rec.payload[..];
    assert!(ok, "record does not re-encode to the bytes consumed");
    len
}

fn check_handshake_header(msg: &[u8]) {
    let len = msg
        .get(1..4)
        .map(|l| (usize::from(l[0]) << 16) | (usize::from(l[1]) << 8) | usize::from(l[2]));
    assert_eq!(len, msg.len().checked_sub(4), "joined message length");
}
