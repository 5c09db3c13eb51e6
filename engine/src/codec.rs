//! The one wire codec: the `Codec` trait, a strict `Reader`, integer widths
//! (including `u24`), and length-prefixed vectors whose prefix width and
//! bounds are declared once per element type.

use crate::error::InvalidMessage;

/// A cursor over peer bytes. Every read is bounds-checked and reports what
/// was being read when the bytes ran out.
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    offs: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, offs: 0 }
    }

    /// Takes exactly `len` bytes, or fails naming `what`.
    pub fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], InvalidMessage> {
        if self.left() < len {
            return Err(InvalidMessage::MissingData(what));
        }
        let out = &self.buf[self.offs..self.offs + len];
        self.offs += len;
        Ok(out)
    }

    /// Everything not yet read.
    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.offs..];
        self.offs = self.buf.len();
        out
    }

    /// A reader over the next `len` bytes, which this reader skips.
    pub fn sub(&mut self, len: usize, what: &'static str) -> Result<Reader<'a>, InvalidMessage> {
        self.take(len, what).map(Reader::new)
    }

    pub fn left(&self) -> usize {
        self.buf.len() - self.offs
    }

    pub fn any_left(&self) -> bool {
        self.left() > 0
    }

    pub fn used(&self) -> usize {
        self.offs
    }

    /// Strict reading: bytes after a complete structure are an error.
    pub fn expect_empty(&self, what: &'static str) -> Result<(), InvalidMessage> {
        if self.any_left() {
            Err(InvalidMessage::TrailingData(what))
        } else {
            Ok(())
        }
    }
}

/// Encoding and strict decoding of one wire structure.
pub trait Codec: Sized {
    fn encode(&self, out: &mut Vec<u8>);

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage>;

    fn get_encoding(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Decodes `bytes` as exactly one `Self`: trailing bytes are an error.
    fn read_bytes(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r)?;
        r.expect_empty(std::any::type_name::<Self>())?;
        Ok(v)
    }
}

impl Codec for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(r.take(1, "u8")?[0])
    }
}

impl Codec for u16 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let b = r.take(2, "u16")?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
}

impl Codec for u32 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let b = r.take(4, "u32")?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl Codec for u64 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let b = r.take(8, "u64")?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
}

/// A 24-bit big-endian length, as used by handshake headers and certificate lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct U24(pub u32);

impl U24 {
    pub const MAX: u32 = 0x00ff_ffff;
}

impl Codec for U24 {
    fn encode(&self, out: &mut Vec<u8>) {
        let b = self.0.to_be_bytes();
        out.extend_from_slice(&b[1..]);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let b = r.take(3, "u24")?;
        Ok(U24(u32::from_be_bytes([0, b[0], b[1], b[2]])))
    }
}

impl From<U24> for usize {
    fn from(v: U24) -> usize {
        v.0 as usize
    }
}

/// Width of a length prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LenWidth {
    U8,
    U16,
    U24,
}

impl LenWidth {
    pub const fn max(self) -> usize {
        match self {
            LenWidth::U8 => 0xff,
            LenWidth::U16 => 0xffff,
            LenWidth::U24 => 0xff_ffff,
        }
    }

    fn read_len(self, r: &mut Reader<'_>) -> Result<usize, InvalidMessage> {
        Ok(match self {
            LenWidth::U8 => u8::read(r)? as usize,
            LenWidth::U16 => u16::read(r)? as usize,
            LenWidth::U24 => U24::read(r)?.into(),
        })
    }

    /// Writes a placeholder prefix; `finish` fills it once the body is known.
    fn start(self, out: &mut Vec<u8>) -> usize {
        let at = out.len();
        out.extend_from_slice(&[0, 0, 0][..self.bytes()]);
        at
    }

    fn finish(self, out: &mut [u8], at: usize) {
        let body = out.len() - at - self.bytes();
        // Encoders never build over-long bodies from typed values except through
        // the permissive harness model, which writes raw prefixes itself.
        let len = body.min(self.max()) as u32;
        let be = len.to_be_bytes();
        out[at..at + self.bytes()].copy_from_slice(&be[4 - self.bytes()..]);
    }

    pub const fn bytes(self) -> usize {
        match self {
            LenWidth::U8 => 1,
            LenWidth::U16 => 2,
            LenWidth::U24 => 3,
        }
    }
}

/// A length-prefix declaration: width and the RFC's bounds on the body in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LenPrefix {
    pub width: LenWidth,
    /// Minimum body length in bytes (`<1..2^16-1>` has 1; `<0..2^8-1>` has 0).
    pub min: usize,
    /// Maximum body length in bytes, at most `width.max()`.
    pub max: usize,
    /// What is being read, for errors.
    pub what: &'static str,
}

