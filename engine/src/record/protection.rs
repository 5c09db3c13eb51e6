//! AES-GCM record protection for TLS 1.2 (RFC 5288 §3, RFC 5246 §6.2.3.3).
//!
//! nonce           = salt (4 bytes, the key block's fixed IV) ‖ explicit nonce (8)
//! additional_data = seq_num (8) ‖ type (1) ‖ version (2) ‖ plaintext length (2)
//! fragment        = explicit nonce (8) ‖ ciphertext ‖ tag (16)
//!
//! We send our sequence number as the explicit nonce; we accept any explicit
//! nonce from the peer (OpenSSL starts at a random value). Each record costs
//! one output allocation.
//!
//! The AEAD itself is a plug-in ([`RecordAead`], from the connection's
//! [`CryptoProvider`]); [`GcmKey`] is the default one. The framing above,
//! nonce, additional data and length limits are the engine's, whatever the
//! AEAD.

use crate::enums::{ContentType, ProtocolVersion};
use crate::error::{Error, InvalidMessage};
use crate::provider::{CryptoProvider, RecordAead};
use aes_gcm::aead::array::Array;
use aes_gcm::{AeadInOut, Aes128Gcm, Aes256Gcm, KeyInit, Tag};
use std::fmt;

/// Length of the implicit nonce part from the key block (RFC 5288 §3).
pub const SALT_LEN: usize = 4;
/// Length of the explicit nonce carried in each record (RFC 5288 §3).
pub const EXPLICIT_NONCE_LEN: usize = 8;
/// Length of the GCM authentication tag (RFC 5288 §3).
pub const TAG_LEN: usize = 16;
/// The largest TLSPlaintext fragment (RFC 5246 §6.2.1).
pub const MAX_PLAINTEXT_LEN: usize = 1 << 14;
/// The largest TLSCiphertext fragment (RFC 5246 §6.2.3).
pub const MAX_CIPHERTEXT_LEN: usize = MAX_PLAINTEXT_LEN + 2048;

/// An AES-128-GCM or AES-256-GCM key, its schedule expanded once.
pub struct GcmKey(Cipher);

// Boxed: the expanded key schedules differ in size by hundreds of bytes.
enum Cipher {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
}

impl GcmKey {
    /// A 16-byte key selects AES-128-GCM, a 32-byte key AES-256-GCM.
    pub fn new(key: &[u8]) -> Result<Self, Error> {
        let bad = |_| Error::Internal("AES-GCM key must be 16 or 32 bytes");
        match key.len() {
            16 => Ok(Self(Cipher::Aes128(Box::new(
                Aes128Gcm::new_from_slice(key).map_err(bad)?,
            )))),
            32 => Ok(Self(Cipher::Aes256(Box::new(
                Aes256Gcm::new_from_slice(key).map_err(bad)?,
            )))),
            _ => Err(Error::Internal("AES-GCM key must be 16 or 32 bytes")),
        }
    }
}

impl RecordAead for GcmKey {
    fn seal_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        let nonce = Array::from(*nonce);
        let tag = match &self.0 {
            Cipher::Aes128(c) => c.encrypt_inout_detached(&nonce, aad, buf.into()),
            Cipher::Aes256(c) => c.encrypt_inout_detached(&nonce, aad, buf.into()),
        }
        // Only the P_MAX / A_MAX limits (2^36 bytes) can fail here.
        .map_err(|_| Error::Internal("AES-GCM input too long"))?;
        Ok(tag.into())
    }

    fn open_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        let nonce = Array::from(*nonce);
        let tag = Tag::from(*tag);
        match &self.0 {
            Cipher::Aes128(c) => c.decrypt_inout_detached(&nonce, aad, buf.into(), &tag),
            Cipher::Aes256(c) => c.decrypt_inout_detached(&nonce, aad, buf.into(), &tag),
        }
        .map_err(|_| Error::DecryptError)
    }
}

/// ChaCha20-Poly1305 (RFC 8439) for the RFC 7905 suites: a 32-byte key,
/// the 12-byte nonce given per record, a 16-byte tag.
pub struct ChaChaKey(Box<chacha20poly1305::ChaCha20Poly1305>);

impl ChaChaKey {
    pub fn new(key: &[u8]) -> Result<Self, Error> {
        use chacha20poly1305::KeyInit as _;
        chacha20poly1305::ChaCha20Poly1305::new_from_slice(key)
            .map(|k| Self(Box::new(k)))
            .map_err(|_| Error::Internal("ChaCha20-Poly1305 key must be 32 bytes"))
    }
}

impl fmt::Debug for ChaChaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChaChaKey(..)")
    }
}

impl RecordAead for ChaChaKey {
    fn seal_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        use chacha20poly1305::AeadInOut as _;
        let nonce = Array::from(*nonce);
        let tag = self
            .0
            .encrypt_inout_detached(&nonce, aad, buf.into())
            .map_err(|_| Error::Internal("ChaCha20-Poly1305 input too long"))?;
        Ok(tag.into())
    }

    fn open_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        use chacha20poly1305::AeadInOut as _;
        let nonce = Array::from(*nonce);
        let tag = Array::from(*tag);
        self.0
            .decrypt_inout_detached(&nonce, aad, buf.into(), &tag)
            .map_err(|_| Error::DecryptError)
    }
}

/// RFC 7905 §2: the per-record nonce is the 12-byte fixed IV XOR the
/// 64-bit sequence number, left-padded with zeros; nothing is sent.
pub fn chacha_nonce(iv: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut n = *iv;
    for (b, s) in n[4..].iter_mut().zip(seq.to_be_bytes()) {
        *b ^= s;
    }
    n
}

/// Seals a ChaCha20-Poly1305 record: `ciphertext ‖ tag`, no explicit nonce
/// (RFC 7905 §2), the same additional data as AES-GCM (RFC 5246 §6.2.3.3).
pub fn seal_chacha_record(
    key: &dyn RecordAead,
    iv: &[u8; 12],
    seq: u64,
    typ: ContentType,
    version: ProtocolVersion,
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let len = u16::try_from(plaintext.len())
        .map_err(|_| Error::Internal("record plaintext longer than 2^16-1"))?;
    let ad = additional_data(seq, typ, version, len);
    let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
    out.extend_from_slice(plaintext);
    let tag = key.seal_in_place(&chacha_nonce(iv, seq), &ad, &mut out)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens a ChaCha20-Poly1305 record with the same limits as [`open_record`].
pub fn open_chacha_record(
    key: &dyn RecordAead,
    iv: &[u8; 12],
    seq: u64,
    typ: ContentType,
    version: ProtocolVersion,
    fragment: &[u8],
) -> Result<Vec<u8>, Error> {
    if fragment.len() > MAX_CIPHERTEXT_LEN {
        return Err(InvalidMessage::CiphertextRecordTooLarge(fragment.len()).into());
    }
    let ct_len = fragment
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(Error::DecryptError)?;
    let (ct, tag) = fragment.split_at(ct_len);
    let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| Error::DecryptError)?;
    let len = u16::try_from(ct_len).map_err(|_| Error::DecryptError)?;
    let ad = additional_data(seq, typ, version, len);
    let mut out = ct.to_vec();
    key.open_in_place(&chacha_nonce(iv, seq), &ad, &mut out, tag)?;
    if out.len() > MAX_PLAINTEXT_LEN {
        return Err(InvalidMessage::PlaintextRecordTooLarge(out.len()).into());
    }
    Ok(out)
}

impl fmt::Debug for GcmKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Cipher::Aes128(_) => f.write_str("GcmKey(AES-128-GCM)"),
            Cipher::Aes256(_) => f.write_str("GcmKey(AES-256-GCM)"),
        }
    }
}

/// The 12-byte GCM nonce: salt ‖ explicit nonce (RFC 5288 §3).
pub fn gcm_nonce(salt: &[u8; SALT_LEN], explicit: &[u8; EXPLICIT_NONCE_LEN]) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..SALT_LEN].copy_from_slice(salt);
    n[SALT_LEN..].copy_from_slice(explicit);
    n
}

/// `seq_num ‖ type ‖ version ‖ length` (RFC 5246 §6.2.3.3).
pub fn additional_data(
    seq: u64,
    typ: ContentType,
    version: ProtocolVersion,
    plaintext_len: u16,
) -> [u8; 13] {
    let mut ad = [0u8; 13];
    ad[..8].copy_from_slice(&seq.to_be_bytes());
    ad[8] = typ.0;
    ad[9..11].copy_from_slice(&version.0.to_be_bytes());
    ad[11..].copy_from_slice(&plaintext_len.to_be_bytes());
    ad
}