impl LenPrefix {
    pub const fn new(width: LenWidth, min: usize, max: usize, what: &'static str) -> Self {
        Self {
            width,
            min,
            max,
            what,
        }
    }

    /// Reads the prefix and returns a reader over exactly the body it declares.
    pub fn read_body<'a>(&self, r: &mut Reader<'a>) -> Result<Reader<'a>, InvalidMessage> {
        let len = self.width.read_len(r)?;
        if len < self.min {
            return Err(if len == 0 {
                InvalidMessage::EmptyVector(self.what)
            } else {
                InvalidMessage::VectorTooShort(self.what)
            });
        }
        if len > self.max {
            return Err(InvalidMessage::VectorTooLong(self.what));
        }
        r.sub(len, self.what)
    }

    /// Encodes `body` under this prefix.
    pub fn encode_with(&self, out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
        let at = self.width.start(out);
        body(out);
        self.width.finish(out, at);
    }
}

/// An element of a length-prefixed vector: declares the vector's prefix once.
pub trait TlsListElement: Codec {
    const PREFIX: LenPrefix;
}

impl<T: TlsListElement> Codec for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        T::PREFIX.encode_with(out, |out| {
            for item in self {
                item.encode(out);
            }
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut body = T::PREFIX.read_body(r)?;
        let mut out = Vec::new();
        while body.any_left() {
            out.push(T::read(&mut body)?);
        }
        Ok(out)
    }
}

/// Opaque bytes behind a declared length prefix, e.g. `opaque session_id<0..32>`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Opaque<const W: u8, const MIN: usize, const MAX: usize>(pub Vec<u8>);

impl<const W: u8, const MIN: usize, const MAX: usize> Opaque<W, MIN, MAX> {
    const PREFIX: LenPrefix = LenPrefix::new(
        match W {
            1 => LenWidth::U8,
            2 => LenWidth::U16,
            _ => LenWidth::U24,
        },
        MIN,
        MAX,
        "opaque vector",
    );

    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl<const W: u8, const MIN: usize, const MAX: usize> std::fmt::Debug for Opaque<W, MIN, MAX> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl<const W: u8, const MIN: usize, const MAX: usize> Codec for Opaque<W, MIN, MAX> {
    fn encode(&self, out: &mut Vec<u8>) {
        Self::PREFIX.encode_with(out, |out| out.extend_from_slice(&self.0));
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut body = Self::PREFIX.read_body(r)?;
        Ok(Self(body.rest().to_vec()))
    }
}

/// `opaque x<0..2^8-1>`
pub type PayloadU8 = Opaque<1, 0, 0xff>;
/// `opaque x<0..2^16-1>`
pub type PayloadU16 = Opaque<2, 0, 0xffff>;
/// `opaque x<1..2^16-1>`
pub type PayloadU16NonEmpty = Opaque<2, 1, 0xffff>;
/// `opaque x<0..2^24-1>`
pub type PayloadU24 = Opaque<3, 0, 0xff_ffff>;
/// `opaque ASN.1Cert<1..2^24-1>`
pub type PayloadU24NonEmpty = Opaque<3, 1, 0xff_ffff>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u24_round_trips_and_rejects_short_input() {
        let v = U24(0x01_02_03);
        let enc = v.get_encoding();
        assert_eq!(enc, [1, 2, 3]);
        assert_eq!(U24::read_bytes(&enc), Ok(v));
        assert_eq!(
            U24::read_bytes(&[1, 2]),
            Err(InvalidMessage::MissingData("u24"))
        );
    }

    #[test]
    fn read_bytes_rejects_trailing_data() {
        assert!(matches!(
            u16::read_bytes(&[0, 1, 2]),
            Err(InvalidMessage::TrailingData(_))
        ));
    }

    #[test]
    fn opaque_enforces_declared_bounds() {
        type SessionId = Opaque<1, 0, 32>;
        let mut long = vec![33u8];
        long.extend_from_slice(&[0; 33]);
        assert!(matches!(
            SessionId::read_bytes(&long),
            Err(InvalidMessage::VectorTooLong(_))
        ));
        assert!(matches!(
            PayloadU16NonEmpty::read_bytes(&[0, 0]),
            Err(InvalidMessage::EmptyVector(_))
        ));
        assert!(matches!(
            PayloadU16::read_bytes(&[0, 3, 1]),
            Err(InvalidMessage::MissingData(_))
        ));
        let ok = SessionId::new(vec![7; 32]);
        assert_eq!(SessionId::read_bytes(&ok.get_encoding()), Ok(ok));
    }
}