/// Plain AES-GCM encryption: `ciphertext ‖ tag`. The record functions and the
/// Wycheproof tests share it.
pub fn gcm_seal(
    key: &dyn RecordAead,
    nonce: &[u8; 12],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
    out.extend_from_slice(plaintext);
    let tag = key.seal_in_place(nonce, aad, &mut out)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Plain AES-GCM decryption of `ciphertext ‖ tag`; `Error::DecryptError`
/// if the input is shorter than a tag or does not authenticate.
pub fn gcm_open(
    key: &dyn RecordAead,
    nonce: &[u8; 12],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Vec<u8>, Error> {
    let ct_len = ciphertext_and_tag
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(Error::DecryptError)?;
    let (ct, tag) = ciphertext_and_tag.split_at(ct_len);
    let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| Error::DecryptError)?;
    let mut out = ct.to_vec();
    key.open_in_place(nonce, aad, &mut out, tag)?;
    Ok(out)
}

/// Seals one record under an already-expanded key: the body of
/// [`RecordSealer::seal`] and [`seal_with_nonce`], public for callers that
/// manage nonces and sequence numbers themselves (the harness, benchmarks).
pub fn seal_record(
    key: &dyn RecordAead,
    salt: &[u8; SALT_LEN],
    explicit: &[u8; EXPLICIT_NONCE_LEN],
    seq: u64,
    typ: ContentType,
    version: ProtocolVersion,
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let len = u16::try_from(plaintext.len())
        .map_err(|_| Error::Internal("record plaintext longer than 2^16-1"))?;
    let ad = additional_data(seq, typ, version, len);
    let mut out = Vec::with_capacity(EXPLICIT_NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(explicit);
    out.extend_from_slice(plaintext);
    let tag = key.seal_in_place(
        &gcm_nonce(salt, explicit),
        &ad,
        &mut out[EXPLICIT_NONCE_LEN..],
    )?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens one record under an already-expanded key: the body of
/// [`RecordOpener::open`] and [`open_with_seq`].
pub fn open_record(
    key: &dyn RecordAead,
    salt: &[u8; SALT_LEN],
    seq: u64,
    typ: ContentType,
    version: ProtocolVersion,
    fragment: &[u8],
) -> Result<Vec<u8>, Error> {
    // RFC 5246 §6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048.
    if fragment.len() > MAX_CIPHERTEXT_LEN {
        return Err(InvalidMessage::CiphertextRecordTooLarge(fragment.len()).into());
    }
    // Too short to hold the explicit nonce and a tag: it cannot authenticate,
    // so bad_record_mac (RFC 5246 §6.2.3.3).
    let ct_len = fragment
        .len()
        .checked_sub(EXPLICIT_NONCE_LEN + TAG_LEN)
        .ok_or(Error::DecryptError)?;
    let (explicit, rest) = fragment.split_at(EXPLICIT_NONCE_LEN);
    let (ct, tag) = rest.split_at(ct_len);
    let explicit: &[u8; EXPLICIT_NONCE_LEN] =
        explicit.try_into().map_err(|_| Error::DecryptError)?;
    let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| Error::DecryptError)?;
    // Fits: ct_len ≤ 2^14 + 2048 - 24.
    let len = u16::try_from(ct_len).map_err(|_| Error::DecryptError)?;
    let ad = additional_data(seq, typ, version, len);

    let mut out = ct.to_vec();
    key.open_in_place(&gcm_nonce(salt, explicit), &ad, &mut out, tag)?;
    // RFC 5246 §6.2.1: TLSPlaintext.length MUST NOT exceed 2^14 (checked
    // once the record has authenticated; record_overflow).
    if out.len() > MAX_PLAINTEXT_LEN {
        return Err(InvalidMessage::PlaintextRecordTooLarge(out.len()).into());
    }
    Ok(out)
}

/// Seals one record with an explicit nonce and sequence number of the
/// caller's choosing, returning the fragment. For vectors and for the
/// harness's misbehaving peers: it enforces no record size limit.
pub fn seal_with_nonce(
    key: &[u8],
    salt: &[u8; SALT_LEN],
    explicit_nonce: &[u8; EXPLICIT_NONCE_LEN],
    seq: u64,
    typ: ContentType,
    version: ProtocolVersion,
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    seal_record(
        &GcmKey::new(key)?,
        salt,
        explicit_nonce,
        seq,
        typ,
        version,
        plaintext,
    )
}

/// Opens one record fragment as if it were record number `seq`.
pub fn open_with_seq(
    key: &[u8],
    salt: &[u8; SALT_LEN],
    seq: u64,
    typ: ContentType,
    version: ProtocolVersion,
    fragment: &[u8],
) -> Result<Vec<u8>, Error> {
    open_record(&GcmKey::new(key)?, salt, seq, typ, version, fragment)
}

/// The next sequence number, or `None` once 2^64-1 has been used: RFC 5246
/// §6.1 forbids wrapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sequence(Option<u64>);

impl Sequence {
    fn take(&mut self) -> Option<u64> {
        let current = self.0?;
        self.0 = current.checked_add(1);
        Some(current)
    }
}

/// What a sealer or opener holds: one direction's keyed AEAD, its salt and
/// the next sequence number.
#[derive(Debug)]
struct DirectionKeys {
    aead: Box<dyn RecordAead>,
    nonces: Nonces,
    seq: Sequence,
}

/// How a direction forms its nonces.
#[derive(Clone, Copy, Debug)]
enum Nonces {
    /// RFC 5288 §3: salt ‖ explicit nonce (the sequence number, sent).
    Gcm([u8; SALT_LEN]),
    /// RFC 7905 §2: fixed IV XOR sequence number, nothing sent.
    ChaCha([u8; 12]),
}

impl DirectionKeys {
    /// The default AEAD ([`GcmKey`]), next record number `seq`.
    fn gcm(key: &[u8], salt: [u8; SALT_LEN], seq: u64) -> Result<Self, Error> {
        Ok(Self::new(
            Box::new(GcmKey::new(key)?),
            Nonces::Gcm(salt),
            seq,
        ))
    }

    /// `crypto`'s AEAD, for a fresh connection state (RFC 5246 §6.1: 0).
    fn with_crypto(
        crypto: &dyn CryptoProvider,
        key: &[u8],
        salt: [u8; SALT_LEN],
    ) -> Result<Self, Error> {
        Ok(Self::new(crypto.record_aead(key)?, Nonces::Gcm(salt), 0))
    }

    /// `crypto`'s ChaCha20-Poly1305, for a fresh connection state.
    fn chacha_with_crypto(
        crypto: &dyn CryptoProvider,
        key: &[u8],
        iv: [u8; 12],
    ) -> Result<Self, Error> {
        Ok(Self::new(
            crypto.chacha20_poly1305(key)?,
            Nonces::ChaCha(iv),
            0,
        ))
    }

    fn new(aead: Box<dyn RecordAead>, nonces: Nonces, seq: u64) -> Self {
        Self {
            aead,
            nonces,
            seq: Sequence(Some(seq)),
        }
    }
}

/// Protects outgoing records of one direction.
#[derive(Debug)]
pub struct RecordSealer(DirectionKeys);

impl RecordSealer {
    /// A sealer for a fresh connection state: sequence number 0 (RFC 5246
    /// §6.1), with the default AEAD ([`GcmKey`]).
    pub fn new(key: &[u8], salt: [u8; SALT_LEN]) -> Result<Self, Error> {
        Self::starting_at(key, salt, 0)
    }

    /// A sealer whose next record uses sequence number `seq`.
    pub fn starting_at(key: &[u8], salt: [u8; SALT_LEN], seq: u64) -> Result<Self, Error> {
        DirectionKeys::gcm(key, salt, seq).map(Self)
    }

    /// A fresh sealer with `crypto`'s AEAD for `key`.
    pub fn with_crypto(
        crypto: &dyn CryptoProvider,
        key: &[u8],
        salt: [u8; SALT_LEN],
    ) -> Result<Self, Error> {
        DirectionKeys::with_crypto(crypto, key, salt).map(Self)
    }

    /// ChaCha20-Poly1305 (RFC 7905) with the 12-byte fixed IV, from `crypto`.
    pub fn chacha_with_crypto(
        crypto: &dyn CryptoProvider,
        key: &[u8],
        iv: [u8; 12],
    ) -> Result<Self, Error> {
        DirectionKeys::chacha_with_crypto(crypto, key, iv).map(Self)
    }

    /// Seals one record's plaintext (≤ 2^14 bytes) into its fragment, using
    /// the sequence number as the explicit nonce (unique per key, as RFC
    /// 5288 §3 requires). Fails once the sequence number would wrap.
    pub fn seal(
        &mut self,
        typ: ContentType,
        version: ProtocolVersion,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Error> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(Error::InappropriateState(
                "record plaintext longer than 2^14",
            ));
        }
        let k = &mut self.0;
        let seq = k
            .seq
            .take()
            .ok_or(Error::InappropriateState("write sequence number exhausted"))?;
        match &k.nonces {
            Nonces::Gcm(salt) => seal_record(
                &*k.aead,
                salt,
                &seq.to_be_bytes(),
                seq,
                typ,
                version,
                plaintext,
            ),
            Nonces::ChaCha(iv) => seal_chacha_record(&*k.aead, iv, seq, typ, version, plaintext),
        }
    }
}

/// Removes protection from incoming records of one direction.
#[derive(Debug)]
pub struct RecordOpener(DirectionKeys);

impl RecordOpener {
    /// An opener for a fresh connection state: sequence number 0, with the
    /// default AEAD ([`GcmKey`]).
    pub fn new(key: &[u8], salt: [u8; SALT_LEN]) -> Result<Self, Error> {
        Self::starting_at(key, salt, 0)
    }

    /// An opener whose next record has sequence number `seq`.
    pub fn starting_at(key: &[u8], salt: [u8; SALT_LEN], seq: u64) -> Result<Self, Error> {
        DirectionKeys::gcm(key, salt, seq).map(Self)
    }

    /// A fresh opener with `crypto`'s AEAD for `key`.
    pub fn with_crypto(
        crypto: &dyn CryptoProvider,
        key: &[u8],
        salt: [u8; SALT_LEN],
    ) -> Result<Self, Error> {
        DirectionKeys::with_crypto(crypto, key, salt).map(Self)
    }

    /// ChaCha20-Poly1305 (RFC 7905) with the 12-byte fixed IV, from `crypto`.
    pub fn chacha_with_crypto(
        crypto: &dyn CryptoProvider,
        key: &[u8],
        iv: [u8; 12],
    ) -> Result<Self, Error> {
        DirectionKeys::chacha_with_crypto(crypto, key, iv).map(Self)
    }

    /// Opens one record's fragment (any explicit nonce). The sequence number
    /// advances only on success: a failure is fatal to the connection.
    pub fn open(
        &mut self,
        typ: ContentType,
        version: ProtocolVersion,
        fragment: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let k = &mut self.0;
        let mut next = k.seq;
        let seq = next
            .take()
            .ok_or(Error::InappropriateState("read sequence number exhausted"))?;
        let plaintext = match &k.nonces {
            Nonces::Gcm(salt) => open_record(&*k.aead, salt, seq, typ, version, fragment)?,
            Nonces::ChaCha(iv) => open_chacha_record(&*k.aead, iv, seq, typ, version, fragment)?,
        };
        k.seq = next;
        Ok(plaintext)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }
    const KEY128: &str = "000102030405060708090a0b0c0d0e0f";
    const KEY256: &str = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
    const APPDATA: ContentType = ContentType::ApplicationData;
    const V12: ProtocolVersion = ProtocolVersion::TLSv1_2;

    // Fragments made by crypto/testdata/gen.sh with Python `cryptography`:
    //   explicit + AESGCM(key).encrypt(salt + explicit, pt,
    //                                  struct.pack(">QBHH", seq, type, version, len(pt)))
    const GCM128_APPDATA: &str = "00000000000000012e14709e03a85737e6192863b761e0c329b7354bed1e46a1\
                                  645ed8248f0eec";
    const GCM256_HANDSHAKE: &str = "112233445566778848125b718d885ca1093fc66f5587db6cc0891b6e025378f3\
                                    dbb975be47ceb6e442d5b081a45680d60ba431d8c73da33bce23d81ffd72e202";
    const GCM128_EMPTY_ALERT: &str = "00000000000000072e61d6876f1dd000f3c871d46205c8ac";

    #[test]
    fn seals_and_opens_python_cryptography_records() {
        // RFC 5288 §3 nonce and RFC 5246 §6.2.3.3 additional data.
        let salt128 = [0xa0, 0xa1, 0xa2, 0xa3];
        let salt256 = [0xb0, 0xb1, 0xb2, 0xb3];
        type Case = (
            &'static str,
            [u8; 4],
            [u8; 8],
            u64,
            ContentType,
            Vec<u8>,
            &'static str,
        );
        let cases: [Case; 3] = [
            (
                KEY128,
                salt128,
                [0, 0, 0, 0, 0, 0, 0, 1],
                1,
                APPDATA,
                b"hello, gauntlet".to_vec(),
                GCM128_APPDATA,
            ),
            (
                KEY256,
                salt256,
                [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88],
                0,
                ContentType::Handshake,
                (0u8..40).collect(),
                GCM256_HANDSHAKE,
            ),
            (
                KEY128,
                salt128,
                [0, 0, 0, 0, 0, 0, 0, 7],
                7,
                ContentType::Alert,
                vec![],
                GCM128_EMPTY_ALERT,
            ),
        ];
        for (key, salt, explicit, seq, typ, pt, fragment) in cases {
            let key = unhex(key);
            let sealed = seal_with_nonce(&key, &salt, &explicit, seq, typ, V12, &pt).unwrap();
            assert_eq!(hex::encode(&sealed), fragment);
            let opened = open_with_seq(&key, &salt, seq, typ, V12, &unhex(fragment)).unwrap();
            assert_eq!(opened, pt);
        }
    }

    #[test]
    fn sealer_uses_sequence_number_as_explicit_nonce() {
        // RFC 5288 §3 leaves the explicit nonce to the sender; we send
        // seq_num, so record 1 of this key equals the Python vector.
        let mut sealer = RecordSealer::new(&unhex(KEY128), [0xa0, 0xa1, 0xa2, 0xa3]).unwrap();
        let first = sealer.seal(APPDATA, V12, b"hello, gauntlet").unwrap();
        assert_eq!(&first[..8], &[0; 8]);
        let second = sealer.seal(APPDATA, V12, b"hello, gauntlet").unwrap();
        assert_eq!(hex::encode(second), GCM128_APPDATA);
    }

    #[test]
    fn opener_accepts_any_explicit_nonce_and_tracks_sequence() {
        // RFC 5288 §3: the receiver takes the explicit nonce from the record;
        // the sequence number only enters the additional data.
        let key = unhex(KEY128);
        let salt = [9, 9, 9, 9];
        let mut opener = RecordOpener::new(&key, salt).unwrap();
        for (seq, explicit) in [(0u64, [0xff; 8]), (1, [0x42; 8]), (2, [0; 8])] {
            let f = seal_with_nonce(&key, &salt, &explicit, seq, APPDATA, V12, b"x").unwrap();
            assert_eq!(opener.open(APPDATA, V12, &f).unwrap(), b"x");
        }
    }

    #[test]
    fn rejects_records_with_wrong_sequence_type_or_version() {
        // RFC 5246 §6.2.3.3: seq_num, type and version are authenticated.
        let key = unhex(KEY128);
        let salt = [1, 2, 3, 4];
        let f = seal_with_nonce(&key, &salt, &[0; 8], 5, APPDATA, V12, b"data").unwrap();
        assert!(open_with_seq(&key, &salt, 5, APPDATA, V12, &f).is_ok());
        for (seq, typ, ver) in [
            (4, APPDATA, V12),
            (5, ContentType::Handshake, V12),
            (5, APPDATA, ProtocolVersion::TLSv1_1),
        ] {
            assert_eq!(
                open_with_seq(&key, &salt, seq, typ, ver, &f),
                Err(Error::DecryptError)
            );
        }
        assert_eq!(
            open_with_seq(&key, &[1, 2, 3, 5], 5, APPDATA, V12, &f),
            Err(Error::DecryptError)
        );
    }

    #[test]
    fn rejects_tampered_fragments_with_bad_record_mac() {
        // RFC 5246 §6.2.3.3: any failed authentication is bad_record_mac.
        let key = unhex(KEY256);
        let salt = [0xb0, 0xb1, 0xb2, 0xb3];
        let good = unhex(GCM256_HANDSHAKE);
        for i in 0..good.len() {
            let mut f = good.clone();
            f[i] ^= 0x01;
            let r = open_with_seq(&key, &salt, 0, ContentType::Handshake, V12, &f);
            assert_eq!(r, Err(Error::DecryptError), "byte {i}");
        }
        assert_eq!(
            Error::DecryptError.alert(),
            Some(crate::enums::AlertDescription::BadRecordMac)
        );
    }

    #[test]
    fn rejects_fragments_shorter_than_nonce_and_tag() {
        // RFC 5288 §3: a fragment carries at least 8 + 16 bytes.
        let key = unhex(KEY128);
        let mut opener = RecordOpener::new(&key, [0; 4]).unwrap();
        for len in [0, 1, 8, 23] {
            assert_eq!(
                opener.open(APPDATA, V12, &vec![0; len]),
                Err(Error::DecryptError)
            );
        }
        // A failure does not advance the sequence number.
        let f = seal_with_nonce(&key, &[0; 4], &[0; 8], 0, APPDATA, V12, b"").unwrap();
        assert_eq!(f.len(), 24);
        assert_eq!(opener.open(APPDATA, V12, &f).unwrap(), b"");
    }

    #[test]
    fn rejects_authentic_plaintext_over_2_pow_14_with_record_overflow() {
        // RFC 5246 §6.2.1: TLSPlaintext.length MUST NOT exceed 2^14.
        let key = unhex(KEY128);
        let salt = [0; 4];
        let pt = vec![0x61; MAX_PLAINTEXT_LEN + 1];
        let f = seal_with_nonce(&key, &salt, &[0; 8], 0, APPDATA, V12, &pt).unwrap();
        let err = open_with_seq(&key, &salt, 0, APPDATA, V12, &f).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidMessage(InvalidMessage::PlaintextRecordTooLarge(
                MAX_PLAINTEXT_LEN + 1
            ))
        );
        assert_eq!(
            err.alert(),
            Some(crate::enums::AlertDescription::RecordOverflow)
        );
        // Exactly 2^14 is fine.
        let pt = vec![0x61; MAX_PLAINTEXT_LEN];
        let f = seal_with_nonce(&key, &salt, &[0; 8], 0, APPDATA, V12, &pt).unwrap();
        assert_eq!(open_with_seq(&key, &salt, 0, APPDATA, V12, &f).unwrap(), pt);
    }

    #[test]
    fn rejects_ciphertext_over_2_pow_14_plus_2048() {
        // RFC 5246 §6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048.
        let key = unhex(KEY128);
        let f = vec![0; MAX_CIPHERTEXT_LEN + 1];
        assert_eq!(
            open_with_seq(&key, &[0; 4], 0, APPDATA, V12, &f),
            Err(InvalidMessage::CiphertextRecordTooLarge(MAX_CIPHERTEXT_LEN + 1).into())
        );
    }

    #[test]
    fn sealer_refuses_to_wrap_the_sequence_number() {
        // RFC 5246 §6.1: sequence numbers MUST NOT wrap.
        let key = unhex(KEY128);
        let mut sealer = RecordSealer::starting_at(&key, [0; 4], u64::MAX).unwrap();
        let last = sealer.seal(APPDATA, V12, b"last").unwrap();
        assert_eq!(&last[..8], &u64::MAX.to_be_bytes());
        assert_eq!(
            open_with_seq(&key, &[0; 4], u64::MAX, APPDATA, V12, &last).unwrap(),
            b"last"
        );
        assert!(matches!(
            sealer.seal(APPDATA, V12, b"more"),
            Err(Error::InappropriateState(_))
        ));
        let mut opener = RecordOpener::starting_at(&key, [0; 4], u64::MAX).unwrap();
        assert_eq!(opener.open(APPDATA, V12, &last).unwrap(), b"last");
        assert!(matches!(
            opener.open(APPDATA, V12, &last),
            Err(Error::InappropriateState(_))
        ));
    }

    #[test]
    fn sealer_refuses_plaintext_over_2_pow_14() {
        // RFC 5246 §6.2.1: we never emit an oversized record.
        let mut sealer = RecordSealer::new(&unhex(KEY128), [0; 4]).unwrap();
        assert!(sealer
            .seal(APPDATA, V12, &vec![0; MAX_PLAINTEXT_LEN + 1])
            .is_err());
        // The refusal consumed no sequence number.
        let f = sealer.seal(APPDATA, V12, b"").unwrap();
        assert_eq!(&f[..8], &[0; 8]);
    }

    #[test]
    fn rejects_key_lengths_other_than_16_or_32() {
        for len in [0, 15, 24, 33] {
            assert!(matches!(
                RecordSealer::new(&vec![0; len], [0; 4]),
                Err(Error::Internal(_))
            ));
        }
    }

    #[test]
    fn gcm_open_rejects_input_shorter_than_a_tag() {
        let key = GcmKey::new(&unhex(KEY128)).unwrap();
        assert_eq!(
            gcm_open(&key, &[0; 12], b"", &[0; 15]),
            Err(Error::DecryptError)
        );
        let sealed = gcm_seal(&key, &[0; 12], b"ad", b"").unwrap();
        assert_eq!(gcm_open(&key, &[0; 12], b"ad", &sealed).unwrap(), b"");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod chacha_tests {
    use super::*;

    #[test]
    fn rfc8439_aead_vector_through_the_record_aead() {
        // RFC 8439 §2.8.2: key 80..9f, nonce 07000000 40414243 44454647,
        // AAD 50515253 c0c1c2c3c4c5c6c7, the "Ladies and Gentlemen" text.
        let key: Vec<u8> = (0x80..=0x9f).collect();
        let nonce: [u8; 12] = hex::decode("070000004041424344454647")
            .unwrap()
            .try_into()
            .unwrap();
        let aad = hex::decode("50515253c0c1c2c3c4c5c6c7").unwrap();
        let mut buf = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".to_vec();
        let k = ChaChaKey::new(&key).unwrap();
        let tag = k.seal_in_place(&nonce, &aad, &mut buf).unwrap();
        assert_eq!(hex::encode(&buf[..16]), "d31a8d34648e60db7b86afbc53ef7ec2");
        assert_eq!(hex::encode(tag), "1ae10b594f09e26a7e902ecbd0600691");
        k.open_in_place(&nonce, &aad, &mut buf, &tag).unwrap();
        assert!(buf.starts_with(b"Ladies"));
        let mut bad = tag;
        bad[0] ^= 1;
        assert_eq!(
            k.open_in_place(&nonce, &aad, &mut buf, &bad),
            Err(Error::DecryptError)
        );
        assert!(ChaChaKey::new(&[0; 16]).is_err());
    }

    #[test]
    fn rfc7905_nonce_is_the_iv_xor_the_padded_sequence_number() {
        let iv = [0xffu8; 12];
        let n = chacha_nonce(&iv, 0x0102_0304_0506_0708);
        assert_eq!(hex::encode(n), "fffffffffefdfcfbfaf9f8f7");
        assert_eq!(chacha_nonce(&iv, 0), iv);
    }

    #[test]
    fn chacha_records_round_trip_and_refuse_tampering_and_reordering() {
        let crypto = crate::provider::RustCrypto;
        let mut sealer = RecordSealer::chacha_with_crypto(&crypto, &[7; 32], [9; 12]).unwrap();
        let mut opener = RecordOpener::chacha_with_crypto(&crypto, &[7; 32], [9; 12]).unwrap();
        let v = ProtocolVersion::TLSv1_2;
        let a = sealer
            .seal(ContentType::ApplicationData, v, b"one")
            .unwrap();
        let b = sealer
            .seal(ContentType::ApplicationData, v, b"two")
            .unwrap();
        assert_eq!(a.len(), 3 + TAG_LEN);
        // Out of order: b under sequence number 0 fails.
        assert_eq!(
            opener.open(ContentType::ApplicationData, v, &b),
            Err(Error::DecryptError)
        );
        assert_eq!(
            opener.open(ContentType::ApplicationData, v, &a).unwrap(),
            b"one"
        );
        let mut t = b.clone();
        t[0] ^= 1;
        assert_eq!(
            opener.open(ContentType::ApplicationData, v, &t),
            Err(Error::DecryptError)
        );
        assert_eq!(
            opener.open(ContentType::ApplicationData, v, &b).unwrap(),
            b"two"
        );
        assert_eq!(
            opener.open(ContentType::ApplicationData, v, &[0; 15]),
            Err(Error::DecryptError)
        );
    }
}
